//! Tests of `Beta` against expectations computed independently of the
//! crate: polynomial CDFs for integer shapes, and the unnormalised textbook
//! density integrated by the reference quadrature of `tests/common` (after the
//! substitution `x = s²` at each end, which makes the integrands smooth for
//! half-integer shapes as well).

use crate::common;

use common::{
    all_values, assert_quantile_inverts_cdf, close, grid_with_ends, reference_integral, rel_err,
};

use exchange_design::distribution::{
    check_condition2, validate, Beta, DistributionError, EndowmentDistribution, Uniform,
};

/// Parameter sets `(a, b, lo, hi)`. The reference quadrature is exact to
/// rounding for integer and half-integer shapes (and for `b = 7.3`, whose
/// end behaviour is smooth to high order after the substitution).
const SETS: [(f64, f64, f64, f64); 8] = [
    (2.0, 2.0, 0.0, 1.0),
    (2.0, 3.0, -1.0, 1.0),
    (1.0, 1.0, -1.0, 1.0),
    (1.5, 1.5, 3.0, 4.0),
    (2.5, 4.5, 0.0, 1.0),
    (1.0, 7.3, 0.0, 2.0),
    (5.0, 1.0, -2.0, 0.0),
    (30.0, 40.0, 10.0, 12.0),
];

fn build(p: (f64, f64, f64, f64)) -> Beta {
    Beta::new(p.0, p.1, p.2, p.3).unwrap()
}

/// The textbook density `x^(a−1) (1−x)^(b−1) / (w B)` with `B` from the
/// reference quadrature, and reference integrals against it.
struct Textbook {
    a: f64,
    b: f64,
    lo: f64,
    hi: f64,
    norm: f64,
}

impl Textbook {
    fn new(p: (f64, f64, f64, f64)) -> Self {
        let (a, b, lo, hi) = p;
        let mut t = Textbook {
            a,
            b,
            lo,
            hi,
            norm: 1.0,
        };
        t.norm = t.above_lo(hi, |_, _| 1.0);
        t
    }

    fn w(&self) -> f64 {
        self.hi - self.lo
    }

    /// The density at offsets `d_lo = z − lo`, `d_hi = hi − z` from the ends.
    fn pdf_at(&self, d_lo: f64, d_hi: f64) -> f64 {
        let (x, y) = (d_lo / self.w(), d_hi / self.w());
        x.powf(self.a - 1.0) * y.powf(self.b - 1.0) / (self.w() * self.norm)
    }

    fn pdf(&self, z: f64) -> f64 {
        self.pdf_at(z - self.lo, self.hi - z)
    }

    /// `∫_lo^z g(s − lo, hi − s) f(s) ds`: below the midpoint with
    /// `s = lo + r²`, above it with `s = hi − r²`. The weight `g` receives
    /// the offsets of `s` from both ends, exact on the side the substitution
    /// starts from.
    fn above_lo(&self, z: f64, g: impl Fn(f64, f64) -> f64) -> f64 {
        let (lo, hi) = (self.lo, self.hi);
        let mid = 0.5 * (lo + hi);
        let low_end = z.min(mid) - lo;
        let mut total = reference_integral(
            |r| 2.0 * r * g(r * r, hi - lo - r * r) * self.pdf_at(r * r, hi - lo - r * r),
            0.0,
            low_end.sqrt(),
            &[],
        );
        if z > mid {
            total += reference_integral(
                |r| 2.0 * r * g(hi - lo - r * r, r * r) * self.pdf_at(hi - lo - r * r, r * r),
                (hi - z).sqrt(),
                (hi - mid).sqrt(),
                &[],
            );
        }
        total
    }

    /// `∫_z^hi g(s) f(s) ds`, the mirror image of [`Textbook::above_lo`].
    fn below_hi(&self, z: f64, g: impl Fn(f64, f64) -> f64) -> f64 {
        let (lo, hi) = (self.lo, self.hi);
        let mid = 0.5 * (lo + hi);
        let high_end = hi - z.max(mid);
        let mut total = reference_integral(
            |r| 2.0 * r * g(hi - lo - r * r, r * r) * self.pdf_at(hi - lo - r * r, r * r),
            0.0,
            high_end.sqrt(),
            &[],
        );
        if z < mid {
            total += reference_integral(
                |r| 2.0 * r * g(r * r, hi - lo - r * r) * self.pdf_at(r * r, hi - lo - r * r),
                (z - lo).sqrt(),
                (mid - lo).sqrt(),
                &[],
            );
        }
        total
    }
}

#[test]
fn new_rejects_invalid_parameters() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    for (args, name) in [
        ((nan, 2.0, 0.0, 1.0), "a"),
        ((2.0, inf, 0.0, 1.0), "b"),
        ((2.0, 2.0, nan, 1.0), "lo"),
        ((2.0, 2.0, 0.0, -inf), "hi"),
    ] {
        let err = Beta::new(args.0, args.1, args.2, args.3).unwrap_err();
        assert!(
            matches!(err, DistributionError::NonFiniteParameter { name: n, .. } if n == name),
            "{err:?}"
        );
    }
    for (a, b, name) in [
        (0.5, 2.0, "a"),
        (2.0, 0.999, "b"),
        (0.0, 2.0, "a"),
        (-1.0, 2.0, "a"),
    ] {
        let err = Beta::new(a, b, 0.0, 1.0).unwrap_err();
        assert!(
            matches!(err, DistributionError::ShapeBelowOne { name: n, .. } if n == name),
            "{err:?}"
        );
        assert!(err.to_string().contains("at least 1"));
    }
    for (lo, hi) in [(1.0, 1.0), (1.0, 0.0)] {
        let err = Beta::new(2.0, 2.0, lo, hi).unwrap_err();
        assert!(matches!(err, DistributionError::EmptySupport { .. }));
    }
}

#[test]
fn beta_1_1_equals_uniform() {
    let (b, u) = (
        build((1.0, 1.0, -1.0, 3.0)),
        Uniform::new(-1.0, 3.0).unwrap(),
    );
    for z in grid_with_ends(-1.0, 3.0, 64) {
        assert!(close(b.cdf(z), u.cdf(z), 1e-14), "z={z}");
        assert!(close(b.sf(z), u.sf(z), 1e-14), "z={z}");
        assert!(close(b.pdf(z), u.pdf(z), 1e-14), "z={z}");
        assert_eq!(b.pdf_derivative(z), 0.0);
        assert!(
            close(b.partial_moment(z), u.partial_moment(z), 1e-14),
            "z={z}"
        );
        assert!(close(b.cdf_integral(z), u.cdf_integral(z), 1e-14), "z={z}");
        assert!(close(b.sf_integral(z), u.sf_integral(z), 1e-14), "z={z}");
        assert!(
            close(b.cdf_pdf_ratio(z), u.cdf_pdf_ratio(z), 1e-14),
            "z={z}"
        );
        assert!(close(b.sf_pdf_ratio(z), u.sf_pdf_ratio(z), 1e-14), "z={z}");
    }
    for k in 0..=20 {
        let v = k as f64 / 20.0;
        assert!(close(b.quantile(v), u.quantile(v), 1e-14));
    }
    assert!(close(b.mean(), u.mean(), 1e-15));
    assert!(close(b.variance(), u.variance(), 1e-15));
    assert!(close(b.second_moment(), u.second_moment(), 1e-15));
}

/// `(a, b, F(x), f(x), F/f, (1 − F)/f)` on `[0, 1]` for integer shapes, in
/// closed form.
type Closed = (f64, f64, fn(f64) -> [f64; 4]);

const CLOSED_FORMS: [Closed; 4] = [
    // Beta(2, 2): F = 3x² − 2x³, f = 6x(1 − x), 1 − F = (1 − x)²(1 + 2x).
    (2.0, 2.0, |x| {
        [
            x * x * (3.0 - 2.0 * x),
            6.0 * x * (1.0 - x),
            x * (3.0 - 2.0 * x) / (6.0 * (1.0 - x)),
            (1.0 - x) * (1.0 + 2.0 * x) / (6.0 * x),
        ]
    }),
    // Beta(2, 3): F = x²(6 − 8x + 3x²), f = 12x(1 − x)², 1 − F = (1 − x)³(1 + 3x).
    (2.0, 3.0, |x| {
        [
            x * x * (6.0 - 8.0 * x + 3.0 * x * x),
            12.0 * x * (1.0 - x) * (1.0 - x),
            x * (6.0 - 8.0 * x + 3.0 * x * x) / (12.0 * (1.0 - x) * (1.0 - x)),
            (1.0 - x) * (1.0 + 3.0 * x) / (12.0 * x),
        ]
    }),
    // Beta(1, 3): F = 1 − (1 − x)³ = x(3 − 3x + x²), f = 3(1 − x)².
    (1.0, 3.0, |x| {
        let y = 1.0 - x;
        let cdf = x * (3.0 - 3.0 * x + x * x);
        [cdf, 3.0 * y * y, cdf / (3.0 * y * y), y / 3.0]
    }),
    // Beta(3, 1): F = x³, f = 3x².
    (3.0, 1.0, |x| {
        [
            x * x * x,
            3.0 * x * x,
            x / 3.0,
            (1.0 - x * x * x) / (3.0 * x * x),
        ]
    }),
];

#[test]
fn cdf_pdf_and_ratios_match_polynomial_forms() {
    for (a, b, forms) in CLOSED_FORMS {
        for (lo, hi) in [(0.0, 1.0), (-1.0, 1.0), (2.0, 6.0)] {
            let d = build((a, b, lo, hi));
            let w = hi - lo;
            for k in 1..64 {
                let x = k as f64 / 64.0;
                let z = lo + w * x;
                let [cdf, pdf, f_ratio, s_ratio] = forms(x);
                assert!(
                    close(d.cdf(z), cdf, 1e-13),
                    "Beta({a},{b}) x={x}: {} vs {cdf}",
                    d.cdf(z)
                );
                assert!(close(d.sf(z), 1.0 - cdf, 1e-13), "Beta({a},{b}) x={x}");
                assert!(
                    rel_err(d.pdf(z), pdf / w) <= 1e-13,
                    "Beta({a},{b}) x={x}: {} vs {}",
                    d.pdf(z),
                    pdf / w
                );
                assert!(
                    rel_err(d.cdf_pdf_ratio(z), w * f_ratio) <= 1e-13,
                    "Beta({a},{b}) x={x}: {} vs {}",
                    d.cdf_pdf_ratio(z),
                    w * f_ratio
                );
                assert!(
                    rel_err(d.sf_pdf_ratio(z), w * s_ratio) <= 1e-13,
                    "Beta({a},{b}) x={x}: {} vs {}",
                    d.sf_pdf_ratio(z),
                    w * s_ratio
                );
            }
        }
        // Relative accuracy of the tails and the ratios next to the ends, on
        // [0, 1] where z = x exactly.
        let d = build((a, b, 0.0, 1.0));
        for x in [1e-300, 1e-200, 1e-100, 1e-30, 1e-10, 1e-4] {
            let [cdf, _, f_ratio, _] = forms(x);
            // The CDF (statrs' I_x) carries a relative error of about
            // |a ln x|·ε (≈ 1.5e−13 at x = 1e−100 with a = 3); the ratio,
            // from the series, none of that.
            if cdf > 0.0 {
                assert!(
                    rel_err(d.cdf(x), cdf) <= 1e-12,
                    "Beta({a},{b}) x={x}: {} vs {cdf}",
                    d.cdf(x)
                );
            }
            assert!(
                rel_err(d.cdf_pdf_ratio(x), f_ratio) <= 1e-13,
                "Beta({a},{b}) x={x}: {} vs {f_ratio}",
                d.cdf_pdf_ratio(x)
            );
        }
        // Next to hi, 1 − x is represented with the resolution of ulp(1), so
        // compare with the forms at the distance actually represented.
        for e in [1e-4, 1e-8, 1e-12] {
            let z = 1.0 - e;
            let y = 1.0 - z; // exact
            let [_, _, _, s_ratio] = forms(1.0 - y);
            let s_ratio_exact = match (a, b) {
                (2.0, 2.0) => y * (3.0 - 2.0 * y) / (6.0 * (1.0 - y)),
                (2.0, 3.0) => y * (1.0 + 3.0 * (1.0 - y)) / (12.0 * (1.0 - y)),
                (1.0, 3.0) => y / 3.0,
                // 1 − (1 − y)³ = y(3 − 3y + y²).
                (3.0, 1.0) => y * (3.0 - 3.0 * y + y * y) / (3.0 * (1.0 - y) * (1.0 - y)),
                _ => s_ratio,
            };
            assert!(
                rel_err(d.sf_pdf_ratio(z), s_ratio_exact) <= 1e-12,
                "Beta({a},{b}) y={y}: {} vs {s_ratio_exact}",
                d.sf_pdf_ratio(z)
            );
        }
    }
}

#[test]
fn hazard_ratios_take_their_limits_at_the_ends() {
    for (lo, hi) in [(0.0, 1.0), (-1.0, 1.0), (5.0, 9.0)] {
        let w = hi - lo;
        let d = build((2.0, 3.0, lo, hi));
        assert_eq!(d.cdf_pdf_ratio(lo), 0.0);
        assert_eq!(d.sf_pdf_ratio(hi), 0.0);
        assert_eq!(d.cdf_pdf_ratio(hi), f64::INFINITY);
        assert_eq!(d.sf_pdf_ratio(lo), f64::INFINITY);
        // Clamped outside the support.
        assert_eq!(d.cdf_pdf_ratio(lo - 1.0), 0.0);
        assert_eq!(d.sf_pdf_ratio(hi + 1.0), 0.0);
        // Where the density does not vanish at the end, the limits are finite:
        // Beta(1, 3): (1 − F)/f(lo) = 1/f(lo) = w/3; Beta(3, 1): F/f(hi) = w/3.
        let left = build((1.0, 3.0, lo, hi));
        assert_eq!(left.cdf_pdf_ratio(lo), 0.0);
        assert!(rel_err(left.sf_pdf_ratio(lo), w / 3.0) <= 1e-14);
        let right = build((3.0, 1.0, lo, hi));
        assert_eq!(right.sf_pdf_ratio(hi), 0.0);
        assert!(rel_err(right.cdf_pdf_ratio(hi), w / 3.0) <= 1e-14);
        // Just inside: F/f ≈ (z − lo)/a and (1 − F)/f ≈ (hi − z)/b.
        let sym = build((2.5, 4.5, lo, hi));
        let h = 1e-10 * w;
        assert!(rel_err(sym.cdf_pdf_ratio(lo + h), (lo + h - lo) / 2.5) <= 1e-9);
        assert!(rel_err(sym.sf_pdf_ratio(hi - h), (hi - (hi - h)) / 4.5) <= 1e-9);
    }
}

#[test]
fn cdf_and_sf_match_reference_quadrature() {
    for p in SETS {
        let (d, t) = (build(p), Textbook::new(p));
        for z in grid_with_ends(p.2, p.3, 40) {
            let (cdf, sf) = (t.above_lo(z, |_, _| 1.0), t.below_hi(z, |_, _| 1.0));
            assert!(
                close(d.cdf(z), cdf, 1e-12),
                "{p:?} z={z}: {} vs {cdf}",
                d.cdf(z)
            );
            assert!(
                close(d.sf(z), sf, 1e-12),
                "{p:?} z={z}: {} vs {sf}",
                d.sf(z)
            );
            if cdf <= 0.5 {
                assert!(
                    rel_err(d.cdf(z), cdf) <= 1e-12,
                    "{p:?} z={z}: {} vs {cdf}",
                    d.cdf(z)
                );
            }
            if sf <= 0.5 {
                assert!(
                    rel_err(d.sf(z), sf) <= 1e-12,
                    "{p:?} z={z}: {} vs {sf}",
                    d.sf(z)
                );
            }
            assert!(rel_err(d.pdf(z), t.pdf(z)) <= 1e-12 || (d.pdf(z) == 0.0 && t.pdf(z) == 0.0));
        }
        assert_eq!(d.cdf(p.2), 0.0);
        assert_eq!(d.cdf(p.3), 1.0);
        assert_eq!(d.sf(p.2), 1.0);
        assert_eq!(d.sf(p.3), 0.0);
        assert_eq!(d.pdf(p.2 - 1.0), 0.0);
        assert_eq!(d.pdf(p.3 + 1.0), 0.0);
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

#[test]
fn quantile_inverts_cdf() {
    for p in SETS {
        assert_quantile_inverts_cdf(&build(p));
    }
}

#[test]
fn quantile_keeps_relative_accuracy_in_the_tails() {
    // On [0, 1] z = x is represented with full relative precision near 0; on
    // [−1, 0] the distance to hi = 0 is.
    for (a, b) in [(2.0, 3.0), (1.0, 7.3), (2.5, 4.5), (5.0, 1.0)] {
        let lower = build((a, b, 0.0, 1.0));
        let upper = build((a, b, -1.0, 0.0));
        for u in [1e-300, 1e-100, 1e-10, 1e-6, 1e-3, 0.1, 0.5] {
            let z = lower.quantile(u);
            assert!(
                rel_err(lower.cdf(z), u) <= 1e-12,
                "Beta({a},{b}) u={u}: {}",
                lower.cdf(z)
            );
            let v = 1.0 - u;
            if v < 1.0 {
                let z = upper.quantile(v);
                assert!(
                    rel_err(upper.sf(z), 1.0 - v) <= 1e-12,
                    "Beta({a},{b}) u={u}: {}",
                    upper.sf(z)
                );
            }
        }
    }
    // Beta(2, 2) on [0, 1]: F(x) = 3x² − 2x³, so F(10⁻⁶) = 3e−12 − 2e−18.
    let d = build((2.0, 2.0, 0.0, 1.0));
    let u = 3e-12 - 2e-18;
    assert!(rel_err(d.quantile(u), 1e-6) <= 1e-12);
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
        let lo = p.2;
        let mean = t.above_lo(p.3, |u, _| lo + u);
        let second = t.above_lo(p.3, |u, _| (lo + u) * (lo + u));
        let var = t.above_lo(p.3, |u, _| (lo + u - mean) * (lo + u - mean));
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
    // Closed forms: mean lo + w a/(a+b), variance w² ab/((a+b)²(a+b+1)).
    let d = build((2.0, 3.0, -1.0, 1.0));
    assert!(close(d.mean(), -1.0 + 2.0 * 0.4, 1e-15));
    assert!(close(d.variance(), 4.0 * 6.0 / (25.0 * 6.0), 1e-15));
}

#[test]
fn partial_moment_and_cdf_integrals_match_reference_quadrature() {
    for p in SETS {
        let (d, t) = (build(p), Textbook::new(p));
        let (lo, hi) = (p.2, p.3);
        for z in grid_with_ends(lo, hi, 20) {
            let m = t.above_lo(z, |u, _| lo + u);
            // ∫_lo^z F = ∫_lo^z (z − s) f(s) ds and ∫_z^hi (1 − F) = ∫_z^hi (s − z) f(s) ds;
            // the weights are formed from the offsets to keep their precision.
            let (d_lo, d_hi) = (z - lo, hi - z);
            let ci = t.above_lo(z, |u, _| d_lo - u);
            let si = t.below_hi(z, |_, v| d_hi - v);
            assert!(
                close(d.partial_moment(z), m, 1e-12),
                "{p:?} z={z}: {} vs {m}",
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
            if ci > 0.0 && z - lo >= 1e-8 * (hi - lo) {
                assert!(
                    rel_err(d.cdf_integral(z), ci) <= 1e-11,
                    "{p:?} z={z}: {} vs {ci}",
                    d.cdf_integral(z)
                );
            }
            if si > 0.0 && hi - z >= 1e-8 * (hi - lo) {
                assert!(
                    rel_err(d.sf_integral(z), si) <= 1e-11,
                    "{p:?} z={z}: {} vs {si}",
                    d.sf_integral(z)
                );
            }
        }
        let mean = d.mean();
        assert!(close(d.cdf_integral(hi + 2.0), hi - mean + 2.0, 1e-12));
        assert!(close(d.sf_integral(lo - 2.0), mean - lo + 2.0, 1e-12));
        assert_eq!(d.cdf_integral(lo - 1.0), 0.0);
        assert_eq!(d.sf_integral(hi + 1.0), 0.0);
    }
    // Beta(2, 2) on [0, 1]: ∫_0^x F = x³ − x⁴/2, also relatively near 0.
    let d = build((2.0, 2.0, 0.0, 1.0));
    for x in [1e-200, 1e-50, 1e-8, 0.3, 0.7] {
        let want = x * x * x * (1.0 - 0.5 * x);
        assert!(
            rel_err(d.cdf_integral(x), want) <= 1e-13,
            "x={x}: {}",
            d.cdf_integral(x)
        );
    }
}

#[test]
fn hazard_ratios_match_reference_quadrature() {
    for p in SETS {
        let (d, t) = (build(p), Textbook::new(p));
        for z in grid_with_ends(p.2, p.3, 40) {
            let f = t.pdf(z);
            if f > 0.0 && z > p.2 && z < p.3 {
                let f_ratio = t.above_lo(z, |_, _| 1.0) / f;
                let s_ratio = t.below_hi(z, |_, _| 1.0) / f;
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
            }
        }
    }
}

#[test]
fn pdf_derivative_matches_closed_forms() {
    for (lo, hi) in [(0.0, 1.0), (-1.0, 3.0)] {
        let w: f64 = hi - lo;
        let b22 = build((2.0, 2.0, lo, hi));
        let b23 = build((2.0, 3.0, lo, hi));
        for k in 0..=32 {
            let x = k as f64 / 32.0;
            let z = lo + w * x;
            // Beta(2, 2): f = 6x(1 − x)/w, f' = 6(1 − 2x)/w².
            assert!(
                close(
                    b22.pdf_derivative(z),
                    6.0 * (1.0 - 2.0 * x) / (w * w),
                    1e-13
                ),
                "x={x}"
            );
            // Beta(2, 3): f = 12x(1 − x)²/w, f' = 12(1 − x)(1 − 3x)/w².
            let want = 12.0 * (1.0 - x) * (1.0 - 3.0 * x) / (w * w);
            assert!(
                close(b23.pdf_derivative(z), want, 1e-13),
                "x={x}: {}",
                b23.pdf_derivative(z)
            );
        }
        // With 1 < a < 2 the density rises with infinite slope at lo.
        let b15 = build((1.5, 1.5, lo, hi));
        assert_eq!(b15.pdf_derivative(lo), f64::INFINITY);
        assert_eq!(b15.pdf_derivative(hi), f64::NEG_INFINITY);
        assert_eq!(b15.pdf_derivative(lo - 1.0), 0.0);
    }
}

#[test]
fn nothing_is_nan_on_a_dense_grid() {
    let extra = [
        (1.0, 2.0, 0.0, 1.0),
        (1.0000001, 1.0000001, 0.0, 1.0),
        (200.0, 3.0, 0.0, 1.0),
        (1000.0, 1000.0, -1.0, 1.0),
        (2000.0, 1.0, 0.0, 1.0),
        (1.0, 5000.0, 0.0, 1.0),
        (2.0, 3.0, 1e9, 1e9 + 1.0),
    ];
    for p in SETS.iter().chain(extra.iter()).copied() {
        let d = build(p);
        let (lo, hi) = (p.2, p.3);
        let n = 2000;
        for k in 0..=n {
            let s = k as f64 / n as f64;
            let z = (lo * (1.0 - s) + hi * s).clamp(lo, hi);
            let values = all_values(&d, z);
            assert!(
                values.iter().all(|v| !v.is_nan()),
                "{p:?} z={z}: {values:?}"
            );
            assert!((0.0..=1.0).contains(&d.cdf(z)) && (0.0..=1.0).contains(&d.sf(z)));
            assert!(
                d.cdf_pdf_ratio(z) >= 0.0 && d.sf_pdf_ratio(z) >= 0.0,
                "{p:?} z={z}"
            );
        }
        for k in 0..=100 {
            let q = d.quantile(k as f64 / 100.0);
            assert!(q >= lo && q <= hi, "{p:?}: {q}");
        }
        for v in [d.mean(), d.variance(), d.second_moment()] {
            assert!(!v.is_nan(), "{p:?}");
        }
    }
}

#[test]
fn condition2_and_validate_pass() {
    let extra = [(1.0, 2.0, 0.0, 1.0), (1.0000001, 1.0000001, 0.0, 1.0)];
    for p in SETS.iter().chain(extra.iter()).copied() {
        let d = build(p);
        assert!(validate(&d).is_ok(), "{p:?}: {:?}", validate(&d));
        assert!(
            check_condition2(&d).is_ok(),
            "{p:?}: {:?}",
            check_condition2(&d)
        );
    }
    // Condition 2 also holds for concentrated shapes, whose density underflows
    // near an end (which `validate` rejects as vanishing inside the support).
    for p in [(200.0, 3.0, 0.0, 1.0), (1000.0, 1000.0, -1.0, 1.0)] {
        let d = build(p);
        assert!(
            check_condition2(&d).is_ok(),
            "{p:?}: {:?}",
            check_condition2(&d)
        );
    }
}

/// `ln_pdf` is the logarithm of the density where that is a normal double,
/// and stays finite where the density underflows (shape 200, a hair from
/// the upper end): there it is `(a − 1) ln x + (b − 1) ln(1 − x) − ln B(a, b)
/// − ln(width)`, with `ln B(2, 200) = −ln(200 · 201)`.
#[test]
fn ln_pdf_is_finite_where_the_density_underflows() {
    use exchange_design::distribution::{Beta, EndowmentDistribution};
    let d = Beta::new(2.0, 200.0, 0.0, 2.0).unwrap();
    for z in [0.01, 0.1, 0.5] {
        let (f, lf) = (d.pdf(z), d.ln_pdf(z));
        assert!(
            (lf - f.ln()).abs() <= 1e-13 * f.ln().abs().max(1.0),
            "{z}: {lf} vs {}",
            f.ln()
        );
    }
    let z = 1.99;
    let (x, y): (f64, f64) = (z / 2.0, 1.0 - z / 2.0);
    let exact = x.ln() + 199.0 * y.ln() + (200.0f64 * 201.0).ln() - 2.0f64.ln();
    assert_eq!(d.pdf(z), 0.0);
    assert!(
        (d.ln_pdf(z) - exact).abs() <= 1e-12 * exact.abs(),
        "{} vs {exact}",
        d.ln_pdf(z)
    );
    assert_eq!(d.ln_pdf(2.5), f64::NEG_INFINITY);
}
