//! The dense variants on the `N`-vector of levels, one entry per trader:
//! damped Newton, and the linear system of Corollary 1.1 for uniform
//! endowments.

use super::{equation_scale, root_err, ClassInput};
use crate::mechanism::ironing::VirtualTypes;
use crate::mechanism::virtual_value::{at_eta, AtEta};
use crate::mechanism::{
    MechanismError, NotApplicable, SolveStatus, SolverConfig, SolverVariant, Termination,
};
use nalgebra::{DMatrix, DVector};

/// Per-trader expansion used by the dense variants: (class index, input).
fn expand(inputs: &[ClassInput<'_>], variant: SolverVariant) -> Result<Vec<usize>, MechanismError> {
    let n: f64 = inputs.iter().map(|i| i.count).sum();
    if n > 20_000.0 {
        return Err(MechanismError::VariantNotApplicable {
            variant,
            reason: NotApplicable::TooManyTraders {
                // Counts are whole numbers held as f64.
                n_traders: n as u64,
                max: 20_000,
            },
        });
    }
    Ok(inputs
        .iter()
        .enumerate()
        .flat_map(|(k, inp)| std::iter::repeat_n(k, inp.count as usize))
        .collect())
}

/// The dense Newton variant on the `N`-vector `η`.
pub(super) fn solve_dense_newton(
    inputs: &[ClassInput<'_>],
    types: &[VirtualTypes],
    warm: &mut [AtEta],
    config: &SolverConfig,
    status: &mut SolveStatus,
) -> Result<f64, MechanismError> {
    let owner = expand(inputs, SolverVariant::DenseNewton)?;
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
    // Each entry against its equation's own magnitude, as `residual` does.
    let norm = |g: &DVector<f64>, eta: &DVector<f64>, states: &[AtEta]| -> f64 {
        let total: f64 = states.iter().map(|s| s.mean).sum();
        g.iter()
            .enumerate()
            .map(|(t, v)| {
                v.abs() / equation_scale(&inputs[owner[t]], eta[t], total, states[t].mean)
            })
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
    let mut gnorm = norm(&g, &eta, &states);
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
            .ok_or(MechanismError::VariantNotApplicable {
                variant: SolverVariant::DenseNewton,
                reason: NotApplicable::Singular { what: "Jacobian" },
            })?;
        // Damped step: halve until the residual decreases.
        let mut t = 1.0;
        loop {
            let trial = &eta + &step * t;
            let mut trial_states = states.clone();
            eval_all(&trial, &mut trial_states)?;
            let tg = residual_of(&trial, &trial_states);
            let tn = norm(&tg, &trial, &trial_states);
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
    if !converged && gnorm <= config.tolerances.rounding_allowance() {
        converged = true;
    }
    if !converged {
        status.residual = gnorm;
        status.tolerance = config.tolerances.rounding_allowance();
        status.termination = if iters >= config.tolerances.max_outer_iterations {
            Termination::IterationLimit
        } else {
            Termination::ResidualTooLarge
        };
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
pub(super) fn solve_uniform_linear(
    inputs: &[ClassInput<'_>],
    types: &[VirtualTypes],
    warm: &mut [AtEta],
    config: &SolverConfig,
) -> Result<f64, MechanismError> {
    let variant = SolverVariant::UniformLinear;
    let mut supports = Vec::with_capacity(inputs.len());
    for (k, inp) in inputs.iter().enumerate() {
        // Uniform on its support: density bounds over the whole support
        // that pin the density to one positive constant (exact for the
        // built-in `Uniform`, and for any family whose bounds prove it).
        let (lo, hi) = inp.dist.support();
        let constant = inp
            .dist
            .density_bounds(lo, hi)
            .is_some_and(|b| b.min > 0.0 && b.min == b.max);
        match constant.then_some((lo, hi)) {
            Some(s) => supports.push(s),
            None => {
                return Err(MechanismError::VariantNotApplicable {
                    variant,
                    reason: NotApplicable::NotUniform { class: k },
                })
            }
        }
    }
    let owner = expand(inputs, variant)?;
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
        .ok_or(MechanismError::VariantNotApplicable {
            variant,
            reason: NotApplicable::Singular {
                what: "linear system",
            },
        })?;
    let resid = (&a * &eta - &rhs).amax();
    if resid.is_nan() || resid > 1e-10 * rhs.amax().max(1.0) {
        return Err(MechanismError::VariantNotApplicable {
            variant,
            reason: NotApplicable::InaccurateSolve { residual: resid },
        });
    }
    for (t, &k) in owner.iter().enumerate() {
        let (lo, hi) = supports[k];
        if beta > 0.0 && !(eta[t] > lo && eta[t] < hi) {
            return Err(MechanismError::VariantNotApplicable {
                variant,
                reason: NotApplicable::BindingAtSupportEnd {
                    class: k,
                    eta: eta[t],
                },
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
