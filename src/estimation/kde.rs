//! Gaussian kernel density estimates, tabulated as a [`PiecewiseLinear`].
//!
//! **Bandwidth.** [`Bandwidth::Silverman`] is the rule of thumb
//! `0.9 · min(s, IQR/1.34) · n^{−1/5}` (`s` with divisor `n − 1`, the
//! quartiles by linear interpolation between order statistics), optimal for
//! a normal density and known to over-smooth multimodal ones.
//! [`Bandwidth::ImprovedSheatherJones`] is Botev, Grotowski and Kroese's
//! (2010) diffusion plug-in ("improved Sheather–Jones"): the asymptotically
//! optimal `h* = (2√π n ‖f''‖²)^{−1/5}` with `‖f^{(s)}‖²` estimated by a
//! chain of plug-ins from `s = 7` down, solved as a fixed point
//! `t = ξ γ(t)` for `t = h²`. It makes no normal reference assumption, so
//! it keeps separate modes apart. The functionals are computed from the
//! discrete cosine transform of the data binned on 2048 cells spanning the
//! *data's* range widened by a tenth each side (as in Botev's reference
//! code), cut at a declared support's ends: the bandwidth depends on the
//! data, never on how wide a support was declared.
//!
//! **Ties.** `n` in both rules is the number of samples, repeated values
//! included (Botev's reference code uses the number of distinct values in
//! the fixed point). A repeated value is an observation of mass there, and
//! the plug-in's constants are those of `n` draws; the distinct count only
//! enters [`crate::estimation::Fit::distinct`], so data rounded to a coarse
//! lattice can be spotted there.
//!
//! **Boundary.** At each end of a given support the kernel mass that would
//! spill over is reflected back (the reflection estimator), so the estimate
//! is a density on the support with zero slope at the ends.
//!
//! **Tabulation.** The kernel sum (with the reflected images) is evaluated
//! exactly at the nodes of a uniform grid of spacing `δ ≤ h/4` over the
//! *core*: the data's range widened by ten bandwidths each side, cut at the
//! support's ends. Linear interpolation between nodes errs by about
//! `δ² |f''|/8`, against the estimator's own smoothing bias of about
//! `h² |f''|/2`: a ratio below `1/64`; the table is normalised by its own
//! (trapezoid) mass, which differs from the kernel sum's by the same order.
//! Kernel sums are cut at `12 h` (weight `e^{−72}`). Between samples so far apart that
//! the cut sum is zero, the log-density is interpolated linearly between
//! the nearest nodes where it is not (the chord lies above the convex log
//! of two kernel tails; the mass added is below `e^{−72}` of the peak
//! density times the gap).
//!
//! **Tails.** Where a declared support reaches further than the core, the
//! Gaussian kernel's own tail cannot be carried there: it underflows to
//! zero within 40 bandwidths, and a table must stay positive inside the
//! support. The estimate is then the kernel sum out to a *junction* node
//! and, beyond it, a straight line from the junction's density down to
//! zero at the support's end (the density is positive on the open
//! support). The junction is the first node, going outwards from the
//! extreme sample, whose linear tail holds at most
//! `p = 1e-4 · (s/L)²` of the mass (`s` the samples' standard deviation,
//! `L` the tail's length), clamped to `[1e-12, 1e-9]`. A linear tail
//! satisfies Condition 2 by itself (`(1 − F)/f = (end − z)/2`), but its
//! hazard ratio at the junction, about `L/2`, exceeds the kernel's, so a
//! mechanism irons a pool of mass about `p` there; its effect on the
//! objective grows like `p (L/s)²`, hence the choice of `p` (the lower
//! clamp keeps the pool's mass resolvable in `1 − F` near the top end).
//! The junction is searched within the core, so the rule holds while the
//! support reaches less than about `10¹⁰` bandwidths beyond the data (at
//! ten bandwidths the kernel sum is below `e^{−50}/(h√(2π))`); beyond that
//! the tail holds more, which the reported tail mass shows.
//! Before, the table spanned the support with a floor of `1e-6` of the peak
//! density, which held up to 0.44 % of the mass and multiplied the revenue
//! of a mechanism designed on it by up to 62 000 (issue 20). The mass
//! beyond the junctions is `tail_mass` of [`crate::estimation::Parameters::Kde`]. Without a
//! support, the estimate lives on the data's range widened by five
//! bandwidths, all core.
//!
//! [`PiecewiseLinear`]: crate::distribution::PiecewiseLinear

use super::{checked_sorted, EstimationError};
use crate::distribution::PiecewiseLinear;
use std::f64::consts::PI;

/// How the kernel bandwidth is chosen.
///
/// # Example
/// ```
/// use exchange_design::estimation::{bandwidth, Bandwidth};
/// let x: Vec<f64> = (0..100).map(|i| (i as f64 * 0.61).sin()).collect();
/// let h = bandwidth(&x, None, Bandwidth::Silverman)?;
/// assert!(h > 0.0 && h < 1.0);
/// # Ok::<(), exchange_design::estimation::EstimationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Bandwidth {
    /// Silverman's rule of thumb, `0.9 · min(s, IQR/1.34) · n^{−1/5}`.
    Silverman,
    /// Botev's diffusion plug-in (improved Sheather–Jones). Falls back to
    /// [`Bandwidth::Silverman`] only if its fixed-point equation has no root
    /// in `t ∈ (0, 0.1]` (in units of the binned range squared), which the
    /// reference implementation handles the same way by minimising instead.
    ImprovedSheatherJones,
}

/// Number of cells on which the improved Sheather–Jones functionals are
/// computed.
const ISJ_CELLS: usize = 2048;
/// Grid spacing as a fraction of the bandwidth.
const CELLS_PER_BANDWIDTH: f64 = 4.0;
/// Kernel sums are cut at this many bandwidths.
const KERNEL_REACH: f64 = 12.0;
/// The tabulated core extends at most this many bandwidths beyond the data.
const CORE: f64 = 10.0;
/// Without a support, the estimate extends this many bandwidths beyond the
/// data.
const TAIL: f64 = 5.0;
/// Largest tabulation grid of the core.
const MAX_GRID: usize = 1 << 18;
/// The mass `p` of a linear tail of length `L` is `TAIL_EFFECT · (s/L)²`
/// (`s` the samples' standard deviation), clamped to
/// `[MIN_TAIL_MASS, MAX_TAIL_MASS]`: see the module documentation.
const TAIL_EFFECT: f64 = 1e-4;
/// Smallest tail mass: below it a pool at the tail's junction falls under
/// the resolution of `1 − F` near the support's top end.
const MIN_TAIL_MASS: f64 = 1e-12;
/// Largest tail mass.
const MAX_TAIL_MASS: f64 = 1e-9;

/// The bandwidth the rule `rule` chooses for `samples` (checked as in
/// [`kde`]). The improved Sheather–Jones functionals are computed on the
/// data's range widened by a tenth each side, as in Botev et al.'s
/// reference code, cut at the ends of a given support (reflecting there).
/// [`crate::estimation::estimate_with_fit`] also says whether the plug-in
/// fell back to Silverman's rule.
///
/// # Errors
/// The sample checks of [`EstimationError`].
///
/// # Example
/// ```
/// use exchange_design::estimation::{bandwidth, Bandwidth};
/// // Two separated clusters: the plug-in bandwidth is far below Silverman's.
/// let x: Vec<f64> = (0..400)
///     .map(|i| if i % 2 == 0 { -3.0 } else { 3.0 } + ((i / 2) as f64 / 200.0 - 0.5))
///     .collect();
/// let isj = bandwidth(&x, None, Bandwidth::ImprovedSheatherJones)?;
/// let silverman = bandwidth(&x, None, Bandwidth::Silverman)?;
/// assert!(isj < 0.5 * silverman);
/// # Ok::<(), exchange_design::estimation::EstimationError>(())
/// ```
pub fn bandwidth(
    samples: &[f64],
    support: Option<(f64, f64)>,
    rule: Bandwidth,
) -> Result<f64, EstimationError> {
    let x = checked_sorted(samples, support)?;
    Ok(bandwidth_sorted(&x, support, rule).0)
}

/// The bandwidth and the rule that actually gave it.
pub(crate) fn bandwidth_sorted(
    x: &[f64],
    support: Option<(f64, f64)>,
    rule: Bandwidth,
) -> (f64, Bandwidth) {
    match rule {
        Bandwidth::Silverman => (silverman(x), Bandwidth::Silverman),
        Bandwidth::ImprovedSheatherJones => match isj(x, support) {
            Some(h) => (h, Bandwidth::ImprovedSheatherJones),
            None => (silverman(x), Bandwidth::Silverman),
        },
    }
}

/// Silverman's rule on sorted data.
fn silverman(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let sd = (x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)).sqrt();
    let q = |p: f64| {
        // Linear interpolation between order statistics (type 7).
        let h = (n - 1.0) * p;
        let i = h.floor() as usize;
        let frac = h - i as f64;
        x[i] + frac * (x[(i + 1).min(x.len() - 1)] - x[i])
    };
    let iqr = q(0.75) - q(0.25);
    let spread = if iqr > 0.0 { sd.min(iqr / 1.34) } else { sd };
    0.9 * spread * n.powf(-0.2)
}

/// Botev et al.'s diffusion plug-in bandwidth on sorted data, or `None` if
/// the fixed-point equation has no root in `(0, 0.1]`.
fn isj(x: &[f64], support: Option<(f64, f64)>) -> Option<f64> {
    let n = x.len();
    let (min, max) = (x[0], x[n - 1]);
    let range = max - min;
    // The cosine basis is the diffusion's with reflecting ends: at a given
    // support's end that is the reflection estimator's own boundary
    // condition.
    let (mut lo, mut hi) = (min - range / 10.0, max + range / 10.0);
    if let Some((a, b)) = support {
        (lo, hi) = (lo.max(a), hi.min(b));
    }
    let width = hi - lo;
    let m = ISJ_CELLS;
    // Histogram on m cells, as proportions.
    let mut hist = vec![0.0; m];
    for &v in x {
        let k = (((v - lo) / width) * m as f64).floor() as usize;
        hist[k.min(m - 1)] += 1.0 / n as f64;
    }
    // a_k/2 = Σ_j d_j cos(π k (2j + 1)/(2m)): the DCT-II, from a cosine table.
    let table: Vec<f64> = (0..4 * m)
        .map(|i| (PI * i as f64 / (2 * m) as f64).cos())
        .collect();
    let a2: Vec<f64> = (1..m)
        .map(|k| {
            let c: f64 = hist
                .iter()
                .enumerate()
                .filter(|&(_, &d)| d != 0.0)
                .map(|(j, &d)| d * table[(k * (2 * j + 1)) % (4 * m)])
                .sum();
            c * c
        })
        .collect();
    let sq: Vec<f64> = (1..m).map(|k| (k * k) as f64).collect();
    let nn = n as f64;
    let functional = |s: i32, t: f64| {
        2.0 * PI.powi(2 * s)
            * sq.iter()
                .zip(&a2)
                .map(|(&i, &a)| i.powi(s) * a * (-i * PI * PI * t).exp())
                .sum::<f64>()
    };
    // t − ξ γ(t), the fixed-point residual of Botev et al. (2010), l = 7.
    let residual = |t: f64| {
        let l = 7;
        let mut f = functional(l, t);
        for s in (2..l).rev() {
            let k0: f64 = (1..=s).map(|i| (2 * i - 1) as f64).product::<f64>() / (2.0 * PI).sqrt();
            let c = (1.0 + 0.5f64.powf(s as f64 + 0.5)) / 3.0;
            let time = (2.0 * c * k0 / nn / f).powf(2.0 / (3.0 + 2.0 * s as f64));
            f = functional(s, time);
        }
        t - (2.0 * nn * PI.sqrt() * f).powf(-0.4)
    };
    // Bracket as the reference implementation: [0, tol], tol doubling to 0.1.
    let n_eff = nn.clamp(50.0, 1050.0);
    let mut tol = 1e-12 + 0.01 * (n_eff - 50.0) / 1000.0;
    let mut top = None;
    loop {
        let r = residual(tol);
        if r.is_finite() && r > 0.0 {
            top = Some(tol);
            break;
        }
        if tol >= 0.1 {
            break;
        }
        tol = (2.0 * tol).min(0.1);
    }
    let mut b = top?;
    let mut a = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (a + b);
        let r = residual(mid);
        if r.is_nan() {
            return None;
        }
        if r > 0.0 {
            b = mid;
        } else {
            a = mid;
        }
        if b - a <= 1e-15 * b {
            break;
        }
    }
    let t = 0.5 * (a + b);
    (t > 0.0).then(|| t.sqrt() * width)
}

/// A Gaussian kernel density estimate of `samples`, tabulated as a
/// [`PiecewiseLinear`] (see the module documentation for the grid, its
/// error and the tails). With `support = Some((lo, hi))` the estimate lives
/// on `[lo, hi]` with the kernel reflected at both ends; without, on the
/// data's range extended by five bandwidths each side.
///
/// A KDE of multimodal data breaks Condition 2; the mechanism then irons.
///
/// # Errors
/// The sample checks of [`EstimationError`], and
/// [`EstimationError::Distribution`] if the table cannot be built.
///
/// # Example
/// ```
/// use exchange_design::distribution::EndowmentDistribution;
/// use exchange_design::estimation::{kde, Bandwidth};
/// let x: Vec<f64> = (0..500).map(|i| ((i as f64 + 0.5) / 500.0).sqrt()).collect();
/// let d = kde(&x, Some((0.0, 1.0)), Bandwidth::ImprovedSheatherJones)?;
/// assert_eq!(d.support(), (0.0, 1.0));
/// assert!((d.cdf(1.0) - 1.0).abs() < 1e-12);
/// # Ok::<(), exchange_design::estimation::EstimationError>(())
/// ```
pub fn kde(
    samples: &[f64],
    support: Option<(f64, f64)>,
    rule: Bandwidth,
) -> Result<PiecewiseLinear, EstimationError> {
    let x = checked_sorted(samples, support)?;
    Ok(kde_sorted(&x, support, rule)?.0)
}

/// [`kde`] on checked, sorted samples: the estimate, its bandwidth, the
/// rule that gave it, and the ends of the tabulated core.
pub(crate) fn kde_sorted(
    x: &[f64],
    support: Option<(f64, f64)>,
    rule: Bandwidth,
) -> Result<(PiecewiseLinear, f64, Bandwidth, (f64, f64)), EstimationError> {
    let (h, used) = bandwidth_sorted(x, support, rule);
    let n = x.len();
    let (slo, shi) = support.unwrap_or((x[0] - TAIL * h, x[n - 1] + TAIL * h));
    // The core: where the kernel sums are tabulated.
    let (lo, hi) = ((x[0] - CORE * h).max(slo), (x[n - 1] + CORE * h).min(shi));
    let cells = (((hi - lo) / h * CELLS_PER_BANDWIDTH).ceil() as usize).clamp(64, MAX_GRID);
    let delta = (hi - lo) / cells as f64;
    let m = cells + 1;
    let grid: Vec<f64> = (0..m)
        .map(|k| {
            if k == cells {
                hi
            } else {
                lo + k as f64 * delta
            }
        })
        .collect();
    // The kernel sum at every node, directly: each sample (and, where the
    // core reaches a support end, its mirror image there) adds
    // K((z − x)/h) to the nodes within KERNEL_REACH bandwidths of it.
    let mut density = vec![0.0; m];
    let mut add = |centre: f64| {
        let from = ((centre - KERNEL_REACH * h - lo) / delta).ceil().max(0.0);
        let to = ((centre + KERNEL_REACH * h - lo) / delta)
            .floor()
            .min(cells as f64);
        if from > to {
            return;
        }
        for (k, v) in density
            .iter_mut()
            .enumerate()
            .take(to as usize + 1)
            .skip(from as usize)
        {
            let u = (grid[k] - centre) / h;
            *v += (-0.5 * u * u).exp();
        }
    };
    // Reflect at a support end only where the core reaches it.
    let (reflect_lo, reflect_hi) = (
        support.is_some() && lo == slo,
        support.is_some() && hi == shi,
    );
    for &v in x {
        add(v);
        if reflect_lo {
            add(2.0 * slo - v);
        }
        if reflect_hi {
            add(2.0 * shi - v);
        }
    }
    bridge_gaps(&mut density);
    // Where the core stops short of a support end, cut it at the first node
    // (from the data outwards) whose linear tail would hold at most
    // TAIL_MASS, and join that node to a zero density at the end.
    let ix0 = ((x[0] - lo) / delta).floor().clamp(0.0, cells as f64) as usize;
    let ixn = ((x[n - 1] - lo) / delta).ceil().clamp(0.0, cells as f64) as usize;
    let mean = x.iter().sum::<f64>() / n as f64;
    let sd = (x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64).sqrt();
    let tail_mass =
        |length: f64| (TAIL_EFFECT * (sd / length).powi(2)).clamp(MIN_TAIL_MASS, MAX_TAIL_MASS);
    // The kernel sums as a density (to the table's O(δ²) normalisation).
    let unit = 1.0 / (n as f64 * h * (2.0 * std::f64::consts::PI).sqrt());
    let first = if lo > slo {
        let p = tail_mass(lo - slo);
        (0..=ix0)
            .rev()
            .find(|&k| 0.5 * unit * density[k] * (grid[k] - slo) <= p)
            .unwrap_or(0)
    } else {
        0
    };
    let last = if hi < shi {
        let p = tail_mass(shi - hi);
        (ixn..m)
            .find(|&k| 0.5 * unit * density[k] * (shi - grid[k]) <= p)
            .unwrap_or(m - 1)
    } else {
        m - 1
    };
    let mut z = Vec::with_capacity(last - first + 3);
    let mut f = Vec::with_capacity(last - first + 3);
    if lo > slo {
        z.push(slo);
        f.push(0.0);
    }
    z.extend_from_slice(&grid[first..=last]);
    f.extend_from_slice(&density[first..=last]);
    if hi < shi {
        z.push(shi);
        f.push(0.0);
    }
    let d = PiecewiseLinear::new(z, f).map_err(EstimationError::Distribution)?;
    Ok((d, h, used, (grid[first], grid[last])))
}

/// Fills runs of zeros between positive values (samples more than
/// `2 · KERNEL_REACH` bandwidths apart) by interpolating the log-density
/// linearly between the run's positive neighbours.
fn bridge_gaps(f: &mut [f64]) {
    let mut i = 0;
    while i < f.len() {
        if f[i] > 0.0 {
            i += 1;
            continue;
        }
        let start = i;
        while i < f.len() && f[i] <= 0.0 {
            i += 1;
        }
        // Runs at the ends cannot occur (the core ends within reach of a
        // sample); a run between two positive nodes is bridged.
        if start > 0 && i < f.len() {
            let (a, b) = (f[start - 1].ln(), f[i].ln());
            let len = (i - start + 1) as f64;
            for (k, v) in f[start..i].iter_mut().enumerate() {
                let t = (k + 1) as f64 / len;
                *v = (a + t * (b - a)).exp();
            }
        }
    }
}
