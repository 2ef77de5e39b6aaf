//! One file per pane; each draws from the view and the app state only.

pub mod agents;
pub mod alerts;
pub mod cost;
pub mod errors;
pub mod models;
pub mod overview;
pub mod sessions;
pub mod tools;
pub mod traces;

use ratatui::layout::Constraint;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Row, Sparkline, Table, TableState};

use super::app::App;
use super::columns::{Fit, Shown};
use super::keymap::Keymap;
use super::theme::Theme;
use super::view::View;
use crate::report::Status;
use ratatui::layout::Rect;

/// Everything a frame needs.
pub struct Ctx<'a> {
    pub app: &'a App,
    pub view: &'a View,
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    /// The log sources, for the header.
    pub sources: &'a [String],
}

/// The colour of a health status.
pub fn status_style(theme: &Theme, status: Status) -> Style {
    match status {
        Status::Healthy => theme.ok,
        Status::Degraded => theme.warn,
        Status::Unhealthy => theme.bad,
    }
}

/// A compact count: 950, 12.3k, 4.1M.
pub fn compact(n: f64) -> String {
    match n {
        n if n >= 1e6 => format!("{:.1}M", n / 1e6),
        n if n >= 1e4 => format!("{:.0}k", n / 1e3),
        n if n >= 1e3 => format!("{:.1}k", n / 1e3),
        n => format!("{n:.0}"),
    }
}

/// The most recent values that fit inside a bordered area, oldest first: a
/// sparkline draws from its first value, so the newest must not be cut off.
pub fn latest(series: &[u64], area: Rect) -> Vec<u64> {
    let fit = area.width.saturating_sub(2) as usize;
    series[series.len().saturating_sub(fit)..].to_vec()
}

/// Borders for terminals without good Unicode.
const ASCII_BORDER: ratatui::symbols::border::Set = ratatui::symbols::border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

/// Sparkline levels for terminals without good Unicode.
const ASCII_BARS: ratatui::symbols::bar::Set = ratatui::symbols::bar::Set {
    full: "#",
    seven_eighths: "#",
    three_quarters: "=",
    five_eighths: "=",
    half: "-",
    three_eighths: "-",
    one_quarter: ".",
    one_eighth: ".",
    empty: " ",
};

/// A bordered block with a title.
pub fn block<'a>(title: &'a str, theme: &Theme) -> Block<'a> {
    let b = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(format!(" {title} "), theme.title));
    if theme.unicode { b } else { b.border_set(ASCII_BORDER) }
}

/// A titled sparkline in the theme's character set.
pub fn sparkline<'a>(title: &'a str, data: Vec<u64>, style: Style, theme: &Theme) -> Sparkline<'a> {
    let s = Sparkline::default().block(block(title, theme)).data(data).style(style);
    if theme.unicode { s } else { s.bar_set(ASCII_BARS) }
}

pub fn ms(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v >= 10_000.0 => format!("{:.1}s", v / 1000.0),
        Some(v) if v >= 1000.0 => format!("{:.2}s", v / 1000.0),
        Some(v) => format!("{v:.0}ms"),
    }
}

pub fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.1}%"))
}

/// The one money format: cents, and below a cent two significant digits.
pub fn usd(v: f64) -> String {
    crate::report::markdown::usd(v)
}

/// A table with a header, a selection and right-aligned numbers.
pub fn table<'a>(
    header: Vec<String>,
    widths: &[Constraint],
    rows: Vec<Row<'a>>,
    theme: &Theme,
    title: &'a str,
) -> Table<'a> {
    let header = Row::new(header.into_iter().map(Cell::from)).style(theme.title);
    Table::new(rows, widths.to_vec()).header(header).row_highlight_style(theme.selection).block(block(title, theme))
}

/// A selection state for `selected`, when there are rows.
pub fn state(selected: usize, rows: usize) -> TableState {
    TableState::default().with_selected((rows > 0).then_some(selected))
}

/// The style a success rate deserves against `floor`, the lowest rate the alert
/// rules in force accept (100 - `error_rate`, or `tool_failure`'s): below it
/// stands out as bad, within half the way from it to 100 % as a warning.
pub fn rate_style(theme: &Theme, rate: Option<f64>, floor: f64) -> Style {
    match rate {
        Some(r) if r < floor => theme.bad,
        Some(r) if r < floor + (100.0 - floor) / 2.0 => theme.warn,
        _ => theme.text,
    }
}

/// Draws a table of `rows` as `spec` declares it, building cells only for the
/// rows that fit, around the selection (1,000 sessions draw the 50 shown).
#[expect(clippy::too_many_arguments, reason = "the table's parts, each needed once")]
pub fn draw_table<T>(
    f: &mut ratatui::Frame,
    area: Rect,
    ctx: &Ctx,
    spec: &super::columns::Table<T>,
    rows: &[&T],
    sort: (usize, bool),
    selected: usize,
    title: &str,
) {
    let cells = cell_ctx(ctx);
    // Borders and the header take three lines.
    let fits = (area.height as usize).saturating_sub(3).max(1);
    let selected = selected.min(rows.len().saturating_sub(1));
    let start = selected.saturating_sub(fits - 1);
    let end = (start + fits).min(rows.len());
    let headers = spec.headers(sort);
    let body: Vec<Vec<Shown>> = rows[start..end].iter().map(|r| spec.cells(r, &cells)).collect();
    let n = body.len();
    // Sized to what is on screen, so that no number is cut (borders take a column each side).
    let shown: Vec<usize> = (0..headers.len())
        .map(|c| body.iter().map(|row| text_width(&row[c].text)).chain([text_width(&headers[c])]).max().unwrap_or(0))
        .collect();
    let fitted = spec.fit(&shown, usize::from(area.width.saturating_sub(2)));
    let fit_text = |(text, column): (String, usize)| match (fitted[column], &spec.columns[column].fit) {
        (Some(width), Fit::Cut) => Some(cut_to(&text, width)),
        (Some(_), Fit::Whole) => Some(text),
        (None, _) => None,
    };
    let header: Vec<String> = headers.into_iter().zip(0..).filter_map(fit_text).collect();
    let body: Vec<Row> = body
        .into_iter()
        .map(|row| {
            Row::new(row.into_iter().zip(0..).filter_map(|(cell, column)| {
                fit_text((cell.text, column)).map(|text| Cell::from(text).style(cell.style))
            }))
        })
        .collect();
    let widths: Vec<Constraint> = fitted.iter().flatten().map(|&w| Constraint::Length(w as u16)).collect();
    f.render_stateful_widget(table(header, &widths, body, ctx.theme, title), area, &mut state(selected - start, n));
}

/// Columns `text` takes on screen.
pub fn text_width(text: &str) -> usize {
    Span::raw(text).width()
}

/// The width left to a table's one `Min` column in `area`, beside its `Length`
/// columns (borders take a column each side, and one column separates two).
pub fn rest_width(area: Rect, widths: &[Constraint]) -> usize {
    let fixed: usize = widths.iter().map(|w| if let Constraint::Length(n) = w { usize::from(*n) } else { 0 }).sum();
    usize::from(area.width).saturating_sub(2 + fixed + widths.len().saturating_sub(1))
}

/// The first of `lines` that fits in `width` columns (they go from most to
/// least said), or the last one.
pub fn first_that_fits(lines: impl IntoIterator<Item = String>, width: usize) -> String {
    let mut last = String::new();
    for line in lines {
        if text_width(&line) <= width {
            return line;
        }
        last = line;
    }
    last
}

/// `text` in at most `width` columns, cut with '…' if longer.
pub fn cut_to(text: &str, width: usize) -> String {
    use unicode_truncate::UnicodeTruncateStr;
    if text_width(text) <= width {
        return text.to_owned();
    }
    format!("{}…", text.unicode_truncate(width.saturating_sub(1)).0)
}

/// `text` in at most `width` columns, cut from its front with '…' if longer:
/// for a path, whose end names the file.
pub fn cut_front_to(text: &str, width: usize) -> String {
    use unicode_truncate::UnicodeTruncateStr;
    if text_width(text) <= width {
        return text.to_owned();
    }
    format!("…{}", text.unicode_truncate_start(width.saturating_sub(1)).0)
}

/// What table cells need from the frame: the theme, the thresholds in force,
/// the total cost.
pub fn cell_ctx<'a>(ctx: &Ctx<'a>) -> super::columns::CellCtx<'a> {
    super::columns::CellCtx {
        theme: ctx.theme,
        thresholds: ctx.app.effective_thresholds(),
        total_cost: ctx.view.report.cost.total_usd,
    }
}

/// Today's spend against the daily budget, as a gauge; `None` without a budget.
pub fn budget_gauge<'a>(
    title: &'a str,
    cost: &crate::report::CostReport,
    theme: &Theme,
) -> Option<ratatui::widgets::Gauge<'a>> {
    let (budget, used) = (cost.daily_budget_usd?, cost.budget_used_pct?);
    let style = if used > 100.0 {
        theme.bad
    } else if used >= 80.0 {
        theme.warn
    } else {
        theme.cost_bar
    };
    Some(
        ratatui::widgets::Gauge::default()
            .block(block(title, theme))
            .gauge_style(style)
            .ratio((used / 100.0).clamp(0.0, 1.0))
            .label(format!("{} of {} ({used:.0}%)", usd(cost.today_usd), usd(budget))),
    )
}
