//! Heartbeats on a timer, from a thread of their own: a process says it is
//! alive without its code remembering to, and ajentik's `heartbeat_lost` alert
//! fires when they stop (the process died, hung, or lost its disk).

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use super::Recorder;

/// The shortest interval [`Recorder::start_heartbeats`] keeps to.
pub const MIN_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(1);

/// Heartbeats being sent; dropping this stops them with a last heartbeat that
/// says so (`stopped`), written before the drop returns (the thread is joined).
/// A process killed, or hung, sends no such beat: that is what the alert is for;
/// nor does one whose thread drops this while panicking (a crash is not a clean
/// stop: its heartbeats just end).
#[must_use = "heartbeats stop when this is dropped"]
pub struct Heartbeats {
    /// Set to stop (`Some(true)`: with a last `stopped` beat); the condvar
    /// wakes the thread at once.
    stop: Arc<(Mutex<Option<bool>>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Heartbeats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Heartbeats").field("running", &self.thread.is_some()).finish()
    }
}

impl Recorder {
    /// Writes a heartbeat for `process` (which runs `agents`) now, then every
    /// `every` (at least [`MIN_HEARTBEAT_INTERVAL`]), stamped with this call's
    /// time as the process's start, until the returned handle is dropped. Keep
    /// `every` well below the readers' `heartbeat_timeout` (3 minutes by
    /// default): 30 s is usual. A failed write is counted in
    /// [`Recorder::stats`], and the next beat tries again.
    pub fn start_heartbeats(&self, process: &str, agents: &[&str], every: Duration) -> Heartbeats {
        let every = every.max(MIN_HEARTBEAT_INTERVAL);
        let (rec, process, started) = (self.clone(), process.to_owned(), SystemTime::now());
        let agents: Vec<String> = agents.iter().map(|a| (*a).to_owned()).collect();
        let stop = Arc::new((Mutex::new(None), Condvar::new()));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::Builder::new().name("ajentik-heartbeat".into()).spawn(move || {
            let names: Vec<&str> = agents.iter().map(String::as_str).collect();
            let beat = |last: bool| {
                let beat = rec.heartbeat(&process).agents(&names).started_at(started);
                let _ = if last { beat.stopped() } else { beat }.record();
                // A batching recorder would hold the beat until its next write.
                let _ = rec.flush();
            };
            loop {
                beat(false);
                let (stopped, wake) = &*stopping;
                let guard = stopped.lock().unwrap_or_else(PoisonError::into_inner);
                let (guard, _) = wake
                    .wait_timeout_while(guard, every, |stopped| stopped.is_none())
                    .unwrap_or_else(PoisonError::into_inner);
                if let Some(clean) = *guard {
                    drop(guard);
                    if clean {
                        beat(true);
                    }
                    return;
                }
            }
        });
        // A thread that cannot start sends nothing, which the alert will say.
        Heartbeats { stop, thread: thread.ok() }
    }
}

impl Drop for Heartbeats {
    fn drop(&mut self) {
        let (stopped, wake) = &*self.stop;
        *stopped.lock().unwrap_or_else(PoisonError::into_inner) = Some(!std::thread::panicking());
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
