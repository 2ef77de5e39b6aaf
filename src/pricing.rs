//! Model prices: a built-in table of list prices, the user's overrides, and
//! LiteLLM price files, and the rules that match a model name to a price.
//!
//! Matching, in order: the exact name; the name lowercased, without a provider
//! prefix ("openai/gpt-4o", "models/gemini-2.5-pro") and without a snapshot
//! suffix ("-2024-08-06", "-20241022", "@20250929", "-latest", "-preview-05-20");
//! then the longest table entry that the name starts with, followed by "-" or
//! the end ("gemini-2.5-flash-lite-001" prices as "gemini-2.5-flash-lite").

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};

/// A price in US dollars per million tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    /// For cached input tokens, where the vendor charges differently. (The v1
    /// event log does not count cached tokens apart; shown for reference.)
    pub cached_input: Option<f64>,
    /// Where the price was taken from, and when.
    pub source: String,
    pub as_of: String,
}

impl Price {
    /// The cost in US dollars of a call with these token counts.
    pub fn cost(&self, input_tokens: u64, output_tokens: u64) -> f64 {
        (input_tokens as f64 * self.input + output_tokens as f64 * self.output) / 1e6
    }
}

/// One built-in entry: name, input, output, cached input, vendor page, date.
type Entry = (&'static str, f64, f64, Option<f64>, &'static str, &'static str);

const OPENAI: &str = "https://openai.com/api/pricing";
const ANTHROPIC: &str = "https://www.anthropic.com/pricing#api";
const GOOGLE: &str = "https://ai.google.dev/gemini-api/docs/pricing";
const MISTRAL: &str = "https://mistral.ai/pricing#api-pricing";
const GROQ: &str = "https://groq.com/pricing";
const TOGETHER: &str = "https://www.together.ai/pricing";
const DEEPSEEK: &str = "https://api-docs.deepseek.com/quick_start/pricing";

/// List prices (standard tier, text, prompts up to 200k tokens where tiers
/// differ), as published on the vendors' pages on the date given. Prices change:
/// override or extend them under `[prices]` in the config file, or load a
/// LiteLLM file with `--prices`.
const BUILT_IN: &[Entry] = &[
    ("gpt-5", 1.25, 10.0, Some(0.125), OPENAI, "2025-10"),
    ("gpt-5-mini", 0.25, 2.0, Some(0.025), OPENAI, "2025-10"),
    ("gpt-5-nano", 0.05, 0.40, Some(0.005), OPENAI, "2025-10"),
    ("gpt-4.1", 2.0, 8.0, Some(0.50), OPENAI, "2025-10"),
    ("gpt-4.1-mini", 0.40, 1.60, Some(0.10), OPENAI, "2025-10"),
    ("gpt-4.1-nano", 0.10, 0.40, Some(0.025), OPENAI, "2025-10"),
    ("gpt-4o", 2.50, 10.0, Some(1.25), OPENAI, "2025-10"),
    ("gpt-4o-mini", 0.15, 0.60, Some(0.075), OPENAI, "2025-10"),
    ("gpt-4-turbo", 10.0, 30.0, None, OPENAI, "2025-10"),
    ("gpt-3.5-turbo", 0.50, 1.50, None, OPENAI, "2025-10"),
    ("o1", 15.0, 60.0, Some(7.50), OPENAI, "2025-10"),
    ("o3", 2.0, 8.0, Some(0.50), OPENAI, "2025-10"),
    ("o3-mini", 1.10, 4.40, Some(0.55), OPENAI, "2025-10"),
    ("o4-mini", 1.10, 4.40, Some(0.275), OPENAI, "2025-10"),
    ("claude-opus-4-5", 5.0, 25.0, Some(0.50), ANTHROPIC, "2025-11"),
    ("claude-opus-4-1", 15.0, 75.0, Some(1.50), ANTHROPIC, "2025-10"),
    ("claude-opus-4", 15.0, 75.0, Some(1.50), ANTHROPIC, "2025-10"),
    ("claude-sonnet-4-5", 3.0, 15.0, Some(0.30), ANTHROPIC, "2025-10"),
    ("claude-sonnet-4", 3.0, 15.0, Some(0.30), ANTHROPIC, "2025-10"),
    ("claude-3-7-sonnet", 3.0, 15.0, Some(0.30), ANTHROPIC, "2025-10"),
    ("claude-3-5-sonnet", 3.0, 15.0, Some(0.30), ANTHROPIC, "2025-10"),
    ("claude-haiku-4-5", 1.0, 5.0, Some(0.10), ANTHROPIC, "2025-10"),
    ("claude-3-5-haiku", 0.80, 4.0, Some(0.08), ANTHROPIC, "2025-10"),
    ("claude-3-haiku", 0.25, 1.25, Some(0.03), ANTHROPIC, "2025-10"),
    ("claude-3-opus", 15.0, 75.0, Some(1.50), ANTHROPIC, "2025-10"),
    ("gemini-2.5-pro", 1.25, 10.0, Some(0.125), GOOGLE, "2025-10"),
    ("gemini-2.5-flash", 0.30, 2.50, Some(0.03), GOOGLE, "2025-10"),
    ("gemini-2.5-flash-lite", 0.10, 0.40, Some(0.01), GOOGLE, "2025-10"),
    ("gemini-2.0-flash", 0.10, 0.40, Some(0.025), GOOGLE, "2025-10"),
    ("gemini-2.0-flash-lite", 0.075, 0.30, None, GOOGLE, "2025-10"),
    ("gemini-1.5-pro", 1.25, 5.0, None, GOOGLE, "2025-10"),
    ("gemini-1.5-flash", 0.075, 0.30, None, GOOGLE, "2025-10"),
    ("mistral-large", 2.0, 6.0, None, MISTRAL, "2025-10"),
    ("mistral-medium", 0.40, 2.0, None, MISTRAL, "2025-10"),
    ("mistral-small", 0.10, 0.30, None, MISTRAL, "2025-10"),
    ("codestral", 0.30, 0.90, None, MISTRAL, "2025-10"),
    ("ministral-8b", 0.10, 0.10, None, MISTRAL, "2025-10"),
    ("open-mistral-nemo", 0.15, 0.15, None, MISTRAL, "2025-10"),
    ("llama-3.3-70b-versatile", 0.59, 0.79, None, GROQ, "2025-10"),
    ("llama-3.3-70b", 0.59, 0.79, None, GROQ, "2025-10"),
    ("llama-3.1-8b-instant", 0.05, 0.08, None, GROQ, "2025-10"),
    ("llama-4-maverick", 0.20, 0.60, None, GROQ, "2025-10"),
    ("llama-4-scout", 0.11, 0.34, None, GROQ, "2025-10"),
    ("meta-llama/llama-3.3-70b-instruct-turbo", 0.88, 0.88, None, TOGETHER, "2025-10"),
    ("meta-llama/meta-llama-3.1-8b-instruct-turbo", 0.18, 0.18, None, TOGETHER, "2025-10"),
    ("deepseek-chat", 0.28, 0.42, Some(0.028), DEEPSEEK, "2025-10"),
    ("deepseek-reasoner", 0.28, 0.42, Some(0.028), DEEPSEEK, "2025-10"),
];

/// Prices by model name, matched as the module doc says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceTable {
    entries: BTreeMap<String, Price>,
}

/// Cuts a snapshot or alias suffix off a model name, if it has one.
fn without_snapshot(name: &str) -> &str {
    let name = name.split('@').next().unwrap_or(name);
    let name = name.strip_suffix("-latest").unwrap_or(name);
    let bytes = name.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    // -YYYY-MM-DD
    if bytes.len() > 11 {
        let tail = &bytes[bytes.len() - 11..];
        if tail[0] == b'-'
            && digits(&tail[1..5])
            && tail[5] == b'-'
            && digits(&tail[6..8])
            && tail[8] == b'-'
            && digits(&tail[9..])
        {
            return &name[..name.len() - 11];
        }
    }
    // -YYYYMMDD
    if bytes.len() > 9 {
        let tail = &bytes[bytes.len() - 9..];
        if tail[0] == b'-' && digits(&tail[1..]) {
            return &name[..name.len() - 9];
        }
    }
    // -preview[-MM-DD], -exp[-MMDD] and the like are left to prefix matching.
    name
}

impl PriceTable {
    /// The built-in list prices.
    pub fn built_in() -> Self {
        let mut t = PriceTable::default();
        for &(name, input, output, cached_input, source, as_of) in BUILT_IN {
            t.entries.insert(
                name.to_owned(),
                Price { input, output, cached_input, source: source.to_owned(), as_of: as_of.to_owned() },
            );
        }
        t
    }

    /// Adds or replaces a price.
    pub fn set(&mut self, name: &str, price: Price) {
        self.entries.insert(name.to_lowercase(), price);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Price)> {
        self.entries.iter()
    }

    /// The price of a model, matched by exact name, then normalised, then by the
    /// longest prefix; `None` if nothing matches.
    pub fn lookup(&self, model: &str) -> Option<&Price> {
        if let Some(p) = self.entries.get(model) {
            return Some(p);
        }
        let lower = model.trim().to_lowercase();
        if let Some(p) = self.entries.get(&lower) {
            return Some(p);
        }
        // With a provider prefix ("openai/gpt-4o"), the model is the last part,
        // unless the whole path is in the table (Together's "meta-llama/...").
        let base = lower.rsplit('/').next().unwrap_or(&lower);
        let base = without_snapshot(base);
        if let Some(p) = self.entries.get(base) {
            return Some(p);
        }
        // Looked up once per model name seen (the fold keeps the answer), so a
        // scan of the table is cheap enough.
        let mut best: Option<(&String, &Price)> = None;
        for (name, price) in &self.entries {
            let at_boundary = base.len() == name.len() || base.as_bytes().get(name.len()) == Some(&b'-');
            if !name.is_empty()
                && base.starts_with(name.as_str())
                && at_boundary
                && best.is_none_or(|(b, _)| name.len() > b.len())
            {
                best = Some((name, price));
            }
        }
        best.map(|(_, p)| p)
    }

    /// Adds the prices of a LiteLLM `model_prices_and_context_window.json` file
    /// (US dollars per token). Entries without both token prices are skipped;
    /// returns how many were added.
    pub fn add_litellm(&mut self, json: &str, source: &str) -> Result<usize> {
        let v: serde_json::Value = serde_json::from_str(json).context("not a JSON file")?;
        let Some(models) = v.as_object() else { bail!("not a LiteLLM price file: the top level is not an object") };
        let mut added = 0;
        for (name, spec) in models {
            let num = |k: &str| spec.get(k).and_then(serde_json::Value::as_f64).filter(|v| v.is_finite() && *v >= 0.0);
            let (Some(input), Some(output)) = (num("input_cost_per_token"), num("output_cost_per_token")) else {
                continue;
            };
            if name == "sample_spec" {
                continue;
            }
            let price = Price {
                input: input * 1e6,
                output: output * 1e6,
                cached_input: num("cache_read_input_token_cost").map(|c| c * 1e6),
                source: source.to_owned(),
                as_of: String::new(),
            };
            self.set(name, price);
            added += 1;
        }
        Ok(added)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_model_prices_by_its_own_name() {
        let t = PriceTable::built_in();
        for &(name, input, output, _, source, as_of) in BUILT_IN {
            let p = t.lookup(name).unwrap_or_else(|| panic!("{name} has no price"));
            assert_eq!((p.input, p.output), (input, output), "{name}");
            assert!(source.starts_with("https://") && as_of.len() == 7, "{name}");
        }
    }

    #[test]
    fn snapshots_providers_and_aliases_price_as_their_model() {
        let t = PriceTable::built_in();
        let price = |m: &str| t.lookup(m).map(|p| (p.input, p.output));
        assert_eq!(price("gpt-4o-2024-08-06"), Some((2.5, 10.0)));
        assert_eq!(price("gpt-4o-mini-2024-07-18"), Some((0.15, 0.60)), "not gpt-4o's price");
        assert_eq!(price("openai/gpt-4.1-nano"), Some((0.10, 0.40)));
        assert_eq!(price("claude-3-5-sonnet-20241022"), Some((3.0, 15.0)));
        assert_eq!(price("claude-sonnet-4-5@20250929"), Some((3.0, 15.0)));
        assert_eq!(price("anthropic/claude-haiku-4-5-20251001"), Some((1.0, 5.0)));
        assert_eq!(price("claude-opus-4-1-20250805"), Some((15.0, 75.0)));
        assert_eq!(price("models/gemini-2.5-flash-preview-05-20"), Some((0.30, 2.50)));
        assert_eq!(price("gemini-2.5-flash-lite-001"), Some((0.10, 0.40)), "the longest prefix wins");
        assert_eq!(price("mistral-large-latest"), Some((2.0, 6.0)));
        assert_eq!(price("mistral-large-2411"), Some((2.0, 6.0)));
        assert_eq!(price("GPT-4O"), Some((2.5, 10.0)));
        assert_eq!(price("o3-mini-2025-01-31"), Some((1.10, 4.40)));
        assert_eq!(price("o3-2025-04-16"), Some((2.0, 8.0)));
        assert_eq!(price("meta-llama/Llama-3.3-70B-Instruct-Turbo"), Some((0.88, 0.88)));
        assert_eq!(price("llama-3.3-70b-instruct"), Some((0.59, 0.79)));
        assert_eq!(price("deepseek-chat"), Some((0.28, 0.42)));
        assert_eq!(price("my-own-model"), None);
        assert_eq!(price("gpt-4ox"), None, "a prefix must end at a dash");
        assert_eq!(price(""), None);
    }

    #[test]
    fn cost_is_per_million_tokens() {
        let t = PriceTable::built_in();
        let p = t.lookup("gpt-4o").unwrap();
        assert!((p.cost(1_000_000, 0) - 2.5).abs() < 1e-12);
        assert!((p.cost(180, 70) - (180.0 * 2.5 + 70.0 * 10.0) / 1e6).abs() < 1e-15);
    }

    #[test]
    fn litellm_files_load() {
        let json = r#"{
            "sample_spec": {"max_tokens": "LEGACY", "input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "litellm_provider": "one of https://docs.litellm.ai/docs/providers"},
            "gpt-4o": {"max_tokens": 16384, "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05, "cache_read_input_token_cost": 1.25e-06, "litellm_provider": "openai", "mode": "chat"},
            "my-finetune": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.2e-05},
            "text-embedding-3-small": {"input_cost_per_token": 2e-08, "output_cost_per_token": 0.0, "mode": "embedding"},
            "dall-e-3": {"mode": "image_generation", "output_cost_per_image": 0.04},
            "broken": {"input_cost_per_token": "free", "output_cost_per_token": 1e-06}
        }"#;
        let mut t = PriceTable::default();
        assert_eq!(t.add_litellm(json, "prices.json").unwrap(), 3);
        let p = t.lookup("my-finetune").unwrap();
        assert!((p.input - 3.0).abs() < 1e-9 && (p.output - 12.0).abs() < 1e-9);
        assert!((t.lookup("gpt-4o").unwrap().cached_input.unwrap() - 1.25).abs() < 1e-9);
        assert!(t.lookup("dall-e-3").is_none() && t.lookup("broken").is_none() && t.lookup("sample_spec").is_none());
        assert!(t.add_litellm("[1]", "x").is_err());
        assert!(t.add_litellm("{", "x").is_err());
    }
}
