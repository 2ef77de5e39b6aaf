//! Where the logs are: `--log` arguments, `AJENTIK_LOG`, or the XDG state folder,
//! each a file, a directory (all its `*.jsonl` files) or a glob.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

pub use crate::paths::LOG_ENV;

/// One requested log location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogSpec {
    /// One file; it may not exist yet, and is then waited for.
    File(PathBuf),
    /// Every `*.jsonl` (and `*.jsonl.zst`, `*.jsonl.gz`) file in a directory, including ones
    /// created later.
    Dir(PathBuf),
    /// Every file matching a pattern, including ones created later.
    Glob(String),
    /// Every `*.jsonl` (and `*.jsonl.zst`, `*.jsonl.gz`) file under a folder, at any depth (Claude Code's
    /// `projects/<project>/<session>/subagents/…`), including ones created later.
    Tree(PathBuf),
}

/// How deep a [`LogSpec::Tree`] is searched.
const TREE_DEPTH: usize = 8;

/// Whether a file in a folder is a log: `*.jsonl`, or compressed as
/// `*.jsonl.zst` (as Codex leaves its cold rollouts) or `*.jsonl.gz`.
fn log_file(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
        let n = n.strip_suffix(".zst").or_else(|| n.strip_suffix(".gz")).unwrap_or(n);
        n.ends_with(".jsonl")
    })
}

/// The logs of a transcript tree (its journals are not transcripts).
fn transcript_file(path: &Path) -> bool {
    log_file(path) && path.file_name().and_then(|n| n.to_str()).is_some_and(|n| !n.starts_with("journal.jsonl"))
}

/// Every transcript under `dir` (not following symbolic links to folders).
fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)?.filter_map(Result::ok) {
        let Ok(kind) = entry.file_type() else { continue };
        let path = entry.path();
        if kind.is_dir() && depth < TREE_DEPTH {
            // A sub-folder that vanished or cannot be listed: its files are not there.
            let _ = walk(&path, depth + 1, out);
        } else if (kind.is_file() || (kind.is_symlink() && path.is_file())) && transcript_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}

impl LogSpec {
    /// Reads one `--log` argument.
    pub fn parse(arg: &str) -> Result<LogSpec> {
        if arg.is_empty() {
            bail!("empty log path");
        }
        if arg.contains(['*', '?', '[']) {
            glob::Pattern::new(arg).with_context(|| format!("bad glob pattern {arg:?}"))?;
            return Ok(LogSpec::Glob(arg.to_owned()));
        }
        let path = PathBuf::from(arg);
        Ok(if path.is_dir() { LogSpec::Dir(path) } else { LogSpec::File(path) })
    }

    /// Whether `path` is (or, once it exists, will be) one of this location's files.
    pub fn covers(&self, path: &Path) -> bool {
        match self {
            LogSpec::File(file) => file == path,
            LogSpec::Tree(root) => path.starts_with(root) && transcript_file(path),
            LogSpec::Dir(dir) => path.parent() == Some(dir.as_path()) && log_file(path),
            LogSpec::Glob(pattern) => glob::Pattern::new(pattern).is_ok_and(|p| p.matches_path(path)),
        }
    }

    /// The files this location names right now, sorted.
    pub fn expand(&self) -> Result<Vec<PathBuf>> {
        let mut files = match self {
            LogSpec::File(p) => vec![p.clone()],
            LogSpec::Dir(dir) => match std::fs::read_dir(dir) {
                // The entry's type comes with the listing (no stat per file, which
                // for 20,000 files cost more than the rest of a follower's idle
                // polling); only a symbolic link is followed to see what it is.
                Ok(entries) => entries
                    .filter_map(Result::ok)
                    .filter(|e| {
                        log_file(&e.path())
                            && e.file_type().is_ok_and(|t| t.is_file() || (t.is_symlink() && e.path().is_file()))
                    })
                    .map(|e| e.path())
                    .collect(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot list log directory {}", dir.display()));
                }
            },
            LogSpec::Tree(root) => {
                let mut files = Vec::new();
                match walk(root, 0, &mut files) {
                    Ok(()) => files,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                    Err(e) => return Err(e).with_context(|| format!("cannot list {}", root.display())),
                }
            }
            LogSpec::Glob(pattern) => glob::glob(pattern)
                .with_context(|| format!("bad glob pattern {pattern:?}"))?
                .filter_map(std::result::Result::ok)
                .filter(|p| p.is_file())
                .collect(),
        };
        // By bytes: comparing paths component by component took a tenth of reading
        // 20,000 small files.
        files.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
        Ok(files)
    }

    /// Directories to watch for changes: a file's parent, a directory itself, a
    /// glob's longest literal prefix.
    pub fn watch_dirs(&self) -> Vec<PathBuf> {
        let dir = match self {
            LogSpec::File(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
            LogSpec::Dir(d) | LogSpec::Tree(d) => d.clone(),
            LogSpec::Glob(pattern) => {
                let literal: PathBuf = Path::new(pattern)
                    .components()
                    .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '[']))
                    .collect();
                literal
            }
        };
        let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
        vec![dir]
    }

    /// Why this location holds no log right now, if it holds none: a file
    /// that does not exist, a folder without `*.jsonl` files, a pattern that
    /// matches nothing. One-shot commands refuse such a location; following
    /// waits for it.
    pub fn missing(&self) -> Option<String> {
        // A folder that cannot be listed right now (out of descriptors) is not
        // empty: only a listing that worked and found nothing is.
        let empty = || self.expand().is_ok_and(|files| files.is_empty());
        match self {
            // Only "not found": a path that cannot be looked at (a file where a
            // folder should be, no permission) is the reader's error to report.
            LogSpec::File(p) => match std::fs::metadata(p) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(format!("no such log {}", p.display())),
                _ => None,
            },
            LogSpec::Dir(d) if empty() => Some(format!("no *.jsonl files in {}", d.display())),
            LogSpec::Tree(d) if empty() => Some(format!("no transcripts under {}", d.display())),
            LogSpec::Glob(g) if empty() => Some(format!("no file matches {g}")),
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            LogSpec::File(p) | LogSpec::Dir(p) | LogSpec::Tree(p) => p.display().to_string(),
            LogSpec::Glob(g) => g.clone(),
        }
    }
}

/// The default log file (see [`crate::paths::default_log_path`]).
pub fn default_log_path() -> Result<PathBuf> {
    crate::paths::default_log_path()
        .context("cannot find a state folder for the default log: set AJENTIK_LOG or pass --log")
}

/// The log locations to read: the `--log` arguments, else the default. The name
/// `claude-code` stands for Claude Code's transcript folders (unless a path of
/// that name is in the working directory).
pub fn resolve(args: &[String]) -> Result<Vec<LogSpec>> {
    if args.is_empty() {
        let default = default_log_path()?;
        return LogSpec::parse(&default.to_string_lossy()).map(|s| vec![s]);
    }
    let mut specs = Vec::new();
    for arg in args {
        if arg == "codex" && !Path::new(arg).exists() {
            let roots = codex_roots(&|key| std::env::var(key).ok(), dirs::home_dir());
            tracing::debug!(target: "sources", "codex: {roots:?}");
            if roots.is_empty() {
                anyhow::bail!("no Codex sessions: neither $CODEX_HOME/sessions nor ~/.codex/sessions exists");
            }
            specs.extend(roots.into_iter().map(LogSpec::Tree));
        } else if arg == "claude-code" && !Path::new(arg).exists() {
            let roots = claude_code_roots(&|key| std::env::var(key).ok(), dirs::home_dir());
            tracing::debug!(target: "sources", "claude-code: {roots:?}");
            if roots.is_empty() {
                anyhow::bail!(
                    "no Claude Code transcripts: none of $CLAUDE_CONFIG_DIR, ~/.claude/projects, $XDG_CONFIG_HOME/claude/projects exists"
                );
            }
            specs.extend(roots.into_iter().map(LogSpec::Tree));
        } else {
            specs.push(LogSpec::parse(arg)?);
        }
    }
    Ok(specs)
}

/// Codex's session folders that exist: `sessions/` and `archived_sessions/` of
/// each entry of the comma-separated `$CODEX_HOME`, else of `~/.codex`.
pub fn codex_roots(env: &dyn Fn(&str) -> Option<String>, home: Option<PathBuf>) -> Vec<PathBuf> {
    let homes: Vec<PathBuf> = match env("CODEX_HOME").filter(|v| !v.trim().is_empty()) {
        Some(list) => list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(PathBuf::from).collect(),
        None => home.map(|h| h.join(".codex")).into_iter().collect(),
    };
    homes.iter().flat_map(|h| [h.join("sessions"), h.join("archived_sessions")]).filter(|p| p.is_dir()).collect()
}

/// Claude Code's transcript folders that exist: each entry of the comma-separated
/// `$CLAUDE_CONFIG_DIR` (a config folder, or its `projects/`), else
/// `~/.claude/projects` and `$XDG_CONFIG_HOME/claude/projects` (`~/.config/...`).
pub fn claude_code_roots(env: &dyn Fn(&str) -> Option<String>, home: Option<PathBuf>) -> Vec<PathBuf> {
    let projects = |dir: PathBuf| if dir.join("projects").is_dir() { dir.join("projects") } else { dir };
    let candidates: Vec<PathBuf> = match env("CLAUDE_CONFIG_DIR").filter(|v| !v.trim().is_empty()) {
        Some(list) => {
            list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| projects(PathBuf::from(s))).collect()
        }
        None => {
            let xdg = env("XDG_CONFIG_HOME").map(PathBuf::from).or_else(|| home.clone().map(|h| h.join(".config")));
            [home.map(|h| h.join(".claude/projects")), xdg.map(|x| x.join("claude/projects"))]
                .into_iter()
                .flatten()
                .collect()
        }
    };
    let mut roots: Vec<PathBuf> = candidates.into_iter().filter(|p| p.is_dir()).collect();
    roots.dedup();
    roots
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_and_expands() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a.jsonl", "b.jsonl", "c.txt", "a.jsonl.1", "d.jsonl.zst", "e.zst", "f.jsonl.gz", "g.gz"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let d = dir.path().to_string_lossy().to_string();
        let spec = LogSpec::parse(&d).unwrap();
        assert_eq!(spec, LogSpec::Dir(dir.path().to_path_buf()));
        let names: Vec<_> =
            spec.expand().unwrap().iter().map(|p| p.file_name().unwrap().to_string_lossy().to_string()).collect();
        assert_eq!(names, ["a.jsonl", "b.jsonl", "d.jsonl.zst", "f.jsonl.gz"]);
        let glob = LogSpec::parse(&format!("{d}/*.txt")).unwrap();
        assert_eq!(glob.expand().unwrap().len(), 1);
        assert_eq!(glob.watch_dirs(), vec![dir.path().to_path_buf()]);
        let missing = LogSpec::parse(&format!("{d}/later.jsonl")).unwrap();
        assert!(matches!(missing, LogSpec::File(_)));
        assert!(LogSpec::parse("").is_err());
        assert!(LogSpec::parse("[unclosed").is_err());
    }
}
