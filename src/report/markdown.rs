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

/// Dollars with cents, and below a cent with two significant digits, so that a
/// cost that is not zero never reads as zero ($0.0030, $0.000012).
pub fn usd(v: f64) -> String {
    if v == 0.0 || !v.is_finite() || v.abs() >= 0.01 {
        return format!("${v:.2}");
    }
    let digits = (-v.abs().log10().floor()) as usize + 1;
    format!("${v:.digits$}")
}

/// A cost that leaves out the calls that could not be priced, as shown:
/// "unpriced" when those calls are all it has, "+?" after it when they add an
/// unknown amount to it.
pub fn usd_and_unpriced(cost: f64, unpriced_calls: u64) -> String {
    match unpriced_calls {
        0 => usd(cost),
        _ if cost == 0.0 => "unpriced".into(),
        _ => format!("{}+?", usd(cost)),
    }
}

/// A name, marked when its figures are estimated from sampled events.
fn name(text: &str, sampled: bool) -> String {
    if sampled { format!("{} \\*", cell(text)) } else { cell(text) }
}

/// The footnote for rows marked by [`name`].
const SAMPLED_NOTE: &str = "\\* estimated from sampled events: each kept event counts as 1 / its sample rate.\n\n";

fn tokens(n: u64) -> String {
    n.to_string()
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
    let _ = writeln!(out, "# ajentik report\n");
    let _ = writeln!(out, "Generated {} for the state as of {}.\n", r.generated_at, r.now);
    for s in r.sources.iter().filter(|s| s.stats.error.is_some()) {
        let label = if s.stats.lines > 0 { "Source read in part" } else { "Source not read" };
        let _ = writeln!(out, "**{label}:** {}\n", cell(s.stats.error.as_deref().unwrap_or_default()));
    }
    if r.sampled {
        out.push_str("Some figures are estimated from sampled events (marked \\*).\n\n");
    }
    overview(&mut out, r);
    alerts(&mut out, r);
    agents(&mut out, r);
    tools(&mut out, r);
    models(&mut out, r);
    cost(&mut out, r);
    sessions(&mut out, r);
    errors(&mut out, r);
    spans(&mut out, r);
    ingest(&mut out, r);
    out
}

fn overview(out: &mut String, r: &Report) {
    let h = &r.health;
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
        vec!["Total cost".into(), usd_and_unpriced(r.cost.total_usd, r.cost.unpriced_calls)],
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
    table(out, &["Metric", "Value"], &[false, true], &rows);
}

fn alerts(out: &mut String, r: &Report) {
    out.push_str("## Alerts\n\n");
    for w in &r.alerts_waiting {
        let _ = writeln!(out, "`{}` is not evaluated: {}.\n", w.rule.as_str(), cell(&w.reason));
    }
    if r.alerts.is_empty() {
        out.push_str("None firing.\n\n");
        return;
    }
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
    table(out, &["Severity", "Rule", "Scope", "Alert", "Since"], &[], &rows);
}

fn agents(out: &mut String, r: &Report) {
    out.push_str("## Agent performance\n\n");
    if r.agents.is_empty() {
        out.push_str("No agents.\n\n");
        return;
    }
    let rows: Vec<_> = r
        .agents
        .iter()
        .map(|a| {
            vec![
                name(&a.name, a.sampled),
                a.total_requests.to_string(),
                pct(a.success_rate),
                ms(a.avg_response_time_ms),
                ms(a.p95_ms),
                ms(a.p99_ms),
                tokens(a.tokens),
                usd_and_unpriced(a.cost_usd, a.unpriced_calls),
            ]
        })
        .collect();
    table(
        out,
        &["Agent", "Requests", "Success", "Avg time", "p95", "p99", "Tokens", "Cost"],
        &[false, true, true, true, true, true, true, true],
        &rows,
    );
    if r.agents.iter().any(|a| a.sampled) {
        out.push_str(SAMPLED_NOTE);
    }
}

fn tools(out: &mut String, r: &Report) {
    out.push_str("## Tools\n\n");
    if r.tools.is_empty() {
        out.push_str("No tool calls.\n\n");
        return;
    }
    let rows: Vec<_> = r
        .tools
        .iter()
        .map(|t| {
            vec![
                name(&t.name, t.sampled),
                t.usage_count.to_string(),
                pct(t.success_rate),
                ms(t.avg_execution_time_ms),
                ms(t.p95_ms),
                t.failures.to_string(),
            ]
        })
        .collect();
    table(
        out,
        &["Tool", "Uses", "Success", "Avg time", "p95", "Failures"],
        &[false, true, true, true, true, true],
        &rows,
    );
    if r.tools.iter().any(|t| t.sampled) {
        out.push_str(SAMPLED_NOTE);
    }
}

fn models(out: &mut String, r: &Report) {
    out.push_str("## Models\n\n");
    if r.models.is_empty() {
        out.push_str("No model calls.\n\n");
        return;
    }
    let mut rows: Vec<_> = r
        .models
        .iter()
        .map(|m| {
            vec![
                name(&m.name, m.sampled),
                m.requests.to_string(),
                tokens(m.input_tokens),
                tokens(m.output_tokens),
                tokens(m.cache_read_tokens),
                tokens(m.cache_write_tokens),
                tokens(m.reasoning_tokens),
                pct(m.cache_hit_pct),
                m.cache_savings_usd.map_or_else(|| "–".into(), usd),
                m.web_search_requests.to_string(),
                ms(m.avg_latency_ms),
                usd_and_unpriced(m.cost_usd, m.unpriced_calls),
            ]
        })
        .collect();
    let mut headers = vec![
        "Model",
        "Requests",
        "Tokens in",
        "Tokens out",
        "Cache read",
        "Cache write",
        "Reasoning",
        "Cache hit",
        "Cache savings",
        "Web searches",
        "Avg latency",
        "Cost",
    ];
    let mut right = vec![false, true, true, true, true, true, true, true, true, true, true, true];
    // Few providers count web searches; a column of zeros says nothing.
    if r.models.iter().all(|m| m.web_search_requests == 0) {
        drop_column(9, &mut headers, &mut right, &mut rows);
    }
    table(out, &headers, &right, &rows);
    if r.models.iter().any(|m| m.sampled) {
        out.push_str(SAMPLED_NOTE);
    }
}

fn cost(out: &mut String, r: &Report) {
    out.push_str("## Cost breakdown\n\n");
    let total = usd_and_unpriced(r.cost.total_usd, r.cost.unpriced_calls);
    let _ = writeln!(out, "Total: **{total}** for {} tokens.\n", r.cost.tokens);
    let c = &r.cost;
    let mut rows = vec![
        vec![format!("Today (since {})", c.day_start), usd(c.today_usd)],
        vec!["Last hour".into(), usd(c.last_hour_usd)],
        vec!["Burn rate".into(), format!("{}/h", usd(c.burn_rate_usd_per_hour))],
        vec!["Projected for today".into(), usd(c.projected_today_usd)],
    ];
    let savings: f64 = r.models.iter().filter_map(|m| m.cache_savings_usd).sum();
    if savings != 0.0 {
        rows.push(vec!["Saved by cache reads".into(), usd(savings)]);
    }
    if let (Some(budget), Some(used)) = (c.daily_budget_usd, c.budget_used_pct) {
        rows.push(vec!["Daily budget".into(), format!("{} ({used:.0}% used)", usd(budget))]);
    }
    for b in &c.agent_budgets {
        rows.push(vec![
            format!("Budget of {}", cell(&b.agent)),
            format!("{} of {} ({:.0}% used)", usd(b.today_usd), usd(b.daily_budget_usd), b.used_pct),
        ]);
    }
    table(out, &["Spend", "Amount"], &[false, true], &rows);
    for (title, lines) in [("Model", &r.cost.by_model), ("Agent", &r.cost.by_agent)] {
        if lines.is_empty() {
            continue;
        }
        let rows: Vec<_> = lines
            .iter()
            .map(|c| {
                let share = (r.cost.total_usd > 0.0 && (c.cost_usd > 0.0 || c.unpriced_calls == 0))
                    .then(|| c.cost_usd * 100.0 / r.cost.total_usd);
                vec![cell(&c.name), usd_and_unpriced(c.cost_usd, c.unpriced_calls), pct(share), tokens(c.tokens)]
            })
            .collect();
        table(out, &[title, "Cost", "Share", "Tokens"], &[false, true, true, true], &rows);
    }
    if r.cost.unpriced_calls > 0 {
        let n = r.cost.unpriced_calls;
        let (calls, verb, their) = if n == 1 { ("call", "matches", "its") } else { ("calls", "match", "their") };
        let _ = writeln!(
            out,
            "{n} model {calls} reported no cost and {verb} no known price: {their} cost is unknown and not counted above (a cost marked +? leaves some out).\n"
        );
        let rows: Vec<_> = r.cost.unpriced.iter().map(|u| vec![cell(&u.model), u.calls.to_string()]).collect();
        table(out, &["Unpriced model", "Calls"], &[false, true], &rows);
    }
}

/// The costliest sessions of the report (the JSON report lists the most recent).
fn sessions(out: &mut String, r: &Report) {
    let s = &r.sessions;
    if s.total == 0 {
        return;
    }
    out.push_str("## Sessions\n\n");
    let _ = writeln!(
        out,
        "{} sessions; the {} costliest of the {} most recent:\n",
        s.total,
        COSTLIEST_SESSIONS.min(s.recent.len()),
        s.recent.len()
    );
    let mut costliest: Vec<_> = s.recent.iter().collect();
    costliest.sort_by(|a, b| b.cost_usd.total_cmp(&a.cost_usd).then_with(|| a.id.cmp(&b.id)));
    costliest.truncate(COSTLIEST_SESSIONS);
    let mut rows: Vec<_> = costliest
        .iter()
        .map(|x| {
            vec![
                cell(&x.id),
                cell(&x.place().unwrap_or_default()),
                cell(&x.agents.join(", ")),
                x.last_ts.clone(),
                x.model_calls.to_string(),
                x.tool_calls.to_string(),
                x.failures.to_string(),
                tokens(x.input_tokens),
                tokens(x.cache_read_tokens),
                usd_and_unpriced(x.cost_usd, x.unpriced_calls),
            ]
        })
        .collect();
    let mut headers = vec![
        "Session",
        "Project",
        "Agents",
        "Last active",
        "Model calls",
        "Tool calls",
        "Failures",
        "Tokens in",
        "Cache read",
        "Cost",
    ];
    let mut right = vec![false, false, false, false, true, true, true, true, true, true];
    // Coding agents' sessions say where they worked; other logs need no column for it.
    if costliest.iter().all(|x| x.project.is_none()) {
        drop_column(1, &mut headers, &mut right, &mut rows);
    }
    table(out, &headers, &right, &rows);
}

/// Removes column `at` of a table about to be written.
fn drop_column(at: usize, headers: &mut Vec<&str>, right: &mut Vec<bool>, rows: &mut [Vec<String>]) {
    headers.remove(at);
    right.remove(at);
    for row in rows {
        row.remove(at);
    }
}

/// Sessions listed in the Markdown report.
pub const COSTLIEST_SESSIONS: usize = 10;

fn errors(out: &mut String, r: &Report) {
    out.push_str("## Errors by type\n\n");
    if r.errors.total == 0 {
        out.push_str("No error events.\n\n");
        return;
    }
    let _ = writeln!(out, "{} error events.\n", r.errors.total);
    let rows: Vec<_> = r.errors.by_type.iter().map(|e| vec![cell(&e.error_type), e.count.to_string()]).collect();
    table(out, &["Error type", "Count"], &[false, true], &rows);
    let rows: Vec<_> = r.errors.by_component.iter().map(|e| vec![cell(&e.component), e.count.to_string()]).collect();
    table(out, &["Component", "Count"], &[false, true], &rows);
    let rows: Vec<_> = r
        .errors
        .recent
        .iter()
        .take(10)
        .map(|e| vec![e.ts.clone(), cell(&e.component), cell(&e.error_type), cell(&e.message)])
        .collect();
    out.push_str("Most recent:\n\n");
    table(out, &["Time", "Component", "Error type", "Message"], &[], &rows);
}

fn spans(out: &mut String, r: &Report) {
    if r.spans.is_empty() {
        return;
    }
    out.push_str("## Operations (spans)\n\n");
    let rows: Vec<_> = r
        .spans
        .iter()
        .map(|s| {
            vec![name(&s.name, s.sampled), s.count.to_string(), s.failures.to_string(), ms(s.avg_ms), ms(s.p95_ms)]
        })
        .collect();
    table(out, &["Operation", "Count", "Failures", "Avg", "p95"], &[false, true, true, true, true], &rows);
    if r.spans.iter().any(|s| s.sampled) {
        out.push_str(SAMPLED_NOTE);
    }
}

fn ingest(out: &mut String, r: &Report) {
    out.push_str("## Ingest problems\n\n");
    let i = &r.ingest;
    if i.malformed + i.unknown + i.unsupported + i.clock_skew == 0 {
        out.push_str("None: every line was read.\n\n");
    } else {
        let _ = writeln!(
            out,
            "{} malformed, {} of unknown type, {} of an unsupported version.\n",
            i.malformed, i.unknown, i.unsupported
        );
    }
    if i.clock_skew > 0 {
        let _ = writeln!(
            out,
            "{} events came from a clock gone wrong (stamped too far ahead of now, or before 2000) and were left out.\n",
            i.clock_skew
        );
        let rows: Vec<_> =
            i.recent_clock_skew.iter().map(|m| vec![cell(&m.source), m.line.to_string(), cell(&m.reason)]).collect();
        table(out, &["Source", "Line", "Clock skew"], &[false, true, false], &rows);
    }
    let rows: Vec<_> = r
        .sources
        .iter()
        .map(|s| {
            vec![
                cell(&s.stats.path),
                s.stats.lines.to_string(),
                s.stats.events.to_string(),
                s.stats.malformed.to_string(),
                s.stats.unknown.to_string(),
                s.stats.unsupported.to_string(),
            ]
        })
        .collect();
    table(
        out,
        &["Source", "Lines", "Events", "Malformed", "Unknown", "Unsupported"],
        &[false, true, true, true, true, true],
        &rows,
    );
    for s in r.sources.iter().filter(|s| s.stats.error.is_some()) {
        // A file whose lines were read before it failed (a compressed file cut
        // short, one that became unreadable while followed) is not unreadable.
        let label = if s.stats.lines > 0 { "Read in part" } else { "Unreadable" };
        let _ = writeln!(out, "**{label}:** {}\n", cell(s.stats.error.as_deref().unwrap_or_default()));
    }
    if !i.recent_malformed.is_empty() {
        let rows: Vec<_> =
            i.recent_malformed.iter().map(|m| vec![cell(&m.source), m.line.to_string(), cell(&m.reason)]).collect();
        table(out, &["Source", "Line", "Reason"], &[false, true, false], &rows);
    }
}
