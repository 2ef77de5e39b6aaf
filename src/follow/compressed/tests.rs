use std::io::Write;

use ruzstd::encoding::{CompressionLevel, compress_to_vec};

use super::*;

/// A Codex rollout compressed by the zstd command-line tool (`zstd -19 --check`:
/// one frame with a content checksum).
const ROLLOUT_ZST: &[u8] = include_bytes!("../../../tests/fixtures/compressed/rollout.jsonl.zst");
const ROLLOUT: &[u8] = include_bytes!("../../../tests/fixtures/codex/rollout.jsonl");

/// `bytes` lines of text that compress, but not to nothing.
fn text(bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes + 64);
    let mut i = 0u64;
    while out.len() < bytes {
        i += 1;
        let _ = writeln!(out, "{{\"n\":{i},\"h\":\"{:x}\"}}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    }
    out.truncate(bytes);
    out
}

fn file_of(bytes: &[u8]) -> File {
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(bytes).unwrap();
    file
}

/// Everything `decode_from` hands on of zstd `bytes` from `skip`, in pieces of
/// `piece` bytes.
fn decode(bytes: &[u8], skip: u64, piece: usize) -> (Vec<u8>, Result<(), DecodeError>) {
    decode_as(Codec::Zstd, bytes, skip, piece)
}

fn decode_as(codec: Codec, bytes: &[u8], skip: u64, piece: usize) -> (Vec<u8>, Result<(), DecodeError>) {
    let file = file_of(bytes);
    let mut buf = vec![0u8; piece];
    let mut out = Vec::new();
    let (handed, outcome) = decode_from(codec, &file, skip, &mut buf, |p| {
        assert!(!p.is_empty() && p.len() <= piece);
        out.extend_from_slice(p);
        true
    });
    assert_eq!(handed, out.len() as u64);
    (out, outcome)
}

/// A skippable frame (magic 0x184D2A5?, a length, that many bytes).
fn skippable(payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x53, 0x2a, 0x4d, 0x18];
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

#[test]
fn the_zstd_tools_output_decodes_with_its_checksum_checked() {
    assert!(ROLLOUT_ZST.starts_with(&ZSTD_MAGIC));
    let (out, outcome) = decode(ROLLOUT_ZST, 0, 4096);
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(out, ROLLOUT);
    // The checksum is the frame's last four bytes: a wrong one is named.
    let mut bad = ROLLOUT_ZST.to_vec();
    let last = bad.len() - 1;
    bad[last] ^= 0x55;
    let (out, outcome) = decode(&bad, 0, 4096);
    assert!(matches!(outcome, Err(DecodeError::Checksum { at: 0 })), "{outcome:?}");
    assert_eq!(out, ROLLOUT, "what was decoded was handed on before the check");
}

#[test]
fn frames_one_after_another_are_one_stream_and_skippable_frames_are_skipped() {
    let (a, b) = (text(300_000), text(5_000));
    let mut file = compress_to_vec(&a[..], CompressionLevel::Fastest);
    file.extend(skippable(b"not the log's"));
    file.extend_from_slice(ROLLOUT_ZST);
    file.extend(compress_to_vec(&b[..], CompressionLevel::Uncompressed));
    let whole = [&a[..], ROLLOUT, &b[..]].concat();
    for piece in [1000, 64 << 10, 1 << 20] {
        let (out, outcome) = decode(&file, 0, piece);
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(out, whole, "pieces of {piece}");
    }
    // From an offset: what a follower already read is skipped, in any frame.
    for skip in [0, 1, 299_999, 300_000, 300_001, whole.len() as u64 - 1, whole.len() as u64, u64::MAX] {
        let (out, outcome) = decode(&file, skip, 4096);
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(out, whole.get(skip as usize..).unwrap_or_default(), "skip {skip}");
    }
}

#[test]
fn a_file_cut_anywhere_hands_on_a_prefix_and_says_it_is_cut_short() {
    let a = text(200_000);
    let mut file = compress_to_vec(&a[..], CompressionLevel::Fastest);
    file.extend_from_slice(ROLLOUT_ZST);
    let whole = [&a[..], ROLLOUT].concat();
    let frame_two = (file.len() - ROLLOUT_ZST.len()) as u64;
    for cut in (1..file.len()).step_by(997).chain([3, 4, 5, 6, frame_two as usize + 2, file.len() - 1]) {
        let (out, outcome) = decode(&file[..cut], 0, 8192);
        assert!(whole.starts_with(&out), "cut at {cut}: a prefix");
        match outcome {
            Err(DecodeError::CutShort { at }) => assert!(at == 0 || at == frame_two, "cut at {cut}: frame at {at}"),
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
    // Cut at a frame's end: a shorter, whole stream.
    let (out, outcome) = decode(&file[..frame_two as usize], 0, 8192);
    assert!(outcome.is_ok());
    assert_eq!(out, a);
}

#[test]
fn garbage_is_named_never_a_panic() {
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let good = compress_to_vec(&text(50_000)[..], CompressionLevel::Fastest);
    for round in 0..300 {
        let mut bytes = good.clone();
        for _ in 0..1 + round % 8 {
            let at = 4 + (next() as usize) % (bytes.len() - 4);
            bytes[at] = next() as u8;
        }
        // Whatever the decoder makes of it, it ends with a reason or at the end.
        let _ = decode(&bytes, 0, 4096);
    }
    let (out, outcome) = decode(b"{\"plain\": \"json\"}\n", 0, 4096);
    assert!(out.is_empty());
    match outcome {
        Err(DecodeError::Corrupt { at: 0, reason }) => assert_eq!(reason, "no zstd frame begins there"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_file_that_decompresses_past_the_bound_is_read_to_it() {
    let big = text((MAX_DECOMPRESSED + 300_000) as usize);
    let file = compress_to_vec(&big[..], CompressionLevel::Fastest);
    let (out, outcome) = decode(&file, 0, 64 << 10);
    assert!(matches!(outcome, Err(DecodeError::TooLarge)), "{outcome:?}");
    assert_eq!(out, &big[..MAX_DECOMPRESSED as usize]);
    assert!(DecodeError::TooLarge.to_string().contains("more than"));
}

#[test]
fn compressed_by_name_or_by_its_first_bytes() {
    assert_eq!(Codec::of(Path::new("a/rollout.jsonl.zst"), b""), Some(Codec::Zstd));
    assert_eq!(Codec::of(Path::new("a/events.jsonl.1.gz"), b""), Some(Codec::Gzip));
    assert_eq!(Codec::of(Path::new("a/events.jsonl"), ROLLOUT_ZST), Some(Codec::Zstd));
    assert_eq!(Codec::of(Path::new("a/events.jsonl.1"), &gzip(b"x")), Some(Codec::Gzip));
    assert_eq!(Codec::of(Path::new("a/events.jsonl"), b"{\"v\":1}"), None);
    assert_eq!(Codec::of(Path::new("a/zst"), b""), None);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn gzip_members_one_after_another_are_one_stream_cut_or_damaged_named() {
    let (a, b) = (text(300_000), text(7_000));
    let file = [gzip(&a), gzip(&b)].concat();
    let whole = [&a[..], &b[..]].concat();
    for skip in [0, 1, 299_999, 300_000, 300_001, whole.len() as u64] {
        let (out, outcome) = decode_as(Codec::Gzip, &file, skip, 4096);
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(out, &whole[skip as usize..], "skip {skip}");
    }
    for cut in (1..file.len()).step_by(1999).chain([2, 10, file.len() - 1]) {
        let (out, outcome) = decode_as(Codec::Gzip, &file[..cut], 0, 8192);
        assert!(whole.starts_with(&out), "cut at {cut}: a prefix");
        assert!(matches!(outcome, Err(DecodeError::GzipCutShort)), "cut at {cut}: {outcome:?}");
    }
    // A member's CRC (its trailer's first four bytes) is checked.
    let mut bad = gzip(&b);
    let crc = bad.len() - 8;
    bad[crc] ^= 1;
    let (_, outcome) = decode_as(Codec::Gzip, &bad, 0, 4096);
    assert!(matches!(outcome, Err(DecodeError::GzipCorrupt(_))), "{outcome:?}");
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..200 {
        let mut bytes = file.clone();
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let at = 2 + (rng as usize) % (bytes.len() - 2);
        bytes[at] = (rng >> 32) as u8;
        let _ = decode_as(Codec::Gzip, &bytes, 0, 4096);
    }
}
