//! The report's `status`: how the solve went.

use crate::mechanism::{SolveStatus, Termination};

/// [`SolveStatus`] as plain fields, with the termination reason as text.
///
/// # Example
/// ```
/// # use exchange_design::spec::{DistributionSpec, Spec, TraderSpec};
/// let spec = Spec { alpha: 0.5, traders: vec![
///     TraderSpec { kappa: 1.0, count: 4, distribution: DistributionSpec::Uniform { lo: -1.0, hi: 1.0 } },
/// ], fee_queries: None, assess: None, bootstrap: None };
/// let s = spec.run()?.status;
/// assert_eq!(s.termination, "tolerance_met");
/// assert!(s.converged && s.residual <= s.tolerance);
/// # Ok::<(), exchange_design::spec::SpecError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StatusReport {
    /// Why the level iteration stopped: `tolerance_met`, or
    /// `rounding_floor` when rounding held the residual above `root_rel`
    /// and the solve accepted the rounding allowance `1e3 · root_rel`.
    pub termination: String,
    /// Outer iterations, summed over the budget search.
    pub outer_iterations: usize,
    /// Solves at trial weights spent by the budget search.
    pub budget_iterations: usize,
    /// Largest relative residual of the level equations, each against its
    /// own magnitude (the largest of its terms and its class's type scale).
    pub residual: f64,
    /// The tolerance that residual met.
    pub tolerance: f64,
    /// Whether it met it (always true in a report: a failed solve is an
    /// `error:` line).
    pub converged: bool,
    /// Bound on how far the ironing can have moved the objective.
    pub ironing_bound: f64,
    /// Largest estimated relative error of the quadratures.
    pub quadrature_error: f64,
    /// Revenue left over where the weight that breaks even lies below the
    /// smallest weight a double can hold above `α` (see
    /// [`SolveStatus::budget_surplus`]); 0 otherwise.
    #[cfg_attr(feature = "serde", serde(default))]
    pub budget_surplus: f64,
}

impl From<&SolveStatus> for StatusReport {
    fn from(s: &SolveStatus) -> Self {
        let termination = match s.termination {
            Termination::NotRun => "not_run",
            Termination::ToleranceMet => "tolerance_met",
            Termination::RoundingFloor => "rounding_floor",
            Termination::IterationLimit => "iteration_limit",
            Termination::ResidualTooLarge => "residual_too_large",
        };
        Self {
            termination: termination.to_string(),
            outer_iterations: s.outer_iterations,
            budget_iterations: s.budget_iterations,
            residual: s.residual,
            tolerance: s.tolerance,
            converged: s.converged,
            ironing_bound: s.ironing_bound,
            quadrature_error: s.quadrature_error,
            budget_surplus: s.budget_surplus,
        }
    }
}
