use exchange_design::distribution::{EndowmentDistribution, TruncatedNormal};
use exchange_design::estimation::log_concave_mle;
use rand::{rngs::StdRng, RngExt, SeedableRng};

fn sample<D: EndowmentDistribution>(d: &D, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| d.quantile(rng.random::<f64>())).collect()
}

#[test]
fn smoke() {
    let t = TruncatedNormal::new(0.0, 1.0, -2.0, 3.0).unwrap();
    for n in [100, 1000, 10_000, 100_000] {
        let x = sample(&t, n, 1);
        let start = std::time::Instant::now();
        let d = log_concave_mle(&x, None).unwrap();
        let mean = x.iter().sum::<f64>() / n as f64;
        println!(
            "n {n} knots {} mean err {:e} time {:?}",
            d.knots().len(),
            d.mean() - mean,
            start.elapsed()
        );
    }
}
