//! Alert rules, evaluated by the pure core from the fold and a `now`.
//!
//! Every rule looks at a window (the minute `now` is in and the `window` whole
//! minutes before it) and fires when its value is strictly beyond its threshold;
//! the rules about requests and calls wait for a minimum number of them in the
//! window, so one failure in a quiet minute pages nobody. An alert's `since` is
//! found by evaluating the same rule a minute earlier, and earlier, while it held:
//! the same answer for a one-shot `--alerts` check and for the live view.
//! heartbeat_lost is the exception: it looks at each process's last heartbeat,
//! and knows since when it holds.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::budget::{self, Budget};
use crate::metrics::exact;
use crate::metrics::window::Bucket;
use crate::metrics::{Count, Metrics};
use crate::time::{MICROS_PER_MINUTE, MICROS_PER_SECOND, Micros};

/// How far back `since` is searched, in minutes (the ring keeps two hours).
const SINCE_SEARCH_MINUTES: i64 = 60;
/// Resolved alerts kept in the history.
pub const RESOLVED_HISTORY: usize = 100;

/// The thresholds of every rule. Defaults are the user guide's.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Minutes in the window (the current minute so far is added).
    pub window_minutes: i64,
    /// Requests (or tool calls) a window needs before request rules judge it.
    pub min_samples: u64,
    /// error_rate fires when failed / all agent requests exceeds this percent.
    pub error_rate_pct: f64,
    /// response_time fires when the mean response time exceeds this (ms).
    pub response_time_ms: f64,
    /// failure_count fires when failed requests exceed this.
    pub failure_count: u64,
    /// error_spike fires when error events reach this many times the usual rate...
    pub spike_factor: f64,
    /// ...and at least this many.
    pub spike_min_errors: u64,
    /// tool_failure fires when a tool's success rate is below this percent.
    pub tool_success_pct: f64,
    /// heartbeat_lost fires when a process that sent heartbeats has sent none
    /// for longer than this (seconds).
    pub heartbeat_timeout_s: i64,
    /// Per-agent overrides.
    pub agents: BTreeMap<String, AgentThresholds>,
    /// Daily budgets, for cost_budget.
    pub budget: Budget,
}

/// Thresholds one agent overrides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentThresholds {
    pub error_rate_pct: Option<f64>,
    pub response_time_ms: Option<f64>,
    pub failure_count: Option<u64>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            window_minutes: 5,
            min_samples: 5,
            error_rate_pct: 10.0,
            response_time_ms: 5000.0,
            failure_count: 10,
            spike_factor: 3.0,
            spike_min_errors: 5,
            tool_success_pct: 90.0,
            heartbeat_timeout_s: 180,
            agents: BTreeMap::new(),
            budget: Budget::default(),
        }
    }
}

impl Thresholds {
    /// An agent's error rate (percent), response time (ms) and failure count
    /// limits: its own where set, else everyone's.
    pub fn for_agent(&self, agent: &str) -> (f64, f64, u64) {
        let o = self.agents.get(agent);
        (
            o.and_then(|o| o.error_rate_pct).unwrap_or(self.error_rate_pct),
            o.and_then(|o| o.response_time_ms).unwrap_or(self.response_time_ms),
            o.and_then(|o| o.failure_count).unwrap_or(self.failure_count),
        )
    }
}

/// The rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    ErrorRate,
    ResponseTime,
    FailureCount,
    ErrorSpike,
    ToolFailure,
    HeartbeatLost,
    CostBudget,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::ErrorRate => "error_rate",
            Rule::ResponseTime => "response_time",
            Rule::FailureCount => "failure_count",
            Rule::ErrorSpike => "error_spike",
            Rule::ToolFailure => "tool_failure",
            Rule::HeartbeatLost => "heartbeat_lost",
            Rule::CostBudget => "cost_budget",
        }
    }
}

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// The scope of the rules that cover all agents at once.
pub const ALL: &str = "all";

/// A firing alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub rule: Rule,
    /// The agent, tool or process it is about, or "all".
    pub scope: String,
    pub severity: Severity,
    /// The observed value and the threshold it crossed, in the rule's unit
    /// (percent, milliseconds, seconds of silence, a count).
    pub value: f64,
    pub threshold: f64,
    /// One line, e.g. "ChatAgent success rate 85.0% < 90% over 5m".
    pub message: String,
    /// The earliest minute it is known to have held without a break.
    #[serde(serialize_with = "crate::time::serialize_rfc3339")]
    pub since: Micros,
}

impl Alert {
    /// Why it stopped firing at `now`: `retired` for a `heartbeat_lost` past
    /// [`HEARTBEAT_RETIRED_AFTER`] of silence (the process is no longer watched:
    /// it did not come back), else `cleared`.
    pub fn resolution(&self, now: Micros) -> &'static str {
        resolution(self.rule, self.since, self.threshold, now)
    }

    /// Identifies the alert across evaluations.
    pub fn key(&self) -> (Rule, String) {
        (self.rule, self.scope.clone())
    }
}

/// `part` as a percent of `whole`, from the unrounded weighted counts.
fn pct(part: Count, whole: Count) -> f64 {
    part.get() * 100.0 / whole.get()
}

fn fmt_pct(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}%") } else { format!("{v:.1}%") }
}

fn fmt_secs(ms: f64) -> String {
    let s = ms / 1000.0;
    if s.fract() == 0.0 { format!("{s:.0}s") } else { format!("{s:.2}s") }
}

/// A rule's verdict on one scope at one instant, before `since` is known.
struct Firing {
    severity: Severity,
    value: f64,
    threshold: f64,
    message: String,
    /// When the rule knows when it began to hold (a budget's crossing, to the
    /// minute); else `evaluate` looks back minute by minute.
    since: Option<Micros>,
}

/// Evaluates the request rules of one agent (or of all, with `scope` "all").
fn request_rules(rule: Rule, scope: &str, w: &Bucket, th: &Thresholds, span: &str) -> Option<Firing> {
    if w.requests < th.min_samples {
        return None;
    }
    let (max_error_pct, max_ms, max_failures) =
        if scope == ALL { (th.error_rate_pct, th.response_time_ms, th.failure_count) } else { th.for_agent(scope) };
    let who = if scope == ALL { "all agents" } else { scope };
    match rule {
        Rule::ErrorRate => {
            let error_pct = pct(w.failures, w.requests);
            (error_pct > max_error_pct).then(|| Firing {
                severity: Severity::High,
                value: error_pct,
                threshold: max_error_pct,
                message: format!(
                    "{who} success rate {} < {} over {span}",
                    fmt_pct(100.0 - error_pct),
                    fmt_pct(100.0 - max_error_pct)
                ),
                since: None,
            })
        }
        Rule::ResponseTime => {
            let mean = exact::ms(w.latency_sum_ns) / w.requests.get();
            (mean > max_ms).then(|| Firing {
                severity: Severity::Medium,
                value: mean,
                threshold: max_ms,
                message: format!("{who} average response time {} > {} over {span}", fmt_secs(mean), fmt_secs(max_ms)),
                since: None,
            })
        }
        Rule::FailureCount => (w.failures > max_failures).then(|| Firing {
            severity: Severity::High,
            value: w.failures.get(),
            threshold: max_failures as f64,
            message: format!("{who} {} failed requests > {max_failures} over {span}", w.failures),
            since: None,
        }),
        _ => None,
    }
}

/// Evaluates one rule on one scope at instant `t`.
fn check(m: &Metrics, t: Micros, th: &Thresholds, rule: Rule, scope: &str) -> Option<Firing> {
    let minutes = th.window_minutes;
    let span = format!("{minutes}m");
    match rule {
        Rule::ErrorRate | Rule::ResponseTime | Rule::FailureCount => {
            let w = if scope == ALL { m.ring.window(t, minutes) } else { m.agents.get(scope)?.ring.window(t, minutes) };
            request_rules(rule, scope, &w, th, &span)
        }
        Rule::ToolFailure => {
            let w = m.tools.get(scope)?.ring.window(t, minutes);
            if w.requests < th.min_samples {
                return None;
            }
            let success = pct(w.requests - w.failures, w.requests);
            (success < th.tool_success_pct).then(|| Firing {
                severity: Severity::Medium,
                value: success,
                threshold: th.tool_success_pct,
                message: format!(
                    "{scope} success rate {} < {} over {span}",
                    fmt_pct(success),
                    fmt_pct(th.tool_success_pct)
                ),
                since: None,
            })
        }
        Rule::ErrorSpike => {
            let window_buckets = minutes + 1;
            if spike_baseline_missing(m, t, minutes) {
                return None;
            }
            let errors = m.ring.sum(t, 0, window_buckets).errors;
            // The hour before the window, as an average per window length.
            let before = m.ring.sum(t, window_buckets, 60).errors;
            let usual = before as f64 * window_buckets as f64 / 60.0;
            let needed = (th.spike_factor * usual).max(th.spike_min_errors as f64);
            (errors as f64 >= needed && errors >= th.spike_min_errors).then(|| Firing {
                severity: Severity::High,
                value: errors as f64,
                threshold: needed,
                message: format!(
                    "{errors} errors over {span}, usually {usual:.1} (fires at {}x and at least {})",
                    th.spike_factor, th.spike_min_errors
                ),
                since: None,
            })
        }
        Rule::HeartbeatLost => heartbeat_lost(m, t, th, scope),
        Rule::CostBudget => {
            let (budget, who) = match scope {
                ALL => (th.budget.daily_usd?, "all agents".to_owned()),
                agent => (*th.budget.agents.get(agent)?, agent.to_owned()),
            };
            let agent = (scope != ALL).then_some(scope);
            let f = budget::figures(m, agent, t, th.budget.utc_offset_seconds);
            let spent = f.today.cost_usd();
            let warn_at = budget * th.budget.warn_at_pct / 100.0;
            if spent > budget {
                Some(Firing {
                    severity: Severity::Medium,
                    value: spent,
                    threshold: budget,
                    message: format!("{who} spent ${spent:.2} today > daily budget ${budget:.2}"),
                    since: budget::crossed_at(m, agent, t, th.budget.utc_offset_seconds, budget, false),
                })
            } else if spent >= warn_at {
                Some(Firing {
                    severity: Severity::Low,
                    value: spent,
                    threshold: warn_at,
                    message: format!(
                        "{who} spent ${spent:.2} today, {:.0}% of the ${budget:.2} daily budget",
                        spent * 100.0 / budget
                    ),
                    since: budget::crossed_at(m, agent, t, th.budget.utc_offset_seconds, warn_at, true),
                })
            } else if f.projected_today > budget {
                Some(Firing {
                    severity: Severity::Low,
                    value: f.projected_today,
                    threshold: budget,
                    message: format!(
                        "{who} on course for ${:.2} today > daily budget ${budget:.2} (burning ${:.2}/h)",
                        f.projected_today, f.burn_per_hour
                    ),
                    since: None,
                })
            } else {
                None
            }
        }
    }
}

/// A process silent for longer than this is taken as retired (moved, renamed,
/// shut down for good), not down: it no longer fires. Without a bound, every
/// worker ever run would page for ever.
pub const HEARTBEAT_RETIRED_AFTER: Micros = 24 * 60 * MICROS_PER_MINUTE;

/// Why an alert of `rule` that held since `since` with `threshold` stopped at
/// `now` (see [`Alert::resolution`]): a `heartbeat_lost` holds from the last
/// beat plus the timeout (its threshold, in seconds), and retires a day after
/// that beat.
pub fn resolution(rule: Rule, since: Micros, threshold: f64, now: Micros) -> &'static str {
    let last_beat = since - (threshold * MICROS_PER_SECOND as f64) as Micros;
    if rule == Rule::HeartbeatLost && now - last_beat > HEARTBEAT_RETIRED_AFTER { "retired" } else { "cleared" }
}

/// heartbeat_lost for one process: its last heartbeat is older than the
/// timeout (and younger than [`HEARTBEAT_RETIRED_AFTER`]), and did not say it
/// was stopping. It holds since its
/// last beat plus the timeout, exactly.
fn heartbeat_lost(m: &Metrics, t: Micros, th: &Thresholds, process: &str) -> Option<Firing> {
    // A process that said it was stopping is not lost.
    let beat = m.heartbeats.get(process).filter(|beat| !beat.stopped)?;
    let silent = t - beat.ts;
    let timeout = th.heartbeat_timeout_s * MICROS_PER_SECOND;
    if silent <= timeout || silent > HEARTBEAT_RETIRED_AFTER {
        return None;
    }
    let host = beat.host.as_deref().map(|h| format!(" on {h}")).unwrap_or_default();
    Some(Firing {
        severity: Severity::High,
        value: silent as f64 / MICROS_PER_SECOND as f64,
        threshold: th.heartbeat_timeout_s as f64,
        message: format!(
            "{process}{host} sent no heartbeat for {} (> {})",
            crate::time::human_duration(silent),
            crate::time::human_duration(timeout)
        ),
        since: Some(beat.ts + timeout),
    })
}

/// Every (rule, scope) worth checking in this state.
fn candidates(m: &Metrics, th: &Thresholds) -> Vec<(Rule, String)> {
    let mut out = Vec::new();
    for rule in [Rule::ErrorRate, Rule::ResponseTime, Rule::FailureCount] {
        if rule == Rule::ErrorRate {
            out.push((rule, ALL.to_owned()));
        }
        out.extend(m.agents.keys().map(|a| (rule, a.clone())));
    }
    out.push((Rule::ErrorSpike, ALL.to_owned()));
    out.extend(m.tools.keys().map(|t| (Rule::ToolFailure, t.clone())));
    out.extend(m.heartbeats.keys().map(|p| (Rule::HeartbeatLost, p.clone())));
    if th.budget.daily_usd.is_some() {
        out.push((Rule::CostBudget, ALL.to_owned()));
    }
    out.extend(th.budget.agents.keys().map(|a| (Rule::CostBudget, a.clone())));
    out
}

/// Minutes of history the error spike rule needs before its window: with less,
/// "usually" would be made up.
pub const SPIKE_BASELINE_MINUTES: i64 = 30;

/// Whether the log begins less than [`SPIKE_BASELINE_MINUTES`] before the
/// window ending at `t` (or is empty).
fn spike_baseline_missing(m: &Metrics, t: Micros, window_minutes: i64) -> bool {
    let window_start = (t.div_euclid(MICROS_PER_MINUTE) - window_minutes) * MICROS_PER_MINUTE;
    m.first_ts.is_none_or(|first| first > window_start - SPIKE_BASELINE_MINUTES * MICROS_PER_MINUTE)
}

/// A rule that could not be evaluated at an instant, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waiting {
    pub rule: Rule,
    pub scope: String,
    pub reason: String,
}

/// The rules that wait at `now` instead of evaluating, with the reason.
pub fn waiting(m: &Metrics, now: Micros, th: &Thresholds) -> Vec<Waiting> {
    let mut out = Vec::new();
    if spike_baseline_missing(m, now, th.window_minutes) {
        out.push(Waiting {
            rule: Rule::ErrorSpike,
            scope: ALL.to_owned(),
            reason: format!(
                "no baseline yet: the log needs {SPIKE_BASELINE_MINUTES} minutes of history before the {}m window",
                th.window_minutes
            ),
        });
    }
    out
}

/// The alerts firing at `now`, most severe first, then by rule and scope.
pub fn evaluate(m: &Metrics, now: Micros, th: &Thresholds) -> Vec<Alert> {
    let mut alerts: Vec<Alert> = candidates(m, th)
        .into_iter()
        .filter_map(|(rule, scope)| {
            let firing = check(m, now, th, rule, &scope)?;
            let since = firing.since.unwrap_or_else(|| {
                let mut since = now;
                for k in 1..=SINCE_SEARCH_MINUTES {
                    let earlier = now - k * MICROS_PER_MINUTE;
                    if check(m, earlier, th, rule, &scope).is_none() {
                        break;
                    }
                    since = earlier;
                }
                since
            });
            Some(Alert {
                rule,
                scope,
                severity: firing.severity,
                value: firing.value,
                threshold: firing.threshold,
                message: firing.message,
                since,
            })
        })
        .collect();
    sort(&mut alerts);
    alerts
}

/// Most severe first, then by rule and scope.
pub fn sort(alerts: &mut [Alert]) {
    alerts.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.rule.cmp(&b.rule)).then_with(|| a.scope.cmp(&b.scope)));
}

/// The most severe alert's severity, if any fires.
pub fn worst(alerts: &[Alert]) -> Option<Severity> {
    alerts.iter().map(|a| a.severity).max()
}

/// An alert that stopped holding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolved {
    pub alert: Alert,
    #[serde(serialize_with = "crate::time::serialize_rfc3339")]
    pub resolved_at: Micros,
}

/// A change worth telling someone about (the notification hook).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Transition {
    Firing {
        alert: Alert,
    },
    /// `reason`: see [`Alert::resolution`].
    Resolved {
        alert: Alert,
        resolved_at: String,
        reason: &'static str,
    },
}

/// A firing alert as the live view tracks it.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracked {
    pub alert: Alert,
    /// Acknowledged: still listed, but no longer calls for attention.
    pub acknowledged: bool,
    /// Silenced until then: hidden, and counted as silenced.
    pub silenced_until: Option<Micros>,
}

/// The alerts over time: which fire, which were acknowledged or silenced, and
/// which resolved. Fed by [`evaluate`] at each instant; the TUI binds keys to
/// [`AlertBook::acknowledge`] and [`AlertBook::silence`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertBook {
    firing: BTreeMap<(Rule, String), Tracked>,
    resolved: VecDeque<Resolved>,
}

impl AlertBook {
    /// Takes the alerts firing at `now`; returns what started and what resolved.
    pub fn update(&mut self, alerts: Vec<Alert>, now: Micros) -> Vec<Transition> {
        let mut transitions = Vec::new();
        let mut next = BTreeMap::new();
        for alert in alerts {
            let key = alert.key();
            let tracked = match self.firing.remove(&key) {
                Some(mut t) => {
                    t.alert = Alert { since: t.alert.since.min(alert.since), ..alert };
                    t
                }
                None => {
                    transitions.push(Transition::Firing { alert: alert.clone() });
                    Tracked { alert, acknowledged: false, silenced_until: None }
                }
            };
            next.insert(key, tracked);
        }
        for (_, gone) in std::mem::replace(&mut self.firing, next) {
            transitions.push(Transition::Resolved {
                reason: gone.alert.resolution(now),
                alert: gone.alert.clone(),
                resolved_at: crate::time::format_rfc3339(now),
            });
            if self.resolved.len() == RESOLVED_HISTORY {
                self.resolved.pop_front();
            }
            self.resolved.push_back(Resolved { alert: gone.alert, resolved_at: now });
        }
        transitions
    }

    /// Marks a firing alert acknowledged; false if it is not firing.
    pub fn acknowledge(&mut self, rule: Rule, scope: &str) -> bool {
        self.firing.get_mut(&(rule, scope.to_owned())).map(|t| t.acknowledged = true).is_some()
    }

    /// Hides a firing alert until `until`; false if it is not firing.
    pub fn silence(&mut self, rule: Rule, scope: &str, until: Micros) -> bool {
        self.firing.get_mut(&(rule, scope.to_owned())).map(|t| t.silenced_until = Some(until)).is_some()
    }

    /// Firing alerts not silenced at `now`, most severe first.
    pub fn visible(&self, now: Micros) -> Vec<&Tracked> {
        let mut v: Vec<&Tracked> =
            self.firing.values().filter(|t| t.silenced_until.is_none_or(|until| until <= now)).collect();
        v.sort_by(|a, b| b.alert.severity.cmp(&a.alert.severity).then(a.alert.rule.cmp(&b.alert.rule)));
        v
    }

    /// Until when the alert of `key` is silenced, if it is at `now`.
    pub fn silenced_key(&self, key: &(Rule, String), now: Micros) -> Option<Micros> {
        self.firing.get(key).and_then(|t| t.silenced_until).filter(|until| *until > now)
    }

    /// How many firing alerts are silenced at `now`.
    pub fn silenced(&self, now: Micros) -> usize {
        self.firing.values().filter(|t| t.silenced_until.is_some_and(|until| until > now)).count()
    }

    /// Resolved alerts, oldest first.
    pub fn resolved(&self) -> &VecDeque<Resolved> {
        &self.resolved
    }
}

#[cfg(test)]
mod tests;
