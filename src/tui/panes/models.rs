//! Models: calls, tokens in and out, latency, cost and each model's share of it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row};

use super::{header_labels, ms, state, table, usd};
use crate::sanitize::clean_truncated;
use crate::tui::app::Tab;
use crate::tui::ui::{Ctx, compact};

pub fn render(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (app, view, t) = (ctx.app, ctx.view, ctx.theme);
    let rows = app.model_rows(view);
    let total = view.report.cost.total_usd;
    let headers = header_labels(
        &[
            ("Model", Some(1)),
            ("Calls", Some(0)),
            ("In", None),
            ("Out", None),
            ("Tokens", Some(2)),
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
            let cost = if m.unpriced_calls > 0 { format!("{}+?", usd(m.cost_usd)) } else { usd(m.cost_usd) };
            Row::new(vec![
                Cell::from(clean_truncated(&m.name, 28)),
                Cell::from(m.requests.to_string()),
                Cell::from(compact(m.input_tokens as f64)),
                Cell::from(compact(m.output_tokens as f64)),
                Cell::from(compact(m.tokens as f64)),
                Cell::from(ms(m.avg_latency_ms)),
                Cell::from(ms(m.p95_ms)),
                Cell::from(cost).style(if m.unpriced_calls > 0 { t.warn } else { t.text }),
                Cell::from(share).style(t.cost_bar),
            ])
        })
        .collect();
    let n = body.len();
    let widths = [
        Constraint::Min(14),
        Constraint::Length(6),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(10),
        Constraint::Length(6),
    ];
    let title =
        if view.report.models.is_empty() { "Models: no model calls yet" } else { "Models (+? : some calls unpriced)" };
    f.render_stateful_widget(table(headers, &widths, body, t, title), area, &mut state(app.selection(view), n));
}
