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

use crate::event::TokenParts;
use crate::genai::FAST_SUFFIX;

pub mod genai;
pub mod listing;

/// A price in US dollars per million tokens. A part without its own price is
/// priced as the whole it belongs to: cache reads and writes as plain input,
/// one-hour cache writes as cache writes, reasoning as output.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    /// Cache reads (OpenAI's "cached input", Anthropic's cache hits).
    pub cache_read: Option<f64>,
    /// Cache writes with the default (five-minute) lifetime.
    pub cache_write: Option<f64>,
    /// Cache writes with a one-hour lifetime.
    pub cache_write_1h: Option<f64>,
    /// Reasoning tokens, where priced apart from output.
    pub reasoning: Option<f64>,
    /// Web searches the provider runs for a call, US dollars per thousand
    /// (Anthropic's $10); `None` where not known, so searches add nothing.
    pub web_search: Option<f64>,
    /// Where the price was taken from, and when.
    pub source: String,
    pub as_of: String,
    /// Prices for a call whose input exceeds this many tokens (long-context
    /// pricing: Claude Sonnet 4/4.5 above 200k, Gemini Pro above 200k, GPT-5.4
    /// above 272k), applied to all of that call's tokens.
    pub long_context: Option<(u64, Box<Price>)>,
}

/// What a model call cost in US dollars: what it reports, else its tokens at
/// the model's `price` (looked up only then); `None` when it reports no cost and
/// cannot be priced (no price known, or no tokens to price: such a call is
/// unpriced, never free).
pub fn call_cost<'p>(
    cost_usd: Option<f64>,
    price: impl FnOnce() -> Option<&'p Price>,
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
    parts: &TokenParts,
) -> Option<f64> {
    if cost_usd.is_some() || (input_tokens.is_none() && output_tokens.is_none()) {
        return cost_usd;
    }
    let tokens = |n: Option<i64>| n.map_or(0, |n| n.max(0) as u64);
    price().map(|p| p.cost(tokens(input_tokens), tokens(output_tokens), parts))
}

impl Price {
    /// The cost in US dollars of a call with these token counts (`parts` are
    /// included in `input_tokens` and `output_tokens`, as in the event log):
    /// uncached input x input + cache reads x cache-read price + (cache writes -
    /// 1 h writes) x cache-write price + 1 h writes x 1 h price + (output -
    /// reasoning) x output + reasoning x reasoning price, plus the web searches
    /// at their price a search. Parts larger than their whole (the parser refuses
    /// such lines) are clamped to it.
    pub fn cost(&self, input_tokens: u64, output_tokens: u64, parts: &TokenParts) -> f64 {
        if let Some((start, long)) = &self.long_context
            && input_tokens > *start
        {
            return long.cost(input_tokens, output_tokens, parts);
        }
        let cache_read = parts.cache_read.min(input_tokens);
        let cache_write = parts.cache_write.min(input_tokens - cache_read);
        let write_1h = parts.cache_write_1h.min(cache_write);
        let uncached = input_tokens - cache_read - cache_write;
        let reasoning = parts.reasoning.min(output_tokens);
        let write_5m_price = self.cache_write.unwrap_or(self.input);
        let per_million = uncached as f64 * self.input
            + cache_read as f64 * self.cache_read_price()
            + (cache_write - write_1h) as f64 * write_5m_price
            + write_1h as f64 * self.cache_write_1h.unwrap_or(write_5m_price)
            + (output_tokens - reasoning) as f64 * self.output
            + reasoning as f64 * self.reasoning.unwrap_or(self.output);
        per_million / 1e6 + self.web_search_cost(parts.web_searches)
    }

    /// What `searches` web searches cost at this price (nothing if unknown).
    fn web_search_cost(&self, searches: u64) -> f64 {
        self.web_search.map_or(0.0, |per_thousand| searches as f64 * per_thousand / 1e3)
    }

    /// What a cache read costs a million tokens: its own price, else plain input.
    pub fn cache_read_price(&self) -> f64 {
        self.cache_read.unwrap_or(self.input)
    }

    /// What cache reads of `tokens` saved against paying them as plain input.
    pub fn cache_savings(&self, tokens: u64) -> f64 {
        tokens as f64 * (self.input - self.cache_read_price()) / 1e6
    }

    /// Whether any cache price is known (else cache tokens price as input).
    pub fn has_cache_prices(&self) -> bool {
        self.cache_read.is_some() || self.cache_write.is_some() || self.cache_write_1h.is_some()
    }
}

/// How a model's name found its price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchRule {
    /// The name is in the table as given.
    Exact,
    /// Lowercased, without a provider prefix or a dated snapshot suffix.
    Normalised,
    /// The longest table entry the name starts with, followed by "-".
    Prefix,
    /// A genai-prices model's match rule.
    Rule,
}

impl MatchRule {
    pub fn describe(self) -> &'static str {
        match self {
            MatchRule::Exact => "exact name",
            MatchRule::Normalised => "without provider prefix or snapshot suffix",
            MatchRule::Prefix => "longest listed prefix",
            MatchRule::Rule => "match rule of a genai-prices file",
        }
    }
}

/// Prices of one built-in entry, per million tokens.
#[derive(Clone, Copy)]
struct Rates {
    input: f64,
    output: f64,
    cache_read: Option<f64>,
    cache_write: Option<f64>,
    cache_write_1h: Option<f64>,
}

/// OpenAI, Google, DeepSeek, xAI: cache reads at their own price; cache writes
/// cost nothing extra (they price as plain input).
const fn read_only(input: f64, output: f64, cache_read: Option<f64>) -> Rates {
    Rates { input, output, cache_read, cache_write: None, cache_write_1h: None }
}

/// Anthropic's rule: reads at 0.1x input, five-minute writes at 1.25x, one-hour
/// writes at 2x (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching#pricing).
const fn anthropic(input: f64, output: f64) -> Rates {
    Rates {
        input,
        output,
        cache_read: Some(input * 0.1),
        cache_write: Some(input * 1.25),
        cache_write_1h: Some(input * 2.0),
    }
}

/// No cache prices known.
const fn plain(input: f64, output: f64) -> Rates {
    read_only(input, output, None)
}

/// Anthropic's web search tool: US dollars per thousand searches, whatever the
/// model (https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/web-search-tool),
/// on top of the tokens the results add to the input.
const ANTHROPIC_WEB_SEARCH: f64 = 10.0;

/// One built-in entry: name, prices, vendor page, date.
type Entry = (&'static str, Rates, &'static str, &'static str);

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
    ("gpt-5", read_only(1.25, 10.0, Some(0.125)), OPENAI, "2025-10"),
    ("gpt-5-mini", read_only(0.25, 2.0, Some(0.025)), OPENAI, "2025-10"),
    ("gpt-5-nano", read_only(0.05, 0.40, Some(0.005)), OPENAI, "2025-10"),
    ("gpt-4.1", read_only(2.0, 8.0, Some(0.50)), OPENAI, "2025-10"),
    ("gpt-4.1-mini", read_only(0.40, 1.60, Some(0.10)), OPENAI, "2025-10"),
    ("gpt-4.1-nano", read_only(0.10, 0.40, Some(0.025)), OPENAI, "2025-10"),
    ("gpt-4o", read_only(2.50, 10.0, Some(1.25)), OPENAI, "2025-10"),
    ("gpt-4o-mini", read_only(0.15, 0.60, Some(0.075)), OPENAI, "2025-10"),
    ("gpt-4-turbo", plain(10.0, 30.0), OPENAI, "2025-10"),
    ("gpt-3.5-turbo", plain(0.50, 1.50), OPENAI, "2025-10"),
    ("o1", read_only(15.0, 60.0, Some(7.50)), OPENAI, "2025-10"),
    ("o3", read_only(2.0, 8.0, Some(0.50)), OPENAI, "2025-10"),
    ("o3-mini", read_only(1.10, 4.40, Some(0.55)), OPENAI, "2025-10"),
    ("o4-mini", read_only(1.10, 4.40, Some(0.275)), OPENAI, "2025-10"),
    ("claude-opus-4-5", anthropic(5.0, 25.0), ANTHROPIC, "2025-11"),
    ("claude-opus-4-1", anthropic(15.0, 75.0), ANTHROPIC, "2025-10"),
    ("claude-opus-4", anthropic(15.0, 75.0), ANTHROPIC, "2025-10"),
    ("claude-sonnet-4-5", anthropic(3.0, 15.0), ANTHROPIC, "2025-10"),
    ("claude-sonnet-4", anthropic(3.0, 15.0), ANTHROPIC, "2025-10"),
    ("claude-3-7-sonnet", anthropic(3.0, 15.0), ANTHROPIC, "2025-10"),
    ("claude-3-5-sonnet", anthropic(3.0, 15.0), ANTHROPIC, "2025-10"),
    ("claude-haiku-4-5", anthropic(1.0, 5.0), ANTHROPIC, "2025-10"),
    ("claude-3-5-haiku", anthropic(0.80, 4.0), ANTHROPIC, "2025-10"),
    (
        "claude-3-haiku",
        Rates {
            input: 0.25,
            output: 1.25,
            cache_read: Some(0.03),
            cache_write: Some(0.30),
            cache_write_1h: Some(0.50),
        },
        ANTHROPIC,
        "2025-10",
    ),
    ("claude-3-opus", anthropic(15.0, 75.0), ANTHROPIC, "2025-10"),
    ("gemini-2.5-pro", read_only(1.25, 10.0, Some(0.125)), GOOGLE, "2025-10"),
    ("gemini-2.5-flash", read_only(0.30, 2.50, Some(0.03)), GOOGLE, "2025-10"),
    ("gemini-2.5-flash-lite", read_only(0.10, 0.40, Some(0.01)), GOOGLE, "2025-10"),
    ("gemini-2.0-flash", read_only(0.10, 0.40, Some(0.025)), GOOGLE, "2025-10"),
    ("gemini-2.0-flash-lite", plain(0.075, 0.30), GOOGLE, "2025-10"),
    ("gemini-1.5-pro", plain(1.25, 5.0), GOOGLE, "2025-10"),
    ("gemini-1.5-flash", plain(0.075, 0.30), GOOGLE, "2025-10"),
    ("mistral-large", plain(2.0, 6.0), MISTRAL, "2025-10"),
    ("mistral-medium", plain(0.40, 2.0), MISTRAL, "2025-10"),
    ("mistral-small", plain(0.10, 0.30), MISTRAL, "2025-10"),
    ("codestral", plain(0.30, 0.90), MISTRAL, "2025-10"),
    ("ministral-8b", plain(0.10, 0.10), MISTRAL, "2025-10"),
    ("open-mistral-nemo", plain(0.15, 0.15), MISTRAL, "2025-10"),
    ("llama-3.3-70b-versatile", plain(0.59, 0.79), GROQ, "2025-10"),
    ("llama-3.3-70b", plain(0.59, 0.79), GROQ, "2025-10"),
    ("llama-3.1-8b-instant", plain(0.05, 0.08), GROQ, "2025-10"),
    ("llama-4-maverick", plain(0.20, 0.60), GROQ, "2025-10"),
    ("llama-4-scout", plain(0.11, 0.34), GROQ, "2025-10"),
    ("meta-llama/llama-3.3-70b-instruct-turbo", plain(0.88, 0.88), TOGETHER, "2025-10"),
    ("meta-llama/meta-llama-3.1-8b-instruct-turbo", plain(0.18, 0.18), TOGETHER, "2025-10"),
    ("deepseek-chat", read_only(0.28, 0.42, Some(0.028)), DEEPSEEK, "2025-10"),
    ("deepseek-reasoner", read_only(0.28, 0.42, Some(0.028)), DEEPSEEK, "2025-10"),
    // Newer models, as LiteLLM's table had them on 2026-07-18 (and genai-prices
    // for Claude Sonnet 5's price from 2026-09-01).
    ("gpt-5-pro", plain(15.0, 120.0), OPENAI, "2026-07"),
    ("gpt-5.1", read_only(1.25, 10.0, Some(0.125)), OPENAI, "2026-07"),
    ("gpt-5-codex", read_only(1.25, 10.0, Some(0.125)), OPENAI, "2026-07"),
    ("gpt-5.1-codex", read_only(1.25, 10.0, Some(0.125)), OPENAI, "2026-07"),
    ("gpt-5.1-codex-max", read_only(1.25, 10.0, Some(0.125)), OPENAI, "2026-07"),
    ("gpt-5.1-codex-mini", read_only(0.25, 2.0, Some(0.025)), OPENAI, "2026-07"),
    ("gpt-5.2", read_only(1.75, 14.0, Some(0.175)), OPENAI, "2026-07"),
    ("gpt-5.2-codex", read_only(1.75, 14.0, Some(0.175)), OPENAI, "2026-07"),
    ("gpt-5.2-pro", plain(21.0, 168.0), OPENAI, "2026-07"),
    ("gpt-5.3-codex", read_only(1.75, 14.0, Some(0.175)), OPENAI, "2026-07"),
    ("gpt-5.4", read_only(2.5, 15.0, Some(0.25)), OPENAI, "2026-07"),
    ("gpt-5.4-mini", read_only(0.75, 4.5, Some(0.075)), OPENAI, "2026-07"),
    ("gpt-5.4-nano", read_only(0.2, 1.25, Some(0.02)), OPENAI, "2026-07"),
    ("gpt-5.4-pro", read_only(30.0, 180.0, Some(3.0)), OPENAI, "2026-07"),
    ("gpt-5.5", read_only(5.0, 30.0, Some(0.5)), OPENAI, "2026-07"),
    ("gpt-5.5-pro", read_only(30.0, 180.0, Some(3.0)), OPENAI, "2026-07"),
    // GPT-5.6 is the first OpenAI model with a cache-write price (1.25x input).
    ("gpt-5.6", Rates { cache_write: Some(6.25), ..read_only(5.0, 30.0, Some(0.5)) }, OPENAI, "2026-07"),
    ("claude-opus-4-8", anthropic(5.0, 25.0), ANTHROPIC, "2026-07"),
    ("claude-opus-4-7", anthropic(5.0, 25.0), ANTHROPIC, "2026-07"),
    ("claude-opus-4-6", anthropic(5.0, 25.0), ANTHROPIC, "2026-07"),
    // Fast mode (`speed: "fast"`): the same model, at six times its prices.
    ("claude-opus-4-8-fast", anthropic(30.0, 150.0), ANTHROPIC, "2026-07"),
    ("claude-opus-4-7-fast", anthropic(30.0, 150.0), ANTHROPIC, "2026-07"),
    ("claude-opus-4-6-fast", anthropic(30.0, 150.0), ANTHROPIC, "2026-07"),
    ("claude-sonnet-4-6", anthropic(3.0, 15.0), ANTHROPIC, "2026-07"),
    ("claude-sonnet-5", anthropic(3.0, 15.0), ANTHROPIC, "2026-09"),
    ("gemini-3-pro-preview", read_only(2.0, 12.0, Some(0.2)), GOOGLE, "2026-07"),
    ("gemini-3-flash-preview", read_only(0.5, 3.0, Some(0.05)), GOOGLE, "2026-07"),
    ("gemini-3.5-flash", read_only(1.5, 9.0, Some(0.15)), GOOGLE, "2026-07"),
    ("deepseek-v4-flash", read_only(0.14, 0.28, Some(0.0028)), DEEPSEEK, "2026-07"),
    ("deepseek-v4-pro", read_only(0.435, 0.87, Some(0.003625)), DEEPSEEK, "2026-07"),
];

/// Long-context prices of built-in entries: above this many input tokens, a
/// call's tokens all price at these rates (LiteLLM's `*_above_200k_tokens`).
const LONG_CONTEXT: &[(&str, u64, Rates)] = &[
    ("claude-sonnet-4-5", 200_000, anthropic(6.0, 22.5)),
    ("claude-sonnet-4", 200_000, anthropic(6.0, 22.5)),
    ("gemini-2.5-pro", 200_000, read_only(2.5, 15.0, Some(0.25))),
    ("gemini-3-pro-preview", 200_000, read_only(4.0, 18.0, Some(0.4))),
    ("gpt-5.4", 272_000, read_only(5.0, 22.5, Some(0.5))),
    ("gpt-5.4-pro", 272_000, read_only(60.0, 270.0, Some(6.0))),
    ("gpt-5.5", 272_000, read_only(10.0, 45.0, Some(1.0))),
    ("gpt-5.5-pro", 272_000, read_only(60.0, 270.0, Some(6.0))),
    ("gpt-5.6", 272_000, Rates { cache_write: Some(12.5), ..read_only(10.0, 45.0, Some(1.0)) }),
];

/// Prices by model name, matched as the module doc says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceTable {
    entries: BTreeMap<String, Price>,
    /// Names whose entry is still the built-in one: a price file's rules win
    /// over them, not over the user's own names.
    built_in: std::collections::BTreeSet<String>,
    /// Providers of a genai-prices file, matched by their rules.
    providers: Vec<genai::Provider>,
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
        let price = |r: Rates, source: &str, as_of: &str| Price {
            input: r.input,
            output: r.output,
            cache_read: r.cache_read,
            cache_write: r.cache_write,
            cache_write_1h: r.cache_write_1h,
            reasoning: None,
            // Of the vendors here, only Anthropic's usage counts the searches.
            web_search: (source == ANTHROPIC).then_some(ANTHROPIC_WEB_SEARCH),
            source: source.to_owned(),
            as_of: as_of.to_owned(),
            long_context: None,
        };
        for &(name, r, source, as_of) in BUILT_IN {
            let mut p = price(r, source, as_of);
            if let Some(&(_, start, long)) = LONG_CONTEXT.iter().find(|(n, ..)| *n == name) {
                p.long_context = Some((start, Box::new(price(long, source, as_of))));
            }
            t.entries.insert(name.to_owned(), p);
            t.built_in.insert(name.to_owned());
        }
        t
    }

    /// Adds or replaces a price.
    pub fn set(&mut self, name: &str, price: Price) {
        let name = name.to_lowercase();
        self.built_in.remove(&name);
        self.entries.insert(name, price);
    }

    /// Loads a price file, told apart by its content: LiteLLM's
    /// `model_prices_and_context_window.json` (an object of models with
    /// `input_cost_per_token`) or genai-prices' `data.json` (an array of
    /// providers with `models`). Returns how many prices it added.
    pub fn load_file(&mut self, text: &str, source: &str) -> Result<usize> {
        let v: serde_json::Value = serde_json::from_str(text).context("not JSON")?;
        if genai::looks_like(&v) {
            let providers = genai::parse(&v, source)?;
            let added = providers.iter().map(|p| p.models.len()).sum();
            self.providers.extend(providers);
            return Ok(added);
        }
        let litellm = v.as_object().is_some_and(|o| o.values().any(|m| m.get("input_cost_per_token").is_some()));
        if !litellm {
            bail!(
                "neither a LiteLLM price file (an object of models with `input_cost_per_token`) nor a genai-prices \
                 data.json (an array of providers with `models`)"
            );
        }
        self.add_litellm(text, source)
    }

    /// The genai-prices rule that matches a model: first among the providers
    /// whose own rule claims the name, then among all, in the file's order.
    fn rule_for(&self, model: &str) -> Option<&genai::RuleEntry> {
        let lower = model.trim().to_lowercase();
        let claimed = self.providers.iter().filter(|p| p.model_match.as_ref().is_some_and(|c| c.matches(&lower)));
        // A fast-mode name is priced only by a rule for fast mode, never by its
        // model's (six times cheaper) rule that its name happens to match too.
        let fast = lower.ends_with(FAST_SUFFIX);
        claimed
            .chain(self.providers.iter())
            .flat_map(|p| p.models.iter())
            .find(|m| m.clause.matches(&lower) && (!fast || m.id.ends_with(FAST_SUFFIX)))
    }

    /// Every genai-prices rule loaded, in order.
    pub fn rules(&self) -> impl Iterator<Item = &genai::RuleEntry> {
        self.providers.iter().flat_map(|p| p.models.iter())
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
        self.find(model).map(|(_, _, price)| price)
    }

    /// The price of a model, with the table entry it matched and by which rule.
    pub fn find(&self, model: &str) -> Option<(&str, MatchRule, &Price)> {
        let lower = model.trim().to_lowercase();
        let exact = self.entries.get_key_value(model).or_else(|| self.entries.get_key_value(&lower));
        if let Some((name, p)) = exact
            && !self.built_in.contains(name)
        {
            return Some((name, MatchRule::Exact, p));
        }
        if let Some(rule) = self.rule_for(model) {
            return Some((&rule.id, MatchRule::Rule, &rule.price));
        }
        if let Some((name, p)) = exact {
            return Some((name, MatchRule::Exact, p));
        }
        // With a provider prefix ("openai/gpt-4o"), the model is the last part,
        // unless the whole path is in the table (Together's "meta-llama/...").
        let base = lower.rsplit('/').next().unwrap_or(&lower);
        // A fast-mode name keeps its suffix past the snapshot's:
        // "claude-opus-4-6-20260205-fast" is "claude-opus-4-6-fast".
        let (base, fast) = match base.strip_suffix(FAST_SUFFIX) {
            Some(model) => (format!("{}{FAST_SUFFIX}", without_snapshot(model)), true),
            None => (without_snapshot(base).to_owned(), false),
        };
        let base = base.as_str();
        if let Some((name, p)) = self.entries.get_key_value(base) {
            return Some((name, MatchRule::Normalised, p));
        }
        // Looked up once per model name seen (the fold keeps the answer), so a
        // scan of the table is cheap enough.
        let mut best: Option<(&String, &Price)> = None;
        for (name, price) in &self.entries {
            let at_boundary = base.len() == name.len() || base.as_bytes().get(name.len()) == Some(&b'-');
            if !name.is_empty()
                && base.starts_with(name.as_str())
                && at_boundary
                // Fast mode is not its model's price: unpriced rather than a sixth.
                && (!fast || name.ends_with(FAST_SUFFIX))
                && best.is_none_or(|(b, _)| name.len() > b.len())
            {
                best = Some((name, price));
            }
        }
        best.map(|(name, p)| (name.as_str(), MatchRule::Prefix, p))
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
            let per_million = |k: &str| num(k).map(|c| c * 1e6);
            // Dollars a search, by how much of the results goes into the
            // context (OpenAI's setting); the default is medium.
            let web_search_per_query = spec
                .get("search_context_cost_per_query")
                .and_then(|sizes| sizes.get("search_context_size_medium"))
                .and_then(serde_json::Value::as_f64)
                .filter(|v| v.is_finite() && *v >= 0.0);
            let at = |suffix: &str| Price {
                input: per_million(&format!("input_cost_per_token{suffix}")).unwrap_or(input * 1e6),
                output: per_million(&format!("output_cost_per_token{suffix}")).unwrap_or(output * 1e6),
                cache_read: per_million(&format!("cache_read_input_token_cost{suffix}")),
                cache_write: per_million(&format!("cache_creation_input_token_cost{suffix}")),
                cache_write_1h: per_million(&format!("cache_creation_input_token_cost_above_1hr{suffix}")),
                reasoning: per_million(&format!("output_cost_per_reasoning_token{suffix}")),
                web_search: web_search_per_query.map(|usd| usd * 1e3),
                source: source.to_owned(),
                as_of: String::new(),
                long_context: None,
            };
            let mut price = at("");
            for (suffix, start) in
                [("_above_128k_tokens", 128_000), ("_above_200k_tokens", 200_000), ("_above_272k_tokens", 272_000)]
            {
                if num(&format!("input_cost_per_token{suffix}")).is_some() {
                    price.long_context = Some((start, Box::new(at(suffix))));
                    break;
                }
            }
            self.set(name, price);
            added += 1;
        }
        Ok(added)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one rule the metrics, the traces and the OTLP export price a model
    /// call by: its reported cost, else its tokens; no tokens or no price, no cost.
    #[test]
    fn a_call_costs_what_it_reports_else_its_tokens() {
        let t = PriceTable::built_in();
        let (price, parts) = (t.lookup("gpt-4o"), TokenParts::default());
        let priced = price.map(|p| p.cost(1000, 500, &parts));
        assert!(priced.is_some_and(|c| c > 0.0));
        assert_eq!(
            call_cost(
                Some(0.25),
                || -> Option<&Price> { panic!("looked up for a reported cost") },
                Some(1000),
                Some(500),
                &parts
            ),
            Some(0.25)
        );
        assert_eq!(call_cost(None, || price, Some(1000), Some(500), &parts), priced);
        assert_eq!(call_cost(None, || price, Some(1000), None, &parts), price.map(|p| p.cost(1000, 0, &parts)));
        assert_eq!(call_cost(None, || price, None, None, &parts), None, "nothing to price: unpriced, not free");
        assert_eq!(call_cost(None, || None, Some(1000), Some(500), &parts), None);
        assert_eq!(call_cost(Some(0.0), || None, None, None, &parts), Some(0.0));
    }

    #[test]
    fn every_built_in_model_prices_by_its_own_name() {
        let t = PriceTable::built_in();
        for &(name, r, source, as_of) in BUILT_IN {
            let p = t.lookup(name).unwrap_or_else(|| panic!("{name} has no price"));
            assert_eq!((p.input, p.output), (r.input, r.output), "{name}");
            assert!(p.cache_read.is_none_or(|c| c < p.input), "{name}: a cache read costs less than input");
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
        let none = TokenParts::default();
        assert!((p.cost(1_000_000, 0, &none) - 2.5).abs() < 1e-12);
        assert!((p.cost(180, 70, &none) - (180.0 * 2.5 + 70.0 * 10.0) / 1e6).abs() < 1e-15);
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1e-6)
    }

    #[test]
    fn the_cache_price_rule_by_hand() {
        let t = PriceTable::built_in();
        // claude-sonnet-4-5: $3 in, $15 out; reads $0.30, 5 min writes $3.75, 1 h writes $6.
        // 10,000 input tokens of which 6,000 cache reads and 3,000 writes (1,000 of
        // them 1 h): 1,000 uncached. 2,000 output of which 500 reasoning.
        let p = t.lookup("claude-sonnet-4-5-20250929").unwrap();
        let parts = TokenParts {
            cache_read: 6_000,
            cache_write: 3_000,
            cache_write_1h: 1_000,
            reasoning: 500,
            web_searches: 0,
        };
        let by_hand = (1_000.0 * 3.0 + 6_000.0 * 0.30 + 2_000.0 * 3.75 + 1_000.0 * 6.0 + 2_000.0 * 15.0) / 1e6;
        assert!(close(p.cost(10_000, 2_000, &parts), by_hand), "{} vs {by_hand}", p.cost(10_000, 2_000, &parts));
        assert!(close(by_hand, 0.0483));
        // gpt-4o: $2.50 in, $10 out, cached input $1.25; writes cost plain input.
        let p = t.lookup("gpt-4o").unwrap();
        let parts = TokenParts { cache_read: 4_096, ..TokenParts::default() };
        assert!(close(p.cost(5_000, 100, &parts), (904.0 * 2.5 + 4_096.0 * 1.25 + 100.0 * 10.0) / 1e6));
        // A model with no cache prices prices cache tokens as plain input, and
        // reasoning as output: the same as without parts.
        let p = t.lookup("mistral-large").unwrap();
        assert!(!p.has_cache_prices());
        let parts =
            TokenParts { cache_read: 700, cache_write: 200, cache_write_1h: 100, reasoning: 40, web_searches: 0 };
        assert!(close(p.cost(1_000, 50, &parts), (1_000.0 * 2.0 + 50.0 * 6.0) / 1e6));
        assert!(close(p.cost(1_000, 50, &parts), p.cost(1_000, 50, &TokenParts::default())));
        assert_eq!(p.cache_savings(700), 0.0);
        // Savings: 6,000 reads at $3 as input minus at $0.30 = $0.0162.
        assert!(close(t.lookup("claude-sonnet-4-5").unwrap().cache_savings(6_000), 0.0162));
    }

    /// Web searches are priced by the search, on top of the tokens, where the
    /// price knows them: Anthropic's $10 a thousand in every built-in Claude
    /// entry (long-context and fast mode too); nothing where unknown.
    #[test]
    fn web_searches_are_priced_by_the_search_where_the_price_knows_them() {
        let t = PriceTable::built_in();
        let searches = TokenParts { web_searches: 3, ..TokenParts::default() };
        let sonnet = t.lookup("claude-sonnet-4-5-20250929").unwrap();
        assert_eq!(sonnet.web_search, Some(10.0));
        let tokens = sonnet.cost(1_000, 100, &TokenParts::default());
        assert!(close(sonnet.cost(1_000, 100, &searches), tokens + 0.03));
        assert!(close(sonnet.cost(300_000, 100, &searches), sonnet.cost(300_000, 100, &TokenParts::default()) + 0.03));
        assert!(close(sonnet.web_search_cost(1_000), 10.0));
        for name in ["claude-opus-4-6-fast", "claude-3-haiku", "claude-haiku-4-5"] {
            assert_eq!(t.lookup(name).and_then(|p| p.web_search), Some(10.0), "{name}");
        }
        // OpenAI's web search is billed by the tool call, but its usage does not
        // count them: no built-in price, so searches add nothing.
        let gpt = t.lookup("gpt-4o").unwrap();
        assert_eq!(gpt.web_search, None);
        assert_eq!(gpt.cost(1_000, 100, &searches), gpt.cost(1_000, 100, &TokenParts::default()));
        // A call that reports its cost is not repriced for its searches.
        assert_eq!(call_cost(Some(0.5), || Some(sonnet), Some(1_000), Some(100), &searches), Some(0.5));
    }

    #[test]
    fn parts_larger_than_their_whole_are_clamped() {
        let p = PriceTable::built_in().lookup("claude-haiku-4-5").cloned().unwrap();
        let silly = TokenParts { cache_read: 50, cache_write: 50, cache_write_1h: 80, reasoning: 99, web_searches: 0 };
        // 60 input: 50 reads, 10 writes (all 1 h), none uncached; 10 output, all reasoning.
        let by_hand = (50.0 * 0.1 + 10.0 * 2.0 + 10.0 * 5.0) / 1e6;
        assert!(close(p.cost(60, 10, &silly), by_hand));
    }

    #[test]
    fn find_says_which_entry_and_why() {
        let t = PriceTable::built_in();
        assert_eq!(t.find("gpt-4o").map(|(n, r, _)| (n, r)), Some(("gpt-4o", MatchRule::Exact)));
        assert_eq!(t.find("gpt-4o-2024-08-06").map(|(n, r, _)| (n, r)), Some(("gpt-4o", MatchRule::Normalised)));
        assert_eq!(
            t.find("gemini-2.5-flash-lite-001").map(|(n, r, _)| (n, r)),
            Some(("gemini-2.5-flash-lite", MatchRule::Prefix))
        );
        assert!(t.find("my-own-model").is_none());
    }

    #[test]
    fn fast_mode_is_priced_by_its_own_entry_or_not_at_all() {
        let mut t = PriceTable::built_in();
        let found = |t: &PriceTable, m: &str| t.find(m).map(|(n, r, p)| (n.to_owned(), r, p.input, p.output));
        assert_eq!(
            found(&t, &crate::genai::fast_variant("claude-opus-4-6")),
            Some(("claude-opus-4-6-fast".into(), MatchRule::Exact, 30.0, 150.0))
        );
        assert_eq!(
            found(&t, "claude-opus-4-6-20260205-fast"),
            Some(("claude-opus-4-6-fast".into(), MatchRule::Normalised, 30.0, 150.0))
        );
        assert_eq!(t.lookup("claude-opus-4-6-fast").unwrap().cache_read, Some(3.0));
        // A model without a fast entry is unpriced in fast mode, not priced at a
        // sixth (its own entry is a prefix of the name).
        assert!(t.lookup("claude-sonnet-4-5").is_some());
        assert_eq!(found(&t, "claude-sonnet-4-5-fast"), None);
        assert_eq!(found(&t, "claude-sonnet-4-5-20250929-fast"), None);
        // Nor by a price file's rule for the model itself.
        assert_eq!(t.load_file(include_str!("pricing/genai_prices_fixture.json"), "data.json").unwrap(), 7);
        assert_eq!(t.find("o3").map(|(n, r, _)| (n.to_owned(), r)), Some(("openai/o3".into(), MatchRule::Rule)));
        assert_eq!(found(&t, "o3-fast"), None);
        // A price given for the fast name is used.
        t.set("o3-fast", Price { input: 12.0, output: 48.0, ..Price::default() });
        assert_eq!(found(&t, "o3-fast"), Some(("o3-fast".into(), MatchRule::Exact, 12.0, 48.0)));
    }

    #[test]
    fn price_files_are_told_apart_by_content_and_win_over_the_built_in_table() {
        let mut t = PriceTable::built_in();
        let genai = include_str!("pricing/genai_prices_fixture.json");
        assert_eq!(t.load_file(genai, "data.json").unwrap(), 7);
        // The file's rule wins over the built-in entry of the same name...
        let (entry, rule, p) = t.find("o3").unwrap();
        assert_eq!((entry, rule, p.source.as_str()), ("openai/o3", MatchRule::Rule, "data.json"));
        // ...but not over the user's own prices.
        t.set("o3", Price { input: 1.0, output: 1.0, source: "config file".into(), ..Price::default() });
        assert_eq!(t.find("o3").map(|(e, r, _)| (e, r)), Some(("o3", MatchRule::Exact)));
        // Models the file does not know keep the built-in price.
        assert_eq!(t.find("mistral-large").map(|(e, r, _)| (e, r)), Some(("mistral-large", MatchRule::Exact)));
        let litellm = r#"{"m-long": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
            "input_cost_per_token_above_200k_tokens": 6e-06, "output_cost_per_token_above_200k_tokens": 2.25e-05,
            "cache_creation_input_token_cost": 3.75e-06, "cache_creation_input_token_cost_above_1hr": 6e-06}}"#;
        assert_eq!(t.load_file(litellm, "l.json").unwrap(), 1);
        let p = t.lookup("m-long").unwrap();
        assert_eq!((p.cache_write, p.cache_write_1h), (Some(3.75), Some(6.0)));
        let none = TokenParts::default();
        assert!(close(p.cost(300_000, 1_000, &none), (300_000.0 * 6.0 + 1_000.0 * 22.5) / 1e6));
        for bad in ["{\"a\": 1}", "[1, 2]", "not json", "{\"m\": {\"mode\": \"chat\"}}"] {
            let err = format!("{:#}", t.load_file(bad, "x").unwrap_err());
            assert!(err.contains("LiteLLM") || err.contains("not JSON"), "{bad}: {err}");
        }
    }

    #[test]
    fn litellm_files_load() {
        let json = r#"{
            "sample_spec": {"max_tokens": "LEGACY", "input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "litellm_provider": "one of https://docs.litellm.ai/docs/providers"},
            "gpt-4o": {"max_tokens": 16384, "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05, "cache_read_input_token_cost": 1.25e-06, "litellm_provider": "openai", "mode": "chat"},
            "my-finetune": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.2e-05},
            "claude-sonnet-4-5": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05, "search_context_cost_per_query": {"search_context_size_high": 0.01, "search_context_size_low": 0.01, "search_context_size_medium": 0.01}},
            "text-embedding-3-small": {"input_cost_per_token": 2e-08, "output_cost_per_token": 0.0, "mode": "embedding"},
            "dall-e-3": {"mode": "image_generation", "output_cost_per_image": 0.04},
            "broken": {"input_cost_per_token": "free", "output_cost_per_token": 1e-06}
        }"#;
        let mut t = PriceTable::default();
        assert_eq!(t.add_litellm(json, "prices.json").unwrap(), 4);
        let p = t.lookup("my-finetune").unwrap();
        assert_eq!(p.web_search, None);
        // Dollars a search (the medium context size), kept per thousand.
        let sonnet = t.lookup("claude-sonnet-4-5").unwrap().web_search.unwrap();
        assert!((sonnet - 10.0).abs() < 1e-9, "{sonnet}");
        assert!((p.input - 3.0).abs() < 1e-9 && (p.output - 12.0).abs() < 1e-9);
        assert!((t.lookup("gpt-4o").unwrap().cache_read.unwrap() - 1.25).abs() < 1e-9);
        assert!(t.lookup("dall-e-3").is_none() && t.lookup("broken").is_none() && t.lookup("sample_spec").is_none());
        assert!(t.add_litellm("[1]", "x").is_err());
        assert!(t.add_litellm("{", "x").is_err());
    }
}
