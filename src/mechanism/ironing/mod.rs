//! The virtual types of one class at one weight, ironed where the paper's
//! Condition 2 fails.
//!
//! With the weight `β`, a trader's lower and upper virtual types are
//!
//! * `L(z) = z + β F(z)/f(z)`, used below the binding interval,
//! * `H(z) = z − β (1 − F(z))/f(z)`, used above it.
//!
//! Under Condition 2 both are non-decreasing and the optimal virtual value is
//! the clamp `median(H, η, L)`. When a density has dips, several modes or a
//! gap they are not, the clamp is not incentive compatible, and the optimum
//! clamps the *ironed* types instead, `median(Ĥ, η, L̂)` (`docs/theory.md`,
//! "Ironing"). The ironed type `ĝ` of a raw type `g` is the slope, in the
//! quantile `u = F(z)`, of the greatest convex minorant (GCM) of
//!
//! ```text
//! G(u) = ∫_0^u g(F⁻¹(t)) dt = ∫_lo^z g f,
//! ```
//!
//! which is a closed form in the distribution's own functions (the partial
//! moment `M` and the CDF): `∫_lo^z L f = M(z) + β ∫_lo^z F` and
//! `∫_lo^z H f = M(z) − β ∫_lo^z (1 − F)`. Neither `L̂` nor `Ĥ` depends on
//! `η`, so both are built once per class and weight ([`VirtualTypes::new`]).
//!
//! How, in four steps, each in its own file:
//!
//! 1. **Mesh** (`mesh.rs`): the support's ends, the density's kinks and a
//!    few evenly spaced points, with bounds on the density and its slope in
//!    every cell ([`EndowmentDistribution::density_bounds`]). A cell where the
//!    bounds prove the raw type cannot decrease is *certified*; a class
//!    whose cells are all certified is regular at this weight and keeps its
//!    raw types.
//! 2. **Hull** (`hull.rs`): the lower convex hull of the points
//!    `(F(z_k), G(z_k))` by the monotone chain. Its slopes are
//!    non-decreasing by construction. In every cell that is not certified,
//!    the bounds limit how far the true curve can fall below the hull
//!    (`hull::deficit`); a cell where that exceeds the tolerance `τ` is split
//!    and the hull rebuilt, until none does. Since the GCM is 1-Lipschitz in
//!    the sup norm, the hull of the final points is then within `τ` of the
//!    true GCM: this is the error bound [`VirtualTypes::bound`] reports.
//! 3. **Polish** (`polish.rs`): each hull edge that spans more than one cell
//!    is a pool; its ends are made exact as the upward crossings of `g = m`
//!    next to its vertices (or further out, where the hull could not
//!    resolve the curve) and its level `m` as the pool's mean
//!    (a fixed point that converges quadratically).
//! 4. **Queries** (`queries.rs`): values, generalised inverses and
//!    integrals of the ironed types.
//!
//! Before any of this, a solve **screens** each class (`screen.rs`): the
//! virtual value reads `L̂` only below the binding interval and `Ĥ` only
//! above it, and on the first mesh alone the screen finds the levels at
//! which the raw types are exact there, whatever pools lie inside. A class
//! whose level is among them is not ironed at all.
//!
//! A stretch of the support without probability is a jump of `F⁻¹`: its
//! points share one `u`, the hull keeps the lowest, and the stretch ends up
//! inside a pool. There `Ĥ` takes the level of the pool to its left and `L̂`
//! the level of the pool to its right, which is what the objective prefers
//! for types no trader has.

mod hull;
mod mesh;
mod polish;
mod queries;
mod raw;
mod screen;

#[cfg(test)]
pub(crate) use self::raw::lower_inverse;
use self::raw::RatioTable;
pub(crate) use self::raw::{lower, lower_mass_integral, upper, upper_mass_integral};
pub(crate) use self::screen::Screen;

use self::hull::{deficit, lower_hull, Cell, Profile};
use self::mesh::Mesh;
use self::polish::SideType;
use crate::distribution::{integral_breaks, EndowmentDistribution};
use crate::numerics::{Tolerances, IRONING_TOLERANCE};

/// The most points the mesh may grow to. The splitting stops there and the
/// bound it has reached is reported; no market the crate's tests or random
/// searches build comes near it (they stay below a few thousand).
const MAX_NODES: usize = 1 << 15;

/// Width, relative to the type scale, below which a cell that is not
/// certified and lies alone under a hull edge is pooled at its chord
/// instead of split further: a millionth, far below any feature a market's
/// answer depends on, and about twenty halvings from the first mesh.
const STAIRCASE_WIDTH: f64 = 1e-6;

/// Which virtual type (public as [`VirtualTypeSide`], since an
/// [`IroningError`] names it).
pub(crate) use crate::mechanism::VirtualTypeSide as Side;

/// A maximal interval `[a, b]` on which an ironed virtual type is constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pool {
    pub a: f64,
    pub b: f64,
    /// The constant: the `f`-weighted mean of the raw virtual type on `[a, b]`.
    pub value: f64,
}

use crate::mechanism::IroningError;

/// The ironed lower and upper virtual types `L̂` and `Ĥ` of one class at one
/// weight `β`: the weight and, per side, the pools (empty for a regular
/// class, whose types are the raw `L` and `H`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VirtualTypes {
    pub beta: f64,
    pub lower: Vec<Pool>,
    pub upper: Vec<Pool>,
    /// `L(hi)` and `H(lo)` (the raw types at the far ends, where the
    /// inverses saturate), computed once rather than at every inversion.
    ends: (f64, f64),
    /// A bound on the sup-norm distance between the cumulative curves `G`
    /// of the computed and the exact ironed types (both sides).
    bound: f64,
    /// What the ironing's own quadratures that stopped short of `quad_rel`
    /// (a mesh cell's direct integrals, a pool's directly integrated level)
    /// can move the cumulative curves, and so the moments, by, relative
    /// to the type scale; 0 where all met it (see [`VirtualTypes::quad_error`]).
    quad_error: f64,
    /// The hazard ratios' integrals over the pieces between the density's
    /// [`integral_breaks`], per side (computed at the first query that
    /// integrates a raw stretch of that side).
    tables: Tables,
    /// Whether the types are a [`Screen`]'s: exact only below `Z_a` and
    /// above `Z_b` at the level the screen held at, with a constant in
    /// place of whatever pools the types have inside the binding interval.
    screened: bool,
    /// The raw types at the nodes of the mesh the types came from, where
    /// an inversion of a stretch between pools starts its search (empty
    /// for a class without pools).
    samples: Samples,
}

/// The raw types at one point, from the mesh's closed forms there.
#[derive(Debug, Clone, Copy)]
struct Sample {
    z: f64,
    lower: f64,
    upper: f64,
}

/// The raw types at a mesh's nodes, in increasing `z` (see
/// [`VirtualTypes::start`]). They only choose where a root search starts,
/// so two sets are equal whatever they hold, as [`Tables`] are.
#[derive(Debug, Clone, Default)]
struct Samples(std::sync::Arc<[Sample]>);

impl PartialEq for Samples {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The [`RatioTable`]s of a class's two sides, built at the first integral
/// of a raw stretch of that side: a solve that is never queried for one
/// (every trial of a budget search, every class of a large market) does not
/// pay for them. Equal whatever is built, since they follow from the
/// distribution and the weight.
#[derive(Debug, Clone, Default)]
struct Tables {
    lower: std::sync::OnceLock<RatioTable>,
    upper: std::sync::OnceLock<RatioTable>,
    /// Per side, the stretches between pools where the raw type applies,
    /// with the raw type at their ends (see [`Gap`]), built at the first
    /// inversion of that side.
    lower_gaps: std::sync::OnceLock<Vec<Gap>>,
    upper_gaps: std::sync::OnceLock<Vec<Gap>>,
}

/// A stretch `[p, q]` between pools (or a pool and an end of the support)
/// on which an ironed type is the raw one, with the raw type at `p` and at
/// `q`. An inversion walks the stretches in order and decides from these
/// alone whether the level is crossed in one: the values are fixed by the
/// class and the weight, so they are computed once, not at every
/// inversion of a level search (two raw evaluations per stretch each time,
/// a tenth of an ironed mixture's solve).
#[derive(Debug, Clone, Copy)]
struct Gap {
    p: f64,
    q: f64,
    at_p: f64,
    at_q: f64,
}

impl PartialEq for Tables {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The two modes of the ironing bench (`σ = 0.15` at `mu ∓ 0.5`, on
/// `[−1, 1]`): a valley between them that both sides pool over. Shared by
/// the submodules' tests.
#[cfg(test)]
fn two_modes(mu: f64) -> crate::distribution::Mixture {
    use crate::distribution::{Mixture, TruncatedNormal};
    let part = |m: f64| -> std::sync::Arc<dyn EndowmentDistribution> {
        std::sync::Arc::new(TruncatedNormal::new(m, 0.15, -1.0, 1.0).unwrap())
    };
    Mixture::new(vec![(1.0, part(mu - 0.5)), (1.0, part(mu + 0.5))]).unwrap()
}

/// Whether a value `v` of the `side` type has reached the level `eta`:
/// `Z_a = inf {L̂ ≥ η}` and `Z_b = sup {Ĥ ≤ η} = inf {Ĥ > η}`.
fn reaches(side: Side, v: f64, eta: f64) -> bool {
    match side {
        Side::Lower => v >= eta,
        Side::Upper => v > eta,
    }
}

impl VirtualTypes {
    /// The raw types, nothing ironed: right for a regular class.
    pub fn regular(d: &dyn EndowmentDistribution, beta: f64) -> Self {
        let (lo, hi) = d.support();
        Self {
            beta,
            lower: Vec::new(),
            upper: Vec::new(),
            ends: (lower(d, beta, hi), upper(d, beta, lo)),
            bound: 0.0,
            quad_error: 0.0,
            tables: Tables::default(),
            screened: false,
            samples: Samples::default(),
        }
    }

    /// The [`RatioTable`] of `side` for `d` (the class's distribution).
    fn table(&self, d: &dyn EndowmentDistribution, side: Side) -> &RatioTable {
        let cell = match side {
            Side::Lower => &self.tables.lower,
            Side::Upper => &self.tables.upper,
        };
        cell.get_or_init(|| RatioTable::new(d, self.beta, side, integral_breaks(d)))
    }

    /// Irons `L` and `H` of distribution `d` at weight `beta` where they
    /// are not non-decreasing.
    pub fn new(
        d: &dyn EndowmentDistribution,
        beta: f64,
        tol: &Tolerances,
    ) -> Result<Self, IroningError> {
        if d.log_concave() {
            return Ok(Self::regular(d, beta));
        }
        Self::on_mesh(Mesh::new(d), beta, tol)
    }

    /// [`VirtualTypes::new`] from a first mesh of the class's distribution
    /// (which the ironing refines).
    fn on_mesh(mut mesh: Mesh<'_>, beta: f64, tol: &Tolerances) -> Result<Self, IroningError> {
        let d = mesh.distribution();
        let (lo, hi) = d.support();
        let side = |side: Side| SideType::new(d, beta, side, tol);
        let tau = IRONING_TOLERANCE * (hi - lo);
        let (lower_side, upper_side) = (side(Side::Lower), side(Side::Upper));
        let (lower_pools, lower_bound) = iron(&mut mesh, &lower_side, tau)?;
        let (upper_pools, upper_bound) = iron(&mut mesh, &upper_side, tau)?;
        // Quadratures of the ironing short of `quad_rel`: what they move
        // the cumulative curves by, summed, relative to the type scale.
        let moved = mesh.shortfall + lower_side.shortfall.get() + upper_side.shortfall.get();
        // Only the stretches between pools start their searches from the
        // samples; raw types throughout are inverted from the guess.
        let samples = if lower_pools.is_empty() && upper_pools.is_empty() {
            Samples::default()
        } else {
            mesh.samples(beta)
        };
        Ok(Self {
            beta,
            ends: (lower(d, beta, hi), upper(d, beta, lo)),
            lower: lower_pools,
            upper: upper_pools,
            bound: lower_bound.max(upper_bound),
            quad_error: moved / lower_side.scale,
            tables: Tables::default(),
            screened: false,
            samples,
        })
    }

    /// Whether these are a [`Screen`]'s types, exact only outside the
    /// binding interval (see [`Screen::holds`]).
    pub fn is_screened(&self) -> bool {
        self.screened
    }

    /// Whether nothing is ironed: both types are the raw ones.
    pub fn is_regular(&self) -> bool {
        self.lower.is_empty() && self.upper.is_empty()
    }

    /// A bound on how far the cumulative curve `G` of either computed ironed
    /// type can be from the exact one, in the sup norm over the quantile
    /// (units of type × probability; 0 for a class found regular).
    pub fn bound(&self) -> f64 {
        self.bound
    }

    /// The relative accuracy the ironing's quadratures reached, as it
    /// bears on the moments: 0 when every one met `quad_rel`, else the
    /// summed bounds on what the short ones move the cumulative curves by,
    /// over the type scale. The solve folds it into
    /// `SolveStatus::quadrature_error`.
    pub fn quad_error(&self) -> f64 {
        self.quad_error
    }
}

/// The pools of one side, and the bound reached: refines `mesh` until in
/// every cell the bounds either certify the raw type or limit the curve's
/// dip below the hull to `tau` per unit of probability (or to what rounding
/// of the cumulative integrals can resolve), then assembles the pools.
fn iron(mesh: &mut Mesh<'_>, t: &SideType<'_>, tau: f64) -> Result<(Vec<Pool>, f64), IroningError> {
    loop {
        let open: Vec<usize> = (0..mesh.cells())
            .filter(|&k| !mesh.certified(t.side, t.beta, k))
            .collect();
        if open.is_empty() {
            return certified_everywhere(mesh, t);
        }
        let p = profile(mesh, t);
        let noise = 16.0 * f64::EPSILON * p.size();
        if let Some(k) = p.first_non_finite() {
            return Err(IroningError::NonFinite {
                side: t.side,
                z: mesh.nodes[k].z,
            });
        }
        // Across a gap the upper type's curve falls (by β ∫ (1 − F)) and the
        // lower type's rises; at β = 0 it is flat, and the tie goes the same
        // way: `Ĥ` pools a gap with the types below it, `L̂` with those above
        // (the limit of β → 0⁺).
        let hull = lower_hull(&p, t.side == Side::Upper);
        let mut split = Vec::new();
        let mut settled = Vec::new();
        let mut bound = 0.0_f64;
        let mut e = 0;
        for &k in &open {
            // The hull edge over cell k, if the cell has any mass under one.
            while e + 1 < hull.len() && hull[e + 1] <= k {
                e += 1;
            }
            if e + 1 >= hull.len() || hull[e] > k {
                continue;
            }
            let (i, j) = (hull[e], hull[e + 1]);
            // A cell that is a hull edge of its own, between two more such
            // edges (or the support's ends), where the bounds on `f'/f`
            // prove the raw type rises: nothing to pool, however the
            // density's own bounds failed (a far tail, where the density
            // changes by large factors across the cell). Beside a pool the
            // cell is refined as before, since a pool's end may lie inside.
            let single = |edge: usize| edge + 1 >= hull.len() || hull[edge + 1] == hull[edge] + 1;
            if i == k
                && j == k + 1
                && (e == 0 || single(e - 1))
                && single(e + 1)
                && mesh.certified_by_log_slope(t.side, t.beta, k)
            {
                settled.push(k);
                continue;
            }
            let slope = p.slope(i, j);
            let (a, b) = (&mesh.nodes[k], &mesh.nodes[k + 1]);
            let (low, high) = mesh.type_range(t.side, t.beta, k);
            let (tail, tail_min) = match t.side {
                Side::Lower => (b.cdf, a.cdf),
                Side::Upper => (a.sf, b.sf),
            };
            let du = p.span(k, k + 1).0;
            let cell = Cell {
                du,
                above: (p.above(i, slope, k), p.above(i, slope, k + 1)),
                slope,
                range: (low - t.centre, high - t.centre),
                drift: (a.z - t.centre - slope)
                    .abs()
                    .max((b.z - t.centre - slope).abs())
                    * du
                    + t.beta * tail * (b.z - a.z),
            };
            let dk = deficit(&cell);
            // What the cell's own numbers can resolve.
            let resolvable = dk
                > 16.0
                    * f64::EPSILON
                    * (cell.above.0.abs()
                        + cell.above.1.abs()
                        + (slope * du).abs()
                        + p.span(k, k + 1).1.abs());
            // A cell that is a hull edge of its own would be pooled at its
            // chord's slope: it is split until certified or narrow, however
            // little probability it holds, so that a pool is never made of
            // a cell whose bounds were merely loose.
            let alone = i == k && j == k + 1 && b.z - a.z > STAIRCASE_WIDTH * t.scale;
            // Per unit of probability, except in a cell deep inside a pool:
            // where the raw type is more than `(hi − lo)/RESOLVED` from the
            // type itself on the whole cell, `β tail/f_max` (see there).
            let deep = t.beta * tail_min > t.width / RESOLVED * mesh.bounds[k].max;
            let floor = if deep {
                RESOLVED * t.beta * (b.z - a.z) / t.width
            } else {
                0.0
            };
            if ((dk > tau * du.max(floor) && resolvable) || alone)
                && mesh.splittable(k)
                && mesh.nodes.len() + split.len() < MAX_NODES
            {
                split.push(k);
            } else {
                bound = bound.max(dk);
            }
        }
        if split.is_empty() {
            let open: Vec<usize> = open
                .into_iter()
                .filter(|k| settled.binary_search(k).is_err())
                .collect();
            if open.is_empty() {
                return certified_everywhere(mesh, t).map(|(pools, _)| (pools, bound));
            }
            let pools = assemble(mesh, t, (&p, noise), &hull, &open).map_err(|source| {
                IroningError::PoolEnd {
                    side: t.side,
                    source,
                }
            })?;
            return Ok((pools, bound));
        }
        mesh.split(&split);
    }
}

/// The pools of a side whose every cell is certified: none, but at a kink
/// where the raw type falls over probability the jump test took for a
/// steep fall to zero.
fn certified_everywhere(
    mesh: &Mesh<'_>,
    t: &SideType<'_>,
) -> Result<(Vec<Pool>, f64), IroningError> {
    let mut pools = Vec::new();
    seed_falls_at_kinks(&mut pools, mesh, t);
    if pools.is_empty() {
        return Ok((pools, 0.0));
    }
    let z: Vec<f64> = mesh.nodes.iter().map(|n| n.z).collect();
    let pools = join(pools, t, &z).map_err(|source| IroningError::PoolEnd {
        side: t.side,
        source,
    })?;
    Ok((pools, 0.0))
}

/// How deep inside a pool a cell must lie to be refined for its density
/// rather than per unit of its own probability: a cell on which the raw
/// type is more than `(hi − lo)/RESOLVED` from the type itself (`β tail /
/// f_max` with `tail` the smaller of `F` or `1 − F` on the cell for `L` or
/// `H`) is split while its deficit exceeds `τ max(Δu, RESOLVED β Δz/(hi −
/// lo))`, not `τ Δu`. Such a cell lies deep inside a pool whose ends and
/// level are set where the density is near `β`, and resolving its own dip
/// per unit of its probability changes nothing; the error bound on `G` is
/// unchanged. A floor for every cell of low density was tried and is
/// wrong: at a support's end `F/f` (or `(1 − F)/f`) stays moderate however
/// small the density, the raw type there can dip by a visible amount
/// (`ironing_search ordinary 300 2`, market 15), and without refinement the
/// interim allocation rose there (five markets in 1 100 of `ordinary 20000
/// 7`). A floor not scaled by `β` is wrong too: a budget that breaks even
/// at `β ≈ 1e-57` (two tight clusters) puts the pool ends where the
/// density is near 1e-57.
const RESOLVED: f64 = 1e-12;

/// Probability below which a cell counts as holding none: the cell is a gap
/// (a jump of `F⁻¹`, see the module documentation), and its types are pooled
/// with their neighbours as in a stretch of zero density. Just above the
/// square root of the smallest normal double (1.5e-154): below it, the
/// products and ratios the ironing takes of such masses and of the
/// densities that give them (the hull's slopes `Δc/Δu`, the raw types'
/// `F/f` and `(1 − F)/f` and their slopes, the squares in the welfare
/// moments) underflow or overflow. Dropping the mass moves the curve `G`
/// by at most `(hi − lo)` times it: nothing any tolerance can see. (A
/// larger threshold, 1e-20, was tried: the set of empty cells then
/// depends on how far the mesh was refined, which differs between weights
/// and between a market and its reflection, and the revenue jumped with
/// it; the property tests found both.)
const EMPTY_MASS: f64 = 1e-150;

/// Relative accuracy asked of the curve's increment over one cell. Where
/// the closed forms' rounding, divided by the cell's mass, would exceed this
/// (relative to the type scale), the cell is integrated directly.
const INCREMENT_REL: f64 = 1e-9;

/// The curve at the mesh's nodes: `u_k` and `G_k = ∫_lo^{z_k} (g − centre) f`
/// summed cell by cell from each cell's increments. An increment comes from
/// the closed forms where they resolve it and is integrated directly where
/// the cell holds too little mass for them: an increment far below the
/// curve's size then adds nothing, rather than rounding noise that a hull
/// would read as a steep slope.
fn profile(mesh: &mut Mesh<'_>, t: &SideType<'_>) -> Profile {
    mesh.fill_moments();
    let n = mesh.nodes.len();
    let (mut du_all, mut dc_all) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut dt_all = Vec::with_capacity(n);
    let mut closed_prev = t.cumulative(&mesh.nodes[0]);
    for k in 0..n - 1 {
        let (a, b) = (mesh.nodes[k], mesh.nodes[k + 1]);
        let closed = t.cumulative(&b);
        // The mass from the nearer tail keeps its relative accuracy there.
        let (mut du, tail) = if a.cdf <= 0.5 {
            (b.cdf - a.cdf, a.cdf.max(b.cdf))
        } else {
            (a.sf - b.sf, a.sf.max(b.sf))
        };
        let mut dc = closed - closed_prev;
        let rounding = 16.0 * f64::EPSILON * (t.magnitude(&a) + t.magnitude(&b));
        let resolved = rounding <= INCREMENT_REL * t.scale * du
            && 4.0 * f64::EPSILON * tail <= INCREMENT_REL * du;
        if !resolved {
            let [mass, lower, upper] = mesh.direct(k, t.beta, t.centre);
            du = mass;
            dc = match t.side {
                Side::Lower => lower,
                Side::Upper => upper,
            };
        }
        // Only where the side's raw type is extreme on the whole cell, more
        // than `(hi − lo)/RESOLVED` from the type itself: the cell then lies
        // deep inside a pool, and its mass, beside its rent `β ∫ tail`,
        // cannot move the pool's level. Where it is not (a far tail at the
        // type's own end of the support, where `F/f` or `(1 − F)/f` stays
        // moderate however small the density, or a weight so small that
        // even a mass below `EMPTY_MASS` outweighs the rent) the cell keeps
        // its mass: `ironing_search ordinary 20000 7`, market 105 (a far
        // tail at the lower end taken as a gap of `L`: revenue −2e68), and
        // `ordinary 20000 11`, market 111 (at `β = 1e-305` a stretch of
        // density 1e-224 taken as a gap of `H`, pooled with the types below
        // it, which moved the information rent of the types above by
        // 1e-3 and made revenue jump at `β = 0⁺`).
        let tail_min = match t.side {
            Side::Lower => a.cdf,
            Side::Upper => b.sf,
        };
        let deep = t.beta * tail_min > t.width / RESOLVED * mesh.bounds[k].max;
        if du < EMPTY_MASS && deep {
            // Numerically no probability: a gap. Its increment is the limit
            // as its mass goes to 0, `β ∫ F` for `L` and `−β ∫ (1 − F)` for
            // `H` (with `F` constant across the cell to within its mass, the
            // trapezoid is exact to `β Δz EMPTY_MASS`); the mass-weighted
            // types `∫ (z − c) f` go with the dropped mass.
            let dz = b.z - a.z;
            du = 0.0;
            dc = t.beta
                * dz
                * match t.side {
                    Side::Lower => 0.5 * (a.cdf + b.cdf),
                    Side::Upper => -0.5 * (a.sf + b.sf),
                };
        }
        du_all.push(du);
        dc_all.push(dc);
        // The weight's part of the increment, by the trapezoid (its sign
        // and size are what the hull's ties need).
        dt_all.push(
            (b.z - a.z)
                * match t.side {
                    Side::Lower => 0.5 * (a.cdf + b.cdf),
                    Side::Upper => -0.5 * (a.sf + b.sf),
                },
        );
        closed_prev = closed;
    }
    Profile::new(du_all, dc_all).with_weight_part(dt_all)
}

/// Extra rounds of joining beyond one per pool (see [`join`]).
const EXTRA_JOINS: usize = 4;

/// Settles `pool` with its ends free to move out into the raw stretches
/// `[p, pool.a)` and `(pool.b, q]` beside it, where the raw type rises: to
/// the exact pool whose ends are where the raw type crosses its level and
/// whose level is its mean ([`SideType::settle`]). Whether it changed in a
/// way its neighbours can feel; a level that moves by less than the
/// level's tolerance is kept, where the new one would only add rounding.
///
/// The level is solved, not stepped once per round: a step moves the ends
/// to the crossings of the old level and takes the mean, and where the
/// pool's mass grows fast with its level that overshoots; the ends, which
/// only ever move out, could not come back.
fn settle_pool(
    pool: &mut Pool,
    (p, q): (f64, f64),
    t: &SideType<'_>,
    z: &[f64],
) -> Result<bool, crate::numerics::RootError> {
    let (a0, b0) = (pool.a, pool.b);
    let ends = |m: f64| -> Result<(f64, f64), crate::numerics::RootError> {
        // The stretch's own end is the raw type just below the pool's
        // start: at the start itself the density is the one from the right,
        // which differs where it jumps there (and a jump up of the density,
        // a fall of `L`, hid a raw type above the level just before a pool:
        // `ironing_search ordinary 20000 71`, market 3276).
        let a = if a0 <= p || t.g(a0.next_down()) <= m {
            a0
        } else if t.g(p) > m {
            p
        } else {
            t.root(m, p, a0.next_down())?
        };
        let b = if q <= b0 || t.g(b0) >= m {
            b0
        } else if t.g(q) < m {
            q
        } else {
            t.root(m, b0, q)?
        };
        Ok((a, b))
    };
    let m = pool.value - t.centre;
    if ends(m)? == (a0, b0) {
        return Ok(false);
    }
    let (a, b, level) = t.settle(m, (a0, b0), z, ends)?;
    // The level can move with the ends back where they were: a pool whose
    // level was below the raw type just before it, extended down, settles
    // above that type again (`ordinary 20000 281`, market 50, where the
    // old level was kept and `V` fell by 2.7e-9 at the pool's start).
    let moved = (level - m).abs() > t.level_tolerance(m);
    // Another round is needed only where a level moved (neighbours may now
    // fall) or the pool reached a neighbour. An end creeping out by ulps,
    // where the raw type equals the level and the level's rounding moves
    // the crossing, changes nothing: counted as a change, it kept a join
    // running (a mixture of three normals in the property tests).
    let reached = (a <= p && a0 > p) || (b >= q && b0 < q);
    // The settled level and its ends are taken even where the level moved
    // by less than its tolerance: that tolerance is relative to the type
    // scale, and far from zero keeping the old level beside the new ends
    // left the raw type 1e-8 above the level just before the pool
    // (`harsh 3000 311`, market 1420).
    pool.a = a;
    pool.b = b;
    pool.value = level + t.centre;
    Ok(moved || reached)
}

/// Neighbouring pools whose levels fall, merged at their joint mean.
fn merge_falling(pools: Vec<Pool>, t: &SideType<'_>, z: &[f64]) -> Vec<Pool> {
    let mut merged: Vec<Pool> = Vec::with_capacity(pools.len());
    for p in pools {
        merged.push(p);
        while merged.len() >= 2 && merged[merged.len() - 1].value < merged[merged.len() - 2].value {
            let last = merged.pop().expect("two pools");
            let prev = merged.last_mut().expect("two pools");
            prev.b = last.b;
            // Without probability the mean can see, the joint pool is a
            // gap and keeps the earlier pool's level (the loop merges on
            // while the next one falls below it).
            if let Some(level) = t.level(prev.a, prev.b, z) {
                prev.value = level + t.centre;
            }
        }
    }
    merged
}

/// Where the raw type falls across a kink of the density outside every
/// pool (the density jumps there: down for `H`, up for `L`), a pool of no
/// width at the kink, at the raw type on the side of the jump where the
/// density is higher (before the kink for `H`, at it for `L`): steps 3
/// and 4 of [`assemble`] ([`join`]) then extend it to where the raw type crosses its
/// level and take its mean, the exact pool.
///
/// The hull finds such a fall wherever the cumulative curve resolves the
/// probability it holds. Where it does not, the probability is below the
/// curve's rounding, so the pool moves the objective by nothing, but
/// without it the virtual value falls: a table component ending 1e-17 of
/// the probability before the top of its class, beyond it only a Beta's
/// far tail (1e-40), where `H` fell by 2.4e-5 and the interim allocation
/// rose (`ironing_search harsh 3000 211`, market 1487), and a table
/// ending beside a normal's tail 22σ out (`harsh 3000 201`, market 49:
/// `V` fell by 7.2e-7). The density's jump test could not tell these
/// jumps from a density falling steeply to zero, which changes as much
/// over its last ulps; the raw type across the kink can.
///
/// Only where the density jumps the side's way can the type fall across a
/// point: `H(z) − H(z⁻) = (z − z⁻) − β ((1 − F(z))/f(z) − (1 − F(z⁻))/f(z⁻))`
/// is positive wherever `f(z) ≥ f(z⁻)`, and `L` likewise wherever
/// `f(z) ≤ f(z⁻)`. The mesh's nodes (every kink is one) hold both
/// densities, so only a kink where the density steps the side's way costs
/// two evaluations of the raw type.
fn seed_falls_at_kinks(pools: &mut Vec<Pool>, mesh: &Mesh<'_>, t: &SideType<'_>) {
    let nodes = &mesh.nodes;
    let (lo, hi) = (nodes[0].z, nodes[nodes.len() - 1].z);
    for &k in t.d.kinks() {
        if k <= lo || k >= hi || pools.iter().any(|p| p.a <= k && k <= p.b) {
            continue;
        }
        let Some(n) = nodes.get(nodes.partition_point(|n| n.z < k)) else {
            continue;
        };
        let (below, at) = n.pdf;
        // Where both densities underflow the step is in their logarithms,
        // which the raw types use (a normal's tail 42σ out, past which a
        // table ends: `H` fell by 9e-9, `ordinary 20000 261`, market 10718).
        let jumps_its_way = match t.side {
            Side::Upper => below > at,
            Side::Lower => at > below,
        } || (below == 0.0 && at == 0.0);
        if n.z != k || !jumps_its_way {
            continue;
        }
        let (before, at) = (t.g(k.next_down()), t.g(k));
        // A fall within a few ulps of the types is rounding.
        let rounding = 8.0 * f64::EPSILON * (before.abs() + at.abs() + t.centre.abs());
        if !(before.is_finite() && at.is_finite() && at < before - rounding) {
            continue;
        }
        let level = match t.side {
            Side::Upper => before,
            Side::Lower => at,
        };
        let at_index = pools.partition_point(|p| p.b <= k);
        pools.insert(
            at_index,
            Pool {
                a: k,
                b: k,
                value: level + t.centre,
            },
        );
    }
}

/// The pools of one side, by construction in increasing order of level and
/// joined to the raw type without a step down:
///
/// 1. each hull edge spanning more than one cell with a point above it by
///    more than rounding, or with a cell that is not certified, is polished
///    to an exact pool;
/// 2. each single-cell hull edge over a cell that is not certified is
///    pooled at the edge's slope (the raw type there is not known to
///    rise); each fall of the raw type across a kink outside these pools
///    is seeded as a pool of no width ([`seed_falls_at_kinks`]);
/// 3. neighbouring pools whose levels fall (which polishing can only do
///    within rounding) are merged at their joint mean;
/// 4. where a raw stretch between two pools starts below the pool before
///    it or ends above the pool after it, that pool is extended to where
///    the raw type crosses its level (the raw type rises on certified
///    cells, so the crossing is a root).
fn assemble(
    mesh: &Mesh<'_>,
    t: &SideType<'_>,
    (p, noise): (&Profile, f64),
    hull: &[usize],
    open: &[usize],
) -> Result<Vec<Pool>, crate::numerics::RootError> {
    let z: Vec<f64> = mesh.nodes.iter().map(|n| n.z).collect();
    let mut pools: Vec<Pool> = Vec::new();
    for w in hull.windows(2) {
        let (i, j) = (w[0], w[1]);
        let slope = p.slope(i, j);
        let uncertified = || {
            let from = open.partition_point(|&k| k < i);
            open.get(from).is_some_and(|&k| k < j)
        };
        let pool = if j > i + 1 {
            if !((i + 1..j).any(|k| p.above(i, slope, k) > noise) || uncertified()) {
                continue;
            }
            let (a, b, value) = t.polish(&z, i, j, slope)?;
            Pool { a, b, value }
        } else if uncertified() {
            Pool {
                a: z[i],
                b: z[j],
                value: slope + t.centre,
            }
        } else {
            continue;
        };
        if let Some(prev) = pools.last_mut() {
            // Neighbouring pools meet at most at a point.
            if prev.b > pool.a {
                prev.b = pool.a;
            }
        }
        pools.push(pool);
    }
    pools.retain(|p| p.b > p.a);
    seed_falls_at_kinks(&mut pools, mesh, t);
    join(pools, t, &z)
}

/// Steps 3 and 4 of [`assemble`] on `pools` (in increasing order, apart
/// from each other), until neither changes anything: each pool is settled
/// against the raw stretches beside it ([`settle_pool`]), and a pool that
/// grows to its neighbour's level is merged with it, which calls for
/// settling again. A round that changes something either merges two pools
/// or follows a merge, so one round per pool and [`EXTRA_JOINS`] more
/// suffice; a join still changing after them is an error, not an answer.
/// `z` are the mesh's points.
fn join(
    pools: Vec<Pool>,
    t: &SideType<'_>,
    z: &[f64],
) -> Result<Vec<Pool>, crate::numerics::RootError> {
    let (lo, hi) = (z[0], z[z.len() - 1]);
    let rounds = pools.len() + EXTRA_JOINS;
    let mut merged = pools;
    for _ in 0..rounds {
        merged = merge_falling(merged, t, z);
        let mut changed = false;
        for k in 0..merged.len() {
            let p = if k == 0 { lo } else { merged[k - 1].b };
            let q = merged.get(k + 1).map_or(hi, |next| next.a);
            changed |= settle_pool(&mut merged[k], (p, q), t, z)?;
        }
        if !changed {
            return Ok(merged);
        }
    }
    Err(crate::numerics::RootError::NotConverged {
        iterations: rounds,
        last: merged.first().map_or(f64::NAN, |p| p.value),
    })
}
