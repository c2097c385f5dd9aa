//! The designed auction deployed under a true market: assessment, robust
//! fees, the bootstrap and their JSON sections.
//!
//! One test binary: `cargo test --test deployment`.

#[path = "../common/mod.rs"]
mod common;

mod designed_auction;
