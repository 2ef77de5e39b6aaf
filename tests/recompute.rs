//! The report's figures against an independent reckoning: `fixtures/recompute.py`
//! (standard-library Python, exact integers) writes a random event log (every
//! type, keys in any order, escaped names, sampled events, cache and reasoning
//! parts, sessions, lines to skip) and works out what its report must say from the
//! documented rules; ajentik folds the same log on one thread and on two (in
//! several parts, merged), and every count, token, mean and dollar must match,
//! and every percentile come within 1 % of the exact sample at its rank.
//! Needs python3 on PATH, as CI has.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Lines in the log: about 10 MB, so that two threads read it in parts.
const LINES: &str = "60000";

fn python_reckoning(log: &Path, seed: &str, lines: &str) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recompute.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(log)
        .args([seed, lines])
        .output()
        .expect("python3 must be installed to reckon the log independently");
    assert!(out.status.success(), "recompute.py failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("recompute.py prints JSON")
}

/// The binary this build made, reading `log` with `args` before it and no
/// log, config or prices of the machine's.
fn ajentik(args: &[&str], log: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ajentik"));
    command
        .args(args)
        .arg("--log")
        .arg(log)
        .env_remove("AJENTIK_LOG")
        .env_remove("AJENTIK_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent-config-dir");
    command
}

fn report(log: &Path, now: &str, threads: &str) -> Value {
    let out = ajentik(&["monitor", "--export", "json", "--now", now, "--threads", threads], log)
        .output()
        .expect("run ajentik");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the report is JSON")
}

/// `list`'s rows by their `key` field.
fn rows<'a>(list: &'a Value, key: &str) -> BTreeMap<&'a str, &'a Value> {
    list.as_array().expect("a list").iter().map(|row| (row[key].as_str().expect("a name"), row)).collect()
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Dollars against micro-dollars: exact but for the float printed.
fn assert_dollars(got: &Value, micro: &Value, what: &str) {
    let (got, want) = (num(got), num(micro) / 1e6);
    assert!((got - want).abs() < 1e-9, "{what}: ${got} against ${want}");
}

/// A percentile in milliseconds against the exact sample at that rank, in
/// microseconds: within 1 % (the documented precision of the latency sketches).
fn assert_percentile_ms(got: &Value, micros: &Value, what: &str) {
    let (got, want) = (num(got), num(micros) / 1e3);
    assert!((got - want).abs() <= 0.01 * want, "{what}: {got} ms against {want} ms at that rank");
}

/// A mean in milliseconds against one in microseconds.
fn assert_mean_ms(got: &Value, micros: &Value, what: &str) {
    let (got, want) = (num(got), num(micros) / 1e3);
    assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{what}: {got} ms against {want} ms");
}

/// How the report was made, for messages; `dated` when made at the log's `now`
/// (so that today's and the last hour's figures are the whole log's).
struct Run<'a> {
    how: &'a str,
    dated: bool,
}

fn assert_report_matches(report: &Value, want: &Value, run: &Run) {
    let at = |what: &str| format!("{what} ({})", run.how);
    for field in ["events", "malformed", "unknown", "unsupported"] {
        assert_eq!(int(&report["ingest"][field]), int(&want["ingest"][field]), "{}", at(field));
    }

    let agents = rows(&report["agents"], "name");
    let want_agents = want["agents"].as_object().expect("agents");
    assert_eq!(agents.len(), want_agents.len(), "{}: {:?}", at("agent rows"), agents.keys());
    for (name, w) in want_agents {
        let got = agents.get(name.as_str()).unwrap_or_else(|| panic!("no row for agent {name:?}"));
        for field in ["total_requests", "successes", "failures", "tokens"] {
            assert_eq!(int(&got[field]), int(&w[field]), "{}", at(&format!("agent {name:?} {field}")));
        }
        assert_dollars(&got["cost_usd"], &w["cost_micro_usd"], &at(&format!("agent {name:?} cost")));
        if w["avg_response_time_us"].is_null() {
            assert!(got["avg_response_time_ms"].is_null(), "{}", at(&format!("agent {name:?} mean")));
        } else {
            assert_mean_ms(
                &got["avg_response_time_ms"],
                &w["avg_response_time_us"],
                &at(&format!("agent {name:?} mean")),
            );
        }
    }

    let tools = rows(&report["tools"], "name");
    let want_tools = want["tools"].as_object().expect("tools");
    assert_eq!(tools.len(), want_tools.len(), "{}", at("tool rows"));
    for (name, w) in want_tools {
        let got = tools.get(name.as_str()).unwrap_or_else(|| panic!("no row for tool {name:?}"));
        for field in ["usage_count", "successes", "failures"] {
            assert_eq!(int(&got[field]), int(&w[field]), "{}", at(&format!("tool {name:?} {field}")));
        }
        assert_mean_ms(&got["avg_execution_time_ms"], &w["avg_execution_time_us"], &at(&format!("tool {name:?} mean")));
        assert_percentile_ms(&got["p95_ms"], &w["p95_us"], &at(&format!("tool {name:?} p95")));
    }

    // Models named only by attributed requests have rows too, with no calls.
    let models = rows(&report["models"], "name");
    let want_models = want["models"].as_object().expect("models");
    for (name, got) in &models {
        let Some(w) = want_models.get(*name) else {
            assert_eq!(int(&got["requests"]), 0, "{}", at(&format!("model {name:?} has calls")));
            continue;
        };
        for (field, value) in w.as_object().expect("a model") {
            assert_eq!(int(&got[field.as_str()]), int(value), "{}", at(&format!("model {name:?} {field}")));
        }
        let latency = &want["model_latency"][*name];
        assert_mean_ms(&got["avg_latency_ms"], &latency["avg_us"], &at(&format!("model {name:?} mean")));
        assert_percentile_ms(&got["p95_ms"], &latency["p95_us"], &at(&format!("model {name:?} p95")));
    }
    assert!(want_models.keys().all(|name| models.contains_key(name.as_str())), "{}", at("model rows"));

    let spans = rows(&report["spans"], "name");
    let want_spans = want["spans"].as_object().expect("spans");
    assert_eq!(spans.len(), want_spans.len(), "{}", at("span rows"));
    for (name, w) in want_spans {
        let got = spans.get(name.as_str()).unwrap_or_else(|| panic!("no row for span {name:?}"));
        assert_eq!(int(&got["count"]), int(&w["count"]), "{}", at(&format!("span {name:?}")));
        assert_eq!(int(&got["failures"]), int(&w["failures"]), "{}", at(&format!("span {name:?} failures")));
        assert_mean_ms(&got["avg_ms"], &w["avg_us"], &at(&format!("span {name:?} mean")));
        assert_percentile_ms(&got["p95_ms"], &w["p95_us"], &at(&format!("span {name:?} p95")));
    }

    let errors = &report["errors"];
    assert_eq!(int(&errors["total"]), int(&want["errors"]["total"]), "{}", at("errors"));
    for (list, key, want_key) in [("by_type", "error_type", "by_type"), ("by_component", "component", "by_component")] {
        let got = rows(&errors[list], key);
        let w = want["errors"][want_key].as_object().expect("error counts");
        assert_eq!(got.len(), w.len(), "{}", at(list));
        for (name, count) in w {
            let row = got.get(name.as_str()).unwrap_or_else(|| panic!("no {list} row for {name:?}"));
            assert_eq!(int(&row["count"]), int(count), "{}", at(&format!("errors {list} {name:?}")));
        }
    }

    let sessions = &report["sessions"];
    let want_sessions = want["sessions"].as_object().expect("sessions");
    assert_eq!(int(&sessions["total"]), want_sessions.len() as i64, "{}", at("sessions"));
    let recent = rows(&sessions["recent"], "id");
    assert_eq!(recent.len(), want_sessions.len(), "{}", at("sessions listed"));
    for (id, w) in want_sessions {
        let got = recent.get(id.as_str()).unwrap_or_else(|| panic!("no row for session {id:?}"));
        let at = |field: &str| at(&format!("session {id:?} {field}"));
        for field in [
            "requests",
            "model_calls",
            "tool_calls",
            "failures",
            "errors",
            "input_tokens",
            "output_tokens",
            "cache_read_tokens",
        ] {
            assert_eq!(int(&got[field]), int(&w[field]), "{}", at(field));
        }
        assert_dollars(&got["cost_usd"], &w["cost_micro_usd"], &at("cost"));
        for field in ["first_ts", "last_ts"] {
            assert_eq!(got[field], w[field], "{}", at(field));
        }
        for field in ["agents", "models"] {
            let mut names: Vec<&str> =
                got[field].as_array().expect("names").iter().map(|n| n.as_str().expect("a name")).collect();
            names.sort_unstable();
            let want: Vec<&str> =
                w[field].as_array().expect("names").iter().map(|n| n.as_str().expect("a name")).collect();
            assert_eq!(names, want, "{}", at(field));
        }
    }

    let cost = &report["cost"];
    assert_dollars(&cost["total_usd"], &want["cost"]["total_micro_usd"], &at("total cost"));
    assert_eq!(int(&cost["tokens"]), int(&want["cost"]["tokens"]), "{}", at("total tokens"));
    if run.dated {
        // The log spans its last ten minutes before `now`, all on one day.
        for field in ["today_usd", "last_hour_usd"] {
            assert_dollars(&cost[field], &want["cost"]["total_micro_usd"], &at(field));
        }
        assert_eq!(int(&cost["today_tokens"]), int(&want["cost"]["tokens"]), "{}", at("today's tokens"));
    }
    for (list, want_cost, want_tokens) in
        [("by_model", "by_model", "tokens_by_model"), ("by_agent", "by_agent", "tokens_by_agent")]
    {
        let got = rows(&cost[list], "name");
        let (w_cost, w_tokens) = (want["cost"][want_cost].as_object(), want["cost"][want_tokens].as_object());
        let (w_cost, w_tokens) = (w_cost.expect("costs"), w_tokens.expect("tokens"));
        assert_eq!(got.len(), w_cost.len(), "{}: {:?}", at(list), got.keys());
        for (name, micro) in w_cost {
            let row = got.get(name.as_str()).unwrap_or_else(|| panic!("no cost {list} row for {name:?}"));
            assert_dollars(&row["cost_usd"], micro, &at(&format!("cost {list} {name:?}")));
            assert_eq!(int(&row["tokens"]), int(&w_tokens[name]), "{}", at(&format!("tokens {list} {name:?}")));
        }
    }
}

#[test]
fn every_figure_matches_an_independent_reckoning_on_one_thread_and_two() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("events.jsonl");
    let want = python_reckoning(&log, "20261204", LINES);
    let now = want["now"].as_str().expect("now");
    // Several parts on two threads, so the merge is reckoned too.
    let size = std::fs::metadata(&log).expect("the log").len();
    assert!(size > 8 << 20, "the log ({size} bytes) should span more than two parts");
    for (threads, how) in [("1", "one thread"), ("2", "two threads")] {
        assert_report_matches(&report(&log, now, threads), &want, &Run { how, dated: true });
    }
}

/// The same reckoning for a log written while ajentik follows it: appended in
/// pieces of any size (lines cut anywhere, several lines at once), so that
/// every line comes through the follower's reads of partial lines, not the
/// first read; the last report must hold every figure.
#[test]
fn a_log_written_while_followed_adds_up_to_the_same_reckoning() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (source, log) = (dir.path().join("written.jsonl"), dir.path().join("events.jsonl"));
    let want = python_reckoning(&source, "7", "20000");
    let bytes = std::fs::read(&source).expect("the written log");
    std::fs::write(&log, "").expect("an empty log");
    let mut child =
        ajentik(&["monitor", "--follow", "--export", "json", "--every", "100ms", "--poll-interval", "20ms"], &log)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("run ajentik");
    let mut reports = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().expect("stdout")));
    let first: Value = serde_json::from_str(&reports.next().expect("a report").expect("a line")).expect("JSON");
    assert_eq!(int(&first["ingest"]["events"]), 0);

    // Pieces of 1 byte to 64 KiB, from a fixed sequence (a linear congruential
    // generator: the test does the same every run).
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).expect("open to append");
    let (mut at, mut state) = (0usize, 0x2545_f491_4f6c_dd1du64);
    while at < bytes.len() {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let size = 1 + (state >> 33) as usize % (64 << 10);
        let end = (at + size).min(bytes.len());
        std::io::Write::write_all(&mut file, &bytes[at..end]).expect("append");
        at = end;
        if state >> 60 == 0 {
            std::thread::sleep(std::time::Duration::from_millis(30));
        }
    }

    let lines_read = |r: &Value| int(&r["ingest"]["events"]) + int(&r["ingest"]["malformed"]);
    let expected = int(&want["ingest"]["events"]) + int(&want["ingest"]["malformed"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut last = first;
    while lines_read(&last) < expected && std::time::Instant::now() < deadline {
        last = serde_json::from_str(&reports.next().expect("a report").expect("a line")).expect("JSON");
    }
    child.kill().ok();
    child.wait().ok();
    assert_report_matches(&last, &want, &Run { how: "followed while written", dated: false });
}
