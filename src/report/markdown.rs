//! The Markdown report: GitHub-flavoured, readable as plain text in a terminal and
//! rendered on a web page. Every string from the log goes through [`cell`], so no
//! name can break a table or smuggle markup or escape sequences in.

use std::fmt::Write as _;

use super::Report;
use crate::sanitize;

/// Makes untrusted text safe inside a table cell or a line of prose: control
/// characters and escape sequences removed, and every character with a meaning in
/// Markdown escaped. Underscores inside words stay as they are (GFM never reads
/// them as emphasis), so `web_search` reads as itself in a terminal.
pub fn cell(text: &str) -> String {
    let clean = sanitize::clean_truncated(text, 200);
    let chars: Vec<char> = clean.chars().collect();
    let mut out = String::with_capacity(clean.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\\' | '|' | '`' | '*' | '<' | '>' | '[' | ']' | '~' | '&' | '!' | '#' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '_' => {
                let word = |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(|c| c.is_alphanumeric());
                if !(word(i.checked_sub(1)) && word(Some(i + 1))) {
                    out.push('\\');
                }
                out.push('_');
            }
            c => out.push(c),
        }
    }
    if out.trim().is_empty() { "\u{a0}".into() } else { out.trim().to_owned() }
}

fn ms(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v >= 1000.0 => format!("{:.2}s", v / 1000.0),
        Some(v) => format!("{v:.0}ms"),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.1}%"))
}

fn usd(v: f64) -> String {
    if v != 0.0 && v.abs() < 0.01 { format!("${v:.4}") } else { format!("${v:.2}") }
}

/// Writes a table; `right` marks right-aligned (numeric) columns.
fn table(out: &mut String, headers: &[&str], right: &[bool], rows: &[Vec<String>]) {
    out.push('|');
    for h in headers {
        let _ = write!(out, " {h} |");
    }
    out.push_str("\n|");
    for (i, _) in headers.iter().enumerate() {
        out.push_str(if right.get(i).copied().unwrap_or(false) { " ---: |" } else { " --- |" });
    }
    out.push('\n');
    for row in rows {
        out.push('|');
        for c in row {
            let _ = write!(out, " {c} |");
        }
        out.push('\n');
    }
    out.push('\n');
}

/// Renders the report as Markdown.
pub fn render(r: &Report) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let h = &r.health;
    let _ = writeln!(out, "# ajentik report\n");
    let _ = writeln!(out, "Generated {} for the state as of {}.\n", r.generated_at, r.now);

    out.push_str("## System overview\n\n");
    let uptime = h.uptime_s.map_or_else(|| "–".into(), |s| crate::time::human_duration((s * 1e6) as i64));
    let mut rows = vec![
        vec!["Status".into(), format!("**{}**", h.status.as_str().to_uppercase())],
        vec!["Uptime".into(), uptime],
        vec!["Total requests".into(), h.total_requests.to_string()],
        vec!["Success rate".into(), pct(h.success_rate)],
        vec!["Active agents".into(), h.active_agents.to_string()],
        vec!["Recent errors (5 min)".into(), h.recent_errors.to_string()],
        vec!["Requests in the last 5 min".into(), format!("{} ({} failed)", h.recent_requests, h.recent_failures)],
        vec!["Events read".into(), r.ingest.events.to_string()],
        vec!["Total cost".into(), usd(r.cost.total_usd)],
    ];
    if let Some(rss) = h.rss_bytes {
        rows.push(vec!["Memory (live writers)".into(), format!("{:.1} MiB", rss as f64 / 1_048_576.0)]);
    }
    if let Some(cpu) = h.cpu_percent {
        rows.push(vec!["CPU (live writers)".into(), format!("{cpu:.1}%")]);
    }
    if let Some(last) = &h.last_event_at {
        rows.push(vec!["Last event".into(), last.clone()]);
    }
    table(&mut out, &["Metric", "Value"], &[false, true], &rows);

    out.push_str("## Alerts\n\n");
    if r.alerts.is_empty() {
        out.push_str("None firing.\n\n");
    } else {
        let rows: Vec<_> = r
            .alerts
            .iter()
            .map(|a| {
                vec![
                    format!("**{}**", a.severity.as_str().to_uppercase()),
                    a.rule.as_str().to_owned(),
                    cell(&a.scope),
                    cell(&a.message),
                    crate::time::format_rfc3339(a.since),
                ]
            })
            .collect();
        table(&mut out, &["Severity", "Rule", "Scope", "Alert", "Since"], &[], &rows);
    }

    out.push_str("## Agent performance\n\n");
    if r.agents.is_empty() {
        out.push_str("No agent requests.\n\n");
    } else {
        let rows: Vec<_> = r
            .agents
            .iter()
            .map(|a| {
                vec![
                    cell(&a.name),
                    a.total_requests.to_string(),
                    pct(a.success_rate),
                    ms(a.avg_response_time_ms),
                    ms(a.p95_ms),
                    ms(a.p99_ms),
                    a.tokens.to_string(),
                    usd(a.cost_usd),
                ]
            })
            .collect();
        table(
            &mut out,
            &["Agent", "Requests", "Success", "Avg time", "p95", "p99", "Tokens", "Cost"],
            &[false, true, true, true, true, true, true, true],
            &rows,
        );
    }

    out.push_str("## Tools\n\n");
    if r.tools.is_empty() {
        out.push_str("No tool calls.\n\n");
    } else {
        let rows: Vec<_> = r
            .tools
            .iter()
            .map(|t| {
                vec![
                    cell(&t.name),
                    t.usage_count.to_string(),
                    pct(t.success_rate),
                    ms(t.avg_execution_time_ms),
                    ms(t.p95_ms),
                    t.failures.to_string(),
                ]
            })
            .collect();
        table(
            &mut out,
            &["Tool", "Uses", "Success", "Avg time", "p95", "Failures"],
            &[false, true, true, true, true, true],
            &rows,
        );
    }

    out.push_str("## Models\n\n");
    if r.models.is_empty() {
        out.push_str("No model calls.\n\n");
    } else {
        let rows: Vec<_> = r
            .models
            .iter()
            .map(|m| {
                vec![
                    cell(&m.name),
                    m.requests.to_string(),
                    m.input_tokens.to_string(),
                    m.output_tokens.to_string(),
                    ms(m.avg_latency_ms),
                    ms(m.p95_ms),
                    usd(m.cost_usd),
                ]
            })
            .collect();
        table(
            &mut out,
            &["Model", "Requests", "Tokens in", "Tokens out", "Avg latency", "p95", "Cost"],
            &[false, true, true, true, true, true, true],
            &rows,
        );
    }

    out.push_str("## Cost breakdown\n\n");
    let _ = writeln!(out, "Total: **{}** for {} tokens.\n", usd(r.cost.total_usd), r.cost.tokens);
    let c = &r.cost;
    let mut rows = vec![
        vec![format!("Today (since {})", c.day_start), usd(c.today_usd)],
        vec!["Last hour".into(), usd(c.last_hour_usd)],
        vec!["Burn rate".into(), format!("{}/h", usd(c.burn_rate_usd_per_hour))],
        vec!["Projected for today".into(), usd(c.projected_today_usd)],
    ];
    if let (Some(budget), Some(used)) = (c.daily_budget_usd, c.budget_used_pct) {
        rows.push(vec!["Daily budget".into(), format!("{} ({used:.0}% used)", usd(budget))]);
    }
    for b in &c.agent_budgets {
        rows.push(vec![
            format!("Budget of {}", cell(&b.agent)),
            format!("{} of {} ({:.0}% used)", usd(b.today_usd), usd(b.daily_budget_usd), b.used_pct),
        ]);
    }
    table(&mut out, &["Spend", "Amount"], &[false, true], &rows);
    for (title, lines) in [("Model", &r.cost.by_model), ("Agent", &r.cost.by_agent)] {
        if lines.is_empty() {
            continue;
        }
        let rows: Vec<_> = lines
            .iter()
            .map(|c| {
                let share = (r.cost.total_usd > 0.0).then(|| c.cost_usd * 100.0 / r.cost.total_usd);
                vec![cell(&c.name), usd(c.cost_usd), pct(share), c.tokens.to_string()]
            })
            .collect();
        table(&mut out, &[title, "Cost", "Share", "Tokens"], &[false, true, true, true], &rows);
    }

    if r.cost.unpriced_calls > 0 {
        let _ = writeln!(
            out,
            "{} model calls reported no cost and match no known price: their cost is unknown, not counted above.\n",
            r.cost.unpriced_calls
        );
        let rows: Vec<_> = r.cost.unpriced.iter().map(|u| vec![cell(&u.model), u.calls.to_string()]).collect();
        table(&mut out, &["Unpriced model", "Calls"], &[false, true], &rows);
    }

    out.push_str("## Errors by type\n\n");
    if r.errors.total == 0 {
        out.push_str("No error events.\n\n");
    } else {
        let _ = writeln!(out, "{} error events.\n", r.errors.total);
        let rows: Vec<_> = r.errors.by_type.iter().map(|e| vec![cell(&e.error_type), e.count.to_string()]).collect();
        table(&mut out, &["Error type", "Count"], &[false, true], &rows);
        let rows: Vec<_> =
            r.errors.by_component.iter().map(|e| vec![cell(&e.component), e.count.to_string()]).collect();
        table(&mut out, &["Component", "Count"], &[false, true], &rows);
        let rows: Vec<_> = r
            .errors
            .recent
            .iter()
            .take(10)
            .map(|e| vec![e.ts.clone(), cell(&e.component), cell(&e.error_type), cell(&e.message)])
            .collect();
        out.push_str("Most recent:\n\n");
        table(&mut out, &["Time", "Component", "Error type", "Message"], &[], &rows);
    }

    if !r.spans.is_empty() {
        out.push_str("## Operations (spans)\n\n");
        let rows: Vec<_> = r
            .spans
            .iter()
            .map(|s| vec![cell(&s.name), s.count.to_string(), s.failures.to_string(), ms(s.avg_ms), ms(s.p95_ms)])
            .collect();
        table(&mut out, &["Operation", "Count", "Failures", "Avg", "p95"], &[false, true, true, true, true], &rows);
    }

    out.push_str("## Ingest problems\n\n");
    let i = &r.ingest;
    if i.malformed + i.unknown + i.unsupported == 0 {
        out.push_str("None: every line was read.\n\n");
    } else {
        let _ = writeln!(
            out,
            "{} malformed, {} of unknown type, {} of an unsupported version.\n",
            i.malformed, i.unknown, i.unsupported
        );
    }
    let rows: Vec<_> = r
        .sources
        .iter()
        .map(|s| {
            vec![
                cell(&s.path),
                s.lines.to_string(),
                s.events.to_string(),
                s.malformed.to_string(),
                s.unknown.to_string(),
                s.unsupported.to_string(),
            ]
        })
        .collect();
    table(
        &mut out,
        &["Source", "Lines", "Events", "Malformed", "Unknown", "Unsupported"],
        &[false, true, true, true, true, true],
        &rows,
    );
    for s in r.sources.iter().filter(|s| s.error.is_some()) {
        let _ = writeln!(out, "**Unreadable:** {}\n", cell(s.error.as_deref().unwrap_or_default()));
    }
    if !i.recent_malformed.is_empty() {
        let rows: Vec<_> =
            i.recent_malformed.iter().map(|m| vec![cell(&m.source), m.line.to_string(), cell(&m.reason)]).collect();
        table(&mut out, &["Source", "Line", "Reason"], &[false, true, false], &rows);
    }
    out
}
