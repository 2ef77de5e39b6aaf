//! The fold: events in, bounded metrics out.
//!
//! [`Metrics`] grows only with the number of distinct agents, tools, models, span
//! names, components, error types and writer processes; everything else is a
//! counter, a latency sketch, a fixed ring of minutes or a capped list. Folds merge:
//! `fold(A then B) == merge(fold(A), fold(B))`, which is what lets a large log be
//! folded on several cores.

pub mod exact;
mod names;
pub mod recent;
mod sessions;
pub mod sketch;
mod stats;
pub mod weight;
pub mod window;

use std::borrow::Cow;

/// Maps keyed by names from the log: hashbrown for `entry_ref`, which looks a
/// borrowed key up once and allocates it only on insert; Fx hashing for speed.
pub type FxHashMap<K, V> = hashbrown::HashMap<K, V, rustc_hash::FxBuildHasher>;

use crate::event::{Event, Kind};
use crate::pricing::PriceTable;
use crate::time::Micros;
pub use names::Names;
use names::{NameId, Uncompared};
use sessions::Spelling;
pub use sessions::{SessionNames, SessionStats, Sessions};
pub use stats::{
    AgentStats, ErrorRecord, ErrorStats, Failure, Heartbeat, MAX_LINKS, ModelStats, SpanStats, Spend, ToolStats,
};
pub use weight::Count;
use window::{MinuteRing, SpendRing};

/// How many recent errors are kept.
pub const RECENT_ERRORS: usize = 50;
/// How many recent failures are kept per tool and per agent.
pub const RECENT_FAILURES: usize = 20;
/// Messages and contexts kept from the log are cut to this many bytes.
pub const MAX_TEXT: usize = 1024;
/// Writer processes remembered; the one heard from least recently is forgotten first.
pub const MAX_PROCESSES: usize = 1024;
/// Sessions kept in full: the most recently active ones (older ones are counted).
pub const MAX_SESSIONS: usize = 1000;

/// The name the least active names of a kind are folded into, past its cap.
pub const OTHER: &str = "(other)";

/// How many names of each kind are tracked in full. Past a cap, the least
/// active names are folded into [`OTHER`] (every total stays exact), in batches
/// once the map holds a quarter more, so a new name always gets a row and a
/// heavy hitter that appears late keeps it: a name's figures are exact since it
/// was last admitted, and what it did before is in `(other)` (the space-saving
/// scheme's bound, per name: at most the activity of the names evicted with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub agents: usize,
    pub tools: usize,
    pub models: usize,
    pub spans: usize,
    pub error_types: usize,
    pub components: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { agents: 1000, tools: 1000, models: 500, spans: 1000, error_types: 1000, components: 1000 }
    }
}

/// How many names of each kind were folded into `(other)` (a name folded,
/// seen again and folded again counts twice).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Folded {
    pub agents: u64,
    pub tools: u64,
    pub models: u64,
    pub spans: u64,
    pub error_types: u64,
    pub components: u64,
}

/// Past `cap` + a quarter, folds the least active names of `map` (by
/// `activity`, ties by name) into its `(other)` entry until `cap` remain;
/// returns how many were folded.
#[inline]
fn fold_least_active<V: Default>(
    map: &mut FxHashMap<String, V>,
    cap: usize,
    activity: impl Fn(&V) -> u64,
    fold_in: impl Fn(&mut V, V),
) -> u64 {
    if map.len() <= over_at(cap) {
        return 0;
    }
    fold_excess(map, cap.max(1), activity, fold_in)
}

/// How many names of a kind capped at `cap` may be held before the least active
/// are folded (a quarter more, so that folding runs in batches).
#[inline]
fn over_at(cap: usize) -> usize {
    let cap = cap.max(1);
    cap + cap / 4
}

#[cold]
fn fold_excess<V: Default>(
    map: &mut FxHashMap<String, V>,
    cap: usize,
    activity: impl Fn(&V) -> u64,
    fold_in: impl Fn(&mut V, V),
) -> u64 {
    let mut ranked: Vec<(u64, String)> =
        map.iter().filter(|(k, _)| k.as_str() != OTHER).map(|(k, v)| (activity(v), k.clone())).collect();
    ranked.sort_unstable();
    let excess = map.len().saturating_sub(cap);
    let mut other = map.remove(OTHER).unwrap_or_default();
    let mut folded = 0;
    for (_, key) in ranked.into_iter().take(excess) {
        if let Some(v) = map.remove(&key) {
            fold_in(&mut other, v);
            folded += 1;
        }
    }
    map.insert(OTHER.to_owned(), other);
    folded
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
    /// Its model calls that could not be priced (see `AgentStats::unpriced_calls`).
    pub unattributed_unpriced: Count,
    pub unattributed_ring: MinuteRing,
    pub unattributed_spend_minutes: SpendRing,
    pub errors: ErrorStats,
    pub heartbeats: FxHashMap<String, Heartbeat>,
    /// System-wide minutes: requests, failures, latency, errors, tool calls.
    pub ring: MinuteRing,
    /// Sessions by id: the most recently active, and how many were forgotten.
    pub sessions: Sessions,
    /// Whether any event folded in was sampled.
    pub sampled: bool,
    /// Names tracked in full, per kind (see [`Metrics::set_limits`]).
    limits: Limits,
    /// While the names held of all kinds together are at most this many, none
    /// is over its limit (see [`Metrics::keep_names_bounded`]).
    names_checked_up_to: Uncompared<usize>,
    /// Names folded into `(other)`, per kind.
    pub folded: Folded,
    /// The next number of each kind of name (see [`NameId`]).
    ids: Uncompared<NextIds>,
}

/// The next [`NameId`] of each kind.
#[derive(Debug, Clone, Copy, Default)]
struct NextIds {
    agents: u32,
    tools: u32,
    models: u32,
}

/// `map[key]`, inserting a default; one hash lookup, and the key is allocated
/// only when it is new. A key longer than [`MAX_TEXT`] is cut to it, as names
/// in lists are: the maps hold a thousand names of a kind, and a line (so a
/// name) may be a megabyte.
#[inline]
fn entry<'m, V: Default>(map: &'m mut FxHashMap<String, V>, key: &str) -> &'m mut V {
    if key.len() <= MAX_TEXT {
        // The usual name, looked up as it is (no `Cow` to build and drop).
        return map.entry_ref(key).or_default();
    }
    long_entry(map, key)
}

/// [`entry`] of a name cut to [`MAX_TEXT`].
#[cold]
#[inline(never)]
fn long_entry<'m, V: Default>(map: &'m mut FxHashMap<String, V>, key: &str) -> &'m mut V {
    map.entry_ref(&*capped_cow(key)).or_default()
}

fn capped(text: &str) -> String {
    capped_cow(text).into_owned()
}

/// `text`, cut to [`MAX_TEXT`] bytes with an ellipsis if longer; borrowed when not.
fn capped_cow(text: &str) -> Cow<'_, str> {
    if text.len() <= MAX_TEXT {
        return Cow::Borrowed(text);
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}…", &text[..end]))
}

fn owned(text: &Option<Cow<'_, str>>) -> Option<String> {
    text.as_deref().map(capped)
}

impl Metrics {
    /// Names tracked in full, per kind.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Sets the names tracked in full, per kind; names past them are folded
    /// into `(other)` from the next event on.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
        self.names_checked_up_to.0 = 0;
    }

    /// Keeps every kind of name within its cap (see [`Limits`]). Cheap while
    /// within: the names held are counted, and each kind's cap is looked at
    /// only when their count passes the last check's margin (six caps an
    /// event were 40 instructions, nearly always for nothing).
    #[inline]
    pub fn keep_names_bounded(&mut self) {
        if self.names_held() > self.names_checked_up_to.0 {
            self.check_names();
        }
    }

    fn names_held(&self) -> usize {
        self.agents.len()
            + self.tools.len()
            + self.models.len()
            + self.spans.len()
            + self.errors.by_type.len()
            + self.errors.by_component.len()
    }

    /// Folds the names of any kind that is over its cap, and works out how many
    /// more names may come before one can be: names are only ever removed here.
    #[cold]
    #[inline(never)]
    fn check_names(&mut self) {
        let l = self.limits;
        let kinds = |m: &Self| {
            [
                (m.agents.len(), l.agents),
                (m.tools.len(), l.tools),
                (m.models.len(), l.models),
                (m.spans.len(), l.spans),
                (m.errors.by_type.len(), l.error_types),
                (m.errors.by_component.len(), l.components),
            ]
        };
        if kinds(self).iter().any(|&(len, cap)| len > over_at(cap)) {
            self.fold_excess_names();
        }
        let margin = kinds(self).iter().map(|&(len, cap)| over_at(cap).saturating_sub(len)).min().unwrap_or(0);
        self.names_checked_up_to.0 = self.names_held() + margin;
    }

    #[cold]
    #[inline(never)]
    fn fold_excess_names(&mut self) {
        let l = self.limits;
        self.folded.agents += fold_least_active(&mut self.agents, l.agents, |a| a.seen, AgentStats::fold_into_other);
        self.folded.tools += fold_least_active(&mut self.tools, l.tools, |t| t.calls.units(), |o, t| o.merge(t));
        self.folded.models += fold_least_active(
            &mut self.models,
            l.models,
            |m| m.calls.units(),
            |o, m| {
                o.merge(m);
                // Many models' calls: no one price or provider is theirs.
                o.price = None;
                o.provider = None;
            },
        );
        self.folded.spans += fold_least_active(&mut self.spans, l.spans, |s| s.count.units(), |o, s| o.absorb(s));
        self.folded.error_types += fold_least_active(&mut self.errors.by_type, l.error_types, |n| *n, |o, n| *o += n);
        self.folded.components +=
            fold_least_active(&mut self.errors.by_component, l.components, |n| *n, |o, n| *o += n);
    }

    /// Folds one event in; `prices` prices model calls that report no cost.
    pub fn apply(&mut self, e: &Event<'_>, prices: &PriceTable) {
        self.keep_names_bounded();
        self.events += 1;
        self.first_ts = Some(self.first_ts.map_or(e.ts, |t| t.min(e.ts)));
        self.last_ts = Some(self.last_ts.map_or(e.ts, |t| t.max(e.ts)));
        let w = Count::of_rate(e.sample_rate);
        self.sampled |= w.is_sampled();
        match &e.kind {
            Kind::AgentRequest { .. } => self.apply_request(e, w),
            Kind::ToolCall { .. } => self.apply_tool_call(e, w),
            Kind::ModelCall { .. } => self.apply_model_call(e, w, prices),
            Kind::Span { name, duration_ms, ok, agent, .. } => {
                let s = entry(&mut self.spans, name);
                s.count += w;
                s.failures += w.when(!ok);
                s.latency.record(*duration_ms, w);
                s.sampled |= w.is_sampled();
                let agent = agent.as_deref().map(|agent| (agent, self.seen_agent(agent, e.ts).1));
                if let Some(s) = self.session(e) {
                    s.failures += w.when(!ok);
                    s.note_agent(agent);
                }
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
                let agent = agent.as_deref().map(|agent| (agent, self.seen_agent(agent, e.ts).1));
                if let Some(s) = self.session(e) {
                    s.errors += 1;
                    s.note_agent(agent);
                }
            }
            Kind::Heartbeat { process, pid, host, started_at, agents, rss_bytes, cpu_percent, stopped } => {
                let beat = Heartbeat {
                    ts: e.ts,
                    stopped: *stopped,
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

    /// The stats of an agent named by an event that is not its own request, so
    /// that every agent an event names has a row, and its number.
    fn seen_agent(&mut self, agent: &str, ts: Micros) -> (&mut AgentStats, u32) {
        let a = entry(&mut self.agents, agent);
        a.seen += 1;
        a.last_seen = a.last_seen.max(ts);
        let id = a.id.get(&mut self.ids.0.agents);
        Spelling::note(&mut self.sessions.spelling.agents, id, agent);
        (a, id)
    }

    fn apply_request(&mut self, e: &Event<'_>, w: Count) {
        let Kind::AgentRequest { agent, success, duration_ms, tokens, parts, cost_usd, model, error_type } = &e.kind
        else {
            return;
        };
        let tokens = w.scale(tokens.map_or(0, |t| t as u64));
        let cost = w.scale_wide(cost_usd.map_or(0, exact::pico));
        let spend = Spend::of(tokens, cost, parts, w);
        let a = entry(&mut self.agents, agent);
        let agent_id = a.id.get(&mut self.ids.0.agents);
        Spelling::note(&mut self.sessions.spelling.agents, agent_id, agent);
        a.seen += 1;
        a.requests += w;
        a.successes += w.when(*success);
        a.sampled |= w.is_sampled();
        a.latency.record(*duration_ms, w);
        a.request_spend.merge(&spend);
        match model {
            // Models an agent's requests name are capped like its links: the rest
            // add up under "(other)", so totals stay exact.
            Some(model)
                if a.request_spend_by_model.len() >= MAX_LINKS
                    && !a.request_spend_by_model.contains_key(&*capped_cow(model)) =>
            {
                entry(&mut a.request_spend_by_model, OTHER).merge(&spend)
            }
            Some(model) => entry(&mut a.request_spend_by_model, model).merge(&spend),
            None => a.request_spend_no_model.merge(&spend),
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
        let latency_ns = w.scale_wide(exact::nanos(*duration_ms));
        if let Some(b) = a.ring.at(e.ts) {
            b.requests += w;
            b.failures += w.when(!success);
            b.latency_sum_ns += latency_ns;
            b.request_tokens = b.request_tokens.saturating_add(tokens);
            b.request_cost = b.request_cost.saturating_add(cost);
        }
        if (tokens, cost) != (0, 0)
            && let Some(b) = a.spend_minutes.at(e.ts)
        {
            b.request_tokens = b.request_tokens.saturating_add(tokens);
            b.request_cost = b.request_cost.saturating_add(u64::try_from(cost).unwrap_or(u64::MAX));
        }
        if let Some(b) = self.ring.at(e.ts) {
            b.requests += w;
            b.failures += w.when(!success);
            b.latency_sum_ns += latency_ns;
        }
        if let Some(s) = self.session(e) {
            s.requests += w;
            s.failures += w.when(!success);
            s.request_spend.merge(&spend);
            s.note_agent(Some((agent, agent_id)));
        }
    }

    fn apply_tool_call(&mut self, e: &Event<'_>, w: Count) {
        let Kind::ToolCall { tool, agent, success, duration_ms, error_type, error_message } = &e.kind else {
            return;
        };
        let t = entry(&mut self.tools, tool);
        let tool_id = t.id.get(&mut self.ids.0.tools);
        t.calls += w;
        t.successes += w.when(*success);
        t.sampled |= w.is_sampled();
        if let Some(ms) = duration_ms {
            t.latency.record(*ms, w);
        }
        if !success {
            t.recent_failures.push(Failure {
                ts: e.ts,
                by: owned(agent),
                error_type: owned(error_type),
                message: owned(error_message),
            });
        }
        if let Some(b) = t.ring.at(e.ts) {
            b.requests += w;
            b.failures += w.when(!success);
            b.latency_sum_ns += duration_ms.map_or(0, |ms| w.scale_wide(exact::nanos(ms)));
        }
        let agent = agent.as_deref().map(|agent| {
            let (a, id) = self.seen_agent(agent, e.ts);
            a.tools_used.link(tool, tool_id, MAX_LINKS);
            (agent, id)
        });
        if let Some(b) = self.ring.at(e.ts) {
            b.tool_calls += w;
            b.tool_failures += w.when(!success);
        }
        if let Some(s) = self.session(e) {
            s.tool_calls += w;
            s.failures += w.when(!success);
            s.note_agent(agent);
        }
    }

    fn apply_model_call(&mut self, e: &Event<'_>, w: Count, prices: &PriceTable) {
        let Kind::ModelCall {
            model,
            provider,
            agent,
            success,
            duration_ms,
            input_tokens,
            output_tokens,
            parts,
            cost_usd,
        } = &e.kind
        else {
            return;
        };
        let (input, output) = (input_tokens.unwrap_or(0) as u64, output_tokens.unwrap_or(0) as u64);
        let m = entry(&mut self.models, model);
        let model_id = m.id.get(&mut self.ids.0.models);
        Spelling::note(&mut self.sessions.spelling.models, model_id, model);
        if m.calls.is_zero() && m.price.is_none() {
            m.price = prices.lookup(model).cloned();
        }
        // A call that reports no cost is priced from its tokens, or counted as
        // unpriced (for its model and its agent): never silently free.
        let mut unpriced = Count::ZERO;
        let cost = match cost_usd {
            Some(usd) => exact::pico(*usd),
            None => match crate::pricing::call_cost(None, || m.price.as_ref(), *input_tokens, *output_tokens, parts) {
                Some(usd) => {
                    m.priced_calls += w;
                    exact::pico(usd)
                }
                None => {
                    m.unpriced_calls += w;
                    unpriced = w;
                    0
                }
            },
        };
        let (input, output) = (w.scale(input), w.scale(output));
        let tokens = input.saturating_add(output);
        let spend = Spend::of(tokens, w.scale_wide(cost), parts, w);
        m.calls += w;
        m.failures += w.when(!success);
        m.sampled |= w.is_sampled();
        m.input_tokens = m.input_tokens.saturating_add(input);
        m.output_tokens = m.output_tokens.saturating_add(output);
        if let Some(ms) = duration_ms {
            m.latency.record(*ms, w);
        }
        m.ledger_spend.merge(&spend);
        if m.provider.is_none() {
            m.provider = owned(provider);
        }
        let mut agent_id = None;
        let (ledger, unpriced_calls, ring, minutes) = match agent {
            Some(agent) => {
                let a = entry(&mut self.agents, agent);
                a.seen += 1;
                a.named_by_model_call = true;
                a.last_seen = a.last_seen.max(e.ts);
                a.models_used.link(model, model_id, MAX_LINKS);
                let id = a.id.get(&mut self.ids.0.agents);
                Spelling::note(&mut self.sessions.spelling.agents, id, agent);
                agent_id = Some(id);
                (&mut a.ledger_spend, &mut a.unpriced_calls, &mut a.ring, &mut a.spend_minutes)
            }
            None => (
                &mut self.unattributed_ledger,
                &mut self.unattributed_unpriced,
                &mut self.unattributed_ring,
                &mut self.unattributed_spend_minutes,
            ),
        };
        ledger.merge(&spend);
        *unpriced_calls += unpriced;
        if let Some(b) = ring.at(e.ts) {
            b.ledger_tokens = b.ledger_tokens.saturating_add(tokens);
            b.ledger_cost = b.ledger_cost.saturating_add(spend.cost);
        }
        if (tokens, spend.cost) != (0, 0)
            && let Some(b) = minutes.at(e.ts)
        {
            b.ledger_tokens = b.ledger_tokens.saturating_add(tokens);
            b.ledger_cost = b.ledger_cost.saturating_add(u64::try_from(spend.cost).unwrap_or(u64::MAX));
        }
        if let Some(s) = self.session(e) {
            s.model_calls += w;
            s.failures += w.when(!success);
            s.input_tokens = s.input_tokens.saturating_add(input);
            s.output_tokens = s.output_tokens.saturating_add(output);
            s.ledger_spend.merge(&spend);
            s.unpriced_calls += unpriced;
            s.note_agent(agent.as_deref().zip(agent_id));
            s.models.link(model, model_id);
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
            self.spans.entry(name).or_default().absorb(s);
        }
        self.sessions.merge(later.sessions);
        self.sampled |= later.sampled;
        self.folded.agents += later.folded.agents;
        self.folded.tools += later.folded.tools;
        self.folded.models += later.folded.models;
        self.folded.spans += later.folded.spans;
        self.folded.error_types += later.folded.error_types;
        self.folded.components += later.folded.components;
        self.keep_names_bounded();
        self.unattributed_ledger.merge(&later.unattributed_ledger);
        self.unattributed_unpriced += later.unattributed_unpriced;
        self.unattributed_ring.merge(&later.unattributed_ring);
        self.unattributed_spend_minutes.merge(&later.unattributed_spend_minutes);
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
    }
}

#[cfg(test)]
mod tests;
