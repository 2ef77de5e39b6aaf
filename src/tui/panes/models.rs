//! Models: calls, tokens in and out, cache reads and hit rate, reasoning tokens,
//! latency, cost and each model's share of it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row};

use super::{Ctx, compact};
use super::{header_labels, ms, state, table, usd};
use crate::sanitize::clean_truncated;
use crate::tui::app::Tab;

pub fn render(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (app, view, t) = (ctx.app, ctx.view, ctx.theme);
    let rows = app.model_rows(view);
    let total = view.report.cost.total_usd;
    let headers = header_labels(
        &[
            ("Model", Some(1)),
            ("Calls", Some(0)),
            ("In", Some(2)),
            ("Out", None),
            ("Cached", None),
            ("Hit", None),
            ("Reason", None),
            ("Avg", Some(3)),
            ("p95", Some(4)),
            ("Cost", Some(5)),
            ("Share", None),
        ],
        app.sort[Tab::Models.index()],
    );
    let body: Vec<Row> = rows
        .iter()
        .map(|m| {
            let share = if total > 0.0 { format!("{:.0}%", m.cost_usd * 100.0 / total) } else { "–".into() };
            let cost = match (m.unpriced_calls, m.requests) {
                (0, _) => usd(m.cost_usd),
                (u, n) if u == n => "unpriced".into(),
                _ => format!("{}+?", usd(m.cost_usd)),
            };
            let name =
                if m.sampled { format!("{}*", clean_truncated(&m.name, 27)) } else { clean_truncated(&m.name, 28) };
            Row::new(vec![
                Cell::from(name),
                Cell::from(m.requests.to_string()),
                Cell::from(compact(m.input_tokens as f64)),
                Cell::from(compact(m.output_tokens as f64)),
                Cell::from(compact(m.cache_read_tokens as f64)),
                Cell::from(m.cache_hit_pct.map_or_else(|| "–".into(), |p| format!("{p:.0}%"))),
                Cell::from(compact(m.reasoning_tokens as f64)),
                Cell::from(ms(m.avg_latency_ms)),
                Cell::from(ms(m.p95_ms)),
                Cell::from(cost).style(if m.unpriced_calls > 0 { t.warn } else { t.text }),
                Cell::from(share).style(t.cost_bar),
            ])
        })
        .collect();
    let n = body.len();
    let widths = [
        Constraint::Min(12),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(8),
        Constraint::Length(4),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(9),
        Constraint::Length(5),
    ];
    let some_unpriced = view.report.models.iter().any(|m| m.unpriced_calls > 0);
    let sampled = view.report.models.iter().any(|m| m.sampled);
    let title = match (view.report.models.is_empty(), some_unpriced, sampled) {
        (true, ..) => "Models: no model calls yet",
        (false, true, true) => "Models (+? : some calls unpriced; * estimated from sampled calls)",
        (false, true, false) => "Models (+? : some calls unpriced)",
        (false, false, true) => "Models (* estimated from sampled calls)",
        (false, false, false) => "Models",
    };
    f.render_stateful_widget(table(headers, &widths, body, t, title), area, &mut state(app.selection(view), n));
}
