//! Tools: usage, success, timings; failing tools (success < 90%) stand out;
//! with Enter, the selected tool's recent failures.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Cell, List, ListItem, Row};

use super::Ctx;
use super::{block, header_labels, ms, pct, rate_style, state, table};
use crate::sanitize::clean_truncated;
use crate::tui::app::Tab;

pub fn render(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (app, view, t) = (ctx.app, ctx.view, ctx.theme);
    let rows = app.tool_rows(view);
    let selected = app.selection(view);
    let [table_area, failures_area] =
        Layout::vertical([Constraint::Percentage(if app.detail { 50 } else { 70 }), Constraint::Min(4)]).areas(area);
    let headers = header_labels(
        &[
            ("Tool", Some(1)),
            ("Uses", Some(0)),
            ("Success", Some(2)),
            ("Avg", Some(3)),
            ("p95", Some(4)),
            ("Failures", None),
        ],
        app.sort[Tab::Tools.index()],
    );
    let body: Vec<Row> = rows
        .iter()
        .map(|tool| {
            let floor = app.effective_thresholds().tool_success_pct;
            let failing = tool.success_rate.is_some_and(|r| r < floor);
            Row::new(vec![
                Cell::from(clean_truncated(&tool.name, 30)).style(if failing { t.bad } else { t.text }),
                Cell::from(tool.usage_count.to_string()),
                Cell::from(pct(tool.success_rate)).style(rate_style(t, tool.success_rate, floor)),
                Cell::from(ms(tool.avg_execution_time_ms)),
                Cell::from(ms(tool.p95_ms)),
                Cell::from(tool.failures.to_string()),
            ])
        })
        .collect();
    let n = body.len();
    let widths = [
        Constraint::Min(16),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
    ];
    let title = if view.report.tools.is_empty() { "Tools: no tool calls yet" } else { "Tools" };
    f.render_stateful_widget(table(headers, &widths, body, t, title), table_area, &mut state(selected, n));
    let Some(tool) = rows.get(selected) else { return };
    let items: Vec<ListItem> = view
        .tool_failures
        .get(&tool.name)
        .map(|fs| {
            fs.iter()
                .map(|fl| {
                    let when = crate::time::format_rfc3339(fl.ts);
                    ListItem::new(format!(
                        "{} {} {}",
                        crate::time::clock_of(&when),
                        clean_truncated(&fl.by, 20),
                        clean_truncated(&fl.what, 80)
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let title = format!("recent failures of {}", clean_truncated(&tool.name, 30));
    let list = if items.is_empty() { List::new(vec![ListItem::new("none")]) } else { List::new(items) };
    f.render_widget(list.block(block(&title, t)), failures_area);
}
