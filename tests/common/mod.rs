//! Helpers shared by the integration tests. Independent of the crate's own
//! numerics: the reference quadrature below is a fixed composite
//! Gauss–Legendre rule built straight from `gauss-quad`, with many panels,
//! and never the crate's adaptive integrator.

#![allow(dead_code)]

pub mod generator;
pub mod markets;
pub mod parametric_cases;
pub mod reference;

use exchange_design::distribution::EndowmentDistribution;
use gauss_quad::GaussLegendre;
use std::num::NonZeroUsize;
use std::sync::OnceLock;

/// Composite 30-node Gauss–Legendre over `panels` equal panels of `[a, b]`.
pub fn reference_integral_panels<F: FnMut(f64) -> f64>(
    mut f: F,
    a: f64,
    b: f64,
    panels: usize,
) -> f64 {
    if a == b {
        return 0.0;
    }
    // Computing the nodes costs far more than using them: once per process.
    static RULE: OnceLock<GaussLegendre> = OnceLock::new();
    let rule = RULE.get_or_init(|| GaussLegendre::new(NonZeroUsize::new(30).unwrap()));
    let h = (b - a) / panels as f64;
    (0..panels)
        .map(|k| {
            // Both ends from the same formula, so neighbouring panels share
            // their boundary exactly.
            let lo = a + k as f64 * h;
            let hi = if k + 1 == panels {
                b
            } else {
                a + (k + 1) as f64 * h
            };
            rule.integrate(lo, hi, &mut f)
        })
        .sum()
}

/// Reference integral over `[a, b]`, split at the given interior kinks.
pub fn reference_integral<F: FnMut(f64) -> f64>(mut f: F, a: f64, b: f64, kinks: &[f64]) -> f64 {
    let mut pts = vec![a];
    pts.extend(kinks.iter().copied().filter(|&k| k > a && k < b));
    pts.push(b);
    pts.windows(2)
        .map(|w| reference_integral_panels(&mut f, w[0], w[1], 64))
        .sum()
}

/// `∫_0^1 g(Q(u)) du`, the expectation of `g` under `d`, by the reference
/// rule in quantile space: `panels` panels on each piece between the
/// quantiles of `cuts` (types where `g` has kinks), of the density's kinks
/// and of types halving their distance to each kink from both sides (a
/// density that rises steeply into a kink bends `Q` sharply next to it),
/// and pieces halving towards `u = 0` and `u = 1`, where `Q` has its
/// singularities (a normal's grows like `√(2 ln 1/u)`). The rule's nodes
/// are spread evenly in probability, so a cluster of traders, however
/// narrow, gets its share of them, where a rule over types can step over
/// it. The quantile is polished by two Newton steps on the CDF, so the
/// reference does not rest on the crate's inversion.
pub fn quantile_integral<G: Fn(f64) -> f64>(
    d: &dyn EndowmentDistribution,
    g: G,
    cuts: &[f64],
    panels: usize,
) -> f64 {
    let (lo, hi) = d.support();
    let mut us = vec![0.0, 1.0];
    us.extend(
        cuts.iter()
            .filter(|&&z| z > lo && z < hi)
            .map(|&z| d.cdf(z)),
    );
    for &k in d.kinks() {
        us.push(d.cdf(k));
        for j in 1..=40 {
            let h = (hi - lo) * 0.5f64.powi(j);
            us.extend([d.cdf((k - h).max(lo)), d.cdf((k + h).min(hi))]);
        }
    }
    for j in 1..=52 {
        let h = 0.5f64.powi(j);
        us.extend([h, 1.0 - h]);
    }
    us.sort_by(f64::total_cmp);
    us.dedup();
    let quantile = |u: f64| {
        let mut z = d.quantile(u);
        for _ in 0..2 {
            let f = d.pdf(z);
            if f > 0.0 {
                z = (z - (d.cdf(z) - u) / f).clamp(lo, hi);
            }
        }
        z
    };
    us.windows(2)
        .map(|w| reference_integral_panels(|u| g(quantile(u)), w[0], w[1], panels))
        .sum()
}

/// The `solve` front end on JSON text: the report as JSON, or the one-line
/// message the command line prints after `error:`.
pub fn solve_json(text: &str) -> Result<String, String> {
    exchange_design::spec::json::solve(text).map_err(|e| e.to_string())
}

/// The `frontier` front end on JSON text, as [`solve_json`].
pub fn frontier_json(text: &str) -> Result<String, String> {
    exchange_design::spec::json::frontier(text).map_err(|e| e.to_string())
}

/// `|a − b| ≤ tol · max(1, |a|, |b|)`.
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * 1f64.max(a.abs()).max(b.abs())
}

/// `n + 1` evenly spaced points from `a` to `b`, ending exactly at `b`.
pub fn grid(a: f64, b: f64, n: usize) -> Vec<f64> {
    (0..=n)
        .map(|k| {
            if k == n {
                b
            } else {
                a + (b - a) * k as f64 / n as f64
            }
        })
        .collect()
}

/// [`grid`] plus points `1e-12`, `1e-8` and `1e-4` of the width inside
/// each end, where hazard ratios take their limits.
pub fn grid_with_ends(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let w = hi - lo;
    let mut zs = grid(lo, hi, n);
    for e in [1e-12, 1e-8, 1e-4] {
        zs.push(lo + e * w);
        zs.push(hi - e * w);
    }
    zs
}

/// Relative error of `got` against `want` (0 when they are equal).
pub fn rel_err(got: f64, want: f64) -> f64 {
    if got == want {
        0.0
    } else {
        ((got - want) / want).abs()
    }
}

/// Probabilities for quantile round trips, deep into both tails.
pub const U_GRID: [f64; 15] = [
    1e-10,
    1e-6,
    1e-3,
    0.01,
    0.1,
    0.25,
    0.4,
    0.5,
    0.6,
    0.75,
    0.9,
    0.99,
    0.999,
    1.0 - 1e-6,
    1.0 - 1e-10,
];

/// Every scalar the trait reports at `z`, for NaN scans.
pub fn all_values<D: EndowmentDistribution + ?Sized>(d: &D, z: f64) -> [f64; 9] {
    [
        d.cdf(z),
        d.sf(z),
        d.pdf(z),
        d.pdf_derivative(z),
        d.partial_moment(z),
        d.cdf_integral(z),
        d.sf_integral(z),
        d.cdf_pdf_ratio(z),
        d.sf_pdf_ratio(z),
    ]
}

/// `cdf(quantile(u)) = u` and `sf(quantile(u)) = 1 − u` to 1e-12 on
/// [`U_GRID`], the quantile stays in the support, and the ends and NaN map
/// as documented.
pub fn assert_quantile_inverts_cdf<D: EndowmentDistribution + std::fmt::Debug + ?Sized>(d: &D) {
    let (lo, hi) = d.support();
    for u in U_GRID {
        let z = d.quantile(u);
        assert!(z >= lo && z <= hi, "{d:?} u={u}: q = {z}");
        assert!(
            close(d.cdf(z), u, 1e-12),
            "{d:?} u={u}: cdf(q) = {}",
            d.cdf(z)
        );
        assert!(
            close(d.sf(z), 1.0 - u, 1e-12),
            "{d:?} u={u}: sf(q) = {}",
            d.sf(z)
        );
    }
    assert_eq!(d.quantile(0.0), lo);
    assert_eq!(d.quantile(1.0), hi);
    assert!(d.quantile(f64::NAN).is_nan());
}

/// `budget_rel · Σ count·width²/κ`: the revenue that counts as zero, the
/// budget search's documented allowance (`Tolerances::budget_rel`) for
/// types near zero.
pub fn budget_allowance(m: &exchange_design::market::Market) -> f64 {
    let scale: f64 = m
        .classes()
        .iter()
        .map(|c| {
            let (lo, hi) = c.distribution().support();
            c.count() as f64 * (hi - lo) * (hi - lo) / c.kappa()
        })
        .sum();
    exchange_design::numerics::Tolerances::DEFAULT.budget_rel * scale
}
