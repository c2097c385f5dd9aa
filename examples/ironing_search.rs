//! A seeded random search for tabulated densities that the ironing cannot
//! handle: each shape (5–14 nodes, about 40 % of them deep dips) sits
//! beside a uniform class and is solved at α = 0.2, 0.6 and 1; every
//! solution is checked against Lemma 1 (`check_feasibility`).
//!
//! ```text
//! cargo run --release --example ironing_search -- SHAPES [SEED]
//! ```
//!
//! Prints each failure (the shape, α and the error) and a summary; exits
//! with status 1 if any solve failed. `3000 12345` is the search that found
//! the densities of `tests/ironing.rs`'s
//! `a_block_holding_two_dips_is_split_and_agrees_with_the_oracle`.

use exchange_design::distribution::{PiecewiseLinear, Uniform};
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::{check_feasibility, OptimalMechanism};
use std::process::ExitCode;

/// A small linear congruential generator, so that a seed gives the same
/// shapes on every machine.
struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let parsed = (
        args.next().map(|s| s.parse::<usize>()),
        args.next().map_or(Ok(12345), |s| s.parse::<u64>()),
    );
    let (shapes, seed) = match parsed {
        (Some(Ok(n)), Ok(seed)) => (n, seed),
        _ => {
            eprintln!("usage: ironing_search SHAPES [SEED]");
            return ExitCode::FAILURE;
        }
    };
    let mut rng = Lcg(seed);
    let (mut solves, mut failures) = (0, 0);
    for shape in 0..shapes {
        let nodes = 5 + (rng.uniform() * 10.0) as usize;
        let mut z = vec![0.0f64];
        for _ in 1..nodes {
            let last = z[z.len() - 1];
            z.push(last + 0.01 + 0.3 * rng.uniform());
        }
        let f: Vec<f64> = (0..nodes)
            .map(|_| {
                if rng.uniform() < 0.4 {
                    0.003 + 0.05 * rng.uniform()
                } else {
                    0.3 + 2.0 * rng.uniform()
                }
            })
            .collect();
        let Ok(d) = PiecewiseLinear::new(z.clone(), f.clone()) else {
            continue;
        };
        let market = Market::new(vec![
            TraderClass::new(1.0, d, 2),
            TraderClass::new(1.0, Uniform::new(-0.5, 1.5).expect("valid"), 1),
        ])
        .expect("valid classes");
        for alpha in [0.2, 0.6, 1.0] {
            solves += 1;
            let outcome = OptimalMechanism::solve(&market, alpha)
                .map_err(|e| e.to_string())
                .and_then(|m| check_feasibility(&m).map_err(|e| e.to_string()));
            if let Err(e) = outcome {
                failures += 1;
                println!("shape {shape}, alpha {alpha}: {e}\n  z {z:?}\n  f {f:?}");
            }
        }
    }
    println!("{solves} solves, {failures} failed (seed {seed})");
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
