//! The notification hook: a command run when an alert starts firing and when it
//! resolves, with the alert as JSON on its standard input (`curl --data-binary @-`
//! turns it into a webhook).
//!
//! Commands run one at a time on a worker thread, each bounded by a timeout, so a
//! slow or hung hook never blocks the caller; their failures are counted and the
//! last one kept for display.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::alerts::Transition;
pub use crate::report::NotifyStats;

mod ledger;
pub use ledger::PageLedger;

/// Notifications waiting to run; past this, new ones are dropped and counted.
const QUEUE: usize = 64;

/// Runs the notification command for each transition it is given.
pub struct Notifier {
    queue: SyncSender<String>,
    stats: Arc<Mutex<NotifyStats>>,
}

fn record(stats: &Mutex<NotifyStats>, result: Result<(), String>) {
    if let Ok(mut s) = stats.lock() {
        match result {
            Ok(()) => s.sent += 1,
            Err(e) => {
                s.failed += 1;
                s.last_error = Some(crate::sanitize::clean_truncated(&e, 200));
            }
        }
    }
}

/// Runs `command` through the shell with `payload` on its standard input,
/// waiting at most `timeout`.
fn run_once(command: &str, payload: &str, timeout: Duration) -> Result<(), String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the notify command: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input is not a failure.
        let _ = stdin.write_all(payload.as_bytes());
    }
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    use std::io::Read;
                    let _ = e.by_ref().take(400).read_to_string(&mut err);
                }
                let err = err.lines().next().unwrap_or("").trim().to_owned();
                return Err(if err.is_empty() {
                    format!("the notify command failed ({status})")
                } else {
                    format!("the notify command failed ({status}): {err}")
                });
            }
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("the notify command took longer than {timeout:?} and was stopped"));
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("cannot wait for the notify command: {e}")),
        }
    }
}

impl Notifier {
    /// Starts the worker for `command`.
    pub fn new(command: String, timeout: Duration) -> Notifier {
        let (queue, jobs) = mpsc::sync_channel::<String>(QUEUE);
        let stats = Arc::new(Mutex::new(NotifyStats::default()));
        let worker_stats = Arc::clone(&stats);
        thread::spawn(move || {
            for payload in jobs {
                record(&worker_stats, run_once(&command, &payload, timeout));
            }
        });
        Notifier { queue, stats }
    }

    /// Queues a notification; never blocks.
    pub fn send(&self, transition: &Transition) {
        match serde_json::to_string(transition) {
            Ok(payload) => self.send_json(payload),
            Err(e) => record(&self.stats, Err(format!("cannot encode the alert: {e}"))),
        }
    }

    /// Counts a failure that happened before a command could run (the page
    /// ledger could not be read, say).
    pub fn note_failure(&self, error: &str) {
        record(&self.stats, Err(error.to_owned()));
    }

    /// Queues a notification already encoded as the hook's JSON; never blocks.
    pub fn send_json(&self, payload: String) {
        match self.queue.try_send(payload) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                record(&self.stats, Err("too many notifications waiting: one dropped".into()))
            }
            Err(TrySendError::Disconnected(_)) => record(&self.stats, Err("the notify worker stopped".into())),
        }
    }

    pub fn stats(&self) -> NotifyStats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Pages for the alerts in force: through the ledger when there is one (so each
/// transition is paged once across runs and processes), else for the
/// transitions this process saw. The live view and `monitor --follow` share it.
pub struct Pager {
    pub notifier: Notifier,
    ledger: Option<PageLedger>,
}

impl Pager {
    /// A pager for a config file and a set of logs; the ledger lives in
    /// `$XDG_STATE_HOME/ajentik` (without a state folder, pages are per process).
    pub fn new(notifier: Notifier, config: Option<&std::path::Path>, logs: &[String]) -> Pager {
        let ledger = dirs::state_dir().map(|d| PageLedger::new(&d.join("ajentik"), config, logs));
        Pager { notifier, ledger }
    }

    /// As [`Pager::new`], with the ledger in `state_dir`.
    pub fn with_ledger(notifier: Notifier, ledger: Option<PageLedger>) -> Pager {
        Pager { notifier, ledger }
    }

    /// Pages what changed: `firing` are the alerts in force now, `transitions`
    /// what this process's alert book saw change.
    pub fn page(&self, firing: &[crate::alerts::Alert], transitions: &[Transition], now: crate::time::Micros) {
        let Some(ledger) = &self.ledger else {
            transitions.iter().for_each(|t| self.notifier.send(t));
            return;
        };
        match ledger.reconcile(firing, now) {
            Ok(payloads) => payloads.into_iter().for_each(|p| self.notifier.send_json(p)),
            Err(e) => {
                self.notifier.note_failure(&format!("{e:#} (paging this process's transitions)"));
                transitions.iter().for_each(|t| self.notifier.send(t));
            }
        }
    }

    pub fn stats(&self) -> NotifyStats {
        self.notifier.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{Alert, Rule, Severity};

    fn transition() -> Transition {
        Transition::Firing {
            alert: Alert {
                rule: Rule::ErrorRate,
                scope: "ChatAgent".into(),
                severity: Severity::High,
                value: 15.0,
                threshold: 10.0,
                message: "ChatAgent success rate 85.0% < 90% over 5m".into(),
                since: 0,
            },
        }
    }

    fn wait_for(n: &Notifier, done: impl Fn(&NotifyStats) -> bool) -> NotifyStats {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = n.stats();
            if done(&s) || Instant::now() > deadline {
                return s;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn the_command_gets_the_alert_as_json_on_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("got.json");
        let n = Notifier::new(format!("cat > '{}'", out.display()), Duration::from_secs(10));
        n.send(&transition());
        let s = wait_for(&n, |s| s.sent == 1);
        assert_eq!((s.sent, s.failed), (1, 0));
        let got: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(got["event"], "firing");
        assert_eq!(got["alert"]["rule"], "error_rate");
        assert_eq!(got["alert"]["scope"], "ChatAgent");
    }

    #[test]
    fn failures_and_timeouts_are_counted_not_fatal() {
        let n = Notifier::new("echo 'hook exploded' >&2; exit 3".into(), Duration::from_secs(10));
        n.send(&transition());
        let s = wait_for(&n, |s| s.failed == 1);
        assert_eq!(s.failed, 1);
        let e = s.last_error.unwrap();
        assert!(e.contains("exit status: 3") && e.contains("hook exploded"), "{e}");

        let slow = Notifier::new("exec sleep 30".into(), Duration::from_millis(200));
        let started = Instant::now();
        slow.send(&transition());
        assert!(started.elapsed() < Duration::from_secs(1), "sending never blocks");
        let s = wait_for(&slow, |s| s.failed == 1);
        assert!(s.last_error.unwrap().contains("took longer than"));
    }
}
