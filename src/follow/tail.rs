//! The tailing reader: reads every log from the start (in parallel for large
//! files), then follows it through appends, partial lines, copy-truncate, rename
//! rotation and new files in watched directories.
//!
//! The watcher (notify) only says "something changed"; the tailer then reads each
//! file from its saved offset to the end and compares the file's identity (device
//! and inode) and length to notice rotation and truncation. A polling interval
//! covers file systems where notify sees nothing.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use std::time::Duration;

use anyhow::Result;

use crate::fold::{Fold, SourceId};
use crate::follow::compressed::Codec;
use crate::follow::source::LogSpec;

/// How much is read at once: bounded, so memory never follows the file's size.
const CHUNK: usize = 256 << 10;
/// For the first read, files are split into parts of about this size, read by
/// several threads.
const PART_BYTES: u64 = 4 << 20;

/// How many log files are held open at most, by default (`[monitor]
/// max_open_files`): a quiet file is remembered by identity and offset and opened
/// again when it grows.
pub const DEFAULT_MAX_OPEN: usize = 64;
/// Files the poll-interval fallback looks at per interval (besides the open ones),
/// so that following thousands of files costs little while nothing is written.
const SWEEP_BATCH: usize = 256;

/// A file's identity, to tell a rotated file from the one we hold open.
pub type FileId = (u64, u64);

#[cfg(unix)]
fn file_id(m: &std::fs::Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn file_id(m: &std::fs::Metadata) -> FileId {
    (0, m.len())
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

mod compressed_files;
mod first_read;
mod follower;
mod lines;
mod plain_copies;
mod retired;
use compressed_files::{HEAD_BYTES, Head, drain_compressed, note_decode};
pub use first_read::Progress;
pub use follower::Follower;
#[cfg(test)]
use follower::is_our_own_read;
pub use lines::{FoldSink, LineReader, LineSink};
use plain_copies::{LineStarts, Truncated};
use retired::{Retired, RetiredFiles};

/// A file being followed.
#[derive(Debug)]
struct TailedFile {
    source: SourceId,
    path: PathBuf,
    /// Named by a directory or glob: a file renamed away may reappear under
    /// another matching name, and is then resumed, not read again.
    discovered: bool,
    /// Held open while active; `None` with `id` set: known, quiet and closed.
    file: Option<File>,
    /// The identity of the file being read; `None`: not opened yet (or gone).
    id: Option<FileId>,
    offset: u64,
    reader: LineReader,
    error: Option<String>,
    /// When it last gave lines (a poll count): the least recent are closed first.
    active: u64,
    /// Its modification time when last looked at: a closed file whose length and
    /// time are unchanged is not opened.
    mtime: Option<std::time::SystemTime>,
    /// A Claude Code transcript or Codex rollout, by its first lines, or a
    /// compressed file: read whole, in file order with the transcripts.
    transcript: bool,
    /// Compressed (see `follow::compressed`): `offset` is then in the
    /// decompressed stream, and `compressed_len` the file's length when last
    /// decoded.
    codec: Option<Codec>,
    compressed_len: u64,
    /// A compressed file that grew is not decoded again before then (see
    /// [`DECODE_AGAIN_AFTER`]).
    decode_again_at: Option<std::time::Instant>,
    /// A compressed copy of a plain file read beside it (see
    /// [`Tailer::mark_compressed_copies`]): never read.
    copy: bool,
    /// The index of the file that holds the same lines as this one: a followed
    /// plain file and the compressed copy of it found while following (see
    /// [`Tailer::resume_from`]), each line counted by whichever reads it
    /// first. (Files are only ever added to [`Tailer::files`].)
    twin: Option<usize>,
    /// A file found while following that is neither a file renamed nor the
    /// compressed copy of a followed one by its name. A compressed one may be
    /// the copy of one rotated and removed between two looks (logrotate's
    /// `compress` renames, compresses and removes in one go): not read until
    /// its head tells (see [`Tailer::match_retired`]). A plain one may be a copy
    /// of a followed log (logrotate's `copytruncate`): told by its first lines
    /// (see [`Tailer::match_plain_copy`]).
    unmatched: bool,
    /// What a followed plain log begins with, while following: a plain copy of
    /// it is told by it, and so is the log emptied and written again past
    /// where it was read (see `plain_copies.rs`).
    starts: Option<LineStarts>,
    /// Where a plain copy reads on from (offset and line number), once it
    /// holds that much: where its original, since emptied, was left.
    skip_to: Option<(u64, u64)>,
    /// Set by a read that found the file truncated in place: where it had
    /// been left (offset and line number).
    truncated_at: Option<(u64, u64)>,
    /// The bytes read from the file's start (up to [`HEAD_BYTES`]), kept while
    /// its starts may grow: what it began with as read, which a look at it
    /// later may not show (emptied and written again in between).
    head: Vec<u8>,
}

impl TailedFile {
    fn new(source: SourceId, path: PathBuf, discovered: bool) -> TailedFile {
        TailedFile {
            source,
            discovered,
            file: None,
            id: None,
            offset: 0,
            reader: LineReader::default(),
            error: None,
            active: 0,
            mtime: None,
            transcript: false,
            codec: Codec::of(&path, &[]),
            compressed_len: 0,
            decode_again_at: None,
            copy: false,
            twin: None,
            unmatched: false,
            starts: None,
            skip_to: None,
            truncated_at: None,
            head: Vec::new(),
            path,
        }
    }

    /// How much of the file (as it lies on disk) has been read: compare with its
    /// length to tell whether it changed.
    fn read_len(&self) -> u64 {
        if self.codec.is_some() { self.compressed_len } else { self.offset + self.reader.pending_len() }
    }

    /// Whether `file` (this one's handle) was emptied and written again past
    /// where it was read: told by its first line, kept while following (its
    /// length is no help then). False when that cannot be told.
    fn rewritten(&self, file: &File) -> bool {
        self.offset > 0 && self.starts.as_ref().is_some_and(|s| !s.first_line_kept(file))
    }
}

/// Reads and follows a set of logs into a [`Fold`].
#[derive(Debug)]
pub struct Tailer {
    specs: Vec<LogSpec>,
    files: Vec<TailedFile>,
    retired: RetiredFiles,
    buf: Vec<u8>,
    /// Most files held open at once.
    max_open: usize,
    /// Polls so far (the clock of `TailedFile::active`).
    polls: u64,
    /// Where the poll-interval sweep goes on from.
    sweep_from: usize,
    /// Every path followed, and its index in `files` (kept, not rebuilt per
    /// poll: thousands of files).
    known_paths: HashMap<PathBuf, usize>,
    /// A watched folder's modification time when it was last listed, and when
    /// that was: an unchanged folder is not listed again.
    listed: HashMap<PathBuf, (std::time::SystemTime, std::time::SystemTime)>,
    /// Logs found truncated in place, for a plain copy of them found later.
    truncated: std::collections::VecDeque<Truncated>,
    /// Incomplete last lines of files renamed away in this poll.
    unfinished: Vec<Unfinished>,
}

/// The incomplete last line of a file found through a folder or glob and
/// renamed away: its writer may finish it in the file under its new name. If
/// the poll finds that name, the file is read on there from the line's start
/// (its record says so); if not, the line is folded as it is (it was folded
/// at once, and the rest of it, read under the new name, was a second
/// malformed line).
#[derive(Debug)]
struct Unfinished {
    id: FileId,
    source: SourceId,
    reader: LineReader,
}

fn open_error(path: &Path, e: io::Error) -> anyhow::Error {
    anyhow::Error::new(e).context(format!("cannot read log {}", path.display()))
}

enum OpenFailure {
    Missing,
    /// Out of file descriptors (EMFILE, ENFILE): closing some may help.
    Exhausted(anyhow::Error),
    Other(anyhow::Error),
}

static MAX_OPEN: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_OPEN);

/// Sets how many log files may be held open at once (`[monitor] max_open_files`);
/// a process-wide limit, like the descriptor limit it keeps under.
pub fn set_max_open_files(n: usize) {
    MAX_OPEN.store(n.max(1), Ordering::Relaxed);
}

fn max_open_files() -> usize {
    MAX_OPEN.load(Ordering::Relaxed)
}

/// Opens a log to read by offset: it must be a regular file. Returns its
/// identity and length.
fn open_regular(path: &Path) -> Result<(File, FileId, u64), OpenFailure> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(OpenFailure::Missing),
        Err(e) if matches!(e.raw_os_error(), Some(23 | 24)) => return Err(OpenFailure::Exhausted(open_error(path, e))),
        Err(e) => return Err(OpenFailure::Other(open_error(path, e))),
    };
    let meta = file.metadata().map_err(|e| OpenFailure::Other(open_error(path, e)))?;
    if !meta.is_file() {
        // Logs are read by offset, to survive rotation: a pipe or a device has no
        // offsets.
        return Err(OpenFailure::Other(anyhow::anyhow!(
            "log {} is not a regular file (write the events to a file)",
            path.display()
        )));
    }
    Ok((file, file_id(&meta), meta.len()))
}

/// How a file is compressed (by its name or first bytes), and whether to read it
/// whole with the transcripts: one of its first lines is a Claude Code
/// transcript or Codex rollout line (the fold tells a source's format the same
/// way, line by line), or it is compressed (it is read whole anyway, and telling
/// what it holds would cost a decode on the opening thread, one by one: see
/// `first_read::fold_compressed`). And, for a plain log, what it begins with
/// as the first read will read it (a look after that read may find it emptied
/// and written again).
fn look_at_head(path: &Path, file: &File, buf: &mut [u8]) -> (Option<Codec>, bool, Option<LineStarts>) {
    let window = buf.len().min(64 << 10);
    let head = &mut buf[..window];
    let Ok(n) = read_at(file, head, 0) else { return (Codec::of(path, &[]), false, None) };
    let codec = Codec::of(path, &head[..n]);
    let transcript = codec.is_some()
        || head[..n].split(|&c| c == b'\n').take(5).any(|line| crate::ingest::adapted_format(line).is_some());
    let starts = (!transcript).then(|| LineStarts::of(&head[..n.min(HEAD_BYTES)]));
    (codec, transcript, starts)
}

/// Opens a known file again, if it is still the same file.
fn reopen(path: &Path, id: FileId) -> io::Result<Option<File>> {
    let file = File::open(path)?;
    Ok((file_id(&file.metadata()?) == id).then_some(file))
}

impl Tailer {
    /// Reads everything already in the logs into `fold`, using up to `threads`
    /// threads, and returns a tailer positioned at the end of each. A file that
    /// does not exist yet is waited for; one that exists but cannot be read is an
    /// error.
    pub fn open(specs: Vec<LogSpec>, fold: &mut Fold, threads: usize) -> Result<Tailer> {
        Self::open_in_parts(specs, fold, threads, PART_BYTES, max_open_files(), &Progress::default())
    }

    /// As [`Tailer::open`], telling `progress` how far the first read has got.
    pub fn open_with_progress(
        specs: Vec<LogSpec>,
        fold: &mut Fold,
        threads: usize,
        progress: &Progress,
    ) -> Result<Tailer> {
        let tailer = Self::open_in_parts(specs, fold, threads, PART_BYTES, max_open_files(), progress);
        progress.done.store(true, Ordering::Release);
        tailer
    }

    pub(crate) fn open_in_parts(
        specs: Vec<LogSpec>,
        fold: &mut Fold,
        threads: usize,
        part_bytes: u64,
        max_open: usize,
        progress: &Progress,
    ) -> Result<Tailer> {
        let mut tailer = Tailer {
            specs,
            files: Vec::new(),
            retired: RetiredFiles::default(),
            buf: vec![0u8; CHUNK],
            max_open: max_open.max(1),
            polls: 0,
            sweep_from: 0,
            known_paths: HashMap::new(),
            listed: HashMap::new(),
            truncated: std::collections::VecDeque::new(),
            unfinished: Vec::new(),
        };
        // A set, not a scan of the files so far: 5,000 files made that quadratic.
        for spec in tailer.specs.clone() {
            let discovered = !matches!(spec, LogSpec::File(_));
            if let LogSpec::Dir(dir) = &spec {
                tailer.folder_changed(dir);
            }
            for path in spec.expand()? {
                if tailer.known_paths.contains_key(&path) {
                    continue;
                }
                tailer.known_paths.insert(path.clone(), tailer.files.len());
                let source = fold.ingest.add_source(path.display().to_string());
                tailer.files.push(TailedFile::new(source, path, discovered));
            }
        }
        let lens = tailer.open_all(fold)?;
        tailer.mark_compressed_copies(&lens, fold);
        tailer.first_read(fold, &lens, threads.max(1), part_bytes.max(1), progress)?;
        Ok(tailer)
    }

    /// Opens every file once to learn its identity and length, holding at most
    /// `max_open` open; returns the lengths (`None`: missing or unreadable). Out of
    /// descriptors, it closes what it holds and tries again, so a low `ulimit -n`
    /// costs speed, not files.
    fn open_all(&mut self, fold: &mut Fold) -> Result<Vec<Option<u64>>> {
        let mut lens = Vec::with_capacity(self.files.len());
        let mut held = 0;
        for i in 0..self.files.len() {
            lens.push(None);
            let mut opened = open_regular(&self.files[i].path);
            if matches!(opened, Err(OpenFailure::Exhausted(_))) && held > 0 {
                // The process limit is lower than ours: hold half of what fitted,
                // leaving room for the readers' own opens.
                self.max_open = (held / 2).max(1);
                held -= self.close_quiet(0);
                opened = open_regular(&self.files[i].path);
            }
            let path = &self.files[i].path;
            let head = opened.as_ref().ok().map(|(file, ..)| look_at_head(path, file, &mut self.buf));
            let f = &mut self.files[i];
            let error = match opened {
                Ok((file, id, len)) => {
                    f.id = Some(id);
                    lens[i] = Some(len);
                    (f.codec, f.transcript, f.starts) = head.unwrap_or_default();
                    if held < self.max_open {
                        f.file = Some(file);
                        held += 1;
                    }
                    continue;
                }
                Err(OpenFailure::Missing) => {
                    // Waited for: the error clears when the file appears.
                    fold.ingest.sources[f.source].error =
                        Some(format!("waiting for {} (does not exist yet)", f.path.display()));
                    continue;
                }
                Err(OpenFailure::Exhausted(e) | OpenFailure::Other(e)) => e,
            };
            // A file found in a folder or by a glob that cannot be read is named in
            // the report, and the others are still read: one bad file (no
            // permission, out of descriptors) must not blank the report.
            if !f.discovered {
                return Err(error);
            }
            let message = format!("{error:#}");
            fold.ingest.sources[f.source].error = Some(message.clone());
            f.error = Some(message);
        }
        Ok(lens)
    }

    /// Closes the least recently active open files until at most `keep` are open;
    /// returns how many it closed. A closed file keeps its identity and offset.
    fn close_quiet(&mut self, keep: usize) -> usize {
        let mut open: Vec<usize> = (0..self.files.len()).filter(|&i| self.files[i].file.is_some()).collect();
        if open.len() <= keep {
            return 0;
        }
        let surplus = open.len() - keep;
        if keep > 0 {
            open.select_nth_unstable_by_key(surplus - 1, |&i| self.files[i].active);
        }
        for &i in &open[..surplus] {
            self.files[i].file = None;
        }
        surplus
    }

    /// How many files are held open now.
    pub fn open_files(&self) -> usize {
        self.files.iter().filter(|f| f.file.is_some()).count()
    }

    /// How many files are followed.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// The directories worth watching for changes.
    pub fn watch_dirs(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = self.specs.iter().flat_map(LogSpec::watch_dirs).collect();
        dirs.sort();
        dirs.dedup();
        dirs
    }

    /// Bytes written to the followed files but not read yet (lag behind the log).
    pub fn lag_bytes(&self) -> u64 {
        self.files
            .iter()
            .filter_map(|f| {
                let len = f.file.as_ref()?.metadata().ok()?.len();
                Some(len.saturating_sub(f.read_len()))
            })
            .sum()
    }

    /// Problems met while following, one line each (a file that became unreadable).
    pub fn errors(&self) -> Vec<String> {
        self.files.iter().filter_map(|f| f.error.clone()).collect()
    }

    /// Reads whatever was appended since the last call to every file, noticing
    /// rotation, truncation and new files. Returns the number of bytes read.
    pub fn poll(&mut self, fold: &mut Fold) -> u64 {
        self.polls += 1;
        let mut read = 0;
        for i in 0..self.files.len() {
            read += self.poll_file(i, fold);
        }
        self.discover(fold);
        self.finish_unfinished(fold);
        self.close_quiet(self.max_open);
        read
    }

    /// Folds the incomplete last lines of files renamed away (see
    /// [`Unfinished`]) whose new name this poll did not find, and moves their
    /// records past them: found later, they read on after the line.
    fn finish_unfinished(&mut self, fold: &mut Fold) {
        for mut u in std::mem::take(&mut self.unfinished) {
            // Gone: read on under the new name from the line's start.
            let Some(r) = self.retired.latest_mut(u.id) else { continue };
            r.offset += u.reader.pending_len();
            u.reader.finish(fold, u.source);
            r.line_no = u.reader.line_no;
        }
    }

    /// Reads the files named `names` (what the watcher saw change; matched by file
    /// name, as the watcher's paths may be spelled otherwise) and the open ones,
    /// and looks for new files if a name is not known.
    pub fn poll_changed(&mut self, names: &HashSet<std::ffi::OsString>, fold: &mut Fold) -> u64 {
        self.polls += 1;
        let mut read = 0;
        let mut matched = HashSet::new();
        for i in 0..self.files.len() {
            let name = self.files[i].path.file_name().filter(|n| names.contains(*n)).map(ToOwned::to_owned);
            if name.is_some() || self.files[i].file.is_some() {
                read += self.poll_file(i, fold);
            }
            matched.extend(name);
        }
        // A file renamed away with a line unfinished: its new name is looked
        // for now, whatever the watcher said.
        if !self.unfinished.is_empty() || names.iter().any(|n| !matched.contains(n)) {
            self.discover(fold);
        }
        self.finish_unfinished(fold);
        self.close_quiet(self.max_open);
        read
    }

    /// The poll-interval fallback (for file systems where the watcher sees
    /// nothing): the open files and the next `SWEEP_BATCH` of the others, in
    /// turn, and new files. A closed file is only opened if it grew or shrank.
    pub fn sweep(&mut self, fold: &mut Fold) -> u64 {
        self.polls += 1;
        let count = self.files.len();
        let mut read = 0;
        let batch: HashSet<usize> = (0..SWEEP_BATCH.min(count)).map(|k| (self.sweep_from + k) % count.max(1)).collect();
        self.sweep_from = (self.sweep_from + SWEEP_BATCH) % count.max(1);
        for i in 0..count {
            if self.files[i].file.is_some() || batch.contains(&i) {
                read += self.poll_file(i, fold);
            }
        }
        self.discover(fold);
        self.finish_unfinished(fold);
        self.close_quiet(self.max_open);
        read
    }

    /// Whether a watched folder may hold entries it did not hold when last listed
    /// (noting that it is listed now). Its modification time moves with every
    /// entry made, removed or renamed; a time within a second of the last listing
    /// is not trusted (a change in the same tick would not move it).
    fn folder_changed(&mut self, dir: &Path) -> bool {
        let now = std::time::SystemTime::now();
        let Ok(mtime) = std::fs::metadata(dir).and_then(|m| m.modified()) else {
            return true;
        };
        let settled = |at: std::time::SystemTime| at.duration_since(mtime).is_ok_and(|d| d > Duration::from_secs(1));
        match self.listed.insert(dir.to_path_buf(), (mtime, now)) {
            Some((seen, listed_at)) if seen == mtime && settled(listed_at) => {
                // Unchanged: keep the earlier listing time (still settled).
                self.listed.insert(dir.to_path_buf(), (seen, listed_at));
                false
            }
            _ => true,
        }
    }

    fn discover(&mut self, fold: &mut Fold) {
        let watched: Vec<LogSpec> = self.specs.iter().filter(|s| !matches!(s, LogSpec::File(_))).cloned().collect();
        let mut known_ids: Option<HashSet<FileId>> = None;
        for spec in &watched {
            if let LogSpec::Dir(dir) = spec
                && !self.folder_changed(dir)
            {
                continue;
            }
            let Ok(paths) = spec.expand() else { continue };
            for path in paths {
                if self.known_paths.contains_key(&path) {
                    continue;
                }
                between_steps("before a new path's look");
                let Ok(meta) = std::fs::metadata(&path) else {
                    continue;
                };
                let id = file_id(&meta);
                // Built only when a path is new: a renamed file keeps its identity.
                let ids = known_ids.get_or_insert_with(|| self.files.iter().filter_map(|f| f.id).collect());
                if !ids.insert(id) {
                    continue;
                }
                self.known_paths.insert(path.clone(), self.files.len());
                // Opened first: whatever is at the path now is what is read.
                let opened = reopen(&path, id).ok().flatten();
                let retired = opened.as_ref().and_then(|file| self.retired.take(id, file));
                let twin = if retired.is_none() { self.plain_twin(&path) } else { None };
                let resume = retired.or_else(|| twin.map(|j| self.resume_from(j)));
                let unmatched = retired.is_none() && twin.is_none();
                let resume = resume.unwrap_or(Retired { offset: 0, line_no: 0, head: None });
                let source = fold.ingest.add_source(path.display().to_string());
                let mut f = TailedFile::new(source, path, true);
                f.unmatched = unmatched;
                f.offset = resume.offset;
                f.reader.line_no = resume.line_no;
                if let Some(file) = opened {
                    f.id = Some(id);
                    f.file = Some(file);
                }
                self.files.push(f);
                let last = self.files.len() - 1;
                if let Some(j) = twin {
                    self.link_twins(last, j);
                    self.note_copy(last, &self.files[j].path, fold);
                }
                self.poll_file(last, fold);
            }
        }
    }

    fn poll_file(&mut self, i: usize, fold: &mut Fold) -> u64 {
        between_steps("before a file's look");
        let at_path = std::fs::metadata(&self.files[i].path);
        let replaced = self.files[i].id.is_some_and(|id| !matches!(&at_path, Ok(m) if file_id(m) == id));
        between_steps("after a file's look");
        // Matched first: a copy told by its start then skips what its twin read
        // (a file replaced too, before its last read: what the twin counted of
        // it, the read must not count again).
        let mut may_read = self.match_retired(i, fold) && self.catch_up_with_twin(i);
        let mut read = 0;
        if replaced {
            read += self.retire(i, fold, may_read, at_path.is_ok());
        }
        let Ok(meta) = at_path else { return read };
        let mtime = meta.modified().ok();
        // About to open a file renamed here from another followed name, whose
        // file has not been looked at since: that one is finished first (as
        // its next look would), and this one reads on from where it was left.
        if self.files[i].id.is_none() && self.files[i].discovered {
            let id = file_id(&meta);
            if let Some(j) = (0..self.files.len()).find(|&j| j != i && self.files[j].id == Some(id)) {
                let may_read = self.match_retired(j, fold) && self.catch_up_with_twin(j);
                read += self.retire(j, fold, may_read, true);
            }
        }
        if !self.open_to_read(i, &meta, mtime, fold) {
            return read;
        }
        // One just reopened unmatched is matched now if plain (a new log shows
        // at once), at its next poll if compressed.
        let f = &self.files[i];
        if may_read && f.unmatched && f.codec.is_none() {
            may_read = self.match_plain_copy(i, fold) && self.catch_up_with_twin(i);
        }
        let polls = self.polls;
        let f = &mut self.files[i];
        let drained = if may_read && !f.unmatched { drain(f, &mut self.buf, fold) } else { 0 };
        if drained > 0 {
            f.active = polls;
        }
        f.mtime = mtime;
        between_steps("after a read");
        self.note_plain_start(i);
        read + drained
    }

    /// Finishes file `i`, rotated or removed, through the handle held (a closed,
    /// quiet file has nothing more to give; read only if `may_read`), and keeps
    /// where it was left for a file that shows up under another name; `moved`
    /// when another file stands at its path. Returns the bytes read. Its twin
    /// (the file that stood here was its copy) reads on from where this one
    /// was left: whatever stands here next is another file.
    fn retire(&mut self, i: usize, fold: &mut Fold, may_read: bool, moved: bool) -> u64 {
        let twin = self.files[i].twin;
        self.unlink_twin(i);
        let f = &mut self.files[i];
        let read = if may_read { drain(f, &mut self.buf, fold) } else { 0 };
        let held = f.reader.pending_len();
        // An unfinished last line is this one's (folded here, or read on
        // under the file's new name).
        let left = (f.offset + held, f.reader.line_no + u64::from(held > 0));
        match f.id.take().filter(|_| f.discovered) {
            Some(id) => {
                // A closed file is known by the start it had when looked at.
                let head = f.file.as_ref().and_then(Head::read).or_else(|| f.starts.as_ref()?.head());
                self.retired.insert(id, Retired { offset: f.offset, line_no: f.reader.line_no, head });
                if held > 0 {
                    let reader = std::mem::take(&mut f.reader);
                    self.unfinished.push(Unfinished { id, source: f.source, reader });
                }
            }
            None => f.reader.finish(fold, f.source),
        }
        f.offset += held;
        f.file = None;
        if moved {
            fold.ingest.sources[f.source].rotations += 1;
        }
        if let Some(j) = twin {
            let t = &mut self.files[j];
            if t.skip_to.is_none_or(|(at, _)| at < left.0) {
                t.skip_to = Some(left);
            }
        }
        read
    }

    /// Opens file `i` for a read, if it needs one: a known, closed file again
    /// only if its length or time moved (`meta` is what stands at its path); a
    /// new one, going on where it was left if it was read before under another
    /// name. Whether there is a file to read.
    fn open_to_read(
        &mut self,
        i: usize,
        meta: &std::fs::Metadata,
        mtime: Option<std::time::SystemTime>,
        fold: &mut Fold,
    ) -> bool {
        let f = &mut self.files[i];
        if let (Some(id), None) = (f.id, &f.file) {
            let same_time = f.mtime.is_none() || f.mtime == mtime;
            if meta.len() == f.read_len() && same_time {
                f.mtime = mtime;
                return false;
            }
            match reopen(&f.path, id) {
                Ok(Some(file)) => f.file = Some(file),
                // Replaced between the look and the open: the next poll sees it.
                Ok(None) => return false,
                Err(e) => {
                    failed(f, fold, &e);
                    return false;
                }
            }
        }
        if f.id.is_some() {
            return true;
        }
        if !meta.is_file() {
            return false;
        }
        between_steps("before an open");
        let f = &mut self.files[i];
        match File::open(&f.path) {
            Ok(file) => {
                // Its own identity, not the look's: another file may have
                // been put at the path between the two.
                let id = match file.metadata() {
                    Ok(m) => file_id(&m),
                    Err(e) => {
                        failed(f, fold, &e);
                        return false;
                    }
                };
                f.id = Some(id);
                f.file = Some(file);
                f.offset = 0;
                f.compressed_len = 0;
                f.reader.reset();
                f.error = None;
                fold.ingest.sources[f.source].error = None;
                // Another file now stands at this path: one read before under
                // another name (renamed here) goes on where it was left, and a
                // compressed one may be the copy of one read (logrotate's
                // `compress` makes `events.jsonl.1.gz` again at each rotation).
                (f.starts, f.skip_to, f.truncated_at) = (None, None, None);
                f.head.clear();
                // A twin was the file that stood here before.
                self.unlink_twin(i);
                let f = &mut self.files[i];
                let taken = match (&f.file, f.discovered) {
                    (Some(file), true) => self.retired.take(id, file),
                    _ => None,
                };
                if let Some(r) = taken {
                    f.offset = r.offset;
                    f.reader.line_no = r.line_no;
                } else {
                    f.unmatched = f.discovered;
                }
                true
            }
            Err(e) => {
                failed(f, fold, &e);
                false
            }
        }
    }
}

/// Under test, what other processes do to the files between two steps of a
/// poll, told where it is (see `tests/schedules.rs`).
#[cfg(test)]
type StepHook = Box<dyn FnMut(&str)>;

#[cfg(test)]
thread_local! {
    static BETWEEN_STEPS: std::cell::RefCell<Option<StepHook>> = const { std::cell::RefCell::new(None) };
}

/// Between two steps of a poll (a file read, a new path looked at): where
/// another process's file operations may fall. Nothing but under test.
#[inline(always)]
fn between_steps(_where: &str) {
    #[cfg(test)]
    BETWEEN_STEPS.with(|hook| {
        if let Some(hook) = hook.borrow_mut().as_mut() {
            hook(_where);
        }
    });
}

/// Notes that a followed file cannot be opened.
fn failed(f: &mut TailedFile, fold: &mut Fold, e: &io::Error) {
    let message = format!("cannot read log {}: {e}", f.path.display());
    fold.ingest.sources[f.source].error = Some(message.clone());
    f.error = Some(message);
}

/// Reads a followed file from its offset to its end.
fn drain(f: &mut TailedFile, buf: &mut [u8], fold: &mut Fold) -> u64 {
    let Some(file) = &f.file else { return 0 };
    let len = match file.metadata() {
        Ok(m) => m.len(),
        Err(e) => {
            let message = format!("cannot read log {}: {e}", f.path.display());
            fold.ingest.sources[f.source].error = Some(message.clone());
            f.error = Some(message);
            return 0;
        }
    };
    if let Some(codec) = f.codec {
        return drain_compressed(f, codec, len, buf, fold);
    }
    let held = f.reader.pending_len();
    if len < f.offset + held || f.rewritten(file) {
        // Copy-truncate: the file was emptied (and perhaps refilled) in place.
        fold.ingest.sources[f.source].truncations += 1;
        f.truncated_at = Some((f.offset, f.reader.line_no));
        f.offset = 0;
        f.reader.reset();
        f.head.clear();
    }
    between_steps("before a read");
    let mut read = 0;
    loop {
        let pos = f.offset + f.reader.pending_len();
        match read_at(file, buf, pos) {
            Ok(0) => break,
            Ok(n) => {
                if !f.transcript && f.head.len() < HEAD_BYTES && pos == f.head.len() as u64 {
                    f.head.extend_from_slice(&buf[..n.min(HEAD_BYTES - f.head.len())]);
                }
                f.reader.feed(&buf[..n], fold, f.source);
                f.offset = pos + n as u64 - f.reader.pending_len();
                read += n as u64;
                between_steps("between reads");
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                let message = format!("cannot read log {}: {e}", f.path.display());
                fold.ingest.sources[f.source].error = Some(message.clone());
                f.error = Some(message);
                break;
            }
        }
    }
    read
}

/// Opens the logs and reads what they hold: the shared start of every command.
pub fn read_all(
    specs: Vec<LogSpec>,
    cutoff: Option<crate::time::Micros>,
    prices: std::sync::Arc<crate::pricing::PriceTable>,
    threads: usize,
) -> Result<(Tailer, Fold)> {
    read_into(specs, Fold::new(cutoff, prices), threads)
}

/// Opens the logs and reads what they hold into `fold` (set up by the caller:
/// a cutoff, prices, trace trees).
pub fn read_into(specs: Vec<LogSpec>, fold: Fold, threads: usize) -> Result<(Tailer, Fold)> {
    read_with_progress(specs, fold, threads, &Progress::default())
}

/// As [`read_into`], telling `progress` how far it has got.
pub fn read_with_progress(
    specs: Vec<LogSpec>,
    mut fold: Fold,
    threads: usize,
    progress: &Progress,
) -> Result<(Tailer, Fold)> {
    let tailer = Tailer::open_with_progress(specs, &mut fold, threads, progress)?;
    Ok((tailer, fold))
}

#[cfg(test)]
mod tests;
