//! Scalar root finding.
//!
//! Two tools, both reporting failure as a [`RootError`] rather than returning
//! a silently wrong number:
//!
//! * [`brent`]: Brent's method from the `roots` crate, with a convergence test
//!   that is relative in `x` (the crate's own float tolerance is absolute in
//!   `f(x)`, which stops at once for badly scaled functions);
//!   [`brent_until`] also accepts the first point where `|f|` is within a
//!   given tolerance, for a function too costly to evaluate past the
//!   accuracy its caller needs.
//! * [`newton_bracketed`]: Newton's method kept inside a bracket that shrinks
//!   at every step, falling back to bisection whenever a Newton step leaves
//!   the bracket. It needs the derivative but converges in a handful of steps
//!   from a warm start; the solver's inner loops use it.

use std::fmt;

/// Why a scalar root could not be found.
///
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RootError {
    /// The function does not change sign on the bracket.
    NoBracket {
        /// Left end of the bracket.
        a: f64,
        /// Right end of the bracket.
        b: f64,
        /// Function value at `a`.
        fa: f64,
        /// Function value at `b`.
        fb: f64,
    },
    /// The function returned NaN or an infinity at `x`.
    NonFinite {
        /// Where the function was evaluated.
        x: f64,
    },
    /// The iteration did not meet its tolerance within its budget.
    NotConverged {
        /// Iterations spent.
        iterations: usize,
        /// Best estimate reached.
        last: f64,
    },
}

impl fmt::Display for RootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RootError::NoBracket { a, b, fa, fb } => write!(
                f,
                "no sign change on [{a}, {b}] (f(a) = {fa}, f(b) = {fb}); the root is not bracketed"
            ),
            RootError::NonFinite { x } => {
                write!(f, "the function is not finite at x = {x}")
            }
            RootError::NotConverged { iterations, last } => write!(
                f,
                "no convergence after {iterations} iterations (last estimate {last})"
            ),
        }
    }
}

impl std::error::Error for RootError {}

/// Convergence test for the `roots` crate: relative in `x`, and a root is
/// accepted early when `|f(x)| ≤ f_tol` (exactly zero when `f_tol` is 0).
#[derive(Debug, Clone, Copy)]
struct RelativeConvergency {
    rel: f64,
    scale: f64,
    f_tol: f64,
    max_iter: usize,
}

impl roots::Convergency<f64> for RelativeConvergency {
    fn is_root_found(&mut self, y: f64) -> bool {
        y.abs() <= self.f_tol
    }
    fn is_converged(&mut self, x1: f64, x2: f64) -> bool {
        (x1 - x2).abs() <= self.rel * self.scale.max(x1.abs()).max(x2.abs())
    }
    fn is_iteration_limit_reached(&mut self, iter: usize) -> bool {
        iter >= self.max_iter
    }
}

/// Brent's method on `[a, b]`, which must bracket a root, with relative
/// tolerance `rel` on `x` measured against `max(scale, |x|)`.
pub(crate) fn brent<F: FnMut(f64) -> f64>(
    f: F,
    a: f64,
    b: f64,
    rel: f64,
    scale: f64,
) -> Result<f64, RootError> {
    brent_until(f, a, b, rel, scale, 0.0)
}

/// [`brent`] that also stops at the first point it evaluates where
/// `|f(x)| ≤ f_tol`, and returns that point: for a function whose
/// evaluations are costly and whose caller needs `f` near zero rather than
/// `x` to rounding (`f_tol = 0` is [`brent`]).
///
/// The `roots` crate evaluates `f` again at the bracket's ends as it
/// shrinks it; a costly `f` remembers its values (the budget search keeps
/// its trials). A caller that must stop the search early (an error inside
/// `f`, a budget of evaluations spent) returns NaN and keeps the reason:
/// the search ends at once with [`RootError::NonFinite`].
pub(crate) fn brent_until<F: FnMut(f64) -> f64>(
    mut f: F,
    a: f64,
    b: f64,
    rel: f64,
    scale: f64,
    f_tol: f64,
) -> Result<f64, RootError> {
    const MAX_ITER: usize = 500;
    let mut conv = RelativeConvergency {
        rel,
        scale: scale.abs(),
        f_tol: f_tol.max(0.0),
        max_iter: MAX_ITER,
    };
    let mut nonfinite = None;
    let mut ends = [f64::NAN; 2];
    let mut calls = 0usize;
    let result = roots::find_root_brent(
        a,
        b,
        |x| {
            let y = f(x);
            if calls < 2 {
                ends[calls] = y;
            }
            calls += 1;
            if y.is_nan() {
                nonfinite.get_or_insert(x);
                // Returning a zero ends the search at once; the error is
                // reported below.
                return 0.0;
            }
            y
        },
        &mut conv,
    );
    if let Some(x) = nonfinite {
        return Err(RootError::NonFinite { x });
    }
    match result {
        Ok(x) => Ok(x),
        Err(roots::SearchError::NoBracketing) => Err(RootError::NoBracket {
            a,
            b,
            fa: ends[0],
            fb: ends[1],
        }),
        Err(_) => Err(RootError::NotConverged {
            iterations: MAX_ITER,
            last: f64::NAN,
        }),
    }
}

/// Newton's method safeguarded by a bracket.
///
/// `fdf(x)` returns `(f(x), f'(x))`. `[a, b]` must bracket a root; `x0` is
/// the starting point (clamped into the bracket). The iteration stops when a
/// step is below `rel · max(scale, |x|)`, when `f(x) = 0`, or when the
/// bracket has shrunk to adjacent floating-point numbers; every step either
/// is a Newton step inside the bracket or bisects it, so it always
/// terminates. A hard budget of 2 000 steps exists only as a guard and is
/// reported as [`RootError::NotConverged`].
pub(crate) fn newton_bracketed<F: FnMut(f64) -> (f64, f64)>(
    mut fdf: F,
    a: f64,
    b: f64,
    x0: f64,
    rel: f64,
    scale: f64,
) -> Result<f64, RootError> {
    let (lo, hi) = (a.min(b), a.max(b));
    let (flo, _) = fdf(lo);
    let (fhi, _) = fdf(hi);
    if flo.is_nan() {
        return Err(RootError::NonFinite { x: lo });
    }
    if fhi.is_nan() {
        return Err(RootError::NonFinite { x: hi });
    }
    if flo == 0.0 {
        return Ok(lo);
    }
    if fhi == 0.0 {
        return Ok(hi);
    }
    if flo.signum() == fhi.signum() {
        return Err(RootError::NoBracket {
            a: lo,
            b: hi,
            fa: flo,
            fb: fhi,
        });
    }
    newton_core(fdf, lo, hi, flo < 0.0, x0, rel, scale)
}

/// Newton's method on an increasing function whose bracket signs the caller
/// already knows (`f(lo) < 0 < f(hi)`), so the ends are never evaluated.
/// Otherwise as [`newton_bracketed`]; a warm start within the tolerance of
/// the root costs one evaluation.
pub(crate) fn newton_increasing<F: FnMut(f64) -> (f64, f64)>(
    fdf: F,
    lo: f64,
    hi: f64,
    x0: f64,
    rel: f64,
    scale: f64,
) -> Result<f64, RootError> {
    newton_core(fdf, lo.min(hi), lo.max(hi), true, x0, rel, scale)
}

fn newton_core<F: FnMut(f64) -> (f64, f64)>(
    mut fdf: F,
    mut lo: f64,
    mut hi: f64,
    increasing: bool,
    x0: f64,
    rel: f64,
    scale: f64,
) -> Result<f64, RootError> {
    if !(lo.is_finite() && hi.is_finite()) {
        return Err(RootError::NonFinite {
            x: if lo.is_finite() { hi } else { lo },
        });
    }
    let mut x = if x0.is_finite() {
        x0.clamp(lo, hi)
    } else {
        0.5 * (lo + hi)
    };
    let scale = scale.abs();
    let mut dx_old = hi - lo;
    for _ in 0..2000 {
        let (fx, dfx) = fdf(x);
        if fx.is_nan() {
            return Err(RootError::NonFinite { x });
        }
        if fx == 0.0 {
            return Ok(x);
        }
        if (fx < 0.0) == increasing {
            lo = x;
        } else {
            hi = x;
        }
        let tol = rel * scale.max(x.abs());
        if hi - lo <= tol {
            return Ok(0.5 * (lo + hi));
        }
        let newton = x - fx / dfx;
        let mid = 0.5 * (lo + hi);
        if newton.is_finite() && (newton - x).abs() <= tol {
            // A step below the tolerance suggests convergence, but near a
            // singularity (a derivative that blows up) it can be tiny far
            // from the root. Confirm by a probe two tolerances from `x` on
            // the side where the sign of `f` puts the root (not the side of
            // the Newton point: a step below half an ulp rounds to `x`
            // itself, which has no side): a sign change proves the root lies
            // between them. `x` is now an end of the bracket and the bracket
            // is wider than the tolerance, so the probe moves.
            let dir = if (fx < 0.0) == increasing { 1.0 } else { -1.0 };
            let probe = (x + 2.0 * dir * tol).clamp(lo, hi);
            let (fp, _) = fdf(probe);
            if fp.is_nan() {
                return Err(RootError::NonFinite { x: probe });
            }
            if fp == 0.0 {
                return Ok(probe);
            }
            if (fp < 0.0) != (fx < 0.0) {
                // The root is between `x` and the probe; the Newton point
                // is the best estimate there.
                return Ok(newton.clamp(x.min(probe), x.max(probe)));
            }
            // No sign change: the root is farther; shrink and bisect.
            if (fp < 0.0) == increasing {
                lo = probe;
            } else {
                hi = probe;
            }
            dx_old = hi - lo;
            x = 0.5 * (lo + hi);
            continue;
        }
        // Newton is used only while it stays inside the bracket and at least
        // halves the previous step; otherwise bisect (as in `rtsafe`).
        let next = if newton.is_finite()
            && newton > lo
            && newton < hi
            && (newton - x).abs() <= 0.5 * dx_old.abs()
        {
            newton
        } else {
            mid
        };
        dx_old = next - x;
        if mid <= lo || mid >= hi {
            // The bracket is two adjacent floats.
            return Ok(x);
        }
        x = next;
    }
    Err(RootError::NotConverged {
        iterations: 2000,
        last: x,
    })
}

/// How the solver finds a scalar root: the innermost ones (`L⁻¹`, `H⁻¹`,
/// each class's level `η`) and the outer one (the aggregate `S`).
///
/// # Example
/// ```
/// # use exchange_design::prelude::*;
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::{OptimalMechanism, SolverConfig};
/// use exchange_design::numerics::RootMethod;
/// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let cfg = SolverConfig::default().with_inner(RootMethod::Brent).with_outer(RootMethod::Brent);
/// let a = OptimalMechanism::solve_with(&m, 0.5, &cfg)?;
/// let b = OptimalMechanism::solve(&m, 0.5)?;
/// assert!((a.revenue() - b.revenue()).abs() < 1e-10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RootMethod {
    /// Newton's method with analytic slopes, safeguarded by a bracket and
    /// warm-started from the previous iteration.
    #[default]
    Newton,
    /// Brent's method from the `roots` crate on the same brackets (no
    /// derivatives, no warm start).
    Brent,
}

/// The first double of `[a, b]` at which `reached` holds, for a `reached`
/// that is false and then true along `[a, b]`, found from a guess `z` (a
/// root found to a tolerance, usually a few units in the last place from
/// the crossing): steps out from `z` growing fourfold from one unit in
/// the last place, on the side where `reached(z)` puts the crossing, while
/// they are below `reach`; past that, one probe at the end of `[a, b]`;
/// then bisection of the last step to adjacent doubles. A handful of
/// evaluations where `z` is close, where a bisection of the whole
/// tolerance takes twenty or more.
///
/// `None` when `reached` does not change in `[a, b]` (it holds at `z` and
/// at `a`, or at neither `z` nor `b`): the crossing is not there.
pub(crate) fn first_double_reached(
    reached: impl Fn(f64) -> bool,
    z: f64,
    (a, b): (f64, f64),
    reach: f64,
) -> Option<f64> {
    let first = (f64::EPSILON * z.abs()).max(f64::MIN_POSITIVE);
    let mut step = first;
    let (mut below, mut above);
    if reached(z) {
        above = z;
        loop {
            if above <= a {
                return None;
            }
            let near = if step < reach { (z - step).max(a) } else { a };
            if !reached(near) {
                below = near;
                break;
            }
            above = near;
            step *= 4.0;
        }
    } else {
        below = z;
        loop {
            if below >= b {
                return None;
            }
            let near = if step < reach { (z + step).min(b) } else { b };
            if reached(near) {
                above = near;
                break;
            }
            below = near;
            step *= 4.0;
        }
    }
    loop {
        let mid = below + 0.5 * (above - below);
        if mid <= below || mid >= above {
            return Some(above);
        }
        if reached(mid) {
            above = mid;
        } else {
            below = mid;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{
        brent, brent_until, first_double_reached, newton_bracketed, newton_increasing, RootError,
    };

    #[test]
    fn brent_example() {
        // Badly scaled on purpose: an absolute test on f would stop at once.
        let x = brent(|x: f64| 1e-20 * (x - 0.7), 0.0, 1.0, 1e-14, 1.0).unwrap();
        assert!((x - 0.7).abs() < 1e-13);
    }

    /// With a tolerance on `f` the search stops at the first point where
    /// `|f|` meets it, before `x` converges: fewer distinct evaluations,
    /// and the point returned is one evaluated, with `|f| ≤ f_tol`.
    #[test]
    fn brent_until_stops_at_the_first_point_within_the_tolerance_on_f() {
        // exp(x) − 2 on [−3, 3]: root ln 2, slope 2 there.
        let run = |f_tol: f64| {
            let mut seen = Vec::new();
            let x = brent_until(
                |x: f64| {
                    let y = x.exp() - 2.0;
                    seen.push((x, y));
                    y
                },
                -3.0,
                3.0,
                1e-15,
                1.0,
                f_tol,
            )
            .unwrap();
            let distinct = {
                let mut xs: Vec<f64> = seen.iter().map(|p| p.0).collect();
                xs.sort_by(f64::total_cmp);
                xs.dedup();
                xs.len()
            };
            (x, seen, distinct)
        };
        let (exact, _, full) = run(0.0);
        assert!((exact - 2f64.ln()).abs() < 1e-14, "{exact}");
        let f_tol = 1e-3;
        let (x, seen, early) = run(f_tol);
        // The answer is a point the search evaluated, within the tolerance
        // on f (so within f_tol / slope of the root), and the first such.
        let first = seen.iter().position(|p| p.1.abs() <= f_tol).unwrap();
        assert_eq!(x, seen[first].0);
        assert!((x - 2f64.ln()).abs() <= f_tol / 1.9, "{x}");
        // Nothing new is evaluated after it (the crate re-evaluates the
        // bracket's ends, which are points already seen).
        assert!(seen[first + 1..]
            .iter()
            .all(|p| seen[..=first].iter().any(|q| q.0 == p.0)));
        assert!(early < full, "{early} distinct points against {full}");
        // f_tol = 0 is brent itself.
        assert_eq!(
            brent(|x: f64| x.exp() - 2.0, -3.0, 3.0, 1e-15, 1.0),
            brent_until(|x: f64| x.exp() - 2.0, -3.0, 3.0, 1e-15, 1.0, 0.0)
        );
    }

    /// A caller stops the search by returning NaN: no new point is
    /// evaluated after it (at most a bracket end asked for again).
    #[test]
    fn brent_until_stops_when_f_returns_nan() {
        let mut seen: Vec<f64> = Vec::new();
        let r = brent_until(
            |x: f64| {
                seen.push(x);
                if seen.len() >= 3 {
                    f64::NAN
                } else {
                    x - 0.3
                }
            },
            0.0,
            1.0,
            1e-15,
            1.0,
            0.0,
        );
        assert!(
            matches!(r, Err(RootError::NonFinite { x }) if x == seen[2]),
            "{r:?}"
        );
        assert!(seen.len() <= 4, "{seen:?}");
        assert!(seen[3..].iter().all(|x| seen[..2].contains(x)), "{seen:?}");
    }

    #[test]
    fn newton_bracketed_example() {
        let x =
            newton_bracketed(|x: f64| (x * x - 2.0, 2.0 * x), 0.0, 2.0, 1.0, 1e-15, 1.0).unwrap();
        assert!((x - 2f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn newton_increasing_example() {
        let x = newton_increasing(
            |x: f64| (x.powi(3) - 8.0, 3.0 * x * x),
            0.0,
            4.0,
            1.9,
            1e-15,
            1.0,
        )
        .unwrap();
        assert!((x - 2.0).abs() < 1e-14);
    }

    /// A start within half an ulp of the root: the Newton correction rounds
    /// to zero, so its direction says nothing, and the confirming probe must
    /// go where the sign of `f` puts the root. (Probing on the side of the
    /// rounded Newton point once left the bracket there and bisected the
    /// whole interval, about 50 evaluations for an answer already in hand.)
    #[test]
    fn a_start_within_half_an_ulp_costs_two_evaluations() {
        let x0: f64 = -0.2578964676575387;
        let delta = 0.25 * (x0.next_up() - x0);
        for sign in [1.0, -1.0] {
            // Root at x0 − sign·δ, a quarter ulp from the start.
            let mut evaluations = 0;
            let x = newton_increasing(
                |x: f64| {
                    evaluations += 1;
                    ((x - x0) + sign * delta, 1.3)
                },
                -1.0,
                1.0,
                x0,
                1e-15,
                1.0,
            )
            .unwrap();
            assert!((x - x0).abs() <= 2e-15, "sign {sign}: x = {x}");
            assert_eq!(evaluations, 2, "sign {sign}");
        }
    }

    /// The first double at which a step predicate holds, from guesses on
    /// either side of it, near and far, with and without a reach; `None`
    /// where the predicate does not change in the window.
    #[test]
    fn the_first_double_reached_is_the_step() {
        let step = 1.0 + 37.0 * f64::EPSILON;
        let reached = |x: f64| x >= step;
        let count = std::cell::Cell::new(0usize);
        let counted = |x: f64| {
            count.set(count.get() + 1);
            reached(x)
        };
        for z in [
            step,
            step.next_up(),
            step.next_down(),
            1.0,
            1.0 + 1e-9,
            0.5,
            1.9,
        ] {
            for reach in [f64::INFINITY, 1e-12] {
                count.set(0);
                let got = first_double_reached(counted, z, (0.0, 2.0), reach);
                assert_eq!(got, Some(step), "z = {z}, reach = {reach}");
                // Galloping from one ulp, then bisecting the last step.
                assert!(count.get() <= 120, "z = {z}: {} evaluations", count.get());
            }
        }
        // A guess a few ulps away costs a handful.
        count.set(0);
        first_double_reached(counted, step.next_up().next_up(), (0.0, 2.0), f64::INFINITY);
        assert!(count.get() <= 6, "{}", count.get());
        // No change in the window: the crossing is not there.
        assert_eq!(
            first_double_reached(reached, 1.5, (1.2, 1.8), f64::INFINITY),
            None
        );
        assert_eq!(
            first_double_reached(reached, 0.5, (0.2, 0.8), f64::INFINITY),
            None
        );
        assert_eq!(first_double_reached(reached, 0.5, (0.2, 0.8), 1e-3), None);
    }
}
