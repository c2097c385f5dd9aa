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
//! Layers, lowest first (nothing lower imports anything higher):
//! [`numerics`] → [`distribution`] → [`market`] → [`mechanism`] → [`benchmarks`] → [`spec`],
//! with [`implementation`] (Theorem 2's double auction) on top of [`mechanism`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod benchmarks;
pub mod distribution;
pub mod implementation;
pub mod market;
pub mod mechanism;
pub mod numerics;
pub mod spec;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
