//! Consistency: the mechanism solved on an estimate approaches the one
//! solved on the true distribution as the sample grows.
//!
//! `error_table` (ignored; run with
//! `cargo test --release --test estimation consistency -- --ignored --nocapture`)
//! prints the table of `docs/estimation.md`.

use exchange_design::distribution::{EndowmentDistribution, Mixture, TruncatedNormal};
use exchange_design::estimation::{estimate, Method};
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::DirectMechanism;
use exchange_design::mechanism::OptimalMechanism;
use rand::{rngs::StdRng, RngExt, SeedableRng};
use std::sync::Arc;

const ALPHA: f64 = 0.5;
const SUPPORT: (f64, f64) = (-1.5, 1.5);

fn sample(d: &dyn EndowmentDistribution, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| d.quantile(rng.random::<f64>())).collect()
}

/// Revenue and efficiency of the α-optimal mechanism for 5 traders with
/// κ = 0.5 and endowments from `d`.
fn solve(d: Arc<dyn EndowmentDistribution>) -> (f64, f64) {
    let m = Market::new(vec![TraderClass::from_shared(0.5, d, 5)]).unwrap();
    let mech = OptimalMechanism::solve(&m, ALPHA).unwrap();
    (mech.revenue(), mech.efficiency())
}

fn normal() -> Arc<dyn EndowmentDistribution> {
    Arc::new(TruncatedNormal::new(0.1, 0.5, SUPPORT.0, SUPPORT.1).unwrap())
}

fn mixture() -> Arc<dyn EndowmentDistribution> {
    let a: Arc<dyn EndowmentDistribution> =
        Arc::new(TruncatedNormal::new(-0.5, 0.3, SUPPORT.0, SUPPORT.1).unwrap());
    let b: Arc<dyn EndowmentDistribution> =
        Arc::new(TruncatedNormal::new(0.6, 0.3, SUPPORT.0, SUPPORT.1).unwrap());
    Arc::new(Mixture::new(vec![(0.6, a), (0.4, b)]).unwrap())
}

/// Relative errors of revenue and efficiency on the estimate.
fn errors(
    truth: &Arc<dyn EndowmentDistribution>,
    method: Method,
    n: usize,
    seed: u64,
) -> (f64, f64) {
    let (r0, e0) = solve(truth.clone());
    let x = sample(truth.as_ref(), n, seed);
    let d = estimate(method, &x, Some(SUPPORT)).unwrap();
    let (r, e) = solve(d);
    (((r - r0) / r0).abs(), ((e - e0) / e0).abs())
}

/// At n = 10⁵ from a truncated normal, revenue and efficiency on each
/// consistent estimate are within 3 % of the truth's (measured for this
/// seed: 0.3–2.1 %, docs/estimation.md; the sampling error of the variance
/// alone is 0.45 % at this n, and efficiency moves with it).
#[test]
fn mechanism_on_the_estimate_is_close_at_1e5() {
    let truth = normal();
    for method in [Method::TruncatedNormal, Method::LogConcave, Method::Kde] {
        let (er, ee) = errors(&truth, method, 100_000, 1);
        assert!(
            er < 0.03 && ee < 0.03,
            "{}: revenue {er:e}, efficiency {ee:e}",
            method.name()
        );
    }
}

#[test]
#[ignore]
fn error_table() {
    println!("| truth | method | n | revenue rel. error | efficiency rel. error |");
    println!("| --- | --- | --- | --- | --- |");
    for (name, truth) in [
        ("truncated normal", normal()),
        ("two-component mixture", mixture()),
    ] {
        let (r0, e0) = solve(truth.clone());
        println!("| {name} (truth: revenue {r0:.6}, efficiency {e0:.6}) | | | | |");
        for method in [
            Method::TruncatedNormal,
            Method::Beta,
            Method::LogConcave,
            Method::Kde,
        ] {
            for n in [1_000, 10_000, 100_000] {
                let (er, ee) = errors(&truth, method, n, 1);
                println!("| {name} | {} | {n} | {er:.2e} | {ee:.2e} |", method.name());
            }
        }
    }
}
