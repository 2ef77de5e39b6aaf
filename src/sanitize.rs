//! Cleaning untrusted strings from the log before they reach a terminal, a Markdown
//! table or a file name.
//!
//! Escape sequences are removed whole (a CSI or OSC sequence's parameters would
//! otherwise survive as visible junk), other control characters become a space or
//! vanish, and Unicode bidirectional overrides are dropped so that text cannot
//! reorder itself on screen.

use std::borrow::Cow;

/// Returns `text` with escape sequences removed and every control character
/// (C0, DEL, C1) replaced: tabs and line breaks by a space, the rest dropped.
/// Borrows when there is nothing to clean, which is the common case.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_cleaning) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 CSI and OSC: their parameters follow as for the ESC forms.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{9e}' | '\u{9f}' | '\u{98}' => skip_string(&mut chars),
            '\t' | '\n' | '\r' | '\u{0b}' | '\u{0c}' => out.push(' '),
            c if needs_cleaning(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_cleaning(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{061c}')
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_escape(chars: &mut Chars<'_>) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(chars),
        // Two-byte sequences with intermediates, e.g. ESC ( B.
        Some(' '..='/') => {
            while chars.next_if(|c| (' '..='/').contains(c)).is_some() {}
            chars.next();
        }
        _ => {}
    }
}

/// Parameters and intermediates, then one final byte in '@'..='~'.
fn skip_csi(chars: &mut Chars<'_>) {
    for c in chars.by_ref() {
        if ('@'..='~').contains(&c) || c.is_control() {
            break;
        }
    }
}

/// An OSC, DCS, SOS, PM or APC string, ended by BEL, ST (ESC \) or C1 ST.
fn skip_string(chars: &mut Chars<'_>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                chars.next_if_eq(&'\\');
                break;
            }
            _ => {}
        }
    }
}

/// Cleans `text` and cuts it to at most `max_chars` characters, marking a cut with "…".
pub fn clean_truncated(text: &str, max_chars: usize) -> String {
    let cleaned = clean(text);
    if cleaned.chars().count() <= max_chars {
        return cleaned.into_owned();
    }
    let mut out: String = cleaned.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A string safe as one component of a file name: ASCII letters, digits, '.', '-'
/// and '_' only, no leading dot, at most 64 bytes, never empty.
pub fn file_name_component(text: &str) -> String {
    let mut out: String = clean(text)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .take(64)
        .collect();
    let leading_dots = out.len() - out.trim_start_matches('.').len();
    out.replace_range(..leading_dots, &"_".repeat(leading_dots));
    if out.is_empty() { "_".into() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(clean("ChatAgent ünïcödé 日本"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_sequences_are_removed_whole() {
        assert_eq!(clean("a\x1b[31mred\x1b[0m b"), "ared b");
        assert_eq!(clean("x\x1b]0;pwned title\x07y"), "xy");
        assert_eq!(clean("x\x1b]2;t\x1b\\y"), "xy");
        assert_eq!(clean("x\x1bPdcs junk\x1b\\y"), "xy");
        assert_eq!(clean("x\x1b(By"), "xy");
        assert_eq!(clean("x\u{9b}2Jy"), "xy");
        assert_eq!(clean("x\u{9d}0;t\u{9c}y"), "xy");
        assert_eq!(clean("cursor\x1b[10;10Hhome\x1b[?1049l"), "cursorhome");
        assert_eq!(clean("dangling\x1b"), "dangling");
        assert_eq!(clean("dangling\x1b[12"), "dangling");
    }

    #[test]
    fn controls_become_spaces_or_vanish() {
        assert_eq!(clean("a\nb\tc\r\nd"), "a b c  d");
        assert_eq!(clean("bell\x07nul\x00del\x7f"), "bellnuldel");
        assert_eq!(clean("rtl\u{202e}olleh\u{2066}"), "rtlolleh");
    }

    #[test]
    fn truncation_and_file_names() {
        assert_eq!(clean_truncated("abcdef", 4), "abc…");
        assert_eq!(clean_truncated("abc", 4), "abc");
        assert_eq!(file_name_component("../../etc/passwd"), "___.._etc_passwd");
        assert_eq!(file_name_component("..."), "___");
        assert_eq!(file_name_component(""), "_");
        assert_eq!(file_name_component("Chat Agent\x1b[1m"), "Chat_Agent");
    }
}
