//! Revenue (eq. (5)), efficiency and holding costs, as one-dimensional
//! integrals over one trader at a time.
//!
//! Because the allocation (12) is linear in independent virtual values,
//! every expectation reduces to moments of a single class's `V`, `Z·V` and
//! `J·V`, where `J(z) = z − (1 − F(z))/f(z)` is the revenue weight of eq. (5).
//! The integrands have kinks at the ends of the binding interval, so the
//! quadrature is split there (and at the distribution's own kinks).

use super::ironing::{Side, VirtualTypes};
use super::levels::Levels;
use super::virtual_value::AtEta;
use crate::distribution::{
    probability, probability_between, CumulativeAt, EndowmentDistribution, HazardRatio,
};
use crate::market::Market;
use crate::numerics::{integrate_vec_with_mass, KnownMass, Tolerances};

/// Moments of one class's virtual value, centred at `centre` (primes
/// denote `· − centre`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct ClassMoments {
    /// `E[V']`.
    pub mean_v: f64,
    /// `Var V`.
    pub var_v: f64,
    /// `E[Z' V']`.
    pub e_zv: f64,
    /// `E[J' V']`.
    pub e_jv: f64,
    /// `∫_lo^{Z_a} (L̂(s) − centre) ds`.
    pub int_lower_centred: f64,
    /// `∫_lo^{Z_a} L̂(s) ds`.
    pub int_lower: f64,
    /// The centre `t̂ κ_i`.
    pub centre: f64,
    /// The largest estimated relative error of the quadratures behind
    /// these moments (0 where they are closed forms); above `quad_rel`
    /// only where a quadrature stopped at its panel cap.
    pub quad_error: f64,
}

/// Integrates the [`basis`] over `[a, b]` split at the points of `breaks`
/// inside it (the class's
/// [`integral_breaks`](crate::distribution::integral_breaks)); with the
/// largest estimated relative error of the pieces.
///
/// The density's kinks alone are not enough: the adaptive rule's error
/// estimate compares two rules on the same nodes, so a cluster of traders
/// between its first nodes is invisible to both, and the piece "converges"
/// without it. A truncated normal with `σ = 1e-4` on `[−1, 1]` came out with
/// `Var V = 0` (its true value 4.1e-6), at a reported error of 9e-14. Where
/// the density's bounds show it varying by more than a factor 1024 across
/// a piece, `integral_breaks` has halved it. A smaller cluster still fits
/// between the nodes, so each piece is also checked against the
/// distribution's own closed forms
/// ([`integrate_vec_with_mass`]).
fn integrate_split<F: FnMut(f64) -> [f64; BASIS]>(
    (d, breaks): (&dyn EndowmentDistribution, &[f64]),
    mut f: F,
    a: f64,
    b: f64,
    tol: &Tolerances,
) -> ([f64; BASIS], f64) {
    let mut acc = [0.0; BASIS];
    let mut error = 0.0f64;
    if b <= a {
        return (acc, error);
    }
    let inside = breaks.iter().copied().filter(|&x| x > a && x < b);
    let mass = |p: f64, q: f64| probability_between(d, p, q);
    // The closed forms at the end shared with the previous piece.
    let mut shared = CumulativeAt::new(a);
    for right in inside.chain(std::iter::once(b)) {
        let mut end = CumulativeAt::new(right);
        let known = probability(d, &mut shared, &mut end);
        let v = integrate_vec_with_mass(
            &mut f,
            (shared.z, right),
            BASIS - 1,
            KnownMass {
                of: &mass,
                range: Some(known),
                whole: 1.0,
                steers: true,
            },
            tol,
        );
        for (a, x) in acc.iter_mut().zip(v.value) {
            *a += x;
        }
        error = error.max(v.error);
        shared = end;
    }
    (acc, error)
}

/// Moments of a class's virtual value, centred at `c` (the model is
/// exactly covariant under `Z_i → Z_i + t κ_i`, which shifts `V_i` by
/// `t κ_i` and leaves the allocation unchanged; see `docs/theory.md`).
///
/// Below the binding interval `V = L̂`, above it `V = Ĥ`: by quadrature
/// where they are the raw types, in closed form on pools where they are
/// constant. The quadratures form every product from `z − m` and `V − m`
/// pointwise, `m` the class's own mean, and the moments are moved to `c`
/// in closed form afterwards: a class that sits far from the market's
/// centre keeps its precision. `breaks` are the points the quadratures are
/// split at (`integral_breaks` of `d`). `tails` holds the weight-free
/// integrals of a previous call for the same class (see
/// [`TailIntegrals`]); they are reused and updated, so that a call whose
/// binding interval has moved a little integrates only over the
/// difference.
pub(crate) fn class_moments(
    d: &dyn EndowmentDistribution,
    breaks: &[f64],
    types: &VirtualTypes,
    at: &AtEta,
    c: f64,
    tol: &Tolerances,
    tails: &mut TailIntegrals,
) -> ClassMoments {
    if types.beta == 0.0 && types.is_regular() {
        moments_at_zero_weight(d, at, c)
    } else {
        moments_by_quadrature(d, breaks, types, at, c, tol, tails)
    }
}

/// The integrals behind a class's moments over the tails `[lo, Z_a]` and
/// `[Z_b, hi]` where the raw virtual types apply.
///
/// Below the interval `V − c = z' + ρ` with `z' = z − c` and `ρ = β F/f`,
/// above it `V − c = z' − ρ` with `ρ = β (1 − F)/f`, so every integrand of
/// [`class_moments`] is a polynomial in `ρ` whose coefficients are
/// fixed functions of `z`; the basis is
/// `[z' f, ρ f, z'² f, z' ρ f, ρ² f, z' j, ρ j, ρ]` with
/// `j = z' f − (1 − F)` (the last only below). At another weight `β₁` the
/// same integrals are those at `β` times `(β₁/β)` in `ρ` and `(β₁/β)²` in
/// `ρ²`, and only the limits `Z_a`, `Z_b` depend on the weight otherwise,
/// so the budget search, whose trial weights move the binding interval a
/// little, keeps these integrals from one trial to the next, rescaled, and
/// integrates only between the old and the new limit.
///
/// The terms in `ρ` carry their weight inside the integrand, not outside:
/// over a tail the raw type stays on its side of `η` (`ρ ≤ z − η` above,
/// say), so every term is bounded by the type scale and the quadrature's
/// error control, component by component, is on what the moments use. The
/// weight-free `∫ (1 − F)²/f` is not: next to a point where the density
/// vanishes it runs to 1e110 and more, the quadrature spent its panels
/// there without converging, and the moments it returned beside it were
/// off by 1e-5 (`ironing_search ordinary 20000 11`, market 111: a variance
/// off by 6e-6 at β = 1e-305, and a revenue that jumped from −1.2e-3 at
/// β = 0 to +2.7e-3, so the budget search found no weight that breaks
/// even; 40 s of panels).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct TailIntegrals {
    /// The centre `c` the integrals were taken with.
    centre: f64,
    /// `[lo, Z_a]`, when it held no pool of `L̂`.
    lower: Option<Tail>,
    /// `[Z_b, hi]`, when it held no pool of `Ĥ`.
    upper: Option<Tail>,
}

/// One stored tail of [`TailIntegrals`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct Tail {
    /// `Z_a` (below) or `Z_b` (above).
    limit: f64,
    /// The smallest weight at which a part of the tail was integrated.
    ///
    /// Over its tail a raw type stays on its side of `η` (`ρ ≤ z − η`
    /// above, say), so the terms in `ρ` of a strip integrated at weight
    /// `β₀` are of the type scale, and so are their errors; rescaled to
    /// weight `β` they are multiplied by `β/β₀` and `(β/β₀)²`: a tail is
    /// reused only while `β ≤ 2 β₀`, where its errors weigh no more than a
    /// fresh integral's. Without that bound, a tail integrated at a weight
    /// of 1e-150, whose `∫ r² f` (1e33, from next to an end where the
    /// density vanishes) is not even converged, was reused at 1e-6 and gave
    /// a revenue of 1e26.
    beta: f64,
    /// The weight at which `integrals` are expressed (the last one).
    at: f64,
    /// `∫ basis` over the tail, at weight `at`.
    integrals: [f64; 8],
    /// The largest estimated relative error of the quadratures that built
    /// `integrals`.
    error: f64,
}

/// The basis of [`TailIntegrals`] at `z`, on `side`, at weight `beta`. At
/// `β = 0` (which [`class_moments`] takes in closed form and only the
/// tests send here) the terms in `ρ` are zero, also where the density
/// vanishes (`0 · ∞` is not).
fn basis(d: &dyn EndowmentDistribution, side: Side, c: f64, z: f64, beta: f64) -> [f64; BASIS] {
    let ratio = match side {
        Side::Lower => HazardRatio::CdfOverPdf,
        Side::Upper => HazardRatio::SfOverPdf,
    };
    let (f, r, sf) = d.density_and_ratio(z, ratio);
    let r = if beta == 0.0 { 0.0 } else { beta * r };
    let zc = z - c;
    let j = zc * f - sf;
    // `∫ r` is needed below only (for `∫ L̂`); above, a zero keeps it out
    // of the quadrature's error control.
    let int_r = if side == Side::Lower { r } else { 0.0 };
    // `ρ f` (the weight times the CDF or the survival function) first: `ρ`
    // can pass 1e154 where the density is tiny, and `ρ · ρ` would overflow
    // where `ρ · (ρ f)` does not.
    let rf = r * f;
    [
        zc * f,
        rf,
        zc * zc * f,
        zc * rf,
        r * rf,
        zc * j,
        r * j,
        int_r,
        // See `BASIS`.
        0.0,
        f,
    ]
}

/// Terms of [`basis`]: the eight of [`TailIntegrals`], a zero, and the
/// density itself, whose integral [`integrate_split`] checks against the
/// closed forms. The zero keeps the vector at ten terms, which the
/// compiler's code for the rule's sums handles in pairs: at nine, a
/// truncated normal's solve took 6 % more instructions (callgrind, the
/// ironing bench's market), at ten none.
const BASIS: usize = 10;

/// `∫_a^b basis` on `side` at weight `beta` (`a ≤ b`).
fn basis_integral(
    (d, breaks): (&dyn EndowmentDistribution, &[f64]),
    (side, beta): (Side, f64),
    c: f64,
    (a, b): (f64, f64),
    tol: &Tolerances,
) -> ([f64; 8], f64) {
    let (all, error) = integrate_split((d, breaks), |z| basis(d, side, c, z, beta), a, b, tol);
    (std::array::from_fn(|k| all[k]), error)
}

/// Basis integrals at weight `from` expressed at weight `to`: the terms
/// linear in `ρ` times `to/from`, the one in `ρ²` times its square.
fn rescale(mut b: [f64; 8], from: f64, to: f64) -> [f64; 8] {
    if from != to {
        let k = to / from;
        for i in [1, 3, 6, 7] {
            b[i] *= k;
        }
        b[4] *= k * k;
    }
    b
}

/// The tail `[lo, to]` (lower side) or `[to, hi]` (upper side) at weight
/// `beta`: a stored tail updated by the integral between its limit and
/// `to` when no part of it was integrated at a weight below `beta / 2`
/// (see [`Tail::beta`]), else integrated afresh.
fn tail_integral(
    (d, breaks): (&dyn EndowmentDistribution, &[f64]),
    side: Side,
    (c, beta): (f64, f64),
    to: f64,
    stored: Option<Tail>,
    tol: &Tolerances,
) -> Tail {
    let (lo, hi) = d.support();
    let fresh = || {
        let (integrals, error) = match side {
            Side::Lower => basis_integral((d, breaks), (side, beta), c, (lo, to), tol),
            Side::Upper => basis_integral((d, breaks), (side, beta), c, (to, hi), tol),
        };
        Tail {
            limit: to,
            beta,
            at: beta,
            integrals,
            error,
        }
    };
    let Some(old) = stored.filter(|t| beta <= 2.0 * t.beta) else {
        return fresh();
    };
    // The tail grows when the limit moves outwards from the binding
    // interval's side of it: to the right below, to the left above.
    let grows = match side {
        Side::Lower => to > old.limit,
        Side::Upper => to < old.limit,
    };
    let (a, b) = (old.limit.min(to), old.limit.max(to));
    let (change, change_error) = basis_integral((d, breaks), (side, beta), c, (a, b), tol);
    let mut integrals = rescale(old.integrals, old.at, beta);
    for (a, x) in integrals.iter_mut().zip(change) {
        if grows {
            *a += x;
        } else {
            *a -= x;
        }
    }
    Tail {
        limit: to,
        beta: old.beta.min(beta),
        at: beta,
        integrals,
        error: old.error.max(change_error),
    }
}

/// The four moments `[∫ V' f, ∫ V'² f, ∫ z' V' f, ∫ V' j]` of a raw piece
/// from its basis integrals, with `V' = z' + s ρ` (`s = ±1`).
fn tail_moments(b: &[f64; 8], sb: f64) -> [f64; 4] {
    [
        b[0] + sb * b[1],
        b[2] + sb * (2.0 * b[3] + sb * b[4]),
        b[2] + sb * b[3],
        b[5] + sb * b[6],
    ]
}

/// [`class_moments`] by quadrature where `V` is a raw virtual type, and in
/// closed form on pools: taken about the class's own mean `m`, then moved
/// to the centre `c`.
///
/// Taken about `c` directly, a class 4 500 type units from it (κ = 0.005
/// beside a class near zero, `ironing_search harsh 3000 251` market 1657)
/// had its variance, 0.0057, as the difference of two second moments of
/// 2e7: the quadrature's relative tolerance on those left it anywhere in
/// `[0, 0.03]`, and revenue jumped by 7e9 between two nearby weights.
fn moments_by_quadrature(
    d: &dyn EndowmentDistribution,
    breaks: &[f64],
    types: &VirtualTypes,
    at: &AtEta,
    c: f64,
    tol: &Tolerances,
    tails: &mut TailIntegrals,
) -> ClassMoments {
    let beta = types.beta;
    let (lo, hi) = d.support();
    let AtEta { eta, za, zb, .. } = *at;
    // The centre of the quadratures (fixed by the class, so the stored
    // tails of a budget search stay valid from one trial to the next).
    let m = d.mean();
    let dist = (d, breaks);
    // Tails stored at β = 0 lack their terms in r (see `basis`).
    let weighted = beta != 0.0;
    if tails.centre != m || !weighted {
        *tails = TailIntegrals {
            centre: m,
            ..TailIntegrals::default()
        };
    }
    // On a pool [p, q] where V ≡ v, with ' = minus m:
    // [E V' 1_pool, E V'² 1_pool, E z'V' 1_pool, E J'V' 1_pool].
    let pooled = |p: f64, q: f64, v: f64| -> [f64; 4] {
        let mass = (d.cdf(q) - d.cdf(p)).max(0.0);
        let mz = d.partial_moment(q) - d.partial_moment(p) - m * mass;
        let int_sf = d.sf_integral(p) - d.sf_integral(q);
        let vc = v - m;
        [vc * mass, vc * vc * mass, vc * mz, vc * (mz - int_sf)]
    };
    // Below the interval: [V' f, V'² f, z' V' f, V' j], and
    // `int_lower_own` = ∫ (V − m) ds.
    let mut low = [0.0; 4];
    let mut int_lower_own = 0.0;
    let mut quad_error = 0.0f64;
    let pieces = types.pieces(Side::Lower, lo, za);
    if pieces.iter().all(|piece| piece.2.is_none()) {
        // One raw piece [lo, Z_a] (or none): from the stored tail.
        let tail = tail_integral(dist, Side::Lower, (m, beta), za, tails.lower, tol);
        let b = tail.integrals;
        quad_error = quad_error.max(tail.error);
        tails.lower = weighted.then_some(tail);
        low = tail_moments(&b, 1.0);
        int_lower_own = (za - lo) * (0.5 * (za + lo) - m) + b[7];
    } else {
        tails.lower = None;
        for (p, q, pool) in pieces {
            let (moments, int) = match pool {
                Some(v) => (pooled(p, q, v), (v - m) * (q - p)),
                None => {
                    let (b, error) = basis_integral(dist, (Side::Lower, beta), m, (p, q), tol);
                    quad_error = quad_error.max(error);
                    let int = (q - p) * (0.5 * (q + p) - m) + b[7];
                    (tail_moments(&b, 1.0), int)
                }
            };
            add(&mut low, moments);
            int_lower_own += int;
        }
    }
    // Above it V = Ĥ.
    let mut high = [0.0; 4];
    let pieces = types.pieces(Side::Upper, zb, hi);
    if pieces.iter().all(|piece| piece.2.is_none()) {
        let tail = tail_integral(dist, Side::Upper, (m, beta), zb, tails.upper, tol);
        let b = tail.integrals;
        quad_error = quad_error.max(tail.error);
        tails.upper = weighted.then_some(tail);
        high = tail_moments(&b, -1.0);
    } else {
        tails.upper = None;
        for (p, q, pool) in pieces {
            add(
                &mut high,
                match pool {
                    Some(v) => pooled(p, q, v),
                    None => {
                        let (b, error) = basis_integral(dist, (Side::Upper, beta), m, (p, q), tol);
                        quad_error = quad_error.max(error);
                        tail_moments(&b, -1.0)
                    }
                },
            );
        }
    }
    // On the interval V ≡ η.
    let on = pooled(za, zb, eta);
    // About m: E V', E V'², E z'V', E J'V'.
    let own = [
        low[0] + on[0] + high[0],
        low[1] + on[1] + high[1],
        low[2] + on[2] + high[2],
        low[3] + on[3] + high[3],
    ];
    // To c, with δ = m − c: (x − c) = (x − m) + δ, E[Z − m] = 0 and
    // E[J − m] = lo − m (since E J = E Z − ∫ (1 − F) = lo); the mean of
    // `V − m` from the levels' closed forms, as `mean_v` is.
    let delta = m - c;
    let mean_own = at.mean - m;
    ClassMoments {
        mean_v: at.mean - c,
        var_v: (own[1] - own[0] * own[0]).max(0.0),
        e_zv: own[2] + delta * mean_own + delta * delta,
        e_jv: own[3] + delta * (lo - m) + delta * mean_own + delta * delta,
        int_lower_centred: int_lower_own + delta * (za - lo),
        int_lower: int_lower_own + m * (za - lo),
        centre: c,
        quad_error,
    }
}

/// [`class_moments`] at `β = 0` (the first best), in closed form: then
/// `L = H = z`, so `V = median(z, η, z) = z` everywhere and the moments are
/// the distribution's own. With `z' = z − c`:
/// `Var V = Var Z`, `E V'² = E z'V' = Var Z + (E Z − c)²`, and, integrating `∫ z' (1 − F)`
/// by parts, `E[V' (z' f − (1 − F))/f] = E z'²/2 + (lo − c)²/2`, sums of
/// non-negative terms (no cancellation, whatever `c`).
fn moments_at_zero_weight(d: &dyn EndowmentDistribution, at: &AtEta, c: f64) -> ClassMoments {
    let (lo, _) = d.support();
    let za = at.za;
    let mean_c = d.mean() - c;
    let second = d.variance() + mean_c * mean_c;
    let lo_c = lo - c;
    let int_lower_centred = (za - lo) * (0.5 * (za + lo) - c);
    ClassMoments {
        mean_v: at.mean - c,
        var_v: d.variance(),
        e_zv: second,
        e_jv: 0.5 * second + 0.5 * lo_c * lo_c,
        int_lower_centred,
        int_lower: int_lower_centred + c * (za - lo),
        centre: c,
        quad_error: 0.0,
    }
}

fn add<const K: usize>(acc: &mut [f64; K], v: [f64; K]) {
    for k in 0..K {
        acc[k] += v[k];
    }
}

/// Per-trader welfare figures of one class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ClassWelfare {
    /// `E[X_i]`.
    pub mean_x: f64,
    /// `Σ_{j≠i} Var V_j`.
    pub others_var: f64,
    /// Utility gain of the lowest type, `G_i(lo)`.
    pub lowest_gain: f64,
    /// Expected revenue raised from one trader of the class.
    pub revenue: f64,
    /// Expected holding cost `E[(Z + X)²]/(2κ)` of one trader.
    pub holding_cost: f64,
}

/// The centre of the market: `t̂ = Σ E Z / K`. Shifting every class by
/// `−t̂ κ_i` leaves the allocation and revenue unchanged and makes the
/// aggregate endowment zero in expectation.
pub(crate) fn market_centre(market: &Market) -> f64 {
    let total: f64 = market
        .classes()
        .iter()
        .map(|c| c.count() as f64 * c.distribution().mean())
        .sum();
    let t = total / market.total_kappa();
    if t.is_finite() {
        t
    } else {
        0.0
    }
}

/// Welfare of every class and the totals `(R, A)`, from moments centred at
/// `t̂ κ_i` (see [`class_moments`]).
pub(crate) fn welfare(
    market: &Market,
    levels: &Levels,
    moments: &[ClassMoments],
    t_hat: f64,
) -> (Vec<ClassWelfare>, f64, f64) {
    let k_total = market.total_kappa();
    let (mut sum_v, mut total_var) = (0.0, 0.0);
    for (c, m) in market.classes().iter().zip(moments) {
        sum_v += c.count() as f64 * m.mean_v;
        total_var += c.count() as f64 * m.var_v;
    }
    let mut revenue = 0.0;
    let mut efficiency = 0.0;
    let out = market
        .classes()
        .iter()
        .zip(moments)
        .zip(&levels.classes)
        .map(|((c, m), at)| {
            let d = c.distribution();
            let kappa = c.kappa();
            let w = kappa / k_total;
            let (lo, _) = d.support();
            let centre = m.centre;
            let others_mean = sum_v - m.mean_v;
            let others_var = (total_var - m.var_v).max(0.0);
            let mean_x = -(1.0 - w) * m.mean_v + w * others_mean;
            let e_x2 = mean_x * mean_x + (1.0 - w).powi(2) * m.var_v + w * w * others_var;
            let mean_z = d.mean() - centre;
            let e_zx = -(1.0 - w) * m.e_zv + w * mean_z * others_mean;
            let e_jx = -(1.0 - w) * m.e_jv + w * (lo - centre) * others_mean;
            // G(lo) = (1/κ) ∫_lo^{Z_a} x̄ with x̄ = −(1 − w)(L − c) + w Σ_{j≠i} E V_j
            // (centred), the interim allocation as `interim_allocation`
            // computes it. By the definition of η, w Σ_{j≠i} E V_j =
            // (1 − w)(η − c), but only to the level equations' accuracy,
            // `root_rel` of |η|: far from zero (η ≈ −5 295) writing it with η
            // left G(lo) 1e-11 off the envelope integral of the allocation
            // (`ironing_search harsh 3000 171` market 15).
            let lowest_gain = ((w * others_mean * (at.za - lo) - (1.0 - w) * m.int_lower_centred)
                / kappa)
                .max(0.0);
            let rev = -e_jx / kappa - e_x2 / (2.0 * kappa) - lowest_gain;
            let holding_centred =
                (d.variance() + mean_z * mean_z + 2.0 * e_zx + e_x2) / (2.0 * kappa);
            // Back to the original coordinates: Z + X = (Z' + X) + t̂ κ.
            let holding = holding_centred + t_hat * (mean_z + mean_x) + 0.5 * t_hat * t_hat * kappa;
            let n = c.count() as f64;
            revenue += n * rev;
            efficiency -= n * holding;
            ClassWelfare {
                mean_x,
                others_var,
                lowest_gain,
                revenue: rev,
                holding_cost: holding,
            }
        })
        .collect();
    (out, revenue, efficiency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::integral_breaks;
    use crate::distribution::test_support::Instrumented;
    use crate::distribution::{Beta, Mixture, PiecewiseLinear, Triangular, TruncatedNormal};
    use crate::mechanism::virtual_value::at_eta;
    use crate::numerics::{integrate_vec_checked, RootMethod};
    use std::sync::Arc;

    /// A cluster of `1e-4` of the traders, `1e-6` wide, at 0.6375 falls
    /// between the 21-node rule's nodes on `[0.2, 0.9]` (at most places
    /// of that piece the rule's refinement happens on it): the rule alone
    /// returns the piece without it, at an estimated error of rounding. The
    /// checked piece finds its probability by the closed forms and follows
    /// it down, and its other terms come out with it (`∫ (z − c) f` against
    /// the partial moments).
    #[test]
    fn probability_the_rule_steps_over_is_found_through_the_closed_forms() {
        let part = |m: f64, s: f64| {
            Arc::new(TruncatedNormal::new(m, s, -1.0, 1.0).unwrap())
                as Arc<dyn EndowmentDistribution>
        };
        let tol = Tolerances::DEFAULT;
        let d = Mixture::new(vec![(1.0, part(0.0, 0.5)), (1e-4, part(0.6375, 1e-6))]).unwrap();
        let (a, b, c) = (0.2, 0.9, 0.1);
        let term = |z: f64| basis(&d, Side::Upper, c, z, 1.0);
        let (exact, _) = probability_between(&d, a, b);
        let plain = integrate_vec_checked(term, a, b, &tol);
        assert!(plain.error <= tol.quad_rel, "{}", plain.error);
        assert!(
            (plain.value[BASIS - 1] - exact).abs() > 1e-6 * exact,
            "the rule alone saw the cluster: {} against {exact}",
            plain.value[BASIS - 1]
        );
        let (checked, error) = integrate_split((&d, &[]), term, a, b, &tol);
        assert!(error <= tol.quad_rel, "{error}");
        assert!(
            (checked[BASIS - 1] - exact).abs() <= 1e-13 * exact,
            "{} against {exact}",
            checked[BASIS - 1]
        );
        let moment = d.partial_moment(b) - d.partial_moment(a) - c * exact;
        assert!(
            (checked[0] - moment).abs() <= 1e-12 * moment.abs(),
            "{} against {moment}",
            checked[0]
        );
    }

    /// At β = 0 the closed form agrees with the quadrature path (which is
    /// what every other weight uses) for each family, with the centre at,
    /// beside and far from the class, and with η inside and outside the
    /// support.
    #[test]
    fn closed_form_at_zero_weight_agrees_with_quadrature() {
        let families: Vec<Box<dyn EndowmentDistribution>> = vec![
            Box::new(TruncatedNormal::new(0.2, 0.4, -1.0, 1.5).unwrap()),
            Box::new(Beta::new(2.5, 1.3, -0.5, 2.0).unwrap()),
            Box::new(Triangular::new(1.0, 1.2, 3.0).unwrap()),
            Box::new(
                PiecewiseLinear::new(
                    vec![-1.0, -0.3, 0.0, 0.4, 1.0],
                    vec![1.0, 0.1, 1.2, 0.05, 0.7],
                )
                .unwrap(),
            ),
            Box::new(
                Mixture::from_components(vec![
                    (0.4, TruncatedNormal::new(-0.5, 0.1, -1.0, 1.0).unwrap()),
                    (0.6, TruncatedNormal::new(0.4, 0.2, -1.0, 1.0).unwrap()),
                ])
                .unwrap(),
            ),
            // A cluster far narrower than its support (between a
            // quadrature's first nodes unless the integral is split).
            Box::new(TruncatedNormal::new(0.3, 1e-4, -1.0, 1.0).unwrap()),
        ];
        let tol = Tolerances::DEFAULT;
        for d in &families {
            let types = VirtualTypes::regular(d.as_ref(), 0.0);
            let (lo, hi) = d.support();
            let (m, sd) = (d.mean(), d.variance().sqrt());
            for eta in [lo - 1.0, lo + 0.3 * (hi - lo), m, hi + 2.0] {
                let at =
                    at_eta(d.as_ref(), &types, eta, (lo, hi), 1e-14, RootMethod::Newton).unwrap();
                for c in [m, m + sd, lo - 3.0 * (hi - lo), hi + 1e4 * (hi - lo)] {
                    let closed = moments_at_zero_weight(d.as_ref(), &at, c);
                    let quad = moments_by_quadrature(
                        d.as_ref(),
                        &integral_breaks(d.as_ref()),
                        &types,
                        &at,
                        c,
                        &tol,
                        &mut TailIntegrals::default(),
                    );
                    // The variance to the class's own spread, wherever
                    // the centre.
                    assert!(
                        (closed.var_v - quad.var_v).abs() <= 1e-9 * closed.var_v,
                        "{d:?}, η = {eta}, c = {c}: var_v {} against {}",
                        closed.var_v,
                        quad.var_v
                    );
                    let scale = (hi - lo).max((m - c).abs()).powi(2);
                    for (name, x, y) in [
                        ("mean_v", closed.mean_v, quad.mean_v),
                        ("var_v", closed.var_v, quad.var_v),
                        ("e_zv", closed.e_zv, quad.e_zv),
                        ("e_jv", closed.e_jv, quad.e_jv),
                        ("int_lower", closed.int_lower, quad.int_lower),
                    ] {
                        assert!(
                            (x - y).abs() <= 1e-11 * scale,
                            "{d:?}, η = {eta}, c = {c}: {name} {x} against {y}"
                        );
                    }
                }
            }
        }
    }

    /// The moments of `d` at weight `beta` and level `eta`, centred at `c`,
    /// with the tail integrals `tails`.
    fn moments(
        d: &dyn EndowmentDistribution,
        beta: f64,
        eta: f64,
        c: f64,
        tails: &mut TailIntegrals,
    ) -> ClassMoments {
        let types = VirtualTypes::regular(d, beta);
        let (lo, hi) = d.support();
        let at = at_eta(d, &types, eta, (lo, hi), 1e-14, RootMethod::Newton).unwrap();
        class_moments(
            d,
            &integral_breaks(d),
            &types,
            &at,
            c,
            &Tolerances::DEFAULT,
            tails,
        )
    }

    fn assert_same(x: &ClassMoments, y: &ClassMoments, scale: f64, what: &str) {
        for (name, a, b) in [
            ("mean_v", x.mean_v, y.mean_v),
            ("var_v", x.var_v, y.var_v),
            ("e_zv", x.e_zv, y.e_zv),
            ("e_jv", x.e_jv, y.e_jv),
            ("int_lower", x.int_lower, y.int_lower),
        ] {
            assert!(
                (a - b).abs() <= 1e-13 * scale,
                "{what}: {name} {a} against {b}"
            );
        }
    }

    #[test]
    fn reused_tails_agree_with_fresh_ones_and_cost_one_panel_a_side() {
        // A budget search's late trials: the weight moves by 1e-4 of itself.
        // Counts what the moments' quadrature asks of the distribution.
        let d = Instrumented::new(TruncatedNormal::new(0.0, 0.3, -1.5, 1.5).unwrap());
        let (eta, c) = (0.3, 0.1);
        let mut tails = TailIntegrals::default();
        moments(&d, 0.4, eta, c, &mut tails);
        let first = d.take_densities_and_ratios();
        let reused = moments(&d, 0.4 * (1.0 + 1e-4), eta, c, &mut tails);
        let again = d.take_densities_and_ratios();
        let fresh = moments(
            &d,
            0.4 * (1.0 + 1e-4),
            eta,
            c,
            &mut TailIntegrals::default(),
        );
        assert_same(&reused, &fresh, 9.0, "reused tails");
        // One 21-node Kronrod panel on each side, where the fresh tails
        // take more (the root solves of `at_eta` ask for no ratio here).
        assert!(again <= 2 * 21, "{again} evaluations reused, {first} fresh");
        assert!(first > again, "{first} evaluations fresh");
        // Both tails are stored, at the new limits.
        assert!(tails.lower.is_some() && tails.upper.is_some());
    }

    #[test]
    fn a_tail_from_a_much_smaller_weight_is_integrated_afresh() {
        // F/f grows like (1 − z)^−3 at the top of Beta(2, 4), so ∫ (F/f)² f
        // up to a Z_a next to it is huge (and hard to integrate): a trial at
        // a tiny weight with a high level stores such a tail. Its errors,
        // weighted by a normal weight, would swamp the moments.
        let d = Beta::new(2.0, 4.0, 0.0, 1.0).unwrap();
        let (eta, c) = (1.0 - 1e-7, 0.3);
        let fresh = |beta: f64| moments(&d, beta, eta, c, &mut TailIntegrals::default());
        // Straight from the tiny weight to a normal one.
        let mut tails = TailIntegrals::default();
        moments(&d, 1e-30, eta, c, &mut tails);
        let Tail {
            limit: za,
            integrals: stored,
            ..
        } = tails.lower.unwrap();
        // (Stored at the weight, so `∫ ρ² f = β² ∫ (F/f)² f`.)
        assert!(
            za > 0.9999 && stored[4] > 1e12 * 1e-60,
            "Z_a = {za}, {stored:?}"
        );
        let reused = moments(&d, 0.3, eta, c, &mut tails);
        assert_same(&reused, &fresh(0.3), 1.0, "after a tiny weight");
        // From a normal weight down to the tiny one and back: the strip
        // added at the tiny weight marks the tail.
        let mut tails = TailIntegrals::default();
        moments(&d, 0.3, eta, c, &mut tails);
        moments(&d, 1e-30, eta, c, &mut tails);
        assert_eq!(tails.lower.unwrap().beta, 1e-30);
        let back = moments(&d, 0.5, eta, c, &mut tails);
        assert_same(&back, &fresh(0.5), 1.0, "down and back");
        // Nearby weights reuse (0.5 then 0.9 ≤ 2 · 0.5).
        moments(&d, 0.9, eta, c, &mut tails);
        assert_eq!(tails.lower.unwrap().beta, 0.5);
    }

    #[test]
    fn tails_are_not_kept_at_zero_weight_and_serve_every_centre() {
        let d = TruncatedNormal::new(0.2, 0.6, -1.0, 1.5).unwrap();
        let mut tails = TailIntegrals::default();
        // At β = 0 the terms in r are left out: nothing to keep.
        let types = VirtualTypes::regular(&d, 0.0);
        let at = at_eta(&d, &types, 0.3, (-1.0, 1.5), 1e-14, RootMethod::Newton).unwrap();
        moments_by_quadrature(
            &d,
            &integral_breaks(&d),
            &types,
            &at,
            0.1,
            &Tolerances::DEFAULT,
            &mut tails,
        );
        assert_eq!(tails.lower, None);
        assert_eq!(tails.upper, None);
        // Tails are taken about the class's own mean, so a call centred
        // elsewhere reuses them and agrees with a fresh one.
        moments(&d, 0.4, 0.3, 0.1, &mut tails);
        let moved = moments(&d, 0.4, 0.3, 0.7, &mut tails);
        let fresh = moments(&d, 0.4, 0.3, 0.7, &mut TailIntegrals::default());
        assert_same(&moved, &fresh, 2.5f64.powi(2), "new centre");
        assert_eq!(tails.centre, d.mean());
        assert!(tails.lower.is_some() && tails.upper.is_some());
    }

    #[test]
    fn moments_stay_finite_where_the_hazard_ratio_passes_1e154() {
        // A truncated normal 33 standard deviations into its left tail at
        // its lower end (found by the property tests at 2 048 cases): at a
        // weight of 1e-155 the binding interval ends where (1 − F)/f is
        // about 1e154, and its square overflows.
        let d =
            TruncatedNormal::new(2.785060519728375, 0.0823763781385106, 0.0158, 1.4573).unwrap();
        let (eta, c) = (-0.00085, 0.0036);
        let m = moments(&d, 1.3e-155, eta, c, &mut TailIntegrals::default());
        // Within rounding of the first best's moments (V = z but on an
        // interval of probability 1e-157).
        let types = VirtualTypes::regular(&d, 0.0);
        let at = at_eta(&d, &types, eta, (0.0158, 1.4573), 1e-14, RootMethod::Newton).unwrap();
        let zero = moments_at_zero_weight(&d, &at, c);
        assert!(
            (m.var_v - zero.var_v).abs() <= 1e-9 * zero.var_v,
            "{m:?} against {zero:?}"
        );
        assert!((m.mean_v - zero.mean_v).abs() <= 1e-12, "{m:?}");
        assert!((m.e_zv - zero.e_zv).abs() <= 1e-9, "{m:?}");
    }
}
