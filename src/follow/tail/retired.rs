//! Where rotated files were left: a file renamed away, removed or replaced
//! at its path is finished through the handle held, and its record kept for
//! when it shows up under another name, or compressed.

use std::collections::HashMap;
use std::fs::File;

use super::FileId;
use super::compressed_files::Head;

/// Where a rotated file was left, in case it reappears under another name, or
/// compressed (then known by its `head`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Retired {
    pub(super) offset: u64,
    pub(super) line_no: u64,
    pub(super) head: Option<Head>,
}

impl Retired {
    /// Whether `file`, which has the retired file's identity, is that file:
    /// an identity is a device and inode number, and a removed file's inode
    /// is soon another file's (logrotate's new log takes the one its last
    /// archive freed), which must not be read on from the old offset. Told by
    /// the handle opened, not by the path, which may have changed hands since.
    pub(super) fn is(&self, file: &File) -> bool {
        self.head.is_none_or(|head| head.begins(file))
    }
}

/// Most records kept for one identity (each a file that had it in turn).
const MAX_RECORDS_PER_ID: usize = 4;

/// The rotated files' records, by identity. A removed file's identity is soon
/// another file's, which may be retired in turn before the first one shows up
/// under its new name (a compressed copy of it, say): an identity may stand
/// for several records, told apart by their heads (see [`Retired::is`]).
#[derive(Debug, Default)]
pub(super) struct RetiredFiles(HashMap<FileId, Vec<Retired>>);

impl RetiredFiles {
    pub(super) fn insert(&mut self, id: FileId, r: Retired) {
        let records = self.0.entry(id).or_default();
        if records.len() == MAX_RECORDS_PER_ID {
            records.remove(0);
        }
        records.push(r);
    }

    /// Takes the record of `file`, whose identity is `id` (the latest, if
    /// several could be).
    pub(super) fn take(&mut self, id: FileId, file: &File) -> Option<Retired> {
        let records = self.0.get_mut(&id)?;
        let k = records.iter().rposition(|r| r.is(file))?;
        self.remove(id, k)
    }

    /// The latest record for identity `id`.
    pub(super) fn latest_mut(&mut self, id: FileId) -> Option<&mut Retired> {
        self.0.get_mut(&id)?.last_mut()
    }

    /// Takes a record whose head `matches` (a compressed copy of a rotated file
    /// told by what it decompresses to).
    pub(super) fn take_by_head(&mut self, mut matches: impl FnMut(&Head) -> bool) -> Option<Retired> {
        let (id, k) = self.0.iter().find_map(|(id, records)| {
            let k = records.iter().position(|r| r.head.as_ref().is_some_and(&mut matches))?;
            Some((*id, k))
        })?;
        self.remove(id, k)
    }

    /// Takes identity `id`'s `k`th record, and the identity with its last.
    fn remove(&mut self, id: FileId, k: usize) -> Option<Retired> {
        let records = self.0.get_mut(&id)?;
        let r = records.remove(k);
        if records.is_empty() {
            self.0.remove(&id);
        }
        Some(r)
    }
}
