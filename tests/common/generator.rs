//! A seeded generator of heterogeneous markets: every trader is its own
//! class, with a truncated-normal endowment of random mean, spread and
//! support and a random risk capacity (the market of `docs/performance.md`).
//!
//! Shared by the tests (`tests/common`), `examples/tools/generate_market.rs` and
//! the criterion benches
//! (which include it with `#[path]`).

#![allow(dead_code)] // Each includer uses part of it.

use exchange_design::spec::{DistributionSpec, Spec, TraderSpec};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// How the supports are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Supports {
    /// Every support contains 0: `lo ∈ [−1.5, −0.5]`, `hi ∈ [0.5, 1.5]`,
    /// the mean `μ ∈ [−0.3, 0.3]`.
    Centred,
    /// Offset supports whose means are not proportional to κ, so the
    /// first best runs a deficit and the budget binds at small α (the
    /// budget-binding market of `tests/implementation.rs`, trader by
    /// trader): in groups of four, two traders with κ ≈ 1 on `[−1, 1]`,
    /// one with κ ≈ 0.6 on `[0, 2]`, one with κ ≈ 2 on `[−0.5, 1.5]`, each
    /// jittered by up to ±0.05.
    Offset,
}

/// `n` single-trader classes drawn from `seed`: κ ∈ [0.5, 2],
/// σ ∈ [0.3, 0.8], supports and means as `supports` says.
pub fn heterogeneous_spec(n: usize, seed: u64, alpha: f64, supports: Supports) -> Spec {
    let mut rng = StdRng::seed_from_u64(seed);
    if supports == Supports::Offset {
        return offset_spec(n, &mut rng, alpha);
    }
    let traders = (0..n)
        .map(|_| {
            let kappa = rng.random_range(0.5..2.0);
            let mu = rng.random_range(-0.3..0.3);
            let sigma = rng.random_range(0.3..0.8);
            let lo = rng.random_range(-1.5..-0.5);
            let hi = rng.random_range(0.5..1.5);
            TraderSpec {
                kappa,
                count: 1,
                distribution: DistributionSpec::TruncatedNormal { mu, sigma, lo, hi },
            }
        })
        .collect();
    Spec {
        alpha,
        traders,
        fee_queries: None,
        assess: None,
        bootstrap: None,
    }
}

fn offset_spec(n: usize, rng: &mut StdRng, alpha: f64) -> Spec {
    let traders = (0..n)
        .map(|i| {
            let j = rng.random_range(-0.05..0.05);
            // (κ, μ, σ, lo, hi) of the four kinds.
            let (kappa, mu, sigma, lo, hi) = match i % 4 {
                0 | 1 => (1.0, 0.0, 0.6, -1.0, 1.0),
                2 => (0.6, 1.0, 0.6, 0.0, 2.0),
                _ => (2.0, 0.5, 0.4, -0.5, 1.5),
            };
            TraderSpec {
                kappa: kappa + j,
                count: 1,
                distribution: DistributionSpec::TruncatedNormal {
                    mu: mu + j,
                    sigma,
                    lo: lo + j,
                    hi,
                },
            }
        })
        .collect();
    Spec {
        alpha,
        traders,
        fee_queries: None,
        assess: None,
        bootstrap: None,
    }
}
