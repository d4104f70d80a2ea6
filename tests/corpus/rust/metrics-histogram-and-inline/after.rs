//! Process-wide metrics exported on `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

/// A monotonically increasing counter, safe to share between threads.
#[derive(Debug, Default)]
pub struct Counter {
    value: AtomicU64,
}

impl Counter {
    pub const fn new() -> Self {
        Counter { value: AtomicU64::new(0) }
    }

    #[inline]
    pub fn incr(&self) {
        self.value.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add(&self, n: u64) {
        self.value.fetch_add(n, Ordering::Relaxed);
    }

    #[inline]
    pub fn get(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }
}

/// Latency samples in milliseconds, summarised as percentiles.
#[derive(Debug, Default)]
pub struct Histogram {
    samples: Vec<u64>,
}

impl Histogram {
    pub fn observe(&mut self, millis: u64) {
        self.samples.push(millis);
    }

    pub fn count(&self) -> usize {
        self.samples.len()
    }

    /// Nearest-rank percentile, `p` in 0..=100.
    pub fn percentile(&self, p: u8) -> Option<u64> {
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        let rank = (usize::from(p) * sorted.len()).div_ceil(100);
        sorted.get(rank.saturating_sub(1)).copied()
    }
}

pub static REQUESTS: Counter = Counter::new();
pub static ERRORS: Counter = Counter::new();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_adds_up() {
        let c = Counter::new();
        c.incr();
        c.add(4);
        assert_eq!(c.get(), 5);
    }

    #[test]
    fn histogram_percentiles() {
        let mut h = Histogram::default();
        for ms in [12, 7, 30, 7, 95] {
            h.observe(ms);
        }
        assert_eq!(h.count(), 5);
        assert_eq!(h.percentile(50), Some(12));
        assert_eq!(h.percentile(100), Some(95));
    }
}
