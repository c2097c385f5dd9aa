//! An independent evaluation of a solved mechanism, from the ex-post
//! [`OptimalMechanism::allocation`] alone (plus, where a test says so, the
//! crate's interim transfers), by quadrature over the traders' types written
//! here: tensor Gauss–Legendre over every trader's type for markets of up to
//! three traders, plain Monte Carlo (with its standard error) beyond.
//!
//! Nothing here reads the crate's welfare, moment or virtual-value code. The
//! crate's binding and pooled intervals are used only to place quadrature
//! panel boundaries where the integrand has kinks (a wrong boundary costs
//! accuracy, never correctness), and the distributions' own `pdf`, `cdf`,
//! `quantile` and `kinks` (the distribution layer is tested elsewhere).

use exchange_design::distribution::EndowmentDistribution;
use exchange_design::mechanism::DirectMechanism;
use exchange_design::mechanism::OptimalMechanism;
use gauss_quad::GaussLegendre;
use std::num::NonZeroUsize;

/// A quadrature rule for one trader's type: nodes `z` and probability
/// weights `p` (Gauss–Legendre weight times density), so that
/// `E g(Z) ≈ Σ p g(z)`.
#[derive(Clone, Debug)]
pub struct TypeRule {
    pub z: Vec<f64>,
    pub p: Vec<f64>,
    /// The Gauss–Legendre weights alone (`∫ g ≈ Σ w g(z)`).
    pub w: Vec<f64>,
}

/// Sorted, deduplicated panel boundaries on `[lo, hi]`: the ends, the
/// distribution's kinks, the given cuts, and enough equal divisions that no
/// panel is wider than `(hi − lo)/min_panels`.
pub fn panel_edges(lo: f64, hi: f64, kinks: &[f64], cuts: &[f64], min_panels: usize) -> Vec<f64> {
    let mut pts: Vec<f64> = (0..=min_panels)
        .map(|k| {
            if k == min_panels {
                hi
            } else {
                lo + (hi - lo) * k as f64 / min_panels as f64
            }
        })
        .collect();
    pts.extend(
        kinks
            .iter()
            .chain(cuts)
            .copied()
            .filter(|&c| c > lo && c < hi),
    );
    pts.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let tiny = 1e-13 * (hi - lo);
    pts.dedup_by(|a, b| (*a - *b).abs() <= tiny);
    pts
}

/// `nodes`-point Gauss–Legendre on every panel of [`panel_edges`], weighted
/// by the density.
pub fn type_rule(
    d: &dyn EndowmentDistribution,
    cuts: &[f64],
    min_panels: usize,
    nodes: usize,
) -> TypeRule {
    let (lo, hi) = d.support();
    let rule = GaussLegendre::new(NonZeroUsize::new(nodes).unwrap());
    let mut z = Vec::new();
    let mut p = Vec::new();
    let mut gw = Vec::new();
    for w in panel_edges(lo, hi, d.kinks(), cuts, min_panels).windows(2) {
        let (a, b) = (w[0], w[1]);
        for (x, wt) in rule.as_node_weight_pairs() {
            let s = 0.5 * (a + b) + 0.5 * (b - a) * x;
            z.push(s);
            p.push(0.5 * (b - a) * wt * d.pdf(s));
            gw.push(0.5 * (b - a) * wt);
        }
    }
    TypeRule { z, p, w: gw }
}

/// The ends of the binding interval and of every pooled interval of class
/// `k`: where the virtual value has kinks.
pub fn class_cuts(mech: &OptimalMechanism, k: usize) -> Vec<f64> {
    let c = mech.class(k);
    let (za, zb) = c.virtual_value().binding_interval();
    let mut cuts = vec![za, zb];
    for (a, b) in c.virtual_value().ironed_intervals() {
        cuts.push(a);
        cuts.push(b);
    }
    cuts
}

/// The class of each trader, in the order `allocation` expects.
pub fn trader_classes(mech: &OptimalMechanism) -> Vec<usize> {
    mech.market()
        .classes()
        .iter()
        .enumerate()
        .flat_map(|(k, c)| std::iter::repeat_n(k, c.count() as usize))
        .collect()
}

/// Tensor Gauss–Legendre evaluation of a mechanism with at most three
/// traders.
pub struct Tensor<'a> {
    pub mech: &'a OptimalMechanism,
    /// Class of each trader.
    pub classes: Vec<usize>,
    /// One rule per class.
    pub rules: Vec<TypeRule>,
}

impl<'a> Tensor<'a> {
    /// Rules with `nodes` Gauss–Legendre points on each of at least
    /// `min_panels` panels per class (more where there are kinks).
    pub fn new(mech: &'a OptimalMechanism, min_panels: usize, nodes: usize) -> Self {
        let classes = trader_classes(mech);
        assert!(
            classes.len() <= 3,
            "tensor quadrature is for at most three traders"
        );
        let rules = mech
            .market()
            .classes()
            .iter()
            .enumerate()
            .map(|(k, c)| type_rule(c.distribution(), &class_cuts(mech, k), min_panels, nodes))
            .collect();
        Tensor {
            mech,
            classes,
            rules,
        }
    }

    fn rule(&self, trader: usize) -> &TypeRule {
        &self.rules[self.classes[trader]]
    }

    /// Calls `f(types, probability)` on every node of the tensor rule over
    /// the traders other than `fixed.0`, whose type is `fixed.1` (or over
    /// all traders when `fixed` is `None`).
    pub fn for_each(&self, fixed: Option<(usize, f64)>, mut f: impl FnMut(&[f64], f64)) {
        let n = self.classes.len();
        let mut types = vec![0.0; n];
        let mut idx = vec![0usize; n];
        let free: Vec<usize> = (0..n).filter(|&i| fixed.map(|x| x.0) != Some(i)).collect();
        if let Some((i, z)) = fixed {
            types[i] = z;
        }
        loop {
            let mut p = 1.0;
            for &j in &free {
                let r = self.rule(j);
                types[j] = r.z[idx[j]];
                p *= r.p[idx[j]];
            }
            f(&types, p);
            // Odometer over the free traders.
            let mut carry = true;
            for &j in &free {
                if !carry {
                    break;
                }
                idx[j] += 1;
                if idx[j] == self.rule(j).z.len() {
                    idx[j] = 0;
                } else {
                    carry = false;
                }
            }
            if carry {
                return;
            }
        }
    }

    /// `(E[X_i | Z_i = z], E[X_i² | Z_i = z])` over the others' types, when
    /// trader `i` reports `z`.
    pub fn interim(&self, i: usize, z: f64) -> (f64, f64) {
        let (mut x, mut x2) = (0.0, 0.0);
        self.for_each(Some((i, z)), |t, p| {
            let xi = self.mech.allocation(t).unwrap()[i];
            x += p * xi;
            x2 += p * xi * xi;
        });
        (x, x2)
    }

    /// `Σ_i E[(Z_i + X_i)²]/(2κ_i)` negated: allocative efficiency.
    pub fn efficiency(&self) -> f64 {
        let kappa: Vec<f64> = self
            .classes
            .iter()
            .map(|&k| self.mech.market().classes()[k].kappa())
            .collect();
        let mut a = 0.0;
        self.for_each(None, |t, p| {
            let x = self.mech.allocation(t).unwrap();
            for i in 0..t.len() {
                a -= p * (t[i] + x[i]).powi(2) / (2.0 * kappa[i]);
            }
        });
        a
    }

    /// `Σ_i E t̄_i(Z_i)` with the crate's interim transfers.
    pub fn revenue_from_transfers(&self) -> f64 {
        let mut r = 0.0;
        for (i, &k) in self.classes.iter().enumerate() {
            let rule = self.rule(i);
            for (z, p) in rule.z.iter().zip(&rule.p) {
                r += p * self.mech.interim_transfer(k, *z).unwrap();
            }
        }
        r
    }

    /// Revenue with the transfers the allocation itself implies: for each
    /// trader, `t̄(z) = −(2 z x̄(z) + E[X² | z])/(2κ) − U(z)` with
    /// `U(z) = −(1/κ) ∫ x̄` (the envelope condition of incentive
    /// compatibility) and `min U = 0` (the least rent individual rationality
    /// allows), every interim quantity by quadrature over the others.
    /// Returns the revenue and, per trader, the minimiser of `U` found.
    pub fn revenue_from_envelope(&self) -> (f64, Vec<f64>) {
        let mut total = 0.0;
        let mut argmins = Vec::new();
        for (i, &k) in self.classes.iter().enumerate() {
            let c = &self.mech.market().classes()[k];
            let (d, kappa) = (c.distribution(), c.kappa());
            let (lo, hi) = d.support();
            let rule = self.rule(i);
            // E[−(2 Z x̄ + E[X²|Z])/(2κ)], with the density-weighted rule.
            let mut quad = 0.0;
            for (z, p) in rule.z.iter().zip(&rule.p) {
                let (x, x2) = self.interim(i, *z);
                quad -= p * (2.0 * z * x + x2) / (2.0 * kappa);
            }
            // W(z) = −(1/κ) ∫_lo^z x̄ is convex (x̄ decreasing, W' = −x̄/κ),
            // so its minimiser is where x̄ changes sign; bisect on the
            // quadrature x̄.
            let xbar = |z: f64| self.interim(i, z).0;
            let zstar = if xbar(lo) <= 0.0 {
                lo
            } else if xbar(hi) >= 0.0 {
                hi
            } else {
                let (mut a, mut b) = (lo, hi);
                for _ in 0..50 {
                    let m = 0.5 * (a + b);
                    if xbar(m) > 0.0 {
                        a = m
                    } else {
                        b = m
                    }
                }
                0.5 * (a + b)
            };
            // E U = E W − W(z*), with E W = −(1/κ) ∫ x̄ (1 − F) (by parts).
            // Unweighted integrals of x̄, whose virtual value can be nearly
            // singular near an end where the density vanishes: graded rule.
            let mut cuts = class_cuts(self.mech, k);
            cuts.push(zstar);
            let (mut ew, mut w_star) = (0.0, 0.0);
            for (s, wt) in graded_rule(lo, hi, d.kinks(), &cuts) {
                let x = xbar(s);
                ew -= wt * x * d.sf(s) / kappa;
                if s < zstar {
                    w_star -= wt * x / kappa;
                }
            }
            total += quad - (ew - w_star);
            argmins.push(zstar);
        }
        (total, argmins)
    }
}

/// Gauss–Legendre `(node, weight)` pairs (no density) for `∫_lo^hi`, 8
/// nodes on each of at least 8 panels, split at kinks and cuts, and graded
/// geometrically (ratio 4, down to 4⁻¹⁰ of the width) towards both ends of
/// the support, where a vanishing density makes `F/f` or `(1 − F)/f`
/// nearly singular just outside the binding interval.
pub fn graded_rule(lo: f64, hi: f64, kinks: &[f64], cuts: &[f64]) -> Vec<(f64, f64)> {
    let rule = GaussLegendre::new(NonZeroUsize::new(8).unwrap());
    let width = hi - lo;
    let mut extra: Vec<f64> = cuts.to_vec();
    for k in 1..=10 {
        let e = width * 0.25f64.powi(k);
        extra.push(lo + e);
        extra.push(hi - e);
    }
    let mut out = Vec::new();
    for w in panel_edges(lo, hi, kinks, &extra, 8).windows(2) {
        let (p, q) = (w[0], w[1]);
        for (x, wt) in rule.as_node_weight_pairs() {
            out.push((0.5 * (p + q) + 0.5 * (q - p) * x, 0.5 * (q - p) * wt));
        }
    }
    out
}

/// SplitMix64: a small deterministic generator for Monte Carlo draws.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// Uniform on the open interval (0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

/// A Monte Carlo estimate: mean and standard error of the mean.
#[derive(Clone, Copy, Debug)]
pub struct Estimate {
    pub mean: f64,
    pub se: f64,
}

/// Monte Carlo over `draws` type profiles (inverse-CDF sampling) of
/// efficiency `−Σ (Z_i + X_i)²/(2κ_i)` and of `Σ t̄_i(Z_i)` with the crate's
/// interim transfers.
pub fn monte_carlo(mech: &OptimalMechanism, draws: usize, seed: u64) -> (Estimate, Estimate) {
    let classes = trader_classes(mech);
    let market = mech.market();
    let mut rng = SplitMix(seed);
    let (mut sa, mut sa2, mut sr, mut sr2) = (0.0, 0.0, 0.0, 0.0);
    let mut types = vec![0.0; classes.len()];
    for _ in 0..draws {
        for (t, &k) in types.iter_mut().zip(&classes) {
            *t = market.classes()[k].distribution().quantile(rng.uniform());
        }
        let x = mech.allocation(&types).unwrap();
        let (mut a, mut r) = (0.0, 0.0);
        for (i, &k) in classes.iter().enumerate() {
            let kappa = market.classes()[k].kappa();
            a -= (types[i] + x[i]).powi(2) / (2.0 * kappa);
            r += mech.interim_transfer(k, types[i]).unwrap();
        }
        sa += a;
        sa2 += a * a;
        sr += r;
        sr2 += r * r;
    }
    let n = draws as f64;
    let est = |s: f64, s2: f64| {
        let mean = s / n;
        let var = (s2 / n - mean * mean).max(0.0) * n / (n - 1.0);
        Estimate {
            mean,
            se: (var / n).sqrt(),
        }
    };
    (est(sa, sa2), est(sr, sr2))
}
