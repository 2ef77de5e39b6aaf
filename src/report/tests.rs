use super::*;
use crate::alerts::{Severity, Thresholds};
use crate::time::parse_rfc3339;

fn fold_text(text: &str) -> Fold {
    fold_priced(text, crate::pricing::PriceTable::default())
}

fn fold_priced(text: &str, prices: crate::pricing::PriceTable) -> Fold {
    let mut f = Fold::new(None, std::sync::Arc::new(prices));
    let s = f.ingest.add_source("test.jsonl");
    for (i, line) in text.lines().enumerate() {
        f.line(s, i as u64 + 1, line.as_bytes());
    }
    f
}

fn at(ts: &str) -> Micros {
    parse_rfc3339(ts).unwrap()
}

const T: &str = "2026-11-26T10:00:00Z";

fn req(agent: &str, ok: bool, ms: f64, extra: &str) -> String {
    format!(r#"{{"ts":"{T}","type":"agent_request","agent":"{agent}","success":{ok},"duration_ms":{ms}{extra}}}"#)
}

fn call(model: &str, extra: &str) -> String {
    format!(r#"{{"ts":"{T}","type":"model_call","model":"{model}","success":true,"duration_ms":10{extra}}}"#)
}

/// The attribution rules of docs/event-log.md, case by case.
#[test]
fn every_token_and_dollar_is_counted_once() {
    let log = [
        // A: model calls name it, so its requests' own totals are not counted again.
        req("A", true, 100.0, r#","tokens":999,"cost_usd":9.99,"model":"m1""#),
        call("m1", r#","agent":"A","input_tokens":100,"output_tokens":50,"cost_usd":1.5"#),
        call("m1", r#","agent":"A","input_tokens":10,"output_tokens":5,"cost_usd":0.25"#),
        // B: no model call names it: its requests count, for it and for m2.
        req("B", true, 100.0, r#","tokens":300,"cost_usd":3.0,"model":"m2""#),
        req("B", false, 100.0, r#","tokens":100,"cost_usd":1.0,"model":"m2""#),
        // C: no model call, no model named: "(none)" among the models.
        req("C", true, 100.0, r#","tokens":40,"cost_usd":0.4"#),
        // A model call naming no agent: "(none)" among the agents.
        call("m3", r#","input_tokens":7,"output_tokens":3,"cost_usd":0.1"#),
        // D is named only by a model call: listed among agents with no requests.
        call("m1", r#","agent":"D","input_tokens":1,"output_tokens":1,"cost_usd":0.01"#),
    ]
    .join("\n");
    let r = build(&fold_text(&log), at(T), at(T), &Thresholds::default());
    let agent = |n: &str| r.agents.iter().find(|a| a.name == n).unwrap();
    assert_eq!((agent("A").tokens, agent("A").cost_usd), (165, 1.75));
    assert_eq!((agent("B").tokens, agent("B").cost_usd), (400, 4.0));
    assert_eq!((agent("C").tokens, agent("C").cost_usd), (40, 0.4));
    assert_eq!((agent("D").total_requests, agent("D").tokens), (0, 2));
    assert!(r.agents.iter().all(|a| a.name != NONE_NAME), "(none) only in cost breakdowns");
    let model = |n: &str| r.models.iter().find(|m| m.name == n).unwrap();
    assert_eq!((model("m1").requests, model("m1").tokens, model("m1").cost_usd), (3, 167, 1.76));
    assert_eq!((model("m2").requests, model("m2").tokens, model("m2").cost_usd), (0, 400, 4.0));
    assert_eq!(model("m3").tokens, 10);
    assert!(r.models.iter().all(|m| m.name != NONE_NAME));
    let line = |lines: &[CostLine], n: &str| lines.iter().find(|c| c.name == n).map(|c| (c.tokens, c.cost_usd));
    assert_eq!(line(&r.cost.by_model, NONE_NAME), Some((40, 0.4)));
    assert_eq!(line(&r.cost.by_agent, NONE_NAME), Some((10, 0.1)));
    let sum = |lines: &[CostLine]| {
        (lines.iter().map(|c| c.tokens).sum::<u64>(), lines.iter().map(|c| c.cost_usd).sum::<f64>())
    };
    let (total_tokens, total_cost) = (r.cost.tokens, r.cost.total_usd);
    assert_eq!(total_tokens, 165 + 400 + 40 + 10 + 2);
    assert!((total_cost - 6.26).abs() < 1e-9, "{total_cost}");
    for lines in [&r.cost.by_model, &r.cost.by_agent] {
        let (t, c) = sum(lines);
        assert_eq!(t, total_tokens);
        assert!((c - total_cost).abs() < 1e-9);
    }
}

#[test]
fn agent_figures_include_failures_and_lists_are_sorted() {
    let mut log = Vec::new();
    for i in 0..10 {
        log.push(req("Busy", i % 5 != 0, 100.0 * f64::from(i + 1), ""));
    }
    log.push(req("Quiet", true, 50.0, ""));
    log.push(req("Also", true, 50.0, ""));
    let r = build(&fold_text(&log.join("\n")), at(T), at(T), &Thresholds::default());
    let names: Vec<_> = r.agents.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Busy", "Also", "Quiet"]);
    let busy = &r.agents[0];
    assert_eq!((busy.total_requests, busy.successes, busy.failures), (10, 8, 2));
    assert_eq!(busy.success_rate, Some(80.0));
    assert_eq!(busy.avg_response_time_ms, Some(550.0));
    let p95 = busy.p95_ms.unwrap();
    assert!((p95 - 1000.0).abs() <= 10.0, "{p95}");
}

#[test]
fn empty_log_gives_nulls_not_zeros() {
    let r = build(&Fold::default(), at(T), at(T), &Thresholds::default());
    assert_eq!(r.health.success_rate, None);
    assert_eq!(r.health.uptime_s, None);
    assert_eq!(r.health.status, Status::Healthy);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["schema"], SCHEMA);
    assert!(json["health"]["success_rate"].is_null());
}

#[test]
fn health_follows_the_alerts() {
    let mut log = Vec::new();
    // Slow but successful: a medium alert, degraded.
    for _ in 0..6 {
        log.push(req("Slow", true, 6000.0, ""));
    }
    let r = build(&fold_text(&log.join("\n")), at(T), at(T), &Thresholds::default());
    assert_eq!(r.health.status, Status::Degraded, "{:?}", r.alerts);
    // Failing: a high alert, unhealthy.
    for _ in 0..6 {
        log.push(req("Failing", false, 10.0, ""));
    }
    let r = build(&fold_text(&log.join("\n")), at(T), at(T), &Thresholds::default());
    assert_eq!(r.health.status, Status::Unhealthy);
    assert_eq!(r.alerts[0].severity, Severity::High);
    let json = serde_json::to_value(&r).unwrap();
    for key in ["rule", "scope", "severity", "value", "threshold", "message", "since"] {
        assert!(json["alerts"][0].get(key).is_some(), "alert lacks {key}");
    }
    // Quiet: healthy.
    assert_eq!(build(&Fold::default(), at(T), at(T), &Thresholds::default()).health.status, Status::Healthy);
}

#[test]
fn health_counts_recent_window_live_heartbeats_and_uptime() {
    let log = [
        r#"{"ts":"2026-11-26T09:00:00Z","type":"agent_request","agent":"Old","success":true,"duration_ms":5}"#.to_string(),
        r#"{"ts":"2026-11-26T09:58:00Z","type":"error","component":"c","error_type":"E","message":"m"}"#.into(),
        r#"{"ts":"2026-11-26T09:50:00Z","type":"error","component":"c","error_type":"E","message":"m"}"#.into(),
        r#"{"ts":"2026-11-26T09:59:30Z","type":"heartbeat","process":"w1","started_at":"2026-11-26T08:00:00Z","agents":["A","B"],"rss_bytes":100,"cpu_percent":1.5}"#.into(),
        r#"{"ts":"2026-11-26T09:59:40Z","type":"heartbeat","process":"w2","started_at":"2026-11-26T08:30:00Z","agents":["B","C"],"rss_bytes":50,"cpu_percent":2.0}"#.into(),
        r#"{"ts":"2026-11-26T09:00:00Z","type":"heartbeat","process":"dead","started_at":"2026-11-25T00:00:00Z","agents":["Z"],"rss_bytes":7}"#.into(),
        // Stopped cleanly a moment ago: not live, its agents and memory not counted.
        r#"{"ts":"2026-11-26T09:59:50Z","type":"heartbeat","process":"done","started_at":"2026-11-26T07:00:00Z","agents":["D"],"rss_bytes":9,"stopped":true}"#.into(),
    ]
    .join("\n");
    let r = build(&fold_text(&log), at(T), at(T), &Thresholds::default());
    let h = &r.health;
    assert_eq!(h.recent_errors, 1);
    assert_eq!(h.active_agents, 3, "A, B, C from live heartbeats");
    assert_eq!(h.rss_bytes, Some(150));
    assert_eq!(h.cpu_percent, Some(3.5));
    assert_eq!(h.live_processes, 2);
    assert_eq!(h.uptime_s, Some(7200.0), "from the oldest live heartbeat's started_at");
    // Without live heartbeats: agents seen in the last 5 minutes, uptime from
    // the first event while events still come (the last, 09:59:40)...
    let soon = build(&fold_text(&log), at("2026-11-26T10:04:00Z"), at(T), &Thresholds::default());
    assert_eq!(soon.health.live_processes, 0);
    assert_eq!(soon.health.uptime_s, Some(64.0 * 60.0), "from 09:00, the first event");
    // ...and none once they have stopped: nothing is known to be up.
    let later = build(&fold_text(&log), at("2026-11-26T12:00:00Z"), at(T), &Thresholds::default());
    assert_eq!(later.health.active_agents, 0);
    assert_eq!(later.health.uptime_s, None);
}

#[test]
fn errors_are_grouped_sorted_and_recent_first() {
    let e = |ts: &str, comp: &str, ty: &str| {
        format!(
            r#"{{"ts":"{ts}","type":"error","component":"{comp}","error_type":"{ty}","message":"m","context":{{"k":1}}}}"#
        )
    };
    let log =
        [e("2026-11-26T09:00:01Z", "X", "B"), e("2026-11-26T09:00:02Z", "Y", "A"), e("2026-11-26T09:00:03Z", "Y", "B")]
            .join("\n");
    let r = build(&fold_text(&log), at(T), at(T), &Thresholds::default());
    assert_eq!(r.errors.total, 3);
    assert_eq!(r.errors.by_type[0], ErrorTypeCount { error_type: "B".into(), count: 2 });
    assert_eq!(r.errors.by_component[0], ComponentCount { component: "Y".into(), count: 2 });
    assert_eq!(r.errors.recent[0].ts, "2026-11-26T09:00:03.000Z");
    assert_eq!(r.errors.recent[0].context, Some(serde_json::json!({"k": 1})));
}

#[test]
fn json_report_has_the_documented_keys() {
    let log = crate::ingest::v1::tests::SPEC_EXAMPLES;
    let r = build(&fold_text(log), at("2026-11-26T21:31:00Z"), at(T), &Thresholds::default());
    let v = serde_json::to_value(&r).unwrap();
    for key in [
        "schema",
        "generated_at",
        "now",
        "sources",
        "ingest",
        "health",
        "agents",
        "tools",
        "models",
        "errors",
        "cost",
        "spans",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let keys = |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    for (path, want) in [
        ("/sources/0", &["path", "bytes", "lines", "events", "malformed", "unknown", "unsupported"][..]),
        ("/ingest", &["events", "malformed", "unknown", "unsupported", "recent_malformed"]),
        (
            "/health",
            &[
                "status",
                "uptime_s",
                "total_requests",
                "success_rate",
                "active_agents",
                "recent_errors",
                "rss_bytes",
                "cpu_percent",
            ],
        ),
        (
            "/agents/0",
            &[
                "name",
                "total_requests",
                "successes",
                "failures",
                "success_rate",
                "avg_response_time_ms",
                "p50_ms",
                "p95_ms",
                "p99_ms",
                "tokens",
                "cost_usd",
            ],
        ),
        (
            "/tools/0",
            &["name", "usage_count", "successes", "failures", "success_rate", "avg_execution_time_ms", "p95_ms"],
        ),
        (
            "/models/0",
            &[
                "name",
                "requests",
                "failures",
                "input_tokens",
                "output_tokens",
                "tokens",
                "avg_latency_ms",
                "p95_ms",
                "cost_usd",
            ],
        ),
        ("/errors", &["total", "by_type", "by_component", "recent"]),
        ("/errors/recent/0", &["ts", "component", "error_type", "message"]),
        ("/cost", &["total_usd", "tokens", "by_model", "by_agent"]),
        ("/cost/by_model/0", &["name", "cost_usd", "tokens"]),
        ("/spans/0", &["name", "count", "failures", "avg_ms", "p95_ms"]),
    ] {
        let have = keys(v.pointer(path).unwrap_or_else(|| panic!("no {path}")));
        for k in want {
            assert!(have.iter().any(|h| h == k), "{path} lacks {k}");
        }
    }
    assert_eq!(v["sources"][0]["events"], 6);
}

mod markdown_tables {
    use super::*;
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

    /// Tables in the document, each as rows of cell texts (header row first).
    fn tables(md: &str) -> Vec<Vec<Vec<String>>> {
        let mut out: Vec<Vec<Vec<String>>> = Vec::new();
        let mut text: Option<String> = None;
        for ev in Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
            match ev {
                Event::Start(Tag::Table(_)) => out.push(Vec::new()),
                Event::Start(Tag::TableHead | Tag::TableRow) => out.last_mut().unwrap().push(Vec::new()),
                Event::Start(Tag::TableCell) => text = Some(String::new()),
                Event::End(TagEnd::TableCell) => {
                    let cell = text.take().unwrap();
                    out.last_mut().unwrap().last_mut().unwrap().push(cell);
                }
                Event::Text(t) | Event::Code(t) => {
                    if let Some(s) = &mut text {
                        s.push_str(&t);
                    }
                }
                Event::Html(_) | Event::InlineHtml(_) => panic!("raw HTML got through: {ev:?}"),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn hostile_names_cannot_break_a_table() {
        let hostile = [
            "pipe|in|name",
            "back`tick``s",
            "new\nline",
            "tab\tand\rcr",
            "esc\u{1b}[31mred\u{1b}]0;title\u{7}",
            "<script>alert(1)</script>",
            "*bold* _em_ [link](http://x) ~~del~~",
            "\\|escaped pipe",
            "| --- |",
            "",
            "   ",
            "#heading",
            "under_score_name",
        ];
        let mut lines = Vec::new();
        for (i, name) in hostile.iter().enumerate() {
            let n = serde_json::to_string(name).unwrap();
            lines
                .push(format!(r#"{{"ts":"{T}","type":"agent_request","agent":{n},"success":true,"duration_ms":{i}}}"#));
            lines.push(format!(r#"{{"ts":"{T}","type":"tool_call","tool":{n},"success":false,"duration_ms":1}}"#));
            lines.push(format!(
                r#"{{"ts":"{T}","type":"model_call","model":{n},"agent":{n},"success":true,"duration_ms":1}}"#
            ));
            lines.push(format!(r#"{{"ts":"{T}","type":"error","component":{n},"error_type":{n},"message":{n}}}"#));
        }
        let r = build(&fold_text(&lines.join("\n")), at(T), at(T), &Thresholds::default());
        let md = markdown::render(&r);
        assert!(!md.contains('\u{1b}') && !md.contains('\u{7}'));
        let tables = tables(&md);
        let n = hostile.len();
        // Every table whose rows are names from the log has one row per name.
        let mut seen = Vec::new();
        for t in &tables {
            let width = t[0].len();
            for row in t {
                assert_eq!(row.len(), width, "a row with the wrong number of cells: {row:?}\n{md}");
            }
            let rows = t.len() - 1;
            let header = t[0][0].as_str();
            match header {
                "Agent" | "Tool" | "Model" | "Error type" | "Component" | "Unpriced model" => {
                    assert_eq!(rows, n, "{header}")
                }
                "Time" => assert_eq!(rows, 10),
                "Source" | "Severity" => assert_eq!(rows, 1, "{header}"),
                "Metric" | "Spend" => {}
                other => panic!("unexpected table {other}"),
            }
            seen.push(header.to_owned());
        }
        assert_eq!(seen.iter().filter(|h| *h == "Agent").count(), 2, "agents, and cost by agent");
        let agent_table = tables.iter().find(|t| t[0][0] == "Agent").unwrap();
        // Names read back as themselves (cleaned of control characters).
        let agents: Vec<&str> = agent_table[1..].iter().map(|row| row[0].as_str()).collect();
        assert!(agents.contains(&"pipe|in|name"), "{agents:?}");
        assert!(agents.contains(&"back`tick``s"));
        assert!(agents.contains(&"*bold* _em_ [link](http://x) ~~del~~"));
        assert!(agents.contains(&"<script>alert(1)</script>"));
        assert!(agents.contains(&"escred"), "{agents:?}");
        assert!(md.contains("under_score_name"), "intra-word underscores stay readable");
    }

    #[test]
    fn report_of_the_spec_examples_renders_every_section() {
        let r = build(
            &fold_text(crate::ingest::v1::tests::SPEC_EXAMPLES),
            at("2026-11-26T21:31:00Z"),
            at(T),
            &Thresholds::default(),
        );
        let md = markdown::render(&r);
        for section in [
            "## System overview",
            "## Agent performance",
            "## Tools",
            "## Models",
            "## Cost breakdown",
            "## Errors by type",
            "## Ingest problems",
        ] {
            assert!(md.contains(section), "missing {section}");
        }
    }
}

#[test]
fn calls_without_cost_are_priced_from_tokens_or_listed_as_unpriced() {
    let log = [
        call("gpt-4o-2024-08-06", r#","agent":"A","input_tokens":1000000,"output_tokens":100000"#),
        call("gpt-4o", r#","agent":"A","input_tokens":10,"output_tokens":10,"cost_usd":0.5"#),
        call("my-own-model", r#","agent":"A","input_tokens":5,"output_tokens":5"#),
        call("gpt-4o", r#","agent":"A""#),
    ]
    .join("\n");
    let mut f = Fold::new(None, std::sync::Arc::new(crate::pricing::PriceTable::built_in()));
    let s = f.ingest.add_source("t");
    for (i, line) in log.lines().enumerate() {
        f.line(s, i as u64 + 1, line.as_bytes());
    }
    let r = build(&f, at(T), at(T), &Thresholds::default());
    // 1M input at $2.50 and 100k output at $10 per million, plus the reported $0.50.
    assert!((r.cost.total_usd - 4.0).abs() < 1e-9, "{}", r.cost.total_usd);
    let gpt = r.models.iter().find(|m| m.name == "gpt-4o").unwrap();
    assert_eq!((gpt.priced_calls, gpt.unpriced_calls), (0, 1), "a call with no tokens cannot be priced");
    let dated = r.models.iter().find(|m| m.name == "gpt-4o-2024-08-06").unwrap();
    assert_eq!(dated.priced_calls, 1);
    assert_eq!(dated.price.as_ref().unwrap().input_per_million, 2.5);
    assert_eq!(r.cost.unpriced_calls, 2);
    let names: Vec<_> = r.cost.unpriced.iter().map(|u| u.model.as_str()).collect();
    assert_eq!(names, ["gpt-4o", "my-own-model"]);
    let md = markdown::render(&r);
    assert!(md.contains("2 model calls reported no cost and match no known price"), "{md}");
}

/// An agent's cost leaves out its model calls that could not be priced, and
/// says so: counted per agent (and for calls that name none), marked in Markdown.
#[test]
fn an_agents_unpriced_calls_are_counted_and_marked() {
    let log = [
        call("gpt-4o", r#","agent":"A","input_tokens":10,"output_tokens":10,"cost_usd":0.5"#),
        call("my-own-model", r#","agent":"A","input_tokens":5,"output_tokens":5"#),
        call("my-own-model", r#","agent":"B","input_tokens":5,"output_tokens":5"#),
        call("my-own-model", r#","input_tokens":5,"output_tokens":5"#),
    ]
    .join("\n");
    let r = build(&fold_priced(&log, crate::pricing::PriceTable::built_in()), at(T), at(T), &Thresholds::default());
    let agent = |name: &str| r.agents.iter().find(|a| a.name == name).unwrap();
    assert_eq!((agent("A").unpriced_calls, agent("B").unpriced_calls), (1, 1));
    let line = |lines: &[CostLine], name: &str| lines.iter().find(|c| c.name == name).unwrap().unpriced_calls;
    assert_eq!(line(&r.cost.by_agent, "A"), 1);
    assert_eq!(line(&r.cost.by_agent, NONE_NAME), 1, "a call that names no agent");
    assert_eq!(line(&r.cost.by_model, "my-own-model"), 3);
    assert_eq!(line(&r.cost.by_model, "gpt-4o"), 0);
    // Summed two ways: by agent and by model, the unpriced calls are all of them.
    let sum = |lines: &[CostLine]| lines.iter().map(|c| c.unpriced_calls).sum::<u64>();
    assert_eq!((sum(&r.cost.by_agent), sum(&r.cost.by_model)), (3, 3));
    assert_eq!(r.cost.unpriced_calls, 3);
    let md = markdown::render(&r);
    let rows = |name: &str| md.lines().filter(|l| l.starts_with(&format!("| {name} |"))).count();
    let marked = |name: &str, cost: &str| {
        md.lines().filter(|l| l.starts_with(&format!("| {name} |")) && l.contains(&format!("| {cost} |"))).count()
    };
    // The agents table and the cost-by-agent table.
    assert_eq!((rows("A"), marked("A", "$0.50+?")), (2, 2), "{md}");
    assert_eq!((rows("B"), marked("B", "unpriced")), (2, 2), "{md}");
    assert!(md.contains("a cost marked +? leaves some out"), "{md}");
    assert!(md.contains("3 model calls reported no cost and match no known price: their cost"), "{md}");
    assert!(md.contains("| Total cost | $0.50+? |") && md.contains("Total: **$0.50+?**"), "{md}");
}

/// Cache and reasoning tokens priced by the rule, counted per model, with hit
/// rate and savings, all checked by hand.
#[test]
fn cache_tokens_are_priced_counted_and_saved() {
    let log = [
        // claude-sonnet-4-5: 10,000 in (6,000 reads, 3,000 writes of which 1,000
        // 1 h), 2,000 out (500 reasoning): $0.0483 (see pricing's test).
        call(
            "claude-sonnet-4-5",
            r#","agent":"coder","session":"s1","input_tokens":10000,"output_tokens":2000,"cache_read_tokens":6000,"cache_write_tokens":3000,"cache_write_1h_tokens":1000,"reasoning_tokens":500"#,
        ),
        // The same model with its cost given: counted as given.
        call("claude-sonnet-4-5", r#","agent":"coder","session":"s2","input_tokens":4000,"output_tokens":0,"cache_read_tokens":4000,"cost_usd":0.5"#),
        // A model with no cache prices: cache tokens price as plain input.
        call("mistral-large", r#","session":"s1","input_tokens":1000,"output_tokens":50,"cache_read_tokens":700"#),
    ]
    .join("\n");
    let r = build(&fold_priced(&log, crate::pricing::PriceTable::built_in()), at(T), at(T), &Thresholds::default());
    let model = |n: &str| r.models.iter().find(|m| m.name == n).unwrap();
    let sonnet = model("claude-sonnet-4-5");
    assert_eq!((sonnet.cache_read_tokens, sonnet.cache_write_tokens, sonnet.reasoning_tokens), (10_000, 3_000, 500));
    assert!((sonnet.cost_usd - (0.0483 + 0.5)).abs() < 1e-9, "{}", sonnet.cost_usd);
    assert_eq!(sonnet.cache_hit_pct, Some(10_000.0 * 100.0 / 14_000.0));
    // 10,000 reads at $3 - $0.30 a million = $0.027.
    assert!((sonnet.cache_savings_usd.unwrap() - 0.027).abs() < 1e-12);
    let mistral = model("mistral-large");
    assert!((mistral.cost_usd - (1000.0 * 2.0 + 50.0 * 6.0) / 1e6).abs() < 1e-12);
    assert_eq!(mistral.cache_savings_usd, Some(0.0));
    assert_eq!(mistral.price.as_ref().unwrap().cached_input_per_million, None);
    // Sessions: s1 has both models' calls; costs add up to the total.
    assert_eq!((r.sessions.total, r.sessions.kept), (2, 2));
    let s1 = r.sessions.recent.iter().find(|s| s.id == "s1").unwrap();
    assert_eq!((s1.model_calls, s1.input_tokens, s1.cache_read_tokens), (2, 11_000, 6_700));
    assert_eq!(s1.agents, ["coder"]);
    assert_eq!(s1.models, ["claude-sonnet-4-5", "mistral-large"]);
    let session_total: f64 = r.sessions.recent.iter().map(|s| s.cost_usd).sum();
    assert!((session_total - r.cost.total_usd).abs() < 1e-9);
    let md = markdown::render(&r);
    assert!(md.contains("| Cache read |") && md.contains("| $0.03 |"), "{md}");
    assert!(md.contains("## Sessions"), "{md}");
}

/// Web searches: priced at the model's price a search on top of its tokens,
/// weighted by a sample rate like every count, listed per model, and given a
/// Markdown column only when a model has any.
#[test]
fn web_searches_are_priced_counted_and_shown_where_there_are_any() {
    let log = [
        // claude-sonnet-4-5: 1,000 in, 100 out ($0.0045) and 3 searches at $10 a
        // thousand ($0.03).
        call("claude-sonnet-4-5", r#","input_tokens":1000,"output_tokens":100,"web_search_requests":3"#),
        // One call in four kept: 2 searches stand for 8, its cost for four times it.
        call(
            "claude-sonnet-4-5",
            r#","input_tokens":1000,"output_tokens":100,"web_search_requests":2,"sample_rate":0.25"#,
        ),
        // No price for searches: its tokens only.
        call("gpt-4o", r#","input_tokens":1000,"output_tokens":100,"web_search_requests":5"#),
    ]
    .join("\n");
    let r = build(&fold_priced(&log, crate::pricing::PriceTable::built_in()), at(T), at(T), &Thresholds::default());
    let model = |n: &str| r.models.iter().find(|m| m.name == n).unwrap();
    let sonnet = model("claude-sonnet-4-5");
    assert_eq!(sonnet.web_search_requests, 3 + 8);
    let by_hand = (0.0045 + 0.03) + 4.0 * (0.0045 + 0.02);
    assert!((sonnet.cost_usd - by_hand).abs() < 1e-9, "{} vs {by_hand}", sonnet.cost_usd);
    assert_eq!(sonnet.price.as_ref().unwrap().web_search_per_thousand, Some(10.0));
    let gpt = model("gpt-4o");
    assert_eq!(gpt.web_search_requests, 5);
    assert!((gpt.cost_usd - (1000.0 * 2.5 + 100.0 * 10.0) / 1e6).abs() < 1e-12);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["models"][0]["web_search_requests"], 11, "{json}");
    let md = markdown::render(&r);
    assert!(md.contains("| Web searches |") && md.contains("| 11 |"), "{md}");
    // Without searches, no column of zeros.
    let plain = build(
        &fold_priced(&call("gpt-4o", r#","input_tokens":10"#), crate::pricing::PriceTable::built_in()),
        at(T),
        at(T),
        &Thresholds::default(),
    );
    assert!(!markdown::render(&plain).contains("Web searches"));
}

/// A coding agent's session says where it worked (its project's folder and
/// branch) in both reports; a log without projects has no such column.
#[test]
fn sessions_say_their_project_and_branch() {
    let request = |session: &str, attrs: &str| {
        format!(
            r#"{{"ts":"{T}","type":"agent_request","agent":"claude-code","session":"{session}","success":true,"duration_ms":5{attrs}}}"#
        )
    };
    let log = [
        request("s1", r#","attrs":{"project":"/home/dev/acme-api/","git_branch":"feat/x|y"}"#),
        // A branch without a project says nothing: the branch of which folder?
        request("s2", r#","attrs":{"git_branch":"main"}"#),
        // The first project named is the session's (and its branch with it).
        request("s2", r#","attrs":{"project":"C:\\work\\billing"}"#),
        request("s2", r#","attrs":{"project":"/elsewhere","git_branch":"dev"}"#),
        request("s3", ""),
    ]
    .join("\n");
    let r = build(&fold_text(&log), at(T), at(T), &Thresholds::default());
    let session = |id: &str| r.sessions.recent.iter().find(|s| s.id == id).unwrap();
    assert_eq!(session("s1").git_branch.as_deref(), Some("feat/x|y"));
    assert_eq!(session("s1").place().as_deref(), Some("acme-api (feat/x|y)"));
    assert_eq!((session("s2").place().as_deref(), session("s2").git_branch.as_deref()), (Some("billing"), None));
    assert_eq!(session("s3").place(), None);
    let json = serde_json::to_value(&r).unwrap();
    let recent = json["sessions"]["recent"].as_array().unwrap();
    let s1 = recent.iter().find(|s| s["id"] == "s1").unwrap();
    assert_eq!((s1["project"].as_str(), s1["git_branch"].as_str()), (Some("/home/dev/acme-api/"), Some("feat/x|y")));
    assert!(recent.iter().find(|s| s["id"] == "s3").unwrap().get("git_branch").is_none());
    let md = markdown::render(&r);
    assert!(md.contains("| Session | Project | Agents |"), "{md}");
    // The pipe in the branch is escaped, not a cell's end.
    assert!(md.contains("| s1 | acme-api (feat/x\\|y) |"), "{md}");
    let plain = build(&fold_text(&request("s3", "")), at(T), at(T), &Thresholds::default());
    assert!(markdown::render(&plain).contains("| Session | Agents |"));
}

/// Weighted counts: a sampled event counts as 1 / its rate everywhere, and the
/// rows resting on sampled events are marked.
#[test]
fn sampled_events_are_weighted_and_marked() {
    let mut log: Vec<String> = Vec::new();
    // 9 successes kept at 0.1 (90 calls) and 10 failures kept at 1.
    for _ in 0..9 {
        log.push(format!(
            r#"{{"ts":"{T}","type":"tool_call","tool":"fetch","success":true,"duration_ms":100,"sample_rate":0.1}}"#
        ));
    }
    for _ in 0..10 {
        log.push(format!(r#"{{"ts":"{T}","type":"tool_call","tool":"fetch","success":false,"duration_ms":1000}}"#));
    }
    // A model call at 0.25: 4 calls, 4 x (100 + 20) tokens and 4 x $0.01.
    log.push(call("m", r#","input_tokens":100,"output_tokens":20,"cost_usd":0.01,"sample_rate":0.25"#));
    log.push(call("plain", r#","input_tokens":1,"output_tokens":1,"cost_usd":0.01"#));
    let r = build(&fold_text(&log.join("\n")), at(T), at(T), &Thresholds::default());
    let fetch = &r.tools[0];
    assert_eq!((fetch.usage_count, fetch.successes, fetch.failures), (100, 90, 10));
    assert_eq!(fetch.success_rate, Some(90.0));
    // The mean weighs each duration by its event's weight: (90 x 100 + 10 x 1000) / 100.
    assert_eq!(fetch.avg_execution_time_ms, Some(190.0));
    // 90 of 100 weighted calls took 100 ms: the median is 100 ms, not 1000.
    assert!((fetch.p95_ms.unwrap() - 1000.0).abs() < 10.0);
    assert!(fetch.sampled);
    let m = r.models.iter().find(|m| m.name == "m").unwrap();
    assert_eq!((m.requests, m.input_tokens, m.tokens), (4, 400, 480));
    assert!((m.cost_usd - 0.04).abs() < 1e-12 && m.sampled);
    assert!(!r.models.iter().find(|m| m.name == "plain").unwrap().sampled);
    assert!(r.sampled);
    let md = markdown::render(&r);
    assert!(md.contains("| fetch \\* |"), "{md}");
    assert!(md.contains("estimated from sampled events"), "{md}");
    let unsampled = build(&fold_text(&call("plain", "")), at(T), at(T), &Thresholds::default());
    assert!(!unsampled.sampled && !markdown::render(&unsampled).contains("sampled"));
}

/// Sessions are bounded: the most recently active are kept, the rest counted.
#[test]
fn sessions_are_bounded_and_ordered_by_recency() {
    use crate::metrics::MAX_SESSIONS;
    let n = 2 * MAX_SESSIONS + 500;
    let log: Vec<String> = (0..n)
        .map(|i| {
            let ts = crate::time::format_rfc3339(at(T) + i as i64 * 1_000_000);
            format!(r#"{{"ts":"{ts}","type":"tool_call","tool":"t","success":true,"duration_ms":1,"session":"s{i}"}}"#)
        })
        .collect();
    let fold = fold_text(&log.join("\n"));
    assert!(fold.metrics.sessions.len() <= 2 * MAX_SESSIONS);
    let r = build(&fold, at(T), at(T), &Thresholds::default());
    assert_eq!(r.sessions.total, n as u64);
    assert_eq!(r.sessions.kept, MAX_SESSIONS as u64);
    assert_eq!(r.sessions.recent.len(), REPORT_SESSIONS);
    assert_eq!(r.sessions.recent[0].id, format!("s{}", n - 1));
    assert_eq!(r.sessions.recent[1].id, format!("s{}", n - 2));
}

#[test]
fn money_never_shows_a_cost_as_zero() {
    use markdown::usd;
    assert_eq!(usd(0.0), "$0.00");
    assert_eq!(usd(12.345), "$12.35");
    assert_eq!(usd(0.01), "$0.01");
    assert_eq!(usd(0.003), "$0.0030");
    assert_eq!(usd(0.0000123), "$0.000012");
    assert_eq!(usd(0.0483), "$0.05");
}

/// An agent named by any event is an agent: a row (0 requests where it made
/// none), and active when seen recently.
#[test]
fn agents_named_only_by_spans_tools_models_or_errors_have_rows() {
    let log = [
        format!(r#"{{"ts":"{T}","type":"span","name":"op","agent":"SpanOnly","duration_ms":5,"status":"ok"}}"#),
        format!(r#"{{"ts":"{T}","type":"tool_call","tool":"t","agent":"ToolOnly","success":true,"duration_ms":5}}"#),
        format!(r#"{{"ts":"{T}","type":"error","component":"c","error_type":"E","message":"m","agent":"ErrorOnly"}}"#),
        call("m", r#","agent":"ModelOnly","input_tokens":1,"output_tokens":1,"cost_usd":0.01"#),
    ]
    .join("\n");
    let r = build(&fold_text(&log), at(T), at(T), &Thresholds::default());
    let mut names: Vec<&str> = r.agents.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["ErrorOnly", "ModelOnly", "SpanOnly", "ToolOnly"]);
    assert!(r.agents.iter().all(|a| a.total_requests == 0 && a.success_rate.is_none()));
    assert_eq!(r.health.active_agents, 4);
}

/// A model with no known price says "unpriced", never "$0.00 / 0.0%".
#[test]
fn an_unpriced_model_reads_unpriced_in_markdown() {
    let log = [call("my-own-model", r#","input_tokens":5,"output_tokens":5"#), call("gpt-4o", r#","cost_usd":0.003"#)]
        .join("\n");
    let r = build(&fold_priced(&log, crate::pricing::PriceTable::built_in()), at(T), at(T), &Thresholds::default());
    let md = markdown::render(&r);
    let row = |name: &str| md.lines().filter(|l| l.starts_with(&format!("| {name} |"))).collect::<Vec<_>>();
    // The Models and cost-by-model rows (the unpriced list has two cells).
    let rows: Vec<&str> = row("my-own-model").into_iter().filter(|l| l.matches('|').count() > 3).collect();
    assert_eq!(rows.len(), 2, "{md}");
    assert!(md.contains("1 model call reported no cost and matches no known price: its cost is unknown"), "{md}");
    for line in rows {
        assert!(line.contains("unpriced") && !line.contains("$0.00"), "{line}");
    }
    assert!(row("gpt-4o").iter().any(|l| l.contains("$0.0030")), "{md}");
}

/// Events from a clock gone wrong are counted and left out: no two-thousand-year
/// uptime, no agent seen in 2999; a few seconds of skew between hosts is folded.
#[test]
fn clock_skew_is_counted_and_kept_out_of_every_figure() {
    let line = |ts: &str, agent: &str| {
        format!(r#"{{"ts":"{ts}","type":"agent_request","agent":"{agent}","success":true,"duration_ms":5}}"#)
    };
    let log = [
        line("0001-01-01T00:00:00Z", "Ancient"),
        line("2999-01-01T00:00:00Z", "Future"),
        line(T, "Now"),
        line("2026-11-26T10:00:20Z", "SlightlyAhead"),
    ]
    .join("\n");
    let mut f = Fold::new(None, std::sync::Arc::new(crate::pricing::PriceTable::default()));
    f.horizon = Some(at(T) + 300 * 1_000_000);
    let s = f.ingest.add_source("t.jsonl");
    for (i, l) in log.lines().enumerate() {
        f.line(s, i as u64 + 1, l.as_bytes());
    }
    let r = build(&f, at(T), at(T), &Thresholds::default());
    assert_eq!(r.ingest.clock_skew, 2);
    assert_eq!(r.ingest.events, 2);
    let mut names: Vec<&str> = r.agents.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["Now", "SlightlyAhead"]);
    assert!(r.health.uptime_s.is_some_and(|u| u < 60.0), "{:?}", r.health.uptime_s);
    assert_eq!(r.ingest.recent_clock_skew.len(), 2);
    assert!(r.ingest.recent_clock_skew[0].reason.contains("before 2000"));
    assert!(r.ingest.recent_clock_skew[1].reason.contains("ahead of now"), "{:?}", r.ingest.recent_clock_skew);
    assert!(markdown::render(&r).contains("2 events came from a clock gone wrong"));
}

#[test]
fn a_folder_of_many_clean_files_is_one_row_and_files_with_something_to_say_keep_theirs() {
    let file = |path: &str, events: u64| SourceStats {
        path: path.into(),
        bytes: 100,
        lines: events,
        events,
        ..SourceStats::default()
    };
    let mut sources: Vec<SourceStats> = (0..30).map(|i| file(&format!("/logs/s{i:02}.jsonl"), 2)).collect();
    sources[3].malformed = 1;
    sources[7].error = Some("cannot read log /logs/s07.jsonl: Permission denied".into());
    sources[9].copy_of = Some("/logs/s08.jsonl".into());
    sources.push(file("/other/one.jsonl", 5));
    let rows = source_rows(&sources);
    // The summary row stands where the folder's first file was.
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert_eq!((rows[0].stats.path.as_str(), rows[0].files), ("/logs", Some(27)));
    assert_eq!((rows[0].stats.events, rows[0].stats.bytes, rows[0].stats.lines), (54, 2700, 54));
    assert_eq!((rows[1].stats.path.as_str(), rows[1].stats.malformed), ("/logs/s03.jsonl", 1));
    assert!(rows[2].stats.error.is_some());
    assert_eq!(rows[3].stats.copy_of.as_deref(), Some("/logs/s08.jsonl"));
    assert_eq!((rows[4].stats.path.as_str(), rows[4].files), ("/other/one.jsonl", None));
    // Totals are the same either way.
    assert_eq!(rows.iter().map(|r| r.stats.events).sum::<u64>(), sources.iter().map(|s| s.events).sum::<u64>());
    // A folder of few files is listed file by file.
    assert_eq!(source_rows(&sources[..5]).len(), 5);
    let json = serde_json::to_value(&rows).unwrap();
    assert_eq!(json[0]["files"], 27);
    assert!(json[4].get("files").is_none());
    assert_eq!(json[3]["copy_of"], "/logs/s08.jsonl");
    assert!(json[4].get("copy_of").is_none(), "absent unless a copy");
}
