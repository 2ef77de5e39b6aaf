//! Logs compressed with zstd (Codex compresses a rollout nobody has touched for a
//! while to `rollout-….jsonl.zst`, and removes the plain file). Such a file is read
//! as the stream it decompresses to: offsets are in that stream, so a compressed
//! file that grows (written in place, a frame at a time) is decoded again from its
//! start and what was already read is skipped, as for an appended log.
//!
//! Decoded by `ruzstd` (pure Rust), every frame of the file in turn (a file may be
//! frames written one after the other; skippable frames are skipped), each frame's
//! checksum checked where it has one.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{FrameDecoder, StreamingDecoder};

/// The four bytes every zstd frame begins with (little-endian 0xFD2FB528).
pub const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The most a compressed file is read to, decompressed: a few kilobytes of zstd
/// can stand for gigabytes, and the first read would spend its time on them.
/// What lies past it is not read, and the source says so.
pub const MAX_DECOMPRESSED: u64 = if cfg!(test) { 1 << 20 } else { 4 << 30 };

/// How a source's error about its compressed file begins (so that a later read
/// that gets to the end can clear it).
pub const ERROR_PREFIX: &str = "compressed log";

/// Whether a log is compressed: named `*.zst`, or beginning with a zstd frame.
pub fn is_compressed(path: &Path, head: &[u8]) -> bool {
    path.extension().is_some_and(|x| x == "zst") || head.starts_with(&MAGIC)
}

/// Why a compressed log could not be read to its end. What was decoded before
/// it was handed on: the lines before the fault count.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("cannot read it: {0}")]
    Io(#[from] io::Error),
    /// The file ends inside a frame: still being written, or cut short.
    #[error("its last zstd frame is cut short at byte {at}")]
    CutShort { at: u64 },
    #[error("not zstd data at byte {at}: {reason}")]
    Corrupt { at: u64, reason: String },
    #[error("zstd frame checksum mismatch in the frame at byte {at}")]
    Checksum { at: u64 },
    #[error("it decompresses to more than {} GiB: the rest is not read", MAX_DECOMPRESSED >> 30)]
    TooLarge,
}

/// A file read from its start by offset (the handle's own position is left
/// alone: the tailer shares it), counting the compressed bytes taken.
struct FromStart<'f> {
    file: &'f File,
    taken: u64,
}

impl Read for FromStart<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(self.file, buf, self.taken)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(self.file, buf, self.taken)?;
        self.taken += n as u64;
        Ok(n)
    }
}

/// Decompresses `file` from its start and hands `each` the decompressed bytes
/// from offset `skip` on, in pieces of at most `buf.len()`, until it returns
/// false; returns how many bytes it handed on (also when it stops at an error,
/// in the error's place: the caller keeps what it was given).
pub fn decode_from(
    file: &File,
    skip: u64,
    buf: &mut [u8],
    mut each: impl FnMut(&[u8]) -> bool,
) -> (u64, Result<(), DecodeError>) {
    let mut source = BufReader::with_capacity(64 << 10, FromStart { file, taken: 0 });
    let mut decoder = FrameDecoder::new();
    let mut produced = 0u64; // decompressed bytes, from the start
    let mut handed = 0u64;
    loop {
        let frame_at = source.get_ref().taken - source.buffer().len() as u64;
        match source.fill_buf() {
            Ok([]) => return (handed, Ok(())),
            Ok(_) => {}
            Err(e) => return (handed, Err(e.into())),
        }
        let mut frame = match StreamingDecoder::new_with_decoder(&mut source, &mut decoder) {
            Ok(frame) => frame,
            Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame { length, .. })) => {
                // A skippable frame: its length follows its magic, then its bytes.
                match io::copy(&mut (&mut source).take(u64::from(length)), &mut io::sink()) {
                    Ok(n) if n == u64::from(length) => continue,
                    Ok(_) => return (handed, Err(DecodeError::CutShort { at: frame_at })),
                    Err(e) => return (handed, Err(e.into())),
                }
            }
            Err(e) => return (handed, Err(header_error(e, frame_at))),
        };
        loop {
            let n = match frame.read(buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => return (handed, Err(body_error(e, frame_at))),
            };
            let piece = &buf[..n];
            let start = produced;
            produced += n as u64;
            if produced > skip {
                let from = skip.saturating_sub(start) as usize;
                let room = MAX_DECOMPRESSED.saturating_sub(start + from as u64);
                let piece = &piece[from..];
                let take = piece.len().min(usize::try_from(room).unwrap_or(usize::MAX));
                if take == 0 {
                    return (handed, Err(DecodeError::TooLarge));
                }
                let more = each(&piece[..take]);
                handed += take as u64;
                if take < piece.len() {
                    return (handed, Err(DecodeError::TooLarge));
                }
                if !more {
                    return (handed, Ok(()));
                }
            }
        }
        let decoder = frame.into_frame_decoder();
        if let (Some(written), Some(computed)) = (decoder.get_checksum_from_data(), decoder.get_calculated_checksum())
            && written != computed
        {
            return (handed, Err(DecodeError::Checksum { at: frame_at }));
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

/// The first decompressed bytes of `file` (at most `buf.len()`), to tell what it
/// holds; how many were read.
pub fn head(file: &File, buf: &mut [u8]) -> usize {
    let mut piece = vec![0u8; buf.len()];
    let mut filled = 0;
    let _ = decode_from(file, 0, &mut piece, |bytes| {
        let take = bytes.len().min(buf.len() - filled);
        buf[filled..filled + take].copy_from_slice(&bytes[..take]);
        filled += take;
        filled < buf.len()
    });
    filled
}

#[cfg(test)]
mod tests;
