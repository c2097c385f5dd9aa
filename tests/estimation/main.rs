//! Estimating distributions from samples: kernel density, log-concave MLE,
//! parametric fits, their errors and consistency.
//!
//! One test binary: `cargo test --test estimation`.

#[path = "../common/mod.rs"]
mod common;

mod consistency;
mod errors;
mod kde;
mod log_concave;
mod parametric;
