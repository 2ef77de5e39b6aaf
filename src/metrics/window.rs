//! Per-minute buckets for the last two hours, in a fixed ring.

use crate::time::{MICROS_PER_MINUTE, Micros};

/// Minutes kept: the hour of charts, plus the hour before a window that the error
/// spike rule compares against, plus slack.
pub const RING_MINUTES: usize = 128;

/// What happened in one minute, for one agent, one tool or the whole system.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Bucket {
    /// Agent requests (or tool calls, in a tool's ring).
    pub requests: u64,
    pub failures: u64,
    /// Nanoseconds (see `exact`).
    pub latency_sum_ns: u128,
    /// Error events.
    pub errors: u64,
    pub tool_calls: u64,
    pub tool_failures: u64,
    /// Tokens and cost reported by model calls (the ledger).
    pub ledger_tokens: u64,
    /// Picodollars (see `exact`).
    pub ledger_cost: u128,
    /// Tokens and cost reported by agent requests.
    pub request_tokens: u64,
    /// Picodollars (see `exact`).
    pub request_cost: u128,
}

impl Bucket {
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

/// A ring of [`RING_MINUTES`] buckets keyed by absolute minute. A slot holds the
/// newest minute written to it; a write for an older minute than the slot holds is
/// too old to keep and is dropped. That rule makes merging order-free.
#[derive(Debug, Clone, PartialEq)]
pub struct MinuteRing {
    slots: Box<[(i64, Bucket)]>,
}

impl Default for MinuteRing {
    fn default() -> Self {
        Self { slots: vec![(i64::MIN, Bucket::default()); RING_MINUTES].into_boxed_slice() }
    }
}

impl MinuteRing {
    /// The bucket for the minute of `t`, or `None` when that minute has aged out.
    pub fn at(&mut self, t: Micros) -> Option<&mut Bucket> {
        let minute = minute_of(t);
        let slot = &mut self.slots[minute.rem_euclid(RING_MINUTES as i64) as usize];
        if slot.0 < minute {
            *slot = (minute, Bucket::default());
        }
        (slot.0 == minute).then_some(&mut slot.1)
    }

    pub fn merge(&mut self, other: &MinuteRing) {
        for (mine, theirs) in self.slots.iter_mut().zip(other.slots.iter()) {
            if theirs.0 > mine.0 {
                *mine = *theirs;
            } else if theirs.0 == mine.0 {
                mine.1.add(&theirs.1);
            }
        }
    }

    /// The bucket of one minute, empty if not held.
    pub fn minute(&self, minute: i64) -> Bucket {
        let slot = &self.slots[minute.rem_euclid(RING_MINUTES as i64) as usize];
        if slot.0 == minute { slot.1 } else { Bucket::default() }
    }

    /// The sum over a window of `minutes` ending at `now`: the minute `now` is in,
    /// so far, and the `minutes` whole minutes before it. Buckets are whole
    /// minutes, so a window holds between `minutes` and `minutes + 1` minutes of
    /// events: it never leaves out one that falls inside.
    pub fn window(&self, now: Micros, minutes: i64) -> Bucket {
        self.sum(now, 0, minutes + 1)
    }

    /// The sum over the `minutes` whole-or-partial minutes ending with the one `now`
    /// is in, skipping the `skip` most recent of them.
    pub fn sum(&self, now: Micros, skip: i64, minutes: i64) -> Bucket {
        let last = minute_of(now) - skip;
        let mut total = Bucket::default();
        for m in (last - minutes + 1)..=last {
            total.add(&self.minute(m));
        }
        total
    }

    /// One bucket per minute, oldest first, for the `minutes` ending at `now`.
    pub fn series(&self, now: Micros, minutes: i64) -> Vec<Bucket> {
        let last = minute_of(now);
        ((last - minutes + 1)..=last).map(|m| self.minute(m)).collect()
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
                b.requests += 1;
            }
        }
        assert_eq!(whole.minute(5).requests, 2);
        assert_eq!(whole.minute(130).requests, 1);
        // Minutes 2 and 3 share slots with 130 and 131, which came first: too old.
        assert_eq!(whole.minute(2).requests, 0);
        assert_eq!(whole.minute(3).requests, 0);
        assert_eq!(whole.sum(131 * m, 0, 2).requests, 2);
        for split in 0..times.len() {
            let (mut a, mut b) = (MinuteRing::default(), MinuteRing::default());
            for (i, &t) in times.iter().enumerate() {
                let ring = if i < split { &mut a } else { &mut b };
                if let Some(bk) = ring.at(t) {
                    bk.requests += 1;
                }
            }
            a.merge(&b);
            assert_eq!(a, whole, "split {split}");
        }
    }
}
