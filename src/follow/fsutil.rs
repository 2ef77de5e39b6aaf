//! Small file-system helpers for the shell.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// The temporary file beside `path` that its content is written to first.
fn aside(path: &Path) -> Result<std::path::PathBuf> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().with_context(|| format!("{} is not a file name", path.display()))?;
    Ok(dir.join(format!(".{}.tmp{}", name.to_string_lossy(), std::process::id())))
}

/// Writes `bytes` to a new file at `tmp`, synced.
fn write_synced(tmp: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::File::create(tmp)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Writes a file so that readers see the old content or the new, never half: a
/// temporary file beside it, synced, then renamed over it. A crash mid-save
/// leaves the old file (and at worst a stray temporary file).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = aside(path)?;
    let result = write_synced(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Writes a new file at exactly `path`, whole, failing if it exists (written
/// aside, then hard-linked in, which fails rather than replaces).
pub fn write_new_exact(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = aside(path)?;
    let result = write_synced(&tmp, bytes).and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Writes a new file whole, never replacing one: the first of `name.ext`,
/// `name-2.ext`, `name-3.ext`, ... that does not exist yet. Returns its path.
/// The file appears complete or not at all (written aside, then hard-linked in,
/// which fails rather than replaces when the name is taken).
pub fn write_new(dir: &Path, stem: &str, ext: &str, bytes: &[u8]) -> Result<std::path::PathBuf> {
    let tmp = dir.join(format!(".{stem}.{ext}.tmp{}", std::process::id()));
    if let Err(e) = write_synced(&tmp, bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", tmp.display()));
    }
    let mut last_error = None;
    for n in 1..=1000 {
        let path = if n == 1 { dir.join(format!("{stem}.{ext}")) } else { dir.join(format!("{stem}-{n}.{ext}")) };
        match std::fs::hard_link(&tmp, &path) {
            Ok(()) => {
                let _ = std::fs::remove_file(&tmp);
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                last_error = Some(e);
                break;
            }
        }
    }
    let _ = std::fs::remove_file(&tmp);
    match last_error {
        Some(e) => Err(e).with_context(|| format!("cannot write a report in {}", dir.display())),
        None => anyhow::bail!("{} holds 1000 reports named {stem}: not writing another", dir.display()),
    }
}

#[cfg(test)]
mod write_new_tests {
    use super::*;

    #[test]
    fn never_replaces_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = write_new(dir.path(), "r", "md", b"first").unwrap();
        let b = write_new(dir.path(), "r", "md", b"second").unwrap();
        assert_eq!(a.file_name().unwrap(), "r.md");
        assert_eq!(b.file_name().unwrap(), "r-2.md");
        assert_eq!(std::fs::read(&a).unwrap(), b"first");
        assert_eq!(std::fs::read(&b).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary file left");
    }
}
