use super::*;
use crate::fold::Fold;
use crate::pricing::PriceTable;
use crate::synth::{Generator, Settings};

fn generated(lines: u64, seed: u64) -> Vec<String> {
    let mut out = Vec::new();
    Generator::new(Settings { seed, malformed_ratio: 0.01, ..Settings::default() })
        .write_lines(&mut out, lines)
        .unwrap();
    String::from_utf8(out).unwrap().lines().map(str::to_owned).collect()
}

fn fold_lines(lines: &[String], first_line_no: u64) -> Fold {
    let mut f = Fold::default();
    let s = f.ingest.add_source("log");
    for (i, l) in lines.iter().enumerate() {
        f.line(s, first_line_no + i as u64, l.as_bytes());
    }
    f
}

#[test]
fn fold_of_a_then_b_equals_merge_of_folds() {
    let lines = generated(20_000, 3);
    let whole = fold_lines(&lines, 1);
    assert!(whole.metrics.events > 19_000);
    assert!(whole.ingest.sources[0].malformed > 50);
    for split in [0, 1, 777, 10_000, lines.len() - 1, lines.len()] {
        let mut a = fold_lines(&lines[..split], 1);
        // The later part numbers its lines from its own start; merge shifts them.
        let b = fold_lines(&lines[split..], 1);
        a.merge(b);
        assert_eq!(a, whole, "split at {split}");
        same_session_names(&a.metrics.sessions, &whole.metrics.sessions);
    }
}

/// Each session names the same agents and models in both (spelled through
/// each fold's own numbering), and the sessions do name some.
fn same_session_names(a: &Sessions, b: &Sessions) {
    let mut named = 0;
    for (id, s) in b.iter() {
        let Some(o) = a.get(id) else { continue };
        assert_eq!(a.agents_of(o), b.agents_of(s), "{id}");
        assert_eq!(a.models_of(o), b.models_of(s), "{id}");
        named += usize::from(!b.agents_of(s).is_empty() && !b.models_of(s).is_empty());
    }
    assert!(named > 100, "{named} sessions name an agent and a model");
}

#[test]
fn merge_in_several_parts_is_exact() {
    let lines = generated(9_000, 11);
    let whole = fold_lines(&lines, 1);
    let mut acc = Fold::default();
    acc.ingest.add_source("log");
    for part in lines.chunks(1000) {
        acc.merge(fold_lines(part, 1));
    }
    assert_eq!(acc, whole);
}

#[test]
fn a_fold_goes_on_exactly_after_a_merge() {
    // A merged fold holds names numbered by two folds: what it folds next must
    // not take one fold's numbers for the other's (see `NameId`).
    let lines = generated(12_000, 17);
    let whole = fold_lines(&lines, 1);
    for (first, second) in [(1_000, 2_000), (4_000, 4_500), (3_000, 9_000)] {
        let mut a = fold_lines(&lines[..first], 1);
        a.merge(fold_lines(&lines[first..second], 1));
        for (i, l) in lines.iter().enumerate().skip(second) {
            a.line(0, i as u64 + 1, l.as_bytes());
        }
        assert_eq!(a, whole, "merged at {first} and {second}");
        same_session_names(&a.metrics.sessions, &whole.metrics.sessions);
    }
}

/// A call without a duration counts as a call, and its latency is not taken as 0.
#[test]
fn calls_of_unknown_duration_count_without_a_latency() {
    let lines: Vec<String> = [
        r#"{"ts":"2026-11-26T21:30:00Z","type":"model_call","model":"m","success":true,"duration_ms":100}"#,
        r#"{"ts":"2026-11-26T21:30:01Z","type":"model_call","model":"m","success":true}"#,
        r#"{"ts":"2026-11-26T21:30:02Z","type":"tool_call","tool":"t","success":true}"#,
    ]
    .map(str::to_owned)
    .to_vec();
    let f = fold_lines(&lines, 1);
    let m = &f.metrics.models["m"];
    assert_eq!((m.calls.whole(), m.latency.mean_ms(), m.latency.quantile_ms(0.5)), (2, Some(100.0), Some(100.0)));
    let t = &f.metrics.tools["t"];
    assert_eq!((t.calls.whole(), t.latency.mean_ms()), (1, None));
}

#[test]
fn size_does_not_grow_with_the_log() {
    let short = fold_lines(&generated(2_000, 5), 1);
    let long = fold_lines(&generated(40_000, 5), 1);
    assert_eq!(short.metrics.agents.len(), long.metrics.agents.len());
    assert_eq!(short.metrics.tools.len(), long.metrics.tools.len());
    assert_eq!(short.metrics.models.len(), long.metrics.models.len());
    assert!(long.metrics.errors.recent.len() <= RECENT_ERRORS);
    assert!(long.ingest.recent_malformed.len() <= crate::fold::RECENT_MALFORMED);
    for t in long.metrics.tools.values() {
        assert!(t.recent_failures.len() <= RECENT_FAILURES);
    }
}

#[test]
fn heartbeats_keep_the_latest_per_process_and_are_capped() {
    let mut m = Metrics::default();
    let beat =
        |ts, name: &str, rss| format!(r#"{{"ts":"{ts}","type":"heartbeat","process":"{name}","rss_bytes":{rss}}}"#);
    for (ts, rss) in [("2026-11-26T10:00:05Z", 2), ("2026-11-26T10:00:01Z", 1)] {
        let line = beat(ts, "w1", rss);
        let crate::ingest::v1::LineOutcome::Event(e) = crate::ingest::v1::parse_line(line.as_bytes()) else { panic!() };
        m.apply(&e, &PriceTable::default());
    }
    assert_eq!(m.heartbeats["w1"].rss_bytes, Some(2));
    for i in 0..MAX_PROCESSES + 10 {
        let line = beat("2026-11-26T10:00:06Z", &format!("p{i}"), 1);
        let crate::ingest::v1::LineOutcome::Event(e) = crate::ingest::v1::parse_line(line.as_bytes()) else { panic!() };
        m.apply(&e, &PriceTable::default());
    }
    assert_eq!(m.heartbeats.len(), MAX_PROCESSES);
    assert!(!m.heartbeats.contains_key("w1"), "the stalest process is forgotten first");
}

#[test]
fn hostile_numbers_saturate_instead_of_overflowing() {
    let mut m = Metrics::default();
    let line = r#"{"ts":"2026-11-26T10:00:05Z","type":"agent_request","agent":"a","success":true,"duration_ms":1e300,"tokens":9223372036854775807,"cost_usd":1e300}"#;
    for _ in 0..3 {
        let crate::ingest::v1::LineOutcome::Event(e) = crate::ingest::v1::parse_line(line.as_bytes()) else { panic!() };
        m.apply(&e, &PriceTable::default());
    }
    assert_eq!(m.agents["a"].request_spend.tokens, u64::MAX);
}

#[test]
fn long_texts_are_capped() {
    let msg = "é".repeat(MAX_TEXT);
    let line =
        format!(r#"{{"ts":"2026-11-26T10:00:05Z","type":"error","component":"c","error_type":"E","message":"{msg}"}}"#);
    let crate::ingest::v1::LineOutcome::Event(e) = crate::ingest::v1::parse_line(line.as_bytes()) else { panic!() };
    let mut m = Metrics::default();
    m.apply(&e, &PriceTable::default());
    let kept = &m.errors.recent.iter().next().unwrap().message;
    assert!(kept.len() <= MAX_TEXT + '…'.len_utf8() && kept.ends_with('…'));
}

/// Past a kind's cap, the least active names fold into "(other)": every total
/// stays exact, memory stays bounded, and a heavy hitter that comes late gets
/// its own row.
#[test]
fn names_past_the_cap_fold_into_other_with_totals_exact() {
    let mut limited = Fold::default();
    limited.metrics.set_limits(Limits {
        agents: 50,
        tools: 100,
        models: 20,
        spans: 30,
        error_types: 10,
        components: 10,
    });
    let mut unlimited = Fold::default();
    let (sl, su) = (limited.ingest.add_source("l"), unlimited.ingest.add_source("u"));
    let mut lines = Vec::new();
    for i in 0..3000 {
        let ts = "2026-11-26T21:00:00Z";
        lines.push(format!(
            r#"{{"ts":"{ts}","type":"tool_call","tool":"fetch:{i}","agent":"a{}","success":{},"duration_ms":{}}}"#,
            i % 400,
            i % 7 != 0,
            i % 50
        ));
        lines.push(format!(r#"{{"ts":"{ts}","type":"model_call","model":"m-{}","agent":"a{}","success":true,"duration_ms":3,"input_tokens":10,"output_tokens":5,"cost_usd":0.001}}"#, i % 300, i % 200));
        lines.push(format!(r#"{{"ts":"{ts}","type":"agent_request","agent":"r{i}","success":true,"duration_ms":4,"tokens":7,"cost_usd":0.002}}"#));
        lines.push(format!(r#"{{"ts":"{ts}","type":"error","component":"c{i}","error_type":"E{i}","message":"m"}}"#));
    }
    // The heavy hitter comes last.
    for _ in 0..500 {
        lines.push(
            r#"{"ts":"2026-11-26T21:00:00Z","type":"tool_call","tool":"hot","success":true,"duration_ms":1}"#.into(),
        );
    }
    for (i, l) in lines.iter().enumerate() {
        limited.line(sl, i as u64 + 1, l.as_bytes());
        unlimited.line(su, i as u64 + 1, l.as_bytes());
    }
    let m = &limited.metrics;
    assert!(
        m.tools.len() <= 125 && m.agents.len() <= 63 && m.models.len() <= 25,
        "{} {} {}",
        m.tools.len(),
        m.agents.len(),
        m.models.len()
    );
    assert!(m.errors.by_type.len() <= 13 && m.errors.by_component.len() <= 13);
    assert!(m.folded.tools > 2800 && m.folded.agents > 0);
    assert_eq!(m.tools["hot"].calls, 500, "the late heavy hitter has its row");
    let sum = |f: &Fold| -> (u64, u64, u64, u64) {
        let t = f.metrics.tools.values().map(|t| t.calls.whole()).sum();
        let fails = f.metrics.tools.values().map(|t| t.failures().whole()).sum();
        let calls = f.metrics.models.values().map(|m| m.calls.whole()).sum();
        let errs = f.metrics.errors.by_type.values().sum();
        (t, fails, calls, errs)
    };
    assert_eq!(sum(&limited), sum(&unlimited));
    let th = crate::alerts::Thresholds::default();
    let now = crate::time::parse_rfc3339("2026-11-26T21:01:00Z").unwrap();
    let (rl, ru) = (crate::report::build(&limited, now, now, &th), crate::report::build(&unlimited, now, now, &th));
    assert!((rl.cost.total_usd - ru.cost.total_usd).abs() < 1e-9, "{} vs {}", rl.cost.total_usd, ru.cost.total_usd);
    assert_eq!(rl.cost.tokens, ru.cost.tokens);
    let by_agent: f64 = rl.cost.by_agent.iter().map(|c| c.cost_usd).sum();
    let by_model: f64 = rl.cost.by_model.iter().map(|c| c.cost_usd).sum();
    assert!((by_agent - ru.cost.total_usd).abs() < 1e-9 && (by_model - ru.cost.total_usd).abs() < 1e-9);
    assert_eq!(rl.health.total_requests, ru.health.total_requests);
    assert!(rl.tools.iter().any(|t| t.name == OTHER));
    // Parallel parts merge within the caps too.
    let mut a = Fold::default();
    a.metrics.set_limits(limited.metrics.limits());
    let s = a.ingest.add_source("l");
    let mut b = a.empty_like();
    for (i, l) in lines.iter().enumerate() {
        if i < lines.len() / 2 { a.line(s, i as u64 + 1, l.as_bytes()) } else { b.line(s, i as u64 + 1, l.as_bytes()) }
    }
    a.merge(b);
    assert!(a.metrics.tools.len() <= 125);
    assert_eq!(sum(&a), sum(&unlimited));
}

/// Names from the log are cut to MAX_TEXT bytes wherever they are keys, so a
/// writer's megabyte names cannot hold a thousand megabytes; the events of one
/// long name still count together.
#[test]
fn long_names_are_cut_where_they_are_keys() {
    let long = |c: char| c.to_string().repeat(100_000);
    let (agent, tool, model, span, kind, component) =
        (long('a'), long('t'), long('m'), long('s'), long('e'), long('c'));
    let ts = "2026-11-26T21:00:00Z";
    let lines = [
        format!(
            r#"{{"ts":"{ts}","type":"agent_request","agent":"{agent}","success":true,"duration_ms":4,"model":"{model}","session":"{agent}"}}"#
        ),
        format!(
            r#"{{"ts":"{ts}","type":"tool_call","tool":"{tool}","agent":"{agent}","success":true,"duration_ms":1}}"#
        ),
        format!(
            r#"{{"ts":"{ts}","type":"model_call","model":"{model}","agent":"{agent}","success":true,"duration_ms":3}}"#
        ),
        format!(r#"{{"ts":"{ts}","type":"span","name":"{span}","agent":"{agent}","status":"ok","duration_ms":2}}"#),
        format!(r#"{{"ts":"{ts}","type":"error","component":"{component}","error_type":"{kind}","message":"m"}}"#),
        format!(r#"{{"ts":"{ts}","type":"tool_call","tool":"{tool}","success":false,"duration_ms":1}}"#),
    ];
    let f = fold_lines(&lines, 1);
    let m = &f.metrics;
    assert_eq!(m.events, 6);
    let cut = |keys: Vec<&String>| {
        assert_eq!(keys.len(), 1);
        assert!(keys[0].len() <= MAX_TEXT + '…'.len_utf8() && keys[0].ends_with('…'), "{}", keys[0].len());
    };
    cut(m.agents.keys().collect());
    cut(m.tools.keys().collect());
    cut(m.models.keys().collect());
    cut(m.spans.keys().collect());
    cut(m.errors.by_type.keys().collect());
    cut(m.errors.by_component.keys().collect());
    let a = m.agents.values().next().unwrap();
    cut(a.request_spend_by_model.keys().collect());
    assert_eq!((a.requests, a.seen), (Count::ONE, 4));
    assert_eq!(m.tools.values().next().unwrap().calls, Count::ONE + Count::ONE);
    assert!(m.sessions.iter().all(|(id, _)| id.len() <= MAX_TEXT + '…'.len_utf8()));
}

/// The caps are looked at only when the names held pass a margin: no kind is
/// ever over its cap when an event comes (so after it by at most the one name
/// it brought), whatever the mix of kinds that grow, and lower caps set mid-way
/// apply from the next event.
#[test]
fn no_kind_is_ever_over_its_cap_between_checks() {
    let mut f = Fold::default();
    f.metrics.set_limits(Limits { agents: 8, tools: 40, models: 4, spans: 400, error_types: 400, components: 400 });
    let s = f.ingest.add_source("l");
    let ts = "2026-11-26T21:00:00Z";
    let over = |m: &Metrics| {
        let l = m.limits();
        [(m.agents.len(), l.agents), (m.tools.len(), l.tools), (m.models.len(), l.models)]
            .into_iter()
            .any(|(len, cap)| len > over_at(cap) + 1)
    };
    for i in 0..600 {
        let line = match i % 3 {
            0 => format!(r#"{{"ts":"{ts}","type":"tool_call","tool":"t{i}","success":true,"duration_ms":1}}"#),
            1 => format!(r#"{{"ts":"{ts}","type":"model_call","model":"m{i}","success":true,"duration_ms":1}}"#),
            _ => format!(r#"{{"ts":"{ts}","type":"agent_request","agent":"a{i}","success":true,"duration_ms":1}}"#),
        };
        f.line(s, i + 1, line.as_bytes());
        assert!(!over(&f.metrics), "over a cap after line {i}");
        if i == 300 {
            f.metrics.set_limits(Limits { agents: 2, tools: 2, models: 2, spans: 2, error_types: 2, components: 2 });
        }
    }
    assert!(f.metrics.tools.len() <= over_at(2) && f.metrics.folded.tools > 0);
}
