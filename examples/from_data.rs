//! From data to mechanism: observed inventories of several kinds of
//! traders, a distribution estimated for each kind four ways (with the fit
//! reported: bandwidth and rule, parameters, log-likelihood), Condition 2
//! checked, the α-optimal mechanism solved (ironed where the estimate needs
//! it, each pooled interval printed with its probability mass), the side
//! payments printed, and an SVG of the fits and virtual values.
//!
//! ```text
//! cargo run --release --example from_data [-- [DATA.csv] [--out DIR] [--kappa K] [--count N] [--support LO,HI]]
//! ```
//!
//! **Your data.** `DATA.csv` holds one column per kind of trader, with the
//! kinds' names in a header row (columns may have different lengths: leave
//! the missing cells empty), or rows `class,value` (an optional header row
//! is skipped). Every kind gets risk capacity `K` (default 1) and `N`
//! traders (default 5); its support is `[LO, HI]` if given, else its data's
//! range widened by a tenth of it each side (the parametric fits need a
//! support, and the Beta samples strictly inside it). Output goes to `DIR`
//! (default `target/from_data`).
//!
//! **The demo** (no `DATA.csv`): the data are made here, seeded.
//! *Hedgers* (risk capacity 0.2, six of them in the market) hold
//! inventories that cluster away from zero, long around +1.4 or short
//! around −1.1, observed 3000 times on [−3, 3]; *speculators* (risk
//! capacity 1, ten of them) hold little, around zero, observed 800 times on
//! [−2, 2]. Whether a fit breaks Condition 2, and where the mechanism
//! pools types, is printed for each fit: each pool with its probability
//! mass and its effect on the objective (how much more the objective would
//! be without it, at most; `mechanism::Pool`). Pools whose effect is below
//! `NEGLIGIBLE_POOL` (1e-6) of the market's objective scale — wiggles of an
//! estimate in its tails — are counted as negligible and not listed. The
//! log-concave, truncated-normal and Beta fits are unimodal and never
//! pooled.

use exchange_design::distribution::{check_condition2, EndowmentDistribution};
use exchange_design::estimation::{estimate_with_fit, Method, Parameters};
use exchange_design::implementation::SidePayments;
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::DirectMechanism;
use exchange_design::mechanism::OptimalMechanism;
use plotters::prelude::*;
use rand::{rngs::StdRng, RngExt, SeedableRng};
use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

type Res<T> = Result<T, Box<dyn Error>>;

const ALPHA: f64 = 0.5;
const METHODS: [Method; 4] = [
    Method::Kde,
    Method::LogConcave,
    Method::TruncatedNormal,
    Method::Beta,
];
const COLORS: [RGBColor; 4] = [
    RGBColor(200, 30, 30),
    RGBColor(20, 90, 200),
    RGBColor(20, 150, 60),
    RGBColor(150, 60, 170),
];

struct Kind {
    name: String,
    kappa: f64,
    count: u64,
    support: (f64, f64),
    samples: Vec<f64>,
}

/// A normal draw by Box–Muller (two uniforms), redrawn until inside `support`.
fn normal(rng: &mut StdRng, mu: f64, sigma: f64, support: (f64, f64)) -> f64 {
    loop {
        let (u, v): (f64, f64) = (rng.random(), rng.random());
        let z = (-2.0 * (1.0 - u).ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
        let x = mu + sigma * z;
        if x > support.0 && x < support.1 {
            return x;
        }
    }
}

fn data() -> Vec<Kind> {
    let mut rng = StdRng::seed_from_u64(2026);
    let hedge_support = (-3.0, 3.0);
    let hedgers = (0..3000)
        .map(|_| {
            if rng.random::<f64>() < 0.6 {
                normal(&mut rng, 1.4, 0.45, hedge_support)
            } else {
                normal(&mut rng, -1.1, 0.4, hedge_support)
            }
        })
        .collect();
    let spec_support = (-2.0, 2.0);
    let speculators = (0..800)
        .map(|_| normal(&mut rng, 0.05, 0.35, spec_support))
        .collect();
    vec![
        Kind {
            name: "hedgers".into(),
            kappa: 0.2,
            count: 6,
            support: hedge_support,
            samples: hedgers,
        },
        Kind {
            name: "speculators".into(),
            kappa: 1.0,
            count: 10,
            support: spec_support,
            samples: speculators,
        },
    ]
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// The command line: where to write, and the data (the demo's if no file
/// is given).
fn parse_args() -> Res<(PathBuf, Vec<Kind>)> {
    const USAGE: &str =
        "usage: from_data [DATA.csv] [--out DIR] [--kappa K] [--count N] [--support LO,HI]";
    let mut out = PathBuf::from("target/from_data");
    let (mut file, mut kappa, mut count, mut support) = (None, 1.0, 5, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |what: &str| args.next().ok_or(format!("{a} needs {what}; {USAGE}"));
        match a.as_str() {
            "--out" => out = PathBuf::from(value("a directory")?),
            "--kappa" => kappa = value("a number")?.parse()?,
            "--count" => count = value("a whole number")?.parse()?,
            "--support" => {
                let v = value("LO,HI")?;
                let (lo, hi) = v
                    .split_once(',')
                    .ok_or(format!("--support {v:?}: give LO,HI"))?;
                support = Some((lo.trim().parse()?, hi.trim().parse()?));
            }
            other if other.starts_with("--") => {
                return Err(format!("unknown option {other:?}; {USAGE}").into())
            }
            path => file = Some(PathBuf::from(path)),
        }
    }
    let kinds = match file {
        None => data(),
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            read_csv(&text, kappa, count, support)
                .map_err(|e| format!("{}: {e}", path.display()))?
        }
    };
    Ok((out, kinds))
}

/// The kinds in a CSV text: one column per kind under a header of names, or
/// `class,value` rows.
fn read_csv(text: &str, kappa: f64, count: u64, support: Option<(f64, f64)>) -> Res<Vec<Kind>> {
    let rows: Vec<(usize, Vec<&str>)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l.split(',').map(str::trim).collect()))
        .collect();
    let number = |s: &str| s.parse::<f64>().ok();
    // `class,value` rows: two cells, the first not a number, the second one.
    let long = rows
        .iter()
        .skip(1)
        .all(|(_, r)| r.len() == 2 && number(r[0]).is_none() && number(r[1]).is_some())
        && rows.len() > 1;
    let mut columns: Vec<(String, Vec<f64>)> = Vec::new();
    if long {
        for (line, r) in &rows {
            let Some(v) = number(r[1]) else {
                if *line == rows[0].0 {
                    continue; // a header
                }
                return Err(format!("line {line}: {:?} is not a number", r[1]).into());
            };
            match columns.iter_mut().find(|(name, _)| name == r[0]) {
                Some((_, xs)) => xs.push(v),
                None => columns.push((r[0].to_string(), vec![v])),
            }
        }
    } else {
        let (_, header) = rows.first().ok_or("the file is empty")?;
        columns = header.iter().map(|h| (h.to_string(), Vec::new())).collect();
        for (line, r) in &rows[1..] {
            if r.len() > columns.len() {
                return Err(format!(
                    "line {line}: {} cells under {} column names",
                    r.len(),
                    columns.len()
                )
                .into());
            }
            for (cell, (_, xs)) in r.iter().zip(columns.iter_mut()) {
                if cell.is_empty() {
                    continue;
                }
                xs.push(number(cell).ok_or(format!("line {line}: {cell:?} is not a number"))?);
            }
        }
    }
    columns
        .into_iter()
        .map(|(name, samples)| {
            let (min, max) = samples
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                });
            if samples.is_empty() {
                return Err(format!("class {name:?} has no values").into());
            }
            let pad = 0.1 * (max - min);
            Ok(Kind {
                name,
                kappa,
                count,
                support: support.unwrap_or((min - pad, max + pad)),
                samples,
            })
        })
        .collect()
}

struct Fit {
    method: Method,
    dists: Vec<Arc<dyn EndowmentDistribution>>,
    mech: OptimalMechanism,
}

fn run() -> Res<()> {
    let (out, kinds) = parse_args()?;
    std::fs::create_dir_all(&out)?;
    for k in &kinds {
        let n = k.samples.len() as f64;
        let mean = k.samples.iter().sum::<f64>() / n;
        println!(
            "{}: {} observations, mean {mean:.4}, kappa {}, {} traders",
            k.name,
            k.samples.len(),
            k.kappa,
            k.count
        );
    }
    let mut fits = Vec::new();
    for method in METHODS {
        println!("\n== {} ==", method.name());
        let mut dists = Vec::new();
        let mut classes = Vec::new();
        for k in &kinds {
            let e = estimate_with_fit(method, &k.samples, Some(k.support))
                .map_err(|e| format!("{} by {}: {e}", k.name, method.name()))?;
            let (d, fit) = (e.distribution, e.fit);
            let c2 = match check_condition2(d.as_ref()) {
                Ok(()) => "holds".to_string(),
                Err(v) => format!("fails ({v})"),
            };
            let params = match fit.parameters {
                Parameters::Kde {
                    bandwidth,
                    rule,
                    fell_back,
                    ..
                } => format!(
                    "bandwidth {bandwidth:.4} ({rule:?}{})",
                    if fell_back {
                        ", plug-in had no root"
                    } else {
                        ""
                    }
                ),
                Parameters::LogConcave {
                    knots,
                    smoothing_sd,
                } => format!("{knots} knots, smoothed with sd {smoothing_sd:.4}"),
                Parameters::TruncatedNormal { mu, sigma } => {
                    format!("mu {mu:.4}, sigma {sigma:.4}")
                }
                Parameters::Beta { a, b } => format!("a {a:.4}, b {b:.4}"),
                _ => String::new(),
            };
            println!(
                "  {:<12} support [{:.3}, {:.3}], n {} ({} distinct), log-likelihood {:.2}, {params}; mean {:.4}; Condition 2 {c2}",
                k.name,
                fit.support.0,
                fit.support.1,
                fit.n,
                fit.distinct,
                fit.log_likelihood,
                d.mean()
            );
            classes.push(TraderClass::new(k.kappa, d.clone(), k.count));
            dists.push(d);
        }
        let market = Market::new(classes)?;
        let mech = OptimalMechanism::solve(&market, ALPHA)?;
        println!(
            "  alpha {ALPHA}: revenue {:.6}, efficiency {:.6}",
            mech.revenue(),
            mech.efficiency()
        );
        let rules = SidePayments::new(&mech)?;
        for (i, k) in kinds.iter().enumerate() {
            let c = mech.class(i);
            let (za, zb) = c.virtual_value().binding_interval();
            let all = mech.pools(i);
            let pools: Vec<String> = all
                .iter()
                .filter(|p| !p.negligible)
                .map(|p| {
                    format!(
                        "[{:.4}, {:.4}] (mass {:.2e}, objective {:.2e})",
                        p.lo, p.hi, p.mass, p.objective_effect
                    )
                })
                .collect();
            let negligible = all.iter().filter(|p| p.negligible).count();
            let mut pools = if pools.is_empty() {
                "nothing that matters".to_string()
            } else {
                pools.join(", ")
            };
            if negligible > 0 {
                let mass: f64 = all.iter().filter(|p| p.negligible).map(|p| p.mass).sum();
                let effect: f64 = all
                    .iter()
                    .filter(|p| p.negligible)
                    .map(|p| p.objective_effect)
                    .sum();
                pools += &format!(
                    " (and {negligible} negligible pool(s): mass {mass:.1e}, objective {effect:.1e} in all)"
                );
            }
            let rule = rules.class(i);
            let fees: Vec<String> = [-1.0, -0.5, 0.0, 0.5, 1.0]
                .iter()
                .map(|&q| rule.side_payment(0.0, q).map(|s| format!("{s:+.4}")))
                .collect::<Result<_, _>>()?;
            println!(
                "  {:<12} no trade on [{za:.4}, {zb:.4}], pooled on {}; side payment S(p = 0, q) for q = -1, -0.5, 0, 0.5, 1: {}",
                k.name,
                pools,
                fees.join(", ")
            );
        }
        fits.push(Fit {
            method,
            dists,
            mech,
        });
    }
    let path = out.join("from_data.svg");
    figure(&path, &kinds, &fits)?;
    println!("\nwrote {}", path.display());
    Ok(())
}

/// Per kind: histogram with the four fitted densities (top row), and the
/// four virtual values (bottom row).
fn figure(path: &std::path::Path, kinds: &[Kind], fits: &[Fit]) -> Res<()> {
    let root = SVGBackend::new(path, (1400, 1000)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((2, kinds.len()));
    for (i, k) in kinds.iter().enumerate() {
        let (lo, hi) = k.support;
        // Histogram as a density.
        let bins = 60;
        let width = (hi - lo) / bins as f64;
        let mut counts = vec![0.0; bins];
        for &x in &k.samples {
            counts[(((x - lo) / width) as usize).min(bins - 1)] += 1.0;
        }
        let n = k.samples.len() as f64;
        let heights: Vec<f64> = counts.iter().map(|c| c / (n * width)).collect();
        let zs: Vec<f64> = (0..=600)
            .map(|j| lo + (hi - lo) * j as f64 / 600.0)
            .collect();
        let top = fits
            .iter()
            .flat_map(|f| zs.iter().map(|&z| f.dists[i].pdf(z)))
            .chain(heights.iter().copied())
            .fold(0.0, f64::max)
            // Headroom above the tallest bar for the legend, so that it
            // hides no curve.
            * 1.45;
        let mut chart = ChartBuilder::on(&panels[i])
            .caption(
                format!("{}: samples and fitted densities", k.name),
                ("sans-serif", 22),
            )
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(lo..hi, 0.0..top)?;
        chart
            .configure_mesh()
            .x_desc("inventory z")
            .y_desc("density")
            .axis_desc_style(("sans-serif", 18))
            .label_style(("sans-serif", 16))
            .draw()?;
        chart.draw_series(heights.iter().enumerate().map(|(b, &h)| {
            let x0 = lo + b as f64 * width;
            Rectangle::new(
                [(x0, 0.0), (x0 + width, h)],
                RGBColor(200, 200, 200).filled(),
            )
        }))?;
        for (f, color) in fits.iter().zip(COLORS) {
            let d = &f.dists[i];
            let (a, b) = d.support();
            chart
                .draw_series(LineSeries::new(
                    zs.iter()
                        .filter(|&&z| z >= a && z <= b)
                        .map(|&z| (z, d.pdf(z))),
                    color.stroke_width(2),
                ))?
                .label(f.method.name())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 25, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .legend_area_size(36)
            .label_font(("sans-serif", 16))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;

        // Virtual values.
        let curves: Vec<Vec<(f64, f64)>> = fits
            .iter()
            .map(|f| {
                let v = f.mech.class(i).virtual_value();
                let (a, b) = f.dists[i].support();
                zs.iter()
                    .filter(|&&z| z >= a && z <= b)
                    .map(|&z| (z, v.value(z)))
                    .filter(|p| p.1.is_finite())
                    .collect()
            })
            .collect();
        let (vmin, vmax) = curves
            .iter()
            .flatten()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.1), b.max(p.1))
            });
        let pad = 0.05 * (vmax - vmin).max(1e-9);
        // Headroom at the top for the legend (V rises, so the upper left is
        // free of curves only above them).
        let vmax = vmax + 0.3 * (vmax - vmin).max(1e-9);
        let mut chart = ChartBuilder::on(&panels[kinds.len() + i])
            .caption(
                format!("{}: virtual value V(z), alpha = {ALPHA}", k.name),
                ("sans-serif", 22),
            )
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(lo..hi, (vmin - pad)..(vmax + pad))?;
        chart
            .configure_mesh()
            .x_desc("inventory z")
            .y_desc("V(z)")
            .axis_desc_style(("sans-serif", 18))
            .label_style(("sans-serif", 16))
            .draw()?;
        for ((f, color), pts) in fits.iter().zip(COLORS).zip(curves) {
            chart
                .draw_series(LineSeries::new(pts, color.stroke_width(2)))?
                .label(f.method.name())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 25, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .legend_area_size(36)
            .label_font(("sans-serif", 16))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
