//! Errors of the mechanism layer.

use super::{SolveStatus, SolverVariant};
use crate::market::MarketError;
use crate::numerics::{InvalidTolerance, NumericalError, RootError};
use thiserror::Error;

/// Why an optimal mechanism could not be computed, or why a query on one
/// was rejected.
///
/// # Example
/// ```
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::{MechanismError, OptimalMechanism};
/// let m = Market::symmetric(2, 1.0, Uniform::new(0.0, 1.0)?)?;
/// let err = OptimalMechanism::solve(&m, 1.5).unwrap_err();
/// assert!(matches!(err, MechanismError::InvalidAlpha { .. }));
/// assert!(err.to_string().contains("[0, 1]"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum MechanismError {
    /// The weight on revenue is outside `[0, 1]` or not a number.
    #[error("alpha = {alpha}; the weight on revenue must be a number in [0, 1]")]
    InvalidAlpha {
        /// The value given.
        alpha: f64,
    },
    /// The weight of an unconstrained solve
    /// ([`OptimalMechanism::solve_unconstrained`](super::OptimalMechanism::solve_unconstrained))
    /// is outside `[0, 1]` or not a number.
    #[error("beta = {beta}; the weight of an unconstrained solve must be a number in [0, 1]")]
    InvalidBeta {
        /// The value given.
        beta: f64,
    },
    /// A tolerance of the solver configuration cannot be met or means
    /// nothing (checked when a solve starts).
    #[error("solver configuration: {0}")]
    InvalidTolerance(#[from] InvalidTolerance),
    /// The market itself is invalid.
    #[error(transparent)]
    Market(#[from] MarketError),
    /// A scalar root needed by the solver could not be found, or a computed
    /// quantity is not finite (the market is numerically out of reach, for
    /// example risk capacities spanning hundreds of orders of magnitude).
    #[error("{0}; if the market's kappa and endowments are far from 1, rescale them closer to 1")]
    Numerical(#[from] NumericalError),
    /// The iteration stopped before meeting its tolerance.
    #[error("the {variant:?} solver did not converge: {status}")]
    NotConverged {
        /// The variant that was run.
        variant: SolverVariant,
        /// Where it stopped.
        status: SolveStatus,
    },
    /// The budget binds but no weight breaks even to within tolerance: the
    /// revenue jumps across zero as the weight changes (numerically), which
    /// happens when a density is vanishingly small near an end of its support.
    #[error("the budget binds but no weight breaks even: at beta = {beta} the revenue is {revenue}; a density that is nearly zero near an end of its support makes revenue jump, so trim that support")]
    BudgetNotBalanced {
        /// The weight where the search ended.
        beta: f64,
        /// The revenue there.
        revenue: f64,
    },
    /// The requested solver variant does not apply to this market.
    #[error("the {variant:?} solver does not apply: {reason}")]
    VariantNotApplicable {
        /// The variant requested.
        variant: SolverVariant,
        /// Why not.
        reason: NotApplicable,
    },
    /// A class's virtual types are not monotone and could not be ironed
    /// (no built-in distribution does this; a user type whose CDF, density
    /// and moments disagree can).
    #[error(
        "class {class}: {source}; check that the distribution's cdf, pdf and partial_moment agree"
    )]
    Ironing {
        /// The class (in market order).
        class: usize,
        /// Where the ironing failed.
        source: IroningError,
    },
    /// A query referred to something that does not exist or was malformed.
    #[error(transparent)]
    InvalidQuery(#[from] QueryError),
}

/// Why a [`SolverVariant`] the configuration asked for does not apply to a
/// market (in [`MechanismError::VariantNotApplicable`]); the default,
/// [`SolverVariant::Aggregate`], applies to every market.
///
/// # Example
/// ```
/// use exchange_design::distribution::Triangular;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::{MechanismError, NotApplicable, OptimalMechanism, SolverConfig, SolverVariant};
/// let m = Market::symmetric(3, 0.5, Triangular::new(-1.0, 0.0, 1.0)?)?;
/// let config = SolverConfig::default().with_variant(SolverVariant::UniformLinear);
/// let err = OptimalMechanism::builder(&m, 0.5).config(config).solve().unwrap_err();
/// assert!(matches!(
///     err,
///     MechanismError::VariantNotApplicable { reason: NotApplicable::NotUniform { class: 0 }, .. }
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum NotApplicable {
    /// The dense variants store an `N × N` matrix and stop at `max` traders.
    #[error("{n_traders} traders; the dense variants store an N×N matrix and stop at {max}")]
    TooManyTraders {
        /// Traders in the market.
        n_traders: u64,
        /// The most the dense variants take.
        max: u64,
    },
    /// The Jacobian of a Newton step, or the linear system of the
    /// uniform closed form, is singular.
    #[error("the {what} is singular")]
    Singular {
        /// `"Jacobian"` or `"linear system"`.
        what: &'static str,
    },
    /// `UniformLinear` needs every class uniformly distributed.
    #[error("class {class} is not uniformly distributed")]
    NotUniform {
        /// The first class that is not.
        class: usize,
    },
    /// The linear solve left a residual above `1e-10` of the right-hand side.
    #[error("the linear solve is inaccurate (residual {residual:e})")]
    InaccurateSolve {
        /// The largest residual of the solved system.
        residual: f64,
    },
    /// A binding interval reaches an end of its class's support, where the
    /// uniform system is no longer linear.
    #[error("the binding interval of class {class} reaches an end of its support (eta = {eta}), where the system is no longer linear")]
    BindingAtSupportEnd {
        /// The class.
        class: usize,
        /// Its level `η`.
        eta: f64,
    },
}

/// Which of a class's two virtual types: the paper's lower type
/// `L = z + β F/f` or upper type `H = z − β (1 − F)/f`.
///
/// # Example
/// ```
/// use exchange_design::mechanism::VirtualTypeSide;
/// assert_eq!(VirtualTypeSide::Lower.to_string(), "lower virtual type L");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VirtualTypeSide {
    /// `L = z + β F/f`.
    Lower,
    /// `H = z − β (1 − F)/f`.
    Upper,
}

impl std::fmt::Display for VirtualTypeSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VirtualTypeSide::Lower => "lower virtual type L",
            VirtualTypeSide::Upper => "upper virtual type H",
        })
    }
}

/// Where ironing a class's virtual type failed (in
/// [`MechanismError::Ironing`]): the distribution's functions returned
/// something that is not a number where the ironing needed them, or the end
/// of a pooled interval could not be found (a user type whose functions
/// disagree with each other).
///
/// # Example
/// ```
/// use exchange_design::mechanism::{IroningError, VirtualTypeSide};
/// let e = IroningError::NonFinite { side: VirtualTypeSide::Upper, z: 0.25 };
/// assert!(e.to_string().contains("not a finite number at z = 0.25"));
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum IroningError {
    /// The distribution's CDF or partial moment is not finite at `z`.
    #[error("ironing the {side} failed: the distribution's CDF or partial moment is not a finite number at z = {z}")]
    NonFinite {
        /// The virtual type being ironed.
        side: VirtualTypeSide,
        /// Where.
        z: f64,
    },
    /// The end of a pooled interval could not be found.
    #[error("ironing the {side} failed: {source}")]
    PoolEnd {
        /// The virtual type being ironed.
        side: VirtualTypeSide,
        /// The root finder's diagnosis.
        source: RootError,
    },
}

/// What is wrong with a query on a solved mechanism (a class index, a type,
/// a price, a profile of types).
///
/// # Example
/// ```
/// # use exchange_design::prelude::*;
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::{MechanismError, OptimalMechanism, QueryError};
/// let m = OptimalMechanism::solve(&Market::symmetric(2, 1.0, Uniform::new(0.0, 1.0)?)?, 0.5)?;
/// let err = m.interim_allocation(3, 0.5).unwrap_err();
/// assert!(matches!(
///     err,
///     MechanismError::InvalidQuery(QueryError::UnknownClass { class: 3, n_classes: 1 })
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum QueryError {
    /// A class index out of range.
    #[error("class {class} does not exist; the market has {n_classes} classes")]
    UnknownClass {
        /// The index given.
        class: usize,
        /// The number of classes.
        n_classes: usize,
    },
    /// A profile with the wrong number of types.
    #[error("{given} types given for {expected} traders; give one type per trader")]
    WrongNumberOfTypes {
        /// Types given.
        given: usize,
        /// Traders in the market.
        expected: u64,
    },
    /// A type or price that is NaN or infinite.
    #[error("{what} = {value} is not a finite number")]
    NonFinite {
        /// Which input (`"type z"`, `"price p"`).
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// A type outside its class's support (by more than rounding).
    #[error("type z = {z} of class {class} is outside its support [{lo}, {hi}]; give a type in the support")]
    TypeOutsideSupport {
        /// The class.
        class: usize,
        /// The type given.
        z: f64,
        /// The support's lower end.
        lo: f64,
        /// The support's upper end.
        hi: f64,
    },
}
