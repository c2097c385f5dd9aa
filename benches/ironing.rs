//! Criterion benches of ironing: what a non-regular class costs.
//!
//! Every market has `N` single-trader classes with distinct κ and a
//! tabulated density on [−1, 1] (the form an estimated density takes), so
//! none is skipped as log-concave; the timed work is what the user waits
//! for, market construction included, at α = 1 (the weight at which the
//! virtual types are steepest):
//!
//! * `ironing/regular/<N>`: smooth one-bump tables: every class is scanned
//!   and found regular (the plain clamp);
//! * `ironing/ironed/<N>`: the same tables with two dips: every class is
//!   scanned and ironed;
//! * `ironing/log_concave/<N>`: truncated normals, which skip the scan.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use exchange_design::distribution::{PiecewiseLinear, TruncatedNormal};
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::OptimalMechanism;
use std::hint::black_box;
use std::time::Duration;

fn kappa(i: usize, n: usize) -> f64 {
    let t = (i as f64 + 0.5) / n as f64;
    0.5 + 1.5 * ((7.0 * t).fract())
}

/// A table on [−1, 1] with a bump at `mu`; with `dip`, two dips of depth
/// 0.03 near ±0.7.
fn table(mu: f64, dip: bool) -> PiecewiseLinear {
    let z = vec![-1.0, -0.8, -0.7, -0.6, 0.0, 0.6, 0.7, 0.8, 1.0];
    let f = z
        .iter()
        .map(|&x: &f64| {
            let base = 1.0 + 0.5 * (-(x - mu) * (x - mu) * 2.0).exp();
            if dip && (x.abs() - 0.7).abs() < 1e-12 {
                0.03
            } else {
                base
            }
        })
        .collect();
    PiecewiseLinear::new(z, f).unwrap()
}

fn tables(n: usize, dip: bool) -> Market {
    let classes = (0..n)
        .map(|i| {
            let mu = -0.3 + 0.6 * ((3.0 * (i as f64 + 0.5) / n as f64).fract());
            TraderClass::new(kappa(i, n), table(mu, dip), 1)
        })
        .collect();
    Market::new(classes).unwrap()
}

fn normals(n: usize) -> Market {
    let classes = (0..n)
        .map(|i| {
            let mu = -0.3 + 0.6 * ((3.0 * (i as f64 + 0.5) / n as f64).fract());
            TraderClass::new(
                kappa(i, n),
                TruncatedNormal::new(mu, 0.5, -1.0, 1.0).unwrap(),
                1,
            )
        })
        .collect();
    Market::new(classes).unwrap()
}

fn ironing(c: &mut Criterion) {
    let mut g = c.benchmark_group("ironing");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    for n in [5usize, 50, 500] {
        g.bench_with_input(BenchmarkId::new("regular", n), &n, |b, &n| {
            b.iter(|| black_box(OptimalMechanism::solve(&tables(n, false), 1.0).unwrap()))
        });
        g.bench_with_input(BenchmarkId::new("ironed", n), &n, |b, &n| {
            b.iter(|| black_box(OptimalMechanism::solve(&tables(n, true), 1.0).unwrap()))
        });
        g.bench_with_input(BenchmarkId::new("log_concave", n), &n, |b, &n| {
            b.iter(|| black_box(OptimalMechanism::solve(&normals(n), 1.0).unwrap()))
        });
    }
    g.finish();
}

criterion_group!(benches, ironing);
criterion_main!(benches);
