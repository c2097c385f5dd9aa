//! The log-concave maximum likelihood estimate (Walther 2002; Dümbgen and
//! Rufibach 2009), by an active-set method after Dümbgen, Hüsler and
//! Rufibach (2007), the algorithm of R's `logcondens`.
//!
//! Among all densities `f = e^φ` with `φ` concave, the one maximising
//! `Σ w_i φ(x_i)` (weights `w_i` = share of the samples at the distinct value
//! `x_i`) has `φ` piecewise linear with knots at a subset of the data and is
//! zero outside `[x_(1), x_(n)]`. With the knots fixed, maximising
//! `L(φ) = Σ w_i φ(x_i) − ∫ e^φ` over the values of `φ` at the knots is a
//! smooth concave problem with a tridiagonal Hessian, solved by damped
//! Newton steps (the `−∫ e^φ` term makes the maximiser a density, with no
//! constraint). Concavity at each knot is a linear constraint: a step that
//! would bend `φ` the wrong way at a knot is cut where the kink vanishes and
//! the knot is dropped. When no step improves, a knot is added in each gap
//! between knots at the data point where the directional derivative
//! `D(t) = ∫_{x_(1)}^t (F_φ(s) − F_n(s)) ds` (the slope of `L` towards a new
//! concave kink at `t`) is largest, if positive.
//!
//! **Convergence criterion.** On each set of knots, Newton stops when every
//! coordinate of the gradient of `L` (a difference of probability masses)
//! is at most `1e-13`; steps are Armijo-damped until the Newton decrement is
//! below `1e-12`, then taken whole (the change of `L` is then below its own
//! rounding, so a test on it would reject good steps at random), and if
//! three whole steps in a row fail to lower the gradient it is at the
//! rounding level of its sums and is accepted if at most `1e-11`. The outer
//! iteration stops when `max_t D(t) ≤` [`LOG_CONCAVE_TOLERANCE`], all in the
//! coordinate standardised by the sample mean and standard deviation.
//! `D ≤ 0` everywhere, with equality at the knots, characterises the
//! estimate (Dümbgen and Rufibach 2009, Theorem 2.4). Because every linear
//! function is a combination of the knots' hat functions, the vanishing
//! gradient also
//! makes the estimate's mean equal the sample mean.

use super::{checked_sorted, EstimationError};
use crate::distribution::{segment_integrals, segment_second, EndowmentDistribution, LogConcave};

/// The largest directional derivative `max_t ∫ (F_φ − F_n)` accepted at
/// convergence, in units of the sample standard deviation.
///
/// # Example
/// ```
/// assert!(exchange_design::estimation::LOG_CONCAVE_TOLERANCE <= 1e-9);
/// ```
pub const LOG_CONCAVE_TOLERANCE: f64 = 1e-10;

/// Largest gradient coordinate accepted by the inner Newton iteration.
const GRADIENT_TOLERANCE: f64 = 1e-13;
/// Newton decrement below which steps are taken whole (no line search).
const NEAR_DECREMENT: f64 = 1e-12;
/// Largest gradient coordinate accepted when rounding stops the iteration
/// before [`GRADIENT_TOLERANCE`].
const GRADIENT_FLOOR: f64 = 1e-11;
/// Cap on Newton steps (over all active sets).
const MAX_NEWTON: usize = 10_000;
/// Cap on knot-adding rounds.
const MAX_ROUNDS: usize = 2_000;

/// The smoothed estimate's tabulation: the largest error of the tabulated
/// density, at a cell's midpoint, as a fraction of the peak density.
///
/// # Example
/// ```
/// assert!(exchange_design::estimation::SMOOTHED_TABLE_TOLERANCE <= 1e-4);
/// ```
pub const SMOOTHED_TABLE_TOLERANCE: f64 = 1e-4;
/// The smoothed estimate's tabulation: the largest relative error of the
/// tabulated density, at a cell's midpoint, wherever the density is above
/// [`NEGLIGIBLE_DENSITY`] of its peak (so hazard ratios in the tails keep
/// two digits).
const SHAPE_TOLERANCE: f64 = 1e-2;
/// Density, relative to the peak, below which only
/// [`SMOOTHED_TABLE_TOLERANCE`] applies.
const NEGLIGIBLE_DENSITY: f64 = 1e-12;
/// Uniform cells over the data's range (widened by `10 τ`) that the
/// tabulation starts from before refining.
const START_CELLS: usize = 16;

/// The log-concave maximum likelihood estimate of the samples' density:
/// a [`LogConcave`] with knots at some of the samples, supported on
/// `[min, max]` of the samples. `support`, if given, only checks that every
/// sample lies inside it (the estimate is zero beyond the data, whatever the
/// support).
///
/// The estimate is log-concave, so it satisfies Condition 2 and never needs
/// ironing. Its mean equals the sample mean (to rounding). The method is
/// stated in the module's source documentation: active set over the knots,
/// Newton on the knot values, stopping when the largest directional
/// derivative towards a new knot is at most [`LOG_CONCAVE_TOLERANCE`].
///
/// # Errors
/// The sample checks of [`EstimationError`]; [`EstimationError::NotConverged`]
/// if the iteration caps are reached (not seen in tests).
///
/// # Example
/// ```
/// use exchange_design::distribution::EndowmentDistribution;
/// use exchange_design::estimation::log_concave_mle;
/// let x: Vec<f64> = (0..50).map(|i| (i as f64 * 0.37).sin()).collect();
/// let d = log_concave_mle(&x, Some((-1.0, 1.0)))?;
/// let sample_mean = x.iter().sum::<f64>() / 50.0;
/// assert!((d.mean() - sample_mean).abs() < 1e-12);
/// assert!(d.log_concave());
/// # Ok::<(), exchange_design::estimation::EstimationError>(())
/// ```
pub fn log_concave_mle(
    samples: &[f64],
    support: Option<(f64, f64)>,
) -> Result<LogConcave, EstimationError> {
    let sorted = checked_sorted(samples, support)?;
    let n = sorted.len() as f64;
    let mean = sorted.iter().sum::<f64>() / n;
    let var = sorted.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    let sd = var.sqrt();
    // Distinct standardised values with their weights.
    let mut y: Vec<f64> = Vec::new();
    let mut w: Vec<f64> = Vec::new();
    // The data value behind each distinct standardised value (knots are
    // placed exactly at data points, not at their round trip).
    let mut orig: Vec<f64> = Vec::new();
    for &v in &sorted {
        let t = (v - mean) / sd;
        match y.last() {
            Some(&last) if last == t => *w.last_mut().expect("same length as y") += 1.0 / n,
            _ => {
                y.push(t);
                w.push(1.0 / n);
                orig.push(v);
            }
        }
    }
    if y.len() < 2 {
        return Err(EstimationError::AllEqual { value: sorted[0] });
    }
    let mut fit = Fit::new(y, w);
    fit.run()?;
    let knots: Vec<f64> = fit.knots.iter().map(|&i| orig[i]).collect();
    let log_density: Vec<f64> = fit.theta.iter().map(|t| t - sd.ln()).collect();
    // Distinct standardised values can map back onto equal floats only if
    // the data's spread is at the last digits; report that rather than panic.
    LogConcave::new(knots, log_density).map_err(EstimationError::Distribution)
}

/// The active-set iteration in standardised coordinates.
struct Fit {
    /// Distinct data values, increasing.
    y: Vec<f64>,
    /// Their weights (summing to 1).
    w: Vec<f64>,
    /// Indices into `y` of the knots, increasing, always with both ends.
    knots: Vec<usize>,
    /// `φ` at the knots.
    theta: Vec<f64>,
    /// Newton steps taken so far.
    steps: usize,
}

impl Fit {
    fn new(y: Vec<f64>, w: Vec<f64>) -> Self {
        let m = y.len();
        let width = y[m - 1] - y[0];
        Fit {
            theta: vec![-width.ln(); 2],
            knots: vec![0, m - 1],
            y,
            w,
            steps: 0,
        }
    }

    fn width(&self, j: usize) -> f64 {
        self.y[self.knots[j + 1]] - self.y[self.knots[j]]
    }

    /// `c_j = Σ_i w_i · hat_j(y_i)`: the linear term of `L` in `θ`.
    fn linear_terms(&self) -> Vec<f64> {
        let k = self.knots.len();
        let mut c: Vec<f64> = self.knots.iter().map(|&i| self.w[i]).collect();
        for j in 0..k - 1 {
            let (left, right) = self.gap_terms(j);
            c[j] += left;
            c[j + 1] += right;
        }
        c
    }

    /// What the data strictly inside gap `j` give the hats of its two
    /// knots: `(Σ w_i (1 − λ_i), Σ w_i λ_i)`, `λ_i` the point's position in
    /// the gap.
    fn gap_terms(&self, j: usize) -> (f64, f64) {
        let (a, b) = (self.knots[j], self.knots[j + 1]);
        let (ya, inv) = (self.y[a], 1.0 / self.width(j));
        let (mut left, mut right) = (0.0, 0.0);
        for i in a + 1..b {
            let lambda = (self.y[i] - ya) * inv;
            left += self.w[i] * (1.0 - lambda);
            right += self.w[i] * lambda;
        }
        (left, right)
    }

    /// Drops interior knot `j` (its kink is zero, so `φ` is unchanged) and
    /// updates the linear terms `c` for the merged gap only: the two
    /// neighbours' shares of the data between them.
    fn drop_knot(&mut self, j: usize, c: &mut Vec<f64>) {
        let (l0, _) = self.gap_terms(j - 1);
        let (_, r1) = self.gap_terms(j);
        self.knots.remove(j);
        self.theta.remove(j);
        c.remove(j);
        let (l, r) = self.gap_terms(j - 1);
        c[j - 1] += l - l0;
        c[j] += r - r1;
    }

    /// `L(θ) = c·θ − ∫ e^φ`.
    fn objective(&self, c: &[f64], theta: &[f64]) -> f64 {
        let lin: f64 = c.iter().zip(theta).map(|(a, b)| a * b).sum();
        let integral: f64 = (0..theta.len() - 1)
            .map(|j| self.width(j) * segment_integrals(theta[j], theta[j + 1]).0)
            .sum();
        lin - integral
    }

    /// The kink `slope_j − slope_{j−1}` of `v` (values at the knots) at
    /// interior knot `j`; concavity needs it `≤ 0`.
    fn kink(&self, v: &[f64], j: usize) -> f64 {
        (v[j + 1] - v[j]) / self.width(j) - (v[j] - v[j - 1]) / self.width(j - 1)
    }

    /// Newton's method on the current knots, dropping knots whose kink
    /// would turn convex. Returns when the gradient is below tolerance.
    fn newton(&mut self) -> Result<(), EstimationError> {
        let mut c = self.linear_terms();
        let mut best = f64::INFINITY;
        let mut stall = 0;
        loop {
            let k = self.knots.len();
            // Gradient g = c − ∂∫e^φ and the (positive definite) Hessian of ∫e^φ.
            let mut g = c.clone();
            let mut diag = vec![0.0; k];
            let mut off = vec![0.0; k - 1];
            for j in 0..k - 1 {
                let h = self.width(j);
                let (a, b, cc) = segment_second(self.theta[j], self.theta[j + 1]);
                g[j] -= h * (a + b);
                g[j + 1] -= h * (b + cc);
                diag[j] += h * a;
                diag[j + 1] += h * cc;
                off[j] = h * b;
            }
            let gmax = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            if gmax <= GRADIENT_TOLERANCE {
                return Ok(());
            }
            self.steps += 1;
            if self.steps > MAX_NEWTON || !gmax.is_finite() {
                return Err(EstimationError::NotConverged {
                    method: "log_concave",
                    iterations: self.steps,
                    residual: gmax,
                });
            }
            let delta = solve_tridiagonal(&diag, &off, &g);
            let decrement: f64 = g.iter().zip(&delta).map(|(a, b)| a * b).sum();
            // Longest step keeping φ concave at every interior knot.
            let mut t_max = 1.0;
            let mut block = None;
            for j in 1..k - 1 {
                let kd = self.kink(&delta, j);
                if kd > 0.0 {
                    let t = (-self.kink(&self.theta, j) / kd).max(0.0);
                    if t < t_max {
                        t_max = t;
                        block = Some(j);
                    }
                }
            }
            let step = |t: f64| -> Vec<f64> {
                self.theta
                    .iter()
                    .zip(&delta)
                    .map(|(a, d)| a + t * d)
                    .collect()
            };
            let (t, trial) = if t_max * decrement < NEAR_DECREMENT {
                // The objective's predicted change over the feasible step is
                // below its own rounding, so an Armijo test on it would
                // reject good steps at random: take the feasible step. This
                // is the region of quadratic convergence, and also a step
                // blocked at once by a knot whose kink is zero (a knot just
                // added, at φ's linear value), which is then dropped.
                (t_max, step(t_max))
            } else {
                // Backtracking (Armijo) inside the feasible segment.
                let l0 = self.objective(&c, &self.theta);
                let mut t = t_max;
                loop {
                    let trial = step(t);
                    let l1 = self.objective(&c, &trial);
                    if l1 >= l0 + 1e-4 * t * decrement || t < 1e-12 {
                        break (t, trial);
                    }
                    t *= 0.5;
                    block = None;
                }
            };
            self.theta = trial;
            if let Some(j) = block {
                // The kink at knot j is zero: dropping it leaves φ unchanged.
                self.drop_knot(j, &mut c);
                stall = 0;
            } else if t < 1e-12 {
                return self.floor(gmax);
            } else if gmax >= best {
                // The full step no longer lowers the gradient: it is at the
                // rounding level of the sums behind it.
                stall += 1;
                if stall >= 3 {
                    return self.floor(gmax);
                }
            } else {
                best = gmax;
                stall = 0;
            }
        }
    }

    /// Ends an inner iteration stopped by rounding: accepted if the gradient
    /// is below [`GRADIENT_FLOOR`].
    fn floor(&self, gmax: f64) -> Result<(), EstimationError> {
        if gmax <= GRADIENT_FLOOR {
            Ok(())
        } else {
            Err(EstimationError::NotConverged {
                method: "log_concave",
                iterations: self.steps,
                residual: gmax,
            })
        }
    }

    /// The data index (strictly between knots) with the largest directional
    /// derivative in each gap, with that derivative: `∫_{y_0}^{y_i} (F − F_n)`,
    /// the estimate's integrated CDF less the empirical one.
    ///
    /// On a gap from knot `y_a` with log-density `θ_a + s (y − y_a)`, the
    /// estimate's `∫ F` at `y = y_a + t` is, in closed form,
    /// `∫_{y_0}^{y_a} F + F(y_a) t + e^{θ_a} t² g₂(s t)` with
    /// `g₂(x) = (eˣ − 1 − x)/x²` ([`growth`]): one exponential per data
    /// point, and no sum of increments to carry rounding along the gap.
    fn candidates(&self) -> Vec<(usize, f64)> {
        let mut out = Vec::new();
        // F and ∫F at the gap's first knot; the empirical CDF and its integral.
        let (mut f_cdf, mut f_int, mut emp_w, mut emp_int) = (0.0, 0.0, 0.0, 0.0);
        for j in 0..self.knots.len() - 1 {
            let (a, b) = (self.knots[j], self.knots[j + 1]);
            let (ya, h) = (self.y[a], self.width(j));
            let s = (self.theta[j + 1] - self.theta[j]) / h;
            let ea = self.theta[j].exp();
            let mut best: Option<(usize, f64)> = None;
            for i in a..b {
                emp_w += self.w[i];
                emp_int += emp_w * (self.y[i + 1] - self.y[i]);
                if i + 1 < b {
                    let t = self.y[i + 1] - ya;
                    let dd = f_int + f_cdf * t + ea * t * t * growth(s * t).1 - emp_int;
                    if best.is_none_or(|(_, v)| dd > v) {
                        best = Some((i + 1, dd));
                    }
                }
            }
            let (g1, g2) = growth(s * h);
            f_int += f_cdf * h + ea * h * h * g2;
            f_cdf += ea * h * g1;
            if let Some(bst) = best {
                out.push(bst);
            }
        }
        out
    }

    fn run(&mut self) -> Result<(), EstimationError> {
        for _round in 0..MAX_ROUNDS {
            self.newton()?;
            let cands = self.candidates();
            let worst = cands.iter().fold(f64::NEG_INFINITY, |m, c| m.max(c.1));
            if worst.is_nan() {
                break;
            }
            if worst <= LOG_CONCAVE_TOLERANCE {
                return Ok(());
            }
            // Add every gap's best point whose derivative is positive, at
            // φ's current (linear) value there, so φ is unchanged.
            let mut knots = Vec::with_capacity(self.knots.len() + cands.len());
            let mut theta = Vec::with_capacity(knots.capacity());
            let mut next = cands
                .iter()
                .filter(|c| c.1 > LOG_CONCAVE_TOLERANCE)
                .peekable();
            for j in 0..self.knots.len() {
                knots.push(self.knots[j]);
                theta.push(self.theta[j]);
                if let Some(&&(i, _)) = next.peek() {
                    if j + 1 < self.knots.len() && i < self.knots[j + 1] {
                        let (a, h) = (self.knots[j], self.width(j));
                        let lambda = (self.y[i] - self.y[a]) / h;
                        knots.push(i);
                        theta.push(self.theta[j] * (1.0 - lambda) + self.theta[j + 1] * lambda);
                        next.next();
                    }
                }
            }
            self.knots = knots;
            self.theta = theta;
        }
        Err(EstimationError::NotConverged {
            method: "log_concave",
            iterations: self.steps,
            residual: self
                .candidates()
                .iter()
                .fold(f64::NEG_INFINITY, |m, c| m.max(c.1)),
        })
    }
}

/// `(g₁(x), g₂(x)) = ((eˣ − 1)/x, (eˣ − 1 − x)/x²)`, the mass and the
/// integrated mass of `e^{s u}` over `u ∈ [0, t]` divided by `t` and `t²`
/// (`x = s t`), without cancellation: `g₂` by its series `Σ xⁿ/(n + 2)!`
/// where `|x| < 0.05` (eight terms, truncation below `1e-17`), else from
/// `expm1` (relative error about `ε/|x| ≤ 5e-15`).
fn growth(x: f64) -> (f64, f64) {
    if x.abs() < 0.05 {
        // Horner on Σ_{n≤8} xⁿ/(n + 1)! and Σ_{n≤8} xⁿ/(n + 2)!: the first
        // omitted terms are below 0.05⁹/10! ≈ 5e-19.
        const INV_FACT: [f64; 11] = [
            1.0,
            1.0,
            1.0 / 2.0,
            1.0 / 6.0,
            1.0 / 24.0,
            1.0 / 120.0,
            1.0 / 720.0,
            1.0 / 5_040.0,
            1.0 / 40_320.0,
            1.0 / 362_880.0,
            1.0 / 3_628_800.0,
        ];
        let (mut g1, mut g2) = (0.0, 0.0);
        for n in (0..9).rev() {
            g1 = g1 * x + INV_FACT[n + 1];
            g2 = g2 * x + INV_FACT[n + 2];
        }
        (g1, g2)
    } else {
        let e = x.exp_m1();
        (e / x, (e - x) / (x * x))
    }
}

/// Solves `A x = r` for symmetric tridiagonal positive definite `A`
/// (diagonal `d`, off-diagonal `e`) by the Thomas algorithm.
fn solve_tridiagonal(d: &[f64], e: &[f64], r: &[f64]) -> Vec<f64> {
    let k = d.len();
    let mut cp = vec![0.0; k];
    let mut dp = vec![0.0; k];
    let mut denom = d[0];
    cp[0] = if k > 1 { e[0] / denom } else { 0.0 };
    dp[0] = r[0] / denom;
    for i in 1..k {
        denom = d[i] - e[i - 1] * cp[i - 1];
        if i + 1 < k {
            cp[i] = e[i] / denom;
        }
        dp[i] = (r[i] - e[i - 1] * dp[i - 1]) / denom;
    }
    let mut x = vec![0.0; k];
    x[k - 1] = dp[k - 1];
    for i in (0..k - 1).rev() {
        x[i] = dp[i] - cp[i] * x[i + 1];
    }
    x
}

/// The smoothed log-concave estimate (Dümbgen and Rufibach 2009, Section
/// 3; Chen and Samworth 2013): the log-concave maximum likelihood estimate
/// `f̂` convolved with a centred normal of variance
/// `τ² = s² − Var(f̂)`, where `s²` is the sample variance with divisor
/// `n − 1`. The maximum likelihood estimate's variance is at most the
/// sample variance with divisor `n` (Dümbgen and Rufibach 2009), so
/// `τ > 0`. A convolution of log-concave densities is log-concave
/// (Prékopa), so the estimate keeps Condition 2; it is positive everywhere
/// and smooth, and its mean and variance are the sample's. It is then
/// truncated to `support`, the class's type space, and renormalised; without
/// a support, to the data's range widened by `10 τ` each side (mass lost
/// below `e^{−50}`, so the moments are kept to that order).
///
/// Returned as a [`LogConcave`], a table of the convolution's log-density
/// (each value a log-sum-exp over the estimate's segments of normal
/// interval probabilities, computed without cancellation), interpolated
/// linearly: few uniform cells over the data's range widened by `10 τ`, the
/// knots of `f̂`, and nodes 1.5 times farther apart at each step out into
/// the tails; then cells are halved until the tabulated density is within
/// [`SMOOTHED_TABLE_TOLERANCE`] (`1e-4`) of the peak density of the exact
/// one and within 1 % of it wherever it is above `1e-12` of the peak, and
/// the values are raised by the chords' mean shortfall so each cell keeps
/// its mass (the source documentation of `refine` states the rule). The
/// values are finally replaced by their least concave majorant (a
/// correction at the rounding level), so the table is exactly log-concave.
/// A few hundred nodes result for 10⁴ samples; the mean and the variance
/// are the sample's to about `1e-5` relative (`tests/estimation/log_concave.rs`
/// measures it), far inside the estimate's sampling error.
///
/// The tolerance is a choice of speed over digits that no sample supports:
/// a bootstrap re-estimates and re-solves thousands of times, and every
/// quadrature of a solve splits at the table's nodes (a table fine enough
/// for `1e-7` had 16 000 nodes and made a 1 000-replicate bootstrap take
/// half an hour; `docs/performance.md`).
///
/// # Errors
/// As [`log_concave_mle`].
///
/// # Example
/// ```
/// use exchange_design::distribution::EndowmentDistribution;
/// use exchange_design::estimation::log_concave_smoothed;
/// let x: Vec<f64> = (0..50).map(|i| (i as f64 * 0.37).sin()).collect();
/// let d = log_concave_smoothed(&x, Some((-5.0, 5.0)))?;
/// assert_eq!(d.support(), (-5.0, 5.0));
/// assert!(d.pdf(-4.9) > 0.0 && d.log_concave());
/// // Mean and variance are the sample's (divisor n − 1), to the table's
/// // accuracy.
/// let mean = x.iter().sum::<f64>() / 50.0;
/// let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / 49.0;
/// assert!((d.mean() - mean).abs() < 2e-5 && (d.variance() / var - 1.0).abs() < 2e-5);
/// # Ok::<(), exchange_design::estimation::EstimationError>(())
/// ```
pub fn log_concave_smoothed(
    samples: &[f64],
    support: Option<(f64, f64)>,
) -> Result<LogConcave, EstimationError> {
    let x = checked_sorted(samples, support)?;
    Ok(smoothed_sorted(&x, support)?.0)
}

/// [`log_concave_smoothed`] on checked, sorted samples: the estimate, the
/// maximum likelihood estimate's number of knots and `τ`.
pub(crate) fn smoothed_sorted(
    x: &[f64],
    support: Option<(f64, f64)>,
) -> Result<(LogConcave, usize, f64), EstimationError> {
    let mle = log_concave_mle(x, support)?;
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let s2 = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    let (k, phi) = (mle.knots(), mle.log_density());
    // Var(f̂) about the sample mean (the estimate's own mean, to rounding):
    // its variance in closed form (each segment's `∫ (y − m)² f̂` about
    // its own mean m, no cancellation far from zero) plus `(m − x̄)²`.
    let var_mle = mle.variance() + (mle.mean() - mean) * (mle.mean() - mean);
    let gap = s2 - var_mle;
    if gap.is_nan() || gap <= 0.0 {
        // Excluded by the theorem above; only rounding of a degenerate
        // sample could get here.
        return Err(EstimationError::NoEstimate {
            method: "log_concave",
            reason: "the maximum likelihood estimate's variance is not below the sample variance (rounding), so there is nothing to smooth with; use `kde`",
        });
    }
    let tau = gap.sqrt();
    let (first, last) = (k[0], k[k.len() - 1]);
    // An undeclared support (None) is ten smoothing widths past the knots:
    // an option's default, not a fallback from a failure.
    let (lo, hi) = support.unwrap_or((first - 10.0 * tau, last + 10.0 * tau));
    // Start: a few uniform cells over the core, the knots of f̂ (where the
    // smoothing bends the log-density most), geometric tails, the ends.
    let (ca, cb) = ((first - 10.0 * tau).max(lo), (last + 10.0 * tau).min(hi));
    let mut z: Vec<f64> = (0..=START_CELLS)
        .map(|i| ca + (cb - ca) * i as f64 / START_CELLS as f64)
        .collect();
    z.extend(k.iter().copied());
    let mut d = 10.0 * tau;
    while ca - d > lo || cb + d < hi {
        d *= 1.5;
        z.push(ca - d);
        z.push(cb + d);
    }
    z.push(lo);
    z.push(hi);
    z.retain(|&v| v >= lo && v <= hi);
    z.sort_by(f64::total_cmp);
    z.dedup();
    let (z, ell) = refine(&z, |v| smoothed_ln_pdf(k, phi, tau, v));
    let (knots, values) = concave_majorant(&z, &ell);
    let d = LogConcave::new(knots, values).map_err(EstimationError::Distribution)?;
    Ok((d, k.len(), tau))
}

/// The table of a smooth log-density `ell` on the sorted start nodes `z`:
/// nodes and values, interpolated linearly in the log-density by
/// [`LogConcave`].
///
/// A cell is halved while the chord of `ell` misses it at the midpoint by
/// more than [`SMOOTHED_TABLE_TOLERANCE`] of the peak density, or by more
/// than [`SHAPE_TOLERANCE`] relative where the density is above
/// [`NEGLIGIBLE_DENSITY`] of the peak. For a concave `ell` the chord lies
/// below it, on average by two thirds of the midpoint miss `m` (exact for a
/// quadratic), so each cell's mass is short by that fraction: every value
/// is raised by the mean of `2m/3` over its one or two cells, which makes
/// each cell's mass right to the next order (cells whose miss exceeds
/// [`SHAPE_TOLERANCE`], in tails of negligible density, are not raised).
/// The values therefore do not interpolate `ell` at the nodes; the
/// tabulated density is within the tolerances above of the exact one.
fn refine(z: &[f64], ell: impl Fn(f64) -> f64) -> (Vec<f64>, Vec<f64>) {
    let start: Vec<f64> = z.iter().map(|&v| ell(v)).collect();
    let top = start.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (mut nodes, mut values) = (vec![z[0]], vec![start[0]]);
    // The raise each cell asks of its two ends.
    let mut raise: Vec<f64> = Vec::new();
    for i in 0..z.len() - 1 {
        let mut stack = vec![(z[i], start[i], z[i + 1], start[i + 1])];
        while let Some((a, la, b, lb)) = stack.pop() {
            let m = 0.5 * (a + b);
            let mut keep = 0.0;
            if m > a && m < b {
                let lm = ell(m);
                let miss = lm - 0.5 * (la + lb);
                let w = (lm - top).exp();
                if miss.abs() * w > SMOOTHED_TABLE_TOLERANCE
                    || (miss.abs() > SHAPE_TOLERANCE && w > NEGLIGIBLE_DENSITY)
                {
                    stack.push((m, lm, b, lb));
                    stack.push((a, la, m, lm));
                    continue;
                }
                if miss.abs() <= SHAPE_TOLERANCE {
                    keep = 2.0 / 3.0 * miss;
                }
            }
            nodes.push(b);
            values.push(lb);
            raise.push(keep);
        }
    }
    let cells = raise.len();
    for (i, v) in values.iter_mut().enumerate() {
        let left = raise[i.saturating_sub(1)];
        let right = raise[i.min(cells - 1)];
        *v += 0.5 * (left + right);
    }
    (nodes, values)
}

/// `ln` of `(f̂ ∗ N(0, τ²))(z)` for `f̂ = exp(φ)`, `φ` linear between knots
/// `k` with values `phi` (normalised): on a segment with slope `b`,
/// `∫ exp(φ(y)) φ_τ(z − y) dy = exp(φ(k_j) + b (z − k_j) + b²τ²/2)
/// · P(u₁ < U < u₂)` with `u = (k − z)/τ − bτ` at the segment's ends.
fn smoothed_ln_pdf(k: &[f64], phi: &[f64], tau: f64, z: f64) -> f64 {
    let terms: Vec<f64> = (0..k.len() - 1)
        .map(|j| {
            let b = (phi[j + 1] - phi[j]) / (k[j + 1] - k[j]);
            let u1 = (k[j] - z) / tau - b * tau;
            let u2 = (k[j + 1] - z) / tau - b * tau;
            phi[j] + b * (z - k[j]) + 0.5 * b * b * tau * tau + ln_normal_interval(u1, u2)
        })
        .collect();
    let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    top + terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln()
}

/// `ln P(u₁ < U < u₂)` for a standard normal `U` and `u₁ < u₂`, with
/// relative accuracy in both tails and on narrow intervals.
fn ln_normal_interval(u1: f64, u2: f64) -> f64 {
    let w = u2 - u1;
    let mid = 0.5 * (u1 + u2);
    if w * mid.abs().max(1.0) < 0.05 {
        // ∫ φ over [m − w/2, m + w/2] = w φ(m) (1 + w²(m² − 1)/24
        // + w⁴(m⁴ − 6m² + 3)/1920 + …).
        let (m2, w2) = (mid * mid, w * w);
        let series = 1.0 + w2 * (m2 - 1.0) / 24.0 + w2 * w2 * (m2 * m2 - 6.0 * m2 + 3.0) / 1920.0;
        return w.ln() - 0.5 * m2 - 0.5 * (2.0 * std::f64::consts::PI).ln() + series.ln();
    }
    if u1 >= 0.0 {
        let (a, b) = (ln_upper_tail(u1), ln_upper_tail(u2));
        a + (-(b - a).exp()).ln_1p()
    } else if u2 <= 0.0 {
        ln_normal_interval(-u2, -u1)
    } else {
        (-(ln_upper_tail(-u1).exp() + ln_upper_tail(u2).exp())).ln_1p()
    }
}

/// `ln Q(x)`, `Q(x) = P(U > x)`, for `x ≥ 0`: from `erfc` while `Q` is far
/// from underflow, else the asymptotic series of Mills' ratio (relative
/// error below `1e-14` from `x = 30`).
fn ln_upper_tail(x: f64) -> f64 {
    if x.is_infinite() {
        return f64::NEG_INFINITY;
    }
    if x < 30.0 {
        return (0.5 * libm::erfc(x * std::f64::consts::FRAC_1_SQRT_2)).ln();
    }
    let r = 1.0 / (x * x);
    let series = 1.0 - r * (1.0 - r * (3.0 - r * (15.0 - r * (105.0 - r * 945.0))));
    -0.5 * x * x - x.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln() + series.ln()
}

/// The least concave majorant of the points `(z_i, v_i)` (`z` increasing):
/// its vertices.
fn concave_majorant(z: &[f64], v: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut hz: Vec<f64> = Vec::with_capacity(z.len());
    let mut hv: Vec<f64> = Vec::with_capacity(z.len());
    for (&a, &b) in z.iter().zip(v) {
        while hz.len() >= 2 {
            let m = hz.len();
            // Drop the last vertex if it lies on or below the chord from
            // the one before it to the new point.
            let (z0, v0, z1, v1) = (hz[m - 2], hv[m - 2], hz[m - 1], hv[m - 1]);
            if (v1 - v0) * (a - z0) <= (b - v0) * (z1 - z0) {
                hz.pop();
                hv.pop();
            } else {
                break;
            }
        }
        hz.push(a);
        hv.push(b);
    }
    (hz, hv)
}

#[cfg(test)]
mod tests {
    use super::{growth, ln_normal_interval, ln_upper_tail};

    /// `g₁`, `g₂` against their defining series summed to 40 terms (small
    /// `x`, where the series converges fast) and against the direct formula
    /// (larger `x`, where it does not cancel), on both sides of the switch.
    #[test]
    fn growth_against_its_series_and_the_direct_formula() {
        let series = |x: f64, shift: i32| {
            let (mut sum, mut term) = (0.0, 1.0);
            for k in 1..=shift {
                term /= k as f64;
            }
            for n in 0..40 {
                sum += term;
                term *= x / (n + shift + 1) as f64;
            }
            sum
        };
        for x in [0.0, 1e-12, -3e-7, 0.01, -0.049, 0.0499, 0.051, -0.3, 0.7] {
            let (g1, g2) = growth(x);
            assert!((g1 / series(x, 1) - 1.0).abs() < 1e-15, "g1({x}) = {g1}");
            assert!((g2 / series(x, 2) - 1.0).abs() < 2e-14, "g2({x}) = {g2}");
        }
        for x in [-40.0, -2.5, 3.0, 25.0] {
            let (g1, g2) = growth(x);
            let e = f64::exp(x) - 1.0;
            assert!((g1 / (e / x) - 1.0).abs() < 1e-14, "g1({x})");
            assert!((g2 / ((e - x) / (x * x)) - 1.0).abs() < 1e-14, "g2({x})");
        }
    }

    /// `P(u₁ < U < u₂)` from `erfc` directly (accurate where the difference
    /// does not cancel much).
    fn direct(u1: f64, u2: f64) -> f64 {
        let q = |x: f64| 0.5 * libm::erfc(x * std::f64::consts::FRAC_1_SQRT_2);
        q(u1) - q(u2)
    }

    #[test]
    fn normal_interval_against_erfc() {
        // Narrow intervals (the series branch), moderate ones, both tails.
        for &(u1, u2, tol) in &[
            (0.3, 0.3 + 1e-3, 1e-10),
            // At the edge of the series branch (w = 0.049): its w⁴ term is 3e-9.
            (0.951, 1.0, 1e-12),
            (-1.7, -1.7 + 2e-3, 1e-10),
            (2.5, 2.5 + 1e-4, 1e-9),
            (-0.4, 0.9, 1e-14),
            (1.0, 3.0, 1e-14),
            (-6.0, -2.0, 1e-13),
            (9.0, 11.0, 1e-13),
        ] {
            let got = ln_normal_interval(u1, u2).exp();
            let want = direct(u1, u2);
            assert!(
                (got / want - 1.0).abs() < tol,
                "({u1}, {u2}): {got} vs {want}"
            );
        }
    }

    #[test]
    fn upper_tail_branches_agree() {
        // The asymptotic series (x ≥ 30) against erfc where both are valid.
        for x in [30.0, 31.5, 35.0] {
            let want = (0.5 * libm::erfc(x * std::f64::consts::FRAC_1_SQRT_2)).ln();
            let got = ln_upper_tail(x);
            // Absolute on ln Q, i.e. relative on Q: the series truncated
            // after r⁵ errs by about 10395 r⁶ ≈ 2e-14 at x = 30, and libm's
            // erfc there by up to about 2e-13 (measured).
            assert!((got - want).abs() < 1e-12, "x {x}: {got} vs {want}");
        }
    }
}
