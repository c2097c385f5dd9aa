//! Numerical building blocks: tolerances, quadrature, scalar roots and the
//! one special function the crate computes itself (`erfcx`).
//!
//! This is the lowest layer of the crate; it knows nothing about markets or
//! mechanisms.

mod erfcx;
mod error;
pub(crate) mod parallel;
mod quadrature;
mod roots;
mod segments;
mod tolerance;

pub(crate) use self::erfcx::erfcx;
pub use self::error::{InvalidParameter, NumericalError};
#[cfg(test)]
pub(crate) use self::quadrature::with_panel_cap;
pub(crate) use self::quadrature::{
    integrate_pieces_checked, integrate_pieces_with_mass, integrate_vec_checked,
    integrate_vec_with_mass, node_resolution, Integral, KnownMass,
};
pub(crate) use self::roots::{
    brent, brent_until, first_double_reached, newton_bracketed, newton_increasing,
};
pub use self::roots::{RootError, RootMethod};
pub(crate) use self::segments::SegmentIndex;
pub(crate) use self::tolerance::IRONING_TOLERANCE;
pub use self::tolerance::{InvalidTolerance, Tolerances, FEASIBILITY_GRID_POINTS, SCAN_POINTS};
