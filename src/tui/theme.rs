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

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    TrueColor,
    Ansi256,
    Ansi16,
}

/// The colour depth from COLORTERM and TERM: 24-bit only when COLORTERM says so.
pub fn colour_depth(colorterm: Option<&str>, term: Option<&str>) -> Depth {
    if matches!(colorterm, Some("truecolor" | "24bit")) {
        Depth::TrueColor
    } else if term.is_some_and(|t| t.contains("256")) {
        Depth::Ansi256
    } else {
        Depth::Ansi16
    }
}

/// The 16 ANSI colours as xterm shows them, for finding the nearest.
const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

/// A colour the terminal can show at `depth`: 24-bit colours become the nearest
/// of the 256-colour cube or of the 16 ANSI colours.
pub fn degrade_colour(c: Color, depth: Depth) -> Color {
    let Color::Rgb(r, g, b) = c else { return c };
    match depth {
        Depth::TrueColor => c,
        Depth::Ansi256 => {
            let six = |v: u8| (u16::from(v) * 5 + 127) / 255;
            Color::Indexed((16 + 36 * six(r) + 6 * six(g) + six(b)) as u8)
        }
        Depth::Ansi16 => {
            let d = |(x, y, z): (u8, u8, u8)| {
                let sq = |a: u8, b: u8| (i32::from(a) - i32::from(b)).pow(2);
                sq(x, r) + sq(y, g) + sq(z, b)
            };
            ANSI16.iter().min_by_key(|(_, rgb)| d(*rgb)).map_or(c, |(named, _)| *named)
        }
    }
}

impl Theme {
    /// The same theme with every colour shown at `depth`.
    pub fn degrade(mut self, depth: Depth) -> Theme {
        for style in [
            &mut self.text,
            &mut self.dim,
            &mut self.border,
            &mut self.title,
            &mut self.tab_active,
            &mut self.selection,
            &mut self.ok,
            &mut self.warn,
            &mut self.bad,
            &mut self.alert_high,
            &mut self.alert_medium,
            &mut self.alert_low,
            &mut self.cost_bar,
            &mut self.chart,
            &mut self.chart_errors,
            &mut self.header,
        ] {
            style.fg = style.fg.map(|c| degrade_colour(c, depth));
            style.bg = style.bg.map(|c| degrade_colour(c, depth));
        }
        self
    }
}

/// Whether the environment asks for no colour (<https://no-color.org>) or the
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
    fn few_colours_degrade_to_what_the_terminal_has() {
        assert_eq!(colour_depth(Some("truecolor"), Some("xterm-256color")), Depth::TrueColor);
        assert_eq!(colour_depth(None, Some("tmux-256color")), Depth::Ansi256);
        assert_eq!(colour_depth(None, Some("xterm")), Depth::Ansi16);
        assert_eq!(degrade_colour(Color::Rgb(0x2a, 0x35, 0x50), Depth::TrueColor), Color::Rgb(0x2a, 0x35, 0x50));
        assert_eq!(degrade_colour(Color::Rgb(255, 0, 0), Depth::Ansi256), Color::Indexed(196));
        assert_eq!(degrade_colour(Color::Rgb(250, 5, 5), Depth::Ansi16), Color::LightRed);
        assert_eq!(degrade_colour(Color::Rgb(0x1f, 0x24, 0x30), Depth::Ansi16), Color::Black);
        assert_eq!(degrade_colour(Color::Cyan, Depth::Ansi16), Color::Cyan, "named colours stay");
        for (name, _) in BUILT_IN {
            let t = Theme::load(name, None).unwrap().degrade(Depth::Ansi16);
            for style in [t.selection, t.header] {
                assert!(!matches!(style.bg, Some(Color::Rgb(..))), "{name}");
            }
        }
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
