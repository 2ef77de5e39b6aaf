use super::*;
use crate::ingest::v1::{LineOutcome, parse_line};
use crate::time::parse_rfc3339;

fn event(line: &str) -> Event<'_> {
    match parse_line(line.as_bytes()) {
        LineOutcome::Event(e) => e,
        other => panic!("not an event: {other:?}"),
    }
}

const ORIGIN: Origin<'static> = Origin { source: "/var/log/agents.jsonl", offset: 4096 };

fn attr<'a>(span: &'a SpanRecord, key: &str) -> Option<&'a AttrValue> {
    span.attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn s(v: &str) -> AttrValue {
    AttrValue::Str(v.to_string())
}

#[test]
fn agent_request_keeps_its_ids_and_times_and_follows_the_genai_names() {
    let e = event(
        r#"{"v":1,"ts":"2026-11-26T21:30:01.500Z","type":"agent_request","agent":"ChatAgent","success":true,"duration_ms":1500,"tokens":250,"cost_usd":0.05,"model":"gpt-4o","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","parent_span_id":"00f067aa0ba902b8","attrs":{"user_id":"u-17","priority":3,"urgent":false,"tags":["a"],"none":null}}"#,
    );
    let span = span_record(&e, ORIGIN, None).expect("an operation");
    assert_eq!(span.trace_id, 0x4bf92f3577b34da6a3ce929d0e0e4736);
    assert_eq!(span.span_id, 0x00f067aa0ba902b7);
    assert_eq!(span.parent_span_id, Some(0x00f067aa0ba902b8));
    assert_eq!(span.name, "invoke_agent ChatAgent");
    assert_eq!(span.kind, SpanKind::Internal);
    assert_eq!(span.end, parse_rfc3339("2026-11-26T21:30:01.500Z").expect("ts"));
    assert_eq!(span.start, parse_rfc3339("2026-11-26T21:30:00Z").expect("ts"));
    assert_eq!(attr(&span, "gen_ai.operation.name"), Some(&s("invoke_agent")));
    assert_eq!(attr(&span, "gen_ai.agent.name"), Some(&s("ChatAgent")));
    assert_eq!(attr(&span, "gen_ai.request.model"), Some(&s("gpt-4o")));
    assert_eq!(attr(&span, "operation.cost"), Some(&AttrValue::F64(0.05)));
    assert_eq!(attr(&span, "user_id"), Some(&s("u-17")));
    assert_eq!(attr(&span, "priority"), Some(&AttrValue::Int(3)));
    assert_eq!(attr(&span, "urgent"), Some(&AttrValue::Bool(false)));
    assert_eq!(attr(&span, "tags"), Some(&s(r#"["a"]"#)));
    assert_eq!(attr(&span, "none"), None, "null attributes are left out");
    assert_eq!(span.error, None);
}

#[test]
fn model_call_is_a_client_span_priced_when_it_has_no_cost() {
    let e = event(
        r#"{"ts":"2026-11-26T21:30:00Z","type":"model_call","model":"gpt-4o","provider":"openai","agent":"ChatAgent","success":true,"duration_ms":1200,"input_tokens":1000000,"output_tokens":0}"#,
    );
    let prices = PriceTable::built_in();
    let span = span_record(&e, ORIGIN, Some(&prices)).expect("an operation");
    assert_eq!(span.name, "chat gpt-4o");
    assert_eq!(span.kind, SpanKind::Client);
    assert_eq!(attr(&span, "gen_ai.operation.name"), Some(&s("chat")));
    assert_eq!(attr(&span, "gen_ai.system"), Some(&s("openai")));
    assert_eq!(attr(&span, "gen_ai.provider.name"), Some(&s("openai")));
    assert_eq!(attr(&span, "gen_ai.usage.input_tokens"), Some(&AttrValue::Int(1_000_000)));
    assert_eq!(attr(&span, "gen_ai.usage.output_tokens"), Some(&AttrValue::Int(0)));
    let expected = prices.lookup("gpt-4o").expect("built-in price").input;
    assert_eq!(attr(&span, "operation.cost"), Some(&AttrValue::F64(expected)));

    let unpriced = span_record(&e, ORIGIN, None).expect("an operation");
    assert_eq!(attr(&unpriced, "operation.cost"), None, "no price table, no invented cost");
}

#[test]
fn model_call_without_provider_names_the_system_unknown() {
    let e = event(r#"{"ts":"2026-11-26T21:30:00Z","type":"model_call","model":"m","success":false,"duration_ms":5}"#);
    let span = span_record(&e, ORIGIN, None).expect("an operation");
    assert_eq!(attr(&span, "gen_ai.system"), Some(&s("unknown")));
    assert_eq!(attr(&span, "gen_ai.provider.name"), None);
    assert_eq!(attr(&span, "error.type"), Some(&s("failure")));
    assert_eq!(span.error.as_deref(), Some("failure"));
}

#[test]
fn failed_tool_call_sets_error_status_and_type() {
    let e = event(
        r#"{"ts":"2026-11-26T21:30:00Z","type":"tool_call","tool":"web_search","agent":"ResearchAgent","success":false,"duration_ms":800,"error_type":"Timeout","error_message":"no answer in 800 ms"}"#,
    );
    let span = span_record(&e, ORIGIN, None).expect("an operation");
    assert_eq!(span.name, "execute_tool web_search");
    assert_eq!(attr(&span, "gen_ai.operation.name"), Some(&s("execute_tool")));
    assert_eq!(attr(&span, "gen_ai.tool.name"), Some(&s("web_search")));
    assert_eq!(attr(&span, "error.type"), Some(&s("Timeout")));
    assert_eq!(span.error.as_deref(), Some("Timeout: no answer in 800 ms"));
}

#[test]
fn a_named_span_keeps_its_name() {
    let e = event(
        r#"{"ts":"2026-11-26T21:30:02Z","type":"span","name":"data_processing","agent":"DataAgent","duration_ms":340,"status":"ok"}"#,
    );
    let span = span_record(&e, ORIGIN, None).expect("an operation");
    assert_eq!(span.name, "data_processing");
    assert_eq!(span.end - span.start, 340_000);
    assert_eq!(attr(&span, "ajentik.event.type"), Some(&s("span")));
}

#[test]
fn an_error_event_is_an_exception_under_the_span_it_names() {
    let e = event(
        r#"{"ts":"2026-11-26T21:30:01Z","type":"error","component":"DataProcessor","error_type":"ValidationError","message":"Invalid input format","context":{"input_size":1000},"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}"#,
    );
    let span = span_record(&e, ORIGIN, None).expect("an error span");
    assert_eq!(span.trace_id, 0x4bf92f3577b34da6a3ce929d0e0e4736);
    assert_eq!(span.parent_span_id, Some(0x00f067aa0ba902b7));
    assert_ne!(span.span_id, 0x00f067aa0ba902b7, "its own span, not a duplicate of the parent");
    assert_eq!(span.start, span.end);
    assert_eq!(span.error.as_deref(), Some("ValidationError: Invalid input format"));
    assert_eq!(span.events.len(), 1);
    let exception = &span.events[0];
    assert_eq!(exception.name, "exception");
    assert_eq!(exception.time, span.end);
    assert!(exception.attributes.contains(&("exception.type".into(), s("ValidationError"))));
    assert!(exception.attributes.contains(&("ajentik.context.input_size".into(), AttrValue::Int(1000))));
}

#[test]
fn heartbeats_are_not_spans() {
    let e = event(r#"{"ts":"2026-11-26T21:30:05Z","type":"heartbeat","process":"worker-1"}"#);
    assert_eq!(span_record(&e, ORIGIN, None), None);
}

#[test]
fn ids_for_events_without_them_are_stable_distinct_and_valid() {
    let line = r#"{"ts":"2026-11-26T21:30:00Z","type":"tool_call","tool":"t","success":true,"duration_ms":1}"#;
    let e = event(line);
    let a = span_record(&e, ORIGIN, None).expect("an operation");
    let b = span_record(&e, ORIGIN, None).expect("an operation");
    assert_eq!((a.trace_id, a.span_id), (b.trace_id, b.span_id));
    let mut seen = std::collections::HashSet::new();
    for offset in 0..10_000u64 {
        for source in ["a.jsonl", "b.jsonl"] {
            let (trace, span) = derived_ids(Origin { source, offset });
            assert!(trace != 0 && span != 0);
            assert!(seen.insert(span), "span id collision at {source}:{offset}");
        }
    }
}

#[test]
fn derived_ids_are_pinned_across_builds() {
    // FNV-1a of "a\0" and the offset's 8 little-endian bytes, computed apart (in
    // Python). These must never change, or every span pushed before an upgrade
    // would be pushed again under a new id.
    let (trace, span) = derived_ids(Origin { source: "a", offset: 1 });
    assert_eq!(span, 0x84cc_ce42_129a_6085);
    assert_eq!(trace, 0x6e57_204c_4e99_01cc_bfc0_6e28_7bf4_2f35);
}

#[test]
fn long_names_are_cut_on_a_character_boundary() {
    let name = "é".repeat(400);
    let line =
        format!(r#"{{"ts":"2026-11-26T21:30:00Z","type":"span","name":"{name}","duration_ms":1,"status":"error"}}"#);
    let e = event(&line);
    let span = span_record(&e, ORIGIN, None).expect("an operation");
    assert_eq!(span.name.len(), 512);
    assert!(span.name.chars().all(|c| c == 'é'));
    assert_eq!(span.error.as_deref(), Some("failure"));
}

#[test]
fn logfire_window_is_a_day_back_and_an_hour_ahead() {
    let now = parse_rfc3339("2026-11-26T12:00:00Z").expect("ts");
    assert!(within_logfire_window(now, now));
    assert!(within_logfire_window(now - LOGFIRE_PAST, now));
    assert!(!within_logfire_window(now - LOGFIRE_PAST - 1, now));
    assert!(within_logfire_window(now + LOGFIRE_AHEAD, now));
    assert!(!within_logfire_window(now + LOGFIRE_AHEAD + 1, now));
}
