//! Criterion benches of the deployment checks (issue 21).
//!
//! * `deployment/solve` and `deployment/assess`: a three-class market
//!   estimated by kernel density estimates from 10⁴ samples per class
//!   (one two-mode class, ironed), solved at α = 0.5; the assessment of the
//!   design under a shifted truth against a solve of the same market.
//!   Target: the assessment alone at most 2× a solve.
//! * `deployment/bootstrap_<method>`: the whole bootstrap of that market,
//!   `B` replicates (default 1 000; `DEPLOY_BENCH_REPLICATES` overrides),
//!   each resampling 10⁴ samples per class, re-estimating with `<method>`
//!   (`kde`, `log_concave`), re-solving and assessing the full-sample
//!   design. Target: ≤ 10 s on 2 cores.
//!
//! Run with `cargo bench --bench deployment` (the bootstrap groups take
//! about 10 × their time; `cargo bench --bench deployment -- assess` runs
//! the quick comparison only). The log-concave bootstrap costs about 2 s
//! of CPU per replicate since the smoothed estimate's 16 000-node table
//! (`docs/performance.md`), so at the default B it runs for hours: set
//! `DEPLOY_BENCH_REPLICATES` (20 takes a few minutes).

use criterion::{criterion_group, criterion_main, Criterion};
use exchange_design::deployment::{bootstrap, BootstrapConfig, Design, SampledClass};
use exchange_design::distribution::{EndowmentDistribution, Mixture, Triangular, TruncatedNormal};
use exchange_design::estimation::{estimate, Method};
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::OptimalMechanism;
use rand::{rngs::StdRng, RngExt, SeedableRng};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

type Dist = Arc<dyn EndowmentDistribution>;

const SAMPLES: usize = 10_000;

fn populations() -> Vec<Dist> {
    let n = |mu: f64, s: f64| -> Dist { Arc::new(TruncatedNormal::new(mu, s, -1.0, 1.0).unwrap()) };
    vec![
        Arc::new(Mixture::new(vec![(0.5, n(-0.45, 0.18)), (0.5, n(0.45, 0.18))]).unwrap()),
        n(0.1, 0.35),
        Arc::new(Triangular::new(-1.0, 0.3, 1.0).unwrap()),
    ]
}

fn classes(method: Method) -> Vec<SampledClass> {
    let mut rng = StdRng::seed_from_u64(2026);
    let kappas = [0.5, 1.0, 0.8];
    let counts = [3, 2, 2];
    populations()
        .iter()
        .enumerate()
        .map(|(k, d)| {
            let x = (0..SAMPLES)
                .map(|_| d.quantile(rng.random::<f64>()))
                .collect();
            SampledClass::new(kappas[k], counts[k], x, method, Some((-1.0, 1.0)))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let sampled = classes(Method::Kde);
    let dists: Vec<Dist> = sampled
        .iter()
        .map(|s| estimate(s.method, &s.samples, s.support).unwrap())
        .collect();
    let market = Market::new(
        sampled
            .iter()
            .zip(&dists)
            .map(|(s, d)| TraderClass::from_shared(s.kappa, Arc::clone(d), s.count))
            .collect(),
    )
    .unwrap();
    let design = Design::new(OptimalMechanism::solve(&market, 0.5).unwrap()).unwrap();
    let n = |mu: f64, s: f64| -> Dist { Arc::new(TruncatedNormal::new(mu, s, -1.0, 1.0).unwrap()) };
    let truth: Vec<Dist> = vec![
        Arc::new(Mixture::new(vec![(0.5, n(-0.35, 0.18)), (0.5, n(0.55, 0.18))]).unwrap()),
        n(-0.1, 0.35),
        Arc::new(Triangular::new(-1.0, 0.3, 1.0).unwrap()),
    ];
    let mut g = c.benchmark_group("deployment");
    g.sample_size(20);
    g.bench_function("solve", |b| {
        b.iter(|| OptimalMechanism::solve(black_box(&market), 0.5).unwrap())
    });
    g.bench_function("assess", |b| {
        b.iter(|| design.assess(black_box(&truth)).unwrap())
    });
    g.finish();

    let replicates = std::env::var("DEPLOY_BENCH_REPLICATES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let mut g = c.benchmark_group("deployment");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(1));
    g.warm_up_time(Duration::from_millis(1));
    for method in [Method::Kde, Method::LogConcave] {
        let sampled = classes(method);
        let config = BootstrapConfig {
            replicates,
            seed: 1,
            ..BootstrapConfig::default()
        };
        g.bench_function(format!("bootstrap_{}", method.name()), |b| {
            b.iter(|| {
                let out = bootstrap(black_box(&sampled), 0.5, &config, &|_, _| {}).unwrap();
                assert_eq!(out.failed_solves(), 0);
                out
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
