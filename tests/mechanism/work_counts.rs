//! Issue 10: the work the solver does, pinned on fixed reference markets
//! (so that a wrong Newton slope or a lost warm start fails a test even
//! when the answer stays right), construction in O(1) for built-in
//! families, warm-started and parallel frontiers equal to independent
//! solves, and the same numbers on every thread count.

use crate::common::generator;
use exchange_design::mechanism::DirectMechanism;

use exchange_design::benchmarks::{Frontier, FrontierConfig};
use exchange_design::distribution::{
    Beta, DensityBounds, EndowmentDistribution, HazardRatio, Mixture, PiecewiseLinear, Triangular,
    TruncatedNormal, Uniform,
};
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::{OptimalMechanism, SolverConfig};
use exchange_design::numerics::SCAN_POINTS;
use generator::{heterogeneous_spec, Supports};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn market(n: usize, supports: Supports) -> Market {
    heterogeneous_spec(n, 7, 0.0, supports).market().unwrap()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-300)
}

#[test]
fn built_in_families_are_validated_by_their_constructors() {
    let families: Vec<Box<dyn EndowmentDistribution>> = vec![
        Box::new(Uniform::new(-1.0, 1.0).unwrap()),
        Box::new(TruncatedNormal::new(0.0, 1.0, -1.0, 1.0).unwrap()),
        Box::new(Beta::new(2.0, 3.0, 0.0, 1.0).unwrap()),
        Box::new(Triangular::new(-1.0, 0.0, 1.0).unwrap()),
        Box::new(PiecewiseLinear::new(vec![0.0, 1.0, 2.0], vec![1.0, 2.0, 1.0]).unwrap()),
    ];
    assert!(families.iter().all(|d| d.validated_by_construction()));
}

/// Uniform on [0, 1], counting its density evaluations.
#[derive(Debug)]
struct Counting(Arc<AtomicUsize>);

impl EndowmentDistribution for Counting {
    fn support(&self) -> (f64, f64) {
        (0.0, 1.0)
    }
    fn cdf(&self, z: f64) -> f64 {
        z.clamp(0.0, 1.0)
    }
    fn pdf(&self, z: f64) -> f64 {
        self.0.fetch_add(1, Ordering::Relaxed);
        if (0.0..=1.0).contains(&z) {
            1.0
        } else {
            0.0
        }
    }
}

#[test]
fn user_types_still_get_the_validation_scan() {
    let calls = Arc::new(AtomicUsize::new(0));
    let d = Counting(calls.clone());
    assert!(!d.validated_by_construction());
    Market::new(vec![
        TraderClass::new(1.0, d, 1),
        TraderClass::new(1.0, Uniform::new(0.0, 1.0).unwrap(), 1),
    ])
    .unwrap();
    assert!(calls.load(Ordering::Relaxed) > SCAN_POINTS);
}

#[test]
fn outer_newton_takes_few_steps_and_none_from_the_answer() {
    // Heterogeneous truncated normals, budget slack at α = 0.5.
    let m = market(200, Supports::Centred);
    let cfg = SolverConfig::default();
    let cold = OptimalMechanism::solve(&m, 0.5).unwrap();
    assert!(!cold.budget_binding());
    // Newton from the aggregate of the first-best state converges
    // quadratically: a step or two, each certified by its residual.
    let outer = cold.status().outer_iterations;
    assert!((1..=3).contains(&outer), "{}", cold.status());
    // Started from its own answer, the outer residual certifies
    // convergence at once: one evaluation, no probe, no re-run.
    let again = OptimalMechanism::solve_warm(&m, 0.5, &cfg, &cold).unwrap();
    assert_eq!(again.status().outer_iterations, 1, "{}", again.status());
    assert!(rel(again.revenue(), cold.revenue()) < 1e-12);
    // From a neighbouring weight: no more than cold.
    let near = OptimalMechanism::solve(&m, 0.45).unwrap();
    let warm = OptimalMechanism::solve_warm(&m, 0.5, &cfg, &near).unwrap();
    assert!(warm.status().outer_iterations <= outer, "{}", warm.status());
    assert!(rel(warm.revenue(), cold.revenue()) < 1e-11);
    assert!(rel(warm.efficiency(), cold.efficiency()) < 1e-11);
}

/// A market found by `best_response`'s properties: a tabulated class with
/// a deep dip (ironed), a Beta class whose density vanishes at both ends
/// and a uniform one. Every trial of the budget search lands on the
/// surplus side, converging from above; an early version of the inverse
/// quadratic search counted those as slow progress, bisected to a weight of
/// 1e-151, and the Beta class's tails then lost their digits (see
/// `welfare::tests::a_tail_that_lost_its_digits_is_integrated_afresh`),
/// ending in a false `BudgetNotBalanced`.
#[test]
fn a_search_converging_from_one_side_is_not_cut_short() {
    let lo = 0.8166808838067471;
    let x = |t: f64| lo + 0.5 * t;
    let m = Market::new(vec![
        TraderClass::new(
            1.4933620654432604,
            Uniform::new(
                0.08961968559340278,
                0.08961968559340278 + 1.4994303897398558,
            )
            .unwrap(),
            2,
        ),
        TraderClass::new(
            3.309271099985738,
            PiecewiseLinear::new(
                vec![lo, x(0.07), x(0.15), x(0.23), x(1.0)],
                vec![1.0, 1.0, 0.01, 1.0, 1.0],
            )
            .unwrap(),
            1,
        ),
        TraderClass::new(
            4.0111818023242405,
            Beta::new(
                1.7179535799820047,
                3.8723620197819018,
                0.0,
                1.31967575407136,
            )
            .unwrap(),
            1,
        ),
    ])
    .unwrap();
    let mech = OptimalMechanism::solve(&m, 0.0).unwrap();
    let s = mech.status();
    let zero = crate::common::budget_allowance(&m);
    assert!(mech.budget_binding() && mech.revenue().abs() <= zero, "{s}");
    let cfg = SolverConfig::default();
    let below = OptimalMechanism::solve_unconstrained(&m, mech.beta() * 0.999, &cfg).unwrap();
    let above = OptimalMechanism::solve_unconstrained(&m, mech.beta() * 1.001, &cfg).unwrap();
    assert!(below.revenue() < -zero && above.revenue() > zero);
    // A handful of trials, no bisection (7: the regula falsi steps from
    // α and Brent's method in ln(β − α); the hand-made search before it
    // took 6).
    assert!(s.budget_iterations <= 7, "{s}");
}

#[test]
fn budget_search_takes_a_handful_of_trial_solves() {
    for n in [12usize, 100, 1_000] {
        let m = market(n, Supports::Offset);
        let mech = OptimalMechanism::solve(&m, 0.0).unwrap();
        let s = mech.status();
        assert!(mech.budget_binding(), "n = {n}");
        // It breaks even, to the budget tolerance.
        let zero = crate::common::budget_allowance(&m);
        assert!(mech.revenue().abs() <= zero, "n = {n}: {}", mech.revenue());
        // And the weight is the break-even one: revenue runs a deficit a
        // little below it and a surplus a little above (R increases).
        let cfg = SolverConfig::default();
        let below = OptimalMechanism::solve_unconstrained(&m, mech.beta() * 0.999, &cfg).unwrap();
        let above = OptimalMechanism::solve_unconstrained(&m, mech.beta() * 1.001, &cfg).unwrap();
        assert!(below.revenue() < -zero && above.revenue() > zero, "n = {n}");
        // The work: at most 5 trial solves (the bisection it replaced took
        // 60–70), each with at most 3 outer steps.
        assert!((1..=5).contains(&s.budget_iterations), "n = {n}: {s}");
        // Bounded (issue 10: tests bound the work): a worse first guess, a
        // lost secant step or a tighter break-even tolerance adds trials
        // while the answer stays right, and fails here. Measured: 4 trials
        // (8–10 outer steps) for n = 12 and 100; the hand-made search Brent's
        // method replaced took 3 for n = 100 and 1 000.
        assert!(
            s.budget_iterations <= 4 && s.outer_iterations <= 10,
            "n = {n}: {s}"
        );
        assert!(
            s.outer_iterations <= 3 * (s.budget_iterations + 1),
            "n = {n}: {s}"
        );
    }
}

#[test]
fn frontier_points_equal_independent_solves_and_reuse_neighbours() {
    let m = market(60, Supports::Centred);
    let f = Frontier::compute(&m, &FrontierConfig::default()).unwrap();
    let pts = f.points();
    assert!(pts.len() >= 20, "{}", pts.len());
    for p in pts {
        let solo = OptimalMechanism::solve(&m, p.alpha).unwrap();
        assert!(rel(p.efficiency, solo.efficiency()) < 1e-9, "{p:?}");
        assert!((p.revenue - solo.revenue()).abs() < 1e-9 * solo.efficiency().abs().max(1.0));
    }
    let w = f.work();
    assert_eq!(w.solves, pts.len());
    // Nine initial weights in chains of four start cold three times; every
    // other solve starts from a neighbour.
    assert_eq!(w.warm_started, w.solves - 3, "{w:?}");
    // Warm starts pay: fewer outer steps per point than cold solves.
    let cold: usize = pts
        .iter()
        .map(|p| {
            let s = OptimalMechanism::solve(&m, p.alpha).unwrap();
            s.status().outer_iterations
        })
        .sum();
    eprintln!("frontier work {w:?}, cold outer iterations {cold}");
    assert!(w.outer_iterations < cold, "{w:?} against {cold} cold");
}

#[cfg(feature = "parallel")]
#[test]
fn numbers_do_not_depend_on_the_thread_count() {
    let m = market(3_000, Supports::Centred);
    let solve_on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| OptimalMechanism::solve(&m, 0.5).unwrap())
    };
    let (a, b) = (solve_on(1), solve_on(2));
    assert!(rel(a.revenue(), b.revenue()) <= 1e-12);
    assert!(rel(a.efficiency(), b.efficiency()) <= 1e-12);
    for (x, y) in a.classes().iter().zip(b.classes()) {
        assert!(
            (x.virtual_value().eta() - y.virtual_value().eta()).abs()
                <= 1e-12 * x.virtual_value().eta().abs().max(1.0)
        );
    }
    let small = market(80, Supports::Offset);
    let frontier_on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| Frontier::compute(&small, &FrontierConfig::default()).unwrap())
    };
    let (f1, f2) = (frontier_on(1), frontier_on(2));
    assert_eq!(f1.points().len(), f2.points().len());
    for (p, q) in f1.points().iter().zip(f2.points()) {
        assert_eq!(p.alpha, q.alpha);
        assert!(rel(p.efficiency, q.efficiency) <= 1e-12);
        assert!((p.revenue - q.revenue).abs() <= 1e-12 * p.efficiency.abs().max(1.0));
    }
}

#[test]
fn frontier_example_prints_the_frontier_and_names_bad_fields() {
    let spec = r#"{"alpha": 0.3, "traders": [
        {"kappa": 0.5, "count": 4, "distribution": {"family": "uniform", "lo": -1, "hi": 1}}
    ]}"#;
    let out: serde_json::Value =
        serde_json::from_str(&crate::common::frontier_json(spec).unwrap()).unwrap();
    let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    let f = Frontier::compute(&m, &FrontierConfig::default()).unwrap();
    let points = out["points"].as_array().unwrap();
    assert_eq!(points.len(), f.points().len());
    for (p, q) in points.iter().zip(f.points()) {
        assert_eq!(p["alpha"].as_f64().unwrap(), q.alpha);
        assert_eq!(p["efficiency"].as_f64().unwrap(), q.efficiency);
        assert_eq!(p["revenue"].as_f64().unwrap(), q.revenue);
    }
    assert_eq!(
        out["first_best"]["efficiency"].as_f64().unwrap(),
        f.first_best().efficiency
    );
    let da = f.double_auction_with_fees().unwrap();
    assert_eq!(
        out["double_auction_with_fees"]["revenue"].as_f64().unwrap(),
        da.revenue
    );
    assert!(out["double_auction"].is_object());

    let bad = r#"{"alpha": 0.3, "traders": [
        {"kappa": -1, "count": 4, "distribution": {"family": "uniform", "lo": -1, "hi": 1}}
    ]}"#;
    let err = crate::common::frontier_json(bad).unwrap_err();
    assert!(err.starts_with("traders[0].kappa"), "{err}");
    let err =
        crate::common::frontier_json(r#"{"alpha": 0.3, "traders": [{"kappa": 1}]}"#).unwrap_err();
    assert!(err.contains("distribution"), "{err}");
}

#[test]
fn dense_newton_steps_are_pinned() {
    use exchange_design::mechanism::SolverVariant;
    // Damped Newton on the vector of levels, from the first-best levels:
    // quadratic convergence, a few full steps. A worse start or a wrong
    // Jacobian shows as more steps.
    let cfg = SolverConfig::default().with_variant(SolverVariant::DenseNewton);
    for (n, pinned) in [(12, 2), (60, 2)] {
        let m = market(n, Supports::Centred);
        let dense = OptimalMechanism::solve_with(&m, 0.5, &cfg).unwrap();
        let aggregate = OptimalMechanism::solve(&m, 0.5).unwrap();
        assert!(rel(dense.revenue(), aggregate.revenue()) < 1e-11);
        assert!(rel(dense.efficiency(), aggregate.efficiency()) < 1e-11);
        assert_eq!(
            dense.status().outer_iterations,
            pinned,
            "n = {n}: {}",
            dense.status()
        );
    }
}

/// What [`Tally`] counts apart: `F`, `1 − F` and `f`; density bounds; the
/// hazard ratios (`density_and_ratio`, `F/f`, `(1 − F)/f`); the rest
/// (partial moments and integrals, quantiles, `f'`, `f'/f`, `ln f`).
const GROUPS: [&str; 4] = ["cdf, sf, pdf", "density bounds", "hazard ratios", "other"];

/// A distribution that counts every evaluation of its inner one (each
/// method that computes something, the support and the flags aside) by
/// [`GROUPS`], and may declare it log-concave.
#[derive(Debug)]
struct Tally {
    inner: Arc<dyn EndowmentDistribution>,
    declared: bool,
    calls: Arc<[AtomicUsize; 4]>,
}

impl Tally {
    fn count(&self, group: usize) {
        self.calls[group].fetch_add(1, Ordering::Relaxed);
    }
}

impl EndowmentDistribution for Tally {
    fn support(&self) -> (f64, f64) {
        self.inner.support()
    }
    fn cdf(&self, z: f64) -> f64 {
        self.count(0);
        self.inner.cdf(z)
    }
    fn pdf(&self, z: f64) -> f64 {
        self.count(0);
        self.inner.pdf(z)
    }
    fn sf(&self, z: f64) -> f64 {
        self.count(0);
        self.inner.sf(z)
    }
    fn log_concave(&self) -> bool {
        self.declared || self.inner.log_concave()
    }
    fn kinks(&self) -> &[f64] {
        self.inner.kinks()
    }
    fn density_bounds(&self, a: f64, b: f64) -> Option<DensityBounds> {
        self.count(1);
        self.inner.density_bounds(a, b)
    }
    fn pdf_log_derivative_bounds(&self, a: f64, b: f64) -> Option<(f64, f64)> {
        self.count(1);
        self.inner.pdf_log_derivative_bounds(a, b)
    }
    fn pdf_derivative(&self, z: f64) -> f64 {
        self.count(3);
        self.inner.pdf_derivative(z)
    }
    fn partial_moment(&self, a: f64) -> f64 {
        self.count(3);
        self.inner.partial_moment(a)
    }
    fn mean(&self) -> f64 {
        self.inner.mean()
    }
    fn second_moment(&self) -> f64 {
        self.inner.second_moment()
    }
    fn variance(&self) -> f64 {
        self.inner.variance()
    }
    fn cdf_integral(&self, a: f64) -> f64 {
        self.count(3);
        self.inner.cdf_integral(a)
    }
    fn sf_integral(&self, a: f64) -> f64 {
        self.count(3);
        self.inner.sf_integral(a)
    }
    fn quantile(&self, u: f64) -> f64 {
        self.count(3);
        self.inner.quantile(u)
    }
    fn validated_by_construction(&self) -> bool {
        self.inner.validated_by_construction()
    }
    fn pdf_log_derivative(&self, z: f64) -> f64 {
        self.count(3);
        self.inner.pdf_log_derivative(z)
    }
    fn ln_pdf(&self, z: f64) -> f64 {
        self.count(3);
        self.inner.ln_pdf(z)
    }
    fn density_and_ratio(&self, z: f64, which: HazardRatio) -> (f64, f64, f64) {
        self.count(2);
        self.inner.density_and_ratio(z, which)
    }
    fn cdf_pdf_ratio(&self, z: f64) -> f64 {
        self.count(2);
        self.inner.cdf_pdf_ratio(z)
    }
    fn sf_pdf_ratio(&self, z: f64) -> f64 {
        self.count(2);
        self.inner.sf_pdf_ratio(z)
    }
}

/// Distribution evaluations per class of a solve at `α = 1` of `n`
/// single-trader classes with distinct κ on `[−1, 1]`, each class's
/// endowment from `family(i)` (the markets of `benches/ironing.rs`).
/// Per [`GROUPS`] and in all (the last).
fn evaluations_per_class(
    n: usize,
    declared: bool,
    family: impl Fn(f64) -> Arc<dyn EndowmentDistribution>,
) -> [f64; 5] {
    let calls: Arc<[AtomicUsize; 4]> = Arc::new(Default::default());
    let classes = (0..n)
        .map(|i| {
            let t = (i as f64 + 0.5) / n as f64;
            let kappa = 0.5 + 1.5 * (7.0 * t).fract();
            let centre = -0.3 + 0.6 * (3.0 * t).fract();
            let d = Tally {
                inner: family(centre),
                declared,
                calls: calls.clone(),
            };
            TraderClass::new(kappa, d, 1)
        })
        .collect();
    let market = Market::new(classes).unwrap();
    let before: Vec<usize> = calls.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    OptimalMechanism::solve(&market, 1.0).unwrap();
    let mut out = [0.0; 5];
    for (k, c) in calls.iter().enumerate() {
        out[k] = (c.load(Ordering::Relaxed) - before[k]) as f64 / n as f64;
        out[4] += out[k];
    }
    out
}

fn normal(mu: f64, sigma: f64) -> Arc<dyn EndowmentDistribution> {
    Arc::new(TruncatedNormal::new(mu, sigma, -1.0, 1.0).unwrap())
}

/// Two truncated normals at `mu ∓ gap/2` with scale `sigma`.
fn two_modes(mu: f64, gap: f64, sigma: f64) -> Arc<dyn EndowmentDistribution> {
    Arc::new(
        Mixture::new(vec![
            (1.0, normal(mu - 0.5 * gap, sigma)),
            (1.0, normal(mu + 0.5 * gap, sigma)),
        ])
        .unwrap(),
    )
}

/// Upper bounds on what a mixture costs in evaluations of its density,
/// beside a truncated normal (issue 19's cost targets; `docs/performance.md`
/// has the times and this test's breakdown, printed with `--nocapture`). A
/// mixture shown log-concave at construction (two normals of one scale
/// with means 0.4 apart, 0.8 σ) is evaluated as often as a truncated
/// normal: what it costs beyond one is the price of each evaluation (two
/// components), not their number; so is the regular mixture below when a
/// wrapper declares it log-concave (it is regular here, not log-concave:
/// the declaration only skips the check). The ironing check of a regular mixture that is not shown
/// log-concave (a normal and a uniform), certified on its first mesh, adds
/// less than the solve itself; an ironed mixture (modes 1 apart,
/// σ = 0.15) needs under five times the truncated normal's evaluations, its
/// far tails certified on the first mesh by the bounds on `f'/f` (counted
/// with the density bounds) and its polished pools not settled again by
/// the join. (Measured on 2026-12-07, per class of this market, with the
/// two normals 0.4 apart as the regular mixture: 160, 159, 294 and 1 241;
/// then with the certificate from `f'/f` and the settled pools' ends at
/// their final level, 161, 160, 295 and 863; then with the polished pools'
/// ends at their final level, 778 for the ironed mixture.)
#[test]
fn a_mixture_costs_evaluations_within_bounds_of_a_truncated_normal() {
    let n = 20;
    let rows = [
        (
            "truncated normal",
            evaluations_per_class(n, false, |mu| normal(mu, 0.5)),
        ),
        (
            "mixture, declared",
            evaluations_per_class(n, true, |mu| with_uniform(mu)),
        ),
        (
            "mixture, log-concave",
            evaluations_per_class(n, false, |mu| two_modes(mu, 0.4, 0.5)),
        ),
        (
            "mixture, regular",
            evaluations_per_class(n, false, |mu| with_uniform(mu)),
        ),
        (
            "mixture, ironed",
            evaluations_per_class(n, false, |mu| two_modes(mu, 1.0, 0.15)),
        ),
    ];
    let mut report = format!(
        "evaluations per class, {n} classes: {GROUPS:?}, all
"
    );
    for (name, counts) in &rows {
        report += &format!(
            "  {name:20} {counts:?}
"
        );
    }
    println!("{report}");
    let [normal_count, declared, shown, regular, ironed] = rows.map(|(_, c)| c[4]);
    assert!(declared <= 1.05 * normal_count, "{report}");
    assert!(shown <= 1.05 * normal_count, "{report}");
    assert!(regular <= 2.0 * declared, "{report}");
    assert!(ironed <= 5.0 * normal_count, "{report}");
}

/// A normal at `mu` (σ = 0.5) with a uniform beside it on [−1, 1], two to
/// one: regular, but not shown log-concave (a uniform's log-density has
/// no curvature to absorb the slopes' spread).
fn with_uniform(mu: f64) -> Arc<dyn EndowmentDistribution> {
    Arc::new(
        Mixture::new(vec![
            (2.0, normal(mu, 0.5)),
            (1.0, Arc::new(Uniform::new(-1.0, 1.0).unwrap())),
        ])
        .unwrap(),
    )
}

/// A distribution that counts the calls of its `ln_pdf`.
#[derive(Debug)]
struct LogDensityCalls {
    inner: Arc<dyn EndowmentDistribution>,
    calls: Arc<AtomicUsize>,
}

impl EndowmentDistribution for LogDensityCalls {
    fn support(&self) -> (f64, f64) {
        self.inner.support()
    }
    fn cdf(&self, z: f64) -> f64 {
        self.inner.cdf(z)
    }
    fn pdf(&self, z: f64) -> f64 {
        self.inner.pdf(z)
    }
    fn sf(&self, z: f64) -> f64 {
        self.inner.sf(z)
    }
    fn log_concave(&self) -> bool {
        self.inner.log_concave()
    }
    fn log_concavity(&self) -> Option<f64> {
        self.inner.log_concavity()
    }
    fn density_bounds(&self, a: f64, b: f64) -> Option<DensityBounds> {
        self.inner.density_bounds(a, b)
    }
    fn pdf_log_derivative_bounds(&self, a: f64, b: f64) -> Option<(f64, f64)> {
        self.inner.pdf_log_derivative_bounds(a, b)
    }
    fn pdf_derivative(&self, z: f64) -> f64 {
        self.inner.pdf_derivative(z)
    }
    fn partial_moment(&self, a: f64) -> f64 {
        self.inner.partial_moment(a)
    }
    fn mean(&self) -> f64 {
        self.inner.mean()
    }
    fn second_moment(&self) -> f64 {
        self.inner.second_moment()
    }
    fn variance(&self) -> f64 {
        self.inner.variance()
    }
    fn cdf_integral(&self, a: f64) -> f64 {
        self.inner.cdf_integral(a)
    }
    fn sf_integral(&self, a: f64) -> f64 {
        self.inner.sf_integral(a)
    }
    fn quantile(&self, u: f64) -> f64 {
        self.inner.quantile(u)
    }
    fn validated_by_construction(&self) -> bool {
        self.inner.validated_by_construction()
    }
    fn pdf_log_derivative(&self, z: f64) -> f64 {
        self.inner.pdf_log_derivative(z)
    }
    fn ln_pdf(&self, z: f64) -> f64 {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.ln_pdf(z)
    }
    fn pdf_and_tail(&self, z: f64, which: HazardRatio) -> (f64, f64) {
        self.inner.pdf_and_tail(z, which)
    }
}

/// Every Newton step on a class's raw virtual type needs its hazard ratio
/// and `f'/f`. A mixture forms both from one pass over its components
/// (`ratio_and_log_slope`); taken apart, `f'/f` averages the components'
/// slopes in logarithms, one `ln_pdf` of each component per step. In a
/// solve of two-normal classes (shown log-concave, nothing ironed, no
/// density anywhere near underflow) the components' log-densities are
/// then never needed. (Measured on 2026-12-07, 20 classes: 0 calls a
/// class; 73 with the mixture's two methods called apart.)
#[test]
fn a_mixtures_newton_steps_take_no_log_density() {
    let n = 20;
    let calls = Arc::new(AtomicUsize::new(0));
    let part = |mu: f64| -> Arc<dyn EndowmentDistribution> {
        Arc::new(LogDensityCalls {
            inner: normal(mu, 0.5),
            calls: calls.clone(),
        })
    };
    let classes = (0..n)
        .map(|i| {
            let t = (i as f64 + 0.5) / n as f64;
            let kappa = 0.5 + 1.5 * (7.0 * t).fract();
            let centre = -0.3 + 0.6 * (3.0 * t).fract();
            let d =
                Mixture::new(vec![(1.0, part(centre - 0.2)), (1.0, part(centre + 0.2))]).unwrap();
            assert!(d.log_concave());
            TraderClass::new(kappa, d, 1)
        })
        .collect();
    let market = Market::new(classes).unwrap();
    let before = calls.load(Ordering::Relaxed);
    OptimalMechanism::solve(&market, 1.0).unwrap();
    let per_class = (calls.load(Ordering::Relaxed) - before) as f64 / n as f64;
    println!("components' ln_pdf calls per class: {per_class}");
    assert!(per_class <= 10.0, "{per_class} calls of ln_pdf a class");
}
