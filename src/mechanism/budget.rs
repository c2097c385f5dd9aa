//! The budget search: the weight `β* > α` at which revenue breaks even
//! when the unconstrained optimum at `α` runs a deficit.

use super::evaluate::{evaluate, Evaluation};
use super::levels::ClassInput;
use super::virtual_value::AtEta;
use super::welfare::TailIntegrals;
use super::{MechanismError, SolveStatus, SolverConfig};
use crate::market::Market;

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
/// even, given the deficit `first` at `β = α`.
///
/// `R(β)` is smooth and increasing between kinks and `R(1) ≥ 0`. The first
/// trial weight comes from the deficit and the typical slope of revenue in
/// `β`, about `0.15 Σ count·width²/κ` (the revenue scale); later ones from
/// the inverse quadratic (or the secant) through the last trials
/// ([`interpolate`]), kept inside the bracket of weights known to run a
/// deficit and a surplus (bisection when the interpolant leaves it or
/// stalls). The search stops as soon as a trial's revenue is within `zero`
/// of 0, so the last trial is the answer and is not solved again. Each
/// trial starts from the inner state of the bracket end nearer to it, and
/// integrates its tails only where its binding intervals moved since the
/// trial before ([`welfare::TailIntegrals`]). A weight that does not break
/// even to `zero` when the bracket has shrunk to rounding is a
/// [`MechanismError::BudgetNotBalanced`].
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
    // Deficit end (R < 0) and surplus end (R > 0) of the bracket, each with
    // its inner state; the surplus end keeps its evaluation.
    let (mut b_lo, mut w_lo) = (alpha, warm_alpha);
    let mut high: Option<(f64, Vec<AtEta>, Evaluation)> = None;
    // The last three trials `(β, R)`, newest last, for the interpolation.
    let mut older: Option<(f64, f64)> = None;
    let (mut x0, mut r0) = (alpha, first.revenue);
    drop(first);
    let revenue_scale: f64 = market
        .classes()
        .iter()
        .map(|c| {
            let (lo, hi) = c.distribution().support();
            c.count() as f64 * (hi - lo) * (hi - lo) / c.kappa()
        })
        .sum();
    let guess = alpha + (-r0) / (0.15 * revenue_scale);
    let mut beta = if guess > alpha && guess < 1.0 {
        guess
    } else {
        1.0
    };
    let mut same_side = 0;
    let mut last_low = None;
    // The trials' tail integrals do not depend on the weight: each trial
    // integrates only where its binding intervals moved.
    let mut tails = vec![TailIntegrals::default(); inputs.len()];
    // The smallest step above α the search takes.
    let lowest = ((1.0 - alpha) * 1e-300).max(f64::MIN_POSITIVE);
    loop {
        status.budget_iterations += 1;
        let b_hi = high.as_ref().map_or(1.0, |h| h.0);
        let mut w = match &high {
            Some((_, w_hi, _)) if b_hi - beta < beta - b_lo => w_hi.clone(),
            _ => w_lo.clone(),
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
        let r = e.revenue;
        if r.abs() <= zero {
            return Ok((e, beta));
        }
        let low = r < 0.0;
        if low && beta >= 1.0 {
            // R(1) ≥ 0 in exact arithmetic; a deficit at β = 1 is reported.
            return Err(MechanismError::BudgetNotBalanced { beta, revenue: r });
        }
        // Trials that stay on one side of the root without cutting the
        // residual tenfold are slow progress; three in a row bisect.
        same_side = if last_low == Some(low) && r.abs() > 0.1 * r0.abs() {
            same_side + 1
        } else {
            0
        };
        last_low = Some(low);
        let (x1, r1) = (beta, r);
        if low {
            (b_lo, w_lo) = (beta, w);
        } else {
            high = Some((beta, w, e));
        }
        let b_hi = high.as_ref().map_or(1.0, |h| h.0);
        if b_hi - b_lo <= 4.0 * f64::EPSILON * b_hi
            || status.budget_iterations >= config.tolerances.max_outer_iterations
        {
            break;
        }
        // (Without a surplus yet, b_hi is 1.)
        let next = interpolate(older, (x0, r0), (x1, r1), |b| b > b_lo && b < b_hi);
        older = Some((x0, r0));
        (x0, r0) = (x1, r1);
        beta = match next {
            Some(next) if high.is_none() || same_side < 3 => next,
            // No surplus yet: step on to β = 1.
            None if high.is_none() => 1.0,
            _ => {
                same_side = 0;
                match bisect(alpha, b_lo, b_hi, lowest) {
                    Some(mid) => mid,
                    None => break,
                }
            }
        };
    }
    // The bracket is down to rounding: the surplus end is the closest
    // weight that does not run a deficit; it must break even.
    let Some((beta, _, eval)) = high else {
        return Err(MechanismError::BudgetNotBalanced {
            beta: b_lo,
            revenue: f64::NAN,
        });
    };
    Err(MechanismError::BudgetNotBalanced {
        beta,
        revenue: eval.revenue,
    })
}

/// The budget search's bisection of the bracket `(b_lo, b_hi)` above `α`:
/// in `ln(β − α)` while the deficit end is much closer to `α` than the
/// surplus end (below a thousandth of its distance), since the break-even
/// weight can sit within 1e-70 of `α` when a density is tiny near an end of
/// its support; at the midpoint otherwise. `lowest` is the smallest step
/// above `α` the search takes; `None` when the bracket is within two such
/// steps of `α`.
fn bisect(alpha: f64, b_lo: f64, b_hi: f64, lowest: f64) -> Option<f64> {
    let (dl, dh) = ((b_lo - alpha).max(lowest), b_hi - alpha);
    if dh <= 2.0 * lowest {
        None
    } else if dl < 1e-3 * dh {
        // The geometric mean as a product of roots: `dl · dh` underflows to
        // 0 when both are small (1e-300 · 1e-152), which returned `α` itself.
        Some(alpha + dl.sqrt() * dh.sqrt())
    } else {
        Some(0.5 * (b_lo + b_hi))
    }
}

/// The budget search's next weight: the root of the inverse quadratic
/// through the trials `older`, `a` and `b` (`(β, R)`, newest last) when
/// their revenues differ and the root is `inside`, else the root of the
/// secant through `a` and `b` when that is; `None` when neither is.
///
/// Inverse quadratic interpolation converges with order 1.84 against the
/// secant's 1.62; on the offset market of `benches/scale.rs` it saves one
/// trial of four or five (`docs/performance.md`).
fn interpolate(
    older: Option<(f64, f64)>,
    (xa, ra): (f64, f64),
    (xb, rb): (f64, f64),
    inside: impl Fn(f64) -> bool,
) -> Option<f64> {
    if let Some((xo, ro)) = older {
        if ro != ra && ro != rb && ra != rb {
            let quadratic = xo * ra * rb / ((ro - ra) * (ro - rb))
                + xa * ro * rb / ((ra - ro) * (ra - rb))
                + xb * ro * ra / ((rb - ro) * (rb - ra));
            if inside(quadratic) {
                return Some(quadratic);
            }
        }
    }
    let secant = xb - rb * (xb - xa) / (rb - ra);
    inside(secant).then_some(secant)
}

#[cfg(test)]
mod tests {
    use super::{bisect, interpolate, revenue_zero};
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

    #[test]
    fn interpolate_takes_the_inverse_quadratic_then_the_secant() {
        // β as a quadratic in R: the inverse quadratic through three of its
        // points is exact, the secant through the last two is not.
        let beta = |r: f64| 0.3 + 0.2 * r + 0.1 * r * r;
        let p = |r: f64| (beta(r), r);
        let all = |_: f64| true;
        let got = interpolate(Some(p(-1.0)), p(-0.5), p(0.25), all).unwrap();
        assert!((got - 0.3).abs() < 1e-15, "{got}");
        // Secant through (β(−0.5), −0.5) and (β(0.25), 0.25), by hand.
        let (xa, xb) = (beta(-0.5), beta(0.25));
        let secant = xb - 0.25 * (xb - xa) / 0.75;
        assert!((secant - 0.3).abs() > 1e-3);
        let got = interpolate(None, p(-0.5), p(0.25), all).unwrap();
        assert!((got - secant).abs() < 1e-15);
        // Two equal revenues leave the quadratic undefined: the secant.
        let got = interpolate(Some((0.9, 0.25)), p(-0.5), p(0.25), all).unwrap();
        assert!((got - secant).abs() < 1e-15);
        // A quadratic root outside the bracket falls back to the secant;
        // with both outside there is no step.
        let near_secant = |b: f64| (b - secant).abs() < 1e-9;
        let got = interpolate(Some(p(-1.0)), p(-0.5), p(0.25), near_secant);
        assert_eq!(got, Some(secant));
        assert_eq!(
            interpolate(Some(p(-1.0)), p(-0.5), p(0.25), |_| false),
            None
        );
    }

    #[test]
    fn bisect_is_geometric_above_alpha_near_it_and_arithmetic_otherwise() {
        let lowest = 1e-300;
        // Deficit end 2⁻³⁴ above α = 0.5 (exact), surplus end 2⁻² above:
        // the geometric mean of the distances, 2⁻¹⁸, measured from α.
        let got = bisect(0.5, 0.5 + 2f64.powi(-34), 0.75, lowest).unwrap();
        let want = 0.5 + 2f64.powi(-18);
        assert!((got - want).abs() < 1e-15, "{got} against {want}");
        // At the deficit end α itself, `lowest` stands in for its distance.
        let got = bisect(0.25, 0.25, 0.75, lowest).unwrap();
        assert!(
            (got - (0.25 + (lowest * 0.5).sqrt())).abs() < 1e-15,
            "{got}"
        );
        // Comparable distances: the midpoint.
        assert_eq!(bisect(0.5, 0.6, 0.9, lowest), Some(0.75));
        // A bracket within two smallest steps of α: nothing left to split.
        assert_eq!(bisect(0.5, 0.5, 0.5 + 1e-300, lowest), None);
    }
}
