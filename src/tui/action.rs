//! Everything a key can do: one enum, named in keymap files in snake_case, with
//! one doc line each that doubles as the help text.

macro_rules! actions {
    ($($(#[doc = $doc:literal])+ $variant:ident = $name:literal,)*) => {
        /// An action a key is bound to.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $($(#[doc = $doc])+ $variant,)*
        }

        impl Action {
            /// Every action, in help order.
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The name keymap files use.
            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)*
                }
            }

            /// The action a keymap file names.
            pub fn from_name(name: &str) -> Option<Action> {
                match name {
                    $($name => Some(Action::$variant),)*
                    _ => None,
                }
            }

            /// One line for the help screen.
            pub fn help(self) -> &'static str {
                match self {
                    $(Action::$variant => concat!($($doc),+).trim_ascii(),)*
                }
            }
        }
    };
}

actions! {
    /// Quit ajentik.
    Quit = "quit",
    /// Show or hide the help screen.
    Help = "help",
    /// Next tab.
    NextTab = "next_tab",
    /// Previous tab.
    PreviousTab = "previous_tab",
    /// Overview tab.
    TabOverview = "tab_overview",
    /// Agents tab.
    TabAgents = "tab_agents",
    /// Tools tab.
    TabTools = "tab_tools",
    /// Models tab.
    TabModels = "tab_models",
    /// Alerts tab.
    TabAlerts = "tab_alerts",
    /// Cost tab.
    TabCost = "tab_cost",
    /// Traces tab.
    TabTraces = "tab_traces",
    /// Errors tab.
    TabErrors = "tab_errors",
    /// Sessions tab.
    TabSessions = "tab_sessions",
    /// Move the selection up.
    Up = "up",
    /// Move the selection down.
    Down = "down",
    /// Move the selection a page up.
    PageUp = "page_up",
    /// Move the selection a page down.
    PageDown = "page_down",
    /// Select the first row.
    Top = "top",
    /// Select the last row.
    Bottom = "bottom",
    /// Sort by the next column.
    SortNext = "sort_next",
    /// Reverse the sort order.
    SortReverse = "sort_reverse",
    /// Filter tables by name (type, then Enter; Esc clears).
    Filter = "filter",
    /// Open the selected row's details.
    Open = "open",
    /// Close details, help or the filter.
    Back = "back",
    /// Freeze the view at this instant, or follow the log again.
    Freeze = "freeze",
    /// Write a Markdown report to the reports folder.
    ExportMarkdown = "export_markdown",
    /// Write a JSON report to the reports folder.
    ExportJson = "export_json",
    /// Acknowledge the selected alert (it stays listed).
    Acknowledge = "acknowledge",
    /// Silence the selected alert for an hour.
    Silence = "silence",
    /// Open the thresholds editor (Alerts tab): enter saves, esc cancels.
    EditThresholds = "edit_thresholds",
    /// Raise the selected threshold.
    Increase = "increase",
    /// Lower the selected threshold.
    Decrease = "decrease",
    /// Push traces to Logfire or the OTLP endpoint, following the logs (again: stop).
    Push = "push",
    /// Copy the shown report's path to the clipboard (the terminal's, over SSH too).
    CopyPath = "copy_path",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_every_action_has_help() {
        for &a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(a));
            assert!(!a.help().is_empty() && a.help().ends_with('.'), "{a:?}");
        }
        assert_eq!(Action::from_name("nope"), None);
    }
}
