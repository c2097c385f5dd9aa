//! The normal distribution `N(μ, σ²)` truncated to `[lo, hi]`.
//!
//! Everything is computed in standardised units `t = (z − μ)/σ`, on the
//! standardised support `[α, β]`, and every probability is formed from the
//! tail nearer to it, so that relative accuracy holds far into either tail.
//!
//! The building block is Mills' ratio `R(x) = Q(x)/φ(x)` (`Q = 1 − Φ`), which
//! never underflows: a tail probability is written as `φ(x)·R(x)`, and the
//! factor `φ(x)` is only ever used relative to `φ` at a reference point, so
//! that probabilities (and the hazard ratios `F/f`, `(1 − F)/f`) stay
//! representable where `φ` itself underflows. `R` is evaluated from Laplace's
//! continued fraction for `x ≥ 2` and, below, from tabulated values at the
//! anchors `k/4` and a short Gauss–Legendre integral of `φ` up to `x`; both
//! are accurate to a few ulps. Where a difference of tail functions would
//! lose more than a few digits, the continued fractions of the repeated
//! integrals of `Q` (`Ψ(x) = ∫_x^∞ Q`, `Ψ₂(x) = ∫_x^∞ Ψ`) are used instead.
//!
//! `statrs` 0.19.1's `erf`/`erfc` are not used for the probabilities: for
//! arguments at or above 0.5 they carry a relative error of up to 1e-10 (the
//! interval constants of the Boost rational approximations were transcribed
//! to ten digits; fixed upstream in statrs PR #412, not yet released). Only
//! its `erfc_inv` is used, for the starting point of the quantile's Newton
//! iteration, where its accuracy does not matter.
//!
//! Integrals over short standardised intervals (`(b − a)·max(1, |a|, |b|) ≤ 1`),
//! where differences of tail functions would cancel, are evaluated with a
//! fixed 16-node Gauss–Legendre rule, which is exact to rounding there.

use super::{finite, support, DistributionError, EndowmentDistribution};
use crate::numerics::newton_bracketed;
use gauss_quad::GaussLegendre;
use statrs::function::erf::erfc_inv;
use std::num::NonZeroUsize;
use std::sync::OnceLock;

/// `1/√(2π)`.
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// `√(2π)`.
const SQRT_2PI: f64 = 2.506_628_274_631_000_7;
/// Standardised coordinates are clamped to `±BIG`; beyond it every density
/// ratio underflows and every tail probability is zero, and squares stay finite.
const BIG: f64 = 1e150;
/// Below this magnitude `x²/2` is split into an exactly representable part and
/// a small remainder before exponentiating.
const SPLIT_LIMIT: f64 = 64.0;
/// Mills' ratio switches from the anchored quadrature to the continued
/// fraction here.
const CF_FROM: f64 = 2.0;

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
        let alpha = standardise(lo, mu, sigma);
        let beta = standardise(hi, mu, sigma);
        let mode = 0f64.clamp(alpha, beta);
        let width = ((hi - lo) / sigma).min(2.0 * BIG);
        let scaled_mass = int_phi(alpha, beta, width, mode);
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
            from_lo: ((z - self.lo) / self.sigma).min(2.0 * BIG),
            to_hi: ((self.hi - z) / self.sigma).min(2.0 * BIG),
        }
    }

    /// The standardised point `t ∈ [α, β]` with distances `t − α`, `β − t`.
    fn std_point(&self, t: f64) -> Std {
        Std {
            t,
            from_lo: t - self.alpha,
            to_hi: self.beta - t,
        }
    }

    /// `F` at a standardised point.
    fn cdf_std(&self, p: Std) -> f64 {
        (int_phi(self.alpha, p.t, p.from_lo, self.mode) / self.scaled_mass).min(1.0)
    }

    /// `1 − F` at a standardised point.
    fn sf_std(&self, p: Std) -> f64 {
        (int_phi(p.t, self.beta, p.to_hi, self.mode) / self.scaled_mass).min(1.0)
    }

    /// The density of the standardised variable at `t ∈ [α, β]`.
    fn pdf_std(&self, t: f64) -> f64 {
        rel_phi(t, self.mode) / self.scaled_mass
    }

    /// A starting point for the quantile's Newton iteration: the untruncated
    /// normal quantile of the matching probability, or a linear guess.
    fn quantile_start(&self, u: f64) -> f64 {
        let (alpha, beta) = (self.alpha, self.beta);
        let linear = alpha + u * (beta - alpha);
        // Φ⁻¹ from the tail the support lies in: Q(t) = Q(α) − u·mass above
        // the mean, Φ(t) = Φ(α) + u·mass otherwise.
        let (p, sign) = if alpha >= 0.0 {
            (upper_tail(alpha) - u * self.mass, 1.0)
        } else {
            (lower_tail(alpha) + u * self.mass, -1.0)
        };
        let guess = sign * std::f64::consts::SQRT_2 * erfc_inv(2.0 * p);
        if guess.is_finite() && p > 0.0 && p < 1.0 {
            guess.clamp(alpha, beta)
        } else {
            linear
        }
    }
}

impl EndowmentDistribution for TruncatedNormal {
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
            self.cdf_std(self.point(z))
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
            self.sf_std(self.point(z))
        }
    }

    fn pdf(&self, z: f64) -> f64 {
        if z >= self.lo && z <= self.hi {
            self.pdf_std(self.point(z).t) / self.sigma
        } else {
            0.0
        }
    }

    fn pdf_derivative(&self, z: f64) -> f64 {
        if z >= self.lo && z <= self.hi {
            let t = self.point(z).t;
            let f = self.pdf_std(t) / self.sigma;
            if t == 0.0 || f == 0.0 {
                0.0
            } else {
                -(t / self.sigma) * f
            }
        } else {
            0.0
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
        self.mu * self.cdf_std(p)
            + self.sigma * int_x_phi(self.alpha, p.t, p.from_lo, self.mode) / self.scaled_mass
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
            self.sigma * int_below(self.alpha, p.t, p.from_lo, self.mode) / self.scaled_mass
                + (a - self.hi)
        } else {
            let p = self.point(a);
            self.sigma * int_below(self.alpha, p.t, p.from_lo, self.mode) / self.scaled_mass
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
            self.sigma * int_below(-self.beta, -p.t, p.to_hi, -self.mode) / self.scaled_mass
                + (self.lo - a)
        } else {
            let p = self.point(a);
            // ∫_t^β (x − t) φ(x) dx is the mirror image of `int_below`.
            self.sigma * int_below(-self.beta, -p.t, p.to_hi, -self.mode) / self.scaled_mass
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
        // above it (1 − u is exact for u ≥ 1/2).
        let t = if u <= 0.5 {
            newton_bracketed(
                |t| settled(t, self.cdf_std(self.std_point(t)) - u, self.pdf_std(t)),
                self.alpha,
                self.beta,
                start,
                4.0 * f64::EPSILON,
                0.0,
            )
        } else {
            let v = 1.0 - u;
            newton_bracketed(
                |t| settled(t, v - self.sf_std(self.std_point(t)), self.pdf_std(t)),
                self.alpha,
                self.beta,
                start,
                4.0 * f64::EPSILON,
                0.0,
            )
        }
        .unwrap_or(start);
        (self.mu + self.sigma * t).clamp(self.lo, self.hi)
    }

    fn cdf_pdf_ratio(&self, z: f64) -> f64 {
        if z.is_nan() {
            return f64::NAN;
        }
        let p = self.point(z);
        // F/f = σ ∫_α^t φ / φ(t), formed without dividing by φ(t).
        self.sigma * int_phi(self.alpha, p.t, p.from_lo, p.t)
    }

    fn sf_pdf_ratio(&self, z: f64) -> f64 {
        if z.is_nan() {
            return f64::NAN;
        }
        let p = self.point(z);
        self.sigma * int_phi(p.t, self.beta, p.to_hi, p.t)
    }
}

/// `(f, f')` for a Newton iteration at `x`, with `f` replaced by an exact
/// zero once the Newton correction `f/f'` is below half an ulp of `x`: `x`
/// is then the root to the resolution of `f64`, and a zero ends
/// [`newton_bracketed`] at once (a correction that rounds away would
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

/// `x²/2` as `hi + lo`, with `hi` exactly representable and `lo` small, so
/// that `exp(−x²/2)` keeps full relative accuracy (Cody's splitting).
fn half_square(x: f64) -> (f64, f64) {
    let xs = (x * 16.0).trunc() / 16.0;
    (0.5 * xs * xs, 0.5 * (x - xs) * (x + xs))
}

/// The standard normal density `φ(x)`.
fn phi(x: f64) -> f64 {
    if x.abs() < SPLIT_LIMIT {
        let (h, l) = half_square(x);
        INV_SQRT_2PI * (-h).exp() * (-l).exp()
    } else {
        0.0
    }
}

/// `1/φ(x)`; `+∞` where it overflows.
fn inv_phi(x: f64) -> f64 {
    if x.abs() < SPLIT_LIMIT {
        let (h, l) = half_square(x);
        SQRT_2PI * h.exp() * l.exp()
    } else {
        f64::INFINITY
    }
}

/// `φ(x)/φ(s) = exp(−(x − s)(x + s)/2)`, accurate where `φ(x)` underflows.
fn rel_phi(x: f64, s: f64) -> f64 {
    if x.abs() < SPLIT_LIMIT && s.abs() < SPLIT_LIMIT {
        let (hx, lx) = half_square(x);
        let (hs, ls) = half_square(s);
        // hx − hs is exact; the remainders are at most a few units.
        (hs - hx).exp() * (ls - lx).exp()
    } else {
        (-0.5 * (x - s) * (x + s)).exp()
    }
}

/// The continued fraction `x + m/(x + (m+1)/(x + (m+2)/(x + …)))` for
/// `x ≥ CF_FROM`, by the modified Lentz method. `1/cf(x, 1)` is Mills' ratio.
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

/// Mills' ratio at the anchors `x = k/4`, `k = 0, …, 7` (mpmath, 50 digits,
/// rounded to the nearest `f64`).
const MILLS_ANCHORS: [f64; 8] = [
    1.253_314_137_315_500_3,
    1.037_824_575_853_726_8,
    0.876_364_456_453_692_3,
    0.752_571_179_063_408_1,
    0.655_679_542_418_798_4,
    0.578_430_346_047_631_1,
    0.515_815_638_217_963_4,
    0.464_306_928_039_442_2,
];

/// Mills' ratio `R(x) = Q(x)/φ(x)` for `x ≥ 0`.
fn mills(x: f64) -> f64 {
    if x >= CF_FROM {
        1.0 / cf(x, 1.0)
    } else {
        // From the anchor x_k ≤ x below: Q(x) = Q(x_k) − ∫_(x_k)^x φ, so
        // R(x) = φ(x_k)/φ(x) · (R(x_k) − ∫_0^h φ(x_k + u)/φ(x_k) du) with
        // h = x − x_k ≤ 1/4; the difference loses at most a bit or two.
        let k = ((4.0 * x) as usize).min(MILLS_ANCHORS.len() - 1);
        let xk = k as f64 / 4.0;
        let h = x - xk;
        (0.5 * h * (x + xk)).exp() * (MILLS_ANCHORS[k] - gauss_offset(xk, h, |_, _| 1.0))
    }
}

/// `D(x) = 1 − x R(x) = Ψ(x)/φ(x)` for `x ≥ 0`, where `Ψ(x) = ∫_x^∞ Q`.
fn mills_d(x: f64) -> f64 {
    if x >= CF_FROM {
        // 1/R = x + K with K = 1/cf(x, 2), so 1 − xR = R·K.
        1.0 / (cf(x, 1.0) * cf(x, 2.0))
    } else {
        1.0 - x * mills(x)
    }
}

/// `E(x) = ((1 + x²) R(x) − x)/2 = Ψ₂(x)/φ(x)` for `x ≥ CF_FROM`, where
/// `Ψ₂(x) = ∫_x^∞ Ψ`; equal to `R·K·L` with `L = 1/cf(x, 3)`.
fn mills_e(x: f64) -> f64 {
    1.0 / (cf(x, 1.0) * cf(x, 2.0) * cf(x, 3.0))
}

/// `Q(x) = 1 − Φ(x)` (may underflow; used only for the quantile's start).
fn upper_tail(x: f64) -> f64 {
    if x >= 0.0 {
        phi(x) * mills(x)
    } else {
        1.0 - phi(x) * mills(-x)
    }
}

/// `Φ(x)` (may underflow; used only for the quantile's start).
fn lower_tail(x: f64) -> f64 {
    upper_tail(-x)
}

/// A standardised point `t` with its distances to the ends of `[α, β]`.
#[derive(Debug, Clone, Copy)]
struct Std {
    t: f64,
    from_lo: f64,
    to_hi: f64,
}

/// Whether `[a, b]` (of length `len = b − a`) is short enough, relative to
/// the decay of `φ` on it, for the fixed Gauss–Legendre rule to be exact to
/// rounding: `φ` changes by at most a factor of about `e` across it.
fn is_short(a: f64, b: f64, len: f64) -> bool {
    len * 1f64.max(a.abs()).max(b.abs()) <= 1.0
}

/// Nodes and weights of the 16-point Gauss–Legendre rule on `[−1, 1]`.
fn rule() -> &'static [(f64, f64)] {
    static RULE: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    RULE.get_or_init(|| {
        let n = NonZeroUsize::new(16).expect("16 is non-zero");
        GaussLegendre::new(n)
            .iter()
            .map(|(x, w)| (*x, *w))
            .collect()
    })
}

/// `∫_a^(a+len) weight(x − a, a + len − x) · φ(x)/φ(a) dx` by the fixed
/// rule, with the integrand written in the offsets from both ends (so that
/// the nodes carry no rounding error relative to the interval, however far
/// it lies from 0): `φ(a + u)/φ(a) = exp(−u (a + u/2))`.
fn gauss_offset(a: f64, len: f64, weight: impl Fn(f64, f64) -> f64) -> f64 {
    let h = 0.5 * len;
    h * rule()
        .iter()
        .map(|&(x, w)| {
            let u = h * (1.0 + x);
            let v = h * (1.0 - x);
            w * weight(u, v) * (-u * (a + 0.5 * u)).exp()
        })
        .sum::<f64>()
}

/// `∫_a^b φ(x) dx / φ(s)` for `a ≤ b`, with `len = b − a` supplied by the
/// caller, from the nearer tails.
fn int_phi(a: f64, b: f64, len: f64, s: f64) -> f64 {
    if len.is_nan() || len <= 0.0 {
        return 0.0;
    }
    if is_short(a, b, len) {
        rel_phi(a, s) * gauss_offset(a, len, |_, _| 1.0)
    } else if b <= 0.0 {
        // Φ(b) − Φ(a), both lower tails.
        rel_phi(b, s) * mills(-b) - rel_phi(a, s) * mills(-a)
    } else if a >= 0.0 {
        // Q(a) − Q(b), both upper tails.
        rel_phi(a, s) * mills(a) - rel_phi(b, s) * mills(b)
    } else {
        // 1 − Φ(a) − Q(b); both tails are below 1/2 and the interval holds 0.
        (1.0 - phi(a) * mills(-a) - phi(b) * mills(b)) * inv_phi(s)
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
        rel_phi(b, s) * (0.5 * len * (a + b)).exp_m1()
    } else {
        -rel_phi(a, s) * (-0.5 * len * (a + b)).exp_m1()
    }
}

/// `∫_a^t (t − x) φ(x) dx / φ(s) = ∫_a^t (Φ(x) − Φ(a)) dx / φ(s)` for
/// `a ≤ t` with `len = t − a`: the numerator of the CDF's integral.
fn int_below(a: f64, t: f64, len: f64, s: f64) -> f64 {
    if len.is_nan() || len <= 0.0 {
        return 0.0;
    }
    if is_short(a, t, len) {
        return rel_phi(a, s) * gauss_offset(a, len, |_, v| v);
    }
    // With Ψ_L(x) = ∫_−∞^x Φ = x Φ(x) + φ(x) and Ψ_U(x) = ∫_x^∞ Q = φ(x) − x Q(x):
    if t <= 0.0 {
        // Ψ_L(t) − Ψ_L(a) − (t − a) Φ(a), with Ψ_L(x) = φ(x) D(−x) for x ≤ 0.
        rel_phi(t, s) * mills_d(-t) - rel_phi(a, s) * (mills_d(-a) + len * mills(-a))
    } else if a >= 0.0 {
        // (t − a) Q(a) − Ψ_U(a) + Ψ_U(t).
        rel_phi(a, s) * (len * mills(a) - mills_d(a)) + rel_phi(t, s) * mills_d(t)
    } else {
        // Ψ_L(t) − Ψ_L(a) − (t − a) Φ(a), with Ψ_L(t) = t (1 − Q(t)) + φ(t) for t > 0.
        let psi_t = t * (inv_phi(s) - rel_phi(t, s) * mills(t)) + rel_phi(t, s);
        psi_t - rel_phi(a, s) * (mills_d(-a) + len * mills(-a))
    }
}

/// Variance of the standard normal truncated to `[a, b]` (`len = b − a`),
/// given the scaled mass `g = ∫_a^b φ/φ(s)` and the mean `m`.
fn variance_std(a: f64, b: f64, len: f64, s: f64, g: f64, m: f64) -> f64 {
    let v = if is_short(a, b, len) {
        // Moments about the midpoint by quadrature: no cancellation.
        let g0 = gauss_offset(a, len, |_, _| 1.0);
        let m1 = gauss_offset(a, len, |u, v| 0.5 * (u - v)) / g0;
        let m2 = gauss_offset(a, len, |u, v| 0.25 * (u - v) * (u - v)) / g0;
        m2 - m1 * m1
    } else if a >= CF_FROM {
        tail_variance(a, b, len)
    } else if b <= -CF_FROM {
        tail_variance(-b, -a, len)
    } else {
        // E[T²] = 1 + (a φ(a) − b φ(b))/mass; cancellation is mild here.
        1.0 + (a * rel_phi(a, s) - b * rel_phi(b, s)) / g - m * m
    };
    v.max(0.0)
}

/// Variance of the standard normal truncated to `[a, b]` (`len = b − a`)
/// with `CF_FROM ≤ a < b`, from the moments of `Y = T − a`, which are formed
/// from tail integrals without cancellation (the closed form `E[T²] − E[T]²`
/// loses about `2 log₁₀ a` digits there).
fn tail_variance(a: f64, b: f64, len: f64) -> f64 {
    let g = int_phi(a, b, len, a);
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

    #[test]
    fn mills_ratio_is_continuous_at_the_switch() {
        let below = mills(CF_FROM * (1.0 - f64::EPSILON));
        let above = mills(CF_FROM);
        assert!((below / above - 1.0).abs() < 1e-14);
        let below = mills_d(CF_FROM * (1.0 - f64::EPSILON));
        let above = mills_d(CF_FROM);
        assert!((below / above - 1.0).abs() < 1e-14);
    }
}
