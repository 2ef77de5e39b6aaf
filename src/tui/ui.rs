//! The frame: header, tabs, the active pane, footer, and the help screen.
//!
//! ```text
//! ┌ ajentik ─ HEALTHY ─ 3 sources ─ 1.2k ev/s ─ last 0.4s ─ LIVE ───────────┐
//! │ 1 Overview  2 Agents  3 Tools  4 Models  5 Alerts  6 Cost  7 Traces ... │
//! │                         (the active pane)                              │
//! │ q quit  ? help  tab next  / filter  s sort  m report  p freeze          │
//! └────────────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::action::Action;
use super::app::Tab;
use super::panes::{self, Ctx, compact, status_style};
use crate::push::PushState;
use crate::sanitize::{clean, clean_truncated};

/// The smallest terminal ajentik draws into.
pub const MIN_SIZE: (u16, u16) = (80, 24);

/// Draws the whole screen.
pub fn draw(f: &mut Frame, ctx: &Ctx) {
    let area = f.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let msg = format!(
            "This terminal is {}x{}; ajentik needs at least {}x{}. Enlarge it, or press {} to quit.",
            area.width,
            area.height,
            MIN_SIZE.0,
            MIN_SIZE.1,
            ctx.keymap.hint(Action::Quit).unwrap_or_else(|| "q".into())
        );
        f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }).style(ctx.theme.warn), area);
        return;
    }
    let [header, tabs, body, footer] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)])
            .areas(area);
    draw_header(f, header, ctx);
    draw_tabs(f, tabs, ctx);
    match ctx.app.tab {
        Tab::Overview => panes::overview::render(f, body, ctx),
        Tab::Agents => panes::agents::render(f, body, ctx),
        Tab::Tools => panes::tools::render(f, body, ctx),
        Tab::Models => panes::models::render(f, body, ctx),
        Tab::Alerts => panes::alerts::render(f, body, ctx),
        Tab::Cost => panes::cost::render(f, body, ctx),
        Tab::Traces => panes::traces::render(f, body, ctx),
        Tab::Errors => panes::errors::render(f, body, ctx),
        Tab::Sessions => panes::sessions::render(f, body, ctx),
    }
    draw_footer(f, footer, ctx);
    if let Some((read, total, line)) = &ctx.app.loading {
        draw_loading(f, body, ctx, *read, *total, line);
    }
    if let Some(report) = &ctx.app.report {
        draw_report(f, body, ctx, report);
    }
    if ctx.app.help {
        draw_help(f, body, ctx);
    }
}

/// The report just written, rendered from its Markdown, over the pane: scrolled
/// with the selection keys, its path in the title.
fn draw_report(f: &mut Frame, area: Rect, ctx: &Ctx, report: &crate::tui::app::ReportOverlay) {
    let t = ctx.theme;
    let width = area.width.min(120);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y, width, height: area.height };
    // The path first (it may be long: a title would cut it), then the report.
    let mut lines = vec![Line::styled(format!("written to {}", clean(&report.path)), t.dim), Line::default()];
    lines.extend(crate::tui::markdown::render(&report.markdown, width.saturating_sub(2), t));
    let title = format!(
        " report ({} closes, {} copies its path) ",
        ctx.keymap.hint(Action::Back).unwrap_or_else(|| "esc".into()),
        ctx.keymap.hint(Action::CopyPath).unwrap_or_else(|| "y".into()),
    );
    let text = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((report.scroll, 0))
        .block(Block::default().borders(Borders::ALL).border_style(t.border).title(Span::styled(title, t.title)));
    f.render_widget(Clear, popup);
    f.render_widget(text, popup);
}

/// The history being read: a centred gauge with bytes read of the total and the
/// time left, over the (still empty) pane; keys work meanwhile.
fn draw_loading(f: &mut Frame, area: Rect, ctx: &Ctx, read: u64, total: u64, line: &str) {
    let t = ctx.theme;
    let width = area.width.min(72);
    let popup =
        Rect { x: area.x + (area.width - width) / 2, y: area.y + area.height.saturating_sub(3) / 2, width, height: 3 };
    let ratio = if total > 0 { (read as f64 / total as f64).clamp(0.0, 1.0) } else { 0.0 };
    f.render_widget(Clear, popup);
    f.render_widget(
        ratatui::widgets::Gauge::default()
            .block(
                Block::default().borders(Borders::ALL).border_style(t.border).title(Span::styled(" history ", t.title)),
            )
            .gauge_style(t.cost_bar)
            .ratio(ratio)
            .label(clean(line).into_owned()),
        popup,
    );
}

fn draw_header(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let t = ctx.theme;
    let spans = fit_header(header_lead(ctx), header_sources(ctx), header_tail(ctx), usize::from(area.width), t);
    f.render_widget(Paragraph::new(Line::from(spans)).style(t.header), area);
}

/// The header's start: the verdict and the mode, then what calls for action (a
/// push in trouble, the receiver, a failing hook, silenced alerts), so that it
/// shows at 80 columns whatever follows.
fn header_lead<'a>(ctx: &Ctx) -> Vec<Span<'a>> {
    let t = ctx.theme;
    let mode = match ctx.app.frozen {
        Some(at) if ctx.app.post_mortem => {
            let at = crate::time::format_rfc3339(at);
            Span::styled(
                format!(" POST-MORTEM {} {} ", at.get(..10).unwrap_or(&at), crate::time::clock_of(&at)),
                t.warn.reversed(),
            )
        }
        Some(_) => Span::styled(" FROZEN ", t.warn.reversed()),
        None => Span::styled(" LIVE ", t.ok),
    };
    let status = ctx.view.report.health.status;
    let mut lead = vec![
        Span::styled(" ajentik ", t.title),
        // While the history is read, no verdict yet.
        match &ctx.app.loading {
            Some(_) => Span::styled(" READING ", t.dim.reversed()),
            None => Span::styled(format!(" {} ", status.as_str().to_uppercase()), status_style(t, status).reversed()),
        },
        Span::raw(" "),
        mode,
        Span::raw(" "),
    ];
    match &ctx.app.push {
        Some(PushState::Retrying { sent, reason }) => lead.push(Span::styled(
            format!("push retrying ({} sent): {} ", compact(*sent as f64), clean_truncated(reason, 60)),
            t.warn,
        )),
        Some(PushState::Failed { reason }) => {
            lead.push(Span::styled(format!("push failed: {} ", clean_truncated(reason, 60)), t.bad));
        }
        _ => {}
    }
    // The receiver's port is what a user needs to point agents at.
    if let Some(serve) = &ctx.app.serve {
        let style = if serve.failed_writes > 0 { t.bad } else { t.ok };
        lead.push(Span::styled(format!("otlp :{} {} spans/s ", serve.port, compact(serve.per_second)), style));
    }
    if let Some(n) = ctx.app.notify.as_ref().filter(|n| n.failed > 0) {
        lead.push(Span::styled(format!("hook failed {}x ", n.failed), t.bad));
    }
    let silenced = ctx.app.alerts.silenced(ctx.view.now);
    if silenced > 0 {
        lead.push(Span::styled(format!("{silenced} silenced "), t.warn));
    }
    lead
}

/// What is read, as a path between the words that say what it is ("waiting
/// for PATH (does not exist yet)", "N files in DIR", "PATH (claude-code)"):
/// when the header is short of room, the path gives way, not the words.
struct Sources {
    before: String,
    path: String,
    after: String,
}

/// What is read: a log, a folder's file count, how many logs, or the logs waited for.
fn header_sources(ctx: &Ctx) -> Sources {
    let report = &ctx.view.report;
    // A log that does not exist yet is waited for, and the header says so.
    let waiting: Vec<&str> = report
        .sources
        .iter()
        .filter_map(|s| s.stats.error.as_deref())
        .filter(|e| e.starts_with("waiting for "))
        .collect();
    // A folder of thousands of files is named with its count, not file by file.
    let files: u64 = report.sources.iter().map(|s| s.files.unwrap_or(1)).sum();
    let plain = |text: String| Sources { before: String::new(), path: text, after: String::new() };
    let mut sources = match (ctx.sources, waiting.as_slice()) {
        (_, [one]) => {
            let one = clean(one);
            match one.strip_prefix("waiting for ").and_then(|rest| rest.strip_suffix(" (does not exist yet)")) {
                Some(path) => Sources {
                    before: "waiting for ".into(),
                    path: path.to_owned(),
                    after: " (does not exist yet)".into(),
                },
                None => plain(one.into_owned()),
            }
        }
        (_, [_, ..]) => plain(format!("waiting for {} logs (they do not exist yet)", waiting.len())),
        ([one], []) if files > 1 => {
            Sources { before: format!("{files} files in "), path: clean(one).into_owned(), after: String::new() }
        }
        ([one], []) => plain(clean(one).into_owned()),
        (many, []) => plain(format!("{} logs", many.len())),
    };
    // Sources that are not event logs say what they are (claude-code, codex).
    let mut formats: Vec<&str> = report.sources.iter().filter_map(|s| s.stats.format).collect();
    formats.sort_unstable();
    formats.dedup();
    if !formats.is_empty() {
        sources.after.push_str(&format!(" ({})", formats.join(", ")));
    }
    sources
}

/// The header's end: the rate and the last event's age, lag, bad and
/// clock-skewed lines, the push's progress; each with how much it matters when
/// not all fit.
fn header_tail<'a>(ctx: &Ctx) -> Vec<(Span<'a>, Keep)> {
    let (r, t, view) = (&ctx.view.report, ctx.theme, ctx.view);
    let age = view
        .last_event_age_s
        .map_or_else(|| "no events yet".into(), |a| format!("last {}", crate::time::human_duration((a * 1e6) as i64)));
    let mut tail = vec![(Span::raw(format!("  {} ev/s  {age}", compact(view.events_per_second))), Keep::Then)];
    if view.lag_bytes > 0 {
        tail.push((Span::styled(format!("  lag {}B", compact(view.lag_bytes as f64)), t.warn), Keep::First));
    }
    let ingest = r.ingest.malformed + r.ingest.unknown + r.ingest.unsupported;
    if ingest > 0 {
        let lines = if ingest == 1 { "line" } else { "lines" };
        tail.push((Span::styled(format!("  {ingest} bad {lines}"), t.warn), Keep::First));
    }
    if r.ingest.clock_skew > 0 {
        tail.push((Span::styled(format!("  {} clock-skewed", r.ingest.clock_skew), t.warn), Keep::First));
    }
    match &ctx.app.push {
        Some(PushState::Starting) => tail.push((Span::styled("  push: starting", t.dim), Keep::Then)),
        Some(PushState::Pushing { sent, project, .. }) => {
            let to = project.as_deref().map(|p| format!(" to {}", clean_truncated(p, 40))).unwrap_or_default();
            tail.push((Span::styled(format!("  pushed {}{to}", compact(*sent as f64)), t.ok), Keep::Then));
        }
        _ => {}
    }
    tail
}

/// Which parts of the header's tail are kept first when not all fit: warnings
/// (lag, bad lines, clock skew), then the rest.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    First,
    Then,
}

/// The header in `width` columns: parts of the tail that do not fit are left
/// out whole, warnings last; then the sources (the one part that may be long)
/// take the room left (see [`fit_sources`]). A part is never cut inside: "last
/// 1ms" cut by a column read "last 1m".
fn fit_header<'a>(
    mut lead: Vec<Span<'a>>,
    sources: Sources,
    tail: Vec<(Span<'a>, Keep)>,
    width: usize,
    t: &crate::tui::theme::Theme,
) -> Vec<Span<'a>> {
    let mut left = width.saturating_sub(lead.iter().map(Span::width).sum());
    let mut kept = vec![false; tail.len()];
    for pass in [Keep::First, Keep::Then] {
        for ((part, keep), kept) in tail.iter().zip(&mut kept) {
            if *keep == pass && part.width() <= left {
                left -= part.width();
                *kept = true;
            }
        }
    }
    let sources = fit_sources(sources, left);
    lead.push(Span::styled(sources, t.dim));
    lead.extend(tail.into_iter().zip(kept).filter(|(_, kept)| *kept).map(|((part, _), _)| part));
    lead
}

/// The sources in `room` columns: whole if they fit; else the path cut from its
/// front (its end names the file), the words around it kept while the path can
/// keep 8 columns, the words after it given up first; nothing in under 10.
fn fit_sources(sources: Sources, room: usize) -> String {
    let Sources { mut before, path, mut after } = sources;
    let width = |s: &str| Span::raw(s).width();
    if width(&before) + width(&path) + width(&after) <= room {
        return format!("{before}{path}{after}");
    }
    if room < 10 {
        return String::new();
    }
    // The '…' and at least 8 columns of the path, or the words give way.
    if width(&before) + width(&after) + 9 > room {
        after.clear();
    }
    if width(&before) + 9 > room {
        before.clear();
    }
    let left = room.saturating_sub(width(&before) + width(&after));
    format!("{before}{}{after}", super::panes::cut_front_to(&path, left))
}

fn draw_tabs(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let t = ctx.theme;
    let firing = ctx.view.report.alerts.len();
    let labels = |short: bool| -> Vec<String> {
        Tab::ALL
            .iter()
            .enumerate()
            .map(|(i, tab)| {
                let title = if short { tab.short_title() } else { tab.title() };
                match tab {
                    Tab::Alerts if firing > 0 => format!("{} {title}({firing})", i + 1),
                    _ => format!("{} {title}", i + 1),
                }
            })
            .collect()
    };
    // Full titles two spaces apart where they fit; else one space; else short.
    let width = |labels: &[String], gap: usize| labels.iter().map(|l| l.chars().count() + gap).sum::<usize>();
    let full = labels(false);
    let (labels, gap) = match area.width as usize {
        w if width(&full, 2) <= w => (full, "  "),
        w if width(&full, 1) <= w => (full, " "),
        _ => (labels(true), " "),
    };
    let mut spans = Vec::new();
    for (tab, label) in Tab::ALL.iter().zip(labels) {
        let style = if *tab == ctx.app.tab { t.tab_active } else { t.dim };
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(gap));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_footer(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (t, k) = (ctx.theme, ctx.keymap);
    let line = if ctx.app.filtering {
        Line::from(vec![
            Span::styled(" filter: ", t.title),
            Span::raw(clean(&ctx.app.filter).into_owned()),
            Span::styled("▏", t.title),
            Span::styled("   enter keeps it, esc clears it", t.dim),
        ])
    } else if let Some(status) = &ctx.app.status {
        Line::from(Span::styled(format!(" {}", clean(status)), t.title))
    } else {
        let mut hints = vec![(Action::Quit, "quit"), (Action::Help, "help")];
        // A tab's own keys come first: at 80 columns the last hints do not fit.
        if ctx.app.tab == Tab::Alerts {
            hints.push((Action::Acknowledge, "ack"));
            hints.push((Action::Silence, "silence"));
            hints.push((Action::EditThresholds, "thresholds"));
        }
        hints.extend([
            (Action::NextTab, "tab"),
            (Action::Filter, "filter"),
            (Action::SortNext, "sort"),
            (Action::Open, "details"),
            (Action::ExportMarkdown, "report"),
            (Action::Freeze, "freeze"),
        ]);
        let mut spans = vec![Span::raw(" ")];
        if !ctx.app.filter.is_empty() {
            spans.push(Span::styled(format!("filter: {}  ", clean(&ctx.app.filter)), t.warn));
        }
        let mut left = usize::from(area.width).saturating_sub(spans.iter().map(Span::width).sum());
        for (action, label) in hints {
            let Some(key) = k.hint(action) else { continue };
            // Whole or not at all: a hint cut after its key reads as another key.
            let (key, label) = (Span::styled(key, t.title), Span::styled(format!(" {label}  "), t.dim));
            let width = key.width() + label.width();
            if width > left {
                break;
            }
            left -= width;
            spans.extend([key, label]);
        }
        Line::from(spans)
    };
    f.render_widget(Paragraph::new(line), area);
}

/// The help screen, generated from the keymap, so it cannot lie. In two
/// columns when one does not fit.
fn draw_help(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let t = ctx.theme;
    let width = area.width.min(100);
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y, width, height: area.height };
    // One entry a line, wrapped at the popup's width (never cut), scrolled.
    let mut lines: Vec<Line> = Action::ALL
        .iter()
        .filter_map(|&a| {
            let keys = ctx.keymap.keys_for(a);
            (!keys.is_empty()).then(|| {
                Line::from(vec![Span::styled(format!("{:<14}", keys.join(" ")), t.title), Span::raw(a.help())])
            })
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(match &ctx.app.debug_file {
        Some(path) => format!("diagnostics (--debug): {}", clean(path)),
        None => "diagnostics: start with --debug to write them to a file".to_owned(),
    }));
    f.render_widget(Clear, popup);
    let title = format!(
        " keys ({} closes, {} {} scroll) ",
        ctx.keymap.hint(Action::Back).unwrap_or_else(|| "esc".into()),
        ctx.keymap.hint(Action::Up).unwrap_or_else(|| "up".into()),
        ctx.keymap.hint(Action::Down).unwrap_or_else(|| "down".into()),
    );
    let text = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((ctx.app.help_scroll, 0))
        .block(Block::default().borders(Borders::ALL).border_style(t.border).title(Span::styled(title, t.title)));
    f.render_widget(text, popup);
}
