//! The side-payment rules of Theorem 2 (in the verified form of the theory
//! notes, §5).
//!
//! Trader `i` of class `k` who buys `q` at the clearing price `p` pays
//! `p q + S_i(p, q)` with
//!
//! ```text
//! S_i(p, q) = c_i q²/2 − T_i(−q − w_i p) + τ_i,
//! c_i       = −1/κ_i + K/κ_i − K/(K − κ_i),
//! T_i(l)    = (K l²/2 − ∫_{V_i(lo)}^{l} V_i⁻¹(s) ds) · (K − κ_i)/(κ_i K),
//! ```
//!
//! where `K = Σ_j κ_j`, `w_i = κ_i/K`, `V_i` is the optimal virtual value
//! and `V_i⁻¹` its generalised inverse, extended by the ends of the support
//! outside the range of `V_i` (the value at the flat level `η_i` does not
//! matter). The integral is evaluated with Young's identity
//! `∫_{V(lo)}^{l} V⁻¹ = l·V⁻¹(l) − lo·V(lo) − ∫_{lo}^{V⁻¹(l)} V`, where the
//! last integral is split at the binding interval.
//!
//! In equilibrium every trader submits the linear schedule
//! `q_i(p) = −V_i(Z_i) − w_i p`; the clearing price is `p = −Σ_j V_j(Z_j)`
//! (the paper prints `+Σ_j V_j`, a sign slip: `Σ_i q_i(p) = −Σ_j V_j − p`) and
//! the quantities are the direct mechanism's allocation (12). A trader who
//! faces the others' schedules has marginal payoff `(V_i⁻¹(l) − z)/κ_i` in
//! its quantity, with `l` decreasing in the quantity, so the equilibrium
//! quantity is a global best response.
//!
//! The participation fee `τ_i` is set so that the worst type (the bottom of
//! the binding interval) expects exactly zero gain. Since a type's expected
//! payoff in the auction differs from its payoff in the direct mechanism only
//! by a constant, every type's expected payment then equals the direct
//! mechanism's interim transfer and the auction raises the same expected
//! revenue.

use super::schedule::LinearSchedule;
use super::{finite_input, ImplementationError};
use crate::distribution::{integral_breaks, probability_between};
use crate::mechanism::DirectMechanism;
use crate::mechanism::{OptimalMechanism, VirtualValue};
use crate::numerics::NumericalError;
use crate::numerics::{integrate_pieces_with_mass, Integral, Tolerances};

/// An expectation's integral, or NaN when the adaptive quadrature stopped
/// short of `quad_rel`.
fn accurate(r: Integral<1>) -> f64 {
    // Not a fallback: NaN is these expectations' documented answer when
    // the quadrature cannot reach its tolerance (no number of unknown
    // accuracy is passed off as the expectation).
    r.within(
        "an expectation over the type distribution",
        Tolerances::DEFAULT.quad_rel,
    )
    .unwrap_or(f64::NAN)
}

/// The side-payment rule of one class of traders.
///
/// # Example
/// ```
/// use exchange_design::distribution::Uniform;
/// use exchange_design::implementation::SidePayments;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::OptimalMechanism;
/// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 1.0)?)?;
/// let class = rules.class(0);
/// // K = 2, κ = 1/2: c = −2 + 4 − 4/3.
/// assert!((class.c() - 2.0 / 3.0).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClassSidePayment {
    kappa: f64,
    count: u64,
    k_total: f64,
    k_others: f64,
    weight: f64,
    c: f64,
    tau: f64,
    vv: VirtualValue,
    /// `V(lo)`.
    v_lo: f64,
    /// `E[Σ_{j≠i} V_j]` for one trader of the class.
    others_mean: f64,
    /// `Var Σ_{j≠i} V_j`.
    others_var: f64,
}

impl ClassSidePayment {
    fn build(
        mech: &OptimalMechanism,
        index: usize,
        total_var: f64,
    ) -> Result<Self, ImplementationError> {
        let sol = mech.class(index);
        let kappa = sol.kappa();
        let k_total = mech.market().total_kappa();
        let k_others = k_total - kappa;
        let vv = sol.virtual_value().clone();
        let d = vv.distribution();
        let (lo, _) = d.support();
        let (za, _) = vv.binding_interval();
        let eta = vv.eta();
        // V(lo) = median(Ĥ(lo), η, L̂(lo)); finite even where H(lo) = −∞.
        let v_lo = vv.ironed_lower(lo).min(eta.max(vv.ironed_upper(lo)));
        let mut out = Self {
            kappa,
            count: sol.count(),
            k_total,
            k_others,
            weight: kappa / k_total,
            c: -1.0 / kappa + k_total / kappa - k_total / k_others,
            tau: 0.0,
            v_lo,
            others_mean: mech.aggregate_mean_virtual_value() - sol.mean_virtual_value(),
            others_var: (total_var - sol.variance_virtual_value()).max(0.0),
            vv,
        };
        // The worst type is the bottom of the binding interval: its gain
        // with τ = 0 is the fee that leaves it exactly indifferent.
        out.tau = out.expected_gain_unchecked(za)?;
        for (what, v) in [
            ("quadratic coefficient c", out.c),
            ("participation fee tau", out.tau),
            ("virtual value at the lowest type", out.v_lo),
        ] {
            if !v.is_finite() {
                return Err(ImplementationError::Numerical(NumericalError::NonFinite {
                    what,
                }));
            }
        }
        Ok(out)
    }

    /// Risk capacity `κ_i` of a trader of this class.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.5).unwrap()).unwrap();
    /// assert_eq!(rules.class(0).kappa(), 0.5);
    /// ```
    pub fn kappa(&self) -> f64 {
        self.kappa
    }

    /// Number of traders in the class.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.5).unwrap()).unwrap();
    /// assert_eq!(rules.class(0).count(), 3);
    /// ```
    pub fn count(&self) -> u64 {
        self.count
    }

    /// `w_i = κ_i/K`: the price slope of the equilibrium schedule.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.5).unwrap()).unwrap();
    /// assert_eq!(rules.class(0).kappa_share(), 0.25);
    /// ```
    pub fn kappa_share(&self) -> f64 {
        self.weight
    }

    /// Old name of [`ClassSidePayment::kappa_share`].
    #[deprecated(note = "renamed `kappa_share`: \"weight\" is kept for α and β")]
    pub fn weight(&self) -> f64 {
        self.kappa_share()
    }

    /// The coefficient `c_i = −1/κ_i + K/κ_i − K/(K − κ_i)` of the quadratic
    /// part `c_i q²/2` of the side payment.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(2, 1.0, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.5).unwrap()).unwrap();
    /// // K = 2, κ = 1: c = −1 + 2 − 2.
    /// assert!((rules.class(0).c() + 1.0).abs() < 1e-15);
    /// ```
    pub fn c(&self) -> f64 {
        self.c
    }

    /// The participation fee `τ_i`: chosen so that the worst type (the
    /// bottom of the binding interval) expects exactly zero gain from
    /// taking part. Negative values are subsidies.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 1.0).unwrap()).unwrap();
    /// let class = rules.class(0);
    /// let (za, _) = (-0.5, 0.5);
    /// assert!(class.expected_gain(za).unwrap().abs() < 1e-12);
    /// assert!(class.tau().is_finite());
    /// ```
    pub fn tau(&self) -> f64 {
        self.tau
    }

    /// The virtual value `V_i` the rule is built from.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 1.0).unwrap()).unwrap();
    /// assert_eq!(rules.class(0).virtual_value().eta(), 0.0);
    /// ```
    pub fn virtual_value(&self) -> &VirtualValue {
        &self.vv
    }

    /// `V_i(lo)`, the lower end of Young's identity in `T_i` (for the
    /// deployment layer, which integrates `T_i` against other distributions).
    pub(crate) fn virtual_value_at_lowest_type(&self) -> f64 {
        self.v_lo
    }

    /// `T_i(l)` given `y = V⁻¹(l)` (Young's identity); an error where the
    /// quadrature of `∫ V` falls short of `quad_rel`.
    fn t_given_inverse(&self, l: f64, y: f64) -> Result<f64, NumericalError> {
        let (lo, hi) = self.vv.distribution().support();
        let y = y.clamp(lo, hi);
        let j = l * y - lo * self.v_lo - self.vv.checked_integral(y)?;
        Ok((0.5 * self.k_total * l * l - j) * self.k_others / (self.kappa * self.k_total))
    }

    /// The function `T_i(l) = (K l²/2 − ∫_{V_i(lo)}^{l} V_i⁻¹(s) ds)·(K − κ_i)/(κ_i K)`
    /// of Theorem 2, defined for every real `l` (the inverse is extended by
    /// the ends of the support outside the range of `V_i`). It is convex,
    /// with a kink at `η_i`.
    ///
    /// # Errors
    /// [`ImplementationError::NonFiniteInput`] for a non-finite `l`.
    /// [`ImplementationError::Numerical`] when the quadrature of `∫ V` behind
    /// `T_i` cannot reach `Tolerances::quad_rel`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.0)?)?;
    /// let class = rules.class(0);
    /// // At α = 0, V(z) = z on [−1, 1]: ∫_{−1}^{l} s ds = (l² − 1)/2, K = 3/2, K − κ = 1.
    /// let l: f64 = 0.4;
    /// let expected = (1.5 * l * l / 2.0 - (l * l - 1.0) / 2.0) * 1.0 / (0.5 * 1.5);
    /// assert!((class.t_fn(l)? - expected).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn t_fn(&self, l: f64) -> Result<f64, ImplementationError> {
        finite_input("argument l of T", l)?;
        Ok(self.t_given_inverse(l, self.vv.inverse(l)?)?)
    }

    /// The side payment `S_i(p, q) = c_i q²/2 − T_i(−q − w_i p) + τ_i` of a
    /// trader of this class who buys `q` at the clearing price `p`.
    ///
    /// # Errors
    /// [`ImplementationError::NonFiniteInput`] for a non-finite price or quantity.
    /// [`ImplementationError::Numerical`] when the quadrature of `∫ V` behind
    /// `T_i` cannot reach `Tolerances::quad_rel`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 1.0)?)?;
    /// let class = rules.class(0);
    /// let s = class.side_payment(0.2, -0.1)?;
    /// let l = 0.1 - class.kappa_share() * 0.2;
    /// assert!((s - (class.c() * 0.005 - class.t_fn(l)? + class.tau())).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn side_payment(&self, price: f64, quantity: f64) -> Result<f64, ImplementationError> {
        finite_input("price", price)?;
        finite_input("quantity", quantity)?;
        let l = -quantity - self.weight * price;
        let s = 0.5 * self.c * quantity * quantity
            - self.t_given_inverse(l, self.vv.inverse(l)?)?
            + self.tau;
        if s.is_finite() {
            Ok(s)
        } else {
            Err(ImplementationError::Numerical(NumericalError::NonFinite {
                what: "side payment",
            }))
        }
    }

    /// `S_i(p, q)` for a trader known to be of type `z` who plays its
    /// equilibrium schedule, so that `−q − w p = V(z)` and `V⁻¹` there is
    /// `z` itself (no root finding). Falls back to the general rule for
    /// types outside the support.
    pub(crate) fn side_payment_at_type(
        &self,
        price: f64,
        quantity: f64,
        z: f64,
    ) -> Result<f64, ImplementationError> {
        let (lo, hi) = self.vv.distribution().support();
        if !(lo..=hi).contains(&z) {
            return self.side_payment(price, quantity);
        }
        finite_input("price", price)?;
        finite_input("quantity", quantity)?;
        let l = -quantity - self.weight * price;
        let s = 0.5 * self.c * quantity * quantity - self.t_given_inverse(l, z)? + self.tau;
        if s.is_finite() {
            Ok(s)
        } else {
            Err(ImplementationError::Numerical(NumericalError::NonFinite {
                what: "side payment",
            }))
        }
    }

    /// The equilibrium demand schedule of a trader of type `z`,
    /// `q(p) = −V_i(z) − w_i p` (the paper's eq. (20)).
    ///
    /// # Errors
    /// [`ImplementationError::NonFiniteInput`] for a non-finite type.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{DemandSchedule, SidePayments}};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.0)?)?;
    /// let q = rules.class(0).demand_schedule(0.3)?;
    /// assert!((q.quantity(0.2) - (-0.3 - 0.25 * 0.2)).abs() < 1e-15);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn demand_schedule(&self, z: f64) -> Result<LinearSchedule, ImplementationError> {
        finite_input("type z", z)?;
        LinearSchedule::new(-self.vv.value(z), self.weight)
    }

    /// The terms of a type's expected payment and gain that do not involve
    /// `τ`: `(E[p q + S − τ | z], E[−(z+q)² + z²]/(2κ))`.
    fn interim_parts(&self, z: f64) -> Result<(f64, f64), NumericalError> {
        let w = self.weight;
        let v = self.vv.value(z);
        let (ea, va) = (self.others_mean, self.others_var);
        let x_bar = -(1.0 - w) * v + w * ea;
        let e_x2 = x_bar * x_bar + w * w * va;
        // E[p X] with the clearing price p = −(V + A) and X = −(1 − w)V + wA.
        let e_px = (1.0 - w) * v * v - (2.0 * w - 1.0) * v * ea - w * (va + ea * ea);
        let (lo, hi) = self.vv.distribution().support();
        // V⁻¹(V(z)) = z (any point of the flat piece gives the same T).
        let t = self.t_given_inverse(v, z.clamp(lo, hi))?;
        let payment = e_px + 0.5 * self.c * e_x2 - t;
        let holding = -(2.0 * z * x_bar + e_x2) / (2.0 * self.kappa);
        Ok((payment, holding))
    }

    fn expected_gain_unchecked(&self, z: f64) -> Result<f64, NumericalError> {
        let (payment, holding) = self.interim_parts(z)?;
        Ok(holding - payment - self.tau)
    }

    /// The expected payment `E[p q_i + S_i(p, q_i) | Z_i = z]` of a type in
    /// the equilibrium of the auction (the others' types drawn from their
    /// distributions). Equal to the direct mechanism's interim transfer.
    ///
    /// # Errors
    /// [`ImplementationError::NonFiniteInput`] for a non-finite type.
    /// [`ImplementationError::Numerical`] when the quadrature of `∫ V` behind
    /// `T_i` cannot reach `Tolerances::quad_rel`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let mech = OptimalMechanism::solve(&m, 0.5)?;
    /// let rules = SidePayments::new(&mech)?;
    /// let t = rules.class(0).expected_payment(0.8)?;
    /// assert!((t - mech.interim_transfer(0, 0.8)?).abs() < 1e-10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expected_payment(&self, z: f64) -> Result<f64, ImplementationError> {
        finite_input("type z", z)?;
        Ok(self.interim_parts(z)?.0 + self.tau)
    }

    /// The expected utility gain of taking part in the auction for a type,
    /// `E[−(z + q_i)² + z²]/(2κ_i) − E[p q_i + S_i]`; zero at the worst
    /// type, non-negative everywhere, equal to the direct mechanism's
    /// [`utility_gain`](crate::mechanism::DirectMechanism::utility_gain).
    ///
    /// # Errors
    /// [`ImplementationError::NonFiniteInput`] for a non-finite type.
    /// [`ImplementationError::Numerical`] when the quadrature of `∫ V` behind
    /// `T_i` cannot reach `Tolerances::quad_rel`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let mech = OptimalMechanism::solve(&m, 1.0)?;
    /// let rules = SidePayments::new(&mech)?;
    /// let g = rules.class(0).expected_gain(0.9)?;
    /// assert!(g > 0.0 && (g - mech.utility_gain(0, 0.9)?).abs() < 1e-10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expected_gain(&self, z: f64) -> Result<f64, ImplementationError> {
        finite_input("type z", z)?;
        Ok(self.expected_gain_unchecked(z)?)
    }

    /// Breakpoints for integrals over the type distribution: the support's
    /// ends, the distribution's kinks and the points that resolve its
    /// features ([`integral_breaks`]: a cluster of traders narrower than
    /// the rule's first panel is otherwise stepped over, and a class of a
    /// truncated normal with `σ = 1e-5` on `[−1, 1]` had an expected gain
    /// of 0), the binding interval and the pooled intervals (where `V` has
    /// kinks).
    fn type_pieces(&self) -> Vec<f64> {
        let d = self.vv.distribution();
        let (lo, hi) = d.support();
        let (za, zb) = self.vv.binding_interval();
        let mut pts = integral_breaks(d);
        let pools = self.vv.ironed_intervals();
        let ends = pools.iter().flat_map(|&(a, b)| [a, b]);
        pts.extend(
            [za, zb]
                .into_iter()
                .chain(ends)
                .filter(|&z| z > lo && z < hi),
        );
        pts.sort_by(f64::total_cmp);
        pts.dedup();
        pts
    }

    /// Expected payment of one trader of the class, `E[p q_i + S_i]`, by
    /// quadrature over its type distribution.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let mech = OptimalMechanism::solve(&m, 1.0).unwrap();
    /// let rules = SidePayments::new(&mech).unwrap();
    /// let r = rules.class(0).expected_revenue_per_trader();
    /// assert!((r - mech.class(0).revenue_per_trader()).abs() < 1e-10);
    /// ```
    ///
    /// NaN when the quadrature cannot reach `Tolerances::quad_rel` (an
    /// integrand too rough for it), rather than a number of unknown
    /// accuracy.
    pub fn expected_revenue_per_trader(&self) -> f64 {
        let d = self.vv.distribution();
        accurate(integrate_pieces_with_mass(
            // An integral of `V` short of `quad_rel` makes the integrand
            // NaN, the quadrature's error NaN and the answer the
            // documented NaN. The density rides along to check each piece
            // against the distribution's probability: a cluster of traders
            // between the rule's nodes is otherwise stepped over.
            |z| {
                let f = d.pdf(z);
                [
                    self.interim_parts(z)
                        .map_or(f64::NAN, |(payment, _)| (payment + self.tau) * f),
                    f,
                ]
            },
            &self.type_pieces(),
            &|p, q| probability_between(d, p, q),
            &Tolerances::DEFAULT,
        ))
    }

    /// Expected utility gain of one trader of the class, by quadrature over
    /// its type distribution.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 1.0).unwrap()).unwrap();
    /// assert!(rules.class(0).expected_gain_per_trader() > 0.0);
    /// ```
    ///
    /// Accurate to `Tolerances::quad_rel` of the larger of the result and
    /// the gains at the support's ends (the largest any type gets): each
    /// gain is known to the rounding of that scale, so the expected gain of
    /// a class that is a narrow cluster, 1e-5 of it, is not held to 1e-13
    /// of itself, which the doubles cannot give. NaN when the quadrature
    /// cannot reach that, as [`ClassSidePayment::expected_revenue_per_trader`].
    pub fn expected_gain_per_trader(&self) -> f64 {
        let d = self.vv.distribution();
        let (lo, hi) = d.support();
        let scale = [lo, hi]
            .into_iter()
            .map(|z| self.expected_gain_unchecked(z).map_or(f64::NAN, f64::abs))
            .fold(0.0, f64::max);
        let tol = Tolerances::DEFAULT;
        accurate(integrate_pieces_with_mass(
            // As in `expected_revenue_per_trader`: a shortfall is NaN, and
            // the density checks the pieces.
            |z| {
                let f = d.pdf(z);
                [
                    self.expected_gain_unchecked(z)
                        .map_or(f64::NAN, |gain| gain * f),
                    f,
                ]
            },
            &self.type_pieces(),
            &|p, q| probability_between(d, p, q),
            &Tolerances {
                quad_abs: tol.quad_abs.max(scale),
                ..tol
            },
        ))
    }
}

/// The side-payment rules of every class of a solved mechanism (Theorem 2).
///
/// # Example
/// ```
/// # use exchange_design::prelude::*;
/// use exchange_design::distribution::{Triangular, Uniform};
/// use exchange_design::implementation::SidePayments;
/// use exchange_design::market::{Market, TraderClass};
/// use exchange_design::mechanism::OptimalMechanism;
/// let market = Market::new(vec![
///     TraderClass::new(0.5, Uniform::new(-1.0, 1.0)?, 2),
///     TraderClass::new(2.0, Triangular::new(-1.0, 0.5, 1.0)?, 1),
/// ])?;
/// let mech = OptimalMechanism::solve(&market, 0.7)?;
/// let rules = SidePayments::new(&mech)?;
/// // Same expected revenue as the direct mechanism.
/// assert!((rules.expected_revenue() - mech.revenue()).abs() < 1e-9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SidePayments {
    classes: Vec<ClassSidePayment>,
    offsets: Vec<u64>,
    n_traders: u64,
}

impl SidePayments {
    /// Builds the side-payment rule of every class of `mech`.
    ///
    /// # Errors
    /// [`ImplementationError::Numerical`] when a coefficient or fee is not
    /// finite (a numerically extreme market).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.5)?)?;
    /// assert_eq!(rules.classes().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(mech: &OptimalMechanism) -> Result<Self, ImplementationError> {
        let total_var: f64 = mech
            .classes()
            .iter()
            .map(|c| c.count() as f64 * c.variance_virtual_value())
            .sum();
        // Classes in parallel, collected in order.
        let indices: Vec<usize> = (0..mech.classes().len()).collect();
        let classes = crate::numerics::parallel::map(&indices, |&k| {
            ClassSidePayment::build(mech, k, total_var)
        })
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
        let market = mech.market();
        Ok(Self {
            classes,
            offsets: market.trader_offsets(),
            n_traders: market.n_traders(),
        })
    }

    /// The rules of all classes, in market order.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.5).unwrap()).unwrap();
    /// assert!(rules.classes().iter().all(|c| c.tau().is_finite()));
    /// ```
    pub fn classes(&self) -> &[ClassSidePayment] {
        &self.classes
    }

    /// The rule of class `class`, like slice indexing.
    ///
    /// # Panics
    /// If `class` is out of range; [`SidePayments::get_class`] returns
    /// `None` instead (the crate's convention, see [`crate::mechanism`]).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.5).unwrap()).unwrap();
    /// assert_eq!(rules.class(0).count(), 3);
    /// ```
    pub fn class(&self, class: usize) -> &ClassSidePayment {
        &self.classes[class]
    }

    /// The rule of class `class`, or `None` when it is out of range.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.5).unwrap()).unwrap();
    /// assert!(rules.get_class(0).is_some() && rules.get_class(1).is_none());
    /// ```
    pub fn get_class(&self, class: usize) -> Option<&ClassSidePayment> {
        self.classes.get(class)
    }

    /// [`SidePayments::get_class`] as a `Result`, for the methods that take
    /// a class index along with other input.
    fn checked_class(&self, class: usize) -> Result<&ClassSidePayment, ImplementationError> {
        self.get_class(class)
            .ok_or(ImplementationError::InvalidClass {
                class,
                n_classes: self.classes.len(),
            })
    }

    /// Total number of traders.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert_eq!(SidePayments::new(&OptimalMechanism::solve(&m, 0.5).unwrap()).unwrap().n_traders(), 3);
    /// ```
    pub fn n_traders(&self) -> u64 {
        self.n_traders
    }

    /// `(class, first trader, one past the last trader)` for every class,
    /// in the trader order used by auctions and allocations.
    pub(crate) fn class_ranges(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        self.offsets
            .windows(2)
            .enumerate()
            .map(|(k, w)| (k, w[0] as usize, w[1] as usize))
    }

    /// `S_k(p, q)` for a trader of class `class`; see
    /// [`ClassSidePayment::side_payment`].
    ///
    /// # Errors
    /// [`ImplementationError::InvalidClass`] or a non-finite input.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 1.0)?)?;
    /// let s = rules.side_payment(0, 0.0, 0.0)?;
    /// assert!((s - (rules.class(0).tau() - rules.class(0).t_fn(0.0)?)).abs() < 1e-15);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn side_payment(
        &self,
        class: usize,
        price: f64,
        quantity: f64,
    ) -> Result<f64, ImplementationError> {
        self.checked_class(class)?.side_payment(price, quantity)
    }

    /// The equilibrium schedule `q(p) = −V_k(z) − w_k p` of a type-`z` trader
    /// of class `class`.
    ///
    /// # Errors
    /// [`ImplementationError::InvalidClass`] or a non-finite type.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 1.0)?)?;
    /// let q = rules.demand_schedule(0, 0.0)?; // binding type: V = η = 0
    /// assert_eq!(q.intercept(), 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn demand_schedule(
        &self,
        class: usize,
        z: f64,
    ) -> Result<LinearSchedule, ImplementationError> {
        self.checked_class(class)?.demand_schedule(z)
    }

    /// Expected revenue of the auction, `Σ_k count_k E[p q + S]`, by
    /// quadrature over each class's type distribution. Equal to the direct
    /// mechanism's revenue.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::SidePayments};
    /// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let mech = OptimalMechanism::solve(&m, 0.3).unwrap();
    /// let rules = SidePayments::new(&mech).unwrap();
    /// assert!((rules.expected_revenue() - mech.revenue()).abs() < 1e-10);
    /// ```
    pub fn expected_revenue(&self) -> f64 {
        self.classes
            .iter()
            .map(|c| c.count as f64 * c.expected_revenue_per_trader())
            .sum()
    }
}

#[cfg(test)]
mod quadrature_tests {
    use super::SidePayments;
    use crate::distribution::Beta;
    use crate::market::Market;
    use crate::mechanism::OptimalMechanism;
    use crate::numerics::with_panel_cap;

    /// No silent quadrature cap: with the adaptive rule held to one panel
    /// per piece (the test hook), the expected revenue cannot reach its
    /// tolerance on a Beta density and is NaN, not the one-panel estimate;
    /// with the rule's own cap it agrees with the mechanism. The expected
    /// gain, held to `quad_rel` of the gains at the support's ends, meets
    /// that on the pieces that resolve the density's ends even one panel
    /// each; it is then what the full rule gives, to that accuracy.
    #[test]
    fn an_expectation_short_of_its_accuracy_is_nan() {
        // A density like √(z + 1) at its lower end: not polynomial there.
        let d = Beta::new(1.5, 2.5, -1.0, 1.0).unwrap();
        let m = Market::symmetric(3, 0.5, d).unwrap();
        let mech = OptimalMechanism::solve(&m, 0.5).unwrap();
        let rules = SidePayments::new(&mech).unwrap();
        let c = &rules.classes()[0];
        assert!(
            (c.expected_revenue_per_trader() - mech.class(0).revenue_per_trader()).abs() < 1e-10
        );
        let gain = c.expected_gain_per_trader();
        assert!(gain.is_finite());
        let scale = c
            .expected_gain(-1.0)
            .unwrap()
            .max(c.expected_gain(1.0).unwrap());
        with_panel_cap(1, || {
            assert!(c.expected_revenue_per_trader().is_nan());
            assert!(rules.expected_revenue().is_nan());
            let capped = c.expected_gain_per_trader();
            assert!(
                capped.is_nan() || (capped - gain).abs() <= 1e-13 * scale,
                "{capped} against {gain}"
            );
        });
    }
}
