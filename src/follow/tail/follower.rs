//! Following: a tailer with its file watcher, reading what the watcher names and
//! sweeping the rest every poll interval.

use std::collections::HashSet;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::Tailer;
use crate::fold::Fold;
use crate::follow::source::LogSpec;

/// Opening or reading a file or folder, as every poll does to list a folder
/// and read its logs: waking on these made a follower of a folder wake itself
/// in a loop, a full core busy while nothing was written. A write closing is
/// still news.
pub(super) fn is_our_own_read(kind: notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode};
    matches!(kind, notify::EventKind::Access(a) if a != AccessKind::Close(AccessMode::Write))
}

/// What the watcher saw change since the last poll: file names, or "everything"
/// (an error, or more names than are worth keeping).
#[derive(Debug, Default)]
struct Changes {
    names: HashSet<std::ffi::OsString>,
    everything: bool,
}

/// More changed names than this between two polls: read everything instead.
const MAX_CHANGED_NAMES: usize = 4096;

/// A tailer with its watcher: wakes when the logs change, or every poll interval.
/// A wake by the watcher reads only the files it named (and the open ones); the
/// poll interval sweeps the rest in batches, for file systems the watcher cannot see.
pub struct Follower {
    pub tailer: Tailer,
    _watcher: Option<notify::RecommendedWatcher>,
    wake: mpsc::Receiver<()>,
    poll_interval: Duration,
    changes: std::sync::Arc<std::sync::Mutex<Changes>>,
    last_sweep: Instant,
    /// Why notify could not be used, if it could not (polling still works).
    pub watch_error: Option<String>,
}

impl Follower {
    pub fn new(mut tailer: Tailer, poll_interval: Duration) -> Follower {
        use notify::Watcher;
        // What the logs begin with before any can be copied and emptied.
        for i in 0..tailer.files.len() {
            tailer.note_plain_start(i);
        }
        // One pending wake-up is enough: a burst of changes is read in one pass.
        let (tx, wake) = mpsc::sync_channel(1);
        let changes = std::sync::Arc::new(std::sync::Mutex::new(Changes::default()));
        let seen = std::sync::Arc::clone(&changes);
        let mut watch_error = None;
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if res.as_ref().is_ok_and(|e| is_our_own_read(e.kind)) {
                return;
            }
            if let Ok(mut changes) = seen.lock() {
                match &res {
                    Ok(event) if changes.names.len() + event.paths.len() <= MAX_CHANGED_NAMES => {
                        changes.names.extend(event.paths.iter().filter_map(|p| p.file_name().map(ToOwned::to_owned)));
                    }
                    _ => changes.everything = true,
                }
            }
            let _ = tx.try_send(());
        });
        let watcher = match watcher {
            Ok(mut w) => {
                for dir in tailer.watch_dirs() {
                    // A transcript tree is watched at every depth (new project and
                    // sub-agent folders).
                    let tree = tailer.specs.iter().any(|s| matches!(s, LogSpec::Tree(root) if *root == dir));
                    let mode =
                        if tree { notify::RecursiveMode::Recursive } else { notify::RecursiveMode::NonRecursive };
                    if let Err(e) = w.watch(&dir, mode) {
                        watch_error =
                            Some(format!("not watching {}: {e}; polling every {poll_interval:?}", dir.display()));
                    }
                }
                Some(w)
            }
            Err(e) => {
                watch_error = Some(format!("file watching unavailable: {e}; polling every {poll_interval:?}"));
                None
            }
        };
        Follower { tailer, _watcher: watcher, wake, poll_interval, changes, last_sweep: Instant::now(), watch_error }
    }

    /// Blocks until the logs may have changed, the poll interval passed, or
    /// `until` is reached, whichever is first.
    pub fn wait(&self, until: Instant) {
        let timeout = until.saturating_duration_since(Instant::now()).min(self.poll_interval);
        let _ = self.wake.recv_timeout(timeout);
    }

    /// Reads what changed: the files the watcher named, and every poll interval a
    /// sweep (every file, when the watcher is not working or lost count).
    pub fn poll(&mut self, fold: &mut Fold) -> u64 {
        let changes = match self.changes.lock() {
            Ok(mut changes) => std::mem::take(&mut *changes),
            Err(_) => Changes { everything: true, ..Changes::default() },
        };
        let watching = self._watcher.is_some() && self.watch_error.is_none();
        let sweep_due = self.last_sweep.elapsed() >= self.poll_interval;
        if changes.everything || (!watching && sweep_due) {
            self.last_sweep = Instant::now();
            return self.tailer.poll(fold);
        }
        let mut read = self.tailer.poll_changed(&changes.names, fold);
        if sweep_due {
            self.last_sweep = Instant::now();
            read += self.tailer.sweep(fold);
        }
        read
    }
}
