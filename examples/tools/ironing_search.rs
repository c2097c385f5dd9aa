//! A seeded random search for non-regular markets that the ironing cannot
//! handle, with three generators:
//!
//! ```text
//! cargo run --release --example ironing_search -- KIND COUNT [SEED [INDEX]]
//! ```
//!
//! With INDEX, only that market of the search is run (for `tables`, the
//! three markets of that shape), and its spec is printed whatever the
//! outcome. Otherwise the markets run in parallel on rayon's pool (feature
//! `parallel`; `RAYON_NUM_THREADS` sets the threads), each from its own
//! generator, so the outcome of a market does not depend on the threads;
//! failures are printed as they are found (so in no fixed order) and the
//! counts so far go to standard error every 100 markets.
//!
//! * `tables`: COUNT tabulated densities (5–14 nodes, about 40 % of them
//!   deep dips), each beside a uniform class and solved at α = 0.2, 0.6 and
//!   1 (three markets a shape). `tables 3000 12345` is the search that found
//!   the densities of `tests/ironing.rs`'s
//!   `a_block_holding_two_dips_is_split_and_agrees_with_the_oracle`.
//! * `ordinary`: COUNT markets of 1–4 classes as a user would write them:
//!   mixtures of 2–4 truncated normals, uniforms, triangulars and betas
//!   (shapes 1–20), nested mixtures, tabulated densities with dips, a few
//!   plain families; α in [0, 1], κ in [0.2, 5], 1–5 traders a class.
//! * `harsh`: COUNT valid but harsher markets: tables of up to 120 nodes
//!   with dips to 1e-9 of the peak, normals as narrow as 1e-3 of their
//!   support, betas with shapes up to 200, supports 1e-3 to 1e3 wide
//!   shifted by up to 1e4, κ from 1e-3 to 1e3.
//!
//! Mixture components are drawn so that each one's support overlaps or
//! touches what the earlier ones cover; a draw a constructor still rejects
//! (a typed `DistributionError`, e.g. a density that vanishes where two
//! supports touch) is counted as an invalid draw and drawn again.
//!
//! Every market is built from a [`Spec`], solved with
//! [`OptimalMechanism::solve`] and, when that succeeds, checked: Lemma 1
//! ([`check_feasibility`]); revenue and efficiency finite; each class's
//! virtual value `V` non-decreasing on 2 000 evenly spaced types plus 50
//! types around each component's location, each dip or peak of a table and
//! each end of a component's support (so a narrow cluster is probed), to
//! `1e-12 × max(support scale, |V|)` where the support scale is
//! `max(hi − lo, |lo|, |hi|)` (the `|V|` term admits the rounding of a large
//! `β F/f`); and the ex-post allocation of a random type profile summing to
//! zero to `1e-12 × Σ(|X_i| + |V_i|)`.
//!
//! Each failure is printed with the JSON spec that reproduces it (feed it to
//! the `solve` example), each market whose build and solve take more than
//! 10 s is reported as slow, and a market still running after 60 s is
//! announced (with its spec) while it runs. The summary groups typed errors
//! by their first words. Exit status 1 if any sanity check failed or any
//! error mentions the ironing.
//!
//! With `IRONING_SEARCH_ASSESS` set, each solved market is also assessed
//! under its own market (`Design::assess`), whose revenue and efficiency
//! come from quadratures of `V`, `V²` and `Z V` against the densities, and
//! must reproduce the solve's to `1e-9` in the crate's natural units
//! (`(|z|max + width)²/κ` summed over traders): an independent check of
//! the moments the search's other checks cannot see.
//!
//! To keep a search within a time budget, set `IRONING_SEARCH_SECONDS`: no
//! market is started after that many seconds, and a market still running
//! 60 s later is abandoned (announced with its spec, not counted); the
//! summary then says the search stopped before COUNT.

use exchange_design::deployment::Design;
use exchange_design::mechanism::DirectMechanism;
use exchange_design::mechanism::{check_feasibility, OptimalMechanism};
use exchange_design::spec::{ComponentSpec, DistributionSpec, Spec, SpecError, TraderSpec};
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A market taking longer than this is reported as slow.
const SLOW: Duration = Duration::from_secs(10);
/// A market still running after this is announced, with its spec, while it runs.
const STUCK: Duration = Duration::from_secs(60);
/// Evenly spaced types on which each class's `V` is checked.
const GRID: usize = 2000;
/// Types around each probe point (a component's location, a table's dip or peak).
const PROBE: usize = 50;
/// Relative tolerance of the monotonicity and budget checks.
const REL: f64 = 1e-12;
/// Relative tolerance of the design's revenue and efficiency reproduced by
/// assessing it under its own market ([`reproduced`]).
const ASSESS_REL: f64 = 1e-9;

/// A small linear congruential generator, so that a seed gives the same
/// markets on every machine.
struct Lcg(u64);

impl Lcg {
    /// The generator of market `index` of a search seeded with `seed`
    /// (`splitmix64` of both), so that one market does not depend on the
    /// draws before it.
    fn for_market(seed: u64, index: u64) -> Self {
        let mut x = seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(index.wrapping_mul(0xBF58_476D_1CE4_E5B9))
            .wrapping_add(0x94D0_49BB_1331_11EB);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Lcg(x ^ (x >> 31))
    }

    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform on `[a, b]`.
    fn range(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.uniform()
    }

    /// Log-uniform on `[a, b]` (both positive).
    fn log_range(&mut self, a: f64, b: f64) -> f64 {
        (a.ln() + (b.ln() - a.ln()) * self.uniform()).exp()
    }

    /// An integer in `lo..=hi`.
    fn int(&mut self, lo: usize, hi: usize) -> usize {
        (lo + (self.uniform() * (hi - lo + 1) as f64) as usize).min(hi)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Tables,
    Ordinary,
    Harsh,
}

/// The ranges a generator draws from.
struct Ranges {
    /// Log-uniform range of a class's support width.
    width: (f64, f64),
    /// Largest shift of a class's support centre.
    shift: f64,
    /// Log-uniform range of σ as a fraction of its support's width.
    sigma: (f64, f64),
    /// Largest Beta shape (log-uniform from 1).
    shape: f64,
    /// Most nodes of a table, and the smallest dip as a fraction of its peak.
    nodes: usize,
    dip: f64,
    /// Log-uniform range of κ.
    kappa: (f64, f64),
}

const ORDINARY: Ranges = Ranges {
    width: (0.2, 3.0),
    shift: 1.0,
    sigma: (3e-3, 1.0),
    shape: 20.0,
    nodes: 15,
    dip: 1e-3,
    kappa: (0.2, 5.0),
};

const HARSH: Ranges = Ranges {
    width: (1e-3, 1e3),
    shift: 1e4,
    sigma: (1e-3, 1.0),
    shape: 200.0,
    nodes: 120,
    dip: 1e-9,
    kappa: (1e-3, 1e3),
};

/// One leaf family on `[lo, hi]`.
fn leaf(rng: &mut Lcg, r: &Ranges, lo: f64, hi: f64) -> DistributionSpec {
    let w = hi - lo;
    match rng.int(0, 4) {
        0 | 1 => DistributionSpec::TruncatedNormal {
            mu: rng.range(lo - 0.1 * w, hi + 0.1 * w),
            sigma: w * rng.log_range(r.sigma.0, r.sigma.1),
            lo,
            hi,
        },
        2 => DistributionSpec::Uniform { lo, hi },
        3 => DistributionSpec::Triangular {
            lo,
            mode: match rng.int(0, 5) {
                0 => lo,
                1 => hi,
                _ => rng.range(lo, hi),
            },
            hi,
        },
        _ => {
            let mut shape = || {
                if rng.chance(0.2) {
                    1.0
                } else {
                    rng.log_range(1.0, r.shape)
                }
            };
            DistributionSpec::Beta {
                a: shape(),
                b: shape(),
                lo,
                hi,
            }
        }
    }
}

/// A tabulated density on `[lo, hi]` with dips.
fn table(rng: &mut Lcg, r: &Ranges, lo: f64, hi: f64) -> DistributionSpec {
    let n = rng.int(3, r.nodes);
    let mut steps: Vec<f64> = (1..n).map(|_| rng.range(0.05, 1.0)).collect();
    let total: f64 = steps.iter().sum();
    let mut z = vec![lo];
    let mut at = 0.0;
    for s in steps.iter_mut().take(n - 2) {
        at += *s / total;
        z.push(lo + (hi - lo) * at);
    }
    z.push(hi);
    let peak = 2.0;
    let dip_share = rng.range(0.1, 0.5);
    let mut density: Vec<f64> = (0..n)
        .map(|_| {
            if rng.chance(dip_share) {
                peak * rng.log_range(r.dip, 0.1)
            } else {
                rng.range(0.3, peak)
            }
        })
        .collect();
    for end in [0, n - 1] {
        if rng.chance(0.15) {
            density[end] = 0.0;
        }
    }
    DistributionSpec::PiecewiseLinear { z, density }
}

/// A mixture of 2–4 components on supports around `[lo, hi]`, each
/// overlapping or touching the hull of the ones before it; `depth` > 0
/// allows a nested mixture as a component.
fn mixture(rng: &mut Lcg, r: &Ranges, lo: f64, hi: f64, depth: usize) -> DistributionSpec {
    let w = hi - lo;
    let k = rng.int(2, 4);
    let mut hull = (lo, lo + w * rng.range(0.2, 1.0));
    let mut components = Vec::with_capacity(k);
    for i in 0..k {
        let (a, b) = if i == 0 {
            hull
        } else {
            let cw = w * rng.range(0.05, 1.0);
            match rng.int(0, 9) {
                // Touching the hull at its upper or its lower end.
                0 => (hull.1, hull.1 + cw),
                1 => (hull.0 - cw, hull.0),
                _ => {
                    let anchor = rng.range(hull.0, hull.1);
                    let a = anchor - cw * rng.uniform();
                    (a, a + cw)
                }
            }
        };
        hull = (hull.0.min(a), hull.1.max(b));
        let d = match rng.int(0, 9) {
            0 if depth > 0 => mixture(rng, r, a, b, depth - 1),
            1 => table(rng, r, a, b),
            _ => leaf(rng, r, a, b),
        };
        let weight = if rng.chance(0.3) {
            rng.log_range(1e-3, 1.0)
        } else {
            rng.range(0.2, 1.0)
        };
        components.push(ComponentSpec {
            weight,
            distribution: d,
        });
    }
    DistributionSpec::Mixture { components }
}

/// A market of the `ordinary` or `harsh` kind.
fn market(rng: &mut Lcg, r: &Ranges) -> Spec {
    let classes = rng.int(1, 4);
    let alpha = match rng.int(0, 9) {
        0 => 0.0,
        1 => 1.0,
        _ => rng.uniform(),
    };
    let traders = (0..classes)
        .map(|_| {
            let w = rng.log_range(r.width.0, r.width.1);
            let centre = if rng.chance(0.5) {
                rng.range(-r.shift, r.shift)
            } else {
                rng.range(-1.0, 1.0)
            };
            let (lo, hi) = (centre - 0.5 * w, centre + 0.5 * w);
            let distribution = match rng.int(0, 9) {
                0..=5 => mixture(rng, r, lo, hi, 1),
                6 | 7 => table(rng, r, lo, hi),
                _ => leaf(rng, r, lo, hi),
            };
            TraderSpec {
                kappa: rng.log_range(r.kappa.0, r.kappa.1),
                // A lone class needs two traders for an exchange.
                count: rng.int(if classes == 1 { 2 } else { 1 }, 5) as u64,
                distribution,
            }
        })
        .collect();
    Spec {
        alpha,
        traders,
        fee_queries: None,
        assess: None,
        bootstrap: None,
    }
}

/// The `tables` shape of the original search (same draws for a seed).
fn tables_shape(rng: &mut Lcg) -> (Vec<f64>, Vec<f64>) {
    let nodes = 5 + (rng.uniform() * 10.0) as usize;
    let mut z = vec![0.0f64];
    for _ in 1..nodes {
        let last = z[z.len() - 1];
        z.push(last + 0.01 + 0.3 * rng.uniform());
    }
    let f: Vec<f64> = (0..nodes)
        .map(|_| {
            if rng.uniform() < 0.4 {
                0.003 + 0.05 * rng.uniform()
            } else {
                0.3 + 2.0 * rng.uniform()
            }
        })
        .collect();
    (z, f)
}

fn tables_market(z: Vec<f64>, density: Vec<f64>, alpha: f64) -> Spec {
    Spec {
        alpha,
        traders: vec![
            TraderSpec {
                kappa: 1.0,
                count: 2,
                distribution: DistributionSpec::PiecewiseLinear { z, density },
            },
            TraderSpec {
                kappa: 1.0,
                count: 1,
                distribution: DistributionSpec::Uniform { lo: -0.5, hi: 1.5 },
            },
        ],
        fee_queries: None,
        assess: None,
        bootstrap: None,
    }
}

/// Points `(centre, scale)` around which to probe `V` more densely: each
/// component's location, a table's dips and peaks, and the ends of each
/// mixture component's support (where the density jumps).
fn probes(d: &DistributionSpec, out: &mut Vec<(f64, f64)>) {
    match d {
        DistributionSpec::TruncatedNormal { mu, sigma, lo, hi } => {
            out.push((mu.clamp(*lo, *hi), *sigma));
            out.extend([(*lo, 1e-3 * (hi - lo)), (*hi, 1e-3 * (hi - lo))]);
        }
        DistributionSpec::Beta { a, b, lo, hi } => {
            let w = hi - lo;
            let mode = if a + b > 2.0 {
                (a - 1.0) / (a + b - 2.0)
            } else {
                0.5
            };
            let sd = (a * b / ((a + b) * (a + b) * (a + b + 1.0))).sqrt();
            out.push((lo + w * mode, w * sd));
            out.extend([(*lo, 1e-3 * w), (*hi, 1e-3 * w)]);
        }
        DistributionSpec::Triangular { lo, mode, hi } => {
            let w = hi - lo;
            out.extend([(*mode, 0.05 * w), (*lo, 1e-3 * w), (*hi, 1e-3 * w)]);
        }
        DistributionSpec::Uniform { lo, hi } => {
            let w = hi - lo;
            out.extend([(*lo, 1e-3 * w), (*hi, 1e-3 * w)]);
        }
        DistributionSpec::PiecewiseLinear { z, density } => {
            for i in 1..z.len().saturating_sub(1) {
                let (l, m, r) = (density[i - 1], density[i], density[i + 1]);
                if (m < l && m < r) || (m > l && m > r) {
                    out.push((z[i], 0.5 * (z[i + 1] - z[i - 1])));
                }
            }
            let w = z[z.len() - 1] - z[0];
            out.extend([(z[0], 1e-3 * w), (z[z.len() - 1], 1e-3 * w)]);
        }
        DistributionSpec::Mixture { components } => {
            for c in components {
                probes(&c.distribution, out);
            }
        }
        _ => {}
    }
}

/// What became of one market.
enum Outcome {
    Ok,
    Typed(String),
    Sanity(String),
}

/// The sanity checks of a solved market (see the module doc).
fn sanity(spec: &Spec, mech: &OptimalMechanism, rng: &mut Lcg) -> Result<(), String> {
    check_feasibility(mech).map_err(|e| format!("Lemma 1: {e}"))?;
    let (revenue, efficiency) = (mech.revenue(), mech.efficiency());
    if !(revenue.is_finite() && efficiency.is_finite()) {
        return Err(format!(
            "revenue {revenue} or efficiency {efficiency} is not finite"
        ));
    }
    let mut types = Vec::new();
    for (k, (t, c)) in spec.traders.iter().zip(mech.market().classes()).enumerate() {
        let d = c.distribution();
        let (lo, hi) = d.support();
        let scale = (hi - lo).max(lo.abs()).max(hi.abs());
        let mut zs: Vec<f64> = (0..GRID)
            // Clamped: `lo + (hi − lo)` can round to just above `hi`.
            .map(|i| (lo + (hi - lo) * i as f64 / (GRID - 1) as f64).min(hi))
            .collect();
        let mut centres = Vec::new();
        probes(&t.distribution, &mut centres);
        for (c, s) in centres {
            for i in 0..PROBE {
                let z = c + s * (-4.0 + 8.0 * i as f64 / (PROBE - 1) as f64);
                zs.push(z.clamp(lo, hi));
            }
        }
        zs.retain(|z| z.is_finite());
        zs.sort_by(f64::total_cmp);
        zs.dedup();
        let vv = mech.class(k).virtual_value();
        let vs: Vec<f64> = zs.iter().map(|&z| vv.value(z)).collect();
        if let Some(i) = vs.iter().position(|v| !v.is_finite()) {
            return Err(format!("class {k}: V({}) = {} is not finite", zs[i], vs[i]));
        }
        for i in 1..zs.len() {
            let tol = REL * scale.max(vs[i - 1].abs()).max(vs[i].abs());
            if vs[i] < vs[i - 1] - tol {
                return Err(format!(
                    "class {k}: V decreases from {} at z = {} to {} at z = {} (by {:e}, tolerance {tol:e})",
                    vs[i - 1],
                    zs[i - 1],
                    vs[i],
                    zs[i],
                    vs[i - 1] - vs[i]
                ));
            }
        }
        for _ in 0..c.count() {
            let z = d.quantile(rng.range(0.001, 0.999));
            types.push(if z.is_finite() {
                z.clamp(lo, hi)
            } else {
                rng.range(lo, hi)
            });
        }
    }
    let x = mech
        .allocation(&types)
        .map_err(|e| format!("allocation of {types:?}: {e}"))?;
    let mut offset = 0;
    let mut v_abs = 0.0;
    for (k, c) in mech.market().classes().iter().enumerate() {
        let n = c.count() as usize;
        let vv = mech.class(k).virtual_value();
        v_abs += types[offset..offset + n]
            .iter()
            .map(|&z| vv.value(z).abs())
            .sum::<f64>();
        offset += n;
    }
    let sum: f64 = x.iter().sum();
    let size: f64 = x.iter().map(|v| v.abs()).sum::<f64>() + v_abs;
    if sum.is_nan() || sum.abs() > REL * size {
        return Err(format!(
            "the allocation of {types:?} sums to {sum:e} (|X| + |V| total {size:e})"
        ));
    }
    if std::env::var_os("IRONING_SEARCH_ASSESS").is_some() {
        reproduced(mech)
    } else {
        Ok(())
    }
}

/// The design assessed under its own market: revenue and efficiency from
/// quadratures of `V`, `V²` and `Z V` against each class's density (the
/// deployment layer's own code), against the solve's, whose moments come
/// from closed forms on pools and other quadratures. To [`ASSESS_REL`] of
/// the crate's natural units (`docs/theory.md`, "How the tests compare"):
/// `(|z|max + width)²/κ` summed over traders.
fn reproduced(mech: &OptimalMechanism) -> Result<(), String> {
    let market = mech.market();
    let truth: Vec<_> = market
        .classes()
        .iter()
        .map(|c| c.shared_distribution())
        .collect();
    let design = Design::new(mech.clone()).map_err(|e| format!("design: {e}"))?;
    let a = design
        .assess(&truth)
        .map_err(|e| format!("assessment under its own market: {e}"))?;
    let scale: f64 = market
        .classes()
        .iter()
        .map(|c| {
            let (lo, hi) = c.distribution().support();
            c.count() as f64 * (lo.abs().max(hi.abs()) + (hi - lo)).powi(2) / c.kappa()
        })
        .sum();
    for (what, got, want) in [
        ("revenue", a.revenue(), mech.revenue()),
        ("efficiency", a.efficiency(), mech.efficiency()),
    ] {
        let off = (got - want).abs();
        if off.is_nan() || off > ASSESS_REL * scale {
            return Err(format!(
                "assessed under its own market, {what} {got} against the design's {want} (off by {:e} of {scale:e})",
                off / scale
            ));
        }
    }
    Ok(())
}

/// Builds, solves and checks one market; `None` for an invalid draw, else
/// the outcome and the seconds the solve took.
fn run_market(spec: &Spec, rng: &mut Lcg) -> Option<(Outcome, f64)> {
    let start = Instant::now();
    let market = match spec.market() {
        Ok(m) => m,
        Err(SpecError::Invalid { .. }) => return None,
        Err(e) => return Some((Outcome::Typed(e.to_string()), 0.0)),
    };
    let solved = OptimalMechanism::solve(&market, spec.alpha);
    let solve = start.elapsed().as_secs_f64();
    let outcome = match solved {
        Err(e) => Outcome::Typed(e.to_string()),
        Ok(mech) => match sanity(spec, &mech, rng) {
            Ok(()) => Outcome::Ok,
            Err(e) => Outcome::Sanity(e),
        },
    };
    Some((outcome, solve))
}

/// The first words of an error message with numbers replaced by `#`, to
/// group errors that differ only in their numbers.
fn group(message: &str) -> String {
    message
        .split_whitespace()
        .take(12)
        .map(|w| {
            if w.chars().any(|c| c.is_ascii_digit()) {
                "#"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn json(spec: &Spec) -> String {
    serde_json::to_string(spec).unwrap_or_else(|e| format!("(spec not serialisable: {e})"))
}

/// The search's counts so far.
#[derive(Default)]
struct Tally {
    markets: usize,
    ok: usize,
    typed: usize,
    sanity: usize,
    slow: usize,
    invalid: usize,
    ironing: usize,
    groups: BTreeMap<String, usize>,
    slowest: (f64, usize),
    /// Whether the time limit stopped the search before COUNT.
    stopped: bool,
    /// The markets being solved: when each started, its spec and whether it
    /// has been announced as still running.
    current: BTreeMap<usize, (Instant, Spec, bool)>,
}

/// What the run was asked for, for the summary.
struct Run {
    kind: Kind,
    count: usize,
    seed: u64,
    started: Instant,
    /// Stop drawing new markets after this long (`IRONING_SEARCH_SECONDS`).
    limit: Option<Duration>,
}

/// Prints the grouped errors and the summary line; the exit status.
fn summary(run: &Run, tally: &Tally) -> ExitCode {
    if !tally.groups.is_empty() {
        println!("typed errors by their first words:");
        for (key, n) in &tally.groups {
            println!("  {n:6}  {key}");
        }
    }
    let stopped = if tally.stopped {
        format!(
            " (stopped by the time limit of {} s before COUNT was reached)",
            run.limit.map_or(0, |l| l.as_secs())
        )
    } else {
        String::new()
    };
    println!(
        "{:?} search, COUNT {}, seed {}: {} invalid draws ({}); slowest solve {:.2} s (market {}); {:.1} s in all{stopped}",
        run.kind,
        run.count,
        run.seed,
        tally.invalid,
        if run.kind == Kind::Tables { "skipped" } else { "drawn again" },
        tally.slowest.0,
        tally.slowest.1,
        run.started.elapsed().as_secs_f64()
    );
    println!(
        "{} markets: ok {}, typed errors {}, sanity failures {}, slow {}",
        tally.markets, tally.ok, tally.typed, tally.sanity, tally.slow
    );
    if tally.sanity == 0 && tally.ironing == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Every 5 s: announces (once) a market still running after [`STUCK`],
/// with its spec; past the time limit by more than [`STUCK`], prints the
/// summary of what was done and ends the process (the markets then running
/// are announced, and not counted).
fn watchdog(run: Arc<Run>, tally: Arc<Mutex<Tally>>) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(5));
        let Ok(mut t) = tally.lock() else {
            return;
        };
        for (index, (start, spec, announced)) in t.current.iter_mut() {
            if !*announced && start.elapsed() > STUCK {
                *announced = true;
                println!(
                    "STILL RUNNING market {index} after {} s\n  spec {}",
                    STUCK.as_secs(),
                    json(spec)
                );
            }
        }
        if let Some(limit) = run.limit {
            if run.started.elapsed() > limit + STUCK {
                t.stopped = true;
                let code = summary(&run, &t);
                std::process::exit(if code == ExitCode::SUCCESS { 0 } else { 1 });
            }
        }
    });
}

/// The markets of search index `index`, numbered: one for `ordinary` and
/// `harsh` (market `index`), three for `tables` (markets `3 index` to
/// `3 index + 2`, from the shape drawn `index`-th).
fn specs_of(
    kind: Kind,
    index: usize,
    shape: Option<&(Vec<f64>, Vec<f64>)>,
    rng: &mut Lcg,
) -> Vec<(usize, Spec)> {
    match (kind, shape) {
        (Kind::Tables, Some((z, f))) => [0.2, 0.6, 1.0]
            .iter()
            .enumerate()
            .map(|(j, &a)| (3 * index + j, tables_market(z.clone(), f.clone(), a)))
            .collect(),
        (Kind::Harsh, _) => vec![(index, market(rng, &HARSH))],
        _ => vec![(index, market(rng, &ORDINARY))],
    }
}

/// Solves and checks the markets of search index `index`, counting into
/// `tally` and printing each failure as it is found.
fn search_index(
    run: &Run,
    tally: &Mutex<Tally>,
    index: usize,
    shape: Option<&(Vec<f64>, Vec<f64>)>,
    verbose: bool,
) {
    let lock = || tally.lock().unwrap_or_else(|e| e.into_inner());
    if run.limit.is_some_and(|l| run.started.elapsed() > l) {
        lock().stopped = true;
        return;
    }
    let ranges = if run.kind == Kind::Harsh {
        &HARSH
    } else {
        &ORDINARY
    };
    let mut rng = Lcg::for_market(run.seed, index as u64);
    // Popped from the end: solved in the order drawn.
    let mut pending: Vec<(usize, Spec)> = specs_of(run.kind, index, shape, &mut rng)
        .into_iter()
        .rev()
        .collect();
    while let Some((n, spec)) = pending.pop() {
        lock()
            .current
            .insert(n, (Instant::now(), spec.clone(), false));
        let outcome = run_market(&spec, &mut rng);
        let mut t = lock();
        t.current.remove(&n);
        let Some((outcome, seconds)) = outcome else {
            t.invalid += 1;
            match run.kind {
                // The original search skips an invalid shape.
                Kind::Tables => break,
                _ => {
                    pending.push((n, market(&mut rng, ranges)));
                    continue;
                }
            }
        };
        t.markets += 1;
        if seconds > t.slowest.0 {
            t.slowest = (seconds, n);
        }
        if verbose {
            println!("market {n} (solve {seconds:.2} s)\n  spec {}", json(&spec));
        }
        match outcome {
            Outcome::Ok => t.ok += 1,
            Outcome::Typed(e) => {
                t.typed += 1;
                if e.contains("ironing") {
                    t.ironing += 1;
                }
                *t.groups.entry(group(&e)).or_insert(0) += 1;
                println!(
                    "TYPED ERROR market {n} (solve {seconds:.2} s): {e}\n  spec {}",
                    json(&spec)
                );
            }
            Outcome::Sanity(e) => {
                t.sanity += 1;
                println!(
                    "SANITY FAILURE market {n} (solve {seconds:.2} s): {e}\n  spec {}",
                    json(&spec)
                );
            }
        }
        if seconds > SLOW.as_secs_f64() {
            t.slow += 1;
            println!(
                "SLOW market {n}: solve {seconds:.1} s\n  spec {}",
                json(&spec)
            );
        }
        if t.markets % 100 == 0 {
            eprintln!(
                "{} markets ({:.0} s): ok {}, typed errors {}, sanity failures {}, slow {}",
                t.markets,
                run.started.elapsed().as_secs_f64(),
                t.ok,
                t.typed,
                t.sanity,
                t.slow
            );
        }
    }
}

/// Runs `f` on every index, on rayon's pool with the `parallel` feature.
fn for_each_index<F: Fn(usize) + Sync + Send>(count: usize, f: F) {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..count).into_par_iter().for_each(f);
    }
    #[cfg(not(feature = "parallel"))]
    (0..count).for_each(f);
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kind = match args.first().map(String::as_str) {
        Some("tables") => Some(Kind::Tables),
        Some("ordinary") => Some(Kind::Ordinary),
        Some("harsh") => Some(Kind::Harsh),
        _ => None,
    };
    let count = args.get(1).map(|s| s.parse::<usize>());
    let seed = args.get(2).map_or(Ok(12345), |s| s.parse::<u64>());
    let only = args.get(3).map(|s| s.parse::<usize>());
    let limit = match std::env::var("IRONING_SEARCH_SECONDS") {
        Ok(s) => match s.parse::<u64>() {
            Ok(n) => Some(Duration::from_secs(n)),
            Err(_) => {
                eprintln!("IRONING_SEARCH_SECONDS must be a whole number of seconds");
                return ExitCode::FAILURE;
            }
        },
        Err(_) => None,
    };
    let (kind, count, seed, only) = match (kind, count, seed, only) {
        (Some(k), Some(Ok(n)), Ok(s), None) => (k, n, s, None),
        (Some(k), Some(Ok(n)), Ok(s), Some(Ok(i))) if i < n => (k, n, s, Some(i)),
        _ => {
            eprintln!("usage: ironing_search tables|ordinary|harsh COUNT [SEED [INDEX]]");
            return ExitCode::FAILURE;
        }
    };
    let run = Arc::new(Run {
        kind,
        count,
        seed,
        started: Instant::now(),
        limit,
    });
    let tally = Arc::new(Mutex::new(Tally::default()));
    watchdog(run.clone(), tally.clone());
    // The tables' shapes come from one stream, drawn in order up front.
    let shapes: Vec<(Vec<f64>, Vec<f64>)> = if kind == Kind::Tables {
        let mut stream = Lcg(seed);
        (0..count).map(|_| tables_shape(&mut stream)).collect()
    } else {
        Vec::new()
    };
    match only {
        Some(i) => search_index(&run, &tally, i, shapes.get(i), true),
        None => for_each_index(count, |i| {
            search_index(&run, &tally, i, shapes.get(i), false)
        }),
    }
    let t = tally.lock().unwrap_or_else(|e| e.into_inner());
    summary(&run, &t)
}
