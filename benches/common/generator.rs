//! A seeded generator of heterogeneous markets: every trader is its own
//! class, with a truncated-normal endowment of random mean, spread and
//! support and a random risk capacity (the market of `docs/performance.md`).
//!
//! Shared by `examples/generate_market.rs` and the criterion benches
//! (included with `#[path]`, so it is not a bench target of its own).

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
    /// Every other trader's support and mean are shifted by `+1`, so the
    /// means are not proportional to κ and the first best runs a deficit:
    /// the budget binds at small α.
    Offset,
}

/// `n` single-trader classes drawn from `seed`: κ ∈ [0.5, 2],
/// σ ∈ [0.3, 0.8], supports and means as `supports` says.
pub fn heterogeneous_spec(n: usize, seed: u64, alpha: f64, supports: Supports) -> Spec {
    let mut rng = StdRng::seed_from_u64(seed);
    let traders = (0..n)
        .map(|i| {
            let kappa = rng.random_range(0.5..2.0);
            let mu = rng.random_range(-0.3..0.3);
            let sigma = rng.random_range(0.3..0.8);
            let lo = rng.random_range(-1.5..-0.5);
            let hi = rng.random_range(0.5..1.5);
            let shift = match supports {
                Supports::Offset if i % 2 == 1 => 1.0,
                _ => 0.0,
            };
            TraderSpec {
                kappa,
                count: 1,
                distribution: DistributionSpec::TruncatedNormal {
                    mu: mu + shift,
                    sigma,
                    lo: lo + shift,
                    hi: hi + shift,
                },
            }
        })
        .collect();
    Spec {
        alpha,
        traders,
        fee_queries: None,
    }
}
