//! pydantic's genai-prices data file (`prices/data.json`, and the live
//! `prices/new_data/v2/data.json`): an array of providers, each with models that
//! carry a match rule and prices in US dollars per million tokens.
//!
//! What is read, and what is left out (said by `ajentik prices`):
//! - A price that is a plain number is that price. A tiered price
//!   (`{"base", "tiers": [{"start", "price"}]}`) is its base, with the first tier
//!   kept as the long-context price (applied to a call whose input exceeds
//!   `start`, as genai-prices does).
//! - A list of conditional prices: the last entry, which is the newest start
//!   date (or, for DeepSeek's time-of-day pricing, the standard-hours price).
//! - Keys other than input, output, cache read and cache writes (5 min, 1 h) and
//!   reasoning (`output_reasoning_mtok`) are not token prices of text: ignored.

use anyhow::{Result, bail};
use serde_json::Value;

use super::Price;

/// A model's match rule: clauses over the lowercased model name.
#[derive(Debug, Clone)]
pub enum Clause {
    Equals(String),
    StartsWith(String),
    EndsWith(String),
    Contains(String),
    Regex(regex_lite::Regex),
    Or(Vec<Clause>),
    And(Vec<Clause>),
    /// A clause this build does not know: never matches.
    Unknown,
}

impl PartialEq for Clause {
    fn eq(&self, other: &Self) -> bool {
        format!("{self:?}") == format!("{other:?}")
    }
}

impl Clause {
    fn parse(v: &Value) -> Clause {
        let Some((kind, arg)) = v.as_object().and_then(|o| o.iter().next()) else { return Clause::Unknown };
        let text = || arg.as_str().map(str::to_lowercase);
        let list = || arg.as_array().map(|items| items.iter().map(Clause::parse).collect());
        let clause = match kind.as_str() {
            "equals" => text().map(Clause::Equals),
            "starts_with" => text().map(Clause::StartsWith),
            "ends_with" => text().map(Clause::EndsWith),
            "contains" => text().map(Clause::Contains),
            "regex" => arg.as_str().and_then(|p| regex_lite::Regex::new(p).ok()).map(Clause::Regex),
            "or" => list().map(Clause::Or),
            "and" => list().map(Clause::And),
            _ => None,
        };
        clause.unwrap_or(Clause::Unknown)
    }

    /// Whether the (lowercased) model name matches.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Clause::Equals(s) => name == s,
            Clause::StartsWith(s) => name.starts_with(s.as_str()),
            Clause::EndsWith(s) => name.ends_with(s.as_str()),
            Clause::Contains(s) => name.contains(s.as_str()),
            Clause::Regex(r) => r.is_match(name),
            Clause::Or(cs) => cs.iter().any(|c| c.matches(name)),
            Clause::And(cs) => cs.iter().all(|c| c.matches(name)),
            Clause::Unknown => false,
        }
    }
}

/// One model of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleEntry {
    /// `provider/model`, as `ajentik prices` shows it.
    pub id: String,
    pub provider: String,
    pub clause: Clause,
    pub price: Price,
}

/// A provider's models and the rule that says a name is theirs.
#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    pub id: String,
    pub model_match: Option<Clause>,
    pub models: Vec<RuleEntry>,
}

/// Whether a parsed JSON document has genai-prices' shape: an array of
/// providers with `models`.
pub fn looks_like(v: &Value) -> bool {
    v.as_array().is_some_and(|a| a.first().is_some_and(|p| p.get("models").is_some_and(Value::is_array)))
}

/// The providers of a genai-prices file; `source` names it in each price.
pub fn parse(v: &Value, source: &str) -> Result<Vec<Provider>> {
    let Some(providers) = v.as_array() else { bail!("not a genai-prices file: the top level is not an array") };
    let mut out = Vec::new();
    for (i, p) in providers.iter().enumerate() {
        let (Some(id), Some(models)) = (p.get("id").and_then(Value::as_str), p.get("models").and_then(Value::as_array))
        else {
            bail!("not a genai-prices file: provider {i} has no `id` or no `models` array");
        };
        let mut entries = Vec::new();
        for m in models {
            let (Some(model_id), Some(rule)) = (m.get("id").and_then(Value::as_str), m.get("match")) else {
                continue;
            };
            let Some(price) = m.get("prices").and_then(|p| model_price(p, source)) else { continue };
            entries.push(RuleEntry {
                id: format!("{id}/{model_id}"),
                provider: id.to_owned(),
                clause: Clause::parse(rule),
                price,
            });
        }
        out.push(Provider { id: id.to_owned(), model_match: p.get("model_match").map(Clause::parse), models: entries });
    }
    Ok(out)
}

/// The prices in force: a plain object, or the last of a list of conditional ones.
fn model_price(v: &Value, source: &str) -> Option<Price> {
    let prices = match v {
        Value::Array(list) => list.last()?.get("prices")?,
        other => other,
    };
    let base = |key: &str| value_at(prices.get(key)?, None);
    let (Some(input), Some(output)) = (base("input_mtok"), base("output_mtok")) else { return None };
    let mut price = Price {
        input,
        output,
        cache_read: base("cache_read_mtok"),
        cache_write: base("cache_write_mtok").or_else(|| base("cache_write_5m_mtok")),
        cache_write_1h: base("cache_write_1h_mtok"),
        reasoning: base("output_reasoning_mtok"),
        // genai-prices has no price for web searches (it prices tokens and requests).
        web_search: None,
        source: source.to_owned(),
        as_of: String::new(),
        long_context: None,
    };
    // The long-context tier: where input's first tier starts, every key's price
    // at that size.
    let start = prices.get("input_mtok").and_then(first_tier_start);
    if let Some(start) = start {
        let at = |key: &str| value_at(prices.get(key)?, Some(start));
        let long = Price {
            input: at("input_mtok").unwrap_or(input),
            output: at("output_mtok").unwrap_or(output),
            cache_read: at("cache_read_mtok"),
            cache_write: at("cache_write_mtok").or_else(|| at("cache_write_5m_mtok")),
            cache_write_1h: at("cache_write_1h_mtok"),
            reasoning: at("output_reasoning_mtok"),
            web_search: None,
            source: source.to_owned(),
            as_of: String::new(),
            long_context: None,
        };
        price.long_context = Some((start, Box::new(long)));
    }
    Some(price)
}

fn first_tier_start(v: &Value) -> Option<u64> {
    v.get("tiers")?.as_array()?.iter().filter_map(|t| t.get("start")?.as_u64()).min()
}

/// A price: a number, or a tiered price's base (`above = None`) or its price
/// for a call above `above` input tokens.
fn value_at(v: &Value, above: Option<u64>) -> Option<f64> {
    let ok = |x: f64| (x.is_finite() && x >= 0.0).then_some(x);
    if let Some(x) = v.as_f64() {
        return ok(x);
    }
    let base = v.get("base")?.as_f64()?;
    let Some(size) = above else { return ok(base) };
    let mut price = base;
    for tier in v.get("tiers")?.as_array()? {
        if tier.get("start").and_then(Value::as_u64).is_some_and(|s| s <= size) {
            price = tier.get("price").and_then(Value::as_f64).unwrap_or(price);
        }
    }
    ok(price)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::TokenParts;

    /// Real excerpts of genai-prices' v2 data.json (Anthropic with tiers and a
    /// conditional list, OpenAI, DeepSeek's time-of-day prices).
    const FIXTURE: &str = include_str!("genai_prices_fixture.json");

    fn providers() -> Vec<Provider> {
        parse(&serde_json::from_str(FIXTURE).unwrap(), "data.json").unwrap()
    }

    fn find<'a>(ps: &'a [Provider], model: &str) -> Option<&'a RuleEntry> {
        ps.iter().flat_map(|p| &p.models).find(|m| m.clause.matches(&model.to_lowercase()))
    }

    #[test]
    fn reads_the_real_excerpts() {
        let ps = providers();
        assert!(looks_like(&serde_json::from_str(FIXTURE).unwrap()));
        let haiku = find(&ps, "claude-haiku-4-5-20251001").unwrap();
        assert_eq!(haiku.id, "anthropic/claude-haiku-4-5");
        let p = &haiku.price;
        assert_eq!(
            (p.input, p.output, p.cache_read, p.cache_write, p.cache_write_1h),
            (1.0, 5.0, Some(0.1), Some(1.25), Some(2.0))
        );
        // Tiered: the base, and above 200k input the tier prices.
        let sonnet = &find(&ps, "claude-sonnet-4-5").unwrap().price;
        assert_eq!((sonnet.input, sonnet.cache_write_1h), (3.0, Some(6.0)));
        let (start, long) = sonnet.long_context.as_ref().unwrap();
        assert_eq!((*start, long.input, long.output, long.cache_read), (200_000, 6.0, 22.5, Some(0.6)));
        let none = TokenParts::default();
        assert!((sonnet.cost(200_000, 0, &none) - 0.6).abs() < 1e-12, "at the start, the base");
        assert!((sonnet.cost(200_001, 0, &none) - 200_001.0 * 6.0 / 1e6).abs() < 1e-12, "above it, all tokens");
        // A conditional list: the last (newest) entry, here without tiers.
        let opus = &find(&ps, "claude-opus-4-6").unwrap().price;
        assert_eq!((opus.input, opus.long_context.is_none()), (5.0, true));
        let o3 = &find(&ps, "o3-2025-04-16").unwrap().price;
        assert_eq!((o3.input, o3.output), (2.0, 8.0));
        assert!(find(&ps, "o3-mini").is_none_or(|m| m.id != "openai/o3"), "equals is exact");
        let gpt5 = find(&ps, "GPT-5-codex").unwrap();
        assert_eq!((gpt5.id.as_str(), gpt5.price.cache_write), ("openai/gpt-5", None));
    }

    #[test]
    fn clauses_match_as_genai_prices_does() {
        let c = Clause::parse(
            &serde_json::json!({"or": [{"regex": "^o[134]"}, {"and": [{"contains": "x"}, {"ends_with": "Y"}]}]}),
        );
        assert!(c.matches("o3-mini") && !c.matches("gpt-o3") && c.matches("axy") && !c.matches("ax"));
        assert!(!Clause::parse(&serde_json::json!({"glob": "*"})).matches("anything"));
        assert!(!Clause::parse(&serde_json::json!({"regex": "("})).matches("("), "a bad regex never matches");
    }

    #[test]
    fn other_shapes_are_refused_with_the_reason() {
        let err = parse(&serde_json::json!({"a": 1}), "x").unwrap_err().to_string();
        assert!(err.contains("top level is not an array"), "{err}");
        let err = parse(&serde_json::json!([{"name": "p"}]), "x").unwrap_err().to_string();
        assert!(err.contains("provider 0 has no `id`"), "{err}");
    }
}
