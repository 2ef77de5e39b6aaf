//! Inputs as adapters: each input format turns its bytes into the one
//! [`crate::event::Event`] type, and nothing after the adapters (the fold,
//! alerts, reports, panes, push) knows which format an event came from. Each
//! adapter keeps what is format-specific here; the file-following shell
//! (`follow`) serves every file format alike.
//!
//! - `v1`: ajentik's own JSON Lines event log (`docs/event-log.md`).

pub mod claude;
pub mod codex;
pub mod v1;

/// The format of a source that is not an ajentik event log, told from one of its
/// first lines (a Claude Code transcript, a Codex rollout).
pub fn adapted_format(line: &[u8]) -> Option<&'static str> {
    if claude::looks_like(line) {
        Some(claude::FORMAT)
    } else if codex::looks_like(line) {
        Some(codex::FORMAT)
    } else {
        None
    }
}

/// Keys of what an adapter has counted (responses, tool calls, turns), so that a
/// copy in another file (a resumed, forked or archived session) is not counted
/// again. Bounded: the oldest are forgotten first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counted {
    keys: std::collections::HashSet<u64>,
    order: std::collections::VecDeque<u64>,
}

impl Counted {
    /// Keys remembered (16 bytes each with their order: 16 MiB at most).
    pub const MAX: usize = 1 << 20;

    /// The key of `parts`.
    pub fn key(parts: &[&str]) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        parts.hash(&mut h);
        h.finish()
    }

    /// Whether `parts` were counted.
    pub fn contains(&self, parts: &[&str]) -> bool {
        self.keys.contains(&Self::key(parts))
    }

    /// Notes `parts` as counted; false if they already were.
    pub fn first(&mut self, parts: &[&str]) -> bool {
        self.first_key(Self::key(parts))
    }

    /// Notes a key as counted; false if it already was.
    pub fn first_key(&mut self, key: u64) -> bool {
        if !self.keys.insert(key) {
            return false;
        }
        self.order.push_back(key);
        if self.order.len() > Self::MAX
            && let Some(old) = self.order.pop_front()
        {
            self.keys.remove(&old);
        }
        true
    }

    /// Takes in another's keys.
    pub fn absorb(&mut self, other: Counted) {
        for key in other.order {
            if self.keys.insert(key) {
                self.order.push_back(key);
            }
        }
    }
}

/// An event an adapter made, with the key that makes a copy of it in another
/// file (a resumed, forked or archived session) the same event: the fold counts
/// each key once ([`Counted`]). No key: always counted.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyed {
    pub key: Option<u64>,
    pub line: crate::genai::Line,
}

impl Keyed {
    pub fn new(parts: Option<&[&str]>, line: crate::genai::Line) -> Keyed {
        Keyed { key: parts.map(Counted::key), line }
    }
}

/// A JSON line as a `serde_json::Value` with every string cut to its first
/// [`KEPT_CHARS`] characters: what the adapters read of a transcript line. The
/// texts of prompts, replies and tool outputs (most of a transcript's bytes) are
/// private and never used, so they are not copied whole.
pub fn parse_pruned(bytes: &[u8]) -> serde_json::Result<serde_json::Value> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Pruned.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Characters kept of each string by [`parse_pruned`]: ids, names, models and
/// time stamps fit; contents are cut.
pub const KEPT_CHARS: usize = 96;

#[derive(Clone, Copy)]
struct Pruned;

impl<'de> serde::de::DeserializeSeed<'de> for Pruned {
    type Value = serde_json::Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Pruned {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(serde_json::Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(serde_json::Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        let end = v.char_indices().nth(KEPT_CHARS).map_or(v.len(), |(i, _)| i);
        Ok(serde_json::Value::String(v[..end].to_owned()))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(serde_json::Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self)?;
            object.insert(key, value);
        }
        Ok(serde_json::Value::Object(object))
    }
}

/// A string field, if present and not empty (adapters read drifting formats: a
/// missing, null or empty field is the same absence).
pub(crate) fn str_of<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(serde_json::Value::as_str).filter(|s| !s.is_empty())
}

/// The start of an adapter's event line: version, time, type, and the trace, span
/// and parent ids when it belongs to a traced turn (`trace` is the turn's trace id
/// and span id; a span equal to the turn's is the turn itself, with no parent).
pub(crate) fn event_line(
    kind: &str,
    ts: crate::time::Micros,
    trace: Option<(u128, u64)>,
    span: Option<u64>,
) -> crate::genai::Line {
    use serde_json::Value;
    let mut line = crate::genai::Line::default();
    line.insert("v", Value::from(1));
    line.insert("ts", Value::String(crate::time::format_rfc3339_micros(ts)));
    line.insert("type", Value::from(kind));
    if let Some((trace, parent)) = trace {
        line.insert("trace_id", Value::String(format!("{trace:032x}")));
        if let Some(span) = span {
            line.insert("span_id", Value::String(format!("{:016x}", span | 1)));
            if span | 1 != parent {
                line.insert("parent_span_id", Value::String(format!("{parent:016x}")));
            }
        }
    }
    line
}
