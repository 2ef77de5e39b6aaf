//! Keymaps: files in `keymaps/` (embedded in the binary) map key strings to
//! actions; the user's config picks one and may override single keys.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Result, anyhow, bail};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

/// The keymaps shipped with ajentik.
pub const BUILT_IN: &[(&str, &str)] =
    &[("default", include_str!("../../keymaps/default.toml")), ("vim", include_str!("../../keymaps/vim.toml"))];

/// A key and its modifiers, as keymaps name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    /// The key of a terminal key event. Shift is part of a character ("S"), so
    /// it is dropped from character keys; backtab is shift-tab.
    pub fn of(event: &KeyEvent) -> Key {
        let mut mods = event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match event.code {
            KeyCode::BackTab => {
                mods |= KeyModifiers::SHIFT;
                KeyCode::Tab
            }
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::Char(c)
            }
            other => other,
        };
        Key { code, mods }
    }

    /// Reads "q", "?", "S", "ctrl-c", "shift-tab", "pagedown", "f5"...
    pub fn parse(text: &str) -> Result<Key> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            if rest.len() == len {
                break;
            }
            mods |= m;
            rest = &rest[len..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => {
                    mods |= KeyModifiers::SHIFT;
                    KeyCode::Tab
                }
                "backspace" => KeyCode::Backspace,
                "space" => KeyCode::Char(' '),
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" => KeyCode::PageUp,
                "pagedown" => KeyCode::PageDown,
                "delete" => KeyCode::Delete,
                "insert" => KeyCode::Insert,
                f if f.starts_with('f') && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) => {
                    KeyCode::F(f[1..].parse().unwrap_or(1))
                }
                _ => bail!("`{text}` is not a key (try \"q\", \"ctrl-c\", \"shift-tab\", \"pagedown\", \"f1\")"),
            },
        };
        if let KeyCode::Char(c) = code
            && mods.contains(KeyModifiers::SHIFT)
        {
            // "shift-s" is "S".
            mods.remove(KeyModifiers::SHIFT);
            return Ok(Key { code: KeyCode::Char(c.to_ascii_uppercase()), mods });
        }
        Ok(Key { code, mods })
    }

    /// How the footer and help show the key.
    pub fn label(&self) -> String {
        let mut s = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            s.push_str("ctrl-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            s.push_str("alt-");
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            s.push_str("shift-");
        }
        match self.code {
            KeyCode::Char(c) => s.push(c),
            KeyCode::Enter => s.push_str("enter"),
            KeyCode::Esc => s.push_str("esc"),
            KeyCode::Tab => s.push_str("tab"),
            KeyCode::Backspace => s.push_str("backspace"),
            KeyCode::Up => s.push('↑'),
            KeyCode::Down => s.push('↓'),
            KeyCode::Left => s.push('←'),
            KeyCode::Right => s.push('→'),
            KeyCode::Home => s.push_str("home"),
            KeyCode::End => s.push_str("end"),
            KeyCode::PageUp => s.push_str("pgup"),
            KeyCode::PageDown => s.push_str("pgdn"),
            KeyCode::F(n) => s.push_str(&format!("f{n}")),
            _ => s.push('?'),
        }
        s
    }
}

/// Keys to actions.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    bindings: HashMap<Key, Action>,
}

fn parse_table(text: &str, origin: &str) -> Result<Vec<(Key, Action)>> {
    let table: BTreeMap<String, String> =
        toml::from_str(text).map_err(|e| anyhow!("keymap {origin}: {}", e.message().trim().replace('\n', " ")))?;
    table
        .iter()
        .map(|(key, action)| {
            let k = Key::parse(key).map_err(|e| anyhow!("keymap {origin}: key `{key}`: {e}"))?;
            let a = Action::from_name(action)
                .ok_or_else(|| anyhow!("keymap {origin}: key `{key}`: unknown action `{action}`"))?;
            Ok((k, a))
        })
        .collect()
}

impl Keymap {
    /// The keymap named `name` (built in, or a user file's text given in
    /// `user_file`), with single keys overridden by `overrides`.
    pub fn load(name: &str, user_file: Option<&str>, overrides: &BTreeMap<String, String>) -> Result<Keymap> {
        let text = match user_file {
            Some(text) => text,
            None => BUILT_IN
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| *t)
                .ok_or_else(|| anyhow!("unknown keymap `{name}` (built in: default, vim)"))?,
        };
        let mut map = Keymap::default();
        for (k, a) in parse_table(text, &format!("{name}.toml"))? {
            map.bindings.insert(k, a);
        }
        for (key, action) in overrides {
            let k = Key::parse(key).map_err(|e| anyhow!("[tui.keys] in the config: key `{key}`: {e}"))?;
            let a = Action::from_name(action)
                .ok_or_else(|| anyhow!("[tui.keys] in the config: key `{key}`: unknown action `{action}`"))?;
            map.bindings.insert(k, a);
        }
        Ok(map)
    }

    /// The action a key event is bound to.
    pub fn action(&self, event: &KeyEvent) -> Option<Action> {
        self.bindings.get(&Key::of(event)).copied()
    }

    /// The keys bound to an action, shortest label first.
    pub fn keys_for(&self, action: Action) -> Vec<String> {
        let mut keys: Vec<String> =
            self.bindings.iter().filter(|(_, a)| **a == action).map(|(k, _)| k.label()).collect();
        keys.sort_by(|a, b| a.chars().count().cmp(&b.chars().count()).then(a.cmp(b)));
        keys
    }

    /// The key to show for an action in hints ("?" for help): the shortest,
    /// but arrows only when nothing else is bound.
    pub fn hint(&self, action: Action) -> Option<String> {
        let keys = self.keys_for(action);
        let arrow = |k: &String| k.contains(['↑', '↓', '←', '→']);
        keys.iter().find(|k| !arrow(k)).or(keys.first()).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventKind;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent { code, modifiers: mods, kind: KeyEventKind::Press, state: crossterm::event::KeyEventState::NONE }
    }

    #[test]
    fn built_in_keymaps_load_and_bind_the_basics() {
        let none = BTreeMap::new();
        let d = Keymap::load("default", None, &none).unwrap();
        assert_eq!(d.action(&ev(KeyCode::Char('q'), KeyModifiers::NONE)), Some(Action::Quit));
        assert_eq!(d.action(&ev(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::Quit));
        assert_eq!(d.action(&ev(KeyCode::BackTab, KeyModifiers::SHIFT)), Some(Action::PreviousTab));
        assert_eq!(d.action(&ev(KeyCode::Char('S'), KeyModifiers::SHIFT)), Some(Action::SortReverse));
        assert_eq!(d.action(&ev(KeyCode::Char('3'), KeyModifiers::NONE)), Some(Action::TabTools));
        assert_eq!(d.hint(Action::Help).as_deref(), Some("?"));
        let v = Keymap::load("vim", None, &none).unwrap();
        assert_eq!(v.action(&ev(KeyCode::Char('j'), KeyModifiers::NONE)), Some(Action::Down));
        assert_eq!(v.action(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)), Some(Action::Bottom));
        for (name, _) in BUILT_IN {
            let k = Keymap::load(name, None, &none).unwrap();
            for a in [Action::Quit, Action::Help, Action::NextTab, Action::Up, Action::Down, Action::ExportMarkdown] {
                assert!(k.hint(a).is_some(), "{name} lacks {a:?}");
            }
        }
    }

    #[test]
    fn overrides_replace_single_keys() {
        let mut o = BTreeMap::new();
        o.insert("x".to_owned(), "quit".to_owned());
        o.insert("q".to_owned(), "help".to_owned());
        let k = Keymap::load("default", None, &o).unwrap();
        assert_eq!(k.action(&ev(KeyCode::Char('x'), KeyModifiers::NONE)), Some(Action::Quit));
        assert_eq!(k.action(&ev(KeyCode::Char('q'), KeyModifiers::NONE)), Some(Action::Help));
    }

    #[test]
    fn bad_keymaps_name_the_key() {
        let none = BTreeMap::new();
        let e = Keymap::load("mine", Some("q = \"quit\"\nctrl-= \"help\"\n"), &none).unwrap_err().to_string();
        assert!(e.starts_with("keymap mine.toml:"), "{e}");
        let e = Keymap::load("mine", Some("q = \"quitt\"\n"), &none).unwrap_err().to_string();
        assert_eq!(e, "keymap mine.toml: key `q`: unknown action `quitt`");
        let e = Keymap::load("mine", Some("hyper-q = \"quit\"\n"), &none).unwrap_err().to_string();
        assert!(e.contains("key `hyper-q`") && e.contains("is not a key"), "{e}");
        let e = Keymap::load("emacs", None, &none).unwrap_err().to_string();
        assert!(e.contains("unknown keymap `emacs`"), "{e}");
        let mut o = BTreeMap::new();
        o.insert("ctrl-k".to_owned(), "explode".to_owned());
        let e = Keymap::load("default", None, &o).unwrap_err().to_string();
        assert!(e.contains("[tui.keys]") && e.contains("`ctrl-k`") && e.contains("explode"), "{e}");
    }

    #[test]
    fn keys_parse_and_label() {
        for (text, label) in [
            ("q", "q"),
            ("ctrl-c", "ctrl-c"),
            ("shift-tab", "shift-tab"),
            ("backtab", "shift-tab"),
            ("shift-s", "S"),
            ("pagedown", "pgdn"),
            ("f5", "f5"),
            ("-", "-"),
            ("ctrl--", "ctrl--"),
        ] {
            assert_eq!(Key::parse(text).unwrap().label(), label, "{text}");
        }
        assert!(Key::parse("f13").is_err() && Key::parse("").is_err() && Key::parse("ctrl-").is_err());
    }
}
