//! The mesh on which a class's virtual types are ironed: points of the
//! support with the distribution's closed forms at each, and cells between
//! them with bounds on the density and its slope.
//!
//! A cell is *certified* for a side when the bounds prove that the side's
//! raw virtual type cannot decrease anywhere in it:
//!
//! * `H' = 1 + β + β (1 − F) f'/f²`, so `H` rises wherever `f' ≥ 0`, and
//!   everywhere on `[a, b]` if `1 + β + β (1 − F(a)) f'_min / f_min² ≥ 0`;
//! * `L' = 1 + β − β F f'/f²`, so `L` rises wherever `f' ≤ 0`, and
//!   everywhere on `[a, b]` if `1 + β − β F(b) f'_max / f_min² ≥ 0`.
//!
//! A cell that is not certified may hide a stretch where the type falls; the
//! ironing then bounds how far the cumulative curve can dip there
//! (`super::hull::deficit`) and splits the cell while that bound exceeds its
//! tolerance.

use super::{Sample, Samples, Side};
use crate::distribution::{
    probability, probability_between, CumulativeAt, DensityBounds, EndowmentDistribution,
};
use crate::numerics::{integrate_vec_with_mass, KnownMass, Tolerances};

/// Units of `ε |ln f|` taken as the relative rounding of a density `f`
/// computed as an exponential (its argument, of size `|ln f|`, rounded to
/// a few ulps, then amplified by `exp`), the floor below which a cell's
/// direct integrals are not asked to go ([`Mesh::direct`]).
const DENSITY_ROUNDING_ULPS: f64 = 16.0;

/// Cells of the first mesh across the whole support, shared among the pieces
/// between the distribution's kinks in proportion to their widths (each
/// piece gets at least one). Sixteen is enough for the bounds of a smooth
/// density to certify most cells at once; everything finer comes from
/// splitting where a certificate fails.
const INITIAL_CELLS: usize = 16;

/// Points at which a distribution without [`DensityBounds`] is sampled in
/// each cell (its ends included). What they show is widened by half its
/// extent on each side (for the density and for its slope), a margin that
/// shrinks with the cell, so that splitting can always certify a smooth
/// density.
const SAMPLES: usize = 9;

/// Relative change of the density across one point above which it counts as
/// a jump (see [`Mesh::certified`]).
const JUMP_REL: f64 = 1e-9;

/// A point of the mesh and the distribution's closed forms there.
#[derive(Debug, Clone, Copy)]
pub(super) struct Node {
    pub z: f64,
    /// `F(z)`.
    pub cdf: f64,
    /// `1 − F(z)`, from the distribution's own survival function.
    pub sf: f64,
    /// The partial first moment `M(z) = ∫_lo^z s f(s) ds`: NaN until the
    /// cumulative curve is first needed ([`Mesh::fill_moments`]), since a
    /// class whose every cell is certified never needs it.
    pub moment: f64,
    /// The density just below and at `z` (they differ where it jumps, at a
    /// kink: a component's support ending inside a mixture).
    pub pdf: (f64, f64),
    /// The density's change over the ulp before `z`, `f(z⁻) − f(z⁻⁻)`. A
    /// density continuous at `z` changes over the last ulp in the same
    /// direction, by up to a thousand times this ([`Node::allowance`]).
    /// (From the values on the left, not from the slope, nor from the
    /// right: the density at `z` is its value from the right, and where a
    /// Beta component begins at `z` with shape `1 < a < 2` it rises with
    /// infinite slope, by 3 % of its size over the first ulp; either
    /// allowance hid the jump down of a normal component ending at the
    /// same point, and the upper type fell there unpooled:
    /// `ironing_search ordinary 20000 41`, markets 20 and 10105. A density
    /// falling continuously to zero at `z` from the left, like a Beta's
    /// end with `1 < b < 2`, changes over the ulp before by the same order
    /// as over the last one.)
    pub trend: f64,
}

impl Node {
    /// The change of the density at `z` that counts as continuous, for a
    /// jump of the kind `side` cares about: up for `L`, down for `H`. Only
    /// a trend in that direction allows for one: a Beta's end with
    /// `b = 1.07` falls by 5 % over each of its last ulps, which allowed a
    /// change of 50 times the density at `z` either way and hid the jump
    /// up of a component beginning there (`ironing_search ordinary 20000
    /// 71`, market 195: the lower type fell by 0.19 at that point).
    fn allowance(&self, side: Side) -> f64 {
        let toward = match side {
            Side::Lower => self.trend,
            Side::Upper => -self.trend,
        };
        1e3 * toward.max(0.0)
    }
}

/// Points of the support in increasing order, and between each two the
/// bounds of the density and its slope.
#[derive(Debug, Clone)]
pub(super) struct Mesh<'a> {
    d: &'a dyn EndowmentDistribution,
    pub nodes: Vec<Node>,
    /// `bounds[k]` holds on `[nodes[k].z, nodes[k + 1].z]`.
    pub bounds: Vec<DensityBounds>,
    /// Per cell, once needed: its mass and `∫ (g − centre) f` of each side
    /// (lower, upper), integrated directly (see [`Mesh::direct`]).
    direct: Vec<Option<[f64; 3]>>,
    /// The summed absolute error bounds of the direct integrals of cells
    /// where the rule stopped short of `quad_rel` (see [`Mesh::direct`]),
    /// in the units of the cumulative curve (type × probability).
    pub shortfall: f64,
}

impl<'a> Mesh<'a> {
    /// The first mesh: the support's ends, the kinks, and [`INITIAL_CELLS`]
    /// cells shared among the pieces between them.
    pub fn new(d: &'a dyn EndowmentDistribution) -> Self {
        let (lo, hi) = d.support();
        let mut ends = vec![lo];
        ends.extend(d.kinks().iter().copied().filter(|&k| k > lo && k < hi));
        ends.push(hi);
        ends.dedup();
        let width = hi - lo;
        let mut z = Vec::with_capacity(ends.len() + INITIAL_CELLS);
        for w in ends.windows(2) {
            let (p, q) = (w[0], w[1]);
            let cells = ((INITIAL_CELLS as f64 * (q - p) / width).round() as usize).max(1);
            z.extend((0..cells).map(|k| p + (q - p) * k as f64 / cells as f64));
        }
        z.push(hi);
        z.dedup();
        let nodes: Vec<Node> = z.iter().map(|&z| node(d, z)).collect();
        let bounds: Vec<DensityBounds> = nodes
            .windows(2)
            .map(|w| cell_bounds(d, w[0].z, w[1].z))
            .collect();
        let direct = vec![None; bounds.len()];
        Self {
            d,
            nodes,
            bounds,
            direct,
            shortfall: 0.0,
        }
    }

    /// The distribution the mesh is of.
    pub fn distribution(&self) -> &'a dyn EndowmentDistribution {
        self.d
    }

    /// Computes the partial moments not yet known (every node's, the
    /// first time; after that, the nodes a split added).
    pub fn fill_moments(&mut self) {
        for n in self.nodes.iter_mut().filter(|n| n.moment.is_nan()) {
            n.moment = self.d.partial_moment(n.z);
        }
    }

    /// The raw types at the nodes, from their closed forms (the density
    /// from the right); NaN where the density vanishes and a ratio is
    /// `0/0`. For where root searches start, not for answers: far in a
    /// tail `F/f` from the two closed forms is less accurate than the
    /// distribution's own ratio.
    pub fn samples(&self, beta: f64) -> Samples {
        Samples(
            self.nodes
                .iter()
                .map(|n| {
                    let f = n.pdf.1;
                    let (r_lower, r_upper) = if beta == 0.0 {
                        (0.0, 0.0)
                    } else {
                        (beta * n.cdf / f, beta * n.sf / f)
                    };
                    Sample {
                        z: n.z,
                        lower: n.z + r_lower,
                        upper: n.z - r_upper,
                    }
                })
                .collect(),
        )
    }

    /// Number of cells.
    pub fn cells(&self) -> usize {
        self.bounds.len()
    }

    /// Whether cell `k` can still be split: its midpoint is a new number.
    pub fn splittable(&self, k: usize) -> bool {
        let (a, b) = (self.nodes[k].z, self.nodes[k + 1].z);
        let mid = 0.5 * (a + b);
        mid > a && mid < b
    }

    /// Splits each of the cells `split` (indices in increasing order) at
    /// its midpoint.
    pub fn split(&mut self, split: &[usize]) {
        let mut nodes = Vec::with_capacity(self.nodes.len() + split.len());
        let mut bounds = Vec::with_capacity(self.bounds.len() + split.len());
        let mut direct = Vec::with_capacity(self.bounds.len() + split.len());
        let mut next = split.iter().copied().peekable();
        for k in 0..self.cells() {
            let (a, b) = (self.nodes[k], self.nodes[k + 1]);
            nodes.push(a);
            if next.peek() == Some(&k) {
                next.next();
                let m = node(self.d, 0.5 * (a.z + b.z));
                nodes.push(m);
                bounds.push(cell_bounds(self.d, a.z, m.z));
                bounds.push(cell_bounds(self.d, m.z, b.z));
                direct.extend([None, None]);
            } else {
                bounds.push(self.bounds[k]);
                direct.push(self.direct[k]);
            }
        }
        nodes.push(*self.nodes.last().expect("a mesh has two nodes"));
        self.nodes = nodes;
        self.bounds = bounds;
        self.direct = direct;
    }

    /// Cell `k`'s mass and `∫ (g − centre) f` of the lower and the upper
    /// type over it, by quadrature of the density alone: with `[a, b]` the
    /// cell, `∫_a^b F = F(a) (b − a) + ∫_a^b (b − z) f` and
    /// `∫_a^b (1 − F) = (1 − F(b)) (b − a) + ∫_a^b (z − a) f`, so the
    /// integrands are `f`, `(z − c) f + β (b − z) f` and
    /// `(z − c) f − β (z − a) f` (no division by `f`, no difference of
    /// cumulative integrals, so accurate relative to themselves however
    /// little mass the cell holds, and no CDF inside the quadrature: for a
    /// mixture with Beta components each CDF is an incomplete beta
    /// function, and cells next to a point where the density vanishes cost
    /// tens of milliseconds each). Computed once per cell.
    pub fn direct(&mut self, k: usize, beta: f64, centre: f64) -> [f64; 3] {
        if let Some(v) = self.direct[k] {
            return v;
        }
        let d = self.d;
        let (a, b) = (self.nodes[k], self.nodes[k + 1]);
        // Relative accuracy only: the cell's integrals may be far below any
        // absolute floor. But no finer than the density is computed: deep
        // in a tail a density is an exponential of a large argument, whose
        // rounding, `ε |ln f|` relative, is near `quad_rel` (4e-14 at
        // f = 1e-74), and the rule spent its 2 000 panels on rounding
        // (2 768 cells of a narrow normal's tail on
        // `ironing_search harsh 3000 171` market 0, most of its 17 s).
        let smallest = [a.pdf.1, b.pdf.0]
            .into_iter()
            .filter(|f| *f > 0.0)
            .fold(f64::INFINITY, f64::min);
        let rounding = if smallest.is_finite() {
            DENSITY_ROUNDING_ULPS * f64::EPSILON * smallest.ln().abs()
        } else {
            0.0
        };
        let tol = Tolerances {
            quad_abs: 0.0,
            quad_rel: Tolerances::DEFAULT.quad_rel.max(rounding),
            ..Tolerances::DEFAULT
        };
        // Checked against the cell's probability from the nodes' closed
        // forms: a cluster between the rule's nodes is found, not dropped.
        let known = probability(
            d,
            &mut CumulativeAt::known(a.z, a.cdf, a.sf),
            &mut CumulativeAt::known(b.z, b.cdf, b.sf),
        );
        let r = integrate_vec_with_mass(
            &mut |z| {
                let f = d.pdf(z);
                let zf = (z - centre) * f;
                [f, zf + beta * (b.z - z) * f, zf - beta * (z - a.z) * f]
            },
            (a.z, b.z),
            0,
            KnownMass {
                of: &|p, q| probability_between(d, p, q),
                range: Some(known),
                whole: 1.0,
                steers: true,
            },
            &tol,
        );
        // A cell the rule could not bring to `quad_rel` (at its panel cap,
        // in a far tail next to a jump of the density: the crate's own
        // extreme test markets do) moves the cumulative curve by at most
        // its absolute error: that is kept, and reported in the solve's
        // `quadrature_error` (not a typed error: those markets are solved
        // correctly to their tests' tolerances, the cell holding next to
        // no probability). The error is the one the rule computed anyway.
        if r.error > tol.quad_rel {
            self.shortfall += r.error * r.scale[1].max(r.scale[2]);
        }
        let [mass, lower, upper] = r.value;
        let dz = b.z - a.z;
        let v = [mass, lower + beta * a.cdf * dz, upper - beta * b.sf * dz];
        self.direct[k] = Some(v);
        v
    }

    /// Whether the bounds prove that `side`'s raw type does not decrease on
    /// cell `k` (see the module documentation).
    pub fn certified(&self, side: Side, beta: f64, k: usize) -> bool {
        self.certificate(side, beta, k, false)
    }

    /// [`Mesh::certified`], or else whether the bounds on `f'/f` prove it
    /// ([`Mesh::log_slope_test`]).
    pub fn certified_by_log_slope(&self, side: Side, beta: f64, k: usize) -> bool {
        self.certificate(side, beta, k, true)
    }

    fn certificate(&self, side: Side, beta: f64, k: usize, log_slope: bool) -> bool {
        let b = &self.bounds[k];
        if b.max.is_nan() || b.max <= 0.0 {
            // A stretch without probability: the raw type is infinite there,
            // and the cell must lie inside a pool.
            return false;
        }
        // A jump of the density at either end of the cell: `H` falls where
        // the density jumps down, `L` where it jumps up, and no bound on
        // the cell's inside can show it.
        // (One ulp below a point the density of a smooth family differs by
        // far less than a billionth.)
        // A change within what the density's slope allows over one ulp is
        // no jump (a density falling continuously to zero at a point).
        let jumps = |n: &Node| {
            let step = JUMP_REL * n.pdf.0.max(n.pdf.1) + n.allowance(side);
            match side {
                Side::Upper => n.pdf.0 - n.pdf.1 > step,
                Side::Lower => n.pdf.1 - n.pdf.0 > step,
            }
        };
        let (left, right) = (&self.nodes[k], &self.nodes[k + 1]);
        let interior = |n: &Node| n.cdf > 0.0 && n.sf > 0.0;
        if beta > 0.0 && ((interior(left) && jumps(left)) || (interior(right) && jumps(right))) {
            return false;
        }
        if beta == 0.0 {
            // Both types are the identity where there is probability. Where
            // the density may vanish inside the cell, away from the side's
            // own end, the side's raw type is extreme at every positive
            // weight, and the cell is not certified: it is split until the
            // stretch without probability is a gap of its own, pooled as
            // the limit `β → 0⁺` pools it. (Certified whole, a cell from a
            // normal's far tail, 1e-131 of the probability, into 0.05 of
            // exact zeros kept the raw type on the zeros at `β = 0` and
            // pooled them at `β = 5e-324`: revenue jumped from −2.2e-4 to
            // 8.8e-3 at `β = 0⁺`; `ironing_search ordinary 20000 23`,
            // market 270.)
            let tail = match side {
                Side::Lower => left.cdf,
                Side::Upper => right.sf,
            };
            return !(b.min <= 0.0 && tail >= super::EMPTY_MASS);
        }
        // `(1 − F) f'/f²` and `F f'/f²` as products of two ratios, each of a
        // type's scale: far in a tail the density can be 1e-200 and its
        // square would underflow to 0 (and the cell never be certified).
        // A density bound of 0 gives ∞ or NaN: not certified.
        let by_density = match side {
            Side::Upper => {
                b.slope_min >= 0.0
                    || 1.0 + beta + beta * (self.nodes[k].sf / b.min) * (b.slope_min / b.min) >= 0.0
            }
            Side::Lower => {
                b.slope_max <= 0.0
                    || 1.0 + beta - beta * (self.nodes[k + 1].cdf / b.min) * (b.slope_max / b.min)
                        >= 0.0
            }
        };
        by_density || (log_slope && self.log_slope_test(side, beta, k))
    }

    /// The last test of [`Mesh::certified`] from the bounds `ℓ̲ ≤ f'/f ≤
    /// ℓ̄` on the cell `[a, b]` (width `w`) and the hazard ratio at the end
    /// the side integrates from, where the density's own bounds are too
    /// loose: across a cell in a normal's far tail the density changes by
    /// large factors, `f'_max/f_min²` overstates the slope of `F/f` by their
    /// square, and the cell was split over and over although the raw type
    /// rises.
    ///
    /// Below: `F(z) = F(a) + ∫_a^z f` with `f(s) ≤ f(z) e^{−ℓ̲ (z − s)}`, so
    /// `F/f ≤ r̄ = max(r_a, r_a e^{−ℓ̲w} + (1 − e^{−ℓ̲w})/ℓ̲)` (`r_a = F(a)/f(a)`;
    /// the bound is monotone in `z − a`, so its largest value is at an end),
    /// and `L' = 1 + β (1 − (F/f) f'/f) ≥ 1 + β − β r̄ ℓ̄`. Above, mirrored:
    /// `(1 − F)/f ≤ s̄` from `s_b = (1 − F(b))/f(b)` with the rate `−ℓ̄`, and
    /// `H' = 1 + β (1 + ((1 − F)/f) f'/f) ≥ 1 + β + β s̄ ℓ̲`.
    fn log_slope_test(&self, side: Side, beta: f64, k: usize) -> bool {
        let bounds = &self.bounds[k];
        // Where the density may vanish (or underflow) inside the cell, the
        // cell may be a gap that must be pooled: never certified (a NaN
        // bound neither).
        if bounds.min.is_nan() || bounds.min <= 0.0 {
            return false;
        }
        let (left, right) = (&self.nodes[k], &self.nodes[k + 1]);
        let Some((log_slope_min, log_slope_max)) =
            self.d.pdf_log_derivative_bounds(left.z, right.z)
        else {
            return false;
        };
        let width = right.z - left.z;
        // The largest of `r e^{−c h} + (1 − e^{−c h})/c` over `h ∈ [0, w]`.
        // Where the bound overflows (a density that may rise by more than
        // `e^709` across the cell), it is infinite, and the cell is not
        // certified: a ratio of 0 (at the support's end) times an infinite
        // growth is no bound, and `f64::max` would drop the NaN it gives
        // (a cluster of width 2e-4 inside the last cell of a uniform was
        // certified so, and no pool made around it).
        let largest = |r: f64, c: f64| {
            let grown = if c == 0.0 {
                width
            } else {
                -(-c * width).exp_m1() / c
            };
            let decayed = if r == 0.0 {
                0.0
            } else {
                r * (-c * width).exp()
            };
            let reached = decayed + grown;
            if reached.is_nan() {
                f64::INFINITY
            } else {
                r.max(reached)
            }
        };
        match side {
            Side::Lower => {
                let ratio = left.cdf / left.pdf.1;
                1.0 + beta - beta * largest(ratio, log_slope_min) * log_slope_max >= 0.0
            }
            Side::Upper => {
                let ratio = right.sf / right.pdf.0;
                1.0 + beta + beta * largest(ratio, -log_slope_max) * log_slope_min >= 0.0
            }
        }
    }

    /// Bounds `(low, high)` on `side`'s raw type over cell `k`, from the
    /// density's bounds (infinite where the density may vanish).
    pub fn type_range(&self, side: Side, beta: f64, k: usize) -> (f64, f64) {
        let (a, b) = (&self.nodes[k], &self.nodes[k + 1]);
        let f = &self.bounds[k];
        let over = |num: f64, den: f64| {
            if num == 0.0 {
                0.0
            } else {
                num / den
            }
        };
        match side {
            Side::Upper => (
                a.z - beta * over(a.sf, f.min),
                b.z - beta * over(b.sf, f.max),
            ),
            Side::Lower => (
                a.z + beta * over(a.cdf, f.max),
                b.z + beta * over(b.cdf, f.min),
            ),
        }
    }
}

/// The distribution's closed forms at `z`, the partial moment left for
/// [`Mesh::fill_moments`].
fn node(d: &dyn EndowmentDistribution, z: f64) -> Node {
    let below_z = z.next_down();
    let (below, at) = (d.pdf(below_z), d.pdf(z));
    Node {
        z,
        cdf: d.cdf(z),
        sf: d.sf(z),
        moment: f64::NAN,
        pdf: (below, at),
        trend: below - d.pdf(below_z.next_down()),
    }
}

/// The cumulative closed forms at `z` alone (`F`, `1 − F`, the partial
/// moment): what a pool's mass and mean need at its ends. The density
/// values a mesh node carries for its jump test (three densities, which
/// for a mixture cost as much as the rest) are NaN, and the polish never
/// reads them.
pub(super) fn closed_forms(d: &dyn EndowmentDistribution, z: f64) -> Node {
    Node {
        z,
        cdf: d.cdf(z),
        sf: d.sf(z),
        moment: d.partial_moment(z),
        pdf: (f64::NAN, f64::NAN),
        trend: f64::NAN,
    }
}

/// The distribution's bounds on `[a, b]`, or, for a distribution that gives
/// none, the widened bounds of [`SAMPLES`] evenly spaced samples.
fn cell_bounds(d: &dyn EndowmentDistribution, a: f64, b: f64) -> DensityBounds {
    if let Some(bounds) = d.density_bounds(a, b) {
        return bounds;
    }
    let sampled = DensityBounds::of_points((0..SAMPLES).map(|k| {
        let z = a + (b - a) * k as f64 / (SAMPLES - 1) as f64;
        (d.pdf(z), d.pdf_derivative(z))
    }));
    let spread = 0.5 * (sampled.max - sampled.min);
    let slope_spread = 0.5 * (sampled.slope_max - sampled.slope_min);
    DensityBounds::new(
        (sampled.min - spread).max(0.0),
        sampled.max + spread,
        sampled.slope_min - slope_spread,
        sampled.slope_max + slope_spread,
    )
}

#[cfg(test)]
mod tests {
    use super::super::VirtualTypes;
    use super::*;
    use crate::distribution::{Mixture, TruncatedNormal};
    use crate::numerics::with_panel_cap;
    use std::sync::Arc;

    /// Two narrow modes at ±0.6: the valley between them holds
    /// probability of order e^{-70}, so its cells are integrated directly,
    /// and the density there is no polynomial (a one-panel rule is not
    /// exact on it).
    fn two_modes() -> Mixture {
        let part = |m: f64| -> Arc<dyn EndowmentDistribution> {
            Arc::new(TruncatedNormal::new(m, 0.05, -1.0, 1.0).unwrap())
        };
        Mixture::new(vec![(1.0, part(-0.6)), (1.0, part(0.6))]).unwrap()
    }

    /// A cell's direct integrals that the rule cannot bring to `quad_rel`
    /// (one panel allowed) leave their absolute error bound in
    /// `shortfall`: positive, and at most the cell's own mass times the
    /// type scale and weight (`|z − c| + β Δz ≤ 1.5` here); with the
    /// shipped cap the same cell meets `quad_rel` and leaves nothing.
    #[test]
    fn a_cell_short_of_its_accuracy_leaves_its_error() {
        let d = two_modes();
        let k_of = |m: &Mesh<'_>| m.nodes.iter().position(|n| n.z == 0.0).unwrap();
        let mut full = Mesh::new(&d);
        let k = k_of(&full);
        let [mass, ..] = full.direct(k, 0.5, 0.0);
        assert_eq!(full.shortfall, 0.0);
        assert!(mass > 0.0 && mass < 1e-15, "{mass}");
        let mut capped = Mesh::new(&d);
        with_panel_cap(1, || capped.direct(k, 0.5, 0.0));
        assert!(capped.shortfall > 0.0, "{}", capped.shortfall);
        assert!(
            capped.shortfall <= 1.5 * mass,
            "{} {mass}",
            capped.shortfall
        );
    }

    /// The ironing carries the shortfall as its `quad_error`, relative to
    /// the type scale (what `SolveStatus::quadrature_error` reports); with
    /// the shipped cap it is 0 and the class is ironed the same way.
    #[test]
    fn the_ironing_carries_a_shortfall_as_its_quadrature_error() {
        let d = two_modes();
        let tol = Tolerances::DEFAULT;
        let full = VirtualTypes::new(&d, 0.5, &tol).unwrap();
        assert!(!full.is_regular());
        assert_eq!(full.quad_error(), 0.0);
        let capped = with_panel_cap(1, || VirtualTypes::new(&d, 0.5, &tol)).unwrap();
        assert!(capped.quad_error() > 0.0);
        assert!(capped.quad_error() < 1e-12, "{}", capped.quad_error());
    }

    /// The certificate from bounds on `f'/f` is sound: on every cell of a
    /// mesh of two normals (σ = 0.15, means ±0.5; the first mesh split
    /// three times over) where it certifies a side, that side's raw type,
    /// sampled at 401 points, does not fall (beyond rounding), at weights
    /// from 0.01 to 4. And it certifies what the density's bounds cannot:
    /// at β = 1 the lower type on the far-tail cell next to −1, where the
    /// density changes by a factor of 11 across the cell.
    #[test]
    fn the_log_slope_certificate_holds_where_it_certifies() {
        let part = |m: f64| -> Arc<dyn EndowmentDistribution> {
            Arc::new(TruncatedNormal::new(m, 0.15, -1.0, 1.0).unwrap())
        };
        let d = Mixture::new(vec![(1.0, part(-0.5)), (1.0, part(0.5))]).unwrap();
        let mut mesh = Mesh::new(&d);
        for _ in 0..3 {
            let all: Vec<usize> = (0..mesh.cells()).collect();
            mesh.split(&all);
        }
        let mut only_by_log_slope = 0;
        for beta in [0.01, 0.5, 1.0, 4.0] {
            for side in [Side::Lower, Side::Upper] {
                let raw = |z: f64| match side {
                    Side::Lower => super::super::lower(&d, beta, z),
                    Side::Upper => super::super::upper(&d, beta, z),
                };
                for k in 0..mesh.cells() {
                    if !mesh.certified_by_log_slope(side, beta, k) {
                        continue;
                    }
                    if !mesh.certified(side, beta, k) {
                        only_by_log_slope += 1;
                    }
                    let (a, b) = (mesh.nodes[k].z, mesh.nodes[k + 1].z);
                    let at = |i: usize| a + (b - a) * i as f64 / 400.0;
                    for i in 0..400 {
                        let (g0, g1) = (raw(at(i)), raw(at(i + 1)));
                        assert!(
                            g1 >= g0 - 1e-12 * (1.0 + g0.abs()),
                            "{side:?} at β = {beta} falls from {g0} to {g1} in [{a}, {b}]"
                        );
                    }
                }
            }
        }
        assert!(only_by_log_slope > 0);
        let mesh = Mesh::new(&d);
        assert!(!mesh.certified(Side::Lower, 1.0, 0));
        assert!(mesh.certified_by_log_slope(Side::Lower, 1.0, 0));
    }

    /// A cluster (σ = 2e-4) inside the last cell of a uniform population:
    /// the upper type falls across the cluster's upper flank, so neither
    /// certificate may hold on that cell. The log-slope bound there, from
    /// a hazard ratio of 0 at the support's end times a growth of
    /// `e^{3000}`, is infinite; computed as `0 · ∞` it was NaN, which
    /// `f64::max` dropped, and the cell was certified.
    #[test]
    fn a_log_slope_bound_that_overflows_certifies_nothing() {
        let at = 0.8761;
        let d = Mixture::new(vec![
            (
                0.998,
                Arc::new(crate::distribution::Uniform::new(-1.0, 1.0).unwrap())
                    as Arc<dyn EndowmentDistribution>,
            ),
            (
                0.002,
                Arc::new(TruncatedNormal::new(at, 2e-4, -1.0, 1.0).unwrap()),
            ),
        ])
        .unwrap();
        let mesh = Mesh::new(&d);
        let k = mesh.cells() - 1;
        assert!(mesh.nodes[k].z < at && at < mesh.nodes[k + 1].z);
        // The raw type falls inside the cell.
        let h = |z: f64| super::super::upper(&d, 1.0, z);
        assert!(h(at + 1e-3) < h(at) - 0.1, "{} {}", h(at), h(at + 1e-3));
        assert!(!mesh.certified(Side::Upper, 1.0, k));
        assert!(!mesh.certified_by_log_slope(Side::Upper, 1.0, k));
    }
}
