//! `Mixture`: closed forms against an independent reference quadrature of
//! the mixture's density written here, quantiles, bad input as typed
//! errors, the two-mode reference optimum, and the spec's `mixture` family.

use crate::common;
use exchange_design::mechanism::DirectMechanism;

use common::{assert_quantile_inverts_cdf, reference_integral};
use exchange_design::distribution::{
    DistributionError, EndowmentDistribution, HazardRatio, Mixture, Triangular, TruncatedNormal,
    Uniform,
};
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::OptimalMechanism;
use std::sync::Arc;

fn two_modes() -> Mixture {
    Mixture::from_components(vec![
        (0.5, TruncatedNormal::new(-0.6, 0.15, -1.0, 1.0).unwrap()),
        (0.5, TruncatedNormal::new(0.6, 0.15, -1.0, 1.0).unwrap()),
    ])
    .unwrap()
}

/// Components with different supports: the density jumps at −0.5 and 0.
fn staggered() -> Mixture {
    Mixture::new(vec![
        (
            3.0,
            Arc::new(Uniform::new(-1.0, 0.0).unwrap()) as Arc<dyn EndowmentDistribution>,
        ),
        (1.0, Arc::new(Triangular::new(-0.5, 0.0, 1.0).unwrap())),
    ])
    .unwrap()
}

/// A mixture of a mixture and a truncated normal.
fn nested() -> Mixture {
    Mixture::new(vec![
        (2.0, Arc::new(staggered()) as Arc<dyn EndowmentDistribution>),
        (
            1.0,
            Arc::new(TruncatedNormal::new(0.3, 0.4, -0.8, 1.2).unwrap()),
        ),
    ])
    .unwrap()
}

/// Every closed form against quadrature of the density written out here
/// (weights times component densities), split at the known jumps.
fn check_against_reference(m: &Mixture, density: &dyn Fn(f64) -> f64, jumps: &[f64]) {
    let (lo, hi) = m.support();
    let tol = 1e-12;
    let int = |f: &dyn Fn(f64) -> f64, a: f64, b: f64| reference_integral(f, a, b, jumps);
    assert!((int(density, lo, hi) - 1.0).abs() < tol);
    let mean = int(&|z| z * density(z), lo, hi);
    assert!((m.mean() - mean).abs() < tol, "mean {} vs {mean}", m.mean());
    let second = int(&|z| z * z * density(z), lo, hi);
    assert!((m.variance() - (second - mean * mean)).abs() < tol);
    for k in 0..=20 {
        let x = lo + (hi - lo) * k as f64 / 20.0;
        let cdf = int(density, lo, x);
        assert!(
            (m.cdf(x) - cdf).abs() < tol,
            "cdf({x}) {} vs {cdf}",
            m.cdf(x)
        );
        assert!((m.sf(x) - (1.0 - cdf)).abs() < tol);
        let pm = int(&|z| z * density(z), lo, x);
        assert!((m.partial_moment(x) - pm).abs() < tol, "M({x})");
        // ∫_lo^x F = x F(x) − M(x) and ∫_x^hi (1 − F) = E(Z − x)⁺.
        let cdf_int = x * cdf - pm;
        assert!((m.cdf_integral(x) - cdf_int).abs() < tol, "∫F to {x}");
        let sf_int = int(&|z| (z - x) * density(z), x, hi);
        assert!((m.sf_integral(x) - sf_int).abs() < tol, "∫(1 − F) from {x}");
        if x > lo && x < hi && density(x) > 0.0 {
            assert!(
                (m.cdf_pdf_ratio(x) - cdf / density(x)).abs() < 1e-10 * (1.0 + cdf / density(x))
            );
        }
    }
    assert_quantile_inverts_cdf(m);
}

#[test]
fn two_mode_mixture_matches_reference_quadrature() {
    let a = TruncatedNormal::new(-0.6, 0.15, -1.0, 1.0).unwrap();
    let b = TruncatedNormal::new(0.6, 0.15, -1.0, 1.0).unwrap();
    check_against_reference(&two_modes(), &|z| 0.5 * a.pdf(z) + 0.5 * b.pdf(z), &[]);
}

#[test]
fn staggered_supports_match_reference_quadrature() {
    let m = staggered();
    assert_eq!(m.support(), (-1.0, 1.0));
    assert_eq!(m.weights(), &[0.75, 0.25]);
    assert_eq!(m.kinks(), &[-0.5, 0.0]);
    let u = Uniform::new(-1.0, 0.0).unwrap();
    let t = Triangular::new(-0.5, 0.0, 1.0).unwrap();
    let density = |z: f64| {
        let uz = if (-1.0..0.0).contains(&z) {
            u.pdf(z)
        } else {
            0.0
        };
        let tz = if (-0.5..=1.0).contains(&z) {
            t.pdf(z)
        } else {
            0.0
        };
        0.75 * uz + 0.25 * tz
    };
    check_against_reference(&m, &density, &[-0.5, 0.0]);
}

#[test]
fn nested_mixture_matches_reference_quadrature() {
    let m = nested();
    assert_eq!(m.support(), (-1.0, 1.2));
    let inner = staggered();
    let n = TruncatedNormal::new(0.3, 0.4, -0.8, 1.2).unwrap();
    let density = |z: f64| {
        let i = if (-1.0..1.0).contains(&z) {
            inner.pdf(z)
        } else {
            0.0
        };
        let nz = if (-0.8..=1.2).contains(&z) {
            n.pdf(z)
        } else {
            0.0
        };
        (2.0 * i + nz) / 3.0
    };
    check_against_reference(&m, &density, &[-0.8, -0.5, 0.0, 1.0]);
}

#[test]
fn bad_components_are_typed_errors_naming_the_component() {
    assert!(matches!(
        Mixture::new(vec![]),
        Err(DistributionError::NoComponents)
    ));
    let u = || Uniform::new(0.0, 1.0).unwrap();
    for w in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = Mixture::from_components(vec![(1.0, u()), (w, u())]).unwrap_err();
        assert!(
            matches!(e, DistributionError::InvalidWeight { index: 1, .. }),
            "{e:?}"
        );
        assert!(e.to_string().contains("component 1"), "{e}");
    }
    // Disjoint supports are a mixture with a gap: no mass between them.
    let gap = Mixture::from_components(vec![
        (1.0, Uniform::new(0.0, 1.0).unwrap()),
        (1.0, Uniform::new(2.0, 3.0).unwrap()),
    ])
    .unwrap();
    assert_eq!(gap.support(), (0.0, 3.0));
    assert_eq!((gap.cdf(1.0), gap.cdf(1.5), gap.cdf(2.0)), (0.5, 0.5, 0.5));
    assert_eq!(gap.pdf(1.5), 0.0);
    // Supports that only touch where both densities vanish.
    let touching = Mixture::from_components(vec![
        (1.0, Triangular::new(0.0, 0.0, 1.0).unwrap()),
        (1.0, Triangular::new(1.0, 2.0, 2.0).unwrap()),
    ])
    .unwrap();
    assert_eq!(touching.pdf(1.0), 0.0);
    assert!((touching.cdf(1.0) - 0.5).abs() < 1e-15);
}

/// The design notes' two-mode market (computed outside the crate): one
/// class of two traders, κ = ½, α = 1.
#[test]
fn two_mode_market_matches_the_reference_optimum() {
    let m = Market::new(vec![TraderClass::new(0.5, two_modes(), 2)]).unwrap();
    let mech = OptimalMechanism::solve(&m, 1.0).unwrap();
    assert!(
        (mech.revenue() - 0.211120).abs() < 1e-6,
        "{}",
        mech.revenue()
    );
    let (za, zb) = mech.class(0).virtual_value().binding_interval();
    assert!((za + zb).abs() < 1e-9);
}

#[test]
fn the_spec_takes_mixtures_and_names_the_component_at_fault() {
    let spec = |components: &str| {
        format!(
            r#"{{"alpha": 1.0, "traders": [{{"kappa": 0.5, "count": 2,
              "distribution": {{"family": "mixture", "components": {components}}}}}]}}"#
        )
    };
    let good = spec(
        r#"[{"weight": 1, "distribution": {"family": "truncated_normal", "mu": -0.6, "sigma": 0.15, "lo": -1, "hi": 1}},
            {"weight": 1, "distribution": {"family": "truncated_normal", "mu": 0.6, "sigma": 0.15, "lo": -1, "hi": 1}}]"#,
    );
    let report: serde_json::Value =
        serde_json::from_str(&common::solve_json(&good).unwrap()).unwrap();
    assert!((report["revenue"].as_f64().unwrap() - 0.211120).abs() < 1e-6);

    let cases = [
        (
            r#"[{"weight": 1, "distribution": {"family": "uniform", "lo": -1, "hi": 0}},
                {"weight": 1, "distribution": {"family": "truncated_normal", "mu": 0, "sigma": -1, "lo": -1, "hi": 1}}]"#,
            "traders[0].distribution.components[1].distribution.sigma",
        ),
        (
            r#"[{"weight": 1, "distribution": {"family": "uniform", "lo": -1, "hi": 0}},
                {"weight": -2, "distribution": {"family": "uniform", "lo": 0, "hi": 1}}]"#,
            "traders[0].distribution.components[1].weight",
        ),
        ("[]", "traders[0].distribution:"),
    ];
    for (components, path) in cases {
        let err = common::solve_json(&spec(components)).unwrap_err();
        assert!(err.starts_with(path), "{path}: got {err}");
    }
    // Nesting deeper than the spec allows.
    let mut inner = r#"{"family": "uniform", "lo": 0, "hi": 1}"#.to_string();
    for _ in 0..10 {
        inner = format!(
            r#"{{"family": "mixture", "components": [{{"weight": 1, "distribution": {inner}}}]}}"#
        );
    }
    let deep = format!(
        r#"{{"alpha": 1.0, "traders": [{{"kappa": 1, "count": 2, "distribution": {inner}}}]}}"#
    );
    let err = common::solve_json(&deep).unwrap_err();
    assert!(err.contains("nested more than 8 deep"), "{err}");
}

/// The one-pass `density_and_ratio` (and `pdf_and_ratio`, its first two)
/// agrees with the separate density, hazard ratios and survival function,
/// inside components, at their ends, in a gap and outside the support.
#[test]
fn density_and_ratio_agrees_with_the_separate_functions() {
    use exchange_design::distribution::{EndowmentDistribution, HazardRatio, TruncatedNormal};
    let m = Mixture::new(vec![
        (
            1.0,
            std::sync::Arc::new(Uniform::new(-1.0, 0.0).unwrap())
                as std::sync::Arc<dyn EndowmentDistribution>,
        ),
        (
            2.0,
            std::sync::Arc::new(TruncatedNormal::new(0.3, 0.2, -0.5, 0.8).unwrap()),
        ),
        (
            0.5,
            std::sync::Arc::new(Triangular::new(1.0, 1.2, 2.0).unwrap()),
        ),
    ])
    .unwrap();
    let points = [
        -1.0, -0.7, -0.5, -0.2, 0.0, 0.3, 0.8, 0.9, 1.0, 1.5, 2.0, 2.5, -3.0,
    ];
    for z in points {
        for (which, r) in [
            (HazardRatio::CdfOverPdf, m.cdf_pdf_ratio(z)),
            (HazardRatio::SfOverPdf, m.sf_pdf_ratio(z)),
        ] {
            let (f, ratio, sf) = m.density_and_ratio(z, which);
            let close = |a: f64, b: f64| a == b || (a - b).abs() <= 1e-14 * a.abs().max(b.abs());
            assert!(close(f, m.pdf(z)), "pdf at {z}: {f} vs {}", m.pdf(z));
            assert!(close(sf, m.sf(z)), "sf at {z}: {sf} vs {}", m.sf(z));
            assert!(close(ratio, r), "{which:?} at {z}: {ratio} vs {r}");
            // `pdf_and_ratio` is the first two of these.
            assert_eq!(m.pdf_and_ratio(z, which), (f, ratio), "{which:?} at {z}");
        }
    }
}

/// The one-pass `ratio_and_log_slope` (each component's density serving
/// the ratio's sum and the slope's weight) agrees with the separate hazard
/// ratio and `pdf_log_derivative` (which takes its average in logarithms):
/// inside components, at their ends (where a uniform's density jumps and a
/// triangular one's log-slope is infinite), in a gap, outside the support,
/// and between two narrow normals where the components' slopes cancel and
/// the answer is the closed form of `the_log_derivative_averages_the_components`.
#[test]
fn ratio_and_log_slope_agrees_with_the_separate_functions() {
    let normal = |mu: f64, sigma: f64, lo: f64, hi: f64| -> Arc<dyn EndowmentDistribution> {
        Arc::new(TruncatedNormal::new(mu, sigma, lo, hi).unwrap())
    };
    let gapped = Mixture::new(vec![
        (
            1.0,
            Arc::new(Uniform::new(-1.0, 0.0).unwrap()) as Arc<dyn EndowmentDistribution>,
        ),
        (2.0, normal(0.3, 0.2, -0.5, 0.8)),
        (0.5, Arc::new(Triangular::new(1.0, 1.2, 2.0).unwrap())),
    ])
    .unwrap();
    let with_uniform = Mixture::new(vec![
        (2.0, normal(0.1, 0.5, -1.0, 1.0)),
        (1.0, Arc::new(Uniform::new(-0.6, 0.7).unwrap())),
    ])
    .unwrap();
    let pair = Mixture::new(vec![
        (1.0, normal(0.0, 0.01, -1.0, 1.0)),
        (2.0, normal(0.001, 0.01, -1.0, 1.0)),
    ])
    .unwrap();
    let mixtures = [
        gapped,
        with_uniform,
        pair,
        two_modes(),
        staggered(),
        nested(),
    ];
    for m in &mixtures {
        let (lo, hi) = m.support();
        let mut points: Vec<f64> = (0..=200)
            .map(|k| lo + (hi - lo) * (k as f64 + 0.37) / 200.0)
            .collect();
        for &k in m.kinks() {
            points.extend([k, k.next_up(), k.next_down(), k - 1e-9, k + 1e-9]);
        }
        points.extend([lo, hi, lo - 1.0, hi + 1.0, -0.39, -0.5, 0.6]);
        for z in points {
            for (which, r) in [
                (HazardRatio::CdfOverPdf, m.cdf_pdf_ratio(z)),
                (HazardRatio::SfOverPdf, m.sf_pdf_ratio(z)),
            ] {
                let l = m.pdf_log_derivative(z);
                let (ratio, slope) = m.ratio_and_log_slope(z, which);
                let close = |a: f64, b: f64, scale: f64| {
                    a == b || (a - b).abs() <= 1e-13 * scale.max(a.abs()).max(b.abs())
                };
                assert!(close(ratio, r, 0.0), "{which:?} at {z}: {ratio} vs {r}");
                // The slopes are averages of the components' slopes: their
                // rounding is relative to the largest of those.
                let scale = m
                    .components()
                    .iter()
                    .map(|d| d.pdf_log_derivative(z))
                    .filter(|x| x.is_finite())
                    .fold(0.0, |s: f64, x| s.max(x.abs()));
                assert!(
                    close(slope, l, scale) || (slope.is_nan() && l.is_nan()),
                    "f'/f at {z} ({which:?}): {slope} vs {l}"
                );
            }
        }
    }
    // The closed form between the two narrow normals.
    let pair = &mixtures[2];
    for z in [-0.39, -0.42, -0.5, 0.6] {
        let (t1, t2): (f64, f64) = (z / 0.01, (z - 0.001) / 0.01);
        let q = 2.0 * (-0.5 * (t2 * t2 - t1 * t1)).exp();
        let expected = -(t1 + q * t2) / (0.01 * (1.0 + q));
        let (_, l) = pair.ratio_and_log_slope(z, HazardRatio::SfOverPdf);
        assert!(
            (l - expected).abs() <= 1e-12 * expected.abs(),
            "f'/f at {z}: {l} vs {expected}"
        );
    }
}

/// A normal whose quantile is wrong (it returns the lower end): a user
/// type the mixture must not trust for splitting its tails.
#[derive(Debug)]
struct OffQuantile(TruncatedNormal);

impl EndowmentDistribution for OffQuantile {
    fn support(&self) -> (f64, f64) {
        self.0.support()
    }
    fn cdf(&self, z: f64) -> f64 {
        self.0.cdf(z)
    }
    fn pdf(&self, z: f64) -> f64 {
        self.0.pdf(z)
    }
    fn sf(&self, z: f64) -> f64 {
        self.0.sf(z)
    }
    fn quantile(&self, _u: f64) -> f64 {
        self.0.support().0
    }
}

/// Where the welfare moments need both tails (`F` for the lower ratio,
/// `1 − F` for the survival function), the mixture computes one of each
/// component's tails and takes the other as its complement, on the side of
/// the component's median where that complement is at least a quarter.
/// Both must keep their relative accuracy where one of them is tiny: the
/// survival function of 1e-13 near the upper end and the CDF of 1e-13 near
/// the lower, against each component's own two tail functions. Taking the
/// complement on the wrong side loses up to 13 digits; a component whose
/// quantile is wrong (so no median is trusted) still gets both right.
#[test]
fn both_tails_keep_their_accuracy_from_one_tail_function() {
    let normal = |mu: f64, sigma: f64| TruncatedNormal::new(mu, sigma, -1.0, 1.0).unwrap();
    let parts: Vec<(f64, Arc<dyn EndowmentDistribution>)> = vec![
        (1.0, Arc::new(normal(-0.3, 0.1))),
        (2.0, Arc::new(normal(0.4, 0.08))),
        (0.5, Arc::new(OffQuantile(normal(0.0, 0.12)))),
    ];
    let m = Mixture::new(parts.clone()).unwrap();
    let total: f64 = parts.iter().map(|p| p.0).sum();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-14 * b.abs();
    let mut smallest = (1.0_f64, 1.0_f64);
    for i in 0..=4000 {
        let z = -0.999 + 1.998 * f64::from(i) / 4000.0;
        let sum = |g: &dyn Fn(&dyn EndowmentDistribution) -> f64| -> f64 {
            parts.iter().map(|(w, d)| w / total * g(d.as_ref())).sum()
        };
        let (f, cdf, sf) = (sum(&|d| d.pdf(z)), sum(&|d| d.cdf(z)), sum(&|d| d.sf(z)));
        smallest = (smallest.0.min(cdf), smallest.1.min(sf));
        let (pdf, r, s) = m.density_and_ratio(z, HazardRatio::CdfOverPdf);
        assert!(close(pdf, f), "pdf at {z}: {pdf} vs {f}");
        assert!(close(s, sf), "1 − F at {z}: {s} vs {sf}");
        assert!(close(r, cdf / f), "F/f at {z}: {r} vs {}", cdf / f);
        let (_, r, s) = m.density_and_ratio(z, HazardRatio::SfOverPdf);
        assert!(close(s, sf), "1 − F (upper) at {z}: {s} vs {sf}");
        assert!(close(r, sf / f), "(1 − F)/f at {z}: {r} vs {}", sf / f);
    }
    // The sweep reaches where each tail is tiny.
    assert!(smallest.0 < 1e-12 && smallest.1 < 1e-12, "{smallest:?}");
}

/// Far in the tails every component's density underflows (below about
/// 1e-308 at 38 standard deviations, to zero at 45), and sums of such
/// numbers keep few digits; the mixture's hazard ratios add its components
/// in logarithms there. Two copies of one normal must give that normal's
/// own ratio (its Mills ratio, a different algorithm); two normals 0.1 σ
/// apart give `(r₁ + q r₂)/(1 + q)` with `q = (w₂/w₁) e^{−(t₂² − t₁²)/2}`.
#[test]
fn hazard_ratios_stay_exact_where_every_density_underflows() {
    let normal = |mu: f64| -> Arc<dyn EndowmentDistribution> {
        Arc::new(TruncatedNormal::new(mu, 0.01, -1.0, 1.0).unwrap())
    };
    let twins = Mixture::new(vec![(0.3, normal(0.0)), (0.7, normal(0.0))]).unwrap();
    let one = TruncatedNormal::new(0.0, 0.01, -1.0, 1.0).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
    for z in [0.38, 0.41, 0.45, 0.6, 0.9] {
        assert!(
            close(twins.cdf_pdf_ratio(-z), one.cdf_pdf_ratio(-z)),
            "F/f at {}: {} vs {}",
            -z,
            twins.cdf_pdf_ratio(-z),
            one.cdf_pdf_ratio(-z)
        );
        assert!(
            close(twins.sf_pdf_ratio(z), one.sf_pdf_ratio(z)),
            "(1 − F)/f at {z}"
        );
        assert!(close(twins.ln_pdf(z), one.ln_pdf(z)), "ln f at {z}");
        // The density itself underflows from about 38.6 σ on.
        if z >= 0.45 {
            assert_eq!(twins.pdf(z), 0.0);
        }
    }
    let pair = Mixture::new(vec![(1.0, normal(0.0)), (2.0, normal(0.001))]).unwrap();
    let (first, second) = (
        TruncatedNormal::new(0.0, 0.01, -1.0, 1.0).unwrap(),
        TruncatedNormal::new(0.001, 0.01, -1.0, 1.0).unwrap(),
    );
    for z in [-0.39, -0.42, -0.5] {
        let (t1, t2): (f64, f64) = (z / 0.01, (z - 0.001) / 0.01);
        let q = 2.0 * (-0.5 * (t2 * t2 - t1 * t1)).exp();
        let expected = (first.cdf_pdf_ratio(z) + q * second.cdf_pdf_ratio(z)) / (1.0 + q);
        assert!(
            close(pair.cdf_pdf_ratio(z), expected),
            "F/f at {z}: {} vs {expected}",
            pair.cdf_pdf_ratio(z)
        );
        let (_, r, _) =
            pair.density_and_ratio(z, exchange_design::distribution::HazardRatio::CdfOverPdf);
        assert!(
            close(r, expected),
            "density_and_ratio at {z}: {r} vs {expected}"
        );
    }
}

/// The mixture's `f'/f` is the components' log-derivatives averaged with
/// weights `wᵢ fᵢ`: it agrees with a central difference of the mixture's
/// own `ln f` (an independent route) inside each piece of the staggered
/// and three-family mixtures, and where every density underflows it stays
/// finite and exact: two normals of scale σ at 0 and 0.001 give
/// `−(t₁ + q t₂)/(σ (1 + q))` with `q` as above (the quotient `f'/f` of the
/// sums would be 0/0 there).
#[test]
fn the_log_derivative_averages_the_components() {
    for m in [staggered(), nested(), two_modes()] {
        let (lo, hi) = m.support();
        for k in 1..40 {
            let z = lo + (hi - lo) * (k as f64 + 0.37) / 40.0;
            if m.kinks().iter().any(|&c| (c - z).abs() < 1e-3) {
                continue;
            }
            let h = 1e-5;
            let numeric = (m.ln_pdf(z + h) - m.ln_pdf(z - h)) / (2.0 * h);
            let l = m.pdf_log_derivative(z);
            assert!(
                (l - numeric).abs() <= 1e-6 * (1.0 + numeric.abs()),
                "f'/f at {z}: {l} vs {numeric}"
            );
        }
    }
    let normal = |mu: f64| -> Arc<dyn EndowmentDistribution> {
        Arc::new(TruncatedNormal::new(mu, 0.01, -1.0, 1.0).unwrap())
    };
    let pair = Mixture::new(vec![(1.0, normal(0.0)), (2.0, normal(0.001))]).unwrap();
    for z in [-0.39, -0.42, -0.5, 0.6] {
        let (t1, t2): (f64, f64) = (z / 0.01, (z - 0.001) / 0.01);
        let q = 2.0 * (-0.5 * (t2 * t2 - t1 * t1)).exp();
        let expected = -(t1 + q * t2) / (0.01 * (1.0 + q));
        let l = pair.pdf_log_derivative(z);
        assert!(
            (l - expected).abs() <= 1e-12 * expected.abs(),
            "f'/f at {z}: {l} vs {expected}"
        );
    }
}

/// A distribution behind an `Arc` (how an estimate is returned) passed to
/// `TraderClass::new` is a class's distribution through the `Arc`'s own
/// implementation, which must forward every method the solver reads: the
/// density bounds certify the ironing's cells and tell a uniform class
/// (without them the ironing sampled the density and could miss a narrow
/// cluster, and a uniform lost its linear solver).
#[test]
fn a_shared_distribution_keeps_its_density_bounds() {
    let inner: Arc<dyn EndowmentDistribution> = Arc::new(two_modes());
    let market = Market::new(vec![
        TraderClass::new(1.0, inner.clone(), 2),
        TraderClass::new(
            1.0,
            Arc::new(Uniform::new(-1.0, 1.0).unwrap()) as Arc<dyn EndowmentDistribution>,
            2,
        ),
    ])
    .unwrap();
    let shared = market.classes()[0].distribution();
    for (a, b) in [(-1.0, 1.0), (-0.7, -0.5), (0.1, 0.2)] {
        assert!(inner.density_bounds(a, b).is_some());
        assert_eq!(shared.density_bounds(a, b), inner.density_bounds(a, b));
    }
    let uniform = market.classes()[1].distribution();
    let b = uniform.density_bounds(-1.0, 1.0).unwrap();
    assert_eq!(
        (b.min, b.max, b.slope_min, b.slope_max),
        (0.5, 0.5, 0.0, 0.0)
    );
}

/// In a gap between components the density is 0, so each hazard ratio is
/// its documented limit: `(1 − F)/f = +∞` and `F/f = +∞` (both tails hold
/// probability), by every route, also where one component alone has mass
/// on the ratio's side (a truncated normal and a uniform would give their
/// ratios at their nearest ends, finite).
#[test]
fn hazard_ratios_in_a_gap_are_infinite() {
    let m = Mixture::new(vec![
        (
            0.5,
            Arc::new(Uniform::new(-1.0, -0.2).unwrap()) as Arc<dyn EndowmentDistribution>,
        ),
        (
            0.5,
            Arc::new(TruncatedNormal::new(0.4, 0.2, 0.1, 1.0).unwrap()),
        ),
    ])
    .unwrap();
    for z in [-0.19, -0.05, 0.09] {
        assert_eq!(m.pdf(z), 0.0);
        assert_eq!(m.sf_pdf_ratio(z), f64::INFINITY, "z = {z}");
        assert_eq!(m.cdf_pdf_ratio(z), f64::INFINITY, "z = {z}");
        for which in [HazardRatio::SfOverPdf, HazardRatio::CdfOverPdf] {
            let (f, r, _) = m.density_and_ratio(z, which);
            assert_eq!((f, r), (0.0, f64::INFINITY), "z = {z}, {which:?}");
        }
    }
}

/// `f'/f` of a mixture at `z`, from its components' own densities and
/// slopes (not from the mixture's bounds or its `pdf_log_derivative`).
fn log_slope_of(parts: &[(f64, Arc<dyn EndowmentDistribution>)], z: f64) -> f64 {
    let slope: f64 = parts.iter().map(|(w, d)| w * d.pdf_derivative(z)).sum();
    let density: f64 = parts.iter().map(|(w, d)| w * d.pdf(z)).sum();
    slope / density
}

/// Checks that the bounds of `f'/f` on cells of `width` across `[lo, hi]`
/// hold at 201 points of each cell, and returns them.
fn assert_log_slopes_hold(
    parts: &[(f64, Arc<dyn EndowmentDistribution>)],
    (lo, hi): (f64, f64),
    width: f64,
) -> Vec<(f64, f64, f64)> {
    let m = Mixture::new(parts.to_vec()).unwrap();
    let mut cells = Vec::new();
    let mut a = lo;
    while a < hi {
        let b = (a + width).min(hi);
        let (low, high) = m.pdf_log_derivative_bounds(a, b).unwrap();
        for k in 0..=200 {
            let z = a + (b - a) * f64::from(k) / 200.0;
            let l = log_slope_of(parts, z);
            let slack = 1e-12 * l.abs().max(1.0);
            assert!(
                low - slack <= l && l <= high + slack,
                "f'/f = {l} at {z} outside [{low}, {high}] on [{a}, {b}]"
            );
        }
        cells.push((a, low, high));
        a = b;
    }
    cells
}

/// The bounds on `f'/f` that the ironing certifies tails with: valid on
/// every cell (two normals, and a normal with a uniform and a triangle),
/// and, in a far tail where one component dominates, those of that
/// component: on `[−1, −0.9]`, 3 σ below the lower mode, at most 22.3
/// (the lower normal's own `(μ − z)/σ²` is 22.2 at −1), where bounds that
/// ignored the weights would take the upper normal's 66.7.
#[test]
fn log_slope_bounds_hold_and_follow_the_dominant_component() {
    let normal = |mu: f64, sigma: f64| {
        Arc::new(TruncatedNormal::new(mu, sigma, -1.0, 1.0).unwrap())
            as Arc<dyn EndowmentDistribution>
    };
    let modes = vec![(1.0, normal(-0.5, 0.15)), (1.0, normal(0.5, 0.15))];
    for width in [0.01, 0.1, 0.5, 2.0] {
        assert_log_slopes_hold(&modes, (-1.0, 1.0), width);
    }
    let cells = assert_log_slopes_hold(&modes, (-1.0, 1.0), 0.1);
    let (_, low, high) = cells[0];
    assert!(high <= 22.3 && low >= 17.7, "[{low}, {high}]");
    let mixed = vec![
        (2.0, normal(0.2, 0.3)),
        (
            1.0,
            Arc::new(Uniform::new(-1.0, 1.0).unwrap()) as Arc<dyn EndowmentDistribution>,
        ),
        (0.5, Arc::new(Triangular::new(-1.0, -0.2, 1.0).unwrap())),
    ];
    for width in [0.05, 0.3] {
        assert_log_slopes_hold(&mixed, (-1.0, 1.0), width);
    }
}

/// `(ln f)''` of a mixture at `z` by a second difference of its log-density
/// (built from the mixture's own density, not from any bound).
fn log_curvature(m: &Mixture, z: f64, h: f64) -> f64 {
    (m.pdf(z + h).ln() - 2.0 * m.pdf(z).ln() + m.pdf(z - h).ln()) / (h * h)
}

/// A mixture shown log-concave at construction is log-concave: for
/// mixtures of two to four normals on one support, of one scale or of
/// several, with means and weights drawn from a fixed sequence, every one
/// with `log_concave()` has `(ln f)'' ≤ 0` (to the second difference's
/// rounding) at 2 001 points; at least a third of them are shown. Two
/// normals of one scale whose means are `2.2 σ` apart, equal weights, are
/// not log-concave (`(ln f)'' = (Δ²/4σ² − 1)/σ² > 0` midway) and must not
/// be shown; `1.8 σ` apart they are, and are shown; with a uniform, or
/// with supports that differ, nothing is shown.
#[test]
fn a_mixture_shown_log_concave_is_log_concave() {
    let normal = |mu: f64, sigma: f64| {
        Arc::new(TruncatedNormal::new(mu, sigma, -1.0, 1.0).unwrap())
            as Arc<dyn EndowmentDistribution>
    };
    let mut state = 12345_u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut shown, mut total) = (0, 0);
    for _ in 0..300 {
        let k = 2 + (next() * 3.0) as usize;
        let one_scale = next() < 0.5;
        let base = 0.2 + 0.5 * next();
        let parts: Vec<(f64, Arc<dyn EndowmentDistribution>)> = (0..k)
            .map(|_| {
                let sigma = if one_scale {
                    base
                } else {
                    base * (0.7 + 0.6 * next())
                };
                let mu = -0.3 + 2.0 * base * next();
                (0.2 + next(), normal(mu, sigma))
            })
            .collect();
        let m = Mixture::new(parts).unwrap();
        total += 1;
        if !m.log_concave() {
            continue;
        }
        shown += 1;
        for i in 0..=2000 {
            let z = -0.99 + 1.98 * f64::from(i) / 2000.0;
            let c = log_curvature(&m, z, 1e-4);
            assert!(c <= 1e-4, "(ln f)'' = {c} at {z}: {m:?}");
        }
    }
    assert!(3 * shown >= total, "{shown} of {total} shown");
    let pair = |gap: f64| {
        Mixture::new(vec![
            (1.0, normal(-0.5 * gap, 0.2)),
            (1.0, normal(0.5 * gap, 0.2)),
        ])
        .unwrap()
    };
    assert!(!pair(2.2 * 0.2).log_concave());
    assert!(log_curvature(&pair(2.2 * 0.2), 0.0, 1e-4) > 0.0);
    assert!(pair(1.8 * 0.2).log_concave());
    let with_uniform = Mixture::new(vec![
        (1.0, normal(0.0, 0.3)),
        (
            1.0,
            Arc::new(Uniform::new(-1.0, 1.0).unwrap()) as Arc<dyn EndowmentDistribution>,
        ),
    ])
    .unwrap();
    assert!(!with_uniform.log_concave());
    let narrower = Mixture::new(vec![
        (1.0, normal(0.0, 0.3)),
        (
            1.0,
            Arc::new(TruncatedNormal::new(0.1, 0.3, -0.9, 1.0).unwrap())
                as Arc<dyn EndowmentDistribution>,
        ),
    ])
    .unwrap();
    assert!(!narrower.log_concave());
}
