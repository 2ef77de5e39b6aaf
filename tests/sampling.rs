//! Sampled events still give true figures: 20,000 tool calls at 90 % success,
//! written through each writer (the Rust Recorder, the Python module, `ajentik
//! emit`) sampling successes at 0.1 and keeping every failure, then read back
//! through `ajentik monitor --export json`.
//!
//! The bound: 18,000 successes each kept with probability 0.1 leave K kept, K ~
//! Binomial(18000, 0.1), mean 1,800, standard deviation sqrt(18000 x 0.1 x 0.9)
//! = 40.2. Weighted, successes are 10K and the success rate 10K / (10K + 2,000).
//! The test allows K within 5 standard deviations (1,599..=2,001: a false
//! failure about once in 1.7 million runs), so the usage count must lie within
//! 20,000 +- 2,010 and the success rate within 88.9 %..91.0 %: we assert 90 +-
//! 1.2. Failures are never sampled, so they must be exactly 2,000. Without
//! weighting the figures would be 3,800 calls and a 47 % success rate.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ajentik::recorder::{Recorder, RecorderOptions, Sampling};

const CALLS: u64 = 20_000;
const FAILURES: u64 = 2_000;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ajentik")
}

fn report(log: &Path) -> serde_json::Value {
    let out = Command::new(bin())
        .args(["monitor", "--export", "json", "--now", "2100-01-01T00:00:00Z", "--log"])
        .arg(log)
        .env("XDG_CONFIG_HOME", "/nonexistent-config-dir")
        .env_remove("AJENTIK_CONFIG")
        .output()
        .expect("run ajentik");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

/// The checks every writer's log must pass.
fn assert_unbiased(log: &Path, writer: &str) {
    let r = report(log);
    assert_eq!(r["ingest"]["malformed"], 0, "{writer}");
    let tool = &r["tools"][0];
    assert_eq!(tool["name"], "fetch", "{writer}");
    assert_eq!(tool["failures"].as_u64(), Some(FAILURES), "{writer}: failures are never sampled");
    assert_eq!(tool["sampled"], true, "{writer}");
    assert_eq!(r["sampled"], true, "{writer}");
    let usage = tool["usage_count"].as_u64().expect("usage_count");
    assert!(usage.abs_diff(CALLS) <= 2_010, "{writer}: usage count {usage} vs {CALLS}");
    let rate = tool["success_rate"].as_f64().expect("success_rate");
    assert!((rate - 90.0).abs() <= 1.2, "{writer}: success rate {rate}, expected 90 +- 1.2");
    // The tool_failure rule (80 % by default) must not fire on a 90 % tool.
    let alerts = r["alerts"].as_array().expect("alerts");
    assert!(!alerts.iter().any(|a| a["rule"] == "tool_failure"), "{writer}: {alerts:?}");
}

fn succeeds(i: u64) -> bool {
    !i.is_multiple_of(10)
}

#[test]
fn rust_recorder_sampling_is_unbiased() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("rust.jsonl");
    let sampling = Sampling { tool_calls: 0.1, ..Sampling::default() };
    let rec = Recorder::with_options(&log, RecorderOptions { sampling, batching: None }).unwrap();
    for i in 0..CALLS {
        let mut call = rec.tool_call("fetch", succeeds(i), Duration::from_millis(5));
        if !succeeds(i) {
            call = call.error("Timeout", "no answer");
        }
        call.record().unwrap();
    }
    assert!(rec.stats().sampled_out > 15_000);
    assert_unbiased(&log, "Rust Recorder");
}

#[test]
fn python_module_sampling_is_unbiased() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("python.jsonl");
    let script = format!(
        r#"
import ajentik
c = ajentik.MetricsCollector(path={log:?}, sampling={{"tool_call": 0.1}})
for i in range({CALLS}):
    c.record_tool_usage(tool_name="fetch", success=i % 10 != 0, execution_time=0.005)
"#,
        log = log.display().to_string()
    );
    let clients = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/python");
    let out = Command::new("python3")
        .args(["-c", &script])
        .env("PYTHONPATH", clients)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python3 must be installed");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_unbiased(&log, "Python module");
}

#[test]
fn emit_sampling_is_unbiased() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("emit.jsonl");
    // Two processes at a time (the machine has two cores); each emit appends
    // one line with one write, so they never interleave.
    std::thread::scope(|s| {
        for half in 0..2u64 {
            let log = &log;
            s.spawn(move || {
                for i in (half..CALLS).step_by(2) {
                    let outcome = if succeeds(i) { "--success" } else { "--failure" };
                    let status = Command::new(bin())
                        .args(["emit", "--log"])
                        .arg(log)
                        .args(["tool-call", "--tool", "fetch", outcome, "--duration-ms", "5", "--sample-rate", "0.1"])
                        .status()
                        .expect("run ajentik emit");
                    assert!(status.success());
                }
            });
        }
    });
    assert_unbiased(&log, "ajentik emit");
}
