//! Hostile input (issue #6): every public constructor and query fed NaN,
//! ±∞, 0, negative, subnormal (`f64::MIN_POSITIVE / 2`) and huge (1e300)
//! values; a proptest of arbitrary `f64`s through constructors and `solve`
//! (no panic, no NaN in any returned number); and numerically extreme but
//! legal markets, which must solve with finite, correct-looking results or a
//! clear error.
//!
//! Every built-in family is covered: Uniform, TruncatedNormal, Beta, Triangular,
//! PiecewiseLinear.

use exchange_design::distribution::{
    Beta, DistributionError, PiecewiseLinear, Triangular, TruncatedNormal, Uniform,
};
use exchange_design::market::{Market, MarketError, TraderClass};
use exchange_design::mechanism::DirectMechanism;
use exchange_design::mechanism::{MechanismError, OptimalMechanism};
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestRunner};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

const NAN: f64 = f64::NAN;
const INF: f64 = f64::INFINITY;
const SUB: f64 = f64::MIN_POSITIVE / 2.0;
const HUGE: f64 = 1e300;

fn u(lo: f64, hi: f64) -> Uniform {
    Uniform::new(lo, hi).unwrap()
}

fn pair(a: TraderClass, b: TraderClass) -> Market {
    Market::new(vec![a, b]).unwrap()
}

/// Asserts the error's `Display` mentions every word in `words`.
fn names(err: &dyn std::fmt::Display, words: &[&str], ctx: &str) {
    let msg = err.to_string();
    for w in words {
        assert!(
            msg.contains(w),
            "{ctx}: message {msg:?} does not mention {w:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// Distribution constructors
// ---------------------------------------------------------------------------

/// What a constructor call must give.
#[derive(Debug, Clone, Copy)]
enum Want {
    /// `Ok` (the value is legal): documented in the row's comment.
    Ok,
    /// `NonFiniteParameter` naming this parameter.
    NonFinite(&'static str),
    EmptySupport,
    ModeOutside,
    GridTooShort(usize),
    LengthMismatch,
    GridNotIncreasing(usize),
    NegativeDensity(usize),
    NotNormalisable,
    Vanishing,
    ShapeBelowOne(&'static str),
    NonPositiveScale(&'static str),
    NoMass,
    /// `UnrepresentableSupport`: ends beyond ±1e150 or a width too small.
    Unrepresentable,
    /// `ScaleOutOfRange` naming this parameter.
    ScaleOutOfRange(&'static str),
}

fn check_dist<T: std::fmt::Debug>(ctx: &str, got: Result<T, DistributionError>, want: Want) {
    use DistributionError as E;
    match (&got, &want) {
        (Ok(_), Want::Ok) => {}
        (Err(e @ E::NonFiniteParameter { name, .. }), Want::NonFinite(w)) => {
            assert_eq!(name, w, "{ctx}");
            names(e, &[&format!("`{w}`"), "finite"], ctx);
        }
        (Err(e @ E::EmptySupport { .. }), Want::EmptySupport) => {
            names(e, &["lo", "hi", "less than"], ctx)
        }
        (Err(e @ E::ModeOutsideSupport { .. }), Want::ModeOutside) => {
            names(e, &["mode", "lo ≤ mode ≤ hi"], ctx)
        }
        (Err(e @ E::GridTooShort { len }), Want::GridTooShort(n)) => {
            assert_eq!(len, n, "{ctx}");
            names(e, &["grid", "at least 2"], ctx);
        }
        (Err(e @ E::LengthMismatch { .. }), Want::LengthMismatch) => {
            names(e, &["grid", "density"], ctx)
        }
        (Err(e @ E::GridNotIncreasing { index, .. }), Want::GridNotIncreasing(i)) => {
            assert_eq!(index, i, "{ctx}");
            names(e, &["grid", "increasing"], ctx);
        }
        (Err(e @ E::NegativeDensity { index, .. }), Want::NegativeDensity(i)) => {
            assert_eq!(index, i, "{ctx}");
            names(e, &["density", "non-negative"], ctx);
        }
        (Err(e @ E::NotNormalisable { .. }), Want::NotNormalisable) => {
            names(e, &["density", "mass"], ctx)
        }
        (Err(e @ E::VanishingDensity { .. }), Want::Vanishing) => {
            names(e, &["density", "vanishes"], ctx)
        }
        (Err(e @ E::ShapeBelowOne { name, .. }), Want::ShapeBelowOne(w)) => {
            assert_eq!(name, w, "{ctx}");
            names(e, &[&format!("`{w}`"), "at least 1"], ctx);
        }
        (Err(e @ E::NonPositiveScale { name, .. }), Want::NonPositiveScale(w)) => {
            assert_eq!(name, w, "{ctx}");
            names(e, &[&format!("`{w}`"), "strictly positive"], ctx);
        }
        (Err(e @ E::NoMassInSupport { .. }), Want::NoMass) => names(e, &["support", "mean"], ctx),
        (Err(e @ E::UnrepresentableSupport { .. }), Want::Unrepresentable) => {
            names(e, &["support", "1e150", "width"], ctx)
        }
        (Err(e @ E::ScaleOutOfRange { name, .. }), Want::ScaleOutOfRange(w)) => {
            assert_eq!(name, w, "{ctx}");
            names(e, &[&format!("`{w}`"), "between"], ctx);
        }
        _ => panic!("{ctx}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn uniform_constructor_table() {
    use Want::*;
    let rows: &[(f64, f64, Want)] = &[
        (NAN, 1.0, NonFinite("lo")),
        (0.0, NAN, NonFinite("hi")),
        (INF, 1.0, NonFinite("lo")),
        (-INF, 1.0, NonFinite("lo")),
        (0.0, INF, NonFinite("hi")),
        (0.0, -INF, NonFinite("hi")),
        (NAN, NAN, NonFinite("lo")),
        (0.0, 0.0, EmptySupport),
        (1.0, 0.0, EmptySupport),
        (-1.0, -2.0, EmptySupport),
        (SUB, SUB, EmptySupport),
        (HUGE, HUGE, EmptySupport),
        (-0.0, 0.0, EmptySupport), // −0 == 0: an empty support
        // Legal: negative ends, a subnormal end with an ordinary width, and
        // ends up to ±1e150.
        (-2.0, -1.0, Ok),
        (SUB, 1.0, Ok),
        (-1e150, 1e150, Ok),
        // Not computable: a subnormal width, ends beyond ±1e150, a width
        // below the spacing of floats at the ends.
        (0.0, SUB, Unrepresentable),
        (-SUB, SUB, Unrepresentable),
        (-HUGE, HUGE, Unrepresentable),
        (HUGE, 2.0 * HUGE, Unrepresentable),
        (1e6, 1e6 + 1e-9, Unrepresentable),
    ];
    for (lo, hi, want) in rows {
        check_dist(
            &format!("Uniform::new({lo:e}, {hi:e})"),
            Uniform::new(*lo, *hi),
            *want,
        );
    }
}

#[test]
fn triangular_constructor_table() {
    use Want::*;
    let rows: &[(f64, f64, f64, Want)] = &[
        (NAN, 0.5, 1.0, NonFinite("lo")),
        (0.0, NAN, 1.0, NonFinite("mode")),
        (0.0, 0.5, NAN, NonFinite("hi")),
        (-INF, 0.5, 1.0, NonFinite("lo")),
        (0.0, INF, 1.0, NonFinite("mode")),
        (0.0, -INF, 1.0, NonFinite("mode")),
        (0.0, 0.5, INF, NonFinite("hi")),
        (1.0, 0.5, 0.0, EmptySupport),
        (0.0, 0.0, 0.0, EmptySupport),
        (0.0, 2.0, 1.0, ModeOutside),
        (0.0, -1.0, 1.0, ModeOutside),
        (0.0, -SUB, 1.0, ModeOutside),
        (0.0, HUGE, 1.0, ModeOutside),
        // Legal: the mode at either end, a subnormal mode, negative supports.
        (0.0, 0.0, 1.0, Ok),
        (0.0, 1.0, 1.0, Ok),
        (0.0, SUB, 1.0, Ok),
        (-3.0, -2.5, -2.0, Ok),
        (-1e150, 0.0, 1e150, Ok),
        // Not computable: ends beyond ±1e150.
        (-HUGE, 0.0, HUGE, Unrepresentable),
    ];
    for (lo, mode, hi, want) in rows {
        check_dist(
            &format!("Triangular::new({lo:e}, {mode:e}, {hi:e})"),
            Triangular::new(*lo, *mode, *hi),
            *want,
        );
    }
}

#[test]
fn beta_constructor_table() {
    use Want::*;
    let rows: &[(f64, f64, f64, f64, Want)] = &[
        (NAN, 2.0, 0.0, 1.0, NonFinite("a")),
        (2.0, NAN, 0.0, 1.0, NonFinite("b")),
        (INF, 2.0, 0.0, 1.0, NonFinite("a")),
        (2.0, INF, 0.0, 1.0, NonFinite("b")),
        (-INF, 2.0, 0.0, 1.0, NonFinite("a")),
        (2.0, 2.0, NAN, 1.0, NonFinite("lo")),
        (2.0, 2.0, 0.0, INF, NonFinite("hi")),
        (0.5, 2.0, 0.0, 1.0, ShapeBelowOne("a")),
        (2.0, 0.0, 0.0, 1.0, ShapeBelowOne("b")),
        (-1.0, 2.0, 0.0, 1.0, ShapeBelowOne("a")),
        (SUB, 2.0, 0.0, 1.0, ShapeBelowOne("a")),
        (1.0 - f64::EPSILON, 2.0, 0.0, 1.0, ShapeBelowOne("a")),
        (2.0, 2.0, 1.0, 1.0, EmptySupport),
        (2.0, 2.0, 1.0, -1.0, EmptySupport),
        // Legal: shapes exactly 1 (uniform), large shapes, negative support.
        (1.0, 1.0, 0.0, 1.0, Ok),
        (3.0, 3.0, -1.0, 1.0, Ok),
        (50.0, 2.0, -3.0, -2.0, Ok),
    ];
    for (a, b, lo, hi, want) in rows {
        check_dist(
            &format!("Beta::new({a:e}, {b:e}, {lo:e}, {hi:e})"),
            Beta::new(*a, *b, *lo, *hi),
            *want,
        );
    }
}

#[test]
fn truncated_normal_constructor_table() {
    use Want::*;
    let rows: &[(f64, f64, f64, f64, Want)] = &[
        (NAN, 1.0, -1.0, 1.0, NonFinite("mu")),
        (INF, 1.0, -1.0, 1.0, NonFinite("mu")),
        (0.0, NAN, -1.0, 1.0, NonFinite("sigma")),
        (0.0, INF, -1.0, 1.0, NonFinite("sigma")),
        (0.0, 1.0, NAN, 1.0, NonFinite("lo")),
        (0.0, 1.0, -1.0, -INF, NonFinite("hi")),
        (0.0, 0.0, -1.0, 1.0, NonPositiveScale("sigma")),
        (0.0, -0.0, -1.0, 1.0, NonPositiveScale("sigma")),
        (0.0, -1.0, -1.0, 1.0, NonPositiveScale("sigma")),
        (0.0, -SUB, -1.0, 1.0, NonPositiveScale("sigma")),
        (0.0, 1.0, 1.0, 1.0, EmptySupport),
        (0.0, 1.0, 1.0, -1.0, EmptySupport),
        (0.0, 1.0, 40.0, 41.0, NoMass),
        (HUGE, 1.0, 0.0, 1.0, NoMass),
        (0.0, 1e-3, 5.0, 6.0, NoMass),
        // Legal: the mean outside the support but mass representable, a
        // huge σ (nearly uniform), a narrow σ inside the support.
        (3.0, 1.0, -1.0, 1.0, Ok),
        (0.0, 1e6, -1.0, 1.0, Ok),
        (0.0, 1e-3, -1.0, 1.0, Ok),
        // σ outside [1e-9 · width, 1e150]: a spike the solver cannot
        // resolve, or a scale whose square overflows.
        (0.0, HUGE, -1.0, 1.0, ScaleOutOfRange("sigma")),
        (-HUGE, HUGE, -1.0, 1.0, ScaleOutOfRange("sigma")),
        (0.0, 1e-12, -1.0, 1.0, ScaleOutOfRange("sigma")),
        (0.0, SUB, -1.0, 1.0, ScaleOutOfRange("sigma")),
    ];
    for (mu, sigma, lo, hi, want) in rows {
        check_dist(
            &format!("TruncatedNormal::new({mu:e}, {sigma:e}, {lo:e}, {hi:e})"),
            TruncatedNormal::new(*mu, *sigma, *lo, *hi),
            *want,
        );
    }
}

#[test]
fn piecewise_linear_constructor_table() {
    use Want::*;
    let rows: Vec<(Vec<f64>, Vec<f64>, Want)> = vec![
        (vec![], vec![], GridTooShort(0)),
        (vec![0.0], vec![1.0], GridTooShort(1)),
        (vec![0.0, 1.0], vec![1.0], LengthMismatch),
        (vec![0.0, 1.0], vec![1.0, 1.0, 1.0], LengthMismatch),
        (vec![NAN, 1.0], vec![1.0, 1.0], NonFinite("z")),
        (vec![0.0, INF], vec![1.0, 1.0], NonFinite("z")),
        (vec![-INF, 0.0], vec![1.0, 1.0], NonFinite("z")),
        (vec![0.0, 1.0], vec![NAN, 1.0], NonFinite("density")),
        (vec![0.0, 1.0], vec![1.0, INF], NonFinite("density")),
        (vec![0.0, 0.0], vec![1.0, 1.0], GridNotIncreasing(1)),
        (
            vec![0.0, 1.0, 0.5],
            vec![1.0, 1.0, 1.0],
            GridNotIncreasing(2),
        ),
        (vec![0.0, 1.0], vec![-1.0, 1.0], NegativeDensity(0)),
        (vec![0.0, 1.0], vec![1.0, -SUB], NegativeDensity(1)),
        (vec![0.0, 1.0], vec![0.0, 0.0], NotNormalisable),
        (vec![0.0, HUGE], vec![HUGE, HUGE], Unrepresentable), // grid beyond 1e150
        (vec![0.0, 1.0], vec![1e308, 1e308], NotNormalisable), // mass overflows
        (vec![0.0, 1e-300], vec![1e-300, 1e-300], Unrepresentable), // width below 1e-150
        (vec![0.0, 1.0], vec![1e-320, 1e-320], Ok), // a subnormal table: only the shape matters
        (vec![0.0, 1.0, 2.0], vec![0.0, 0.0, 1.0], Vanishing), // no mass on the first segment
        (vec![0.0, 1.0, 2.0], vec![1.0, 0.0, 1.0], Ok), // a zero inside: a gap of one point
        // Legal: zero at an end, subnormal and huge values (only the shape
        // matters), negative grids.
        (vec![0.0, 1.0], vec![0.0, 1.0], Ok),
        (vec![0.0, 1.0, 2.0], vec![0.0, 1.0, 0.0], Ok),
        (vec![0.0, 1.0], vec![SUB, SUB], Ok),
        (vec![0.0, 1.0], vec![HUGE, HUGE], Ok),
        (vec![-2.0, -1.0], vec![1.0, 2.0], Ok),
    ];
    for (z, f, want) in rows {
        let ctx = format!("PiecewiseLinear::new({z:?}, {f:?})");
        check_dist(&ctx, PiecewiseLinear::new(z, f), want);
    }
}

// ---------------------------------------------------------------------------
// Market
// ---------------------------------------------------------------------------

#[test]
fn market_constructor_table() {
    let d = u(-1.0, 1.0);
    let one = |kappa: f64, count: u64| TraderClass::new(kappa, d, count);
    // Invalid κ in class 1 (class 0 is fine).
    for kappa in [NAN, INF, -INF, 0.0, -0.0, -1.0, -SUB, -HUGE] {
        let err = Market::new(vec![one(1.0, 1), one(kappa, 1)]).unwrap_err();
        assert!(
            matches!(err, MarketError::InvalidKappa { class: 1, value } if value.to_bits() == kappa.to_bits()),
            "κ = {kappa}: {err:?}"
        );
        names(
            &err,
            &["class 1", "kappa", "greater than 0"],
            &format!("κ = {kappa}"),
        );
    }
    // A subnormal κ is legal, but next to κ = 1 it is lost to rounding.
    let err = Market::new(vec![one(SUB, 1), one(1.0, 1)]).unwrap_err();
    assert!(
        matches!(err, MarketError::DominantTrader { class: 1, .. }),
        "{err:?}"
    );
    names(
        &err,
        &["class 1", "kappa", "ratio"],
        "subnormal κ next to 1",
    );
    assert!(Market::new(vec![one(SUB, 1), one(SUB, 1)]).is_ok());
    // Huge κ: legal on its own, dominant next to 1, overflowing in total.
    assert!(Market::new(vec![one(HUGE, 1), one(HUGE, 1)]).is_ok());
    let err = Market::new(vec![one(HUGE, 1), one(1.0, 1)]).unwrap_err();
    assert!(
        matches!(err, MarketError::DominantTrader { class: 0, .. }),
        "{err:?}"
    );
    let err = Market::new(vec![one(f64::MAX, 2)]).unwrap_err();
    assert!(matches!(err, MarketError::TooLarge { .. }), "{err:?}");
    names(&err, &["too large", "risk capacity"], "κ = MAX × 2");
    // Counts.
    let err = Market::new(vec![one(1.0, 2), one(1.0, 0)]).unwrap_err();
    assert_eq!(err, MarketError::ZeroCount { class: 1 });
    names(&err, &["class 1", "count"], "count 0");
    let err = Market::new(vec![]).unwrap_err();
    assert_eq!(err, MarketError::TooFewTraders { n: 0 });
    names(&err, &["at least 2"], "no classes");
    let err = Market::new(vec![one(1.0, 1)]).unwrap_err();
    assert_eq!(err, MarketError::TooFewTraders { n: 1 });
    let err = Market::new(vec![one(1.0, u64::MAX), one(1.0, 1)]).unwrap_err();
    assert!(matches!(err, MarketError::TooLarge { .. }), "{err:?}");
    names(&err, &["too large", "number of traders"], "count overflow");
    // u64::MAX traders in one class is representable (κ total 1.8e19).
    assert!(Market::new(vec![one(1.0, u64::MAX)]).is_ok());
}

// ---------------------------------------------------------------------------
// solve and the queries
// ---------------------------------------------------------------------------

fn example_market() -> Market {
    pair(
        TraderClass::new(0.5, u(-1.0, 1.0), 2),
        TraderClass::new(2.0, Triangular::new(-0.5, 0.0, 1.5).unwrap(), 1),
    )
}

#[test]
fn solve_alpha_table() {
    let m = example_market();
    for alpha in [
        NAN,
        INF,
        -INF,
        -1.0,
        -SUB,
        1.0 + f64::EPSILON,
        2.0,
        HUGE,
        -HUGE,
    ] {
        let err = OptimalMechanism::solve(&m, alpha).unwrap_err();
        assert!(
            matches!(err, MechanismError::InvalidAlpha { alpha: a } if a.to_bits() == alpha.to_bits()),
            "α = {alpha}: {err:?}"
        );
        names(&err, &["alpha", "[0, 1]"], &format!("α = {alpha}"));
    }
    // Legal: both ends, −0 (equal to 0), subnormal.
    for alpha in [0.0, -0.0, SUB, 0.5, 1.0] {
        let mech =
            OptimalMechanism::solve(&m, alpha).unwrap_or_else(|e| panic!("α = {alpha}: {e}"));
        assert!(
            mech.revenue().is_finite() && mech.efficiency().is_finite(),
            "α = {alpha}"
        );
    }
}

#[test]
fn query_table() {
    let m = example_market();
    let mech = OptimalMechanism::solve(&m, 0.5).unwrap();
    type Query = fn(&OptimalMechanism, usize, f64) -> Result<f64, MechanismError>;
    let queries: [(&str, Query); 3] = [
        ("interim_allocation", |m, k, z| m.interim_allocation(k, z)),
        ("utility_gain", |m, k, z| m.utility_gain(k, z)),
        ("interim_transfer", |m, k, z| m.interim_transfer(k, z)),
    ];
    for (name, f) in queries {
        for class in [2, 3, usize::MAX] {
            let err = f(&mech, class, 0.0).unwrap_err();
            assert!(
                matches!(err, MechanismError::InvalidQuery(_)),
                "{name}({class}): {err:?}"
            );
            names(&err, &[&format!("class {class}"), "2 classes"], name);
        }
        for z in [NAN, INF, -INF] {
            let err = f(&mech, 0, z).unwrap_err();
            assert!(
                matches!(err, MechanismError::InvalidQuery(_)),
                "{name}(0, {z}): {err:?}"
            );
            names(&err, &["type", "finite"], name);
        }
        // Legal types inside the support, including the ends, 0, −0 and a
        // subnormal: finite values.
        for z in [-1.0, 1.0, 0.0, -0.0, SUB, -SUB, 0.3] {
            let v = f(&mech, 0, z).unwrap_or_else(|e| panic!("{name}(0, {z}): {e}"));
            assert!(v.is_finite(), "{name}(0, {z}) = {v}");
        }
        // Finite types outside the support (up to 1e300) are accepted by
        // the queries; whatever comes back must be finite (or a clear
        // InvalidQuery error), never NaN.
        for z in [2.0, -2.0, 1e6, -1e6, HUGE, -HUGE] {
            match f(&mech, 0, z) {
                Ok(v) => assert!(
                    !v.is_nan(),
                    "{name}(0, {z:e}) = {v} (NaN from a finite type)"
                ),
                Err(MechanismError::InvalidQuery(e)) => {
                    assert!(e.to_string().contains("type"), "{e}")
                }
                Err(e) => panic!("{name}(0, {z:e}): {e:?}"),
            }
        }
    }
    // Ex-post allocation: one type per trader (3 here).
    for types in [vec![], vec![0.0; 2], vec![0.0; 4]] {
        let err = mech.allocation(&types).unwrap_err();
        assert!(
            matches!(err, MechanismError::InvalidQuery(_)),
            "{} types: {err:?}",
            types.len()
        );
        names(
            &err,
            &[&format!("{} types", types.len()), "3 traders"],
            "allocation length",
        );
    }
    for bad in [NAN, INF, -INF] {
        let err = mech.allocation(&[0.0, bad, 0.0]).unwrap_err();
        assert!(matches!(err, MechanismError::InvalidQuery(_)), "{err:?}");
        names(&err, &["type", "finite"], "allocation NaN");
    }
    for types in [vec![SUB, -SUB, 0.0], vec![-0.0; 3], vec![-1.0, 1.0, 1.5]] {
        let x = mech.allocation(&types).unwrap();
        assert!(
            x.iter().all(|v| v.is_finite()),
            "allocation({types:?}) = {x:?}"
        );
    }
    // Types outside their class's support are rejected, naming the support.
    for types in [vec![HUGE, -HUGE, 1.0], vec![2.0, 0.0, 0.0]] {
        let err = mech.allocation(&types).unwrap_err();
        assert!(matches!(err, MechanismError::InvalidQuery(_)), "{err:?}");
        names(&err, &["type", "support"], "allocation outside the support");
    }
    // The first best has the same queries.
    let fb = mech.first_best().unwrap();
    assert!(matches!(
        fb.allocation(&[0.0]),
        Err(MechanismError::InvalidQuery(_))
    ));
    assert!(matches!(
        fb.mechanism().interim_allocation(9, 0.0),
        Err(MechanismError::InvalidQuery(_))
    ));
}

/// Supports whose width or scale is not representable in the formulas (the
/// width overflows, its reciprocal overflows, the width is subnormal, or a
/// square of the scale overflows). Each constructor accepts its finite
/// parameters; the pipeline constructor → `Market::new` → `solve` must then
/// either give finite numbers or an error whose message says what to change
/// (names a parameter, the width, or says to rescale), and must never panic.
#[test]
fn unrepresentable_supports_fail_clearly() {
    let tri = || TraderClass::new(1.0, Triangular::new(0.0, 0.5, 1.0).unwrap(), 1);
    type Build = Box<dyn Fn() -> Result<TraderClass, DistributionError>>;
    let rows: Vec<(&str, Build)> = vec![
        (
            "Uniform(-1e308, 1e308)",
            Box::new(|| Ok(TraderClass::new(1.0, Uniform::new(-1e308, 1e308)?, 1))),
        ),
        (
            "Uniform(0, 5e-324)",
            Box::new(|| Ok(TraderClass::new(1.0, Uniform::new(0.0, 5e-324)?, 1))),
        ),
        (
            "Uniform(0, MIN_POSITIVE/2)",
            Box::new(|| Ok(TraderClass::new(1.0, Uniform::new(0.0, SUB)?, 1))),
        ),
        (
            "Uniform(0, 1e-300)",
            Box::new(|| Ok(TraderClass::new(1.0, Uniform::new(0.0, 1e-300)?, 1))),
        ),
        (
            "Uniform(1e300, 2e300)",
            Box::new(|| Ok(TraderClass::new(1.0, Uniform::new(HUGE, 2.0 * HUGE)?, 1))),
        ),
        (
            "Uniform(-1e300, 1e300)",
            Box::new(|| Ok(TraderClass::new(1.0, Uniform::new(-HUGE, HUGE)?, 1))),
        ),
        (
            "Triangular(-1e308, 0, 1e308)",
            Box::new(|| {
                Ok(TraderClass::new(
                    1.0,
                    Triangular::new(-1e308, 0.0, 1e308)?,
                    1,
                ))
            }),
        ),
        (
            "Triangular(0, 0, MIN_POSITIVE/2)",
            Box::new(|| Ok(TraderClass::new(1.0, Triangular::new(0.0, 0.0, SUB)?, 1))),
        ),
        (
            "Triangular(1e300, 1e300, 2e300)",
            Box::new(|| {
                Ok(TraderClass::new(
                    1.0,
                    Triangular::new(HUGE, HUGE, 2.0 * HUGE)?,
                    1,
                ))
            }),
        ),
        (
            "PiecewiseLinear([0, MIN_POSITIVE/2], [1, 1])",
            Box::new(|| {
                Ok(TraderClass::new(
                    1.0,
                    PiecewiseLinear::new(vec![0.0, SUB], vec![1.0, 1.0])?,
                    1,
                ))
            }),
        ),
        (
            "Beta(2, 2, -1e308, 1e308)",
            Box::new(|| {
                Ok(TraderClass::new(
                    1.0,
                    Beta::new(2.0, 2.0, -1e308, 1e308)?,
                    1,
                ))
            }),
        ),
        (
            "Beta(1e300, 1, 0, 1)",
            Box::new(|| Ok(TraderClass::new(1.0, Beta::new(HUGE, 1.0, 0.0, 1.0)?, 1))),
        ),
        (
            "TruncatedNormal(0, MIN_POSITIVE/2, -1, 1)",
            Box::new(|| {
                Ok(TraderClass::new(
                    1.0,
                    TruncatedNormal::new(0.0, SUB, -1.0, 1.0)?,
                    1,
                ))
            }),
        ),
        (
            "TruncatedNormal(1e300, 1e300, 1e300, 2e300)",
            Box::new(|| {
                Ok(TraderClass::new(
                    1.0,
                    TruncatedNormal::new(HUGE, HUGE, HUGE, 2.0 * HUGE)?,
                    1,
                ))
            }),
        ),
    ];
    let clear = [
        "`lo`", "`hi`", "lo ", "hi ", "width", "rescale", "narrow", "widen", "support", "must be",
        "at most",
    ];
    let mut problems = Vec::new();
    for (name, build) in rows {
        let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<Vec<f64>, String> {
            let class = build().map_err(|e| e.to_string())?;
            let m = Market::new(vec![class, tri()]).map_err(|e| e.to_string())?;
            let mech = OptimalMechanism::solve(&m, 0.5).map_err(|e| e.to_string())?;
            Ok(numbers(&mech))
        }));
        match outcome {
            Err(_) => problems.push(format!("{name}: panicked")),
            Ok(Ok(v)) => {
                if let Some(x) = v.iter().find(|x| !x.is_finite()) {
                    problems.push(format!("{name}: solved, but returned {x}"));
                }
            }
            Ok(Err(msg)) => {
                if !clear.iter().any(|w| msg.contains(w))
                    || msg.contains("returned NaN")
                    || msg.contains("returned inf")
                {
                    problems.push(format!("{name}: unclear error {msg:?}"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Every number a solved mechanism reports, plus interim values on a grid.
fn numbers(mech: &OptimalMechanism) -> Vec<f64> {
    let mut v = vec![
        mech.revenue(),
        mech.efficiency(),
        mech.objective(),
        mech.lambda(),
        mech.beta(),
    ];
    v.push(mech.aggregate_mean_virtual_value());
    for (k, c) in mech.classes().iter().enumerate() {
        let (za, zb) = c.virtual_value().binding_interval();
        v.extend([
            c.virtual_value().eta(),
            za,
            zb,
            c.no_trade_probability(),
            c.mean_virtual_value(),
            c.variance_virtual_value(),
        ]);
        v.extend([
            c.lowest_type_gain(),
            c.revenue_per_trader(),
            c.holding_cost(),
            c.mean_allocation(),
        ]);
        let (lo, hi) = mech.market().classes()[k].distribution().support();
        for i in 0..=8 {
            let z = lo + (hi - lo) * i as f64 / 8.0;
            let z = if i == 8 { hi } else { z };
            for r in [
                mech.interim_allocation(k, z),
                mech.utility_gain(k, z),
                mech.interim_transfer(k, z),
            ] {
                v.push(r.unwrap_or(0.0));
            }
        }
    }
    v
}

// ---------------------------------------------------------------------------
// Arbitrary f64 through the constructors and solve
// ---------------------------------------------------------------------------

fn special_f64() -> impl Strategy<Value = f64> {
    prop::sample::select(vec![
        NAN,
        INF,
        -INF,
        0.0,
        -0.0,
        SUB,
        -SUB,
        HUGE,
        -HUGE,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        f64::EPSILON,
        1.0,
        -1.0,
    ])
}

/// Any `f64`: arbitrary bit patterns, the special values, and ordinary
/// numbers (so that a fair share of markets gets as far as `solve`).
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => any::<f64>(),
        1 => special_f64(),
        6 => -10.0..10.0f64,
    ]
}

/// A κ: mostly ordinary, sometimes anything.
fn any_kappa() -> impl Strategy<Value = f64> {
    prop_oneof![3 => 0.01..100.0f64, 1 => any_f64()]
}

#[derive(Debug, Clone)]
enum AnyDist {
    Uniform(f64, f64),
    Triangular(f64, f64, f64),
    Piecewise(Vec<f64>, Vec<f64>),
}

fn any_dist() -> impl Strategy<Value = AnyDist> {
    prop_oneof![
        (any_f64(), any_f64(), any::<bool>()).prop_map(|(a, b, sort)| {
            if sort && b < a {
                AnyDist::Uniform(b, a)
            } else {
                AnyDist::Uniform(a, b)
            }
        }),
        // Sorted triples are more often valid.
        (any_f64(), any_f64(), any_f64(), any::<bool>()).prop_map(|(a, b, c, sort)| {
            let mut t = [a, b, c];
            if sort {
                t.sort_by(|x, y| x.total_cmp(y));
            }
            AnyDist::Triangular(t[0], t[1], t[2])
        }),
        (
            prop::collection::vec(any_f64(), 0..5),
            prop::collection::vec(any_f64(), 0..5),
            any::<bool>()
        )
            .prop_map(|(mut z, f, sort)| {
                if sort {
                    z.sort_by(|x, y| x.total_cmp(y));
                }
                AnyDist::Piecewise(z, f)
            }),
        // Equal lengths, sorted grid, non-negative densities: mostly valid.
        prop::collection::vec((any_f64(), any_f64()), 2..5).prop_map(|pairs| {
            let mut z: Vec<f64> = pairs.iter().map(|p| p.0).collect();
            z.sort_by(|x, y| x.total_cmp(y));
            AnyDist::Piecewise(z, pairs.iter().map(|p| p.1.abs()).collect())
        }),
    ]
}

fn build_any(d: &AnyDist, kappa: f64, count: u64) -> Result<TraderClass, DistributionError> {
    Ok(match d {
        AnyDist::Uniform(a, b) => TraderClass::new(kappa, Uniform::new(*a, *b)?, count),
        AnyDist::Triangular(a, b, c) => {
            TraderClass::new(kappa, Triangular::new(*a, *b, *c)?, count)
        }
        AnyDist::Piecewise(z, f) => {
            TraderClass::new(kappa, PiecewiseLinear::new(z.clone(), f.clone())?, count)
        }
    })
}

/// No panic and no NaN in any returned number, whatever the `f64`s
/// (512 cases by default, `PROPTEST_CASES` overrides).
#[test]
fn arbitrary_numbers_never_panic_or_give_nan() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(512);
    let default = ProptestConfig::default();
    let mut cfg = ProptestConfig {
        cases,
        max_shrink_time: if default.max_shrink_time == 0 {
            60_000
        } else {
            default.max_shrink_time
        },
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/api/hostile_input.txt",
        ))),
        ..default
    };
    cfg.source_file = Some(file!());
    let strategy = (
        prop::collection::vec(
            (
                any_dist(),
                any_kappa(),
                prop_oneof![1 => Just(0u64), 8 => 1..4u64, 1 => Just(u64::MAX)],
            ),
            1..4,
        ),
        prop_oneof![1 => any_f64(), 2 => 0.0..=1.0f64],
    );
    let solved = std::cell::Cell::new(0u32);
    let start = Instant::now();
    let mut runner = TestRunner::new(cfg);
    let result = runner.run(&strategy, |(classes, alpha)| {
        let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<Vec<f64>, String> {
            let built: Vec<TraderClass> = classes
                .iter()
                .map(|(d, k, n)| build_any(d, *k, *n))
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())?;
            let m = Market::new(built).map_err(|e| e.to_string())?;
            let mech = OptimalMechanism::solve(&m, alpha).map_err(|e| e.to_string())?;
            solved.set(solved.get() + 1);
            Ok(numbers(&mech))
        }));
        match outcome {
            Err(_) => Err(TestCaseError::fail("panicked")),
            Ok(Ok(v)) => {
                prop_assert!(v.iter().all(|x| !x.is_nan()), "NaN among {v:?}");
                Ok(())
            }
            Ok(Err(msg)) => {
                prop_assert!(!msg.is_empty());
                Ok(())
            }
        }
    });
    eprintln!(
        "[timing] arbitrary_numbers_never_panic_or_give_nan: {cases} cases in {:.2?}, {} solved",
        start.elapsed(),
        solved.get()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        solved.get() >= cases / 20,
        "only {} of {cases} cases reached a solved mechanism",
        solved.get()
    );
}

// ---------------------------------------------------------------------------
// Numerically extreme but legal markets
// ---------------------------------------------------------------------------

/// `max_i (|z|max + width)` and `Σ count (that)²/κ`: the scales of types and
/// of welfare (as in tests/properties.rs).
fn scales(m: &Market) -> (f64, f64) {
    let z = m
        .classes()
        .iter()
        .map(|c| {
            let (lo, hi) = c.distribution().support();
            lo.abs().max(hi.abs()) + (hi - lo)
        })
        .fold(0.0, f64::max);
    let w = m
        .classes()
        .iter()
        .map(|c| c.count() as f64 * z * z / c.kappa())
        .sum();
    (z, w)
}

/// Checks needing no reference solution: every number finite; budget
/// balance (and zero revenue when λ > 0); Σ X = 0 on a few type profiles;
/// x̄ weakly decreasing and G ≥ 0 on a grid of (at most 20 sampled) classes.
/// `rel` is the relative tolerance (1e-9 for ordinary markets).
fn sane(mech: &OptimalMechanism, rel: f64, label: &str) {
    let m = mech.market();
    let (zs, ws) = scales(m);
    let nums = numbers(mech);
    assert!(
        nums.iter().all(|x| x.is_finite()),
        "{label}: non-finite number in {nums:?}"
    );
    let r = mech.revenue();
    assert!(r >= -rel * ws, "{label}: R = {r:e} (scale {ws:e})");
    assert!(mech.lambda() >= 0.0, "{label}: λ = {}", mech.lambda());
    if mech.lambda() > 0.0 {
        assert!(r.abs() <= rel * ws, "{label}: λ > 0 but R = {r:e}");
    }
    for u in [0.0, 0.13, 0.5, 0.77, 1.0] {
        let types: Vec<f64> = m
            .classes()
            .iter()
            .enumerate()
            .flat_map(|(k, c)| {
                let z = c.distribution().quantile((u + 0.37 * k as f64) % 1.0);
                std::iter::repeat_n(z, c.count() as usize)
            })
            .collect();
        let x = mech.allocation(&types).unwrap();
        let sum: f64 = x.iter().sum();
        let abs: f64 = x.iter().map(|v| v.abs()).sum();
        // Σ X = −Σ V + (Σ w) Σ V cancels terms of the size of the types, so
        // with types far from 0 the residual is rounding of the types'
        // size, not of the trades' (see the offset test).
        let types_abs: f64 = types.iter().map(|z| z.abs()).sum();
        assert!(
            sum.abs() <= 1e-12 * abs + 1e-14 * types_abs,
            "{label}: Σ X = {sum:e}, Σ|X| = {abs:e}, Σ|Z| = {types_abs:e}"
        );
        assert!(
            x.iter().all(|v| v.is_finite()),
            "{label}: allocation not finite"
        );
    }
    let n = m.classes().len();
    let step = n.div_ceil(20);
    for k in (0..n).step_by(step) {
        let c = &m.classes()[k];
        let (lo, hi) = c.distribution().support();
        let utol = rel * zs * zs / c.kappa();
        let mut prev = f64::INFINITY;
        for i in 0..=50 {
            let z = if i == 50 {
                hi
            } else {
                lo + (hi - lo) * i as f64 / 50.0
            };
            let x = mech.interim_allocation(k, z).unwrap();
            assert!(
                x <= prev + 1e-12 * zs,
                "{label}: class {k}: x̄ increases at {z}: {x} > {prev}"
            );
            prev = x;
            let g = mech.utility_gain(k, z).unwrap();
            assert!(g >= -utol, "{label}: class {k}: G({z}) = {g:e}");
        }
    }
}

/// Builds a class from an affine map of its types (scale, shift).
type ClassBuilder = Box<dyn Fn(f64, f64) -> TraderClass>;

fn base_market() -> Vec<(f64, ClassBuilder)> {
    // (κ, builder from an affine map z ↦ s z + t of the types)
    vec![
        (
            0.5,
            Box::new(|s, t| TraderClass::new(0.5, Uniform::new(t - s, t + s).unwrap(), 2)),
        ),
        (
            1.0,
            Box::new(|s, t| {
                TraderClass::new(1.0, Beta::new(3.0, 3.0, t - s, t + 2.0 * s).unwrap(), 1)
            }),
        ),
        (
            2.0,
            Box::new(|s, t| {
                TraderClass::new(
                    2.0,
                    Triangular::new(t - 0.5 * s, t, t + 1.5 * s).unwrap(),
                    2,
                )
            }),
        ),
        (
            1.5,
            Box::new(|s, t| {
                TraderClass::new(
                    1.5,
                    TruncatedNormal::new(t + 0.2 * s, 0.7 * s, t - s, t + s).unwrap(),
                    1,
                )
            }),
        ),
    ]
}

/// The base market with types mapped by `z ↦ s z + t κ_i` (class i).
fn mapped(s: f64, t: f64) -> Market {
    Market::new(
        base_market()
            .iter()
            .map(|(kappa, b)| b(s, t * kappa))
            .collect(),
    )
    .unwrap()
}

fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    eprintln!("[timing] {label}: {:.2?}", start.elapsed());
    out
}

#[test]
fn extreme_kappa_ratio() {
    // κ from 1e-3 to 1e3: a ratio of 1e6.
    let m = Market::new(vec![
        TraderClass::new(1e-3, u(-1.0, 1.0), 3),
        TraderClass::new(1e3, Triangular::new(-1.0, 0.0, 2.0).unwrap(), 2),
        TraderClass::new(1.0, Beta::new(2.0, 3.0, -0.5, 1.5).unwrap(), 1),
        TraderClass::new(1e-3, TruncatedNormal::new(0.5, 0.3, 0.0, 1.0).unwrap(), 2),
    ])
    .unwrap();
    for alpha in [0.0, 0.3, 1.0] {
        let mech = timed(&format!("κ ratio 1e6, α = {alpha}"), || {
            OptimalMechanism::solve(&m, alpha)
        })
        .unwrap_or_else(|e| panic!("κ ratio 1e6, α = {alpha}: {e}"));
        sane(&mech, 1e-9, &format!("κ ratio 1e6, α = {alpha}"));
        let fb = mech.first_best().unwrap();
        assert!(
            mech.efficiency() <= fb.efficiency() * (1.0 - 1e-12) + 1e-12,
            "A > A_FB"
        );
    }
}

/// Supports of width ~1e-6 are the base market scaled by s = 1e-6; by the
/// scaling invariance (docs/invariances.md) R and A scale by s², η and the
/// binding intervals by s.
#[test]
fn extreme_narrow_supports() {
    let s = 1e-6;
    for alpha in [0.0, 0.5, 1.0] {
        let base = OptimalMechanism::solve(&mapped(1.0, 0.0), alpha).unwrap();
        let narrow = OptimalMechanism::solve(&mapped(s, 0.0), alpha)
            .unwrap_or_else(|e| panic!("width 1e-6, α = {alpha}: {e}"));
        sane(&narrow, 1e-9, &format!("width 1e-6, α = {alpha}"));
        let (_, w) = scales(base.market());
        assert!(
            (narrow.revenue() / (s * s) - base.revenue()).abs() <= 1e-8 * w,
            "α = {alpha}: R {} vs {}",
            narrow.revenue() / (s * s),
            base.revenue()
        );
        assert!(
            (narrow.efficiency() / (s * s) - base.efficiency()).abs() <= 1e-8 * w,
            "α = {alpha}: A"
        );
        for k in 0..4 {
            let (a, b) = base.class(k).virtual_value().binding_interval();
            let (a2, b2) = narrow.class(k).virtual_value().binding_interval();
            assert!(
                (a2 / s - a).abs() <= 1e-8 && (b2 / s - b).abs() <= 1e-8,
                "α = {alpha}, class {k}: [{a2}, {b2}]/s vs [{a}, {b}]"
            );
        }
    }
}

/// Supports offset by ~1e6: the base market translated by t κ_i with
/// t = 1e6 (an exact invariance: R unchanged, η shifted by t κ_i). Types
/// of 1e6 with widths of 1 leave about 10 of the 16 digits, so the
/// comparison is to 1e-4 of the welfare scale: the point is finite,
/// correct-looking results rather than full accuracy.
#[test]
fn extreme_offset_supports() {
    let t = 1e6;
    for alpha in [0.0, 0.5, 1.0] {
        let base = OptimalMechanism::solve(&mapped(1.0, 0.0), alpha).unwrap();
        let far = timed(&format!("offset 1e6, α = {alpha}"), || {
            OptimalMechanism::solve(&mapped(1.0, t), alpha)
        })
        .unwrap_or_else(|e| panic!("offset 1e6, α = {alpha}: {e}"));
        sane(&far, 1e-9, &format!("offset 1e6, α = {alpha}"));
        let (_, w) = scales(base.market());
        let err = (far.revenue() - base.revenue()).abs() / w;
        eprintln!("offset 1e6, α = {alpha}: relative revenue error {err:e}");
        assert!(
            err <= 1e-4,
            "α = {alpha}: R {} vs {} (relative error {err:e})",
            far.revenue(),
            base.revenue()
        );
        for (k, (kappa, _)) in base_market().iter().enumerate() {
            let d = far.class(k).virtual_value().eta()
                - (base.class(k).virtual_value().eta() + t * kappa);
            assert!(
                d.abs() <= 1e-6 * t,
                "α = {alpha}, class {k}: η off by {d:e}"
            );
        }
    }
}

/// Densities vanishing at an end: Beta(3, 3) (both ends), triangular with
/// the mode at either end, a piecewise-linear tent.
#[test]
fn extreme_vanishing_densities() {
    let m = Market::new(vec![
        TraderClass::new(1.0, Beta::new(3.0, 3.0, -1.0, 1.0).unwrap(), 2),
        TraderClass::new(0.5, Triangular::new(-1.0, -1.0, 1.0).unwrap(), 2),
        TraderClass::new(2.0, Triangular::new(-1.0, 1.0, 1.0).unwrap(), 1),
        TraderClass::new(
            1.0,
            PiecewiseLinear::new(vec![-0.5, 0.2, 1.5], vec![0.0, 1.0, 0.0]).unwrap(),
            1,
        ),
    ])
    .unwrap();
    for alpha in [0.0, 0.5, 1.0] {
        let mech = timed(&format!("vanishing densities, α = {alpha}"), || {
            OptimalMechanism::solve(&m, alpha)
        })
        .unwrap_or_else(|e| panic!("vanishing densities, α = {alpha}: {e}"));
        sane(&mech, 1e-9, &format!("vanishing densities, α = {alpha}"));
    }
}

/// α within 1e-12 of 0 and 1: solves, and agrees with the ends (the
/// mechanism is continuous in α) to 1e-6 of the welfare scale.
#[test]
fn extreme_alpha_near_ends() {
    let m = mapped(1.0, 0.0);
    let (_, w) = scales(&m);
    for (near, end) in [
        (1e-12, 0.0),
        (1.0 - 1e-12, 1.0),
        (f64::MIN_POSITIVE, 0.0),
        (1.0 - f64::EPSILON / 2.0, 1.0),
    ] {
        let a = timed(&format!("α = {near:e}"), || {
            OptimalMechanism::solve(&m, near)
        })
        .unwrap_or_else(|e| panic!("α = {near:e}: {e}"));
        sane(&a, 1e-9, &format!("α = {near:e}"));
        let b = OptimalMechanism::solve(&m, end).unwrap();
        assert!(
            (a.revenue() - b.revenue()).abs() <= 1e-6 * w,
            "α = {near:e}: R {} vs {} at {end}",
            a.revenue(),
            b.revenue()
        );
        assert!(
            (a.efficiency() - b.efficiency()).abs() <= 1e-6 * w,
            "α = {near:e}: A {} vs {}",
            a.efficiency(),
            b.efficiency()
        );
    }
}

/// 10⁵ heterogeneous traders: 1000 classes of 100, κ log-spaced over
/// [0.1, 10], five families with different supports.
#[test]
fn extreme_hundred_thousand_traders() {
    let classes: Vec<TraderClass> = (0..1000)
        .map(|i| {
            let x = i as f64;
            let kappa = 10f64.powf(-1.0 + 2.0 * x / 999.0);
            let c = 3.0 * (0.37 * x).sin();
            let w = 0.5 + (i % 7) as f64 / 3.0;
            let (lo, hi) = (c - 0.5 * w, c + 0.5 * w);
            match i % 5 {
                0 => TraderClass::new(kappa, u(lo, hi), 100),
                1 => TraderClass::new(kappa, Triangular::new(lo, lo + 0.3 * w, hi).unwrap(), 100),
                2 => TraderClass::new(kappa, Beta::new(2.0, 1.5, lo, hi).unwrap(), 100),
                3 => TraderClass::new(
                    kappa,
                    TruncatedNormal::new(c, 0.4 * w, lo, hi).unwrap(),
                    100,
                ),
                _ => TraderClass::new(
                    kappa,
                    PiecewiseLinear::new(vec![lo, c, hi], vec![0.5, 1.0, 0.2]).unwrap(),
                    100,
                ),
            }
        })
        .collect();
    let m = Market::new(classes).unwrap();
    assert_eq!(m.n_traders(), 100_000);
    for alpha in [0.5, 1.0] {
        let start = Instant::now();
        let mech = OptimalMechanism::solve(&m, alpha)
            .unwrap_or_else(|e| panic!("10⁵ traders, α = {alpha}: {e}"));
        let elapsed = start.elapsed();
        eprintln!("[timing] 10⁵ traders (1000 classes × 100), α = {alpha}: solve {elapsed:.2?}");
        assert!(
            elapsed.as_secs_f64() < 20.0,
            "10⁵ traders: solve took {elapsed:.2?}"
        );
        timed("10⁵ traders: checks", || {
            sane(&mech, 1e-9, &format!("10⁵ traders, α = {alpha}"))
        });
    }
}

/// Found by `arbitrary_numbers_never_panic_or_give_nan`: u64::MAX traders
/// is a legal count (`Market::new` accepts it), so `solve` must not panic.
#[test]
fn huge_count_does_not_panic() {
    for (hi, kappa) in [(1e150, 8.695201512948003), (1.0, 1.0)] {
        let m = Market::new(vec![TraderClass::new(kappa, u(0.0, hi), u64::MAX)]).unwrap();
        for alpha in [0.0, 0.5, 1.0] {
            let r = catch_unwind(AssertUnwindSafe(|| {
                OptimalMechanism::solve(&m, alpha).map(|m| numbers(&m))
            }));
            match r {
                Err(_) => panic!(
                    "U(0, {hi:e}), κ = {kappa}, count = u64::MAX, α = {alpha}: solve panicked"
                ),
                Ok(Ok(v)) => assert!(v.iter().all(|x| !x.is_nan()), "NaN in {v:?}"),
                Ok(Err(e)) => eprintln!("U(0, {hi:e}), count u64::MAX, α = {alpha}: {e}"),
            }
        }
    }
}
