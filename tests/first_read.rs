//! A log truncated while its first read is under way (on Linux, parsed in place
//! through mapped windows): the process never dies of SIGBUS, and the report is of
//! the log before or after the truncation, never of a mix or of lost pages.

use std::process::Command;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_ajentik");
const LINES: u64 = 20_000;

fn events_and_malformed(stdout: &[u8]) -> (u64, u64) {
    let report: serde_json::Value = serde_json::from_slice(stdout).expect("a JSON report");
    let ingest = &report["ingest"];
    (ingest["events"].as_u64().expect("events"), ingest["malformed"].as_u64().expect("malformed"))
}

#[test]
fn a_log_truncated_during_its_first_read_never_kills_the_reader() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    let made = Command::new(BIN)
        .args(["generate", "--lines", &LINES.to_string(), "--malformed", "0", "--log"])
        .arg(&log)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let whole = std::fs::read(&log).unwrap();
    let lines = whole.iter().filter(|&&b| b == b'\n').count() as u64;
    // Cut at a line's end, so that what is left is whole lines.
    let cut = whole[..whole.len() / 10].iter().rposition(|&b| b == b'\n').unwrap() + 1;
    let lines_left = whole[..cut].iter().filter(|&&b| b == b'\n').count() as u64;
    for delay_ms in [0, 30, 60, 100, 150, 250, 400, 600] {
        std::fs::write(&log, &whole).unwrap();
        let child = Command::new(BIN)
            .args(["monitor", "--export", "json", "--threads", "2", "--log"])
            .arg(&log)
            .env("XDG_CONFIG_HOME", "/nonexistent-config-dir")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        std::fs::OpenOptions::new().write(true).open(&log).unwrap().set_len(cut as u64).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "delay {delay_ms} ms: {:?} (a signal, if no exit code): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let (events, malformed) = events_and_malformed(&out.stdout);
        assert_eq!(malformed, 0, "delay {delay_ms} ms: no zeros from lost pages were read as lines");
        assert!(events == lines || events <= lines_left, "delay {delay_ms} ms: {events} events");
    }
}
