use std::io::Write;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

use super::decode::{self, BodyError, Encoding};
use super::*;

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(any_value::Value::StringValue(value.into())) }),
        ..KeyValue::default()
    }
}

fn proto_span(id: u8, parent: Option<u8>, name: &str, attributes: Vec<KeyValue>) -> Span {
    Span {
        trace_id: vec![7; 16],
        span_id: vec![id; 8],
        parent_span_id: parent.map(|p| vec![p; 8]).unwrap_or_default(),
        name: name.into(),
        start_time_unix_nano: 1_780_000_000_000_000_000,
        end_time_unix_nano: 1_780_000_000_250_000_000,
        attributes,
        ..Span::default()
    }
}

fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans { spans, ..ScopeSpans::default() }],
            ..ResourceSpans::default()
        }],
    }
}

fn lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

/// An agent, its chat (which names no agent) and a tool two levels down.
fn agent_tree() -> ExportTraceServiceRequest {
    request(vec![
        proto_span(3, Some(2), "execute_tool search", vec![kv("gen_ai.operation.name", "execute_tool")]),
        proto_span(2, Some(1), "chat gpt-4o", vec![kv("gen_ai.operation.name", "chat")]),
        proto_span(1, None, "invoke_agent researcher", vec![kv("gen_ai.operation.name", "invoke_agent")]),
    ])
}

#[test]
fn children_take_their_invoke_agent_ancestors_name_even_when_it_comes_last() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::new(dir.path().join("log.jsonl"), MapOptions::default());
    receiver.traces(&agent_tree()).unwrap();
    let written = lines(receiver.log());
    assert_eq!(written.len(), 3);
    assert!(written.iter().all(|l| l["agent"] == "researcher"), "{written:?}");
}

#[test]
fn a_retried_request_is_written_once_and_a_failed_write_is_not_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::new(dir.path().join("log.jsonl"), MapOptions::default());
    receiver.traces(&agent_tree()).unwrap();
    receiver.traces(&agent_tree()).unwrap();
    assert_eq!(lines(receiver.log()).len(), 3);
    assert_eq!(receiver.stats.duplicates.load(Ordering::Relaxed), 3);

    // A span repeated within one request is written once too.
    let twice = request(vec![proto_span(9, None, "db", vec![]), proto_span(9, None, "db", vec![])]);
    receiver.traces(&twice).unwrap();
    assert_eq!(lines(receiver.log()).len(), 4);

    // The log cannot be opened (its folder is gone): an error, nothing remembered,
    // so the exporter's retry writes it once the log is back.
    let gone = Receiver::new(dir.path().join("missing/log.jsonl"), MapOptions::default());
    let fresh = request(vec![proto_span(5, None, "fresh", vec![])]);
    assert!(gone.traces(&fresh).is_err());
    assert_eq!(gone.stats.write_failures.load(Ordering::Relaxed), 1);
    std::fs::create_dir(dir.path().join("missing")).unwrap();
    gone.traces(&fresh).unwrap();
    assert_eq!(lines(gone.log()).len(), 1);
}

#[test]
fn spans_without_valid_ids_are_refused_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::new(dir.path().join("log.jsonl"), MapOptions::default());
    let mut short = proto_span(4, None, "short id", vec![]);
    short.span_id = vec![1, 2, 3];
    let mut zero = proto_span(5, None, "zero trace", vec![]);
    zero.trace_id = vec![0; 16];
    let outcome = receiver.traces(&request(vec![short, zero, proto_span(6, None, "ok", vec![])])).unwrap();
    assert_eq!(outcome.rejected, 2);
    assert!(outcome.message.contains("2 spans"), "{}", outcome.message);
    assert_eq!(lines(receiver.log()).len(), 1);
}

#[test]
fn a_bomb_is_refused_not_inflated_in_every_encoding() {
    use decode::ContentEncoding::{Deflate, Gzip, Zstd};
    let zeros = vec![0u8; 8 << 20];
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(&zeros).unwrap();
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    zlib.write_all(&zeros).unwrap();
    let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    raw.write_all(&zeros).unwrap();
    let zstd = ruzstd::encoding::compress_to_vec(&zeros[..], ruzstd::encoding::CompressionLevel::Fastest);
    for (encoding, bomb) in [
        (Gzip, gzip.finish().unwrap()),
        (Deflate, zlib.finish().unwrap()),
        (Deflate, raw.finish().unwrap()),
        (Zstd, zstd),
    ] {
        assert!(bomb.len() < 64 << 10, "{encoding:?}");
        assert_eq!(
            decode::decompress(&bomb, encoding, 1 << 20),
            Err(BodyError::TooLarge { limit: 1 << 20, inflated: true }),
            "{encoding:?}"
        );
        let whole = decode::decompress(&bomb, encoding, 8 << 20);
        assert!(whole.as_ref().is_ok_and(|w| *w == zeros), "{encoding:?}: {:?}", whole.map(|w| w.len()));
        let bad = decode::decompress(b"not compressed", encoding, 1 << 20);
        assert!(matches!(&bad, Err(BodyError::Undecodable(m)) if m.contains("cannot be decompressed")), "{bad:?}");
    }
}

#[test]
fn a_gzip_body_of_several_members_is_read_whole_and_trailing_garbage_refused() {
    // RFC 1952 allows a gzip stream of several members (what `cat a.gz b.gz`
    // makes; Go's reader, and so the Collector's, reads them all). A reader that
    // stops after the first loses the rest without a word when the cut falls
    // between two protobuf messages.
    let member = |bytes: &[u8]| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    };
    let whole = agent_tree().encode_to_vec();
    let (first, second) = whole.split_at(whole.len() / 2);
    let body = [member(first), member(second)].concat();
    assert_eq!(decode::decompress(&body, decode::ContentEncoding::Gzip, 1 << 20), Ok(whole.clone()));
    let garbage = [member(&whole), b"trailing".to_vec()].concat();
    let refused = decode::decompress(&garbage, decode::ContentEncoding::Gzip, 1 << 20);
    assert!(matches!(&refused, Err(BodyError::Undecodable(m)) if m.contains("gzip")), "{refused:?}");
}

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn no_body_random_or_mutated_panics_the_decoder() {
    let valid = agent_tree().encode_to_vec();
    let valid_json = serde_json::to_vec(&agent_tree()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&valid).unwrap();
    let valid_gzip = gz.finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::new(dir.path().join("log.jsonl"), MapOptions::default());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..20_000 {
        let base: &[u8] = match round % 4 {
            0 => &valid,
            1 => &valid_json,
            2 => &valid_gzip,
            _ => &[],
        };
        let mut body = base.to_vec();
        if body.is_empty() {
            body = (0..rng.next() % 64).map(|_| rng.next() as u8).collect();
        }
        for _ in 0..=rng.next() % 4 {
            let at = (rng.next() as usize) % body.len().max(1);
            match rng.next() % 3 {
                0 if !body.is_empty() => body[at] = rng.next() as u8,
                1 if !body.is_empty() => body.truncate(at),
                _ => body.insert(at.min(body.len()), rng.next() as u8),
            }
        }
        let inflated =
            decode::decompress(&body, decode::ContentEncoding::Gzip, 1 << 20).unwrap_or_else(|_| body.clone());
        for encoding in [Encoding::Protobuf, Encoding::Json] {
            if let Ok(request) = decode::traces(&inflated, encoding) {
                let _ = receiver.traces(&request);
            }
            if let Ok(request) = decode::logs(&inflated, encoding) {
                let _ = receiver.logs(&request, 0);
            }
            if let Ok(request) = decode::metrics(&inflated, encoding) {
                decode::data_points(&request);
            }
        }
    }
    // Whatever was written reads back as valid events.
    for line in std::fs::read_to_string(receiver.log()).unwrap_or_default().lines() {
        assert!(
            matches!(crate::ingest::v1::parse_line(line.as_bytes()), crate::ingest::v1::LineOutcome::Event(_)),
            "{line}"
        );
    }
}

#[test]
fn a_claude_code_api_error_in_otlp_json_keeps_its_message_but_not_contents() {
    let body = br#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"claude-code"}}]},
        "scopeLogs":[{"scope":{"name":"com.anthropic.claude_code.events"},"logRecords":[
        {"timeUnixNano":"1785559828596000000","body":{"stringValue":"claude_code.api_error"},"attributes":[
          {"key":"event.name","value":{"stringValue":"api_error"}},{"key":"model","value":{"stringValue":"claude-opus-4-1"}},
          {"key":"status_code","value":{"intValue":"529"}},{"key":"error","value":{"stringValue":"Overloaded"}},
          {"key":"session.id","value":{"stringValue":"s1"}}]},
        {"timeUnixNano":"1785559829000000000","body":{"stringValue":"claude_code.user_prompt"},"attributes":[
          {"key":"event.name","value":{"stringValue":"user_prompt"}},{"key":"prompt","value":{"stringValue":"SECRET prompt"}}]}
        ]}]}]}"#;
    let request = decode::logs(body, Encoding::Json).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::new(dir.path().join("log.jsonl"), MapOptions::default());
    receiver.logs(&request, 0).unwrap();
    let written = lines(receiver.log());
    assert_eq!(written.len(), 2, "{written:?}");
    assert_eq!((written[0]["type"].as_str(), written[0]["success"].as_bool()), (Some("model_call"), Some(false)));
    assert_eq!(
        (written[1]["error_type"].as_str(), written[1]["message"].as_str()),
        (Some("http_529"), Some("Overloaded"))
    );
    assert!(!std::fs::read_to_string(receiver.log()).unwrap().contains("SECRET"));
}

/// Gemini CLI tells a failed API call twice: its `api_error` log record and an
/// exception on the `llm_call` span that record was emitted in (as a real
/// gemini-cli 0.61.0 sent them, offline). One failure, one error event, in
/// either order; another failure in the same span is its own.
#[test]
fn a_failure_told_by_a_log_record_and_by_its_spans_exception_is_one_error() {
    let log_body = br#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"gemini-cli"}}]},
        "scopeLogs":[{"scope":{"name":"gemini-cli"},"logRecords":[
        {"timeUnixNano":"1785559828596000000","traceId":"f42f7f292718c93c243db7ee2f52e058","spanId":"2dadf54d4d28f948",
         "body":{"stringValue":"API error for gemini-2.5-flash. Error: exception TypeError: fetch failed sending request. Duration: 13ms."},
         "attributes":[
          {"key":"session.id","value":{"stringValue":"981f7901"}},
          {"key":"event.name","value":{"stringValue":"gemini_cli.api_error"}},
          {"key":"event.timestamp","value":{"stringValue":"2026-08-01T04:50:28.596Z"}},
          {"key":"error.message","value":{"stringValue":"exception TypeError: fetch failed sending request"}},
          {"key":"model","value":{"stringValue":"gemini-2.5-flash"}},
          {"key":"duration_ms","value":{"intValue":"13"}},
          {"key":"error.type","value":{"stringValue":"Error"}}]}
        ]}]}]}"#;
    let span_body = br#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"gemini-cli"}}]},
        "scopeSpans":[{"spans":[{"traceId":"f42f7f292718c93c243db7ee2f52e058","spanId":"2dadf54d4d28f948","name":"llm_call",
         "startTimeUnixNano":"1785559828550000000","endTimeUnixNano":"1785559828610000000",
         "attributes":[{"key":"session.id","value":{"stringValue":"981f7901"}}],
         "events":[{"name":"exception","timeUnixNano":"1785559828600000000","attributes":[
           {"key":"exception.type","value":{"stringValue":"Error"}},
           {"key":"exception.message","value":{"stringValue":"exception TypeError: fetch failed sending request"}}]}],
         "status":{"code":2,"message":"exception TypeError: fetch failed sending request"}}]}]}]}"#;
    let logs = decode::logs(log_body, Encoding::Json).unwrap();
    let traces = decode::traces(span_body, Encoding::Json).unwrap();
    let errors = |receiver: &Receiver| lines(receiver.log()).iter().filter(|l| l["type"] == "error").count();
    for logs_first in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let receiver = Receiver::new(dir.path().join("log.jsonl"), MapOptions::default());
        if logs_first {
            receiver.logs(&logs, 0).unwrap();
            receiver.traces(&traces).unwrap();
        } else {
            receiver.traces(&traces).unwrap();
            receiver.logs(&logs, 0).unwrap();
        }
        let written = lines(receiver.log());
        assert_eq!(errors(&receiver), 1, "{written:?}");
        // The failed call and the span are kept.
        assert!(written.iter().any(|l| l["type"] == "model_call" && l["success"] == false), "{written:?}");
        assert!(written.iter().any(|l| l["type"] == "span" && l["status"] == "error"), "{written:?}");
        // Another failure in the same span (another message) is another error.
        let other = String::from_utf8_lossy(log_body)
            .replace("fetch failed sending request\"}}", "socket hang up\"}}")
            .replace("2026-08-01T04:50:28.596Z", "2026-08-01T04:50:29.000Z");
        receiver.logs(&decode::logs(other.as_bytes(), Encoding::Json).unwrap(), 0).unwrap();
        assert_eq!(errors(&receiver), 2);
    }
}

/// The connection cap and the header timeout, on a real socket: with two slots
/// held by clients that never send a request, a third client's request waits
/// until the server closes an idle one (header timeout), then is answered.
#[test]
fn idle_connections_time_out_and_extra_ones_wait_for_a_slot() {
    use std::io::{ErrorKind, Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    let receiver = std::sync::Arc::new(Receiver::new(dir.path().join("otlp.jsonl"), MapOptions::default()));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let config = super::http::HttpConfig {
        body_limit: super::http::DEFAULT_BODY_LIMIT,
        token: None,
        max_connections: 2,
        header_timeout: Duration::from_millis(300),
    };
    let server = std::thread::spawn(move || runtime.block_on(super::http::serve(listener, receiver, config, stopped)));

    let idle: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(address).unwrap()).collect();
    let mut client = TcpStream::connect(address).unwrap();
    // Without the header timeout, no slot would free: fail rather than hang.
    client.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    client
        .write_all(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
        .unwrap();
    let mut answer = String::new();
    client.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // The answer came only once a slot was free: an idle connection had been
    // closed by then (without the cap, both would still be open and quiet).
    let closed = |mut s: &TcpStream| {
        s.set_nonblocking(true).unwrap();
        let mut byte = [0u8; 1];
        match s.read(&mut byte) {
            Ok(0) => true,
            Err(e) if e.kind() == ErrorKind::WouldBlock => false,
            other => panic!("unexpected read on an idle connection: {other:?}"),
        }
    };
    assert!(idle.iter().any(closed), "the request was answered while both slots were held");
    // Both idle connections are closed by the header timeout.
    for mut s in idle {
        s.set_nonblocking(false).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        assert_eq!(s.read(&mut [0u8; 1]).unwrap(), 0);
    }
    stop.send(true).unwrap();
    server.join().unwrap().unwrap();
}
