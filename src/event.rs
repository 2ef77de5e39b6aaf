//! The one event type: what every input (the v1 event log, and the adapters
//! that follow) turns its bytes into, and all that the fold, alerts, reports,
//! panes and push know of where an event came from. The v1 line format's parser
//! is `ingest::v1`.

use std::borrow::Cow;

use crate::time::Micros;

/// One validated event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    /// When it was recorded (for an operation, when it ended).
    pub ts: Micros,
    pub trace_id: Option<u128>,
    pub span_id: Option<u64>,
    pub parent_span_id: Option<u64>,
    /// The raw JSON text of `attrs`, always an object when present.
    pub attrs: Option<&'a str>,
    /// The conversation or session the event belongs to (operation events only).
    pub session: Option<Cow<'a, str>>,
    /// The probability with which the writer kept this event, in (0, 1]; absent
    /// means 1. Read on agent requests, tool, model calls and spans only.
    pub sample_rate: Option<f64>,
    pub kind: Kind<'a>,
}

/// Token counts that are parts of the input and output counts: cache reads and
/// writes are included in `input_tokens`, reasoning in `output_tokens` (the
/// OpenTelemetry GenAI convention). Zero when the writer did not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenParts {
    pub cache_read: u64,
    /// All cache writes, the one-hour ones included.
    pub cache_write: u64,
    /// The part of `cache_write` written with a one-hour lifetime.
    pub cache_write_1h: u64,
    pub reasoning: u64,
    /// Not tokens: the web searches the provider ran for the call
    /// (`web_search_requests`), billed by the search on top of the tokens. Kept
    /// here because they come with the same call's usage and are priced with it.
    pub web_searches: u64,
}

impl TokenParts {
    pub fn is_zero(&self) -> bool {
        *self == TokenParts::default()
    }
}

/// The type-specific part of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind<'a> {
    AgentRequest {
        agent: Cow<'a, str>,
        success: bool,
        duration_ms: f64,
        tokens: Option<i64>,
        /// Parts of `tokens`, for agents that report their own totals.
        parts: TokenParts,
        cost_usd: Option<f64>,
        model: Option<Cow<'a, str>>,
        error_type: Option<Cow<'a, str>>,
    },
    ToolCall {
        tool: Cow<'a, str>,
        agent: Option<Cow<'a, str>>,
        success: bool,
        /// Absent where the writer cannot know it (a tool an agent's log names
        /// with no time): the call counts, its latency is not made up.
        duration_ms: Option<f64>,
        error_type: Option<Cow<'a, str>>,
        error_message: Option<Cow<'a, str>>,
    },
    ModelCall {
        model: Cow<'a, str>,
        provider: Option<Cow<'a, str>>,
        agent: Option<Cow<'a, str>>,
        success: bool,
        /// Absent where the writer cannot know it (a response whose prompt was
        /// not seen).
        duration_ms: Option<f64>,
        input_tokens: Option<i64>,
        output_tokens: Option<i64>,
        parts: TokenParts,
        cost_usd: Option<f64>,
    },
    Span {
        name: Cow<'a, str>,
        agent: Option<Cow<'a, str>>,
        duration_ms: f64,
        ok: bool,
        error_type: Option<Cow<'a, str>>,
        error_message: Option<Cow<'a, str>>,
    },
    Error {
        component: Cow<'a, str>,
        error_type: Cow<'a, str>,
        message: Cow<'a, str>,
        agent: Option<Cow<'a, str>>,
        /// The raw JSON text of `context`, always an object when present.
        context: Option<&'a str>,
    },
    Heartbeat {
        process: Cow<'a, str>,
        pid: Option<i64>,
        host: Option<Cow<'a, str>>,
        started_at: Option<Micros>,
        agents: Vec<Cow<'a, str>>,
        rss_bytes: Option<i64>,
        cpu_percent: Option<f64>,
        /// The process's last heartbeat: it is shutting down cleanly, and its
        /// silence from now on is not a loss.
        stopped: bool,
    },
}

impl Kind<'_> {
    /// The `type` string of this kind.
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::AgentRequest { .. } => "agent_request",
            Kind::ToolCall { .. } => "tool_call",
            Kind::ModelCall { .. } => "model_call",
            Kind::Span { .. } => "span",
            Kind::Error { .. } => "error",
            Kind::Heartbeat { .. } => "heartbeat",
        }
    }
}
