//! The live view under a real terminal (tmux), with the release binary:
//! - CPU used while nothing happens (target: under 1% over 30 s),
//! - how soon an appended event is on screen (target: within 100 ms),
//! - keeping up with 20,000 events a second (target: lag under a second, less
//!   than half a core).
//!
//! Run: `cargo bench --bench live` (needs tmux). AJENTIK_BENCH_IDLE_SECS
//! shortens the idle measurement.

mod common;
use common::cpu_seconds;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ajentik");

struct Tmux(std::path::PathBuf);

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").arg("-S").arg(&self.0).args(args).output().expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "b"])
    }
    fn wait_for(&self, text: &str, limit: Duration) -> Option<Duration> {
        let t = Instant::now();
        while t.elapsed() < limit {
            if self.screen().contains(text) {
                return Some(t.elapsed());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        None
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-S").arg(&self.0).arg("kill-server").output();
    }
}

fn append(log: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().append(true).open(log).expect("open log");
    f.write_all(text.as_bytes()).expect("append");
}

fn now_ts() -> String {
    ajentik::time::format_rfc3339(ajentik::time::wall_clock())
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("ajentik-live-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let log = dir.join("events.jsonl");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample.jsonl"), &log).expect("sample");
    let conf = dir.join("tmux.conf");
    std::fs::write(&conf, "set -g status off\nset -sg escape-time 0\nset -g default-terminal tmux-256color\n")
        .expect("conf");
    let tmux = Tmux(dir.join("sock"));
    let cmd = format!(
        "cd '{}' && XDG_CONFIG_HOME=/nonexistent exec '{BIN}' monitor --live --log '{}'",
        dir.display(),
        log.display()
    );
    tmux.run(&["-f", conf.to_str().unwrap_or_default(), "new-session", "-d", "-s", "b", "-x", "120", "-y", "40", &cmd]);
    tmux.wait_for("1 Overview", Duration::from_secs(30)).expect("the live view started");
    let pid: u32 = tmux.run(&["display-message", "-p", "-t", "b", "#{pane_pid}"]).trim().parse().expect("pid");

    // Idle.
    let idle: u64 = std::env::var("AJENTIK_BENCH_IDLE_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    let before = cpu_seconds(pid);
    std::thread::sleep(Duration::from_secs(idle));
    let used = cpu_seconds(pid) - before;
    println!("idle for {idle} s: {:.2}% of a core (target: under 1%)", used * 100.0 / idle as f64);

    // Latency of one appended event, with the Agents tab filtered to the probes.
    tmux.run(&["send-keys", "-t", "b", "2", "/", "P", "r", "o", "b", "e", "Enter"]);
    std::thread::sleep(Duration::from_millis(300));
    let mut latencies = Vec::new();
    for i in 0..20 {
        let name = format!("Probe{i:02}x");
        append(
            &log,
            &format!(
                "{{\"ts\":\"{}\",\"type\":\"agent_request\",\"agent\":\"{name}\",\"success\":true,\"duration_ms\":1}}\n",
                now_ts()
            ),
        );
        if let Some(d) = tmux.wait_for(&name, Duration::from_secs(5)) {
            latencies.push(d);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    latencies.sort();
    if latencies.is_empty() {
        println!("appended events never showed");
    } else {
        println!(
            "appended event on screen: median {:.0} ms, worst {:.0} ms over {} events (target: within 100 ms; includes tmux capture polling)",
            latencies[latencies.len() / 2].as_secs_f64() * 1e3,
            latencies[latencies.len() - 1].as_secs_f64() * 1e3,
            latencies.len()
        );
    }

    // 20,000 events a second for 10 seconds.
    tmux.run(&["send-keys", "-t", "b", "Escape"]);
    tmux.run(&["send-keys", "-t", "b", "1"]);
    let mut generator = ajentik::synth::Generator::new(ajentik::synth::Settings {
        start: ajentik::time::wall_clock(),
        requests_per_second: 5000.0,
        malformed_ratio: 0.0,
        ..Default::default()
    });
    let before = cpu_seconds(pid);
    let started = Instant::now();
    let mut lines = 0u64;
    let mut max_lag_seen = String::new();
    while started.elapsed() < Duration::from_secs(10) {
        let tick = Instant::now();
        let mut chunk = Vec::new();
        lines += generator.write_lines(&mut chunk, 2000).expect("generate");
        append(&log, std::str::from_utf8(&chunk).unwrap_or_default());
        let header = tmux.screen().lines().next().unwrap_or_default().to_owned();
        if header.contains("lag") {
            max_lag_seen = header;
        }
        std::thread::sleep(Duration::from_millis(100).saturating_sub(tick.elapsed()));
    }
    let load_secs = started.elapsed().as_secs_f64();
    let used = cpu_seconds(pid) - before;
    let caught_up = tmux.wait_for(" LIVE", Duration::from_secs(10)).map(|_| ());
    let settle = Instant::now();
    while tmux.screen().lines().next().unwrap_or_default().contains("lag") && settle.elapsed() < Duration::from_secs(10)
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    println!(
        "{:.0} events/s for {load_secs:.1} s: {:.0}% of a core; lag gone {:.0} ms after the last write{}; {}",
        lines as f64 / load_secs,
        used * 100.0 / load_secs,
        settle.elapsed().as_secs_f64() * 1e3,
        if caught_up.is_some() { "" } else { " (header not found)" },
        if max_lag_seen.is_empty() {
            "no lag shown while writing".to_owned()
        } else {
            format!("last lag shown: {}", max_lag_seen.trim())
        }
    );
    tmux.run(&["send-keys", "-t", "b", "q"]);
    std::thread::sleep(Duration::from_millis(300));
    let _ = std::fs::remove_dir_all(&dir);
}
