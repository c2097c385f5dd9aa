//! A density whose logarithm is piecewise linear and concave: the form of
//! the log-concave maximum likelihood estimate (Walther 2002;
//! Dümbgen and Rufibach 2009), built by
//! [`crate::estimation::log_concave_mle`].
//!
//! On a segment `[x_j, x_{j+1}]` of width `δ` the log-density runs linearly
//! from `φ_j` to `φ_{j+1}`, so every quantity is an integral of an
//! exponential times a polynomial of degree at most two over the segment.
//! They are all written through the three integrals
//! `E_k(p, q) = ∫_0^1 v^k e^{(1−v) p + v q} dv`, `k = 0, 1, 2`, evaluated
//! with the larger exponent factored out (no overflow) and, where
//! `|p − q| < 1`, by their power series, so that `(e^q − e^p)/(q − p)` and
//! its relatives never divide a difference of nearly equal numbers.

use super::{ratio, support, DistributionError, EndowmentDistribution, HazardRatio};
use crate::numerics::SegmentIndex;

/// A density `f = exp φ` on `[x_0, x_n]` with `φ` linear between knots
/// `x_0 < … < x_n` (`n ≥ 1`) and concave (slopes never increase). The
/// log-density is normalised on construction, so only its shape matters
/// (adding a constant to every value gives the same distribution).
///
/// A log-concave density satisfies the paper's Condition 2 (`F/f`
/// increasing, `(1 − F)/f` decreasing), so a class with this distribution
/// never needs ironing; [`log_concave`](EndowmentDistribution::log_concave)
/// returns `true`. The density is positive on the whole support, ends
/// included.
///
/// Closed forms, piece by piece (each evaluation is a binary search plus a
/// few exponentials): the CDF, the survival function, the partial first
/// moment, the mean, the second moment, the variance, the integrals of the
/// CDF and of the survival function, and the quantile.
///
/// # Example
/// ```
/// use exchange_design::distribution::{EndowmentDistribution, LogConcave};
/// // φ(z) = −z on [0, 1] (unnormalised): the exponential truncated to [0, 1].
/// let d = LogConcave::new(vec![0.0, 1.0], vec![0.0, -1.0])?;
/// let mass = 1.0 - (-1.0f64).exp();
/// assert!((d.cdf(0.5) - (1.0 - (-0.5f64).exp()) / mass).abs() < 1e-15);
/// assert!((d.pdf(0.0) - 1.0 / mass).abs() < 1e-15);
/// assert!(d.log_concave());
/// # Ok::<(), exchange_design::distribution::DistributionError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LogConcave {
    /// Knots `x_0 < … < x_n`.
    knots: Vec<f64>,
    /// Normalised log-density at the knots.
    log_density: Vec<f64>,
    /// `cdf[j] = F(x_j)`.
    #[cfg_attr(feature = "serde", serde(skip))]
    cdf: Vec<f64>,
    /// `sf[j] = 1 − F(x_j)`, accumulated from the top.
    #[cfg_attr(feature = "serde", serde(skip))]
    sf: Vec<f64>,
    /// `moment[j] = ∫_{x_0}^{x_j} z f(z) dz`.
    #[cfg_attr(feature = "serde", serde(skip))]
    moment: Vec<f64>,
    /// `cdf_int[j] = ∫_{x_0}^{x_j} F(s) ds`.
    #[cfg_attr(feature = "serde", serde(skip))]
    cdf_int: Vec<f64>,
    /// `sf_int[j] = ∫_{x_j}^{x_n} (1 − F(s)) ds`, accumulated from the top.
    #[cfg_attr(feature = "serde", serde(skip))]
    sf_int: Vec<f64>,
    /// Finds a point's segment in constant time.
    #[cfg_attr(feature = "serde", serde(skip))]
    index: SegmentIndex,
}

/// `(c0, c1, c2) = (∫(1−u)² e^{ud}, ∫u(1−u) e^{ud}, ∫u² e^{ud})` over
/// `[0, 1]`, for `d ≤ 0`. Every other integral is a sum of these with
/// positive coefficients, so none is formed by cancellation.
fn basis(d: f64) -> (f64, f64, f64) {
    if d > -1.0 {
        // Σ dⁿ/n! · (2/((n+1)(n+2)(n+3)), 1/((n+2)(n+3)), 1/(n+3)).
        let (mut c0, mut c1, mut c2) = (0.0, 0.0, 0.0);
        let mut term = 1.0; // dⁿ/n!
        for n in 0..40 {
            let m = n as f64;
            c0 += term * 2.0 / ((m + 1.0) * (m + 2.0) * (m + 3.0));
            c1 += term / ((m + 2.0) * (m + 3.0));
            c2 += term / (m + 3.0);
            term *= d / (m + 1.0);
            if term.abs() < 1e-18 * c2.abs() {
                break;
            }
        }
        (c0, c1, c2)
    } else {
        let e = d.exp();
        let g0 = d.exp_m1() / d;
        let g1 = (e * (d - 1.0) + 1.0) / (d * d);
        let g2 = (e * (d * d - 2.0 * d + 2.0) - 2.0) / (d * d * d);
        (g0 - 2.0 * g1 + g2, g1 - g2, g2)
    }
}

/// The integrals `(E_0, E_1, E_2)` with `E_k(p, q) = ∫_0^1 v^k e^{(1−v) p + v q} dv`.
pub(crate) fn segment_integrals(p: f64, q: f64) -> (f64, f64, f64) {
    if p >= q {
        let (c0, c1, c2) = basis(q - p);
        let s = p.exp();
        (s * (c0 + 2.0 * c1 + c2), s * (c1 + c2), s * c2)
    } else {
        // v → 1 − v: E_k(p, q) = e^q ∫ (1−w)^k e^{w (p − q)} dw.
        let (c0, c1, c2) = basis(p - q);
        let s = q.exp();
        (s * (c0 + 2.0 * c1 + c2), s * (c0 + c1), s * c0)
    }
}

/// `(∫(1−v)² e^ψ, ∫v(1−v) e^ψ, ∫v² e^ψ)` over `[0, 1]` with
/// `ψ = (1−v) p + v q`: the Hessian of `E_0` in `(p, q)` (and, summed
/// in pairs, its gradient `(A + B, B + C)` and `E_0 = A + 2B + C`), each
/// free of cancellation. Used by the log-concave MLE.
pub(crate) fn segment_second(p: f64, q: f64) -> (f64, f64, f64) {
    if p >= q {
        let (c0, c1, c2) = basis(q - p);
        let s = p.exp();
        (s * c0, s * c1, s * c2)
    } else {
        let (c0, c1, c2) = basis(p - q);
        let s = q.exp();
        (s * c2, s * c1, s * c0)
    }
}

/// `E_0(p, q) = (e^q − e^p)/(q − p)` (or `e^p` when `p = q`), stably.
pub(crate) fn mean_exp(p: f64, q: f64) -> f64 {
    let (hi, d) = if p >= q { (p, q - p) } else { (q, p - q) };
    let g0 = if d == 0.0 { 1.0 } else { d.exp_m1() / d };
    hi.exp() * g0
}

/// `E_1(p, q) = ∫_0^1 v e^{(1−v) p + v q} dv`.
fn e1(p: f64, q: f64) -> f64 {
    segment_integrals(p, q).1
}

/// Where a point falls: segment `j`, offsets `t = z − x_j`, `r = x_{j+1} − z`,
/// and the log-density there.
struct Locus {
    j: usize,
    t: f64,
    r: f64,
    phi: f64,
}

impl LogConcave {
    /// Builds the distribution from knots and the log-density at them (any
    /// additive constant).
    ///
    /// # Errors
    /// * [`DistributionError::GridTooShort`] for fewer than 2 knots;
    /// * [`DistributionError::LengthMismatch`] if the two vectors differ in length;
    /// * [`DistributionError::NonFiniteParameter`] (`name` `"knots"` or
    ///   `"log_density"`) for a NaN or infinite value;
    /// * [`DistributionError::GridNotIncreasing`] unless the knots increase strictly;
    /// * [`DistributionError::NotLogConcave`] if a slope exceeds the one
    ///   before it by more than a relative `1e-9` (of the larger slope or of
    ///   the reciprocal width);
    /// * [`DistributionError::NotNormalisable`] if the mass overflows.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{DistributionError, LogConcave};
    /// assert!(LogConcave::new(vec![0.0, 1.0, 2.0], vec![0.0, 1.0, 0.0]).is_ok());
    /// assert!(matches!(
    ///     LogConcave::new(vec![0.0, 1.0, 2.0], vec![1.0, 0.0, 1.0]),
    ///     Err(DistributionError::NotLogConcave { index: 1, .. })
    /// ));
    /// ```
    pub fn new(knots: Vec<f64>, log_density: Vec<f64>) -> Result<Self, DistributionError> {
        if knots.len() < 2 {
            return Err(DistributionError::GridTooShort { len: knots.len() });
        }
        if knots.len() != log_density.len() {
            return Err(DistributionError::LengthMismatch {
                grid: knots.len(),
                density: log_density.len(),
            });
        }
        if let Some(&value) = knots.iter().find(|v| !v.is_finite()) {
            return Err(DistributionError::NonFiniteParameter {
                name: "knots",
                value,
            });
        }
        if let Some(&value) = log_density.iter().find(|v| !v.is_finite()) {
            return Err(DistributionError::NonFiniteParameter {
                name: "log_density",
                value,
            });
        }
        if let Some(index) = (1..knots.len()).find(|&i| knots[i] <= knots[i - 1]) {
            return Err(DistributionError::GridNotIncreasing {
                index,
                value: knots[index],
            });
        }
        let n = knots.len() - 1;
        let (lo, hi) = support(knots[0], knots[n])?;
        let slope = |j: usize| (log_density[j + 1] - log_density[j]) / (knots[j + 1] - knots[j]);
        for (i, &at) in knots.iter().enumerate().take(n).skip(1) {
            let (left, right) = (slope(i - 1), slope(i));
            let scale = left.abs().max(right.abs()).max(1.0 / (hi - lo));
            if right > left + 1e-9 * scale {
                return Err(DistributionError::NotLogConcave {
                    index: i,
                    at,
                    left,
                    right,
                });
            }
        }
        // Normalise: shift by the maximum first so the exponentials cannot overflow.
        let top = log_density
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let mut phi: Vec<f64> = log_density.iter().map(|v| v - top).collect();
        let total: f64 = (0..n)
            .map(|j| (knots[j + 1] - knots[j]) * mean_exp(phi[j], phi[j + 1]))
            .sum();
        if !(total.is_finite() && total > 0.0) {
            return Err(DistributionError::NotNormalisable { total });
        }
        let shift = total.ln();
        phi.iter_mut().for_each(|v| *v -= shift);
        let mut d = LogConcave {
            index: SegmentIndex::new(&knots),
            knots,
            log_density: phi,
            cdf: vec![0.0; n + 1],
            sf: vec![0.0; n + 1],
            moment: vec![0.0; n + 1],
            cdf_int: vec![0.0; n + 1],
            sf_int: vec![0.0; n + 1],
        };
        d.tabulate();
        Ok(d)
    }

    fn tabulate(&mut self) {
        let n = self.n();
        let (x, phi) = (&self.knots, &self.log_density);
        let mass: Vec<f64> = (0..n)
            .map(|j| (x[j + 1] - x[j]) * mean_exp(phi[j], phi[j + 1]))
            .collect();
        for j in 0..n {
            let h = x[j + 1] - x[j];
            self.cdf[j + 1] = self.cdf[j] + mass[j];
            self.moment[j + 1] = self.moment[j] + x[j] * mass[j] + h * h * e1(phi[j], phi[j + 1]);
            self.cdf_int[j + 1] =
                self.cdf_int[j] + self.cdf[j] * h + h * h * e1(phi[j + 1], phi[j]);
        }
        for j in (0..n).rev() {
            let h = x[j + 1] - x[j];
            self.sf[j] = self.sf[j + 1] + mass[j];
            self.sf_int[j] =
                self.sf_int[j + 1] + self.sf[j + 1] * h + h * h * e1(phi[j], phi[j + 1]);
        }
    }

    /// The knots `x_0 < … < x_n`.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::LogConcave;
    /// let d = LogConcave::new(vec![0.0, 1.0, 3.0], vec![0.0, 0.5, 0.0]).unwrap();
    /// assert_eq!(d.knots(), &[0.0, 1.0, 3.0]);
    /// ```
    pub fn knots(&self) -> &[f64] {
        &self.knots
    }

    /// The normalised log-density `φ(x_j)` at the knots.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::LogConcave;
    /// // A constant log-density on [0, 4]: the uniform density 1/4.
    /// let d = LogConcave::new(vec![0.0, 4.0], vec![3.0, 3.0]).unwrap();
    /// assert!((d.log_density()[0] - 0.25f64.ln()).abs() < 1e-15);
    /// ```
    pub fn log_density(&self) -> &[f64] {
        &self.log_density
    }

    /// The log-density `φ(z)` (`−∞` outside the support).
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::LogConcave;
    /// let d = LogConcave::new(vec![0.0, 2.0], vec![0.0, 0.0]).unwrap();
    /// assert!((d.ln_pdf(1.0) - 0.5f64.ln()).abs() < 1e-15);
    /// assert_eq!(d.ln_pdf(3.0), f64::NEG_INFINITY);
    /// ```
    pub fn ln_pdf(&self, z: f64) -> f64 {
        if z >= self.lo() && z <= self.hi() {
            self.locate(z).phi
        } else {
            f64::NEG_INFINITY
        }
    }

    fn n(&self) -> usize {
        self.knots.len() - 1
    }

    fn lo(&self) -> f64 {
        self.knots[0]
    }

    fn hi(&self) -> f64 {
        self.knots[self.n()]
    }

    fn locate(&self, z: f64) -> Locus {
        let z = z.clamp(self.lo(), self.hi());
        let j = self.index.find(&self.knots, z);
        let (a, b) = (self.knots[j], self.knots[j + 1]);
        let t = (z - a).max(0.0);
        let r = (b - z).max(0.0);
        let phi = if t == 0.0 {
            self.log_density[j]
        } else if r == 0.0 {
            self.log_density[j + 1]
        } else {
            (self.log_density[j] * r + self.log_density[j + 1] * t) / (b - a)
        };
        Locus { j, t, r, phi }
    }

    fn slope(&self, j: usize) -> f64 {
        (self.log_density[j + 1] - self.log_density[j]) / (self.knots[j + 1] - self.knots[j])
    }

    /// Mass of segment `j` between `x_j` and the located point.
    fn mass_left(&self, l: &Locus) -> f64 {
        l.t * mean_exp(self.log_density[l.j], l.phi)
    }

    /// Mass of segment `j` between the located point and `x_{j+1}`.
    fn mass_right(&self, l: &Locus) -> f64 {
        l.r * mean_exp(l.phi, self.log_density[l.j + 1])
    }

    /// `F(z)` at its located point (`l = locate(z)`).
    fn cdf_located(&self, z: f64, l: &Locus) -> f64 {
        if z <= self.lo() {
            0.0
        } else if z >= self.hi() {
            1.0
        } else {
            (self.cdf[l.j] + self.mass_left(l)).min(1.0)
        }
    }

    /// `1 − F(z)` at its located point.
    fn sf_located(&self, z: f64, l: &Locus) -> f64 {
        if z <= self.lo() {
            1.0
        } else if z >= self.hi() {
            0.0
        } else {
            (self.sf[l.j + 1] + self.mass_right(l)).min(1.0)
        }
    }

    /// `f(z)` at its located point (0 outside the support, and for NaN).
    fn pdf_located(&self, z: f64, l: &Locus) -> f64 {
        if z >= self.lo() && z <= self.hi() {
            l.phi.exp()
        } else {
            0.0
        }
    }

    /// The tail `which` divides, at its located point.
    fn tail_located(&self, z: f64, l: &Locus, which: HazardRatio) -> f64 {
        match which {
            HazardRatio::CdfOverPdf => self.cdf_located(z, l),
            HazardRatio::SfOverPdf => self.sf_located(z, l),
        }
    }

    /// `f'/f` at its located point: the segment's slope of `ln f` (at an
    /// interior knot, the segment to its right), also where `f` underflows;
    /// NaN outside the support, as `0/0` is.
    fn log_slope_located(&self, z: f64, l: &Locus) -> f64 {
        if z >= self.lo() && z <= self.hi() {
            self.slope(l.j)
        } else {
            f64::NAN
        }
    }

    /// `Σ_j ∫ (z − c)² f` over the segments, exactly.
    fn central_second_moment(&self, c: f64) -> f64 {
        (0..self.n())
            .map(|j| {
                let h = self.knots[j + 1] - self.knots[j];
                let (e0, e1, e2) = segment_integrals(self.log_density[j], self.log_density[j + 1]);
                let a = self.knots[j] - c;
                // ∫_0^h (a + u)² e^{φ} du = h (a² E0 + 2 a h E1 + h² E2).
                h * (a * a * e0 + 2.0 * a * h * e1 + h * h * e2)
            })
            .sum()
    }
}

impl EndowmentDistribution for LogConcave {
    fn support(&self) -> (f64, f64) {
        (self.lo(), self.hi())
    }

    fn cdf(&self, z: f64) -> f64 {
        self.cdf_located(z, &self.locate(z))
    }

    fn sf(&self, z: f64) -> f64 {
        self.sf_located(z, &self.locate(z))
    }

    fn pdf(&self, z: f64) -> f64 {
        self.pdf_located(z, &self.locate(z))
    }

    /// The segment's slope of the log-density (see `log_slope_located`),
    /// from one search of the knots: the default divides `f'` by `f`, two
    /// searches and two exponentials, and is `0/0` where `f` underflows.
    fn pdf_log_derivative(&self, z: f64) -> f64 {
        self.log_slope_located(z, &self.locate(z))
    }

    /// From [`density_and_ratio`](EndowmentDistribution::density_and_ratio),
    /// one pass.
    fn pdf_and_ratio(&self, z: f64, which: HazardRatio) -> (f64, f64) {
        let (f, r, _) = self.density_and_ratio(z, which);
        (f, r)
    }

    /// The three from one search of the knots (the default searches three
    /// times); the same values as the separate methods.
    fn density_and_ratio(&self, z: f64, which: HazardRatio) -> (f64, f64, f64) {
        let l = self.locate(z);
        let f = self.pdf_located(z, &l);
        let r = ratio(self.tail_located(z, &l, which), f);
        (f, r, self.sf_located(z, &l))
    }

    /// Both from one search of the knots; the ratio is the separate
    /// method's, the slope `pdf_log_derivative`'s.
    fn ratio_and_log_slope(&self, z: f64, which: HazardRatio) -> (f64, f64) {
        let l = self.locate(z);
        let f = self.pdf_located(z, &l);
        (
            ratio(self.tail_located(z, &l, which), f),
            self.log_slope_located(z, &l),
        )
    }

    /// Both from one search of the knots; the same values as the separate
    /// methods.
    fn pdf_and_tail(&self, z: f64, which: HazardRatio) -> (f64, f64) {
        let l = self.locate(z);
        (self.pdf_located(z, &l), self.tail_located(z, &l, which))
    }

    fn ln_pdf(&self, z: f64) -> f64 {
        LogConcave::ln_pdf(self, z)
    }

    /// `φ'(z) f(z)` with the slope of the segment containing `z` (at an
    /// interior knot, the segment to its right); 0 outside the support.
    fn pdf_derivative(&self, z: f64) -> f64 {
        if z >= self.lo() && z <= self.hi() {
            let l = self.locate(z);
            self.slope(l.j) * l.phi.exp()
        } else {
            0.0
        }
    }

    fn kinks(&self) -> &[f64] {
        &self.knots[1..self.n()]
    }

    fn partial_moment(&self, a: f64) -> f64 {
        if a >= self.hi() {
            return self.mean();
        }
        if a <= self.lo() {
            return 0.0;
        }
        let l = self.locate(a);
        let xj = self.knots[l.j];
        self.moment[l.j] + xj * self.mass_left(&l) + l.t * l.t * e1(self.log_density[l.j], l.phi)
    }

    fn mean(&self) -> f64 {
        self.moment[self.n()]
    }

    fn second_moment(&self) -> f64 {
        self.central_second_moment(0.0)
    }

    fn variance(&self) -> f64 {
        self.central_second_moment(self.mean()).max(0.0)
    }

    fn cdf_integral(&self, a: f64) -> f64 {
        if a <= self.lo() {
            0.0
        } else if a >= self.hi() {
            self.cdf_int[self.n()] + (a - self.hi())
        } else {
            let l = self.locate(a);
            self.cdf_int[l.j] + self.cdf[l.j] * l.t + l.t * l.t * e1(l.phi, self.log_density[l.j])
        }
    }

    fn sf_integral(&self, a: f64) -> f64 {
        if a >= self.hi() {
            0.0
        } else if a <= self.lo() {
            self.sf_int[0] + (self.lo() - a)
        } else {
            let l = self.locate(a);
            let k = l.j + 1;
            self.sf_int[k] + self.sf[k] * l.r + l.r * l.r * e1(l.phi, self.log_density[k])
        }
    }

    fn quantile(&self, u: f64) -> f64 {
        if u.is_nan() {
            return f64::NAN;
        }
        if u <= 0.0 {
            return self.lo();
        }
        if u >= 1.0 {
            return self.hi();
        }
        let n = self.n();
        if u <= 0.5 {
            // Solve e^{φ_j} (e^{s t} − 1)/s = v for t.
            let j = (self.cdf.partition_point(|&c| c <= u) - 1).min(n - 1);
            let h = self.knots[j + 1] - self.knots[j];
            let s = self.slope(j);
            let v = (u - self.cdf[j]).max(0.0) * (-self.log_density[j]).exp();
            let t = if (s * v).abs() < 1e-300 {
                v
            } else {
                (s * v).ln_1p() / s
            };
            let t = if t.is_finite() { t.clamp(0.0, h) } else { h };
            (self.knots[j] + t).min(self.knots[j + 1])
        } else {
            // Upper tail with q = 1 − u: e^{φ_{j+1}} (1 − e^{−s r})/s = w.
            let q = 1.0 - u;
            let k = self.sf.partition_point(|&c| c > q).clamp(1, n);
            let j = k - 1;
            let h = self.knots[k] - self.knots[j];
            let s = self.slope(j);
            let w = (q - self.sf[k]).max(0.0) * (-self.log_density[k]).exp();
            let r = if (s * w).abs() < 1e-300 {
                w
            } else {
                -(-s * w).ln_1p() / s
            };
            let r = if r.is_finite() { r.clamp(0.0, h) } else { h };
            (self.knots[k] - r).max(self.knots[j])
        }
    }

    fn log_concave(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Composite Simpson rule with many points: an independent check of the
    /// series and closed forms of `E_k`.
    fn brute(k: i32, p: f64, q: f64) -> f64 {
        let m = 200_000;
        let g = |v: f64| v.powi(k) * ((1.0 - v) * p + v * q).exp();
        let h = 1.0 / m as f64;
        let inner: f64 = (1..m)
            .map(|i| if i % 2 == 1 { 4.0 } else { 2.0 } * g(i as f64 * h))
            .sum();
        (g(0.0) + g(1.0) + inner) * h / 3.0
    }

    #[test]
    fn segment_integrals_match_brute_force_on_both_sides_of_the_series_switch() {
        for &(p, q) in &[
            (0.0, 0.0),
            (0.3, -0.2),
            (-0.2, 0.3),
            (1.0, -0.999),
            (0.5, -0.6),
            (2.0, -3.0),
            (-3.0, 2.0),
            (0.0, -40.0),
            (1e-12, 0.0),
        ] {
            let (e0, e1, e2) = segment_integrals(p, q);
            for (k, e) in [(0, e0), (1, e1), (2, e2)] {
                let b = brute(k, p, q);
                assert!((e - b).abs() < 1e-9 * b, "k={k} p={p} q={q}: {e} vs {b}");
            }
            assert!((mean_exp(p, q) - e0).abs() < 1e-14 * e0);
        }
    }

    /// The one-search methods against the separate ones (the hazard ratios
    /// by the trait's default, `F/f` or `(1 − F)/f` of the separate
    /// functions): exactly, at the knots, an ulp beside them, between them,
    /// outside the support and at NaN; the log-slope against `f'/f` to an
    /// ulp where the density is a normal double, and the segment's slope
    /// where it underflows (where `f'/f` is `0/0`).
    #[test]
    fn one_search_methods_are_the_separate_ones() {
        let d = LogConcave::new(
            vec![-2.0, -1.0, 0.0, 0.5, 3.0],
            vec![-800.0, -1.0, 0.0, -0.3, -4.0],
        )
        .unwrap();
        let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
        let (lo, hi) = d.support();
        let mut points = vec![lo - 1.0, hi + 1.0, f64::NAN];
        for w in d.knots().windows(2) {
            points.extend([
                w[0],
                w[0].next_up(),
                0.5 * (w[0] + w[1]),
                w[1].next_down(),
                w[1],
            ]);
        }
        points.push(-1.95);
        let mut underflows = 0;
        for z in points {
            for (which, tail) in [
                (HazardRatio::CdfOverPdf, d.cdf(z)),
                (HazardRatio::SfOverPdf, d.sf(z)),
            ] {
                let r = ratio(tail, d.pdf(z));
                let (f, r1, sf) = d.density_and_ratio(z, which);
                assert!(same(f, d.pdf(z)) && same(r1, r) && same(sf, d.sf(z)), "{z}");
                let (r2, l) = d.ratio_and_log_slope(z, which);
                assert!(same(r2, r) && same(l, d.pdf_log_derivative(z)), "{z}");
                let (f, t) = d.pdf_and_tail(z, which);
                assert!(same(f, d.pdf(z)) && same(t, tail), "{z}");
            }
            let l = d.pdf_log_derivative(z);
            let quotient = d.pdf_derivative(z) / d.pdf(z);
            if d.pdf(z) >= f64::MIN_POSITIVE {
                assert!(
                    (l - quotient).abs() <= 2.0 * f64::EPSILON * l.abs(),
                    "{z}: {l} {quotient}"
                );
            } else if z >= lo && z <= hi {
                underflows += 1;
                let j = d.knots().partition_point(|&k| k <= z).clamp(1, 4) - 1;
                let k = d.knots();
                let y = d.log_density();
                assert_eq!(l, (y[j + 1] - y[j]) / (k[j + 1] - k[j]), "{z}");
            } else {
                assert!(l.is_nan() && quotient.is_nan(), "{z}");
            }
        }
        assert!(underflows > 0);
    }

    #[test]
    fn tiny_slopes_keep_full_precision() {
        // (e^q − e^p)/(q − p) at q − p = 1e-13: e^p (1 + d/2 + …).
        let (p, q) = (0.25, 0.25 + 1e-13);
        let exact = 0.25f64.exp() * (1.0 + 0.5e-13);
        assert!((mean_exp(p, q) - exact).abs() < 2e-16 * exact);
        assert!((segment_integrals(p, q).0 - exact).abs() < 4e-16 * exact);
    }
}
