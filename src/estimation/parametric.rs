//! Parametric maximum likelihood fits on a given support: the truncated
//! normal and the Beta.
//!
//! Both families are exponential families on a fixed support, so their
//! log-likelihoods are concave in the natural parameters and a Newton
//! iteration on the sufficient statistics, safeguarded by a backtracking
//! (Armijo) line search, finds the unique maximum:
//!
//! * truncated normal: natural parameters `(μ/σ², −1/(2σ²))`, sufficient
//!   statistics `(x̄, mean x²)`; the score is `(x̄ − E X, mean x² − E X²)` and
//!   the Hessian is minus the model's covariance of `(X, X²)`. Computed in
//!   the coordinate standardised by the sample mean and standard deviation.
//! * Beta: natural parameters `(a − 1, b − 1)`, sufficient statistics
//!   `(mean ln v, mean ln(1 − v))` with `v = (x − lo)/(hi − lo)`; the score
//!   is `(mean ln v − ψ(a) + ψ(a + b), mean ln(1 − v) − ψ(b) + ψ(a + b))`.
//!
//! Convergence: every score coordinate at most [`SCORE_TOLERANCE`] (in
//! standardised units), or, once the Newton decrement is below the rounding
//! of the log-likelihood, three full steps that no longer lower the score
//! (or 200 steps) with the score at most `1e4 ×` [`SCORE_TOLERANCE`].
//! No optimiser crate is used: see `docs/design.md`.

use super::{checked_sorted, EstimationError};
use crate::distribution::{Beta, EndowmentDistribution, TruncatedNormal};
use statrs::function::beta::ln_beta;
use statrs::function::gamma::digamma;

/// Largest score (gradient of the mean log-likelihood) coordinate accepted
/// at convergence.
///
/// # Example
/// ```
/// assert!(exchange_design::estimation::SCORE_TOLERANCE <= 1e-10);
/// ```
pub const SCORE_TOLERANCE: f64 = 1e-12;

/// Cap on Newton steps.
const MAX_STEPS: usize = 200;
/// Newton decrement below which steps are taken whole: the change of the
/// log-likelihood is then below its rounding.
const NEAR_DECREMENT: f64 = 1e-20;
/// The iteration is kept to `σ` below this many sample standard deviations.
const MAX_SIGMA_RATIO: f64 = 1e6;
/// An ascent that fails with `σ` beyond this many sample standard
/// deviations was heading for `σ → ∞` (samples flatter than any truncated
/// normal): reported as [`EstimationError::NoEstimate`].
const FLAT_SIGMA: f64 = 10.0;

/// Maximises a concave `objective` of two parameters given its score and
/// Hessian (`(g, h)` with `h` negative definite), by Newton steps with
/// backtracking inside the domain `feasible`.
fn newton2(
    method: &'static str,
    start: [f64; 2],
    objective: impl Fn([f64; 2]) -> f64,
    score: impl Fn([f64; 2]) -> ([f64; 2], [[f64; 2]; 2]),
    feasible: impl Fn([f64; 2]) -> bool,
) -> Result<[f64; 2], ([f64; 2], EstimationError)> {
    let mut x = start;
    let (mut best, mut stall) = (f64::INFINITY, 0);
    for step in 0..MAX_STEPS {
        let (g, h) = score(x);
        let gmax = g[0].abs().max(g[1].abs());
        if !gmax.is_finite() {
            break;
        }
        if gmax <= SCORE_TOLERANCE {
            return Ok(x);
        }
        // Solve (−h) d = g.
        let (a, b, c) = (-h[0][0], -h[0][1], -h[1][1]);
        let det = a * c - b * b;
        let d = if a > 0.0 && det > 0.0 {
            [(c * g[0] - b * g[1]) / det, (a * g[1] - b * g[0]) / det]
        } else {
            // Not negative definite in floating point: gradient ascent step.
            [g[0], g[1]]
        };
        let decrement = d[0] * g[0] + d[1] * g[1];
        let at = |t: f64| [x[0] + t * d[0], x[1] + t * d[1]];
        let mut t = 1.0;
        while !feasible(at(t)) && t > 1e-12 {
            t *= 0.5;
        }
        if decrement >= NEAR_DECREMENT {
            let l0 = objective(x);
            let accepted = |t: f64| {
                let l1 = objective(at(t));
                l1.is_finite() && l1 >= l0 + 1e-4 * t * decrement
            };
            while t > 1e-12 && !accepted(t) {
                t *= 0.5;
            }
        }
        if t <= 1e-12 {
            return stop(method, step, gmax).map(|()| x).map_err(|e| (x, e));
        }
        x = at(t);
        if decrement < NEAR_DECREMENT {
            if gmax >= best {
                stall += 1;
                if stall >= 3 {
                    return stop(method, step, gmax).map(|()| x).map_err(|e| (x, e));
                }
            } else {
                best = gmax;
            }
        }
    }
    let (g, _) = score(x);
    stop(method, MAX_STEPS, g[0].abs().max(g[1].abs()))
        .map(|()| x)
        .map_err(|e| (x, e))
}

/// Ends an iteration that rounding or the step cap stopped: accepted if the
/// score is within `1e4 ×` [`SCORE_TOLERANCE`] (1e-8 in units of the sample
/// standard deviation: five orders below the sampling error of 10⁵ samples).
fn stop<T: Default>(method: &'static str, step: usize, gmax: f64) -> Result<T, EstimationError> {
    if gmax <= 1e4 * SCORE_TOLERANCE {
        Ok(T::default())
    } else {
        Err(EstimationError::NotConverged {
            method,
            iterations: step,
            residual: gmax,
        })
    }
}

/// The maximum likelihood [`TruncatedNormal`] on `support = (lo, hi)`.
///
/// # Errors
/// The sample checks of [`EstimationError`];
/// [`EstimationError::NoEstimate`] when the likelihood keeps increasing as
/// `σ → ∞` (samples spread flatter than any normal truncated to the support,
/// such as uniform or U-shaped data): use the KDE or the log-concave MLE.
///
/// # Example
/// ```
/// use exchange_design::distribution::EndowmentDistribution;
/// use exchange_design::estimation::fit_truncated_normal;
/// let x: Vec<f64> = (1..200).map(|i| (i as f64 / 200.0 - 0.5) * 2.0).map(|u| u * u.abs()).collect();
/// let d = fit_truncated_normal(&x, (-1.0, 1.0))?;
/// let mean = x.iter().sum::<f64>() / x.len() as f64;
/// // The first score equation: the fitted mean is the sample mean.
/// assert!((d.mean() - mean).abs() < 1e-10);
/// # Ok::<(), exchange_design::estimation::EstimationError>(())
/// ```
pub fn fit_truncated_normal(
    samples: &[f64],
    support: (f64, f64),
) -> Result<TruncatedNormal, EstimationError> {
    const METHOD: &str = "truncated_normal";
    let x = checked_sorted(samples, Some(support))?;
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let s = (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt();
    let u: Vec<f64> = x.iter().map(|v| (v - m) / s).collect();
    let (lo, hi) = ((support.0 - m) / s, (support.1 - m) / s);
    let t1 = u.iter().sum::<f64>() / n;
    let t2 = u.iter().map(|v| v * v).sum::<f64>() / n;
    // Natural parameters η = (μ/σ², −1/(2σ²)) ↔ (μ, σ).
    let model = |eta: [f64; 2]| {
        let sigma = (-0.5 / eta[1]).sqrt();
        TruncatedNormal::new(eta[0] * sigma * sigma, sigma, lo, hi).ok()
    };
    let objective = |eta: [f64; 2]| match model(eta) {
        Some(d) => u.iter().map(|&v| d.pdf(v).ln()).sum::<f64>() / n,
        None => f64::NEG_INFINITY,
    };
    let score = |eta: [f64; 2]| {
        let Some(d) = model(eta) else {
            return ([f64::NAN; 2], [[f64::NAN; 2]; 2]);
        };
        let sigma = (-0.5 / eta[1]).sqrt();
        let mu = eta[0] * sigma * sigma;
        let (e1, e2) = (d.mean(), d.second_moment());
        // Moments of the standardised Y = (U − μ)/σ on [α, β] by the
        // recursion m_k = (k − 1) m_{k−2} − [β^{k−1} φ(β) − α^{k−1} φ(α)]/Z,
        // with φ(·)/Z = σ f(end). Used only for the Hessian.
        let (al, be) = ((lo - mu) / sigma, (hi - mu) / sigma);
        let (fa, fb) = (sigma * d.pdf(lo), sigma * d.pdf(hi));
        let m1 = (e1 - mu) / sigma;
        let m2 = d.variance() / (sigma * sigma) + m1 * m1;
        let m3 = 2.0 * m1 - (be * be * fb - al * al * fa);
        let m4 = 3.0 * m2 - (be.powi(3) * fb - al.powi(3) * fa);
        // Raw moments of U = μ + σY.
        let r3 = mu.powi(3)
            + 3.0 * mu * mu * sigma * m1
            + 3.0 * mu * sigma * sigma * m2
            + sigma.powi(3) * m3;
        let r4 = mu.powi(4)
            + 4.0 * mu.powi(3) * sigma * m1
            + 6.0 * mu * mu * sigma * sigma * m2
            + 4.0 * mu * sigma.powi(3) * m3
            + sigma.powi(4) * m4;
        let v11 = d.variance();
        let v12 = r3 - e1 * e2;
        let v22 = r4 - e2 * e2;
        ([t1 - e1, t2 - e2], [[-v11, -v12], [-v12, -v22]])
    };
    let feasible = |eta: [f64; 2]| {
        eta[1] < 0.0 && (-0.5 / eta[1]).sqrt() < MAX_SIGMA_RATIO && model(eta).is_some()
    };
    let eta = newton2(METHOD, [0.0, -0.5], objective, score, feasible).map_err(|(eta, e)| {
        // The ascent stopped with σ far beyond the samples' spread: it was
        // climbing towards σ → ∞ (η₂ → 0), where no truncated normal is.
        if (-0.5 / eta[1]).sqrt() > FLAT_SIGMA {
            EstimationError::NoEstimate {
                method: METHOD,
                reason: "the likelihood increases towards sigma = infinity (the samples are flatter than any normal truncated to this support); use `kde` or `log_concave`",
            }
        } else {
            e
        }
    })?;
    let sigma = (-0.5 / eta[1]).sqrt();
    let mu = eta[0] * sigma * sigma;
    TruncatedNormal::new(m + s * mu, s * sigma, support.0, support.1)
        .map_err(EstimationError::Distribution)
}

/// The maximum likelihood [`Beta`] on `support = (lo, hi)` with both shapes
/// at least 1, as [`Beta::new`] requires (a shape below 1 makes the density
/// unbounded at an end).
///
/// The log-likelihood is concave in `(a, b)`, so the maximum over the box
/// `a, b ≥ 1` is either the unconstrained maximum, when it lies in the box,
/// or the best of the maxima along the edges `a = 1` and `b = 1`. When the
/// unconstrained estimate has a shape below 1 (data piling up at an end),
/// the result therefore sits on the boundary with that shape exactly 1, and
/// the score in that shape is negative there: the constrained optimum, not
/// a stationary point.
///
/// # Errors
/// The sample checks of [`EstimationError`], and
/// [`EstimationError::SampleOnBoundary`] for a sample equal to `lo` or `hi`
/// (its log-likelihood is `−∞` unless a shape is exactly 1).
///
/// # Example
/// ```
/// use exchange_design::estimation::fit_beta;
/// // Quantiles of Beta(2, 2) on [0, 1]: 3v² − 2v³ = u.
/// let x: Vec<f64> = (1..400).map(|i| {
///     let u = i as f64 / 400.0;
///     let mut v = u;
///     for _ in 0..60 { v -= (3.0 * v * v - 2.0 * v.powi(3) - u) / (6.0 * v * (1.0 - v)); }
///     v
/// }).collect();
/// let d = fit_beta(&x, (0.0, 1.0))?;
/// assert!((d.a() - 2.0).abs() < 0.1 && (d.b() - 2.0).abs() < 0.1);
/// # Ok::<(), exchange_design::estimation::EstimationError>(())
/// ```
pub fn fit_beta(samples: &[f64], support: (f64, f64)) -> Result<Beta, EstimationError> {
    const METHOD: &str = "beta";
    let x = checked_sorted(samples, Some(support))?;
    let (lo, hi) = support;
    if let Some((index, &value)) = samples
        .iter()
        .enumerate()
        .find(|(_, &v)| v <= lo || v >= hi)
    {
        return Err(EstimationError::SampleOnBoundary {
            index,
            value,
            lo,
            hi,
        });
    }
    let n = x.len() as f64;
    let w = hi - lo;
    // ln v and ln(1 − v) without cancellation near either end.
    let s1 = x.iter().map(|&v| ((v - lo) / w).ln()).sum::<f64>() / n;
    let s2 = x.iter().map(|&v| ((hi - v) / w).ln()).sum::<f64>() / n;
    let ll = |p: [f64; 2]| (p[0] - 1.0) * s1 + (p[1] - 1.0) * s2 - ln_beta(p[0], p[1]);
    let score = |p: [f64; 2]| {
        let (a, b) = (p[0], p[1]);
        let dab = digamma(a + b);
        let tab = trigamma(a + b);
        (
            [s1 - digamma(a) + dab, s2 - digamma(b) + dab],
            [[tab - trigamma(a), tab], [tab, tab - trigamma(b)]],
        )
    };
    // Method of moments as the start (clamped to be positive).
    let v: Vec<f64> = x.iter().map(|&z| (z - lo) / w).collect();
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|z| (z - mean) * (z - mean)).sum::<f64>() / n;
    let k = (mean * (1.0 - mean) / var - 1.0).max(0.5);
    let start = [(mean * k).max(0.1), ((1.0 - mean) * k).max(0.1)];
    let free =
        newton2(METHOD, start, ll, score, |p| p[0] > 0.0 && p[1] > 0.0).map_err(|(_, e)| e)?;
    let (a, b) = if free[0] >= 1.0 && free[1] >= 1.0 {
        (free[0], free[1])
    } else {
        // Best point on the edges a = 1 and b = 1 (each a concave problem
        // in one variable, clamped to ≥ 1).
        let edge_b = edge(
            |b| s2 - digamma(b) + digamma(1.0 + b),
            |b| trigamma(1.0 + b) - trigamma(b),
        )?;
        let edge_a = edge(
            |a| s1 - digamma(a) + digamma(a + 1.0),
            |a| trigamma(a + 1.0) - trigamma(a),
        )?;
        if ll([1.0, edge_b]) >= ll([edge_a, 1.0]) {
            (1.0, edge_b)
        } else {
            (edge_a, 1.0)
        }
    };
    Beta::new(a, b, lo, hi).map_err(EstimationError::Distribution)
}

/// Maximises a concave function of one variable on `[1, ∞)` given its
/// derivative `g` and second derivative `h < 0`: Newton on `ln x` with
/// bisection safeguards. Returns 1 when `g(1) ≤ 0`.
fn edge(g: impl Fn(f64) -> f64, h: impl Fn(f64) -> f64) -> Result<f64, EstimationError> {
    if g(1.0) <= 0.0 {
        return Ok(1.0);
    }
    // Bracket [1, hi] with g(hi) < 0.
    let (mut a, mut b) = (1.0, 2.0);
    while g(b) > 0.0 {
        a = b;
        b *= 2.0;
        if b > 1e6 {
            return Err(EstimationError::NoEstimate {
                method: "beta",
                reason: "a shape parameter grows without bound (the samples are too concentrated for a Beta on this support); use a narrower support or another method",
            });
        }
    }
    let mut x = 0.5 * (a + b);
    for _ in 0..200 {
        let gx = g(x);
        if gx > 0.0 {
            a = x;
        } else {
            b = x;
        }
        let next = x - gx / h(x);
        x = if next > a && next < b {
            next
        } else {
            0.5 * (a + b)
        };
        if (b - a) <= 1e-15 * b || gx.abs() <= SCORE_TOLERANCE {
            break;
        }
    }
    Ok(x)
}

/// The trigamma function `ψ'(x)` for `x > 0`: the recurrence
/// `ψ'(x) = ψ'(x + 1) + 1/x²` up to `x ≥ 8`, then the asymptotic series.
pub(crate) fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 8.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let r = 1.0 / (x * x);
    // 1/x + 1/(2x²) + 1/(6x³) − 1/(30x⁵) + 1/(42x⁷) − 1/(30x⁹) + 5/(66x¹¹)
    acc + 1.0 / x
        + r / 2.0
        + r / x
            * (1.0 / 6.0
                + r * (-1.0 / 30.0 + r * (1.0 / 42.0 + r * (-1.0 / 30.0 + r * 5.0 / 66.0))))
}
