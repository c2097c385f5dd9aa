//! The sample specs in `examples/specs/` (one per distribution family) run
//! through the `solve` front end, and `docs/spec.md` documents every field
//! they and their reports contain.

use crate::common;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `(file name, spec, report)` for every sample.
fn samples() -> Vec<(String, Value, Value)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root().join("examples/specs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let report =
                common::solve_json(&text).unwrap_or_else(|e| panic!("{name} is rejected: {e}"));
            out.push((
                name,
                serde_json::from_str(&text).unwrap(),
                serde_json::from_str(&report).unwrap(),
            ));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn keys(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                out.insert(k.clone());
                keys(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

#[test]
fn every_family_has_a_sample_and_every_sample_solves() {
    let samples = samples();
    let families: BTreeSet<String> = samples
        .iter()
        .flat_map(|(_, spec, _)| {
            spec["traders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["distribution"]["family"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    for family in [
        "uniform",
        "truncated_normal",
        "beta",
        "triangular",
        "piecewise_linear",
        "mixture",
        "estimate",
    ] {
        assert!(families.contains(family), "no sample for `{family}`");
        assert!(
            samples
                .iter()
                .any(|(name, _, _)| name == &format!("{family}.json")),
            "examples/specs/{family}.json missing"
        );
    }
    for (name, spec, report) in &samples {
        // Laws of the model every report must obey.
        let revenue = report["revenue"].as_f64().unwrap();
        let efficiency = report["efficiency"].as_f64().unwrap();
        assert!(revenue >= -1e-9, "{name}: budget deficit {revenue}");
        assert!(
            efficiency <= report["first_best"]["efficiency"].as_f64().unwrap() + 1e-9,
            "{name}: beats the first best"
        );
        assert_eq!(report["alpha"], spec["alpha"], "{name}");
        for c in report["classes"].as_array().unwrap() {
            let (z_a, z_b) = (c["z_a"].as_f64().unwrap(), c["z_b"].as_f64().unwrap());
            let p = c["no_trade_probability"].as_f64().unwrap();
            assert!(z_a <= z_b && (0.0..=1.0).contains(&p), "{name}");
        }
    }
}

#[test]
fn the_uniform_sample_is_the_papers_example_1() {
    let (_, _, r) = samples()
        .into_iter()
        .find(|(name, _, _)| name == "uniform.json")
        .unwrap();
    // κ = 1/2, U[−1, 1], N = 5, α = 1/2: the binding interval is [−1/3, 1/3]
    // and the plain double auction with maximal fees raises 1/4 (the paper's
    // Example 1).
    let c = &r["classes"][0];
    assert!((c["z_b"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-10);
    assert!((c["z_a"].as_f64().unwrap() + 1.0 / 3.0).abs() < 1e-10);
    assert!((r["double_auction"]["fee_revenue"].as_f64().unwrap() - 0.25).abs() < 1e-10);
    assert_eq!(r["fees"].as_array().unwrap().len(), 1);
}

#[test]
fn the_symmetric_piecewise_linear_sample_has_a_symmetric_binding_interval() {
    let (_, _, r) = samples()
        .into_iter()
        .find(|(name, _, _)| name == "piecewise_linear.json")
        .unwrap();
    let c = &r["classes"][0];
    assert!((c["z_a"].as_f64().unwrap() + c["z_b"].as_f64().unwrap()).abs() < 1e-9);
}

#[test]
fn the_format_page_documents_every_field() {
    let doc = std::fs::read_to_string(root().join("docs/spec.md")).unwrap();
    let mut fields = BTreeSet::new();
    for (_, spec, report) in samples() {
        keys(&spec, &mut fields);
        keys(&report, &mut fields);
    }
    // Fields that the samples may not show.
    for f in [
        "mu",
        "sigma",
        "a",
        "b",
        "mode",
        "z",
        "density",
        "method",
        "samples",
        "support",
        "fee_queries",
        "fees",
    ] {
        fields.insert(f.to_string());
    }
    for field in &fields {
        assert!(
            doc.contains(&format!("`{field}`")),
            "docs/spec.md does not document `{field}`"
        );
    }
}

/// The non-regular sample: the report's pooled intervals, and the reference
/// revenue of the tabulated density with two dips (0.158716, computed
/// outside the crate).
#[test]
fn the_ironed_sample_reports_its_pooled_intervals() {
    let (_, _, r) = samples()
        .into_iter()
        .find(|s| s.0 == "ironed_dips.json")
        .unwrap();
    assert!((r["revenue"].as_f64().unwrap() - 0.158716).abs() < 1e-6);
    let pools = r["classes"][0]["ironed_intervals"].as_array().unwrap();
    assert_eq!(pools.len(), 2);
    for p in pools {
        let (a, b) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
        assert!(a < b && (a.abs() - 0.7).abs() < 0.2);
    }
}

/// Issue 20 (7): the report of an estimated class shows its fit.
#[test]
fn the_estimate_sample_reports_its_fits() {
    let (_, spec, r) = samples()
        .into_iter()
        .find(|(name, _, _)| name == "estimate.json")
        .unwrap();
    let kde = &r["classes"][0]["estimate"];
    let given = spec["traders"][0]["distribution"]["samples"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(kde["method"], "kde");
    assert_eq!(kde["n"].as_u64().unwrap() as usize, given);
    assert!(kde["distinct"].as_u64().unwrap() <= kde["n"].as_u64().unwrap());
    assert_eq!(kde["support"], serde_json::json!([0.0, 2.0]));
    assert!(kde["log_likelihood"].as_f64().unwrap().is_finite());
    let p = &kde["parameters"]["kde"];
    assert!(p["bandwidth"].as_f64().unwrap() > 0.0);
    assert!(p["rule"] == "improved_sheather_jones" || p["rule"] == "silverman");
    let lc = &r["classes"][1]["estimate"];
    assert_eq!(lc["method"], "log_concave");
    assert!(
        lc["parameters"]["log_concave"]["smoothing_sd"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}
