//! Revenue (eq. (5)), efficiency and holding costs, as one-dimensional
//! integrals over one trader at a time.
//!
//! Because the allocation (12) is linear in independent virtual values,
//! every expectation reduces to moments of a single class's `V`, `Z·V` and
//! `J·V`, where `J(z) = z − (1 − F(z))/f(z)` is the revenue weight of eq. (5).
//! The integrands have kinks at the ends of the binding interval, so the
//! quadrature is split there (and at the distribution's own kinks).

use super::ironing::{Side, VirtualTypes};
use super::solver::Levels;
use super::virtual_value::AtEta;
use crate::distribution::{breakpoints, EndowmentDistribution, HazardRatio};
use crate::market::Market;
use crate::numerics::{integrate_vec, Tolerances};

/// Moments of one class's virtual value, centred at `centre` (primes
/// denote `· − centre`).
#[derive(Debug, Clone, Copy, PartialEq)]
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
}

/// Integrates a vector integrand over `[a, b]` split at the distribution's kinks.
fn integrate_split<const K: usize, F: FnMut(f64) -> [f64; K]>(
    d: &dyn EndowmentDistribution,
    mut f: F,
    a: f64,
    b: f64,
    tol: &Tolerances,
) -> [f64; K] {
    let mut acc = [0.0; K];
    if b <= a {
        return acc;
    }
    for w in breakpoints(d, a, b).windows(2) {
        let v = integrate_vec(&mut f, w[0], w[1], tol);
        for k in 0..K {
            acc[k] += v[k];
        }
    }
    acc
}

/// Moments of a class's virtual value, centred at `c`: every product is
/// formed from `z − c` and `V − c` pointwise, so a market whose endowments
/// sit far from zero keeps its precision (the model is exactly covariant
/// under `Z_i → Z_i + t κ_i`, which shifts `V_i` by `t κ_i` and leaves the
/// allocation unchanged; see `docs/theory.md`).
///
/// Below the binding interval `V = L̂`, above it `V = Ĥ`: by quadrature
/// where they are the raw types, in closed form on pools where they are
/// constant.
pub(crate) fn class_moments(
    d: &dyn EndowmentDistribution,
    types: &VirtualTypes,
    at: &AtEta,
    c: f64,
    tol: &Tolerances,
) -> ClassMoments {
    if types.beta == 0.0 {
        moments_at_zero_weight(d, at, c)
    } else {
        moments_by_quadrature(d, types, at, c, tol)
    }
}

/// [`class_moments`] by quadrature where `V` is a raw virtual type, and in
/// closed form on pools.
fn moments_by_quadrature(
    d: &dyn EndowmentDistribution,
    types: &VirtualTypes,
    at: &AtEta,
    c: f64,
    tol: &Tolerances,
) -> ClassMoments {
    let beta = types.beta;
    let (lo, hi) = d.support();
    let AtEta { eta, za, zb, .. } = *at;
    // Only called with β > 0 (`class_moments` takes β = 0, where ∫ F/f may
    // diverge at an end where the density vanishes, in closed form).
    // On a pool [p, q] where V ≡ v: [E V' 1_pool, E V'² 1_pool, E z'V' 1_pool, E J'V' 1_pool].
    let pooled = |p: f64, q: f64, v: f64| -> [f64; 4] {
        let mass = (d.cdf(q) - d.cdf(p)).max(0.0);
        let mz = d.partial_moment(q) - d.partial_moment(p) - c * mass;
        let int_sf = d.sf_integral(p) - d.sf_integral(q);
        let vc = v - c;
        [vc * mass, vc * vc * mass, vc * mz, vc * (mz - int_sf)]
    };
    // Below the interval: components
    // [V' f, V'² f, z' V' f, V' (z' f − (1 − F))] with ' = minus c, and
    // `int_lower_centred` = ∫ (V − c) ds.
    let mut low = [0.0; 4];
    let mut int_lower_centred = 0.0;
    for (p, q, pool) in types.pieces(Side::Lower, lo, za) {
        match pool {
            Some(v) => {
                add(&mut low, pooled(p, q, v));
                int_lower_centred += (v - c) * (q - p);
            }
            None => {
                let r = integrate_split(
                    d,
                    |z| {
                        let (f, r, sf) = d.density_and_ratio(z, HazardRatio::CdfOverPdf);
                        let zc = z - c;
                        let v = zc + beta * r;
                        let jf = zc * f - sf;
                        [v * f, v * v * f, zc * v * f, v * jf, r]
                    },
                    p,
                    q,
                    tol,
                );
                add(&mut low, [r[0], r[1], r[2], r[3]]);
                int_lower_centred += (q - p) * (0.5 * (q + p) - c) + beta * r[4];
            }
        }
    }
    // Above it V = Ĥ.
    let mut high = [0.0; 4];
    for (p, q, pool) in types.pieces(Side::Upper, zb, hi) {
        match pool {
            Some(v) => add(&mut high, pooled(p, q, v)),
            None => add(
                &mut high,
                integrate_split(
                    d,
                    |z| {
                        let (f, r, sf) = d.density_and_ratio(z, HazardRatio::SfOverPdf);
                        let zc = z - c;
                        let v = zc - beta * r;
                        let jf = zc * f - sf;
                        [v * f, v * v * f, zc * v * f, v * jf]
                    },
                    p,
                    q,
                    tol,
                ),
            ),
        }
    }
    // On the interval V ≡ η.
    let on = pooled(za, zb, eta);
    let mean_v = at.mean - c;
    let second = low[1] + on[1] + high[1];
    ClassMoments {
        mean_v,
        var_v: (second - mean_v * mean_v).max(0.0),
        e_zv: low[2] + on[2] + high[2],
        e_jv: low[3] + on[3] + high[3],
        int_lower_centred,
        int_lower: int_lower_centred + c * (za - lo),
        centre: c,
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
    /// `Σ_{j≠i} E[V_j − t̂ κ_j]` (centred).
    pub others_mean: f64,
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
            // G(lo) = (1/κ) ∫_lo^{Z_a} x̄; x̄ = −(1 − w) L + w Σ_{j≠i} E V_j and
            // w Σ_{j≠i} E V_j = (1 − w) η by the definition of η (both sides
            // shift by the same amount under centring).
            let lowest_gain =
                ((1.0 - w) * ((at.eta - centre) * (at.za - lo) - m.int_lower_centred) / kappa)
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
                others_mean,
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
    use crate::distribution::{Beta, Mixture, PiecewiseLinear, Triangular, TruncatedNormal};
    use crate::mechanism::virtual_value::at_eta;
    use crate::numerics::RootMethod;

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
        ];
        let tol = Tolerances::DEFAULT;
        for d in &families {
            let types = VirtualTypes::regular(d.as_ref(), 0.0);
            let (lo, hi) = d.support();
            let (m, sd) = (d.mean(), d.variance().sqrt());
            for eta in [lo - 1.0, lo + 0.3 * (hi - lo), m, hi + 2.0] {
                let at =
                    at_eta(d.as_ref(), &types, eta, (lo, hi), 1e-14, RootMethod::Newton).unwrap();
                for c in [m, m + sd, lo - 3.0 * (hi - lo)] {
                    let closed = moments_at_zero_weight(d.as_ref(), &at, c);
                    let quad = moments_by_quadrature(d.as_ref(), &types, &at, c, &tol);
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
}
