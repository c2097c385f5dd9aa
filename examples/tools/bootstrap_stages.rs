//! Times the three stages of one bootstrap replicate of the `deploy`
//! example's market (three classes on [−1, 1], 10⁴ seeded samples each,
//! α = 0.5): re-estimating the classes from a resample, re-solving, and
//! assessing the full-sample design under the re-estimated classes, on one
//! thread, as `deployment::bootstrap` does per replicate.
//!
//! ```text
//! cargo run --release --example bootstrap_stages -- log_concave 20
//! cargo run --release --example bootstrap_stages -- kde 20
//! ```
//!
//! Prints the mean milliseconds of each stage and each class's table nodes
//! (the kinks every quadrature splits at). The rows of `docs/performance.md`
//! for other table tolerances were measured by changing
//! `estimation::SMOOTHED_TABLE_TOLERANCE` and rebuilding.

use exchange_design::deployment::Design;
use exchange_design::distribution::{EndowmentDistribution, Mixture, Triangular, TruncatedNormal};
use exchange_design::estimation::{estimate, Method};
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::OptimalMechanism;
use rand::{rngs::StdRng, RngExt, SeedableRng};
use std::error::Error;
use std::sync::Arc;
use std::time::Instant;

type Dist = Arc<dyn EndowmentDistribution>;

const ALPHA: f64 = 0.5;
const SAMPLES: usize = 10_000;
const SUPPORT: (f64, f64) = (-1.0, 1.0);
/// (κ, traders) of hedgers, dealers and funds, as in the `deploy` example.
const CLASSES: [(f64, u64); 3] = [(0.5, 3), (1.0, 2), (0.8, 2)];

fn populations() -> Result<Vec<Dist>, Box<dyn Error>> {
    let normal = |mu: f64, sigma: f64| -> Result<Dist, Box<dyn Error>> {
        Ok(Arc::new(TruncatedNormal::new(mu, sigma, -1.0, 1.0)?))
    };
    Ok(vec![
        Arc::new(Mixture::new(vec![
            (0.5, normal(-0.45, 0.18)?),
            (0.5, normal(0.45, 0.18)?),
        ])?),
        normal(0.1, 0.35)?,
        Arc::new(Triangular::new(-1.0, 0.3, 1.0)?),
    ])
}

fn market(dists: &[Dist]) -> Result<Market, Box<dyn Error>> {
    let classes = CLASSES
        .iter()
        .zip(dists)
        .map(|(&(kappa, n), d)| TraderClass::from_shared(kappa, Arc::clone(d), n))
        .collect();
    Ok(Market::new(classes)?)
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let method = match args.next().as_deref() {
        Some("kde") => Method::Kde,
        Some("log_concave") | None => Method::LogConcave,
        Some(other) => return Err(format!("unknown method {other}: kde or log_concave").into()),
    };
    let replicates: usize = args.next().map_or(Ok(20), |s| s.parse())?;
    let mut rng = StdRng::seed_from_u64(1);
    let samples: Vec<Vec<f64>> = populations()?
        .iter()
        .map(|p| {
            (0..SAMPLES)
                .map(|_| p.quantile(rng.random::<f64>()))
                .collect()
        })
        .collect();
    let full: Vec<Dist> = samples
        .iter()
        .map(|x| estimate(method, x, Some(SUPPORT)))
        .collect::<Result<_, _>>()?;
    let design = Design::new(OptimalMechanism::solve(&market(&full)?, ALPHA)?)?;
    let (mut t_est, mut t_solve, mut t_assess) = (0.0, 0.0, 0.0);
    let mut nodes = Vec::new();
    for _ in 0..replicates {
        let clock = Instant::now();
        let dists: Vec<Dist> = samples
            .iter()
            .map(|x| {
                let resample: Vec<f64> = (0..x.len())
                    .map(|_| x[rng.random_range(0..x.len())])
                    .collect();
                estimate(method, &resample, Some(SUPPORT))
            })
            .collect::<Result<_, _>>()?;
        let t1 = clock.elapsed().as_secs_f64();
        OptimalMechanism::solve(&market(&dists)?, ALPHA)?;
        let t2 = clock.elapsed().as_secs_f64();
        design.assess(&dists)?;
        let t3 = clock.elapsed().as_secs_f64();
        (t_est, t_solve, t_assess) = (t_est + t1, t_solve + t2 - t1, t_assess + t3 - t2);
        nodes = dists.iter().map(|d| d.kinks().len() + 2).collect();
    }
    let ms = |t: f64| 1e3 * t / replicates as f64;
    println!(
        "{} replicates of {}: re-estimate {:.1} ms, re-solve {:.1} ms, assess {:.1} ms per replicate; nodes per class {:?}",
        replicates,
        method.name(),
        ms(t_est),
        ms(t_solve),
        ms(t_assess),
        nodes
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
