//! The designed auction judged under a true market.
//!
//! A [`Design`] is a solved mechanism together with the side payments that
//! implement it (Theorem 2). [`Design::assess`] takes a *true* distribution
//! for each class (same classes, risk capacities and counts as designed;
//! other distributions) and computes, by quadrature, what the auction does
//! when the traders' types are really drawn from them.
//!
//! **Why the schedules stay the same.** In the auction every trader of type
//! `z` submits `q_i(p) = −V_i(z) − w_i p`, and that schedule is a best
//! response to *every* realisation of the others' schedules (an ex-post
//! equilibrium). It therefore stays an equilibrium whatever the others'
//! types are drawn from: only the distribution of the outcome changes. The
//! auction clears at `p = −Σ_j V_j(Z_j)`, trader `i` gets
//! `X_i = −V_i(Z_i) + w_i Σ_j V_j(Z_j)` and pays `p X_i + S_i(p, X_i)`, with
//! `V`, `S` and the fees `τ` those designed for the estimate. (The *direct*
//! mechanism with its interim transfers is not incentive compatible under
//! another distribution, so the auction, not the direct mechanism, is what
//! is assessed.)
//!
//! **What is computed.** With `A = Σ_{j≠i} V_j(Z_j)` the others' aggregate
//! virtual value (mean `μ`, variance `σ²` under the truth), a type `z` of
//! class `i` with `v = V_i(z)` expects to buy `x̄ = −(1 − w)v + wμ` and
//!
//! ```text
//! E[X² | z]  = x̄² + w²σ²
//! E[pX | z]  = (1 − w)v² + (1 − 2w) v μ − w(σ² + μ²)
//! payment(z) = E[pX | z] + c E[X² | z]/2 − T_i(v) + τ_i
//! gain(z)    = −(2 z x̄ + E[X² | z])/(2κ) − payment(z)
//! ```
//!
//! where `T_i(V(z))` is evaluated with `V⁻¹(V(z)) = z` (Young's identity).
//! The gain is the expected utility of taking part (final position
//! `z + X_i`, paying `p X_i + S_i`) minus that of not trading at all. By the
//! envelope theorem its slope is `−x̄(z)/κ`, increasing in `z`: the gain is
//! convex, and it is smallest where `V_i(z) = wμ/(1 − w)` (clamped to the
//! truth's support). Everything the report needs is then a handful of
//! moments of the designed `V_i` under the true `G_i` (`E V`, `E V²`,
//! `E Z V`, `E Z`, `E Z²` and `∫ V (1 − G)`, the last giving `E T_i` by
//! parts): one adaptive quadrature per class, split at the kinks of `V_i`
//! and of both densities.
//!
//! Revenue and efficiency are those of the auction with *every* trader
//! taking part, as the equilibrium prescribes; the per-class
//! `abstain_probability` says how many would rather not, which is the
//! warning that those numbers are optimistic.
//!
//! **Types outside the design's support.** The designed side payments
//! extend `V_i⁻¹` by the ends of the support, so a type above the support
//! has a payoff linear in its quantity beyond that point: it has no best
//! response. A truth that puts any type outside the design's support is
//! therefore refused with [`DeploymentError::OutsideDesignSupport`], which
//! names the class and the probability outside. Nothing is clamped.
//!
//! **Tolerance.** Under the design's own market the gain is exactly zero on
//! the binding interval; rounding makes it `±1e-16`. A type counts as
//! staying away when its gain is below `−GAIN_TOLERANCE · width²/κ`
//! ([`GAIN_TOLERANCE`]) and below the rounding of the terms the gain is the
//! difference of (far from zero those are large: a fee of 3e4 for types
//! near 200, 7e7 for types near −8 500 with `κ = 775`).
//!
//! **Far from zero.** The moments under the truth are integrated about the
//! truth's own mean and moved back in closed form, so the quadrature's
//! error is relative to the types' spread, not to their distance from
//! zero; what is left far from zero is the rounding of the formulas above,
//! whose terms grow with it.

use super::DeploymentError;
use crate::distribution::{
    breakpoints, feature_breakpoints, probability_between, validate, EndowmentDistribution,
};
use crate::implementation::{ClassSidePayment, SidePayments};
use crate::mechanism::DirectMechanism;
use crate::mechanism::{OptimalMechanism, VirtualValue};
use crate::numerics::{
    brent, integrate_pieces_with_mass, integrate_vec_with_mass, node_resolution, parallel,
    Integral, KnownMass, NumericalError, Tolerances,
};
use std::cell::Cell;
use std::sync::Arc;

/// Gains above `−GAIN_TOLERANCE · width²/κ` (the scale of a utility gain)
/// count as zero when deciding who would stay away, and so do gains within
/// the rounding of the terms they are computed from (which far from zero
/// can be larger: see [`GainCurve`]'s `terms`).
pub const GAIN_TOLERANCE: f64 = 1e-12;

/// Units of `ε` times the sum of the magnitudes of a gain's terms taken as
/// the rounding of the gain: a dozen roundings, each of at most half an ulp
/// of its term, with room to spare.
const GAIN_ROUNDING_ULPS: f64 = 16.0;

/// A designed exchange: the optimal mechanism and the side payments that
/// implement it in a double auction.
///
/// # Example
/// ```
/// # use exchange_design::prelude::*;
/// use exchange_design::deployment::Design;
/// use exchange_design::distribution::{EndowmentDistribution, Triangular, Uniform};
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::OptimalMechanism;
/// use std::sync::Arc;
/// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let design = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
/// // Under the design's own market: the design's revenue, nobody stays away.
/// let same = design.assess(&[m.classes()[0].shared_distribution()])?;
/// assert!((same.revenue() - design.mechanism().revenue()).abs() < 1e-10);
/// assert!(same.class(0).abstain_probability() == 0.0);
/// // Endowments really skewed upwards: some types would rather not trade.
/// let g: Arc<dyn EndowmentDistribution> = Arc::new(Triangular::new(-1.0, 0.6, 1.0)?);
/// let shifted = design.assess(&[g])?;
/// assert!(shifted.class(0).min_gain() < 0.0);
/// assert!(shifted.class(0).abstain_probability() > 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Design {
    mech: OptimalMechanism,
    rules: SidePayments,
}

impl Design {
    /// The design of a solved mechanism: builds its side payments.
    ///
    /// # Errors
    /// [`DeploymentError::Implementation`] when the side payments are not
    /// finite (a numerically extreme market).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{deployment::Design, distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let d = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
    /// assert_eq!(d.fees().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(mech: OptimalMechanism) -> Result<Self, DeploymentError> {
        let rules = SidePayments::new(&mech)?;
        Ok(Self { mech, rules })
    }

    /// The optimal direct mechanism.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{deployment::Design, distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let d = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
    /// assert_eq!(d.mechanism().alpha(), 0.5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mechanism(&self) -> &OptimalMechanism {
        &self.mech
    }

    /// The side payments of the auction that implements it.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{deployment::Design, distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let d = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
    /// assert_eq!(d.side_payments().classes().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn side_payments(&self) -> &SidePayments {
        &self.rules
    }

    /// The designed participation fees `τ_i`, in class order.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{deployment::Design, distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let d = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
    /// assert_eq!(d.fees()[0], d.side_payments().class(0).tau());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fees(&self) -> Vec<f64> {
        self.rules.classes().iter().map(|c| c.tau()).collect()
    }

    /// The designed auction (fees as designed) under the true
    /// distributions `truth` (one per class, in market order).
    ///
    /// # Errors
    /// [`DeploymentError::ClassCount`] for a different number of classes,
    /// [`DeploymentError::InvalidTruth`] for a distribution that fails
    /// [`validate`], [`DeploymentError::OutsideDesignSupport`] for a truth
    /// with types outside the design's support,
    /// [`DeploymentError::NonFinite`] for a result that is not finite,
    /// [`DeploymentError::Quadrature`] for a moment of the designed virtual
    /// value under the truth (or its integral between two types) that the
    /// adaptive quadrature cannot bring to `Tolerances::quad_rel`.
    ///
    /// # Example
    /// See [`Design`].
    pub fn assess(
        &self,
        truth: &[Arc<dyn EndowmentDistribution>],
    ) -> Result<Assessment, DeploymentError> {
        self.assess_with_fees(truth, &self.fees())
    }

    /// [`Design::assess`] with the participation fees replaced by `fees`
    /// (one per class). Fees enter each payment additively and change no
    /// schedule, so nothing else moves.
    ///
    /// # Errors
    /// As [`Design::assess`], [`DeploymentError::FeeCount`] for a fee vector
    /// of the wrong length and [`DeploymentError::NonFiniteFee`] for a
    /// non-finite entry.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{deployment::Design, distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let d = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
    /// let truth = [m.classes()[0].shared_distribution()];
    /// let cheaper = d.assess_with_fees(&truth, &[d.fees()[0] - 0.1])?;
    /// // Three traders each pay 0.1 less and each gains 0.1 more.
    /// assert!((cheaper.revenue() - (d.mechanism().revenue() - 0.3)).abs() < 1e-10);
    /// assert!((cheaper.class(0).min_gain() - 0.1).abs() < 1e-10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn assess_with_fees(
        &self,
        truth: &[Arc<dyn EndowmentDistribution>],
        fees: &[f64],
    ) -> Result<Assessment, DeploymentError> {
        let n = self.rules.classes().len();
        if truth.len() != n {
            return Err(DeploymentError::ClassCount {
                expected: n,
                given: truth.len(),
            });
        }
        if fees.len() != n {
            return Err(DeploymentError::FeeCount {
                given: fees.len(),
                expected: n,
            });
        }
        if let Some((k, f)) = fees.iter().enumerate().find(|(_, f)| !f.is_finite()) {
            return Err(DeploymentError::NonFiniteFee { class: k, fee: *f });
        }
        for (class, (g, rule)) in truth.iter().zip(self.rules.classes()).enumerate() {
            check_truth(class, g.as_ref(), rule.virtual_value().distribution())?;
        }
        let tol = Tolerances::DEFAULT;
        let pairs: Vec<(&ClassSidePayment, &Arc<dyn EndowmentDistribution>)> =
            self.rules.classes().iter().zip(truth).collect();
        let moments: Vec<TruthMoments> = parallel::map_each(&pairs, |(rule, g)| {
            TruthMoments::of(rule.virtual_value(), g.as_ref(), &tol)
        })
        .into_iter()
        .enumerate()
        .map(|(class, m)| m.map_err(|source| DeploymentError::Quadrature { class, source }))
        .collect::<Result<_, _>>()?;
        // Aggregate over all traders, in class order.
        let (mut sum_mean, mut sum_var) = (0.0, 0.0);
        for (rule, m) in self.rules.classes().iter().zip(&moments) {
            let n = rule.count() as f64;
            sum_mean += n * m.mean_v;
            sum_var += n * m.var_v();
        }
        let k_total = self.mech.market().total_kappa();
        let curves: Vec<GainCurve> = self
            .rules
            .classes()
            .iter()
            .zip(&moments)
            .zip(truth)
            .zip(fees)
            .enumerate()
            .map(|(class, (((rule, m), g), &tau))| GainCurve {
                class,
                vv: rule.virtual_value().clone(),
                truth: Arc::clone(g),
                kappa: rule.kappa(),
                weight: rule.kappa_share(),
                c: rule.c(),
                k_total,
                k_others: k_total - rule.kappa(),
                v_lo: rule.virtual_value_at_lowest_type(),
                tau,
                others_mean: sum_mean - m.mean_v,
                others_var: (sum_var - m.var_v()).max(0.0),
            })
            .collect();
        let alpha = self.mech.alpha();
        let classes: Vec<ClassAssessment> = curves
            .into_iter()
            .zip(&moments)
            .zip(self.rules.classes())
            .enumerate()
            .map(|(class, ((curve, m), rule))| ClassAssessment::new(class, curve, m, rule.count()))
            .collect::<Result<_, _>>()?;
        Assessment::from_classes(alpha, classes)
    }
}

impl Assessment {
    /// Totals over the classes' results.
    fn from_classes(alpha: f64, classes: Vec<ClassAssessment>) -> Result<Self, DeploymentError> {
        let revenue: f64 = classes
            .iter()
            .map(|c| c.count as f64 * c.revenue_per_trader)
            .sum();
        let efficiency: f64 = -classes
            .iter()
            .map(|c| c.count as f64 * c.holding_cost)
            .sum::<f64>();
        for (what, v) in [("revenue", revenue), ("efficiency", efficiency)] {
            if !v.is_finite() {
                return Err(DeploymentError::NonFinite { what });
            }
        }
        Ok(Assessment {
            alpha,
            revenue,
            efficiency,
            classes,
        })
    }

    /// The same assessment with the participation fees replaced by `fees`
    /// (checked by the caller: one finite fee per class). A fee changes no
    /// schedule and no moment of the truth, so only each class's gains,
    /// payments and who stays away are recomputed, from the stored moments:
    /// the result equals [`Design::assess_with_fees`] under the same truth,
    /// without its quadrature.
    pub(crate) fn with_fees(&self, fees: &[f64]) -> Result<Self, DeploymentError> {
        let classes = self
            .classes
            .iter()
            .zip(fees)
            .enumerate()
            .map(|(class, (c, &tau))| {
                let mut curve = c.curve.clone();
                curve.tau = tau;
                ClassAssessment::new(class, curve, &c.moments, c.count)
            })
            .collect::<Result<_, _>>()?;
        Assessment::from_classes(self.alpha, classes)
    }
}

/// Refuses a truth that is invalid or reaches outside the design's support.
fn check_truth(
    class: usize,
    g: &dyn EndowmentDistribution,
    f: &dyn EndowmentDistribution,
) -> Result<(), DeploymentError> {
    if !g.validated_by_construction() {
        validate(g).map_err(|source| DeploymentError::InvalidTruth { class, source })?;
    }
    let (lo, hi) = f.support();
    let (glo, ghi) = g.support();
    if glo < lo || ghi > hi {
        let below = if glo < lo { g.cdf(lo) } else { 0.0 };
        let above = if ghi > hi { g.sf(hi) } else { 0.0 };
        return Err(DeploymentError::OutsideDesignSupport {
            class,
            mass_outside: below + above,
            design_lo: lo,
            design_hi: hi,
            truth_lo: glo,
            truth_hi: ghi,
        });
    }
    Ok(())
}

/// The accuracy, in the type scale `max(|lo|, |hi|) + width` of the
/// design's support (to the power of each moment's units: the crate's
/// natural units), an assessment's moments about the truth's mean
/// are held to where `quad_rel` of themselves is beyond the doubles (a
/// narrow cluster far from zero: [`node_resolution`]); short of it the
/// assessment is a typed error. Two orders below the `1e-9` the crate
/// promises for what it reports.
const RESOLUTION_LIMIT: f64 = 1e-11;

/// Moments of a designed virtual value `V_i` under a true distribution `G_i`.
#[derive(Debug, Clone, Copy, Default)]
struct TruthMoments {
    /// `E_G V`.
    mean_v: f64,
    /// `E_G V²`.
    second_v: f64,
    /// `E_G Z V`.
    zv: f64,
    /// `E_G Z`.
    mean_z: f64,
    /// `E_G Z²`.
    second_z: f64,
    /// `∫_{lo}^{hi} V(s) (1 − G(s)) ds` over the design's support, which is
    /// `E_G ∫_{lo}^{Z} V`.
    int_v_sf: f64,
    /// `Var_G V`, from the moments about the truth's mean.
    var_v: f64,
}

impl TruthMoments {
    /// The moments, or the typed error of a quadrature short of
    /// `quad_rel`: they become the assessment's revenue, efficiency, mean
    /// gains and fees, numbers the report gives as accurate, and an
    /// assessment has no status to carry a lesser accuracy in.
    fn of(
        vv: &VirtualValue,
        g: &dyn EndowmentDistribution,
        tol: &Tolerances,
    ) -> Result<Self, NumericalError> {
        let f = vv.distribution();
        let (glo, ghi) = g.support();
        let (za, zb) = vv.binding_interval();
        // The truth's features resolved (a narrow cluster of true types is
        // otherwise stepped over, as in the welfare moments).
        let mut pts = feature_breakpoints(g, glo, ghi);
        let inner = |z: f64| z > glo && z < ghi;
        pts.extend(f.kinks().iter().copied().filter(|&z| inner(z)));
        pts.extend([za, zb].into_iter().filter(|&z| inner(z)));
        pts.extend(
            vv.ironed_intervals()
                .into_iter()
                .flat_map(|(a, b)| [a, b])
                .filter(|&z| inner(z)),
        );
        pts.sort_by(f64::total_cmp);
        pts.dedup();
        // Every product is formed about the truth's own mean `m` and the
        // moments are moved back in closed form (with `∫ g = 1`): a class
        // far from zero otherwise had `E V²` from a quadrature whose
        // relative error, 1e-13 of `m²`, a revenue then took differences
        // of (3e-3 off at `m = −8485`, `ironing_search harsh 300 401`
        // market 0), and `Var V` was a difference of two moments of `m²`.
        let m = {
            let mean = g.mean();
            if mean.is_finite() && (glo..=ghi).contains(&mean) {
                mean
            } else {
                0.5 * (glo + ghi)
            }
        };
        let mut total = Integral::ZERO;
        // A piece narrow for its distance from zero (a cluster 1e-5 wide at
        // 0.3) has its nodes placed to only `node_resolution` of its width,
        // and two rules on those nodes disagree by about that much however
        // finely they split: it is not asked beyond that (panels finer
        // only place their nodes worse relative to their own width, and the
        // rule's estimate grows: a cluster 1e-7 wide at 0.3 came out 50
        // times farther from its design at the panel cap).
        for w in pts.windows(2) {
            let resolution = node_resolution(w[0], w[1]);
            let piece_tol = Tolerances {
                quad_rel: tol.quad_rel.max(resolution),
                ..*tol
            };
            // The truth's density itself last: its integral is checked
            // against the truth's closed-form probability of the piece, so
            // a cluster too faint for the feature points (a density raised
            // by less than half) is found between the rule's nodes too.
            let r = integrate_vec_with_mass(
                &mut |z| {
                    let (v, z) = (vv.value(z) - m, z - m);
                    let dens = g.pdf(z + m);
                    [
                        dens * v,
                        dens * v * v,
                        dens * z * v,
                        dens * z,
                        dens * z * z,
                        v * g.sf(z + m),
                        dens,
                    ]
                },
                (w[0], w[1]),
                6,
                KnownMass {
                    of: &|p, q| probability_between(g, p, q),
                    range: None,
                    whole: 1.0,
                    steers: true,
                },
                &piece_tol,
            );
            // Judged against the whole integrals' scales, as
            // `integrate_pieces_checked` does.
            total = total.join(r);
        }
        // Each moment to `quad_rel` of itself, or else to `RESOLUTION_LIMIT`
        // in the type scale `S = max(|lo|, |hi|) + width` of the design's
        // support, to the power of the moment's units (`E V'` a type,
        // `E V'²` a type squared): the crate's natural units, which the
        // payments built from the moments are stated in. The moments about
        // the mean are a narrow cluster's spread, 1e-12 and less, and
        // `quad_rel` of that is beyond what the doubles place nodes to (on
        // supports 1e-3 wide near 1e4, the same in the support's width: 1
        // assessment in 3 refused, `ironing_search harsh 300 401`).
        const WHAT: &str = "a moment of the designed virtual value under the truth";
        const UNITS: [i32; 6] = [1, 2, 2, 1, 2, 2];
        let (lo, hi) = f.support();
        let type_scale = lo.abs().max(hi.abs()) + (hi - lo);
        // The last term, the probability, is not reported: it was checked
        // against the truth's closed forms piece by piece.
        let allowance: [f64; 7] = std::array::from_fn(|k| {
            UNITS
                .get(k)
                .map_or(f64::INFINITY, |&p| RESOLUTION_LIMIT * type_scale.powi(p))
        });
        let acc = match total.values_within(WHAT, tol.quad_rel) {
            Ok(acc) => acc,
            Err(short) => total
                .values_within_allowing(WHAT, tol.quad_rel, allowance)
                .map_err(|_| short)?,
        };
        let [v1, v2, zv, z1, z2, v_sf, _] = acc;
        Ok(Self {
            mean_v: m + v1,
            second_v: v2 + m * (2.0 * v1 + m),
            zv: zv + m * (v1 + z1 + m),
            mean_z: m + z1,
            second_z: z2 + m * (2.0 * z1 + m),
            // Below the truth's support 1 − G = 1; above `glo`,
            // `∫ (1 − G) = E Z − glo`.
            int_v_sf: vv.checked_integral(glo)? + v_sf + m * (m + z1 - glo),
            var_v: (v2 - v1 * v1).max(0.0),
        })
    }

    fn var_v(&self) -> f64 {
        self.var_v
    }
}

/// One type's payment without the fee, holding gain, and the rounding of
/// the gain formed from them ([`GainCurve`]'s `terms`).
struct GainTerms {
    payment: f64,
    holding: f64,
    rounding: f64,
}

/// The interim gain `gain_i(z)` of one class under a true market: the
/// expected utility of a type `z` that takes part in the designed auction
/// (the others' types drawn from the truth) minus that of not trading.
///
/// # Example
/// ```
/// # use exchange_design::prelude::*;
/// # use exchange_design::{deployment::Design, distribution::Uniform, market::Market, mechanism::OptimalMechanism};
/// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let mech = OptimalMechanism::solve(&m, 0.5)?;
/// let d = Design::new(mech.clone())?;
/// let a = d.assess(&[m.classes()[0].shared_distribution()])?;
/// // Under the design's market it is the mechanism's utility gain.
/// let g = a.class(0).gain_curve();
/// assert!((g.gain(0.8)? - mech.utility_gain(0, 0.8)?).abs() < 1e-10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct GainCurve {
    class: usize,
    vv: VirtualValue,
    truth: Arc<dyn EndowmentDistribution>,
    kappa: f64,
    weight: f64,
    c: f64,
    k_total: f64,
    k_others: f64,
    v_lo: f64,
    tau: f64,
    others_mean: f64,
    others_var: f64,
}

impl GainCurve {
    /// `gain_i(z)` for a type in the design's support.
    ///
    /// # Errors
    /// [`DeploymentError::TypeOutsideSupport`] for a type that is not finite or
    /// lies outside the design's support (such a type has no best response);
    /// [`DeploymentError::Quadrature`] when the integral of `V` behind the
    /// gain cannot reach `Tolerances::quad_rel`.
    ///
    /// # Example
    /// See [`GainCurve`].
    pub fn gain(&self, z: f64) -> Result<f64, DeploymentError> {
        let (lo, hi) = self.vv.distribution().support();
        if !(z.is_finite() && (lo..=hi).contains(&z)) {
            return Err(DeploymentError::TypeOutsideSupport { z, lo, hi });
        }
        self.gain_unchecked(z)
            .map_err(|source| DeploymentError::Quadrature {
                class: self.class,
                source,
            })
    }

    /// The truth's support, where the gain is assessed.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{deployment::Design, distribution::{EndowmentDistribution, Uniform}, market::Market, mechanism::OptimalMechanism};
    /// # use std::sync::Arc;
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let d = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
    /// let g: Arc<dyn EndowmentDistribution> = Arc::new(Uniform::new(-0.5, 1.0)?);
    /// assert_eq!(d.assess(&[g])?.class(0).gain_curve().support(), (-0.5, 1.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn support(&self) -> (f64, f64) {
        self.truth.support()
    }

    /// The participation fee the gain is computed with.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{deployment::Design, distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let d = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
    /// let a = d.assess(&[m.classes()[0].shared_distribution()])?;
    /// assert_eq!(a.class(0).gain_curve().fee(), d.fees()[0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fee(&self) -> f64 {
        self.tau
    }

    /// `V_i(z)` where the gain is smallest: `x̄(z) = 0`.
    fn level_of_minimum(&self) -> f64 {
        self.weight * self.others_mean / (1.0 - self.weight)
    }

    /// `E[X | z]` from `v = V(z)`.
    fn mean_x(&self, v: f64) -> f64 {
        -(1.0 - self.weight) * v + self.weight * self.others_mean
    }

    /// The payment without `τ`, the holding gain and the gain's rounding
    /// of a type `z` in the design's support, given `∫_{lo}^{z} V`
    /// (`integral`). The payment's transfer is `T_i(V(z))` with
    /// `V⁻¹(V(z)) = z` (Young's identity).
    ///
    /// The rounding: the gain is a difference of terms as large as
    /// `K v²/2`, `v z` and the fee, each rounded, which far from zero are
    /// many times the gain itself (fees of 3e4 for types near 200; a
    /// binding type's gain, 0 in exact arithmetic, came out at ±1e-10),
    /// and of `∫ V`, a quadrature known to `quad_rel` of itself, times
    /// `k_others/(κ K)` (which a small class makes large).
    fn terms(&self, z: f64, integral: f64) -> GainTerms {
        let w = self.weight;
        let v = self.vv.value(z);
        let (mu, s2) = (self.others_mean, self.others_var);
        let (lo, _) = self.vv.distribution().support();
        let x_bar = self.mean_x(v);
        let e_x2 = x_bar * x_bar + w * w * s2;
        let quadratic = 0.5 * self.c * e_x2;
        let e_px = [
            (1.0 - w) * v * v,
            (1.0 - 2.0 * w) * v * mu,
            -w * (s2 + mu * mu),
        ];
        // T = (K v²/2 − j) k_others/(κ K) with j = v z − lo V(lo) − ∫ V.
        let t_factor = self.k_others / (self.kappa * self.k_total);
        let (half_kv2, vz, lo_v) = (0.5 * self.k_total * v * v, v * z, lo * self.v_lo);
        let t = (half_kv2 - (vz - lo_v - integral)) * self.k_others / (self.kappa * self.k_total);
        let holding = [2.0 * z * x_bar, e_x2];
        let size = |xs: &[f64]| xs.iter().map(|x| x.abs()).sum::<f64>();
        let rounded = size(&e_px)
            + quadratic.abs()
            + size(&[half_kv2, vz, lo_v]) * t_factor
            + size(&holding) / (2.0 * self.kappa)
            + self.tau.abs();
        GainTerms {
            payment: e_px.iter().sum::<f64>() + quadratic - t,
            holding: -(holding[0] + holding[1]) / (2.0 * self.kappa),
            rounding: GAIN_ROUNDING_ULPS
                * (f64::EPSILON * rounded
                    + Tolerances::DEFAULT.quad_rel * (integral * t_factor).abs()),
        }
    }

    fn gain_unchecked(&self, z: f64) -> Result<f64, NumericalError> {
        Ok(self.gain_with_integral(z, self.vv.checked_integral(z)?))
    }

    /// `gain_i(z)` given `∫_{lo}^{z} V` (`integral`).
    fn gain_with_integral(&self, z: f64, integral: f64) -> f64 {
        let t = self.terms(z, integral);
        t.holding - t.payment - self.tau
    }

    /// `∫_a^b V` by quadrature split at the kinks of the design's density
    /// and of `V` (the binding interval's ends and the ironed intervals'),
    /// or the typed error of a quadrature short of `quad_rel` (it sets the
    /// ends of the set of types that stay away, reported as accurate).
    fn integral_between(&self, a: f64, b: f64) -> Result<f64, NumericalError> {
        let (lo, hi) = (a.min(b), a.max(b));
        let (za, zb) = self.vv.binding_interval();
        let mut pts = breakpoints(self.vv.distribution(), lo, hi);
        pts.extend(
            [za, zb]
                .into_iter()
                .chain(
                    self.vv
                        .ironed_intervals()
                        .into_iter()
                        .flat_map(|(p, q)| [p, q]),
                )
                .filter(|&z| z > lo && z < hi),
        );
        pts.sort_by(f64::total_cmp);
        pts.dedup();
        let tol = Tolerances::DEFAULT;
        // The design's density checks each piece: `V` dents where a
        // cluster of traders raises it, between the rule's nodes or not.
        let d = self.vv.distribution();
        let r = integrate_pieces_with_mass(
            |s| [self.vv.value(s), d.pdf(s)],
            &pts,
            &|p, q| probability_between(d, p, q),
            &tol,
        );
        // The step is added to `∫_lo^a V`, so it needs `quad_rel` of the
        // whole `∫ |V|` over the design's support (`V` is monotone, so at
        // most the width times its larger end), not of itself: the root
        // search takes steps a few floats wide, whose own integral is
        // 1e-17 and whose estimate is rounding.
        let (flo, fhi) = self.vv.distribution().support();
        let whole = (fhi - flo) * self.vv.value(flo).abs().max(self.vv.value(fhi).abs());
        let needed = tol.quad_rel * (whole / r.scale[0]).max(1.0);
        let v = r.within("the designed virtual value between two types", needed)?;
        Ok(if a <= b { v } else { -v })
    }

    /// `E_G[payment]`, `E_G[gain]` and `E_G[(Z + X)²]/(2κ)` of one trader.
    fn expectations(&self, m: &TruthMoments) -> (f64, f64, f64) {
        let w = self.weight;
        let (mu, s2) = (self.others_mean, self.others_var);
        let (lo, _) = self.vv.distribution().support();
        let e_xbar2 =
            (1.0 - w).powi(2) * m.second_v - 2.0 * (1.0 - w) * w * mu * m.mean_v + w * w * mu * mu;
        let e_x2 = e_xbar2 + w * w * s2;
        let e_px = (1.0 - w) * m.second_v + (1.0 - 2.0 * w) * m.mean_v * mu - w * (s2 + mu * mu);
        let e_zx = -(1.0 - w) * m.zv + w * mu * m.mean_z;
        let e_j = m.zv - lo * self.v_lo - m.int_v_sf;
        let e_t =
            (0.5 * self.k_total * m.second_v - e_j) * self.k_others / (self.kappa * self.k_total);
        let payment = e_px + 0.5 * self.c * e_x2 - e_t + self.tau;
        let holding_gain = -(2.0 * e_zx + e_x2) / (2.0 * self.kappa);
        let holding_cost = (m.second_z + 2.0 * e_zx + e_x2) / (2.0 * self.kappa);
        (payment, holding_gain - payment, holding_cost)
    }
}

/// The assessment of one class under a true market.
///
/// # Example
/// ```
/// # use exchange_design::{deployment::Design, distribution::{EndowmentDistribution, Triangular, Uniform}, market::Market, mechanism::OptimalMechanism};
/// # use std::sync::Arc;
/// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let d = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
/// let g: Arc<dyn EndowmentDistribution> = Arc::new(Triangular::new(-1.0, 0.8, 1.0)?);
/// let c = d.assess(&[g])?.class(0).clone();
/// assert!(c.min_gain() <= c.gain_curve().gain(c.min_gain_at())? + 1e-15);
/// assert!(c.mean_gain() >= c.min_gain());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClassAssessment {
    curve: GainCurve,
    moments: TruthMoments,
    count: u64,
    min_gain: f64,
    min_gain_at: f64,
    abstain: Option<(f64, f64)>,
    abstain_probability: f64,
    mean_gain: f64,
    revenue_per_trader: f64,
    holding_cost: f64,
}

impl ClassAssessment {
    fn new(
        class: usize,
        curve: GainCurve,
        m: &TruthMoments,
        count: u64,
    ) -> Result<Self, DeploymentError> {
        let quadrature = |source| DeploymentError::Quadrature { class, source };
        let (glo, ghi) = curve.truth.support();
        let (flo, fhi) = curve.vv.distribution().support();
        // The gain is convex, smallest where V(z) equals this level.
        let level = curve.level_of_minimum();
        // V is continuous and increasing: bracket the level on the truth's
        // support (any point of a flat stretch at the level will do).
        let rel = Tolerances::DEFAULT.root_rel;
        let z_star = if curve.vv.value(glo) >= level {
            glo
        } else if curve.vv.value(ghi) <= level {
            ghi
        } else {
            brent(|z| curve.vv.value(z) - level, glo, ghi, rel, ghi - glo)
                .map_err(|_| DeploymentError::NonFinite {
                    what: "type with the smallest gain",
                })?
                .clamp(glo, ghi)
        };
        let at_star = curve.vv.checked_integral(z_star).map_err(quadrature)?;
        let min_gain = curve.gain_with_integral(z_star, at_star);
        let scale = (fhi - flo).powi(2) / curve.kappa;
        // Below the gain's own rounding nothing is resolved.
        let threshold = -(GAIN_TOLERANCE * scale).max(curve.terms(z_star, at_star).rounding);
        let mut abstain = None;
        let mut abstain_probability = 0.0;
        if min_gain < threshold {
            // `∫_{lo}^{z} V` is carried from the last point evaluated
            // (starting at z*), so the root search integrates over the
            // distance it moves rather than from the support's end each time.
            // An integral short of its accuracy stops the root search (NaN,
            // as `brent` documents) and is reported as itself.
            let shortfall: Cell<Option<NumericalError>> = Cell::new(None);
            let g = |z: f64, anchor: &mut (f64, f64)| match curve.integral_between(anchor.0, z) {
                Ok(step) => {
                    let integral = anchor.1 + step;
                    *anchor = (z, integral);
                    curve.gain_with_integral(z, integral) - threshold
                }
                Err(e) => {
                    let first = shortfall.take().or(Some(e));
                    shortfall.set(first);
                    f64::NAN
                }
            };
            let root = |a: f64, b: f64| {
                let mut anchor = (z_star, at_star);
                brent(|z| g(z, &mut anchor), a, b, rel, fhi - flo).map_err(|_| {
                    match shortfall.take() {
                        Some(source) => quadrature(source),
                        None => DeploymentError::NonFinite {
                            what: "end of the set of types that stay away",
                        },
                    }
                })
            };
            let left = if g(glo, &mut (z_star, at_star)) <= 0.0 {
                glo
            } else {
                root(glo, z_star)?
            };
            let right = if g(ghi, &mut (z_star, at_star)) <= 0.0 {
                ghi
            } else {
                root(z_star, ghi)?
            };
            if let Some(source) = shortfall.take() {
                return Err(quadrature(source));
            }
            let t = curve.truth.as_ref();
            abstain_probability = (t.cdf(right) - t.cdf(left)).clamp(0.0, 1.0);
            abstain = Some((left, right));
        }
        let (revenue_per_trader, mean_gain, holding_cost) = curve.expectations(m);
        for (what, v) in [
            ("minimum gain", min_gain),
            ("mean gain", mean_gain),
            ("revenue", revenue_per_trader),
            ("holding cost", holding_cost),
        ] {
            if !v.is_finite() {
                return Err(DeploymentError::NonFinite { what });
            }
        }
        Ok(Self {
            curve,
            moments: *m,
            count,
            min_gain,
            min_gain_at: z_star,
            abstain,
            abstain_probability,
            mean_gain,
            revenue_per_trader,
            holding_cost,
        })
    }

    /// The smallest interim gain over the truth's support.
    ///
    /// # Example
    /// See [`ClassAssessment`].
    pub fn min_gain(&self) -> f64 {
        self.min_gain
    }

    /// A type where the smallest gain is attained.
    ///
    /// # Example
    /// See [`ClassAssessment`].
    pub fn min_gain_at(&self) -> f64 {
        self.min_gain_at
    }

    /// `G_i({z : gain_i(z) < 0})`: the share of the class that would rather
    /// not trade (gains above `−GAIN_TOLERANCE · width²/κ` count as zero).
    ///
    /// # Example
    /// See [`Design`].
    pub fn abstain_probability(&self) -> f64 {
        self.abstain_probability
    }

    /// The interval of types with negative gain (the gain is convex, so it
    /// is one interval), or `None`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{deployment::Design, distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let d = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
    /// assert!(d.assess(&[m.classes()[0].shared_distribution()])?.class(0).abstain_interval().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn abstain_interval(&self) -> Option<(f64, f64)> {
        self.abstain
    }

    /// `E_G[gain_i(Z_i)]`.
    ///
    /// # Example
    /// See [`ClassAssessment`].
    pub fn mean_gain(&self) -> f64 {
        self.mean_gain
    }

    /// Expected payment `E_G[p X_i + S_i(p, X_i)]` of one trader.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{deployment::Design, distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let d = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
    /// let a = d.assess(&[m.classes()[0].shared_distribution()])?;
    /// assert!((3.0 * a.class(0).revenue_per_trader() - a.revenue()).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn revenue_per_trader(&self) -> f64 {
        self.revenue_per_trader
    }

    /// Expected holding cost `E_G[(Z_i + X_i)²]/(2κ_i)` of one trader.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{deployment::Design, distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let d = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
    /// let a = d.assess(&[m.classes()[0].shared_distribution()])?;
    /// assert!((3.0 * a.class(0).holding_cost() + a.efficiency()).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn holding_cost(&self) -> f64 {
        self.holding_cost
    }

    /// Number of traders in the class.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{deployment::Design, distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let d = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
    /// assert_eq!(d.assess(&[m.classes()[0].shared_distribution()])?.class(0).count(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The gain function `gain_i(z)`.
    ///
    /// # Example
    /// See [`GainCurve`].
    pub fn gain_curve(&self) -> &GainCurve {
        &self.curve
    }
}

/// The designed auction under a true market: revenue, efficiency,
/// objective and, per class, who gains and who would stay away.
///
/// # Example
/// See [`Design`].
#[derive(Debug, Clone)]
pub struct Assessment {
    alpha: f64,
    revenue: f64,
    efficiency: f64,
    classes: Vec<ClassAssessment>,
}

impl Assessment {
    /// Expected revenue: the expected sum of all traders' payments.
    ///
    /// # Example
    /// See [`Design`].
    pub fn revenue(&self) -> f64 {
        self.revenue
    }

    /// Efficiency in the crate's convention: minus the traders' total
    /// expected holding cost `Σ_i E[(Z_i + X_i)²]/(2κ_i)`, under the truth.
    ///
    /// # Example
    /// See [`ClassAssessment::holding_cost`].
    pub fn efficiency(&self) -> f64 {
        self.efficiency
    }

    /// `α R + (1 − α) E` with the design's `α`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{deployment::Design, distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let d = Design::new(OptimalMechanism::solve(&m, 0.3)?)?;
    /// let a = d.assess(&[m.classes()[0].shared_distribution()])?;
    /// assert!((a.objective() - d.mechanism().objective()).abs() < 1e-10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn objective(&self) -> f64 {
        self.alpha * self.revenue + (1.0 - self.alpha) * self.efficiency
    }

    /// The per-class results, in market order.
    ///
    /// # Example
    /// See [`Assessment::class`].
    pub fn classes(&self) -> &[ClassAssessment] {
        &self.classes
    }

    /// The result of class `class`, like slice indexing.
    ///
    /// # Panics
    /// If `class` is out of range (the crate's convention).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{deployment::Design, distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let d = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
    /// let a = d.assess(&[m.classes()[0].shared_distribution()])?;
    /// assert_eq!(a.classes().len(), 1);
    /// assert!(a.class(0).min_gain().abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn class(&self, class: usize) -> &ClassAssessment {
        &self.classes[class]
    }

    /// Whether some type of some class would rather not trade.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{deployment::Design, distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let d = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
    /// assert!(!d.assess(&[m.classes()[0].shared_distribution()])?.someone_stays_away());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn someone_stays_away(&self) -> bool {
        self.classes.iter().any(|c| c.abstain.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::{Triangular, Uniform};
    use crate::market::Market;

    /// Example 1 (κ = 1/2, U[−1, 1], N = 3, α = 1), truth U[−1, 1] shifted
    /// into U[−1/2, 1]: the moments of the designed V under the truth in
    /// closed form. V(z) = 2z + 1 below −1/2, 0 on [−1/2, 1/2], 2z − 1 above.
    #[test]
    fn truth_moments_in_closed_form() {
        let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
        let mech = OptimalMechanism::solve(&m, 1.0).unwrap();
        let vv = mech.class(0).virtual_value();
        let g = Uniform::new(-0.5, 1.0).unwrap();
        let t = TruthMoments::of(vv, &g, &Tolerances::DEFAULT).unwrap();
        // On [1/2, 1], V = 2z − 1 with density 2/3.
        let d = 2.0 / 3.0;
        let mean_v = d * (1.0 - 0.25 - 0.5); // ∫ (2z − 1) = [z² − z]
        let second_v = d * (1.0 / 6.0); // ∫_{1/2}^{1} (2z − 1)² = 1/6
        let zv = d * ((2.0 / 3.0) * (1.0 - 0.125) - 0.5 * (1.0 - 0.25));
        assert!((t.mean_v - mean_v).abs() < 1e-14, "{}", t.mean_v);
        assert!((t.second_v - second_v).abs() < 1e-14);
        assert!((t.zv - zv).abs() < 1e-14);
        assert!((t.mean_z - 0.25).abs() < 1e-14);
        // ∫ V (1 − G): ∫_{−1}^{−1/2} (2s + 1) ds = −1/4, plus
        // ∫_{1/2}^{1} (2s − 1)(1 − s)·(2/3) ds = (2/3)(1/24).
        let want = -0.25 + d / 24.0;
        assert!((t.int_v_sf - want).abs() < 1e-14, "{}", t.int_v_sf);
    }

    /// Fees replaced on a stored assessment give the same numbers as a fresh
    /// assessment with those fees; the ends of the set of types that stay
    /// away (found with integrals carried from point to point) are where
    /// the gain, with `∫ V` integrated afresh from the support's end, meets
    /// the threshold.
    #[test]
    fn fees_replaced_on_stored_moments_match_a_fresh_assessment() {
        let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
        let d = Design::new(OptimalMechanism::solve(&m, 0.5).unwrap()).unwrap();
        let g: Arc<dyn EndowmentDistribution> = Arc::new(Triangular::new(-1.0, 0.6, 1.0).unwrap());
        let a = d.assess(std::slice::from_ref(&g)).unwrap();
        for fee in [d.fees()[0] - 0.05, d.fees()[0], d.fees()[0] + 0.02] {
            let stored = a.with_fees(&[fee]).unwrap();
            let fresh = d
                .assess_with_fees(std::slice::from_ref(&g), &[fee])
                .unwrap();
            assert_eq!(stored.revenue(), fresh.revenue());
            assert_eq!(stored.efficiency(), fresh.efficiency());
            let (s, f) = (stored.class(0), fresh.class(0));
            assert_eq!(s.min_gain(), f.min_gain());
            assert_eq!(s.mean_gain(), f.mean_gain());
            assert_eq!(s.abstain_probability(), f.abstain_probability());
        }
        let raised = a.with_fees(&[d.fees()[0] + 0.02]).unwrap();
        let c = raised.class(0);
        let (left, right) = c.abstain_interval().expect("a raised fee turns types away");
        let threshold = -GAIN_TOLERANCE * 4.0 / 0.5;
        let curve = c.gain_curve();
        for z in [left, right] {
            if z > -1.0 && z < 1.0 {
                let gap = curve.gain(z).unwrap() - threshold;
                assert!(gap.abs() < 1e-12, "z = {z}: gain − threshold = {gap}");
            }
        }
        assert!(left > -1.0 || right < 1.0);
    }

    /// The gain is convex with slope −x̄(z)/κ (envelope theorem), checked
    /// by central differences against the closed-form slope.
    #[test]
    fn gain_slope_is_minus_expected_trade_over_kappa() {
        let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
        let d = Design::new(OptimalMechanism::solve(&m, 0.5).unwrap()).unwrap();
        let g: Arc<dyn EndowmentDistribution> = Arc::new(Triangular::new(-1.0, 0.4, 1.0).unwrap());
        let a = d.assess(&[g]).unwrap();
        let c = a.class(0).gain_curve();
        let h = 1e-5;
        for z in [-0.9, -0.5, -0.1, 0.2, 0.6, 0.95] {
            let slope = (c.gain(z + h).unwrap() - c.gain(z - h).unwrap()) / (2.0 * h);
            let want = -c.mean_x(c.vv.value(z)) / c.kappa;
            assert!((slope - want).abs() < 1e-6, "z = {z}: {slope} vs {want}");
        }
    }

    /// A design whose virtual value is far from a polynomial (a narrow
    /// truncated normal: `(1 − F)/f` grows like `exp(z²/(2σ²))` towards the
    /// ends), and a truth under which it is assessed, uniform so that its
    /// integrals are split only at the ends (a triangular truth's density,
    /// vanishing at its ends, has them halved towards each end, and one
    /// panel per piece then meets `quad_rel`).
    fn normal_design() -> (Design, Arc<dyn EndowmentDistribution>) {
        let f = crate::distribution::TruncatedNormal::new(0.0, 0.15, -1.0, 1.0).unwrap();
        let m = Market::symmetric(3, 0.5, f).unwrap();
        let d = Design::new(OptimalMechanism::solve(&m, 0.5).unwrap()).unwrap();
        let g: Arc<dyn EndowmentDistribution> =
            Arc::new(crate::distribution::Uniform::new(-1.0, 1.0).unwrap());
        (d, g)
    }

    /// The moments of the design under the truth, with one quadrature
    /// panel allowed, fall short of `quad_rel`: the assessment is the
    /// typed error naming the class and the accuracy reached, not numbers
    /// of unknown accuracy; with the shipped cap it is assessed.
    #[test]
    fn truth_moments_short_of_their_accuracy_are_a_typed_error() {
        let (d, g) = normal_design();
        let truth = std::slice::from_ref(&g);
        let err = crate::numerics::with_panel_cap(1, || d.assess(truth)).unwrap_err();
        match err {
            DeploymentError::Quadrature {
                class: 0,
                source:
                    NumericalError::QuadratureNotConverged {
                        what,
                        error,
                        needed,
                    },
            } => {
                assert!(what.contains("moment"), "{what}");
                assert_eq!(needed, Tolerances::DEFAULT.quad_rel);
                assert!(error > needed, "{error}");
            }
            other => panic!("{other:?}"),
        }
        assert!(d.assess(truth).is_ok());
    }

    /// The integrals of `V` behind the gains and behind the ends of the
    /// set of types that stay away: with one panel allowed they fall
    /// short, and the gain and the assessment (re-priced from stored
    /// moments, so only these integrals run) are typed errors. The normal
    /// is wrapped as a user type without density bounds, so that the
    /// integrals are not split at its features (where one panel each
    /// would do).
    #[test]
    fn gain_integrals_short_of_their_accuracy_are_typed_errors() {
        let f = crate::distribution::test_support::Instrumented::new(
            crate::distribution::TruncatedNormal::new(0.0, 0.15, -1.0, 1.0).unwrap(),
        );
        let m = Market::symmetric(3, 0.5, f).unwrap();
        let d = Design::new(OptimalMechanism::solve(&m, 0.5).unwrap()).unwrap();
        let g: Arc<dyn EndowmentDistribution> = Arc::new(Triangular::new(-1.0, 0.6, 1.0).unwrap());
        let a = d.assess(std::slice::from_ref(&g)).unwrap();
        // A fee that turns away the types near the smallest gain.
        let raised = [d.fees()[0] + a.class(0).min_gain().max(0.0) + 0.01];
        let ok = a.with_fees(&raised).unwrap();
        assert!(ok.class(0).abstain_interval().is_some());
        let capped = crate::numerics::with_panel_cap(1, || a.with_fees(&raised));
        assert!(
            matches!(
                capped,
                Err(DeploymentError::Quadrature {
                    class: 0,
                    source: NumericalError::QuadratureNotConverged { .. }
                })
            ),
            "{capped:?}"
        );
        let curve = a.class(0).gain_curve();
        let z = 0.95;
        assert!(curve.gain(z).is_ok());
        let capped = crate::numerics::with_panel_cap(1, || curve.gain(z));
        assert!(
            matches!(capped, Err(DeploymentError::Quadrature { class: 0, .. })),
            "{capped:?}"
        );
    }
}
