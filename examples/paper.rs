//! Reproduces the paper's Example 1 (κ = 1/2, endowments U[−1, 1]):
//! tables of revenue and holding costs, the statements of Section 6 with
//! the computed numbers, four SVG figures and a JSON file of the series.
//!
//! ```text
//! cargo run --release --example paper [-- --out DIR]   # default DIR: target/paper
//! ```
//!
//! Figures written to `DIR`:
//! 1. `interim_allocation.svg`: interim allocation rule of one trader,
//!    N = 5: α-optimal for α ∈ {0, 0.25, 0.5, 1}, first best, double auction;
//! 2. `frontier.svg`: the efficiency–revenue frontier for N = 5 with the
//!    double auction with maximal fees and the frontier point of equal
//!    efficiency;
//! 3. `revenue_per_trader.svg`: expected revenue per trader against N;
//! 4. `holding_cost_per_trader.svg`: expected holding cost per trader against N.

use exchange_design::benchmarks::{
    frontier_at_efficiency, Frontier, FrontierConfig, PlainDoubleAuction,
};
use exchange_design::distribution::Uniform;
use exchange_design::market::Market;
use exchange_design::mechanism::DirectMechanism;
use exchange_design::mechanism::{FirstBest, OptimalMechanism};
use plotters::prelude::*;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

type Res<T> = Result<T, Box<dyn Error>>;

const N_MIN: u64 = 3;
const N_MAX: u64 = 50;
const FIG_SIZE: (u32, u32) = (900, 620);

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
    let mut out = PathBuf::from("target/paper");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => {
                out = PathBuf::from(
                    args.next()
                        .ok_or("--out needs a directory, e.g. --out target/paper")?,
                )
            }
            "-h" | "--help" => {
                println!("usage: paper [--out DIR]   (default DIR: target/paper)");
                std::process::exit(0);
            }
            other => {
                return Err(format!("unknown argument {other:?}; usage: paper [--out DIR]").into())
            }
        }
    }
    Ok(out)
}

/// `x` for printing with six decimals: a value that would print as
/// `-0.000000` (a negative zero, or rounding noise below zero) prints as
/// `0.000000`.
fn clean(x: f64) -> f64 {
    if x <= 0.0 && x > -5e-7 {
        0.0
    } else {
        x
    }
}

fn example1(n: u64) -> Res<Market> {
    Ok(Market::symmetric(n, 0.5, Uniform::new(-1.0, 1.0)?)?)
}

/// The series over N = 3..=50.
struct Series {
    n: Vec<u64>,
    rev_max_revenue_per_trader: Vec<f64>,
    rev_max_holding_cost: Vec<f64>,
    da_fee_total_revenue: Vec<f64>,
    da_fee_revenue_per_trader: Vec<f64>,
    da_holding_cost: Vec<f64>,
    fb_holding_cost: Vec<f64>,
}

fn series() -> Res<Series> {
    let mut s = Series {
        n: vec![],
        rev_max_revenue_per_trader: vec![],
        rev_max_holding_cost: vec![],
        da_fee_total_revenue: vec![],
        da_fee_revenue_per_trader: vec![],
        da_holding_cost: vec![],
        fb_holding_cost: vec![],
    };
    for n in N_MIN..=N_MAX {
        let m = example1(n)?;
        let top = OptimalMechanism::solve(&m, 1.0)?;
        let da = PlainDoubleAuction::new(&m)?;
        let fees = da.with_maximal_fees();
        let fb = FirstBest::new(&m)?;
        s.n.push(n);
        s.rev_max_revenue_per_trader
            .push(top.class(0).revenue_per_trader());
        s.rev_max_holding_cost.push(top.class(0).holding_cost());
        s.da_fee_total_revenue.push(fees.revenue());
        s.da_fee_revenue_per_trader.push(fees.revenue() / n as f64);
        s.da_holding_cost.push(da.class(0).holding_cost());
        s.fb_holding_cost.push(-fb.efficiency() / n as f64);
    }
    Ok(s)
}

/// Frontier at N = 5 and the comparison with the auction.
struct FrontierN5 {
    frontier: Frontier,
    da_fee_revenue: f64,
    da_efficiency: f64,
    frontier_revenue: f64,
    frontier_alpha: f64,
}

fn frontier_n5() -> Res<FrontierN5> {
    let m = example1(5)?;
    let frontier = Frontier::compute(
        &m,
        &FrontierConfig {
            max_gap: 0.01,
            ..FrontierConfig::default()
        },
    )?;
    let fees = PlainDoubleAuction::new(&m)?.with_maximal_fees();
    let best = frontier_at_efficiency(&m, fees.efficiency())?;
    Ok(FrontierN5 {
        frontier,
        da_fee_revenue: fees.revenue(),
        da_efficiency: fees.efficiency(),
        frontier_revenue: best.revenue(),
        frontier_alpha: best.alpha(),
    })
}

fn style(color: RGBColor, width: u32) -> ShapeStyle {
    ShapeStyle {
        color: color.to_rgba(),
        filled: false,
        stroke_width: width,
    }
}

/// A marker drawn as a polyline in pixel offsets, so that every marker (and
/// every legend sample) has the same element type.
#[derive(Clone, Copy)]
enum Mark {
    None,
    Circle,
    Triangle,
    Square,
    Plus,
}

fn glyph(mark: Mark, (dx, dy): (i32, i32)) -> Vec<(i32, i32)> {
    let pts: Vec<(i32, i32)> = match mark {
        Mark::None => vec![],
        Mark::Circle => vec![
            (5, 0),
            (4, 4),
            (0, 5),
            (-4, 4),
            (-5, 0),
            (-4, -4),
            (0, -5),
            (4, -4),
            (5, 0),
        ],
        Mark::Triangle => vec![(0, -6), (5, 4), (-5, 4), (0, -6)],
        Mark::Square => vec![(-4, -4), (4, -4), (4, 4), (-4, 4), (-4, -4)],
        Mark::Plus => vec![(-6, 0), (6, 0), (0, 0), (0, -6), (0, 6)],
    };
    pts.into_iter().map(|(x, y)| (x + dx, y + dy)).collect()
}

/// A legend sample: a 30-pixel line, dashed or solid as the series is, with
/// the series' marker in its middle. (A macro, so that each closure's
/// element type is inferred where it is used.)
macro_rules! legend_sample {
    ($color:expr, $width:expr, $dashed:expr, $mark:expr) => {{
        let (color, width, dashed, mark): (RGBColor, u32, bool, Mark) =
            ($color, $width, $dashed, $mark);
        move |(x, y): (i32, i32)| {
            let seg = |a: i32, b: i32| PathElement::new(vec![(a, 0), (b, 0)], style(color, width));
            let (s1, s2, s3) = if dashed {
                (seg(0, 7), seg(11, 19), seg(23, 30))
            } else {
                (seg(0, 10), seg(10, 20), seg(20, 30))
            };
            EmptyElement::at((x, y))
                + s1
                + s2
                + s3
                + PathElement::new(glyph(mark, (15, 0)), style(color, 2))
        }
    }};
}

macro_rules! legend_line {
    ($color:expr, $width:expr) => {
        legend_sample!($color, $width, false, Mark::None)
    };
}

macro_rules! legend_dashed {
    ($color:expr, $width:expr) => {
        legend_sample!($color, $width, true, Mark::None)
    };
}

fn min_max(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    })
}

fn pad(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    let d = (hi - lo).max(1e-12) * frac;
    (lo - d, hi + d)
}

fn figure_allocation(path: &Path) -> Res<()> {
    let m = example1(5)?;
    let zs: Vec<f64> = (0..=400).map(|k| -1.0 + 2.0 * k as f64 / 400.0).collect();
    let root = SVGBackend::new(path, FIG_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Interim allocation of a trader (Example 1, N = 5); α = 0 coincides with the first best",
            ("sans-serif", 22),
        )
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(-1.0..1.0, -0.9..0.9)?;
    chart
        .configure_mesh()
        .x_desc("endowment z")
        .y_desc("expected purchase E[X | Z = z]")
        .axis_desc_style(("sans-serif", 20))
        .label_style(("sans-serif", 17))
        .draw()?;
    // Each α has its own colour, dash pattern and marker, so the curves can
    // be told apart in grey scale too; α = 0 is the first best (Lemma 2).
    let curves = [
        (0.0, RGBColor(120, 170, 255), None, Mark::Circle, 0),
        (
            0.25,
            RGBColor(60, 120, 230),
            Some((14, 7)),
            Mark::Triangle,
            8,
        ),
        (0.5, RGBColor(20, 70, 190), Some((4, 5)), Mark::Square, 16),
        (1.0, RGBColor(0, 20, 110), None, Mark::Plus, 24),
    ];
    for (alpha, color, dash, mark, offset) in curves {
        let mech = OptimalMechanism::solve(&m, alpha)?;
        let pts = zs
            .iter()
            .map(|&z| Ok((z, mech.interim_allocation(0, z)?)))
            .collect::<Res<Vec<_>>>()?;
        let label = if alpha == 0.0 {
            "optimal, α = 0 (coincides with the first best)".to_string()
        } else {
            format!("optimal, α = {alpha}")
        };
        let series = match dash {
            Some((size, gap)) => chart.draw_series(DashedLineSeries::new(
                pts.clone(),
                size,
                gap,
                style(color, 3),
            ))?,
            None => chart.draw_series(LineSeries::new(pts.clone(), style(color, 3)))?,
        };
        series
            .label(label)
            .legend(legend_sample!(color, 3, dash.is_some(), mark));
        chart.draw_series(pts.iter().skip(offset).step_by(32).map(|&p| {
            EmptyElement::at(p) + PathElement::new(glyph(mark, (0, 0)), style(color, 2))
        }))?;
        // Name the curve just above the right end of its flat part (the
        // binding interval), staggered so that the names do not overlap.
        if alpha > 0.0 {
            let (_, z_b) = mech.class(0).virtual_value().binding_interval();
            let top = if alpha == 0.25 { 0.19 } else { 0.12 };
            chart.draw_series([Text::new(
                format!("α = {alpha}"),
                (z_b + 0.015, top),
                ("sans-serif", 17).into_font().color(&color),
            )])?;
        }
    }
    let fb = FirstBest::new(&m)?;
    let pts = zs
        .iter()
        .map(|&z| Ok((z, fb.mechanism().interim_allocation(0, z)?)))
        .collect::<Res<Vec<_>>>()?;
    chart
        .draw_series(DashedLineSeries::new(pts, 10, 6, style(RED, 2)))?
        .label("first best (= α = 0)")
        .legend(legend_dashed!(RED, 2));
    let da = PlainDoubleAuction::new(&m)?;
    let pts = zs
        .iter()
        .map(|&z| Ok((z, da.interim_allocation(0, z)?)))
        .collect::<Res<Vec<_>>>()?;
    chart
        .draw_series(LineSeries::new(pts, style(BLACK, 2)))?
        .label("double auction (no side payments)")
        .legend(legend_line!(BLACK, 2));
    chart
        .configure_series_labels()
        // The samples are 30 px wide; the label starts 12 px after them.
        .legend_area_size(42)
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .draw()?;
    root.present()?;
    Ok(())
}

fn figure_frontier(path: &Path, f: &FrontierN5) -> Res<()> {
    let pts: Vec<(f64, f64)> = f
        .frontier
        .points()
        .iter()
        .map(|p| (p.efficiency, p.revenue))
        .collect();
    let fb = f.frontier.first_best();
    let da = f
        .frontier
        .double_auction()
        .ok_or("no double auction at N = 5")?;
    let (x0, x1) = min_max(
        pts.iter()
            .map(|p| p.0)
            .chain([fb.efficiency, da.efficiency]),
    );
    let (y0, y1) = min_max(pts.iter().map(|p| p.1).chain([fb.revenue, da.revenue]));
    let (x0, x1) = pad(x0, x1, 0.06);
    let (y0, y1) = pad(y0, y1, 0.08);
    let root = SVGBackend::new(path, FIG_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Efficiency-revenue frontier (Example 1, N = 5)",
            ("sans-serif", 24),
        )
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .x_desc("expected allocative efficiency A")
        .y_desc("expected revenue R")
        .axis_desc_style(("sans-serif", 20))
        .label_style(("sans-serif", 17))
        .draw()?;
    chart
        .draw_series(LineSeries::new(pts, style(BLUE, 3)))?
        .label("frontier (α-optimal, α from 0 to 1)")
        .legend(legend_line!(BLUE, 3));
    chart.draw_series(DashedLineSeries::new(
        [
            (f.da_efficiency, f.da_fee_revenue),
            (f.da_efficiency, f.frontier_revenue),
        ],
        6,
        5,
        style(RGBColor(120, 120, 120), 1),
    ))?;
    chart
        .draw_series([Circle::new((fb.efficiency, fb.revenue), 7, RED.filled())])?
        .label("first best (α = 0)")
        .legend(|(x, y)| Circle::new((x + 12, y), 6, RED.filled()));
    chart
        .draw_series([TriangleMarker::new(
            (da.efficiency, da.revenue),
            8,
            BLACK.filled(),
        )])?
        .label("double auction, no fees")
        .legend(|(x, y)| TriangleMarker::new((x + 12, y), 7, BLACK.filled()));
    chart
        .draw_series([Circle::new(
            (f.da_efficiency, f.da_fee_revenue),
            7,
            BLACK.filled(),
        )])?
        .label(format!(
            "double auction, maximal fees (R = {:.3})",
            f.da_fee_revenue
        ))
        .legend(|(x, y)| Circle::new((x + 12, y), 6, BLACK.filled()));
    let green = RGBColor(0, 150, 60);
    chart
        .draw_series([Circle::new(
            (f.da_efficiency, f.frontier_revenue),
            7,
            green.filled(),
        )])?
        .label(format!(
            "frontier at equal efficiency (R = {:.3}, α = {:.3})",
            f.frontier_revenue, f.frontier_alpha
        ))
        .legend(move |(x, y)| Circle::new((x + 12, y), 6, green.filled()));
    chart
        .configure_series_labels()
        // The samples are 30 px wide; the label starts 12 px after them.
        .legend_area_size(42)
        .position(SeriesLabelPosition::LowerLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .draw()?;
    root.present()?;
    Ok(())
}

/// A figure of several series against N, with a dashed asymptote.
fn figure_vs_n(
    path: &Path,
    title: &str,
    y_desc: &str,
    n: &[u64],
    lines: &[(&str, &[f64], RGBColor)],
    asymptote: (&str, f64),
    legend_at: SeriesLabelPosition,
) -> Res<()> {
    let (_, y1) = min_max(
        lines
            .iter()
            .flat_map(|l| l.1.iter().copied())
            .chain([asymptote.1]),
    );
    let y1 = y1 * 1.08;
    let x1 = *n.last().ok_or("no data")? as f64;
    let root = SVGBackend::new(path, FIG_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(2.0..x1 + 1.0, 0.0..y1)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|x| format!("{x:.0}"))
        // Every tick with two decimals: "0.10" beside "0.12", not "0.1".
        .y_label_formatter(&|y| format!("{y:.2}"))
        .x_desc("number of traders N")
        .y_desc(y_desc)
        .axis_desc_style(("sans-serif", 20))
        .label_style(("sans-serif", 17))
        .draw()?;
    for &(label, ys, color) in lines {
        let pts: Vec<(f64, f64)> = n
            .iter()
            .map(|&k| k as f64)
            .zip(ys.iter().copied())
            .collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), style(color, 3)))?
            .label(label)
            .legend(legend_line!(color, 3));
        chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled())))?;
    }
    let grey = RGBColor(110, 110, 110);
    chart
        .draw_series(DashedLineSeries::new(
            [(2.0, asymptote.1), (x1 + 1.0, asymptote.1)],
            8,
            6,
            style(grey, 2),
        ))?
        .label(asymptote.0)
        .legend(legend_dashed!(grey, 2));
    chart
        .configure_series_labels()
        // The samples are 30 px wide; the label starts 12 px after them.
        .legend_area_size(42)
        .position(legend_at)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .draw()?;
    root.present()?;
    Ok(())
}

/// The α-optimal mechanism at N = 5 against the closed forms of Example 1
/// (with the binding interval's ends in their corrected order).
fn binding_table() -> Res<()> {
    const N: u64 = 5;
    let market = example1(N)?;
    println!("α-optimal mechanisms, N = {N}:");
    println!(
        "{:>6} {:>10} {:>10} {:>10} {:>12} {:>14} {:>10} {:>11} {:>13}",
        "α",
        "Z_a",
        "Z_b",
        "closed",
        "Omega(Z_b)",
        "P(no trade)",
        "revenue",
        "efficiency",
        "holding cost"
    );
    for alpha in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let mech = OptimalMechanism::solve(&market, alpha)?;
        let class = mech.class(0);
        let (za, zb) = class.virtual_value().binding_interval();
        // All N traders in the binding interval: no trade at all.
        let none = class.no_trade_probability().powi(N as i32);
        println!(
            "{:>6.2} {:>10.6} {:>10.6} {:>10.6} {:>12.6} {:>14.6} {:>10.6} {:>11.6} {:>13.6}",
            alpha,
            clean(za),
            clean(zb),
            alpha / (1.0 + alpha),
            clean(class.participation_multiplier(zb)),
            clean(none),
            clean(mech.revenue()),
            clean(mech.efficiency()),
            clean(-mech.efficiency())
        );
    }
    println!(
        "  α: weight on revenue (1 − α on efficiency)
  Z_a, Z_b: the binding interval; a trader whose endowment is in it expects to trade nothing
  closed: Example 1's closed form α/(1 + α) for Z_b (and −Z_a)
  Omega(Z_b): the participation multiplier Ω at Z_b (equal to α here)
  P(no trade): probability that all N traders are in the binding interval, so nothing trades
  revenue: the exchange's expected revenue, all traders
  efficiency: expected allocative efficiency, minus the traders' total expected holding cost
    Σ E[(Z_i + X_i)²]/(2κ) after trade, so never positive (0 would mean no risk left)
  holding cost: that total expected holding cost, −efficiency (the first best has the least)"
    );
    println!(
        "at α = 1 the probability of no trade is 1/2^N = {:.6}\n",
        0.5f64.powi(N as i32)
    );
    Ok(())
}

fn run() -> Res<()> {
    let out = parse_args()?;
    std::fs::create_dir_all(&out)
        .map_err(|e| format!("cannot create output directory {}: {e}", out.display()))?;
    let s = series()?;
    let f = frontier_n5()?;
    let ratio = f.frontier_revenue / f.da_fee_revenue;

    println!("Example 1: kappa = 1/2, endowments U[-1, 1]\n");
    binding_table()?;
    println!(
        "{:>4} {:>14} {:>12} {:>14} {:>14} {:>14} {:>12} {:>12}",
        "N",
        "R/N rev-max",
        "(1-1/N)/6",
        "cost rev-max",
        "R DA+fees",
        "R/N DA+fees",
        "cost DA",
        "cost FB"
    );
    for (k, &n) in s.n.iter().enumerate() {
        if [3, 4, 5, 6, 8, 10, 15, 20, 30, 40, 50].contains(&n) {
            println!(
                "{:>4} {:>14.6} {:>12.6} {:>14.6} {:>14.6} {:>14.6} {:>12.6} {:>12.6}",
                n,
                clean(s.rev_max_revenue_per_trader[k]),
                (1.0 - 1.0 / n as f64) / 6.0,
                clean(s.rev_max_holding_cost[k]),
                clean(s.da_fee_total_revenue[k]),
                clean(s.da_fee_revenue_per_trader[k]),
                clean(s.da_holding_cost[k]),
                clean(s.fb_holding_cost[k]),
            );
        }
    }
    println!(
        "  N: number of traders (all with κ = 1/2 and endowments U[−1, 1])
  R/N rev-max: expected revenue per trader of the revenue-maximal mechanism (α = 1)
  (1-1/N)/6: its closed form, which tends to 1/6
  cost rev-max: expected holding cost per trader E[(Z + X)²]/(2κ) after trade under it
  R DA+fees: total expected revenue of the plain double auction (no side payments) with
    the largest participation fee every type accepts
  R/N DA+fees: the same per trader
  cost DA: expected holding cost per trader in the plain double auction (fees do not change it)
  cost FB: expected holding cost per trader in the first best (the least possible)"
    );
    let last = s.n.len() - 1;
    let increasing = |v: &[f64]| v.windows(2).all(|w| w[1] > w[0]);
    let decreasing = |v: &[f64]| v.windows(2).all(|w| w[1] < w[0]);
    println!("\nThe paper's statements (N = {N_MIN}..{N_MAX}):");
    println!(
        "- revenue-maximal mechanism: revenue per trader increasing in N: {}; {:.6} at N = {N_MAX}, limit 1/6 = {:.6}",
        increasing(&s.rev_max_revenue_per_trader),
        s.rev_max_revenue_per_trader[last],
        1.0 / 6.0
    );
    println!(
        "- revenue-maximal mechanism: holding cost per trader decreasing in N: {}; {:.6} at N = {N_MAX}, limit 1/12 = {:.6}",
        decreasing(&s.rev_max_holding_cost),
        s.rev_max_holding_cost[last],
        1.0 / 12.0
    );
    println!(
        "- double auction with maximal fees: revenue per trader {:.6} at N = {N_MAX} (to 0); total revenue increasing: {}; {:.6} at N = {N_MAX}, limit 1/3 = {:.6}",
        s.da_fee_revenue_per_trader[last],
        increasing(&s.da_fee_total_revenue),
        s.da_fee_total_revenue[last],
        1.0 / 3.0
    );
    println!(
        "- holding cost per trader at N = {N_MAX}: double auction {:.6}, first best {:.6} (both vanish)",
        s.da_holding_cost[last], s.fb_holding_cost[last]
    );
    println!(
        "- N = 5: double auction with maximal fees: efficiency {:.6} (holding cost {:.6}), revenue {:.6}; frontier at that efficiency (α = {:.4}): revenue {:.6}; ratio {:.3} (paper: about twice)",
        f.da_efficiency, -f.da_efficiency, f.da_fee_revenue, f.frontier_alpha, f.frontier_revenue, ratio
    );
    println!(
        "- frontier at N = 5 sampled at {} weights",
        f.frontier.points().len()
    );

    let json = serde_json::json!({
        "n": s.n,
        "revenue_max_revenue_per_trader": s.rev_max_revenue_per_trader,
        "revenue_max_holding_cost_per_trader": s.rev_max_holding_cost,
        "da_fee_total_revenue": s.da_fee_total_revenue,
        "da_holding_cost_per_trader": s.da_holding_cost,
        "first_best_holding_cost_per_trader": s.fb_holding_cost,
        "frontier_n5": {
            "da_fee_revenue": f.da_fee_revenue,
            "da_efficiency": f.da_efficiency,
            "frontier_revenue_at_da_efficiency": f.frontier_revenue,
            "ratio": ratio,
        },
    });
    let json_path = out.join("example1.json");
    std::fs::write(&json_path, serde_json::to_string_pretty(&json)?)
        .map_err(|e| format!("cannot write {}: {e}", json_path.display()))?;

    figure_allocation(&out.join("interim_allocation.svg"))?;
    figure_frontier(&out.join("frontier.svg"), &f)?;
    figure_vs_n(
        &out.join("revenue_per_trader.svg"),
        "Expected revenue per trader (Example 1)",
        "expected revenue per trader",
        &s.n,
        &[
            (
                "revenue-maximal mechanism (α = 1)",
                &s.rev_max_revenue_per_trader,
                BLUE,
            ),
            (
                "double auction with maximal fees",
                &s.da_fee_revenue_per_trader,
                BLACK,
            ),
        ],
        ("1/6", 1.0 / 6.0),
        SeriesLabelPosition::MiddleRight,
    )?;
    figure_vs_n(
        &out.join("holding_cost_per_trader.svg"),
        "Expected holding cost per trader (Example 1)",
        "expected holding cost per trader",
        &s.n,
        &[
            (
                "revenue-maximal mechanism (α = 1)",
                &s.rev_max_holding_cost,
                BLUE,
            ),
            ("double auction", &s.da_holding_cost, BLACK),
            ("first best", &s.fb_holding_cost, RED),
        ],
        ("1/12", 1.0 / 12.0),
        SeriesLabelPosition::UpperRight,
    )?;
    println!(
        "\nwrote {} (example1.json and 4 SVG figures)",
        out.display()
    );
    Ok(())
}
