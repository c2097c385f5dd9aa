//! Before you deploy: the designed exchange judged under the markets it may
//! really face.
//!
//! A design is computed for *estimated* distributions of the traders'
//! endowments. This layer (above [`implementation`](crate::implementation))
//! asks what happens when the truth is different:
//!
//! * [`assessment`]: the designed auction (schedules, side payments and fees
//!   unchanged) under a true market, exactly, by quadrature: revenue,
//!   efficiency, objective, and per class the interim gain of taking part,
//!   its minimum, who would stay away and the mean gain.
//! * [`mod@robust_fees`]: the participation fees lowered by the least amount
//!   that keeps every type of every class in under every plausible market.
//! * [`mod@bootstrap`]: for classes given by samples, resampled, re-estimated
//!   and re-solved designs: percentile bands of the designed numbers, and
//!   the full-sample design assessed under each replicate.
//! * [`mod@fee_table`]: a class's side payment `S_i(p, q)` tabulated on a grid,
//!   ready to publish.
//!
//! The assessment relies on the auction's equilibrium being ex post: the
//! schedule `q_i(p) = −V_i(z) − w_i p` is a best response to every
//! realisation of the others' schedules, so it remains the traders' play
//! whatever the true distributions are. The direct mechanism with interim
//! transfers does not have this property and is not what is assessed.
//!
//! # Example
//! ```
//! use exchange_design::deployment::{robust_fees, Design};
//! use exchange_design::distribution::{EndowmentDistribution, Triangular, Uniform};
//! use exchange_design::market::Market;
//! use exchange_design::mechanism::OptimalMechanism;
//! use std::sync::Arc;
//! let m = Market::symmetric(4, 0.5, Uniform::new(-1.0, 1.0)?)?;
//! let design = Design::new(OptimalMechanism::solve(&m, 0.5)?)?;
//! let up: Arc<dyn EndowmentDistribution> = Arc::new(Triangular::new(-1.0, 0.5, 1.0)?);
//! let a = design.assess(&[up.clone()])?;
//! assert!(a.class(0).min_gain() < 0.0); // some types would stay away
//! let fees = robust_fees(&design, &[vec![up]])?;
//! assert!(fees.fees()[0] < design.fees()[0]);
//! assert!(fees.assessments()[0].class(0).min_gain() >= -1e-12);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod assessment;
pub mod bootstrap;
mod error;
pub mod fee_table;
mod percentiles;
pub mod robust_fees;

pub use self::assessment::{Assessment, ClassAssessment, Design, GainCurve, GAIN_TOLERANCE};
pub use self::bootstrap::{bootstrap, Bootstrap, BootstrapConfig, SampledClass};
pub use self::error::DeploymentError;
pub use self::fee_table::{fee_table, FeeTable};
pub use self::percentiles::{percentile, Band};
pub use self::robust_fees::{robust_fees, RobustFees};
