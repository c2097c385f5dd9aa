//! Every built-in constructor, and `Market::new`, given bad input: each must
//! return the exact error variant (never panic), and each error's message
//! must be non-empty and name the offending parameter.

use exchange_design::distribution::{
    Beta, DistributionError, PiecewiseLinear, Triangular, TruncatedNormal, Uniform,
};
use exchange_design::market::{Market, MarketError, TraderClass};
use std::fmt::{Debug, Display};
use std::panic::{catch_unwind, RefUnwindSafe};

/// One bad input: how to build it, the error it must give, and words its
/// message must contain.
struct Case<E> {
    what: String,
    build: Box<dyn Fn() -> Result<(), E> + RefUnwindSafe>,
    expect: Box<dyn Fn(&E) -> bool>,
    names: Vec<String>,
}

fn case<E, B, X>(what: impl Into<String>, build: B, expect: X, names: &[&str]) -> Case<E>
where
    B: Fn() -> Result<(), E> + RefUnwindSafe + 'static,
    X: Fn(&E) -> bool + 'static,
{
    Case {
        what: what.into(),
        build: Box::new(build),
        expect: Box::new(expect),
        names: names.iter().map(|s| s.to_string()).collect(),
    }
}

/// Runs every case, collecting all failures before reporting them.
fn run_all<E: Display + Debug>(cases: Vec<Case<E>>) {
    let mut failures = Vec::new();
    let total = cases.len();
    for c in cases {
        let outcome = catch_unwind(|| (c.build)());
        let err = match outcome {
            Err(_) => {
                failures.push(format!("{}: panicked", c.what));
                continue;
            }
            Ok(Ok(())) => {
                failures.push(format!("{}: was accepted", c.what));
                continue;
            }
            Ok(Err(e)) => e,
        };
        if !(c.expect)(&err) {
            failures.push(format!("{}: wrong error {err:?}", c.what));
        }
        let msg = err.to_string();
        if msg.trim().is_empty() {
            failures.push(format!("{}: empty message", c.what));
        }
        for name in &c.names {
            if !msg.contains(name.as_str()) {
                failures.push(format!(
                    "{}: message {msg:?} does not name {name:?}",
                    c.what
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{total} cases");
}

const NON_FINITE: [f64; 3] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY];

/// `NonFiniteParameter { name, value }` with this name and (bitwise, so NaN
/// matches NaN) this value.
fn non_finite(name: &'static str, bad: f64) -> impl Fn(&DistributionError) -> bool {
    move |e| {
        matches!(e, DistributionError::NonFiniteParameter { name: n, value }
            if *n == name && value.to_bits() == bad.to_bits())
    }
}

/// Rows replacing each parameter in turn by NaN, +∞ and −∞.
fn non_finite_rows<const N: usize>(
    family: &str,
    names: [&'static str; N],
    good: [f64; N],
    build: fn([f64; N]) -> Result<(), DistributionError>,
) -> Vec<Case<DistributionError>> {
    let mut rows = Vec::new();
    for (i, name) in names.iter().copied().enumerate() {
        for bad in NON_FINITE {
            let mut p = good;
            p[i] = bad;
            rows.push(case(
                format!("{family}: {name} = {bad}"),
                move || build(p),
                non_finite(name, bad),
                &[&format!("`{name}`")],
            ));
        }
    }
    rows
}

fn empty_support(lo: f64, hi: f64) -> impl Fn(&DistributionError) -> bool {
    move |e| matches!(e, DistributionError::EmptySupport { lo: l, hi: h } if *l == lo && *h == hi)
}

fn uniform(p: [f64; 2]) -> Result<(), DistributionError> {
    Uniform::new(p[0], p[1]).map(drop)
}

fn truncated_normal(p: [f64; 4]) -> Result<(), DistributionError> {
    TruncatedNormal::new(p[0], p[1], p[2], p[3]).map(drop)
}

fn beta(p: [f64; 4]) -> Result<(), DistributionError> {
    Beta::new(p[0], p[1], p[2], p[3]).map(drop)
}

fn triangular(p: [f64; 3]) -> Result<(), DistributionError> {
    Triangular::new(p[0], p[1], p[2]).map(drop)
}

fn piecewise(
    z: Vec<f64>,
    d: Vec<f64>,
) -> impl Fn() -> Result<(), DistributionError> + RefUnwindSafe {
    move || PiecewiseLinear::new(z.clone(), d.clone()).map(drop)
}

#[test]
fn uniform_rejects_bad_parameters() {
    let mut rows = non_finite_rows("Uniform", ["lo", "hi"], [-1.0, 1.0], uniform);
    for (lo, hi) in [(1.0, 1.0), (2.0, 1.0), (0.0, -0.0)] {
        rows.push(case(
            format!("Uniform: lo = {lo}, hi = {hi}"),
            move || uniform([lo, hi]),
            empty_support(lo, hi),
            &["lo", "hi"],
        ));
    }
    run_all(rows);
}

#[test]
fn truncated_normal_rejects_bad_parameters() {
    let mut rows = non_finite_rows(
        "TruncatedNormal",
        ["mu", "sigma", "lo", "hi"],
        [0.0, 1.0, -1.0, 1.0],
        truncated_normal,
    );
    for sigma in [0.0, -0.0, -1.0, -1e-300] {
        rows.push(case(
            format!("TruncatedNormal: sigma = {sigma}"),
            move || truncated_normal([0.0, sigma, -1.0, 1.0]),
            move |e| {
                matches!(e, DistributionError::NonPositiveScale { name: "sigma", value }
                    if value.to_bits() == sigma.to_bits())
            },
            &["`sigma`"],
        ));
    }
    for (lo, hi) in [(1.0, 1.0), (2.0, -2.0)] {
        rows.push(case(
            format!("TruncatedNormal: lo = {lo}, hi = {hi}"),
            move || truncated_normal([0.0, 1.0, lo, hi]),
            empty_support(lo, hi),
            &["lo", "hi"],
        ));
    }
    // 40 standard deviations from the mean: no representable mass.
    rows.push(case(
        "TruncatedNormal: support 40 sigma away",
        || truncated_normal([0.0, 1.0, 40.0, 41.0]),
        |e| matches!(e, DistributionError::NoMassInSupport { lo, hi } if *lo == 40.0 && *hi == 41.0),
        &["40", "41"],
    ));
    run_all(rows);
}

#[test]
fn beta_rejects_bad_parameters() {
    let mut rows = non_finite_rows("Beta", ["a", "b", "lo", "hi"], [2.0, 3.0, -1.0, 2.0], beta);
    for (a, b, name, value) in [
        (0.5, 3.0, "a", 0.5),
        (1.0 - 1e-12, 3.0, "a", 1.0 - 1e-12),
        (0.0, 3.0, "a", 0.0),
        (-1.0, 3.0, "a", -1.0),
        (2.0, 0.5, "b", 0.5),
        (2.0, -2.0, "b", -2.0),
        (0.5, 0.5, "a", 0.5),
    ] {
        rows.push(case(
            format!("Beta: a = {a}, b = {b}"),
            move || beta([a, b, -1.0, 2.0]),
            move |e| {
                matches!(e, DistributionError::ShapeBelowOne { name: n, value: v }
                    if *n == name && *v == value)
            },
            &[&format!("`{name}`")],
        ));
    }
    for (lo, hi) in [(1.0, 1.0), (2.0, -1.0)] {
        rows.push(case(
            format!("Beta: lo = {lo}, hi = {hi}"),
            move || beta([2.0, 3.0, lo, hi]),
            empty_support(lo, hi),
            &["lo", "hi"],
        ));
    }
    run_all(rows);
}

#[test]
fn triangular_rejects_bad_parameters() {
    let mut rows = non_finite_rows(
        "Triangular",
        ["lo", "mode", "hi"],
        [-1.0, 0.0, 1.0],
        triangular,
    );
    for (lo, mode, hi) in [(1.0, 1.0, 1.0), (2.0, 1.5, 1.0), (2.0, 5.0, 1.0)] {
        rows.push(case(
            format!("Triangular: lo = {lo}, hi = {hi}"),
            move || triangular([lo, mode, hi]),
            empty_support(lo, hi),
            &["lo", "hi"],
        ));
    }
    for mode in [-0.1, 1.1, 1e300, -1e300] {
        rows.push(case(
            format!("Triangular: mode = {mode} outside [0, 1]"),
            move || triangular([0.0, mode, 1.0]),
            move |e| {
                matches!(e, DistributionError::ModeOutsideSupport { mode: m, lo, hi }
                    if *m == mode && *lo == 0.0 && *hi == 1.0)
            },
            &["mode"],
        ));
    }
    run_all(rows);
}

#[test]
fn piecewise_linear_rejects_bad_tables() {
    use DistributionError as E;
    let mut rows = vec![
        case(
            "PiecewiseLinear: empty grid",
            piecewise(vec![], vec![]),
            |e| matches!(e, E::GridTooShort { len: 0 }),
            &["grid"],
        ),
        case(
            "PiecewiseLinear: one grid point",
            piecewise(vec![0.0], vec![1.0]),
            |e| matches!(e, E::GridTooShort { len: 1 }),
            &["grid"],
        ),
        case(
            "PiecewiseLinear: density shorter than grid",
            piecewise(vec![0.0, 1.0], vec![1.0]),
            |e| {
                matches!(
                    e,
                    E::LengthMismatch {
                        grid: 2,
                        density: 1
                    }
                )
            },
            &["grid", "density"],
        ),
        case(
            "PiecewiseLinear: density longer than grid",
            piecewise(vec![0.0, 1.0], vec![1.0, 1.0, 1.0]),
            |e| {
                matches!(
                    e,
                    E::LengthMismatch {
                        grid: 2,
                        density: 3
                    }
                )
            },
            &["grid", "density"],
        ),
        case(
            "PiecewiseLinear: repeated grid point",
            piecewise(vec![0.0, 1.0, 1.0], vec![1.0, 1.0, 1.0]),
            |e| matches!(e, E::GridNotIncreasing { index: 2, value } if *value == 1.0),
            &["grid"],
        ),
        case(
            "PiecewiseLinear: decreasing grid",
            piecewise(vec![0.0, 2.0, 1.0], vec![1.0, 1.0, 1.0]),
            |e| matches!(e, E::GridNotIncreasing { index: 2, value } if *value == 1.0),
            &["grid"],
        ),
        case(
            "PiecewiseLinear: reversed two-point grid",
            piecewise(vec![1.0, 0.0], vec![1.0, 1.0]),
            |e| matches!(e, E::GridNotIncreasing { index: 1, value } if *value == 0.0),
            &["grid"],
        ),
        case(
            "PiecewiseLinear: negative interior value",
            piecewise(vec![0.0, 1.0, 2.0], vec![1.0, -1.0, 1.0]),
            |e| matches!(e, E::NegativeDensity { index: 1, value } if *value == -1.0),
            &["density"],
        ),
        case(
            "PiecewiseLinear: negative end value",
            piecewise(vec![0.0, 1.0], vec![-0.5, 1.0]),
            |e| matches!(e, E::NegativeDensity { index: 0, value } if *value == -0.5),
            &["density"],
        ),
        case(
            "PiecewiseLinear: all zero",
            piecewise(vec![0.0, 1.0, 2.0], vec![0.0, 0.0, 0.0]),
            |e| matches!(e, E::NotNormalisable { total } if *total == 0.0),
            &["density"],
        ),
        case(
            "PiecewiseLinear: two zeros",
            piecewise(vec![0.0, 1.0], vec![0.0, 0.0]),
            |e| matches!(e, E::NotNormalisable { total } if *total == 0.0),
            &["density"],
        ),
        case(
            "PiecewiseLinear: grid too wide to compute with",
            piecewise(vec![-1e308, 1e308], vec![1.0, 1.0]),
            |e| matches!(e, E::UnrepresentableSupport { lo, hi } if *lo == -1e308 && *hi == 1e308),
            &["support", "1e150"],
        ),
        case(
            "PiecewiseLinear: mass overflows",
            piecewise(vec![0.0, 1.0], vec![1e308, 1e308]),
            |e| matches!(e, E::NotNormalisable { total } if *total == f64::INFINITY),
            &["density"],
        ),
        case(
            "PiecewiseLinear: no mass on the last segment",
            piecewise(vec![0.0, 1.0, 2.0, 3.0], vec![1.0, 1.0, 0.0, 0.0]),
            |e| matches!(e, E::VanishingDensity { at } if *at == 3.0),
            &["density"],
        ),
    ];
    for bad in NON_FINITE {
        rows.push(case(
            format!("PiecewiseLinear: grid point {bad}"),
            piecewise(vec![0.0, bad, 2.0], vec![1.0, 1.0, 1.0]),
            non_finite("z", bad),
            &["`z`"],
        ));
        rows.push(case(
            format!("PiecewiseLinear: density value {bad}"),
            piecewise(vec![0.0, 1.0, 2.0], vec![1.0, 1.0, bad]),
            non_finite("density", bad),
            &["`density`"],
        ));
    }
    run_all(rows);
}

#[test]
fn boundary_parameters_are_accepted() {
    assert!(Beta::new(1.0, 1.0, 0.0, 1.0).is_ok());
    assert!(Triangular::new(0.0, 0.0, 1.0).is_ok());
    assert!(Triangular::new(0.0, 1.0, 1.0).is_ok());
    assert!(PiecewiseLinear::new(vec![0.0, 1.0], vec![0.0, 1.0]).is_ok());
    assert!(PiecewiseLinear::new(vec![0.0, 1.0, 2.0], vec![0.0, 1.0, 0.0]).is_ok());
    assert!(TruncatedNormal::new(0.0, 1e-3, -1.0, 1.0).is_ok());
}

fn market(classes: Vec<(f64, u64)>) -> impl Fn() -> Result<(), MarketError> + RefUnwindSafe {
    move || {
        let u = Uniform::new(-1.0, 1.0).unwrap();
        Market::new(
            classes
                .iter()
                .map(|&(kappa, count)| TraderClass::new(kappa, u, count))
                .collect(),
        )
        .map(drop)
    }
}

#[test]
fn market_rejects_bad_classes() {
    let mut rows = Vec::new();
    for kappa in [f64::NAN, 0.0, -0.0, -1.0, f64::INFINITY, f64::NEG_INFINITY] {
        rows.push(case(
            format!("Market: kappa = {kappa}"),
            market(vec![(kappa, 3)]),
            move |e| {
                matches!(e, MarketError::InvalidKappa { class: 0, value }
                    if value.to_bits() == kappa.to_bits())
            },
            &["kappa", "class 0"],
        ));
        rows.push(case(
            format!("Market: kappa = {kappa} in the second class"),
            market(vec![(1.0, 3), (kappa, 2)]),
            move |e| {
                matches!(e, MarketError::InvalidKappa { class: 1, value }
                    if value.to_bits() == kappa.to_bits())
            },
            &["kappa", "class 1"],
        ));
    }
    rows.push(case(
        "Market: count 0",
        market(vec![(1.0, 2), (1.0, 0)]),
        |e| matches!(e, MarketError::ZeroCount { class: 1 }),
        &["count", "class 1"],
    ));
    rows.push(case(
        "Market: one trader in total",
        market(vec![(1.0, 1)]),
        |e| matches!(e, MarketError::TooFewTraders { n: 1 }),
        &["trader", "1"],
    ));
    rows.push(case(
        "Market: no classes",
        market(vec![]),
        |e| matches!(e, MarketError::TooFewTraders { n: 0 }),
        &["trader", "0"],
    ));
    run_all(rows);
}
