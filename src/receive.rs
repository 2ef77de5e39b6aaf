//! The OTLP receiver (`ajentik serve`): agents already instrumented with
//! OpenTelemetry export to it, and what they send is appended to the event log as v1
//! events (issue 12).
//!
//! [`Receiver`] is the part every transport shares: it maps decoded spans and log
//! records through [`crate::genai`], drops what it has already written (an exporter
//! retrying after a lost answer), and appends a request's events in one write. A
//! request is answered only after that write; if it fails, the transport answers
//! "retry" (HTTP 503, gRPC UNAVAILABLE) and nothing of it is remembered as written.

pub mod decode;
pub mod grpc;
pub mod http;
pub mod serve;

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

use crate::genai::{self, LogInput, MapOptions, Role, SpanInput};
use crate::ingest::Recent;
use crate::time::Micros;

/// How many recently written span and record ids are remembered for de-duplication.
const RECENT_IDS: usize = 1 << 17;
/// How many recent spans are remembered to find a child's `invoke_agent` ancestor.
const RECENT_SPANS: usize = 1 << 16;
/// How far up a parent chain the ancestor search goes.
const MAX_DEPTH: usize = 64;

/// What identifies one span or record across retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ItemKey {
    Span(u128, u64),
    Log(u64),
    /// One failure in one span (its trace, span, error type and message):
    /// Gemini CLI tells each failed API call both by an error log record and by
    /// an exception event on the span it was emitted in.
    Failure(u64),
}

/// The key of an error line that names its span, for [`ItemKey::Failure`].
fn failure_key(line: &genai::Line) -> Option<ItemKey> {
    if line.get("type")?.as_str()? != "error" {
        return None;
    }
    let part = |key: &str| line.get(key).and_then(serde_json::Value::as_str).unwrap_or_default();
    let span = line.get("span_id")?.as_str()?;
    Some(ItemKey::Failure(crate::ingest::Counted::key(&[part("trace_id"), span, part("error_type"), part("message")])))
}

/// What a span tells its children: its parent, and its agent if it is `invoke_agent`.
struct SpanLink {
    parent: Option<u64>,
    agent: Option<String>,
}

#[derive(Default)]
struct State {
    written: Option<Recent<ItemKey, ()>>,
    spans: Option<Recent<u64, SpanLink>>,
}

impl State {
    fn written(&mut self) -> &mut Recent<ItemKey, ()> {
        self.written.get_or_insert_with(|| Recent::new(RECENT_IDS))
    }

    fn spans(&mut self) -> &mut Recent<u64, SpanLink> {
        self.spans.get_or_insert_with(|| Recent::new(RECENT_SPANS))
    }

    /// The agent of the nearest `invoke_agent` above `span`, if it has been seen.
    fn ancestor_agent(&mut self, mut parent: Option<u64>) -> Option<String> {
        let spans = self.spans();
        for _ in 0..MAX_DEPTH {
            let link = spans.get(&parent?)?;
            if let Some(agent) = &link.agent {
                return Some(agent.clone());
            }
            parent = link.parent;
        }
        None
    }
}

/// Counters for the header, `serve`'s exit line and the bench.
#[derive(Debug, Default)]
pub struct ReceiverStats {
    pub requests: AtomicU64,
    pub spans: AtomicU64,
    pub log_records: AtomicU64,
    pub data_points: AtomicU64,
    pub duplicates: AtomicU64,
    pub rejected: AtomicU64,
    pub events_written: AtomicU64,
    pub write_failures: AtomicU64,
}

/// What became of one export request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Items refused (a span without valid ids), for `partial_success`.
    pub rejected: u64,
    pub message: String,
}

/// The append to the log failed: the exporter should retry.
#[derive(Debug, thiserror::Error)]
#[error("cannot append to {path}: {source}")]
pub struct WriteFailed {
    pub path: String,
    pub source: std::io::Error,
}

pub struct Receiver {
    log: PathBuf,
    options: MapOptions,
    state: Mutex<State>,
    pub stats: ReceiverStats,
}

impl Receiver {
    pub fn new(log: impl Into<PathBuf>, options: MapOptions) -> Receiver {
        Receiver { log: log.into(), options, state: Mutex::new(State::default()), stats: ReceiverStats::default() }
    }

    /// Spans and log records taken so far (the header's rate).
    pub fn received(&self) -> u64 {
        self.stats.spans.load(Ordering::Relaxed) + self.stats.log_records.load(Ordering::Relaxed)
    }

    pub fn log(&self) -> &Path {
        &self.log
    }

    pub fn keep_content(&self) -> bool {
        self.options.keep_content
    }

    pub fn traces(&self, request: &ExportTraceServiceRequest) -> Result<Outcome, WriteFailed> {
        let decoded = decode::spans(request, self.options.keep_content);
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        self.stats.spans.fetch_add(decoded.spans.len() as u64, Ordering::Relaxed);
        self.stats.rejected.fetch_add(decoded.rejected, Ordering::Relaxed);
        let started = std::time::Instant::now();
        self.write_spans(&decoded.spans)?;
        tracing::debug!(
            target: "serve",
            "traces: {} spans ({} refused) written in {:.2} ms",
            decoded.spans.len(),
            decoded.rejected,
            started.elapsed().as_secs_f64() * 1e3
        );
        let message = match decoded.rejected {
            0 => String::new(),
            n => format!("{n} spans without a valid trace or span id were refused"),
        };
        Ok(Outcome { rejected: decoded.rejected, message })
    }

    pub fn logs(&self, request: &ExportLogsServiceRequest, now: Micros) -> Result<Outcome, WriteFailed> {
        let records = decode::log_records(request, self.options.keep_content, now);
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        self.stats.log_records.fetch_add(records.len() as u64, Ordering::Relaxed);
        let started = std::time::Instant::now();
        self.write_logs(&records)?;
        tracing::debug!(target: "serve", "logs: {} records written in {:.2} ms", records.len(), started.elapsed().as_secs_f64() * 1e3);
        Ok(Outcome { rejected: 0, message: String::new() })
    }

    pub fn metrics(&self, points: u64) {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        self.stats.data_points.fetch_add(points, Ordering::Relaxed);
    }

    /// Maps and appends spans not written before. The lock is held across the write
    /// so a retry arriving meanwhile cannot write the same spans again.
    pub fn write_spans(&self, spans: &[SpanInput]) -> Result<(), WriteFailed> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Learn the whole batch's tree first: a parent often comes in the same batch
        // as (and after) its children.
        for span in spans {
            if let Some(id) = span.span_id {
                let agent = match genai::role(span) {
                    Role::Agent(name) => Some(name),
                    _ => None,
                };
                state.spans().insert(id, SpanLink { parent: span.parent_span_id, agent });
            }
        }
        let mut lines = Vec::new();
        let mut keys = HashSet::new();
        for span in spans {
            let key = ItemKey::Span(span.trace_id.unwrap_or(0), span.span_id.unwrap_or(0));
            if state.written().contains(&key) || !keys.insert(key) {
                self.stats.duplicates.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let ancestor = state.ancestor_agent(span.parent_span_id);
            lines.extend(genai::span_to_events(span, ancestor.as_deref(), self.options));
        }
        self.drop_failures_told(&mut state, &mut lines, &mut keys);
        self.append(&mut state, &lines, keys)
    }

    pub fn write_logs(&self, records: &[LogInput]) -> Result<(), WriteFailed> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut lines = Vec::new();
        let mut keys = HashSet::new();
        for record in records {
            let key = ItemKey::Log(crate::ingest::Counted::key(&[&genai::log_dedupe_key(record)]));
            if state.written().contains(&key) || !keys.insert(key) {
                self.stats.duplicates.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            lines.extend(genai::log_to_events(record, self.options));
        }
        self.drop_failures_told(&mut state, &mut lines, &mut keys);
        self.append(&mut state, &lines, keys)
    }

    /// Leaves out the error lines of a failure already told, by a log record or
    /// by a span's exception, written before or in this batch: one failure is
    /// one error event, whichever signal says it first.
    fn drop_failures_told(&self, state: &mut State, lines: &mut Vec<genai::Line>, keys: &mut HashSet<ItemKey>) {
        lines.retain(|line| match failure_key(line) {
            Some(key) if state.written().contains(&key) || !keys.insert(key) => {
                self.stats.duplicates.fetch_add(1, Ordering::Relaxed);
                false
            }
            _ => true,
        });
    }

    /// One append of every line; the keys count as written only once it succeeded.
    fn append(
        &self,
        state: &mut State,
        lines: &[genai::Line],
        keys: impl IntoIterator<Item = ItemKey>,
    ) -> Result<(), WriteFailed> {
        if !lines.is_empty() {
            let mut buffer = Vec::with_capacity(lines.len() * 256);
            for line in lines {
                // Serializing a map of strings and numbers cannot fail.
                if serde_json::to_writer(&mut buffer, line).is_ok() {
                    buffer.push(b'\n');
                }
            }
            if let Err(source) = append_whole(&self.log, &buffer) {
                tracing::warn!(target: "serve", "cannot append to {}: {source}; answering retry", self.log.display());
                self.stats.write_failures.fetch_add(1, Ordering::Relaxed);
                return Err(WriteFailed { path: self.log.display().to_string(), source });
            }
            self.stats.events_written.fetch_add(lines.len() as u64, Ordering::Relaxed);
        }
        let written = state.written();
        for key in keys {
            written.insert(key, ());
        }
        Ok(())
    }
}

/// Appends `buffer` in one write; if the write fails part-way (a full disk), the
/// file is cut back so no half line is left for the next append to run into.
fn append_whole(path: &Path, buffer: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    let before = file.metadata()?.len();
    let result = file.write_all(buffer);
    if result.is_err()
        && let Ok(after) = file.metadata().map(|m| m.len())
        && after > before
        && after < before + buffer.len() as u64
    {
        let _ = file.set_len(before);
    }
    result
}

#[cfg(test)]
mod tests;
