//! Times each stage of what the `solve` example does with a market spec:
//! reading, parsing, building the market, the solve, the first best, the
//! side payments, the double auction, assembling the report, writing it
//! (to a file, as a user would) and freeing everything.
//!
//! ```text
//! cargo run --release --example generate_market -- 1000000 1 > m.json
//! cargo run --release --example stages -- m.json report.json
//! ```
//!
//! One line on stderr with the seconds of each stage; the report written
//! is the `solve` example's without side payments or fee queries (their
//! time is the `side_payments` stage).

use exchange_design::benchmarks::PlainDoubleAuction;
use exchange_design::implementation::SidePayments;
use exchange_design::mechanism::OptimalMechanism;
use exchange_design::spec::{Report, Spec};
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

fn run() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let input = args.next().ok_or("missing argument: the spec file")?;
    let output = args.next().ok_or("missing argument: the report file")?;
    let mut times: Vec<(&str, f64)> = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, times: &mut Vec<(&str, f64)>| {
        times.push((name, clock.elapsed().as_secs_f64()));
        clock = Instant::now();
    };
    let text = std::fs::read_to_string(&input).map_err(|e| format!("{input}: {e}"))?;
    lap("read", &mut times);
    let spec: Spec = serde_json::from_str(&text).map_err(|e| format!("{input}: {e}"))?;
    drop(text);
    lap("parse", &mut times);
    let market = spec.market().map_err(|e| e.to_string())?;
    lap("market", &mut times);
    let mech = OptimalMechanism::solve(&market, spec.alpha).map_err(|e| e.to_string())?;
    lap("solve", &mut times);
    let fb = mech.first_best().map_err(|e| e.to_string())?;
    lap("first_best", &mut times);
    let side = SidePayments::new(&mech).map_err(|e| e.to_string())?;
    lap("side_payments", &mut times);
    let da = PlainDoubleAuction::new(&market).ok();
    lap("double_auction", &mut times);
    let report = Report::new(&mech, &fb, da.as_ref(), 0.0);
    lap("report", &mut times);
    let file = std::fs::File::create(&output).map_err(|e| format!("{output}: {e}"))?;
    let mut out = BufWriter::new(file);
    serde_json::to_writer_pretty(&mut out, &report).map_err(|e| format!("{output}: {e}"))?;
    out.flush().map_err(|e| format!("{output}: {e}"))?;
    drop(out);
    lap("write", &mut times);
    drop((report, side, fb, da, mech, market, spec));
    lap("free", &mut times);
    Ok(times
        .iter()
        .map(|(name, t)| format!("{name} {t:.3} s"))
        .collect::<Vec<_>>()
        .join(", "))
}

fn main() -> ExitCode {
    match run() {
        Ok(line) => {
            eprintln!("{line}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}
