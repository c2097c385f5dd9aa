//! The α-optimal exchange direct mechanism (the paper's Theorem 1) and the
//! first best (Lemma 2, Proposition 1).
//!
//! [`OptimalMechanism::solve`] is the entry point. The mechanism it returns
//! exposes the weight `β = (α + λ)/(1 + λ)` and the budget multiplier `λ`,
//! revenue (eq. (5)) and efficiency, and per class the level `η_i`, the
//! binding interval, the virtual value, the participation multiplier `Ω_i`,
//! the interim allocation and transfer (Corollary 1.2, eq. (4)) and the
//! utility gain of participation (eq. (3)).
//!
//! **Indexing convention** (the same across the crate, as for slices):
//! `class(i)` on [`OptimalMechanism`],
//! [`SidePayments`](crate::implementation::SidePayments) and
//! [`PlainDoubleAuction`](crate::benchmarks::PlainDoubleAuction) panics when
//! `i` is out of range, `get_class(i)` returns `None` instead, and
//! `classes()` gives the slice. Methods that take a class index together
//! with other input and already return a `Result` (such as
//! [`interim_allocation`](DirectMechanism::interim_allocation)) report an out-of-range index
//! as an error.

mod budget;
mod class;
mod config;
mod direct;
mod error;
mod evaluate;
mod feasibility;
mod first_best;
mod ironing;
mod levels;
mod optimal;
mod pools;
mod solve;
mod status;
mod transfers;
mod virtual_value;
mod welfare;

pub use self::class::ClassSolution;
pub use self::config::{SolverConfig, SolverVariant};
pub use self::direct::DirectMechanism;
pub use self::error::{IroningError, MechanismError, NotApplicable, QueryError, VirtualTypeSide};
pub use self::feasibility::{check_feasibility, FeasibilityViolation};
pub use self::first_best::{means_proportional_to_kappa, FirstBest};
pub use self::optimal::OptimalMechanism;
pub use self::pools::{Pool, NEGLIGIBLE_POOL};
pub use self::solve::{Budget, SolveBuilder};
pub use self::status::{SolveStatus, Termination};
pub use self::virtual_value::VirtualValue;
