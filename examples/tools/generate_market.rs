//! Writes a seeded heterogeneous market spec (JSON, the input of the
//! `solve` and `frontier` examples) to stdout.
//!
//! ```text
//! cargo run --release --example generate_market -- N [SEED] [ALPHA] [--offset] > market.json
//! ```
//!
//! Every trader is its own class: a truncated-normal endowment with random
//! mean, spread and support and a random risk capacity (see
//! `tests/common/generator.rs`). With `--offset` the
//! supports are offset (means not proportional to κ), so the budget binds
//! at small `ALPHA`.

#[path = "../../tests/common/generator.rs"]
mod generator;

use generator::{heterogeneous_spec, Supports};
use std::process::ExitCode;

fn run() -> Result<String, String> {
    let mut positional = Vec::new();
    let mut supports = Supports::Centred;
    for arg in std::env::args().skip(1) {
        if arg == "--offset" {
            supports = Supports::Offset;
        } else {
            positional.push(arg);
        }
    }
    let n: usize = positional
        .first()
        .ok_or("missing argument N: the number of traders")?
        .parse()
        .map_err(|e| format!("N: {e}"))?;
    let seed: u64 = match positional.get(1) {
        Some(s) => s.parse().map_err(|e| format!("SEED: {e}"))?,
        None => 1,
    };
    let alpha: f64 = match positional.get(2) {
        Some(s) => s.parse().map_err(|e| format!("ALPHA: {e}"))?,
        None => 0.5,
    };
    let spec = heterogeneous_spec(n, seed, alpha, supports);
    serde_json::to_string(&spec).map_err(|e| format!("spec: {e}"))
}

fn main() -> ExitCode {
    match run() {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}
