use super::*;
use crate::synth::Rng;

/// The examples of `docs/event-log.md`, verbatim.
pub(crate) const SPEC_EXAMPLES: &str = r#"{"v":1,"ts":"2026-11-26T21:30:00.120Z","type":"agent_request","agent":"ChatAgent","success":true,"duration_ms":1500,"tokens":250,"cost_usd":0.05,"model":"gpt-4o","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}
{"v":1,"ts":"2026-11-26T21:30:00.100Z","type":"tool_call","tool":"web_search","agent":"ResearchAgent","success":true,"duration_ms":800}
{"v":1,"ts":"2026-11-26T21:30:00.090Z","type":"model_call","model":"gpt-4o","provider":"openai","agent":"ChatAgent","success":true,"duration_ms":1200,"input_tokens":180,"output_tokens":70}
{"v":1,"ts":"2026-11-26T21:30:01Z","type":"error","component":"DataProcessor","error_type":"ValidationError","message":"Invalid input format","context":{"input_size":1000}}
{"v":1,"ts":"2026-11-26T21:30:02Z","type":"span","name":"data_processing","agent":"DataAgent","duration_ms":340,"status":"ok","attrs":{"user_id":"u-17"}}
{"v":1,"ts":"2026-11-26T21:30:05Z","type":"heartbeat","process":"worker-1","pid":4242,"started_at":"2026-11-26T19:15:00Z","agents":["ChatAgent","CodeAgent"],"rss_bytes":104857600,"cpu_percent":12.5}
"#;

fn event(line: &str) -> Event<'_> {
    match parse_line(line.as_bytes()) {
        LineOutcome::Event(e) => e,
        other => panic!("expected an event from {line}, got {other:?}"),
    }
}

fn malformed(line: &[u8]) -> String {
    match parse_line(line) {
        LineOutcome::Malformed(reason) => reason,
        other => panic!("expected malformed from {:?}, got {other:?}", String::from_utf8_lossy(line)),
    }
}

#[test]
fn every_spec_example_parses() {
    let kinds: Vec<_> = SPEC_EXAMPLES.lines().map(|l| event(l).kind.type_name()).collect();
    assert_eq!(kinds, ["agent_request", "tool_call", "model_call", "error", "span", "heartbeat"]);
}

#[test]
fn agent_request_fields_are_read() {
    let line = SPEC_EXAMPLES.lines().next().unwrap();
    let e = event(line);
    assert_eq!(e.trace_id, Some(0x4bf92f3577b34da6a3ce929d0e0e4736));
    assert_eq!(e.span_id, Some(0x00f067aa0ba902b7));
    assert_eq!(e.ts, crate::time::parse_rfc3339("2026-11-26T21:30:00.120Z").unwrap());
    let Kind::AgentRequest { agent, success, duration_ms, tokens, cost_usd, model, .. } = e.kind else {
        panic!("wrong kind")
    };
    assert_eq!((&*agent, success, duration_ms, tokens, cost_usd), ("ChatAgent", true, 1500.0, Some(250), Some(0.05)));
    assert_eq!(model.as_deref(), Some("gpt-4o"));
}

#[test]
fn strings_without_escapes_are_borrowed_and_escapes_are_decoded() {
    let e = event(
        r#"{"ts":"2026-11-26T21:30:00Z","type":"tool_call","tool":"a\"b\u0041","success":false,"duration_ms":0}"#,
    );
    let Kind::ToolCall { tool, .. } = e.kind else { panic!() };
    assert_eq!(tool, "a\"bA");
    let e = event(r#"{"ts":"2026-11-26T21:30:00Z","type":"tool_call","tool":"plain","success":false,"duration_ms":0}"#);
    let Kind::ToolCall { tool, .. } = e.kind else { panic!() };
    assert!(matches!(tool, Cow::Borrowed("plain")));
}

#[test]
fn context_and_attrs_keep_their_raw_json() {
    let lines: Vec<_> = SPEC_EXAMPLES.lines().collect();
    let Kind::Error { context, .. } = event(lines[3]).kind else { panic!() };
    assert_eq!(context, Some(r#"{"input_size":1000}"#));
    assert_eq!(event(lines[4]).attrs, Some(r#"{"user_id":"u-17"}"#));
}

#[test]
fn version_rules() {
    let body = r#""ts":"2026-11-26T21:30:00Z","type":"error","component":"c","error_type":"E","message":"m""#;
    assert!(matches!(parse_line(format!("{{{body}}}").as_bytes()), LineOutcome::Event(_)));
    assert!(matches!(parse_line(format!("{{\"v\":null,{body}}}").as_bytes()), LineOutcome::Event(_)));
    assert!(matches!(parse_line(format!("{{\"v\":2,{body}}}").as_bytes()), LineOutcome::Unsupported));
    // A newer version may change any field: its lines are not judged by v1's rules.
    assert!(matches!(parse_line(br#"{"v":7,"type":"error","ts":5}"#), LineOutcome::Unsupported));
    for v in ["0", "-1", "1.0", "1e0", "\"1\"", "true"] {
        let reason = malformed(format!("{{\"v\":{v},{body}}}").as_bytes());
        assert!(reason.contains("`v`"), "{v}: {reason}");
    }
}

#[test]
fn unknown_types_are_not_checked_further() {
    assert!(matches!(parse_line(br#"{"type":"metric","agent":5,"ts":"never"}"#), LineOutcome::Unknown));
    assert!(matches!(parse_line(br#"{"type":"metric"}"#), LineOutcome::Unknown));
}

#[test]
fn a_known_field_is_checked_only_where_its_type_defines_it() {
    // `success` and `tool` mean nothing to an error event.
    let e = r#"{"ts":"2026-11-26T21:30:00Z","type":"error","component":"c","error_type":"E","message":"m","success":"yes","tool":7}"#;
    assert!(matches!(parse_line(e.as_bytes()), LineOutcome::Event(_)));
}

#[test]
fn null_optional_fields_are_absent_and_null_required_fields_missing() {
    let e = event(
        r#"{"ts":"2026-11-26T21:30:00Z","type":"model_call","model":"m","success":true,"duration_ms":1,"provider":null,"input_tokens":null,"trace_id":null}"#,
    );
    assert_eq!(e.trace_id, None);
    let reason =
        malformed(br#"{"ts":"2026-11-26T21:30:00Z","type":"model_call","model":null,"success":true,"duration_ms":1}"#);
    assert_eq!(reason, "model_call: missing required field `model`");
}

#[test]
fn blank_lines_are_blank() {
    for line in ["", " ", "\t \r", "\r"] {
        assert!(matches!(parse_line(line.as_bytes()), LineOutcome::Blank), "{line:?}");
    }
}

/// A model or tool call's duration may be left out by a writer that cannot
/// know it (an agent request's may not): the call is read, without one; a
/// duration given is checked as before.
#[test]
fn a_calls_duration_may_be_unknown() {
    let tool = event(r#"{"ts":"2026-11-26T21:30:00Z","type":"tool_call","tool":"t","success":true}"#);
    assert!(matches!(tool.kind, Kind::ToolCall { duration_ms: None, .. }), "{tool:?}");
    let model =
        event(r#"{"ts":"2026-11-26T21:30:00Z","type":"model_call","model":"m","success":true,"duration_ms":null}"#);
    assert!(matches!(model.kind, Kind::ModelCall { duration_ms: None, .. }), "{model:?}");
    let timed =
        event(r#"{"ts":"2026-11-26T21:30:00Z","type":"model_call","model":"m","success":true,"duration_ms":5}"#);
    assert!(matches!(timed.kind, Kind::ModelCall { duration_ms: Some(5.0), .. }), "{timed:?}");
    let negative = br#"{"ts":"2026-11-26T21:30:00Z","type":"tool_call","tool":"t","success":true,"duration_ms":-1}"#;
    assert!(malformed(negative).contains("`duration_ms` must be a number >= 0"));
    let request = br#"{"ts":"2026-11-26T21:30:00Z","type":"agent_request","agent":"A","success":true}"#;
    assert!(malformed(request).contains("missing required field `duration_ms`"));
}

#[test]
fn bad_lines_are_malformed_with_a_one_line_reason() {
    let ok = r#""ts":"2026-11-26T21:30:00Z","type":"agent_request","agent":"A","success":true"#;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"not json".to_vec(), "not valid JSON"),
        (b"[1,2]".to_vec(), "not a JSON object"),
        (b"\"str\"".to_vec(), "not a JSON object"),
        (b"{\"type\":\"error\"".to_vec(), "not valid JSON"),
        (b"{\"ts\":\"\xff\xfe\",\"type\":\"error\"}".to_vec(), "not valid UTF-8 at byte 7"),
        (b"{\"type\":\"error\"}\x00".to_vec(), "not valid JSON"),
        (b"{}".to_vec(), "missing required field `type`"),
        (br#"{"type":5}"#.to_vec(), "`type` must be a string"),
        (format!("{{{ok}}}").into_bytes(), "missing required field `duration_ms`"),
        (format!("{{{ok},\"duration_ms\":-1}}").into_bytes(), "`duration_ms` must be a number >= 0"),
        (format!("{{{ok},\"duration_ms\":\"5\"}}").into_bytes(), "`duration_ms` must be a number >= 0"),
        (format!("{{{ok},\"duration_ms\":1e999}}").into_bytes(), "not valid JSON"),
        (format!("{{{ok},\"duration_ms\":1,\"tokens\":2.5}}").into_bytes(), "`tokens` must be an integer"),
        (format!("{{{ok},\"duration_ms\":1,\"tokens\":1e2}}").into_bytes(), "`tokens` must be an integer"),
        (format!("{{{ok},\"duration_ms\":1,\"tokens\":9223372036854775808}}").into_bytes(), "`tokens` must be an integer"),
        (format!("{{{ok},\"duration_ms\":1,\"tokens\":123456789012345678901234567890}}").into_bytes(), "`tokens` must be an integer"),
        (format!("{{{ok},\"duration_ms\":1,\"cost_usd\":-0.5}}").into_bytes(), "`cost_usd` must be a number >= 0"),
        (format!("{{{ok},\"duration_ms\":1,\"trace_id\":\"4BF92F3577B34DA6A3CE929D0E0E4736\"}}").into_bytes(), "`trace_id` must be 32 lowercase hex"),
        (format!("{{{ok},\"duration_ms\":1,\"span_id\":\"00f067aa0ba902b\"}}").into_bytes(), "`span_id` must be 16 lowercase hex"),
        (format!("{{{ok},\"duration_ms\":1,\"parent_span_id\":\"+0f067aa0ba902b7\"}}").into_bytes(), "`parent_span_id` must be 16"),
        (format!("{{{ok},\"duration_ms\":1,\"attrs\":[1]}}").into_bytes(), "`attrs` must be an object"),
        (format!("{{{ok},\"duration_ms\":1,\"agent\":\"B\"}}").into_bytes(), "duplicate field `agent`"),
        (br#"{"type":"span","ts":"2026-11-26T21:30:00Z","name":"n","duration_ms":1,"status":"fine"}"#.to_vec(), "`status` must be \"ok\" or \"error\""),
        (br#"{"type":"span","ts":"2026-02-30T21:30:00Z","name":"n","duration_ms":1,"status":"ok"}"#.to_vec(), "not a real calendar date"),
        (br#"{"type":"span","ts":"2026-11-26 21:30:00Z","name":"n","duration_ms":1,"status":"ok"}"#.to_vec(), "not an RFC 3339"),
        (br#"{"type":"heartbeat","ts":"2026-11-26T21:30:00Z","process":"p","agents":["a",1]}"#.to_vec(), "`agents` must be an array of strings"),
        (br#"{"type":"heartbeat","ts":"2026-11-26T21:30:00Z","process":"p","started_at":"yesterday"}"#.to_vec(), "`started_at`"),
        (br#"{"type":"heartbeat","ts":"2026-11-26T21:30:00Z","process":"p","stopped":"yes"}"#.to_vec(), "`stopped` must be true or false"),
        (br#"{"type":"error","ts":"2026-11-26T21:30:00Z","component":"c","error_type":"E","message":"m","context":"x"}"#.to_vec(), "`context` must be an object"),
    ];
    for (line, want) in cases {
        let reason = malformed(&line);
        assert!(reason.contains(want), "{:?}: got {reason:?}, want {want:?}", String::from_utf8_lossy(&line));
        assert!(!reason.contains('\n'), "{reason:?}");
    }
}

/// A line breaking several rules is named by the first field read, in the
/// order the checks read them (the reads keep the first problem and go on).
#[test]
fn the_first_broken_field_is_the_one_named() {
    let cases: [(&[u8], &str); 6] = [
        (
            br#"{"type":"tool_call","ts":"2026-11-26T21:30:00Z","tool":5,"success":"yes","duration_ms":-1}"#,
            "tool_call: field `tool` must be a string",
        ),
        (
            br#"{"type":"tool_call","ts":"2026-11-26T21:30:00Z","success":"yes","duration_ms":-1}"#,
            "tool_call: missing required field `tool`",
        ),
        (
            br#"{"type":"agent_request","ts":"x","agent":7,"success":true,"duration_ms":1}"#,
            "agent_request: field `ts`: not an RFC 3339",
        ),
        (
            br#"{"type":"agent_request","ts":"2026-11-26T21:30:00Z","agent":"a","success":true,"duration_ms":1,"tokens":5,"cache_read_tokens":9,"cost_usd":-1}"#,
            "cache_read_tokens + cache_write_tokens + reasoning_tokens (9) exceed tokens (5)",
        ),
        (
            br#"{"type":"span","ts":"2026-11-26T21:30:00Z","name":"n","duration_ms":1,"status":"fine","error_type":3}"#,
            "span: field `status` must be \"ok\" or \"error\"",
        ),
        (
            br#"{"type":"model_call","ts":"2026-11-26T21:30:00Z","model":"m\u00e9","success":"no","cost_usd":"x"}"#,
            "model_call: field `success` must be true or false",
        ),
    ];
    for (line, want) in cases {
        let reason = malformed(line);
        assert!(reason.contains(want), "{:?}: got {reason:?}, want {want:?}", String::from_utf8_lossy(line));
    }
    // The next line is read afresh: the problem kept was its line's own.
    let good = br#"{"type":"tool_call","ts":"2026-11-26T21:30:00Z","tool":"t\u00e9","success":true}"#;
    let LineOutcome::Event(Event { kind: Kind::ToolCall { tool, .. }, .. }) = parse_line(good) else {
        panic!("a good line after bad ones is read")
    };
    assert_eq!(tool, "t\u{e9}");
}

#[test]
fn hostile_lines_never_panic() {
    let deep = format!("{{\"type\":\"error\",\"context\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(parse_line(deep.as_bytes()), LineOutcome::Malformed(_)));
    let deep_obj = format!("{}{}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    assert!(matches!(parse_line(deep_obj.as_bytes()), LineOutcome::Malformed(_)));
    let long = format!("{{\"type\":\"error\",\"pad\":\"{}\"}}", "x".repeat(5_000_000));
    assert!(matches!(parse_line(long.as_bytes()), LineOutcome::Malformed(_)));
    let huge = format!("{{\"type\":\"x\",\"n\":{}}}", "9".repeat(10_000));
    assert!(matches!(parse_line(huge.as_bytes()), LineOutcome::Unknown));
    for bytes in [&b"\x00\x00"[..], b"{\"\\ud800\":1}", b"{\"type\":\"\\u0000\"}", b"\xef\xbb\xbf{}"] {
        let _ = parse_line(bytes);
    }
}

#[test]
fn hex_ids_are_read_eight_digits_at_a_time() {
    let mut rng = crate::synth::Rng::new(3);
    for _ in 0..10_000 {
        let v = rng.next_u64();
        let text = format!("{v:016x}");
        assert_eq!(lower_hex::<16>(text.as_bytes()), Some(u128::from(v)));
        let mut bad = text.into_bytes();
        let at = rng.below(16);
        bad[at] = b"GgAF/:`{ \xff\x00-+xz"[rng.below(15)];
        assert_eq!(lower_hex::<16>(&bad), None, "{:?}", String::from_utf8_lossy(&bad));
    }
    let t = "4bf92f3577b34da6a3ce929d0e0e4736";
    assert_eq!(lower_hex::<32>(t.as_bytes()), Some(0x4bf92f3577b34da6a3ce929d0e0e4736));
    assert_eq!(lower_hex::<16>(t.as_bytes()), None, "wrong length");
    assert_eq!(lower_hex::<16>(b"0123456789abcdef"), Some(0x0123456789abcdef));
    assert_eq!(lower_hex::<16>(b"abc"), None);
    // Every byte value in every position of 8, 16, 24 and 32 digits.
    let digits = "0123456789abcdef0123456789abcdef";
    for value in 0..=255u8 {
        for at in 0..32 {
            let mut bytes = digits.as_bytes().to_vec();
            bytes[at] = value;
            let good = value.is_ascii_digit() || (b'a'..=b'f').contains(&value);
            let want =
                |n: usize| good.then(|| u128::from_str_radix(std::str::from_utf8(&bytes[..n]).unwrap(), 16).unwrap());
            assert_eq!(lower_hex::<32>(&bytes), want(32), "{value:#x} at {at}");
            if at < 24 {
                assert_eq!(lower_hex::<24>(&bytes[..24]), want(24), "{value:#x} at {at}");
            }
            if at < 16 {
                assert_eq!(lower_hex::<16>(&bytes[..16]), want(16), "{value:#x} at {at}");
            }
            if at < 8 {
                assert_eq!(lower_hex::<8>(&bytes[..8]), want(8), "{value:#x} at {at}");
            }
        }
    }
}

/// The examples of the cache, session and sampling section of `docs/event-log.md`, verbatim.
const PARTS_EXAMPLES: &str = r#"{"v":1,"ts":"2026-12-01T09:00:00.500Z","type":"model_call","model":"claude-sonnet-4-5","provider":"anthropic","agent":"coder","success":true,"duration_ms":4200,"input_tokens":10000,"output_tokens":2000,"cache_read_tokens":6000,"cache_write_tokens":3000,"cache_write_1h_tokens":1000,"reasoning_tokens":500,"session":"s-42"}
{"v":1,"ts":"2026-12-01T09:00:01Z","type":"tool_call","tool":"web_search","agent":"coder","success":true,"duration_ms":800,"session":"s-42","sample_rate":0.1}
"#;

#[test]
fn the_docs_show_the_parts_examples_verbatim() {
    let doc = include_str!("../../../docs/event-log.md");
    for line in PARTS_EXAMPLES.lines() {
        assert!(doc.contains(line), "docs/event-log.md lacks {line}");
    }
}

#[test]
fn cache_reasoning_session_and_sample_rate_are_read() {
    let mut lines = PARTS_EXAMPLES.lines();
    let e = event(lines.next().unwrap());
    assert_eq!(e.session.as_deref(), Some("s-42"));
    assert_eq!(e.sample_rate, None);
    let Kind::ModelCall { parts, input_tokens, .. } = e.kind else { panic!("wrong kind") };
    assert_eq!(input_tokens, Some(10_000));
    assert_eq!(
        parts,
        TokenParts { cache_read: 6_000, cache_write: 3_000, cache_write_1h: 1_000, reasoning: 500, web_searches: 0 }
    );
    let e = event(lines.next().unwrap());
    assert_eq!((e.session.as_deref(), e.sample_rate), (Some("s-42"), Some(0.1)));
    // Old lines read exactly as before: no parts, no session, no rate.
    let e = event(SPEC_EXAMPLES.lines().nth(2).unwrap());
    let Kind::ModelCall { parts, .. } = e.kind else { panic!("wrong kind") };
    assert!(parts.is_zero() && e.session.is_none() && e.sample_rate.is_none());
    // An agent request reports parts of its own total.
    let e = event(
        r#"{"ts":"2026-12-01T09:00:00Z","type":"agent_request","agent":"a","success":true,"duration_ms":1,"tokens":100,"cache_read_tokens":60,"reasoning_tokens":40,"sample_rate":1}"#,
    );
    let Kind::AgentRequest { parts, .. } = e.kind else { panic!("wrong kind") };
    assert_eq!((parts.cache_read, parts.reasoning, e.sample_rate), (60, 40, Some(1.0)));
}

#[test]
fn token_parts_beyond_their_totals_are_malformed_saying_which() {
    let model = |extra: &str| {
        format!(
            r#"{{"ts":"2026-12-01T09:00:00Z","type":"model_call","model":"m","success":true,"duration_ms":1,"input_tokens":100,"output_tokens":10{extra}}}"#
        )
    };
    let reason = malformed(model(r#","cache_read_tokens":60,"cache_write_tokens":41"#).as_bytes());
    assert_eq!(
        reason,
        "model_call: cache_read_tokens + cache_write_tokens (101) exceed input_tokens (100), which include them"
    );
    let reason = malformed(model(r#","reasoning_tokens":11"#).as_bytes());
    assert_eq!(reason, "model_call: reasoning_tokens (11) exceed output_tokens (10), which include them");
    let reason = malformed(model(r#","cache_write_tokens":5,"cache_write_1h_tokens":6"#).as_bytes());
    assert!(reason.contains("cache_write_1h_tokens (6) exceed cache_write_tokens (5)"), "{reason}");
    assert!(
        malformed(model(r#","cache_read_tokens":-1"#).as_bytes())
            .contains("`cache_read_tokens` must be an integer >= 0")
    );
    assert!(malformed(model(r#","cache_read_tokens":1.5"#).as_bytes()).contains("an integer >= 0"));
    // At the limit is fine.
    event(&model(r#","cache_read_tokens":60,"cache_write_tokens":40,"reasoning_tokens":10"#));
    let request = r#"{"ts":"2026-12-01T09:00:00Z","type":"agent_request","agent":"a","success":true,"duration_ms":1,"cache_read_tokens":1}"#;
    assert!(malformed(request.as_bytes()).contains("exceed tokens (0)"));
}

/// Web searches are counted apart from the tokens: no total includes them, so
/// they need none, and they are read on model calls and agent requests alike.
#[test]
fn web_searches_are_read_as_a_count_that_no_total_includes() {
    let model = |extra: &str| {
        format!(
            r#"{{"ts":"2026-12-01T09:00:00Z","type":"model_call","model":"m","success":true,"duration_ms":1{extra}}}"#
        )
    };
    let Kind::ModelCall { parts, input_tokens, .. } = event(&model(r#","web_search_requests":3"#)).kind else {
        panic!("wrong kind")
    };
    assert_eq!((parts.web_searches, input_tokens), (3, None));
    let Kind::ModelCall { parts, .. } =
        event(&model(r#","input_tokens":100,"output_tokens":10,"cache_read_tokens":100,"web_search_requests":2"#)).kind
    else {
        panic!("wrong kind")
    };
    assert_eq!((parts.cache_read, parts.web_searches), (100, 2));
    let request = r#"{"ts":"2026-12-01T09:00:00Z","type":"agent_request","agent":"a","success":true,"duration_ms":1,"tokens":5,"web_search_requests":4}"#;
    let Kind::AgentRequest { parts, .. } = event(request).kind else { panic!("wrong kind") };
    assert_eq!(parts.web_searches, 4);
    for bad in ["-1", "1.5", "\"2\"", "true"] {
        let reason = malformed(model(&format!(r#","web_search_requests":{bad}"#)).as_bytes());
        assert!(reason.contains("`web_search_requests` must be an integer >= 0"), "{bad}: {reason}");
    }
    let Kind::ModelCall { parts, .. } = event(&model(r#","web_search_requests":null"#)).kind else {
        panic!("wrong kind")
    };
    assert!(parts.is_zero());
}

#[test]
fn sample_rates_outside_zero_to_one_are_malformed_and_read_only_where_defined() {
    let tool = |rate: &str| {
        format!(
            r#"{{"ts":"2026-12-01T09:00:00Z","type":"tool_call","tool":"t","success":true,"duration_ms":1,"sample_rate":{rate}}}"#
        )
    };
    for bad in ["0", "-0.5", "1.01", "\"0.1\"", "true"] {
        let reason = malformed(tool(bad).as_bytes());
        assert!(reason.contains("`sample_rate` must be"), "{bad}: {reason}");
    }
    assert_eq!(event(&tool("1e-3")).sample_rate, Some(0.001));
    // Errors are never sampled and heartbeats are not operations: not read there.
    let error = r#"{"ts":"2026-12-01T09:00:00Z","type":"error","component":"c","error_type":"E","message":"m","sample_rate":7,"session":"s"}"#;
    let e = event(error);
    assert_eq!((e.sample_rate, e.session.as_deref()), (None, Some("s")));
    let beat = r#"{"ts":"2026-12-01T09:00:00Z","type":"heartbeat","process":"p","session":5,"sample_rate":"x"}"#;
    assert!(event(beat).session.is_none());
    let span = r#"{"ts":"2026-12-01T09:00:00Z","type":"span","name":"n","duration_ms":1,"status":"ok","session":5}"#;
    assert!(malformed(span.as_bytes()).contains("`session` must be a string"));
}

#[test]
fn keys_longer_than_sixteen_bytes_match_whole() {
    // Known keys past 16 bytes compare their tail too: a key that differs only
    // there is an unknown field, ignored; in any order, the known one is read.
    let line = r#"{"cache_write_1h_tokenz":9,"ts":"2026-12-01T09:00:00Z","type":"model_call","model":"m","success":true,"duration_ms":1,"input_tokens":9,"cache_write_tokens":4,"cache_write_1h_tokens":3}"#;
    let Kind::ModelCall { parts, .. } = event(line).kind else { panic!("wrong kind") };
    assert_eq!((parts.cache_write, parts.cache_write_1h), (4, 3));
    // Keys at the very end of a line (fewer than 16 bytes left) too.
    let line = r#"{"ts":"2026-12-01T09:00:00Z","type":"model_call","model":"m","success":true,"duration_ms":1,"input_tokens":9,"cache_read_tokens":2}"#;
    let Kind::ModelCall { parts, .. } = event(line).kind else { panic!("wrong kind") };
    assert_eq!(parts.cache_read, 2);
    assert!(malformed(br#"{"ts":"2026-12-01T09:00:00Z","type":"model_call","model":"m","success":true,"duration_ms":1,"cache_read_tokens":2,"cache_read_tokens":2}"#).contains("duplicate field `cache_read_tokens`"));
}

/// The indexed walk's reading of a line: its spans, or `None` where it gives up.
fn indexed(line: &str) -> Option<[Span; FIELD_COUNT]> {
    let mut raw = RawEvent { text: Text::new(line), spans: [Span::ABSENT; FIELD_COUNT] };
    let ok = SCRATCH.with_borrow_mut(|Scratch { structure: s, .. }| {
        s.index(line.as_bytes()) && Reader::new(line).capture_indexed(s, &KEY_TABLE, &mut raw.spans).is_ok()
    });
    ok.then_some(raw.spans)
}

/// Checks one line: where the indexed walk reads it, the byte reader reads the
/// same spans; and the byte reader's verdict on the JSON is serde_json's, but
/// for a duplicate known key (an error here, the last one wins there) and the
/// parts the JSON reader's own differential test allows. Returns whether the
/// walk read it.
fn walk_agrees(line: &str) -> bool {
    let mut raw = RawEvent { text: Text::new(line), spans: [Span::ABSENT; FIELD_COUNT] };
    let bytewise = raw.read_bytewise();
    let fast = indexed(line);
    if let Some(spans) = fast {
        assert!(bytewise.is_ok(), "the walk accepts what the byte reader refuses ({bytewise:?}): {line:?}");
        assert_eq!(spans, raw.spans, "{line:?}");
    }
    let serde = serde_json::from_str::<serde_json::Value>(line);
    match (&bytewise, serde) {
        (Ok(()), Ok(v)) => assert!(v.is_object(), "{line:?}"),
        (Ok(()), Err(e)) => {
            let why = e.to_string();
            assert!(
                ["number out of range", "surrogate", "recursion limit"].iter().any(|allowed| why.contains(allowed)),
                "we accept what serde_json refuses ({why}): {line:?}"
            );
        }
        (Err(ours), Ok(v)) => assert!(
            !v.is_object() || ours.what == "duplicate field" || ours.what == "number out of range",
            "we refuse ({ours}) what serde_json accepts: {line:?}"
        ),
        (Err(_), Err(_)) => {}
    }
    fast.is_some()
}

/// A line's keys in a shuffled order.
fn shuffle_keys(line: &str, rng: &mut Rng) -> String {
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).unwrap();
    let mut entries: Vec<_> = map.into_iter().collect();
    for i in (1..entries.len()).rev() {
        entries.swap(i, rng.below(i + 1));
    }
    let members: Vec<String> =
        entries.iter().map(|(k, v)| format!("{}:{v}", serde_json::to_string(k).unwrap())).collect();
    format!("{{{}}}", members.join(","))
}

/// Variants of a valid line that the walk must read, or give up on, exactly
/// as the byte reader does: shuffled keys, escapes in values and keys,
/// duplicate keys, long strings with backslash runs across 64-byte blocks.
fn variants(line: &str, rng: &mut Rng) -> Vec<String> {
    let shuffled = shuffle_keys(line, rng);
    let body = &shuffled[1..shuffled.len() - 1];
    let long = "x".repeat(60 + rng.below(200));
    let run = "\\\\".repeat(rng.below(4));
    vec![
        shuffled.clone(),
        format!("{{{body},\"note\":\"{long}{run}\\\"{long}\\u00e9\\n\"}}"),
        format!("{{\"note\":\"{run}\\\"{long}\",{body}}}"),
        format!("{{{body},\"\\u0061gent\":\"escaped key\"}}"),
        format!("{{{body},\"agent\":\"again\"}}"),
        format!("{{{body},\"zz\":1,\"zz\":[true,{{\"k\":null}}]}}"),
        format!(" \t{{ {} }}\r", body.replace(',', " , ").replace(':', " :\t")),
        // Python's json.dumps: a space after each ':' and ','.
        format!("{{{}}}", body.replace(",\"", ", \"").replace("\":", "\": ")),
        format!("{{{body},\"deep\":{}{}}}", "[".repeat(140), "]".repeat(140)),
        format!("{{{body},\"s\":\"{}\"}}", "é".repeat(40 + rng.below(60))),
    ]
}

#[test]
fn the_indexed_walk_reads_as_the_byte_reader_does() {
    let mut out = Vec::new();
    crate::synth::Generator::new(crate::synth::Settings { malformed_ratio: 0.0, ..Default::default() })
        .write_lines(&mut out, 300)
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut rng = Rng::new(7);
    let (mut cases, mut walked) = (0, 0);
    for line in text.lines() {
        assert!(walk_agrees(line), "the walk gives up on a plain line: {line}");
        let variants = variants(line, &mut rng);
        assert!(walk_agrees(&variants[0]), "the walk gives up on shuffled keys: {}", variants[0]);
        assert!(walk_agrees(&variants[7]), "the walk gives up on json.dumps' spaces: {}", variants[7]);
        for variant in &variants {
            walked += usize::from(walk_agrees(variant));
            for _ in 0..12 {
                if let Some(mutated) = json::tests::mutated(variant, &mut rng) {
                    walked += usize::from(walk_agrees(&mutated));
                    cases += 1;
                }
            }
        }
    }
    assert!(cases > 20_000, "{cases}");
    // The walk reads most lines itself, not only the easy ones.
    assert!(walked > cases / 3, "{walked} of {cases}");
}

#[test]
fn values_bounded_by_quote_positions_are_read_exactly() {
    // The walk bounds a compact scalar by the next key's quote (or the line's
    // last byte) and reads it afterwards: whatever sits between must be one
    // value, or the line is the byte reader's to judge.
    let head = r#"{"ts":"2026-12-01T09:00:00Z","type":"tool_call","tool":"t","success":true"#;
    let read_by_walk = [
        format!("{head},\"duration_ms\":1}}"),
        format!("{head},\"duration_ms\":1.5,\"agent\":\"a\"}}"),
        format!("{head},\"duration_ms\":-0,\"pid\":null,\"agent\":\"a\"}}"),
        format!("{head},\"duration_ms\":1e3}}"),
        format!("{head},\"duration_ms\":12345678901234567890}}"),
        format!("{head},\"duration_ms\":1,\"attrs\":{{\"k\":\"v\"}},\"agent\":\"a\"}}"),
        format!("{head},\"duration_ms\":1 ,\"agent\":\"a\"}}"),
        format!("{head},\"duration_ms\":1, \"agent\":\"a\"}}"),
        format!("{head},\"agent\":\"a\", \"duration_ms\":1}}"),
        format!("{head},\"duration_ms\": 1}} "),
        format!("{head},\"duration_ms\":1}}\r"),
        // Bounded without a quote in them: read in `finish` as the walk reads them.
        format!("{head},\"duration_ms\": 1,\"agent\":\"a\"}}"),
        format!("{head},\"duration_ms\":1,\"attrs\":{{}},\"agent\":\"a\"}}"),
        format!("{head},\"duration_ms\":1,\"attrs\":{{ }} ,\"agent\":\"a\"}}"),
        format!("{head},\"duration_ms\":\t1.5 }}"),
    ];
    for line in &read_by_walk {
        assert!(walk_agrees(line), "the walk gives up on {line}");
        let Kind::ToolCall { duration_ms, success: true, .. } = event(line).kind else { panic!("{line}") };
        assert!(duration_ms.is_some_and(|d| d >= 0.0), "{line}");
    }
    for bad in [
        format!("{head},\"duration_ms\":1,2,\"agent\":\"a\"}}"),
        format!("{head},\"duration_ms\":1}}}}"),
        format!("{head},\"duration_ms\":}}"),
        format!("{head},\"duration_ms\":,\"agent\":\"a\"}}"),
        format!("{head},\"duration_ms\":tru,\"agent\":\"a\"}}"),
        format!("{head},\"duration_ms\":truex}}"),
        format!("{head},\"duration_ms\":1}},\"agent\":\"a\"}}"),
        format!("{head},\"duration_ms\":1\"agent\":\"a\"}}"),
        format!("{head},\"duration_ms\":\"1\"\"agent\":\"a\"}}"),
        format!("{head},\"duration_ms\":1,\"agent\":\"a\""),
        format!("{head},\"duration_ms\":1,\"duration_ms\":1}}"),
        // A form feed is ASCII whitespace, not JSON's.
        format!("{head},\"duration_ms\":1\u{c},\"agent\":\"a\"}}"),
        format!("{head},\"duration_ms\":\u{c}1,\"agent\":\"a\"}}"),
        // A ',' inside an array bounds it short; what follows is no member.
        format!("{head},\"duration_ms\":[1,\"agent\":2}}"),
        format!("{head},\"duration_ms\":{{,\"agent\":2}}"),
        format!("{head},\"duration_ms\":[1,\"agent\"],\"x\":2}}"),
    ] {
        walk_agrees(&bad);
        assert!(indexed(&bad).is_none(), "the walk reads a broken line: {bad}");
        malformed(bad.as_bytes());
    }
}

#[test]
fn only_lines_without_escapes_make_events_that_borrow_everything() {
    let plain = r#"{"ts":"2026-12-01T09:00:00Z","type":"tool_call","tool":"search","agent":"A","success":true,"duration_ms":1,"session":"s"}"#;
    assert!(!holds_heap(&parse_line(plain.as_bytes())));
    // An escape is unescaped into an owned string, which the event must free:
    // such a line has a backslash, and its outcome is dropped, not forgotten.
    let escaped = plain.replace("\"search\"", "\"se\\u0061rch\"");
    let outcome = parse_line(escaped.as_bytes());
    assert!(
        holds_heap(&outcome)
            && matches!(&outcome, LineOutcome::Event(e) if matches!(&e.kind, Kind::ToolCall { tool, .. } if tool == "search"))
    );
    let beat = r#"{"ts":"2026-12-01T09:00:00Z","type":"heartbeat","process":"w","agents":["A"]}"#;
    assert!(is_heartbeat(&parse_line(beat.as_bytes())));
}

/// The walk reads past a line's last quote the line's length (twice): a line
/// that ends where a key should start, or inside a string, is given up on, and
/// the byte reader says what is wrong.
#[test]
fn lines_cut_short_are_given_up_on_by_the_walk() {
    // With a backslash in the line, the walk looks into each key for one.
    for cut in [
        r#"{"ts":1,"#,
        r#"{"ts":"a","#,
        r#"{"ts":"a\"b","#,
        r#"{"ts":"a\"b","v":1,"#,
        r#"{"ts":"a"#,
        r#"{"ts""#,
        "{",
        r#"{""#,
        r#"{"ts":"#,
        r#"{"ts":1"#,
    ] {
        assert!(indexed(cut).is_none(), "{cut}");
        assert!(matches!(parse_line(cut.as_bytes()), LineOutcome::Malformed(_)), "{cut}");
    }
    // The last member's value is bounded by the line's end.
    let spans = indexed(r#"{"type":"x","v":1}"#).expect("read by the walk");
    assert_eq!(spans[F::v as usize].raw(Text::new(r#"{"type":"x","v":1}"#)), "1");
}
