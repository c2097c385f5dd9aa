//! Ordered maps over per-class work, on all cores with the `parallel`
//! feature (rayon) and serially without it.
//!
//! Results come back in input order and every reduction over them is done
//! afterwards, serially and in that order, so the numbers are the same on
//! every run, thread count and feature setting.

/// Classes per task: below this a class's work (a few µs) does not pay for
/// the hand-off between threads.
#[cfg_attr(not(feature = "parallel"), allow(dead_code))]
pub(crate) const MIN_CHUNK: usize = 64;

/// `items.iter().map(f).collect()`, in parallel where it pays.
pub(crate) fn map<T, U, F>(items: &[T], f: F) -> Vec<U>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        if items.len() >= 2 * MIN_CHUNK {
            return items.par_iter().with_min_len(MIN_CHUNK).map(f).collect();
        }
    }
    items.iter().map(f).collect()
}

/// `items.iter().map(f).collect()` where each item is a large piece of work
/// (a whole solve): one task per item, in parallel from two items on.
pub(crate) fn map_each<T, U, F>(items: &[T], f: F) -> Vec<U>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        if items.len() >= 2 {
            return items.par_iter().with_max_len(1).map(f).collect();
        }
    }
    items.iter().map(f).collect()
}

/// Items per partial sum of [`sum`]. The grouping is fixed (it does not
/// depend on the number of threads), so the sum is the same on every run,
/// thread count and feature setting.
const SUM_CHUNK: usize = 1024;

/// `Σ f(item)`, as partial sums over fixed groups of [`SUM_CHUNK`] items
/// (one task per group, in parallel from two groups on), added serially in
/// order.
pub(crate) fn sum<T, F>(items: &[T], f: F) -> f64
where
    T: Sync,
    F: Fn(&T) -> f64 + Sync + Send,
{
    let groups: Vec<&[T]> = items.chunks(SUM_CHUNK).collect();
    map_each(&groups, |g| g.iter().map(&f).sum::<f64>())
        .into_iter()
        .sum()
}

/// Applies `f` to each pair `(a[k], b[k])`, updating `b[k]` in place, and
/// returns the first failure in index order.
pub(crate) fn update<A, B, E, F>(a: &[A], b: &mut [B], f: F) -> Result<(), E>
where
    A: Sync,
    B: Send,
    E: Send,
    F: Fn(&A, &mut B) -> Result<(), E> + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        if a.len() >= 2 * MIN_CHUNK {
            let failures: Vec<E> = a
                .par_iter()
                .zip(b.par_iter_mut())
                .with_min_len(MIN_CHUNK)
                .filter_map(|(x, y)| f(x, y).err())
                .collect();
            return match failures.into_iter().next() {
                Some(e) => Err(e),
                None => Ok(()),
            };
        }
    }
    for (x, y) in a.iter().zip(b.iter_mut()) {
        f(x, y)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_order() {
        let xs: Vec<u64> = (0..10_000).collect();
        let ys = map(&xs, |x| x * x);
        assert!(ys.iter().enumerate().all(|(k, &y)| y == (k * k) as u64));
    }

    #[test]
    fn update_reports_the_first_failure_in_order() {
        let xs: Vec<usize> = (0..5_000).collect();
        let mut ys = vec![0usize; xs.len()];
        let r = update(&xs, &mut ys, |&x, y| {
            *y = x + 1;
            if x % 1_000 == 777 {
                Err(x)
            } else {
                Ok(())
            }
        });
        assert_eq!(r, Err(777));
        assert_eq!(ys[4_000], 4_001);
    }

    /// The partial sums are over fixed groups, so the total is the same
    /// bits on one thread and on two, and equals the sum of the groups'
    /// serial sums taken in order.
    #[test]
    fn sum_does_not_depend_on_the_threads() {
        // Terms of mixed sign and size, so that the order of addition shows.
        let xs: Vec<f64> = (0..300_000)
            .map(|k: u64| ((k * 7919 % 1_000_003) as f64).sin() * 10f64.powi((k % 13) as i32 - 6))
            .collect();
        let by_groups: f64 = xs.chunks(SUM_CHUNK).map(|g| g.iter().sum::<f64>()).sum();
        let f = |x: &f64| *x;
        #[cfg(feature = "parallel")]
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            assert_eq!(pool.install(|| sum(&xs, f)).to_bits(), by_groups.to_bits());
        }
        assert_eq!(sum(&xs, f).to_bits(), by_groups.to_bits());
    }
}
