//! Compressed files as the tailer follows them (see `follow::compressed` for the
//! decoding): read again from their start when they grow, never read twice when
//! they are a copy of a plain file, noted in their source when cut short.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use super::{Codec, LineStarts, Retired, TailedFile, Tailer, read_at};
use crate::fold::{Fold, SourceId};
use crate::follow::compressed::{self, DecodeError};

impl Tailer {
    /// Marks the compressed files that are copies of a plain file read beside
    /// them (`X.gz` or `X.zst` of `X`: logrotate's `compress` or Codex's worker
    /// caught at work, or `gzip -k`), told by their first 64 KiB: the plain one is
    /// read, the copy is not, so its lines do not count twice.
    pub(super) fn mark_compressed_copies(&mut self, lens: &[Option<u64>], fold: &mut Fold) {
        for i in 0..self.files.len() {
            let (Some(codec), Some(_)) = (self.files[i].codec, lens[i]) else { continue };
            let Some(j) = self.plain_twin(&self.files[i].path).filter(|&j| lens[j].is_some()) else { continue };
            self.files[i].copy = starts_alike(codec, &self.files[i].path, &self.files[j].path);
            if self.files[i].copy {
                self.note_copy(i, &self.files[j].path, fold);
            }
        }
    }

    /// Says in file `i`'s source that it was found to be a copy of `original`.
    pub(super) fn note_copy(&self, i: usize, original: &Path, fold: &mut Fold) {
        fold.ingest.sources[self.files[i].source].copy_of = Some(original.display().to_string());
    }

    /// Where followed file `j` was left, for a compressed copy of it found later
    /// under its name and `.gz` or `.zst` (its [`Tailer::plain_twin`]:
    /// logrotate's `compress`, Codex's compression worker): the copy holds the
    /// same lines, so it is read on from there, not again.
    pub(super) fn resume_from(&self, j: usize) -> Retired {
        let f = &self.files[j];
        Retired { offset: f.offset + f.reader.pending_len(), line_no: f.reader.line_no, head: None }
    }

    /// Before an unmatched compressed file `i` (see [`TailedFile::unmatched`]) is
    /// read: once it holds [`HEAD_BYTES`] decompressed, or all it will, it is
    /// read on from where a rotated file whose head it begins with was left, or
    /// from its start if none. Whether it may be read now (not while it is too
    /// short to tell and still being written; its source says it is cut short,
    /// as it would if read).
    pub(super) fn match_retired(&mut self, i: usize, fold: &mut Fold) -> bool {
        let f = &self.files[i];
        if f.unmatched && f.codec.is_none() {
            return self.match_plain_copy(i, fold);
        }
        let (true, Some(codec), Some(file)) = (f.unmatched, f.codec, &f.file) else { return true };
        let (head, outcome) = decoded_head(codec, file, HEAD_BYTES);
        let cut_short = matches!(outcome, Err(DecodeError::CutShort { .. } | DecodeError::GzipCutShort));
        if head.len() < HEAD_BYTES && cut_short {
            note_decode(fold, f.source, &f.path, outcome);
            return false;
        }
        let mut hashes = HashMap::new();
        let found = self.retired.take_by_head(|h| {
            let hash = *hashes.entry(h.len).or_insert_with(|| head.get(..h.len).map(hash_of));
            hash == Some(h.hash)
        });
        // Or a copy of a log still followed under its own name (logrotate with
        // `delaycompress` compresses under one name, then renames): twins.
        // Or as one began when last looked at: emptied in place since, and
        // not read again yet (`copytruncate` with `compress`, this poll).
        let copy_of = match found {
            None => self
                .plain_file_beginning_with(&head, i)
                .or_else(|| self.plain_log_beginning_as(&LineStarts::of(&head), i)),
            Some(_) => None,
        };
        let resume = match (found, copy_of) {
            (Some(r), _) => Some(r),
            (None, Some(j)) => {
                self.link_twins(i, j);
                self.note_copy(i, &self.files[j].path, fold);
                Some(self.resume_from(j))
            }
            // Or of a log copied and truncated (`copytruncate` with `compress`),
            // its plain copy removed unseen.
            (None, None) => self.copy_of_truncated(&LineStarts::of(&head)).map(|t| {
                self.note_copy(i, &t.path, fold);
                Retired { offset: t.offset, line_no: t.line_no, head: None }
            }),
        };
        let f = &mut self.files[i];
        f.unmatched = false;
        if let Some(r) = resume {
            f.offset = r.offset;
            f.reader.reset();
            f.reader.line_no = r.line_no;
        }
        true
    }

    /// A followed plain file other than `i`, open and without a twin, that
    /// begins with `head`.
    fn plain_file_beginning_with(&self, head: &[u8], i: usize) -> Option<usize> {
        if head.is_empty() {
            return None;
        }
        let mut start = vec![0u8; head.len()];
        (0..self.files.len()).find(|&j| {
            let f = &self.files[j];
            j != i
                && f.codec.is_none()
                && f.twin.is_none()
                && f.file.as_ref().is_some_and(|file| read_at(file, &mut start, 0).is_ok_and(|n| n == head.len()))
                && start == head
        })
    }

    /// Before file `i` is read: where it and its twin (a plain file and the
    /// compressed copy of it found while following) hold the same lines, and
    /// the twin has counted past where this one stands, this one skips there.
    /// logrotate's `compress` without `delaycompress` copies a rotated log whose
    /// writer may not have reopened yet, so both can gain the same lines.
    /// Whether `i` may be read now: a plain file whose end is short of its
    /// twin's count waits (its next line starts there), its half line dropped,
    /// since the twin counted it.
    /// A plain copy whose original was truncated waits the same way for where
    /// that one was left ([`TailedFile::skip_to`]).
    pub(super) fn catch_up_with_twin(&mut self, i: usize) -> bool {
        let (ahead, line_no) = match (self.files[i].twin, self.files[i].skip_to) {
            (Some(j), _) => (self.files[j].offset, self.files[j].reader.line_no),
            (None, Some(at)) => at,
            (None, None) => return true,
        };
        let f = &mut self.files[i];
        if ahead <= f.offset {
            f.skip_to = None;
            return true;
        }
        if f.codec.is_none() {
            let len = match &f.file {
                Some(file) => file.metadata().map(|m| m.len()),
                None => std::fs::metadata(&f.path).map(|m| m.len()),
            };
            match len {
                // Truncated in place (copy-truncate of a log whose copy was
                // compressed beside it, `gzip -k`), or emptied and written
                // again past where it was: another stream now, which the read
                // finds truncated; no longer a twin.
                Ok(len) if len < f.offset || f.file.as_ref().is_some_and(|file| f.rewritten(file)) => {
                    f.skip_to = None;
                    self.unlink_twin(i);
                    return true;
                }
                Ok(len) if len >= ahead => {}
                _ => {
                    f.reader.reset();
                    return false;
                }
            }
        }
        let f = &mut self.files[i];
        f.reader.reset();
        f.offset = ahead;
        f.reader.line_no = line_no;
        f.skip_to = None;
        true
    }

    /// Makes files `a` and `b` twins, ending any twinship either was in (one
    /// twin each, always both ways).
    pub(super) fn link_twins(&mut self, a: usize, b: usize) {
        self.unlink_twin(a);
        self.unlink_twin(b);
        (self.files[a].twin, self.files[b].twin) = (Some(b), Some(a));
    }

    /// Ends file `i`'s twinship, on both sides.
    pub(super) fn unlink_twin(&mut self, i: usize) {
        if let Some(j) = self.files[i].twin.take() {
            self.files[j].twin = None;
        }
    }

    /// The followed plain file a compressed file's name stands for (`X` of
    /// `X.gz`), by the known paths' index: thousands of compressed rollouts
    /// scanning every file was quadratic. Not one whose file is gone (retired,
    /// and the next to stand at its name is another): a copy of that is told
    /// by its head ([`Tailer::match_retired`]).
    pub(super) fn plain_twin(&self, compressed: &Path) -> Option<usize> {
        let j = *self.known_paths.get(Path::new(compressed_name_of(compressed)?))?;
        let f = &self.files[j];
        (f.codec.is_none() && f.id.is_some()).then_some(j)
    }
}

/// How much of a rotated file's start tells a compressed copy of it.
pub(super) const HEAD_BYTES: usize = 4096;

/// The start of a file as it lies on disk (its first [`HEAD_BYTES`], or all of
/// it if shorter), as a length and a hash: what it still begins with under
/// another name, and what a compressed copy of a plain one decompresses to first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Head {
    pub(super) len: usize,
    pub(super) hash: u64,
}

impl Head {
    /// The head of `file` (none for an empty or unreadable one).
    pub(super) fn read(file: &File) -> Option<Head> {
        let mut buf = [0u8; HEAD_BYTES];
        let n = read_at(file, &mut buf, 0).ok().filter(|&n| n > 0)?;
        Some(Head { len: n, hash: hash_of(&buf[..n]) })
    }

    /// Whether `file` begins with this head.
    pub(super) fn begins(&self, file: &File) -> bool {
        let mut buf = [0u8; HEAD_BYTES];
        read_at(file, &mut buf[..self.len], 0).is_ok_and(|n| n == self.len && hash_of(&buf[..n]) == self.hash)
    }
}

/// The hash of `bytes` as one stream: the same as [`LineStarts`]' hash of a
/// file's first lines written line by line, so that a log's kept starts give
/// its head too ([`LineStarts::head`]).
pub(super) fn hash_of(bytes: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
}

/// Whether the compressed file at `copy` decompresses to what the plain file at
/// `twin` begins with (its first 64 KiB, or all of it if shorter).
fn starts_alike(codec: Codec, copy: &Path, twin: &Path) -> bool {
    let (Ok(copy), Ok(twin)) = (File::open(copy), File::open(twin)) else { return false };
    let mut head = vec![0u8; 64 << 10];
    let Ok(n) = read_at(&twin, &mut head, 0) else { return false };
    let (decoded, _) = decoded_head(codec, &copy, n);
    let m = decoded.len().min(n);
    m > 0 && decoded[..m] == head[..m]
}

/// The first `max` bytes `file` decompresses to (fewer if it holds fewer), and
/// how decoding them ended.
fn decoded_head(codec: Codec, file: &File, max: usize) -> (Vec<u8>, Result<(), DecodeError>) {
    let mut head = Vec::with_capacity(max);
    let mut buf = vec![0u8; max.clamp(1, 64 << 10)];
    let (_, outcome) = compressed::decode_from(codec, file, 0, &mut buf, |piece| {
        head.extend_from_slice(&piece[..piece.len().min(max - head.len())]);
        head.len() < max
    });
    (head, outcome)
}

/// The plain name a compressed file's name stands for (`X` of `X.gz`, `X.zst`).
fn compressed_name_of(path: &Path) -> Option<&str> {
    let name = path.to_str()?;
    name.strip_suffix(".gz").or_else(|| name.strip_suffix(".zst"))
}

/// A compressed file that keeps growing (a stream of frames) is decoded again
/// from its start each time: not before this many times what its last decode
/// took has passed, so that a large one cannot take the follower's time (at
/// most about a tenth of it; what is deferred shows as lag, and is read at a
/// later poll). None under test, where polls follow each other in microseconds
/// (the deferral is tested with times set by hand).
const DECODE_AGAIN_AFTER: u32 = if cfg!(test) { 0 } else { 10 };

/// Reads what a compressed file gained since it was last decoded (it is decoded
/// again from its start, and what was read skipped); returns the compressed bytes
/// it took in.
pub(super) fn drain_compressed(f: &mut TailedFile, codec: Codec, len: u64, buf: &mut [u8], fold: &mut Fold) -> u64 {
    let Some(file) = &f.file else { return 0 };
    if f.copy {
        // Its plain twin was read (see `Tailer::mark_compressed_copies`).
        f.compressed_len = len;
        return 0;
    }
    if len == f.compressed_len || f.decode_again_at.is_some_and(|at| std::time::Instant::now() < at) {
        return 0;
    }
    let started = std::time::Instant::now();
    if len < f.compressed_len {
        // Replaced in place by a shorter one: read it again from its start.
        fold.ingest.sources[f.source].truncations += 1;
        f.offset = 0;
        f.reader.reset();
    }
    let skip = f.offset + f.reader.pending_len();
    let (handed, outcome) = compressed::decode_from(codec, file, skip, buf, |piece| {
        f.reader.feed(piece, fold, f.source);
        true
    });
    f.offset = skip + handed - f.reader.pending_len();
    f.decode_again_at = Some(started + started.elapsed() * DECODE_AGAIN_AFTER);
    let taken = len.saturating_sub(f.compressed_len);
    f.compressed_len = len;
    note_decode(fold, f.source, &f.path, outcome);
    taken
}

/// Says in the source why a compressed log was not read to its end (a frame cut
/// short is the file still being written: read on when it grows), or clears that.
pub(super) fn note_decode(
    fold: &mut Fold,
    source: SourceId,
    path: &Path,
    outcome: Result<(), compressed::DecodeError>,
) {
    let error = &mut fold.ingest.sources[source].error;
    match outcome {
        Ok(()) => {
            if error.as_ref().is_some_and(|e| e.starts_with(compressed::ERROR_PREFIX)) {
                *error = None;
            }
        }
        Err(e) => *error = Some(format!("{} {}: {e}", compressed::ERROR_PREFIX, path.display())),
    }
}
