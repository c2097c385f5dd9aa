//! A finite mixture of endowment distributions.

use super::DensityBounds;
use super::{ratio, support, DistributionError, EndowmentDistribution, HazardRatio};
use std::sync::Arc;

/// Where the mixture's density is below this, its hazard ratios add the
/// components in logarithms ([`Mixture::scaled_ratio`]): the plain sums
/// would add numbers near or below the smallest normal double, which carry
/// few digits. Far enough above `f64::MIN_POSITIVE` (2.2e-308) that every
/// term of a sum at least this large keeps its full precision.
const SCALED_BELOW: f64 = 1e-290;

/// The mixture `Σ wᵢ Fᵢ` of endowment distributions with positive weights
/// (normalised on construction).
///
/// Components may be of any type implementing [`EndowmentDistribution`]
/// (user types and other mixtures included) and may have different
/// supports: the mixture's support is their hull, which must have no gap
/// where the density vanishes. Every method is a closed form in the
/// components' own methods; the density jumps where a component's support
/// ends inside the hull, and those points are reported as
/// [`kinks`](EndowmentDistribution::kinks).
///
/// A mixture's density is in general neither log-concave nor regular, so a
/// market with mixtures may need ironing. Where the components share one
/// support and each is strongly log-concave (`(ln fᵢ)'' ≤ −cᵢ`, see
/// [`EndowmentDistribution::log_concavity`]), the mixture is log-concave
/// if the components' log-densities' slopes differ by at most
/// `2 √(min cᵢ)` at every point (`(ln f)''` is the weighted mean of the
/// `(ln fᵢ)''` plus the weighted variance of the slopes): two normals of
/// one scale `σ` whose means are at most `2σ` apart, say. Construction
/// checks this from the components' bounds on their slopes, and a
/// mixture it shows log-concave is not checked for ironing.
///
/// ```
/// use exchange_design::distribution::{EndowmentDistribution, Mixture, TruncatedNormal};
/// let close = Mixture::from_components(vec![
///     (1.0, TruncatedNormal::new(-0.2, 0.5, -1.0, 1.0)?),
///     (1.0, TruncatedNormal::new(0.2, 0.5, -1.0, 1.0)?),
/// ])?;
/// assert!(close.log_concave());
/// let apart = Mixture::from_components(vec![
///     (1.0, TruncatedNormal::new(-0.6, 0.15, -1.0, 1.0)?),
///     (1.0, TruncatedNormal::new(0.6, 0.15, -1.0, 1.0)?),
/// ])?;
/// assert!(!apart.log_concave());
/// # Ok::<(), exchange_design::distribution::DistributionError>(())
/// ```
///
/// # Example
/// ```
/// use exchange_design::distribution::{EndowmentDistribution, Mixture, TruncatedNormal};
/// // Two modes at ±0.6 on [−1, 1].
/// let m = Mixture::from_components(vec![
///     (0.5, TruncatedNormal::new(-0.6, 0.15, -1.0, 1.0)?),
///     (0.5, TruncatedNormal::new(0.6, 0.15, -1.0, 1.0)?),
/// ])?;
/// assert_eq!(m.support(), (-1.0, 1.0));
/// assert!(m.mean().abs() < 1e-15);
/// assert!((m.cdf(0.0) - 0.5).abs() < 1e-15);
/// # Ok::<(), exchange_design::distribution::DistributionError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Mixture {
    weights: Vec<f64>,
    /// `ln wᵢ`, for the sums taken in logarithms.
    ln_weights: Vec<f64>,
    components: Vec<Arc<dyn EndowmentDistribution>>,
    /// Each component's median (see [`median`]): below it its CDF is
    /// computed and its survival function is the complement, above it the
    /// other way round. NaN where no median was found; then both are
    /// computed.
    medians: Vec<f64>,
    supports: Vec<(f64, f64)>,
    lo: f64,
    hi: f64,
    kinks: Vec<f64>,
    /// The modulus of strong log-concavity shown at construction
    /// ([`concavity`]), if any.
    concavity: Option<f64>,
}

impl Mixture {
    /// Builds the mixture of shared components, each with its weight.
    ///
    /// # Errors
    /// - [`DistributionError::NoComponents`] for an empty list;
    /// - [`DistributionError::InvalidWeight`] for a weight that is not a
    ///   positive finite number (naming the component);
    /// - the support errors of [`DistributionError`] for a component whose
    ///   support is not a finite interval, or whose hull cannot be computed with.
    ///
    /// Components' supports may be disjoint: the mixture's support is their
    /// hull, and the stretches between them hold no probability (a market
    /// of two separate populations). The mechanism pools such a gap with
    /// its neighbours (`docs/theory.md`, "Ironing").
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{EndowmentDistribution, Mixture, Triangular, Uniform};
    /// use std::sync::Arc;
    /// let m = Mixture::new(vec![
    ///     (3.0, Arc::new(Uniform::new(-1.0, 0.0)?) as Arc<dyn EndowmentDistribution>),
    ///     (1.0, Arc::new(Triangular::new(-0.5, 0.0, 1.0)?)),
    /// ])?;
    /// assert_eq!(m.weights(), &[0.75, 0.25]);
    /// assert_eq!(m.support(), (-1.0, 1.0));
    /// // The density jumps where the components' supports end.
    /// assert_eq!(m.kinks(), &[-0.5, 0.0]);
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    pub fn new(
        components: Vec<(f64, Arc<dyn EndowmentDistribution>)>,
    ) -> Result<Self, DistributionError> {
        if components.is_empty() {
            return Err(DistributionError::NoComponents);
        }
        let mut largest = 0.0_f64;
        for (index, (w, _)) in components.iter().enumerate() {
            if !(w.is_finite() && *w > 0.0) {
                return Err(DistributionError::InvalidWeight { index, value: *w });
            }
            largest = largest.max(*w);
        }
        // Scale by the largest weight first so the sum cannot overflow.
        let total: f64 = components.iter().map(|(w, _)| w / largest).sum();
        let weights: Vec<f64> = components
            .iter()
            .map(|(w, _)| w / largest / total)
            .collect();
        let components: Vec<_> = components.into_iter().map(|(_, d)| d).collect();
        let mut supports = Vec::with_capacity(components.len());
        for d in &components {
            let (a, b) = d.support();
            supports.push(support(a, b)?);
        }
        let lo = supports.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
        let hi = supports
            .iter()
            .map(|s| s.1)
            .fold(f64::NEG_INFINITY, f64::max);
        support(lo, hi)?;
        // Supports may leave gaps between them: a stretch no trader holds,
        // which the mechanism handles (see `mechanism::ironing`).
        let mut kinks: Vec<f64> = Vec::new();
        for (d, &(a, b)) in components.iter().zip(&supports) {
            kinks.extend([a, b]);
            kinks.extend(d.kinks().iter().copied().filter(|k| k.is_finite()));
        }
        kinks.retain(|&k| k > lo && k < hi);
        kinks.sort_by(f64::total_cmp);
        kinks.dedup();
        let concavity = concavity(&components, &supports);
        let ln_weights = weights.iter().map(|w| w.ln()).collect();
        let medians = components
            .iter()
            .zip(&supports)
            .map(|(d, &s)| median(d.as_ref(), s))
            .collect();
        Ok(Mixture {
            weights,
            ln_weights,
            components,
            medians,
            supports,
            lo,
            hi,
            kinks,
            concavity,
        })
    }

    /// Builds the mixture of owned components of one type (wrapping each in
    /// an [`Arc`]); see [`Mixture::new`].
    ///
    /// # Errors
    /// As [`Mixture::new`].
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{EndowmentDistribution, Mixture, Uniform};
    /// let m = Mixture::from_components(vec![
    ///     (1.0, Uniform::new(0.0, 2.0)?),
    ///     (1.0, Uniform::new(1.0, 2.0)?),
    /// ])?;
    /// // Density 1/4 on [0, 1) and 3/4 on (1, 2].
    /// assert!((m.cdf(1.0) - 0.25).abs() < 1e-15);
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    pub fn from_components<D: EndowmentDistribution + 'static>(
        components: Vec<(f64, D)>,
    ) -> Result<Self, DistributionError> {
        Mixture::new(
            components
                .into_iter()
                .map(|(w, d)| (w, Arc::new(d) as Arc<dyn EndowmentDistribution>))
                .collect(),
        )
    }

    /// The normalised weights, in the order given (they sum to 1).
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{Mixture, Uniform};
    /// let u = Uniform::new(0.0, 1.0)?;
    /// let m = Mixture::from_components(vec![(2.0, u.clone()), (6.0, u)])?;
    /// assert_eq!(m.weights(), &[0.25, 0.75]);
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The components, in the order given.
    ///
    /// # Example
    /// ```
    /// use exchange_design::distribution::{EndowmentDistribution, Mixture, Uniform};
    /// let m = Mixture::from_components(vec![(1.0, Uniform::new(0.0, 1.0)?)])?;
    /// assert_eq!(m.components()[0].support(), (0.0, 1.0));
    /// # Ok::<(), exchange_design::distribution::DistributionError>(())
    /// ```
    pub fn components(&self) -> &[Arc<dyn EndowmentDistribution>] {
        &self.components
    }

    /// `(weight, component, (lo, hi))` for each component.
    fn parts(&self) -> impl Iterator<Item = (f64, &dyn EndowmentDistribution, f64, f64)> {
        self.weights
            .iter()
            .zip(&self.components)
            .zip(&self.supports)
            .map(|((&w, d), &(a, b))| (w, d.as_ref(), a, b))
    }

    /// The one component with mass below (`lower`) or above `z`, or density
    /// at `z`, if only one has and `z` lies in its support: then `F/f` (or
    /// `(1 − F)/f`) is its own ratio. Outside its support (in a gap between
    /// components) the mixture's density is 0 and its ratio the limit,
    /// `+∞`, which a component's own ratio need not give there (a truncated
    /// normal's is taken at its nearest end): `H` of a gap was then finite
    /// and rose above the pool below it, which ended at the gap's start
    /// instead of pooling the gap, and `E[V]` from the closed forms counted
    /// the gap's `−β ∫ (1 − F)` that no pool's level held (1.9e-3 of a
    /// class's mean, `ironing_search ordinary 1000 999`, market 247).
    fn sole(&self, z: f64, lower: bool) -> Option<&dyn EndowmentDistribution> {
        if !(self.lo..=self.hi).contains(&z) {
            return None;
        }
        let mut found = None;
        for (_, d, a, b) in self.parts() {
            let active = if lower { z >= a } else { z <= b };
            if active {
                if found.is_some() {
                    return None;
                }
                found = Some((d, a, b));
            }
        }
        found
            .filter(|&(_, a, b)| (a..=b).contains(&z))
            .map(|(d, _, _)| d)
    }

    /// `F/f` (`lower`) or `(1 − F)/f` at `z`, each sum over the components
    /// taken in logarithms: the density's terms are `ln wᵢ + ln fᵢ`, the
    /// tail's `ln wᵢ + ln fᵢ + ln rᵢ` with the component's own ratio `rᵢ`
    /// (or `ln wᵢ + ln Fᵢ` where its density is zero), each sum a
    /// log-sum-exp. Exact to a few units in `|ln f|` relative, however far
    /// the tails; the limits where the density is zero are `ratio`'s.
    fn scaled_ratio(&self, z: f64, lower: bool) -> f64 {
        let (mut num, mut den) = (LogSum::EMPTY, LogSum::EMPTY);
        for (w, d, a, b) in self.parts() {
            let lw = w.ln();
            let counts = a <= z && (z < b || (z == b && b == self.hi));
            let lf = if counts {
                lw + d.ln_pdf(z)
            } else {
                f64::NEG_INFINITY
            };
            den.add(lf);
            let (whole, none) = if lower {
                (z >= b, z <= a)
            } else {
                (z <= a, z >= b)
            };
            if whole {
                num.add(lw);
            } else if !none {
                let r = if lower {
                    d.cdf_pdf_ratio(z)
                } else {
                    d.sf_pdf_ratio(z)
                };
                if lf > f64::NEG_INFINITY && r.is_finite() {
                    num.add(lf + r.ln());
                } else {
                    num.add(lw + if lower { d.cdf(z) } else { d.sf(z) }.ln());
                }
            }
        }
        if den.max == f64::NEG_INFINITY {
            ratio(num.exp(), 0.0)
        } else {
            (num.ln() - den.ln()).exp()
        }
    }
}

/// A running `ln Σ exp(xᵢ)`: the largest term and the sum of the others'
/// `exp(xᵢ − max)`, so no term overflows or underflows on its own.
#[derive(Clone, Copy)]
struct LogSum {
    max: f64,
    sum: f64,
}

impl LogSum {
    const EMPTY: LogSum = LogSum {
        max: f64::NEG_INFINITY,
        sum: 0.0,
    };

    fn add(&mut self, x: f64) {
        if x == f64::NEG_INFINITY || x.is_nan() {
            return;
        }
        if x > self.max {
            self.sum = self.sum * (self.max - x).exp() + 1.0;
            self.max = x;
        } else {
            self.sum += (x - self.max).exp();
        }
    }

    fn ln(&self) -> f64 {
        self.max + self.sum.ln()
    }

    fn exp(&self) -> f64 {
        if self.max == f64::NEG_INFINITY {
            0.0
        } else {
            self.ln().exp()
        }
    }
}

/// A median of `d` on its support `(a, b)`, for splitting its two tails:
/// below it `1 − F` is formed as the complement of `F` and above it the
/// other way round, each complement at least a quarter, so it keeps its
/// relative accuracy to a few units in the last place (one tail
/// function per component where the welfare moments need both). A point
/// whose CDF is not within `[1/4, 3/4]` (a user quantile that is off, say)
/// is not used: NaN, and both tails are computed.
fn median(d: &dyn EndowmentDistribution, (a, b): (f64, f64)) -> f64 {
    let m = d.quantile(0.5);
    if a <= m && m <= b && (0.25..=0.75).contains(&d.cdf(m)) {
        m
    } else {
        f64::NAN
    }
}

/// Cells the support is first cut into by [`concavity`]: for normals of
/// one scale `σ` the bounds widen the slopes' spread by the cell's width
/// over `σ²`, so a mixture whose means are `Δ ≤ 2σ` apart is shown
/// log-concave once its cells are narrower than `2σ − Δ`; eight cells
/// show the common cases (`Δ` up to about `2σ` less an eighth of the
/// support) without cutting.
const CONCAVITY_CELLS: usize = 8;

/// How many times finer than a first cell [`concavity`] may cut where the
/// slopes' bounds are too loose: ten halvings, so that a mixture within a
/// thousandth of the support of the `2σ` threshold is still shown, at a
/// cost bounded by 8 192 cells' bounds once, at construction.
const CONCAVITY_REFINE: f64 = 1024.0;

/// A modulus of strong log-concavity of the mixture of `components` (all
/// with the support `supports[0]`), if it can be shown.
///
/// With `ℓᵢ = f'ᵢ/fᵢ` and the weights `πᵢ = wᵢ fᵢ / f`,
/// `(ln f)'' = Σ πᵢ (ln fᵢ)'' + Var_π(ℓᵢ) ≤ −min cᵢ + s²/4`, where `cᵢ` are
/// the components' moduli and `s` bounds the spread `maxᵢ ℓᵢ − minᵢ ℓᵢ` at
/// the same point (a variance is at most a quarter of its range squared).
/// `s` comes from the components' bounds on `ℓᵢ` over cells of the
/// support, cut finer where the bound is too loose, until it is shown
/// that `s²/4 ≤ min cᵢ` everywhere, or that it is not (at a cell's start,
/// where the bounds over no width already fail) or cannot be shown within
/// [`CONCAVITY_REFINE`] times the first cells. Components with different
/// supports make the density jump inside the hull: not shown.
fn concavity(
    components: &[Arc<dyn EndowmentDistribution>],
    supports: &[(f64, f64)],
) -> Option<f64> {
    let (lo, hi) = supports[0];
    if supports.iter().any(|&s| s != (lo, hi)) {
        return None;
    }
    let c = components
        .iter()
        .map(|d| d.log_concavity())
        .try_fold(f64::INFINITY, |m, c| {
            c.filter(|c| *c >= 0.0).map(|c| m.min(c))
        })?;
    // The spread's bound over [a, b], or None where a component gives none.
    let spread = |a: f64, b: f64| -> Option<f64> {
        let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
        for d in components {
            let (l, h) = d.pdf_log_derivative_bounds(a, b)?;
            low = low.min(l);
            high = high.max(h);
        }
        Some(high - low)
    };
    let allowed = 4.0 * c;
    let finest = (hi - lo) / (CONCAVITY_CELLS as f64 * CONCAVITY_REFINE);
    let mut worst = 0.0_f64;
    let mut cells: Vec<(f64, f64)> = (0..CONCAVITY_CELLS)
        .map(|k| {
            let at = |k: usize| lo + (hi - lo) * k as f64 / CONCAVITY_CELLS as f64;
            (
                at(k),
                if k + 1 == CONCAVITY_CELLS {
                    hi
                } else {
                    at(k + 1)
                },
            )
        })
        .collect();
    while let Some((a, b)) = cells.pop() {
        let s = spread(a, b)?;
        if s.is_finite() && s * s <= allowed {
            worst = worst.max(s);
            continue;
        }
        let at_start = spread(a, a)?;
        if !(at_start.is_finite() && at_start * at_start <= allowed) || b - a <= finest {
            return None;
        }
        let mid = 0.5 * (a + b);
        cells.extend([(a, mid), (mid, b)]);
    }
    Some((c - 0.25 * worst * worst).max(0.0))
}

impl EndowmentDistribution for Mixture {
    /// The weighted sum of the components' bounds, if every component that
    /// meets `[a, b]` gives them. A component whose support ends strictly
    /// inside `[a, b]` makes the density jump there: it adds 0 to the lower
    /// bound of the density and leaves the slope unbounded.
    fn density_bounds(&self, a: f64, b: f64) -> Option<DensityBounds> {
        let mut total = DensityBounds::new(0.0, 0.0, 0.0, 0.0);
        for (w, d, lo, hi) in self.parts() {
            if hi <= a || lo >= b {
                continue;
            }
            let part = d.density_bounds(a.max(lo), b.min(hi))?;
            if lo <= a && b <= hi {
                total = total.add_scaled(w, part);
            } else {
                total = total.add_scaled(
                    w,
                    DensityBounds::new(0.0, part.max, f64::NEG_INFINITY, f64::INFINITY),
                );
            }
        }
        Some(total)
    }

    /// `f'/f = Σ πᵢ ℓᵢ`, the components' `ℓᵢ = f'ᵢ/fᵢ` averaged with the
    /// weights `πᵢ = wᵢ fᵢ / f` (summing to one), bounded through bounds on
    /// those weights, so that in a tail where one component dominates the
    /// bounds are nearly that component's own. Each weight is at most
    /// `π̄ᵢ = wᵢ f̄ᵢ / (wᵢ f̄ᵢ + Σ_{j≠i} wⱼ f̲ⱼ)` (`f̄`, `f̲` the components'
    /// density bounds on the cell); for any number `A`,
    /// `Σ πᵢ ℓᵢ = A + Σ πᵢ (ℓᵢ − A) ≤ A + Σ π̄ᵢ (ℓ̄ᵢ − A)₊`, least at one of
    /// the `ℓ̄ⱼ`, and the lower bound mirrors it. A component with no
    /// density on the cell has no weight there; one whose support ends
    /// inside the cell makes the density jump, and `f'/f` is unbounded.
    fn pdf_log_derivative_bounds(&self, a: f64, b: f64) -> Option<(f64, f64)> {
        let unbounded = (f64::NEG_INFINITY, f64::INFINITY);
        // (wᵢ, its density bounds, its bounds on ℓᵢ) of each component
        // that meets the cell.
        let mut parts = Vec::with_capacity(self.weights.len());
        for (w, d, lo, hi) in self.parts() {
            if hi <= a || lo >= b {
                continue;
            }
            if lo > a || b > hi {
                return Some(unbounded);
            }
            let part = d.density_bounds(a, b)?;
            let slopes = d.pdf_log_derivative_bounds(a, b)?;
            parts.push((w, part, slopes));
        }
        // What the summed density bounds imply, kept where it is sharper.
        let implied = parts
            .iter()
            .fold(DensityBounds::new(0.0, 0.0, 0.0, 0.0), |t, (w, p, _)| {
                t.add_scaled(*w, *p)
            })
            .log_slopes();
        let floor: f64 = parts.iter().map(|(w, p, _)| w * p.min).sum();
        let share = |w: f64, p: &DensityBounds| {
            let top = w * p.max;
            if top > 0.0 {
                let s = top / (top + (floor - w * p.min).max(0.0));
                if s.is_nan() {
                    1.0
                } else {
                    s.min(1.0)
                }
            } else {
                0.0
            }
        };
        // `A + Σ π̄ᵢ (ℓᵢ − A)₊` over the components, with `ℓᵢ` picked by
        // `pick` and signed by `sign` (1 for the upper bounds, −1 for the
        // negated lower ones), least over the anchors `A = ℓⱼ`.
        let least = |sign: f64, pick: fn(&(f64, f64)) -> f64| {
            parts
                .iter()
                .map(|(_, _, anchor)| {
                    let anchor = pick(anchor);
                    let spread: f64 = parts
                        .iter()
                        .map(|(w, p, l)| share(*w, p) * (sign * (pick(l) - anchor)).max(0.0))
                        .sum();
                    let bound = sign * anchor + spread;
                    if anchor.is_finite() && !bound.is_nan() {
                        bound
                    } else {
                        f64::INFINITY
                    }
                })
                .fold(f64::INFINITY, f64::min)
        };
        Some((
            implied.0.max(-least(-1.0, |l| l.0)),
            implied.1.min(least(1.0, |l| l.1)),
        ))
    }

    /// Log-concave where construction showed it (see the type's
    /// documentation).
    fn log_concave(&self) -> bool {
        self.concavity.is_some()
    }

    fn log_concavity(&self) -> Option<f64> {
        self.concavity
    }

    fn support(&self) -> (f64, f64) {
        (self.lo, self.hi)
    }

    fn cdf(&self, z: f64) -> f64 {
        if z.is_nan() {
            return f64::NAN;
        }
        self.parts()
            .map(|(w, d, a, b)| {
                if z <= a {
                    0.0
                } else if z >= b {
                    w
                } else {
                    w * d.cdf(z)
                }
            })
            .sum::<f64>()
            .min(1.0)
    }

    fn sf(&self, z: f64) -> f64 {
        if z.is_nan() {
            return f64::NAN;
        }
        self.parts()
            .map(|(w, d, a, b)| {
                if z >= b {
                    0.0
                } else if z <= a {
                    w
                } else {
                    w * d.sf(z)
                }
            })
            .sum::<f64>()
            .min(1.0)
    }

    /// Right-continuous where a component's support ends inside the hull
    /// (the density jumps there; a component counts on `[a, b)`, and on
    /// `[a, b]` when `b` is the mixture's upper end).
    fn pdf(&self, z: f64) -> f64 {
        if z.is_nan() {
            return f64::NAN;
        }
        self.parts()
            .filter(|&(_, _, a, b)| a <= z && (z < b || (z == b && b == self.hi)))
            .map(|(w, d, _, _)| w * d.pdf(z))
            .sum()
    }

    fn kinks(&self) -> &[f64] {
        &self.kinks
    }

    /// Built from validated parts: true when every component is.
    fn validated_by_construction(&self) -> bool {
        self.components
            .iter()
            .all(|d| d.validated_by_construction())
    }

    fn pdf_derivative(&self, z: f64) -> f64 {
        self.parts()
            .filter(|&(_, _, a, b)| a <= z && (z < b || (z == b && b == self.hi)))
            .map(|(w, d, _, _)| w * d.pdf_derivative(z))
            .sum()
    }

    /// `f'/f = Σ wᵢ fᵢ ℓᵢ / Σ wᵢ fᵢ` with each component's own `ℓᵢ = fᵢ'/fᵢ`:
    /// an average of the components' log-derivatives weighted by their
    /// densities, taken in logarithms (so it stays finite where every
    /// component's density underflows). One density per component, where
    /// `pdf_derivative / pdf` takes two (and a truncated normal's `ℓᵢ` is
    /// a closed form). Where a component's `ℓᵢ` is not finite (a density
    /// that vanishes or diverges at an end of its support), the quotient of
    /// the sums.
    fn pdf_log_derivative(&self, z: f64) -> f64 {
        // Σ pᵢ ℓᵢ / Σ pᵢ with pᵢ = wᵢ fᵢ / max, the sums rescaled whenever a
        // larger term arrives (as in `LogSum`): one pass, nothing stored,
        // one exponential per component after the first.
        let (mut top, mut num, mut den) = (f64::NEG_INFINITY, 0.0, 0.0);
        for ((lw, d), &(a, b)) in self
            .ln_weights
            .iter()
            .zip(&self.components)
            .zip(&self.supports)
        {
            if !(a <= z && (z < b || (z == b && b == self.hi))) {
                continue;
            }
            let lf = lw + d.ln_pdf(z);
            if lf == f64::NEG_INFINITY {
                continue;
            }
            let l = d.pdf_log_derivative(z);
            if !lf.is_finite() || !l.is_finite() {
                return self.pdf_derivative(z) / self.pdf(z);
            }
            if lf > top {
                if den > 0.0 {
                    let shrink = (top - lf).exp();
                    num *= shrink;
                    den *= shrink;
                }
                top = lf;
                num += l;
                den += 1.0;
            } else {
                let p = (lf - top).exp();
                num += p * l;
                den += p;
            }
        }
        num / den
    }

    fn partial_moment(&self, a: f64) -> f64 {
        let a = a.clamp(self.lo, self.hi);
        self.parts()
            .map(|(w, d, lo, hi)| {
                if a <= lo {
                    0.0
                } else if a >= hi {
                    w * d.mean()
                } else {
                    w * d.partial_moment(a)
                }
            })
            .sum()
    }

    fn mean(&self) -> f64 {
        self.parts().map(|(w, d, _, _)| w * d.mean()).sum()
    }

    fn second_moment(&self) -> f64 {
        self.parts().map(|(w, d, _, _)| w * d.second_moment()).sum()
    }

    fn variance(&self) -> f64 {
        // Law of total variance: no cancellation between E[Z²] and E[Z]².
        let m = self.mean();
        self.parts()
            .map(|(w, d, _, _)| w * (d.variance() + (d.mean() - m).powi(2)))
            .sum()
    }

    fn cdf_integral(&self, x: f64) -> f64 {
        // Each Fᵢ is 0 below its support and 1 above it.
        self.parts()
            .map(|(w, d, a, b)| {
                if x <= a {
                    0.0
                } else if x >= b {
                    w * ((b - d.mean()) + (x - b))
                } else {
                    w * d.cdf_integral(x)
                }
            })
            .sum()
    }

    fn sf_integral(&self, x: f64) -> f64 {
        // Each 1 − Fᵢ is 1 below its support and 0 above it.
        self.parts()
            .map(|(w, d, a, b)| {
                if x >= b {
                    0.0
                } else if x <= a {
                    w * ((d.mean() - a) + (a - x))
                } else {
                    w * d.sf_integral(x)
                }
            })
            .sum()
    }

    /// From [`density_and_ratio`](EndowmentDistribution::density_and_ratio),
    /// one pass.
    fn pdf_and_ratio(&self, z: f64, which: HazardRatio) -> (f64, f64) {
        let (f, r, _) = self.density_and_ratio(z, which);
        (f, r)
    }

    /// One pass over the components for the density, both tails and the
    /// ratio (the default would evaluate each component's density twice and
    /// its CDF and survival function separately); where one component alone
    /// has mass on the ratio's side, its own ratio keeps its accuracy.
    fn density_and_ratio(&self, z: f64, which: HazardRatio) -> (f64, f64, f64) {
        let lower = which == HazardRatio::CdfOverPdf;
        if z.is_nan() {
            return (f64::NAN, f64::NAN, f64::NAN);
        }
        let (mut f, mut cdf, mut sf) = (0.0, 0.0, 0.0);
        for ((w, d, a, b), &m) in self.parts().zip(&self.medians) {
            if z <= a {
                sf += w;
            } else if z >= b {
                cdf += w;
            } else if !lower {
                let (fi, t) = d.pdf_and_tail(z, HazardRatio::SfOverPdf);
                f += w * fi;
                sf += w * t;
            } else if z <= m {
                // `F` enters only the lower ratio; there one tail function
                // and its complement give both, on the side of the median
                // where the complement is at least a quarter.
                let (fi, c) = d.pdf_and_tail(z, HazardRatio::CdfOverPdf);
                f += w * fi;
                cdf += w * c;
                sf += w * (1.0 - c);
            } else if z > m {
                let (fi, t) = d.pdf_and_tail(z, HazardRatio::SfOverPdf);
                f += w * fi;
                cdf += w * (1.0 - t);
                sf += w * t;
            } else {
                let (fi, c) = d.pdf_and_tail(z, HazardRatio::CdfOverPdf);
                f += w * fi;
                cdf += w * c;
                sf += w * d.sf(z);
            }
            // The density counts on [a, b) (and at b = hi), as in `pdf`.
            if z == a || (z == b && b == self.hi) {
                f += w * d.pdf(z);
            }
        }
        let r = match self.sole(z, lower) {
            Some(d) => {
                if lower {
                    d.cdf_pdf_ratio(z)
                } else {
                    d.sf_pdf_ratio(z)
                }
            }
            None if f < SCALED_BELOW => self.scaled_ratio(z, lower),
            None => ratio(if lower { cdf.min(1.0) } else { sf.min(1.0) }, f),
        };
        (f, r, sf.min(1.0))
    }

    /// One pass over the components: each one's density enters both the
    /// ratio's denominator and the slope's weight, and its log-derivative
    /// the slope. Where one component alone decides the ratio, where the
    /// sums are not plainly representable (a density below `SCALED_BELOW`)
    /// or where a component's density or log-derivative is not finite (a
    /// density that vanishes or diverges at an end of its support, or a
    /// user type's NaN, which must show), the two separate methods, which
    /// handle those cases.
    fn ratio_and_log_slope(&self, z: f64, which: HazardRatio) -> (f64, f64) {
        let lower = which == HazardRatio::CdfOverPdf;
        let separate = |m: &Self| {
            let r = if lower {
                m.cdf_pdf_ratio(z)
            } else {
                m.sf_pdf_ratio(z)
            };
            (r, m.pdf_log_derivative(z))
        };
        if z.is_nan() || self.sole(z, lower).is_some() {
            return separate(self);
        }
        let (mut f, mut tail, mut slope) = (0.0, 0.0, 0.0);
        for (w, d, a, b) in self.parts() {
            // As in `cdf` or `sf`: a component wholly on the tail's side
            // adds its weight, one across `z` its own tail. As in `pdf`: a
            // component's density counts on `[a, b)`, and at `b` when `b`
            // is the mixture's upper end.
            let (whole, none) = if lower {
                (z >= b, z <= a)
            } else {
                (z <= a, z >= b)
            };
            let counts = a <= z && (z < b || (z == b && b == self.hi));
            let fi = if whole {
                tail += w;
                if counts {
                    d.pdf(z)
                } else {
                    0.0
                }
            } else if !none {
                let (fi, t) = d.pdf_and_tail(z, which);
                tail += w * t;
                fi
            } else if counts {
                d.pdf(z)
            } else {
                0.0
            };
            if counts {
                let fi = w * fi;
                if !fi.is_finite() {
                    return separate(self);
                }
                if fi > 0.0 {
                    let l = d.pdf_log_derivative(z);
                    if !l.is_finite() {
                        return separate(self);
                    }
                    f += fi;
                    slope += fi * l;
                }
            }
        }
        if f < SCALED_BELOW {
            return separate(self);
        }
        (ratio(tail.min(1.0), f), slope / f)
    }

    fn cdf_pdf_ratio(&self, z: f64) -> f64 {
        if let Some(d) = self.sole(z, true) {
            return d.cdf_pdf_ratio(z);
        }
        let f = self.pdf(z);
        if f < SCALED_BELOW {
            self.scaled_ratio(z, true)
        } else {
            ratio(self.cdf(z), f)
        }
    }

    fn sf_pdf_ratio(&self, z: f64) -> f64 {
        if let Some(d) = self.sole(z, false) {
            return d.sf_pdf_ratio(z);
        }
        let f = self.pdf(z);
        if f < SCALED_BELOW {
            self.scaled_ratio(z, false)
        } else {
            ratio(self.sf(z), f)
        }
    }

    /// `ln Σ wᵢ fᵢ`, summed in logarithms so that it stays finite where
    /// every component's density underflows.
    fn ln_pdf(&self, z: f64) -> f64 {
        if z.is_nan() {
            return f64::NAN;
        }
        let mut s = LogSum::EMPTY;
        for ((lw, d), &(a, b)) in self
            .ln_weights
            .iter()
            .zip(&self.components)
            .zip(&self.supports)
        {
            if a <= z && (z < b || (z == b && b == self.hi)) {
                s.add(lw + d.ln_pdf(z));
            }
        }
        s.ln()
    }
}
