//! `ajentik push` against a real OTLP/HTTP receiver on 127.0.0.1 that decodes the
//! protobuf (opentelemetry-proto): spans arrive exactly once with the right ids,
//! parents, times, names and attributes and the raw Logfire token; 503s are
//! retried; a 400 is reported; an interrupted push resumes from its cursor.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use ajentik::ingest::v1::{LineOutcome, parse_line};
use ajentik::otlp::{Origin, span_record};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

const BIN: &str = env!("CARGO_BIN_EXE_ajentik");
const TOKEN: &str = "pylf_v1_us_TESTSECRET0123";

/// What the receiver answers to its next requests (then 200 for the rest).
#[derive(Clone)]
enum Reply {
    Accept,
    /// Take the request and never answer: a backend that has not accepted it.
    Hang,
    Status(u16, &'static str),
}

#[derive(Default)]
struct Received {
    spans: Vec<Span>,
    service_names: Vec<String>,
    authorization: Vec<String>,
    requests: usize,
}

struct Receiver {
    port: u16,
    received: Arc<Mutex<Received>>,
}

impl Receiver {
    fn start(script: Vec<Reply>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let received = Arc::new(Mutex::new(Received::default()));
        let script = Arc::new(Mutex::new(script));
        let shared = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (received, script) = (shared.clone(), script.clone());
                std::thread::spawn(move || serve(stream, &received, &script));
            }
        });
        Receiver { port, received }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn take(&self) -> Received {
        std::mem::take(&mut *self.received.lock().expect("lock"))
    }
}

/// Serves HTTP/1.1 requests on one connection (the client keeps it alive).
fn serve(stream: TcpStream, received: &Mutex<Received>, script: &Mutex<Vec<Reply>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    loop {
        let mut headers = HashMap::new();
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        assert!(request_line.starts_with("POST /v1/traces "), "{request_line}");
        assert_eq!(headers.get("content-type").map(String::as_str), Some("application/x-protobuf"));
        let reply = {
            let mut script = script.lock().expect("lock");
            if script.is_empty() { None } else { Some(script.remove(0)) }
        };
        if let Some(Reply::Hang) = reply {
            received.lock().expect("lock").requests += 1;
            std::thread::sleep(std::time::Duration::from_secs(120));
            return;
        }
        let mut received = received.lock().expect("lock");
        received.requests += 1;
        let response = match reply {
            Some(Reply::Status(code, message)) => {
                format!("HTTP/1.1 {code} Nope\r\nRetry-After: 0\r\nContent-Length: {}\r\n\r\n{message}", message.len())
            }
            None | Some(Reply::Accept) | Some(Reply::Hang) => {
                let request = ExportTraceServiceRequest::decode(body.as_slice()).expect("a valid OTLP request");
                for resource_spans in request.resource_spans {
                    let resource = resource_spans.resource.unwrap_or_default();
                    for kv in resource.attributes {
                        if kv.key == "service.name"
                            && let Some(any_value::Value::StringValue(s)) = kv.value.and_then(|v| v.value)
                        {
                            received.service_names.push(s);
                        }
                    }
                    for scope_spans in resource_spans.scope_spans {
                        received.spans.extend(scope_spans.spans);
                    }
                }
                if let Some(auth) = headers.get("authorization") {
                    received.authorization.push(auth.clone());
                }
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n".to_string()
            }
        };
        drop(received);
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// `ajentik push --any-age`: the sample log is older than Logfire's window.
fn push(log: &Path, state: &Path, receiver: &Receiver, extra: &[&str]) -> Output {
    push_command(log, state, receiver, &[&["--any-age"], extra].concat()).output().expect("run ajentik push")
}

fn push_command(log: &Path, state: &Path, receiver: &Receiver, extra: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(["push", "--log"]).arg(log).arg("--state-dir").arg(state).args(extra);
    for (key, _) in std::env::vars() {
        if key.starts_with("OTEL_") || key.starts_with("LOGFIRE_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("LOGFIRE_TOKEN", TOKEN)
        .env("LOGFIRE_BASE_URL", receiver.base())
        .env_remove("AJENTIK_CONFIG")
        .env("XDG_CONFIG_HOME", state);
    cmd.current_dir(state);
    cmd
}

/// (trace id, span id) -> span, as the library builds them from the log.
fn expected(log: &Path) -> HashMap<(Vec<u8>, Vec<u8>), ajentik::otlp::SpanRecord> {
    let bytes = std::fs::read(log).expect("log");
    let source = log.canonicalize().expect("canonical").display().to_string();
    let mut spans = HashMap::new();
    let mut offset = 0u64;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if line.len() - 1 <= ajentik::fold::MAX_LINE_BYTES
            && let LineOutcome::Event(e) = parse_line(&line[..line.len() - 1])
            && let Some(span) = span_record(&e, Origin { source: &source, offset }, None)
        {
            let key = (span.trace_id.to_be_bytes().to_vec(), span.span_id.to_be_bytes().to_vec());
            spans.insert(key, span);
        }
        offset += line.len() as u64;
    }
    spans
}

fn assert_exactly_once(spans: &[Span], log: &Path) {
    let expected = expected(log);
    let mut seen = HashMap::new();
    for span in spans {
        *seen.entry((span.trace_id.clone(), span.span_id.clone())).or_insert(0) += 1;
        let want = expected.get(&(span.trace_id.clone(), span.span_id.clone())).expect("a span the log holds");
        assert_eq!(span.name, want.name);
        assert_eq!(span.start_time_unix_nano, want.start as u64 * 1000);
        assert_eq!(span.end_time_unix_nano, want.end as u64 * 1000);
        let parent = want.parent_span_id.map(|p| p.to_be_bytes().to_vec()).unwrap_or_default();
        assert_eq!(span.parent_span_id, parent, "{}", span.name);
        let status = span.status.clone().unwrap_or_default();
        assert_eq!(status.code == 2, want.error.is_some(), "{}: status {status:?}", span.name);
    }
    assert!(seen.values().all(|&n| n == 1), "a span arrived twice");
    assert_eq!(seen.len(), expected.len(), "every span arrived");
}

fn sample(dir: &Path) -> std::path::PathBuf {
    // Unique span ids only: the sample log repeats none, which the exactly-once
    // check relies on.
    let log = dir.join("agents.jsonl");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample.jsonl"), &log).expect("copy");
    log
}

#[test]
fn every_span_arrives_once_with_ids_times_attributes_and_the_raw_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = sample(dir.path());
    let receiver = Receiver::start(Vec::new());
    let out = push(&log, dir.path(), &receiver, &["--batch", "200", "--service-name", "agents-prod"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("TESTSECRET") && !String::from_utf8_lossy(&out.stderr).contains("TESTSECRET"));
    let got = receiver.take();
    assert_exactly_once(&got.spans, &log);
    assert!(got.requests > 1, "batched into several requests");
    assert!(got.authorization.iter().all(|a| a == TOKEN), "raw token, no Bearer");
    assert!(got.service_names.iter().all(|s| s == "agents-prod"));
    // A model call carries the GenAI attributes Logfire reads.
    let chat = got.spans.iter().find(|s| s.name.starts_with("chat ")).expect("a model call");
    assert_eq!(chat.kind, 3, "CLIENT");
    let keys: Vec<&str> = chat.attributes.iter().map(|kv| kv.key.as_str()).collect();
    for key in ["gen_ai.operation.name", "gen_ai.request.model", "gen_ai.system"] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    assert!(stdout.contains(&format!("pushed {} spans", got.spans.len())), "{stdout}");

    // Again: the cursor says everything was taken, so nothing is resent.
    let out = push(&log, dir.path(), &receiver, &[]);
    assert!(out.status.success());
    assert_eq!(receiver.take().spans.len(), 0);
    // New lines: only they are sent.
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).expect("append");
    writeln!(
        file,
        r#"{{"ts":"2026-11-26T23:00:00Z","type":"tool_call","tool":"late","success":true,"duration_ms":3}}"#
    )
    .expect("write");
    write!(file, r#"{{"ts":"2026-11-26T23:00:01Z","type":"tool_call","tool":"half"#).expect("write");
    drop(file);
    let out = push(&log, dir.path(), &receiver, &[]);
    assert!(out.status.success());
    let got = receiver.take();
    assert_eq!(got.spans.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["execute_tool late"]);
}

#[test]
fn a_receiver_that_answers_503_twice_still_gets_everything_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = sample(dir.path());
    let receiver = Receiver::start(vec![Reply::Status(503, "busy"), Reply::Status(503, "busy")]);
    let out = push(&log, dir.path(), &receiver, &["--batch", "500"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got = receiver.take();
    assert_exactly_once(&got.spans, &log);
    assert_eq!(got.requests, got.spans.len().div_ceil(500) + 2, "two refusals, then each batch once");
}

#[test]
fn a_400_is_reported_and_an_interrupted_push_resumes_without_loss_or_repeat() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = sample(dir.path());
    // The first batch is taken, the second rejected: the push stops there, saying why.
    let receiver = Receiver::start(vec![Reply::Accept, Reply::Status(400, "trace id is invalid")]);
    let out = push(&log, dir.path(), &receiver, &["--batch", "300"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("400") && stderr.contains("trace id is invalid"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    let mut spans = receiver.take().spans;
    assert_eq!(spans.len(), 300, "exactly the accepted batch");
    // Started again: the rest, from the saved cursor, and nothing twice.
    let out = push(&log, dir.path(), &receiver, &["--batch", "300"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    spans.extend(receiver.take().spans);
    assert_exactly_once(&spans, &log);
}

#[test]
fn killing_push_follow_mid_way_and_starting_again_neither_loses_nor_repeats() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = sample(dir.path());
    // Two batches are taken; the third is never answered, and push is killed
    // while it waits, so that batch was never accepted.
    let receiver = Receiver::start(vec![Reply::Accept, Reply::Accept, Reply::Hang]);
    let mut child = push_command(
        &log,
        dir.path(),
        &receiver,
        &["--any-age", "--follow", "--batch", "100", "--poll-interval", "50ms"],
    )
    .stdout(std::process::Stdio::null())
    .spawn()
    .expect("spawn push --follow");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while receiver.received.lock().expect("lock").requests < 3 {
        assert!(std::time::Instant::now() < deadline, "push --follow never sent its third batch");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    let mut spans = receiver.take().spans;
    assert_eq!(spans.len(), 200);
    // More arrives while it is down.
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).expect("append");
    for i in 0..5 {
        writeln!(
            file,
            r#"{{"ts":"2026-11-26T23:00:0{i}Z","type":"tool_call","tool":"late","success":true,"duration_ms":3}}"#
        )
        .expect("write");
    }
    drop(file);
    let out = push(&log, dir.path(), &receiver, &["--batch", "100"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    spans.extend(receiver.take().spans);
    assert_exactly_once(&spans, &log);
}

#[test]
fn the_logfire_window_and_since_skip_what_they_should_and_say_so() {
    use ajentik::time::{MICROS_PER_HOUR, format_rfc3339, wall_clock};
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("window.jsonl");
    let now = wall_clock();
    let line = |at: i64, tool: &str| {
        format!(
            r#"{{"ts":"{}","type":"tool_call","tool":"{tool}","success":true,"duration_ms":1}}"#,
            format_rfc3339(at)
        )
    };
    let lines = [
        line(now - 25 * MICROS_PER_HOUR, "too_old"),
        line(now - 3 * MICROS_PER_HOUR, "before_since"),
        line(now - MICROS_PER_HOUR, "recent"),
        line(now + 2 * MICROS_PER_HOUR, "too_far_ahead"),
    ];
    std::fs::write(&log, lines.join("\n") + "\n").expect("write");
    let receiver = Receiver::start(Vec::new());
    let out = push_command(&log, dir.path(), &receiver, &[]).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("pushed 2 spans") && stdout.contains("skipped 2 operations outside Logfire's window"),
        "{stdout}"
    );
    let mut names: Vec<String> = receiver.take().spans.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(names, ["execute_tool before_since", "execute_tool recent"]);

    // --since (a duration before now) passes over what ended before it.
    let out = push_command(&log, dir.path(), &receiver, &["--since", "2h", "--from-start"]).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let names: Vec<String> = receiver.take().spans.into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["execute_tool recent"]);
    let out = push_command(&log, dir.path(), &receiver, &["--since", "yesterday"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--since"));
}

#[test]
fn the_live_views_background_push_follows_the_log_and_reports_its_state() {
    use ajentik::push::{BackgroundPush, PushArgs, PushState};
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().expect("tempdir");
    let log = sample(dir.path());
    let receiver = Receiver::start(Vec::new());
    let args = PushArgs {
        endpoint: Some(format!("{}/v1/traces", receiver.base())),
        any_age: true,
        state_dir: Some(dir.path().join("state")),
        poll_interval: Duration::from_millis(50),
        ..PushArgs::following()
    };
    let prices = std::sync::Arc::new(ajentik::pricing::PriceTable::built_in());
    let push = BackgroundPush::start(vec![log.display().to_string()], args.clone(), prices.clone());
    let want = expected(&log).len() as u64;
    let wait_for = |push: &BackgroundPush, sent: u64| {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match push.state() {
                PushState::Pushing { sent: s, .. } if s == sent => return,
                PushState::Failed { reason } => panic!("failed: {reason}"),
                _ => {}
            }
            assert!(Instant::now() < deadline, "never reached {sent} sent: {:?}", push.state());
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait_for(&push, want);
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).expect("append");
    writeln!(
        file,
        r#"{{"ts":"2026-11-26T23:00:00Z","type":"tool_call","tool":"late","success":true,"duration_ms":3}}"#
    )
    .expect("write");
    drop(file);
    wait_for(&push, want + 1);
    push.stop();
    assert_exactly_once(&receiver.take().spans, &log);

    // With nowhere to push, it says why instead of retrying forever.
    let nowhere = PushArgs { endpoint: Some("collector:4318".into()), ..args };
    let push = BackgroundPush::start(vec![log.display().to_string()], nowhere, prices);
    let deadline = Instant::now() + Duration::from_secs(30);
    let reason = loop {
        if let PushState::Failed { reason } = push.state() {
            break reason;
        }
        assert!(Instant::now() < deadline, "{:?}", push.state());
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(reason.contains("--endpoint") && reason.contains("not an http"), "{reason}");
}

#[test]
fn the_config_file_can_hold_the_token_and_the_service_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = sample(dir.path());
    std::fs::create_dir_all(dir.path().join("ajentik")).expect("mkdir");
    std::fs::write(
        dir.path().join("ajentik/config.toml"),
        "[push]\nservice_name = \"from-config\"\nlogfire_token = \"pylf_v1_us_CONFIGSECRET\"\n",
    )
    .expect("config");
    let receiver = Receiver::start(Vec::new());
    let mut cmd = push_command(&log, dir.path(), &receiver, &["--any-age"]);
    cmd.env_remove("LOGFIRE_TOKEN");
    let out = cmd.output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got = receiver.take();
    assert!(!got.spans.is_empty());
    assert!(got.authorization.iter().all(|a| a == "pylf_v1_us_CONFIGSECRET"));
    assert!(got.service_names.iter().all(|s| s == "from-config"));

    // --debug version says where the token came from, without showing it.
    let mut cmd = push_command(&log, dir.path(), &receiver, &[]);
    cmd.env_remove("LOGFIRE_TOKEN");
    let out = Command::new(BIN)
        .args(["--debug", "version"])
        .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k.to_os_string(), v.to_os_string()))))
        .env_remove("LOGFIRE_TOKEN")
        .current_dir(dir.path())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("logfire token: pylf_v1_us_**** (23 characters) from LOGFIRE_TOKEN (config file)"),
        "{stderr}"
    );
    assert!(!stderr.contains("CONFIGSECRET"), "{stderr}");
}

#[test]
fn a_rotated_log_is_pushed_from_its_start_even_once_longer_than_the_old_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = sample(dir.path());
    let receiver = Receiver::start(Vec::new());
    assert!(push(&log, dir.path(), &receiver, &[]).status.success());
    let _ = receiver.take();
    // Rotation: the old file moves away, a new one (already longer) takes its name.
    let old_len = std::fs::metadata(&log).expect("meta").len();
    std::fs::rename(&log, dir.path().join("agents.jsonl.1")).expect("rotate");
    let mut text = String::new();
    let mut i = 0;
    while (text.len() as u64) <= old_len + 1000 {
        text.push_str(&format!(
            "{{\"ts\":\"2026-11-26T23:00:00Z\",\"type\":\"tool_call\",\"tool\":\"rotated-{i}\",\"success\":true,\"duration_ms\":1}}\n"
        ));
        i += 1;
    }
    std::fs::write(&log, &text).expect("new log");
    let out = push(&log, dir.path(), &receiver, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let spans = receiver.take().spans;
    assert_eq!(spans.len(), i, "every line of the new file");
    assert!(spans.iter().all(|s| s.name.starts_with("execute_tool rotated-")));
    assert_exactly_once(&spans, &log);
}

#[test]
fn push_follow_waits_out_an_outage_but_stops_on_a_permanent_refusal() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().expect("tempdir");
    let log = sample(dir.path());
    // Four 503s outlast the exporter's three retries: --follow tries again later.
    let busy = vec![Reply::Status(503, "busy"); 4];
    let receiver = Receiver::start(busy);
    let mut child = push_command(&log, dir.path(), &receiver, &["--any-age", "--follow", "--poll-interval", "50ms"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let want = expected(&log).len();
    let deadline = Instant::now() + Duration::from_secs(60);
    while receiver.received.lock().expect("lock").spans.len() < want {
        assert!(Instant::now() < deadline, "the outage was not waited out");
        assert!(child.try_wait().expect("wait").is_none(), "push --follow gave up on a 503");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill");
    let out = child.wait_with_output().expect("output");
    assert!(String::from_utf8_lossy(&out.stderr).contains("trying again"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_exactly_once(&receiver.take().spans, &log);

    let dir = tempfile::tempdir().expect("tempdir");
    let log = sample(dir.path());
    let receiver = Receiver::start(vec![Reply::Status(413, "request too large")]);
    let out = push_command(&log, dir.path(), &receiver, &["--any-age", "--follow", "--poll-interval", "50ms"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("HTTP 413: request too large"), "{stderr}");
}

/// A 2 MiB line (the writer's bug, or an attack) is skipped and counted, the
/// cursor passes it, and every other span arrives once: one poison line must not
/// make push take gigabytes, nor stop every later run.
#[test]
fn a_line_over_a_mebibyte_is_skipped_counted_and_passed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = sample(dir.path());
    let mut text = std::fs::read_to_string(&log).expect("read");
    let huge = format!(
        "{{\"ts\":\"2026-11-26T21:10:00Z\",\"type\":\"tool_call\",\"tool\":\"{}\",\"success\":true,\"duration_ms\":1}}\n",
        "x".repeat(2 << 20)
    );
    let middle = text.len() / 2;
    let at = middle + text[middle..].find('\n').expect("a newline") + 1;
    text.insert_str(at, &huge);
    std::fs::write(&log, text).expect("write");
    let receiver = Receiver::start(Vec::new());
    let out = push(&log, dir.path(), &receiver, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let got = receiver.take();
    // `expected` leaves lines over the limit out, as the contract says.
    assert_exactly_once(&got.spans, &log);
    assert!(stdout.contains("malformed lines not pushed"), "{stdout}");
    let again = push(&log, dir.path(), &receiver, &[]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(receiver.take().spans.len(), 0, "the cursor passed the line");
}

/// Lines appended to the log after a pass, then rotated away by rename, are
/// pushed (from the old file, under its new name) before the new file's.
#[test]
fn a_rotated_logs_last_lines_are_pushed_before_the_new_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = sample(dir.path());
    let receiver = Receiver::start(Vec::new());
    assert!(push(&log, dir.path(), &receiver, &[]).status.success());
    let _ = receiver.take();
    let line = |name: &str| {
        format!(
            "{{\"ts\":\"2026-11-26T23:00:00Z\",\"type\":\"tool_call\",\"tool\":\"{name}\",\"success\":true,\"duration_ms\":1}}\n"
        )
    };
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).expect("append");
    file.write_all((line("late-1") + &line("late-2")).as_bytes()).expect("write");
    drop(file);
    let rotated = dir.path().join("agents.jsonl.1");
    std::fs::rename(&log, &rotated).expect("rotate");
    std::fs::write(&log, line("new-1")).expect("new log");
    let out = push(&log, dir.path(), &receiver, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut names: Vec<String> = receiver.take().spans.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(names, ["execute_tool late-1", "execute_tool late-2", "execute_tool new-1"]);
    // Nothing twice on the next pass.
    assert!(push(&log, dir.path(), &receiver, &[]).status.success());
    assert_eq!(receiver.take().spans.len(), 0);
}
