//! Transcript lines to events, row by row as docs/sources.md lists them, on the
//! example lines of the formats note (tests/fixtures/claude-code/).

use std::sync::Arc;

use super::*;
use crate::fold::Fold;
use crate::pricing::PriceTable;

const SESSION: &str = include_str!("../../../tests/fixtures/claude-code/session.jsonl");
const SUBAGENT: &str = include_str!("../../../tests/fixtures/claude-code/subagent.jsonl");
const LEGACY: &str = include_str!("../../../tests/fixtures/claude-code/legacy.jsonl");

/// The events a fold would count (each key once, as `Fold` does).
fn counted(out: Vec<Keyed>, seen: &mut crate::ingest::Counted) -> Vec<Line> {
    out.into_iter().filter(|e| e.key.is_none_or(|k| seen.first_key(k))).map(|e| e.line).collect()
}

/// Every event the lines give, as JSON, each checked by the event log's reader.
fn events(state: &mut ClaudeState, source: SourceId, text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for line in text.lines() {
        state.convert(source, line.as_bytes(), &mut out).unwrap();
    }
    counted(out, &mut crate::ingest::Counted::default())
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

/// The report of one transcript, read whole, at 05:00 of its day.
fn report_of(text: &str) -> crate::report::Report {
    let mut fold = Fold::new(None, Arc::new(PriceTable::built_in()));
    let s = fold.ingest.add_source("session.jsonl");
    for (i, line) in text.lines().enumerate() {
        fold.line(s, i as u64 + 1, line.as_bytes());
    }
    fold.flush_transcripts();
    let now = parse_rfc3339("2026-08-01T05:00:00Z").unwrap();
    crate::report::build(&fold, now, now, &crate::alerts::Thresholds::default())
}

#[test]
fn every_line_of_a_session_becomes_what_the_table_says() {
    let mut state = ClaudeState::default();
    let got = events(&mut state, 0, SESSION);
    let kinds: Vec<&str> = got.iter().map(|e| e["type"].as_str().unwrap()).collect();
    // The streamed response once, the Bash call, the API error (a failed call and
    // an error), the turn; the retry line and the result of an unseen tool use
    // give nothing.
    assert_eq!(kinds, ["model_call", "tool_call", "model_call", "error", "agent_request"], "{got:?}");
    let call = &got[0];
    assert_eq!(call["model"], "claude-sonnet-4-5-20250929");
    assert_eq!(call["agent"], "claude-code");
    assert_eq!(call["session"], "2b9d8116-e1de-4038-a101-5fd575fdcb0e");
    // Input includes the cache: 2 + 28,556 written; output from the last line.
    assert_eq!((call["input_tokens"].as_u64(), call["output_tokens"].as_u64()), (Some(28558), Some(187)));
    assert_eq!(call["cache_write_tokens"], 28556);
    assert!(call.get("cache_read_tokens").is_none() && call.get("cache_write_1h_tokens").is_none());
    // From the prompt (04:50:25.687) to the response's last line (04:50:28.596).
    assert_eq!(call["duration_ms"], 2909.0);
    let tool = &got[1];
    assert_eq!((tool["tool"].as_str(), tool["success"].as_bool()), (Some("Bash"), Some(true)));
    assert_eq!(tool["duration_ms"], 12637.0);
    assert_eq!(tool["trace_id"], call["trace_id"], "one turn, one trace");
    let failed = &got[2];
    assert_eq!(
        (failed["success"].as_bool(), failed["model"].as_str()),
        (Some(false), Some("claude-sonnet-4-5-20250929"))
    );
    assert_eq!(
        (got[3]["error_type"].as_str(), got[3]["message"].as_str()),
        (Some("rate_limit"), Some("API error 429 (rate_limit)"))
    );
    let turn = &got[4];
    assert_eq!((turn["agent"].as_str(), turn["duration_ms"].as_f64()), (Some("claude-code"), Some(59902.0)));
    assert_eq!(turn["attrs"]["project"], "/home/dev/acme-api");
    assert_eq!(turn["attrs"]["git_branch"], "main");
    assert_eq!(turn["span_id"], call["parent_span_id"], "the turn is the calls' parent");
    // Nothing of the content.
    let all = serde_json::to_string(&got).unwrap();
    for private in ["Run the test suite", "cargo test", "42 passed", "I'll run", "rate limit reached"] {
        assert!(!all.contains(private), "{private} leaked: {all}");
    }
}

#[test]
fn a_response_is_counted_once_with_its_final_usage_even_across_files() {
    let partial = |out: u64, stop: &str| {
        format!(
            r#"{{"type":"assistant","sessionId":"s","timestamp":"2026-08-01T04:50:27.166Z","requestId":"req_1","message":{{"id":"msg_1","model":"claude-opus-4-5","stop_reason":{stop},"usage":{{"input_tokens":10,"cache_read_input_tokens":100,"output_tokens":{out}}}}}}}"#
        )
    };
    let mut state = ClaudeState::default();
    let mut seen = crate::ingest::Counted::default();
    let mut out = Vec::new();
    for line in [partial(1, "null"), partial(1, "null"), partial(1130, "\"end_turn\"")] {
        state.convert(0, line.as_bytes(), &mut out).unwrap();
    }
    let first = counted(std::mem::take(&mut out), &mut seen);
    assert_eq!(first.len(), 1);
    let call = serde_json::to_value(&first[0]).unwrap();
    assert_eq!((call["output_tokens"].as_u64(), call["input_tokens"].as_u64()), (Some(1130), Some(110)));
    // The same response copied into a forked session's file: the same key, not
    // counted again.
    state.convert(1, partial(1130, "\"end_turn\"").as_bytes(), &mut out).unwrap();
    assert_eq!(out.len(), 1);
    assert!(counted(out, &mut seen).is_empty());

    // A response that never got its last line: counted with the largest usage
    // seen once the file moves on, or when flushed.
    let mut state = ClaudeState::default();
    let mut out = Vec::new();
    let streaming = partial(7, "null").replace("msg_1", "msg_2");
    state.convert(0, streaming.as_bytes(), &mut out).unwrap();
    assert!(out.is_empty(), "not before it is over");
    let mut flushed = Vec::new();
    state.flush(None, &mut flushed);
    assert_eq!(flushed.len(), 1);
    assert_eq!(serde_json::to_value(&flushed[0].1.line).unwrap()["output_tokens"], 7);
}

#[test]
fn sub_agents_are_named_by_type_and_legacy_costs_are_kept() {
    let mut state = ClaudeState::default();
    let got = events(&mut state, 0, SUBAGENT);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["agent"], "claude-code/general-purpose");
    assert_eq!(got[0]["session"], "2b9d8116-e1de-4038-a101-5fd575fdcb0e", "the parent's session");
    // Its prompt (the parent's, stamped after it) does not time it: no duration, not 0.
    assert!(got[0].get("duration_ms").is_none(), "{:?}", got[0]);
    assert_eq!(
        (got[0]["input_tokens"].as_u64(), got[0]["cache_read_tokens"].as_u64()),
        (Some(3 + 613 + 50973), Some(50973))
    );

    let got = events(&mut ClaudeState::default(), 0, LEGACY);
    assert_eq!(got.len(), 1, "the summary line gives nothing: {got:?}");
    assert_eq!(got[0]["cost_usd"], 0.1439);
}

#[test]
fn the_fold_tells_transcripts_from_event_logs_and_prices_them() {
    let mut fold = Fold::new(None, Arc::new(PriceTable::built_in()));
    let transcript = fold.ingest.add_source("session.jsonl");
    let log = fold.ingest.add_source("events.jsonl");
    for (i, line) in SESSION.lines().enumerate() {
        fold.line(transcript, i as u64 + 1, line.as_bytes());
    }
    fold.line(log, 1, br#"{"ts":"2026-08-01T04:50:00Z","type":"tool_call","tool":"t","success":true,"duration_ms":3}"#);
    fold.flush_transcripts();
    assert_eq!(fold.ingest.sources[transcript].format, Some(FORMAT));
    assert_eq!(fold.ingest.sources[log].format, None);
    assert_eq!(fold.ingest.sources[transcript].lines, 8);
    assert_eq!(fold.ingest.sources[transcript].events, 5);
    assert_eq!(fold.ingest.total().malformed, 0);
    let now = parse_rfc3339("2026-08-01T05:00:00Z").unwrap();
    let report = crate::report::build(&fold, now, now, &crate::alerts::Thresholds::default());
    let model = report.models.iter().find(|m| m.name == "claude-sonnet-4-5-20250929").unwrap();
    // 2 input x $3 + 28,556 cache writes x $3.75 + 187 output x $15, per million.
    let expected = (2.0 * 3.0 + 28556.0 * 3.75 + 187.0 * 15.0) / 1e6;
    assert!((model.cost_usd - expected).abs() < 1e-9, "{} against {expected}", model.cost_usd);
    assert_eq!(model.requests, 2, "the response and the failed call");
    assert_eq!(model.failures, 1);
}

#[test]
fn only_transcript_lines_tell_the_format() {
    assert!(looks_like(SESSION.lines().next().unwrap().as_bytes()));
    assert!(looks_like(LEGACY.lines().nth(1).unwrap().as_bytes()), "a summary line");
    assert!(!looks_like(
        br#"{"ts":"2026-08-01T04:50:00Z","type":"tool_call","tool":"t","success":true,"duration_ms":3}"#
    ));
    assert!(!looks_like(br#"{"type":"user","sessionId":"#));
    assert!(!looks_like(br#"{"type":"banana","sessionId":"s"}"#));
}

#[test]
fn a_failed_tool_result_is_a_failed_call_and_a_copy_is_the_same_call() {
    let use_line = r#"{"type":"assistant","sessionId":"s","timestamp":"2026-08-01T04:51:00.000Z","requestId":"r","message":{"id":"m","model":"claude-sonnet-4-5","stop_reason":"tool_use","content":[{"type":"tool_use","id":"toolu_9","name":"Write","input":{"file_path":"SECRET"}}],"usage":{"input_tokens":1,"output_tokens":2}}}"#;
    let result_line = r#"{"type":"user","sessionId":"s","timestamp":"2026-08-01T04:51:02.443Z","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_9","is_error":true,"content":"<tool_use_error>SECRET</tool_use_error>"}]}}"#;
    let mut state = ClaudeState::default();
    let got = events(&mut state, 0, &format!("{use_line}\n{result_line}"));
    let tool = got.iter().find(|e| e["type"] == "tool_call").unwrap();
    assert_eq!((tool["tool"].as_str(), tool["success"].as_bool()), (Some("Write"), Some(false)));
    assert_eq!((tool["error_type"].as_str(), tool["duration_ms"].as_f64()), (Some("tool_error"), Some(2443.0)));
    assert!(!serde_json::to_string(&got).unwrap().contains("SECRET"));
    // The same pair in a forked file: the same keys, so a fold counts it once.
    let mut out = Vec::new();
    let mut copy = ClaudeState::default();
    copy.convert(1, use_line.as_bytes(), &mut out).unwrap();
    copy.convert(1, result_line.as_bytes(), &mut out).unwrap();
    let mut first = Vec::new();
    state = ClaudeState::default();
    state.convert(0, use_line.as_bytes(), &mut first).unwrap();
    state.convert(0, result_line.as_bytes(), &mut first).unwrap();
    let keys = |v: &[Keyed]| v.iter().map(|e| e.key).collect::<Vec<_>>();
    assert_eq!(keys(&out), keys(&first));
    assert!(keys(&out).iter().all(Option::is_some));
}

#[test]
fn a_sessions_project_is_kept_for_the_sessions_pane() {
    let report = report_of(SESSION);
    let session = &report.sessions.recent[0];
    assert_eq!(session.project.as_deref(), Some("/home/dev/acme-api"));
    assert_eq!(session.git_branch.as_deref(), Some("main"));
    assert_eq!(session.place().as_deref(), Some("acme-api (main)"));
}

#[test]
fn a_response_left_unfinished_counts_once_its_file_has_been_quiet() {
    let line = r#"{"type":"assistant","sessionId":"s","timestamp":"2026-08-01T04:50:27.000Z","requestId":"r","message":{"id":"m9","model":"claude-opus-4-5","stop_reason":null,"usage":{"input_tokens":4,"output_tokens":9}}}"#;
    let mut fold = Fold::new(None, Arc::new(PriceTable::built_in()));
    let s = fold.ingest.add_source("session.jsonl");
    fold.line(s, 1, line.as_bytes());
    let at = |t: &str| parse_rfc3339(t).unwrap();
    // A minute later the response may still be streaming: not counted yet.
    fold.flush_quiet_transcripts(at("2026-08-01T04:51:27Z"));
    assert_eq!(fold.metrics.events, 0);
    // Past the quiet time: counted, with what it has.
    fold.flush_quiet_transcripts(at("2026-08-01T04:56:00Z"));
    assert_eq!(fold.metrics.events, 1);
    fold.flush_quiet_transcripts(at("2026-08-01T05:10:00Z"));
    assert_eq!(fold.metrics.events, 1, "once");
}

#[test]
fn a_long_working_folder_is_the_project_whole() {
    // Longer than the part of a text kept of a transcript line's other fields.
    let cwd = format!("/home/dev/{}/acme-api", "a-deeply-nested-workspace/".repeat(6));
    let text = SESSION.replace("/home/dev/acme-api", &cwd);
    let got = events(&mut ClaudeState::default(), 0, &text);
    let turn = got.iter().find(|e| e["type"] == "agent_request").expect("a turn");
    assert_eq!(turn["attrs"]["project"], cwd.as_str());
}

#[test]
fn a_fast_mode_response_is_its_models_fast_variant_at_six_times_the_price() {
    // Only the response's last line says its speed; the first has the larger
    // total (a partial line may repeat the input with an output of 1).
    let first = r#"{"type":"assistant","sessionId":"s","timestamp":"2026-08-01T04:50:27.000Z","requestId":"r","message":{"id":"m1","model":"claude-opus-4-6","stop_reason":null,"usage":{"input_tokens":1000,"cache_read_input_tokens":9000,"output_tokens":1}}}"#;
    let last = r#"{"type":"assistant","sessionId":"s","timestamp":"2026-08-01T04:50:29.000Z","requestId":"r","message":{"id":"m1","model":"claude-opus-4-6","stop_reason":"end_turn","usage":{"input_tokens":1000,"output_tokens":500,"speed":"fast"}}}"#;
    let text = format!("{first}\n{last}\n");
    let got = events(&mut ClaudeState::default(), 0, &text);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0]["model"].as_str(), got[0]["input_tokens"].as_u64()),
        (Some("claude-opus-4-6-fast"), Some(10_000))
    );
    let report = report_of(&text);
    // The usage kept is the first line's (the larger total, as for any
    // response): 1,000 input at $30, 9,000 cache reads at $3, 1 output at $150 a
    // million, six times the standard price ($0.009525).
    let expected = (1_000.0 * 30.0 + 9_000.0 * 3.0 + 150.0) / 1e6;
    assert!((report.cost.total_usd - expected).abs() < 1e-9, "{}", report.cost.total_usd);
    assert_eq!(report.models[0].name, "claude-opus-4-6-fast");
    // Usually the last line, which says the speed, holds the larger total.
    let last_kept = text.replace(
        r#""input_tokens":1000,"output_tokens":500"#,
        r#""input_tokens":1000,"cache_read_input_tokens":9000,"output_tokens":500"#,
    );
    let got = events(&mut ClaudeState::default(), 0, &last_kept);
    assert_eq!((got[0]["model"].as_str(), got[0]["output_tokens"].as_u64()), (Some("claude-opus-4-6-fast"), Some(500)));
    // A standard response stays the model's own.
    let standard = text.replace(r#","speed":"fast""#, r#","speed":"standard""#);
    let got = events(&mut ClaudeState::default(), 0, &standard);
    assert_eq!(got[0]["model"], "claude-opus-4-6");
}

#[test]
fn web_searches_are_counted_from_the_last_line_and_priced_by_the_search() {
    // The last line counts the searches (`server_tool_use`); the first, with the
    // larger total, is the usage kept: the count still holds.
    let first = r#"{"type":"assistant","sessionId":"s","timestamp":"2026-08-01T04:50:27.000Z","requestId":"r","message":{"id":"m1","model":"claude-sonnet-4-5","stop_reason":null,"usage":{"input_tokens":1000,"cache_read_input_tokens":9000,"output_tokens":1}}}"#;
    let last = r#"{"type":"assistant","sessionId":"s","timestamp":"2026-08-01T04:50:29.000Z","requestId":"r","message":{"id":"m1","model":"claude-sonnet-4-5","stop_reason":"end_turn","usage":{"input_tokens":1000,"output_tokens":500,"server_tool_use":{"web_search_requests":4,"web_fetch_requests":2}}}}"#;
    let text = format!("{first}\n{last}\n");
    let got = events(&mut ClaudeState::default(), 0, &text);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0]["input_tokens"].as_u64(), got[0]["web_search_requests"].as_u64()), (Some(10_000), Some(4)));
    let report = report_of(&text);
    // 1,000 input at $3, 9,000 cache reads at $0.30, 1 output at $15 a million;
    // 4 searches at $10 a thousand (web fetches cost only their tokens).
    let expected = (1_000.0 * 3.0 + 9_000.0 * 0.30 + 15.0) / 1e6 + 0.04;
    assert!((report.cost.total_usd - expected).abs() < 1e-9, "{}", report.cost.total_usd);
    assert_eq!(report.models[0].web_search_requests, 4);
    // No searches, no field.
    let none = text.replace(r#""web_search_requests":4"#, r#""web_search_requests":0"#);
    let got = events(&mut ClaudeState::default(), 0, &none);
    assert!(got[0].get("web_search_requests").is_none(), "{got:?}");
}
