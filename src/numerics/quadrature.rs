//! Adaptive composite Gauss–Legendre quadrature.
//!
//! Nodes and weights come from the `gauss-quad` crate and are built once per
//! process. Each panel is integrated with a 20-node and a 10-node rule; the
//! difference bounds the error of the coarse rule (and so, very
//! conservatively, of the fine one), and panels whose estimates disagree by
//! more than the tolerance are halved. Callers split the range at known kinks
//! (support ends, the edges of the binding interval, grid nodes of a
//! tabulated density) with [`integrate_pieces`], so every panel sees a smooth
//! integrand. Gauss nodes are interior, so an integrand is never evaluated at
//! a panel's end points.
//!
//! [`integrate_vec`] integrates several functions that share their expensive
//! parts (a CDF and a density, say) in one pass.

use super::tolerance::{Tolerances, GAUSS_LEGENDRE_NODES};
use gauss_quad::GaussLegendre;
use std::num::NonZeroUsize;
use std::sync::OnceLock;

type Rule = Vec<(f64, f64)>;

/// Fine and coarse reference rules on [-1, 1].
fn rules() -> &'static (Rule, Rule) {
    static RULES: OnceLock<(Rule, Rule)> = OnceLock::new();
    RULES.get_or_init(|| {
        let build = |n: usize| -> Rule {
            let n = NonZeroUsize::new(n).expect("rule sizes are non-zero constants");
            GaussLegendre::new(n)
                .iter()
                .map(|(x, w)| (*x, *w))
                .collect()
        };
        (
            build(GAUSS_LEGENDRE_NODES),
            build(GAUSS_LEGENDRE_NODES / 2),
        )
    })
}

/// `(fine, coarse)` estimates of the integral over `[a, b]`.
fn panel<const K: usize, F: FnMut(f64) -> [f64; K]>(f: &mut F, a: f64, b: f64) -> ([f64; K], [f64; K]) {
    let half = 0.5 * (b - a);
    let mid = 0.5 * (a + b);
    let (fine, coarse) = rules();
    let mut apply = |rule: &Rule| {
        let mut acc = [0.0; K];
        for &(x, w) in rule {
            let y = f(mid + half * x);
            for k in 0..K {
                acc[k] += w * y[k];
            }
        }
        acc.map(|v| v * half)
    };
    (apply(fine), apply(coarse))
}

fn adapt<const K: usize, F: FnMut(f64) -> [f64; K]>(
    f: &mut F,
    a: f64,
    b: f64,
    tol: f64,
    depth: u32,
    max_depth: u32,
) -> [f64; K] {
    let (fine, coarse) = panel(f, a, b);
    let err = fine
        .iter()
        .zip(&coarse)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    let m = 0.5 * (a + b);
    // NaN errors fall through to the depth limit and are returned as they
    // are, so a non-finite integrand shows in the result.
    if err <= tol || depth >= max_depth || m <= a || m >= b || err.is_nan() {
        return fine;
    }
    let left = adapt(f, a, m, 0.5 * tol, depth + 1, max_depth);
    let right = adapt(f, m, b, 0.5 * tol, depth + 1, max_depth);
    let mut out = [0.0; K];
    for k in 0..K {
        out[k] = left[k] + right[k];
    }
    out
}

/// Integrates the `K` components of `f` over `[a, b]` in one pass, adapting
/// until every component meets the tolerance.
///
/// # Example
/// ```
/// use exchange_design::numerics::{integrate_vec, Tolerances};
/// let [m0, m1] = integrate_vec(|x: f64| [1.0, x], 0.0, 2.0, &Tolerances::DEFAULT);
/// assert!((m0 - 2.0).abs() < 1e-14 && (m1 - 2.0).abs() < 1e-14);
/// ```
pub fn integrate_vec<const K: usize, F: FnMut(f64) -> [f64; K]>(
    mut f: F,
    a: f64,
    b: f64,
    tol: &Tolerances,
) -> [f64; K] {
    if a == b {
        return [0.0; K];
    }
    if a > b {
        return integrate_vec(f, b, a, tol).map(|v| -v);
    }
    let (first, _) = panel(&mut f, a, b);
    let scale = first.iter().fold(tol.quad_abs, |m, v| m.max(v.abs()));
    adapt(&mut f, a, b, tol.quad_rel * scale, 0, tol.quad_max_depth)
}

/// Integrates `f` over `[a, b]` (the negative if `a > b`) to the default
/// tolerances.
///
/// # Example
/// ```
/// use exchange_design::numerics::integrate;
/// let v = integrate(|x: f64| x.exp(), 0.0, 1.0);
/// assert!((v - (1f64.exp() - 1.0)).abs() < 1e-14);
/// ```
pub fn integrate<F: FnMut(f64) -> f64>(f: F, a: f64, b: f64) -> f64 {
    integrate_with(f, a, b, &Tolerances::DEFAULT)
}

/// [`integrate`] with explicit tolerances.
///
/// # Example
/// ```
/// use exchange_design::numerics::{integrate_with, Tolerances};
/// let v = integrate_with(|x: f64| x * x, 0.0, 3.0, &Tolerances::DEFAULT);
/// assert!((v - 9.0).abs() < 1e-13);
/// ```
pub fn integrate_with<F: FnMut(f64) -> f64>(mut f: F, a: f64, b: f64, tol: &Tolerances) -> f64 {
    integrate_vec(|x| [f(x)], a, b, tol)[0]
}

/// Integrates `f` over consecutive pieces `[p₀, p₁], [p₁, p₂], …`, so that
/// kinks of the integrand at the breakpoints do not spoil the rule. Pieces of
/// zero or negative width are skipped.
///
/// # Example
/// ```
/// use exchange_design::numerics::integrate_pieces;
/// // |x| has a kink at 0.
/// let v = integrate_pieces(|x: f64| x.abs(), &[-1.0, 0.0, 2.0]);
/// assert!((v - 2.5).abs() < 1e-14);
/// ```
pub fn integrate_pieces<F: FnMut(f64) -> f64>(mut f: F, breakpoints: &[f64]) -> f64 {
    breakpoints
        .windows(2)
        .filter(|w| w[1] > w[0])
        .map(|w| integrate_with(&mut f, w[0], w[1], &Tolerances::DEFAULT))
        .sum()
}
