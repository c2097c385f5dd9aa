//! One full evaluation of the mechanism at a weight `β`: the classes'
//! virtual types, the levels, moments and welfare.

use super::ironing::{Screen, VirtualTypes};
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
/// (the budget search's trials; see [`super::welfare::TailIntegrals`]); without
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
    // Each class's virtual types at this weight. A log-concave class has
    // its raw ones. Any other class is screened (`ironing::screen`): ironed
    // in full at once where the screen fails at the level the class is
    // expected at, else given the screen's types, which are exact below
    // and above the binding interval at every level where the screen
    // holds. After the levels are solved, a class whose screen fails at
    // its level is ironed in full and the levels are solved again.
    //
    // The expected level: the warm state's, or else the first best's,
    // `c (Σ n E Z − E Z_i)` (the levels at `β = 0`). A wrong guess costs
    // work, not accuracy: the screen is checked at the level solved for.
    let first_best: f64 = inputs.iter().map(|inp| inp.count * inp.dist.mean()).sum();
    let expected: Vec<(&ClassInput<'_>, f64)> = inputs
        .iter()
        .zip(warm.iter())
        .map(|(inp, w)| {
            let eta = if w.eta.is_finite() {
                w.eta
            } else {
                inp.c * (first_best - inp.dist.mean())
            };
            (inp, eta)
        })
        .collect();
    let first = parallel::map(&expected, |&(inp, eta)| {
        if inp.dist.log_concave() {
            return Ok((VirtualTypes::regular(inp.dist, beta), None));
        }
        let screen = Screen::new(inp.dist, beta, &config.tolerances);
        if screen.holds(eta) {
            Ok((screen.types(), Some(screen)))
        } else {
            Ok((screen.iron(&config.tolerances)?, None))
        }
    });
    let mut types = Vec::with_capacity(inputs.len());
    let mut screens = Vec::with_capacity(inputs.len());
    for (class, result) in first.into_iter().enumerate() {
        let (t, screen) = result.map_err(|source| MechanismError::Ironing { class, source })?;
        types.push(t);
        screens.push(screen);
    }
    let levels = loop {
        // A screen's types stand in for the class's ironed ones only where
        // the screen holds; away from there they need not be a valid pair
        // (a constant `L̂` below `Ĥ`), and the mean of `V` can jump, so
        // that the level equations have no root at all: the outer search
        // then ends at the jump, with residuals that say so. Every screened
        // class is then ironed in full and the levels solved again; with
        // none left, the error stands.
        let solved = solve_levels(inputs, &types, warm, config, status);
        let screened: Vec<usize> = (0..screens.len())
            .filter(|&class| screens[class].is_some())
            .collect();
        let (levels, failing) = match solved {
            Err(MechanismError::NotConverged { .. }) if !screened.is_empty() => (None, screened),
            Err(e) => return Err(e),
            Ok(levels) => {
                let failing = screens
                    .iter()
                    .zip(&levels.classes)
                    .enumerate()
                    .filter(|(_, (screen, at))| screen.as_ref().is_some_and(|s| !s.holds(at.eta)))
                    .map(|(class, _)| class)
                    .collect();
                (Some(levels), failing)
            }
        };
        if let (Some(levels), true) = (levels, failing.is_empty()) {
            break levels;
        }
        let ironed = parallel::map(&failing, |&class| {
            screens[class]
                .as_ref()
                .map(|screen| screen.iron(&config.tolerances))
        });
        for (&class, result) in failing.iter().zip(ironed) {
            if let Some(result) = result {
                types[class] =
                    result.map_err(|source| MechanismError::Ironing { class, source })?;
                screens[class] = None;
            }
        }
    };
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
