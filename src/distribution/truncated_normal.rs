//! The normal distribution `N(μ, σ²)` truncated to `[lo, hi]`.
//!
//! Everything is computed in standardised units `t = (z − μ)/σ`, on the
//! standardised support `[α, β]`, and every probability is formed from the
//! tail nearer to it, so that relative accuracy holds far into either tail.
//!
//! Mills' ratio `R(x) = Q(x)/φ(x)`, where `Q(x) = 1 − Φ(x)` is the normal
//! tail, is the crate's `erfcx` (`R(x) = √(π/2)·erfcx(x/√2)`, Cody's
//! rational approximations, within 3 ulps at every `x ≥ 0`): one rational
//! function, no exponential. Most tails are needed relative to a density, as
//! `Q(x)/φ(s) = (φ(x)/φ(s))·R(|x|)`: a hazard ratio (`s = x`) is `R` alone,
//! and a probability at a point whose density is already known costs only
//! `R`. Where a tail is wanted on its own (at the ends of the support, once,
//! and across the mean where the density is not at hand), it is `erfc(x/√2)/2`
//! from the `libm` crate (the Rust port of musl's libm, accurate to about an
//! ulp), with the rounding of the argument `x/√2` corrected to first order:
//! `erfc` has relative condition number `2y²` at `y`, so the uncorrected
//! formula would carry a relative error of up to `x²·1e−16` (`1.8e−13`
//! measured at `x = 37`); corrected, `Q` is within `5e−16` of mpmath wherever
//! it is a normal `f64` (`x ≤ 37.5`).
//!
//! Every integral of `φ` is kept relative to `φ` at a reference point `s`
//! (`∫ φ / φ(s)`), so that probabilities, and the hazard ratios `F/f` and
//! `(1 − F)/f` (for which `s` is the point itself), stay representable where
//! `φ` or `Q` underflow: beyond `ERFC_MAX = 37` standard deviations every
//! tail is written as `φ(x)/φ(s)·R(x)`.
//! The continued fractions of the repeated integrals of `Q`
//! (`Ψ(x) = ∫_x^∞ Q`, `Ψ₂(x) = ∫_x^∞ Ψ`) serve where a difference of tail
//! functions would lose more than a digit (the integrals of the CDF beyond
//! 4 standard deviations, the variance of a support in a tail).
//!
//! Over short standardised intervals (`(b − a)·max(1, |a|, |b|) ≤ 1`), where
//! a difference of tails would cancel (a point `1e−12` from an end, say),
//! `∫ φ` and its low moments are summed from the Taylor series of
//! `exp(−a u − u²/2)` about the end farther from the mean, whose terms follow
//! a two-term recurrence and are all but positive: exact to rounding, and far
//! cheaper than an adaptive quadrature.
//!
//! `statrs` supplies only `erfc_inv`, for the starting point of the
//! quantile's Newton iteration, where its accuracy does not matter.

use super::DensityBounds;
use super::{finite, support, DistributionError, EndowmentDistribution, HazardRatio};
use crate::numerics::{erfcx, newton_increasing};
use statrs::function::erf::erfc_inv;
use std::f64::consts::FRAC_1_SQRT_2;

/// `1/√(2π)`.
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// `√(π/2)`, which turns `erfcx(x/√2)` into Mills' ratio.
const SQRT_HALF_PI: f64 = 1.253_314_137_315_500_3;
/// `√(2π)`.
const SQRT_2PI: f64 = 2.506_628_274_631_000_7;
/// `1/√2 − FRAC_1_SQRT_2` (mpmath): the low part of `1/√2` as a
/// double-double.
const FRAC_1_SQRT_2_LO: f64 = -4.833_646_656_726_457e-17;
/// `FRAC_1_SQRT_2` with the low 27 bits of its significand cleared, so that
/// its products with 26-bit numbers are exact (Dekker's splitting).
const FRAC_1_SQRT_2_HI: f64 = f64::from_bits(FRAC_1_SQRT_2.to_bits() & !((1 << 27) - 1));
/// The remaining 27 bits: `FRAC_1_SQRT_2 − FRAC_1_SQRT_2_HI`, exactly.
const FRAC_1_SQRT_2_MID: f64 = FRAC_1_SQRT_2 - FRAC_1_SQRT_2_HI;
/// Standardised coordinates are clamped to `±BIG`; beyond it every density
/// ratio underflows and every tail probability is zero, and squares stay finite.
const BIG: f64 = 1e150;
/// Below this magnitude `x²/2` is split into an exactly representable part and
/// a small remainder before exponentiating.
const SPLIT_LIMIT: f64 = 64.0;
/// `2^20`: the split keeps 20 fractional bits of `x` ([`half_square`]).
const SPLIT_STEP: f64 = 1_048_576.0;
/// Up to this standardised distance from the mean the tail `Q(x)` is a normal
/// `f64` (`Q(37) ≈ 5.7e−301`) and a tail probability already computed may
/// serve; beyond it, tails are formed from Mills' ratio alone.
const ERFC_MAX: f64 = 37.0;
/// Below this standardised distance from the mean (`x/√2 < 1.25`) `libm`'s
/// `erfc` is a rational function with no exponential, cheaper than the
/// density ratio and Mills' ratio that give the tail elsewhere.
const ERFC_RATIONAL: f64 = 1.25 * std::f64::consts::SQRT_2;
/// `D(x) = 1 − x R(x)` loses about `2 log₁₀ x` digits to cancellation (a
/// factor of 18 at `x = 4`, so a few `1e−15` relative); from here on it comes
/// from its continued fraction (30 terms at `x = 4`).
const D_CF_FROM: f64 = 4.0;
/// The variance of a support lying entirely beyond this many standard
/// deviations from the mean is formed from the repeated tail integrals.
const TAIL_VARIANCE_FROM: f64 = 2.0;

/// The normal distribution `N(mu, sigma²)` truncated to `[lo, hi]`.
///
/// The density is `φ((z − μ)/σ) / (σ·(Φ(β) − Φ(α)))` on the support, with
/// `α = (lo − μ)/σ` and `β = (hi − μ)/σ`. It is log-concave, so it satisfies
/// the paper's Condition 2 for every choice of parameters.
///
/// Probabilities are computed from the nearer tail and keep their relative
/// accuracy (about 1e-15) many standard deviations out; the hazard ratios
/// `F/f` and `(1 − F)/f` are formed without dividing by the density, so they
/// are finite and accurate even where the density underflows (they are
/// `+∞` only where the true value exceeds the largest `f64`).
///
/// # Example
/// ```
/// use exchange_design::distribution::{EndowmentDistribution, TruncatedNormal};
/// let d = TruncatedNormal::new(0.0, 1.0, -1.0, 1.0)?;
/// assert!((d.cdf(0.0) - 0.5).abs() < 1e-15);
/// assert!(d.mean().abs() < 1e-15);
/// // Deep in the upper tail the survival function keeps its relative
/// // accuracy: (Q(8) − Q(10)) / (Q(0) − Q(10)) for a standard normal.
/// let wide = TruncatedNormal::new(0.0, 1.0, 0.0, 10.0)?;
/// let expected = 1.2441920996146507e-15; // mpmath, 40 digits
/// assert!((wide.sf(8.0) / expected - 1.0).abs() < 1e-14);
/// // F/f at the lower end is 0; it tends to σ·(z − lo) there.
/// assert_eq!(d.cdf_pdf_ratio(-1.0), 0.0);
/// # Ok::<(), exchange_design::distribution::DistributionError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TruncatedNormal {
    mu: f64,
    sigma: f64,
    lo: f64,
    hi: f64,
    /// Standardised lower end `α = (lo − μ)/σ`.
    alpha: f64,
    /// Standardised upper end `β = (hi − μ)/σ`.
    beta: f64,
    /// The standardised mode `clamp(0, α, β)`: the reference point `c` at
    /// which `φ` is largest on the support.
    mode: f64,
    /// The truncation mass divided by `φ(c)`: `∫_α^β φ / φ(c)`.
    scaled_mass: f64,
    /// The truncation mass `Φ(β) − Φ(α)`.
    mass: f64,
    /// Mean of the standardised variable `(Z − μ)/σ`.
    mean_std: f64,
    /// Variance of the standardised variable `(Z − μ)/σ`.
    var_std: f64,
    /// `α` with its nearer-tail probability.
    #[cfg_attr(feature = "serde", serde(skip))]
    lo_tail: Tail,
    /// `β` with its nearer-tail probability.
    #[cfg_attr(feature = "serde", serde(skip))]
    hi_tail: Tail,
    /// The mode with `1/φ(c)`.
    #[cfg_attr(feature = "serde", serde(skip))]
    mode_scale: Scale,
    /// `ln(σ · scaled mass)`, the log-density's constant.
    #[cfg_attr(feature = "serde", serde(skip))]
    ln_norm: f64,
    /// `1/σ`, `1/scaled mass`, `1/(σ · scaled mass)` and `φ(c)`: the
    /// divisions of the hot paths made multiplications.
    #[cfg_attr(feature = "serde", serde(skip))]
    inv_sigma: f64,
    #[cfg_attr(feature = "serde", serde(skip))]
    inv_scaled_mass: f64,
    #[cfg_attr(feature = "serde", serde(skip))]
    density_factor: f64,
    #[cfg_attr(feature = "serde", serde(skip))]
    phi_mode: f64,
    /// `α` with its terms of `∫ F` (`cdf_integral`).
    #[cfg_attr(feature = "serde", serde(skip))]
    lo_below: BelowEnd,
    /// `−β` with its terms of `∫ (1 − F)` (`sf_integral`, mirrored).
    #[cfg_attr(feature = "serde", serde(skip))]
    hi_below: BelowEnd,
}

impl TruncatedNormal {
    /// Builds `N(mu, sigma²)` truncated to `[lo, hi]`.
    ///
    /// # Errors
    /// [`DistributionError::NonFiniteParameter`] if any parameter is NaN or
    /// infinite, [`DistributionError::NonPositiveScale`] unless `sigma > 0`,
    /// [`DistributionError::EmptySupport`] unless `lo < hi`, and
    /// [`DistributionError::NoMassInSupport`] when the truncation mass
    /// `Φ(β) − Φ(α)` is below the smallest normal `f64` (a support about
    /// 37.5 standard deviations or more from the mean).
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{DistributionError, TruncatedNormal};
    /// assert!(TruncatedNormal::new(0.0, 1.0, -2.0, 2.0).is_ok());
    /// assert!(matches!(
    ///     TruncatedNormal::new(0.0, 0.0, -2.0, 2.0),
    ///     Err(DistributionError::NonPositiveScale { name: "sigma", .. })
    /// ));
    /// assert!(matches!(
    ///     TruncatedNormal::new(0.0, 1.0, 40.0, 41.0),
    ///     Err(DistributionError::NoMassInSupport { .. })
    /// ));
    /// ```
    pub fn new(mu: f64, sigma: f64, lo: f64, hi: f64) -> Result<Self, DistributionError> {
        finite("mu", mu)?;
        finite("sigma", sigma)?;
        if sigma <= 0.0 {
            return Err(DistributionError::NonPositiveScale {
                name: "sigma",
                value: sigma,
            });
        }
        let (lo, hi) = support(lo, hi)?;
        // Narrower than this, the density is a spike the solver's roots and
        // integrals cannot resolve against the support; wider, the squares
        // of standardised points lose meaning.
        let (min, max) = (1e-9 * (hi - lo), 1e150);
        if sigma < min || sigma > max {
            return Err(DistributionError::ScaleOutOfRange {
                name: "sigma",
                value: sigma,
                min,
                max,
            });
        }
        let alpha = standardise(lo, mu, sigma);
        let beta = standardise(hi, mu, sigma);
        let mode = 0f64.clamp(alpha, beta);
        let width = ((hi - lo) / sigma).min(2.0 * BIG);
        let lo_tail = Tail::eager(alpha);
        let hi_tail = Tail::eager(beta);
        let mode_scale = Scale::eager(mode);
        let scaled_mass = int_phi(lo_tail, hi_tail, width, mode_scale);
        let mass = scaled_mass * phi(mode);
        if mass.is_nan() || mass < f64::MIN_POSITIVE || !scaled_mass.is_finite() {
            return Err(DistributionError::NoMassInSupport { lo, hi });
        }
        let mean_std = int_x_phi(alpha, beta, width, mode) / scaled_mass;
        let var_std = variance_std(alpha, beta, width, mode, scaled_mass, mean_std);
        Ok(Self {
            mu,
            sigma,
            lo,
            hi,
            alpha,
            beta,
            mode,
            scaled_mass,
            mass,
            mean_std,
            var_std,
            lo_tail,
            hi_tail,
            mode_scale,
            ln_norm: (sigma * scaled_mass).ln(),
            inv_sigma: 1.0 / sigma,
            inv_scaled_mass: 1.0 / scaled_mass,
            density_factor: 1.0 / (scaled_mass * sigma),
            phi_mode: phi(mode),
            lo_below: BelowEnd::new(alpha, mode),
            hi_below: BelowEnd::new(-beta, -mode),
        })
    }

    /// The standardised coordinate of `z` (clamped to the support), with its
    /// distances to both ends, `(t, t − α, β − t)`. The distances are formed
    /// from `z − lo` and `hi − z`, which are exact or nearly so near each end,
    /// rather than by subtracting rounded standardised values.
    fn point(&self, z: f64) -> Std {
        let z = z.clamp(self.lo, self.hi);
        Std {
            t: standardise(z, self.mu, self.sigma).clamp(self.alpha, self.beta),
            from_lo: ((z - self.lo) * self.inv_sigma).min(2.0 * BIG),
            to_hi: ((self.hi - z) * self.inv_sigma).min(2.0 * BIG),
        }
    }

    /// The standardised coordinate of `z` alone, `t` of [`Self::point`]:
    /// the density and its slope need no distances to the ends.
    fn std_coordinate(&self, z: f64) -> f64 {
        standardise(z.clamp(self.lo, self.hi), self.mu, self.sigma).clamp(self.alpha, self.beta)
    }

    /// The standardised point `t ∈ [α, β]` with distances `t − α`, `β − t`.
    fn std_point(&self, t: f64) -> Std {
        Std {
            t,
            from_lo: t - self.alpha,
            to_hi: self.beta - t,
        }
    }

    /// `F` at a standardised point, given `φ(t)/φ(c)` if already known.
    fn cdf_std(&self, p: Std, rel: Option<f64>) -> f64 {
        let tail = self.tail_at(p.t, !is_short(self.alpha, p.t, p.from_lo), rel);
        let num = int_phi(self.lo_tail, tail, p.from_lo, self.mode_scale);
        (num * self.inv_scaled_mass).min(1.0)
    }

    /// `1 − F` at a standardised point, given `φ(t)/φ(c)` if already known.
    fn sf_std(&self, p: Std, rel: Option<f64>) -> f64 {
        let tail = self.tail_at(p.t, !is_short(p.t, self.beta, p.to_hi), rel);
        let num = int_phi(tail, self.hi_tail, p.to_hi, self.mode_scale);
        (num * self.inv_scaled_mass).min(1.0)
    }

    /// `t` as an end of an integral of `φ`, with its nearer-tail
    /// probability if the integral will need it (`needed`: it is not
    /// short). Near the mean from `erfc` ([`ERFC_RATIONAL`]); farther out as
    /// `Q(|t|) = φ(c)·(φ(t)/φ(c))·R(|t|)`, from the density ratio
    /// `rel = φ(t)/φ(c)` (computed here if not supplied) and Mills' ratio,
    /// so that a caller that has the density pays only a rational function
    /// for the tail. Left to be computed on demand where the product is not
    /// a normal number (far in a tail, `Q` is formed relative to `φ(s)`).
    fn tail_at(&self, t: f64, needed: bool, rel: Option<f64>) -> Tail {
        if !needed || t.abs() > ERFC_MAX {
            return Tail::lazy(t);
        }
        if t.abs() < ERFC_RATIONAL {
            return Tail::eager(t);
        }
        let rel = rel.unwrap_or_else(|| rel_phi(t, self.mode));
        let p = rel * mills(t.abs()) * self.phi_mode;
        if (f64::MIN_POSITIVE..=0.5).contains(&p) {
            Tail { x: t, p }
        } else {
            Tail::lazy(t)
        }
    }

    /// `(f(z), f'(z))` from one evaluation of the density (`f' = −(t/σ) f`
    /// at the standardised point `t`); both 0 outside the support.
    fn pdf_and_derivative(&self, z: f64) -> (f64, f64) {
        if z >= self.lo && z <= self.hi {
            let t = self.std_coordinate(z);
            let f = rel_phi(t, self.mode) * self.density_factor;
            if t == 0.0 || f == 0.0 {
                (f, 0.0)
            } else {
                (f, -(t * self.inv_sigma) * f)
            }
        } else {
            (0.0, 0.0)
        }
    }

    /// A starting point for the quantile's Newton iteration: the untruncated
    /// normal quantile of the matching probability, or a linear guess.
    fn quantile_start(&self, u: f64) -> f64 {
        let (alpha, beta) = (self.alpha, self.beta);
        let linear = alpha + u * (beta - alpha);
        // Φ⁻¹ from the tail the support lies in: Q(t) = Q(α) − u·mass above
        // the mean, Φ(t) = Φ(α) + u·mass otherwise.
        let (p, sign) = if alpha >= 0.0 {
            (self.lo_tail.p - u * self.mass, 1.0)
        } else {
            (self.lo_tail.p + u * self.mass, -1.0)
        };
        let guess = sign * std::f64::consts::SQRT_2 * erfc_inv(2.0 * p);
        if guess.is_finite() && p > 0.0 && p < 1.0 {
            guess.clamp(alpha, beta)
        } else {
            linear
        }
    }
}

impl TruncatedNormal {
    /// The location `μ` of the untruncated normal.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::TruncatedNormal;
    /// assert_eq!(TruncatedNormal::new(0.5, 2.0, -1.0, 1.0)?.mu(), 0.5);
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    pub fn mu(&self) -> f64 {
        self.mu
    }

    /// The scale `σ` of the untruncated normal.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::TruncatedNormal;
    /// assert_eq!(TruncatedNormal::new(0.5, 2.0, -1.0, 1.0)?.sigma(), 2.0);
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    pub fn sigma(&self) -> f64 {
        self.sigma
    }
}

impl EndowmentDistribution for TruncatedNormal {
    /// Exact: the density is largest at the mean and smallest at an end of
    /// the interval, its slope extreme one standard deviation either side of
    /// the mean (or at an end).
    fn density_bounds(&self, a: f64, b: f64) -> Option<DensityBounds> {
        let (a, b) = (a.max(self.lo), b.min(self.hi));
        let inside = |z: f64| z > a && z < b;
        let points = [a, b, self.mu, self.mu - self.sigma, self.mu + self.sigma]
            .into_iter()
            .enumerate()
            .filter(|&(k, z)| k < 2 || inside(z))
            .map(|(_, z)| self.pdf_and_derivative(z));
        Some(DensityBounds::of_points(points))
    }

    /// Exact: `f'/f = (μ − z)/σ²` is linear, extreme at the ends.
    fn pdf_log_derivative_bounds(&self, a: f64, b: f64) -> Option<(f64, f64)> {
        let (a, b) = (a.max(self.lo), b.min(self.hi));
        let at = |z: f64| (self.mu - z) / self.sigma / self.sigma;
        Some((at(b), at(a)))
    }

    /// Log-concave: Condition 2 holds at every weight.
    fn log_concave(&self) -> bool {
        true
    }

    /// `(ln f)'' = −1/σ²` everywhere.
    fn log_concavity(&self) -> Option<f64> {
        Some(1.0 / self.sigma / self.sigma)
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
            self.cdf_std(self.point(z), None)
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
            self.sf_std(self.point(z), None)
        }
    }

    fn pdf(&self, z: f64) -> f64 {
        if z >= self.lo && z <= self.hi {
            rel_phi(self.std_coordinate(z), self.mode) * self.density_factor
        } else {
            0.0
        }
    }

    fn pdf_derivative(&self, z: f64) -> f64 {
        self.pdf_and_derivative(z).1
    }

    /// `−(t² − c²)/2 − ln(σ · scaled mass)` at the standardised point `t`
    /// (`c` the standardised mode), finite however far the tail.
    fn ln_pdf(&self, z: f64) -> f64 {
        if z >= self.lo && z <= self.hi {
            let t = self.std_coordinate(z);
            -0.5 * (t - self.mode) * (t + self.mode) - self.ln_norm
        } else {
            f64::NEG_INFINITY
        }
    }

    fn pdf_log_derivative(&self, z: f64) -> f64 {
        if z > self.lo && z < self.hi {
            -self.std_coordinate(z) * self.inv_sigma
        } else {
            self.pdf_derivative(z) / self.pdf(z)
        }
    }

    fn partial_moment(&self, a: f64) -> f64 {
        if a.is_nan() {
            return f64::NAN;
        }
        if a <= self.lo {
            return 0.0;
        }
        if a >= self.hi {
            return self.mean();
        }
        let p = self.point(a);
        // ∫_lo^a z f = μ F(a) + σ (φ(α) − φ(t)) / mass.
        self.mu * self.cdf_std(p, None)
            + self.sigma * int_x_phi(self.alpha, p.t, p.from_lo, self.mode) * self.inv_scaled_mass
    }

    fn mean(&self) -> f64 {
        self.mu + self.sigma * self.mean_std
    }

    fn second_moment(&self) -> f64 {
        let m = self.mean();
        self.variance() + m * m
    }

    fn variance(&self) -> f64 {
        self.sigma * self.sigma * self.var_std
    }

    fn cdf_integral(&self, a: f64) -> f64 {
        if a.is_nan() {
            f64::NAN
        } else if a <= self.lo {
            0.0
        } else if a >= self.hi {
            // hi − E[Z] formed without cancellation, then F = 1 beyond hi.
            let p = self.point(self.hi);
            self.sigma * int_below(self.lo_below, p.t, p.from_lo, self.mode) * self.inv_scaled_mass
                + (a - self.hi)
        } else {
            let p = self.point(a);
            self.sigma * int_below(self.lo_below, p.t, p.from_lo, self.mode) * self.inv_scaled_mass
        }
    }

    fn sf_integral(&self, a: f64) -> f64 {
        if a.is_nan() {
            f64::NAN
        } else if a >= self.hi {
            0.0
        } else if a <= self.lo {
            // E[Z] − lo formed without cancellation, then 1 − F = 1 below lo.
            let p = self.point(self.lo);
            self.sigma * int_below(self.hi_below, -p.t, p.to_hi, -self.mode) * self.inv_scaled_mass
                + (self.lo - a)
        } else {
            let p = self.point(a);
            // ∫_t^β (x − t) φ(x) dx is the mirror image of `int_below`.
            self.sigma * int_below(self.hi_below, -p.t, p.to_hi, -self.mode) * self.inv_scaled_mass
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
        let start = self.quantile_start(u);
        // Solve in the nearer tail: F(t) = u below the median, 1 − F(t) = 1 − u
        // above it (1 − u is exact for u ≥ 1/2). Both are increasing in t,
        // negative at α and positive at β, so the ends need no evaluation.
        let t = if u <= 0.5 {
            newton_increasing(
                |t| {
                    let rel = rel_phi(t, self.mode);
                    let f = self.cdf_std(self.std_point(t), Some(rel)) - u;
                    settled(t, f, rel * self.inv_scaled_mass)
                },
                self.alpha,
                self.beta,
                start,
                4.0 * f64::EPSILON,
                0.0,
            )
        } else {
            let v = 1.0 - u;
            newton_increasing(
                |t| {
                    let rel = rel_phi(t, self.mode);
                    let f = v - self.sf_std(self.std_point(t), Some(rel));
                    settled(t, f, rel * self.inv_scaled_mass)
                },
                self.alpha,
                self.beta,
                start,
                4.0 * f64::EPSILON,
                0.0,
            )
        }
        // Only a CDF that is not finite can make the bracketed iteration
        // fail; say so with NaN (as the other quantiles do) rather than
        // return the starting guess as if it were the quantile.
        .unwrap_or(f64::NAN);
        (self.mu + self.sigma * t).clamp(self.lo, self.hi)
    }

    fn cdf_pdf_ratio(&self, z: f64) -> f64 {
        if z.is_nan() {
            return f64::NAN;
        }
        let p = self.point(z);
        // F/f = σ ∫_α^t φ / φ(t), formed without dividing by φ(t).
        self.sigma * int_phi(self.lo_tail, Tail::lazy(p.t), p.from_lo, Scale::lazy(p.t))
    }

    fn sf_pdf_ratio(&self, z: f64) -> f64 {
        if z.is_nan() {
            return f64::NAN;
        }
        let p = self.point(z);
        self.sigma * int_phi(Tail::lazy(p.t), self.hi_tail, p.to_hi, Scale::lazy(p.t))
    }

    /// One standardisation for both (the separate calls take one each); the
    /// same values as `pdf` and `cdf` or `sf`.
    fn pdf_and_tail(&self, z: f64, which: HazardRatio) -> (f64, f64) {
        if !(z > self.lo && z < self.hi) {
            let tail = match which {
                HazardRatio::CdfOverPdf => self.cdf(z),
                HazardRatio::SfOverPdf => self.sf(z),
            };
            return (self.pdf(z), tail);
        }
        let p = self.point(z);
        let rel = rel_phi(p.t, self.mode);
        let tail = match which {
            HazardRatio::CdfOverPdf => self.cdf_std(p, Some(rel)),
            HazardRatio::SfOverPdf => self.sf_std(p, Some(rel)),
        };
        (rel * self.density_factor, tail)
    }

    /// One standardisation for both; the ratio is `cdf_pdf_ratio`'s or
    /// `sf_pdf_ratio`'s to the bit, the density `pdf`'s.
    fn pdf_and_ratio(&self, z: f64, which: HazardRatio) -> (f64, f64) {
        if z.is_nan() || z < self.lo || z > self.hi {
            let r = match which {
                HazardRatio::CdfOverPdf => self.cdf_pdf_ratio(z),
                HazardRatio::SfOverPdf => self.sf_pdf_ratio(z),
            };
            return (self.pdf(z), r);
        }
        let p = self.point(z);
        let r = match which {
            HazardRatio::CdfOverPdf => {
                int_phi(self.lo_tail, Tail::lazy(p.t), p.from_lo, Scale::lazy(p.t))
            }
            HazardRatio::SfOverPdf => {
                int_phi(Tail::lazy(p.t), self.hi_tail, p.to_hi, Scale::lazy(p.t))
            }
        };
        (
            rel_phi(p.t, self.mode) * self.density_factor,
            self.sigma * r,
        )
    }

    /// One standardisation, one density (which also gives `1/φ(t)` for the
    /// ratio's scale) and one error function for the tail at `t`, shared by
    /// the ratio's and the survival function's integrals of `φ`.
    fn density_and_ratio(&self, z: f64, which: HazardRatio) -> (f64, f64, f64) {
        if z.is_nan() || z <= self.lo || z >= self.hi {
            let r = match which {
                HazardRatio::CdfOverPdf => self.cdf_pdf_ratio(z),
                HazardRatio::SfOverPdf => self.sf_pdf_ratio(z),
            };
            return (self.pdf(z), r, self.sf(z));
        }
        let p = self.point(z);
        let rel = rel_phi(p.t, self.mode);
        // The tail probability at t, for both integrals, from the density.
        let needed = !is_short(self.alpha, p.t, p.from_lo) || !is_short(p.t, self.beta, p.to_hi);
        let tail = self.tail_at(p.t, needed, Some(rel));
        // 1/φ(t) = (1/φ(mode)) / (φ(t)/φ(mode)), to two roundings, where
        // both are normal numbers; otherwise computed where needed.
        let inv = self.mode_scale.inv_phi / rel;
        let scale = if rel >= f64::MIN_POSITIVE && inv.is_finite() {
            Scale {
                s: p.t,
                inv_phi: inv,
            }
        } else {
            Scale::lazy(p.t)
        };
        let sf_num = int_phi(tail, self.hi_tail, p.to_hi, self.mode_scale);
        let r = match which {
            HazardRatio::CdfOverPdf => int_phi(self.lo_tail, tail, p.from_lo, scale),
            HazardRatio::SfOverPdf => int_phi(tail, self.hi_tail, p.to_hi, scale),
        };
        (
            rel * self.density_factor,
            self.sigma * r,
            (sf_num * self.inv_scaled_mass).min(1.0),
        )
    }

    /// The constructor checks the parameters that make this a valid
    /// endowment distribution.
    fn validated_by_construction(&self) -> bool {
        true
    }
}

/// `(f, f')` for a Newton iteration at `x`, with `f` replaced by an exact
/// zero once the Newton correction `f/f'` is below half an ulp of `x`: `x`
/// is then the root to the resolution of `f64`, and a zero ends
/// [`newton_increasing`] at once (a correction that rounds away would
/// otherwise be taken for a step leaving the bracket, and bisected).
fn settled(x: f64, f: f64, df: f64) -> (f64, f64) {
    if f.abs() <= 0.5 * f64::EPSILON * x.abs() * df {
        (0.0, df)
    } else {
        (f, df)
    }
}

/// `(z − μ)/σ`, clamped to `±BIG` (it can overflow only for absurd scales).
fn standardise(z: f64, mu: f64, sigma: f64) -> f64 {
    ((z - mu) / sigma).clamp(-BIG, BIG)
}

/// `x²/2` as `hi + lo` for `|x| < SPLIT_LIMIT`, with `hi` exactly
/// representable and `|lo| < 2^−14` (Cody's splitting, finer): `x` cut to
/// 20 fractional bits is `xs` (26 significant bits, so `xs²` is exact), and
/// `lo = (x − xs)(x + xs)/2` with `|x − xs| < 2^−20`.
fn half_square(x: f64) -> (f64, f64) {
    debug_assert!(x.abs() < SPLIT_LIMIT);
    // The cast truncates exactly (|x| · 2^20 < 2^26); `trunc` is a
    // library call on the baseline x86-64 target.
    let xs = (x * SPLIT_STEP) as i64 as f64 / SPLIT_STEP;
    (0.5 * xs * xs, 0.5 * (x - xs) * (x + xs))
}

/// `exp(r)` for `|r| < 2^−13`, the remainder of a split square: four terms
/// of the series (the fifth is below `2^−70`).
fn exp_small(r: f64) -> f64 {
    1.0 + r * (1.0 + 0.5 * r * (1.0 + r * (1.0 / 3.0) * (1.0 + 0.25 * r)))
}

/// The standard normal density `φ(x)`.
fn phi(x: f64) -> f64 {
    if x.abs() < SPLIT_LIMIT {
        let (h, l) = half_square(x);
        INV_SQRT_2PI * f64::exp(-h) * exp_small(-l)
    } else {
        0.0
    }
}

/// `1/φ(x)`; `+∞` where it overflows.
fn inv_phi(x: f64) -> f64 {
    if x.abs() < SPLIT_LIMIT {
        let (h, l) = half_square(x);
        SQRT_2PI * f64::exp(h) * exp_small(l)
    } else {
        f64::INFINITY
    }
}

/// `φ(x)/φ(s) = exp(−(x − s)(x + s)/2)`, accurate where `φ(x)` underflows.
fn rel_phi(x: f64, s: f64) -> f64 {
    if x.abs() < SPLIT_LIMIT && s.abs() < SPLIT_LIMIT {
        let (hx, lx) = half_square(x);
        let (hs, ls) = half_square(s);
        // hs − hx is exact (multiples of 2^−41 below 2^11); one exponential
        // of it, and the remainders' by their series.
        f64::exp(hs - hx) * exp_small(ls - lx)
    } else {
        f64::exp(-0.5 * (x - s) * (x + s))
    }
}

/// The upper tail `Q(x) = 1 − Φ(x) = erfc(x/√2)/2` for `x ≥ 0` (zero from 40
/// on, where it underflows).
///
/// `y = x/√2` is rounded, and `erfc` magnifies a relative change `δ` of its
/// argument into a relative change `2y²δ` of its value; with the exact
/// residual `e = x/√2 − y` (Dekker's product with `1/√2` held as a
/// double-double) the result is corrected by the factor
/// `exp(−e(2y + e)) = 1 − 2ye` to rounding.
fn upper_tail(x: f64) -> f64 {
    if x >= 40.0 {
        return 0.0;
    }
    let y = x * FRAC_1_SQRT_2;
    let xh = f64::from_bits(x.to_bits() & !((1 << 27) - 1));
    let xl = x - xh;
    let e = (((xh * FRAC_1_SQRT_2_HI - y) + xh * FRAC_1_SQRT_2_MID + xl * FRAC_1_SQRT_2_HI)
        + xl * FRAC_1_SQRT_2_MID)
        + x * FRAC_1_SQRT_2_LO;
    0.5 * libm::erfc(y) * (1.0 - 2.0 * y * e)
}

/// The continued fraction `x + m/(x + (m+1)/(x + (m+2)/(x + …)))` by the
/// modified Lentz method. `1/cf(x, 1)` is Mills' ratio. It needs about 100
/// terms at `x = 2`, 30 at `x = 4`, 14 at `x = 8` and 5 at `x = 37`.
fn cf(x: f64, m: f64) -> f64 {
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for j in 0..1000 {
        let a = m + f64::from(j);
        d = x + a * d;
        c = x + a / c;
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() <= f64::EPSILON {
            break;
        }
    }
    f
}

/// Mills' ratio `R(x) = Q(x)/φ(x) = √(π/2)·erfcx(x/√2)` for `x ≥ 0`, one
/// rational function at every `x` (within 3 ulps of mpmath).
fn mills(x: f64) -> f64 {
    SQRT_HALF_PI * erfcx(x * FRAC_1_SQRT_2)
}

/// `D(x) = 1 − x R(x) = Ψ(x)/φ(x)` for `x ≥ 0`, where `Ψ(x) = ∫_x^∞ Q`.
fn mills_d(x: f64) -> f64 {
    if x >= D_CF_FROM {
        // 1/R = x + K with K = 1/cf(x, 2), so 1 − xR = R·K.
        1.0 / (cf(x, 1.0) * cf(x, 2.0))
    } else {
        1.0 - x * mills(x)
    }
}

/// `E(x) = ((1 + x²) R(x) − x)/2 = Ψ₂(x)/φ(x)` for `x ≥ TAIL_VARIANCE_FROM`,
/// where `Ψ₂(x) = ∫_x^∞ Ψ`; equal to `R·K·L` with `L = 1/cf(x, 3)`.
fn mills_e(x: f64) -> f64 {
    1.0 / (cf(x, 1.0) * cf(x, 2.0) * cf(x, 3.0))
}

/// A standardised point `t` with its distances to the ends of `[α, β]`.
#[derive(Debug, Clone, Copy)]
struct Std {
    t: f64,
    from_lo: f64,
    to_hi: f64,
}

/// A reference point `s` for integrals `∫ φ / φ(s)`, with `1/φ(s)` (`+∞`
/// where it overflows), or NaN while not yet needed.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scale {
    s: f64,
    inv_phi: f64,
}

impl Scale {
    fn eager(s: f64) -> Self {
        Scale {
            s,
            inv_phi: inv_phi(s),
        }
    }

    fn lazy(s: f64) -> Self {
        Scale {
            s,
            inv_phi: f64::NAN,
        }
    }

    fn resolved(self) -> Self {
        if self.inv_phi.is_nan() {
            Self::eager(self.s)
        } else {
            self
        }
    }
}

/// A standardised point `x` with its nearer-tail probability
/// `min(Φ(x), Q(x)) = Q(|x|)`, or NaN while not yet needed.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Tail {
    x: f64,
    p: f64,
}

impl Tail {
    fn eager(x: f64) -> Self {
        Tail {
            x,
            p: upper_tail(x.abs()),
        }
    }

    fn lazy(x: f64) -> Self {
        Tail { x, p: f64::NAN }
    }

    fn prob(self) -> f64 {
        if self.p.is_nan() {
            upper_tail(self.x.abs())
        } else {
            self.p
        }
    }

    /// The nearer-tail probability divided by `φ(s)`: Mills' ratio alone
    /// where `x = s`; the known tail times a known `1/φ(s)` where both are
    /// representable; else `φ(x)/φ(s) · R(|x|)` (two exponentials and a
    /// rational function, where the tail itself would take an error
    /// function and the same two exponentials).
    fn over_phi(self, sc: Scale) -> f64 {
        if self.x == sc.s {
            mills(self.x.abs())
        } else if !self.p.is_nan() && self.x.abs() <= ERFC_MAX && sc.inv_phi.is_finite() {
            self.p * sc.inv_phi
        } else {
            rel_phi(self.x, sc.s) * mills(self.x.abs())
        }
    }
}

/// Whether `[a, b]` (of length `len = b − a`) is short enough, relative to
/// the decay of `φ` on it, for the series of [`short_sums`]: `φ` changes by
/// at most a factor of about `e` across it, and differences of tails would
/// cancel.
fn is_short(a: f64, b: f64, len: f64) -> bool {
    len * 1f64.max(a.abs()).max(b.abs()) <= 1.0
}

/// `RECIPROCALS[n] = 1/(n + 1)`, correctly rounded, for the series below.
const RECIPROCALS: [f64; 62] = {
    let mut r = [0.0; 62];
    let mut n = 0;
    while n < 62 {
        r[n] = 1.0 / (n as f64 + 1.0);
        n += 1;
    }
    r
};

/// `[S₀, S₁, S₂]` with `S_k = Σ_n G_n/(n + k + 1)`, where `G_n = c_n hⁿ` and
/// `exp(−c u − u²/2) = Σ c_n uⁿ`, so that
/// `∫_0^h u^k exp(−c u − u²/2) du = h^(k+1) S_k`. The coefficients follow
/// from `f' = −(c + u) f`: `(n + 1) c_(n+1) = −c c_n − c_(n−1)`. For
/// `|c|·h ≤ 1` and `h ≤ 1` the terms fall off factorially (25 or fewer
/// reach rounding); with `c ≤ 0` (expanding about the end farther from the
/// mean) they are all but positive, so the sums lose nothing to cancellation.
fn short_sums(c: f64, h: f64) -> [f64; 3] {
    let (ch, hh) = (c * h, h * h);
    let mut sums = [0.0; 3];
    let (mut g_prev, mut g) = (0.0, 1.0);
    for n in 0..60 {
        // Multiplying by tabulated reciprocals instead of dividing: the
        // terms differ by at most one rounding, and the loop is the
        // truncated normal's hottest.
        sums[0] += g * RECIPROCALS[n];
        sums[1] += g * RECIPROCALS[n + 1];
        sums[2] += g * RECIPROCALS[n + 2];
        let next = -(ch * g + hh * g_prev) * RECIPROCALS[n];
        if g.abs() + next.abs() <= 1e-18 * sums[0] {
            break;
        }
        (g_prev, g) = (g, next);
    }
    sums
}

/// The expansion of a short `[a, b]` (`len = b − a`) about its end `x₀`
/// farther from the mean, where `φ(x₀ ± w)/φ(x₀) = exp(c·w − w²/2)` inward
/// with `c = −|x₀| ≤ 0`: whether `x₀ = b` (moments are then in the distance
/// from `b`, else from `a`), and the sums of [`short_sums`].
fn short_expansion(a: f64, b: f64, len: f64) -> (bool, [f64; 3]) {
    if a.abs() >= b.abs() {
        (false, short_sums(a, len))
    } else {
        (true, short_sums(-b, len))
    }
}

/// `φ(x₀)/φ(s)` for the expansion point `x₀` of [`short_expansion`] (`b` if
/// `from_top`, else `a`). When `s` is an end of `[a, b]` (the point of a
/// hazard ratio) it is formed from `len`, as `exp(∓len·(a + b)/2)`, and not
/// from `a` and `b` themselves, which may carry rounding of order `ε·|a|`
/// where `len` is exact: `φ(b)/φ(a)` would otherwise pick up a relative
/// error of order `ε·a²` (`1e−12` at 100 standard deviations).
fn short_scale(a: f64, b: f64, len: f64, from_top: bool, s: f64) -> f64 {
    let x0 = if from_top { b } else { a };
    if s == x0 {
        1.0
    } else if s == a {
        // φ(b)/φ(a).
        f64::exp(-0.5 * len * (a + b))
    } else if s == b {
        // φ(a)/φ(b).
        f64::exp(0.5 * len * (a + b))
    } else {
        rel_phi(x0, s)
    }
}

/// `∫_a^b φ(x) dx / φ(s)` for `a ≤ b` (`len = b − a`, supplied by the
/// caller), from the nearer tails.
fn int_phi(a: Tail, b: Tail, len: f64, sc: Scale) -> f64 {
    if len.is_nan() || len <= 0.0 {
        return 0.0;
    }
    if is_short(a.x, b.x, len) {
        let (from_top, sums) = short_expansion(a.x, b.x, len);
        return short_scale(a.x, b.x, len, from_top, sc.s) * len * sums[0];
    }
    if b.x <= 0.0 {
        // Φ(b) − Φ(a), both lower tails.
        b.over_phi(sc) - a.over_phi(sc)
    } else if a.x >= 0.0 {
        // Q(a) − Q(b), both upper tails.
        a.over_phi(sc) - b.over_phi(sc)
    } else {
        // 1 − Φ(a) − Q(b); both tails are below 1/2 and, as the interval
        // holds 0 and is not short, the difference is above 1/3, so the
        // subtraction at most triples the terms' relative errors.
        let sc = sc.resolved();
        if sc.inv_phi.is_finite() {
            sc.inv_phi - a.over_phi(sc) - b.over_phi(sc)
        } else {
            (1.0 - a.prob() - b.prob()) * sc.inv_phi
        }
    }
}

/// `∫_a^b x φ(x) dx / φ(s) = (φ(a) − φ(b))/φ(s)` with `len = b − a`,
/// without cancellation.
fn int_x_phi(a: f64, b: f64, len: f64, s: f64) -> f64 {
    if len.is_nan() || len <= 0.0 {
        return 0.0;
    }
    if a.abs() >= b.abs() {
        // φ(a)/φ(b) = exp(len (a + b)/2) ≤ 1.
        rel_phi(b, s) * f64::exp_m1(0.5 * len * (a + b))
    } else {
        -rel_phi(a, s) * f64::exp_m1(-0.5 * len * (a + b))
    }
}

/// `∫_a^t (t − x) φ(x) dx / φ(s) = ∫_a^t (Φ(x) − Φ(a)) dx / φ(s)` for
/// `a ≤ t` with `len = t − a` (`a` and its terms from `end`, taken with
/// the same `s`): the numerator of the CDF's integral.
fn int_below(end: BelowEnd, t: f64, len: f64, s: f64) -> f64 {
    let a = end.x;
    if len.is_nan() || len <= 0.0 {
        return 0.0;
    }
    if is_short(a, t, len) {
        let (from_top, sums) = short_expansion(a, t, len);
        // The weight t − x is the distance u from t, or len − u from a.
        let weighted = if from_top { sums[1] } else { sums[0] - sums[1] };
        return short_scale(a, t, len, from_top, s) * len * len * weighted;
    }
    // With Ψ_L(x) = ∫_−∞^x Φ = x Φ(x) + φ(x) and Ψ_U(x) = ∫_x^∞ Q = φ(x) − x Q(x):
    // The end's terms are `end`'s (`R` and `D` at `|a|`, which is `−a`
    // where `a < 0`).
    if t <= 0.0 {
        // Ψ_L(t) − Ψ_L(a) − (t − a) Φ(a), with Ψ_L(x) = φ(x) D(−x) for x ≤ 0.
        rel_phi(t, s) * mills_d(-t) - end.rel * (end.d + len * end.r)
    } else if a >= 0.0 {
        // (t − a) Q(a) − Ψ_U(a) + Ψ_U(t).
        end.rel * (len * end.r - end.d) + rel_phi(t, s) * mills_d(t)
    } else {
        // Ψ_L(t) − Ψ_L(a) − (t − a) Φ(a), with Ψ_L(t) = t (1 − Q(t)) + φ(t) for t > 0.
        let psi_t = t * (inv_phi(s) - rel_phi(t, s) * mills(t)) + rel_phi(t, s);
        psi_t - end.rel * (end.d + len * end.r)
    }
}

/// The lower end `a` of an integral [`int_below`] with the terms that
/// depend on it alone: `φ(a)/φ(s)`, Mills' ratio `R(|a|)` and
/// `D(|a|) = 1 − |a| R(|a|)`. A truncated normal's `∫ F` and `∫ (1 − F)`
/// always start at an end of its support, so it computes them once (each is
/// an error function and two exponentials, or continued fractions of tens
/// of terms beyond four standard deviations), not at every call.
#[derive(Debug, Clone, Copy, PartialEq)]
struct BelowEnd {
    x: f64,
    rel: f64,
    r: f64,
    d: f64,
}

impl BelowEnd {
    /// The end `a` with its terms, `φ` taken relative to `φ(s)`.
    fn new(a: f64, s: f64) -> Self {
        BelowEnd {
            x: a,
            rel: rel_phi(a, s),
            r: mills(a.abs()),
            d: mills_d(a.abs()),
        }
    }
}

/// Variance of the standard normal truncated to `[a, b]` (`len = b − a`),
/// given the scaled mass `g = ∫_a^b φ/φ(s)` and the mean `m`.
fn variance_std(a: f64, b: f64, len: f64, s: f64, g: f64, m: f64) -> f64 {
    let v = if is_short(a, b, len) {
        // Moments of the distance from one end by the series: the variance is
        // len²·(S₂/S₀ − (S₁/S₀)²) ≈ len²/12, a cancellation of two bits.
        let (_, sums) = short_expansion(a, b, len);
        let (m1, m2) = (sums[1] / sums[0], sums[2] / sums[0]);
        len * len * (m2 - m1 * m1)
    } else if a >= TAIL_VARIANCE_FROM {
        tail_variance(a, b, len)
    } else if b <= -TAIL_VARIANCE_FROM {
        tail_variance(-b, -a, len)
    } else {
        // E[T²] = 1 + (a φ(a) − b φ(b))/mass; cancellation is mild here.
        1.0 + (a * rel_phi(a, s) - b * rel_phi(b, s)) / g - m * m
    };
    v.max(0.0)
}

/// Variance of the standard normal truncated to `[a, b]` (`len = b − a`)
/// with `TAIL_VARIANCE_FROM ≤ a < b`, from the moments of `Y = T − a`, which
/// are formed from tail integrals without cancellation (the closed form
/// `E[T²] − E[T]²` loses about `2 log₁₀ a` digits there).
fn tail_variance(a: f64, b: f64, len: f64) -> f64 {
    let g = int_phi(Tail::lazy(a), Tail::lazy(b), len, Scale::lazy(a));
    let eb = rel_phi(b, a);
    let (rb, db, eb_e) = if eb > 0.0 {
        (mills(b), mills_d(b), eb * mills_e(b))
    } else {
        (0.0, 0.0, 0.0)
    };
    // ∫_a^b (x − a) φ = Ψ(a) − Ψ(b) − (b − a) Q(b).
    let m1 = mills_d(a) - eb * db - len * eb * rb;
    // ∫_a^b (x − a)² φ = 2 [Ψ₂(a) − Ψ₂(b) − (b − a) Ψ(b) − (b − a)²/2 Q(b)].
    let m2 = 2.0 * (mills_e(a) - eb_e - len * eb * db - 0.5 * len * len * eb * rb);
    let e1 = m1 / g;
    m2 / g - e1 * e1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Q(x)` from mpmath at 40 digits.
    #[test]
    fn upper_tail_matches_high_precision_values() {
        let cases = [
            (0.0, 0.5),
            (0.5, 0.308_537_538_725_986_9),
            (1.0, 0.158_655_253_931_457_05),
            (1.25, 0.105_649_773_666_855_25),
            (2.5, 0.006_209_665_325_776_135),
            (3.0, 0.001_349_898_031_630_094_6),
            (8.0, 6.220_960_574_271_784e-16),
            (20.0, 2.753_624_118_606_233_7e-89),
            (30.0, 4.906_713_927_148_187e-198),
            (37.0, 5.725_571_222_524_577e-300),
        ];
        for (x, q) in cases {
            let got = upper_tail(x);
            assert!((got / q - 1.0).abs() < 1e-15, "x = {x}: {got}");
        }
        assert_eq!(upper_tail(40.0), 0.0);
        assert_eq!(upper_tail(1e150), 0.0);
    }

    /// Reference values of Mills' ratio from mpmath at 40 digits.
    #[test]
    fn mills_ratio_matches_high_precision_values() {
        let cases = [
            (0.5, 0.876_364_456_453_692_3),
            (1.0, 0.655_679_542_418_798_4),
            (2.0, 0.421_369_229_288_054_5),
            (3.0, 0.304_590_298_710_103_3),
            (8.0, 0.123_131_963_257_932_3),
            (30.0, 0.033_296_419_072_497_21),
        ];
        for (x, r) in cases {
            assert!((mills(x) / r - 1.0).abs() < 2e-15, "x = {x}: {}", mills(x));
        }
    }

    /// `φ(x)/φ(s)` from mpmath at 40 digits, near the mean and where `φ`
    /// itself is far below the smallest normal number.
    #[test]
    fn density_ratio_matches_high_precision_values() {
        let cases = [
            (0.3, 0.0, 0.955_997_481_833_099_9),
            (1.7, 0.2, 0.240_508_463_208_342_15),
            (5.123, 0.0, 1.999_597_795_256_242e-6),
            (12.5, 3.25, 2.313_989_233_070_928e-32),
            (30.0, 0.0, 3.693_883_068_487_256e-196),
            (-20.1, -19.7, 3.491_531_174_598_115_7e-4),
            (2.0, 8.0, 10_686_474_581_524.462),
        ];
        for (x, s, want) in cases {
            let got = rel_phi(x, s);
            assert!(
                (got / want - 1.0).abs() < 4.0 * f64::EPSILON,
                "({x}, {s}): {got}"
            );
        }
        let phi0 = 0.398_942_280_401_432_7;
        assert!((phi(5.123) / (phi0 * 1.999_597_795_256_242e-6) - 1.0).abs() < 4.0 * f64::EPSILON);
        assert!(
            (inv_phi(5.123) * phi0 * 1.999_597_795_256_242e-6 - 1.0).abs() < 4.0 * f64::EPSILON
        );
    }

    #[test]
    fn tail_functions_are_continuous_at_the_switches() {
        // Mills' ratio (a rational function) against Laplace's continued
        // fraction, an independent route, where the fraction converges fast.
        for x in [8.0, ERFC_MAX, 50.0, 1e3, 1e100] {
            let r = 1.0 / cf(x, 1.0);
            assert!((mills(x) / r - 1.0).abs() < 1e-15, "x = {x}");
        }
        let below = mills_d(D_CF_FROM * (1.0 - f64::EPSILON));
        let above = mills_d(D_CF_FROM);
        assert!((below / above - 1.0).abs() < 1e-14);
    }

    #[test]
    fn short_series_matches_tail_differences() {
        // On intervals just long enough to be short, where the difference of
        // tails loses at most a bit or two (dyadic ends, so that b = a + len
        // exactly).
        for (a, len) in [
            (-3.0, 0.3125),
            (0.25, 0.75),
            (2.0, 0.375),
            (-0.875, 1.0),
            (-25.0, 0.0390625),
        ] {
            let b: f64 = a + len;
            let exact = if b <= 0.0 {
                upper_tail(-b) - upper_tail(-a)
            } else if a >= 0.0 {
                upper_tail(a) - upper_tail(b)
            } else {
                1.0 - upper_tail(-a) - upper_tail(b)
            };
            assert!(is_short(a, b, len));
            let got = int_phi(Tail::lazy(a), Tail::lazy(b), len, Scale::eager(0.0)) * phi(0.0);
            assert!((got / exact - 1.0).abs() < 1e-14, "[{a}, {b}]: {got}");
        }
    }
}
