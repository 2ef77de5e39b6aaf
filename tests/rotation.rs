//! The real logrotate rotating a followed log with `compress` (no
//! `delaycompress`): renamed, a new log created, lines added to the rotated one
//! by its writer after the rename (postrotate), gzipped beside itself and
//! removed, all in one go; twice, so the first archive is renamed too. Then
//! with `delaycompress`, and with `copytruncate` (copied and emptied in place).
//! ajentik follows the whole time through a glob and counts every line exactly
//! once.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ajentik");

fn line(i: u64) -> String {
    format!(
        r#"{{"v":1,"ts":"2026-12-01T10:00:00.000Z","type":"tool_call","tool":"t{}","agent":"a","success":true,"duration_ms":{i}}}"#,
        i % 7
    ) + "\n"
}

fn lines(range: std::ops::Range<u64>) -> String {
    range.map(line).collect()
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// Runs logrotate on `log` once, forced, with its state beside `config_dir`
/// and `options` in its stanza.
fn logrotate(config_dir: &Path, log: &Path, finish: &Path, options: &str) {
    let config = config_dir.join("logrotate.conf");
    let rotated = format!("{}.1", log.display());
    std::fs::write(
        &config,
        format!(
            "{log} {{\n  rotate 5\n  {options}\n  create\n  missingok\n  postrotate\n    cat {finish} >> {rotated}\n  endscript\n}}\n",
            log = log.display(),
            finish = finish.display(),
        ),
    )
    .unwrap();
    // Debian puts it in /usr/sbin, which a user's PATH may lack.
    let program = if Path::new("/usr/sbin/logrotate").exists() { "/usr/sbin/logrotate" } else { "logrotate" };
    let out = Command::new(program)
        .arg("-f")
        .arg("-s")
        .arg(config_dir.join("state"))
        .arg(&config)
        .output()
        .expect("logrotate (Debian's logrotate package; .ci/run installs it)");
    assert!(out.status.success(), "logrotate: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_log_rotated_and_gzipped_by_logrotate_while_followed_counts_every_line_once() {
    let (archives, _) = rotate_while_followed("compress", 2);
    assert!(archives.iter().any(|n| n == "events.jsonl.2.gz"), "{archives:?}");
    assert!(!archives.iter().any(|n| n == "events.jsonl.1"), "{archives:?}");
}

/// With `delaycompress` the rotated log stays plain for a round, then is
/// renamed and gzipped at the next.
#[test]
fn a_log_rotated_with_delaycompress_while_followed_counts_every_line_once() {
    let (archives, _) = rotate_while_followed("compress\n  delaycompress", 3);
    assert!(archives.iter().any(|n| n == "events.jsonl.2.gz"), "{archives:?}");
    assert!(archives.iter().any(|n| n == "events.jsonl.1"), "{archives:?}");
}

/// `copytruncate`: the live log copied to `events.jsonl.1` and emptied in
/// place, the copy (not the live log) gaining the writer's last lines; the
/// glob matches the copy, which holds lines the live log counted.
#[test]
fn a_log_copied_and_truncated_by_logrotate_while_followed_counts_every_line_once() {
    let (archives, sources) = rotate_while_followed("copytruncate", 3);
    assert!(archives.iter().any(|n| n == "events.jsonl.2"), "{archives:?}");
    // The report names the copies as copies of the live log.
    let copies: Vec<&serde_json::Value> =
        sources.as_array().unwrap().iter().filter(|s| s["copy_of"].is_string()).collect();
    assert!(!copies.is_empty(), "{sources}");
    assert!(copies.iter().all(|s| s["copy_of"].as_str().unwrap().ends_with("/events.jsonl")), "{sources}");
}

/// `copytruncate` and `compress`: the copy gzipped and removed, perhaps before
/// ajentik sees it, so the archive is told by the truncated log's first lines.
#[test]
fn a_log_copied_truncated_and_gzipped_by_logrotate_while_followed_counts_every_line_once() {
    let (archives, _) = rotate_while_followed("copytruncate\n  compress", 2);
    assert!(archives.iter().any(|n| n == "events.jsonl.2.gz"), "{archives:?}");
}

/// `copytruncate`, `compress` and `delaycompress`: the copy stays plain for a
/// round, then is renamed and gzipped.
#[test]
fn a_log_copied_truncated_and_gzipped_a_round_late_by_logrotate_while_followed_counts_every_line_once() {
    let (archives, _) = rotate_while_followed("copytruncate\n  compress\n  delaycompress", 3);
    assert!(archives.iter().any(|n| n == "events.jsonl.2.gz"), "{archives:?}");
    assert!(archives.iter().any(|n| n == "events.jsonl.1"), "{archives:?}");
}

/// Waits (30 s at most) for a report that counts at least `events`.
fn caught_up(reports: &std::sync::mpsc::Receiver<serde_json::Value>, events: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let report = reports.recv_timeout(Duration::from_secs(5)).unwrap();
        if report["ingest"]["events"].as_u64().is_some_and(|n| n >= events) {
            return;
        }
    }
}

/// Rotates a followed log `rounds` times with `options`; returns the names in
/// its folder after, and the last report's sources.
fn rotate_while_followed(options: &str, rounds: u64) -> (Vec<String>, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    let finish = work.path().join("finish.jsonl");
    let mut child = Command::new(BIN)
        .args(["monitor", "--follow", "--export", "json", "--every", "100ms", "--poll-interval", "50ms", "--log"])
        .arg(format!("{}/events.jsonl*", dir.path().display()))
        .env("XDG_CONFIG_HOME", "/nonexistent-config-dir")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, reports) = std::sync::mpsc::channel::<serde_json::Value>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for report in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(serde_json::from_str(&report).unwrap()).is_err() {
                return;
            }
        }
    });
    let mut written = 0;
    for round in 0..rounds {
        let base = round * 10_000;
        append(&log, &lines(base..base + 3000));
        // The follower keeps up between rotations (starved, it may not:
        // every order of looks within and across rotations is the model
        // test's, src/follow/tail/tests/schedules.rs); the rotation itself
        // races it as it would.
        caught_up(&reports, written + 3000);
        // What the writer adds to the moved log before it reopens.
        std::fs::write(&finish, lines(base + 3000..base + 3100)).unwrap();
        logrotate(work.path(), &log, &finish, options);
        written += 3100;
        append(&log, &lines(base + 5000..base + 5500));
        written += 500;
    }
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    // Every line once: wait for them all, then a while longer for any counted twice.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = serde_json::Value::Null;
    while Instant::now() < deadline && last["ingest"]["events"] != written {
        last = reports.recv_timeout(Duration::from_secs(5)).unwrap();
    }
    let settle = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < settle {
        last = reports.recv_timeout(Duration::from_secs(5)).unwrap();
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(last["ingest"]["events"], written, "{}", last["sources"]);
    assert_eq!(last["ingest"]["malformed"], 0, "{}", last["ingest"]);
    let uses: u64 = last["tools"].as_array().unwrap().iter().map(|t| t["usage_count"].as_u64().unwrap()).sum();
    assert_eq!(uses, written);
    (names, last["sources"].clone())
}
