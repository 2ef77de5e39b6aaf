//! The OTLP/HTTP exporter: span records as the SDK's `SpanData`, handed to
//! opentelemetry-otlp's exporter, with the backend's own words kept when it refuses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState};
use opentelemetry::{InstrumentationScope, KeyValue, Value};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, RetryPolicy, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanExporter as _, SpanLinks};

use crate::otlp::target::Target;
use crate::otlp::{self, AttrValue, SpanRecord};
use crate::time::Micros;

/// The OTLP/HTTP exporter, set up once.
pub struct Exporter {
    inner: opentelemetry_otlp::SpanExporter,
    pub(super) scope: InstrumentationScope,
    last_refusal: Refusal,
}

/// The status and body of the backend's last non-success answer, or the cause of
/// the last network failure. The exporter's own error names only the status (or
/// "network error"); a user fixing a 400 needs the backend's words.
type Refusal = Arc<Mutex<Option<Problem>>>;

/// reqwest's blocking client, remembering the backend's last refusal.
#[derive(Debug)]
struct RecordingClient {
    inner: reqwest::blocking::Client,
    last_refusal: Refusal,
}

#[async_trait::async_trait]
impl HttpClient for RecordingClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let response = match self.inner.send_bytes(request).await {
            Ok(response) => response,
            Err(e) => {
                // The exporter reports only "network error": keep the cause chain
                // (connection refused, DNS, TLS) for the message.
                let mut cause = e.to_string();
                let mut source = e.source();
                while let Some(s) = source {
                    cause.push_str(": ");
                    cause.push_str(&s.to_string());
                    source = s.source();
                }
                if let Ok(mut last) = self.last_refusal.lock() {
                    *last = Some(Problem::Unreachable(crate::sanitize::clean_truncated(&cause, 400)));
                }
                return Err(e);
            }
        };
        if !response.status().is_success() {
            let body = String::from_utf8_lossy(response.body());
            let said = crate::sanitize::clean_truncated(body.trim(), 300);
            let said = if said.is_empty() { "(no message)".to_string() } else { said };
            let refusal = Problem::Refused { status: response.status().as_u16(), said };
            if let Ok(mut last) = self.last_refusal.lock() {
                *last = Some(refusal);
            }
        }
        Ok(response)
    }
}

impl Exporter {
    pub fn new(target: &Target, service_name: &str) -> Result<Exporter> {
        // reqwest is built without a default TLS provider (aws-lc-rs costs minutes
        // of C build): install ring's. An error means one is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let last_refusal = Refusal::default();
        let client = RecordingClient {
            inner: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .context("cannot set up the HTTP client")?,
            last_refusal: last_refusal.clone(),
        };
        let headers: HashMap<String, String> = target.headers.iter().cloned().collect();
        let mut inner = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(client)
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(target.endpoint.clone())
            .with_headers(headers)
            .with_retry_policy(RetryPolicy::recommended())
            .build()
            .context("cannot set up the OTLP exporter")?;
        inner.set_resource(&Resource::builder_empty().with_service_name(service_name.to_string()).build());
        let scope = InstrumentationScope::builder("ajentik").with_version(env!("CARGO_PKG_VERSION")).build();
        Ok(Exporter { inner, scope, last_refusal })
    }

    /// Sends one batch; blocks until the backend accepted it or the retries gave up.
    pub(super) fn export_data(&self, spans: Vec<SpanData>) -> Result<()> {
        if let Ok(mut last) = self.last_refusal.lock() {
            *last = None;
        }
        block_on(self.inner.export(spans)).map_err(|e| {
            let problem = self.last_refusal.lock().ok().and_then(|mut last| last.take());
            anyhow::Error::new(match problem {
                Some(Problem::Unreachable(cause)) => ExportError::Unreachable(cause),
                Some(Problem::Refused { status, said }) => ExportError::Refused { status, said },
                None => ExportError::Other(e.to_string()),
            })
        })
    }
}

/// Why a batch was not taken. Callers match on it: a permanent refusal stops a
/// following push, anything else is retried.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("could not reach the backend: {0}")]
    Unreachable(String),
    #[error("the backend refused the spans: HTTP {status}: {said}")]
    Refused { status: u16, said: String },
    #[error("the backend did not take the spans: {0}")]
    Other(String),
}

impl ExportError {
    /// A refusal that sending the same batch again will not change (4xx other
    /// than 408 Request Timeout and 429 Too Many Requests).
    pub fn is_permanent(&self) -> bool {
        matches!(self, ExportError::Refused { status, .. } if (400..500).contains(status) && *status != 408 && *status != 429)
    }

    /// Whether an error (or any error it wraps) is a permanent refusal.
    pub fn is_permanent_in(error: &anyhow::Error) -> bool {
        error.chain().any(|cause| cause.downcast_ref::<ExportError>().is_some_and(ExportError::is_permanent))
    }
}

/// What the HTTP client saw go wrong last.
#[derive(Debug)]
enum Problem {
    Unreachable(String),
    Refused { status: u16, said: String },
}

pub(super) fn span_data(r: &SpanRecord, scope: &InstrumentationScope) -> SpanData {
    let mut events = SpanEvents::default();
    for e in &r.events {
        events.events.push(opentelemetry::trace::Event::new(
            e.name.clone(),
            system_time(e.time),
            key_values(&e.attributes),
            0,
        ));
    }
    SpanData {
        span_context: SpanContext::new(
            TraceId::from_bytes(r.trace_id.to_be_bytes()),
            SpanId::from_bytes(r.span_id.to_be_bytes()),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: r.parent_span_id.map_or(SpanId::INVALID, |id| SpanId::from_bytes(id.to_be_bytes())),
        parent_span_is_remote: false,
        span_kind: match r.kind {
            otlp::SpanKind::Internal => SpanKind::Internal,
            otlp::SpanKind::Client => SpanKind::Client,
        },
        name: r.name.clone().into(),
        start_time: system_time(r.start),
        end_time: system_time(r.end),
        attributes: key_values(&r.attributes),
        dropped_attributes_count: 0,
        events,
        links: SpanLinks::default(),
        // Successful operations leave the status unset, as instrumentation should.
        status: match &r.error {
            Some(description) => Status::error(description.clone()),
            None => Status::Unset,
        },
        instrumentation_scope: scope.clone(),
    }
}

fn key_values(attributes: &[(String, AttrValue)]) -> Vec<KeyValue> {
    attributes
        .iter()
        .map(|(key, value)| {
            let value = match value {
                AttrValue::Str(s) => Value::from(s.clone()),
                AttrValue::Int(i) => Value::I64(*i),
                AttrValue::F64(f) => Value::F64(*f),
                AttrValue::Bool(b) => Value::Bool(*b),
            };
            KeyValue::new(key.clone(), value)
        })
        .collect()
}

fn system_time(micros: Micros) -> SystemTime {
    let magnitude = Duration::from_micros(micros.unsigned_abs());
    if micros >= 0 { SystemTime::UNIX_EPOCH + magnitude } else { SystemTime::UNIX_EPOCH - magnitude }
}

/// Drives the exporter's future on this thread. With the blocking HTTP client the
/// future does its work (retries and their sleeps included) when polled, so this
/// is almost always one poll; the waker parks and unparks the thread otherwise.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = TaskContext::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => std::thread::park(),
        }
    }
}
