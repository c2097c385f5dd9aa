//! The triangular family against the reference quadrature of `tests/common`
//! and against closed forms written out independently here.

use crate::common;

use common::{all_values, close, grid, reference_integral};

use exchange_design::distribution::{check_condition2, EndowmentDistribution, Triangular};

/// `(lo, mode, hi)`: interior modes (symmetric, skewed, far from 0) and
/// both one-sided ramps.
const CASES: &[(f64, f64, f64)] = &[
    (-1.0, 0.0, 1.0),
    (-1.0, 0.3, 2.0),
    (0.0, 0.0, 1.0),
    (0.0, 1.0, 1.0),
    (5.0, 5.5, 9.0),
    (-3.0, -2.9, 0.5),
];

fn families() -> Vec<Triangular> {
    CASES
        .iter()
        .map(|&(lo, mode, hi)| Triangular::new(lo, mode, hi).unwrap())
        .collect()
}

/// `|a − b| / max(1, |a|, |b|)`, the measure `close` bounds.
fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / 1f64.max(a.abs()).max(b.abs())
}

/// The density, written from the textbook definition.
fn pdf_ref(lo: f64, c: f64, hi: f64, z: f64) -> f64 {
    if z < lo || z > hi {
        0.0
    } else if z < c {
        2.0 * (z - lo) / ((hi - lo) * (c - lo))
    } else if z > c {
        2.0 * (hi - z) / ((hi - lo) * (hi - c))
    } else {
        2.0 / (hi - lo)
    }
}

/// The CDF, written from the textbook definition.
fn cdf_ref(lo: f64, c: f64, hi: f64, z: f64) -> f64 {
    if z <= lo {
        0.0
    } else if z >= hi {
        1.0
    } else if z <= c {
        (z - lo) * (z - lo) / ((hi - lo) * (c - lo))
    } else {
        1.0 - (hi - z) * (hi - z) / ((hi - lo) * (hi - c))
    }
}

#[test]
fn pdf_and_cdf_match_textbook_formulas() {
    let mut worst: f64 = 0.0;
    for &(lo, c, hi) in CASES {
        let d = Triangular::new(lo, c, hi).unwrap();
        for z in grid(lo - 0.5, hi + 0.5, 400) {
            let (p, q) = (d.pdf(z), pdf_ref(lo, c, hi, z));
            assert!(close(p, q, 1e-13), "pdf({z}) = {p}, expected {q} for {d:?}");
            let (f, g) = (d.cdf(z), cdf_ref(lo, c, hi, z));
            assert!(close(f, g, 1e-13), "cdf({z}) = {f}, expected {g} for {d:?}");
            assert!(close(d.sf(z), 1.0 - g, 1e-13), "sf({z}) for {d:?}");
            worst = worst.max((f - g).abs()).max((p - q).abs());
        }
    }
    eprintln!("max |pdf, cdf − textbook| = {worst:e}");
}

#[test]
fn integral_of_pdf_is_cdf() {
    let mut worst: f64 = 0.0;
    for d in families() {
        let (lo, hi) = d.support();
        for z in grid(lo, hi, 50) {
            let int = reference_integral(|x| d.pdf(x), lo, z, d.kinks());
            let err = (int - d.cdf(z)).abs();
            worst = worst.max(err);
            assert!(
                err <= 1e-12,
                "∫pdf to {z} = {int}, cdf = {} for {d:?}",
                d.cdf(z)
            );
        }
    }
    eprintln!("max |∫pdf − cdf| = {worst:e}");
}

#[test]
fn kinks_are_the_interior_mode() {
    assert_eq!(Triangular::new(-1.0, 0.3, 2.0).unwrap().kinks(), &[0.3]);
    assert!(Triangular::new(0.0, 0.0, 1.0).unwrap().kinks().is_empty());
    assert!(Triangular::new(0.0, 1.0, 1.0).unwrap().kinks().is_empty());
}

#[test]
fn pdf_derivative_is_the_slope_of_each_side() {
    let (lo, c, hi) = (-1.0, 0.3, 2.0);
    let d = Triangular::new(lo, c, hi).unwrap();
    let up = 2.0 / ((hi - lo) * (c - lo));
    let down = -2.0 / ((hi - lo) * (hi - c));
    assert!(close(d.pdf_derivative(-0.5), up, 1e-14));
    assert!(close(d.pdf_derivative(1.5), down, 1e-14));
    assert_eq!(d.pdf_derivative(-1.5), 0.0);
    assert_eq!(d.pdf_derivative(2.5), 0.0);
}

#[test]
fn quantile_inverts_cdf() {
    let us = [
        0.0,
        1e-10,
        1e-6,
        0.01,
        0.1,
        0.25,
        0.5,
        0.75,
        0.9,
        0.99,
        1.0 - 1e-6,
        1.0 - 1e-10,
        1.0,
    ];
    let mut worst_u: f64 = 0.0;
    let mut worst_z: f64 = 0.0;
    for d in families() {
        let (lo, hi) = d.support();
        for &u in &us {
            let z = d.quantile(u);
            assert!(z >= lo && z <= hi);
            let err = (d.cdf(z) - u).abs();
            worst_u = worst_u.max(err);
            assert!(err <= 1e-12, "cdf(quantile({u})) = {} for {d:?}", d.cdf(z));
        }
        for z in grid(lo, hi, 200) {
            let back = d.quantile(d.cdf(z));
            worst_z = worst_z.max((back - z).abs());
            assert!(
                close(back, z, 1e-12),
                "quantile(cdf({z})) = {back} for {d:?}"
            );
        }
    }
    eprintln!("max |cdf(q(u)) − u| = {worst_u:e}, max |q(cdf(z)) − z| = {worst_z:e}");
}

#[test]
fn quantile_matches_square_root_formulas() {
    // Symmetric on [−1, 1]: F(z) = (z + 1)²/2 below 0, so F⁻¹(u) = −1 + √(2u).
    let d = Triangular::new(-1.0, 0.0, 1.0).unwrap();
    for u in [1e-10, 0.02, 0.3, 0.5] {
        assert!(close(d.quantile(u), -1.0 + (2.0 * u).sqrt(), 1e-15));
    }
    for u in [0.6, 0.97, 1.0 - 1e-10] {
        assert!(close(d.quantile(u), 1.0 - (2.0 * (1.0 - u)).sqrt(), 1e-15));
    }
    assert!(d.quantile(f64::NAN).is_nan());
    assert_eq!(d.quantile(-0.5), -1.0);
    assert_eq!(d.quantile(1.5), 1.0);
}

#[test]
fn moments_and_cdf_integrals_match_quadrature() {
    let mut worst: f64 = 0.0;
    let mut check = |got: f64, want: f64, what: &str, d: &Triangular| {
        worst = worst.max((got - want).abs() / 1f64.max(want.abs()));
        assert!(
            close(got, want, 1e-12),
            "{what}: {got} vs reference {want} for {d:?}"
        );
    };
    for d in families() {
        let (lo, hi) = d.support();
        let k = d.kinks().to_vec();
        let mean = reference_integral(|x| x * d.pdf(x), lo, hi, &k);
        check(d.mean(), mean, "mean", &d);
        let m2 = reference_integral(|x| x * x * d.pdf(x), lo, hi, &k);
        check(d.second_moment(), m2, "second moment", &d);
        let var = reference_integral(|x| (x - mean) * (x - mean) * d.pdf(x), lo, hi, &k);
        check(d.variance(), var, "variance", &d);
        for a in grid(lo, hi, 40) {
            let pm = reference_integral(|x| x * d.pdf(x), lo, a, &k);
            check(d.partial_moment(a), pm, "partial moment", &d);
            let ci = reference_integral(|x| d.cdf(x), lo, a, &k);
            check(d.cdf_integral(a), ci, "cdf integral", &d);
            let si = reference_integral(|x| d.sf(x), a, hi, &k);
            check(d.sf_integral(a), si, "sf integral", &d);
        }
        // Beyond the support: F = 1 above hi, 1 − F = 1 below lo.
        let ci_all = reference_integral(|x| d.cdf(x), lo, hi, &k);
        check(
            d.cdf_integral(hi + 2.0),
            ci_all + 2.0,
            "cdf integral above",
            &d,
        );
        check(d.cdf_integral(lo - 2.0), 0.0, "cdf integral below", &d);
        let si_all = reference_integral(|x| d.sf(x), lo, hi, &k);
        check(
            d.sf_integral(lo - 2.0),
            si_all + 2.0,
            "sf integral below",
            &d,
        );
        check(d.sf_integral(hi + 2.0), 0.0, "sf integral above", &d);
        check(d.partial_moment(hi + 1.0), mean, "partial moment above", &d);
        check(d.partial_moment(lo - 1.0), 0.0, "partial moment below", &d);
    }
    eprintln!("max relative error of moments and integrals = {worst:e}");
}

#[test]
fn moments_match_textbook_formulas() {
    let (a, c, b) = (-1.0, 0.3, 2.0);
    let d = Triangular::new(a, c, b).unwrap();
    assert!(close(d.mean(), (a + b + c) / 3.0, 1e-15));
    let var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0;
    assert!(close(d.variance(), var, 1e-14));
    assert!(close(d.second_moment(), var + d.mean() * d.mean(), 1e-14));
}

#[test]
fn hazard_ratios_match_closed_forms_inside() {
    let mut worst: f64 = 0.0;
    for &(lo, c, hi) in CASES {
        let d = Triangular::new(lo, c, hi).unwrap();
        let w = hi - lo;
        // Strictly interior points only; the ends are checked separately.
        for z in grid(lo, hi, 100).into_iter().skip(1).take(99) {
            let f = pdf_ref(lo, c, hi, z);
            let (lower, upper) = if z < c {
                // F = (z − lo)²/(w (c − lo)), f = 2 (z − lo)/(w (c − lo)).
                let l = (z - lo) / 2.0;
                let u = (w * (c - lo) - (z - lo) * (z - lo)) / (2.0 * (z - lo));
                (l, u)
            } else {
                // 1 − F = (hi − z)²/(w (hi − c)), f = 2 (hi − z)/(w (hi − c)).
                let u = (hi - z) / 2.0;
                let l = (w * (hi - c) - (hi - z) * (hi - z)) / (2.0 * (hi - z));
                (l, u)
            };
            assert!(f > 0.0);
            let (gl, gu) = (d.cdf_pdf_ratio(z), d.sf_pdf_ratio(z));
            worst = worst.max(rel(gl, lower)).max(rel(gu, upper));
            assert!(
                close(gl, lower, 1e-12),
                "F/f({z}) = {gl}, expected {lower} for {d:?}"
            );
            assert!(
                close(gu, upper, 1e-12),
                "(1−F)/f({z}) = {gu}, expected {upper} for {d:?}"
            );
        }
    }
    eprintln!("max relative |ratio − closed form| = {worst:e}");
}

#[test]
fn hazard_ratios_take_their_limits_at_the_ends() {
    // Interior mode: the density vanishes at both ends.
    let d = Triangular::new(-1.0, 0.3, 2.0).unwrap();
    assert_eq!(d.cdf_pdf_ratio(-1.0), 0.0);
    assert_eq!(d.sf_pdf_ratio(2.0), 0.0);
    assert_eq!(d.cdf_pdf_ratio(2.0), f64::INFINITY);
    assert_eq!(d.sf_pdf_ratio(-1.0), f64::INFINITY);
    // Approaching the ends: F/f = (z − lo)/2 → 0 and (1 − F)/f = (hi − z)/2 → 0.
    assert!(close(d.cdf_pdf_ratio(-1.0 + 1e-9), 0.5e-9, 1e-15));
    assert!(close(d.sf_pdf_ratio(2.0 - 1e-9), 0.5e-9, 1e-15));
    // Outside the support the argument is clamped.
    assert_eq!(d.cdf_pdf_ratio(-5.0), 0.0);
    assert_eq!(d.sf_pdf_ratio(5.0), 0.0);

    // Mode at lo: f(lo) = 2/w > 0, and (1 − F)/f = (hi − z)/2 everywhere.
    let d = Triangular::new(0.0, 0.0, 1.0).unwrap();
    assert_eq!(d.cdf_pdf_ratio(0.0), 0.0);
    assert_eq!(d.sf_pdf_ratio(0.0), 0.5);
    assert_eq!(d.sf_pdf_ratio(1.0), 0.0);
    assert_eq!(d.cdf_pdf_ratio(1.0), f64::INFINITY);

    // Mode at hi: F/f = (z − lo)/2 everywhere, finite at hi.
    let d = Triangular::new(0.0, 1.0, 1.0).unwrap();
    assert_eq!(d.cdf_pdf_ratio(1.0), 0.5);
    assert_eq!(d.sf_pdf_ratio(1.0), 0.0);
    assert_eq!(d.cdf_pdf_ratio(0.0), 0.0);
    assert_eq!(d.sf_pdf_ratio(0.0), f64::INFINITY);
}

#[test]
fn no_nan_on_a_dense_grid() {
    for d in families() {
        let (lo, hi) = d.support();
        for z in grid(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo), 5000) {
            let values = all_values(&d, z);
            assert!(
                values.iter().all(|v| !v.is_nan()),
                "NaN at {z} for {d:?}: {values:?}"
            );
        }
        for u in grid(0.0, 1.0, 5000) {
            assert!(!d.quantile(u).is_nan());
        }
    }
}

#[test]
fn condition2_holds() {
    for d in families() {
        assert_eq!(check_condition2(&d), Ok(()), "{d:?}");
    }
}

#[cfg(feature = "serde")]
#[test]
fn serialises_its_parameters() {
    let d = Triangular::new(-1.0, 0.25, 2.0).unwrap();
    let v = serde_json::to_value(d).unwrap();
    assert_eq!(
        v,
        serde_json::json!({ "lo": -1.0, "mode": 0.25, "hi": 2.0 })
    );
}
