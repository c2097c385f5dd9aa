//! The raw virtual types `L` and `H`, their slopes, inverses and integrals,
//! where they are non-decreasing.

use super::{reaches, Side};
use crate::distribution::{breakpoints, probability_between, EndowmentDistribution, HazardRatio};
use crate::numerics::{
    brent, first_double_reached, integrate_pieces_with_mass, newton_increasing, NumericalError,
    RootError, RootMethod, Tolerances,
};

/// `L(z) = z + β F/f`.
pub(crate) fn lower(d: &dyn EndowmentDistribution, beta: f64, z: f64) -> f64 {
    if beta == 0.0 {
        z
    } else {
        z + beta * d.cdf_pdf_ratio(z)
    }
}

/// `H(z) = z − β (1 − F)/f`.
pub(crate) fn upper(d: &dyn EndowmentDistribution, beta: f64, z: f64) -> f64 {
    if beta == 0.0 {
        z
    } else {
        z - beta * d.sf_pdf_ratio(z)
    }
}

/// `∫_lo^z L f = M(z) + β ∫_lo^z F`, in the distribution's closed forms
/// (`M` the partial moment).
pub(crate) fn lower_mass_integral(d: &dyn EndowmentDistribution, beta: f64, z: f64) -> f64 {
    d.partial_moment(z) + beta * d.cdf_integral(z)
}

/// `∫_z^hi H f = E Z − M(z) − β ∫_z^hi (1 − F)`, in closed forms.
pub(crate) fn upper_mass_integral(d: &dyn EndowmentDistribution, beta: f64, z: f64) -> f64 {
    (d.mean() - d.partial_moment(z)) - beta * d.sf_integral(z)
}

/// `L(z)` and its slope.
fn lower_with_slope(d: &dyn EndowmentDistribution, beta: f64, z: f64) -> (f64, f64) {
    if beta == 0.0 {
        // The identity, also where the density vanishes (0 · ∞ is not 0).
        return (z, 1.0);
    }
    let (r, l) = d.ratio_and_log_slope(z, HazardRatio::CdfOverPdf);
    // d/dz (F/f) = 1 − (F/f)(f'/f)
    let slope = 1.0 + beta * (1.0 - r * l);
    (z + beta * r, slope)
}

/// `H(z)` and its slope.
fn upper_with_slope(d: &dyn EndowmentDistribution, beta: f64, z: f64) -> (f64, f64) {
    if beta == 0.0 {
        return (z, 1.0);
    }
    let (r, l) = d.ratio_and_log_slope(z, HazardRatio::SfOverPdf);
    // d/dz ((1 − F)/f) = −1 − ((1 − F)/f)(f'/f)
    let slope = 1.0 + beta * (1.0 + r * l);
    (z - beta * r, slope)
}

/// Solves `g(z) = target` on `[lo, hi]` for a `g` that is non-decreasing
/// there with `g(lo) < target < g(hi)` (the callers check).
///
/// With `unit_slope`, the caller knows `g' ≥ 1` (the raw `L` and `H` of a
/// log-concave density: `F/f` does not decrease and `(1 − F)/f` does not
/// increase), so `|z − z*| ≤ |g(z) − target|` and a residual within the
/// root tolerance ends the search at once, without Newton's confirming
/// probe.
#[allow(clippy::too_many_arguments)]
pub(super) fn solve_increasing<G: FnMut(f64) -> (f64, f64)>(
    mut g: G,
    target: f64,
    lo: f64,
    hi: f64,
    guess: f64,
    rel: f64,
    method: RootMethod,
    unit_slope: bool,
) -> Result<(f64, Option<f64>), RootError> {
    let scale = (hi - lo).max(lo.abs()).max(hi.abs());
    let scale = (hi - lo).min(scale);
    // The last point evaluated and `g` there: the root's own value, where
    // the search ended on an evaluated point, at no extra cost.
    let mut last = (f64::NAN, f64::NAN);
    // Newton's tolerance is `rel · max(scale, |z|)`, never below this.
    let done = if unit_slope { rel * scale } else { -1.0 };
    let z = match method {
        RootMethod::Newton => newton_increasing(
            |z| {
                let (v, s) = g(z);
                last = (z, v);
                let r = v - target;
                (if r.abs() <= done { 0.0 } else { r }, s)
            },
            lo,
            hi,
            guess,
            rel,
            scale,
        ),
        // `g` may be ±∞ at an end where the density vanishes; Brent's
        // interpolation needs finite values, and a huge one acts as a sign.
        _ => brent(
            |z| {
                let v = g(z).0;
                last = (z, v);
                let v = v - target;
                if v.is_infinite() {
                    v.signum() * 1e150
                } else {
                    v
                }
            },
            lo,
            hi,
            rel,
            scale,
        ),
    }?;
    Ok((z, (last.0 == z).then_some(last.1)))
}

/// `L⁻¹(η)` for a non-decreasing `L`, clamped to the support, given
/// `l_hi = L(hi)` (the caller computes it once per class and weight).
pub(crate) fn lower_inverse(
    d: &dyn EndowmentDistribution,
    beta: f64,
    l_hi: f64,
    eta: f64,
    guess: f64,
    rel: f64,
    method: RootMethod,
) -> Result<f64, RootError> {
    let (lo, hi) = d.support();
    if eta <= lo {
        return Ok(lo);
    }
    if beta == 0.0 {
        return Ok(eta.min(hi));
    }
    if eta >= l_hi {
        return Ok(hi);
    }
    let (z, at) = solve_increasing(
        |z| lower_with_slope(d, beta, z),
        eta,
        lo,
        hi,
        guess,
        rel,
        method,
        d.log_concave(),
    )?;
    Ok(crossing_double(
        d,
        beta,
        Side::Lower,
        eta,
        (z, at),
        (lo, hi),
        rel,
    ))
}

/// `H⁻¹(η)` for a non-decreasing `H`, clamped to the support, given
/// `h_lo = H(lo)`.
pub(crate) fn upper_inverse(
    d: &dyn EndowmentDistribution,
    beta: f64,
    h_lo: f64,
    eta: f64,
    guess: f64,
    rel: f64,
    method: RootMethod,
) -> Result<f64, RootError> {
    let (lo, hi) = d.support();
    if eta >= hi {
        return Ok(hi);
    }
    if beta == 0.0 {
        return Ok(eta.max(lo));
    }
    if eta <= h_lo {
        return Ok(lo);
    }
    let (z, at) = solve_increasing(
        |z| upper_with_slope(d, beta, z),
        eta,
        lo,
        hi,
        guess,
        rel,
        method,
        d.log_concave(),
    )?;
    Ok(crossing_double(
        d,
        beta,
        Side::Upper,
        eta,
        (z, at),
        (lo, hi),
        rel,
    ))
}

/// The crossing of `eta` by `side`'s raw type on `[p, q]`, given a root
/// `z` of `g = eta` found there by [`solve_increasing`] with relative
/// tolerance `rel` (with the raw type there, `at`, if the search knows
/// it): where the raw type at `z` is off `eta` by more than four times
/// `rel · max(q − p, |p|, |q|)`, the first double at which it has reached
/// `eta` (see [`reaches`]) within that distance of `z` (the final bracket
/// is `rel · max(q − p, |z|)` wide, or twice that after Newton's
/// confirming probe); else `z`.
///
/// A root finder stops anywhere within its tolerance of the crossing, and
/// where the raw type is steep there the types between the root and the
/// crossing get a raw type on the wrong side of `η` outside the binding
/// interval: the virtual value dips below `η` and back, which no incentive
/// compatible mechanism does. So it was at a jump of the density (`H = z −
/// β (1 − F)/f` below a density that jumps up from 1e-41 is about −1e38 β,
/// and the revenue's moments over that sliver of 1e-16 reached 1e23:
/// `ironing_search ordinary 20000 11`, market 18), just after a kink where
/// a component begins with density 0 and rises with infinite slope
/// (`ordinary 20000 51`, market 964), and where a density rises out of a
/// far tail of 1e-61 (`harsh 3000 201`, market 570: `H` climbs from −2e60
/// to 4 085 over two ulps past a kink, and a root 650 ulps off left the type
/// one ulp past it, with `H = 2 270 < η`, outside the interval; the interim
/// allocation rose from 0 to 1 009.6). On the double itself `V` is monotone
/// at every double, and the binding interval's mean and slope, computed
/// from its ends, belong to them. (This replaces a search of the kinks
/// alone, which could not see the last case.)
pub(super) fn crossing_double(
    d: &dyn EndowmentDistribution,
    beta: f64,
    side: Side,
    eta: f64,
    (z, at): (f64, Option<f64>),
    (p, q): (f64, f64),
    rel: f64,
) -> f64 {
    let tol = 4.0 * rel * (q - p).max(p.abs()).max(q.abs());
    // Where the raw type at the root is within the root's tolerance of
    // `eta` (as a residual test leaves it where the type is not steep), a
    // type between the root and the crossing is off `eta` by no more, and
    // the root stands: only a steep type is closed onto its double. (The
    // value at the root is the search's own last evaluation where it has
    // one, so the usual case costs nothing.)
    let g = at.unwrap_or_else(|| raw(d, beta, side, z));
    if (g - eta).abs() <= tol {
        return z;
    }
    let reached = |x: f64| reaches(side, raw(d, beta, side, x), eta);
    // Within the root's tolerance of `z`; where the crossing is not there,
    // the root stands.
    first_double_reached(reached, z, (p.max(z - tol), q.min(z + tol)), f64::INFINITY).unwrap_or(z)
}

/// `∫_a^b L(s) ds = (b² − a²)/2 + β ∫_a^b F/f` or `∫_a^b H(s) ds = (b² −
/// a²)/2 − β ∫_a^b (1 − F)/f` over a raw stretch, the hazard ratio's
/// integral from the class's [`RatioTable`] of that side.
///
/// # Errors
/// The quadrature of the ratio short of `quad_rel` (see [`ratio_integral`]).
pub(super) fn raw_integral(
    d: &dyn EndowmentDistribution,
    beta: f64,
    side: Side,
    (a, b): (f64, f64),
    table: &RatioTable,
) -> Result<f64, NumericalError> {
    if b <= a {
        return Ok(0.0);
    }
    let base = 0.5 * (b - a) * (b + a);
    if beta == 0.0 {
        return Ok(base);
    }
    let r = table.integral(d, beta, side, (a, b))?;
    Ok(match side {
        Side::Lower => base + beta * r,
        Side::Upper => base - beta * r,
    })
}

/// One side's hazard ratio (`F/f` for `L`, `(1 − F)/f` for `H`) and its
/// name in errors.
fn ratio_of(d: &dyn EndowmentDistribution, side: Side) -> (impl Fn(f64) -> f64 + '_, &'static str) {
    (
        move |s: f64| match side {
            Side::Lower => d.cdf_pdf_ratio(s),
            Side::Upper => d.sf_pdf_ratio(s),
        },
        match side {
            Side::Lower => "F/f",
            Side::Upper => "(1 - F)/f",
        },
    )
}

/// One side's hazard ratio integrated over each piece between consecutive
/// points of `distribution::integral_breaks` (the support's ends, its
/// kinks, and where the density varies by more than 1024 times across a
/// cell), computed once per class and side at the first query that needs
/// it. A query's integral is then the pieces it covers plus its two
/// partial ends, each a quadrature over less than one piece: every query
/// costs about as much as two pieces, however far from the support's end
/// it is (each used to integrate from there), and no piece is long enough
/// for a steep rise of the density to hide between the rule's outermost
/// node and its end (a normal's far tail at the upper end of its
/// truncation: the rule's estimate missed 3.5e-4 of the ratio's integral
/// over the last 1e-4 before it, `ironing_search ordinary 20000 71`,
/// market 1065).
#[derive(Debug, Clone)]
pub(super) struct RatioTable {
    breaks: Vec<f64>,
    /// `∫` of the ratio over `[breaks[k], breaks[k + 1]]`, or why it fell
    /// short (returned only to a query that covers the piece).
    pieces: Vec<Result<f64, NumericalError>>,
}

impl RatioTable {
    /// The table of `side`'s ratio of `d` at weight `beta` (which sets the
    /// accuracy asked, as in [`ratio_integral`]); `breaks` sorted, ends
    /// included. Each piece is held to its width's share of the type
    /// scale's part of the tolerance, so that their sum meets the whole's.
    pub fn new(d: &dyn EndowmentDistribution, beta: f64, side: Side, breaks: Vec<f64>) -> Self {
        let (lo, hi) = d.support();
        let pieces = breaks
            .windows(2)
            .map(|w| {
                let share = (w[1] - w[0]) / (hi - lo);
                ratio_integral(d, side, (w[0], w[1]), (beta, share))
            })
            .collect();
        Self { breaks, pieces }
    }

    /// `∫_a^b` of the ratio over a raw stretch.
    fn integral(
        &self,
        d: &dyn EndowmentDistribution,
        beta: f64,
        side: Side,
        (a, b): (f64, f64),
    ) -> Result<f64, NumericalError> {
        // The breaks inside [a, b]: indices first..last.
        let first = self.breaks.partition_point(|&x| x < a);
        let last = self.breaks.partition_point(|&x| x <= b);
        if first >= last {
            return ratio_integral(d, side, (a, b), (beta, 1.0));
        }
        let part = |p: f64, q: f64| {
            if q > p {
                ratio_integral(d, side, (p, q), (beta, 1.0))
            } else {
                Ok(0.0)
            }
        };
        let mut total = part(a, self.breaks[first])? + part(self.breaks[last - 1], b)?;
        for piece in &self.pieces[first..last - 1] {
            total += piece.clone()?;
        }
        Ok(total)
    }
}

/// `∫_a^b r` for `side`'s hazard ratio `r` ([`ratio_of`]), split at the
/// distribution's kinks, to be added times `beta` to the types' own
/// integral; `share` is the part of the spread's term of the tolerance
/// this integral may use (1 for one integral, a piece's share of the
/// support for the pieces of a [`RatioTable`], which are added up). These
/// integrals answer queries on a solved mechanism
/// (`VirtualValue::integral`: transfers, side payments, utility gains, the
/// deployment's gains), which promise `quad_rel`; the solve itself does
/// not use them. A typed error, not a status: a query has no status to
/// carry the accuracy in, and its answer is a number the caller takes as
/// accurate.
///
/// The accuracy needed is `quad_rel` of what the result is judged
/// against: a utility gain, `(1/κ) ∫ (V − c)` with `c` near the types, is
/// of the size of the types' spread, not of their distance from zero. So
/// the terms are centred at the support's middle: `|∫ (s − c) ds| + β ∫
/// |r|`, plus the support's width squared (the size of the gains). Aimed,
/// as before, at the uncentred `(b² − a²)/2` and the width times the type
/// scale, a class 0.002 wide at z = −6 262 had its gain 7.7e-16 off the
/// envelope integral of its allocation against Lemma 1's tolerance of
/// 8e-17 (`ironing_search harsh 3000 201`, market 908); aimed at `quad_rel`
/// of the ratio's integral alone, with no floor, the rule went to its
/// panel cap on queries over a few floats (`harsh 1000 161` market 12:
/// 40 s), where the rule's own estimate is rounding of a number near
/// 1e-17.
///
/// Where the ratio is infinite at a breakpoint (the density vanishes at a
/// support's end, or where a component begins, like `x^(a − 1)` for a Beta
/// with `1 < a < 2`), the rule refines toward it until its panels are a
/// few floats wide ([`RESOLUTION_ULPS`]) and what the integrand holds
/// within that last panel is beyond any rule that evaluates it at doubles:
/// the integral is then known only to what moving that end by the panel's
/// width changes, about `w |r(p ± w)|` times a few for a singularity like
/// `x^(a − 1)`, and the accuracy needed is widened by that. (At a Beta's
/// end at −12.6, where the floats are 1.8e-15 apart, that is 2e-6 of the
/// ratio's integral, while the same class near 0 reaches 1e-10; the
/// property `invariant_under_translation_by_kappa` found it.)
fn ratio_integral(
    d: &dyn EndowmentDistribution,
    side: Side,
    (a, b): (f64, f64),
    (beta, share): (f64, f64),
) -> Result<f64, NumericalError> {
    let tol = Tolerances::DEFAULT;
    let (r, what) = ratio_of(d, side);
    let which = match side {
        Side::Lower => HazardRatio::CdfOverPdf,
        Side::Upper => HazardRatio::SfOverPdf,
    };
    let points = breakpoints(d, a, b);
    // What the floats allow at each breakpoint: the ratio over the width
    // of the narrowest panel the rule splits to, either side (inside
    // [a, b]), four times (the integral of `x^(−p)` over `[0, w]` is
    // `w^(1−p)/(1 − p)`, within four times `w · w^(−p)` for `p ≤ 3/4`).
    let resolution: f64 = points
        .iter()
        .map(|&p| {
            let w = RESOLUTION_ULPS * f64::EPSILON * p.abs();
            let side = |z: f64| {
                if z > a && z < b {
                    let v = r(z).abs();
                    if v.is_finite() {
                        v
                    } else {
                        0.0
                    }
                } else {
                    0.0
                }
            };
            4.0 * w * (side(p - w) + side(p + w))
        })
        .sum();
    let (lo, hi) = d.support();
    // Centred: what a utility gain is judged against.
    let centre = 0.5 * (lo + hi);
    let base = 0.5 * (b - a) * ((a - centre) + (b - centre));
    let types = share * (hi - lo) * (hi - lo);
    // The rule aims at what the result is judged against, not at
    // `quad_rel` of the ratio's integral alone: its absolute floor is
    // `quad_rel (|base| + types)/β` (`quad_abs` is the scale `quad_rel` is
    // taken of), known before integrating. Far from
    // zero that is many times looser, and asking for more only sent the
    // rule to its panel cap on every query of `check_feasibility`
    // (`ironing_search harsh 1000 161` market 12: 40 s). The floor is
    // shared among the pieces between the kinks, whose errors add.
    let floor = (base.abs() + types) / beta / points.len().saturating_sub(1).max(1) as f64;
    let aim = Tolerances {
        quad_abs: tol
            .quad_abs
            .max(if floor.is_finite() { floor } else { f64::MAX }),
        ..tol
    };
    // The range of the ratio over the rule's nodes, for what the doubles
    // resolve between the breakpoints (below).
    // A cluster of traders between the rule's nodes dents the ratio as
    // sharply as it raises the density, so the density rides along and
    // each piece is checked against the closed-form probability (a cluster
    // of 1e-3 of the traders, σ = 1e-4, at 0.95 of a normal class on
    // [−1, 1]: `∫ V` to 0.951 was 8.9e-7 off, with no error).
    let (mut least, mut most) = (f64::INFINITY, f64::NEG_INFINITY);
    let q = integrate_pieces_with_mass(
        |z| {
            // The density with the ratio, from one evaluation.
            let (f, v) = d.pdf_and_ratio(z, which);
            if v.is_finite() {
                least = least.min(v);
                most = most.max(v);
            }
            [v, f]
        },
        &points,
        &|p, q| probability_between(d, p, q),
        &aim,
    );
    // A node stands on the nearest double, up to `ε max(|a|, |b|)` from
    // where the rule puts it, so the rule's value and its error estimate
    // are known only to that times the ratio's variation over [a, b]
    // (taken as twice its range over the nodes: it may rise and fall once
    // between kinks). On a stretch no wider than the rule's narrowest
    // panel, far from zero (88 floats at z = 5 735, where the ratio falls
    // by a fifth, `ironing_search harsh 3000 171` market 25), that is all
    // the accuracy there is.
    let placement = if most >= least {
        2.0 * f64::EPSILON * a.abs().max(b.abs()) * (most - least)
    } else {
        0.0
    };
    // The ratio is nonnegative: its integral is its own size. `q.error` is
    // relative to `q.scale`, which the floor may have raised above it.
    let own = beta * q.value[0].abs();
    let allowed = tol.quad_rel * (base.abs() + own + types) + beta * (resolution + placement);
    let needed = allowed / (beta * q.scale[0]);
    q.within(what, needed.max(tol.quad_rel))
}

/// The width, in units of the larger end's ulp-sized `ε |z|`, below which
/// the adaptive rule stops splitting a panel (see
/// `numerics::quadrature`'s "a few floats wide").
const RESOLUTION_ULPS: f64 = 64.0;

/// `g` of one side.
pub(crate) fn raw(d: &dyn EndowmentDistribution, beta: f64, side: Side, z: f64) -> f64 {
    match side {
        Side::Lower => lower(d, beta, z),
        Side::Upper => upper(d, beta, z),
    }
}

/// `g` of one side and its slope.
pub(super) fn raw_with_slope(
    d: &dyn EndowmentDistribution,
    beta: f64,
    side: Side,
    z: f64,
) -> (f64, f64) {
    match side {
        Side::Lower => lower_with_slope(d, beta, z),
        Side::Upper => upper_with_slope(d, beta, z),
    }
}
