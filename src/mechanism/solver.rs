//! The solver for the levels `η_i` of Theorem 1 at a given weight `β`, and
//! the search for the budget-balancing weight.
//!
//! Three interchangeable variants (see `docs/theory.md` §3):
//!
//! * [`SolverVariant::Aggregate`] (default): one outer scalar root in the
//!   aggregate `S = Σ_j E[V_j]` (Brent's method from the `roots` crate), with
//!   one inner scalar root per class for its `η`. `O(classes)` work per outer
//!   step; identical traders share their inner root.
//! * [`SolverVariant::DenseNewton`]: Newton's method on the whole vector of
//!   `η` (one entry per trader), the paper's own system (14)–(18), with the
//!   dense Jacobian factorised by `nalgebra`. `O(N³)` per step: a cross-check
//!   for small markets.
//! * [`SolverVariant::UniformLinear`]: Corollary 1.1. For uniform
//!   endowments the system is linear in `η` and is solved in one dense LU
//!   factorisation; it applies while every binding interval is interior.

use super::ironing::VirtualTypes;
use super::virtual_value::{at_eta, mean_range, AtEta};
use super::MechanismError;
use crate::distribution::EndowmentDistribution;
use crate::market::Market;
use crate::numerics::{brent, newton_increasing, parallel, RootError, RootMethod, Tolerances};
use nalgebra::{DMatrix, DVector};
use std::cell::RefCell;
use std::fmt;

/// Which algorithm solves for the levels `η`.
///
/// # Example
/// ```
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::{OptimalMechanism, SolverConfig, SolverVariant};
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// for variant in [SolverVariant::Aggregate, SolverVariant::DenseNewton, SolverVariant::UniformLinear] {
///     let cfg = SolverConfig { variant, ..Default::default() };
///     let mech = OptimalMechanism::solve_with(&m, 1.0, &cfg)?;
///     assert!((mech.class(0).binding_interval().1 - 0.5).abs() < 1e-10);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SolverVariant {
    /// One outer scalar root over the aggregate, inner roots per class: `O(N)`.
    #[default]
    Aggregate,
    /// Damped Newton on the `N`-vector `η` with a dense LU (`O(N³)` per step).
    DenseNewton,
    /// Corollary 1.1: the explicit linear system for all-uniform markets.
    UniformLinear,
}

/// Solver settings.
///
/// # Example
/// ```
/// use exchange_design::distribution::Uniform;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::{OptimalMechanism, SolverConfig, SolverVariant};
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let cfg = SolverConfig { variant: SolverVariant::DenseNewton, ..SolverConfig::default() };
/// let a = OptimalMechanism::solve_with(&m, 0.5, &cfg)?;
/// let b = OptimalMechanism::solve(&m, 0.5)?;
/// assert!((a.revenue() - b.revenue()).abs() < 1e-10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SolverConfig {
    /// The algorithm for the levels `η`.
    pub variant: SolverVariant,
    /// The method for the inner scalar roots (levels and binding intervals).
    pub inner: RootMethod,
    /// The method for the outer root in the aggregate `S` (aggregate variant).
    pub outer: RootMethod,
    /// Tolerances.
    pub tolerances: Tolerances,
}

/// How a solve went: iterations spent and the final residual of the
/// fixed-point equations `η_i = κ_i/(K − κ_i) Σ_{j≠i} E[V_j]`, relative to
/// the scale of the types.
///
/// # Example
/// ```
/// # use exchange_design::{distribution::Uniform, market::Market, mechanism::OptimalMechanism};
/// let m = Market::symmetric(5, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap();
/// let s = OptimalMechanism::solve(&m, 0.3).unwrap().status().clone();
/// assert!(s.converged && s.residual < 1e-10);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SolveStatus {
    /// Outer iterations (aggregate: evaluations of the outer function;
    /// dense Newton: Newton steps), summed over the budget search.
    pub outer_iterations: usize,
    /// Solves at trial weights spent by the budget search (0 if the budget
    /// did not bind).
    pub budget_iterations: usize,
    /// Largest relative residual of the `η` equations at the solution.
    pub residual: f64,
    /// Whether the residual met the tolerance.
    pub converged: bool,
    /// A bound on how far the ironing can have moved the objective, summed
    /// over traders: each ironed class contributes `2 δ (hi − lo)` per
    /// trader, with `δ` the sup-norm bound on its cumulative curve `G`
    /// (`docs/theory.md`, "Ironing"), in the units of the β-weighted
    /// virtual surplus `∫ (g V − V²/2) f` (type²). 0 when no class needed
    /// ironing.
    pub ironing_bound: f64,
}

impl fmt::Display for SolveStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} outer iterations, {} budget iterations, relative residual {:e}",
            self.outer_iterations, self.budget_iterations, self.residual
        )
    }
}

/// One class as the solver sees it.
pub(crate) struct ClassInput<'a> {
    pub dist: &'a dyn EndowmentDistribution,
    pub count: f64,
    /// Risk capacity `κ`.
    pub kappa: f64,
    /// `c = κ/(K − κ)`.
    pub c: f64,
    /// Scale of the class's types (support width and magnitude).
    pub scale: f64,
}

pub(crate) fn class_inputs(market: &Market) -> Vec<ClassInput<'_>> {
    let k_total = market.total_kappa();
    market
        .classes()
        .iter()
        .map(|c| {
            let (lo, hi) = c.distribution().support();
            ClassInput {
                dist: c.distribution(),
                count: c.count() as f64,
                kappa: c.kappa(),
                c: c.kappa() / (k_total - c.kappa()),
                scale: (hi - lo).max(lo.abs()).max(hi.abs()),
            }
        })
        .collect()
}

/// The solution of the level equations at one `β`.
#[derive(Debug, Clone)]
pub(crate) struct Levels {
    pub classes: Vec<AtEta>,
    /// `S = Σ_traders E[V]`.
    pub sum: f64,
}

fn root_err(stage: &'static str) -> impl Fn(RootError) -> MechanismError {
    move |source| MechanismError::Root { stage, source }
}

/// Largest relative residual of `η_k = c_k (S − m_k)`.
pub(crate) fn residual(inputs: &[ClassInput<'_>], levels: &Levels) -> f64 {
    inputs
        .iter()
        .zip(&levels.classes)
        .map(|(inp, at)| {
            let target = inp.c * (levels.sum - at.mean);
            (at.eta - target).abs() / inp.scale
        })
        .fold(0.0, f64::max)
}

/// Solves class `inp`'s level equation `η + c m(η) = c S`.
fn inner_level(
    inp: &ClassInput<'_>,
    types: &VirtualTypes,
    sum: f64,
    warm: &AtEta,
    config: &SolverConfig,
) -> Result<AtEta, RootError> {
    let (m_lo, m_hi) = mean_range(inp.dist, types.beta);
    // The exact bracket is [c (S − m_hi), c (S − m_lo)]; m saturates beyond
    // it, so widening by a hair keeps the end signs strict under rounding.
    let pad = 1e-9 * inp.scale.max(inp.c * sum.abs());
    // Inner roots are solved tighter than the outer one, so the outer
    // function is smooth at the outer tolerance.
    let rel = (1e-2 * config.tolerances.root_rel).max(4.0 * f64::EPSILON);
    let a = inp.c * (sum - m_hi) - pad;
    let b = inp.c * (sum - m_lo) + pad;
    // Guesses for the interval ends come from the warm state; its level is
    // marked unknown so that a state from another weight or aggregate is
    // never returned as if it had been evaluated here.
    let mut last = AtEta {
        eta: f64::NAN,
        ..*warm
    };
    let mut err = None;
    // The level function g(η) = η + c m(η) − c S has g' = 1 + c m' ≥ 1 (m
    // does not decrease), so |η − η*| ≤ |g(η)|: a residual within the
    // root tolerance proves convergence, and η is returned as it stands
    // (reported to Newton as an exact zero), without a confirming probe.
    let done = rel * inp.scale;
    let mut eval = |eta: f64| -> (f64, f64) {
        match at_eta(inp.dist, types, eta, (last.za, last.zb), rel, config.inner) {
            Ok(at) => {
                last = at;
                let g = eta + inp.c * at.mean - inp.c * sum;
                (
                    if g.abs() <= done { 0.0 } else { g },
                    1.0 + inp.c * at.slope,
                )
            }
            Err(e) => {
                err.get_or_insert(e);
                (f64::NAN, f64::NAN)
            }
        }
    };
    let eta = if b - a <= 2.0 * pad + rel * inp.scale {
        0.5 * (a + b)
    } else {
        let start = if warm.eta.is_finite() {
            // One Newton step from the warm state, which costs nothing: its
            // level, mean and slope are known (they belong to another
            // aggregate or weight, so this is only a guess).
            let g = warm.eta + inp.c * warm.mean - inp.c * sum;
            warm.eta - g / (1.0 + inp.c * warm.slope)
        } else {
            0.5 * (a + b)
        };
        let r = match config.inner {
            // g(a) < 0 < g(b) by construction of the padded bracket.
            RootMethod::Newton => newton_increasing(&mut eval, a, b, start, rel, inp.scale),
            RootMethod::Brent => brent(|x| eval(x).0, a, b, rel, inp.scale),
        };
        if let Some(e) = err {
            return Err(e);
        }
        r?
    };
    // The state at the last evaluated point is within the tolerance of the
    // root; reuse it rather than evaluating again.
    if (last.eta - eta).abs() <= rel * inp.scale.max(eta.abs()) {
        Ok(last)
    } else {
        at_eta(inp.dist, types, eta, (last.za, last.zb), rel, config.inner)
    }
}

/// Initial guesses: first best levels, binding intervals at the middle.
pub(crate) fn cold_start(inputs: &[ClassInput<'_>]) -> Vec<AtEta> {
    inputs
        .iter()
        .map(|inp| {
            let (lo, hi) = inp.dist.support();
            AtEta {
                eta: f64::NAN,
                za: 0.5 * (lo + hi),
                zb: 0.5 * (lo + hi),
                mean: inp.dist.mean(),
                slope: 0.0,
            }
        })
        .collect()
}

/// The aggregate variant.
fn solve_aggregate(
    inputs: &[ClassInput<'_>],
    types: &[VirtualTypes],
    warm: &mut [AtEta],
    config: &SolverConfig,
    status: &mut SolveStatus,
) -> Result<f64, MechanismError> {
    let classes: Vec<(&ClassInput<'_>, &VirtualTypes)> = inputs.iter().zip(types).collect();
    let (mut s_lo, mut s_hi, mut scale) = (0.0, 0.0, 0.0);
    for (inp, ty) in &classes {
        let (a, b) = mean_range(inp.dist, ty.beta);
        s_lo += inp.count * a;
        s_hi += inp.count * b;
        scale += inp.count * inp.scale;
    }
    if !(s_lo.is_finite() && s_hi.is_finite() && scale.is_finite()) {
        return Err(MechanismError::NonFinite {
            what: "range of the aggregate virtual value (types or counts too large)",
        });
    }
    let rel = config.tolerances.root_rel;
    // As for the inner roots: the aggregate saturates outside its exact
    // bracket, so a small pad makes the end signs strict.
    let width = s_hi - s_lo;
    let degenerate = width <= rel * scale;
    let pad = 1e-9 * scale;
    let (s_lo, s_hi) = (s_lo - pad, s_hi + pad);
    // Warm start for the outer Newton: the aggregate of the current state.
    let start = inputs
        .iter()
        .zip(warm.iter())
        .map(|(inp, w)| inp.count * w.mean)
        .sum::<f64>()
        .clamp(s_lo, s_hi);
    let err: RefCell<Option<MechanismError>> = RefCell::new(None);
    // Φ(S) = Σ count·m_k(η_k(S)) − S and its slope
    // Φ'(S) = Σ count·p_k c_k/(1 + c_k p_k) − 1 < 0.
    let mut phi = |s: f64| -> (f64, f64) {
        status.outer_iterations += 1;
        // The classes' roots in parallel; the sums serially, in order.
        let solved = parallel::update(&classes, warm, |(inp, ty), w| {
            *w = inner_level(inp, ty, s, w, config)?;
            Ok(())
        });
        if let Err(e) = solved {
            err.borrow_mut()
                .get_or_insert(root_err("inner level root")(e));
            return (f64::NAN, f64::NAN);
        }
        let (mut total, mut slope) = (0.0, -1.0);
        for (inp, at) in inputs.iter().zip(warm.iter()) {
            total += inp.count * at.mean;
            slope += inp.count * at.slope * inp.c / (1.0 + inp.c * at.slope);
        }
        (total - s, slope)
    };
    // Where Φ was last evaluated: the per-class state belongs to it.
    let mut at = f64::NAN;
    // −Φ' ≥ 1, so |S − S*| ≤ |Φ(S)|: a residual below the tolerance proves
    // convergence, and the state at S is the answer (no probe, no re-run).
    let done = rel * scale;
    let sum = if degenerate {
        0.5 * (s_lo + s_hi)
    } else {
        let r = match config.outer {
            RootMethod::Newton => {
                // −Φ increases; the padded bracket fixes the end signs.
                newton_increasing(
                    |s| {
                        let (v, d) = phi(s);
                        at = s;
                        if v.abs() <= done {
                            (0.0, -d)
                        } else {
                            (-v, -d)
                        }
                    },
                    s_lo,
                    s_hi,
                    start,
                    rel,
                    scale,
                )
            }
            RootMethod::Brent => brent(|s| phi(s).0, s_lo, s_hi, rel, scale),
        };
        if let Some(e) = err.borrow_mut().take() {
            return Err(e);
        }
        r.map_err(root_err("outer aggregate root"))?
    };
    // Make the per-class state consistent with the accepted aggregate.
    if at != sum {
        let _ = phi(sum);
    }
    if let Some(e) = err.into_inner() {
        return Err(e);
    }
    Ok(sum)
}

/// Per-trader expansion used by the dense variants: (class index, input).
fn expand(inputs: &[ClassInput<'_>]) -> Result<Vec<usize>, MechanismError> {
    let n: f64 = inputs.iter().map(|i| i.count).sum();
    if n > 20_000.0 {
        return Err(MechanismError::VariantNotApplicable {
            variant: SolverVariant::DenseNewton,
            reason: format!(
                "{n} traders; the dense variants store an N×N matrix and stop at 20 000"
            ),
        });
    }
    Ok(inputs
        .iter()
        .enumerate()
        .flat_map(|(k, inp)| std::iter::repeat_n(k, inp.count as usize))
        .collect())
}

/// The dense Newton variant on the `N`-vector `η`.
fn solve_dense_newton(
    inputs: &[ClassInput<'_>],
    types: &[VirtualTypes],
    warm: &mut [AtEta],
    config: &SolverConfig,
    status: &mut SolveStatus,
) -> Result<f64, MechanismError> {
    let owner = expand(inputs)?;
    let n = owner.len();
    let rel = config.tolerances.root_rel;
    let eval_all = |eta: &DVector<f64>, states: &mut Vec<AtEta>| -> Result<(), MechanismError> {
        for t in 0..n {
            let inp = &inputs[owner[t]];
            let guess = (states[t].za, states[t].zb);
            states[t] = at_eta(inp.dist, &types[owner[t]], eta[t], guess, rel, config.inner)
                .map_err(root_err("binding interval root"))?;
        }
        Ok(())
    };
    let residual_of = |eta: &DVector<f64>, states: &[AtEta]| -> DVector<f64> {
        let total: f64 = states.iter().map(|s| s.mean).sum();
        DVector::from_fn(n, |t, _| {
            eta[t] - inputs[owner[t]].c * (total - states[t].mean)
        })
    };
    let norm = |g: &DVector<f64>| -> f64 {
        g.iter()
            .enumerate()
            .map(|(t, v)| v.abs() / inputs[owner[t]].scale)
            .fold(0.0, f64::max)
    };
    // Start from the first-best levels.
    let total_mean: f64 = inputs.iter().map(|i| i.count * i.dist.mean()).sum();
    let mut eta = DVector::from_fn(n, |t, _| {
        let inp = &inputs[owner[t]];
        inp.c * (total_mean - inp.dist.mean())
    });
    let mut states: Vec<AtEta> = owner.iter().map(|&k| warm[k]).collect();
    eval_all(&eta, &mut states)?;
    let mut g = residual_of(&eta, &states);
    let mut gnorm = norm(&g);
    let tol = 10.0 * rel;
    let mut converged = gnorm <= tol;
    let mut iters = 0;
    while !converged && iters < config.tolerances.max_outer_iterations {
        iters += 1;
        // J = I − D, D_tu = c_t m'_u for u ≠ t.
        let jac = DMatrix::from_fn(n, n, |t, u| {
            if t == u {
                1.0
            } else {
                -inputs[owner[t]].c * states[u].slope
            }
        });
        let step = jac
            .lu()
            .solve(&(-&g))
            .ok_or_else(|| MechanismError::VariantNotApplicable {
                variant: SolverVariant::DenseNewton,
                reason: "the Jacobian is singular".into(),
            })?;
        // Damped step: halve until the residual decreases.
        let mut t = 1.0;
        loop {
            let trial = &eta + &step * t;
            let mut trial_states = states.clone();
            eval_all(&trial, &mut trial_states)?;
            let tg = residual_of(&trial, &trial_states);
            let tn = norm(&tg);
            if tn < gnorm || t < 1e-6 {
                eta = trial;
                states = trial_states;
                g = tg;
                gnorm = tn;
                break;
            }
            t *= 0.5;
        }
        converged = gnorm <= tol;
    }
    status.outer_iterations += iters;
    // Newton can stall a little above its own target on badly scaled
    // markets (κ spanning orders of magnitude) where rounding floors the
    // residual; what `solve_levels` accepts as converged is accepted here.
    if !converged && gnorm <= 1e3 * rel {
        converged = true;
    }
    if !converged {
        status.residual = gnorm;
        return Err(MechanismError::NotConverged {
            variant: SolverVariant::DenseNewton,
            status: status.clone(),
        });
    }
    // Identical traders share a solution; report the first of each class.
    let mut first = vec![usize::MAX; inputs.len()];
    for (t, &k) in owner.iter().enumerate() {
        if first[k] == usize::MAX {
            first[k] = t;
        }
    }
    for (k, &t) in first.iter().enumerate() {
        warm[k] = states[t];
    }
    Ok(states.iter().map(|s| s.mean).sum())
}

/// Corollary 1.1: for uniform endowments `m(η)` is affine in `η` with slope
/// `β/(1 + β)` while the binding interval is interior, so the level
/// equations are a linear system.
fn solve_uniform_linear(
    inputs: &[ClassInput<'_>],
    types: &[VirtualTypes],
    warm: &mut [AtEta],
    config: &SolverConfig,
) -> Result<f64, MechanismError> {
    let variant = SolverVariant::UniformLinear;
    let mut supports = Vec::with_capacity(inputs.len());
    for (k, inp) in inputs.iter().enumerate() {
        match inp.dist.uniform_support() {
            Some(s) => supports.push(s),
            None => {
                return Err(MechanismError::VariantNotApplicable {
                    variant,
                    reason: format!("class {k} is not uniformly distributed"),
                })
            }
        }
    }
    let owner = expand(inputs)?;
    let n = owner.len();
    let rel = config.tolerances.root_rel;
    let beta = types.first().map_or(0.0, |t| t.beta);
    let p = beta / (1.0 + beta);
    // m(η) = m(η₀) + p (η − η₀) with η₀ the middle of the support.
    let mut intercept = Vec::with_capacity(inputs.len());
    for ((inp, ty), &(lo, hi)) in inputs.iter().zip(types).zip(&supports) {
        let eta0 = 0.5 * (lo + hi);
        let at = at_eta(inp.dist, ty, eta0, (eta0, eta0), rel, config.inner)
            .map_err(root_err("binding interval root"))?;
        intercept.push(at.mean - p * eta0);
    }
    let total_intercept: f64 = owner.iter().map(|&k| intercept[k]).sum();
    let a = DMatrix::from_fn(
        n,
        n,
        |t, u| {
            if t == u {
                1.0
            } else {
                -inputs[owner[t]].c * p
            }
        },
    );
    let rhs = DVector::from_fn(n, |t, _| {
        let k = owner[t];
        inputs[k].c * (total_intercept - intercept[k])
    });
    let eta = a
        .clone()
        .lu()
        .solve(&rhs)
        .ok_or_else(|| MechanismError::VariantNotApplicable {
            variant,
            reason: "the linear system is singular".into(),
        })?;
    let resid = (&a * &eta - &rhs).amax();
    if resid.is_nan() || resid > 1e-10 * rhs.amax().max(1.0) {
        return Err(MechanismError::VariantNotApplicable {
            variant,
            reason: format!("the linear solve is inaccurate (residual {resid:e})"),
        });
    }
    for (t, &k) in owner.iter().enumerate() {
        let (lo, hi) = supports[k];
        if beta > 0.0 && !(eta[t] > lo && eta[t] < hi) {
            return Err(MechanismError::VariantNotApplicable {
                variant,
                reason: format!(
                    "the binding interval of class {k} reaches an end of its support (eta = {}), where the system is no longer linear",
                    eta[t]
                ),
            });
        }
    }
    let mut sum = 0.0;
    let mut seen = vec![false; inputs.len()];
    for (t, &k) in owner.iter().enumerate() {
        let at = at_eta(
            inputs[k].dist,
            &types[k],
            eta[t],
            (eta[t], eta[t]),
            rel,
            config.inner,
        )
        .map_err(root_err("binding interval root"))?;
        sum += at.mean;
        if !seen[k] {
            warm[k] = at;
            seen[k] = true;
        }
    }
    Ok(sum)
}

/// Solves the level equations at the weight of `types` (one entry per
/// class: its virtual types at that weight, ironed where needed),
/// warm-starting from `warm`.
pub(crate) fn solve_levels(
    inputs: &[ClassInput<'_>],
    types: &[VirtualTypes],
    warm: &mut [AtEta],
    config: &SolverConfig,
    status: &mut SolveStatus,
) -> Result<Levels, MechanismError> {
    let sum = match config.variant {
        SolverVariant::Aggregate => solve_aggregate(inputs, types, warm, config, status)?,
        SolverVariant::DenseNewton => solve_dense_newton(inputs, types, warm, config, status)?,
        SolverVariant::UniformLinear => {
            status.outer_iterations += 1;
            solve_uniform_linear(inputs, types, warm, config)?
        }
    };
    if !sum.is_finite() {
        return Err(MechanismError::NonFinite {
            what: "aggregate virtual value",
        });
    }
    let levels = Levels {
        classes: warm.to_vec(),
        sum,
    };
    status.residual = residual(inputs, &levels);
    status.converged = status.residual <= 1e3 * config.tolerances.root_rel;
    if !status.converged {
        return Err(MechanismError::NotConverged {
            variant: config.variant,
            status: status.clone(),
        });
    }
    Ok(levels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::{EndowmentDistribution, TruncatedNormal};
    use crate::mechanism::ironing::VirtualTypes;
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

    /// A truncated normal that counts what one class's level solve asks of
    /// it: `at_eta` takes two CDFs per call, and each Newton step on `L⁻¹`
    /// or `H⁻¹` one hazard ratio.
    #[derive(Debug)]
    struct Counting {
        d: TruncatedNormal,
        cdfs: AtomicUsize,
        ratios: AtomicUsize,
    }

    impl Counting {
        fn take(&self) -> (usize, usize) {
            (self.cdfs.swap(0, Relaxed) / 2, self.ratios.swap(0, Relaxed))
        }
    }

    impl EndowmentDistribution for Counting {
        fn support(&self) -> (f64, f64) {
            self.d.support()
        }
        fn cdf(&self, z: f64) -> f64 {
            self.cdfs.fetch_add(1, Relaxed);
            self.d.cdf(z)
        }
        fn pdf(&self, z: f64) -> f64 {
            self.d.pdf(z)
        }
        fn log_concave(&self) -> bool {
            true
        }
        fn partial_moment(&self, a: f64) -> f64 {
            self.d.partial_moment(a)
        }
        fn mean(&self) -> f64 {
            self.d.mean()
        }
        fn cdf_integral(&self, a: f64) -> f64 {
            self.d.cdf_integral(a)
        }
        fn sf_integral(&self, a: f64) -> f64 {
            self.d.sf_integral(a)
        }
        fn pdf_log_derivative(&self, z: f64) -> f64 {
            self.d.pdf_log_derivative(z)
        }
        fn cdf_pdf_ratio(&self, z: f64) -> f64 {
            self.ratios.fetch_add(1, Relaxed);
            self.d.cdf_pdf_ratio(z)
        }
        fn sf_pdf_ratio(&self, z: f64) -> f64 {
            self.ratios.fetch_add(1, Relaxed);
            self.d.sf_pdf_ratio(z)
        }
    }

    /// One trader with κ = 1 beside others with K − κ = 2: c = 1/2, a
    /// strongly coupled class, on the support [−1, 1.2].
    fn coupled(d: &dyn EndowmentDistribution) -> ClassInput<'_> {
        ClassInput {
            dist: d,
            count: 1.0,
            kappa: 1.0,
            c: 0.5,
            scale: 1.2,
        }
    }

    /// A warm state is a guess, never an answer: where the level needs no
    /// search (at weight 0 the bracket is a point), a warm state from
    /// elsewhere that happens to carry the same level is not returned as
    /// if it had been evaluated.
    #[test]
    fn a_warm_state_is_never_returned_unevaluated() {
        let d = TruncatedNormal::new(-0.2, 0.5, -1.0, 1.2).unwrap();
        let inp = coupled(&d);
        let types = VirtualTypes::new(&d, 0.0, &Tolerances::DEFAULT).unwrap();
        let sum = 0.7;
        // At weight 0, V(z) = z: m(η) = E[Z] and η = c (S − E[Z]).
        let eta = inp.c * (sum - d.mean());
        let stale = AtEta {
            eta,
            za: -0.9,
            zb: 1.1,
            mean: 123.0,
            slope: 0.4,
        };
        let at = inner_level(&inp, &types, sum, &stale, &SolverConfig::default()).unwrap();
        assert!((at.eta - eta).abs() <= 1e-15);
        assert_eq!(at.mean, d.mean());
        assert_eq!(at.slope, 0.0);
    }

    /// The work of one class's level root, pinned: a warm state at the same
    /// aggregate is the answer after one evaluation (the level residual,
    /// of slope ≥ 1, proves it; the inverses start at their roots and their
    /// residuals, of slope ≥ 1 for a log-concave density, prove those), and
    /// a nearby aggregate costs two or three (the start is one Newton step
    /// off the warm state, with the warm state's slope). A lost warm start,
    /// a lost residual test or a wrong predictor slope costs more.
    #[test]
    fn a_warm_level_costs_one_evaluation() {
        let d = Counting {
            d: TruncatedNormal::new(-0.2, 0.5, -1.0, 1.2).unwrap(),
            cdfs: AtomicUsize::new(0),
            ratios: AtomicUsize::new(0),
        };
        let inp = coupled(&d);
        let types = VirtualTypes::new(&d, 0.5, &Tolerances::DEFAULT).unwrap();
        let config = SolverConfig::default();
        let cold = cold_start(&[ClassInput { ..inp }])[0];
        let sum = 0.7;
        let first = inner_level(&inp, &types, sum, &cold, &config).unwrap();
        // The level equation η = c (S − m(η)) holds at the answer.
        assert!((first.eta - inp.c * (sum - first.mean)).abs() <= 1e-14);
        let (cold_levels, cold_ratios) = d.take();
        assert!(cold_levels >= 3, "{cold_levels}");

        let again = inner_level(&inp, &types, sum, &first, &config).unwrap();
        assert_eq!(d.take(), (1, 2));
        assert!((again.eta - first.eta).abs() <= 1e-15);

        for (step, most) in [(1e-3, 2), (-2e-2, 3)] {
            let near = inner_level(&inp, &types, sum + step, &first, &config).unwrap();
            assert!((near.eta - inp.c * (sum + step - near.mean)).abs() <= 1e-14);
            let (levels, ratios) = d.take();
            assert!(
                levels <= most,
                "step {step}: {levels} evaluations of the level"
            );
            // Each inversion: the warm guess, a Newton step, and at most one
            // more before its residual proves the root.
            assert!(
                ratios <= 2 * 3 * levels,
                "step {step}: {ratios} ratios for {levels} levels"
            );
            assert!(
                ratios < cold_ratios,
                "step {step}: {ratios} ratios, cold {cold_ratios}"
            );
        }
    }
}
