//! `ajentik prices`: the price table in use, or how named models are priced.
//! Pure text out of the table; the CLI prints it.

use std::fmt::Write;

use super::{Price, PriceTable};
use crate::sanitize;

/// A price cell: the model's own price, or what the part is priced as when it
/// has none (cache parts as input, 1 h writes as cache writes).
fn cell(own: Option<f64>, fallback: &str) -> String {
    own.map_or_else(|| fallback.to_owned(), money)
}

/// At least two decimals, and as many more as the price has (to a millionth of
/// a dollar: 0.075, 0.003625), without float noise (3 x 0.1).
fn money(v: f64) -> String {
    let v = (v * 1e6).round() / 1e6;
    if (v * 100.0).fract() == 0.0 { format!("{v:.2}") } else { format!("{v}") }
}

/// One row: input, cache read, cache write, 1 h write, output.
fn cells(p: &Price) -> [String; 5] {
    [
        money(p.input),
        cell(p.cache_read, "=input"),
        cell(p.cache_write, "=input"),
        cell(p.cache_write_1h, if p.cache_write.is_some() { "=write" } else { "=input" }),
        money(p.output),
    ]
}

fn long_context_line(p: &Price) -> Option<String> {
    let (start, long) = p.long_context.as_ref()?;
    let [i, r, w, h, o] = cells(long);
    Some(format!(
        "  above {}k input tokens: input {i}, cache read {r}, cache write {w}, 1 h write {h}, output {o}",
        start / 1000
    ))
}

/// The whole table: built-in and loaded entries by name, then the rules of a
/// genai-prices file. US dollars per million tokens.
pub fn table(t: &PriceTable) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<44} {:>8} {:>10} {:>11} {:>9} {:>8} {:>9}  {:<8} source",
        "model", "input", "cache read", "cache write", "1h write", "output", "search/1k", "as of"
    );
    let rows = t.iter().map(|(n, p)| (n.as_str(), p)).chain(t.rules().map(|r| (r.id.as_str(), &r.price)));
    for (name, p) in rows {
        let [i, r, w, h, o] = cells(p);
        let search = p.web_search.map_or_else(|| "–".to_owned(), money);
        let _ = writeln!(
            out,
            "{:<44} {i:>8} {r:>10} {w:>11} {h:>9} {o:>8} {search:>9}  {:<8} {}",
            sanitize::clean(name),
            sanitize::clean(&p.as_of),
            sanitize::clean(&p.source)
        );
        if let Some(line) = long_context_line(p) {
            let _ = writeln!(out, "{line}");
        }
    }
    out.push_str(
        "\nUS dollars per million tokens. \"=input\": the model has no price of its own for that part, so those \
         tokens price as plain input (\"=write\": as 5-minute cache writes). Reasoning tokens price as output. \
         search/1k: US dollars a thousand web searches (\"–\": none known, searches add nothing).\n",
    );
    out
}

/// For each named model: the entry it maps to and why, or that it is unpriced.
/// Returns the text and whether every model was priced.
pub fn explain(t: &PriceTable, models: &[String]) -> (String, bool) {
    let mut out = String::new();
    let mut all = true;
    for model in models {
        let shown = sanitize::clean(model);
        match t.find(model) {
            Some((entry, rule, p)) => {
                let [i, r, w, h, o] = cells(p);
                let _ = writeln!(
                    out,
                    "{shown}: {} ({}): input {i}, cache read {r}, cache write {w}, 1 h write {h}, output {o} \
                     per million tokens; {}{}",
                    sanitize::clean(entry),
                    rule.describe(),
                    sanitize::clean(&p.source),
                    if p.as_of.is_empty() { String::new() } else { format!(", {}", sanitize::clean(&p.as_of)) },
                );
                if let Some(line) = long_context_line(p) {
                    let _ = writeln!(out, "{line}");
                }
                if !p.has_cache_prices() {
                    let _ = writeln!(out, "  no cache prices: cache reads and writes price as plain input");
                }
                if let Some(per_thousand) = p.web_search {
                    let _ = writeln!(out, "  web searches: {} US dollars a thousand", money(per_thousand));
                }
            }
            None => {
                all = false;
                // A fast-mode name whose model has a price: say why that price is not used.
                let model_priced = model.strip_suffix(crate::genai::FAST_SUFFIX).and_then(|m| t.find(m));
                let why = match model_priced {
                    Some((entry, _, _)) => {
                        format!("fast mode has prices of its own, {}'s are not used", sanitize::clean(entry))
                    }
                    None => "no entry matches".to_owned(),
                };
                let _ = writeln!(
                    out,
                    "{shown}: unpriced ({why}; add one under [prices] in the config file or load a file with --prices)"
                );
            }
        }
    }
    (out, all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_each_model_and_lists_the_table() {
        let t = PriceTable::built_in();
        let names = ["gpt-4o-2024-08-06".to_owned(), "mistral-large".to_owned(), "my\u{1b}[31m-model".to_owned()];
        let (text, all) = explain(&t, &names);
        assert!(!all);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "gpt-4o-2024-08-06: gpt-4o (without provider prefix or snapshot suffix): input 2.50, cache read 1.25, \
             cache write =input, 1 h write =input, output 10.00 per million tokens; https://openai.com/api/pricing, 2025-10"
        );
        assert!(lines[1].starts_with("mistral-large: mistral-large (exact name)"));
        assert_eq!(lines[2], "  no cache prices: cache reads and writes price as plain input");
        assert!(lines[3].contains("unpriced") && !lines[3].contains('\u{1b}'), "{}", lines[3]);
        // A fast-mode name without an entry says why its model's price is not used.
        let (text, all) = explain(&t, &["claude-sonnet-4-5-20250929-fast".to_owned(), "nobody-fast".to_owned()]);
        assert!(!all);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with(
            "claude-sonnet-4-5-20250929-fast: unpriced (fast mode has prices of its own, claude-sonnet-4-5's are not used;"
        ), "{text}");
        assert!(lines[1].starts_with("nobody-fast: unpriced (no entry matches;"), "{text}");
        let (text, all) = explain(&t, &["claude-sonnet-4-5".to_owned()]);
        assert!(all);
        assert!(text.contains("cache write 3.75, 1 h write 6.00"), "{text}");
        assert!(text.contains("above 200k input tokens: input 6.00"), "{text}");
        assert!(text.contains("\n  web searches: 10.00 US dollars a thousand\n"), "{text}");
        let listing = table(&t);
        assert!(listing.lines().count() > t.len());
        assert!(listing.lines().any(|l| l.starts_with("deepseek-chat") && l.contains("0.028")), "{listing}");
    }
}
