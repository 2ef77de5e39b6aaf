//! Plain copies of followed logs found while following. logrotate's
//! `copytruncate` copies the live log to `events.jsonl.1`, then empties the
//! live one in place; followed through a glob that matches both, the copy is a
//! new file whose lines were counted from the live log already. It is told by
//! its first lines (against what each followed log begins with now, and what
//! the ones found truncated began with) and read on from where its original
//! was left, so each line counts once.
//!
//! A new plain file is only held while it has no complete line (there is
//! nothing to read yet): as soon as it has one, whatever it holds so far is
//! compared, so a new log shows at once. A copy still being written is told by
//! the lines copied so far.
//!
//! The same starts tell a followed log emptied and written again past where
//! it was read between two looks, which its length cannot.

use std::fs::File;
use std::hash::Hasher;
use std::path::PathBuf;

use super::compressed_files::{HEAD_BYTES, Head, hash_of};
use super::{Tailer, read_at, reopen};
use crate::fold::Fold;

/// Lines of a file's start whose ends are kept (of those within [`HEAD_BYTES`]).
const MAX_LINE_ENDS: usize = 64;

/// Logs found truncated whose starts are kept for a copy of them to be told.
const MAX_TRUNCATED: usize = 64;

/// What a plain file begins with: the hash of its bytes up to the end of each
/// of its first lines (at most [`MAX_LINE_ENDS`], within [`HEAD_BYTES`]), so
/// that a copy of it is told however much of it had been copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct LineStarts {
    /// (bytes up to and with the line's newline, their hash), in order.
    ends: Vec<(u32, u64)>,
    /// How many bytes were looked at (the file's length then, at most [`HEAD_BYTES`]).
    looked: u64,
}

impl LineStarts {
    pub(super) fn of(bytes: &[u8]) -> LineStarts {
        // Hashed line by line (the same pieces for the file and any copy of it),
        // so each prefix's hash costs only its last line.
        let mut hasher = std::hash::DefaultHasher::new();
        let mut ends = Vec::new();
        let mut from = 0;
        for nl in memchr::memchr_iter(b'\n', bytes).take(MAX_LINE_ENDS) {
            hasher.write(&bytes[from..=nl]);
            ends.push(((nl + 1) as u32, hasher.finish()));
            from = nl + 1;
        }
        LineStarts { ends, looked: bytes.len() as u64 }
    }

    /// The starts of `file` as it lies on disk (none if it cannot be read).
    pub(super) fn read(file: &File) -> Option<LineStarts> {
        let mut buf = [0u8; HEAD_BYTES];
        let n = read_at(file, &mut buf, 0).ok()?;
        Some(LineStarts::of(&buf[..n]))
    }

    /// The head these tell (the bytes up to the last line end kept): what a
    /// log held closed still begins with under another name.
    pub(super) fn head(&self) -> Option<Head> {
        let &(len, hash) = self.ends.last()?;
        Some(Head { len: len as usize, hash })
    }

    /// Whether a file whose starts are these may have grown past them (looked
    /// at again when it has; a file of [`HEAD_BYTES`] or more never changes them).
    pub(super) fn stale(&self, len: u64) -> bool {
        self.looked < HEAD_BYTES as u64 && len > self.looked
    }

    /// Whether `file` still begins with the first line these were taken from:
    /// a log emptied and written again past where it was read, between two
    /// looks, does not (its length alone cannot tell). True when it cannot be
    /// told (no complete line known, a failed or short read: a shorter file is
    /// told by its length), so that nothing is read twice on a doubt.
    pub(super) fn first_line_kept(&self, file: &File) -> bool {
        let Some(&(end, hash)) = self.ends.first() else { return true };
        let mut buf = [0u8; HEAD_BYTES];
        let line = &mut buf[..end as usize];
        if !read_at(file, line, 0).is_ok_and(|n| n == line.len()) {
            return true;
        }
        hash_of(line) == hash
    }

    /// Whether these begin with the whole of `other`'s last line end's bytes.
    fn begin_with(&self, other: &LineStarts) -> bool {
        other.ends.last().is_some_and(|end| self.ends.binary_search(end).is_ok())
    }
}

/// Where a log found truncated in place was left, and what it began with
/// before: a copy of it found later is read on from there.
#[derive(Debug, Clone)]
pub(super) struct Truncated {
    starts: LineStarts,
    pub(super) offset: u64,
    pub(super) line_no: u64,
    pub(super) path: PathBuf,
}

impl Tailer {
    /// Before an unmatched plain file `i` (see [`super::TailedFile::unmatched`])
    /// is read: once it has a complete line, it is a copy of a followed log
    /// that begins with what it holds so far (twins: each line counts in
    /// whichever reads it first), or of one found truncated that began with it
    /// (read on from where that one was left), or a new log, read from its
    /// start. Whether it may be read now (not while it has no complete line).
    pub(super) fn match_plain_copy(&mut self, i: usize, fold: &mut Fold) -> bool {
        let Some(file) = &self.files[i].file else { return true };
        let Some(starts) = LineStarts::read(file) else { return true };
        if starts.ends.is_empty() && starts.looked < HEAD_BYTES as u64 {
            return false;
        }
        self.files[i].unmatched = false;
        if starts.ends.is_empty() {
            return true; // a first line longer than HEAD_BYTES: no copy of one known
        }
        if let Some(j) = self.plain_log_beginning_as(&starts, i) {
            self.note_copy(i, &self.files[j].path, fold);
            match self.files[j].twin {
                None => self.link_twins(i, j),
                // A twin already (a compressed copy of it): where it stands now.
                Some(_) => {
                    let r = self.resume_from(j);
                    self.files[i].skip_to = Some((r.offset, r.line_no));
                }
            }
        } else if let Some(t) = self.copy_of_truncated(&starts) {
            self.note_copy(i, &t.path, fold);
            self.files[i].skip_to = Some((t.offset, t.line_no));
        }
        true
    }

    /// The record of a log found truncated that began as `starts` does (then
    /// dropped: one copy is made of it). Either may hold more lines than the
    /// other: a copy caught half made, or a log that grew unseen before it was
    /// copied (its start was last looked at while it was short).
    pub(super) fn copy_of_truncated(&mut self, starts: &LineStarts) -> Option<Truncated> {
        let k = self.truncated.iter().position(|t| t.starts.begin_with(starts) || starts.begin_with(&t.starts))?;
        self.truncated.remove(k)
    }

    /// A followed plain file other than `i` that begins as `starts` does, as it
    /// lies on disk or as it began when last looked at (it may have been
    /// emptied since, and not been read again yet). Not one whose file is gone
    /// (its starts are the gone file's).
    pub(super) fn plain_log_beginning_as(&self, starts: &LineStarts, i: usize) -> Option<usize> {
        (0..self.files.len()).find(|&j| {
            let f = &self.files[j];
            j != i
                && f.codec.is_none()
                && f.id.is_some()
                && !f.unmatched
                && !f.transcript
                && f.starts.as_ref().is_some_and(|s| {
                    // A short log may have grown since: then as it lies now,
                    // or, emptied since, as its copy shows it grew.
                    s.begin_with(starts)
                        || (s.looked < HEAD_BYTES as u64
                            && (starts.begin_with(s)
                                || f.file.as_ref().and_then(LineStarts::read).is_some_and(|s| s.begin_with(starts))))
                })
        })
    }

    /// After file `i` was read: where it was found truncated in place, what it
    /// began with is kept (with where it was left) for a copy found later, and
    /// a copy twinned with it reads on from there; and what it begins with now
    /// is looked at again if it may have changed. Not for transcripts. (Also
    /// when following begins, for every file: one closed then, quiet among
    /// many, is opened for a moment to look.)
    pub(super) fn note_plain_start(&mut self, i: usize) {
        let f = &mut self.files[i];
        if let Some((offset, line_no)) = f.truncated_at.take() {
            if let Some(starts) = f.starts.take() {
                if self.truncated.len() == MAX_TRUNCATED {
                    self.truncated.pop_front();
                }
                self.truncated.push_back(Truncated { starts, offset, line_no, path: f.path.clone() });
            }
            if let Some(j) = f.twin.take() {
                let copy = &mut self.files[j];
                copy.twin = None;
                if copy.offset < offset {
                    copy.skip_to = Some((offset, line_no));
                }
            }
        }
        let f = &mut self.files[i];
        if f.codec.is_some() || f.transcript {
            return;
        }
        let consumed = f.read_len();
        if !f.starts.as_ref().is_none_or(|s| s.stale(consumed)) {
            return;
        }
        // What was read from its start, if it was read from there (nothing
        // yet, perhaps): the file may have been emptied and written again
        // since. Else as it lies now.
        let fresh = match (&f.file, f.id) {
            _ if f.head.len() as u64 == consumed.min(HEAD_BYTES as u64) => Some(LineStarts::of(&f.head)),
            (Some(file), _) => LineStarts::read(file),
            (None, Some(id)) => reopen(&f.path, id).ok().flatten().and_then(|file| LineStarts::read(&file)),
            (None, None) => None,
        };
        if f.head.len() >= HEAD_BYTES {
            // Its starts are whole now: never looked at again.
            f.head = Vec::new();
        }
        // Not if it no longer begins as it did: emptied and written again
        // since it was read, which the starts kept tell at its next read.
        if f.starts.as_ref().is_none_or(|old| old.ends.is_empty() || fresh.as_ref().is_some_and(|s| s.begin_with(old)))
        {
            f.starts = fresh;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_so_far_is_told_by_its_last_complete_line() {
        let log = b"{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n";
        let whole = LineStarts::of(log);
        assert_eq!(whole.ends.len(), 3);
        // Copied up to mid-third line: its two lines are the log's.
        assert!(whole.begin_with(&LineStarts::of(&log[..20])));
        assert!(whole.begin_with(&LineStarts::of(&log[..8])));
        // Another log with the same second line but another first one.
        assert!(!whole.begin_with(&LineStarts::of(b"{\"z\":0}\n{\"b\":2}\n")));
        // Nothing complete: nothing to tell by.
        assert!(!whole.begin_with(&LineStarts::of(b"{\"a\":1}")));
    }

    #[test]
    fn starts_are_stale_only_while_short_of_head_bytes() {
        let s = LineStarts::of(b"x\n");
        assert!(s.stale(3));
        assert!(!s.stale(2));
        let full = LineStarts::of(&[b'\n'; HEAD_BYTES]);
        assert_eq!(full.ends.len(), MAX_LINE_ENDS);
        assert!(!full.stale(1 << 30));
    }
}
