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
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row};

use super::{Ctx, compact};
use super::{header_labels, state, table, usd};
use crate::sanitize::clean_truncated;
use crate::tui::app::Tab;

pub fn render(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (app, view, t) = (ctx.app, ctx.view, ctx.theme);
    let rows = app.session_rows(view);
    let headers = header_labels(
        &[
            ("Session", Some(1)),
            ("Agents", None),
            ("Last", Some(0)),
            ("Model", Some(2)),
            ("Tools", Some(3)),
            ("Fail", Some(4)),
            ("Tokens", Some(5)),
            ("Cache", None),
            ("Cost", Some(6)),
        ],
        app.sort[Tab::Sessions.index()],
    );
    let body: Vec<Row> = rows
        .iter()
        .map(|s| {
            let last = crate::time::clock_of(&s.last_ts).to_owned();
            Row::new(vec![
                Cell::from(clean_truncated(&s.id, 36)),
                Cell::from(clean_truncated(&s.agents.join(","), 24)),
                Cell::from(last),
                Cell::from(s.model_calls.to_string()),
                Cell::from(s.tool_calls.to_string()),
                Cell::from(s.failures.to_string()).style(if s.failures > 0 { t.bad } else { t.text }),
                Cell::from(compact((s.input_tokens + s.output_tokens) as f64)),
                Cell::from(compact(s.cache_read_tokens as f64)),
                Cell::from(usd(s.cost_usd)),
            ])
        })
        .collect();
    let n = body.len();
    let widths = [
        Constraint::Min(12),
        Constraint::Length(14),
        Constraint::Length(11),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(5),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(9),
    ];
    let sessions = &view.report.sessions;
    let title = if sessions.total == 0 {
        "Sessions: none yet (events with a `session` field)".to_owned()
    } else if sessions.total > sessions.kept {
        format!("Sessions ({} kept of {}; enter: its traces)", sessions.kept, sessions.total)
    } else {
        format!("Sessions ({}; enter: its traces)", sessions.total)
    };
    f.render_stateful_widget(table(headers, &widths, body, t, &title), area, &mut state(app.selection(view), n));
}
