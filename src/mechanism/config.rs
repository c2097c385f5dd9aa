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
///     let cfg = SolverConfig::default().with_variant(variant);
///     let mech = OptimalMechanism::solve_with(&m, 1.0, &cfg)?;
///     assert!((mech.class(0).virtual_value().binding_interval().1 - 0.5).abs() < 1e-10);
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

/// Solver settings: `SolverConfig::default()` and the `with_*` methods.
///
/// The fields can be read (and set) directly; new ones may be added, so
/// the struct is built from [`SolverConfig::default`] rather than a
/// literal. A configuration is checked when a solve starts: a tolerance
/// that is not a finite number in `(0, 1)`, or an iteration cap of 0, is a
/// [`MechanismError::InvalidTolerance`](super::MechanismError::InvalidTolerance).
///
/// # Example
/// ```
/// # use exchange_design::prelude::*;
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::{OptimalMechanism, SolverConfig, SolverVariant};
/// use exchange_design::numerics::Tolerances;
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let cfg = SolverConfig::default()
///     .with_variant(SolverVariant::DenseNewton)
///     .with_tolerances(Tolerances::default().with_root_rel(1e-12));
/// let a = OptimalMechanism::builder(&m, 0.5).config(cfg).solve()?;
/// let b = OptimalMechanism::solve(&m, 0.5)?;
/// assert!((a.revenue() - b.revenue()).abs() < 1e-10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
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

impl SolverConfig {
    /// This configuration with the level algorithm `variant`.
    #[must_use]
    pub fn with_variant(mut self, variant: SolverVariant) -> Self {
        self.variant = variant;
        self
    }

    /// This configuration with the method `inner` for the inner scalar roots.
    #[must_use]
    pub fn with_inner(mut self, inner: RootMethod) -> Self {
        self.inner = inner;
        self
    }

    /// This configuration with the method `outer` for the outer root.
    #[must_use]
    pub fn with_outer(mut self, outer: RootMethod) -> Self {
        self.outer = outer;
        self
    }

    /// This configuration with the tolerances `tolerances`.
    #[must_use]
    pub fn with_tolerances(mut self, tolerances: Tolerances) -> Self {
        self.tolerances = tolerances;
        self
    }
}
