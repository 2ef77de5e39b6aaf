//! Standard input as a log (`--log -`): how an on-call engineer watches another
//! machine, `ssh host tail -F /var/log/agents.jsonl | ajentik --log -`. Read to
//! its end by one-shot reports; followed, chunk by chunk, until it closes.

use std::io::Read;
use std::sync::mpsc;

use anyhow::{Context, Result};

use super::tail::LineReader;
use crate::fold::{Fold, SourceId};

/// The source name standard input is shown under.
pub const NAME: &str = "stdin";

/// Splits `--log` arguments into whether standard input (`-`) is one of them
/// and the others. `-` twice is a usage error.
pub fn split(logs: &[String]) -> Result<(bool, Vec<String>)> {
    let dashes = logs.iter().filter(|l| *l == "-").count();
    if dashes > 1 {
        crate::cli::usage!("--log - names standard input, which can be read once: give it once");
    }
    Ok((dashes == 1, logs.iter().filter(|l| *l != "-").cloned().collect()))
}

/// Standard input's lines into a fold, as its own source.
pub struct StdinLog {
    source: SourceId,
    reader: LineReader,
}

impl StdinLog {
    pub fn new(fold: &mut Fold) -> StdinLog {
        StdinLog { source: fold.ingest.add_source(NAME), reader: LineReader::default() }
    }

    pub fn feed(&mut self, bytes: &[u8], fold: &mut Fold) {
        self.reader.feed(bytes, fold, self.source);
    }

    /// The stream ended: a last line without its newline is complete.
    pub fn close(&mut self, fold: &mut Fold) {
        self.reader.finish(fold, self.source);
    }
}

/// Reads standard input to its end into `fold`.
pub fn read_to_end(fold: &mut Fold) -> Result<()> {
    let mut log = StdinLog::new(fold);
    let mut input = std::io::stdin().lock();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => log.feed(&buf[..n], fold),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e).context("cannot read standard input"),
        }
    }
    log.close(fold);
    Ok(())
}

/// Reads standard input on its own thread, sending each chunk as it arrives;
/// the channel closes when the input does (or cannot be read).
pub fn chunks() -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(64);
    std::thread::spawn(move || {
        let mut input = std::io::stdin().lock();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match input.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    if tx.send(buf[..n].to_vec()).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    });
    rx
}
