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

/// How much the density may vary across a piece of an integral over types
/// (of a hazard ratio `F/f` or `(1 − F)/f`, of a moment of `V`) split at
/// [`integral_breaks`]: a change of `e^7` spread over a piece is one the
/// adaptive rule's nodes see and refine by themselves, while
/// [`MAX_VARIATION`] would cut a far tail into hundreds of pieces.
///
/// The halvings are for what the rule cannot see from its nodes: a
/// density that rises or falls by orders of magnitude within a piece
/// (beside a narrow cluster whose tails underflow, into a far tail), where
/// a long piece cost a query its panel cap (a class that is one truncated
/// normal with `σ = 1e-6`: its expected revenue per trader was NaN with
/// this at `1e9`, right at `1e7`). A cluster that raises the density by
/// less is found by the probability check of each piece
/// ([`integrate_vec_with_mass`](crate::numerics::integrate_vec_with_mass)),
/// so it need not be cut out here: at 64, which predates that check, two
/// separated modes were cut into eight to twelve pieces, each paid for by
/// every integral over them (the ironing bench's bimodal market solved in
/// 4.9 % more instructions than at 1024, its queries in 18 % more, to the
/// same revenue within 2e-16).
const INTEGRAL_VARIATION: f64 = 1024.0;

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

/// Distances from a support's end (or a kink), in units of the layer
/// width `1/|f'/f|` there, at which [`integral_breaks`] splits a stretch
/// where the density underflows. Beside an end `p` where the density is
/// exponentially small, `F/f` (or `(1 − F)/f` at an upper end) rises from
/// 0 like `ℓ (1 − e^{−|z − p|/ℓ})` with `ℓ = 1/|f'/f|`, a layer the
/// adaptive rule's first nodes step over on a long piece (a truncated
/// normal 167 standard deviations above its lower end: `ℓ = 8e-5` of a
/// piece 1.4 wide, and `∫ V` over it 5e-9 off with no error reported;
/// `ironing_search ordinary 2000 411` market 177). Graded by four, so that
/// each piece holds a stretch of the layer no longer than its distance
/// from the end; beyond `64 ℓ` what is left of it is `e^{−64}` of `ℓ`.
const END_LAYERS: [f64; 6] = [1.0 / 16.0, 0.25, 1.0, 4.0, 16.0, 64.0];

/// The points of [`END_LAYERS`] from `p` in the direction `inward` (+1 or
/// −1), from the log-density's slope just inside; none where that slope
/// is not finite and nonzero.
fn end_layer(d: &dyn EndowmentDistribution, p: f64, inward: f64) -> impl Iterator<Item = f64> {
    let inside = if inward > 0.0 {
        p.next_up()
    } else {
        p.next_down()
    };
    let slope = d.pdf_log_derivative(inside).abs();
    let layer = if slope.is_finite() && slope > 0.0 {
        1.0 / slope
    } else {
        f64::NAN
    };
    END_LAYERS
        .into_iter()
        .map(move |k| p + inward * k * layer)
        .filter(|z| z.is_finite())
}

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
    let kinks: Vec<f64> = d
        .kinks()
        .iter()
        .copied()
        .filter(|&k| k > lo && k < hi)
        .collect();
    points.extend(&kinks);
    points.sort_by(f64::total_cmp);
    points.dedup();
    let structural = |z: f64| z == lo || z == hi || kinks.contains(&z);
    let mut extra = Vec::new();
    let mut cells: Vec<(f64, f64)> = points.windows(2).map(|w| (w[0], w[1])).collect();
    while let Some((a, b)) = cells.pop() {
        if extra.len() >= MAX_EXTRA_POINTS || b - a <= narrowest * width {
            continue;
        }
        let Some(bounds) = d.density_bounds(a, b) else {
            continue;
        };
        if bounds.max.is_nan() || bounds.max <= 0.0 {
            // The density underflows across the whole cell, and its bounds
            // show nothing; a hazard ratio still turns within a layer at a
            // support's end or a kink (see `END_LAYERS`).
            for (p, inward) in [(a, 1.0), (b, -1.0)] {
                if structural(p) {
                    extra.extend(
                        end_layer(d, p, inward)
                            .filter(|&z| z > a + narrowest * width && z < b - narrowest * width),
                    );
                }
            }
            continue;
        }
        let varies = bounds.max > variation * bounds.min;
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

    /// Where the density underflows up to the support's end, the pieces
    /// are graded toward that end on the scale of the hazard ratio's layer
    /// there, `1/|f'/f|` (here `σ²/(μ − lo) ≈ 7.8e-5`), and only there: a
    /// density that does not underflow at its ends gets no such points.
    #[test]
    fn a_far_end_where_the_density_underflows_is_graded() {
        let d = TruncatedNormal::new(0.428, 0.013, -1.742, 1.076).unwrap();
        let layer = 0.013f64.powi(2) / (0.428 + 1.742);
        let breaks = integral_breaks(&d);
        let near = |k: f64| {
            breaks
                .iter()
                .any(|&z| ((z + 1.742) / layer - k).abs() < 0.01 * k)
        };
        for k in END_LAYERS {
            assert!(near(k), "no break {k} layers above the end: {breaks:?}");
        }
        let plain = TruncatedNormal::new(0.0, 0.5, -1.0, 1.0).unwrap();
        assert_eq!(integral_breaks(&plain), vec![-1.0, 1.0]);
    }

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
