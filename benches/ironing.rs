//! Criterion benches of ironing: what a non-regular class costs.
//!
//! Every market has `N` single-trader classes with distinct κ; the timed
//! work is what the user waits for, market construction included, at α = 1
//! (the weight at which the virtual types are steepest). Compare the groups
//! as ratios within one run:
//!
//! * `ironing/log_concave/<N>`: truncated normals, which skip the ironing
//!   (the regular families' baseline);
//! * `ironing/tables_regular/<N>`: smooth one-bump tables, certified regular
//!   by their density bounds;
//! * `ironing/tables_ironed/<N>`: the same tables with two dips near ±0.7,
//!   every class ironed on both sides;
//! * `ironing/mixture_log_concave/<N>`: two overlapping truncated normals
//!   (σ = 0.5, means 0.4 apart), which the mixture shows log-concave at
//!   construction (one scale, means within 2σ), so the solver skips the
//!   ironing check: what is left is the price of evaluating two
//!   components;
//! * `ironing/mixture_regular/<N>`: a truncated normal (σ = 0.5) and a
//!   uniform on [−1, 1], two to one, which need no ironing but are not
//!   shown log-concave: the solver checks them;
//! * `ironing/mixture_declared/<N>`: the same normal and uniform behind a
//!   wrapper that declares them log-concave (they are not, but they are
//!   regular here, which the check confirms), so the solver skips the
//!   check; `mixture_regular / mixture_declared` is what the check costs;
//! * `ironing/mixture_ironed/<N>`: two well-separated modes (σ = 0.15, means
//!   1 apart), not regular on either side; at this weight every pool lies
//!   inside its class's binding interval, where the virtual value is the
//!   price whatever the ironed type, and the solve's screen shows it on
//!   the first mesh, so nothing is ironed (`docs/theory.md`, "Pools that
//!   cannot matter");
//! * `ironing/mixture_ironed_declared/<N>`: the same modes behind the
//!   declaring wrapper, so the solver skips the screen too; the mechanism
//!   is the same (the revenues agree to 1e-15):
//!   `mixture_ironed / mixture_ironed_declared` is what screening these
//!   classes costs, and `mixture_ironed_declared / log_concave` what
//!   evaluating their narrow two-component density costs;
//! * `ironing/mixture_cluster/<N>`: a truncated normal (σ = 0.5) with a
//!   cluster of 3 % of the traders (σ = 0.02) at 0.8 or −0.8, by turns:
//!   every class has a pool outside its binding interval (on the cluster's
//!   side), so there the ironing changes the mechanism.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use exchange_design::mechanism::OptimalMechanism;
use std::hint::black_box;
use std::time::Duration;

#[path = "../tests/common/ironing_markets.rs"]
mod ironing_markets;

use ironing_markets::{market, KINDS};

fn ironing(c: &mut Criterion) {
    let mut g = c.benchmark_group("ironing");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    for n in [10usize, 100] {
        for kind in KINDS {
            g.bench_with_input(BenchmarkId::new(kind, n), &n, |b, &n| {
                b.iter(|| black_box(OptimalMechanism::solve(&market(n, kind), 1.0).unwrap()))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, ironing);
criterion_main!(benches);
