//! JSON front end for the efficiency–revenue frontier: reads the market
//! spec of the `solve` example (its `fee_queries` are ignored, and its
//! `alpha` too, though it must still be in [0, 1]) and prints the α-optimal
//! points with the reference mechanisms. The same as `exchange-design
//! frontier` (the command line, feature `cli`).
//!
//! ```text
//! cargo run --release --example frontier -- examples/specs/mixture.json   # or `-` for stdin
//! ```
//!
//! Output: `{"points": [{"alpha", "efficiency", "revenue"}, ...],
//! "first_best": {"efficiency", "revenue"}, "double_auction": {...} | null,
//! "double_auction_with_fees": {...} | null}`. Bad input exits non-zero
//! with one line on stderr starting with `error:` and naming the offending
//! field, as `solve` does. While it runs, a spinner on stderr (when it is a
//! terminal) counts the points solved.

use exchange_design::benchmarks::{Frontier, FrontierConfig};
use exchange_design::spec::json;
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
fn run_text(text: &str) -> Result<String, String> {
    let spec = json::parse_spec(text).map_err(|e| e.to_string())?;
    // The frontier spans every α, but a spec's α outside [0, 1] is still
    // an error rather than silently ignored.
    spec.validate_alpha().map_err(|e| e.to_string())?;
    let market = spec.market().map_err(|e| e.to_string())?;
    let spinner = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg}: {pos} points solved ({elapsed})",
            )
            .expect("a valid template"),
        );
        bar.set_message(format!(
            "frontier of {} traders in {} classes",
            market.n_traders(),
            market.classes().len()
        ));
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    });
    let frontier =
        Frontier::compute_with_progress(&market, &FrontierConfig::default(), &|solved| {
            if let Some(bar) = &spinner {
                bar.set_position(solved as u64);
            }
        });
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    let frontier = frontier.map_err(|e| e.to_string())?;
    json::frontier_to_string(&frontier).map_err(|e| e.to_string())
}

fn run() -> Result<String, String> {
    let text = read_input(std::env::args().nth(1))?;
    run_text(&text)
}

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
