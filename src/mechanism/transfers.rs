//! The optimal mechanism as a [`DirectMechanism`]: interim allocations,
//! utility gains (eq. (3)) and interim transfers (eq. (4), Corollary 1.2);
//! and the ex-post allocation (12).

use super::{DirectMechanism, MechanismError, OptimalMechanism, QueryError};
use crate::market::Market;

impl OptimalMechanism {
    /// Validates a query and returns the type, clamped into the support
    /// when it lies outside by no more than rounding (so a grid computed as
    /// `lo + (hi − lo)·k/n` may end a float past `hi`).
    fn check_query(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        if class >= self.classes.len() {
            return Err(QueryError::UnknownClass {
                class,
                n_classes: self.classes.len(),
            }
            .into());
        }
        let (lo, hi) = self.classes[class].vv.dist.support();
        if !z.is_finite() {
            return Err(QueryError::NonFinite {
                what: "type z",
                value: z,
            }
            .into());
        }
        let slack = 64.0 * f64::EPSILON * lo.abs().max(hi.abs()).max(hi - lo);
        if !(z >= lo - slack && z <= hi + slack) {
            return Err(QueryError::TypeOutsideSupport { class, z, lo, hi }.into());
        }
        Ok(z.clamp(lo, hi))
    }

    /// The ex-post allocation (12), `X_i = −V_i(Z_i) + w_i Σ_j V_j(Z_j)`,
    /// for one type per trader. Traders are ordered class by class, as in
    /// [`crate::market::Market::trader_offsets`]. The entries sum to zero.
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] when the number of types differs
    /// from the number of traders or a type lies outside its support.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let x = OptimalMechanism::solve(&m, 0.0)?.allocation(&[0.9, -0.3, 0.0])?;
    /// // First best: everyone ends at the average endowment 0.2.
    /// assert!((x[0] + 0.7).abs() < 1e-12 && (x[1] - 0.5).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allocation(&self, types: &[f64]) -> Result<Vec<f64>, MechanismError> {
        if types.len() as u64 != self.market.n_traders() {
            return Err(QueryError::WrongNumberOfTypes {
                given: types.len(),
                expected: self.market.n_traders(),
            }
            .into());
        }
        let mut v = Vec::with_capacity(types.len());
        for (z, k) in types.iter().zip(self.class_of_traders()) {
            let z = self.check_query(k, *z)?;
            v.push((k, self.classes[k].vv.value(z)));
        }
        let total: f64 = v.iter().map(|(_, x)| x).sum();
        Ok(v.into_iter()
            .map(|(k, vi)| -vi + self.classes[k].weight * total)
            .collect())
    }
}

/// The optimal mechanism's interim rules: the one place they are computed
/// (`docs/design.md`, "One home for the interim rules").
impl DirectMechanism for OptimalMechanism {
    /// The market the mechanism was solved for.
    fn market(&self) -> &Market {
        &self.market
    }

    /// Expected revenue `R` (eq. (5)), summed over all traders.
    fn revenue(&self) -> f64 {
        self.revenue
    }

    /// Expected allocative efficiency `A = −Σ_i E[(Z_i + X_i)²]/(2κ_i)`.
    fn efficiency(&self) -> f64 {
        self.efficiency
    }

    /// The interim allocation `x̄_i(z) = E[X_i | Z_i = z]
    /// = −(1 − w_i) V_i(z) + w_i Σ_{j≠i} E[V_j]`: weakly decreasing, zero on
    /// the binding interval.
    ///
    /// Outside the binding interval it is computed as
    /// `−(1 − w_i) (V_i(z) − η_i)`, the same by the level equation
    /// (`(1 − w_i) η_i = w_i Σ_{j≠i} E[V_j]`, shifts included), so that it
    /// is exactly 0 at the interval's ends and weakly decreasing wherever
    /// `V_i` rises. From the two terms, it is off by the level equation's
    /// residual, which the root tolerance leaves at about `root_rel · |η|`:
    /// for a class whose level is 1.4e4 (a market of supports shifted by
    /// thousands) that was a step up of 1e-9 at `Z_a`, past the check of
    /// Lemma 1 (`ironing_search harsh 3000 461`, market 796).
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for an unknown class or a type
    /// outside the class's support (NaN included).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let mech = OptimalMechanism::solve(&m, 0.0)?;
    /// // First best: x̄(z) = −(1 − 1/N) z.
    /// assert!((mech.interim_allocation(0, 0.5)? + 0.4).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn interim_allocation(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        let z = self.check_query(class, z)?;
        let c = &self.classes[class];
        let w = c.weight;
        let (za, zb) = (c.vv.za, c.vv.zb);
        if z >= za && z <= zb {
            return Ok(0.0);
        }
        Ok(-(1.0 - w) * (c.vv.value(z) - c.vv.eta))
    }

    /// The utility gain of participation of type `z` (eq. (3)):
    /// `G_i(z) = G_i(lo) − (1/κ_i) ∫_lo^z x̄_i(s) ds ≥ 0`, zero on the
    /// binding interval. It is computed from the nearer end of the binding
    /// interval, where it is 0: `(1/κ_i) ∫_z^{Z_a} x̄_i` below it and
    /// `−(1/κ_i) ∫_{Z_b}^z x̄_i` above it.
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for an unknown class or a type
    /// outside the class's support (NaN included).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let mech = OptimalMechanism::solve(&m, 1.0)?;
    /// assert!(mech.utility_gain(0, 0.2)?.abs() < 1e-12);
    /// assert!(mech.utility_gain(0, 0.9)? > 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn utility_gain(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        let z = self.check_query(class, z)?;
        let c = &self.classes[class];
        let (za, zb) = (c.vv.za, c.vv.zb);
        if z >= za && z <= zb {
            return Ok(0.0);
        }
        let w = c.weight;
        let eta = c.vv.eta;
        // The integral of `V` is a quadrature over raw stretches: one short
        // of `quad_rel` is a typed error, not a gain of unknown accuracy.
        // The allocation is `−(1 − w)(V − η)` (see `interim_allocation`),
        // and the gain is integrated from the nearer end of the binding
        // interval, where it is 0. (Integrated from `Z_a` through the
        // interval, the two-term allocation left the gain 7e-12 off the
        // envelope integral far from zero, `ironing_search harsh 3000 171`
        // market 15.)
        if z > zb {
            let int_v =
                c.vv.checked_integral_above(z)
                    .map_err(MechanismError::Numerical)?;
            let int_x = -(1.0 - w) * (int_v - eta * (z - zb));
            return Ok(-int_x / c.kappa);
        }
        // Below it, likewise from `Z_a` down: `x̄ ≥ 0` there, so the gain
        // is non-negative by construction, and just below `Z_a` it is the
        // integral over the short stretch to `Z_a`, not the difference of
        // the lowest gain and the integral from `lo`, which agree only to
        // the quadratures' accuracy of the whole stretch (individual
        // rationality −7.2e-11 at z = 6 010.57, `ironing_search harsh 3000
        // 191` market 1858).
        let int_v =
            c.vv.checked_integral_below(z)
                .map_err(MechanismError::Numerical)?;
        let int_x = -(1.0 - w) * (int_v - eta * (za - z));
        Ok(int_x / c.kappa)
    }

    /// The ends of the class's binding interval and of every pool of its
    /// lower and upper virtual types: `x̄_i` is linear in `V_i`, whose only
    /// corners and jumps besides the density's are there.
    fn allocation_breaks(&self, class: usize) -> Vec<f64> {
        self.classes
            .get(class)
            .map_or_else(Vec::new, |c| c.vv.breaks())
    }

    /// `E[X_i² | Z_i = z] = x̄_i(z)² + w_i² Σ_{j≠i} Var V_j`.
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for an unknown class or a type
    /// outside the class's support (NaN included).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = OptimalMechanism::solve(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?, 0.0)?;
    /// // First best at z = 0: X = (Σ_{j≠i} Z_j)/5, variance 4 · (1/3) / 25.
    /// assert!((m.interim_second_moment(0, 0.0)? - 4.0 / 75.0).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn interim_second_moment(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        let x = self.interim_allocation(class, z)?;
        let c = &self.classes[class];
        Ok(x * x + c.weight * c.weight * c.welfare.others_var)
    }

    /// The deterministic interim transfer of Corollary 1.2 (the right-hand
    /// side of eq. (4)): what a trader of type `z` pays in expectation,
    /// `t̄_i(z) = −E[X_i² | z]/(2κ_i) − z x̄_i(z)/κ_i − G_i(z)`.
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for an unknown class or a type
    /// outside the class's support (NaN included).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let mech = OptimalMechanism::solve(&m, 1.0)?;
    /// // Types that expect to trade zero pay only for the variance they absorb.
    /// assert!(mech.interim_transfer(0, 0.0)? < 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn interim_transfer(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        let z = self.check_query(class, z)?;
        let x = self.interim_allocation(class, z)?;
        let e_x2 = self.interim_second_moment(class, z)?;
        let g = self.utility_gain(class, z)?;
        let kappa = self.classes[class].kappa;
        Ok(-e_x2 / (2.0 * kappa) - z * x / kappa - g)
    }
}
