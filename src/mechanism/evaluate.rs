//! One full evaluation of the mechanism at a weight `β`: the classes'
//! virtual types, the levels, moments and welfare.

use super::ironing::VirtualTypes;
use super::levels::{solve_levels, ClassInput, Levels};
use super::virtual_value::AtEta;
use super::welfare::{
    class_moments, market_centre, welfare, ClassMoments, ClassWelfare, TailIntegrals,
};
use super::{MechanismError, SolveStatus, SolverConfig};
use crate::distribution::integral_breaks;
use crate::market::Market;
use crate::numerics::parallel;
use crate::numerics::NumericalError;

/// A full evaluation at one weight `β`.
pub(super) struct Evaluation {
    /// Per class, the (ironed) virtual types at `β`.
    pub(super) types: Vec<VirtualTypes>,
    pub(super) levels: Levels,
    pub(super) moments: Vec<ClassMoments>,
    pub(super) welfare: Vec<ClassWelfare>,
    pub(super) revenue: f64,
    pub(super) efficiency: f64,
}

/// A full evaluation at weight `beta`, from the inner state `warm` (updated
/// to this weight's). `tails`, when given, holds each class's tail
/// integrals from an earlier evaluation of the same market and is updated
/// (the budget search's trials; see [`welfare::TailIntegrals`]); without
/// it each class integrates its tails afresh.
pub(super) fn evaluate(
    market: &Market,
    inputs: &[ClassInput<'_>],
    beta: f64,
    warm: &mut [AtEta],
    tails: Option<&mut [TailIntegrals]>,
    config: &SolverConfig,
    status: &mut SolveStatus,
) -> Result<Evaluation, MechanismError> {
    // Each class's (ironed) virtual types at this weight; in parallel, as
    // ironing a non-regular class costs a scan and a few roots.
    let types = parallel::map(inputs, |inp| {
        VirtualTypes::new(inp.dist, beta, &config.tolerances)
    })
    .into_iter()
    .enumerate()
    .map(|(class, t)| t.map_err(|source| MechanismError::Ironing { class, source }))
    .collect::<Result<Vec<_>, _>>()?;
    let levels = solve_levels(inputs, &types, warm, config, status)?;
    let t_hat = market_centre(market);
    let triples: Vec<(&ClassInput<'_>, &VirtualTypes, &AtEta)> = inputs
        .iter()
        .zip(&types)
        .zip(&levels.classes)
        .map(|((inp, ty), at)| (inp, ty, at))
        .collect();
    let moments_of = |(inp, ty, at): &(&ClassInput<'_>, &VirtualTypes, &AtEta),
                      tails: &mut TailIntegrals| {
        class_moments(
            inp.dist,
            inp.breaks.get_or_init(|| integral_breaks(inp.dist)),
            ty,
            at,
            t_hat * inp.kappa,
            &config.tolerances,
            tails,
        )
    };
    let moments: Vec<ClassMoments> = match tails {
        None => parallel::map(&triples, |t| moments_of(t, &mut TailIntegrals::default())),
        Some(tails) => {
            let mut slots: Vec<(TailIntegrals, ClassMoments)> = tails
                .iter()
                .map(|t| (*t, ClassMoments::default()))
                .collect();
            let Ok(()) = parallel::update(&triples, &mut slots, |t, (tails, out)| {
                *out = moments_of(t, tails);
                Ok::<(), std::convert::Infallible>(())
            });
            slots
                .into_iter()
                .zip(tails.iter_mut())
                .map(|((t, m), slot)| {
                    *slot = t;
                    m
                })
                .collect()
        }
    };
    let (welfare, revenue, efficiency) = welfare(market, &levels, &moments, t_hat);
    // Each quantity is checked on its own so that the error names it.
    if !revenue.is_finite() {
        return Err(MechanismError::Numerical(NumericalError::NonFinite {
            what: "revenue",
        }));
    }
    if !efficiency.is_finite() {
        return Err(MechanismError::Numerical(NumericalError::NonFinite {
            what: "efficiency",
        }));
    }
    Ok(Evaluation {
        types,
        levels,
        moments,
        welfare,
        revenue,
        efficiency,
    })
}
