//! Incentive compatibility from the ex-post allocation (issue 13, item 2).
//!
//! On random markets of two or three traders (regular, and with a
//! non-regular, ironed class), for every class:
//!
//! - `E[X_i | Z_i = z]`, integrated from [`OptimalMechanism::allocation`]
//!   over the other traders' types by tensor Gauss–Legendre
//!   (`common/reference.rs`), equals
//!   [`OptimalMechanism::interim_allocation`] on a grid of types that
//!   includes the ends and the middle of the binding interval and of every
//!   pooled interval;
//! - a trader of type `z` who reports `z'` expects
//!   `u(z, z') = −(2 z x̄(z') + E[X² | z'])/(2κ) − t̄(z')`, with `x̄` and
//!   `E[X² | z']` from the same quadrature over `allocation()` and `t̄` the
//!   crate's interim transfer; `u(z, ·)` is maximised at `z' = z` over the
//!   grid and after a golden-section refinement around the best grid
//!   report, and `u(z, z) ≥ 0` (participation).
//!
//! Tolerances are per class, relative to that class's own scale
//! (`SmallCase::allocation_scale`, `SmallCase::utility_scale`), never the
//! widest class's.

use exchange_design::mechanism::DirectMechanism;
use exchange_design::mechanism::OptimalMechanism;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use crate::common;

use common::markets::{small_case, SmallCase};
use common::reference::{class_cuts, Tensor};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/mechanism/incentive_compatibility.txt",
        ))),
        max_shrink_time: 30_000,
        ..ProptestConfig::default()
    }
}

/// Relative quadrature tolerance, of the class's own scale.
const TOL: f64 = 1e-7;

/// Types of class `k` to test: an even grid, the support ends, and the
/// ends and middles of the binding and pooled intervals (and points just
/// inside and outside each end).
fn types(mech: &OptimalMechanism, k: usize, n: usize) -> Vec<f64> {
    let (lo, hi) = mech.market().classes()[k].distribution().support();
    let w = hi - lo;
    let mut zs: Vec<f64> = (0..=n).map(|j| lo + w * j as f64 / n as f64).collect();
    zs.push(hi);
    let cuts = class_cuts(mech, k);
    for pair in cuts.chunks(2) {
        zs.push(0.5 * (pair[0] + pair[1]));
    }
    for c in cuts {
        for d in [-1e-6 * w, 0.0, 1e-6 * w] {
            zs.push(c + d);
        }
    }
    zs.retain(|&z| z >= lo && z <= hi);
    zs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    zs.dedup();
    zs
}

fn check(case: &SmallCase) -> Result<(), TestCaseError> {
    let market = case.market();
    let mech = OptimalMechanism::solve(&market, case.alpha)
        .map_err(|e| TestCaseError::fail(format!("solve failed: {e}")))?;
    let t = if market.n_traders() <= 2 {
        Tensor::new(&mech, 16, 10)
    } else {
        Tensor::new(&mech, 8, 6)
    };
    // One trader per class.
    for k in 0..market.classes().len() {
        let i = t.classes.iter().position(|&c| c == k).unwrap();
        let kappa = market.classes()[k].kappa();
        let (lo, hi) = market.classes()[k].distribution().support();
        let x_tol = TOL * case.allocation_scale(k);
        let u_tol = TOL * case.utility_scale(k);
        // What a report z' brings: (x̄, E X², t̄).
        let report = |z: f64| -> (f64, f64, f64) {
            let (x, x2) = t.interim(i, z);
            (x, x2, mech.interim_transfer(k, z).unwrap())
        };
        let u = |z: f64, r: (f64, f64, f64)| -(2.0 * z * r.0 + r.1) / (2.0 * kappa) - r.2;
        let zs = types(&mech, k, 16);
        let reports: Vec<_> = zs.iter().map(|&z| report(z)).collect();
        for (z, r) in zs.iter().zip(&reports) {
            let want = mech.interim_allocation(k, *z).unwrap();
            prop_assert!(
                (r.0 - want).abs() <= x_tol,
                "class {k} z = {z}: E over the others of allocation() = {} but interim_allocation = {want} (tol {x_tol})",
                r.0
            );
        }
        for (j, &z) in zs.iter().enumerate() {
            let truthful = u(z, reports[j]);
            prop_assert!(
                truthful >= -u_tol,
                "class {k} z = {z}: truthful utility gain {truthful} < 0"
            );
            // Best report on the grid, then golden section on its neighbours.
            let (best, mut best_u) = zs
                .iter()
                .zip(&reports)
                .map(|(&zr, &r)| (zr, u(z, r)))
                .enumerate()
                .map(|(m, (_, v))| (m, v))
                .fold((0, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
            let (mut a, mut b) = (zs[best.saturating_sub(1)], zs[(best + 1).min(zs.len() - 1)]);
            let g = 0.5 * (5f64.sqrt() - 1.0);
            let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
            let (mut fc, mut fd) = (u(z, report(c)), u(z, report(d)));
            for _ in 0..20 {
                if fc > fd {
                    b = d;
                    d = c;
                    fd = fc;
                    c = b - g * (b - a);
                    fc = u(z, report(c));
                } else {
                    a = c;
                    c = d;
                    fc = fd;
                    d = a + g * (b - a);
                    fd = u(z, report(d));
                }
            }
            best_u = best_u.max(fc).max(fd);
            prop_assert!(
                best_u <= truthful + u_tol,
                "class {k} (support [{lo}, {hi}]) type {z}: a misreport gains {} over the truth {truthful} (tol {u_tol})",
                best_u - truthful
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(16))]

    #[test]
    fn ex_post_ic_two_regular(case in small_case(false, 2)) {
        check(&case)?;
    }

    #[test]
    fn ex_post_ic_two_ironed(case in small_case(true, 2)) {
        check(&case)?;
    }
}

proptest! {
    #![proptest_config(config(3))]

    #[test]
    fn ex_post_ic_three_regular(case in small_case(false, 3)) {
        prop_assume!(case.n_traders() == 3);
        check(&case)?;
    }

    #[test]
    fn ex_post_ic_three_ironed(case in small_case(true, 3)) {
        prop_assume!(case.n_traders() == 3);
        check(&case)?;
    }
}
