//! Models: calls, tokens in and out, cache reads and hit rate, reasoning tokens,
//! latency, cost and each model's share of it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Row;

use super::Ctx;
use super::{state, table};
use crate::tui::app::Tab;
use crate::tui::columns;

pub fn render(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (app, view, t) = (ctx.app, ctx.view, ctx.theme);
    let rows = app.model_rows(view);
    let cells = super::cell_ctx(ctx);
    let headers = columns::MODELS.headers(app.sort[Tab::Models.index()]);
    let body: Vec<Row> = rows.iter().map(|m| Row::new(columns::MODELS.cells(m, &cells))).collect();
    let n = body.len();
    let widths = columns::MODELS.widths();
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
