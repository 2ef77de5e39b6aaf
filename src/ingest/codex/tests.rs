//! Rollout lines to events, on the example rollout of the formats note
//! (tests/fixtures/codex/): 2 model calls, 2 tool calls (one failed), 1 request.

use super::*;

const ROLLOUT: &str = include_str!("../../../tests/fixtures/codex/rollout.jsonl");
const NEWER: &str = include_str!("../../../tests/fixtures/codex/newer.jsonl");

/// What the lines give, counted as a fold counts them (each key once in `seen`).
fn events_seen(
    state: &mut CodexState,
    source: SourceId,
    text: &str,
    flush: bool,
    seen: &mut crate::ingest::Counted,
) -> Vec<Value> {
    let mut out = Vec::new();
    for line in text.lines() {
        state.convert(source, line.as_bytes(), &mut out).unwrap();
    }
    if flush {
        let mut rest = Vec::new();
        state.flush(None, &mut rest);
        out.extend(rest.into_iter().map(|(_, keyed)| keyed));
    }
    out.into_iter()
        .filter(|e| e.key.is_none_or(|k| seen.first_key(k)))
        .map(|e| e.line)
        .collect::<Vec<_>>()
        .iter()
        .map(|line| {
            let text = serde_json::to_string(line).unwrap();
            assert!(
                matches!(crate::ingest::v1::parse_line(text.as_bytes()), crate::ingest::v1::LineOutcome::Event(_)),
                "{text}"
            );
            serde_json::from_str(&text).unwrap()
        })
        .collect()
}

fn events(state: &mut CodexState, source: SourceId, text: &str, flush: bool) -> Vec<Value> {
    events_seen(state, source, text, flush, &mut crate::ingest::Counted::default())
}

#[test]
fn the_example_rollout_gives_two_calls_two_tools_and_one_request() {
    let got = events(&mut CodexState::default(), 0, ROLLOUT, true);
    let kinds: Vec<&str> = got.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["tool_call", "model_call", "tool_call", "model_call", "agent_request"], "{got:?}");
    let calls: Vec<&Value> = got.iter().filter(|e| e["type"] == "model_call").collect();
    // The re-emit (same total) is not a call; the second is the advance, which
    // equals its last_token_usage.
    assert_eq!((calls[0]["input_tokens"].as_u64(), calls[0]["output_tokens"].as_u64()), (Some(4318), Some(99)));
    assert_eq!((calls[0]["cache_read_tokens"].as_u64(), calls[0]["reasoning_tokens"].as_u64()), (Some(3072), Some(64)));
    assert_eq!((calls[1]["input_tokens"].as_u64(), calls[1]["output_tokens"].as_u64()), (Some(5632), Some(313)));
    assert_eq!(calls[1]["cache_read_tokens"], 5120);
    assert!(calls.iter().all(|c| c["model"] == "gpt-5.1-codex-max" && c["agent"] == "codex"));
    assert!(calls.iter().all(|c| c["session"] == "019ab86e-1e83-75b0-b2d7-d335492e7026"));
    let tools: Vec<&Value> = got.iter().filter(|e| e["type"] == "tool_call").collect();
    assert_eq!((tools[0]["tool"].as_str(), tools[0]["success"].as_bool()), (Some("shell_command"), Some(false)));
    assert_eq!((tools[0]["error_type"].as_str(), tools[0]["duration_ms"].as_f64()), (Some("exit_101"), Some(5100.0)));
    assert_eq!((tools[1]["tool"].as_str(), tools[1]["success"].as_bool()), (Some("apply_patch"), Some(true)));
    let request = got.last().unwrap();
    // From the prompt (00:35:56.773) to the turn's last line (00:50:14.502).
    assert_eq!(request["duration_ms"], 857729.0);
    assert_eq!(request["trace_id"], calls[0]["trace_id"]);
    // Where the session worked, from its meta: for the Sessions pane.
    assert_eq!(request["attrs"], serde_json::json!({"project": "/home/dev/acme-api", "git_branch": "main"}));
    let all = serde_json::to_string(&got).unwrap();
    for private in ["Run the tests", "cargo test", "Begin Patch", "sign error", "41 passed"] {
        assert!(!all.contains(private), "{private} leaked");
    }
}

#[test]
fn a_forked_copy_and_a_sub_agents_replay_count_nothing_again() {
    let mut state = CodexState::default();
    let mut seen = crate::ingest::Counted::default();
    let first = events_seen(&mut state, 0, ROLLOUT, false, &mut seen);
    assert_eq!(first.iter().filter(|e| e["type"] == "model_call").count(), 2);
    // The same rollout again in another file (an archived copy): its totals were
    // counted for this session.
    let again = events_seen(&mut state, 1, ROLLOUT, false, &mut seen);
    assert_eq!(again.iter().filter(|e| e["type"] == "model_call").count(), 0, "{again:?}");

    // A sub-agent file: two metas, then the parent's token history replayed in its
    // first second (the baseline), then its own call.
    let tc = |stamp: &str, input: u64, output: u64| {
        format!(
            r#"{{"timestamp":"{stamp}","type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{{"input_tokens":{input},"cached_input_tokens":0,"output_tokens":{output},"reasoning_output_tokens":0,"total_tokens":{}}}}}}}}}"#,
            input + output
        )
    };
    let sub = [
        NEWER.lines().nth(2).unwrap().to_owned(),
        tc("2026-05-12T08:03:00.100Z", 1000, 10),
        tc("2026-05-12T08:03:00.200Z", 3000, 30),
        tc("2026-05-12T08:03:09.000Z", 3500, 80),
    ]
    .join("\n");
    let got = events(&mut CodexState::default(), 0, &sub, false);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0]["input_tokens"].as_u64(), got[0]["output_tokens"].as_u64()), (Some(500), Some(50)));
    assert_eq!(got[0]["session"], "019e1c20-0000-7000-8000-0000000000b0", "the parent's session");
}

#[test]
fn rollout_lines_are_told_apart() {
    assert!(looks_like(ROLLOUT.lines().next().unwrap().as_bytes()));
    assert!(!looks_like(
        br#"{"ts":"2026-08-01T04:50:00Z","type":"tool_call","tool":"t","success":true,"duration_ms":3}"#
    ));
    assert!(!crate::ingest::claude::looks_like(ROLLOUT.lines().next().unwrap().as_bytes()));
    assert_eq!(outcome("Exit code: 0\nWall time: 2 seconds\nOutput:\n"), (Some(0), Some(2.0)));
    assert_eq!(outcome("Process exited with code 3"), (Some(3), None));
    assert_eq!(outcome(r#"{"output":"x","metadata":{"exit_code":1,"duration_seconds":0.5}}"#), (Some(1), Some(0.5)));
    assert_eq!(outcome("whatever an MCP tool says"), (None, None));
    // What the tool printed is not the header, however it reads.
    assert_eq!(outcome("Exit code: 0\nOutput:\nExit code: 7\nWall time: 9 seconds\n"), (Some(0), None));
    assert_eq!(outcome("a\nb\nc\nd\nExit code: 7\n"), (None, None));
}

#[test]
fn a_tools_exit_code_and_time_are_read_however_long_its_output() {
    // apply_patch's outcome is a JSON text whose metadata comes after the
    // output: past the part of a string that is kept of other fields.
    // Escaped twice: a newline in the inner JSON text, inside the line's.
    let long = "error: patch failed: src/lib.rs:12\\\\n".repeat(20);
    let output = format!(r#"{{\"output\":\"{long}\",\"metadata\":{{\"exit_code\":1,\"duration_seconds\":0.25}}}}"#);
    let lines = [
        ROLLOUT.lines().next().unwrap().to_owned(),
        r#"{"timestamp":"2025-11-25T00:50:09.953Z","type":"response_item","payload":{"type":"custom_tool_call","status":"completed","call_id":"call_1","name":"apply_patch","input":"*** Begin Patch"}}"#.to_owned(),
        format!(
            r#"{{"timestamp":"2025-11-25T00:50:10.953Z","type":"response_item","payload":{{"type":"custom_tool_call_output","call_id":"call_1","output":"{output}"}}}}"#
        ),
    ];
    let got = events(&mut CodexState::default(), 0, &lines.join("\n"), true);
    let tool = got.iter().find(|e| e["type"] == "tool_call").expect("a tool call");
    assert_eq!((tool["success"].as_bool(), tool["error_type"].as_str()), (Some(false), Some("exit_1")), "{tool}");
    assert_eq!(tool["duration_ms"], 250.0);
    assert!(!serde_json::to_string(&got).unwrap().contains("patch failed"));
}
