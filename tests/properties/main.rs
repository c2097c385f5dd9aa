//! Laws of the model on random markets (proptest; `PROPTEST_CASES` raises the
//! case count).
//!
//! One test binary: `cargo test --test properties`.

#[path = "../common/mod.rs"]
mod common;

mod laws;
