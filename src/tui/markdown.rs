//! Markdown to terminal lines, through pulldown-cmark: what the report overlay
//! shows. Headings, paragraphs with emphasis and code, lists, and tables laid out
//! to the width (columns aligned as the Markdown says; the widest shrink first).

use pulldown_cmark::{Alignment, Event, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::panes::{cut_to, text_width};
use super::theme::Theme;
use crate::sanitize::clean;

/// A table being collected: cells are laid out once it ends.
#[derive(Default)]
struct Table {
    alignments: Vec<Alignment>,
    rows: Vec<Vec<String>>,
    cell: String,
}

struct Renderer<'t> {
    theme: &'t Theme,
    width: usize,
    lines: Vec<Line<'static>>,
    spans: Vec<Span<'static>>,
    /// Bold, italic and code nesting.
    strong: usize,
    emphasis: usize,
    heading: bool,
    /// Item prefixes of the lists we are in (numbers count up).
    lists: Vec<Option<u64>>,
    table: Option<Table>,
}

/// The lines of `markdown` at `width` columns.
pub fn render(markdown: &str, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let mut r = Renderer {
        theme,
        width: usize::from(width.max(20)),
        lines: Vec::new(),
        spans: Vec::new(),
        strong: 0,
        emphasis: 0,
        heading: false,
        lists: Vec::new(),
        table: None,
    };
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        r.event(event);
    }
    r.flush();
    while r.lines.last().is_some_and(|l| l.spans.is_empty()) {
        r.lines.pop();
    }
    r.lines
}

impl Renderer<'_> {
    fn style(&self) -> Style {
        let mut style = if self.heading { self.theme.title } else { Style::default() };
        if self.strong > 0 {
            style = style.add_modifier(Modifier::BOLD);
        }
        if self.emphasis > 0 {
            style = style.add_modifier(Modifier::ITALIC);
        }
        style
    }

    fn text(&mut self, text: &str) {
        let text = clean(text).into_owned();
        match &mut self.table {
            Some(table) => table.cell.push_str(&text),
            None => {
                let style = self.style();
                self.spans.push(Span::styled(text, style));
            }
        }
    }

    /// Ends the line under way, if there is one.
    fn flush(&mut self) {
        if !self.spans.is_empty() {
            self.lines.push(Line::from(std::mem::take(&mut self.spans)));
        }
    }

    fn blank(&mut self) {
        self.flush();
        if self.lines.last().is_some_and(|l| !l.spans.is_empty()) {
            self.lines.push(Line::default());
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => self.text(&text),
            Event::Code(code) => match &mut self.table {
                Some(table) => table.cell.push_str(&clean(&code)),
                None => self.spans.push(Span::styled(clean(&code).into_owned(), self.theme.dim)),
            },
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.flush(),
            Event::Rule => {
                self.blank();
                self.lines.push(Line::styled("─".repeat(self.width.min(40)), self.theme.dim));
            }
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Heading { .. } => {
                self.blank();
                self.heading = true;
            }
            Tag::Paragraph => {}
            Tag::Strong => self.strong += 1,
            Tag::Emphasis => self.emphasis += 1,
            Tag::List(first) => {
                self.flush();
                self.lists.push(first);
            }
            Tag::Item => {
                self.flush();
                let depth = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}. ", *n - 1)
                    }
                    _ if self.theme.unicode => "• ".to_owned(),
                    _ => "- ".to_owned(),
                };
                self.spans.push(Span::raw(format!("{}{marker}", "  ".repeat(depth))));
            }
            Tag::Table(alignments) => {
                self.blank();
                self.table = Some(Table { alignments, ..Table::default() });
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(table) = &mut self.table {
                    table.rows.push(Vec::new());
                }
            }
            Tag::TableCell => {
                if let Some(table) = &mut self.table {
                    table.cell.clear();
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) => {
                self.heading = false;
                self.flush();
                self.lines.push(Line::default());
            }
            TagEnd::Paragraph => {
                if self.lists.is_empty() {
                    self.blank();
                } else {
                    self.flush();
                }
            }
            TagEnd::Strong => self.strong = self.strong.saturating_sub(1),
            TagEnd::Emphasis => self.emphasis = self.emphasis.saturating_sub(1),
            TagEnd::List(_) => {
                self.lists.pop();
                if self.lists.is_empty() {
                    self.blank();
                }
            }
            TagEnd::Item => self.flush(),
            TagEnd::TableCell => {
                if let Some(table) = &mut self.table {
                    let cell = std::mem::take(&mut table.cell);
                    if let Some(row) = table.rows.last_mut() {
                        row.push(cell);
                    }
                }
            }
            TagEnd::Table => {
                if let Some(table) = self.table.take() {
                    let lines = layout_table(&table, self.width, self.theme);
                    self.lines.extend(lines);
                    self.lines.push(Line::default());
                }
            }
            _ => {}
        }
    }
}

/// Column widths that fit `width` (two spaces between columns): the widest
/// text column gives way first, never below 8; numbers (right-aligned
/// columns) are never cut. Whether they fit.
fn fit(widths: &mut [usize], alignments: &[Alignment], width: usize) -> bool {
    let gaps = 2 * widths.len().saturating_sub(1);
    let text = |c: usize| !matches!(alignments.get(c), Some(Alignment::Right));
    while widths.iter().sum::<usize>() + gaps > width {
        let widest = (0..widths.len()).filter(|&c| text(c) && widths[c] > 8).max_by_key(|&c| widths[c]);
        let Some(c) = widest else { return false };
        widths[c] -= 1;
    }
    true
}

/// A table too wide for the screen, one row at a time: its first cell, then
/// each other column's header and value, as many to a line as fit. Nothing is
/// cut, so no figure is lost.
fn layout_records(table: &Table, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let Some((header, rows)) = table.rows.split_first() else { return Vec::new() };
    let mut lines = Vec::new();
    for row in rows {
        lines.push(Line::styled(row.first().cloned().unwrap_or_default(), theme.title));
        let mut line: Vec<Span<'static>> = Vec::new();
        let mut used = 0;
        for (name, value) in header.iter().zip(row).skip(1) {
            let item = [Span::styled(format!("{name} "), theme.dim), Span::raw(value.clone())];
            let item_width = 2 + text_width(name) + 1 + text_width(value);
            if used > 0 && used + item_width > width {
                lines.push(Line::from(std::mem::take(&mut line)));
                used = 0;
            }
            line.push(Span::raw("  "));
            line.extend(item);
            used += item_width;
        }
        if !line.is_empty() {
            lines.push(Line::from(line));
        }
    }
    lines
}

fn layout_table(table: &Table, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let columns = table.rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in &table.rows {
        for (c, cell) in row.iter().enumerate() {
            widths[c] = widths[c].max(text_width(cell));
        }
    }
    if !fit(&mut widths, &table.alignments, width) {
        return layout_records(table, width, theme);
    }
    let mut lines = Vec::new();
    for (r, row) in table.rows.iter().enumerate() {
        let mut spans = Vec::new();
        for (c, w) in widths.iter().enumerate() {
            let cell = cut_to(row.get(c).map_or("", String::as_str), *w);
            // Padded by display width: `format!`'s padding counts characters.
            let pad = w.saturating_sub(text_width(&cell));
            let text = match table.alignments.get(c) {
                Some(Alignment::Right) => format!("{}{cell}", " ".repeat(pad)),
                Some(Alignment::Center) => format!("{}{cell}{}", " ".repeat(pad / 2), " ".repeat(pad - pad / 2)),
                _ => format!("{cell}{}", " ".repeat(pad)),
            };
            let style = if r == 0 { theme.title } else { Style::default() };
            spans.push(Span::styled(text, style));
            if c + 1 < widths.len() {
                spans.push(Span::raw("  "));
            }
        }
        lines.push(Line::from(spans));
        if r == 0 {
            let rule = if theme.unicode { "─" } else { "-" };
            let total = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
            lines.push(Line::styled(rule.repeat(total), theme.dim));
        }
    }
    lines
}
