//! Lines out of a byte stream: the one line reader the tailer, standard input
//! and push read through, holding an incomplete last line until its end comes.

use crate::fold::{Fold, MAX_LINE_BYTES, SourceId};

/// Where a [`LineReader`]'s lines go: the fold (following, reports) or the span
/// builder (push). `line_no` counts from 1 where the reader began.
pub trait LineSink {
    /// A complete line, without its newline.
    fn line(&mut self, line_no: u64, line: &[u8]);
    /// A line longer than [`MAX_LINE_BYTES`], of `len` bytes without its
    /// newline, skipped without being held.
    fn oversized(&mut self, line_no: u64, len: u64);
}

/// Lines into a fold, as one of its sources.
pub struct FoldSink<'a> {
    pub fold: &'a mut Fold,
    pub source: SourceId,
}

impl LineSink for FoldSink<'_> {
    #[inline]
    fn line(&mut self, line_no: u64, line: &[u8]) {
        self.fold.line(self.source, line_no, line);
    }
    fn oversized(&mut self, line_no: u64, len: u64) {
        self.fold.oversized_line(self.source, line_no, len);
    }
}

/// Splits a byte stream into lines, holding an incomplete last line until the
/// rest of it arrives. A line longer than [`MAX_LINE_BYTES`] is not buffered: its
/// bytes are only counted, and it is reported as malformed once it ends. The one
/// line reader: the tailer and push both read through it.
#[derive(Debug, Default)]
pub struct LineReader {
    pending: Vec<u8>,
    /// Bytes so far of an over-long line being skipped.
    oversized: Option<u64>,
    /// Lines completed so far.
    pub line_no: u64,
}

impl LineReader {
    /// Bytes held (or skipped) for an incomplete line.
    pub fn pending_len(&self) -> u64 {
        self.oversized.unwrap_or(self.pending.len() as u64)
    }

    /// Feeds the next bytes of the stream into a fold's source.
    pub fn feed(&mut self, chunk: &[u8], fold: &mut Fold, source: SourceId) {
        self.feed_to(chunk, &mut FoldSink { fold, source });
    }

    /// Feeds the next bytes of the stream; complete lines go to `sink`.
    pub fn feed_to(&mut self, mut chunk: &[u8], sink: &mut impl LineSink) {
        if self.pending_len() > 0 {
            let Some(nl) = memchr::memchr(b'\n', chunk) else {
                self.hold(chunk);
                return;
            };
            self.hold(&chunk[..nl]);
            self.complete(sink);
            chunk = &chunk[nl + 1..];
        }
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', chunk) {
            self.line_no += 1;
            let line = &chunk[start..nl];
            if line.len() > MAX_LINE_BYTES {
                sink.oversized(self.line_no, line.len() as u64);
            } else {
                sink.line(self.line_no, line);
            }
            start = nl + 1;
        }
        self.hold(&chunk[start..]);
    }

    fn hold(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        match &mut self.oversized {
            Some(n) => *n += bytes.len() as u64,
            None if self.pending.len() + bytes.len() > MAX_LINE_BYTES => {
                self.oversized = Some((self.pending.len() + bytes.len()) as u64);
                self.pending = Vec::new();
            }
            None => self.pending.extend_from_slice(bytes),
        }
    }

    fn complete(&mut self, sink: &mut impl LineSink) {
        self.line_no += 1;
        match self.oversized.take() {
            Some(n) => sink.oversized(self.line_no, n),
            None => sink.line(self.line_no, &self.pending),
        }
        self.pending.clear();
    }

    /// Folds a held incomplete line as if it had ended: for a file that will never
    /// be written again (rotated away), so that nothing in it is lost.
    pub fn finish(&mut self, fold: &mut Fold, source: SourceId) {
        self.finish_to(&mut FoldSink { fold, source });
    }

    /// As [`LineReader::finish`], into any sink.
    pub fn finish_to(&mut self, sink: &mut impl LineSink) {
        if self.pending_len() > 0 {
            self.complete(sink);
        }
    }

    /// Forgets everything, for a file read again from its start.
    pub fn reset(&mut self) {
        *self = LineReader::default();
    }
}
