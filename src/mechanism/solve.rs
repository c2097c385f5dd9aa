//! How an [`OptimalMechanism`] is computed: the solve entries.

use super::budget::{break_even, revenue_zero};
use super::evaluate::evaluate;
use super::levels::{class_inputs, cold_start};
use super::{MechanismError, OptimalMechanism, SolveStatus, SolverConfig};
use crate::market::Market;

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
}
