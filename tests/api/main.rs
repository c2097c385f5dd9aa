//! Typed errors and API conventions: constructors reject bad input with the
//! documented variant, hostile input never panics, indexing and public names
//! follow one rule.
//!
//! One test binary: `cargo test --test api`.

#[path = "../common/mod.rs"]
mod common;

mod constructors;
mod hostile_input;
mod indexing;
mod public_names;
