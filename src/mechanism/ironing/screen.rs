//! Whether a class's ironing bears on its virtual value at its level.
//!
//! The virtual value is `L̂` below the binding interval, `η` on it and `Ĥ`
//! above it, so the ironing matters only on `[lo, Z_a]` and `[Z_b, hi]`,
//! and often not even there: a class whose pools all lie inside its
//! binding interval has the virtual value of its raw types.
//!
//! **The lower side.** Let `G` be the cumulative curve of `L` in the
//! quantile `u` (see the module above), and suppose the raw `L` rises on
//! `[lo, p)`, reaches `η` before `p`, at `z*`, and stays at or above `η`
//! on `[z*, hi]`. Then `G(u) − η u` falls, convexly, up to `u* = F(z*)` and
//! does not fall after it, so the line of slope `η` through `G(u*)` lies
//! below `G` everywhere, and every tangent of `G` below `u*` (slope `< η`)
//! lies below that line beyond `u*`: the greatest convex minorant is `G`
//! itself on `[0, u*]`, whose slope reaches `η` first at `u*`. So
//! `L̂ = L` on `[lo, z*]` and `Z_a = z*`, the raw type's crossing, whatever
//! pools `L̂` has above it. That `L ≥ η` beyond `p` comes from a bound:
//! `L(z) = z + β F/f ≥ z`, so every type above `η` has it, and on a mesh
//! cell below `η` the density's bounds give a floor under `L`. Mirrored,
//! `H ≤ z`, and `Ĥ = H` on `[Z_b, hi]` when `H` rises on `(q, hi]`, falls
//! below `η` after `q` and stays at or below `η` on `[lo, Z_b]`.
//!
//! **The screen.** A [`Screen`] finds, on the class's first mesh (no
//! refinement), how far from each end the raw types are shown to rise
//! (cells certified one after another, no fall at a kink) and the range of
//! levels at which the conditions above hold. Until the levels are known,
//! the class's types are the raw ones up to those points and constant
//! beyond ([`Screen::types`]): monotone, so the level equations can be
//! solved with them. At the level found, [`Screen::holds`] says whether
//! those types are exact below `Z_a` and above `Z_b`; if they are, the
//! class's pools, all inside its binding interval, are never computed. If
//! not, the class is ironed in full on the same mesh ([`Screen::iron`]) and
//! the levels are solved again.

use super::mesh::Mesh;
use super::{
    lower, lower_mass_integral, seed_falls_at_kinks, upper, upper_mass_integral, Pool, Side,
    SideType, VirtualTypes,
};
use crate::distribution::EndowmentDistribution;
use crate::mechanism::IroningError;
use crate::numerics::Tolerances;

/// How far a class's raw types are shown to rise from the support's ends
/// at one weight, with the mesh that showed it.
pub(crate) struct Screen<'a> {
    mesh: Mesh<'a>,
    beta: f64,
    /// `L` rises on `[lo, lower_to)`, and reaches `lower_end` there (its
    /// limit from below).
    lower_to: f64,
    lower_end: f64,
    /// `H` rises on `[upper_from, hi]`, from `upper_start`.
    upper_from: f64,
    upper_start: f64,
    /// The levels at which the screen's types are exact below `Z_a` and
    /// above `Z_b` (see [`Screen::holds`]).
    levels: (f64, f64),
}

impl<'a> Screen<'a> {
    /// Walks the first mesh of `d` from each end at weight `beta`.
    pub fn new(d: &'a dyn EndowmentDistribution, beta: f64, tol: &Tolerances) -> Self {
        let mesh = Mesh::new(d);
        let lower_to = walk(&mesh, beta, Side::Lower, tol);
        let upper_from = walk(&mesh, beta, Side::Upper, tol);
        let (lo, hi) = d.support();
        let lower_end = lower(d, beta, lower_to.next_down().max(lo));
        let upper_start = upper(d, beta, upper_from);
        // Beyond `lower_to`, `L ≥ η` on a cell `[a, b]` wherever `η ≤ a` (as
        // `L ≥ z`) or `η` is at most the cell's lower bound on `L` (a NaN
        // bound, where the density may vanish, counts as none); and `L`
        // reaches `η` before `lower_to` where `η ≤ L(lower_to⁻)`. Mirrored
        // for `H`. Where a type is shown to rise on the whole support it
        // is exact at every level.
        let most = if lower_to >= hi {
            f64::INFINITY
        } else if lower_end.is_nan() {
            f64::NAN
        } else {
            (0..mesh.cells())
                .filter(|&k| mesh.nodes[k + 1].z > lower_to)
                .map(|k| mesh.nodes[k].z.max(mesh.type_range(Side::Lower, beta, k).0))
                .fold(lower_end, f64::min)
        };
        let least = if upper_from <= lo {
            f64::NEG_INFINITY
        } else if upper_start.is_nan() {
            f64::NAN
        } else {
            (0..mesh.cells())
                .filter(|&k| mesh.nodes[k].z < upper_from)
                .map(|k| {
                    mesh.nodes[k + 1]
                        .z
                        .min(mesh.type_range(Side::Upper, beta, k).1)
                })
                .fold(upper_start, f64::max)
        };
        Self {
            mesh,
            beta,
            lower_to,
            lower_end,
            upper_from,
            upper_start,
            levels: (least, most),
        }
    }

    /// The types to solve the levels with until they are known: raw on the
    /// stretches shown to rise, constant beyond (at the raw type's value
    /// where the stretch ends, so monotone).
    pub fn types(&self) -> VirtualTypes {
        let d = self.mesh.distribution();
        let (lo, hi) = d.support();
        let beta = self.beta;
        let mut types = VirtualTypes::regular(d, beta);
        if self.lower_to < hi {
            types.lower.push(Pool {
                a: self.lower_to,
                b: hi,
                value: self.lower_end,
            });
        }
        if self.upper_from > lo {
            types.upper.push(Pool {
                a: lo,
                b: self.upper_from,
                value: self.upper_start,
            });
        }
        types.screened = !types.is_regular();
        if types.screened {
            types.samples = self.mesh.samples(beta);
        }
        types
    }

    /// Whether [`Screen::types`] give the exact virtual value at level
    /// `eta`: whether `eta` lies in the range of levels at which the
    /// conditions of the module's argument hold on both sides.
    pub fn holds(&self, eta: f64) -> bool {
        self.levels.0 <= eta && eta <= self.levels.1
    }

    /// The full ironing, starting from the screen's mesh.
    pub fn iron(&self, tol: &Tolerances) -> Result<VirtualTypes, IroningError> {
        VirtualTypes::on_mesh(self.mesh.clone(), self.beta, tol)
    }
}

/// The point up to which (for `L`, from `lo`) or from which (for `H`, up to
/// `hi`) the raw type is shown to rise: cells certified one after another
/// from the side's end, and no fall at a kink among them.
fn walk(mesh: &Mesh<'_>, beta: f64, side: Side, tol: &Tolerances) -> f64 {
    let d = mesh.distribution();
    let (lo, hi) = d.support();
    let cells = mesh.cells();
    let rises = |k: &usize| mesh.certified_by_log_slope(side, beta, *k);
    let reach = match side {
        Side::Lower => (0..cells)
            .find(|k| !rises(k))
            .map_or(hi, |k| mesh.nodes[k].z),
        Side::Upper => (0..cells)
            .rev()
            .find(|k| !rises(k))
            .map_or(lo, |k| mesh.nodes[k + 1].z),
    };
    // A fall at a kink the jump test could not see (see
    // `seed_falls_at_kinks`) ends the stretch there.
    let mut falls = Vec::new();
    seed_falls_at_kinks(&mut falls, mesh, &SideType::new(d, beta, side, tol));
    match side {
        Side::Lower => falls.iter().map(|p| p.a).fold(reach, f64::min),
        Side::Upper => falls.iter().map(|p| p.a).fold(reach, f64::max),
    }
}

impl VirtualTypes {
    /// What the screen's constant stretches add to `E[V]` beyond what the
    /// raw types would, given the binding interval `[za, zb]`: on each part
    /// of a pool of `L̂` below `za` or of `Ĥ` above `zb`, the pool's value
    /// times its mass less the integral of the raw type against the
    /// density. A true pool's level is its raw type's mean, so this is 0
    /// for ironed types (which never call it); a screen's constants are not
    /// means, and without it the mean of `V` jumped where the binding
    /// interval's end crossed a constant stretch (the level equations then
    /// had no root).
    pub(crate) fn screen_correction(&self, d: &dyn EndowmentDistribution, za: f64, zb: f64) -> f64 {
        let beta = self.beta;
        let raw = |side: Side, p: f64, q: f64| match side {
            Side::Lower => lower_mass_integral(d, beta, q) - lower_mass_integral(d, beta, p),
            Side::Upper => upper_mass_integral(d, beta, p) - upper_mass_integral(d, beta, q),
        };
        let part = |side: Side, pool: &Pool, p: f64, q: f64| {
            if q > p {
                pool.value * (d.cdf(q) - d.cdf(p)) - raw(side, p, q)
            } else {
                0.0
            }
        };
        let below: f64 = self
            .lower
            .iter()
            .map(|pool| part(Side::Lower, pool, pool.a, pool.b.min(za)))
            .sum();
        let above: f64 = self
            .upper
            .iter()
            .map(|pool| part(Side::Upper, pool, pool.a.max(zb), pool.b))
            .sum();
        below + above
    }
}

#[cfg(test)]
mod tests {
    use super::super::two_modes;
    use super::*;
    use crate::distribution::{Mixture, TruncatedNormal, Uniform};
    use crate::mechanism::virtual_value::at_eta;
    use crate::numerics::RootMethod;
    use std::sync::Arc;

    /// Two narrow modes, each side ironed over the valley. At every level
    /// where the screen holds, its types give the binding interval and the
    /// mean of `V` of the full ironing (hull and polish, a different
    /// algorithm), and the full ironing's pools all lie inside that
    /// interval; the screen holds over a range of levels around the
    /// valley, not at a point.
    #[test]
    fn where_the_screen_holds_its_types_are_the_full_ironings() {
        let tol = Tolerances::DEFAULT;
        for mu in [-0.3, 0.0, 0.2] {
            let d = two_modes(mu);
            let screen = Screen::new(&d, 1.0, &tol);
            let (least, most) = screen.levels;
            assert!(most - least > 0.5, "mu {mu}: levels {least}..{most}");
            let types = screen.types();
            let full = VirtualTypes::new(&d, 1.0, &tol).unwrap();
            assert!(!full.lower.is_empty() && !full.upper.is_empty());
            for k in 0..=20 {
                let eta = least + (most - least) * k as f64 / 20.0;
                assert!(screen.holds(eta));
                let at = |t: &VirtualTypes| {
                    at_eta(&d, t, eta, (0.0, 0.0), 1e-12, RootMethod::Newton).unwrap()
                };
                let (s, f) = (at(&types), at(&full));
                let near = |x: f64, y: f64| (x - y).abs() <= 1e-11 * (1.0 + y.abs());
                assert!(
                    near(s.za, f.za) && near(s.zb, f.zb) && near(s.mean, f.mean),
                    "mu {mu}, eta {eta}: screened {s:?}, full {f:?}"
                );
                assert!(full.lower.iter().all(|p| p.a > f.za), "{:?}", full.lower);
                assert!(full.upper.iter().all(|p| p.b < f.zb), "{:?}", full.upper);
            }
        }
    }

    /// A narrow cluster high in a uniform population: the upper type falls
    /// across it, and at a level near the middle (where such a class's
    /// level lies) the full ironing pools it above the binding interval,
    /// where it changes `V`. The screen must not hold there.
    #[test]
    fn the_screen_fails_where_a_pool_changes_the_virtual_value() {
        let tol = Tolerances::DEFAULT;
        let d = Mixture::new(vec![
            (
                0.998,
                Arc::new(Uniform::new(-1.0, 1.0).unwrap()) as Arc<dyn EndowmentDistribution>,
            ),
            (
                0.002,
                Arc::new(TruncatedNormal::new(0.7, 2e-4, -1.0, 1.0).unwrap()),
            ),
        ])
        .unwrap();
        let screen = Screen::new(&d, 1.0, &tol);
        let full = VirtualTypes::new(&d, 1.0, &tol).unwrap();
        let at = at_eta(&d, &full, 0.0, (0.0, 0.0), 1e-12, RootMethod::Newton).unwrap();
        assert!(full
            .upper
            .iter()
            .any(|p| p.a > at.zb && p.a < 0.7 && 0.7 < p.b));
        assert!(!screen.holds(0.0));
    }

    /// The screen's constant stretches are not means of the raw types, so
    /// the mean of `V` carries a correction where the binding interval's
    /// end reaches one. Without it the mean jumped by the stretch's mass
    /// times the gap between constant and mean where the end crossed it,
    /// and the level equations had no root (a property test's market).
    /// With it the mean is continuous across both stretches' starts.
    #[test]
    fn the_mean_of_v_is_continuous_where_a_constant_stretch_starts() {
        let tol = Tolerances::DEFAULT;
        let d = two_modes(0.0);
        let screen = Screen::new(&d, 1.0, &tol);
        let types = screen.types();
        assert!(!types.lower.is_empty() && !types.upper.is_empty());
        let mean = |eta: f64| {
            at_eta(&d, &types, eta, (0.0, 0.0), 1e-13, RootMethod::Newton)
                .unwrap()
                .mean
        };
        // `m' = F(Z_b) − F(Z_a) ≤ 1`, so across `2h` a continuous mean moves
        // by at most `2h`; the correction itself, past each start, is far
        // larger.
        for level in [screen.lower_end, screen.upper_start] {
            let h = 1e-9 * level.abs().max(1.0);
            let jump = (mean(level + h) - mean(level - h)).abs();
            assert!(
                jump <= 2.0 * h * (1.0 + 1e-6),
                "level {level}: jump {jump:e}"
            );
            let beyond = if level == screen.lower_end {
                level + h
            } else {
                level - h
            };
            let at = at_eta(&d, &types, beyond, (0.0, 0.0), 1e-13, RootMethod::Newton).unwrap();
            let correction = types.screen_correction(&d, at.za, at.zb);
            assert!(correction.abs() > 1e-3, "level {level}: {correction:e}");
        }
    }
}
