//! Endowment distributions estimated from samples: what a market designer
//! holds is data (positions observed for each kind of trader), not a
//! distribution.
//!
//! | estimator | file | result | Condition 2 |
//! | --- | --- | --- | --- |
//! | [`kde()`]: Gaussian kernel density, Silverman or improved Sheather–Jones bandwidth | `kde.rs` | [`PiecewiseLinear`] | not guaranteed (multimodal data break it) |
//! | [`log_concave_smoothed`]: the log-concave maximum likelihood estimate smoothed to the sample variance ([`log_concave_mle`] unsmoothed) | `log_concave.rs` | [`LogConcave`] | always (log-concave) |
//! | [`fit_truncated_normal`]: maximum likelihood on a given support | `parametric.rs` | [`TruncatedNormal`] | always |
//! | [`fit_beta`]: maximum likelihood on a given support, shapes `≥ 1` | `parametric.rs` | [`Beta`] | always |
//!
//! Every estimator needs at least [`MIN_SAMPLES`] finite samples, not all
//! equal, inside the support when one is given, with a spread between
//! `1e-100` and `1e100` and above `1e-12` of their magnitude; anything else
//! is an [`EstimationError`] naming the field at fault. All estimators are
//! deterministic (no random starts).
//!
//! **Type space.** With a declared support, every method's estimate lives
//! on exactly that support and is positive inside it (the KDE's and the
//! smoothed log-concave estimate's tails are documented in their
//! functions), so the mechanism accepts every type in it. Without one (only
//! [`Method::Kde`] and [`Method::LogConcave`] allow that), the type space is
//! the data's range widened by five bandwidths (KDE) or by ten standard
//! deviations of the smoothing (log-concave); [`Fit::support`] reports it.
//!
//! **Reporting.** [`estimate_with_fit`] returns the estimate with a [`Fit`]:
//! method, `n`, distinct `n`, support, log-likelihood and the fitted
//! parameters (for the KDE the bandwidth and the rule that gave it). An
//! estimate is an `Arc<dyn EndowmentDistribution>`, itself a distribution,
//! so it goes into [`TraderClass::new`](crate::market::TraderClass::new).
//!
//! Layering: this module sits between [`crate::distribution`] and
//! [`crate::market`]; it imports only `distribution` and `numerics`.
//!
//! # Example
//! ```
//! # use exchange_design::prelude::*;
//! use exchange_design::distribution::{check_condition2, EndowmentDistribution};
//! use exchange_design::estimation::{estimate, Method};
//! use exchange_design::market::{Market, TraderClass};
//! use exchange_design::mechanism::OptimalMechanism;
//! let samples: Vec<f64> = (0..200).map(|i| ((i as f64 + 0.5) / 200.0).powi(2)).collect();
//! let d = estimate(Method::LogConcave, &samples, Some((0.0, 1.0)))?;
//! assert!(d.log_concave() && check_condition2(d.as_ref()).is_ok());
//! assert_eq!(d.support(), (0.0, 1.0));
//! let market = Market::new(vec![TraderClass::new(0.5, d, 4)])?;
//! let mech = OptimalMechanism::solve(&market, 0.5)?;
//! assert!(mech.interim_allocation(0, 0.999)?.is_finite());
//! # Ok::<(), Box<dyn std::error::Error>>(())
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
mod report;

pub use self::error::EstimationError;

pub use self::kde::{bandwidth, kde, Bandwidth};
pub use self::log_concave::{
    log_concave_mle, log_concave_smoothed, LOG_CONCAVE_TOLERANCE, SMOOTHED_TABLE_TOLERANCE,
};
pub use self::parametric::{
    fit_beta, fit_truncated_normal, CERTIFIED_DECREMENT, DECREMENT_TOLERANCE, SCORE_TOLERANCE,
};
pub use self::report::{estimate_with_fit, Estimated, Fit, Parameters};

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

/// Smallest spread `max − min` of the samples accepted.
const MIN_SCALE: f64 = 1e-100;
/// Largest spread and largest magnitude of the samples accepted.
const MAX_SCALE: f64 = 1e100;
/// The spread must exceed this many times the samples' magnitude: below,
/// the samples take only a few thousand representable values.
const RESOLUTION: f64 = 1e-12;

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
    /// [`kde()`] with the improved Sheather–Jones bandwidth
    /// ([`Bandwidth::ImprovedSheatherJones`]).
    Kde,
    /// [`log_concave_smoothed`]: the log-concave maximum likelihood
    /// estimate smoothed to the sample variance, on the declared support.
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
/// and required for the parametric fits. The result goes straight into a
/// market, `TraderClass::new(kappa, estimate(..)?, count)`;
/// [`estimate_with_fit`] also returns how the fit was made.
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
    Ok(estimate_with_fit(method, samples, support)?.distribution)
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
        if let Some((index, &value)) = samples.iter().enumerate().find(|&(_, &v)| v < lo || v > hi)
        {
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
    let (min, max) = (x[0], x[x.len() - 1]);
    if min == max {
        return Err(EstimationError::AllEqual { value: min });
    }
    let magnitude = min.abs().max(max.abs());
    let spread = max - min;
    // The estimators standardise by the spread and square it: outside this
    // range the squares over- or underflow.
    if !(spread.is_finite() && (MIN_SCALE..=MAX_SCALE).contains(&spread) && magnitude <= MAX_SCALE)
    {
        return Err(EstimationError::ScaleOutOfRange { spread, magnitude });
    }
    if spread <= RESOLUTION * magnitude {
        return Err(EstimationError::SpreadAtResolution { spread, magnitude });
    }
    Ok(x)
}
