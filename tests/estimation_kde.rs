//! Kernel density estimates: a density (mass 1), consistent (L1 error
//! against the true density shrinks with n), and the plug-in bandwidth
//! resolves two modes that Silverman's rule merges.

use exchange_design::distribution::{EndowmentDistribution, Mixture, TruncatedNormal};
use exchange_design::estimation::{bandwidth, kde, Bandwidth, EstimationError};
use rand::{rngs::StdRng, RngExt, SeedableRng};
use std::sync::Arc;

fn sample<D: EndowmentDistribution + ?Sized>(d: &D, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| d.quantile(rng.random::<f64>())).collect()
}

/// ∫ |f̂ − f| by the midpoint rule on 20 000 cells.
fn l1(est: &dyn EndowmentDistribution, truth: &dyn EndowmentDistribution) -> f64 {
    let (lo, hi) = truth.support();
    let m = 20_000;
    let h = (hi - lo) / m as f64;
    (0..m)
        .map(|i| {
            let z = lo + (i as f64 + 0.5) * h;
            (est.pdf(z) - truth.pdf(z)).abs() * h
        })
        .sum()
}

#[test]
fn integrates_to_one() {
    let truth = TruncatedNormal::new(0.2, 0.5, -1.0, 1.0).unwrap();
    let x = sample(&truth, 2_000, 1);
    for rule in [Bandwidth::Silverman, Bandwidth::ImprovedSheatherJones] {
        for support in [Some((-1.0, 1.0)), None] {
            let d = kde(&x, support, rule).unwrap();
            // Trapezoid rule on the table is exact for the interpolant: check
            // it independently of the CDF's own tables.
            let (z, f) = (d.grid(), d.density());
            let mass: f64 = (1..z.len())
                .map(|i| 0.5 * (z[i] - z[i - 1]) * (f[i] + f[i - 1]))
                .sum();
            assert!((mass - 1.0).abs() < 1e-12, "{rule:?} {support:?}: {mass}");
            assert!(f.iter().all(|&v| v > 0.0));
            if let Some(s) = support {
                assert_eq!(d.support(), s);
            }
        }
    }
}

#[test]
fn l1_error_shrinks_with_n() {
    // A truncated normal whose density is far from zero, with a steep
    // slope, at the upper end: the reflection's boundary layer is in play.
    let truth = TruncatedNormal::new(0.2, 0.5, -1.0, 1.0).unwrap();
    let mut errors = Vec::new();
    for (n, seed) in [(1_000, 1), (10_000, 2), (100_000, 3)] {
        let x = sample(&truth, n, seed);
        let d = kde(&x, Some((-1.0, 1.0)), Bandwidth::ImprovedSheatherJones).unwrap();
        errors.push(l1(&d, &truth));
    }
    // The L1 rate of a second-order kernel is n^{−2/5}: a factor 2.5 per
    // decade. Ask for at least 1.8 per decade (reflection leaves an O(h)
    // slope bias in a boundary layer of width h, which slows it slightly).
    assert!(
        errors[1] < errors[0] / 1.8 && errors[2] < errors[1] / 1.8,
        "{errors:?}"
    );
    assert!(errors[2] < 0.02, "{errors:?}");
}

/// Largest relative dip of the density between the two modes' centres:
/// `1 − min/min(peak_left, peak_right)` (0 when there is no dip).
fn dip(d: &dyn EndowmentDistribution, a: f64, b: f64) -> f64 {
    let m = 2_000;
    let f: Vec<f64> = (0..=m)
        .map(|i| d.pdf(a + (b - a) * i as f64 / m as f64))
        .collect();
    let (mut best, mut left_peak) = (0.0f64, 0.0f64);
    for i in 0..=m {
        left_peak = left_peak.max(f[i]);
        let right_peak = f[i..].iter().copied().fold(0.0, f64::max);
        best = best.max(1.0 - f[i] / left_peak.min(right_peak));
    }
    best
}

#[test]
fn plug_in_resolves_two_modes_where_silverman_does_not() {
    // 0.7 N(0, 1) + 0.3 N(1, 0.15²) on [−5, 5]: a broad mode at 0 and a
    // narrow one at 1, with a shallow valley (11 % below the lower peak)
    // between. Silverman's rule, scaled by the whole sample's spread,
    // smooths the narrow mode into a shoulder.
    let broad: Arc<dyn EndowmentDistribution> =
        Arc::new(TruncatedNormal::new(0.0, 1.0, -5.0, 5.0).unwrap());
    let narrow: Arc<dyn EndowmentDistribution> =
        Arc::new(TruncatedNormal::new(1.0, 0.15, -5.0, 5.0).unwrap());
    let truth = Mixture::new(vec![(0.7, broad), (0.3, narrow)]).unwrap();
    assert!(dip(&truth, 0.0, 1.0) > 0.1);
    let x = sample(&truth, 5_000, 9);
    let support = Some((-5.0, 5.0));
    let h_isj = bandwidth(&x, support, Bandwidth::ImprovedSheatherJones).unwrap();
    let h_silverman = bandwidth(&x, support, Bandwidth::Silverman).unwrap();
    let isj = kde(&x, support, Bandwidth::ImprovedSheatherJones).unwrap();
    let silverman = kde(&x, support, Bandwidth::Silverman).unwrap();
    let (d_isj, d_silverman) = (dip(&isj, 0.0, 1.0), dip(&silverman, 0.0, 1.0));
    println!("h isj {h_isj} silverman {h_silverman}; dip isj {d_isj} silverman {d_silverman}");
    assert!(h_isj < h_silverman);
    assert!(d_isj > 0.05, "ISJ dip {d_isj}");
    assert!(d_silverman < 0.01, "Silverman dip {d_silverman}");
}

#[test]
fn bad_samples_are_typed_errors() {
    assert!(matches!(
        kde(&[1.0; 5], None, Bandwidth::Silverman),
        Err(EstimationError::TooFewSamples { len: 5, min: 10 })
    ));
    let mut x: Vec<f64> = (0..20).map(f64::from).collect();
    x[3] = f64::NAN;
    let err = kde(&x, None, Bandwidth::Silverman).unwrap_err();
    assert!(matches!(
        err,
        EstimationError::NonFiniteSample { index: 3, .. }
    ));
    assert!(err.to_string().contains("sample 3"));
    assert!(matches!(
        kde(&[2.0; 20], None, Bandwidth::Silverman),
        Err(EstimationError::AllEqual { value: 2.0 })
    ));
    let x: Vec<f64> = (0..20).map(f64::from).collect();
    let err = kde(&x, Some((0.0, 10.0)), Bandwidth::Silverman).unwrap_err();
    assert!(matches!(
        err,
        EstimationError::OutsideSupport { index: 11, .. }
    ));
    let err = kde(&x, Some((30.0, 10.0)), Bandwidth::Silverman).unwrap_err();
    assert!(matches!(err, EstimationError::InvalidSupport(_)));
    assert_eq!(err.field(), "support");
}

/// Issue 20 (2): a sample concentrated in a small part of a wide declared
/// support. Before, the bandwidth and grid came from the support (h fixed at
/// 8.9e-5 on [0, 1] for every sd below 1e-4) and a floor held 0.3–0.44 % of
/// the mass: the KDE design's revenue was 1.19 to 62 000 times the truth's.
/// Now it must be within 10 % of the truth's (the KDE's own smoothing adds
/// about h²/s² ≈ 5 % to the variance at n = 1 000).
#[test]
fn concentrated_samples_on_a_wide_support() {
    use exchange_design::market::{Market, TraderClass};
    use exchange_design::mechanism::OptimalMechanism;
    let revenue = |d: Arc<dyn EndowmentDistribution>| {
        let m = Market::new(vec![TraderClass::from_shared(0.5, d, 5)]).unwrap();
        OptimalMechanism::solve(&m, 0.5).unwrap().revenue()
    };
    for s in [0.1, 0.01, 0.003, 0.001, 1e-4] {
        let truth = TruncatedNormal::new(0.5, s, 0.0, 1.0).unwrap();
        let x = sample(&truth, 1_000, 20);
        let est = kde(&x, Some((0.0, 1.0)), Bandwidth::ImprovedSheatherJones).unwrap();
        // The truth's revenue from the same normal cut at 0.5 ± 40 s (the
        // same distribution to e^{−800}): solved on [0, 1], the truth at
        // s = 1e-4 gives half of it (7.06e-9 against 1.41e-8 = 1.41e-6 · s²/1e-6,
        // the exact s² scaling of the other rows), a solver limitation on
        // spikes much narrower than the support, reported separately.
        let cut = (0.5 - 40.0 * s).max(0.0);
        let reference = TruncatedNormal::new(0.5, s, cut, 1.0 - cut).unwrap();
        let ratio = revenue(Arc::new(est)) / revenue(Arc::new(reference));
        println!("s {s}: revenue ratio {ratio}");
        assert!((ratio - 1.0).abs() < 0.1, "s {s}: revenue ratio {ratio}");
    }
}
