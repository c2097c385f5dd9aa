//! Maximum likelihood fits: known parameters recovered from 10⁵ seeded
//! samples, and the score (checked by finite differences of a
//! log-likelihood written here) zero at the answer.

use exchange_design::distribution::{Beta, EndowmentDistribution, TruncatedNormal};
use exchange_design::estimation::{fit_beta, fit_truncated_normal, EstimationError};
use rand::{rngs::StdRng, RngExt, SeedableRng};

fn sample<D: EndowmentDistribution>(d: &D, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| d.quantile(rng.random::<f64>())).collect()
}

/// Mean log-likelihood of a normal(μ, σ) truncated to [lo, hi], from its
/// own formula (statrs' normal CDF for the mass).
fn tn_loglik(x: &[f64], mu: f64, sigma: f64, lo: f64, hi: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    let n = Normal::new(0.0, 1.0).unwrap();
    let mass = n.cdf((hi - mu) / sigma) - n.cdf((lo - mu) / sigma);
    let s: f64 = x
        .iter()
        .map(|v| -0.5 * ((v - mu) / sigma).powi(2))
        .sum::<f64>()
        / x.len() as f64;
    s - sigma.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln() - mass.ln()
}

fn beta_loglik(x: &[f64], a: f64, b: f64, lo: f64, hi: f64) -> f64 {
    let lb = libm::lgamma(a) + libm::lgamma(b) - libm::lgamma(a + b);
    x.iter()
        .map(|&v| {
            let u = (v - lo) / (hi - lo);
            (a - 1.0) * u.ln() + (b - 1.0) * (1.0 - u).ln()
        })
        .sum::<f64>()
        / x.len() as f64
        - lb
        - (hi - lo).ln()
}

#[test]
fn truncated_normal_recovers_parameters() {
    let (mu, sigma, lo, hi) = (0.3, 1.2, -1.0, 2.5);
    let truth = TruncatedNormal::new(mu, sigma, lo, hi).unwrap();
    let n = 100_000;
    let x = sample(&truth, n, 7);
    let d = fit_truncated_normal(&x, (lo, hi)).unwrap();
    // Standard errors: for a truncation this mild, within twice the
    // untruncated ones σ/√n and σ/√(2n); allow 4 of those.
    let se_mu = 2.0 * sigma / (n as f64).sqrt();
    let se_sigma = 2.0 * sigma / (2.0 * n as f64).sqrt();
    assert!((d.mu() - mu).abs() < 4.0 * se_mu, "mu {} vs {mu}", d.mu());
    assert!(
        (d.sigma() - sigma).abs() < 4.0 * se_sigma,
        "sigma {} vs {sigma}",
        d.sigma()
    );
    assert_eq!(d.support(), (lo, hi));
}

#[test]
fn truncated_normal_score_is_zero_at_the_fit() {
    let truth = TruncatedNormal::new(-0.5, 0.8, -1.0, 1.0).unwrap();
    let x = sample(&truth, 5_000, 3);
    let d = fit_truncated_normal(&x, (-1.0, 1.0)).unwrap();
    let (m, s) = (d.mu(), d.sigma());
    let eps = 1e-5;
    let dm =
        (tn_loglik(&x, m + eps, s, -1.0, 1.0) - tn_loglik(&x, m - eps, s, -1.0, 1.0)) / (2.0 * eps);
    let ds =
        (tn_loglik(&x, m, s + eps, -1.0, 1.0) - tn_loglik(&x, m, s - eps, -1.0, 1.0)) / (2.0 * eps);
    // Central differences err by O(ε²) ≈ 1e-10 plus rounding 1e-16/ε.
    assert!(dm.abs() < 1e-8 && ds.abs() < 1e-8, "score ({dm}, {ds})");
    // And it is a maximum: nearby parameters do worse.
    let best = tn_loglik(&x, m, s, -1.0, 1.0);
    for (a, b) in [(0.01, 0.0), (-0.01, 0.0), (0.0, 0.01), (0.0, -0.01)] {
        assert!(tn_loglik(&x, m + a, s + b, -1.0, 1.0) < best);
    }
}

#[test]
fn truncated_normal_rejects_flat_samples() {
    // U-shaped data: mass piled at both ends of the support, more spread
    // than a uniform, so the likelihood climbs towards σ → ∞.
    let x: Vec<f64> = (0..200)
        .map(|i| {
            let u = (i as f64 + 0.5) / 200.0;
            if u < 0.5 {
                u * u
            } else {
                1.0 - (1.0 - u) * (1.0 - u)
            }
        })
        .collect();
    let x: Vec<f64> = x
        .iter()
        .map(|&v| {
            if v < 0.5 {
                v * 0.2
            } else {
                0.8 + (v - 0.5) * 0.4
            }
        })
        .collect();
    let err = fit_truncated_normal(&x, (0.0, 1.0)).unwrap_err();
    assert!(
        matches!(
            err,
            EstimationError::NoEstimate {
                method: "truncated_normal",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn beta_recovers_parameters() {
    let (a, b, lo, hi) = (2.5, 4.0, -1.0, 3.0);
    let truth = Beta::new(a, b, lo, hi).unwrap();
    let n = 100_000;
    let x = sample(&truth, n, 11);
    let d = fit_beta(&x, (lo, hi)).unwrap();
    // Asymptotic standard errors: the inverse Fisher information per sample,
    // here the negated Hessian of ln B(a, b) by second differences of lgamma.
    let lb = |a: f64, b: f64| libm::lgamma(a) + libm::lgamma(b) - libm::lgamma(a + b);
    let e = 1e-4;
    let iaa = (lb(a + e, b) - 2.0 * lb(a, b) + lb(a - e, b)) / (e * e);
    let ibb = (lb(a, b + e) - 2.0 * lb(a, b) + lb(a, b - e)) / (e * e);
    let iab =
        (lb(a + e, b + e) - lb(a + e, b - e) - lb(a - e, b + e) + lb(a - e, b - e)) / (4.0 * e * e);
    let det = iaa * ibb - iab * iab;
    let n = n as f64;
    let (se_a, se_b) = ((ibb / det / n).sqrt(), (iaa / det / n).sqrt());
    assert!((d.a() - a).abs() < 4.0 * se_a, "a {} (se {se_a})", d.a());
    assert!((d.b() - b).abs() < 4.0 * se_b, "b {} (se {se_b})", d.b());
}

#[test]
fn beta_score_is_zero_at_the_fit() {
    let truth = Beta::new(1.7, 2.2, 0.0, 2.0).unwrap();
    let x = sample(&truth, 3_000, 5);
    let d = fit_beta(&x, (0.0, 2.0)).unwrap();
    let (a, b) = (d.a(), d.b());
    let eps = 1e-5;
    let da = (beta_loglik(&x, a + eps, b, 0.0, 2.0) - beta_loglik(&x, a - eps, b, 0.0, 2.0))
        / (2.0 * eps);
    let db = (beta_loglik(&x, a, b + eps, 0.0, 2.0) - beta_loglik(&x, a, b - eps, 0.0, 2.0))
        / (2.0 * eps);
    assert!(da.abs() < 1e-8 && db.abs() < 1e-8, "score ({da}, {db})");
}

#[test]
fn beta_shape_below_one_lands_on_the_boundary() {
    // Beta(0.6, 3) data: the unconstrained MLE has a < 1, the constrained
    // one a = 1 exactly, with the likelihood falling as a grows from 1.
    let mut rng = StdRng::seed_from_u64(2);
    let x: Vec<f64> = (0..20_000)
        .map(|_| {
            // Inverse CDF by bisection on the regularised incomplete beta.
            let u = rng.random::<f64>();
            let (mut l, mut h) = (0.0f64, 1.0f64);
            for _ in 0..60 {
                let m = 0.5 * (l + h);
                if statrs::function::beta::beta_reg(0.6, 3.0, m) < u {
                    l = m
                } else {
                    h = m
                }
            }
            (0.5 * (l + h)).max(1e-300)
        })
        .collect();
    let d = fit_beta(&x, (0.0, 1.0)).unwrap();
    assert_eq!(d.a(), 1.0);
    let b = d.b();
    let best = beta_loglik(&x, 1.0, b, 0.0, 1.0);
    // Optimal in b along the edge: b-score zero.
    let eps = 1e-5;
    let db = (beta_loglik(&x, 1.0, b + eps, 0.0, 1.0) - beta_loglik(&x, 1.0, b - eps, 0.0, 1.0))
        / (2.0 * eps);
    assert!(db.abs() < 1e-8, "db {db}");
    // Better than every feasible point nearby, and the a-score is negative.
    for (da, dbb) in [
        (0.01, 0.0),
        (0.01, 0.05),
        (0.01, -0.05),
        (0.0, 0.05),
        (0.0, -0.05),
    ] {
        assert!(beta_loglik(&x, 1.0 + da, b + dbb, 0.0, 1.0) < best);
    }
    let da = (beta_loglik(&x, 1.0 + eps, b, 0.0, 1.0) - best) / eps;
    assert!(da < 0.0);
}

#[test]
fn beta_rejects_samples_on_the_ends() {
    let mut x: Vec<f64> = (1..50).map(|i| i as f64 / 50.0).collect();
    x.push(1.0);
    let err = fit_beta(&x, (0.0, 1.0)).unwrap_err();
    assert!(
        matches!(err, EstimationError::SampleOnBoundary { index: 49, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("widen"));
}

use crate::common::parametric_cases as cases;

/// Issue 20 (1): samples drawn from inside the families must be fitted.
/// Failures seen before the certificate: Beta(2, 5) 6/300, 18/300, 4/300
/// seeds at n = 100, 10³, 10⁴; TN(0.1, 0.5) 4/300 and 5/300 at n = 100,
/// 10³. Here 200 seeds of each case at n = 100, 10³, 10⁴ and 5 at 10⁵
/// (the full 3 000-seed sweep is `examples/tools/estimation_sweep.rs`). The only
/// error allowed is a `NoEstimate` the independent existence check of
/// `cases` confirms.
#[test]
fn no_false_failures_over_seeds() {
    use cases::Outcome;
    let mut false_failures = Vec::new();
    let mut verified_none = 0;
    for case in cases::CASES {
        for (n, seeds) in [(100, 200), (1_000, 200), (10_000, 200), (100_000, 5)] {
            for seed in 0..seeds {
                match case.outcome(&case.draw(n, seed)) {
                    Outcome::Fitted | Outcome::Unrepresentable => {}
                    Outcome::NoMle(_) => verified_none += 1,
                    Outcome::Failure(e) => {
                        false_failures.push(format!("{} n {n} seed {seed}: {e}", case.name()))
                    }
                }
            }
        }
    }
    assert!(false_failures.is_empty(), "{false_failures:#?}");
    // The tail case at n = 100 truly lacks an MLE in some seeds (the
    // independent check says so): the check is exercised, not vacuous.
    assert!(verified_none > 0);
}

/// The existence check itself, on samples it must classify each way: a
/// U-shaped sample on [0, 1] (flatter than any normal: no MLE), evenly
/// spread midpoints (a little less spread than the uniform: an MLE exists,
/// with σ far above the data's spread) and a peaked sample.
#[test]
fn existence_check_classifies_both_ways() {
    let grid: Vec<f64> = (0..200).map(|i| (i as f64 + 0.5) / 200.0).collect();
    let case = cases::Case::Normal(0.5, 1.0, 0.0, 1.0);
    assert!(!case.truly_none(&grid));
    let d = fit_truncated_normal(&grid, (0.0, 1.0)).unwrap();
    assert!(d.sigma() > 10.0, "sigma {}", d.sigma());
    let flat: Vec<f64> = grid
        .iter()
        .map(|&v| 0.5 + 0.5 * (2.0 * v - 1.0).signum() * (2.0 * v - 1.0).abs().sqrt())
        .collect();
    assert!(case.truly_none(&flat));
    assert!(matches!(
        fit_truncated_normal(&flat, (0.0, 1.0)),
        Err(EstimationError::NoEstimate { .. })
    ));
    let peaked: Vec<f64> = flat.iter().map(|v| 0.5 + 0.3 * (v - 0.5).powi(3)).collect();
    assert!(!case.truly_none(&peaked));
    assert!(fit_truncated_normal(&peaked, (0.0, 1.0)).is_ok());
}

/// On the edge `a = 1` the Beta likelihood is `b (1 − v)^{b − 1}`, whose
/// maximiser is `b = −1/mean ln(1 − v)` in closed form (the edge's score
/// `ψ(1 + b) − ψ(b) + mean ln(1 − v)` is `1/b + mean ln(1 − v)`). Beta(0.7,
/// b₀) data: the unconstrained fit has `a < 1`, so the fit lands on that
/// edge. The score is evaluated with a rounding of about `1e-16 |ψ(b)|`
/// and its slope is `−1/b²`, so `b` is determined to about
/// `1e-16 |ψ(b)| b` relative (measured: at most 4e-13 at `b ≈ 440`);
/// allowed `1e-14 max(b, 10)`. Before, a root finder that had converged
/// could return its bracket's midpoint instead (errors of 7e-11 to 2e-8
/// in these seeds).
#[test]
fn beta_edge_has_its_closed_form() {
    for b0 in [1.5, 3.0, 60.0, 300.0] {
        for seed in 0..3 {
            let x = cases::Case::Beta(0.7, b0, 0.0, 1.0).draw(5_000, seed);
            let d = fit_beta(&x, (0.0, 1.0)).unwrap();
            assert_eq!(d.a(), 1.0, "b0 {b0} seed {seed}");
            let s2 = x.iter().map(|v| (1.0 - v).ln()).sum::<f64>() / x.len() as f64;
            let b = -1.0 / s2;
            assert!(
                (d.b() / b - 1.0).abs() < 1e-14 * b.max(10.0),
                "b0 {b0} seed {seed}: b {} vs {b}",
                d.b()
            );
        }
    }
}

/// The truncated-normal fit is translation-equivariant: the same sample
/// shifted by `c` (with its support) gives `μ + c` and the same `σ`. Far
/// from zero the shifted samples are rounded to half an ulp of `c`
/// (6e-8 at 1e9), which moves the fit by a few such units; the tolerance
/// is 1e-5 of `σ`. The standardisation must not take the variance as
/// `mean x² − x̄²`, which cancels there.
#[test]
fn truncated_normal_is_translation_equivariant_far_from_zero() {
    let (lo, hi) = (-1.0, 2.0);
    let truth = TruncatedNormal::new(0.3, 0.8, lo, hi).unwrap();
    let x = sample(&truth, 2_000, 9);
    let d0 = fit_truncated_normal(&x, (lo, hi)).unwrap();
    for c in [1e6, 1e8, -3e8, 1e9, -2e9, 5e9] {
        let xc: Vec<f64> = x.iter().map(|v| v + c).collect();
        let d = fit_truncated_normal(&xc, (lo + c, hi + c))
            .unwrap_or_else(|e| panic!("shift {c}: {e}"));
        let tol = 1e-5 * d0.sigma();
        assert!(
            (d.mu() - c - d0.mu()).abs() < tol,
            "shift {c}: mu {} vs {}",
            d.mu() - c,
            d0.mu()
        );
        assert!(
            (d.sigma() - d0.sigma()).abs() < tol,
            "shift {c}: sigma {} vs {}",
            d.sigma(),
            d0.sigma()
        );
    }
}

/// A million samples: the start (method of moments) and the damped Newton
/// ascent must still reach the certificate, and the fit lies within four
/// asymptotic standard errors of the truth (the inverse Fisher information
/// from second differences of `ln B`, as in `beta_recovers_parameters`).
#[test]
fn beta_fits_a_million_samples() {
    let (a, b) = (2.0, 5.0);
    let x = cases::Case::Beta(a, b, -1.5, 1.5).draw(1_000_000, 8);
    let d = fit_beta(&x, (-1.5, 1.5)).unwrap();
    let lb = |a: f64, b: f64| libm::lgamma(a) + libm::lgamma(b) - libm::lgamma(a + b);
    let e = 1e-4;
    let iaa = (lb(a + e, b) - 2.0 * lb(a, b) + lb(a - e, b)) / (e * e);
    let ibb = (lb(a, b + e) - 2.0 * lb(a, b) + lb(a, b - e)) / (e * e);
    let iab =
        (lb(a + e, b + e) - lb(a + e, b - e) - lb(a - e, b + e) + lb(a - e, b - e)) / (4.0 * e * e);
    let det = iaa * ibb - iab * iab;
    let n = x.len() as f64;
    let (se_a, se_b) = ((ibb / det / n).sqrt(), (iaa / det / n).sqrt());
    assert!((d.a() - a).abs() < 4.0 * se_a, "a {} (se {se_a})", d.a());
    assert!((d.b() - b).abs() < 4.0 * se_b, "b {} (se {se_b})", d.b());
}
