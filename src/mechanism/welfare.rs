//! Revenue (eq. (5)), efficiency and holding costs, as one-dimensional
//! integrals over one trader at a time.
//!
//! Because the allocation (12) is linear in independent virtual values,
//! every expectation reduces to moments of a single class's `V`, `Z·V` and
//! `J·V`, where `J(z) = z − (1 − F(z))/f(z)` is the revenue weight of eq. (5).
//! The integrands have kinks at the ends of the binding interval, so the
//! quadrature is split there (and at the distribution's own kinks).

use super::solver::Levels;
use super::virtual_value::AtEta;
use crate::distribution::{breakpoints, EndowmentDistribution};
use crate::market::Market;
use crate::numerics::{integrate_vec, Tolerances};

/// Moments of one class's virtual value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ClassMoments {
    /// `E[V]`.
    pub mean_v: f64,
    /// `Var V`.
    pub var_v: f64,
    /// `E[Z V]`.
    pub e_zv: f64,
    /// `E[J V]`.
    pub e_jv: f64,
    /// `∫_lo^{Z_a} L(s) ds`.
    pub int_lower: f64,
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

pub(crate) fn class_moments(
    d: &dyn EndowmentDistribution,
    beta: f64,
    at: &AtEta,
    tol: &Tolerances,
) -> ClassMoments {
    let (lo, hi) = d.support();
    let AtEta { eta, za, zb, .. } = *at;
    // Below the interval V = L = z + β F/f: components
    // [V f, V² f, z V f, V (z f − (1 − F)), F/f].
    let low = integrate_split(
        d,
        |z| {
            let f = d.pdf(z);
            let r = d.cdf_pdf_ratio(z);
            let v = z + beta * r;
            let jf = z * f - d.sf(z);
            [v * f, v * v * f, z * v * f, v * jf, r]
        },
        lo,
        za,
        tol,
    );
    // Above it V = H = z − β (1 − F)/f.
    let high = integrate_split(
        d,
        |z| {
            let f = d.pdf(z);
            let v = z - beta * d.sf_pdf_ratio(z);
            let jf = z * f - d.sf(z);
            [v * f, v * v * f, z * v * f, v * jf]
        },
        zb,
        hi,
        tol,
    );
    // On the interval V ≡ η.
    let p = (d.cdf(zb) - d.cdf(za)).max(0.0);
    let mz = d.partial_moment(zb) - d.partial_moment(za);
    let int_sf = d.sf_integral(za) - d.sf_integral(zb);
    let mean_v = at.mean;
    let second = low[1] + eta * eta * p + high[1];
    ClassMoments {
        mean_v,
        var_v: (second - mean_v * mean_v).max(0.0),
        e_zv: low[2] + eta * mz + high[2],
        e_jv: low[3] + eta * (mz - int_sf) + high[3],
        int_lower: 0.5 * (za - lo) * (za + lo) + beta * low[4],
    }
}

/// Per-trader welfare figures of one class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ClassWelfare {
    /// `E[X_i]`.
    pub mean_x: f64,
    /// `Σ_{j≠i} Var V_j`.
    pub others_var: f64,
    /// `Σ_{j≠i} E V_j`.
    pub others_mean: f64,
    /// Utility gain of the lowest type, `G_i(lo)`.
    pub lowest_gain: f64,
    /// Expected revenue raised from one trader of the class.
    pub revenue: f64,
    /// Expected holding cost `E[(Z + X)²]/(2κ)` of one trader.
    pub holding_cost: f64,
}

/// Welfare of every class and the totals `(R, A)`.
pub(crate) fn welfare(
    market: &Market,
    levels: &Levels,
    moments: &[ClassMoments],
) -> (Vec<ClassWelfare>, f64, f64) {
    let k_total = market.total_kappa();
    let total_var: f64 = market
        .classes()
        .iter()
        .zip(moments)
        .map(|(c, m)| c.count() as f64 * m.var_v)
        .sum();
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
            let others_mean = levels.sum - m.mean_v;
            let others_var = (total_var - m.var_v).max(0.0);
            let mean_x = -(1.0 - w) * m.mean_v + w * others_mean;
            let e_x2 = mean_x * mean_x + (1.0 - w).powi(2) * m.var_v + w * w * others_var;
            let e_zx = -(1.0 - w) * m.e_zv + w * d.mean() * others_mean;
            let e_jx = -(1.0 - w) * m.e_jv + w * lo * others_mean;
            // G(lo) = (1/κ) ∫_lo^{Z_a} x̄; x̄ = −(1 − w) L + w Σ_{j≠i} E V_j and
            // w Σ_{j≠i} E V_j = (1 − w) η by the definition of η.
            let lowest_gain = ((1.0 - w) * (at.eta * (at.za - lo) - m.int_lower) / kappa).max(0.0);
            let rev = -e_jx / kappa - e_x2 / (2.0 * kappa) - lowest_gain;
            let holding = (d.second_moment() + 2.0 * e_zx + e_x2) / (2.0 * kappa);
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
