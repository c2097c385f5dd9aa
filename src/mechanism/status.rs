//! How a solve went: [`SolveStatus`] and its [`Termination`] reason.

use std::fmt;

/// Why the level iteration stopped.
///
/// # Example
/// ```
/// # use exchange_design::{distribution::Uniform, market::Market, mechanism::{OptimalMechanism, Termination}};
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let s = OptimalMechanism::solve(&m, 0.3)?.status().clone();
/// assert_eq!(s.termination, Termination::ToleranceMet);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Termination {
    /// No solve has run (the `Default` of a status).
    #[default]
    NotRun,
    /// The residual met the documented tolerance `Tolerances::root_rel`.
    ToleranceMet,
    /// Rounding floored the residual above `root_rel`, and it met the
    /// rounding allowance `Tolerances::rounding_allowance` (`1e3 ·
    /// root_rel`) instead; this happens on badly scaled markets (risk
    /// capacities spanning orders of magnitude).
    RoundingFloor,
    /// The dense Newton variant used up `Tolerances::max_outer_iterations`
    /// steps (only in [`MechanismError::NotConverged`](super::MechanismError::NotConverged)).
    IterationLimit,
    /// The residual is above the rounding allowance (only in
    /// [`MechanismError::NotConverged`](super::MechanismError::NotConverged)).
    ResidualTooLarge,
}

/// How a solve went: why it stopped, iterations spent, and the final
/// residual of the fixed-point equations `η_i = κ_i/(K − κ_i) Σ_{j≠i} E[V_j]`,
/// each relative to its own magnitude (the largest of its terms and the
/// scale of the class's types), with the tolerance it met.
///
/// A solve that returns `Ok` has `converged` true and `residual ≤
/// tolerance`, where `tolerance` is `Tolerances::root_rel`
/// ([`Termination::ToleranceMet`]) or, where rounding floors the residual,
/// the rounding allowance `1e3 · root_rel` ([`Termination::RoundingFloor`]).
/// The accuracy of its integrals is in `quadrature_error`, to compare with
/// `Tolerances::quad_rel`.
///
/// # Example
/// ```
/// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
/// let s = OptimalMechanism::solve(&m, 0.3).unwrap().status().clone();
/// assert!(s.converged && s.residual <= s.tolerance && s.tolerance <= 1e-13);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct SolveStatus {
    /// Why the level iteration stopped (at the last weight solved).
    pub termination: Termination,
    /// Outer iterations (aggregate: evaluations of the outer function;
    /// dense Newton: Newton steps; uniform linear: linear solves), summed
    /// over the budget search.
    pub outer_iterations: usize,
    /// Solves at trial weights spent by the budget search (0 if the budget
    /// did not bind).
    pub budget_iterations: usize,
    /// Largest relative residual of the `η` equations at the solution: each
    /// class's `|η − c (S − m)|` against the largest of `|η|`, `c |S|`,
    /// `c |m|` and the scale of its types, what rounding resolves in that
    /// equation (a level far outside its class's types is known to a unit
    /// in its last place, not to one of the types).
    pub residual: f64,
    /// The tolerance the residual was held to: `root_rel`, or the rounding
    /// allowance `1e3 · root_rel` when [`Termination::RoundingFloor`].
    pub tolerance: f64,
    /// Whether the residual met `tolerance` (true on every `Ok`).
    pub converged: bool,
    /// A bound on how far the ironing can have moved the objective, summed
    /// over traders: each ironed class contributes `2 δ (hi − lo)` per
    /// trader, with `δ` the sup-norm bound on its cumulative curve `G`
    /// (`docs/theory.md`, "Ironing"), in the units of the β-weighted
    /// virtual surplus `∫ (g V − V²/2) f` (type²). 0 when no class needed
    /// ironing.
    pub ironing_bound: f64,
    /// The largest estimated relative error of the quadratures behind the
    /// reported moments, revenue and efficiency (0 where all are closed
    /// forms). At most `Tolerances::quad_rel`, unless an adaptive
    /// quadrature stopped at its cap of 2 000 panels short of it: then this
    /// is the accuracy it reached, and the solve is otherwise returned as
    /// usual.
    pub quadrature_error: f64,
    /// The revenue left over by a budget search that could not break even
    /// exactly: 0, unless revenue jumps across zero between `α` and the
    /// smallest weight above it that the search tries (`1e-300 (1 − α)`
    /// above it). That happens where a density underflows to 0 in a far
    /// tail: at every positive weight a double can hold, the raw virtual
    /// type there is infinite, and the weight that breaks even lies below
    /// that resolution. The mechanism at that smallest weight is returned:
    /// it balances the budget with this surplus, and its objective is
    /// within rounding of the optimum's (no mechanism does better than the
    /// unconstrained optimum at `α`, and it differs from that only on types
    /// whose probability underflows).
    pub budget_surplus: f64,
}

impl SolveStatus {
    /// Total iterations: outer iterations plus budget-search trials.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
    /// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let s = OptimalMechanism::solve(&m, 0.3)?.status().clone();
    /// assert_eq!(s.iterations(), s.outer_iterations + s.budget_iterations);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iterations(&self) -> usize {
        self.outer_iterations + self.budget_iterations
    }
}

impl fmt::Display for SolveStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} after {} outer iterations and {} budget iterations, relative residual {:e} against tolerance {:e}",
            self.termination,
            self.outer_iterations,
            self.budget_iterations,
            self.residual,
            self.tolerance
        )
    }
}
