//! Weighted counts, for sampled events.
//!
//! A writer that keeps an event with probability `r` writes `sample_rate: r`, and
//! the fold counts that event as `1/r` events: its count, tokens, cost, duration
//! and latency-sketch records are all scaled, so that estimates come out
//! unbiased (a tool kept at 0.1 when it succeeds and always when it fails still
//! shows its true success rate).
//!
//! Weights are fixed-point, in 1/65536ths of an event, so that a weighted count
//! is an integer: sums stay exact and order-free, and merging two folds gives
//! exactly the fold of both, as for unsampled logs. An unsampled event weighs
//! exactly one, so old logs fold to the same figures as before. `1/r` is rounded
//! to the nearest 1/65536th: at r = 0.3 that is a relative error of 2e-7.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Units in one event.
const ONE: u64 = 1 << 16;
/// The largest weight: a sample rate below about 1e-9 counts as this.
const MAX_WEIGHT: f64 = (1u64 << 46) as f64;

/// A weighted number of events (or the weight of one), exact in 1/65536ths.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Count(u64);

impl Count {
    pub const ZERO: Count = Count(0);
    /// One unsampled event.
    pub const ONE: Count = Count(ONE);

    /// The weight of an event kept with probability `rate` (in (0, 1]; absent
    /// means 1). Out-of-range rates (the parser refuses them) weigh one.
    #[inline]
    pub fn of_rate(rate: Option<f64>) -> Count {
        match rate {
            Some(r) if r > 0.0 && r < 1.0 => {
                Count(super::exact::round_u64((ONE as f64 / r).min(MAX_WEIGHT * ONE as f64)))
            }
            _ => Count::ONE,
        }
    }

    /// `n` unsampled events.
    pub const fn events(n: u64) -> Count {
        Count(n.saturating_mul(ONE))
    }

    /// This weight if `yes`, else zero (a success or failure counter's step).
    #[inline]
    pub fn when(self, yes: bool) -> Count {
        if yes { self } else { Count::ZERO }
    }

    /// The weighted number, unrounded: rates and means come from this.
    pub fn get(self) -> f64 {
        self.0 as f64 / ONE as f64
    }

    /// The nearest whole number of events, for display and reports.
    pub fn whole(self) -> u64 {
        (self.0 + ONE / 2) >> 16
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Whether this is the weight of a sampled event (more than one).
    pub fn is_sampled(self) -> bool {
        self.0 != ONE
    }

    /// A quantity of one event (tokens, nanoseconds, picodollars) scaled by this
    /// weight, to the nearest unit. Unsampled, it is `x` itself.
    #[inline]
    pub fn scale(self, x: u64) -> u64 {
        if self.0 == ONE {
            return x;
        }
        let scaled = (u128::from(x) * u128::from(self.0) + u128::from(ONE / 2)) >> 16;
        u64::try_from(scaled).unwrap_or(u64::MAX)
    }

    /// As [`Count::scale`], for the u128 sums of nanoseconds and picodollars.
    #[inline]
    pub fn scale_wide(self, x: u128) -> u128 {
        if self.0 == ONE {
            return x;
        }
        x.saturating_mul(u128::from(self.0)).saturating_add(u128::from(ONE / 2)) >> 16
    }

    /// The weight in its fixed-point units, for scaled histogram counts.
    pub fn units(self) -> u64 {
        self.0
    }

    /// The count of `units` fixed-point units.
    pub fn from_units(units: u64) -> Count {
        Count(units)
    }
}

impl Add for Count {
    type Output = Count;
    fn add(self, o: Count) -> Count {
        Count(self.0.saturating_add(o.0))
    }
}

impl AddAssign for Count {
    fn add_assign(&mut self, o: Count) {
        self.0 = self.0.saturating_add(o.0);
    }
}

impl Sub for Count {
    type Output = Count;
    fn sub(self, o: Count) -> Count {
        Count(self.0.saturating_sub(o.0))
    }
}

impl std::iter::Sum for Count {
    fn sum<I: Iterator<Item = Count>>(iter: I) -> Count {
        iter.fold(Count::ZERO, Add::add)
    }
}

/// Compares with a whole number of unsampled events (tests, and thresholds).
impl PartialEq<u64> for Count {
    fn eq(&self, n: &u64) -> bool {
        self.0 == n.saturating_mul(ONE)
    }
}

impl PartialOrd<u64> for Count {
    fn partial_cmp(&self, n: &u64) -> Option<std::cmp::Ordering> {
        self.0.partial_cmp(&n.saturating_mul(ONE))
    }
}

impl fmt::Debug for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(ONE) { write!(f, "{}", self.0 / ONE) } else { write!(f, "{}", self.get()) }
    }
}

impl fmt::Display for Count {
    /// The whole number: what a person reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.whole(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsampled_event_weighs_one_and_scales_nothing() {
        for rate in [None, Some(1.0), Some(0.0), Some(-1.0), Some(f64::NAN), Some(2.0)] {
            assert_eq!(Count::of_rate(rate), Count::ONE, "{rate:?}");
        }
        assert_eq!(Count::ONE.scale(u64::MAX), u64::MAX);
        assert_eq!(Count::ONE.scale_wide(u128::MAX), u128::MAX);
        assert_eq!(Count::events(3), 3);
        assert!(!Count::ONE.is_sampled());
    }

    #[test]
    fn a_sampled_event_counts_as_one_over_its_rate() {
        let tenth = Count::of_rate(Some(0.1));
        assert_eq!(tenth, 10);
        assert_eq!(tenth.scale(250), 2500);
        let third = Count::of_rate(Some(0.3));
        assert!((third.get() - 1.0 / 0.3).abs() < 1e-5, "{third:?}");
        // Ten events at 0.3 are 33.33 events: whole() rounds, get() does not.
        let ten: Count = std::iter::repeat_n(third, 10).sum();
        assert_eq!(ten.whole(), 33);
        assert!((ten.get() - 33.3333).abs() < 1e-3);
        assert_eq!(third.when(false), Count::ZERO);
        assert_eq!(Count::of_rate(Some(1e-300)).get(), (1u64 << 46) as f64);
    }

    #[test]
    fn sums_are_exact_in_any_order() {
        let ws: Vec<Count> = [0.1, 0.3, 0.7, 1.0, 0.013].iter().map(|&r| Count::of_rate(Some(r))).collect();
        let forward: Count = ws.iter().copied().sum();
        let backward: Count = ws.iter().rev().copied().sum();
        assert_eq!(forward, backward);
        assert_eq!(Count::events(2) - Count::events(5), Count::ZERO, "saturates");
    }
}
