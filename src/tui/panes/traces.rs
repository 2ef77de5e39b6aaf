//! Traces: arrive with trace trees and OTLP export; until then this pane says so.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Wrap};

use super::block;
use crate::tui::ui::Ctx;

pub fn render(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let text = "Trace trees are not built yet: they come with the traces work (waterfalls of each \
                request's model and tool calls, and pushing traces to Logfire or any OTLP endpoint). \
                Operations already count in the other tabs; spans are listed in reports.";
    f.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: true }).style(ctx.theme.dim).block(block("Traces", ctx.theme)),
        area,
    );
}
