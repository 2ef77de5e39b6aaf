//! The event log, version 1: parsing one line into a validated [`Event`].
//!
//! The contract is in `docs/event-log.md`. Parsing is two steps so that the rules
//! "a known field is checked only on the types that define it" and "an unknown
//! type's other fields are not checked" hold: first every known field is captured
//! leniently (any JSON value is accepted, unknown fields are validated and skipped),
//! then
//! the fields the event's type defines are checked. Strings are borrowed from the
//! line unless they contain escapes.

mod json;

use std::borrow::Cow;

use crate::time::{Micros, parse_rfc3339};
use json::{JsonError, Reader, Span, Value};

/// The schema version this build reads.
pub const SCHEMA_VERSION: i64 = 1;

/// What one line of the log turned out to be.
#[derive(Debug)]
pub enum LineOutcome<'a> {
    /// A line of JSON whitespace only: counted as a line, nothing else.
    Blank,
    /// A valid event.
    Event(Event<'a>),
    /// A valid line of a type this build does not know.
    Unknown,
    /// A line with a schema version above [`SCHEMA_VERSION`].
    Unsupported,
    /// Anything else, with a one-line reason.
    Malformed(String),
}

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
    pub kind: Kind<'a>,
}

/// The type-specific part of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind<'a> {
    AgentRequest {
        agent: Cow<'a, str>,
        success: bool,
        duration_ms: f64,
        tokens: Option<i64>,
        cost_usd: Option<f64>,
        model: Option<Cow<'a, str>>,
        error_type: Option<Cow<'a, str>>,
    },
    ToolCall {
        tool: Cow<'a, str>,
        agent: Option<Cow<'a, str>>,
        success: bool,
        duration_ms: f64,
        error_type: Option<Cow<'a, str>>,
        error_message: Option<Cow<'a, str>>,
    },
    ModelCall {
        model: Cow<'a, str>,
        provider: Option<Cow<'a, str>>,
        agent: Option<Cow<'a, str>>,
        success: bool,
        duration_ms: f64,
        input_tokens: Option<i64>,
        output_tokens: Option<i64>,
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

/// Parses one line (without its "\n"). Never panics, whatever the bytes.
pub fn parse_line(line: &[u8]) -> LineOutcome<'_> {
    if line.iter().all(|&c| matches!(c, b' ' | b'\t' | b'\r')) {
        return LineOutcome::Blank;
    }
    // One UTF-8 check for the whole line; the JSON reader relies on it.
    let text = match std::str::from_utf8(line) {
        Ok(text) => text,
        Err(e) => return LineOutcome::Malformed(format!("not valid UTF-8 at byte {}", e.valid_up_to())),
    };
    let mut raw = RawEvent::default();
    if let Err(e) = raw.read(text) {
        return LineOutcome::Malformed(e.to_string());
    }
    match raw.validate() {
        Ok(outcome) => outcome,
        Err(reason) => LineOutcome::Malformed(reason),
    }
}

/// Declares [`RawEvent`], one lenient slot per field any v1 type defines, and the
/// code that fills it from a line in one pass.
macro_rules! raw_event {
    ($($field:ident = $key:literal),* $(,)?) => {
        #[derive(Default)]
        struct RawEvent<'a> {
            text: &'a str,
            $($field: Span,)*
        }

        impl<'a> RawEvent<'a> {
            fn read(&mut self, text: &'a str) -> Result<(), JsonError> {
                self.text = text;
                let mut r = Reader::new(text);
                r.skip_ws();
                if !r.at(b'{') {
                    // Valid JSON of another kind, or not JSON at all.
                    r.skip()?;
                    r.end()?;
                    return Err(JsonError { what: "not a JSON object", column: 0 });
                }
                r.object(|r, key| {
                    let (slot, duplicate) = match key.as_ref() {
                        $($key => (&mut self.$field, concat!("duplicate field `", $key, "`")),)*
                        _ => return r.skip(),
                    };
                    if !slot.is_absent() {
                        return Err(r.error(duplicate));
                    }
                    *slot = r.capture()?;
                    Ok(())
                })?;
                r.end()
            }
        }
    };
}

raw_event! {
    v = "v",
    ts = "ts",
    kind = "type",
    trace_id = "trace_id",
    span_id = "span_id",
    parent_span_id = "parent_span_id",
    attrs = "attrs",
    agent = "agent",
    success = "success",
    duration_ms = "duration_ms",
    tokens = "tokens",
    cost_usd = "cost_usd",
    model = "model",
    error_type = "error_type",
    error_message = "error_message",
    tool = "tool",
    provider = "provider",
    input_tokens = "input_tokens",
    output_tokens = "output_tokens",
    name = "name",
    status = "status",
    component = "component",
    message = "message",
    context = "context",
    process = "process",
    pid = "pid",
    host = "host",
    started_at = "started_at",
    agents = "agents",
    rss_bytes = "rss_bytes",
    cpu_percent = "cpu_percent",
}

type Check<T> = Result<T, String>;

/// The field checks. `ty` names the event type in messages.
struct Fields<'t> {
    ty: &'t str,
}

impl Fields<'_> {
    fn missing(&self, field: &str) -> String {
        format!("{}: missing required field `{field}`", self.ty)
    }
    fn wrong(&self, field: &str, want: &str) -> String {
        format!("{}: field `{field}` must be {want}", self.ty)
    }

    fn opt_str<'a>(&self, field: &str, v: Value<'a>) -> Check<Option<Cow<'a, str>>> {
        match v {
            Value::Absent | Value::Null => Ok(None),
            Value::Str(s) => Ok(Some(s)),
            _ => Err(self.wrong(field, "a string")),
        }
    }
    fn req_str<'a>(&self, field: &str, v: Value<'a>) -> Check<Cow<'a, str>> {
        self.opt_str(field, v)?.ok_or_else(|| self.missing(field))
    }
    fn req_bool(&self, field: &str, v: &Value<'_>) -> Check<bool> {
        match v {
            Value::Absent | Value::Null => Err(self.missing(field)),
            Value::Bool(b) => Ok(*b),
            _ => Err(self.wrong(field, "true or false")),
        }
    }
    /// A finite number >= 0 (serde_json never yields a non-finite one).
    fn opt_non_negative(&self, field: &str, v: &Value<'_>) -> Check<Option<f64>> {
        let n = match v {
            Value::Absent | Value::Null => return Ok(None),
            Value::Int(i) => *i as f64,
            Value::OtherNumber(f) => *f,
            _ => return Err(self.wrong(field, "a number >= 0")),
        };
        if n >= 0.0 && n.is_finite() { Ok(Some(n)) } else { Err(self.wrong(field, "a number >= 0")) }
    }
    fn req_non_negative(&self, field: &str, v: &Value<'_>) -> Check<f64> {
        self.opt_non_negative(field, v)?.ok_or_else(|| self.missing(field))
    }
    fn opt_number(&self, field: &str, v: &Value<'_>) -> Check<Option<f64>> {
        match v {
            Value::Absent | Value::Null => Ok(None),
            Value::Int(i) => Ok(Some(*i as f64)),
            Value::OtherNumber(f) if f.is_finite() => Ok(Some(*f)),
            _ => Err(self.wrong(field, "a number")),
        }
    }
    /// An integer >= 0 within i64: no fraction, no exponent.
    fn opt_count(&self, field: &str, v: &Value<'_>) -> Check<Option<i64>> {
        match v {
            Value::Absent | Value::Null => Ok(None),
            Value::Int(i) if *i >= 0 => Ok(Some(*i)),
            _ => Err(self.wrong(field, "an integer >= 0")),
        }
    }
    fn opt_time(&self, field: &str, v: Value<'_>) -> Check<Option<Micros>> {
        match self.opt_str(field, v)? {
            None => Ok(None),
            Some(s) => parse_rfc3339(&s).map(Some).map_err(|e| format!("{}: field `{field}`: {e}", self.ty)),
        }
    }
    fn opt_hex<const N: usize>(&self, field: &str, v: Value<'_>) -> Check<Option<u128>> {
        let Some(s) = self.opt_str(field, v)? else {
            return Ok(None);
        };
        match lower_hex(s.as_bytes()) {
            Some(id) if s.len() == N => Ok(Some(id)),
            _ => Err(self.wrong(field, &format!("{N} lowercase hex digits"))),
        }
    }
    fn opt_object<'a>(&self, field: &str, v: Value<'a>) -> Check<Option<&'a str>> {
        match v {
            Value::Absent | Value::Null => Ok(None),
            Value::Object(text) => Ok(Some(text)),
            _ => Err(self.wrong(field, "an object")),
        }
    }
    fn str_array<'a>(&self, field: &str, v: Value<'a>) -> Check<Vec<Cow<'a, str>>> {
        match v {
            Value::Absent | Value::Null => Ok(Vec::new()),
            Value::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    Value::Str(s) => Ok(s),
                    _ => Err(self.wrong(field, "an array of strings")),
                })
                .collect(),
            _ => Err(self.wrong(field, "an array of strings")),
        }
    }
}

/// The value of up to 32 lowercase hex digits; `None` for anything else.
fn lower_hex(digits: &[u8]) -> Option<u128> {
    if digits.is_empty() || digits.len() > 32 {
        return None;
    }
    // A table and one check at the end: branching per digit mispredicts on
    // random ids, and this runs up to 64 times a line.
    const INVALID: u8 = 0xff;
    const TABLE: [u8; 256] = {
        let mut t = [INVALID; 256];
        let mut i = 0;
        while i < 10 {
            t[b'0' as usize + i] = i as u8;
            i += 1;
        }
        let mut i = 0;
        while i < 6 {
            t[b'a' as usize + i] = 10 + i as u8;
            i += 1;
        }
        t
    };
    let mut v: u128 = 0;
    let mut bad = 0u8;
    for &c in digits {
        let d = TABLE[c as usize];
        bad |= d & 0xf0;
        v = (v << 4) | u128::from(d & 0x0f);
    }
    (bad == 0).then_some(v)
}

impl<'a> RawEvent<'a> {
    /// The value of a captured field.
    fn val(&self, span: Span) -> Check<Value<'a>> {
        span.value(self.text).map_err(|e| e.to_string())
    }

    fn validate(self) -> Check<LineOutcome<'a>> {
        match self.val(self.v)? {
            Value::Absent | Value::Null => {}
            Value::Int(SCHEMA_VERSION) => {}
            Value::Int(v) if v > SCHEMA_VERSION => return Ok(LineOutcome::Unsupported),
            _ => return Err("field `v` must be the integer 1 (or absent)".into()),
        }
        let ty = match self.val(self.kind)? {
            Value::Str(s) => s,
            Value::Absent | Value::Null => return Err("missing required field `type`".into()),
            _ => return Err("field `type` must be a string".into()),
        };
        if !matches!(&*ty, "agent_request" | "tool_call" | "model_call" | "span" | "error" | "heartbeat") {
            return Ok(LineOutcome::Unknown);
        }
        let f = Fields { ty: &ty };
        let ts = f.opt_time("ts", self.val(self.ts)?)?.ok_or_else(|| f.missing("ts"))?;
        let trace_id = f.opt_hex::<32>("trace_id", self.val(self.trace_id)?)?;
        let span_id = f.opt_hex::<16>("span_id", self.val(self.span_id)?)?.map(|id| id as u64);
        let parent_span_id = f.opt_hex::<16>("parent_span_id", self.val(self.parent_span_id)?)?.map(|id| id as u64);
        let attrs = f.opt_object("attrs", self.val(self.attrs)?)?;
        let kind = match &*ty {
            "agent_request" => Kind::AgentRequest {
                agent: f.req_str("agent", self.val(self.agent)?)?,
                success: f.req_bool("success", &self.val(self.success)?)?,
                duration_ms: f.req_non_negative("duration_ms", &self.val(self.duration_ms)?)?,
                tokens: f.opt_count("tokens", &self.val(self.tokens)?)?,
                cost_usd: f.opt_non_negative("cost_usd", &self.val(self.cost_usd)?)?,
                model: f.opt_str("model", self.val(self.model)?)?,
                error_type: f.opt_str("error_type", self.val(self.error_type)?)?,
            },
            "tool_call" => Kind::ToolCall {
                tool: f.req_str("tool", self.val(self.tool)?)?,
                agent: f.opt_str("agent", self.val(self.agent)?)?,
                success: f.req_bool("success", &self.val(self.success)?)?,
                duration_ms: f.req_non_negative("duration_ms", &self.val(self.duration_ms)?)?,
                error_type: f.opt_str("error_type", self.val(self.error_type)?)?,
                error_message: f.opt_str("error_message", self.val(self.error_message)?)?,
            },
            "model_call" => Kind::ModelCall {
                model: f.req_str("model", self.val(self.model)?)?,
                provider: f.opt_str("provider", self.val(self.provider)?)?,
                agent: f.opt_str("agent", self.val(self.agent)?)?,
                success: f.req_bool("success", &self.val(self.success)?)?,
                duration_ms: f.req_non_negative("duration_ms", &self.val(self.duration_ms)?)?,
                input_tokens: f.opt_count("input_tokens", &self.val(self.input_tokens)?)?,
                output_tokens: f.opt_count("output_tokens", &self.val(self.output_tokens)?)?,
                cost_usd: f.opt_non_negative("cost_usd", &self.val(self.cost_usd)?)?,
            },
            "span" => Kind::Span {
                name: f.req_str("name", self.val(self.name)?)?,
                agent: f.opt_str("agent", self.val(self.agent)?)?,
                duration_ms: f.req_non_negative("duration_ms", &self.val(self.duration_ms)?)?,
                ok: match f.req_str("status", self.val(self.status)?)?.as_ref() {
                    "ok" => true,
                    "error" => false,
                    _ => return Err(f.wrong("status", "\"ok\" or \"error\"")),
                },
                error_type: f.opt_str("error_type", self.val(self.error_type)?)?,
                error_message: f.opt_str("error_message", self.val(self.error_message)?)?,
            },
            "error" => Kind::Error {
                component: f.req_str("component", self.val(self.component)?)?,
                error_type: f.req_str("error_type", self.val(self.error_type)?)?,
                message: f.req_str("message", self.val(self.message)?)?,
                agent: f.opt_str("agent", self.val(self.agent)?)?,
                context: f.opt_object("context", self.val(self.context)?)?,
            },
            _ => Kind::Heartbeat {
                process: f.req_str("process", self.val(self.process)?)?,
                pid: f.opt_count("pid", &self.val(self.pid)?)?,
                host: f.opt_str("host", self.val(self.host)?)?,
                started_at: f.opt_time("started_at", self.val(self.started_at)?)?,
                agents: f.str_array("agents", self.val(self.agents)?)?,
                rss_bytes: f.opt_count("rss_bytes", &self.val(self.rss_bytes)?)?,
                cpu_percent: f.opt_number("cpu_percent", &self.val(self.cpu_percent)?)?,
            },
        };
        Ok(LineOutcome::Event(Event { ts, trace_id, span_id, parent_span_id, attrs, kind }))
    }
}

#[cfg(test)]
pub(crate) mod tests;
