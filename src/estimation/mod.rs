//! Endowment distributions estimated from samples: what a market designer
//! holds is data (positions observed for each kind of trader), not a
//! distribution.
//!
//! | estimator | file | result | Condition 2 |
//! | --- | --- | --- | --- |
//! | [`kde`]: Gaussian kernel density, Silverman or improved Sheather–Jones bandwidth | `kde.rs` | [`PiecewiseLinear`] | not guaranteed (multimodal data break it) |
//! | [`log_concave_mle`]: the nonparametric log-concave maximum likelihood estimate | `log_concave.rs` | [`LogConcave`] | always (log-concave) |
//! | [`fit_truncated_normal`]: maximum likelihood on a given support | `parametric.rs` | [`TruncatedNormal`] | always |
//! | [`fit_beta`]: maximum likelihood on a given support, shapes `≥ 1` | `parametric.rs` | [`Beta`] | always |
//!
//! Every estimator needs at least [`MIN_SAMPLES`] finite samples, not all
//! equal, inside the support when one is given; anything else is an
//! [`EstimationError`] naming the field at fault. All estimators are
//! deterministic (no random starts).
//!
//! Layering: this module sits between [`crate::distribution`] and
//! [`crate::market`]; it imports only `distribution` and `numerics`.
//!
//! # Example
//! ```
//! use exchange_design::distribution::{check_condition2, EndowmentDistribution};
//! use exchange_design::estimation::{estimate, Method};
//! let samples: Vec<f64> = (0..200).map(|i| ((i as f64 + 0.5) / 200.0).powi(2)).collect();
//! let d = estimate(Method::LogConcave, &samples, Some((0.0, 1.0)))?;
//! assert!(d.log_concave() && check_condition2(d.as_ref()).is_ok());
//! # Ok::<(), exchange_design::estimation::EstimationError>(())
//! ```
//!
//! [`PiecewiseLinear`]: crate::distribution::PiecewiseLinear
//! [`LogConcave`]: crate::distribution::LogConcave
//! [`TruncatedNormal`]: crate::distribution::TruncatedNormal
//! [`Beta`]: crate::distribution::Beta

mod error;
mod kde;
mod log_concave;
mod parametric;

pub use self::error::EstimationError;

pub use self::kde::{bandwidth, kde, Bandwidth};
pub use self::log_concave::{log_concave_mle, LOG_CONCAVE_TOLERANCE};
pub use self::parametric::{
    fit_beta, fit_truncated_normal, CERTIFIED_DECREMENT, DECREMENT_TOLERANCE, SCORE_TOLERANCE,
};

use crate::distribution::{self, EndowmentDistribution};
use std::sync::Arc;

/// The fewest samples any estimator accepts. Below this, none of the
/// estimates is worth a mechanism (a bandwidth or a two-parameter fit from
/// fewer points is mostly noise).
///
/// # Example
/// ```
/// assert_eq!(exchange_design::estimation::MIN_SAMPLES, 10);
/// ```
pub const MIN_SAMPLES: usize = 10;

/// Which estimator [`estimate`] runs.
///
/// # Example
/// ```
/// use exchange_design::estimation::Method;
/// assert_eq!(Method::Kde.name(), "kde");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Method {
    /// [`kde`] with the improved Sheather–Jones bandwidth
    /// ([`Bandwidth::ImprovedSheatherJones`]).
    Kde,
    /// [`log_concave_mle`].
    LogConcave,
    /// [`fit_truncated_normal`] (needs a support).
    TruncatedNormal,
    /// [`fit_beta`] (needs a support).
    Beta,
}

impl Method {
    /// The method's name as written in a spec.
    ///
    /// # Example
    /// ```
    /// use exchange_design::estimation::Method;
    /// assert_eq!(Method::TruncatedNormal.name(), "truncated_normal");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Method::Kde => "kde",
            Method::LogConcave => "log_concave",
            Method::TruncatedNormal => "truncated_normal",
            Method::Beta => "beta",
        }
    }
}

/// Estimates an endowment distribution from `samples` with `method`.
/// `support` is optional for [`Method::Kde`] and [`Method::LogConcave`]
/// and required for the parametric fits.
///
/// # Errors
/// See [`EstimationError`].
///
/// # Example
/// ```
/// use exchange_design::estimation::{estimate, EstimationError, Method};
/// let samples: Vec<f64> = (0..20).map(|i| i as f64 / 20.0).collect();
/// let err = estimate(Method::Beta, &samples, None).unwrap_err();
/// assert!(matches!(err, EstimationError::SupportRequired { method: "beta" }));
/// ```
pub fn estimate(
    method: Method,
    samples: &[f64],
    support: Option<(f64, f64)>,
) -> Result<Arc<dyn EndowmentDistribution>, EstimationError> {
    let need = |s: Option<(f64, f64)>| {
        s.ok_or(EstimationError::SupportRequired {
            method: method.name(),
        })
    };
    Ok(match method {
        Method::Kde => Arc::new(kde(samples, support, Bandwidth::ImprovedSheatherJones)?),
        Method::LogConcave => Arc::new(log_concave_mle(samples, support)?),
        Method::TruncatedNormal => {
            // Check the samples before asking for the support, so the first
            // error reported is the one about the data when both are wrong.
            checked_sorted(samples, support)?;
            Arc::new(fit_truncated_normal(samples, need(support)?)?)
        }
        Method::Beta => {
            checked_sorted(samples, support)?;
            Arc::new(fit_beta(samples, need(support)?)?)
        }
    })
}

/// Checks the samples (count, finiteness, spread, inside `support`) and
/// returns them sorted.
pub(crate) fn checked_sorted(
    samples: &[f64],
    support: Option<(f64, f64)>,
) -> Result<Vec<f64>, EstimationError> {
    if let Some((lo, hi)) = support {
        distribution::support(lo, hi).map_err(EstimationError::InvalidSupport)?;
    }
    if samples.len() < MIN_SAMPLES {
        return Err(EstimationError::TooFewSamples {
            len: samples.len(),
            min: MIN_SAMPLES,
        });
    }
    if let Some((index, &value)) = samples.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(EstimationError::NonFiniteSample { index, value });
    }
    if let Some((lo, hi)) = support {
        if let Some((index, &value)) = samples.iter().enumerate().find(|(_, &v)| v < lo || v > hi) {
            return Err(EstimationError::OutsideSupport {
                index,
                value,
                lo,
                hi,
            });
        }
    }
    let mut x = samples.to_vec();
    x.sort_by(f64::total_cmp);
    if x[0] == x[x.len() - 1] {
        return Err(EstimationError::AllEqual { value: x[0] });
    }
    Ok(x)
}
