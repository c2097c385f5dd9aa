//! JSON front end for the efficiency–revenue frontier: reads the market
//! spec of the `solve` example (its `alpha` and `fee_queries` are ignored)
//! and prints the α-optimal points with the reference mechanisms.
//!
//! ```text
//! cargo run --release --example frontier -- SPEC.json     # or `-` for stdin
//! ```
//!
//! Output: `{"points": [{"alpha", "efficiency", "revenue"}, ...],
//! "first_best": {"efficiency", "revenue"}, "double_auction": {...} | null,
//! "double_auction_with_fees": {...} | null}`. Bad input exits non-zero
//! with one line on stderr starting with `error:` and naming the offending
//! field, as `solve` does. While it runs, a spinner shows on stderr when
//! stderr is a terminal.

use exchange_design::benchmarks::{Frontier, FrontierConfig};
use exchange_design::spec::Spec;
use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::time::Duration;

fn read_input(arg: Option<String>) -> Result<String, String> {
    match arg.as_deref() {
        None => Err("missing argument: give a spec file path, or `-` to read stdin".into()),
        Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| format!("stdin: {e}"))?;
            Ok(s)
        }
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}")),
    }
}

/// Parses a spec, computes its frontier and returns it as JSON, or a
/// one-line message naming the offending field.
pub fn run_text(text: &str) -> Result<String, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let spec: Spec = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            format!("spec: {inner}")
        } else {
            format!("{path}: {inner}")
        }
    })?;
    de.end().map_err(|e| format!("spec: {e}"))?;
    let market = spec.market().map_err(|e| e.to_string())?;
    let spinner = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(format!(
            "frontier of {} traders in {} classes",
            market.n_traders(),
            market.classes().len()
        ));
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    });
    let frontier = Frontier::compute(&market, &FrontierConfig::default());
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    let frontier = frontier.map_err(|e| e.to_string())?;
    let out = serde_json::json!({
        "points": frontier.points(),
        "first_best": frontier.first_best(),
        "double_auction": frontier.double_auction(),
        "double_auction_with_fees": frontier.double_auction_with_fees(),
    });
    serde_json::to_string_pretty(&out).map_err(|e| format!("report: {e}"))
}

fn run() -> Result<String, String> {
    let text = read_input(std::env::args().nth(1))?;
    run_text(&text)
}

#[allow(dead_code)] // `main` is unused when tests include this file.
fn main() -> ExitCode {
    match run() {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("error: {}", msg.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
