use std::sync::Arc;

use super::*;
use crate::event::Kind;
use crate::ingest::v1::{LineOutcome, parse_line};

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap_or_default().lines().map(str::to_owned).collect()
}

fn kind_of(line: &str) -> Kind<'_> {
    match parse_line(line.as_bytes()) {
        LineOutcome::Event(e) => e.kind,
        other => panic!("ajentik cannot read {line}: {other:?}"),
    }
}

fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap()
}

#[test]
fn every_call_writes_a_line_ajentik_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep/er/events.jsonl");
    let rec = Recorder::open(&path).unwrap();
    rec.record_agent_request("ChatAgent", true, Duration::from_millis(1500), Some(250), Some(0.05)).unwrap();
    rec.record_tool_usage("web_search", Some("ResearchAgent"), false, Duration::from_millis(800)).unwrap();
    rec.model_call("gpt-4o", true, Duration::from_millis(1200))
        .provider("openai")
        .agent("ChatAgent")
        .tokens(180, 70)
        .record()
        .unwrap();
    let mut ctx = Map::new();
    ctx.insert("input_size".into(), 1000.into());
    rec.record_error("DataProcessor", "ValidationError", "Invalid input \"format\"\n", Some(ctx)).unwrap();
    rec.heartbeat("worker-1")
        .agents(&["ChatAgent", "CodeAgent"])
        .rss_bytes(1 << 20)
        .cpu_percent(12.5)
        .record()
        .unwrap();
    rec.agent_request("CodeAgent", false, Duration::from_micros(2500))
        .model("claude-sonnet-4-5")
        .error_type("Timeout")
        .attr("user_id", "u-1")
        .record()
        .unwrap();
    let l = lines(&path);
    assert_eq!(l.len(), 6);
    assert!(
        matches!(kind_of(&l[0]), Kind::AgentRequest { duration_ms, tokens: Some(250), .. } if duration_ms == 1500.0)
    );
    assert!(matches!(kind_of(&l[1]), Kind::ToolCall { success: false, .. }));
    assert!(matches!(kind_of(&l[2]), Kind::ModelCall { input_tokens: Some(180), output_tokens: Some(70), .. }));
    assert!(matches!(kind_of(&l[3]), Kind::Error { ref message, .. } if message == "Invalid input \"format\"\n"));
    assert!(matches!(kind_of(&l[4]), Kind::Heartbeat { ref agents, .. } if agents.len() == 2));
    assert!(matches!(kind_of(&l[5]), Kind::AgentRequest { duration_ms, success: false, .. } if duration_ms == 2.5));
    assert_eq!(json(&l[5])["attrs"]["user_id"], "u-1");
    assert_eq!(json(&l[3])["context"]["input_size"], 1000);
    assert!(json(&l[0]).get("trace_id").is_none(), "outside an operation: no ids");
    assert_eq!(rec.stats(), RecorderStats { written: 6, sampled_out: 0, failed: 0 });
}

#[test]
fn operations_nest_into_traces_and_mark_failures() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let rec = Recorder::open(&path).unwrap();
    {
        let outer = rec.monitor_operation("user_request").agent("ChatAgent").attr("priority", "high").start();
        rec.agent_request("ChatAgent", true, Duration::from_millis(5)).record().unwrap();
        {
            let inner = rec.monitor_operation("tool_execution").start();
            inner.fail("ToolError", "exit 1");
        }
        assert_eq!(outer.trace_id().len(), 32);
    }
    rec.agent_request("Other", true, Duration::from_millis(5)).record().unwrap();
    let l: Vec<serde_json::Value> = lines(&path).iter().map(|l| json(l)).collect();
    // Written in the order they ended: the request, the inner span, the outer span.
    let (request, inner, outer, after) = (&l[0], &l[1], &l[2], &l[3]);
    assert_eq!((inner["type"].as_str(), outer["type"].as_str()), (Some("span"), Some("span")));
    assert_eq!(outer["name"], "user_request");
    assert!(outer.get("parent_span_id").is_none(), "a root");
    assert_eq!(outer["attrs"]["priority"], "high");
    assert_eq!(outer["status"], "ok");
    for child in [request, inner] {
        assert_eq!(child["trace_id"], outer["trace_id"]);
        assert_eq!(child["parent_span_id"], outer["span_id"]);
    }
    assert_eq!((inner["status"].as_str(), inner["error_type"].as_str()), (Some("error"), Some("ToolError")));
    assert!(after.get("trace_id").is_none(), "the operation ended");
    for line in lines(&path) {
        kind_of(&line);
    }
}

#[test]
fn a_panicking_operation_is_an_error_span() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let rec = Recorder::open(&path).unwrap();
    let r2 = rec.clone();
    let _ = std::thread::spawn(move || {
        let _op = r2.monitor_operation("doomed").start();
        panic!("boom");
    })
    .join();
    let l = lines(&path);
    assert_eq!(l.len(), 1);
    let v = json(&l[0]);
    assert_eq!((v["status"].as_str(), v["error_type"].as_str()), (Some("error"), Some("panic")));
}

/// Runs a future to completion on this thread.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// Pending once, then ready: an await point.
struct YieldOnce(bool);
impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

#[test]
fn async_operations_are_current_while_polled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let rec = Recorder::open(&path).unwrap();
    let inner_rec = rec.clone();
    let value = block_on(rec.monitor_operation("async_job").run(async move {
        YieldOnce(false).await;
        inner_rec.tool_call("t", true, Duration::from_millis(1)).record().unwrap();
        42
    }));
    assert_eq!(value, 42);
    rec.tool_call("outside", true, Duration::from_millis(1)).record().unwrap();
    let l: Vec<serde_json::Value> = lines(&path).iter().map(|l| json(l)).collect();
    assert_eq!(l[1]["type"], "span");
    assert_eq!(l[0]["trace_id"], l[1]["trace_id"]);
    assert_eq!(l[0]["parent_span_id"], l[1]["span_id"]);
    assert!(l[2].get("trace_id").is_none());
}

#[test]
fn sampling_never_drops_failures() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let rec = Recorder::with_options(&path, RecorderOptions { sampling: Sampling::all(0.0), batching: None }).unwrap();
    for _ in 0..50 {
        rec.tool_call("t", true, Duration::ZERO).record().unwrap();
    }
    rec.tool_call("t", false, Duration::ZERO).record().unwrap();
    rec.agent_request("a", false, Duration::ZERO).record().unwrap();
    rec.error("c", "E", "m").record().unwrap();
    {
        let op = rec.monitor_operation("o").start();
        op.fail("E", "m");
    }
    assert_eq!(lines(&path).len(), 4);
    assert_eq!(rec.stats().sampled_out, 50);
    let half = Recorder::with_options(&path, RecorderOptions { sampling: Sampling::all(0.5), batching: None }).unwrap();
    for _ in 0..2000 {
        half.model_call("m", true, Duration::ZERO).record().unwrap();
    }
    let kept = half.stats().written;
    assert!((800..1200).contains(&kept), "{kept} of 2000 kept at 50%");
}

#[test]
fn batching_writes_whole_batches_and_flushes_on_time_and_drop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let batching = Batching { max_events: 10, max_delay: Duration::from_secs(3600) };
    let rec =
        Recorder::with_options(&path, RecorderOptions { sampling: Sampling::default(), batching: Some(batching) })
            .unwrap();
    for _ in 0..9 {
        rec.tool_call("t", true, Duration::ZERO).record().unwrap();
    }
    assert_eq!(lines(&path).len(), 0, "held until the batch is full");
    rec.tool_call("t", true, Duration::ZERO).record().unwrap();
    assert_eq!(lines(&path).len(), 10);
    rec.tool_call("t", true, Duration::ZERO).record().unwrap();
    rec.flush().unwrap();
    assert_eq!(lines(&path).len(), 11);
    rec.tool_call("t", true, Duration::ZERO).record().unwrap();
    drop(rec);
    assert_eq!(lines(&path).len(), 12, "flushed on drop");

    let quick = Batching { max_events: 1000, max_delay: Duration::from_millis(50) };
    let rec = Recorder::with_options(&path, RecorderOptions { sampling: Sampling::default(), batching: Some(quick) })
        .unwrap();
    rec.tool_call("t", true, Duration::ZERO).record().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while lines(&path).len() < 13 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(lines(&path).len(), 13, "flushed after max_delay");
}

#[test]
fn write_errors_are_returned_and_counted_never_panics() {
    let rec = Recorder::open("/dev/full").unwrap();
    let err = rec.tool_call("t", true, Duration::ZERO).record().unwrap_err();
    assert!(err.to_string().starts_with("cannot write to the event log /dev/full"), "{err}");
    assert_eq!(rec.stats().failed, 1);
    {
        let _op = rec.monitor_operation("o").start();
    }
    assert_eq!(rec.stats().failed, 2, "a span lost on drop is counted");
    let e = Recorder::open("/dev/null/events.jsonl").unwrap_err();
    assert!(e.to_string().starts_with("cannot open the event log"), "{e}");
}

#[test]
fn many_threads_share_one_recorder_without_tearing_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let rec = Recorder::open(&path).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let rec = rec.clone();
            std::thread::spawn(move || {
                for i in 0..500 {
                    rec.tool_call(&format!("tool-{t}"), i % 7 != 0, Duration::from_millis(i)).record().unwrap();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let l = lines(&path);
    assert_eq!(l.len(), 4000);
    l.iter().for_each(|line| {
        kind_of(line);
    });
}

#[test]
fn sessions_parts_and_sample_rates_are_written_as_the_log_defines_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.jsonl");
    let rec = Recorder::open(&path).unwrap();
    rec.model_call("claude-sonnet-4-5", true, Duration::from_millis(5))
        .tokens(10_000, 2_000)
        .cache(6_000, 3_000)
        .cache_write_1h(1_000)
        .reasoning(500)
        .web_searches(3)
        .session("s-1")
        .record()
        .unwrap();
    drop(rec.monitor_operation("op").session("s-1").start());
    // Parts above their totals are refused, and nothing is written.
    let err = rec.model_call("m", true, Duration::ZERO).tokens(10, 0).cache(8, 3).record().unwrap_err();
    assert!(
        matches!(&err, crate::recorder::WriteError::Invalid(m) if m.contains("(11) exceed the input tokens (10)")),
        "{err}"
    );
    assert!(rec.model_call("m", true, Duration::ZERO).tokens(10, 1).reasoning(2).record().is_err());
    let err = rec
        .agent_request("a", true, Duration::ZERO)
        .tokens(5)
        .session("s")
        .token_parts(crate::recorder::TokenParts { cache_read: 4, reasoning: 2, ..Default::default() })
        .record();
    assert!(err.is_err());
    let l = lines(&path);
    assert_eq!(l.len(), 2);
    let Kind::ModelCall { parts, .. } = kind_of(&l[0]) else { panic!("not a model call") };
    assert_eq!(
        (parts.cache_read, parts.cache_write, parts.cache_write_1h, parts.reasoning, parts.web_searches),
        (6_000, 3_000, 1_000, 500, 3)
    );
    for line in &l {
        let LineOutcome::Event(e) = parse_line(line.as_bytes()) else { panic!("{line}") };
        assert_eq!((e.session.as_deref(), e.sample_rate), (Some("s-1"), None));
    }
    // Sampled: kept successes carry their rate, failures none.
    let sampled = Recorder::with_options(
        dir.path().join("s.jsonl"),
        RecorderOptions { sampling: Sampling::all(0.5), batching: None },
    )
    .unwrap();
    for i in 0..200 {
        sampled.tool_call("t", i % 2 == 0, Duration::ZERO).record().unwrap();
    }
    for line in lines(&dir.path().join("s.jsonl")) {
        let LineOutcome::Event(e) = parse_line(line.as_bytes()) else { panic!("{line}") };
        let Kind::ToolCall { success, .. } = e.kind else { panic!("{line}") };
        assert_eq!(e.sample_rate, if success { Some(0.5) } else { None }, "{line}");
    }
}

/// A panic that unwinds through the handle is a crash, not a clean stop: no
/// `stopped` beat, so `heartbeat_lost` fires.
#[test]
fn a_panic_ends_heartbeats_without_saying_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let rec = Recorder::open(&path).unwrap();
    let crashed = std::thread::spawn(move || {
        let _beats = rec.start_heartbeats("worker-8", &[], Duration::from_secs(3600));
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while lines(&path).is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the job failed");
    })
    .join();
    assert!(crashed.is_err());
    let written = lines(&dir.path().join("events.jsonl"));
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(json(&written[0])["stopped"], serde_json::Value::Null);
}

#[test]
fn heartbeats_go_on_a_timer_until_their_handle_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.jsonl");
    let rec = Recorder::with_options(
        &path,
        crate::recorder::RecorderOptions {
            batching: Some(crate::recorder::Batching { max_events: 1000, max_delay: Duration::from_secs(3600) }),
            ..Default::default()
        },
    )
    .unwrap();
    let beats = rec.start_heartbeats("worker-7", &["A", "B"], Duration::ZERO);
    // The first beat is written at once, even by a batching recorder; the
    // interval is at least a second, so the second comes a second later.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while lines(&path).len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(beats);
    let written = lines(&path);
    assert!(written.len() >= 3, "{written:?}");
    // The last, written as the handle dropped, says the process stopped cleanly.
    let stopped: Vec<bool> = written.iter().map(|l| json(l)["stopped"] == true).collect();
    assert_eq!(stopped.iter().filter(|s| **s).count(), 1);
    assert!(stopped.last().copied().unwrap_or(false), "{written:?}");
    for line in &written {
        let v = json(line);
        assert_eq!((v["type"].as_str(), v["process"].as_str()), (Some("heartbeat"), Some("worker-7")), "{v}");
        assert_eq!(v["agents"], serde_json::json!(["A", "B"]));
        assert_eq!(v["pid"], std::process::id());
        assert!(matches!(kind_of(line), Kind::Heartbeat { .. }));
    }
    assert_eq!(json(&written[0])["started_at"], json(&written[1])["started_at"]);
    // Dropped means stopped: the thread was joined, nothing comes after.
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(lines(&path).len(), written.len());
}
