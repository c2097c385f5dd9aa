//! Adaptive composite Gauss–Legendre quadrature.
//!
//! The nodes and weights come from the `gauss-quad` crate and are built once
//! per process. Each panel is integrated with the rule and compared with the
//! sum over its two halves; panels whose two estimates disagree are split
//! further. Callers split the range at known kinks (support ends, the edges
//! of the binding interval, grid nodes of a tabulated density) with
//! [`integrate_pieces`], so that every panel sees a smooth integrand.

use super::tolerance::{Tolerances, GAUSS_LEGENDRE_NODES};
use gauss_quad::GaussLegendre;
use std::num::NonZeroUsize;
use std::sync::OnceLock;

/// Nodes and weights of the reference rule on [-1, 1].
fn rule() -> &'static [(f64, f64)] {
    static RULE: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    RULE.get_or_init(|| {
        let n = NonZeroUsize::new(GAUSS_LEGENDRE_NODES).expect("constant is non-zero");
        GaussLegendre::new(n)
            .iter()
            .map(|(x, w)| (*x, *w))
            .collect()
    })
}

/// One application of the reference rule on `[a, b]`.
fn panel<F: FnMut(f64) -> f64>(f: &mut F, a: f64, b: f64) -> f64 {
    let half = 0.5 * (b - a);
    let mid = 0.5 * (a + b);
    rule()
        .iter()
        .map(|&(x, w)| w * f(mid + half * x))
        .sum::<f64>()
        * half
}

fn adapt<F: FnMut(f64) -> f64>(
    f: &mut F,
    a: f64,
    b: f64,
    whole: f64,
    tol: f64,
    depth: u32,
    max_depth: u32,
) -> f64 {
    let m = 0.5 * (a + b);
    let left = panel(f, a, m);
    let right = panel(f, m, b);
    let split = left + right;
    // The difference of the two estimates bounds the error of the coarser one;
    // the finer one is returned, so the bound is conservative.
    if (split - whole).abs() <= tol || depth >= max_depth || m <= a || m >= b {
        return split;
    }
    adapt(f, a, m, left, 0.5 * tol, depth + 1, max_depth)
        + adapt(f, m, b, right, 0.5 * tol, depth + 1, max_depth)
}

/// Integrates `f` over `[a, b]` (with `a ≤ b` or `a > b`, the latter giving
/// the negative) to the default tolerances.
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
    if a == b {
        return 0.0;
    }
    if a > b {
        return -integrate_with(f, b, a, tol);
    }
    let whole = panel(&mut f, a, b);
    let scale = whole.abs().max(tol.quad_abs);
    adapt(
        &mut f,
        a,
        b,
        whole,
        tol.quad_rel * scale,
        0,
        tol.quad_max_depth,
    )
}

/// Integrates `f` over consecutive pieces `[p₀, p₁], [p₁, p₂], …`, so that
/// kinks of the integrand at the breakpoints do not spoil the rule. Pieces of
/// zero width are skipped; breakpoints must be non-decreasing.
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
