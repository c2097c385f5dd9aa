//! Queries of the ironed types: their values, the generalised inverses that
//! give the binding interval, and their integrals.

use super::raw::{
    crossing_double, lower_inverse, raw, raw_integral, raw_with_slope, solve_increasing,
    upper_inverse,
};
use super::{reaches, Gap, Pool, Side, VirtualTypes};
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
            guess.clamp(p, q),
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
