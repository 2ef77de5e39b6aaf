//! The report: a plain-data snapshot of the fold at an instant, serialised as the
//! JSON report (`docs/report-json.md`) and rendered as Markdown.
//!
//! Building it is pure: the fold, the instant and the time of generation go in,
//! data comes out. Token and cost attribution (see `docs/event-log.md`) happens
//! here, so that the fold itself stays a plain, mergeable sum.

pub mod markdown;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::alerts::{self, Alert, Severity, Thresholds};
use crate::budget;
use crate::fold::Fold;
use crate::metrics::{Count, Metrics, SessionStats, Sessions, Spend, exact};
use crate::time::{MICROS_PER_SECOND, Micros, format_rfc3339};

/// The `schema` value of this report format.
pub const SCHEMA: &str = "ajentik.report/1";
/// The name that stands for "no agent" or "no model" in the cost breakdowns.
pub const NONE_NAME: &str = "(none)";
/// Minutes in the window behind `recent_errors` and active agents.
pub const RECENT_MINUTES: i64 = 5;
/// A heartbeat older than this is not live.
pub const HEARTBEAT_LIVE_SECONDS: i64 = 90;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub schema: &'static str,
    pub generated_at: String,
    pub now: String,
    pub sources: Vec<SourceReport>,
    pub ingest: IngestReport,
    pub health: Health,
    /// Firing alerts, most severe first.
    pub alerts: Vec<Alert>,
    /// Rules that could not be evaluated yet, and why.
    pub alerts_waiting: Vec<alerts::Waiting>,
    pub agents: Vec<AgentReport>,
    pub tools: Vec<ToolReport>,
    pub models: Vec<ModelReport>,
    pub errors: ErrorsReport,
    pub cost: CostReport,
    pub spans: Vec<SpanReport>,
    pub sessions: SessionsReport,
    /// Whether any figure rests on sampled events (then counts, tokens and cost
    /// are estimates: each kept event counts as 1 / its sample rate).
    pub sampled: bool,
    /// Names folded into the `(other)` row of each kind, past its limit.
    pub folded_names: crate::metrics::Folded,
    /// How the notification hook has fared (following, with a hook configured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notifications: Option<NotifyStats>,
}

/// How the notification hook has fared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NotifyStats {
    /// Commands that ran and exited with status 0.
    pub sent: u64,
    /// Commands that failed, timed out, could not start, or were dropped.
    pub failed: u64,
    /// The most recent failure, one line.
    pub last_error: Option<String>,
}

/// What was read from one log: the fold's own count, as it is.
pub type SourceStats = crate::fold::SourceStats;

/// A row of `sources`: one file, or (with `files`) the clean files of one folder,
/// with their figures summed.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SourceReport {
    #[serde(flatten)]
    pub stats: SourceStats,
    /// How many files this row sums up: present only on a folder's summary row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
}

/// A folder with more clean files than this is summed up in one row.
pub const SUMMARY_FROM: usize = 20;

/// The rows of `sources`: a file with anything to say (an error, malformed lines,
/// a truncation or rotation, being a copy) has its own row; a folder's other files, when there
/// are more than [`SUMMARY_FROM`] of them, share one row in the place of the first,
/// so a report on 5,000 files stays readable.
pub fn source_rows(sources: &[SourceStats]) -> Vec<SourceReport> {
    let clean = |s: &SourceStats| {
        s.error.is_none() && s.malformed == 0 && s.truncations == 0 && s.rotations == 0 && s.copy_of.is_none()
    };
    let folder =
        |s: &SourceStats| std::path::Path::new(&s.path).parent().map(|p| p.display().to_string()).unwrap_or_default();
    let mut per_folder: HashMap<String, usize> = HashMap::new();
    for s in sources.iter().filter(|s| clean(s)) {
        *per_folder.entry(folder(s)).or_default() += 1;
    }
    let mut rows: Vec<SourceReport> = Vec::new();
    let mut summary_row: HashMap<String, usize> = HashMap::new();
    for s in sources {
        let dir = folder(s);
        if !clean(s) || per_folder.get(&dir).copied().unwrap_or(0) <= SUMMARY_FROM {
            rows.push(SourceReport { stats: s.clone(), files: None });
            continue;
        }
        let at = *summary_row.entry(dir.clone()).or_insert_with(|| {
            let stats = SourceStats { path: dir, ..SourceStats::default() };
            rows.push(SourceReport { stats, files: Some(0) });
            rows.len() - 1
        });
        rows[at].stats.merge(s);
        rows[at].files = rows[at].files.map(|n| n + 1);
    }
    rows
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IngestReport {
    pub events: u64,
    pub malformed: u64,
    pub unknown: u64,
    pub unsupported: u64,
    /// Valid events stamped after `now`, left out (only with `--now`).
    pub after_now: u64,
    /// Valid events whose clock was wrong (too far ahead, or before 2000), left out.
    pub clock_skew: u64,
    pub recent_clock_skew: Vec<MalformedReport>,
    pub recent_malformed: Vec<MalformedReport>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MalformedReport {
    pub source: String,
    pub line: u64,
    pub reason: String,
}

/// healthy, degraded or unhealthy.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Healthy,
    Degraded,
    Unhealthy,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Healthy => "healthy",
            Status::Degraded => "degraded",
            Status::Unhealthy => "unhealthy",
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Health {
    pub status: Status,
    pub uptime_s: Option<f64>,
    pub total_requests: u64,
    pub success_rate: Option<f64>,
    pub active_agents: u64,
    pub recent_errors: u64,
    pub rss_bytes: Option<i64>,
    pub cpu_percent: Option<f64>,
    /// Agent requests, failures and mean response time over the recent window.
    pub recent_requests: u64,
    pub recent_failures: u64,
    pub recent_avg_response_time_ms: Option<f64>,
    /// Writer processes whose heartbeat is live.
    pub live_processes: u64,
    pub last_event_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AgentReport {
    pub name: String,
    pub total_requests: u64,
    pub successes: u64,
    pub failures: u64,
    pub success_rate: Option<f64>,
    pub avg_response_time_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub tokens: u64,
    pub cost_usd: f64,
    /// Model calls naming the agent that reported no cost and could not be
    /// priced: its `cost_usd` leaves them out.
    pub unpriced_calls: u64,
    /// Estimated from sampled events.
    pub sampled: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ToolReport {
    pub name: String,
    pub usage_count: u64,
    pub successes: u64,
    pub failures: u64,
    pub success_rate: Option<f64>,
    pub avg_execution_time_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub sampled: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ModelReport {
    pub name: String,
    pub requests: u64,
    pub failures: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub tokens: u64,
    /// Parts of the input tokens read from and written to the prompt cache...
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    /// ...and the part of the output tokens spent reasoning.
    pub reasoning_tokens: u64,
    /// Web searches the provider ran for these calls (priced by the search).
    pub web_search_requests: u64,
    /// Cache reads as a percent of input tokens.
    pub cache_hit_pct: Option<f64>,
    /// What the cache reads would have cost as plain input, minus what they cost
    /// (at the model's price; `null` when it has none).
    pub cache_savings_usd: Option<f64>,
    pub avg_latency_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub cost_usd: f64,
    pub sampled: bool,
    /// Calls that reported no cost and were priced from their tokens...
    pub priced_calls: u64,
    /// ...and those that could not be (no known price, or no tokens).
    pub unpriced_calls: u64,
    /// The price used for those calls, if the model's name matched one.
    pub price: Option<PriceReport>,
}

/// A price, US dollars per million tokens, and where it came from.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PriceReport {
    pub input_per_million: f64,
    pub output_per_million: f64,
    /// Cache reads (the older name is kept for readers of report/1).
    pub cached_input_per_million: Option<f64>,
    pub cache_write_per_million: Option<f64>,
    pub cache_write_1h_per_million: Option<f64>,
    /// Web searches, US dollars per thousand.
    pub web_search_per_thousand: Option<f64>,
    pub source: String,
    pub as_of: String,
}

/// Model calls that could not be priced.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnpricedModel {
    pub model: String,
    pub calls: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ErrorsReport {
    pub total: u64,
    pub by_type: Vec<ErrorTypeCount>,
    pub by_component: Vec<ComponentCount>,
    /// Newest first.
    pub recent: Vec<RecentError>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ErrorTypeCount {
    pub error_type: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComponentCount {
    pub component: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecentError {
    pub ts: String,
    pub component: String,
    pub error_type: String,
    pub message: String,
    pub agent: Option<String>,
    pub context: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CostReport {
    pub total_usd: f64,
    pub tokens: u64,
    pub by_model: Vec<CostLine>,
    pub by_agent: Vec<CostLine>,
    /// Model calls that reported no cost and could not be priced: their cost is
    /// unknown, not zero.
    pub unpriced_calls: u64,
    pub unpriced: Vec<UnpricedModel>,
    /// Spend since the start of the day (UTC, or local as configured).
    pub today_usd: f64,
    pub today_tokens: u64,
    pub day_start: String,
    pub last_hour_usd: f64,
    /// At the last hour's pace.
    pub burn_rate_usd_per_hour: f64,
    /// Today's spend plus the burn rate for the rest of the day.
    pub projected_today_usd: f64,
    pub daily_budget_usd: Option<f64>,
    /// Today's spend as a percent of the daily budget.
    pub budget_used_pct: Option<f64>,
    pub agent_budgets: Vec<AgentBudget>,
}

/// One agent's daily budget and what it spent today.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AgentBudget {
    pub agent: String,
    pub daily_budget_usd: f64,
    pub today_usd: f64,
    pub used_pct: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CostLine {
    pub name: String,
    pub cost_usd: f64,
    pub tokens: u64,
    /// Its model calls that could not be priced, left out of `cost_usd`.
    pub unpriced_calls: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpanReport {
    pub name: String,
    pub count: u64,
    pub failures: u64,
    pub avg_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub sampled: bool,
}

/// Sessions in the report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SessionsReport {
    /// Sessions seen (kept, plus those forgotten to bound memory).
    pub total: u64,
    /// Sessions the fold holds in full.
    pub kept: u64,
    /// Most recently active first, at most [`REPORT_SESSIONS`].
    pub recent: Vec<SessionReport>,
}

/// Sessions listed in the JSON report.
pub const REPORT_SESSIONS: usize = 100;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SessionReport {
    pub id: String,
    pub agents: Vec<String>,
    pub models: Vec<String>,
    pub first_ts: String,
    pub last_ts: String,
    pub requests: u64,
    pub model_calls: u64,
    pub tool_calls: u64,
    pub failures: u64,
    pub errors: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cost_usd: f64,
    /// Its model calls that could not be priced, left out of `cost_usd`.
    pub unpriced_calls: u64,
    /// The project (working directory) a coding agent's session worked in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The git branch it worked on, beside its project.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_branch: Option<String>,
}

impl SessionReport {
    /// Where a coding agent's session worked, in short: its project's folder
    /// name, and its branch in parentheses (`acme-api (main)`).
    pub fn place(&self) -> Option<String> {
        let path = self.project.as_deref()?;
        let folder = path.rsplit(['/', '\\']).find(|c| !c.is_empty()).unwrap_or(path);
        Some(match &self.git_branch {
            Some(branch) => format!("{folder} ({branch})"),
            None => folder.to_owned(),
        })
    }
}

/// `part` as a percent of `whole`, from the unrounded weighted counts.
fn rate(part: Count, whole: Count) -> Option<f64> {
    (!whole.is_zero()).then(|| part.get() * 100.0 / whole.get())
}

/// Sorts by a count, most first, then by name.
fn sort_by_count<T>(items: &mut [T], key: impl Fn(&T) -> (f64, &str)) {
    items.sort_by(|a, b| {
        let (ca, na) = key(a);
        let (cb, nb) = key(b);
        cb.total_cmp(&ca).then_with(|| na.cmp(nb))
    });
}

/// Spend attributed to each model: its calls' ledger, plus the agent requests of
/// agents that no model call names. `None` is the "(none)" model.
fn model_spend(m: &Metrics) -> BTreeMap<Option<&str>, Spend> {
    let mut out: BTreeMap<Option<&str>, Spend> = BTreeMap::new();
    for (name, model) in &m.models {
        *out.entry(Some(name.as_str())).or_default() = model.ledger_spend;
    }
    for agent in m.agents.values().filter(|a| !a.named_by_model_call) {
        for (model, spend) in &agent.request_spend_by_model {
            let e = out.entry(Some(model.as_str())).or_default();
            e.merge(spend);
        }
        if agent.request_spend_no_model != Spend::default() {
            let e = out.entry(None).or_default();
            e.merge(&agent.request_spend_no_model);
        }
    }
    out
}

/// Cost and tokens in the `minutes` ending at `now`, attributed as the totals are.
pub fn windowed_spend(m: &Metrics, now: Micros, minutes: i64) -> Spend {
    let mut s = Spend::default();
    for a in m.agents.values() {
        let b = a.ring.window(now, minutes);
        let (t, c) =
            if a.named_by_model_call { (b.ledger_tokens, b.ledger_cost) } else { (b.request_tokens, b.request_cost) };
        s.add(t, c);
    }
    let b = m.unattributed_ring.window(now, minutes);
    s.add(b.ledger_tokens, b.ledger_cost);
    s
}

/// Health follows the alerts: unhealthy while a high alert fires, degraded while
/// a medium one does, else healthy.
pub fn status_of(alerts: &[Alert]) -> Status {
    match alerts::worst(alerts) {
        Some(Severity::High) => Status::Unhealthy,
        Some(Severity::Medium) => Status::Degraded,
        Some(Severity::Low) | None => Status::Healthy,
    }
}

fn health(m: &Metrics, now: Micros, alerts: &[Alert]) -> Health {
    let recent = m.ring.window(now, RECENT_MINUTES);
    let live: Vec<_> = m
        .heartbeats
        .values()
        .filter(|h| !h.stopped && now - h.ts <= HEARTBEAT_LIVE_SECONDS * MICROS_PER_SECOND)
        .collect();
    // Without a live heartbeat, the writers are taken to be up since the first
    // event only while events still come: a log whose writers stopped days ago
    // read an uptime of days (a Claude Code history, of 549 days).
    let since = now - RECENT_MINUTES * crate::time::MICROS_PER_MINUTE;
    let active = m.last_ts.is_some_and(|t| t > since);
    let started = live.iter().filter_map(|h| h.started_at).min().or(m.first_ts.filter(|_| active));
    let active_agents = if live.iter().any(|h| !h.agents.is_empty()) {
        let mut names: Vec<&str> = live.iter().flat_map(|h| h.agents.iter().map(String::as_str)).collect();
        names.sort_unstable();
        names.dedup();
        names.len() as u64
    } else {
        m.agents.values().filter(|a| a.last_seen > since).count() as u64
    };
    let sum_opt = |f: fn(&crate::metrics::Heartbeat) -> Option<f64>| {
        let vals: Vec<f64> = live.iter().filter_map(|h| f(h)).collect();
        (!vals.is_empty()).then(|| vals.iter().sum::<f64>())
    };
    let total_requests: Count = m.agents.values().map(|a| a.requests).sum();
    let successes: Count = m.agents.values().map(|a| a.successes).sum();
    Health {
        status: status_of(alerts),
        uptime_s: started.map(|s| (now - s).max(0) as f64 / MICROS_PER_SECOND as f64),
        total_requests: total_requests.whole(),
        success_rate: rate(successes, total_requests),
        active_agents,
        recent_errors: recent.errors,
        rss_bytes: sum_opt(|h| h.rss_bytes.map(|r| r as f64)).map(|r| r as i64),
        cpu_percent: sum_opt(|h| h.cpu_percent),
        recent_requests: recent.requests.whole(),
        recent_failures: recent.failures.whole(),
        recent_avg_response_time_ms: (!recent.requests.is_zero())
            .then(|| exact::ms(recent.latency_sum_ns) / recent.requests.get()),
        live_processes: live.len() as u64,
        last_event_at: m.last_ts.map(format_rfc3339),
    }
}

/// Builds the report of `fold` as of `now`; `generated_at` is when it was made.
pub fn build(fold: &Fold, now: Micros, generated_at: Micros, thresholds: &Thresholds) -> Report {
    let alerts = alerts::evaluate(&fold.metrics, now, thresholds);
    let m = &fold.metrics;
    let agents = agent_reports(m);
    let spend_by_model = model_spend(m);
    let (models, unpriced) = model_reports(m, &spend_by_model);
    let cost = cost_report(m, &spend_by_model, &agents, unpriced, now, thresholds);
    let sources = source_rows(&fold.ingest.sources);
    let ingest = ingest_report(&fold.ingest);
    let tools = tool_reports(m);
    let errors = errors_report(m);
    let spans = span_reports(m);
    Report {
        schema: SCHEMA,
        generated_at: format_rfc3339(generated_at),
        now: format_rfc3339(now),
        sources,
        ingest,
        health: health(m, now, &alerts),
        alerts,
        alerts_waiting: alerts::waiting(m, now, thresholds),
        agents,
        tools,
        models,
        errors,
        cost,
        spans,
        sessions: sessions(m),
        sampled: m.sampled,
        folded_names: m.folded,
        notifications: None,
    }
}

fn ingest_report(ing: &crate::fold::Ingest) -> IngestReport {
    let total = ing.total();
    IngestReport {
        events: total.events,
        malformed: total.malformed,
        unknown: total.unknown,
        unsupported: total.unsupported,
        after_now: ing.after_now,
        clock_skew: ing.clock_skew,
        recent_clock_skew: lines_of(ing, &ing.recent_clock_skew),
        recent_malformed: lines_of(ing, &ing.recent_malformed),
    }
}

/// Lines kept for display, with their source's path.
fn lines_of(
    ing: &crate::fold::Ingest,
    lines: &std::collections::VecDeque<crate::fold::MalformedLine>,
) -> Vec<MalformedReport> {
    lines
        .iter()
        .map(|b| MalformedReport {
            source: ing.sources.get(b.source).map(|s| s.path.clone()).unwrap_or_default(),
            line: b.line,
            reason: b.reason.clone(),
        })
        .collect()
}

fn agent_reports(m: &Metrics) -> Vec<AgentReport> {
    let mut agents: Vec<AgentReport> = m
        .agents
        .iter()
        .map(|(name, a)| {
            let spend = a.spend();
            AgentReport {
                name: name.clone(),
                total_requests: a.requests.whole(),
                successes: a.successes.whole(),
                failures: a.failures().whole(),
                success_rate: rate(a.successes, a.requests),
                avg_response_time_ms: a.latency.mean_ms(),
                p50_ms: a.latency.quantile_ms(0.50),
                p95_ms: a.latency.quantile_ms(0.95),
                p99_ms: a.latency.quantile_ms(0.99),
                tokens: spend.tokens,
                cost_usd: spend.cost_usd(),
                unpriced_calls: a.unpriced_calls.whole(),
                sampled: a.sampled,
            }
        })
        .collect();
    sort_by_count(&mut agents, |a| (a.total_requests as f64, &a.name));
    agents
}

fn tool_reports(m: &Metrics) -> Vec<ToolReport> {
    let mut tools: Vec<ToolReport> = m
        .tools
        .iter()
        .map(|(name, t)| ToolReport {
            name: name.clone(),
            usage_count: t.calls.whole(),
            successes: t.successes.whole(),
            failures: t.failures().whole(),
            success_rate: rate(t.successes, t.calls),
            avg_execution_time_ms: t.latency.mean_ms(),
            p95_ms: t.latency.quantile_ms(0.95),
            sampled: t.sampled,
        })
        .collect();
    sort_by_count(&mut tools, |t| (t.usage_count as f64, &t.name));
    tools
}

/// The models (by the spend attributed to each) and those with unpriced calls.
fn model_reports(
    m: &Metrics,
    spend_by_model: &BTreeMap<Option<&str>, Spend>,
) -> (Vec<ModelReport>, Vec<UnpricedModel>) {
    let mut models: Vec<ModelReport> = spend_by_model
        .iter()
        .filter_map(|(name, spend)| name.map(|n| (n, spend)))
        .map(|(name, spend)| {
            let s = m.models.get(name);
            let input_tokens = s.map_or(0, |s| s.input_tokens);
            let price = s.and_then(|s| s.price.as_ref());
            ModelReport {
                name: name.to_owned(),
                requests: s.map_or(0, |s| s.calls.whole()),
                failures: s.map_or(0, |s| s.failures.whole()),
                input_tokens,
                output_tokens: s.map_or(0, |s| s.output_tokens),
                tokens: spend.tokens,
                cache_read_tokens: spend.cache_read,
                cache_write_tokens: spend.cache_write,
                reasoning_tokens: spend.reasoning,
                web_search_requests: spend.web_searches,
                cache_hit_pct: (input_tokens > 0).then(|| spend.cache_read as f64 * 100.0 / input_tokens as f64),
                cache_savings_usd: price.map(|p| p.cache_savings(spend.cache_read)),
                avg_latency_ms: s.and_then(|s| s.latency.mean_ms()),
                p95_ms: s.and_then(|s| s.latency.quantile_ms(0.95)),
                cost_usd: spend.cost_usd(),
                sampled: s.is_some_and(|s| s.sampled),
                priced_calls: s.map_or(0, |s| s.priced_calls.whole()),
                unpriced_calls: s.map_or(0, |s| s.unpriced_calls.whole()),
                price: price.map(PriceReport::from),
            }
        })
        .collect();
    sort_by_count(&mut models, |x| (x.requests as f64, &x.name));
    let mut unpriced: Vec<UnpricedModel> = models
        .iter()
        .filter(|m| m.unpriced_calls > 0)
        .map(|m| UnpricedModel { model: m.name.clone(), calls: m.unpriced_calls })
        .collect();
    sort_by_count(&mut unpriced, |u| (u.calls as f64, &u.model));
    (models, unpriced)
}

fn cost_report(
    m: &Metrics,
    spend_by_model: &BTreeMap<Option<&str>, Spend>,
    agents: &[AgentReport],
    unpriced: Vec<UnpricedModel>,
    now: Micros,
    thresholds: &Thresholds,
) -> CostReport {
    let mut by_model: Vec<CostLine> = spend_by_model
        .iter()
        .map(|(name, s)| CostLine {
            name: name.unwrap_or(NONE_NAME).to_owned(),
            cost_usd: s.cost_usd(),
            tokens: s.tokens,
            unpriced_calls: name.and_then(|n| m.models.get(n)).map_or(0, |model| model.unpriced_calls.whole()),
        })
        .collect();
    sort_by_count(&mut by_model, |c| (c.cost_usd, &c.name));
    let mut by_agent: Vec<CostLine> = agents
        .iter()
        .map(|a| CostLine {
            name: a.name.clone(),
            cost_usd: a.cost_usd,
            tokens: a.tokens,
            unpriced_calls: a.unpriced_calls,
        })
        .collect();
    if m.unattributed_ledger != Spend::default() || !m.unattributed_unpriced.is_zero() {
        by_agent.push(CostLine {
            name: NONE_NAME.into(),
            cost_usd: m.unattributed_ledger.cost_usd(),
            tokens: m.unattributed_ledger.tokens,
            unpriced_calls: m.unattributed_unpriced.whole(),
        });
    }
    sort_by_count(&mut by_agent, |c| (c.cost_usd, &c.name));
    let mut total = m.unattributed_ledger;
    m.agents.values().for_each(|a| total.merge(&a.spend()));
    let offset = thresholds.budget.utc_offset_seconds;
    let all = budget::figures(m, None, now, offset);
    let daily = thresholds.budget.daily_usd;
    CostReport {
        total_usd: total.cost_usd(),
        tokens: total.tokens,
        by_model,
        by_agent,
        unpriced_calls: unpriced.iter().map(|u| u.calls).sum(),
        unpriced,
        today_usd: all.today.cost_usd(),
        today_tokens: all.today.tokens,
        day_start: format_rfc3339(all.day_start),
        last_hour_usd: all.last_hour.cost_usd(),
        burn_rate_usd_per_hour: all.burn_per_hour,
        projected_today_usd: all.projected_today,
        daily_budget_usd: daily,
        budget_used_pct: daily.map(|d| all.today.cost_usd() * 100.0 / d),
        agent_budgets: thresholds
            .budget
            .agents
            .iter()
            .map(|(agent, &d)| {
                let today = budget::figures(m, Some(agent), now, offset).today.cost_usd();
                AgentBudget { agent: agent.clone(), daily_budget_usd: d, today_usd: today, used_pct: today * 100.0 / d }
            })
            .collect(),
    }
}

fn errors_report(m: &Metrics) -> ErrorsReport {
    let mut by_type: Vec<ErrorTypeCount> =
        m.errors.by_type.iter().map(|(k, &n)| ErrorTypeCount { error_type: k.clone(), count: n }).collect();
    sort_by_count(&mut by_type, |e| (e.count as f64, &e.error_type));
    let mut by_component: Vec<ComponentCount> =
        m.errors.by_component.iter().map(|(k, &n)| ComponentCount { component: k.clone(), count: n }).collect();
    sort_by_count(&mut by_component, |e| (e.count as f64, &e.component));
    ErrorsReport {
        total: m.errors.total,
        by_type,
        by_component,
        recent: m
            .errors
            .recent
            .iter()
            .rev()
            .map(|e| RecentError {
                ts: format_rfc3339(e.ts),
                component: e.component.clone(),
                error_type: e.error_type.clone(),
                message: e.message.clone(),
                agent: e.agent.clone(),
                context: e
                    .context
                    .as_deref()
                    .map(|c| serde_json::from_str(c).unwrap_or_else(|_| serde_json::Value::String(c.to_owned()))),
            })
            .collect(),
    }
}

fn span_reports(m: &Metrics) -> Vec<SpanReport> {
    let mut spans: Vec<SpanReport> = m
        .spans
        .iter()
        .map(|(name, s)| SpanReport {
            name: name.clone(),
            count: s.count.whole(),
            failures: s.failures.whole(),
            avg_ms: s.latency.mean_ms(),
            p95_ms: s.latency.quantile_ms(0.95),
            sampled: s.sampled,
        })
        .collect();
    sort_by_count(&mut spans, |s| (s.count as f64, &s.name));
    spans
}

impl From<&crate::pricing::Price> for PriceReport {
    fn from(p: &crate::pricing::Price) -> Self {
        PriceReport {
            input_per_million: p.input,
            output_per_million: p.output,
            cached_input_per_million: p.cache_read,
            cache_write_per_million: p.cache_write,
            cache_write_1h_per_million: p.cache_write_1h,
            web_search_per_thousand: p.web_search,
            source: p.source.clone(),
            as_of: p.as_of.clone(),
        }
    }
}

/// The most recently active sessions first (ties by id, so the order is stable).
/// The `limit` most recently active sessions, most recent first (ties by id,
/// so the order is stable). Selects before sorting: a report wants 100 of up to
/// 2,000 held.
pub fn sessions_by_recency(m: &Metrics, limit: usize) -> Vec<(&str, &SessionStats)> {
    let order =
        |a: &(&str, &SessionStats), b: &(&str, &SessionStats)| b.1.last_ts.cmp(&a.1.last_ts).then_with(|| a.0.cmp(b.0));
    let mut all: Vec<_> = m.sessions.iter().collect();
    let limit = limit.min(crate::metrics::MAX_SESSIONS);
    if all.len() > limit && limit > 0 {
        all.select_nth_unstable_by(limit - 1, order);
        all.truncate(limit);
    }
    all.sort_unstable_by(order);
    all.truncate(limit);
    all
}

/// Sessions the fold holds in full (at most [`crate::metrics::MAX_SESSIONS`]).
fn kept_sessions(m: &Metrics) -> u64 {
    m.sessions.len().min(crate::metrics::MAX_SESSIONS) as u64
}

/// One session's row.
pub fn session_report(id: &str, s: &SessionStats, sessions: &Sessions) -> SessionReport {
    let spend = s.spend();
    SessionReport {
        id: id.to_owned(),
        agents: sessions.agents_of(s).into_iter().map(str::to_owned).collect(),
        models: sessions.models_of(s).into_iter().map(str::to_owned).collect(),
        first_ts: format_rfc3339(s.first_ts),
        last_ts: format_rfc3339(s.last_ts),
        requests: s.requests.whole(),
        model_calls: s.model_calls.whole(),
        tool_calls: s.tool_calls.whole(),
        failures: s.failures.whole(),
        errors: s.errors,
        input_tokens: s.input_tokens,
        output_tokens: s.output_tokens,
        cache_read_tokens: spend.cache_read,
        cost_usd: spend.cost_usd(),
        unpriced_calls: s.unpriced_calls.whole(),
        project: s.project.clone(),
        git_branch: s.git_branch.clone(),
    }
}

fn sessions(m: &Metrics) -> SessionsReport {
    SessionsReport {
        total: m.sessions.len() as u64 + m.sessions.evicted(),
        kept: kept_sessions(m),
        recent: sessions_by_recency(m, REPORT_SESSIONS)
            .iter()
            .map(|(id, s)| session_report(id, s, &m.sessions))
            .collect(),
    }
}

#[cfg(test)]
mod tests;
