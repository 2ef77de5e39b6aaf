//! Writing the event log from Rust: the [`Recorder`].
//!
//! ```no_run
//! use std::time::Duration;
//! use ajentik::recorder::Recorder;
//!
//! # fn main() -> Result<(), ajentik::recorder::WriteError> {
//! // $AJENTIK_LOG, else $XDG_STATE_HOME/ajentik/events.jsonl: where ajentik looks.
//! let rec = Recorder::open_default()?;
//! rec.record_agent_request("ChatAgent", true, Duration::from_millis(1500), Some(250), Some(0.05))?;
//! rec.record_tool_usage("web_search", Some("ResearchAgent"), true, Duration::from_millis(800))?;
//! rec.model_call("gpt-4o", true, Duration::from_millis(1200)).provider("openai").tokens(180, 70).record()?;
//! {
//!     // Times the block and writes a `span` when dropped; records made inside it,
//!     // and operations nested in it, join its trace.
//!     let op = rec.monitor_operation("user_request").agent("ChatAgent").attr("user_id", "u-17").start();
//!     rec.agent_request("ChatAgent", true, Duration::from_millis(900)).record()?;
//!     op.fail("TimeoutError", "upstream took too long");
//! }
//! rec.flush()?;
//! # Ok(()) }
//! ```
//!
//! Every event is one `write` of whole lines to a file opened for appending, so
//! any number of threads and processes can share one log. A failed write never
//! panics: it is returned, and counted ([`Recorder::stats`]).

mod operation;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};

pub use operation::{InOperation, Operation, OperationBuilder};

use crate::time::{Micros, wall_clock};

/// Why an event could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot open the event log {path}: {source}")]
    Open { path: PathBuf, source: std::io::Error },
    #[error("cannot write to the event log {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot find a place for the event log: set AJENTIK_LOG")]
    NoDefaultPath,
}

/// Which events to keep, per kind: 1.0 keeps all (the default). Errors, failed
/// requests and calls, and failed operations are always kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampling {
    pub agent_requests: f64,
    pub tool_calls: f64,
    pub model_calls: f64,
    pub spans: f64,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling { agent_requests: 1.0, tool_calls: 1.0, model_calls: 1.0, spans: 1.0 }
    }
}

impl Sampling {
    /// The same ratio for every kind.
    pub fn all(ratio: f64) -> Self {
        Sampling { agent_requests: ratio, tool_calls: ratio, model_calls: ratio, spans: ratio }
    }
}

/// Buffering: events are written together once `max_events` are waiting or the
/// oldest has waited `max_delay`, in one append of whole lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batching {
    pub max_events: usize,
    pub max_delay: Duration,
}

/// What a recorder has done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecorderStats {
    /// Events written to the log.
    pub written: u64,
    /// Events left out by sampling.
    pub sampled_out: u64,
    /// Events lost to write errors.
    pub failed: u64,
}

struct Batch {
    buf: Vec<u8>,
    events: u64,
    oldest: Option<Instant>,
}

struct Inner {
    path: PathBuf,
    file: File,
    sampling: Sampling,
    batching: Option<Batching>,
    batch: Mutex<Batch>,
    written: AtomicU64,
    sampled_out: AtomicU64,
    failed: AtomicU64,
}

impl Inner {
    fn append(&self, bytes: &[u8], events: u64) -> Result<(), WriteError> {
        // One write call of whole lines on an O_APPEND file: appends from other
        // threads and processes land before or after, never inside.
        match (&self.file).write_all(bytes) {
            Ok(()) => {
                self.written.fetch_add(events, Ordering::Relaxed);
                Ok(())
            }
            Err(source) => {
                self.failed.fetch_add(events, Ordering::Relaxed);
                Err(WriteError::Write { path: self.path.clone(), source })
            }
        }
    }

    fn flush_batch(&self) -> Result<(), WriteError> {
        let Ok(mut batch) = self.batch.lock() else { return Ok(()) };
        if batch.events == 0 {
            return Ok(());
        }
        let result = self.append(&batch.buf, batch.events);
        batch.buf.clear();
        batch.events = 0;
        batch.oldest = None;
        result
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = self.flush_batch();
    }
}

/// Writes events to an event log. Cheap to clone; usable from many threads.
#[derive(Clone)]
pub struct Recorder {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("path", &self.inner.path).finish_non_exhaustive()
    }
}

/// Options for [`Recorder::with_options`].
#[derive(Debug, Clone, Default)]
pub struct RecorderOptions {
    pub sampling: Sampling,
    pub batching: Option<Batching>,
}

impl Recorder {
    /// A recorder for the log ajentik reads by default: `$AJENTIK_LOG`, else
    /// `$XDG_STATE_HOME/ajentik/events.jsonl`.
    pub fn open_default() -> Result<Recorder, WriteError> {
        let path = crate::source::default_log_path().map_err(|_| WriteError::NoDefaultPath)?;
        Recorder::open(path)
    }

    /// A recorder for the log at `path`; its folders are created as needed.
    pub fn open(path: impl AsRef<Path>) -> Result<Recorder, WriteError> {
        Recorder::with_options(path, RecorderOptions::default())
    }

    /// A recorder with sampling or batching.
    pub fn with_options(path: impl AsRef<Path>, options: RecorderOptions) -> Result<Recorder, WriteError> {
        let path = path.as_ref().to_path_buf();
        let open_err = |source| WriteError::Open { path: path.clone(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(open_err)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(&path).map_err(open_err)?;
        let inner = Arc::new(Inner {
            path,
            file,
            sampling: options.sampling,
            batching: options.batching,
            batch: Mutex::new(Batch { buf: Vec::new(), events: 0, oldest: None }),
            written: AtomicU64::new(0),
            sampled_out: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        });
        if let Some(b) = options.batching {
            spawn_flusher(Arc::downgrade(&inner), b.max_delay);
        }
        Ok(Recorder { inner })
    }

    /// The log this recorder writes.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn stats(&self) -> RecorderStats {
        RecorderStats {
            written: self.inner.written.load(Ordering::Relaxed),
            sampled_out: self.inner.sampled_out.load(Ordering::Relaxed),
            failed: self.inner.failed.load(Ordering::Relaxed),
        }
    }

    /// Writes whatever batching holds.
    pub fn flush(&self) -> Result<(), WriteError> {
        self.inner.flush_batch()
    }

    /// Writes one event line (JSON, without its newline), or buffers it.
    fn write_event(&self, event: &impl Serialize, events: u64) -> Result<(), WriteError> {
        let mut line = serde_json::to_vec(event)
            .map_err(|e| WriteError::Write { path: self.inner.path.clone(), source: std::io::Error::other(e) })?;
        line.push(b'\n');
        let Some(batching) = self.inner.batching else {
            return self.inner.append(&line, events);
        };
        let full = {
            let Ok(mut batch) = self.inner.batch.lock() else { return self.inner.append(&line, events) };
            batch.buf.extend_from_slice(&line);
            batch.events += events;
            batch.oldest.get_or_insert_with(Instant::now);
            batch.events >= batching.max_events as u64
        };
        if full { self.inner.flush_batch() } else { Ok(()) }
    }

    /// Whether to keep an event of a kind sampled at `ratio`; failures always.
    fn keep(&self, ratio: f64, failed: bool) -> bool {
        if failed || ratio >= 1.0 || operation::random_unit() < ratio {
            return true;
        }
        self.inner.sampled_out.fetch_add(1, Ordering::Relaxed);
        false
    }

    /// The user guide's call: one request handled by an agent.
    pub fn record_agent_request(
        &self,
        agent: &str,
        success: bool,
        response_time: Duration,
        tokens: Option<u64>,
        cost: Option<f64>,
    ) -> Result<(), WriteError> {
        let mut b = self.agent_request(agent, success, response_time);
        b.tokens = tokens;
        b.cost_usd = cost;
        b.record()
    }

    /// The user guide's call: one tool call.
    pub fn record_tool_usage(
        &self,
        tool: &str,
        agent: Option<&str>,
        success: bool,
        execution_time: Duration,
    ) -> Result<(), WriteError> {
        let mut b = self.tool_call(tool, success, execution_time);
        b.agent = agent.map(str::to_owned);
        b.record()
    }

    /// The user guide's call: an error in some component, with free context.
    pub fn record_error(
        &self,
        component: &str,
        error_type: &str,
        message: &str,
        context: Option<Map<String, Value>>,
    ) -> Result<(), WriteError> {
        let mut b = self.error(component, error_type, message);
        b.context = context;
        b.record()
    }

    /// One model call: `.provider()`, `.agent()`, `.tokens()`, `.cost()`, then `.record()`.
    pub fn record_model_call(&self, model: &str, success: bool, latency: Duration) -> Result<(), WriteError> {
        self.model_call(model, success, latency).record()
    }

    /// A heartbeat for this process: `.agents()`, `.rss_bytes()`..., then `.record()`.
    pub fn heartbeat(&self, process: &str) -> Event<'_> {
        Event::new(self, "heartbeat").with("process", process).with("pid", std::process::id())
    }

    /// An agent request to fill in, then `.record()`.
    pub fn agent_request(&self, agent: &str, success: bool, response_time: Duration) -> AgentRequest<'_> {
        AgentRequest {
            rec: self,
            agent: agent.to_owned(),
            success,
            duration: response_time,
            ..AgentRequest::blank(self)
        }
    }

    /// A tool call to fill in, then `.record()`.
    pub fn tool_call(&self, tool: &str, success: bool, execution_time: Duration) -> ToolCall<'_> {
        ToolCall { rec: self, tool: tool.to_owned(), success, duration: execution_time, ..ToolCall::blank(self) }
    }

    /// A model call to fill in, then `.record()`.
    pub fn model_call(&self, model: &str, success: bool, latency: Duration) -> ModelCall<'_> {
        ModelCall { rec: self, model: model.to_owned(), success, duration: latency, ..ModelCall::blank(self) }
    }

    /// An error event to fill in, then `.record()`.
    pub fn error(&self, component: &str, error_type: &str, message: &str) -> ErrorEvent<'_> {
        ErrorEvent {
            rec: self,
            component: component.to_owned(),
            error_type: error_type.to_owned(),
            message: message.to_owned(),
            agent: None,
            context: None,
        }
    }

    /// A named operation that took `duration`, to fill in, then `.record()`.
    pub fn span(&self, name: &str, duration: Duration) -> SpanEvent<'_> {
        SpanEvent {
            rec: self,
            name: name.to_owned(),
            agent: None,
            duration,
            ok: true,
            error_type: None,
            error_message: None,
            attrs: None,
        }
    }

    /// Times an operation: configure it, `.start()` it, and it writes a `span`
    /// when dropped.
    pub fn monitor_operation(&self, name: &str) -> OperationBuilder {
        OperationBuilder::new(self.clone(), name)
    }
}

fn spawn_flusher(inner: Weak<Inner>, every: Duration) {
    let every = every.max(Duration::from_millis(1));
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(every);
            let Some(inner) = inner.upgrade() else { return };
            let due = inner.batch.lock().map(|b| b.oldest.is_some_and(|t| t.elapsed() >= every)).unwrap_or(false);
            if due {
                let _ = inner.flush_batch();
            }
        }
    });
}

/// The fields every event line has.
#[derive(Serialize)]
pub(crate) struct Common {
    pub v: u8,
    pub ts: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_span_id: Option<String>,
}

impl Common {
    /// Stamped now, in the current operation's trace if there is one.
    fn new(kind: &'static str, ts: Micros) -> Common {
        let (trace_id, span_id, parent_span_id) = match operation::current() {
            Some((trace, parent)) => (
                Some(format!("{trace:032x}")),
                Some(format!("{:016x}", operation::new_span_id())),
                Some(format!("{parent:016x}")),
            ),
            None => (None, None, None),
        };
        Common { v: 1, ts: crate::time::format_rfc3339_micros(ts), kind, trace_id, span_id, parent_span_id }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

macro_rules! builder {
    ($(#[$doc:meta])* $name:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[must_use = "an event is written by .record()"]
        pub struct $name<'r> {
            rec: &'r Recorder,
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
        cost_usd: Option<f64>,
        model: Option<String>,
        error_type: Option<String>,
        attrs: Option<Map<String, Value>>,
    }
);

impl<'r> AgentRequest<'r> {
    fn blank(rec: &'r Recorder) -> Self {
        AgentRequest {
            rec,
            agent: String::new(),
            success: true,
            duration: Duration::ZERO,
            tokens: None,
            cost_usd: None,
            model: None,
            error_type: None,
            attrs: None,
        }
    }
    pub fn tokens(mut self, tokens: u64) -> Self {
        self.tokens = Some(tokens);
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
        if !self.rec.keep(self.rec.inner.sampling.agent_requests, !self.success) {
            return Ok(());
        }
        #[derive(Serialize)]
        struct Line<'a> {
            #[serde(flatten)]
            common: Common,
            agent: &'a str,
            success: bool,
            duration_ms: f64,
            #[serde(skip_serializing_if = "Option::is_none")]
            tokens: Option<u64>,
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
            common: Common::new("agent_request", wall_clock()),
            agent: &self.agent,
            success: self.success,
            duration_ms: ms(self.duration),
            tokens: self.tokens,
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
    }
);

impl<'r> ToolCall<'r> {
    fn blank(rec: &'r Recorder) -> Self {
        ToolCall {
            rec,
            tool: String::new(),
            agent: None,
            success: true,
            duration: Duration::ZERO,
            error_type: None,
            error_message: None,
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
    pub fn record(self) -> Result<(), WriteError> {
        if !self.rec.keep(self.rec.inner.sampling.tool_calls, !self.success) {
            return Ok(());
        }
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
            common: Common::new("tool_call", wall_clock()),
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
        cost_usd: Option<f64>,
    }
);

impl<'r> ModelCall<'r> {
    fn blank(rec: &'r Recorder) -> Self {
        ModelCall {
            rec,
            model: String::new(),
            provider: None,
            agent: None,
            success: true,
            duration: Duration::ZERO,
            input_tokens: None,
            output_tokens: None,
            cost_usd: None,
        }
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
        if !self.rec.keep(self.rec.inner.sampling.model_calls, !self.success) {
            return Ok(());
        }
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
            #[serde(skip_serializing_if = "Option::is_none")]
            cost_usd: Option<f64>,
        }
        let line = Line {
            common: Common::new("model_call", wall_clock()),
            model: &self.model,
            provider: self.provider.as_deref(),
            agent: self.agent.as_deref(),
            success: self.success,
            duration_ms: ms(self.duration),
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
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
        attrs: Option<Map<String, Value>>,
    }
);

impl SpanEvent<'_> {
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
        if !self.rec.keep(self.rec.inner.sampling.spans, !self.ok) {
            return Ok(());
        }
        let line = SpanLine {
            common: Common::new("span", wall_clock()),
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
    rec: &'r Recorder,
    pub component: String,
    pub error_type: String,
    pub message: String,
    pub agent: Option<String>,
    pub context: Option<Map<String, Value>>,
}

impl ErrorEvent<'_> {
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
            common: Common::new("error", wall_clock()),
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
    rec: &'r Recorder,
    kind: &'static str,
    fields: Map<String, Value>,
}

impl<'r> Event<'r> {
    fn new(rec: &'r Recorder, kind: &'static str) -> Self {
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

#[cfg(test)]
mod tests;
