//! Criterion benches of the solver variants.
//!
//! * `solve/<variant>/<N>`: every variant on a heterogeneous market of `N`
//!   single-trader classes (distinct κ and truncated-normal parameters) at
//!   α = 0.5, for N ∈ {5, 50, 500}; the dense variants stop at 500 (their
//!   LU is O(N³) per step). The uniform-linear variant runs on the uniform
//!   market of the same κ.
//! * `solve/aggregate/<N>` also at 1 000, 5 000, 10 000, 50 000 and 100 000
//!   traders, for the time-per-trader table in `docs/performance.md`.
//! * `solve/inner/<method>`: the aggregate solver with Newton or Brent inner roots.
//! * `solve/identical/<count>`: one class of `count` identical traders.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use exchange_design::distribution::{TruncatedNormal, Uniform};
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::{OptimalMechanism, SolverConfig, SolverVariant};
use exchange_design::numerics::RootMethod;
use std::hint::black_box;
use std::time::Duration;

/// `n` single-trader classes with distinct κ ∈ [0.5, 2] and truncated-normal
/// endowments on [−1, 1] with distinct means and spreads.
fn heterogeneous(n: usize) -> Market {
    let classes = (0..n)
        .map(|i| {
            let t = (i as f64 + 0.5) / n as f64;
            let kappa = 0.5 + 1.5 * ((7.0 * t).fract());
            let mu = -0.3 + 0.6 * ((3.0 * t).fract());
            let sigma = 0.3 + 0.5 * ((5.0 * t).fract());
            TraderClass::new(
                kappa,
                TruncatedNormal::new(mu, sigma, -1.0, 1.0).unwrap(),
                1,
            )
        })
        .collect();
    Market::new(classes).unwrap()
}

/// The same κ with uniform endowments on [−1, 1].
fn uniform(n: usize) -> Market {
    let classes = (0..n)
        .map(|i| {
            let t = (i as f64 + 0.5) / n as f64;
            let kappa = 0.5 + 1.5 * ((7.0 * t).fract());
            TraderClass::new(kappa, Uniform::new(-1.0, 1.0).unwrap(), 1)
        })
        .collect();
    Market::new(classes).unwrap()
}

fn config(variant: SolverVariant) -> SolverConfig {
    SolverConfig::default().with_variant(variant)
}

fn variants(c: &mut Criterion) {
    let mut g = c.benchmark_group("solve");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    for n in [5usize, 50, 500] {
        let het = heterogeneous(n);
        let uni = uniform(n);
        g.bench_with_input(BenchmarkId::new("aggregate", n), &het, |b, m| {
            b.iter(|| {
                OptimalMechanism::solve_with(black_box(m), 0.5, &config(SolverVariant::Aggregate))
                    .unwrap()
            })
        });
        g.bench_with_input(BenchmarkId::new("dense_newton", n), &het, |b, m| {
            b.iter(|| {
                OptimalMechanism::solve_with(black_box(m), 0.5, &config(SolverVariant::DenseNewton))
                    .unwrap()
            })
        });
        g.bench_with_input(BenchmarkId::new("aggregate_uniform", n), &uni, |b, m| {
            b.iter(|| {
                OptimalMechanism::solve_with(black_box(m), 0.5, &config(SolverVariant::Aggregate))
                    .unwrap()
            })
        });
        g.bench_with_input(BenchmarkId::new("uniform_linear", n), &uni, |b, m| {
            b.iter(|| {
                OptimalMechanism::solve_with(
                    black_box(m),
                    0.5,
                    &config(SolverVariant::UniformLinear),
                )
                .unwrap()
            })
        });
    }
    for n in [1_000usize, 5_000, 10_000, 50_000, 100_000] {
        let het = heterogeneous(n);
        g.bench_with_input(BenchmarkId::new("aggregate", n), &het, |b, m| {
            b.iter(|| OptimalMechanism::solve(black_box(m), 0.5).unwrap())
        });
    }
    g.finish();
}

fn inner_roots(c: &mut Criterion) {
    let mut g = c.benchmark_group("solve/inner");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    let het = heterogeneous(1_000);
    for (name, inner) in [("newton", RootMethod::Newton), ("brent", RootMethod::Brent)] {
        let cfg = SolverConfig::default().with_inner(inner);
        g.bench_function(name, |b| {
            b.iter(|| OptimalMechanism::solve_with(black_box(&het), 0.5, &cfg).unwrap())
        });
    }
    g.finish();
}

fn identical(c: &mut Criterion) {
    let mut g = c.benchmark_group("solve/identical");
    g.sample_size(20);
    for count in [1u64, 1_000_000] {
        let m = Market::new(vec![
            TraderClass::new(
                0.5,
                TruncatedNormal::new(0.1, 0.5, -1.0, 1.0).unwrap(),
                count,
            ),
            TraderClass::new(1.0, Uniform::new(-1.0, 1.0).unwrap(), 1),
        ])
        .unwrap();
        g.bench_with_input(BenchmarkId::from_parameter(count), &m, |b, m| {
            b.iter(|| OptimalMechanism::solve(black_box(m), 0.5).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, variants, inner_roots, identical);
criterion_main!(benches);
