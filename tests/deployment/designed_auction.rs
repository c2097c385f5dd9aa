//! The designed auction judged under a true market (`deployment`):
//!
//! * under the design's own market it reproduces the design (revenue,
//!   efficiency, objective to 1e-9; minimum gain 0 on the binding interval;
//!   the gain curve equals the direct mechanism's utility gain);
//! * against an independent reference built from the public side-payment
//!   rule `S_i(p, q)` (the others' aggregate enters quadratically, so its
//!   expectation is exact from two points `μ ± σ`) and a separate
//!   Gauss–Legendre quadrature;
//! * against a Monte Carlo of the crate's own `DoubleAuction` (types drawn
//!   from the truth, equilibrium schedules, payments summed): 3 markets ×
//!   3 truths, within 4 standard errors, including a budget-binding design
//!   and an ironed class;
//! * the minimum gain and the share that stays away against a fine grid.

use crate::common;
use exchange_design::mechanism::DirectMechanism;

use common::reference::SplitMix;
use common::reference_integral;
use exchange_design::deployment::{Assessment, DeploymentError, Design};
use exchange_design::distribution::{
    Beta, EndowmentDistribution, Mixture, PiecewiseLinear, Triangular, TruncatedNormal, Uniform,
};
use exchange_design::implementation::DoubleAuction;
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::OptimalMechanism;
use std::sync::Arc;

type Dist = Arc<dyn EndowmentDistribution>;

fn dip() -> Dist {
    Arc::new(
        PiecewiseLinear::new(
            vec![-1.0, -0.8, -0.7, -0.6, 0.0, 0.6, 0.7, 0.8, 1.0],
            vec![1.0, 1.0, 0.03, 1.0, 1.0, 1.0, 0.03, 1.0, 1.0],
        )
        .unwrap(),
    )
}

fn two_modes(lo: f64, hi: f64) -> Dist {
    let w = hi - lo;
    let comp =
        |m: f64| -> Dist { Arc::new(TruncatedNormal::new(lo + m * w, 0.08 * w, lo, hi).unwrap()) };
    Arc::new(Mixture::new(vec![(0.5, comp(0.25)), (0.5, comp(0.75))]).unwrap())
}

fn uniform() -> Dist {
    Arc::new(Uniform::new(-1.0, 1.0).unwrap())
}

/// Three designs: a symmetric one, a heterogeneous one whose budget binds,
/// and one with an ironed class.
fn designs() -> Vec<(&'static str, Design)> {
    let symmetric = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    // First best runs a deficit here (means not proportional to κ).
    let hetero = Market::new(vec![
        TraderClass::new(1.0, Uniform::new(-1.0, 1.0).unwrap(), 2),
        TraderClass::new(0.6, Uniform::new(0.0, 2.0).unwrap(), 1),
        TraderClass::new(2.0, Triangular::new(-0.5, 0.5, 1.5).unwrap(), 1),
    ])
    .unwrap();
    let ironed = Market::new(vec![
        TraderClass::from_shared(1.0, dip(), 2),
        TraderClass::new(0.5, Triangular::new(-1.0, 0.2, 1.0).unwrap(), 2),
    ])
    .unwrap();
    let budget = OptimalMechanism::solve(&hetero, 0.0).unwrap();
    assert!(
        budget.budget_binding(),
        "the second design must be budget-binding"
    );
    let iron = OptimalMechanism::solve(&ironed, 0.9).unwrap();
    assert!(
        !iron.class(0).virtual_value().ironed_intervals().is_empty(),
        "the third design must have an ironed class"
    );
    vec![
        (
            "symmetric",
            Design::new(OptimalMechanism::solve(&symmetric, 0.3).unwrap()).unwrap(),
        ),
        ("budget-binding", Design::new(budget).unwrap()),
        ("ironed", Design::new(iron).unwrap()),
    ]
}

/// Three truths per design: one distribution per class, on the class's
/// designed support or inside it.
fn truths(design: &Design) -> Vec<Vec<Dist>> {
    let supports: Vec<(f64, f64)> = design
        .mechanism()
        .market()
        .classes()
        .iter()
        .map(|c| c.distribution().support())
        .collect();
    let make = |kind: usize, (lo, hi): (f64, f64)| -> Dist {
        let w = hi - lo;
        match kind % 6 {
            0 => Arc::new(Triangular::new(lo, lo + 0.8 * w, hi).unwrap()),
            1 => Arc::new(Uniform::new(lo + 0.15 * w, hi - 0.05 * w).unwrap()),
            2 => Arc::new(TruncatedNormal::new(lo + 0.35 * w, 0.2 * w, lo, hi).unwrap()),
            3 => two_modes(lo, hi),
            4 => Arc::new(Beta::new(3.0, 1.5, lo, hi).unwrap()),
            _ => Arc::new(Uniform::new(lo, hi).unwrap()),
        }
    };
    (0..3)
        .map(|t| {
            supports
                .iter()
                .enumerate()
                .map(|(k, &s)| make(t * 2 + k, s))
                .collect()
        })
        .collect()
}

fn rel(got: f64, want: f64, scale: f64) -> f64 {
    (got - want).abs() / want.abs().max(scale)
}

#[test]
fn under_the_design_market_the_design_is_reproduced() {
    for (name, design) in designs() {
        let mech = design.mechanism();
        let truth: Vec<Dist> = mech
            .market()
            .classes()
            .iter()
            .map(TraderClass::shared_distribution)
            .collect();
        let a = design.assess(&truth).unwrap();
        assert_matches_design(mech, &a, name);
        let scale = mech.efficiency().abs();
        assert!(rel(a.objective(), mech.objective(), scale) < 1e-9, "{name}");
        for (k, c) in a.classes().iter().enumerate() {
            let (za, zb) = mech.class(k).virtual_value().binding_interval();
            assert!(
                c.min_gain().abs() < 1e-12,
                "{name} class {k}: {}",
                c.min_gain()
            );
            assert!(
                c.min_gain_at() >= za - 1e-9 && c.min_gain_at() <= zb + 1e-9,
                "{name} class {k}: minimiser {} outside [{za}, {zb}]",
                c.min_gain_at()
            );
            assert_eq!(c.abstain_probability(), 0.0, "{name} class {k}");
            // The gain curve is the direct mechanism's utility gain (eq. 3).
            let (lo, hi) = mech.class(k).virtual_value().distribution().support();
            for z in common::grid(lo, hi, 20) {
                let want = mech.utility_gain(k, z).unwrap();
                let got = c.gain_curve().gain(z).unwrap();
                assert!(
                    (got - want).abs() < 1e-9,
                    "{name} class {k}, z = {z}: {got} vs {want}"
                );
            }
        }
    }
}

/// The reference: interim expected payment and gain of a type, from the
/// public rule `S_i(p, q)` at the two points `μ ± σ` of the others'
/// aggregate (both are quadratic in it), with `μ`, `σ²` and the averages
/// over types by a fixed composite Gauss–Legendre rule.
struct Reference {
    revenue: f64,
    efficiency: f64,
    mean_gain: Vec<f64>,
}

fn kinks(design: &Design, k: usize, g: &dyn EndowmentDistribution) -> Vec<f64> {
    let c = design.mechanism().class(k);
    let (za, zb) = c.virtual_value().binding_interval();
    let mut v = vec![za, zb];
    for (a, b) in c.virtual_value().ironed_intervals() {
        v.extend([a, b]);
    }
    v.extend_from_slice(g.kinks());
    v.extend_from_slice(c.virtual_value().distribution().kinks());
    // Graded towards the truth's ends, where a Beta density's root
    // singularity would spoil a uniform rule.
    let (lo, hi) = g.support();
    for j in 1..=12 {
        let e = (hi - lo) * 0.25f64.powi(j);
        v.extend([lo + e, hi - e]);
    }
    v.sort_by(f64::total_cmp);
    v
}

fn reference(design: &Design, truth: &[Dist]) -> Reference {
    let rules = design.side_payments();
    let n = truth.len();
    let (mut means, mut vars) = (vec![0.0; n], vec![0.0; n]);
    for k in 0..n {
        let vv = rules.class(k).virtual_value();
        let g = truth[k].as_ref();
        let (lo, hi) = g.support();
        let kk = kinks(design, k, g);
        let m1 = reference_integral(|z| vv.value(z) * g.pdf(z), lo, hi, &kk);
        let m2 = reference_integral(|z| vv.value(z).powi(2) * g.pdf(z), lo, hi, &kk);
        means[k] = m1;
        vars[k] = m2 - m1 * m1;
    }
    let counts: Vec<f64> = rules.classes().iter().map(|c| c.count() as f64).collect();
    let total_mean: f64 = (0..n).map(|k| counts[k] * means[k]).sum();
    let total_var: f64 = (0..n).map(|k| counts[k] * vars[k]).sum();
    let (mut revenue, mut efficiency) = (0.0, 0.0);
    let mut mean_gain = vec![0.0; n];
    for k in 0..n {
        let class = rules.class(k);
        let (w, kappa) = (class.kappa_share(), class.kappa());
        let mu = total_mean - means[k];
        let sigma = (total_var - vars[k]).max(0.0).sqrt();
        // (payment, utility gain, holding cost) of type z, averaged over the
        // two points μ ± σ of the others' aggregate.
        let interim = |z: f64| {
            let v = class.virtual_value().value(z);
            let mut acc = [0.0; 3];
            for a in [mu - sigma, mu + sigma] {
                let p = -(v + a);
                let q = -v - w * p;
                let pay = p * q + class.side_payment(p, q).unwrap();
                let hold = (z + q).powi(2) / (2.0 * kappa);
                acc[0] += 0.5 * pay;
                acc[1] += 0.5 * (-hold + z * z / (2.0 * kappa) - pay);
                acc[2] += 0.5 * hold;
            }
            acc
        };
        let g = truth[k].as_ref();
        let (lo, hi) = g.support();
        let kk = kinks(design, k, g);
        let pay = reference_integral(|z| interim(z)[0] * g.pdf(z), lo, hi, &kk);
        let gain = reference_integral(|z| interim(z)[1] * g.pdf(z), lo, hi, &kk);
        let hold = reference_integral(|z| interim(z)[2] * g.pdf(z), lo, hi, &kk);
        revenue += counts[k] * pay;
        efficiency -= counts[k] * hold;
        mean_gain[k] = gain;
    }
    Reference {
        revenue,
        efficiency,
        mean_gain,
    }
}

#[test]
fn agrees_with_an_independent_reference() {
    for (name, design) in designs() {
        let n = design.mechanism().classes().len();
        for (t, truth) in truths(&design).iter().enumerate() {
            let a = design.assess(truth).unwrap();
            let r = reference(&design, truth);
            let tol = 1e-8;
            assert!(
                (a.revenue() - r.revenue).abs() < tol,
                "{name}, truth {t}: revenue {} vs {}",
                a.revenue(),
                r.revenue
            );
            assert!(
                (a.efficiency() - r.efficiency).abs() < tol,
                "{name}, truth {t}: efficiency {} vs {}",
                a.efficiency(),
                r.efficiency
            );
            for k in 0..n {
                let got = a.class(k).mean_gain();
                assert!(
                    (got - r.mean_gain[k]).abs() < tol,
                    "{name}, truth {t}, class {k}: mean gain {got} vs {}",
                    r.mean_gain[k]
                );
            }
        }
    }
}

/// The minimum over a fine grid of the truth's support is attained near
/// the reported minimiser and is never below the reported minimum; the
/// share of the grid's probability with negative gain matches.
#[test]
fn minimum_and_abstention_match_a_fine_grid() {
    for (name, design) in designs() {
        for (t, truth) in truths(&design).iter().enumerate() {
            let a = design.assess(truth).unwrap();
            for (k, g) in truth.iter().enumerate() {
                let c = a.class(k);
                let g = g.as_ref();
                let (lo, hi) = g.support();
                let m = 4000;
                let pts = common::grid(lo, hi, m);
                let gains: Vec<f64> = pts
                    .iter()
                    .map(|&z| c.gain_curve().gain(z).unwrap())
                    .collect();
                let grid_min = gains.iter().copied().fold(f64::INFINITY, f64::min);
                assert!(
                    grid_min >= c.min_gain() - 1e-12,
                    "{name}, truth {t}, class {k}: grid {grid_min} below {}",
                    c.min_gain()
                );
                // The gain is flat at its minimum: a grid step away costs
                // at most O(step²).
                assert!(
                    grid_min - c.min_gain() < 1e-5,
                    "{name}, truth {t}, class {k}: grid {grid_min} vs {}",
                    c.min_gain()
                );
                let at = c.gain_curve().gain(c.min_gain_at()).unwrap();
                assert!((at - c.min_gain()).abs() < 1e-14);
                // Probability of the cells whose both ends have negative gain,
                // and of those with at least one: brackets the true share.
                let (mut inner, mut outer) = (0.0, 0.0);
                for j in 0..m {
                    let p = g.cdf(pts[j + 1]) - g.cdf(pts[j]);
                    let neg = (gains[j] < 0.0, gains[j + 1] < 0.0);
                    if neg.0 && neg.1 {
                        inner += p;
                    }
                    if neg.0 || neg.1 {
                        outer += p;
                    }
                }
                let share = c.abstain_probability();
                assert!(
                    share >= inner - 1e-9 && share <= outer + 1e-9,
                    "{name}, truth {t}, class {k}: {share} not in [{inner}, {outer}]"
                );
            }
        }
    }
}

/// Monte Carlo of the auction itself: 3 designs × 3 truths.
#[test]
fn agrees_with_a_monte_carlo_of_the_double_auction() {
    let draws = 20_000;
    let mut any_negative = false;
    for (name, design) in designs() {
        let rules = design.side_payments();
        let auction = DoubleAuction::new(rules);
        for (t, truth) in truths(&design).iter().enumerate() {
            let a: Assessment = design.assess(truth).unwrap();
            let mut rng = SplitMix(1000 + t as u64);
            let classes: Vec<usize> = rules
                .classes()
                .iter()
                .enumerate()
                .flat_map(|(k, c)| std::iter::repeat_n(k, c.count() as usize))
                .collect();
            let mut types = vec![0.0; classes.len()];
            let (mut s_r, mut s_r2, mut s_e, mut s_e2) = (0.0, 0.0, 0.0, 0.0);
            for _ in 0..draws {
                for (z, &k) in types.iter_mut().zip(&classes) {
                    *z = truth[k].quantile(rng.uniform());
                }
                let out = auction.run_equilibrium(&types).unwrap();
                let r: f64 = out.payments().iter().sum();
                let e: f64 = out
                    .quantities()
                    .iter()
                    .zip(&types)
                    .zip(&classes)
                    .map(|((q, z), &k)| -(z + q).powi(2) / (2.0 * rules.class(k).kappa()))
                    .sum();
                s_r += r;
                s_r2 += r * r;
                s_e += e;
                s_e2 += e * e;
            }
            let d = draws as f64;
            let check = |what: &str, s: f64, s2: f64, want: f64| {
                let mean = s / d;
                let se = ((s2 / d - mean * mean) / (d - 1.0)).sqrt();
                assert!(
                    (mean - want).abs() <= 4.0 * se,
                    "{name}, truth {t}: {what} {want} vs Monte Carlo {mean} ± {se}"
                );
            };
            check("revenue", s_r, s_r2, a.revenue());
            check("efficiency", s_e, s_e2, a.efficiency());
            any_negative |= a.classes().iter().any(|c| c.min_gain() < 0.0);
        }
    }
    assert!(any_negative, "the truths should make some type worse off");
}

/// The interim gain of one type (its type fixed, the others drawn from the
/// truth), by Monte Carlo of the auction, at the reported minimiser.
#[test]
fn gain_at_the_minimiser_agrees_with_a_monte_carlo() {
    let (name, design) = designs().remove(1);
    let rules = design.side_payments();
    let auction = DoubleAuction::new(rules);
    let truth = &truths(&design)[0];
    let a = design.assess(truth).unwrap();
    for k in 0..3 {
        let z0 = a.class(k).min_gain_at();
        let classes: Vec<usize> = rules
            .classes()
            .iter()
            .enumerate()
            .flat_map(|(j, c)| std::iter::repeat_n(j, c.count() as usize))
            .collect();
        let me = classes.iter().position(|&j| j == k).unwrap();
        let kappa = rules.class(k).kappa();
        let mut rng = SplitMix(77 + k as u64);
        let mut types = vec![0.0; classes.len()];
        let (mut s, mut s2) = (0.0, 0.0);
        let draws = 20_000;
        for _ in 0..draws {
            for (i, (z, &j)) in types.iter_mut().zip(&classes).enumerate() {
                *z = if i == me {
                    z0
                } else {
                    truth[j].quantile(rng.uniform())
                };
            }
            let out = auction.run_equilibrium(&types).unwrap();
            let g = out.utilities()[me] + z0 * z0 / (2.0 * kappa);
            s += g;
            s2 += g * g;
        }
        let d = draws as f64;
        let mean = s / d;
        let se = ((s2 / d - mean * mean) / (d - 1.0)).sqrt();
        let want = a.class(k).min_gain();
        assert!(
            (mean - want).abs() <= 4.0 * se,
            "{name}, class {k}: gain {want} vs Monte Carlo {mean} ± {se}"
        );
    }
}

#[test]
fn a_truth_outside_the_design_support_is_refused_with_the_mass_outside() {
    let (_, design) = designs().remove(0);
    let g: Dist = Arc::new(Uniform::new(-1.0, 1.5).unwrap());
    match design.assess(&[g]) {
        Err(DeploymentError::OutsideDesignSupport {
            class,
            mass_outside,
            ..
        }) => {
            assert_eq!(class, 0);
            assert!((mass_outside - 0.2).abs() < 1e-12, "{mass_outside}");
        }
        other => panic!("expected OutsideDesignSupport, got {other:?}"),
    }
    let err = design.assess(&[uniform(), uniform()]).unwrap_err();
    assert!(matches!(
        err,
        DeploymentError::ClassCount {
            expected: 1,
            given: 2
        }
    ));
    let err = design
        .assess_with_fees(&[uniform()], &[f64::NAN])
        .unwrap_err();
    assert!(matches!(err, DeploymentError::NonFiniteFee { class: 0, fee } if fee.is_nan()));
    let err = design.assess_with_fees(&[uniform()], &[]).unwrap_err();
    assert!(matches!(
        err,
        DeploymentError::FeeCount {
            given: 0,
            expected: 1
        }
    ));
}

mod robust {
    use super::*;
    use exchange_design::deployment::robust_fees;
    use proptest::prelude::*;

    /// A random class: κ, support, family, count.
    fn class() -> impl Strategy<Value = (f64, f64, f64, u8, f64, u64)> {
        (
            0.3..2.0f64,
            -1.5..0.5f64,
            0.5..2.5f64,
            0u8..3,
            0.1..0.9f64,
            1u64..3,
        )
    }

    fn build(lo: f64, w: f64, fam: u8, shape: f64) -> Dist {
        let hi = lo + w;
        match fam {
            0 => Arc::new(Uniform::new(lo, hi).unwrap()),
            1 => Arc::new(Triangular::new(lo, lo + shape * w, hi).unwrap()),
            _ => Arc::new(TruncatedNormal::new(lo + shape * w, 0.3 * w, lo, hi).unwrap()),
        }
    }

    /// A plausible truth for a class on `[lo, lo + w]`: a triangle with its
    /// mode anywhere, on a sub-interval.
    fn truth(lo: f64, w: f64, a: f64, b: f64, mode: f64) -> Dist {
        let (x, y) = (lo + 0.3 * a * w, lo + w - 0.3 * b * w);
        Arc::new(Triangular::new(x, x + mode * (y - x), y).unwrap())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Robust fees leave no type of any class with a negative gain under
        /// any plausible market (checked on a grid, not only at the reported
        /// minimiser), and each class's fee is tight: some type under some
        /// plausible market, or the design's own, has gain 0.
        #[test]
        fn robust_fees_keep_everyone_in_and_are_tight(
            classes in prop::collection::vec(class(), 2..4),
            alpha in 0.0..1.0f64,
            truths in prop::collection::vec(
                prop::collection::vec((0.0..1.0f64, 0.0..1.0f64, 0.05..0.95f64), 3),
                1..4,
            ),
        ) {
            let market = Market::new(
                classes
                    .iter()
                    .map(|&(kappa, lo, w, fam, shape, n)| {
                        TraderClass::from_shared(kappa, build(lo, w, fam, shape), n)
                    })
                    .collect(),
            )
            .unwrap();
            prop_assume!(market.n_traders() >= 2);
            let design = Design::new(OptimalMechanism::solve(&market, alpha).unwrap()).unwrap();
            let plausible: Vec<Vec<Dist>> = truths
                .iter()
                .map(|t| {
                    classes
                        .iter()
                        .zip(t)
                        .map(|(&(_, lo, w, ..), &(a, b, m))| truth(lo, w, a, b, m))
                        .collect()
                })
                .collect();
            let robust = robust_fees(&design, &plausible).unwrap();
            let design_market: Vec<Dist> = market
                .classes()
                .iter()
                .map(TraderClass::shared_distribution)
                .collect();
            let at_design = design.assess_with_fees(&design_market, robust.fees()).unwrap();
            for (k, r) in robust.reductions().iter().enumerate() {
                prop_assert!(*r >= 0.0);
                prop_assert!((design.fees()[k] - r - robust.fees()[k]).abs() < 1e-15);
                let mut tightest = at_design.class(k).min_gain();
                for (t, a) in robust.assessments().iter().enumerate() {
                    let c = a.class(k);
                    prop_assert!(c.min_gain() >= -1e-12, "truth {t}, class {k}: {}", c.min_gain());
                    prop_assert_eq!(c.abstain_probability(), 0.0);
                    let (lo, hi) = c.gain_curve().support();
                    for z in common::grid(lo, hi, 200) {
                        let g = c.gain_curve().gain(z).unwrap();
                        prop_assert!(g >= -1e-12, "truth {t}, class {k}, z = {z}: {g}");
                    }
                    tightest = tightest.min(c.min_gain());
                }
                prop_assert!(tightest.abs() < 1e-9, "class {k}: smallest gain {tightest}");
            }
            // The cost is what the design's market loses.
            let base = design.assess(&design_market).unwrap();
            prop_assert!(
                (base.revenue() - at_design.revenue() - robust.revenue_cost()).abs() < 1e-9
            );
        }
    }
}

mod bootstrapping {
    use super::*;
    use exchange_design::deployment::{bootstrap, BootstrapConfig, SampledClass};
    use exchange_design::estimation::Method;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn draws(d: &dyn EndowmentDistribution, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = SplitMix(seed);
        (0..n).map(|_| d.quantile(rng.uniform())).collect()
    }

    fn classes() -> Vec<SampledClass> {
        let a = Uniform::new(-1.0, 1.0).unwrap();
        let b = two_modes(-1.0, 1.0);
        vec![
            SampledClass::new(
                0.5,
                2,
                draws(&a, 400, 1),
                Method::LogConcave,
                Some((-1.0, 1.0)),
            ),
            SampledClass::new(
                1.0,
                2,
                draws(b.as_ref(), 400, 2),
                Method::Kde,
                Some((-1.0, 1.0)),
            ),
        ]
    }

    fn fingerprint(b: &exchange_design::deployment::Bootstrap) -> Vec<u64> {
        let mut v: Vec<f64> = Vec::new();
        v.extend(b.revenue().values());
        v.extend(b.efficiency().values());
        for band in b.fees().iter().chain(b.binding_lo()).chain(b.binding_hi()) {
            v.extend(band.values());
        }
        v.extend(b.assessed_revenues());
        v.push(b.stay_away_probability());
        if let Some(r) = b.robust_fees() {
            v.extend(r.fees());
        }
        v.into_iter().map(f64::to_bits).collect()
    }

    #[test]
    fn reproducible_from_its_seed_and_independent_of_threads() {
        let config = BootstrapConfig {
            replicates: 12,
            seed: 42,
            robust_fees: true,
            ..Default::default()
        };
        let calls = AtomicUsize::new(0);
        let last = AtomicUsize::new(0);
        let first = bootstrap(&classes(), 0.5, &config, &|done, total| {
            assert_eq!(total, 12);
            calls.fetch_add(1, Ordering::Relaxed);
            last.fetch_max(done, Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(calls.load(Ordering::Relaxed), 12);
        assert_eq!(last.load(Ordering::Relaxed), 12);
        assert_eq!(first.revenue().samples() + first.failed_solves(), 12);
        let again = bootstrap(&classes(), 0.5, &config, &|_, _| {}).unwrap();
        assert_eq!(fingerprint(&first), fingerprint(&again));
        let other = bootstrap(
            &classes(),
            0.5,
            &BootstrapConfig {
                seed: 43,
                ..config.clone()
            },
            &|_, _| {},
        )
        .unwrap();
        assert_ne!(fingerprint(&first), fingerprint(&other));
        #[cfg(feature = "parallel")]
        {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .unwrap();
            let serial = pool.install(|| bootstrap(&classes(), 0.5, &config, &|_, _| {}).unwrap());
            assert_eq!(fingerprint(&first), fingerprint(&serial));
        }
        // Bands are ordered and bracket the full-sample design's numbers
        // loosely (the design is one plausible replicate).
        let r = first.revenue().values();
        assert!(r[0] <= r[1] && r[1] <= r[2]);
        // Robust fees over the replicates keep every type in.
        for a in first.robust_fees().unwrap().assessments() {
            assert!(a.classes().iter().all(|c| c.min_gain() >= -1e-12));
        }
    }

    /// A class with one observed value repeated nine times in ten: about a
    /// third of the resamples hold a single value and cannot be estimated.
    /// They are counted and reported, and the bands use the others.
    #[test]
    fn failed_replicates_are_counted_not_hidden() {
        let mut few = vec![0.2; 9];
        few.push(-0.4);
        let classes = vec![
            SampledClass::new(0.5, 2, few, Method::TruncatedNormal, Some((-1.0, 1.0))),
            SampledClass::new(
                0.5,
                2,
                draws(&Uniform::new(-1.0, 1.0).unwrap(), 200, 3),
                Method::LogConcave,
                Some((-1.0, 1.0)),
            ),
        ];
        let config = BootstrapConfig {
            replicates: 40,
            seed: 5,
            ..Default::default()
        };
        let b = bootstrap(&classes, 0.5, &config, &|_, _| {}).unwrap();
        let failed = b.failed_solves();
        assert!(failed > 0, "some resample must be all equal");
        assert!(
            b.failures()
                .iter()
                .all(|f| matches!(f.error, DeploymentError::Estimation { class: 0, .. })),
            "{:?}",
            b.failures()
        );
        assert_eq!(b.revenue().samples() + failed, 40);
        assert_eq!(b.assessed_revenue().samples() + b.failed_assessments(), 40);
    }

    #[test]
    fn bad_configuration_is_an_error() {
        let zero = BootstrapConfig {
            replicates: 0,
            ..Default::default()
        };
        assert!(bootstrap(&classes(), 0.5, &zero, &|_, _| {}).is_err());
        let bad = BootstrapConfig {
            percentiles: vec![5.0, 101.0],
            ..Default::default()
        };
        let err = bootstrap(&classes(), 0.5, &bad, &|_, _| {}).unwrap_err();
        assert!(err.to_string().contains("101"));
    }
}

mod json {
    use crate::common;

    const MARKET: &str = r#""alpha": 0.5, "traders": [
        {"kappa": 0.5, "count": 3, "distribution": {"family": "uniform", "lo": -1, "hi": 1}},
        {"kappa": 1.0, "count": 1, "distribution": {"family": "triangular", "lo": -1, "mode": 0, "hi": 1}}]"#;

    fn error(extra: &str) -> String {
        let text = format!("{{{MARKET}, {extra}}}");
        let e = common::solve_json(&text).expect_err("must be rejected");
        assert!(!e.contains('\n'), "one line: {e}");
        e
    }

    #[test]
    fn bad_deployment_input_names_the_field() {
        let one = r#""assess": {"traders": [{"distribution": {"family": "uniform", "lo": -1, "hi": 1}}]}"#;
        assert!(error(one).starts_with("assess.traders:"), "{}", error(one));
        let bad = r#""assess": {"traders": [
            {"distribution": {"family": "uniform", "lo": -1, "hi": 1}},
            {"distribution": {"family": "truncated_normal", "mu": 0, "sigma": -1, "lo": -1, "hi": 1}}]}"#;
        assert!(
            error(bad).starts_with("assess.traders[1].distribution.sigma:"),
            "{}",
            error(bad)
        );
        let outside = r#""assess": {"traders": [
            {"distribution": {"family": "uniform", "lo": -1, "hi": 1.5}},
            {"distribution": {"family": "uniform", "lo": -1, "hi": 1}}]}"#;
        let e = error(outside);
        assert!(
            e.starts_with("assess.traders[0].distribution:") && e.contains("0.2"),
            "{e}"
        );
        let zero = r#""bootstrap": {"replicates": 0}"#;
        assert!(
            error(zero).starts_with("bootstrap.replicates:"),
            "{}",
            error(zero)
        );
        let not_sampled = r#""bootstrap": {"replicates": 10}"#;
        assert!(
            error(not_sampled).starts_with("traders[0].distribution.family:"),
            "{}",
            error(not_sampled)
        );
        let unknown = r#""bootstrap": {"replicate": 10}"#;
        assert!(
            error(unknown).starts_with("bootstrap"),
            "{}",
            error(unknown)
        );
        let percent = r#""bootstrap": {"percentiles": [5, 150]}"#;
        let e = error(percent);
        assert!(e.contains("percentiles") || e.starts_with("traders"), "{e}");
    }

    /// The report's `assessment` is the library's assessment of the same
    /// design under the same truths.
    #[test]
    fn the_assessment_section_matches_the_library() {
        use exchange_design::deployment::Design;
        use exchange_design::distribution::{EndowmentDistribution, Triangular, Uniform};
        use exchange_design::market::{Market, TraderClass};
        use exchange_design::mechanism::OptimalMechanism;
        use std::sync::Arc;
        let text = format!(
            "{{{MARKET}, \"assess\": {{\"traders\": [
            {{\"distribution\": {{\"family\": \"triangular\", \"lo\": -1, \"mode\": 0.5, \"hi\": 1}}}},
            {{\"distribution\": {{\"family\": \"uniform\", \"lo\": -0.5, \"hi\": 1}}}}]}}}}"
        );
        let report: serde_json::Value =
            serde_json::from_str(&common::solve_json(&text).unwrap()).unwrap();
        let market = Market::new(vec![
            TraderClass::new(0.5, Uniform::new(-1.0, 1.0).unwrap(), 3),
            TraderClass::new(1.0, Triangular::new(-1.0, 0.0, 1.0).unwrap(), 1),
        ])
        .unwrap();
        let design = Design::new(OptimalMechanism::solve(&market, 0.5).unwrap()).unwrap();
        let truth: Vec<Arc<dyn EndowmentDistribution>> = vec![
            Arc::new(Triangular::new(-1.0, 0.5, 1.0).unwrap()),
            Arc::new(Uniform::new(-0.5, 1.0).unwrap()),
        ];
        let a = design.assess(&truth).unwrap();
        let r = &report["assessment"];
        assert_eq!(r["revenue"].as_f64().unwrap(), a.revenue());
        assert_eq!(r["objective"].as_f64().unwrap(), a.objective());
        for (k, c) in a.classes().iter().enumerate() {
            let rc = &r["classes"][k];
            assert_eq!(rc["min_gain"].as_f64().unwrap(), c.min_gain());
            assert_eq!(
                rc["abstain_probability"].as_f64().unwrap(),
                c.abstain_probability()
            );
        }
    }

    /// `assess.robust_fees` over user-given plausible markets: checked
    /// against the library's design assessed afresh with the reported fees
    /// under each market, built here from the same parameters. No type of
    /// any class has a negative gain under any of them, and each class's
    /// fee is tight: under some market its worst type gains 0 (to 1e-9).
    #[test]
    fn robust_fees_over_plausible_markets_keep_everyone_in_and_are_tight() {
        use exchange_design::deployment::Design;
        use exchange_design::distribution::{
            EndowmentDistribution, Triangular, TruncatedNormal, Uniform,
        };
        use exchange_design::market::{Market, TraderClass};
        use exchange_design::mechanism::OptimalMechanism;
        use std::sync::Arc;
        type Dist = Arc<dyn EndowmentDistribution>;
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples/specs/robust_fees.json"),
        )
        .unwrap();
        let report: serde_json::Value =
            serde_json::from_str(&common::solve_json(&text).unwrap()).unwrap();
        let r = &report["assessment"]["robust_fees"];
        let tri = |lo: f64, mode: f64, hi: f64| -> Dist {
            Arc::new(Triangular::new(lo, mode, hi).unwrap())
        };
        let market = Market::new(vec![
            TraderClass::new(0.5, Uniform::new(-1.0, 1.0).unwrap(), 3),
            TraderClass::new(1.0, Triangular::new(-1.0, 0.0, 1.0).unwrap(), 2),
        ])
        .unwrap();
        let design = Design::new(OptimalMechanism::solve(&market, 0.5).unwrap()).unwrap();
        let markets: Vec<Vec<Dist>> = vec![
            vec![
                Arc::new(TruncatedNormal::new(0.2, 0.5, -1.0, 1.0).unwrap()),
                tri(-1.0, 0.2, 1.0),
            ],
            vec![
                Arc::new(Uniform::new(-0.8, 1.0).unwrap()),
                tri(-0.9, -0.3, 0.9),
            ],
            vec![tri(-1.0, 0.3, 1.0), tri(-1.0, -0.2, 1.0)],
            market
                .classes()
                .iter()
                .map(|c| c.shared_distribution())
                .collect(),
        ];
        let fees: Vec<f64> = (0..2).map(|k| r["fees"][k].as_f64().unwrap()).collect();
        let designed = design.fees();
        let mut worst = [f64::INFINITY; 2];
        for (t, m) in markets.iter().enumerate() {
            let a = design.assess_with_fees(m, &fees).unwrap();
            for (k, w) in worst.iter_mut().enumerate() {
                let g = a.class(k).min_gain();
                assert!(g >= -1e-12, "market {t}, class {k}: gain {g}");
                *w = w.min(g);
            }
            if t < 3 {
                let listed = &r["markets"][t];
                let rel = (listed["revenue"].as_f64().unwrap() / a.revenue() - 1.0).abs();
                assert!(rel < 1e-9, "market {t}: revenue {rel}");
            }
        }
        for k in 0..2 {
            assert!(
                worst[k].abs() < 1e-9,
                "class {k}: the fee is not tight ({})",
                worst[k]
            );
            let reduction = r["reductions"][k].as_f64().unwrap();
            assert!(reduction >= 0.0);
            assert!((designed[k] - reduction - fees[k]).abs() < 1e-15);
        }
        // At least one class really had to be lowered: the sample is meant
        // to show it.
        assert!(r["reductions"][0].as_f64().unwrap() + r["reductions"][1].as_f64().unwrap() > 1e-6);
        let cost =
            3.0 * r["reductions"][0].as_f64().unwrap() + 2.0 * r["reductions"][1].as_f64().unwrap();
        assert!((r["revenue_cost"].as_f64().unwrap() - cost).abs() < 1e-12);
        assert_eq!(r["markets"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn bad_plausible_markets_name_the_field() {
        let uniform = r#"{"distribution": {"family": "uniform", "lo": -1, "hi": 1}}"#;
        let with = |plausible: &str| {
            error(&format!(
                r#""assess": {{"traders": [{uniform}, {uniform}], "robust_fees": {{"plausible": {plausible}}}}}"#
            ))
        };
        let e = with("[]");
        assert!(e.starts_with("assess.robust_fees.plausible:"), "{e}");
        let e = with(&format!(r#"[{{"traders": [{uniform}]}}]"#));
        assert!(
            e.starts_with("assess.robust_fees.plausible[0].traders:"),
            "{e}"
        );
        let bad = r#"{"distribution": {"family": "truncated_normal", "mu": 0, "sigma": -1, "lo": -1, "hi": 1}}"#;
        let e = with(&format!(
            r#"[{{"traders": [{uniform}, {uniform}]}}, {{"traders": [{uniform}, {bad}]}}]"#
        ));
        assert!(
            e.starts_with("assess.robust_fees.plausible[1].traders[1].distribution.sigma:"),
            "{e}"
        );
        let wide = r#"{"distribution": {"family": "uniform", "lo": -1.5, "hi": 1}}"#;
        let e = with(&format!(r#"[{{"traders": [{wide}, {uniform}]}}]"#));
        assert!(
            e.starts_with("assess.robust_fees.plausible[0].traders[0].distribution:"),
            "{e}"
        );
        let e = error(&format!(
            r#""assess": {{"traders": [{uniform}, {uniform}], "robust_fees": {{"plausible": [{{"traders": [{uniform}, {uniform}]}}], "percentiles": [50, 101]}}}}"#
        ));
        assert!(e.starts_with("assess.robust_fees.percentiles[1]:"), "{e}");
    }
}

/// The design at `alpha` and its assessment under its own market.
fn under_own_market(m: &Market, alpha: f64, what: &str) -> (OptimalMechanism, Assessment) {
    let mech = OptimalMechanism::solve(m, alpha).unwrap();
    let truth: Vec<Dist> = m
        .classes()
        .iter()
        .map(TraderClass::shared_distribution)
        .collect();
    let a = Design::new(mech.clone())
        .unwrap()
        .assess(&truth)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    (mech, a)
}

/// The design's revenue and efficiency at `alpha` back from assessing it
/// under its own market, each to `1e-9` of the efficiency's scale.
fn assert_reproduced(m: &Market, alpha: f64, what: &str) {
    let (mech, a) = under_own_market(m, alpha, what);
    assert_matches_design(&mech, &a, what);
}

/// An assessment's revenue and efficiency against its design's, each to
/// `1e-9` of the efficiency's scale.
fn assert_matches_design(mech: &OptimalMechanism, a: &Assessment, what: &str) {
    let scale = mech.efficiency().abs();
    assert!(
        rel(a.revenue(), mech.revenue(), scale) < 1e-9,
        "{what}: revenue {} vs {}",
        a.revenue(),
        mech.revenue()
    );
    assert!(
        rel(a.efficiency(), mech.efficiency(), scale) < 1e-9,
        "{what}: efficiency {} vs {}",
        a.efficiency(),
        mech.efficiency()
    );
}

/// A class that is a cluster far narrower than its support, assessed under
/// its own market: the truth's moments come out of pieces that resolve the
/// cluster, so the design is reproduced. With the density's kinks as the
/// only breaks, `σ = 1e-5` was assessed at a revenue of 0.234 against the
/// design's 0.136, with no error; with those pieces but every moment held
/// to `quad_rel` of itself about zero, `σ ≤ 1e-5` was refused (the doubles
/// place the rule's nodes in a cluster 1e-5 wide at 0.3 to only 5e-12 of
/// its width, and two rules on them disagree by 2e-13).
#[test]
fn a_narrow_cluster_is_reproduced_under_its_own_market() {
    for sigma in [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8] {
        assert_reproduced(
            &common::markets::narrow_cluster(sigma),
            0.5,
            &format!("σ = {sigma}"),
        );
    }
}

/// A truncated normal 167 standard deviations above its lower end: its
/// density underflows over most of its support, and its `F/f` rises from 0
/// within `σ²/(μ − lo) = 8e-5` of that end, a layer the quadrature's first
/// nodes stepped over on a piece 1.4 wide (the assessment's `∫ V (1 − G)`
/// and the side payments' integrals 5e-9 off, no error reported; revenue
/// 1.7e-8 off; `ironing_search ordinary 2000 411` market 177). The three
/// computations of the revenue agree: the design's, its side payments'
/// (Theorem 2's identity) and the assessment under its own market.
#[test]
fn a_layer_at_a_far_end_of_the_support_is_resolved() {
    let m = Market::new(vec![
        TraderClass::new(
            1.156,
            TruncatedNormal::new(0.428, 0.013, -1.742, 1.076).unwrap(),
            5,
        ),
        TraderClass::new(1.0, Uniform::new(-1.0, 1.0).unwrap(), 2),
    ])
    .unwrap();
    let mech = OptimalMechanism::solve(&m, 0.76).unwrap();
    let design = Design::new(mech.clone()).unwrap();
    let scale = mech.efficiency().abs();
    let auction = design.side_payments().expected_revenue();
    assert!(
        rel(auction, mech.revenue(), scale) < 1e-10,
        "side payments {auction} against {}",
        mech.revenue()
    );
    assert_reproduced(&m, 0.76, "a layer at the lower end");
}

/// Market 600 of `ironing_search ordinary 5000 601` (with the assessment
/// check): four classes of nested mixtures, tables and uniforms, eleven
/// pools. A pool's level iteration stopped on a step that predicted
/// convergence while its ends were estimates (one Newton step each, across
/// 2e-3 of a cell where the raw type bends): the level was 2.2e-6 off the
/// pool's mean, and the assessment under the design's own market, which
/// integrates `V` against the densities, came to a revenue 6.5e-8 off the
/// design's. The design is reproduced.
#[test]
fn a_pool_level_checked_on_searched_ends_is_reproduced() {
    let spec: exchange_design::spec::Spec = serde_json::from_str(SPEC_ORDINARY_601_600).unwrap();
    assert_reproduced(&spec.market().unwrap(), spec.alpha, "market 600");
}

const SPEC_ORDINARY_601_600: &str = r#"{"alpha":1.0,"traders":[{"kappa":2.0349280423788523,"count":5,"distribution":{"family":"mixture","components":[{"weight":0.13001525850973797,"distribution":{"family":"mixture","components":[{"weight":0.36267446218798377,"distribution":{"family":"uniform","lo":-0.6302608026702615,"hi":0.1008710815868149}},{"weight":0.9703867436092889,"distribution":{"family":"piecewise_linear","z":[-0.9198544780302438,-0.5937401433906143,0.1565397969635589],"density":[0.9904323909609782,1.5911329194817132,1.2505839110192198]}},{"weight":0.003958304147152232,"distribution":{"family":"piecewise_linear","z":[-0.485589104720553,-0.4227627157472819,-0.2917920437871707,-0.2321087596418378,-0.16753117533871215,-0.09410750422654673,0.0013354728380445269,0.00971239547794811,0.11988431770937474,0.23672427736014795,0.3184669762123767,0.33866731282267853,0.44944246286495354,0.4793471724240191],"density":[0.06947414078895835,0.004544256669173755,1.5041904760557256,0.9944225115388101,0.029472677241251924,0.4580199314194933,1.3246102222426073,1.0709413116671236,0.592461569868563,0.861673240457028,1.57329611892645,0.02473950318574129,1.759289539192076,1.189325133315658]}},{"weight":0.023167117686713628,"distribution":{"family":"truncated_normal","mu":-0.09729476725395325,"sigma":0.004577497298849023,"lo":-0.9221591160998223,"hi":0.25162771248868687}}]}},{"weight":0.6667230405599188,"distribution":{"family":"truncated_normal","mu":0.0921636657492205,"sigma":0.008342089453452585,"lo":-0.18359047987196106,"hi":0.07729697874599653}},{"weight":0.9541623374909367,"distribution":{"family":"beta","a":2.3359363251949743,"b":18.037625668723127,"lo":-0.40690577197533406,"hi":0.5375082753733151}},{"weight":0.9243526281937786,"distribution":{"family":"truncated_normal","mu":-0.6113343401194139,"sigma":0.0023792180421784645,"lo":-1.1059753600020343,"hi":-0.5012833645415857}}]}},{"kappa":0.35843694041997853,"count":5,"distribution":{"family":"mixture","components":[{"weight":0.935251452217511,"distribution":{"family":"uniform","lo":-0.3444033978827921,"hi":-0.22230311326275043}},{"weight":0.5832380090907822,"distribution":{"family":"triangular","lo":-0.4901602950687266,"mode":-0.2461627501068905,"hi":-0.1647815517809137}}]}},{"kappa":1.3909482634556307,"count":2,"distribution":{"family":"mixture","components":[{"weight":0.03919084610905083,"distribution":{"family":"truncated_normal","mu":-0.11404939634811806,"sigma":0.1915815725600994,"lo":-0.46310117291598246,"hi":0.021575716934220168}},{"weight":0.6161140987758631,"distribution":{"family":"truncated_normal","mu":-0.617127261154752,"sigma":0.02750206121404122,"lo":-0.7031430537910976,"hi":-0.21850452476138532}},{"weight":0.23650746981556178,"distribution":{"family":"truncated_normal","mu":-0.1584624869735884,"sigma":0.006804187505073597,"lo":-0.19273365326152805,"hi":0.17575973101590317}}]}},{"kappa":1.1760525315276649,"count":5,"distribution":{"family":"mixture","components":[{"weight":0.09385137047063542,"distribution":{"family":"piecewise_linear","z":[-0.8885792212280434,-0.8335772913800387,-0.4141676845099602],"density":[0.3888181044136009,0.9730209602409705,0.0]}},{"weight":0.9195909985728385,"distribution":{"family":"uniform","lo":-0.4141676845099602,"hi":-0.10289874182189535}},{"weight":0.6496485156894806,"distribution":{"family":"triangular","lo":-0.989459629714249,"mode":-0.9308476796840289,"hi":-0.8885792212280434}},{"weight":0.6520593143667494,"distribution":{"family":"piecewise_linear","z":[-1.3965367734423446,-1.3899678279776397,-1.3818323388694485,-1.350453245457379,-1.3114252516291238,-1.2879339328380968,-1.241963890122271,-1.1792038048926377,-1.1152615282747254,-1.104999724104085,-1.0354974139240063,-1.012053752787967,-0.989459629714249],"density":[0.004387960518302456,0.006237759285676454,0.7224118681940452,0.4988191368077559,0.5753322582307687,1.9371282918613149,1.3091329071888684,0.0662627116827672,1.6023111045880494,0.4806277394307319,1.8365678838403396,1.4159210906810744,0.0]}}]}}]}"#;

/// A class of large κ near −8 485 beside a small one near 0.5, assessed
/// under its own market: nobody stays away (a binding type's gain is 0
/// exactly, and far from zero the formulas' terms are 7e7, so rounding
/// must not count as a loss: the gain of the large class's binding type
/// came out at −2.9e-6 and some of its traders were reported to stay
/// away), and revenue and each class's mean gain are those of the design
/// and of the same market shifted toward zero by `t κ` (under which the
/// model is covariant) to 1e-9 of the crate's natural units,
/// `(|z|max + width)²/κ` a trader.
#[test]
fn a_market_far_from_zero_is_assessed_as_designed() {
    let market = |t: f64| {
        Market::new(vec![
            TraderClass::new(
                0.0084,
                Uniform::new(0.32 + 0.0084 * t, 0.62 + 0.0084 * t).unwrap(),
                4,
            ),
            TraderClass::new(
                775.0,
                TruncatedNormal::new(
                    -8485.0 + 775.0 * t,
                    1.0,
                    -8488.0 + 775.0 * t,
                    -8482.0 + 775.0 * t,
                )
                .unwrap(),
                3,
            ),
        ])
        .unwrap()
    };
    let assess = |m: &Market| under_own_market(m, 0.0, "far from zero");
    let (far, near) = (market(0.0), market(10.95));
    let (mech, a) = assess(&far);
    let (_, b) = assess(&near);
    let units: Vec<f64> = far
        .classes()
        .iter()
        .map(|c| {
            let (lo, hi) = c.distribution().support();
            (lo.abs().max(hi.abs()) + (hi - lo)).powi(2) / c.kappa()
        })
        .collect();
    let total: f64 = far
        .classes()
        .iter()
        .zip(&units)
        .map(|(c, u)| c.count() as f64 * u)
        .sum();
    assert!(
        !a.someone_stays_away(),
        "{:?}",
        a.classes().iter().map(|c| c.min_gain()).collect::<Vec<_>>()
    );
    for (what, got, want) in [
        ("revenue against the design", a.revenue(), mech.revenue()),
        (
            "revenue against the shifted market",
            a.revenue(),
            b.revenue(),
        ),
    ] {
        assert!(
            (got - want).abs() <= 1e-9 * total,
            "{what}: {got} vs {want}"
        );
    }
    for (k, u) in units.iter().enumerate() {
        let (got, want) = (a.class(k).mean_gain(), b.class(k).mean_gain());
        assert!(
            (got - want).abs() <= 1e-9 * u,
            "class {k}: mean gain {got} vs {want}"
        );
    }
}

/// Clusters too faint for the truth's feature points (they raise the
/// density by less than half, so the pieces do not resolve them), assessed
/// under their own market: revenue and efficiency are the design's to
/// `1e-12`. The truth's density is integrated with the moments and checked
/// against its closed-form probability of each piece; before, the rule
/// stepped over these clusters and the assessment came out `2e-8` to
/// `2.6e-6` (relative) off its own design, with no error.
#[test]
fn a_faint_cluster_is_reproduced_under_its_own_market() {
    // (weight, σ, position)
    for (w, s, at) in [
        (1e-6, 1e-5, 0.3),
        (1e-5, 1e-5, 0.77),
        (1e-6, 1e-7, 0.6375),
        (1e-4, 1e-4, 0.5),
    ] {
        let m = common::markets::cluster_beside_normal(w, s, at, false);
        let (mech, a) = under_own_market(&m, 0.5, "a faint cluster");
        for (what, got, want) in [
            ("revenue", a.revenue(), mech.revenue()),
            ("efficiency", a.efficiency(), mech.efficiency()),
        ] {
            assert!(
                (got - want).abs() <= 1e-12 * want.abs(),
                "cluster {w} × N({at}, {s}²): {what} {got} against {want}"
            );
        }
    }
}

/// A class with a narrow cluster of traders, assessed under its own
/// market: each type's gain in the auction, and the mean gain, are the
/// utility gains of the design's cut twin (the cluster cut off at `±12σ`,
/// whose ends split every integral), to `1e-12`. The integrals of `V`
/// behind the gains stepped over these clusters (they raise the density by
/// less than the 64-fold that then split a piece, 1024-fold now): gains `7e-7` off, the mean
/// gain `3e-6`, with no error.
#[test]
fn a_narrow_clusters_gains_are_its_utility_gains() {
    use exchange_design::implementation::SidePayments;
    // (weight, σ, position, α)
    for (w, s, at, alpha) in [(1e-3, 1e-4, 0.95, 0.4), (1e-4, 1e-5, 0.8, 1.0)] {
        let m = common::markets::cluster_beside_normal(w, s, at, false);
        let (_, a) = under_own_market(&m, alpha, "a narrow cluster");
        let twin = OptimalMechanism::solve(
            &common::markets::cluster_beside_normal(w, s, at, true),
            alpha,
        )
        .unwrap();
        let close = |what: &str, got: f64, want: f64| {
            assert!(
                (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                "cluster {w} × N({at}, {s}²) at α = {alpha}: {what} {got} against {want}"
            );
        };
        let curve = a.class(0).gain_curve();
        for z in [at - 20.0 * s, at, at + 20.0 * s, 1.0] {
            close(
                "the gain",
                curve.gain(z).unwrap(),
                twin.utility_gain(0, z).unwrap(),
            );
        }
        close(
            "the mean gain",
            a.class(0).mean_gain(),
            SidePayments::new(&twin)
                .unwrap()
                .class(0)
                .expected_gain_per_trader(),
        );
    }
}
