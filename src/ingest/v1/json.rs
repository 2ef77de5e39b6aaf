//! A strict JSON reader specialised for event lines.
//!
//! Two ways through a line: the indexed walk (`structure.rs` finds the quotes 64
//! bytes at a time, `walk.rs` reads the rest by them), which reads nearly every
//! line, and this byte-at-a-time [`Reader`], which reads what the walk gives up
//! on and is the one source of verdicts and error messages. Both are checked
//! against serde_json, and the walk against the reader, on mutated lines.
//!
//! Why not serde_json: folding a log must be faster than merely parsing it with
//! serde_json (see the fold benchmark), and serde's visitor machinery costs more per
//! field than the whole fold may spend. This reader validates the full JSON
//! grammar (RFC 8259: strings, escapes, numbers, literals, nesting) in one pass,
//! captures only the fields the event format knows, and skips the rest without
//! building anything. It is checked against serde_json on valid and mutated input
//! by the tests in `tests.rs`.
//!
//! The input is a `&str`: UTF-8 is validated once for the whole line beforehand,
//! which also makes every slice taken between ASCII delimiters valid UTF-8.

use std::borrow::Cow;

mod structure;
mod walk;

pub(super) use structure::Structure;
pub(super) use walk::KeyTable;

/// Nesting deeper than this is rejected, as serde_json does.
const MAX_DEPTH: u32 = 128;

/// Any JSON value of a known field, captured without judging its type. Built
/// only for what a span does not hold directly (escaped strings, arrays), so
/// some payloads are read only by tests.
#[derive(Debug, Default)]
#[expect(dead_code, reason = "some payloads are read only by tests, or not at all")]
pub(super) enum Value<'a> {
    #[default]
    Absent,
    Null,
    Bool(bool),
    Int(i64),
    /// An integer outside i64, or a number with a fraction or exponent.
    OtherNumber(f64),
    Str(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    /// An object, as its raw (validated) JSON text.
    Object(&'a str),
}

/// What kind of value a [`Span`] holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Shape {
    #[default]
    Absent,
    Null,
    True,
    False,
    /// A number and its value, in `Span::num`.
    Int,
    Float,
    /// A number too large for f64: an error only where a field reads it.
    OutOfRange,
    /// A string without escapes: its content is the text between the quotes.
    PlainString,
    EscapedString,
    Array,
    Object,
}

/// Where a validated value stands in the line, and what it is. Capturing spans
/// instead of values keeps the first pass free of allocation and moves; a value
/// is built later, only if its event type reads that field.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Span {
    start: u32,
    end: u32,
    pub shape: Shape,
    /// The bits of the i64 or f64 of a number.
    num: u64,
}

impl Span {
    /// A field that was not in the line.
    pub const ABSENT: Span = Span { start: 0, end: 0, shape: Shape::Absent, num: 0 };

    pub fn is_absent(self) -> bool {
        self.shape == Shape::Absent
    }

    /// The content of a [`Shape::PlainString`] span.
    #[inline]
    pub fn plain_str<'a>(self, text: Text<'a>) -> &'a str {
        text.between(self.start as usize + 1, (self.end as usize).saturating_sub(1))
    }

    /// The raw text of the span (an object's JSON).
    #[inline]
    pub fn raw<'a>(self, text: Text<'a>) -> &'a str {
        text.between(self.start as usize, self.end as usize)
    }

    /// The value of a [`Shape::Int`] span.
    #[inline]
    pub fn int(self) -> i64 {
        self.num as i64
    }

    /// The value of a [`Shape::Float`] span.
    #[inline]
    pub fn float(self) -> f64 {
        f64::from_bits(self.num)
    }

    /// The value of this span of `text` (the line it was captured from).
    /// Inlined so that each field's read has its own, well-predicted branch.
    #[inline(always)]
    pub fn value<'a>(self, text: Text<'a>) -> Res<Value<'a>> {
        let (start, end) = (self.start as usize, self.end as usize);
        Ok(match self.shape {
            Shape::Absent => Value::Absent,
            Shape::Null => Value::Null,
            Shape::True => Value::Bool(true),
            Shape::False => Value::Bool(false),
            Shape::PlainString => Value::Str(Cow::Borrowed(text.between(start + 1, end.saturating_sub(1)))),
            Shape::Object => Value::Object(text.between(start, end)),
            Shape::Int => Value::Int(self.num as i64),
            Shape::Float => Value::OtherNumber(f64::from_bits(self.num)),
            Shape::OutOfRange => return Err(JsonError { what: "number out of range", column: start + 1, key: None }),
            Shape::EscapedString | Shape::Array => {
                let mut r = Reader::new(text.str);
                r.pos = start;
                r.value()?
            }
        })
    }
}

/// A line's text, and whether it is all ASCII: then every index is a
/// character boundary, and a slice of it needs only its bounds checked (the
/// boundary checks were 100 instructions a line, 1.8 % of a fold).
#[derive(Debug, Clone, Copy)]
pub(super) struct Text<'a> {
    pub str: &'a str,
    /// 1 where all ASCII, else 0. A word, not a `bool`: the text is written to
    /// the stack and copied by words, and a word read back from a byte's
    /// store stalled (1.4 % of a fold's time, by `perf annotate`).
    ascii: usize,
}

impl<'a> Text<'a> {
    /// Text of any content: its slices check character boundaries.
    pub fn new(str: &'a str) -> Self {
        Text { str, ascii: 0 }
    }

    /// Bytes known to be ASCII, as text.
    ///
    /// # Safety
    /// Every byte of `bytes` is below 0x80.
    pub unsafe fn ascii(bytes: &'a [u8]) -> Self {
        debug_assert!(bytes.is_ascii());
        // SAFETY: ASCII is valid UTF-8 (the caller's promise).
        Text { str: unsafe { std::str::from_utf8_unchecked(bytes) }, ascii: 1 }
    }

    /// `str[start..end]`, or "" where that is not a slice of it: `str::get`,
    /// inlined (out of line at each of the 25 places an event's strings are
    /// taken, it was 2 % of a fold), without its boundary checks in ASCII.
    #[inline(always)]
    fn between(self, start: usize, end: usize) -> &'a str {
        let text = self.str;
        if start <= end
            && end <= text.len()
            && (self.ascii != 0 || (text.is_char_boundary(start) && text.is_char_boundary(end)))
        {
            // SAFETY: what `str::get` checks, checked: within bounds, on character
            // boundaries (every index of ASCII text is one).
            unsafe { text.get_unchecked(start..end) }
        } else {
            ""
        }
    }
}

/// A number's value, as read.
enum Number {
    Int(i64),
    Float(f64),
    OutOfRange,
}

/// Why a line is not valid JSON, with the byte column it was noticed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct JsonError {
    pub what: &'static str,
    pub column: usize,
    /// A key the error is about, if any.
    pub key: Option<&'static str>,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.column, self.key) {
            (0, _) => f.write_str(self.what),
            (column, None) => write!(f, "not valid JSON: {} at column {column}", self.what),
            (column, Some(key)) => write!(f, "{} `{key}` at column {column}", self.what),
        }
    }
}

type Res<T> = Result<T, JsonError>;

/// A cursor over one line.
pub(super) struct Reader<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    depth: u32,
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Marks (in the high bit of each byte) the bytes of `w` that end a plain run of
/// string content: '"', '\\' or a control character. The lowest mark is exact.
#[inline]
fn specials(w: u64) -> u64 {
    let quote = w ^ (LO * u64::from(b'"'));
    let backslash = w ^ (LO * u64::from(b'\\'));
    let zero = |v: u64| v.wrapping_sub(LO) & !v;
    (zero(quote) | zero(backslash) | (w.wrapping_sub(LO * 0x20) & !w)) & HI
}

impl<'a> Reader<'a> {
    pub fn new(text: &'a str) -> Self {
        Reader { text, b: text.as_bytes(), pos: 0, depth: 0 }
    }

    /// An error noticed at the current position.
    pub fn error(&self, what: &'static str) -> JsonError {
        JsonError { what, column: self.pos + 1, key: None }
    }

    fn err<T>(&self, what: &'static str) -> Res<T> {
        Err(self.error(what))
    }

    /// Whether the next byte is `c`.
    pub fn at(&self, c: u8) -> bool {
        self.peek() == Some(c)
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    #[inline]
    pub fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    #[inline]
    fn expect(&mut self, c: u8, what: &'static str) -> Res<()> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            self.err(what)
        }
    }

    /// After the top-level value: only whitespace may follow.
    pub fn end(&mut self) -> Res<()> {
        self.skip_ws();
        if self.pos == self.b.len() { Ok(()) } else { self.err("trailing characters") }
    }

    /// Reads the members of an object whose '{' is next, handing each key to
    /// `member`, which must consume the value (with [`Reader::value`] or
    /// [`Reader::skip`]).
    pub fn object(&mut self, mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Res<()>) -> Res<()> {
        self.expect(b'{', "expected '{'")?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return self.err("expected a string key");
            }
            let key = self.string()?;
            self.expect(b':', "expected ':'")?;
            self.skip_ws();
            member(self, key)?;
            if !self.more_members()? {
                return Ok(());
            }
        }
    }

    /// Reads an object whose '{' is next, capturing the value of each key found
    /// by `index` into `spans` and validating and skipping the others. A key that
    /// comes twice is an error. The byte-at-a-time reading, for lines the
    /// indexed walk (`walk.rs`) gives up on: it says what is wrong.
    pub fn capture_object(
        &mut self,
        keys: &[&'static str],
        index: fn(&str) -> Option<usize>,
        spans: &mut [Span],
    ) -> Res<()> {
        self.expect(b'{', "expected '{'")?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return self.err("expected a string key");
            }
            let key = self.string()?;
            let field = index(&key);
            self.expect(b':', "expected ':'")?;
            self.skip_ws();
            match field {
                Some(i) => {
                    if !spans[i].is_absent() {
                        return Err(JsonError {
                            what: "duplicate field",
                            column: self.pos + 1,
                            key: keys.get(i).copied(),
                        });
                    }
                    spans[i] = self.capture()?;
                }
                None => self.skip()?,
            }
            if !self.more_members()? {
                return Ok(());
            }
        }
    }

    /// Validates and skips any value, returning where it stands and its shape.
    pub fn capture(&mut self) -> Res<Span> {
        let start = self.pos;
        let shape = match self.peek() {
            Some(b'"') => {
                if self.skip_string()? {
                    Shape::EscapedString
                } else {
                    Shape::PlainString
                }
            }
            Some(b'{') => {
                self.skip()?;
                Shape::Object
            }
            Some(b'[') => {
                self.skip()?;
                Shape::Array
            }
            _ => {
                let mut span = Span::ABSENT;
                self.capture_scalar(&mut span)?;
                return Ok(span);
            }
        };
        Ok(Span { start: start as u32, end: self.pos as u32, shape, num: 0 })
    }

    /// A number or literal, validated and written into `span` in place.
    #[inline]
    pub fn capture_scalar(&mut self, span: &mut Span) -> Res<()> {
        let start = self.pos;
        let (shape, num) = match self.peek() {
            Some(b'-' | b'0'..=b'9') => match self.number()? {
                Number::Int(v) => (Shape::Int, v as u64),
                Number::Float(v) => (Shape::Float, v.to_bits()),
                Number::OutOfRange => (Shape::OutOfRange, 0),
            },
            Some(b't') => self.literal(b"true").map(|()| (Shape::True, 0))?,
            Some(b'f') => self.literal(b"false").map(|()| (Shape::False, 0))?,
            Some(b'n') => self.literal(b"null").map(|()| (Shape::Null, 0))?,
            Some(_) => return self.err("expected a value"),
            None => return self.err("unexpected end of line"),
        };
        span.start = start as u32;
        span.end = self.pos as u32;
        span.shape = shape;
        span.num = num;
        Ok(())
    }

    /// Validates and skips a string whose '"' is next; returns whether it had escapes.
    fn skip_string(&mut self) -> Res<bool> {
        self.pos += 1;
        let mut escaped = false;
        loop {
            self.scan_plain();
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    self.pos += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.pos += 1,
                        Some(b'u') => {
                            self.pos += 1;
                            self.hex4()?;
                        }
                        _ => return self.err("invalid escape"),
                    }
                }
                Some(_) => return self.err("control character in string"),
                None => return self.err("unterminated string"),
            }
        }
    }

    /// Reads a string whose '"' is next; borrowed unless it has escapes.
    fn string(&mut self) -> Res<Cow<'a, str>> {
        self.pos += 1;
        let start = self.pos;
        self.scan_plain();
        match self.peek() {
            Some(b'"') => {
                let s = &self.text[start..self.pos];
                self.pos += 1;
                Ok(Cow::Borrowed(s))
            }
            Some(b'\\') => self.string_with_escapes(start),
            Some(_) => self.err("control character in string"),
            None => self.err("unterminated string"),
        }
    }

    /// Advances over string content up to the next '"', '\\' or control character.
    #[inline]
    fn scan_plain(&mut self) {
        while self.pos + 8 <= self.b.len() {
            let mut word = [0u8; 8];
            word.copy_from_slice(&self.b[self.pos..self.pos + 8]);
            let marks = specials(u64::from_le_bytes(word));
            if marks != 0 {
                self.pos += (marks.trailing_zeros() / 8) as usize;
                return;
            }
            self.pos += 8;
        }
        while let Some(c) = self.peek() {
            if c == b'"' || c == b'\\' || c < 0x20 {
                return;
            }
            self.pos += 1;
        }
    }

    fn string_with_escapes(&mut self, start: usize) -> Res<Cow<'a, str>> {
        let mut out = String::with_capacity(self.pos - start + 16);
        out.push_str(&self.text[start..self.pos]);
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            out.push(self.unicode_escape()?);
                            continue;
                        }
                        _ => return self.err("invalid escape"),
                    };
                    self.pos += 1;
                    out.push(c);
                }
                Some(c) if c < 0x20 => return self.err("control character in string"),
                Some(_) => {
                    let run = self.pos;
                    self.scan_plain();
                    out.push_str(&self.text[run..self.pos]);
                }
                None => return self.err("unterminated string"),
            }
        }
    }

    fn hex4(&mut self) -> Res<u32> {
        let digits = self.b.get(self.pos..self.pos + 4).ok_or(JsonError {
            what: "invalid \\u escape",
            column: self.pos + 1,
            key: None,
        })?;
        let mut v = 0u32;
        for &d in digits {
            let n = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return self.err("invalid \\u escape"),
            };
            v = v * 16 + u32::from(n);
        }
        self.pos += 4;
        Ok(v)
    }

    /// The character of a `\uXXXX` escape (its `\u` consumed), joining a surrogate
    /// pair. A lone surrogate, valid JSON but not a character, reads as U+FFFD.
    fn unicode_escape(&mut self) -> Res<char> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) && self.b.get(self.pos..self.pos + 2) == Some(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            let second = self.hex4()?;
            if (0xDC00..0xE000).contains(&second) {
                let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{fffd}'));
            }
            self.pos = save;
        }
        Ok(char::from_u32(first).unwrap_or('\u{fffd}'))
    }

    /// Reads a number per the JSON grammar, computing its value on the way.
    /// Integers of up to 18 digits and decimals of up to 15 significant digits
    /// with a small exponent (nearly every number in a log) are exact without
    /// a library call: an integer mantissa below 2^53 multiplied or divided by an
    /// exact power of ten rounds once, correctly (Clinger's fast path). The rest
    /// go to the standard library's parser.
    fn number(&mut self) -> Res<Number> {
        const POW10: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
            1e19, 1e20, 1e21, 1e22,
        ];
        let start = self.pos;
        let neg = self.peek() == Some(b'-');
        if neg {
            self.pos += 1;
        }
        let mut mantissa: u64 = 0;
        let mut digits = 0u32;
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                while let Some(d @ b'0'..=b'9') = self.peek() {
                    mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                    digits += 1;
                    self.pos += 1;
                }
            }
            _ => return self.err("invalid number"),
        }
        let mut fraction_digits = 0i32;
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            float = true;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return self.err("invalid number");
            }
            while let Some(d @ b'0'..=b'9') = self.peek() {
                mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                if mantissa != 0 {
                    digits += 1;
                }
                fraction_digits += 1;
                self.pos += 1;
            }
        }
        let mut exponent = 0i32;
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            float = true;
            let negative_exponent = match self.peek() {
                Some(b'-') => {
                    self.pos += 1;
                    true
                }
                Some(b'+') => {
                    self.pos += 1;
                    false
                }
                _ => false,
            };
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return self.err("invalid number");
            }
            while let Some(d @ b'0'..=b'9') = self.peek() {
                exponent = exponent.saturating_mul(10).saturating_add(i32::from(d - b'0'));
                self.pos += 1;
            }
            if negative_exponent {
                exponent = -exponent;
            }
        }
        if !float && digits <= 18 {
            let v = mantissa as i64;
            return Ok(Number::Int(if neg { -v } else { v }));
        }
        let scale = exponent.saturating_sub(fraction_digits);
        if float && digits <= 15 && (-22..=22).contains(&scale) {
            let m = mantissa as f64;
            let v = if scale < 0 { m / POW10[(-scale) as usize] } else { m * POW10[scale as usize] };
            return Ok(Number::Float(if neg { -v } else { v }));
        }
        let text = &self.text[start..self.pos];
        if !float && let Ok(v) = text.parse::<i64>() {
            return Ok(Number::Int(v));
        }
        Ok(match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Number::Float(v),
            _ => Number::OutOfRange,
        })
    }

    /// The literal `word` (`true`, `false` or `null`), which must be next.
    #[inline]
    fn literal(&mut self, word: &'static [u8]) -> Res<()> {
        if self.b.get(self.pos..self.pos + word.len()) != Some(word) {
            return self.err("invalid literal");
        }
        self.pos += word.len();
        Ok(())
    }

    fn nest(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH { self.err("nested too deeply") } else { Ok(()) }
    }

    /// Reads any value (whitespace before it already skipped).
    pub fn value(&mut self) -> Res<Value<'a>> {
        match self.peek() {
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b'{') => {
                let start = self.pos;
                self.skip()?;
                Ok(Value::Object(&self.text[start..self.pos]))
            }
            Some(b'[') => {
                let mut items = Vec::new();
                self.array(|r| {
                    items.push(r.value()?);
                    Ok(())
                })?;
                Ok(Value::Array(items))
            }
            Some(b't') => self.literal(b"true").map(|()| Value::Bool(true)),
            Some(b'f') => self.literal(b"false").map(|()| Value::Bool(false)),
            Some(b'n') => self.literal(b"null").map(|()| Value::Null),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                match self.number()? {
                    Number::Int(v) => Ok(Value::Int(v)),
                    Number::Float(v) => Ok(Value::OtherNumber(v)),
                    Number::OutOfRange => Err(JsonError { what: "number out of range", column: start + 1, key: None }),
                }
            }
            None => self.err("unexpected end of line"),
            Some(_) => self.err("expected a value"),
        }
    }

    /// After an object member: true if a ',' announces another, false at the '}'.
    #[inline]
    fn more_members(&mut self) -> Res<bool> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b'}') => {
                self.pos += 1;
                Ok(false)
            }
            _ => self.err("expected ',' or '}'"),
        }
    }

    /// Reads an array whose '[' is next, handing each element (whitespace before
    /// it skipped) to `item`, which must consume it.
    fn array(&mut self, mut item: impl FnMut(&mut Self) -> Res<()>) -> Res<()> {
        self.nest()?;
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                item(self)?;
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return self.err("expected ',' or ']'"),
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Validates and skips any value without building it. Numbers are checked
    /// against the grammar but not converted, so an out-of-range number in a
    /// field nobody reads does not make a line malformed.
    pub fn skip(&mut self) -> Res<()> {
        match self.peek() {
            Some(b'"') => {
                self.skip_string()?;
            }
            Some(b'{') => {
                self.nest()?;
                self.object(|r, _| {
                    r.skip_ws();
                    r.skip()
                })?;
                self.depth -= 1;
            }
            Some(b'[') => self.array(Self::skip)?,
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
            }
            _ => {
                self.value()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(super) mod tests;
