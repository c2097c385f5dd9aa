//! Criterion benches of what a user waits for on large heterogeneous
//! markets (issue 10). Markets come from the seeded generator in
//! `tests/common/generator.rs` (every trader its own truncated-normal
//! class).
//!
//! * `scale/whole/<N>`: the whole `solve` example minus file I/O: parse
//!   the JSON spec, build the market, solve, first best, side payments,
//!   double auction, report, serialise. `scale/construction/<N>` (building
//!   the market from a parsed spec), `scale/validate_scan/<N>` (what the
//!   `validate` scan of every class would add) and `scale/solve/<N>` (the
//!   solve alone) give the shares.
//! * `scale/budget/<N>/{binding,unconstrained_at_beta_star}`: a
//!   budget-binding market (offset supports) at α = 0 against the
//!   unconstrained solve at its break-even weight β*.
//! * `scale/parallel/solve_100000/{threads_2,threads_1}` and
//!   `scale/parallel/frontier_1000/{threads_2,threads_1}`: the same work
//!   on a two-thread and a one-thread rayon pool (feature `parallel`).
//!
//! Run with `cargo bench --bench scale -- --warm-up-time 1 --measurement-time 3`.

#[path = "../tests/common/generator.rs"]
mod generator;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use exchange_design::distribution::validate;
use exchange_design::mechanism::{OptimalMechanism, SolverConfig};
use exchange_design::spec::Spec;
use generator::{heterogeneous_spec, Supports};
use std::hint::black_box;

/// The `solve` example's pipeline on a JSON text.
fn whole(text: &str) -> String {
    let spec: Spec = serde_json::from_str(text).unwrap();
    let report = spec.run().unwrap();
    serde_json::to_string_pretty(&report).unwrap()
}

fn whole_process(c: &mut Criterion) {
    let mut g = c.benchmark_group("scale");
    g.sample_size(10);
    for n in [1_000usize, 10_000] {
        let spec = heterogeneous_spec(n, 1, 0.5, Supports::Centred);
        let text = serde_json::to_string(&spec).unwrap();
        g.bench_with_input(BenchmarkId::new("whole", n), &text, |b, t| {
            b.iter(|| whole(black_box(t)))
        });
        g.bench_with_input(BenchmarkId::new("construction", n), &spec, |b, s| {
            b.iter(|| black_box(s).market().unwrap())
        });
        let market = spec.market().unwrap();
        g.bench_with_input(BenchmarkId::new("validate_scan", n), &market, |b, m| {
            b.iter(|| {
                for c in black_box(m).classes() {
                    validate(c.distribution()).unwrap();
                }
            })
        });
        g.bench_with_input(BenchmarkId::new("solve", n), &market, |b, m| {
            b.iter(|| OptimalMechanism::solve(black_box(m), 0.5).unwrap())
        });
    }
    g.finish();
}

fn budget(c: &mut Criterion) {
    let mut g = c.benchmark_group("scale/budget");
    g.sample_size(10);
    for n in [10usize, 100, 1_000, 10_000] {
        let market = heterogeneous_spec(n, 1, 0.0, Supports::Offset)
            .market()
            .unwrap();
        let mech = OptimalMechanism::solve(&market, 0.0).unwrap();
        assert!(mech.budget_binding());
        let beta = mech.beta();
        eprintln!("scale/budget/{n}: beta* = {beta:e}, {}", mech.status());
        g.bench_with_input(
            BenchmarkId::new(format!("{n}"), "binding"),
            &market,
            |b, m| b.iter(|| OptimalMechanism::solve(black_box(m), 0.0).unwrap()),
        );
        g.bench_with_input(
            BenchmarkId::new(format!("{n}"), "unconstrained_at_beta_star"),
            &market,
            |b, m| {
                b.iter(|| {
                    OptimalMechanism::solve_unconstrained(
                        black_box(m),
                        beta,
                        &SolverConfig::default(),
                    )
                    .unwrap()
                })
            },
        );
    }
    g.finish();
}

#[cfg(feature = "parallel")]
fn parallel(c: &mut Criterion) {
    use exchange_design::benchmarks::{Frontier, FrontierConfig};
    let pools = [
        (
            "threads_2",
            rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build()
                .unwrap(),
        ),
        (
            "threads_1",
            rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .unwrap(),
        ),
    ];
    let mut g = c.benchmark_group("scale/parallel");
    g.sample_size(10);
    let big = heterogeneous_spec(100_000, 1, 0.5, Supports::Centred)
        .market()
        .unwrap();
    let small = heterogeneous_spec(1_000, 1, 0.5, Supports::Centred)
        .market()
        .unwrap();
    for (name, pool) in &pools {
        g.bench_function(BenchmarkId::new("solve_100000", name), |b| {
            b.iter(|| pool.install(|| OptimalMechanism::solve(black_box(&big), 0.5).unwrap()))
        });
    }
    for (name, pool) in &pools {
        g.bench_function(BenchmarkId::new("frontier_1000", name), |b| {
            b.iter(|| {
                pool.install(|| {
                    Frontier::compute(black_box(&small), &FrontierConfig::default()).unwrap()
                })
            })
        });
    }
    g.finish();
}

#[cfg(not(feature = "parallel"))]
fn parallel(_: &mut Criterion) {}

criterion_group!(benches, whole_process, budget, parallel);
criterion_main!(benches);
