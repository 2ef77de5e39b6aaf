//! The OTLP receiver (issue 12), with the release binary:
//! - spans a second received over OTLP/HTTP (protobuf, batches of 512) and written,
//!   by `ajentik serve` alone and by the live view with `--serve` (which also folds
//!   and draws what it writes); target 50,000 a second;
//! - CPU used by an idle receiver (target: none to speak of).
//!
//! Run: `cargo bench --bench receive` (needs tmux). AJENTIK_BENCH_SPANS sets how
//! many spans are sent (default 200,000).

mod common;
use common::cpu_seconds;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

const BIN: &str = env!("CARGO_BIN_EXE_ajentik");
const BATCH: usize = 512;

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(value) }), ..KeyValue::default() }
}

fn text(key: &str, value: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(value.into()))
}

/// A batch of pydantic-ai-shaped spans: per agent run, an invoke_agent, two chats
/// and a tool call, with the attributes a real exporter sends (contents included,
/// which the receiver drops).
fn batch(first: u64, now_nanos: u64) -> Vec<u8> {
    let spans = (0..BATCH as u64)
        .map(|i| {
            let n = first + i;
            let run = n / 4;
            let (name, attributes) = match n % 4 {
                0 => (
                    "invoke_agent support",
                    vec![text("gen_ai.operation.name", "invoke_agent"), text("gen_ai.agent.name", "support")],
                ),
                1 | 2 => (
                    "chat gpt-4o",
                    vec![
                        text("gen_ai.operation.name", "chat"),
                        text("gen_ai.request.model", "gpt-4o"),
                        text("gen_ai.response.model", "gpt-4o-2024-08-06"),
                        text("gen_ai.provider.name", "openai"),
                        text("gen_ai.agent.name", "support"),
                        kv("gen_ai.usage.input_tokens", any_value::Value::IntValue(1200)),
                        kv("gen_ai.usage.output_tokens", any_value::Value::IntValue(300)),
                        text("gen_ai.conversation.id", &format!("conv-{}", run % 1000)),
                        text("gen_ai.input.messages", &"x".repeat(400)),
                    ],
                ),
                _ => (
                    "execute_tool lookup",
                    vec![
                        text("gen_ai.operation.name", "execute_tool"),
                        text("gen_ai.tool.name", "lookup"),
                        text("gen_ai.tool.call.arguments", "{\"q\":\"order 42\"}"),
                    ],
                ),
            };
            Span {
                trace_id: (u128::from(run) + 1).to_be_bytes().to_vec(),
                span_id: (n + 1).to_be_bytes().to_vec(),
                parent_span_id: if n.is_multiple_of(4) { Vec::new() } else { (run * 4 + 1).to_be_bytes().to_vec() },
                name: name.into(),
                start_time_unix_nano: now_nanos - 2_000_000_000,
                end_time_unix_nano: now_nanos - 1_000_000_000,
                attributes,
                ..Span::default()
            }
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource { attributes: vec![text("service.name", "bench")], ..Resource::default() }),
            scope_spans: vec![ScopeSpans { spans, ..ScopeSpans::default() }],
            ..ResourceSpans::default()
        }],
    }
    .encode_to_vec()
}

fn lines(log: &Path) -> usize {
    std::fs::read(log).map(|b| b.iter().filter(|&&c| c == b'\n').count()).unwrap_or(0)
}

/// Sends `spans` spans in batches from two client threads; returns the seconds
/// until all of them were written (answered 200 means written).
fn send(port: u16, spans: u64) -> f64 {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let now = ajentik::time::wall_clock() as u64 * 1000;
    let bodies: Vec<Vec<u8>> = (0..spans / BATCH as u64).map(|b| batch(b * BATCH as u64, now)).collect();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for half in bodies.chunks(bodies.len().div_ceil(2)) {
            scope.spawn(move || {
                let client = reqwest::blocking::Client::new();
                for body in half {
                    let answer = client
                        .post(format!("http://127.0.0.1:{port}/v1/traces"))
                        .header("content-type", "application/x-protobuf")
                        .body(body.clone())
                        .send()
                        .expect("post");
                    assert_eq!(answer.status().as_u16(), 200);
                }
            });
        }
    });
    started.elapsed().as_secs_f64()
}

fn serve_alone(dir: &Path, spans: u64) {
    let log = dir.join("serve.jsonl");
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--grpc-listen", "off", "--log"])
        .arg(&log)
        .stderr(Stdio::piped())
        .spawn()
        .expect("ajentik serve");
    let mut first = String::new();
    BufReader::new(child.stderr.as_mut().expect("stderr")).read_line(&mut first).expect("first line");
    let port: u16 = first
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split([',', ' ']).next())
        .and_then(|p| p.parse().ok())
        .expect("port");
    let idle_from = cpu_seconds(child.id());
    std::thread::sleep(Duration::from_secs(10));
    let idle = cpu_seconds(child.id()) - idle_from;
    println!("serve, idle 10 s: {:.2} CPU s ({:.2}% of a core)", idle, idle * 10.0);
    let cpu_from = cpu_seconds(child.id());
    let seconds = send(port, spans);
    let cpu = cpu_seconds(child.id()) - cpu_from;
    println!(
        "serve alone: {spans} spans in {seconds:.2} s = {:.0} spans/s written ({} lines); receiver CPU {:.2} s",
        spans as f64 / seconds,
        lines(&log),
        cpu
    );
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}

fn live_view_with_serve(dir: &Path, spans: u64) {
    let config = dir.join("config/ajentik");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(config.join("config.toml"), "[serve]\nlisten = \"127.0.0.1:0\"\ngrpc_listen = \"off\"\n")
        .expect("config");
    let log = dir.join("live.jsonl");
    let socket = dir.join("sock");
    let tmux = |args: &[&str]| {
        let out = Command::new("tmux").arg("-S").arg(&socket).args(args).output().expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let command = format!(
        "XDG_CONFIG_HOME='{}' exec '{BIN}' monitor --live --serve --log '{}'",
        dir.join("config").display(),
        log.display()
    );
    tmux(&["new-session", "-d", "-s", "b", "-x", "160", "-y", "40", &command]);
    let deadline = Instant::now() + Duration::from_secs(20);
    let port = loop {
        let screen = tmux(&["capture-pane", "-p", "-t", "b"]);
        if let Some(port) = screen.split("otlp :").nth(1).and_then(|r| r.split(' ').next()).and_then(|p| p.parse().ok())
        {
            break port;
        }
        assert!(Instant::now() < deadline, "the live view never showed its port:\n{screen}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let pid: u32 = tmux(&["display-message", "-p", "-t", "b", "#{pane_pid}"]).trim().parse().expect("pid");
    let idle_from = cpu_seconds(pid);
    std::thread::sleep(Duration::from_secs(10));
    let idle = cpu_seconds(pid) - idle_from;
    println!("live view with --serve, idle 10 s: {:.2} CPU s ({:.2}% of a core)", idle, idle * 10.0);
    let cpu_from = cpu_seconds(pid);
    let seconds = send(port, spans);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !tmux(&["capture-pane", "-p", "-t", "b"]).contains("support") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let cpu = cpu_seconds(pid) - cpu_from;
    println!(
        "live view with --serve: {spans} spans in {seconds:.2} s = {:.0} spans/s written and followed; CPU {:.2} s",
        spans as f64 / seconds,
        cpu
    );
    tmux(&["kill-server"]);
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let spans: u64 = std::env::var("AJENTIK_BENCH_SPANS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let dir = tempfile::tempdir().expect("temp dir");
    serve_alone(dir.path(), spans);
    live_view_with_serve(dir.path(), spans);
}
