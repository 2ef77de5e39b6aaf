//! The live view without a terminal: every pane drawn on ratatui's TestBackend
//! at 80x24 and 160x48, and the app driven by actions.

use std::collections::BTreeMap;
use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::action::Action;
use super::app::{App, Effect, ExportFormat, Tab};
use super::keymap::Keymap;
use super::panes::Ctx;
use super::theme::Theme;
use super::ui;
use super::view::View;
use super::*;
use crate::fold::Fold;
use crate::pricing::PriceTable;
use crate::time::parse_rfc3339;

const NOW: &str = "2026-11-26T21:20:00Z";

/// The shipped sample log, folded, plus a hostile line.
fn fold() -> Fold {
    let mut f = Fold::new(None, Arc::new(PriceTable::built_in()));
    f.traces = crate::traces::TraceStore::new(1000);
    let s = f.ingest.add_source("examples/sample.jsonl");
    let text = include_str!("../../examples/sample.jsonl");
    let hostile = r#"{"ts":"2026-11-26T21:19:30Z","type":"error","component":"evil\u001b]0;pwned\u0007","error_type":"E\u001b[2J","message":"m\u001b[31mred"}"#;
    for (i, line) in text.lines().chain(std::iter::once(hostile)).enumerate() {
        f.line(s, i as u64 + 1, line.as_bytes());
    }
    f
}

fn view() -> View {
    let now = parse_rfc3339(NOW).unwrap();
    let f = fold();
    let mut v = View::build(&f, now, now, &crate::alerts::Thresholds::default(), true);
    v.attach_sessions(&f);
    v
}

fn render(app: &App, view: &View, width: u16, height: u16) -> String {
    render_with(app, view, width, height, &Theme::load("dark", None).unwrap())
}

fn render_with(app: &App, view: &View, width: u16, height: u16, theme: &Theme) -> String {
    render_full(app, view, (width, height), theme, &["examples/sample.jsonl".to_owned()])
}

fn render_full(app: &App, view: &View, (width, height): (u16, u16), theme: &Theme, sources: &[String]) -> String {
    let keymap = Keymap::load("default", None, &BTreeMap::new()).unwrap();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let ctx = Ctx { app, view, theme, keymap: &keymap, sources };
    terminal.draw(|f| ui::draw(f, &ctx)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..height {
        for x in 0..width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn app_on(tab: Tab, view: &View) -> App {
    let mut app = App::new(Some(view.now), crate::alerts::Thresholds::default());
    app.alerts.update(view.report.alerts.clone(), view.now);
    app.tab = tab;
    app
}

#[test]
fn every_pane_draws_at_both_sizes_with_what_it_promises() {
    let v = view();
    let expect: [(Tab, &[&str]); 9] = [
        (
            Tab::Overview,
            &["UNHEALTHY", "Agents", "Tools", "Health", "requests/min", "errors/min", "Alerts", "Spend today"],
        ),
        (Tab::Agents, &["Agent", "Reqs▼", "Success", "p95", "p99", "CodeAgent"]),
        (Tab::Tools, &["Tool", "Uses", "glossary", "recent failures of"]),
        (Tab::Models, &["Model", "gpt-4o", "Share", "Cached", "Hit", "9 Sess"]),
        (Tab::Alerts, &["Firing", "error_rate", "Resolved"]),
        (Tab::Cost, &["Spend", "projected today", "by model", "by agent", "Daily budget", "cache read", "saved"]),
        (Tab::Traces, &["Traces (enter: waterfall)", "Root", "Duration", "Spans"]),
        (
            Tab::Errors,
            &["errors by type", "by component", "Recent errors", "Ingest: 2 malformed, 1 unknown, 1 unsupported"],
        ),
        (Tab::Sessions, &["Sessions (2; enter: its traces)", "review-1942", "chat-7f3a", "Last▼", "Cost"]),
    ];
    for (tab, words) in expect {
        for (w, h) in [(80, 24), (160, 48)] {
            let screen = render(&app_on(tab, &v), &v, w, h);
            for word in words {
                assert!(screen.contains(word), "{tab:?} at {w}x{h} lacks {word:?}:\n{screen}");
            }
            assert!(screen.contains("POST-MORTEM"), "frozen at --now is marked");
            assert!(screen.contains("q quit") && screen.contains("? help"), "the footer comes from the keymap");
            assert!(!screen.contains('\u{1b}') && !screen.contains('\u{7}'), "no escape reaches the screen");
        }
    }
}

#[test]
fn a_small_terminal_says_so() {
    let v = view();
    let screen = render(&app_on(Tab::Overview, &v), &v, 60, 20);
    assert!(screen.contains("This terminal is 60x20; ajentik needs at least 80x24"), "{screen}");
}

#[test]
fn help_is_generated_from_the_keymap() {
    let v = view();
    let mut app = app_on(Tab::Agents, &v);
    app.handle(Action::Help, &v);
    let screen = render(&app, &v, 80, 24);
    assert!(screen.contains("Quit ajentik.") && screen.contains("Move the selection up"), "{screen}");
    // Nothing is cut: every entry can be scrolled to, at 80 and at 160 columns,
    // and the last line says where diagnostics go.
    app.debug_file = Some("/tmp/ajentik-debug-42.log".into());
    for width in [80, 160] {
        app.help_scroll = 0;
        let mut seen = String::new();
        for _ in 0..10 {
            seen += &render(&app, &v, width, 24);
            app.handle(Action::PageDown, &v);
        }
        for a in super::action::Action::ALL {
            let words: String = a.help().split_whitespace().take(3).collect::<Vec<_>>().join(" ");
            assert!(seen.contains(&words), "{width} columns: {words:?} never shown");
        }
        assert!(seen.contains("/tmp/ajentik-debug-42.log"), "{width} columns");
    }
    assert_eq!(app.selection(&v), 0, "scrolling the help does not move the selection");
    app.handle(Action::Back, &v);
    assert!(!app.help);
}

#[test]
fn actions_move_sort_filter_and_switch_tabs() {
    let v = view();
    let mut app = app_on(Tab::Overview, &v);
    app.handle(Action::NextTab, &v);
    assert_eq!(app.tab, Tab::Agents);
    app.handle(Action::PreviousTab, &v);
    app.handle(Action::PreviousTab, &v);
    assert_eq!(app.tab, Tab::Sessions, "wraps around");
    app.handle(Action::TabAgents, &v);
    app.handle(Action::Down, &v);
    app.handle(Action::Down, &v);
    assert_eq!(app.selection(&v), 2);
    app.handle(Action::Bottom, &v);
    assert_eq!(app.selection(&v), 7);
    app.handle(Action::Down, &v);
    assert_eq!(app.selection(&v), 7, "stays on the last row");
    app.handle(Action::Top, &v);
    // Sort by name: A to Z.
    app.handle(Action::SortNext, &v);
    let names: Vec<&str> = app.agent_rows(&v).iter().map(|a| a.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    app.handle(Action::SortReverse, &v);
    assert_eq!(app.agent_rows(&v)[0].name, *sorted.last().unwrap());
    // Filter narrows the table by name, case-insensitively.
    app.handle(Action::Filter, &v);
    assert!(app.filtering);
    for c in "code".chars() {
        app.type_char(c);
    }
    app.handle(Action::Open, &v);
    assert!(!app.filtering);
    assert_eq!(app.agent_rows(&v).iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["CodeAgent"]);
    let screen = render(&app, &v, 80, 24);
    assert!(screen.contains("filter: code") && !screen.contains("ChatAgent"), "{screen}");
    app.handle(Action::Back, &v);
    assert!(app.filter.is_empty());
    app.handle(Action::Open, &v);
    assert!(app.detail);
    let screen = render(&app, &v, 160, 48);
    assert!(
        screen.contains("recent failures of")
            && screen.contains("tools:")
            && screen.contains("requests/min, last hour"),
        "{screen}"
    );
    app.handle(Action::Quit, &v);
    assert!(app.quit);
}

#[test]
fn alerts_are_acknowledged_and_silenced_from_the_alerts_tab() {
    let v = view();
    let mut app = app_on(Tab::Overview, &v);
    app.handle(Action::Acknowledge, &v);
    assert!(app.status.as_deref().unwrap().contains("Alerts tab"));
    app.handle(Action::TabAlerts, &v);
    let before = app.alert_rows(&v).len();
    assert!(before >= 1);
    app.handle(Action::Acknowledge, &v);
    assert!(app.alert_rows(&v)[0].acknowledged);
    assert!(render(&app, &v, 80, 24).contains("ack"));
    app.handle(Action::Silence, &v);
    assert_eq!(app.alert_rows(&v).len(), before - 1);
    let screen = render(&app, &v, 80, 24);
    assert!(screen.contains("1 silenced"), "{screen}");
}

#[test]
fn the_report_keys_write_files_and_freezing_toggles() {
    let v = view();
    let mut app = App::new(None, crate::alerts::Thresholds::default());
    assert_eq!(app.handle(Action::ExportMarkdown, &v), Some(Effect::Export(ExportFormat::Markdown)));
    assert_eq!(app.handle(Action::ExportJson, &v), Some(Effect::Export(ExportFormat::Json)));
    let dir = tempfile::tempdir().unwrap();
    let md = export(&v, &dir.path().join("reports"), ExportFormat::Markdown).unwrap();
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(md.file_name().unwrap().to_string_lossy().starts_with("ajentik-report-20261126-212000"));
    assert!(text.starts_with("# ajentik report") && text.contains("## Agent performance"));
    // `m` twice in the same second: a second file, the first kept.
    let again = export(&v, &dir.path().join("reports"), ExportFormat::Markdown).unwrap();
    assert_ne!(again, md);
    assert!(again.to_string_lossy().ends_with("212000-2.md"), "{}", again.display());
    assert_eq!(std::fs::read_to_string(&md).unwrap(), text);
    let json = export(&v, &dir.path().join("reports"), ExportFormat::Json).unwrap();
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    assert_eq!(r["schema"], "ajentik.report/1");
    assert_eq!(app.handle(Action::Freeze, &v), Some(Effect::Refresh));
    assert_eq!(app.frozen, Some(v.now));
    app.handle(Action::Freeze, &v);
    assert_eq!(app.frozen, None);
    let mut post_mortem = App::new(Some(v.now), crate::alerts::Thresholds::default());
    assert_eq!(post_mortem.handle(Action::Freeze, &v), None, "--now cannot be unfrozen");
    assert!(post_mortem.status.is_some());
}

#[test]
fn thresholds_are_tuned_by_keyboard_with_the_effect_shown_at_once() {
    let f = fold();
    let now = parse_rfc3339(NOW).unwrap();
    let build = |app: &App| View::build(&f, now, now, app.effective_thresholds(), true);
    let mut app = App::new(Some(now), crate::alerts::Thresholds::default());
    app.tab = Tab::Alerts;
    let v = build(&app);
    assert!(v.report.alerts.iter().any(|a| a.rule == crate::alerts::Rule::ErrorRate), "{:?}", v.report.alerts);
    app.handle(Action::EditThresholds, &v);
    assert!(app.editor.is_some() && app.typing());
    // error_rate is the third setting: raise it to 50% by typing.
    app.handle(Action::Down, &v);
    app.handle(Action::Down, &v);
    assert!(app.type_char('5') && app.type_char('0'));
    assert!(!app.type_char('x'));
    let v = build(&app);
    assert!(!v.report.alerts.iter().any(|a| a.rule == crate::alerts::Rule::ErrorRate), "the draft applies at once");
    let screen = render(&app, &v, 80, 24);
    assert!(screen.contains("(was 10)") && screen.contains("enter saves"), "{screen}");
    // +/- step; esc cancels and restores.
    app.handle(Action::Increase, &v);
    assert_eq!(app.editor.as_ref().unwrap().draft.error_rate_pct, 51.0);
    app.handle(Action::Back, &v);
    assert!(app.editor.is_none());
    assert_eq!(app.effective_thresholds().error_rate_pct, 10.0);
    // Enter saves: the app keeps the new thresholds and asks the shell to save.
    app.handle(Action::EditThresholds, &v);
    app.handle(Action::Down, &v);
    app.handle(Action::Decrease, &v);
    let effect = app.handle(Action::Open, &v);
    let Some(Effect::SaveThresholds(saved)) = effect else { panic!("{effect:?}") };
    assert_eq!((saved.min_samples, app.thresholds.min_samples), (4, 4));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "# mine\n[alerts]\nmin_samples = 5 # careful\n").unwrap();
    crate::config::save_thresholds(&path, &saved).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# mine\n[alerts]\nmin_samples = 4 # careful\n"), "{text}");
}

/// Every pane at both sizes, against snapshots in src/tui/snapshots (text only;
/// styles are checked by the assertions above). Review changes with
/// `INSTA_UPDATE=always cargo test` and a look at the diff.
#[test]
fn pane_snapshots() {
    let v = view();
    for tab in Tab::ALL {
        for (w, h) in [(80, 24), (160, 48)] {
            let screen = render(&app_on(tab, &v), &v, w, h);
            insta::assert_snapshot!(format!("{}_{w}x{h}", tab.title().to_lowercase()), screen);
        }
    }
}

#[test]
fn without_good_unicode_borders_and_charts_are_ascii() {
    let v = view();
    let mut theme = Theme::plain();
    theme.unicode = false;
    let screen = render_with(&app_on(Tab::Overview, &v), &v, 80, 24, &theme);
    assert!(screen.contains("+ System ") && screen.contains('|'), "{screen}");
    assert!(!screen.contains(['┌', '│', '█', '▃']), "{screen}");
}

#[test]
fn traces_open_into_a_waterfall_with_span_details() {
    let f = fold();
    let now = parse_rfc3339(NOW).unwrap();
    let mut app = App::new(Some(now), crate::alerts::Thresholds::default());
    app.tab = Tab::Traces;
    let v = View::build(&f, now, now, &crate::alerts::Thresholds::default(), true);
    assert!(!v.traces.is_empty());
    // Sort by duration, longest first, and open the longest.
    app.handle(Action::SortNext, &v);
    app.handle(Action::SortNext, &v);
    let longest = app.trace_rows(&v)[0].clone();
    assert!(app.trace_rows(&v).iter().all(|t| t.duration_ms <= longest.duration_ms));
    assert_eq!(app.handle(Action::Open, &v), Some(Effect::Refresh));
    assert_eq!(app.open_trace, Some(longest.trace_id));
    let mut v = View::build(&f, now, now, &crate::alerts::Thresholds::default(), true);
    v.attach_trace(&f, longest.trace_id);
    let spans = &v.trace.as_ref().unwrap().1;
    assert_eq!(spans.len(), longest.spans);
    assert_eq!(spans[0].0, 0, "the root first");
    assert!(spans[1..].iter().all(|(depth, _, _)| *depth >= 1));
    app.handle(Action::Down, &v);
    let screen = render(&app, &v, 160, 48);
    assert!(screen.contains(&format!("trace {:032x}", longest.trace_id)), "{screen}");
    assert!(screen.contains("status") && screen.contains("duration") && screen.contains("parent"), "{screen}");
    assert!(screen.contains('█'));
    let small = render(&app, &v, 80, 24);
    assert!(small.contains("span"), "{small}");
    // At 80 columns the title drops its hint rather than cut it, and keeps the
    // duration.
    let id = format!("{:032x}", longest.trace_id);
    assert!(small.contains(&format!("trace {id}  ")) && !small.contains("(e"), "{small}");
    app.handle(Action::Back, &v);
    assert_eq!(app.open_trace, None);
}

#[test]
fn hook_failures_are_shown() {
    let v = view();
    let mut app = app_on(Tab::Alerts, &v);
    app.notify = Some(crate::report::NotifyStats {
        sent: 3,
        failed: 2,
        last_error: Some("the notify command failed (exit status: 7)".into()),
    });
    let screen = render(&app, &v, 160, 48);
    assert!(screen.contains("hook failed 2x"), "{screen}");
    assert!(screen.contains("hook: 3 sent, 2 failed (last: the notify command failed (exit status: 7))"), "{screen}");
}

#[test]
fn the_push_key_toggles_and_the_header_shows_the_exporters_state() {
    use crate::push::PushState;
    let v = view();
    let mut app = app_on(Tab::Overview, &v);
    assert_eq!(app.handle(Action::Push, &v), Some(Effect::TogglePush));
    let header = |app: &App| render(app, &v, 200, 48).lines().next().unwrap_or_default().to_string();
    assert!(!header(&app).contains("push"), "off: nothing shown");
    app.push = Some(PushState::Starting);
    assert!(header(&app).contains("push: starting"), "{}", header(&app));
    app.push =
        Some(PushState::Pushing { sent: 1_234, endpoint: "http://127.0.0.1:4318/v1/traces".into(), project: None });
    assert!(header(&app).contains("pushed 1.2k"), "{}", header(&app));
    app.push = Some(PushState::Pushing {
        sent: 5,
        endpoint: "https://logfire-eu.pydantic.dev/v1/traces".into(),
        project: Some("acme/agents".into()),
    });
    assert!(header(&app).contains("pushed 5 to acme/agents"), "{}", header(&app));
    app.push = Some(PushState::Retrying { sent: 7, reason: "could not reach the backend: \u{1b}[31mrefused".into() });
    let line = header(&app);
    assert!(line.contains("push retrying (7 sent): could not reach the backend:"), "{line}");
    assert!(!line.contains('\u{1b}'), "escape sequences are stripped");
    app.push = Some(PushState::Failed { reason: "nowhere to push: set LOGFIRE_TOKEN".into() });
    assert!(header(&app).contains("push failed: nowhere to push"), "{}", header(&app));
    // A push in trouble shows even at 80 columns, ahead of the source paths.
    let narrow = render(&app, &v, 80, 24).lines().next().unwrap_or_default().to_string();
    assert!(narrow.contains("push failed: nowhere"), "{narrow}");
}

#[test]
fn enter_on_a_session_lists_its_traces_and_opens_a_waterfall() {
    let v = view();
    let mut app = app_on(Tab::Sessions, &v);
    let rows: Vec<&str> = app.session_rows(&v).iter().map(|s| s.id.as_str()).collect();
    assert_eq!(rows, ["chat-7f3a", "review-1942"], "most recently active first");
    app.handle(Action::Down, &v);
    app.handle(Action::Open, &v);
    assert_eq!((app.tab, app.session_traces.as_deref()), (Tab::Traces, Some("review-1942")));
    let traces = app.trace_rows(&v);
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].trace_id, 0xc0ffee00c0ffee00c0ffee00c0ffee01);
    let screen = render(&app, &v, 80, 24);
    assert!(screen.contains("Traces of session review-1942"), "{screen}");
    assert_eq!(app.handle(Action::Open, &v), Some(Effect::Refresh));
    assert_eq!(app.open_trace, Some(0xc0ffee00c0ffee00c0ffee00c0ffee01));
    app.handle(Action::Back, &v);
    assert!(app.open_trace.is_none() && app.session_traces.is_some());
    app.handle(Action::Back, &v);
    assert_eq!((app.tab, app.session_traces.as_deref()), (Tab::Sessions, None));
    // Filter by agent; sort by cost.
    app.handle(Action::Filter, &v);
    for c in "coder".chars().chain("".chars()) {
        app.type_char(c);
    }
    assert!(app.session_rows(&v).is_empty());
    app.filter = "CodeAgent".into();
    assert_eq!(app.session_rows(&v).len(), 1);
}

/// A coding agent's session leads with its project's folder and branch, cleaned
/// of what a terminal would obey.
#[test]
fn a_coding_session_shows_its_project_and_branch() {
    let mut f = fold();
    let s = f.ingest.add_source("session.jsonl");
    let line = r#"{"ts":"2026-11-26T21:19:50Z","type":"agent_request","agent":"claude-code","session":"s-code","success":true,"duration_ms":5,"attrs":{"project":"/home/dev/acme-api","git_branch":"fix\u001b[2J-it"}}"#;
    f.line(s, 1, line.as_bytes());
    let now = parse_rfc3339(NOW).unwrap();
    let mut v = View::build(&f, now, now, &crate::alerts::Thresholds::default(), true);
    v.attach_sessions(&f);
    let app = app_on(Tab::Sessions, &v);
    let screen = render(&app, &v, 160, 48);
    assert!(screen.contains("acme-api (fix-it) s-code"), "{screen}");
    assert!(!screen.contains('\u{1b}'));
}

/// A session found by the filter lists its traces: the filter (which matches
/// traces by root and agent) gives way to the session, and comes back with Esc.
/// A long session id is cut to keep the title in its border.
#[test]
fn a_session_found_by_the_filter_lists_its_traces() {
    let v = view();
    let mut app = app_on(Tab::Sessions, &v);
    app.handle(Action::Filter, &v);
    for c in "review".chars() {
        app.type_char(c);
    }
    app.handle(Action::Open, &v);
    assert_eq!(app.session_rows(&v).len(), 1);
    app.handle(Action::Open, &v);
    assert_eq!((app.tab, app.session_traces.as_deref()), (Tab::Traces, Some("review-1942")));
    assert_eq!(app.trace_rows(&v).len(), 1, "the traces of the session found");
    app.handle(Action::Back, &v);
    assert_eq!((app.tab, app.filter.as_str()), (Tab::Sessions, "review"));
    // A long id: the title stays within its border, the id cut with '…'.
    app.tab = Tab::Traces;
    app.session_traces = Some(format!("conv-{}", "x".repeat(150)));
    let screen = render(&app, &v, 80, 24);
    let title = screen.lines().nth(2).unwrap_or_default();
    assert!(title.starts_with("┌ Traces of session conv-xxx") && title.contains("x… "), "{screen}");
    assert!(title.ends_with('┐'), "{screen}");
}

/// Every threshold can be seen and picked at 80x24: the editor gets room for
/// all of them (it showed four of eight, and the pick moved out of sight), and
/// scrolls to the one picked where the room is shorter.
#[test]
fn every_threshold_is_on_screen_in_the_editor() {
    let v = view();
    let mut app = app_on(Tab::Alerts, &v);
    app.handle(Action::EditThresholds, &v);
    let screen = render(&app, &v, 80, 24);
    for setting in super::app::SETTINGS {
        assert!(screen.contains(setting.label), "{} missing:\n{screen}", setting.label);
    }
    // Shorter than the editor: the last setting, picked, is scrolled to.
    for _ in 0..super::app::SETTINGS.len() - 1 {
        app.handle(Action::Down, &v);
    }
    let last = super::app::SETTINGS[super::app::SETTINGS.len() - 1].label;
    let keymap = Keymap::load("default", None, &BTreeMap::new()).unwrap();
    let theme = Theme::load("dark", None).unwrap();
    let ctx = Ctx { app: &app, view: &v, theme: &theme, keymap: &keymap, sources: &[] };
    let mut terminal = Terminal::new(TestBackend::new(80, 10)).unwrap();
    terminal.draw(|f| super::panes::alerts::render(f, f.area(), &ctx)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let screen: String = buffer.content().iter().map(|c| c.symbol()).collect();
    assert!(screen.contains(last) && !screen.contains("min samples"), "{last} not scrolled to:\n{screen}");
}

/// A trial threshold in the editor changes what the Alerts tab shows at once,
/// but not the alerts in force: those feed the alert book (its Resolved list)
/// and the pages, which the preview must never trigger.
#[test]
fn a_previewed_threshold_shows_at_once_but_pages_nothing_and_resolves_nothing() {
    let f = fold();
    let now = parse_rfc3339(NOW).unwrap();
    let mut app = App::new(None, crate::alerts::Thresholds::default());
    app.tab = Tab::Alerts;
    let v = super::build_view(&app, &f, now, now);
    app.alerts.update(v.alerts_in_force.clone(), now);
    let firing_before = app.alert_rows(&v).len();
    assert!(firing_before > 0);
    app.handle(Action::EditThresholds, &v);
    // failure_count (the fifth setting) down to 0: more alerts in the preview.
    for _ in 0..4 {
        app.handle(Action::Down, &v);
    }
    assert!(app.type_char('0'));
    let v = super::build_view(&app, &f, now, now);
    let preview = app.alert_rows(&v);
    assert!(preview.len() > firing_before, "the Firing table follows the draft at once");
    assert_eq!(preview.len(), v.report.alerts.len(), "the table and the tab count agree");
    let in_force = crate::alerts::evaluate(&f.metrics, now, &app.thresholds);
    assert_eq!(v.alerts_in_force, in_force, "pages follow the thresholds in force");
    // The live loop feeds the book with the alerts in force: nothing starts or resolves.
    assert!(app.alerts.update(v.alerts_in_force.clone(), now).is_empty());
    app.handle(Action::Back, &v);
    let v = super::build_view(&app, &f, now, now);
    assert!(app.alerts.update(v.alerts_in_force.clone(), now).is_empty());
    assert!(app.alerts.resolved().is_empty(), "no preview enters the history");
    assert_eq!(app.alert_rows(&v).len(), firing_before);
}

/// At 80 columns the header keeps what calls for action: a failing push or
/// hook, silenced alerts; a silenced alert leaves the Overview.
#[test]
fn the_header_keeps_what_needs_action_at_80_columns() {
    let v = view();
    let mut app = App::new(None, crate::alerts::Thresholds::default());
    app.alerts.update(v.report.alerts.clone(), v.now);
    let first = v.report.alerts[0].clone();
    let before = render(&app, &v, 80, 24);
    assert!(before.contains(&first.message[..30]), "{before}");
    app.alerts.silence(first.rule, &first.scope, v.now + 3_600_000_000);
    app.push = Some(crate::push::PushState::Failed { reason: "413 too large".into() });
    app.notify = Some(crate::report::NotifyStats { sent: 0, failed: 2, last_error: None });
    let screen = render(&app, &v, 80, 24);
    let header = screen.lines().next().unwrap();
    for word in ["push failed", "hook failed 2x", "1 silenced"] {
        assert!(header.contains(word), "{word:?} missing from the header: {header}");
    }
    assert!(!screen.contains(&first.message[..30]), "a silenced alert left the Overview:\n{screen}");
}

/// A long log path gives way in the header, cut from its front (its end names
/// the file), and every other part shows whole or not at all: cut by a column,
/// "last 1ms" read "last 1m". The words around a path stay.
#[test]
fn a_long_path_gives_way_in_the_header() {
    let mut v = view();
    v.report.ingest.malformed += 3;
    v.last_event_age_s = Some(0.001);
    let mut app = app_on(Tab::Overview, &v);
    (app.frozen, app.post_mortem) = (None, false);
    let theme = Theme::load("dark", None).unwrap();
    let long = vec![format!("/tmp/{}/events.jsonl", "ajentik-demo-".repeat(8))];
    let header = |app: &App, width| {
        render_full(app, &v, (width, 24), &theme, &long).lines().next().unwrap_or_default().to_owned()
    };
    let at_80 = header(&app, 80);
    for part in ["…", "-demo-/events.jsonl", "ev/s  last 1ms", " bad lines"] {
        assert!(at_80.contains(part), "{part:?} missing from the header: {at_80}");
    }
    assert!(!at_80.contains("/tmp/"), "cut from the front: {at_80}");
    // Wide enough, the path is whole.
    assert!(header(&app, 200).contains(&long[0]), "{}", header(&app, 200));
    // With less room (the post-mortem mode's stamp), the bad lines are kept
    // before the rate, and no part is cut inside.
    // A log waited for keeps "waiting for"; its path gives way (and, short of
    // room, "(does not exist yet)").
    let waiting = {
        let mut f = Fold::new(None, Arc::new(PriceTable::built_in()));
        let s = f.ingest.add_source(&long[0]);
        f.ingest.sources[s].error = Some(format!("waiting for {} (does not exist yet)", long[0]));
        let now = parse_rfc3339(NOW).unwrap();
        View::build(&f, now, now, &crate::alerts::Thresholds::default(), false)
    };
    let line = render_full(&app, &waiting, (80, 24), &theme, &long).lines().next().unwrap_or_default().to_owned();
    assert!(line.contains("LIVE  waiting for …") && line.contains("demo-/events.jsonl  "), "{line}");
    let wider = render_full(&app, &waiting, (120, 24), &theme, &long).lines().next().unwrap_or_default().to_owned();
    assert!(wider.contains("waiting for …") && wider.contains("/events.jsonl (does not exist yet)"), "{wider}");
    (app.frozen, app.post_mortem) = (Some(v.now), true);
    let narrower = header(&app, 80);
    assert!(narrower.contains(" bad lines") && narrower.contains("…"), "{narrower}");
    assert!(narrower.find("last ").is_none_or(|at| narrower[at..].starts_with("last 1ms")), "{narrower}");
}

/// A log that does not exist yet is waited for, and the header says so.
#[test]
fn the_header_says_when_it_waits_for_a_log() {
    let mut f = Fold::new(None, Arc::new(PriceTable::built_in()));
    let s = f.ingest.add_source("/no/such.jsonl");
    f.ingest.sources[s].error = Some("waiting for /no/such.jsonl (does not exist yet)".into());
    let now = parse_rfc3339(NOW).unwrap();
    let v = View::build(&f, now, now, &crate::alerts::Thresholds::default(), false);
    let screen = render(&app_on(Tab::Overview, &v), &v, 160, 24);
    assert!(screen.lines().next().unwrap().contains("waiting for /no/such.jsonl (does not exist yet)"), "{screen}");
}

/// While the history is read, the view is up with a gauge, and no verdict.
#[test]
fn the_history_being_read_shows_a_gauge() {
    let v = view();
    let mut app = app_on(Tab::Overview, &v);
    app.loading = Some((
        519_000_000,
        1_459_000_000,
        crate::cli::progress_line(519_000_000, 1_459_000_000, std::time::Duration::from_millis(800)),
    ));
    let screen = render(&app, &v, 80, 24);
    assert!(screen.contains("reading the logs: 519 of 1459 MB (36%), about 1.4s left"), "{screen}");
    assert!(screen.lines().next().unwrap().contains("READING"), "{screen}");
    app.handle(Action::Quit, &v);
    assert!(app.quit, "keys work while reading");
}

/// The panes' colours follow the thresholds in force, not fixed cut-offs.
#[test]
fn colours_follow_the_thresholds_in_force() {
    let v = view();
    let theme = Theme::load("dark", None).unwrap();
    let bad_cells = |tool_success_pct: f64| {
        let mut app = app_on(Tab::Tools, &v);
        app.thresholds.tool_success_pct = tool_success_pct;
        let keymap = Keymap::load("default", None, &BTreeMap::new()).unwrap();
        let sources = vec!["examples/sample.jsonl".to_owned()];
        let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
        let ctx = Ctx { app: &app, view: &v, theme: &theme, keymap: &keymap, sources: &sources };
        terminal.draw(|f| ui::draw(f, &ctx)).unwrap();
        let buffer = terminal.backend().buffer().clone();
        // The tools table, below the header and tab bar.
        (3..20).flat_map(|y| (0..60).map(move |x| (x, y))).filter(|&p| buffer[p].fg == theme.bad.fg.unwrap()).count()
    };
    assert!(bad_cells(100.0) > 0, "every tool below 100 % is bad at a 100 % floor");
    assert_eq!(bad_cells(0.0), 0, "none is at a 0 % floor");
    assert_eq!(super::panes::rate_style(&theme, Some(96.0), 90.0), theme.text);
    assert_eq!(super::panes::rate_style(&theme, Some(94.0), 90.0), theme.warn);
    assert_eq!(super::panes::rate_style(&theme, Some(71.0), 80.0), theme.bad);
}

/// A long table builds only the rows that fit, and the selection stays in view.
#[test]
fn a_long_table_keeps_the_selection_in_view() {
    let mut f = Fold::new(None, Arc::new(PriceTable::built_in()));
    let s = f.ingest.add_source("many.jsonl");
    for i in 0..1200 {
        let line = format!(
            r#"{{"ts":"2026-11-26T21:{:02}:{:02}Z","type":"tool_call","tool":"t","success":true,"duration_ms":1,"session":"sess-{i:04}"}}"#,
            i / 60 % 20,
            i % 60
        );
        f.line(s, i + 1, line.as_bytes());
    }
    let now = parse_rfc3339(NOW).unwrap();
    let mut v = View::build(&f, now, now, &crate::alerts::Thresholds::default(), true);
    v.attach_sessions(&f);
    assert_eq!(v.sessions.len(), 1000);
    let mut app = app_on(Tab::Sessions, &v);
    for _ in 0..50 {
        app.handle(Action::PageDown, &v);
    }
    let selected = app.selection(&v);
    assert_eq!(selected, 500);
    let id = &app.session_rows(&v)[selected].id;
    let screen = render(&app, &v, 80, 24);
    assert!(screen.contains(id.as_str()), "{id} not on screen:\n{screen}");
}

/// The report `m` writes, shown over the view: rendered from its Markdown at both
/// sizes (snapshots), scrolled, its path copied, closed with esc.
#[test]
fn the_written_report_is_shown_rendered_and_scrolls() {
    let v = view();
    let mut app = app_on(Tab::Overview, &v);
    app.report = Some(crate::tui::app::ReportOverlay {
        path: "ajentik-reports/ajentik-report-20261126-212000.md".into(),
        markdown: crate::report::markdown::render(&v.report),
        scroll: 0,
    });
    for (w, h) in [(80, 24), (160, 48)] {
        let screen = render(&app, &v, w, h);
        assert!(screen.contains("ajentik-report-20261126-212000.md"), "{screen}");
        assert!(!screen.contains("| ---"), "tables are laid out, not shown as Markdown:\n{screen}");
        assert!(!screen.contains("**"), "emphasis is rendered:\n{screen}");
        insta::assert_snapshot!(format!("report_overlay_{w}x{h}"), screen);
    }
    let first = render(&app, &v, 160, 48);
    assert_eq!(app.handle(Action::PageDown, &v), None);
    let scrolled = render(&app, &v, 160, 48);
    assert_ne!(first, scrolled);
    let Some(Effect::Copy(path)) = app.handle(Action::CopyPath, &v) else { panic!("copy") };
    assert!(path.ends_with(".md"));
    app.handle(Action::Back, &v);
    assert!(app.report.is_none());
    assert!(!render(&app, &v, 160, 48).contains("copies its path"));
}

#[test]
fn markdown_tables_align_and_fit_the_width() {
    let theme = Theme::load("dark", None).unwrap();
    let md = "# Title\n\nSome *emphasis* and **bold** and `code`.\n\n- one\n- two\n\n| Name | Count |\n| --- | ---: |\n| alpha | 1 |\n| a much longer name than fits | 12345 |\n";
    let lines = crate::tui::markdown::render(md, 30, &theme);
    let text: Vec<String> = lines.iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect()).collect();
    assert_eq!(text[0], "Title");
    assert!(text.iter().any(|l| l == "Some emphasis and bold and code."), "{text:?}");
    assert!(text.iter().any(|l| l == "• one"), "{text:?}");
    let header = text.iter().position(|l| l.starts_with("Name")).unwrap();
    assert!(text[header + 1].starts_with("──"), "{text:?}");
    // Right-aligned numbers; the long name cut to fit 30 columns.
    assert!(text[header + 2].ends_with("    1"), "{text:?}");
    assert!(text[header + 3].chars().count() <= 30 && text[header + 3].contains('…'), "{text:?}");
    assert!(text[header + 3].ends_with("12345"), "{text:?}");
}

/// At 80 columns the wider tables cut names, with '…', never numbers: ratatui
/// squeezed every column to fit, and a trace's "$0.00038" read "$0.000", a
/// model's "$0.0048" "$0.004".
#[test]
fn tables_cut_names_never_numbers() {
    let v = view();
    let traces = render(&app_on(Tab::Traces, &v), &v, 80, 24);
    assert!(traces.contains("$0.00038") && traces.contains("$0.00052"), "{traces}");
    let models = render(&app_on(Tab::Models, &v), &v, 80, 24);
    assert!(models.contains("llama-3.3-70b-instr…") && models.contains("Share"), "{models}");
    // Narrower than a table's numbers: the rightmost columns are left out whole.
    let spec = &super::columns::MODELS;
    let shown: Vec<usize> = spec.columns.iter().map(|c| c.header.len()).collect();
    let fitted = spec.fit(&shown, 40);
    assert!(fitted[0].is_some_and(|w| w >= 12) && fitted.last() == Some(&None), "{fitted:?}");
}

/// `Table::fit`, over random widths and rooms: a whole column is never
/// narrower than what it shows, the name column is always there and never
/// below its minimum, and the kept columns fit the room.
#[test]
fn table_columns_fit_their_room() {
    use super::columns::{Fit, MODELS, SESSIONS, TRACES, Table};
    use ratatui::layout::Constraint;
    fn check<T>(table: &Table<T>, rng: &mut crate::synth::Rng) {
        let shown: Vec<usize> = table.columns.iter().map(|_| 1 + rng.below(14)).collect();
        let room = 14 + rng.below(120);
        let fitted = table.fit(&shown, room);
        let kept: Vec<usize> = fitted.iter().flatten().copied().collect();
        assert!(kept.iter().sum::<usize>() + kept.len() - 1 <= room, "{fitted:?} in {room}");
        for ((column, width), shown) in table.columns.iter().zip(&fitted).zip(&shown) {
            match (column.width, column.fit, width) {
                (Constraint::Min(min), _, Some(w)) => assert!(*w >= usize::from(min), "{fitted:?}"),
                (Constraint::Min(_), _, None) => panic!("the name column was left out: {fitted:?}"),
                (_, Fit::Whole, Some(w)) => assert!(w >= shown, "{} cut: {w} < {shown}", column.header),
                _ => {}
            }
        }
    }
    let mut rng = crate::synth::Rng::new(7);
    for _ in 0..1_000 {
        check(&MODELS, &mut rng);
        check(&TRACES, &mut rng);
        check(&SESSIONS, &mut rng);
    }
}

/// Markdown tables are laid out by display width: a name in wide characters
/// (two columns each) lines up with the rest, and is cut to fit with '…'.
#[test]
fn markdown_tables_line_up_wide_characters() {
    let theme = Theme::load("dark", None).unwrap();
    let md = "| Agent | Cost |\n| --- | ---: |\n| 翻訳エージェント | $0.0048 |\n| ChatAgent | $1.20 |\n";
    let width = |line: &ratatui::text::Line| line.width();
    let lines = crate::tui::markdown::render(md, 80, &theme);
    let rows: Vec<_> = lines.iter().filter(|l| width(l) > 0 && !l.to_string().starts_with('─')).collect();
    assert_eq!(rows.len(), 3, "{lines:?}");
    assert!(rows.iter().all(|l| width(l) == width(rows[0])), "{rows:?}");
    assert!(rows.iter().all(|l| l.to_string().ends_with("$0.0048")
        || l.to_string().ends_with("$1.20")
        || l.to_string().ends_with("Cost")));
    let narrow = crate::tui::markdown::render(md, 20, &theme);
    assert!(narrow.iter().any(|l| l.to_string().contains('…')) && narrow.iter().all(|l| width(l) <= 20), "{narrow:?}");
}

/// The Health box names the writers' memory and CPU only where the line fits
/// whole: cut by the box, "(116 MiB, cpu 24.0%)" read "(116 M".
#[test]
fn the_writers_line_is_whole_or_short() {
    let mut v = view();
    v.report.health.live_processes = 2;
    v.report.health.rss_bytes = Some(121_487_641);
    v.report.health.cpu_percent = Some(24.0);
    let app = app_on(Tab::Overview, &v);
    let writers = |width| {
        let screen = render(&app, &v, width, 40);
        screen.lines().find(|l| l.contains("Writers")).map(str::to_owned).unwrap_or_default()
    };
    assert!(writers(200).contains("(116 MiB, cpu 24.0%)"), "{}", writers(200));
    let narrow = writers(80);
    assert!(narrow.contains("Writers        2") && !narrow.contains('('), "{narrow}");
}

/// A Markdown table too wide for the screen even with its names cut is shown
/// a row at a time, header and value, so that no figure is cut (squeezed, a
/// model's table read "claud…" three times and "$0.0…").
#[test]
fn markdown_tables_too_wide_show_each_row_whole() {
    let theme = Theme::load("dark", None).unwrap();
    let md = "| Model | Requests | Tokens in | Tokens out | Cache reads | Saved | Cost |\n\
              | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n\
              | claude-sonnet-4-5 | 53 | 55107 | 19628 | 89010 | $0.0048 | $0.46 |\n\
              | claude-haiku-4-5 | 52 | 58581 | 17216 | 0 | $0.00 | $0.14 |\n";
    let text: Vec<String> = crate::tui::markdown::render(md, 40, &theme).iter().map(ToString::to_string).collect();
    for whole in
        ["claude-sonnet-4-5", "claude-haiku-4-5", "Cache reads 89010", "Saved $0.0048", "Cost $0.46", "Tokens in 58581"]
    {
        assert!(text.iter().any(|l| l.contains(whole)), "{whole:?} missing: {text:#?}");
    }
    assert!(text.iter().all(|l| !l.contains('…') && l.chars().count() <= 40), "{text:#?}");
    // Wide enough, it is a table.
    let wide: Vec<String> = crate::tui::markdown::render(md, 120, &theme).iter().map(ToString::to_string).collect();
    assert!(wide.iter().any(|l| l.starts_with("Model") && l.ends_with("Cost")), "{wide:#?}");
}

/// A malformed line's reason is what an engineer needs: at 80 columns it shows
/// whole or cut with '…' (never by the border), its file cut from the front.
#[test]
fn ingest_problems_fit_their_box() {
    let mut v = view();
    let long_path = format!("/tmp/{}/events.jsonl", "ajentik-demo-".repeat(4));
    v.report.ingest.recent_malformed = vec![
        crate::report::MalformedReport {
            source: long_path.clone(),
            line: 94,
            reason: "not valid JSON: unterminated string at column 18".into(),
        },
        crate::report::MalformedReport {
            source: "log.jsonl".into(),
            line: 7,
            reason: format!("tool_call: field `{}` must be a string", "x".repeat(80)),
        },
    ];
    let screen = render(&app_on(Tab::Errors, &v), &v, 80, 24);
    // Newest first.
    let ingest: Vec<&str> = screen.lines().skip_while(|l| !l.contains("Ingest:")).skip(1).take(2).collect();
    assert!(ingest[0].contains("log.jsonl:7  tool_call: field `xxx") && ingest[0].ends_with("x…│"), "{screen}");
    let whole = "/events.jsonl:94  not valid JSON: unterminated string at column 18";
    assert!(ingest[1].starts_with("│…") && ingest[1].contains(whole), "{screen}");
    // Wide enough, the path is whole.
    let wide = render(&app_on(Tab::Errors, &v), &v, 240, 48);
    assert!(wide.contains(&format!("{long_path}:94  not valid JSON")), "{wide}");
}

/// A model call that could not be priced is not shown as free: its model and
/// its agent read "unpriced" (or "+?" where it adds to a known cost) in the
/// Cost, Agents and Models panes, and the Spend box says what the sums leave out.
#[test]
fn unpriced_calls_are_marked_where_their_cost_is_shown() {
    let mut f = fold();
    let s = f.ingest.add_source("more.jsonl");
    let line = |agent: &str, span: u8| {
        format!(
            r#"{{"ts":"2026-11-26T21:19:59Z","type":"model_call","model":"my-own-model","agent":"{agent}","success":true,"duration_ms":5,"input_tokens":5,"output_tokens":5,"session":"s-unpriced","trace_id":"{:032x}","span_id":"{span:016x}"}}"#,
            0xabcdefu32
        )
    };
    for (i, agent) in ["NewAgent", "CodeAgent"].iter().enumerate() {
        f.line(s, i as u64 + 1, line(agent, i as u8 + 1).as_bytes());
    }
    let now = parse_rfc3339(NOW).unwrap();
    let mut v = View::build(&f, now, now, &crate::alerts::Thresholds::default(), true);
    v.attach_sessions(&f);
    let cost = render(&app_on(Tab::Cost, &v), &v, 80, 24);
    let row = |screen: &str, name: &str| {
        screen.lines().flat_map(|l| l.split('│')).find(|cell| cell.starts_with(name)).unwrap_or_default().to_owned()
    };
    assert!(row(&cost, "my-own-model").contains("unpriced"), "{cost}");
    assert!(row(&cost, "NewAgent").contains("unpriced"), "{cost}");
    assert!(row(&cost, "CodeAgent").contains("+?"), "{cost}");
    assert!(cost.contains("2 model calls with no cost and no known price: left out of these sums (+?)"), "{cost}");
    let agents = render(&app_on(Tab::Agents, &v), &v, 80, 24);
    assert!(row(&agents, "NewAgent").contains("unpriced") && row(&agents, "CodeAgent").contains("+?"), "{agents}");
    let models = render(&app_on(Tab::Models, &v), &v, 80, 24);
    assert!(row(&models, "my-own-model").contains("unpriced"), "{models}");
    let overview = render(&app_on(Tab::Overview, &v), &v, 80, 24);
    assert!(overview.contains("+? spent"), "the total spent is a floor:\n{overview}");
    let sessions = render(&app_on(Tab::Sessions, &v), &v, 80, 24);
    assert!(row(&sessions, "s-unpriced").contains("unpriced"), "{sessions}");
    let traces = render(&app_on(Tab::Traces, &v), &v, 80, 60);
    let trace = traces.lines().find(|l| l.contains("my-own-model")).unwrap_or_default();
    assert!(trace.contains("unpriced"), "{traces}");
}

#[test]
fn web_searches_get_a_line_in_the_spend_box_where_there_are_any() {
    let mut f = fold();
    let s = f.ingest.add_source("more.jsonl");
    let line = r#"{"ts":"2026-11-26T21:19:59Z","type":"model_call","model":"claude-sonnet-4-5","agent":"ResearchAgent","success":true,"duration_ms":5,"input_tokens":500,"output_tokens":50,"web_search_requests":12}"#;
    f.line(s, 1, line.as_bytes());
    let now = parse_rfc3339(NOW).unwrap();
    let v = View::build(&f, now, now, &crate::alerts::Thresholds::default(), true);
    let cost = render(&app_on(Tab::Cost, &v), &v, 80, 24);
    assert!(cost.contains("│12 web searches, priced by the search on top of the tokens"), "{cost}");
    // The boxes below keep their room: the cost by model still lists the model.
    assert!(cost.contains("claude-sonnet-4-5"), "{cost}");
    let without = view();
    let cost = render(&app_on(Tab::Cost, &without), &without, 80, 24);
    assert!(!cost.contains("web search"), "{cost}");
}

/// The Alerts pane's history tells a process that stayed silent a day (retired)
/// from an alert that cleared.
#[test]
fn the_alerts_history_says_retired_for_a_process_that_never_came_back() {
    let v = view();
    let mut app = app_on(Tab::Alerts, &v);
    let beat = v.now - 3600 * crate::time::MICROS_PER_SECOND;
    let lost = crate::alerts::Alert {
        rule: crate::alerts::Rule::HeartbeatLost,
        scope: "worker-9".into(),
        severity: crate::alerts::Severity::High,
        value: 3600.0,
        threshold: 180.0,
        message: "worker-9 sent no heartbeat for 1h 00m (> 3m 00s)".into(),
        since: beat + 180 * crate::time::MICROS_PER_SECOND,
    };
    let mut firing = v.report.alerts.clone();
    firing.push(lost);
    app.alerts.update(firing, v.now);
    app.alerts.update(v.report.alerts.clone(), beat + 24 * 3600 * crate::time::MICROS_PER_SECOND + 1);
    let screen = render(&app, &v, 160, 48);
    assert!(screen.lines().any(|l| l.contains("retired   worker-9 sent no heartbeat")), "{screen}");
    assert!(!screen.contains("resolved  worker-9"), "{screen}");
}
