//! OTLP request bodies: protobuf or OTLP/JSON, gzip or not, into the protocol's own
//! message types, then into the GenAI mapping's inputs (core: no I/O).

use std::io::Read;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::resource::v1::Resource;
use thiserror::Error;

use crate::genai::{self, AttrValue, Attributes, LogInput, SpanEventInput, SpanInput};
use crate::time::Micros;

/// How a body is encoded, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

/// Why a body was refused; each maps to one HTTP status.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BodyError {
    /// 413: past the body limit, before or after decompression.
    #[error("body larger than {limit} bytes{}", if *.inflated { " once decompressed" } else { "" })]
    TooLarge { limit: usize, inflated: bool },
    /// 400: not gzip, not protobuf, not OTLP/JSON.
    #[error("{0}")]
    Undecodable(String),
}

/// How an OTLP/HTTP body is compressed (`Content-Encoding`): gzip as the
/// specification says, deflate as the Python SDK's exporter can send (zlib's
/// format, or raw deflate), zstd as an OpenTelemetry Collector can.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentEncoding {
    Identity,
    Gzip,
    Deflate,
    Zstd,
}

impl ContentEncoding {
    /// The encoding a `Content-Encoding` header names, if ajentik reads it.
    pub fn of(header: &str) -> Option<ContentEncoding> {
        match header.trim().to_ascii_lowercase().as_str() {
            "" | "identity" => Some(ContentEncoding::Identity),
            "gzip" | "x-gzip" => Some(ContentEncoding::Gzip),
            "deflate" => Some(ContentEncoding::Deflate),
            "zstd" => Some(ContentEncoding::Zstd),
            _ => None,
        }
    }
}

/// Decompresses a body, refusing (not decompressing) anything past `limit`
/// bytes.
pub fn decompress(body: &[u8], encoding: ContentEncoding, limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
    let cap = limit as u64 + 1;
    let read = match encoding {
        ContentEncoding::Identity => return Ok(body.to_vec()),
        // Every member of the stream, as RFC 1952 and Go's reader (the
        // Collector's) read it, not only the first.
        ContentEncoding::Gzip => flate2::read::MultiGzDecoder::new(body).take(cap).read_to_end(&mut out),
        // RFC 9110's deflate is zlib's format (two header bytes whose value is a
        // multiple of 31); some clients send the raw stream.
        ContentEncoding::Deflate
            if body.len() >= 2 && body[0] & 0x0f == 8 && u16::from_be_bytes([body[0], body[1]]).is_multiple_of(31) =>
        {
            flate2::read::ZlibDecoder::new(body).take(cap).read_to_end(&mut out)
        }
        ContentEncoding::Deflate => flate2::read::DeflateDecoder::new(body).take(cap).read_to_end(&mut out),
        ContentEncoding::Zstd => {
            let mut buf = vec![0u8; 64 << 10];
            let codec = crate::follow::compressed::Codec::Zstd;
            let bound = (0, limit as u64);
            let (_, outcome) = crate::follow::compressed::decode_reader(codec, body, bound, &mut buf, |piece| {
                out.extend_from_slice(piece);
                true
            });
            match outcome {
                Err(crate::follow::compressed::DecodeError::TooLarge) => {
                    return Err(BodyError::TooLarge { limit, inflated: true });
                }
                outcome => outcome.map(|()| out.len()).map_err(|e| std::io::Error::other(e.to_string())),
            }
        }
    };
    let name = match encoding {
        ContentEncoding::Identity => "identity",
        ContentEncoding::Gzip => "gzip",
        ContentEncoding::Deflate => "deflate",
        ContentEncoding::Zstd => "zstd",
    };
    read.map_err(|e| BodyError::Undecodable(format!("{name} body cannot be decompressed: {e}")))?;
    if out.len() > limit {
        return Err(BodyError::TooLarge { limit, inflated: true });
    }
    Ok(out)
}

fn decode<T: prost::Message + Default + serde::de::DeserializeOwned>(
    body: &[u8],
    encoding: Encoding,
    what: &str,
) -> Result<T, BodyError> {
    match encoding {
        Encoding::Protobuf => {
            T::decode(body).map_err(|e| BodyError::Undecodable(format!("not a protobuf {what}: {e}")))
        }
        Encoding::Json => {
            serde_json::from_slice(body).map_err(|e| BodyError::Undecodable(format!("not an OTLP/JSON {what}: {e}")))
        }
    }
}

pub fn traces(body: &[u8], encoding: Encoding) -> Result<ExportTraceServiceRequest, BodyError> {
    decode(body, encoding, "ExportTraceServiceRequest")
}

pub fn logs(body: &[u8], encoding: Encoding) -> Result<ExportLogsServiceRequest, BodyError> {
    decode(body, encoding, "ExportLogsServiceRequest")
}

pub fn metrics(body: &[u8], encoding: Encoding) -> Result<ExportMetricsServiceRequest, BodyError> {
    decode(body, encoding, "ExportMetricsServiceRequest")
}

fn micros(nanos: u64) -> Micros {
    Micros::try_from(nanos / 1000).unwrap_or(Micros::MAX)
}

/// A trace id of exactly 16 bytes, not all zero (the OTLP rule for a valid id).
fn trace_id(bytes: &[u8]) -> Option<u128> {
    let bytes: [u8; 16] = bytes.try_into().ok()?;
    Some(u128::from_be_bytes(bytes)).filter(|id| *id != 0)
}

fn span_id(bytes: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = bytes.try_into().ok()?;
    Some(u64::from_be_bytes(bytes)).filter(|id| *id != 0)
}

/// Arrays, maps and bytes as compact JSON-like text (only kept if asked for, and cut).
fn render(value: &any_value::Value) -> String {
    match value {
        any_value::Value::StringValue(s) => s.clone(),
        any_value::Value::BoolValue(b) => b.to_string(),
        any_value::Value::IntValue(i) => i.to_string(),
        any_value::Value::DoubleValue(f) => f.to_string(),
        any_value::Value::BytesValue(b) => b.iter().map(|byte| format!("{byte:02x}")).collect(),
        any_value::Value::ArrayValue(array) => {
            let items: Vec<String> = array.values.iter().filter_map(|v| v.value.as_ref()).map(render).collect();
            format!("[{}]", items.join(","))
        }
        any_value::Value::KvlistValue(list) => {
            let items: Vec<String> = list
                .values
                .iter()
                .map(|kv| {
                    format!(
                        "{}={}",
                        kv.key,
                        kv.value.as_ref().and_then(|v| v.value.as_ref()).map(render).unwrap_or_default()
                    )
                })
                .collect();
            format!("{{{}}}", items.join(","))
        }
        // Profiles' string-table index: meaningless without the table.
        any_value::Value::StringValueStrindex(_) => String::new(),
    }
}

fn attr_value(value: &AnyValue) -> Option<AttrValue> {
    Some(match value.value.as_ref()? {
        any_value::Value::StringValue(s) => AttrValue::Str(s.clone()),
        any_value::Value::BoolValue(b) => AttrValue::Bool(*b),
        any_value::Value::IntValue(i) => AttrValue::Int(*i),
        any_value::Value::DoubleValue(f) => AttrValue::F64(*f),
        other => AttrValue::Str(genai::cut(&render(other)).to_owned()),
    })
}

/// Attributes as the mapping reads them; contents are not even copied unless kept.
fn attributes(list: &[KeyValue], keep_content: bool) -> Attributes {
    list.iter()
        .filter(|kv| keep_content || !genai::is_content(&kv.key))
        .filter_map(|kv| Some((kv.key.clone(), attr_value(kv.value.as_ref()?)?)))
        .collect()
}

fn service(resource: Option<&Resource>) -> Option<String> {
    resource?.attributes.iter().find(|kv| kv.key == "service.name").and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some(s.clone()),
            _ => None,
        }
    })
}

/// The spans of a request; `rejected` counts those without valid ids.
pub struct DecodedSpans {
    pub spans: Vec<SpanInput>,
    pub rejected: u64,
}

pub fn spans(request: &ExportTraceServiceRequest, keep_content: bool) -> DecodedSpans {
    let mut out = DecodedSpans { spans: Vec::new(), rejected: 0 };
    for resource_spans in &request.resource_spans {
        let service = service(resource_spans.resource.as_ref());
        for scope_spans in &resource_spans.scope_spans {
            for span in &scope_spans.spans {
                let (Some(trace), Some(id)) = (trace_id(&span.trace_id), span_id(&span.span_id)) else {
                    out.rejected += 1;
                    continue;
                };
                let status = span.status.as_ref();
                let error = status.filter(|s| s.code == 2).map(|s| s.message.clone());
                out.spans.push(SpanInput {
                    name: span.name.clone(),
                    trace_id: Some(trace),
                    span_id: Some(id),
                    parent_span_id: span_id(&span.parent_span_id),
                    start: micros(span.start_time_unix_nano),
                    end: micros(span.end_time_unix_nano),
                    error,
                    attributes: attributes(&span.attributes, keep_content),
                    events: span
                        .events
                        .iter()
                        .map(|e| SpanEventInput {
                            name: e.name.clone(),
                            time: micros(e.time_unix_nano),
                            attributes: attributes(&e.attributes, keep_content),
                        })
                        .collect(),
                    service: service.clone(),
                });
            }
        }
    }
    out
}

/// The log records of a request; a record without a time takes its observed time,
/// else `now`.
pub fn log_records(request: &ExportLogsServiceRequest, keep_content: bool, now: Micros) -> Vec<LogInput> {
    let mut out = Vec::new();
    for resource_logs in &request.resource_logs {
        let service = service(resource_logs.resource.as_ref());
        for scope_logs in &resource_logs.scope_logs {
            let scope = scope_logs.scope.as_ref().map(|s| s.name.clone()).unwrap_or_default();
            for record in &scope_logs.log_records {
                let nanos =
                    if record.time_unix_nano > 0 { record.time_unix_nano } else { record.observed_time_unix_nano };
                out.push(LogInput {
                    time: if nanos > 0 { micros(nanos) } else { now },
                    severity: record.severity_number,
                    severity_text: record.severity_text.clone(),
                    body: record.body.as_ref().and_then(attr_value),
                    event_name: record.event_name.clone(),
                    scope: scope.clone(),
                    trace_id: trace_id(&record.trace_id),
                    span_id: span_id(&record.span_id),
                    attributes: attributes(&record.attributes, keep_content),
                    service: service.clone(),
                });
            }
        }
    }
    out
}

/// Data points in a metrics request: accepted and counted, not folded.
pub fn data_points(request: &ExportMetricsServiceRequest) -> u64 {
    let mut points = 0;
    for resource in &request.resource_metrics {
        for scope in &resource.scope_metrics {
            for metric in &scope.metrics {
                points += match &metric.data {
                    Some(Data::Gauge(g)) => g.data_points.len(),
                    Some(Data::Sum(s)) => s.data_points.len(),
                    Some(Data::Histogram(h)) => h.data_points.len(),
                    Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
                    Some(Data::Summary(s)) => s.data_points.len(),
                    None => 0,
                } as u64;
            }
        }
    }
    points
}
