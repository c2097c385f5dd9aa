//! Queries of the ironed types: their values, the generalised inverses that
//! give the binding interval, and their integrals.

use super::raw::{
    crossing_double, lower_inverse, raw, raw_integral, raw_with_slope, solve_increasing,
    upper_inverse,
};
use super::{reaches, Gap, Pool, Sample, Side, VirtualTypes};
use crate::distribution::EndowmentDistribution;
use crate::numerics::{NumericalError, RootError, RootMethod};

impl VirtualTypes {
    fn pools(&self, side: Side) -> &[Pool] {
        match side {
            Side::Lower => &self.lower,
            Side::Upper => &self.upper,
        }
    }

    /// The pool of `side` containing `z`, if any.
    fn pool_at(&self, side: Side, z: f64) -> Option<&Pool> {
        let pools = self.pools(side);
        let k = pools.partition_point(|p| p.b < z);
        pools.get(k).filter(|p| p.a <= z)
    }

    /// `L̂(z)` or `Ĥ(z)`.
    pub fn value(&self, d: &dyn EndowmentDistribution, side: Side, z: f64) -> f64 {
        match self.pool_at(side, z) {
            Some(p) => p.value,
            None => raw(d, self.beta, side, z),
        }
    }

    /// `Z_a = inf { z : L̂(z) ≥ η }` (the support's upper end if none),
    /// clamped to the support.
    pub fn lower_inverse(
        &self,
        d: &dyn EndowmentDistribution,
        eta: f64,
        guess: f64,
        rel: f64,
        method: RootMethod,
    ) -> Result<f64, RootError> {
        if self.lower.is_empty() {
            return lower_inverse(d, self.beta, self.ends.0, eta, guess, rel, method);
        }
        if eta <= d.support().0 {
            return Ok(d.support().0);
        }
        self.first_reaching(d, Side::Lower, eta, guess, rel, method)
    }

    /// `Z_b = sup { z : Ĥ(z) ≤ η }` (the support's lower end if none),
    /// clamped to the support.
    pub fn upper_inverse(
        &self,
        d: &dyn EndowmentDistribution,
        eta: f64,
        guess: f64,
        rel: f64,
        method: RootMethod,
    ) -> Result<f64, RootError> {
        if self.upper.is_empty() {
            return upper_inverse(d, self.beta, self.ends.1, eta, guess, rel, method);
        }
        if eta >= d.support().1 {
            return Ok(d.support().1);
        }
        self.first_reaching(d, Side::Upper, eta, guess, rel, method)
    }

    /// The stretches of `side` between its pools, in order, the last one
    /// ending at the support's upper end (see [`Gap`]).
    fn gaps(&self, d: &dyn EndowmentDistribution, side: Side) -> &[Gap] {
        let cell = match side {
            Side::Lower => &self.tables.lower_gaps,
            Side::Upper => &self.tables.upper_gaps,
        };
        cell.get_or_init(|| {
            let (lo, hi) = d.support();
            let gap = |p: f64, q: f64| Gap {
                p,
                q,
                at_p: raw(d, self.beta, side, p),
                at_q: raw(d, self.beta, side, q),
            };
            let mut start = lo;
            let mut out = Vec::with_capacity(self.pools(side).len() + 1);
            for pool in self.pools(side) {
                // The raw type applies on `[start, p.a)`: the pool's start
                // is the pool's, and where the density vanishes there (a
                // pool across a gap) the raw type at it is infinite.
                out.push(gap(start, pool.a.next_down()));
                start = pool.b;
            }
            out.push(gap(start, hi));
            out
        })
    }

    /// The first type whose ironed `side` type reaches `eta` (see
    /// [`reaches`]), walking the gaps and pools in order; the support's
    /// upper end if none does.
    fn first_reaching(
        &self,
        d: &dyn EndowmentDistribution,
        side: Side,
        eta: f64,
        guess: f64,
        rel: f64,
        method: RootMethod,
    ) -> Result<f64, RootError> {
        let gaps = self.gaps(d, side);
        for (gap, pool) in gaps.iter().zip(self.pools(side)) {
            if let Some(z) = self.gap_crossing(d, side, eta, gap, guess, rel, method)? {
                return Ok(z);
            }
            if reaches(side, pool.value, eta) {
                return Ok(pool.a);
            }
        }
        // Not a fallback: the ironed type is non-decreasing and no pool or
        // gap after the last one reaches `eta`, so the first point where
        // it does is beyond the support and the answer is its upper end.
        let last = gaps.last().expect("a stretch follows the last pool");
        Ok(self
            .gap_crossing(d, side, eta, last, guess, rel, method)?
            .unwrap_or(d.support().1))
    }

    /// On a gap between pools, where the raw type is non-decreasing: the
    /// first point where it reaches `eta` (`L`: where `L ≥ eta`; `H`: where
    /// `H > eta`, so that `sup {Ĥ ≤ eta}` is found as `inf {Ĥ > eta}`), if
    /// it does.
    #[allow(clippy::too_many_arguments)]
    fn gap_crossing(
        &self,
        d: &dyn EndowmentDistribution,
        side: Side,
        eta: f64,
        gap: &Gap,
        guess: f64,
        rel: f64,
        method: RootMethod,
    ) -> Result<Option<f64>, RootError> {
        let &Gap { p, q, at_p, at_q } = gap;
        if q < p {
            return Ok(None);
        }
        if reaches(side, at_p, eta) {
            return Ok(Some(p));
        }
        if !reaches(side, at_q, eta) {
            return Ok(None);
        }
        let (z, at) = solve_increasing(
            |z| raw_with_slope(d, self.beta, side, z),
            eta,
            p,
            q,
            self.start(side, eta, guess, (p, q)),
            rel,
            method,
            false,
        )?;
        // The crossing on the double where the raw type reaches `eta`, on
        // whichever side of it the root stopped (see `crossing_double`).
        Ok(Some(crossing_double(
            d,
            self.beta,
            side,
            eta,
            (z, at),
            (p, q),
            rel,
        )))
    }

    /// Where a search for the crossing of `eta` by `side`'s raw type on
    /// `[p, q]` (where it rises) starts: `guess`, the crossing at the last
    /// level searched, if the [`Samples`](super::Samples) put the crossing in the cell
    /// holding it; else the chord's crossing in the cell they put it in,
    /// as a first trial's guess, from another level, can lie a whole
    /// support away (the ironing bench's bimodal classes took ten or
    /// eleven evaluations a side from there; from the chord, six). Only a
    /// start: the search brackets the root on `[p, q]` itself, so samples
    /// off by their rounding cost a step, not an answer.
    fn start(&self, side: Side, eta: f64, guess: f64, (p, q): (f64, f64)) -> f64 {
        let value = |s: &Sample| match side {
            Side::Lower => s.lower,
            Side::Upper => s.upper,
        };
        let samples = &self.samples.0;
        let first = samples.partition_point(|s| s.z <= p);
        let end = samples.partition_point(|s| s.z < q);
        if first >= end {
            return guess.clamp(p, q);
        }
        let inside = &samples[first..end];
        // The cell `[a, b]` of the samples (or of `p`, `q` at the ends)
        // with the crossing in it: its lower end has not reached `eta`,
        // its upper end has (the raw type rises on `[p, q]`).
        let cell = |k: usize| {
            let a = k
                .checked_sub(1)
                .map_or((p, f64::NAN), |j| (inside[j].z, value(&inside[j])));
            let b = inside.get(k).map_or((q, f64::NAN), |s| (s.z, value(s)));
            (a, b)
        };
        let holds = |k: usize| {
            let ((_, at_a), (_, at_b)) = cell(k);
            !reaches(side, at_a, eta) && (k == inside.len() || reaches(side, at_b, eta))
        };
        // The usual case, a guess from a nearby level: the cell holding it.
        let k = inside.partition_point(|s| s.z < guess);
        if (p..=q).contains(&guess) && holds(k) {
            return guess;
        }
        let k = inside
            .iter()
            .position(|s| reaches(side, value(s), eta))
            .unwrap_or(inside.len());
        let ((a, at_a), (b, at_b)) = cell(k);
        let chord = a + (b - a) * (eta - at_a) / (at_b - at_a);
        if chord.is_finite() {
            chord.clamp(a, b)
        } else {
            0.5 * (a + b)
        }
    }

    /// The pieces of `[a, b]` in order: `(from, to, Some(value))` on a pool
    /// of `side`, `(from, to, None)` where the raw type applies.
    pub fn pieces(&self, side: Side, a: f64, b: f64) -> Vec<(f64, f64, Option<f64>)> {
        let mut out = Vec::new();
        if b <= a {
            return out;
        }
        let mut start = a;
        for p in self.pools(side) {
            if p.b <= start || p.a >= b {
                continue;
            }
            if p.a > start {
                out.push((start, p.a, None));
            }
            let end = p.b.min(b);
            out.push((start.max(p.a), end, Some(p.value)));
            start = end;
        }
        if start < b {
            out.push((start, b, None));
        }
        out
    }

    /// `∫_a^b L̂(s) ds` or `∫_a^b Ĥ(s) ds`; an error where the quadrature
    /// of a raw stretch falls short of `quad_rel`.
    pub fn integral(
        &self,
        d: &dyn EndowmentDistribution,
        side: Side,
        a: f64,
        b: f64,
    ) -> Result<f64, NumericalError> {
        self.pieces(side, a, b)
            .into_iter()
            .map(|(p, q, v)| match (v, side) {
                (Some(v), _) => Ok(v * (q - p)),
                (None, side) => raw_integral(d, self.beta, side, (p, q), self.table(d, side)),
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::super::raw::raw;
    use super::super::{two_modes, Samples, Screen, Side};
    use crate::mechanism::virtual_value::at_eta;
    use crate::numerics::{RootMethod, Tolerances};

    /// A first inversion, whose guess comes from another level a support
    /// away, starts in the samples' cell that holds the crossing (found
    /// here by bisection of the raw type), and gives the binding interval
    /// of a search from the far guess itself, to the root tolerance.
    #[test]
    fn an_inversion_from_far_away_starts_in_its_crossings_cell() {
        let tol = Tolerances::DEFAULT;
        for mu in [-0.3, 0.0, 0.2] {
            let d = two_modes(mu);
            let types = Screen::new(&d, 1.0, &tol).types();
            assert!(!types.lower.is_empty() && !types.upper.is_empty());
            let mut plain = types.clone();
            plain.samples = Samples::default();
            let cells: Vec<f64> = types.samples.0.iter().map(|s| s.z).collect();
            assert!(cells.len() > 8);
            for side in [Side::Lower, Side::Upper] {
                // The raw stretch next to the side's end, and the level range
                // the raw type covers on it.
                let (p, q) = match side {
                    Side::Lower => (-1.0, types.lower[0].a.next_down()),
                    Side::Upper => (types.upper[0].b, 1.0),
                };
                let at = |z: f64| raw(&d, 1.0, side, z);
                for t in [0.1, 0.3, 0.5, 0.7, 0.9] {
                    let eta = at(p) + t * (at(q) - at(p));
                    let (mut a, mut b) = (p, q);
                    while b - a > 1e-14 {
                        let m = 0.5 * (a + b);
                        if at(m) < eta {
                            a = m;
                        } else {
                            b = m;
                        }
                    }
                    // The end of the stretch farther from the crossing.
                    let far = if q - a > a - p { q } else { p };
                    let start = types.start(side, eta, far, (p, q));
                    let k = cells.partition_point(|&z| z <= a);
                    let (lo, hi) = (
                        cells[k.saturating_sub(1)].max(p),
                        cells[k.min(cells.len() - 1)].min(q),
                    );
                    assert!(
                        lo <= start && start <= hi,
                        "mu {mu}, {side:?}, eta {eta}: start {start} outside [{lo}, {hi}] (crossing {a})"
                    );
                    let guess = (far, far);
                    let sampled =
                        at_eta(&d, &types, eta, guess, 1e-12, RootMethod::Newton).unwrap();
                    let without =
                        at_eta(&d, &plain, eta, guess, 1e-12, RootMethod::Newton).unwrap();
                    let near = |x: f64, y: f64| (x - y).abs() <= 4e-12;
                    assert!(
                        near(sampled.za, without.za) && near(sampled.zb, without.zb),
                        "mu {mu}, {side:?}, eta {eta}: {sampled:?} against {without:?}"
                    );
                    let crossing = if side == Side::Lower {
                        sampled.za
                    } else {
                        sampled.zb
                    };
                    assert!((crossing - b).abs() <= 1e-11, "{crossing} against {b}");
                }
            }
        }
    }
}
