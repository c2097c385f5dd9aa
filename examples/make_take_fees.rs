//! The side payments of Theorem 2 as make-take fees: for a market of four
//! heterogeneous traders, tabulates and plots each trader's side payment
//! `S_i(p, q)` and the function `T_i`, prints what traders of a few types
//! pay, and checks the auction's revenue by Monte Carlo.
//!
//! ```text
//! cargo run --release --example make_take_fees [-- --out DIR] [--alpha A] [--auctions N]
//! ```
//!
//! Defaults: `DIR = target/make_take_fees`, `A = 0.5`, `N = 200000`.
//! Figures written to `DIR`:
//! * `side_payment_trader_<i>.svg`: `S_i(p, q)` against the quantity `q` at
//!   three clearing prices (the expected price and ± one unit of spread);
//! * `t_functions.svg`: `T_i(l)` of every trader (with its kink at `η_i`);
//! * `equilibrium_payment.svg`: each trader's expected payment against its
//!   endowment.

use exchange_design::distribution::{Beta, Triangular, TruncatedNormal, Uniform};
use exchange_design::implementation::{DoubleAuction, SidePayments, Simulation, SimulationConfig};
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::DirectMechanism;
use exchange_design::mechanism::OptimalMechanism;
use indicatif::{ProgressBar, ProgressStyle};
use plotters::prelude::*;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

type Res<T> = Result<T, Box<dyn Error>>;

/// `x` for printing with `decimals` decimals: a value that would print as
/// `-0.0…0` (a negative zero, or rounding noise below zero) prints as zero.
fn clean(x: f64, decimals: i32) -> f64 {
    if x <= 0.0 && x > -0.5 * 10f64.powi(-decimals) {
        0.0
    } else {
        x
    }
}
/// A labelled, coloured curve.
type Curve = (String, RGBColor, Vec<(f64, f64)>);

const FIG_SIZE: (u32, u32) = (900, 620);
const COLORS: [RGBColor; 4] = [
    RGBColor(30, 90, 210),
    RGBColor(210, 60, 40),
    RGBColor(40, 150, 70),
    RGBColor(150, 70, 180),
];
const USAGE: &str = "usage: make_take_fees [--out DIR] [--alpha A] [--auctions N]";

struct Args {
    out: PathBuf,
    alpha: f64,
    auctions: u64,
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

fn parse_args() -> Res<Args> {
    let mut args = Args {
        out: PathBuf::from("target/make_take_fees"),
        alpha: 0.5,
        auctions: 200_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |what: &str| it.next().ok_or(format!("{a} needs {what}; {USAGE}"));
        match a.as_str() {
            "--out" => args.out = PathBuf::from(value("a directory")?),
            "--alpha" => {
                let v = value("a number in [0, 1]")?;
                args.alpha = v
                    .parse()
                    .map_err(|_| format!("--alpha {v:?} is not a number; give one in [0, 1]"))?;
            }
            "--auctions" => {
                let v = value("a count")?;
                args.auctions = v.parse().map_err(|_| {
                    format!("--auctions {v:?} is not a whole number; give e.g. 100000")
                })?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}; {USAGE}").into()),
        }
    }
    Ok(args)
}

/// Four heterogeneous traders: different risk capacities and beliefs.
fn market() -> Res<Market> {
    Ok(Market::new(vec![
        TraderClass::new(0.5, Uniform::new(-1.0, 1.0)?, 1),
        TraderClass::new(1.0, Triangular::new(-1.0, 0.3, 1.0)?, 1),
        TraderClass::new(2.0, TruncatedNormal::new(0.3, 0.5, -0.7, 1.3)?, 1),
        TraderClass::new(0.8, Beta::new(2.0, 3.0, -1.2, 0.8)?, 1),
    ])?)
}

fn style(color: RGBColor, width: u32) -> ShapeStyle {
    ShapeStyle {
        color: color.to_rgba(),
        filled: false,
        stroke_width: width,
    }
}

fn legend_line(color: RGBColor, width: u32) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style(color, width))
}

/// Decimals for tick labels over a range of `span`: enough for a tenth of
/// it, the same on every tick (no "0.1" beside "0.12").
fn decimals(span: f64) -> usize {
    (-(span / 10.0).log10()).ceil().clamp(0.0, 4.0) as usize
}

/// A tick label with `dec` decimals, never "-0.0".
fn tick(v: f64, dec: usize) -> String {
    let s = format!("{v:.dec$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

fn range_of(series: &[Vec<(f64, f64)>]) -> (f64, f64) {
    let (lo, hi) = series
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.1), b.max(p.1))
        });
    let pad = (hi - lo).max(1e-9) * 0.06;
    // A third more at the top for the legend, so that it hides no curve.
    (lo - pad, hi + pad + (hi - lo).max(1e-9) * 0.35)
}

/// Draws several labelled curves on one chart.
fn line_chart(
    path: &Path,
    title: &str,
    (x_desc, y_desc): (&str, &str),
    x_range: (f64, f64),
    curves: &[Curve],
) -> Res<()> {
    let series: Vec<Vec<(f64, f64)>> = curves.iter().map(|c| c.2.clone()).collect();
    let (y0, y1) = range_of(&series);
    let root = SVGBackend::new(path, FIG_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(x_range.0..x_range.1, y0..y1)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 15))
        .x_label_formatter(&|x| tick(*x, decimals(x_range.1 - x_range.0)))
        .y_label_formatter(&|y| tick(*y, decimals(y1 - y0)))
        .draw()?;
    for (label, color, pts) in curves {
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), style(*color, 2)))?
            .label(label.as_str())
            .legend(legend_line(*color, 2));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .legend_area_size(34)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .draw()?;
    root.present()?;
    Ok(())
}

fn grid(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
    (0..=n).map(move |k| lo + (hi - lo) * k as f64 / n as f64)
}

fn run() -> Res<()> {
    let args = parse_args()?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let market = market()?;
    let mech = OptimalMechanism::solve(&market, args.alpha)?;
    let rules = SidePayments::new(&mech)?;
    // The expected clearing price is −Σ_j E[V_j].
    let p_bar = -mech.aggregate_mean_virtual_value();
    println!(
        "alpha = {}, beta = {:.4}, lambda = {:.4}, expected revenue {:.6}, expected clearing price {:.4}",
        mech.alpha(),
        mech.beta(),
        mech.lambda(),
        mech.revenue(),
        p_bar
    );
    println!();
    println!("Each trader submits the schedule q(p) = -V_i(z) - w_i p and pays, besides p q,");
    println!("the side payment S_i(p, q) = c_i q^2/2 - T_i(-q - w_i p) + tau_i (src/implementation/side_payment.rs):");
    println!("  w_i = kappa_i/K        slope of the schedule in the price (K = sum of the kappas)");
    println!("  c_i                    coefficient of the quadratic part of the side payment");
    println!("  tau_i                  participation fee (negative: a subsidy), set so that the worst type gains nothing");
    println!("  eta_i                  level of the virtual value V_i on the binding interval");
    println!("  binding interval       types that trade nothing in expectation");
    println!();
    println!("trader  kappa  w_i     c_i       tau_i      eta_i    binding interval");
    for (i, c) in rules.classes().iter().enumerate() {
        let (za, zb) = c.virtual_value().binding_interval();
        println!(
            "{i:>6}  {:<5}  {:.3}  {:>8.4}  {:>9.5}  {:>7.4}  [{:.4}, {:.4}]",
            c.kappa(),
            c.kappa_share(),
            clean(c.c(), 4),
            clean(c.tau(), 5),
            clean(c.virtual_value().eta(), 4),
            clean(za, 4),
            clean(zb, 4)
        );
    }

    // What traders of a few types pay: equilibrium schedule, expected
    // payment and gain, and the fee at the expected price.
    println!();
    println!("trader  quantile  type z    schedule q(p)            E[payment]  E[gain]   S(p_bar, q(p_bar))");
    for (i, c) in rules.classes().iter().enumerate() {
        let d = c.virtual_value().distribution();
        for u in [0.1, 0.5, 0.9] {
            let z = d.quantile(u);
            let q = c.demand_schedule(z)?;
            let q_bar = q.intercept() - q.slope() * p_bar;
            println!(
                "{i:>6}  {u:>8}  {:>7.4}  q = {:>7.4} - {:.3} p  {:>10.5}  {:>8.5}  {:>10.5}",
                clean(z, 4),
                clean(q.intercept(), 4),
                q.slope(),
                clean(c.expected_payment(z)?, 5),
                clean(c.expected_gain(z)?, 5),
                clean(c.side_payment(p_bar, q_bar)?, 5)
            );
        }
    }

    // One auction at the 80% quantile types.
    let types: Vec<f64> = rules
        .classes()
        .iter()
        .map(|c| c.virtual_value().distribution().quantile(0.8))
        .collect();
    let out = DoubleAuction::new(&rules).run_equilibrium(&types)?;
    println!();
    println!(
        "one auction at the 80% quantile types {types:.3?}: price {:.4}",
        out.price().ok_or("the auction did not clear")?
    );
    for i in 0..types.len() {
        let q = out.quantities()[i];
        let pay = out.payments()[i];
        let p = out.price().unwrap_or(0.0);
        println!(
            "  trader {i}: buys {:>8.4}, pays p q = {:>8.4} plus side payment {:>8.4} = {:>8.4}",
            clean(q, 4),
            clean(p * q, 4),
            clean(pay - p * q, 4),
            clean(pay, 4)
        );
    }

    // Figures.
    let q_span = 1.5;
    for (i, c) in rules.classes().iter().enumerate() {
        let mut curves = Vec::new();
        for (p, color) in [
            (p_bar - 0.5, COLORS[0]),
            (p_bar, COLORS[1]),
            (p_bar + 0.5, COLORS[2]),
        ] {
            let pts = grid(-q_span, q_span, 300)
                .map(|q| Ok((q, c.side_payment(p, q)?)))
                .collect::<Res<Vec<_>>>()?;
            curves.push((format!("p = {p:.2}"), color, pts));
        }
        let path = args.out.join(format!("side_payment_trader_{i}.svg"));
        line_chart(
            &path,
            &format!("Side payment S(p, q) of trader {i} (kappa = {})", c.kappa()),
            ("quantity bought q", "S(p, q)"),
            (-q_span, q_span),
            &curves,
        )?;
    }
    let mut curves = Vec::new();
    let mut l_range = (f64::INFINITY, f64::NEG_INFINITY);
    for (i, c) in rules.classes().iter().enumerate() {
        let vv = c.virtual_value();
        let (lo, hi) = vv.distribution().support();
        let (a, b) = (vv.value(lo), vv.value(hi));
        let pad = 0.2 * (b - a);
        l_range = (l_range.0.min(a - pad), l_range.1.max(b + pad));
        let pts = grid(a - pad, b + pad, 300)
            .map(|l| Ok((l, c.t_fn(l)?)))
            .collect::<Res<Vec<_>>>()?;
        curves.push((format!("T_{i} (eta = {:.3})", vv.eta()), COLORS[i % 4], pts));
    }
    line_chart(
        &args.out.join("t_functions.svg"),
        "The functions T_i of the side payments",
        ("l = -q - w p", "T_i(l)"),
        l_range,
        &curves,
    )?;
    let mut curves = Vec::new();
    let mut z_range = (f64::INFINITY, f64::NEG_INFINITY);
    for (i, c) in rules.classes().iter().enumerate() {
        let (lo, hi) = c.virtual_value().distribution().support();
        z_range = (z_range.0.min(lo), z_range.1.max(hi));
        let pts = grid(lo, hi, 300)
            .map(|z| Ok((z, c.expected_payment(z)?)))
            .collect::<Res<Vec<_>>>()?;
        curves.push((format!("trader {i}"), COLORS[i % 4], pts));
    }
    line_chart(
        &args.out.join("equilibrium_payment.svg"),
        "Expected payment p q + S(p, q) of a type in equilibrium",
        ("endowment z", "expected payment"),
        z_range,
        &curves,
    )?;
    println!();
    println!("figures written to {}", args.out.display());

    // Monte Carlo check of the revenue.
    let cfg = SimulationConfig {
        auctions: args.auctions,
        seed: 2026,
        ..SimulationConfig::default()
    };
    let bar = ProgressBar::new(args.auctions);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} auctions ({per_sec}, eta {eta})")
            .map_err(|e| format!("progress bar template: {e}"))?,
    );
    let report =
        Simulation::new(&rules, cfg)?.run_with_progress(|done, _| bar.set_position(done))?;
    bar.finish_and_clear();
    let quad = rules.expected_revenue();
    println!(
        "Monte Carlo, {} auctions: revenue per auction {:.6} ± {:.6} (quadrature {:.6}, direct mechanism {:.6}; {:.1} standard errors apart)",
        report.auctions,
        report.revenue.mean,
        report.revenue.std_error,
        quad,
        mech.revenue(),
        (report.revenue.mean - quad).abs() / report.revenue.std_error
    );
    for (i, (g, c)) in report.class_gain.iter().zip(rules.classes()).enumerate() {
        println!(
            "  trader {i}: utility gain {:.6} ± {:.6} (quadrature {:.6})",
            g.mean,
            g.std_error,
            c.expected_gain_per_trader()
        );
    }
    println!(
        "  no trade in {:.4} ± {:.4} of the auctions",
        report.no_trade.mean, report.no_trade.std_error
    );
    Ok(())
}
