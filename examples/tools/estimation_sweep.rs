//! The parametric fits over many seeds: how often `fit_beta` and
//! `fit_truncated_normal` fail on samples drawn from inside their own
//! families (every failure there is a false one). The figures of
//! `docs/estimation.md`.
//!
//! ```text
//! cargo run --release --example estimation_sweep [-- SEEDS [N ...]]
//! # default: 3000 seeds, n = 100 1000 10000 100000
//! ```
//!
//! Cases (as in issue 20): Beta(2, 5) on [−1.5, 1.5]; Beta(0.8, 3) on
//! [2, 5] (shape below 1: the fit lands on the edge a = 1); TN(0.1, 0.5)
//! on [−1.5, 1.5]; TN(0.3, 0.8) on [−1, 2]; TN(0, 1) on [3, 6] (far in
//! its tail). Seed `s` of case `c` at size `n` draws from
//! `StdRng::seed_from_u64(s)`.
//!
//! A truncated-normal sample can truly have no maximum likelihood estimate
//! (the best fit is the family's limit, a truncated exponential): each
//! `NoEstimate` is checked against that condition, computed independently
//! of the crate in `tests/common/parametric_cases.rs`. A second column
//! counts the fits whose maximum likelihood normal exists but has its mean
//! so far beyond the support that `TruncatedNormal` cannot be built (the
//! crate's own diagnosis). Every other error counts as a false failure.

#[path = "../../tests/common/parametric_cases.rs"]
mod cases;

use cases::{Outcome, CASES};
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parse = |s: &String| s.parse::<u64>().ok();
    let seeds = args.first().map_or(Some(3000), parse);
    let sizes: Option<Vec<u64>> = if args.len() > 1 {
        args[1..].iter().map(parse).collect()
    } else {
        Some(vec![100, 1_000, 10_000, 100_000])
    };
    let (Some(seeds), Some(sizes)) = (seeds, sizes) else {
        eprintln!("usage: estimation_sweep [SEEDS [N ...]] (positive integers)");
        return ExitCode::FAILURE;
    };
    let started = Instant::now();
    let mut total_failures = 0;
    println!(
        "| case | n | seeds | fitted | no MLE (verified) | MLE not representable | false failures | first false failure |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for case in CASES {
        for &n in &sizes {
            let (mut fitted, mut none, mut unrepresentable, mut failures) = (0, 0, 0, 0);
            let mut first = String::from("-");
            for seed in 0..seeds {
                match case.outcome(&case.draw(n as usize, seed)) {
                    Outcome::Fitted => fitted += 1,
                    Outcome::NoMle(_) => none += 1,
                    Outcome::Unrepresentable => unrepresentable += 1,
                    Outcome::Failure(e) => {
                        if failures == 0 {
                            first = format!("seed {seed}: {e}");
                        }
                        failures += 1;
                    }
                }
            }
            total_failures += failures;
            println!(
                "| {} | {n} | {seeds} | {fitted} | {none} | {unrepresentable} | {failures} | {first} |",
                case.name()
            );
        }
    }
    println!(
        "\n{total_failures} false failures; {:.0} s",
        started.elapsed().as_secs_f64()
    );
    if total_failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
