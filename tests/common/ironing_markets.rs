//! The markets of the `ironing` criterion bench (`benches/ironing.rs`,
//! where each group is described), shared with
//! `examples/tools/bench_market.rs`, which solves one of them repeatedly
//! for instruction counts (`docs/performance.md`). Both include it with
//! `#[path]`.

#![allow(dead_code)] // Each includer uses part of it.

use exchange_design::distribution::{
    DensityBounds, EndowmentDistribution, HazardRatio, Mixture, PiecewiseLinear, TruncatedNormal,
    Uniform,
};
use exchange_design::market::{Market, TraderClass};
use std::sync::Arc;

/// The bench's groups, in its order.
pub const KINDS: [&str; 9] = [
    "log_concave",
    "tables_regular",
    "tables_ironed",
    "mixture_log_concave",
    "mixture_regular",
    "mixture_declared",
    "mixture_ironed",
    "mixture_ironed_declared",
    "mixture_cluster",
];

fn kappa(i: usize, n: usize) -> f64 {
    let t = (i as f64 + 0.5) / n as f64;
    0.5 + 1.5 * ((7.0 * t).fract())
}

fn centre(i: usize, n: usize) -> f64 {
    -0.3 + 0.6 * ((3.0 * (i as f64 + 0.5) / n as f64).fract())
}

/// A table on [−1, 1] with a bump at `mu`; with `dip`, two dips of depth
/// 0.03 near ±0.7.
fn table(mu: f64, dip: bool) -> PiecewiseLinear {
    let z = vec![-1.0, -0.8, -0.7, -0.6, 0.0, 0.6, 0.7, 0.8, 1.0];
    let f = z
        .iter()
        .map(|&x: &f64| {
            let base = 1.0 + 0.5 * (-(x - mu) * (x - mu) * 2.0).exp();
            if dip && (x.abs() - 0.7).abs() < 1e-12 {
                0.03
            } else {
                base
            }
        })
        .collect();
    PiecewiseLinear::new(z, f).unwrap()
}

/// Two truncated normals on [−1, 1] at `mu ∓ gap/2` with scale `sigma`.
fn two_modes(mu: f64, gap: f64, sigma: f64) -> Mixture {
    let part = |m: f64| {
        Arc::new(TruncatedNormal::new(m, sigma, -1.0, 1.0).unwrap())
            as Arc<dyn EndowmentDistribution>
    };
    Mixture::new(vec![
        (1.0, part(mu - 0.5 * gap)),
        (1.0, part(mu + 0.5 * gap)),
    ])
    .unwrap()
}

/// A truncated normal at `mu` (σ = 0.5) with 3 % of its traders in a
/// cluster at `at` (σ = 0.02).
fn with_cluster(mu: f64, at: f64) -> Mixture {
    let normal = |m: f64, s: f64| {
        Arc::new(TruncatedNormal::new(m, s, -1.0, 1.0).unwrap()) as Arc<dyn EndowmentDistribution>
    };
    Mixture::new(vec![(1.0, normal(mu, 0.5)), (0.03, normal(at, 0.02))]).unwrap()
}

/// A truncated normal at `mu` (σ = 0.5) and a uniform on [−1, 1], two to
/// one.
fn with_uniform(mu: f64) -> Mixture {
    Mixture::new(vec![
        (
            2.0,
            Arc::new(TruncatedNormal::new(mu, 0.5, -1.0, 1.0).unwrap())
                as Arc<dyn EndowmentDistribution>,
        ),
        (1.0, Arc::new(Uniform::new(-1.0, 1.0).unwrap())),
    ])
    .unwrap()
}

/// A mixture declared log-concave: every method forwards to it, and
/// `log_concave` says so. The normal and the uniform of [`with_uniform`]
/// are not log-concave (far from the normal's mean the uniform's constant
/// bends the log-density up), but they are regular at the bench's weight:
/// the solver's check certifies both virtual types rising on its first
/// mesh, so declaring them skips that check and gives the same mechanism.
/// The two separated modes of `mixture_ironed` are not regular, but their
/// pools lie inside the binding intervals, so declaring them gives the
/// same mechanism too (see the module's doc).
#[derive(Debug)]
struct Declared(Mixture);

impl EndowmentDistribution for Declared {
    fn support(&self) -> (f64, f64) {
        self.0.support()
    }
    fn cdf(&self, z: f64) -> f64 {
        self.0.cdf(z)
    }
    fn pdf(&self, z: f64) -> f64 {
        self.0.pdf(z)
    }
    fn sf(&self, z: f64) -> f64 {
        self.0.sf(z)
    }
    fn log_concave(&self) -> bool {
        true
    }
    fn kinks(&self) -> &[f64] {
        self.0.kinks()
    }
    fn density_bounds(&self, a: f64, b: f64) -> Option<DensityBounds> {
        self.0.density_bounds(a, b)
    }
    fn pdf_log_derivative_bounds(&self, a: f64, b: f64) -> Option<(f64, f64)> {
        self.0.pdf_log_derivative_bounds(a, b)
    }
    fn pdf_and_tail(&self, z: f64, which: HazardRatio) -> (f64, f64) {
        self.0.pdf_and_tail(z, which)
    }
    fn pdf_derivative(&self, z: f64) -> f64 {
        self.0.pdf_derivative(z)
    }
    fn partial_moment(&self, a: f64) -> f64 {
        self.0.partial_moment(a)
    }
    fn mean(&self) -> f64 {
        self.0.mean()
    }
    fn second_moment(&self) -> f64 {
        self.0.second_moment()
    }
    fn variance(&self) -> f64 {
        self.0.variance()
    }
    fn cdf_integral(&self, a: f64) -> f64 {
        self.0.cdf_integral(a)
    }
    fn sf_integral(&self, a: f64) -> f64 {
        self.0.sf_integral(a)
    }
    fn quantile(&self, u: f64) -> f64 {
        self.0.quantile(u)
    }
    fn validated_by_construction(&self) -> bool {
        self.0.validated_by_construction()
    }
    fn pdf_log_derivative(&self, z: f64) -> f64 {
        self.0.pdf_log_derivative(z)
    }
    fn ln_pdf(&self, z: f64) -> f64 {
        self.0.ln_pdf(z)
    }
    fn density_and_ratio(&self, z: f64, which: HazardRatio) -> (f64, f64, f64) {
        self.0.density_and_ratio(z, which)
    }
    fn ratio_and_log_slope(&self, z: f64, which: HazardRatio) -> (f64, f64) {
        self.0.ratio_and_log_slope(z, which)
    }
    fn pdf_and_ratio(&self, z: f64, which: HazardRatio) -> (f64, f64) {
        self.0.pdf_and_ratio(z, which)
    }
    fn cdf_pdf_ratio(&self, z: f64) -> f64 {
        self.0.cdf_pdf_ratio(z)
    }
    fn sf_pdf_ratio(&self, z: f64) -> f64 {
        self.0.sf_pdf_ratio(z)
    }
}

/// The bench market of `n` single-trader classes of group `kind` (one of
/// [`KINDS`]).
pub fn market(n: usize, kind: &str) -> Market {
    let classes = (0..n)
        .map(|i| {
            let (k, mu) = (kappa(i, n), centre(i, n));
            match kind {
                "log_concave" => {
                    TraderClass::new(k, TruncatedNormal::new(mu, 0.5, -1.0, 1.0).unwrap(), 1)
                }
                "tables_regular" => TraderClass::new(k, table(mu, false), 1),
                "tables_ironed" => TraderClass::new(k, table(mu, true), 1),
                "mixture_log_concave" => TraderClass::new(k, two_modes(mu, 0.4, 0.5), 1),
                "mixture_regular" => TraderClass::new(k, with_uniform(mu), 1),
                "mixture_declared" => TraderClass::new(k, Declared(with_uniform(mu)), 1),
                "mixture_cluster" => {
                    let at = if i % 2 == 0 { 0.8 } else { -0.8 };
                    TraderClass::new(k, with_cluster(mu, at), 1)
                }
                "mixture_ironed_declared" => {
                    TraderClass::new(k, Declared(two_modes(mu, 1.0, 0.15)), 1)
                }
                _ => TraderClass::new(k, two_modes(mu, 1.0, 0.15), 1),
            }
        })
        .collect();
    Market::new(classes).unwrap()
}
