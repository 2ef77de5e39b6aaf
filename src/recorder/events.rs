//! The events a [`Recorder`] writes, as builders: fill in the optional fields,
//! then `.record()`.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use super::{Common, Recorder, TokenParts, WriteError, ms};
use crate::time::wall_clock;

macro_rules! builder {
    ($(#[$doc:meta])* $name:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[must_use = "an event is written by .record()"]
        pub struct $name<'r> {
            pub(super) rec: &'r Recorder,
            $(pub $field: $ty,)*
        }
    };
}

builder!(
    /// An agent request being recorded.
    AgentRequest {
        agent: String,
        success: bool,
        duration: Duration,
        tokens: Option<u64>,
        parts: TokenParts,
        cost_usd: Option<f64>,
        model: Option<String>,
        error_type: Option<String>,
        session: Option<String>,
        attrs: Option<Map<String, Value>>,
    }
);

impl<'r> AgentRequest<'r> {
    pub(super) fn blank(rec: &'r Recorder) -> Self {
        AgentRequest {
            rec,
            agent: String::new(),
            success: true,
            duration: Duration::ZERO,
            tokens: None,
            parts: TokenParts::default(),
            cost_usd: None,
            model: None,
            error_type: None,
            session: None,
            attrs: None,
        }
    }
    pub fn tokens(mut self, tokens: u64) -> Self {
        self.tokens = Some(tokens);
        self
    }
    /// Cache and reasoning parts of `tokens` (for agents that report their own totals).
    pub fn token_parts(mut self, parts: TokenParts) -> Self {
        self.parts = parts;
        self
    }
    /// The conversation or session this request belongs to.
    pub fn session(mut self, session: &str) -> Self {
        self.session = Some(session.to_owned());
        self
    }
    pub fn cost(mut self, usd: f64) -> Self {
        self.cost_usd = Some(usd);
        self
    }
    pub fn model(mut self, model: &str) -> Self {
        self.model = Some(model.to_owned());
        self
    }
    pub fn error_type(mut self, error_type: &str) -> Self {
        self.error_type = Some(error_type.to_owned());
        self
    }
    pub fn attr(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.attrs.get_or_insert_with(Map::new).insert(key.to_owned(), value.into());
        self
    }
    /// Writes the event (or leaves it out, if sampled out).
    pub fn record(self) -> Result<(), WriteError> {
        let p = &self.parts;
        let cached = p.cache_read.saturating_add(p.cache_write).saturating_add(p.reasoning);
        if cached > self.tokens.unwrap_or(0) {
            return Err(WriteError::Invalid(format!(
                "cache and reasoning tokens ({cached}) exceed the request's tokens ({}), which include them",
                self.tokens.unwrap_or(0)
            )));
        }
        self.parts.check(self.tokens, self.tokens)?;
        let Some(sample_rate) = self.rec.sample(self.rec.inner.sampling.agent_requests, !self.success) else {
            return Ok(());
        };
        #[derive(Serialize)]
        struct Line<'a> {
            #[serde(flatten)]
            common: Common,
            agent: &'a str,
            success: bool,
            duration_ms: f64,
            #[serde(skip_serializing_if = "Option::is_none")]
            tokens: Option<u64>,
            #[serde(flatten)]
            parts: TokenParts,
            #[serde(skip_serializing_if = "Option::is_none")]
            cost_usd: Option<f64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            model: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            error_type: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            attrs: Option<&'a Map<String, Value>>,
        }
        let line = Line {
            common: Common::new("agent_request", wall_clock()).with(&self.session, sample_rate),
            agent: &self.agent,
            success: self.success,
            duration_ms: ms(self.duration),
            tokens: self.tokens,
            parts: self.parts,
            cost_usd: self.cost_usd.filter(|c| c.is_finite() && *c >= 0.0),
            model: self.model.as_deref(),
            error_type: self.error_type.as_deref(),
            attrs: self.attrs.as_ref(),
        };
        self.rec.write_event(&line, 1)
    }
}

builder!(
    /// A tool call being recorded.
    ToolCall {
        tool: String,
        agent: Option<String>,
        success: bool,
        duration: Duration,
        error_type: Option<String>,
        error_message: Option<String>,
        session: Option<String>,
    }
);

impl<'r> ToolCall<'r> {
    pub(super) fn blank(rec: &'r Recorder) -> Self {
        ToolCall {
            rec,
            tool: String::new(),
            agent: None,
            success: true,
            duration: Duration::ZERO,
            error_type: None,
            error_message: None,
            session: None,
        }
    }
    pub fn agent(mut self, agent: &str) -> Self {
        self.agent = Some(agent.to_owned());
        self
    }
    pub fn error(mut self, error_type: &str, message: &str) -> Self {
        self.error_type = Some(error_type.to_owned());
        self.error_message = Some(message.to_owned());
        self
    }
    /// The conversation or session this call belongs to.
    pub fn session(mut self, session: &str) -> Self {
        self.session = Some(session.to_owned());
        self
    }
    pub fn record(self) -> Result<(), WriteError> {
        let Some(sample_rate) = self.rec.sample(self.rec.inner.sampling.tool_calls, !self.success) else {
            return Ok(());
        };
        #[derive(Serialize)]
        struct Line<'a> {
            #[serde(flatten)]
            common: Common,
            tool: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            agent: Option<&'a str>,
            success: bool,
            duration_ms: f64,
            #[serde(skip_serializing_if = "Option::is_none")]
            error_type: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            error_message: Option<&'a str>,
        }
        let line = Line {
            common: Common::new("tool_call", wall_clock()).with(&self.session, sample_rate),
            tool: &self.tool,
            agent: self.agent.as_deref(),
            success: self.success,
            duration_ms: ms(self.duration),
            error_type: self.error_type.as_deref(),
            error_message: self.error_message.as_deref(),
        };
        self.rec.write_event(&line, 1)
    }
}

builder!(
    /// A model call being recorded.
    ModelCall {
        model: String,
        provider: Option<String>,
        agent: Option<String>,
        success: bool,
        duration: Duration,
        input_tokens: Option<u64>,
        output_tokens: Option<u64>,
        parts: TokenParts,
        cost_usd: Option<f64>,
        session: Option<String>,
    }
);

impl<'r> ModelCall<'r> {
    pub(super) fn blank(rec: &'r Recorder) -> Self {
        ModelCall {
            rec,
            model: String::new(),
            provider: None,
            agent: None,
            success: true,
            duration: Duration::ZERO,
            input_tokens: None,
            output_tokens: None,
            parts: TokenParts::default(),
            cost_usd: None,
            session: None,
        }
    }
    /// Cache reads and writes (parts of the input tokens: a format that counts
    /// them apart, as Anthropic's API does, adds them to the input first).
    pub fn cache(mut self, read: u64, write: u64) -> Self {
        self.parts.cache_read = read;
        self.parts.cache_write = write;
        self
    }
    /// The part of the cache writes written with a one-hour lifetime.
    pub fn cache_write_1h(mut self, tokens: u64) -> Self {
        self.parts.cache_write_1h = tokens;
        self
    }
    /// Reasoning tokens (part of the output tokens).
    pub fn reasoning(mut self, tokens: u64) -> Self {
        self.parts.reasoning = tokens;
        self
    }
    /// Web searches the provider ran for the call (Anthropic's
    /// `server_tool_use.web_search_requests`): priced by the search.
    pub fn web_searches(mut self, searches: u64) -> Self {
        self.parts.web_searches = searches;
        self
    }
    /// The conversation or session this call belongs to.
    pub fn session(mut self, session: &str) -> Self {
        self.session = Some(session.to_owned());
        self
    }
    pub fn provider(mut self, provider: &str) -> Self {
        self.provider = Some(provider.to_owned());
        self
    }
    pub fn agent(mut self, agent: &str) -> Self {
        self.agent = Some(agent.to_owned());
        self
    }
    pub fn tokens(mut self, input: u64, output: u64) -> Self {
        self.input_tokens = Some(input);
        self.output_tokens = Some(output);
        self
    }
    pub fn cost(mut self, usd: f64) -> Self {
        self.cost_usd = Some(usd);
        self
    }
    pub fn record(self) -> Result<(), WriteError> {
        self.parts.check(self.input_tokens, self.output_tokens)?;
        let Some(sample_rate) = self.rec.sample(self.rec.inner.sampling.model_calls, !self.success) else {
            return Ok(());
        };
        #[derive(Serialize)]
        struct Line<'a> {
            #[serde(flatten)]
            common: Common,
            model: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            provider: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            agent: Option<&'a str>,
            success: bool,
            duration_ms: f64,
            #[serde(skip_serializing_if = "Option::is_none")]
            input_tokens: Option<u64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            output_tokens: Option<u64>,
            #[serde(flatten)]
            parts: TokenParts,
            #[serde(skip_serializing_if = "Option::is_none")]
            cost_usd: Option<f64>,
        }
        let line = Line {
            common: Common::new("model_call", wall_clock()).with(&self.session, sample_rate),
            model: &self.model,
            provider: self.provider.as_deref(),
            agent: self.agent.as_deref(),
            success: self.success,
            duration_ms: ms(self.duration),
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            parts: self.parts,
            cost_usd: self.cost_usd.filter(|c| c.is_finite() && *c >= 0.0),
        };
        self.rec.write_event(&line, 1)
    }
}

builder!(
    /// A named operation with a known duration, being recorded (for operations
    /// timed elsewhere; [`Recorder::monitor_operation`] times one itself).
    SpanEvent {
        name: String,
        agent: Option<String>,
        duration: Duration,
        ok: bool,
        error_type: Option<String>,
        error_message: Option<String>,
        session: Option<String>,
        attrs: Option<Map<String, Value>>,
    }
);

impl SpanEvent<'_> {
    /// The conversation or session this operation belongs to.
    pub fn session(mut self, session: &str) -> Self {
        self.session = Some(session.to_owned());
        self
    }
    pub fn agent(mut self, agent: &str) -> Self {
        self.agent = Some(agent.to_owned());
        self
    }
    pub fn error(mut self, error_type: &str, message: &str) -> Self {
        self.ok = false;
        self.error_type = Some(error_type.to_owned());
        self.error_message = Some(message.to_owned());
        self
    }
    pub fn attr(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.attrs.get_or_insert_with(Map::new).insert(key.to_owned(), value.into());
        self
    }
    pub fn record(self) -> Result<(), WriteError> {
        let Some(sample_rate) = self.rec.sample(self.rec.inner.sampling.spans, !self.ok) else {
            return Ok(());
        };
        let line = SpanLine {
            common: Common::new("span", wall_clock()).with(&self.session, sample_rate),
            name: &self.name,
            agent: self.agent.as_deref(),
            duration_ms: ms(self.duration),
            status: if self.ok { "ok" } else { "error" },
            error_type: self.error_type.as_deref(),
            error_message: self.error_message.as_deref(),
            attrs: self.attrs.as_ref().filter(|a| !a.is_empty()),
        };
        self.rec.write_event(&line, 1)
    }
}

/// A `span` event line, as both [`SpanEvent`] and a timed [`Operation`] write it.
#[derive(Serialize)]
pub(crate) struct SpanLine<'a> {
    #[serde(flatten)]
    pub common: Common,
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<&'a str>,
    pub duration_ms: f64,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attrs: Option<&'a Map<String, Value>>,
}

/// An error event being recorded.
#[must_use = "an event is written by .record()"]
pub struct ErrorEvent<'r> {
    pub(super) rec: &'r Recorder,
    pub component: String,
    pub error_type: String,
    pub message: String,
    pub agent: Option<String>,
    pub context: Option<Map<String, Value>>,
    pub session: Option<String>,
}

impl ErrorEvent<'_> {
    /// The conversation or session the error belongs to.
    pub fn session(mut self, session: &str) -> Self {
        self.session = Some(session.to_owned());
        self
    }
    pub fn agent(mut self, agent: &str) -> Self {
        self.agent = Some(agent.to_owned());
        self
    }
    pub fn context(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.context.get_or_insert_with(Map::new).insert(key.to_owned(), value.into());
        self
    }
    /// Writes the event; errors are never sampled out.
    pub fn record(self) -> Result<(), WriteError> {
        #[derive(Serialize)]
        struct Line<'a> {
            #[serde(flatten)]
            common: Common,
            component: &'a str,
            error_type: &'a str,
            message: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            agent: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            context: Option<&'a Map<String, Value>>,
        }
        let line = Line {
            common: Common::new("error", wall_clock()).with(&self.session, None),
            component: &self.component,
            error_type: &self.error_type,
            message: &self.message,
            agent: self.agent.as_deref(),
            context: self.context.as_ref(),
        };
        self.rec.write_event(&line, 1)
    }
}

/// A free-form event (heartbeats): named fields on top of the common ones.
#[must_use = "an event is written by .record()"]
pub struct Event<'r> {
    pub(super) rec: &'r Recorder,
    kind: &'static str,
    fields: Map<String, Value>,
}

impl<'r> Event<'r> {
    pub(super) fn new(rec: &'r Recorder, kind: &'static str) -> Self {
        Event { rec, kind, fields: Map::new() }
    }
    /// Sets a field.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.fields.insert(key.to_owned(), value.into());
        self
    }
    /// For heartbeats: the agents this process runs.
    pub fn agents(self, agents: &[&str]) -> Self {
        self.with("agents", agents.iter().map(|a| Value::from(*a)).collect::<Vec<_>>())
    }
    pub fn rss_bytes(self, bytes: u64) -> Self {
        self.with("rss_bytes", bytes)
    }
    pub fn cpu_percent(self, percent: f64) -> Self {
        self.with("cpu_percent", percent)
    }
    pub fn host(self, host: &str) -> Self {
        self.with("host", host)
    }
    /// For heartbeats: the last one, the process exiting cleanly (its silence
    /// from then on is not a loss).
    pub fn stopped(self) -> Self {
        self.with("stopped", true)
    }
    /// For heartbeats: when this process started.
    pub fn started_at(self, t: std::time::SystemTime) -> Self {
        let micros = t.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64);
        self.with("started_at", crate::time::format_rfc3339_micros(micros))
    }
    pub fn record(self) -> Result<(), WriteError> {
        #[derive(Serialize)]
        struct Line<'a> {
            #[serde(flatten)]
            common: Common,
            #[serde(flatten)]
            fields: &'a Map<String, Value>,
        }
        let mut common = Common::new(self.kind, wall_clock());
        // A heartbeat is about the process, not about an operation.
        (common.trace_id, common.span_id, common.parent_span_id) = (None, None, None);
        self.rec.write_event(&Line { common, fields: &self.fields }, 1)
    }
}
