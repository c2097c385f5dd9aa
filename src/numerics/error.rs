//! The numerical failures shared by the layers above: a root that could not
//! be found, a quantity that came out non-finite.

use super::RootError;
use thiserror::Error;

/// A numerical computation failed. The error types of the mechanism,
/// implementation and benchmark layers wrap it once, as their `Numerical`
/// variant, each with its own advice.
///
/// # Example
/// ```
/// use exchange_design::numerics::NumericalError;
/// let e = NumericalError::NonFinite { what: "revenue" };
/// assert_eq!(e.to_string(), "the computed revenue is not finite");
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum NumericalError {
    /// A scalar root could not be found.
    #[error("{stage}: {source}")]
    Root {
        /// Which computation failed.
        stage: &'static str,
        /// The root finder's diagnosis.
        source: RootError,
    },
    /// A computed quantity is not finite.
    #[error("the computed {what} is not finite")]
    NonFinite {
        /// Which quantity.
        what: &'static str,
    },
    /// An adaptive quadrature stopped at its panel cap (or at panels a few
    /// floats wide) short of the accuracy its caller needs.
    #[error("the integral of {what} reached a relative accuracy of {error:e}, short of the {needed:e} it needs: the integrand varies too fast for the adaptive rule's panels (smooth it, or give the density's kinks)")]
    QuadratureNotConverged {
        /// Which integral.
        what: &'static str,
        /// The estimated relative error reached.
        error: f64,
        /// The relative error the caller needs.
        needed: f64,
    },
}
