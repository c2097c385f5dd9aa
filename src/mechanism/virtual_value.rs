//! Virtual values (the paper's V_i after eq. (12), in the corrected form of
//! `docs/theory.md`).
//!
//! With the single weight `β = (α + λ)/(1 + λ)`, a trader's lower and upper
//! virtual types are
//!
//! * `L(z) = z + β F(z)/f(z)`, used below the binding interval,
//! * `H(z) = z − β (1 − F(z))/f(z)`, used above it,
//!
//! and the virtual value is the clamp `V(z) = min(L(z), max(H(z), η))`:
//! equal to `η` on the binding interval `[Z_a, Z_b] = [L⁻¹(η), H⁻¹(η)]`.

use super::ironing::{lower, lower_mass_integral, upper, upper_mass_integral, Side, VirtualTypes};
use super::MechanismError;
use crate::distribution::EndowmentDistribution;
use crate::mechanism::IroningError;
use crate::numerics::NumericalError;
use crate::numerics::Tolerances;
use crate::numerics::{RootError, RootMethod};
use std::sync::{Arc, OnceLock};

/// A class's binding interval and expected virtual value at a given `η`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AtEta {
    pub eta: f64,
    pub za: f64,
    pub zb: f64,
    /// `m(η) = E[V]`.
    pub mean: f64,
    /// `m'(η) = F(Z_b) − F(Z_a)`, the probability of the binding interval.
    pub slope: f64,
}

/// Evaluates `m(η) = E[V]` and its slope from closed-form moments:
/// `M(Z_a) + β∫_lo^{Z_a} F + η (F(Z_b) − F(Z_a)) + E Z − M(Z_b) − β∫_{Z_b}^{hi} (1 − F)`.
///
/// For an ironed class the same formula holds with the generalised inverses
/// of `L̂` and `Ĥ`: `Z_a` never lies strictly inside a pool of `L̂` (nor `Z_b`
/// inside one of `Ĥ`), and over everything below `Z_a` the `f`-weighted
/// integral of `L̂` equals that of `L` (ironing preserves the mean of each
/// pool).
pub(crate) fn at_eta(
    d: &dyn EndowmentDistribution,
    types: &VirtualTypes,
    eta: f64,
    guess: (f64, f64),
    rel: f64,
    method: RootMethod,
) -> Result<AtEta, RootError> {
    let beta = types.beta;
    if beta == 0.0 && types.is_regular() {
        // V(z) = z whatever η (L = H = the identity, the first best): the
        // interval shrinks to η clamped to the support, m(η) = E[Z] and
        // m' = 0, with no integral to evaluate.
        let (lo, hi) = d.support();
        let z = eta.clamp(lo, hi);
        return Ok(AtEta {
            eta,
            za: z,
            zb: z,
            mean: d.mean(),
            slope: 0.0,
        });
    }
    let za = types.lower_inverse(d, eta, guess.0, rel, method)?;
    let zb = types.upper_inverse(d, eta, guess.1, rel, method)?.max(za);
    let slope = (d.cdf(zb) - d.cdf(za)).max(0.0);
    let below = lower_mass_integral(d, beta, za);
    let above = upper_mass_integral(d, beta, zb);
    // A screen's constant stretches are not means of the raw types, as
    // pools are (see `ironing::screen`).
    let screened = if types.is_screened() {
        types.screen_correction(d, za, zb)
    } else {
        0.0
    };
    Ok(AtEta {
        eta,
        za,
        zb,
        mean: below + eta * slope + above + screened,
        slope,
    })
}

/// `(E[H], E[L])`: the range of `m(η)` as `η` runs over the real line.
pub(crate) fn mean_range(d: &dyn EndowmentDistribution, beta: f64) -> (f64, f64) {
    let (lo, hi) = d.support();
    let mean = d.mean();
    (mean - beta * (mean - lo), mean + beta * (hi - mean))
}

/// The optimal virtual value of one trader: the weight `β`, the level `η`
/// and the binding interval `[Z_a, Z_b]` on which `V ≡ η`.
///
/// # Example
/// ```
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::OptimalMechanism;
/// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let mech = OptimalMechanism::solve(&m, 1.0)?;
/// let v = mech.class(0).virtual_value();
/// // Example 1 at α = 1: L(z) = 2z + 1 below the interval [−1/2, 1/2].
/// assert!((v.value(-0.75) - (-0.5)).abs() < 1e-12);
/// assert_eq!(v.value(0.1), v.eta());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct VirtualValue {
    pub(crate) dist: Arc<dyn EndowmentDistribution>,
    pub(crate) beta: f64,
    pub(crate) eta: f64,
    pub(crate) za: f64,
    pub(crate) zb: f64,
    /// `∫_lo^{Z_a} L̂(s) ds`, computed once.
    pub(crate) int_lower: f64,
    /// `L̂` and `Ĥ`: the pools where the virtual types were ironed (exact
    /// only below `Z_a` and above `Z_b` where the solve found the class's
    /// pools all inside its binding interval; see
    /// [`VirtualValue::ironed_lower`]).
    pub(crate) types: VirtualTypes,
    /// The solve's tolerances and inner root method, for
    /// [`VirtualValue::inverse`] and a full ironing.
    pub(crate) tolerances: Tolerances,
    pub(crate) method: RootMethod,
    /// The class's ironing in full, computed at the first query of `L̂` or
    /// `Ĥ` inside the binding interval where `types` are not exact there.
    pub(crate) full: OnceLock<Result<VirtualTypes, IroningError>>,
}

impl VirtualValue {
    /// The level `η` of the virtual value on the binding interval (the
    /// paper's η_i, eq. (13)–(14)).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let v = OptimalMechanism::solve(&m, 0.5).unwrap().class(0).virtual_value().clone();
    /// assert!(v.eta().abs() < 1e-12); // symmetric around 0
    /// ```
    pub fn eta(&self) -> f64 {
        self.eta
    }

    /// The weight `β` the virtual value was built with.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert_eq!(OptimalMechanism::solve(&m, 0.5).unwrap().class(0).virtual_value().beta(), 0.5);
    /// ```
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// The binding interval `[Z_a, Z_b]` (types whose participation
    /// constraint binds and who expect to trade zero; Lemma 3), clamped to
    /// the support: the types whose virtual value is `η`. For a class that
    /// needed ironing it can be wider than `[L⁻¹(η), H⁻¹(η)]` when a pooled
    /// stretch of the ironed types sits exactly at `η`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let (a, b) = OptimalMechanism::solve(&m, 1.0).unwrap().class(0).virtual_value().binding_interval();
    /// assert!((a + 0.5).abs() < 1e-12 && (b - 0.5).abs() < 1e-12);
    /// ```
    pub fn binding_interval(&self) -> (f64, f64) {
        (self.za, self.zb)
    }

    /// The lower virtual type `L(z) = z + β F(z)/f(z)`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let v = OptimalMechanism::solve(&m, 1.0).unwrap().class(0).virtual_value().clone();
    /// assert!((v.lower(0.0) - 1.0).abs() < 1e-15); // 0 + 1·(0 − (−1))
    /// ```
    pub fn lower(&self, z: f64) -> f64 {
        lower(self.dist.as_ref(), self.beta, z)
    }

    /// The upper virtual type `H(z) = z − β (1 − F(z))/f(z)`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let v = OptimalMechanism::solve(&m, 1.0).unwrap().class(0).virtual_value().clone();
    /// assert!((v.upper(0.0) + 1.0).abs() < 1e-15); // 0 − 1·(1 − 0)
    /// ```
    pub fn upper(&self, z: f64) -> f64 {
        upper(self.dist.as_ref(), self.beta, z)
    }

    /// The ironed lower type `L̂(z)`: `L(z)` except on the pools where `L`
    /// is not monotone, where it is the `f`-weighted mean of `L` over the
    /// pool. Equal to [`VirtualValue::lower`] for a regular class.
    ///
    /// Where every pool of a class lies inside its binding interval, where
    /// `V = η` whatever the ironed types are, the solve does not compute
    /// them; the first query inside the interval irons the class in full at
    /// the solve's tolerances. NaN if that ironing fails (with the error
    /// [`MechanismError::Ironing`] the solve would have returned had it
    /// needed the pools).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let v = OptimalMechanism::solve(&m, 1.0).unwrap().class(0).virtual_value().clone();
    /// assert_eq!(v.ironed_lower(0.3), v.lower(0.3)); // uniform: nothing to iron
    /// ```
    pub fn ironed_lower(&self, z: f64) -> f64 {
        self.ironed(Side::Lower, z)
    }

    /// The ironed upper type `Ĥ(z)`; see [`VirtualValue::ironed_lower`].
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let v = OptimalMechanism::solve(&m, 1.0).unwrap().class(0).virtual_value().clone();
    /// assert_eq!(v.ironed_upper(0.3), v.upper(0.3));
    /// ```
    pub fn ironed_upper(&self, z: f64) -> f64 {
        self.ironed(Side::Upper, z)
    }

    /// `L̂(z)` or `Ĥ(z)`, from the full ironing where the solve's types
    /// are not exact at `z`.
    fn ironed(&self, side: Side, z: f64) -> f64 {
        let d = self.dist.as_ref();
        let exact = !self.types.is_screened()
            || match side {
                Side::Lower => z <= self.za,
                Side::Upper => z >= self.zb,
            };
        if exact {
            return self.types.value(d, side, z);
        }
        match self
            .full
            .get_or_init(|| VirtualTypes::new(d, self.beta, &self.tolerances))
        {
            Ok(full) => full.value(d, side, z),
            Err(_) => f64::NAN,
        }
    }

    /// The pooled intervals outside the binding interval: the maximal
    /// intervals, in increasing order, on which `V` is constant at a value
    /// other than `η`. Types in one of them are treated alike (ironing).
    /// Empty for a class whose virtual types are monotone at this weight.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::PiecewiseLinear;
    /// use exchange_design::market::Market;
    /// use exchange_design::mechanism::OptimalMechanism;
    /// // A density with dips near ±0.7: L and H are not monotone.
    /// let d = PiecewiseLinear::new(
    ///     vec![-1.0, -0.8, -0.7, -0.6, 0.0, 0.6, 0.7, 0.8, 1.0],
    ///     vec![1.0, 1.0, 0.03, 1.0, 1.0, 1.0, 0.03, 1.0, 1.0],
    /// )?;
    /// let mech = OptimalMechanism::solve(&Market::symmetric(3, 1.0, d)?, 1.0)?;
    /// let v = mech.class(0).virtual_value();
    /// let pools = v.ironed_intervals();
    /// assert!(!pools.is_empty());
    /// for (a, b) in pools {
    ///     assert!((v.value(a) - v.value(b)).abs() < 1e-9);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ironed_intervals(&self) -> Vec<(f64, f64)> {
        let below = self
            .types
            .lower
            .iter()
            .filter(|p| p.value < self.eta && p.b <= self.za);
        let above = self
            .types
            .upper
            .iter()
            .filter(|p| p.value > self.eta && p.a >= self.zb);
        below.chain(above).map(|p| (p.a, p.b)).collect()
    }

    /// The ends of the binding interval and of every pool of `Ĥ` and `L̂`
    /// (those [`Self::ironed_intervals`] leaves out as inside the binding
    /// interval too, and a screened class's constant stretches, which lie
    /// there or at the support's ends): where `V` may turn a corner or
    /// jump besides the density's own kinks and jumps.
    pub(crate) fn breaks(&self) -> Vec<f64> {
        let pools = self.types.lower.iter().chain(self.types.upper.iter());
        let mut points: Vec<f64> = pools.flat_map(|p| [p.a, p.b]).collect();
        points.extend([self.za, self.zb]);
        points
    }

    /// The virtual value `V(z) = median(Ĥ(z), η, L̂(z))`: the (ironed) lower
    /// type below the binding interval, `η` on it, the (ironed) upper type
    /// above it. Always weakly increasing; equal to `L` and `H` there when
    /// the class is regular (Condition 2, or weaker at `β < 1`).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let v = OptimalMechanism::solve(&m, 1.0).unwrap().class(0).virtual_value().clone();
    /// assert!((v.value(0.75) - 0.5).abs() < 1e-12); // H(z) = 2z − 1
    /// ```
    pub fn value(&self, z: f64) -> f64 {
        let d = self.dist.as_ref();
        if z < self.za {
            self.types.value(d, Side::Lower, z)
        } else if z > self.zb {
            self.types.value(d, Side::Upper, z)
        } else {
            self.eta
        }
    }

    /// The participation multiplier `ω(z)` in units of the objective scaled
    /// by `1/(1 + λ)`: 0 below the binding interval, `β F(z) + f(z)(z − η)`
    /// on it (rising from 0 to `β`), `β` above it. The paper's `Ω_i` is
    /// `(1 + λ) ω`; see [`crate::mechanism::ClassSolution::participation_multiplier`].
    ///
    /// On the binding interval of a class that needed ironing, the
    /// monotonicity constraint can bind as well, and `β F + f (z − η)` is
    /// then the sum of both constraints' multipliers (it is what makes the
    /// first-order condition give `V = η`); it is reported clamped to `[0, β]`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let v = OptimalMechanism::solve(&m, 0.5).unwrap().class(0).virtual_value().clone();
    /// // Example 1: ω(z) = ((1 + α) z + α)/2 on the interval.
    /// assert!((v.omega(0.1) - (1.5 * 0.1 + 0.5) / 2.0).abs() < 1e-12);
    /// ```
    pub fn omega(&self, z: f64) -> f64 {
        if z < self.za {
            0.0
        } else if z > self.zb {
            self.beta
        } else {
            let d = self.dist.as_ref();
            (self.beta * d.cdf(z) + d.pdf(z) * (z - self.eta)).clamp(0.0, self.beta)
        }
    }

    /// Old name of [`VirtualValue::omega`].
    #[deprecated(
        note = "renamed `omega` (ω); `ClassSolution::participation_multiplier` is Ω = (1 + λ) ω"
    )]
    pub fn multiplier(&self, z: f64) -> f64 {
        self.omega(z)
    }

    /// The generalised inverse of `V`: the type whose virtual value is `v`,
    /// extended by the support's ends outside the range of `V`. At `v = η`
    /// (where `V` is flat) it returns `Z_a`. The roots are solved to the
    /// tolerance and with the inner root method of the solve that built
    /// this virtual value.
    ///
    /// The ends are exact, not fallbacks: `V` is non-decreasing, so when
    /// `v ≤ V(lo)` every type has `V ≥ v` and the generalised inverse
    /// `inf { z : V(z) ≥ v }` is `lo` (the root finders return `lo` there),
    /// and when `v` is above the range of `V` the set is empty and the
    /// inverse is extended by `hi`; on the binding interval's side of `η`
    /// the answer is clamped to `[lo, Z_a]` (or `[Z_b, hi]`), where `V < η`
    /// (or `V > η`) holds.
    ///
    /// # Errors
    /// [`MechanismError::Numerical`] when the root finder fails for a target
    /// inside the range of `V` (a distribution whose functions disagree).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let v = OptimalMechanism::solve(&m, 1.0)?.class(0).virtual_value().clone();
    /// assert!((v.inverse(v.value(0.8))? - 0.8).abs() < 1e-12);
    /// assert_eq!(v.inverse(100.0)?, 1.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn inverse(&self, v: f64) -> Result<f64, MechanismError> {
        let d = self.dist.as_ref();
        let (lo, hi) = d.support();
        let stage = "inverse of the virtual value";
        if v.is_nan() {
            return Ok(f64::NAN);
        }
        if v <= self.eta {
            if self.za <= lo {
                return Ok(lo);
            }
            let z = self
                .types
                .lower_inverse(
                    d,
                    v,
                    0.5 * (lo + self.za),
                    self.tolerances.root_rel,
                    self.method,
                )
                .map_err(|source| {
                    MechanismError::Numerical(NumericalError::Root { stage, source })
                })?;
            Ok(z.min(self.za))
        } else {
            if self.zb >= hi {
                return Ok(hi);
            }
            let z = self
                .types
                .upper_inverse(
                    d,
                    v,
                    0.5 * (self.zb + hi),
                    self.tolerances.root_rel,
                    self.method,
                )
                .map_err(|source| {
                    MechanismError::Numerical(NumericalError::Root { stage, source })
                })?;
            Ok(z.max(self.zb))
        }
    }

    /// `∫_lo^y V(s) ds` for `y` in the support (clamped to it), split at
    /// the binding interval: `∫ L̂` below it, `η (·)` on it, `∫ Ĥ` above it.
    /// Where `V` is a raw type the integral of `F/f` or `(1 − F)/f` is an
    /// adaptive quadrature; NaN if it cannot reach `Tolerances::quad_rel`
    /// (a density that vanishes inside the stretch so that the integral
    /// diverges or nearly does).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let v = OptimalMechanism::solve(&m, 1.0).unwrap().class(0).virtual_value().clone();
    /// // V = 2z + 1 on [−1, −1/2], 0 on [−1/2, 1/2], 2z − 1 on [1/2, 1].
    /// assert!((v.integral(-0.5) - (-0.25)).abs() < 1e-13);
    /// assert!((v.integral(1.0) - 0.0).abs() < 1e-13);
    /// ```
    pub fn integral(&self, y: f64) -> f64 {
        // Not a fallback: NaN is this query's documented answer when the
        // quadrature cannot reach `quad_rel` (see above); the crate's own
        // callers use `checked_integral` and return the typed error.
        self.checked_integral(y).unwrap_or(f64::NAN)
    }

    /// [`VirtualValue::integral`], with the quadrature's shortfall as a
    /// typed error ([`NumericalError::QuadratureNotConverged`]).
    pub(crate) fn checked_integral(&self, y: f64) -> Result<f64, NumericalError> {
        let d = self.dist.as_ref();
        let (lo, hi) = d.support();
        let y = y.clamp(lo, hi);
        // At `Z_a` itself (the side payments' participation fee asks for
        // it, once per class) the stored integral answers without a
        // quadrature.
        if y < self.za {
            return self.types.integral(d, Side::Lower, lo, y);
        }
        let mut acc = self.int_lower + self.eta * (y.min(self.zb) - self.za);
        if y > self.zb {
            acc += self.types.integral(d, Side::Upper, self.zb, y)?;
        }
        Ok(acc)
    }

    /// `∫_y^{Z_a} L̂(s) ds` for `y` at or below the binding interval's
    /// lower end (clamped to the support), with the quadrature's shortfall
    /// as a typed error: the mirror of
    /// [`VirtualValue::checked_integral_above`] below the interval.
    pub(crate) fn checked_integral_below(&self, y: f64) -> Result<f64, NumericalError> {
        let d = self.dist.as_ref();
        let (lo, hi) = d.support();
        let y = y.clamp(lo, hi);
        if y >= self.za {
            return Ok(0.0);
        }
        self.types.integral(d, Side::Lower, y, self.za)
    }

    /// `∫_{Z_b}^y Ĥ(s) ds` for `y` at or above the binding interval's
    /// upper end (clamped to the support), with the quadrature's shortfall
    /// as a typed error: the part of [`VirtualValue::integral`] above the
    /// binding interval, without the interval's own `η (Z_b − Z_a)`.
    pub(crate) fn checked_integral_above(&self, y: f64) -> Result<f64, NumericalError> {
        let d = self.dist.as_ref();
        let (lo, hi) = d.support();
        let y = y.clamp(lo, hi);
        if y <= self.zb {
            return Ok(0.0);
        }
        self.types.integral(d, Side::Upper, self.zb, y)
    }

    /// The distribution this virtual value belongs to.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::{EndowmentDistribution, Uniform}, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let v = OptimalMechanism::solve(&m, 1.0).unwrap().class(0).virtual_value().clone();
    /// assert_eq!(v.distribution().support(), (-1.0, 1.0));
    /// ```
    pub fn distribution(&self) -> &dyn EndowmentDistribution {
        self.dist.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::Beta;

    /// A warm start next to an end where `F/f` blows up (Beta with b > 2)
    /// once stopped the Newton iteration there; the root must not depend on
    /// the starting point.
    #[test]
    fn lower_inverse_is_independent_of_a_warm_start_at_a_singular_end() {
        let d = Beta::new(
            1.0,
            5.602702128608427,
            -0.04535192698459925,
            0.25409333785310817,
        )
        .unwrap();
        let eta = 1.8388689055690675;
        for guess in [0.2540933378531081, 0.25409333785310817, 0.2, 0.1, -0.04] {
            let z = super::super::ironing::lower_inverse(
                &d,
                1.0,
                lower(&d, 1.0, d.support().1),
                eta,
                guess,
                1e-15,
                RootMethod::Newton,
            )
            .unwrap();
            assert!(
                (lower(&d, 1.0, z) - eta).abs() < 1e-12,
                "guess {guess}: z = {z}"
            );
        }
    }

    /// Example 1 at α = 1: `L(z) = 2z + 1` below `Z_a = −1/2`, `H(z) =
    /// 2z − 1` above `Z_b = 1/2`. Targets beyond the range of `V` are the
    /// support's ends (exact, by monotonicity), targets inside it are the
    /// closed-form inverses, and a root that fails is an error, not an end.
    #[test]
    fn inverse_is_exact_at_the_ends_and_an_error_when_its_root_fails() {
        use crate::distribution::test_support::Instrumented;
        use crate::market::{Market, TraderClass};
        use crate::mechanism::OptimalMechanism;
        // A uniform whose hazard ratios turn to NaN after the solve: a
        // distribution whose functions disagree.
        let d = Arc::new(Instrumented::new(
            crate::distribution::Uniform::new(-1.0, 1.0).unwrap(),
        ));
        let m = Market::new(vec![TraderClass::new(0.5, d.clone(), 4)]).unwrap();
        let mech = OptimalMechanism::solve(&m, 1.0).unwrap();
        let v = mech.class(0).virtual_value();
        assert_eq!(v.inverse(-5.0).unwrap(), -1.0);
        assert_eq!(v.inverse(5.0).unwrap(), 1.0);
        assert!((v.inverse(-0.4).unwrap() - -0.7).abs() < 1e-12);
        assert!((v.inverse(0.4).unwrap() - 0.7).abs() < 1e-12);
        d.break_ratios();
        for target in [-0.4, 0.4] {
            assert!(
                matches!(
                    v.inverse(target),
                    Err(MechanismError::Numerical(NumericalError::Root { .. }))
                ),
                "{target}: {:?}",
                v.inverse(target)
            );
        }
        // Beyond the range the answer needs no root and stays exact.
        assert_eq!(v.inverse(-5.0).unwrap(), -1.0);
    }
}
