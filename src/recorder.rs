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

mod events;
mod heartbeats;
#[cfg(feature = "tracing")]
pub mod layer;
mod operation;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};

pub(crate) use events::SpanLine;
pub use events::{AgentRequest, ErrorEvent, Event, ModelCall, SpanEvent, ToolCall};
pub use heartbeats::{Heartbeats, MIN_HEARTBEAT_INTERVAL};
pub use operation::{InOperation, Operation, OperationBuilder};

use crate::time::Micros;

/// Why an event could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot open the event log {path}: {source}")]
    Open { path: PathBuf, source: std::io::Error },
    #[error("cannot write to the event log {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot find a place for the event log: set AJENTIK_LOG")]
    NoDefaultPath,
    /// The event contradicts the log's rules (token parts above their totals):
    /// nothing was written, since the reader would call the line malformed.
    #[error("event not written: {0}")]
    Invalid(String),
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
        let path = crate::paths::default_log_path().ok_or(WriteError::NoDefaultPath)?;
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

    /// Writes event-log lines made by [`crate::genai`] (the `tracing` layer),
    /// sampled by kind as the builders are.
    pub fn write_lines(&self, lines: &[crate::genai::Line]) -> Result<(), WriteError> {
        let mut result = Ok(());
        for line in lines {
            let kind = line.get("type").and_then(serde_json::Value::as_str).unwrap_or("");
            let ratio = match kind {
                "agent_request" => self.inner.sampling.agent_requests,
                "tool_call" => self.inner.sampling.tool_calls,
                "model_call" => self.inner.sampling.model_calls,
                "span" => self.inner.sampling.spans,
                _ => 1.0,
            };
            let failed = line.get("success") == Some(&serde_json::Value::Bool(false))
                || line.get("status").and_then(serde_json::Value::as_str) == Some("error");
            let Some(rate) = self.sample(ratio, failed) else { continue };
            let written = match rate {
                Some(rate) => {
                    let mut line = line.clone();
                    line.insert("sample_rate", serde_json::Value::from(rate));
                    self.write_event(&line, 1)
                }
                None => self.write_event(line, 1),
            };
            if written.is_err() {
                result = written;
            }
        }
        result
    }

    /// Whether to keep an event of a kind sampled at `ratio` (failures always),
    /// and if so the `sample_rate` to write on it: the probability it was kept
    /// with, `None` for 1.
    fn sample(&self, ratio: f64, failed: bool) -> Option<Option<f64>> {
        if failed || ratio >= 1.0 {
            return Some(None);
        }
        if ratio > 0.0 && operation::random_unit() < ratio {
            return Some(Some(ratio));
        }
        self.inner.sampled_out.fetch_add(1, Ordering::Relaxed);
        None
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
            session: None,
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
            session: None,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_rate: Option<f64>,
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
        Common {
            v: 1,
            ts: crate::time::format_rfc3339_micros(ts),
            kind,
            trace_id,
            span_id,
            parent_span_id,
            session: None,
            sample_rate: None,
        }
    }

    /// With the session and sample rate of the event.
    fn with(mut self, session: &Option<String>, sample_rate: Option<f64>) -> Common {
        self.session.clone_from(session);
        self.sample_rate = sample_rate;
        self
    }
}

/// Cache and reasoning token counts as the log writes them: parts of the input
/// and output counts, left out when zero; and the web searches, which are not
/// tokens but come with the same usage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TokenParts {
    #[serde(rename = "cache_read_tokens", skip_serializing_if = "is_zero")]
    pub cache_read: u64,
    /// All cache writes, the one-hour ones included.
    #[serde(rename = "cache_write_tokens", skip_serializing_if = "is_zero")]
    pub cache_write: u64,
    #[serde(rename = "cache_write_1h_tokens", skip_serializing_if = "is_zero")]
    pub cache_write_1h: u64,
    #[serde(rename = "reasoning_tokens", skip_serializing_if = "is_zero")]
    pub reasoning: u64,
    #[serde(rename = "web_search_requests", skip_serializing_if = "is_zero")]
    pub web_searches: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl TokenParts {
    /// Checks the parts against the totals that include them, as the reader does.
    fn check(&self, input: Option<u64>, output: Option<u64>) -> Result<(), WriteError> {
        let (input, output) = (input.unwrap_or(0), output.unwrap_or(0));
        let invalid = |what: String| Err(WriteError::Invalid(what));
        if self.cache_write_1h > self.cache_write {
            return invalid(format!(
                "cache_write_1h_tokens ({}) exceed cache_write_tokens ({})",
                self.cache_write_1h, self.cache_write
            ));
        }
        if self.cache_read.saturating_add(self.cache_write) > input {
            return invalid(format!(
                "cache_read_tokens + cache_write_tokens ({}) exceed the input tokens ({input}), which include them",
                self.cache_read.saturating_add(self.cache_write)
            ));
        }
        if self.reasoning > output {
            return invalid(format!(
                "reasoning_tokens ({}) exceed the output tokens ({output}), which include them",
                self.reasoning
            ));
        }
        Ok(())
    }
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(all(test, feature = "app"))]
mod tests;
