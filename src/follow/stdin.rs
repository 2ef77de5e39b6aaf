//! Standard input as a log (`--log -`): how an on-call engineer watches another
//! machine, `ssh host tail -F /var/log/agents.jsonl | ajentik --log -`. Read to
//! its end by one-shot reports; followed, chunk by chunk, until it closes.

use std::io::{self, Read};
use std::path::Path;
use std::sync::mpsc;

use anyhow::{Context, Result};

use super::compressed::{self, Codec, DecodeError, ERROR_PREFIX, GZIP_MAGIC, ZSTD_MAGIC};
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

    /// Why the stream was not read to its end, shown on its source.
    pub fn fail(&mut self, fold: &mut Fold, message: String) {
        fold.ingest.sources[self.source].error = Some(message);
    }

    /// The stream ended: a last line without its newline is complete.
    pub fn close(&mut self, fold: &mut Fold) {
        self.reader.finish(fold, self.source);
    }
}

/// Reads standard input to its end into `fold`. A compressed stream that
/// turns out damaged keeps the lines before the damage and says so on its
/// source; only a failing read is an error.
pub fn read_to_end(fold: &mut Fold) -> Result<()> {
    let mut log = StdinLog::new(fold);
    let outcome = pump(std::io::stdin().lock(), |piece| {
        log.feed(piece, fold);
        true
    });
    log.close(fold);
    match outcome {
        Ok(()) => Ok(()),
        Err(Stop::Decode(e)) => {
            log.fail(fold, decode_message(&e));
            Ok(())
        }
        Err(Stop::Read(e)) => Err(e).context("cannot read standard input"),
    }
}

/// Reads standard input on its own thread, sending each chunk as it arrives
/// (decompressed, if it is compressed); the channel closes when the input
/// does, after a last `Err` if it could not be read to its end.
pub fn chunks() -> mpsc::Receiver<Result<Vec<u8>, String>> {
    let (tx, rx) = mpsc::sync_channel(64);
    std::thread::spawn(move || {
        let outcome = pump(std::io::stdin().lock(), |piece| tx.send(Ok(piece.to_vec())).is_ok());
        let message = match outcome {
            Ok(()) => return,
            Err(Stop::Read(e)) => format!("cannot read standard input: {e}"),
            Err(Stop::Decode(e)) => decode_message(&e),
        };
        let _ = tx.send(Err(message));
    });
    rx
}

/// Why standard input was not read to its end.
#[derive(Debug)]
enum Stop {
    Read(io::Error),
    Decode(DecodeError),
}

fn decode_message(e: &DecodeError) -> String {
    format!("{ERROR_PREFIX} on standard input: {e}")
}

/// Hands `each` the bytes of `input` as they arrive, until it ends or `each`
/// returns false; a stream that starts as zstd or gzip does is decompressed
/// (`ssh host cat events.jsonl.zst | ajentik --log -`). A JSON line starts with
/// `{` or a space, never with a magic number's first byte, so plain input is
/// told at its first byte and passed on without waiting for more.
fn pump(mut input: impl Read, mut each: impl FnMut(&[u8]) -> bool) -> Result<(), Stop> {
    let mut buf = vec![0u8; 1 << 16];
    let mut head = 0;
    while head < ZSTD_MAGIC.len() {
        let n = match input.read(&mut buf[head..ZSTD_MAGIC.len()]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Stop::Read(e)),
        };
        head += n;
        if n == 0 || !(ZSTD_MAGIC.starts_with(&buf[..head]) || GZIP_MAGIC.starts_with(&buf[..head.min(2)])) {
            break;
        }
    }
    if let Some(codec) = Codec::of(Path::new(NAME), &buf[..head]) {
        let source = io::Cursor::new(buf[..head].to_vec()).chain(input);
        // No bound on what it decompresses to: plain standard input has none
        // either, and its lines are bounded as a file's are.
        let (_, outcome) = compressed::decode_reader(codec, source, (0, u64::MAX), &mut buf, each);
        return outcome.map_err(|e| match e {
            DecodeError::Io(e) => Stop::Read(e),
            e => Stop::Decode(e),
        });
    }
    if head > 0 && !each(&buf[..head]) {
        return Ok(());
    }
    loop {
        match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                if !each(&buf[..n]) {
                    return Ok(());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Stop::Read(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out its bytes a few at a time, as a pipe may; past them, fails
    /// the test if `strict` (the caller should not have asked) or ends.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
        strict: bool,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            assert!(!(self.strict && self.bytes.is_empty()), "read past what the writer sent");
            let n = self.step.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    fn pumped(bytes: &[u8], step: usize) -> (Vec<u8>, Result<(), Stop>) {
        let mut out = Vec::new();
        let outcome = pump(Trickle { bytes, step, strict: false }, |piece| {
            out.extend_from_slice(piece);
            true
        });
        (out, outcome)
    }

    #[test]
    fn plain_zstd_and_gzip_input_come_out_alike_however_it_trickles_in() {
        let text: Vec<u8> =
            (0..2000).flat_map(|i| format!("{{\"type\":\"heartbeat\",\"n\":{i}}}\n").into_bytes()).collect();
        let zstd = ruzstd::encoding::compress_to_vec(&text[..], ruzstd::encoding::CompressionLevel::Fastest);
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut gzip, &text).unwrap();
        let gzip = gzip.finish().unwrap();
        for step in [1, 3, 4096] {
            for input in [&text, &zstd, &gzip] {
                let (out, outcome) = pumped(input, step);
                assert!(outcome.is_ok(), "{outcome:?}");
                assert!(out == text, "step {step}: {} bytes out", out.len());
            }
        }
        // Not compressed, though it starts as a magic number does.
        let (out, outcome) = pumped(b"(\xb5not zstd\n", 1);
        assert!(outcome.is_ok() && out == b"(\xb5not zstd\n");
        let (_, outcome) = pumped(&gzip[..gzip.len() / 2], 7);
        assert!(matches!(outcome, Err(Stop::Decode(DecodeError::GzipCutShort))), "{outcome:?}");
    }

    #[test]
    fn a_plain_line_is_handed_on_before_more_input_is_asked_for() {
        // A live pipe that has sent one short line and waits: the line is not
        // held back while the reader looks for a magic number.
        let mut got = Vec::new();
        let outcome = pump(Trickle { bytes: b"{}\n", step: 3, strict: true }, |piece| {
            got.extend_from_slice(piece);
            false
        });
        assert!(outcome.is_ok());
        assert_eq!(got, b"{}\n");
    }
}
