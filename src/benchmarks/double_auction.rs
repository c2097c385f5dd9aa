//! The double auction without side payments: the linear equilibrium in
//! demand schedules for heterogeneous risk capacities, and the same auction
//! with maximal participation fees.
//!
//! Trader `i` submits `q_i(p) = −b_i (Z_i/κ_i + p)`. Facing the others'
//! schedules, its residual supply has slope `B_{−i} = Σ_{j≠i} b_j`, so its
//! price impact is `1/B_{−i}` and its best response is linear with
//! `b_i = 1/(1/κ_i + 1/B_{−i})`, optimal at every realisation of the
//! others' endowments (an ex-post equilibrium). Solving for `b_i` given the
//! aggregate `B = Σ_j b_j` gives the smaller root of
//! `b² − (B + 2κ_i) b + κ_i B = 0`,
//!
//! `b_i(B) = 2κ_i B / (B + 2κ_i + √(B² + 4κ_i²))`,
//!
//! so the equilibrium is one scalar equation `Σ_j b_j(B)/B = 1` whose
//! left side falls from `N/2` (at `B → 0`) to below 1 (at `B = K`): a unique
//! positive root for `N ≥ 3` and none for `N = 2`.
//!
//! The clearing price is `p = −Σ_j (b_j/κ_j) Z_j / B`, so every allocation
//! is linear in the independent endowments and every expectation has a
//! closed form in the means and variances. Writing `a_j = b_j/κ_j`,
//!
//! `X_i = −s_i Z_i + (b_i/B) Σ_{j≠i} a_j Z_j`,  `s_i = a_i (1 − b_i/B)`,
//!
//! and from the first-order condition `p = −X_i/b_i − Z_i/κ_i` the payment
//! is `p X_i = −X_i²/b_i − Z_i X_i/κ_i`, so the utility gain of type `z` is
//! the convex quadratic
//!
//! `G_i(z) = (1/(2κ_i) + 1/B_{−i}) E[X_i² | z]
//!         = (1/(2κ_i) + 1/B_{−i}) ((c_i − s_i z)² + v_i)`,
//!
//! with `c_i = (b_i/B) Σ_{j≠i} a_j E Z_j` and `v_i = (b_i/B)² Σ_{j≠i} a_j² Var Z_j`.
//! Its minimum over the support (at `z = c_i/s_i` clamped) is the largest
//! participation fee every type of trader `i` accepts.

use super::BenchmarkError;
use crate::market::Market;
use crate::mechanism::{DirectMechanism, MechanismError, QueryError};
use crate::numerics::NumericalError;
use crate::numerics::{brent, parallel, RootError, Tolerances};

/// The equilibrium quantities of one class of identical traders in the
/// double auction.
///
/// # Example
/// ```
/// use exchange_design::benchmarks::PlainDoubleAuction;
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// let da = PlainDoubleAuction::new(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
/// let c = da.class(0);
/// // Symmetric traders: b = κ (N − 2)/(N − 1).
/// assert!((c.schedule_slope() - 0.5 * 3.0 / 4.0).abs() < 1e-13);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AuctionClass {
    kappa: f64,
    count: u64,
    b: f64,
    others_b: f64,
    s: f64,
    c: f64,
    v: f64,
    gain_coef: f64,
    holding_cost: f64,
    worst_type: f64,
    min_gain: f64,
}

impl AuctionClass {
    /// Risk capacity `κ_i`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert_eq!(da.class(0).kappa(), 0.5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kappa(&self) -> f64 {
        self.kappa
    }

    /// Number of traders in the class.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert_eq!(da.class(0).count(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The slope `b_i` of the demand schedule `q_i(p) = −b_i (Z_i/κ_i + p)`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 1.0, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!((da.class(0).schedule_slope() - 0.5).abs() < 1e-13);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn schedule_slope(&self) -> f64 {
        self.b
    }

    /// `B_{−i} = Σ_{j≠i} b_j`, the slope of the residual supply the trader faces.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 1.0, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!((da.class(0).others_slope() - 1.0).abs() < 1e-13);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn others_slope(&self) -> f64 {
        self.others_b
    }

    /// Price impact `dp/dq_i = 1/B_{−i}`: how much the clearing price moves
    /// per unit the trader buys.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 1.0, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!((da.class(0).price_impact() - 1.0).abs() < 1e-13);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn price_impact(&self) -> f64 {
        1.0 / self.others_b
    }

    /// `s_i`, minus the slope of the interim allocation `x̄_i(z) = c_i − s_i z`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// // (N − 2)/(N − 1) · (1 − 1/N) for symmetric traders.
    /// assert!((da.class(0).allocation_slope() - 0.75 * 0.8).abs() < 1e-13);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allocation_slope(&self) -> f64 {
        self.s
    }

    /// `c_i`, the intercept of the interim allocation `x̄_i(z) = c_i − s_i z`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!(da.class(0).allocation_intercept().abs() < 1e-15);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allocation_intercept(&self) -> f64 {
        self.c
    }

    /// `v_i = Var[X_i | Z_i]`, the variance the trader absorbs from the others.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!(da.class(0).conditional_variance() > 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn conditional_variance(&self) -> f64 {
        self.v
    }

    /// `1/(2κ_i) + 1/B_{−i}`: the utility gain of type `z` is this times
    /// `E[X_i² | z]`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 1.0, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!((da.class(0).gain_coefficient() - 1.5).abs() < 1e-13);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn gain_coefficient(&self) -> f64 {
        self.gain_coef
    }

    /// Expected holding cost `E[(Z_i + X_i)²]/(2κ_i)` of one trader.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!((5.0 * da.class(0).holding_cost() + da.efficiency()).abs() < 1e-13);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn holding_cost(&self) -> f64 {
        self.holding_cost
    }

    /// The type with the smallest utility gain (`c_i/s_i` clamped to the support).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!(da.class(0).worst_type().abs() < 1e-15);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn worst_type(&self) -> f64 {
        self.worst_type
    }

    /// The largest participation fee every type accepts: `min_z G_i(z)`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// // (N − 2)/(3 N (N − 1)) in Example 1.
    /// assert!((da.class(0).maximal_fee() - 3.0 / 60.0).abs() < 1e-13);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn maximal_fee(&self) -> f64 {
        self.min_gain
    }

    fn gain(&self, z: f64) -> f64 {
        let x = self.c - self.s * z;
        self.gain_coef * (x * x + self.v)
    }
}

/// The linear equilibrium of the plain double auction: the paper's
/// benchmark, without side payments (and without fees; see
/// [`PlainDoubleAuctionWithFees`]).
///
/// Not to be confused with [`crate::implementation::DoubleAuction`], the
/// clearing engine that runs Theorem 2's auction *with* the optimal
/// mechanism's side payments. (Until this release this type was also called
/// `DoubleAuction`.)
///
/// # Example
/// ```
/// # use exchange_design::prelude::*;
/// use exchange_design::benchmarks::PlainDoubleAuction;
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::{Market, TraderClass};
/// let m = Market::new(vec![
///     TraderClass::new(0.5, Uniform::new(-1.0, 1.0)?, 3),
///     TraderClass::new(2.0, Uniform::new(0.0, 1.0)?, 1),
/// ])?;
/// let da = PlainDoubleAuction::new(&m)?;
/// let x = da.allocation(&[0.3, -0.2, 0.9, 0.5])?;
/// assert!(x.iter().sum::<f64>().abs() < 1e-12);
/// // The auction itself raises no revenue.
/// assert_eq!(da.revenue(), 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PlainDoubleAuction {
    market: Market,
    classes: Vec<AuctionClass>,
    total_b: f64,
    efficiency: f64,
}

/// `b(B) = 2κB/(B + 2κ + √(B² + 4κ²))`, the best-response slope given the
/// aggregate `B`, and `b(B)/B` (finite at `B = 0`).
fn slope_ratio(kappa: f64, big_b: f64) -> f64 {
    2.0 * kappa / (big_b + 2.0 * kappa + big_b.hypot(2.0 * kappa))
}

impl PlainDoubleAuction {
    /// Solves for the linear equilibrium of the double auction in `market`.
    ///
    /// # Errors
    /// [`BenchmarkError::NoLinearEquilibrium`] with fewer than 3 traders;
    /// [`BenchmarkError::Numerical`] or [`BenchmarkError::Numerical`] on numerical failure.
    ///
    /// # Example
    /// ```
    /// use exchange_design::benchmarks::PlainDoubleAuction;
    /// use exchange_design::distribution::Uniform;
    /// use exchange_design::market::Market;
    /// let da = PlainDoubleAuction::new(&Market::symmetric(4, 1.0, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!((da.class(0).schedule_slope() - 2.0 / 3.0).abs() < 1e-13);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(market: &Market) -> Result<Self, BenchmarkError> {
        let n = market.n_traders();
        if n < 3 {
            return Err(BenchmarkError::NoLinearEquilibrium { n_traders: n });
        }
        let k_total = market.total_kappa();
        // A sum over every class at every trial of the root: in parallel
        // (a million classes take ~40 ms a trial serially).
        let excess = |big_b: f64| -> f64 {
            parallel::sum(market.classes(), |c| {
                c.count() as f64 * slope_ratio(c.kappa(), big_b)
            }) - 1.0
        };
        // excess(0) = N/2 − 1 > 0, excess(K) < 0 since every b_j < κ_j.
        // Tighter: κ/(B + 2κ) < b/B < κ/(B + κ) for B > 0, so the root B*
        // satisfies 1 < K/B* and 1 > K/(B* + 2 κ_max), i.e.
        // B* ∈ (K − 2 κ_max, K). With many traders that bracket is narrow and
        // the excess nearly linear on it; on [0, K] the excess falls like
        // 1/B and Brent spent some 70 trials (each a sum over every class).
        let k_max = market
            .classes()
            .iter()
            .map(|c| c.kappa())
            .fold(0.0, f64::max);
        let solve = |lower: f64| {
            brent(
                excess,
                lower,
                k_total,
                Tolerances::DEFAULT.root_rel,
                k_total,
            )
        };
        let lower = k_total - 2.0 * k_max;
        let total_b = match solve(lower.max(0.0)) {
            // Rounding can put the bound's excess on the wrong side.
            Err(RootError::NoBracket { .. }) if lower > 0.0 => solve(0.0),
            r => r,
        }
        .map_err(|source| {
            BenchmarkError::Numerical(NumericalError::Root {
                stage: "aggregate slope of the double auction",
                source,
            })
        })?;
        if !(total_b.is_finite() && total_b > 0.0) {
            return Err(BenchmarkError::Numerical(NumericalError::NonFinite {
                what: "aggregate demand slope",
            }));
        }

        // Sums over all traders of a_j E Z_j and a_j² Var Z_j.
        let per_class: Vec<(f64, f64, f64, f64)> = parallel::map(market.classes(), |c| {
            let b = total_b * slope_ratio(c.kappa(), total_b);
            let a = b / c.kappa();
            let d = c.distribution();
            (b, a, d.mean(), d.variance())
        });
        let sum_mean: f64 = market
            .classes()
            .iter()
            .zip(&per_class)
            .map(|(c, &(_, a, mu, _))| c.count() as f64 * a * mu)
            .sum();
        let sum_var: f64 = market
            .classes()
            .iter()
            .zip(&per_class)
            .map(|(c, &(_, a, _, var))| c.count() as f64 * a * a * var)
            .sum();

        let mut classes = Vec::with_capacity(per_class.len());
        let mut efficiency = 0.0;
        for (c, &(b, a, mu, var)) in market.classes().iter().zip(&per_class) {
            let kappa = c.kappa();
            let share = b / total_b;
            let others_b = total_b - b;
            let s = a * (1.0 - share);
            let cc = share * (sum_mean - a * mu);
            let v = share * share * (sum_var - a * a * var).max(0.0);
            let gain_coef = 1.0 / (2.0 * kappa) + 1.0 / others_b;
            // Z + X = (1 − s) Z + (b/B) Σ_{j≠i} a_j Z_j.
            let m = (1.0 - s) * mu + cc;
            let holding_cost = (m * m + (1.0 - s) * (1.0 - s) * var + v) / (2.0 * kappa);
            let (lo, hi) = c.distribution().support();
            let worst_type = (cc / s).clamp(lo, hi);
            let mut class = AuctionClass {
                kappa,
                count: c.count(),
                b,
                others_b,
                s,
                c: cc,
                v,
                gain_coef,
                holding_cost,
                worst_type,
                min_gain: 0.0,
            };
            class.min_gain = class.gain(worst_type);
            efficiency -= c.count() as f64 * holding_cost;
            classes.push(class);
        }
        if !efficiency.is_finite() || classes.iter().any(|c| !c.min_gain.is_finite()) {
            return Err(BenchmarkError::Numerical(NumericalError::NonFinite {
                what: "double auction efficiency or fee",
            }));
        }
        Ok(Self {
            market: market.clone(),
            classes,
            total_b,
            efficiency,
        })
    }

    /// The equilibrium of class `index` (in market order), like slice
    /// indexing.
    ///
    /// # Panics
    /// If `index` is out of range; [`PlainDoubleAuction::get_class`] returns
    /// `None` instead, and [`PlainDoubleAuction::classes`] iterates.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert_eq!(da.class(0).count(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn class(&self, index: usize) -> &AuctionClass {
        &self.classes[index]
    }

    /// The equilibrium of class `index`, or `None` when it is out of range.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!(da.get_class(0).is_some() && da.get_class(1).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_class(&self, index: usize) -> Option<&AuctionClass> {
        self.classes.get(index)
    }

    /// All classes, in market order.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert_eq!(da.classes().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn classes(&self) -> &[AuctionClass] {
        &self.classes
    }

    /// `B = Σ_j b_j`, the slope of aggregate demand.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 1.0, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!((da.aggregate_slope() - 1.5).abs() < 1e-13);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn aggregate_slope(&self) -> f64 {
        self.total_b
    }

    /// Demand of a trader of class `class` and type `z` at price `p`:
    /// `−b_i (z/κ_i + p)`.
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for an unknown class or non-finite input.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 1.0, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!((da.demand(0, 0.4, 0.0)? + 0.2).abs() < 1e-13);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn demand(&self, class: usize, z: f64, p: f64) -> Result<f64, MechanismError> {
        let c = self.query(class, z)?;
        if !p.is_finite() {
            return Err(QueryError::NonFinite {
                what: "price p",
                value: p,
            }
            .into());
        }
        Ok(-c.b * (z / c.kappa + p))
    }

    fn check_types(&self, types: &[f64]) -> Result<(), MechanismError> {
        if types.len() as u64 != self.market.n_traders() {
            return Err(QueryError::WrongNumberOfTypes {
                given: types.len(),
                expected: self.market.n_traders(),
            }
            .into());
        }
        if let Some(&z) = types.iter().find(|z| !z.is_finite()) {
            return Err(QueryError::NonFinite {
                what: "type z",
                value: z,
            }
            .into());
        }
        Ok(())
    }

    fn class_of_traders(&self) -> impl Iterator<Item = &AuctionClass> + '_ {
        self.classes
            .iter()
            .flat_map(|c| std::iter::repeat_n(c, c.count as usize))
    }

    /// The clearing price `p = −Σ_j (b_j/κ_j) Z_j / B` for one type per
    /// trader (class by class, as in [`Market::trader_offsets`]).
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for a wrong number of types or a
    /// non-finite type.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 1.0, Uniform::new(-1.0, 1.0)?)?)?;
    /// // Symmetric traders: p = −mean endowment / κ.
    /// assert!((da.price(&[0.3, 0.6, 0.0])? + 0.3).abs() < 1e-13);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn price(&self, types: &[f64]) -> Result<f64, MechanismError> {
        self.check_types(types)?;
        let weighted: f64 = types
            .iter()
            .zip(self.class_of_traders())
            .map(|(z, c)| c.b / c.kappa * z)
            .sum();
        Ok(-weighted / self.total_b)
    }

    /// The equilibrium allocation `X_i = −b_i (Z_i/κ_i + p)` for one type
    /// per trader (class by class). The entries sum to zero.
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for a wrong number of types or a
    /// non-finite type.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 1.0, Uniform::new(-1.0, 1.0)?)?)?;
    /// // (N − 2)/(N − 1) = 1/2 of the first best −(Z_i − Z̄).
    /// let x = da.allocation(&[0.9, 0.0, 0.0])?;
    /// assert!((x[0] + 0.3).abs() < 1e-13 && (x[1] - 0.15).abs() < 1e-13);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allocation(&self, types: &[f64]) -> Result<Vec<f64>, MechanismError> {
        let p = self.price(types)?;
        Ok(types
            .iter()
            .zip(self.class_of_traders())
            .map(|(z, c)| -c.b * (z / c.kappa + p))
            .collect())
    }

    fn query(&self, class: usize, z: f64) -> Result<&AuctionClass, MechanismError> {
        let c = self.classes.get(class).ok_or_else(|| {
            MechanismError::from(QueryError::UnknownClass {
                class,
                n_classes: self.classes.len(),
            })
        })?;
        if !z.is_finite() {
            return Err(QueryError::NonFinite {
                what: "type z",
                value: z,
            }
            .into());
        }
        Ok(c)
    }

    /// The same auction with the largest participation fee each trader
    /// accepts at every type ([`AuctionClass::maximal_fee`]).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// // Example 1: total fee revenue (N − 2)/(3(N − 1)).
    /// assert!((da.with_maximal_fees().revenue() - 0.25).abs() < 1e-13);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_maximal_fees(&self) -> PlainDoubleAuctionWithFees {
        PlainDoubleAuctionWithFees {
            auction: self.clone(),
            fees: self.classes.iter().map(|c| c.min_gain).collect(),
        }
    }

    /// The same auction with the given participation fee per trader of
    /// each class (no check that traders accept it: see
    /// [`crate::mechanism::check_feasibility`]).
    ///
    /// # Errors
    /// [`BenchmarkError::FeeCount`] when the number of fees differs from
    /// the number of classes, [`BenchmarkError::NonFiniteFee`] when a fee is
    /// not finite.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!((da.with_fees(vec![0.01])?.revenue() - 0.05).abs() < 1e-15);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_fees(&self, fees: Vec<f64>) -> Result<PlainDoubleAuctionWithFees, BenchmarkError> {
        if fees.len() != self.classes.len() {
            return Err(BenchmarkError::FeeCount {
                given: fees.len(),
                expected: self.classes.len(),
            });
        }
        if let Some((class, &fee)) = fees.iter().enumerate().find(|(_, f)| !f.is_finite()) {
            return Err(BenchmarkError::NonFiniteFee { class, fee });
        }
        Ok(PlainDoubleAuctionWithFees {
            auction: self.clone(),
            fees,
        })
    }
}

impl DirectMechanism for PlainDoubleAuction {
    /// The market.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert_eq!(da.market().n_traders(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn market(&self) -> &Market {
        &self.market
    }

    /// Expected revenue: zero, since buyers pay sellers at one price.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 1.0, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert_eq!(da.revenue(), 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn revenue(&self) -> f64 {
        0.0
    }

    /// Expected allocative efficiency `−Σ_i E[(Z_i + X_i)²]/(2κ_i)`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// # use exchange_design::mechanism::FirstBest;
    /// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// assert!(PlainDoubleAuction::new(&m)?.efficiency() < FirstBest::new(&m)?.efficiency());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn efficiency(&self) -> f64 {
        self.efficiency
    }

    /// The interim allocation `x̄_i(z) = c_i − s_i z`.
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for an unknown class or a non-finite type.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// // 3/4 of the first best −0.8 z.
    /// assert!((da.interim_allocation(0, 0.5)? + 0.3).abs() < 1e-13);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn interim_allocation(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        let c = self.query(class, z)?;
        Ok(c.c - c.s * z)
    }

    /// `E[X_i² | Z_i = z] = x̄_i(z)² + v_i`.
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for an unknown class or a non-finite type.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert_eq!(da.interim_second_moment(0, 0.0)?, da.class(0).conditional_variance());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn interim_second_moment(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        let c = self.query(class, z)?;
        let x = c.c - c.s * z;
        Ok(x * x + c.v)
    }

    /// The interim payment `E[p X_i | Z_i = z] = −E[X_i² | z]/b_i − z x̄_i(z)/κ_i`.
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for an unknown class or a non-finite type.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// // A type that expects to trade nothing is paid for the risk it absorbs.
    /// assert!(da.interim_transfer(0, 0.0)? < 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn interim_transfer(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        let c = self.query(class, z)?;
        let x = c.c - c.s * z;
        Ok(-(x * x + c.v) / c.b - z * x / c.kappa)
    }

    /// The utility gain of taking part, `G_i(z) = (1/(2κ_i) + 1/B_{−i}) E[X_i² | z]`.
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for an unknown class or a non-finite type.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!(da.utility_gain(0, 1.0)? > da.utility_gain(0, 0.0)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn utility_gain(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        Ok(self.query(class, z)?.gain(z))
    }
}

/// The double auction with a fixed participation fee per trader (by
/// default the maximal one, [`PlainDoubleAuction::with_maximal_fees`]). Fees do
/// not change the equilibrium schedules, only who pays what.
///
/// # Example
/// ```
/// # use exchange_design::prelude::*;
/// use exchange_design::benchmarks::PlainDoubleAuction;
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// let da = PlainDoubleAuction::new(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
/// let fees = da.with_maximal_fees();
/// assert_eq!(fees.efficiency(), da.efficiency());
/// // The worst type is exactly indifferent.
/// assert!(fees.utility_gain(0, 0.0)?.abs() < 1e-15);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PlainDoubleAuctionWithFees {
    auction: PlainDoubleAuction,
    fees: Vec<f64>,
}

impl PlainDoubleAuctionWithFees {
    /// The underlying auction.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert_eq!(da.with_maximal_fees().auction().revenue(), 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn auction(&self) -> &PlainDoubleAuction {
        &self.auction
    }

    /// The fee paid by each trader of class `class`, or `None` for an
    /// unknown class.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!(da.with_maximal_fees().fee(0).unwrap() > 0.0);
    /// assert!(da.with_maximal_fees().fee(1).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fee(&self, class: usize) -> Option<f64> {
        self.fees.get(class).copied()
    }

    fn fee_of(&self, class: usize) -> Result<f64, MechanismError> {
        self.fees.get(class).copied().ok_or_else(|| {
            MechanismError::from(QueryError::UnknownClass {
                class,
                n_classes: self.fees.len(),
            })
        })
    }
}

impl DirectMechanism for PlainDoubleAuctionWithFees {
    fn market(&self) -> &Market {
        &self.auction.market
    }

    /// Total expected fee revenue `Σ_classes count · fee`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// // Example 1, N = 3: (N − 2)/(3(N − 1)) = 1/6.
    /// assert!((da.with_maximal_fees().revenue() - 1.0 / 6.0).abs() < 1e-13);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn revenue(&self) -> f64 {
        self.auction
            .classes
            .iter()
            .zip(&self.fees)
            .map(|(c, f)| c.count as f64 * f)
            .sum()
    }

    /// Expected allocative efficiency (that of the auction: fees are lump sums).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert_eq!(da.with_maximal_fees().efficiency(), da.efficiency());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn efficiency(&self) -> f64 {
        self.auction.efficiency
    }

    fn interim_allocation(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        self.auction.interim_allocation(class, z)
    }

    fn interim_second_moment(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        self.auction.interim_second_moment(class, z)
    }

    /// The interim payment including the fee.
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for an unknown class or a non-finite type.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// let f = da.with_maximal_fees();
    /// let diff = f.interim_transfer(0, 0.2)? - da.interim_transfer(0, 0.2)?;
    /// assert!((diff - f.fee(0).unwrap()).abs() < 1e-15);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn interim_transfer(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        Ok(self.auction.interim_transfer(class, z)? + self.fee_of(class)?)
    }

    /// The utility gain net of the fee (zero at the worst type under maximal fees).
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for an unknown class or a non-finite type.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::prelude::*;
    /// # use exchange_design::{benchmarks::PlainDoubleAuction, distribution::Uniform, market::Market};
    /// let da = PlainDoubleAuction::new(&Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!(da.with_maximal_fees().utility_gain(0, 1.0)? > 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn utility_gain(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
        Ok(self.auction.utility_gain(class, z)? - self.fee_of(class)?)
    }
}

#[cfg(test)]
mod tests {
    use super::slope_ratio;

    /// The bounds the aggregate slope's bracket rests on:
    /// `κ/(B + 2κ) < b/B < κ/(B + κ)` for `B, κ > 0` (each side meets the
    /// ratio to rounding as `B/κ` goes to 0 or to ∞).
    #[test]
    fn slope_ratio_lies_between_its_bounds() {
        let r = 4.0 * f64::EPSILON;
        for &kappa in &[1e-6, 0.3, 1.0, 7.0, 1e6] {
            for &big_b in &[1e-9, 1e-3, 0.5, 1.0, 40.0, 1e4, 1e9] {
                let s = slope_ratio(kappa, big_b);
                let (low, high) = (kappa / (big_b + 2.0 * kappa), kappa / (big_b + kappa));
                assert!(low * (1.0 - r) <= s, "κ {kappa}, B {big_b}");
                assert!(s <= high * (1.0 + r), "κ {kappa}, B {big_b}");
                // Strictly inside where the gaps exceed rounding.
                if (1e-4..=1e4).contains(&(big_b / kappa)) {
                    assert!(low < s && s < high, "κ {kappa}, B {big_b}");
                }
            }
        }
    }
}
