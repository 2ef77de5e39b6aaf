//! The fold: events in, bounded metrics out.
//!
//! [`Metrics`] grows only with the number of distinct agents, tools, models, span
//! names, components, error types and writer processes; everything else is a
//! counter, a latency sketch, a fixed ring of minutes or a capped list. Folds merge:
//! `fold(A then B) == merge(fold(A), fold(B))`, which is what lets a large log be
//! folded on several cores.

pub mod exact;
pub mod recent;
pub mod sketch;
pub mod window;

use std::borrow::Cow;
use std::collections::BTreeSet;

/// Maps keyed by names from the log: hashbrown for `entry_ref`, which looks a
/// borrowed key up once and allocates it only on insert; Fx hashing for speed.
pub type FxHashMap<K, V> = hashbrown::HashMap<K, V, rustc_hash::FxBuildHasher>;

use crate::event::{Event, Kind};
use crate::pricing::{Price, PriceTable};
use crate::time::Micros;
use recent::{Recent, Timed};
use sketch::Latency;
use window::{MinuteRing, QuarterRing};

/// How many recent errors are kept.
pub const RECENT_ERRORS: usize = 50;
/// How many recent failures are kept per tool and per agent.
pub const RECENT_FAILURES: usize = 20;
/// Messages and contexts kept from the log are cut to this many bytes.
pub const MAX_TEXT: usize = 1024;
/// Writer processes remembered; the one heard from least recently is forgotten first.
pub const MAX_PROCESSES: usize = 1024;

/// Tokens and dollars from one source of truth.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spend {
    pub tokens: u64,
    /// Picodollars (see `exact`).
    pub cost: u128,
}

impl Spend {
    pub fn add(&mut self, tokens: u64, cost: u128) {
        self.tokens = self.tokens.saturating_add(tokens);
        self.cost = self.cost.saturating_add(cost);
    }
    pub fn merge(&mut self, o: &Spend) {
        self.add(o.tokens, o.cost);
    }
    pub fn cost_usd(&self) -> f64 {
        exact::usd(self.cost)
    }
}

/// A failed request or call, kept for display.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub ts: Micros,
    /// The agent (for a tool failure) or the tool or model (for an agent failure).
    pub by: Option<String>,
    pub error_type: Option<String>,
    pub message: Option<String>,
}

impl Timed for Failure {
    fn ts(&self) -> Micros {
        self.ts
    }
}

/// One agent, from its agent_request events and the model calls that name it.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentStats {
    pub requests: u64,
    pub successes: u64,
    pub latency: Latency,
    /// What its agent_request events report.
    pub request_spend: Spend,
    /// The same, by the model each request names...
    pub request_spend_by_model: FxHashMap<String, Spend>,
    /// ...and of the requests that name no model.
    pub request_spend_no_model: Spend,
    /// What model calls naming this agent report.
    pub ledger_spend: Spend,
    /// Whether any model_call names this agent: then the ledger is its truth.
    pub named_by_model_call: bool,
    pub last_seen: Micros,
    pub ring: MinuteRing,
    /// Spend per quarter hour over two days, for "today" and budgets.
    pub quarters: QuarterRing,
    pub recent_failures: Recent<Failure>,
    /// Models its model calls named (at most [`MAX_LINKS`]).
    pub models_used: BTreeSet<String>,
}

/// Names remembered per agent for its tools and models; past this, new ones are
/// not recorded (the counts elsewhere are unaffected).
pub const MAX_LINKS: usize = 64;

fn link(set: &mut BTreeSet<String>, name: &str) {
    if set.len() < MAX_LINKS && !set.contains(name) {
        set.insert(capped(name));
    }
}

impl Default for AgentStats {
    fn default() -> Self {
        Self {
            requests: 0,
            successes: 0,
            latency: Latency::default(),
            request_spend: Spend::default(),
            request_spend_by_model: FxHashMap::default(),
            request_spend_no_model: Spend::default(),
            ledger_spend: Spend::default(),
            named_by_model_call: false,
            last_seen: Micros::MIN,
            ring: MinuteRing::default(),
            quarters: QuarterRing::default(),
            recent_failures: Recent::new(RECENT_FAILURES),
            models_used: BTreeSet::new(),
        }
    }
}

impl AgentStats {
    pub fn failures(&self) -> u64 {
        self.requests - self.successes
    }
    /// The tokens and cost attributed to this agent (see `docs/event-log.md`).
    pub fn spend(&self) -> Spend {
        if self.named_by_model_call { self.ledger_spend } else { self.request_spend }
    }
    fn merge(&mut self, o: AgentStats) {
        self.requests += o.requests;
        self.successes += o.successes;
        self.latency.merge(&o.latency);
        self.request_spend.merge(&o.request_spend);
        for (model, spend) in o.request_spend_by_model {
            self.request_spend_by_model.entry(model).or_default().merge(&spend);
        }
        self.request_spend_no_model.merge(&o.request_spend_no_model);
        self.ledger_spend.merge(&o.ledger_spend);
        self.named_by_model_call |= o.named_by_model_call;
        self.last_seen = self.last_seen.max(o.last_seen);
        self.ring.merge(&o.ring);
        self.quarters.merge(&o.quarters);
        self.recent_failures.merge(o.recent_failures);
        for m in o.models_used {
            link(&mut self.models_used, &m);
        }
    }
}

/// One tool, from tool_call events.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolStats {
    pub calls: u64,
    pub successes: u64,
    pub latency: Latency,
    pub ring: MinuteRing,
    pub recent_failures: Recent<Failure>,
}

impl Default for ToolStats {
    fn default() -> Self {
        Self {
            calls: 0,
            successes: 0,
            latency: Latency::default(),
            ring: MinuteRing::default(),
            recent_failures: Recent::new(RECENT_FAILURES),
        }
    }
}

impl ToolStats {
    pub fn failures(&self) -> u64 {
        self.calls - self.successes
    }
    fn merge(&mut self, o: ToolStats) {
        self.calls += o.calls;
        self.successes += o.successes;
        self.latency.merge(&o.latency);
        self.ring.merge(&o.ring);
        self.recent_failures.merge(o.recent_failures);
    }
}

/// One model, from model_call events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelStats {
    pub calls: u64,
    pub failures: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub latency: Latency,
    /// Tokens and cost the calls report.
    pub ledger_spend: Spend,
    /// Calls without cost_usd that were priced from their tokens...
    pub priced_calls: u64,
    /// ...and those that could not be: no price known, or no tokens to price.
    pub unpriced_calls: u64,
    pub provider: Option<String>,
    /// The price this model's name matched, looked up on its first call.
    pub price: Option<Price>,
}

impl ModelStats {
    fn merge(&mut self, o: ModelStats) {
        self.calls += o.calls;
        self.failures += o.failures;
        self.input_tokens = self.input_tokens.saturating_add(o.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(o.output_tokens);
        self.latency.merge(&o.latency);
        self.ledger_spend.merge(&o.ledger_spend);
        self.priced_calls += o.priced_calls;
        self.unpriced_calls += o.unpriced_calls;
        if self.provider.is_none() {
            self.provider = o.provider;
        }
        if self.price.is_none() {
            self.price = o.price;
        }
    }
}

/// One span name, from span events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpanStats {
    pub count: u64,
    pub failures: u64,
    pub latency: Latency,
}

/// An error event, kept for display.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRecord {
    pub ts: Micros,
    pub component: String,
    pub error_type: String,
    pub message: String,
    pub agent: Option<String>,
    /// The raw JSON of the event's context object.
    pub context: Option<String>,
}

impl Timed for ErrorRecord {
    fn ts(&self) -> Micros {
        self.ts
    }
}

/// Error events.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorStats {
    pub total: u64,
    pub by_type: FxHashMap<String, u64>,
    pub by_component: FxHashMap<String, u64>,
    pub recent: Recent<ErrorRecord>,
}

impl Default for ErrorStats {
    fn default() -> Self {
        Self {
            total: 0,
            by_type: FxHashMap::default(),
            by_component: FxHashMap::default(),
            recent: Recent::new(RECENT_ERRORS),
        }
    }
}

/// The latest heartbeat of one writer process.
#[derive(Debug, Clone, PartialEq)]
pub struct Heartbeat {
    pub ts: Micros,
    pub pid: Option<i64>,
    pub host: Option<String>,
    pub started_at: Option<Micros>,
    pub agents: Vec<String>,
    pub rss_bytes: Option<i64>,
    pub cpu_percent: Option<f64>,
}

/// The whole folded state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    pub events: u64,
    pub first_ts: Option<Micros>,
    pub last_ts: Option<Micros>,
    pub agents: FxHashMap<String, AgentStats>,
    pub tools: FxHashMap<String, ToolStats>,
    pub models: FxHashMap<String, ModelStats>,
    pub spans: FxHashMap<String, SpanStats>,
    /// What model calls that name no agent report (the "(none)" agent of the cost
    /// breakdown), with its own ring for windowed cost.
    pub unattributed_ledger: Spend,
    pub unattributed_ring: MinuteRing,
    pub unattributed_quarters: QuarterRing,
    pub errors: ErrorStats,
    pub heartbeats: FxHashMap<String, Heartbeat>,
    /// Tools each agent called (at most [`MAX_LINKS`] an agent).
    pub agent_tools: FxHashMap<String, BTreeSet<String>>,
    /// System-wide minutes: requests, failures, latency, errors, tool calls.
    pub ring: MinuteRing,
}

/// `map[key]`, inserting a default; one hash lookup, and the key is allocated
/// only when it is new.
fn entry<'m, V: Default>(map: &'m mut FxHashMap<String, V>, key: &str) -> &'m mut V {
    map.entry_ref(key).or_default()
}

fn capped(text: &str) -> String {
    if text.len() <= MAX_TEXT {
        return text.to_owned();
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn owned(text: &Option<Cow<'_, str>>) -> Option<String> {
    text.as_deref().map(capped)
}

impl Metrics {
    /// Folds one event in; `prices` prices model calls that report no cost.
    pub fn apply(&mut self, e: &Event<'_>, prices: &PriceTable) {
        self.events += 1;
        self.first_ts = Some(self.first_ts.map_or(e.ts, |t| t.min(e.ts)));
        self.last_ts = Some(self.last_ts.map_or(e.ts, |t| t.max(e.ts)));
        match &e.kind {
            Kind::AgentRequest { agent, success, duration_ms, tokens, cost_usd, model, error_type } => {
                let tokens = tokens.map_or(0, |t| t as u64);
                let cost = cost_usd.map_or(0, exact::pico);
                let a = entry(&mut self.agents, agent);
                a.requests += 1;
                a.successes += u64::from(*success);
                a.latency.record(*duration_ms);
                a.request_spend.add(tokens, cost);
                match model {
                    Some(model) => entry(&mut a.request_spend_by_model, model).add(tokens, cost),
                    None => a.request_spend_no_model.add(tokens, cost),
                }
                a.last_seen = a.last_seen.max(e.ts);
                if !success {
                    a.recent_failures.push(Failure {
                        ts: e.ts,
                        by: owned(model),
                        error_type: owned(error_type),
                        message: None,
                    });
                }
                if let Some(b) = a.ring.at(e.ts) {
                    b.requests += 1;
                    b.failures += u64::from(!success);
                    b.latency_sum_ns += exact::nanos(*duration_ms);
                    b.request_tokens = b.request_tokens.saturating_add(tokens);
                    b.request_cost = b.request_cost.saturating_add(cost);
                }
                if (tokens, cost) != (0, 0)
                    && let Some(b) = a.quarters.at(e.ts)
                {
                    b.request_tokens = b.request_tokens.saturating_add(tokens);
                    b.request_cost = b.request_cost.saturating_add(cost);
                }
                if let Some(b) = self.ring.at(e.ts) {
                    b.requests += 1;
                    b.failures += u64::from(!success);
                    b.latency_sum_ns += exact::nanos(*duration_ms);
                }
            }
            Kind::ToolCall { tool, agent, success, duration_ms, error_type, error_message } => {
                let t = entry(&mut self.tools, tool);
                t.calls += 1;
                t.successes += u64::from(*success);
                t.latency.record(*duration_ms);
                if !success {
                    t.recent_failures.push(Failure {
                        ts: e.ts,
                        by: owned(agent),
                        error_type: owned(error_type),
                        message: owned(error_message),
                    });
                }
                if let Some(b) = t.ring.at(e.ts) {
                    b.requests += 1;
                    b.failures += u64::from(!success);
                    b.latency_sum_ns += exact::nanos(*duration_ms);
                }
                if let Some(agent) = agent {
                    link(entry(&mut self.agent_tools, agent), tool);
                }
                if let Some(b) = self.ring.at(e.ts) {
                    b.tool_calls += 1;
                    b.tool_failures += u64::from(!success);
                }
            }
            Kind::ModelCall { model, provider, agent, success, duration_ms, input_tokens, output_tokens, cost_usd } => {
                let (input, output) = (input_tokens.unwrap_or(0) as u64, output_tokens.unwrap_or(0) as u64);
                let m = entry(&mut self.models, model);
                if m.calls == 0 {
                    m.price = prices.lookup(model).cloned();
                }
                // A call that reports no cost is priced from its tokens, or
                // counted as unpriced: never silently free.
                let cost = match (cost_usd, &m.price) {
                    (Some(usd), _) => exact::pico(*usd),
                    (None, Some(price)) if input_tokens.is_some() || output_tokens.is_some() => {
                        m.priced_calls += 1;
                        exact::pico(price.cost(input, output))
                    }
                    (None, _) => {
                        m.unpriced_calls += 1;
                        0
                    }
                };
                m.calls += 1;
                m.failures += u64::from(!success);
                m.input_tokens = m.input_tokens.saturating_add(input);
                m.output_tokens = m.output_tokens.saturating_add(output);
                m.latency.record(*duration_ms);
                m.ledger_spend.add(input.saturating_add(output), cost);
                if m.provider.is_none() {
                    m.provider = owned(provider);
                }
                let (spend, ring, quarters) = match agent {
                    Some(agent) => {
                        let a = entry(&mut self.agents, agent);
                        a.named_by_model_call = true;
                        a.last_seen = a.last_seen.max(e.ts);
                        link(&mut a.models_used, model);
                        (&mut a.ledger_spend, &mut a.ring, &mut a.quarters)
                    }
                    None => {
                        (&mut self.unattributed_ledger, &mut self.unattributed_ring, &mut self.unattributed_quarters)
                    }
                };
                let tokens = input.saturating_add(output);
                spend.add(tokens, cost);
                for b in [ring.at(e.ts), quarters.at(e.ts)].into_iter().flatten() {
                    b.ledger_tokens = b.ledger_tokens.saturating_add(tokens);
                    b.ledger_cost = b.ledger_cost.saturating_add(cost);
                }
            }
            Kind::Span { name, duration_ms, ok, .. } => {
                let s = entry(&mut self.spans, name);
                s.count += 1;
                s.failures += u64::from(!ok);
                s.latency.record(*duration_ms);
            }
            Kind::Error { component, error_type, message, agent, context } => {
                self.errors.total += 1;
                *entry(&mut self.errors.by_type, error_type) += 1;
                *entry(&mut self.errors.by_component, component) += 1;
                self.errors.recent.push(ErrorRecord {
                    ts: e.ts,
                    component: capped(component),
                    error_type: capped(error_type),
                    message: capped(message),
                    agent: owned(agent),
                    context: context.map(capped),
                });
                if let Some(b) = self.ring.at(e.ts) {
                    b.errors += 1;
                }
            }
            Kind::Heartbeat { process, pid, host, started_at, agents, rss_bytes, cpu_percent } => {
                let beat = Heartbeat {
                    ts: e.ts,
                    pid: *pid,
                    host: owned(host),
                    started_at: *started_at,
                    agents: agents.iter().map(|a| capped(a)).collect(),
                    rss_bytes: *rss_bytes,
                    cpu_percent: *cpu_percent,
                };
                self.record_heartbeat(process.as_ref(), beat);
            }
        }
    }

    fn record_heartbeat(&mut self, process: &str, beat: Heartbeat) {
        match self.heartbeats.get_mut(process) {
            Some(known) if known.ts > beat.ts => {}
            Some(known) => *known = beat,
            None => {
                if self.heartbeats.len() >= MAX_PROCESSES {
                    let stalest = self.heartbeats.iter().min_by(|x, y| (x.1.ts, x.0).cmp(&(y.1.ts, y.0)));
                    if let Some(stalest) = stalest.map(|(name, _)| name.clone()) {
                        self.heartbeats.remove(&stalest);
                    }
                }
                self.heartbeats.insert(capped(process), beat);
            }
        }
    }

    /// Folds in the state of events that came after ours.
    pub fn merge(&mut self, later: Metrics) {
        self.events += later.events;
        self.first_ts = match (self.first_ts, later.first_ts) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last_ts = self.last_ts.max(later.last_ts);
        for (name, a) in later.agents {
            self.agents.entry(name).or_default().merge(a);
        }
        for (name, t) in later.tools {
            self.tools.entry(name).or_default().merge(t);
        }
        for (name, m) in later.models {
            self.models.entry(name).or_default().merge(m);
        }
        for (name, s) in later.spans {
            let mine = self.spans.entry(name).or_default();
            mine.count += s.count;
            mine.failures += s.failures;
            mine.latency.merge(&s.latency);
        }
        self.unattributed_ledger.merge(&later.unattributed_ledger);
        self.unattributed_ring.merge(&later.unattributed_ring);
        self.unattributed_quarters.merge(&later.unattributed_quarters);
        self.errors.total += later.errors.total;
        for (k, n) in later.errors.by_type {
            *self.errors.by_type.entry(k).or_default() += n;
        }
        for (k, n) in later.errors.by_component {
            *self.errors.by_component.entry(k).or_default() += n;
        }
        self.errors.recent.merge(later.errors.recent);
        for (process, beat) in later.heartbeats {
            self.record_heartbeat(&process, beat);
        }
        self.ring.merge(&later.ring);
        for (agent, tools) in later.agent_tools {
            let mine = self.agent_tools.entry(agent).or_default();
            for t in tools {
                link(mine, &t);
            }
        }
    }
}

#[cfg(test)]
mod tests;
