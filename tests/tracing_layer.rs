//! The writer's `tracing` layer with spans shaped exactly as rig makes them
//! (names, targets, fields declared `Empty` and recorded after the response), and
//! the same work sent over OTLP to the receiver: the same report.

use std::path::Path;
use std::process::Command;

use ajentik::genai::MapOptions;
use ajentik::receive::Receiver;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use serde_json::Value;
use tracing::field::Empty;
use tracing_subscriber::layer::SubscriberExt;

/// What rig's agent does: an `invoke_agent` span, a `chat` span per turn (target
/// `rig::completions`, usage recorded after the response), a tool call per turn,
/// the second one failing; the run's usage recorded on the agent span at the end.
fn rig_shaped_agent() {
    let agent = tracing::info_span!(
        "invoke_agent",
        gen_ai.operation.name = "invoke_agent",
        gen_ai.agent.name = "support-bot",
        gen_ai.system_instructions = "SECRET instructions",
        gen_ai.prompt = Empty,
        gen_ai.completion = Empty,
        gen_ai.usage.input_tokens = Empty,
        gen_ai.usage.output_tokens = Empty,
        gen_ai.usage.cache_read.input_tokens = Empty,
    );
    let _run = agent.enter();
    agent.record("gen_ai.prompt", "SECRET prompt");
    for turn in 0..2u64 {
        let chat = tracing::info_span!(
            target: "rig::completions",
            "chat",
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = "openai",
            gen_ai.request.model = "gpt-4o",
            gen_ai.response.id = Empty,
            gen_ai.response.model = Empty,
            gen_ai.usage.input_tokens = Empty,
            gen_ai.usage.output_tokens = Empty,
            gen_ai.usage.cache_read.input_tokens = Empty,
        );
        chat.in_scope(|| std::thread::sleep(std::time::Duration::from_millis(2)));
        chat.record("gen_ai.response.id", format!("resp-{turn}").as_str());
        chat.record("gen_ai.response.model", "gpt-4o-2024-08-06");
        chat.record("gen_ai.usage.input_tokens", 1000 + turn);
        chat.record("gen_ai.usage.output_tokens", 200u64);
        chat.record("gen_ai.usage.cache_read.input_tokens", 400 * turn);
        drop(chat);
        let tool = tracing::info_span!(
            "execute_tool",
            gen_ai.operation.name = "execute_tool",
            gen_ai.tool.name = "lookup_order",
            gen_ai.tool.call.arguments = "SECRET arguments",
        );
        tool.in_scope(|| {
            if turn == 1 {
                tracing::error!(error.type = "OrderNotFound", "no order 42");
            }
        });
    }
    agent.record("gen_ai.usage.input_tokens", 2001u64);
    agent.record("gen_ai.usage.output_tokens", 400u64);
    agent.record("gen_ai.completion", "SECRET completion");
    // An agent's own span, not GenAI: not written by default.
    tracing::info_span!("load_config").in_scope(|| {});
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn report(log: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_ajentik"))
        .args(["monitor", "--export", "json", "--log"])
        .arg(log)
        .env_remove("AJENTIK_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent-config-dir")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn rig_shaped_spans_become_the_events_of_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("rig.jsonl");
    let layer = ajentik::layer(&log).unwrap();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), rig_shaped_agent);
    let written = lines(&log);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("SECRET"), "contents are private: {text}");
    let of = |kind: &str| written.iter().filter(|l| l["type"] == kind).collect::<Vec<_>>();
    let (agents, calls, tools, errors) = (of("agent_request"), of("model_call"), of("tool_call"), of("error"));
    assert_eq!(
        (agents.len(), calls.len(), tools.len(), errors.len(), of("span").len()),
        (1, 2, 2, 1, 0),
        "{written:?}"
    );
    let agent = agents[0];
    assert_eq!((agent["agent"].as_str(), agent["tokens"].as_u64()), (Some("support-bot"), Some(2401)));
    for call in &calls {
        assert_eq!(call["model"], "gpt-4o-2024-08-06");
        assert_eq!(call["provider"], "openai");
        assert_eq!(call["agent"], "support-bot", "the agent of the invoke_agent above");
        assert_eq!(call["trace_id"], agent["trace_id"]);
        assert_eq!(call["parent_span_id"], agent["span_id"]);
    }
    assert_eq!(calls.iter().map(|c| c["input_tokens"].as_u64().unwrap()).sum::<u64>(), 2001);
    assert_eq!(calls[1]["cache_read_tokens"], 400);
    let failed: Vec<_> = tools.iter().filter(|t| t["success"] == false).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["agent"], "support-bot");
    assert_eq!(
        (errors[0]["error_type"].as_str(), errors[0]["message"].as_str()),
        (Some("OrderNotFound"), Some("no order 42"))
    );

    // The report counts the run's tokens once: model calls are the ledger.
    let r = report(&log);
    let bot = r["agents"].as_array().unwrap().iter().find(|a| a["name"] == "support-bot").unwrap();
    assert_eq!(bot["tokens"], 2401);
    assert_eq!(r["cost"]["tokens"], 2401);
}

#[test]
fn other_spans_are_written_only_when_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("all.jsonl");
    let recorder = ajentik::recorder::Recorder::open(&log).unwrap();
    let layer = ajentik::AjentikLayer::new(recorder, ajentik::LayerOptions { other_spans: true, keep_content: false });
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        tracing::info_span!("load_config", otel.name = "config load").in_scope(|| {});
        let failing = tracing::info_span!("db_query", error = Empty);
        failing.record("error", "connection refused");
        drop(failing);
    });
    let written = lines(&log);
    assert_eq!(written.len(), 2);
    assert_eq!((written[0]["name"].as_str(), written[0]["status"].as_str()), (Some("config load"), Some("ok")));
    assert_eq!(
        (written[1]["status"].as_str(), written[1]["error_message"].as_str()),
        (Some("error"), Some("connection refused"))
    );
}

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(value) }), ..KeyValue::default() }
}

fn s(key: &str, value: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(value.into()))
}

fn i(key: &str, value: i64) -> KeyValue {
    kv(key, any_value::Value::IntValue(value))
}

/// The same work as `rig_shaped_agent`, as an OTLP exporter would send it.
fn the_same_work_over_otlp() -> ExportTraceServiceRequest {
    let trace = vec![3; 16];
    let span = |id: u8, parent: Option<u8>, name: &str, attributes: Vec<KeyValue>| Span {
        trace_id: trace.clone(),
        span_id: vec![id; 8],
        parent_span_id: parent.map(|p| vec![p; 8]).unwrap_or_default(),
        name: name.into(),
        start_time_unix_nano: 1_780_000_000_000_000_000,
        end_time_unix_nano: 1_780_000_000_100_000_000,
        attributes,
        ..Span::default()
    };
    let chat = |id: u8, turn: i64| {
        span(
            id,
            Some(1),
            "chat",
            vec![
                s("gen_ai.operation.name", "chat"),
                s("gen_ai.provider.name", "openai"),
                s("gen_ai.request.model", "gpt-4o"),
                s("gen_ai.response.model", "gpt-4o-2024-08-06"),
                i("gen_ai.usage.input_tokens", 1000 + turn),
                i("gen_ai.usage.output_tokens", 200),
                i("gen_ai.usage.cache_read.input_tokens", 400 * turn),
            ],
        )
    };
    let tool = |id: u8| {
        span(
            id,
            Some(1),
            "execute_tool",
            vec![s("gen_ai.operation.name", "execute_tool"), s("gen_ai.tool.name", "lookup_order")],
        )
    };
    let mut failed = tool(5);
    failed.status = Some(Status { code: 2, message: "no order 42".into() });
    failed.events.push(opentelemetry_proto::tonic::trace::v1::span::Event {
        name: "exception".into(),
        time_unix_nano: 1_780_000_000_050_000_000,
        attributes: vec![s("exception.type", "OrderNotFound"), s("exception.message", "no order 42")],
        ..Default::default()
    });
    let spans = vec![
        chat(2, 0),
        tool(3),
        chat(4, 1),
        failed,
        span(
            1,
            None,
            "invoke_agent",
            vec![
                s("gen_ai.operation.name", "invoke_agent"),
                s("gen_ai.agent.name", "support-bot"),
                i("gen_ai.usage.input_tokens", 2001),
                i("gen_ai.usage.output_tokens", 400),
            ],
        ),
    ];
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans { spans, ..ScopeSpans::default() }],
            ..ResourceSpans::default()
        }],
    }
}

#[test]
fn the_layer_and_the_otlp_receiver_give_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let (by_layer, by_otlp) = (dir.path().join("layer.jsonl"), dir.path().join("otlp.jsonl"));
    let layer = ajentik::layer(&by_layer).unwrap();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), rig_shaped_agent);
    Receiver::new(&by_otlp, MapOptions::default()).traces(&the_same_work_over_otlp()).unwrap();
    let (a, b) = (report(&by_layer), report(&by_otlp));
    let rows = |r: &Value, key: &str, fields: &[&str]| -> Vec<Vec<Value>> {
        r[key].as_array().unwrap().iter().map(|row| fields.iter().map(|f| row[*f].clone()).collect()).collect()
    };
    assert_eq!(
        rows(&a, "agents", &["name", "total_requests", "failures", "tokens", "cost_usd"]),
        rows(&b, "agents", &["name", "total_requests", "failures", "tokens", "cost_usd"])
    );
    assert_eq!(
        rows(&a, "models", &["name", "requests", "input_tokens", "output_tokens", "cache_read_tokens", "cost_usd"]),
        rows(&b, "models", &["name", "requests", "input_tokens", "output_tokens", "cache_read_tokens", "cost_usd"])
    );
    assert_eq!(
        rows(&a, "tools", &["name", "usage_count", "failures"]),
        rows(&b, "tools", &["name", "usage_count", "failures"])
    );
    assert_eq!(a["errors"]["by_type"], b["errors"]["by_type"]);
    assert_eq!(a["cost"]["total_usd"], b["cost"]["total_usd"]);
    // One trace each, of five spans: the agent, two chats and two tool calls under it.
    for log in [&by_layer, &by_otlp] {
        let ops: Vec<Value> = lines(log).into_iter().filter(|l| l["type"] != "error").collect();
        assert_eq!(ops.len(), 5);
        let root = ops.iter().find(|l| l["type"] == "agent_request").unwrap();
        assert!(ops.iter().all(|l| l["trace_id"] == root["trace_id"]));
        assert_eq!(ops.iter().filter(|l| l["parent_span_id"] == root["span_id"]).count(), 4);
    }
}
