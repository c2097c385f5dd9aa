//! Tests of `TruncatedNormal` against expectations computed independently of
//! the crate: the textbook density integrated by the reference quadrature of
//! `tests/common`, the textbook CDF formula through `libm`'s `erfc`, and values of
//! the normal CDF computed with mpmath at 60 significant digits.

use crate::common;

use common::{
    all_values, assert_quantile_inverts_cdf, close, grid_with_ends, reference_integral, rel_err,
};

use exchange_design::distribution::{
    check_condition2, validate, DistributionError, EndowmentDistribution, TruncatedNormal,
};

/// Parameter sets `(mu, sigma, lo, hi)`: wide and symmetric, one-sided,
/// off-centre, entirely in the upper tail, entirely in the lower tail,
/// nearly uniform, and a support reaching 10 standard deviations.
const SETS: [(f64, f64, f64, f64); 7] = [
    (0.0, 1.0, -10.0, 10.0),
    (0.0, 1.0, -1.0, 9.0),
    (0.3, 0.5, -1.0, 1.0),
    (0.0, 1.0, 8.0, 12.0),
    (1.0, 2.0, -30.0, -18.0),
    (5.0, 100.0, 0.0, 1.0),
    (1.0, 2.0, -3.0, 0.5),
];

fn build(p: (f64, f64, f64, f64)) -> TruncatedNormal {
    TruncatedNormal::new(p.0, p.1, p.2, p.3).unwrap()
}

/// The textbook density, normalised by the reference quadrature.
struct Textbook {
    mu: f64,
    sigma: f64,
    lo: f64,
    hi: f64,
    mass: f64,
}

impl Textbook {
    fn new(p: (f64, f64, f64, f64)) -> Self {
        let (mu, sigma, lo, hi) = p;
        let mut t = Textbook {
            mu,
            sigma,
            lo,
            hi,
            mass: 1.0,
        };
        t.mass = reference_integral(|z| t.pdf(z), lo, hi, &[mu]);
        t
    }

    fn pdf(&self, z: f64) -> f64 {
        let x = (z - self.mu) / self.sigma;
        (-0.5 * x * x).exp() / (self.sigma * (2.0 * std::f64::consts::PI).sqrt() * self.mass)
    }

    fn kinks(&self) -> [f64; 1] {
        [self.mu]
    }

    /// `∫_lo^z g(s) f(s) ds`, integrated in the offset `u = s − lo`: the
    /// reference rule's panel ends are then exact next to `lo`, however far
    /// `lo` is from 0 (panels of `[lo, lo + 1e−11]` built from `lo` itself
    /// would overlap by rounding).
    fn above_lo(&self, z: f64, g: impl Fn(f64) -> f64) -> f64 {
        let (lo, mu) = (self.lo, self.mu);
        reference_integral(|u| g(lo + u) * self.pdf(lo + u), 0.0, z - lo, &[mu - lo])
    }

    /// `∫_z^hi g(s) f(s) ds`, integrated in the offset `v = hi − s`.
    fn below_hi(&self, z: f64, g: impl Fn(f64) -> f64) -> f64 {
        let (hi, mu) = (self.hi, self.mu);
        reference_integral(|v| g(hi - v) * self.pdf(hi - v), 0.0, hi - z, &[hi - mu])
    }

    fn cdf(&self, z: f64) -> f64 {
        self.above_lo(z, |_| 1.0)
    }

    fn sf(&self, z: f64) -> f64 {
        self.below_hi(z, |_| 1.0)
    }
}

#[test]
fn new_rejects_invalid_parameters() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    for (args, name) in [
        ((nan, 1.0, -1.0, 1.0), "mu"),
        ((0.0, inf, -1.0, 1.0), "sigma"),
        ((0.0, 1.0, -inf, 1.0), "lo"),
        ((0.0, 1.0, -1.0, nan), "hi"),
    ] {
        let err = TruncatedNormal::new(args.0, args.1, args.2, args.3).unwrap_err();
        assert!(
            matches!(err, DistributionError::NonFiniteParameter { name: n, .. } if n == name),
            "{err:?}"
        );
    }
    for sigma in [0.0, -1.0, -0.0] {
        let err = TruncatedNormal::new(0.0, sigma, -1.0, 1.0).unwrap_err();
        assert!(matches!(
            err,
            DistributionError::NonPositiveScale { name: "sigma", .. }
        ));
    }
    for (lo, hi) in [(1.0, 1.0), (1.0, -1.0)] {
        let err = TruncatedNormal::new(0.0, 1.0, lo, hi).unwrap_err();
        assert!(matches!(err, DistributionError::EmptySupport { .. }));
    }
}

#[test]
fn new_reports_no_mass_far_from_the_mean() {
    // Φ(−40) ≈ 3.7e−350 is below the smallest f64.
    for (mu, sigma, lo, hi) in [
        (0.0, 1.0, 40.0, 41.0),
        (0.0, 1.0, -41.0, -40.0),
        (0.0, 0.01, 0.4, 0.5),
        (1e3, 1.0, 0.0, 1.0),
    ] {
        let err = TruncatedNormal::new(mu, sigma, lo, hi).unwrap_err();
        assert!(
            matches!(err, DistributionError::NoMassInSupport { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("mass"));
    }
    // 30 standard deviations out the mass (≈ 5e−198) is still representable.
    let d = TruncatedNormal::new(0.0, 1.0, 30.0, 31.0).unwrap();
    assert!(d.mean() > 30.0 && d.mean() < 30.1);
}

#[test]
fn pdf_matches_textbook_density() {
    for p in SETS {
        let (d, t) = (build(p), Textbook::new(p));
        for z in grid_with_ends(p.2, p.3, 40) {
            assert!(
                rel_err(d.pdf(z), t.pdf(z)) <= 1e-12,
                "{p:?} z={z}: {} vs {}",
                d.pdf(z),
                t.pdf(z)
            );
        }
        assert_eq!(d.pdf(p.2 - 1e-9 * (p.3 - p.2)), 0.0);
        assert_eq!(d.pdf(p.3 + 1e-9 * (p.3 - p.2)), 0.0);
    }
}

#[test]
fn cdf_and_sf_match_reference_quadrature() {
    for p in SETS {
        let (d, t) = (build(p), Textbook::new(p));
        for z in grid_with_ends(p.2, p.3, 40) {
            let (cdf, sf) = (t.cdf(z), t.sf(z));
            assert!(
                close(d.cdf(z), cdf, 1e-12),
                "{p:?} z={z}: cdf {} vs {cdf}",
                d.cdf(z)
            );
            assert!(
                close(d.sf(z), sf, 1e-12),
                "{p:?} z={z}: sf {} vs {sf}",
                d.sf(z)
            );
            // Relative accuracy in whichever tail is the smaller.
            if cdf <= 0.5 {
                assert!(
                    rel_err(d.cdf(z), cdf) <= 1e-12,
                    "{p:?} z={z}: cdf {} vs {cdf}",
                    d.cdf(z)
                );
            }
            if sf <= 0.5 {
                assert!(
                    rel_err(d.sf(z), sf) <= 1e-12,
                    "{p:?} z={z}: sf {} vs {sf}",
                    d.sf(z)
                );
            }
        }
        assert_eq!(d.cdf(p.2), 0.0);
        assert_eq!(d.cdf(p.3), 1.0);
        assert_eq!(d.sf(p.2), 1.0);
        assert_eq!(d.sf(p.3), 0.0);
    }
}

#[test]
fn sf_plus_cdf_is_one() {
    for p in SETS {
        let d = build(p);
        for z in grid_with_ends(p.2, p.3, 400) {
            assert!((d.cdf(z) + d.sf(z) - 1.0).abs() <= 1e-14, "{p:?} z={z}");
        }
    }
}

/// `(z, F(z), 1 − F(z))` from mpmath at 60 digits, rounded to the nearest `f64`:
/// `(Q(α) − Q(t))/(Q(α) − Q(β))` and `(Q(t) − Q(β))/(Q(α) − Q(β))` with
/// `Q(x) = ncdf(−x)`, evaluated at the exact binary value of `z`.
const MPMATH_WIDE: [(f64, f64, f64); 20] = [
    (-9.5, 1.0418316545121003e-21, 1.0),
    (-8.5, 9.479527202350293e-18, 1.0),
    (-8.0, 6.220960498073254e-16, 0.9999999999999993),
    (-7.0, 1.2798125438782152e-12, 0.9999999999987201),
    (-6.0, 9.865876450376904e-10, 0.9999999990134123),
    (-5.0, 2.866515718791939e-07, 0.9999997133484281),
    (-4.0, 3.1671241833119924e-05, 0.9999683287581669),
    (-3.0, 0.0013498980316300946, 0.9986501019683699),
    (-2.0, 0.02275013194817921, 0.9772498680518208),
    (-1.0, 0.15865525393145705, 0.8413447460685429),
    (-0.5, 0.3085375387259869, 0.6914624612740131),
    (0.0, 0.5, 0.5),
    (0.5, 0.6914624612740131, 0.3085375387259869),
    (1.0, 0.8413447460685429, 0.15865525393145705),
    (2.0, 0.9772498680518208, 0.02275013194817921),
    (3.0, 0.9986501019683699, 0.0013498980316300946),
    (5.0, 0.9999997133484281, 2.866515718791939e-07),
    (7.0, 0.9999999999987201, 1.2798125438782152e-12),
    (8.0, 0.9999999999999993, 6.220960498073254e-16),
    (9.0, 1.0, 1.1285122074235991e-19),
];

/// As [`MPMATH_WIDE`], for `N(0, 1)` truncated to `[−1, 9]`.
const MPMATH_ONE_SIDED: [(f64, f64, f64); 20] = [
    (-0.999, 0.00028774377090067676, 0.9997122562290993),
    (-0.9, 0.030195554835297848, 0.9698044451647021),
    (-0.5, 0.1781460994377199, 0.8218539005622801),
    (0.0, 0.4057132913274699, 0.5942867086725301),
    (0.25, 0.5230330061579971, 0.476966993842003),
    (0.5, 0.6332804832172199, 0.3667195167827801),
    (1.0, 0.8114265826549398, 0.1885734173450602),
    (1.5, 0.9205947364846141, 0.07940526351538588),
    (2.0, 0.9729597979253016, 0.027040202074698393),
    (2.5, 0.9926193568631732, 0.007380643136826868),
    (3.0, 0.998395547083478, 0.0016044529165219516),
    (3.5, 0.9997235032605569, 0.00027649673944308797),
    (4.0, 0.9999623564038629, 3.764359613715304e-05),
    (5.0, 0.9999996592935616, 3.4070643837565253e-07),
    (6.0, 0.9999999988273681, 1.172631848638731e-09),
    (7.0, 0.9999999999984789, 1.5211510347064439e-12),
    (7.5, 0.999999999999962, 3.7925956059478154e-14),
    (8.0, 0.9999999999999992, 7.392726958752662e-16),
    (8.5, 1.0, 1.1132982080623639e-17),
    (8.9, 1.0, 1.977484231951528e-19),
];

#[test]
fn cdf_and_sf_match_high_precision_values() {
    for (d, table) in [
        (build((0.0, 1.0, -10.0, 10.0)), &MPMATH_WIDE),
        (build((0.0, 1.0, -1.0, 9.0)), &MPMATH_ONE_SIDED),
    ] {
        for &(z, cdf, sf) in table.iter() {
            assert!(
                rel_err(d.cdf(z), cdf) <= 1e-12,
                "z={z}: cdf {} vs {cdf}",
                d.cdf(z)
            );
            assert!(
                rel_err(d.sf(z), sf) <= 1e-12,
                "z={z}: sf {} vs {sf}",
                d.sf(z)
            );
        }
    }
}

/// `Φ(x)` and `Q(x) = 1 − Φ(x)` by the textbook formula through `libm`'s
/// `erfc`, each from its own tail (the argument `x/√2` is simply rounded).
fn libm_phi(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}
fn libm_q(x: f64) -> f64 {
    0.5 * libm::erfc(x / std::f64::consts::SQRT_2)
}

#[test]
fn cdf_and_sf_agree_with_libm_textbook_formula() {
    // musl's erfc (the `libm` crate) is accurate to about an ulp, and the
    // rounding of x/√2 costs the textbook formula at most x²·1e−16 relative
    // (1e−14 at 9.5σ), so it is held to the same 1e−12 as the mpmath values
    // (statrs 0.19.1's erfc, used here before, is off by up to 1e−10 for
    // arguments at or above 0.5; statrs PR #412). The crate evaluates the
    // tails through the same erfc, so this checks the assembly from tails
    // (nearer tail, truncation, normalisation); the absolute reference is
    // `cdf_and_sf_match_high_precision_values`. Each probability is compared
    // with the form that is itself accurate: F through differences of Φ and
    // 1 − F through differences of Q, both relative errors of a few ulps
    // wherever the value is small, never 1 minus the other.
    const LIBM_REL: f64 = 1e-12;
    for (lo, hi, table) in [(-10.0, 10.0, &MPMATH_WIDE), (-1.0, 9.0, &MPMATH_ONE_SIDED)] {
        let d = build((0.0, 1.0, lo, hi));
        for &(z, _, _) in table.iter() {
            let cdf = (libm_phi(z) - libm_phi(lo)) / (libm_phi(hi) - libm_phi(lo));
            let sf = (libm_q(z) - libm_q(hi)) / (libm_q(lo) - libm_q(hi));
            assert!(
                rel_err(d.cdf(z), cdf) <= LIBM_REL,
                "z={z}: {} vs {cdf}",
                d.cdf(z)
            );
            assert!(
                rel_err(d.sf(z), sf) <= LIBM_REL,
                "z={z}: {} vs {sf}",
                d.sf(z)
            );
        }
    }
}

#[test]
fn quantile_inverts_cdf() {
    for p in SETS {
        assert_quantile_inverts_cdf(&build(p));
    }
}

#[test]
fn quantile_keeps_relative_accuracy_in_the_tails() {
    // With the mean at an end of the support, z near that end is represented
    // with full relative precision, so F(q(u)) = u holds relatively.
    let lower = build((0.0, 1.0, 0.0, 3.0));
    let upper = build((0.0, 1.0, -3.0, 0.0));
    for u in [1e-300, 1e-100, 1e-10, 1e-6, 1e-3, 0.1, 0.5] {
        let z = lower.quantile(u);
        assert!(rel_err(lower.cdf(z), u) <= 1e-12, "u={u}: {}", lower.cdf(z));
        let v = 1.0 - u;
        if v < 1.0 {
            // 1 − v is exact, and is the survival probability asked for.
            let z = upper.quantile(v);
            assert!(
                rel_err(upper.sf(z), 1.0 - v) <= 1e-12,
                "u={u}: {}",
                upper.sf(z)
            );
        }
    }
    // Far in a tail of a wide support: 8 standard deviations below the mean.
    let wide = build((0.0, 1.0, -10.0, 10.0));
    for &(z, cdf, _) in MPMATH_WIDE.iter().take(6) {
        assert!(
            rel_err(wide.quantile(cdf), z) <= 1e-12,
            "z={z}: {}",
            wide.quantile(cdf)
        );
    }
}

#[test]
fn cdf_then_quantile_round_trips() {
    for p in SETS {
        let d = build(p);
        for z in grid_with_ends(p.2, p.3, 40) {
            // Above the median u = F(z) is rounded near 1, which moves the
            // quantile by about ε/f(z); test only where that is below 1e−13.
            let u = d.cdf(z);
            if u <= 0.5 || f64::EPSILON / d.pdf(z) <= 1e-13 * 1f64.max(z.abs()) {
                let back = d.quantile(u);
                assert!(close(back, z, 1e-12), "{p:?} z={z}: {back}");
            }
        }
    }
}

#[test]
fn moments_match_reference_quadrature() {
    for p in SETS {
        let (d, t) = (build(p), Textbook::new(p));
        let k = t.kinks();
        let mean = reference_integral(|z| z * t.pdf(z), p.2, p.3, &k);
        let second = reference_integral(|z| z * z * t.pdf(z), p.2, p.3, &k);
        let var = reference_integral(|z| (z - mean) * (z - mean) * t.pdf(z), p.2, p.3, &k);
        assert!(
            close(d.mean(), mean, 1e-12),
            "{p:?}: mean {} vs {mean}",
            d.mean()
        );
        assert!(
            rel_err(d.second_moment(), second) <= 1e-12,
            "{p:?}: {} vs {second}",
            d.second_moment()
        );
        assert!(
            rel_err(d.variance(), var) <= 1e-12,
            "{p:?}: var {} vs {var}",
            d.variance()
        );
        assert!(close(d.partial_moment(p.3), mean, 1e-12));
    }
}

#[test]
fn partial_moment_and_cdf_integrals_match_reference_quadrature() {
    for p in SETS {
        let (d, t) = (build(p), Textbook::new(p));
        for z in grid_with_ends(p.2, p.3, 20) {
            let m = t.above_lo(z, |s| s);
            // ∫_lo^z F = ∫_lo^z (z − s) f(s) ds and ∫_z^hi (1 − F) = ∫_z^hi (s − z) f(s) ds,
            // with the weights written in the offsets from the ends so that
            // they keep their relative precision next to the ends.
            let (d_lo, d_hi) = (z - p.2, p.3 - z);
            let ci = reference_integral(|u| (d_lo - u) * t.pdf(p.2 + u), 0.0, d_lo, &[p.0 - p.2]);
            let si = reference_integral(|v| (d_hi - v) * t.pdf(p.3 - v), 0.0, d_hi, &[p.3 - p.0]);
            assert!(
                close(d.partial_moment(z), m, 1e-12),
                "{p:?} z={z}: M {} vs {m}",
                d.partial_moment(z)
            );
            assert!(
                close(d.cdf_integral(z), ci, 1e-12),
                "{p:?} z={z}: {} vs {ci}",
                d.cdf_integral(z)
            );
            assert!(
                close(d.sf_integral(z), si, 1e-12),
                "{p:?} z={z}: {} vs {si}",
                d.sf_integral(z)
            );
            // Relative accuracy, including near the ends where both vanish.
            assert!(
                rel_err(d.cdf_integral(z), ci) <= 1e-11,
                "{p:?} z={z}: {} vs {ci}",
                d.cdf_integral(z)
            );
            assert!(
                rel_err(d.sf_integral(z), si) <= 1e-11,
                "{p:?} z={z}: {} vs {si}",
                d.sf_integral(z)
            );
        }
        // Beyond the support the integrands are 1 (F) and 1 (1 − F).
        let mean = d.mean();
        assert!(close(d.cdf_integral(p.3 + 2.0), p.3 - mean + 2.0, 1e-12));
        assert!(close(d.sf_integral(p.2 - 2.0), mean - p.2 + 2.0, 1e-12));
        assert_eq!(d.cdf_integral(p.2 - 1.0), 0.0);
        assert_eq!(d.sf_integral(p.3 + 1.0), 0.0);
    }
}

#[test]
fn hazard_ratios_match_independent_forms() {
    for p in SETS {
        let (d, t) = (build(p), Textbook::new(p));
        let (mu, sigma, lo, hi) = p;
        for z in grid_with_ends(lo, hi, 40) {
            let tz = (z - mu) / sigma;
            // F/f = σ ∫_α^t exp(−(x² − t²)/2) dx = σ ∫_0^((z−lo)/σ) exp(v (t − v/2)) dv
            // and (1 − F)/f = σ ∫_0^((hi−z)/σ) exp(−v (t + v/2)) dv, integrated
            // directly, so nothing underflows however far out t is.
            let f_ratio = sigma
                * reference_integral(|v| (v * (tz - 0.5 * v)).exp(), 0.0, (z - lo) / sigma, &[]);
            let s_ratio = sigma
                * reference_integral(|v| (-v * (tz + 0.5 * v)).exp(), 0.0, (hi - z) / sigma, &[]);
            assert!(
                rel_err(d.cdf_pdf_ratio(z), f_ratio) <= 1e-12,
                "{p:?} z={z}: {} vs {f_ratio}",
                d.cdf_pdf_ratio(z)
            );
            assert!(
                rel_err(d.sf_pdf_ratio(z), s_ratio) <= 1e-12,
                "{p:?} z={z}: {} vs {s_ratio}",
                d.sf_pdf_ratio(z)
            );
            // And, in the bulk, the quotient of the textbook CDF and density.
            if t.pdf(z) > 1e-3 / (hi - lo) {
                assert!(close(d.cdf_pdf_ratio(z), t.cdf(z) / t.pdf(z), 1e-11));
                assert!(close(d.sf_pdf_ratio(z), t.sf(z) / t.pdf(z), 1e-11));
            }
        }
    }
    // The textbook formula through libm's erfc, in the bulk of N(0, 1) on
    // [−2, 2], to the same 1e−12 (see `cdf_and_sf_agree_with_libm_textbook_formula`).
    let d = build((0.0, 1.0, -2.0, 2.0));
    for z in [-1.5f64, -0.5, 0.0, 0.7, 1.9] {
        let phi = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let f_ratio = (libm_phi(z) - libm_phi(-2.0)) / phi;
        let s_ratio = (libm_q(z) - libm_q(2.0)) / phi;
        assert!(
            rel_err(d.cdf_pdf_ratio(z), f_ratio) <= 1e-12,
            "z={z}: {} vs {f_ratio}",
            d.cdf_pdf_ratio(z)
        );
        assert!(
            rel_err(d.sf_pdf_ratio(z), s_ratio) <= 1e-12,
            "z={z}: {} vs {s_ratio}",
            d.sf_pdf_ratio(z)
        );
    }
}

/// Mills' ratio `Q(x)/φ(x)` from its asymptotic series (for large `x`).
fn mills_asymptotic(x: f64) -> f64 {
    let y = 1.0 / (x * x);
    // 1 − 1/x² + 3/x⁴ − 15/x⁶ + 105/x⁸ − 945/x¹⁰ + 10395/x¹²
    let series = 1.0
        - y * (1.0
            - 3.0 * y * (1.0 - 5.0 * y * (1.0 - 7.0 * y * (1.0 - 9.0 * y * (1.0 - 11.0 * y)))));
    series / x
}

#[test]
fn hazard_ratios_take_their_limits_at_the_ends() {
    for p in SETS {
        let d = build(p);
        let (mu, sigma, lo, hi) = p;
        assert_eq!(d.cdf_pdf_ratio(lo), 0.0);
        assert_eq!(d.sf_pdf_ratio(hi), 0.0);
        // Just inside the ends the ratios are the distance to the end.
        for delta in [1e-12, 1e-9] {
            let h = delta * (hi - lo);
            let near_lo = lo + h;
            let near_hi = hi - h;
            let slope_lo = -(lo - mu) / (sigma * sigma);
            let slope_hi = -(hi - mu) / (sigma * sigma);
            // F/f ≈ (z − lo)(1 − (z − lo)·(log f)'(lo)/2), and mirrored.
            let f_lo = (near_lo - lo) * (1.0 - 0.5 * (near_lo - lo) * slope_lo);
            let s_hi = (hi - near_hi) * (1.0 + 0.5 * (hi - near_hi) * slope_hi);
            assert!(
                rel_err(d.cdf_pdf_ratio(near_lo), f_lo) <= 1e-9,
                "{p:?}: {}",
                d.cdf_pdf_ratio(near_lo)
            );
            assert!(
                rel_err(d.sf_pdf_ratio(near_hi), s_hi) <= 1e-9,
                "{p:?}: {}",
                d.sf_pdf_ratio(near_hi)
            );
        }
        // The ratios are clamped outside the support.
        assert_eq!(d.cdf_pdf_ratio(lo - 1.0), 0.0);
        assert_eq!(d.sf_pdf_ratio(hi + 1.0), 0.0);
        assert!(d.cdf_pdf_ratio(hi).is_finite() && d.cdf_pdf_ratio(hi) > 0.0);
        assert!(d.sf_pdf_ratio(lo).is_finite() && d.sf_pdf_ratio(lo) > 0.0);
    }
}

#[test]
fn hazard_ratios_survive_density_underflow() {
    // On [−40, 40], φ(±39) ≈ 1e−331 underflows, but the ratios do not.
    let d = build((0.0, 1.0, -40.0, 40.0));
    assert_eq!(d.pdf(39.0), 0.0);
    // (1 − F)/f at 39 is Q(39)/φ(39) minus a term of relative size e^(−39.5).
    let want = mills_asymptotic(39.0);
    assert!(
        rel_err(d.sf_pdf_ratio(39.0), want) <= 1e-13,
        "{}",
        d.sf_pdf_ratio(39.0)
    );
    assert!(
        rel_err(d.cdf_pdf_ratio(-39.0), want) <= 1e-13,
        "{}",
        d.cdf_pdf_ratio(-39.0)
    );
    // The opposite ratios are about 1/φ(39) ≈ 1e331: beyond f64, so +∞.
    assert_eq!(d.cdf_pdf_ratio(39.0), f64::INFINITY);
    assert_eq!(d.sf_pdf_ratio(-39.0), f64::INFINITY);
    // With σ = 0.01 the support [−1, 1] spans ±100 standard deviations.
    let narrow = build((0.0, 0.01, -1.0, 1.0));
    let want = 0.01 * mills_asymptotic(80.0);
    assert!(rel_err(narrow.sf_pdf_ratio(0.8), want) <= 1e-13);
    assert!(rel_err(narrow.cdf_pdf_ratio(-0.8), want) <= 1e-13);
}

#[test]
fn pdf_derivative_matches_difference_quotient() {
    for p in SETS {
        let d = build(p);
        let (lo, hi) = (p.2, p.3);
        let h = 1e-6 * (hi - lo);
        for k in 1..20 {
            let z = lo + (hi - lo) * k as f64 / 20.0;
            let fd = (d.pdf(z + h) - d.pdf(z - h)) / (2.0 * h);
            let scale = d.pdf(z) / (hi - lo);
            assert!(
                (d.pdf_derivative(z) - fd).abs() <= 1e-6 * scale.max(fd.abs()),
                "{p:?} z={z}"
            );
        }
    }
}

#[test]
fn nothing_is_nan_on_a_dense_grid() {
    let extreme = [
        (0.0, 1.0, -40.0, 40.0),
        (0.0, 1.0, 30.0, 31.0),
        (0.0, 1.0, -37.0, -36.5),
        (0.0, 1e-3, -1.0, 1.0),
        (0.0, 1e6, 0.0, 1.0),
        (0.0, 1.0, 1e-9, 2e-9),
        (0.0, 2e-9, -1.0, 1.0), // the narrowest σ accepted: 1e-9 of the width
        // A support far wider than σ: σ may be as small as 1e-9 of the
        // width (see `TruncatedNormal::new`).
        (0.0, 1.0, -5e8, 5e8),
        // Ends near the largest accepted (±1e150), σ at its lower bound.
        (0.0, 2e141, -1e150, 1e150),
    ];
    for p in SETS.iter().chain(extreme.iter()).copied() {
        let d = build(p);
        let (lo, hi) = (p.2, p.3);
        let n = 2000;
        let zs = (0..=n).map(|k| {
            let s = k as f64 / n as f64;
            lo * (1.0 - s) + hi * s
        });
        for z in zs {
            let values = all_values(&d, z);
            assert!(
                values.iter().all(|v| !v.is_nan()),
                "{p:?} z={z}: {values:?}"
            );
            assert!((0.0..=1.0).contains(&d.cdf(z)) && (0.0..=1.0).contains(&d.sf(z)));
            assert!(d.cdf_pdf_ratio(z) >= 0.0 && d.sf_pdf_ratio(z) >= 0.0);
        }
        for k in 0..=100 {
            let q = d.quantile(k as f64 / 100.0);
            assert!(q >= lo && q <= hi, "{p:?}: {q}");
        }
        for v in [d.mean(), d.variance(), d.second_moment()] {
            assert!(v.is_finite(), "{p:?}");
        }
    }
}

#[test]
fn condition2_and_validate_pass() {
    for p in SETS.iter().copied().chain([(0.0, 0.5, -1.0, 1.0)]) {
        let d = build(p);
        assert!(validate(&d).is_ok(), "{p:?}");
        assert!(
            check_condition2(&d).is_ok(),
            "{p:?}: {:?}",
            check_condition2(&d)
        );
    }
    // Condition 2 also holds where the density underflows inside the support
    // (`validate` rejects such a density, as it vanishes numerically).
    for p in [
        (0.0, 1.0, -40.0, 40.0),
        (0.0, 0.01, -1.0, 1.0),
        (0.0, 1.0, 30.0, 31.0),
    ] {
        let d = build(p);
        assert!(
            check_condition2(&d).is_ok(),
            "{p:?}: {:?}",
            check_condition2(&d)
        );
    }
}

/// `density_and_ratio` shares one standardisation, one exponential and one
/// error function between the density, a hazard ratio and the survival
/// function, and takes `1/φ(t)` from the density: it must agree with the
/// three separate functions (each checked against references above) to a
/// few roundings, on every parameter set, including supports deep in a
/// tail and points next to the ends.
#[test]
fn density_and_ratio_agrees_with_the_separate_functions() {
    use exchange_design::distribution::HazardRatio;
    let mut sets = SETS.to_vec();
    // Far out in the tail, where φ(t) underflows and 1/φ(t) overflows.
    sets.push((0.0, 1.0, 30.0, 45.0));
    for p in sets {
        let d = build(p);
        for z in grid_with_ends(p.2, p.3, 200) {
            for which in [HazardRatio::CdfOverPdf, HazardRatio::SfOverPdf] {
                let (f, r, s) = d.density_and_ratio(z, which);
                let want_r = match which {
                    HazardRatio::CdfOverPdf => d.cdf_pdf_ratio(z),
                    _ => d.sf_pdf_ratio(z),
                };
                for (name, got, want) in [
                    ("pdf", f, d.pdf(z)),
                    ("ratio", r, want_r),
                    ("sf", s, d.sf(z)),
                ] {
                    assert!(
                        rel_err(got, want) <= 1e-14,
                        "{p:?} z = {z} {which}: {name} {got:e} against {want:e}"
                    );
                }
            }
        }
    }
}

/// `pdf_and_tail` and `pdf_and_ratio` standardise `z` once for the
/// density and the tail or the ratio; the values are the separate
/// functions' exactly, on every parameter set, next to the ends and
/// outside the support.
#[test]
fn pdf_and_tail_is_the_separate_functions() {
    use exchange_design::distribution::HazardRatio;
    let mut sets = SETS.to_vec();
    sets.push((0.0, 1.0, 30.0, 45.0));
    for p in sets {
        let d = build(p);
        let mut points = grid_with_ends(p.2, p.3, 200);
        points.extend([p.2 - 1.0, p.3 + 1.0, f64::NAN]);
        for z in points {
            for (which, tail) in [
                (HazardRatio::CdfOverPdf, d.cdf(z)),
                (HazardRatio::SfOverPdf, d.sf(z)),
            ] {
                let (f, t) = d.pdf_and_tail(z, which);
                let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
                assert!(same(f, d.pdf(z)), "{p:?} z = {z} {which}: pdf {f:e}");
                assert!(
                    same(t, tail),
                    "{p:?} z = {z} {which}: tail {t:e} against {tail:e}"
                );
                let (f, r) = d.pdf_and_ratio(z, which);
                let ratio = if which == HazardRatio::CdfOverPdf {
                    d.cdf_pdf_ratio(z)
                } else {
                    d.sf_pdf_ratio(z)
                };
                assert!(same(f, d.pdf(z)), "{p:?} z = {z} {which}: pdf {f:e}");
                assert!(
                    same(r, ratio),
                    "{p:?} z = {z} {which}: ratio {r:e} against {ratio:e}"
                );
            }
        }
    }
}

/// The log-density of a normal is a parabola, so `f'/f = (μ − z)/σ²` is
/// linear and its bounds on a cell are its values at the cell's ends,
/// exactly (here with `σ² = 1/16`, so that every quotient is exact).
#[test]
fn log_slope_bounds_are_the_ends_values() {
    let d = TruncatedNormal::new(0.25, 0.25, -1.0, 2.0).unwrap();
    for (a, b) in [(-1.0, -0.5), (0.0, 0.5), (1.0, 2.0), (-3.0, 3.0)] {
        let (low, high) = d.pdf_log_derivative_bounds(a, b).unwrap();
        let (a, b) = (f64::max(a, -1.0), f64::min(b, 2.0));
        assert_eq!((low, high), (16.0 * (0.25 - b), 16.0 * (0.25 - a)));
    }
}
