//! The spec's optional `assess` and `bootstrap` requests and the report's
//! `assessment` and `bootstrap` sections (see [`crate::deployment`]).

use super::{build_error, invalid, BuildError, DistributionSpec, SpecError, TraderSpec};
use crate::deployment::{
    bootstrap, robust_fees, Assessment, Band, BootstrapConfig, DeploymentError, Design,
    SampledClass,
};
use crate::distribution::EndowmentDistribution;
use std::sync::Arc;

/// The true distribution of one class, for `assess`.
///
/// # Example
/// ```
/// use exchange_design::spec::{AssessTraderSpec, DistributionSpec};
/// let t = AssessTraderSpec { distribution: DistributionSpec::Uniform { lo: -0.5, hi: 1.0 } };
/// assert!(matches!(t.distribution, DistributionSpec::Uniform { .. }));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct AssessTraderSpec {
    /// The class's true endowment distribution (inside the designed support).
    pub distribution: DistributionSpec,
}

/// `assess`: the true distribution of each class, in the order of `traders`.
///
/// # Example
/// ```
/// use exchange_design::spec::{AssessSpec, AssessTraderSpec, DistributionSpec};
/// let a = AssessSpec { traders: vec![AssessTraderSpec { distribution: DistributionSpec::Uniform { lo: -0.5, hi: 1.0 } }], robust_fees: None };
/// assert_eq!(a.traders.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct AssessSpec {
    /// One entry per class of `traders`, same order.
    pub traders: Vec<AssessTraderSpec>,
    /// Optional: fees that keep every type in under every listed plausible
    /// market (and under this truth and the designed market); reported in
    /// [`AssessmentReport::robust_fees`].
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub robust_fees: Option<RobustFeesSpec>,
}

/// One plausible true market: a distribution per class.
///
/// # Example
/// See [`RobustFeesSpec`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct PlausibleMarketSpec {
    /// One entry per class of `traders`, same order.
    pub traders: Vec<AssessTraderSpec>,
}

/// `assess.robust_fees`: the plausible true markets the fees must keep
/// every type in under.
///
/// # Example
/// ```
/// use exchange_design::spec::{
///     AssessSpec, AssessTraderSpec, DistributionSpec, PlausibleMarketSpec, RobustFeesSpec, Spec,
///     TraderSpec,
/// };
/// let tri = |mode: f64| AssessTraderSpec {
///     distribution: DistributionSpec::Triangular { lo: -1.0, mode, hi: 1.0 },
/// };
/// let spec = Spec {
///     alpha: 0.5,
///     traders: vec![TraderSpec { kappa: 0.5, count: 3, distribution: DistributionSpec::Uniform { lo: -1.0, hi: 1.0 } }],
///     fee_queries: None,
///     assess: Some(AssessSpec {
///         traders: vec![tri(0.0)],
///         robust_fees: Some(RobustFeesSpec {
///             plausible: vec![PlausibleMarketSpec { traders: vec![tri(-0.4)] }, PlausibleMarketSpec { traders: vec![tri(0.6)] }],
///             percentiles: vec![5.0, 50.0, 95.0],
///         }),
///     }),
///     bootstrap: None,
/// };
/// let r = spec.run()?.assessment.unwrap().robust_fees.unwrap();
/// assert!(r.reductions[0] > 0.0 && r.min_gain.unwrap() >= -1e-12);
/// assert_eq!(r.markets.len(), 3); // the two plausible markets and the `assess` truth
/// # Ok::<(), exchange_design::spec::SpecError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct RobustFeesSpec {
    /// The plausible markets (at least one).
    pub plausible: Vec<PlausibleMarketSpec>,
    /// Percentile levels in `[0, 100]` of the revenue band (default
    /// `[5, 50, 95]`).
    #[cfg_attr(feature = "serde", serde(default = "default_percentiles"))]
    pub percentiles: Vec<f64>,
}

fn default_replicates() -> usize {
    1000
}

fn default_percentiles() -> Vec<f64> {
    vec![5.0, 50.0, 95.0]
}

/// `bootstrap`: resample every class's samples (all classes must be of
/// family `estimate`), re-estimate, re-solve.
///
/// # Example
/// ```
/// use exchange_design::spec::BootstrapSpec;
/// let b = BootstrapSpec { replicates: 200, seed: 1, robust_fees: true, percentiles: vec![5.0, 95.0] };
/// assert_eq!(b.replicates, 200);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct BootstrapSpec {
    /// Number of replicates `B ≥ 1` (default 1000).
    #[cfg_attr(feature = "serde", serde(default = "default_replicates"))]
    pub replicates: usize,
    /// Seed of the resampling (default 0).
    #[cfg_attr(feature = "serde", serde(default))]
    pub seed: u64,
    /// Whether to report robust fees over the replicates (default false).
    #[cfg_attr(feature = "serde", serde(default))]
    pub robust_fees: bool,
    /// Percentile levels in `[0, 100]` (default `[5, 50, 95]`).
    #[cfg_attr(feature = "serde", serde(default = "default_percentiles"))]
    pub percentiles: Vec<f64>,
}

/// One class of the report's `assessment`.
///
/// # Example
/// See [`AssessmentReport`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ClassAssessmentReport {
    /// Smallest interim gain of taking part over the truth's support.
    pub min_gain: f64,
    /// A type where it is attained.
    pub min_gain_at: f64,
    /// Probability (under the truth) of a type with negative gain.
    pub abstain_probability: f64,
    /// Mean gain under the truth.
    pub mean_gain: f64,
}

/// The report's `assessment`: the designed auction under the true market.
///
/// # Example
/// ```
/// use exchange_design::spec::{AssessSpec, AssessTraderSpec, DistributionSpec, Spec, TraderSpec};
/// let spec = Spec {
///     alpha: 0.5,
///     traders: vec![TraderSpec { kappa: 0.5, count: 3, distribution: DistributionSpec::Uniform { lo: -1.0, hi: 1.0 } }],
///     fee_queries: None,
///     assess: Some(AssessSpec { traders: vec![AssessTraderSpec {
///         distribution: DistributionSpec::Triangular { lo: -1.0, mode: 0.5, hi: 1.0 },
///     }], robust_fees: None }),
///     bootstrap: None,
/// };
/// let a = spec.run()?.assessment.unwrap();
/// assert!(a.classes[0].min_gain < 0.0 && a.classes[0].abstain_probability > 0.0);
/// # Ok::<(), exchange_design::spec::SpecError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AssessmentReport {
    /// Expected revenue under the truth.
    pub revenue: f64,
    /// Efficiency (minus the total expected holding cost) under the truth.
    pub efficiency: f64,
    /// `α R + (1 − α) E`.
    pub objective: f64,
    /// Per class, in the order of `traders`.
    pub classes: Vec<ClassAssessmentReport>,
    /// Robust fees over the plausible markets of `assess.robust_fees`, when
    /// asked for.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub robust_fees: Option<RobustFeesReport>,
}

impl From<&Assessment> for AssessmentReport {
    fn from(a: &Assessment) -> Self {
        Self {
            revenue: a.revenue(),
            efficiency: a.efficiency(),
            objective: a.objective(),
            classes: a
                .classes()
                .iter()
                .map(|c| ClassAssessmentReport {
                    min_gain: c.min_gain(),
                    min_gain_at: c.min_gain_at(),
                    abstain_probability: c.abstain_probability(),
                    mean_gain: c.mean_gain(),
                })
                .collect(),
            robust_fees: None,
        }
    }
}

/// Per class percentiles of the bootstrap.
///
/// # Example
/// See [`BootstrapReport`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ClassBootstrapReport {
    /// Percentiles of the re-solved participation fee `τ`.
    pub tau: Vec<f64>,
    /// Percentiles of the lower end of the binding interval.
    pub z_a: Vec<f64>,
    /// Percentiles of the upper end of the binding interval.
    pub z_b: Vec<f64>,
}

/// A replicate left out of the bands.
///
/// # Example
/// See [`BootstrapReport`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FailureReport {
    /// Index of the replicate.
    pub replicate: usize,
    /// `"estimate"`, `"solve"` or `"assess"`.
    pub stage: String,
    /// Why.
    pub reason: String,
}

/// Robust fees over the bootstrap replicates.
///
/// # Example
/// See [`BootstrapReport`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RobustFeesReport {
    /// The robust fee of each class.
    pub fees: Vec<f64>,
    /// How much each class's designed fee was lowered (≥ 0).
    pub reductions: Vec<f64>,
    /// Revenue the reductions cost under the designed market.
    pub revenue_cost: f64,
    /// Percentiles of the revenue under the replicates, with robust fees.
    pub revenue: Vec<f64>,
    /// Smallest gain of any type of any class under any assessed
    /// replicate, with robust fees (≥ −1e-12 by construction); `null` when
    /// no replicate could be assessed.
    pub min_gain: Option<f64>,
    /// For user-given plausible markets (`assess.robust_fees`): the
    /// assessment under each with the robust fees, in the order given, the
    /// `assess` truth last. Empty (and left out) for the bootstrap.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub markets: Vec<AssessmentReport>,
}

/// The report's `bootstrap` section.
///
/// # Example
/// ```
/// use exchange_design::spec::{BootstrapSpec, DistributionSpec, Spec, TraderSpec};
/// use exchange_design::estimation::Method;
/// let samples = |s: f64| -> Vec<f64> { (0..300).map(|k| ((k as f64 * 0.618_034 + s).fract() * 1.8) - 0.9).collect() };
/// let trader = |s: f64| TraderSpec { kappa: 0.5, count: 2, distribution: DistributionSpec::Estimate {
///     method: Method::LogConcave, samples: samples(s), support: Some([-1.0, 1.0]) } };
/// let spec = Spec {
///     alpha: 0.5,
///     traders: vec![trader(0.0), trader(0.3)],
///     fee_queries: None,
///     assess: None,
///     bootstrap: Some(BootstrapSpec { replicates: 10, seed: 3, robust_fees: true, percentiles: vec![5.0, 50.0, 95.0] }),
/// };
/// let b = spec.run()?.bootstrap.unwrap();
/// assert_eq!(b.revenue.len(), 3);
/// assert!(b.robust_fees.unwrap().min_gain.unwrap() >= -1e-12);
/// # Ok::<(), exchange_design::spec::SpecError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BootstrapReport {
    /// Replicates asked for.
    pub replicates: usize,
    /// The seed.
    pub seed: u64,
    /// Percentile levels of every band below.
    pub percentiles: Vec<f64>,
    /// Replicates whose estimation or solve failed.
    pub failed_solves: usize,
    /// Replicates under which the full-sample design could not be assessed.
    pub failed_assessments: usize,
    /// Each failure, in replicate order.
    pub failures: Vec<FailureReport>,
    /// Percentiles of the re-solved designs' revenue.
    pub revenue: Vec<f64>,
    /// Percentiles of the re-solved designs' efficiency.
    pub efficiency: Vec<f64>,
    /// Per class: percentiles of `τ`, `z_a`, `z_b`.
    pub classes: Vec<ClassBootstrapReport>,
    /// Percentiles of the full-sample design's revenue under the replicates.
    pub assessed_revenue: Vec<f64>,
    /// Percentiles of its efficiency under the replicates.
    pub assessed_efficiency: Vec<f64>,
    /// Share of replicates under which some type would stay away.
    pub stay_away_probability: f64,
    /// Robust fees over the replicates, when asked for.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub robust_fees: Option<RobustFeesReport>,
}

fn values(b: &Band) -> Vec<f64> {
    b.values().to_vec()
}

/// A deployment error under the spec path of the field to change.
fn deployment_error(section: &str, e: DeploymentError) -> SpecError {
    match e {
        DeploymentError::ClassCount { expected, given } => invalid(
            format!("{section}.traders"),
            format!("{given} true distribution(s) for {expected} class(es); give one per entry of `traders`, same order"),
        ),
        DeploymentError::OutsideDesignSupport { class, .. } | DeploymentError::InvalidTruth { class, .. } => {
            invalid(format!("{section}.traders[{class}].distribution"), e)
        }
        DeploymentError::InvalidConfig(p) => invalid(format!("{section}.{}", p.name), p),
        other => invalid(section, other),
    }
}

/// Builds the true distributions of `assess`, naming the field of the first
/// invalid one.
pub(super) fn truths(a: &AssessSpec) -> Result<Vec<Arc<dyn EndowmentDistribution>>, SpecError> {
    market_of(&a.traders, "assess")
}

/// Builds one distribution per entry of `traders`; errors are named under
/// `prefix`.
fn market_of(
    traders: &[AssessTraderSpec],
    prefix: &str,
) -> Result<Vec<Arc<dyn EndowmentDistribution>>, SpecError> {
    traders
        .iter()
        .enumerate()
        .map(|(i, t)| {
            t.distribution
                .build_at(0)
                .map_err(|(part, e): (String, BuildError)| {
                    let SpecError::Invalid { field, message } = build_error(i, &part, &e) else {
                        unreachable!("build_error gives an Invalid error")
                    };
                    invalid(format!("{prefix}.{field}"), message)
                })
        })
        .collect()
}

pub(super) fn assess(design: &Design, a: &AssessSpec) -> Result<AssessmentReport, SpecError> {
    if a.traders.len() != design.fees().len() {
        return Err(deployment_error(
            "assess",
            DeploymentError::ClassCount {
                expected: design.fees().len(),
                given: a.traders.len(),
            },
        ));
    }
    let truth = truths(a)?;
    let assessment = design
        .assess(&truth)
        .map_err(|e| deployment_error("assess", e))?;
    let mut report = AssessmentReport::from(&assessment);
    if let Some(r) = &a.robust_fees {
        report.robust_fees = Some(robust(design, r, truth)?);
    }
    Ok(report)
}

/// `assess.robust_fees`: robust fees over the listed markets and the
/// `assess` truth (last).
fn robust(
    design: &Design,
    r: &RobustFeesSpec,
    truth: Vec<Arc<dyn EndowmentDistribution>>,
) -> Result<RobustFeesReport, SpecError> {
    const FIELD: &str = "assess.robust_fees";
    if r.plausible.is_empty() {
        return Err(invalid(
            format!("{FIELD}.plausible"),
            "no plausible market; list at least one (each a `traders` array like `assess`'s), or remove `robust_fees`",
        ));
    }
    check_percentiles(&r.percentiles, &format!("{FIELD}.percentiles"))?;
    let classes = design.fees().len();
    let mut markets = Vec::with_capacity(r.plausible.len() + 1);
    for (t, m) in r.plausible.iter().enumerate() {
        let section = format!("{FIELD}.plausible[{t}]");
        if m.traders.len() != classes {
            return Err(deployment_error(
                &section,
                DeploymentError::ClassCount {
                    expected: classes,
                    given: m.traders.len(),
                },
            ));
        }
        let market = market_of(&m.traders, &section)?;
        // Checked one market at a time, so an error names its market.
        design
            .assess(&market)
            .map_err(|e| deployment_error(&section, e))?;
        markets.push(market);
    }
    markets.push(truth);
    let fees = robust_fees(design, &markets).map_err(|e| deployment_error(FIELD, e))?;
    Ok(RobustFeesReport {
        fees: fees.fees().to_vec(),
        reductions: fees.reductions().to_vec(),
        revenue_cost: fees.revenue_cost(),
        revenue: values(&fees.revenue_band(&r.percentiles)),
        min_gain: fees
            .assessments()
            .iter()
            .flat_map(|a| a.classes().iter().map(|c| c.min_gain()))
            .reduce(f64::min),
        markets: fees
            .assessments()
            .iter()
            .map(AssessmentReport::from)
            .collect(),
    })
}

/// Percentile levels must lie in `[0, 100]`.
fn check_percentiles(levels: &[f64], field: &str) -> Result<(), SpecError> {
    if let Some((i, p)) = levels
        .iter()
        .enumerate()
        .find(|(_, p)| !(p.is_finite() && (0.0..=100.0).contains(*p)))
    {
        return Err(invalid(
            format!("{field}[{i}]"),
            format!("{p} is not a percentile; give a number from 0 to 100"),
        ));
    }
    Ok(())
}

pub(super) fn run_bootstrap(
    traders: &[TraderSpec],
    alpha: f64,
    b: &BootstrapSpec,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<BootstrapReport, SpecError> {
    if b.replicates == 0 {
        return Err(invalid(
            "bootstrap.replicates",
            "0 replicates; give at least 1 (1000 is usual)",
        ));
    }
    check_percentiles(&b.percentiles, "bootstrap.percentiles")?;
    let classes = traders
        .iter()
        .enumerate()
        .map(|(i, t)| match &t.distribution {
            DistributionSpec::Estimate {
                method,
                samples,
                support,
            } => Ok(SampledClass::new(
                t.kappa,
                t.count,
                samples.clone(),
                *method,
                support.map(|[lo, hi]| (lo, hi)),
            )),
            _ => Err(invalid(
                format!("traders[{i}].distribution.family"),
                "the bootstrap resamples observed endowments: give every class as family `estimate` with its samples, or remove `bootstrap`",
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let config = BootstrapConfig {
        replicates: b.replicates,
        seed: b.seed,
        percentiles: b.percentiles.clone(),
        robust_fees: b.robust_fees,
    };
    let boot = bootstrap(&classes, alpha, &config, progress)
        .map_err(|e| deployment_error("bootstrap", e))?;
    let robust_fees = boot.robust_fees().map(|r| RobustFeesReport {
        fees: r.fees().to_vec(),
        reductions: r.reductions().to_vec(),
        revenue_cost: r.revenue_cost(),
        revenue: values(&r.revenue_band(&config.percentiles)),
        min_gain: r
            .assessments()
            .iter()
            .flat_map(|a| a.classes().iter().map(|c| c.min_gain()))
            .reduce(f64::min),
        markets: Vec::new(),
    });
    Ok(BootstrapReport {
        replicates: boot.replicates(),
        seed: b.seed,
        percentiles: config.percentiles.clone(),
        failed_solves: boot.failed_solves(),
        failed_assessments: boot.failed_assessments(),
        failures: boot
            .failures()
            .iter()
            .map(|f| FailureReport {
                replicate: f.replicate,
                stage: f.stage.to_string(),
                reason: f.error.to_string(),
            })
            .collect(),
        revenue: values(boot.revenue()),
        efficiency: values(boot.efficiency()),
        classes: (0..traders.len())
            .map(|k| ClassBootstrapReport {
                tau: values(&boot.fees()[k]),
                z_a: values(&boot.binding_lo()[k]),
                z_b: values(&boot.binding_hi()[k]),
            })
            .collect(),
        assessed_revenue: values(boot.assessed_revenue()),
        assessed_efficiency: values(boot.assessed_efficiency()),
        stay_away_probability: boot.stay_away_probability(),
        robust_fees,
    })
}
