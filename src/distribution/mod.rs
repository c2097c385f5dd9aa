//! Distributions of a trader's private endowment (the trader's type).
//!
//! Everything above this layer is generic over [`EndowmentDistribution`], an
//! object-safe trait, so one market can mix families. A type that supplies
//! only [`support`](EndowmentDistribution::support),
//! [`cdf`](EndowmentDistribution::cdf) and [`pdf`](EndowmentDistribution::pdf)
//! works everywhere: the other methods have defaults computed by quadrature
//! and root finding. The built-in families override them with closed forms.
//!
//! | family | file | parameters |
//! | --- | --- | --- |
//! | [`Uniform`] | `uniform.rs` | `lo, hi` |
//! | [`TruncatedNormal`] | `truncated_normal.rs` | `mu, sigma, lo, hi` |
//! | [`Beta`] | `beta.rs` | `a, b ≥ 1` rescaled to `[lo, hi]` |
//! | [`Triangular`] | `triangular.rs` | `lo, mode, hi` |
//! | [`PiecewiseLinear`] | `piecewise_linear.rs` | a tabulated density |
//! | [`Mixture`] | `mixture.rs` | weighted components of any families |
//! | [`LogConcave`] | `log_concave.rs` | a piecewise-linear log-density (the log-concave MLE) |

mod beta;
mod bounds;
mod error;
mod features;
mod log_concave;
mod mixture;
mod piecewise_linear;
mod regularity;
#[cfg(test)]
pub(crate) mod test_support;
mod triangular;
mod truncated_normal;
mod uniform;

pub use self::beta::Beta;
pub use self::bounds::DensityBounds;
pub use self::error::DistributionError;
pub use self::log_concave::LogConcave;
pub use self::mixture::Mixture;
pub use self::piecewise_linear::PiecewiseLinear;
pub use self::regularity::{check_condition2, validate, Condition2Violation, HazardRatio};
pub use self::triangular::Triangular;
pub use self::truncated_normal::TruncatedNormal;
pub use self::uniform::Uniform;

pub(crate) use self::error::{finite, support};
pub(crate) use self::features::{feature_breakpoints, feature_points, integral_breaks};
pub(crate) use self::log_concave::{segment_integrals, segment_second};

use crate::numerics::{integrate_pieces_checked, newton_bracketed, Integral, Tolerances};
use std::fmt::Debug;

/// The distribution of a trader's endowment `Z` on a finite support
/// `[lo, hi]` with a continuous density that is positive inside it.
///
/// Implement the three required methods for a new family; override the
/// provided ones where a closed form exists (they are then both faster and
/// more accurate). Provided methods clamp their argument to the support, so
/// for example `cdf_integral(a)` for `a > hi` integrates the CDF (equal to 1)
/// beyond `hi`.
///
/// # Example: a user-defined family
/// ```
/// use exchange_design::distribution::EndowmentDistribution;
///
/// /// Density 2z on [0, 1].
/// #[derive(Debug)]
/// struct Ramp;
/// impl EndowmentDistribution for Ramp {
///     fn support(&self) -> (f64, f64) { (0.0, 1.0) }
///     fn cdf(&self, z: f64) -> f64 { z.clamp(0.0, 1.0).powi(2) }
///     fn pdf(&self, z: f64) -> f64 { if (0.0..=1.0).contains(&z) { 2.0 * z } else { 0.0 } }
/// }
/// let d = Ramp;
/// assert!((d.mean() - 2.0 / 3.0).abs() < 1e-13);
/// assert!((d.quantile(0.25) - 0.5).abs() < 1e-13);
/// // F/f = z/2 tends to 0 at the lower end, where the density vanishes.
/// assert_eq!(d.cdf_pdf_ratio(0.0), 0.0);
/// ```
pub trait EndowmentDistribution: Debug + Send + Sync {
    /// The support `(lo, hi)`, finite with `lo < hi`.
    fn support(&self) -> (f64, f64);

    /// The cumulative distribution function `F(z) = P(Z ≤ z)`.
    fn cdf(&self, z: f64) -> f64;

    /// The density `f(z)`; zero outside the support.
    fn pdf(&self, z: f64) -> f64;

    /// The survival function `1 − F(z)`. Override where subtracting from one
    /// would lose digits (upper tails).
    fn sf(&self, z: f64) -> f64 {
        1.0 - self.cdf(z)
    }

    /// Whether the density is log-concave on its support. A log-concave
    /// density satisfies the paper's Condition 2, so the virtual types `L`
    /// and `H` are increasing at every weight and the solver never needs to
    /// iron a class with this distribution (nor to scan it to find out).
    /// `false` by default, which is always safe: the solver then checks.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{EndowmentDistribution, PiecewiseLinear, Uniform};
    /// assert!(Uniform::new(-1.0, 1.0)?.log_concave());
    /// // A tabulated density is not known to be log-concave: the solver checks it.
    /// assert!(!PiecewiseLinear::new(vec![0.0, 1.0, 2.0], vec![1.0, 0.1, 1.0])?.log_concave());
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    fn log_concave(&self) -> bool {
        false
    }

    /// A modulus of strong log-concavity, if the family knows one: a
    /// `c ≥ 0` with `(ln f)'' ≤ −c` inside the support, where the density
    /// is smooth and positive (a normal's is `1/σ²`, a uniform's 0). `None`
    /// by default. A mixture of components that share one support and each
    /// give one is log-concave where their log-densities' slopes are close
    /// enough ([`Mixture`]'s documentation), and so needs no ironing.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{EndowmentDistribution, TruncatedNormal};
    /// let d = TruncatedNormal::new(0.0, 0.5, -1.0, 1.0)?;
    /// assert_eq!(d.log_concavity(), Some(4.0));
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    fn log_concavity(&self) -> Option<f64> {
        None
    }

    /// Interior points where the density is not smooth (a kink or a jump in
    /// its derivative), used to split quadratures. Empty by default.
    fn kinks(&self) -> &[f64] {
        &[]
    }

    /// Bounds on the density and its slope over `[a, b]`, a sub-interval of
    /// the support, or `None` (the default) when the family cannot give
    /// them.
    ///
    /// The ironing of a class whose virtual types may not be monotone uses
    /// them to *certify* each cell of its mesh: where the bounds show that a
    /// virtual type cannot decrease, nothing in the cell can need pooling,
    /// however narrow. Every built-in family gives valid bounds, so a narrow
    /// cluster of traders is always found. Without them the ironing samples
    /// `f` and `f'` at nine evenly spaced points of the cell and widens what
    /// it sees by a safety factor; a feature of the density narrower than
    /// about an eighth of a cell can then go unseen. Override this for a
    /// user-defined family with sharp features.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{EndowmentDistribution, Uniform};
    /// let b = Uniform::new(0.0, 2.0)?.density_bounds(0.5, 1.0).unwrap();
    /// assert_eq!((b.min, b.max, b.slope_min, b.slope_max), (0.5, 0.5, 0.0, 0.0));
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    fn density_bounds(&self, a: f64, b: f64) -> Option<DensityBounds> {
        let _ = (a, b);
        None
    }

    /// Bounds `(low, high)` on the log-density's slope `f'/f` over `[a, b]`,
    /// a sub-interval of the support, or `None` when the family cannot give
    /// them. The default takes what [`density_bounds`](Self::density_bounds)
    /// implies ([`DensityBounds::log_slopes`]); a family that knows `f'/f`
    /// more sharply overrides it (a normal's is linear in `z`).
    ///
    /// The ironing uses them to certify a cell in a far tail, where the
    /// density changes by large factors across the cell and its own bounds
    /// cannot show that a virtual type rises (`docs/theory.md`,
    /// "Ironing"). Like the density's bounds they must be valid, never
    /// tighter than the truth.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{EndowmentDistribution, TruncatedNormal};
    /// // f'/f = (μ − z)/σ² = −4z here.
    /// let d = TruncatedNormal::new(0.0, 0.5, -2.0, 2.0)?;
    /// assert_eq!(d.pdf_log_derivative_bounds(1.0, 1.5), Some((-6.0, -4.0)));
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    fn pdf_log_derivative_bounds(&self, a: f64, b: f64) -> Option<(f64, f64)> {
        self.density_bounds(a, b).map(|bounds| bounds.log_slopes())
    }

    /// The derivative of the density, `f'(z)`. The default is a central
    /// difference; it is used only as the slope of Newton steps, so its
    /// accuracy affects speed, never the accuracy of a result.
    fn pdf_derivative(&self, z: f64) -> f64 {
        let (lo, hi) = self.support();
        let h = 1e-6 * (hi - lo);
        let a = (z - h).max(lo);
        let b = (z + h).min(hi);
        if b > a {
            (self.pdf(b) - self.pdf(a)) / (b - a)
        } else {
            0.0
        }
    }

    /// The partial first moment `M(a) = ∫_lo^a z f(z) dz` (so `M(hi)` is the mean).
    ///
    /// The default integrates the density by adaptive quadrature, split at
    /// [`kinks`](Self::kinks), to `Tolerances::DEFAULT.quad_rel`; it is NaN
    /// when the quadrature cannot reach that (a density too rough for it),
    /// rather than a number of unknown accuracy: [`validate`] rejects such
    /// a distribution, and a solve stops with a typed error. Override it
    /// with a closed form where there is one.
    fn partial_moment(&self, a: f64) -> f64 {
        let (lo, hi) = self.support();
        let a = a.clamp(lo, hi);
        accurate(integrate_pieces_checked(
            |z| z * self.pdf(z),
            &breakpoints(self, lo, a),
            &Tolerances::DEFAULT,
        ))
    }

    /// The mean `E[Z]`.
    fn mean(&self) -> f64 {
        self.partial_moment(self.support().1)
    }

    /// The second moment `E[Z²]`. The default integrates the density as
    /// [`partial_moment`](Self::partial_moment) does, and is NaN when the
    /// quadrature cannot reach its tolerance.
    fn second_moment(&self) -> f64 {
        let (lo, hi) = self.support();
        accurate(integrate_pieces_checked(
            |z| z * z * self.pdf(z),
            &breakpoints(self, lo, hi),
            &Tolerances::DEFAULT,
        ))
    }

    /// The variance `Var Z`.
    fn variance(&self) -> f64 {
        let m = self.mean();
        (self.second_moment() - m * m).max(0.0)
    }

    /// The integral of the CDF, `∫_lo^a F(s) ds = a F(a) − M(a)` for
    /// `a` in the support, extended by `F = 0` below and `F = 1` above it.
    fn cdf_integral(&self, a: f64) -> f64 {
        let (lo, hi) = self.support();
        if a <= lo {
            0.0
        } else if a >= hi {
            hi - self.mean() + (a - hi)
        } else {
            a * self.cdf(a) - self.partial_moment(a)
        }
    }

    /// The integral of the survival function above `a`,
    /// `∫_a^hi (1 − F(s)) ds = E[(Z − a)⁺]`.
    fn sf_integral(&self, a: f64) -> f64 {
        let (lo, hi) = self.support();
        if a >= hi {
            0.0
        } else if a <= lo {
            self.mean() - a
        } else {
            (self.mean() - self.partial_moment(a)) - a * self.sf(a)
        }
    }

    /// The quantile `F⁻¹(u)` for `u ∈ [0, 1]` (clamped), by Newton's method
    /// inside a bracket that shrinks to adjacent floating-point numbers.
    /// NaN for a NaN `u`, or if the CDF itself returns a non-finite value.
    fn quantile(&self, u: f64) -> f64 {
        let (lo, hi) = self.support();
        if u.is_nan() {
            return f64::NAN;
        }
        if u <= 0.0 {
            return lo;
        }
        if u >= 1.0 {
            return hi;
        }
        // Solve in whichever tail keeps relative accuracy.
        let upper = u > 0.5;
        let target = if upper { 1.0 - u } else { u };
        let start = lo + u * (hi - lo);
        newton_bracketed(
            |z| {
                let f = self.pdf(z);
                if upper {
                    (target - self.sf(z), f)
                } else {
                    (self.cdf(z) - target, f)
                }
            },
            lo,
            hi,
            start,
            4.0 * f64::EPSILON,
            0.0,
        )
        // Only a CDF that is not finite can make the iteration fail (every
        // step bisects or shrinks a finite bracket); say so with NaN rather
        // than return a plausible wrong type.
        .unwrap_or(f64::NAN)
    }

    /// Whether the constructor has already proven everything
    /// [`validate`] checks (finite support, `F(lo) = 0`, `F(hi) = 1`, a
    /// non-decreasing CDF, a finite density positive inside the support).
    /// [`Market::new`](crate::market::Market::new) skips the grid scan of
    /// [`validate`] for such distributions, so building a market costs O(1)
    /// per class. The built-in families return `true`; leave the default
    /// `false` for your own types unless their constructor checks all of
    /// the above.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{EndowmentDistribution, TruncatedNormal};
    /// assert!(TruncatedNormal::new(0.0, 1.0, -1.0, 1.0)?.validated_by_construction());
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    fn validated_by_construction(&self) -> bool {
        false
    }

    /// No longer consulted: the `UniformLinear` solver recognises a uniform
    /// class by its [`density_bounds`](Self::density_bounds) over the whole
    /// support (one positive constant), a property of the distribution
    /// rather than a type tag. Kept for one release so that
    /// implementations overriding it still compile.
    #[deprecated(note = "not consulted; uniformity is read from `density_bounds` over the support")]
    fn uniform_support(&self) -> Option<(f64, f64)> {
        None
    }

    /// The logarithmic derivative of the density, `f'(z)/f(z)`: the slopes
    /// of the virtual types, `L' = 1 + β (1 − (F/f)·f'/f)` and likewise for
    /// `H`, need it at every Newton step of their inverses. The default
    /// divides [`pdf_derivative`](EndowmentDistribution::pdf_derivative) by
    /// [`pdf`](EndowmentDistribution::pdf); the truncated normal has the
    /// closed form `−(z − μ)/σ²`.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{EndowmentDistribution, TruncatedNormal};
    /// let d = TruncatedNormal::new(0.1, 0.5, -1.0, 1.0)?;
    /// assert!((d.pdf_log_derivative(0.6) + 0.5 / 0.25).abs() < 1e-15);
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    fn pdf_log_derivative(&self, z: f64) -> f64 {
        self.pdf_derivative(z) / self.pdf(z)
    }

    /// The natural logarithm of the density, `ln f(z)`; `−∞` outside the
    /// support and where the density is zero.
    ///
    /// A mixture's hazard ratios need it where every component's density
    /// is in a far tail: `F/f` is then a ratio of sums of numbers near or
    /// below the smallest normal double, which carry few digits (a mixture
    /// of two narrow normals had `F/f` wrong by 1e-6 relative 38 standard
    /// deviations out, and a quadrature of it never converged). The
    /// mixture adds its components in logarithms instead. The default takes
    /// the logarithm of [`pdf`](EndowmentDistribution::pdf), exact wherever
    /// the density is a normal double; the truncated normal and the Beta
    /// compute it directly, so it stays exact in tails where the density
    /// itself underflows. Override it for a family whose density can fall
    /// below about 1e-290 inside its support.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{EndowmentDistribution, TruncatedNormal};
    /// let d = TruncatedNormal::new(0.0, 0.01, -1.0, 1.0)?;
    /// // 50 standard deviations out the density underflows to zero, but its
    /// // logarithm is −50²/2 − ln(σ √(2π)) (the truncation removes nothing).
    /// let exact = -1250.0 - (0.01 * (2.0 * std::f64::consts::PI).sqrt()).ln();
    /// assert_eq!(d.pdf(0.5), 0.0);
    /// assert!((d.ln_pdf(0.5) - exact).abs() < 1e-12 * exact.abs());
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    fn ln_pdf(&self, z: f64) -> f64 {
        self.pdf(z).ln()
    }

    /// The density, one hazard ratio and the survival function at `z`, in
    /// one call: `(f(z), r(z), 1 − F(z))` with `r` = [`cdf_pdf_ratio`] or
    /// [`sf_pdf_ratio`] as `which` says. A class's welfare moments need the
    /// three together at every quadrature node. The default calls the three
    /// methods; a family whose functions share work (the truncated normal,
    /// one exponential and one error function for all three) overrides it.
    ///
    /// [`cdf_pdf_ratio`]: EndowmentDistribution::cdf_pdf_ratio
    /// [`sf_pdf_ratio`]: EndowmentDistribution::sf_pdf_ratio
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{EndowmentDistribution, HazardRatio, TruncatedNormal};
    /// let d = TruncatedNormal::new(0.1, 0.5, -1.0, 1.0)?;
    /// let (f, r, s) = d.density_and_ratio(0.3, HazardRatio::CdfOverPdf);
    /// assert!((f - d.pdf(0.3)).abs() < 1e-15);
    /// assert!((r - d.cdf_pdf_ratio(0.3)).abs() < 1e-15);
    /// assert!((s - d.sf(0.3)).abs() < 1e-15);
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    fn density_and_ratio(&self, z: f64, which: HazardRatio) -> (f64, f64, f64) {
        let r = match which {
            HazardRatio::CdfOverPdf => self.cdf_pdf_ratio(z),
            HazardRatio::SfOverPdf => self.sf_pdf_ratio(z),
        };
        (self.pdf(z), r, self.sf(z))
    }

    /// The density and one tail at `z`, in one call: `(f(z), F(z))` for
    /// [`HazardRatio::CdfOverPdf`], `(f(z), 1 − F(z))` for
    /// [`HazardRatio::SfOverPdf`] (the numerator of that ratio). A mixture
    /// needs both of each component at every point where it forms a ratio
    /// of sums. The default calls the two methods; a family whose two share
    /// work overrides it (the truncated normal standardises `z` once).
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{EndowmentDistribution, HazardRatio, TruncatedNormal};
    /// let d = TruncatedNormal::new(0.1, 0.5, -1.0, 1.0)?;
    /// assert_eq!(d.pdf_and_tail(0.3, HazardRatio::CdfOverPdf), (d.pdf(0.3), d.cdf(0.3)));
    /// assert_eq!(d.pdf_and_tail(0.3, HazardRatio::SfOverPdf), (d.pdf(0.3), d.sf(0.3)));
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    fn pdf_and_tail(&self, z: f64, which: HazardRatio) -> (f64, f64) {
        let tail = match which {
            HazardRatio::CdfOverPdf => self.cdf(z),
            HazardRatio::SfOverPdf => self.sf(z),
        };
        (self.pdf(z), tail)
    }

    /// The density and one hazard ratio at `z`, in one call: `(f(z), r(z))`
    /// with `r` = [`cdf_pdf_ratio`] or [`sf_pdf_ratio`] as `which` says. An
    /// integral of a raw virtual type carries the density beside the ratio
    /// to check itself against the distribution's probability, so both.
    /// The default calls the two methods; a family whose two share work
    /// overrides it (the truncated normal standardises `z` once, a table
    /// locates it once).
    ///
    /// [`cdf_pdf_ratio`]: EndowmentDistribution::cdf_pdf_ratio
    /// [`sf_pdf_ratio`]: EndowmentDistribution::sf_pdf_ratio
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{EndowmentDistribution, HazardRatio, TruncatedNormal};
    /// let d = TruncatedNormal::new(0.1, 0.5, -1.0, 1.0)?;
    /// let (f, r) = d.pdf_and_ratio(0.3, HazardRatio::CdfOverPdf);
    /// assert_eq!((f, r), (d.pdf(0.3), d.cdf_pdf_ratio(0.3)));
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    fn pdf_and_ratio(&self, z: f64, which: HazardRatio) -> (f64, f64) {
        let r = match which {
            HazardRatio::CdfOverPdf => self.cdf_pdf_ratio(z),
            HazardRatio::SfOverPdf => self.sf_pdf_ratio(z),
        };
        (self.pdf(z), r)
    }

    /// One hazard ratio and the density's logarithmic derivative at `z`, in
    /// one call: `(r(z), f'(z)/f(z))` with `r` = [`cdf_pdf_ratio`] or
    /// [`sf_pdf_ratio`] as `which` says. Every Newton step on a raw virtual
    /// type (`L = z + β F/f`, `H = z − β (1 − F)/f`) needs the type and its
    /// slope, so both. The default calls the two methods; a family whose
    /// two share work overrides it (a mixture: each component's density
    /// serves the ratio's sum and the slope's weights).
    ///
    /// [`cdf_pdf_ratio`]: EndowmentDistribution::cdf_pdf_ratio
    /// [`sf_pdf_ratio`]: EndowmentDistribution::sf_pdf_ratio
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{EndowmentDistribution, HazardRatio, TruncatedNormal};
    /// let d = TruncatedNormal::new(0.1, 0.5, -1.0, 1.0)?;
    /// let (r, l) = d.ratio_and_log_slope(0.3, HazardRatio::SfOverPdf);
    /// assert_eq!(r, d.sf_pdf_ratio(0.3));
    /// // The normal's log-density falls with slope −(z − μ)/σ².
    /// assert!((l + 0.2 / 0.25).abs() < 1e-15);
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    fn ratio_and_log_slope(&self, z: f64, which: HazardRatio) -> (f64, f64) {
        let r = match which {
            HazardRatio::CdfOverPdf => self.cdf_pdf_ratio(z),
            HazardRatio::SfOverPdf => self.sf_pdf_ratio(z),
        };
        (r, self.pdf_log_derivative(z))
    }

    /// The ratio `F(z)/f(z)` (the reciprocal of the reverse hazard rate),
    /// with its limit where the density vanishes: 0 when `F(z) = 0`
    /// (the lower end) and `+∞` when `F(z) > 0`.
    fn cdf_pdf_ratio(&self, z: f64) -> f64 {
        ratio(self.cdf(z), self.pdf(z))
    }

    /// The ratio `(1 − F(z))/f(z)` (the inverse hazard rate), with its limit
    /// where the density vanishes: 0 when `1 − F(z) = 0` (the upper end) and
    /// `+∞` otherwise.
    fn sf_pdf_ratio(&self, z: f64) -> f64 {
        ratio(self.sf(z), self.pdf(z))
    }
}

/// A shared distribution is a distribution: every method forwards to the
/// one behind the `Arc`. So an estimate, returned as
/// `Arc<dyn EndowmentDistribution>`, goes straight into
/// [`TraderClass::new`](crate::market::TraderClass::new).
///
/// # Example
/// ```
/// use exchange_design::distribution::{EndowmentDistribution, Uniform};
/// use std::sync::Arc;
/// let d: Arc<dyn EndowmentDistribution> = Arc::new(Uniform::new(0.0, 2.0).unwrap());
/// fn mean_of<D: EndowmentDistribution>(d: &D) -> f64 { d.mean() }
/// assert_eq!(mean_of(&d), 1.0);
/// ```
impl<D: EndowmentDistribution + ?Sized> EndowmentDistribution for std::sync::Arc<D> {
    fn support(&self) -> (f64, f64) {
        (**self).support()
    }
    fn cdf(&self, z: f64) -> f64 {
        (**self).cdf(z)
    }
    fn pdf(&self, z: f64) -> f64 {
        (**self).pdf(z)
    }
    fn sf(&self, z: f64) -> f64 {
        (**self).sf(z)
    }
    fn log_concave(&self) -> bool {
        (**self).log_concave()
    }
    fn log_concavity(&self) -> Option<f64> {
        (**self).log_concavity()
    }
    fn kinks(&self) -> &[f64] {
        (**self).kinks()
    }
    fn density_bounds(&self, a: f64, b: f64) -> Option<DensityBounds> {
        (**self).density_bounds(a, b)
    }
    fn pdf_log_derivative_bounds(&self, a: f64, b: f64) -> Option<(f64, f64)> {
        (**self).pdf_log_derivative_bounds(a, b)
    }
    #[allow(deprecated)]
    fn uniform_support(&self) -> Option<(f64, f64)> {
        (**self).uniform_support()
    }
    fn pdf_derivative(&self, z: f64) -> f64 {
        (**self).pdf_derivative(z)
    }
    fn partial_moment(&self, a: f64) -> f64 {
        (**self).partial_moment(a)
    }
    fn mean(&self) -> f64 {
        (**self).mean()
    }
    fn second_moment(&self) -> f64 {
        (**self).second_moment()
    }
    fn variance(&self) -> f64 {
        (**self).variance()
    }
    fn cdf_integral(&self, a: f64) -> f64 {
        (**self).cdf_integral(a)
    }
    fn sf_integral(&self, a: f64) -> f64 {
        (**self).sf_integral(a)
    }
    fn quantile(&self, u: f64) -> f64 {
        (**self).quantile(u)
    }
    fn validated_by_construction(&self) -> bool {
        (**self).validated_by_construction()
    }
    fn pdf_log_derivative(&self, z: f64) -> f64 {
        (**self).pdf_log_derivative(z)
    }
    fn ln_pdf(&self, z: f64) -> f64 {
        (**self).ln_pdf(z)
    }
    fn density_and_ratio(&self, z: f64, which: HazardRatio) -> (f64, f64, f64) {
        (**self).density_and_ratio(z, which)
    }
    fn ratio_and_log_slope(&self, z: f64, which: HazardRatio) -> (f64, f64) {
        (**self).ratio_and_log_slope(z, which)
    }
    fn pdf_and_tail(&self, z: f64, which: HazardRatio) -> (f64, f64) {
        (**self).pdf_and_tail(z, which)
    }
    fn pdf_and_ratio(&self, z: f64, which: HazardRatio) -> (f64, f64) {
        (**self).pdf_and_ratio(z, which)
    }
    fn cdf_pdf_ratio(&self, z: f64) -> f64 {
        (**self).cdf_pdf_ratio(z)
    }
    fn sf_pdf_ratio(&self, z: f64) -> f64 {
        (**self).sf_pdf_ratio(z)
    }
}

/// `num / den` for a non-negative numerator and density, with the limits the
/// hazard ratios take where the density vanishes.
pub(crate) fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        num / den
    } else if num <= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

/// A default moment's integral, or NaN when the adaptive quadrature
/// stopped short of `quad_rel` (see [`EndowmentDistribution::partial_moment`]).
fn accurate(r: Integral<1>) -> f64 {
    // Not a fallback: NaN is the trait's answer for a moment it cannot
    // compute (as `quantile`'s for a CDF that is not finite), which
    // `validate` and the solve turn into typed errors.
    r.within("a default moment", Tolerances::DEFAULT.quad_rel)
        .unwrap_or(f64::NAN)
}

/// A point with its `F` and `1 − F`, each computed when first asked for,
/// so that the end two consecutive pieces share is computed once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CumulativeAt {
    /// The point.
    pub z: f64,
    cdf: Option<f64>,
    sf: Option<f64>,
}

impl CumulativeAt {
    pub(crate) fn new(z: f64) -> Self {
        Self {
            z,
            cdf: None,
            sf: None,
        }
    }

    /// A point whose `F` and `1 − F` are known already.
    pub(crate) fn known(z: f64, cdf: f64, sf: f64) -> Self {
        Self {
            z,
            cdf: Some(cdf),
            sf: Some(sf),
        }
    }

    fn cdf<D: EndowmentDistribution + ?Sized>(&mut self, d: &D) -> f64 {
        *self.cdf.get_or_insert_with(|| d.cdf(self.z))
    }

    fn sf<D: EndowmentDistribution + ?Sized>(&mut self, d: &D) -> f64 {
        *self.sf.get_or_insert_with(|| d.sf(self.z))
    }
}

/// The probability between two points from the closed forms, and the
/// rounding it carries: from the tail (`F` or `1 − F`) that is below one
/// half at the upper or lower point, where both ends keep their relative
/// accuracy. What a quadrature against the density must reproduce (see
/// `numerics::integrate_vec_with_mass`).
pub(crate) fn probability<D: EndowmentDistribution + ?Sized>(
    d: &D,
    a: &mut CumulativeAt,
    b: &mut CumulativeAt,
) -> (f64, f64) {
    let fb = b.cdf(d);
    if fb <= 0.5 {
        let fa = a.cdf(d);
        ((fb - fa).max(0.0), 4.0 * f64::EPSILON * fb)
    } else {
        let (sa, sb) = (a.sf(d), b.sf(d));
        ((sa - sb).max(0.0), 4.0 * f64::EPSILON * sa)
    }
}

/// [`probability`] of `[a, b]`.
pub(crate) fn probability_between<D: EndowmentDistribution + ?Sized>(
    d: &D,
    a: f64,
    b: f64,
) -> (f64, f64) {
    probability(d, &mut CumulativeAt::new(a), &mut CumulativeAt::new(b))
}

/// `[lo, kinks inside (lo, a)…, a]`: the pieces a quadrature over `[lo, a]`
/// should use.
pub(crate) fn breakpoints<D: EndowmentDistribution + ?Sized>(d: &D, lo: f64, a: f64) -> Vec<f64> {
    let mut pts = Vec::with_capacity(d.kinks().len() + 2);
    pts.push(lo);
    pts.extend(d.kinks().iter().copied().filter(|&k| k > lo && k < a));
    pts.push(a);
    pts
}
