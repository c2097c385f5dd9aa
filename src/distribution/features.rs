//! Points that resolve a density's features, for checks that evaluate a
//! mechanism on a grid of types (Lemma 1's feasibility check), and for
//! splitting the integrals of the raw virtual types.

use super::EndowmentDistribution;

/// The most points a cell may be split into while resolving features: a
/// cluster of traders a millionth of the support wide needs about twenty
/// halvings to be resolved, and each of its two flanks a few dozen cells.
const MAX_EXTRA_POINTS: usize = 4096;

/// How much the density may vary across a cell, as the ratio of its upper to
/// its lower bound there, before the cell is split.
const MAX_VARIATION: f64 = 1.5;

/// `n ≥ 2` evenly spaced points of the support, its kinks, and more points
/// wherever the density's bounds ([`EndowmentDistribution::density_bounds`])
/// show it varying by more than half across a cell: such a cell is halved
/// until it does not, or until it is a billionth of the support wide. A
/// narrow cluster of traders, which an even grid could step over, is
/// resolved. A distribution without bounds gets the even grid and its
/// kinks. Sorted, without duplicates, ends included.
pub(crate) fn feature_points(d: &dyn EndowmentDistribution, n: usize) -> Vec<f64> {
    points_where_varying(d, n, MAX_VARIATION, 1e-9)
}

/// How much the density may vary across a piece of an integral of a hazard
/// ratio (`F/f` or `(1 − F)/f`) split at [`integral_breaks`]: a change of
/// this size spread over a piece is one the adaptive rule's nodes see, while
/// [`MAX_VARIATION`] would cut a far tail into hundreds of pieces.
const INTEGRAL_VARIATION: f64 = 64.0;

/// The support's ends, its kinks, and the points where the density's bounds
/// show it varying by more than [`INTEGRAL_VARIATION`] across a cell, halved
/// as in [`feature_points`]: where the integrals of the raw virtual types
/// are split, so that a density rising steeply just before the end of a long
/// piece does so across a piece of its own instead of between the rule's
/// outermost node and the end.
pub(crate) fn integral_breaks(d: &dyn EndowmentDistribution) -> Vec<f64> {
    points_where_varying(d, 2, INTEGRAL_VARIATION, INTEGRAL_NARROWEST)
}

/// `[a, the points of [`integral_breaks`] inside (a, b)…, b]`: the pieces
/// an integral against the density over `[a, b]` should use, so that a
/// cluster of traders narrower than the rule's first panel is not stepped
/// over (for `a < b` inside the support).
pub(crate) fn feature_breakpoints(d: &dyn EndowmentDistribution, a: f64, b: f64) -> Vec<f64> {
    let mut points = vec![a];
    points.extend(integral_breaks(d).into_iter().filter(|&x| x > a && x < b));
    points.push(b);
    points
}

/// The narrowest cell [`integral_breaks`] halves, relative to the support:
/// a density that vanishes at a support's end varies without bound over
/// every cell that ends there, and pieces narrower than this at such an end
/// (where the ratio's integrand is a staircase on the doubles' grid) only
/// cost each query's rule its panel cap; the adaptive rule refines toward
/// the end by itself. A steep rise of `e` per `1e-4` of the support, the
/// narrowest met, still gets pieces of its own.
const INTEGRAL_NARROWEST: f64 = 1e-6;

fn points_where_varying(
    d: &dyn EndowmentDistribution,
    n: usize,
    variation: f64,
    narrowest: f64,
) -> Vec<f64> {
    let (lo, hi) = d.support();
    let width = hi - lo;
    let mut points: Vec<f64> = (0..n)
        .map(|k| {
            if k + 1 == n {
                hi
            } else {
                lo + width * k as f64 / (n - 1) as f64
            }
        })
        .collect();
    points.extend(d.kinks().iter().copied().filter(|&k| k > lo && k < hi));
    points.sort_by(f64::total_cmp);
    points.dedup();
    let mut extra = Vec::new();
    let mut cells: Vec<(f64, f64)> = points.windows(2).map(|w| (w[0], w[1])).collect();
    while let Some((a, b)) = cells.pop() {
        if extra.len() >= MAX_EXTRA_POINTS || b - a <= narrowest * width {
            continue;
        }
        let Some(bounds) = d.density_bounds(a, b) else {
            continue;
        };
        let varies = bounds.max > variation * bounds.min && bounds.max > 0.0;
        if varies {
            let mid = 0.5 * (a + b);
            extra.push(mid);
            cells.push((a, mid));
            cells.push((mid, b));
        }
    }
    points.extend(extra);
    points.sort_by(f64::total_cmp);
    points.dedup();
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::{Mixture, TruncatedNormal, Uniform};
    use std::sync::Arc;

    /// A cluster a millionth of the support wide between two points of the
    /// even grid gets points within a standard deviation of its centre.
    #[test]
    fn a_narrow_cluster_between_grid_points_is_resolved() {
        let at = 0.7051;
        let d = Mixture::new(vec![
            (
                0.998,
                Arc::new(Uniform::new(-1.0, 1.0).unwrap()) as Arc<dyn EndowmentDistribution>,
            ),
            (
                0.002,
                Arc::new(TruncatedNormal::new(at, 2e-6, -1.0, 1.0).unwrap()),
            ),
        ])
        .unwrap();
        let points = feature_points(&d, 257);
        assert!(points.iter().filter(|&&z| (z - at).abs() < 2e-6).count() >= 2);
        assert!(points.windows(2).all(|w| w[0] < w[1]));
        assert_eq!((points[0], points[points.len() - 1]), (-1.0, 1.0));
        // A uniform density needs nothing beyond the even grid.
        assert_eq!(
            feature_points(&Uniform::new(-1.0, 1.0).unwrap(), 257).len(),
            257
        );
    }
}
