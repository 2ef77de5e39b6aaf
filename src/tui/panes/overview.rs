//! Overview: status and uptime, the user guide's three columns (agents, tools,
//! health), request and error rates over the last hour, firing alerts, and
//! today's spend against the budget.
//!
//! ```text
//! ┌ status ───────────────────────────────────────────────────────────────┐
//! ├ agents ─────────────┬ tools ──────────────┬ health ───────────────────┤
//! ├ requests/min (60m) ──────────────────┬ errors/min (60m) ──────────────┤
//! ├ alerts ───────────────────────────────┬ spend today ──────────────────┤
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, Paragraph};

use super::{Ctx, status_style};
use super::{block, ms, pct, rate_style, usd};
use crate::sanitize::clean_truncated;

pub fn render(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let [top, columns, charts, bottom] =
        Layout::vertical([Constraint::Length(3), Constraint::Min(6), Constraint::Length(5), Constraint::Length(6)])
            .areas(area);
    render_status(f, top, ctx);
    let [agents, tools, health] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(columns);
    render_agents(f, agents, ctx);
    render_tools(f, tools, ctx);
    render_health(f, health, ctx);
    render_rates(f, charts, ctx);
    let [alerts, spend] = Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(bottom);
    render_alerts(f, alerts, ctx);
    render_spend(f, spend, ctx);
}

/// The status line: health, uptime, requests, success rate, alerts and spend.
fn render_status(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (r, t, th) = (&ctx.view.report, ctx.theme, ctx.app.effective_thresholds());
    let h = &r.health;
    let uptime = h.uptime_s.map_or_else(|| "–".into(), |s| crate::time::human_duration((s * 1e6) as i64));
    let status = Line::from(vec![
        Span::styled(format!("{} ", h.status.as_str().to_uppercase()), status_style(t, h.status)),
        Span::raw(format!(" up {uptime} · {} reqs · ok ", super::compact(h.total_requests as f64))),
        Span::styled(pct(h.success_rate), rate_style(t, h.success_rate, 100.0 - th.error_rate_pct)),
        Span::raw(format!(
            " · {} alerts · {} spent",
            r.alerts.len(),
            crate::report::markdown::usd_and_unpriced(r.cost.total_usd, r.cost.unpriced_calls)
        )),
    ]);
    f.render_widget(Paragraph::new(status).block(block("System", t)), area);
}

/// The width a column's names get: what its numbers leave.
fn name_width(area: Rect, numbers: usize) -> usize {
    (area.width as usize).saturating_sub(2 + numbers).max(6)
}

/// Agents: requests and success rate (red past the agent's error-rate
/// threshold), and where the column is wide enough, average response time.
fn render_agents(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (t, th) = (ctx.theme, ctx.app.effective_thresholds());
    let wide = area.width >= 40;
    let agent_name = name_width(area, if wide { 21 } else { 13 });
    let agent_items: Vec<ListItem> = ctx
        .view
        .report
        .agents
        .iter()
        .map(|a| {
            let (max_error_pct, max_ms, _) = th.for_agent(&a.name);
            let slow = a.avg_response_time_ms.is_some_and(|v| v > max_ms);
            let mut spans = vec![
                Span::raw(format!("{:<agent_name$}", clean_truncated(&a.name, agent_name))),
                Span::raw(format!("{:>6}", super::compact(a.total_requests as f64))),
                Span::styled(
                    format!("{:>7}", pct(a.success_rate)),
                    rate_style(t, a.success_rate, 100.0 - max_error_pct),
                ),
            ];
            if wide {
                spans.push(Span::styled(
                    format!(" {:>7}", ms(a.avg_response_time_ms)),
                    if slow { t.warn } else { t.dim },
                ));
            }
            ListItem::new(Line::from(spans))
        })
        .collect();
    f.render_widget(List::new(agent_items).block(block("Agents", t)), area);
}

/// Tools: uses and success rate against the tool threshold.
fn render_tools(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (t, th) = (ctx.theme, ctx.app.effective_thresholds());
    let w = name_width(area, 13);
    let tool_items: Vec<ListItem> = ctx
        .view
        .report
        .tools
        .iter()
        .map(|tool| {
            ListItem::new(Line::from(vec![
                Span::raw(format!("{:<w$}", clean_truncated(&tool.name, w))),
                Span::raw(format!("{:>6}", super::compact(tool.usage_count as f64))),
                Span::styled(
                    format!("{:>7}", pct(tool.success_rate)),
                    rate_style(t, tool.success_rate, th.tool_success_pct),
                ),
            ]))
        })
        .collect();
    f.render_widget(List::new(tool_items).block(block("Tools", t)), area);
}

/// Health: the last five minutes, and the writers' processes.
fn render_health(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let h = &ctx.view.report.health;
    let rss = h.rss_bytes.map_or_else(|| "–".into(), |b| format!("{:.0} MiB", b as f64 / 1_048_576.0));
    let cpu = h.cpu_percent.map_or_else(|| "–".into(), |c| format!("{c:.1}%"));
    let health_lines = vec![
        Line::from(format!("Requests (5m)  {}", h.recent_requests)),
        Line::from(format!("Failed (5m)    {}", h.recent_failures)),
        Line::from(format!("Avg time (5m)  {}", ms(h.recent_avg_response_time_ms))),
        Line::from(format!("Active agents  {}", h.active_agents)),
        Line::from(format!("Errors (5m)    {}", h.recent_errors)),
        // Their memory and CPU only where they fit whole (the box is a third of the screen).
        Line::from(super::first_that_fits(
            [
                format!("Writers        {}  ({rss}, cpu {cpu})", h.live_processes),
                format!("Writers        {}", h.live_processes),
                format!("Writers {}", h.live_processes),
            ],
            usize::from(area.width.saturating_sub(2)),
        )),
    ];
    f.render_widget(Paragraph::new(health_lines).block(block("Health", ctx.theme)), area);
}

/// Requests and errors a minute over the last hour, side by side.
fn render_rates(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (view, t) = (ctx.view, ctx.theme);
    let [requests, errors] = Layout::horizontal([Constraint::Ratio(1, 2); 2]).areas(area);
    let max_req = view.requests_per_minute.iter().copied().max().unwrap_or(0);
    let title = format!("requests/min (max {max_req})");
    let spark = super::sparkline(&title, super::latest(&view.requests_per_minute, requests), t.chart, t);
    f.render_widget(spark, requests);
    let max_err = view.errors_per_minute.iter().copied().max().unwrap_or(0);
    let title = format!("errors/min (max {max_err})");
    let spark = super::sparkline(&title, super::latest(&view.errors_per_minute, errors), t.chart_errors, t);
    f.render_widget(spark, errors);
}

/// The alerts firing, by severity; silenced ones are left out, as in the
/// Alerts tab (the header counts them).
fn render_alerts(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (view, t) = (ctx.view, ctx.theme);
    let alerts = &view.report.alerts;
    let shown: Vec<&crate::alerts::Alert> =
        alerts.iter().filter(|a| ctx.app.alerts.silenced_key(&a.key(), view.now).is_none()).collect();
    let alert_items: Vec<ListItem> = if shown.is_empty() {
        let silenced = alerts.len();
        let text = if silenced > 0 { format!("none firing but {silenced} silenced") } else { "none firing".into() };
        vec![ListItem::new(Span::styled(text, t.ok))]
    } else {
        shown
            .into_iter()
            .map(|a| {
                let style = match a.severity {
                    crate::alerts::Severity::High => t.alert_high,
                    crate::alerts::Severity::Medium => t.alert_medium,
                    crate::alerts::Severity::Low => t.alert_low,
                };
                ListItem::new(Line::from(vec![
                    Span::styled(format!("{:<7}", a.severity.as_str().to_uppercase()), style),
                    Span::raw(clean_truncated(&a.message, 80)),
                ]))
            })
            .collect()
    };
    f.render_widget(List::new(alert_items).block(block("Alerts", t)), area);
}

/// Today's spend: against the daily budget as a gauge, or as figures where
/// none is set.
fn render_spend(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (c, t) = (&ctx.view.report.cost, ctx.theme);
    match super::budget_gauge("Spend today", c, t) {
        Some(gauge) => f.render_widget(gauge, area),
        None => {
            let lines = vec![
                Line::from(format!("today      {}", usd(c.today_usd))),
                Line::from(format!("last hour  {}", usd(c.last_hour_usd))),
                Line::from(Span::styled("no daily budget set", t.dim)),
            ];
            f.render_widget(Paragraph::new(lines).block(block("Spend today", t)), area);
        }
    }
}
