//! The first read: the logs split into tasks (parts of large files, runs of small
//! files, runs of transcripts), read on every thread, merged in order. A part of
//! a large file is parsed where it lies, through mapped windows (Linux; see
//! `follow::mapped`); everything else is read into a buffer.

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use anyhow::Result;

use super::{CHUNK, LineReader, TailedFile, Tailer, open_error, read_at, reopen};
use crate::fold::{Fold, SourceId};
use crate::follow::compressed;
#[cfg(target_os = "linux")]
use crate::follow::mapped::{WINDOW, Window};

/// One part of a file for the first, parallel read.
struct Task {
    file: usize,
    source: SourceId,
    start: u64,
    end: u64,
    /// Files in the task: more than one for a run of small files read whole (their
    /// indices and sources follow on from `file` and `source`).
    files: usize,
    /// Transcripts (Claude Code, Codex), read whole into a fold that knows every
    /// source and keeps their events for the merge to count, in file order: a
    /// response copied into a forked session counts once, whichever thread read it.
    transcripts: Vec<usize>,
}

/// What the first read of one part found.
#[derive(Default)]
struct TaskResult {
    fold: Fold,
    /// Lines per file of the task.
    lines: Vec<u64>,
    /// Files of a run that could not be read (index in the task, why).
    failed: Vec<(usize, io::Error)>,
}

/// Lines read per file, and (file, why) for each file that could not be read.
type Merged = (Vec<u64>, Vec<(usize, String)>);

/// Merges the parts' folds into `fold` in task order as they arrive, holding only
/// those that came before an earlier part; returns the lines read per file, and
/// why each discovered file that could not be read could not.
fn merge_in_order(
    fold: &mut Fold,
    tasks: &[Task],
    files: &[TailedFile],
    receiver: std::sync::mpsc::Receiver<(usize, io::Result<TaskResult>)>,
) -> Result<Merged> {
    let mut lines = vec![0u64; files.len()];
    let mut failed = Vec::new();
    let mut waiting = std::collections::BTreeMap::new();
    let mut to_merge = 0;
    for (t, result) in receiver.iter() {
        waiting.insert(t, result);
        while let Some(result) = waiting.remove(&to_merge) {
            let task = &tasks[to_merge];
            to_merge += 1;
            let (r, errors) = match result {
                Ok(mut r) => {
                    let errors = std::mem::take(&mut r.failed);
                    (Some(r), errors)
                }
                Err(e) => (None, vec![(0, e)]),
            };
            // The files of the task, in the order of its result's lines.
            let indices: Vec<usize> = if task.transcripts.is_empty() {
                (task.file..task.file + task.files).collect()
            } else {
                task.transcripts.clone()
            };
            for (k, e) in errors {
                let i = indices[k];
                let source = files[i].source;
                // As when opening: a file of a folder or glob that cannot be read
                // is named, and the others are still read.
                if !files[i].discovered {
                    return Err(open_error(&files[i].path, e));
                }
                let message = format!("{:#}", open_error(&files[i].path, e));
                fold.ingest.sources[source].error.get_or_insert_with(|| message.clone());
                failed.push((i, message));
            }
            let Some(r) = r else { continue };
            if task.transcripts.is_empty() {
                fold.merge_as_sources(r.fold, task.source);
            } else {
                fold.merge(r.fold);
            }
            for (k, n) in r.lines.into_iter().enumerate() {
                lines[indices[k]] += n;
            }
        }
    }
    anyhow::ensure!(to_merge == tasks.len(), "a reader thread stopped");
    Ok((lines, failed))
}

/// How far the first read of the logs has got, for a progress display: bytes
/// read of the total, and whether it is done. Shared between the reading
/// threads and whoever shows it.
#[derive(Debug, Default)]
pub struct Progress {
    pub read: AtomicU64,
    pub total: AtomicU64,
    pub done: AtomicBool,
}

impl Progress {
    /// (bytes read, bytes in all, done).
    pub fn get(&self) -> (u64, u64, bool) {
        (self.read.load(Ordering::Relaxed), self.total.load(Ordering::Relaxed), self.done.load(Ordering::Acquire))
    }
}

/// Parts at least this large are read through mapped windows (where the
/// platform allows): below it, mapping saves too little to matter. Every part
/// under test, so that the tests read both ways.
#[cfg(target_os = "linux")]
const MAP_AT_LEAST: u64 = if cfg!(test) { 1 } else { 1 << 20 };

/// Folds a compressed file (see `follow::compressed`) into `fold`'s `source`,
/// whole; its length counts in `progress` once read. A file that does not
/// decode to its end keeps the lines before the fault, and its source says why.
fn fold_compressed(
    codec: compressed::Codec,
    (file, path): (&File, &std::path::Path),
    fold: &mut Fold,
    source: SourceId,
    progress: &Progress,
) -> io::Result<u64> {
    thread_local! {
        /// Where a thread decodes: one buffer for all its files. With a zeroed
        /// buffer a file, and each file's head decoded first on the opening
        /// thread, 3,000 compressed Codex rollouts took 0.68-0.72 s against
        /// 0.42-0.49 s plain; without either, the same as plain (0.44-0.61 s
        /// against 0.53-0.61 s, interleaved runs).
        static DECODED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let mut reader = LineReader::default();
    let (_, outcome) = DECODED.with_borrow_mut(|buf| {
        buf.resize(CHUNK, 0);
        compressed::decode_from(codec, file, 0, buf, |piece| {
            reader.feed(piece, fold, source);
            true
        })
    });
    match outcome {
        Err(compressed::DecodeError::Io(e)) => return Err(e),
        outcome => super::note_decode(fold, source, path, outcome),
    }
    progress.read.fetch_add(file.metadata().map_or(0, |m| m.len()), Ordering::Relaxed);
    Ok(reader.line_no)
}

/// Folds the lines that start in `[start, end)` of `file` into `fold`'s
/// `source` (see [`fold_range`]): in place through mapped windows where the
/// range is large enough and `restart` can give an empty fold to begin again
/// with, by `read` otherwise, or after all when the mapping failed or the file
/// shrank under it (what was folded from it is dropped).
fn fold_part(
    file: &File,
    range: (u64, u64),
    fold: &mut Fold,
    restart: Option<&dyn Fn() -> Fold>,
    source: SourceId,
    progress: &Progress,
) -> io::Result<u64> {
    #[cfg(target_os = "linux")]
    if let Some(restart) = restart
        && range.1 - range.0 >= MAP_AT_LEAST
        && let Some(lines) = fold_in_place(&mut Mapped::new(file)?, range, fold, restart, source, progress)
    {
        return Ok(lines);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = restart;
    let mut copied = Copied { file, buf: vec![0u8; (range.1 - range.0).clamp(4096, CHUNK as u64) as usize] };
    fold_range(&mut copied, range, fold, source, progress).0
}

/// [`fold_range`] through `bytes` read in place: the lines read, or `None` when
/// it failed or the file shrank under it, `fold` and `progress` then as before.
#[cfg(target_os = "linux")]
fn fold_in_place(
    bytes: &mut impl RangeBytes,
    range: (u64, u64),
    fold: &mut Fold,
    restart: &dyn Fn() -> Fold,
    source: SourceId,
    progress: &Progress,
) -> Option<u64> {
    let (read, counted) = fold_range(bytes, range, fold, source, progress);
    if bytes.were_the_files()
        && let Ok(lines) = read
    {
        return Some(lines);
    }
    *fold = restart();
    progress.read.fetch_sub(counted, Ordering::Relaxed);
    None
}

/// Where a range's bytes come from: `read` into a buffer, or mapped windows.
trait RangeBytes {
    /// The file's bytes from `pos` on (some of them; none at its end).
    fn at(&mut self, pos: u64) -> io::Result<&[u8]>;
    /// Done: whether every byte given was the file's (a mapping of a file that
    /// shrank under it gave zeros).
    fn were_the_files(&mut self) -> bool {
        true
    }
}

/// Bytes `read` into a buffer of at most [`CHUNK`] (a small file's part needs
/// no full chunk; a longer line is read in turns).
struct Copied<'f> {
    file: &'f File,
    buf: Vec<u8>,
}

impl RangeBytes for Copied<'_> {
    fn at(&mut self, pos: u64) -> io::Result<&[u8]> {
        let n = read_at(self.file, &mut self.buf, pos)?;
        Ok(&self.buf[..n])
    }
}

/// Bytes read in place, a window at a time (see `follow::mapped`), up to the
/// file's length when the read began (what is appended after is the follower's).
#[cfg(target_os = "linux")]
struct Mapped<'f> {
    file: &'f File,
    len: u64,
    /// The window mapped now and the file offset it starts at.
    window: Option<(u64, Window)>,
    /// Whether the file shrank under a window already read.
    shrank: bool,
}

#[cfg(target_os = "linux")]
impl<'f> Mapped<'f> {
    fn new(file: &'f File) -> io::Result<Mapped<'f>> {
        Ok(Mapped { file, len: file.metadata()?.len(), window: None, shrank: false })
    }

    /// Unmaps the window, noting whether the file shrank under it.
    fn unmap(&mut self) {
        if let Some((_, window)) = self.window.take() {
            self.shrank |= window.shrank();
        }
    }
}

#[cfg(target_os = "linux")]
impl RangeBytes for Mapped<'_> {
    fn at(&mut self, pos: u64) -> io::Result<&[u8]> {
        let inside = |(from, w): &(u64, Window)| *from <= pos && pos - from < w.bytes().len() as u64;
        if !self.window.as_ref().is_some_and(inside) {
            self.unmap();
            if pos >= self.len {
                return Ok(&[]);
            }
            let len = (self.len - pos).min(WINDOW as u64) as usize;
            self.window = Some((pos, Window::map(self.file, pos, len)?));
        }
        match &self.window {
            Some((from, w)) => Ok(w.bytes().get((pos - from) as usize..).unwrap_or_default()),
            None => Ok(&[]),
        }
    }

    fn were_the_files(&mut self) -> bool {
        self.unmap();
        !self.shrank
    }
}

/// Folds the lines that start in `[start, end)` of a file, whose bytes `bytes`
/// gives, into `fold`'s `source`; the last one may run past `end`. A line cut by
/// `start` belongs to the part before. Returns the lines read, and the bytes it
/// counted in `progress` (also when it fails).
fn fold_range(
    bytes: &mut impl RangeBytes,
    (start, end): (u64, u64),
    fold: &mut Fold,
    source: SourceId,
    progress: &Progress,
) -> (io::Result<u64>, u64) {
    let mut counted = 0;
    let mut count = |n: u64| {
        counted += n;
        progress.read.fetch_add(n, Ordering::Relaxed);
    };
    let mut reader = LineReader::default();
    let mut pos = start;
    if pos > 0 {
        // Skip to just after the first newline at or after start - 1.
        pos -= 1;
        loop {
            let chunk = match bytes.at(pos) {
                Ok(chunk) => chunk,
                Err(e) => return (Err(e), counted),
            };
            if chunk.is_empty() {
                return (Ok(0), counted);
            }
            if let Some(i) = memchr::memchr(b'\n', chunk) {
                pos += i as u64 + 1;
                // The previous part read these (the end of its last line).
                count(pos.min(end).saturating_sub(start));
                break;
            }
            pos += chunk.len() as u64;
        }
    }
    while pos < end || reader.pending_len() > 0 {
        let mut chunk = match bytes.at(pos) {
            Ok(chunk) => chunk,
            Err(e) => return (Err(e), counted),
        };
        if chunk.is_empty() {
            break;
        }
        let mut done = false;
        if pos + chunk.len() as u64 >= end {
            // Stop after the line that is under way at `end`.
            let from = end.saturating_sub(1).saturating_sub(pos) as usize;
            if let Some(i) = memchr::memchr(b'\n', &chunk[from.min(chunk.len())..]) {
                chunk = &chunk[..from + i + 1];
                done = true;
            }
        }
        reader.feed(chunk, fold, source);
        let before = pos;
        pos += chunk.len() as u64;
        // Only this part's own bytes count: the line under way at its end is
        // the next part's to count.
        count(pos.min(end).saturating_sub(before.max(start)));
        if done {
            break;
        }
    }
    (Ok(reader.line_no), counted)
}

impl Tailer {
    /// Reads every file's bytes so far on `threads` threads, in parts of about
    /// `part_bytes`, into `fold`; each file's offset and line count then follow.
    pub(super) fn first_read(
        &mut self,
        fold: &mut Fold,
        lens: &[Option<u64>],
        threads: usize,
        part_bytes: u64,
        progress: &Progress,
    ) -> Result<()> {
        let tasks = plan_tasks(&self.files, lens, threads, part_bytes);
        progress.total.fetch_add(lens.iter().flatten().sum(), Ordering::Relaxed);
        let next = AtomicUsize::new(0);
        let template = fold.empty_like();
        let files = &self.files;
        let workers = threads.min(tasks.len()).max(1);
        let (sender, receiver) = std::sync::mpsc::sync_channel::<(usize, io::Result<TaskResult>)>(workers);
        // Parts are merged in order as soon as they and the ones before them are in,
        // so only the parts read out of order are held: merging at the end held every
        // part's fold at once (4 parts of 1,000 names each took 168 MiB).
        let merged: Result<Merged> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    let sender = sender.clone();
                    let (tasks, next, template) = (&tasks, &next, &template);
                    scope.spawn(move || {
                        loop {
                            let t = next.fetch_add(1, Ordering::Relaxed);
                            let Some(task) = tasks.get(t) else { break };
                            let result = read_task(files, lens, task, template, progress);
                            if sender.send((t, result)).is_err() {
                                break; // the merge gave up on an error
                            }
                        }
                    })
                })
                .collect();
            drop(sender);
            let merged = merge_in_order(fold, &tasks, files, receiver);
            if merged.is_err() {
                next.store(tasks.len(), Ordering::Relaxed); // no point reading the rest
            }
            // Joined here so a reader's panic is an error, not a panic of this thread.
            let panicked = handles.into_iter().map(|h| h.join()).filter(Result::is_err).count();
            if panicked > 0 {
                anyhow::bail!("a reader thread stopped");
            }
            merged
        });
        let (lines, failed) = merged?;
        for (f, lines) in self.files.iter_mut().zip(lines) {
            f.reader.line_no += lines;
        }
        for (i, message) in failed {
            self.files[i].error.get_or_insert(message);
        }
        // The parts were read in order from the start, so the bytes of complete
        // lines counted are where the first incomplete line (if any) begins (in
        // the decompressed stream, for a compressed file).
        for (f, len) in self.files.iter_mut().zip(lens) {
            f.offset = fold.ingest.sources[f.source].bytes;
            f.compressed_len = len.unwrap_or(0);
        }
        Ok(())
    }
}

/// The share of a large file read in small parts at the end of its first read.
const TAIL_SHARE: u64 = 8;
/// Small parts a thread in that tail.
const TAIL_PARTS_A_THREAD: u64 = 2;

/// The parts of a file of `len` bytes, in order, for `threads` threads: one large
/// part a thread, then the last eighth in small parts (two a thread), taken by
/// whichever thread is free first, so that a thread that ran slower ends at most
/// a small part after the others. Equal parts (two a thread) left one thread
/// idle for the last 0.02-0.14 s of a 0.9 s read of the bench's 5 M lines (the
/// two vCPUs' speeds drift apart): with the tail, the mean of ten runs went from
/// 0.948 to 0.901 s (the best the same). Each part costs a fold and a merge
/// (about 2 ms), so the small parts are few; a file too small for them is read
/// in equal parts of at least `part_bytes`, two a thread.
fn file_parts(len: u64, threads: usize, part_bytes: u64) -> Vec<(u64, u64)> {
    let threads = threads as u64;
    let (tail, tail_parts) = (len / TAIL_SHARE, TAIL_PARTS_A_THREAD * threads);
    if threads <= 1 || tail / tail_parts < part_bytes {
        let parts = if threads > 1 { (len / part_bytes).clamp(1, threads * 2) } else { 1 };
        return (0..parts).map(|p| (len * p / parts, len * (p + 1) / parts)).collect();
    }
    let large = len - tail;
    let large_parts = (0..threads).map(|p| (large * p / threads, large * (p + 1) / threads));
    let small = (0..tail_parts).map(|p| (large + tail * p / tail_parts, large + tail * (p + 1) / tail_parts));
    large_parts.chain(small).collect()
}

/// Splits the first read into tasks: a large file into a few parts a thread (more
/// would only hold more folds in memory until they are merged), consecutive small
/// files into runs read whole, so that 5,000 small files cost a few dozen folds
/// and merges, not 5,000, while still giving every thread work.
fn plan_tasks(files: &[TailedFile], lens: &[Option<u64>], threads: usize, part_bytes: u64) -> Vec<Task> {
    let small = lens.iter().flatten().filter(|&&len| len < part_bytes).count();
    let run_files = (small / (threads * 4)).clamp(1, 512);
    let mut tasks: Vec<Task> = Vec::new();
    let mut run_bytes = 0;
    let mut transcripts = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let Some(len) = lens[i].filter(|_| !f.copy) else { continue };
        if f.transcript {
            transcripts.push(i);
            run_bytes = part_bytes;
            continue;
        }
        if len < part_bytes {
            if let Some(run) = tasks
                .last_mut()
                .filter(|t| t.transcripts.is_empty())
                .filter(|t| t.files > 1 || (t.start == 0 && t.end < part_bytes && t.end == lens[t.file].unwrap_or(0)))
                && run.file + run.files == i
                && run.source + run.files == f.source
                && run.files < run_files
                && run_bytes + len <= part_bytes
            {
                run.files += 1;
                run_bytes += len;
                continue;
            }
            run_bytes = len;
            tasks.push(Task { file: i, source: f.source, start: 0, end: len, files: 1, transcripts: Vec::new() });
            continue;
        }
        run_bytes = part_bytes;
        // A compressed file is one stream, decoded from its start.
        let threads = if f.codec.is_none() { threads } else { 1 };
        for (start, end) in file_parts(len, threads, part_bytes) {
            tasks.push(Task { file: i, source: f.source, start, end, files: 1, transcripts: Vec::new() });
        }
    }
    // Transcripts in runs of whole files, a few a thread; their events are counted
    // at the merge, in file order (a copy in a later file counts nothing).
    let per_task = transcripts.len().div_ceil(threads * 4).max(1);
    for run in transcripts.chunks(per_task) {
        let first = &files[run[0]];
        tasks.push(Task { file: run[0], source: first.source, start: 0, end: 0, files: 0, transcripts: run.to_vec() });
    }
    tasks
}

/// One task of the first read: a part of one file, or a run of small files
/// whole. A file is read through its open handle, else opened for the task and
/// closed after (descriptors stay bounded whatever the file count).
fn read_task(
    files: &[TailedFile],
    lens: &[Option<u64>],
    task: &Task,
    template: &Fold,
    progress: &Progress,
) -> io::Result<TaskResult> {
    let (indices, fold): (Vec<usize>, Fold) = if task.transcripts.is_empty() {
        ((task.file..task.file + task.files).collect(), template.empty_for_sources(task.source, task.files))
    } else {
        let mut fold = template.empty_like();
        fold.deferred = Some(Vec::new());
        (task.transcripts.clone(), fold)
    };
    let mut result = TaskResult { fold, lines: Vec::new(), failed: Vec::new() };
    let single = indices.len() == 1 && task.transcripts.is_empty();
    // A part of one file may begin again from nothing (see `fold_part`).
    let restart = || template.empty_for_sources(task.source, task.files);
    let restart = single.then_some(&restart as &dyn Fn() -> Fold);
    for (k, &i) in indices.iter().enumerate() {
        let f = &files[i];
        let whole = (0, lens[i].unwrap_or(0));
        let range = if single { (task.start, task.end) } else { whole };
        // A run's fold knows its files as sources 0..; the transcripts' fold all.
        let source = if task.transcripts.is_empty() { k } else { f.source };
        let mut read_from = |file: &File| {
            if let Some(codec) = f.codec {
                fold_compressed(codec, (file, &f.path), &mut result.fold, source, progress)
            } else {
                fold_part(file, range, &mut result.fold, restart, source, progress)
            }
        };
        let read = match (&f.file, f.id) {
            (Some(file), _) => read_from(file),
            (None, Some(id)) => match reopen(&f.path, id) {
                Ok(Some(file)) => read_from(&file),
                // Replaced since it was opened: the next poll reads the new file.
                Ok(None) => Ok(0),
                Err(e) => Err(e),
            },
            (None, None) => Ok(0),
        };
        match read {
            Ok(lines) => result.lines.push(lines),
            Err(e) if single => return Err(e),
            Err(e) => {
                result.lines.push(0);
                result.failed.push((k, e));
            }
        }
    }
    Ok(result)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn log_file(lines: u64) -> (tempfile::NamedTempFile, Vec<u8>) {
        let mut body = Vec::new();
        crate::synth::Generator::new(crate::synth::Settings { malformed_ratio: 0.02, ..Default::default() })
            .write_lines(&mut body, lines)
            .unwrap();
        body.extend_from_slice(b"\n  \nnot json\n{\"partial");
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &body).unwrap();
        (file, body)
    }

    fn empty() -> Fold {
        let mut fold = Fold::default();
        fold.ingest.add_source("log");
        fold
    }

    #[test]
    fn a_files_parts_cover_it_once_in_order_large_ones_first() {
        for (len, threads, part_bytes) in [(1u64 << 30, 2, 4u64 << 20), (1_000_003, 3, 997), (10, 2, 1), (5, 4, 100)] {
            let parts = file_parts(len, threads, part_bytes);
            assert_eq!(parts.first().map(|p| p.0), Some(0));
            assert_eq!(parts.last().map(|p| p.1), Some(len));
            assert!(parts.windows(2).all(|w| w[0].1 == w[1].0), "{parts:?}");
            assert!(parts.iter().all(|p| p.0 < p.1), "no empty part: {parts:?}");
        }
        // A large file: a part a thread, then eight small ones of its last eighth.
        let parts = file_parts(1 << 30, 4, 4 << 20);
        assert_eq!(parts.len(), 4 + 8);
        assert_eq!(parts[3].1, (1 << 30) - (1 << 27));
        assert!(parts[..4].iter().all(|p| p.1 - p.0 == 7 << 25));
        assert!(parts[4..].iter().all(|p| p.1 - p.0 == 1 << 24));
        // Too small for a tail of parts of at least `part_bytes`: two a thread, or as many as fit.
        assert_eq!(file_parts(40 << 20, 2, 4 << 20).len(), 4);
        assert_eq!(file_parts(9 << 20, 2, 4 << 20).len(), 2);
        assert_eq!(file_parts(1 << 30, 1, 4 << 20), vec![(0, 1 << 30)]);
    }

    #[test]
    fn a_range_read_in_place_folds_as_one_read_by_read() {
        let (file, body) = log_file(2000);
        let file = file.as_file();
        let len = body.len() as u64;
        for range in [(0, len), (1, len), (len / 3, 2 * len / 3), (12_345, 40_000), (len - 5, len), (0, 1)] {
            let (by_read, by_map) = (&mut empty(), &mut empty());
            let progress = Progress::default();
            let copied = &mut Copied { file, buf: vec![0; CHUNK] };
            let (lines, counted) = fold_range(copied, range, by_read, 0, &progress);
            let in_place = &mut Mapped::new(file).unwrap();
            let (mapped_lines, mapped_counted) = fold_range(in_place, range, by_map, 0, &progress);
            assert!(in_place.were_the_files());
            assert_eq!((lines.unwrap(), counted), (mapped_lines.unwrap(), mapped_counted), "{range:?}");
            assert_eq!(by_read, by_map, "{range:?}");
        }
    }

    /// Mapped bytes of a file truncated once the read reaches `at`.
    struct TruncatedAt<'f> {
        inner: Mapped<'f>,
        at: u64,
        to: Option<u64>,
    }

    impl RangeBytes for TruncatedAt<'_> {
        fn at(&mut self, pos: u64) -> io::Result<&[u8]> {
            if pos >= self.at
                && let Some(to) = self.to.take()
            {
                self.inner.file.set_len(to)?;
            }
            self.inner.at(pos)
        }
        fn were_the_files(&mut self) -> bool {
            self.inner.were_the_files()
        }
    }

    #[test]
    fn a_file_truncated_under_the_read_is_read_again_by_read_and_nothing_counts_twice() {
        let (file, body) = log_file(2000);
        let file = file.as_file();
        let len = body.len() as u64;
        let (fold, progress) = (&mut empty(), Progress::default());
        // The window that holds `at` is mapped, then the file loses its second
        // half: the read goes on into lost pages (SIGBUS, taken by the handler).
        let bytes = &mut TruncatedAt { inner: Mapped::new(file).unwrap(), at: len / 2, to: Some(len / 4) };
        assert_eq!(fold_in_place(bytes, (0, len), fold, &empty, 0, &progress), None);
        assert!(bytes.inner.shrank, "the handler saw the lost pages");
        assert_eq!(*fold, empty(), "what was folded from the mapping is dropped");
        assert_eq!(progress.get().0, 0);
        // What fold_part does next: the file as it is now, by read.
        let lines = fold_part(file, (0, len), fold, None, 0, &progress).unwrap();
        let want = &mut empty();
        LineReader::default().feed(&body[..(len / 4) as usize], want, 0);
        let want_lines = want.ingest.sources[0].lines;
        assert_eq!((lines, &*fold), (want_lines, &*want));
        assert_eq!(progress.get().0, len / 4, "each byte of the file as it is now counted once");
    }
}
