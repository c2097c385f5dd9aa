//! `exchange-design`: the command line of the crate (feature `cli`).
//!
//! ```text
//! cargo install --path . --features cli
//! exchange-design solve examples/specs/uniform.json
//! exchange-design frontier examples/specs/mixture.json
//! exchange-design fees --class 0 examples/specs/uniform.json > fees.csv
//! exchange-design deploy --replicates 200 --out deploy examples/specs/deploy.json
//! ```
//!
//! Every subcommand reads a market spec (`docs/spec.md`) from a file, or
//! from stdin when the path is `-`. Bad input exits with status 1 and one
//! line on stderr starting with `error:` that names the offending field.

use exchange_design::benchmarks::{Frontier, FrontierConfig};
use exchange_design::deployment::{Design, FeeTable};
use exchange_design::distribution::EndowmentDistribution;
use exchange_design::implementation::SidePayments;
use exchange_design::mechanism::OptimalMechanism;
use exchange_design::spec::{json, BootstrapSpec, DistributionSpec, Report, Spec};
use lexopt::prelude::*;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

const USAGE: &str = "\
exchange-design: optimal trading mechanisms for a financial exchange

Usage: exchange-design <COMMAND> [OPTIONS] <SPEC>

Commands:
  solve     the optimal mechanism's report as JSON (with the spec's
            fee_queries, assess and bootstrap sections when present)
  frontier  the efficiency-revenue frontier as JSON
  fees      the side-payment fee table as CSV
  deploy    before deploying a design estimated from samples: bootstrap
            bands, robust fees, the design under a true market, fee tables

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

const DEPLOY_HELP: &str = "\
exchange-design deploy: judge a design estimated from samples before deploying it

Usage: exchange-design deploy [OPTIONS] <SPEC>

Every class of the spec is given by its observed endowments (family
\"estimate\"). The command designs the alpha-optimal mechanism from them,
bootstraps it (each replicate resamples every class, re-estimates with the
same method and re-solves at the same alpha), computes robust fees (each
class's fee lowered by the least amount that keeps every type in under
every replicate's market), and, when the spec has an `assess` section,
judges the design under that true market with the designed and the robust
fees. It prints a table (or the JSON report with --json); with --out it
also writes the report and each class's fee table there. The spec's
`bootstrap` section gives the defaults of the options below; a progress
count goes to stderr when it is a terminal.

Options:
  --replicates B     bootstrap replicates (default: the spec's, else 1000)
  --seed S           seed of the resampling (default: the spec's, else 0)
  --percentiles L    comma-separated levels in [0, 100] (default: the
                     spec's, else 5,50,95)
  --no-robust-fees   skip the robust fees (default: computed)
  --json             print the JSON report (docs/spec.md) instead of the table
  --out DIR          write DIR/report.json and DIR/fees_class_K.csv (one
                     fee table per class, as `fees` prints them)
  --prices N         prices in each fee table's grid (default 21)
  --quantities N     quantities in each fee table's grid (default 21)
";

/// What `deploy` was asked for besides the spec.
#[derive(Default)]
struct DeployOptions {
    replicates: Option<usize>,
    seed: Option<u64>,
    percentiles: Option<Vec<f64>>,
    no_robust_fees: bool,
    json: bool,
    out: Option<PathBuf>,
    prices: Option<usize>,
    quantities: Option<usize>,
}

enum Command {
    Solve,
    Frontier,
    Fees {
        class: Option<usize>,
        prices: usize,
        quantities: usize,
    },
    Deploy(DeployOptions),
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
        None => {
            return Err(
                "no command: give one of solve, frontier, fees, deploy (see --help)".into(),
            );
        }
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
        "deploy" => (Command::Deploy(DeployOptions::default()), DEPLOY_HELP),
        other => {
            return Err(format!(
                "unknown command `{other}`: give one of solve, frontier, fees, deploy (see --help)"
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
            (Command::Deploy(o), Long(flag @ ("replicates" | "prices" | "quantities"))) => {
                let flag = flag.to_string();
                let n: usize = parser
                    .value()
                    .map_err(err)?
                    .parse()
                    .map_err(|e| format!("deploy: --{flag}: {e}"))?;
                if n == 0 {
                    return Err(format!("deploy: --{flag} 0: give at least 1"));
                }
                *match flag.as_str() {
                    "replicates" => &mut o.replicates,
                    "prices" => &mut o.prices,
                    _ => &mut o.quantities,
                } = Some(n);
            }
            (Command::Deploy(o), Long("seed")) => {
                o.seed = Some(
                    parser
                        .value()
                        .map_err(err)?
                        .parse()
                        .map_err(|e| format!("deploy: --seed: {e}"))?,
                );
            }
            (Command::Deploy(o), Long("percentiles")) => {
                let list = parser.value().map_err(err)?.string().map_err(err)?;
                o.percentiles = Some(parse_percentiles(&list)?);
            }
            (Command::Deploy(o), Long("no-robust-fees")) => o.no_robust_fees = true,
            (Command::Deploy(o), Long("json")) => o.json = true,
            (Command::Deploy(o), Long("out")) => {
                o.out = Some(parser.value().map_err(err)?.into());
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
        Command::Deploy(_) => "deploy",
    }
}

/// `--percentiles 5,50,95`: levels in `[0, 100]`.
fn parse_percentiles(list: &str) -> Result<Vec<f64>, String> {
    list.split(',')
        .map(|p| {
            let p = p.trim();
            match p.parse::<f64>() {
                Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
                _ => Err(format!(
                    "deploy: --percentiles {list}: `{p}` is not a percentile; give comma-separated numbers from 0 to 100, e.g. 5,50,95"
                )),
            }
        })
        .collect()
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
        Command::Deploy(options) => deploy(&read_spec(path)?, &options),
    }
}

/// `deploy`: the spec's design from samples, its bootstrap, robust fees and
/// the assessment under the spec's truth; a table or the JSON report, and
/// the files of `--out`.
fn deploy(spec: &Spec, o: &DeployOptions) -> Result<(), String> {
    let text = |e: &dyn std::fmt::Display| e.to_string();
    // Checked here rather than by the bootstrap, whose message suggests
    // removing the `bootstrap` section.
    if let Some(i) = spec
        .traders
        .iter()
        .position(|t| !matches!(t.distribution, DistributionSpec::Estimate { .. }))
    {
        return Err(format!(
            "traders[{i}].distribution.family: deploy resamples observed endowments; give every class as family `estimate` with its samples (for known distributions, `solve` with an `assess` section judges a design)"
        ));
    }
    let mut spec = spec.clone();
    let given = spec.bootstrap.take();
    let percentiles = o
        .percentiles
        .clone()
        .or_else(|| given.as_ref().map(|b| b.percentiles.clone()))
        .unwrap_or_else(|| vec![5.0, 50.0, 95.0]);
    // The options' documented defaults where neither the command line nor
    // the spec gives one (not fallbacks from a failure).
    spec.bootstrap = Some(BootstrapSpec {
        replicates: o
            .replicates
            .or(given.as_ref().map(|b| b.replicates))
            .unwrap_or(1000),
        seed: o.seed.or(given.as_ref().map(|b| b.seed)).unwrap_or(0),
        robust_fees: !o.no_robust_fees,
        percentiles,
    });
    // The output directory before the bootstrap, so that a bad path fails
    // at once.
    if let Some(dir) = &o.out {
        std::fs::create_dir_all(dir).map_err(|e| format!("--out {}: {e}", dir.display()))?;
    }
    let tty = std::io::stderr().is_terminal();
    let report = spec
        .run_with_progress(&|done, total| {
            if tty {
                eprint!("\rbootstrap: {done}/{total} replicates");
            }
        })
        .map_err(|e| text(&e))?;
    if tty {
        eprintln!();
    }
    // The design again, for what the report does not hold: the fee tables
    // and the assessment under the truth with the robust fees. Solving is
    // deterministic, so this is the report's design.
    let needs_design = o.out.is_some()
        || (spec.assess.is_some()
            && report
                .bootstrap
                .as_ref()
                .is_some_and(|b| b.robust_fees.is_some()));
    let design = if needs_design {
        let market = spec.market().map_err(|e| text(&e))?;
        let mech = OptimalMechanism::solve(&market, spec.alpha).map_err(|e| text(&e))?;
        Some(Design::new(mech).map_err(|e| text(&e))?)
    } else {
        None
    };
    let robust_under_truth = match (&design, &spec.assess, &report.bootstrap) {
        (Some(design), Some(assess), Some(b)) => match &b.robust_fees {
            Some(r) => {
                let truth = assess
                    .traders
                    .iter()
                    .map(|t| t.distribution.build())
                    .collect::<Result<Vec<Arc<dyn EndowmentDistribution>>, _>>()
                    .map_err(|e| format!("assess.traders: {e}"))?;
                Some(
                    design
                        .assess_with_fees(&truth, &r.fees)
                        .map_err(|e| format!("assess: {e}"))?,
                )
            }
            None => None,
        },
        _ => None,
    };
    if let (Some(dir), Some(design)) = (&o.out, &design) {
        write_outputs(dir, &report, design, o)?;
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if o.json {
        json::write_pretty(&mut out, &report).map_err(|e| text(&e))?;
    } else {
        let table = deploy_table(&report, robust_under_truth.as_ref());
        out.write_all(table.as_bytes()).map_err(|e| text(&e))?;
    }
    out.flush().map_err(|e| text(&e))
}

/// `--out DIR`: the JSON report and one fee table per class.
fn write_outputs(
    dir: &Path,
    report: &Report,
    design: &Design,
    o: &DeployOptions,
) -> Result<(), String> {
    let at = |path: &Path, e: &dyn std::fmt::Display| format!("--out {}: {e}", path.display());
    let path = dir.join("report.json");
    let file = std::fs::File::create(&path).map_err(|e| at(&path, &e))?;
    json::write_pretty(std::io::BufWriter::new(file), report).map_err(|e| at(&path, &e))?;
    // The options' documented defaults (21 × 21 grid), not fallbacks.
    let (prices, quantities) = (o.prices.unwrap_or(21), o.quantities.unwrap_or(21));
    for k in 0..report.classes.len() {
        let table = FeeTable::automatic(design.side_payments(), k, prices, quantities)
            .map_err(|e| e.to_string())?;
        let path = dir.join(format!("fees_class_{k}.csv"));
        std::fs::write(&path, table.to_csv()).map_err(|e| at(&path, &e))?;
    }
    Ok(())
}

/// The human-readable summary of a deployment report.
fn deploy_table(
    report: &Report,
    robust_under_truth: Option<&exchange_design::deployment::Assessment>,
) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    let Some(b) = &report.bootstrap else {
        return t;
    };
    let band = |v: &[f64]| -> String {
        if v.is_empty() {
            "(no replicate)".into()
        } else {
            v.iter().map(|x| format!(" {x:>10.4}")).collect()
        }
    };
    let samples: Vec<String> = report
        .classes
        .iter()
        .map(|c| c.estimate.as_ref().map_or("?".into(), |e| e.n.to_string()))
        .collect();
    let _ = writeln!(
        t,
        "design at alpha = {} from {} samples per class; bootstrap of {} replicates (seed {}): {} failed solves, {} failed assessments",
        report.alpha,
        samples.join(", "),
        b.replicates,
        b.seed,
        b.failed_solves,
        b.failed_assessments
    );
    for f in b.failures.iter().take(5) {
        let _ = writeln!(
            t,
            "  replicate {} failed at {}: {}",
            f.replicate, f.stage, f.reason
        );
    }
    let _ = write!(t, "\n{:<38} {:>10}", "", "design");
    for p in &b.percentiles {
        let _ = write!(t, " {:>10}", format!("{p}%"));
    }
    t.push('\n');
    let mut row = |what: &str, design: f64, v: &[f64]| {
        let _ = writeln!(t, "{what:<38} {design:>10.4}{}", band(v));
    };
    row(
        "revenue the re-solved design says",
        report.revenue,
        &b.revenue,
    );
    row(
        "efficiency the re-solved design says",
        report.efficiency,
        &b.efficiency,
    );
    row(
        "revenue of this design, bootstrap",
        report.revenue,
        &b.assessed_revenue,
    );
    row(
        "efficiency of this design, bootstrap",
        report.efficiency,
        &b.assessed_efficiency,
    );
    for (k, (c, cb)) in report.classes.iter().zip(&b.classes).enumerate() {
        let tau = c.side_payment.as_ref().map_or(f64::NAN, |s| s.tau);
        row(&format!("class {k}: fee tau"), tau, &cb.tau);
        row(&format!("class {k}: binding interval z_a"), c.z_a, &cb.z_a);
        row(&format!("class {k}: binding interval z_b"), c.z_b, &cb.z_b);
    }
    let _ = writeln!(
        t,
        "\nunder {:.1} % of the bootstrap markets some type would stay away",
        100.0 * b.stay_away_probability
    );
    if let Some(r) = &b.robust_fees {
        let designed: Vec<f64> = report
            .classes
            .iter()
            .map(|c| c.side_payment.as_ref().map_or(f64::NAN, |s| s.tau))
            .collect();
        let _ = writeln!(
            t,
            "robust fees (every type in under every bootstrap market): {} (designed {}), costing {:.4} of revenue",
            list(&r.fees),
            list(&designed),
            r.revenue_cost
        );
        let _ = writeln!(
            t,
            "revenue with robust fees under the bootstrap markets:{}",
            band(&r.revenue)
        );
    }
    if let Some(a) = &report.assessment {
        let _ = write!(
            t,
            "\nunder the `assess` truth:\n{:<38} {:>10}",
            "", "designed"
        );
        if robust_under_truth.is_some() {
            let _ = write!(t, " {:>10}", "robust");
        }
        t.push('\n');
        let mut row = |what: &str, designed: f64, robust: Option<f64>| {
            let _ = write!(t, "{what:<38} {designed:>10.4}");
            if let Some(r) = robust {
                let _ = write!(t, " {r:>10.4}");
            }
            t.push('\n');
        };
        let r = robust_under_truth;
        row("revenue", a.revenue, r.map(|r| r.revenue()));
        row("efficiency", a.efficiency, r.map(|r| r.efficiency()));
        row("objective", a.objective, r.map(|r| r.objective()));
        for (k, c) in a.classes.iter().enumerate() {
            row(
                &format!("class {k}: min gain"),
                c.min_gain,
                r.map(|r| r.class(k).min_gain()),
            );
            row(
                &format!("class {k}: min gain at"),
                c.min_gain_at,
                r.map(|r| r.class(k).min_gain_at()),
            );
            row(
                &format!("class {k}: stay-away probability"),
                c.abstain_probability,
                r.map(|r| r.class(k).abstain_probability()),
            );
        }
    }
    t
}

fn list(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x:.4}")).collect();
    format!("[{}]", parts.join(", "))
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
