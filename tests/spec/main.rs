//! The JSON front end (`spec::json`): the sample specs of `examples/specs/`
//! and malformed or adversarial input.
//!
//! One test binary: `cargo test --test spec`.

#[path = "../common/mod.rs"]
mod common;

mod bad_json;
mod samples;
