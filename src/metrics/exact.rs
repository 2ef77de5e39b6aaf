//! Exact sums. Durations are summed in integer nanoseconds and money in integer
//! picodollars, so that a sum does not depend on the order of its terms: merging
//! two folds gives exactly the fold of both, and no cent drifts over millions of
//! events. Conversions back to floats happen only when a report is built.

/// The nearest whole number to a non-negative `x`, clamped to a u64. Adding a
/// half and truncating rounds like `f64::round` (but for one unit where `x + 0.5`
/// is not exact), without the library call `round` is on x86-64: this runs
/// several times an event. NaN and negatives give 0, and values past `u64::MAX`
/// give `u64::MAX`: Rust's float-to-integer cast saturates, so no clamp is needed.
///
/// One event's duration or cost is clamped to what a u64 holds (about 584 years,
/// or 18 million dollars) before it is summed into a u128, so a hostile value
/// cannot overflow a sum of any realistic number of events; and converting from a
/// float to a u64 is a single instruction, where a u128 takes a library call.
#[inline]
pub fn round_u64(x: f64) -> u64 {
    (x + 0.5) as u64
}

/// Nanoseconds in `ms` milliseconds.
#[inline]
pub fn nanos(ms: f64) -> u128 {
    u128::from(round_u64(ms * 1e6))
}

/// Milliseconds in `nanos` nanoseconds.
pub fn ms(nanos: u128) -> f64 {
    nanos as f64 / 1e6
}

/// Picodollars in `usd` dollars.
#[inline]
pub fn pico(usd: f64) -> u128 {
    u128::from(round_u64(usd * 1e12))
}

/// Dollars in `pico` picodollars.
pub fn usd(pico: u128) -> f64 {
    pico as f64 / 1e12
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_clamps() {
        assert_eq!(nanos(1.5), 1_500_000);
        assert_eq!(ms(nanos(1500.25)), 1500.25);
        assert_eq!(pico(0.05), 50_000_000_000);
        assert_eq!(usd(pico(0.000_001)), 0.000_001);
        assert_eq!(nanos(1e300), u128::from(u64::MAX));
        assert_eq!(pico(-1.0), 0);
    }

    #[test]
    fn rounding_matches_the_standard_library_for_non_negative_values() {
        let mut rng = crate::synth::Rng::new(1);
        for _ in 0..100_000 {
            let x = rng.log_normal(1000.0, 4.0);
            assert_eq!(round_u64(x), x.round() as u64, "{x}");
        }
        for x in [0.0, 0.5, 1.5, 2.5, 1e15 + 0.5] {
            assert_eq!(round_u64(x), x.round() as u64, "{x}");
        }
        // Where x + 0.5 is itself rounded, the result is one unit (a nanosecond or
        // a picodollar) above: the known edge of this method, harmless here.
        for x in [0.49999999999999994, 4503599627370495.0 + 0.5] {
            assert!(round_u64(x).abs_diff(x.round() as u64) <= 1, "{x}");
        }
        assert_eq!(round_u64(-3.0), 0);
        assert_eq!(round_u64(f64::NAN), 0);
        assert_eq!(round_u64(f64::NEG_INFINITY), 0);
        assert_eq!(round_u64(f64::INFINITY), u64::MAX);
        assert_eq!(round_u64(1e20), u64::MAX);
    }

    #[test]
    fn sums_do_not_depend_on_order() {
        let costs = [0.1, 0.2, 0.3, 1e-9, 12.5];
        let forward: u128 = costs.iter().map(|&c| pico(c)).sum();
        let backward: u128 = costs.iter().rev().map(|&c| pico(c)).sum();
        assert_eq!(forward, backward);
        assert_eq!(usd(forward), 13.100_000_001);
    }
}
