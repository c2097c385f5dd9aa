//! The Beta distribution, rescaled to `[lo, hi]`.
//!
//! In the unit coordinate `x = (z − lo)/(hi − lo)` the density is
//! `x^(a−1) (1 − x)^(b−1) / B(a, b)` and the CDF is the regularised
//! incomplete beta function `I_x(a, b)` (from `statrs`). The distance to the
//! upper end, `y = (hi − z)/(hi − lo)`, is always formed directly rather than
//! as `1 − x`, and the survival function is `I_y(b, a)`, so both tails keep
//! their relative accuracy.
//!
//! Near the lower end the hazard ratio and the integral of the CDF come from
//! the series of positive terms behind DLMF 8.17.8,
//! `I_x(a, b) = x^a y^b / (a B(a, b)) · ₂F₁(a + b, 1; a + 1; x)`,
//! which needs neither a division by the (vanishing) density nor a
//! difference of nearly equal numbers; near the upper end the same series is
//! applied to the mirror image `Beta(b, a)`.

use super::DensityBounds;
use super::{finite, ratio, support, DistributionError, EndowmentDistribution};
use crate::numerics::newton_bracketed;
use statrs::function::beta::{beta_reg, ln_beta};

/// The series are used up to this unit coordinate; beyond it the closed forms
/// are well conditioned.
const SERIES_UP_TO: f64 = 0.5;
/// Term budget for the series before falling back to the closed forms.
const SERIES_TERMS: usize = 5000;

/// The Beta(`a`, `b`) distribution rescaled to `[lo, hi]`, with `a, b ≥ 1`
/// so that the density is bounded.
///
/// The density is log-concave, so the paper's Condition 2 holds. At the ends
/// the hazard ratios take their limits: `F/f → 0` at `lo` and
/// `(1 − F)/f → 0` at `hi` (for every `a, b ≥ 1`); where the density vanishes
/// at the *opposite* end the ratio is `+∞`, its true value: with `b > 1`,
/// `F/f(hi) = +∞`, and with `a > 1`, `(1 − F)/f(lo) = +∞`. With `b = 1`,
/// `F/f(hi) = (hi − lo)/a`, and with `a = 1`, `(1 − F)/f(lo) = (hi − lo)/b`.
///
/// # Example
/// ```
/// use exchange_design::distribution::{Beta, EndowmentDistribution};
/// // Beta(2, 2) on [0, 1]: F(x) = 3x² − 2x³, f(x) = 6x(1 − x).
/// let d = Beta::new(2.0, 2.0, 0.0, 1.0)?;
/// assert!((d.cdf(0.25) - (3.0 * 0.0625 - 2.0 * 0.015625)).abs() < 1e-14);
/// assert!((d.mean() - 0.5).abs() < 1e-15);
/// assert_eq!(d.cdf_pdf_ratio(0.0), 0.0);
/// assert_eq!(d.cdf_pdf_ratio(1.0), f64::INFINITY);
/// # Ok::<(), exchange_design::distribution::DistributionError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Beta {
    a: f64,
    b: f64,
    lo: f64,
    hi: f64,
    /// `ln B(a, b)`.
    ln_beta: f64,
}

/// Largest shape parameter accepted.
const MAX_SHAPE: f64 = 1e5;

impl Beta {
    /// Builds Beta(`a`, `b`) rescaled to `[lo, hi]`.
    ///
    /// # Errors
    /// [`DistributionError::NonFiniteParameter`] if any parameter is NaN or
    /// infinite, [`DistributionError::ShapeBelowOne`] if `a < 1` or `b < 1`,
    /// and [`DistributionError::EmptySupport`] unless `lo < hi`.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{Beta, DistributionError};
    /// assert!(Beta::new(2.0, 3.0, -1.0, 1.0).is_ok());
    /// assert!(matches!(
    ///     Beta::new(0.5, 3.0, -1.0, 1.0),
    ///     Err(DistributionError::ShapeBelowOne { name: "a", .. })
    /// ));
    /// assert!(matches!(
    ///     Beta::new(2.0, 3.0, 1.0, 1.0),
    ///     Err(DistributionError::EmptySupport { .. })
    /// ));
    /// ```
    pub fn new(a: f64, b: f64, lo: f64, hi: f64) -> Result<Self, DistributionError> {
        // Shapes beyond this concentrate the mass so tightly that the
        // incomplete beta function loses all its digits.
        finite("a", a)?;
        finite("b", b)?;
        for (name, value) in [("a", a), ("b", b)] {
            if value < 1.0 {
                return Err(DistributionError::ShapeBelowOne { name, value });
            }
            if value > MAX_SHAPE {
                return Err(DistributionError::ShapeTooLarge {
                    name,
                    value,
                    max: MAX_SHAPE,
                });
            }
        }
        let (lo, hi) = support(lo, hi)?;
        Ok(Self {
            a,
            b,
            lo,
            hi,
            ln_beta: ln_beta(a, b),
        })
    }

    fn width(&self) -> f64 {
        self.hi - self.lo
    }

    /// The unit coordinates `(x, y) = ((z − lo)/w, (hi − z)/w)` of `z`,
    /// each formed directly and clamped to `[0, 1]`.
    fn unit(&self, z: f64) -> (f64, f64) {
        let w = self.width();
        (
            ((z - self.lo) / w).clamp(0.0, 1.0),
            ((self.hi - z) / w).clamp(0.0, 1.0),
        )
    }

    /// The density of Beta(`p`, `q`) on `[0, 1]` at `x`, with `y = 1 − x`.
    fn unit_density(&self, p: f64, q: f64, x: f64, y: f64) -> f64 {
        (xlny(p - 1.0, x) + xlny(q - 1.0, y) - self.ln_beta).exp()
    }

    /// `F/f` of Beta(`p`, `q`) on `[0, 1]` at `x` (with `y = 1 − x`); the
    /// mirror image `(q, p, y, x)` gives `(1 − F)/f`.
    fn unit_ratio(&self, p: f64, q: f64, x: f64, y: f64) -> f64 {
        // F/f = x y / p · Σ (p+q)_n/(p+1)_n xⁿ.
        let by_series =
            || series(1.0, |n, t| t * x * (p + q + n) / (p + 1.0 + n)).map(|s| x * y / p * s);
        let cheap = series_is_cheap(p, q, x);
        if cheap && x <= SERIES_UP_TO {
            if let Some(r) = by_series() {
                return r;
            }
        }
        let f = self.unit_density(p, q, x, y);
        let cdf = beta_reg(p, q, x);
        if cheap && y > 0.0 && (f < f64::MIN_POSITIVE || cdf < f64::MIN_POSITIVE) {
            // Density or CDF underflow inside the support (very large shapes).
            if let Some(r) = by_series() {
                return r;
            }
        }
        ratio(cdf, f)
    }

    /// `∫_0^x I_s(p, q) ds` (with `y = 1 − x`); the mirror image
    /// `(q, p, y, x)` gives `∫_x^1 (1 − I_s(p, q)) ds`.
    ///
    /// In closed form it is `(x − m) I_x(p, q) + x y f(x)/(p + q)` with
    /// `m = p/(p + q)` and `f` the unit density (from
    /// `M(x) = m I_x(p + 1, q)` and DLMF 8.17.20), a sum of two non-negative
    /// terms for `x ≥ m`. Below the mean the two terms cancel, and the
    /// positive series is used instead.
    fn unit_cdf_integral(&self, p: f64, q: f64, x: f64, y: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        let m = p / (p + q);
        if x < m && series_is_cheap(p, q, x) {
            // = x^(p+1) y^q / B · Σ c_n xⁿ with c_n = r_n · g(n),
            // r_n = (p+q)_n/(p)_(n+1), g(n) = (p + q + q n)/((p + q)(p + n + 1)),
            // all positive (the difference of the series of x I_x(p, q) and
            // m I_x(p+1, q), term by term).
            let g = |n: f64| (p + q + q * n) / ((p + q) * (p + n + 1.0));
            // The state is r_n xⁿ; each term is that times g(n).
            let mut state = 1.0 / p;
            let sum = series(g(0.0) / p, |n, _| {
                state *= x * (p + q + n) / (p + n + 1.0);
                state * g(n + 1.0)
            });
            if let Some(s) = sum {
                let pre = (xlny(p + 1.0, x) + xlny(q, y) - self.ln_beta).exp();
                return pre * s;
            }
        }
        (x - m) * beta_reg(p, q, x) + x * y * self.unit_density(p, q, x, y) / (p + q)
    }
}

impl Beta {
    /// The first shape parameter `a`.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::Beta;
    /// assert_eq!(Beta::new(2.0, 3.0, 0.0, 1.0)?.a(), 2.0);
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    pub fn a(&self) -> f64 {
        self.a
    }

    /// The second shape parameter `b`.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::Beta;
    /// assert_eq!(Beta::new(2.0, 3.0, 0.0, 1.0)?.b(), 3.0);
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    pub fn b(&self) -> f64 {
        self.b
    }
}

impl EndowmentDistribution for Beta {
    /// Exact: the density's extremes are at the interval's ends and the
    /// mode (or antimode), its slope's at the ends and the inflection points
    /// (the roots of `f'' = 0`, in closed form).
    fn density_bounds(&self, a: f64, b: f64) -> Option<DensityBounds> {
        let (a, b) = (a.max(self.lo), b.min(self.hi));
        let (p, q) = (self.a - 1.0, self.b - 1.0);
        let s = p + q;
        let mut unit: Vec<f64> = Vec::with_capacity(3);
        if s != 0.0 {
            unit.push(p / s);
        }
        // f''/f · x²(1 − x)² = (s² − s) x² − 2 p (s − 1) x + p (p − 1).
        let disc = p * q * (s - 1.0);
        if s * (s - 1.0) != 0.0 && disc >= 0.0 {
            let r = disc.sqrt();
            unit.push((p * (s - 1.0) - r) / (s * (s - 1.0)));
            unit.push((p * (s - 1.0) + r) / (s * (s - 1.0)));
        }
        let w = self.hi - self.lo;
        let points = [a, b]
            .into_iter()
            .chain(
                unit.into_iter()
                    .map(|x| self.lo + x * w)
                    .filter(|&z| z > a && z < b),
            )
            .map(|z| (self.pdf(z), self.pdf_derivative(z)));
        Some(DensityBounds::of_points(points))
    }

    /// Log-concave: the constructor accepts only shapes of at least 1.
    fn log_concave(&self) -> bool {
        true
    }

    fn support(&self) -> (f64, f64) {
        (self.lo, self.hi)
    }

    fn cdf(&self, z: f64) -> f64 {
        if z.is_nan() {
            f64::NAN
        } else if z <= self.lo {
            0.0
        } else if z >= self.hi {
            1.0
        } else {
            beta_reg(self.a, self.b, self.unit(z).0)
        }
    }

    fn sf(&self, z: f64) -> f64 {
        if z.is_nan() {
            f64::NAN
        } else if z <= self.lo {
            1.0
        } else if z >= self.hi {
            0.0
        } else {
            beta_reg(self.b, self.a, self.unit(z).1)
        }
    }

    fn pdf(&self, z: f64) -> f64 {
        if z >= self.lo && z <= self.hi {
            let (x, y) = self.unit(z);
            self.unit_density(self.a, self.b, x, y) / self.width()
        } else {
            0.0
        }
    }

    /// `(a − 1) ln x + (b − 1) ln(1 − x) − ln B(a, b) − ln(hi − lo)`, finite
    /// where the density underflows (large shapes).
    fn ln_pdf(&self, z: f64) -> f64 {
        if z >= self.lo && z <= self.hi {
            let (x, y) = self.unit(z);
            xlny(self.a - 1.0, x) + xlny(self.b - 1.0, y) - self.ln_beta - self.width().ln()
        } else {
            f64::NEG_INFINITY
        }
    }

    fn pdf_derivative(&self, z: f64) -> f64 {
        if !(z >= self.lo && z <= self.hi) {
            return 0.0;
        }
        let (x, y) = self.unit(z);
        let (a, b) = (self.a, self.b);
        // f' = [(a−1) x^(a−2) y^(b−1) − (b−1) x^(a−1) y^(b−2)] / (B w²); each
        // term is dropped when its shape is 1 (it is then identically zero).
        // With 1 < a < 2 the slope at lo is +∞, with 1 < b < 2 at hi it is −∞.
        let rise = if a == 1.0 {
            0.0
        } else {
            (a - 1.0) * (xlny(a - 2.0, x) + xlny(b - 1.0, y) - self.ln_beta).exp()
        };
        let fall = if b == 1.0 {
            0.0
        } else {
            (b - 1.0) * (xlny(a - 1.0, x) + xlny(b - 2.0, y) - self.ln_beta).exp()
        };
        let w = self.width();
        (rise - fall) / (w * w)
    }

    fn partial_moment(&self, z: f64) -> f64 {
        if z.is_nan() {
            return f64::NAN;
        }
        if z <= self.lo {
            return 0.0;
        }
        if z >= self.hi {
            return self.mean();
        }
        // ∫_lo^z s f(s) ds = lo F(z) + w · a/(a+b) · I_x(a+1, b), because
        // x · x^(a−1) (1−x)^(b−1) / B(a, b) = a/(a+b) · Beta(a+1, b) density.
        let (a, b) = (self.a, self.b);
        let x = self.unit(z).0;
        self.lo * beta_reg(a, b, x) + self.width() * a / (a + b) * beta_reg(a + 1.0, b, x)
    }

    fn mean(&self) -> f64 {
        self.lo + self.width() * self.a / (self.a + self.b)
    }

    fn second_moment(&self) -> f64 {
        let m = self.mean();
        self.variance() + m * m
    }

    fn variance(&self) -> f64 {
        let (a, b) = (self.a, self.b);
        let w = self.width();
        w * w * a * b / ((a + b) * (a + b) * (a + b + 1.0))
    }

    fn cdf_integral(&self, z: f64) -> f64 {
        if z.is_nan() {
            f64::NAN
        } else if z <= self.lo {
            0.0
        } else if z >= self.hi {
            self.hi - self.mean() + (z - self.hi)
        } else {
            let (x, y) = self.unit(z);
            self.width() * self.unit_cdf_integral(self.a, self.b, x, y)
        }
    }

    fn sf_integral(&self, z: f64) -> f64 {
        if z.is_nan() {
            f64::NAN
        } else if z >= self.hi {
            0.0
        } else if z <= self.lo {
            self.mean() - z
        } else {
            let (x, y) = self.unit(z);
            self.width() * self.unit_cdf_integral(self.b, self.a, y, x)
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
        // Solve in the nearer tail, in the unit coordinate measured from the
        // nearer end: I_x(a, b) = u below the median, I_y(b, a) = 1 − u above
        // it (1 − u is exact for u ≥ 1/2).
        let (p, q, target, from_hi) = if u <= 0.5 {
            (self.a, self.b, u, false)
        } else {
            (self.b, self.a, 1.0 - u, true)
        };
        // Start from the leading term I_x ≈ xᵖ / (p B).
        let start = (target * p * self.ln_beta.exp()).powf(1.0 / p);
        let start = if start.is_finite() && start < 1.0 {
            start
        } else {
            0.5
        };
        let x = newton_bracketed(
            |x| {
                let f = beta_reg(p, q, x) - target;
                let df = self.unit_density(p, q, x, 1.0 - x);
                // Once the Newton correction f/f' is below half an ulp of x,
                // x is the root to the resolution of f64: report an exact
                // zero, which ends the iteration (a correction that rounds
                // away would otherwise be taken for a step leaving the
                // bracket, and bisected).
                if f.abs() <= 0.5 * f64::EPSILON * x * df {
                    (0.0, df)
                } else {
                    (f, df)
                }
            },
            0.0,
            1.0,
            start,
            4.0 * f64::EPSILON,
            0.0,
        )
        // The bracket [0, 1] always holds the root of a CDF; only a
        // non-finite incomplete beta can fail, and that is reported as NaN.
        .unwrap_or(f64::NAN);
        if from_hi {
            self.hi - self.width() * x
        } else {
            self.lo + self.width() * x
        }
        .clamp(self.lo, self.hi)
    }

    fn cdf_pdf_ratio(&self, z: f64) -> f64 {
        if z.is_nan() {
            return f64::NAN;
        }
        let (x, y) = self.unit(z);
        self.width() * self.unit_ratio(self.a, self.b, x, y)
    }

    fn sf_pdf_ratio(&self, z: f64) -> f64 {
        if z.is_nan() {
            return f64::NAN;
        }
        let (x, y) = self.unit(z);
        self.width() * self.unit_ratio(self.b, self.a, y, x)
    }

    /// The constructor checks the parameters that make this a valid
    /// endowment distribution.
    fn validated_by_construction(&self) -> bool {
        true
    }
}

/// `c · ln v`, taken as 0 when `c = 0` (so `0 · ln 0 = 0`).
fn xlny(c: f64, v: f64) -> f64 {
    if c == 0.0 {
        0.0
    } else {
        c * v.ln()
    }
}

/// Whether the positive series in `x` for Beta(`p`, `q`) peaks within a few
/// dozen terms (its term ratio `(p+q+n)/(p+1+n)·x` falls below 1 by then).
/// Where it does not, the CDF is not small and the closed forms are well
/// conditioned.
fn series_is_cheap(p: f64, q: f64, x: f64) -> bool {
    (p + q) * x <= p + 1.0 + 64.0 * (1.0 - x)
}

/// `Σ_n t_n` of positive terms with `t_0 = first` and `t_(n+1) = next(n, t_n)`.
/// `None` if it has not converged within the term budget or leaves the
/// range of `f64`. The term ratios must be decreasing (so that once the
/// terms are negligible, so is the rest).
fn series(first: f64, mut next: impl FnMut(f64, f64) -> f64) -> Option<f64> {
    let mut term = first;
    let mut sum = first;
    for n in 0..SERIES_TERMS {
        term = next(n as f64, term);
        sum += term;
        if !sum.is_finite() {
            return None;
        }
        if term <= 0.25 * f64::EPSILON * sum {
            return Some(sum);
        }
    }
    None
}
