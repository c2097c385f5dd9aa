//! The paper's Example 1 (κ = 1/2, endowments U[−1, 1]) against its closed
//! forms (with the corrected labels of the binding interval).

use exchange_design::distribution::Uniform;
use exchange_design::market::Market;
use exchange_design::mechanism::DirectMechanism;
use exchange_design::mechanism::{OptimalMechanism, SolverConfig, SolverVariant};

fn example1(n: u64) -> Market {
    Market::symmetric(n, 0.5, Uniform::new(-1.0, 1.0).unwrap()).unwrap()
}

const ALPHAS: [f64; 9] = [0.0, 0.05, 0.1, 0.25, 0.4, 0.5, 0.75, 0.9, 1.0];

#[test]
fn binding_interval_and_multiplier_match_closed_form() {
    for n in [2, 3, 5, 20] {
        let m = example1(n);
        for alpha in ALPHAS {
            let mech = OptimalMechanism::solve(&m, alpha).unwrap();
            assert_eq!(mech.lambda(), 0.0, "N={n} α={alpha}");
            let c = mech.class(0);
            let (za, zb) = c.virtual_value().binding_interval();
            let edge = alpha / (1.0 + alpha);
            assert!((za + edge).abs() < 1e-10, "N={n} α={alpha}: Z_a = {za}");
            assert!((zb - edge).abs() < 1e-10, "N={n} α={alpha}: Z_b = {zb}");
            assert!(c.virtual_value().eta().abs() < 1e-10);
            for k in 0..=20 {
                let z = za + (zb - za) * k as f64 / 20.0;
                let omega = ((1.0 + alpha) * z + alpha) / 2.0;
                assert!(
                    (c.participation_multiplier(z) - omega).abs() < 1e-10,
                    "Ω({z}) at N={n} α={alpha}"
                );
            }
            // Ω is 0 below and α (+λ = 0) above the interval.
            assert_eq!(c.participation_multiplier(-1.0), 0.0);
            if alpha > 0.0 {
                assert!((c.participation_multiplier(1.0) - alpha).abs() < 1e-12);
            }
            // No-trade probability of one trader: (Z_b − Z_a)/2 = α/(1+α).
            assert!((c.no_trade_probability() - edge).abs() < 1e-10);
        }
    }
}

#[test]
fn first_best_at_alpha_zero_breaks_even() {
    for n in [2, 3, 5, 20] {
        let m = example1(n);
        let mech = OptimalMechanism::solve(&m, 0.0).unwrap();
        assert!(
            mech.revenue().abs() < 1e-10,
            "N={n}: R = {}",
            mech.revenue()
        );
        let fb = mech.first_best().unwrap();
        assert!(fb.revenue().abs() < 1e-10);
        assert!(fb.budget_balanced());
        // Lemma 2: E[(Z_i + X_i)²] = w² E[(ΣZ)²] = N Var Z / N² = 1/(3N);
        // holding cost per trader = that / (2κ) = 1/(3N).
        let nf = n as f64;
        assert!((fb.efficiency() + nf * (1.0 / (3.0 * nf))).abs() < 1e-12);
        assert!((mech.efficiency() - fb.efficiency()).abs() < 1e-12);
    }
}

/// Revenue-maximal mechanism (α = 1), symmetric uniform: V(z) = 2z − 1 above
/// 1/2, 2z + 1 below −1/2, 0 between. Revenue per trader in closed form:
/// R/N = −E[J X]/κ − E[X²]/(2κ) − G(lo) with J(z) = 2z − 1.
#[test]
fn revenue_maximal_revenue_per_trader_matches_closed_form() {
    for n in [3u64, 5, 20, 50] {
        let nf = n as f64;
        let mech = OptimalMechanism::solve(&example1(n), 1.0).unwrap();
        // Closed form pieces (κ = 1/2, w = 1/N, E V = 0):
        // Var V = 2 ∫_{1/2}^{1} (2z − 1)² dz / 2 = 1/6;
        // E[J V] = ½ [∫_{-1}^{-1/2} (2z − 1)(2z + 1) dz + ∫_{1/2}^{1} (2z − 1)² dz]
        //        = ½ [2/3 + 1/6] = 5/12;
        // E[X²] = (1 − w)² Var V + w² (N − 1) Var V = (1 − w) Var V;
        // G(lo) = 2 (1 − w) ∫_{-1}^{-1/2} (0 − (2z + 1)) dz = 2 (1 − w)/4.
        let w = 1.0 / nf;
        let var_v = 1.0 / 6.0;
        let e_jv = 5.0 / 12.0;
        let e_jx = -(1.0 - w) * e_jv;
        let e_x2 = (1.0 - w) * var_v;
        let g_lo = 2.0 * (1.0 - w) * 0.25;
        let per_trader = -e_jx / 0.5 - e_x2 / 1.0 - g_lo;
        assert!(
            (mech.revenue() / nf - per_trader).abs() < 1e-12,
            "N={n}: {} vs {per_trader}",
            mech.revenue() / nf
        );
        assert!((mech.class(0).variance_virtual_value() - var_v).abs() < 1e-12);
        // Which simplifies to (1 − 1/N)/6, rising to the paper's 1/6.
        assert!((per_trader - (1.0 - w) / 6.0).abs() < 1e-15);
    }
}

#[test]
fn variants_agree_on_example1() {
    for n in [2, 3, 5, 20] {
        let m = example1(n);
        for alpha in ALPHAS {
            let base = OptimalMechanism::solve(&m, alpha).unwrap();
            for variant in [SolverVariant::DenseNewton, SolverVariant::UniformLinear] {
                let cfg = SolverConfig::default().with_variant(variant);
                let other = OptimalMechanism::solve_with(&m, alpha, &cfg).unwrap();
                assert!(
                    (other.class(0).virtual_value().eta() - base.class(0).virtual_value().eta())
                        .abs()
                        < 1e-9
                );
                assert!((other.revenue() - base.revenue()).abs() < 1e-9);
                assert!((other.efficiency() - base.efficiency()).abs() < 1e-9);
            }
        }
    }
}
