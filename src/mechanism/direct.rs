//! The common interface of exchange direct mechanisms: what a trader of a
//! given type expects to buy, to pay and to gain.
//!
//! Lemma 1 of the paper characterises feasibility through exactly these
//! interim quantities, so [`DirectMechanism`] is all that
//! [`check_feasibility`](super::check_feasibility) needs. The optimal
//! mechanism, the first best and the double-auction benchmarks all
//! implement it, and each computes these quantities only in its
//! `impl DirectMechanism` (no inherent method of the same name): bring the
//! trait into scope, `use exchange_design::prelude::*;`, to call them.

use super::MechanismError;
use crate::market::Market;

/// An exchange direct mechanism seen through its interim rules, one class
/// of identical traders at a time.
///
/// Conventions: `class` indexes [`Market::classes`]; `z` is the trader's
/// endowment (type); quantities are per trader; the transfer is what the
/// trader pays (so the exchange's revenue is its expectation, summed over
/// traders).
///
/// # Example
/// ```
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::{DirectMechanism, FirstBest, OptimalMechanism};
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let opt = OptimalMechanism::solve(&m, 1.0)?;
/// let fb = FirstBest::new(&m)?;
/// let mechs: [&dyn DirectMechanism; 2] = [&opt, &fb];
/// assert!(mechs[0].revenue() > mechs[1].revenue());
/// assert!(mechs[0].efficiency() < mechs[1].efficiency());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait DirectMechanism {
    /// The market the mechanism runs in.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::{DirectMechanism, FirstBest}};
    /// let fb = FirstBest::new(&Market::symmetric(3, 1.0, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert_eq!(DirectMechanism::market(&fb).n_traders(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn market(&self) -> &Market;

    /// Expected revenue of the exchange, summed over all traders.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::{DirectMechanism, FirstBest}};
    /// let fb = FirstBest::new(&Market::symmetric(3, 1.0, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!(DirectMechanism::revenue(&fb).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn revenue(&self) -> f64;

    /// Expected allocative efficiency `A = −Σ_i E[(Z_i + X_i)²]/(2κ_i)`.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::{DirectMechanism, FirstBest}};
    /// let fb = FirstBest::new(&Market::symmetric(3, 1.0, Uniform::new(-1.0, 1.0)?)?)?;
    /// assert!(DirectMechanism::efficiency(&fb) < 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn efficiency(&self) -> f64;

    /// The interim allocation `x̄_i(z) = E[X_i | Z_i = z]`.
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for an unknown class or a non-finite type.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::{DirectMechanism, FirstBest}};
    /// let fb = FirstBest::new(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// let d: &dyn DirectMechanism = &fb;
    /// assert!((d.interim_allocation(0, 0.5)? + 0.4).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn interim_allocation(&self, class: usize, z: f64) -> Result<f64, MechanismError>;

    /// The interim second moment `E[X_i² | Z_i = z]` (needed to evaluate
    /// the expected holding cost, hence eq. (4)).
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for an unknown class or a non-finite type.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::{DirectMechanism, FirstBest}};
    /// let fb = FirstBest::new(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?)?;
    /// let d: &dyn DirectMechanism = &fb;
    /// let x = d.interim_allocation(0, 0.5)?;
    /// assert!(d.interim_second_moment(0, 0.5)? > x * x);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn interim_second_moment(&self, class: usize, z: f64) -> Result<f64, MechanismError>;

    /// The interim transfer `t̄_i(z) = E[T_i | Z_i = z]` paid by the trader.
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for an unknown class or a non-finite type.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::{DirectMechanism, OptimalMechanism}};
    /// let m = OptimalMechanism::solve(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?, 1.0)?;
    /// let d: &dyn DirectMechanism = &m;
    /// assert!(d.interim_transfer(0, 0.0)?.is_finite());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn interim_transfer(&self, class: usize, z: f64) -> Result<f64, MechanismError>;

    /// The utility gain from participation of type `z` (eq. (3)): its
    /// expected utility in the mechanism minus `−z²/(2κ_i)`.
    ///
    /// # Errors
    /// [`MechanismError::InvalidQuery`] for an unknown class or a non-finite type.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::{DirectMechanism, OptimalMechanism}};
    /// let m = OptimalMechanism::solve(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?, 1.0)?;
    /// let d: &dyn DirectMechanism = &m;
    /// assert!(d.utility_gain(0, 0.9)? > 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn utility_gain(&self, class: usize, z: f64) -> Result<f64, MechanismError>;

    /// Types of `class` where the interim allocation may jump or turn a
    /// corner, besides the kinks and jumps of the class's own density: for
    /// the optimal mechanism, the ends of its pooled and binding intervals.
    /// [`check_feasibility`](super::check_feasibility) checks at these types
    /// too and splits its envelope integral there, since a quadrature rule
    /// cannot see a jump that falls between its nodes close to a panel's
    /// end. None by default; an out-of-range class gives none.
    ///
    /// # Example
    /// ```
    /// # use exchange_design::{distribution::Uniform, market::Market, mechanism::{DirectMechanism, OptimalMechanism}};
    /// let m = OptimalMechanism::solve(&Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?, 1.0)?;
    /// let (za, zb) = m.class(0).virtual_value().binding_interval();
    /// let breaks = DirectMechanism::allocation_breaks(&m, 0);
    /// assert!(breaks.contains(&za) && breaks.contains(&zb));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn allocation_breaks(&self, class: usize) -> Vec<f64> {
        let _ = class;
        Vec::new()
    }
}
