//! Alerts: the firing alerts (severity, rule, scope, value against threshold,
//! since), acknowledged ones marked, the silenced count, and resolved history.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Cell, List, ListItem, Row};

use super::Ctx;
use super::{block, state, table};
use crate::alerts::Severity;
use crate::sanitize::{clean, clean_truncated};
use crate::tui::app::{Editor, SETTINGS};

pub fn render(f: &mut Frame, area: Rect, ctx: &Ctx) {
    // The thresholds editor gets room for every setting (its header and borders
    // too): at 80x24 a third of the pane showed four of them.
    let lower = match ctx.app.editor {
        Some(_) => Constraint::Length(SETTINGS.len() as u16 + 3),
        None => Constraint::Percentage(35),
    };
    let [firing, lower_area] = Layout::vertical([Constraint::Min(4), lower]).areas(area);
    render_firing(f, firing, ctx);
    match &ctx.app.editor {
        Some(editor) => render_editor(f, lower_area, ctx, editor),
        None => render_resolved(f, lower_area, ctx),
    }
}

/// The firing alerts, acknowledged ones dimmed, with the silenced count.
fn render_firing(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (app, view, t) = (ctx.app, ctx.view, ctx.theme);
    let rows = app.alert_rows(view);
    let widths = [
        Constraint::Length(7),
        Constraint::Length(14),
        Constraint::Length(16),
        Constraint::Min(20),
        Constraint::Length(9),
        Constraint::Length(4),
    ];
    // Cut with a mark, not by the column: the message ends with its figures.
    let message_width = super::rest_width(area, &widths);
    let body: Vec<Row> = rows
        .iter()
        .map(|tr| {
            let a = &tr.alert;
            let style = match a.severity {
                Severity::High => t.alert_high,
                Severity::Medium => t.alert_medium,
                Severity::Low => t.alert_low,
            };
            let since = crate::time::format_rfc3339(a.since);
            // The scope has its column: the message goes on from it, to its figures.
            let message = a.message.strip_prefix(a.scope.as_str()).map_or(a.message.as_str(), str::trim_start);
            Row::new(vec![
                Cell::from(a.severity.as_str().to_uppercase()).style(if tr.acknowledged { t.dim } else { style }),
                Cell::from(a.rule.as_str()),
                Cell::from(clean_truncated(&a.scope, 16)),
                Cell::from(super::cut_to(&clean(message), message_width)),
                Cell::from(crate::time::clock_of(&since).to_owned()),
                Cell::from(if tr.acknowledged { "ack" } else { "" }),
            ])
        })
        .collect();
    let n = body.len();
    let silenced = app.alerts.silenced(view.now);
    let title = match (n, silenced) {
        (0, 0) => "Firing: none".to_owned(),
        (_, 0) => format!("Firing: {n}"),
        (_, s) => format!("Firing: {n} ({s} silenced)"),
    };
    let headers = ["Sev", "Rule", "Scope", "Alert", "Since", ""].iter().map(|s| (*s).to_owned()).collect();
    f.render_stateful_widget(table(headers, &widths, body, t, &title), area, &mut state(app.selection(view), n));
}

/// The thresholds editor: each setting's value (or what is being typed), and
/// what it was where changed.
fn render_editor(f: &mut Frame, area: Rect, ctx: &Ctx, editor: &Editor) {
    let (app, t) = (ctx.app, ctx.theme);
    let rows: Vec<Row> = SETTINGS
        .iter()
        .enumerate()
        .map(|(i, setting)| {
            let saved = (setting.get)(&app.thresholds);
            let draft = (setting.get)(&editor.draft);
            let shown = match (&editor.typing, i == editor.selected) {
                (Some(typed), true) => format!("{typed}▏"),
                _ => format!("{draft}"),
            };
            let changed = if (draft - saved).abs() > f64::EPSILON { format!("(was {saved})") } else { String::new() };
            let style = if i == editor.selected { t.selection } else { t.text };
            Row::new(vec![Cell::from(setting.label), Cell::from(shown), Cell::from(setting.unit), Cell::from(changed)])
                .style(style)
        })
        .collect();
    let widths = [Constraint::Length(16), Constraint::Length(10), Constraint::Length(6), Constraint::Min(10)];
    let title = "Thresholds: ↑↓ pick, +/- or type to change, enter saves, esc cancels";
    let headers = ["Setting", "Value", "", ""].iter().map(|s| (*s).to_owned()).collect();
    // Stateful, so that the setting picked is scrolled to where the room is short.
    f.render_stateful_widget(
        table(headers, &widths, rows, t, title),
        area,
        &mut state(editor.selected, SETTINGS.len()),
    );
}

/// The resolved alerts, newest first, and the notification hook's counts.
fn render_resolved(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let app = ctx.app;
    let items: Vec<ListItem> = app
        .alerts
        .resolved()
        .iter()
        .rev()
        .map(|r| {
            let at = crate::time::format_rfc3339(r.resolved_at);
            // A process that stayed silent for a day did not come back: say so.
            let how = if r.alert.resolution(r.resolved_at) == "retired" { "retired " } else { "resolved" };
            ListItem::new(format!("{} {how}  {}", crate::time::clock_of(&at), clean_truncated(&r.alert.message, 90)))
        })
        .collect();
    let list = if items.is_empty() { List::new(vec![ListItem::new("none yet")]) } else { List::new(items) };
    let title = match &app.notify {
        Some(n) => format!(
            "Resolved · hook: {} sent, {} failed{}",
            n.sent,
            n.failed,
            n.last_error.as_deref().map(|e| format!(" (last: {})", clean_truncated(e, 60))).unwrap_or_default()
        ),
        None => "Resolved".to_owned(),
    };
    f.render_widget(list.block(block(&title, ctx.theme)), area);
}
