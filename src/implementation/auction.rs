//! The double auction with side payments (the protocol of Section 7).
//!
//! 1. Every trader submits a demand schedule `q_i(p)`, non-increasing in the
//!    price ([`DemandSchedule`]).
//! 2. The clearing price solves `Σ_i q_i(p) = 0` ([`clear`]). If no price
//!    clears the market, or more than one does (for example when every
//!    schedule is flat on an interval of prices), no trade is executed.
//! 3. Trader `i` receives `q_i(p)` and pays `p q_i(p) + S_i(p, q_i(p))`
//!    ([`DoubleAuction`]).
//!
//! When every schedule is linear the price is found in closed form; in
//! general the aggregate demand is bracketed by doubling steps and the root
//! polished with [`brent`].

use super::side_payment::SidePayments;
use super::{finite_input, ImplementationError};
use crate::numerics::brent;

use super::schedule::{DemandSchedule, LinearSchedule};
use crate::numerics::{InvalidParameter, NumericalError};

/// Tolerances of the clearing step.
///
/// # Example
/// ```
/// use exchange_design::implementation::ClearingConfig;
/// let cfg = ClearingConfig { quantity_abs: 1e-10, ..ClearingConfig::default() };
/// assert!(cfg.price_rel > 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClearingConfig {
    /// Relative tolerance on the clearing price (against `max(1, |p|)`).
    pub price_rel: f64,
    /// An aggregate excess demand of at most `quantity_abs + quantity_rel ·
    /// Σ|q_i(p)|` counts as zero.
    pub quantity_abs: f64,
    /// Relative part of the zero test on the aggregate demand.
    pub quantity_rel: f64,
    /// The price is not searched beyond `±max_price`; no root inside means
    /// no clearing price.
    pub max_price: f64,
    /// Width (relative to `max(1, |p|)`) of the probe around a root used to
    /// decide whether the clearing price is unique.
    pub uniqueness_rel: f64,
}

impl Default for ClearingConfig {
    fn default() -> Self {
        Self {
            price_rel: 1e-14,
            quantity_abs: 1e-12,
            quantity_rel: 1e-12,
            max_price: 1e12,
            uniqueness_rel: 1e-9,
        }
    }
}

impl ClearingConfig {
    fn validate(&self) -> Result<(), ImplementationError> {
        // (field, value, whether it must be > 0 rather than ≥ 0)
        let fields = [
            ("price_rel", self.price_rel, false),
            ("quantity_abs", self.quantity_abs, false),
            ("quantity_rel", self.quantity_rel, false),
            ("max_price", self.max_price, true),
            ("uniqueness_rel", self.uniqueness_rel, true),
        ];
        for (name, value, positive) in fields {
            let (valid, allowed) = if positive {
                (value > 0.0, "give a finite number > 0")
            } else {
                (value >= 0.0, "give a finite number ≥ 0")
            };
            if !(valid && value.is_finite()) {
                return Err(ImplementationError::InvalidConfig(InvalidParameter::new(
                    name, value, allowed,
                )));
            }
        }
        Ok(())
    }
}

/// The outcome of the clearing step.
///
/// # Example
/// ```
/// use exchange_design::implementation::{clear, Clearing, ClearingConfig, LinearSchedule};
/// let s = [LinearSchedule::new(1.0, 1.0)?, LinearSchedule::new(-0.5, 1.0)?];
/// assert_eq!(clear(&s, &ClearingConfig::default())?, Clearing::Unique(0.25));
/// # Ok::<(), exchange_design::implementation::ImplementationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Clearing {
    /// The unique clearing price.
    Unique(f64),
    /// No price clears the market (aggregate demand never crosses zero, or
    /// jumps over it): no trade.
    NoPrice,
    /// Every price in `[low, high]` clears the market: no trade.
    NotUnique {
        /// Lowest clearing price found (may be `−∞`).
        low: f64,
        /// Highest clearing price found (may be `+∞`).
        high: f64,
    },
}

impl Clearing {
    /// The price, if it exists and is unique.
    ///
    /// # Example
    /// ```
    /// use exchange_design::implementation::Clearing;
    /// assert_eq!(Clearing::Unique(1.0).price(), Some(1.0));
    /// assert_eq!(Clearing::NoPrice.price(), None);
    /// ```
    pub fn price(&self) -> Option<f64> {
        match self {
            Clearing::Unique(p) => Some(*p),
            _ => None,
        }
    }
}

fn aggregate<S: DemandSchedule>(schedules: &[S], p: f64) -> (f64, f64) {
    schedules.iter().fold((0.0, 0.0), |(s, a), q| {
        let v = q.quantity(p);
        (s + v, a + v.abs())
    })
}

/// Finds the clearing price of `schedules`: the unique `p` with
/// `Σ_i q_i(p) = 0`.
///
/// All-linear schedules are cleared in closed form (`p = Σ a_i / Σ b_i`;
/// if every slope is zero, no price or every price clears). Otherwise the
/// aggregate demand is bracketed from `p = 0` by doubling steps up to
/// `max_price` and the root found with Brent's method; the price is unique
/// unless the aggregate demand stays at zero on a neighbourhood of the root.
///
/// # Errors
/// [`ImplementationError::Numerical`] if a schedule returns NaN or an
/// infinity; [`ImplementationError::InvalidConfig`] for bad tolerances.
///
/// # Example
/// ```
/// use exchange_design::implementation::{clear, Clearing, ClearingConfig, DemandSchedule, MonotoneSchedule};
/// let cfg = ClearingConfig::default();
/// let buyer = MonotoneSchedule::new(|p: f64| (1.0 - p).max(0.0));
/// let seller = MonotoneSchedule::new(|p: f64| -p.max(0.0));
/// let p = clear(&[&buyer as &dyn DemandSchedule, &seller], &cfg)?.price().unwrap();
/// assert!((p - 0.5).abs() < 1e-12);
/// // Both flat at zero above p = 1: every such price clears.
/// let flat = [MonotoneSchedule::new(|p: f64| (1.0 - p).max(0.0)); 2];
/// assert!(matches!(clear(&flat, &cfg)?, Clearing::NotUnique { .. }));
/// # Ok::<(), exchange_design::implementation::ImplementationError>(())
/// ```
pub fn clear<S: DemandSchedule>(
    schedules: &[S],
    config: &ClearingConfig,
) -> Result<Clearing, ImplementationError> {
    config.validate()?;
    if schedules.is_empty() {
        return Ok(Clearing::NotUnique {
            low: f64::NEG_INFINITY,
            high: f64::INFINITY,
        });
    }
    let linear: Option<Vec<LinearSchedule>> = schedules.iter().map(|s| s.as_linear()).collect();
    if let Some(lin) = linear {
        return Ok(clear_linear(&lin, config));
    }
    clear_general(schedules, config)
}

/// Closed form for linear schedules.
pub(crate) fn clear_linear(schedules: &[LinearSchedule], config: &ClearingConfig) -> Clearing {
    let (a, b, abs) = schedules.iter().fold((0.0, 0.0, 0.0), |(a, b, s), q| {
        (a + q.intercept(), b + q.slope(), s + q.intercept().abs())
    });
    if b > 0.0 {
        let p = a / b;
        if p.is_finite() {
            return Clearing::Unique(p);
        }
        return Clearing::NoPrice;
    }
    if a.abs() <= config.quantity_abs + config.quantity_rel * abs {
        Clearing::NotUnique {
            low: f64::NEG_INFINITY,
            high: f64::INFINITY,
        }
    } else {
        Clearing::NoPrice
    }
}

fn clear_general<S: DemandSchedule>(
    schedules: &[S],
    cfg: &ClearingConfig,
) -> Result<Clearing, ImplementationError> {
    let bad = std::cell::Cell::new(false);
    let d = |p: f64| {
        let (s, a) = aggregate(schedules, p);
        if !s.is_finite() || !a.is_finite() {
            bad.set(true);
        }
        (s, a)
    };
    let is_zero = |s: f64, a: f64| s.abs() <= cfg.quantity_abs + cfg.quantity_rel * a;
    // Sign of the aggregate at 0 tells the search direction.
    let (d0, a0) = d(0.0);
    if bad.get() {
        return Err(ImplementationError::Numerical(NumericalError::NonFinite {
            what: "aggregate demand",
        }));
    }
    let (lo, hi) = if is_zero(d0, a0) {
        (0.0, 0.0)
    } else {
        let dir = if d0 > 0.0 { 1.0 } else { -1.0 };
        let mut near = 0.0;
        let mut step = 1.0;
        let mut found = None;
        while step <= cfg.max_price {
            let far = dir * step;
            let (s, a) = d(far);
            if bad.get() {
                return Err(ImplementationError::Numerical(NumericalError::NonFinite {
                    what: "aggregate demand",
                }));
            }
            if is_zero(s, a) || (s > 0.0) != (d0 > 0.0) {
                found = Some(far);
                break;
            }
            near = far;
            step *= 2.0;
        }
        match found {
            None => return Ok(Clearing::NoPrice),
            Some(far) => (near.min(far), near.max(far)),
        }
    };
    let root = if lo == hi {
        lo
    } else {
        let (slo, alo) = d(lo);
        let (shi, ahi) = d(hi);
        if is_zero(slo, alo) {
            lo
        } else if is_zero(shi, ahi) {
            hi
        } else {
            brent(|p| d(p).0, lo, hi, cfg.price_rel, 1.0).map_err(|source| {
                ImplementationError::Numerical(NumericalError::Root {
                    stage: "clearing price",
                    source,
                })
            })?
        }
    };
    let (s, a) = d(root);
    if bad.get() {
        return Err(ImplementationError::Numerical(NumericalError::NonFinite {
            what: "aggregate demand",
        }));
    }
    if !is_zero(s, a) {
        // The aggregate jumps over zero: no price clears exactly.
        return Ok(Clearing::NoPrice);
    }
    // Unique unless the aggregate stays at zero next to the root.
    let delta = cfg.uniqueness_rel * root.abs().max(1.0);
    let (sl, al) = d(root - delta);
    let (sr, ar) = d(root + delta);
    let flat_left = is_zero(sl, al);
    let flat_right = is_zero(sr, ar);
    if !flat_left && !flat_right {
        return Ok(Clearing::Unique(root));
    }
    // Locate the ends of the flat set with the same bracketed search.
    let edge = |from: f64, dir: f64| -> Result<f64, ImplementationError> {
        let mut step = delta;
        let mut inside = from;
        while step <= cfg.max_price {
            let probe = from + dir * step;
            let (s, a) = d(probe);
            if !is_zero(s, a) {
                let outside = probe;
                let (l, h) = (inside.min(outside), inside.max(outside));
                return brent(
                    |p| {
                        let (s, a) = d(p);
                        if is_zero(s, a) {
                            -1.0
                        } else {
                            1.0
                        }
                    },
                    l,
                    h,
                    cfg.price_rel,
                    1.0,
                )
                .map_err(|source| {
                    ImplementationError::Numerical(NumericalError::Root {
                        stage: "end of the set of clearing prices",
                        source,
                    })
                });
            }
            inside = probe;
            step *= 2.0;
        }
        Ok(dir * f64::INFINITY)
    };
    let low = if flat_left { edge(root, -1.0)? } else { root };
    let high = if flat_right { edge(root, 1.0)? } else { root };
    Ok(Clearing::NotUnique { low, high })
}

/// What happened in one auction.
///
/// # Example
/// ```
/// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{DoubleAuction, SidePayments}};
/// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.0)?)?;
/// let out = DoubleAuction::new(&rules).run_equilibrium(&[0.6, -0.3, 0.0])?;
/// assert!((out.price().unwrap() + 0.3).abs() < 1e-12); // α = 0: p = −Σ Z
/// assert!(out.quantities().iter().sum::<f64>().abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AuctionOutcome {
    clearing: Clearing,
    quantities: Vec<f64>,
    payments: Vec<f64>,
    utilities: Vec<f64>,
}

impl AuctionOutcome {
    /// The clearing step's result.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{Clearing, DoubleAuction, SidePayments}};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.5)?)?;
    /// let out = DoubleAuction::new(&rules).run_equilibrium(&[0.6, -0.3, 0.0])?;
    /// assert!(matches!(out.clearing(), Clearing::Unique(_)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clearing(&self) -> Clearing {
        self.clearing
    }

    /// The clearing price, if the market cleared at a unique price.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{DoubleAuction, SidePayments}};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.5)?)?;
    /// assert!(DoubleAuction::new(&rules).run_equilibrium(&[0.6, -0.3, 0.0])?.price().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn price(&self) -> Option<f64> {
        self.clearing.price()
    }

    /// Quantities bought, trader by trader (zero when there is no trade).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{DoubleAuction, SidePayments}};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.5)?)?;
    /// assert_eq!(DoubleAuction::new(&rules).run_equilibrium(&[0.6, -0.3, 0.0])?.quantities().len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn quantities(&self) -> &[f64] {
        &self.quantities
    }

    /// Payments `p q_i + S_i(p, q_i)`, trader by trader (zero when there
    /// is no trade).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{DoubleAuction, SidePayments}};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.5)?)?;
    /// let out = DoubleAuction::new(&rules).run_equilibrium(&[0.6, -0.3, 0.0])?;
    /// assert!((out.payments().iter().sum::<f64>() - out.revenue()).abs() < 1e-15);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn payments(&self) -> &[f64] {
        &self.payments
    }

    /// Realised utilities `−(z_i + q_i)²/(2κ_i) − payment_i`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{DoubleAuction, SidePayments}};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.5)?)?;
    /// let out = DoubleAuction::new(&rules).run_equilibrium(&[0.6, -0.3, 0.0])?;
    /// let (z, q, t) = (0.6, out.quantities()[0], out.payments()[0]);
    /// assert!((out.utilities()[0] - (-(z + q) * (z + q) / 1.0 - t)).abs() < 1e-15);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn utilities(&self) -> &[f64] {
        &self.utilities
    }

    /// The exchange's revenue `Σ_i payment_i`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{DoubleAuction, SidePayments}};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.5)?)?;
    /// assert!(DoubleAuction::new(&rules).run_equilibrium(&[0.6, -0.3, 0.0])?.revenue().is_finite());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn revenue(&self) -> f64 {
        self.payments.iter().sum()
    }
}

/// The double auction with the side payments of a solved mechanism.
///
/// # Example
/// ```
/// use exchange_design::distribution::Uniform;
/// use exchange_design::implementation::{DoubleAuction, LinearSchedule, SidePayments};
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::OptimalMechanism;
/// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 1.0)?)?;
/// let auction = DoubleAuction::new(&rules);
/// // Arbitrary (non-equilibrium) schedules settle under the same rules.
/// let s = [LinearSchedule::new(0.3, 0.2)?, LinearSchedule::new(0.0, 0.2)?, LinearSchedule::new(-0.6, 0.2)?];
/// let out = auction.run(&[0.0, 0.1, 0.2], &s)?;
/// assert!((out.price().unwrap() + 0.5).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DoubleAuction<'a> {
    rules: &'a SidePayments,
    config: ClearingConfig,
}

impl<'a> DoubleAuction<'a> {
    /// An auction settling with `rules` and the default clearing tolerances.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{DoubleAuction, SidePayments}};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 1.0).unwrap()).unwrap();
    /// let _auction = DoubleAuction::new(&rules);
    /// ```
    pub fn new(rules: &'a SidePayments) -> Self {
        Self {
            rules,
            config: ClearingConfig::default(),
        }
    }

    /// The same auction with other clearing tolerances.
    ///
    /// # Errors
    /// [`ImplementationError::InvalidConfig`] for negative or non-finite tolerances.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{ClearingConfig, DoubleAuction, SidePayments}};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 1.0).unwrap()).unwrap();
    /// let cfg = ClearingConfig { max_price: 1e6, ..ClearingConfig::default() };
    /// assert!(DoubleAuction::new(&rules).with_config(cfg).is_ok());
    /// ```
    pub fn with_config(self, config: ClearingConfig) -> Result<Self, ImplementationError> {
        config.validate()?;
        Ok(Self { config, ..self })
    }

    /// The side-payment rules the auction settles with.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{DoubleAuction, SidePayments}};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 1.0).unwrap()).unwrap();
    /// assert_eq!(DoubleAuction::new(&rules).rules().n_traders(), 3);
    /// ```
    pub fn rules(&self) -> &'a SidePayments {
        self.rules
    }

    fn check_types(&self, types: &[f64]) -> Result<(), ImplementationError> {
        if types.len() as u64 != self.rules.n_traders() {
            return Err(ImplementationError::WrongLength {
                what: "types",
                given: types.len(),
                expected: self.rules.n_traders(),
            });
        }
        for &z in types {
            finite_input("type z", z)?;
        }
        Ok(())
    }

    /// The equilibrium schedules `q_i(p) = −V_i(z_i) − w_i p` of Theorem 2
    /// for one type per trader (traders ordered class by class).
    ///
    /// # Errors
    /// [`ImplementationError::WrongLength`] or a non-finite type.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{DoubleAuction, SidePayments}};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.0)?)?;
    /// let s = DoubleAuction::new(&rules).equilibrium_schedules(&[0.5, 0.0, -0.5])?;
    /// assert_eq!(s[0].intercept(), -0.5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn equilibrium_schedules(
        &self,
        types: &[f64],
    ) -> Result<Vec<LinearSchedule>, ImplementationError> {
        self.check_types(types)?;
        let mut out = Vec::with_capacity(types.len());
        for (k, start, end) in self.rules.class_ranges() {
            let class = &self.rules.classes()[k];
            for &z in &types[start..end] {
                out.push(class.demand_schedule(z)?);
            }
        }
        Ok(out)
    }

    /// Runs the auction with the equilibrium schedules of the given types.
    ///
    /// # Errors
    /// [`ImplementationError::WrongLength`], a non-finite type, or a
    /// non-finite payment.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{DoubleAuction, SidePayments}};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 1.0)?)?;
    /// // Example 1 at α = 1: all types in [−1/2, 1/2] → no trade.
    /// let out = DoubleAuction::new(&rules).run_equilibrium(&[0.4, -0.2, 0.1])?;
    /// assert!(out.quantities().iter().all(|q| q.abs() < 1e-15));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_equilibrium(&self, types: &[f64]) -> Result<AuctionOutcome, ImplementationError> {
        let schedules = self.equilibrium_schedules(types)?;
        let clearing = clear_linear(&schedules, &self.config);
        self.settle(types, &schedules, clearing, true)
    }

    /// Runs the auction with arbitrary schedules, one per trader.
    ///
    /// # Errors
    /// [`ImplementationError::WrongLength`] for mismatched lengths, a
    /// non-finite type, or a schedule returning a non-finite quantity.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism, implementation::{DoubleAuction, MonotoneSchedule, SidePayments}};
    /// let m = Market::symmetric(2, 1.0, Uniform::new(-1.0, 1.0)?)?;
    /// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.5)?)?;
    /// // Two perfectly inelastic orders that do not offset: no price clears.
    /// let buy_one = MonotoneSchedule::new(|_p: f64| 1.0);
    /// let s = [buy_one, buy_one];
    /// let out = DoubleAuction::new(&rules).run(&[0.0, 0.0], &s)?;
    /// assert!(out.price().is_none() && out.revenue() == 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run<S: DemandSchedule>(
        &self,
        types: &[f64],
        schedules: &[S],
    ) -> Result<AuctionOutcome, ImplementationError> {
        self.check_types(types)?;
        if schedules.len() != types.len() {
            return Err(ImplementationError::WrongLength {
                what: "schedules",
                given: schedules.len(),
                expected: self.rules.n_traders(),
            });
        }
        let clearing = clear(schedules, &self.config)?;
        self.settle(types, schedules, clearing, false)
    }

    fn settle<S: DemandSchedule>(
        &self,
        types: &[f64],
        schedules: &[S],
        clearing: Clearing,
        equilibrium: bool,
    ) -> Result<AuctionOutcome, ImplementationError> {
        let n = types.len();
        let mut quantities = vec![0.0; n];
        let mut payments = vec![0.0; n];
        let mut utilities = vec![0.0; n];
        for (k, start, end) in self.rules.class_ranges() {
            let class = &self.rules.classes()[k];
            let two_kappa = 2.0 * class.kappa();
            for i in start..end {
                let z = types[i];
                let (q, pay) = match clearing {
                    Clearing::Unique(p) => {
                        let q = schedules[i].quantity(p);
                        finite_input("quantity", q)?;
                        // In equilibrium −q − w p = V(z): the trader's own
                        // type is the inverse, no root needed.
                        let s = if equilibrium {
                            class.side_payment_at_type(p, q, z)?
                        } else {
                            class.side_payment(p, q)?
                        };
                        (q, p * q + s)
                    }
                    _ => (0.0, 0.0),
                };
                quantities[i] = q;
                payments[i] = pay;
                utilities[i] = -(z + q) * (z + q) / two_kappa - pay;
            }
        }
        Ok(AuctionOutcome {
            clearing,
            quantities,
            payments,
            utilities,
        })
    }
}
