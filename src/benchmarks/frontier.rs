//! The efficiency–revenue frontier: the (A, R) points of the α-optimal
//! mechanisms for α from 0 to 1, with the first best and the double
//! auctions as reference points (the paper's frontier figure for N = 5).
//!
//! Maximising `α R + (1 − α) A` over a convex set of attainable (A, R)
//! pairs traces its upper-right boundary, so the efficiency of the
//! α-optimal mechanism falls as α rises and [`frontier_at_efficiency`]
//! can find the frontier point of a given efficiency by a scalar root in α.

use super::{BenchmarkError, PlainDoubleAuction};
use crate::market::Market;
use crate::mechanism::DirectMechanism;
use crate::mechanism::{FirstBest, OptimalMechanism, SolverConfig};
use crate::numerics::{brent, parallel, Tolerances};
use crate::numerics::{InvalidParameter, NumericalError};

/// How [`Frontier::compute`] samples the curve.
///
/// # Example
/// ```
/// use exchange_design::benchmarks::FrontierConfig;
/// let opts = FrontierConfig { max_gap: 0.005, ..FrontierConfig::default() };
/// assert_eq!(opts.initial_points, 9);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrontierConfig {
    /// Number of equally spaced weights α in `[0, 1]` to start from (≥ 2).
    pub initial_points: usize,
    /// Largest allowed distance between consecutive points, as a fraction
    /// of the diagonal of the curve's bounding box; longer gaps are split
    /// at the midpoint in α.
    pub max_gap: f64,
    /// Hard cap on the number of points.
    pub max_points: usize,
}

/// Old name of [`FrontierConfig`] (settings structs are `*Config` across the crate).
#[deprecated(note = "renamed `FrontierConfig`")]
pub type FrontierOptions = FrontierConfig;

impl Default for FrontierConfig {
    fn default() -> Self {
        Self {
            initial_points: 9,
            max_gap: 0.02,
            max_points: 400,
        }
    }
}

/// One α-optimal mechanism on the frontier.
///
/// # Example
/// ```
/// use exchange_design::benchmarks::{Frontier, FrontierConfig};
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let f = Frontier::compute(&m, &FrontierConfig::default())?;
/// let last = f.points().last().unwrap();
/// assert_eq!(last.alpha, 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FrontierPoint {
    /// The weight on revenue.
    pub alpha: f64,
    /// Expected allocative efficiency `A`.
    pub efficiency: f64,
    /// Expected revenue `R`.
    pub revenue: f64,
}

/// A benchmark mechanism's (efficiency, revenue) pair.
///
/// # Example
/// ```
/// use exchange_design::benchmarks::ReferencePoint;
/// let p = ReferencePoint { efficiency: -0.5, revenue: 0.1 };
/// assert!(p.revenue > 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ReferencePoint {
    /// Expected allocative efficiency `A`.
    pub efficiency: f64,
    /// Expected revenue `R`.
    pub revenue: f64,
}

/// The sampled frontier and its reference points.
///
/// # Example
/// ```
/// use exchange_design::benchmarks::{Frontier, FrontierConfig};
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let f = Frontier::compute(&m, &FrontierConfig::default())?;
/// // The auction with maximal fees lies strictly inside the frontier.
/// let da = f.double_auction_with_fees().unwrap();
/// assert!(f.points().iter().any(|p| p.efficiency >= da.efficiency && p.revenue > da.revenue));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Frontier {
    points: Vec<FrontierPoint>,
    work: FrontierWork,
    first_best: ReferencePoint,
    double_auction: Option<ReferencePoint>,
    double_auction_with_fees: Option<ReferencePoint>,
}

/// How much solver work a frontier took, summed over its points (the
/// [`SolveStatus`](crate::mechanism::SolveStatus) of each solve).
///
/// # Example
/// ```
/// use exchange_design::benchmarks::{Frontier, FrontierConfig};
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let f = Frontier::compute(&m, &FrontierConfig::default())?;
/// let w = f.work();
/// assert_eq!(w.solves, f.points().len());
/// assert!(w.warm_started < w.solves);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrontierWork {
    /// Solves, one per point.
    pub solves: usize,
    /// Solves warm-started from a neighbouring point.
    pub warm_started: usize,
    /// Outer iterations over all solves.
    pub outer_iterations: usize,
    /// Trial solves of budget searches over all solves.
    pub budget_iterations: usize,
}

/// Initial points per warm-started chain. Fixed, so that which solve
/// starts from which does not depend on the number of threads, and the
/// numbers are the same on every machine.
const CHAIN: usize = 4;

/// A solved point and its mechanism (the warm start of its neighbours).
type Solved = (FrontierPoint, OptimalMechanism);

fn point(
    market: &Market,
    alpha: f64,
    start: Option<&OptimalMechanism>,
) -> Result<Solved, BenchmarkError> {
    let cfg = SolverConfig::default();
    let m = match start {
        Some(s) => OptimalMechanism::solve_warm(market, alpha, &cfg, s)?,
        None => OptimalMechanism::solve_with(market, alpha, &cfg)?,
    };
    Ok((
        FrontierPoint {
            alpha,
            efficiency: m.efficiency(),
            revenue: m.revenue(),
        },
        m,
    ))
}

impl Frontier {
    /// Samples the frontier of `market`: equally spaced weights first, then
    /// midpoints wherever consecutive points are further apart than
    /// `options.max_gap` (relative to the curve's extent), until no gap is
    /// too long or `options.max_points` is reached. The double-auction
    /// reference points are `None` when the auction has no linear
    /// equilibrium (two traders).
    ///
    /// The initial weights are solved in chains of four, each solve
    /// warm-started from the previous one in its chain, and each midpoint
    /// from its left neighbour; chains and the midpoints of one round run
    /// in parallel (feature `parallel`). Which solve starts from which does
    /// not depend on the number of threads, so neither do the numbers.
    ///
    /// # Errors
    /// [`BenchmarkError::InvalidOption`] for fewer than 2 initial points or a
    /// gap that is not a positive number,
    /// [`BenchmarkError::MaxPointsBelowInitial`] for a cap below them; solver
    /// failures as [`BenchmarkError::Mechanism`].
    ///
    /// # Example
    /// ```
    /// use exchange_design::benchmarks::{Frontier, FrontierConfig};
    /// use exchange_design::distribution::Uniform;
    /// use exchange_design::market::Market;
    /// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let f = Frontier::compute(&m, &FrontierConfig::default())?;
    /// // Efficiency falls and revenue rises along the frontier.
    /// assert!(f.points().windows(2).all(|w| w[1].efficiency <= w[0].efficiency + 1e-12));
    /// assert!(f.points().windows(2).all(|w| w[1].revenue >= w[0].revenue - 1e-12));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compute(market: &Market, options: &FrontierConfig) -> Result<Self, BenchmarkError> {
        Self::compute_with_progress(market, options, &|_| {})
    }

    /// [`Frontier::compute`], calling `progress(solved)` after each solved
    /// point with the number of points solved so far (from any thread when
    /// the `parallel` feature is on). The total is not known in advance:
    /// gaps are split until they are small enough.
    ///
    /// # Errors
    /// As [`Frontier::compute`].
    ///
    /// # Example
    /// ```
    /// use exchange_design::benchmarks::{Frontier, FrontierConfig};
    /// use exchange_design::distribution::Uniform;
    /// use exchange_design::market::Market;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let last = AtomicUsize::new(0);
    /// let f = Frontier::compute_with_progress(&m, &FrontierConfig::default(), &|n| {
    ///     last.fetch_max(n, Ordering::Relaxed);
    /// })?;
    /// assert_eq!(last.load(Ordering::Relaxed), f.points().len());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compute_with_progress(
        market: &Market,
        options: &FrontierConfig,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Self, BenchmarkError> {
        let solved = std::sync::atomic::AtomicUsize::new(0);
        let point = |market: &Market, alpha: f64, start: Option<&OptimalMechanism>| {
            let p = point(market, alpha, start)?;
            progress(solved.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
            Ok::<_, BenchmarkError>(p)
        };
        if options.initial_points < 2 {
            return Err(BenchmarkError::InvalidOption(InvalidParameter::new(
                "initial_points",
                options.initial_points as f64,
                "the frontier needs at least 2",
            )));
        }
        if options.max_points < options.initial_points {
            return Err(BenchmarkError::MaxPointsBelowInitial {
                max_points: options.max_points,
                initial_points: options.initial_points,
            });
        }
        if !(options.max_gap.is_finite() && options.max_gap > 0.0) {
            return Err(BenchmarkError::InvalidOption(InvalidParameter::new(
                "max_gap",
                options.max_gap,
                "give a finite number > 0",
            )));
        }
        let n0 = options.initial_points;
        let alphas: Vec<f64> = (0..n0)
            .map(|k| {
                if k + 1 == n0 {
                    1.0
                } else {
                    k as f64 / (n0 - 1) as f64
                }
            })
            .collect();
        // Chains of CHAIN weights in parallel; along a chain each solve
        // starts from the previous one.
        let chains: Vec<&[f64]> = alphas.chunks(CHAIN).collect();
        let mut work = FrontierWork::default();
        let mut points: Vec<Solved> = Vec::with_capacity(n0);
        for chain in parallel::map_each(&chains, |chain| {
            let mut out: Vec<Solved> = Vec::with_capacity(chain.len());
            for &alpha in chain.iter() {
                let solved = point(market, alpha, out.last().map(|p| &p.1))?;
                out.push(solved);
            }
            Ok::<_, BenchmarkError>(out)
        }) {
            let chain = chain?;
            work.warm_started += chain.len() - 1;
            points.extend(chain);
        }

        loop {
            let (a_min, a_max, r_min, r_max) = points.iter().map(|p| &p.0).fold(
                (
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                ),
                |(a0, a1, r0, r1), p| {
                    (
                        a0.min(p.efficiency),
                        a1.max(p.efficiency),
                        r0.min(p.revenue),
                        r1.max(p.revenue),
                    )
                },
            );
            let diag = (a_max - a_min).hypot(r_max - r_min);
            if diag.is_nan() || diag <= 0.0 {
                break;
            }
            let limit = options.max_gap * diag;
            // Each midpoint starts from its left neighbour; the midpoints
            // of one round are independent and run in parallel.
            let room = options.max_points.saturating_sub(points.len());
            let split: Vec<(f64, &OptimalMechanism)> = points
                .windows(2)
                .filter(|w| {
                    let (p, q) = (&w[0].0, &w[1].0);
                    let d = (q.efficiency - p.efficiency).hypot(q.revenue - p.revenue);
                    d > limit && q.alpha - p.alpha > 1e-9
                })
                .map(|w| (0.5 * (w[0].0.alpha + w[1].0.alpha), &w[0].1))
                .take(room)
                .collect();
            if split.is_empty() {
                break;
            }
            let new =
                parallel::map_each(&split, |&(alpha, start)| point(market, alpha, Some(start)))
                    .into_iter()
                    .collect::<Result<Vec<_>, _>>()?;
            work.warm_started += new.len();
            points.extend(new);
            points.sort_by(|a, b| a.0.alpha.total_cmp(&b.0.alpha));
        }
        work.solves = points.len();
        for (_, m) in &points {
            work.outer_iterations += m.status().outer_iterations;
            work.budget_iterations += m.status().budget_iterations;
        }
        let points: Vec<FrontierPoint> = points.into_iter().map(|p| p.0).collect();

        let fb = FirstBest::new(market)?;
        let first_best = ReferencePoint {
            efficiency: fb.efficiency(),
            revenue: fb.revenue(),
        };
        let (double_auction, double_auction_with_fees) = match PlainDoubleAuction::new(market) {
            Ok(da) => {
                let fees = da.with_maximal_fees();
                (
                    Some(ReferencePoint {
                        efficiency: da.efficiency(),
                        revenue: da.revenue(),
                    }),
                    Some(ReferencePoint {
                        efficiency: fees.efficiency(),
                        revenue: fees.revenue(),
                    }),
                )
            }
            Err(BenchmarkError::NoLinearEquilibrium { .. }) => (None, None),
            Err(e) => return Err(e),
        };
        Ok(Self {
            points,
            work,
            first_best,
            double_auction,
            double_auction_with_fees,
        })
    }

    /// The frontier points, in increasing α.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::{Frontier, FrontierConfig}, distribution::Uniform, market::Market};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let f = Frontier::compute(&m, &FrontierConfig::default())?;
    /// assert_eq!(f.points()[0].alpha, 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn points(&self) -> &[FrontierPoint] {
        &self.points
    }

    /// The solver work the frontier took.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::{Frontier, FrontierConfig}, distribution::Uniform, market::Market};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let f = Frontier::compute(&m, &FrontierConfig::default())?;
    /// assert!(f.work().outer_iterations >= f.work().solves);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn work(&self) -> FrontierWork {
        self.work
    }

    /// The first best with maximal IR fees.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::{Frontier, FrontierConfig}, distribution::Uniform, market::Market};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let f = Frontier::compute(&m, &FrontierConfig::default())?;
    /// assert!((f.first_best().efficiency - f.points()[0].efficiency).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn first_best(&self) -> ReferencePoint {
        self.first_best
    }

    /// The double auction without fees (`None` with two traders).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::{Frontier, FrontierConfig}, distribution::Uniform, market::Market};
    /// let m = Market::symmetric(2, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// assert!(Frontier::compute(&m, &FrontierConfig::default())?.double_auction().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn double_auction(&self) -> Option<ReferencePoint> {
        self.double_auction
    }

    /// The double auction with maximal participation fees (`None` with two traders).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::{Frontier, FrontierConfig}, distribution::Uniform, market::Market};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let f = Frontier::compute(&m, &FrontierConfig::default())?;
    /// assert!(f.double_auction_with_fees().unwrap().revenue > 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn double_auction_with_fees(&self) -> Option<ReferencePoint> {
        self.double_auction_with_fees
    }
}

/// The frontier mechanism whose efficiency is `target`: the α-optimal
/// mechanism with `A(α) = target`, found by Brent's method on α. Its
/// [`revenue`](crate::mechanism::DirectMechanism::revenue) is the most any feasible mechanism
/// of that efficiency raises.
///
/// # Errors
/// [`BenchmarkError::EfficiencyOutOfRange`] when `target` is not between
/// the efficiencies at α = 1 and α = 0; solver and root failures as
/// [`BenchmarkError::Mechanism`] and [`BenchmarkError::Numerical`].
///
/// # Example
/// ```
/// # use exchange_design::prelude::*;
/// use exchange_design::benchmarks::{frontier_at_efficiency, PlainDoubleAuction};
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let da = PlainDoubleAuction::new(&m)?.with_maximal_fees();
/// let best = frontier_at_efficiency(&m, da.efficiency())?;
/// assert!((best.efficiency() - da.efficiency()).abs() < 1e-10);
/// assert!(best.revenue() > 1.5 * da.revenue());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn frontier_at_efficiency(
    market: &Market,
    target: f64,
) -> Result<OptimalMechanism, BenchmarkError> {
    if !target.is_finite() {
        return Err(BenchmarkError::InvalidOption(InvalidParameter::new(
            "target efficiency",
            target,
            "give a finite number",
        )));
    }
    let low = OptimalMechanism::solve(market, 0.0)?;
    let high = OptimalMechanism::solve(market, 1.0)?;
    let (a_max, a_min) = (low.efficiency(), high.efficiency());
    let tol = 1e-12 * 1f64.max(a_max.abs()).max(a_min.abs());
    if target > a_max + tol || target < a_min - tol {
        return Err(BenchmarkError::EfficiencyOutOfRange {
            target,
            min: a_min,
            max: a_max,
        });
    }
    if (target - a_max).abs() <= tol {
        return Ok(low);
    }
    if (target - a_min).abs() <= tol {
        return Ok(high);
    }
    let mut failure = None;
    let alpha = brent(
        |alpha| match OptimalMechanism::solve(market, alpha) {
            Ok(m) => m.efficiency() - target,
            Err(e) => {
                failure.get_or_insert(e);
                f64::NAN
            }
        },
        0.0,
        1.0,
        Tolerances::DEFAULT.root_rel,
        1.0,
    );
    if let Some(e) = failure {
        return Err(e.into());
    }
    let alpha = alpha.map_err(|source| {
        BenchmarkError::Numerical(NumericalError::Root {
            stage: "weight alpha of the frontier point",
            source,
        })
    })?;
    Ok(OptimalMechanism::solve(market, alpha)?)
}
