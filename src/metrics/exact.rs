//! Exact sums. Durations are summed in integer nanoseconds and money in integer
//! picodollars, so that a sum does not depend on the order of its terms: merging
//! two folds gives exactly the fold of both, and no cent drifts over millions of
//! events. Conversions back to floats happen only when a report is built.

/// Durations are clamped to this (about 3,000 years) before summing, and costs to
/// a trillion dollars, so a hostile value cannot overflow a sum of any realistic
/// number of events.
const MAX_NANOS: f64 = 1e20;
const MAX_PICO: f64 = 1e24;

/// Nanoseconds in `ms` milliseconds.
pub fn nanos(ms: f64) -> u128 {
    (ms * 1e6).round().clamp(0.0, MAX_NANOS) as u128
}

/// Milliseconds in `nanos` nanoseconds.
pub fn ms(nanos: u128) -> f64 {
    nanos as f64 / 1e6
}

/// Picodollars in `usd` dollars.
pub fn pico(usd: f64) -> u128 {
    (usd * 1e12).round().clamp(0.0, MAX_PICO) as u128
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
        assert_eq!(nanos(1e300), 1e20 as u128);
        assert_eq!(pico(-1.0), 0);
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
