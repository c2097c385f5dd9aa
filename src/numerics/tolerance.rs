//! Every numerical tolerance the crate uses, in one place.
//!
//! The values are chosen so that closed-form results (for example the paper's
//! Example 1) are reproduced to 1e-10 or better. A user who needs tighter or
//! looser settings passes a [`Tolerances`] to the solver configuration; the
//! functions that take no configuration use [`Tolerances::DEFAULT`].

/// Numerical tolerances used by root finders and quadrature.
///
/// # Example
/// ```
/// use exchange_design::numerics::Tolerances;
/// let tol = Tolerances { root_rel: 1e-14, ..Tolerances::DEFAULT };
/// assert!(tol.root_rel < Tolerances::DEFAULT.root_rel);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerances {
    /// Relative tolerance on the argument of a scalar root (`|Δx| ≤ root_rel · scale`).
    pub root_rel: f64,
    /// Relative tolerance of the adaptive quadrature (local error estimate
    /// against the magnitude of the integral).
    pub quad_rel: f64,
    /// Absolute floor of the adaptive quadrature, in units of the integrand's scale.
    pub quad_abs: f64,
    /// Largest number of iterations of the outer (aggregate) root before the
    /// solver reports non-convergence in its status.
    pub max_outer_iterations: usize,
    /// Relative slack allowed when checking monotonicity (Condition 2, Lemma 1).
    pub monotone_rel: f64,
    /// A revenue above `−budget_rel · Σ count·width²/κ` counts as budget
    /// balanced (rounding, not a deficit).
    pub budget_rel: f64,
    /// Relative tolerance (against `width²/κ`, the scale of a utility gain)
    /// of the gain comparisons in the Lemma 1 feasibility check.
    pub feasibility_rel: f64,
    /// Relative tolerance of the check that a user distribution's density
    /// integrates to its CDF's increments (`distribution::validate`): on
    /// each scan interval `|∫f − ΔF|` may be at most `density_cdf_rel · ΔF`
    /// (plus 64 units of rounding of a probability). A density that is
    /// wrong by 1 % over one scan interval is caught; a CDF computed to
    /// about 1e-10 is not rejected.
    pub density_cdf_rel: f64,
}

impl Tolerances {
    /// The defaults used throughout the crate.
    ///
    /// # Example
    /// ```
    /// use exchange_design::numerics::Tolerances;
    /// assert_eq!(Tolerances::default(), Tolerances::DEFAULT);
    /// assert!(Tolerances::DEFAULT.root_rel <= 1e-12);
    /// ```
    pub const DEFAULT: Tolerances = Tolerances {
        root_rel: 1e-13,
        quad_rel: 1e-13,
        quad_abs: 1e-15,
        max_outer_iterations: 200,
        monotone_rel: 1e-9,
        budget_rel: 1e-12,
        feasibility_rel: 1e-8,
        density_cdf_rel: 1e-4,
    };
}

impl Default for Tolerances {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Number of interior grid points used to scan a density for zeros and to
/// check Condition 2.
///
/// # Example
/// ```
/// assert!(exchange_design::numerics::SCAN_POINTS >= 1000);
/// ```
pub const SCAN_POINTS: usize = 2048;

/// Number of types per class on which the Lemma 1 feasibility check
/// (`mechanism::check_feasibility`) evaluates the interim rules.
///
/// # Example
/// ```
/// assert!(exchange_design::numerics::FEASIBILITY_GRID_POINTS > 100);
/// ```
pub const FEASIBILITY_GRID_POINTS: usize = 257;

/// The ironing's tolerance on the cumulative curve `G(u) = ∫_0^u g(F⁻¹)` of
/// an ironed virtual type, relative to the width of the support: the mesh is
/// refined until the computed curve's convex minorant is provably within
/// this of the exact one (see `docs/theory.md`, "Ironing"). The objective
/// then differs from the exact optimum's by at most `2 τ (hi − lo)` per
/// trader of the class, so `1e-10` keeps that error below the solve's own
/// tolerances on every support the crate's tests use.
///
/// # Example
/// ```
/// assert!(exchange_design::numerics::IRONING_TOLERANCE <= 1e-9);
/// ```
pub const IRONING_TOLERANCE: f64 = 1e-10;
