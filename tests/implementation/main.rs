//! Implementing the mechanism: the double auction with side payments, best
//! responses, and the plain double auction.
//!
//! One test binary: `cargo test --test implementation`.

#[path = "../common/mod.rs"]
mod common;

mod best_response;
mod double_auction;
mod side_payments;
