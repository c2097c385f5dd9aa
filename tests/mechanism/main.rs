//! The optimal mechanism: hand-built markets and the paper's worked example,
//! ironing, the frontier, work counts, and the checks independent of the
//! mechanism code (welfare by quadrature, incentive compatibility, brute-
//! force optimality, perturbations).
//!
//! One test binary: `cargo test --test mechanism`.

#[path = "../common/mod.rs"]
mod common;

mod brute_force;
mod frontier;
mod hand_built;
mod incentive_compatibility;
mod ironing;
mod perturbations;
mod pools;
mod welfare;
mod work_counts;
mod worked_example;
