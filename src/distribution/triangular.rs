//! The triangular distribution on `[lo, hi]` with its peak at `mode`.

use super::DensityBounds;
use super::{finite, support, DistributionError, EndowmentDistribution};

/// Triangular endowments on `[lo, hi]` with density rising linearly from
/// `lo` to its peak `2/(hi − lo)` at `mode` and falling linearly to `hi`.
/// `mode` may equal either end (a one-sided ramp). Every quantity has a
/// closed form.
///
/// The density vanishes at `lo` when `mode > lo` and at `hi` when
/// `mode < hi`. The hazard ratios take their limits there: `F/f = (z − lo)/2`
/// on `[lo, mode]`, so it tends to 0 at `lo`; `(1 − F)/f = (hi − z)/2` on
/// `[mode, hi]`, so it tends to 0 at `hi`. At an end where the density
/// vanishes the *other* ratio is `+∞` (for example `F/f` at `hi` when
/// `mode < hi`: `F = 1` there while `f = 0`).
///
/// # Example
/// ```
/// use exchange_design::distribution::{EndowmentDistribution, Triangular};
/// let d = Triangular::new(-1.0, 0.0, 1.0)?;
/// assert_eq!(d.cdf(0.0), 0.5);
/// assert_eq!(d.pdf(0.0), 1.0);
/// assert_eq!(d.cdf_pdf_ratio(-0.5), 0.25); // (z − lo)/2 below the mode
/// assert_eq!(d.quantile(0.125), -0.5);
/// # Ok::<(), exchange_design::distribution::DistributionError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Triangular {
    lo: f64,
    mode: f64,
    hi: f64,
}

impl Triangular {
    /// Builds the triangular distribution on `[lo, hi]` peaking at `mode`.
    ///
    /// # Errors
    /// [`DistributionError::NonFiniteParameter`] for a NaN or infinite
    /// parameter, [`DistributionError::EmptySupport`] unless `lo < hi`,
    /// [`DistributionError::ModeOutsideSupport`] unless `lo ≤ mode ≤ hi`.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{DistributionError, Triangular};
    /// assert!(Triangular::new(0.0, 0.0, 1.0).is_ok()); // mode at an end is allowed
    /// assert!(matches!(
    ///     Triangular::new(0.0, 2.0, 1.0),
    ///     Err(DistributionError::ModeOutsideSupport { .. })
    /// ));
    /// assert!(matches!(
    ///     Triangular::new(0.0, f64::NAN, 1.0),
    ///     Err(DistributionError::NonFiniteParameter { name: "mode", .. })
    /// ));
    /// ```
    pub fn new(lo: f64, mode: f64, hi: f64) -> Result<Self, DistributionError> {
        finite("lo", lo)?;
        finite("mode", mode)?;
        let (lo, hi) = support(lo, hi)?;
        if !(lo <= mode && mode <= hi) {
            return Err(DistributionError::ModeOutsideSupport { mode, lo, hi });
        }
        Ok(Self { lo, mode, hi })
    }

    fn width(&self) -> f64 {
        self.hi - self.lo
    }

    fn clamp(&self, z: f64) -> f64 {
        z.clamp(self.lo, self.hi)
    }

    /// Whether `z` (already clamped) lies on the rising side `[lo, mode)`.
    /// When `mode == hi` the whole support is the rising side.
    fn rising(&self, z: f64) -> bool {
        z < self.mode || self.mode == self.hi
    }
}

impl EndowmentDistribution for Triangular {
    /// Exact: the density is linear on either side of the mode.
    fn density_bounds(&self, a: f64, b: f64) -> Option<DensityBounds> {
        let (a, b) = (a.max(self.lo), b.min(self.hi));
        let w = self.width();
        let mut bounds = DensityBounds::of_points(
            [a, b, self.mode]
                .into_iter()
                .filter(|&z| z >= a && z <= b)
                .map(|z| (self.pdf(z), 0.0)),
        );
        let rising = 2.0 / (w * (self.mode - self.lo));
        let falling = -2.0 / (w * (self.hi - self.mode));
        let mut slopes = Vec::with_capacity(2);
        if a < self.mode {
            slopes.push(rising);
        }
        if b > self.mode {
            slopes.push(falling);
        }
        if slopes.is_empty() {
            slopes.push(0.0);
        }
        bounds.slope_min = slopes.iter().copied().fold(f64::INFINITY, f64::min);
        bounds.slope_max = slopes.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some(bounds)
    }

    /// Log-concave: Condition 2 holds at every weight.
    fn log_concave(&self) -> bool {
        true
    }

    fn support(&self) -> (f64, f64) {
        (self.lo, self.hi)
    }

    fn cdf(&self, z: f64) -> f64 {
        let z = self.clamp(z);
        if z <= self.lo {
            0.0
        } else if z >= self.hi {
            1.0
        } else if z < self.mode {
            let d = z - self.lo;
            d * d / (self.width() * (self.mode - self.lo))
        } else {
            1.0 - self.sf(z)
        }
    }

    fn sf(&self, z: f64) -> f64 {
        let z = self.clamp(z);
        if z <= self.lo {
            1.0
        } else if z >= self.hi {
            0.0
        } else if z < self.mode {
            1.0 - self.cdf(z)
        } else {
            let d = self.hi - z;
            d * d / (self.width() * (self.hi - self.mode))
        }
    }

    fn pdf(&self, z: f64) -> f64 {
        if !(z >= self.lo && z <= self.hi) {
            0.0
        } else if self.rising(z) {
            2.0 * (z - self.lo) / (self.width() * (self.mode - self.lo))
        } else {
            2.0 * (self.hi - z) / (self.width() * (self.hi - self.mode))
        }
    }

    /// The slope of the side `z` lies on; at the mode, the slope to its right
    /// (to its left when `mode == hi`); 0 outside the support.
    fn pdf_derivative(&self, z: f64) -> f64 {
        if !(z >= self.lo && z <= self.hi) {
            0.0
        } else if self.rising(z) {
            2.0 / (self.width() * (self.mode - self.lo))
        } else {
            -2.0 / (self.width() * (self.hi - self.mode))
        }
    }

    fn kinks(&self) -> &[f64] {
        if self.lo < self.mode && self.mode < self.hi {
            std::slice::from_ref(&self.mode)
        } else {
            &[]
        }
    }

    fn partial_moment(&self, a: f64) -> f64 {
        let a = self.clamp(a);
        if a < self.mode {
            // ∫_lo^a z f = (a − lo)² (lo + 2a) / (3 w (mode − lo)).
            let d = a - self.lo;
            d * d * (self.lo + 2.0 * a) / (3.0 * self.width() * (self.mode - self.lo))
        } else if a >= self.hi {
            self.mean()
        } else {
            // mean − ∫_a^hi z f, with ∫_a^hi z f = (hi − a)² (hi + 2a) / (3 w (hi − mode)).
            let d = self.hi - a;
            self.mean() - d * d * (self.hi + 2.0 * a) / (3.0 * self.width() * (self.hi - self.mode))
        }
    }

    fn mean(&self) -> f64 {
        (self.lo + self.mode + self.hi) / 3.0
    }

    fn second_moment(&self) -> f64 {
        let (a, c, b) = (self.lo, self.mode, self.hi);
        (a * a + b * b + c * c + a * b + a * c + b * c) / 6.0
    }

    fn variance(&self) -> f64 {
        // Shift-invariant form: no cancellation for supports far from 0.
        let p = self.mode - self.lo;
        let q = self.width();
        (q * q - p * q + p * p) / 18.0
    }

    fn cdf_integral(&self, a: f64) -> f64 {
        if a <= self.lo {
            0.0
        } else if a < self.mode {
            let d = a - self.lo;
            d * d * d / (3.0 * self.width() * (self.mode - self.lo))
        } else {
            // ∫_lo^a F = a − E[Z] + ∫_a^hi (1 − F).
            a - self.mean() + self.sf_integral(a)
        }
    }

    fn sf_integral(&self, a: f64) -> f64 {
        if a >= self.hi {
            0.0
        } else if a >= self.mode {
            let d = self.hi - a;
            d * d * d / (3.0 * self.width() * (self.hi - self.mode))
        } else {
            // ∫_a^hi (1 − F) = E[Z] − a + ∫_lo^a F.
            self.mean() - a + self.cdf_integral(a)
        }
    }

    fn quantile(&self, u: f64) -> f64 {
        if u.is_nan() {
            return f64::NAN;
        }
        if u <= 0.0 {
            return self.lo;
        }
        if u >= 1.0 {
            return self.hi;
        }
        // Mass to the left of the mode.
        let p = (self.mode - self.lo) / self.width();
        if u <= p {
            self.lo + (u * self.width() * (self.mode - self.lo)).sqrt()
        } else {
            self.hi - ((1.0 - u) * self.width() * (self.hi - self.mode)).sqrt()
        }
    }

    /// `F/f`: `(z − lo)/2` on the rising side; on the falling side
    /// `(w (hi − mode) − (hi − z)²) / (2 (hi − z))`, evaluated without
    /// cancellation, which is `+∞` at `hi` when `mode < hi`.
    fn cdf_pdf_ratio(&self, z: f64) -> f64 {
        let z = self.clamp(z);
        if self.rising(z) {
            0.5 * (z - self.lo)
        } else if z >= self.hi {
            f64::INFINITY
        } else {
            // w (hi − mode) − (hi − z)² = (hi − mode)(mode − lo) + (z − mode)((hi − mode) + (hi − z)).
            let (b, c) = (self.hi - self.mode, self.hi - z);
            (b * (self.mode - self.lo) + (z - self.mode) * (b + c)) / (2.0 * c)
        }
    }

    /// `(1 − F)/f`: `(hi − z)/2` on the falling side; on the rising side
    /// `(w (mode − lo) − (z − lo)²) / (2 (z − lo))`, evaluated without
    /// cancellation, which is `+∞` at `lo` when `mode > lo`.
    fn sf_pdf_ratio(&self, z: f64) -> f64 {
        let z = self.clamp(z);
        let falling = z >= self.mode && self.mode < self.hi;
        if falling || self.mode == self.lo {
            0.5 * (self.hi - z)
        } else if z <= self.lo {
            f64::INFINITY
        } else {
            // w (mode − lo) − (z − lo)² = (mode − lo)(hi − mode) + (mode − z)((mode − lo) + (z − lo)).
            let (a, d) = (self.mode - self.lo, z - self.lo);
            (a * (self.hi - self.mode) + (self.mode - z) * (a + d)) / (2.0 * d)
        }
    }

    /// The constructor checks the parameters that make this a valid
    /// endowment distribution.
    fn validated_by_construction(&self) -> bool {
        true
    }
}
