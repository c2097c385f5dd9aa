//! Participation fees that keep every type in under every plausible market.
//!
//! A class's fee `τ_i` enters each of its traders' payments as a constant
//! and changes no schedule, no price and no other trader's payoff. Lowering
//! it by `δ_i` raises every type's gain by exactly `δ_i` under any market.
//! So the least reduction that leaves no type of class `i` with a negative
//! gain under any of the plausible markets is
//!
//! ```text
//! δ_i = max(0, −min_t min_z gain_{i,t}(z)),
//! ```
//!
//! computed exactly from the [assessments](super::assessment) under each
//! plausible market. The design's own market always counts as plausible:
//! under it the worst type's gain is zero by construction of `τ_i`, so a fee
//! is never raised, and every class's robust fee is tight: some type under
//! some plausible market (or the design's) is left with zero gain. The cost
//! of the reductions, under the design's market, is `Σ_i n_i δ_i`.

use super::percentiles::Band;
use super::{Assessment, DeploymentError, Design};
use crate::distribution::EndowmentDistribution;
use crate::numerics::parallel;
use std::sync::Arc;

/// Robust participation fees and what they do.
///
/// # Example
/// See [`robust_fees`].
#[derive(Debug, Clone)]
pub struct RobustFees {
    fees: Vec<f64>,
    reductions: Vec<f64>,
    revenue_cost: f64,
    assessments: Vec<Assessment>,
}

impl RobustFees {
    /// The robust fee of each class.
    ///
    /// # Example
    /// See [`robust_fees`].
    pub fn fees(&self) -> &[f64] {
        &self.fees
    }

    /// `δ_i ≥ 0`: how much each class's fee was lowered.
    ///
    /// # Example
    /// See [`robust_fees`].
    pub fn reductions(&self) -> &[f64] {
        &self.reductions
    }

    /// The revenue the reductions cost under the design's own market,
    /// `Σ_i n_i δ_i`.
    ///
    /// # Example
    /// See [`robust_fees`].
    pub fn revenue_cost(&self) -> f64 {
        self.revenue_cost
    }

    /// The assessment under each plausible market with the robust fees, in
    /// the order the markets were given.
    ///
    /// # Example
    /// See [`robust_fees`].
    pub fn assessments(&self) -> &[Assessment] {
        &self.assessments
    }

    /// Percentiles (`levels`, in `[0, 100]`) of the revenue over the
    /// plausible markets, with the robust fees.
    ///
    /// # Example
    /// See [`robust_fees`].
    pub fn revenue_band(&self, levels: &[f64]) -> Band {
        let r: Vec<f64> = self.assessments.iter().map(Assessment::revenue).collect();
        Band::of(&r, levels)
    }
}

/// The least reduction of each class's fee that leaves every type's gain
/// non-negative under every market in `plausible` (each a true
/// distribution per class, as for [`Design::assess`]) and under the
/// design's own market.
///
/// # Errors
/// Those of [`Design::assess`] for any plausible market.
///
/// # Example
/// ```
/// use exchange_design::deployment::{robust_fees, Design};
/// use exchange_design::distribution::{EndowmentDistribution, Triangular, Uniform};
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::OptimalMechanism;
/// use std::sync::Arc;
/// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let design = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
/// let tri = |mode: f64| -> Arc<dyn EndowmentDistribution> {
///     Arc::new(Triangular::new(-1.0, mode, 1.0).unwrap())
/// };
/// let plausible = vec![vec![tri(-0.4)], vec![tri(0.3)], vec![tri(0.6)]];
/// let robust = robust_fees(&design, &plausible)?;
/// assert!(robust.reductions()[0] > 0.0);
/// assert!((robust.revenue_cost() - 3.0 * robust.reductions()[0]).abs() < 1e-15);
/// for a in robust.assessments() {
///     assert!(a.class(0).min_gain() >= -1e-12);
/// }
/// let band = robust.revenue_band(&[5.0, 50.0, 95.0]);
/// assert_eq!(band.values().len(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn robust_fees(
    design: &Design,
    plausible: &[Vec<Arc<dyn EndowmentDistribution>>],
) -> Result<RobustFees, DeploymentError> {
    let before = parallel::map_each(plausible, |truth| design.assess(truth))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    robust_fees_from(design, &before)
}

/// [`robust_fees`] from assessments already made with the designed fees,
/// one per plausible market.
pub(crate) fn robust_fees_from(
    design: &Design,
    before: &[Assessment],
) -> Result<RobustFees, DeploymentError> {
    let designed = design.fees();
    let reductions: Vec<f64> = (0..designed.len())
        .map(|k| {
            let worst = before
                .iter()
                .map(|a| a.class(k).min_gain())
                .fold(0.0, f64::min);
            -worst
        })
        .collect();
    let fees: Vec<f64> = designed
        .iter()
        .zip(&reductions)
        .map(|(t, d)| t - d)
        .collect();
    let revenue_cost = design
        .side_payments()
        .classes()
        .iter()
        .zip(&reductions)
        .map(|(c, d)| c.count() as f64 * d)
        .sum();
    // The fees change no moment of any truth: each assessment is redone
    // from the stored moments, not by quadrature.
    let assessments = parallel::map_each(before, |a| a.with_fees(&fees))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RobustFees {
        fees,
        reductions,
        revenue_cost,
        assessments,
    })
}
