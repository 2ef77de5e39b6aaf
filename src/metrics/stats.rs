//! What the fold keeps per name (agents, tools, models, spans), for errors and
//! for writer processes, and the spend they add up.

use super::recent::{Recent, Timed};
use super::sketch::Latency;
use super::window::{MinuteRing, SpendRing};
use super::{Count, FxHashMap, NameId, Names, RECENT_ERRORS, RECENT_FAILURES, exact};
use crate::event::TokenParts;
use crate::pricing::Price;
use crate::time::Micros;

/// Tokens and dollars from one source of truth, with the cache and reasoning
/// parts of the tokens and the web searches (all weighted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spend {
    pub tokens: u64,
    /// Picodollars (see `exact`).
    pub cost: u128,
    /// Parts of `tokens`: cache reads, cache writes, reasoning.
    pub cache_read: u64,
    pub cache_write: u64,
    pub reasoning: u64,
    /// Web searches the provider ran (billed by the search, not in `tokens`).
    pub web_searches: u64,
}

impl Spend {
    /// One event's spend: weighted `tokens` and `cost`, and its parts weighted by `w`.
    pub fn of(tokens: u64, cost: u128, parts: &TokenParts, w: Count) -> Spend {
        Spend {
            tokens,
            cost,
            cache_read: w.scale(parts.cache_read),
            cache_write: w.scale(parts.cache_write),
            reasoning: w.scale(parts.reasoning),
            web_searches: w.scale(parts.web_searches),
        }
    }
    pub fn add(&mut self, tokens: u64, cost: u128) {
        self.tokens = self.tokens.saturating_add(tokens);
        self.cost = self.cost.saturating_add(cost);
    }
    pub fn merge(&mut self, o: &Spend) {
        self.add(o.tokens, o.cost);
        self.cache_read = self.cache_read.saturating_add(o.cache_read);
        self.cache_write = self.cache_write.saturating_add(o.cache_write);
        self.reasoning = self.reasoning.saturating_add(o.reasoning);
        self.web_searches = self.web_searches.saturating_add(o.web_searches);
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

/// One agent, from its agent_request events and the other events that name it.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentStats {
    /// Events that named it (its activity, for keeping the busiest names).
    pub seen: u64,
    /// Weighted (see `weight`), as every count below that can be sampled.
    pub requests: Count,
    pub successes: Count,
    /// Whether any of its requests were sampled: its counts are then estimates.
    pub sampled: bool,
    pub latency: Latency,
    /// What its agent_request events report.
    pub request_spend: Spend,
    /// The same, by the model each request names...
    pub request_spend_by_model: FxHashMap<String, Spend>,
    /// ...and of the requests that name no model.
    pub request_spend_no_model: Spend,
    /// What model calls naming this agent report.
    pub ledger_spend: Spend,
    /// Model calls naming this agent that reported no cost and could not be
    /// priced: not in its ledger, whose cost is then a floor.
    pub unpriced_calls: Count,
    /// Whether any model_call names this agent: then the ledger is its truth.
    pub named_by_model_call: bool,
    pub last_seen: Micros,
    pub ring: MinuteRing,
    /// Spend per minute over two days, for "today" and budgets.
    pub spend_minutes: SpendRing,
    pub recent_failures: Recent<Failure>,
    /// Models its model calls named (at most [`MAX_LINKS`]).
    pub models_used: Names,
    /// Tools its tool calls named (at most [`MAX_LINKS`]).
    pub tools_used: Names,
    pub(super) id: NameId,
}

/// Names remembered per agent for its tools and models; past this, new ones are
/// not recorded (the counts elsewhere are unaffected).
pub const MAX_LINKS: usize = 64;

impl Default for AgentStats {
    fn default() -> Self {
        Self {
            seen: 0,
            requests: Count::ZERO,
            successes: Count::ZERO,
            sampled: false,
            latency: Latency::default(),
            request_spend: Spend::default(),
            request_spend_by_model: FxHashMap::default(),
            request_spend_no_model: Spend::default(),
            ledger_spend: Spend::default(),
            unpriced_calls: Count::ZERO,
            named_by_model_call: false,
            last_seen: Micros::MIN,
            ring: MinuteRing::default(),
            spend_minutes: SpendRing::default(),
            recent_failures: Recent::new(RECENT_FAILURES),
            models_used: Names::default(),
            tools_used: Names::default(),
            id: NameId::default(),
        }
    }
}

impl AgentStats {
    /// Folds an agent into the `(other)` agent so that every total stays
    /// exact: `(other)` is attributed by its requests' figures, so an agent
    /// whose truth was the ledger (model calls) brings its ledger figures there,
    /// and none by model (its model calls already count for their models).
    pub(super) fn fold_into_other(other: &mut AgentStats, mut a: AgentStats) {
        if a.named_by_model_call {
            a.request_spend = a.ledger_spend;
            a.request_spend_by_model = FxHashMap::default();
            a.request_spend_no_model = Spend::default();
            a.ring.map_buckets(|b| {
                b.request_tokens = b.ledger_tokens;
                b.request_cost = b.ledger_cost;
            });
            a.spend_minutes.map_buckets(|b| {
                b.request_tokens = b.ledger_tokens;
                b.request_cost = b.ledger_cost;
            });
        }
        a.ledger_spend = Spend::default();
        a.named_by_model_call = false;
        a.ring.map_buckets(|b| {
            b.ledger_tokens = 0;
            b.ledger_cost = 0;
        });
        a.spend_minutes.map_buckets(|b| {
            b.ledger_tokens = 0;
            b.ledger_cost = 0;
        });
        a.models_used.clear();
        a.tools_used.clear();
        other.merge(a);
    }

    pub fn failures(&self) -> Count {
        self.requests - self.successes
    }
    /// The tokens and cost attributed to this agent (see `docs/event-log.md`).
    pub fn spend(&self) -> Spend {
        if self.named_by_model_call { self.ledger_spend } else { self.request_spend }
    }
    pub(super) fn merge(&mut self, o: AgentStats) {
        self.seen += o.seen;
        self.requests += o.requests;
        self.successes += o.successes;
        self.sampled |= o.sampled;
        self.latency.merge(&o.latency);
        self.request_spend.merge(&o.request_spend);
        for (model, spend) in o.request_spend_by_model {
            self.request_spend_by_model.entry(model).or_default().merge(&spend);
        }
        self.request_spend_no_model.merge(&o.request_spend_no_model);
        self.ledger_spend.merge(&o.ledger_spend);
        self.unpriced_calls += o.unpriced_calls;
        self.named_by_model_call |= o.named_by_model_call;
        self.last_seen = self.last_seen.max(o.last_seen);
        self.ring.merge(&o.ring);
        self.spend_minutes.merge(&o.spend_minutes);
        self.recent_failures.merge(o.recent_failures);
        for m in o.models_used.iter() {
            self.models_used.link_name(m, MAX_LINKS);
        }
        for t in o.tools_used.iter() {
            self.tools_used.link_name(t, MAX_LINKS);
        }
    }
}

/// One tool, from tool_call events.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolStats {
    pub calls: Count,
    pub successes: Count,
    pub sampled: bool,
    pub latency: Latency,
    pub ring: MinuteRing,
    pub recent_failures: Recent<Failure>,
    pub(super) id: NameId,
}

impl Default for ToolStats {
    fn default() -> Self {
        Self {
            calls: Count::ZERO,
            successes: Count::ZERO,
            sampled: false,
            latency: Latency::default(),
            ring: MinuteRing::default(),
            recent_failures: Recent::new(RECENT_FAILURES),
            id: NameId::default(),
        }
    }
}

impl ToolStats {
    pub fn failures(&self) -> Count {
        self.calls - self.successes
    }
    pub(super) fn merge(&mut self, o: ToolStats) {
        self.calls += o.calls;
        self.successes += o.successes;
        self.sampled |= o.sampled;
        self.latency.merge(&o.latency);
        self.ring.merge(&o.ring);
        self.recent_failures.merge(o.recent_failures);
    }
}

/// One model, from model_call events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelStats {
    pub calls: Count,
    pub failures: Count,
    pub sampled: bool,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub latency: Latency,
    /// Tokens and cost the calls report.
    pub ledger_spend: Spend,
    /// Calls without cost_usd that were priced from their tokens...
    pub priced_calls: Count,
    /// ...and those that could not be: no price known, or no tokens to price.
    pub unpriced_calls: Count,
    pub provider: Option<String>,
    /// The price this model's name matched, looked up on its first call.
    pub price: Option<Price>,
    pub(super) id: NameId,
}

impl ModelStats {
    pub(super) fn merge(&mut self, o: ModelStats) {
        self.calls += o.calls;
        self.failures += o.failures;
        self.sampled |= o.sampled;
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
    pub count: Count,
    pub failures: Count,
    pub sampled: bool,
    pub latency: Latency,
}

impl SpanStats {
    pub(super) fn absorb(&mut self, s: SpanStats) {
        self.count += s.count;
        self.failures += s.failures;
        self.sampled |= s.sampled;
        self.latency.merge(&s.latency);
    }
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
    /// Its last: the process said it was stopping cleanly.
    pub stopped: bool,
    pub pid: Option<i64>,
    pub host: Option<String>,
    pub started_at: Option<Micros>,
    pub agents: Vec<String>,
    pub rss_bytes: Option<i64>,
    pub cpu_percent: Option<f64>,
}
