//! The `solve` JSON front end on malformed and adversarial specs: every one
//! is rejected with a single line that starts with `error:`-ready text
//! naming the offending field, or solved to finite numbers; nothing panics.
//! The front end is the library's `spec::json`, called in process.

use crate::common::solve_json as run_text;
use std::panic::catch_unwind;

const VALID: &str = r#"{"alpha": 0.5,
 "traders": [
  {"kappa": 0.5, "count": 3, "distribution": {"family": "uniform", "lo": -1.0, "hi": 1.0}},
  {"kappa": 1.0, "distribution": {"family": "truncated_normal", "mu": 0.0, "sigma": 0.5, "lo": -1.0, "hi": 1.0}},
  {"kappa": 0.25, "distribution": {"family": "beta", "a": 2.0, "b": 3.0, "lo": -1.0, "hi": 1.0}},
  {"kappa": 2.0, "distribution": {"family": "triangular", "lo": -1.0, "mode": 0.3, "hi": 1.5}},
  {"kappa": 0.3, "distribution": {"family": "piecewise_linear", "z": [-1, 0, 1], "density": [0.2, 1.0, 0.2]}}]}"#;

fn one_trader(dist: &str) -> String {
    format!(
        r#"{{"alpha": 0.5, "traders": [{{"kappa": 1.0, "count": 3, "distribution": {dist}}}]}}"#
    )
}

/// Runs a spec that must be rejected; returns the message.
fn rejected(spec: &str) -> String {
    let owned = spec.to_string();
    let result = catch_unwind(move || run_text(&owned));
    let msg = match result {
        Ok(Err(msg)) => msg,
        Ok(Ok(json)) => panic!("accepted a bad spec:\n{spec}\n→ {json}"),
        Err(_) => panic!("panicked on:\n{spec}"),
    };
    assert!(
        !msg.contains('\n') || msg.lines().count() == 1,
        "multi-line message: {msg}"
    );
    msg
}

fn all_numbers_finite(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Number(n) => n.as_f64().is_some_and(f64::is_finite),
        serde_json::Value::Array(a) => a.iter().all(all_numbers_finite),
        serde_json::Value::Object(o) => o.values().all(all_numbers_finite),
        // NaN would have been written as null by serde_json; only the
        // double auction may be null, and only when N < 3.
        serde_json::Value::Null => false,
        _ => true,
    }
}

#[test]
fn the_issue_spec_solves_to_finite_numbers() {
    let json = run_text(VALID).expect("the documented spec solves");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for key in [
        "alpha",
        "beta",
        "lambda",
        "budget_binding",
        "revenue",
        "efficiency",
        "n_traders",
        "solve_seconds",
        "status",
        "classes",
        "first_best",
        "double_auction",
    ] {
        assert!(v.get(key).is_some(), "report lacks `{key}`");
    }
    assert_eq!(v["classes"].as_array().unwrap().len(), 5);
    assert_eq!(v["n_traders"], 7);
    let status = &v["status"];
    assert_eq!(status["converged"], true);
    assert!(status["residual"].as_f64().unwrap() <= status["tolerance"].as_f64().unwrap());
    for c in v["classes"].as_array().unwrap() {
        for key in [
            "kappa",
            "count",
            "eta",
            "z_a",
            "z_b",
            "no_trade_probability",
            "mean_virtual_value",
            "lowest_type_gain",
        ] {
            assert!(c.get(key).is_some(), "class lacks `{key}`");
        }
    }
    assert!(all_numbers_finite(&v));
}

#[test]
fn fields_are_named_in_errors() {
    let cases: Vec<(String, &str)> = vec![
        (r#"{"alpha": 1.5, "traders": []}"#.into(), "alpha"),
        (r#"{"alpha": -0.1, "traders": [{"kappa": 1, "count": 2, "distribution": {"family": "uniform", "lo": 0, "hi": 1}}]}"#.into(), "alpha"),
        (r#"{"traders": []}"#.into(), "alpha"),
        (r#"{"alpha": 0.5}"#.into(), "traders"),
        (r#"{"alpha": 0.5, "traders": [{"count": 2, "distribution": {"family": "uniform", "lo": 0, "hi": 1}}]}"#.into(), "kappa"),
        (r#"{"alpha": 0.5, "traders": [{"kappa": 1, "count": 2}]}"#.into(), "distribution"),
        (one_trader(r#"{"family": "cauchy", "lo": 0, "hi": 1}"#), "traders[0].distribution"),
        (one_trader(r#"{"lo": 0, "hi": 1}"#), "family"),
        (one_trader(r#"{"family": "uniform", "lo": 0}"#), "hi"),
        (one_trader(r#"{"family": "uniform", "lo": 1, "hi": 0}"#), "traders[0].distribution.lo"),
        (one_trader(r#"{"family": "uniform", "lo": 0, "hi": 1, "extra": 3}"#), "extra"),
        (one_trader(r#"{"family": "truncated_normal", "mu": 0, "sigma": 0, "lo": -1, "hi": 1}"#), "traders[0].distribution.sigma"),
        (one_trader(r#"{"family": "truncated_normal", "mu": 0, "sigma": -2, "lo": -1, "hi": 1}"#), "sigma"),
        (one_trader(r#"{"family": "beta", "a": 0.5, "b": 2, "lo": -1, "hi": 1}"#), "traders[0].distribution.a"),
        (one_trader(r#"{"family": "triangular", "lo": 0, "mode": 2, "hi": 1}"#), "traders[0].distribution.mode"),
        (one_trader(r#"{"family": "piecewise_linear", "z": [0, 1], "density": [1, -1]}"#), "density"),
        (one_trader(r#"{"family": "piecewise_linear", "z": [0, 1, 1], "density": [1, 1, 1]}"#), "traders[0].distribution.z"),
        (one_trader(r#"{"family": "piecewise_linear", "z": [0, 1, 2], "density": [1, 0, 0]}"#), "density"),
        (r#"{"alpha": 0.5, "traders": [{"kappa": 0, "count": 2, "distribution": {"family": "uniform", "lo": 0, "hi": 1}}]}"#.into(), "traders[0].kappa"),
        (r#"{"alpha": 0.5, "traders": [{"kappa": -3, "count": 2, "distribution": {"family": "uniform", "lo": 0, "hi": 1}}]}"#.into(), "traders[0].kappa"),
        (r#"{"alpha": 0.5, "traders": [{"kappa": 1, "count": 0, "distribution": {"family": "uniform", "lo": 0, "hi": 1}}]}"#.into(), "traders[0].count"),
        (r#"{"alpha": 0.5, "traders": [{"kappa": 1, "distribution": {"family": "uniform", "lo": 0, "hi": 1}}]}"#.into(), "traders"),
        (r#"{"alpha": 0.5, "traders": []}"#.into(), "traders"),
        // Wrong types.
        (r#"{"alpha": "half", "traders": []}"#.into(), "alpha"),
        (r#"{"alpha": 0.5, "traders": {"kappa": 1}}"#.into(), "traders"),
        (r#"{"alpha": 0.5, "traders": [{"kappa": 1, "count": 2.5, "distribution": {"family": "uniform", "lo": 0, "hi": 1}}]}"#.into(), "traders[0].count"),
        (r#"{"alpha": 0.5, "traders": [{"kappa": 1, "count": -2, "distribution": {"family": "uniform", "lo": 0, "hi": 1}}]}"#.into(), "traders[0].count"),
        (r#"{"alpha": 0.5, "traders": [{"kappa": 1, "count": 1e30, "distribution": {"family": "uniform", "lo": 0, "hi": 1}}]}"#.into(), "traders[0].count"),
        (r#"{"alpha": 0.5, "traders": [{"kappa": null, "count": 2, "distribution": {"family": "uniform", "lo": 0, "hi": 1}}]}"#.into(), "traders[0].kappa"),
        (one_trader(r#"{"family": "uniform", "lo": "a", "hi": 1}"#), "lo"),
        (one_trader(r#"{"family": "piecewise_linear", "z": "0,1", "density": [1, 1]}"#), "z"),
        // Numbers JSON cannot hold (NaN is not JSON; 1e999 overflows).
        (one_trader(r#"{"family": "uniform", "lo": NaN, "hi": 1}"#), "lo"),
        (one_trader(r#"{"family": "uniform", "lo": 0, "hi": 1e999}"#), "hi"),
    ];
    for (spec, field) in cases {
        let msg = rejected(&spec);
        assert!(
            msg.contains(field),
            "message for\n{spec}\ndoes not name `{field}`: {msg}"
        );
    }
}

#[test]
fn malformed_documents_are_rejected() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_obj = format!(
        r#"{{"alpha": 0.5, "traders": {}{}}}"#,
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    let cases = [
        String::new(),
        "   ".into(),
        "{".into(),
        "null".into(),
        "[]".into(),
        "42".into(),
        r#"{"alpha": 0.5, "traders": [] "#.into(),
        format!("{VALID} trailing"),
        format!("{VALID}{VALID}"),
        deep,
        deep_obj,
        "\u{0}\u{1}\u{2}".into(),
        r#"{"alpha": 0.5, "alpha": 0.6, "traders": []}"#.into(),
    ];
    for spec in cases {
        let msg = rejected(&spec);
        assert!(!msg.is_empty());
    }
}

#[test]
fn adversarial_but_valid_specs_solve_to_finite_numbers() {
    let specs = [
        // Huge counts: one class of 10^18 traders with another of one.
        r#"{"alpha": 0.5, "traders": [
            {"kappa": 1, "count": 1000000000000000000, "distribution": {"family": "uniform", "lo": -1, "hi": 1}},
            {"kappa": 1, "distribution": {"family": "uniform", "lo": -1, "hi": 1}}]}"#,
        // κ spanning six orders of magnitude.
        r#"{"alpha": 0.3, "traders": [
            {"kappa": 1e-3, "count": 2, "distribution": {"family": "uniform", "lo": -1, "hi": 1}},
            {"kappa": 1e3, "count": 2, "distribution": {"family": "truncated_normal", "mu": 0.2, "sigma": 0.3, "lo": -1, "hi": 1}}]}"#,
        // Two traders: no double-auction equilibrium, reported as null.
        r#"{"alpha": 1, "traders": [{"kappa": 0.5, "count": 2, "distribution": {"family": "uniform", "lo": -1, "hi": 1}}]}"#,
        // α at the ends and budget binding.
        r#"{"alpha": 0, "traders": [
            {"kappa": 1, "count": 2, "distribution": {"family": "uniform", "lo": -1, "hi": 1}},
            {"kappa": 1, "count": 2, "distribution": {"family": "uniform", "lo": 0, "hi": 2}}]}"#,
    ];
    for spec in specs {
        let json = catch_unwind(|| run_text(spec))
            .unwrap_or_else(|_| panic!("panicked on {spec}"))
            .unwrap_or_else(|e| panic!("rejected {spec}: {e}"));
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let n = v["n_traders"].as_u64().unwrap();
        if n < 3 {
            assert!(v["double_auction"].is_null());
            v.as_object_mut().unwrap().remove("double_auction");
        }
        assert!(all_numbers_finite(&v), "non-finite number in {json}");
    }
}

/// The built example binary, end to end, when `cargo test` has built it.
#[test]
fn the_binary_exits_nonzero_with_one_error_line() {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let bin = dir.join(format!("solve{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        eprintln!(
            "{} not built (run the whole `cargo test`); in-process cases cover the logic",
            bin.display()
        );
        return;
    }
    use std::io::Write;
    use std::process::{Command, Stdio};
    for spec in [
        r#"{"alpha": 2, "traders": []}"#,
        "{",
        r#"{"alpha": 0.5, "traders": [{"kappa": 1, "count": 2, "distribution": {"family": "nope"}}]}"#,
    ] {
        let mut child = Command::new(&bin)
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(spec.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "stderr: {stderr}");
        assert!(stderr.starts_with("error: "), "stderr: {stderr}");
        assert!(!stderr.contains("panicked"));
        assert!(out.stdout.is_empty());
    }
    let out = Command::new(&bin).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .starts_with("error: "));
}

#[test]
fn fee_queries_are_answered_in_order_and_checked() {
    use exchange_design::implementation::SidePayments;
    use exchange_design::spec::Spec;
    let spec_text = VALID.replacen(
        r#"{"alpha": 0.5,"#,
        r#"{"alpha": 0.5, "fee_queries": [{"class": 0, "p": 0.1, "q": -0.2}, {"class": 3, "p": -0.3, "q": 0.5}, {"class": 4, "p": 0.0, "q": 0.0}],"#,
        1,
    );
    let json = run_text(&spec_text).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let answers = v["fees"].as_array().unwrap();
    assert_eq!(answers.len(), 3);
    let fees: Vec<f64> = answers.iter().map(|x| x["fee"].as_f64().unwrap()).collect();
    // The same numbers straight from the library.
    let spec: Spec = serde_json::from_str(&spec_text).unwrap();
    let mech =
        exchange_design::mechanism::OptimalMechanism::solve(&spec.market().unwrap(), 0.5).unwrap();
    let side = SidePayments::new(&mech).unwrap();
    for (fee, (k, p, q)) in fees
        .iter()
        .zip([(0, 0.1, -0.2), (3, -0.3, 0.5), (4, 0.0, 0.0)])
    {
        assert_eq!(*fee, side.side_payment(k, p, q).unwrap());
    }
    // Each answer repeats its query.
    for (a, (k, p, q)) in answers
        .iter()
        .zip([(0, 0.1, -0.2), (3, -0.3, 0.5), (4, 0.0, 0.0)])
    {
        assert_eq!(a["class"].as_u64(), Some(k));
        assert_eq!(a["p"].as_f64(), Some(p));
        assert_eq!(a["q"].as_f64(), Some(q));
    }
    for (c, sp) in v["classes"].as_array().unwrap().iter().zip(side.classes()) {
        assert_eq!(c["side_payment"]["c"].as_f64().unwrap(), sp.c());
        assert_eq!(c["side_payment"]["tau"].as_f64().unwrap(), sp.tau());
    }
    // Without queries there is no `fees` key.
    let plain: serde_json::Value = serde_json::from_str(&run_text(VALID).unwrap()).unwrap();
    assert!(plain.get("fees").is_none());

    let bad = [
        (
            r#""fee_queries": [{"class": 9, "p": 0.1, "q": 0.1}],"#,
            "fee_queries[0].class",
        ),
        (
            r#""fee_queries": [{"class": 0, "p": 0.1}],"#,
            "fee_queries[0]",
        ),
        (
            r#""fee_queries": [{"class": -1, "p": 0.1, "q": 0.1}],"#,
            "fee_queries[0].class",
        ),
        (
            r#""fee_queries": [{"class": 0, "p": 1e300, "q": 1e300}],"#,
            "fee_queries[0]",
        ),
        (r#""fee_queries": {"class": 0},"#, "fee_queries"),
    ];
    for (queries, field) in bad {
        let text = VALID.replacen(
            r#"{"alpha": 0.5,"#,
            &format!(r#"{{"alpha": 0.5, {queries}"#),
            1,
        );
        let msg = rejected(&text);
        assert!(msg.contains(field), "{queries} → {msg}");
    }
}

/// Issue 12, item 6: each message names the user's field once, at the
/// start, and says what to change; none sends a JSON user to "schedules".
#[test]
fn messages_name_the_spec_field_once_and_say_what_to_change() {
    let uniform = r#"{"family": "uniform", "lo": -1, "hi": 1}"#;
    let cases: Vec<(String, &str, &[&str])> = vec![
        (
            format!(
                r#"{{"alpha": 0.5, "traders": [{{"kappa": 0.5, "count": 3, "distribution": {uniform}}}],
                "fee_queries": [{{"class": 0, "p": 1e308, "q": 1e308}}]}}"#
            ),
            "fee_queries[0]: ",
            &[
                "p = 1e308",
                "q = 1e308",
                "overflows",
                "give p and q of the size of the endowments",
                "[-1, 1]",
            ],
        ),
        (
            format!(
                r#"{{"alpha": 0.5, "traders": [{{"kappa": 1e-300, "count": 3, "distribution": {uniform}}}]}}"#
            ),
            "traders[0].kappa: ",
            &["kappa = 1e-300", "overflows", "closer to 1"],
        ),
        (
            format!(
                r#"{{"alpha": 0.5, "traders": [{{"kappa": 0, "count": 3, "distribution": {uniform}}}]}}"#
            ),
            "traders[0].kappa: ",
            &[
                "0 is not a risk capacity",
                "give a finite number greater than 0",
            ],
        ),
        (
            format!(
                r#"{{"alpha": 0.5, "traders": [{{"kappa": 1, "count": 0, "distribution": {uniform}}}, {{"kappa": 1, "count": 2, "distribution": {uniform}}}]}}"#
            ),
            "traders[0].count: ",
            &["give at least 1"],
        ),
        (
            format!(
                r#"{{"alpha": 0.5, "traders": [{{"kappa": 1e300, "count": 1, "distribution": {uniform}}}, {{"kappa": 1e-300, "count": 2, "distribution": {uniform}}}]}}"#
            ),
            "traders[0].kappa: ",
            &["dominates", "reduce the ratio"],
        ),
        (
            one_trader(
                r#"{"family": "truncated_normal", "mu": 0, "sigma": -1, "lo": -1, "hi": 1}"#,
            ),
            "traders[0].distribution.sigma: ",
            &["-1; it must be strictly positive"],
        ),
        (
            one_trader(r#"{"family": "beta", "a": 0.5, "b": 2, "lo": -1, "hi": 1}"#),
            "traders[0].distribution.a: ",
            &["0.5; it must be at least 1"],
        ),
    ];
    for (spec, prefix, needles) in cases {
        let msg = rejected(&spec);
        assert!(msg.starts_with(prefix), "{msg}");
        for needle in needles {
            assert!(msg.contains(needle), "`{needle}` missing from: {msg}");
        }
        for forbidden in ["schedules", "side_payment:", "class 0:", "class 1:"] {
            assert!(!msg.contains(forbidden), "`{forbidden}` in: {msg}");
        }
        // The field is named once, as the path in front.
        let path = prefix.trim_end_matches(": ");
        assert_eq!(msg.matches(path).count(), 1, "{msg}");
        assert!(
            !msg[prefix.len()..].contains(": "),
            "a second place in: {msg}"
        );
    }
}

/// Estimated distributions: every bad sample is an error naming its field.
#[test]
fn estimate_errors_name_the_field() {
    use exchange_design::spec::Spec;
    let run = |dist: &str| {
        let text = format!(
            r#"{{"alpha": 0.5, "traders": [{{"kappa": 1.0, "count": 3, "distribution": {dist}}}]}}"#
        );
        let spec: Spec = serde_json::from_str(&text).unwrap();
        spec.market().unwrap_err().to_string()
    };
    let ok: Vec<String> = (0..20).map(|i| format!("{}", i as f64 / 20.0)).collect();
    let ok = ok.join(", ");
    assert!(
        run(r#"{"family": "estimate", "method": "kde", "samples": [1, 2, 3]}"#).starts_with(
            "traders[0].distribution.samples: 3 sample(s) given; an estimate needs at least 10"
        )
    );
    let with_big = format!(
        r#"{{"family": "estimate", "method": "log_concave", "samples": [{ok}, 5.0], "support": [0, 1]}}"#
    );
    assert!(
        run(&with_big).starts_with("traders[0].distribution.samples[20]:"),
        "{}",
        run(&with_big)
    );
    let no_support = format!(r#"{{"family": "estimate", "method": "beta", "samples": [{ok}]}}"#);
    assert!(
        run(&no_support).starts_with("traders[0].distribution.support:"),
        "{}",
        run(&no_support)
    );
    let bad_support = format!(
        r#"{{"family": "estimate", "method": "kde", "samples": [{ok}], "support": [1, 0]}}"#
    );
    assert!(run(&bad_support).starts_with("traders[0].distribution.support:"));
    let all_equal =
        r#"{"family": "estimate", "method": "kde", "samples": [1,1,1,1,1,1,1,1,1,1,1]}"#;
    assert!(run(all_equal).starts_with("traders[0].distribution.samples: all samples equal 1"));
    // Nested in a mixture, the path goes through the component.
    let nested = format!(
        r#"{{"family": "mixture", "components": [{{"weight": 1, "distribution": {{"family": "uniform", "lo": 0, "hi": 1}}}}, {{"weight": 1, "distribution": {{"family": "estimate", "method": "truncated_normal", "samples": [{ok}, 3.0], "support": [0, 1]}}}}]}}"#
    );
    assert!(
        run(&nested).starts_with("traders[0].distribution.components[1].distribution.samples[20]:"),
        "{}",
        run(&nested)
    );
    // Unknown method: a parse error naming the field.
    let text = r#"{"alpha": 0.5, "traders": [{"kappa": 1.0, "distribution": {"family": "estimate", "method": "histogram", "samples": [1, 2]}}]}"#;
    let de = &mut serde_json::Deserializer::from_str(text);
    let err = serde_path_to_error::deserialize::<_, Spec>(de).unwrap_err();
    assert!(
        err.to_string().contains("method") || err.path().to_string().contains("distribution"),
        "{err}"
    );
}

/// A misspelled parameter is reported with the family's own parameters,
/// not every family's.
#[test]
fn a_misspelled_parameter_lists_only_its_family_fields() {
    let spec = r#"{"alpha": 0.5, "traders": [
        {"kappa": 1, "count": 2, "distribution": {"family": "uniform", "lo": 0, "hi": 1}},
        {"kappa": 1, "count": 2, "distribution":
            {"family": "truncated_normal", "mu": 0, "sigmaa": 1, "lo": -1, "hi": 1}}]}"#;
    let err = run_text(spec).unwrap_err();
    assert!(
        err.starts_with("traders[1].distribution.sigmaa: unknown field `sigmaa`;"),
        "{err}"
    );
    assert!(err.contains("`mu`, `sigma`, `lo`, `hi`"), "{err}");
    for other in ["`mode`", "`samples`", "`components`", "`density`"] {
        assert!(!err.contains(other), "{err}");
    }
    // Inside a mixture, the component's own family.
    let spec = r#"{"alpha": 0.5, "traders": [{"kappa": 1, "count": 2, "distribution":
        {"family": "mixture", "components": [
            {"weight": 1, "distribution": {"family": "triangular", "lo": 0, "mod": 0.5, "hi": 1}}]}}]}"#;
    let err = run_text(spec).unwrap_err();
    assert!(err.contains("unknown field `mod`"), "{err}");
    assert!(
        err.contains("family `triangular` takes `family`, `lo`, `mode`, `hi`"),
        "{err}"
    );
}
