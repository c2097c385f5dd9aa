//! Criterion benches of the estimators: `estimation/<method>` fits 10⁵
//! seeded samples from a normal truncated to `[−2, 3]` (KDE with each
//! bandwidth rule, the log-concave MLE, the truncated-normal and Beta MLEs).
//! Target (issue 11): under 0.5 s per fit.
//!
//! Run with `cargo bench --bench estimation`.

use criterion::{criterion_group, criterion_main, Criterion};
use exchange_design::distribution::{EndowmentDistribution, TruncatedNormal};
use exchange_design::estimation::{
    fit_beta, fit_truncated_normal, kde, log_concave_mle, Bandwidth,
};
use rand::{rngs::StdRng, RngExt, SeedableRng};
use std::hint::black_box;

fn samples() -> Vec<f64> {
    let d = TruncatedNormal::new(0.3, 1.0, -2.0, 3.0).expect("valid");
    let mut rng = StdRng::seed_from_u64(1);
    (0..100_000)
        .map(|_| d.quantile(rng.random::<f64>()))
        .collect()
}

fn bench(c: &mut Criterion) {
    let x = samples();
    let support = (-2.0, 3.0);
    let mut g = c.benchmark_group("estimation");
    g.sample_size(10);
    g.bench_function("kde_isj", |b| {
        b.iter(|| {
            kde(
                black_box(&x),
                Some(support),
                Bandwidth::ImprovedSheatherJones,
            )
            .unwrap()
        })
    });
    g.bench_function("kde_silverman", |b| {
        b.iter(|| kde(black_box(&x), Some(support), Bandwidth::Silverman).unwrap())
    });
    g.bench_function("log_concave", |b| {
        b.iter(|| log_concave_mle(black_box(&x), Some(support)).unwrap())
    });
    g.bench_function("truncated_normal", |b| {
        b.iter(|| fit_truncated_normal(black_box(&x), support).unwrap())
    });
    g.bench_function("beta", |b| {
        b.iter(|| fit_beta(black_box(&x), support).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
