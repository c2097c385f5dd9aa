//! The double auction without side payments (theory notes §7): closed forms
//! for symmetric traders, equilibrium (best responses) for heterogeneous
//! risk capacities, maximal participation fees, and Lemma 1 checks of the
//! optimal, first-best and auction mechanisms.

use crate::common;

use exchange_design::benchmarks::{BenchmarkError, PlainDoubleAuction};
use exchange_design::distribution::Uniform;
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::{
    check_feasibility, DirectMechanism, FeasibilityViolation, FirstBest, MechanismError,
    OptimalMechanism,
};

fn example1(n: u64) -> Market {
    Market::symmetric(n, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap()
}

/// Three classes with different κ, supports and counts (N = 5).
fn heterogeneous() -> Market {
    Market::new(vec![
        TraderClass::new(0.5, Uniform::new(-1.0, 1.0).unwrap(), 2),
        TraderClass::new(2.0, Uniform::new(0.0, 1.0).unwrap(), 1),
        TraderClass::new(1.0, Uniform::new(-0.5, 1.5).unwrap(), 2),
    ])
    .unwrap()
}

/// Deterministic pseudo-random numbers in [0, 1) (a 64-bit LCG).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One random type per trader, class by class.
fn draw(market: &Market, rng: &mut Lcg) -> Vec<f64> {
    market
        .classes()
        .iter()
        .flat_map(|c| {
            let (lo, hi) = c.distribution().support();
            (0..c.count()).map(move |_| (lo, hi))
        })
        .map(|(lo, hi)| lo + (hi - lo) * rng.next())
        .collect()
}

fn class_of_traders(market: &Market) -> Vec<usize> {
    market
        .classes()
        .iter()
        .enumerate()
        .flat_map(|(k, c)| std::iter::repeat_n(k, c.count() as usize))
        .collect()
}

#[test]
fn two_traders_have_no_linear_equilibrium() {
    let err = PlainDoubleAuction::new(&example1(2)).unwrap_err();
    assert_eq!(err, BenchmarkError::NoLinearEquilibrium { n_traders: 2 });
    assert!(err.to_string().contains("at least 3"));
    let asym = Market::new(vec![
        TraderClass::new(0.5, Uniform::new(-1.0, 1.0).unwrap(), 1),
        TraderClass::new(3.0, Uniform::new(0.0, 2.0).unwrap(), 1),
    ])
    .unwrap();
    assert!(matches!(
        PlainDoubleAuction::new(&asym),
        Err(BenchmarkError::NoLinearEquilibrium { n_traders: 2 })
    ));
}

#[test]
fn symmetric_slopes_and_allocation_are_a_fixed_fraction_of_first_best() {
    let mut rng = Lcg(7);
    for n in [3u64, 4, 5, 10, 50] {
        for kappa in [0.5, 2.0] {
            let m = Market::symmetric(n, kappa, Uniform::new(-1.0, 2.0).unwrap()).unwrap();
            let da = PlainDoubleAuction::new(&m).unwrap();
            let fb = FirstBest::new(&m).unwrap();
            let nf = n as f64;
            let ratio = (nf - 2.0) / (nf - 1.0);
            let c = da.class(0);
            assert!((c.schedule_slope() - kappa * ratio).abs() < 1e-13 * kappa);
            assert!((c.price_impact() - 1.0 / ((nf - 1.0) * kappa * ratio)).abs() < 1e-12 / kappa);
            for _ in 0..20 {
                let z = draw(&m, &mut rng);
                let x = da.allocation(&z).unwrap();
                let x_fb = fb.allocation(&z).unwrap();
                for (a, b) in x.iter().zip(&x_fb) {
                    assert!(
                        (a - ratio * b).abs() < 1e-12,
                        "N={n} κ={kappa}: {a} vs {ratio}·{b}"
                    );
                }
                // Symmetric clearing price: −mean endowment / κ.
                let p = da.price(&z).unwrap();
                assert!((p + z.iter().sum::<f64>() / nf / kappa).abs() < 1e-12);
            }
            for k in 0..=10 {
                let z = -1.0 + 0.3 * k as f64;
                let xa = da.interim_allocation(0, z).unwrap();
                let xf = fb.mechanism().interim_allocation(0, z).unwrap();
                assert!((xa - ratio * xf).abs() < 1e-12, "interim N={n} z={z}");
            }
        }
    }
}

#[test]
fn symmetric_efficiency_and_fees_match_closed_form() {
    for n in [3u64, 5, 8, 30] {
        let nf = n as f64;
        let da = PlainDoubleAuction::new(&example1(n)).unwrap();
        let r = (nf - 2.0) / (nf - 1.0);
        // Z_i + X_i = (1 − r + r/N) Z_i + (r/N) Σ_{j≠i} Z_j, Var Z = 1/3, κ = 1/2.
        let own = 1.0 - r + r / nf;
        let e2 = (own * own + (nf - 1.0) * (r / nf).powi(2)) / 3.0;
        assert!((da.class(0).holding_cost() - e2).abs() < 1e-13, "N={n}");
        assert!((da.efficiency() + nf * e2).abs() < 1e-12);
        // Maximal fee (N − 2)/(3N(N − 1)) per trader, total (N − 2)/(3(N − 1)).
        let fees = da.with_maximal_fees();
        assert!((fees.fee(0).unwrap() - (nf - 2.0) / (3.0 * nf * (nf - 1.0))).abs() < 1e-14);
        assert!((fees.revenue() - (nf - 2.0) / (3.0 * (nf - 1.0))).abs() < 1e-13);
        assert_eq!(da.revenue(), 0.0);
    }
}

#[test]
fn heterogeneous_slopes_solve_the_fixed_point() {
    let m = heterogeneous();
    let da = PlainDoubleAuction::new(&m).unwrap();
    let total: f64 = da
        .classes()
        .iter()
        .map(|c| c.count() as f64 * c.schedule_slope())
        .sum();
    assert!((total - da.aggregate_slope()).abs() < 1e-13);
    for c in da.classes() {
        let others = total - c.schedule_slope();
        let b = 1.0 / (1.0 / c.kappa() + 1.0 / others);
        assert!(
            (c.schedule_slope() - b).abs() < 1e-12,
            "b = {} vs {b}",
            c.schedule_slope()
        );
        assert!((c.price_impact() - 1.0 / others).abs() < 1e-12);
    }
}

/// The trader's realised payoff −(z + q)²/(2κ) − p q when the others play
/// their equilibrium schedules and it ends up with quantity q.
struct Residual {
    kappa: f64,
    z: f64,
    /// p(q) = (q − intercept)/slope.
    intercept: f64,
    slope: f64,
}
impl Residual {
    fn price(&self, q: f64) -> f64 {
        (q - self.intercept) / self.slope
    }
    fn payoff(&self, q: f64) -> f64 {
        -(self.z + q).powi(2) / (2.0 * self.kappa) - self.price(q) * q
    }
}

#[test]
fn heterogeneous_schedules_are_best_responses() {
    let m = heterogeneous();
    let da = PlainDoubleAuction::new(&m).unwrap();
    let classes = class_of_traders(&m);
    let mut rng = Lcg(11);
    for _ in 0..25 {
        let z = draw(&m, &mut rng);
        let x = da.allocation(&z).unwrap();
        let p = da.price(&z).unwrap();
        assert!(x.iter().sum::<f64>().abs() < 1e-12);
        for i in 0..z.len() {
            let ci = da.class(classes[i]);
            // Others' schedules −b_j (Z_j/κ_j + p) clear against q_i:
            // q_i = Σ_{j≠i} b_j Z_j/κ_j + B_{−i} p.
            let mut intercept = 0.0;
            let mut slope = 0.0;
            for j in (0..z.len()).filter(|&j| j != i) {
                let cj = da.class(classes[j]);
                intercept += cj.schedule_slope() * z[j] / cj.kappa();
                slope += cj.schedule_slope();
            }
            let r = Residual {
                kappa: ci.kappa(),
                z: z[i],
                intercept,
                slope,
            };
            assert!(
                (r.price(x[i]) - p).abs() < 1e-12,
                "trader {i}: residual price"
            );
            let best = r.payoff(x[i]);
            // Any quantity at this profile.
            for k in 0..=400 {
                let q = x[i] - 3.0 + 6.0 * k as f64 / 400.0;
                assert!(
                    r.payoff(q) <= best + 1e-9,
                    "trader {i} gains by buying {q} instead of {}",
                    x[i]
                );
            }
            // Any linear schedule q = γ − β p: clears at p = (γ − C)/(β + B_{−i}).
            for bk in 0..=30 {
                let beta = 3.0 * ci.schedule_slope() * bk as f64 / 30.0;
                for gk in 0..=40 {
                    let gamma = -4.0 + 8.0 * gk as f64 / 40.0;
                    let price = (gamma - intercept) / (beta + slope);
                    let q = gamma - beta * price;
                    assert!(
                        r.payoff(q) <= best + 1e-9,
                        "trader {i}: schedule β={beta} γ={gamma} improves"
                    );
                }
            }
        }
    }
}

/// Interim allocation and utility gain against an independent computation:
/// exact Gauss–Legendre over the others' endowments of the realised payoff
/// (polynomial in the endowments, so one 30-node panel per dimension is exact).
#[test]
fn heterogeneous_interim_quantities_match_direct_expectations() {
    let m = Market::new(vec![
        TraderClass::new(0.5, Uniform::new(-1.0, 1.0).unwrap(), 1),
        TraderClass::new(2.0, Uniform::new(0.0, 1.0).unwrap(), 1),
        TraderClass::new(1.0, Uniform::new(-0.5, 1.5).unwrap(), 1),
    ])
    .unwrap();
    let da = PlainDoubleAuction::new(&m).unwrap();
    let sup: Vec<(f64, f64)> = m
        .classes()
        .iter()
        .map(|c| c.distribution().support())
        .collect();
    for i in 0..3 {
        let (others, kappa) = (
            (0..3).filter(|&j| j != i).collect::<Vec<_>>(),
            m.classes()[i].kappa(),
        );
        let (lo, hi) = sup[i];
        for k in 0..=6 {
            let zi = lo + (hi - lo) * k as f64 / 6.0;
            let expect = |f: &dyn Fn(f64, f64) -> f64| {
                let (a0, b0) = sup[others[0]];
                let (a1, b1) = sup[others[1]];
                common::reference_integral_panels(
                    |u| common::reference_integral_panels(|v| f(u, v), a1, b1, 1) / (b1 - a1),
                    a0,
                    b0,
                    1,
                ) / (b0 - a0)
            };
            let profile = |u: f64, v: f64| {
                let mut z = [0.0; 3];
                z[i] = zi;
                z[others[0]] = u;
                z[others[1]] = v;
                z
            };
            let x_mean = expect(&|u, v| da.allocation(&profile(u, v)).unwrap()[i]);
            let gain = expect(&|u, v| {
                let z = profile(u, v);
                let x = da.allocation(&z).unwrap()[i];
                let p = da.price(&z).unwrap();
                -(zi + x).powi(2) / (2.0 * kappa) - p * x + zi * zi / (2.0 * kappa)
            });
            let pay = expect(&|u, v| {
                let z = profile(u, v);
                da.price(&z).unwrap() * da.allocation(&z).unwrap()[i]
            });
            assert!(
                (da.interim_allocation(i, zi).unwrap() - x_mean).abs() < 1e-12,
                "x̄ trader {i} z={zi}"
            );
            assert!(
                (da.utility_gain(i, zi).unwrap() - gain).abs() < 1e-12,
                "G trader {i} z={zi}"
            );
            assert!(
                (da.interim_transfer(i, zi).unwrap() - pay).abs() < 1e-12,
                "t̄ trader {i} z={zi}"
            );
        }
    }
}

#[test]
fn maximal_fee_is_the_minimum_gain_and_leaves_the_worst_type_indifferent() {
    for m in [heterogeneous(), example1(4)] {
        let da = PlainDoubleAuction::new(&m).unwrap();
        let fees = da.with_maximal_fees();
        let mut total = 0.0;
        for (k, c) in m.classes().iter().enumerate() {
            let (lo, hi) = c.distribution().support();
            let grid_min = (0..=4000)
                .map(|j| {
                    da.utility_gain(k, lo + (hi - lo) * j as f64 / 4000.0)
                        .unwrap()
                })
                .fold(f64::INFINITY, f64::min);
            let fee = fees.fee(k).unwrap();
            assert!(
                fee <= grid_min + 1e-15 && fee >= grid_min - 1e-6,
                "class {k}: {fee} vs {grid_min}"
            );
            assert!(
                fees.utility_gain(k, da.class(k).worst_type())
                    .unwrap()
                    .abs()
                    < 1e-14
            );
            total += c.count() as f64 * fee;
        }
        assert!((fees.revenue() - total).abs() < 1e-14);
        assert_eq!(fees.efficiency(), da.efficiency());
        assert_eq!(DirectMechanism::revenue(&fees), fees.revenue());
    }
    // Non-zero means: the worst type of the heterogeneous market is interior
    // or at an end, but the fee stays positive (everyone gains from trade).
    let da = PlainDoubleAuction::new(&heterogeneous()).unwrap();
    assert!(da.classes().iter().all(|c| c.maximal_fee() > 0.0));
}

#[test]
fn example1_auction_fee_revenue_rises_towards_one_third() {
    let mut last = 0.0;
    for n in 3..=200u64 {
        let r = PlainDoubleAuction::new(&example1(n))
            .unwrap()
            .with_maximal_fees()
            .revenue();
        assert!(r > last, "N={n}: {r} ≤ {last}");
        assert!(r < 1.0 / 3.0);
        last = r;
    }
    assert!(1.0 / 3.0 - last < 2e-3);
}

#[test]
fn lemma1_holds_for_optimal_first_best_and_auctions() {
    for m in [example1(5), heterogeneous()] {
        for alpha in [0.0, 0.3, 1.0] {
            let mech = OptimalMechanism::solve(&m, alpha).unwrap();
            check_feasibility(&mech).unwrap_or_else(|e| panic!("α={alpha}: {e}"));
        }
        check_feasibility(&FirstBest::new(&m).unwrap()).unwrap();
        let da = PlainDoubleAuction::new(&m).unwrap();
        check_feasibility(&da).unwrap();
        check_feasibility(&da.with_maximal_fees()).unwrap();
    }
}

#[test]
fn lemma1_detects_a_fee_that_is_too_high() {
    let da = PlainDoubleAuction::new(&example1(5)).unwrap();
    let fee = 1.5 * da.class(0).maximal_fee();
    let greedy = da.with_fees(vec![fee]).unwrap();
    match check_feasibility(&greedy) {
        Err(FeasibilityViolation::IndividualRationality { class: 0, z, gain }) => {
            assert!(gain < 0.0 && z.abs() < 0.5, "z = {z}, gain = {gain}");
        }
        other => panic!("expected an IR violation, got {other:?}"),
    }
    assert!(da.with_fees(vec![0.1, 0.2]).is_err());
    assert!(da.with_fees(vec![f64::NAN]).is_err());
}

/// A wrapper that breaks one condition of Lemma 1 at a time.
enum Break {
    /// Interim allocation increasing: mirror the allocation.
    Monotonicity,
    /// Transfer shifted without changing the reported gain.
    Transfer,
    /// Transfer and gain shifted together by a type-dependent amount.
    Envelope,
}
struct Broken<'a> {
    inner: &'a OptimalMechanism,
    how: Break,
}
impl DirectMechanism for Broken<'_> {
    fn market(&self) -> &Market {
        self.inner.market()
    }
    fn revenue(&self) -> f64 {
        self.inner.revenue()
    }
    fn efficiency(&self) -> f64 {
        self.inner.efficiency()
    }
    fn interim_allocation(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        let x = self.inner.interim_allocation(class, z)?;
        Ok(match self.how {
            Break::Monotonicity => -x,
            _ => x,
        })
    }
    fn interim_second_moment(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        self.inner.interim_second_moment(class, z)
    }
    fn interim_transfer(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        let t = self.inner.interim_transfer(class, z)?;
        Ok(match self.how {
            Break::Monotonicity => t,
            Break::Transfer => t + 0.01,
            Break::Envelope => t - 0.01 * z * z,
        })
    }
    fn utility_gain(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        let g = self.inner.utility_gain(class, z)?;
        Ok(match self.how {
            Break::Envelope => g + 0.01 * z * z,
            _ => g,
        })
    }
}

#[test]
fn lemma1_names_the_failing_condition() {
    let mech = OptimalMechanism::solve(&example1(5), 0.5).unwrap();
    let v = check_feasibility(&Broken {
        inner: &mech,
        how: Break::Monotonicity,
    })
    .unwrap_err();
    assert!(
        matches!(
            v,
            FeasibilityViolation::AllocationIncreasing { class: 0, .. }
        ),
        "{v}"
    );
    let v = check_feasibility(&Broken {
        inner: &mech,
        how: Break::Transfer,
    })
    .unwrap_err();
    match v {
        FeasibilityViolation::TransferInconsistent {
            gain_from_transfer,
            reported_gain,
            ..
        } => assert!((reported_gain - gain_from_transfer - 0.01).abs() < 1e-9),
        other => panic!("expected TransferInconsistent, got {other:?}"),
    }
    let v = check_feasibility(&Broken {
        inner: &mech,
        how: Break::Envelope,
    })
    .unwrap_err();
    assert!(
        matches!(v, FeasibilityViolation::EnvelopeViolated { class: 0, .. }),
        "{v}"
    );
    assert!(v.to_string().contains("eq. (3)"));
}

#[test]
fn bad_queries_are_typed_errors_not_numbers() {
    let da = PlainDoubleAuction::new(&heterogeneous()).unwrap();
    let bad = |r: Result<f64, MechanismError>| matches!(r, Err(MechanismError::InvalidQuery(_)));
    assert!(bad(da.interim_allocation(3, 0.0)));
    assert!(bad(da.utility_gain(0, f64::NAN)));
    assert!(bad(da.interim_transfer(0, f64::INFINITY)));
    assert!(bad(da.demand(0, 0.1, f64::NAN)));
    assert!(bad(da.price(&[0.0; 4])));
    assert!(bad(da.price(&[0.0, 0.0, f64::NAN, 0.0, 0.0])));
    assert!(da.allocation(&[0.0; 6]).is_err());
    let fees = da.with_maximal_fees();
    assert!(bad(fees.utility_gain(3, 0.0)));
    assert!(fees.fee(3).is_none());
    // Demand at the clearing price reproduces the allocation.
    let z = [0.2, -0.7, 0.5, 1.1, 0.0];
    let p = da.price(&z).unwrap();
    let x = da.allocation(&z).unwrap();
    for (i, k) in class_of_traders(da.market()).into_iter().enumerate() {
        assert!((da.demand(k, z[i], p).unwrap() - x[i]).abs() < 1e-15);
    }
}
