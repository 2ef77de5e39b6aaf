//! Agents: the table (sortable, filterable) and, with Enter, the selected agent's
//! latency and rate over the last hour and its recent failures.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{List, ListItem};

use super::Ctx;
use super::{block, ms};
use crate::sanitize::clean_truncated;
use crate::tui::app::Tab;
use crate::tui::columns;

pub fn render(f: &mut Frame, area: Rect, ctx: &Ctx) {
    let (app, view, t) = (ctx.app, ctx.view, ctx.theme);
    let rows = app.agent_rows(view);
    let selected = app.selection(view);
    let (table_area, detail_area) = if app.detail {
        let [a, b] = Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
        (a, Some(b))
    } else {
        (area, None)
    };
    let title =
        if rows.is_empty() && view.report.agents.is_empty() { "Agents: no agent requests yet" } else { "Agents" };
    super::draw_table(f, table_area, ctx, &columns::AGENTS, &rows, app.sort[Tab::Agents.index()], selected, title);
    let (Some(area), Some(agent)) = (detail_area, rows.get(selected)) else { return };
    let [charts, side] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    let [rate_area, latency_area] = Layout::vertical([Constraint::Ratio(1, 2); 2]).areas(charts);
    let name = clean_truncated(&agent.name, 30);
    let empty = Vec::new();
    let requests = view.agent_requests.get(&agent.name).unwrap_or(&empty);
    let title = format!("{name}: requests/min, last hour");
    let spark = super::sparkline(&title, super::latest(requests, rate_area), t.chart, t);
    f.render_widget(spark, rate_area);
    let latency = view.agent_latency_ms.get(&agent.name).unwrap_or(&empty);
    let max = latency.iter().copied().max().unwrap_or(0);
    let title = format!("mean latency/min (max {})", ms(Some(max as f64)));
    let spark = super::sparkline(&title, super::latest(latency, latency_area), t.chart, t);
    f.render_widget(spark, latency_area);
    let [links, failures] = Layout::vertical([Constraint::Length(4), Constraint::Min(3)]).areas(side);
    let join = |names: Option<&Vec<String>>| {
        names.map_or_else(|| "–".into(), |n| n.iter().map(|s| clean_truncated(s, 24)).collect::<Vec<_>>().join(", "))
    };
    let text = vec![
        Line::from(format!("tools:  {}", join(view.agent_tools.get(&agent.name)))),
        Line::from(format!("models: {}", join(view.agent_models.get(&agent.name)))),
    ];
    f.render_widget(ratatui::widgets::Paragraph::new(text).block(block("uses", t)), links);
    let items: Vec<ListItem> = view
        .agent_failures
        .get(&agent.name)
        .map(|fs| {
            fs.iter()
                .map(|fl| {
                    let when = crate::time::format_rfc3339(fl.ts);
                    ListItem::new(Line::from(format!(
                        "{} {} {}",
                        crate::time::clock_of(&when),
                        clean_truncated(&fl.by, 20),
                        clean_truncated(&fl.what, 60)
                    )))
                })
                .collect()
        })
        .unwrap_or_default();
    let title = format!("recent failures of {name}");
    let list = if items.is_empty() { List::new(vec![ListItem::new("none")]) } else { List::new(items) };
    f.render_widget(list.block(block(&title, t)), failures);
}
