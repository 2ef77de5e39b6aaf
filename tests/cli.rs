//! The `ajentik` binary as a user runs it: reports, exit codes, errors, following.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn ajentik() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ajentik"));
    // The user's own settings must not leak into the tests.
    c.env_remove("AJENTIK_LOG")
        .env_remove("AJENTIK_CONFIG")
        .env("XDG_STATE_HOME", "/nonexistent-state-dir")
        .env("XDG_CONFIG_HOME", "/nonexistent-config-dir");
    c
}

fn run(args: &[&str]) -> Output {
    ajentik().args(args).output().expect("run ajentik")
}

fn sample() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample.jsonl").display().to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const NOW: &str = "2026-11-26T21:20:00Z";

#[test]
fn json_report_of_the_sample_is_stable_and_complete() {
    let o = run(&["monitor", "--export", "json", "--log", &sample(), "--now", NOW]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(r["schema"], "ajentik.report/1");
    assert_eq!(r["now"], "2026-11-26T21:20:00.000Z");
    let src = &r["sources"][0];
    assert_eq!(src["lines"], 1211);
    assert_eq!(src["events"], r["ingest"]["events"]);
    let counted = ["malformed", "unknown", "unsupported"].iter().map(|k| src[*k].as_u64().unwrap()).sum::<u64>();
    let after_now = r["ingest"]["after_now"].as_u64().unwrap();
    assert_eq!(src["events"].as_u64().unwrap() + counted + after_now, 1211, "every line is accounted for");
    assert!(src["malformed"].as_u64().unwrap() > 0, "the sample has a few bad lines");
    assert!(r["ingest"]["after_now"].as_u64().unwrap() > 0, "events after --now are left out");
    // One of TranslateAgent's six requests in the window failed: a high alert.
    assert_eq!(r["health"]["status"], "unhealthy");
    assert_eq!(r["alerts"][0]["message"], "TranslateAgent success rate 83.3% < 90% over 5m");
    assert_eq!(r["agents"].as_array().unwrap().len(), 8);
    // The same instant gives the same figures.
    let again = run(&["monitor", "--export", "json", "--log", &sample(), "--now", NOW, "--threads", "1"]);
    let mut r2: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    r2["generated_at"] = r["generated_at"].clone();
    assert_eq!(r, r2, "one thread and all threads agree");
}

#[test]
fn markdown_report_goes_to_a_file_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("daily.md");
    let o =
        run(&["monitor", "--export", "markdown", "--log", &sample(), "--now", NOW, "--output", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let md = std::fs::read_to_string(&out).unwrap();
    assert!(md.starts_with("# ajentik report"));
    assert!(md.contains("## Agent performance") && md.contains("| CodeAgent |"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");
}

#[test]
fn usage_errors_exit_2_other_errors_exit_1_with_one_line() {
    for args in [
        &["monitor", "--export", "yaml"][..],
        &["monitor", "--now", "yesterday"],
        &["monitor", "--now", "2026-11-26 21:20:00Z"],
        &["monitor", "--follow"],
        &["monitor", "--every", "0s", "--export", "json"],
        &["monitor", "--threads", "0"],
        &["monitor", "--log", &sample(), "--follow", "--export", "markdown"],
        &["no-such-command"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let bad = file.join("events.jsonl");
    for args in [
        vec!["monitor", "--log", bad.to_str().unwrap()],
        vec!["monitor", "--log", "[unclosed"],
        vec!["monitor", "--log", &sample(), "--output", "/nonexistent/dir/report.md"],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.starts_with("ajentik: error: "), "{err}");
    }
    let o = run(&["monitor", "--log", bad.to_str().unwrap()]);
    assert!(stderr(&o).contains("a-file/events.jsonl"), "names the file: {}", stderr(&o));
}

/// A mistyped path must not look like a quiet, healthy system: one-shot modes
/// say so (the report at its top, then an error), the check is UNKNOWN.
#[test]
fn a_log_that_does_not_exist_is_an_error_in_one_shot_modes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("no-such.jsonl");
    let log = log.to_str().unwrap();
    let o = run(&["monitor", "--export", "json", "--log", log]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o).trim(), format!("ajentik: error: no such log {log}"));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["sources"][0]["error"], format!("no such log {log}"));
    let o = run(&["monitor", "--log", log]);
    let md = String::from_utf8(o.stdout).unwrap();
    assert!(md.lines().nth(4).is_some_and(|l| l.contains("**Source not read:** no such log")), "{md}");
    let o = run(&["monitor", "--alerts", "--log", log]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(String::from_utf8(o.stdout).unwrap(), format!("UNKNOWN: no such log {log}\n"));
    let o = run(&["monitor", "--alerts", "--json", "--log", log]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((o.status.code(), v["status"].as_str()), (Some(3), Some("unknown")));
    // A folder without logs, a pattern matching nothing: the same.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = run(&["monitor", "--alerts", "--log", empty.to_str().unwrap()]);
    assert!(String::from_utf8(o.stdout).unwrap().starts_with("UNKNOWN: no *.jsonl files in "));
    let pattern = format!("{}/*.jsonl", empty.display());
    let o = run(&["monitor", "--export", "json", "--log", &pattern]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no file matches"), "{}", stderr(&o));
}

#[test]
fn the_default_log_comes_from_ajentik_log_then_xdg_state_home() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir_all(state.join("ajentik")).unwrap();
    std::fs::copy(sample(), state.join("ajentik/events.jsonl")).unwrap();
    let o =
        ajentik().env("XDG_STATE_HOME", &state).args(["monitor", "--export", "json", "--now", NOW]).output().unwrap();
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(r["sources"][0]["path"].as_str().unwrap().ends_with("ajentik/events.jsonl"));
    assert_eq!(r["sources"][0]["lines"], 1211);
    let o = ajentik()
        .env("XDG_STATE_HOME", &state)
        .env("AJENTIK_LOG", dir.path().join("other.jsonl"))
        .args(["monitor", "--export", "json"])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let src = &r["sources"][0];
    assert!(src["path"].as_str().unwrap().ends_with("other.jsonl"), "AJENTIK_LOG wins: {src}");
    assert_eq!(src["lines"], 0, "its file does not exist yet");
}

#[test]
fn hostile_strings_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    std::fs::write(
        &log,
        "{\"ts\":\"2026-11-26T21:19:00Z\",\"type\":\"error\",\"component\":\"x\\u001b]0;pwned\\u0007\",\"error_type\":\"E\\u001b[2J\",\"message\":\"m\\u009b31m\"}\n",
    )
    .unwrap();
    let o = run(&["monitor", "--export", "markdown", "--log", log.to_str().unwrap(), "--now", NOW]);
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}') && !out.contains('\u{9b}'), "{out:?}");
    assert!(out.contains("| x | 1 |"), "{out}");
}

#[test]
fn follow_prints_a_json_line_per_interval_and_sees_appended_events() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    std::fs::write(&log, "").unwrap();
    let mut child = ajentik()
        .args(["monitor", "--follow", "--export", "json", "--every", "100ms", "--poll-interval", "50ms", "--log"])
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["ingest"]["events"], 0);
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    for i in 0..5 {
        writeln!(
            f,
            r#"{{"ts":"2026-11-26T21:19:0{i}Z","type":"tool_call","tool":"t","success":true,"duration_ms":1}}"#
        )
        .unwrap();
    }
    // A partial line is not counted until it ends.
    write!(f, r#"{{"ts":"2026-11-26T21:19:09Z","type":"tool_call","#).unwrap();
    f.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = 0;
    while Instant::now() < deadline {
        let line = lines.next().unwrap().unwrap();
        assert!(!line.contains('\n'));
        let r: serde_json::Value = serde_json::from_str(&line).unwrap();
        seen = r["ingest"]["events"].as_u64().unwrap();
        if seen == 5 {
            break;
        }
    }
    assert_eq!(seen, 5);
    writeln!(f, r#""tool":"t","success":false,"duration_ms":2}}"#).unwrap();
    while Instant::now() < deadline {
        let r: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        if r["ingest"]["events"] == 6 {
            assert_eq!(r["tools"][0]["failures"], 1);
            seen = 6;
            break;
        }
    }
    assert_eq!(seen, 6);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn version_help_and_generate() {
    let o = run(&["version"]);
    assert_eq!(String::from_utf8(o.stdout).unwrap().trim(), format!("ajentik {}", env!("CARGO_PKG_VERSION")));
    let help = String::from_utf8(run(&["monitor", "--help"]).stdout).unwrap();
    for flag in ["--export", "--output", "--now", "--follow", "--every", "--threads", "--log", "--debug", "Example"] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    let a = run(&["generate", "--lines", "300", "--seed", "9", "--start", "2026-01-01T00:00:00Z"]);
    let b = run(&["generate", "--lines", "300", "--seed", "9", "--start", "2026-01-01T00:00:00Z"]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout, "same seed, same log");
    assert!(String::from_utf8(a.stdout).unwrap().lines().count() >= 300);
}

#[test]
fn debug_goes_to_stderr_never_into_the_report() {
    let o = run(&["--debug", "monitor", "--export", "json", "--log", &sample(), "--now", NOW]);
    assert!(o.status.success());
    serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("stdout is only the report");
    let err = stderr(&o);
    assert!(err.contains("DEBUG sources: log location") && err.contains("first read: 1 files"), "{err}");
    // The span of the phase is closed with the time it took.
    assert!(err.contains("first read{threads=") && err.contains("close time.busy="), "{err}");
    // A filter of one's own, per target.
    let o = Command::new(env!("CARGO_BIN_EXE_ajentik"))
        .args(["monitor", "--export", "json", "--log", &sample(), "--now", NOW])
        .env("AJENTIK_DEBUG", "read=debug")
        .env("XDG_CONFIG_HOME", "/nonexistent-config-dir")
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(err.contains("first read:") && !err.contains("log location"), "{err}");
    let o = Command::new(env!("CARGO_BIN_EXE_ajentik"))
        .args(["version"])
        .env("AJENTIK_DEBUG", "read=nonsense")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("AJENTIK_DEBUG"), "{}", stderr(&o));
}

/// A log whose last five minutes hold `requests` to agent A, `failed` of them failed,
/// each taking `ms`.
fn alert_log(dir: &Path, requests: usize, failed: usize, ms: u32) -> String {
    let path = dir.join(format!("alerts-{requests}-{failed}-{ms}.jsonl"));
    let lines: String = (0..requests)
        .map(|i| {
            format!(
                "{{\"ts\":\"2026-11-26T21:1{}:00Z\",\"type\":\"agent_request\",\"agent\":\"A\",\"success\":{},\"duration_ms\":{ms}}}\n",
                6 + i % 3,
                i >= failed
            )
        })
        .collect();
    std::fs::write(&path, lines).unwrap();
    path.display().to_string()
}

#[test]
fn alerts_check_exits_like_a_monitoring_check() {
    let dir = tempfile::tempdir().unwrap();
    let check = |log: &str, json: bool| {
        let mut args = vec!["monitor", "--alerts", "--log", log, "--now", NOW];
        if json {
            args.push("--json");
        }
        run(&args)
    };
    let quiet = check(&alert_log(dir.path(), 20, 0, 100), false);
    assert_eq!(quiet.status.code(), Some(0), "{}", stderr(&quiet));
    assert!(quiet.stdout.is_empty());
    let slow = check(&alert_log(dir.path(), 20, 0, 6000), false);
    assert_eq!(slow.status.code(), Some(1), "medium only");
    let out = String::from_utf8(slow.stdout).unwrap();
    assert!(out.starts_with("MEDIUM response_time A: A average response time 6s > 5s over 5m (since "), "{out}");
    let failing = check(&alert_log(dir.path(), 20, 5, 100), true);
    assert_eq!(failing.status.code(), Some(2), "high");
    let v: serde_json::Value = serde_json::from_slice(&failing.stdout).unwrap();
    assert_eq!(v["status"], "unhealthy");
    assert_eq!(v["alerts"][0]["severity"], "high");
    // Could not evaluate: a usage error or an unreadable log is 3, never 2.
    assert_eq!(run(&["monitor", "--alerts", "--nowish"]).status.code(), Some(3));
    assert_eq!(run(&["monitor", "--alerts", "--now", "noon"]).status.code(), Some(3));
    assert_eq!(run(&["monitor", "--alerts", "--json", "--export", "json"]).status.code(), Some(3));
    let file = dir.path().join("f");
    std::fs::write(&file, "").unwrap();
    let bad = run(&["monitor", "--alerts", "--log", file.join("x.jsonl").to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(3));
    assert_eq!(stderr(&bad).lines().count(), 1);
    // --json without --alerts is an ordinary usage error.
    assert_eq!(run(&["monitor", "--json"]).status.code(), Some(2));
}

#[test]
fn the_config_file_sets_thresholds_and_bad_ones_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let log = alert_log(dir.path(), 20, 0, 3000);
    let check = |extra: &[&str]| {
        let mut args = vec!["monitor", "--alerts", "--log", &log, "--now", NOW];
        args.extend_from_slice(extra);
        run(&args)
    };
    assert_eq!(check(&[]).status.code(), Some(0), "3s is fine by default");
    let strict = dir.path().join("strict.toml");
    std::fs::write(&strict, "[alerts]\nresponse_time = 2.0 # seconds\n").unwrap();
    let o = check(&["--config", strict.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // AJENTIK_CONFIG names the file when --config does not.
    let o = ajentik()
        .env("AJENTIK_CONFIG", &strict)
        .args(["monitor", "--alerts", "--log", &log, "--now", NOW])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    // A bad file: one line naming the file, the line and the key.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[alerts]\nresponse_time = \"slow\"\n").unwrap();
    let o = run(&["monitor", "--log", &log, "--config", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("bad.toml") && e.contains("line 2") && e.contains("response_time"), "{e}");
    assert_eq!(check(&["--config", bad.to_str().unwrap()]).status.code(), Some(3), "a check that cannot run says 3");
    let missing = run(&["monitor", "--log", &log, "--config", "/nonexistent/config.toml"]);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn print_default_is_the_documented_sample() {
    let o = run(&["config", "print-default"]);
    assert!(o.status.success());
    let sample = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/config.toml")).unwrap();
    assert_eq!(String::from_utf8(o.stdout).unwrap(), sample);
    let dir = tempfile::tempdir().unwrap();
    let o = ajentik().env("XDG_CONFIG_HOME", dir.path()).args(["config", "path"]).output().unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("ajentik/config.toml") && out.contains("does not exist"), "{out}");
}

#[test]
fn prices_come_from_a_litellm_file_and_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls.jsonl");
    std::fs::write(
        &log,
        "{\"ts\":\"2026-11-26T21:19:00Z\",\"type\":\"model_call\",\"model\":\"house-model\",\"success\":true,\"duration_ms\":5,\"input_tokens\":1000000,\"output_tokens\":0}\n",
    )
    .unwrap();
    let total = |extra: &[&str]| {
        let mut args = vec!["monitor", "--export", "json", "--log", log.to_str().unwrap(), "--now", NOW];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        (r["cost"]["total_usd"].as_f64().unwrap(), r["cost"]["unpriced_calls"].as_u64().unwrap())
    };
    assert_eq!(total(&[]), (0.0, 1), "unknown model: unpriced, not free");
    let litellm = dir.path().join("prices.json");
    std::fs::write(&litellm, r#"{"house-model": {"input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06}}"#)
        .unwrap();
    assert_eq!(total(&["--prices", litellm.to_str().unwrap()]), (2.0, 0));
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[prices]\n\"house-model\" = { input = 3.0, output = 9.0 }\n").unwrap();
    assert_eq!(
        total(&["--prices", litellm.to_str().unwrap(), "--config", config.to_str().unwrap()]),
        (3.0, 0),
        "the config wins"
    );
    std::fs::write(&litellm, "not json").unwrap();
    let o = run(&["monitor", "--log", log.to_str().unwrap(), "--prices", litellm.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("bad price file"), "{}", stderr(&o));
}

#[test]
fn budgets_from_the_config_reach_the_report_and_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("spend.jsonl");
    std::fs::write(
        &log,
        "{\"ts\":\"2026-11-26T08:00:00Z\",\"type\":\"model_call\",\"model\":\"m\",\"agent\":\"A\",\"success\":true,\"duration_ms\":5,\"cost_usd\":1.5}\n\
         {\"ts\":\"2026-11-26T21:10:00Z\",\"type\":\"model_call\",\"model\":\"m\",\"agent\":\"B\",\"success\":true,\"duration_ms\":5,\"cost_usd\":0.5}\n",
    )
    .unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[budget]\ndaily_usd = 1.0\n[budget.agents]\nB = 10.0\n").unwrap();
    let o = run(&[
        "monitor",
        "--export",
        "json",
        "--log",
        log.to_str().unwrap(),
        "--now",
        NOW,
        "--config",
        config.to_str().unwrap(),
    ]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let c = &r["cost"];
    assert_eq!(c["today_usd"], 2.0);
    assert_eq!(c["last_hour_usd"], 0.5);
    assert_eq!(c["day_start"], "2026-11-26T00:00:00.000Z");
    assert_eq!(c["daily_budget_usd"], 1.0);
    assert_eq!(c["budget_used_pct"], 200.0);
    assert_eq!(c["agent_budgets"][0]["agent"], "B");
    assert_eq!(c["agent_budgets"][0]["today_usd"], 0.5);
    let alert = r["alerts"].as_array().unwrap().iter().find(|a| a["rule"] == "cost_budget").expect("over budget");
    assert_eq!(alert["severity"], "medium");
    let check = run(&[
        "monitor",
        "--alerts",
        "--log",
        log.to_str().unwrap(),
        "--now",
        NOW,
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(check.status.code(), Some(1), "{}", String::from_utf8_lossy(&check.stdout));
    let md = run(&["monitor", "--log", log.to_str().unwrap(), "--now", NOW, "--config", config.to_str().unwrap()]);
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("| Daily budget | $1.00 (200% used) |"), "{md}");
}

#[test]
fn following_runs_the_notify_hook_when_an_alert_starts_firing() {
    let dir = tempfile::tempdir().unwrap();
    let log = alert_log(dir.path(), 20, 5, 100);
    let got = dir.path().join("hook.jsonl");
    let config = dir.path().join("config.toml");
    hook_config(&config, &got);
    let sent = follow_until_paged(dir.path(), &log, &config, 1);
    assert!(sent >= 1);
    let text = std::fs::read_to_string(&got).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["event"], "firing");
    assert_eq!(first["alert"]["severity"], "high");
    // Each alert is announced once, not at every interval.
    let firing = text.lines().filter(|l| l.contains("\"firing\"")).count();
    let distinct: std::collections::BTreeSet<_> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| (v["alert"]["rule"].to_string(), v["alert"]["scope"].to_string()))
        .collect();
    assert_eq!(firing, distinct.len(), "{text}");
}

/// A config file whose notify command appends each page to `got`, a line each.
fn hook_config(config: &Path, got: &Path) {
    let command = format!("cat >> '{}'; echo >> '{}'", got.display(), got.display());
    std::fs::write(config, format!("[notify]\ncommand = \"{command}\"\ntimeout = \"5s\"\n")).unwrap();
}

/// Runs `monitor --follow` with the notify hook until its report says `pages`
/// pages were sent (or 3 reports went by, for a run that should page nothing);
/// returns how many it sent. The page ledger lives under `state`.
fn follow_until_paged(state: &Path, log: &str, config: &Path, pages: u64) -> u64 {
    let mut child = ajentik()
        .env("XDG_STATE_HOME", state)
        .args(["monitor", "--follow", "--export", "json", "--every", "100ms", "--now", NOW, "--log", log, "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut sent, mut reports) = (0, 0);
    while Instant::now() < deadline && sent < pages && (pages > 0 || reports < 3) {
        let r: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        sent = r["notifications"]["sent"].as_u64().unwrap_or(0);
        reports += 1;
    }
    // Let a queued command finish before stopping.
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    sent
}

/// Two runs (a restart, or a second engineer's view) page each alert once.
#[test]
fn a_second_run_does_not_page_again() {
    let dir = tempfile::tempdir().unwrap();
    let log = alert_log(dir.path(), 20, 5, 100);
    let got = dir.path().join("hook.jsonl");
    let config = dir.path().join("config.toml");
    hook_config(&config, &got);
    let first = follow_until_paged(dir.path(), &log, &config, 1);
    assert!(first >= 1);
    let after_first = std::fs::read_to_string(&got).unwrap();
    let second = follow_until_paged(dir.path(), &log, &config, 0);
    assert_eq!(second, 0, "the second run sent pages");
    assert_eq!(std::fs::read_to_string(&got).unwrap(), after_first);
    let ledger: Vec<_> = std::fs::read_dir(dir.path().join("ajentik")).unwrap().flatten().collect();
    assert_eq!(ledger.len(), 1, "one ledger for the setup");
}

#[test]
fn a_pipe_is_refused_with_a_clear_error() {
    let o = run(&["monitor", "--log", "/dev/null"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is not a regular file"), "{}", stderr(&o));
}

#[test]
fn the_demo_writes_a_live_log_and_reports_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("demo.jsonl");
    let o = run(&[
        "demo",
        "--count",
        "40",
        "--speed",
        "1000",
        "--rate",
        "50",
        "--seed",
        "3",
        "--log",
        log.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("writing a simulated multi-agent workload to") && err.contains("40 requests"), "{err}");
    let md = String::from_utf8(o.stdout).unwrap();
    assert!(md.starts_with("# ajentik report") && md.contains("| Total requests | 40 |"), "{md}");
    let r: serde_json::Value =
        serde_json::from_slice(&run(&["monitor", "--export", "json", "--log", log.to_str().unwrap()]).stdout).unwrap();
    assert_eq!(r["health"]["total_requests"], 40);
    assert_eq!(r["ingest"]["malformed"], 0);
    assert_eq!(r["agents"].as_array().unwrap().len(), 8);
    assert!(r["spans"].as_array().unwrap().iter().any(|s| s["name"] == "handle_request"));
    assert_eq!(run(&["demo", "--rate", "0"]).status.code(), Some(2), "a usage error");
}

#[test]
fn emit_writes_one_valid_event_and_bad_arguments_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("emit.jsonl");
    let l = log.to_str().unwrap();
    for args in [
        vec![
            "emit",
            "agent-request",
            "--agent",
            "ChatAgent",
            "--success",
            "--duration-ms",
            "1500",
            "--tokens",
            "250",
            "--cost",
            "0.05",
            "--attr",
            "user_id=u-1",
        ],
        vec![
            "emit",
            "tool-call",
            "--tool",
            "web_search",
            "--failure",
            "--duration-ms",
            "800",
            "--error-type",
            "Timeout",
        ],
        vec![
            "emit",
            "model-call",
            "--model",
            "gpt-4o",
            "--success",
            "--duration-ms",
            "12",
            "--input-tokens",
            "180",
            "--output-tokens",
            "70",
            "--web-search-requests",
            "2",
        ],
        vec!["emit", "span", "--name", "backup", "--duration-ms", "93000", "--status", "error", "--error-type", "Disk"],
        vec!["emit", "error", "--component", "C", "--error-type", "E", "--message", "m", "--context", "{\"k\":1}"],
        vec!["emit", "heartbeat", "--process", "w", "--agents", "A,B", "--stopped"],
    ] {
        let mut args = args.clone();
        args.extend(["--log", l]);
        let o = run(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    let before = std::fs::read_to_string(&log).unwrap();
    assert_eq!(before.lines().count(), 6);
    for bad in [
        vec!["emit", "agent-request", "--agent", "A", "--duration-ms", "5"],
        vec!["emit", "agent-request", "--agent", "A", "--success", "--failure", "--duration-ms", "5"],
        vec!["emit", "tool-call", "--tool", "t", "--success", "--duration-ms", "-3"],
        vec!["emit", "span", "--name", "n", "--duration-ms", "1", "--status", "fine"],
        vec!["emit", "error", "--component", "C", "--error-type", "E", "--message", "m", "--context", "[1]"],
        vec!["emit", "agent-request", "--agent", "A", "--success", "--duration-ms", "1", "--attr", "novalue"],
    ] {
        let mut args = bad.clone();
        args.extend(["--log", l]);
        assert_eq!(run(&args).status.code(), Some(2), "{bad:?}");
    }
    assert_eq!(std::fs::read_to_string(&log).unwrap(), before, "bad arguments wrote nothing");
    let r: serde_json::Value =
        serde_json::from_slice(&run(&["monitor", "--export", "json", "--log", l]).stdout).unwrap();
    assert_eq!((r["ingest"]["events"].as_u64(), r["ingest"]["malformed"].as_u64()), (Some(6), Some(0)));
    assert_eq!(r["models"][0]["web_search_requests"], 2, "{r}");
    assert!(std::fs::read_to_string(&log).unwrap().lines().last().unwrap().contains(r#""stopped":true"#));
    // Without --log, the default log.
    let state = dir.path().join("state");
    let o = ajentik()
        .env("XDG_STATE_HOME", &state)
        .args(["emit", "tool-call", "--tool", "t", "--success", "--duration-ms", "1"])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(std::fs::read_to_string(state.join("ajentik/events.jsonl")).unwrap().lines().count(), 1);
}

/// One rule for usage errors: exit 2, the flag named, nothing written.
#[test]
fn usage_errors_exit_2_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["monitor", "--follow", "--export", "markdown", "--log", &sample()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--export json") && o.stdout.is_empty());
    let o = run(&[
        "emit",
        "--log",
        dir.path().to_str().unwrap(),
        "tool-call",
        "--tool",
        "t",
        "--success",
        "--duration-ms",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("emit writes to one file"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing written");
    let g = dir.path().join("g.jsonl");
    let o = run(&["generate", "--lines", "10", "--log", g.to_str().unwrap(), "--output", g.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!g.exists());
    let o = run(&["demo", "--rate", "0", "--log", g.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

/// `generate --log FILE` writes that file, and never past now.
#[test]
fn generate_writes_its_log_and_nothing_in_the_future() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("g.jsonl");
    let o = run(&["generate", "--lines", "5000", "--malformed", "0", "--log", g.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let after = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as i64;
    let text = std::fs::read_to_string(&g).unwrap();
    assert!(text.lines().count() >= 5000);
    let latest = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["ts"].as_str().map(|t| ajentik::time::parse_rfc3339(t).unwrap()))
        .max()
        .unwrap();
    assert!(latest <= after, "an event {} s in the future", (latest - after) as f64 / 1e6);
    assert!(after - latest < 60_000_000, "the log ends just before now");
}

#[test]
fn config_init_writes_the_default_once_and_completions_and_man_print() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/config.toml");
    let o = run(&["config", "init", "--config", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/config.toml")).unwrap()
    );
    std::fs::write(&path, "# mine\n").unwrap();
    let o = run(&["config", "init", "--config", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("exists: not replacing it"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
    for shell in ["bash", "zsh", "fish"] {
        let o = run(&["completions", shell]);
        assert!(o.status.success());
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(text.contains("ajentik") && text.contains("monitor") && text.contains("--export"), "{shell}");
    }
    let o = run(&["man"]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains(".TH ajentik 1") && text.contains("monitor"), "{text}");
}

/// "Today" in local days starts at that day's local midnight, with the UTC
/// offset in force at `--now` (not at the moment the report is made): a
/// post-mortem across a daylight-saving change is right.
#[test]
fn local_days_use_the_offset_in_force_at_now() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[budget]\nday = \"local\"\n").unwrap();
    let day_start = |now: &str| {
        let o = ajentik()
            .env("TZ", "America/New_York")
            .args(["monitor", "--export", "json", "--log", &sample(), "--now", now, "--config"])
            .arg(&config)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        r["cost"]["day_start"].as_str().unwrap().to_owned()
    };
    assert_eq!(day_start("2026-07-15T12:00:00Z"), "2026-07-15T04:00:00.000Z", "EDT, UTC-4");
    assert_eq!(day_start("2026-01-15T12:00:00Z"), "2026-01-15T05:00:00.000Z", "EST, UTC-5");
}

/// A writer whose clock went wrong: counted as clock skew, left out, said.
#[test]
fn events_from_a_broken_clock_are_counted_and_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("skew.jsonl");
    let now = ajentik::time::format_rfc3339(ajentik::time::wall_clock());
    let line = |ts: &str, agent: &str| {
        format!(
            "{{\"ts\":\"{ts}\",\"type\":\"agent_request\",\"agent\":\"{agent}\",\"success\":true,\"duration_ms\":5}}\n"
        )
    };
    let text = line("0001-01-01T00:00:00Z", "Ancient") + &line("2999-01-01T00:00:00Z", "Future") + &line(&now, "Now");
    std::fs::write(&log, text).unwrap();
    let o = run(&["monitor", "--export", "json", "--log", log.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["ingest"]["clock_skew"], 2);
    assert_eq!(r["agents"].as_array().unwrap().len(), 1);
    assert!(r["health"]["uptime_s"].as_f64().unwrap() < 3600.0);
}

/// `--log -` reads standard input: to its end in one-shot modes, until it
/// closes when following; given twice, a usage error.
#[test]
fn standard_input_is_a_log() {
    let sample_text = std::fs::read(sample()).unwrap();
    let mut child = ajentik()
        .args(["monitor", "--export", "json", "--log", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&sample_text).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["sources"][0]["path"], "stdin");
    assert_eq!(r["sources"][0]["lines"], 1211);
    let from_file: serde_json::Value =
        serde_json::from_slice(&run(&["monitor", "--export", "json", "--log", &sample()]).stdout).unwrap();
    assert_eq!(r["ingest"]["events"], from_file["ingest"]["events"]);

    // Following: lines as they arrive; when the input closes, a last report, exit 0.
    let now = ajentik::time::format_rfc3339(ajentik::time::wall_clock());
    let mut child = ajentik()
        .args(["monitor", "--follow", "--export", "json", "--every", "100ms", "--log", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    for i in 0..3 {
        writeln!(input, r#"{{"ts":"{now}","type":"tool_call","tool":"t{i}","success":true,"duration_ms":1}}"#).unwrap();
    }
    input.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    drop(input);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "it ends when the input does");
    let last: serde_json::Value =
        serde_json::from_str(String::from_utf8(o.stdout).unwrap().lines().last().unwrap()).unwrap();
    assert_eq!(last["ingest"]["events"], 3);

    let o = run(&["monitor", "--log", "-", "--log", "-"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("standard input"));
}

/// Issue 13: a folder with far more logs than descriptors (`ulimit -n`): files
/// are opened to read and closed again, so all of them are read.
#[test]
fn thousands_of_files_are_read_under_a_low_descriptor_limit() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let files = 300;
    for i in 0..files {
        let line = format!(
            r#"{{"ts":"2026-11-26T21:00:00Z","type":"agent_request","agent":"A","success":true,"duration_ms":{i}}}"#
        );
        std::fs::write(logs.join(format!("s{i:03}.jsonl")), line + "\n").unwrap();
    }
    // 24 descriptors for 300 files (ajentik holds at most 64 open, fewer when the
    // process may not have that many): every file is read, none is an error.
    let run_limited = |args: &str| {
        let script = format!(
            "ulimit -n 24 && exec '{}' monitor --now {NOW} {args} --log '{}'",
            env!("CARGO_BIN_EXE_ajentik"),
            logs.display()
        );
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .env_remove("AJENTIK_LOG")
            .env_remove("AJENTIK_CONFIG")
            .env("XDG_STATE_HOME", "/nonexistent-state-dir")
            .env("XDG_CONFIG_HOME", "/nonexistent-config-dir")
            .output()
            .expect("run sh")
    };
    let o = run_limited("--export json");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("a report");
    // The clean files of the folder are one summary row.
    let sources = r["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert_eq!(sources[0]["files"].as_u64(), Some(files as u64));
    assert_eq!(sources[0]["path"].as_str(), logs.to_str());
    assert!(sources[0]["error"].is_null());
    assert_eq!(r["health"]["total_requests"].as_u64(), Some(files as u64));
    let o = run_limited("--alerts");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Issue 13: a file made unreadable while followed is named in the report, and
/// every other file is still read. Run as an unprivileged user (root reads
/// anything), with `setpriv` when the tests run as root.
#[test]
fn a_file_made_unreadable_mid_run_is_named_and_the_others_still_read() {
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::set_permissions(&logs, std::fs::Permissions::from_mode(0o777)).unwrap();
    let event = |i: u32| {
        format!(
            r#"{{"ts":"2026-11-26T21:00:00Z","type":"agent_request","agent":"A","success":true,"duration_ms":{i}}}"#
        ) + "\n"
    };
    for i in 0..30 {
        let path = logs.join(format!("s{i:02}.jsonl"));
        std::fs::write(&path, event(i)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    }
    // Two files held open at most: the locked one is closed and quiet when it
    // loses its permissions, and must be opened again to be read.
    let config = dir.path().join("config");
    std::fs::create_dir_all(config.join("ajentik")).unwrap();
    std::fs::write(config.join("ajentik/config.toml"), "[monitor]\nmax_open_files = 2\n").unwrap();
    for d in [&config, &config.join("ajentik")] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
    let mut command = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid", "65534", "--regid", "65534", "--clear-groups", env!("CARGO_BIN_EXE_ajentik")]);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_ajentik"))
    };
    let mut child = command
        .args(["monitor", "--now", NOW, "--follow", "--export", "json", "--every", "200ms", "--log"])
        .arg(&logs)
        .env_remove("AJENTIK_LOG")
        .env_remove("AJENTIK_CONFIG")
        .env("XDG_CONFIG_HOME", &config)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next_report = || -> serde_json::Value { serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap() };
    assert_eq!(next_report()["health"]["total_requests"], 30);
    // One quiet (closed) file loses its permissions and grows; the others grow too.
    let locked = logs.join("s05.jsonl");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    for i in 0..30 {
        let mut f = std::fs::OpenOptions::new().append(true).open(logs.join(format!("s{i:02}.jsonl"))).unwrap();
        f.write_all(event(100 + i).as_bytes()).unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let report = loop {
        let r = next_report();
        if r["health"]["total_requests"] == 59 || std::time::Instant::now() > deadline {
            break r;
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(report["health"]["total_requests"], 59, "every readable file's new line: {}", report["sources"]);
    let named: Vec<_> = report["sources"].as_array().unwrap().iter().filter(|s| !s["error"].is_null()).collect();
    assert_eq!(named.len(), 1, "{named:?}");
    assert!(named[0]["path"].as_str().unwrap().ends_with("s05.jsonl"));
    assert!(named[0]["error"].as_str().unwrap().contains("Permission denied"), "{}", named[0]);
}

/// Issue 14: `--log claude-code` finds Claude Code's transcripts (here through
/// `$CLAUDE_CONFIG_DIR`), at every depth, tells them from other files, counts a
/// response copied into a forked session once, and keeps no content.
#[test]
fn claude_code_transcripts_are_found_read_and_counted_once() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude-code");
    let session = std::fs::read_to_string(fixtures.join("session.jsonl")).unwrap();
    let config = tempfile::tempdir().unwrap();
    let project = config.path().join("projects/-home-dev-acme-api");
    let sid = "2b9d8116-e1de-4038-a101-5fd575fdcb0e";
    std::fs::create_dir_all(project.join(sid).join("subagents")).unwrap();
    std::fs::write(project.join(format!("{sid}.jsonl")), &session).unwrap();
    std::fs::copy(fixtures.join("subagent.jsonl"), project.join(sid).join("subagents/agent-a96cf8a57447af436.jsonl"))
        .unwrap();
    std::fs::write(project.join(sid).join("subagents/agent-a96cf8a57447af436.meta.json"), "{}").unwrap();
    std::fs::write(project.join(sid).join("subagents/journal.jsonl"), "not a transcript\n").unwrap();
    // A forked session: the first three lines copied under another id, and a line
    // still being written (no newline yet).
    let forked: String =
        session.lines().take(3).map(|l| l.replace(sid, "f0f0f0f0-0000-4000-8000-000000000000") + "\n").collect();
    std::fs::write(
        project.join("f0f0f0f0-0000-4000-8000-000000000000.jsonl"),
        forked + "{\"type\":\"assistant\",\"sess",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ajentik"))
        .args(["monitor", "--export", "json", "--now", "2026-08-01T05:00:00Z", "--log", "claude-code"])
        .env("CLAUDE_CONFIG_DIR", config.path())
        .env_remove("AJENTIK_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent-config-dir")
        .current_dir(config.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sources = r["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 3, "the journal and the sidecar are not transcripts: {sources:?}");
    assert!(sources.iter().all(|s| s["format"] == "claude-code"), "{sources:?}");
    assert_eq!(r["ingest"]["malformed"], 0, "{}", r["ingest"]);
    let model = |name: &str| r["models"].as_array().unwrap().iter().find(|m| m["name"] == name).cloned().unwrap();
    let sonnet = model("claude-sonnet-4-5-20250929");
    assert_eq!(sonnet["requests"], 2, "the response once (not again from the fork), and the failed call");
    assert_eq!((sonnet["input_tokens"].as_u64(), sonnet["output_tokens"].as_u64()), (Some(28558), Some(187)));
    assert_eq!(model("claude-haiku-4-5-20251001")["requests"], 1);
    let agents: Vec<&str> = r["agents"].as_array().unwrap().iter().filter_map(|a| a["name"].as_str()).collect();
    assert!(agents.contains(&"claude-code") && agents.contains(&"claude-code/general-purpose"), "{agents:?}");
    assert_eq!(r["sessions"]["total"], 1, "the sub-agent belongs to its parent's session");

    let md = Command::new(env!("CARGO_BIN_EXE_ajentik"))
        .args(["monitor", "--export", "markdown", "--now", "2026-08-01T05:00:00Z", "--log", "claude-code"])
        .env("CLAUDE_CONFIG_DIR", config.path())
        .env("XDG_CONFIG_HOME", "/nonexistent-config-dir")
        .current_dir(config.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&md.stdout);
    for private in ["Run the test suite", "cargo test", "42 passed", "Survey src/web"] {
        assert!(!text.contains(private), "{private} in the report");
    }
    // No transcripts anywhere: a one-line error naming where it looked.
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ajentik"))
        .args(["monitor", "--export", "json", "--log", "claude-code"])
        .env_remove("CLAUDE_CONFIG_DIR")
        .env("HOME", empty.path())
        .env("XDG_CONFIG_HOME", empty.path().join("config"))
        .current_dir(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no Claude Code transcripts") && stderr(&out).lines().count() == 1,
        "{}",
        stderr(&out)
    );
}

/// Issue 14: `--log codex` reads `$CODEX_HOME/sessions` and `archived_sessions`
/// at every depth; an archived copy of a session counts nothing twice.
#[test]
fn codex_rollouts_are_found_read_and_counted_once() {
    let rollout = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/codex/rollout.jsonl");
    let home = tempfile::tempdir().unwrap();
    let name = "rollout-2025-11-25T00-33-35-019ab86e-1e83-75b0-b2d7-d335492e7026.jsonl";
    for dir in ["sessions/2025/11/25", "archived_sessions/2025/11/25"] {
        std::fs::create_dir_all(home.path().join(dir)).unwrap();
        std::fs::copy(&rollout, home.path().join(dir).join(name)).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_ajentik"))
        .args(["monitor", "--export", "json", "--now", "2025-11-26T00:00:00Z", "--log", "codex"])
        .env("CODEX_HOME", home.path())
        .env_remove("AJENTIK_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent-config-dir")
        .current_dir(home.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r["sources"].as_array().unwrap().iter().all(|s| s["format"] == "codex"), "{}", r["sources"]);
    assert_eq!(r["ingest"]["malformed"], 0);
    let model = r["models"].as_array().unwrap().iter().find(|m| m["name"] == "gpt-5.1-codex-max").cloned().unwrap();
    assert_eq!(model["requests"], 2, "two calls, not four: {model}");
    assert_eq!((model["input_tokens"].as_u64(), model["output_tokens"].as_u64()), (Some(9950), Some(412)));
    assert_eq!(model["cache_read_tokens"], 8192);
    // Priced from the tokens (gpt-5.1-codex-max: $1.25 input, $0.125 cached input,
    // $10 output a million): (1,246 + 512) uncached x 1.25 + 8,192 cached x 0.125
    // + 412 output x 10 = $0.0073415.
    let cost = model["cost_usd"].as_f64().unwrap();
    assert!((cost - 0.0073415).abs() < 1e-9, "{cost}");
    let shell = r["tools"].as_array().unwrap().iter().find(|t| t["name"] == "shell_command").cloned().unwrap();
    assert_eq!(
        (shell["usage_count"].as_u64(), shell["failures"].as_u64()),
        (Some(1), Some(1)),
        "once, not per copy: {shell}"
    );
    let codex = r["agents"].as_array().unwrap().iter().find(|a| a["name"] == "codex").cloned().unwrap();
    assert_eq!(codex["total_requests"], 1, "the turn once: {codex}");
}

/// Codex compresses cold rollouts to `*.jsonl.zst`: compressed by the zstd tool
/// itself, they count as they did plain, and a bad one is named, not fatal.
#[test]
fn compressed_codex_rollouts_count_as_they_did_plain() {
    let home = tempfile::tempdir().unwrap();
    let sessions = home.path().join("sessions");
    let made = ajentik()
        .args(["generate", "--format", "codex", "--sessions", "12", "--output"])
        .arg(&sessions)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    let report = || {
        let out = ajentik()
            .args(["monitor", "--export", "json", "--log", "codex"])
            .env("CODEX_HOME", home.path())
            .current_dir(home.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        r
    };
    let counts = |r: &serde_json::Value| {
        (
            r["models"].clone(),
            r["tools"].clone(),
            r["agents"].clone(),
            r["cost"]["total_usd"].clone(),
            r["ingest"]["events"].clone(),
        )
    };
    let plain = report();
    assert!(plain["ingest"]["events"].as_u64().unwrap() > 50, "{}", plain["ingest"]);
    let mut files = Vec::new();
    let mut dirs = vec![sessions.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
            if entry.path().is_dir() { dirs.push(entry.path()) } else { files.push(entry.path()) }
        }
    }
    files.sort();
    for file in files.iter().step_by(2) {
        let zstd = Command::new("zstd").args(["-q", "--rm", "--check"]).arg(file).status();
        assert!(zstd.expect("the zstd tool (Debian: apt-get install zstd)").success());
    }
    let compressed = report();
    let sources = compressed["sources"].as_array().unwrap();
    assert_eq!(
        sources.iter().filter(|s| s["path"].as_str().unwrap().ends_with(".jsonl.zst")).count(),
        files.len().div_ceil(2)
    );
    assert!(sources.iter().all(|s| s["format"] == "codex" && s["error"].is_null()), "{sources:?}");
    assert_eq!(counts(&compressed), counts(&plain));
    // One with a second frame half written (the same lines again): the lines
    // before the cut count (once: Codex's keys), the source says why.
    let victim = files[0].with_extension("jsonl.zst");
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, [&bytes[..], &bytes[..bytes.len() / 2]].concat()).unwrap();
    let cut = report();
    let source =
        cut["sources"].as_array().unwrap().iter().find(|s| s["path"] == victim.to_str().unwrap()).cloned().unwrap();
    let error = source["error"].as_str().unwrap_or_default();
    let at = format!("cut short at byte {}", bytes.len());
    assert!(error.starts_with("compressed log") && error.ends_with(&at), "{error}");
    assert!(source["lines"].as_u64().unwrap() > 0, "the lines before the cut: {source}");
    assert_eq!(counts(&cut), counts(&plain));
    let md = ajentik()
        .args(["monitor", "--export", "markdown", "--log", "codex"])
        .env("CODEX_HOME", home.path())
        .current_dir(home.path())
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("**Source read in part:** compressed log"), "{md}");
}

/// `ssh host cat events.jsonl.zst | ajentik --log -`: standard input that is a
/// zstd or gzip stream (by the real tools) reads as the plain log does; one
/// cut short keeps the lines before the cut and says why on its source.
#[test]
fn compressed_standard_input_reads_as_plain() {
    let through_stdin = |bytes: &[u8]| {
        let mut child = ajentik()
            .args(["monitor", "--export", "json", "--log", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        let writer = std::thread::spawn(move || input.write_all(&bytes));
        let o = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let plain = through_stdin(&std::fs::read(sample()).unwrap());
    assert_eq!(plain["sources"][0]["lines"], 1211);
    for tool in ["zstd", "gzip"] {
        let packed = Command::new(tool).args(["-c", &sample()]).output().expect("the compression tool");
        assert!(packed.status.success(), "{tool}");
        let r = through_stdin(&packed.stdout);
        assert_eq!(r["sources"][0]["lines"], 1211, "{tool}");
        assert_eq!(r["ingest"]["events"], plain["ingest"]["events"], "{tool}");
        assert_eq!(r["models"], plain["models"], "{tool}");
        assert!(r["sources"][0]["error"].is_null(), "{tool}: {}", r["sources"][0]);
        let cut = through_stdin(&packed.stdout[..packed.stdout.len() * 3 / 4]);
        // zstd keeps its window (here the whole file) before it hands any of a
        // frame on, so a one-frame stream cut short gives no lines; gzip's
        // window is 32 KiB.
        let lines = cut["sources"][0]["lines"].as_u64().unwrap();
        assert!(lines < 1211 && (tool == "zstd" || lines > 0), "{tool}: {lines}");
        let error = cut["sources"][0]["error"].as_str().unwrap_or_default();
        assert!(
            error.starts_with("compressed log on standard input:") && error.contains("cut short"),
            "{tool}: {error}"
        );
    }
}

/// logrotate's `compress`: the rotated log is gzipped (by the gzip tool here);
/// read through a glob with the live one, the counts are the whole log's.
#[test]
fn a_gzipped_rotated_log_reads_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.jsonl");
    let made = ajentik().args(["generate", "--lines", "3000", "--log"]).arg(&whole).output().unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    let text = std::fs::read_to_string(&whole).unwrap();
    let cut = text.match_indices('\n').nth(1999).unwrap().0 + 1;
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::write(logs.join("events.jsonl.1"), &text[..cut]).unwrap();
    std::fs::write(logs.join("events.jsonl"), &text[cut..]).unwrap();
    let gzip = Command::new("gzip").arg(logs.join("events.jsonl.1")).status();
    assert!(gzip.expect("the gzip tool").success());
    let report = |log: &str| {
        let out = ajentik().args(["monitor", "--export", "json", "--log", log]).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (r["ingest"]["events"].clone(), r["ingest"]["malformed"].clone(), r["models"].clone(), r["tools"].clone())
    };
    let rotated = report(&format!("{}/events.jsonl*", logs.display()));
    assert_eq!(rotated, report(whole.to_str().unwrap()));
    assert!(rotated.0.as_u64().unwrap() > 2500, "{:?}", rotated.0);
}
