//! A declarative description of a market and a request (the input of the
//! `solve` example), and the report computed from it.
//!
//! The types derive `serde` traits when the `serde` feature (on by default)
//! is enabled, and [`json`] reads a spec from JSON text and writes the
//! report; nothing below this module knows JSON. Every validation
//! error names the offending field by its path in the spec, such as
//! `traders[2].distribution.sigma`.
//!
//! The JSON format, every field of the spec and of the report with its
//! units and meaning, is written down in `docs/spec.md` in the crate's
//! repository (one sample per family is in `examples/specs/`).
//! On the wire, families are snake case: `"uniform"`, `"truncated_normal"`,
//! `"beta"`, `"triangular"`, `"piecewise_linear"`, `"mixture"`, and
//! `"estimate"` (a distribution estimated from samples by a method of
//! [`crate::estimation`]).

use crate::benchmarks::{BenchmarkError, PlainDoubleAuction};
use crate::distribution::{
    Beta, DistributionError, EndowmentDistribution, Mixture, PiecewiseLinear, Triangular,
    TruncatedNormal, Uniform,
};
use crate::estimation::{estimate, estimate_with_fit, EstimationError, Method};
use crate::implementation::{ImplementationError, SidePayments};
use crate::market::{Market, MarketError, TraderClass};
use crate::mechanism::DirectMechanism;
use crate::mechanism::{MechanismError, OptimalMechanism};
use crate::numerics::parallel;
use crate::numerics::NumericalError;
use std::sync::Arc;
use std::time::Instant;
use thiserror::Error;

mod deploy;
#[cfg(feature = "serde")]
pub mod json;
mod pools;
mod status;
pub use self::deploy::{
    AssessSpec, AssessTraderSpec, AssessmentReport, BootstrapReport, BootstrapSpec,
    ClassAssessmentReport, ClassBootstrapReport, FailureReport, PlausibleMarketSpec,
    RobustFeesReport, RobustFeesSpec,
};
pub use self::pools::PoolReport;
pub use self::status::StatusReport;

/// A distribution family with its parameters, tagged by `family`.
///
/// # Example
/// ```
/// use exchange_design::spec::DistributionSpec;
/// let d = DistributionSpec::Uniform { lo: -1.0, hi: 1.0 };
/// assert!(d.build().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawDistributionSpec", into = "RawDistributionSpec")
)]
#[non_exhaustive]
pub enum DistributionSpec {
    /// [`Uniform`] on `[lo, hi]`.
    Uniform {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
    /// [`TruncatedNormal`].
    TruncatedNormal {
        /// Mean of the untruncated normal.
        mu: f64,
        /// Standard deviation of the untruncated normal.
        sigma: f64,
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
    /// [`Beta`] rescaled to `[lo, hi]`.
    Beta {
        /// First shape parameter (≥ 1).
        a: f64,
        /// Second shape parameter (≥ 1).
        b: f64,
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
    /// [`Triangular`].
    Triangular {
        /// Lower end.
        lo: f64,
        /// Mode.
        mode: f64,
        /// Upper end.
        hi: f64,
    },
    /// [`PiecewiseLinear`]: a tabulated density.
    PiecewiseLinear {
        /// Grid points, strictly increasing.
        z: Vec<f64>,
        /// Density at each grid point (normalised on construction).
        density: Vec<f64>,
    },
    /// [`Mixture`]: weighted components of any family, mixtures included
    /// (nested at most [`MAX_MIXTURE_DEPTH`] deep).
    Mixture {
        /// The components and their weights.
        components: Vec<ComponentSpec>,
    },
    /// A distribution estimated from observed endowments by
    /// [`crate::estimation::estimate`].
    Estimate {
        /// The estimator.
        method: Method,
        /// The observed endowments.
        samples: Vec<f64>,
        /// `[lo, hi]`: required by the parametric methods, optional for
        /// `kde` (reflecting ends) and `log_concave` (a check only).
        support: Option<[f64; 2]>,
    },
}

/// Why a [`DistributionSpec`] could not be built.
///
/// # Example
/// ```
/// use exchange_design::estimation::Method;
/// use exchange_design::spec::{BuildError, DistributionSpec};
/// let d = DistributionSpec::Estimate { method: Method::Kde, samples: vec![1.0, 2.0], support: None };
/// assert!(matches!(d.build(), Err(BuildError::Estimation(_))));
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A family constructor rejected its parameters.
    #[error(transparent)]
    Distribution(#[from] DistributionError),
    /// An estimate could not be made from the samples.
    #[error(transparent)]
    Estimation(#[from] EstimationError),
}

/// How deep mixtures may be nested in a spec.
///
/// # Example
/// ```
/// assert!(exchange_design::spec::MAX_MIXTURE_DEPTH >= 2);
/// ```
pub const MAX_MIXTURE_DEPTH: usize = 8;

/// One component of a mixture: a positive weight (the weights are
/// normalised) and a distribution.
///
/// # Example
/// ```
/// use exchange_design::spec::{ComponentSpec, DistributionSpec};
/// let two_modes = DistributionSpec::Mixture { components: vec![
///     ComponentSpec { weight: 1.0, distribution: DistributionSpec::TruncatedNormal { mu: -0.6, sigma: 0.15, lo: -1.0, hi: 1.0 } },
///     ComponentSpec { weight: 1.0, distribution: DistributionSpec::TruncatedNormal { mu: 0.6, sigma: 0.15, lo: -1.0, hi: 1.0 } },
/// ] };
/// assert!(two_modes.build().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct ComponentSpec {
    /// Positive weight.
    pub weight: f64,
    /// The component's distribution.
    pub distribution: DistributionSpec,
}

impl DistributionSpec {
    /// Builds the distribution.
    ///
    /// # Errors
    /// The family constructor's [`DistributionError`], or the estimator's
    /// [`EstimationError`], as a [`BuildError`].
    ///
    /// # Example
    /// ```
    /// use exchange_design::spec::DistributionSpec;
    /// let bad = DistributionSpec::TruncatedNormal { mu: 0.0, sigma: -1.0, lo: -1.0, hi: 1.0 };
    /// assert!(bad.build().is_err());
    /// ```
    pub fn build(&self) -> Result<Arc<dyn EndowmentDistribution>, BuildError> {
        self.build_at(0).map_err(|(_, e)| e)
    }

    /// As [`DistributionSpec::build`], with the path (below `distribution`)
    /// of the part at fault, such as `components[1].distribution`.
    fn build_at(
        &self,
        depth: usize,
    ) -> Result<Arc<dyn EndowmentDistribution>, (String, BuildError)> {
        let DistributionSpec::Mixture { components } = self else {
            return self.build_family().map_err(|e| (String::new(), e));
        };
        if depth >= MAX_MIXTURE_DEPTH {
            return Err((
                String::new(),
                DistributionError::MixtureTooDeep {
                    max: MAX_MIXTURE_DEPTH,
                }
                .into(),
            ));
        }
        let mut parts = Vec::with_capacity(components.len());
        for (k, c) in components.iter().enumerate() {
            let d = c.distribution.build_at(depth + 1).map_err(|(path, e)| {
                let sep = if path.is_empty() { "" } else { "." };
                (format!("components[{k}].distribution{sep}{path}"), e)
            })?;
            parts.push((c.weight, d));
        }
        match Mixture::new(parts) {
            Ok(m) => Ok(Arc::new(m)),
            Err(e @ DistributionError::InvalidWeight { index, .. }) => {
                Err((format!("components[{index}].weight"), e.into()))
            }
            Err(e) => Err((String::new(), e.into())),
        }
    }

    fn build_family(&self) -> Result<Arc<dyn EndowmentDistribution>, BuildError> {
        Ok(match self {
            DistributionSpec::Uniform { lo, hi } => Arc::new(Uniform::new(*lo, *hi)?),
            DistributionSpec::TruncatedNormal { mu, sigma, lo, hi } => {
                Arc::new(TruncatedNormal::new(*mu, *sigma, *lo, *hi)?)
            }
            DistributionSpec::Beta { a, b, lo, hi } => Arc::new(Beta::new(*a, *b, *lo, *hi)?),
            DistributionSpec::Triangular { lo, mode, hi } => {
                Arc::new(Triangular::new(*lo, *mode, *hi)?)
            }
            DistributionSpec::PiecewiseLinear { z, density } => {
                Arc::new(PiecewiseLinear::new(z.clone(), density.clone())?)
            }
            DistributionSpec::Estimate {
                method,
                samples,
                support,
            } => estimate(*method, samples, support.map(|[lo, hi]| (lo, hi)))?,
            DistributionSpec::Mixture { .. } => return self.build(),
        })
    }
}

/// The family names of [`DistributionSpec`] as they appear in a spec.
#[cfg(feature = "serde")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum Family {
    Uniform,
    TruncatedNormal,
    Beta,
    Triangular,
    PiecewiseLinear,
    Mixture,
    Estimate,
}

/// The parameters of a family, by its name in a spec (`None` for an
/// unknown family).
#[cfg(feature = "serde")]
pub(crate) fn family_fields(family: &str) -> Option<&'static [&'static str]> {
    Some(match family {
        "uniform" => &["lo", "hi"],
        "truncated_normal" => &["mu", "sigma", "lo", "hi"],
        "beta" => &["a", "b", "lo", "hi"],
        "triangular" => &["lo", "mode", "hi"],
        "piecewise_linear" => &["z", "density"],
        "mixture" => &["components"],
        "estimate" => &["method", "samples", "support"],
        _ => return None,
    })
}

/// The wire form of [`DistributionSpec`]: a flat object tagged by
/// `family`. Flat (rather than an internally tagged enum) so that a type
/// error in a parameter is reported with its full path, e.g.
/// `traders[0].distribution.lo`.
#[cfg(feature = "serde")]
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDistributionSpec {
    family: Option<Family>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mu: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sigma: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    a: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    b: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lo: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mode: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hi: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    z: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    density: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    components: Option<Vec<ComponentSpec>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    method: Option<Method>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    samples: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    support: Option<[f64; 2]>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawDistributionSpec> for DistributionSpec {
    type Error = String;

    fn try_from(raw: RawDistributionSpec) -> Result<Self, String> {
        let family = raw
            .family
            .ok_or_else(|| "missing field `family`".to_string())?;
        let name = match family {
            Family::Uniform => "uniform",
            Family::TruncatedNormal => "truncated_normal",
            Family::Beta => "beta",
            Family::Triangular => "triangular",
            Family::PiecewiseLinear => "piecewise_linear",
            Family::Mixture => "mixture",
            Family::Estimate => "estimate",
        };
        let need = |v: Option<f64>, field: &str| {
            v.ok_or_else(|| format!("missing field `{field}` (family `{name}`)"))
        };
        let given = [
            ("mu", raw.mu.is_some()),
            ("sigma", raw.sigma.is_some()),
            ("a", raw.a.is_some()),
            ("b", raw.b.is_some()),
            ("lo", raw.lo.is_some()),
            ("mode", raw.mode.is_some()),
            ("hi", raw.hi.is_some()),
            ("z", raw.z.is_some()),
            ("density", raw.density.is_some()),
            ("components", raw.components.is_some()),
            ("method", raw.method.is_some()),
            ("samples", raw.samples.is_some()),
            ("support", raw.support.is_some()),
        ];
        // An unknown family has no fields of its own: every given field is
        // then reported as not its own (the family name is reported apart).
        let allowed = family_fields(name).unwrap_or(&[]);
        if let Some((field, _)) = given
            .iter()
            .find(|(f, present)| *present && !allowed.contains(f))
        {
            return Err(format!(
                "field `{field}` does not apply to family `{name}`, which takes {}",
                allowed.join(", ")
            ));
        }
        Ok(match family {
            Family::Uniform => DistributionSpec::Uniform {
                lo: need(raw.lo, "lo")?,
                hi: need(raw.hi, "hi")?,
            },
            Family::TruncatedNormal => DistributionSpec::TruncatedNormal {
                mu: need(raw.mu, "mu")?,
                sigma: need(raw.sigma, "sigma")?,
                lo: need(raw.lo, "lo")?,
                hi: need(raw.hi, "hi")?,
            },
            Family::Beta => DistributionSpec::Beta {
                a: need(raw.a, "a")?,
                b: need(raw.b, "b")?,
                lo: need(raw.lo, "lo")?,
                hi: need(raw.hi, "hi")?,
            },
            Family::Triangular => DistributionSpec::Triangular {
                lo: need(raw.lo, "lo")?,
                mode: need(raw.mode, "mode")?,
                hi: need(raw.hi, "hi")?,
            },
            Family::PiecewiseLinear => DistributionSpec::PiecewiseLinear {
                z: raw
                    .z
                    .ok_or_else(|| format!("missing field `z` (family `{name}`)"))?,
                density: raw
                    .density
                    .ok_or_else(|| format!("missing field `density` (family `{name}`)"))?,
            },
            Family::Mixture => DistributionSpec::Mixture {
                components: raw
                    .components
                    .ok_or_else(|| format!("missing field `components` (family `{name}`)"))?,
            },
            Family::Estimate => DistributionSpec::Estimate {
                method: raw
                    .method
                    .ok_or_else(|| format!("missing field `method` (family `{name}`)"))?,
                samples: raw
                    .samples
                    .ok_or_else(|| format!("missing field `samples` (family `{name}`)"))?,
                support: raw.support,
            },
        })
    }
}

#[cfg(feature = "serde")]
impl From<DistributionSpec> for RawDistributionSpec {
    fn from(d: DistributionSpec) -> Self {
        let mut raw = RawDistributionSpec::default();
        match d {
            DistributionSpec::Uniform { lo, hi } => {
                raw.family = Some(Family::Uniform);
                (raw.lo, raw.hi) = (Some(lo), Some(hi));
            }
            DistributionSpec::TruncatedNormal { mu, sigma, lo, hi } => {
                raw.family = Some(Family::TruncatedNormal);
                (raw.mu, raw.sigma, raw.lo, raw.hi) = (Some(mu), Some(sigma), Some(lo), Some(hi));
            }
            DistributionSpec::Beta { a, b, lo, hi } => {
                raw.family = Some(Family::Beta);
                (raw.a, raw.b, raw.lo, raw.hi) = (Some(a), Some(b), Some(lo), Some(hi));
            }
            DistributionSpec::Triangular { lo, mode, hi } => {
                raw.family = Some(Family::Triangular);
                (raw.lo, raw.mode, raw.hi) = (Some(lo), Some(mode), Some(hi));
            }
            DistributionSpec::PiecewiseLinear { z, density } => {
                raw.family = Some(Family::PiecewiseLinear);
                (raw.z, raw.density) = (Some(z), Some(density));
            }
            DistributionSpec::Mixture { components } => {
                raw.family = Some(Family::Mixture);
                raw.components = Some(components);
            }
            DistributionSpec::Estimate {
                method,
                samples,
                support,
            } => {
                raw.family = Some(Family::Estimate);
                (raw.method, raw.samples, raw.support) = (Some(method), Some(samples), support);
            }
        }
        raw
    }
}

fn default_count() -> u64 {
    1
}

/// One class of identical traders.
///
/// # Example
/// ```
/// use exchange_design::spec::{DistributionSpec, TraderSpec};
/// let t = TraderSpec { kappa: 0.5, count: 3, distribution: DistributionSpec::Uniform { lo: -1.0, hi: 1.0 } };
/// assert_eq!(t.count, 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct TraderSpec {
    /// Risk capacity of each trader.
    pub kappa: f64,
    /// Number of identical traders (default 1).
    #[cfg_attr(feature = "serde", serde(default = "default_count"))]
    pub count: u64,
    /// Endowment distribution.
    pub distribution: DistributionSpec,
}

/// A request: the weight on revenue and the market.
///
/// # Example
/// ```
/// use exchange_design::spec::{DistributionSpec, Spec, TraderSpec};
/// let spec = Spec {
///     alpha: 0.5,
///     traders: vec![TraderSpec { kappa: 0.5, count: 5, distribution: DistributionSpec::Uniform { lo: -1.0, hi: 1.0 } }],
///     fee_queries: None,
///     assess: None,
///     bootstrap: None,
/// };
/// let report = spec.run()?;
/// assert_eq!(report.n_traders, 5);
/// assert!((report.classes[0].z_b - 1.0 / 3.0).abs() < 1e-10);
/// # Ok::<(), exchange_design::spec::SpecError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct Spec {
    /// Weight on revenue, in `[0, 1]`.
    pub alpha: f64,
    /// The trader classes.
    pub traders: Vec<TraderSpec>,
    /// Optional side-payment queries: `S_class(p, q)` of Theorem 2 is
    /// reported for each, in order, in [`Report::fees`].
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub fee_queries: Option<Vec<FeeQuery>>,
    /// Optional: assess the designed auction under these true
    /// distributions (one per class); reported in [`Report::assessment`].
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub assess: Option<AssessSpec>,
    /// Optional: bootstrap the design (every class must be estimated from
    /// samples); reported in [`Report::bootstrap`].
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub bootstrap: Option<BootstrapSpec>,
}

/// The answer to one [`FeeQuery`]: the query repeated, so that a report
/// can be read on its own, and the side payment.
///
/// # Example
/// ```
/// use exchange_design::spec::{DistributionSpec, FeeQuery, Spec, TraderSpec};
/// let spec = Spec { alpha: 0.5, traders: vec![
///     TraderSpec { kappa: 0.5, count: 3, distribution: DistributionSpec::Uniform { lo: -1.0, hi: 1.0 } },
/// ], fee_queries: Some(vec![FeeQuery { class: 0, p: 0.0, q: 0.0 }]), assess: None, bootstrap: None };
/// let fees = spec.run()?.fees.unwrap();
/// assert_eq!((fees[0].class, fees[0].p, fees[0].q), (0, 0.0, 0.0));
/// assert!(fees[0].fee.is_finite());
/// # Ok::<(), exchange_design::spec::SpecError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FeeReport {
    /// The queried class (position in `traders`).
    pub class: usize,
    /// The clearing price queried.
    pub p: f64,
    /// The quantity bought queried (negative: sold).
    pub q: f64,
    /// `S_class(p, q)`: what the trader pays besides `p·q` (negative: a
    /// rebate), participation fee included.
    pub fee: f64,
}

/// One side-payment query: what a trader of class `class` pays besides
/// `p·q` when it buys `q` at the clearing price `p`.
///
/// # Example
/// ```
/// use exchange_design::spec::FeeQuery;
/// let q = FeeQuery { class: 0, p: 0.1, q: -0.2 };
/// assert_eq!(q.class, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct FeeQuery {
    /// Index of the trader class (position in `traders`).
    pub class: usize,
    /// Clearing price.
    pub p: f64,
    /// Quantity bought (negative: sold).
    pub q: f64,
}

/// A spec that cannot be run, with the path of the offending field.
///
/// # Example
/// ```
/// use exchange_design::spec::{DistributionSpec, Spec, TraderSpec};
/// let spec = Spec { alpha: 2.0, traders: vec![], fee_queries: None, assess: None, bootstrap: None };
/// assert!(spec.run().unwrap_err().to_string().starts_with("alpha"));
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum SpecError {
    /// A field has an invalid value.
    #[error("{field}: {message}")]
    Invalid {
        /// Path of the field, e.g. `traders[1].kappa`.
        field: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// The solver failed on a valid spec.
    #[error("solve: {0}")]
    Solve(MechanismError),
    /// The double-auction benchmark failed numerically on a valid spec
    /// (having no linear equilibrium, with fewer than 3 traders, is not a
    /// failure: the report's `double_auction` is then `null`).
    #[error("double auction benchmark: {0}")]
    Benchmark(BenchmarkError),
}

fn invalid(field: impl Into<String>, message: impl ToString) -> SpecError {
    SpecError::Invalid {
        field: field.into(),
        message: message.to_string(),
    }
}

fn distribution_field(err: &DistributionError) -> Option<&'static str> {
    match err {
        DistributionError::NonFiniteParameter { name, .. }
        | DistributionError::NonPositiveScale { name, .. }
        | DistributionError::ShapeBelowOne { name, .. }
        | DistributionError::ShapeTooLarge { name, .. }
        | DistributionError::ScaleOutOfRange { name, .. } => Some(name),
        DistributionError::EmptySupport { .. }
        | DistributionError::UnrepresentableSupport { .. } => Some("lo"),
        DistributionError::ModeOutsideSupport { .. } => Some("mode"),
        DistributionError::GridTooShort { .. }
        | DistributionError::GridNotIncreasing { .. }
        | DistributionError::LengthMismatch { .. } => Some("z"),
        DistributionError::NegativeDensity { .. }
        | DistributionError::NotNormalisable { .. }
        | DistributionError::VanishingDensity { .. } => Some("density"),
        _ => None,
    }
}

/// A number as a user would write it: plain when moderate, in `e`
/// notation when very large or small (so 1e-300 is not 300 zeros).
fn num(x: f64) -> String {
    if x == 0.0 || (1e-4..1e15).contains(&x.abs()) || !x.is_finite() {
        x.to_string()
    } else {
        format!("{x:e}")
    }
}

/// A [`DistributionError`] of class `class` under the path of the
/// parameter to change; the parameter is named once, by the path.
fn distribution_error(class: usize, part: &str, e: &DistributionError) -> SpecError {
    let message = e.to_string();
    let base = if part.is_empty() {
        format!("traders[{class}].distribution")
    } else {
        format!("traders[{class}].distribution.{part}")
    };
    match distribution_field(e) {
        Some(name) => {
            let message = [
                format!("parameter `{name}` is "),
                format!("shape parameter `{name}` is "),
            ]
            .iter()
            .find_map(|prefix| message.strip_prefix(prefix.as_str()))
            .map_or(message.clone(), str::to_string);
            invalid(format!("{base}.{name}"), message)
        }
        None => invalid(base, message),
    }
}

/// A [`BuildError`] of class `class` under the path of the field to
/// change: an estimation error names `samples[i]`, `samples` or `support`.
fn build_error(class: usize, part: &str, e: &BuildError) -> SpecError {
    let e = match e {
        BuildError::Distribution(e) => return distribution_error(class, part, e),
        BuildError::Estimation(e) => e,
    };
    let base = if part.is_empty() {
        format!("traders[{class}].distribution")
    } else {
        format!("traders[{class}].distribution.{part}")
    };
    let field = match e {
        EstimationError::NonFiniteSample { index, .. }
        | EstimationError::OutsideSupport { index, .. }
        | EstimationError::SampleOnBoundary { index, .. } => format!("samples[{index}]"),
        EstimationError::Distribution(_) => return invalid(base, e),
        other => other.field().to_string(),
    };
    invalid(format!("{base}.{field}"), e)
}

/// A [`MarketError`] under the spec path of the field to change, with a
/// message that does not repeat the class (the path already names it).
fn market_error(e: &MarketError) -> SpecError {
    match e {
        MarketError::InvalidKappa { class, value } => invalid(
            format!("traders[{class}].kappa"),
            format!("{} is not a risk capacity; give a finite number greater than 0", num(*value)),
        ),
        MarketError::ZeroCount { class } => invalid(
            format!("traders[{class}].count"),
            "0 traders; give at least 1, or remove the entry",
        ),
        MarketError::DominantTrader { class, kappa, total } => invalid(
            format!("traders[{class}].kappa"),
            format!("{} dominates the total risk capacity {}, so the other traders' is lost to rounding; reduce the ratio of the largest to the smallest kappa", num(*kappa), num(*total)),
        ),
        MarketError::InvalidDistribution { class, source } => distribution_error(*class, "", source),
        _ => invalid("traders", e),
    }
}

/// The class whose side payments are the most likely to overflow: the
/// largest utility scale `width²/κ`.
fn largest_scale_class(mech: &OptimalMechanism) -> (usize, f64) {
    mech.classes()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (lo, hi) = c.virtual_value().distribution().support();
            (i, (hi - lo) * (hi - lo) / c.kappa())
        })
        .fold(
            (0, f64::NEG_INFINITY),
            |best, x| if x.1 > best.1 { x } else { best },
        )
}

impl Spec {
    /// Checks that `alpha` is in `[0, 1]` (NaN is not).
    ///
    /// # Errors
    /// [`SpecError::Invalid`] naming `alpha`.
    ///
    /// # Example
    /// ```
    /// use exchange_design::spec::Spec;
    /// let spec = Spec { alpha: 1.5, traders: vec![], fee_queries: None, assess: None, bootstrap: None };
    /// assert!(spec.validate_alpha().unwrap_err().to_string().starts_with("alpha"));
    /// ```
    pub fn validate_alpha(&self) -> Result<(), SpecError> {
        if (0.0..=1.0).contains(&self.alpha) {
            return Ok(());
        }
        Err(invalid(
            "alpha",
            format!(
                "{} is not in [0, 1]; give the weight on revenue as a number from 0 to 1",
                self.alpha
            ),
        ))
    }

    /// Builds the market, reporting the first invalid field.
    ///
    /// # Errors
    /// [`SpecError::Invalid`] naming the field.
    ///
    /// # Example
    /// ```
    /// use exchange_design::spec::{DistributionSpec, Spec, TraderSpec};
    /// let spec = Spec { alpha: 0.5, traders: vec![
    ///     TraderSpec { kappa: -1.0, count: 2, distribution: DistributionSpec::Uniform { lo: 0.0, hi: 1.0 } },
    /// ], fee_queries: None, assess: None, bootstrap: None };
    /// assert!(spec.market().unwrap_err().to_string().starts_with("traders[0].kappa"));
    /// ```
    pub fn market(&self) -> Result<Market, SpecError> {
        // Each trader's distribution is built on its own (in parallel); the
        // first failure in trader order is the one reported.
        let built = parallel::map(&self.traders, |t| t.distribution.build_at(0));
        let mut classes = Vec::with_capacity(self.traders.len());
        for (i, (t, dist)) in self.traders.iter().zip(built).enumerate() {
            let dist = dist.map_err(|(part, e)| build_error(i, &part, &e))?;
            classes.push(TraderClass::from_shared(t.kappa, dist, t.count));
        }
        Market::new(classes).map_err(|e| market_error(&e))
    }

    /// Validates the spec, solves the optimal mechanism and its first best,
    /// and builds the report.
    ///
    /// # Errors
    /// [`SpecError::Invalid`] for a bad field, [`SpecError::Solve`] when the
    /// solver fails.
    ///
    /// # Example
    /// ```
    /// use exchange_design::spec::{DistributionSpec, Spec, TraderSpec};
    /// let spec = Spec { alpha: 1.0, traders: vec![
    ///     TraderSpec { kappa: 0.5, count: 3, distribution: DistributionSpec::Uniform { lo: -1.0, hi: 1.0 } },
    /// ], fee_queries: None, assess: None, bootstrap: None };
    /// let r = spec.run()?;
    /// assert!((r.classes[0].no_trade_probability - 0.5).abs() < 1e-10);
    /// # Ok::<(), exchange_design::spec::SpecError>(())
    /// ```
    pub fn run(&self) -> Result<Report, SpecError> {
        self.run_with_progress(&|_, _| {})
    }

    /// [`Spec::run`], calling `progress(done, total)` once per finished
    /// bootstrap replicate (when the spec asks for a bootstrap).
    ///
    /// # Errors
    /// As [`Spec::run`].
    ///
    /// # Example
    /// ```
    /// use exchange_design::spec::{DistributionSpec, Spec, TraderSpec};
    /// let spec = Spec { alpha: 1.0, traders: vec![
    ///     TraderSpec { kappa: 0.5, count: 3, distribution: DistributionSpec::Uniform { lo: -1.0, hi: 1.0 } },
    /// ], fee_queries: None, assess: None, bootstrap: None };
    /// let r = spec.run_with_progress(&|done, total| assert!(done <= total))?;
    /// assert!(r.bootstrap.is_none());
    /// # Ok::<(), exchange_design::spec::SpecError>(())
    /// ```
    pub fn run_with_progress(
        &self,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Report, SpecError> {
        self.validate_alpha()?;
        let market = self.market()?;
        let start = Instant::now();
        let mech = OptimalMechanism::solve(&market, self.alpha).map_err(SpecError::Solve)?;
        let solve_seconds = start.elapsed().as_secs_f64();
        let fb = mech.first_best().map_err(SpecError::Solve)?;
        let side = SidePayments::new(&mech).map_err(|e| match e {
            ImplementationError::Numerical(NumericalError::NonFinite { what }) => {
                let (class, scale) = largest_scale_class(&mech);
                invalid(
                    format!("traders[{class}].kappa"),
                    format!(
                        "with kappa = {} the side payments' {what} overflows (the utility scale width²/kappa is {scale:.3e}); give risk capacities and endowment widths closer to 1 (rescale the units)",
                        num(mech.classes()[class].kappa())
                    ),
                )
            }
            other => invalid("traders", other),
        })?;
        let double_auction = match PlainDoubleAuction::new(&market) {
            Ok(da) => Some(da),
            Err(BenchmarkError::NoLinearEquilibrium { .. }) => None,
            Err(e) => return Err(SpecError::Benchmark(e)),
        };
        let mut report = Report::new(&mech, &fb, double_auction.as_ref(), solve_seconds);
        for (c, sp) in report.classes.iter_mut().zip(side.classes()) {
            c.side_payment = Some(SidePaymentReport {
                c: sp.c(),
                tau: sp.tau(),
            });
        }
        // The fit of each estimated class (the estimators are
        // deterministic, so this is the estimate the market was built on).
        for (c, t) in report.classes.iter_mut().zip(&self.traders) {
            if let DistributionSpec::Estimate {
                method,
                samples,
                support,
            } = &t.distribution
            {
                let support = support.map(|[lo, hi]| (lo, hi));
                c.estimate = estimate_with_fit(*method, samples, support)
                    .ok()
                    .map(|e| e.fit);
            }
        }
        if let Some(queries) = &self.fee_queries {
            let mut fees = Vec::with_capacity(queries.len());
            for (i, q) in queries.iter().enumerate() {
                let class = side.get_class(q.class).ok_or_else(|| {
                    invalid(
                        format!("fee_queries[{i}].class"),
                        format!(
                            "{} is not a class; give a position in `traders`, from 0 to {}",
                            q.class,
                            side.classes().len() - 1
                        ),
                    )
                })?;
                let fee = class.side_payment(q.p, q.q).ok().filter(|f| f.is_finite());
                let Some(fee) = fee else {
                    let (lo, hi) = class.virtual_value().distribution().support();
                    return Err(invalid(
                        format!("fee_queries[{i}]"),
                        format!("the side payment at p = {:e}, q = {:e} overflows; give p and q of the size of the endowments (class {} has endowments in [{lo}, {hi}])", q.p, q.q, q.class),
                    ));
                };
                fees.push(FeeReport {
                    class: q.class,
                    p: q.p,
                    q: q.q,
                    fee,
                });
            }
            report.fees = Some(fees);
        }
        if let Some(a) = &self.assess {
            let design =
                crate::deployment::Design::new(mech.clone()).map_err(|e| invalid("traders", e))?;
            report.assessment = Some(deploy::assess(&design, a)?);
        }
        if let Some(b) = &self.bootstrap {
            report.bootstrap = Some(deploy::run_bootstrap(
                &self.traders,
                self.alpha,
                b,
                progress,
            )?);
        }
        Ok(report)
    }
}

/// Per-class figures of a [`Report`].
///
/// # Example
/// ```
/// # use exchange_design::spec::{DistributionSpec, Spec, TraderSpec};
/// let spec = Spec { alpha: 0.0, traders: vec![
///     TraderSpec { kappa: 1.0, count: 2, distribution: DistributionSpec::Uniform { lo: -1.0, hi: 1.0 } },
/// ], fee_queries: None, assess: None, bootstrap: None };
/// let c = &spec.run().unwrap().classes[0];
/// assert_eq!((c.kappa, c.count), (1.0, 2));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ClassReport {
    /// Risk capacity.
    pub kappa: f64,
    /// Number of traders.
    pub count: u64,
    /// Level `η` of the virtual value on the binding interval.
    pub eta: f64,
    /// Lower end of the binding interval.
    pub z_a: f64,
    /// Upper end of the binding interval.
    pub z_b: f64,
    /// `F(z_b) − F(z_a)`.
    pub no_trade_probability: f64,
    /// `E[V]`.
    pub mean_virtual_value: f64,
    /// Utility gain of the lowest type.
    pub lowest_type_gain: f64,
    /// The pooled intervals `[a, b]` outside the binding interval, where the
    /// virtual value was ironed (constant at a level other than `η`); empty
    /// for a class whose virtual types are monotone.
    #[cfg_attr(feature = "serde", serde(default))]
    pub ironed_intervals: Vec<[f64; 2]>,
    /// The same intervals with their probability mass and their effect on
    /// the objective ([`crate::mechanism::Pool`]).
    #[cfg_attr(feature = "serde", serde(default))]
    pub pools: Vec<PoolReport>,
    /// For a class whose distribution is an `"estimate"`: how it was
    /// fitted (method, `n`, distinct `n`, support, log-likelihood and
    /// fitted parameters, [`crate::estimation::Fit`]); filled by
    /// [`Spec::run`], absent for other classes.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub estimate: Option<crate::estimation::Fit>,
    /// The class's side-payment constants (Theorem 2); filled by
    /// [`Spec::run`].
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub side_payment: Option<SidePaymentReport>,
}

/// The constants of a class's side payment
/// `S(p, q) = c q²/2 − T(−q − w p) + τ` (Theorem 2).
///
/// # Example
/// ```
/// # use exchange_design::spec::{DistributionSpec, Spec, TraderSpec};
/// let spec = Spec { alpha: 0.5, traders: vec![
///     TraderSpec { kappa: 0.5, count: 3, distribution: DistributionSpec::Uniform { lo: -1.0, hi: 1.0 } },
/// ], fee_queries: None, assess: None, bootstrap: None };
/// let sp = spec.run().unwrap().classes[0].side_payment.unwrap();
/// // c = −1/κ + K/κ − K/(K − κ) with κ = 1/2, K = 3/2.
/// assert!((sp.c - (-2.0 + 3.0 - 1.5)).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SidePaymentReport {
    /// The quadratic coefficient `c_i`.
    pub c: f64,
    /// The participation fee `τ_i`.
    pub tau: f64,
}

/// First-best figures of a [`Report`].
///
/// # Example
/// ```
/// # use exchange_design::spec::{DistributionSpec, Spec, TraderSpec};
/// let spec = Spec { alpha: 0.0, traders: vec![
///     TraderSpec { kappa: 1.0, count: 2, distribution: DistributionSpec::Uniform { lo: -1.0, hi: 1.0 } },
/// ], fee_queries: None, assess: None, bootstrap: None };
/// assert!(spec.run().unwrap().first_best.budget_balanced);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FirstBestReport {
    /// Revenue with maximal IR-compatible fees.
    pub revenue: f64,
    /// Efficiency.
    pub efficiency: f64,
    /// Whether it balances the budget (Proposition 1).
    pub budget_balanced: bool,
}

/// The double auction without side payments (the paper's benchmark) in a
/// [`Report`].
///
/// # Example
/// ```
/// # use exchange_design::spec::{DistributionSpec, Spec, TraderSpec};
/// let spec = Spec { alpha: 0.5, traders: vec![
///     TraderSpec { kappa: 0.5, count: 5, distribution: DistributionSpec::Uniform { lo: -1.0, hi: 1.0 } },
/// ], fee_queries: None, assess: None, bootstrap: None };
/// let da = spec.run().unwrap().double_auction.unwrap();
/// assert!((da.fee_revenue - 0.25).abs() < 1e-10); // Example 1, N = 5
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DoubleAuctionReport {
    /// Efficiency of the linear equilibrium.
    pub efficiency: f64,
    /// Revenue with the maximal participation fee per trader.
    pub fee_revenue: f64,
    /// Price impact `1/Σ_{j≠i} b_j` of one trader of each class.
    pub price_impact: Vec<f64>,
}

/// The report the `solve` example prints.
///
/// # Example
/// ```
/// # use exchange_design::spec::{DistributionSpec, Spec, TraderSpec};
/// let spec = Spec { alpha: 0.5, traders: vec![
///     TraderSpec { kappa: 1.0, count: 4, distribution: DistributionSpec::Uniform { lo: -1.0, hi: 1.0 } },
/// ], fee_queries: None, assess: None, bootstrap: None };
/// let r = spec.run().unwrap();
/// assert_eq!((r.alpha, r.beta, r.lambda), (0.5, 0.5, 0.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Report {
    /// Weight on revenue requested.
    pub alpha: f64,
    /// Effective weight `β`.
    pub beta: f64,
    /// Budget multiplier `λ`.
    pub lambda: f64,
    /// Whether budget balance binds.
    pub budget_binding: bool,
    /// Expected revenue.
    pub revenue: f64,
    /// Expected efficiency.
    pub efficiency: f64,
    /// Number of traders.
    pub n_traders: u64,
    /// Wall time of the solve, in seconds.
    pub solve_seconds: f64,
    /// How the solve went: why it stopped, iterations, residual and the
    /// tolerance it met.
    pub status: StatusReport,
    /// One entry per spec entry, in order.
    pub classes: Vec<ClassReport>,
    /// The first best of the same market.
    pub first_best: FirstBestReport,
    /// The double auction without side payments; `None` (JSON `null`) when
    /// it has no linear equilibrium (fewer than 3 traders).
    pub double_auction: Option<DoubleAuctionReport>,
    /// Answers to [`Spec::fee_queries`], in order (absent without queries).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub fees: Option<Vec<FeeReport>>,
    /// The designed auction under the spec's `assess` distributions.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub assessment: Option<AssessmentReport>,
    /// The bootstrap requested by the spec's `bootstrap`.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub bootstrap: Option<BootstrapReport>,
}

impl Report {
    /// Assembles the report from what has been computed: the solved
    /// mechanism, its first best and the double-auction benchmark (`None`
    /// when the market has none). It computes nothing itself and cannot fail.
    ///
    /// # Example
    /// ```
    /// use exchange_design::benchmarks::PlainDoubleAuction;
    /// use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, spec::Report};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let mech = OptimalMechanism::solve(&m, 0.5)?;
    /// let da = PlainDoubleAuction::new(&m)?;
    /// let r = Report::new(&mech, &mech.first_best()?, Some(&da), 0.0);
    /// assert_eq!(r.classes.len(), 1);
    /// assert!(r.double_auction.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        mech: &OptimalMechanism,
        fb: &crate::mechanism::FirstBest,
        double_auction: Option<&PlainDoubleAuction>,
        solve_seconds: f64,
    ) -> Self {
        Report {
            alpha: mech.alpha(),
            beta: mech.beta(),
            lambda: mech.lambda(),
            budget_binding: mech.budget_binding(),
            revenue: mech.revenue(),
            efficiency: mech.efficiency(),
            n_traders: mech.market().n_traders(),
            solve_seconds,
            status: StatusReport::from(mech.status()),
            classes: parallel::map(&(0..mech.classes().len()).collect::<Vec<_>>(), |&i| {
                let c = mech.class(i);
                let (z_a, z_b) = c.virtual_value().binding_interval();
                ClassReport {
                    kappa: c.kappa(),
                    count: c.count(),
                    eta: c.virtual_value().eta(),
                    z_a,
                    z_b,
                    no_trade_probability: c.no_trade_probability(),
                    mean_virtual_value: c.mean_virtual_value(),
                    lowest_type_gain: c.lowest_type_gain(),
                    ironed_intervals: c
                        .virtual_value()
                        .ironed_intervals()
                        .into_iter()
                        .map(|(a, b)| [a, b])
                        .collect(),
                    pools: mech.pools(i).iter().map(PoolReport::from).collect(),
                    estimate: None,
                    side_payment: None,
                }
            }),
            first_best: FirstBestReport {
                revenue: fb.revenue(),
                efficiency: fb.efficiency(),
                budget_balanced: fb.budget_balanced(),
            },
            double_auction: double_auction.map(|da| DoubleAuctionReport {
                efficiency: da.efficiency(),
                // Σ count·fee as `with_maximal_fees().revenue()` adds it,
                // without copying the auction.
                fee_revenue: da
                    .classes()
                    .iter()
                    .map(|c| c.count() as f64 * c.maximal_fee())
                    .sum(),
                price_impact: da.classes().iter().map(|c| c.price_impact()).collect(),
            }),
            fees: None,
            assessment: None,
            bootstrap: None,
        }
    }
}
