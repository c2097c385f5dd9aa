//! The aggregate variant: one outer root in `S = Σ_j E[V_j]`, one inner
//! root per class for its level.

use super::{root_err, ClassInput};
use crate::mechanism::ironing::VirtualTypes;
use crate::mechanism::virtual_value::{at_eta, mean_range, AtEta};
use crate::mechanism::{MechanismError, SolveStatus, SolverConfig};
use crate::numerics::NumericalError;
use crate::numerics::{brent, newton_increasing, parallel, RootError, RootMethod};
use std::cell::RefCell;

/// Solves class `inp`'s level equation `η + c m(η) = c S`.
fn inner_level(
    inp: &ClassInput<'_>,
    types: &VirtualTypes,
    sum: f64,
    warm: &AtEta,
    config: &SolverConfig,
) -> Result<AtEta, RootError> {
    let (m_lo, m_hi) = mean_range(inp.dist, types.beta);
    // The exact bracket is [c (S − m_hi), c (S − m_lo)]; m saturates beyond
    // it, so widening by a hair keeps the end signs strict under rounding.
    let pad = 1e-9 * inp.scale.max(inp.c * sum.abs());
    // Inner roots are solved tighter than the outer one, so the outer
    // function is smooth at the outer tolerance.
    let rel = (1e-2 * config.tolerances.root_rel).max(4.0 * f64::EPSILON);
    let a = inp.c * (sum - m_hi) - pad;
    let b = inp.c * (sum - m_lo) + pad;
    // Guesses for the interval ends come from the warm state; its level is
    // marked unknown so that a state from another weight or aggregate is
    // never returned as if it had been evaluated here.
    let mut last = AtEta {
        eta: f64::NAN,
        ..*warm
    };
    let mut err = None;
    // The level function g(η) = η + c m(η) − c S has g' = 1 + c m' ≥ 1 (m
    // does not decrease), so |η − η*| ≤ |g(η)|: a residual within the
    // root tolerance proves convergence, and η is returned as it stands
    // (reported to Newton as an exact zero), without a confirming probe.
    let done = rel * inp.scale;
    let g_at = |at: &AtEta| at.eta + inp.c * at.mean - inp.c * sum;
    // One root search on [a, b], whose signs the caller knows.
    let search = |(a, b): (f64, f64),
                  start: f64,
                  last: &mut AtEta,
                  err: &mut Option<RootError>|
     -> Result<f64, RootError> {
        let mut eval = |eta: f64| -> (f64, f64) {
            match at_eta(inp.dist, types, eta, (last.za, last.zb), rel, config.inner) {
                Ok(at) => {
                    *last = at;
                    let g = g_at(&at);
                    (
                        if g.abs() <= done { 0.0 } else { g },
                        1.0 + inp.c * at.slope,
                    )
                }
                Err(e) => {
                    err.get_or_insert(e);
                    (f64::NAN, f64::NAN)
                }
            }
        };
        match config.inner {
            RootMethod::Newton => newton_increasing(&mut eval, a, b, start, rel, inp.scale),
            RootMethod::Brent => brent(|x| eval(x).0, a, b, rel, inp.scale),
        }
    };
    let eta = if b - a <= 2.0 * pad + rel * inp.scale {
        0.5 * (a + b)
    } else {
        let start = if warm.eta.is_finite() {
            // One Newton step from the warm state, which costs nothing: its
            // level, mean and slope are known (they belong to another
            // aggregate or weight, so this is only a guess).
            let g = warm.eta + inp.c * warm.mean - inp.c * sum;
            warm.eta - g / (1.0 + inp.c * warm.slope)
        } else {
            0.5 * (a + b)
        };
        let first = search((a, b), start, &mut last, &mut err);
        if let Some(e) = err {
            return Err(e);
        }
        // The padded bracket holds for the exact mean, which lies in
        // [m_lo, m_hi]. The computed one can leave it by what the doubles'
        // grid gives one cell: where a raw type climbs from −∞ to the types
        // within an ulp (a Beta with a = 1.0037 starting at 3 073, whose
        // first ulp holds 3.6e-9 of probability), the binding interval ends
        // on the first double past the crossing and that cell's probability
        // is counted at η, 11 000 units below its types. The mean was then
        // 4e-5 below m_lo, the root 6.4e-6 beyond b, and the search stopped
        // at b with that residual (`ironing_search harsh 3000 261` #599).
        // Since g' ≥ 1, a root beyond an end x lies within |g(x)| of it:
        // the search runs once more on that bracket.
        let beyond = match first {
            Ok(x) if last.eta.is_finite() && g_at(&last).abs() > done => {
                let (g, at) = (g_at(&last), last.eta);
                let near = 2.0 * rel * inp.scale.max(x.abs());
                if g < 0.0 && x >= b - near {
                    Some((at, at - g + pad))
                } else if g > 0.0 && x <= a + near {
                    Some((at - g - pad, at))
                } else {
                    None
                }
            }
            Err(RootError::NoBracket { b, fa, fb, .. }) if fa < 0.0 && fb < 0.0 => {
                Some((b, b - fb + pad))
            }
            Err(RootError::NoBracket { a, fa, fb, .. }) if fa > 0.0 && fb > 0.0 => {
                Some((a - fa - pad, a))
            }
            _ => None,
        };
        match beyond {
            None => first?,
            Some(bracket) => {
                let r = search(bracket, 0.5 * (bracket.0 + bracket.1), &mut last, &mut err);
                if let Some(e) = err {
                    return Err(e);
                }
                r?
            }
        }
    };
    // The state at the last evaluated point is within the tolerance of the
    // root; reuse it rather than evaluating again.
    if (last.eta - eta).abs() <= rel * inp.scale.max(eta.abs()) {
        Ok(last)
    } else {
        at_eta(inp.dist, types, eta, (last.za, last.zb), rel, config.inner)
    }
}

/// The aggregate variant.
pub(super) fn solve_aggregate(
    inputs: &[ClassInput<'_>],
    types: &[VirtualTypes],
    warm: &mut [AtEta],
    config: &SolverConfig,
    status: &mut SolveStatus,
) -> Result<f64, MechanismError> {
    let classes: Vec<(&ClassInput<'_>, &VirtualTypes)> = inputs.iter().zip(types).collect();
    let (mut s_lo, mut s_hi, mut scale) = (0.0, 0.0, 0.0);
    for (inp, ty) in &classes {
        let (a, b) = mean_range(inp.dist, ty.beta);
        s_lo += inp.count * a;
        s_hi += inp.count * b;
        scale += inp.count * inp.scale;
    }
    if !(s_lo.is_finite() && s_hi.is_finite() && scale.is_finite()) {
        return Err(MechanismError::Numerical(NumericalError::NonFinite {
            what: "range of the aggregate virtual value (types or counts too large)",
        }));
    }
    let rel = config.tolerances.root_rel;
    // As for the inner roots: the aggregate saturates outside its exact
    // bracket, so a small pad makes the end signs strict.
    let width = s_hi - s_lo;
    let degenerate = width <= rel * scale;
    let pad = 1e-9 * scale;
    let (s_lo, s_hi) = (s_lo - pad, s_hi + pad);
    // Warm start for the outer Newton: the aggregate of the current state.
    let start = inputs
        .iter()
        .zip(warm.iter())
        .map(|(inp, w)| inp.count * w.mean)
        .sum::<f64>()
        .clamp(s_lo, s_hi);
    let err: RefCell<Option<MechanismError>> = RefCell::new(None);
    // Φ(S) = Σ count·m_k(η_k(S)) − S and its slope
    // Φ'(S) = Σ count·p_k c_k/(1 + c_k p_k) − 1 < 0.
    let mut phi = |s: f64| -> (f64, f64) {
        status.outer_iterations += 1;
        // The classes' roots in parallel; the sums serially, in order.
        let solved = parallel::update(&classes, warm, |(inp, ty), w| {
            *w = inner_level(inp, ty, s, w, config)?;
            Ok(())
        });
        if let Err(e) = solved {
            err.borrow_mut()
                .get_or_insert(root_err("inner level root")(e));
            return (f64::NAN, f64::NAN);
        }
        let (mut total, mut slope) = (0.0, -1.0);
        for (inp, at) in inputs.iter().zip(warm.iter()) {
            total += inp.count * at.mean;
            slope += inp.count * at.slope * inp.c / (1.0 + inp.c * at.slope);
        }
        (total - s, slope)
    };
    // Where Φ was last evaluated: the per-class state belongs to it.
    let mut at = f64::NAN;
    // −Φ' ≥ 1, so |S − S*| ≤ |Φ(S)|: a residual below the tolerance proves
    // convergence, and the state at S is the answer (no probe, no re-run).
    let done = rel * scale;
    let sum = if degenerate {
        0.5 * (s_lo + s_hi)
    } else {
        let r = match config.outer {
            RootMethod::Newton => {
                // −Φ increases; the padded bracket fixes the end signs.
                newton_increasing(
                    |s| {
                        let (v, d) = phi(s);
                        at = s;
                        if v.abs() <= done {
                            (0.0, -d)
                        } else {
                            (-v, -d)
                        }
                    },
                    s_lo,
                    s_hi,
                    start,
                    rel,
                    scale,
                )
            }
            RootMethod::Brent => brent(|s| phi(s).0, s_lo, s_hi, rel, scale),
        };
        if let Some(e) = err.borrow_mut().take() {
            return Err(e);
        }
        r.map_err(root_err("outer aggregate root"))?
    };
    // Make the per-class state consistent with the accepted aggregate.
    if at != sum {
        let _ = phi(sum);
    }
    if let Some(e) = err.into_inner() {
        return Err(e);
    }
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::super::cold_start;
    use super::*;
    use crate::distribution::test_support::Instrumented;
    use crate::distribution::{EndowmentDistribution, TruncatedNormal};
    use crate::numerics::Tolerances;

    /// A truncated normal that counts what one class's level solve asks of
    /// it: `at_eta` takes two CDFs per call, and each Newton step on `L⁻¹`
    /// or `H⁻¹` one hazard ratio. Returns (level evaluations, ratios).
    fn take(d: &Instrumented<TruncatedNormal>) -> (usize, usize) {
        (d.take_cdfs() / 2, d.take_ratios())
    }

    /// One trader with κ = 1 beside others with K − κ = 2: c = 1/2, a
    /// strongly coupled class, on the support [−1, 1.2].
    fn coupled(d: &dyn EndowmentDistribution) -> ClassInput<'_> {
        ClassInput {
            dist: d,
            count: 1.0,
            kappa: 1.0,
            c: 0.5,
            scale: 1.2,
            breaks: std::sync::OnceLock::new(),
        }
    }

    /// A warm state is a guess, never an answer: where the level needs no
    /// search (at weight 0 the bracket is a point), a warm state from
    /// elsewhere that happens to carry the same level is not returned as
    /// if it had been evaluated.
    #[test]
    fn a_warm_state_is_never_returned_unevaluated() {
        let d = TruncatedNormal::new(-0.2, 0.5, -1.0, 1.2).unwrap();
        let inp = coupled(&d);
        let types = VirtualTypes::new(&d, 0.0, &Tolerances::DEFAULT).unwrap();
        let sum = 0.7;
        // At weight 0, V(z) = z: m(η) = E[Z] and η = c (S − E[Z]).
        let eta = inp.c * (sum - d.mean());
        let stale = AtEta {
            eta,
            za: -0.9,
            zb: 1.1,
            mean: 123.0,
            slope: 0.4,
        };
        let at = inner_level(&inp, &types, sum, &stale, &SolverConfig::default()).unwrap();
        assert!((at.eta - eta).abs() <= 1e-15);
        assert_eq!(at.mean, d.mean());
        assert_eq!(at.slope, 0.0);
    }

    /// The work of one class's level root, pinned: a warm state at the same
    /// aggregate is the answer after one evaluation (the level residual,
    /// of slope ≥ 1, proves it; the inverses start at their roots and their
    /// residuals, of slope ≥ 1 for a log-concave density, prove those), and
    /// a nearby aggregate costs two or three (the start is one Newton step
    /// off the warm state, with the warm state's slope). A lost warm start,
    /// a lost residual test or a wrong predictor slope costs more.
    #[test]
    fn a_warm_level_costs_one_evaluation() {
        let d = Instrumented::new(TruncatedNormal::new(-0.2, 0.5, -1.0, 1.2).unwrap());
        let inp = coupled(&d);
        let types = VirtualTypes::new(&d, 0.5, &Tolerances::DEFAULT).unwrap();
        let config = SolverConfig::default();
        let cold = cold_start(&[coupled(&d)])[0];
        let sum = 0.7;
        let first = inner_level(&inp, &types, sum, &cold, &config).unwrap();
        // The level equation η = c (S − m(η)) holds at the answer.
        assert!((first.eta - inp.c * (sum - first.mean)).abs() <= 1e-14);
        let (cold_levels, cold_ratios) = take(&d);
        assert!(cold_levels >= 3, "{cold_levels}");

        let again = inner_level(&inp, &types, sum, &first, &config).unwrap();
        assert_eq!(take(&d), (1, 2));
        assert!((again.eta - first.eta).abs() <= 1e-15);

        for (step, most) in [(1e-3, 2), (-2e-2, 3)] {
            let near = inner_level(&inp, &types, sum + step, &first, &config).unwrap();
            assert!((near.eta - inp.c * (sum + step - near.mean)).abs() <= 1e-14);
            let (levels, ratios) = take(&d);
            assert!(
                levels <= most,
                "step {step}: {levels} evaluations of the level"
            );
            // Each inversion: the warm guess, a Newton step, and at most one
            // more before its residual proves the root.
            assert!(
                ratios <= 2 * 3 * levels,
                "step {step}: {ratios} ratios for {levels} levels"
            );
            assert!(
                ratios < cold_ratios,
                "step {step}: {ratios} ratios, cold {cold_ratios}"
            );
        }
    }
}
