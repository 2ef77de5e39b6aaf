//! A mergeable latency sketch: HdrHistogram at two significant digits, so any
//! quantile is within 1% of the exact value at that rank, in bounded memory.

use hdrhistogram::Histogram;

use super::weight::Count;

/// Durations are recorded in the sketch in microseconds (the exact sums stay in
/// nanoseconds): two significant digits of a range of microseconds take about
/// half the memory of nanoseconds, which matters with thousands of names, and
/// 1 % of anything above 100 us is at least a microsecond. Longer than this (about 35 years) are
/// clamped, which only the quantiles see: sums and means stay exact.
const MAX_MICROS: u64 = 1 << 50;

/// Latency of a set of operations: an exact sum and count, and a sketch for
/// quantiles. Sampled operations are weighted (see `weight`): the sum adds the
/// scaled duration, and the sketch records each duration with a count of the
/// operation's weight in fixed-point units (scaled counts; quantiles are ranks,
/// which the common scale does not change).
#[derive(Debug, Clone, Default)]
pub struct Latency {
    pub count: Count,
    /// Exact weighted sum, in nanoseconds.
    pub sum_ns: u128,
    /// The longest recorded, in the sketch's microseconds: a quantile is the
    /// top of its bucket, which for the longest can lie past it (one call of
    /// 12.5 ms had a p95 of 12.54).
    max_us: u64,
    sketch: Option<Histogram<u64>>,
}

impl PartialEq for Latency {
    fn eq(&self, other: &Self) -> bool {
        self.count == other.count
            && self.sum_ns == other.sum_ns
            && self.max_us == other.max_us
            && match (&self.sketch, &other.sketch) {
                (Some(a), Some(b)) => a == b,
                (None, None) => true,
                _ => false,
            }
    }
}

fn new_histogram() -> Histogram<u64> {
    // Two significant digits with auto-resize cannot fail to construct.
    #[expect(clippy::expect_used, reason = "two significant digits with auto-resize always construct")]
    Histogram::new(2).expect("valid HdrHistogram bounds")
}

impl Latency {
    /// Records one operation of `ms` milliseconds and weight `w`.
    #[inline]
    pub fn record(&mut self, ms: f64, w: Count) {
        self.count += w;
        self.sum_ns = self.sum_ns.saturating_add(w.scale_wide(super::exact::nanos(ms)));
        let micros = super::exact::round_u64(ms * 1e3).min(MAX_MICROS);
        self.max_us = self.max_us.max(micros);
        // Auto-resizing: recording grows the range instead of failing.
        let _ = self.sketch.get_or_insert_with(new_histogram).record_n(micros, w.units());
    }

    pub fn merge(&mut self, other: &Latency) {
        self.count += other.count;
        self.sum_ns = self.sum_ns.saturating_add(other.sum_ns);
        self.max_us = self.max_us.max(other.max_us);
        if let Some(theirs) = &other.sketch {
            let mine = self.sketch.get_or_insert_with(new_histogram);
            // Both auto-resize, so adding cannot run out of range.
            let _ = mine.add(theirs);
        }
    }

    /// The mean in milliseconds, `None` with no samples.
    pub fn mean_ms(&self) -> Option<f64> {
        (!self.count.is_zero()).then(|| super::exact::ms(self.sum_ns) / self.count.get())
    }

    /// The value at quantile `q` (0..=1) in milliseconds, `None` with no samples.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        let h = self.sketch.as_ref().filter(|h| !h.is_empty())?;
        Some(h.value_at_quantile(q).min(self.max_us) as f64 / 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_one_percent_of_exact() {
        let mut rng = crate::synth::Rng::new(7);
        let mut values: Vec<f64> = (0..20_000).map(|_| rng.log_normal(300.0, 1.2)).collect();
        let mut latency = Latency::default();
        for &v in &values {
            latency.record(v, Count::ONE);
        }
        values.sort_by(f64::total_cmp);
        for q in [0.5, 0.9, 0.95, 0.99, 0.999] {
            let rank = ((q * values.len() as f64).ceil() as usize).max(1);
            let exact = values[rank - 1];
            let got = latency.quantile_ms(q).unwrap();
            assert!((got - exact).abs() <= exact * 0.01, "q={q}: {got} vs {exact}");
        }
    }

    #[test]
    fn no_quantile_lies_past_the_longest() {
        let mut one = Latency::default();
        one.record(12.5, Count::ONE);
        assert_eq!(
            (one.quantile_ms(0.5), one.quantile_ms(0.95), one.quantile_ms(1.0)),
            (Some(12.5), Some(12.5), Some(12.5))
        );
        // Where the longest shares a bucket with others, the top quantiles are it.
        let mut some = Latency::default();
        for ms in [1.0, 2.0, 12.49, 12.5] {
            some.record(ms, Count::ONE);
        }
        assert_eq!(some.quantile_ms(1.0), Some(12.5));
        assert!(some.quantile_ms(0.5).is_some_and(|p| (p - 2.0).abs() <= 0.02), "{:?}", some.quantile_ms(0.5));
    }

    #[test]
    fn merge_equals_recording_everything() {
        let (mut a, mut b, mut all) = (Latency::default(), Latency::default(), Latency::default());
        for i in 0..1000 {
            let v = f64::from(i) * 1.7;
            all.record(v, Count::ONE);
            if i % 3 == 0 { a.record(v, Count::ONE) } else { b.record(v, Count::ONE) }
        }
        a.merge(&b);
        assert_eq!(a.count, all.count);
        assert_eq!(a.quantile_ms(0.95), all.quantile_ms(0.95));
        assert_eq!(a, all);
        assert_eq!(Latency::default().quantile_ms(0.5), None);
        assert_eq!(Latency::default().mean_ms(), None);
    }

    #[test]
    fn absurd_durations_are_clamped_not_fatal() {
        let mut l = Latency::default();
        l.record(1e300, Count::ONE);
        l.record(0.0, Count::ONE);
        assert!(l.quantile_ms(1.0).unwrap() > 1e9);
    }
}
