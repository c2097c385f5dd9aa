use exchange_design::distribution::{EndowmentDistribution, TruncatedNormal};
use exchange_design::estimation::{kde, Bandwidth};
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::OptimalMechanism;
use rand::{rngs::StdRng, RngExt, SeedableRng};
use std::sync::Arc;
#[test]
fn scratch() {
    let t = TruncatedNormal::new(0.0, 0.35, -2.0, 2.0).unwrap();
    for (n, sup) in [(1000, Some((-2.0, 2.0))), (1000, None), (10000, None)] {
        let mut rng = StdRng::seed_from_u64(1);
        let x: Vec<f64> = (0..n).map(|_| t.quantile(rng.random::<f64>())).collect();
        let d = kde(&x, sup, Bandwidth::ImprovedSheatherJones).unwrap();
        println!("grid {}", d.grid().len());
        let m = Market::new(vec![TraderClass::from_shared(1.0, Arc::new(d), 10)]).unwrap();
        let s = std::time::Instant::now();
        let mech = OptimalMechanism::solve(&m, 0.5).unwrap();
        println!("n {n} {sup:?} solve {:?} rev {} pools {}", s.elapsed(), mech.revenue(), mech.class(0).ironed_intervals().len());
    }
}
