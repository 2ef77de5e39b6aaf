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

/// A bounded map that forgets the oldest entries first: the receiver's recent ids
/// and spans, the adapters' counted keys.
#[derive(Debug, Clone)]
pub struct Recent<K, V> {
    map: std::collections::HashMap<K, V>,
    order: std::collections::VecDeque<K>,
    capacity: usize,
}

impl<K: Eq + std::hash::Hash, V: PartialEq> PartialEq for Recent<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map && self.order == other.order && self.capacity == other.capacity
    }
}

impl<K: Copy + Eq + std::hash::Hash, V> Recent<K, V> {
    pub fn new(capacity: usize) -> Self {
        Recent { map: std::collections::HashMap::new(), order: std::collections::VecDeque::new(), capacity }
    }

    /// Sets `key`; returns whether it was new (a known key keeps its place).
    pub fn insert(&mut self, key: K, value: V) -> bool {
        if self.map.insert(key, value).is_some() {
            return false;
        }
        self.order.push_back(key);
        if self.order.len() > self.capacity
            && let Some(old) = self.order.pop_front()
        {
            self.map.remove(&old);
        }
        true
    }

    pub fn contains(&self, key: &K) -> bool {
        self.map.contains_key(key)
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key)
    }
}

/// Keys of what an adapter has counted (responses, tool calls, turns), so that a
/// copy in another file (a resumed, forked or archived session) is not counted
/// again. Bounded: the oldest are forgotten first.
#[derive(Debug, Clone, PartialEq)]
pub struct Counted(Recent<u64, ()>);

impl Default for Counted {
    fn default() -> Self {
        Counted(Recent::new(Self::MAX))
    }
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

    /// Notes a key as counted; false if it already was.
    pub fn first_key(&mut self, key: u64) -> bool {
        self.0.insert(key, ())
    }

    /// Takes in another's keys, oldest first.
    pub fn absorb(&mut self, other: Counted) {
        for key in other.0.order {
            self.0.insert(key, ());
        }
    }
}

/// Ids for a turn (a trace and the turn's span in it), derived from what names it,
/// the same however often the turn is read.
pub(crate) fn turn_ids(parts: &[&str]) -> (u128, u64) {
    let part = |tag: &str| {
        let mut all = parts.to_vec();
        all.push(tag);
        Counted::key(&all)
    };
    let trace = (u128::from(part("trace-high")) << 64) | u128::from(part("trace-low"));
    (trace | 1, part("turn") | 1)
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

/// The value at `path` (object keys only) under `value`: what `Value::pointer`
/// finds for a path without `~` escapes or array indices, without its parsing of
/// the path (a search and two replacements a step, a twentieth of reading a
/// Claude Code transcript).
pub fn at<'v>(value: &'v serde_json::Value, path: &[&str]) -> Option<&'v serde_json::Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

/// What an adapter reads of a JSON line, for [`parse_pruned`]: the keys it looks
/// at, and how much of their values.
#[derive(Debug, Clone, Copy)]
pub enum Wanted {
    /// The value with every string cut to its first [`KEPT_CHARS`] characters
    /// (an object's keys all kept).
    Cut,
    /// The value whole.
    Whole,
    /// Of an object (or of each object in an array), only these keys; any
    /// other value as [`Wanted::Cut`].
    Keys(&'static [(&'static str, Wanted)]),
}

/// A transcript line that is not JSON (or not UTF-8).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotJson(String);

/// A JSON line as a `serde_json::Value` holding only what `wanted` names: what
/// the adapters read of a transcript line. The texts of prompts, replies, tool
/// inputs and outputs (most of a transcript's bytes) are private and never
/// used, so the keys that hold them are skipped unread (checked as JSON, never
/// copied), and the strings of the rest cut to [`KEPT_CHARS`] characters unless
/// read to their end (a Codex tool's output, whose exit code and time follow
/// the output itself; a working folder, whose last part names the project).
/// The whole line must be JSON and UTF-8, as before anything was skipped.
pub fn parse_pruned(bytes: &[u8], wanted: Wanted) -> Result<serde_json::Value, NotJson> {
    use serde::de::DeserializeSeed;
    // Checked whole here: serde_json checks UTF-8 only in the strings it keeps.
    let text = std::str::from_utf8(bytes).map_err(|e| NotJson(format!("not UTF-8 at byte {}", e.valid_up_to())))?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Pruned { wanted }.deserialize(&mut de).map_err(|e| NotJson(e.to_string()))?;
    de.end().map_err(|e| NotJson(e.to_string()))?;
    Ok(value)
}

/// Characters kept of each string by [`parse_pruned`]: ids, names, models and
/// time stamps fit; contents are cut.
pub const KEPT_CHARS: usize = 96;

#[derive(Clone, Copy)]
struct Pruned {
    wanted: Wanted,
}

impl<'de> serde::de::DeserializeSeed<'de> for Pruned {
    type Value = serde_json::Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        match self.wanted {
            Wanted::Whole => serde::Deserialize::deserialize(d),
            Wanted::Cut | Wanted::Keys(_) => d.deserialize_any(self),
        }
    }
}

/// An object's key, borrowed from the line where it has no escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> serde::de::Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
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
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let wanted = match self.wanted {
                Wanted::Keys(keys) => keys.iter().find(|(known, _)| *known == key).map(|&(_, wanted)| wanted),
                other => Some(other),
            };
            match wanted {
                Some(wanted) => {
                    let value = map.next_value_seed(Pruned { wanted })?;
                    object.insert(key.into_owned(), value);
                }
                // Skipped unread: serde_json checks its syntax and copies nothing.
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(serde_json::Value::Object(object))
    }
}

/// A string field, if present and not empty (adapters read drifting formats: a
/// missing, null or empty field is the same absence).
pub(crate) fn str_of<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(serde_json::Value::as_str).filter(|s| !s.is_empty())
}

/// Sets a call's `duration_ms` from `asked` (its prompt's instant) to `ts`, where
/// the prompt was seen before it; else leaves it out: not known, rather than 0
/// (a Claude Code subagent's transcript shows no prompt, or its parent's later one).
pub(crate) fn put_duration_since(
    line: &mut crate::genai::Line,
    asked: Option<crate::time::Micros>,
    ts: crate::time::Micros,
) {
    if let Some(asked) = asked.filter(|&asked| asked <= ts) {
        line.insert("duration_ms", serde_json::Value::from((ts - asked) as f64 / 1000.0));
    }
}

/// Puts where a coding agent worked into a request's `attrs`: `project` (its
/// working folder) and `git_branch` (empty is none: not a repository).
pub(crate) fn put_project(line: &mut crate::genai::Line, folder: Option<&str>, branch: Option<&str>) {
    let mut attrs = serde_json::Map::new();
    for (name, value) in [("project", folder), ("git_branch", branch)] {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            attrs.insert(name.into(), serde_json::Value::from(crate::genai::cut(value)));
        }
    }
    if !attrs.is_empty() {
        line.insert("attrs", serde_json::Value::Object(attrs));
    }
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

#[cfg(test)]
mod tests {
    use super::{KEPT_CHARS, Wanted, parse_pruned};

    const READ: Wanted = {
        use Wanted::{Cut, Keys, Whole};
        Keys(&[("type", Cut), ("cwd", Whole), ("message", Keys(&[("id", Cut), ("content", Keys(&[("name", Cut)]))]))])
    };

    #[test]
    fn only_the_wanted_keys_are_kept_and_cut_as_asked() {
        let long = "x".repeat(KEPT_CHARS + 50);
        let line = serde_json::json!({
            "type": long, "cwd": long, "secret": {"prompt": "do not keep"}, "uuid": "u1",
            "message": {"id": "m1", "text": "private", "content": [{"name": "Bash", "input": {"cmd": "rm"}}, "plain", 3]},
        });
        let value = parse_pruned(line.to_string().as_bytes(), READ).unwrap();
        let cut: String = long.chars().take(KEPT_CHARS).collect();
        assert_eq!(
            value,
            serde_json::json!({"type": cut, "cwd": long, "message": {"id": "m1", "content": [{"name": "Bash"}, "plain", 3]}})
        );
        // Under `Cut`, an object keeps every key (its strings cut).
        let value = parse_pruned(br#"{"a":{"b":"c","d":[1,{"e":null}]}}"#, Wanted::Cut).unwrap();
        assert_eq!(value, serde_json::json!({"a": {"b": "c", "d": [1, {"e": null}]}}));
        // A key written with escapes is the same key.
        let value = parse_pruned(br#"{"ty\u0070e":"user"}"#, READ).unwrap();
        assert_eq!(value, serde_json::json!({"type": "user"}));
    }

    #[test]
    fn what_is_skipped_must_still_be_json() {
        for bad in [
            &br#"{"type":"user","secret":[1,}"#[..],
            br#"{"type":"user","secret":"a\qb"}"#,
            b"{\"type\":\"user\",\"secret\":\"tab\there\"}",
            b"{\"type\":\"user\",\"secret\":\"\xff\"}",
            br#"{"type":"user","secret":tru}"#,
            br#"{"type":"user"} trailing"#,
        ] {
            assert!(parse_pruned(bad, READ).is_err(), "{}", String::from_utf8_lossy(bad));
            assert!(serde_json::from_slice::<serde_json::Value>(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let err = parse_pruned(b"{\"type\":\"\xc3\"}", READ).unwrap_err();
        assert_eq!(err.to_string(), "not UTF-8 at byte 9");
    }

    #[test]
    fn at_finds_what_pointer_finds_on_object_paths() {
        let v = serde_json::json!({"message": {"id": "m1", "usage": {"input_tokens": 3}, "content": [1]}, "x": null});
        for path in [&["message", "id"][..], &["message", "usage", "input_tokens"], &["message"], &["x"]] {
            assert_eq!(super::at(&v, path), v.pointer(&format!("/{}", path.join("/"))), "{path:?}");
        }
        for missing in
            [&["message", "nope"][..], &["x", "y"], &["message", "id", "deeper"], &["message", "content", "0"]]
        {
            assert_eq!(super::at(&v, missing), None, "{missing:?}");
        }
    }
}
