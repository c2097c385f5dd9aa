//! # exchange-design
//!
//! Optimal trading mechanisms for a financial exchange, after D. T. Chen,
//! *Optimal Design of a Financial Exchange* (2022).
//!
//! Traders hold private, independent endowments of one asset and bear a
//! quadratic holding cost `Z²/(2κ)`. The crate computes the direct mechanism
//! that maximises `α·revenue + (1 − α)·efficiency` subject to incentive
//! compatibility, individual rationality, ex-ante budget balance and the
//! exchange constraint `Σ X_i = 0` (the paper's Theorem 1), and the
//! trader-specific side payments that implement it in an ordinary double
//! auction (Theorem 2).
//!
//! # A guided tour
//!
//! The paper's Example 1: five traders with risk capacity `κ = 1/2` and
//! endowments uniform on `[−1, 1]`, and an exchange that weighs revenue and
//! efficiency equally (`α = 1/2`).
//!
//! **1. The market.** A [`market::Market`] is a list of
//! [`market::TraderClass`]es `(κ, distribution, count)`; the distributions
//! are in [`distribution`] (or your own type implementing
//! [`distribution::EndowmentDistribution`], checked by
//! [`distribution::validate`]), or estimated from observed endowments by
//! [`estimation::estimate`].
//!
//! **2. The optimal mechanism.** [`mechanism::OptimalMechanism::solve`]
//! returns the α-optimal direct mechanism of Theorem 1.
//!
//! **3. What to read off it** (the mechanism's own numbers are methods of
//! the [`mechanism::DirectMechanism`] trait every mechanism implements:
//! `use exchange_design::prelude::*;`). Expected [`revenue`](mechanism::DirectMechanism::revenue)
//! and [`efficiency`](mechanism::DirectMechanism::efficiency) (minus the
//! traders' total expected holding cost, so never positive), the budget
//! multiplier [`lambda`](mechanism::OptimalMechanism::lambda); per class
//! ([`class`](mechanism::OptimalMechanism::class), a
//! [`mechanism::ClassSolution`]) the binding interval of types that expect
//! no trade, its probability and the holding cost; the
//! [`interim_allocation`](mechanism::DirectMechanism::interim_allocation)
//! and [`utility_gain`](mechanism::DirectMechanism::utility_gain) of a
//! type, and the ex-post [`allocation`](mechanism::OptimalMechanism::allocation).
//!
//! **4. Side payments and the auction that implements it.**
//! [`implementation::SidePayments`] gives each class its side payment
//! `S_i(p, q)` (Theorem 2); in [`implementation::DoubleAuction`] (a double
//! auction in demand schedules with those side payments) traders who play
//! their equilibrium schedules get exactly the mechanism's allocation.
//!
//! **5. Benchmarks and the frontier.** [`benchmarks::PlainDoubleAuction`]
//! is the paper's benchmark, the double auction *without* side payments
//! (and [`with_maximal_fees`](benchmarks::PlainDoubleAuction::with_maximal_fees),
//! with the largest participation fees); [`benchmarks::Frontier`] traces the
//! efficiency–revenue frontier of the α-optimal mechanisms and
//! [`benchmarks::frontier_at_efficiency`] finds the frontier mechanism as
//! efficient as a benchmark.
//!
//! ```
//! use exchange_design::prelude::*; // DirectMechanism: revenue, efficiency, interim rules
//! use exchange_design::benchmarks::{frontier_at_efficiency, PlainDoubleAuction};
//! use exchange_design::distribution::Uniform;
//! use exchange_design::implementation::{DoubleAuction, SidePayments};
//! use exchange_design::market::{Market, TraderClass};
//! use exchange_design::mechanism::OptimalMechanism;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // 1. Five traders, κ = 1/2, endowments uniform on [−1, 1].
//! let market = Market::new(vec![TraderClass::new(0.5, Uniform::new(-1.0, 1.0)?, 5)])?;
//!
//! // 2. The mechanism that maximises ½·revenue + ½·efficiency.
//! let mech = OptimalMechanism::solve(&market, 0.5)?;
//!
//! // 3. Revenue 16/27 and efficiency −13/27 (closed forms of Example 1);
//! //    the budget does not bind.
//! assert!((mech.revenue() - 16.0 / 27.0).abs() < 1e-10);
//! assert!((mech.efficiency() - -13.0 / 27.0).abs() < 1e-10);
//! assert_eq!(mech.lambda(), 0.0);
//! // Types in [−1/3, 1/3] expect to trade nothing; that is a third of them.
//! let class = mech.class(0);
//! let (z_a, z_b) = class.virtual_value().binding_interval();
//! assert!((z_b - 1.0 / 3.0).abs() < 1e-10 && (z_a + 1.0 / 3.0).abs() < 1e-10);
//! assert!((class.no_trade_probability() - 1.0 / 3.0).abs() < 1e-10);
//! assert_eq!(mech.interim_allocation(0, 0.2)?, 0.0);
//! // Efficiency is minus the total expected holding cost.
//! assert!((5.0 * class.holding_cost() + mech.efficiency()).abs() < 1e-12);
//!
//! // 4. The same outcome from a double auction with side payments S_i(p, q).
//! let rules = SidePayments::new(&mech)?;
//! let types = [0.9, -0.7, 0.1, -0.2, 0.5];
//! let outcome = DoubleAuction::new(&rules).run_equilibrium(&types)?;
//! for (q, x) in outcome.quantities().iter().zip(mech.allocation(&types)?) {
//!     assert!((q - x).abs() < 1e-12);
//! }
//! println!("side payment of class 0 at p = 0, q = 0.5: {}", rules.side_payment(0, 0.0, 0.5)?);
//!
//! // 5. The plain double auction with maximal fees raises 1/4 ...
//! let plain = PlainDoubleAuction::new(&market)?.with_maximal_fees();
//! assert!((plain.revenue() - 0.25).abs() < 1e-10);
//! // ... while the frontier mechanism of the same efficiency raises about twice that.
//! let best = frontier_at_efficiency(&market, plain.efficiency())?;
//! assert!(best.revenue() > 1.9 * plain.revenue());
//! # Ok(())
//! # }
//! ```
//!
//! **6. Before you deploy.** [`deployment::Design::assess`] judges the
//! designed auction under true distributions that differ from the
//! estimates (revenue, efficiency, who would stay away);
//! [`deployment::robust_fees()`] lowers the fees just enough to keep every
//! type in; [`deployment::bootstrap()`] gives percentile bands for a design
//! estimated from samples.
//!
//! # Examples
//!
//! * `cargo run --release --example paper` reproduces the paper's Example 1:
//!   the binding intervals, revenue and efficiency for several α, the
//!   plain double auction with and without fees, and the figures (interim
//!   allocations, the frontier, revenue and holding cost per trader) in
//!   `target/paper/`.
//! * `cargo run --release --example make_take_fees` tabulates and plots the
//!   side payments `S_i(p, q)` of four heterogeneous traders (make/take-style
//!   fees that implement the optimal mechanism), what traders of a few
//!   types pay, and checks the auction's revenue by Monte Carlo.
//! * `cargo run --release --example from_data -- DATA.csv` estimates each
//!   class's distribution from your observed positions (four methods, each
//!   fit reported) and solves the mechanism on each; without a file it runs
//!   a seeded demo. In code:
//!
//! ```
//! use exchange_design::prelude::*;
//! use exchange_design::estimation::{estimate, Method};
//! use exchange_design::market::{Market, TraderClass};
//! use exchange_design::mechanism::OptimalMechanism;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let observed: Vec<f64> = (0..500).map(|i| ((i as f64 * 0.618).fract() - 0.5) * 1.6).collect();
//! // The declared support [-1, 1] is the class's type space.
//! let d = estimate(Method::LogConcave, &observed, Some((-1.0, 1.0)))?;
//! let market = Market::new(vec![TraderClass::new(0.5, d, 4)])?;
//! let mech = OptimalMechanism::solve(&market, 0.5)?;
//! assert!(mech.interim_allocation(0, 0.99)?.is_finite());
//! # Ok(())
//! # }
//! ```
//!
//! * `cargo run --release --example solve -- SPEC.json` is a JSON front end:
//!   a market spec in, a report out ([`spec`]; the format is written down
//!   in `docs/spec.md`, with samples in `examples/specs/`).
//!
//! # Layers
//!
//! Layers, lowest first (nothing lower imports anything higher):
//! [`numerics`] → [`distribution`] → [`estimation`] → [`market`] → [`mechanism`] → [`benchmarks`] → [`spec`],
//! with [`implementation`] (Theorem 2's double auction) on top of [`mechanism`],
//! and [`deployment`] (the designed auction judged under a true market, robust
//! fees, the bootstrap) on top of [`implementation`] and [`estimation`], below
//! [`spec`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod benchmarks;
pub mod deployment;
pub mod distribution;
pub mod estimation;
pub mod implementation;
pub mod market;
pub mod mechanism;
pub mod numerics;
pub mod spec;

/// The traits whose methods every mechanism and distribution answers:
/// `use exchange_design::prelude::*;` brings them into scope, so that
/// `mech.revenue()`, `mech.interim_allocation(class, z)` and `dist.cdf(z)`
/// resolve.
///
/// A mechanism's revenue, efficiency, market and interim rules are the
/// methods of [`DirectMechanism`](mechanism::DirectMechanism) and live only
/// there (`docs/design.md`, "One home for the interim rules").
///
/// # Example
/// ```
/// use exchange_design::prelude::*;
/// use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
/// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let mech = OptimalMechanism::solve(&m, 1.0)?;
/// assert!(mech.revenue() > 0.0 && mech.efficiency() < 0.0);
/// assert_eq!(mech.market().n_traders(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod prelude {
    pub use crate::distribution::EndowmentDistribution;
    pub use crate::mechanism::DirectMechanism;
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
