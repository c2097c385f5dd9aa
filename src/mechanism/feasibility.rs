//! Lemma 1 as a numerical check: a direct mechanism is feasible (IC and IR)
//! exactly when, for every trader, the interim allocation is weakly
//! decreasing, the interim transfer satisfies eq. (4) and the utility gain
//! of participation (eq. (3)) is nonnegative.
//!
//! [`check_feasibility`] evaluates the three conditions on a grid of types
//! per class. Eq. (4) is checked in two parts: the gain implied by the
//! transfer, `U(z) + z²/(2κ)` with `U(z) = −E[(z + X)² | z]/(2κ) − t̄(z)`,
//! must equal the mechanism's reported gain `G(z)`, and `G` must satisfy the
//! envelope condition `G(z) = G(lo) − (1/κ) ∫_lo^z x̄`.
//!
//! **Tolerance of the gain comparisons.** `feasibility_rel · width²/κ`
//! (the scale of a utility gain), plus what the check's own arithmetic can
//! resolve at that type: the gain implied by the transfer is a difference
//! of terms of size `|z x̄|/κ`, `E[X²|z]/(2κ)` and `|t̄|`, which for a
//! support far from zero are much larger than the gain (a class 0.08 wide
//! at z = 7 239 trading about 1 700 with a class at −1 670: terms of 5e4
//! against a tolerance of 2.5e-14), so their rounding,
//! [`ROUNDING_ULPS`] ulps of their sum, is added; likewise for the envelope
//! integral `∫ x̄/κ`. Without that floor the check reported eq. (4) violated
//! by 8e-12 on such markets (`ironing_search harsh 3000 8`, markets 2, 3
//! and 6), a limit of `f64`, not of the mechanism. The envelope integral
//! is asked for a tenth of the whole of that tolerance, floor included:
//! asked for a tenth of `feasibility_rel · width²/κ` alone, it reported
//! "could not be checked" on a class at z = −9 825 (1e-7 reached, 5e-8
//! asked, `ironing_search harsh 1000 161` market 5).

use super::{DirectMechanism, MechanismError};
use crate::distribution::feature_points;
use crate::numerics::{integrate_vec_checked, NumericalError, Tolerances, FEASIBILITY_GRID_POINTS};
use thiserror::Error;

/// Which condition of Lemma 1 fails, where, and by how much.
///
/// # Example
/// ```
/// use exchange_design::mechanism::FeasibilityViolation;
/// let v = FeasibilityViolation::IndividualRationality { class: 0, z: 0.0, gain: -0.01 };
/// assert!(v.to_string().contains("individual rationality"));
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum FeasibilityViolation {
    /// Condition 3 (IC): the interim allocation rises between two grid types.
    #[error("class {class}: the interim allocation increases from {x_low} at z = {z_low} to {x_high} at z = {z_high}; incentive compatibility needs it weakly decreasing in the type")]
    AllocationIncreasing {
        /// Class index.
        class: usize,
        /// The lower type.
        z_low: f64,
        /// The higher type.
        z_high: f64,
        /// Interim allocation at `z_low`.
        x_low: f64,
        /// Interim allocation at `z_high`.
        x_high: f64,
    },
    /// Condition 2, first part: the transfer does not deliver the reported gain.
    #[error("class {class}, z = {z}: the interim transfer implies a utility gain of {gain_from_transfer} but the mechanism reports {reported_gain}; the transfer does not satisfy eq. (4)")]
    TransferInconsistent {
        /// Class index.
        class: usize,
        /// The type.
        z: f64,
        /// `U(z) + z²/(2κ)` computed from the transfer and the allocation.
        gain_from_transfer: f64,
        /// The mechanism's `utility_gain(class, z)`.
        reported_gain: f64,
    },
    /// Condition 2, second part: the gain violates the envelope condition (3).
    #[error("class {class}, z = {z}: the utility gain is {gain} but eq. (3) gives G(lo) − (1/κ)∫x̄ = {envelope_gain}; the transfers are not those of an incentive-compatible mechanism")]
    EnvelopeViolated {
        /// Class index.
        class: usize,
        /// The type.
        z: f64,
        /// The gain implied by the transfer at `z`.
        gain: f64,
        /// `G(lo) − (1/κ) ∫_lo^z x̄`.
        envelope_gain: f64,
    },
    /// Condition 1 (IR): a type loses by taking part.
    #[error("class {class}, z = {z}: the utility gain of participation is {gain} < 0; individual rationality fails (lower the fee or transfer for this class)")]
    IndividualRationality {
        /// Class index.
        class: usize,
        /// The type.
        z: f64,
        /// Its utility gain.
        gain: f64,
    },
    /// The mechanism could not answer a query.
    #[error("class {class}, z = {z}: the mechanism could not be evaluated: {source}")]
    Query {
        /// Class index.
        class: usize,
        /// The type.
        z: f64,
        /// The mechanism's error.
        source: MechanismError,
    },
    /// A condition could not be checked to its tolerance: the integral of
    /// the interim allocation in the envelope condition (3) stopped short
    /// of the accuracy the check needs (an allocation too rough for the
    /// adaptive quadrature).
    #[error("class {class}, z = {z}: the envelope condition could not be checked: {source}")]
    Quadrature {
        /// Class index.
        class: usize,
        /// The upper end of the piece whose integral fell short.
        z: f64,
        /// The quadrature's diagnosis.
        source: NumericalError,
    },
    /// The mechanism returned NaN or an infinity.
    #[error("class {class}, z = {z}: the {what} is not finite")]
    NonFinite {
        /// Class index.
        class: usize,
        /// The type.
        z: f64,
        /// Which quantity.
        what: &'static str,
    },
}

/// Interim quantities of one class on the grid.
struct Row {
    z: f64,
    x: f64,
    gain_from_transfer: f64,
    reported_gain: f64,
    /// What `gain_from_transfer` and `reported_gain` can resolve: the
    /// rounding of the terms that make them (see the module documentation).
    rounding: f64,
}

/// Units in the last place, of the sum of the terms a gain is computed
/// from, that the gain comparisons allow for rounding: each term is itself
/// the result of a few dozen operations (centred moments, a transfer built
/// from them), and 64 ulps cover that with room.
const ROUNDING_ULPS: f64 = 64.0;

fn evaluate_row(
    mech: &dyn DirectMechanism,
    class: usize,
    kappa: f64,
    z: f64,
) -> Result<Row, FeasibilityViolation> {
    let q =
        |r: Result<f64, MechanismError>, what: &'static str| -> Result<f64, FeasibilityViolation> {
            let v = r.map_err(|source| FeasibilityViolation::Query { class, z, source })?;
            if v.is_finite() {
                Ok(v)
            } else {
                Err(FeasibilityViolation::NonFinite { class, z, what })
            }
        };
    let x = q(mech.interim_allocation(class, z), "interim allocation")?;
    let ex2 = q(
        mech.interim_second_moment(class, z),
        "interim second moment",
    )?;
    let t = q(mech.interim_transfer(class, z), "interim transfer")?;
    let g = q(mech.utility_gain(class, z), "utility gain")?;
    // U(z) = −E[(z + X)²]/(2κ) − t̄; gain = U + z²/(2κ).
    let gain_from_transfer = -(2.0 * z * x + ex2) / (2.0 * kappa) - t;
    let terms = (2.0 * z * x).abs() / (2.0 * kappa) + ex2.abs() / (2.0 * kappa) + t.abs() + g.abs();
    Ok(Row {
        z,
        x,
        gain_from_transfer,
        reported_gain: g,
        rounding: ROUNDING_ULPS * f64::EPSILON * terms,
    })
}

/// Checks Lemma 1 on a grid of types per class: [`FEASIBILITY_GRID_POINTS`]
/// evenly spaced types, the density's kinks, more types wherever the
/// density's bounds show it varying fast (so a narrow cluster of traders
/// between two grid points is checked too), and the mechanism's own
/// [`allocation_breaks`](DirectMechanism::allocation_breaks) (so the
/// envelope integral is split at every jump of the allocation it knows):
/// interim allocation weakly decreasing, transfers consistent with eq. (4),
/// and individual rationality. Returns the first violation found (class by
/// class, conditions in that order).
///
/// # Errors
/// A [`FeasibilityViolation`] naming the condition, the class and the type.
///
/// # Example
/// ```
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::{check_feasibility, OptimalMechanism};
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// check_feasibility(&OptimalMechanism::solve(&m, 0.5)?)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_feasibility(mech: &dyn DirectMechanism) -> Result<(), FeasibilityViolation> {
    let market = mech.market();
    let mono_rel = Tolerances::DEFAULT.monotone_rel;
    for (class, c) in market.classes().iter().enumerate() {
        let kappa = c.kappa();
        let (lo, hi) = c.distribution().support();
        let width = hi - lo;
        let gain_tol = Tolerances::DEFAULT.feasibility_rel * width * width / kappa;
        let mut grid = feature_points(c.distribution(), FEASIBILITY_GRID_POINTS);
        let breaks: Vec<f64> = mech
            .allocation_breaks(class)
            .into_iter()
            .filter(|z| *z >= lo && *z <= hi)
            .collect();
        // The last type before each kink and each break as well: where the
        // density steps, the allocation can step with it between two
        // adjacent doubles, and a grid holding the point alone compares it
        // only with types far below, whose allocation is larger anyway (a
        // rise of 7.7e-7 over the ulp before a table's end passed unseen).
        let before: Vec<f64> = c
            .distribution()
            .kinks()
            .iter()
            .chain(&breaks)
            .filter(|&&z| z > lo && z <= hi)
            .map(|z| z.next_down())
            .collect();
        grid.extend(breaks);
        grid.extend(before);
        grid.sort_by(f64::total_cmp);
        grid.dedup();
        let rows = grid
            .into_iter()
            .map(|z| evaluate_row(mech, class, kappa, z))
            .collect::<Result<Vec<_>, _>>()?;

        // Condition 3: weakly decreasing interim allocation.
        for w in rows.windows(2) {
            let scale = 1f64.max(w[0].x.abs()).max(width);
            if w[1].x > w[0].x + mono_rel * scale {
                return Err(FeasibilityViolation::AllocationIncreasing {
                    class,
                    z_low: w[0].z,
                    z_high: w[1].z,
                    x_low: w[0].x,
                    x_high: w[1].x,
                });
            }
        }

        // Condition 2a: the transfer delivers the reported gain.
        for r in &rows {
            if (r.gain_from_transfer - r.reported_gain).abs() > gain_tol + r.rounding {
                return Err(FeasibilityViolation::TransferInconsistent {
                    class,
                    z: r.z,
                    gain_from_transfer: r.gain_from_transfer,
                    reported_gain: r.reported_gain,
                });
            }
        }

        // Condition 2b: envelope condition (3), integrated piece by piece.
        let g_lo = rows[0].gain_from_transfer;
        let mut integral = 0.0;
        let mut integral_size = 0.0;
        for w in rows.windows(2) {
            let mut failure = None;
            let piece = integrate_vec_checked(
                |s| {
                    [match mech.interim_allocation(class, s) {
                        Ok(v) if v.is_finite() => v,
                        Ok(_) => {
                            failure.get_or_insert(FeasibilityViolation::NonFinite {
                                class,
                                z: s,
                                what: "interim allocation",
                            });
                            0.0
                        }
                        Err(source) => {
                            failure.get_or_insert(FeasibilityViolation::Query {
                                class,
                                z: s,
                                source,
                            });
                            0.0
                        }
                    }]
                },
                w[0].z,
                w[1].z,
                &Tolerances::DEFAULT,
            );
            if let Some(f) = failure {
                return Err(f);
            }
            let [value] = piece.value;
            let [magnitude] = piece.scale;
            integral += value;
            integral_size += value.abs();
            let r = &w[1];
            // What the comparison below can resolve (the gain tolerance
            // plus the rounding of the terms it compares). The piece is
            // needed to a tenth of that (times κ), no finer: `error` is
            // relative to `∫|x̄|` over the piece.
            let rounding = rows[0].rounding
                + r.rounding
                + ROUNDING_ULPS * f64::EPSILON * integral_size / kappa;
            let needed = 0.1 * (gain_tol + rounding) * kappa / magnitude.max(f64::MIN_POSITIVE);
            if piece.error > needed {
                return Err(FeasibilityViolation::Quadrature {
                    class,
                    z: w[1].z,
                    source: NumericalError::QuadratureNotConverged {
                        what: "the interim allocation (envelope condition (3))",
                        error: piece.error,
                        needed,
                    },
                });
            }
            let envelope_gain = g_lo - integral / kappa;
            if (r.gain_from_transfer - envelope_gain).abs() > gain_tol + rounding {
                return Err(FeasibilityViolation::EnvelopeViolated {
                    class,
                    z: r.z,
                    gain: r.gain_from_transfer,
                    envelope_gain,
                });
            }
        }

        // Condition 1: individual rationality.
        for r in &rows {
            if r.gain_from_transfer < -(gain_tol + r.rounding) {
                return Err(FeasibilityViolation::IndividualRationality {
                    class,
                    z: r.z,
                    gain: r.gain_from_transfer,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::Uniform;
    use crate::market::Market;
    use crate::mechanism::OptimalMechanism;
    use std::sync::Mutex;

    /// Records the types `check_feasibility` asks about.
    struct Recording {
        inner: OptimalMechanism,
        asked: Mutex<Vec<f64>>,
    }

    impl DirectMechanism for Recording {
        fn market(&self) -> &crate::market::Market {
            self.inner.market()
        }
        fn revenue(&self) -> f64 {
            self.inner.revenue()
        }
        fn efficiency(&self) -> f64 {
            self.inner.efficiency()
        }
        fn interim_allocation(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
            self.asked.lock().unwrap().push(z);
            self.inner.interim_allocation(class, z)
        }
        fn interim_second_moment(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
            self.inner.interim_second_moment(class, z)
        }
        fn interim_transfer(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
            self.inner.interim_transfer(class, z)
        }
        fn utility_gain(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
            self.inner.utility_gain(class, z)
        }
    }

    /// A mechanism whose interim allocation carries a ripple far too fast
    /// for the adaptive quadrature (10⁵ periods between grid points, a
    /// hundredth of the support's width high): the envelope condition
    /// cannot be checked to its tolerance, and says so instead of passing
    /// or failing on an integral of unknown accuracy.
    struct Rippled(OptimalMechanism);

    impl DirectMechanism for Rippled {
        fn market(&self) -> &crate::market::Market {
            self.0.market()
        }
        fn revenue(&self) -> f64 {
            self.0.revenue()
        }
        fn efficiency(&self) -> f64 {
            self.0.efficiency()
        }
        fn interim_allocation(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
            // Zero (to rounding) on the check's grid, lo + k/128 here, so
            // only the integrals between grid points see it.
            let ripple = (std::f64::consts::PI * 1e5 * (z + 1.0) * 128.0).sin();
            Ok(self.0.interim_allocation(class, z)? + 2e-2 * ripple)
        }
        fn interim_second_moment(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
            self.0.interim_second_moment(class, z)
        }
        fn interim_transfer(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
            self.0.interim_transfer(class, z)
        }
        fn utility_gain(&self, class: usize, z: f64) -> Result<f64, MechanismError> {
            self.0.utility_gain(class, z)
        }
    }

    #[test]
    fn an_envelope_integral_short_of_its_accuracy_is_a_typed_error() {
        let m = Market::symmetric(3, 1.0, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
        let mech = OptimalMechanism::solve(&m, 0.5).unwrap();
        check_feasibility(&mech).unwrap();
        match check_feasibility(&Rippled(mech)) {
            Err(FeasibilityViolation::Quadrature {
                class: 0,
                source: NumericalError::QuadratureNotConverged { error, needed, .. },
                ..
            }) => assert!(error > needed, "{error} {needed}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_grid_runs_from_the_bottom_to_exactly_the_top_of_the_support() {
        // 0.7 + (2.9 − 0.7) rounds to 4.4e-16 above 2.9: a last point
        // computed as lo + width would leave the support.
        let (lo, hi) = (0.7, 2.9);
        assert!(lo + (hi - lo) > hi);
        let m = Market::symmetric(3, 1.0, Uniform::new(lo, hi).unwrap()).unwrap();
        let rec = Recording {
            inner: OptimalMechanism::solve(&m, 0.5).unwrap(),
            asked: Mutex::new(Vec::new()),
        };
        check_feasibility(&rec).unwrap();
        // The grid comes first (later checks integrate between its points).
        let asked = rec.asked.into_inner().unwrap();
        let asked = &asked[..FEASIBILITY_GRID_POINTS];
        assert_eq!(asked[0], lo);
        assert_eq!(*asked.last().unwrap(), hi);
        assert!(asked.windows(2).all(|w| w[0] < w[1]));
    }

    /// Class 0 of `ironing_search harsh 3000 8`, market 3 (a normal 0.08
    /// wide at z = 7 239, κ = 240), trading with a uniform class 0.01 wide
    /// at −1 670: the gain implied by the transfer is a difference of terms
    /// near 5e4, and rounding alone separates it from the reported gain by
    /// far more than `feasibility_rel · width²/κ` (2.5e-14). The check
    /// allows for that rounding and passes: on 65 types the discrepancy is
    /// within 64 ulps of the terms, and above the old tolerance.
    #[test]
    fn the_gain_comparison_allows_for_the_rounding_of_its_terms() {
        use crate::distribution::TruncatedNormal;
        use crate::market::TraderClass;
        let m = Market::new(vec![
            TraderClass::new(
                239.61366520176188,
                TruncatedNormal::new(
                    7238.938595190268,
                    0.0023934886485274883,
                    7238.875938617429,
                    7238.953843603295,
                )
                .unwrap(),
                1,
            ),
            TraderClass::new(
                1.0924330557428328,
                Uniform::new(-1670.37, -1670.36).unwrap(),
                1,
            ),
        ])
        .unwrap();
        let mech = OptimalMechanism::solve(&m, 0.44966205060323605).unwrap();
        check_feasibility(&mech).unwrap();
        let (lo, hi) = m.classes()[0].distribution().support();
        let kappa = m.classes()[0].kappa();
        let old_tol = Tolerances::DEFAULT.feasibility_rel * (hi - lo) * (hi - lo) / kappa;
        let mut worst: f64 = 0.0;
        for k in 0..=64 {
            let z = lo + (hi - lo) * k as f64 / 64.0;
            let r = evaluate_row(&mech, 0, kappa, z).unwrap();
            let gap = (r.gain_from_transfer - r.reported_gain).abs();
            assert!(
                gap <= r.rounding,
                "z = {z}: {gap:e} beyond {:e}",
                r.rounding
            );
            worst = worst.max(gap);
        }
        // The old tolerance was below what the arithmetic resolves.
        assert!(worst > old_tol, "{worst:e} against {old_tol:e}");
    }
}
