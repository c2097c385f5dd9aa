//! `OptimalMechanism::pools`: each pooled interval's mass,
//! level and effect on the objective, against quantities computed here
//! from the distribution's own `cdf` and `pdf` by a midpoint rule.

use exchange_design::distribution::{EndowmentDistribution, PiecewiseLinear, Uniform};
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::{OptimalMechanism, NEGLIGIBLE_POOL};

/// A density with dips near ±0.7 (both virtual types fall there).
fn dipped() -> PiecewiseLinear {
    PiecewiseLinear::new(
        vec![-1.0, -0.8, -0.7, -0.6, 0.0, 0.6, 0.7, 0.8, 1.0],
        vec![1.0, 1.0, 0.03, 1.0, 1.0, 1.0, 0.03, 1.0, 1.0],
    )
    .unwrap()
}

/// `∫_a^b h` by the midpoint rule on `n` cells.
fn midpoint(h: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
    let dz = (b - a) / n as f64;
    (0..n).map(|k| h(a + (k as f64 + 0.5) * dz)).sum::<f64>() * dz
}

#[test]
fn mass_level_and_effect_of_each_pool() {
    for alpha in [1.0, 0.6] {
        let d = dipped();
        let market = Market::new(vec![
            TraderClass::new(1.0, d.clone(), 3),
            TraderClass::new(0.5, Uniform::new(-1.0, 1.0).unwrap(), 2),
        ])
        .unwrap();
        let mech = OptimalMechanism::solve(&market, alpha).unwrap();
        let beta = mech.beta();
        let pools = mech.pools(0);
        assert!(!pools.is_empty(), "alpha {alpha}: the dips are pooled");
        assert!(mech.pools(1).is_empty(), "a uniform class is regular");
        let (za, zb) = mech.class(0).virtual_value().binding_interval();
        // Objective scale: Σ n (hi − lo)²/κ = 3·4/1 + 2·4/0.5.
        let scale = 12.0 + 16.0;
        let k_total = 3.0 * 1.0 + 2.0 * 0.5;
        for p in &pools {
            let n = 200_000;
            let mass = midpoint(|z| d.pdf(z), p.lo, p.hi, n);
            assert!((p.mass - mass).abs() < 1e-9, "mass {} vs {mass}", p.mass);
            // The raw type from the distribution: L below the binding
            // interval, H above it.
            let raw = |z: f64| {
                let f = d.pdf(z);
                if p.hi <= za {
                    z + beta * d.cdf(z) / f
                } else {
                    assert!(p.lo >= zb);
                    z - beta * (1.0 - d.cdf(z)) / f
                }
            };
            // The level is the pool's f-weighted mean of the raw type.
            let mean = midpoint(|z| raw(z) * d.pdf(z), p.lo, p.hi, n) / mass;
            assert!((p.level - mean).abs() < 1e-6, "level {} vs {mean}", p.level);
            // ½ ∫ (g − m)² f, times (1 + λ) n (1/κ − 1/K).
            let spread = midpoint(|z| (raw(z) - p.level).powi(2) * d.pdf(z), p.lo, p.hi, n);
            let want = (1.0 + mech.lambda()) * 3.0 * (1.0 / 1.0 - 1.0 / k_total) * 0.5 * spread;
            assert!(
                (p.objective_effect / want - 1.0).abs() < 1e-5,
                "effect {} vs {want}",
                p.objective_effect
            );
            assert!(p.objective_effect > 0.0);
            assert_eq!(p.negligible, p.objective_effect < NEGLIGIBLE_POOL * scale);
        }
        // These dips matter: each holds a visible share of the types.
        assert!(pools.iter().any(|p| p.mass > 1e-3 && !p.negligible));
    }
}
