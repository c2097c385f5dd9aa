//! Seeded Monte Carlo simulation of the double auction under the
//! equilibrium schedules of Theorem 2.
//!
//! Each auction draws every trader's type independently as `F⁻¹(U)` with
//! `U` uniform on `[0, 1)` from a [`StdRng`] seeded by the configuration,
//! runs [`DoubleAuction::run_equilibrium`], and records the exchange's
//! revenue, each class's average utility gain (utility minus the no-trade
//! utility `−z²/(2κ)`) and whether trade was essentially nil (every `|q_i|`
//! below a tolerance). The report gives means with standard errors
//! `s/√n`, so that estimates can be compared with the quadrature values of
//! [`SidePayments`].

use super::auction::DoubleAuction;
use super::side_payment::SidePayments;
use super::ImplementationError;
use crate::numerics::{InvalidParameter, NumericalError};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Settings of a Monte Carlo run.
///
/// # Example
/// ```
/// use exchange_design::implementation::SimulationConfig;
/// let cfg = SimulationConfig { auctions: 1000, ..SimulationConfig::default() };
/// assert_eq!(cfg.seed, SimulationConfig::default().seed);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimulationConfig {
    /// Number of independent auctions (at least 2, for a standard error).
    pub auctions: u64,
    /// Seed of the random number generator; equal seeds give equal reports.
    pub seed: u64,
    /// An auction counts as "no trade" when every `|q_i|` is at most this.
    pub no_trade_tolerance: f64,
}

impl Default for SimulationConfig {
    fn default() -> Self {
        Self {
            auctions: 10_000,
            seed: 0x5eed,
            no_trade_tolerance: 1e-12,
        }
    }
}

/// A Monte Carlo mean with its standard error.
///
/// # Example
/// ```
/// use exchange_design::implementation::Estimate;
/// let e = Estimate { mean: 1.0, std_error: 0.1 };
/// assert!(e.covers(1.3, 4.0) && !e.covers(1.5, 4.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Sample mean.
    pub mean: f64,
    /// Standard error of the mean, `s/√n`.
    pub std_error: f64,
}

impl Estimate {
    /// Whether `value` lies within `k` standard errors of the mean.
    ///
    /// # Example
    /// ```
    /// use exchange_design::implementation::Estimate;
    /// assert!(Estimate { mean: 0.0, std_error: 1.0 }.covers(-2.0, 2.0));
    /// ```
    pub fn covers(&self, value: f64, k: f64) -> bool {
        (self.mean - value).abs() <= k * self.std_error
    }
}

/// Welford's running mean and variance.
#[derive(Debug, Clone, Copy, Default)]
struct Running {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Running {
    fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    fn estimate(&self) -> Estimate {
        let n = self.n as f64;
        let var = if self.n > 1 { self.m2 / (n - 1.0) } else { 0.0 };
        Estimate {
            mean: self.mean,
            std_error: (var.max(0.0) / n).sqrt(),
        }
    }
}

/// The result of a Monte Carlo run.
///
/// # Example
/// ```
/// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{SidePayments, Simulation, SimulationConfig}};
/// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 1.0)?)?;
/// let cfg = SimulationConfig { auctions: 2000, ..Default::default() };
/// let report = Simulation::new(&rules, cfg)?.run()?;
/// assert_eq!(report.auctions, 2000);
/// assert!(report.no_trade.covers(0.125, 4.0)); // 1/2³ in Example 1 at α = 1
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SimulationReport {
    /// Number of auctions run.
    pub auctions: u64,
    /// The exchange's revenue per auction, `Σ_i (p q_i + S_i)`.
    pub revenue: Estimate,
    /// Per class, the average utility gain of its traders per auction.
    pub class_gain: Vec<Estimate>,
    /// Frequency of auctions with essentially no trade.
    pub no_trade: Estimate,
}

/// A seeded Monte Carlo simulator of the auction under equilibrium play.
///
/// # Example
/// ```
/// # use exchange_design::prelude::*;
/// use exchange_design::distribution::Uniform;
/// use exchange_design::implementation::{SidePayments, Simulation, SimulationConfig};
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::OptimalMechanism;
/// let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let mech = OptimalMechanism::solve(&m, 0.5)?;
/// let rules = SidePayments::new(&mech)?;
/// let sim = Simulation::new(&rules, SimulationConfig { auctions: 4000, seed: 7, ..Default::default() })?;
/// let mut calls = 0;
/// let report = sim.run_with_progress(|done, total| { calls += 1; assert!(done <= total); })?;
/// assert!(calls > 0);
/// assert!(report.revenue.covers(mech.revenue(), 5.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Simulation<'a> {
    auction: DoubleAuction<'a>,
    config: SimulationConfig,
}

impl<'a> Simulation<'a> {
    /// A simulator of the auction with the side payments `rules`.
    ///
    /// # Errors
    /// [`ImplementationError::InvalidConfig`] for fewer than 2 auctions or a
    /// negative or non-finite no-trade tolerance.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{SidePayments, Simulation, SimulationConfig}};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 1.0).unwrap()).unwrap();
    /// let bad = SimulationConfig { auctions: 1, ..Default::default() };
    /// assert!(Simulation::new(&rules, bad).is_err());
    /// ```
    pub fn new(
        rules: &'a SidePayments,
        config: SimulationConfig,
    ) -> Result<Self, ImplementationError> {
        if config.auctions < 2 {
            return Err(ImplementationError::InvalidConfig(InvalidParameter::new(
                "auctions",
                config.auctions as f64,
                "run at least 2 auctions so that a standard error exists",
            )));
        }
        if !(config.no_trade_tolerance.is_finite() && config.no_trade_tolerance >= 0.0) {
            return Err(ImplementationError::InvalidConfig(InvalidParameter::new(
                "no_trade_tolerance",
                config.no_trade_tolerance,
                "give a finite number ≥ 0",
            )));
        }
        Ok(Self {
            auction: DoubleAuction::new(rules),
            config,
        })
    }

    /// The configuration.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{SidePayments, Simulation, SimulationConfig}};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 1.0).unwrap()).unwrap();
    /// let sim = Simulation::new(&rules, SimulationConfig::default()).unwrap();
    /// assert_eq!(sim.config().auctions, 10_000);
    /// ```
    pub fn config(&self) -> &SimulationConfig {
        &self.config
    }

    /// Runs the simulation without progress reports.
    ///
    /// # Errors
    /// A failure of an auction (a non-finite payment).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{SidePayments, Simulation, SimulationConfig}};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.0)?)?;
    /// let cfg = SimulationConfig { auctions: 500, ..Default::default() };
    /// let a = Simulation::new(&rules, cfg)?.run()?;
    /// let b = Simulation::new(&rules, cfg)?.run()?;
    /// assert_eq!(a, b); // seeded
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run(&self) -> Result<SimulationReport, ImplementationError> {
        self.run_with_progress(|_, _| {})
    }

    /// Runs the simulation, calling `progress(done, total)` about a thousand
    /// times in all (and once at the end).
    ///
    /// # Errors
    /// A failure of an auction (a non-finite payment).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{SidePayments, Simulation, SimulationConfig}};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.0)?)?;
    /// let mut last = (0, 0);
    /// Simulation::new(&rules, SimulationConfig { auctions: 100, ..Default::default() })?
    ///     .run_with_progress(|d, t| last = (d, t))?;
    /// assert_eq!(last, (100, 100));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_with_progress<F: FnMut(u64, u64)>(
        &self,
        mut progress: F,
    ) -> Result<SimulationReport, ImplementationError> {
        let rules = self.auction.rules();
        let total = self.config.auctions;
        let every = (total / 1000).max(1);
        let mut rng = StdRng::seed_from_u64(self.config.seed);
        let n = rules.n_traders() as usize;
        let ranges: Vec<(usize, usize, usize)> = rules.class_ranges().collect();
        let mut types = vec![0.0; n];
        let mut revenue = Running::default();
        let mut no_trade = Running::default();
        let mut gains = vec![Running::default(); ranges.len()];
        for done in 1..=total {
            for &(k, start, end) in &ranges {
                let d = rules.classes()[k].virtual_value().distribution();
                for z in &mut types[start..end] {
                    let u: f64 = rng.random();
                    *z = d.quantile(u);
                }
            }
            let out = self.auction.run_equilibrium(&types)?;
            let r = out.revenue();
            if !r.is_finite() {
                return Err(ImplementationError::Numerical(NumericalError::NonFinite {
                    what: "revenue",
                }));
            }
            revenue.push(r);
            let tol = self.config.no_trade_tolerance;
            let nil = out.quantities().iter().all(|q| q.abs() <= tol);
            no_trade.push(if nil { 1.0 } else { 0.0 });
            for &(k, start, end) in &ranges {
                let two_kappa = 2.0 * rules.classes()[k].kappa();
                let sum: f64 = (start..end)
                    .map(|i| out.utilities()[i] + types[i] * types[i] / two_kappa)
                    .sum();
                gains[k].push(sum / (end - start) as f64);
            }
            if done % every == 0 || done == total {
                progress(done, total);
            }
        }
        Ok(SimulationReport {
            auctions: total,
            revenue: revenue.estimate(),
            class_gain: gains.iter().map(Running::estimate).collect(),
            no_trade: no_trade.estimate(),
        })
    }
}
