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
