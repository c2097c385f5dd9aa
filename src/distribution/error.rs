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
    /// The support cannot be computed with in floating point: its ends are
    /// beyond ±1e150 (squares would overflow), or its width is below 1e-150
    /// or below 64 units in the last place of its ends (so types inside it
    /// could not be told apart).
    #[error("the support [lo, hi] = [{lo}, {hi}] cannot be computed with: keep |lo| and |hi| at most 1e150 and the width hi - lo at least 1e-150 and at least 1e-14 times max(|lo|, |hi|) (rescale or re-centre the endowments)")]
    UnrepresentableSupport {
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
    /// A scale parameter is positive but outside the range that can be
    /// computed with (relative to the support).
    #[error("parameter `{name}` is {value}; it must lie between {min} (one billionth of the support's width) and {max}")]
    ScaleOutOfRange {
        /// Name of the parameter.
        name: &'static str,
        /// The value given.
        value: f64,
        /// Smallest value accepted for this support.
        min: f64,
        /// Largest value accepted.
        max: f64,
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
    /// A Beta shape parameter is so large that the distribution cannot be
    /// evaluated accurately.
    #[error("shape parameter `{name}` is {value}; it must be at most {max} (larger shapes concentrate the mass beyond what can be computed accurately)")]
    ShapeTooLarge {
        /// Name of the parameter (`a` or `b`).
        name: &'static str,
        /// The value given.
        value: f64,
        /// The largest value accepted.
        max: f64,
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
    /// The density is zero where it must be positive: inside the support of
    /// a user-defined distribution (checked by `validate`), or on the whole
    /// first or last segment of a tabulated density (whose support would then
    /// end where no trader is). Built-in mixtures and tabulated densities may
    /// vanish on inner stretches: those are gaps, which the mechanism pools.
    #[error("the density vanishes at z = {at} where it must be positive: a user-defined density must be positive inside its support, and a tabulated density may not vanish on its whole first or last segment (narrow the support to where the traders are)")]
    VanishingDensity {
        /// A point where the density is zero.
        at: f64,
    },
    /// A log-density's slope increases at a knot, so the density is not
    /// log-concave.
    #[error("the log-density's slope increases at knot {index} (z = {at}) from {left} to {right}; a log-concave density needs slopes that never increase")]
    NotLogConcave {
        /// Index of the offending interior knot.
        index: usize,
        /// The knot.
        at: f64,
        /// Slope on its left.
        left: f64,
        /// Slope on its right.
        right: f64,
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
    /// A user-supplied density does not integrate to the increments of its
    /// CDF: `∫_lo^hi pdf ≠ cdf(hi) − cdf(lo)` on the interval `[lo, hi]`
    /// (one interval of the scan grid), beyond
    /// [`Tolerances::density_cdf_rel`](crate::numerics::Tolerances::density_cdf_rel).
    #[error("the density integrates to {integral} over [{lo}, {hi}] but the CDF rises by {increment} there (off by {:.3e} of the increment); pdf must be the derivative of cdf, so make the two describe the same distribution (is pdf normalised?)", (.integral - .increment).abs() / .increment.abs())]
    DensityCdfMismatch {
        /// Left end of the interval.
        lo: f64,
        /// Right end of the interval.
        hi: f64,
        /// `∫_lo^hi pdf(z) dz`.
        integral: f64,
        /// `cdf(hi) − cdf(lo)` (computed from `sf` in the upper half).
        increment: f64,
    },
    /// Mixtures nested deeper than the spec allows.
    #[error("mixtures are nested more than {max} deep; flatten the inner mixtures into one list of components")]
    MixtureTooDeep {
        /// The largest depth accepted.
        max: usize,
    },
    /// A mixture was given no components.
    #[error("the mixture has no components; give at least one (weight, distribution) pair")]
    NoComponents,
    /// A mixture weight is zero, negative, NaN or infinite.
    #[error("the weight of component {index} is {value}; mixture weights must be positive finite numbers (drop a component rather than give it weight 0)")]
    InvalidWeight {
        /// Index of the component.
        index: usize,
        /// The weight given.
        value: f64,
    },
    /// The components' supports leave a gap inside their hull. No longer
    /// returned: [`Mixture`](crate::distribution::Mixture) accepts gaps, which
    /// the mechanism pools; the variant stays so that matching code keeps
    /// compiling.
    #[error("the components' supports leave the gap ({gap_lo}, {gap_hi}) uncovered; the supports of a mixture's components must overlap or touch (split the market instead)")]
    DisjointSupports {
        /// Lower end of the gap.
        gap_lo: f64,
        /// Upper end of the gap.
        gap_hi: f64,
    },
    /// A computation on the distribution could not reach the accuracy it
    /// needs (a density too rough for the adaptive quadrature, say).
    #[error("{0}")]
    Numerical(crate::numerics::NumericalError),
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
    if lo >= hi {
        return Err(DistributionError::EmptySupport { lo, hi });
    }
    let width = hi - lo;
    let magnitude = lo.abs().max(hi.abs());
    if magnitude > MAX_MAGNITUDE
        || width.is_nan()
        || width < MIN_WIDTH
        || width < 64.0 * f64::EPSILON * magnitude
    {
        return Err(DistributionError::UnrepresentableSupport { lo, hi });
    }
    Ok((lo, hi))
}

/// Largest magnitude of a support end (squares stay finite).
const MAX_MAGNITUDE: f64 = 1e150;
/// Smallest support width (reciprocals and their squares stay finite).
const MIN_WIDTH: f64 = 1e-150;
