//! What an estimate is and how it was made: the fit report.

use super::kde::kde_sorted;
use super::log_concave::smoothed_sorted;
use super::parametric::{fit_beta, fit_truncated_normal};
use super::{checked_sorted, Bandwidth, EstimationError, Method};
use crate::distribution::EndowmentDistribution;
use std::sync::Arc;

/// An estimate and its [`Fit`] report, from [`estimate_with_fit`].
///
/// # Example
/// ```
/// use exchange_design::estimation::{estimate_with_fit, Method};
/// use exchange_design::market::TraderClass;
/// let x: Vec<f64> = (0..100).map(|i| (i as f64 * 0.37).sin().powi(3)).collect();
/// let e = estimate_with_fit(Method::LogConcave, &x, Some((-1.0, 1.0)))?;
/// assert_eq!(e.fit.n, 100);
/// let class = TraderClass::new(0.5, e.distribution, 3);
/// assert_eq!(class.count(), 3);
/// # Ok::<(), exchange_design::estimation::EstimationError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Estimated {
    /// The estimated distribution (its support is the class's type space).
    pub distribution: Arc<dyn EndowmentDistribution>,
    /// How it was made.
    pub fit: Fit,
}

/// The report of a fit: what was estimated from what, and how well the
/// estimate explains the samples.
///
/// # Example
/// ```
/// use exchange_design::estimation::{estimate_with_fit, Method, Parameters};
/// let x: Vec<f64> = (0..200).map(|i| ((i as f64 + 0.5) / 200.0).powi(2)).collect();
/// let e = estimate_with_fit(Method::Kde, &x, Some((0.0, 1.0)))?;
/// assert_eq!((e.fit.n, e.fit.distinct, e.fit.support), (200, 200, (0.0, 1.0)));
/// assert!(matches!(e.fit.parameters, Parameters::Kde { bandwidth, .. } if bandwidth > 0.0));
/// # Ok::<(), exchange_design::estimation::EstimationError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Fit {
    /// The estimator.
    pub method: Method,
    /// Number of samples.
    pub n: usize,
    /// Number of distinct sample values (fewer than `n` when there are
    /// ties, such as rounded data).
    pub distinct: usize,
    /// The estimate's support: the declared one when given, else the one
    /// the method chose (see each method).
    pub support: (f64, f64),
    /// `Σ ln f̂(x_i)`, the log-likelihood of the samples under the
    /// estimate (total, not per sample).
    pub log_likelihood: f64,
    /// What the method fitted.
    pub parameters: Parameters,
}

/// The fitted parameters of a [`Fit`], by method.
///
/// # Example
/// ```
/// use exchange_design::estimation::{estimate_with_fit, Method, Parameters};
/// let x: Vec<f64> = (1..60).map(|i| (i as f64 / 60.0).powf(0.7)).collect();
/// let e = estimate_with_fit(Method::Beta, &x, Some((0.0, 1.0)))?;
/// let Parameters::Beta { a, b } = e.fit.parameters else { unreachable!() };
/// assert!(a >= 1.0 && b >= 1.0);
/// # Ok::<(), exchange_design::estimation::EstimationError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Parameters {
    /// [`Method::Kde`].
    Kde {
        /// The kernel's standard deviation `h`.
        bandwidth: f64,
        /// The rule that gave it: the improved Sheather–Jones plug-in, or
        /// Silverman's rule when that was asked for or the plug-in's fixed
        /// point had no root (common below about 30 samples).
        rule: Bandwidth,
        /// Whether the plug-in was asked for and fell back to Silverman.
        fell_back: bool,
        /// The tabulated core `[a, b]`: the kernel sum is exact there.
        core: (f64, f64),
        /// The mass of the linear tails beyond the core (module `kde`).
        tail_mass: f64,
    },
    /// [`Method::LogConcave`]: the smoothed log-concave estimate.
    LogConcave {
        /// Knots of the log-concave maximum likelihood estimate.
        knots: usize,
        /// Standard deviation of the Gaussian it is smoothed with.
        smoothing_sd: f64,
    },
    /// [`Method::TruncatedNormal`].
    TruncatedNormal {
        /// Mean of the normal before truncation.
        mu: f64,
        /// Its standard deviation.
        sigma: f64,
    },
    /// [`Method::Beta`].
    Beta {
        /// First shape.
        a: f64,
        /// Second shape.
        b: f64,
    },
}

/// [`estimate`](super::estimate) with the report of the fit.
///
/// # Errors
/// As [`estimate`](super::estimate).
///
/// # Example
/// ```
/// use exchange_design::estimation::{estimate_with_fit, Method, Parameters};
/// let x: Vec<f64> = (0..100).map(|i| (i as f64 * 0.37).sin().powi(3)).collect();
/// let e = estimate_with_fit(Method::TruncatedNormal, &x, Some((-1.0, 1.0)))?;
/// let Parameters::TruncatedNormal { sigma, .. } = e.fit.parameters else { unreachable!() };
/// assert!(sigma > 0.0 && e.fit.log_likelihood.is_finite());
/// # Ok::<(), exchange_design::estimation::EstimationError>(())
/// ```
pub fn estimate_with_fit(
    method: Method,
    samples: &[f64],
    support: Option<(f64, f64)>,
) -> Result<Estimated, EstimationError> {
    let x = checked_sorted(samples, support)?;
    let need = |s: Option<(f64, f64)>| {
        s.ok_or(EstimationError::SupportRequired {
            method: method.name(),
        })
    };
    let (distribution, parameters): (Arc<dyn EndowmentDistribution>, Parameters) = match method {
        Method::Kde => {
            let asked = Bandwidth::ImprovedSheatherJones;
            let (d, bandwidth, rule, core) = kde_sorted(&x, support, asked)?;
            let tail_mass = d.cdf(core.0) + d.sf(core.1);
            let p = Parameters::Kde {
                bandwidth,
                rule,
                fell_back: rule != asked,
                core,
                tail_mass,
            };
            (Arc::new(d), p)
        }
        Method::LogConcave => {
            let (d, knots, smoothing_sd) = smoothed_sorted(&x, support)?;
            (
                Arc::new(d),
                Parameters::LogConcave {
                    knots,
                    smoothing_sd,
                },
            )
        }
        Method::TruncatedNormal => {
            let d = fit_truncated_normal(&x, need(support)?)?;
            let p = Parameters::TruncatedNormal {
                mu: d.mu(),
                sigma: d.sigma(),
            };
            (Arc::new(d), p)
        }
        Method::Beta => {
            let d = fit_beta(&x, need(support)?)?;
            let p = Parameters::Beta { a: d.a(), b: d.b() };
            (Arc::new(d), p)
        }
    };
    let distinct = 1 + x.windows(2).filter(|w| w[1] != w[0]).count();
    let log_likelihood = x.iter().map(|&v| distribution.pdf(v).ln()).sum();
    Ok(Estimated {
        fit: Fit {
            method,
            n: x.len(),
            distinct,
            support: distribution.support(),
            log_likelihood,
            parameters,
        },
        distribution,
    })
}
