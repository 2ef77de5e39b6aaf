//! Which alerts have been paged as firing, kept in a file in the state folder
//! (one per config file and set of logs), so that each transition is paged once:
//! opening a second live view, or restarting `monitor --follow`, does not page
//! again for alerts already paged, and a resolution is paged by whichever process
//! sees it first. The file is locked while it is read and rewritten.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

use crate::alerts::{Alert, Rule, Transition};
use crate::time::Micros;

/// The paged state of one setup.
#[derive(Debug, Clone)]
pub struct PageLedger {
    path: PathBuf,
}

/// The key of an alert in the file: rule and scope.
fn key(alert: &Alert) -> String {
    format!("{}\t{}", alert.rule.as_str(), alert.scope)
}

/// Why a paged alert, as the file keeps it, stopped firing at `now` (see
/// [`Alert::resolution`]); `cleared` where the file does not say enough.
fn resolution(alert: &Value, now: Micros) -> &'static str {
    let rule = alert.get("rule").and_then(Value::as_str);
    let since = alert.get("since").and_then(Value::as_str).and_then(|t| crate::time::parse_rfc3339(t).ok());
    let threshold = alert.get("threshold").and_then(Value::as_f64);
    match (rule, since, threshold) {
        (Some(rule), Some(since), Some(threshold)) if rule == Rule::HeartbeatLost.as_str() => {
            crate::alerts::resolution(Rule::HeartbeatLost, since, threshold, now)
        }
        _ => "cleared",
    }
}

impl PageLedger {
    /// The ledger of a config file and a set of logs, in `state_dir`. The same
    /// config and logs (in any order, by any spelling of their paths) share one.
    pub fn new(state_dir: &Path, config: Option<&Path>, logs: &[String]) -> PageLedger {
        let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let mut parts: Vec<String> = logs.iter().map(|l| canonical(Path::new(l)).display().to_string()).collect();
        parts.sort();
        parts.dedup();
        parts.push(config.map_or_else(String::new, |c| canonical(c).display().to_string()));
        let id = crate::otlp::fnv1a_64(parts.join("\0").as_bytes(), 0xcbf2_9ce4_8422_2325);
        PageLedger { path: state_dir.join(format!("paged-{id:016x}.json")) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the alerts firing now under the thresholds in force; returns the
    /// notifications no process has sent yet (as the hook's JSON), and records
    /// them as sent.
    pub fn reconcile(&self, firing: &[Alert], now: Micros) -> Result<Vec<String>> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.path)
            .with_context(|| format!("cannot open {}", self.path.display()))?;
        file.lock().with_context(|| format!("cannot lock {}", self.path.display()))?;
        let result = self.reconcile_locked(&mut file, firing, now);
        let _ = file.unlock();
        result
    }

    fn reconcile_locked(&self, file: &mut File, firing: &[Alert], now: Micros) -> Result<Vec<String>> {
        let mut text = String::new();
        file.read_to_string(&mut text).with_context(|| format!("cannot read {}", self.path.display()))?;
        // A damaged file is started afresh: at worst, one page repeats.
        let mut paged: BTreeMap<String, Value> = serde_json::from_str(&text).unwrap_or_default();
        let mut out = Vec::new();
        let now_keys: Vec<String> = firing.iter().map(key).collect();
        for alert in firing {
            if let std::collections::btree_map::Entry::Vacant(slot) = paged.entry(key(alert)) {
                out.push(serde_json::to_string(&Transition::Firing { alert: alert.clone() })?);
                slot.insert(serde_json::to_value(alert)?);
            }
        }
        let gone: Vec<String> = paged.keys().filter(|k| !now_keys.contains(k)).cloned().collect();
        for k in gone {
            if let Some(alert) = paged.remove(&k) {
                let payload = serde_json::json!({
                    "event": "resolved",
                    "reason": resolution(&alert, now),
                    "resolved_at": crate::time::format_rfc3339(now),
                    "alert": alert,
                });
                out.push(payload.to_string());
            }
        }
        if !out.is_empty() {
            let text = serde_json::to_string_pretty(&paged)?;
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            file.write_all(text.as_bytes())?;
            file.sync_data()?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{Rule, Severity};

    fn alert(scope: &str) -> Alert {
        Alert {
            rule: Rule::FailureCount,
            scope: scope.into(),
            severity: Severity::High,
            value: 3.0,
            threshold: 2.0,
            message: format!("{scope} 3 failed requests > 2 over 5m"),
            since: 0,
        }
    }

    fn events(payloads: &[String]) -> Vec<(String, String)> {
        payloads
            .iter()
            .map(|p| {
                let v: Value = serde_json::from_str(p).unwrap();
                (v["event"].as_str().unwrap().to_owned(), v["alert"]["scope"].as_str().unwrap().to_owned())
            })
            .collect()
    }

    #[test]
    fn each_transition_is_paged_once_across_ledgers_of_the_same_setup() {
        let dir = tempfile::tempdir().unwrap();
        let logs = vec!["b.jsonl".to_owned(), "a.jsonl".to_owned()];
        let first = PageLedger::new(dir.path(), None, &logs);
        // Another process, the logs named in another order: the same ledger.
        let second = PageLedger::new(dir.path(), None, &["a.jsonl".to_owned(), "b.jsonl".to_owned()]);
        assert_eq!(first.path(), second.path());
        let firing = [alert("A"), alert("B")];
        assert_eq!(
            events(&first.reconcile(&firing, 0).unwrap()),
            [("firing".into(), "A".into()), ("firing".into(), "B".into())]
        );
        assert!(second.reconcile(&firing, 0).unwrap().is_empty(), "a second view does not page again");
        assert!(first.reconcile(&firing, 0).unwrap().is_empty(), "nor does a restart");
        let resolved = second.reconcile(&[alert("A")], 60_000_000).unwrap();
        assert_eq!(events(&resolved), [("resolved".into(), "B".into())]);
        let v: Value = serde_json::from_str(&resolved[0]).unwrap();
        assert_eq!(v["resolved_at"], "1970-01-01T00:01:00.000Z");
        assert_eq!(v["reason"], "cleared");
        assert!(first.reconcile(&[alert("A")], 0).unwrap().is_empty());
        // Another config file is another setup.
        let other = PageLedger::new(dir.path(), Some(Path::new("/etc/other.toml")), &logs);
        assert_ne!(other.path(), first.path());
        assert_eq!(other.reconcile(&[alert("A")], 0).unwrap().len(), 1);
    }

    #[test]
    fn a_heartbeat_silent_for_a_day_resolves_as_retired_across_runs() {
        let dir = tempfile::tempdir().unwrap();
        let l = PageLedger::new(dir.path(), None, &[]);
        let minute = 60_000_000;
        // Last beat at minute 0, lost from minute 3 (timeout 180 s).
        let lost = Alert {
            rule: Rule::HeartbeatLost,
            scope: "worker-1".into(),
            severity: Severity::High,
            value: 181.0,
            threshold: 180.0,
            message: "worker-1 sent no heartbeat for 3m 01s (> 3m 00s)".into(),
            since: 3 * minute,
        };
        assert_eq!(l.reconcile(std::slice::from_ref(&lost), 4 * minute).unwrap().len(), 1);
        let day = 24 * 60 * minute;
        let resolved = l.reconcile(&[], day + 1).unwrap();
        let v: Value = serde_json::from_str(&resolved[0]).unwrap();
        assert_eq!((v["event"].as_str(), v["reason"].as_str()), (Some("resolved"), Some("retired")));
        // Back within the day: cleared.
        l.reconcile(std::slice::from_ref(&lost), 4 * minute).unwrap();
        let resolved = l.reconcile(&[], 10 * minute).unwrap();
        let v: Value = serde_json::from_str(&resolved[0]).unwrap();
        assert_eq!(v["reason"], "cleared");
    }

    #[test]
    fn a_damaged_file_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let l = PageLedger::new(dir.path(), None, &[]);
        std::fs::write(l.path(), "{not json").unwrap();
        assert_eq!(l.reconcile(&[alert("A")], 0).unwrap().len(), 1);
        assert!(l.reconcile(&[alert("A")], 0).unwrap().is_empty());
    }
}
