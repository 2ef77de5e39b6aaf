//! Operations as OpenTelemetry spans, as plain data (core: no I/O, no clock).
//!
//! This is the first half of pushing traces to Logfire or any OTLP backend (issue 6):
//! each operation event becomes a [`SpanRecord`] named and attributed after the
//! OpenTelemetry GenAI conventions, with its real ids and times, so the shell can
//! hand it to the OTLP exporter as the SDK's `SpanData`. The SDK's tracer cannot be
//! used for this: it always makes its own span ids and times.
//!
//! Events without ids get deterministic ones, derived from where the event sits
//! (source and byte offset), so a span keeps its id however often it is pushed and
//! the backend can de-duplicate a batch resent after a crash.

pub mod target;

use crate::event::{Event, Kind, TokenParts};
use crate::pricing::PriceTable;
use crate::time::{MICROS_PER_HOUR, Micros};

/// Where an event was read: the log's identity and the byte offset of its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin<'a> {
    pub source: &'a str,
    pub offset: u64,
}

/// OpenTelemetry span kind: the two the GenAI conventions use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    Internal,
    /// A call out of the process: a model API call.
    Client,
}

/// An attribute value, in the types OTLP carries (the receiver's type: one mapping,
/// both ways).
pub use crate::genai::AttrValue;

/// A timestamped event inside a span (an error event becomes an `exception`).
#[derive(Debug, Clone, PartialEq)]
pub struct SpanEventRecord {
    pub name: String,
    pub time: Micros,
    pub attributes: Vec<(String, AttrValue)>,
}

/// One span, ready to export.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanRecord {
    pub trace_id: u128,
    pub span_id: u64,
    pub parent_span_id: Option<u64>,
    pub name: String,
    pub kind: SpanKind,
    pub start: Micros,
    pub end: Micros,
    pub attributes: Vec<(String, AttrValue)>,
    /// `Some(description)` when the operation failed: status ERROR.
    pub error: Option<String>,
    pub events: Vec<SpanEventRecord>,
}

/// Logfire keeps records from the last 24 hours up to 1 hour ahead and drops the
/// rest (failing a request whose records are all outside): the window push keeps
/// to unless told otherwise.
pub const LOGFIRE_PAST: Micros = 24 * MICROS_PER_HOUR;
pub const LOGFIRE_AHEAD: Micros = MICROS_PER_HOUR;

/// Whether a span ending at `end` is inside Logfire's retention window at `now`.
pub fn within_logfire_window(end: Micros, now: Micros) -> bool {
    end >= now.saturating_sub(LOGFIRE_PAST) && end <= now.saturating_add(LOGFIRE_AHEAD)
}

/// Logfire cuts span names at 512 bytes; cutting here, on a character boundary,
/// keeps the name valid UTF-8 and the same on every push.
const MAX_NAME_BYTES: usize = 512;

/// The span for one event, or `None` for events that are not operations
/// (heartbeats). `prices` fills `operation.cost` for a model call that has no
/// `cost_usd`, as the fold does.
pub fn span_record(e: &Event<'_>, origin: Origin<'_>, prices: Option<&PriceTable>) -> Option<SpanRecord> {
    let (derived_trace, derived_span) = derived_ids(origin);
    let trace_id = e.trace_id.unwrap_or(derived_trace);
    let mut attributes = Vec::new();
    let mut events = Vec::new();
    let (name, kind, duration_ms, error) = kind_span(e, prices, &mut attributes, &mut events)?;
    // An error event's own span hangs under the span it names.
    let (span_id, parent_span_id) = match (&e.kind, e.span_id) {
        (Kind::Error { .. }, Some(named)) => (derived_span, Some(named)),
        _ => (e.span_id.unwrap_or(derived_span), e.parent_span_id),
    };
    if let Some(attrs) = e.attrs {
        attributes.extend(json_object_attrs(attrs, ""));
    }
    if let Some(session) = &e.session {
        attributes.push(str_attr("gen_ai.conversation.id", session));
    }
    if let Some(rate) = e.sample_rate {
        attributes.push(("ajentik.sample_rate".into(), AttrValue::F64(rate)));
    }
    attributes.push(str_attr("ajentik.event.type", e.kind.type_name()));
    let duration = (duration_ms * 1000.0).round() as Micros;
    Some(SpanRecord {
        trace_id,
        span_id,
        parent_span_id,
        name: cut_name(name),
        kind,
        start: e.ts.saturating_sub(duration),
        end: e.ts,
        attributes,
        error,
        events,
    })
}

/// A span's name, kind, length in milliseconds and status description (for a
/// failure), as an event's kind gives them.
type KindSpan = (String, SpanKind, f64, Option<String>);

/// What an event's kind makes of its span, its kind's attributes and events
/// added; `None` for a heartbeat.
fn kind_span(
    e: &Event<'_>,
    prices: Option<&PriceTable>,
    attributes: &mut Vec<(String, AttrValue)>,
    events: &mut Vec<SpanEventRecord>,
) -> Option<KindSpan> {
    Some(match &e.kind {
        Kind::AgentRequest { .. } => agent_request_span(&e.kind, attributes)?,
        Kind::ModelCall { .. } => model_call_span(&e.kind, prices, attributes)?,
        Kind::ToolCall { tool, agent, success, duration_ms, error_type, error_message } => {
            attributes.push(str_attr("gen_ai.operation.name", "execute_tool"));
            attributes.push(str_attr("gen_ai.tool.name", tool));
            if let Some(agent) = agent {
                attributes.push(str_attr("gen_ai.agent.name", agent));
            }
            let error = failure(*success, error_type.as_deref(), error_message.as_deref(), attributes);
            (format!("execute_tool {tool}"), SpanKind::Internal, duration_ms.unwrap_or(0.0), error)
        }
        Kind::Span { name, agent, duration_ms, ok, error_type, error_message } => {
            if let Some(agent) = agent {
                attributes.push(str_attr("gen_ai.agent.name", agent));
            }
            let error = failure(*ok, error_type.as_deref(), error_message.as_deref(), attributes);
            (name.to_string(), SpanKind::Internal, *duration_ms, error)
        }
        Kind::Error { component, error_type, message, agent, context } => {
            // An error event is a moment, not an operation: a zero-length span on its
            // trace (under the span it names) carrying the standard `exception` event,
            // so it shows where it happened in the backend's trace view.
            attributes.push(str_attr("ajentik.component", component));
            if let Some(agent) = agent {
                attributes.push(str_attr("gen_ai.agent.name", agent));
            }
            attributes.push(str_attr("error.type", error_type));
            let mut exception = vec![str_attr("exception.type", error_type), str_attr("exception.message", message)];
            if let Some(context) = context {
                exception.extend(json_object_attrs(context, "ajentik.context."));
            }
            events.push(SpanEventRecord { name: "exception".into(), time: e.ts, attributes: exception });
            let error = Some(format!("{error_type}: {message}"));
            (format!("error {component}"), SpanKind::Internal, 0.0, error)
        }
        Kind::Heartbeat { .. } => return None,
    })
}

fn agent_request_span(kind: &Kind<'_>, attributes: &mut Vec<(String, AttrValue)>) -> Option<KindSpan> {
    let Kind::AgentRequest { agent, success, duration_ms, tokens, parts, cost_usd, model, error_type } = kind else {
        return None;
    };
    attributes.push(str_attr("gen_ai.operation.name", "invoke_agent"));
    attributes.push(str_attr("gen_ai.agent.name", agent));
    if let Some(model) = model {
        attributes.push(str_attr("gen_ai.request.model", model));
    }
    if let Some(tokens) = tokens {
        attributes.push(("ajentik.tokens".into(), AttrValue::Int(*tokens)));
    }
    token_parts(parts, attributes);
    if let Some(cost) = cost_usd {
        attributes.push(("operation.cost".into(), AttrValue::F64(*cost)));
    }
    let error = failure(*success, error_type.as_deref(), None, attributes);
    Some((format!("invoke_agent {agent}"), SpanKind::Internal, *duration_ms, error))
}

/// A model call's span; `prices` fill `operation.cost` for a call without
/// `cost_usd`, as the fold does.
fn model_call_span(
    kind: &Kind<'_>,
    prices: Option<&PriceTable>,
    attributes: &mut Vec<(String, AttrValue)>,
) -> Option<KindSpan> {
    let Kind::ModelCall { model, provider, agent, success, duration_ms, input_tokens, output_tokens, parts, cost_usd } =
        kind
    else {
        return None;
    };
    let system = provider.as_deref().unwrap_or("unknown");
    attributes.push(str_attr("gen_ai.operation.name", "chat"));
    attributes.push(str_attr("gen_ai.request.model", model));
    attributes.push(str_attr("gen_ai.system", system));
    if let Some(provider) = provider {
        attributes.push(str_attr("gen_ai.provider.name", provider));
    }
    if let Some(agent) = agent {
        attributes.push(str_attr("gen_ai.agent.name", agent));
    }
    if let Some(n) = input_tokens {
        attributes.push(("gen_ai.usage.input_tokens".into(), AttrValue::Int(*n)));
    }
    if let Some(n) = output_tokens {
        attributes.push(("gen_ai.usage.output_tokens".into(), AttrValue::Int(*n)));
    }
    token_parts(parts, attributes);
    let price = || prices?.lookup(model);
    let priced = crate::pricing::call_cost(*cost_usd, price, *input_tokens, *output_tokens, parts);
    if let Some(cost) = priced {
        attributes.push(("operation.cost".into(), AttrValue::F64(cost)));
    }
    let error = failure(*success, None, None, attributes);
    // A call whose duration is not known is a span of no length.
    Some((format!("chat {model}"), SpanKind::Client, duration_ms.unwrap_or(0.0), error))
}

/// The cache and reasoning token counts, under the GenAI convention's names
/// (each included in the input or output count, as in the event log).
fn token_parts(parts: &TokenParts, attributes: &mut Vec<(String, AttrValue)>) {
    let named = [
        ("gen_ai.usage.cache_read.input_tokens", parts.cache_read),
        ("gen_ai.usage.cache_creation.input_tokens", parts.cache_write),
        ("ajentik.usage.cache_creation_1h.input_tokens", parts.cache_write_1h),
        ("gen_ai.usage.reasoning.output_tokens", parts.reasoning),
    ];
    for (key, n) in named {
        if n > 0 {
            attributes.push((key.into(), AttrValue::Int(i64::try_from(n).unwrap_or(i64::MAX))));
        }
    }
}

fn str_attr(key: &str, value: &str) -> (String, AttrValue) {
    (key.to_string(), AttrValue::Str(value.to_string()))
}

/// Sets `error.type` on a failure and returns the status description.
fn failure(
    success: bool,
    error_type: Option<&str>,
    message: Option<&str>,
    attributes: &mut Vec<(String, AttrValue)>,
) -> Option<String> {
    if success {
        return None;
    }
    let error_type = error_type.unwrap_or("failure");
    attributes.push(str_attr("error.type", error_type));
    Some(match message {
        Some(m) => format!("{error_type}: {m}"),
        None => error_type.to_string(),
    })
}

/// The members of a JSON object as attributes under their own keys (with a
/// prefix): scalars keep their type; arrays and objects are carried as JSON text.
fn json_object_attrs(raw: &str, prefix: &str) -> Vec<(String, AttrValue)> {
    // The event parser already validated the object, so this cannot fail; if it
    // somehow did, no attributes is the honest answer.
    let Ok(map) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(raw) else {
        return Vec::new();
    };
    map.into_iter()
        .filter_map(|(key, value)| {
            let value = match value {
                serde_json::Value::Null => return None,
                serde_json::Value::Bool(b) => AttrValue::Bool(b),
                serde_json::Value::String(s) => AttrValue::Str(s),
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => AttrValue::Int(i),
                    None => AttrValue::F64(n.as_f64().unwrap_or(f64::NAN)),
                },
                other => AttrValue::Str(other.to_string()),
            };
            Some((format!("{prefix}{key}"), value))
        })
        .collect()
}

fn cut_name(mut name: String) -> String {
    if name.len() > MAX_NAME_BYTES {
        let mut end = MAX_NAME_BYTES;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    name
}

/// Trace and span ids for an event that has none, from its place in the log.
/// FNV-1a, written out, because the ids must stay the same across builds and
/// Rust versions (std's hasher makes no such promise). Neither id is ever zero,
/// which OTLP reserves for "invalid".
pub fn derived_ids(origin: Origin<'_>) -> (u128, u64) {
    let mut input = Vec::with_capacity(origin.source.len() + 9);
    input.extend_from_slice(origin.source.as_bytes());
    input.push(0);
    input.extend_from_slice(&origin.offset.to_le_bytes());
    let span = fnv1a_64(&input, 0xcbf2_9ce4_8422_2325).max(1);
    let high = fnv1a_64(&input, 0x84222325_cbf29ce4);
    let low = fnv1a_64(&input, 0x9e37_79b9_7f4a_7c15);
    let trace = ((u128::from(high) << 64) | u128::from(low)).max(1);
    (trace, span)
}

pub(crate) fn fnv1a_64(bytes: &[u8], basis: u64) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(basis, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests;
