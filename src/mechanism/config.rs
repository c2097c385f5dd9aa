//! The solver's settings: which algorithm solves for the levels, with
//! which root methods and tolerances.

use crate::numerics::{RootMethod, Tolerances};

/// Which algorithm solves for the levels `η`.
///
/// # Example
/// ```
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::{OptimalMechanism, SolverConfig, SolverVariant};
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// for variant in [SolverVariant::Aggregate, SolverVariant::DenseNewton, SolverVariant::UniformLinear] {
///     let cfg = SolverConfig { variant, ..Default::default() };
///     let mech = OptimalMechanism::solve_with(&m, 1.0, &cfg)?;
///     assert!((mech.class(0).binding_interval().1 - 0.5).abs() < 1e-10);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SolverVariant {
    /// One outer scalar root over the aggregate, inner roots per class: `O(N)`.
    #[default]
    Aggregate,
    /// Damped Newton on the `N`-vector `η` with a dense LU (`O(N³)` per step).
    DenseNewton,
    /// Corollary 1.1: the explicit linear system for all-uniform markets.
    UniformLinear,
}

/// Solver settings.
///
/// # Example
/// ```
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::{OptimalMechanism, SolverConfig, SolverVariant};
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let cfg = SolverConfig { variant: SolverVariant::DenseNewton, ..SolverConfig::default() };
/// let a = OptimalMechanism::solve_with(&m, 0.5, &cfg)?;
/// let b = OptimalMechanism::solve(&m, 0.5)?;
/// assert!((a.revenue() - b.revenue()).abs() < 1e-10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SolverConfig {
    /// The algorithm for the levels `η`.
    pub variant: SolverVariant,
    /// The method for the inner scalar roots (levels and binding intervals).
    pub inner: RootMethod,
    /// The method for the outer root in the aggregate `S` (aggregate variant).
    pub outer: RootMethod,
    /// Tolerances.
    pub tolerances: Tolerances,
}
