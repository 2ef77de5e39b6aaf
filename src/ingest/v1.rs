//! The event log, version 1: parsing one line into a validated [`Event`] (the
//! adapter of ajentik's own log format).
//!
//! The contract is in `docs/event-log.md`. Parsing is two steps so that the rules
//! "a known field is checked only on the types that define it" and "an unknown
//! type's other fields are not checked" hold: first every known field is captured
//! leniently (any JSON value is accepted, unknown fields are validated and skipped),
//! then
//! the fields the event's type defines are checked. Strings are borrowed from the
//! line unless they contain escapes.

mod json;

use std::borrow::Cow;
use std::cell::Cell;

use crate::event::{Event, Kind, TokenParts};
use crate::time::{DayCache, Micros, parse_rfc3339_cached};
use json::{JsonError, Reader, Shape, Span, Structure, Text, Value};

/// The schema version this build reads.
pub const SCHEMA_VERSION: i64 = 1;

/// What one line of the log turned out to be.
#[derive(Debug, Clone)]
// Returned by value and taken apart at once for every line: boxing the event
// would cost an allocation a line.
#[expect(clippy::large_enum_variant, reason = "boxing the event would cost an allocation a line")]
pub enum LineOutcome<'a> {
    /// A line of JSON whitespace only: counted as a line, nothing else.
    Blank,
    /// A valid event.
    Event(Event<'a>),
    /// A valid line of a type this build does not know.
    Unknown,
    /// A line with a schema version above [`SCHEMA_VERSION`].
    Unsupported,
    /// Anything else, with a one-line reason.
    Malformed(String),
}

/// Parses one line (without its "\n"). Never panics, whatever the bytes.
pub fn parse_line(line: &[u8]) -> LineOutcome<'_> {
    parse_line_then(line, LineOutcome::clone)
}

/// Parses one line and hands what it is to `then`, by reference, where it was
/// built: an event is a few hundred bytes, and handing it on by value copied
/// it once or twice a line (the fold's hot path takes it here). `FnMut`, not
/// `FnOnce`, though called once: the reading borrows it instead of taking it,
/// and taking it copied its captures (written a word at a time, read back two
/// words at a time: a stall, 1.5 % of a fold's time by `perf annotate`).
#[inline]
pub fn parse_line_then<'a, R>(line: &'a [u8], mut then: impl FnMut(&LineOutcome<'a>) -> R) -> R {
    if line.iter().all(|&c| matches!(c, b' ' | b'\t' | b'\r')) {
        return then(&LineOutcome::Blank);
    }
    SCRATCH.with_borrow_mut(|scratch| {
        let Scratch { structure, days, problem } = scratch;
        let indexed = structure.index(line);
        let text = match text_of(line, structure) {
            Ok(text) => text,
            Err(reason) => return then(&LineOutcome::Malformed(reason)),
        };
        let mut raw = RawEvent { text, spans: [Span::ABSENT; FIELD_COUNT] };
        if let Err(e) = raw.read(structure, indexed) {
            return then(&LineOutcome::Malformed(e.to_string()));
        }
        // Without a backslash a line has no escapes, so its event borrows all its
        // strings; only a heartbeat's list of agents is on the heap. Dropping
        // any other event walked its fields to free nothing (50 instructions a
        // line): it is forgotten instead.
        let borrows_only = indexed && !structure.backslash;
        let validated = raw.validate(days, problem);
        if let Some(problem) = problem.take() {
            drop(validated);
            return then(&LineOutcome::Malformed(problem));
        }
        // By reference: binding the outcome by value copied it out of the result.
        match validated {
            Ok(ref outcome) if borrows_only && !is_heartbeat(outcome) => {
                let reply = then(outcome);
                debug_assert!(!holds_heap(outcome), "an event that owns memory was about to be forgotten");
                std::mem::forget(validated);
                reply
            }
            Ok(ref outcome) => then(outcome),
            Err(reason) => then(&LineOutcome::Malformed(reason)),
        }
    })
}

fn is_heartbeat(outcome: &LineOutcome<'_>) -> bool {
    matches!(outcome, LineOutcome::Event(Event { kind: Kind::Heartbeat { .. }, .. }))
}

/// Whether an outcome owns memory: what dropping it would free.
fn holds_heap(outcome: &LineOutcome<'_>) -> bool {
    let LineOutcome::Event(e) = outcome else { return matches!(outcome, LineOutcome::Malformed(_)) };
    let owned = |s: &Cow<'_, str>| matches!(s, Cow::Owned(_));
    let some_owned = |s: &Option<Cow<'_, str>>| s.as_ref().is_some_and(owned);
    some_owned(&e.session)
        || match &e.kind {
            Kind::AgentRequest { agent, model, error_type, .. } => {
                owned(agent) || some_owned(model) || some_owned(error_type)
            }
            Kind::ToolCall { tool, agent, error_type, error_message, .. } => {
                owned(tool) || some_owned(agent) || some_owned(error_type) || some_owned(error_message)
            }
            Kind::ModelCall { model, provider, agent, .. } => owned(model) || some_owned(provider) || some_owned(agent),
            Kind::Span { name, agent, error_type, error_message, .. } => {
                owned(name) || some_owned(agent) || some_owned(error_type) || some_owned(error_message)
            }
            Kind::Error { component, error_type, message, agent, .. } => {
                owned(component) || owned(error_type) || owned(message) || some_owned(agent)
            }
            Kind::Heartbeat { .. } => true,
        }
}

/// The line as text, once `structure` has indexed it: the first stage also
/// tells whether the line is all ASCII, so only other lines need a full UTF-8
/// check (the JSON reader relies on one).
fn text_of<'a>(line: &'a [u8], structure: &Structure) -> Result<Text<'a>, String> {
    if structure.ascii {
        // SAFETY: `index` found no byte of 0x80 or above.
        return Ok(unsafe { Text::ascii(line) });
    }
    std::str::from_utf8(line).map(Text::new).map_err(|e| format!("not valid UTF-8 at byte {}", e.valid_up_to()))
}

/// The JSON pass alone (UTF-8, the quotes, the walk), for the fold benchmark's breakdown.
#[doc(hidden)]
pub fn scan_only(line: &[u8]) -> bool {
    SCRATCH.with_borrow_mut(|Scratch { structure, .. }| {
        let indexed = structure.index(line);
        let Ok(text) = text_of(line, structure) else { return false };
        let mut raw = RawEvent { text, spans: [Span::ABSENT; FIELD_COUNT] };
        raw.read(structure, indexed).is_ok()
    })
}

/// The first stage alone (the quotes' positions), for the fold benchmark's breakdown.
#[doc(hidden)]
pub fn index_only(line: &[u8]) -> usize {
    SCRATCH.with_borrow_mut(|s| if s.structure.index(line) { s.structure.quotes().len() } else { 0 })
}

/// Declares the fields any v1 type defines: an index for each ([`F`]), their
/// keys, and the lookup from key to index.
macro_rules! fields {
    ($($field:ident = $key:literal),* $(,)?) => {
        /// A known field, as an index into [`RawEvent::spans`].
        #[expect(non_camel_case_types, reason = "the variants are the keys, as written in the log")]
        #[derive(Debug, Clone, Copy)]
        enum F {
            $($field,)*
        }

        /// The keys of the known fields, by [`F`].
        const KEYS: &[&str] = &[$($key,)*];

        /// The same keys, found by a hash of their bytes.
        const KEY_TABLE: json::KeyTable = json::KeyTable::new(KEYS);

        /// The index of a known key.
        fn field_index(key: &str) -> Option<usize> {
            match key {
                $($key => Some(F::$field as usize),)*
                _ => None,
            }
        }
    };
}

fields! {
    v = "v",
    ts = "ts",
    kind = "type",
    trace_id = "trace_id",
    span_id = "span_id",
    parent_span_id = "parent_span_id",
    attrs = "attrs",
    agent = "agent",
    success = "success",
    duration_ms = "duration_ms",
    tokens = "tokens",
    cost_usd = "cost_usd",
    model = "model",
    error_type = "error_type",
    error_message = "error_message",
    tool = "tool",
    provider = "provider",
    input_tokens = "input_tokens",
    output_tokens = "output_tokens",
    name = "name",
    status = "status",
    component = "component",
    message = "message",
    context = "context",
    process = "process",
    pid = "pid",
    host = "host",
    started_at = "started_at",
    agents = "agents",
    rss_bytes = "rss_bytes",
    cpu_percent = "cpu_percent",
    session = "session",
    sample_rate = "sample_rate",
    cache_read_tokens = "cache_read_tokens",
    cache_write_tokens = "cache_write_tokens",
    cache_write_1h_tokens = "cache_write_1h_tokens",
    reasoning_tokens = "reasoning_tokens",
    web_search_requests = "web_search_requests",
    stopped = "stopped",
}

const FIELD_COUNT: usize = KEYS.len();

/// What reading a line needs besides the line, kept between lines (one a thread).
#[derive(Default)]
struct Scratch {
    /// The quotes of the line being read: allocated once.
    structure: Structure,
    /// The date of the last timestamp read, and its day.
    days: Cell<DayCache>,
    /// The problem [`RawEvent::validate`] kept for the line being read.
    problem: Cell<Option<String>>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// Where each known field stands in a line: the first pass over it.
struct RawEvent<'a> {
    text: Text<'a>,
    spans: [Span; FIELD_COUNT],
}

impl<'a> RawEvent<'a> {
    /// Fills `spans` from `text`, in place (the struct is large to move): by
    /// the walk over the line's quotes (`json/walk.rs`) where `structure`
    /// indexed it, else, or where the walk gives up, byte by byte, which also
    /// words the error.
    fn read(&mut self, structure: &Structure, indexed: bool) -> Result<(), JsonError> {
        if indexed && Reader::new(self.text.str).capture_indexed(structure, &KEY_TABLE, &mut self.spans).is_ok() {
            return Ok(());
        }
        self.spans = [Span::ABSENT; FIELD_COUNT];
        self.read_bytewise()
    }

    /// The byte-at-a-time reading of the line.
    fn read_bytewise(&mut self) -> Result<(), JsonError> {
        let mut r = Reader::new(self.text.str);
        r.skip_ws();
        if !r.at(b'{') {
            // Valid JSON of another kind, or not JSON at all.
            r.skip()?;
            r.end()?;
            return Err(JsonError { what: "not a JSON object", column: 0, key: None });
        }
        r.capture_object(KEYS, field_index, &mut self.spans)?;
        r.end()
    }
}

type Check<T> = Result<T, String>;

/// The checks of a line's known fields, by the rules of its type (`ty` names it
/// in messages). Each reads a captured span directly: a value is only built for
/// what is not a plain string or number (escaped strings, arrays).
///
/// A field that breaks its rule is not an error returned at once: the read
/// keeps the problem (the first one met) and returns a stand-in, and
/// [`RawEvent::validate`]'s caller takes the problem once the event is built. The
/// message is the one an early return would give (the first field's, in the
/// same order), but no read returns a `Result`: their round trips through the
/// stack were a tenth of the fold's time, each a store read back before it
/// had landed (`perf annotate` put the most samples of the checks on those
/// loads; 8-10 % faster without them).
struct Fields<'r, 'a> {
    ty: &'static str,
    raw: &'r RawEvent<'a>,
    days: &'r Cell<DayCache>,
    problem: &'r Cell<Option<String>>,
}

impl<'a> Fields<'_, 'a> {
    /// Keeps `problem` unless one was kept before.
    #[cold]
    #[inline(never)]
    fn keep(&self, problem: String) {
        let earlier = self.problem.take();
        self.problem.set(Some(earlier.unwrap_or(problem)));
    }
    #[cold]
    #[inline(never)]
    fn keep_missing(&self, field: F) {
        self.keep(format!("{}: missing required field `{}`", self.ty, KEYS[field as usize]));
    }
    #[cold]
    #[inline(never)]
    fn keep_wrong(&self, field: F, want: &str) {
        self.keep(format!("{}: field `{}` must be {want}", self.ty, KEYS[field as usize]));
    }
    /// Keeps the reason the value of `field` cannot be built (an escape or a
    /// number out of range).
    #[cold]
    #[inline(never)]
    fn value(&self, field: F) -> Option<Value<'a>> {
        self.raw.val(field).map_err(|problem| self.keep(problem)).ok()
    }
    #[inline]
    fn span(&self, field: F) -> Span {
        self.raw.spans[field as usize]
    }

    /// A string, or `None` where absent or null. Inlined for the usual shapes
    /// (a plain string or nothing): called for ten fields a line, its calls
    /// and returns cost more than its work.
    #[inline(always)]
    fn string(&self, field: F) -> Option<Cow<'a, str>> {
        let span = self.span(field);
        match span.shape {
            Shape::PlainString => Some(Cow::Borrowed(span.plain_str(self.raw.text))),
            Shape::Absent | Shape::Null => None,
            _ => self.unusual_string(field),
        }
    }
    /// [`Fields::string`] of a string with escapes, or of another shape.
    #[cold]
    #[inline(never)]
    fn unusual_string(&self, field: F) -> Option<Cow<'a, str>> {
        match self.span(field).shape {
            Shape::EscapedString => match self.value(field)? {
                Value::Str(s) => Some(s),
                _ => {
                    self.keep_wrong(field, "a string");
                    None
                }
            },
            _ => {
                self.keep_wrong(field, "a string");
                None
            }
        }
    }
    /// A string that must be there ("" stands in).
    #[inline(always)]
    fn required_string(&self, field: F) -> Cow<'a, str> {
        match self.string(field) {
            Some(s) => s,
            None => {
                self.keep_missing(field);
                Cow::Borrowed("")
            }
        }
    }
    #[inline(always)]
    fn flag_or_false(&self, field: F) -> bool {
        match self.span(field).shape {
            Shape::True => true,
            Shape::False | Shape::Absent | Shape::Null => false,
            _ => {
                self.keep_wrong(field, "true or false");
                false
            }
        }
    }
    /// `true` or `false`, which must be there.
    #[inline(always)]
    fn flag(&self, field: F) -> bool {
        match self.span(field).shape {
            Shape::True => true,
            Shape::False => false,
            Shape::Absent | Shape::Null => {
                self.keep_missing(field);
                false
            }
            _ => {
                self.keep_wrong(field, "true or false");
                false
            }
        }
    }
    /// Any finite number.
    #[inline(always)]
    fn number(&self, field: F) -> Option<f64> {
        let span = self.span(field);
        match span.shape {
            Shape::Absent | Shape::Null => None,
            Shape::Int => Some(span.int() as f64),
            Shape::Float => Some(span.float()),
            Shape::OutOfRange => self.value(field).and(None),
            _ => {
                self.keep_wrong(field, "a number");
                None
            }
        }
    }
    /// A finite number >= 0.
    #[inline(always)]
    fn non_negative(&self, field: F) -> Option<f64> {
        let span = self.span(field);
        match span.shape {
            Shape::Absent | Shape::Null => None,
            Shape::Int if span.int() >= 0 => Some(span.int() as f64),
            Shape::Float if span.float() >= 0.0 => Some(span.float()),
            Shape::OutOfRange => self.value(field).and(None),
            _ => {
                self.keep_wrong(field, "a number >= 0");
                None
            }
        }
    }
    /// [`Fields::non_negative`], which must be there (0 stands in).
    #[inline(always)]
    fn required_non_negative(&self, field: F) -> f64 {
        self.non_negative(field).unwrap_or_else(|| {
            // Of another shape, `non_negative` kept why.
            if matches!(self.span(field).shape, Shape::Absent | Shape::Null) {
                self.keep_missing(field);
            }
            0.0
        })
    }
    /// An integer >= 0 within i64: no fraction, no exponent.
    #[inline(always)]
    fn count(&self, field: F) -> Option<i64> {
        let span = self.span(field);
        match span.shape {
            Shape::Absent | Shape::Null => None,
            Shape::Int if span.int() >= 0 => Some(span.int()),
            _ => {
                self.keep_wrong(field, "an integer >= 0");
                None
            }
        }
    }
    #[inline(always)]
    fn count_or_zero(&self, field: F) -> u64 {
        self.count(field).map_or(0, |n| n as u64)
    }
    /// The cache and reasoning parts, checked against the totals that include
    /// them (`input` and `output`; for an agent request, both are its `tokens`),
    /// and the web searches, which no total includes.
    #[inline(always)]
    fn token_parts(&self, input: Option<i64>, output: Option<i64>, total_name: (&str, &str)) -> TokenParts {
        let absent = |f: F| matches!(self.span(f).shape, Shape::Absent);
        if absent(F::cache_read_tokens)
            && absent(F::cache_write_tokens)
            && absent(F::cache_write_1h_tokens)
            && absent(F::reasoning_tokens)
            && absent(F::web_search_requests)
        {
            return TokenParts::default();
        }
        self.token_parts_present(input, output, total_name)
    }

    #[inline(never)]
    fn token_parts_present(&self, input: Option<i64>, output: Option<i64>, total_name: (&str, &str)) -> TokenParts {
        let parts = TokenParts {
            cache_read: self.count_or_zero(F::cache_read_tokens),
            cache_write: self.count_or_zero(F::cache_write_tokens),
            cache_write_1h: self.count_or_zero(F::cache_write_1h_tokens),
            reasoning: self.count_or_zero(F::reasoning_tokens),
            web_searches: self.count_or_zero(F::web_search_requests),
        };
        if let Some(problem) = self.parts_problem(&parts, input, output, total_name) {
            self.keep(problem);
        }
        parts
    }

    /// What is wrong with `parts` against their totals, if anything.
    fn parts_problem(
        &self,
        parts: &TokenParts,
        input: Option<i64>,
        output: Option<i64>,
        total_name: (&str, &str),
    ) -> Option<String> {
        if parts.is_zero() {
            return None;
        }
        let (input_name, output_name) = total_name;
        let input = input.map_or(0, |n| n as u64);
        let output = output.map_or(0, |n| n as u64);
        let cached = parts.cache_read.saturating_add(parts.cache_write);
        if parts.cache_write_1h > parts.cache_write {
            return Some(format!(
                "{}: cache_write_1h_tokens ({}) exceed cache_write_tokens ({}), which include them",
                self.ty, parts.cache_write_1h, parts.cache_write
            ));
        }
        if total_name.0 == total_name.1 {
            // An agent request has one total for both.
            let sum = cached.saturating_add(parts.reasoning);
            return (sum > input).then(|| format!(
                "{}: cache_read_tokens + cache_write_tokens + reasoning_tokens ({sum}) exceed {input_name} ({input}), which include them",
                self.ty
            ));
        }
        if cached > input {
            return Some(format!(
                "{}: cache_read_tokens + cache_write_tokens ({cached}) exceed {input_name} ({input}), which include them",
                self.ty
            ));
        }
        (parts.reasoning > output).then(|| {
            format!(
                "{}: reasoning_tokens ({}) exceed {output_name} ({output}), which include them",
                self.ty, parts.reasoning
            )
        })
    }
    /// A number in (0, 1].
    #[inline(always)]
    fn rate(&self, field: F) -> Option<f64> {
        if matches!(self.span(field).shape, Shape::Absent) {
            return None;
        }
        match self.number(field)? {
            r if r > 0.0 && r <= 1.0 => Some(r),
            _ => {
                self.keep_wrong(field, "a number in (0, 1]");
                None
            }
        }
    }
    /// An RFC 3339 timestamp.
    #[inline(always)]
    fn time(&self, field: F) -> Option<Micros> {
        let s = self.string(field)?;
        let mut days = self.days.get();
        let time = parse_rfc3339_cached(&s, &mut days);
        self.days.set(days);
        time.map_err(|e| self.keep(format!("{}: field `{}`: {e}", self.ty, KEYS[field as usize]))).ok()
    }
    /// `N` lowercase hex digits.
    #[inline(always)]
    fn hex<const N: usize>(&self, field: F) -> Option<u128> {
        let s = self.string(field)?;
        let id = lower_hex::<N>(s.as_bytes());
        if id.is_none() {
            self.keep_wrong(field, &format!("{N} lowercase hex digits"));
        }
        id
    }
    /// An object, as its JSON.
    #[inline(always)]
    fn object(&self, field: F) -> Option<&'a str> {
        let span = self.span(field);
        match span.shape {
            Shape::Absent | Shape::Null => None,
            Shape::Object => Some(span.raw(self.raw.text)),
            _ => {
                self.keep_wrong(field, "an object");
                None
            }
        }
    }
    /// An array of strings (none where absent or null).
    fn strings(&self, field: F) -> Vec<Cow<'a, str>> {
        if matches!(self.span(field).shape, Shape::Absent | Shape::Null) {
            return Vec::new();
        }
        let strings = match self.value(field) {
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|item| match item {
                    Value::Str(s) => Some(s),
                    _ => None,
                })
                .collect(),
            Some(_) => None,
            // `value` kept why.
            None => return Vec::new(),
        };
        strings.unwrap_or_else(|| {
            self.keep_wrong(field, "an array of strings");
            Vec::new()
        })
    }
}

/// The value of 8 lowercase hex digits (first digit most significant), or `None`
/// if any byte is not one: eight bytes at a time, since ids are up to 64 digits
/// a line and every line has them.
fn hex8(chunk: [u8; 8]) -> Option<u32> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let x = u64::from_le_bytes(chunk);
    // For bytes below 0x80: the high bit of ge(x, a) is set where x >= a.
    let ge = |a: u64| ((x | HI).wrapping_sub(LO * a)) & HI;
    let le = |b: u64| (((LO * b) | HI).wrapping_sub(x & !HI)) & HI;
    let digit = ge(0x30) & le(0x39);
    let lower = ge(0x61) & le(0x66);
    if x & HI != 0 || (digit | lower) != HI {
        return None;
    }
    let nibbles = (x & (LO * 0x0f)) + (lower >> 7) * 9;
    let mut n = nibbles.swap_bytes();
    n = (n | (n >> 4)) & 0x00ff_00ff_00ff_00ff;
    n = (n | (n >> 8)) & 0x0000_ffff_0000_ffff;
    n = (n | (n >> 16)) & 0x0000_0000_ffff_ffff;
    Some(n as u32)
}

/// The value of exactly `N` (8, 16, 24 or 32) lowercase hex digits; `None` for
/// anything else. Sixteen digits at a time with SSE2 (on every x86_64), eight
/// in plain integers otherwise. Inlined: its two calls a line for span ids
/// cost more than its work.
#[inline(always)]
fn lower_hex<const N: usize>(digits: &[u8]) -> Option<u128> {
    let digits: &[u8; N] = digits.try_into().ok()?;
    let mut v: u128 = 0;
    let mut bad = !N.is_multiple_of(8);
    #[cfg(target_arch = "x86_64")]
    let digits = {
        let (sixteens, rest) = digits.as_chunks::<16>();
        for chunk in sixteens {
            let word = hex16(chunk);
            bad |= word.is_none();
            v = (v << 64) | u128::from(word.unwrap_or(0));
        }
        rest
    };
    for chunk in digits.as_chunks::<8>().0 {
        let word = hex8(*chunk);
        bad |= word.is_none();
        v = (v << 32) | u128::from(word.unwrap_or(0));
    }
    (!bad).then_some(v)
}

/// The value of 16 lowercase hex digits, or `None` if any byte is not one.
#[cfg(target_arch = "x86_64")]
#[inline]
fn hex16(chunk: &[u8; 16]) -> Option<u64> {
    use std::arch::x86_64::{
        _mm_add_epi8, _mm_and_si128, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_cvtsi128_si64, _mm_loadu_si128,
        _mm_movemask_epi8, _mm_or_si128, _mm_packus_epi16, _mm_set1_epi8, _mm_set1_epi16, _mm_setzero_si128,
        _mm_slli_epi16, _mm_srli_epi16,
    };
    // SAFETY: SSE2 is part of every x86_64 processor (the intrinsics need no
    // detection), and the load reads exactly the 16 bytes of the array
    // (unaligned loads are allowed).
    unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        // Signed compares: bytes of 0x80 and above are below '0', so not digits.
        let within = |lo: u8, hi: u8| {
            let below = _mm_cmplt_epi8(v, _mm_set1_epi8(lo as i8));
            let above = _mm_cmpgt_epi8(v, _mm_set1_epi8(hi as i8));
            !_mm_movemask_epi8(_mm_or_si128(below, above)) & 0xffff
        };
        if within(b'0', b'9') | within(b'a', b'f') != 0xffff {
            return None;
        }
        // '0'..='9' -> 0..=9; 'a'..='f' -> 1..=6, plus 9.
        let letters = _mm_cmpgt_epi8(v, _mm_set1_epi8(b'9' as i8));
        let nibbles = _mm_add_epi8(_mm_and_si128(v, _mm_set1_epi8(0x0f)), _mm_and_si128(letters, _mm_set1_epi8(9)));
        // Each 16-bit lane holds two digits, the first in its low byte: make it
        // the byte (first << 4 | second), then pack the eight bytes.
        let pairs =
            _mm_and_si128(_mm_or_si128(_mm_slli_epi16(nibbles, 4), _mm_srli_epi16(nibbles, 8)), _mm_set1_epi16(0x00ff));
        let bytes = _mm_packus_epi16(pairs, _mm_setzero_si128());
        // The first digit pair is the lowest byte: the value's most significant.
        Some((_mm_cvtsi128_si64(bytes) as u64).swap_bytes())
    }
}

impl<'a> RawEvent<'a> {
    /// The value of a known field. Inlined, so that every field's read has its
    /// own branch on the value's shape, which is then nearly always predicted.
    #[inline(always)]
    fn val(&self, field: F) -> Check<Value<'a>> {
        self.spans[field as usize].value(self.text).map_err(|e| e.to_string())
    }

    /// What a line's `v` says of it, for any value but the usual ones.
    #[cold]
    #[inline(never)]
    fn unusual_version(&self) -> Check<Option<LineOutcome<'a>>> {
        match self.val(F::v)? {
            Value::Absent | Value::Null => Ok(None),
            Value::Int(SCHEMA_VERSION) => Ok(None),
            Value::Int(v) if v > SCHEMA_VERSION => Ok(Some(LineOutcome::Unsupported)),
            _ => Err("field `v` must be the integer 1 (or absent)".into()),
        }
    }

    /// A line's `type`, for any value but a plain string.
    #[cold]
    #[inline(never)]
    fn unusual_type(&self) -> Check<Cow<'a, str>> {
        match self.val(F::kind)? {
            Value::Str(s) => Ok(s),
            Value::Absent | Value::Null => Err("missing required field `type`".into()),
            _ => Err("field `type` must be a string".into()),
        }
    }

    /// The line's outcome by the rules of its type; but where a field broke
    /// them, `problem` holds why afterwards (see [`Fields`]), and the outcome
    /// is not the line's. Checked by the caller: checked here, between the
    /// event's kind and its return, the kind was built aside and copied
    /// (184 bytes a line, 2 % of a fold's time).
    fn validate(&self, days: &Cell<DayCache>, problem: &Cell<Option<String>>) -> Check<LineOutcome<'a>> {
        // The usual `v` and `type` read from their spans: building values of
        // them (to drop at once) was a tenth of the checks' instructions.
        let version = self.spans[F::v as usize];
        let usual_version = version.is_absent() || (version.shape == Shape::Int && version.int() == SCHEMA_VERSION);
        if !usual_version && let Some(outcome) = self.unusual_version()? {
            return Ok(outcome);
        }
        let kind = self.spans[F::kind as usize];
        let ty = match kind.shape {
            Shape::PlainString => Cow::Borrowed(kind.plain_str(self.text)),
            _ => self.unusual_type()?,
        };
        #[derive(Clone, Copy)]
        enum Type {
            AgentRequest,
            ToolCall,
            ModelCall,
            Span,
            Error,
            Heartbeat,
        }
        let (ty, name) = match &*ty {
            "agent_request" => (Type::AgentRequest, "agent_request"),
            "tool_call" => (Type::ToolCall, "tool_call"),
            "model_call" => (Type::ModelCall, "model_call"),
            "span" => (Type::Span, "span"),
            "error" => (Type::Error, "error"),
            "heartbeat" => (Type::Heartbeat, "heartbeat"),
            _ => return Ok(LineOutcome::Unknown),
        };
        let f = Fields { ty: name, raw: self, days, problem };
        let ts = f.time(F::ts).unwrap_or_else(|| {
            f.keep_missing(F::ts);
            0
        });
        let trace_id = f.hex::<32>(F::trace_id);
        let span_id = f.hex::<16>(F::span_id).map(|id| id as u64);
        let parent_span_id = f.hex::<16>(F::parent_span_id).map(|id| id as u64);
        let attrs = f.object(F::attrs);
        let session = match ty {
            Type::Heartbeat => None,
            _ => f.string(F::session),
        };
        let sample_rate = match ty {
            Type::Heartbeat | Type::Error => None,
            _ => f.rate(F::sample_rate),
        };
        let kind = match ty {
            Type::AgentRequest => {
                let tokens = f.count(F::tokens);
                Kind::AgentRequest {
                    agent: f.required_string(F::agent),
                    success: f.flag(F::success),
                    duration_ms: f.required_non_negative(F::duration_ms),
                    tokens,
                    parts: f.token_parts(tokens, tokens, ("tokens", "tokens")),
                    cost_usd: f.non_negative(F::cost_usd),
                    model: f.string(F::model),
                    error_type: f.string(F::error_type),
                }
            }
            Type::ToolCall => Kind::ToolCall {
                tool: f.required_string(F::tool),
                agent: f.string(F::agent),
                success: f.flag(F::success),
                duration_ms: f.non_negative(F::duration_ms),
                error_type: f.string(F::error_type),
                error_message: f.string(F::error_message),
            },
            Type::ModelCall => {
                let input_tokens = f.count(F::input_tokens);
                let output_tokens = f.count(F::output_tokens);
                Kind::ModelCall {
                    model: f.required_string(F::model),
                    provider: f.string(F::provider),
                    agent: f.string(F::agent),
                    success: f.flag(F::success),
                    duration_ms: f.non_negative(F::duration_ms),
                    input_tokens,
                    output_tokens,
                    parts: f.token_parts(input_tokens, output_tokens, ("input_tokens", "output_tokens")),
                    cost_usd: f.non_negative(F::cost_usd),
                }
            }
            Type::Span => Kind::Span {
                name: f.required_string(F::name),
                agent: f.string(F::agent),
                duration_ms: f.required_non_negative(F::duration_ms),
                ok: match f.required_string(F::status).as_ref() {
                    "ok" => true,
                    "error" => false,
                    _ => {
                        f.keep_wrong(F::status, "\"ok\" or \"error\"");
                        false
                    }
                },
                error_type: f.string(F::error_type),
                error_message: f.string(F::error_message),
            },
            Type::Error => Kind::Error {
                component: f.required_string(F::component),
                error_type: f.required_string(F::error_type),
                message: f.required_string(F::message),
                agent: f.string(F::agent),
                context: f.object(F::context),
            },
            Type::Heartbeat => Kind::Heartbeat {
                process: f.required_string(F::process),
                pid: f.count(F::pid),
                host: f.string(F::host),
                started_at: f.time(F::started_at),
                agents: f.strings(F::agents),
                rss_bytes: f.count(F::rss_bytes),
                cpu_percent: f.number(F::cpu_percent),
                stopped: f.flag_or_false(F::stopped),
            },
        };
        Ok(LineOutcome::Event(Event { ts, trace_id, span_id, parent_span_id, attrs, session, sample_rate, kind }))
    }
}

#[cfg(test)]
pub(crate) mod tests;
