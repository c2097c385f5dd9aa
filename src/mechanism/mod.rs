//! The α-optimal exchange direct mechanism (the paper's Theorem 1) and the
//! first best (Lemma 2, Proposition 1).
//!
//! [`OptimalMechanism::solve`] is the entry point. The mechanism it returns
//! exposes the weight `β = (α + λ)/(1 + λ)` and the budget multiplier `λ`,
//! revenue (eq. (5)) and efficiency, and per class the level `η_i`, the
//! binding interval, the virtual value, the participation multiplier `Ω_i`,
//! the interim allocation and transfer (Corollary 1.2, eq. (4)) and the
//! utility gain of participation (eq. (3)).
//!
//! **Indexing convention** (the same across the crate, as for slices):
//! `class(i)` on [`OptimalMechanism`],
//! [`SidePayments`](crate::implementation::SidePayments) and
//! [`PlainDoubleAuction`](crate::benchmarks::PlainDoubleAuction) panics when
//! `i` is out of range, `get_class(i)` returns `None` instead, and
//! `classes()` gives the slice. Methods that take a class index together
//! with other input and already return a `Result` (such as
//! [`OptimalMechanism::interim_allocation`]) report an out-of-range index
//! as an error.

mod direct;
mod error;
mod feasibility;
mod first_best;
mod ironing;
mod solver;
mod transfers;
mod virtual_value;
mod welfare;

pub use self::direct::DirectMechanism;
pub use self::error::MechanismError;
pub use self::feasibility::{check_feasibility, FeasibilityViolation};
pub use self::first_best::{means_proportional_to_kappa, FirstBest};
pub use self::solver::{SolveStatus, SolverConfig, SolverVariant};
pub use self::virtual_value::VirtualValue;
pub use crate::numerics::RootMethod;

use self::ironing::VirtualTypes;
use self::solver::{class_inputs, cold_start, solve_levels, ClassInput, Levels};
use self::virtual_value::AtEta;
use self::welfare::{
    class_moments, market_centre, welfare, ClassMoments, ClassWelfare, TailIntegrals,
};
use crate::market::Market;
use crate::numerics::parallel;

/// The solution for one class of identical traders.
///
/// # Example
/// ```
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::OptimalMechanism;
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let mech = OptimalMechanism::solve(&m, 1.0)?;
/// let c = mech.class(0);
/// // Example 1 at α = 1: half of the types are in the binding interval.
/// assert!((c.no_trade_probability() - 0.5).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClassSolution {
    kappa: f64,
    count: u64,
    weight: f64,
    lambda: f64,
    vv: VirtualValue,
    no_trade: f64,
    moments: ClassMoments,
    welfare: ClassWelfare,
}

impl ClassSolution {
    /// Risk capacity `κ_i` of a trader of this class.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert_eq!(OptimalMechanism::solve(&m, 0.5).unwrap().class(0).kappa(), 0.5);
    /// ```
    pub fn kappa(&self) -> f64 {
        self.kappa
    }

    /// Number of traders in the class.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert_eq!(OptimalMechanism::solve(&m, 0.5).unwrap().class(0).count(), 3);
    /// ```
    pub fn count(&self) -> u64 {
        self.count
    }

    /// `w_i = κ_i / K`, the trader's share of the aggregate virtual value in (12).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert_eq!(OptimalMechanism::solve(&m, 0.5).unwrap().class(0).weight(), 0.25);
    /// ```
    pub fn weight(&self) -> f64 {
        self.weight
    }

    /// The level `η_i` (eq. (13)–(14)): the virtual value on the binding interval.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert!(OptimalMechanism::solve(&m, 0.5).unwrap().class(0).eta().abs() < 1e-12);
    /// ```
    pub fn eta(&self) -> f64 {
        self.vv.eta
    }

    /// The binding interval `[Z_ia, Z_ib]` (Lemma 3), clamped to the support:
    /// the types whose virtual value is `η`. For a class that needed
    /// ironing it can be wider than `[L⁻¹(η), H⁻¹(η)]` when a pooled stretch
    /// of the ironed types sits exactly at `η`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let (a, b) = OptimalMechanism::solve(&m, 0.5).unwrap().class(0).binding_interval();
    /// assert!((a + 1.0 / 3.0).abs() < 1e-12 && (b - 1.0 / 3.0).abs() < 1e-12);
    /// ```
    pub fn binding_interval(&self) -> (f64, f64) {
        (self.vv.za, self.vv.zb)
    }

    /// The pooled intervals outside the binding interval: where the class's
    /// virtual types were not monotone and ironing makes the virtual value
    /// constant (at a level other than `η`). Empty for a regular class. See
    /// [`VirtualValue::ironed_intervals`].
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert!(OptimalMechanism::solve(&m, 1.0).unwrap().class(0).ironed_intervals().is_empty());
    /// ```
    pub fn ironed_intervals(&self) -> Vec<(f64, f64)> {
        self.vv.ironed_intervals()
    }

    /// `P(Z_i ∈ [Z_ia, Z_ib]) = F(Z_ib) − F(Z_ia)`: the probability that the
    /// trader's type is one that expects to trade zero.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert!(OptimalMechanism::solve(&m, 0.0).unwrap().class(0).no_trade_probability() < 1e-12);
    /// ```
    pub fn no_trade_probability(&self) -> f64 {
        self.no_trade
    }

    /// The virtual value function `V_i`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let mech = OptimalMechanism::solve(&m, 0.0).unwrap();
    /// // At α = 0 in Example 1 the virtual value is the type itself.
    /// assert!((mech.class(0).virtual_value().value(0.3) - 0.3).abs() < 1e-12);
    /// ```
    pub fn virtual_value(&self) -> &VirtualValue {
        &self.vv
    }

    /// `E[V_i(Z_i)]`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert!(OptimalMechanism::solve(&m, 0.7).unwrap().class(0).mean_virtual_value().abs() < 1e-12);
    /// ```
    pub fn mean_virtual_value(&self) -> f64 {
        self.moments.mean_v + self.moments.centre
    }

    /// `Var V_i(Z_i)`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// // At α = 0, V = Z and Var Z = 1/3 on [−1, 1].
    /// assert!((OptimalMechanism::solve(&m, 0.0).unwrap().class(0).variance_virtual_value() - 1.0 / 3.0).abs() < 1e-12);
    /// ```
    pub fn variance_virtual_value(&self) -> f64 {
        self.moments.var_v
    }

    /// The paper's multiplier `Ω_i(z) = (1 + λ) ω_i(z)` on the participation
    /// constraint: 0 below the binding interval, `α + λ` above it.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let c = OptimalMechanism::solve(&m, 0.6).unwrap().class(0).clone();
    /// assert!((c.multiplier(0.9) - 0.6).abs() < 1e-12);
    /// assert_eq!(c.multiplier(-0.9), 0.0);
    /// ```
    pub fn multiplier(&self, z: f64) -> f64 {
        (1.0 + self.lambda) * self.vv.multiplier(z)
    }

    /// `G_i(lo)`: the utility gain of participation of the lowest type.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert!(OptimalMechanism::solve(&m, 0.5).unwrap().class(0).lowest_type_gain() > 0.0);
    /// ```
    pub fn lowest_type_gain(&self) -> f64 {
        self.welfare.lowest_gain
    }

    /// Expected revenue raised from one trader of the class (its share of eq. (5)).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let mech = OptimalMechanism::solve(&m, 1.0).unwrap();
    /// assert!((4.0 * mech.class(0).revenue_per_trader() - mech.revenue()).abs() < 1e-12);
    /// ```
    pub fn revenue_per_trader(&self) -> f64 {
        self.welfare.revenue
    }

    /// Expected holding cost `E[(Z_i + X_i)²]/(2κ_i)` of one trader of the class.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let mech = OptimalMechanism::solve(&m, 1.0).unwrap();
    /// assert!((4.0 * mech.class(0).holding_cost() + mech.efficiency()).abs() < 1e-12);
    /// ```
    pub fn holding_cost(&self) -> f64 {
        self.welfare.holding_cost
    }

    /// `E[X_i]`: the trader's expected net purchase.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert!(OptimalMechanism::solve(&m, 1.0).unwrap().class(0).mean_allocation().abs() < 1e-12);
    /// ```
    pub fn mean_allocation(&self) -> f64 {
        self.welfare.mean_x
    }
}

/// The α-optimal exchange direct mechanism of Theorem 1 under ex-ante
/// budget balance.
///
/// # Example
/// ```
/// use exchange_design::distribution::{TruncatedNormal, Uniform};
/// use exchange_design::market::{Market, TraderClass};
/// use exchange_design::mechanism::OptimalMechanism;
/// let market = Market::new(vec![
///     TraderClass::new(0.5, Uniform::new(-1.0, 1.0)?, 3),
///     TraderClass::new(1.0, TruncatedNormal::new(0.2, 0.5, -1.0, 1.0)?, 2),
/// ])?;
/// let mech = OptimalMechanism::solve(&market, 0.5)?;
/// assert!(mech.revenue() >= -1e-12);
/// let x = mech.allocation(&[0.1, -0.4, 0.9, 0.0, 0.3])?;
/// assert!(x.iter().sum::<f64>().abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct OptimalMechanism {
    market: Market,
    alpha: f64,
    beta: f64,
    lambda: f64,
    budget_binding: bool,
    revenue: f64,
    efficiency: f64,
    /// `S = Σ_j E[V_j]` over all traders.
    sum_mean_v: f64,
    classes: Vec<ClassSolution>,
    status: SolveStatus,
}

/// A full evaluation at one weight `β`.
struct Evaluation {
    /// Per class, the (ironed) virtual types at `β`.
    types: Vec<VirtualTypes>,
    levels: Levels,
    moments: Vec<ClassMoments>,
    welfare: Vec<ClassWelfare>,
    revenue: f64,
    efficiency: f64,
}

/// A full evaluation at weight `beta`, from the inner state `warm` (updated
/// to this weight's). `tails`, when given, holds each class's tail
/// integrals from an earlier evaluation of the same market and is updated
/// (the budget search's trials; see [`welfare::TailIntegrals`]); without
/// it each class integrates its tails afresh.
fn evaluate(
    market: &Market,
    inputs: &[ClassInput<'_>],
    beta: f64,
    warm: &mut [AtEta],
    tails: Option<&mut [TailIntegrals]>,
    config: &SolverConfig,
    status: &mut SolveStatus,
) -> Result<Evaluation, MechanismError> {
    // Each class's (ironed) virtual types at this weight; in parallel, as
    // ironing a non-regular class costs a scan and a few roots.
    let types = parallel::map(inputs, |inp| {
        VirtualTypes::new(inp.dist, beta, &config.tolerances)
    })
    .into_iter()
    .enumerate()
    .map(|(class, t)| {
        t.map_err(|e| MechanismError::Ironing {
            class,
            reason: e.to_string(),
        })
    })
    .collect::<Result<Vec<_>, _>>()?;
    let levels = solve_levels(inputs, &types, warm, config, status)?;
    let t_hat = market_centre(market);
    let triples: Vec<(&ClassInput<'_>, &VirtualTypes, &AtEta)> = inputs
        .iter()
        .zip(&types)
        .zip(&levels.classes)
        .map(|((inp, ty), at)| (inp, ty, at))
        .collect();
    let moments_of = |(inp, ty, at): &(&ClassInput<'_>, &VirtualTypes, &AtEta),
                      tails: &mut TailIntegrals| {
        class_moments(
            inp.dist,
            ty,
            at,
            t_hat * inp.kappa,
            &config.tolerances,
            tails,
        )
    };
    let moments: Vec<ClassMoments> = match tails {
        None => parallel::map(&triples, |t| moments_of(t, &mut TailIntegrals::default())),
        Some(tails) => {
            let mut slots: Vec<(TailIntegrals, ClassMoments)> = tails
                .iter()
                .map(|t| (*t, ClassMoments::default()))
                .collect();
            let Ok(()) = parallel::update(&triples, &mut slots, |t, (tails, out)| {
                *out = moments_of(t, tails);
                Ok::<(), std::convert::Infallible>(())
            });
            slots
                .into_iter()
                .zip(tails.iter_mut())
                .map(|((t, m), slot)| {
                    *slot = t;
                    m
                })
                .collect()
        }
    };
    let (welfare, revenue, efficiency) = welfare(market, &levels, &moments, t_hat);
    // Each quantity is checked on its own so that the error names it.
    if !revenue.is_finite() {
        return Err(MechanismError::NonFinite { what: "revenue" });
    }
    if !efficiency.is_finite() {
        return Err(MechanismError::NonFinite { what: "efficiency" });
    }
    Ok(Evaluation {
        types,
        levels,
        moments,
        welfare,
        revenue,
        efficiency,
    })
}

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
fn break_even(
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

impl OptimalMechanism {
    /// Solves for the α-optimal mechanism with the default configuration.
    ///
    /// `alpha ∈ [0, 1]` is the weight on expected revenue; `1 − alpha` is the
    /// weight on allocative efficiency. If the unconstrained optimum at
    /// weight `alpha` runs a deficit, the budget constraint binds and the
    /// solution is the optimum at the weight `β* > alpha` that breaks even
    /// (all `alpha ≤ β*` then share this mechanism).
    ///
    /// # Errors
    /// [`MechanismError::InvalidAlpha`] for `alpha` outside `[0, 1]` or NaN;
    /// root-finding failures and non-convergence as typed errors.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::Uniform;
    /// use exchange_design::market::Market;
    /// use exchange_design::mechanism::OptimalMechanism;
    /// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let mech = OptimalMechanism::solve(&m, 0.5)?;
    /// let (za, zb) = mech.class(0).binding_interval();
    /// assert!((za + 1.0 / 3.0).abs() < 1e-10 && (zb - 1.0 / 3.0).abs() < 1e-10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn solve(market: &Market, alpha: f64) -> Result<Self, MechanismError> {
        Self::solve_with(market, alpha, &SolverConfig::default())
    }

    /// [`OptimalMechanism::solve`] with an explicit configuration.
    ///
    /// # Errors
    /// As [`OptimalMechanism::solve`], plus
    /// [`MechanismError::VariantNotApplicable`] when the chosen variant does
    /// not fit the market.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::Uniform;
    /// use exchange_design::market::Market;
    /// use exchange_design::mechanism::{OptimalMechanism, SolverConfig, SolverVariant};
    /// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let cfg = SolverConfig { variant: SolverVariant::UniformLinear, ..Default::default() };
    /// let mech = OptimalMechanism::solve_with(&m, 1.0, &cfg)?;
    /// assert!((mech.class(0).binding_interval().1 - 0.5).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn solve_with(
        market: &Market,
        alpha: f64,
        config: &SolverConfig,
    ) -> Result<Self, MechanismError> {
        Self::solve_from(market, alpha, config, None)
    }

    /// [`OptimalMechanism::solve_with`] warm-started from the solution
    /// `start` of the same market at a nearby weight: its levels, binding
    /// intervals and aggregate are the first guesses. The answer is the
    /// same to the solver's tolerance; only the work differs.
    ///
    /// # Errors
    /// As [`OptimalMechanism::solve_with`]; a `start` of another market
    /// (a different number of classes) is ignored.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::TruncatedNormal, market::Market, mechanism::{OptimalMechanism, SolverConfig}};
    /// let m = Market::symmetric(5, 0.5, TruncatedNormal::new(0.1, 0.5, -1.0, 1.0)?)?;
    /// let cfg = SolverConfig::default();
    /// let near = OptimalMechanism::solve(&m, 0.50)?;
    /// let warm = OptimalMechanism::solve_warm(&m, 0.51, &cfg, &near)?;
    /// let cold = OptimalMechanism::solve(&m, 0.51)?;
    /// assert!((warm.revenue() - cold.revenue()).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn solve_warm(
        market: &Market,
        alpha: f64,
        config: &SolverConfig,
        start: &OptimalMechanism,
    ) -> Result<Self, MechanismError> {
        Self::solve_from(market, alpha, config, Some(start))
    }

    fn solve_from(
        market: &Market,
        alpha: f64,
        config: &SolverConfig,
        start: Option<&OptimalMechanism>,
    ) -> Result<Self, MechanismError> {
        if !(0.0..=1.0).contains(&alpha) {
            return Err(MechanismError::InvalidAlpha { alpha });
        }
        let inputs = class_inputs(market);
        let mut warm = match start {
            Some(m) if m.classes.len() == inputs.len() => m.warm_state(),
            _ => cold_start(&inputs),
        };
        let mut status = SolveStatus::default();
        let first = evaluate(market, &inputs, alpha, &mut warm, None, config, &mut status)?;
        let zero = revenue_zero(market, &config.tolerances);
        let (eval, beta) = if first.revenue >= -zero || alpha >= 1.0 {
            (first, alpha)
        } else {
            break_even(
                market,
                &inputs,
                alpha,
                first,
                warm,
                zero,
                config,
                &mut status,
            )?
        };
        let lambda = if beta > alpha {
            (beta - alpha) / (1.0 - beta)
        } else {
            0.0
        };
        if !lambda.is_finite() {
            return Err(MechanismError::NonFinite {
                what: "budget multiplier lambda",
            });
        }
        Ok(Self::assemble(market, alpha, beta, lambda, eval, status))
    }

    /// The optimum at weight `beta` on revenue *without* the budget
    /// constraint (7): the mechanism of Theorem 1 with `λ = 0`, whose
    /// revenue may be negative. [`OptimalMechanism::solve`] returns this
    /// whenever its revenue is non-negative; otherwise it searches for the
    /// weight at which it breaks even.
    ///
    /// # Errors
    /// As [`OptimalMechanism::solve_with`].
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::{Market, TraderClass}, mechanism::{OptimalMechanism, SolverConfig}};
    /// let m = Market::new(vec![
    ///     TraderClass::new(1.0, Uniform::new(-1.0, 1.0)?, 2),
    ///     TraderClass::new(1.0, Uniform::new(0.0, 2.0)?, 2),
    /// ])?;
    /// let deficit = OptimalMechanism::solve_unconstrained(&m, 0.0, &SolverConfig::default())?;
    /// assert!(deficit.revenue() < 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn solve_unconstrained(
        market: &Market,
        beta: f64,
        config: &SolverConfig,
    ) -> Result<Self, MechanismError> {
        if !(0.0..=1.0).contains(&beta) {
            return Err(MechanismError::InvalidAlpha { alpha: beta });
        }
        let inputs = class_inputs(market);
        let mut warm = cold_start(&inputs);
        let mut status = SolveStatus::default();
        let eval = evaluate(market, &inputs, beta, &mut warm, None, config, &mut status)?;
        Ok(Self::assemble(market, beta, beta, 0.0, eval, status))
    }

    /// The first best of the same market (Lemma 2).
    ///
    /// # Errors
    /// Numerical failures only.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let mech = OptimalMechanism::solve(&m, 0.5)?;
    /// assert!(mech.first_best()?.efficiency() >= mech.efficiency());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn first_best(&self) -> Result<FirstBest, MechanismError> {
        FirstBest::new(&self.market)
    }

    fn assemble(
        market: &Market,
        alpha: f64,
        beta: f64,
        lambda: f64,
        eval: Evaluation,
        mut status: SolveStatus,
    ) -> Self {
        let k_total = market.total_kappa();
        status.ironing_bound = market
            .classes()
            .iter()
            .zip(&eval.types)
            .map(|(c, t)| {
                let (lo, hi) = c.distribution().support();
                c.count() as f64 * 2.0 * t.bound() * (hi - lo)
            })
            .sum();
        let classes = market
            .classes()
            .iter()
            .zip(eval.levels.classes.iter().zip(eval.types))
            .zip(eval.moments.iter().zip(&eval.welfare))
            .map(|((c, (at, types)), (m, w))| ClassSolution {
                kappa: c.kappa(),
                count: c.count(),
                weight: c.kappa() / k_total,
                lambda,
                vv: VirtualValue {
                    dist: c.shared_distribution(),
                    beta,
                    eta: at.eta,
                    za: at.za,
                    zb: at.zb,
                    int_lower: m.int_lower,
                    types,
                },
                no_trade: at.slope,
                moments: *m,
                welfare: *w,
            })
            .collect();
        Self {
            market: market.clone(),
            alpha,
            beta,
            lambda,
            budget_binding: beta > alpha,
            revenue: eval.revenue,
            efficiency: eval.efficiency,
            sum_mean_v: eval.levels.sum,
            classes,
            status,
        }
    }

    /// The weight on revenue the mechanism was solved for.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert_eq!(OptimalMechanism::solve(&m, 0.25).unwrap().alpha(), 0.25);
    /// ```
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The effective weight `β = (α + λ)/(1 + λ)` at which the virtual values
    /// are built; `β = α` unless the budget binds.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert_eq!(OptimalMechanism::solve(&m, 0.25).unwrap().beta(), 0.25);
    /// ```
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// The multiplier `λ ≥ 0` on the budget constraint (7).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert_eq!(OptimalMechanism::solve(&m, 0.0).unwrap().lambda(), 0.0);
    /// ```
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// Whether ex-ante budget balance binds (`λ > 0`, revenue exactly zero).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::{Market, TraderClass}, mechanism::OptimalMechanism};
    /// // Means not proportional to κ: first best runs a deficit.
    /// let m = Market::new(vec![
    ///     TraderClass::new(1.0, Uniform::new(-1.0, 1.0).unwrap(), 2),
    ///     TraderClass::new(1.0, Uniform::new(0.0, 2.0).unwrap(), 2),
    /// ]).unwrap();
    /// let mech = OptimalMechanism::solve(&m, 0.0).unwrap();
    /// assert!(mech.budget_binding() && mech.revenue().abs() < 1e-10);
    /// ```
    pub fn budget_binding(&self) -> bool {
        self.budget_binding
    }

    /// Expected revenue `R` (eq. (5)), summed over all traders.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert!(OptimalMechanism::solve(&m, 1.0).unwrap().revenue() > 0.0);
    /// ```
    pub fn revenue(&self) -> f64 {
        self.revenue
    }

    /// Expected allocative efficiency `A = −Σ_i E[(Z_i + X_i)²]/(2κ_i)`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let a0 = OptimalMechanism::solve(&m, 0.0).unwrap().efficiency();
    /// let a1 = OptimalMechanism::solve(&m, 1.0).unwrap().efficiency();
    /// assert!(a0 > a1);
    /// ```
    pub fn efficiency(&self) -> f64 {
        self.efficiency
    }

    /// The objective `α R + (1 − α) A`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let mech = OptimalMechanism::solve(&m, 0.5).unwrap();
    /// assert!((mech.objective() - 0.5 * (mech.revenue() + mech.efficiency())).abs() < 1e-15);
    /// ```
    pub fn objective(&self) -> f64 {
        self.alpha * self.revenue + (1.0 - self.alpha) * self.efficiency
    }

    /// The market the mechanism was solved for.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert_eq!(OptimalMechanism::solve(&m, 0.5).unwrap().market().n_traders(), 3);
    /// ```
    pub fn market(&self) -> &Market {
        &self.market
    }

    /// The solution of class `index` (in market order), like slice indexing.
    ///
    /// # Panics
    /// If `index` is out of range; [`OptimalMechanism::get_class`] returns
    /// `None` instead, and [`OptimalMechanism::classes`] iterates.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert_eq!(OptimalMechanism::solve(&m, 0.5).unwrap().class(0).count(), 3);
    /// ```
    pub fn class(&self, index: usize) -> &ClassSolution {
        &self.classes[index]
    }

    /// The solution of class `index`, or `None` when it is out of range.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let mech = OptimalMechanism::solve(&m, 0.5).unwrap();
    /// assert!(mech.get_class(0).is_some() && mech.get_class(7).is_none());
    /// ```
    pub fn get_class(&self, index: usize) -> Option<&ClassSolution> {
        self.classes.get(index)
    }

    /// All class solutions, in market order.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert_eq!(OptimalMechanism::solve(&m, 0.5).unwrap().classes().len(), 1);
    /// ```
    pub fn classes(&self) -> &[ClassSolution] {
        &self.classes
    }

    /// `Σ_j E[V_j(Z_j)]` over all traders: minus the expected clearing
    /// price of the implementing double auction (which clears at
    /// `p = −Σ_j V_j(Z_j)`).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(0.0, 2.0).unwrap()).unwrap();
    /// // At α = 0, V = Z, so the sum is N · E[Z] = 3.
    /// assert!((OptimalMechanism::solve(&m, 0.0).unwrap().aggregate_mean_virtual_value() - 3.0).abs() < 1e-12);
    /// ```
    pub fn aggregate_mean_virtual_value(&self) -> f64 {
        self.sum_mean_v
    }

    /// How the solve went.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// assert!(OptimalMechanism::solve(&m, 0.5).unwrap().status().converged);
    /// ```
    pub fn status(&self) -> &SolveStatus {
        &self.status
    }

    /// The per-class solver state of this solution, to warm-start a solve
    /// at a nearby weight.
    fn warm_state(&self) -> Vec<AtEta> {
        self.classes
            .iter()
            .map(|c| AtEta {
                eta: c.vv.eta,
                za: c.vv.za,
                zb: c.vv.zb,
                mean: c.moments.mean_v + c.moments.centre,
                slope: c.no_trade,
            })
            .collect()
    }

    /// The class index of each trader, in the order [`OptimalMechanism::allocation`] expects.
    pub(crate) fn class_of_traders(&self) -> impl Iterator<Item = usize> + '_ {
        self.classes
            .iter()
            .enumerate()
            .flat_map(|(k, c)| std::iter::repeat_n(k, c.count as usize))
    }
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
