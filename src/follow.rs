//! The file-following shell, for every file format alike: where the logs are
//! (`source`), reading and following them (`tail`: the one line reader,
//! rotation, truncation, watching, the parallel first read), and writing files
//! whole (`fsutil`).

pub mod compressed;
pub mod fsutil;
#[cfg(target_os = "linux")]
pub mod mapped;
pub mod source;
pub mod stdin;
pub mod tail;
