//! Log records: Claude Code's, Codex's and Gemini CLI's telemetry events, and
//! any error record.

use serde_json::{Map, Value};

use super::{
    AttrValue, Attributes, Line, LogInput, MapOptions, Usage, count, cut, envelope, number, put_cost, put_str, text,
};

/// Whose event a record is, and its bare name (`api_request`, `tool_result`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family<'a> {
    ClaudeCode(&'a str),
    Codex(&'a str),
    GeminiCli(&'a str),
    Other,
}

fn event_name(log: &LogInput) -> &str {
    if !log.event_name.is_empty() {
        return &log.event_name;
    }
    if let Some(name) = text(&log.attributes, &["event.name"]) {
        return name;
    }
    match &log.body {
        Some(AttrValue::Str(body))
            if body.starts_with("claude_code.") || body.starts_with("codex.") || body.starts_with("gemini_cli.") =>
        {
            body
        }
        _ => "",
    }
}

fn family(log: &LogInput) -> Family<'_> {
    let name = event_name(log);
    if let Some(bare) = name.strip_prefix("claude_code.") {
        return Family::ClaudeCode(bare);
    }
    if let Some(bare) = name.strip_prefix("codex.") {
        return Family::Codex(bare);
    }
    if let Some(bare) = name.strip_prefix("gemini_cli.") {
        return Family::GeminiCli(bare);
    }
    let claude_scope = log.scope.starts_with("com.anthropic.claude_code")
        || log.service.as_deref().is_some_and(|s| s.starts_with("claude-code"));
    if claude_scope && !name.is_empty() {
        return Family::ClaudeCode(name);
    }
    Family::Other
}

fn session(attributes: &Attributes) -> Option<&str> {
    text(attributes, &["session.id", "conversation.id", "gen_ai.conversation.id"])
}

/// A key that is the same for every copy of one event: an exporter's retry, and
/// Codex's two families of the same event (which differ in scope and attributes).
pub fn log_dedupe_key(log: &LogInput) -> String {
    let a = &log.attributes;
    let stamp = text(a, &["event.timestamp"]).map_or_else(|| log.time.to_string(), str::to_owned);
    match family(log) {
        Family::ClaudeCode(name) => format!(
            "cc|{name}|{}|{}|{}|{stamp}",
            session(a).unwrap_or_default(),
            text(a, &["request_id", "tool_use_id", "message.uuid"]).unwrap_or_default(),
            count(a, &["event.sequence"]).unwrap_or_default(),
        ),
        Family::Codex(name) => format!(
            "codex|{name}|{}|{}|{}|{stamp}",
            text(a, &["event.kind"]).unwrap_or_default(),
            session(a).unwrap_or_default(),
            text(a, &["call_id"]).unwrap_or_default(),
        ),
        Family::GeminiCli(name) => format!(
            "gemini|{name}|{}|{}|{}|{stamp}",
            session(a).unwrap_or_default(),
            text(a, &["prompt_id"]).unwrap_or_default(),
            text(a, &["function_name"]).unwrap_or_default(),
        ),
        Family::Other => {
            let body = match &log.body {
                Some(AttrValue::Str(s)) => cut(s).to_owned(),
                Some(other) => format!("{other:?}"),
                None => String::new(),
            };
            format!("log|{}|{}|{}|{}|{body}", log.time, log.severity, log.scope, log.span_id.unwrap_or(0))
        }
    }
}

/// The event-log lines for one log record (often none: most records are not
/// events ajentik folds).
pub fn log_to_events(log: &LogInput, options: MapOptions) -> Vec<Line> {
    match family(log) {
        Family::ClaudeCode(name) => claude_code(log, name, options),
        Family::Codex(name) => codex(log, name, options),
        Family::GeminiCli(name) => gemini_cli(log, name, options),
        Family::Other => generic_error(log).into_iter().collect(),
    }
}

/// Identifying attributes worth keeping on events from coding agents (the rest are
/// identity, such as e-mail addresses, or content).
const KEPT: &[&str] = &[
    "request_id",
    "query_source",
    "speed",
    "effort",
    "tool_use_id",
    "call_id",
    "prompt.id",
    "prompt_id",
    "attempt",
    "status_code",
    "decision",
];

fn base(log: &LogInput, kind: &str, agent: &str, options: MapOptions) -> Line {
    let mut line = envelope(kind, log.time, log.trace_id, log.span_id, None);
    line.insert("agent", Value::from(agent));
    put_str(&mut line, "session", session(&log.attributes));
    let mut attrs = Map::new();
    if let Some(service) = &log.service {
        attrs.insert("service.name".into(), Value::from(cut(service)));
    }
    for (key, value) in &log.attributes {
        let content = matches!(
            key.as_str(),
            "prompt"
                | "response"
                | "arguments"
                | "output"
                | "tool_parameters"
                | "tool_input"
                | "function_args"
                | "response_text"
        );
        if KEPT.contains(&key.as_str()) || (content && options.keep_content) {
            attrs.insert(key.clone(), value.to_json());
        }
    }
    if !attrs.is_empty() {
        line.insert("attrs", Value::Object(attrs));
    }
    line
}

fn model_call(line: &mut Line, model: Option<&str>, provider: &str, success: bool, duration_ms: Option<f64>) {
    line.insert("model", Value::from(cut(model.unwrap_or("(unknown)"))));
    line.insert("provider", Value::from(provider));
    line.insert("success", Value::Bool(success));
    // A duration the log event does not give is not known (not 0).
    if let Some(ms) = duration_ms {
        line.insert("duration_ms", Value::from(ms));
    }
    if !success {
        // A failed request is not billed: no tokens (priced at nothing, not "unpriced").
        line.insert("input_tokens", Value::from(0));
        line.insert("output_tokens", Value::from(0));
    }
}

/// A failed API call of `agent` (to `provider`): a failed `model_call` and the
/// `error` that says why.
fn failed_call(
    log: &LogInput,
    (agent, provider): (&str, &str),
    model: Option<&str>,
    error_type: &str,
    message: &str,
    options: MapOptions,
) -> Vec<Line> {
    let mut line = base(log, "model_call", agent, options);
    let duration = number(&log.attributes, &["duration_ms"]).filter(|d| *d >= 0.0);
    model_call(&mut line, model, provider, false, duration);
    vec![line, error_line(log, agent, error_type, message)]
}

/// An API failure's type: `http_<status>`, else `api_error`.
fn http_error_type(status: Option<u64>) -> String {
    status.map_or_else(|| "api_error".to_owned(), |status| format!("http_{status}"))
}

fn error_line(log: &LogInput, agent: &str, error_type: &str, message: &str) -> Line {
    let mut line = envelope("error", log.time, log.trace_id, log.span_id, None);
    line.insert("component", Value::from(agent));
    line.insert("error_type", Value::from(cut(error_type)));
    line.insert("message", Value::from(cut(if message.is_empty() { error_type } else { message })));
    line.insert("agent", Value::from(agent));
    put_str(&mut line, "session", session(&log.attributes));
    line
}

fn tool_call(log: &LogInput, agent: &str, options: MapOptions) -> Line {
    let a = &log.attributes;
    let mut line = base(log, "tool_call", agent, options);
    line.insert("tool", Value::from(cut(text(a, &["tool_name", "function_name"]).unwrap_or("(unknown)"))));
    let success = a.iter().find(|(k, _)| k == "success").and_then(|(_, v)| v.truthy()).unwrap_or(true);
    line.insert("success", Value::Bool(success));
    if let Some(ms) = number(a, &["duration_ms"]).filter(|d| *d >= 0.0) {
        line.insert("duration_ms", Value::from(ms));
    }
    if !success {
        put_str(&mut line, "error_type", Some(text(a, &["error_type"]).unwrap_or("tool_error")));
    }
    line
}

/// Claude Code: `api_request` (tokens counted apart from the cache, as Anthropic's
/// API does, so added up here), `api_error`, `tool_result`.
fn claude_code(log: &LogInput, name: &str, options: MapOptions) -> Vec<Line> {
    const AGENT: &str = "claude-code";
    let a = &log.attributes;
    let duration = number(a, &["duration_ms"]).filter(|d| *d >= 0.0);
    match name {
        "api_request" => {
            let mut line = base(log, "model_call", AGENT, options);
            // Fast mode is listed apart, as transcripts list it (its cost is given).
            let fast = text(a, &["speed"]) == Some("fast");
            let model = text(a, &["model"]).map(|m| if fast { crate::genai::fast_variant(m) } else { m.to_owned() });
            model_call(&mut line, model.as_deref(), "anthropic", true, duration);
            let cache_read = count(a, &["cache_read_tokens"]).unwrap_or(0);
            let cache_write = count(a, &["cache_creation_tokens"]).unwrap_or(0);
            let usage = Usage {
                input: Some(
                    count(a, &["input_tokens"]).unwrap_or(0).saturating_add(cache_read).saturating_add(cache_write),
                ),
                output: count(a, &["output_tokens"]),
                cache_read,
                cache_write,
                cache_write_1h: 0,
                reasoning: 0,
                // Its `cost_usd` is given; the event carries no search count.
                web_searches: 0,
            };
            usage.put(&mut line);
            let micros = count(a, &["cost_usd_micros"]).map(|m| m as f64 / 1e6);
            put_cost(&mut line, number(a, &["cost_usd"]).or(micros));
            vec![line]
        }
        "api_error" => {
            let error_type = http_error_type(count(a, &["status_code"]));
            let message = text(a, &["error"]).unwrap_or_default();
            failed_call(log, (AGENT, "anthropic"), text(a, &["model"]), &error_type, message, options)
        }
        "tool_result" => vec![tool_call(log, AGENT, options)],
        _ => generic_error(log).into_iter().collect(),
    }
}

/// Codex: model calls from the `response.completed` SSE or WebSocket event (input
/// includes the cached tokens, output the reasoning, as OpenAI counts), failed
/// responses, tool results and failed API requests.
fn codex(log: &LogInput, name: &str, options: MapOptions) -> Vec<Line> {
    const AGENT: &str = "codex";
    let a = &log.attributes;
    let duration = number(a, &["duration_ms"]).filter(|d| *d >= 0.0);
    let model = text(a, &["model", "slug"]);
    match (name, text(a, &["event.kind"])) {
        ("sse_event" | "websocket_event", Some("response.completed")) => {
            let mut line = base(log, "model_call", AGENT, options);
            model_call(&mut line, model, "openai", true, duration);
            let usage = Usage {
                input: count(a, &["input_token_count"]),
                output: count(a, &["output_token_count"]),
                cache_read: count(a, &["cached_token_count"]).unwrap_or(0),
                cache_write: 0,
                cache_write_1h: 0,
                reasoning: count(a, &["reasoning_token_count"]).unwrap_or(0),
                web_searches: 0,
            }
            .reconciled();
            usage.put(&mut line);
            vec![line]
        }
        ("sse_event" | "websocket_event", Some("response.failed")) => {
            let message = text(a, &["error.message"]).unwrap_or_default();
            failed_call(log, (AGENT, "openai"), model, "response_failed", message, options)
        }
        ("tool_result", _) => vec![tool_call(log, AGENT, options)],
        ("api_request", _) => {
            let status = count(a, &["http.response.status_code", "http_response_status_code"]);
            let message = text(a, &["error.message"]);
            if status.is_some_and(|s| s >= 400) || message.is_some() {
                vec![error_line(log, AGENT, &http_error_type(status), message.unwrap_or_default())]
            } else {
                Vec::new()
            }
        }
        _ => generic_error(log).into_iter().collect(),
    }
}

/// Gemini CLI: `api_response` (its input includes the cached tokens, as Gemini
/// counts them, but not the tool-use prompt's, and its output not the thoughts:
/// both added here, the thoughts as reasoning), `api_error`, `tool_call`. Its
/// `gen_ai.client.inference.operation.details` records say the same calls again
/// and are left alone.
fn gemini_cli(log: &LogInput, name: &str, options: MapOptions) -> Vec<Line> {
    const AGENT: &str = "gemini-cli";
    let a = &log.attributes;
    let duration = number(a, &["duration_ms"]).filter(|d| *d >= 0.0);
    match name {
        "api_response" => {
            let mut line = base(log, "model_call", AGENT, options);
            model_call(&mut line, text(a, &["model"]), "google", true, duration);
            let thoughts = count(a, &["thoughts_token_count"]).unwrap_or(0);
            let tool_prompt = count(a, &["tool_token_count"]).unwrap_or(0);
            let usage = Usage {
                input: count(a, &["input_token_count"]).map(|n| n.saturating_add(tool_prompt)),
                output: count(a, &["output_token_count"]).map(|n| n.saturating_add(thoughts)),
                cache_read: count(a, &["cached_content_token_count"]).unwrap_or(0),
                cache_write: 0,
                cache_write_1h: 0,
                reasoning: thoughts,
                web_searches: 0,
            }
            .reconciled();
            usage.put(&mut line);
            vec![line]
        }
        "api_error" => {
            let error_type = text(a, &["error.type", "error_type"])
                .map_or_else(|| http_error_type(count(a, &["status_code"])), str::to_owned);
            let message = text(a, &["error.message", "error"]).unwrap_or_default();
            failed_call(log, (AGENT, "google"), text(a, &["model", "model_name"]), &error_type, message, options)
        }
        "tool_call" => vec![tool_call(log, AGENT, options)],
        _ => generic_error(log).into_iter().collect(),
    }
}

/// Any record at severity ERROR or above (17+), or with an exception, is an error event.
fn generic_error(log: &LogInput) -> Option<Line> {
    let a = &log.attributes;
    let exception = text(a, &["exception.type"]);
    if log.severity < 17 && exception.is_none() {
        return None;
    }
    let component = log
        .service
        .as_deref()
        .filter(|s| !s.is_empty())
        .or((!log.scope.is_empty()).then_some(log.scope.as_str()))
        .unwrap_or("(unknown)");
    let error_type =
        exception.or((!log.severity_text.is_empty()).then_some(log.severity_text.as_str())).unwrap_or("ERROR");
    let body = match &log.body {
        Some(AttrValue::Str(s)) => s.as_str(),
        _ => "",
    };
    let message = text(a, &["exception.message"]).unwrap_or(body);
    let mut line = error_line(log, component, error_type, message);
    // A record that named no agent: the component is the service, not an agent.
    line.remove("agent");
    put_str(&mut line, "agent", text(a, &["gen_ai.agent.name"]));
    Some(line)
}
