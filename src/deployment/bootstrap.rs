//! How uncertain is a design estimated from samples? The bootstrap.
//!
//! For classes given by observed endowments, each replicate draws, for
//! every class, as many samples with replacement as were observed,
//! re-estimates the class's distribution with the same method and support,
//! and re-solves the mechanism at the same `α`. The replicates give
//! percentile bands of what the design *reports* (revenue, efficiency,
//! each class's fee and binding interval). Each replicate's estimated
//! market is also a plausible truth: the full-sample design is
//! [assessed](super::assessment) under it, which gives a band of what the
//! deployed design would *earn*, and how often some type would stay away.
//! Optionally, the [robust fees](mod@super::robust_fees) over all replicates.
//!
//! **Reproducible.** Replicate `b` draws from its own generator, seeded by
//! mixing the user's seed with `b`; replicates are computed in parallel
//! with the `parallel` feature and serially without it, and every result is
//! collected in replicate order, so the numbers do not depend on the
//! feature or the number of threads.
//!
//! **Failures are counted.** A replicate whose estimation, solve or
//! assessment fails is listed in [`Bootstrap::failures`] with the reason;
//! the bands are computed from the others and say how many values they
//! hold.

use super::percentiles::Band;
use super::robust_fees::{robust_fees_from, RobustFees};
use super::{Assessment, DeploymentError, Design};
use crate::distribution::EndowmentDistribution;
use crate::estimation::{estimate, Method};
use crate::market::{Market, TraderClass};
use crate::mechanism::DirectMechanism;
use crate::mechanism::OptimalMechanism;
use crate::numerics::{parallel, InvalidParameter};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A class of traders whose endowment distribution is estimated from
/// observed endowments.
///
/// # Example
/// ```
/// use exchange_design::deployment::SampledClass;
/// use exchange_design::estimation::Method;
/// let c = SampledClass::new(0.5, 3, vec![0.1, -0.2, 0.4], Method::Kde, Some((-1.0, 1.0)));
/// assert_eq!(c.samples.len(), 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SampledClass {
    /// Risk capacity `κ` of a trader of the class.
    pub kappa: f64,
    /// Number of traders in the class.
    pub count: u64,
    /// Observed endowments.
    pub samples: Vec<f64>,
    /// The estimator.
    pub method: Method,
    /// The support, when known (required by the parametric methods).
    pub support: Option<(f64, f64)>,
}

impl SampledClass {
    /// A class from its parts.
    ///
    /// # Example
    /// See [`SampledClass`].
    pub fn new(
        kappa: f64,
        count: u64,
        samples: Vec<f64>,
        method: Method,
        support: Option<(f64, f64)>,
    ) -> Self {
        Self {
            kappa,
            count,
            samples,
            method,
            support,
        }
    }

    fn estimate_from(
        &self,
        class: usize,
        samples: &[f64],
    ) -> Result<Arc<dyn EndowmentDistribution>, DeploymentError> {
        estimate(self.method, samples, self.support)
            .map_err(|source| DeploymentError::Estimation { class, source })
    }
}

/// Settings of a bootstrap.
///
/// # Example
/// ```
/// use exchange_design::deployment::BootstrapConfig;
/// let c = BootstrapConfig::default();
/// assert_eq!((c.replicates, c.percentiles.clone()), (1000, vec![5.0, 50.0, 95.0]));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapConfig {
    /// Number of replicates `B ≥ 1`.
    pub replicates: usize,
    /// Seed of the resampling.
    pub seed: u64,
    /// Percentile levels of the bands, each in `[0, 100]`.
    pub percentiles: Vec<f64>,
    /// Whether to compute robust fees over the replicates' markets.
    pub robust_fees: bool,
}

impl Default for BootstrapConfig {
    fn default() -> Self {
        Self {
            replicates: 1000,
            seed: 0,
            percentiles: vec![5.0, 50.0, 95.0],
            robust_fees: false,
        }
    }
}

/// Why one replicate was left out of the bands.
///
/// # Example
/// See [`Bootstrap::failures`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicateFailure {
    /// Index of the replicate.
    pub replicate: usize,
    /// `"estimate"`, `"solve"` or `"assess"`.
    pub stage: &'static str,
    /// What failed.
    pub error: DeploymentError,
}

/// What one replicate's re-solved design reports.
#[derive(Debug, Clone)]
struct Designed {
    revenue: f64,
    efficiency: f64,
    fees: Vec<f64>,
    binding: Vec<(f64, f64)>,
}

/// One replicate's results.
struct Replicate {
    designed: Option<Designed>,
    assessed: Option<Assessment>,
    failures: Vec<ReplicateFailure>,
}

/// The bootstrap's results.
///
/// # Example
/// See [`bootstrap`].
#[derive(Debug, Clone)]
pub struct Bootstrap {
    design: Design,
    replicates: usize,
    failures: Vec<ReplicateFailure>,
    revenue: Band,
    efficiency: Band,
    fees: Vec<Band>,
    binding_lo: Vec<Band>,
    binding_hi: Vec<Band>,
    assessed_revenue: Band,
    assessed_efficiency: Band,
    assessed_revenues: Vec<f64>,
    stay_away: f64,
    robust: Option<RobustFees>,
}

impl Bootstrap {
    /// The full-sample design.
    ///
    /// # Example
    /// See [`bootstrap`].
    pub fn design(&self) -> &Design {
        &self.design
    }

    /// The number of replicates asked for.
    ///
    /// # Example
    /// See [`bootstrap`].
    pub fn replicates(&self) -> usize {
        self.replicates
    }

    /// The replicates that failed, with the stage and the reason, in
    /// replicate order. A replicate whose solve failed is not assessed
    /// either way; one whose estimation failed appears once.
    ///
    /// # Example
    /// See [`bootstrap`].
    pub fn failures(&self) -> &[ReplicateFailure] {
        &self.failures
    }

    /// Number of replicates whose estimation or solve failed.
    ///
    /// # Example
    /// See [`bootstrap`].
    pub fn failed_solves(&self) -> usize {
        self.failures.iter().filter(|f| f.stage != "assess").count()
    }

    /// Number of replicates under which the full-sample design could not
    /// be assessed (for example a replicate's estimated support reaching
    /// beyond the design's).
    ///
    /// # Example
    /// See [`bootstrap`].
    pub fn failed_assessments(&self) -> usize {
        self.failures
            .iter()
            .filter(|f| f.stage == "assess" || f.stage == "estimate")
            .count()
    }

    /// Band of the re-solved designs' reported revenue.
    ///
    /// # Example
    /// See [`bootstrap`].
    pub fn revenue(&self) -> &Band {
        &self.revenue
    }

    /// Band of the re-solved designs' reported efficiency.
    ///
    /// # Example
    /// See [`bootstrap`].
    pub fn efficiency(&self) -> &Band {
        &self.efficiency
    }

    /// Per class, the band of the re-solved participation fee `τ_i`.
    ///
    /// # Example
    /// See [`bootstrap`].
    pub fn fees(&self) -> &[Band] {
        &self.fees
    }

    /// Per class, the band of the lower end `Z_ia` of the binding interval.
    ///
    /// # Example
    /// See [`bootstrap`].
    pub fn binding_lo(&self) -> &[Band] {
        &self.binding_lo
    }

    /// Per class, the band of the upper end `Z_ib` of the binding interval.
    ///
    /// # Example
    /// See [`bootstrap`].
    pub fn binding_hi(&self) -> &[Band] {
        &self.binding_hi
    }

    /// Band of the full-sample design's revenue assessed under each
    /// replicate's market.
    ///
    /// # Example
    /// See [`bootstrap`].
    pub fn assessed_revenue(&self) -> &Band {
        &self.assessed_revenue
    }

    /// The full-sample design's revenue under each assessed replicate, in
    /// replicate order (for plots).
    ///
    /// # Example
    /// See [`bootstrap`].
    pub fn assessed_revenues(&self) -> &[f64] {
        &self.assessed_revenues
    }

    /// Band of the full-sample design's efficiency under each replicate.
    ///
    /// # Example
    /// See [`bootstrap`].
    pub fn assessed_efficiency(&self) -> &Band {
        &self.assessed_efficiency
    }

    /// Share of the assessed replicates under which some type of some
    /// class would stay away.
    ///
    /// # Example
    /// See [`bootstrap`].
    pub fn stay_away_probability(&self) -> f64 {
        self.stay_away
    }

    /// The robust fees over the replicates' markets, when asked for.
    ///
    /// # Example
    /// See [`bootstrap`].
    pub fn robust_fees(&self) -> Option<&RobustFees> {
        self.robust.as_ref()
    }
}

/// A replicate's seed: the user's seed and the replicate index mixed by
/// SplitMix64, so that neighbouring replicates draw unrelated streams.
fn replicate_seed(seed: u64, replicate: usize) -> u64 {
    let mut z = seed ^ (replicate as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn market_of(
    classes: &[SampledClass],
    dists: &[Arc<dyn EndowmentDistribution>],
) -> Result<Market, DeploymentError> {
    Ok(Market::new(
        classes
            .iter()
            .zip(dists)
            .map(|(c, d)| TraderClass::from_shared(c.kappa, Arc::clone(d), c.count))
            .collect(),
    )?)
}

fn designed_numbers(design: &Design) -> Designed {
    let mech = design.mechanism();
    Designed {
        revenue: mech.revenue(),
        efficiency: mech.efficiency(),
        fees: design.fees(),
        binding: mech
            .classes()
            .iter()
            .map(|c| c.virtual_value().binding_interval())
            .collect(),
    }
}

/// Resamples, re-estimates and re-solves `config.replicates` times, and
/// assesses the full-sample design under every replicate. `progress(done,
/// total)` is called once per finished replicate (from worker threads
/// with the `parallel` feature, so possibly out of order; `done` counts).
///
/// # Errors
/// [`DeploymentError::InvalidConfig`] for `replicates = 0` or a percentile
/// outside `[0, 100]`; the estimation or solve of the *full* sample failing
/// (replicates that fail are counted, not errors).
///
/// # Example
/// ```
/// # use exchange_design::prelude::*;
/// use exchange_design::deployment::{bootstrap, BootstrapConfig, SampledClass};
/// use exchange_design::estimation::Method;
/// let draw = |shift: f64| -> Vec<f64> {
///     (0..200).map(|k| ((k as f64 * 0.618_034).fract() * 1.6 - 0.8 + shift).clamp(-1.0, 1.0)).collect()
/// };
/// let classes = vec![
///     SampledClass::new(0.5, 2, draw(0.0), Method::TruncatedNormal, Some((-1.0, 1.0))),
///     SampledClass::new(1.0, 2, draw(0.1), Method::TruncatedNormal, Some((-1.0, 1.0))),
/// ];
/// let config = BootstrapConfig { replicates: 20, seed: 7, robust_fees: true, ..Default::default() };
/// let b = bootstrap(&classes, 0.5, &config, &|_, _| {})?;
/// assert_eq!(b.revenue().samples() + b.failed_solves(), 20);
/// let r = b.revenue().values();
/// assert!(r[0] <= r[1] && r[1] <= r[2]);
/// let again = bootstrap(&classes, 0.5, &config, &|_, _| {})?;
/// assert_eq!(again.revenue(), b.revenue()); // seeded
/// let robust = b.robust_fees().unwrap();
/// assert!(robust.fees()[0] <= b.design().fees()[0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn bootstrap(
    classes: &[SampledClass],
    alpha: f64,
    config: &BootstrapConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Bootstrap, DeploymentError> {
    if config.replicates == 0 {
        return Err(DeploymentError::InvalidConfig(InvalidParameter::new(
            "replicates",
            0.0,
            "give at least 1 replicate (1000 is usual)",
        )));
    }
    if let Some(p) = config
        .percentiles
        .iter()
        .find(|p| !(p.is_finite() && (0.0..=100.0).contains(*p)))
    {
        return Err(DeploymentError::InvalidConfig(InvalidParameter::new(
            "percentiles",
            *p,
            "give percentile levels in [0, 100]",
        )));
    }
    let full: Vec<Arc<dyn EndowmentDistribution>> = classes
        .iter()
        .enumerate()
        .map(|(k, c)| c.estimate_from(k, &c.samples))
        .collect::<Result<_, _>>()?;
    let design = Design::new(OptimalMechanism::solve(&market_of(classes, &full)?, alpha)?)?;
    let total = config.replicates;
    let done = AtomicUsize::new(0);
    let indices: Vec<usize> = (0..total).collect();
    let results: Vec<Replicate> = parallel::map_each(&indices, |&b| {
        let r = replicate(classes, alpha, &design, config.seed, b);
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
        r
    });
    let levels = &config.percentiles;
    let designed: Vec<&Designed> = results.iter().filter_map(|r| r.designed.as_ref()).collect();
    let per_class = |f: &dyn Fn(&Designed, usize) -> f64| -> Vec<Band> {
        (0..classes.len())
            .map(|k| {
                let v: Vec<f64> = designed.iter().map(|d| f(d, k)).collect();
                Band::of(&v, levels)
            })
            .collect()
    };
    let revenue = Band::of(
        &designed.iter().map(|d| d.revenue).collect::<Vec<_>>(),
        levels,
    );
    let efficiency = Band::of(
        &designed.iter().map(|d| d.efficiency).collect::<Vec<_>>(),
        levels,
    );
    let fees = per_class(&|d, k| d.fees[k]);
    let binding_lo = per_class(&|d, k| d.binding[k].0);
    let binding_hi = per_class(&|d, k| d.binding[k].1);
    let assessed: Vec<&Assessment> = results.iter().filter_map(|r| r.assessed.as_ref()).collect();
    let assessed_revenues: Vec<f64> = assessed.iter().map(|a| a.revenue()).collect();
    let assessed_revenue = Band::of(&assessed_revenues, levels);
    let assessed_efficiency = Band::of(
        &assessed.iter().map(|a| a.efficiency()).collect::<Vec<_>>(),
        levels,
    );
    let stay_away = if assessed.is_empty() {
        0.0
    } else {
        assessed.iter().filter(|a| a.someone_stays_away()).count() as f64 / assessed.len() as f64
    };
    let robust = if config.robust_fees {
        let before: Vec<Assessment> = results.iter().filter_map(|r| r.assessed.clone()).collect();
        Some(robust_fees_from(&design, &before)?)
    } else {
        None
    };
    let failures = results.into_iter().flat_map(|r| r.failures).collect();
    Ok(Bootstrap {
        design,
        replicates: total,
        failures,
        revenue,
        efficiency,
        fees,
        binding_lo,
        binding_hi,
        assessed_revenue,
        assessed_efficiency,
        assessed_revenues,
        stay_away,
        robust,
    })
}

/// Replicate `b`: resample, re-estimate, re-solve, assess.
fn replicate(
    classes: &[SampledClass],
    alpha: f64,
    design: &Design,
    seed: u64,
    b: usize,
) -> Replicate {
    let mut rng = StdRng::seed_from_u64(replicate_seed(seed, b));
    let fail = |stage, e: DeploymentError| ReplicateFailure {
        replicate: b,
        stage,
        error: e,
    };
    let mut out = Replicate {
        designed: None,
        assessed: None,
        failures: Vec::new(),
    };
    let mut dists = Vec::with_capacity(classes.len());
    for (k, c) in classes.iter().enumerate() {
        let n = c.samples.len();
        let resample: Vec<f64> = (0..n).map(|_| c.samples[rng.random_range(0..n)]).collect();
        match c.estimate_from(k, &resample) {
            Ok(d) => dists.push(d),
            Err(e) => {
                out.failures.push(fail("estimate", e));
                return out;
            }
        }
    }
    let solved = market_of(classes, &dists)
        .and_then(|m| Ok(OptimalMechanism::solve(&m, alpha)?))
        .and_then(Design::new);
    match solved {
        Ok(d) => out.designed = Some(designed_numbers(&d)),
        Err(e) => out.failures.push(fail("solve", e)),
    }
    match design.assess(&dists) {
        Ok(a) => out.assessed = Some(a),
        Err(e) => out.failures.push(fail("assess", e)),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicate_seeds_differ() {
        let mut seen: Vec<u64> = (0..10_000).map(|b| replicate_seed(42, b)).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 10_000);
        assert_ne!(replicate_seed(1, 0), replicate_seed(2, 0));
    }
}
