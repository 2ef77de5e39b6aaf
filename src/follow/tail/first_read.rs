//! The first read: the logs split into tasks (parts of large files, runs of small
//! files, runs of transcripts), read on every thread, merged in order.

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use anyhow::Result;

use super::{CHUNK, LineReader, TailedFile, open_error, read_at, reopen};
use crate::fold::{Fold, SourceId};

/// One part of a file for the first, parallel read.
pub(super) struct Task {
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
pub(super) struct TaskResult {
    fold: Fold,
    /// Lines per file of the task.
    lines: Vec<u64>,
    /// Files of a run that could not be read (index in the task, why).
    failed: Vec<(usize, io::Error)>,
}

/// Lines read per file, and (file, why) for each file that could not be read.
pub(super) type Merged = (Vec<u64>, Vec<(usize, String)>);

/// Merges the parts' folds into `fold` in task order as they arrive, holding only
/// those that came before an earlier part; returns the lines read per file, and
/// why each discovered file that could not be read could not.
pub(super) fn merge_in_order(
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

/// Folds the lines that start in `[start, end)` of `file` into `fold`'s `source`;
/// the last one may run past `end`. A line cut by `start` belongs to the part
/// before. Returns the lines read.
fn fold_range(
    file: &File,
    (start, end): (u64, u64),
    fold: &mut Fold,
    source: SourceId,
    progress: &Progress,
) -> io::Result<u64> {
    let task = Task { file: 0, source, start, end, files: 1, transcripts: Vec::new() };
    let mut reader = LineReader::default();
    // A small file's part needs no full chunk (a longer line is read in turns).
    let mut buf = vec![0u8; (task.end - task.start).clamp(4096, CHUNK as u64) as usize];
    let mut pos = task.start;
    if pos > 0 {
        // Skip to just after the first newline at or after start - 1.
        pos -= 1;
        loop {
            let n = read_at(file, &mut buf, pos)?;
            if n == 0 {
                return Ok(0);
            }
            if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
                pos += i as u64 + 1;
                // The previous part read these (the end of its last line).
                progress.read.fetch_add(pos.min(task.end).saturating_sub(task.start), Ordering::Relaxed);
                break;
            }
            pos += n as u64;
        }
    }
    while pos < task.end || reader.pending_len() > 0 {
        let n = read_at(file, &mut buf, pos)?;
        if n == 0 {
            break;
        }
        let mut chunk = &buf[..n];
        let mut done = false;
        if pos + n as u64 >= task.end {
            // Stop after the line that is under way at `end`.
            let from = task.end.saturating_sub(1).saturating_sub(pos) as usize;
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
        progress.read.fetch_add(pos.min(task.end).saturating_sub(before.max(task.start)), Ordering::Relaxed);
        if done {
            break;
        }
    }
    Ok(reader.line_no)
}

/// Splits the first read into tasks: a large file into a few parts a thread (more
/// would only hold more folds in memory until they are merged), consecutive small
/// files into runs read whole, so that 5,000 small files cost a few dozen folds
/// and merges, not 5,000, while still giving every thread work.
pub(super) fn plan_tasks(files: &[TailedFile], lens: &[Option<u64>], threads: usize, part_bytes: u64) -> Vec<Task> {
    let small = lens.iter().flatten().filter(|&&len| len < part_bytes).count();
    let run_files = (small / (threads * 4)).clamp(1, 512);
    let mut tasks: Vec<Task> = Vec::new();
    let mut run_bytes = 0;
    let mut transcripts = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let Some(len) = lens[i] else { continue };
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
        let parts = if threads > 1 { (len / part_bytes).clamp(1, threads as u64 * 2) } else { 1 };
        for p in 0..parts {
            let (start, end) = (len * p / parts, len * (p + 1) / parts);
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
pub(super) fn read_task(
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
    for (k, &i) in indices.iter().enumerate() {
        let f = &files[i];
        let whole = (0, lens[i].unwrap_or(0));
        let range = if single { (task.start, task.end) } else { whole };
        // A run's fold knows its files as sources 0..; the transcripts' fold all.
        let source = if task.transcripts.is_empty() { k } else { f.source };
        let read = match (&f.file, f.id) {
            (Some(file), _) => fold_range(file, range, &mut result.fold, source, progress),
            (None, Some(id)) => match reopen(&f.path, id) {
                Ok(Some(file)) => fold_range(&file, range, &mut result.fold, source, progress),
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
