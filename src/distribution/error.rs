//! Errors raised when a distribution is built or validated.

use thiserror::Error;

/// Why a distribution could not be built, or why a user-supplied one was
/// rejected. Each variant names the offending parameter and what to change.
///
/// # Example
/// ```
/// use exchange_design::distribution::{DistributionError, Uniform};
/// let err = Uniform::new(1.0, -1.0).unwrap_err();
/// assert!(matches!(err, DistributionError::EmptySupport { .. }));
/// assert!(err.to_string().contains("lo"));
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum DistributionError {
    /// A parameter is NaN or infinite.
    #[error("parameter `{name}` is {value}; it must be a finite number")]
    NonFiniteParameter {
        /// Name of the parameter.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// The support `[lo, hi]` is empty or a single point.
    #[error("the support [lo, hi] = [{lo}, {hi}] is empty; lo must be strictly less than hi")]
    EmptySupport {
        /// Lower end given.
        lo: f64,
        /// Upper end given.
        hi: f64,
    },
    /// A scale parameter (such as `sigma`) is not strictly positive.
    #[error("parameter `{name}` is {value}; it must be strictly positive")]
    NonPositiveScale {
        /// Name of the parameter.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// A Beta shape parameter is below 1 (the density would be unbounded at an end).
    #[error(
        "shape parameter `{name}` is {value}; it must be at least 1 so the density stays bounded"
    )]
    ShapeBelowOne {
        /// Name of the parameter (`a` or `b`).
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// The mode of a triangular distribution lies outside `[lo, hi]`.
    #[error("mode {mode} lies outside the support [{lo}, {hi}]; choose lo ≤ mode ≤ hi")]
    ModeOutsideSupport {
        /// Mode given.
        mode: f64,
        /// Lower end of the support.
        lo: f64,
        /// Upper end of the support.
        hi: f64,
    },
    /// A tabulated grid has fewer than two points.
    #[error("the grid has {len} point(s); a tabulated density needs at least 2")]
    GridTooShort {
        /// Number of points given.
        len: usize,
    },
    /// Grid and density tables have different lengths.
    #[error("the grid has {grid} points but the density table has {density}; give one density value per grid point")]
    LengthMismatch {
        /// Length of the grid.
        grid: usize,
        /// Length of the density table.
        density: usize,
    },
    /// Grid points are not strictly increasing.
    #[error("grid point {index} ({value}) is not greater than the one before it; the grid must be strictly increasing")]
    GridNotIncreasing {
        /// Index of the offending point.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// A tabulated density value is negative.
    #[error("density value {index} is {value}; densities must be non-negative")]
    NegativeDensity {
        /// Index of the offending value.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// The density integrates to zero (or to something not finite) and cannot be normalised.
    #[error("the density integrates to {total}; it must have a positive, finite total mass")]
    NotNormalisable {
        /// The total mass found.
        total: f64,
    },
    /// The density is zero somewhere strictly inside the support. The model
    /// needs f > 0 on the open support (a zero only at an end is allowed).
    #[error("the density vanishes at z = {at}, inside the support; the density must be positive between the support's ends (split the market or narrow the support)")]
    VanishingDensity {
        /// A point where the density is zero.
        at: f64,
    },
    /// The distribution puts (numerically) no mass on its support, for
    /// example a normal truncated 40 standard deviations away from its mean.
    #[error("the distribution has no representable mass on [{lo}, {hi}]; move the support towards the mean or widen it")]
    NoMassInSupport {
        /// Lower end of the support.
        lo: f64,
        /// Upper end of the support.
        hi: f64,
    },
    /// A user-supplied distribution returned an invalid value.
    #[error("{function}({at}) returned {value}; {expected}")]
    InvalidValue {
        /// The method that misbehaved (`cdf`, `pdf`, `support`, …).
        function: &'static str,
        /// Where it was evaluated.
        at: f64,
        /// What it returned.
        value: f64,
        /// What was expected.
        expected: &'static str,
    },
}

/// Returns an error unless `value` is finite.
pub(crate) fn finite(name: &'static str, value: f64) -> Result<f64, DistributionError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(DistributionError::NonFiniteParameter { name, value })
    }
}

/// Checks that `lo` and `hi` are finite and `lo < hi`.
pub(crate) fn support(lo: f64, hi: f64) -> Result<(f64, f64), DistributionError> {
    finite("lo", lo)?;
    finite("hi", hi)?;
    if lo < hi {
        Ok((lo, hi))
    } else {
        Err(DistributionError::EmptySupport { lo, hi })
    }
}
