//! Solves one market of the `ironing` bench (100 classes at α = 1, as the
//! bench does) `REPS` times; with `query`, a market of 10 classes instead,
//! each solve followed by the side payments, every class's expected
//! revenue and gain per trader and Lemma 1's check (the queries a designer
//! makes after a solve, which integrate `V`). For instruction counts,
//! which a shared machine's timings cannot give (`docs/performance.md`):
//!
//! ```text
//! cargo build --release --example bench_market
//! valgrind --tool=callgrind target/release/examples/bench_market mixture_cluster 4
//! valgrind --tool=callgrind target/release/examples/bench_market mixture_cluster 1
//! ```
//!
//! One solve is the difference of the two counts over 3 (the program's
//! start and the first solve's one-time work cancel).

#[path = "../../tests/common/ironing_markets.rs"]
mod ironing_markets;

use exchange_design::implementation::SidePayments;
use exchange_design::mechanism::{check_feasibility, DirectMechanism, OptimalMechanism};
use ironing_markets::{market, KINDS};
use std::process::ExitCode;

fn run() -> Result<f64, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || format!("usage: bench_market KIND REPS [query]; KIND one of {KINDS:?}");
    let (Some(kind), Some(reps)) = (args.first(), args.get(1)) else {
        return Err(usage());
    };
    if !KINDS.contains(&kind.as_str()) {
        return Err(usage());
    }
    let reps: usize = reps.parse().map_err(|_| usage())?;
    let query = match args.get(2).map(String::as_str) {
        None => false,
        Some("query") => true,
        Some(_) => return Err(usage()),
    };
    // A sum of the results, printed so that no solve is optimised away.
    let mut total = 0.0;
    for _ in 0..reps {
        if query {
            let m = OptimalMechanism::solve(&market(10, kind), 1.0).map_err(|e| e.to_string())?;
            let rules = SidePayments::new(&m).map_err(|e| e.to_string())?;
            for c in 0..10 {
                total += rules.class(c).expected_revenue_per_trader();
                total += rules.class(c).expected_gain_per_trader();
            }
            check_feasibility(&m).map_err(|e| e.to_string())?;
        } else {
            let m = OptimalMechanism::solve(&market(100, kind), 1.0).map_err(|e| e.to_string())?;
            total += m.revenue();
        }
    }
    Ok(total)
}

fn main() -> ExitCode {
    match run() {
        Ok(total) => {
            println!("{total}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
