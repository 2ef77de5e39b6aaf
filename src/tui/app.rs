//! The live view's state and what actions do to it. Pure: it takes actions and
//! views and returns effects for the shell to carry out (writing a report), so
//! the whole app can be driven headless in tests.

use super::action::Action;
use super::columns;
use super::view::View;
use crate::alerts::{AlertBook, Thresholds, Tracked};
use crate::report::{AgentReport, ModelReport, SessionReport, ToolReport};
use crate::time::{MICROS_PER_HOUR, Micros};

/// The panes, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Agents,
    Tools,
    Models,
    Alerts,
    Cost,
    Traces,
    Errors,
    Sessions,
}

/// How many tabs there are.
pub const TABS: usize = 9;

impl Tab {
    pub const ALL: [Tab; TABS] = [
        Tab::Overview,
        Tab::Agents,
        Tab::Tools,
        Tab::Models,
        Tab::Alerts,
        Tab::Cost,
        Tab::Traces,
        Tab::Errors,
        Tab::Sessions,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Agents => "Agents",
            Tab::Tools => "Tools",
            Tab::Models => "Models",
            Tab::Alerts => "Alerts",
            Tab::Cost => "Cost",
            Tab::Traces => "Traces",
            Tab::Errors => "Errors",
            Tab::Sessions => "Sessions",
        }
    }

    /// The title where the tab bar is narrow.
    pub fn short_title(self) -> &'static str {
        match self {
            Tab::Overview => "Over",
            Tab::Sessions => "Sess",
            other => other.title(),
        }
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    /// Where its table's sort key goes after `col`, for the tabs with tables.
    fn next_sort(self, col: usize) -> Option<(usize, bool)> {
        match self {
            Tab::Agents => Some(columns::AGENTS.next_sort(col)),
            Tab::Tools => Some(columns::TOOLS.next_sort(col)),
            Tab::Models => Some(columns::MODELS.next_sort(col)),
            Tab::Traces => Some(columns::TRACES.next_sort(col)),
            Tab::Sessions => Some(columns::SESSIONS.next_sort(col)),
            _ => None,
        }
    }

    /// The sort its table starts with.
    fn initial_sort(self) -> (usize, bool) {
        match self {
            Tab::Agents => columns::AGENTS.initial_sort(),
            Tab::Tools => columns::TOOLS.initial_sort(),
            Tab::Models => columns::MODELS.initial_sort(),
            Tab::Traces => columns::TRACES.initial_sort(),
            Tab::Sessions => columns::SESSIONS.initial_sort(),
            _ => (0, true),
        }
    }
}

/// Report formats the export keys write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Markdown,
    Json,
}

/// What the shell must do after an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Export(ExportFormat),
    /// Rebuild the view (after freezing, or a threshold changed).
    Refresh,
    /// Save these thresholds to the config file.
    SaveThresholds(Thresholds),
    /// Start pushing traces in the background, or stop.
    TogglePush,
    /// Put this text on the terminal's clipboard.
    Copy(String),
}

/// A report written from the view, shown over it: its Markdown and where it went.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOverlay {
    pub path: String,
    pub markdown: String,
    /// Lines scrolled down by.
    pub scroll: u16,
}

/// One line of the thresholds editor, with typed access to the threshold it sets.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub label: &'static str,
    pub unit: &'static str,
    pub step: f64,
    pub min: f64,
    pub max: f64,
    pub whole: bool,
    /// The value, in the editor's unit (seconds for response time).
    pub get: fn(&Thresholds) -> f64,
    put: fn(&mut Thresholds, f64),
}

impl Setting {
    /// Sets the value, clamped to the setting's range (and whole where it must be).
    pub fn set(&self, t: &mut Thresholds, v: f64) {
        let v = v.clamp(self.min, self.max);
        (self.put)(t, if self.whole { v.round() } else { v });
    }
}

/// The settings the editor offers, in order.
pub const SETTINGS: [Setting; 9] = [
    Setting {
        label: "window",
        unit: "min",
        step: 1.0,
        min: 1.0,
        max: 60.0,
        whole: true,
        get: |t| t.window_minutes as f64,
        put: |t, v| t.window_minutes = v as i64,
    },
    Setting {
        label: "min samples",
        unit: "",
        step: 1.0,
        min: 1.0,
        max: 1e6,
        whole: true,
        get: |t| t.min_samples as f64,
        put: |t, v| t.min_samples = v as u64,
    },
    Setting {
        label: "error_rate",
        unit: "%",
        step: 1.0,
        min: 0.0,
        max: 100.0,
        whole: false,
        get: |t| t.error_rate_pct,
        put: |t, v| t.error_rate_pct = v,
    },
    Setting {
        label: "response_time",
        unit: "s",
        step: 0.5,
        min: 0.1,
        max: 3600.0,
        whole: false,
        get: |t| t.response_time_ms / 1000.0,
        put: |t, v| t.response_time_ms = v * 1000.0,
    },
    Setting {
        label: "failure_count",
        unit: "",
        step: 1.0,
        min: 0.0,
        max: 1e6,
        whole: true,
        get: |t| t.failure_count as f64,
        put: |t, v| t.failure_count = v as u64,
    },
    Setting {
        label: "error_spike",
        unit: "x",
        step: 0.5,
        min: 1.0,
        max: 100.0,
        whole: false,
        get: |t| t.spike_factor,
        put: |t, v| t.spike_factor = v,
    },
    Setting {
        label: "error_spike min",
        unit: "",
        step: 1.0,
        min: 1.0,
        max: 1e6,
        whole: true,
        get: |t| t.spike_min_errors as f64,
        put: |t, v| t.spike_min_errors = v as u64,
    },
    Setting {
        label: "tool_failure",
        unit: "% ok",
        step: 1.0,
        min: 0.0,
        max: 100.0,
        whole: false,
        get: |t| t.tool_success_pct,
        put: |t, v| t.tool_success_pct = v,
    },
    Setting {
        label: "heartbeat_lost",
        unit: "s",
        step: 30.0,
        min: 10.0,
        max: 43_200.0,
        whole: true,
        get: |t| t.heartbeat_timeout_s as f64,
        put: |t, v| t.heartbeat_timeout_s = v as i64,
    },
];

/// The thresholds editor: a draft, applied to the view at once, saved on enter.
#[derive(Debug, Clone, PartialEq)]
pub struct Editor {
    pub draft: Thresholds,
    pub selected: usize,
    /// Digits being typed for the selected setting.
    pub typing: Option<String>,
}

/// The live view's state.
#[derive(Debug, Clone)]
pub struct App {
    pub tab: Tab,
    /// Selected row, per tab.
    pub selected: [usize; TABS],
    /// Sort column and whether descending, per tab.
    pub sort: [(usize, bool); TABS],
    pub filter: String,
    /// Typing into the filter.
    pub filtering: bool,
    pub help: bool,
    /// Showing the selected row's details.
    pub detail: bool,
    /// Frozen at this instant: `--now`, or the freeze key.
    pub frozen: Option<Micros>,
    /// Frozen by `--now`: cannot follow again.
    pub post_mortem: bool,
    /// A one-line message (a report's path, an error).
    pub status: Option<String>,
    pub quit: bool,
    pub alerts: AlertBook,
    /// The thresholds in force (as saved).
    pub thresholds: Thresholds,
    pub editor: Option<Editor>,
    /// How the notification hook has fared, when one is configured.
    pub notify: Option<crate::report::NotifyStats>,
    /// The background push's state, while one runs.
    pub push: Option<crate::push::PushState>,
    /// The OTLP receiver's state, with `--serve`.
    pub serve: Option<ServeState>,
    /// The report just written, shown over the view.
    pub report: Option<ReportOverlay>,
    /// The trace whose waterfall is open, and the selected span in it.
    pub open_trace: Option<u128>,
    pub trace_span: usize,
    /// The Traces tab lists only this session's traces (opened from Sessions).
    pub session_traces: Option<String>,
    /// The Sessions tab's filter while its session's traces are listed: the
    /// session scopes the traces instead, and going back restores it.
    sessions_filter: String,
    /// Lines the help screen is scrolled down by.
    pub help_scroll: u16,
    /// Where `--debug` writes, shown in the help screen.
    pub debug_file: Option<String>,
    /// While the history is read: bytes read, bytes in all, and the line to show.
    pub loading: Option<(u64, u64, String)>,
}

/// Scrolls an overlay (help, a report) by a selection key; false for other keys.
fn scroll(lines: &mut u16, action: Action) -> bool {
    match action {
        Action::Up => *lines = lines.saturating_sub(1),
        Action::Down => *lines = lines.saturating_add(1),
        Action::PageUp => *lines = lines.saturating_sub(10),
        Action::PageDown => *lines = lines.saturating_add(10),
        Action::Top => *lines = 0,
        _ => return false,
    }
    true
}

/// What the header says of the OTLP receiver beside the view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServeState {
    pub port: u16,
    /// Spans and log records received a second, over the last refresh.
    pub per_second: f64,
    pub failed_writes: u64,
}

impl App {
    pub fn new(frozen: Option<Micros>, thresholds: Thresholds) -> App {
        App {
            tab: Tab::Overview,
            selected: [0; TABS],
            sort: Tab::ALL.map(Tab::initial_sort),
            filter: String::new(),
            filtering: false,
            help: false,
            detail: false,
            frozen,
            post_mortem: frozen.is_some(),
            status: None,
            quit: false,
            alerts: AlertBook::default(),
            thresholds,
            editor: None,
            notify: None,
            push: None,
            serve: None,
            report: None,
            open_trace: None,
            trace_span: 0,
            session_traces: None,
            sessions_filter: String::new(),
            help_scroll: 0,
            debug_file: None,
            loading: None,
        }
    }

    fn matches(&self, name: &str) -> bool {
        self.filter.is_empty() || name.to_lowercase().contains(&self.filter.to_lowercase())
    }

    /// The agents table's rows, filtered and sorted.
    pub fn agent_rows<'v>(&self, view: &'v View) -> Vec<&'v AgentReport> {
        let mut rows: Vec<_> = view.report.agents.iter().filter(|a| self.matches(&a.name)).collect();
        columns::AGENTS.sort(&mut rows, self.sort[Tab::Agents.index()], |a| &a.name);
        rows
    }

    pub fn tool_rows<'v>(&self, view: &'v View) -> Vec<&'v ToolReport> {
        let mut rows: Vec<_> = view.report.tools.iter().filter(|t| self.matches(&t.name)).collect();
        columns::TOOLS.sort(&mut rows, self.sort[Tab::Tools.index()], |t| &t.name);
        rows
    }

    pub fn model_rows<'v>(&self, view: &'v View) -> Vec<&'v ModelReport> {
        let mut rows: Vec<_> = view.report.models.iter().filter(|m| self.matches(&m.name)).collect();
        columns::MODELS.sort(&mut rows, self.sort[Tab::Models.index()], |m| &m.name);
        rows
    }

    /// The traces table's rows (of one session, when opened from Sessions),
    /// filtered by root or agent, and sorted.
    pub fn trace_rows<'v>(&self, view: &'v View) -> Vec<&'v crate::traces::TraceSummary> {
        let mut rows: Vec<_> = view
            .traces
            .iter()
            .filter(|t| self.session_traces.is_none() || t.session == self.session_traces)
            .filter(|t| self.matches(&t.root) || t.agent.as_deref().is_some_and(|a| self.matches(a)))
            .collect();
        columns::TRACES.sort(&mut rows, self.sort[Tab::Traces.index()], |t| &t.root);
        rows
    }

    /// The sessions table's rows, filtered (by id or agent) and sorted.
    pub fn session_rows<'v>(&self, view: &'v View) -> Vec<&'v SessionReport> {
        let mut rows: Vec<_> =
            view.sessions.iter().filter(|s| self.matches(&s.id) || s.agents.iter().any(|a| self.matches(a))).collect();
        columns::SESSIONS.sort(&mut rows, self.sort[Tab::Sessions.index()], |s| &s.id);
        rows
    }

    /// The alerts the Alerts tab lists (not silenced), most severe first. While
    /// the thresholds editor previews a draft, the draft's alerts, at once and
    /// without entering the alert history (acknowledged and silenced marks kept).
    pub fn alert_rows(&self, view: &View) -> Vec<Tracked> {
        if self.editor.is_none() {
            return self
                .alerts
                .visible(view.now)
                .into_iter()
                .filter(|t| self.matches(&t.alert.scope))
                .cloned()
                .collect();
        }
        let known = self.alerts.visible(view.now);
        let mut rows: Vec<Tracked> = view
            .report
            .alerts
            .iter()
            .filter(|a| self.matches(&a.scope) && self.alerts.silenced_key(&a.key(), view.now).is_none())
            .map(|a| Tracked {
                alert: a.clone(),
                acknowledged: known.iter().any(|t| t.alert.key() == a.key() && t.acknowledged),
                silenced_until: None,
            })
            .collect();
        rows.sort_by(|a, b| b.alert.severity.cmp(&a.alert.severity).then(a.alert.rule.cmp(&b.alert.rule)));
        rows
    }

    /// Rows of the tab's main list, for moving the selection.
    fn rows(&self, view: &View) -> usize {
        match self.tab {
            Tab::Agents => self.agent_rows(view).len(),
            Tab::Tools => self.tool_rows(view).len(),
            Tab::Models => self.model_rows(view).len(),
            Tab::Alerts => self.alert_rows(view).len(),
            Tab::Errors => view.recent_errors.len(),
            Tab::Traces if self.open_trace.is_some() => view.trace.as_ref().map_or(0, |(_, spans)| spans.len()),
            Tab::Traces => self.trace_rows(view).len(),
            Tab::Sessions => self.session_rows(view).len(),
            _ => 0,
        }
    }

    /// The selected row of the current tab (or span of the open trace), kept
    /// within the rows there are.
    pub fn selection(&self, view: &View) -> usize {
        let selected = if self.tab == Tab::Traces && self.open_trace.is_some() {
            self.trace_span
        } else {
            self.selected[self.tab.index()]
        };
        selected.min(self.rows(view).saturating_sub(1))
    }

    fn select(&mut self, view: &View, f: impl Fn(usize, usize) -> usize) {
        let rows = self.rows(view);
        let slot = if self.tab == Tab::Traces && self.open_trace.is_some() {
            &mut self.trace_span
        } else {
            &mut self.selected[self.tab.index()]
        };
        *slot = if rows == 0 { 0 } else { f((*slot).min(rows - 1), rows).min(rows - 1) };
    }

    /// The thresholds the view is evaluated with: the editor's draft while it
    /// is open, so the effect on firing alerts shows at once.
    pub fn effective_thresholds(&self) -> &Thresholds {
        self.editor.as_ref().map_or(&self.thresholds, |e| &e.draft)
    }

    /// Whether typed characters go to the app (filter, or editor digits) rather
    /// than the keymap.
    pub fn typing(&self) -> bool {
        self.filtering || self.editor.is_some()
    }

    /// Feeds one typed character: to the filter, or to the editor's value.
    /// Returns whether it was taken.
    pub fn type_char(&mut self, c: char) -> bool {
        if let Some(e) = &mut self.editor {
            if c.is_ascii_digit() || (c == '.' && !e.typing.as_deref().unwrap_or("").contains('.')) {
                e.typing.get_or_insert_with(String::new).push(c);
                if let Some(v) = e.typing.as_deref().and_then(|t| t.parse::<f64>().ok()) {
                    SETTINGS[e.selected].set(&mut e.draft, v);
                }
                return true;
            }
            return false;
        }
        if self.filtering && !c.is_control() {
            self.filter.push(c);
            return true;
        }
        false
    }

    pub fn backspace(&mut self) {
        if let Some(e) = &mut self.editor {
            if let Some(t) = &mut e.typing {
                t.pop();
                if let Ok(v) = t.parse::<f64>() {
                    SETTINGS[e.selected].set(&mut e.draft, v);
                }
            }
        } else {
            self.filter.pop();
        }
    }

    /// Actions while the thresholds editor is open.
    fn handle_editor(&mut self, action: Action) -> Option<Effect> {
        let e = self.editor.as_mut()?;
        match action {
            Action::Up => {
                e.selected = e.selected.saturating_sub(1);
                e.typing = None;
            }
            Action::Down => {
                e.selected = (e.selected + 1).min(SETTINGS.len() - 1);
                e.typing = None;
            }
            Action::Increase | Action::Decrease => {
                let step = SETTINGS[e.selected].step * if action == Action::Increase { 1.0 } else { -1.0 };
                let v = (SETTINGS[e.selected].get)(&e.draft) + step;
                SETTINGS[e.selected].set(&mut e.draft, v);
                e.typing = None;
            }
            Action::Open => {
                let draft = e.draft.clone();
                self.editor = None;
                self.thresholds = draft.clone();
                return Some(Effect::SaveThresholds(draft));
            }
            Action::Back | Action::EditThresholds => {
                self.editor = None;
                self.status = Some("thresholds unchanged".into());
            }
            Action::Quit => self.quit = true,
            Action::Help => self.help = !self.help,
            _ => return None,
        }
        Some(Effect::Refresh)
    }

    /// Actions while the help screen is open: it scrolls, and closes.
    fn handle_help(&mut self, action: Action) {
        if scroll(&mut self.help_scroll, action) {
            return;
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Help | Action::Back => self.help = false,
            _ => {}
        }
    }

    /// Actions while a written report is shown: it scrolls, copies its path, closes.
    fn handle_report(&mut self, action: Action) -> Option<Effect> {
        let report = self.report.as_mut()?;
        if scroll(&mut report.scroll, action) {
            return None;
        }
        match action {
            Action::CopyPath => return Some(Effect::Copy(report.path.clone())),
            Action::Quit => self.quit = true,
            Action::Back | Action::ExportMarkdown | Action::ExportJson => self.report = None,
            _ => {}
        }
        None
    }

    /// Applies an action; returns what the shell must do.
    pub fn handle(&mut self, action: Action, view: &View) -> Option<Effect> {
        if self.editor.is_some() {
            return self.handle_editor(action);
        }
        if self.report.is_some() {
            return self.handle_report(action);
        }
        if self.help {
            self.handle_help(action);
            return None;
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Help => {
                self.help = true;
                self.help_scroll = 0;
            }
            Action::NextTab
            | Action::PreviousTab
            | Action::TabOverview
            | Action::TabAgents
            | Action::TabTools
            | Action::TabModels
            | Action::TabAlerts
            | Action::TabCost
            | Action::TabTraces
            | Action::TabErrors
            | Action::TabSessions => return self.switch_tab(action),
            Action::Up => self.select(view, |s, _| s.saturating_sub(1)),
            Action::Down => self.select(view, |s, _| s + 1),
            Action::PageUp => self.select(view, |s, _| s.saturating_sub(10)),
            Action::PageDown => self.select(view, |s, _| s + 10),
            Action::Top => self.select(view, |_, _| 0),
            Action::Bottom => self.select(view, |_, rows| rows - 1),
            Action::SortNext | Action::SortReverse => self.sort(action),
            Action::Filter => self.filtering = true,
            Action::Open => return self.open(view),
            Action::Back => return self.back(),
            Action::Freeze => return self.freeze(view),
            Action::EditThresholds => {
                if self.tab == Tab::Alerts {
                    self.editor = Some(Editor { draft: self.thresholds.clone(), selected: 0, typing: None });
                } else {
                    self.status = Some("the thresholds editor is in the Alerts tab".into());
                }
            }
            Action::Increase | Action::Decrease => {}
            Action::ExportMarkdown => return Some(Effect::Export(ExportFormat::Markdown)),
            Action::ExportJson => return Some(Effect::Export(ExportFormat::Json)),
            Action::CopyPath => self.status = Some("no report shown: m or e writes one".into()),
            Action::Push => return Some(Effect::TogglePush),
            Action::Acknowledge | Action::Silence => self.acknowledge_or_silence(action, view),
        }
        None
    }

    /// Switches tabs; the Sessions tab needs its rows built (a view refresh).
    fn switch_tab(&mut self, action: Action) -> Option<Effect> {
        let before = self.tab;
        self.tab = match action {
            Action::NextTab => Tab::ALL[(self.tab.index() + 1) % TABS],
            Action::PreviousTab => Tab::ALL[(self.tab.index() + TABS - 1) % TABS],
            Action::TabOverview => Tab::Overview,
            Action::TabAgents => Tab::Agents,
            Action::TabTools => Tab::Tools,
            Action::TabModels => Tab::Models,
            Action::TabAlerts => Tab::Alerts,
            Action::TabCost => Tab::Cost,
            Action::TabTraces => Tab::Traces,
            Action::TabErrors => Tab::Errors,
            Action::TabSessions => Tab::Sessions,
            _ => self.tab,
        };
        self.detail = false;
        (self.tab == Tab::Sessions && before != Tab::Sessions).then_some(Effect::Refresh)
    }

    fn sort(&mut self, action: Action) {
        let s = &mut self.sort[self.tab.index()];
        if action == Action::SortReverse {
            s.1 = !s.1;
        } else if let Some(next) = self.tab.next_sort(s.0) {
            *s = next;
        }
    }

    /// Enter: keeps the filter, opens a session's traces, a trace's waterfall,
    /// or a row's details.
    fn open(&mut self, view: &View) -> Option<Effect> {
        if self.filtering {
            self.filtering = false;
        } else if self.tab == Tab::Sessions {
            // The session's traces, in the Traces tab, where enter opens a waterfall.
            if let Some(s) = self.session_rows(view).get(self.selection(view)) {
                self.session_traces = Some(crate::sanitize::clean_truncated(&s.id, 200));
                // The filter that found the session would hide its traces (it
                // matches traces by root and agent).
                self.sessions_filter = std::mem::take(&mut self.filter);
                self.status = Some(format!(
                    "traces of session {} (esc goes back to Sessions)",
                    crate::sanitize::clean_truncated(&s.id, 60)
                ));
                self.tab = Tab::Traces;
                self.open_trace = None;
                self.selected[Tab::Traces.index()] = 0;
            }
        } else if self.tab == Tab::Traces {
            if self.open_trace.is_none() {
                self.open_trace = self.trace_rows(view).get(self.selection(view)).map(|t| t.trace_id);
                self.trace_span = 0;
                return Some(Effect::Refresh);
            }
        } else if matches!(self.tab, Tab::Agents | Tab::Tools | Tab::Errors) {
            self.detail = !self.detail;
        }
        None
    }

    /// Esc: closes what is open, innermost first.
    fn back(&mut self) -> Option<Effect> {
        if self.filtering || !self.filter.is_empty() {
            self.filtering = false;
            self.filter.clear();
        } else if self.open_trace.is_some() {
            self.open_trace = None;
        } else if self.tab == Tab::Traces && self.session_traces.is_some() {
            self.session_traces = None;
            self.filter = std::mem::take(&mut self.sessions_filter);
            self.tab = Tab::Sessions;
            return Some(Effect::Refresh);
        } else {
            self.detail = false;
        }
        None
    }

    fn freeze(&mut self, view: &View) -> Option<Effect> {
        if self.post_mortem {
            self.status = Some("frozen by --now: restart without it to follow the log".into());
            return None;
        }
        self.frozen = match self.frozen {
            Some(_) => None,
            None => Some(view.now),
        };
        Some(Effect::Refresh)
    }

    fn acknowledge_or_silence(&mut self, action: Action, view: &View) {
        if self.tab != Tab::Alerts {
            self.status = Some("select an alert in the Alerts tab first".into());
            return;
        }
        let Some(t) = self.alert_rows(view).get(self.selection(view)).cloned() else { return };
        let (rule, scope) = (t.alert.rule, t.alert.scope);
        let shown = crate::sanitize::clean(&scope).into_owned();
        if action == Action::Acknowledge {
            self.alerts.acknowledge(rule, &scope);
            self.status = Some(format!("acknowledged {} {shown}", rule.as_str()));
        } else {
            self.alerts.silence(rule, &scope, view.now + MICROS_PER_HOUR);
            self.status = Some(format!("silenced {} {shown} for an hour", rule.as_str()));
        }
    }
}
