//! The tabulated (piecewise-linear) family against the reference quadrature
//! of `tests/common`, against a direct re-evaluation of the table written
//! here, and against the uniform and triangular families it contains.

use crate::common;

use common::{all_values, close, grid, reference_integral};

/// [`reference_integral`] of `f` over `[a, b]`, computed in the coordinate
/// `u = x − shift`. The reference rule places its panel ends at
/// `a + k·h`; far from 0 those carry rounding of order `ulp(x)`, which for
/// the table on `[100, 103]` would cost ~1e-11. Shifting the support to
/// start at 0 keeps the reference itself accurate to ~1e-15.
fn reference_shifted<F: FnMut(f64) -> f64>(
    mut f: F,
    a: f64,
    b: f64,
    kinks: &[f64],
    shift: f64,
) -> f64 {
    let k: Vec<f64> = kinks.iter().map(|k| k - shift).collect();
    reference_integral(|u| f(u + shift), a - shift, b - shift, &k)
}
use exchange_design::distribution::{
    check_condition2, EndowmentDistribution, HazardRatio, PiecewiseLinear, Triangular, Uniform,
};

/// Raw (unnormalised) tables: zeros at both ends, positive ends far from 0,
/// a two-node ramp each way, and ~50 irregular nodes of a smooth bump.
fn tables() -> Vec<(Vec<f64>, Vec<f64>)> {
    let mut out = vec![
        (
            vec![-1.0, -0.2, 0.5, 1.7, 3.0],
            vec![0.0, 2.0, 1.3, 0.7, 0.0],
        ),
        (vec![100.0, 100.5, 101.0, 103.0], vec![0.3, 1.0, 0.6, 0.2]),
        (vec![0.0, 1.0], vec![1.0, 0.0]),
        (vec![0.0, 1.0], vec![0.0, 3.0]),
    ];
    let n = 50;
    let z: Vec<f64> = (0..n)
        .map(|k| {
            let t = k as f64 / (n - 1) as f64;
            -2.0 + 4.0 * t + 0.05 * (7.0 * t).sin() * t * (1.0 - t)
        })
        .collect();
    let d: Vec<f64> = z
        .iter()
        .map(|&x: &f64| (-x * x).exp() * (1.0 + 0.3 * x.sin()))
        .collect();
    out.push((z, d));
    out
}

fn families() -> Vec<PiecewiseLinear> {
    tables()
        .into_iter()
        .map(|(z, d)| PiecewiseLinear::new(z, d).unwrap())
        .collect()
}

/// `|a − b| / max(1, |a|, |b|)`, the measure `close` bounds.
fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / 1f64.max(a.abs()).max(b.abs())
}

/// Trapezoid mass of a raw table.
fn total(z: &[f64], d: &[f64]) -> f64 {
    (0..z.len() - 1)
        .map(|i| 0.5 * (z[i + 1] - z[i]) * (d[i] + d[i + 1]))
        .sum()
}

/// The raw table interpolated linearly at `x` (0 outside).
fn raw_at(z: &[f64], d: &[f64], x: f64) -> f64 {
    for i in 0..z.len() - 1 {
        if x >= z[i] && x <= z[i + 1] {
            let s = (x - z[i]) / (z[i + 1] - z[i]);
            return d[i] * (1.0 - s) + d[i + 1] * s;
        }
    }
    0.0
}

/// Normalised density of a raw table.
fn pdf_ref(z: &[f64], d: &[f64], x: f64) -> f64 {
    raw_at(z, d, x) / total(z, d)
}

/// CDF of a raw table: whole trapezoids below `x` plus the partial one.
fn cdf_ref(z: &[f64], d: &[f64], x: f64) -> f64 {
    let mut acc = 0.0;
    for i in 0..z.len() - 1 {
        if x >= z[i + 1] {
            acc += 0.5 * (z[i + 1] - z[i]) * (d[i] + d[i + 1]);
        } else if x > z[i] {
            acc += 0.5 * (x - z[i]) * (d[i] + raw_at(z, d, x));
        }
    }
    acc / total(z, d)
}

#[test]
fn density_is_the_normalised_table_interpolated() {
    let mut worst: f64 = 0.0;
    for (z, d) in tables() {
        let pl = PiecewiseLinear::new(z.clone(), d.clone()).unwrap();
        assert_eq!(pl.grid(), &z[..]);
        let t = total(&z, &d);
        for (got, raw) in pl.density().iter().zip(&d) {
            assert!(close(*got, raw / t, 1e-15));
        }
        let (lo, hi) = (z[0], z[z.len() - 1]);
        for x in grid(lo - 0.3, hi + 0.3, 700) {
            let (p, q) = (pl.pdf(x), pdf_ref(&z, &d, x));
            let (f, g) = (pl.cdf(x), cdf_ref(&z, &d, x));
            worst = worst.max((p - q).abs()).max((f - g).abs());
            assert!(close(p, q, 1e-13), "pdf({x}) = {p}, expected {q}");
            assert!(close(f, g, 1e-13), "cdf({x}) = {f}, expected {g}");
            assert!(close(pl.sf(x), 1.0 - g, 1e-13), "sf({x})");
        }
    }
    eprintln!("max |pdf, cdf − direct evaluation of the table| = {worst:e}");
}

#[test]
fn integral_of_pdf_is_cdf() {
    let mut worst: f64 = 0.0;
    for d in families() {
        let (lo, hi) = d.support();
        let mut points = grid(lo, hi, 60);
        points.extend_from_slice(d.grid());
        for z in points {
            let int = reference_shifted(|x| d.pdf(x), lo, z, d.kinks(), lo);
            let err = (int - d.cdf(z)).abs();
            worst = worst.max(err);
            assert!(err <= 1e-12, "∫pdf to {z} = {int}, cdf = {}", d.cdf(z));
        }
    }
    eprintln!("max |∫pdf − cdf| = {worst:e}");
}

#[test]
fn kinks_are_the_interior_grid_points() {
    let d = PiecewiseLinear::new(vec![0.0, 1.0, 2.5, 4.0], vec![1.0, 2.0, 2.0, 1.0]).unwrap();
    assert_eq!(d.kinks(), &[1.0, 2.5]);
    let d = PiecewiseLinear::new(vec![0.0, 1.0], vec![1.0, 2.0]).unwrap();
    assert!(d.kinks().is_empty());
}

#[test]
fn pdf_derivative_is_the_segment_slope() {
    let z = vec![0.0, 1.0, 3.0];
    let raw = vec![1.0, 3.0, 2.0];
    let t = total(&z, &raw); // 2 + 5 = 7
    assert_eq!(t, 7.0);
    let d = PiecewiseLinear::new(z, raw).unwrap();
    assert!(close(d.pdf_derivative(0.5), 2.0 / 7.0, 1e-15));
    assert!(close(d.pdf_derivative(2.0), -0.5 / 7.0, 1e-15));
    assert_eq!(d.pdf_derivative(-1.0), 0.0);
    assert_eq!(d.pdf_derivative(4.0), 0.0);
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
        let mut us = us.to_vec();
        // The cumulative mass at every node, and just either side of it.
        for &g in d.grid() {
            let c = d.cdf(g);
            us.extend([c, (c - 1e-9).max(0.0), (c + 1e-9).min(1.0)]);
        }
        for &u in &us {
            let z = d.quantile(u);
            assert!(z >= lo && z <= hi);
            let err = (d.cdf(z) - u).abs();
            worst_u = worst_u.max(err);
            assert!(err <= 1e-12, "cdf(quantile({u})) = {} for {d:?}", d.cdf(z));
        }
        let mut zs = grid(lo, hi, 300);
        zs.extend_from_slice(d.grid());
        for z in zs {
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
fn moments_and_cdf_integrals_match_quadrature() {
    let mut worst: f64 = 0.0;
    let mut check = |got: f64, want: f64, what: &str| {
        worst = worst.max((got - want).abs() / 1f64.max(want.abs()));
        assert!(close(got, want, 1e-12), "{what}: {got} vs reference {want}");
    };
    for d in families() {
        let (lo, hi) = d.support();
        let k = d.kinks().to_vec();
        let mean = reference_shifted(|x| x * d.pdf(x), lo, hi, &k, lo);
        check(d.mean(), mean, "mean");
        let m2 = reference_shifted(|x| x * x * d.pdf(x), lo, hi, &k, lo);
        check(d.second_moment(), m2, "second moment");
        let var = reference_shifted(|x| (x - mean) * (x - mean) * d.pdf(x), lo, hi, &k, lo);
        check(d.variance(), var, "variance");
        let mut points = grid(lo, hi, 45);
        points.extend_from_slice(d.grid());
        for a in points {
            let pm = reference_shifted(|x| x * d.pdf(x), lo, a, &k, lo);
            check(d.partial_moment(a), pm, "partial moment");
            let ci = reference_shifted(|x| d.cdf(x), lo, a, &k, lo);
            check(d.cdf_integral(a), ci, "cdf integral");
            let si = reference_shifted(|x| d.sf(x), a, hi, &k, lo);
            check(d.sf_integral(a), si, "sf integral");
        }
        let ci_all = reference_shifted(|x| d.cdf(x), lo, hi, &k, lo);
        check(d.cdf_integral(hi + 2.0), ci_all + 2.0, "cdf integral above");
        check(d.cdf_integral(lo - 2.0), 0.0, "cdf integral below");
        let si_all = reference_shifted(|x| d.sf(x), lo, hi, &k, lo);
        check(d.sf_integral(lo - 2.0), si_all + 2.0, "sf integral below");
        check(d.sf_integral(hi + 2.0), 0.0, "sf integral above");
        check(d.partial_moment(hi + 1.0), mean, "partial moment above");
        check(d.partial_moment(lo - 1.0), 0.0, "partial moment below");
    }
    eprintln!("max relative error of moments and integrals = {worst:e}");
}

#[test]
fn hazard_ratios_match_the_table_inside() {
    let mut worst: f64 = 0.0;
    for (z, d) in tables() {
        let pl = PiecewiseLinear::new(z.clone(), d.clone()).unwrap();
        let (lo, hi) = (z[0], z[z.len() - 1]);
        for x in grid(lo, hi, 200).into_iter().skip(1).take(199) {
            let f = pdf_ref(&z, &d, x);
            let big_f = cdf_ref(&z, &d, x);
            let (lower, upper) = (big_f / f, (1.0 - big_f) / f);
            let (gl, gu) = (pl.cdf_pdf_ratio(x), pl.sf_pdf_ratio(x));
            worst = worst.max(rel(gl, lower)).max(rel(gu, upper));
            assert!(close(gl, lower, 1e-12), "F/f({x}) = {gl}, expected {lower}");
            assert!(
                close(gu, upper, 1e-12),
                "(1−F)/f({x}) = {gu}, expected {upper}"
            );
        }
    }
    eprintln!("max relative |ratio − table| = {worst:e}");
}

#[test]
fn hazard_ratios_take_their_limits_at_the_ends() {
    // Zero density at both ends.
    let d = PiecewiseLinear::new(
        vec![-1.0, -0.2, 0.5, 1.7, 3.0],
        vec![0.0, 2.0, 1.3, 0.7, 0.0],
    )
    .unwrap();
    assert_eq!(d.cdf_pdf_ratio(-1.0), 0.0);
    assert_eq!(d.sf_pdf_ratio(3.0), 0.0);
    assert_eq!(d.cdf_pdf_ratio(3.0), f64::INFINITY);
    assert_eq!(d.sf_pdf_ratio(-1.0), f64::INFINITY);
    // On a first (last) segment that starts (ends) at zero density,
    // F/f = (z − z_0)/2 and (1 − F)/f = (z_n − z)/2.
    assert!(close(d.cdf_pdf_ratio(-1.0 + 1e-9), 0.5e-9, 1e-15));
    assert!(close(d.cdf_pdf_ratio(-0.6), 0.2, 1e-14));
    assert!(close(d.sf_pdf_ratio(3.0 - 1e-9), 0.5e-9, 1e-15));
    assert!(close(d.sf_pdf_ratio(2.5), 0.25, 1e-14));
    assert_eq!(d.cdf_pdf_ratio(-7.0), 0.0);
    assert_eq!(d.sf_pdf_ratio(7.0), 0.0);

    // Positive density at both ends: the ratios are 0 on their own side and
    // 1/f at the other end.
    let (z, raw) = (vec![100.0, 100.5, 101.0, 103.0], vec![0.3, 1.0, 0.6, 0.2]);
    let t = total(&z, &raw);
    let d = PiecewiseLinear::new(z, raw).unwrap();
    assert_eq!(d.cdf_pdf_ratio(100.0), 0.0);
    assert_eq!(d.sf_pdf_ratio(103.0), 0.0);
    assert!(close(d.cdf_pdf_ratio(103.0), t / 0.2, 1e-14));
    assert!(close(d.sf_pdf_ratio(100.0), t / 0.3, 1e-14));
}

/// The one-search methods (`density_and_ratio`, `ratio_and_log_slope`,
/// `pdf_and_tail`, `pdf_and_ratio`, `pdf_log_derivative`) return exactly what the separate
/// methods do, at the nodes, an ulp either side, between them, outside the
/// support and at NaN, on tables with zero density at an end and with a
/// stretch of zero density inside.
#[test]
fn one_search_methods_are_the_separate_ones() {
    let mut all = families();
    all.push(PiecewiseLinear::new(vec![0.0, 1.0, 2.0, 3.0], vec![1.0, 0.0, 0.0, 2.0]).unwrap());
    let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
    for d in &all {
        let (lo, hi) = d.support();
        let mut points = vec![lo - 1.0, hi + 1.0, f64::NAN, lo, hi];
        let mut nodes = vec![lo];
        nodes.extend_from_slice(d.kinks());
        nodes.push(hi);
        for w in nodes.windows(2) {
            points.extend([w[0], w[0].next_up(), 0.5 * (w[0] + w[1]), w[1].next_down()]);
        }
        for z in points {
            let log_slope = d.pdf_derivative(z) / d.pdf(z);
            assert!(same(d.pdf_log_derivative(z), log_slope), "f'/f at {z}");
            for (which, r, tail) in [
                (HazardRatio::CdfOverPdf, d.cdf_pdf_ratio(z), d.cdf(z)),
                (HazardRatio::SfOverPdf, d.sf_pdf_ratio(z), d.sf(z)),
            ] {
                let (f, ratio, sf) = d.density_and_ratio(z, which);
                assert!(
                    same(f, d.pdf(z)) && same(ratio, r) && same(sf, d.sf(z)),
                    "{which} at {z}"
                );
                let (ratio, l) = d.ratio_and_log_slope(z, which);
                assert!(same(ratio, r) && same(l, log_slope), "{which} at {z}");
                let (f, t) = d.pdf_and_tail(z, which);
                assert!(same(f, d.pdf(z)) && same(t, tail), "{which} at {z}");
                let (f, ratio) = d.pdf_and_ratio(z, which);
                assert!(same(f, d.pdf(z)) && same(ratio, r), "{which} at {z}");
            }
        }
    }
}

#[test]
fn no_nan_on_a_dense_grid() {
    for d in families() {
        let (lo, hi) = d.support();
        let mut zs = grid(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo), 5000);
        zs.extend_from_slice(d.grid());
        for z in zs {
            let values = all_values(&d, z);
            assert!(values.iter().all(|v| !v.is_nan()), "NaN at {z}: {values:?}");
        }
        for u in grid(0.0, 1.0, 5000) {
            assert!(!d.quantile(u).is_nan());
        }
    }
}

/// Every method of `a` and `b` agrees at `z` to `tol`.
fn assert_same<A, B>(a: &A, b: &B, tol: f64)
where
    A: EndowmentDistribution,
    B: EndowmentDistribution,
{
    assert_eq!(a.support(), b.support());
    for check in [
        (a.mean(), b.mean(), "mean"),
        (a.second_moment(), b.second_moment(), "second moment"),
        (a.variance(), b.variance(), "variance"),
    ] {
        assert!(
            close(check.0, check.1, tol),
            "{}: {} vs {}",
            check.2,
            check.0,
            check.1
        );
    }
    let (lo, hi) = a.support();
    for z in grid(lo - 0.2, hi + 0.2, 333) {
        for (x, y, what) in [
            (a.cdf(z), b.cdf(z), "cdf"),
            (a.sf(z), b.sf(z), "sf"),
            (a.pdf(z), b.pdf(z), "pdf"),
            (a.partial_moment(z), b.partial_moment(z), "partial moment"),
            (a.cdf_integral(z), b.cdf_integral(z), "cdf integral"),
            (a.sf_integral(z), b.sf_integral(z), "sf integral"),
            (a.cdf_pdf_ratio(z), b.cdf_pdf_ratio(z), "F/f"),
            (a.sf_pdf_ratio(z), b.sf_pdf_ratio(z), "(1−F)/f"),
        ] {
            let same = x == y || close(x, y, tol);
            assert!(same, "{what}({z}): {x} vs {y}");
        }
    }
    for u in grid(0.0, 1.0, 333) {
        let (x, y) = (a.quantile(u), b.quantile(u));
        assert!(close(x, y, tol), "quantile({u}): {x} vs {y}");
    }
}

#[test]
fn flat_table_is_uniform() {
    let pl = PiecewiseLinear::new(vec![-1.0, 0.0, 0.5, 2.0], vec![2.0; 4]).unwrap();
    let u = Uniform::new(-1.0, 2.0).unwrap();
    assert_same(&pl, &u, 1e-13);
}

#[test]
fn tent_table_is_triangular() {
    let pl = PiecewiseLinear::new(vec![-1.0, 0.3, 2.0], vec![0.0, 4.0, 0.0]).unwrap();
    let tri = Triangular::new(-1.0, 0.3, 2.0).unwrap();
    assert_same(&pl, &tri, 1e-13);
    // One-sided ramps: the mode at either end.
    let pl = PiecewiseLinear::new(vec![2.0, 5.0], vec![1.0, 0.0]).unwrap();
    assert_same(&pl, &Triangular::new(2.0, 2.0, 5.0).unwrap(), 1e-13);
    let pl = PiecewiseLinear::new(vec![2.0, 5.0], vec![0.0, 1.0]).unwrap();
    assert_same(&pl, &Triangular::new(2.0, 5.0, 5.0).unwrap(), 1e-13);
}

#[test]
fn scaling_the_table_changes_nothing() {
    for (z, d) in tables() {
        let a = PiecewiseLinear::new(z.clone(), d.clone()).unwrap();
        let b = PiecewiseLinear::new(z, d.iter().map(|v| 7.0 * v).collect()).unwrap();
        for (x, y) in a.density().iter().zip(b.density()) {
            assert!(close(*x, *y, 1e-15));
        }
        assert_same(&a, &b, 1e-14);
    }
}

/// Independent closed forms for the raw bimodal table used below: its
/// density `f` and survival `1 − F`, both times the total mass.
fn bimodal_ratio_sf(z: &[f64], d: &[f64], x: f64) -> f64 {
    (1.0 - cdf_ref(z, d, x)) / pdf_ref(z, d, x)
}

fn bimodal_ratio_cdf(z: &[f64], d: &[f64], x: f64) -> f64 {
    cdf_ref(z, d, x) / pdf_ref(z, d, x)
}

#[test]
fn condition2_fails_for_bimodal_densities_where_expected() {
    // Peaks at 1 and 3, a deep valley at 2. On [0, 1] the density rises, so
    // both ratios are monotone the right way. Just right of the peak at 1,
    // d/dz[(1 − F)/f] = −1 + (1 − F)(−f')/f², with (raw values) 1 − F = 1.6,
    // −f' = 0.95 and f = 1: 0.52 > 0. So (1 − F)/f starts increasing at z = 1.
    let z = vec![0.0, 1.0, 2.0, 3.0, 4.0];
    let d = vec![0.1, 1.0, 0.05, 1.0, 0.1];
    let pl = PiecewiseLinear::new(z.clone(), d.clone()).unwrap();
    let v = check_condition2(&pl).unwrap_err();
    assert_eq!(v.ratio, HazardRatio::SfOverPdf, "{v}");
    assert!(v.z_right > 1.0 && v.z_left < 1.0 + 0.01, "{v}");
    assert!(close(
        v.value_left,
        bimodal_ratio_sf(&z, &d, v.z_left),
        1e-12
    ));
    assert!(close(
        v.value_right,
        bimodal_ratio_sf(&z, &d, v.z_right),
        1e-12
    ));
    assert!(v.value_right > v.value_left);

    // Peaks at 1 and 3, a shallow fall on [1, 2] where (1 − F)(−f') ≤ 0.64 <
    // 0.81 ≤ f² keeps (1 − F)/f decreasing, then a steep rise: just right of
    // 2, d/dz[F/f] = 1 − F f'/f² with F = 1.7, f' = 4.1, f = 0.9 (raw values)
    // is negative. So F/f first decreases at z = 2.
    let z = vec![0.0, 1.0, 2.0, 3.0, 4.0];
    let d = vec![0.5, 1.0, 0.9, 5.0, 0.0];
    let pl = PiecewiseLinear::new(z.clone(), d.clone()).unwrap();
    let v = check_condition2(&pl).unwrap_err();
    assert_eq!(v.ratio, HazardRatio::CdfOverPdf, "{v}");
    assert!(v.z_right > 2.0 && v.z_left < 2.0 + 0.01, "{v}");
    assert!(close(
        v.value_left,
        bimodal_ratio_cdf(&z, &d, v.z_left),
        1e-12
    ));
    assert!(close(
        v.value_right,
        bimodal_ratio_cdf(&z, &d, v.z_right),
        1e-12
    ));
    assert!(v.value_right < v.value_left);
}

#[test]
fn condition2_holds_for_a_concave_table() {
    let d = PiecewiseLinear::new(
        vec![-1.0, -0.2, 0.5, 1.7, 3.0],
        vec![0.0, 2.0, 1.3, 0.7, 0.0],
    )
    .unwrap();
    assert_eq!(check_condition2(&d), Ok(()));
}

#[cfg(feature = "serde")]
#[test]
fn serialises_grid_and_normalised_density_only() {
    let d = PiecewiseLinear::new(vec![0.0, 1.0, 2.0], vec![0.0, 4.0, 0.0]).unwrap();
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(
        v,
        serde_json::json!({ "z": [0.0, 1.0, 2.0], "density": [0.0, 1.0, 0.0] })
    );
}

/// The bounds on `f'/f` over a cell hold wherever the table's density is
/// positive: its slope over its value, from the raw table (`raw_at` and
/// the segment's slope), at 201 points of every cell of widths from a
/// tenth of the support to all of it, for every table here and a dipped
/// one (whose bounds, derived from the density's own, must follow the
/// slopes the family sets after building them).
#[test]
fn log_slope_bounds_hold_on_every_cell() {
    let mut all = tables();
    all.push((
        vec![-1.0, -0.8, -0.7, -0.6, 0.0, 0.6, 0.7, 0.8, 1.0],
        vec![1.0, 1.2, 0.03, 1.3, 1.5, 1.3, 0.03, 1.2, 1.0],
    ));
    for (z, d) in all {
        let table = PiecewiseLinear::new(z.clone(), d.clone()).unwrap();
        let (lo, hi) = (z[0], z[z.len() - 1]);
        for cells in [1usize, 3, 10] {
            for c in 0..cells {
                let a = lo + (hi - lo) * c as f64 / cells as f64;
                let b = lo + (hi - lo) * (c + 1) as f64 / cells as f64;
                let (low, high) = table.pdf_log_derivative_bounds(a, b).unwrap();
                for k in 1..200 {
                    let x = a + (b - a) * f64::from(k) / 200.0;
                    let i = z.partition_point(|&t| t <= x).clamp(1, z.len() - 1) - 1;
                    let slope = (d[i + 1] - d[i]) / (z[i + 1] - z[i]);
                    let value = raw_at(&z, &d, x);
                    if value <= 0.0 {
                        continue;
                    }
                    let l = slope / value;
                    let slack = 1e-12 * l.abs().max(1.0);
                    assert!(
                        low - slack <= l && l <= high + slack,
                        "f'/f = {l} at {x} outside [{low}, {high}] on [{a}, {b}]"
                    );
                }
            }
        }
    }
}
