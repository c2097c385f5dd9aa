//! Issue 20 (5)(6): errors that name the real cause, and fallbacks that
//! are reported.

use exchange_design::estimation::{estimate, EstimationError, Method};

const METHODS: [Method; 4] = [
    Method::Kde,
    Method::LogConcave,
    Method::TruncatedNormal,
    Method::Beta,
];

/// Samples 1e160 · (1..=10): their squares overflow. Before, log-concave
/// said "all samples equal 1e160".
#[test]
fn huge_samples_say_their_scale() {
    let x: Vec<f64> = (1..=10).map(|i| 1e160 * i as f64).collect();
    // Without a support (a support this large is refused on its own).
    for m in [Method::Kde, Method::LogConcave] {
        let err = estimate(m, &x, None).unwrap_err();
        assert!(
            matches!(err, EstimationError::ScaleOutOfRange { .. }),
            "{}: {err}",
            m.name()
        );
        assert!(err.to_string().contains("rescale"), "{err}");
        assert!(!err.to_string().contains("equal"), "{err}");
    }
}

/// A spread of 1e-300: squares underflow. Before: "log_density is NaN".
#[test]
fn tiny_spread_says_its_scale() {
    let x: Vec<f64> = (1..=10).map(|i| 1e-300 * i as f64).collect();
    for m in [Method::Kde, Method::LogConcave] {
        let err = estimate(m, &x, None).unwrap_err();
        assert!(
            matches!(err, EstimationError::ScaleOutOfRange { .. }),
            "{}: {err}",
            m.name()
        );
    }
}

/// Samples one ulp apart. Before: "did not converge … (criterion NaN);
/// rescale the samples".
#[test]
fn one_ulp_spread_says_resolution() {
    let next = f64::from_bits(1f64.to_bits() + 1);
    let x: Vec<f64> = (0..20)
        .map(|i| if i % 2 == 0 { 1.0 } else { next })
        .collect();
    for m in METHODS {
        let err = estimate(m, &x, Some((0.5, 1.5))).unwrap_err();
        assert!(
            matches!(err, EstimationError::SpreadAtResolution { .. }),
            "{}: {err}",
            m.name()
        );
        assert!(err.to_string().contains("offset"), "{err}");
    }
    // A spread a little above the threshold (1e-12 of the magnitude) is
    // estimated.
    let x: Vec<f64> = (0..20).map(|i| 1.0 + 1e-9 * i as f64).collect();
    assert!(estimate(Method::Kde, &x, None).is_ok());
}

mod no_panic {
    use exchange_design::distribution::EndowmentDistribution;
    use exchange_design::estimation::{estimate_with_fit, Method};
    use proptest::prelude::*;

    /// Samples at any scale from 1e-120 to 1e120, with ties, clusters and
    /// outliers; supports around them or none.
    fn samples() -> impl Strategy<Value = (Vec<f64>, Option<(f64, f64)>)> {
        (
            prop::collection::vec(-1.0f64..1.0, 10..60),
            -120i32..120,
            0usize..4,
            prop::option::of(1.0f64..100.0),
        )
            .prop_map(|(u, exp, kind, widen)| {
                let scale = 10f64.powi(exp);
                let x: Vec<f64> = u
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| match kind {
                        0 => v,
                        1 => (v * 4.0).round() / 4.0,        // ties
                        2 => if i % 2 == 0 { v * 1e-3 } else { 5.0 + v * 1e-3 }, // clusters
                        _ => if i == 0 { 1e3 } else { v },  // an outlier
                    } * scale)
                    .collect();
                let (min, max) = x
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                        (a.min(v), b.max(v))
                    });
                let support = widen.map(|w| (min - w * (max - min), max + w * (max - min)));
                (x, support)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Issue 20: nothing panics, and every estimate returned is a
        /// distribution on the declared support with a finite
        /// log-likelihood.
        #[test]
        fn estimators_never_panic((x, support) in samples()) {
            for m in [Method::Kde, Method::LogConcave, Method::TruncatedNormal, Method::Beta] {
                if let Ok(e) = estimate_with_fit(m, &x, support) {
                    if let Some(s) = support {
                        prop_assert_eq!(e.distribution.support(), s);
                    }
                    prop_assert!(e.fit.log_likelihood.is_finite(), "{}: {:?}", m.name(), e.fit);
                    prop_assert!((e.distribution.cdf(e.fit.support.1) - 1.0).abs() < 1e-9);
                }
            }
        }
    }
}

/// The methods' names are the spec's (`docs/spec.md`, `"estimate"`), and an
/// error about a method names it so.
#[test]
fn method_names_are_the_spec_names() {
    use exchange_design::estimation::{estimate, Method};
    for (m, name) in [
        (Method::Kde, "kde"),
        (Method::LogConcave, "log_concave"),
        (Method::TruncatedNormal, "truncated_normal"),
        (Method::Beta, "beta"),
    ] {
        assert_eq!(m.name(), name);
    }
    let x: Vec<f64> = (0..20).map(|i| i as f64 / 20.0).collect();
    for (m, name) in [
        (Method::TruncatedNormal, "truncated_normal"),
        (Method::Beta, "beta"),
    ] {
        let err = estimate(m, &x, None).unwrap_err();
        assert!(err.to_string().contains(&format!("`{name}`")), "{err}");
    }
}
