//! Demand schedules: what a trader submits to the double auction, a
//! quantity `q(p)` bought at each clearing price `p`, non-increasing in `p`.
//!
//! Their own module because both the auction (which clears them) and the
//! side payments (whose equilibrium schedules are linear) use them.

use super::{finite_input, ImplementationError};

/// A demand schedule: the quantity `q(p)` a trader buys (negative: sells)
/// at clearing price `p`. It must be non-increasing in `p`.
///
/// # Example
/// ```
/// use exchange_design::implementation::{DemandSchedule, LinearSchedule};
/// let q = LinearSchedule::new(1.0, 0.5)?; // q(p) = 1 − p/2
/// assert_eq!(q.quantity(2.0), 0.0);
/// # Ok::<(), exchange_design::implementation::ImplementationError>(())
/// ```
pub trait DemandSchedule {
    /// The quantity bought at price `price`.
    ///
    /// # Example
    /// ```
    /// use exchange_design::implementation::{DemandSchedule, MonotoneSchedule};
    /// let sell_above_one = MonotoneSchedule::new(|p: f64| if p > 1.0 { -1.0 } else { 0.0 });
    /// assert_eq!(sell_above_one.quantity(2.0), -1.0);
    /// ```
    fn quantity(&self, price: f64) -> f64;

    /// `Some` when the schedule is linear, so that the clearing price has a
    /// closed form. The default is `None`.
    ///
    /// # Example
    /// ```
    /// use exchange_design::implementation::{DemandSchedule, LinearSchedule, MonotoneSchedule};
    /// assert!(LinearSchedule::new(1.0, 2.0)?.as_linear().is_some());
    /// assert!(MonotoneSchedule::new(|p: f64| -p).as_linear().is_none());
    /// # Ok::<(), exchange_design::implementation::ImplementationError>(())
    /// ```
    fn as_linear(&self) -> Option<LinearSchedule> {
        None
    }
}

impl<T: DemandSchedule + ?Sized> DemandSchedule for &T {
    fn quantity(&self, price: f64) -> f64 {
        (**self).quantity(price)
    }
    fn as_linear(&self) -> Option<LinearSchedule> {
        (**self).as_linear()
    }
}

impl<T: DemandSchedule + ?Sized> DemandSchedule for Box<T> {
    fn quantity(&self, price: f64) -> f64 {
        (**self).quantity(price)
    }
    fn as_linear(&self) -> Option<LinearSchedule> {
        (**self).as_linear()
    }
}

/// The linear schedule `q(p) = intercept − slope · p` with `slope ≥ 0`.
/// The equilibrium schedules of Theorem 2 are of this form, with
/// `intercept = −V_i(Z_i)` and `slope = κ_i/K`.
///
/// # Example
/// ```
/// use exchange_design::implementation::{DemandSchedule, LinearSchedule};
/// let q = LinearSchedule::new(-0.2, 0.25)?;
/// assert!((q.quantity(0.4) + 0.3).abs() < 1e-15);
/// # Ok::<(), exchange_design::implementation::ImplementationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearSchedule {
    intercept: f64,
    slope: f64,
}

impl LinearSchedule {
    /// `q(p) = intercept − slope · p`.
    ///
    /// # Errors
    /// [`ImplementationError::NonFiniteInput`] for non-finite parameters,
    /// [`ImplementationError::NegativeSlope`] for a negative slope (demand
    /// would increase with the price).
    ///
    /// # Example
    /// ```
    /// use exchange_design::implementation::{ImplementationError, LinearSchedule};
    /// assert!(matches!(LinearSchedule::new(0.0, -1.0), Err(ImplementationError::NegativeSlope { slope: -1.0 })));
    /// ```
    pub fn new(intercept: f64, slope: f64) -> Result<Self, ImplementationError> {
        finite_input("intercept", intercept)?;
        finite_input("slope", slope)?;
        if slope < 0.0 {
            return Err(ImplementationError::NegativeSlope { slope });
        }
        Ok(Self { intercept, slope })
    }

    /// The quantity bought at price zero.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::implementation::LinearSchedule;
    /// assert_eq!(LinearSchedule::new(0.5, 1.0).unwrap().intercept(), 0.5);
    /// ```
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// How much less is bought per unit increase of the price (≥ 0).
    ///
    /// # Example
    /// ```
    /// # use exchange_design::implementation::LinearSchedule;
    /// assert_eq!(LinearSchedule::new(0.5, 1.0).unwrap().slope(), 1.0);
    /// ```
    pub fn slope(&self) -> f64 {
        self.slope
    }
}

impl DemandSchedule for LinearSchedule {
    fn quantity(&self, price: f64) -> f64 {
        self.intercept - self.slope * price
    }
    fn as_linear(&self) -> Option<LinearSchedule> {
        Some(*self)
    }
}

/// Any non-increasing function of the price as a demand schedule.
/// Monotonicity is the caller's promise; the clearing step only relies on
/// it to bracket the price.
///
/// # Example
/// ```
/// use exchange_design::implementation::{DemandSchedule, MonotoneSchedule};
/// // A limit order: buy 1 unit below 0.5, nothing above.
/// let q = MonotoneSchedule::new(|p: f64| if p < 0.5 { 1.0 } else { 0.0 });
/// assert_eq!(q.quantity(0.2), 1.0);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct MonotoneSchedule<F> {
    f: F,
}

impl<F: Fn(f64) -> f64> MonotoneSchedule<F> {
    /// Wraps `f`, which must be non-increasing.
    ///
    /// # Example
    /// ```
    /// use exchange_design::implementation::{DemandSchedule, MonotoneSchedule};
    /// let q = MonotoneSchedule::new(|p: f64| -p.powi(3));
    /// assert_eq!(q.quantity(2.0), -8.0);
    /// ```
    pub fn new(f: F) -> Self {
        Self { f }
    }
}

impl<F: Fn(f64) -> f64> DemandSchedule for MonotoneSchedule<F> {
    fn quantity(&self, price: f64) -> f64 {
        (self.f)(price)
    }
}
