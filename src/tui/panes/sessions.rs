//! Sessions: the conversations and coding sessions the log names (its `session`
//! field), most recently active first; sortable and filterable (by id or agent).
//! Enter lists the session's recent traces in the Traces tab, where enter opens
//! a waterfall.
//!
//! ```text
//! ┌ Sessions (1000 kept of 1204; enter: its traces) ─────────────────────────┐
//! │Session      Agents     Last     Model  Tools  Fail  Tokens  Cache  Cost │
//! │s-42         coder      09:12:03     14      9     1   120k    96k  $0.41│
//! └──────────────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;

use super::Ctx;
use crate::tui::app::Tab;
use crate::tui::columns;

pub fn render(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (app, view) = (ctx.app, ctx.view);
    let rows = app.session_rows(view);
    let sessions = &view.report.sessions;
    let title = if sessions.total == 0 {
        "Sessions: none yet (events with a `session` field)".to_owned()
    } else if sessions.total > sessions.kept {
        format!("Sessions ({} kept of {}; enter: its traces)", sessions.kept, sessions.total)
    } else {
        format!("Sessions ({}; enter: its traces)", sessions.total)
    };
    super::draw_table(
        f,
        area,
        ctx,
        &columns::SESSIONS,
        &rows,
        app.sort[Tab::Sessions.index()],
        app.selection(view),
        &title,
    );
}
