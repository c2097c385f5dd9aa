//! The first best allocation (Lemma 2) and Proposition 1.

use super::{DirectMechanism, MechanismError, OptimalMechanism, SolverConfig};
use crate::market::Market;

/// The ex-post efficient allocation `X_i = −Z_i + w_i Σ_j Z_j` (Lemma 2),
/// with the largest participation fees that keep every type willing to take
/// part. It is the optimal mechanism at weight 0 without the budget
/// constraint; by Proposition 1 it balances the budget exactly when the
/// vector of mean endowments is proportional to the vector of risk
/// capacities.
///
/// # Example
/// ```
/// # use exchange_design::prelude::*;
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::FirstBest;
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let fb = FirstBest::new(&m)?;
/// assert!(fb.budget_balanced() && fb.revenue().abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct FirstBest {
    mechanism: OptimalMechanism,
    zero: f64,
}

impl FirstBest {
    /// Computes the first best of `market`.
    ///
    /// # Errors
    /// Only numerical failures of the underlying integrals.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::FirstBest};
    /// let fb = FirstBest::new(&Market::symmetric(3, 1.0, Uniform::new(0.0, 1.0)?)?)?;
    /// assert!(fb.efficiency() < 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(market: &Market) -> Result<Self, MechanismError> {
        let mechanism =
            OptimalMechanism::solve_unconstrained(market, 0.0, &SolverConfig::default())?;
        let zero = super::budget::revenue_zero(market, &SolverConfig::default().tolerances);
        Ok(Self { mechanism, zero })
    }

    /// Whether the first best balances the budget (revenue ≥ 0 up to rounding).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::FirstBest};
    /// assert!(FirstBest::new(&Market::symmetric(3, 1.0, Uniform::new(0.0, 1.0)?)?)?.budget_balanced());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn budget_balanced(&self) -> bool {
        self.revenue() >= -self.zero
    }

    /// The first-best allocation for one type per trader (class by class).
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for a wrong number of types or a
    /// non-finite type.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::FirstBest};
    /// let fb = FirstBest::new(&Market::symmetric(2, 1.0, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert_eq!(fb.allocation(&[0.5, -0.5])?, vec![-0.5, 0.5]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allocation(&self, types: &[f64]) -> Result<Vec<f64>, MechanismError> {
        self.mechanism.allocation(types)
    }

    /// The first best as a mechanism (β = 0): interim allocations, transfers
    /// and utility gains with the maximal fees.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::FirstBest};
    /// let fb = FirstBest::new(&Market::symmetric(3, 1.0, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!(fb.mechanism().utility_gain(0, 0.0)?.abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mechanism(&self) -> &OptimalMechanism {
        &self.mechanism
    }
}

/// The first best's interim rules are those of the optimal mechanism at
/// `α = 0` ([`FirstBest::mechanism`]).
impl DirectMechanism for FirstBest {
    fn market(&self) -> &Market {
        self.mechanism.market()
    }

    /// Expected efficiency `A` of the first best (the largest possible).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::{FirstBest, OptimalMechanism}};
    /// let m = Market::symmetric(4, 1.0, Uniform::new(-1.0, 1.0)?)?;
    /// let fb = FirstBest::new(&m)?;
    /// assert!(fb.efficiency() >= OptimalMechanism::solve(&m, 0.5)?.efficiency());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn efficiency(&self) -> f64 {
        self.mechanism.efficiency()
    }

    /// Expected revenue with the maximal IR-compatible participation fees
    /// (negative when the first best needs a subsidy).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{distribution::Uniform, market::{Market, TraderClass}, mechanism::FirstBest};
    /// let m = Market::new(vec![
    ///     TraderClass::new(1.0, Uniform::new(-1.0, 1.0)?, 1),
    ///     TraderClass::new(1.0, Uniform::new(0.0, 2.0)?, 1),
    /// ])?;
    /// assert!(FirstBest::new(&m)?.revenue() < 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn revenue(&self) -> f64 {
        self.mechanism.revenue()
    }

    fn interim_allocation(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        self.mechanism.interim_allocation(class, z)
    }

    fn interim_second_moment(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        self.mechanism.interim_second_moment(class, z)
    }

    fn interim_transfer(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        self.mechanism.interim_transfer(class, z)
    }

    fn utility_gain(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        self.mechanism.utility_gain(class, z)
    }
}

/// Proposition 1's condition: whether the vector of mean endowments is
/// proportional to the vector of risk capacities (`E[Z_i]/κ_i` equal for all
/// traders, up to the relative tolerance `rel`).
///
/// # Example
/// ```
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::{Market, TraderClass};
/// use exchange_design::mechanism::means_proportional_to_kappa;
/// let m = Market::new(vec![
///     TraderClass::new(1.0, Uniform::new(0.0, 2.0)?, 1),   // mean 1, κ 1
///     TraderClass::new(2.0, Uniform::new(1.0, 3.0)?, 1),   // mean 2, κ 2
/// ])?;
/// assert!(means_proportional_to_kappa(&m, 1e-12));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn means_proportional_to_kappa(market: &Market, rel: f64) -> bool {
    let ratios: Vec<(f64, f64)> = market
        .classes()
        .iter()
        .map(|c| {
            let (lo, hi) = c.distribution().support();
            (c.distribution().mean() / c.kappa(), (hi - lo) / c.kappa())
        })
        .collect();
    let (r0, s0) = ratios[0];
    ratios
        .iter()
        .all(|&(r, s)| (r - r0).abs() <= rel * s.max(s0))
}
