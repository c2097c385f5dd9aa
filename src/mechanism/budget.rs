//! The budget search: the weight `β* > α` at which revenue breaks even
//! when the unconstrained optimum at `α` runs a deficit.
//!
//! A root search of the revenue `R(β)` by Brent's method
//! ([`numerics::brent_until`](crate::numerics)) in the variable
//! `x = ln(β − α)`, in which the break-even weight can sit anywhere from
//! rounding above `α` (1e-180 above it has been met) to 1. The function
//! handed to Brent's method owns the search's state: the trials so far,
//! the inner state (`η`, binding intervals) of the nearest one to start
//! the next from, the tail integrals reused between trials, and the count
//! in [`SolveStatus::budget_iterations`].

use super::evaluate::{evaluate, Evaluation};
use super::levels::ClassInput;
use super::virtual_value::AtEta;
use super::welfare::TailIntegrals;
use super::{MechanismError, SolveStatus, SolverConfig};
use crate::market::Market;
use crate::numerics::brent_until;

/// The revenue below which a deficit counts as rounding rather than a
/// real one: `budget_rel · Σ count · width²/κ`, but never below what
/// floating point can resolve when types sit far from zero
/// (`64 ε · Σ count · width · (|lo| + |hi|)/κ`).
pub(crate) fn revenue_zero(market: &Market, tol: &crate::numerics::Tolerances) -> f64 {
    let (mut scale, mut resolution) = (0.0, 0.0);
    for c in market.classes() {
        let (lo, hi) = c.distribution().support();
        let n = c.count() as f64;
        scale += n * (hi - lo) * (hi - lo) / c.kappa();
        resolution += n * (hi - lo) * (lo.abs() + hi.abs()) / c.kappa();
    }
    (tol.budget_rel * scale).max(64.0 * f64::EPSILON * resolution)
}

/// The budget search: the weight `β* ∈ (α, 1]` at which revenue breaks
/// even, given the deficit `first` at `β = α` and its inner state.
///
/// Each trial solves the market at a weight (a full [`evaluate`]), from
/// the inner state of the nearer end of the bracket known so far, and
/// integrates its tails only where its binding intervals moved since the
/// trial before ([`welfare::TailIntegrals`](super::welfare::TailIntegrals)).
/// The search itself is [`search`]. A weight that does not break even to
/// `zero`, a deficit at `β = 1` (`R(1) ≥ 0` in exact arithmetic) or
/// `max_outer_iterations` trials spent is a
/// [`MechanismError::BudgetNotBalanced`]; an error of a trial is returned
/// as it is.
#[allow(clippy::too_many_arguments)]
pub(super) fn break_even(
    market: &Market,
    inputs: &[ClassInput<'_>],
    alpha: f64,
    first: Evaluation,
    warm_alpha: Vec<AtEta>,
    zero: f64,
    config: &SolverConfig,
    status: &mut SolveStatus,
) -> Result<(Evaluation, f64), MechanismError> {
    let deficit = first.revenue;
    drop(first);
    let revenue_scale: f64 = market
        .classes()
        .iter()
        .map(|c| {
            let (lo, hi) = c.distribution().support();
            c.count() as f64 * (hi - lo) * (hi - lo) / c.kappa()
        })
        .sum();
    // The first trial weight comes from the deficit and the typical slope
    // of revenue in `β`, about `0.15 Σ count·width²/κ` (the revenue scale).
    let guess = alpha + (-deficit) / (0.15 * revenue_scale);
    // The inner state at the deficit end (largest weight with R < 0) and
    // the surplus end (smallest with R > 0) of the bracket: R increases, so
    // these are the trials nearest the root on either side.
    let mut low: (f64, Vec<AtEta>) = (alpha, warm_alpha);
    let mut high: Option<(f64, Vec<AtEta>)> = None;
    let mut tails = vec![TailIntegrals::default(); inputs.len()];
    let trial = |beta: f64| -> Result<(f64, Evaluation), MechanismError> {
        status.budget_iterations += 1;
        let mut w = match &high {
            Some((b_hi, w_hi)) if b_hi - beta < beta - low.0 => w_hi.clone(),
            _ => low.1.clone(),
        };
        let e = evaluate(
            market,
            inputs,
            beta,
            &mut w,
            Some(&mut tails),
            config,
            status,
        )?;
        if e.revenue < 0.0 {
            if beta > low.0 {
                low = (beta, w);
            }
        } else if high.as_ref().is_none_or(|h| beta < h.0) {
            high = Some((beta, w));
        }
        Ok((e.revenue, e))
    };
    let limits = Limits {
        alpha,
        deficit,
        guess,
        zero,
        max_trials: config.tolerances.max_outer_iterations,
    };
    let (eval, beta, surplus) = search(&limits, trial).map_err(|end| match end {
        End::Failed(e) => e,
        End::NotBalanced { beta, revenue } => MechanismError::BudgetNotBalanced { beta, revenue },
    })?;
    status.budget_surplus = surplus;
    Ok((eval, beta))
}

/// Regula falsi steps from `α` before Brent's method starts from `α`'s
/// end (see [`search`]).
const ILLINOIS_STEPS: usize = 6;

/// What the search knows before its first trial.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// The weight `α`; the search looks in `(α, 1]`.
    alpha: f64,
    /// `R(α) < 0`.
    deficit: f64,
    /// The first trial weight (outside `(α, 1)`: start at 1).
    guess: f64,
    /// A trial with `|R| ≤ zero` breaks even and ends the search.
    zero: f64,
    /// Trials allowed.
    max_trials: usize,
}

/// How a search ended without breaking even.
#[derive(Debug)]
enum End<E> {
    /// A trial failed; its error.
    Failed(E),
    /// No weight broke even: the trial nearest above the root (the smallest
    /// weight with a surplus), or the largest weight tried when none had
    /// one (1, when revenue runs a deficit there).
    NotBalanced { beta: f64, revenue: f64 },
}

/// The trials of a search: `R` at each weight tried, the break-even one
/// when found, and why it stopped early.
struct Trials<T, E, F> {
    limits: Limits,
    /// `x = ln(β − α)` at and below which the weight is `α` itself (the
    /// smallest step above `α` the search takes).
    x_lo: f64,
    /// `x` at and above which the weight is 1.
    x_hi: f64,
    /// `(β, R(β))` of every weight tried, `α` first.
    known: Vec<(f64, f64)>,
    /// The bracket `(a, b)` in `x` before Brent's method: `R < 0` at `a`,
    /// `R > 0` at `b` (when `b` has been tried).
    bracket: (f64, f64),
    found: Option<(T, f64)>,
    /// The trial at the smallest weight with a surplus beyond the
    /// tolerance, and its `(β, R)`.
    surplus: Option<(T, f64, f64)>,
    stop: Option<End<E>>,
    spent: usize,
    trial: F,
}

impl<T, E, F: FnMut(f64) -> Result<(f64, T), E>> Trials<T, E, F> {
    fn beta(&self, x: f64) -> f64 {
        if x <= self.x_lo {
            self.limits.alpha
        } else if x >= self.x_hi {
            1.0
        } else {
            (self.limits.alpha + x.exp()).min(1.0)
        }
    }

    /// `R` at `x`: known, or a trial. NaN, which ends Brent's method, once
    /// a trial failed or the trials are spent (the reason is in `stop`).
    fn revenue(&mut self, x: f64) -> f64 {
        let beta = self.beta(x);
        if let Some(&(_, r)) = self.known.iter().find(|k| k.0 == beta) {
            return r;
        }
        if self.stop.is_some() || self.found.is_some() {
            return f64::NAN;
        }
        if self.spent >= self.limits.max_trials {
            self.stop = Some(self.not_balanced());
            return f64::NAN;
        }
        self.spent += 1;
        match (self.trial)(beta) {
            Err(e) => {
                self.stop = Some(End::Failed(e));
                f64::NAN
            }
            Ok((r, t)) => {
                if r.abs() <= self.limits.zero {
                    self.found = Some((t, beta));
                } else if r > 0.0 && self.surplus.as_ref().is_none_or(|s| beta < s.1) {
                    self.surplus = Some((t, beta, r));
                }
                self.known.push((beta, r));
                r
            }
        }
    }

    fn not_balanced(&self) -> End<E> {
        let surplus = self
            .known
            .iter()
            .filter(|k| k.1 > 0.0)
            .min_by(|a, b| a.0.total_cmp(&b.0));
        let largest = self.known.iter().max_by(|a, b| a.0.total_cmp(&b.0));
        // Not a fallback: `known` always holds `(α, R(α))` from the start,
        // so `largest` exists; the NaN pair only satisfies the types.
        let &(beta, revenue) = surplus.or(largest).unwrap_or(&(f64::NAN, f64::NAN));
        End::NotBalanced { beta, revenue }
    }

    /// A trial at `x`, which becomes the bracket's end on its side.
    fn narrow(&mut self, x: f64) {
        if self.revenue(x) < 0.0 {
            self.bracket.0 = x;
        } else {
            self.bracket.1 = x;
        }
    }

    /// Whether the search is over (broke even or stopped).
    fn over(&self) -> bool {
        self.found.is_some() || self.stop.is_some()
    }
}

/// The root of `R` in `(α, 1]` to `|R| ≤ zero`, with
/// `trial(β) = (R(β), what to keep of the trial)`; `R(α) < 0` is known.
///
/// The search works in `x = ln(β − α)`, from `ln(lowest)`, where `lowest`
/// is the smallest step above `α` it takes (`(1 − α)·1e-300`, at least the
/// smallest normal double) and which stands for `α` itself (its deficit is
/// known), to `ln(1 − α)`, `β = 1`. Brent's method on that whole range
/// spends its first trials far below the root (the break-even weight is
/// usually within a few decades of the first guess), so a few trials
/// bracket the root first, each by a secant in `β`:
///
/// 1. the first guess `limits.guess`;
/// 2. while there is no surplus, the secant through the last two trials
///    extended up (or `β = 1` where it leaves `(β, 1)`); a deficit at
///    `β = 1` ends the search;
/// 3. while the deficit end is still `α`, at most [`ILLINOIS_STEPS`]
///    times: regula falsi from `α` to the smallest surplus weight, with
///    `α`'s deficit halved at each repeat (the Illinois rule), which
///    reaches below the root when `R` is concave near `α`.
///
/// Brent's method ([`brent_until`]) then closes the bracket in `x` with the
/// tolerance `zero` on `R`: it stops at the first trial that breaks even,
/// which is the answer and is not solved again. Its tolerance on `x` is
/// rounding: a bracket closed to rounding without breaking even (R jumps
/// across zero) ends [`End::NotBalanced`], as does spending `max_trials`,
/// except where the jump is between `α` and the smallest step above it:
/// the trial at that step is then the answer, returned with its surplus
/// (the third element; 0 for a weight that breaks even).
fn search<T, E>(
    limits: &Limits,
    trial: impl FnMut(f64) -> Result<(f64, T), E>,
) -> Result<(T, f64, f64), End<E>> {
    let alpha = limits.alpha;
    let lowest = ((1.0 - alpha) * 1e-300).max(f64::MIN_POSITIVE);
    let mut t = Trials {
        limits: *limits,
        x_lo: lowest.ln(),
        x_hi: (1.0 - alpha).ln(),
        known: vec![(alpha, limits.deficit)],
        bracket: (lowest.ln(), (1.0 - alpha).ln()),
        found: None,
        surplus: None,
        stop: None,
        spent: 0,
        trial,
    };
    let (x_lo, x_hi) = (t.x_lo, t.x_hi);
    let x_guess = if limits.guess > alpha && limits.guess < 1.0 {
        (limits.guess - alpha).ln()
    } else {
        x_hi
    };
    t.narrow(x_guess);
    // No surplus yet: the secant in β through the last two trials (α and
    // the guess first), extended up, or β = 1 where it leaves (β, 1).
    while !t.over() && t.known.iter().all(|k| k.1 < 0.0) && t.beta(t.bracket.0) < 1.0 {
        let n = t.known.len();
        let ((b0, r0), (b1, r1)) = (t.known[n - 2], t.known[n - 1]);
        let s = b1 - r1 * (b1 - b0) / (r1 - r0);
        let spent = t.spent;
        t.narrow(if s > b1 && s < 1.0 {
            (s - alpha).ln()
        } else {
            x_hi
        });
        if t.spent == spent {
            // A weight rounding onto one tried: step to β = 1.
            t.narrow(x_hi);
        }
    }
    // A surplus with the deficit end still at α, far from the root in `x`
    // unless the root is very near α: regula falsi from α to the smallest
    // surplus weight for a deficit end near the root, halving α's deficit
    // each time a step lands on the surplus side again (the Illinois rule:
    // R concave there, as when its slope is infinite at α).
    let mut weight = -limits.deficit;
    for _ in 0..ILLINOIS_STEPS {
        if t.over() || t.bracket.0 != x_lo {
            break;
        }
        let Some(&(b1, r1)) = t
            .known
            .iter()
            .filter(|k| k.1 > 0.0)
            .min_by(|p, q| p.0.total_cmp(&q.0))
        else {
            break;
        };
        let s = alpha + (b1 - alpha) * weight / (r1 + weight);
        if !(s > alpha && s < b1) {
            break;
        }
        t.narrow((s - alpha).ln());
        weight *= 0.5;
    }
    // Still no deficit above α: try the smallest step above it first. A
    // surplus there means revenue jumps at α⁺ (see below), which Brent's
    // method would otherwise take some fifty trials to close on.
    if !t.over() && t.bracket.0 <= x_lo {
        let step = (alpha + lowest).max(alpha.next_up()) - alpha;
        t.narrow(step.ln());
    }
    let (a, b) = t.bracket;
    if !t.over() && a < b {
        // Its result is in `t`: the trial that broke even, or why the
        // search stopped; a root in `x` to rounding without either (the
        // bracket closed on a jump of R), or the root finder's own errors
        // (a deficit at β = 1 leaves no sign change), are NotBalanced.
        let _ = brent_until(|x| t.revenue(x), a, b, 4.0 * f64::EPSILON, 1.0, limits.zero);
    }
    if let Some((trial, beta)) = t.found {
        return Ok((trial, beta, 0.0));
    }
    if let Some(end) = t.stop {
        return Err(end);
    }
    // The bracket closed with its deficit end still at α: revenue jumps
    // across zero between α and the smallest step above it (1e-300 of
    // `1 − α`), where a density underflows to 0 in a tail and the raw type
    // there is infinite at every positive weight a double can hold. The
    // weight that breaks even lies below that resolution. The trial at the
    // smallest surplus weight is feasible, and its objective is within
    // `(β − α)` times the moments' size of the optimum's (bounded by the
    // unconstrained optimum at α): it is the answer, with its surplus.
    if t.bracket.0 <= x_lo {
        if let Some((trial, beta, revenue)) = t.surplus.take() {
            if beta <= (alpha + 2.0 * lowest).max(alpha.next_up()) {
                return Ok((trial, beta, revenue));
            }
        }
    }
    Err(t.not_balanced())
}

#[cfg(test)]
mod tests {
    use super::{revenue_zero, search, End, Limits};
    use crate::distribution::Uniform;
    use crate::market::{Market, TraderClass};
    use crate::numerics::Tolerances;

    fn market(shift: f64) -> Market {
        Market::new(vec![
            TraderClass::new(2.0, Uniform::new(shift - 1.0, shift + 3.0).unwrap(), 3),
            TraderClass::new(0.5, Uniform::new(shift, shift + 1.0).unwrap(), 1),
        ])
        .unwrap()
    }

    /// The rounding allowance of the budget search, worked by hand from its
    /// documented formula: `budget_rel · Σ count·width²/κ` near zero, and
    /// `64 ε · Σ count·width·(|lo| + |hi|)/κ` far from it.
    #[test]
    fn revenue_zero_is_the_documented_allowance() {
        let tol = Tolerances::default();
        // Near zero: Σ count·width²/κ = 3·16/2 + 1·1/0.5 = 26, and the
        // floor 64 ε · (3·4·4/2 + 1·1·1/0.5) = 64 ε · 26 is far below it.
        let near = revenue_zero(&market(0.0), &tol);
        approx::assert_relative_eq!(near, tol.budget_rel * 26.0, max_relative = 1e-15);
        // The allowance depends on the widths only, so a small translation
        // leaves it unchanged.
        let moved = revenue_zero(&market(0.5), &tol);
        approx::assert_relative_eq!(moved, near, max_relative = 1e-15);
        // At 1e6 the floor decides: 3·4·(2e6 + 2)/2 + 1·1·(2e6 + 1)/0.5
        // = 16e6 + 14.
        let far = revenue_zero(&market(1e6), &tol);
        approx::assert_relative_eq!(
            far,
            64.0 * f64::EPSILON * (16e6 + 14.0),
            max_relative = 1e-15
        );
    }

    /// A search's outcome: `(β, R)` of the trial that broke even, or how it
    /// ended.
    type Outcome = Result<(f64, f64), End<&'static str>>;

    /// Runs the search on `r`, returning its outcome and the weights tried.
    fn run(
        limits: Limits,
        mut r: impl FnMut(f64) -> Result<f64, &'static str>,
    ) -> (Outcome, Vec<f64>) {
        let mut tried = Vec::new();
        let out = search(&limits, |beta| {
            tried.push(beta);
            r(beta).map(|v| (v, v))
        });
        (out.map(|(v, beta, _)| (beta, v)), tried)
    }

    fn limits(alpha: f64, deficit: f64, guess: f64) -> Limits {
        Limits {
            alpha,
            deficit,
            guess,
            zero: 1e-12,
            max_trials: 200,
        }
    }

    #[test]
    fn a_linear_revenue_breaks_even_at_its_root_in_a_few_trials() {
        // R = −0.3 + 2 (β − 0.2): root 0.35. A guess on either side.
        let r = |b: f64| Ok(-0.3 + 2.0 * (b - 0.2));
        for guess in [0.25, 0.6, 3.0] {
            let (out, tried) = run(limits(0.2, -0.3, guess), r);
            let (beta, v) = out.unwrap();
            assert!(v.abs() <= 1e-12 && (beta - 0.35).abs() <= 1e-12, "{beta}");
            // The answer is the last trial, not solved again.
            assert_eq!(*tried.last().unwrap(), beta);
            assert!(tried.len() <= 3, "guess {guess}: {tried:?}");
        }
    }

    /// R concave: plain regula falsi from α stays on the surplus side; the
    /// Illinois rule halves α's deficit until a step lands below the root.
    #[test]
    fn a_concave_revenue_is_bracketed_from_both_sides() {
        // R = 1 − 2/(1 + 4β) (α = 0, R(0) = −1): root 1/4, R' = 2 there.
        let (out, tried) = run(limits(0.0, -1.0, 0.9), |b: f64| {
            Ok(1.0 - 2.0 / (1.0 + 4.0 * b))
        });
        let (beta, _) = out.unwrap();
        assert!((beta - 0.25).abs() <= 1e-12 / 1.9, "{beta}");
        assert!(tried.len() <= 7, "{tried:?}");
        // √β − 0.1, whose slope is infinite at α: root 0.01, R' = 5.
        let (out, tried) = run(limits(0.0, -0.1, 0.5), |b: f64| Ok(b.sqrt() - 0.1));
        let (beta, _) = out.unwrap();
        assert!((beta - 0.01).abs() <= 1e-12 / 4.9, "{beta}");
        assert!(tried.len() <= 10, "{tried:?}");
    }

    /// The break-even weight 1e-180 above α = 0, where R moves with ln β
    /// (as when a density falls through every power of ten): found to the
    /// tolerance on R, so to 1e-11 relative in β.
    #[test]
    fn a_break_even_weight_near_1e_minus_180_is_found() {
        let ln_root = -180.0 * 10f64.ln();
        let r = |b: f64| Ok(((b.ln() - ln_root) / 10.0).tanh());
        let (out, tried) = run(limits(0.0, -1.0, 0.3), r);
        let (beta, v) = out.unwrap();
        assert!(v.abs() <= 1e-12, "{v}");
        assert!((beta / 1e-180 - 1.0).abs() < 1e-10, "{beta:e}");
        assert!(tried.len() <= 20, "{}: {tried:?}", tried.len());
    }

    #[test]
    fn a_deficit_at_one_is_not_balanced() {
        let (out, tried) = run(limits(0.0, -1.0, 0.5), |b: f64| Ok(-1.0 + 0.5 * b));
        match out {
            Err(End::NotBalanced { beta, revenue }) => {
                assert_eq!((beta, revenue), (1.0, -0.5));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(*tried.last().unwrap(), 1.0);
    }

    #[test]
    fn the_error_of_a_trial_ends_the_search_and_is_returned() {
        let mut n = 0;
        let (out, tried) = run(limits(0.0, -1.0, 0.1), |b: f64| {
            n += 1;
            if n == 2 {
                Err("trial two failed")
            } else {
                Ok(b - 0.5)
            }
        });
        assert!(
            matches!(out, Err(End::Failed("trial two failed"))),
            "{out:?}"
        );
        assert_eq!(tried.len(), 2);
    }

    /// Revenue that jumps across zero between `α` and the smallest step
    /// above it (a density underflowing in a tail): the trial at that step
    /// is the answer, with its surplus; the same jump further up (below)
    /// is no answer.
    #[test]
    fn a_jump_just_above_alpha_returns_the_smallest_step_with_its_surplus() {
        for alpha in [0.0, 0.4] {
            let r = |b: f64| Ok::<f64, &str>(if b > alpha { 0.5 } else { -1.0 });
            let mut tried = Vec::new();
            let out = search(&limits(alpha, -1.0, 0.6), |beta| {
                tried.push(beta);
                r(beta).map(|v| (v, v))
            });
            let (v, beta, surplus) = out.unwrap();
            assert_eq!((v, surplus), (0.5, 0.5));
            let step = (1.0 - alpha) * 1e-300;
            assert!(
                beta > alpha && beta <= (alpha + 2.0 * step).max(alpha.next_up()),
                "{beta:e}"
            );
            assert!(tried.len() < 200, "{}", tried.len());
        }
    }

    #[test]
    fn the_trials_allowed_are_honoured() {
        // A jump across zero at 0.3: no weight breaks even.
        let r = |b: f64| Ok(if b < 0.3 { -1.0 } else { 1.0 });
        let mut few = limits(0.0, -1.0, 0.6);
        few.max_trials = 3;
        let (out, tried) = run(few, r);
        assert_eq!(tried.len(), 3);
        assert!(matches!(out, Err(End::NotBalanced { revenue, .. }) if revenue == 1.0));
        // With trials enough, the bracket closes on the jump to rounding
        // and the surplus end is reported.
        let (out, tried) = run(limits(0.0, -1.0, 0.6), r);
        match out {
            Err(End::NotBalanced { beta, revenue }) => {
                assert!(beta >= 0.3 && beta - 0.3 < 1e-14, "{beta}");
                assert_eq!(revenue, 1.0);
            }
            other => panic!("{other:?}"),
        }
        assert!(tried.len() < 200, "{}", tried.len());
    }
}
