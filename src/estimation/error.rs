//! Errors raised when a distribution is estimated from samples.

use crate::distribution::DistributionError;
use crate::numerics::NumericalError;
use thiserror::Error;

/// Why an estimate could not be made. Each variant says which input is at
/// fault ([`field`](EstimationError::field): `"samples"` or `"support"`)
/// and what to change.
///
/// # Example
/// ```
/// use exchange_design::estimation::{kde, Bandwidth, EstimationError};
/// let err = kde(&[1.0, 2.0], None, Bandwidth::Silverman).unwrap_err();
/// assert!(matches!(err, EstimationError::TooFewSamples { len: 2, .. }));
/// assert_eq!(err.field(), "samples");
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum EstimationError {
    /// Fewer samples than the estimators need.
    #[error("{len} sample(s) given; an estimate needs at least {min}")]
    TooFewSamples {
        /// Number of samples given.
        len: usize,
        /// The minimum, [`MIN_SAMPLES`](super::MIN_SAMPLES).
        min: usize,
    },
    /// A sample is NaN or infinite.
    #[error("sample {index} is {value}; every sample must be a finite number")]
    NonFiniteSample {
        /// Index of the offending sample.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// Every sample has the same value, so there is no spread to estimate.
    #[error("all samples equal {value}; a density needs samples that differ")]
    AllEqual {
        /// The common value.
        value: f64,
    },
    /// The samples' scale is outside what the estimators can square
    /// without overflow or underflow.
    #[error("the samples span {spread:e} with magnitudes up to {magnitude:e}, outside [1e-100, 1e100] where their squares over- or underflow; rescale the samples (and the support) to units near 1")]
    ScaleOutOfRange {
        /// `max − min` of the samples.
        spread: f64,
        /// The largest `|sample|`.
        magnitude: f64,
    },
    /// The samples differ only in their last few digits.
    #[error("the samples span only {spread:e} at magnitude {magnitude:e}: they take a few thousand representable values at most, too few to estimate a density; record them relative to an offset (e.g. subtract the median before rounding)")]
    SpreadAtResolution {
        /// `max − min` of the samples.
        spread: f64,
        /// The largest `|sample|`.
        magnitude: f64,
    },
    /// A sample lies outside the given support.
    #[error("sample {index} is {value}, outside the support [{lo}, {hi}]; widen the support or drop the sample")]
    OutsideSupport {
        /// Index of the offending sample.
        index: usize,
        /// Its value.
        value: f64,
        /// Lower end of the support.
        lo: f64,
        /// Upper end of the support.
        hi: f64,
    },
    /// A sample lies on an end of the support where the fitted family's
    /// log-density is infinite (the Beta likelihood at `lo` or `hi`).
    #[error("sample {index} is {value}, on an end of the support [{lo}, {hi}]; a Beta fit needs samples strictly inside (widen the support slightly)")]
    SampleOnBoundary {
        /// Index of the offending sample.
        index: usize,
        /// Its value.
        value: f64,
        /// Lower end of the support.
        lo: f64,
        /// Upper end of the support.
        hi: f64,
    },
    /// The support is invalid.
    #[error("support: {0}")]
    InvalidSupport(DistributionError),
    /// The method needs a support and none was given.
    #[error("method `{method}` needs a support [lo, hi]; give one")]
    SupportRequired {
        /// The method.
        method: &'static str,
    },
    /// The samples have no maximum likelihood estimate in the family.
    #[error("method `{method}`: {reason}")]
    NoEstimate {
        /// The method.
        method: &'static str,
        /// Why, and what to do instead.
        reason: &'static str,
    },
    /// The iteration stopped before its optimality certificate held: a
    /// failure of the optimiser, not a property of the data.
    #[error("method `{method}` stopped after {iterations} iterations without reaching its optimality certificate (criterion {residual:e}); this is an optimiser failure, please report the samples, and use another method meanwhile")]
    NotConverged {
        /// The method.
        method: &'static str,
        /// Iterations run.
        iterations: usize,
        /// The criterion's value when it stopped.
        residual: f64,
    },
    /// A numerical computation of the fit fell short (a quadrature of the
    /// family's moments that could not reach the accuracy the fit's
    /// certificate needs).
    #[error("method `{method}`: {source}; use another method meanwhile")]
    Numerical {
        /// The method.
        method: &'static str,
        /// What fell short.
        source: NumericalError,
    },
    /// The estimated density could not be built as a distribution.
    #[error("the estimate is not a valid distribution: {0}")]
    Distribution(DistributionError),
}

impl EstimationError {
    /// The input at fault: `"support"` for a bad or missing support,
    /// `"samples"` otherwise.
    ///
    /// # Example
    /// ```
    /// use exchange_design::estimation::{fit_beta, EstimationError};
    /// let err = fit_beta(&[0.5; 20], (1.0, 0.0)).unwrap_err();
    /// assert_eq!(err.field(), "support");
    /// ```
    pub fn field(&self) -> &'static str {
        match self {
            EstimationError::InvalidSupport(_) | EstimationError::SupportRequired { .. } => {
                "support"
            }
            _ => "samples",
        }
    }
}
