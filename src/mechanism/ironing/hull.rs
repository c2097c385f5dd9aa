//! The greatest convex minorant of a set of points in quantile space, and a
//! bound on how far the true curve can fall below it inside one cell.
//!
//! The curve is `u ↦ G(u) = ∫_0^u g(F⁻¹(t)) dt`, known at the mesh's nodes as
//! the points `(F(z_k), ∫_lo^{z_k} g f)`. Their lower convex hull is found by
//! the monotone chain in one pass (the nodes come sorted by `z`, so by `u`).
//! Its slopes are non-decreasing by construction.

/// The curve at the mesh's nodes as increments per cell, `du_k` in quantile
/// and `dc_k` in `G`, with their running sums.
///
/// Differences between points come from [`Profile::span`]: from the running
/// sums where they are well conditioned, and by summing the increments in
/// between where the span is far smaller than the sums (a stretch with
/// almost no probability, whose increments would vanish in the running
/// sums' rounding).
#[derive(Debug, Clone)]
pub(super) struct Profile {
    du: Vec<f64>,
    dc: Vec<f64>,
    u: Vec<f64>,
    c: Vec<f64>,
    /// Per cell, the coefficient of `β` in `dc` (the sign of the limit
    /// `β → 0⁺`): empty when not given.
    dt: Vec<f64>,
}

impl Profile {
    /// The profile of the given per-cell increments.
    pub fn new(du: Vec<f64>, dc: Vec<f64>) -> Self {
        let mut u = Vec::with_capacity(du.len() + 1);
        let mut c = Vec::with_capacity(du.len() + 1);
        let (mut su, mut sc) = (0.0, 0.0);
        u.push(su);
        c.push(sc);
        for (a, b) in du.iter().zip(&dc) {
            su += a;
            sc += b;
            u.push(su);
            c.push(sc);
        }
        Self {
            du,
            dc,
            u,
            c,
            dt: Vec::new(),
        }
    }

    /// The profile with, per cell, the coefficient `dt` of the weight `β`
    /// in its increment: `∫ F dz` for the lower type, `−∫ (1 − F) dz` for
    /// the upper one. It breaks ties the increments cannot resolve, as the
    /// limit `β → 0⁺` does (see [`lower_hull`]).
    pub fn with_weight_part(mut self, dt: Vec<f64>) -> Self {
        debug_assert_eq!(dt.len(), self.du.len());
        self.dt = dt;
        self
    }

    /// The slope of the weight's part over the span from `i` to `j > i`
    /// (0 when not given).
    fn weight_slope(&self, i: usize, j: usize, du: f64) -> f64 {
        if self.dt.is_empty() {
            0.0
        } else {
            self.dt[i..j].iter().sum::<f64>() / du
        }
    }

    /// Number of points (cells + 1).
    pub fn len(&self) -> usize {
        self.u.len()
    }

    /// The largest magnitude of the curve: its rounding is a few ulps of it.
    pub fn size(&self) -> f64 {
        self.c.iter().fold(0.0_f64, |m, v| m.max(v.abs()))
    }

    /// Whether every value is a finite number; the first node where one is
    /// not otherwise.
    pub fn first_non_finite(&self) -> Option<usize> {
        (0..self.len()).find(|&k| !(self.u[k].is_finite() && self.c[k].is_finite()))
    }

    /// `(u_j − u_i, G_j − G_i)` for `i ≤ j`.
    pub fn span(&self, i: usize, j: usize) -> (f64, f64) {
        let exact = |sums: &[f64], parts: &[f64]| {
            let diff = sums[j] - sums[i];
            let size = sums[i].abs().max(sums[j].abs());
            if diff.abs() > 1e6 * f64::EPSILON * size {
                diff
            } else {
                parts[i..j].iter().sum()
            }
        };
        (exact(&self.u, &self.du), exact(&self.c, &self.dc))
    }

    /// The slope of the chord from point `i` to point `j > i`.
    pub fn slope(&self, i: usize, j: usize) -> f64 {
        let (du, dc) = self.span(i, j);
        dc / du
    }

    /// How far point `k` lies above the line of slope `m` through point `i`.
    pub fn above(&self, i: usize, m: f64, k: usize) -> f64 {
        if k >= i {
            let (du, dc) = self.span(i, k);
            dc - m * du
        } else {
            let (du, dc) = self.span(k, i);
            m * du - dc
        }
    }
}

/// The indices of the points on the lower convex hull of the profile's
/// points, in order. Of points with equal `u` (a stretch of the support
/// without probability) only the lowest can be a vertex, and of points
/// equal within the increments' resolution the last if `ties_to_later`
/// (the upper type, whose curve falls across such a stretch), else the
/// first (the lower type, whose curve rises); points on a hull edge are
/// not vertices.
///
/// Each slope is known within bounds ([`slope_bounds`]). Where the bounds
/// of two neighbouring spans overlap, the increments cannot tell whether
/// the middle point is a vertex, and the weight's part of the increments
/// decides (the slopes of [`Profile::with_weight_part`]'s `dt`; without
/// them the point is dropped). That is the limit `β → 0⁺`, and it is what
/// decides beside a stretch of a few subnormal quanta of mass: there the
/// mass, and so the slope, is unknown, while the weight's part, `β ∫ F dz`
/// for the lower type over a stretch of positive width, is a rise the hull
/// must see however small `β` is, including 0. Taken as noise it let a
/// gap's types pool with those below them at `β ≤ 1e-305` and with those
/// above at `β ≥ 1e-304`, and revenue jumped between
/// (`ironing_search ordinary 20000 31`, market 10473).
pub(super) fn lower_hull(p: &Profile, ties_to_later: bool) -> Vec<usize> {
    let mut hull: Vec<usize> = Vec::with_capacity(p.len());
    for k in 0..p.len() {
        if let Some(&last) = hull.last() {
            let (du, dc) = p.span(last, k);
            if du == 0.0 {
                // Equal `u`: the lower point is the vertex. An increment
                // within the resolution of the increments (see
                // [`slope_bounds`]) has no sign, and the tie goes the side's
                // way: across a stretch without probability the curve's
                // exact increment is the weight's part alone, `β ∫ F ≥ 0`
                // for the lower type and `−β ∫ (1 − F) ≤ 0` for the upper.
                // (One subnormal quantum below 0 over the first 31 type
                // units of a support, which carry no probability in `f64`,
                // taken as a fall, dropped that stretch from the hull, and
                // its raw type, which falls there, went unpooled:
                // `ironing_search harsh 3000 251`, market 2130.)
                let tie = dc.abs() <= RESOLUTION_QUANTA * f64::from_bits(1);
                if (tie && ties_to_later) || (!tie && dc < 0.0) {
                    hull.pop();
                } else {
                    continue;
                }
            }
        }
        while hull.len() >= 2 {
            let (i, j) = (hull[hull.len() - 2], hull[hull.len() - 1]);
            // j is not a vertex if it lies on or above the segment from i to
            // k: if the slope from j to k is at most the slope from i to j.
            // (Compared as slopes, not by the cross product
            // `Δu_ij Δc_jk − Δc_ij Δu_jk`: where a stretch holds almost no
            // probability, `Δu` may be 1e-260 beside 1e-7, and the product
            // underflows to 0, which would drop a true vertex.) Both `Δu`
            // are positive: equal `u` were settled above. Slopes whose
            // bounds overlap are told apart by the weight's part.
            let (a, b) = (p.span(i, j), p.span(j, k));
            let (a_lo, a_hi) = slope_bounds(a.0, a.1);
            let (b_lo, b_hi) = slope_bounds(b.0, b.1);
            let drop = if b_hi <= a_lo {
                true
            } else if b_lo > a_hi {
                false
            } else {
                p.weight_slope(j, k, b.0) <= p.weight_slope(i, j, a.0)
            };
            if drop {
                hull.pop();
            } else {
                break;
            }
        }
        hull.push(k);
    }
    hull
}

/// How many of the smallest subnormal doubles an increment of the profile
/// is taken as known to (see [`slope_bounds`]).
const RESOLUTION_QUANTA: f64 = 64.0;

/// Bounds on the slope `Δc/Δu` of a span from the absolute resolution of
/// its increments alone: a mass or increment below the smallest normal double
/// (2.2e-308) is subnormal, a multiple of the smallest one (4.9e-324), with
/// fewer significant bits the smaller it is (1e-320 has about 11), and the
/// tails and densities it comes from have underflowed to that quantum too.
/// Each increment is taken as known to [`RESOLUTION_QUANTA`] quanta, and the
/// bounds are the extreme ratios over those ranges (unbounded on a side
/// where the mass could be 0). Far in a tail that underflows at the
/// type's own end (`H` near the support's upper end), slopes over masses
/// of 1e-320 differ in their fourth digit by rounding alone, and taken as
/// vertices they cut the tail into pools and raw stretches whose raw type
/// cannot be evaluated (`ironing_search ordinary 20000 11`, market 158: the
/// interim allocation rose). Above 1e-300 the resolution is below 1e-20 of
/// the slope, so true vertices there are kept: a pool that starts in a
/// tail of 1e-290 below a jump of the density (`ordinary 20000 11`, market
/// 10185) needs vertices over masses near 1e-300, which a resolution of
/// `f64::MIN_POSITIVE / du` (tried first) dropped.
fn slope_bounds(du: f64, dc: f64) -> (f64, f64) {
    let e = RESOLUTION_QUANTA * f64::from_bits(1);
    let (c_lo, c_hi) = (dc - e, dc + e);
    let (u_lo, u_hi) = (du - e, du + e);
    if u_lo <= 0.0 {
        (
            if c_lo >= 0.0 {
                c_lo / u_hi
            } else {
                f64::NEG_INFINITY
            },
            if c_hi <= 0.0 {
                c_hi / u_hi
            } else {
                f64::INFINITY
            },
        )
    } else {
        (
            if c_lo >= 0.0 {
                c_lo / u_hi
            } else {
                c_lo / u_lo
            },
            if c_hi >= 0.0 {
                c_hi / u_lo
            } else {
                c_hi / u_hi
            },
        )
    }
}

/// What is known of the curve on one cell `[u_a, u_b]` (of width `du` in
/// quantile and `dz` in type) and of the hull line over it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Cell {
    /// Width in quantile, `F(z_b) − F(z_a)`.
    pub du: f64,
    /// Heights of the curve above the hull line at the cell's two ends
    /// (non-negative up to rounding).
    pub above: (f64, f64),
    /// Slope of the hull line over the cell.
    pub slope: f64,
    /// Bounds on the curve's slope `g` inside the cell (possibly infinite).
    pub range: (f64, f64),
    /// A bound on `|∫_{z_a}^{z} (g − slope) f|` for every `z` in the cell
    /// that needs no bound on `g` (finite where the density vanishes).
    pub drift: f64,
}

/// An upper bound on how far the curve can fall below the hull line inside
/// the cell: 0 when it cannot. The smaller of two bounds:
///
/// * from the slope's range `[l, h]`: the curve lies above both lines
///   `G(u_a) + l (u − u_a)` and `G(u_b) − h (u_b − u)`, whose upper envelope
///   is lowest where they cross;
/// * from the drift: the curve differs from the line through either end by
///   at most `drift`, so it is above the hull line by at least
///   `max(above) − drift`.
pub(super) fn deficit(cell: &Cell) -> f64 {
    let (ea, eb) = (cell.above.0.max(0.0), cell.above.1.max(0.0));
    let by_drift = (cell.drift - ea.max(eb)).max(0.0);
    let (l, h) = cell.range;
    let m = cell.slope;
    let by_range = if l >= m || h <= m {
        // The curve leaves one end at or above the line and cannot come
        // back below it (or, symmetrically, reaches the other end so).
        0.0
    } else if l.is_finite() && h.is_finite() {
        // Lines e_a + (l − m) t and e_b − (h − m) s, t + s = du, crossing
        // at t = ((h − m) du + e_a − e_b)/(h − l) and s = ((m − l) du + e_b
        // − e_a)/(h − l). Each is computed from its own formula, not as du
        // minus the other: where one slope bound is huge (1e18, or 1e78
        // where the density is 1e-178 at one end of the cell) one of them
        // rounds to du and the other, as a difference, to 0, and the
        // crossing's depth was lost: a cell whose raw type rises above the
        // next pool's level went unsplit and the virtual value fell across
        // a jump of the density (`ironing_search ordinary 20000 31`,
        // market 427).
        let t = (((h - m) * cell.du + ea - eb) / (h - l)).clamp(0.0, cell.du);
        let s = (((m - l) * cell.du + eb - ea) / (h - l)).clamp(0.0, cell.du);
        let low = (ea + (l - m) * t).max(eb - (h - m) * s);
        (-low).max(0.0)
    } else {
        f64::INFINITY
    };
    let bound = by_range.min(by_drift);
    if bound.is_nan() {
        f64::INFINITY
    } else {
        bound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hull against brute force: a point is a vertex exactly when no
    /// segment between two other points passes strictly below it.
    #[test]
    fn lower_hull_agrees_with_brute_force() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..300 {
            let n = 3 + (next() * 12.0) as usize;
            let mut u: Vec<f64> = (0..n).map(|_| (next() * 8.0).floor() / 8.0).collect();
            u.sort_by(f64::total_cmp);
            let c: Vec<f64> = (0..n).map(|_| (next() * 16.0).floor() / 16.0).collect();
            let mut du = vec![];
            let mut dc = vec![];
            for k in 1..n {
                du.push(u[k] - u[k - 1]);
                dc.push(c[k] - c[k - 1]);
            }
            let mut c = c.clone();
            // The profile starts at the origin: shift the points to it.
            let c0 = c[0];
            c.iter_mut().for_each(|v| *v -= c0);
            let u0 = u[0];
            let u: Vec<f64> = u.iter().map(|v| v - u0).collect();
            let hull = lower_hull(&Profile::new(du, dc), true);
            // The hull as a function of u, evaluated at every point.
            let at = |x: f64| -> f64 {
                let w = hull.windows(2).find(|w| u[w[0]] <= x && x <= u[w[1]]);
                match w {
                    Some(w) if u[w[1]] > u[w[0]] => {
                        c[w[0]] + (c[w[1]] - c[w[0]]) * (x - u[w[0]]) / (u[w[1]] - u[w[0]])
                    }
                    Some(w) => c[w[0]].min(c[w[1]]),
                    None => c[hull[0]],
                }
            };
            // No point lies below the hull, and the hull's slopes rise.
            for k in 0..n {
                assert!(c[k] >= at(u[k]) - 1e-12, "point {k} below the hull");
            }
            let slopes: Vec<f64> = hull
                .windows(2)
                .map(|w| (c[w[1]] - c[w[0]]) / (u[w[1]] - u[w[0]]))
                .collect();
            assert!(
                slopes.windows(2).all(|s| s[0] <= s[1] + 1e-12),
                "{slopes:?}"
            );
            // Every vertex lies strictly below every chord of other points
            // spanning it (brute force over pairs).
            for &v in &hull {
                for i in 0..n {
                    for j in 0..n {
                        if u[i] < u[v] && u[v] < u[j] {
                            let chord = c[i] + (c[j] - c[i]) * (u[v] - u[i]) / (u[j] - u[i]);
                            assert!(c[v] < chord + 1e-12);
                        }
                    }
                }
            }
        }
    }

    /// Points a stretch of almost no probability apart: a cross product of
    /// their increments (1e-260 × 1e-260) underflows to 0, so the vertices
    /// must be found by comparing slopes.
    #[test]
    fn vertices_a_tiny_probability_apart_are_kept() {
        // Slopes −1, −0.5 and 0.5: every point is a vertex.
        let p = Profile::new(vec![1e-260, 1e-260, 1e-7], vec![-1e-260, -0.5e-260, 0.5e-7]);
        assert_eq!(lower_hull(&p, true), vec![0, 1, 2, 3]);
        // Slopes −0.5, −1: the middle point is above the chord.
        let p = Profile::new(vec![1e-260, 1e-260], vec![-0.5e-260, -1e-260]);
        assert_eq!(lower_hull(&p, true), vec![0, 2]);
    }

    /// Points at equal `u` whose increment is a subnormal quantum of the
    /// wrong sign for the side (rounding: across no probability the lower
    /// type's curve can only rise) tie, and the tie goes the side's way;
    /// an increment beyond the resolution keeps its sign.
    #[test]
    fn equal_u_within_the_resolution_ties_the_sides_way() {
        let quantum = f64::from_bits(1);
        let p = Profile::new(vec![0.0, 0.0, 0.5], vec![0.0, -quantum, 0.25]);
        // The lower type keeps the first of the three, the upper the last.
        assert_eq!(lower_hull(&p, false), vec![0, 3]);
        assert_eq!(lower_hull(&p, true), vec![2, 3]);
        // A fall of a quarter is a fall whichever the side.
        let p = Profile::new(vec![0.0, 0.5], vec![-0.25, 0.25]);
        assert_eq!(lower_hull(&p, false), vec![1, 2]);
    }

    /// Cells of subnormal mass (1e-320: about 11 significant bits) whose
    /// slopes differ in the third digit, within the resolution of their
    /// increments: they are one edge, from the last resolved vertex (2, where
    /// the slope rises from 0.5 to 0.61, far more than that) to the end,
    /// not a chain of vertices (which a comparison without the resolution
    /// finds: 0, 1, 2, 4, 5).
    #[test]
    fn slopes_over_subnormal_masses_are_not_vertices() {
        let p = Profile::new(
            vec![0.5, 0.5, 3e-320, 2e-320, 4e-320],
            vec![-0.25, 0.25, 1.83e-320, 1.21e-320, 2.46e-320],
        );
        assert_eq!(lower_hull(&p, true), vec![0, 1, 2, 5]);
    }

    /// The range bound is exact for the extreme curve it describes: a curve
    /// with slope `l` then `h` that meets both ends.
    #[test]
    fn deficit_from_the_range_is_attained() {
        let cell = Cell {
            du: 1.0,
            above: (0.0, 0.0),
            slope: 0.0,
            range: (-1.0, 3.0),
            drift: f64::INFINITY,
        };
        // Slope −1 until t = 3/4, then 3: the lowest point is −3/4.
        assert!((deficit(&cell) - 0.75).abs() < 1e-15);
        // A curve that starts above the line by more than the drift cannot
        // reach it.
        let lifted = Cell {
            above: (0.5, 0.0),
            drift: 0.4,
            ..cell
        };
        assert_eq!(deficit(&lifted), 0.0);
        // A slope range entirely above the line's slope: no deficit.
        let rising = Cell {
            range: (0.5, 3.0),
            ..cell
        };
        assert_eq!(deficit(&rising), 0.0);
    }
}
