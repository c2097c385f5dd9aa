//! Checks on a distribution: that it is a valid endowment distribution, and
//! the paper's Condition 2.

use super::{breakpoints, probability_between, DistributionError, EndowmentDistribution};
use crate::numerics::{
    integrate_pieces_with_mass, integrate_vec_checked, integrate_vec_with_mass, KnownMass,
    Tolerances, SCAN_POINTS,
};
use std::fmt;

/// Which of the two hazard ratios a diagnosis refers to.
///
/// # Example
/// ```
/// use exchange_design::distribution::HazardRatio;
/// assert_eq!(HazardRatio::CdfOverPdf.to_string(), "F/f");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HazardRatio {
    /// `F/f`, which Condition 2 requires to be increasing.
    CdfOverPdf,
    /// `(1 − F)/f`, which Condition 2 requires to be decreasing.
    SfOverPdf,
}

impl fmt::Display for HazardRatio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HazardRatio::CdfOverPdf => write!(f, "F/f"),
            HazardRatio::SfOverPdf => write!(f, "(1 - F)/f"),
        }
    }
}

/// Where a distribution fails the paper's Condition 2.
///
/// # Example
/// ```
/// use exchange_design::distribution::{check_condition2, HazardRatio, PiecewiseLinear};
/// // A density with two bumps: its hazard ratios are not monotone.
/// let d = PiecewiseLinear::new(vec![0.0, 1.0, 2.0, 3.0, 4.0], vec![0.1, 1.0, 0.05, 1.0, 0.1]).unwrap();
/// let v = check_condition2(&d).unwrap_err();
/// assert!(v.z_left < v.z_right);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Condition2Violation {
    /// The ratio that is not monotone in the required direction.
    pub ratio: HazardRatio,
    /// Left point of the first offending pair of grid points.
    pub z_left: f64,
    /// Right point of that pair.
    pub z_right: f64,
    /// The ratio at `z_left`.
    pub value_left: f64,
    /// The ratio at `z_right`.
    pub value_right: f64,
}

impl fmt::Display for Condition2Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dir = match self.ratio {
            HazardRatio::CdfOverPdf => "increasing",
            HazardRatio::SfOverPdf => "decreasing",
        };
        write!(
            f,
            "Condition 2 fails: {} must be {dir}, but it is {} at z = {} and {} at z = {}",
            self.ratio, self.value_left, self.z_left, self.value_right, self.z_right
        )
    }
}

impl std::error::Error for Condition2Violation {}

/// The scan grid: `SCAN_POINTS` points spaced more densely near the ends,
/// where densities that vanish make the ratios change fastest.
fn scan_grid(lo: f64, hi: f64) -> impl Iterator<Item = f64> {
    let n = SCAN_POINTS;
    (0..=n).map(move |k| {
        let t = k as f64 / n as f64;
        // Cosine spacing: clusters at both ends.
        let s = 0.5 - 0.5 * (std::f64::consts::PI * t).cos();
        if k == n {
            hi
        } else {
            lo + s * (hi - lo)
        }
    })
}

/// Checks the paper's Condition 2 on a fine grid: `F/f` weakly increasing
/// and `(1 − F)/f` weakly decreasing, up to a relative slack of
/// [`Tolerances::monotone_rel`]. Returns the first place where it fails.
///
/// Under Condition 2 the optimal mechanism's virtual values are monotone and
/// the solver's answer is the paper's Theorem 1. The solver still runs when
/// it fails, but the interim allocation may then not be monotone; the
/// mechanism's Lemma 1 check reports that.
///
/// # Example
/// ```
/// use exchange_design::distribution::{check_condition2, TruncatedNormal};
/// let d = TruncatedNormal::new(0.0, 0.5, -1.0, 1.0).unwrap();
/// assert!(check_condition2(&d).is_ok()); // log-concave densities satisfy it
/// ```
pub fn check_condition2<D: EndowmentDistribution + ?Sized>(
    d: &D,
) -> Result<(), Condition2Violation> {
    let (lo, hi) = d.support();
    let slack = Tolerances::DEFAULT.monotone_rel;
    let mut prev: Option<(f64, f64, f64)> = None;
    for z in scan_grid(lo, hi) {
        let lower = d.cdf_pdf_ratio(z);
        let upper = d.sf_pdf_ratio(z);
        if let Some((zp, lp, up)) = prev {
            if lower.is_finite() && lp.is_finite() && lower < lp - slack * lp.abs().max(hi - lo) {
                return Err(Condition2Violation {
                    ratio: HazardRatio::CdfOverPdf,
                    z_left: zp,
                    z_right: z,
                    value_left: lp,
                    value_right: lower,
                });
            }
            if upper.is_finite() && up.is_finite() && upper > up + slack * up.abs().max(hi - lo) {
                return Err(Condition2Violation {
                    ratio: HazardRatio::SfOverPdf,
                    z_left: zp,
                    z_right: z,
                    value_left: up,
                    value_right: upper,
                });
            }
        }
        prev = Some((z, lower, upper));
    }
    Ok(())
}

/// Checks that a (typically user-defined) distribution is usable as an
/// endowment distribution: a finite support with `lo < hi`, `F(lo) = 0`,
/// `F(hi) = 1`, a CDF that never decreases, and a density that is finite,
/// non-negative, and positive strictly inside the support, and a density
/// that integrates to the CDF's increments: on every interval of the scan
/// grid, `∫ pdf` agrees with `cdf(b) − cdf(a)` to
/// [`Tolerances::density_cdf_rel`] of the increment (otherwise
/// [`DistributionError::DensityCdfMismatch`] names the interval and both
/// numbers; probability the quadrature's nodes step over, a narrow cluster
/// of types, is first followed down by halving, so it is no mismatch).
/// Where the scan finds such a feature, the mean and second moment must
/// also agree with integrals of the density checked against the CDF (the
/// defaults, which integrate the density, step over it: override them
/// with closed forms, and give `density_bounds`). The built-in families
/// satisfy this by construction
/// ([`EndowmentDistribution::validated_by_construction`]);
/// [`crate::market::Market`] calls it for every class whose distribution
/// does not say so, that is for user-defined types.
///
/// The cost is about `3 × SCAN_POINTS` density and `1.5 × SCAN_POINTS` CDF
/// and survival-function evaluations (more on the few intervals where a kink of the density
/// needs an adaptive rule).
///
/// # Example
/// ```
/// use exchange_design::distribution::{validate, DistributionError, EndowmentDistribution, Uniform};
/// assert!(validate(&Uniform::new(-1.0, 1.0).unwrap()).is_ok());
///
/// /// pdf = 1 on [−1, 1] (mass 2) with the uniform CDF (z + 1)/2.
/// #[derive(Debug)]
/// struct Inconsistent;
/// impl EndowmentDistribution for Inconsistent {
///     fn support(&self) -> (f64, f64) { (-1.0, 1.0) }
///     fn cdf(&self, z: f64) -> f64 { ((z + 1.0) / 2.0).clamp(0.0, 1.0) }
///     fn pdf(&self, z: f64) -> f64 { if z.abs() <= 1.0 { 1.0 } else { 0.0 } }
/// }
/// let err = validate(&Inconsistent).unwrap_err();
/// assert!(matches!(err, DistributionError::DensityCdfMismatch { .. }));
/// ```
pub fn validate<D: EndowmentDistribution + ?Sized>(d: &D) -> Result<(), DistributionError> {
    let (lo, hi) = d.support();
    super::support(lo, hi)?;
    let bad = |function, at, value, expected| {
        Err(DistributionError::InvalidValue {
            function,
            at,
            value,
            expected,
        })
    };
    let f_lo = d.cdf(lo);
    if f_lo.is_nan() || f_lo.abs() > 1e-9 {
        return bad(
            "cdf",
            lo,
            f_lo,
            "the CDF must be 0 at the lower end of the support",
        );
    }
    let f_hi = d.cdf(hi);
    if f_hi.is_nan() || (f_hi - 1.0).abs() > 1e-9 {
        return bad(
            "cdf",
            hi,
            f_hi,
            "the CDF must be 1 at the upper end of the support",
        );
    }
    let mut prev_cdf = 0.0;
    let mut prev: Option<(f64, f64, Option<f64>)> = None;
    // A scan interval whose density the adaptive rule alone stepped over.
    let mut narrow = None;
    for z in scan_grid(lo, hi) {
        let p = d.pdf(z);
        if !p.is_finite() || p < 0.0 {
            return bad("pdf", z, p, "the density must be finite and non-negative");
        }
        // A zero density with mass on both sides is a hole in the support;
        // one where the CDF (or survival function) itself underflows is a
        // far tail of a positive density and is allowed.
        if p == 0.0 && z > lo && z < hi && d.cdf(z) > 0.0 && d.sf(z) > 0.0 {
            return Err(DistributionError::VanishingDensity { at: z });
        }
        let c = d.cdf(z);
        if !c.is_finite() || c < prev_cdf - 1e-12 || c > 1.0 + 1e-12 {
            return bad(
                "cdf",
                z,
                c,
                "the CDF must be finite, within [0, 1] and non-decreasing",
            );
        }
        prev_cdf = c;
        // The survival function only in the upper half, where `1 − F`
        // would lose digits (and only then, to keep the scan cheap).
        let s = (c > 0.5).then(|| d.sf(z));
        if let Some((a, c_a, s_a)) = prev {
            let increment = match s {
                Some(s_b) => s_a.unwrap_or_else(|| d.sf(a)) - s_b,
                None => c - c_a,
            };
            if check_increment(d, a, z, increment)? {
                narrow.get_or_insert(0.5 * (a + z));
            }
        }
        prev = Some((z, c, s));
    }
    // The moments the solve uses; a default one is NaN when the density is
    // too rough to integrate to its tolerance.
    for (function, value) in [("mean", d.mean()), ("second_moment", d.second_moment())] {
        if !value.is_finite() {
            return bad(
                function,
                hi,
                value,
                "the moments must be finite; the default ones integrate the density by adaptive quadrature, which cannot reach its tolerance on this density: override partial_moment and second_moment with closed forms, or give the density's kinks",
            );
        }
    }
    // Where the scan found a feature the adaptive rule steps over, the
    // default moments (which integrate the density with that rule) may
    // step over it too: the moments are compared with integrals checked
    // against the CDF's probability of every piece.
    if let Some(at) = narrow {
        let tol = Tolerances::DEFAULT;
        let scale = lo.abs().max(hi.abs()).max(hi - lo);
        let pieces = breakpoints(d, lo, hi);
        for (function, value, power) in [
            ("mean", d.mean(), 1),
            ("second_moment", d.second_moment(), 2),
        ] {
            let checked = integrate_pieces_with_mass(
                |z| {
                    let f = d.pdf(z);
                    [z.powi(power) * f, f]
                },
                &pieces,
                &|p, q| probability_between(d, p, q),
                &tol,
            );
            let needed = MOMENT_AGREEMENT * scale.powi(power);
            if checked.error > tol.quad_rel || (checked.value[0] - value).abs() > needed {
                return bad(
                    function,
                    at,
                    value,
                    "the moments must agree with the density; the default ones integrate it by adaptive quadrature, which steps over a narrow feature of the density near this point (a cluster of types between the rule's nodes): override partial_moment and second_moment with closed forms, and density_bounds so that the ironing can resolve the feature",
                );
            }
        }
    }
    Ok(())
}

/// How far, relative to the support's scale (to its square for the second
/// moment), a distribution's moments may stand from integrals of its
/// density checked against its CDF, where the scan found a feature the
/// adaptive rule steps over (see [`validate`]): far looser than those
/// integrals' accuracy, far tighter than any feature that moves them.
const MOMENT_AGREEMENT: f64 = 1e-9;

/// Compares `∫_a^b pdf` with the CDF's increment on one scan interval: a
/// 2-point Gauss–Legendre rule first (exact for cubics; on an interval of
/// 1/600 of the support or less its error is far below the tolerance for a
/// smooth density), and where it
/// disagrees the adaptive rule (which resolves kinks), so that only a
/// density that really does not match its CDF is rejected. The caller
/// takes the increment from the CDF in the lower half and from the
/// survival function in the upper half.
fn check_increment<D: EndowmentDistribution + ?Sized>(
    d: &D,
    a: f64,
    b: f64,
    increment: f64,
) -> Result<bool, DistributionError> {
    if b <= a {
        return Ok(false);
    }
    let tol = Tolerances::DEFAULT;
    let allowed = tol.density_cdf_rel * increment.abs() + 64.0 * f64::EPSILON;
    let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
    let x = half / 3f64.sqrt();
    let gauss = half * (d.pdf(mid - x) + d.pdf(mid + x));
    if (gauss - increment).abs() <= allowed {
        return Ok(false);
    }
    // The comparison needs the integral to `density_cdf_rel` of itself; a
    // density too rough for the adaptive rule cannot be checked, which is
    // an error of its own rather than a mismatch or a pass.
    let integral = integrate_vec_checked(|z| [d.pdf(z)], a, b, &tol)
        .within(
            "the density over a scan interval",
            0.1 * tol.density_cdf_rel,
        )
        .map_err(DistributionError::Numerical)?;
    if (integral - increment).abs() <= allowed {
        return Ok(false);
    }
    // A narrow feature of the density (a cluster of types) between the
    // adaptive rule's nodes is invisible to its error estimate, and the
    // CDF sees it: the probability missing is followed down by halving
    // (`numerics::integrate_vec_with_mass`) before the interval counts as
    // a mismatch. (A cluster of 1e-3 of the types, 2e-5 wide, in one scan
    // interval of a user's type was rejected as a density that does not
    // integrate to its CDF.)
    let searched = integrate_vec_with_mass(
        &mut |z| [d.pdf(z)],
        (a, b),
        0,
        KnownMass {
            of: &|p, q| probability_between(d, p, q),
            range: None,
            whole: 1.0,
            steers: true,
        },
        &tol,
    );
    let found = searched.value[0];
    if searched.error <= 0.1 * tol.density_cdf_rel && (found - increment).abs() <= allowed {
        return Ok(true);
    }
    Err(DistributionError::DensityCdfMismatch {
        lo: a,
        hi: b,
        integral,
        increment,
    })
}
