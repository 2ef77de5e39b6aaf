//! Tools: usage, success, timings; failing tools (success < 90%) stand out;
//! with Enter, the selected tool's recent failures.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{List, ListItem};

use super::Ctx;
use super::block;
use crate::sanitize::clean_truncated;
use crate::tui::app::Tab;
use crate::tui::columns;

pub fn render(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (app, view, t) = (ctx.app, ctx.view, ctx.theme);
    let rows = app.tool_rows(view);
    let selected = app.selection(view);
    let [table_area, failures_area] =
        Layout::vertical([Constraint::Percentage(if app.detail { 50 } else { 70 }), Constraint::Min(4)]).areas(area);
    let title = if view.report.tools.is_empty() { "Tools: no tool calls yet" } else { "Tools" };
    super::draw_table(f, table_area, ctx, &columns::TOOLS, &rows, app.sort[Tab::Tools.index()], selected, title);
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
