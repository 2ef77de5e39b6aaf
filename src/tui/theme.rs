//! Themes: semantic colours from `themes/*.toml` (embedded), a user theme of the
//! same name in the config folder wins; NO_COLOR and few-colour terminals
//! degrade to plain text with bold and reverse.

use std::str::FromStr;

use anyhow::{Result, anyhow};
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// The themes shipped with ajentik.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    text: String,
    dim: String,
    border: String,
    title: String,
    tab_active: String,
    selection: String,
    ok: String,
    warn: String,
    bad: String,
    alert_high: String,
    alert_medium: String,
    alert_low: String,
    cost_bar: String,
    chart: String,
    chart_errors: String,
    header: String,
}

/// Colours by meaning: code asks for `theme.bad`, never for red.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub text: Style,
    pub dim: Style,
    pub border: Style,
    pub title: Style,
    pub tab_active: Style,
    pub selection: Style,
    pub ok: Style,
    pub warn: Style,
    pub bad: Style,
    pub alert_high: Style,
    pub alert_medium: Style,
    pub alert_low: Style,
    pub cost_bar: Style,
    pub chart: Style,
    pub chart_errors: Style,
    pub header: Style,
    /// Box-drawing and block characters, or plain ASCII.
    pub unicode: bool,
}

fn color(field: &str, value: &str, origin: &str) -> Result<Color> {
    Color::from_str(value).map_err(|_| anyhow!("theme {origin}: `{field}`: `{value}` is not a colour"))
}

impl Theme {
    /// Parses a theme file.
    pub fn parse(text: &str, origin: &str) -> Result<Theme> {
        let f: ThemeFile =
            toml::from_str(text).map_err(|e| anyhow!("theme {origin}: {}", e.message().trim().replace('\n', " ")))?;
        let fg = |field: &str, v: &str| -> Result<Style> { Ok(Style::new().fg(color(field, v, origin)?)) };
        Ok(Theme {
            text: fg("text", &f.text)?,
            dim: fg("dim", &f.dim)?,
            border: fg("border", &f.border)?,
            title: fg("title", &f.title)?.add_modifier(Modifier::BOLD),
            tab_active: fg("tab_active", &f.tab_active)?.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            selection: Style::new().bg(color("selection", &f.selection, origin)?).add_modifier(Modifier::BOLD),
            ok: fg("ok", &f.ok)?,
            warn: fg("warn", &f.warn)?,
            bad: fg("bad", &f.bad)?.add_modifier(Modifier::BOLD),
            alert_high: fg("alert_high", &f.alert_high)?.add_modifier(Modifier::BOLD),
            alert_medium: fg("alert_medium", &f.alert_medium)?,
            alert_low: fg("alert_low", &f.alert_low)?,
            cost_bar: fg("cost_bar", &f.cost_bar)?,
            chart: fg("chart", &f.chart)?,
            chart_errors: fg("chart_errors", &f.chart_errors)?,
            header: Style::new().bg(color("header", &f.header, origin)?),
            unicode: true,
        })
    }

    /// Text without colour: bold for titles and failures, reverse for the
    /// selection. For NO_COLOR and terminals that cannot show colours.
    pub fn plain() -> Theme {
        let none = Style::new();
        let bold = Style::new().add_modifier(Modifier::BOLD);
        Theme {
            text: none,
            dim: none,
            border: none,
            title: bold,
            tab_active: bold.add_modifier(Modifier::UNDERLINED),
            selection: Style::new().add_modifier(Modifier::REVERSED),
            ok: none,
            warn: none,
            bad: bold,
            alert_high: bold,
            alert_medium: none,
            alert_low: none,
            cost_bar: none,
            chart: none,
            chart_errors: none,
            header: none,
            unicode: true,
        }
    }

    /// The theme `name`: the user's file text if given, else the built-in one.
    pub fn load(name: &str, user_file: Option<&str>) -> Result<Theme> {
        match user_file {
            Some(text) => Theme::parse(text, &format!("{name}.toml")),
            None => {
                let text = BUILT_IN
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, t)| *t)
                    .ok_or_else(|| anyhow!("unknown theme `{name}` (built in: dark, light, high-contrast)"))?;
                Theme::parse(text, &format!("{name}.toml"))
            }
        }
    }
}

/// Whether the environment asks for no colour (https://no-color.org) or the
/// terminal cannot show it.
pub fn colour_wanted(no_color: Option<&str>, term: Option<&str>) -> bool {
    no_color.is_none_or(str::is_empty) && !matches!(term, Some("dumb"))
}

/// Whether the locale suggests the terminal shows Unicode well.
pub fn unicode_wanted(lang: Option<&str>) -> bool {
    lang.is_some_and(|l| l.to_ascii_uppercase().contains("UTF-8") || l.to_ascii_uppercase().contains("UTF8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_themes_load() {
        for (name, _) in BUILT_IN {
            Theme::load(name, None).unwrap();
        }
        assert!(Theme::load("neon", None).unwrap_err().to_string().contains("unknown theme `neon`"));
    }

    #[test]
    fn bad_theme_files_name_the_field() {
        let mut text = BUILT_IN[0].1.replace("bad = \"red\"", "bad = \"reddish\"");
        let e = Theme::parse(&text, "mine.toml").unwrap_err().to_string();
        assert_eq!(e, "theme mine.toml: `bad`: `reddish` is not a colour");
        text = BUILT_IN[0].1.replace("warn = \"yellow\"\n", "");
        assert!(Theme::parse(&text, "mine.toml").unwrap_err().to_string().contains("missing field `warn`"));
        text = format!("{}\nsparkle = \"gold\"\n", BUILT_IN[0].1);
        assert!(Theme::parse(&text, "mine.toml").unwrap_err().to_string().contains("unknown field `sparkle`"));
    }

    #[test]
    fn no_color_and_dumb_terminals_get_plain_text() {
        assert!(colour_wanted(None, Some("xterm-256color")));
        assert!(colour_wanted(Some(""), None));
        assert!(!colour_wanted(Some("1"), Some("xterm")));
        assert!(!colour_wanted(None, Some("dumb")));
        assert!(unicode_wanted(Some("en_US.UTF-8")) && unicode_wanted(Some("C.utf8")) && !unicode_wanted(Some("C")));
        let plain = Theme::plain();
        assert_eq!(plain.bad.fg, None);
    }
}
