//! `ajentik serve` end to end: the official OpenTelemetry Python SDK's exporters
//! (HTTP/protobuf and gRPC) as clients, hand-made OTLP/JSON and gzip bodies, every
//! refusal, retries, failed writes, and a round trip from `ajentik push`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ajentik");

/// A running `ajentik serve` on ports the kernel chose.
struct Server {
    child: Option<Child>,
    http: String,
    grpc: Option<String>,
    log: PathBuf,
}

impl Server {
    fn start(log: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--log"])
            .arg(log)
            .args(["--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0"])
            .args(extra)
            .env_remove("AJENTIK_OTLP_TOKEN")
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ajentik serve");
        let mut first = String::new();
        BufReader::new(child.stderr.as_mut().expect("stderr")).read_line(&mut first).expect("first line");
        let http = first
            .split("OTLP/HTTP on ")
            .nth(1)
            .and_then(|rest| rest.split([',', ' ']).next())
            .unwrap_or_else(|| panic!("no HTTP address in {first:?}"))
            .to_owned();
        let grpc = first
            .split("OTLP/gRPC on ")
            .nth(1)
            .and_then(|rest| rest.split([',', ' ']).next())
            .map(|addr| format!("http://{addr}"));
        Server { child: Some(child), http, grpc, log: log.to_owned() }
    }

    fn post(&self, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, Vec<u8>, String) {
        // reqwest is built without a default TLS provider (see Cargo.toml).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::blocking::Client::new();
        let mut request = client.post(format!("{}{path}", self.http)).body(body);
        for (key, value) in headers {
            request = request.header(*key, *value);
        }
        let response = request.send().expect("request");
        let status = response.status().as_u16();
        let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap_or("").to_owned());
        (status, response.bytes().expect("body").to_vec(), content_type.unwrap_or_default())
    }

    /// SIGTERM, then the exit status and the rest of stderr.
    fn stop(mut self) -> (ExitStatus, String) {
        let mut child = self.child.take().expect("running");
        Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
        let status = child.wait().expect("wait");
        let mut rest = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().expect("stderr"), &mut rest).expect("stderr");
        (status, rest)
    }

    fn lines(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A virtualenv with the official SDK's exporters, made once under target/.
fn otel_python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/otel-venv");
            let python = venv.join("bin/python");
            let ready = venv.join(".ready");
            if !ready.exists() {
                let made = Command::new("python3").arg("-m").arg("venv").arg(&venv).status().expect("python3 -m venv");
                assert!(made.success(), "python3 -m venv failed (Debian: apt-get install python3-venv)");
                let installed = Command::new(&python)
                    .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
                    .args([
                        "opentelemetry-sdk==1.45.2",
                        "opentelemetry-exporter-otlp-proto-http==1.45.2",
                        "opentelemetry-exporter-otlp-proto-grpc==1.45.2",
                    ])
                    .status()
                    .expect("pip install");
                assert!(installed.success(), "pip install of the OpenTelemetry SDK failed");
                std::fs::write(&ready, "").expect("mark venv ready");
            }
            python
        })
        .clone()
}

fn send_with_python_sdk(protocol: &str, endpoint: &str, token: Option<&str>) {
    send_with_python_sdk_env(protocol, endpoint, token, &[]);
}

fn send_with_python_sdk_env(protocol: &str, endpoint: &str, token: Option<&str>, env: &[(&str, &str)]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/otel/send.py");
    let mut command = Command::new(otel_python());
    command.arg(script).args([protocol, endpoint]).args(token);
    for (key, _) in std::env::vars() {
        if key.starts_with("OTEL_") {
            command.env_remove(key);
        }
    }
    command.envs(env.iter().copied());
    let out = command.output().expect("run send.py");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "send.py {protocol} failed: {stderr}");
    assert!(!stderr.contains("Failed to export"), "send.py {protocol}: {stderr}");
}

fn of<'a>(lines: &'a [Value], kind: &str, service: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["type"] == kind && l["attrs"]["service.name"] == service).collect()
}

/// What send.py sends, as it must arrive for one protocol.
fn assert_sdk_events(lines: &[Value], protocol: &str) {
    let service = format!("weather-{protocol}");
    let agents = of(lines, "agent_request", &service);
    assert_eq!(agents.len(), 1, "{lines:?}");
    assert_eq!(agents[0]["agent"], "weather_agent");
    assert!(agents[0].get("tokens").is_none(), "aggregated usage is not counted again");
    let calls = of(lines, "model_call", &service);
    assert_eq!(calls.len(), 2);
    for call in &calls {
        assert_eq!(call["model"], "gpt-4o-2024-08-06");
        assert_eq!(call["agent"], "weather_agent");
        assert_eq!((call["input_tokens"].as_u64(), call["output_tokens"].as_u64()), (Some(150), Some(30)));
        assert_eq!(call["session"], format!("conv-{protocol}"));
        assert_eq!(call["trace_id"], agents[0]["trace_id"]);
        assert_eq!(call["parent_span_id"], agents[0]["span_id"]);
    }
    assert_eq!(calls.iter().filter_map(|c| c["cache_read_tokens"].as_u64()).sum::<u64>(), 100);
    let tools = of(lines, "tool_call", &service);
    assert_eq!(tools.len(), 2);
    assert!(tools.iter().all(|t| t["tool"] == "get_weather" && t["agent"] == "weather_agent"), "{tools:?}");
    let failed: Vec<_> = tools.iter().filter(|t| t["success"] == false).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["error_type"], "TimeoutError");
    let errors: Vec<_> =
        lines.iter().filter(|l| l["type"] == "error" && l["trace_id"] == agents[0]["trace_id"]).collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0]["error_type"].as_str(), errors[0]["component"].as_str()),
        (Some("TimeoutError"), Some("get_weather"))
    );

    let session = format!("cc-{protocol}");
    let claude: Vec<_> = lines.iter().filter(|l| l["session"] == session.as_str()).collect();
    assert_eq!(claude.len(), 2, "{lines:?}");
    let call = claude.iter().find(|l| l["type"] == "model_call").expect("api_request");
    assert_eq!((call["input_tokens"].as_u64(), call["cache_read_tokens"].as_u64()), (Some(1502), Some(1000)));
    assert_eq!((call["cost_usd"].as_f64(), call["agent"].as_str()), (Some(0.0123), Some("claude-code")));
    let tool = claude.iter().find(|l| l["type"] == "tool_call").expect("tool_result");
    assert_eq!((tool["tool"].as_str(), tool["success"].as_bool()), (Some("Bash"), Some(false)));
}

fn report(log: &Path) -> Value {
    let out = Command::new(BIN)
        .args(["monitor", "--export", "json", "--log"])
        .arg(log)
        .env_remove("AJENTIK_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent-config-dir")
        .output()
        .expect("monitor");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("report json")
}

#[test]
fn the_official_python_sdk_over_http_and_grpc_arrives_mapped_and_private() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("otlp.jsonl"), &[]);
    send_with_python_sdk("http", &server.http, None);
    let grpc = server.grpc.clone().expect("gRPC is on by default");
    send_with_python_sdk("grpc", &grpc, None);
    let lines = server.lines();
    assert_sdk_events(&lines, "http");
    assert_sdk_events(&lines, "grpc");
    let text = std::fs::read_to_string(&server.log).unwrap();
    assert!(!text.contains("SECRET"), "contents are private by default");
    assert!(!text.contains("someone@example.com"));

    let (status, stderr) = server.stop();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("duplicates dropped"), "{stderr}");

    let report = report(&dir.path().join("otlp.jsonl"));
    assert_eq!(report["ingest"]["malformed"], 0, "{}", report["ingest"]);
    let weather = report["agents"].as_array().unwrap().iter().find(|a| a["name"] == "weather_agent").unwrap();
    assert_eq!(weather["total_requests"], 2);
    assert_eq!(weather["tokens"], 4 * 180);
}

/// The Python SDK's HTTP exporter's other compression, deflate (zlib's format):
/// refused with 415 before. (Its gRPC exporter takes only gzip.)
#[test]
fn the_python_sdk_compressing_with_deflate_over_http_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("otlp.jsonl"), &[]);
    let deflate = [("OTEL_EXPORTER_OTLP_COMPRESSION", "deflate")];
    send_with_python_sdk_env("http", &server.http, None, &deflate);
    assert_sdk_events(&server.lines(), "http");
}

#[test]
fn a_token_is_required_when_given_over_http_and_grpc() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("otlp.jsonl"), &["--token", "s3cret"]);
    let body = request(vec![span(1, "db")]).encode_to_vec();
    let protobuf = [("content-type", "application/x-protobuf")];
    assert_eq!(server.post("/v1/traces", &protobuf, body.clone()).0, 401);
    let wrong = [("content-type", "application/x-protobuf"), ("authorization", "Bearer nope")];
    assert_eq!(server.post("/v1/traces", &wrong, body.clone()).0, 401);
    let right = [("content-type", "application/x-protobuf"), ("authorization", "Bearer s3cret")];
    assert_eq!(server.post("/v1/traces", &right, body).0, 200);
    // gzip over gRPC as the SDK compresses it.
    let gzip = [("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")];
    send_with_python_sdk_env("grpc", server.grpc.as_deref().unwrap(), Some("s3cret"), &gzip);
    assert_sdk_events(&server.lines(), "grpc");
    let before = server.lines().len();
    // Without the token, the SDK's gRPC export is refused: nothing more is written.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/otel/send.py");
    let _ = Command::new(otel_python()).arg(script).args(["grpc", server.grpc.as_deref().unwrap()]).output();
    assert_eq!(server.lines().len(), before);
}

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(any_value::Value::StringValue(value.into())) }),
        ..KeyValue::default()
    }
}

fn span(id: u8, name: &str) -> Span {
    Span {
        trace_id: vec![9; 16],
        span_id: vec![id; 8],
        name: name.into(),
        start_time_unix_nano: 1_780_000_000_000_000_000,
        end_time_unix_nano: 1_780_000_000_100_000_000,
        attributes: vec![kv("gen_ai.operation.name", "execute_tool"), kv("gen_ai.tool.name", name)],
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

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn every_encoding_is_answered_in_kind_and_every_bad_request_gets_its_status() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("otlp.jsonl"), &["--max-body-mib", "1"]);
    let protobuf = [("content-type", "application/x-protobuf")];
    let json = [("content-type", "application/json")];

    // OTLP/JSON by hand: hex ids, int64 as strings, enums as integers.
    let body = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"hand"}}]},
        "scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
        "name":"chat gpt-4o","kind":3,"startTimeUnixNano":"1780000000000000000","endTimeUnixNano":1780000000500000000,
        "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
        {"key":"gen_ai.usage.input_tokens","value":{"intValue":"12"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":3}}],
        "status":{"code":2,"message":"overloaded"}}]}]}]}"#;
    let (status, answer, content_type) = server.post("/v1/traces", &json, body.as_bytes().to_vec());
    assert_eq!((status, content_type.as_str()), (200, "application/json"), "{}", String::from_utf8_lossy(&answer));
    let line = server.lines().pop().unwrap();
    assert_eq!((line["model"].as_str(), line["input_tokens"].as_u64()), (Some("gpt-4o"), Some(12)));
    assert_eq!((line["success"].as_bool(), line["duration_ms"].as_f64()), (Some(false), Some(500.0)));
    assert_eq!(line["trace_id"], "5b8efff798038103d269b633813fc60c");

    // gzip, and the protobuf answer with partial_success for a span without ids.
    let mut bad = span(3, "no ids");
    bad.span_id.clear();
    let zipped = gzip(&request(vec![span(2, "zipped"), bad]).encode_to_vec());
    let gz = [("content-type", "application/x-protobuf"), ("content-encoding", "gzip")];
    let (status, answer, content_type) = server.post("/v1/traces", &gz, zipped);
    assert_eq!((status, content_type.as_str()), (200, "application/x-protobuf"));
    let answer =
        opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse::decode(answer.as_slice())
            .unwrap();
    let partial = answer.partial_success.expect("partial success");
    assert_eq!(partial.rejected_spans, 1);
    assert!(server.lines().iter().any(|l| l["tool"] == "zipped"));

    // zstd (an OpenTelemetry Collector's `compression: zstd`), made by the zstd tool.
    let mut zstd = Command::new("zstd")
        .args(["-q", "-c"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the zstd tool (Debian: apt-get install zstd)");
    zstd.stdin.take().unwrap().write_all(&request(vec![span(4, "zstd body")]).encode_to_vec()).unwrap();
    let packed = zstd.wait_with_output().unwrap().stdout;
    let zst = [("content-type", "application/x-protobuf"), ("content-encoding", "zstd")];
    assert_eq!(server.post("/v1/traces", &zst, packed).0, 200);
    assert!(server.lines().iter().any(|l| l["tool"] == "zstd body"));

    // Metrics are accepted (and counted, not folded).
    let metrics = opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest::default();
    assert_eq!(server.post("/v1/metrics", &protobuf, metrics.encode_to_vec()).0, 200);

    type Refusal<'a> = (&'a str, Vec<(&'a str, &'a str)>, Vec<u8>, u16);
    let refusals: Vec<Refusal> = vec![
        ("/v1/traces", protobuf.to_vec(), b"\xff\xff\xff garbage".to_vec(), 400),
        ("/v1/logs", json.to_vec(), b"{not json".to_vec(), 400),
        ("/v1/traces", vec![("content-type", "text/plain")], b"x".to_vec(), 415),
        (
            "/v1/traces",
            vec![("content-type", "application/x-protobuf"), ("content-encoding", "br")],
            b"x".to_vec(),
            415,
        ),
        ("/v1/traces", gz.to_vec(), b"not gzip at all".to_vec(), 400),
        ("/v1/traces", gz.to_vec(), gzip(&vec![0u8; 4 << 20]), 413),
        ("/v2/traces", protobuf.to_vec(), Vec::new(), 404),
    ];
    for (path, headers, body, expected) in refusals {
        let (status, answer, _) = server.post(path, &headers, body);
        assert_eq!(status, expected, "{path} {headers:?}: {}", String::from_utf8_lossy(&answer));
    }
    // A declared length past the limit is refused before the body is read.
    let mut stream = std::net::TcpStream::connect(server.http.trim_start_matches("http://")).unwrap();
    let head = "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 2097152\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = String::new();
    BufReader::new(&stream).read_line(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // So is a body that grows past it without declaring its length.
    let mut stream = std::net::TcpStream::connect(server.http.trim_start_matches("http://")).unwrap();
    let head = "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nTransfer-Encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    for _ in 0..6 {
        // The server may stop reading once past the limit: later writes may fail.
        let _ = stream.write_all(format!("{:x}\r\n", 256 << 10).as_bytes());
        let _ = stream.write_all(&vec![0u8; 256 << 10]);
        let _ = stream.write_all(b"\r\n");
    }
    let mut answer = String::new();
    BufReader::new(&stream).read_line(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let get = reqwest::blocking::get(format!("{}/v1/traces", server.http)).unwrap();
    assert_eq!(get.status().as_u16(), 405);
    let (status, stderr) = server.stop();
    assert!(status.success(), "{stderr}");
}

#[test]
fn a_retry_is_written_once_and_a_failed_write_answers_503_until_the_log_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let server = Server::start(&logs.join("otlp.jsonl"), &[]);
    let protobuf = [("content-type", "application/x-protobuf")];
    let body = request(vec![span(1, "a"), span(2, "b")]).encode_to_vec();
    assert_eq!(server.post("/v1/traces", &protobuf, body.clone()).0, 200);
    assert_eq!(server.post("/v1/traces", &protobuf, body).0, 200);
    assert_eq!(server.lines().len(), 2);

    // The log's folder is replaced by a file: the append fails, the answer is 503.
    std::fs::rename(&logs, dir.path().join("moved")).unwrap();
    std::fs::write(&logs, "").unwrap();
    let next = request(vec![span(3, "c")]).encode_to_vec();
    let (status, answer, _) = server.post("/v1/traces", &protobuf, next.clone());
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&answer));
    std::fs::remove_file(&logs).unwrap();
    std::fs::rename(dir.path().join("moved"), &logs).unwrap();
    assert_eq!(server.post("/v1/traces", &protobuf, next).0, 200);
    let tools: Vec<_> = server.lines().iter().map(|l| l["tool"].as_str().unwrap_or_default().to_owned()).collect();
    assert_eq!(tools, ["a", "b", "c"]);
}

#[test]
fn bad_addresses_and_open_listeners_without_a_token_are_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("x.jsonl");
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(["serve", "--log"])
            .arg(&log)
            .args(args)
            .env_remove("AJENTIK_OTLP_TOKEN")
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, stderr) = run(&["--listen", "localhost:99999", "--grpc-listen", "off"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("localhost:99999") && stderr.trim().lines().count() == 1, "{stderr}");
    let (code, stderr) = run(&["--listen", "0.0.0.0:0", "--grpc-listen", "off"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("--token") && stderr.contains("0.0.0.0:0"), "{stderr}");
    // An address in use.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, stderr) = run(&["--listen", &addr, "--grpc-listen", "off"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains(&addr) && stderr.contains("in use"), "{stderr}");
    // --no-auth is an explicit choice, and the first line says so.
    let server = Server::start(&log, &["--no-auth"]);
    drop(server);
}

#[test]
fn pushing_a_log_to_serve_gives_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let original = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample.jsonl");
    let server = Server::start(&dir.path().join("received.jsonl"), &[]);
    let out = Command::new(BIN)
        .args(["push", "--any-age", "--log"])
        .arg(&original)
        .arg("--state-dir")
        .arg(dir.path())
        .args(["--endpoint", &format!("{}/v1/traces", server.http)])
        .env_remove("AJENTIK_CONFIG")
        .env("XDG_CONFIG_HOME", dir.path())
        .env_remove("LOGFIRE_TOKEN")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (status, stderr) = server.stop();
    assert!(status.success(), "{stderr}");
    let (a, b) = (report(&original), report(&dir.path().join("received.jsonl")));
    assert_eq!(b["ingest"]["malformed"], 0);
    for (key, fields) in [
        ("agents", &["name", "total_requests", "failures", "tokens", "cost_usd"][..]),
        ("tools", &["name", "usage_count", "failures"][..]),
        ("models", &["name", "requests", "failures", "input_tokens", "output_tokens", "cost_usd"][..]),
        ("spans", &["name", "count", "failures"][..]),
    ] {
        let pick = |report: &Value| -> Vec<Vec<Value>> {
            let mut rows: Vec<Vec<Value>> = report[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| fields.iter().map(|f| row[*f].clone()).collect())
                .collect();
            rows.sort_by_key(|row| row[0].to_string());
            rows
        };
        assert_eq!(pick(&a), pick(&b), "{key}");
    }
    assert_eq!(a["cost"]["total_usd"], b["cost"]["total_usd"]);
    assert_eq!(a["errors"]["total"], b["errors"]["total"]);
    assert_eq!(a["errors"]["by_type"], b["errors"]["by_type"]);
    // Trace trees: every (trace, span, parent) of the original operations is kept.
    let ids = |path: &Path| -> std::collections::BTreeSet<(String, String, String)> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|l| l["type"] != "error" && l["type"] != "heartbeat" && l["span_id"].is_string())
            .map(|l| (l["trace_id"].to_string(), l["span_id"].to_string(), l["parent_span_id"].to_string()))
            .collect()
    };
    let (sent, received) = (ids(&original), ids(&dir.path().join("received.jsonl")));
    let lost: Vec<_> = sent.difference(&received).collect();
    assert!(lost.is_empty(), "{} of {} ids lost, e.g. {:?}", lost.len(), sent.len(), lost.first());
}
