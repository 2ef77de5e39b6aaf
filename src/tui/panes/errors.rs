//! Errors: by type and by component, recent errors with message and context, and
//! ingest problems (malformed lines with file, line and reason).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Cell, List, ListItem, Paragraph, Row, Wrap};

use super::Ctx;
use super::{block, state, table};
use crate::sanitize::{clean, clean_truncated};

pub fn render(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (app, view, t) = (ctx.app, ctx.view, ctx.theme);
    let r = &view.report;
    let [counts, recent, ingest] =
        Layout::vertical([Constraint::Length(8), Constraint::Min(5), Constraint::Length(6)]).areas(area);
    let [by_type, by_component] = Layout::horizontal([Constraint::Ratio(1, 2); 2]).areas(counts);
    let items = |v: Vec<(String, u64)>| -> List {
        if v.is_empty() {
            List::new(vec![ListItem::new("none")])
        } else {
            List::new(
                v.into_iter()
                    .map(|(k, n)| ListItem::new(format!("{n:>6}  {}", clean_truncated(&k, 40))))
                    .collect::<Vec<_>>(),
            )
        }
    };
    let title = format!("{} errors by type", r.errors.total);
    f.render_widget(
        items(r.errors.by_type.iter().map(|e| (e.error_type.clone(), e.count)).collect()).block(block(&title, t)),
        by_type,
    );
    f.render_widget(
        items(r.errors.by_component.iter().map(|e| (e.component.clone(), e.count)).collect())
            .block(block("by component", t)),
        by_component,
    );
    let selected = app.selection(view);
    if app.detail
        && let Some(e) = view.recent_errors.get(selected)
    {
        let text = format!(
            "{}  {} / {}{}\n\n{}\n\ncontext: {}",
            crate::time::format_rfc3339(e.ts),
            clean_truncated(&e.component, 40),
            clean_truncated(&e.error_type, 40),
            e.agent.as_deref().map(|a| format!("  (agent {})", clean_truncated(a, 30))).unwrap_or_default(),
            clean_truncated(&e.message, 2000),
            e.context.as_deref().map_or_else(|| "none".into(), |c| clean_truncated(c, 2000)),
        );
        f.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }).block(block("error details", t)), recent);
    } else {
        let widths = [Constraint::Length(9), Constraint::Length(18), Constraint::Length(20), Constraint::Min(10)];
        let message_width = super::rest_width(recent, &widths);
        let rows: Vec<Row> = view
            .recent_errors
            .iter()
            .map(|e| {
                let ts = crate::time::format_rfc3339(e.ts);
                Row::new(vec![
                    Cell::from(crate::time::clock_of(&ts).to_owned()),
                    Cell::from(clean_truncated(&e.component, 18)),
                    Cell::from(clean_truncated(&e.error_type, 20)),
                    Cell::from(super::cut_to(&clean_truncated(&e.message, 120), message_width)),
                ])
            })
            .collect();
        let n = rows.len();
        let headers = ["Time", "Component", "Type", "Message"].iter().map(|s| (*s).to_owned()).collect();
        f.render_stateful_widget(
            table(headers, &widths, rows, t, "Recent errors (enter: details)"),
            recent,
            &mut state(selected, n),
        );
    }
    let i = &r.ingest;
    // Each line whole or cut with '…', never by the border: the reason is what
    // matters, so the file gives way first, cut from its front, to a third.
    let room = usize::from(ingest.width).saturating_sub(2);
    let mut lines: Vec<ListItem> = i
        .recent_malformed
        .iter()
        .rev()
        .map(|m| {
            let line = format!(":{}", m.line);
            let file = super::cut_front_to(&clean(&m.source), (room / 3).max(12).saturating_sub(line.len()));
            ListItem::new(super::cut_to(&format!("{file}{line}  {}", clean_truncated(&m.reason, 200)), room))
        })
        .collect();
    for s in r.sources.iter().filter_map(|s| s.stats.error.as_ref()) {
        lines.insert(0, ListItem::new(super::cut_to(&clean_truncated(s, 200), room)).style(t.bad));
    }
    let title = format!("Ingest: {} malformed, {} unknown, {} unsupported", i.malformed, i.unknown, i.unsupported);
    let list = if lines.is_empty() { List::new(vec![ListItem::new("every line was read")]) } else { List::new(lines) };
    f.render_widget(list.block(block(&title, t)), ingest);
}
