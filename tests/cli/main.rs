//! The `exchange-design` command line (feature `cli`), run as a process:
//! each subcommand against the library's own answer or a law of the model, the help
//! texts, and bad input ending in one `error:` line.
//!
//! `cargo test --features cli --test cli`.

use exchange_design::deployment::FeeTable;
use exchange_design::implementation::SidePayments;
use exchange_design::mechanism::OptimalMechanism;
use exchange_design::spec::json;
use std::io::Write;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_exchange-design");

fn spec_path(name: &str) -> String {
    format!("{}/examples/specs/{name}.json", env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The single stderr line of a failed run, without its `error: ` prefix.
fn error_line(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    err.strip_prefix("error: ")
        .unwrap_or_else(|| panic!("{err}"))
        .trim_end()
        .to_string()
}

#[test]
fn solve_prints_the_report_of_the_library() {
    let text = std::fs::read_to_string(spec_path("uniform")).unwrap();
    let out: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["solve", &spec_path("uniform")]))).unwrap();
    let expected: serde_json::Value = serde_json::from_str(&json::solve(&text).unwrap()).unwrap();
    // Everything but the wall time of the solve.
    let strip = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("solve_seconds");
        v
    };
    assert_eq!(strip(out), strip(expected));
}

#[test]
fn solve_reads_stdin_and_names_a_bad_field() {
    let mut child = Command::new(BIN)
        .args(["solve", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"alpha": 0.5, "traders": [{"kappa": -1, "count": 2, "distribution": {"family": "uniform", "lo": 0, "hi": 1}}]}"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(error_line(&out).starts_with("traders[0].kappa"));
}

#[test]
fn frontier_prints_the_frontier_and_rejects_an_alpha_out_of_range() {
    let text = std::fs::read_to_string(spec_path("uniform")).unwrap();
    let out = stdout(&run(&["frontier", &spec_path("uniform")]));
    assert_eq!(out.trim_end(), json::frontier(&text).unwrap());

    let dir = std::env::temp_dir().join(format!("exchange-design-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("alpha.json");
    let mut spec: serde_json::Value = serde_json::from_str(&text).unwrap();
    spec["alpha"] = serde_json::json!(1.5);
    std::fs::write(&bad, spec.to_string()).unwrap();
    let err = error_line(&run(&["frontier", bad.to_str().unwrap()]));
    assert!(err.starts_with("alpha"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fees_prints_each_class_table_as_csv() {
    let path = spec_path("mixture");
    let text = std::fs::read_to_string(&path).unwrap();
    let spec = json::parse_spec(&text).unwrap();
    let market = spec.market().unwrap();
    let rules = SidePayments::new(&OptimalMechanism::solve(&market, spec.alpha).unwrap()).unwrap();
    let out = stdout(&run(&["fees", "--prices", "3", "--quantities", "4", &path]));
    let mut lines = out.lines();
    assert!(lines.next().unwrap().starts_with('#'));
    assert_eq!(lines.next(), Some("class,price,quantity,side_payment"));
    let rows: Vec<&str> = lines.collect();
    let n = market.classes().len();
    assert_eq!(rows.len(), n * 12);
    for k in 0..n {
        let table = FeeTable::automatic(&rules, k, 3, 4).unwrap();
        for (row, &(p, q, s)) in rows[12 * k..12 * (k + 1)].iter().zip(table.rows()) {
            assert_eq!(*row, format!("{k},{p},{q},{s}"));
            // The table is the rule itself, not a copy of its output.
            assert_eq!(s, rules.side_payment(k, p, q).unwrap());
        }
    }
    let one = stdout(&run(&[
        "fees",
        "--class",
        "1",
        "--prices",
        "2",
        "--quantities",
        "2",
        &path,
    ]));
    assert_eq!(one.lines().count(), 2 + 4);
    assert!(one.lines().skip(2).all(|l| l.starts_with("1,")));
    let err = error_line(&run(&["fees", "--class", "9", &path]));
    assert!(err.starts_with("--class 9"), "{err}");
}

#[test]
fn help_and_usage_errors() {
    for cmd in [
        &["--help"][..],
        &["solve", "--help"],
        &["frontier", "-h"],
        &["fees", "--help"],
        &["deploy", "--help"],
    ] {
        let out = stdout(&run(cmd));
        assert!(out.contains("Usage: exchange-design"), "{out}");
    }
    assert!(error_line(&run(&[])).starts_with("no command"));
    assert!(error_line(&run(&["optimise", "x.json"])).starts_with("unknown command `optimise`"));
    assert!(error_line(&run(&["solve"])).contains("missing argument"));
    assert!(error_line(&run(&["solve", "/nonexistent/spec.json"]))
        .starts_with("/nonexistent/spec.json"));
    assert!(
        error_line(&run(&["fees", "--prices", "many", &spec_path("uniform")])).contains("many")
    );
}

/// A small deployment spec: two classes estimated from 40 samples each
/// (truncated normals on [-1, 1], fast to fit), an `assess` truth and no
/// `bootstrap` section (the command adds it).
fn deploy_spec(dir: &std::path::Path) -> (String, serde_json::Value) {
    let samples = |shift: f64| -> Vec<f64> {
        (0..40)
            .map(|j| (0.7 * (1.7 * j as f64 + shift).sin() + 0.1 * shift).clamp(-0.95, 0.95))
            .collect()
    };
    let class = |kappa: f64, count: u64, shift: f64| {
        serde_json::json!({"kappa": kappa, "count": count, "distribution": {
            "family": "estimate", "method": "truncated_normal",
            "samples": samples(shift), "support": [-1.0, 1.0]}})
    };
    let spec = serde_json::json!({
        "alpha": 0.5,
        "traders": [class(0.5, 3, 0.0), class(1.0, 2, 1.0)],
        "assess": {"traders": [
            {"distribution": {"family": "triangular", "lo": -1.0, "mode": 0.3, "hi": 1.0}},
            {"distribution": {"family": "uniform", "lo": -0.9, "hi": 0.9}}
        ]}
    });
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("deploy.json");
    std::fs::write(&path, spec.to_string()).unwrap();
    (path.to_str().unwrap().to_string(), spec)
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("exchange-design-cli-{name}-{}", std::process::id()))
}

/// The report without the solve's wall time.
fn without_time(mut v: serde_json::Value) -> serde_json::Value {
    v.as_object_mut().unwrap().remove("solve_seconds");
    v
}

#[test]
fn deploy_json_is_the_library_report_with_the_bootstrap_asked_for() {
    let dir = temp_dir("deploy-json");
    let (path, mut spec) = deploy_spec(&dir);
    let out: serde_json::Value = serde_json::from_str(&stdout(&run(&[
        "deploy",
        "--json",
        "--replicates",
        "4",
        "--seed",
        "11",
        "--percentiles",
        "10,90",
        &path,
    ])))
    .unwrap();
    // The same request written into the spec, answered by the library.
    spec["bootstrap"] = serde_json::json!({"replicates": 4, "seed": 11, "robust_fees": true, "percentiles": [10, 90]});
    let expected: serde_json::Value =
        serde_json::from_str(&json::solve(&spec.to_string()).unwrap()).unwrap();
    assert_eq!(without_time(out.clone()), without_time(expected));
    let boot = &out["bootstrap"];
    assert_eq!(boot["revenue"].as_array().unwrap().len(), 2);
    // Robust fees keep every type in under every replicate, by construction.
    assert!(boot["robust_fees"]["min_gain"].as_f64().unwrap() >= -1e-12);

    // Options left out come from the spec's own `bootstrap` section.
    spec["bootstrap"] = serde_json::json!({"replicates": 3, "seed": 5, "percentiles": [50]});
    std::fs::write(&path, spec.to_string()).unwrap();
    let out: serde_json::Value = serde_json::from_str(&stdout(&run(&[
        "deploy",
        "--json",
        "--no-robust-fees",
        &path,
    ])))
    .unwrap();
    let expected: serde_json::Value =
        serde_json::from_str(&json::solve(&spec.to_string()).unwrap()).unwrap();
    assert_eq!(without_time(out.clone()), without_time(expected));
    assert_eq!(out["bootstrap"]["replicates"], 3);
    assert!(out["bootstrap"].get("robust_fees").is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn deploy_writes_the_report_and_fee_tables_and_prints_a_table() {
    let dir = temp_dir("deploy-out");
    let (path, spec) = deploy_spec(&dir);
    let out_dir = dir.join("out");
    let table = stdout(&run(&[
        "deploy",
        "--replicates",
        "4",
        "--prices",
        "3",
        "--quantities",
        "2",
        "--out",
        out_dir.to_str().unwrap(),
        &path,
    ]));
    // report.json is the report `--json` prints.
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("report.json")).unwrap())
            .unwrap();
    let printed: serde_json::Value = serde_json::from_str(&stdout(&run(&[
        "deploy",
        "--json",
        "--replicates",
        "4",
        &path,
    ])))
    .unwrap();
    assert_eq!(without_time(written.clone()), without_time(printed));
    // Each class's fee table is the designed side payment on its grid.
    let spec = json::parse_spec(&spec.to_string()).unwrap();
    let rules =
        SidePayments::new(&OptimalMechanism::solve(&spec.market().unwrap(), spec.alpha).unwrap())
            .unwrap();
    for k in 0..2 {
        let csv = std::fs::read_to_string(out_dir.join(format!("fees_class_{k}.csv"))).unwrap();
        let rows: Vec<&str> = csv.lines().skip(2).collect();
        assert_eq!(rows.len(), 6);
        for row in rows {
            let f: Vec<f64> = row.split(',').map(|x| x.parse().unwrap()).collect();
            assert_eq!(f[0], k as f64);
            assert_eq!(f[3], rules.side_payment(k, f[1], f[2]).unwrap());
        }
    }
    // The table: the design's revenue as the report gives it, and under the
    // truth the robust fees cost exactly what they lower, since a fee enters
    // every payment of its class as a constant: revenue with robust fees =
    // revenue with the designed ones − Σ count_k · reduction_k.
    let number = |line: &str, col: usize| -> f64 {
        line.split_whitespace()
            .rev()
            .nth(col)
            .unwrap()
            .parse()
            .unwrap()
    };
    let line = |start: &str| -> &str {
        table
            .lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no `{start}` in\n{table}"))
    };
    let design_revenue = number(line("revenue the re-solved design says"), 3);
    assert!((design_revenue - written["revenue"].as_f64().unwrap()).abs() < 1e-4);
    let truth = table
        .lines()
        .skip_while(|l| !l.starts_with("under the `assess` truth"))
        .find(|l| l.starts_with("revenue "))
        .unwrap_or_else(|| panic!("no revenue under the truth in\n{table}"));
    let (designed, robust) = (number(truth, 1), number(truth, 0));
    let cost = written["bootstrap"]["robust_fees"]["revenue_cost"]
        .as_f64()
        .unwrap();
    assert!(
        (designed - robust - cost).abs() < 2e-4,
        "{designed} - {robust} vs {cost}\n{table}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn deploy_rejects_what_it_cannot_bootstrap_in_one_line() {
    let err = error_line(&run(&["deploy", &spec_path("uniform")]));
    assert!(err.starts_with("traders[0].distribution.family"), "{err}");
    let dir = temp_dir("deploy-bad");
    let (path, _) = deploy_spec(&dir);
    let err = error_line(&run(&["deploy", "--replicates", "0", &path]));
    assert!(err.contains("--replicates 0"), "{err}");
    let err = error_line(&run(&["deploy", "--percentiles", "5,150", &path]));
    assert!(err.contains("`150` is not a percentile"), "{err}");
    let err = error_line(&run(&["deploy", "--seed", "x", &path]));
    assert!(err.starts_with("deploy: --seed"), "{err}");
    let err = error_line(&run(&["deploy", "--class", "1", &path]));
    assert!(err.starts_with("deploy:"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
