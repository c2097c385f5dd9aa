//! Percentile bands of replicated numbers.

/// The `p`-th percentile (`p` in `[0, 100]`) of `sorted` (ascending, not
/// empty), interpolating linearly between order statistics (the `(n − 1)p`
/// rule, type 7 of Hyndman and Fan).
///
/// # Example
/// ```
/// use exchange_design::deployment::percentile;
/// let x = [1.0, 2.0, 3.0, 4.0, 5.0];
/// assert_eq!(percentile(&x, 50.0), 3.0);
/// assert_eq!(percentile(&x, 5.0), 1.2);
/// assert_eq!(percentile(&x, 100.0), 5.0);
/// ```
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * (p / 100.0).clamp(0.0, 1.0);
    let k = (h.floor() as usize).min(n - 1);
    let frac = h - k as f64;
    if k + 1 < n {
        sorted[k] + frac * (sorted[k + 1] - sorted[k])
    } else {
        sorted[k]
    }
}

/// Percentiles of one replicated quantity.
///
/// # Example
/// ```
/// use exchange_design::deployment::Band;
/// let b = Band::of(&[3.0, 1.0, 2.0], &[50.0]);
/// assert_eq!(b.values(), &[2.0]);
/// assert_eq!(b.samples(), 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    levels: Vec<f64>,
    values: Vec<f64>,
    samples: usize,
}

impl Band {
    /// The percentiles `levels` of `values` (in any order). With no values
    /// the band has no values either (never NaN).
    ///
    /// # Example
    /// ```
    /// use exchange_design::deployment::Band;
    /// assert!(Band::of(&[], &[5.0, 95.0]).values().is_empty());
    /// ```
    pub fn of(values: &[f64], levels: &[f64]) -> Self {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let values = if sorted.is_empty() {
            Vec::new()
        } else {
            levels.iter().map(|&p| percentile(&sorted, p)).collect()
        };
        Self {
            levels: levels.to_vec(),
            values,
            samples: sorted.len(),
        }
    }

    /// The percentile levels, in `[0, 100]`.
    ///
    /// # Example
    /// ```
    /// use exchange_design::deployment::Band;
    /// assert_eq!(Band::of(&[1.0], &[5.0, 95.0]).levels(), &[5.0, 95.0]);
    /// ```
    pub fn levels(&self) -> &[f64] {
        &self.levels
    }

    /// The percentiles, one per level (empty when there were no values).
    ///
    /// # Example
    /// ```
    /// use exchange_design::deployment::Band;
    /// assert_eq!(Band::of(&[1.0, 3.0], &[0.0, 100.0]).values(), &[1.0, 3.0]);
    /// ```
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// How many values the band was computed from.
    ///
    /// # Example
    /// ```
    /// use exchange_design::deployment::Band;
    /// assert_eq!(Band::of(&[1.0, 3.0], &[50.0]).samples(), 2);
    /// ```
    pub fn samples(&self) -> usize {
        self.samples
    }
}
