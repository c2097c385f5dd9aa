//! The solution for one class of identical traders: [`ClassSolution`].

use super::virtual_value::VirtualValue;
use super::welfare::{ClassMoments, ClassWelfare};

/// The solution for one class of identical traders: what is the class's
/// own (κ, count, share of the risk capacity, the probability of no trade,
/// the moments of its virtual value, its revenue, holding cost and
/// allocation per trader, the multiplier Ω with the budget's λ) and its
/// [`VirtualValue`] (level η, binding interval, pools, `V` itself) through
/// [`ClassSolution::virtual_value`].
///
/// # Example
/// ```
/// # use exchange_design::prelude::*;
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::OptimalMechanism;
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let mech = OptimalMechanism::solve(&m, 1.0)?;
/// let c = mech.class(0);
/// assert_eq!((c.kappa(), c.count(), c.kappa_share()), (0.5, 5, 0.2));
/// // Example 1 at α = 1: the binding interval is [−1/2, 1/2] at level 0,
/// // so half of the types expect no trade.
/// // The virtual value's own items go through `virtual_value()`.
/// let v = c.virtual_value();
/// let (za, zb) = v.binding_interval();
/// assert!((za + 0.5).abs() < 1e-12 && (zb - 0.5).abs() < 1e-12);
/// assert!(v.eta().abs() < 1e-12);
/// assert!((c.no_trade_probability() - 0.5).abs() < 1e-12);
/// assert!(v.ironed_intervals().is_empty()); // the uniform is regular
/// // The multiplier Ω is 0 below the interval and α + λ = 1 above it.
/// assert_eq!(c.participation_multiplier(-0.9), 0.0);
/// assert!((c.participation_multiplier(0.9) - 1.0).abs() < 1e-12);
/// // Per trader: revenue and holding cost add up to the market's.
/// assert!((5.0 * c.revenue_per_trader() - mech.revenue()).abs() < 1e-12);
/// assert!((5.0 * c.holding_cost() + mech.efficiency()).abs() < 1e-12);
/// assert!(c.mean_allocation().abs() < 1e-12 && c.mean_virtual_value().abs() < 1e-12);
/// assert!(c.lowest_type_gain() > 0.0 && c.variance_virtual_value() > 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClassSolution {
    pub(super) kappa: f64,
    pub(super) count: u64,
    pub(super) weight: f64,
    pub(super) lambda: f64,
    pub(super) vv: VirtualValue,
    pub(super) no_trade: f64,
    pub(super) moments: ClassMoments,
    pub(super) welfare: ClassWelfare,
}

impl ClassSolution {
    /// Risk capacity `κ_i` of a trader of this class.
    pub fn kappa(&self) -> f64 {
        self.kappa
    }

    /// Number of traders in the class.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// `w_i = κ_i / K`, the trader's share of the total risk capacity and
    /// of the aggregate virtual value in (12).
    pub fn kappa_share(&self) -> f64 {
        self.weight
    }

    /// Old name of [`ClassSolution::kappa_share`].
    #[deprecated(note = "renamed `kappa_share`: \"weight\" is kept for α and β")]
    pub fn weight(&self) -> f64 {
        self.kappa_share()
    }

    /// Old path of [`VirtualValue::eta`].
    #[deprecated(note = "use .virtual_value().eta()")]
    pub fn eta(&self) -> f64 {
        self.vv.eta()
    }

    /// Old path of [`VirtualValue::binding_interval`].
    #[deprecated(note = "use .virtual_value().binding_interval()")]
    pub fn binding_interval(&self) -> (f64, f64) {
        self.vv.binding_interval()
    }

    /// Old path of [`VirtualValue::ironed_intervals`].
    #[deprecated(note = "use .virtual_value().ironed_intervals()")]
    pub fn ironed_intervals(&self) -> Vec<(f64, f64)> {
        self.vv.ironed_intervals()
    }

    /// `P(Z_i ∈ [Z_ia, Z_ib]) = F(Z_ib) − F(Z_ia)`: the probability that the
    /// trader's type is one that expects to trade zero.
    pub fn no_trade_probability(&self) -> f64 {
        self.no_trade
    }

    /// The virtual value function `V_i`, with the level `η_i`
    /// ([`VirtualValue::eta`]), the binding interval `[Z_ia, Z_ib]`
    /// ([`VirtualValue::binding_interval`]) and the pools
    /// ([`VirtualValue::ironed_intervals`]).
    pub fn virtual_value(&self) -> &VirtualValue {
        &self.vv
    }

    /// `E[V_i(Z_i)]`.
    pub fn mean_virtual_value(&self) -> f64 {
        self.moments.mean_v + self.moments.centre
    }

    /// `Var V_i(Z_i)`.
    pub fn variance_virtual_value(&self) -> f64 {
        self.moments.var_v
    }

    /// The paper's multiplier `Ω_i(z) = (1 + λ) ω_i(z)` on the participation
    /// constraint: 0 below the binding interval, `α + λ` above it.
    pub fn participation_multiplier(&self, z: f64) -> f64 {
        (1.0 + self.lambda) * self.vv.omega(z)
    }

    /// Old name of [`ClassSolution::participation_multiplier`].
    #[deprecated(note = "renamed `participation_multiplier` (Ω); `VirtualValue::omega` is ω")]
    pub fn multiplier(&self, z: f64) -> f64 {
        self.participation_multiplier(z)
    }

    /// `G_i(lo)`: the utility gain of participation of the lowest type.
    pub fn lowest_type_gain(&self) -> f64 {
        self.welfare.lowest_gain
    }

    /// Expected revenue raised from one trader of the class (its share of eq. (5)).
    pub fn revenue_per_trader(&self) -> f64 {
        self.welfare.revenue
    }

    /// Expected holding cost `E[(Z_i + X_i)²]/(2κ_i)` of one trader of the class.
    pub fn holding_cost(&self) -> f64 {
        self.welfare.holding_cost
    }

    /// `E[X_i]`: the trader's expected net purchase.
    pub fn mean_allocation(&self) -> f64 {
        self.welfare.mean_x
    }
}
