//! Why an assessment, a set of robust fees or a bootstrap could not be
//! computed.

use crate::distribution::DistributionError;
use crate::estimation::EstimationError;
use crate::implementation::ImplementationError;
use crate::mechanism::MechanismError;
use crate::numerics::{InvalidParameter, NumericalError};
use thiserror::Error;

/// Why a deployment computation failed.
///
/// # Example
/// ```
/// use exchange_design::deployment::{DeploymentError, Design};
/// use exchange_design::distribution::{EndowmentDistribution, Uniform};
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::OptimalMechanism;
/// use std::sync::Arc;
/// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let design = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
/// // A truth that puts mass above the design's support is refused, not clamped.
/// let g: Arc<dyn EndowmentDistribution> = Arc::new(Uniform::new(-0.8, 1.2)?);
/// let err = design.assess(&[g]).unwrap_err();
/// assert!(matches!(err, DeploymentError::OutsideDesignSupport { class: 0, .. }));
/// assert!(err.to_string().contains("0.1"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum DeploymentError {
    /// The true market has a different number of classes from the design.
    #[error("the true market has {given} class(es) but the design has {expected}; give one true distribution per designed class, in the same order")]
    ClassCount {
        /// Classes of the design.
        expected: usize,
        /// Classes given.
        given: usize,
    },
    /// A true distribution puts types outside the support the design was
    /// built for, where the designed side payments give those types no
    /// best response (their payoff is linear in the quantity).
    #[error("class {class}: the true distribution puts probability {mass_outside:.6} outside the design's support [{design_lo}, {design_hi}] (its support is [{truth_lo}, {truth_hi}]); the designed auction has no best response for such types: design for a support that contains the truth's")]
    OutsideDesignSupport {
        /// Index of the class.
        class: usize,
        /// `G_i(Z < lo) + G_i(Z > hi)` with `[lo, hi]` the design's support.
        mass_outside: f64,
        /// The design's support.
        design_lo: f64,
        /// The design's support.
        design_hi: f64,
        /// The truth's support.
        truth_lo: f64,
        /// The truth's support.
        truth_hi: f64,
    },
    /// A true distribution failed validation.
    #[error("class {class}: the true distribution is invalid: {source}")]
    InvalidTruth {
        /// Index of the class.
        class: usize,
        /// What is wrong with it.
        source: DistributionError,
    },
    /// A configuration value is out of range: which one, its value and
    /// what is allowed.
    #[error("invalid configuration: {0}")]
    InvalidConfig(InvalidParameter),
    /// A fee vector with a different number of entries from the classes.
    #[error("invalid fees: {given} fee(s) given for {expected} class(es); give one per class")]
    FeeCount {
        /// Fees given.
        given: usize,
        /// Classes of the design.
        expected: usize,
    },
    /// A fee that is NaN or infinite.
    #[error("invalid fees: the fee of class {class} is {fee}; give a finite number")]
    NonFiniteFee {
        /// Index of the class.
        class: usize,
        /// The fee given.
        fee: f64,
    },
    /// A type where a gain was asked for outside the design's support (such
    /// a type has no best response), or not a number.
    #[error("type z = {z} is outside the design's support [{lo}, {hi}]; give a type in it")]
    TypeOutsideSupport {
        /// The type given.
        z: f64,
        /// The design's support.
        lo: f64,
        /// The design's support.
        hi: f64,
    },
    /// A computed quantity is not finite.
    #[error("the computed {what} is not finite; rescale the market closer to 1")]
    NonFinite {
        /// Which quantity.
        what: &'static str,
    },
    /// A quadrature of the assessment (a moment of the designed virtual
    /// value under the truth, or its integral between two types) could not
    /// reach the accuracy the reported numbers promise.
    #[error("class {class}: {source}")]
    Quadrature {
        /// Index of the class.
        class: usize,
        /// What fell short, and by how much.
        source: NumericalError,
    },
    /// Estimating a class's distribution from its samples failed.
    #[error("class {class}: {source}")]
    Estimation {
        /// Index of the class.
        class: usize,
        /// The estimator's diagnosis.
        source: EstimationError,
    },
    /// Solving the mechanism failed.
    #[error(transparent)]
    Mechanism(#[from] MechanismError),
    /// Building the side payments failed.
    #[error(transparent)]
    Implementation(#[from] ImplementationError),
    /// The market could not be built.
    #[error(transparent)]
    Market(#[from] crate::market::MarketError),
}
