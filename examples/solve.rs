//! JSON front end: reads a market spec, prints the optimal mechanism's report.
//!
//! ```text
//! cargo run --release --example solve -- examples/specs/uniform.json   # or `-` for stdin
//! ```
//!
//! The same as `exchange-design solve` (the command line, feature `cli`).
//! The spec and report formats are those of `exchange_design::spec`,
//! written down field by field in `docs/spec.md`; samples, one per
//! distribution family, are in `examples/specs/`. Bad input exits non-zero
//! with one line on stderr starting with `error:` and naming the offending
//! field.

use exchange_design::spec::json;
use std::io::Read;
use std::process::ExitCode;

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

/// Reads, solves and writes the report to stdout as it is serialised: the
/// input text is freed once parsed, which for a million traders saves
/// about 0.5 GB of peak memory.
fn run() -> Result<(), String> {
    let spec = {
        let text = read_input(std::env::args().nth(1))?;
        json::parse_spec(&text).map_err(|e| e.to_string())?
    };
    let report = spec.run().map_err(|e| e.to_string())?;
    drop(spec);
    json::write_pretty(std::io::stdout().lock(), &report).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            // One line, whatever the message contains.
            eprintln!("error: {}", msg.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
