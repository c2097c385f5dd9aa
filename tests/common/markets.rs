//! Small random markets (two or three traders) for the tests that evaluate a
//! mechanism independently: regular families (uniform, triangular,
//! truncated normal) and non-regular ones (a tabulated density with a dip,
//! a two-mode truncated-normal mixture), so that ironing is exercised.

use exchange_design::distribution::{
    Mixture, PiecewiseLinear, Triangular, TruncatedNormal, Uniform,
};
use exchange_design::market::{Market, TraderClass};
use proptest::prelude::*;

/// An endowment distribution by family and parameters (printable).
#[derive(Clone, Debug)]
pub enum Fam {
    Uniform {
        lo: f64,
        hi: f64,
    },
    Triangular {
        lo: f64,
        mode: f64,
        hi: f64,
    },
    Normal {
        mu: f64,
        sigma: f64,
        lo: f64,
        hi: f64,
    },
    /// Piecewise-linear density with one dip (not regular).
    Dip {
        z: Vec<f64>,
        f: Vec<f64>,
    },
    /// Two truncated-normal modes (not regular).
    Modes {
        parts: Vec<(f64, f64, f64)>,
        lo: f64,
        hi: f64,
    },
}

impl Fam {
    pub fn support(&self) -> (f64, f64) {
        match self {
            Fam::Uniform { lo, hi }
            | Fam::Triangular { lo, hi, .. }
            | Fam::Normal { lo, hi, .. }
            | Fam::Modes { lo, hi, .. } => (*lo, *hi),
            Fam::Dip { z, .. } => (z[0], *z.last().unwrap()),
        }
    }

    pub fn regular(&self) -> bool {
        !matches!(self, Fam::Dip { .. } | Fam::Modes { .. })
    }

    pub fn build(&self, kappa: f64, count: u64) -> TraderClass {
        match self {
            Fam::Uniform { lo, hi } => {
                TraderClass::new(kappa, Uniform::new(*lo, *hi).unwrap(), count)
            }
            Fam::Triangular { lo, mode, hi } => {
                TraderClass::new(kappa, Triangular::new(*lo, *mode, *hi).unwrap(), count)
            }
            Fam::Normal { mu, sigma, lo, hi } => TraderClass::new(
                kappa,
                TruncatedNormal::new(*mu, *sigma, *lo, *hi).unwrap(),
                count,
            ),
            Fam::Dip { z, f } => TraderClass::new(
                kappa,
                PiecewiseLinear::new(z.clone(), f.clone()).unwrap(),
                count,
            ),
            Fam::Modes { parts, lo, hi } => TraderClass::new(
                kappa,
                Mixture::from_components(
                    parts
                        .iter()
                        .map(|&(w, mu, sd)| (w, TruncatedNormal::new(mu, sd, *lo, *hi).unwrap()))
                        .collect(),
                )
                .unwrap(),
                count,
            ),
        }
    }

    /// The same family moved by `t`.
    pub fn shift(&self, t: f64) -> Fam {
        match self {
            Fam::Uniform { lo, hi } => Fam::Uniform {
                lo: lo + t,
                hi: hi + t,
            },
            Fam::Triangular { lo, mode, hi } => Fam::Triangular {
                lo: lo + t,
                mode: mode + t,
                hi: hi + t,
            },
            Fam::Normal { mu, sigma, lo, hi } => Fam::Normal {
                mu: mu + t,
                sigma: *sigma,
                lo: lo + t,
                hi: hi + t,
            },
            Fam::Dip { z, f } => Fam::Dip {
                z: z.iter().map(|x| x + t).collect(),
                f: f.clone(),
            },
            Fam::Modes { parts, lo, hi } => Fam::Modes {
                parts: parts.iter().map(|&(w, m, s)| (w, m + t, s)).collect(),
                lo: lo + t,
                hi: hi + t,
            },
        }
    }
}

/// One class: risk capacity, count and family.
#[derive(Clone, Debug)]
pub struct Spec {
    pub kappa: f64,
    pub count: u64,
    pub fam: Fam,
}

/// A small market and the designer's weight.
#[derive(Clone, Debug)]
pub struct SmallCase {
    pub classes: Vec<Spec>,
    pub alpha: f64,
}

impl SmallCase {
    pub fn market(&self) -> Market {
        Market::new(
            self.classes
                .iter()
                .map(|c| c.fam.build(c.kappa, c.count))
                .collect(),
        )
        .unwrap()
    }

    pub fn n_traders(&self) -> u64 {
        self.classes.iter().map(|c| c.count).sum()
    }

    /// Scale of class `k`'s types: `|z|max + width` of its own support.
    pub fn type_scale(&self, k: usize) -> f64 {
        let (lo, hi) = self.classes[k].fam.support();
        lo.abs().max(hi.abs()) + (hi - lo)
    }

    /// Scale of class `k`'s allocation `X = −V_k + w_k Σ V_j`: its own
    /// type scale plus `w_k` times everyone's.
    pub fn allocation_scale(&self, k: usize) -> f64 {
        let total_kappa: f64 = self.classes.iter().map(|c| c.count as f64 * c.kappa).sum();
        let w = self.classes[k].kappa / total_kappa;
        let all: f64 = (0..self.classes.len())
            .map(|j| self.classes[j].count as f64 * self.type_scale(j))
            .sum();
        self.type_scale(k) + w * all
    }

    /// Scale of one class-`k` trader's utility: `(type + allocation scale)²/κ_k`.
    pub fn utility_scale(&self, k: usize) -> f64 {
        (self.type_scale(k) + self.allocation_scale(k)).powi(2) / self.classes[k].kappa
    }

    /// Scale of revenue and efficiency: the traders' utility scales summed.
    pub fn welfare_scale(&self) -> f64 {
        (0..self.classes.len())
            .map(|k| self.classes[k].count as f64 * self.utility_scale(k))
            .sum()
    }
}

fn log_uniform(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo.ln()..=hi.ln()).prop_map(f64::exp)
}

fn support() -> impl Strategy<Value = (f64, f64)> {
    (-3.0..=3.0f64, log_uniform(0.2, 5.0)).prop_map(|(c, w)| (c - 0.5 * w, c + 0.5 * w))
}

/// A dip of depth 5–40 % of the level and half-width 3–8 % of the support,
/// somewhere in its middle 70 %, on a tilted base.
pub fn dip() -> impl Strategy<Value = Fam> {
    (
        support(),
        0.2..0.8f64,
        0.05..0.4f64,
        0.03..0.08f64,
        0.5..2.0f64,
    )
        .prop_map(|((lo, hi), at, depth, half, tilt)| {
            let w = hi - lo;
            let base = |t: f64| 1.0 + (tilt - 1.0) * t;
            let mut z = vec![lo];
            let mut f = vec![base(0.0)];
            for (t, v) in [(at - half, 1.0), (at, depth), (at + half, 1.0)] {
                z.push(lo + t * w);
                f.push(v * base(t));
            }
            z.push(hi);
            f.push(base(1.0));
            Fam::Dip { z, f }
        })
}

/// Two modes at 25–35 % and 65–75 % of the support, σ 7–12 % of the width.
pub fn modes() -> impl Strategy<Value = Fam> {
    (support(), 0.3..1.0f64, 0.07..0.12f64, 0.0..0.1f64).prop_map(|((lo, hi), wt, sd, at)| {
        let w = hi - lo;
        Fam::Modes {
            parts: vec![
                (1.0, lo + (0.25 + at) * w, sd * w),
                (wt, lo + (0.65 + at) * w, sd * w),
            ],
            lo,
            hi,
        }
    })
}

pub fn regular_family() -> impl Strategy<Value = Fam> {
    prop_oneof![
        support().prop_map(|(lo, hi)| Fam::Uniform { lo, hi }),
        (support(), 0.0..=1.0f64).prop_map(|((lo, hi), u)| Fam::Triangular {
            lo,
            mode: lo + u * (hi - lo),
            hi
        }),
        (support(), -0.5..1.5f64, 0.1..1.0f64).prop_map(|((lo, hi), m, s)| Fam::Normal {
            mu: lo + m * (hi - lo),
            sigma: s * (hi - lo),
            lo,
            hi
        }),
    ]
}

pub fn family(non_regular: bool) -> BoxedStrategy<Fam> {
    if non_regular {
        prop_oneof![dip(), modes()].boxed()
    } else {
        regular_family().boxed()
    }
}

/// Two or three traders: two classes of one (or one of two and one of
/// one), or three classes of one. With `non_regular`, the first class is
/// non-regular. α is 0, 1, small (where the budget binds) or uniform; half
/// of the markets have means proportional to κ (moved by up to a quarter
/// width), where the first best runs a deficit and the budget binds at
/// small α.
pub fn small_case(non_regular: bool, max_traders: u64) -> impl Strategy<Value = SmallCase> {
    let shapes: Vec<Vec<u64>> = if max_traders >= 3 {
        vec![vec![1, 1], vec![2, 1], vec![1, 1, 1]]
    } else {
        vec![vec![1, 1]]
    };
    (
        prop::sample::select(shapes),
        family(non_regular),
        prop::collection::vec((log_uniform(0.1, 10.0), regular_family()), 2),
        prop_oneof![Just(0.0), Just(1.0), 0.0..0.05f64, 0.0..=1.0f64],
        prop_oneof![Just(None), (-0.3..0.3f64, -0.25..0.25f64).prop_map(Some)],
        log_uniform(0.1, 10.0),
    )
        .prop_map(|(counts, first, rest, alpha, prop, kappa0)| {
            let mut classes = vec![Spec {
                kappa: kappa0,
                count: counts[0],
                fam: first,
            }];
            for (c, (kappa, fam)) in counts[1..].iter().zip(rest) {
                classes.push(Spec {
                    kappa,
                    count: *c,
                    fam,
                });
            }
            if let Some((t, jitter)) = prop {
                for c in &mut classes {
                    let mean = c.fam.build(c.kappa, 1).distribution().mean();
                    let (lo, hi) = c.fam.support();
                    c.fam = c.fam.shift(t * c.kappa - mean + jitter * (hi - lo));
                }
            }
            SmallCase { classes, alpha }
        })
}

/// Three traders of a normal population (σ = 0.5 on `[−1, 1]`) with a
/// cluster of weight `w`, `N(at, σ²)`, beside three of a truncated normal
/// at 0.1 (σ = 0.4), κ = 1. With `cut` the cluster's component is cut off
/// at `±12σ` (the distributions differ by `e^{−72}` of `w`), so its ends
/// are kinks of the population, where the crate's integrals are split and
/// its ironing's mesh has points: the twin a cluster's tests compare with.
pub fn cluster_beside_normal(w: f64, sigma: f64, at: f64, cut: bool) -> Market {
    let normal = |m: f64, s: f64, lo: f64, hi: f64| {
        std::sync::Arc::new(TruncatedNormal::new(m, s, lo, hi).unwrap())
            as std::sync::Arc<dyn exchange_design::distribution::EndowmentDistribution>
    };
    let (lo, hi) = if cut {
        (at - 12.0 * sigma, at + 12.0 * sigma)
    } else {
        (-1.0, 1.0)
    };
    let population = Mixture::new(vec![
        (1.0, normal(0.0, 0.5, -1.0, 1.0)),
        (w, normal(at, sigma, lo, hi)),
    ])
    .unwrap();
    Market::new(vec![
        TraderClass::new(1.0, population, 3),
        TraderClass::new(1.0, TruncatedNormal::new(0.1, 0.4, -1.0, 1.0).unwrap(), 3),
    ])
    .unwrap()
}

/// Two traders whose endowments are a cluster `σ` wide at 0.3 (a truncated
/// normal on `[−1, 1]`) beside two uniform on `[−1, 1]`, κ = 1: the class
/// a quadrature over types steps over once `σ` is far below its first
/// panel.
pub fn narrow_cluster(sigma: f64) -> Market {
    Market::new(vec![
        TraderClass::new(
            1.0,
            exchange_design::distribution::TruncatedNormal::new(0.3, sigma, -1.0, 1.0).unwrap(),
            2,
        ),
        TraderClass::new(
            1.0,
            exchange_design::distribution::Uniform::new(-1.0, 1.0).unwrap(),
            2,
        ),
    ])
    .unwrap()
}
