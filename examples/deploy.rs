//! Before you deploy: a design estimated from samples, its bootstrap bands,
//! robust fees, and the designed auction judged under a shifted truth.
//!
//! ```text
//! cargo run --release --example deploy [-- --out DIR --replicates B --samples N --method M]
//! ```
//!
//! Defaults: `DIR = target/deploy`, `B = 1000`, `N = 2000`, `M = mixed`
//! (`kde` or `log_concave` estimate every class with that method; used for
//! the timings in `docs/performance.md`). This is teaching code for the
//! `deployment` API; for a spec with your own samples, `exchange-design
//! deploy SPEC` (feature `cli`) prints the same table and writes the report
//! and fee tables, without the figure. Three kinds of traders
//! (seeded samples, 2000 each, endowments on [−1, 1]): *hedgers* (κ = 0.5,
//! three of them) with two modes at ±0.45, estimated by a kernel density
//! estimate (ironed); *dealers* (κ = 1, two) around 0.1, a truncated
//! normal; *funds* (κ = 0.8, two), skewed up, a kernel density estimate.
//! The design maximises ½·revenue + ½·efficiency. It is then judged under a
//! truth where dealers hold 0.2 less than estimated. The example
//! prints a table, writes `deploy.svg` (the band of what the design earns
//! under the bootstrap markets, and the gain curves under the shifted truth
//! with the types that would stay away), and the fee tables
//! `fees_class_K.csv`.

use exchange_design::deployment::{
    bootstrap, robust_fees, Assessment, BootstrapConfig, FeeTable, SampledClass,
};
use exchange_design::distribution::{EndowmentDistribution, Mixture, Triangular, TruncatedNormal};
use exchange_design::estimation::Method;
use exchange_design::mechanism::DirectMechanism;
use indicatif::{ProgressBar, ProgressStyle};
use plotters::prelude::*;
use rand::{rngs::StdRng, RngExt, SeedableRng};
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

type Res<T> = Result<T, Box<dyn Error>>;
type Dist = Arc<dyn EndowmentDistribution>;

const ALPHA: f64 = 0.5;
const SAMPLES: usize = 2000;
const NAMES: [&str; 3] = ["hedgers", "dealers", "funds"];
const COLORS: [RGBColor; 3] = [
    RGBColor(200, 30, 30),
    RGBColor(30, 90, 200),
    RGBColor(20, 150, 60),
];

fn normal(mu: f64, sigma: f64, (lo, hi): (f64, f64)) -> Res<Dist> {
    Ok(Arc::new(TruncatedNormal::new(mu, sigma, lo, hi)?))
}

/// The populations the samples come from, with each class's location
/// shifted by `shift[k]` and its support `on[k]`.
fn populations(shift: [f64; 3], on: [(f64, f64); 3]) -> Res<Vec<Dist>> {
    let (lo, hi) = on[2];
    Ok(vec![
        Arc::new(Mixture::new(vec![
            (0.5, normal(-0.45 + shift[0], 0.18, on[0])?),
            (0.5, normal(0.45 + shift[0], 0.18, on[0])?),
        ])?),
        normal(0.1 + shift[1], 0.35, on[1])?,
        Arc::new(Triangular::new(lo, (0.3 + shift[2]).clamp(lo, hi), hi)?),
    ])
}

fn draw(d: &dyn EndowmentDistribution, n: usize, rng: &mut StdRng) -> Vec<f64> {
    (0..n).map(|_| d.quantile(rng.random::<f64>())).collect()
}

struct Args {
    out: PathBuf,
    replicates: usize,
    samples: usize,
    method: Option<Method>,
}

fn args() -> Res<Args> {
    let mut a = Args {
        out: PathBuf::from("target/deploy"),
        replicates: 1000,
        samples: SAMPLES,
        method: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--out" => a.out = it.next().ok_or("--out needs a directory")?.into(),
            "--replicates" => {
                a.replicates = it
                    .next()
                    .ok_or("--replicates needs a number")?
                    .parse()
                    .map_err(|e| format!("--replicates: {e}"))?
            }
            "--samples" => {
                a.samples = it
                    .next()
                    .ok_or("--samples needs a number")?
                    .parse()
                    .map_err(|e| format!("--samples: {e}"))?
            }
            "--method" => {
                a.method = match it.next().as_deref() {
                    Some("kde") => Some(Method::Kde),
                    Some("log_concave") => Some(Method::LogConcave),
                    Some("mixed") => None,
                    other => {
                        return Err(
                            format!("--method {other:?}: give kde, log_concave or mixed").into(),
                        )
                    }
                }
            }
            "-h" | "--help" => {
                println!(
                    "usage: deploy [--out DIR] [--replicates B] [--samples N] [--method kde|log_concave|mixed]   (defaults: target/deploy, 1000, 2000, mixed)"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`; try --help").into()),
        }
    }
    Ok(a)
}

fn band(v: &[f64]) -> String {
    match v {
        [a, b, c] => format!("{a:>9.4} {b:>9.4} {c:>9.4}"),
        _ => "(no replicate)".into(),
    }
}

fn run() -> Res<()> {
    let args = args()?;
    std::fs::create_dir_all(&args.out)?;
    let mut rng = StdRng::seed_from_u64(2026);
    let truth0 = populations([0.0; 3], [(-1.0, 1.0); 3])?;
    let methods = match args.method {
        Some(m) => [m; 3],
        None => [Method::Kde, Method::TruncatedNormal, Method::Kde],
    };
    let kappas = [0.5, 1.0, 0.8];
    let counts = [3, 2, 2];
    let classes: Vec<SampledClass> = (0..3)
        .map(|k| {
            SampledClass::new(
                kappas[k],
                counts[k],
                draw(truth0[k].as_ref(), args.samples, &mut rng),
                methods[k],
                Some((-1.0, 1.0)),
            )
        })
        .collect();

    let bar = ProgressBar::new(args.replicates as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} replicates ({per_sec}, eta {eta})")
            .map_err(|e| format!("progress bar template: {e}"))?,
    );
    let config = BootstrapConfig {
        replicates: args.replicates,
        seed: 21,
        robust_fees: true,
        ..BootstrapConfig::default()
    };
    let start = std::time::Instant::now();
    let boot = bootstrap(&classes, ALPHA, &config, &|done, _| {
        bar.set_position(done as u64)
    })?;
    bar.finish_and_clear();
    let design = boot.design();
    let mech = design.mechanism();
    println!(
        "design at alpha = {ALPHA} from {} samples per class; bootstrap of {} replicates in {:.1} s ({} failed solves, {} failed assessments)\n",
        args.samples,
        boot.replicates(),
        start.elapsed().as_secs_f64(),
        boot.failed_solves(),
        boot.failed_assessments()
    );
    for f in boot.failures().iter().take(5) {
        println!(
            "replicate {} failed at {}: {}",
            f.replicate, f.stage, f.error
        );
    }
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>9}",
        "", "design", "5%", "50%", "95%"
    );
    println!(
        "{:<34} {:>9.4} {}",
        "revenue the re-solved design says",
        mech.revenue(),
        band(boot.revenue().values())
    );
    println!(
        "{:<34} {:>9.4} {}",
        "efficiency the re-solved design says",
        mech.efficiency(),
        band(boot.efficiency().values())
    );
    println!(
        "{:<34} {:>9.4} {}",
        "revenue of THIS design, bootstrap",
        mech.revenue(),
        band(boot.assessed_revenue().values())
    );
    for (k, name) in NAMES.iter().enumerate() {
        let (za, zb) = mech.class(k).virtual_value().binding_interval();
        println!(
            "{:<34} {:>9.4} {}",
            format!("{name}: fee tau"),
            design.fees()[k],
            band(boot.fees()[k].values())
        );
        println!(
            "{:<34} {:>9.4} {}",
            format!("{name}: binding interval z_a"),
            za,
            band(boot.binding_lo()[k].values())
        );
        println!(
            "{:<34} {:>9.4} {}",
            format!("{name}: binding interval z_b"),
            zb,
            band(boot.binding_hi()[k].values())
        );
    }
    println!(
        "\nunder {:.0} % of the bootstrap markets some type would stay away",
        100.0 * boot.stay_away_probability()
    );
    let robust = boot.robust_fees().ok_or("robust fees were asked for")?;
    println!(
        "robust fees (every type in under every bootstrap market): {} (designed {}), costing {:.4} of revenue",
        fmt_list(robust.fees()),
        fmt_list(&design.fees()),
        robust.revenue_cost()
    );
    println!(
        "revenue with robust fees under the bootstrap markets: {}",
        band(robust.revenue_band(&config.percentiles).values())
    );

    // A truth where dealers hold 0.2 less than estimated (a tenth of the
    // support's width); hedgers and funds as estimated.
    // On the designed supports (a log-concave estimate lives on the data's
    // range, and a truth outside the designed support is refused).
    let on: Vec<(f64, f64)> = mech
        .classes()
        .iter()
        .map(|c| c.virtual_value().distribution().support())
        .collect();
    let shifted = populations([0.0, -0.2, 0.0], [on[0], on[1], on[2]])?;
    let as_designed = design.assess(&shifted)?;
    let with_robust = design.assess_with_fees(&shifted, robust.fees())?;
    let shifted_robust = robust_fees(design, std::slice::from_ref(&shifted))?;
    println!("\nunder a truth where dealers hold 0.2 less (a tenth of the support):");
    println!(
        "{:<22} {:>10} {:>10} {:>10}",
        "", "designed", "robust", "robust for it"
    );
    let row = |what: &str, f: &dyn Fn(&Assessment) -> f64| {
        println!(
            "{what:<22} {:>10.4} {:>10.4} {:>10.4}",
            f(&as_designed),
            f(&with_robust),
            f(&shifted_robust.assessments()[0])
        );
    };
    row("revenue", &|a| a.revenue());
    row("efficiency", &|a| a.efficiency());
    for (k, name) in NAMES.iter().enumerate() {
        row(&format!("{name}: min gain"), &|a| a.class(k).min_gain());
        row(&format!("{name}: stay away"), &|a| {
            a.class(k).abstain_probability()
        });
    }

    let svg = args.out.join("deploy.svg");
    figure(
        &svg,
        boot.assessed_revenues(),
        mech.revenue(),
        &as_designed,
        &with_robust,
    )?;
    println!("\nwrote {}", svg.display());
    for k in 0..3 {
        let table = FeeTable::automatic(design.side_payments(), k, 21, 21)?;
        let path = args.out.join(format!("fees_class_{k}.csv"));
        std::fs::write(&path, table.to_csv())?;
        println!("wrote {} ({} rows)", path.display(), table.rows().len());
    }
    Ok(())
}

fn fmt_list(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x:.4}")).collect();
    format!("[{}]", parts.join(", "))
}

/// Left: histogram of the design's revenue under the bootstrap markets,
/// with its 5–95 % band and the revenue the design reports. Right: the
/// gain curves under the shifted truth, designed fees (solid) and robust
/// fees (dashed), zoomed on the gains near zero (a few hundredths, where
/// the extreme types gain tenths), with one bar per class below the curves
/// marking the types that would stay away.
fn figure(
    path: &Path,
    revenues: &[f64],
    designed: f64,
    shifted: &Assessment,
    robust: &Assessment,
) -> Res<()> {
    let root = SVGBackend::new(path, (1400, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(700);
    let mut sorted = revenues.to_vec();
    sorted.sort_by(f64::total_cmp);
    let pct = |p: f64| exchange_design::deployment::percentile(&sorted, p);
    let (lo, hi) = (
        sorted.first().copied().unwrap_or(designed).min(designed),
        sorted.last().copied().unwrap_or(designed).max(designed),
    );
    let pad = 0.05 * (hi - lo).max(1e-6);
    let (lo, hi) = (lo - pad, hi + pad);
    let bins = 40;
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for &r in &sorted {
        counts[(((r - lo) / width) as usize).min(bins - 1)] += 1;
    }
    // Head room above the tallest bar for the legend.
    let top = counts.iter().copied().max().unwrap_or(1) as f64 * 1.5;
    let mut chart = ChartBuilder::on(&left)
        .caption(
            "revenue of the design under bootstrap markets",
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(lo..hi, 0.0..top)?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(238, 238, 238))
        .x_desc("expected revenue")
        .y_desc("replicates")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    if !sorted.is_empty() {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(pct(5.0), 0.0), (pct(95.0), top)],
                RGBColor(255, 220, 150).mix(0.5).filled(),
            )))?
            .label("5–95 % band")
            .legend(|(x, y)| {
                Rectangle::new(
                    [(x, y - 5), (x + 15, y + 5)],
                    RGBColor(255, 220, 150).filled(),
                )
            });
    }
    chart.draw_series(counts.iter().enumerate().map(|(b, &c)| {
        let x0 = lo + b as f64 * width;
        Rectangle::new(
            [(x0, 0.0), (x0 + width, c as f64)],
            RGBColor(120, 120, 120).filled(),
        )
    }))?;
    chart
        .draw_series(LineSeries::new(
            [(designed, 0.0), (designed, top)],
            BLACK.stroke_width(2),
        ))?
        .label("revenue the design reports")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 15, y)], BLACK.stroke_width(2)));
    if !sorted.is_empty() {
        chart
            .draw_series(LineSeries::new(
                [(pct(50.0), 0.0), (pct(50.0), top)],
                RED.stroke_width(2),
            ))?
            .label("median under bootstrap")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 15, y)], RED.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;

    // Gain curves.
    let curves: Vec<Vec<(f64, f64, f64)>> = shifted
        .classes()
        .iter()
        .zip(robust.classes())
        .map(|(a, r)| {
            let (zl, zh) = a.gain_curve().support();
            (0..=400)
                .map(|j| {
                    let z = zl + (zh - zl) * j as f64 / 400.0;
                    let g = a.gain_curve().gain(z).unwrap_or(f64::NAN);
                    let gr = r.gain_curve().gain(z).unwrap_or(f64::NAN);
                    (z, g, gr)
                })
                .collect()
        })
        .collect();
    // The gains that matter are near zero (a few hundredths), while the
    // extreme types gain tenths: the axis is zoomed on the negative part
    // and as much again above zero, and the curves leave through the top.
    let gmin = curves
        .iter()
        .flatten()
        .fold(0.0f64, |a, &(_, g, gr)| a.min(g).min(gr));
    let span = (-gmin).max(1e-6);
    let strips = curves.len() as f64;
    // Below the curves, one strip per class marks the types that would
    // stay away under the designed fees.
    let strip = 0.35 * span;
    let (ylo, yhi) = (gmin - 0.15 * span - strips * strip, 2.5 * span);
    let mut chart = ChartBuilder::on(&right)
        .caption(
            "gain of taking part under the shifted truth (zoomed near 0)",
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(-1.0..1.0, ylo..yhi)?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(238, 238, 238))
        .x_desc("endowment z")
        .y_desc("gain (money)")
        .y_label_formatter(&|v| format!("{v:.3}"))
        .draw()?;
    // Pieces of a curve inside the plotted range (a line leaving the top is
    // cut there rather than drawn past the frame).
    let pieces = |pts: Vec<(f64, f64)>| -> Vec<Vec<(f64, f64)>> {
        let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for (z, g) in pts {
            if g.is_finite() && g <= yhi {
                out.last_mut().expect("never empty").push((z, g));
            } else if !out.last().expect("never empty").is_empty() {
                out.push(Vec::new());
            }
        }
        out.into_iter().filter(|p| p.len() > 1).collect()
    };
    for ((k, c), a) in curves.iter().enumerate().zip(shifted.classes()) {
        let color = COLORS[k];
        let y1 = gmin - 0.15 * span - k as f64 * strip;
        let y0 = y1 - 0.7 * strip;
        if let Some((x0, x1)) = a.abstain_interval() {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x0, y0), (x1, y1)],
                color.mix(0.6).filled(),
            )))?;
        }
        let mut first = true;
        for piece in pieces(c.iter().map(|&(z, g, _)| (z, g)).collect()) {
            let series = chart.draw_series(LineSeries::new(piece, color.stroke_width(2)))?;
            if first {
                series.label(NAMES[k]).legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 15, y)], color.stroke_width(2))
                });
                first = false;
            }
        }
        for piece in pieces(c.iter().map(|&(z, _, gr)| (z, gr)).collect()) {
            chart.draw_series(DashedLineSeries::new(piece, 6, 4, color.stroke_width(1)))?;
        }
    }
    chart
        .draw_series(DashedLineSeries::new(
            [(2.0, 0.0), (3.0, 0.0)],
            6,
            4,
            BLACK.stroke_width(1),
        ))?
        .label("dashed: robust fees")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 15, y)], BLACK.stroke_width(1)));
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(2.0, 0.0), (3.0, 0.0)],
            BLACK.mix(0.5).filled(),
        )))?
        .label("bars: stay away")
        .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 15, y + 4)], BLACK.mix(0.5).filled()));
    chart.draw_series(LineSeries::new([(-1.0, 0.0), (1.0, 0.0)], BLACK))?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
