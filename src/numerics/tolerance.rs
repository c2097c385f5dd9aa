//! Every numerical tolerance the crate uses, in one place.
//!
//! The values are chosen so that closed-form results (for example the paper's
//! Example 1) are reproduced to 1e-10 or better. A user who needs tighter or
//! looser settings passes a [`Tolerances`] to the solver configuration; the
//! functions that take no configuration use [`Tolerances::DEFAULT`].

/// Numerical tolerances used by root finders and quadrature.
///
/// Built from [`Tolerances::DEFAULT`] (or `default()`) and the `with_*`
/// methods; fields may be added, so the struct has no public literal. The
/// solver checks them when a solve starts ([`Tolerances::validate`]).
///
/// # Example
/// ```
/// use exchange_design::numerics::Tolerances;
/// let tol = Tolerances::DEFAULT.with_root_rel(1e-14);
/// assert!(tol.root_rel < Tolerances::DEFAULT.root_rel);
/// assert!(tol.validate().is_ok());
/// assert!(Tolerances::DEFAULT.with_quad_rel(f64::NAN).validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Tolerances {
    /// Relative tolerance on the argument of a scalar root (`|Δx| ≤ root_rel · scale`).
    ///
    /// It is also the tolerance on the level equations of a solve (the
    /// relative residual `SolveStatus::residual`, each equation against
    /// its own magnitude). Where rounding floors
    /// that residual above `root_rel` (markets whose risk capacities span
    /// orders of magnitude), a solve accepts up to
    /// [`Tolerances::rounding_allowance`] instead and says so in its status
    /// (`Termination::RoundingFloor`, with the tolerance met in
    /// `SolveStatus::tolerance`).
    pub root_rel: f64,
    /// Relative tolerance of the adaptive quadrature (local error estimate
    /// against the magnitude of the integral).
    pub quad_rel: f64,
    /// Absolute floor of the adaptive quadrature, in units of the integrand's scale.
    pub quad_abs: f64,
    /// Largest number of Newton steps of the dense variant
    /// (`SolverVariant::DenseNewton`) and of trial weights in the budget
    /// search; past it the solve returns `MechanismError::NotConverged`
    /// (dense Newton) or `MechanismError::BudgetNotBalanced` (budget
    /// search). The scalar roots (aggregate variant, inner levels) have
    /// their own cap, reported as `RootError::MaxIterations`.
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

/// A tolerance that cannot be met or means nothing: not a finite number in
/// `(0, 1)`, or an iteration cap of 0.
///
/// # Example
/// ```
/// use exchange_design::numerics::Tolerances;
/// let err = Tolerances::DEFAULT.with_root_rel(0.0).validate().unwrap_err();
/// assert_eq!(err.name, "root_rel");
/// assert!(err.to_string().contains("root_rel"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("tolerance {name} = {value}; it must be a finite number in (0, 1) (an iteration cap at least 1)")]
#[non_exhaustive]
pub struct InvalidTolerance {
    /// The field of [`Tolerances`] at fault.
    pub name: &'static str,
    /// The value given.
    pub value: f64,
}

impl Tolerances {
    /// The largest level residual a solve accepts where rounding floors it
    /// above `root_rel`: `1e3 · root_rel` (see [`Tolerances::root_rel`]).
    ///
    /// # Example
    /// ```
    /// use exchange_design::numerics::Tolerances;
    /// assert_eq!(Tolerances::DEFAULT.rounding_allowance(), 1e3 * Tolerances::DEFAULT.root_rel);
    /// ```
    pub fn rounding_allowance(&self) -> f64 {
        1e3 * self.root_rel
    }

    /// Checks that every tolerance is a finite number in `(0, 1)` and the
    /// iteration cap at least 1.
    ///
    /// # Errors
    /// [`InvalidTolerance`] naming the first field at fault.
    pub fn validate(&self) -> Result<(), InvalidTolerance> {
        let fields = [
            ("root_rel", self.root_rel),
            ("quad_rel", self.quad_rel),
            ("quad_abs", self.quad_abs),
            ("monotone_rel", self.monotone_rel),
            ("budget_rel", self.budget_rel),
            ("feasibility_rel", self.feasibility_rel),
            ("density_cdf_rel", self.density_cdf_rel),
        ];
        for (name, value) in fields {
            if !(value > 0.0 && value < 1.0) {
                return Err(InvalidTolerance { name, value });
            }
        }
        if self.max_outer_iterations == 0 {
            return Err(InvalidTolerance {
                name: "max_outer_iterations",
                value: 0.0,
            });
        }
        Ok(())
    }
}

macro_rules! with_fields {
    ($($(#[$doc:meta])* $with:ident: $field:ident: $ty:ty;)*) => {
        impl Tolerances {
            $(
                $(#[$doc])*
                #[must_use]
                pub const fn $with(mut self, $field: $ty) -> Self {
                    self.$field = $field;
                    self
                }
            )*
        }
    };
}

with_fields! {
    /// These tolerances with `root_rel` set.
    with_root_rel: root_rel: f64;
    /// These tolerances with `quad_rel` set.
    with_quad_rel: quad_rel: f64;
    /// These tolerances with `quad_abs` set.
    with_quad_abs: quad_abs: f64;
    /// These tolerances with `max_outer_iterations` set.
    with_max_outer_iterations: max_outer_iterations: usize;
    /// These tolerances with `monotone_rel` set.
    with_monotone_rel: monotone_rel: f64;
    /// These tolerances with `budget_rel` set.
    with_budget_rel: budget_rel: f64;
    /// These tolerances with `feasibility_rel` set.
    with_feasibility_rel: feasibility_rel: f64;
    /// These tolerances with `density_cdf_rel` set.
    with_density_cdf_rel: density_cdf_rel: f64;
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
/// tolerances on every support the crate's tests use. The bound a solve
/// reached is reported as `SolveStatus::ironing_bound`.
pub(crate) const IRONING_TOLERANCE: f64 = 1e-10;
