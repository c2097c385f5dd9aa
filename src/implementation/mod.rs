//! Indirect implementation of the optimal mechanism (the paper's Theorem 2):
//! a double auction in demand schedules with trader-specific side payments.
//!
//! * [`SidePayments`] (`side_payment.rs`): the side-payment rules `S_i(p, q)` (quadratic term
//!   `c_i`, the function `T_i`, the participation fee `τ_i`) built from a
//!   solved [`OptimalMechanism`](crate::mechanism::OptimalMechanism), and the
//!   equilibrium demand schedules `q_i(p) = −V_i(Z_i) − w_i p`.
//! * [`DoubleAuction`] (`auction.rs`): the double auction itself: demand schedules, the clearing
//!   price `Σ q_i(p) = 0` (no trade when it does not exist or is not unique)
//!   and settlement (quantities, payments `p q_i + S_i(p, q_i)`, utilities).
//! * [`Simulation`] (`simulation.rs`): a seeded Monte Carlo simulator of the auction under the
//!   equilibrium schedules.
//!
//! # Example
//! ```
//! use exchange_design::distribution::Uniform;
//! use exchange_design::implementation::{DoubleAuction, SidePayments};
//! use exchange_design::market::Market;
//! use exchange_design::mechanism::OptimalMechanism;
//! let market = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
//! let mech = OptimalMechanism::solve(&market, 1.0)?;
//! let rules = SidePayments::new(&mech)?;
//! let types = [0.9, -0.8, 0.1];
//! let outcome = DoubleAuction::new(&rules).run_equilibrium(&types)?;
//! // The auction reproduces the direct mechanism's allocation (12).
//! let x = mech.allocation(&types)?;
//! for (q, x) in outcome.quantities().iter().zip(&x) {
//!     assert!((q - x).abs() < 1e-12);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod auction;
mod schedule;
mod side_payment;
mod simulation;

pub use self::auction::{clear, AuctionOutcome, Clearing, ClearingConfig, DoubleAuction};
pub use self::schedule::{DemandSchedule, LinearSchedule, MonotoneSchedule};
pub use self::side_payment::{ClassSidePayment, SidePayments};
pub use self::simulation::{Estimate, Simulation, SimulationConfig, SimulationReport};

use crate::mechanism::MechanismError;
use crate::numerics::{InvalidParameter, NumericalError};
use thiserror::Error;

/// Why a side-payment rule, an auction or a simulation could not be built
/// or run.
///
/// # Example
/// ```
/// use exchange_design::distribution::Uniform;
/// use exchange_design::implementation::{ImplementationError, SidePayments};
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::OptimalMechanism;
/// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.5)?)?;
/// let err = rules.side_payment(7, 0.0, 0.0).unwrap_err();
/// assert!(matches!(err, ImplementationError::InvalidClass { class: 7, .. }));
/// assert!(err.to_string().contains("1 class"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ImplementationError {
    /// A class index is out of range.
    #[error("class {class} does not exist; the market has {n_classes} class(es), indexed from 0")]
    InvalidClass {
        /// The index given.
        class: usize,
        /// Number of classes in the market.
        n_classes: usize,
    },
    /// The number of types (or schedules) does not match the number of traders.
    #[error("{given} {what} given for {expected} traders; give exactly one per trader, ordered class by class")]
    WrongLength {
        /// What was counted ("types", "schedules").
        what: &'static str,
        /// How many were given.
        given: usize,
        /// How many traders the market has.
        expected: u64,
    },
    /// An input number (type, price, quantity, parameter) is NaN or infinite.
    #[error("{what} = {value} is not a finite number")]
    NonFiniteInput {
        /// Which input.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// A demand schedule with a negative slope, which would make demand
    /// increase with the price.
    #[error("invalid demand schedule: slope = {slope} is negative; demand must not increase with the price, so give a slope ≥ 0")]
    NegativeSlope {
        /// The slope given.
        slope: f64,
    },
    /// A configuration value is out of range: which one, its value and what
    /// is allowed.
    #[error("invalid configuration: {0}")]
    InvalidConfig(InvalidParameter),
    /// A scalar root could not be found, or a computed quantity is not
    /// finite.
    #[error(
        "{0}; check that the schedules return finite quantities and rescale the market closer to 1"
    )]
    Numerical(#[from] NumericalError),
    /// A query on the underlying mechanism failed.
    #[error(transparent)]
    Mechanism(#[from] MechanismError),
}

/// Rejects NaN and infinities in user input.
pub(crate) fn finite_input(what: &'static str, value: f64) -> Result<f64, ImplementationError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ImplementationError::NonFiniteInput { what, value })
    }
}
