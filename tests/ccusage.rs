//! Claude Code and Codex histories against ccusage, the tool their users check
//! their spend with (pinned, installed from npm under target/ once): ajentik must
//! count the same tokens and the same cost, per model, to the micro-dollar, on
//! the shipped fixtures (streamed responses, sub-agents, forks, API errors, a
//! legacy `costUSD`, cache writes of both lifetimes, fast mode) and on synthetic
//! histories of a few hundred sessions. But for web searches, which ccusage does
//! not price ($10 a thousand at Anthropic): they are taken off ajentik's cost.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// The ccusage release compared against (its native binary for linux-x64 is on npm).
const CCUSAGE: &str = "ccusage@20.0.24";

fn ccusage() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let prefix = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ccusage");
        let ready = prefix.join(format!(".ready-{CCUSAGE}"));
        if !ready.exists() {
            std::fs::create_dir_all(&prefix).expect("make target/ccusage");
            let installed = Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
                .arg(&prefix)
                .arg(CCUSAGE)
                .status()
                .expect("npm (Debian: apt-get install npm)");
            assert!(installed.success(), "npm install {CCUSAGE} failed");
            std::fs::write(&ready, "").expect("mark ccusage ready");
        }
        prefix.join("node_modules/.bin/ccusage")
    })
    .clone()
}

/// Per model: uncached input, output, cache writes, cache reads, cost.
type Totals = BTreeMap<String, (u64, u64, u64, u64, f64)>;

/// What a model's web searches cost in a report: ccusage leaves them out (it
/// prices tokens only), so they are taken off before comparing.
fn search_fees(m: &Value) -> f64 {
    let searches = m["web_search_requests"].as_f64().unwrap_or(0.0);
    searches * m["price"]["web_search_per_thousand"].as_f64().unwrap_or(0.0) / 1e3
}

/// The report's models as [`Totals`] (their costs without the web searches'),
/// and what the web searches cost in all.
fn ajentik_totals(env: (&str, &Path), log: &str, now: &str) -> (Totals, f64) {
    let out = Command::new(env!("CARGO_BIN_EXE_ajentik"))
        .args(["monitor", "--export", "json", "--now", now, "--log", log])
        .env(env.0, env.1)
        .env_remove("AJENTIK_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent-config-dir")
        .output()
        .expect("run ajentik");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(r["ingest"]["malformed"], 0, "{}", r["ingest"]);
    let n = |m: &Value, k: &str| m[k].as_u64().unwrap_or(0);
    let models = r["models"].as_array().expect("models");
    let fees = models.iter().map(search_fees).sum();
    let totals = models
        .iter()
        // A row of API errors only (no tokens, no cost) has no ccusage twin.
        .filter(|m| n(m, "input_tokens") + n(m, "output_tokens") > 0)
        .map(|m| {
            let (cache_read, cache_write) = (n(m, "cache_read_tokens"), n(m, "cache_write_tokens"));
            let uncached = n(m, "input_tokens") - cache_read - cache_write;
            let name = m["name"].as_str().expect("a name").to_owned();
            let cost = m["cost_usd"].as_f64().unwrap_or(0.0) - search_fees(m);
            (name, (uncached, n(m, "output_tokens"), cache_write, cache_read, cost))
        })
        .collect();
    (totals, fees)
}

fn run_ccusage(args: &[&str], env: (&str, &Path), home: &Path) -> Value {
    let out = Command::new(ccusage())
        .args(args)
        .args(["--json", "--offline", "-z", "UTC"])
        .env("HOME", home)
        .env_remove("CLAUDE_CONFIG_DIR")
        .env_remove("CODEX_HOME")
        .env(env.0, env.1)
        .env("NO_COLOR", "1")
        .output()
        .expect("run ccusage");
    assert!(out.status.success(), "ccusage {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("ccusage's JSON")
}

fn assert_same(ajentik: &Totals, ccusage: &Totals) {
    assert_eq!(ajentik.keys().collect::<Vec<_>>(), ccusage.keys().collect::<Vec<_>>(), "the models differ");
    for (model, a) in ajentik {
        let c = &ccusage[model];
        assert_eq!(
            (a.0, a.1, a.2, a.3),
            (c.0, c.1, c.2, c.3),
            "{model}: tokens (input, output, cache write, cache read)"
        );
        assert!((a.4 - c.4).abs() < 1e-6, "{model}: ${} here, ${} by ccusage", a.4, c.4);
    }
}

#[test]
fn claude_code_tokens_and_cost_are_ccusages() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude-code");
    let config = tempfile::tempdir().expect("tempdir");
    let projects = config.path().join("projects");
    let start = ajentik::time::parse_rfc3339("2026-11-01T00:00:00Z").expect("a time");
    ajentik::synth::sessions::claude_code(&projects, 300, 5, start).expect("synthetic sessions");
    let fixture_project = projects.join("-home-dev-acme-api");
    let sid = "2b9d8116-e1de-4038-a101-5fd575fdcb0e";
    std::fs::create_dir_all(fixture_project.join(sid).join("subagents")).expect("mkdir");
    std::fs::copy(fixtures.join("session.jsonl"), fixture_project.join(format!("{sid}.jsonl"))).expect("copy");
    std::fs::copy(
        fixtures.join("subagent.jsonl"),
        fixture_project.join(sid).join("subagents/agent-a96cf8a57447af436.jsonl"),
    )
    .expect("copy");
    std::fs::copy(fixtures.join("legacy.jsonl"), fixture_project.join("legacy.jsonl")).expect("copy");
    // Fast mode and one-hour cache writes, which neither the fixtures nor the
    // synthetic sessions have.
    let line = |id: &str, speed: &str| {
        format!(
            r#"{{"type":"assistant","sessionId":"s-fast","uuid":"u-{id}","version":"2.1.220","cwd":"/p","timestamp":"2026-08-01T04:50:27.000Z","requestId":"r-{id}","message":{{"id":"{id}","model":"claude-opus-4-6","stop_reason":"end_turn","usage":{{"input_tokens":1000,"cache_read_input_tokens":9000,"cache_creation_input_tokens":2000,"cache_creation":{{"ephemeral_5m_input_tokens":500,"ephemeral_1h_input_tokens":1500}},"output_tokens":500,"speed":"{speed}"}}}}}}"#
        )
    };
    let fast = format!("{}\n{}\n", line("m-fast", "fast"), line("m-standard", "standard"));
    std::fs::create_dir_all(projects.join("-p")).expect("mkdir");
    std::fs::write(projects.join("-p/s-fast.jsonl"), fast).expect("write");

    let (ajentik, search_fees) =
        ajentik_totals(("CLAUDE_CONFIG_DIR", config.path()), "claude-code", "2026-12-01T00:00:00Z");
    // The synthetic sessions searched the web; their $10 a thousand is in the
    // cost here, taken off to compare (see `search_fees`).
    assert!(search_fees > 0.0, "no web searches were priced");
    // `auto`: a legacy line's own cost is taken, as ajentik takes it.
    let report =
        run_ccusage(&["claude", "daily", "-b", "--mode", "auto"], ("CLAUDE_CONFIG_DIR", config.path()), config.path());
    let mut theirs = Totals::new();
    for day in report["daily"].as_array().expect("daily") {
        for m in day["modelBreakdowns"].as_array().expect("modelBreakdowns") {
            let n = |k: &str| m[k].as_u64().unwrap_or(0);
            let t = theirs.entry(m["modelName"].as_str().expect("a model").to_owned()).or_default();
            t.0 += n("inputTokens");
            t.1 += n("outputTokens");
            t.2 += n("cacheCreationTokens");
            t.3 += n("cacheReadTokens");
            t.4 += m["cost"].as_f64().unwrap_or(0.0);
        }
    }
    assert!(ajentik.contains_key("claude-opus-4-6-fast") && ajentik.len() >= 5, "{ajentik:?}");
    assert_same(&ajentik, &theirs);
}

#[test]
fn codex_tokens_and_cost_are_ccusages() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/codex");
    let home = tempfile::tempdir().expect("tempdir");
    let sessions = home.path().join("sessions");
    let start = ajentik::time::parse_rfc3339("2026-11-01T00:00:00Z").expect("a time");
    ajentik::synth::sessions::codex(&sessions, 200, 5, start).expect("synthetic rollouts");
    let day = sessions.join("2025/11/25");
    std::fs::create_dir_all(&day).expect("mkdir");
    std::fs::copy(
        fixtures.join("rollout.jsonl"),
        day.join("rollout-2025-11-25T00-33-35-019ab86e-1e83-75b0-b2d7-d335492e7026.jsonl"),
    )
    .expect("copy");

    let (ajentik, _) = ajentik_totals(("CODEX_HOME", home.path()), "codex", "2026-12-01T00:00:00Z");
    let report = run_ccusage(&["codex", "daily"], ("CODEX_HOME", home.path()), home.path());
    let mut theirs = Totals::new();
    for day in report["daily"].as_array().expect("daily") {
        for (name, m) in day["models"].as_object().expect("models") {
            let n = |k: &str| m[k].as_u64().unwrap_or(0);
            let t = theirs.entry(name.clone()).or_default();
            // Uncached, as ccusage counts them (Codex's own input includes the cached).
            t.0 += n("inputTokens");
            t.1 += n("outputTokens");
            t.2 += n("cacheCreationTokens");
            t.3 += n("cacheReadTokens");
        }
    }
    // ccusage gives Codex's cost by day, not by model: compared in total.
    let their_cost = report["totals"]["costUSD"].as_f64().expect("a total cost");
    let our_cost: f64 = ajentik.values().map(|t| t.4).sum();
    assert!((our_cost - their_cost).abs() < 1e-6, "${our_cost} here, ${their_cost} by ccusage");
    let tokens = |t: &Totals| t.iter().map(|(k, v)| (k.clone(), (v.0, v.1, v.2, v.3))).collect::<Vec<_>>();
    assert_eq!(tokens(&ajentik), tokens(&theirs));
}
