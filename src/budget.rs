//! Spend over time: today (in UTC or local days), the last hour, the burn rate,
//! the projection for the day, and budgets. Pure: the instant and the UTC offset
//! of "local" are inputs.

use std::collections::BTreeMap;

use crate::metrics::window::{Bucket, SpendBucket};
use crate::metrics::{Metrics, Spend};
use crate::time::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_SECOND, Micros};

/// Daily budgets.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    /// For all agents together; none means cost_budget is off for "all".
    pub daily_usd: Option<f64>,
    /// The low-severity warning fires from this percent of a budget on.
    pub warn_at_pct: f64,
    /// Per-agent daily budgets.
    pub agents: BTreeMap<String, f64>,
    /// Days begin at midnight at this offset from UTC (0 for UTC days).
    pub utc_offset_seconds: i64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { daily_usd: None, warn_at_pct: 80.0, agents: BTreeMap::new(), utc_offset_seconds: 0 }
    }
}

/// The start of the day `now` is in, for days beginning at `offset` from UTC.
pub fn day_start(now: Micros, utc_offset_seconds: i64) -> Micros {
    let offset = utc_offset_seconds * MICROS_PER_SECOND;
    (now + offset).div_euclid(MICROS_PER_DAY) * MICROS_PER_DAY - offset
}

/// Spend figures for one agent or for all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    pub today: Spend,
    pub last_hour: Spend,
    /// Dollars an hour, at the last hour's pace.
    pub burn_per_hour: f64,
    /// Today's spend plus the burn rate for the rest of the day.
    pub projected_today: f64,
    pub day_start: Micros,
}

/// The part of a bucket attributed to an agent: its model calls' ledger if any
/// model call names it, else its own requests' figures.
fn attributed(b: &Bucket, ledger: bool) -> Spend {
    if ledger {
        Spend { tokens: b.ledger_tokens, cost: b.ledger_cost, ..Spend::default() }
    } else {
        Spend { tokens: b.request_tokens, cost: b.request_cost, ..Spend::default() }
    }
}

/// As [`attributed`], for a minute of the daily spend ring.
fn attributed_minutes(b: &SpendBucket, ledger: bool) -> Spend {
    let (tokens, cost) = if ledger { (b.ledger_tokens, b.ledger_cost) } else { (b.request_tokens, b.request_cost) };
    Spend { tokens, cost: u128::from(cost), ..Spend::default() }
}

/// The minute at which today's spend (for `agent`, or all with `None`) first
/// went above `amount_usd` (or reached it, with `reached`), if it has by
/// `now`: the same on every run over the same log and `now`.
pub fn crossed_at(
    m: &Metrics,
    agent: Option<&str>,
    now: Micros,
    utc_offset_seconds: i64,
    amount_usd: f64,
    reached: bool,
) -> Option<Micros> {
    let start = day_start(now, utc_offset_seconds);
    let limit = crate::metrics::exact::pico(amount_usd);
    let rings: Vec<(&crate::metrics::window::SpendRing, bool)> = match agent {
        Some(name) => m.agents.get(name).map(|a| (&a.spend_minutes, a.named_by_model_call)).into_iter().collect(),
        None => m
            .agents
            .values()
            .map(|a| (&a.spend_minutes, a.named_by_model_call))
            .chain(std::iter::once((&m.unattributed_spend_minutes, true)))
            .collect(),
    };
    let first = crate::metrics::window::SpendRing::period_of(start);
    let last = crate::metrics::window::SpendRing::period_of(now);
    let mut spent: u128 = 0;
    for minute in first..=last {
        for (ring, ledger) in &rings {
            spent += attributed_minutes(&ring.period(minute), *ledger).cost;
        }
        if spent > limit || (reached && spent == limit) {
            return Some((minute * crate::time::MICROS_PER_MINUTE).max(start));
        }
    }
    None
}

/// Spend figures at `now` for `agent`, or for all agents with `None`.
pub fn figures(m: &Metrics, agent: Option<&str>, now: Micros, utc_offset_seconds: i64) -> Figures {
    let start = day_start(now, utc_offset_seconds);
    let mut today = Spend::default();
    let mut last_hour = Spend::default();
    let mut add = |day: SpendBucket, hour: Bucket, ledger: bool| {
        today.merge(&attributed_minutes(&day, ledger));
        last_hour.merge(&attributed(&hour, ledger));
    };
    match agent {
        Some(name) => {
            if let Some(a) = m.agents.get(name) {
                add(a.spend_minutes.between(start, now), a.ring.sum(now, 0, 60), a.named_by_model_call);
            }
        }
        None => {
            for a in m.agents.values() {
                add(a.spend_minutes.between(start, now), a.ring.sum(now, 0, 60), a.named_by_model_call);
            }
            add(m.unattributed_spend_minutes.between(start, now), m.unattributed_ring.sum(now, 0, 60), true);
        }
    }
    let burn = last_hour.cost_usd();
    let hours_left = (start + MICROS_PER_DAY - now).max(0) as f64 / MICROS_PER_HOUR as f64;
    Figures {
        today,
        last_hour,
        burn_per_hour: burn,
        projected_today: today.cost_usd() + burn * hours_left,
        day_start: start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::Fold;
    use crate::time::{format_rfc3339, parse_rfc3339};

    fn fold(lines: &[String]) -> Metrics {
        let mut f = Fold::default();
        let s = f.ingest.add_source("t");
        for (i, l) in lines.iter().enumerate() {
            f.line(s, i as u64 + 1, l.as_bytes());
        }
        f.metrics
    }

    fn call(ts: &str, agent: &str, cost: f64) -> String {
        format!(
            r#"{{"ts":"{ts}","type":"model_call","model":"m","agent":"{agent}","success":true,"duration_ms":1,"cost_usd":{cost}}}"#
        )
    }

    #[test]
    fn days_start_at_midnight_in_the_chosen_zone() {
        let now = parse_rfc3339("2026-11-26T03:30:00Z").unwrap();
        assert_eq!(format_rfc3339(day_start(now, 0)), "2026-11-26T00:00:00.000Z");
        // UTC-5: it is still the 25th, which began at 05:00 UTC.
        assert_eq!(format_rfc3339(day_start(now, -5 * 3600)), "2026-11-25T05:00:00.000Z");
        // UTC+5:45: the 26th began at 18:15 UTC the day before.
        assert_eq!(format_rfc3339(day_start(now, 5 * 3600 + 45 * 60)), "2026-11-25T18:15:00.000Z");
    }

    #[test]
    fn today_last_hour_burn_and_projection() {
        let lines = [
            call("2026-11-25T23:50:00Z", "A", 100.0), // yesterday (UTC)
            call("2026-11-26T01:00:00Z", "A", 1.0),
            call("2026-11-26T11:10:00Z", "A", 2.0),
            call("2026-11-26T11:40:00Z", "B", 3.0),
        ];
        let m = fold(&lines);
        let now = parse_rfc3339("2026-11-26T12:00:00Z").unwrap();
        let all = figures(&m, None, now, 0);
        assert!((all.today.cost_usd() - 6.0).abs() < 1e-9);
        assert!((all.last_hour.cost_usd() - 5.0).abs() < 1e-9);
        assert!((all.projected_today - (6.0 + 5.0 * 12.0)).abs() < 1e-9);
        let a = figures(&m, Some("A"), now, 0);
        assert!((a.today.cost_usd() - 3.0).abs() < 1e-9);
        // In UTC-1 the 26th began at 01:00 UTC: the call at that instant counts,
        // the one at 23:50 UTC (22:50 on the 25th there) does not.
        let west = figures(&m, None, now, -3600);
        assert!((west.today.cost_usd() - 6.0).abs() < 1e-9);
        // In UTC+1 the day began at 23:00 UTC on the 25th: the $100 counts.
        let east = figures(&m, None, now, 3600);
        assert!((east.today.cost_usd() - 106.0).abs() < 1e-9);
        assert_eq!(figures(&m, Some("nobody"), now, 0).today, Spend::default());
    }
}
