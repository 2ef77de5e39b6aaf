//! Cost: total, today, last hour, burn rate, projection and the budget gauge;
//! cache reads, hit rate and savings; cost by model and by agent as bars;
//! unpriced calls.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Ctx, compact};
use super::{block, usd};
use crate::report::CostLine;
use crate::sanitize::clean_truncated;

fn bars(lines: &[CostLine], width: u16, theme: &crate::tui::theme::Theme) -> Vec<Line<'static>> {
    let max = lines.iter().map(|c| c.cost_usd).fold(0.0, f64::max);
    let bar_width = width.saturating_sub(34) as f64;
    lines
        .iter()
        .map(|c| {
            let n = if max > 0.0 { (c.cost_usd / max * bar_width).round() as usize } else { 0 };
            let bar = if theme.unicode { "█".repeat(n) } else { "#".repeat(n) };
            let cost = crate::tui::columns::unpriced_cost(c.cost_usd, c.unpriced_calls, theme);
            Line::from(vec![
                Span::raw(format!("{:<20} ", clean_truncated(&c.name, 20))),
                Span::styled(format!("{:>10} ", cost.text), cost.style),
                Span::styled(bar, theme.cost_bar),
            ])
        })
        .collect()
}

/// Cache reads and writes, the hit rate, what the cache saved, and reasoning.
fn cache_line(models: &[crate::report::ModelReport]) -> Line<'static> {
    let sum = |f: fn(&crate::report::ModelReport) -> u64| models.iter().map(f).sum::<u64>();
    let (input, read, write, reasoning) = (
        sum(|m| m.input_tokens),
        sum(|m| m.cache_read_tokens),
        sum(|m| m.cache_write_tokens),
        sum(|m| m.reasoning_tokens),
    );
    if read + write + reasoning == 0 {
        return Line::from("no cache or reasoning tokens reported");
    }
    let saved: f64 = models.iter().filter_map(|m| m.cache_savings_usd).sum();
    let hit = if input > 0 { format!("{:.0}%", read as f64 * 100.0 / input as f64) } else { "–".into() };
    Line::from(format!(
        "cache read {} ({hit} of input) · written {} · saved {} · reasoning {}",
        compact(read as f64),
        compact(write as f64),
        usd(saved),
        compact(reasoning as f64)
    ))
}

pub fn render(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (view, t) = (ctx.view, ctx.theme);
    let c = &view.report.cost;
    let searches: u64 = view.report.models.iter().map(|m| m.web_search_requests).sum();
    // Calls that could not be priced get a line of their own: the sums leave
    // them out. Web searches too, where any were counted (few providers do).
    let summary_height = 5 + u16::from(c.unpriced_calls > 0) + u16::from(searches > 0);
    let [summary, gauge, breakdown] =
        Layout::vertical([Constraint::Length(summary_height), Constraint::Length(3), Constraint::Min(4)]).areas(area);
    let mut lines = vec![
        Line::from(format!(
            "total {}  ·  {} tokens  ·  today {} (since {})",
            crate::report::markdown::usd_and_unpriced(c.total_usd, c.unpriced_calls),
            super::compact(c.tokens as f64),
            usd(c.today_usd),
            c.day_start.get(..16).unwrap_or(&c.day_start)
        )),
        Line::from(format!(
            "last hour {}  ·  burn {}/h  ·  projected today {}",
            usd(c.last_hour_usd),
            usd(c.burn_rate_usd_per_hour),
            usd(c.projected_today_usd)
        )),
        cache_line(&view.report.models),
    ];
    if searches > 0 {
        let what = if searches == 1 { "web search" } else { "web searches" };
        lines.push(Line::from(format!("{searches} {what}, priced by the search on top of the tokens")));
    }
    if c.unpriced_calls > 0 {
        let calls = if c.unpriced_calls == 1 { "model call" } else { "model calls" };
        lines.push(Line::from(Span::styled(
            format!("{} {calls} with no cost and no known price: left out of these sums (+?)", c.unpriced_calls),
            t.warn,
        )));
    }
    f.render_widget(Paragraph::new(lines).block(block("Spend", t)), summary);
    match super::budget_gauge("Daily budget", c, t) {
        Some(g) => f.render_widget(g, gauge),
        None => f.render_widget(
            Paragraph::new(Span::styled("no daily budget: set daily_usd under [budget] in the config", t.dim))
                .block(block("Daily budget", t)),
            gauge,
        ),
    }
    let [by_model, by_agent] = Layout::horizontal([Constraint::Ratio(1, 2); 2]).areas(breakdown);
    f.render_widget(Paragraph::new(bars(&c.by_model, by_model.width, t)).block(block("by model", t)), by_model);
    f.render_widget(Paragraph::new(bars(&c.by_agent, by_agent.width, t)).block(block("by agent", t)), by_agent);
}
