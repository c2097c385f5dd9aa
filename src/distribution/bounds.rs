//! Bounds on a density and its slope over an interval: the structural
//! information that lets the ironing certify, cell by cell, that a virtual
//! type cannot decrease there (see `mechanism::ironing`).

/// Bounds on the density `f` and its derivative `f'` over an interval
/// `[a, b]`: `min ≤ f(z) ≤ max` and `slope_min ≤ f'(z) ≤ slope_max` for every
/// `z` in `[a, b]` at which they are defined.
///
/// Returned by [`EndowmentDistribution::density_bounds`]. The bounds must be
/// *valid* (never tighter than the truth); they need not be sharp, but the
/// looser they are, the finer the ironing has to cut the support before it
/// can certify a piece.
///
/// [`EndowmentDistribution::density_bounds`]: crate::distribution::EndowmentDistribution::density_bounds
///
/// # Example
/// ```
/// use exchange_design::distribution::{DensityBounds, EndowmentDistribution, TruncatedNormal};
/// let d = TruncatedNormal::new(0.0, 1.0, -2.0, 2.0)?;
/// let b: DensityBounds = d.density_bounds(-1.0, 0.5).unwrap();
/// // The density peaks at the mean, which lies inside [−1, 0.5].
/// assert!((b.max - d.pdf(0.0)).abs() < 1e-15);
/// assert!((b.min - d.pdf(-1.0)).abs() < 1e-15);
/// // Its slope is largest one standard deviation below the mean.
/// assert!((b.slope_max - d.pdf_derivative(-1.0)).abs() < 1e-15);
/// # Ok::<(), exchange_design::distribution::DistributionError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct DensityBounds {
    /// A lower bound of `f` on the interval (non-negative).
    pub min: f64,
    /// An upper bound of `f` on the interval (may be `+∞`).
    pub max: f64,
    /// A lower bound of `f'` on the interval (may be `−∞`).
    pub slope_min: f64,
    /// An upper bound of `f'` on the interval (may be `+∞`).
    pub slope_max: f64,
}

impl DensityBounds {
    /// Bounds from their four values.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::DensityBounds;
    /// let b = DensityBounds::new(0.5, 0.5, 0.0, 0.0); // a uniform density
    /// assert_eq!(b.max, 0.5);
    /// ```
    pub fn new(min: f64, max: f64, slope_min: f64, slope_max: f64) -> Self {
        Self {
            min,
            max,
            slope_min,
            slope_max,
        }
    }

    /// Bounds `(low, high)` on the log-density's slope `f'/f` over the
    /// interval that these bounds imply: `f'/f` over `[min, max] ×
    /// [slope_min, slope_max]` is extreme at a corner, and a density bound
    /// of 0 (or a NaN) leaves that side unbounded. The default of
    /// [`EndowmentDistribution::pdf_log_derivative_bounds`].
    ///
    /// [`EndowmentDistribution::pdf_log_derivative_bounds`]: crate::distribution::EndowmentDistribution::pdf_log_derivative_bounds
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::DensityBounds;
    /// // e^{−z} on [0, 1]: f'/f = −1 exactly; f and f' alone give [−e, −1/e].
    /// let e = std::f64::consts::E;
    /// let b = DensityBounds::new(1.0 / e, 1.0, -1.0, -1.0 / e);
    /// assert_eq!(b.log_slopes(), (-e, -1.0 / e));
    /// ```
    pub fn log_slopes(&self) -> (f64, f64) {
        let high = self.slope_max
            / if self.slope_max > 0.0 {
                self.min
            } else {
                self.max
            };
        let low = self.slope_min
            / if self.slope_min < 0.0 {
                self.min
            } else {
                self.max
            };
        (
            if low.is_nan() { f64::NEG_INFINITY } else { low },
            if high.is_nan() { f64::INFINITY } else { high },
        )
    }

    /// The bounds of the values `(f, f')` at a set of points that contains
    /// every point where `f` or `f'` can take an extreme value on the
    /// interval (its ends and the interior critical points).
    pub(crate) fn of_points(points: impl IntoIterator<Item = (f64, f64)>) -> Self {
        points.into_iter().fold(
            Self::new(
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ),
            |b, (f, s)| {
                Self::new(
                    b.min.min(f),
                    b.max.max(f),
                    b.slope_min.min(s),
                    b.slope_max.max(s),
                )
            },
        )
    }

    /// The bounds of a sum of densities `Σ w_k f_k` from each term's bounds.
    pub(crate) fn add_scaled(self, w: f64, other: Self) -> Self {
        Self::new(
            self.min + w * other.min,
            self.max + w * other.max,
            self.slope_min + w * other.slope_min,
            self.slope_max + w * other.slope_max,
        )
    }
}
