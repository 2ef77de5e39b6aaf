//! Where the default log is: the one rule writers and the reader share.

use std::path::{Path, PathBuf};

/// The environment variable that names the log when `--log` is not given.
pub const LOG_ENV: &str = "AJENTIK_LOG";

/// The default log file: `$AJENTIK_LOG`, else `$XDG_STATE_HOME/ajentik/events.jsonl`
/// (`~/.local/state/ajentik/events.jsonl`); `None` when there is no state folder.
pub fn default_log_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(LOG_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|p| Path::new(p).is_absolute())
        .map(PathBuf::from)
        .or_else(dirs::state_dir)
        .or_else(|| dirs::home_dir().map(|h| h.join(".local/state")))?;
    Some(state.join("ajentik").join("events.jsonl"))
}
