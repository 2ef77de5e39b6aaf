//! OTLP/HTTP: `POST /v1/traces`, `/v1/logs`, `/v1/metrics`, protobuf or JSON, gzip
//! or not, served by hyper (shell).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsPartialSuccess, ExportLogsServiceResponse};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTracePartialSuccess, ExportTraceServiceResponse};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::decode::{self, BodyError, Encoding};
use super::{Outcome, Receiver};
use crate::time::wall_clock;

/// Default body limit, compressed and decompressed: 32 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 32 << 20;
/// Connections served at once; more wait to be accepted (a client that opens
/// thousands cannot take the receiver's memory).
pub const MAX_CONNECTIONS: usize = 256;
/// A connection that has not sent a request's headers in this long is closed.
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// What every request is checked against.
pub struct HttpConfig {
    pub body_limit: usize,
    /// `Authorization: Bearer <token>` required when set.
    pub token: Option<String>,
    /// Connections served at once ([`MAX_CONNECTIONS`]).
    pub max_connections: usize,
    /// How long a connection may take to send a request's headers ([`HEADER_TIMEOUT`]).
    pub header_timeout: std::time::Duration,
}

/// `google.rpc.Status`, the body of an OTLP error answer.
#[derive(Clone, PartialEq, prost::Message, serde::Serialize)]
struct Status {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

type Answer = Response<Full<Bytes>>;

fn content_type(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Protobuf => "application/x-protobuf",
        Encoding::Json => "application/json",
    }
}

/// An answer body in the request's encoding.
fn answer<T: prost::Message + serde::Serialize>(status: StatusCode, encoding: Encoding, body: &T) -> Answer {
    let bytes = match encoding {
        Encoding::Protobuf => body.encode_to_vec(),
        Encoding::Json => serde_json::to_vec(body).unwrap_or_default(),
    };
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(encoding)));
    response
}

/// An error answer: a `Status` (gRPC code and message) in the request's encoding.
fn refuse(status: StatusCode, encoding: Encoding, message: impl Into<String>) -> Answer {
    // gRPC codes, as OTLP/HTTP's Status carries them.
    let code = match status {
        StatusCode::BAD_REQUEST | StatusCode::UNSUPPORTED_MEDIA_TYPE => 3,
        StatusCode::UNAUTHORIZED => 16,
        StatusCode::PAYLOAD_TOO_LARGE => 8,
        StatusCode::SERVICE_UNAVAILABLE => 14,
        StatusCode::NOT_FOUND => 5,
        _ => 12,
    };
    let mut response = answer(status, encoding, &Status { code, message: message.into() });
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

fn header(request: &Request<Incoming>, name: header::HeaderName) -> &str {
    request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The signal a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    Traces,
    Logs,
    Metrics,
}

/// Everything about a request that can be judged before reading its body.
fn check_request(
    request: &Request<Incoming>,
    config: &HttpConfig,
) -> Result<(Signal, Encoding, decode::ContentEncoding), Box<Answer>> {
    let signal = match request.uri().path() {
        "/v1/traces" => Signal::Traces,
        "/v1/logs" => Signal::Logs,
        "/v1/metrics" => Signal::Metrics,
        path => {
            return Err(Box::new(refuse(StatusCode::NOT_FOUND, Encoding::Json, format!("no OTLP endpoint at {path}"))));
        }
    };
    if request.method() != Method::POST {
        let mut response = refuse(StatusCode::METHOD_NOT_ALLOWED, Encoding::Json, "OTLP takes POST");
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return Err(Box::new(response));
    }
    let media = header(request, header::CONTENT_TYPE).split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let encoding = match media.as_str() {
        "application/x-protobuf" => Encoding::Protobuf,
        "application/json" => Encoding::Json,
        other => {
            let message = format!("content type {other:?} is not application/x-protobuf or application/json");
            return Err(Box::new(refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, Encoding::Json, message)));
        }
    };
    if let Some(token) = &config.token {
        let given = header(request, header::AUTHORIZATION).strip_prefix("Bearer ").unwrap_or("");
        if !constant_time_eq(given.as_bytes(), token.as_bytes()) {
            return Err(Box::new(refuse(
                StatusCode::UNAUTHORIZED,
                encoding,
                "missing or wrong Authorization: Bearer token",
            )));
        }
    }
    let named = header(request, header::CONTENT_ENCODING);
    let Some(compression) = decode::ContentEncoding::of(named) else {
        let message = format!("content encoding {:?} is not gzip, deflate or zstd", named.trim());
        return Err(Box::new(refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, encoding, message)));
    };
    let declared = header(request, header::CONTENT_LENGTH).parse::<usize>().ok();
    if declared.is_some_and(|length| length > config.body_limit) {
        let message = format!("body larger than {} bytes", config.body_limit);
        return Err(Box::new(refuse(StatusCode::PAYLOAD_TOO_LARGE, encoding, message)));
    }
    Ok((signal, encoding, compression))
}

/// Compares without an early exit, so the time taken does not reveal the token.
pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Answers one request; never fails (every problem is an HTTP status).
pub async fn handle(
    request: Request<Incoming>,
    receiver: Arc<Receiver>,
    config: Arc<HttpConfig>,
) -> Result<Answer, Infallible> {
    let (signal, encoding, compression) = match check_request(&request, &config) {
        Ok(checked) => checked,
        Err(answer) => return Ok(*answer),
    };
    let body = match Limited::new(request.into_body(), config.body_limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => {
            let message = format!("body larger than {} bytes", config.body_limit);
            return Ok(refuse(StatusCode::PAYLOAD_TOO_LARGE, encoding, message));
        }
        Err(error) => return Ok(refuse(StatusCode::BAD_REQUEST, encoding, format!("body could not be read: {error}"))),
    };
    let body = match compression {
        decode::ContentEncoding::Identity => body,
        compression => match decode::decompress(&body, compression, config.body_limit) {
            Ok(inflated) => Bytes::from(inflated),
            Err(error) => return Ok(body_error(error, encoding)),
        },
    };
    Ok(export(signal, &body, encoding, &receiver))
}

fn body_error(error: BodyError, encoding: Encoding) -> Answer {
    let status = match error {
        BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        BodyError::Undecodable(_) => StatusCode::BAD_REQUEST,
    };
    refuse(status, encoding, error.to_string())
}

fn export(signal: Signal, body: &[u8], encoding: Encoding, receiver: &Receiver) -> Answer {
    let written = match signal {
        Signal::Traces => match decode::traces(body, encoding) {
            Ok(request) => receiver.traces(&request).map(|outcome| {
                let partial = (outcome.rejected > 0).then(|| ExportTracePartialSuccess {
                    rejected_spans: outcome.rejected as i64,
                    error_message: outcome.message.clone(),
                });
                answer(StatusCode::OK, encoding, &ExportTraceServiceResponse { partial_success: partial })
            }),
            Err(error) => return body_error(error, encoding),
        },
        Signal::Logs => match decode::logs(body, encoding) {
            Ok(request) => receiver.logs(&request, wall_clock()).map(|Outcome { rejected, message }| {
                let partial = (rejected > 0).then_some(ExportLogsPartialSuccess {
                    rejected_log_records: rejected as i64,
                    error_message: message,
                });
                answer(StatusCode::OK, encoding, &ExportLogsServiceResponse { partial_success: partial })
            }),
            Err(error) => return body_error(error, encoding),
        },
        Signal::Metrics => match decode::metrics(body, encoding) {
            Ok(request) => {
                receiver.metrics(decode::data_points(&request));
                Ok(answer(StatusCode::OK, encoding, &ExportMetricsServiceResponse { partial_success: None }))
            }
            Err(error) => return body_error(error, encoding),
        },
    };
    written.unwrap_or_else(|error| refuse(StatusCode::SERVICE_UNAVAILABLE, encoding, error.to_string()))
}

/// Serves OTLP/HTTP on `listener` until `shutdown` turns true; then stops accepting,
/// lets each connection finish the request in hand, and returns.
pub async fn serve(
    listener: TcpListener,
    receiver: Arc<Receiver>,
    config: HttpConfig,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let config = Arc::new(config);
    let mut connections = tokio::task::JoinSet::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(config.max_connections));
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            _ = shutdown.changed() => break,
        };
        let (stream, _peer): (_, SocketAddr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of descriptors and the like: wait a moment rather than spin.
                Err(_) => { tokio::time::sleep(std::time::Duration::from_millis(50)).await; continue; }
            },
            _ = shutdown.changed() => break,
        };
        let (receiver, config) = (receiver.clone(), config.clone());
        let mut stop = shutdown.clone();
        connections.spawn(async move {
            let _slot = slot;
            let header_timeout = config.header_timeout;
            let service = hyper::service::service_fn(move |request| handle(request, receiver.clone(), config.clone()));
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stop.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
        // Reap finished connections so the set does not grow with every client.
        while connections.try_join_next().is_some() {}
    }
    while connections.join_next().await.is_some() {}
    Ok(())
}
