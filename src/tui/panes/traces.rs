//! Traces: recent traces (root, agent, start, duration, spans, errors, tokens,
//! cost), sortable and filterable; Enter opens a waterfall: the tree, each span
//! a bar on a shared time axis, with the selected span's details beside it. The
//! slowest span and failed spans stand out.
//!
//! ```text
//! ┌ trace 4bf9… ChatAgent 2.00s ─────────────────────┐┌ span ─────────────┐
//! │ChatAgent            ██████████████████████ 2.00s ││agent_request      │
//! │  gpt-4o             ████████████           1.20s ││status ok ...      │
//! │  web_search                     ███        600ms ││attrs {...}        │
//! └──────────────────────────────────────────────────┘└───────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::Ctx;
use super::{block, ms};
use crate::sanitize::clean_truncated;
use crate::tui::app::Tab;
use crate::tui::columns;

pub fn render(f: &mut Frame, area: Rect, ctx: &Ctx) {
    match &ctx.view.trace {
        Some((id, spans)) if ctx.app.open_trace == Some(*id) => waterfall(f, area, ctx, *id, spans),
        _ if ctx.app.open_trace.is_some() => {
            let text = "That trace is no longer kept (only the most recent are). Esc goes back.";
            f.render_widget(Paragraph::new(text).style(ctx.theme.warn).block(block("Trace", ctx.theme)), area);
        }
        _ => list(f, area, ctx),
    }
}

fn list(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (app, view) = (ctx.app, ctx.view);
    let rows = app.trace_rows(view);
    let title = match &app.session_traces {
        // The title in the border (less its corners and spaces): the hint gives
        // way, then the session's id is cut.
        Some(session) => {
            let (width, id) = (usize::from(area.width).saturating_sub(4), clean_truncated(session, 200));
            let of = "Traces of session ";
            super::first_that_fits(
                [
                    format!("{of}{id} (enter: waterfall, esc: back)"),
                    format!("{of}{id}"),
                    format!("{of}{}", super::cut_to(&id, width.saturating_sub(of.len()))),
                ],
                width,
            )
        }
        None if view.traces.is_empty() => "Traces: none yet (operations that carry trace_id and span_id)".into(),
        None => "Traces (enter: waterfall)".into(),
    };
    super::draw_table(
        f,
        area,
        ctx,
        &columns::TRACES,
        &rows,
        app.sort[Tab::Traces.index()],
        app.selection(view),
        &title,
    );
}

fn waterfall(f: &mut Frame, area: Rect, ctx: &Ctx, id: u128, spans: &[crate::tui::view::PlacedSpan]) {
    let (app, t) = (ctx.app, ctx.theme);
    let [left, right] = Layout::horizontal([Constraint::Percentage(65), Constraint::Percentage(35)]).areas(area);
    let start = spans.iter().map(|(_, s, _)| s.start).min().unwrap_or(0);
    let end = spans.iter().map(|(_, s, _)| s.end).max().unwrap_or(start);
    let total = (end - start).max(1) as f64;
    let slowest = spans.iter().max_by_key(|(_, s, _)| s.end - s.start).map(|(_, s, _)| s.span_id);
    let selected = app.selection(ctx.view);
    let inner = left.width.saturating_sub(2) as usize;
    let label_width = (inner / 3).clamp(12, 40);
    let bar_width = inner.saturating_sub(label_width + 9).max(4);
    let lines: Vec<Line> = spans
        .iter()
        .enumerate()
        .map(|(i, (depth, s, orphan))| {
            let indent = "  ".repeat((*depth).min(8));
            let mark = if *orphan { "?" } else { "" };
            let label = clean_truncated(&format!("{indent}{mark}{}", s.name), label_width);
            let from = (((s.start - start) as f64 / total) * bar_width as f64).round() as usize;
            let len = ((((s.end - s.start) as f64) / total) * bar_width as f64).round().max(1.0) as usize;
            let bar_char = if t.unicode { "█" } else { "#" };
            let style = if !s.ok {
                t.bad
            } else if Some(s.span_id) == slowest {
                t.warn
            } else {
                t.chart
            };
            let line = Line::from(vec![
                Span::raw(format!("{label:<label_width$} ")),
                Span::raw(" ".repeat(from.min(bar_width))),
                Span::styled(bar_char.repeat(len.min(bar_width - from.min(bar_width)).max(1)), style),
                Span::raw(" ".repeat(bar_width.saturating_sub(from + len))),
                Span::styled(format!(" {:>7}", ms(Some(s.duration_ms()))), t.dim),
            ]);
            if i == selected { line.style(t.selection) } else { line }
        })
        .collect();
    // The longest title that fits between the corners (and the spaces around
    // it): the hint goes first, then the id is shortened; the duration stays.
    let (id, duration) = (format!("{id:032x}"), ms(Some(total / 1000.0)));
    let title = super::first_that_fits(
        [
            format!("trace {id}  {duration}  (esc: back)"),
            format!("trace {id}  {duration}"),
            format!("trace {}…  {duration}", &id[..12]),
            duration,
        ],
        usize::from(left.width).saturating_sub(4),
    );
    let height = left.height.saturating_sub(2) as usize;
    let skip = selected.saturating_sub(height.saturating_sub(1));
    let visible: Vec<Line> = lines.into_iter().skip(skip).collect();
    f.render_widget(Paragraph::new(visible).block(block(&title, t)), left);

    let Some((_, s, orphan)) = spans.get(selected) else { return };
    let mut details = vec![
        Line::from(Span::styled(format!("{} {}", s.kind, clean_truncated(&s.name, 60)), t.title)),
        Line::from(format!("status   {}", if s.ok { "ok" } else { "error" })).style(if s.ok { t.text } else { t.bad }),
        Line::from(format!("duration {}", ms(s.timed.then(|| s.duration_ms())))),
        Line::from(format!("start    +{}", ms(Some((s.start - start) as f64 / 1000.0)))),
        Line::from(format!("span     {:016x}", s.span_id)),
    ];
    if let Some(p) = s.parent {
        details.push(Line::from(format!("parent   {p:016x}{}", if *orphan { " (never arrived)" } else { "" })));
    }
    if let Some(a) = &s.agent {
        details.push(Line::from(format!("agent    {}", clean_truncated(a, 40))));
    }
    if let Some(e) = &s.error_type {
        details.push(Line::from(format!("error    {}", clean_truncated(e, 40))).style(t.bad));
    }
    if s.tokens > 0 || s.cost > 0 || s.unpriced {
        let cost = crate::report::markdown::usd_and_unpriced(crate::metrics::exact::usd(s.cost), u64::from(s.unpriced));
        details.push(Line::from(format!("tokens   {}  cost {cost}", s.tokens)));
    }
    if let Some(attrs) = &s.attrs {
        details.push(Line::from(""));
        details.push(Line::from(Span::styled("attrs", t.title)));
        details.push(Line::from(clean_truncated(attrs, 1000)));
    }
    f.render_widget(Paragraph::new(details).wrap(Wrap { trim: false }).block(block("span", t)), right);
}
