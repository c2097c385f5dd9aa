//! The report's `classes[].pools`.

use crate::mechanism::Pool;

/// One pooled interval in the report: [`Pool`] as plain fields.
///
/// # Example
/// ```
/// use exchange_design::spec::{DistributionSpec, Spec, TraderSpec};
/// let spec = Spec { alpha: 1.0, traders: vec![TraderSpec { kappa: 1.0, count: 3,
///     distribution: DistributionSpec::PiecewiseLinear {
///         z: vec![-1.0, -0.8, -0.7, -0.6, 0.0, 0.6, 0.7, 0.8, 1.0],
///         density: vec![1.0, 1.0, 0.03, 1.0, 1.0, 1.0, 0.03, 1.0, 1.0] } }],
///     fee_queries: None, assess: None, bootstrap: None };
/// let pools = &spec.run()?.classes[0].pools;
/// assert!(!pools.is_empty() && pools.iter().all(|p| p.mass > 0.0 && !p.negligible));
/// # Ok::<(), exchange_design::spec::SpecError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PoolReport {
    /// Lower end of the pool.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    /// The virtual value on the pool.
    pub level: f64,
    /// Probability of a type in the pool.
    pub mass: f64,
    /// At most how much more the objective would be with the pool removed;
    /// `null` when not finite (the density approaches zero inside the pool).
    pub objective_effect: Option<f64>,
    /// Whether the effect is below `NEGLIGIBLE_POOL` of the market's
    /// objective scale.
    pub negligible: bool,
}

impl From<&Pool> for PoolReport {
    fn from(p: &Pool) -> Self {
        Self {
            lo: p.lo,
            hi: p.hi,
            level: p.level,
            mass: p.mass,
            objective_effect: p.objective_effect.is_finite().then_some(p.objective_effect),
            negligible: p.negligible,
        }
    }
}
