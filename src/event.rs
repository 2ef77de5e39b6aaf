//! The event log, version 1: parsing one line into a validated [`Event`].
//!
//! The contract is in `docs/event-log.md`. Parsing is two steps so that the rules
//! "a known field is checked only on the types that define it" and "an unknown
//! type's other fields are not checked" hold: first every known field is captured
//! leniently (any JSON value is accepted, unknown fields are skipped unparsed), then
//! the fields the event's type defines are checked. Strings are borrowed from the
//! line unless they contain escapes.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::time::{Micros, parse_rfc3339};

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
    // serde reads a struct from an array too (fields by position): only objects here.
    if line.iter().find(|c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n')) != Some(&b'{') {
        return LineOutcome::Malformed(match serde_json::from_slice::<IgnoredAny>(line) {
            Ok(_) => "not a JSON object".into(),
            Err(e) => json_reason(&e),
        });
    }
    let raw: RawEvent<'_> = match serde_json::from_slice(line) {
        Ok(raw) => raw,
        Err(e) => return LineOutcome::Malformed(json_reason(&e)),
    };
    match raw.validate() {
        Ok(outcome) => outcome,
        Err(reason) => LineOutcome::Malformed(reason),
    }
}

fn json_reason(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Syntax | Category::Eof => "not valid JSON",
        Category::Data => "not a JSON object",
        Category::Io => "unreadable",
    };
    // serde_json's messages are one line and name the column.
    format!("{what}: {e}")
}

/// Any JSON value, captured without judging its type. Objects are skipped.
#[derive(Debug, Default)]
enum Value<'a> {
    #[default]
    Absent,
    Null,
    Bool(bool),
    Int(i64),
    /// An integer outside i64, or a number with a fraction or exponent.
    OtherNumber(f64),
    Str(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    Object,
}

impl<'de: 'a, 'a> Deserialize<'de> for Value<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor(std::marker::PhantomData))
    }
}

struct ValueVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for ValueVisitor<'a> {
    type Value = Value<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value<'a>, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value<'a>, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value<'a>, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value<'a>, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value<'a>, E> {
        Ok(i64::try_from(v).map_or(Value::OtherNumber(v as f64), Value::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value<'a>, E> {
        Ok(Value::OtherNumber(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Value<'a>, E> {
        Ok(Value::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value<'a>, E> {
        Ok(Value::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'a>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Value<'a>>()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'a>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Value::Object)
    }
}

/// Every field any v1 type defines, captured leniently. Unknown fields are skipped
/// by serde without being parsed into values.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RawEvent<'a> {
    #[serde(borrow)]
    v: Value<'a>,
    #[serde(borrow)]
    ts: Value<'a>,
    #[serde(borrow, rename = "type")]
    kind: Value<'a>,
    #[serde(borrow)]
    trace_id: Value<'a>,
    #[serde(borrow)]
    span_id: Value<'a>,
    #[serde(borrow)]
    parent_span_id: Value<'a>,
    #[serde(borrow)]
    attrs: Option<&'a RawValue>,
    #[serde(borrow)]
    agent: Value<'a>,
    #[serde(borrow)]
    success: Value<'a>,
    #[serde(borrow)]
    duration_ms: Value<'a>,
    #[serde(borrow)]
    tokens: Value<'a>,
    #[serde(borrow)]
    cost_usd: Value<'a>,
    #[serde(borrow)]
    model: Value<'a>,
    #[serde(borrow)]
    error_type: Value<'a>,
    #[serde(borrow)]
    error_message: Value<'a>,
    #[serde(borrow)]
    tool: Value<'a>,
    #[serde(borrow)]
    provider: Value<'a>,
    #[serde(borrow)]
    input_tokens: Value<'a>,
    #[serde(borrow)]
    output_tokens: Value<'a>,
    #[serde(borrow)]
    name: Value<'a>,
    #[serde(borrow)]
    status: Value<'a>,
    #[serde(borrow)]
    component: Value<'a>,
    #[serde(borrow)]
    message: Value<'a>,
    #[serde(borrow)]
    context: Option<&'a RawValue>,
    #[serde(borrow)]
    process: Value<'a>,
    #[serde(borrow)]
    pid: Value<'a>,
    #[serde(borrow)]
    host: Value<'a>,
    #[serde(borrow)]
    started_at: Value<'a>,
    #[serde(borrow)]
    agents: Value<'a>,
    #[serde(borrow)]
    rss_bytes: Value<'a>,
    #[serde(borrow)]
    cpu_percent: Value<'a>,
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
        let ok = s.len() == N && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
        match u128::from_str_radix(&s, 16) {
            Ok(id) if ok => Ok(Some(id)),
            _ => Err(self.wrong(field, &format!("{N} lowercase hex digits"))),
        }
    }
    fn opt_object<'a>(&self, field: &str, v: Option<&'a RawValue>) -> Check<Option<&'a str>> {
        match v.map(RawValue::get) {
            None => Ok(None),
            Some(text) if text.starts_with('{') => Ok(Some(text)),
            Some(_) => Err(self.wrong(field, "an object")),
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

impl<'a> RawEvent<'a> {
    fn validate(self) -> Check<LineOutcome<'a>> {
        match self.v {
            Value::Absent | Value::Null => {}
            Value::Int(SCHEMA_VERSION) => {}
            Value::Int(v) if v > SCHEMA_VERSION => return Ok(LineOutcome::Unsupported),
            _ => return Err("field `v` must be the integer 1 (or absent)".into()),
        }
        let ty = match &self.kind {
            Value::Str(s) => s.clone(),
            Value::Absent | Value::Null => return Err("missing required field `type`".into()),
            _ => return Err("field `type` must be a string".into()),
        };
        if !matches!(&*ty, "agent_request" | "tool_call" | "model_call" | "span" | "error" | "heartbeat") {
            return Ok(LineOutcome::Unknown);
        }
        let f = Fields { ty: &ty };
        let ts = f.opt_time("ts", self.ts)?.ok_or_else(|| f.missing("ts"))?;
        let trace_id = f.opt_hex::<32>("trace_id", self.trace_id)?;
        let span_id = f.opt_hex::<16>("span_id", self.span_id)?.map(|id| id as u64);
        let parent_span_id = f.opt_hex::<16>("parent_span_id", self.parent_span_id)?.map(|id| id as u64);
        let attrs = f.opt_object("attrs", self.attrs)?;
        let kind = match &*ty {
            "agent_request" => Kind::AgentRequest {
                agent: f.req_str("agent", self.agent)?,
                success: f.req_bool("success", &self.success)?,
                duration_ms: f.req_non_negative("duration_ms", &self.duration_ms)?,
                tokens: f.opt_count("tokens", &self.tokens)?,
                cost_usd: f.opt_non_negative("cost_usd", &self.cost_usd)?,
                model: f.opt_str("model", self.model)?,
                error_type: f.opt_str("error_type", self.error_type)?,
            },
            "tool_call" => Kind::ToolCall {
                tool: f.req_str("tool", self.tool)?,
                agent: f.opt_str("agent", self.agent)?,
                success: f.req_bool("success", &self.success)?,
                duration_ms: f.req_non_negative("duration_ms", &self.duration_ms)?,
                error_type: f.opt_str("error_type", self.error_type)?,
                error_message: f.opt_str("error_message", self.error_message)?,
            },
            "model_call" => Kind::ModelCall {
                model: f.req_str("model", self.model)?,
                provider: f.opt_str("provider", self.provider)?,
                agent: f.opt_str("agent", self.agent)?,
                success: f.req_bool("success", &self.success)?,
                duration_ms: f.req_non_negative("duration_ms", &self.duration_ms)?,
                input_tokens: f.opt_count("input_tokens", &self.input_tokens)?,
                output_tokens: f.opt_count("output_tokens", &self.output_tokens)?,
                cost_usd: f.opt_non_negative("cost_usd", &self.cost_usd)?,
            },
            "span" => Kind::Span {
                name: f.req_str("name", self.name)?,
                agent: f.opt_str("agent", self.agent)?,
                duration_ms: f.req_non_negative("duration_ms", &self.duration_ms)?,
                ok: match f.req_str("status", self.status)?.as_ref() {
                    "ok" => true,
                    "error" => false,
                    _ => return Err(f.wrong("status", "\"ok\" or \"error\"")),
                },
                error_type: f.opt_str("error_type", self.error_type)?,
                error_message: f.opt_str("error_message", self.error_message)?,
            },
            "error" => Kind::Error {
                component: f.req_str("component", self.component)?,
                error_type: f.req_str("error_type", self.error_type)?,
                message: f.req_str("message", self.message)?,
                agent: f.opt_str("agent", self.agent)?,
                context: f.opt_object("context", self.context)?,
            },
            _ => Kind::Heartbeat {
                process: f.req_str("process", self.process)?,
                pid: f.opt_count("pid", &self.pid)?,
                host: f.opt_str("host", self.host)?,
                started_at: f.opt_time("started_at", self.started_at)?,
                agents: f.str_array("agents", self.agents)?,
                rss_bytes: f.opt_count("rss_bytes", &self.rss_bytes)?,
                cpu_percent: f.opt_number("cpu_percent", &self.cpu_percent)?,
            },
        };
        Ok(LineOutcome::Event(Event { ts, trace_id, span_id, parent_span_id, attrs, kind }))
    }
}

#[cfg(test)]
pub(crate) mod tests;
