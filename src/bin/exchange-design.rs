//! `exchange-design`: the command line of the crate (feature `cli`).
//!
//! ```text
//! cargo install --path . --features cli
//! exchange-design solve examples/specs/uniform.json
//! exchange-design frontier examples/specs/mixture.json
//! exchange-design fees --class 0 examples/specs/uniform.json > fees.csv
//! ```
//!
//! Every subcommand reads a market spec (`docs/spec.md`) from a file, or
//! from stdin when the path is `-`. Bad input exits with status 1 and one
//! line on stderr starting with `error:` that names the offending field.

use exchange_design::benchmarks::{Frontier, FrontierConfig};
use exchange_design::deployment::FeeTable;
use exchange_design::implementation::SidePayments;
use exchange_design::mechanism::OptimalMechanism;
use exchange_design::spec::{json, Spec};
use lexopt::prelude::*;
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

const USAGE: &str = "\
exchange-design: optimal trading mechanisms for a financial exchange

Usage: exchange-design <COMMAND> [OPTIONS] <SPEC>

Commands:
  solve     the optimal mechanism's report as JSON (with the spec's
            fee_queries, assess and bootstrap sections when present)
  frontier  the efficiency-revenue frontier as JSON
  fees      the side-payment fee table as CSV

<SPEC> is a JSON market spec (docs/spec.md; samples in examples/specs/),
or `-` to read it from stdin.

Options:
  -h, --help     this help; `exchange-design <COMMAND> --help` for a command's
  -V, --version  the version
";

const SOLVE_HELP: &str = "\
exchange-design solve: the optimal mechanism's report as JSON

Usage: exchange-design solve <SPEC>

Solves the alpha-optimal mechanism of the spec's market and prints the
report (docs/spec.md): per class the allocation's intervals, the side
payments' constants, the answers to `fee_queries`, and the `assess` and
`bootstrap` sections when the spec asks for them. <SPEC> is a file, or `-`
for stdin.
";

const FRONTIER_HELP: &str = "\
exchange-design frontier: the efficiency-revenue frontier as JSON

Usage: exchange-design frontier <SPEC>

Prints {\"points\": [{\"alpha\", \"efficiency\", \"revenue\"}, ...], \"first_best\",
\"double_auction\", \"double_auction_with_fees\"} for the spec's market. The
frontier spans every alpha; the spec's `alpha` must still be in [0, 1].
<SPEC> is a file, or `-` for stdin.
";

const FEES_HELP: &str = "\
exchange-design fees: the side-payment fee table as CSV

Usage: exchange-design fees [--class K] [--prices N] [--quantities N] <SPEC>

Solves the spec's mechanism and tabulates the side payment S(p, q) a trader
of each class owes besides p*q when it buys q at the clearing price p, on
an automatic grid spanning the equilibrium prices and the class's
equilibrium quantities. Columns: class,price,quantity,side_payment.

Options:
  --class K       only class K (its position in `traders`); default all
  --prices N      prices in the grid (default 21)
  --quantities N  quantities in the grid (default 21)
";

enum Command {
    Solve,
    Frontier,
    Fees {
        class: Option<usize>,
        prices: usize,
        quantities: usize,
    },
}

/// What the command line asks for: a command and its spec, or help text.
enum Request {
    Print(String),
    Run(Command, String),
}

fn parse_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Request, String> {
    let mut parser = lexopt::Parser::from_args(args);
    let err = |e: lexopt::Error| e.to_string();
    let command = match parser.next().map_err(err)? {
        None => return Err("no command: give one of solve, frontier, fees (see --help)".into()),
        Some(Short('h') | Long("help")) => return Ok(Request::Print(USAGE.into())),
        Some(Short('V') | Long("version")) => {
            return Ok(Request::Print(format!(
                "exchange-design {}\n",
                env!("CARGO_PKG_VERSION")
            )));
        }
        Some(Value(v)) => v.string().map_err(err)?,
        Some(other) => return Err(other.unexpected().to_string()),
    };
    let (mut command, help) = match command.as_str() {
        "solve" => (Command::Solve, SOLVE_HELP),
        "frontier" => (Command::Frontier, FRONTIER_HELP),
        "fees" => (
            Command::Fees {
                class: None,
                prices: 21,
                quantities: 21,
            },
            FEES_HELP,
        ),
        other => {
            return Err(format!(
                "unknown command `{other}`: give one of solve, frontier, fees (see --help)"
            ))
        }
    };
    let mut spec = None;
    while let Some(arg) = parser.next().map_err(err)? {
        match (&mut command, arg) {
            (_, Short('h') | Long("help")) => return Ok(Request::Print(help.into())),
            (Command::Fees { class, .. }, Long("class")) => {
                *class = Some(parser.value().map_err(err)?.parse().map_err(err)?);
            }
            (Command::Fees { prices, .. }, Long("prices")) => {
                *prices = parser.value().map_err(err)?.parse().map_err(err)?;
            }
            (Command::Fees { quantities, .. }, Long("quantities")) => {
                *quantities = parser.value().map_err(err)?.parse().map_err(err)?;
            }
            (_, Value(v)) if spec.is_none() => spec = Some(v.string().map_err(err)?),
            (_, other) => {
                return Err(format!(
                    "{command_name}: {}",
                    other.unexpected(),
                    command_name = command_name(&command)
                ))
            }
        }
    }
    let spec = spec.ok_or_else(|| {
        format!(
            "{}: missing argument: give a spec file path, or `-` to read stdin",
            command_name(&command)
        )
    })?;
    Ok(Request::Run(command, spec))
}

fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Solve => "solve",
        Command::Frontier => "frontier",
        Command::Fees { .. } => "fees",
    }
}

fn read_input(path: &str) -> Result<String, String> {
    if path == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("stdin: {e}"))?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
    }
}

fn read_spec(path: &str) -> Result<Spec, String> {
    json::parse_spec(&read_input(path)?).map_err(|e| e.to_string())
}

fn run(command: Command, path: &str) -> Result<(), String> {
    let text = |e: &dyn std::fmt::Display| e.to_string();
    match command {
        Command::Solve => {
            let spec = read_spec(path)?;
            let report = spec.run().map_err(|e| text(&e))?;
            // The input is freed before the report is written: for a
            // million traders that halves the peak memory.
            drop(spec);
            json::write_pretty(std::io::stdout().lock(), &report).map_err(|e| text(&e))
        }
        Command::Frontier => {
            let spec = read_spec(path)?;
            // The frontier spans every alpha, but a typo in it is still an
            // error rather than silently ignored.
            spec.validate_alpha().map_err(|e| text(&e))?;
            let market = spec.market().map_err(|e| text(&e))?;
            let tty = std::io::stderr().is_terminal();
            let frontier =
                Frontier::compute_with_progress(&market, &FrontierConfig::default(), &|n| {
                    if tty {
                        eprint!("\rfrontier: {n} points solved");
                    }
                })
                .map_err(|e| text(&e))?;
            if tty {
                eprintln!();
            }
            let out = json::frontier_to_string(&frontier).map_err(|e| text(&e))?;
            println!("{out}");
            Ok(())
        }
        Command::Fees {
            class,
            prices,
            quantities,
        } => {
            let spec = read_spec(path)?;
            spec.validate_alpha().map_err(|e| text(&e))?;
            let market = spec.market().map_err(|e| text(&e))?;
            let classes: Vec<usize> = match class {
                Some(k) if k >= market.classes().len() => {
                    return Err(format!(
                        "--class {k}: the spec has {} trader classes (0 to {})",
                        market.classes().len(),
                        market.classes().len() - 1
                    ))
                }
                Some(k) => vec![k],
                None => (0..market.classes().len()).collect(),
            };
            let mech = OptimalMechanism::solve(&market, spec.alpha).map_err(|e| text(&e))?;
            let rules = SidePayments::new(&mech).map_err(|e| text(&e))?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for (i, &k) in classes.iter().enumerate() {
                let table =
                    FeeTable::automatic(&rules, k, prices, quantities).map_err(|e| text(&e))?;
                let csv = table.to_csv();
                // The comment and header lines once, then every class's rows.
                let body = if i == 0 {
                    csv.as_str()
                } else {
                    // A table without rows has nothing after its two header lines.
                    csv.splitn(3, '\n').nth(2).unwrap_or("")
                };
                out.write_all(body.as_bytes()).map_err(|e| text(&e))?;
            }
            out.flush().map_err(|e| text(&e))
        }
    }
}

fn main() -> ExitCode {
    let result = parse_args(std::env::args_os().skip(1)).and_then(|request| match request {
        Request::Print(help) => {
            print!("{help}");
            Ok(())
        }
        Request::Run(command, path) => run(command, &path),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            // One line, whatever the message contains.
            eprintln!("error: {}", msg.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
