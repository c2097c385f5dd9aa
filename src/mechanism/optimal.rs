//! The α-optimal mechanism as a result: [`OptimalMechanism`] and what to
//! read off it. How it is computed is in `solve.rs`.

use super::evaluate::Evaluation;
use super::virtual_value::AtEta;
use super::{ClassSolution, FirstBest, MechanismError, SolveStatus, SolverConfig, VirtualValue};
use crate::market::Market;

/// The α-optimal exchange direct mechanism of Theorem 1 under ex-ante
/// budget balance.
///
/// # Example
/// ```
/// # use exchange_design::prelude::*;
/// use exchange_design::distribution::{TruncatedNormal, Uniform};
/// use exchange_design::market::{Market, TraderClass};
/// use exchange_design::mechanism::OptimalMechanism;
/// let market = Market::new(vec![
///     TraderClass::new(0.5, Uniform::new(-1.0, 1.0)?, 3),
///     TraderClass::new(1.0, TruncatedNormal::new(0.2, 0.5, -1.0, 1.0)?, 2),
/// ])?;
/// let mech = OptimalMechanism::solve(&market, 0.5)?;
/// assert_eq!((mech.alpha(), mech.market().n_traders()), (0.5, 5));
/// assert!(mech.revenue() >= -1e-12);
/// // The objective weighs revenue and efficiency (≤ 0) by α and 1 − α.
/// assert!(mech.efficiency() <= 0.0);
/// let obj = 0.5 * mech.revenue() + 0.5 * mech.efficiency();
/// assert!((mech.objective() - obj).abs() < 1e-15);
/// // The budget does not bind here: β = α and λ = 0.
/// assert!(!mech.budget_binding() && mech.beta() == 0.5 && mech.lambda() == 0.0);
/// // Classes in market order; `get_class` does not panic out of range.
/// assert_eq!(mech.classes().len(), 2);
/// assert_eq!(mech.class(1).count(), 2);
/// assert!(mech.get_class(2).is_none());
/// assert!(mech.status().converged);
/// // The ex-post allocation clears: Σ X = 0.
/// let x = mech.allocation(&[0.1, -0.4, 0.9, 0.0, 0.3])?;
/// assert!(x.iter().sum::<f64>().abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct OptimalMechanism {
    pub(super) market: Market,
    pub(super) alpha: f64,
    pub(super) beta: f64,
    pub(super) lambda: f64,
    pub(super) budget_binding: bool,
    pub(super) revenue: f64,
    pub(super) efficiency: f64,
    /// `S = Σ_j E[V_j]` over all traders.
    pub(super) sum_mean_v: f64,
    pub(super) classes: Vec<ClassSolution>,
    pub(super) status: SolveStatus,
}

impl OptimalMechanism {
    /// The first best of the same market (Lemma 2).
    ///
    /// # Errors
    /// Numerical failures only.
    pub fn first_best(&self) -> Result<FirstBest, MechanismError> {
        FirstBest::new(&self.market)
    }

    pub(super) fn assemble(
        market: &Market,
        alpha: f64,
        beta: f64,
        lambda: f64,
        eval: Evaluation,
        mut status: SolveStatus,
        config: &SolverConfig,
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
        status.quadrature_error = eval
            .moments
            .iter()
            .map(|m| m.quad_error)
            .chain(eval.types.iter().map(|t| t.quad_error()))
            .fold(0.0, f64::max);
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
                    tolerances: config.tolerances,
                    method: config.inner,
                    full: std::sync::OnceLock::new(),
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
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The effective weight `β = (α + λ)/(1 + λ)` at which the virtual values
    /// are built; `β = α` unless the budget binds.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// The multiplier `λ ≥ 0` on the budget constraint (7).
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// Whether ex-ante budget balance binds (`λ > 0`, revenue exactly zero).
    pub fn budget_binding(&self) -> bool {
        self.budget_binding
    }

    /// The objective `α R + (1 − α) A`.
    pub fn objective(&self) -> f64 {
        self.alpha * self.revenue + (1.0 - self.alpha) * self.efficiency
    }

    /// The solution of class `index` (in market order), like slice indexing.
    ///
    /// # Panics
    /// If `index` is out of range; [`OptimalMechanism::get_class`] returns
    /// `None` instead, and [`OptimalMechanism::classes`] iterates.
    pub fn class(&self, index: usize) -> &ClassSolution {
        &self.classes[index]
    }

    /// The solution of class `index`, or `None` when it is out of range.
    pub fn get_class(&self, index: usize) -> Option<&ClassSolution> {
        self.classes.get(index)
    }

    /// All class solutions, in market order.
    pub fn classes(&self) -> &[ClassSolution] {
        &self.classes
    }

    /// `Σ_j E[V_j(Z_j)]` over all traders: minus the expected clearing
    /// price of the implementing double auction (which clears at
    /// `p = −Σ_j V_j(Z_j)`).
    pub fn aggregate_mean_virtual_value(&self) -> f64 {
        self.sum_mean_v
    }

    /// How the solve went.
    pub fn status(&self) -> &SolveStatus {
        &self.status
    }

    /// The per-class solver state of this solution, to warm-start a solve
    /// at a nearby weight.
    pub(super) fn warm_state(&self) -> Vec<AtEta> {
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
