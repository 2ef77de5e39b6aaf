//! OpenTelemetry GenAI spans and agent log events, mapped to event-log lines (core:
//! no I/O, no clock).
//!
//! One mapping for every input that speaks the GenAI conventions: the OTLP receiver
//! (`ajentik serve`) decodes protobuf or OTLP/JSON into a [`SpanInput`] or
//! [`LogInput`] and writes what this module returns. It sits beside the writer (it
//! needs only serde_json) so that a `tracing` layer in an agent can share it.
//!
//! Instrumentations in the wild emit several generations of attribute names at once
//! (see docs/otlp-ingest.md for the table this code follows): every alias is read,
//! numbers are coerced from int, double or string, and message contents are dropped
//! unless the user asked to keep them.

use serde_json::{Map, Value};

use crate::time::{Micros, format_rfc3339_micros};

/// Longest attribute value kept, in bytes (cut at a character boundary).
pub const MAX_VALUE_BYTES: usize = 1024;
/// Most attributes kept from one span or record.
pub const MAX_ATTRIBUTES: usize = 64;

/// How a model served in a faster, dearer mode is named (Anthropic's fast
/// mode: `speed: "fast"`), so that it is priced and listed apart.
pub const FAST_SUFFIX: &str = "-fast";

/// The name of `model` served in fast mode.
pub fn fast_variant(model: &str) -> String {
    format!("{model}{FAST_SUFFIX}")
}

/// One event-log line, its keys in the order our writers use (the reader's fast
/// path expects `v`, `ts`, `type` first).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Line(Vec<(&'static str, Value)>);

impl Line {
    /// Sets `key`, replacing its value if it is already there.
    pub fn insert(&mut self, key: &'static str, value: Value) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    pub fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| *k != key);
    }
}

impl serde::Serialize for Line {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// An attribute value as OTLP carries it (arrays and maps arrive rendered as JSON).
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    Str(String),
    Int(i64),
    F64(f64),
    Bool(bool),
}

impl AttrValue {
    fn as_str(&self) -> Option<&str> {
        match self {
            AttrValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a number, from any of the three types it is seen in.
    fn number(&self) -> Option<f64> {
        let n = match self {
            AttrValue::Int(i) => *i as f64,
            AttrValue::F64(f) => *f,
            AttrValue::Str(s) => s.trim().parse().ok()?,
            AttrValue::Bool(_) => return None,
        };
        n.is_finite().then_some(n)
    }

    /// A token count: a whole, non-negative number.
    fn count(&self) -> Option<u64> {
        match self {
            AttrValue::Int(i) => u64::try_from(*i).ok(),
            AttrValue::Str(s) => s.trim().parse().ok(),
            _ => self.number().filter(|n| *n >= 0.0 && n.fract() == 0.0 && *n < 9.0e18).map(|n| n as u64),
        }
    }

    fn truthy(&self) -> Option<bool> {
        match self {
            AttrValue::Bool(b) => Some(*b),
            AttrValue::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            AttrValue::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            AttrValue::Int(i) => Some(*i != 0),
            _ => None,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            AttrValue::Str(s) => Value::String(cut(s).to_owned()),
            AttrValue::Int(i) => Value::from(*i),
            AttrValue::F64(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            AttrValue::Bool(b) => Value::Bool(*b),
        }
    }
}

/// Attributes in the order they came; lookups are linear (a span has a few dozen).
pub type Attributes = Vec<(String, AttrValue)>;

fn get<'a>(attributes: &'a Attributes, key: &str) -> Option<&'a AttrValue> {
    attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// The first of `keys` present, as a non-empty string.
fn text<'a>(attributes: &'a Attributes, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|key| get(attributes, key)?.as_str().filter(|s| !s.is_empty()))
}

fn count(attributes: &Attributes, keys: &[&str]) -> Option<u64> {
    keys.iter().find_map(|key| get(attributes, key)?.count())
}

fn number(attributes: &Attributes, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|key| get(attributes, key)?.number())
}

/// `s` cut to at most [`MAX_VALUE_BYTES`], at a character boundary.
pub fn cut(s: &str) -> &str {
    if s.len() <= MAX_VALUE_BYTES {
        return s;
    }
    let mut end = MAX_VALUE_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// An exception or other timestamped event inside a span.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpanEventInput {
    pub name: String,
    pub time: Micros,
    pub attributes: Attributes,
}

/// One finished span, decoded from whatever carried it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpanInput {
    pub name: String,
    pub trace_id: Option<u128>,
    pub span_id: Option<u64>,
    pub parent_span_id: Option<u64>,
    pub start: Micros,
    pub end: Micros,
    /// `Some(message)` when the span's status is ERROR (the message may be empty).
    pub error: Option<String>,
    pub attributes: Attributes,
    pub events: Vec<SpanEventInput>,
    /// The resource's `service.name`.
    pub service: Option<String>,
}

/// One log record (an event of Claude Code, Codex or any OpenTelemetry logger).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogInput {
    pub time: Micros,
    /// OpenTelemetry severity number (17 and above: ERROR).
    pub severity: i32,
    pub severity_text: String,
    pub body: Option<AttrValue>,
    /// The record's `event_name` field (newer SDKs).
    pub event_name: String,
    pub scope: String,
    pub trace_id: Option<u128>,
    pub span_id: Option<u64>,
    pub attributes: Attributes,
    pub service: Option<String>,
}

/// What the user chose to keep.
#[derive(Debug, Clone, Copy, Default)]
pub struct MapOptions {
    /// Keep message contents, prompts, tool arguments and results (cut to 1 KiB).
    pub keep_content: bool,
}

/// What a span is, by `gen_ai.operation.name`, else by the first word of its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// `invoke_agent`, with the agent's name.
    Agent(String),
    Model,
    Tool,
    /// An error event that `ajentik push` carried as a span: only its exception counts.
    Error,
    Other,
}

/// The role of a span; the receiver remembers agents by span id to attribute children.
pub fn role(span: &SpanInput) -> Role {
    // Spans pushed by ajentik itself say what event they were made from.
    match text(&span.attributes, &["ajentik.event.type"]) {
        Some("agent_request") => return Role::Agent(agent_name(span)),
        Some("model_call") => return Role::Model,
        Some("tool_call") => return Role::Tool,
        Some("error") => return Role::Error,
        Some(_) => return Role::Other,
        None => {}
    }
    let operation = text(&span.attributes, &["gen_ai.operation.name"])
        .unwrap_or_else(|| span.name.split(' ').next().unwrap_or_default());
    match operation {
        "invoke_agent" => Role::Agent(agent_name(span)),
        "chat" | "text_completion" | "generate_content" | "embeddings" => Role::Model,
        "execute_tool" => Role::Tool,
        _ => Role::Other,
    }
}

fn agent_name(span: &SpanInput) -> String {
    text(&span.attributes, &["gen_ai.agent.name", "agent_name"])
        .or_else(|| span.name.strip_prefix("invoke_agent ").filter(|s| !s.is_empty()))
        .unwrap_or("(unknown)")
        .to_owned()
}

/// Attributes that hold message contents: private, dropped unless asked for.
pub fn is_content(key: &str) -> bool {
    const EXACT: &[&str] = &[
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.tool.definitions",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "gen_ai.prompt",
        "gen_ai.completion",
        "pydantic_ai.all_messages",
        "all_messages_events",
        "final_result",
        "model_request_parameters",
        "logfire.json_schema",
        "tool_arguments",
        "tool_response",
        "input.value",
        "output.value",
        "prompt",
        "response",
        "arguments",
        "output",
        "tool_parameters",
        "tool_input",
        "user.email",
    ];
    EXACT.contains(&key)
        || key.starts_with("gen_ai.prompt.")
        || key.starts_with("gen_ai.completion.")
        || key.starts_with("llm.prompts")
        || key.starts_with("llm.completions")
        || key.starts_with("traceloop.entity.input")
        || key.starts_with("traceloop.entity.output")
        || key.starts_with("llm.input_messages")
        || key.starts_with("llm.output_messages")
}

/// Attributes this mapping turns into event fields (not repeated in `attrs`).
fn is_mapped(key: &str) -> bool {
    key.starts_with("gen_ai.usage.")
        || key.starts_with("gen_ai.aggregated_usage.")
        || key.starts_with("ajentik.")
        || matches!(
            key,
            "gen_ai.operation.name"
                | "gen_ai.agent.name"
                | "agent_name"
                | "gen_ai.request.model"
                | "gen_ai.response.model"
                | "gen_ai.provider.name"
                | "gen_ai.system"
                | "gen_ai.tool.name"
                | "gen_ai.conversation.id"
                | "operation.cost"
                | "error.type"
        )
}

/// The kept attributes: service name first, then what the mapping did not use,
/// contents only when asked, at most [`MAX_ATTRIBUTES`], values cut.
fn kept_attrs(attributes: &Attributes, service: Option<&str>, options: MapOptions) -> Option<Map<String, Value>> {
    let mut attrs = Map::new();
    if let Some(service) = service {
        attrs.insert("service.name".into(), Value::String(cut(service).to_owned()));
    }
    for (key, value) in attributes {
        if attrs.len() >= MAX_ATTRIBUTES {
            break;
        }
        if is_mapped(key) || (is_content(key) && !options.keep_content) {
            continue;
        }
        attrs.insert(cut(key).to_owned(), value.to_json());
    }
    (!attrs.is_empty()).then_some(attrs)
}

/// The fields every event line starts with.
fn envelope(kind: &str, ts: Micros, trace_id: Option<u128>, span_id: Option<u64>, parent: Option<u64>) -> Line {
    let mut line = Line::default();
    line.insert("v", Value::from(1));
    line.insert("ts", Value::String(format_rfc3339_micros(ts)));
    line.insert("type", Value::from(kind));
    if let Some(trace) = trace_id.filter(|t| *t != 0) {
        line.insert("trace_id", Value::String(format!("{trace:032x}")));
    }
    if let Some(span) = span_id.filter(|s| *s != 0) {
        line.insert("span_id", Value::String(format!("{span:016x}")));
    }
    if let Some(parent) = parent.filter(|p| *p != 0) {
        line.insert("parent_span_id", Value::String(format!("{parent:016x}")));
    }
    line
}

fn put_str(line: &mut Line, key: &'static str, value: Option<&str>) {
    if let Some(value) = value.filter(|v| !v.is_empty()) {
        line.insert(key, Value::String(cut(value).to_owned()));
    }
}

fn put_count(line: &mut Line, key: &'static str, value: Option<u64>) {
    if let Some(value) = value {
        line.insert(key, Value::from(value));
    }
}

fn put_cost(line: &mut Line, usd: Option<f64>) {
    if let Some(usd) = usd.filter(|c| c.is_finite() && *c >= 0.0) {
        line.insert("cost_usd", Value::from(usd));
    }
}

/// Token counts of a model call or agent run, in the event log's rule: input
/// includes cache reads and writes, output includes reasoning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input: Option<u64>,
    pub output: Option<u64>,
    pub cache_read: u64,
    pub cache_write: u64,
    /// The part of `cache_write` with a one-hour lifetime.
    pub cache_write_1h: u64,
    pub reasoning: u64,
    /// Web searches the provider ran (not tokens: billed by the search).
    pub web_searches: u64,
}

impl Usage {
    /// From the GenAI attributes and their aliases. An instrumentation that counted
    /// the cache apart from the input (Anthropic's API does) is told by the cache
    /// exceeding the input, and added up.
    pub fn from_genai(attributes: &Attributes) -> Usage {
        let input = count(attributes, &["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"]);
        let output = count(attributes, &["gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"]);
        let cache_read = count(
            attributes,
            &[
                "gen_ai.usage.cache_read.input_tokens",
                "gen_ai.usage.cache_read_input_tokens",
                "gen_ai.usage.input_tokens.cached",
                "gen_ai.usage.details.cache_read_tokens",
            ],
        )
        .unwrap_or(0);
        let cache_write = count(
            attributes,
            &[
                "gen_ai.usage.cache_write.input_tokens",
                "gen_ai.usage.cache_creation.input_tokens",
                "gen_ai.usage.cache_creation_input_tokens",
                "gen_ai.usage.input_tokens.cache_write",
                "gen_ai.usage.details.cache_write_tokens",
            ],
        )
        .unwrap_or(0);
        let reasoning =
            count(attributes, &["gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.details.reasoning_tokens"])
                .unwrap_or(0);
        let cache_write_1h =
            count(attributes, &["ajentik.usage.cache_creation_1h.input_tokens"]).unwrap_or(0).min(cache_write);
        // No GenAI attribute counts web searches (as of semconv 1.38).
        Usage { input, output, cache_read, cache_write, cache_write_1h, reasoning, web_searches: 0 }.reconciled()
    }

    /// Makes the parts fit their totals: a cache counted apart from the input is
    /// added to it, reasoning counted apart from the output likewise.
    fn reconciled(mut self) -> Usage {
        let cached = self.cache_read.saturating_add(self.cache_write);
        if cached > 0 && cached > self.input.unwrap_or(0) {
            self.input = Some(self.input.unwrap_or(0).saturating_add(cached));
        }
        if self.reasoning > self.output.unwrap_or(0) {
            self.output = Some(self.output.unwrap_or(0).saturating_add(self.reasoning));
        }
        self
    }

    fn total(&self) -> Option<u64> {
        match (self.input, self.output) {
            (None, None) => None,
            (i, o) => Some(i.unwrap_or(0).saturating_add(o.unwrap_or(0))),
        }
    }

    /// Writes the input and output totals and the parts of them that are not zero.
    pub(crate) fn put(&self, line: &mut Line) {
        put_count(line, "input_tokens", self.input);
        put_count(line, "output_tokens", self.output);
        self.put_parts(line);
    }

    fn put_parts(&self, line: &mut Line) {
        for (key, value) in [
            ("cache_read_tokens", self.cache_read),
            ("cache_write_tokens", self.cache_write),
            ("cache_write_1h_tokens", self.cache_write_1h),
            ("reasoning_tokens", self.reasoning),
            ("web_search_requests", self.web_searches),
        ] {
            if value > 0 {
                line.insert(key, Value::from(value));
            }
        }
    }
}

fn duration_ms(start: Micros, end: Micros) -> f64 {
    (end.saturating_sub(start)).max(0) as f64 / 1000.0
}

/// The event-log lines for one finished span. `ancestor_agent` is the agent of the
/// nearest `invoke_agent` span above it, when the caller has seen one.
pub fn span_to_events(span: &SpanInput, ancestor_agent: Option<&str>, options: MapOptions) -> Vec<Line> {
    let attributes = &span.attributes;
    let role = role(span);
    let agent = match &role {
        Role::Agent(name) => Some(name.as_str()),
        _ => text(attributes, &["gen_ai.agent.name"]).or(ancestor_agent),
    };
    let error_type = span.error.as_ref().map(|message| {
        text(attributes, &["error.type"]).unwrap_or(if message.is_empty() { "error" } else { message }).to_owned()
    });
    let exceptions = span.events.iter().filter(|e| e.name == "exception");
    if role == Role::Error {
        let component = text(attributes, &["ajentik.component"]).unwrap_or("(unknown)");
        return exceptions.map(|event| exception_event(span, event, component, agent, options)).collect();
    }
    let end = if span.end > 0 { span.end } else { span.start };
    let kind = match role {
        Role::Agent(_) => "agent_request",
        Role::Model => "model_call",
        Role::Tool => "tool_call",
        Role::Error | Role::Other => "span",
    };
    let mut line = envelope(kind, end, span.trace_id, span.span_id, span.parent_span_id);
    let duration = Value::from(duration_ms(span.start, end));
    let success = Value::Bool(span.error.is_none());
    match &role {
        Role::Agent(name) => {
            line.insert("agent", Value::from(cut(name)));
            line.insert("success", success);
            line.insert("duration_ms", duration);
            agent_fields(&mut line, attributes, error_type.as_deref());
        }
        Role::Model => {
            let model = text(attributes, &["gen_ai.response.model", "gen_ai.request.model"])
                .or_else(|| span.name.split_once(' ').map(|(_, model)| model).filter(|m| !m.is_empty()))
                .unwrap_or("(unknown)");
            line.insert("model", Value::from(cut(model)));
            let provider = text(attributes, &["gen_ai.provider.name"])
                .or_else(|| text(attributes, &["gen_ai.system"]).filter(|system| *system != "unknown"));
            put_str(&mut line, "provider", provider);
            put_str(&mut line, "agent", agent);
            line.insert("success", success);
            line.insert("duration_ms", duration);
            let usage = Usage::from_genai(attributes);
            usage.put(&mut line);
            put_cost(&mut line, number(attributes, &["operation.cost", "gen_ai.usage.cost"]));
        }
        Role::Tool => {
            let tool = text(attributes, &["gen_ai.tool.name"])
                .or_else(|| span.name.strip_prefix("execute_tool ").filter(|t| !t.is_empty()))
                .unwrap_or("(unknown)");
            line.insert("tool", Value::from(cut(tool)));
            put_str(&mut line, "agent", agent);
            line.insert("success", success);
            line.insert("duration_ms", duration);
            put_str(&mut line, "error_type", error_type.as_deref());
            put_str(&mut line, "error_message", span.error.as_deref());
        }
        Role::Error | Role::Other => {
            line.insert("name", Value::from(cut(if span.name.is_empty() { "(unnamed)" } else { &span.name })));
            put_str(&mut line, "agent", agent);
            line.insert("duration_ms", duration);
            line.insert("status", Value::from(if span.error.is_some() { "error" } else { "ok" }));
            put_str(&mut line, "error_type", error_type.as_deref());
            put_str(&mut line, "error_message", span.error.as_deref());
        }
    }
    put_str(&mut line, "session", session(attributes));
    if let Some(rate) = number(attributes, &["ajentik.sample_rate"]).filter(|r| *r > 0.0 && *r <= 1.0) {
        line.insert("sample_rate", Value::from(rate));
    }
    let mut attrs = kept_attrs(attributes, span.service.as_deref(), options);
    if let (Role::Model, Some(error_type)) = (&role, &error_type) {
        // A model call has no error field of its own; keep why it failed.
        attrs.get_or_insert_with(Map::new).insert("error.type".into(), Value::from(cut(error_type)));
    }
    if let Some(attrs) = attrs {
        line.insert("attrs", Value::Object(attrs));
    }
    let component = ["tool", "model", "name", "agent"]
        .iter()
        .find_map(|key| line.get(key)?.as_str())
        .unwrap_or("(unknown)")
        .to_owned();
    let mut lines = vec![line];
    lines.extend(exceptions.map(|event| exception_event(span, event, &component, agent, options)));
    lines
}

fn session(attributes: &Attributes) -> Option<&str> {
    text(attributes, &["gen_ai.conversation.id", "session.id", "conversation.id"])
}

/// An agent run's own figures. Usage on an agent span is the sum of its model calls
/// (rig records it when the run ends): the fold's ledger rule keeps it from counting
/// twice. pydantic-ai's `gen_ai.aggregated_usage.*` is not read at all.
fn agent_fields(line: &mut Line, attributes: &Attributes, error_type: Option<&str>) {
    let usage = Usage::from_genai(attributes);
    let tokens = count(attributes, &["ajentik.tokens"]).or(usage.total());
    put_count(line, "tokens", tokens);
    if tokens.is_some_and(|t| usage.cache_read + usage.cache_write + usage.reasoning <= t) {
        usage.put_parts(line);
    }
    put_cost(line, number(attributes, &["operation.cost", "gen_ai.usage.cost"]));
    put_str(line, "model", text(attributes, &["gen_ai.response.model", "gen_ai.request.model", "model_name"]));
    put_str(line, "error_type", error_type);
}

/// An `exception` span event as an `error` event of the span's component.
fn exception_event(
    span: &SpanInput,
    event: &SpanEventInput,
    component: &str,
    agent: Option<&str>,
    options: MapOptions,
) -> Line {
    let time = if event.time > 0 { event.time } else { span.end };
    let mut line = envelope("error", time, span.trace_id, span.span_id, None);
    line.insert("component", Value::from(cut(component)));
    let error_type = text(&event.attributes, &["exception.type"]).unwrap_or("exception");
    line.insert("error_type", Value::from(cut(error_type)));
    let message = text(&event.attributes, &["exception.message"]).unwrap_or(error_type);
    line.insert("message", Value::from(cut(message)));
    put_str(&mut line, "agent", agent);
    put_str(&mut line, "session", session(&span.attributes));
    if options.keep_content
        && let Some(trace) = text(&event.attributes, &["exception.stacktrace"])
    {
        let mut context = Map::new();
        context.insert("stacktrace".into(), Value::from(cut(trace)));
        line.insert("context", Value::Object(context));
    }
    line
}

mod logs;
pub use logs::{log_dedupe_key, log_to_events};

#[cfg(test)]
mod tests;
