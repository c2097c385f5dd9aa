//! Adaptive composite Gauss–Legendre quadrature.
//!
//! Nodes and weights come from the `gauss-quad` crate and are built once per
//! process. Each panel is integrated with a 20-node and a 10-node rule; the
//! difference bounds the error of the coarse rule (and so, very
//! conservatively, of the fine one), and the panel with the largest error is
//! halved until the errors sum to less than the tolerance. Callers split the range at known kinks
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
    // On a panel a few floats wide a node can round onto an end, where an
    // integrable singularity of the integrand (a hazard ratio where the
    // density vanishes) is infinite; such a node lies outside the open panel
    // and is skipped. Non-finite values at interior nodes still show.
    let inside = |t: f64| t > a && t < b;
    for &(x, w) in fine {
        let t = mid + half * x;
        if !inside(t) {
            continue;
        }
        let y = f(t);
        for k in 0..K {
            acc[k] += w * y[k];
            abs[k] += w * y[k].abs();
        }
    }
    let mut acc_coarse = [0.0; K];
    for &(x, w) in coarse {
        let t = mid + half * x;
        if !inside(t) {
            continue;
        }
        let y = f(t);
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

/// Largest number of panels one integral may use; past it the estimate is
/// returned as it stands (the integrand is then far from smooth).
const MAX_PANELS: usize = 2000;

/// One panel of the adaptive rule, ordered by its (normalised) error so the
/// worst panel is refined first.
struct Panel<const K: usize> {
    lo: f64,
    hi: f64,
    fine: [f64; K],
    err: f64,
}

impl<const K: usize> PartialEq for Panel<K> {
    fn eq(&self, other: &Self) -> bool {
        self.err.total_cmp(&other.err).is_eq()
    }
}
impl<const K: usize> Eq for Panel<K> {}
impl<const K: usize> PartialOrd for Panel<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<const K: usize> Ord for Panel<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.err.total_cmp(&other.err)
    }
}

/// Integrates the `K` components of `f` over `[a, b]` in one pass.
///
/// Globally adaptive: each panel's error is estimated by the difference
/// between the 20- and 10-node rules, measured for each component against
/// `max(|∫f_k|, ∫|f_k|)` (so an integral that is zero by cancellation is
/// judged against the size of its integrand), and the panel with the largest
/// error is halved until the errors sum to less than `quad_rel`. Endpoint
/// singularities (such as `F/f` near an end where the density vanishes)
/// thus cost a few dozen panels, not a uniform refinement. At most 2 000
/// panels are used.
///
/// # Example
/// ```
/// use exchange_design::numerics::{integrate_vec, Tolerances};
/// let [m0, m1] = integrate_vec(|x: f64| [1.0, x], 0.0, 2.0, &Tolerances::DEFAULT);
/// assert!((m0 - 2.0).abs() < 1e-14 && (m1 - 2.0).abs() < 1e-14);
/// // Zero by symmetry: returns at once.
/// let [odd] = integrate_vec(|x: f64| [x.sin()], -1.0, 1.0, &Tolerances::DEFAULT);
/// assert!(odd.abs() < 1e-15);
/// // An integrable endpoint singularity: ∫_0^1 ln(x) dx = −1.
/// let [log] = integrate_vec(|x: f64| [x.ln()], 0.0, 1.0, &Tolerances::DEFAULT);
/// assert!((log + 1.0).abs() < 1e-12);
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
    let scale: [f64; K] = std::array::from_fn(|k| fine[k].abs().max(abs[k]).max(tol.quad_abs));
    let error = |fine: &[f64; K], coarse: &[f64; K]| -> f64 {
        (0..K)
            .map(|k| (fine[k] - coarse[k]).abs() / scale[k])
            .fold(0.0, f64::max)
    };
    let first = Panel {
        lo: a,
        hi: b,
        fine,
        err: error(&fine, &coarse),
    };
    let mut total = first.err;
    let mut heap = std::collections::BinaryHeap::with_capacity(64);
    heap.push(first);
    // A NaN error means a non-finite integrand: stop and let it show.
    while total > tol.quad_rel && !total.is_nan() && heap.len() < MAX_PANELS {
        let Some(worst) = heap.pop() else { break };
        let m = 0.5 * (worst.lo + worst.hi);
        let width = worst.hi - worst.lo;
        if m <= worst.lo
            || m >= worst.hi
            || width <= 64.0 * f64::EPSILON * worst.lo.abs().max(worst.hi.abs())
        {
            // A few floats wide: nothing meaningful left to split.
            heap.push(worst);
            break;
        }
        let (lf, lc, _) = panel(&mut f, worst.lo, m);
        let (rf, rc, _) = panel(&mut f, m, worst.hi);
        let left = Panel {
            lo: worst.lo,
            hi: m,
            fine: lf,
            err: error(&lf, &lc),
        };
        let right = Panel {
            lo: m,
            hi: worst.hi,
            fine: rf,
            err: error(&rf, &rc),
        };
        total += left.err + right.err - worst.err;
        heap.push(left);
        heap.push(right);
    }
    let mut out = [0.0; K];
    for p in heap {
        for (o, v) in out.iter_mut().zip(p.fine) {
            *o += v;
        }
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
