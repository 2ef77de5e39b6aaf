//! What the panes draw: a snapshot of the fold at an instant, built once per
//! change, never in render.

use std::collections::BTreeMap;

use crate::alerts::Thresholds;
use crate::fold::Fold;
use crate::metrics::recent::Recent;
use crate::metrics::{ErrorRecord, Failure};
use crate::report::{self, Report};
use crate::time::{MICROS_PER_SECOND, Micros};
use crate::traces::{SpanNode, TraceSummary};

/// Minutes of history in the charts.
pub const CHART_MINUTES: i64 = 60;

/// A failure, ready to show.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureLine {
    pub ts: Micros,
    pub by: String,
    pub what: String,
}

/// A span in the opened trace's tree: depth, the span, whether its parent never
/// arrived; depth-first.
pub type PlacedSpan = (usize, SpanNode, bool);

/// The snapshot the panes render.
#[derive(Debug, Clone)]
pub struct View {
    pub report: Report,
    pub now: Micros,
    /// Frozen at `now` (post-mortem with --now, or paused by key).
    pub frozen: bool,
    /// Per minute, oldest first, over the last hour.
    pub requests_per_minute: Vec<u64>,
    pub failures_per_minute: Vec<u64>,
    pub errors_per_minute: Vec<u64>,
    pub cost_per_minute: Vec<f64>,
    /// Per agent, per minute over the last hour: requests and mean latency (ms).
    pub agent_requests: BTreeMap<String, Vec<u64>>,
    pub agent_latency_ms: BTreeMap<String, Vec<u64>>,
    /// Per agent, the tools it called and the models it used (by name).
    pub agent_tools: BTreeMap<String, Vec<String>>,
    pub agent_models: BTreeMap<String, Vec<String>>,
    /// Recent failures of each tool and agent, newest first.
    pub tool_failures: BTreeMap<String, Vec<FailureLine>>,
    pub agent_failures: BTreeMap<String, Vec<FailureLine>>,
    /// Recent error events with their context, newest first.
    pub recent_errors: Vec<ErrorRecord>,
    /// Events read per second, as measured by the shell.
    pub events_per_second: f64,
    /// Seconds since the newest event.
    pub last_event_age_s: Option<f64>,
    /// Bytes written to the logs but not read yet.
    pub lag_bytes: u64,
    /// Recent traces, newest first.
    pub traces: Vec<TraceSummary>,
    /// The opened trace: its id and its spans as a tree.
    pub trace: Option<(u128, Vec<PlacedSpan>)>,
    /// Every session the fold keeps, most recently active first (filled by
    /// [`View::attach_sessions`] only while the Sessions tab shows them).
    pub sessions: Vec<crate::report::SessionReport>,
    /// The alerts firing under the thresholds in force (the report's alerts
    /// follow the editor's draft while it previews one).
    pub alerts_in_force: Vec<crate::alerts::Alert>,
}

fn lines(recent: &Recent<Failure>) -> Vec<FailureLine> {
    recent
        .iter()
        .rev()
        .map(|f| FailureLine {
            ts: f.ts,
            by: f.by.clone().unwrap_or_default(),
            what: [f.error_type.as_deref(), f.message.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(": "),
        })
        .collect()
}

impl View {
    /// Builds the view of `fold` at `now`.
    pub fn build(fold: &Fold, now: Micros, generated_at: Micros, thresholds: &Thresholds, frozen: bool) -> View {
        let report = report::build(fold, now, generated_at, thresholds);
        let alerts_in_force = report.alerts.clone();
        let m = &fold.metrics;
        let series = m.ring.series(now, CHART_MINUTES);
        let cost_per_minute = (0..CHART_MINUTES)
            .map(|k| {
                let t = now - (CHART_MINUTES - 1 - k) * crate::time::MICROS_PER_MINUTE;
                report::windowed_spend(m, t, 0).cost_usd()
            })
            .collect();
        View {
            now,
            frozen,
            requests_per_minute: series.iter().map(|b| b.requests.whole()).collect(),
            failures_per_minute: series.iter().map(|b| b.failures.whole()).collect(),
            errors_per_minute: series.iter().map(|b| b.errors).collect(),
            cost_per_minute,
            agent_requests: m
                .agents
                .iter()
                .map(|(k, a)| {
                    (k.clone(), a.ring.series(now, CHART_MINUTES).iter().map(|b| b.requests.whole()).collect())
                })
                .collect(),
            agent_latency_ms: m
                .agents
                .iter()
                .map(|(k, a)| {
                    let series = a.ring.series(now, CHART_MINUTES);
                    let mean = |b: &crate::metrics::window::Bucket| {
                        if b.requests.is_zero() {
                            0
                        } else {
                            (crate::metrics::exact::ms(b.latency_sum_ns) / b.requests.get()) as u64
                        }
                    };
                    (k.clone(), series.iter().map(mean).collect())
                })
                .collect(),
            agent_tools: m
                .agents
                .iter()
                .filter(|(_, a)| !a.tools_used.is_empty())
                .map(|(name, a)| (name.clone(), a.tools_used.iter().map(str::to_owned).collect()))
                .collect(),
            agent_models: m
                .agents
                .iter()
                .map(|(name, a)| {
                    let mut models: Vec<String> = a
                        .request_spend_by_model
                        .keys()
                        .cloned()
                        .chain(a.models_used.iter().map(str::to_owned))
                        .collect();
                    models.sort();
                    models.dedup();
                    (name.clone(), models)
                })
                .collect(),
            tool_failures: m.tools.iter().map(|(k, t)| (k.clone(), lines(&t.recent_failures))).collect(),
            agent_failures: m.agents.iter().map(|(k, a)| (k.clone(), lines(&a.recent_failures))).collect(),
            recent_errors: m.errors.recent.iter().rev().cloned().collect(),
            events_per_second: 0.0,
            last_event_age_s: m.last_ts.map(|t| (now - t).max(0) as f64 / MICROS_PER_SECOND as f64),
            lag_bytes: 0,
            traces: fold.traces.summaries(),
            trace: None,
            sessions: Vec::new(),
            alerts_in_force,
            report,
        }
    }

    /// Adds the tree of trace `id` (the one the Traces tab opened).
    /// Fills `sessions` with every session the fold keeps (up to 1,000 rows:
    /// built only for the Sessions tab, not on every rebuild).
    pub fn attach_sessions(&mut self, fold: &Fold) {
        let m = &fold.metrics;
        self.sessions = report::sessions_by_recency(m, crate::metrics::MAX_SESSIONS)
            .into_iter()
            .map(|(id, s)| report::session_report(id, s, &m.sessions))
            .collect();
    }

    pub fn attach_trace(&mut self, fold: &Fold, id: u128) {
        self.trace = fold
            .traces
            .get(id)
            .map(|t| (id, crate::traces::tree(t).into_iter().map(|p| (p.depth, p.span.clone(), p.orphan)).collect()));
    }
}
