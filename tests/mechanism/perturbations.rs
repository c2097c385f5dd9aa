//! Local optimality against feasible perturbations (issue 13, item 3).
//!
//! On random two-trader markets (regular, and with an ironed class), the
//! crate's solution is perturbed in the three things it chooses beyond the
//! raw virtual types — a level `η_i`, a binding interval, a pooled interval
//! — and the perturbed allocation rule `X_i = −V_i + w_i Σ_j V_j` is
//! evaluated entirely in this file: interim allocations and second moments
//! by Gauss–Legendre over the other trader's type, utility gains by the
//! envelope condition with the least rent participation allows
//! (`min U = 0`), transfers from them, revenue and efficiency by
//! quadrature. A perturbation that [`check_feasibility`] accepts and that
//! keeps the budget balanced (`R ≥ 0`) must not raise `α R + (1 − α) A`
//! above the unperturbed rule's value computed by the same code (and that
//! value must equal the crate's [`OptimalMechanism::objective`]).
//!
//! Perturbations, each for every class: `η_i ± δ`; the binding interval
//! widened by `δ` at either end (the rule jumps there, but stays monotone);
//! every pooled interval widened by `δ` at both ends and pooled at the
//! density-weighted mean of the virtual value over it; `δ` a fraction
//! 1e-3 or 1e-1 of the class's width.

use exchange_design::market::Market;
use exchange_design::mechanism::{
    check_feasibility, DirectMechanism, MechanismError, OptimalMechanism,
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use crate::common;

use common::markets::{small_case, SmallCase};
use common::reference::{class_cuts, graded_rule, type_rule, TypeRule};

type Rule = Box<dyn Fn(f64) -> f64>;

/// A mechanism of the crate's form with virtual values chosen by the test.
struct Perturbed<'a> {
    market: &'a Market,
    v: Vec<Rule>,
    rules: Vec<TypeRule>,
    /// Panel boundaries for each class's unweighted integrals.
    cuts: Vec<Vec<f64>>,
    mean_v: Vec<f64>,
    var_v: Vec<f64>,
    /// `min W` per class, with `W(z) = −(1/κ) ∫_lo^z x̄`.
    w_min: Vec<f64>,
    revenue: f64,
    efficiency: f64,
}

impl<'a> Perturbed<'a> {
    fn new(market: &'a Market, v: Vec<Rule>, cuts: Vec<Vec<f64>>) -> Self {
        let rules: Vec<TypeRule> = market
            .classes()
            .iter()
            .zip(&cuts)
            .map(|(c, cut)| type_rule(c.distribution(), cut, 32, 10))
            .collect();
        let (mut mean_v, mut var_v) = (Vec::new(), Vec::new());
        for (k, r) in rules.iter().enumerate() {
            let m: f64 = r.z.iter().zip(&r.p).map(|(z, p)| p * v[k](*z)).sum();
            let m2: f64 =
                r.z.iter()
                    .zip(&r.p)
                    .map(|(z, p)| p * v[k](*z).powi(2))
                    .sum();
            mean_v.push(m);
            var_v.push((m2 - m * m).max(0.0));
        }
        let mut me = Perturbed {
            market,
            v,
            rules,
            cuts,
            mean_v,
            var_v,
            w_min: Vec::new(),
            revenue: 0.0,
            efficiency: 0.0,
        };
        for k in 0..market.classes().len() {
            let (lo, hi) = market.classes()[k].distribution().support();
            // W is convex; its minimum is where x̄ changes sign.
            let zstar = if me.xbar(k, lo) <= 0.0 {
                lo
            } else if me.xbar(k, hi) >= 0.0 {
                hi
            } else {
                let (mut a, mut b) = (lo, hi);
                for _ in 0..60 {
                    let m = 0.5 * (a + b);
                    if me.xbar(k, m) > 0.0 {
                        a = m
                    } else {
                        b = m
                    }
                }
                0.5 * (a + b)
            };
            let w = me.w(k, zstar);
            me.w_min.push(w);
        }
        let (mut r, mut a) = (0.0, 0.0);
        for (k, c) in market.classes().iter().enumerate() {
            let (kappa, n) = (c.kappa(), c.count() as f64);
            let d = c.distribution();
            let rule = &me.rules[k];
            for (z, p) in rule.z.iter().zip(&rule.p) {
                let x = me.xbar(k, *z);
                let x2 = me.second(k, *z);
                let u = me.w(k, *z) - me.w_min[k];
                r += n * p * (-x2 / (2.0 * kappa) - z * x / kappa - u);
            }
            let ez2 = d.variance() + d.mean().powi(2);
            let ezx: f64 = rule
                .z
                .iter()
                .zip(&rule.p)
                .map(|(z, p)| p * z * me.xbar(k, *z))
                .sum();
            let ex2: f64 = rule
                .z
                .iter()
                .zip(&rule.p)
                .map(|(z, p)| p * me.second(k, *z))
                .sum();
            a -= n * (ez2 + 2.0 * ezx + ex2) / (2.0 * kappa);
        }
        me.revenue = r;
        me.efficiency = a;
        me
    }

    fn weight(&self, k: usize) -> f64 {
        self.market.classes()[k].kappa() / self.market.total_kappa()
    }

    /// `Σ_{j ≠ trader of class k} E V_j`.
    fn others_mean(&self, k: usize) -> f64 {
        let all: f64 = self
            .market
            .classes()
            .iter()
            .enumerate()
            .map(|(j, c)| c.count() as f64 * self.mean_v[j])
            .sum();
        all - self.mean_v[k]
    }

    fn others_var(&self, k: usize) -> f64 {
        let all: f64 = self
            .market
            .classes()
            .iter()
            .enumerate()
            .map(|(j, c)| c.count() as f64 * self.var_v[j])
            .sum();
        all - self.var_v[k]
    }

    fn xbar(&self, k: usize, z: f64) -> f64 {
        let w = self.weight(k);
        -(1.0 - w) * self.v[k](z) + w * self.others_mean(k)
    }

    fn second(&self, k: usize, z: f64) -> f64 {
        let w = self.weight(k);
        self.xbar(k, z).powi(2) + w * w * self.others_var(k)
    }

    /// `W(z) = −(1/κ) ∫_lo^z x̄`.
    fn w(&self, k: usize, z: f64) -> f64 {
        let c = &self.market.classes()[k];
        let (lo, _) = c.distribution().support();
        graded_rule(lo, z, c.distribution().kinks(), &self.cuts[k])
            .into_iter()
            .map(|(s, wt)| wt * self.xbar(k, s))
            .sum::<f64>()
            / -c.kappa()
    }

    fn objective(&self, alpha: f64) -> f64 {
        alpha * self.revenue + (1.0 - alpha) * self.efficiency
    }
}

impl DirectMechanism for Perturbed<'_> {
    fn market(&self) -> &Market {
        self.market
    }
    fn revenue(&self) -> f64 {
        self.revenue
    }
    fn efficiency(&self) -> f64 {
        self.efficiency
    }
    fn interim_allocation(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        Ok(self.xbar(class, z))
    }
    fn interim_second_moment(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        Ok(self.second(class, z))
    }
    fn interim_transfer(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        let kappa = self.market.classes()[class].kappa();
        Ok(-self.second(class, z) / (2.0 * kappa)
            - z * self.xbar(class, z) / kappa
            - (self.w(class, z) - self.w_min[class]))
    }
    fn utility_gain(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        Ok(self.w(class, z) - self.w_min[class])
    }
}

/// The crate's virtual values with class `k`'s rule replaced by `vk`.
fn rules_with(mech: &OptimalMechanism, k: usize, vk: Rule) -> Vec<Rule> {
    let mut out: Vec<Rule> = Vec::new();
    for j in 0..mech.classes().len() {
        if j == k {
            out.push(Box::new(|_| 0.0));
        } else {
            let vv = mech.class(j).virtual_value().clone();
            out.push(Box::new(move |z| vv.value(z)));
        }
    }
    out[k] = vk;
    out
}

fn cuts_with(mech: &OptimalMechanism, k: usize, extra: &[f64]) -> Vec<Vec<f64>> {
    (0..mech.classes().len())
        .map(|j| {
            let mut c = class_cuts(mech, j);
            if j == k {
                c.extend_from_slice(extra);
            }
            c
        })
        .collect()
}

/// Class `k`'s virtual value pooled at its density-weighted mean over
/// `[a, b]`.
fn pooled(mech: &OptimalMechanism, k: usize, a: f64, b: f64) -> Rule {
    let vv = mech.class(k).virtual_value().clone();
    let d = mech.market().classes()[k].shared_distribution();
    let nodes = graded_rule(a, b, d.kinks(), &class_cuts(mech, k));
    let (mut num, mut den) = (0.0, 0.0);
    for (s, wt) in nodes {
        let f = d.pdf(s);
        num += wt * f * vv.value(s);
        den += wt * f;
    }
    let level = num / den;
    Box::new(move |z| if z >= a && z <= b { level } else { vv.value(z) })
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 8,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/mechanism/perturbations.txt",
        ))),
        max_shrink_time: 30_000,
        ..ProptestConfig::default()
    }
}

fn check(case: &SmallCase) -> Result<(), TestCaseError> {
    let market = case.market();
    let alpha = case.alpha;
    let mech = OptimalMechanism::solve(&market, alpha)
        .map_err(|e| TestCaseError::fail(format!("solve failed: {e}")))?;
    let scale = case.welfare_scale();
    let tol = 1e-8 * scale;
    let all: Vec<Rule> = (0..mech.classes().len())
        .map(|j| {
            let vv = mech.class(j).virtual_value().clone();
            Box::new(move |z: f64| vv.value(z)) as Rule
        })
        .collect();
    let base = Perturbed::new(&market, all, cuts_with(&mech, 0, &[]));
    let base_obj = base.objective(alpha);
    prop_assert!(
        (base_obj - mech.objective()).abs() <= 1e-7 * scale,
        "unperturbed objective by quadrature {base_obj} vs objective() {}",
        mech.objective()
    );
    let (mut tried, mut feasible) = (0, 0);
    for k in 0..market.classes().len() {
        let d = market.classes()[k].shared_distribution();
        let (lo, hi) = d.support();
        let width = hi - lo;
        let eta = mech.class(k).virtual_value().eta();
        let (za, zb) = mech.class(k).virtual_value().binding_interval();
        for frac in [1e-3, 1e-1] {
            let delta = frac * width;
            let mut candidates: Vec<(String, Rule, Vec<f64>)> = Vec::new();
            for s in [-1.0, 1.0] {
                let vv = mech.class(k).virtual_value().clone();
                let e = eta + s * delta;
                // median(Ĥ, η + δ, L̂).
                let v2 = vv.clone();
                let rule: Rule =
                    Box::new(move |z| v2.ironed_lower(z).min(v2.ironed_upper(z).max(e)));
                let ia = crossing(|z| vv.ironed_lower(z) - e, lo, hi);
                let ib = crossing(|z| vv.ironed_upper(z) - e, lo, hi);
                candidates.push((format!("eta {s:+}{frac}"), rule, vec![ia, ib]));
            }
            for (name, a, b) in [
                ("interval widened below", (za - delta).max(lo), zb),
                ("interval widened above", za, (zb + delta).min(hi)),
            ] {
                let vv = mech.class(k).virtual_value().clone();
                let rule: Rule =
                    Box::new(move |z| if z >= a && z <= b { eta } else { vv.value(z) });
                candidates.push((format!("{name} {frac}"), rule, vec![a, b]));
            }
            for (a, b) in mech.class(k).virtual_value().ironed_intervals() {
                let (a, b) = ((a - delta).max(lo), (b + delta).min(hi));
                candidates.push((
                    format!("pool [{a}, {b}] widened {frac}"),
                    pooled(&mech, k, a, b),
                    vec![a, b],
                ));
            }
            for (name, rule, extra) in candidates {
                tried += 1;
                let p = Perturbed::new(
                    &market,
                    rules_with(&mech, k, rule),
                    cuts_with(&mech, k, &extra),
                );
                if check_feasibility(&p).is_err() || p.revenue < 0.0 {
                    continue;
                }
                feasible += 1;
                let obj = p.objective(alpha);
                prop_assert!(
                    obj <= base_obj + tol,
                    "class {k}, {name}: feasible perturbation (R = {}) raises the objective from {base_obj} to {obj} (by {}, tol {tol})",
                    p.revenue,
                    obj - base_obj
                );
            }
        }
    }
    eprintln!("[perturbations] {feasible} of {tried} feasible");
    Ok(())
}

/// Where the non-decreasing `g` crosses zero in `[lo, hi]` (an end if it
/// does not): a kink of the perturbed rule, for the quadrature panels.
fn crossing(g: impl Fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
    if g(lo) >= 0.0 {
        return lo;
    }
    if g(hi) <= 0.0 {
        return hi;
    }
    let (mut a, mut b) = (lo, hi);
    for _ in 0..60 {
        let m = 0.5 * (a + b);
        if g(m) < 0.0 {
            a = m
        } else {
            b = m
        }
    }
    0.5 * (a + b)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn perturbations_never_help_regular(case in small_case(false, 2)) {
        check(&case)?;
    }

    #[test]
    fn perturbations_never_help_ironed(case in small_case(true, 2)) {
        check(&case)?;
    }
}
