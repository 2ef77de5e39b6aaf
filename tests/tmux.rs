//! The live view in a real terminal (tmux), as a user drives it: every tab,
//! a report, new events appearing, a hostile escape sequence that must not
//! reach the terminal, and a clean exit.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: std::path::PathBuf,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").arg("-S").arg(&self.socket).args(args).output().expect("tmux must be installed");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    fn keys(&self, keys: &str) {
        self.run(&["send-keys", "-t", "t", keys]);
    }

    /// Waits until the screen shows `text` (polling, not sleeping blindly).
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(Instant::now() < deadline, "never showed {text:?}; the screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-S").arg(&self.socket).arg("kill-server").output();
    }
}

fn append(log: &Path, line: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(log).unwrap();
    writeln!(f, "{line}").unwrap();
}

#[test]
fn a_user_session_in_tmux() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample.jsonl"), &log).unwrap();
    let conf = dir.path().join("tmux.conf");
    std::fs::write(&conf, "set -g status off\nset -sg escape-time 0\nset -g default-terminal tmux-256color\nset -g set-titles on\nset -g set-titles-string '#T'\n").unwrap();
    let tmux = Tmux { socket: dir.path().join("sock") };
    let command = format!(
        "cd '{}' && XDG_CONFIG_HOME=/nonexistent '{}' monitor --live --log '{}'; echo \"[exit $?]\"; sleep 60",
        dir.path().display(),
        env!("CARGO_BIN_EXE_ajentik"),
        log.display()
    );
    tmux.run(&["-f", conf.to_str().unwrap(), "new-session", "-d", "-s", "t", "-x", "80", "-y", "24", &command]);
    tmux.run(&["select-pane", "-t", "t", "-T", "ajentik-e2e"]);
    // The first frames may show the history being read (a gauge); wait for the
    // overview it ends in.
    let first = tmux.wait_for("Health");
    assert!(first.contains("LIVE") && first.contains("1 Over"), "{first}");

    for (key, marker) in [
        ("2", "Reqs"),
        ("3", "Uses"),
        ("4", "Share"),
        ("5", "Firing"),
        ("6", "projected today"),
        ("7", "Traces (enter"),
        ("8", "Recent errors"),
        ("9", "Sessions ("),
        ("1", "requests/min"),
    ] {
        tmux.keys(key);
        tmux.wait_for(marker);
    }

    // The report is written and shown, rendered; esc closes it.
    tmux.keys("m");
    let screen = tmux.wait_for("copies its path");
    assert!(screen.contains("ajentik-reports/ajentik-report-") && screen.contains("ajentik report"), "{screen}");
    assert!(!screen.contains("# ajentik report"), "the Markdown is rendered, not shown raw:\n{screen}");
    tmux.keys("Escape");
    tmux.wait_for("Health");
    let reports: Vec<_> = std::fs::read_dir(dir.path().join("ajentik-reports")).unwrap().collect();
    assert_eq!(reports.len(), 1);

    // New events appear.
    tmux.keys("2");
    let now = ajentik::time::format_rfc3339(ajentik::time::wall_clock());
    append(
        &log,
        &format!(r#"{{"ts":"{now}","type":"agent_request","agent":"FreshAgent","success":true,"duration_ms":5}}"#),
    );
    tmux.wait_for("FreshAgent");

    // A hostile error message: the title must not change, the screen stays clean.
    let title_before = tmux.run(&["display-message", "-p", "-t", "t", "#{pane_title}"]);
    append(
        &log,
        &format!(
            r#"{{"ts":"{now}","type":"error","component":"x\u001b]2;pwned\u0007\u001b]0;pwned\u0007","error_type":"E\u001b[2J\u001b[?1049l","message":"bye\u001b[H\u001b[31m"}}"#
        ),
    );
    tmux.keys("8");
    let screen = tmux.wait_for("bye");
    let title_after = tmux.run(&["display-message", "-p", "-t", "t", "#{pane_title}"]);
    assert_eq!(title_before, title_after, "a log line changed the terminal's title");
    assert!(!title_after.contains("pwned"));
    assert!(screen.contains("1 Over"), "the screen was not cleared or left:\n{screen}");

    tmux.keys("q");
    let end = tmux.wait_for("[exit 0]");
    assert!(!end.contains("1 Over"), "the alternate screen was left:\n{end}");
    let mode = tmux.run(&["display-message", "-p", "-t", "t", "#{alternate_on}"]);
    assert_eq!(mode.trim(), "0", "the terminal is back on its main screen");
}

/// The live view on a pipe (`ssh host tail -F log | ajentik --log -`): the log
/// arrives on standard input, keys come from the terminal.
#[test]
fn the_live_view_follows_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("remote.jsonl");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample.jsonl"), &log).unwrap();
    let tmux = Tmux { socket: dir.path().join("sock") };
    let command = format!(
        "tail -n +1 -f '{}' | XDG_CONFIG_HOME=/nonexistent '{}' monitor --live --log -; echo \"[exit $?]\"; sleep 60",
        log.display(),
        env!("CARGO_BIN_EXE_ajentik")
    );
    tmux.run(&["new-session", "-d", "-s", "t", "-x", "100", "-y", "30", &command]);
    let first = tmux.wait_for("LIVE  stdin");
    assert!(first.contains("1 Overview"), "{first}");
    let now = ajentik::time::format_rfc3339(ajentik::time::wall_clock());
    append(
        &log,
        &format!(r#"{{"ts":"{now}","type":"agent_request","agent":"PipedAgent","success":true,"duration_ms":5}}"#),
    );
    tmux.keys("2");
    tmux.wait_for("PipedAgent");
    tmux.keys("q");
    tmux.wait_for("[exit 0]");
}

/// `monitor --live --serve`: the receiver runs beside the view, its port in the
/// header; what an OTLP client sends shows up in the panes.
#[test]
fn the_live_view_receives_otlp_with_serve() {
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("config/ajentik");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(config_dir.join("config.toml"), "[serve]\nlisten = \"127.0.0.1:0\"\ngrpc_listen = \"off\"\n")
        .unwrap();
    let log = dir.path().join("otlp.jsonl");
    let tmux = Tmux { socket: dir.path().join("sock") };
    let command = format!(
        "XDG_CONFIG_HOME='{}' '{}' --debug monitor --live --serve --log '{}'; echo \"[exit $?]\"; sleep 60",
        dir.path().join("config").display(),
        env!("CARGO_BIN_EXE_ajentik"),
        log.display()
    );
    tmux.run(&["new-session", "-d", "-s", "t", "-x", "120", "-y", "30", &command]);
    let screen = tmux.wait_for("spans/s");
    let port: u16 = screen
        .split("otlp :")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in the header:\n{screen}"));
    let now = ajentik::time::wall_clock() as u64 * 1000;
    let body = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"invoke_agent OtlpAgent","startTimeUnixNano":"{}","endTimeUnixNano":"{now}","attributes":[{{"key":"gen_ai.operation.name","value":{{"stringValue":"invoke_agent"}}}}]}}]}}]}}]}}"#,
        now - 250_000_000
    );
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json", "--data-binary"])
        .arg(&body)
        .arg(format!("http://127.0.0.1:{port}/v1/traces"))
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
    tmux.keys("2");
    let screen = tmux.wait_for("OtlpAgent");
    assert!(!screen.contains("DEBUG"), "diagnostics never draw on the live screen:\n{screen}");
    tmux.keys("q");
    let end = tmux.wait_for("[exit 0]");
    // --debug went to a file, named once the view has quit; the receiver's
    // request is in it.
    let path = end
        .split("diagnostics in ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no diagnostics file named:\n{end}"));
    let diagnostics = std::fs::read_to_string(path).unwrap();
    assert!(diagnostics.contains("serve: traces: 1 spans"), "{diagnostics}");
    assert!(diagnostics.contains("first read"), "{diagnostics}");
    // The port is free again once the view has quit.
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("the receiver let go of its port");
}

/// A post-mortem (`--now`) is never refreshed: the Alerts tab must list what
/// fired at that instant all the same (it read "Firing: none" under a tab that
/// counted three), and a writer that went quiet shows as `heartbeat_lost`.
#[test]
fn a_post_mortem_lists_its_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let tmux = Tmux { socket: dir.path().join("sock") };
    let command = format!(
        "XDG_CONFIG_HOME=/nonexistent '{}' monitor --live --log '{}' --now 2026-11-26T21:25:00Z; echo \"[exit $?]\"; sleep 60",
        env!("CARGO_BIN_EXE_ajentik"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample.jsonl").display()
    );
    tmux.run(&["new-session", "-d", "-s", "t", "-x", "80", "-y", "24", &command]);
    tmux.wait_for("POST-MORTEM");
    tmux.keys("5");
    let screen = tmux.wait_for("Firing: 3");
    assert!(screen.contains("heartbeat_lost worker-0") && screen.contains("heartbeat_lost worker-1"), "{screen}");
    assert!(screen.contains("21:24:31"), "since the last heartbeat (21:21:31) plus 3 minutes:\n{screen}");
    tmux.keys("q");
    tmux.wait_for("[exit 0]");
}
