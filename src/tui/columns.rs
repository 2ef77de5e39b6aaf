//! Tables as data: each table declares its columns once (header, width, how it
//! sorts, how a cell shows), and both the app (sorting) and the panes (drawing)
//! read them. Adding a column is one entry here.

use ratatui::layout::Constraint;
use ratatui::style::Style;

use super::panes::{compact, ms, pct, rate_style};
use super::theme::Theme;
use crate::alerts::Thresholds;
use crate::report::{AgentReport, ModelReport, SessionReport, ToolReport};
use crate::sanitize::clean_truncated;
use crate::traces::TraceSummary;

/// How rows sort by a column.
pub enum Sort<T> {
    /// Not sortable.
    No,
    /// By a number (missing values as -1, so they go last when descending).
    Number(fn(&T) -> f64),
    /// By text, A to Z first.
    Text(fn(&T) -> &str),
    /// By an RFC 3339 time as this crate writes it (which sorts as text),
    /// newest first.
    Time(fn(&T) -> &str),
}

/// What a cell may look at besides its row.
pub struct CellCtx<'a> {
    pub theme: &'a Theme,
    /// In force (the editor's draft while it previews one): colours follow them.
    pub thresholds: &'a Thresholds,
    /// The total cost, for shares.
    pub total_cost: f64,
}

/// One column of a table.
pub struct Column<T> {
    pub header: &'static str,
    /// Its width when there is room: `Min` for the one column that takes what
    /// the others leave.
    pub width: Constraint,
    pub fit: Fit,
    pub sort: Sort<T>,
    pub cell: fn(&T, &CellCtx) -> Shown,
}

/// How a column gives way when the table is wider than its room.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fit {
    /// Text (names): cut to its width, marked with '…'.
    Cut,
    /// Numbers and times: never cut (a cut "$0.0048" reads "$0.004"); the
    /// column is as wide as what it shows, or left out.
    Whole,
}

/// A cell's text and style, apart, so that the table can size its columns to
/// what they show.
pub struct Shown {
    pub text: String,
    pub style: Style,
}

impl Shown {
    pub fn style(self, style: Style) -> Shown {
        Shown { style, ..self }
    }
}

/// One table: its columns and the column it sorts by at first (descending for
/// numbers, A to Z for text).
pub struct Table<T: 'static> {
    pub columns: &'static [Column<T>],
    pub default_sort: usize,
}

impl<T> Table<T> {
    /// The order the sort key cycles through the columns: the default, then the
    /// name, then the other sortable columns left to right.
    fn sort_cycle(&self) -> Vec<usize> {
        let name = self.columns.iter().position(|c| matches!(c.sort, Sort::Text(_)));
        let rest = (0..self.columns.len())
            .filter(|&c| Some(c) != name && c != self.default_sort && !matches!(self.columns[c].sort, Sort::No));
        std::iter::once(self.default_sort).chain(name.filter(|&n| n != self.default_sort)).chain(rest).collect()
    }

    /// The column the sort key goes to after `col`, and whether it sorts
    /// descending (numbers largest first, names A to Z).
    pub fn next_sort(&self, col: usize) -> (usize, bool) {
        let cycle = self.sort_cycle();
        let at = cycle.iter().position(|&c| c == col).map_or(0, |i| (i + 1) % cycle.len());
        let next = cycle[at];
        (next, !self.is_text(next))
    }

    /// The sort a table starts with.
    pub fn initial_sort(&self) -> (usize, bool) {
        (self.default_sort, !self.is_text(self.default_sort))
    }

    /// Whether a column sorts by text (then A to Z comes first).
    pub fn is_text(&self, col: usize) -> bool {
        matches!(self.columns.get(col).map(|c| &c.sort), Some(Sort::Text(_)))
    }

    /// Sorts rows by column `col` (descending if `desc`), ties by `name`.
    pub fn sort(&self, rows: &mut [&T], (col, desc): (usize, bool), name: impl Fn(&T) -> &str) {
        let Some(column) = self.columns.get(col) else { return };
        rows.sort_by(|a, b| {
            let ord = match &column.sort {
                Sort::No => std::cmp::Ordering::Equal,
                Sort::Number(key) => key(a).total_cmp(&key(b)),
                Sort::Text(key) | Sort::Time(key) => key(a).cmp(key(b)),
            };
            let ord = if desc { ord.reverse() } else { ord };
            ord.then_with(|| name(a).cmp(name(b)))
        });
    }

    /// The header labels, the sorted column marked.
    pub fn headers(&self, (col, desc): (usize, bool)) -> Vec<String> {
        self.columns
            .iter()
            .enumerate()
            .map(
                |(i, c)| {
                    if i == col { format!("{}{}", c.header, if desc { "▼" } else { "▲" }) } else { c.header.into() }
                },
            )
            .collect()
    }

    pub fn cells(&self, row: &T, ctx: &CellCtx) -> Vec<Shown> {
        self.columns.iter().map(|c| (c.cell)(row, ctx)).collect()
    }

    /// Each column's width in `room` columns, given the width of what it shows
    /// (`shown`: its header and the rows on screen); `None` for a column left
    /// out. The declared widths when they fit; else [`Fit::Whole`] columns
    /// narrow to what they show; else the rightmost are left out. The `Min`
    /// column takes what the others leave; [`Fit::Cut`] columns never widen.
    pub fn fit(&self, shown: &[usize], room: usize) -> Vec<Option<usize>> {
        let declared = |c: &Column<T>| match c.width {
            Constraint::Min(n) | Constraint::Length(n) => usize::from(n),
            _ => 0,
        };
        let elastic = |c: &Column<T>| matches!(c.width, Constraint::Min(_));
        // Preferred and least widths of each column, the elastic one at its minimum.
        let widths = |least: bool| -> Vec<usize> {
            self.columns
                .iter()
                .zip(shown)
                .map(|(c, &shown)| match c.fit {
                    Fit::Cut => declared(c),
                    Fit::Whole if least => shown,
                    Fit::Whole => shown.max(declared(c)),
                })
                .collect()
        };
        let mut kept: Vec<bool> = vec![true; self.columns.len()];
        loop {
            let total = |w: &[usize]| {
                let n = kept.iter().filter(|&&k| k).count();
                w.iter().zip(&kept).filter(|(_, k)| **k).map(|(w, _)| w).sum::<usize>() + n.saturating_sub(1)
            };
            let fitting = [widths(false), widths(true)].into_iter().find(|w| total(w) <= room);
            if let Some(mut w) = fitting {
                let spare = room - total(&w);
                if let Some(e) = self.columns.iter().position(elastic) {
                    w[e] += spare;
                }
                return w.into_iter().zip(&kept).map(|(w, &k)| k.then_some(w)).collect();
            }
            // Left out from the right; the elastic column (the name) stays.
            match (0..self.columns.len()).rev().find(|&i| kept[i] && !elastic(&self.columns[i])) {
                Some(i) if kept.iter().filter(|&&k| k).count() > 1 => kept[i] = false,
                _ => return kept.iter().map(|&k| k.then_some(0)).collect(),
            }
        }
    }
}

fn text(s: String) -> Shown {
    Shown { text: s, style: Style::default() }
}

/// A cost that leaves out calls that could not be priced ("unpriced", or "+?"
/// after it), in the warning style when it does.
pub fn unpriced_cost(cost_usd: f64, unpriced_calls: u64, theme: &crate::tui::theme::Theme) -> Shown {
    let style = if unpriced_calls > 0 { theme.warn } else { theme.text };
    Shown { text: crate::report::markdown::usd_and_unpriced(cost_usd, unpriced_calls), style }
}

pub static AGENTS: Table<AgentReport> = Table {
    default_sort: 1,
    columns: &[
        Column {
            header: "Agent",
            width: Constraint::Min(14),
            fit: Fit::Cut,
            sort: Sort::Text(|a| &a.name),
            cell: |a, _| text(clean_truncated(&a.name, 28)),
        },
        Column {
            header: "Reqs",
            width: Constraint::Length(7),
            fit: Fit::Whole,
            sort: Sort::Number(|a| a.total_requests as f64),
            cell: |a, _| text(a.total_requests.to_string()),
        },
        Column {
            header: "Success",
            width: Constraint::Length(8),
            fit: Fit::Whole,
            sort: Sort::Number(|a| a.success_rate.unwrap_or(-1.0)),
            cell: |a, c| {
                let (max_error_pct, _, _) = c.thresholds.for_agent(&a.name);
                text(pct(a.success_rate)).style(rate_style(c.theme, a.success_rate, 100.0 - max_error_pct))
            },
        },
        Column {
            header: "Avg",
            width: Constraint::Length(8),
            fit: Fit::Whole,
            sort: Sort::Number(|a| a.avg_response_time_ms.unwrap_or(-1.0)),
            cell: |a, c| {
                let (_, max_ms, _) = c.thresholds.for_agent(&a.name);
                let slow = a.avg_response_time_ms.is_some_and(|v| v > max_ms);
                text(ms(a.avg_response_time_ms)).style(if slow { c.theme.warn } else { c.theme.text })
            },
        },
        Column {
            header: "p95",
            width: Constraint::Length(8),
            fit: Fit::Whole,
            sort: Sort::Number(|a| a.p95_ms.unwrap_or(-1.0)),
            cell: |a, _| text(ms(a.p95_ms)),
        },
        Column {
            header: "p99",
            width: Constraint::Length(8),
            fit: Fit::Whole,
            sort: Sort::Number(|a| a.p99_ms.unwrap_or(-1.0)),
            cell: |a, _| text(ms(a.p99_ms)),
        },
        Column {
            header: "Tokens",
            width: Constraint::Length(7),
            fit: Fit::Whole,
            sort: Sort::Number(|a| a.tokens as f64),
            cell: |a, _| text(compact(a.tokens as f64)),
        },
        Column {
            header: "Cost",
            width: Constraint::Length(9),
            fit: Fit::Whole,
            sort: Sort::Number(|a| a.cost_usd),
            cell: |a, c| unpriced_cost(a.cost_usd, a.unpriced_calls, c.theme),
        },
    ],
};

pub static TOOLS: Table<ToolReport> = Table {
    default_sort: 1,
    columns: &[
        Column {
            header: "Tool",
            width: Constraint::Min(16),
            fit: Fit::Cut,
            sort: Sort::Text(|t| &t.name),
            cell: |t, c| {
                let failing = t.success_rate.is_some_and(|r| r < c.thresholds.tool_success_pct);
                text(clean_truncated(&t.name, 30)).style(if failing { c.theme.bad } else { c.theme.text })
            },
        },
        Column {
            header: "Uses",
            width: Constraint::Length(8),
            fit: Fit::Whole,
            sort: Sort::Number(|t| t.usage_count as f64),
            cell: |t, _| text(t.usage_count.to_string()),
        },
        Column {
            header: "Success",
            width: Constraint::Length(9),
            fit: Fit::Whole,
            sort: Sort::Number(|t| t.success_rate.unwrap_or(-1.0)),
            cell: |t, c| {
                text(pct(t.success_rate)).style(rate_style(c.theme, t.success_rate, c.thresholds.tool_success_pct))
            },
        },
        Column {
            header: "Avg",
            width: Constraint::Length(9),
            fit: Fit::Whole,
            sort: Sort::Number(|t| t.avg_execution_time_ms.unwrap_or(-1.0)),
            cell: |t, _| text(ms(t.avg_execution_time_ms)),
        },
        Column {
            header: "p95",
            width: Constraint::Length(9),
            fit: Fit::Whole,
            sort: Sort::Number(|t| t.p95_ms.unwrap_or(-1.0)),
            cell: |t, _| text(ms(t.p95_ms)),
        },
        Column {
            header: "Failures",
            width: Constraint::Length(9),
            fit: Fit::Whole,
            sort: Sort::Number(|t| t.failures as f64),
            cell: |t, _| text(t.failures.to_string()),
        },
    ],
};

pub static MODELS: Table<ModelReport> = Table {
    default_sort: 1,
    columns: &[
        Column {
            header: "Model",
            width: Constraint::Min(12),
            fit: Fit::Cut,
            sort: Sort::Text(|m| &m.name),
            cell: |m, _| {
                text(if m.sampled {
                    format!("{}*", clean_truncated(&m.name, 27))
                } else {
                    clean_truncated(&m.name, 28)
                })
            },
        },
        Column {
            header: "Calls",
            width: Constraint::Length(6),
            fit: Fit::Whole,
            sort: Sort::Number(|m| m.requests as f64),
            cell: |m, _| text(m.requests.to_string()),
        },
        Column {
            header: "In",
            width: Constraint::Length(6),
            fit: Fit::Whole,
            sort: Sort::Number(|m| m.input_tokens as f64),
            cell: |m, _| text(compact(m.input_tokens as f64)),
        },
        Column {
            header: "Out",
            width: Constraint::Length(6),
            fit: Fit::Whole,
            sort: Sort::Number(|m| m.output_tokens as f64),
            cell: |m, _| text(compact(m.output_tokens as f64)),
        },
        Column {
            header: "Cached",
            width: Constraint::Length(8),
            fit: Fit::Whole,
            sort: Sort::Number(|m| m.cache_read_tokens as f64),
            cell: |m, _| text(compact(m.cache_read_tokens as f64)),
        },
        Column {
            header: "Hit",
            width: Constraint::Length(4),
            fit: Fit::Whole,
            sort: Sort::No,
            cell: |m, _| text(m.cache_hit_pct.map_or_else(|| "–".into(), |p| format!("{p:.0}%"))),
        },
        Column {
            header: "Reason",
            width: Constraint::Length(6),
            fit: Fit::Whole,
            sort: Sort::No,
            cell: |m, _| text(compact(m.reasoning_tokens as f64)),
        },
        Column {
            header: "Avg",
            width: Constraint::Length(6),
            fit: Fit::Whole,
            sort: Sort::Number(|m| m.avg_latency_ms.unwrap_or(-1.0)),
            cell: |m, _| text(ms(m.avg_latency_ms)),
        },
        Column {
            header: "p95",
            width: Constraint::Length(6),
            fit: Fit::Whole,
            sort: Sort::Number(|m| m.p95_ms.unwrap_or(-1.0)),
            cell: |m, _| text(ms(m.p95_ms)),
        },
        Column {
            header: "Cost",
            width: Constraint::Length(9),
            fit: Fit::Whole,
            sort: Sort::Number(|m| m.cost_usd),
            cell: |m, c| unpriced_cost(m.cost_usd, m.unpriced_calls, c.theme),
        },
        Column {
            header: "Share",
            width: Constraint::Length(5),
            fit: Fit::Whole,
            sort: Sort::No,
            cell: |m, c| {
                let share = if c.total_cost > 0.0 {
                    format!("{:.0}%", m.cost_usd * 100.0 / c.total_cost)
                } else {
                    "–".into()
                };
                text(share).style(c.theme.cost_bar)
            },
        },
    ],
};

pub static TRACES: Table<TraceSummary> = Table {
    default_sort: 0,
    columns: &[
        Column {
            header: "Start",
            width: Constraint::Length(9),
            fit: Fit::Whole,
            sort: Sort::Number(|t| t.start as f64),
            cell: |t, _| text(crate::time::clock_time(t.start)),
        },
        Column {
            header: "Root",
            width: Constraint::Min(14),
            fit: Fit::Cut,
            sort: Sort::Text(|t| &t.root),
            cell: |t, _| text(clean_truncated(&t.root, 24)),
        },
        Column {
            header: "Agent",
            width: Constraint::Length(16),
            fit: Fit::Cut,
            sort: Sort::No,
            cell: |t, _| text(clean_truncated(t.agent.as_deref().unwrap_or("–"), 18)),
        },
        Column {
            header: "Duration",
            width: Constraint::Length(9),
            fit: Fit::Whole,
            sort: Sort::Number(|t| t.duration_ms),
            cell: |t, _| text(ms(Some(t.duration_ms))),
        },
        Column {
            header: "Spans",
            width: Constraint::Length(6),
            fit: Fit::Whole,
            sort: Sort::Number(|t| t.spans as f64),
            cell: |t, _| text(t.spans.to_string()),
        },
        Column {
            header: "Errors",
            width: Constraint::Length(7),
            fit: Fit::Whole,
            sort: Sort::Number(|t| t.errors as f64),
            cell: |t, c| text(t.errors.to_string()).style(if t.errors > 0 { c.theme.bad } else { c.theme.text }),
        },
        Column {
            header: "Tokens",
            width: Constraint::Length(7),
            fit: Fit::Whole,
            sort: Sort::Number(|t| t.tokens as f64),
            cell: |t, _| text(compact(t.tokens as f64)),
        },
        Column {
            header: "Cost",
            width: Constraint::Length(8),
            fit: Fit::Whole,
            sort: Sort::Number(|t| t.cost_usd),
            cell: |t, c| unpriced_cost(t.cost_usd, t.unpriced_calls, c.theme),
        },
    ],
};

pub static SESSIONS: Table<SessionReport> = Table {
    default_sort: 2,
    columns: &[
        Column {
            header: "Session",
            width: Constraint::Min(12),
            fit: Fit::Cut,
            sort: Sort::Text(|s| &s.id),
            // A coding agent's session leads with its project's folder name and branch.
            cell: |s, _| match s.place() {
                Some(place) => text(clean_truncated(&format!("{place} {}", s.id), 48)),
                None => text(clean_truncated(&s.id, 36)),
            },
        },
        Column {
            header: "Agents",
            width: Constraint::Length(14),
            fit: Fit::Cut,
            sort: Sort::No,
            cell: |s, _| text(clean_truncated(&s.agents.join(","), 24)),
        },
        Column {
            header: "Last",
            width: Constraint::Length(11),
            fit: Fit::Whole,
            sort: Sort::Time(|s| &s.last_ts),
            cell: |s, _| text(crate::time::clock_of(&s.last_ts).to_owned()),
        },
        Column {
            header: "Model",
            width: Constraint::Length(6),
            fit: Fit::Whole,
            sort: Sort::Number(|s| s.model_calls as f64),
            cell: |s, _| text(s.model_calls.to_string()),
        },
        Column {
            header: "Tools",
            width: Constraint::Length(6),
            fit: Fit::Whole,
            sort: Sort::Number(|s| s.tool_calls as f64),
            cell: |s, _| text(s.tool_calls.to_string()),
        },
        Column {
            header: "Fail",
            width: Constraint::Length(5),
            fit: Fit::Whole,
            sort: Sort::Number(|s| s.failures as f64),
            cell: |s, c| text(s.failures.to_string()).style(if s.failures > 0 { c.theme.bad } else { c.theme.text }),
        },
        Column {
            header: "Tokens",
            width: Constraint::Length(7),
            fit: Fit::Whole,
            sort: Sort::Number(|s| (s.input_tokens + s.output_tokens) as f64),
            cell: |s, _| text(compact((s.input_tokens + s.output_tokens) as f64)),
        },
        Column {
            header: "Cache",
            width: Constraint::Length(6),
            fit: Fit::Whole,
            sort: Sort::No,
            cell: |s, _| text(compact(s.cache_read_tokens as f64)),
        },
        Column {
            header: "Cost",
            width: Constraint::Length(9),
            fit: Fit::Whole,
            sort: Sort::Number(|s| s.cost_usd),
            cell: |s, c| unpriced_cost(s.cost_usd, s.unpriced_calls, c.theme),
        },
    ],
};
