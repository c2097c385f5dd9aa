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
        (build(GAUSS_LEGENDRE_NODES), build(GAUSS_LEGENDRE_NODES / 2))
    })
}

/// `(fine, coarse, fine estimate of ∫|f|)` over `[a, b]`.
fn panel<const K: usize, F: FnMut(f64) -> [f64; K]>(
    f: &mut F,
    a: f64,
    b: f64,
) -> ([f64; K], [f64; K], [f64; K]) {
    let half = 0.5 * (b - a);
    let mid = 0.5 * (a + b);
    let (fine, coarse) = rules();
    let mut acc = [0.0; K];
    let mut abs = [0.0; K];
    for &(x, w) in fine {
        let y = f(mid + half * x);
        for k in 0..K {
            acc[k] += w * y[k];
            abs[k] += w * y[k].abs();
        }
    }
    let mut acc_coarse = [0.0; K];
    for &(x, w) in coarse {
        let y = f(mid + half * x);
        for k in 0..K {
            acc_coarse[k] += w * y[k];
        }
    }
    (
        acc.map(|v| v * half),
        acc_coarse.map(|v| v * half),
        abs.map(|v| v * half),
    )
}

/// Largest number of panels one integral may use; past it the remaining
/// panels are accepted as they are (and the integrand is far from smooth).
const MAX_PANELS: usize = 4096;

/// Integrates the `K` components of `f` over `[a, b]` in one pass, adapting
/// until every component meets the tolerance.
///
/// Each panel must agree between the 20- and 10-node rules to within its
/// share (by width) of `quad_rel · max(|∫f|, ∫|f|)`, so an integral that is
/// zero by cancellation is measured against the size of its integrand and
/// does not force endless refinement. At most 4 096 panels are used.
///
/// # Example
/// ```
/// use exchange_design::numerics::{integrate_vec, Tolerances};
/// let [m0, m1] = integrate_vec(|x: f64| [1.0, x], 0.0, 2.0, &Tolerances::DEFAULT);
/// assert!((m0 - 2.0).abs() < 1e-14 && (m1 - 2.0).abs() < 1e-14);
/// // Zero by symmetry: returns at once.
/// let [odd] = integrate_vec(|x: f64| [x.sin()], -1.0, 1.0, &Tolerances::DEFAULT);
/// assert!(odd.abs() < 1e-15);
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
    let (fine, coarse, abs) = panel(&mut f, a, b);
    let scale = (0..K).fold(tol.quad_abs, |m, k| m.max(fine[k].abs()).max(abs[k]));
    let total_tol = tol.quad_rel * scale;
    let width = b - a;
    let mut out = [0.0; K];
    let mut stack = vec![(a, b, fine, coarse, 0u32)];
    let mut panels = 1usize;
    while let Some((lo, hi, fine, coarse, depth)) = stack.pop() {
        let err = (0..K)
            .map(|k| (fine[k] - coarse[k]).abs())
            .fold(0.0, f64::max);
        let m = 0.5 * (lo + hi);
        let allowed = total_tol * (hi - lo) / width;
        // NaN errors are accepted as they are, so a non-finite integrand
        // shows in the result instead of being refined forever.
        if err <= allowed
            || err.is_nan()
            || depth >= tol.quad_max_depth
            || panels >= MAX_PANELS
            || m <= lo
            || m >= hi
        {
            for k in 0..K {
                out[k] += fine[k];
            }
            continue;
        }
        let (lf, lc, _) = panel(&mut f, lo, m);
        let (rf, rc, _) = panel(&mut f, m, hi);
        panels += 1;
        stack.push((lo, m, lf, lc, depth + 1));
        stack.push((m, hi, rf, rc, depth + 1));
    }
    out
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
