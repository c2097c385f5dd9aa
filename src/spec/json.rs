//! The JSON front end: a [`Spec`] read from JSON text, and the report or
//! the frontier written back as JSON (feature `serde`).
//!
//! This is what the `exchange-design` command line (feature `cli`) and the
//! `solve` and `frontier` examples call. Every error is one line that
//! names the offending field by its path, such as
//! `traders[0].distribution.sigma: …`. Only this module knows JSON; the
//! types below it derive `serde` traits and nothing more.
//!
//! # Example
//! ```
//! use exchange_design::spec::json;
//! let text = r#"{"alpha": 1.0, "traders": [
//!     {"kappa": 0.5, "count": 3, "distribution": {"family": "uniform", "lo": -1, "hi": 1}}]}"#;
//! let report = json::solve(text)?;
//! assert!(report.contains("\"no_trade_probability\""));
//! let err = json::solve(r#"{"alpha": 1.0, "traders": [{"kappa": "x"}]}"#).unwrap_err();
//! assert!(err.to_string().starts_with("traders[0].kappa"));
//! # Ok::<(), exchange_design::spec::json::JsonError>(())
//! ```

use super::{Report, Spec, SpecError};
use crate::benchmarks::{Frontier, FrontierConfig};
use std::io::Write;
use thiserror::Error;

/// Why JSON text could not be turned into a report.
///
/// # Example
/// ```
/// use exchange_design::spec::json::{parse_spec, JsonError};
/// let err = parse_spec("{").unwrap_err();
/// assert!(matches!(err, JsonError::Parse { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum JsonError {
    /// The text is not a spec: bad JSON, a missing, unknown or mistyped
    /// field. The message starts with the field's path.
    #[error("{message}")]
    Parse {
        /// One line: `path: what is wrong`.
        message: String,
    },
    /// The spec parsed but cannot be run (a bad value, a failed solve).
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The report could not be written (a closed pipe, a full disk).
    #[error("report: {message}")]
    Write {
        /// What the writer said.
        message: String,
    },
}

/// One line, whatever the message contains.
fn one_line(s: String) -> String {
    if s.contains('\n') {
        s.replace('\n', " ")
    } else {
        s
    }
}

/// Parses a spec, or says which field is wrong.
///
/// A valid spec is parsed once, without tracking the path (at a million
/// traders the tracking costs 0.6 s of 1.6 s); only a spec that fails is
/// parsed again with `serde_path_to_error`, for the field's name.
///
/// # Errors
/// [`JsonError::Parse`], its message starting with the field's path (or
/// `spec:` when the text as a whole is wrong).
///
/// # Example
/// ```
/// use exchange_design::spec::json::parse_spec;
/// let spec = parse_spec(r#"{"alpha": 0.5, "traders": []}"#)?;
/// assert_eq!(spec.alpha, 0.5);
/// # Ok::<(), exchange_design::spec::json::JsonError>(())
/// ```
pub fn parse_spec(text: &str) -> Result<Spec, JsonError> {
    if let Ok(spec) = serde_json::from_str::<Spec>(text) {
        return Ok(spec);
    }
    let parse = |message: String| JsonError::Parse {
        message: one_line(message),
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let spec: Spec = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let family = family_at(text, e.path());
        let path = e.path().to_string();
        let mut inner = e.into_inner().to_string();
        if let Some(family) = family {
            inner = own_fields_only(&inner, family);
        }
        if path == "." || path.is_empty() {
            parse(format!("spec: {inner}"))
        } else {
            parse(format!("{path}: {inner}"))
        }
    })?;
    // Trailing characters after the spec are an error too.
    de.end().map_err(|e| parse(format!("spec: {e}")))?;
    Ok(spec)
}

/// The `family` of the distribution object at `path`, if that is where the
/// error is (only for an error message, so the text is parsed again).
fn family_at(text: &str, path: &serde_path_to_error::Path) -> Option<&'static str> {
    use serde_path_to_error::Segment;
    let root: serde_json::Value = serde_json::from_str(text).ok()?;
    // The path ends at the unknown field itself, in the object with the
    // `family`.
    let mut v = &root;
    let mut parent = None;
    for segment in path.iter() {
        parent = Some(v);
        v = match segment {
            Segment::Seq { index } => v.get(*index)?,
            Segment::Map { key } => v.get(key.as_str())?,
            _ => return None,
        };
    }
    let family = parent?.get("family")?.as_str()?;
    // The 'static name, so that the caller need not keep the text.
    [
        "uniform",
        "truncated_normal",
        "beta",
        "triangular",
        "piecewise_linear",
        "mixture",
        "estimate",
    ]
    .into_iter()
    .find(|f| *f == family)
}

/// serde's "unknown field `x`, expected one of …" lists every family's
/// parameters; name only the family's own instead.
fn own_fields_only(message: &str, family: &str) -> String {
    let (Some(fields), Some(rest)) = (
        super::family_fields(family),
        message.strip_prefix("unknown field `"),
    ) else {
        return message.to_string();
    };
    let Some((field, rest)) = rest.split_once('`') else {
        return message.to_string();
    };
    // serde_json ends its messages with the position, e.g. " at line 3 column 9".
    let position = rest.find(" at line ").map_or("", |i| &rest[i..]);
    let list: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
    format!(
        "unknown field `{field}`; family `{family}` takes `family`, {}{position}",
        list.join(", ")
    )
}

/// Writes `value` as pretty-printed JSON followed by a newline, as it is
/// serialised (a million traders' report is never held as one string).
///
/// # Errors
/// [`JsonError::Write`] when the writer fails.
///
/// # Example
/// ```
/// use exchange_design::spec::json::{parse_spec, write_pretty};
/// let spec = parse_spec(r#"{"alpha": 1.0, "traders": [
///     {"kappa": 1, "count": 2, "distribution": {"family": "uniform", "lo": 0, "hi": 1}}]}"#)?;
/// let mut out = Vec::new();
/// write_pretty(&mut out, &spec.run()?)?;
/// assert!(out.ends_with(b"}\n"));
/// # Ok::<(), exchange_design::spec::json::JsonError>(())
/// ```
pub fn write_pretty<W: Write, T: serde::Serialize + ?Sized>(
    out: W,
    value: &T,
) -> Result<(), JsonError> {
    let mut out = std::io::BufWriter::new(out);
    let write = |e: &dyn std::fmt::Display| JsonError::Write {
        message: one_line(e.to_string()),
    };
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| write(&e))?;
    writeln!(out)
        .and_then(|()| out.flush())
        .map_err(|e| write(&e))
}

/// Pretty-printed JSON of a report, as the `solve` command prints it.
///
/// # Errors
/// [`JsonError::Write`] if serialisation fails.
///
/// # Example
/// ```
/// use exchange_design::spec::json::{parse_spec, report_to_string};
/// let spec = parse_spec(r#"{"alpha": 1.0, "traders": [
///     {"kappa": 1, "count": 2, "distribution": {"family": "uniform", "lo": 0, "hi": 1}}]}"#)?;
/// assert!(report_to_string(&spec.run()?)?.starts_with('{'));
/// # Ok::<(), exchange_design::spec::json::JsonError>(())
/// ```
pub fn report_to_string(report: &Report) -> Result<String, JsonError> {
    serde_json::to_string_pretty(report).map_err(|e| JsonError::Write {
        message: one_line(e.to_string()),
    })
}

/// Parses a spec, runs it and returns the report as pretty-printed JSON.
///
/// # Errors
/// [`JsonError::Parse`] for text that is not a spec, [`JsonError::Spec`]
/// for a spec that cannot be run.
///
/// # Example
/// ```
/// use exchange_design::spec::json;
/// let err = json::solve(r#"{"alpha": 2, "traders": []}"#).unwrap_err();
/// assert!(err.to_string().starts_with("alpha"));
/// ```
pub fn solve(text: &str) -> Result<String, JsonError> {
    let report = parse_spec(text)?.run()?;
    report_to_string(&report)
}

/// The efficiency–revenue frontier of a spec's market, as JSON:
/// `{"points": [{"alpha", "efficiency", "revenue"}, …], "first_best",
/// "double_auction", "double_auction_with_fees"}` (the last two `null`
/// when the plain double auction has no linear equilibrium).
///
/// The spec's `alpha` plays no part (the frontier spans every α) but must
/// still be in `[0, 1]`, so that a typo is not silently ignored; its
/// `fee_queries`, `assess` and `bootstrap` are ignored.
///
/// # Errors
/// As [`solve`]; a frontier that cannot be computed is a
/// [`JsonError::Spec`] holding [`SpecError::Benchmark`].
///
/// # Example
/// ```
/// use exchange_design::spec::json;
/// let text = r#"{"alpha": 1.5, "traders": [
///     {"kappa": 1, "count": 2, "distribution": {"family": "uniform", "lo": 0, "hi": 1}}]}"#;
/// assert!(json::frontier(text).unwrap_err().to_string().starts_with("alpha"));
/// ```
pub fn frontier(text: &str) -> Result<String, JsonError> {
    let spec = parse_spec(text)?;
    spec.validate_alpha()?;
    let frontier = Frontier::compute(&spec.market()?, &FrontierConfig::default())
        .map_err(SpecError::Benchmark)?;
    frontier_to_string(&frontier)
}

/// The JSON of a computed frontier (see [`frontier`]).
///
/// # Errors
/// [`JsonError::Write`] if serialisation fails.
///
/// # Example
/// ```
/// use exchange_design::benchmarks::{Frontier, FrontierConfig};
/// use exchange_design::spec::json::{frontier_to_string, parse_spec};
/// let spec = parse_spec(r#"{"alpha": 0, "traders": [
///     {"kappa": 1, "count": 2, "distribution": {"family": "uniform", "lo": 0, "hi": 1}}]}"#)?;
/// let f = Frontier::compute(&spec.market()?, &FrontierConfig::default()).unwrap();
/// assert!(frontier_to_string(&f)?.contains("\"first_best\""));
/// # Ok::<(), exchange_design::spec::json::JsonError>(())
/// ```
pub fn frontier_to_string(frontier: &Frontier) -> Result<String, JsonError> {
    let out = serde_json::json!({
        "points": frontier.points(),
        "first_best": frontier.first_best(),
        "double_auction": frontier.double_auction(),
        "double_auction_with_fees": frontier.double_auction_with_fees(),
    });
    serde_json::to_string_pretty(&out).map_err(|e| JsonError::Write {
        message: one_line(e.to_string()),
    })
}
