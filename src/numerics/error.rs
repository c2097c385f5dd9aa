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

/// A configuration value outside what it may be: which parameter, the value
/// given and what is allowed. The configuration errors of the
/// implementation, benchmark and deployment layers carry it as their
/// `InvalidConfig`/`InvalidOption` variant.
///
/// # Example
/// ```
/// use exchange_design::deployment::{bootstrap, BootstrapConfig, DeploymentError};
/// let config = BootstrapConfig { replicates: 0, ..BootstrapConfig::default() };
/// let err = bootstrap(&[], 0.5, &config, &|_, _| {}).unwrap_err();
/// let DeploymentError::InvalidConfig(p) = &err else { panic!("{err}") };
/// assert_eq!((p.name, p.value), ("replicates", 0.0));
/// assert!(err.to_string().contains("replicates = 0; give at least 1"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Error)]
#[error("{name} = {value}; {allowed}")]
#[non_exhaustive]
pub struct InvalidParameter {
    /// The parameter (the field of its configuration, where it has one).
    pub name: &'static str,
    /// The value given (a count as a number).
    pub value: f64,
    /// What is allowed, worded as what to give instead (for example
    /// "give at least 1 replicate (1000 is usual)").
    pub allowed: &'static str,
}

impl InvalidParameter {
    /// The parameter `name`, its `value` and what is `allowed`.
    pub(crate) const fn new(name: &'static str, value: f64, allowed: &'static str) -> Self {
        Self {
            name,
            value,
            allowed,
        }
    }
}
