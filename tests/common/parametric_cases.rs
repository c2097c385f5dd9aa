//! The parametric-fit cases of issue 20 and their samplers, shared by
//! `tests/estimation_parametric.rs` (a few hundred seeds) and
//! `examples/tools/estimation_sweep.rs` (the full sweep). Included with
//! `#[path]`, not a test of its own.
//!
//! A truncated-normal sample can truly have no maximum likelihood
//! estimate: the densities `∝ exp(η₁x + η₂x²)` on a bounded support form
//! an exponential family for every real `(η₁, η₂)`, whose log-likelihood
//! is concave; the normals are the half-plane `η₂ < 0`. When the maximum
//! over the closed half-plane lies on `η₂ = 0` (a truncated exponential)
//! none of the normals attains it. By concavity (KKT) that is so exactly
//! when, at the truncated exponential with the sample's mean, the sample's
//! second moment is at least the model's. [`Case::truly_none`] checks that
//! condition independently of the crate (bisection and Simpson's rule).

#![allow(dead_code)]

use exchange_design::distribution::{EndowmentDistribution, TruncatedNormal};
use exchange_design::estimation::{fit_beta, fit_truncated_normal, EstimationError};
use rand::{rngs::StdRng, RngExt, SeedableRng};

/// A standard normal draw (Box–Muller, one of the pair).
fn normal(rng: &mut StdRng) -> f64 {
    let (u, v): (f64, f64) = (rng.random(), rng.random());
    (-2.0 * (1.0 - u).ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// A Gamma(shape, 1) draw: Marsaglia and Tsang (2000), with the
/// `U^{1/shape}` boost for shapes below 1.
fn gamma(rng: &mut StdRng, shape: f64) -> f64 {
    if shape < 1.0 {
        let u: f64 = rng.random();
        return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let z = normal(rng);
        let v = (1.0 + c * z).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = rng.random();
        if u.ln() < 0.5 * z * z + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

#[derive(Clone, Copy)]
pub enum Case {
    Beta(f64, f64, f64, f64),
    Normal(f64, f64, f64, f64),
}

impl Case {
    pub fn name(self) -> String {
        match self {
            Case::Beta(a, b, lo, hi) => format!("Beta({a}, {b}) on [{lo}, {hi}]"),
            Case::Normal(m, s, lo, hi) => format!("TN({m}, {s}) on [{lo}, {hi}]"),
        }
    }

    pub fn draw(self, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        match self {
            Case::Beta(a, b, lo, hi) => (0..n)
                .map(|_| loop {
                    let (x, y) = (gamma(&mut rng, a), gamma(&mut rng, b));
                    let v = lo + (hi - lo) * (x / (x + y));
                    // The fit needs samples strictly inside (a draw can round
                    // onto an end).
                    if v > lo && v < hi {
                        break v;
                    }
                })
                .collect(),
            Case::Normal(m, s, lo, hi) => {
                let d = TruncatedNormal::new(m, s, lo, hi).expect("valid case");
                (0..n).map(|_| d.quantile(rng.random::<f64>())).collect()
            }
        }
    }

    /// Whether `x` truly has no truncated-normal MLE (module docs).
    pub fn truly_none(self, x: &[f64]) -> bool {
        let Case::Normal(.., lo, hi) = self else {
            return false;
        };
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let second = x.iter().map(|v| v * v).sum::<f64>() / n;
        // Moments of the density ∝ exp(λ(x − top)) on [lo, hi], with top
        // the end where the exponent is largest (no overflow).
        let moments = |lambda: f64| {
            let top = if lambda > 0.0 { hi } else { lo };
            let m = 20_000;
            let h = (hi - lo) / m as f64;
            let (mut z, mut e1, mut e2) = (0.0, 0.0, 0.0);
            for i in 0..=m {
                let v = lo + i as f64 * h;
                let w = if i == 0 || i == m {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                let f = w * (lambda * (v - top)).exp();
                z += f;
                e1 += f * v;
                e2 += f * v * v;
            }
            (e1 / z, e2 / z)
        };
        // The mean increases with λ: bisect for the sample mean.
        let (mut a, mut b) = (-1e4, 1e4);
        for _ in 0..200 {
            let c = 0.5 * (a + b);
            if moments(c).0 < mean {
                a = c;
            } else {
                b = c;
            }
        }
        second >= moments(0.5 * (a + b)).1
    }

    pub fn fit(self, x: &[f64]) -> Result<(), EstimationError> {
        match self {
            Case::Beta(.., lo, hi) => fit_beta(x, (lo, hi)).map(drop),
            Case::Normal(.., lo, hi) => fit_truncated_normal(x, (lo, hi)).map(drop),
        }
    }

    /// The fit of `x`, classified.
    pub fn outcome(self, x: &[f64]) -> Outcome {
        match self.fit(x) {
            Ok(()) => Outcome::Fitted,
            Err(EstimationError::NoEstimate { reason, .. }) if self.truly_none(x) => {
                Outcome::NoMle(reason)
            }
            Err(EstimationError::NoEstimate { reason, .. })
                if reason.contains("cannot represent") =>
            {
                Outcome::Unrepresentable
            }
            Err(e) => Outcome::Failure(e.to_string()),
        }
    }
}

/// How a fit ended.
#[derive(Debug)]
pub enum Outcome {
    /// A distribution was returned.
    Fitted,
    /// `NoEstimate`, and the independent check confirms that no MLE exists.
    NoMle(&'static str),
    /// `NoEstimate` because the MLE, which exists, has its mean so far
    /// outside the support that `TruncatedNormal` cannot be built (the
    /// crate's word, not checked independently).
    Unrepresentable,
    /// Anything else: a false failure.
    Failure(String),
}

/// The cases of issue 20 (shape below 1 for the second Beta: its fit lands
/// on the edge a = 1; the last normal is far in its tail, α = 3).
pub const CASES: [Case; 5] = [
    Case::Beta(2.0, 5.0, -1.5, 1.5),
    Case::Beta(0.8, 3.0, 2.0, 5.0),
    Case::Normal(0.1, 0.5, -1.5, 1.5),
    Case::Normal(0.3, 0.8, -1.0, 2.0),
    Case::Normal(0.0, 1.0, 3.0, 6.0),
];
