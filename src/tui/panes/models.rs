//! Models: calls, tokens in and out, cache reads and hit rate, reasoning tokens,
//! latency, cost and each model's share of it.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::Ctx;
use crate::tui::app::Tab;
use crate::tui::columns;

pub fn render(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (app, view, _t) = (ctx.app, ctx.view, ctx.theme);
    let rows = app.model_rows(view);
    let some_unpriced = view.report.models.iter().any(|m| m.unpriced_calls > 0);
    let sampled = view.report.models.iter().any(|m| m.sampled);
    let title = match (view.report.models.is_empty(), some_unpriced, sampled) {
        (true, ..) => "Models: no model calls yet",
        (false, true, true) => "Models (+? : some calls unpriced; * estimated from sampled calls)",
        (false, true, false) => "Models (+? : some calls unpriced)",
        (false, false, true) => "Models (* estimated from sampled calls)",
        (false, false, false) => "Models",
    };
    super::draw_table(f, area, ctx, &columns::MODELS, &rows, app.sort[Tab::Models.index()], app.selection(view), title);
}
