//! The uniform distribution on `[lo, hi]`.

use super::DensityBounds;
use super::{support, DistributionError, EndowmentDistribution};

/// Uniform endowments on `[lo, hi]`: the distribution of the paper's
/// Example 1 (`U[−1, 1]`) and of Corollary 1.1. Every quantity has a closed
/// form; `F/f = z − lo` and `(1 − F)/f = hi − z`.
///
/// # Example
/// ```
/// use exchange_design::distribution::{EndowmentDistribution, Uniform};
/// let d = Uniform::new(-1.0, 1.0)?;
/// assert_eq!(d.cdf(0.0), 0.5);
/// assert_eq!(d.cdf_pdf_ratio(0.5), 1.5);
/// assert_eq!(d.quantile(0.75), 0.5);
/// # Ok::<(), exchange_design::distribution::DistributionError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Uniform {
    lo: f64,
    hi: f64,
}

impl Uniform {
    /// Builds `U[lo, hi]`.
    ///
    /// # Errors
    /// [`DistributionError::NonFiniteParameter`] for NaN or infinite ends,
    /// [`DistributionError::EmptySupport`] unless `lo < hi`.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{DistributionError, Uniform};
    /// assert!(Uniform::new(0.0, 1.0).is_ok());
    /// assert!(matches!(Uniform::new(f64::NAN, 1.0), Err(DistributionError::NonFiniteParameter { name: "lo", .. })));
    /// ```
    pub fn new(lo: f64, hi: f64) -> Result<Self, DistributionError> {
        let (lo, hi) = support(lo, hi)?;
        Ok(Self { lo, hi })
    }

    fn width(&self) -> f64 {
        self.hi - self.lo
    }

    fn clamp(&self, z: f64) -> f64 {
        z.clamp(self.lo, self.hi)
    }
}

impl EndowmentDistribution for Uniform {
    /// The density is the constant `1/(hi − lo)` and its slope 0.
    fn density_bounds(&self, _a: f64, _b: f64) -> Option<DensityBounds> {
        let f = 1.0 / (self.hi - self.lo);
        Some(DensityBounds::new(f, f, 0.0, 0.0))
    }

    /// Log-concave: Condition 2 holds at every weight.
    fn log_concave(&self) -> bool {
        true
    }

    /// `(ln f)'' = 0`.
    fn log_concavity(&self) -> Option<f64> {
        Some(0.0)
    }

    fn support(&self) -> (f64, f64) {
        (self.lo, self.hi)
    }

    fn cdf(&self, z: f64) -> f64 {
        (self.clamp(z) - self.lo) / self.width()
    }

    fn sf(&self, z: f64) -> f64 {
        (self.hi - self.clamp(z)) / self.width()
    }

    fn pdf(&self, z: f64) -> f64 {
        if z >= self.lo && z <= self.hi {
            1.0 / self.width()
        } else {
            0.0
        }
    }

    fn pdf_derivative(&self, _z: f64) -> f64 {
        0.0
    }

    fn partial_moment(&self, a: f64) -> f64 {
        let a = self.clamp(a);
        // (a² − lo²) / (2w), factored to avoid cancellation.
        (a - self.lo) * (a + self.lo) / (2.0 * self.width())
    }

    fn mean(&self) -> f64 {
        0.5 * (self.lo + self.hi)
    }

    fn second_moment(&self) -> f64 {
        (self.lo * self.lo + self.lo * self.hi + self.hi * self.hi) / 3.0
    }

    fn variance(&self) -> f64 {
        self.width() * self.width() / 12.0
    }

    fn cdf_integral(&self, a: f64) -> f64 {
        if a >= self.hi {
            0.5 * self.width() + (a - self.hi)
        } else {
            let d = self.clamp(a) - self.lo;
            d * d / (2.0 * self.width())
        }
    }

    fn sf_integral(&self, a: f64) -> f64 {
        if a <= self.lo {
            self.mean() - a
        } else {
            let d = self.hi - self.clamp(a);
            d * d / (2.0 * self.width())
        }
    }

    fn quantile(&self, u: f64) -> f64 {
        if u.is_nan() {
            return f64::NAN;
        }
        let u = u.clamp(0.0, 1.0);
        if u <= 0.5 {
            self.lo + u * self.width()
        } else {
            self.hi - (1.0 - u) * self.width()
        }
    }

    fn cdf_pdf_ratio(&self, z: f64) -> f64 {
        self.clamp(z) - self.lo
    }

    fn sf_pdf_ratio(&self, z: f64) -> f64 {
        self.hi - self.clamp(z)
    }

    /// The constructor checks the parameters that make this a valid
    /// endowment distribution.
    fn validated_by_construction(&self) -> bool {
        true
    }
}
