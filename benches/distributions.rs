//! Criterion benches of the distribution families' hot methods.
//!
//! `distributions/<family>/<method>` times `cdf`, `partial_moment` and
//! `quantile` for each built-in family: Uniform, TruncatedNormal, Beta,
//! Triangular, a PiecewiseLinear table of 50 nodes, a Mixture of two
//! truncated normals and a LogConcave table of 50 knots. Each iteration
//! evaluates the method at 64 points spread over the support (or over
//! `(0, 1)` for the quantile), so the figures are per 64 calls; every input
//! and result goes through `black_box`.
//!
//! The same groups time what the solver asks at every step: `cdf_integral`
//! and `sf_integral` (the level equations, per class and step),
//! `newton_step` (a hazard ratio and `f'/f` from `ratio_and_log_slope`,
//! every Newton step on a raw virtual type), `newton_step_apart` (the same
//! two from the separate `sf_pdf_ratio` and `pdf_log_derivative`, what a
//! family without the combined method costs) and `welfare_node`
//! (`density_and_ratio`, every node of the welfare moments' quadrature).
//!
//! `distributions/exp/{std,libm}` compares the two exponentials the
//! truncated normal could use.
//!
//! Run with `cargo bench --bench distributions`.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use exchange_design::distribution::{
    Beta, EndowmentDistribution, HazardRatio, LogConcave, Mixture, PiecewiseLinear, Triangular,
    TruncatedNormal, Uniform,
};
use std::hint::black_box;
use std::sync::Arc;

/// Points per iteration.
const POINTS: usize = 64;

/// A smooth, skewed bump tabulated at 50 irregular nodes on `[−1, 1]`.
fn tabulated() -> PiecewiseLinear {
    let n = 50;
    let z: Vec<f64> = (0..n)
        .map(|k| {
            let t = k as f64 / (n - 1) as f64;
            -1.0 + 2.0 * t + 0.02 * (9.0 * t).sin() * t * (1.0 - t)
        })
        .collect();
    let d: Vec<f64> = z
        .iter()
        .map(|&x: &f64| (0.2 + (1.0 - x * x)) * (1.0 + 0.4 * x))
        .collect();
    PiecewiseLinear::new(z, d).expect("valid table")
}

fn families() -> Vec<(&'static str, Box<dyn EndowmentDistribution>)> {
    vec![
        ("uniform", Box::new(Uniform::new(-1.0, 1.0).unwrap())),
        (
            "truncated_normal",
            Box::new(TruncatedNormal::new(0.1, 0.5, -1.0, 1.0).unwrap()),
        ),
        ("beta", Box::new(Beta::new(2.0, 3.5, -1.0, 1.0).unwrap())),
        (
            "triangular",
            Box::new(Triangular::new(-1.0, 0.2, 1.0).unwrap()),
        ),
        ("piecewise_linear_50", Box::new(tabulated())),
        ("two_normals", Box::new(two_normals())),
        ("log_concave_50", Box::new(log_concave())),
    ]
}

/// Two truncated normals on `[−1, 1]` (σ = 0.5, means 0.4 apart), as in
/// the ironing bench's `mixture_log_concave`.
fn two_normals() -> Mixture {
    let part = |mu: f64| {
        Arc::new(TruncatedNormal::new(mu, 0.5, -1.0, 1.0).unwrap())
            as Arc<dyn EndowmentDistribution>
    };
    Mixture::new(vec![(1.0, part(-0.1)), (1.0, part(0.3))]).expect("valid mixture")
}

/// A concave log-density at 50 knots on `[−1, 1]`.
fn log_concave() -> LogConcave {
    let z: Vec<f64> = (0..50).map(|k| -1.0 + 2.0 * k as f64 / 49.0).collect();
    let phi = z.iter().map(|&x| -2.0 * (x - 0.1) * (x - 0.1)).collect();
    LogConcave::new(z, phi).expect("valid log-concave table")
}

/// `POINTS` points strictly inside `(a, b)`.
fn spread(a: f64, b: f64) -> Vec<f64> {
    (0..POINTS)
        .map(|k| a + (b - a) * (k as f64 + 0.5) / POINTS as f64)
        .collect()
}

/// Times `f` over `points` as one iteration, every input and result
/// through `black_box`.
fn over_points<R>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    points: &[f64],
    f: impl Fn(f64) -> R,
) {
    group.bench_function(name, |b| {
        b.iter(|| {
            for &z in points {
                black_box(f(black_box(z)));
            }
        })
    });
}

fn bench_distributions(c: &mut Criterion) {
    for (name, d) in families() {
        let d = d.as_ref();
        let (lo, hi) = d.support();
        let zs = spread(lo, hi);
        let us = spread(0.0, 1.0);
        let mut group = c.benchmark_group(format!("distributions/{name}"));
        over_points(&mut group, "cdf", &zs, |z| d.cdf(z));
        over_points(&mut group, "partial_moment", &zs, |z| d.partial_moment(z));
        over_points(&mut group, "quantile", &us, |u| d.quantile(u));
        over_points(&mut group, "cdf_integral", &zs, |z| d.cdf_integral(z));
        over_points(&mut group, "sf_integral", &zs, |z| d.sf_integral(z));
        over_points(&mut group, "newton_step", &zs, |z| {
            d.ratio_and_log_slope(z, HazardRatio::SfOverPdf)
        });
        over_points(&mut group, "newton_step_apart", &zs, |z| {
            (d.sf_pdf_ratio(z), d.pdf_log_derivative(z))
        });
        over_points(&mut group, "welfare_node", &zs, |z| {
            d.density_and_ratio(z, HazardRatio::CdfOverPdf)
        });
        group.finish();
    }
}

/// `distributions/exp/{std,libm}`: the exponential the truncated normal
/// uses, `f64::exp` (the platform's libm) against the `libm` crate's
/// software `exp`, over the arguments `−x²/2` of the density on
/// `[−8, 8]` (64 per iteration).
fn bench_exp(c: &mut Criterion) {
    let xs: Vec<f64> = spread(-8.0, 8.0).iter().map(|x| -0.5 * x * x).collect();
    let mut group = c.benchmark_group("distributions/exp");
    group.bench_function("std", |b| {
        b.iter(|| {
            for &x in &xs {
                black_box(black_box(x).exp());
            }
        })
    });
    group.bench_function("libm", |b| {
        b.iter(|| {
            for &x in &xs {
                black_box(libm::exp(black_box(x)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_distributions, bench_exp);
criterion_main!(benches);
