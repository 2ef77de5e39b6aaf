//! Per-minute buckets for the last two hours, in a fixed ring.

use super::weight::Count;
use crate::time::{MICROS_PER_MINUTE, Micros};

/// Minutes kept: the hour of charts, plus the hour before a window that the error
/// spike rule compares against, plus slack.
pub const RING_MINUTES: usize = 128;

/// What happened in one minute, for one agent, one tool or the whole system.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Bucket {
    /// Agent requests (or tool calls, in a tool's ring), weighted.
    pub requests: Count,
    pub failures: Count,
    /// Nanoseconds (see `exact`).
    pub latency_sum_ns: u128,
    /// Error events.
    pub errors: u64,
    pub tool_calls: Count,
    pub tool_failures: Count,
    /// Tokens and cost reported by model calls (the ledger).
    pub ledger_tokens: u64,
    /// Picodollars (see `exact`).
    pub ledger_cost: u128,
    /// Tokens and cost reported by agent requests.
    pub request_tokens: u64,
    /// Picodollars (see `exact`).
    pub request_cost: u128,
}

/// What a ring's buckets hold: sums that add up.
pub trait Sums: Copy + Default + PartialEq + std::fmt::Debug {
    fn add(&mut self, o: &Self);
}

impl Sums for Bucket {
    fn add(&mut self, o: &Bucket) {
        self.requests += o.requests;
        self.failures += o.failures;
        self.latency_sum_ns = self.latency_sum_ns.saturating_add(o.latency_sum_ns);
        self.errors += o.errors;
        self.tool_calls += o.tool_calls;
        self.tool_failures += o.tool_failures;
        self.ledger_tokens = self.ledger_tokens.saturating_add(o.ledger_tokens);
        self.ledger_cost = self.ledger_cost.saturating_add(o.ledger_cost);
        self.request_tokens = self.request_tokens.saturating_add(o.request_tokens);
        self.request_cost = self.request_cost.saturating_add(o.request_cost);
    }
}

/// The minute (since the epoch) an instant falls in.
pub fn minute_of(t: Micros) -> i64 {
    t.div_euclid(MICROS_PER_MINUTE)
}

/// Tokens and cost of one minute, for daily spend and budgets: who reported
/// them (model calls, the ledger; or agent requests) kept apart, as in
/// [`Bucket`]. Picodollars in a u64 (18 million dollars a minute, saturating).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SpendBucket {
    pub ledger_tokens: u64,
    pub ledger_cost: u64,
    pub request_tokens: u64,
    pub request_cost: u64,
}

impl Sums for SpendBucket {
    fn add(&mut self, o: &SpendBucket) {
        self.ledger_tokens = self.ledger_tokens.saturating_add(o.ledger_tokens);
        self.ledger_cost = self.ledger_cost.saturating_add(o.ledger_cost);
        self.request_tokens = self.request_tokens.saturating_add(o.request_tokens);
        self.request_cost = self.request_cost.saturating_add(o.request_cost);
    }
}

/// Minutes of spend kept: two days, so that "today" in any time zone is covered
/// to the minute (and a budget's crossing is known to the minute).
pub const SPEND_MINUTES: usize = 2 * 24 * 60;

/// Per-minute buckets for the last two hours.
pub type MinuteRing = Ring<RING_MINUTES, MICROS_PER_MINUTE, Bucket>;
/// Per-minute spend for the last two days (about 90 KB once anything is spent;
/// nothing before).
pub type SpendRing = Ring<SPEND_MINUTES, MICROS_PER_MINUTE, SpendBucket>;

/// A ring of `SLOTS` buckets of `WIDTH` microseconds, keyed by absolute slot
/// number. A slot holds the newest period written to it; a write for an older
/// period than the slot holds is too old to keep and is dropped. That rule makes
/// merging order-free. The slots are allocated on the first write.
#[derive(Debug, Clone, PartialEq)]
pub struct Ring<const SLOTS: usize, const WIDTH: i64, B: Sums = Bucket> {
    slots: Vec<(i64, B)>,
}

impl<const SLOTS: usize, const WIDTH: i64, B: Sums> Default for Ring<SLOTS, WIDTH, B> {
    fn default() -> Self {
        Self { slots: Vec::new() }
    }
}

impl<const SLOTS: usize, const WIDTH: i64, B: Sums> Ring<SLOTS, WIDTH, B> {
    /// The period an instant falls in.
    pub fn period_of(t: Micros) -> i64 {
        t.div_euclid(WIDTH)
    }

    /// The bucket for the period of `t`, or `None` when that period has aged out.
    #[inline(always)]
    pub fn at(&mut self, t: Micros) -> Option<&mut B> {
        if self.slots.is_empty() {
            self.allocate();
        }
        let period = Self::period_of(t);
        let slot = &mut self.slots[period.rem_euclid(SLOTS as i64) as usize];
        if slot.0 < period {
            *slot = (period, B::default());
        }
        (slot.0 == period).then_some(&mut slot.1)
    }

    /// The ring's buckets, made on its first use: out of line, since a ring is
    /// found on every event and made once.
    #[cold]
    #[inline(never)]
    fn allocate(&mut self) {
        self.slots = vec![(i64::MIN, B::default()); SLOTS];
    }

    pub fn merge(&mut self, other: &Self) {
        if other.slots.is_empty() {
            return;
        }
        if self.slots.is_empty() {
            self.slots.clone_from(&other.slots);
            return;
        }
        for (mine, theirs) in self.slots.iter_mut().zip(other.slots.iter()) {
            if theirs.0 > mine.0 {
                *mine = *theirs;
            } else if theirs.0 == mine.0 {
                mine.1.add(&theirs.1);
            }
        }
    }

    /// Changes every bucket held.
    pub fn map_buckets(&mut self, f: impl Fn(&mut B)) {
        self.slots.iter_mut().for_each(|(_, b)| f(b));
    }

    /// The bucket of one period, empty if not held.
    pub fn period(&self, period: i64) -> B {
        match self.slots.get(period.rem_euclid(SLOTS as i64) as usize) {
            Some(slot) if slot.0 == period => slot.1,
            _ => B::default(),
        }
    }

    /// The sum over a window of `periods` ending at `now`: the period `now` is
    /// in, so far, and the `periods` whole periods before it. Buckets are whole
    /// periods, so a window holds between `periods` and `periods + 1` of them:
    /// it never leaves out an event that falls inside.
    pub fn window(&self, now: Micros, periods: i64) -> B {
        self.sum(now, 0, periods + 1)
    }

    /// The sum over the `periods` whole-or-partial periods ending with the one
    /// `now` is in, skipping the `skip` most recent of them.
    pub fn sum(&self, now: Micros, skip: i64, periods: i64) -> B {
        let last = Self::period_of(now) - skip;
        let mut total = B::default();
        for p in (last - periods + 1)..=last {
            total.add(&self.period(p));
        }
        total
    }

    /// The sum over the periods from the one `from` is in to the one `to` is in.
    pub fn between(&self, from: Micros, to: Micros) -> B {
        let mut total = B::default();
        for p in Self::period_of(from)..=Self::period_of(to) {
            total.add(&self.period(p));
        }
        total
    }

    /// One bucket per period, oldest first, for the `periods` ending at `now`.
    pub fn series(&self, now: Micros, periods: i64) -> Vec<B> {
        let last = Self::period_of(now);
        ((last - periods + 1)..=last).map(|p| self.period(p)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_minutes_age_out_and_merge_is_order_free() {
        let m = MICROS_PER_MINUTE;
        let times = [0, 5 * m, 5 * m + 1, 130 * m, 2 * m, 131 * m, 3 * m];
        let mut whole = MinuteRing::default();
        for &t in &times {
            if let Some(b) = whole.at(t) {
                b.requests += Count::ONE;
            }
        }
        assert_eq!(whole.period(5).requests, 2);
        assert_eq!(whole.period(130).requests, 1);
        // Minutes 2 and 3 share slots with 130 and 131, which came first: too old.
        assert_eq!(whole.period(2).requests, 0);
        assert_eq!(whole.period(3).requests, 0);
        assert_eq!(whole.sum(131 * m, 0, 2).requests, 2);
        assert_eq!(whole.between(130 * m, 131 * m + 5).requests, 2);
        for split in 0..times.len() {
            let (mut a, mut b) = (MinuteRing::default(), MinuteRing::default());
            for (i, &t) in times.iter().enumerate() {
                let ring = if i < split { &mut a } else { &mut b };
                if let Some(bk) = ring.at(t) {
                    bk.requests += Count::ONE;
                }
            }
            a.merge(&b);
            assert_eq!(a, whole, "split {split}");
        }
    }
}
