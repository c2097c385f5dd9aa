//! The efficiency–revenue frontier and the paper's statements about
//! Example 1 (κ = 1/2, endowments U[−1, 1]) in Section 6 and its figures.

use exchange_design::benchmarks::{
    frontier_at_efficiency, BenchmarkError, Frontier, FrontierConfig, PlainDoubleAuction,
};
use exchange_design::distribution::Uniform;
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::DirectMechanism;
use exchange_design::mechanism::{FirstBest, OptimalMechanism};

fn example1(n: u64) -> Market {
    Market::symmetric(n, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap()
}

/// "Under the revenue maximal mechanism, the expected revenue per trader is
/// increasing in the number of traders and asymptotes at 1/6."
#[test]
fn revenue_maximal_revenue_per_trader_rises_towards_one_sixth() {
    let mut last = f64::NEG_INFINITY;
    for n in 3..=60u64 {
        let r = OptimalMechanism::solve(&example1(n), 1.0)
            .unwrap()
            .class(0)
            .revenue_per_trader();
        assert!(r > last, "N={n}: {r} ≤ {last}");
        assert!(r < 1.0 / 6.0);
        last = r;
    }
    assert!(1.0 / 6.0 - last < 3e-3);
}

/// "... under the revenue maximal mechanism [the holding cost] remains
/// strictly positive for each trader and asymptotes to 1/12."
/// In closed form it is 1/12 + 1/(4N): E[(Z − V)²] = 1/12,
/// E[(Z − V) V] = 1/24 and Var V = 1/6 with weight 1/N.
#[test]
fn revenue_maximal_holding_cost_falls_towards_one_twelfth() {
    let mut last = f64::INFINITY;
    for n in 3..=60u64 {
        let h = OptimalMechanism::solve(&example1(n), 1.0)
            .unwrap()
            .class(0)
            .holding_cost();
        let closed = 1.0 / 12.0 + 0.25 / n as f64;
        assert!((h - closed).abs() < 1e-12, "N={n}: {h} vs {closed}");
        assert!(h < last && h > 1.0 / 12.0);
        last = h;
    }
}

/// "... the double auction and first best are such that holding costs
/// eventually disappear"; the auction's fee revenue per trader vanishes
/// while its total rises to 1/3.
#[test]
fn auction_and_first_best_holding_costs_vanish() {
    let mut last_da = f64::INFINITY;
    for n in [3u64, 5, 10, 50, 200] {
        let m = example1(n);
        let da = PlainDoubleAuction::new(&m).unwrap();
        let fb = FirstBest::new(&m).unwrap();
        let hc_fb = -fb.efficiency() / n as f64;
        let hc_da = da.class(0).holding_cost();
        assert!((hc_fb - 1.0 / (3.0 * n as f64)).abs() < 1e-12);
        assert!(hc_da > hc_fb && hc_da < last_da);
        last_da = hc_da;
        let fees = da.with_maximal_fees();
        assert!((fees.revenue() - (n as f64 - 2.0) / (3.0 * (n as f64 - 1.0))).abs() < 1e-13);
    }
    assert!(last_da < 0.01);
}

/// "For the same level of allocative efficiency, there is another mechanism
/// which can obtain roughly twice the revenue" (N = 5).
#[test]
fn frontier_has_about_twice_the_auction_revenue_at_equal_efficiency() {
    let m = example1(5);
    let da = PlainDoubleAuction::new(&m).unwrap().with_maximal_fees();
    let best = frontier_at_efficiency(&m, da.efficiency()).unwrap();
    assert!((best.efficiency() - da.efficiency()).abs() < 1e-10);
    let ratio = best.revenue() / da.revenue();
    assert!((1.7..=2.3).contains(&ratio), "ratio {ratio}");
    assert!(best.alpha() > 0.0 && best.alpha() < 1.0);
}

#[test]
fn frontier_is_monotone_refined_and_bounded_by_its_ends() {
    let m = example1(5);
    let opts = FrontierConfig::default();
    let f = Frontier::compute(&m, &opts).unwrap();
    let pts = f.points();
    assert!(pts.len() > opts.initial_points, "no refinement happened");
    assert!(pts.len() <= opts.max_points);
    assert_eq!(pts[0].alpha, 0.0);
    assert_eq!(pts.last().unwrap().alpha, 1.0);
    // Ends: first best (which balances the budget in Example 1) and α = 1.
    let fb = f.first_best();
    assert!((pts[0].efficiency - fb.efficiency).abs() < 1e-12);
    assert!((pts[0].revenue - fb.revenue).abs() < 1e-12);
    let top = OptimalMechanism::solve(&m, 1.0).unwrap();
    assert!((pts.last().unwrap().revenue - top.revenue()).abs() < 1e-14);
    // Monotone: efficiency falls, revenue rises; concave as a curve R(A).
    for w in pts.windows(2) {
        assert!(w[1].alpha > w[0].alpha);
        assert!(w[1].efficiency <= w[0].efficiency + 1e-12);
        assert!(w[1].revenue >= w[0].revenue - 1e-12);
    }
    for w in pts.windows(3) {
        let (a, b, c) = (w[0], w[1], w[2]);
        if a.efficiency - c.efficiency > 1e-9 {
            let t = (a.efficiency - b.efficiency) / (a.efficiency - c.efficiency);
            let chord = a.revenue + t * (c.revenue - a.revenue);
            assert!(b.revenue >= chord - 1e-10, "not concave at α={}", b.alpha);
        }
    }
    // Adaptive: no gap longer than max_gap of the curve's diagonal.
    let (a0, a1) = (pts.last().unwrap().efficiency, pts[0].efficiency);
    let (r0, r1) = (pts[0].revenue, pts.last().unwrap().revenue);
    let diag = (a1 - a0).hypot(r1 - r0);
    for w in pts.windows(2) {
        let d = (w[1].efficiency - w[0].efficiency).hypot(w[1].revenue - w[0].revenue);
        assert!(
            d <= opts.max_gap * diag * (1.0 + 1e-9),
            "gap {d} at α={}",
            w[0].alpha
        );
    }
    // Every α-optimal point beats the auction's objective at that α.
    let da = f.double_auction().unwrap();
    let dafee = f.double_auction_with_fees().unwrap();
    assert_eq!(da.revenue, 0.0);
    assert_eq!(da.efficiency, dafee.efficiency);
    for p in pts {
        let obj = p.alpha * p.revenue + (1.0 - p.alpha) * p.efficiency;
        assert!(obj >= p.alpha * dafee.revenue + (1.0 - p.alpha) * dafee.efficiency - 1e-12);
    }
}

#[test]
fn frontier_options_and_targets_are_validated() {
    let m = example1(4);
    for (bad, field) in [
        (
            FrontierConfig {
                initial_points: 1,
                ..FrontierConfig::default()
            },
            "initial_points",
        ),
        (
            FrontierConfig {
                max_gap: 0.0,
                ..FrontierConfig::default()
            },
            "max_gap",
        ),
        (
            FrontierConfig {
                max_gap: f64::NAN,
                ..FrontierConfig::default()
            },
            "max_gap",
        ),
    ] {
        assert!(matches!(
            Frontier::compute(&m, &bad),
            Err(BenchmarkError::InvalidOption(p)) if p.name == field
        ));
    }
    let few = FrontierConfig {
        max_points: 3,
        ..FrontierConfig::default()
    };
    assert!(matches!(
        Frontier::compute(&m, &few),
        Err(BenchmarkError::MaxPointsBelowInitial { max_points: 3, .. })
    ));
    let fb = FirstBest::new(&m).unwrap();
    let err = frontier_at_efficiency(&m, fb.efficiency() + 0.1).unwrap_err();
    assert!(
        matches!(err, BenchmarkError::EfficiencyOutOfRange { .. }),
        "{err}"
    );
    assert!(frontier_at_efficiency(&m, -100.0).is_err());
    assert!(frontier_at_efficiency(&m, f64::NAN).is_err());
    // The ends are attained.
    let low = frontier_at_efficiency(&m, fb.efficiency()).unwrap();
    assert_eq!(low.alpha(), 0.0);
    let top = OptimalMechanism::solve(&m, 1.0).unwrap();
    assert_eq!(
        frontier_at_efficiency(&m, top.efficiency())
            .unwrap()
            .alpha(),
        1.0
    );
}

/// Two traders: no auction reference points, the frontier still exists.
/// A market whose first best runs a deficit: the low-α points coincide.
#[test]
fn frontier_without_auction_and_with_binding_budget() {
    let f = Frontier::compute(&example1(2), &FrontierConfig::default()).unwrap();
    assert!(f.double_auction().is_none() && f.double_auction_with_fees().is_none());
    let m = Market::new(vec![
        TraderClass::new(1.0, Uniform::new(-1.0, 1.0).unwrap(), 2),
        TraderClass::new(1.0, Uniform::new(0.0, 2.0).unwrap(), 2),
    ])
    .unwrap();
    let f = Frontier::compute(&m, &FrontierConfig::default()).unwrap();
    assert!(f.first_best().revenue < 0.0);
    let p0 = f.points()[0];
    assert!(p0.revenue.abs() < 1e-10, "budget binds at α = 0");
    assert!(p0.efficiency < f.first_best().efficiency);
    for p in f.points() {
        assert!(p.revenue >= -1e-10);
    }
}
