//! Test support for the crate's unit tests (compiled only under `cfg(test)`):
//! one instrumented wrapper of a distribution, instead of a hand-written
//! forwarding copy in each test module.

use super::{EndowmentDistribution, HazardRatio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

/// A distribution that forwards to `inner` while counting what the solver
/// asks of it, and whose hazard ratios turn to NaN once
/// [`Instrumented::break_ratios`] is called (a distribution whose functions
/// disagree after the solve).
///
/// Forwarded: `support`, `cdf`, `pdf`, `log_concave`, `partial_moment`,
/// `mean`, `cdf_integral`, `sf_integral`, `pdf_log_derivative`, the two
/// hazard ratios and `density_and_ratio`. Everything else keeps the trait's
/// default, built on the forwarded methods: in particular `sf` is `1 − cdf`
/// (so it counts as a CDF), and `validated_by_construction` is `false`, so
/// the wrapper goes through the same validation as any user type.
#[derive(Debug)]
pub(crate) struct Instrumented<D> {
    inner: D,
    cdfs: AtomicUsize,
    ratios: AtomicUsize,
    densities_and_ratios: AtomicUsize,
    broken: AtomicBool,
}

impl<D> Instrumented<D> {
    pub(crate) fn new(inner: D) -> Self {
        Self {
            inner,
            cdfs: AtomicUsize::new(0),
            ratios: AtomicUsize::new(0),
            densities_and_ratios: AtomicUsize::new(0),
            broken: AtomicBool::new(false),
        }
    }

    /// CDF evaluations since the last call (including those of `sf`).
    pub(crate) fn take_cdfs(&self) -> usize {
        self.cdfs.swap(0, Relaxed)
    }

    /// Evaluations of `cdf_pdf_ratio` or `sf_pdf_ratio` since the last call.
    pub(crate) fn take_ratios(&self) -> usize {
        self.ratios.swap(0, Relaxed)
    }

    /// Evaluations of `density_and_ratio` since the last call.
    pub(crate) fn take_densities_and_ratios(&self) -> usize {
        self.densities_and_ratios.swap(0, Relaxed)
    }

    /// From now on every hazard ratio is NaN.
    pub(crate) fn break_ratios(&self) {
        self.broken.store(true, Relaxed);
    }

    fn ratio(&self, r: f64) -> f64 {
        if self.broken.load(Relaxed) {
            f64::NAN
        } else {
            r
        }
    }
}

impl<D: EndowmentDistribution> EndowmentDistribution for Instrumented<D> {
    fn support(&self) -> (f64, f64) {
        self.inner.support()
    }
    fn cdf(&self, z: f64) -> f64 {
        self.cdfs.fetch_add(1, Relaxed);
        self.inner.cdf(z)
    }
    fn pdf(&self, z: f64) -> f64 {
        self.inner.pdf(z)
    }
    fn log_concave(&self) -> bool {
        self.inner.log_concave()
    }
    fn partial_moment(&self, a: f64) -> f64 {
        self.inner.partial_moment(a)
    }
    fn mean(&self) -> f64 {
        self.inner.mean()
    }
    fn cdf_integral(&self, a: f64) -> f64 {
        self.inner.cdf_integral(a)
    }
    fn sf_integral(&self, a: f64) -> f64 {
        self.inner.sf_integral(a)
    }
    fn pdf_log_derivative(&self, z: f64) -> f64 {
        self.inner.pdf_log_derivative(z)
    }
    fn ln_pdf(&self, z: f64) -> f64 {
        self.inner.ln_pdf(z)
    }
    fn cdf_pdf_ratio(&self, z: f64) -> f64 {
        self.ratios.fetch_add(1, Relaxed);
        self.ratio(self.inner.cdf_pdf_ratio(z))
    }
    fn sf_pdf_ratio(&self, z: f64) -> f64 {
        self.ratios.fetch_add(1, Relaxed);
        self.ratio(self.inner.sf_pdf_ratio(z))
    }
    fn density_and_ratio(&self, z: f64, which: HazardRatio) -> (f64, f64, f64) {
        self.densities_and_ratios.fetch_add(1, Relaxed);
        let (f, r, s) = self.inner.density_and_ratio(z, which);
        (f, self.ratio(r), s)
    }
}
