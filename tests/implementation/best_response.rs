//! Theorem 2, best response: against the others' equilibrium schedules, a
//! trader paying `p q + S_i(p, q)` cannot gain by buying anything other than
//! its equilibrium quantity (the direct mechanism's `X_i`), in random
//! heterogeneous markets (budget-binding ones included).

use exchange_design::distribution::{
    Beta, EndowmentDistribution, PiecewiseLinear, Triangular, TruncatedNormal, Uniform,
};
use exchange_design::implementation::SidePayments;
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::OptimalMechanism;
use proptest::prelude::*;
use std::sync::Arc;

/// How much a deviation may gain before the test fails.
const SLACK: f64 = 1e-9;

#[derive(Debug, Clone)]
enum Family {
    Uniform,
    TruncatedNormal {
        mu: f64,
        sigma: f64,
    },
    Beta {
        a: f64,
        b: f64,
    },
    Triangular {
        mode: f64,
    },
    /// A tabulated density with a dip at `at` (a fraction of the width):
    /// not regular, so the class is ironed.
    Dip {
        at: f64,
        depth: f64,
    },
}

#[derive(Debug, Clone)]
struct ClassSpec {
    kappa: f64,
    lo: f64,
    width: f64,
    count: u64,
    family: Family,
}

impl ClassSpec {
    fn build(&self) -> TraderClass {
        let (lo, hi) = (self.lo, self.lo + self.width);
        let d: Arc<dyn EndowmentDistribution> = match self.family {
            Family::Uniform => Arc::new(Uniform::new(lo, hi).unwrap()),
            Family::TruncatedNormal { mu, sigma } => Arc::new(
                TruncatedNormal::new(lo + mu * self.width, sigma * self.width, lo, hi).unwrap(),
            ),
            Family::Beta { a, b } => Arc::new(Beta::new(a, b, lo, hi).unwrap()),
            Family::Triangular { mode } => {
                Arc::new(Triangular::new(lo, lo + mode * self.width, hi).unwrap())
            }
            Family::Dip { at, depth } => {
                let x = |t: f64| lo + t * self.width;
                Arc::new(
                    PiecewiseLinear::new(
                        vec![lo, x(at - 0.08), x(at), x(at + 0.08), hi],
                        vec![1.0, 1.0, depth, 1.0, 1.0],
                    )
                    .unwrap(),
                )
            }
        };
        TraderClass::from_shared(self.kappa, d, self.count)
    }
}

fn family() -> impl Strategy<Value = Family> {
    prop_oneof![
        Just(Family::Uniform),
        (0.0f64..1.0, 0.2f64..1.5).prop_map(|(mu, sigma)| Family::TruncatedNormal { mu, sigma }),
        (1.0f64..4.0, 1.0f64..4.0).prop_map(|(a, b)| Family::Beta { a, b }),
        (0.05f64..0.95).prop_map(|mode| Family::Triangular { mode }),
        (0.15f64..0.85, 0.01f64..0.3).prop_map(|(at, depth)| Family::Dip { at, depth }),
    ]
}

fn class_spec() -> impl Strategy<Value = ClassSpec> {
    (0.2f64..5.0, -1.5f64..1.0, 0.5f64..2.5, 1u64..3, family()).prop_map(
        |(kappa, lo, width, count, family)| ClassSpec {
            kappa,
            lo,
            width,
            count,
            family,
        },
    )
}

fn alpha() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1.0), 0.0f64..1.0]
}

/// Golden-section maximisation of `f` on `[a, b]`; returns the best value seen.
fn golden_max(f: &dyn Fn(f64) -> f64, mut a: f64, mut b: f64) -> f64 {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    let mut best = fc.max(fd);
    for _ in 0..80 {
        if fc > fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
        best = best.max(fc).max(fd);
        if b - a < 1e-12 {
            break;
        }
    }
    best
}

/// Checks every trader's best response for one type profile. Returns the
/// largest gain of a deviation found.
fn check_best_responses(market: &Market, alpha: f64, types: &[f64]) -> Result<(), TestCaseError> {
    check_with_extra(market, alpha, types, &|_q| 0.0)
}

/// As [`check_best_responses`], with `extra(q)` added to every side payment
/// (zero for the real rule; a negative control otherwise).
fn check_with_extra(
    market: &Market,
    alpha: f64,
    types: &[f64],
    extra: &dyn Fn(f64) -> f64,
) -> Result<(), TestCaseError> {
    let mech = OptimalMechanism::solve(market, alpha)
        .map_err(|e| TestCaseError::fail(format!("solve: {e}")))?;
    let rules = SidePayments::new(&mech).map_err(|e| TestCaseError::fail(format!("rules: {e}")))?;
    let x = mech.allocation(types).unwrap();
    let k_total = market.total_kappa();
    let offsets = market.trader_offsets();
    let class_of = |i: usize| {
        offsets
            .windows(2)
            .position(|w| (w[0] as usize..w[1] as usize).contains(&i))
            .unwrap()
    };
    let v: Vec<f64> = (0..types.len())
        .map(|i| mech.class(class_of(i)).virtual_value().value(types[i]))
        .collect();
    let v_sum: f64 = v.iter().sum();
    for i in 0..types.len() {
        let k = class_of(i);
        let rule = rules.class(k);
        let kappa = rule.kappa();
        let z = types[i];
        let others = v_sum - v[i];
        let payoff = |q: f64| {
            let p = (q - others) * k_total / (k_total - kappa);
            -(z + q) * (z + q) / (2.0 * kappa) - p * q - rule.side_payment(p, q).unwrap() - extra(q)
        };
        let q_star = x[i];
        let best = payoff(q_star);
        let (lo, hi) = rule.virtual_value().distribution().support();
        let radius = 3.0 * (hi - lo) + 2.0 * q_star.abs() + 1.0;
        let n = 400;
        let mut grid_best = (f64::NEG_INFINITY, q_star);
        for j in 0..=n {
            let q = q_star - radius + 2.0 * radius * j as f64 / n as f64;
            let u = payoff(q);
            prop_assert!(
                u <= best + SLACK,
                "trader {i} (class {k}, z = {z}): q = {q} pays {u} > equilibrium {best} at q* = {q_star}"
            );
            if u > grid_best.0 {
                grid_best = (u, q);
            }
        }
        let h = 2.0 * radius / n as f64;
        let local = golden_max(&payoff, grid_best.1 - h, grid_best.1 + h);
        prop_assert!(
            local <= best + SLACK,
            "trader {i}: local refinement {local} > {best}"
        );
        let near = golden_max(&payoff, q_star - 1e-3, q_star + 1e-3);
        prop_assert!(near <= best + SLACK, "trader {i}: near q* {near} > {best}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn equilibrium_quantity_is_a_best_response(
        specs in prop::collection::vec(class_spec(), 2..=5),
        alpha in alpha(),
        seeds in prop::collection::vec(0.0f64..1.0, 10),
    ) {
        let market = Market::new(specs.iter().map(ClassSpec::build).collect()).unwrap();
        let mut types = Vec::new();
        let mut s = seeds.iter().cycle();
        for c in market.classes() {
            for _ in 0..c.count() {
                types.push(c.distribution().quantile(*s.next().unwrap()));
            }
        }
        check_best_responses(&market, alpha, &types)?;
    }
}

/// Deterministic budget-binding cases (λ > 0), so that they are always covered.
#[test]
fn best_response_when_the_budget_binds() {
    let market = Market::new(vec![
        TraderClass::new(1.0, Uniform::new(-1.0, 1.0).unwrap(), 2),
        TraderClass::new(0.6, Uniform::new(0.0, 2.0).unwrap(), 1),
        TraderClass::new(2.0, Triangular::new(-0.5, 0.5, 1.5).unwrap(), 1),
        TraderClass::new(0.3, Beta::new(2.0, 1.5, -0.2, 1.8).unwrap(), 1),
    ])
    .unwrap();
    let mech = OptimalMechanism::solve(&market, 0.0).unwrap();
    assert!(
        mech.lambda() > 0.0,
        "this market must have a binding budget"
    );
    let profiles = [
        [-0.9, 0.5, 1.9, 1.2, 0.0],
        [0.0, 0.0, 1.0, 0.5, 0.8],
        [0.99, -0.99, 0.01, -0.4, 1.7],
    ];
    for types in profiles {
        check_best_responses(&market, 0.0, &types).unwrap();
        check_best_responses(&market, 0.3, &types).unwrap();
    }
}

/// Ironed markets: pooled types submit identical schedules, and truthful
/// bidding stays a best response (types inside pools, at their ends, in the
/// binding interval and outside).
#[test]
fn best_response_when_classes_are_ironed() {
    let dips = || {
        PiecewiseLinear::new(
            vec![-1.0, -0.8, -0.7, -0.6, 0.0, 0.6, 0.7, 0.8, 1.0],
            vec![1.0, 1.0, 0.03, 1.0, 1.0, 1.0, 0.03, 1.0, 1.0],
        )
        .unwrap()
    };
    let market = Market::new(vec![
        TraderClass::new(1.0, dips(), 2),
        TraderClass::new(0.5, Uniform::new(-0.5, 1.5).unwrap(), 1),
    ])
    .unwrap();
    for alpha in [0.0, 0.6, 1.0] {
        let mech = OptimalMechanism::solve(&market, alpha).unwrap();
        let pools = mech.class(0).virtual_value().ironed_intervals();
        let mut zs = vec![-0.95, -0.3, 0.0, 0.95];
        for (a, b) in &pools {
            zs.extend([*a, 0.5 * (a + b), *b]);
        }
        for &z in &zs {
            for types in [[z, 0.4, 1.2], [z, -z, -0.4]] {
                check_best_responses(&market, alpha, &types).unwrap();
            }
        }
    }
}

/// Negative control: the checker does flag a rule that is off by a small
/// quadratic term.
#[test]
fn checker_detects_a_wrong_side_payment() {
    let market = Market::new(vec![
        TraderClass::new(0.5, Uniform::new(-1.0, 1.0).unwrap(), 2),
        TraderClass::new(1.5, Triangular::new(-1.0, 0.2, 1.0).unwrap(), 1),
    ])
    .unwrap();
    let types = [0.9, -0.7, 0.4];
    check_with_extra(&market, 0.5, &types, &|_q| 0.0).unwrap();
    assert!(check_with_extra(&market, 0.5, &types, &|q| 1e-3 * q * q).is_err());
    assert!(check_with_extra(&market, 0.5, &types, &|q| -1e-3 * q).is_err());
}
