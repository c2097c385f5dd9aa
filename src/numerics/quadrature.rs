//! Adaptive composite Gauss–Kronrod quadrature.
//!
//! Each panel is integrated with the 21-node Kronrod rule, whose nodes
//! include those of the 10-node Gauss–Legendre rule; the difference between
//! the two bounds the error of the Gauss rule (and so, very conservatively,
//! of the Kronrod one), and the panel with the largest error is halved until
//! the errors sum to less than the tolerance. The pair costs 21 evaluations
//! per panel where separate 20- and 10-node Gauss rules cost 30, for the
//! same error estimate. Callers split the range at known kinks (support
//! ends, the edges of the binding interval, grid nodes of a tabulated
//! density) with [`integrate_pieces`], so every panel sees a smooth
//! integrand. The nodes are interior (a node that rounds onto an end is
//! moved to the nearest double inside), so an integrand is evaluated at a
//! panel's end points only on a panel one float wide, which has no inside.
//!
//! [`integrate_vec_checked`] integrates several functions that share their expensive
//! parts (a CDF and a density, say) in one pass.

use super::tolerance::Tolerances;
use super::NumericalError;

/// The 21-node Gauss–Kronrod rule on `[-1, 1]`, non-negative nodes only
/// (the rule is symmetric): `(node, Kronrod weight, Gauss weight)`, the
/// Gauss weight 0 at the nodes the Kronrod extension adds. The Kronrod
/// nodes are the roots of the Stieltjes polynomial of `P₁₀`; nodes and
/// weights were computed in 60-digit arithmetic (`mpmath`) and rounded. The
/// unit tests check that the Kronrod rule integrates every polynomial of
/// degree 31 or less exactly, and that its Gauss part is the 10-node
/// Gauss–Legendre rule of the `gauss-quad` crate, which has no Kronrod
/// rules (see `docs/design.md`).
#[allow(clippy::excessive_precision)]
const KRONROD_21: [(f64, f64, f64); 11] = [
    (0.0, 0.149445554002916905665, 0.0),
    (
        0.148874338981631210885,
        0.147739104901338491375,
        0.295524224714752870174,
    ),
    (0.294392862701460198131, 0.142775938577060080797, 0.0),
    (
        0.433395394129247190799,
        0.134709217311473325928,
        0.269266719309996355091,
    ),
    (0.562757134668604683339, 0.123491976262065851078, 0.0),
    (
        0.679409568299024406234,
        0.109387158802297641899,
        0.219086362515982043996,
    ),
    (0.780817726586416897064, 0.0931254545836976055351, 0.0),
    (
        0.865063366688984510732,
        0.075039674810919952767,
        0.149451349150580593146,
    ),
    (0.930157491355708226001, 0.0547558965743519960314, 0.0),
    (
        0.973906528517171720078,
        0.0325581623079647274788,
        0.0666713443086881375936,
    ),
    (0.995657163025808080736, 0.0116946388673718742781, 0.0),
];

/// `(fine, coarse, fine estimate of ∫|f|)` over `[a, b]`: the Kronrod and
/// Gauss sums from the same evaluations.
fn panel<const K: usize, F: FnMut(f64) -> [f64; K]>(
    f: &mut F,
    a: f64,
    b: f64,
) -> ([f64; K], [f64; K], [f64; K], [f64; K]) {
    let half = 0.5 * (b - a);
    let mid = 0.5 * (a + b);
    let mut acc = [0.0; K];
    let mut abs = [0.0; K];
    let mut acc_coarse = [0.0; K];
    // On a panel a few hundred floats wide or less, the outer nodes round
    // onto an end, where an integrable singularity of the integrand (a
    // hazard ratio where the density vanishes) may be infinite. Such a node
    // is moved to the nearest double inside the open panel, keeping its
    // weight: skipping it instead lost 1.2 % of the weight on every panel
    // narrower than about 230 floats, and all of it on a panel one float
    // wide, whose integral came back 0 with error 0 (`check_feasibility`
    // on a table 0.0016 wide at z = −4 954, `ironing_search harsh 1000 161`
    // market 12). A panel with no double inside has only its ends: see
    // `float_panel`. Non-finite values at interior nodes still show.
    let (first, last) = (a.next_up(), b.next_down());
    if first > last {
        let (fine, coarse, abs) = float_panel(f, a, b);
        return (fine, coarse, abs, [0.0; K]);
    }
    let mut least = [f64::INFINITY; K];
    let mut most = [f64::NEG_INFINITY; K];
    for &(x, wk, wg) in &KRONROD_21 {
        let nodes = if x == 0.0 {
            [mid, f64::NAN]
        } else {
            [mid - half * x, mid + half * x]
        };
        for t in nodes {
            if t.is_nan() {
                continue;
            }
            let y = f(t.clamp(first, last));
            for k in 0..K {
                least[k] = least[k].min(y[k]);
                most[k] = most[k].max(y[k]);
                acc[k] += wk * y[k];
                abs[k] += wk * y[k].abs();
                acc_coarse[k] += wg * y[k];
            }
        }
    }
    // Each node stands up to a float, `ε max(|a|, |b|)`, from where the
    // rule puts it, which moves the sums by up to that times the
    // integrand's variation over the panel (taken as twice its range over
    // the nodes): below that the Kronrod–Gauss difference is rounding.
    let float = f64::EPSILON * a.abs().max(b.abs());
    let placement = std::array::from_fn(|k| 2.0 * float * (most[k] - least[k]));
    (
        acc.map(|v| v * half),
        acc_coarse.map(|v| v * half),
        abs.map(|v| v * half),
        placement,
    )
}

/// A panel one float wide (no double strictly between its ends): the
/// integrand is known only at the two ends. The value at `a` stands for the
/// whole panel, as the value at a double stands for the stretch up to the
/// next one: the crate's integrands are right-continuous (a density counts
/// on `[lo, hi)`), and where a piece ends at a jump, at a kink, the value
/// at `b` is the next piece's. (The trapezoid on both ends put the density
/// after a Beta component's end into the last float before it: `F/f`
/// there went from 3.9 to 1.5e16, and a utility gain one float below the
/// binding interval came out −1.06e6 for 1.3e-6, `ironing_search harsh
/// 3000 211` market 2588.) Where `a` holds an integrable singularity (an
/// infinite value) the value at `b` stands instead; NaN if neither end is
/// finite. The error estimate is the difference between the value used
/// and the trapezoid, as if the integrand could be anything between the
/// ends across the panel.
fn float_panel<const K: usize, F: FnMut(f64) -> [f64; K]>(
    f: &mut F,
    a: f64,
    b: f64,
) -> ([f64; K], [f64; K], [f64; K]) {
    let width = b - a;
    let (ya, yb) = (f(a), f(b));
    let mut fine = [0.0; K];
    let mut coarse = [0.0; K];
    let mut abs = [0.0; K];
    for k in 0..K {
        let (fa, fb) = (ya[k], yb[k]);
        let (v, other) = match (fa.is_finite(), fb.is_finite()) {
            (true, true) => (fa, 0.5 * (fa + fb)),
            (true, false) => (fa, fa),
            (false, true) => (fb, fb),
            (false, false) => (f64::NAN, f64::NAN),
        };
        fine[k] = v * width;
        coarse[k] = other * width;
        abs[k] = v.abs() * width;
    }
    (fine, coarse, abs)
}

/// Largest number of panels one integral may use; past it the estimate is
/// returned with the accuracy it reached, which [`integrate_vec_checked`]
/// reports (the integrand is then far from smooth).
const MAX_PANELS: usize = 2000;

#[cfg(test)]
thread_local! {
    /// The panel cap on this thread: unit tests lower it
    /// ([`with_panel_cap`]) to drive the callers of the quadrature into
    /// the cap with ordinary integrands.
    static PANEL_CAP: std::cell::Cell<usize> = const { std::cell::Cell::new(MAX_PANELS) };
}

fn panel_cap() -> usize {
    #[cfg(test)]
    {
        PANEL_CAP.with(|c| c.get())
    }
    #[cfg(not(test))]
    {
        MAX_PANELS
    }
}

/// Runs `f` with the adaptive rule's panel cap lowered to `cap` on this
/// thread (unit tests only).
#[cfg(test)]
pub(crate) fn with_panel_cap<R>(cap: usize, f: impl FnOnce() -> R) -> R {
    let old = PANEL_CAP.with(|c| c.replace(cap));
    let out = f();
    PANEL_CAP.with(|c| c.set(old));
    out
}

/// Units of `ε` in [`node_resolution`]: a node is rounded by at most half
/// an ulp, and on a piece across which the density varies at most
/// 1024-fold (the pieces of `distribution::feature_breakpoints`) the
/// log-density changes by at most `ln 1024 ≈ 6.9` over the piece's width,
/// so the integrand at a rounded node is off by at most about
/// `3.5 ε |z| / w` relative; over twice that leaves room for the other
/// factors of a moment's integrand (`z`, a virtual value), which vary far
/// more slowly.
const NODE_ROUNDING: f64 = 8.0;

/// The relative accuracy an integral against a density over the piece
/// `[a, b]` cannot be asked to beat: the rule's nodes are doubles, each
/// within half an ulp of `max(|a|, |b|)` of where the rule would put it,
/// and a narrow piece far from zero (a cluster of traders `1e-6` wide at
/// `0.3`) has its nodes placed to only `ε |z| / (b − a)` of its width, so
/// two rules on those nodes disagree by about that much however finely
/// they split (measured: `2e-13` for a cluster `1e-5` wide at `0.3`).
/// Below `quad_rel` on any piece wider than about `2e-2 |z|`.
pub(crate) fn node_resolution(a: f64, b: f64) -> f64 {
    if b > a {
        NODE_ROUNDING * f64::EPSILON * a.abs().max(b.abs()) / (b - a)
    } else {
        0.0
    }
}

/// An integral with the accuracy the adaptive rule reached.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Integral<const K: usize> {
    /// The integrals of the `K` components.
    pub value: [f64; K],
    /// The estimated error, relative to the scale of each component (see
    /// [`integrate_vec_checked`]), of the worst component: at most
    /// `Tolerances::quad_rel` unless the rule stopped at its panel cap or at
    /// panels a few floats wide; NaN for a non-finite integrand.
    pub error: f64,
    /// What `error` is relative to, per component: `max(|∫f_k|, ∫|f_k|,
    /// quad_abs)` as first estimated (so `error · scale` bounds the
    /// absolute error).
    pub scale: [f64; K],
    /// Per component, the bound on the absolute error: `error · scale` for
    /// one rule's result, summed over the pieces of a join. Kept apart so
    /// that joining many pieces does not give one component the relative
    /// error another had on a piece where it was tiny.
    absolute: [f64; K],
}

/// One panel of the adaptive rule, ordered by its (normalised) error so the
/// worst panel is refined first.
struct Panel<const K: usize> {
    lo: f64,
    hi: f64,
    fine: [f64; K],
    err: f64,
    /// What the doubles resolve on the panel, relative as `err` is.
    floor: f64,
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

/// Integrates the `K` components of `f` over `[a, b]` in one pass, with
/// the accuracy reached.
///
/// Globally adaptive: each panel's error is estimated by the difference
/// between the 21-node Kronrod and 10-node Gauss rules, measured for each component against
/// `max(|∫f_k|, ∫|f_k|)` (so an integral that is zero by cancellation is
/// judged against the size of its integrand), and the panel with the largest
/// error is halved until the errors sum to less than `quad_rel`. Endpoint
/// singularities (such as `F/f` near an end where the density vanishes)
/// thus cost a few dozen panels, not a uniform refinement. A panel whose
/// Kronrod–Gauss difference is no larger than what the doubles resolve
/// there (a float, `ε max(|a|, |b|)`, times twice the integrand's range
/// over the panel's nodes: where the nodes stand is known no better), and
/// whose halves together are no better than half of it, is rounding, not
/// truncation: the halves are set aside, their difference kept in the
/// error, and the rule stops when the other panels meet `quad_rel`. At most 2 000
/// panels are used: past them (or at panels a few floats wide) the rule
/// stops, and [`Integral::error`] says how far it got. There is no
/// unchecked variant: every caller decides what a shortfall means for it.
pub(crate) fn integrate_vec_checked<const K: usize, F: FnMut(f64) -> [f64; K]>(
    f: F,
    a: f64,
    b: f64,
    tol: &Tolerances,
) -> Integral<K> {
    adaptive(f, (a, b), K, tol)
}

/// [`integrate_vec_checked`] with only the first `controlled` components
/// under error control: the others are integrated on the same panels,
/// which they do not choose (a probe that checks the rule, such as the
/// density of [`integrate_pieces_with_mass`], leaves the other
/// components' panels, and so their values, as they are without it).
fn adaptive<const K: usize, F: FnMut(f64) -> [f64; K]>(
    mut f: F,
    (a, b): (f64, f64),
    controlled: usize,
    tol: &Tolerances,
) -> Integral<K> {
    if a == b {
        return Integral::ZERO;
    }
    if a > b {
        let r = adaptive(f, (b, a), controlled, tol);
        return Integral {
            value: r.value.map(|v| -v),
            ..r
        };
    }
    let (fine, coarse, abs, placement) = panel(&mut f, a, b);
    let scale: [f64; K] = std::array::from_fn(|k| fine[k].abs().max(abs[k]).max(tol.quad_abs));
    let error = |fine: &[f64; K], coarse: &[f64; K]| -> f64 {
        (0..controlled)
            .map(|k| {
                let diff = (fine[k] - coarse[k]).abs();
                // With `quad_abs = 0` a component that is zero at every
                // node has scale 0: both rules agree exactly, no error
                // (not 0/0). A NaN difference still shows.
                if diff == 0.0 {
                    0.0
                } else {
                    diff / scale[k]
                }
            })
            // Not `f64::max`, which drops a NaN: a non-finite integrand
            // must show as a NaN error.
            .fold(0.0, |m, e| if e.is_nan() || e > m { e } else { m })
    };
    // What the doubles resolve on a panel, relative to the scale as the
    // error is.
    let floor = |placement: &[f64; K]| -> f64 {
        (0..controlled)
            .map(|k| placement[k] / scale[k])
            .fold(0.0, |m, e| if e > m { e } else { m })
    };
    let first = Panel {
        lo: a,
        hi: b,
        fine,
        err: error(&fine, &coarse),
        floor: floor(&placement),
    };
    let mut total = first.err;
    let mut heap = std::collections::BinaryHeap::with_capacity(64);
    heap.push(first);
    // Panels whose error is where the doubles put their nodes: set aside,
    // their error kept in `total`, while the others are refined (below).
    // (Splitting them spent the panel cap at the end of a Beta with
    // `a = 18`, where rounding a node moves `(z − lo)^17` by 1e-7
    // relative: `ironing_search harsh 3000 171` market 0, a 28 s solve.)
    let mut settled = Vec::new();
    let mut settled_err = 0.0;
    // A NaN error means a non-finite integrand: stop and let it show.
    while total - settled_err > tol.quad_rel
        && !total.is_nan()
        && heap.len() + settled.len() < panel_cap()
    {
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
        let (lf, lc, _, lp) = panel(&mut f, worst.lo, m);
        let (rf, rc, _, rp) = panel(&mut f, m, worst.hi);
        let left = Panel {
            lo: worst.lo,
            hi: m,
            fine: lf,
            err: error(&lf, &lc),
            floor: floor(&lp),
        };
        let right = Panel {
            lo: m,
            hi: worst.hi,
            fine: rf,
            err: error(&rf, &rc),
            floor: floor(&rp),
        };
        total += left.err + right.err - worst.err;
        // Halving did not shrink an error already within what the doubles
        // resolve: it is rounding, not the rule's, and the halves are set
        // aside. (A truncation error shrinks by orders of magnitude when a
        // panel is halved; set aside on the bound alone, a wide panel of a
        // steep integrand kept an error that halving would have removed,
        // and a gain far from zero came out −1.5e-10: `ironing_search
        // harsh 3000 191` market 1858.)
        let halves = left.err + right.err;
        if worst.err <= worst.floor && halves >= 0.5 * worst.err {
            settled_err += halves;
            settled.push(left);
            settled.push(right);
        } else {
            heap.push(left);
            heap.push(right);
        }
    }
    let mut out = [0.0; K];
    for p in heap.into_iter().chain(settled) {
        for (o, v) in out.iter_mut().zip(p.fine) {
            *o += v;
        }
    }
    Integral::new(out, total, scale)
}

/// The most halvings [`integrate_vec_with_mass`] spends on one call looking
/// for probability its rule missed: a feature is located by following the
/// half that still misses it, one halving per level, and a cluster `1e-7`
/// of the range wide is about 24 levels down.
const MASS_SEARCH_HALVINGS: usize = 48;

/// How far, in units of `quad_rel` (or of the nodes' resolution where that
/// is coarser) relative to the probability, the rule's integral of the
/// density may stand from the known one before the range counts as having
/// missed part of the density.
const MASS_SLACK: f64 = 16.0;

/// What the density in an integrand is known to integrate to, for
/// [`integrate_vec_with_mass`].
pub(crate) struct KnownMass<'a> {
    /// The probability of `[p, q]` from the distribution's closed forms,
    /// with the rounding it carries.
    pub of: Probability<'a>,
    /// `of(a, b)` over the whole range, when the caller has it already.
    pub range: Option<(f64, f64)>,
    /// The probability of everything the caller assembles from this range
    /// (the distribution's 1, or a pool's probability for a pool's mean):
    /// a shortfall within `quad_rel` of it cannot move the result beyond
    /// the tolerance and is not searched for. (Deep in a narrow cluster's
    /// tail a piece holding `1e-220` of probability is integrated only to
    /// `1e-8` of itself, since moving a node by one ulp moves a density
    /// that steep by that much; held to its own probability, it spent every
    /// halving.)
    pub whole: f64,
    /// Whether the density is one of the caller's results, held to
    /// `quad_rel` with the other components (`true`), or only a probe
    /// that checks the rule (`false`; then it must be the last component):
    /// its accuracy is left out of the rule's error control, so the other
    /// components are integrated on the panels they would have without it,
    /// and only a range that misses probability is integrated again.
    pub steers: bool,
}

/// The probability of `[p, q]` and its rounding (see [`KnownMass`]).
pub(crate) type Probability<'a> = &'a dyn Fn(f64, f64) -> (f64, f64);

/// [`integrate_vec_checked`] of an integrand whose component `k` is a
/// density `f`, checked against what that density is known to integrate
/// to (`known`).
///
/// The rule's error estimate compares two rules on the same nodes, so a
/// cluster of probability between the nodes (or between the last node and
/// an end) is invisible to both, and the range "converges" without it.
/// The closed forms see it: where the rule's `∫ f` misses the probability,
/// the range is halved and each half integrated and checked in turn,
/// following the missing probability down to the feature. A range still
/// short after [`MASS_SEARCH_HALVINGS`], or that can no longer be halved,
/// reports the shortfall (relative to its probability) as its error. The
/// halves are joined ([`Integral::join`]), so a narrow half is held to
/// the whole range's scale, not its own.
pub(crate) fn integrate_vec_with_mass<const K: usize, F: FnMut(f64) -> [f64; K]>(
    f: &mut F,
    (a, b): (f64, f64),
    k: usize,
    known: KnownMass<'_>,
    tol: &Tolerances,
) -> Integral<K> {
    let mut budget = MASS_SEARCH_HALVINGS;
    let range = known.range.unwrap_or_else(|| (known.of)(a, b));
    let floor = tol.quad_rel * known.whole + f64::MIN_POSITIVE;
    debug_assert!(known.steers || k + 1 == K, "a probe is the last component");
    let controlled = if known.steers { K } else { k };
    checked_against_mass(
        f,
        (a, b),
        (k, controlled),
        (known.of, floor),
        range,
        tol,
        &mut budget,
    )
}

fn checked_against_mass<const K: usize, F: FnMut(f64) -> [f64; K]>(
    f: &mut F,
    (a, b): (f64, f64),
    (k, controlled): (usize, usize),
    (mass, floor): (Probability<'_>, f64),
    (exact, rounding): (f64, f64),
    tol: &Tolerances,
    budget: &mut usize,
) -> Integral<K> {
    let v = adaptive(&mut *f, (a, b), controlled, tol);
    let ruled = v.value[k];
    let missed = (ruled - exact).abs();
    // `floor` holds what does not matter to the caller, and the smallest
    // normal number: below it a probability is rounded in absolute steps
    // of `2⁻¹⁰⁷⁴`, where the relative terms underflow to 0.
    let allowed =
        rounding + MASS_SLACK * tol.quad_rel.max(node_resolution(a, b)) * exact.max(ruled) + floor;
    // A NaN anywhere is left for the caller's checks to see.
    if missed <= allowed || missed.is_nan() {
        return v;
    }
    let m = 0.5 * (a + b);
    if *budget == 0 || m <= a || m >= b {
        return Integral::new(v.value, v.error.max(missed / exact.max(ruled)), v.scale);
    }
    *budget -= 1;
    let ends = (k, controlled);
    let left = checked_against_mass(f, (a, m), ends, (mass, floor), mass(a, m), tol, budget);
    let right = checked_against_mass(f, (m, b), ends, (mass, floor), mass(m, b), tol, budget);
    left.join(right)
}

/// Integrates `f` over consecutive pieces `[p₀, p₁], [p₁, p₂], …`, so that
/// kinks of the integrand at the breakpoints do not spoil the rule (pieces
/// of zero or negative width are skipped), with the accuracy reached
/// relative to the whole integral's scale (the sum of the pieces' scales): a piece
/// whose integrand is zero up to rounding is judged against `quad_abs`
/// on its own and can look unconverged, but what it adds to the whole is
/// its absolute error.
pub(crate) fn integrate_pieces_checked<F: FnMut(f64) -> f64>(
    mut f: F,
    breakpoints: &[f64],
    tol: &Tolerances,
) -> Integral<1> {
    integrate_pieces(|x| [f(x), 0.0], breakpoints, None, tol)
}

/// [`integrate_pieces_checked`] of a function of a trader's type whose
/// value depends on where the type distribution's probability lies (a
/// virtual type's hazard ratio, a payment weighted by the density): `f`
/// returns the value and the density at the point, and each piece is
/// checked against the distribution's closed-form probability
/// ([`integrate_vec_with_mass`], the density a probe that does not steer
/// the rule). A cluster of traders between the rule's nodes changes the
/// value there as sharply as the density, and is otherwise stepped over.
pub(crate) fn integrate_pieces_with_mass<F: FnMut(f64) -> [f64; 2]>(
    f: F,
    breakpoints: &[f64],
    mass: Probability<'_>,
    tol: &Tolerances,
) -> Integral<1> {
    integrate_pieces(f, breakpoints, Some(mass), tol)
}

fn integrate_pieces<F: FnMut(f64) -> [f64; 2]>(
    mut g: F,
    breakpoints: &[f64],
    mass: Option<Probability<'_>>,
    tol: &Tolerances,
) -> Integral<1> {
    // Each piece need only be accurate to `quad_rel` of the whole, not of
    // itself: a piece far smaller than the whole (a stretch of 3e-10 next
    // to a Beta component's start, where the integrand is known only on
    // the doubles' grid, a staircase of steps of 1e-7 relative) otherwise
    // spent the 2 000-panel cap on every call, and `check_feasibility`
    // spent minutes on one market (`ironing_search ordinary 20000 61`,
    // market 481). The whole's size comes from one panel per piece (the
    // Kronrod estimate of `∫ |f|`); the accuracy reported is the pieces'
    // absolute errors over the larger of that and what they add up to.
    let pieces: Vec<(f64, f64)> = breakpoints
        .windows(2)
        .filter(|w| w[1] > w[0])
        .map(|w| (w[0], w[1]))
        .collect();
    let whole: f64 = pieces
        .iter()
        .map(|&(a, b)| panel(&mut |x| [g(x)[0]], a, b).2[0])
        .sum();
    let share = Tolerances {
        quad_abs: tol.quad_abs.max(whole / pieces.len().max(1) as f64),
        ..*tol
    };
    let mut piece = |(a, b): (f64, f64), tol: &Tolerances| -> Integral<1> {
        match mass {
            Some(of) => integrate_vec_with_mass(
                &mut g,
                (a, b),
                1,
                KnownMass {
                    of,
                    range: None,
                    whole: 1.0,
                    steers: false,
                },
                tol,
            ),
            None => adaptive(&mut g, (a, b), 1, tol),
        }
        .first()
    };
    let (mut value, mut absolute, mut size) = (0.0, 0.0, 0.0);
    for &(a, b) in &pieces {
        let r = piece((a, b), &share);
        value += r.value[0];
        absolute += r.error * r.scale[0];
        size += r.value[0].abs();
    }
    // Accepted only if it meets `quad_rel` of what the pieces add up to
    // (the one-panel estimate can overstate the whole where a node lands
    // near a singularity, and its share would then be too loose); else
    // each piece is held to `quad_rel` of itself.
    let scale = size.max(tol.quad_abs);
    if absolute <= tol.quad_rel * scale {
        return Integral::new(
            [value],
            if absolute == 0.0 {
                0.0
            } else {
                absolute / scale
            },
            [scale],
        );
    }
    pieces
        .iter()
        .map(|&(a, b)| piece((a, b), tol))
        .fold(Integral::ZERO, Integral::join)
}

impl<const K: usize> Integral<K> {
    /// The first component alone, with its own accuracy.
    pub(crate) fn first(self) -> Integral<1> {
        let (scale, absolute) = (self.scale[0], self.absolute[0]);
        Integral {
            value: [self.value[0]],
            error: if scale > 0.0 {
                absolute / scale
            } else {
                absolute
            },
            scale: [scale],
            absolute: [absolute],
        }
    }

    /// The integral over an empty range.
    pub(crate) const ZERO: Self = Self {
        value: [0.0; K],
        error: 0.0,
        scale: [0.0; K],
        absolute: [0.0; K],
    };

    /// One rule's result: `error` relative to each component's `scale`.
    pub(crate) fn new(value: [f64; K], error: f64, scale: [f64; K]) -> Self {
        Self {
            value,
            error,
            scale,
            absolute: scale.map(|s| error * s),
        }
    }

    /// The integral over the union of two adjacent ranges: values, scales
    /// and each component's absolute error bound add, and the error is the
    /// worst component's absolute bound relative to its summed scale (so a
    /// piece whose integrand is zero up to rounding adds only its absolute
    /// error, and a component's error is its own: a piece where one
    /// component is tiny and poorly resolved does not pass its relative
    /// error on to the others). Folding pieces in order gives the error of
    /// [`integrate_pieces_checked`].
    pub(crate) fn join(self, other: Self) -> Self {
        let scale: [f64; K] = std::array::from_fn(|k| self.scale[k] + other.scale[k]);
        let absolute: [f64; K] = std::array::from_fn(|k| self.absolute[k] + other.absolute[k]);
        let mut error = 0.0f64;
        for k in 0..K {
            let e = if scale[k] > 0.0 {
                absolute[k] / scale[k]
            } else {
                absolute[k]
            };
            // `f64::max` would drop a NaN (a non-finite integrand).
            error = if e.is_nan() || e > error { e } else { error };
        }
        Self {
            value: std::array::from_fn(|k| self.value[k] + other.value[k]),
            error,
            scale,
            absolute,
        }
    }

    /// The values when the accuracy reached is within `needed`, else the
    /// typed error naming the integral `what` (a NaN error, from a
    /// non-finite integrand, is not within anything).
    pub(crate) fn values_within(
        self,
        what: &'static str,
        needed: f64,
    ) -> Result<[f64; K], NumericalError> {
        if self.error <= needed {
            Ok(self.value)
        } else {
            Err(NumericalError::QuadratureNotConverged {
                what,
                error: self.error,
                needed,
            })
        }
    }

    /// As [`Integral::values_within`], with each component's absolute
    /// error allowed `allowance[k]` beyond `needed` of its scale (an
    /// absolute floor in the caller's own units, for components whose
    /// scale can be far below what they are compared with).
    pub(crate) fn values_within_allowing(
        self,
        what: &'static str,
        needed: f64,
        allowance: [f64; K],
    ) -> Result<[f64; K], NumericalError> {
        let allowed = allowance
            .iter()
            .zip(self.scale)
            .filter(|&(_, s)| s > 0.0)
            .map(|(a, s)| needed + a / s)
            .fold(needed, f64::max);
        let fits = (0..K).all(|k| self.absolute[k] <= needed * self.scale[k] + allowance[k]);
        if fits {
            Ok(self.value)
        } else {
            Err(NumericalError::QuadratureNotConverged {
                what,
                error: self.error,
                needed: allowed,
            })
        }
    }
}

impl Integral<1> {
    /// The value when the accuracy reached is within `needed`, else the
    /// typed error naming the integral `what`.
    pub(crate) fn within(self, what: &'static str, needed: f64) -> Result<f64, NumericalError> {
        self.values_within(what, needed).map(|[v]| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A piece a millionth of the whole whose integrand is a staircase of
    /// steps of 1e-7 relative (a function known only on a coarse grid, as
    /// a density near a Beta component's start is on the doubles' grid)
    /// cannot reach `quad_rel` of itself, but need only reach it of the
    /// whole: it is done in a few panels, not the cap, and the whole meets
    /// `quad_rel` (the exact integral is 1 + 1e-6 to within the steps'
    /// 1e-13).
    #[test]
    fn a_small_piece_is_held_to_the_whole_integrals_accuracy() {
        let mut calls = 0usize;
        let stairs = |x: f64| {
            calls += 1;
            if x <= 1.0 {
                1.0
            } else {
                1.0 + 1e-7 * ((x * 1e12).floor() % 2.0)
            }
        };
        let tol = Tolerances::DEFAULT;
        let r = integrate_pieces_checked(stairs, &[0.0, 1.0, 1.0 + 1e-6], &tol);
        assert!(r.error <= tol.quad_rel, "{}", r.error);
        assert!((r.value[0] - (1.0 + 1e-6)).abs() <= 1e-12, "{}", r.value[0]);
        assert!(calls <= 200, "{calls} evaluations");
    }

    #[test]
    fn integrate_vec_example() {
        let [m0, m1] =
            integrate_vec_checked(|x: f64| [1.0, x], 0.0, 2.0, &Tolerances::DEFAULT).value;
        assert!((m0 - 2.0).abs() < 1e-14 && (m1 - 2.0).abs() < 1e-14);
        // Zero by symmetry: returns at once.
        let [odd] =
            integrate_vec_checked(|x: f64| [x.sin()], -1.0, 1.0, &Tolerances::DEFAULT).value;
        assert!(odd.abs() < 1e-15);
        // An integrable endpoint singularity: ∫_0^1 ln(x) dx = −1.
        let [log] = integrate_vec_checked(|x: f64| [x.ln()], 0.0, 1.0, &Tolerances::DEFAULT).value;
        assert!((log + 1.0).abs() < 1e-12);
    }

    #[test]
    fn integrate_pieces_example() {
        // |x| has a kink at 0.
        let v = integrate_pieces_checked(|x: f64| x.abs(), &[-1.0, 0.0, 2.0], &Tolerances::DEFAULT)
            .value[0];
        assert!((v - 2.5).abs() < 1e-14);
    }

    /// `Σ w x^k` over the whole symmetric rule.
    fn moment(k: i32, gauss: bool) -> f64 {
        KRONROD_21
            .iter()
            .map(|&(x, wk, wg)| {
                let w = if gauss { wg } else { wk };
                if x == 0.0 {
                    if k == 0 {
                        w
                    } else {
                        0.0
                    }
                } else {
                    w * (x.powi(k) + (-x).powi(k))
                }
            })
            .sum()
    }

    /// The Kronrod rule is exact to degree 3·10 + 1 = 31 and the Gauss
    /// part to degree 19: `∫_{-1}^{1} x^k = 2/(k + 1)` for even `k`, 0 for
    /// odd. Degree 32 is no longer exact, so the check can fail.
    #[test]
    fn kronrod_and_gauss_parts_have_their_degrees() {
        for k in 0..=31 {
            let want = if k % 2 == 0 {
                2.0 / (k as f64 + 1.0)
            } else {
                0.0
            };
            assert!((moment(k, false) - want).abs() < 4e-16, "Kronrod, x^{k}");
            if k <= 19 {
                assert!((moment(k, true) - want).abs() < 4e-16, "Gauss, x^{k}");
            }
        }
        assert!((moment(32, false) - 2.0 / 33.0).abs() > 1e-13);
        assert!((moment(20, true) - 2.0 / 21.0).abs() > 1e-6);
    }

    /// The Gauss part is the 10-node Gauss–Legendre rule of `gauss-quad`.
    #[test]
    fn gauss_part_is_gauss_legendre() {
        let rule = gauss_quad::GaussLegendre::new(std::num::NonZeroUsize::new(10).unwrap());
        let mut ours: Vec<(f64, f64)> = KRONROD_21
            .iter()
            .filter(|r| r.2 > 0.0)
            .flat_map(|&(x, _, w)| [(-x, w), (x, w)])
            .collect();
        ours.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut theirs: Vec<(f64, f64)> = rule.iter().map(|(x, w)| (*x, *w)).collect();
        theirs.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert_eq!(ours.len(), theirs.len());
        for (o, t) in ours.iter().zip(&theirs) {
            assert!(
                (o.0 - t.0).abs() < 1e-15 && (o.1 - t.1).abs() < 1e-15,
                "{o:?} {t:?}"
            );
        }
    }

    /// A piece whose integrand is zero up to rounding (noise of 1e-17)
    /// cannot meet `quad_rel` against `quad_abs` on its own, but adds only
    /// its absolute error to the whole.
    #[test]
    fn a_piece_of_rounding_noise_does_not_spoil_the_whole() {
        let tol = Tolerances::DEFAULT;
        let noise = |x: f64| 1e-17 * (1e5 * x).sin();
        let alone = integrate_vec_checked(|x: f64| [noise(x)], 0.0, 1.0, &tol);
        assert!(alone.error > tol.quad_rel, "{}", alone.error);
        let f = |x: f64| if x < 1.0 { noise(x) } else { x };
        let r = integrate_pieces_checked(f, &[0.0, 1.0, 2.0], &tol);
        assert!(r.error <= tol.quad_rel, "{}", r.error);
        assert!((r.value[0] - 1.5).abs() < 1e-15);
    }

    #[test]
    fn integrate_pieces_checked_reports_a_rough_piece() {
        let tol = Tolerances::DEFAULT;
        let r = integrate_pieces_checked(|x: f64| x.abs(), &[-1.0, 0.0, 2.0], &tol);
        assert!((r.value[0] - 2.5).abs() < 1e-14 && r.error <= tol.quad_rel);
        assert_eq!(r.within("|x|", tol.quad_rel), Ok(r.value[0]));
        // One rough piece makes the whole rough.
        let rough = integrate_pieces_checked(
            |x: f64| if x < 1.0 { x } else { (1e6 * x).sin() },
            &[0.0, 1.0, 101.0],
            &tol,
        );
        assert!(rough.error > 1e3 * tol.quad_rel, "{}", rough.error);
        match rough.within("sin", tol.quad_rel) {
            Err(NumericalError::QuadratureNotConverged {
                what,
                error,
                needed,
            }) => {
                assert_eq!((what, needed), ("sin", tol.quad_rel));
                assert_eq!(error, rough.error);
            }
            other => panic!("{other:?}"),
        }
    }

    /// A component that is zero at every node, with `quad_abs = 0`, has
    /// scale 0: its error is 0 (exact), not 0/0.
    #[test]
    fn an_identically_zero_component_is_exact_without_an_absolute_floor() {
        let tol = Tolerances {
            quad_abs: 0.0,
            ..Tolerances::DEFAULT
        };
        let r = integrate_vec_checked(|x: f64| [0.0, x], 0.0, 1.0, &tol);
        assert_eq!(r.error, 0.0);
        assert_eq!(r.values_within("zero", tol.quad_rel), Ok([0.0, 0.5]));
        let nan = integrate_vec_checked(|_: f64| [f64::NAN], 0.0, 1.0, &tol);
        assert!(nan.error.is_nan());
        assert!(nan.values_within("nan", 1.0).is_err());
    }

    /// Joining pieces: values and scales add, and each component's
    /// absolute error bound `error · scale` adds (checked by hand on two
    /// made-up pieces).
    #[test]
    fn joined_pieces_add_their_absolute_errors() {
        let a = Integral::new([1.0, 2.0], 1e-10, [1.0, 4.0]);
        let b = Integral::new([3.0, -1.0], 1e-12, [3.0, 1.0]);
        let j = a.join(b);
        assert_eq!(j.value, [4.0, 1.0]);
        assert_eq!(j.scale, [4.0, 5.0]);
        // Component 0: (1e-10 + 3e-12)/4; component 1: (4e-10 + 1e-12)/5.
        let want = (4e-10 + 1e-12) / 5.0;
        assert!((j.error - want).abs() < 1e-24, "{}", j.error);
        // An empty piece changes nothing.
        let alone = Integral::ZERO.join(a);
        assert_eq!((alone.value, alone.scale), (a.value, a.scale));
        assert!((alone.error - a.error).abs() <= 1e-25);
    }

    /// Each component keeps its own absolute error through a fold: a piece
    /// where component 0 is tiny (1e-12) and poorly resolved (1e-2 of
    /// itself) leaves component 1, resolved to 1e-14 everywhere, at 1e-14,
    /// and component 0 at its absolute 1e-14 over a whole of 1. (With one
    /// relative error carried between joins, component 1 was given the
    /// 5e-3 component 0 had after the second piece; the moments of a
    /// design under a narrow truth failed `quad_rel` by that.)
    #[test]
    fn a_fold_keeps_each_components_error_its_own() {
        let a = Integral::new([1e-12, 1.0], 1e-14, [1e-12, 1.0]);
        let b = Integral::new([1e-12, 0.0], 1e-2, [1e-12, 1e-15]);
        let c = Integral::new([1.0, 0.0], 1e-14, [1.0, 1e-15]);
        let j = a.join(b).join(c);
        // Component 0: (1e-26 + 1e-14 + 1e-14)/(1 + 2e-12); component 1:
        // (1e-14 + 1e-17 + 1e-29)/(1 + 2e-15).
        assert!((j.error - 2e-14).abs() < 1e-17, "{}", j.error);
    }

    /// The test hook: with one panel allowed, exp over [0, 10] stops short.
    #[test]
    fn a_lowered_panel_cap_stops_the_rule_short() {
        let tol = Tolerances::DEFAULT;
        let capped = with_panel_cap(1, || {
            integrate_vec_checked(|x: f64| [x.exp()], 0.0, 30.0, &tol)
        });
        assert!(capped.error > tol.quad_rel, "{}", capped.error);
        let full = integrate_vec_checked(|x: f64| [x.exp()], 0.0, 30.0, &tol);
        assert!(full.error <= tol.quad_rel);
    }

    /// An integrand far from smooth at the panel cap: `sin(10⁶ x)` over
    /// `[0, 100]` has about 1.6·10⁷ oscillations, far more than 2 000
    /// panels of 21 nodes resolve. The rule stops there and says so,
    /// instead of passing its estimate off as meeting `quad_rel`; a smooth
    /// integrand meets it.
    #[test]
    fn an_integral_stopped_at_the_panel_cap_reports_the_accuracy_it_reached() {
        let tol = Tolerances::DEFAULT;
        let r = integrate_vec_checked(|x: f64| [(1e6 * x).sin()], 0.0, 100.0, &tol);
        assert!(r.error > 1e3 * tol.quad_rel, "{}", r.error);
        let smooth = integrate_vec_checked(|x: f64| [x.exp()], 0.0, 1.0, &tol);
        assert!(smooth.error <= tol.quad_rel);
        assert!((smooth.value[0] - (1f64.exp() - 1.0)).abs() < 1e-14);
    }

    /// Panels a few floats wide far from zero, where the outer nodes round
    /// onto the ends. The rule must still integrate a constant to rounding
    /// and a line to what the floats resolve, whatever the width in
    /// floats: the integral of a linear `f` over `[a, b]` is
    /// `(b − a) f((a + b)/2)`. Skipping the
    /// nodes that round onto an end lost 1.2 % of the weight below about
    /// 230 floats and all of it at one float (an integral of 0 with error 0).
    #[test]
    fn a_panel_a_few_floats_wide_keeps_all_its_weight() {
        let tol = Tolerances::DEFAULT;
        let a = -4953.600484826255_f64;
        let mut b = a;
        for floats in 1..=300 {
            b = b.next_up();
            let width = b - a;
            for (slope, what) in [(0.0, "constant"), (3.0e3, "linear")] {
                let f = |x: f64| [2.5 + slope * (x - a)];
                let want = width * (2.5 + slope * 0.5 * width);
                let r = integrate_vec_checked(f, a, b, &tol);
                // A node lands at most one float from where the rule puts
                // it, so a line is off by at most its slope times that.
                let resolution = width * slope * (a.next_up() - a);
                assert!(
                    (r.value[0] - want).abs() <= 1e-14 * want + resolution,
                    "{what}, {floats} floats: {:e} against {want:e}",
                    r.value[0]
                );
                // The estimate is within what the floats resolve (one
                // float wide, the rule knows only the ends and its estimate
                // is their difference, which bounds its error).
                let estimate = r.error * r.scale[0];
                if floats > 1 {
                    assert!(
                        estimate <= tol.quad_rel * want + resolution,
                        "{what}, {floats} floats: {}",
                        r.error
                    );
                } else {
                    assert!(estimate >= (r.value[0] - want).abs());
                }
            }
        }
    }

    /// A panel one float wide has no double inside: the ends are all the
    /// integrand is known at. An end where it is infinite (an integrable
    /// singularity) is left out rather than making the integral infinite;
    /// otherwise the value at the lower end stands for the panel, since the
    /// value at the upper end may be the next piece's (a right-continuous
    /// integrand that jumps there), and the error estimate covers the
    /// difference from the trapezoid.
    #[test]
    fn a_panel_one_float_wide_takes_its_lower_end() {
        let tol = Tolerances::DEFAULT;
        let a = 1.0_f64;
        let b = a.next_up();
        let r = integrate_vec_checked(|x: f64| [1.0 / (x - a)], a, b, &tol);
        // The ratio at b is 1/(b − a): the integral is 1, to rounding.
        assert!((r.value[0] - 1.0).abs() < 1e-15, "{}", r.value[0]);
        // A jump from 1 to 3e16 at b (a density's tail after a component's
        // end): the panel holds the value before the jump.
        let jump = |x: f64| [if x < b { 1.0 } else { 3e16 }];
        let both = integrate_vec_checked(jump, a, b, &tol);
        assert_eq!(both.value[0], b - a);
        assert!(both.error * both.scale[0] >= 0.5 * 3e16 * (b - a) * 0.99);
    }

    /// Near the end of a Beta with `a = 18` at z ≈ −0.53, `(z − lo)^17` on
    /// a stretch 1e-8 wide: a node's rounding to a double (1.1e-16) moves
    /// the integrand by 17 · 1.1e-16/1e-8 ≈ 2e-7 relative, far above
    /// `quad_rel`, and splitting cannot reduce it. The rule sets such panels
    /// aside instead of spending its cap on them (before: 2 000 panels),
    /// and its value is within what the doubles resolve, `2 ε |lo|` over
    /// the integral, 4e-7, of `w/18` (`w` the stretch's width, the
    /// integrand normalised to 1 at its end).
    #[test]
    fn panels_at_what_the_doubles_resolve_are_not_split_to_the_cap() {
        let tol = Tolerances::DEFAULT;
        let lo = -0.529_743_122_882_014_f64;
        let hi = lo + 1e-8;
        let w = hi - lo;
        let mut evaluations = 0usize;
        let r = integrate_vec_checked(
            |z: f64| {
                evaluations += 1;
                [((z - lo) / w).powi(17)]
            },
            lo,
            hi,
            &tol,
        );
        let want = w / 18.0;
        assert!(evaluations < 21 * 200, "{evaluations} evaluations");
        assert!(
            (r.value[0] - want).abs() <= 1e-6 * want,
            "{:e} against {want:e}",
            r.value[0]
        );
    }

    /// A density of 1 on `[0, 1]` with a triangle of probability `1e-4`,
    /// `2e-7` wide, at 0.6375 (between the 21-node rule's nodes): the rule
    /// alone misses it at an estimated error of rounding; checked against
    /// the exact probability, the range is halved toward it, and both the
    /// probability and the first moment come out exact.
    #[test]
    fn probability_between_the_nodes_is_found_through_the_known_mass() {
        let (c, half, height) = (0.6375, 1e-7, 1e-4 / 1e-7);
        let bump = |z: f64| height * (1.0 - (z - c).abs() / half).max(0.0);
        // ∫_{−∞}^x of the triangle.
        let below = |x: f64| {
            if x <= c - half {
                0.0
            } else if x <= c {
                height * (x - c + half).powi(2) / (2.0 * half)
            } else if x < c + half {
                height * half - height * (c + half - x).powi(2) / (2.0 * half)
            } else {
                height * half
            }
        };
        let mass = |p: f64, q: f64| ((q - p) + below(q) - below(p), 4.0 * f64::EPSILON);
        let mut f = |z: f64| {
            let d = 1.0 + bump(z);
            [d, z * d]
        };
        let tol = Tolerances::DEFAULT;
        let exact = 1.0 + height * half;
        let plain = integrate_vec_checked(&mut f, 0.0, 1.0, &tol);
        assert!(plain.error <= tol.quad_rel);
        assert!((plain.value[0] - exact).abs() > 1e-5, "{:?}", plain.value);
        let known = KnownMass {
            of: &mass,
            range: None,
            whole: exact,
            steers: true,
        };
        let checked = integrate_vec_with_mass(&mut f, (0.0, 1.0), 0, known, &tol);
        assert!(checked.error <= tol.quad_rel, "{}", checked.error);
        assert!(
            (checked.value[0] - exact).abs() <= 1e-13,
            "{:?}",
            checked.value
        );
        let moment = 0.5 + c * height * half;
        assert!(
            (checked.value[1] - moment).abs() <= 1e-13,
            "{:?}",
            checked.value
        );
    }

    /// Where the known probability is not what the density integrates to
    /// (here off by `1e-6`), the search spends its halvings and the range
    /// reports the shortfall as its error instead of an answer within
    /// `quad_rel`.
    #[test]
    fn a_shortfall_the_search_cannot_place_is_reported() {
        let mut f = |z: f64| [1.0, z];
        let mass = |p: f64, q: f64| ((q - p) * (1.0 + 1e-6), 0.0);
        let tol = Tolerances::DEFAULT;
        let known = KnownMass {
            of: &mass,
            range: None,
            whole: 1.0,
            steers: true,
        };
        let r = integrate_vec_with_mass(&mut f, (0.0, 1.0), 0, known, &tol);
        assert!(r.error >= 0.5e-6, "{}", r.error);
        assert!((r.value[0] - 1.0).abs() <= 1e-14, "{:?}", r.value);
    }

    /// A ratio like `F/f` dents where a cluster raises the density: here
    /// `1/(1 + triangle)` with the triangle of
    /// `probability_between_the_nodes_is_found_through_the_known_mass`,
    /// whose dent, `2h (1 − ln(1 + H)/H)` for half-width `h` and height `H`,
    /// the rule alone steps over. With the density as a probe the piece
    /// that misses its probability is halved toward the cluster and the
    /// dent is found; on a smooth density, where nothing is missed, the
    /// probe changes nothing (the same value to the bit, the same number
    /// of evaluations).
    #[test]
    fn a_density_probe_finds_the_dent_and_leaves_a_smooth_integral_alone() {
        let (c, half, height) = (0.6375, 1e-7, 1e-4 / 1e-7);
        let density = |z: f64| 1.0 + height * (1.0 - (z - c).abs() / half).max(0.0);
        let below = |x: f64| {
            let t = ((x - (c - half)) / half).clamp(0.0, 2.0);
            let area = if t <= 1.0 {
                0.5 * t * t
            } else {
                1.0 - 0.5 * (2.0 - t) * (2.0 - t)
            };
            x + height * half * area
        };
        let mass = |p: f64, q: f64| (below(q) - below(p), 4.0 * f64::EPSILON);
        let tol = Tolerances::DEFAULT;
        let pieces = [0.0, 0.5, 1.0];
        let exact = 1.0 - 2.0 * half * (1.0 - (1.0 + height).ln() / height);
        let plain = integrate_pieces_checked(|z| 1.0 / density(z), &pieces, &tol);
        assert!((plain.value[0] - exact).abs() > 1e-7, "{:?}", plain.value);
        let probed = integrate_pieces_with_mass(
            |z| {
                let f = density(z);
                [1.0 / f, f]
            },
            &pieces,
            &mass,
            &tol,
        );
        assert!(probed.error <= tol.quad_rel, "{}", probed.error);
        assert!(
            (probed.value[0] - exact).abs() <= 1e-13,
            "{} against {exact}",
            probed.value[0]
        );
        // A smooth density (`e^z`, probability `e^q − e^p`).
        let smooth_mass = |p: f64, q: f64| (q.exp() - p.exp(), 4.0 * f64::EPSILON * q.exp());
        let (mut alone, mut with_probe) = (0usize, 0usize);
        let without = integrate_pieces_checked(
            |z| {
                alone += 1;
                (3.0 * z).sin() / z.exp()
            },
            &pieces,
            &tol,
        );
        let with = integrate_pieces_with_mass(
            |z| {
                with_probe += 1;
                [(3.0 * z).sin() / z.exp(), z.exp()]
            },
            &pieces,
            &smooth_mass,
            &tol,
        );
        assert_eq!(without.value, with.value);
        assert_eq!(alone, with_probe);
    }
}
