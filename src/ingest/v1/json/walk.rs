//! The second stage: reading a line's object with the bitmap of its quotes (see
//! `structure.rs`), capturing the known fields as [`Span`]s exactly as
//! [`Reader::capture_object`] does.
//!
//! The walk reads every byte outside strings itself (whitespace, structure,
//! numbers and literals, with [`Reader`]'s number reader) and jumps over each
//! string to the quote that closes it, whose content the first stage checked.
//! A key is found by a hash of its bytes, so key order costs nothing. It never
//! rejects a line: whatever it does not like (invalid JSON, a duplicate field,
//! an escaped key, deep nesting) makes it give up, and the byte-at-a-time
//! reader, the one source of verdicts and messages, reads the line again.

use super::structure::Structure;
use super::{MAX_DEPTH, Reader, Shape, Span};

/// The walk gave up on a line; the byte-at-a-time reader decides.
#[derive(Debug)]
pub(in crate::ingest::v1) struct GiveUp;

type Walk<T> = Result<T, GiveUp>;

/// The longest key a [`KeyTable`] holds.
const MAX_KEY: usize = 32;
/// Slots of a [`KeyTable`]: a power of two, at least twice the keys.
const SLOTS: usize = 128;

/// The known keys of a line's object, found from a key's length and first 16
/// bytes by a hash without collisions among them (its multiplier is searched
/// for at compile time): one lookup whatever order the keys come in.
pub(in crate::ingest::v1) struct KeyTable {
    slots: [Slot; SLOTS],
    multiplier: u64,
}

#[derive(Clone, Copy)]
struct Slot {
    /// The key's first 16 bytes, zero-padded, as two little-endian words.
    words: [u64; 2],
    len: usize,
    key: &'static str,
    /// The key's index in the list the table was built from; `usize::MAX` if empty.
    field: usize,
}

const EMPTY: Slot = Slot { words: [0, 0], len: 0, key: "", field: usize::MAX };

/// The first 16 bytes of `key` (zero-padded) as two little-endian words.
const fn key_words(key: &[u8]) -> [u64; 2] {
    let mut words = [0u64; 2];
    let mut i = 0;
    while i < key.len() && i < 16 {
        words[i / 8] |= (key[i] as u64) << ((i % 8) * 8);
        i += 1;
    }
    words
}

const fn slot_of(words: [u64; 2], len: usize, multiplier: u64) -> usize {
    // The first eight bytes and the length tell the known keys apart.
    let mixed = words[0] ^ ((len as u64) << 59);
    (mixed.wrapping_mul(multiplier) >> (64 - SLOTS.trailing_zeros())) as usize
}

impl KeyTable {
    /// A table of `keys` (at most [`MAX_KEY`] bytes each, fewer than half of
    /// [`SLOTS`]); fails to compile if no multiplier tried keeps them apart.
    pub const fn new(keys: &[&'static str]) -> Self {
        assert!(keys.len() * 2 <= SLOTS, "too many keys for the table");
        let mut multiplier: u64 = 0x2545_f491_4f6c_dd1d;
        let mut attempt = 0;
        while attempt < 10_000 {
            let mut slots = [EMPTY; SLOTS];
            let mut ok = true;
            let mut i = 0;
            while i < keys.len() && ok {
                let key = keys[i].as_bytes();
                assert!(!key.is_empty() && key.len() <= MAX_KEY, "a key is empty or too long");
                let words = key_words(key);
                let at = slot_of(words, key.len(), multiplier);
                if slots[at].field != usize::MAX {
                    ok = false;
                }
                slots[at] = Slot { words, len: key.len(), key: keys[i], field: i };
                i += 1;
            }
            if ok {
                return KeyTable { slots, multiplier };
            }
            multiplier = multiplier.wrapping_mul(0x5851_f42d_4c95_7f2d).wrapping_add(0x1405_7b7e_f767_814f) | 1;
            attempt += 1;
        }
        panic!("no collision-free multiplier found for the keys");
    }

    /// The index of the key `b[start..end]`, if known.
    #[inline]
    pub fn find(&self, b: &[u8], start: usize, end: usize) -> Option<usize> {
        let len = end.checked_sub(start)?;
        if len == 0 || len > MAX_KEY {
            return None;
        }
        let word_at = |from: usize| -> u64 {
            let mut word = [0u8; 8];
            if let Some(bytes) = b.get(from..from + 8) {
                word.copy_from_slice(bytes);
            } else if let Some(bytes) = b.get(from..) {
                word[..bytes.len()].copy_from_slice(bytes);
            }
            u64::from_le_bytes(word)
        };
        let keep = |bytes: usize| if bytes >= 8 { u64::MAX } else { (1u64 << (bytes * 8)) - 1 };
        let lo = word_at(start) & keep(len);
        let hi = if len > 8 { word_at(start + 8) & keep(len - 8) } else { 0 };
        let words = [lo, hi];
        let slot = &self.slots[slot_of(words, len, self.multiplier)];
        (slot.len == len
            && slot.words == words
            && (len <= 16 || b.get(start + 16..end) == slot.key.as_bytes().get(16..)))
        .then_some(slot.field)
    }
}

/// A cursor over a line: its bytes, its quotes, the byte reader for numbers
/// and literals.
struct Walker<'r, 'a> {
    reader: &'r mut Reader<'a>,
    b: &'a [u8],
    quotes: &'r [u64],
    backslash: bool,
}

impl Walker<'_, '_> {
    /// The byte at `at` must be `c`; returns the position after it.
    #[inline]
    fn expect(&self, at: usize, c: u8) -> Walk<usize> {
        if self.b.get(at) == Some(&c) { Ok(at + 1) } else { Err(GiveUp) }
    }

    /// The first position at or after `at` that is not whitespace.
    #[inline]
    fn ws(&self, mut at: usize) -> usize {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(at) {
            at += 1;
        }
        at
    }

    /// A string opening at `at` (a '"' outside any string); returns the
    /// position after the quote that closes it.
    #[inline]
    fn string(&self, at: usize) -> Walk<usize> {
        self.expect(at, b'"')?;
        // Two words at a time: a string that crosses into the next block costs
        // no extra turn (the first stage leaves a zero word at the end).
        let from = at + 1;
        let mut word = from / 64;
        let pair = |word: usize| -> Walk<u128> {
            let low = *self.quotes.get(word).ok_or(GiveUp)?;
            let high = self.quotes.get(word + 1).copied().unwrap_or(0);
            Ok(u128::from(low) | (u128::from(high) << 64))
        };
        let mut bits = pair(word)? >> (from % 64);
        let mut base = from;
        while bits == 0 {
            // A string longer than a block.
            word += 1;
            bits = pair(word)?;
            base = word * 64;
        }
        Ok(base + bits.trailing_zeros() as usize + 1)
    }

    /// Any value starting at `at`, `depth` containers deep; returns its end.
    fn value(&mut self, at: usize, depth: u32) -> Walk<usize> {
        match self.b.get(at) {
            Some(b'"') => self.string(at),
            Some(b'{') => self.object(at, depth + 1),
            Some(b'[') => self.array(at, depth + 1),
            Some(_) => {
                self.reader.pos = at;
                self.reader.skip().map_err(|_| GiveUp)?;
                Ok(self.reader.pos)
            }
            None => Err(GiveUp),
        }
    }

    /// What follows a member or an element: `close` ends the container (returns
    /// the position after it and true), ',' announces another (returns the
    /// position of the next one and false).
    #[inline]
    fn separator(&self, at: usize, close: u8) -> Walk<(usize, bool)> {
        let at = self.ws(at);
        match self.b.get(at) {
            Some(b',') => Ok((self.ws(at + 1), false)),
            Some(&c) if c == close => Ok((at + 1, true)),
            _ => Err(GiveUp),
        }
    }

    /// The ':' after a key that ends at `after_key`; returns where the value starts.
    #[inline]
    fn colon_after(&self, after_key: usize) -> Walk<usize> {
        let at = self.expect(self.ws(after_key), b':')?;
        Ok(self.ws(at))
    }

    fn object(&mut self, at: usize, depth: u32) -> Walk<usize> {
        if depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        let mut at = self.ws(self.expect(at, b'{')?);
        if self.b.get(at) == Some(&b'}') {
            return Ok(at + 1);
        }
        loop {
            let after_key = self.string(at)?;
            let value = self.colon_after(after_key)?;
            let end = self.value(value, depth)?;
            let (next, closed) = self.separator(end, b'}')?;
            if closed {
                return Ok(next);
            }
            at = next;
        }
    }

    fn array(&mut self, at: usize, depth: u32) -> Walk<usize> {
        if depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        let mut at = self.ws(self.expect(at, b'[')?);
        if self.b.get(at) == Some(&b']') {
            return Ok(at + 1);
        }
        loop {
            let end = self.value(at, depth)?;
            let (next, closed) = self.separator(end, b']')?;
            if closed {
                return Ok(next);
            }
            at = next;
        }
    }

    /// A known field's value at `at`, as [`Reader::capture`] gives it, written
    /// in place: returning a span through a `Result` cost a stalled copy a field.
    #[inline]
    fn capture(&mut self, at: usize, span: &mut Span) -> Walk<usize> {
        let (end, shape) = match self.b.get(at) {
            Some(b'"') => {
                let end = self.string(at)?;
                let escaped = self.backslash && memchr::memchr(b'\\', &self.b[at + 1..end - 1]).is_some();
                (end, if escaped { Shape::EscapedString } else { Shape::PlainString })
            }
            Some(b'{') => (self.object(at, 1)?, Shape::Object),
            Some(b'[') => (self.array(at, 1)?, Shape::Array),
            Some(_) => {
                self.reader.pos = at;
                self.reader.capture_scalar(span).map_err(|_| GiveUp)?;
                return Ok(self.reader.pos);
            }
            None => return Err(GiveUp),
        };
        span.start = at as u32;
        span.end = end as u32;
        span.shape = shape;
        Ok(end)
    }
}

impl Reader<'_> {
    /// Reads the line's top-level object by its `structure`, capturing the value
    /// of each key `keys` knows into `spans` (which must all be absent) and
    /// validating the rest, as [`Reader::capture_object`] followed by
    /// [`Reader::end`] would, or gives up.
    pub fn capture_indexed(&mut self, structure: &Structure, keys: &KeyTable, spans: &mut [Span]) -> Walk<()> {
        let b = self.b;
        let mut w = Walker { reader: self, b, quotes: &structure.quotes, backslash: structure.backslash };
        let mut at = w.ws(w.expect(w.ws(0), b'{')?);
        let mut closed = b.get(at) == Some(&b'}');
        if closed {
            at += 1;
        }
        while !closed {
            let after_key = w.string(at)?;
            let key = (at + 1, after_key - 1);
            if w.backslash && memchr::memchr(b'\\', &b[key.0..key.1]).is_some() {
                // An escaped key must be unescaped to be known: rare enough to leave.
                return Err(GiveUp);
            }
            let field = keys.find(b, key.0, key.1);
            let value = w.colon_after(after_key)?;
            let end = match field.and_then(|i| spans.get_mut(i)) {
                Some(span) if span.is_absent() => w.capture(value, span)?,
                // A duplicate: an error the byte reader words.
                Some(_) => return Err(GiveUp),
                None => w.value(value, 1)?,
            };
            (at, closed) = w.separator(end, b'}')?;
        }
        if w.ws(at) == b.len() { Ok(()) } else { Err(GiveUp) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: &[&str] =
        &["v", "ts", "type", "cache_write_tokens", "cache_write_1h_tokens", "a_key_of_exactly_16", "ab"];
    const TABLE: KeyTable = KeyTable::new(KEYS);

    #[test]
    fn the_key_table_finds_each_key_and_nothing_else() {
        for (i, key) in KEYS.iter().enumerate() {
            let line = format!("\"{key}\":1");
            assert_eq!(TABLE.find(line.as_bytes(), 1, 1 + key.len()), Some(i), "{key}");
            // At the very end of the buffer too.
            assert_eq!(TABLE.find(key.as_bytes(), 0, key.len()), Some(i), "{key}");
        }
        for other in
            ["", "t", "typ", "types", "cache_write_1h_tokenz", "cache_write_tokens_", "a_key_of_exactly_1", "ba"]
        {
            assert_eq!(TABLE.find(other.as_bytes(), 0, other.len()), None, "{other}");
        }
        assert_eq!(TABLE.find(&[b'x'; 40], 0, 40), None);
    }
}
