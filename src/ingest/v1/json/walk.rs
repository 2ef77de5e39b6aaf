//! The second stage: reading a line's object with the positions of its quotes
//! (see `structure.rs`), capturing the known fields as [`Span`]s exactly as
//! [`Reader::capture_object`] does.
//!
//! The walk reads every byte outside strings itself (whitespace, structure,
//! numbers and literals, with [`Reader`]'s number reader) and jumps over each
//! string to the quote that closes it (the next position in the list), whose
//! content the first stage checked.
//!
//! A key is found by a hash of its bytes, so key order costs nothing; and a
//! known field's value in the usual compact form is only bounded as the walk
//! meets it (from the quote positions, whatever its kind), its kind and number
//! read afterwards in field order, so that the branch on the kind is predicted
//! in a line whose keys come in any order (in the walk's order, it was the most
//! mispredicted branch of a fold on such lines).
//!
//! It never rejects a line: whatever it does not like (invalid JSON, a
//! duplicate field, an escaped key, deep nesting) makes it give up, and the
//! byte-at-a-time reader, the one source of verdicts and messages, reads the
//! line again.

use super::structure::{LOW7, Structure, zero_bytes};
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

/// A cache line each (48 bytes padded to 64): a slot is found by a shift, and
/// read from one line.
#[derive(Clone, Copy)]
#[repr(align(64))]
struct Slot {
    /// The key's bytes, zero-padded, as four little-endian words.
    words: [u64; 4],
    len: usize,
    /// The key's index in the list the table was built from; `usize::MAX` if empty.
    field: usize,
}

const EMPTY: Slot = Slot { words: [0; 4], len: 0, field: usize::MAX };

/// The bytes of `key` (at most [`MAX_KEY`], zero-padded) as four little-endian words.
const fn key_words(key: &[u8]) -> [u64; 4] {
    let mut words = [0u64; 4];
    let mut i = 0;
    while i < key.len() && i < MAX_KEY {
        words[i / 8] |= (key[i] as u64) << ((i % 8) * 8);
        i += 1;
    }
    words
}

/// The slot of a key whose first eight bytes are `first` (zero-padded): they
/// and the length tell the known keys apart.
const fn slot_of(first: u64, len: usize, multiplier: u64) -> usize {
    let mixed = first ^ ((len as u64) << 59);
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
                let at = slot_of(words[0], key.len(), multiplier);
                if slots[at].field != usize::MAX {
                    ok = false;
                }
                slots[at] = Slot { words, len: key.len(), field: i };
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

    /// The index of the key `b[start..end]`, if known. It calls nothing: a
    /// long key is compared by two more words (not by `memcmp`), a line's last
    /// bytes are read by a shift (not copied by `memcpy`); 31 instructions a
    /// line fewer.
    #[inline]
    pub fn find(&self, b: &[u8], start: usize, end: usize) -> Option<usize> {
        let len = end.wrapping_sub(start);
        if len.wrapping_sub(1) >= MAX_KEY {
            return None;
        }
        // The key's `k`th eight bytes, zero-padded.
        let word = |k: usize| word_at(b, start + 8 * k, 0) & KEY_MASKS[k][len];
        // The second is loaded whatever the length (its mask is zero up to
        // eight bytes): a branch on `len > 8` was mispredicted three times a line.
        // Both by one check of the line's end, where sixteen bytes are left
        // (all but a line's last key or two).
        let (first, second) = match b.get(start..start + 16) {
            Some(bytes) => {
                let (mut low, mut high) = ([0u8; 8], [0u8; 8]);
                low.copy_from_slice(&bytes[..8]);
                high.copy_from_slice(&bytes[8..]);
                (u64::from_le_bytes(low) & KEY_MASKS[0][len], u64::from_le_bytes(high) & KEY_MASKS[1][len])
            }
            None => (word(0), word(1)),
        };
        let slot = &self.slots[slot_of(first, len, self.multiplier)];
        (slot.len == len
            && slot.words[0] == first
            && slot.words[1] == second
            && (len <= 16 || (slot.words[2] == word(2) && slot.words[3] == word(3))))
        .then_some(slot.field)
    }
}

/// The bytes of a key of each length (up to [`MAX_KEY`]) in each of its four
/// words: masks, so that finding a key takes no branch on its length.
const KEY_MASKS: [[u64; MAX_KEY + 1]; 4] = [key_masks(0), key_masks(8), key_masks(16), key_masks(24)];

const fn key_masks(skip: usize) -> [u64; MAX_KEY + 1] {
    let mut masks = [0u64; MAX_KEY + 1];
    let mut len = 0;
    while len <= MAX_KEY {
        let bytes = len.saturating_sub(skip);
        masks[len] = if bytes >= 8 { u64::MAX } else { (1u64 << (bytes * 8)) - 1 };
        len += 1;
    }
    masks
}

/// The eight bytes of `b` from `at`, as a little-endian word; bytes past the
/// end of `b` read as `pad`.
#[inline(always)]
fn word_at(b: &[u8], at: usize, pad: u8) -> u64 {
    match b.get(at..at + 8) {
        Some(bytes) => {
            let mut word = [0u8; 8];
            word.copy_from_slice(bytes);
            u64::from_le_bytes(word)
        }
        None => tail_word(b, at, pad),
    }
}

/// [`word_at`] near the end of `b`: the line's last eight bytes shifted down
/// (or, in a line shorter than that, a byte at a time), padded: no call (a
/// copy of the tail was a call to `memcpy`) in the loops it is inlined into.
#[inline(always)]
fn tail_word(b: &[u8], at: usize, pad: u8) -> u64 {
    let pads = u64::from_le_bytes([pad; 8]);
    // The bytes of `b` from `at` (none if `at` is past the end).
    let n = b.len().saturating_sub(at).min(8);
    if n == 0 {
        return pads;
    }
    let tail = match b.last_chunk::<8>() {
        Some(last) => u64::from_le_bytes(*last) >> (8 * (8 - n)),
        None => b.get(at..).unwrap_or_default().iter().rev().fold(0u64, |word, &c| (word << 8) | u64::from(c)),
    };
    // `n` is 1..=7 here: the shift is in range.
    tail | (pads << (8 * n))
}

/// Powers of ten, exact in both types.
const POW10_INT: [u64; 8] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];
const POW10_FLOAT: [f64; 8] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7];

/// The run of ASCII digits at `b[at..]` if shorter than eight, and its value:
/// found and converted eight bytes at once, without a branch a digit (whose
/// mispredicted exits were a sixth of a fold's mispredictions). `(8, _)` means
/// the run may go on.
#[inline(always)]
fn digit_run(b: &[u8], at: usize) -> (usize, u64) {
    // Digits become 0..=9; any other byte (past the end: 'x') gets its high
    // bit set (with +0x76 for 10..=0x7f), and a carry it makes only reaches
    // bytes after it.
    let values = word_at(b, at, b'x') ^ 0x3030_3030_3030_3030;
    let other = (values.wrapping_add(0x7676_7676_7676_7676) | values) & 0x8080_8080_8080_8080;
    let count = (other.trailing_zeros() / 8) as usize;
    if count == 0 || count == 8 {
        return (count, 0);
    }
    (count, digits_value(values, count))
}

/// The value of the `count` (1..=8) digits in the low bytes of `values` (each
/// 0..=9, the first lowest; the bytes above them ignored).
#[inline(always)]
fn digits_value(values: u64, count: usize) -> u64 {
    // The run's digits at the top, zeros (leading zeros) below: the first digit
    // is the lowest byte, as simdjson's eight-digit conversion expects.
    let v = values << (8 * (8 - count));
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    let v = ((v & 0x0000_00ff_0000_00ff).wrapping_mul(0x000f_4240_0000_0064)
        + ((v >> 16) & 0x0000_00ff_0000_00ff).wrapping_mul(0x0000_2710_0000_0001))
        >> 32;
    v & 0xffff_ffff
}

/// A number that fills `b[start..end]` exactly, of at most eight bytes and no
/// sign: an integer, or digits either side of one point. Its shape and value
/// bits, exactly as [`Reader::capture`] reads it, from one word: the bounds
/// are known (a bounded field's), so neither the end of the digits nor the
/// point is searched for, as [`quick_number`] does. `None` for anything else
/// (a sign, an exponent, whitespace before the separator, more bytes), which
/// `quick_number` and the reader read.
#[inline(always)]
fn bounded_number(b: &[u8], start: usize, end: usize) -> Option<(Shape, u64)> {
    let len = end.wrapping_sub(start);
    if len.wrapping_sub(1) >= 8 {
        return None;
    }
    // The number's bytes as digit values (0..=9 for a digit), zero above them.
    let values = (word_at(b, start, b'x') ^ 0x3030_3030_3030_3030) & (u64::MAX >> (8 * (8 - len)));
    // The high bit of each byte that is not a digit, exactly (no carry between
    // bytes: the low seven bits plus 0x76 stay below 0x100).
    let other = (((values & LOW7).wrapping_add(0x7676_7676_7676_7676)) | values) & 0x8080_8080_8080_8080;
    let first_zero = values & 0xff == 0;
    if other == 0 {
        // No leading zero but in "0" itself.
        if first_zero && len > 1 {
            return None;
        }
        return Some((Shape::Int, digits_value(values, len)));
    }
    // One point ('.' ^ 0x30 is 0x1e), with digits either side, and the rest digits.
    let point = zero_bytes(values ^ 0x1e1e_1e1e_1e1e_1e1e) & other;
    let at = (point.trailing_zeros() / 8) as usize;
    if point != other || other.count_ones() != 1 || at == 0 || at + 1 == len || (first_zero && at > 1) {
        return None;
    }
    // The digits without the point: those after it moved down a byte.
    let below = (1u64 << (8 * at)) - 1;
    let digits = (values & below) | ((values >> 8) & !below);
    let places = len - 1 - at;
    // At most seven digits: the conversion from i64 and the one division by an
    // exact power of ten round once, as the reader's do.
    let v = digits_value(digits, len - 1) as i64 as f64 / POW10_FLOAT[places];
    Some((Shape::Float, v.to_bits()))
}

/// A number at `at` of the usual kind (an integer of up to seven digits, or
/// one with up to seven after its point, no exponent): its shape, value bits
/// and end, exactly as [`Reader::capture`] reads it (the same rounding: one
/// exact division). `None` for anything else, which the reader reads.
#[inline(always)]
fn quick_number(b: &[u8], at: usize) -> Option<(Shape, u64, usize)> {
    let neg = b.get(at) == Some(&b'-');
    let start = at + usize::from(neg);
    let (count, int) = digit_run(b, start);
    if count == 0 || count == 8 || (count > 1 && b.get(start) == Some(&b'0')) {
        return None;
    }
    let mut end = start + count;
    match b.get(end) {
        Some(b'.') => {
            let (places, fraction) = digit_run(b, end + 1);
            if places == 0 || places == 8 {
                return None;
            }
            end += 1 + places;
            // Seven digits at most each side: at most 14 significant digits,
            // within the 15 the reader rounds with one exact division.
            if matches!(b.get(end), Some(b'e' | b'E')) {
                return None;
            }
            let mantissa = int * POW10_INT[places] + fraction;
            // Below 10^14, so the conversion from i64 (one instruction; from
            // u64, four) is exact.
            let v = mantissa as i64 as f64 / POW10_FLOAT[places];
            Some((Shape::Float, (if neg { -v } else { v }).to_bits(), end))
        }
        Some(b'e' | b'E') => None,
        _ => {
            let v = int as i64;
            Some((Shape::Int, (if neg { -v } else { v }) as u64, end))
        }
    }
}

/// A cursor over a line: its bytes, its quotes, the byte reader for numbers
/// and literals.
struct Walker<'r, 'a> {
    reader: &'r mut Reader<'a>,
    b: &'a [u8],
    strings: Strings<'r>,
    backslash: bool,
}

/// The line's strings, met in the order of their quotes: a copy is kept in
/// registers by the walk's loop, which a `Walker` (whose address the calls
/// out of line take) is not.
#[derive(Clone, Copy)]
struct Strings<'r> {
    /// The positions of the line's quotes, then its length four times
    /// ([`Structure::quotes_then_end`]).
    quotes: &'r [u32],
    /// The index in `quotes` of the next string's opening quote. A `u32`
    /// (a line has fewer than 2^32 bytes): then `i + 2` cannot overflow a
    /// `usize`, and each slice of `quotes` is one check, not two.
    next_quote: u32,
}

impl Strings<'_> {
    /// A string opening at `at` (a '"' outside any string); returns the
    /// position after the quote that closes it: the next two quotes, whatever
    /// the string's length.
    #[inline(always)]
    fn string(&mut self, at: usize) -> Walk<usize> {
        let i = self.next_quote as usize;
        match self.quotes.get(i..i + 2) {
            // Anything else (not a quote at `at`, or the line's end, where the
            // two positions are the same) is not JSON.
            Some(&[open, close]) if open as usize == at && close > open => {
                self.next_quote += 2;
                Ok(close as usize + 1)
            }
            _ => Err(GiveUp),
        }
    }

    /// Where the value of a known field ends, without reading it, if the
    /// member is in the usual compact form (`"key":value` then ',' and the next
    /// key, or the closing '}'): a string ends after its closing quote (of
    /// the next two quote positions), a number or
    /// literal (which holds no quote) at the ',' before the next key's quote,
    /// or at the line's last byte.
    /// Records the bounds in `span` and returns the separator's position;
    /// `None` (nothing changed) for any other form, which
    /// [`Walker::member_rest`] reads. Why: the kind of value decides nothing
    /// here but which end is kept, so a line whose keys come in any order
    /// costs no mispredicted branch on it; [`Walker::finish`] reads the values
    /// in field order, where the kinds come in the same order for every line of
    /// a type.
    ///
    /// The value's first byte is not read: a value that is not a string
    /// (whose first byte is not a quote, so the next quote is past it) and
    /// holds no quote is bounded whatever it is (whitespace before it, an
    /// empty object, an array of numbers, something invalid), and `finish`
    /// reads it as the walk would have. Checking the first byte here cost
    /// eight instructions a member for values that hardly ever come.
    ///
    /// The next two quotes are read here, not with the key's (by the same
    /// check of the list's end, as they were): held from the key's read to
    /// here, they were spilled to the stack and read back, 48 instructions a
    /// line more.
    #[inline(always)]
    fn bound(&mut self, b: &[u8], after_key: usize, span: &mut Span) -> Option<usize> {
        let start = after_key + 1;
        if b.get(after_key) != Some(&b':') {
            return None;
        }
        // The next two quotes, or the line's end where there are none (the
        // list ends with its length four times).
        let i = self.next_quote as usize;
        let &[open, close] = self.quotes.get(i..i + 2)? else { return None };
        let (open, close) = (open as usize, close as usize);
        // The value is a string if and only if the next quote opens it (a
        // quote right after the ':' cannot be escaped): told from the quotes
        // alone, not by a load of its first byte, which put the load of a
        // line's every member after the one before it (the quote to read next
        // depends on it).
        let string = open == start;
        // Chosen without a branch: which kind comes is as unpredictable as
        // the keys' order (as a branch, it was five mispredictions a line in
        // cachegrind's model).
        let end = std::hint::select_unpredictable(string, close + 1, open.wrapping_sub(1));
        let separator = *b.get(end)?;
        // After a string, the next key must follow the ',' at once (after a
        // scalar it does: its quote was the one that bounded it).
        let next_key = b.get(end + 1) == Some(&b'"');
        let fits = separator == b'}' || (separator == b',' && (next_key | !string));
        if !fits {
            return None;
        }
        self.next_quote += 2 * u32::from(string);
        span.start = start as u32;
        span.end = end as u32;
        // A string is read (but for escapes, which only a line with a
        // backslash may have); the rest waits for `finish`.
        span.shape = if string { Shape::PlainString } else { Shape::Absent };
        Some(end)
    }
}

impl Walker<'_, '_> {
    /// The byte at `at` must be `c`; returns the position after it.
    #[inline]
    fn expect(&self, at: usize, c: u8) -> Walk<usize> {
        if self.b.get(at) == Some(&c) { Ok(at + 1) } else { Err(GiveUp) }
    }

    /// The first position at or after `at` that is not whitespace.
    #[inline]
    fn ws(&self, at: usize) -> usize {
        // Writers rarely put whitespace between tokens: one compare, usually.
        match self.b.get(at) {
            Some(&c) if c > b' ' => at,
            _ => self.ws_run(at),
        }
    }

    #[cold]
    fn ws_run(&self, mut at: usize) -> usize {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(at) {
            at += 1;
        }
        at
    }

    #[inline]
    fn string(&mut self, at: usize) -> Walk<usize> {
        self.strings.string(at)
    }

    /// Any value starting at `at`, `depth` containers deep; returns its end.
    fn value(&mut self, at: usize, depth: u32) -> Walk<usize> {
        match self.b.get(at) {
            Some(b'"') => self.string(at),
            Some(b'{') => self.object(at, depth + 1),
            Some(b'[') => self.array(at, depth + 1),
            Some(b'-' | b'0'..=b'9') if let Some((_, _, end)) = quick_number(self.b, at) => Ok(end),
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
        // Usually the separator comes right after the value, and the next one
        // right after it.
        match self.b.get(at) {
            Some(b',') if self.b.get(at + 1).is_some_and(|&c| c > b' ') => return Ok((at + 1, false)),
            Some(&c) if c == close => return Ok((at + 1, true)),
            _ => {}
        }
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
        if self.b.get(after_key) == Some(&b':') && self.b.get(after_key + 1).is_some_and(|&c| c > b' ') {
            return Ok(after_key + 1);
        }
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
            Some(b'-' | b'0'..=b'9') if let Some((shape, num, end)) = quick_number(self.b, at) => {
                span.num = num;
                (end, shape)
            }
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

    /// The second pass over the fields [`Walker::bound`] bounded but did not
    /// read (bits of `bounded`, by index into `spans`), in field order: each
    /// value's kind, and a number's or literal's value, which must fill its
    /// bounds exactly.
    fn finish(&mut self, mut bounded: u64, spans: &mut [Span]) -> Walk<()> {
        // The line, held here: the calls out of line for unusual values take
        // `self`, after which `self.b` would be loaded again each field.
        let (b, backslash) = (self.b, self.backslash);
        while bounded != 0 {
            let field = bounded.trailing_zeros() as usize;
            bounded &= bounded - 1;
            let span = spans.get_mut(field).ok_or(GiveUp)?;
            let (start, end) = (span.start as usize, span.end as usize);
            let literal = |word: &[u8]| b.get(start..end) == Some(word);
            if b.get(start) == Some(&b'"') {
                let escaped = backslash && memchr::memchr(b'\\', &b[start + 1..end - 1]).is_some();
                span.shape = if escaped { Shape::EscapedString } else { Shape::PlainString };
                continue;
            }
            // A number filling its bounds, the usual value, is read first; a
            // literal is told by its first byte before another number is tried.
            if let Some((shape, num)) = bounded_number(b, start, end) {
                span.shape = shape;
                span.num = num;
                continue;
            }
            let first = b.get(start).copied();
            let value_end = if first == Some(b't') && literal(b"true") {
                span.shape = Shape::True;
                end
            } else if first == Some(b'f') && literal(b"false") {
                span.shape = Shape::False;
                end
            } else if let Some((shape, num, number_end)) = quick_number(b, start) {
                span.shape = shape;
                span.num = num;
                number_end
            } else {
                self.unusual_value(start, span)?
            };
            // Only JSON's whitespace (not all of ASCII's) may stand between a
            // value and its separator.
            let json_space = |gap: &[u8]| gap.iter().all(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'));
            if value_end != end && !b.get(value_end..end).is_some_and(json_space) {
                return Err(GiveUp);
            }
            span.end = value_end as u32;
        }
        Ok(())
    }

    /// A bounded value that is neither a number nor a literal in the usual
    /// form: after whitespace, any value (one with a quote in it was not
    /// bounded), read as [`Walker::capture`] reads a member's value. Returns
    /// its end.
    #[inline(never)]
    fn unusual_value(&mut self, start: usize, span: &mut Span) -> Walk<usize> {
        let at = self.ws(start);
        self.capture(at, span)
    }

    /// The rest of a member whose key ends at `after_key`, in any form: its
    /// value (captured into `span` for a known field) and the separator after
    /// it. Out of line: the walk's loop keeps its registers for the usual form.
    #[inline(never)]
    fn member_rest(&mut self, after_key: usize, span: Option<&mut Span>) -> Walk<(usize, bool)> {
        let value = self.colon_after(after_key)?;
        let end = match span {
            Some(span) => self.capture(value, span)?,
            None => self.value(value, 1)?,
        };
        self.separator(end, b'}')
    }
}

impl Reader<'_> {
    /// Reads the line's top-level object by its `structure`, capturing the value
    /// of each key `keys` knows into `spans` (which must all be absent) and
    /// validating the rest, as [`Reader::capture_object`] followed by
    /// [`Reader::end`] would, or gives up.
    pub fn capture_indexed(&mut self, structure: &Structure, keys: &KeyTable, spans: &mut [Span]) -> Walk<()> {
        let b = self.b;
        if !structure.quotes().len().is_multiple_of(2) {
            // A string left open: not JSON, which the byte reader words.
            return Err(GiveUp);
        }
        let quotes = structure.quotes_then_end();
        let (mut strings, backslash) = (Strings { quotes, next_quote: 0 }, structure.backslash);
        let mut w = Walker { reader: self, b, strings, backslash };
        let mut at = w.ws(w.expect(w.ws(0), b'{')?);
        let mut closed = b.get(at) == Some(&b'}');
        if closed {
            at += 1;
        }
        // The known fields only bounded so far (a [`KeyTable`] has at most 64
        // keys).
        let mut bounded = 0u64;
        while !closed {
            let after_key = strings.string(at)?;
            let key = (at + 1, after_key - 1);
            if backslash && memchr::memchr(b'\\', &b[key.0..key.1]).is_some() {
                // An escaped key must be unescaped to be known: rare enough to leave.
                return Err(GiveUp);
            }
            let field = keys.find(b, key.0, key.1);
            if let Some(i) = field
                && let Some(span) = spans.get_mut(i)
            {
                if span.end != 0 {
                    // A duplicate (a field met has an end, past the line's
                    // '{'): an error the byte reader words. Told by the span
                    // about to be written, not by a mask of fields met, which
                    // took a register the loop spilled.
                    return Err(GiveUp);
                }
                let bit = 1u64 << i;
                if let Some(separator) = strings.bound(b, after_key, span) {
                    let read = span.shape == Shape::PlainString && !backslash;
                    bounded |= bit & u64::from(read).wrapping_sub(1);
                    at = separator + 1;
                    closed = b.get(separator) == Some(&b'}');
                    continue;
                }
            }
            w.strings = strings;
            (at, closed) = w.member_rest(after_key, field.and_then(|i| spans.get_mut(i)))?;
            strings = w.strings;
        }
        if w.ws(at) != b.len() {
            return Err(GiveUp);
        }
        w.finish(bounded, spans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_numbers_are_the_readers_numbers() {
        let mut rng = crate::synth::Rng::new(11);
        let mut cases: Vec<String> = [
            "0",
            "-0",
            "7",
            "1234567",
            "12345678",
            "0.5",
            "-0.002469",
            "2522.2",
            "0.0000001",
            "0.1234567",
            "1.0",
            "00",
            "01",
            "-",
            "1.",
            ".5",
            "1e5",
            "1.5E-3",
            "0.00000000",
            "9999999.9999999",
            "1234567.1234567",
            "1x",
            "1.2.3",
            "-01",
            "0.12345678",
            "12.3e",
            "5,",
            "5}",
            "-7]",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for _ in 0..20_000 {
            let int = rng.below(10_000_000);
            let places = rng.below(9);
            let fraction: String = (0..places).map(|_| char::from(b'0' + rng.below(10) as u8)).collect();
            let sign = if rng.chance(0.2) { "-" } else { "" };
            cases.push(if places == 0 { format!("{sign}{int}") } else { format!("{sign}{int}.{fraction}") });
        }
        for case in &cases {
            let Some((shape, num, end)) = quick_number(case.as_bytes(), 0) else { continue };
            let mut reader = Reader::new(case);
            let want = reader.capture().expect(case);
            assert_eq!((shape, num, end as u32), (want.shape, want.num, want.end), "{case}");
            assert_eq!(reader.pos, end, "{case}");
        }
        // Bounded: every prefix of every case (whatever follows the bounds).
        let mut bounded = 0;
        for case in &cases {
            for end in 0..=case.len() {
                let Some((shape, num)) = bounded_number(case.as_bytes(), 0, end) else { continue };
                let text = &case[..end];
                let mut reader = Reader::new(text);
                let want = reader.capture().expect(text);
                assert_eq!((shape, num, end as u32), (want.shape, want.num, want.end), "{text} of {case}");
                bounded += 1;
            }
        }
        assert!(bounded > 20_000, "{bounded}");
        for usual in ["0", "7", "1207", "12345678", "0.5", "2522.2", "0.002469", "1234.567", "999999.9"] {
            assert!(bounded_number(usual.as_bytes(), 0, usual.len()).is_some(), "{usual}");
            // Bounded within a line too.
            let line = format!("{{\"x\":{usual},\"y\":1}}");
            assert!(bounded_number(line.as_bytes(), 5, 5 + usual.len()).is_some(), "{usual}");
        }
        for other in ["", "-1", "01", "00", "01.5", "1.", ".5", "1e5", "1.2.3", "1 ", "123456789", "1.234567e", "tru"] {
            assert!(bounded_number(other.as_bytes(), 0, other.len()).is_none(), "{other}");
        }
        // The usual ones are taken, the rest left to the reader.
        assert!(quick_number(b"2522.2,", 0).is_some() && quick_number(b"-0.002469}", 0).is_some());
        for other in ["01", "1e5", "12345678", "0.12345678", "1.", "-", "1.5E-3"] {
            assert!(quick_number(other.as_bytes(), 0).is_none(), "{other}");
        }
    }

    #[test]
    fn words_near_the_end_are_padded() {
        let line = b"0123456789abcdefghij";
        for len in 0..=line.len() {
            let b = &line[..len];
            for at in 0..len + 10 {
                let mut want = [b'x'; 8];
                for (i, byte) in want.iter_mut().enumerate() {
                    if let Some(&c) = b.get(at + i) {
                        *byte = c;
                    }
                }
                assert_eq!(word_at(b, at, b'x'), u64::from_le_bytes(want), "{len} {at}");
            }
        }
    }

    const KEYS: &[&str] = &[
        "v",
        "ts",
        "type",
        "cache_write_tokens",
        "cache_write_1h_tokens",
        "a_key_longer_than_16",
        "ab",
        "a_key_of_thirty_two_bytes_long_x",
    ];
    const TABLE: KeyTable = KeyTable::new(KEYS);

    #[test]
    fn the_key_table_finds_each_key_and_nothing_else() {
        for (i, key) in KEYS.iter().enumerate() {
            let line = format!("\"{key}\":1");
            assert_eq!(TABLE.find(line.as_bytes(), 1, 1 + key.len()), Some(i), "{key}");
            // At the very end of the buffer too.
            assert_eq!(TABLE.find(key.as_bytes(), 0, key.len()), Some(i), "{key}");
        }
        for other in [
            "",
            "t",
            "typ",
            "types",
            "cache_write_1h_tokenz",
            "cache_write_tokens_",
            "a_key_longer_than_1",
            "ba",
            "a_key_of_thirty_two_bytes_long_y",
            "a_key_of_thirty_two_bytes_long_",
        ] {
            assert_eq!(TABLE.find(other.as_bytes(), 0, other.len()), None, "{other}");
        }
        assert_eq!(TABLE.find(&[b'x'; 40], 0, 40), None);
    }
}
