//! Finding the segment of a sorted grid that holds a point in constant
//! time: tabulated densities answer every query by locating it first, and a
//! solve asks millions of them.

/// Buckets of equal width over a sorted grid `x_0 < … < x_n`, each storing
/// the segment that holds its left edge. A point's bucket is one
/// multiplication away, and its segment lies between the segments of the
/// neighbouring buckets' edges, so the binary search runs over the few
/// nodes of one or two buckets instead of the whole grid. The answer is
/// exactly that of a binary search over the whole grid (a bucket computed
/// one off by rounding only widens the range searched).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SegmentIndex {
    /// `x_0`.
    lo: f64,
    /// Buckets per unit length.
    scale: f64,
    /// `first[b]`: the segment holding the left edge of bucket `b`, for
    /// `b = 0, …, buckets` (the last entry is the grid's end).
    first: Vec<u32>,
}

impl SegmentIndex {
    /// Two buckets per segment on average: most buckets then hold at most
    /// one node, and a cluster of nodes costs a search over the cluster.
    pub(crate) fn new(x: &[f64]) -> Self {
        let n = x.len() - 1;
        let (lo, hi) = (x[0], x[n]);
        let buckets = 2 * n;
        let scale = buckets as f64 / (hi - lo);
        let mut first = Vec::with_capacity(buckets + 1);
        let mut j = 0;
        for b in 0..=buckets {
            let edge = lo + b as f64 / scale;
            while j + 1 < n && x[j + 1] <= edge {
                j += 1;
            }
            first.push(j as u32);
        }
        SegmentIndex { lo, scale, first }
    }

    /// The segment `j` with `x_j ≤ z < x_{j+1}` (the last segment for
    /// `z = x_n`), for `z` in `[x_0, x_n]`: the same as
    /// `x.partition_point(|&g| g <= z) − 1`, capped at `n − 1`.
    pub(crate) fn find(&self, x: &[f64], z: f64) -> usize {
        let n = x.len() - 1;
        let buckets = self.first.len() - 1;
        let b = ((z - self.lo) * self.scale).max(0.0) as usize;
        let b = b.min(buckets);
        let from = self.first[b.saturating_sub(1)] as usize;
        let to = (self.first[(b + 2).min(buckets)] as usize + 1).min(n);
        (from + x[from..=to].partition_point(|&g| g <= z))
            .saturating_sub(1)
            .min(n - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::SegmentIndex;

    /// Against the binary search over the whole grid, on uniform, clustered
    /// and geometric grids, at the nodes, one ulp either side of them, and
    /// between them.
    #[test]
    fn agrees_with_a_binary_search_over_the_whole_grid() {
        let uniform: Vec<f64> = (0..=100).map(|i| -1.0 + 0.02 * i as f64).collect();
        let mut clustered: Vec<f64> = (0..=10).map(|i| i as f64).collect();
        clustered.extend((1..200).map(|i| 3.0 + 1e-9 * i as f64));
        clustered.sort_by(f64::total_cmp);
        clustered.dedup();
        let geometric: Vec<f64> = (0..60).map(|i| 1.5f64.powi(i) - 1.0).collect();
        for x in [uniform, clustered, geometric, vec![2.0, 5.0]] {
            let idx = SegmentIndex::new(&x);
            let n = x.len() - 1;
            let whole = |z: f64| (x.partition_point(|&g| g <= z) - 1).min(n - 1);
            let mut points: Vec<f64> = Vec::new();
            for w in x.windows(2) {
                points.extend([w[0], w[0].next_up(), 0.5 * (w[0] + w[1]), w[1].next_down()]);
            }
            points.push(x[n]);
            for z in points {
                assert_eq!(idx.find(&x, z), whole(z), "z = {z}");
            }
        }
    }
}
