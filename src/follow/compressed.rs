//! Compressed logs: zstd (Codex compresses a rollout nobody has touched for a
//! while to `rollout-….jsonl.zst`, and removes the plain file) and gzip
//! (logrotate's `compress` leaves `events.jsonl.1.gz`). Such a file is read as
//! the stream it decompresses to: offsets are in that stream, so a compressed
//! file that grows (written in place, a frame at a time) is decoded again from
//! its start and what was already read is skipped, as for an appended log.
//!
//! zstd is decoded by `ruzstd` (pure Rust), every frame of the file in turn (a
//! file may be frames written one after the other; skippable frames are
//! skipped), each frame's checksum checked where it has one; gzip by `flate2`,
//! every member in turn, each member's CRC checked.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{FrameDecoder, StreamingDecoder};

/// The four bytes every zstd frame begins with (little-endian 0xFD2FB528).
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The two bytes every gzip member begins with.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// How a log is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Zstd,
    Gzip,
}

impl Codec {
    /// How a log is compressed, if it is: by its name (`*.zst`, `*.gz`: a file
    /// that is still empty), else by its first bytes.
    pub fn of(path: &Path, head: &[u8]) -> Option<Codec> {
        match path.extension().and_then(|x| x.to_str()) {
            Some("zst") => Some(Codec::Zstd),
            Some("gz") => Some(Codec::Gzip),
            _ if head.starts_with(&ZSTD_MAGIC) => Some(Codec::Zstd),
            _ if head.starts_with(&GZIP_MAGIC) => Some(Codec::Gzip),
            _ => None,
        }
    }
}

/// The most a compressed file is read to, decompressed: a few kilobytes of zstd
/// can stand for gigabytes, and the first read would spend its time on them.
/// What lies past it is not read, and the source says so.
pub const MAX_DECOMPRESSED: u64 = if cfg!(test) { 1 << 20 } else { 4 << 30 };

/// How a source's error about its compressed file begins (so that a later read
/// that gets to the end can clear it).
pub const ERROR_PREFIX: &str = "compressed log";

/// Why a compressed log could not be read to its end. What was decoded before
/// it was handed on: the lines before the fault count.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("cannot read it: {0}")]
    Io(#[from] io::Error),
    /// The file ends inside a frame: still being written, or cut short.
    #[error("its last zstd frame is cut short at byte {at}")]
    CutShort { at: u64 },
    #[error("its gzip data is cut short")]
    GzipCutShort,
    #[error("not zstd data at byte {at}: {reason}")]
    Corrupt { at: u64, reason: String },
    #[error("not gzip data, or damaged: {0}")]
    GzipCorrupt(String),
    #[error("zstd frame checksum mismatch in the frame at byte {at}")]
    Checksum { at: u64 },
    #[error("it decompresses to more than {} MiB: the rest is not read", MAX_DECOMPRESSED >> 20)]
    TooLarge,
}

/// Hands decompressed bytes on from an offset, up to a bound.
struct Output<F> {
    skip: u64,
    /// The most handed on: past it, [`DecodeError::TooLarge`].
    max: u64,
    /// Decompressed bytes so far, from the start.
    produced: u64,
    handed: u64,
    each: F,
}

impl<F: FnMut(&[u8]) -> bool> Output<F> {
    /// Takes the next decompressed bytes: `Ok(false)` when the receiver wants no more.
    fn take(&mut self, piece: &[u8]) -> Result<bool, DecodeError> {
        let start = self.produced;
        self.produced += piece.len() as u64;
        if self.produced <= self.skip {
            return Ok(true);
        }
        let piece = &piece[self.skip.saturating_sub(start) as usize..];
        let room = self.max.saturating_sub(self.produced - piece.len() as u64);
        let take = piece.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        if take == 0 {
            return Err(DecodeError::TooLarge);
        }
        let more = (self.each)(&piece[..take]);
        self.handed += take as u64;
        if take < piece.len() {
            return Err(DecodeError::TooLarge);
        }
        Ok(more)
    }
}

/// A file read from its start by offset (the handle's own position is left
/// alone: the tailer shares it).
struct FromStart<'f> {
    file: &'f File,
    at: u64,
}

impl Read for FromStart<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(self.file, buf, self.at)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(self.file, buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// A reader counting the compressed bytes taken from it, to place errors.
struct Counted<R> {
    inner: R,
    taken: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.taken += n as u64;
        Ok(n)
    }
}

/// Decompresses `file` from its start and hands `each` the decompressed bytes
/// from offset `skip` on, in pieces of at most `buf.len()`, until it returns
/// false; returns how many bytes it handed on (also when it stops at an error,
/// in the error's place: the caller keeps what it was given).
pub fn decode_from(
    codec: Codec,
    file: &File,
    skip: u64,
    buf: &mut [u8],
    each: impl FnMut(&[u8]) -> bool,
) -> (u64, Result<(), DecodeError>) {
    decode_reader(codec, FromStart { file, at: 0 }, (skip, MAX_DECOMPRESSED), buf, each)
}

/// As [`decode_from`], from any reader (an HTTP body), handing on at most `max`
/// bytes (past it, [`DecodeError::TooLarge`]).
pub fn decode_reader(
    codec: Codec,
    source: impl Read,
    (skip, max): (u64, u64),
    buf: &mut [u8],
    each: impl FnMut(&[u8]) -> bool,
) -> (u64, Result<(), DecodeError>) {
    let mut out = Output { skip, max, produced: 0, handed: 0, each };
    let source = BufReader::with_capacity(64 << 10, Counted { inner: source, taken: 0 });
    let outcome = match codec {
        Codec::Zstd => zstd(source, buf, &mut out),
        Codec::Gzip => gzip(source, buf, &mut out),
    };
    (out.handed, outcome)
}

fn zstd<R: Read>(
    mut source: BufReader<Counted<R>>,
    buf: &mut [u8],
    out: &mut Output<impl FnMut(&[u8]) -> bool>,
) -> Result<(), DecodeError> {
    let mut decoder = FrameDecoder::new();
    loop {
        let frame_at = source.get_ref().taken - source.buffer().len() as u64;
        if source.fill_buf()?.is_empty() {
            return Ok(());
        }
        let mut frame = match StreamingDecoder::new_with_decoder(&mut source, &mut decoder) {
            Ok(frame) => frame,
            Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame { length, .. })) => {
                // A skippable frame: its length follows its magic, then its bytes.
                let skipped = io::copy(&mut (&mut source).take(u64::from(length)), &mut io::sink())?;
                if skipped < u64::from(length) {
                    return Err(DecodeError::CutShort { at: frame_at });
                }
                continue;
            }
            Err(e) => return Err(header_error(e, frame_at)),
        };
        loop {
            let n = frame.read(buf).map_err(|e| body_error(e, frame_at))?;
            if n == 0 {
                break;
            }
            if !out.take(&buf[..n])? {
                return Ok(());
            }
        }
        let decoder = frame.into_frame_decoder();
        if let (Some(written), Some(computed)) = (decoder.get_checksum_from_data(), decoder.get_calculated_checksum())
            && written != computed
        {
            return Err(DecodeError::Checksum { at: frame_at });
        }
    }
}

fn gzip<R: Read>(
    source: BufReader<Counted<R>>,
    buf: &mut [u8],
    out: &mut Output<impl FnMut(&[u8]) -> bool>,
) -> Result<(), DecodeError> {
    let mut members = flate2::bufread::MultiGzDecoder::new(source);
    loop {
        let n = match members.read(buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(DecodeError::GzipCutShort),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::InvalidInput || e.kind() == io::ErrorKind::InvalidData => {
                return Err(DecodeError::GzipCorrupt(e.to_string()));
            }
            Err(e) => return Err(e.into()),
        };
        if !out.take(&buf[..n])? {
            return Ok(());
        }
    }
}

/// A frame header that could not be read: cut short where the file ends in it.
fn header_error(e: FrameDecoderError, at: u64) -> DecodeError {
    if ends_early(&e) {
        return DecodeError::CutShort { at };
    }
    let reason = match e {
        FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::BadMagicNumber(_)) => {
            "no zstd frame begins there".to_owned()
        }
        e => e.to_string(),
    };
    DecodeError::Corrupt { at, reason }
}

/// A frame whose blocks could not be decoded: cut short where the file ends in it.
fn body_error(e: io::Error, at: u64) -> DecodeError {
    let cut = e.kind() == io::ErrorKind::UnexpectedEof
        || e.get_ref().and_then(|inner| inner.downcast_ref::<FrameDecoderError>()).is_some_and(ends_early);
    if cut { DecodeError::CutShort { at } } else { DecodeError::Corrupt { at, reason: e.to_string() } }
}

/// Whether a decoder error is the input ending (somewhere in its chain of sources).
fn ends_early(e: &FrameDecoderError) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::UnexpectedEof) {
            return true;
        }
        cause = c.source();
    }
    false
}

#[cfg(test)]
mod tests;
