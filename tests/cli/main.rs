//! The `exchange-design` command line (feature `cli`), run as a process:
//! one test per subcommand against the library's own answer, the help
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
