use super::*;
use crate::fold::Fold;
use crate::time::{MICROS_PER_SECOND, format_rfc3339, parse_rfc3339};

const NOW: &str = "2026-11-26T12:00:30Z";

fn now() -> Micros {
    parse_rfc3339(NOW).unwrap()
}

/// A log line `minutes_ago` before NOW.
fn at(minutes_ago: f64) -> String {
    format_rfc3339(now() - (minutes_ago * 60.0 * MICROS_PER_SECOND as f64) as i64)
}

fn req(agent: &str, ok: bool, ms: f64, minutes_ago: f64) -> String {
    format!(
        r#"{{"ts":"{}","type":"agent_request","agent":"{agent}","success":{ok},"duration_ms":{ms}}}"#,
        at(minutes_ago)
    )
}

fn tool(name: &str, ok: bool, minutes_ago: f64) -> String {
    format!(r#"{{"ts":"{}","type":"tool_call","tool":"{name}","success":{ok},"duration_ms":5}}"#, at(minutes_ago))
}

fn error(minutes_ago: f64) -> String {
    format!(r#"{{"ts":"{}","type":"error","component":"c","error_type":"E","message":"m"}}"#, at(minutes_ago))
}

fn metrics(lines: &[String]) -> Metrics {
    let mut f = Fold::default();
    let s = f.ingest.add_source("t");
    for (i, l) in lines.iter().enumerate() {
        f.line(s, i as u64 + 1, l.as_bytes());
    }
    assert_eq!(f.ingest.sources[0].malformed, 0, "{:?}", f.ingest.recent_malformed);
    f.metrics
}

fn fired(lines: &[String], th: &Thresholds, rule: Rule, scope: &str) -> Option<Alert> {
    evaluate(&metrics(lines), now(), th).into_iter().find(|a| a.rule == rule && a.scope == scope)
}

/// `n` requests of which `failed` fail, spread over the last three minutes.
fn requests(agent: &str, n: usize, failed: usize, ms: f64) -> Vec<String> {
    (0..n).map(|i| req(agent, i >= failed, ms, (i % 3) as f64)).collect()
}

#[test]
fn error_rate_fires_strictly_above_its_threshold() {
    let th = Thresholds::default();
    // 1 of 10 failed: exactly 10%, not beyond.
    assert!(fired(&requests("A", 10, 1, 100.0), &th, Rule::ErrorRate, "A").is_none());
    // 1 of 9: 11.1%.
    let a = fired(&requests("A", 9, 1, 100.0), &th, Rule::ErrorRate, "A").expect("fires");
    assert_eq!(a.severity, Severity::High);
    assert!((a.value - 100.0 / 9.0).abs() < 1e-9 && a.threshold == 10.0);
    assert_eq!(a.message, "A success rate 88.9% < 90% over 5m");
    // And for all agents together.
    assert!(fired(&requests("A", 9, 1, 100.0), &th, Rule::ErrorRate, ALL).is_some());
    // 1 of 20: well below.
    assert!(fired(&requests("A", 20, 1, 100.0), &th, Rule::ErrorRate, "A").is_none());
}

#[test]
fn request_rules_wait_for_the_minimum_sample() {
    let th = Thresholds::default();
    // Four requests, all failed and slow: too few to judge.
    let four = requests("A", 4, 4, 9000.0);
    for rule in [Rule::ErrorRate, Rule::ResponseTime, Rule::FailureCount] {
        assert!(fired(&four, &th, rule, "A").is_none(), "{rule:?}");
    }
    let five = requests("A", 5, 5, 9000.0);
    assert!(fired(&five, &th, Rule::ErrorRate, "A").is_some());
    assert!(fired(&five, &th, Rule::ResponseTime, "A").is_some());
    let th2 = Thresholds { min_samples: 6, ..Thresholds::default() };
    assert!(fired(&five, &th2, Rule::ErrorRate, "A").is_none());
}

#[test]
fn response_time_edges() {
    let th = Thresholds::default();
    assert!(fired(&requests("A", 5, 0, 5000.0), &th, Rule::ResponseTime, "A").is_none(), "at the threshold");
    assert!(fired(&requests("A", 5, 0, 4999.0), &th, Rule::ResponseTime, "A").is_none());
    let a = fired(&requests("A", 5, 0, 5000.5), &th, Rule::ResponseTime, "A").expect("just above");
    assert_eq!((a.severity, a.threshold), (Severity::Medium, 5000.0));
    assert_eq!(a.message, "A average response time 5.00s > 5s over 5m");
}

#[test]
fn failure_count_edges() {
    let th = Thresholds::default();
    assert!(fired(&requests("A", 200, 10, 10.0), &th, Rule::FailureCount, "A").is_none(), "10 is not more than 10");
    let a = fired(&requests("A", 200, 11, 10.0), &th, Rule::FailureCount, "A").expect("11 is");
    assert_eq!((a.value, a.threshold, a.severity), (11.0, 10.0, Severity::High));
    assert!(fired(&requests("A", 200, 9, 10.0), &th, Rule::FailureCount, "A").is_none());
}

#[test]
fn per_agent_overrides() {
    let mut th = Thresholds::default();
    th.agents.insert("Strict".into(), AgentThresholds { error_rate_pct: Some(1.0), ..Default::default() });
    let mut lines = requests("Strict", 50, 1, 10.0);
    lines.extend(requests("Loose", 50, 1, 10.0));
    assert!(fired(&lines, &th, Rule::ErrorRate, "Strict").is_some(), "2% > 1%");
    assert!(fired(&lines, &th, Rule::ErrorRate, "Loose").is_none(), "2% <= 10%");
}

#[test]
fn tool_failure_edges() {
    let th = Thresholds::default();
    let calls = |n: usize, failed: usize| -> Vec<String> { (0..n).map(|i| tool("t", i >= failed, 1.0)).collect() };
    assert!(fired(&calls(10, 1), &th, Rule::ToolFailure, "t").is_none(), "exactly 90%");
    let a = fired(&calls(9, 1), &th, Rule::ToolFailure, "t").expect("88.9%");
    assert_eq!(a.severity, Severity::Medium);
    assert!(fired(&calls(4, 4), &th, Rule::ToolFailure, "t").is_none(), "too few calls");
}

#[test]
fn error_spike_against_the_hour_before() {
    let th = Thresholds::default();
    // A quiet hour before: the spike needs at least 5 errors.
    let quiet: Vec<String> = (0..6).map(|i| error(40.0 + 5.0 * f64::from(i))).collect();
    let with = |n: usize, base: &[String]| {
        let mut v = base.to_vec();
        v.extend((0..n).map(|i| error((i % 4) as f64)));
        v
    };
    assert!(fired(&with(4, &quiet), &th, Rule::ErrorSpike, ALL).is_none());
    let a = fired(&with(5, &quiet), &th, Rule::ErrorSpike, ALL).expect("5 errors");
    assert_eq!((a.value, a.threshold), (5.0, 5.0));
    // A busy hour before: 120 errors are 12 per six-minute window, so 36 are needed.
    let busy: Vec<String> = (0..120).map(|i| error(7.0 + f64::from(i) * 0.45)).collect();
    assert!(fired(&with(35, &busy), &th, Rule::ErrorSpike, ALL).is_none());
    let a = fired(&with(36, &busy), &th, Rule::ErrorSpike, ALL).expect("3x the usual");
    assert_eq!(a.threshold, 36.0);
}

/// A fresh log has no "usual": the spike rule waits, and says why.
#[test]
fn error_spike_waits_for_a_baseline() {
    let th = Thresholds::default();
    // 223 errors in the window and nothing before: no alert.
    let fresh: Vec<String> = (0..223).map(|i| error(f64::from(i % 5))).collect();
    assert!(fired(&fresh, &th, Rule::ErrorSpike, ALL).is_none());
    // The window starts at 11:55 (the current minute, 12:00, and 5 before):
    // history must reach back to 11:25.
    let mut short = fresh.clone();
    short.push(error(35.0));
    assert!(fired(&short, &th, Rule::ErrorSpike, ALL).is_none(), "11:25:30 is too late");
    let mut enough = fresh.clone();
    enough.push(error(35.5));
    assert!(fired(&enough, &th, Rule::ErrorSpike, ALL).is_some());
    let w = waiting(&metrics(&fresh), now(), &th);
    assert_eq!(w.len(), 1);
    assert!(w[0].reason.contains("30 minutes of history"), "{:?}", w);
    assert!(waiting(&metrics(&enough), now(), &th).is_empty());
}

#[test]
fn the_window_leaves_older_events_out() {
    let th = Thresholds::default();
    // Failures 7 minutes ago are outside a 5-minute window (plus the current minute).
    let old: Vec<String> = (0..20).map(|_| req("A", false, 10.0, 7.0)).collect();
    assert!(fired(&old, &th, Rule::ErrorRate, "A").is_none());
    let wide = Thresholds { window_minutes: 10, ..Thresholds::default() };
    assert!(fired(&old, &wide, Rule::ErrorRate, "A").is_some());
}

#[test]
fn since_is_when_the_rule_started_to_hold() {
    let th = Thresholds::default();
    // Failing steadily for the last 20 minutes, after a healthy hour.
    let mut lines: Vec<String> = (0..60)
        .flat_map(|m| requests("A", 6, 0, 10.0).into_iter().map(move |_| req("A", true, 10.0, 21.0 + f64::from(m))))
        .collect();
    lines.extend((0..20).flat_map(|m| (0..6).map(move |_| req("A", false, 10.0, f64::from(m) + 0.1))));
    let a = fired(&lines, &th, Rule::ErrorRate, "A").unwrap();
    let started = now() - 20 * MICROS_PER_MINUTE;
    assert!(
        a.since <= now() - 15 * MICROS_PER_MINUTE && a.since >= started - 2 * MICROS_PER_MINUTE,
        "{}",
        format_rfc3339(a.since)
    );
}

fn heartbeat(process: &str, seconds_ago: i64) -> String {
    let ts = format_rfc3339(now() - seconds_ago * MICROS_PER_SECOND);
    format!(r#"{{"ts":"{ts}","type":"heartbeat","process":"{process}","host":"agents-1"}}"#)
}

/// heartbeat_lost: strictly after the timeout since a process's last beat,
/// until a day has passed; since is the last beat plus the timeout, exactly.
#[test]
fn heartbeat_lost_fires_after_the_timeout_and_stops_when_the_process_is_retired() {
    let th = Thresholds::default();
    // Beats every 30 s, the last 180 s ago: exactly the timeout, not beyond.
    let beats = |last_ago: i64| (0..5).map(|k| heartbeat("worker-1", last_ago + 30 * k)).collect::<Vec<_>>();
    assert!(fired(&beats(180), &th, Rule::HeartbeatLost, "worker-1").is_none());
    assert!(fired(&beats(30), &th, Rule::HeartbeatLost, "worker-1").is_none());
    let a = fired(&beats(181), &th, Rule::HeartbeatLost, "worker-1").expect("fires");
    assert_eq!((a.severity, a.value, a.threshold), (Severity::High, 181.0, 180.0));
    assert_eq!(a.message, "worker-1 on agents-1 sent no heartbeat for 3m 01s (> 3m 00s)");
    assert_eq!(a.since, now() - 181 * MICROS_PER_SECOND + 180 * MICROS_PER_SECOND);
    // Other events do not stand for a heartbeat; another process's beats neither.
    let mut lines = beats(600);
    lines.extend([req("A", true, 5.0, 0.0), heartbeat("worker-2", 5)]);
    assert!(fired(&lines, &th, Rule::HeartbeatLost, "worker-1").is_some());
    assert!(fired(&lines, &th, Rule::HeartbeatLost, "worker-2").is_none());
    // Its own threshold.
    let patient = Thresholds { heartbeat_timeout_s: 900, ..Thresholds::default() };
    assert!(fired(&beats(600), &patient, Rule::HeartbeatLost, "worker-1").is_none());
    // Silent for over a day: retired, not down.
    assert!(fired(&beats(24 * 3600 - 60), &th, Rule::HeartbeatLost, "worker-1").is_some());
    assert!(fired(&beats(24 * 3600 + 1), &th, Rule::HeartbeatLost, "worker-1").is_none());
    // A last heartbeat that said the process was stopping: not lost, and not live.
    let mut stopped = beats(600);
    stopped.push(format!(
        r#"{{"ts":"{}","type":"heartbeat","process":"worker-1","stopped":true}}"#,
        format_rfc3339(now() - 590 * MICROS_PER_SECOND)
    ));
    assert!(fired(&stopped, &th, Rule::HeartbeatLost, "worker-1").is_none());
    // Started again after: lost again when that one goes quiet.
    stopped.push(heartbeat("worker-1", 400));
    assert!(fired(&stopped, &th, Rule::HeartbeatLost, "worker-1").is_some());
    // A log without heartbeats has nothing to lose.
    assert!(evaluate(&metrics(&requests("A", 10, 0, 5.0)), now(), &th).is_empty());
}

/// A lost process that beats again is `cleared`; one silent for a day is
/// `retired`: a page must not read as if it came back.
#[test]
fn a_retired_heartbeat_resolves_as_retired_a_recovered_one_as_cleared() {
    let th = Thresholds::default();
    let hour = 3600 * MICROS_PER_SECOND;
    // The last beat an hour before NOW: lost since then plus the timeout.
    let quiet = metrics(&[heartbeat("worker-1", 3600)]);
    let mut book = AlertBook::default();
    let lost = evaluate(&quiet, now(), &th);
    assert_eq!(lost.len(), 1);
    book.update(lost.clone(), now());
    // It beats again: cleared.
    let back = metrics(&[heartbeat("worker-1", 3600), heartbeat("worker-1", 0)]);
    let t = book.clone().update(evaluate(&back, now(), &th), now());
    assert!(matches!(t.as_slice(), [Transition::Resolved { reason: "cleared", .. }]), "{t:?}");
    // Still silent a day after its last beat: retired.
    let later = now() + 23 * hour + 1;
    assert!(evaluate(&quiet, later, &th).is_empty());
    let t = book.update(evaluate(&quiet, later, &th), later);
    assert!(matches!(t.as_slice(), [Transition::Resolved { reason: "retired", .. }]), "{t:?}");
    let json = serde_json::to_value(&t[0]).unwrap();
    assert_eq!(json["reason"], "retired");
    // One second before, it still fired.
    assert_eq!(evaluate(&quiet, later - 2, &th).len(), 1);
    assert_eq!(lost[0].resolution(later - 2), "cleared");
}

#[test]
fn alerts_are_sorted_most_severe_first() {
    let mut lines = requests("A", 10, 5, 9000.0);
    lines.extend((0..10).map(|i| tool("t", i > 3, 0.0)));
    let alerts = evaluate(&metrics(&lines), now(), &Thresholds::default());
    let sev: Vec<Severity> = alerts.iter().map(|a| a.severity).collect();
    let mut sorted = sev.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(sev, sorted);
    assert_eq!(worst(&alerts), Some(Severity::High));
    assert_eq!(worst(&[]), None);
}

#[test]
fn the_book_tracks_starts_resolutions_acks_and_silences() {
    let mut book = AlertBook::default();
    let lines = requests("A", 9, 1, 100.0);
    let alerts = evaluate(&metrics(&lines), now(), &Thresholds::default());
    assert!(!alerts.is_empty());
    let t = book.update(alerts.clone(), now());
    assert_eq!(t.len(), alerts.len());
    assert!(t.iter().all(|t| matches!(t, Transition::Firing { .. })));
    assert!(book.update(alerts.clone(), now() + 1).is_empty(), "still firing: no news");
    assert!(book.acknowledge(Rule::ErrorRate, "A"));
    assert!(!book.acknowledge(Rule::ToolFailure, "nope"));
    assert!(book.visible(now()).iter().any(|t| t.acknowledged));
    assert!(book.silence(Rule::ErrorRate, ALL, now() + 60 * MICROS_PER_SECOND));
    assert_eq!(book.silenced(now()), 1);
    assert_eq!(book.visible(now()).len(), alerts.len() - 1);
    assert_eq!(book.silenced(now() + 61 * MICROS_PER_SECOND), 0, "a silence ends");
    let t = book.update(Vec::new(), now() + 2);
    assert_eq!(t.len(), alerts.len());
    assert!(t.iter().all(|t| matches!(t, Transition::Resolved { .. })));
    assert_eq!(book.resolved().len(), alerts.len());
    let json = serde_json::to_value(&t[0]).unwrap();
    assert_eq!(json["event"], "resolved");
    assert_eq!(json["reason"], "cleared");
    assert!(json["alert"]["since"].is_string());
}

fn spend(agent: &str, usd: f64, minutes_ago: f64) -> String {
    format!(
        r#"{{"ts":"{}","type":"model_call","model":"m","agent":"{agent}","success":true,"duration_ms":1,"cost_usd":{usd}}}"#,
        at(minutes_ago)
    )
}

#[test]
fn cost_budget_edges() {
    // NOW is 12:00:30 UTC; spend lands at 02:00, ten hours ago, so the last hour
    // burns nothing and the projection is today's spend.
    let budget = |daily: f64| Thresholds {
        budget: Budget { daily_usd: Some(daily), ..Budget::default() },
        ..Thresholds::default()
    };
    let spent = |usd: f64| vec![spend("A", usd, 600.0)];
    assert!(fired(&spent(7.9), &budget(10.0), Rule::CostBudget, ALL).is_none(), "79%");
    let a = fired(&spent(8.0), &budget(10.0), Rule::CostBudget, ALL).expect("80% is inclusive");
    assert_eq!((a.severity, a.threshold), (Severity::Low, 8.0));
    assert_eq!(a.message, "all agents spent $8.00 today, 80% of the $10.00 daily budget");
    let a = fired(&spent(10.0), &budget(10.0), Rule::CostBudget, ALL).expect("at the budget: still a warning");
    assert_eq!(a.severity, Severity::Low);
    let a = fired(&spent(10.01), &budget(10.0), Rule::CostBudget, ALL).expect("above");
    assert_eq!((a.severity, a.value, a.threshold), (Severity::Medium, 10.01, 10.0));
    // Yesterday's spend does not count.
    assert!(fired(&[spend("A", 50.0, 13.0 * 60.0)], &budget(10.0), Rule::CostBudget, ALL).is_none());
    // Off until a budget is set.
    assert!(fired(&spent(1e6), &Thresholds::default(), Rule::CostBudget, ALL).is_none());
}

#[test]
fn cost_budget_projection_and_per_agent_budgets() {
    let th = Thresholds {
        budget: Budget { daily_usd: Some(100.0), agents: [("B".to_owned(), 1.0)].into(), ..Budget::default() },
        ..Thresholds::default()
    };
    // $1 in the last hour, with 12 hours left: on course for about $13, under $100.
    let lines = vec![spend("A", 1.0, 10.0)];
    assert!(fired(&lines, &th, Rule::CostBudget, ALL).is_none());
    // $10 in the last hour: on course for about $130.
    let lines = vec![spend("A", 10.0, 10.0)];
    let a = fired(&lines, &th, Rule::CostBudget, ALL).expect("the projection exceeds the budget");
    assert_eq!(a.severity, Severity::Low);
    assert!(a.message.starts_with("all agents on course for $"), "{}", a.message);
    // B has its own budget of $1.
    let lines = vec![spend("B", 1.5, 600.0)];
    let b = fired(&lines, &th, Rule::CostBudget, "B").expect("B is over its own budget");
    assert_eq!(b.severity, Severity::Medium);
    assert!(fired(&lines, &th, Rule::CostBudget, "A").is_none(), "A has no budget of its own");
}

#[test]
fn alerts_resolve_when_their_window_moves_past_the_trouble() {
    let m = metrics(&requests("A", 9, 1, 100.0));
    let th = Thresholds::default();
    let mut book = AlertBook::default();
    let started = book.update(evaluate(&m, now(), &th), now());
    assert!(
        started
            .iter()
            .any(|t| matches!(t, Transition::Firing { alert } if alert.rule == Rule::ErrorRate && alert.scope == "A"))
    );
    // Two minutes on, every request (two minutes old at most) is still in the window.
    let later = now() + 2 * MICROS_PER_MINUTE;
    assert!(book.update(evaluate(&m, later, &th), later).is_empty());
    // Once the window has moved past every request, the alert resolves.
    let much_later = now() + 8 * MICROS_PER_MINUTE;
    let resolved = book.update(evaluate(&m, much_later, &th), much_later);
    assert!(resolved.iter().any(
        |t| matches!(t, Transition::Resolved { alert, .. } if alert.rule == Rule::ErrorRate && alert.scope == "A")
    ));
    assert!(book.visible(much_later).is_empty());
    assert_eq!(book.resolved().back().unwrap().resolved_at, much_later);
}

/// A budget alert's `since` is the minute the spend crossed the line, from the
/// log alone: the same at any later `now` of the same day.
#[test]
fn cost_budget_since_is_the_minute_the_line_was_crossed() {
    let th = Thresholds { budget: Budget { daily_usd: Some(10.0), ..Budget::default() }, ..Thresholds::default() };
    // $4 at 02:00:30, $5 at 09:07:10 (80% crossed), $2 at 11:23:50 (over).
    let lines = [spend("A", 4.0, 600.0), spend("B", 5.0, 173.333), spend("A", 2.0, 36.667)];
    let m = metrics(&lines);
    let alert =
        |now: Micros| evaluate(&m, now, &th).into_iter().find(|a| a.rule == Rule::CostBudget).expect("over budget");
    let a = alert(now());
    assert_eq!(a.severity, Severity::Medium);
    assert_eq!(format_rfc3339(a.since), "2026-11-26T11:23:00.000Z");
    // An hour later (and not within a quarter hour's bucket of it), the same.
    for later in [5, 17, 61, 600] {
        assert_eq!(alert(now() + later * MICROS_PER_MINUTE).since, a.since, "{later} minutes later");
    }
    // Before the $2, the warning, since the 80% line was crossed.
    let w = evaluate(&m, now() - 40 * MICROS_PER_MINUTE, &th).into_iter().find(|a| a.rule == Rule::CostBudget).unwrap();
    assert_eq!((w.severity, format_rfc3339(w.since).as_str()), (Severity::Low, "2026-11-26T09:07:00.000Z"));
}
