//! How a solve went: [`SolveStatus`].

use std::fmt;

/// How a solve went: iterations spent and the final residual of the
/// fixed-point equations `η_i = κ_i/(K − κ_i) Σ_{j≠i} E[V_j]`, relative to
/// the scale of the types.
///
/// # Example
/// ```
/// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
/// let s = OptimalMechanism::solve(&m, 0.3).unwrap().status().clone();
/// assert!(s.converged && s.residual < 1e-10);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SolveStatus {
    /// Outer iterations (aggregate: evaluations of the outer function;
    /// dense Newton: Newton steps), summed over the budget search.
    pub outer_iterations: usize,
    /// Solves at trial weights spent by the budget search (0 if the budget
    /// did not bind).
    pub budget_iterations: usize,
    /// Largest relative residual of the `η` equations at the solution.
    pub residual: f64,
    /// Whether the residual met the tolerance.
    pub converged: bool,
    /// A bound on how far the ironing can have moved the objective, summed
    /// over traders: each ironed class contributes `2 δ (hi − lo)` per
    /// trader, with `δ` the sup-norm bound on its cumulative curve `G`
    /// (`docs/theory.md`, "Ironing"), in the units of the β-weighted
    /// virtual surplus `∫ (g V − V²/2) f` (type²). 0 when no class needed
    /// ironing.
    pub ironing_bound: f64,
}

impl fmt::Display for SolveStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} outer iterations, {} budget iterations, relative residual {:e}",
            self.outer_iterations, self.budget_iterations, self.residual
        )
    }
}
