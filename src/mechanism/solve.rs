//! How an [`OptimalMechanism`] is computed: the problem (a market and a
//! weight), the solver's settings and options ([`SolveBuilder`]), and the
//! result with its [`SolveStatus`].

use super::budget::{break_even, revenue_zero};
use super::evaluate::evaluate;
use super::levels::{class_inputs, cold_start};
use super::{MechanismError, OptimalMechanism, SolveStatus, SolverConfig};
use crate::market::Market;
use crate::numerics::NumericalError;

/// Whether the solve imposes ex-ante budget balance (constraint (7)).
///
/// # Example
/// ```
/// # use exchange_design::prelude::*;
/// # use exchange_design::{distribution::Uniform, market::{Market, TraderClass}, mechanism::{Budget, OptimalMechanism}};
/// // Means not proportional to κ: the efficient mechanism runs a deficit.
/// let m = Market::new(vec![
///     TraderClass::new(1.0, Uniform::new(-1.0, 1.0)?, 2),
///     TraderClass::new(1.0, Uniform::new(0.0, 2.0)?, 2),
/// ])?;
/// let free = OptimalMechanism::builder(&m, 0.0).budget(Budget::Free).solve()?;
/// assert!(free.revenue() < 0.0);
/// let balanced = OptimalMechanism::builder(&m, 0.0).budget(Budget::Balanced).solve()?;
/// assert!(balanced.budget_binding() && balanced.revenue().abs() < 1e-10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Budget {
    /// Ex-ante budget balance is imposed (the paper's problem): when the
    /// optimum at `α` runs a deficit, the solve searches for the weight
    /// `β* > α` at which revenue breaks even (`λ > 0`).
    #[default]
    Balanced,
    /// No budget constraint: the optimum at weight `α` with `λ = 0`, whose
    /// revenue may be negative.
    Free,
}

/// A solve being set up: the problem (market and weight `α`) and its
/// options, from [`OptimalMechanism::builder`]. Nothing is computed until
/// [`SolveBuilder::solve`].
///
/// # Example
/// ```
/// # use exchange_design::prelude::*;
/// use exchange_design::distribution::TruncatedNormal;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::{Budget, OptimalMechanism, SolverConfig, SolverVariant, Termination};
/// let m = Market::symmetric(5, 0.5, TruncatedNormal::new(0.1, 0.5, -1.0, 1.0)?)?;
/// let near = OptimalMechanism::solve(&m, 0.50)?;
/// let mech = OptimalMechanism::builder(&m, 0.51)
///     .config(SolverConfig::default().with_variant(SolverVariant::Aggregate))
///     .warm_start(&near)
///     .budget(Budget::Balanced)
///     .solve()?;
/// // A warm start changes the work, not the answer.
/// assert!((mech.revenue() - OptimalMechanism::solve(&m, 0.51)?.revenue()).abs() < 1e-12);
/// let status = mech.status();
/// assert_eq!(status.termination, Termination::ToleranceMet);
/// assert!(status.residual <= status.tolerance);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a SolveBuilder does nothing until `.solve()`"]
pub struct SolveBuilder<'a> {
    market: &'a Market,
    alpha: f64,
    config: SolverConfig,
    start: Option<&'a OptimalMechanism>,
    budget: Budget,
}

impl<'a> SolveBuilder<'a> {
    /// Solver settings (default: `SolverConfig::default()`).
    pub fn config(mut self, config: SolverConfig) -> Self {
        self.config = config;
        self
    }

    /// Warm-starts from the solution `start` of the same market at a
    /// nearby weight: its levels, binding intervals and aggregate are the
    /// first guesses. The answer is the same to the solver's tolerance;
    /// only the work differs. A `start` of another market (a different
    /// number of classes) is ignored.
    pub fn warm_start(mut self, start: &'a OptimalMechanism) -> Self {
        self.start = Some(start);
        self
    }

    /// Whether budget balance is imposed (default: [`Budget::Balanced`]).
    pub fn budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
        self
    }

    /// Runs the solve.
    ///
    /// # Errors
    /// [`MechanismError::InvalidAlpha`] for `α` outside `[0, 1]` or NaN;
    /// [`MechanismError::InvalidTolerance`] for a configuration whose
    /// tolerances cannot be met; [`MechanismError::VariantNotApplicable`]
    /// when the chosen variant does not fit the market; root-finding
    /// failures, non-convergence ([`MechanismError::NotConverged`], with
    /// the status where it stopped) and a budget that cannot be balanced as
    /// typed errors.
    pub fn solve(self) -> Result<OptimalMechanism, MechanismError> {
        let Self {
            market,
            alpha,
            config,
            start,
            budget,
        } = self;
        if !(0.0..=1.0).contains(&alpha) {
            return Err(MechanismError::InvalidAlpha { alpha });
        }
        config.tolerances.validate()?;
        let config = &config;
        let inputs = class_inputs(market);
        let mut warm = match start {
            Some(m) if m.classes.len() == inputs.len() => m.warm_state(),
            _ => cold_start(&inputs),
        };
        let mut status = SolveStatus::default();
        let first = evaluate(market, &inputs, alpha, &mut warm, None, config, &mut status)?;
        if budget == Budget::Free {
            return Ok(OptimalMechanism::assemble(
                market, alpha, alpha, 0.0, first, status, config,
            ));
        }
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
            return Err(MechanismError::Numerical(NumericalError::NonFinite {
                what: "budget multiplier lambda",
            }));
        }
        Ok(OptimalMechanism::assemble(
            market, alpha, beta, lambda, eval, status, config,
        ))
    }
}

impl OptimalMechanism {
    /// Sets up a solve of `market` at weight `alpha ∈ [0, 1]` on expected
    /// revenue (`1 − alpha` on allocative efficiency); options are set on
    /// the [`SolveBuilder`] and [`SolveBuilder::solve`] runs it. This is the
    /// one solve entry; [`solve`](Self::solve), [`solve_with`](Self::solve_with),
    /// [`solve_warm`](Self::solve_warm) and
    /// [`solve_unconstrained`](Self::solve_unconstrained) are shorthands for
    /// common option sets.
    pub fn builder(market: &Market, alpha: f64) -> SolveBuilder<'_> {
        SolveBuilder {
            market,
            alpha,
            config: SolverConfig::default(),
            start: None,
            budget: Budget::Balanced,
        }
    }

    /// Solves for the α-optimal mechanism with the default configuration:
    /// shorthand for `builder(market, alpha).solve()`.
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
    /// let (za, zb) = mech.class(0).virtual_value().binding_interval();
    /// assert!((za + 1.0 / 3.0).abs() < 1e-10 && (zb - 1.0 / 3.0).abs() < 1e-10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn solve(market: &Market, alpha: f64) -> Result<Self, MechanismError> {
        Self::solve_with(market, alpha, &SolverConfig::default())
    }

    /// Shorthand for `builder(market, alpha).config(*config).solve()`.
    ///
    /// # Errors
    /// As [`SolveBuilder::solve`].
    pub fn solve_with(
        market: &Market,
        alpha: f64,
        config: &SolverConfig,
    ) -> Result<Self, MechanismError> {
        Self::builder(market, alpha).config(*config).solve()
    }

    /// Shorthand for
    /// `builder(market, alpha).config(*config).warm_start(start).solve()`:
    /// warm-started from the solution `start` of the same market at a
    /// nearby weight (see [`SolveBuilder::warm_start`]).
    ///
    /// # Errors
    /// As [`SolveBuilder::solve`].
    pub fn solve_warm(
        market: &Market,
        alpha: f64,
        config: &SolverConfig,
        start: &OptimalMechanism,
    ) -> Result<Self, MechanismError> {
        Self::builder(market, alpha)
            .config(*config)
            .warm_start(start)
            .solve()
    }

    /// The optimum at weight `beta` on revenue *without* the budget
    /// constraint (7): the mechanism of Theorem 1 with `λ = 0`, whose
    /// revenue may be negative. Shorthand for
    /// `builder(market, beta).config(*config).budget(Budget::Free).solve()`
    /// (see [`Budget`]).
    ///
    /// # Errors
    /// [`MechanismError::InvalidBeta`] for `beta` outside `[0, 1]` or NaN;
    /// otherwise as [`SolveBuilder::solve`].
    pub fn solve_unconstrained(
        market: &Market,
        beta: f64,
        config: &SolverConfig,
    ) -> Result<Self, MechanismError> {
        if !(0.0..=1.0).contains(&beta) {
            return Err(MechanismError::InvalidBeta { beta });
        }
        Self::builder(market, beta)
            .config(*config)
            .budget(Budget::Free)
            .solve()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::Uniform;
    use crate::market::TraderClass;
    use crate::mechanism::DirectMechanism;
    use crate::mechanism::{SolverVariant, Termination};
    use crate::numerics::Tolerances;

    fn example1() -> Market {
        Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap()
    }

    /// Means not proportional to κ: the efficient mechanism runs a deficit.
    fn deficit_market() -> Market {
        Market::new(vec![
            TraderClass::new(1.0, Uniform::new(-1.0, 1.0).unwrap(), 2),
            TraderClass::new(1.0, Uniform::new(0.0, 2.0).unwrap(), 2),
        ])
        .unwrap()
    }

    #[test]
    fn tolerances_that_cannot_be_met_are_typed_errors_at_solve_time() {
        let m = example1();
        let base = Tolerances::DEFAULT;
        let bad = [
            (base.with_root_rel(f64::NAN), "root_rel"),
            (base.with_root_rel(0.0), "root_rel"),
            (base.with_quad_rel(-1e-12), "quad_rel"),
            (base.with_quad_abs(f64::INFINITY), "quad_abs"),
            (base.with_budget_rel(2.0), "budget_rel"),
            (base.with_max_outer_iterations(0), "max_outer_iterations"),
        ];
        for (tol, field) in bad {
            let cfg = SolverConfig::default().with_tolerances(tol);
            match OptimalMechanism::builder(&m, 0.5).config(cfg).solve() {
                Err(MechanismError::InvalidTolerance(e)) => {
                    assert_eq!(e.name, field);
                    assert!(e.to_string().contains(field));
                }
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_bad_weight_is_named_after_the_entry_that_took_it() {
        let m = example1();
        let cfg = SolverConfig::default();
        assert!(matches!(
            OptimalMechanism::solve_unconstrained(&m, 1.5, &cfg),
            Err(MechanismError::InvalidBeta { beta }) if beta == 1.5
        ));
        assert!(matches!(
            OptimalMechanism::builder(&m, f64::NAN).solve(),
            Err(MechanismError::InvalidAlpha { .. })
        ));
    }

    #[test]
    fn the_uniform_linear_variant_reports_its_own_name_when_too_large() {
        let m = Market::symmetric(20_001, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
        for variant in [SolverVariant::UniformLinear, SolverVariant::DenseNewton] {
            let cfg = SolverConfig::default().with_variant(variant);
            match OptimalMechanism::solve_with(&m, 0.5, &cfg) {
                Err(MechanismError::VariantNotApplicable { variant: v, .. }) => {
                    assert_eq!(v, variant)
                }
                other => panic!("{variant:?}: {other:?}"),
            }
        }
    }

    /// The free budget is the paper's unconstrained optimum: at α = 0 and
    /// uniform types the virtual value is the type, so revenue is what the
    /// efficient mechanism raises, −Σ|…| < 0 here; the balanced solve of
    /// the same market breaks even at β* > 0.
    #[test]
    fn budget_free_and_balanced_differ_only_where_the_budget_binds() {
        let m = deficit_market();
        let free = OptimalMechanism::builder(&m, 0.0)
            .budget(Budget::Free)
            .solve()
            .unwrap();
        assert!(free.revenue() < 0.0 && free.lambda() == 0.0 && free.beta() == 0.0);
        assert!(!free.budget_binding());
        let balanced = OptimalMechanism::builder(&m, 0.0).solve().unwrap();
        assert!(balanced.budget_binding() && balanced.beta() > 0.0);
        // λ = (β − α)/(1 − β), the definition of β.
        let b = balanced.beta();
        assert!((balanced.lambda() - b / (1.0 - b)).abs() < 1e-15);
        // Where the budget does not bind, the two agree exactly.
        let m = example1();
        let free = OptimalMechanism::builder(&m, 0.5)
            .budget(Budget::Free)
            .solve()
            .unwrap();
        let balanced = OptimalMechanism::solve(&m, 0.5).unwrap();
        assert_eq!(free.revenue(), balanced.revenue());
    }

    #[test]
    fn the_status_names_the_tolerance_it_met() {
        let m = example1();
        let tol = Tolerances::DEFAULT.with_root_rel(1e-11);
        let cfg = SolverConfig::default().with_tolerances(tol);
        for variant in [
            SolverVariant::Aggregate,
            SolverVariant::DenseNewton,
            SolverVariant::UniformLinear,
        ] {
            let mech = OptimalMechanism::solve_with(&m, 0.5, &cfg.with_variant(variant)).unwrap();
            let s = mech.status();
            assert!(s.converged, "{variant:?}");
            assert!(s.residual <= s.tolerance, "{variant:?}: {s}");
            match s.termination {
                Termination::ToleranceMet => assert_eq!(s.tolerance, 1e-11),
                Termination::RoundingFloor => assert_eq!(s.tolerance, 1e-8),
                other => panic!("{variant:?}: {other:?}"),
            }
        }
    }

    /// An integral that cannot meet its tolerance is reported, not passed
    /// off: with `quad_rel` far below rounding every adaptive quadrature of
    /// the moments stops at its panel cap, and the status carries the
    /// accuracy reached; at the default tolerance it is within `quad_rel`.
    #[test]
    fn the_status_carries_the_accuracy_the_quadratures_reached() {
        let d = crate::distribution::TruncatedNormal::new(0.1, 0.5, -1.0, 1.0).unwrap();
        let m = Market::symmetric(3, 0.5, d).unwrap();
        let ok = OptimalMechanism::solve(&m, 0.5).unwrap();
        let s = ok.status();
        assert!(s.quadrature_error > 0.0, "{s:?}");
        assert!(s.quadrature_error <= Tolerances::DEFAULT.quad_rel, "{s:?}");
        let tol = Tolerances::DEFAULT.with_quad_rel(1e-300);
        let cfg = SolverConfig::default().with_tolerances(tol);
        let capped = OptimalMechanism::solve_with(&m, 0.5, &cfg).unwrap();
        let s = capped.status();
        assert!(s.quadrature_error > tol.quad_rel, "{s:?}");
    }
}
