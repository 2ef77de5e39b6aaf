//! Eight writer processes (the Rust library through `ajentik demo`, the Python
//! module, and `ajentik emit` from a shell loop) append to one log while ajentik
//! follows it; afterwards every event is counted exactly once: nothing lost,
//! torn, interleaved or doubled.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ajentik");
const DEMO_REQUESTS: u64 = 6_000;
const PYTHON_EVENTS: u64 = 20_000;
const EMIT_EVENTS: u64 = 10_000;

fn python_writer(log: &Path, k: u64) -> Child {
    let script = format!(
        r#"
import sys
sys.path.insert(0, "clients/python")
from ajentik import MetricsCollector
c = MetricsCollector(path={log:?})
for i in range({PYTHON_EVENTS}):
    kind = i % 4
    if kind == 0:
        c.record_tool_usage(tool_name="py-tool-{k}", agent_name="py", success=i % 7 != 0, execution_time=0.01)
    elif kind == 1:
        c.record_agent_request(agent_name="py-agent-{k}", success=True, response_time=0.2, tokens=10, cost=0.001)
    elif kind == 2:
        c.record_model_call("gpt-4o", success=True, latency=0.1, agent_name="py-agent-{k}", input_tokens=5, output_tokens=5)
    else:
        c.record_error(component="py-{k}", error_type="E", error_message="m " * 50)
assert c.write_errors == 0, c.last_error
"#,
        log = log.display().to_string()
    );
    Command::new("python3").args(["-c", &script]).current_dir(env!("CARGO_MANIFEST_DIR")).spawn().expect("python3")
}

fn emit_writer(log: &Path, k: u64) -> Child {
    let script = format!(
        "i=0; while [ $i -lt {EMIT_EVENTS} ]; do '{BIN}' emit tool-call --tool emit-{k} --success --duration-ms $i --log '{}' || exit 1; i=$((i+1)); done",
        log.display()
    );
    Command::new("sh").args(["-c", &script]).spawn().expect("sh")
}

fn demo_writer(log: &Path, k: u64) -> Child {
    Command::new(BIN)
        .args(["demo", "--speed", "1000000", "--rate", "1000000", "--seed", &k.to_string()])
        .args(["--count", &DEMO_REQUESTS.to_string(), "--log"])
        .arg(log)
        .stderr(Stdio::piped())
        .spawn()
        .expect("demo")
}

/// The "N events written" the demo reports at its end.
fn demo_events(child: Child) -> u64 {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    let line = text.lines().find(|l| l.contains("events written")).expect("a summary line");
    line.split(", ").nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse().ok()).expect("a count")
}

fn report(log: &Path) -> serde_json::Value {
    let out = Command::new(BIN).args(["monitor", "--export", "json", "--log"]).arg(log).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn eight_writers_one_log_nothing_lost_or_doubled() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    std::fs::write(&log, "").unwrap();
    let mut follower = Command::new(BIN)
        .args(["monitor", "--follow", "--export", "json", "--every", "250ms", "--log"])
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let demos: Vec<Child> = (0..3).map(|k| demo_writer(&log, k)).collect();
    let pythons: Vec<Child> = (0..3).map(|k| python_writer(&log, k)).collect();
    let emits: Vec<Child> = (0..2).map(|k| emit_writer(&log, k)).collect();
    let mut expected: u64 = demos.into_iter().map(demo_events).sum();
    for mut p in pythons.into_iter().chain(emits) {
        assert!(p.wait().unwrap().success(), "a writer failed");
    }
    expected += 3 * PYTHON_EVENTS + 2 * EMIT_EVENTS;

    // The follower, which read while they wrote, ends up with every event once.
    let mut lines = BufReader::new(follower.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut followed = serde_json::Value::Null;
    while Instant::now() < deadline {
        followed = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        if followed["ingest"]["events"].as_u64() >= Some(expected) {
            break;
        }
    }
    follower.kill().unwrap();
    follower.wait().unwrap();

    let fresh = report(&log);
    for r in [&followed, &fresh] {
        assert_eq!(r["ingest"]["events"].as_u64(), Some(expected));
        assert_eq!(r["ingest"]["malformed"], 0, "{}", r["ingest"]["recent_malformed"]);
        assert_eq!(r["sources"][0]["lines"].as_u64(), Some(expected));
        let tool = |name: &str| r["tools"].as_array().unwrap().iter().find(|t| t["name"] == name).cloned().unwrap();
        for k in 0..3 {
            assert_eq!(tool(&format!("py-tool-{k}"))["usage_count"].as_u64(), Some(PYTHON_EVENTS / 4));
        }
        for k in 0..2 {
            assert_eq!(tool(&format!("emit-{k}"))["usage_count"].as_u64(), Some(EMIT_EVENTS));
        }
        let demo_requests: u64 = r["agents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| !a["name"].as_str().unwrap().starts_with("py-"))
            .map(|a| a["total_requests"].as_u64().unwrap())
            .sum();
        assert_eq!(demo_requests, 3 * DEMO_REQUESTS);
    }
    let bytes = std::fs::metadata(&log).unwrap().len();
    assert_eq!(fresh["sources"][0]["bytes"].as_u64(), Some(bytes), "every byte is in a complete line");
}
