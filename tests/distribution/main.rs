//! The endowment distribution families and the trait's default methods,
//! against textbook densities and closed forms.
//!
//! One test binary: `cargo test --test distribution`.

#[path = "../common/mod.rs"]
mod common;

mod beta;
mod mixture;
mod piecewise_linear;
mod triangular;
mod truncated_normal;
mod user_defined;
