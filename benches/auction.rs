//! Criterion benches of the double auction with side payments (Theorem 2).
//!
//! * `auction/clear_and_settle/<N>`: one auction under the equilibrium
//!   schedules (closed-form clearing, then every trader's side payment) in a
//!   market of `N` traders in four heterogeneous classes, N ∈ {10, 1 000,
//!   100 000}.
//! * `auction/clear_only/<N>`: the clearing price alone (linear closed form
//!   and the general bracketing search on the same schedules).
//! * `auction/simulate/<N>`: 1 000 simulated auctions (sampling included),
//!   reported as auctions per second, for N ∈ {4, 40}.
//! * `auction/design/<what>/<at>`: from the market to the side payments
//!   (`side_payments`: solve, then `SidePayments::new`) or to Lemma 1
//!   checked (`lemma_1`: solve, then `check_feasibility`), each from
//!   scratch as a user waits for it (the market built, and the
//!   hazard-ratio tables a mechanism builds at its first query,
//!   included), on the four-class market of ten
//!   traders (`near_zero`) and the same market moved up by 5 000
//!   (`far_from_zero`), where the integrals' accuracy is judged against
//!   the types' spread, not their size.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use exchange_design::distribution::{Beta, Triangular, TruncatedNormal, Uniform};
use exchange_design::implementation::{
    clear, ClearingConfig, DoubleAuction, MonotoneSchedule, SidePayments, Simulation,
    SimulationConfig,
};
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::{check_feasibility, OptimalMechanism};
use std::hint::black_box;
use std::time::Duration;

/// `n ≥ 4` traders spread over four heterogeneous classes.
fn market(n: u64) -> Market {
    shifted(n, 0.0)
}

/// [`market`] with every type moved up by `by`.
fn shifted(n: u64, by: f64) -> Market {
    let count = |i: u64| n / 4 + u64::from(i < n % 4);
    Market::new(vec![
        TraderClass::new(0.5, Uniform::new(by - 1.0, by + 1.0).unwrap(), count(0)),
        TraderClass::new(
            1.0,
            Triangular::new(by - 1.0, by + 0.3, by + 1.0).unwrap(),
            count(1),
        ),
        TraderClass::new(
            2.0,
            TruncatedNormal::new(by + 0.3, 0.5, by - 0.7, by + 1.3).unwrap(),
            count(2),
        ),
        TraderClass::new(
            0.8,
            Beta::new(2.0, 3.0, by - 1.2, by + 0.8).unwrap(),
            count(3),
        ),
    ])
    .unwrap()
}

fn types(m: &Market) -> Vec<f64> {
    let mut out = Vec::new();
    let mut u = 0.1234_f64;
    for c in m.classes() {
        for _ in 0..c.count() {
            u = (u * 997.0 + 0.618).fract();
            out.push(c.distribution().quantile(u));
        }
    }
    out
}

fn bench_auction(c: &mut Criterion) {
    let mut group = c.benchmark_group("auction");
    group
        .measurement_time(Duration::from_secs(4))
        .sample_size(20);
    for n in [10u64, 1_000, 100_000] {
        let m = market(n);
        let mech = OptimalMechanism::solve(&m, 0.5).unwrap();
        let rules = SidePayments::new(&mech).unwrap();
        let auction = DoubleAuction::new(&rules);
        let z = types(&m);
        group.throughput(Throughput::Elements(z.len() as u64));
        group.bench_with_input(BenchmarkId::new("clear_and_settle", z.len()), &z, |b, z| {
            b.iter(|| black_box(auction.run_equilibrium(black_box(z)).unwrap().revenue()))
        });
        let schedules = auction.equilibrium_schedules(&z).unwrap();
        let cfg = ClearingConfig::default();
        group.bench_with_input(
            BenchmarkId::new("clear_only/linear", z.len()),
            &schedules,
            |b, s| b.iter(|| black_box(clear(black_box(s), &cfg).unwrap())),
        );
        let general: Vec<_> = schedules
            .iter()
            .map(|s| {
                let (a, w) = (s.intercept(), s.slope());
                MonotoneSchedule::new(move |p: f64| a - w * p)
            })
            .collect();
        group.bench_with_input(
            BenchmarkId::new("clear_only/general", z.len()),
            &general,
            |b, s| b.iter(|| black_box(clear(black_box(s), &cfg).unwrap())),
        );
    }
    group.finish();
}

fn bench_simulation(c: &mut Criterion) {
    let mut group = c.benchmark_group("auction/simulate");
    group
        .measurement_time(Duration::from_secs(6))
        .sample_size(10);
    for n in [4u64, 40] {
        let m = market(n);
        let mech = OptimalMechanism::solve(&m, 0.5).unwrap();
        let rules = SidePayments::new(&mech).unwrap();
        let cfg = SimulationConfig {
            auctions: 1_000,
            seed: 1,
            ..SimulationConfig::default()
        };
        group.throughput(Throughput::Elements(cfg.auctions));
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                black_box(
                    Simulation::new(&rules, cfg)
                        .unwrap()
                        .run()
                        .unwrap()
                        .revenue
                        .mean,
                )
            })
        });
    }
    group.finish();
}

fn bench_design(c: &mut Criterion) {
    let mut group = c.benchmark_group("auction/design");
    group
        .measurement_time(Duration::from_secs(4))
        .sample_size(20);
    for (at, by) in [("near_zero", 0.0), ("far_from_zero", 5_000.0)] {
        group.bench_function(BenchmarkId::new("side_payments", at), |b| {
            b.iter(|| {
                let m = shifted(10, black_box(by));
                let mech = OptimalMechanism::solve(&m, 0.5).unwrap();
                black_box(SidePayments::new(&mech).unwrap().n_traders())
            })
        });
        group.bench_function(BenchmarkId::new("lemma_1", at), |b| {
            b.iter(|| {
                let m = shifted(10, black_box(by));
                let mech = OptimalMechanism::solve(&m, 0.5).unwrap();
                check_feasibility(&mech).unwrap();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_auction, bench_simulation, bench_design);
criterion_main!(benches);
