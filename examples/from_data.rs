//! From data to mechanism: observed inventories of two kinds of traders,
//! a distribution estimated for each kind four ways, Condition 2 checked,
//! the α-optimal mechanism solved (ironed where the estimate needs it),
//! the side payments printed, and an SVG of the fits and virtual values.
//!
//! ```text
//! cargo run --release --example from_data [-- --out DIR]   # default DIR: target/from_data
//! ```
//!
//! The data are made here, seeded: *hedgers* (risk capacity 0.2, six of
//! them in the market) hold inventories that cluster away from zero, long
//! around +1.4 or short around −1.1, observed 3000 times on [−3, 3];
//! *speculators* (risk capacity 1, ten of them) hold little, around zero,
//! observed 800 times on [−2, 2]. The hedgers' two clusters break
//! Condition 2 for a kernel density estimate, so that fit is ironed; the
//! log-concave, truncated-normal and Beta fits are unimodal and are not.

use exchange_design::distribution::{check_condition2, EndowmentDistribution};
use exchange_design::estimation::{estimate, Method};
use exchange_design::implementation::SidePayments;
use exchange_design::market::{Market, TraderClass};
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
    name: &'static str,
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
            name: "hedgers",
            kappa: 0.2,
            count: 6,
            support: hedge_support,
            samples: hedgers,
        },
        Kind {
            name: "speculators",
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

fn parse_args() -> Res<PathBuf> {
    let mut out = PathBuf::from("target/from_data");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = PathBuf::from(args.next().ok_or("--out needs a directory")?),
            other => {
                return Err(
                    format!("unknown argument {other:?}; usage: from_data [--out DIR]").into(),
                )
            }
        }
    }
    Ok(out)
}

struct Fit {
    method: Method,
    dists: Vec<Arc<dyn EndowmentDistribution>>,
    mech: OptimalMechanism,
}

fn run() -> Res<()> {
    let out = parse_args()?;
    std::fs::create_dir_all(&out)?;
    let kinds = data();
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
            let d = estimate(method, &k.samples, Some(k.support))?;
            let c2 = match check_condition2(d.as_ref()) {
                Ok(()) => "holds".to_string(),
                Err(v) => format!("fails ({v})"),
            };
            println!(
                "  {:<12} support [{:.3}, {:.3}], mean {:.4}; Condition 2 {c2}",
                k.name,
                d.support().0,
                d.support().1,
                d.mean()
            );
            classes.push(TraderClass::from_shared(k.kappa, d.clone(), k.count));
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
            let (za, zb) = c.binding_interval();
            let pools = c.ironed_intervals();
            let rule = rules.class(i);
            let fees: Vec<String> = [-1.0, -0.5, 0.0, 0.5, 1.0]
                .iter()
                .map(|&q| rule.side_payment(0.0, q).map(|s| format!("{s:+.4}")))
                .collect::<Result<_, _>>()?;
            println!(
                "  {:<12} no trade on [{za:.4}, {zb:.4}], ironed on {pools:.3?}; side payment S(p = 0, q) for q = -1, -0.5, 0, 0.5, 1: {}",
                k.name,
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
            * 1.1;
        let mut chart = ChartBuilder::on(&panels[i])
            .caption(
                format!("{}: samples and fitted densities", k.name),
                ("sans-serif", 22),
            )
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(lo..hi, 0.0..top)?;
        chart
            .configure_mesh()
            .x_desc("inventory z")
            .y_desc("density")
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
        let mut chart = ChartBuilder::on(&panels[kinds.len() + i])
            .caption(
                format!("{}: virtual value V(z), alpha = {ALPHA}", k.name),
                ("sans-serif", 22),
            )
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(lo..hi, (vmin - pad)..(vmax + pad))?;
        chart
            .configure_mesh()
            .x_desc("inventory z")
            .y_desc("V(z)")
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
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
