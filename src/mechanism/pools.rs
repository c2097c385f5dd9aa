//! The pooled (ironed) intervals of a solved mechanism, each with its
//! probability mass and what pooling it costs the objective.
//!
//! **The bound.** Fix the weight `β` and the levels `η`. A class's share of
//! the `β`-objective is `c_i n_i J_i(V_i)` with `J(V) = ∫ φ_s(V(s)) ds`,
//! `φ_s(v) = f(s)(−v²/2 + H(s) v) − β (η − v)⁺` (`docs/theory.md`, §2a) and
//! `c_i = (1 − w_i)/κ_i = 1/κ_i − 1/K`: in the objective
//! `Σ_i E[−X_i²/2 − X_i H_i]/κ_i` with `X_i = −V_i + w_i Σ_j V_j`, the
//! coefficient of `−V_i²/2` is `(1 − w_i)²/κ_i + Σ_{j≠i} w_j²/κ_j =
//! (1 − w_i)/κ_i`. On a pool `[a, b]` above the binding interval `V` is the
//! constant `m`, the `f`-weighted mean of the raw upper type `H` there, and
//! `m > η`. Since `φ_s(v) ≤ f(−v²/2 + H v)` for every `v`, with equality at
//! `v = m`, restoring any values on the pool raises `J` by at most
//! `∫_a^b f (H²/2 − H m + m²/2) = ½ ∫_a^b (H − m)² f`, the pool's
//! `f`-weighted spread of the raw type; restoring `V = H` (the pool
//! removed) attains it when `H ≥ η` on the whole pool. Restoring `H`
//! leaves `E[V_i]` unchanged (`∫_a^b (H − m) f = 0`), so no level `η_j` and
//! no other class moves. Below the binding interval the same holds with
//! `L`, since `φ_s(v) ≤ f(−v²/2 + L v) − β η` with equality for `v ≤ η`.
//! So the objective with the pool removed exceeds the optimum by at most
//!
//! ```text
//! effect = (1 + λ) · n_i (1/κ_i − 1/K) · ½ ∫_a^b (g − m)² f,   g = H or L,
//! ```
//!
//! (`λ` the budget multiplier, zero unless the budget binds; removing a
//! pool is not feasible — the allocation would not be monotone — so the
//! effect is what the monotonicity constraint costs on that pool). A pool
//! whose effect is below [`NEGLIGIBLE_POOL`] of the market's objective scale
//! `Σ_i n_i (hi_i − lo_i)²/κ_i` is reported as negligible: estimates of
//! densities wiggle in their tails, and such pools are artefacts of the
//! estimate that do not matter for the market.

use super::OptimalMechanism;
use crate::distribution::{feature_breakpoints, probability_between};
use crate::mechanism::DirectMechanism;
use crate::numerics::{integrate_pieces_with_mass, Tolerances};

/// Pools whose [`Pool::objective_effect`] is below this fraction of the
/// market's objective scale `Σ_i n_i (hi_i − lo_i)²/κ_i` are negligible.
///
/// # Example
/// ```
/// assert!(exchange_design::mechanism::NEGLIGIBLE_POOL <= 1e-6);
/// ```
pub const NEGLIGIBLE_POOL: f64 = 1e-6;

/// One pooled interval of a class's virtual value.
///
/// # Example
/// See [`OptimalMechanism::pools`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Pool {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    /// The virtual value on the pool.
    pub level: f64,
    /// Probability of a type in the pool, `F(hi) − F(lo)`.
    pub mass: f64,
    /// How much more the objective would be with the pool removed (the raw
    /// type restored on it), at most; see the module documentation. Very
    /// large or infinite where the density approaches zero inside the pool
    /// (the raw type is unbounded there); a stretch of exactly zero density
    /// holds no types and adds nothing. The bound includes the estimated
    /// error of the spread's quadrature, which must be within
    /// `Tolerances::quad_rel` of the market's objective scale (what
    /// `negligible` compares with) or of the spread; where it is not, in
    /// practice where the density approaches zero so that the spread
    /// diverges or nearly does, the effect is infinite (no finite bound
    /// known).
    pub objective_effect: f64,
    /// Whether the effect is below [`NEGLIGIBLE_POOL`] of the market's
    /// objective scale.
    pub negligible: bool,
}

impl OptimalMechanism {
    /// The pooled intervals of class `class` (those of
    /// [`super::VirtualValue::ironed_intervals`]), each with its mass and
    /// its effect on the objective.
    ///
    /// # Panics
    /// If `class` is out of range (as [`OptimalMechanism::class`]).
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::PiecewiseLinear;
    /// use exchange_design::market::Market;
    /// use exchange_design::mechanism::OptimalMechanism;
    /// let d = PiecewiseLinear::new(
    ///     vec![-1.0, -0.8, -0.7, -0.6, 0.0, 0.6, 0.7, 0.8, 1.0],
    ///     vec![1.0, 1.0, 0.03, 1.0, 1.0, 1.0, 0.03, 1.0, 1.0],
    /// )?;
    /// let mech = OptimalMechanism::solve(&Market::symmetric(3, 1.0, d)?, 1.0)?;
    /// let pools = mech.pools(0);
    /// assert!(!pools.is_empty());
    /// for p in &pools {
    ///     assert!(p.mass > 0.0 && p.objective_effect > 0.0 && !p.negligible);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pools(&self, class: usize) -> Vec<Pool> {
        let c = self.class(class);
        let vv = c.virtual_value();
        let d = vv.distribution();
        let intervals = vv.ironed_intervals();
        if intervals.is_empty() {
            // The market's scale below sums over every class: computed for
            // every class of a report, pooled or not, it made a report of
            // 100 000 regular classes quadratic (71 s of its 74).
            return Vec::new();
        }
        let k_total = self.market().total_kappa();
        let scale: f64 = self
            .market()
            .classes()
            .iter()
            .map(|t| {
                let (lo, hi) = t.distribution().support();
                t.count() as f64 * (hi - lo).powi(2) / t.kappa()
            })
            .sum();
        let factor = (1.0 + self.lambda()) * c.count() as f64 * (1.0 / c.kappa() - 1.0 / k_total);
        let (za, _) = vv.binding_interval();
        intervals
            .into_iter()
            .map(|(a, b)| {
                let level = vv.value(0.5 * (a + b));
                let below = b <= za;
                let tol = Tolerances::DEFAULT;
                let spread = integrate_pieces_with_mass(
                    |s| {
                        let g = if below { vv.lower(s) } else { vv.upper(s) };
                        let f = d.pdf(s);
                        if f > 0.0 {
                            [(g - level).powi(2) * f, f]
                        } else {
                            [0.0, f]
                        }
                    },
                    &feature_breakpoints(d, a, b),
                    &|p, q| probability_between(d, p, q),
                    &tol,
                );
                // The effect is an upper bound, judged against the
                // market's objective scale (see `negligible`): the spread
                // is needed to `quad_rel` of that scale's share of it, or
                // of itself where larger, and the bound carries the
                // spread's estimated error. (Held to `quad_rel` of itself,
                // a pool over a cluster `1e-5` wide at −0.6, whose spread
                // the doubles place only to `6e-13` of itself, had no
                // bound.) A spread short of that (the rule at its panel
                // cap beside a zero of the density) gives no bound, which
                // the field documents as infinite (the report's `null`),
                // never negligible. Not a typed error: the pools are a
                // diagnostic of a solved mechanism, and a pool without a
                // finite bound is a legitimate answer.
                let [v] = spread.value;
                let error = spread.error * spread.scale[0];
                let share = scale / (0.5 * factor);
                let effect = if v.is_finite() && error <= tol.quad_rel * v.abs().max(share) {
                    factor * 0.5 * (v + error)
                } else {
                    f64::INFINITY
                };
                Pool {
                    lo: a,
                    hi: b,
                    level,
                    mass: (d.cdf(b) - d.cdf(a)).max(0.0),
                    objective_effect: effect,
                    negligible: effect < NEGLIGIBLE_POOL * scale,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::PiecewiseLinear;
    use crate::market::Market;
    use crate::numerics::with_panel_cap;

    /// A spread whose quadrature stops short of `quad_rel` (one panel
    /// allowed) gives no bound: the effect is infinite and the pool not
    /// negligible, never a number of unknown accuracy; with the shipped
    /// cap the same pools have finite effects.
    #[test]
    fn a_spread_short_of_its_accuracy_gives_no_bound() {
        let d = PiecewiseLinear::new(
            vec![-1.0, -0.8, -0.7, -0.6, 0.0, 0.6, 0.7, 0.8, 1.0],
            vec![1.0, 1.0, 0.03, 1.0, 1.0, 1.0, 0.03, 1.0, 1.0],
        )
        .unwrap();
        let mech = OptimalMechanism::solve(&Market::symmetric(3, 1.0, d).unwrap(), 1.0).unwrap();
        let pools = mech.pools(0);
        assert!(!pools.is_empty());
        assert!(pools.iter().all(|p| p.objective_effect.is_finite()));
        let capped = with_panel_cap(1, || mech.pools(0));
        assert_eq!(capped.len(), pools.len());
        for (c, p) in capped.iter().zip(&pools) {
            assert_eq!((c.lo, c.hi, c.level, c.mass), (p.lo, p.hi, p.level, p.mass));
            assert!(
                c.objective_effect == f64::INFINITY && !c.negligible,
                "{c:?}"
            );
        }
    }
}
