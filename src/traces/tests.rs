use super::*;
use crate::ingest::v1::{LineOutcome, parse_line};

const T: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn line(kind: &str, span: &str, parent: Option<&str>, ts: &str, ms: u32, extra: &str) -> String {
    let parent = parent.map(|p| format!(",\"parent_span_id\":\"{p}\"")).unwrap_or_default();
    let body = match kind {
        "agent_request" => format!("\"agent\":\"ChatAgent\",\"success\":true,\"duration_ms\":{ms}"),
        "model_call" => format!(
            "\"model\":\"gpt-4o\",\"agent\":\"ChatAgent\",\"success\":true,\"duration_ms\":{ms},\"input_tokens\":100,\"output_tokens\":50,\"cost_usd\":0.5"
        ),
        "tool_call" => {
            format!("\"tool\":\"web_search\",\"success\":false,\"duration_ms\":{ms},\"error_type\":\"Timeout\"")
        }
        _ => format!("\"name\":\"response_generation\",\"duration_ms\":{ms},\"status\":\"ok\""),
    };
    format!(
        "{{\"ts\":\"2026-11-26T21:30:{ts}Z\",\"type\":\"{kind}\",\"trace_id\":\"{T}\",\"span_id\":\"{span}\"{parent},{body}{extra}}}"
    )
}

fn store(lines: &[String], cap: usize) -> TraceStore {
    let mut s = TraceStore::new(cap);
    let prices = crate::pricing::PriceTable::built_in();
    for l in lines {
        let LineOutcome::Event(e) = parse_line(l.as_bytes()) else { panic!("{l}") };
        s.add(&e, &prices);
    }
    s
}

const ROOT: &str = "00000000000000a1";
const MODEL: &str = "00000000000000b2";
const TOOL: &str = "00000000000000c3";
const GEN: &str = "00000000000000d4";

/// The user guide's trace: a request, its model call, tool call and response
/// generation; written as operations end, so the children come first.
fn guide_trace() -> Vec<String> {
    vec![
        line("model_call", MODEL, Some(ROOT), "01.200", 1200, ""),
        line("tool_call", TOOL, Some(ROOT), "01.900", 600, ""),
        line("span", GEN, Some(ROOT), "02.000", 100, ""),
        line("agent_request", ROOT, None, "02.000", 2000, r#","tokens":150,"cost_usd":0.9,"attrs":{"user_id":"u-1"}"#),
    ]
}

#[test]
fn children_before_their_parent_build_the_same_tree() {
    let s = store(&guide_trace(), 10);
    let id = u128::from_str_radix(T, 16).unwrap();
    let t = s.get(id).unwrap();
    let placed = tree(t);
    let names: Vec<(usize, &str)> = placed.iter().map(|p| (p.depth, p.span.name.as_str())).collect();
    assert_eq!(names, [(0, "ChatAgent"), (1, "gpt-4o"), (1, "web_search"), (1, "response_generation")]);
    assert!(placed.iter().all(|p| !p.orphan));
    let root = placed[0].span;
    assert_eq!(
        (root.start, root.end - root.start),
        (crate::time::parse_rfc3339("2026-11-26T21:30:00Z").unwrap(), 2_000_000)
    );
    assert_eq!(root.attrs.as_deref(), Some(r#"{"user_id":"u-1"}"#));
    let sum = &s.summaries()[0];
    assert_eq!((sum.root.as_str(), sum.spans, sum.errors, sum.orphans), ("ChatAgent", 4, 1, 0));
    assert_eq!(sum.duration_ms, 2000.0);
    assert_eq!((sum.tokens, sum.cost_usd), (150, 0.5), "the model call is the ledger, not the request too");
}

#[test]
fn orphans_duplicates_and_cycles_are_kept_apart() {
    let mut lines = guide_trace();
    lines.remove(3); // the root never arrives
    lines.push(line("tool_call", TOOL, Some(ROOT), "01.900", 600, "")); // a duplicate span id
    let s = store(&lines, 10);
    let id = u128::from_str_radix(T, 16).unwrap();
    let t = s.get(id).unwrap();
    assert_eq!((t.spans.len(), t.duplicates), (3, 1));
    let placed = tree(t);
    assert_eq!(placed.len(), 3);
    assert!(placed.iter().all(|p| p.orphan && p.depth == 0));
    assert_eq!(s.summaries()[0].orphans, 3);
    // Two spans naming each other as parent: both shown, neither lost.
    let cycle = vec![
        line("span", "00000000000000e5", Some("00000000000000f6"), "01.000", 10, ""),
        line("span", "00000000000000f6", Some("00000000000000e5"), "01.000", 10, ""),
    ];
    let s = store(&cycle, 10);
    assert_eq!(tree(s.get(id).unwrap()).len(), 2);
}

#[test]
fn bounded_oldest_traces_evicted_and_events_without_ids_ignored() {
    let mut lines = Vec::new();
    for i in 0..30u32 {
        lines.push(format!(
            "{{\"ts\":\"2026-11-26T21:30:00Z\",\"type\":\"span\",\"trace_id\":\"{:032x}\",\"span_id\":\"00000000000000a1\",\"name\":\"n\",\"duration_ms\":1,\"status\":\"ok\"}}",
            i + 1
        ));
    }
    lines.push(
        "{\"ts\":\"2026-11-26T21:30:00Z\",\"type\":\"span\",\"name\":\"no ids\",\"duration_ms\":1,\"status\":\"ok\"}"
            .into(),
    );
    let s = store(&lines, 10);
    assert_eq!((s.len(), s.evicted), (10, 20));
    assert!(s.get(1).is_none() && s.get(30).is_some(), "the oldest go first");
    assert!(store(&lines, 0).is_empty(), "off by default");
}

#[test]
fn merging_in_order_keeps_every_span_once() {
    let lines = guide_trace();
    let whole = store(&lines, 10);
    let mut a = store(&lines[..2], 10);
    a.merge(store(&lines[2..], 10));
    let id = u128::from_str_radix(T, 16).unwrap();
    assert_eq!(a.get(id).unwrap().spans, whole.get(id).unwrap().spans);
    let mut twice = store(&lines, 10);
    twice.merge(store(&lines, 10));
    assert_eq!(twice.get(id).unwrap().duplicates, 4);
}

/// A model call that reports no cost is priced from its tokens, as the metrics
/// price it: the trace's cost is its calls', and read $0.00 for such calls.
#[test]
fn calls_without_a_cost_are_priced_as_the_metrics_price_them() {
    let unpriced = |l: String| l.replace(",\"cost_usd\":0.5", "");
    let lines = [
        unpriced(line("model_call", MODEL, Some(ROOT), "01.200", 1200, "")),
        line("model_call", "00000000000000e5", Some(ROOT), "01.500", 300, ""),
        line("agent_request", ROOT, None, "02.000", 2000, r#","cost_usd":0.9"#),
    ];
    assert!(!lines[0].contains("cost_usd"), "{}", lines[0]);
    let mut fold = crate::fold::Fold::new(None, std::sync::Arc::new(crate::pricing::PriceTable::built_in()));
    fold.traces = TraceStore::new(10);
    let source = fold.ingest.add_source("x");
    for (i, l) in lines.iter().enumerate() {
        fold.line(source, i as u64, l.as_bytes());
    }
    let summary = &fold.traces.summaries()[0];
    let model_cost = fold.metrics.models["gpt-4o"].ledger_spend.cost;
    assert!(model_cost > exact::pico(0.5), "the unpriced call was priced: {model_cost}");
    assert_eq!(summary.cost_usd, exact::usd(model_cost));
}

/// A call of unknown duration is a span of no length, marked as not timed.
#[test]
fn a_call_of_unknown_duration_is_not_timed() {
    let untimed = line("tool_call", TOOL, Some(ROOT), "01.000", 0, "").replace(",\"duration_ms\":0", "");
    assert!(!untimed.contains("duration_ms"), "{untimed}");
    let s = store(&[untimed, line("agent_request", ROOT, None, "02.000", 2000, "")], 10);
    let spans = &s.traces[&u128::from_str_radix(T, 16).unwrap()].spans;
    let tool = spans.iter().find(|n| n.kind == "tool_call").unwrap();
    assert!(!tool.timed && tool.start == tool.end, "{tool:?}");
    let request = spans.iter().find(|n| n.kind == "agent_request").unwrap();
    assert!(request.timed && request.duration_ms() == 2000.0, "{request:?}");
}
