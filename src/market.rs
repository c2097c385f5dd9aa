//! The market: trader classes with their risk capacities and endowment
//! distributions.
//!
//! A *class* is a group of `count ≥ 1` identical traders (same `κ`, same
//! distribution, independent endowments). Identical traders share every
//! per-trader computation, so a class of a million traders costs the solver
//! what a single trader costs. Supports may differ across classes (the
//! paper's footnote 6).

use crate::distribution::{validate, DistributionError, EndowmentDistribution};
use std::sync::Arc;
use thiserror::Error;

/// Why a market could not be built.
///
/// # Example
/// ```
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::{Market, MarketError, TraderClass};
/// let u = Uniform::new(-1.0, 1.0).unwrap();
/// let err = Market::new(vec![TraderClass::new(0.5, u, 1)]).unwrap_err();
/// assert_eq!(err, MarketError::TooFewTraders { n: 1 });
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum MarketError {
    /// A risk capacity is NaN, infinite, zero or negative.
    #[error(
        "class {class}: risk capacity kappa = {value}; it must be a finite number greater than 0"
    )]
    InvalidKappa {
        /// Index of the class.
        class: usize,
        /// The value given.
        value: f64,
    },
    /// A class has no traders.
    #[error("class {class}: count is 0; every class needs at least one trader")]
    ZeroCount {
        /// Index of the class.
        class: usize,
    },
    /// Fewer than two traders in all.
    #[error("the market has {n} trader(s); an exchange needs at least 2")]
    TooFewTraders {
        /// Total number of traders.
        n: u64,
    },
    /// The total number of traders or the total risk capacity overflows.
    #[error("the market is too large to represent: {what}")]
    TooLarge {
        /// What overflowed.
        what: &'static str,
    },
    /// One trader's risk capacity is so large that the others' total is
    /// lost to rounding (`K − κ_i` is not positive in floating point).
    #[error("class {class}: kappa = {kappa} dominates the total {total}; the other traders' risk capacity is lost to rounding, so reduce the ratio of the largest to the smallest kappa")]
    DominantTrader {
        /// Index of the class.
        class: usize,
        /// Its risk capacity.
        kappa: f64,
        /// Total risk capacity of the market.
        total: f64,
    },
    /// A class's distribution is not a valid endowment distribution.
    #[error("class {class}: {source}")]
    InvalidDistribution {
        /// Index of the class.
        class: usize,
        /// What is wrong with it.
        source: DistributionError,
    },
}

/// A group of identical traders: risk capacity `κ`, endowment distribution
/// and number of traders.
///
/// # Example
/// ```
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::TraderClass;
/// let class = TraderClass::new(0.5, Uniform::new(-1.0, 1.0).unwrap(), 5);
/// assert_eq!(class.count(), 5);
/// ```
#[derive(Debug, Clone)]
pub struct TraderClass {
    kappa: f64,
    distribution: Arc<dyn EndowmentDistribution>,
    count: u64,
}

impl TraderClass {
    /// A class of `count` traders with risk capacity `kappa` whose endowments
    /// are independent draws from `distribution`. Validated by [`Market::new`].
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::TruncatedNormal;
    /// use exchange_design::market::TraderClass;
    /// let c = TraderClass::new(2.0, TruncatedNormal::new(0.0, 1.0, -2.0, 2.0).unwrap(), 1);
    /// assert_eq!(c.kappa(), 2.0);
    /// ```
    pub fn new<D: EndowmentDistribution + 'static>(
        kappa: f64,
        distribution: D,
        count: u64,
    ) -> Self {
        Self::from_shared(kappa, Arc::new(distribution), count)
    }

    /// Like [`TraderClass::new`] with a distribution already behind an `Arc`
    /// (so several classes can share one).
    ///
    /// # Example
    /// ```
    /// use std::sync::Arc;
    /// use exchange_design::distribution::{EndowmentDistribution, Uniform};
    /// use exchange_design::market::TraderClass;
    /// let d: Arc<dyn EndowmentDistribution> = Arc::new(Uniform::new(0.0, 1.0).unwrap());
    /// let a = TraderClass::from_shared(1.0, d.clone(), 1);
    /// let b = TraderClass::from_shared(2.0, d, 1);
    /// assert_eq!(a.distribution().mean(), b.distribution().mean());
    /// ```
    pub fn from_shared(
        kappa: f64,
        distribution: Arc<dyn EndowmentDistribution>,
        count: u64,
    ) -> Self {
        Self {
            kappa,
            distribution,
            count,
        }
    }

    /// Risk capacity `κ` of each trader in the class.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::TraderClass};
    /// assert_eq!(TraderClass::new(0.5, Uniform::new(0.0, 1.0).unwrap(), 1).kappa(), 0.5);
    /// ```
    pub fn kappa(&self) -> f64 {
        self.kappa
    }

    /// The endowment distribution of each trader in the class.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::{EndowmentDistribution, Uniform}, market::TraderClass};
    /// let c = TraderClass::new(0.5, Uniform::new(0.0, 1.0).unwrap(), 1);
    /// assert_eq!(c.distribution().support(), (0.0, 1.0));
    /// ```
    pub fn distribution(&self) -> &dyn EndowmentDistribution {
        self.distribution.as_ref()
    }

    /// The shared handle to the distribution.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::TraderClass};
    /// let c = TraderClass::new(0.5, Uniform::new(0.0, 1.0).unwrap(), 1);
    /// let d = c.shared_distribution();
    /// assert_eq!(std::sync::Arc::strong_count(&d), 2);
    /// ```
    pub fn shared_distribution(&self) -> Arc<dyn EndowmentDistribution> {
        Arc::clone(&self.distribution)
    }

    /// Number of traders in the class.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::TraderClass};
    /// assert_eq!(TraderClass::new(0.5, Uniform::new(0.0, 1.0).unwrap(), 7).count(), 7);
    /// ```
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// A validated market: at least two traders in all, every `κ` finite and
/// positive, every distribution valid.
///
/// # Example
/// ```
/// use exchange_design::distribution::{Beta, Uniform};
/// use exchange_design::market::{Market, TraderClass};
/// let market = Market::new(vec![
///     TraderClass::new(0.5, Uniform::new(-1.0, 1.0)?, 3),
///     TraderClass::new(1.0, Beta::new(2.0, 3.0, -1.0, 2.0)?, 1),
/// ])?;
/// assert_eq!(market.n_traders(), 4);
/// assert_eq!(market.total_kappa(), 2.5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Market {
    classes: Vec<TraderClass>,
    total_kappa: f64,
    n_traders: u64,
}

impl Market {
    /// Validates the classes and builds the market. Distributions whose
    /// [`validated_by_construction`](EndowmentDistribution::validated_by_construction)
    /// is `true` (the built-in families) are taken as valid, so this costs
    /// O(1) per class for them; other distributions are checked with
    /// [`validate`].
    ///
    /// # Errors
    /// One [`MarketError`] variant per violated condition, naming the class.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::Uniform;
    /// use exchange_design::market::{Market, MarketError, TraderClass};
    /// let u = Uniform::new(-1.0, 1.0).unwrap();
    /// let err = Market::new(vec![TraderClass::new(-1.0, u, 2)]).unwrap_err();
    /// assert!(matches!(err, MarketError::InvalidKappa { class: 0, .. }));
    /// ```
    pub fn new(classes: Vec<TraderClass>) -> Result<Self, MarketError> {
        let mut n_traders: u64 = 0;
        let mut total_kappa = 0.0;
        for (class, c) in classes.iter().enumerate() {
            if !(c.kappa.is_finite() && c.kappa > 0.0) {
                return Err(MarketError::InvalidKappa {
                    class,
                    value: c.kappa,
                });
            }
            if c.count == 0 {
                return Err(MarketError::ZeroCount { class });
            }
            // Built-in families were validated by their constructors; only
            // other types pay for the scan.
            if !c.distribution().validated_by_construction() {
                validate(c.distribution())
                    .map_err(|source| MarketError::InvalidDistribution { class, source })?;
            }
            n_traders = n_traders
                .checked_add(c.count)
                .ok_or(MarketError::TooLarge {
                    what: "the number of traders exceeds u64",
                })?;
            total_kappa += c.kappa * c.count as f64;
        }
        if n_traders < 2 {
            return Err(MarketError::TooFewTraders { n: n_traders });
        }
        if !total_kappa.is_finite() {
            return Err(MarketError::TooLarge {
                what: "the total risk capacity is not finite",
            });
        }
        for (class, c) in classes.iter().enumerate() {
            // Fails for NaN too.
            if total_kappa - c.kappa <= 0.0 || (total_kappa - c.kappa).is_nan() {
                return Err(MarketError::DominantTrader {
                    class,
                    kappa: c.kappa,
                    total: total_kappa,
                });
            }
        }
        Ok(Self {
            classes,
            total_kappa,
            n_traders,
        })
    }

    /// `n` identical traders: the symmetric market of the paper's examples.
    ///
    /// # Errors
    /// As [`Market::new`].
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::Uniform;
    /// use exchange_design::market::Market;
    /// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
    /// assert_eq!(m.n_traders(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn symmetric<D: EndowmentDistribution + 'static>(
        n: u64,
        kappa: f64,
        distribution: D,
    ) -> Result<Self, MarketError> {
        Self::new(vec![TraderClass::new(kappa, distribution, n)])
    }

    /// Class `index` (in the order given), like slice indexing.
    ///
    /// # Panics
    /// If `index` is out of range; [`Market::get_class`] returns `None`
    /// instead, and [`Market::classes`] iterates.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(0.0, 1.0).unwrap()).unwrap();
    /// assert_eq!(m.class(0).count(), 3);
    /// ```
    pub fn class(&self, index: usize) -> &TraderClass {
        &self.classes()[index]
    }

    /// Class `index`, or `None` when it is out of range.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market};
    /// let m = Market::symmetric(3, 0.5, Uniform::new(0.0, 1.0).unwrap()).unwrap();
    /// assert!(m.get_class(0).is_some() && m.get_class(1).is_none());
    /// ```
    pub fn get_class(&self, index: usize) -> Option<&TraderClass> {
        self.classes().get(index)
    }

    /// The trader classes, in the order given.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market};
    /// let m = Market::symmetric(3, 1.0, Uniform::new(0.0, 1.0).unwrap()).unwrap();
    /// assert_eq!(m.classes().len(), 1);
    /// ```
    pub fn classes(&self) -> &[TraderClass] {
        &self.classes
    }

    /// Total number of traders `N = Σ count`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market};
    /// assert_eq!(Market::symmetric(3, 1.0, Uniform::new(0.0, 1.0).unwrap()).unwrap().n_traders(), 3);
    /// ```
    pub fn n_traders(&self) -> u64 {
        self.n_traders
    }

    /// Total risk capacity `K = Σ count · κ`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market};
    /// assert_eq!(Market::symmetric(4, 0.5, Uniform::new(0.0, 1.0).unwrap()).unwrap().total_kappa(), 2.0);
    /// ```
    pub fn total_kappa(&self) -> f64 {
        self.total_kappa
    }

    /// The share `w_i = κ_i / K` of one trader of class `class` in the
    /// total risk capacity (its weight in the aggregate virtual value).
    ///
    /// # Panics
    /// If `class` is out of range (a programming error, not user input).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market};
    /// assert_eq!(Market::symmetric(4, 0.5, Uniform::new(0.0, 1.0).unwrap()).unwrap().kappa_share(0), 0.25);
    /// ```
    pub fn kappa_share(&self, class: usize) -> f64 {
        self.classes[class].kappa / self.total_kappa
    }

    /// Old name of [`Market::kappa_share`].
    ///
    /// # Panics
    /// If `class` is out of range.
    #[deprecated(note = "renamed `kappa_share`: \"weight\" is kept for α and β")]
    pub fn weight(&self, class: usize) -> f64 {
        self.kappa_share(class)
    }

    /// The trader-level index ranges of each class when the market is
    /// expanded trader by trader: class `k` covers `offsets[k]..offsets[k+1]`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::{Market, TraderClass}};
    /// let u = Uniform::new(0.0, 1.0).unwrap();
    /// let m = Market::new(vec![TraderClass::new(1.0, u, 2), TraderClass::new(2.0, u, 3)]).unwrap();
    /// assert_eq!(m.trader_offsets(), vec![0, 2, 5]);
    /// ```
    pub fn trader_offsets(&self) -> Vec<u64> {
        let mut out = Vec::with_capacity(self.classes.len() + 1);
        let mut acc = 0;
        out.push(0);
        for c in &self.classes {
            acc += c.count;
            out.push(acc);
        }
        out
    }
}
