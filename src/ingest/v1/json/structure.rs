//! Where a line's strings stand, found 64 bytes at a time as simdjson's first
//! stage finds them (Langdale and Lemire, "Parsing gigabytes of JSON per
//! second", 2019): a bitmap of the quotes that open or close a string, then
//! flattened into the quotes' positions, in order.
//!
//! Why: most of a line's bytes are inside strings (ids, times, names), and a
//! byte-at-a-time reader spends its time and its mispredicted branches there
//! and on finding where each key ends. With the positions, the walk (`walk.rs`)
//! finds a string's end by one load, whatever its length, and reads only the
//! bytes outside strings itself. The same pass checks string contents: no
//! control characters, only valid escapes; blocks without backslashes or
//! control characters (nearly all) cost a few compares.
//!
//! AVX-512 (with VBMI2's compress to flatten the quotes) or AVX2 where the
//! processor has them, found once at run time; else the same masks eight bytes
//! at a time in plain integers (all tested to agree, byte for byte).

/// Where the strings of one line stand.
#[derive(Debug, Default)]
pub(in crate::ingest::v1) struct Structure {
    /// The positions of the '"'s that no backslash escapes, in order, then
    /// scratch: written a block's worth at a time (see [`Structure::add_quotes`]).
    positions: Vec<u32>,
    /// How many of `positions` are quotes.
    count: usize,
    /// Whether the line has a backslash anywhere (so strings may have escapes).
    pub backslash: bool,
    /// Whether every byte is ASCII (so the line is valid UTF-8).
    pub ascii: bool,
}

/// The bytes of one 64-byte block that matter, one bit each (bit i = byte i).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Masks {
    quote: u64,
    backslash: u64,
    /// Bytes below 0x20, never allowed inside a string.
    control: u64,
    /// Bytes of 0x80 and above: not ASCII.
    high: u64,
}

/// Bits at even positions.
const EVEN_BITS: u64 = 0x5555_5555_5555_5555;

impl Structure {
    /// The positions of the line's unescaped quotes, in order: each string's
    /// opening quote, then its closing one.
    #[inline]
    pub fn quotes(&self) -> &[u32] {
        self.positions.get(..self.count).unwrap_or_default()
    }

    /// [`Structure::quotes`], then the line's length four times: after a
    /// key's two quotes the walk reads the next two (its value's, if a
    /// string, or where the next string would be), which past a line's last
    /// string are its end.
    #[inline]
    pub fn quotes_then_end(&self) -> &[u32] {
        self.positions.get(..self.count + 4).unwrap_or_default()
    }

    /// Writes the line's length (`len`) after its quotes, four times.
    #[inline(always)]
    fn end_quotes(&mut self, len: usize) {
        if self.positions.len() < self.count + 4 {
            self.positions.resize(self.count + 4, 0);
        }
        if let Some(ends) = self.positions.get_mut(self.count..self.count + 4) {
            // `index` takes only lines shorter than 4 GiB.
            ends.fill(len as u32);
        }
    }

    /// Indexes `b`. False when a string holds a control character or an invalid
    /// escape: then the line is not valid JSON, and the caller's byte-at-a-time
    /// reader says why.
    pub fn index(&mut self, b: &[u8]) -> bool {
        if u32::try_from(b.len()).is_err() {
            // Positions are u32s; the byte reader reads such a line (never seen: the tailer caps lines).
            self.count = 0;
            return false;
        }
        #[cfg(target_arch = "x86_64")]
        if let Some(index) = fastest_index() {
            return index(self, b);
        }
        self.index_with(b, classify_words, flatten_bits)
    }

    /// [`Structure::index`] with a classifier and a flattener (see
    /// [`Structure::add_quotes`]), inlined into each caller so that they are
    /// inlined too (with its processor features).
    #[inline(always)]
    fn index_with(
        &mut self,
        b: &[u8],
        classify: impl Fn(&[u8; 64]) -> Masks,
        flatten: impl Fn(u64, u32, &mut [u32; 64]),
    ) -> bool {
        self.count = 0;
        self.backslash = false;
        self.ascii = false;
        let mut scan = Scan::default();
        let (blocks, rest) = b.as_chunks::<64>();
        for (k, block) in blocks.iter().enumerate() {
            if !self.add_block(&mut scan, classify(block), b, k * 64, &flatten) {
                return false;
            }
        }
        if !rest.is_empty() {
            let base = blocks.len() * 64;
            let masks = match b.last_chunk::<64>() {
                // The last 64 bytes, overlapping the block before, with the
                // overlap shifted out: no copy of the tail.
                Some(last) => classify(last).shifted_out(64 - rest.len()),
                None => {
                    let mut last = [b' '; 64];
                    last[..rest.len()].copy_from_slice(rest);
                    classify(&last)
                }
            };
            if !self.add_block(&mut scan, masks, b, base, &flatten) {
                return false;
            }
        }
        self.ascii = scan.high == 0;
        self.end_quotes(b.len());
        true
    }

    /// Adds the quotes of the block at `base` (whose masks are `m`), checking
    /// its strings' escapes and control bytes where it has any.
    #[inline(always)]
    fn add_block(
        &mut self,
        scan: &mut Scan,
        m: Masks,
        b: &[u8],
        base: usize,
        flatten: &impl Fn(u64, u32, &mut [u32; 64]),
    ) -> bool {
        scan.high |= m.high;
        let mut quote = m.quote;
        if (m.backslash | m.control | scan.escape_carry) != 0 {
            // The rare block: escapes to resolve, or control bytes to place.
            let escaped = if (m.backslash | scan.escape_carry) != 0 {
                self.backslash = true;
                escaped(m.backslash, &mut scan.escape_carry)
            } else {
                0
            };
            quote &= !escaped;
            let strings = prefix_xor(quote) ^ scan.quote_parity;
            if m.control & strings != 0 || !escapes_valid(b, base, escaped & strings) {
                return false;
            }
        }
        scan.quote_parity ^= 0u64.wrapping_sub(u64::from(quote.count_ones() & 1));
        self.add_quotes(quote, base, flatten);
        true
    }

    /// Appends the positions of the block's quotes (bits of `quote`, the block
    /// at `base`), which `flatten` writes into the next 64 slots (those past
    /// the count are scratch). Why positions, not the bitmap: the walk then
    /// finds a string's end by one load, not by a shift and a count of zeros
    /// that waited on the position before it.
    #[inline(always)]
    fn add_quotes(&mut self, quote: u64, base: usize, flatten: &impl Fn(u64, u32, &mut [u32; 64])) {
        let from = self.count;
        if self.positions.len() < from + 64 {
            self.positions.resize(from + 64 + 256, 0);
        }
        if let Some(out) = self.positions.get_mut(from..from + 64).and_then(|out| out.try_into().ok()) {
            // `index` takes only lines shorter than 4 GiB: positions fit.
            flatten(quote, base as u32, out);
        }
        self.count = from + quote.count_ones() as usize;
    }
}

/// Writes the positions of the bits of `quote` (plus `base`) in order, as
/// simdjson flattens its bitmaps: sixteen without a branch a bit, more only
/// for blocks that have more. A block of a log line has 16 quotes at most,
/// nearly always: a branch on the count (or a loop to it) was mispredicted
/// where lines differ in the order of their keys.
#[inline(always)]
fn flatten_bits(mut quote: u64, base: u32, out: &mut [u32; 64]) {
    let count = quote.count_ones() as usize;
    let mut take = |slots: &mut [u32]| {
        for slot in slots {
            *slot = base.wrapping_add(quote.trailing_zeros());
            quote &= quote.wrapping_sub(1);
        }
    };
    let (first, rest) = out.split_at_mut(16);
    take(first);
    if count > 16 {
        take(rest.get_mut(..count - 16).unwrap_or_default());
    }
}

/// A way to index a line (see [`Structure::index`]).
#[cfg(any(test, target_arch = "x86_64"))]
type Indexer = fn(&mut Structure, &[u8]) -> bool;

/// The fastest way to index that this processor has, found once.
#[cfg(target_arch = "x86_64")]
fn fastest_index() -> Option<Indexer> {
    static FASTEST: std::sync::OnceLock<Option<Indexer>> = std::sync::OnceLock::new();
    *FASTEST.get_or_init(|| {
        if avx512::supported() {
            // SAFETY: the processor has every feature `avx512::index` enables.
            Some(|structure, b| unsafe { avx512::index(structure, b) })
        } else if avx2::supported() {
            // SAFETY: the processor has every feature `avx2::index` enables.
            Some(|structure, b| unsafe { avx2::index(structure, b) })
        } else {
            None
        }
    })
}

/// What the first stage carries from block to block.
#[derive(Default)]
struct Scan {
    /// All ones while a string is open at a block's end.
    quote_parity: u64,
    /// 1 if the next block's first byte is escaped.
    escape_carry: u64,
    /// Bytes of 0x80 and above seen so far.
    high: u64,
}

impl Masks {
    /// The masks of the last `64 - n` bytes of a block, as bits `0..64 - n`.
    fn shifted_out(self, n: usize) -> Masks {
        Masks {
            quote: self.quote >> n,
            backslash: self.backslash >> n,
            control: self.control >> n,
            high: self.high >> n,
        }
    }
}

/// The bytes that a backslash escapes (simdjson's branchless odd-run rule: the
/// byte after a run of backslashes is escaped when the run is odd), carrying an
/// escape that crosses into the next block.
fn escaped(backslash: u64, carry: &mut u64) -> u64 {
    let backslash = backslash & !*carry;
    let follows_escape = (backslash << 1) | *carry;
    let odd_starts = backslash & !EVEN_BITS & !follows_escape;
    let (even_runs, overflow) = odd_starts.overflowing_add(backslash);
    *carry = u64::from(overflow);
    (EVEN_BITS ^ (even_runs << 1)) & follows_escape
}

/// Bit i = parity of the set bits at or below i: inside a string, from its
/// opening quote up to (not including) its closing one.
#[inline]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Whether every escaped byte in strings (`marks`, bits of the block at `base`)
/// is one JSON allows, with four hex digits after a `u`.
#[cold]
fn escapes_valid(b: &[u8], base: usize, mut marks: u64) -> bool {
    while marks != 0 {
        let at = base + marks.trailing_zeros() as usize;
        marks &= marks - 1;
        match b.get(at) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {}
            Some(b'u') => {
                let hex = b.get(at + 1..at + 5).is_some_and(|d| d.iter().all(u8::is_ascii_hexdigit));
                if !hex {
                    return false;
                }
            }
            _ => return false,
        }
    }
    true
}

/// The classifiers this processor runs (for tests).
#[cfg(test)]
fn classifiers() -> Vec<fn(&[u8; 64]) -> Masks> {
    let mut all: Vec<fn(&[u8; 64]) -> Masks> = vec![classify_words];
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2.
            all.push(|block| unsafe { avx2::classify(block) });
        }
        if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512bw") {
            // SAFETY: the processor has AVX-512 F and BW.
            all.push(|block| unsafe { avx512::classify(block) });
        }
    }
    all
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::Masks;
    use std::arch::x86_64::{
        __m256i, _mm_cvtsi64_si128, _mm256_add_epi32, _mm256_cmpeq_epi8, _mm256_cvtepu8_epi32, _mm256_loadu_si256,
        _mm256_max_epu8, _mm256_movemask_epi8, _mm256_set1_epi8, _mm256_set1_epi32, _mm256_storeu_si256,
    };

    use super::Structure;

    /// Whether this processor has every feature [`index`] enables.
    pub(super) fn supported() -> bool {
        use std::arch::is_x86_feature_detected as has;
        has!("avx2") && has!("bmi1") && has!("popcnt")
    }

    /// [`Structure::index`] with AVX2 compares and [`flatten`]'s table, one
    /// instruction for counting a block's or a byte's quotes (POPCNT; without,
    /// a dozen) and BMI1's and-not for the rare blocks' masks: every processor
    /// with AVX2 has both.
    #[target_feature(enable = "avx2,bmi1,popcnt")]
    pub(super) fn index(structure: &mut Structure, b: &[u8]) -> bool {
        structure.index_with(b, |block| classify(block), |quote, base, out| flatten(quote, base, out))
    }

    /// The positions (0..8) of the set bits of each byte value, in order, one
    /// a byte from the low end (the rest zero).
    static BYTE_POSITIONS: [u64; 256] = {
        let mut table = [0u64; 256];
        let mut byte = 0;
        while byte < 256 {
            let (mut packed, mut count) = (0u64, 0);
            let mut bit = 0;
            while bit < 8 {
                if byte & (1 << bit) != 0 {
                    packed |= (bit as u64) << (8 * count);
                    count += 1;
                }
                bit += 1;
            }
            table[byte] = packed;
            byte += 1;
        }
        table
    };

    /// [`super::flatten_bits`] a byte of the bitmap at a time: its bits'
    /// positions looked up, widened and stored as eight u32s, the next eight
    /// stored from where this byte's count ends. No chain of one bit on the
    /// bit before (each found by clearing the lowest: sixteen steps in a row
    /// and a dozen inserts into vectors, 13 % of the fold on a Zen 3).
    #[inline]
    #[target_feature(enable = "avx2,popcnt")]
    pub(super) fn flatten(quote: u64, base: u32, out: &mut [u32; 64]) {
        let mut at = 0usize;
        for (k, byte) in quote.to_le_bytes().into_iter().enumerate() {
            let offsets = _mm_cvtsi64_si128(BYTE_POSITIONS[usize::from(byte)] as i64);
            let positions = _mm256_add_epi32(
                _mm256_cvtepu8_epi32(offsets),
                _mm256_set1_epi32(base.wrapping_add(8 * k as u32) as i32),
            );
            // `at` counts the bits of the bytes before: at most 8 k, so the
            // eight slots end by 8 k + 8 <= 64.
            if let Some(slots) = out.get_mut(at..at + 8) {
                // SAFETY: the store writes 8 u32s, the 32 bytes of `slots`.
                unsafe { _mm256_storeu_si256(slots.as_mut_ptr().cast(), positions) };
            }
            at += byte.count_ones() as usize;
        }
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn classify(block: &[u8; 64]) -> Masks {
        // SAFETY: both 32-byte loads are inside the 64-byte array; loadu has no
        // alignment requirement.
        let (lo, hi) = unsafe {
            (
                _mm256_loadu_si256(block.as_ptr().cast::<__m256i>()),
                _mm256_loadu_si256(block.as_ptr().add(32).cast::<__m256i>()),
            )
        };
        let bits = |low: __m256i, high: __m256i| -> u64 {
            u64::from(_mm256_movemask_epi8(low) as u32) | (u64::from(_mm256_movemask_epi8(high) as u32) << 32)
        };
        let eq = |v: __m256i, c: u8| _mm256_cmpeq_epi8(v, _mm256_set1_epi8(c as i8));
        let control = |v: __m256i| {
            let floor = _mm256_set1_epi8(0x1f);
            _mm256_cmpeq_epi8(_mm256_max_epu8(v, floor), floor)
        };
        Masks {
            quote: bits(eq(lo, b'"'), eq(hi, b'"')),
            backslash: bits(eq(lo, b'\\'), eq(hi, b'\\')),
            control: bits(control(lo), control(hi)),
            high: bits(lo, hi),
        }
    }
}

/// The first stage with AVX-512: one compare a byte class for all 64 bytes,
/// and the quotes' positions packed by one compress (VBMI2) instead of a count
/// of trailing zeros each.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Masks, Structure};
    use std::arch::x86_64::{
        __m128i, _mm512_add_epi32, _mm512_castsi512_si128, _mm512_cmpeq_epi8_mask, _mm512_cmple_epu8_mask,
        _mm512_cvtepu8_epi32, _mm512_extracti32x4_epi32, _mm512_loadu_si512, _mm512_maskz_compress_epi8,
        _mm512_movepi8_mask, _mm512_set_epi8, _mm512_set1_epi8, _mm512_set1_epi32, _mm512_storeu_si512,
    };

    /// Whether this processor has every feature [`index`] enables.
    pub(super) fn supported() -> bool {
        use std::arch::is_x86_feature_detected as has;
        has!("avx512f") && has!("avx512bw") && has!("avx512vbmi2") && has!("bmi1") && has!("popcnt")
    }

    /// [`Structure::index`] with AVX-512.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi2,bmi1,popcnt")]
    pub(super) fn index(structure: &mut Structure, b: &[u8]) -> bool {
        structure.index_with(b, |block| classify(block), |quote, base, out| flatten(quote, base, out))
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) fn classify(block: &[u8; 64]) -> Masks {
        // SAFETY: the load reads exactly the 64 bytes of the array; loadu has
        // no alignment requirement.
        let v = unsafe { _mm512_loadu_si512(block.as_ptr().cast()) };
        Masks {
            quote: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'"' as i8)),
            backslash: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'\\' as i8)),
            control: _mm512_cmple_epu8_mask(v, _mm512_set1_epi8(0x1f)),
            high: _mm512_movepi8_mask(v),
        }
    }

    /// [`super::flatten_bits`] by a compress of the byte offsets 0..64.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi2,popcnt")]
    pub(super) fn flatten(quote: u64, base: u32, out: &mut [u32; 64]) {
        #[rustfmt::skip]
        let offsets = _mm512_set_epi8(
            63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48,
            47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32,
            31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
            15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
        );
        // The offsets of the quotes, in order, in the low bytes.
        let packed = _mm512_maskz_compress_epi8(quote, offsets);
        let base = _mm512_set1_epi32(base as i32);
        let count = quote.count_ones();
        let mut store = |at: usize, sixteen: __m128i| {
            let positions = _mm512_add_epi32(_mm512_cvtepu8_epi32(sixteen), base);
            if let Some(slots) = out.get_mut(at..at + 16) {
                // SAFETY: the store writes 16 u32s, the 64 bytes of `slots`.
                unsafe { _mm512_storeu_si512(slots.as_mut_ptr().cast(), positions) };
            }
        };
        store(0, _mm512_castsi512_si128(packed));
        if count > 16 {
            store(16, _mm512_extracti32x4_epi32::<1>(packed));
            if count > 32 {
                store(32, _mm512_extracti32x4_epi32::<2>(packed));
                store(48, _mm512_extracti32x4_epi32::<3>(packed));
            }
        }
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
pub(super) const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// The high bit of each zero byte of `v`, exactly (no borrow between bytes).
#[inline(always)]
pub(super) fn zero_bytes(v: u64) -> u64 {
    !(((v & LOW7).wrapping_add(LOW7)) | v | LOW7)
}

/// The high bits of the eight bytes of `marks` gathered into eight low bits.
#[inline]
fn gather(marks: u64) -> u64 {
    ((marks >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// The masks eight bytes at a time in plain integers.
fn classify_words(block: &[u8; 64]) -> Masks {
    let mut m = Masks::default();
    for (i, word) in block.as_chunks::<8>().0.iter().enumerate() {
        let w = u64::from_le_bytes(*word);
        let is = |c: u8| zero_bytes(w ^ (LO * u64::from(c)));
        let shift = i * 8;
        m.quote |= gather(is(b'"')) << shift;
        m.backslash |= gather(is(b'\\')) << shift;
        m.control |= gather(zero_bytes(w & (LO * 0xe0))) << shift;
        m.high |= gather(w & (LO * 0x80)) << shift;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The masks one byte at a time: what both classifiers must give.
    fn classify_bytes(block: &[u8; 64]) -> Masks {
        let mut m = Masks::default();
        for (i, &c) in block.iter().enumerate() {
            let bit = 1u64 << i;
            if c == b'"' {
                m.quote |= bit;
            }
            if c == b'\\' {
                m.backslash |= bit;
            }
            if c < 0x20 {
                m.control |= bit;
            }
            if c >= 0x80 {
                m.high |= bit;
            }
        }
        m
    }

    #[test]
    fn classifiers_agree_on_every_byte_value_in_every_position() {
        for shift in 0..64 {
            let mut block = [0u8; 64];
            for (i, byte) in block.iter_mut().enumerate() {
                *byte = ((i * 4 + shift) % 256) as u8;
            }
            for value in 0..=255u8 {
                block[shift] = value;
                let want = classify_bytes(&block);
                assert_eq!(classify_words(&block), want, "words, byte {value:#x} at {shift}");
                for (k, classify) in classifiers().iter().enumerate() {
                    assert_eq!(classify(&block), want, "classifier {k}, byte {value:#x} at {shift}");
                }
            }
        }
    }

    /// Quotes found the slow way: walking the line, tracking strings and escapes.
    fn quotes_by_walking(b: &[u8]) -> Vec<usize> {
        let (mut out, mut in_string, mut escaped) = (Vec::new(), false, false);
        for (i, &c) in b.iter().enumerate() {
            if in_string && escaped {
                escaped = false;
            } else if in_string && c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = !in_string;
                out.push(i);
            }
        }
        out
    }

    fn quotes_of(s: &Structure) -> Vec<usize> {
        s.quotes().iter().map(|&at| at as usize).collect()
    }

    #[test]
    fn quotes_match_a_byte_walk_across_block_edges() {
        let mut s = Structure::default();
        // Runs of backslashes of every length, ending at every offset around a
        // block's edge, before quotes.
        for run in 0..6 {
            for pad in 50..80 {
                let line = format!(
                    "{{\"{}\":\"{}{}\\\"x\",\"k\":[1,{{\"a\":\"}}\"}}]}}",
                    "p".repeat(pad),
                    "q".repeat(pad % 7),
                    "\\\\".repeat(run)
                );
                assert!(s.index(line.as_bytes()), "{line}");
                assert_eq!(quotes_of(&s), quotes_by_walking(line.as_bytes()), "{line}");
                assert!(s.backslash);
            }
        }
        assert!(s.index(br#"{"a":"b"}"#));
        assert!(!s.backslash && s.ascii);
        assert_eq!(quotes_of(&s), [1, 3, 5, 7]);
        assert!(s.index("{\"a\":\"é\"}".as_bytes()));
        assert!(!s.ascii);
        // A non-ASCII byte in the last, partial block, and in a full one.
        assert!(s.index(format!("{{\"a\":\"{}\u{80}\"}}", "x".repeat(100)).as_bytes()));
        assert!(!s.ascii);
        assert!(s.index(format!("{{\"a\":\"{}\"}}", "x".repeat(200)).as_bytes()));
        assert!(s.ascii);
    }

    #[test]
    fn every_indexer_indexes_lines_alike() {
        let mut indexers: Vec<(&str, Indexer)> = vec![("detected", Structure::index)];
        #[cfg(target_arch = "x86_64")]
        {
            if avx2::supported() {
                // SAFETY: the processor has every feature `avx2::index` enables.
                indexers.push(("avx2", |s, b| unsafe { avx2::index(s, b) }));
            }
            if avx512::supported() {
                // SAFETY: the processor has every feature `avx512::index` enables.
                indexers.push(("avx512", |s, b| unsafe { avx512::index(s, b) }));
            }
        }
        let mut rng = crate::synth::Rng::new(5);
        // Lines of every kind of byte, and lines dense in quotes (more than
        // 16, 32 and 48 in a block: the flatteners' rarer paths).
        const BYTES: &[u8] = b"{}[]\",:\\ \t\x01\x7fab0u\xc3\xa9";
        const QUOTES: &[u8] = b"\"\"\"\"\"\"\"a:";
        let (mut fast, mut words) = (Structure::default(), Structure::default());
        let mut densest = 0;
        for i in 0..4_000 {
            let alphabet = if i % 2 == 0 { BYTES } else { QUOTES };
            let line: Vec<u8> = (0..rng.below(300)).map(|_| alphabet[rng.below(alphabet.len())]).collect();
            let want = words.index_with(&line, classify_words, flatten_bits);
            densest = densest.max(if want { words.quotes().len() } else { 0 });
            for (name, index) in &indexers {
                assert_eq!(index(&mut fast, &line), want, "{name}: {line:?}");
                if want {
                    assert_eq!(
                        (fast.quotes(), fast.backslash, fast.ascii),
                        (words.quotes(), words.backslash, words.ascii),
                        "{name}: {line:?}"
                    );
                }
            }
        }
        assert!(densest > 180, "no line dense enough in quotes: {densest}");
    }

    #[test]
    fn control_characters_and_bad_escapes_in_strings_are_refused() {
        let mut s = Structure::default();
        assert!(!s.index(b"{\"a\":\"b\x01\"}"));
        assert!(!s.index(format!("{{\"a\":\"{}\x1f\"}}", "z".repeat(100)).as_bytes()));
        assert!(s.index(b"{\"a\":1}\x01"), "outside strings it is the walk's to refuse");
        for bad in [r#""\x""#, r#""\u12""#, r#""\u12g4""#] {
            assert!(!s.index(bad.as_bytes()), "{bad}");
        }
        // An escaped closing quote leaves the string open: one quote.
        assert!(s.index(br#""\""#));
        assert_eq!(quotes_of(&s), [0]);
        for good in [r#""\u00e9""#, r#""\\""#, r#""\/\b\f\n\r\t\"""#] {
            assert!(s.index(good.as_bytes()), "{good}");
            assert_eq!(quotes_of(&s).len(), 2, "{good}");
        }
    }
}
