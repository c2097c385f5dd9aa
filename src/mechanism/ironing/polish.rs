//! From a hull edge to the exact pool: the ends where the raw type crosses
//! the pool's level, and the level as the pool's mean.
//!
//! A pool `[a, b]` of level `m` is where the line of slope `m` supports the
//! cumulative curve at two points, so both ends are upward crossings of
//! `g = m` and `m` is the `f`-weighted mean of `g` over `[a, b]`. Starting
//! from the hull edge's slope, each step finds the ends for the current
//! level (a root next to each of the edge's vertices, or further out) and
//! takes the mean over them as the next level. The mean is stationary in
//! each end where `g` equals it, so the steps converge quadratically, and
//! the iteration stops at a step below the level's tolerance or once the
//! next is predicted to be ([`converged`]).

use super::mesh::{closed_forms, Node};
use super::raw::{raw, raw_with_slope};
use super::{Side, EMPTY_MASS};
use crate::distribution::{probability, probability_between, CumulativeAt, EndowmentDistribution};
use crate::numerics::{
    brent, first_double_reached, integrate_vec_with_mass, newton_increasing, Integral, KnownMass,
    RootError, Tolerances,
};
use std::cell::Cell;

/// Steps of a hull edge's level iteration ([`SideType::polish`]) before it
/// stops where it is (quadratic convergence needs three or four from a hull
/// edge; a level that is still moving after this many is as good as the
/// mesh's own, which the error bound covers). Its ends are searched from
/// the edge's vertices cell by cell, and a crossing that leaves a cell
/// inward falls back to the vertex, so the mean is not a continuous
/// function of the level there, and a bracketed root of it (as in
/// [`SideType::settle`]) can stop at a jump: tried, it settled one pool at
/// two different ends as the weight moved by 1e-10, the revenue jumped by
/// 2.2e-6 between them, and the budget search found no weight that breaks
/// even (`ordinary 20000 281`, market 1734).
const POLISH_STEPS: usize = 40;

/// Steps of the level iteration ([`SideType::settle`]) before it is an
/// error: Newton's steps need three or four from a hull edge; a seed beside
/// a gap of the density, whose first step overshoots, about twenty (the
/// overshoot halves at each step until the quadratic convergence takes
/// over); where Newton's steps stall, the bracket is bisected, so it at
/// least halves every three steps.
const MAX_STEPS: usize = 100;

/// Units in the last place of the type scale that the cumulative curve
/// `G` (at most about twice the scale in size) is taken as resolved to;
/// the profile's own noise allowance in `iron`.
const CURVE_ULPS: f64 = 16.0;

/// Relative accuracy asked of a pool's level. The closed-form mean is a
/// difference of cumulative integrals; where its rounding (estimated from
/// their size over the pool's mass) exceeds this, the level is integrated
/// directly instead.
const LEVEL_REL: f64 = 1e-12;

/// The raw type at the mesh points a pool's end search reads, kept across
/// the steps of one polish: the level changes from step to step, the type
/// at a mesh point does not, and each step's two end searches start from
/// the same cells (about a quarter of a polish's evaluations of the type).
/// A handful of points, so a short list.
#[derive(Default)]
struct MeshValues {
    points: Vec<(f64, f64)>,
}

impl MeshValues {
    /// `g(x)`, computed once per point.
    fn g(&mut self, side: &SideType<'_>, x: f64) -> f64 {
        if let Some(&(_, v)) = self.points.iter().find(|(p, _)| p.to_bits() == x.to_bits()) {
            return v;
        }
        let v = side.g(x);
        self.points.push((x, v));
        v
    }
}

/// A pool's end at a level: where the raw type crosses it.
#[derive(Debug, Clone, Copy)]
struct End {
    x: f64,
    /// The cell `(p, q)` in which Newton's method found the crossing; `None`
    /// for an end at a mesh point (where the raw type jumps across the
    /// level, or does not cross it in the cells searched) or at the
    /// support's end.
    cell: Option<(f64, f64)>,
    /// Whether `x` is the first double at which `g` reaches the level (a
    /// search's end, [`SideType::crossing`]), not a Newton step's estimate
    /// of the crossing ([`SideType::follow`]).
    exact: bool,
    /// The level (type minus centre) whose crossing `x` is or estimates.
    level: f64,
    /// The length of the Newton step that gave `x` (0 for a search's end).
    moved: f64,
}

impl End {
    /// An end at a mesh point or the support's end.
    fn at(x: f64) -> Self {
        Self {
            x,
            cell: None,
            exact: true,
            level: f64::NAN,
            moved: 0.0,
        }
    }
}

/// Whether a quadratically converging iteration whose last two steps were
/// `previous` and `step` has its next value within `tolerance / 16` of its
/// limit: the steps fall as `|s_{k+1}| ≈ C s_k²`, so the next is about
/// `|step|³ / previous²`, and the error of the value just taken is about
/// the next step. Only where the steps already show the quadratic rate
/// (`step` below `1e−3` of `previous`; a level that jumped with an end
/// changing cell does not). It spares the last step of a pool's level
/// iteration, taken only to see a step of rounding size: a hull edge's
/// level converges as `7e−3, 6e−6, 5e−12, 2e−16` (two narrow normals),
/// and after the third the fourth is predicted to `2.6e−24`.
fn converged(step: f64, previous: f64, tolerance: f64) -> bool {
    let (s, p) = (step.abs(), previous.abs());
    s <= 1e-3 * p && s * (s / p) * (s / p) <= tolerance / 16.0
}

/// One side's virtual type and what the closed forms need.
pub(super) struct SideType<'a> {
    pub d: &'a dyn EndowmentDistribution,
    pub beta: f64,
    pub side: Side,
    /// Subtracted from every type, so that a support far from zero keeps
    /// its digits in the cumulative integrals.
    pub centre: f64,
    pub lo: f64,
    /// The scale of the types, `max(|lo|, |hi|, hi − lo)`.
    pub scale: f64,
    /// The support's width `hi − lo`.
    pub width: f64,
    /// Relative tolerance on a root.
    pub rel: f64,
    /// The summed bounds on how far levels whose direct quadrature
    /// stopped short of `quad_rel` move the cumulative curve (level error
    /// times the pool's mass; see `SideType::direct_mean`).
    pub shortfall: Cell<f64>,
}

impl<'a> SideType<'a> {
    /// The `side` type of `d` at weight `beta`, centred on the support.
    pub fn new(d: &'a dyn EndowmentDistribution, beta: f64, side: Side, tol: &Tolerances) -> Self {
        let (lo, hi) = d.support();
        SideType {
            d,
            beta,
            side,
            centre: 0.5 * (lo + hi),
            lo,
            scale: (hi - lo).max(lo.abs()).max(hi.abs()),
            width: hi - lo,
            rel: tol.root_rel.max(4.0 * f64::EPSILON),
            shortfall: Cell::new(0.0),
        }
    }

    /// The raw type minus the centre.
    pub fn g(&self, z: f64) -> f64 {
        raw(self.d, self.beta, self.side, z) - self.centre
    }

    /// `∫_lo^z (g − centre) f`, in closed form from the node's values:
    /// `M − cF + β ∫_lo^z F` for `L`, `M − cF − β ∫_lo^z (1 − F)` for `H`,
    /// with `∫_lo^z F = zF − M`.
    pub fn cumulative(&self, n: &Node) -> f64 {
        let base = n.moment - self.centre * n.cdf;
        let int_cdf = n.z * n.cdf - n.moment;
        match self.side {
            Side::Lower => base + self.beta * int_cdf,
            Side::Upper => base - self.beta * ((n.z - self.lo) - int_cdf),
        }
    }

    /// The size of the terms [`Self::cumulative`] adds up: its rounding is a
    /// few ulps of this.
    pub fn magnitude(&self, n: &Node) -> f64 {
        let int_cdf = (n.z * n.cdf).abs() + n.moment.abs();
        n.moment.abs() + (self.centre * n.cdf).abs() + self.beta * (int_cdf + (n.z - self.lo).abs())
    }

    /// The upward crossing of `g = m` that ends the pool at the mesh point
    /// `z[k]`, its lower end (outward is to the left) or, with
    /// `upper_end`, its upper end (outward is to the right): in the cell
    /// before `z[k]` where `g − m ≥ 0` there, in the cell after it where
    /// `g − m < 0`; the point itself where `g − m` does not change sign in
    /// that cell, except outward, where the search steps on from cell to
    /// cell to the nearest crossing (the support's end if none). A cell's
    /// own raw type ends just below its right end, where a jump of the
    /// density belongs to the next cell. A vertex of the hull can sit inside
    /// the exact pool wherever the curve beyond it is straight to within
    /// what the cumulative integrals resolve, and the pool's end is then
    /// further out: a pool holding 1e-18 at the start of a Beta
    /// (`ironing_search ordinary 20000 71`, market 2650) kept its end at
    /// the vertex, with the raw type there below the level, and its level
    /// iteration ran away with the weight. Inward the vertex stays: a
    /// crossing further in belongs to another part of the curve.
    fn crossing(
        &self,
        m: f64,
        z: &[f64],
        (k, upper_end): (usize, bool),
        guess: f64,
        seen: &mut MeshValues,
    ) -> Result<End, RootError> {
        let mut h = |x: f64| seen.g(self, x) - m;
        let mut k = k;
        if h(z[k]) >= 0.0 {
            while k > 0 {
                let below = h(z[k - 1]);
                if below < 0.0 {
                    let cell = ((z[k - 1], below), (z[k], h(z[k])));
                    return self.newton(m, cell, guess);
                }
                if upper_end {
                    break;
                }
                k -= 1;
            }
            return Ok(End::at(z[k]));
        }
        while k + 1 < z.len() {
            // The cell's own raw type ends just below `z[k + 1]`: where the
            // density jumps there, the point itself has the next cell's
            // (a uniform's end followed by a normal's far tail, where the
            // upper type falls by 2e-5: read at the point, a crossing
            // inside the cell was missed and the pool's lower end fell
            // back to the vertex, `ironing_search ordinary 20000 81`,
            // market 526).
            let end = z[k + 1].next_down().max(z[k]);
            let at_end = h(end);
            if at_end >= 0.0 {
                return self.newton(m, ((z[k], h(z[k])), (end, at_end)), guess);
            }
            if h(z[k + 1]) >= 0.0 {
                return Ok(End::at(z[k + 1]));
            }
            if !upper_end {
                break;
            }
            k += 1;
        }
        Ok(End::at(z[k]))
    }

    /// The upward crossing of `g = m` in the cell `[p, q]`, where `g − m`
    /// goes from `g(p) − m < 0` to `g(q) − m ≥ 0` (the pairs given), by
    /// Newton's method from `guess` (from the secant point where `guess` is
    /// not inside the cell), safeguarded by bisection, then closed on
    /// adjacent doubles ([`Self::closed`]).
    fn newton(
        &self,
        m: f64,
        ((p, below), (q, above)): ((f64, f64), (f64, f64)),
        guess: f64,
    ) -> Result<End, RootError> {
        let start = if guess > p && guess < q {
            guess
        } else {
            // NaN where `g` is infinite at both ends: Newton's method then
            // starts from the middle.
            p - below * ((q - p) / (above - below))
        };
        let r = newton_increasing(
            |x| {
                let (v, s) = raw_with_slope(self.d, self.beta, self.side, x);
                (v - self.centre - m, s)
            },
            p,
            q,
            start,
            self.rel,
            self.scale,
        )?;
        Ok(End {
            x: self.closed(m, (p, q), r),
            cell: Some((p, q)),
            exact: true,
            level: m,
            moved: 0.0,
        })
    }

    /// The crossing of `g = m` estimated by one Newton step from `end`, a
    /// crossing at a nearby level, where `g` is seen to be linear enough
    /// around `end` and the step stays in `end`'s cell; `None` otherwise,
    /// or where `end` has no cell.
    ///
    /// Linear enough: at `end`, `g` misses the level `end` estimates by at
    /// most its slope times a tenth of the Newton step that gave `end` (a
    /// smooth `g` misses by about the step's square), or times the root's
    /// tolerance for a search's end. Where `g` jumps across the level at
    /// `end` (a density vanishing beside it), it does not: followed from
    /// such an end, a pool's end crept into the exponential layer of a
    /// normal component truncated seven standard deviations below its
    /// mean, one layer per level step, and the pool took 6 % of the class
    /// at its level (`zeros_inside_a_cell_at_zero_weight_are_pooled…`).
    fn follow(&self, end: End, m: f64) -> Option<End> {
        let (p, q) = end.cell?;
        let (v, slope) = raw_with_slope(self.d, self.beta, self.side, end.x);
        let residual = (v - self.centre - end.level).abs();
        let resolved = 4.0 * self.rel * self.scale.max(end.x.abs());
        // A NaN residual or slope is not linear enough.
        let linear = residual <= slope * resolved.max(0.1 * end.moved);
        if !linear {
            return None;
        }
        let x = end.x - (v - self.centre - m) / slope;
        // A NaN step fails both comparisons.
        (x >= p && x <= q).then_some(End {
            x,
            cell: end.cell,
            exact: false,
            level: m,
            moved: (x - end.x).abs(),
        })
    }

    /// `g − m`, with ±∞ (where the density vanishes) as a huge value that
    /// keeps the sign and Brent's interpolation finite.
    fn excess(&self, m: f64, x: f64) -> f64 {
        let v = self.g(x) - m;
        if v.is_infinite() {
            v.signum() * 1e150
        } else {
            v
        }
    }

    /// The first double of `[p, q]` at which `g − m` is non-negative, given
    /// a root `r` found there to a tolerance: bisection closes on adjacent
    /// doubles. Where `g` jumps across `m` (a density jumping at a kink) a
    /// root finder stops up to its tolerance either side of the jump; a
    /// pool ended there holds a sliver of raw type on the wrong side of its
    /// level, where the interim allocation rises (`ironing_search ordinary
    /// 20000 91`, market 1350: 1 062 ulps after the end of a normal
    /// component), or, where the pool is lighter than that sliver, takes a
    /// level that is mostly the sliver's (`ordinary 20000 121`, market 1081:
    /// a few ulps of a uniform beside a far tail holding 1e-20).
    fn closed(&self, m: f64, (p, q): (f64, f64), r: f64) -> f64 {
        let reached = |x: f64| self.excess(m, x) >= 0.0;
        // A root found by Newton's method is usually within a few units
        // of the crossing: a handful of steps, not a bisection of the
        // whole tolerance; past a few tolerances, the interval's end.
        let reach = 4.0 * self.rel * self.scale.max(r.abs());
        first_double_reached(reached, r, (p, q), reach).unwrap_or_else(|| {
            // No sign change in [p, q]: non-negative from `p` (the first
            // double is `p`), or nowhere (rounding at `q`; the root stands).
            if reached(r) {
                p
            } else {
                r
            }
        })
    }

    /// The upward crossing of `g = m` on `[p, q]`, where `g − m` goes from
    /// negative to non-negative: the first double at which it is
    /// non-negative (Brent's root, [`Self::closed`]).
    pub fn root(&self, m: f64, p: f64, q: f64) -> Result<f64, RootError> {
        let r = brent(|x| self.excess(m, x), p, q, self.rel, self.scale)?;
        Ok(self.closed(m, (p, q), r))
    }

    /// The probability between two nodes, from the nearer tail's
    /// function (`F` below the median, `1 − F` above it), which keeps its
    /// relative accuracy there.
    fn mass(a: &Node, b: &Node) -> f64 {
        if a.cdf <= 0.5 {
            b.cdf - a.cdf
        } else {
            a.sf - b.sf
        }
    }

    /// The mean of `g − centre` over `[a, b]` from the closed forms, and
    /// whether its rounding exceeds [`LEVEL_REL`].
    fn mean(&self, a: &Node, b: &Node) -> (f64, bool) {
        let mass = b.cdf - a.cdf;
        let mean = (self.cumulative(b) - self.cumulative(a)) / mass;
        let rounding = 16.0 * f64::EPSILON * (self.magnitude(a) + self.magnitude(b)) / mass.abs();
        // A NaN rounding (an empty pool) counts as rough.
        let resolved = rounding <= LEVEL_REL * self.scale;
        (mean, !resolved)
    }

    /// The mean of `g − centre` over `[a, b]` by quadrature of the density
    /// alone (as in `Mesh::direct`: on each piece `[p, q]`,
    /// `∫ F = F(p) (q − p) + ∫ (q − z) f` and
    /// `∫ (1 − F) = (1 − F(q)) (q − p) + ∫ (z − p) f`), which has no
    /// division by `f` and no cancellation between cumulative integrals.
    /// The mesh's points inside `[a, b]` split the range, so a narrow
    /// feature the mesh resolved is resolved here too; one between its
    /// points is found by checking each piece's probability against the
    /// closed forms (`numerics::integrate_vec_with_mass`).
    fn direct_mean(&self, a: &Node, b: &Node, mesh: &[f64]) -> Option<f64> {
        let d = self.d;
        let c = self.centre;
        let tol = Tolerances {
            quad_abs: 0.0,
            ..Tolerances::DEFAULT
        };
        let from = mesh.partition_point(|&x| x <= a.z);
        let to = mesh.partition_point(|&x| x < b.z);
        let mut points = vec![a.z];
        points.extend_from_slice(&mesh[from..to.max(from)]);
        points.push(b.z);
        // What the level is a mean over: a probability missed within
        // `quad_rel` of it cannot move the level beyond its tolerance.
        let (pool, _) = probability(
            d,
            &mut CumulativeAt::known(a.z, a.cdf, a.sf),
            &mut CumulativeAt::known(b.z, b.cdf, b.sf),
        );
        let r = points
            .windows(2)
            .filter(|w| w[1] > w[0])
            .map(|w| {
                let (p, q) = (w[0], w[1]);
                // Checked against the piece's probability from the closed
                // forms: a cluster between the rule's nodes is found, not
                // dropped (a cluster with σ = 5e-7 at 0.625, between two
                // points of the mesh, left a pool's level 0.4071 for 0.4108).
                let mut r = integrate_vec_with_mass(
                    &mut |z| {
                        let f = d.pdf(z);
                        let rent = match self.side {
                            Side::Lower => (q - z) * f,
                            Side::Upper => -(z - p) * f,
                        };
                        [f, (z - c) * f + self.beta * rent]
                    },
                    (p, q),
                    0,
                    KnownMass {
                        of: &|x, y| probability_between(d, x, y),
                        range: None,
                        whole: pool,
                        steers: true,
                    },
                    &tol,
                );
                let end = match self.side {
                    Side::Lower => d.cdf(p),
                    Side::Upper => -d.sf(q),
                };
                r.value[1] += self.beta * end * (q - p);
                r
            })
            .fold(Integral::ZERO, Integral::join);
        let [mass, total] = r.value;
        if mass == 0.0 {
            return None;
        }
        let level = total / mass;
        // A quadrature short of `quad_rel` (at its panel cap, in the far
        // tails of the crate's extreme test markets) is kept as the bound
        // on how far the level's error moves the cumulative curve and the
        // moments, `error · (∫|part| + |level| ∫f)`, and reported in the
        // solve's `quadrature_error`; not a typed error, since those
        // markets are solved to their tests' tolerances. No extra
        // integration: the error is the rule's own.
        if r.error > tol.quad_rel {
            let moved = r.error * (r.scale[1] + level.abs() * r.scale[0]);
            self.shortfall.set(self.shortfall.get() + moved);
        }
        Some(level)
    }

    /// The mean of `g − centre` over `[a, b]`: from the closed forms, or
    /// integrated directly where their rounding would show; `None` where
    /// the pool holds no probability either can see (see
    /// [`Self::mean_between`]).
    pub fn level(&self, a: f64, b: f64, mesh: &[f64]) -> Option<f64> {
        self.mean_between(&closed_forms(self.d, a), &closed_forms(self.d, b), mesh)
    }

    /// The mean of `g − centre` between two nodes: from the closed forms,
    /// or integrated directly over `mesh`'s points between them where the
    /// closed forms' rounding would show.
    ///
    /// `None` where neither sees any probability: the closed forms' mass
    /// is rounding and the direct one is exactly 0, so the mean would be
    /// 0/0 (a mean that is not finite for any other reason is returned as
    /// it is, and is an error where it is used). A pool
    /// whose only probability lies within an ulp of a point where the
    /// density is 0 is one: every node of the quadrature rounds onto that
    /// point (a pool across a gap ending one ulp into a table that starts
    /// at density 0, `ironing_search harsh 3000 241`, market 2742, at
    /// `β = 0`). Such a pool is a gap, like one lighter than
    /// [`EMPTY_MASS`]: its level moves the objective by nothing, and the
    /// callers keep the level it has, which the hull or its neighbours set
    /// in order.
    fn mean_between(&self, a: &Node, b: &Node, mesh: &[f64]) -> Option<f64> {
        let (closed, rough) = self.mean(a, b);
        if rough {
            self.direct_mean(a, b, mesh)
        } else {
            Some(closed)
        }
    }

    /// How far a pool's level `m` may be from its mean: [`LEVEL_REL`] of the
    /// type scale, or four ulps of the level where that is more (a pool
    /// where the density is near zero can sit at a level of −1e9 beside
    /// types near −12, whose ulps are 2e-7: a bracket on it cannot close
    /// tighter, `harsh 3000 211`, market 657).
    pub fn level_tolerance(&self, m: f64) -> f64 {
        (LEVEL_REL * self.scale).max(4.0 * f64::EPSILON * m.abs())
    }

    /// The ends of a pool at its final level `m`, from `ends`, or `at` (the
    /// last step's) where those would leave no pool.
    fn ends_at(
        &self,
        m: f64,
        at: (f64, f64),
        ends: &mut impl FnMut(f64) -> Result<(f64, f64), RootError>,
    ) -> Result<(f64, f64), RootError> {
        let (a, b) = ends(m)?;
        Ok(if b > a { (a, b) } else { at })
    }

    /// The pool of the hull edge between mesh points `i < j`, from the
    /// edge's slope `m` (type minus centre): its ends and its level
    /// (a type, centre added back).
    ///
    /// The first ends are searched from the edge's vertices; at the levels
    /// that follow, an end found by Newton's method in a cell is moved by
    /// one more Newton step ([`Self::follow`]): one evaluation of the raw
    /// type where a search from the end before took about seven (four
    /// Newton steps, three to close on doubles). The mean is stationary in
    /// each end where `g` equals the level, so an end off by `e` moves it
    /// by `O(e²)`, and the steps keep their quadratic rate. An end that
    /// cannot be followed is searched, and every step that would end the
    /// iteration early (no pool left, no mass, no mean) is taken again on
    /// searched ends. So is the step after one that shows or predicts
    /// convergence ([`converged`]), and the iteration stops only where the
    /// mean over searched ends is within the level's tolerance of their
    /// level: the pool returned is those ends and that level.
    ///
    /// The ends returned are searched at the level returned. With the ends
    /// of the step before, the pool's end could stand where the raw type
    /// beside it is on the wrong side of the new level by up to the
    /// level's tolerance, and every such pool was settled again by the
    /// join ([`Self::settle`]: its Brent roots, another mean and the ends
    /// once more), about half the pools of an ironed mixture.
    pub fn polish(
        &self,
        z: &[f64],
        i: usize,
        j: usize,
        m: f64,
    ) -> Result<(f64, f64, f64), RootError> {
        let mut m = m;
        let mut ends = (End::at(z[i]), End::at(z[j]));
        // The level `ends` were found at.
        let mut ends_level = m;
        let mut nodes = (closed_forms(self.d, z[i]), closed_forms(self.d, z[j]));
        let mut seen = MeshValues::default();
        // The ends at level `m`, from `ends`.
        let mut find = |m: f64, ends: (End, End), follow: bool| -> Result<(End, End), RootError> {
            let mut one = |end: End, k: usize, upper: bool| match follow
                .then(|| self.follow(end, m))
                .flatten()
            {
                Some(e) => Ok(e),
                None => self.crossing(m, z, (k, upper), end.x, &mut seen),
            };
            Ok((one(ends.0, i, false)?, one(ends.1, j, true)?))
        };
        let mut last_step = f64::NAN;
        let mut follow = false;
        for _ in 0..POLISH_STEPS {
            let (a, b) = find(m, ends, follow)?;
            let searched = a.exact && b.exact;
            // What would stop the iteration short of a level (no pool left,
            // no mass, no mean) is judged on searched ends: followed ones
            // are searched again at the same level.
            if b.x <= a.x {
                if searched {
                    break;
                }
                follow = false;
                continue;
            }
            if a.x != ends.0.x {
                nodes.0 = closed_forms(self.d, a.x);
            }
            if b.x != ends.1.x {
                nodes.1 = closed_forms(self.d, b.x);
            }
            ends = (a, b);
            ends_level = m;
            // A pool holding less than `EMPTY_MASS` is a gap (see
            // [`Self::settle`]), and so is one without probability the mean
            // can see: it keeps the level it has.
            let mass = Self::mass(&nodes.0, &nodes.1);
            let next = if mass < EMPTY_MASS || mass.is_nan() {
                None
            } else {
                self.mean_between(&nodes.0, &nodes.1, z)
            };
            let Some(next) = next.filter(|next| !next.is_nan() || searched) else {
                if searched {
                    break;
                }
                follow = false;
                continue;
            };
            let step = next - m;
            if step.is_nan() {
                m = next;
                break;
            }
            let tolerance = self.level_tolerance(next);
            if searched && step.abs() <= tolerance {
                // The ends are the crossings at `m`, and their mean is
                // within the level's tolerance of it.
                break;
            }
            // A step that shows convergence (or predicts it) is checked on
            // searched ends: a followed end is off by what its Newton step
            // left, which the steps of the level do not show (an end
            // followed across 2e-3 of a cell where the raw type bends
            // moved the mean by 2e-6, after a step of 3e-2 that predicted
            // 6e-15; `ironing_search ordinary 5000 601` market 600).
            let settling = step.abs() <= tolerance || converged(step, last_step, tolerance);
            m = next;
            last_step = step;
            follow = !settling;
        }
        // The ends returned are searched at the level returned, or, where
        // that leaves no pool, at the level of the ends in hand.
        let searched = ends.0.exact && ends.1.exact;
        let settled = searched && ends_level == m;
        if !(m.is_nan() || settled) {
            let (a, b) = find(m, ends, false)?;
            if b.x > a.x {
                ends = (a, b);
            } else if !searched {
                let (a, b) = find(ends_level, ends, false)?;
                if b.x > a.x {
                    ends = (a, b);
                }
            }
        }
        Ok((ends.0.x, ends.1.x, m + self.centre))
    }

    /// The exact pool from a level `m` (type minus centre) and ends
    /// `start`, where `ends(m)` gives the pool's ends for a level `m`
    /// (upward crossings of `g = m`): the ends and the level at which the
    /// mean of `g` between them is the level itself.
    ///
    /// With `Φ(m) = ∫_{a(m)}^{b(m)} (g − m) f`, the ends' own terms vanish
    /// (`g = m` there), so `Φ'(m) = −(F(b) − F(a)) < 0`: the level is the
    /// one root of a decreasing function, and the step to the mean,
    /// `m + Φ(m)/(F(b) − F(a))`, is Newton's. Near the root it converges
    /// quadratically. Far from it, where the pool's mass grows fast with
    /// its level, it overshoots, and a pool can only grow by its ends
    /// moving out, so the overshoot must be undone here: a seed of no width
    /// beside a gap of the density has as its first mean the gap's rent
    /// over almost no probability, and taken as it stood that pool ran over
    /// a whole Beta component at the mean of its types (`ironing_search
    /// ordinary 20000 281`, market 17892, where the level equations then
    /// had no solution). So the steps keep the bracket that the signs of
    /// `Φ` give, and bisect it where Newton's step leaves it or has not
    /// halved it in three steps. For a pool joined to the raw stretches
    /// beside it (`join` in the module above), whose ends are roots where
    /// the raw type rises, so that they and `Φ` move continuously with the
    /// level (not so for a hull edge's ends; see [`POLISH_STEPS`]).
    pub fn settle(
        &self,
        m: f64,
        start: (f64, f64),
        z: &[f64],
        mut ends: impl FnMut(f64) -> Result<(f64, f64), RootError>,
    ) -> Result<(f64, f64, f64), RootError> {
        let mut m = m;
        let mut at = start;
        let mut nodes = (closed_forms(self.d, at.0), closed_forms(self.d, at.1));
        let (mut below, mut above) = (f64::NEG_INFINITY, f64::INFINITY);
        let mut width = f64::INFINITY;
        for step in 0..MAX_STEPS {
            let (a, b) = ends(m)?;
            if b <= a {
                return Ok((at.0, at.1, m));
            }
            if a != at.0 {
                nodes.0 = closed_forms(self.d, a);
            }
            if b != at.1 {
                nodes.1 = closed_forms(self.d, b);
            }
            at = (a, b);
            // A pool holding less than `EMPTY_MASS` is a gap: its mean is a
            // ratio of numbers too small to carry digits (a pool of one
            // subnormal quantum at the foot of a normal's far tail went to
            // 0/0, `ironing_search ordinary 20000 141`, market 2760), and
            // its level moves the objective by nothing. It keeps the level
            // it has.
            let mass = Self::mass(&nodes.0, &nodes.1);
            if mass < EMPTY_MASS || mass.is_nan() {
                return Ok((a, b, m));
            }
            // No probability the mean can see: a gap, as above.
            let Some(next) = self.mean_between(&nodes.0, &nodes.1, z) else {
                return Ok((a, b, m));
            };
            if !next.is_finite() {
                return Err(RootError::NonFinite { x: m + self.centre });
            }
            if (next - m).abs() <= self.level_tolerance(m) {
                let (a, b) = self.ends_at(next, (a, b), &mut ends)?;
                return Ok((a, b, next));
            }
            // A pool too light for any level in the type range to move the
            // cumulative curve by what it resolves, whose mean is a ratio
            // of numbers carrying few digits (without this rule two
            // pools of `harsh 3000 211`, markets 2675 and 2842, ran out of
            // steps short of the level's tolerance). It keeps the level `m`, at which its ends
            // cross the raw type, so the ironed type stays monotone; its
            // mean is beyond the curve's resolution.
            if mass <= CURVE_ULPS * f64::EPSILON {
                return Ok((a, b, m));
            }
            if next > m {
                below = m;
            } else {
                above = m;
            }
            if above - below <= self.level_tolerance(m) {
                let (a, b) = self.ends_at(next, (a, b), &mut ends)?;
                return Ok((a, b, next));
            }
            let stalled = step % 3 == 2 && {
                let halved = above - below <= 0.5 * width;
                width = above - below;
                !halved
            };
            m = if next > below && next < above && !stalled {
                next
            } else if below.is_finite() && above.is_finite() {
                below + 0.5 * (above - below)
            } else {
                next
            };
        }
        Err(RootError::NotConverged {
            iterations: MAX_STEPS,
            last: m + self.centre,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::test_support::Instrumented;
    use crate::distribution::{Mixture, Triangular, TruncatedNormal};
    use crate::numerics::{integrate_vec_checked, with_panel_cap};
    use std::sync::Arc;

    /// The steps of a quadratically converging iteration,
    /// `s_{k+1} = 0.13 s_k²` from `7e−3`, are judged converged after the
    /// step whose successor is below a sixteenth of the tolerance, not
    /// before; a step that fell only linearly is never judged so.
    #[test]
    fn convergence_is_predicted_from_the_quadratic_rate() {
        let tolerance = 2e-12;
        let mut steps = vec![7e-3];
        for _ in 0..3 {
            let s = steps[steps.len() - 1];
            steps.push(0.13 * s * s);
        }
        // 7e-3, 6.4e-6, 5.2e-12, 3.6e-24.
        assert!(!converged(steps[1], steps[0], tolerance));
        assert!(converged(steps[2], steps[1], tolerance));
        assert!(steps[3] <= tolerance / 16.0);
        // A step that falls by a factor of 100 (an end changing cell, say)
        // shows no quadratic rate, however small the prediction.
        assert!(!converged(1e-9, 1e-7, tolerance));
        // The first step has no predecessor.
        assert!(!converged(1e-9, f64::NAN, tolerance));
    }

    fn side_type(d: &dyn EndowmentDistribution) -> SideType<'_> {
        SideType {
            d,
            beta: 0.5,
            side: Side::Upper,
            centre: 0.0,
            lo: -1.0,
            scale: 2.0,
            width: 2.0,
            rel: 1e-13,
            shortfall: Cell::new(0.0),
        }
    }

    /// A root found by Newton's method is closed on adjacent doubles with
    /// a handful of evaluations of the raw type: the bracket gallops out
    /// from the root in steps growing fourfold from one unit in the last
    /// place (4 to 6 evaluations here), where a bisection of the whole root
    /// tolerance took 19 at the first of these levels. The closed point is
    /// the first double at which `g − m ≥ 0`.
    #[test]
    fn closing_a_newton_root_costs_a_handful_of_evaluations() {
        let d = Instrumented::new(TruncatedNormal::new(0.1, 0.4, -1.0, 1.0).unwrap());
        let t = side_type(&d);
        for m in [-0.5, 0.0, 0.3, 0.9] {
            let r = newton_increasing(
                |x| {
                    let (v, s) = raw_with_slope(t.d, t.beta, t.side, x);
                    (v - m, s)
                },
                -1.0,
                1.0,
                0.0,
                t.rel,
                t.scale,
            )
            .unwrap();
            d.take_ratios();
            let c = t.closed(m, (-1.0, 1.0), r);
            let spent = d.take_ratios();
            assert!(spent <= 8, "m = {m}: {spent} evaluations");
            assert!(t.g(c) - m >= 0.0 && t.g(c.next_down()) - m < 0.0, "m = {m}");
        }
    }

    /// Two narrow modes (σ = 0.15, means 1 apart) on a 17-point mesh: each
    /// side's one hull edge across the valley is polished into a pool whose
    /// ends are the first doubles where the raw type reaches the level and
    /// whose level is the mean of the raw type over it (by quadrature of
    /// `g f` and `f`, not the closed forms the polish uses), with at most
    /// 45 evaluations of the raw type: the ends are searched at the first
    /// and the last level and followed by one Newton step at the levels in
    /// between (searching them at every level took 60).
    #[test]
    fn a_polished_pool_is_exact_and_follows_its_ends_between_levels() {
        let part = |m: f64| -> Arc<dyn EndowmentDistribution> {
            Arc::new(TruncatedNormal::new(m, 0.15, -1.0, 1.0).unwrap())
        };
        let d = Instrumented::new(Mixture::new(vec![(1.0, part(-0.5)), (1.0, part(0.5))]).unwrap());
        let z: Vec<f64> = (0..=16).map(|k| -1.0 + k as f64 / 8.0).collect();
        for side in [Side::Lower, Side::Upper] {
            let t = SideType {
                side,
                beta: 1.0,
                ..side_type(&d)
            };
            // The hull edge over the valley, by brute force: the chord from
            // `i` below every point is the hull's edge `i → j` of largest `j`.
            let nodes: Vec<Node> = z.iter().map(|&x| closed_forms(&d, x)).collect();
            let point = |k: usize| (nodes[k].cdf, t.cumulative(&nodes[k]));
            let slope = |i: usize, j: usize| (point(j).1 - point(i).1) / (point(j).0 - point(i).0);
            let on_hull = |i: usize, j: usize| {
                (0..z.len()).all(|k| {
                    let chord = point(i).1 + slope(i, j) * (point(k).0 - point(i).0);
                    point(k).1 >= chord - 1e-12
                })
            };
            let (i, j) = (0..z.len())
                .flat_map(|i| (i + 2..z.len()).map(move |j| (i, j)))
                .filter(|&(i, j)| on_hull(i, j))
                .max_by_key(|&(i, j)| j - i)
                .expect("the valley is under a hull edge");
            d.take_ratios();
            let (a, b, level) = t.polish(&z, i, j, slope(i, j)).unwrap();
            let spent = d.take_ratios();
            assert!(spent <= 45, "{side:?}: {spent} evaluations");
            let m = level - t.centre;
            for end in [a, b] {
                assert!(
                    t.g(end) - m >= 0.0 && t.g(end.next_down()) - m < 0.0,
                    "{side:?} {end}"
                );
            }
            let tol = Tolerances::DEFAULT;
            let r = integrate_vec_checked(
                |x| {
                    let f = d.pdf(x);
                    [f, raw(&d, t.beta, side, x) * f]
                },
                a,
                b,
                &tol,
            );
            let mean = r.value[1] / r.value[0];
            assert!(
                (mean - level).abs() <= 1e-11,
                "{side:?}: {level} against {mean}"
            );
        }
    }

    /// A pool's level integrated directly: with one panel allowed the rule
    /// falls short of `quad_rel` and the bound on what the level's error
    /// moves is kept, and covers the level's actual error; with the
    /// shipped cap nothing is kept and the level is the closed form's
    /// `E[H | a ≤ Z ≤ b]`.
    #[test]
    fn a_level_short_of_its_accuracy_is_recorded() {
        let d = TruncatedNormal::new(0.1, 0.4, -1.0, 1.0).unwrap();
        let (a, b) = (closed_forms(&d, -0.5), closed_forms(&d, 0.7));
        let t = side_type(&d);
        let level = t.direct_mean(&a, &b, &[]).expect("the pool has mass");
        assert_eq!(t.shortfall.get(), 0.0);
        let (closed, rough) = t.mean(&a, &b);
        assert!(!rough);
        assert!((level - closed).abs() < 1e-12, "{level} {closed}");
        let rough_level =
            with_panel_cap(1, || t.direct_mean(&a, &b, &[])).expect("the pool has mass");
        let moved = t.shortfall.get();
        let mass = b.cdf - a.cdf;
        assert!(moved > 0.0);
        // The bound covers the error the one-panel level actually has.
        assert!(
            (rough_level - closed).abs() * mass <= moved,
            "{rough_level} {moved}"
        );
    }

    /// A triangle rising from density 0 at its start: over the first ulp
    /// every node of the quadrature rounds onto the start, so the direct
    /// mean sees no probability and says so (the caller keeps its level),
    /// while two ulps already hold a node inside and give a mean there.
    #[test]
    fn a_mean_over_the_ulp_after_a_zero_of_the_density_is_none() {
        let d = Triangular::new(1859.371780072876, 1859.3718, 1859.3719).unwrap();
        let t = side_type(&d);
        let lo = d.support().0;
        let at = |z: f64| closed_forms(&d, z);
        assert_eq!(t.direct_mean(&at(lo), &at(lo.next_up()), &[]), None);
        let two = lo.next_up().next_up();
        let level = t
            .direct_mean(&at(lo), &at(two), &[])
            .expect("a node inside");
        // `H − centre` there: the types of those two ulps, less the rent.
        assert!(level.is_finite() && level <= two, "{level}");
    }
}
