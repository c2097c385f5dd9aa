//! Benchmarks the optimal mechanism is compared with (the paper's Section 6,
//! Example 1 and its figures): the double auction without side payments,
//! with and without maximal participation fees, and the efficiency–revenue
//! frontier traced by the α-optimal mechanisms.
//!
//! * [`PlainDoubleAuction`]: the linear Bayes–Nash (in fact ex-post) equilibrium
//!   in demand schedules for heterogeneous risk capacities, and
//!   [`PlainDoubleAuctionWithFees`], the same auction with the largest
//!   participation fee every type accepts.
//! * [`Frontier`]: the (efficiency, revenue) points of the α-optimal
//!   mechanisms, refined adaptively, with the reference points; and
//!   [`frontier_at_efficiency`], the frontier mechanism of a given efficiency.

mod double_auction;
mod frontier;

pub use self::double_auction::{AuctionClass, PlainDoubleAuction, PlainDoubleAuctionWithFees};
#[allow(deprecated)]
pub use self::frontier::FrontierOptions;
pub use self::frontier::{
    frontier_at_efficiency, Frontier, FrontierConfig, FrontierPoint, FrontierWork, ReferencePoint,
};

use crate::mechanism::MechanismError;
use crate::numerics::{InvalidParameter, NumericalError};
use thiserror::Error;

/// Why a benchmark could not be computed.
///
/// # Example
/// ```
/// use exchange_design::benchmarks::{BenchmarkError, PlainDoubleAuction};
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// let m = Market::symmetric(2, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let err = PlainDoubleAuction::new(&m).unwrap_err();
/// assert_eq!(err, BenchmarkError::NoLinearEquilibrium { n_traders: 2 });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum BenchmarkError {
    /// With two traders the double auction has no linear equilibrium (each
    /// trader's price impact would be infinite).
    #[error("the double auction has no linear equilibrium with {n_traders} traders; it needs at least 3")]
    NoLinearEquilibrium {
        /// Number of traders in the market.
        n_traders: u64,
    },
    /// A scalar root (equilibrium slopes, frontier weight) was not found,
    /// or a computed quantity is not finite.
    #[error("{0}; if the market's kappa and endowments are far from 1, rescale them closer to 1")]
    Numerical(#[from] NumericalError),
    /// Solving an optimal mechanism failed.
    #[error(transparent)]
    Mechanism(#[from] MechanismError),
    /// The requested efficiency is not attained by any frontier mechanism.
    #[error("efficiency {target} is outside the frontier's range [{min}, {max}]; choose a target between the revenue-maximal and the most efficient budget-balanced mechanism")]
    EfficiencyOutOfRange {
        /// The requested efficiency.
        target: f64,
        /// Efficiency of the revenue-maximal mechanism (α = 1).
        min: f64,
        /// Efficiency of the α = 0 mechanism.
        max: f64,
    },
    /// An option out of range (for example a frontier grid with fewer than
    /// two points): which one, its value and what is allowed.
    #[error("invalid option: {0}")]
    InvalidOption(InvalidParameter),
    /// A frontier's `max_points` below its `initial_points`.
    #[error("invalid option: max_points = {max_points} is below initial_points = {initial_points}; raise it")]
    MaxPointsBelowInitial {
        /// `max_points` given.
        max_points: usize,
        /// `initial_points` given.
        initial_points: usize,
    },
    /// A fee vector with a different number of entries from the classes.
    #[error("invalid option: {given} fees given for {expected} classes; give one fee per class")]
    FeeCount {
        /// Fees given.
        given: usize,
        /// Classes of the market.
        expected: usize,
    },
    /// A fee that is NaN or infinite.
    #[error("invalid option: the fee of class {class} is {fee}; give a finite number")]
    NonFiniteFee {
        /// Index of the class.
        class: usize,
        /// The fee given.
        fee: f64,
    },
}
