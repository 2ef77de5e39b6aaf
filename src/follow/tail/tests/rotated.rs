//! The tailer against rotated and copied logs: compressed archives made beside
//! a followed log or after it was renamed away, twins, copy-truncate through a
//! glob, lines left unfinished at a rename.

use super::*;

/// `text` as one gzip member (as the gzip tool and logrotate's `compress` write).
fn gzip(text: &str) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

/// `events.jsonl*` in `dir`: the live log and its rotated files, as a user
/// following rotation would give it.
fn rotated_logs(dir: &Path) -> Vec<LogSpec> {
    vec![LogSpec::parse(&format!("{}/events.jsonl*", dir.display())).unwrap()]
}

#[test]
fn a_followed_log_rotated_then_gzipped_counts_every_line_once() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("events.jsonl");
    append(&live, &lines(0..50));
    let spec = rotated_logs(dir.path());
    let mut fold = Fold::default();
    let mut t = Tailer::open(spec, &mut fold, 2).unwrap();
    assert_eq!(events(&fold), 50);
    // logrotate with `compress`: rename, a new log, then the rotated one gzipped
    // beside itself and removed (a last line half written when it was moved).
    append(&live, &lines(50..60));
    let half = ev(60);
    append(&live, &half[..15]);
    t.poll(&mut fold);
    let rotated = dir.path().join("events.jsonl.1");
    std::fs::rename(&live, &rotated).unwrap();
    append(&rotated, &half[15..]);
    append(&live, &lines(61..70));
    t.poll(&mut fold);
    assert_eq!(events(&fold), 70);
    std::fs::write(dir.path().join("events.jsonl.1.gz"), gzip(&std::fs::read_to_string(&rotated).unwrap())).unwrap();
    std::fs::remove_file(&rotated).unwrap();
    append(&live, &lines(70..75));
    t.poll(&mut fold);
    assert_eq!(events(&fold), 75, "the gzipped copy is read on from where its plain file was left");
    assert_eq!(fold.ingest.total().malformed, 0);
}

/// logrotate's `compress` without `delaycompress`: the rotated log's writer may
/// still append to it after the compressor has begun its copy, and both the
/// plain file and the copy then hold those lines: whichever is read first counts
/// them, the other skips them.
#[test]
fn lines_a_rotated_log_and_its_compressed_copy_both_gain_count_once() {
    let dir = tempfile::tempdir().unwrap();
    let rotated = dir.path().join("events.jsonl.1");
    append(&rotated, &lines(0..50));
    let spec = rotated_logs(dir.path());
    let mut fold = Fold::default();
    let mut t = Tailer::open(spec, &mut fold, 2).unwrap();
    assert_eq!(events(&fold), 50);
    // The compressor has just made its file.
    let copy_path = dir.path().join("events.jsonl.1.gz");
    std::fs::write(&copy_path, b"").unwrap();
    t.poll(&mut fold);
    // The writer appends to the rotated log (it has not reopened yet), and the
    // compressor's copy holds those lines too: the plain file is read first.
    append(&rotated, &lines(50..60));
    std::fs::write(&copy_path, gzip(&(lines(0..50) + &lines(50..60)))).unwrap();
    t.poll(&mut fold);
    assert_eq!(events(&fold), 60);
    // Then the copy gets there first (a half line in the plain file meanwhile).
    let next = ev(70);
    append(&rotated, &lines(60..70));
    append(&rotated, &next[..10]);
    std::fs::write(&copy_path, gzip(&(lines(0..70) + &next))).unwrap();
    let copy = t.files.iter().position(|f| f.path == copy_path).unwrap();
    assert_eq!(fold.ingest.sources[t.files[copy].source].copy_of, Some(rotated.display().to_string()));
    t.poll_file(copy, &mut fold);
    t.poll(&mut fold);
    append(&rotated, &next[10..]);
    t.poll(&mut fold);
    assert_eq!(events(&fold), 71);
    std::fs::remove_file(&rotated).unwrap();
    t.poll(&mut fold);
    assert_eq!(events(&fold), 71);
    assert_eq!(fold.ingest.total().malformed, 0);
}

/// logrotate's `compress` in one go between two looks: the log is renamed, a
/// new one made, the rotated one gets its writer's last lines, is gzipped and
/// removed before ajentik sees it under its new name. The archive is known by
/// its head as the file read under the old name (even half written when first
/// seen), and read on from where that was left; at the next rotation the
/// archive is renamed, and a new one stands at its name.
#[test]
fn an_archive_of_a_log_rotated_and_removed_unseen_is_read_on_from_where_it_was_left() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("events.jsonl");
    let (rotated, archive) = (dir.path().join("events.jsonl.1"), dir.path().join("events.jsonl.1.gz"));
    append(&live, &lines(0..100));
    let spec = rotated_logs(dir.path());
    let mut fold = Fold::default();
    let mut t = Tailer::open(spec, &mut fold, 2).unwrap();
    assert_eq!(events(&fold), 100);
    let mut written = 100;
    for round in 1..=2u64 {
        let base = round * 1000;
        if round == 2 {
            std::fs::rename(&archive, dir.path().join("events.jsonl.2.gz")).unwrap();
        }
        std::fs::rename(&live, &rotated).unwrap();
        append(&live, &lines(base..base + 10));
        append(&rotated, &lines(base + 500..base + 520));
        let packed = gzip(&std::fs::read_to_string(&rotated).unwrap());
        std::fs::write(&archive, &packed[..40]).unwrap();
        std::fs::remove_file(&rotated).unwrap();
        written += 30;
        t.poll(&mut fold);
        t.poll(&mut fold);
        let waiting = fold.ingest.sources.iter().find(|s| s.path.ends_with(".1.gz")).unwrap();
        assert!(waiting.error.as_ref().is_some_and(|e| e.contains("cut short")), "{:?}", waiting.error);
        std::fs::write(&archive, &packed).unwrap();
        t.poll(&mut fold);
        t.poll(&mut fold);
        assert_eq!(events(&fold), written, "round {round}");
        assert!(fold.ingest.sources.iter().all(|s| s.error.is_none()), "{:?}", fold.ingest.sources);
    }
    assert_eq!(fold.ingest.total().malformed, 0);
    // An archive of lines never read (no rotated log begins as it does): read whole.
    std::fs::write(dir.path().join("events.jsonl.9.gz"), gzip(&lines(9000..9040))).unwrap();
    t.poll(&mut fold);
    t.poll(&mut fold);
    assert_eq!(events(&fold), written + 40);
}

/// logrotate with `delaycompress` compresses a rotated log under a name that is
/// not its own plus `.gz`, while the plain one is still followed: the archive
/// is known by its content as that log's copy, and the two count each line once.
/// A record of a removed file is not applied to another file that took its
/// identity (its inode).
#[test]
fn an_archive_of_a_followed_log_under_another_name_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("events.jsonl.1");
    append(&plain, &lines(0..100));
    let spec = rotated_logs(dir.path());
    let mut fold = Fold::default();
    let mut t = Tailer::open(spec, &mut fold, 2).unwrap();
    append(&plain, &lines(100..110));
    std::fs::write(dir.path().join("events.jsonl.2.gz"), gzip(&lines(0..120))).unwrap();
    append(&plain, &lines(110..120));
    t.poll(&mut fold);
    t.poll(&mut fold);
    assert_eq!(events(&fold), 120);
    append(&plain, &lines(120..125));
    t.poll(&mut fold);
    assert_eq!(events(&fold), 125);

    let open = |path: &Path| std::fs::File::open(path).unwrap();
    let record = Retired { offset: 5, line_no: 1, head: Head::read(&open(&plain)) };
    assert!(record.is(&open(&plain)));
    let other = dir.path().join("other");
    append(&other, &lines(500..600));
    assert!(!record.is(&open(&other)), "another file's content");
    // A log held closed is known by the starts kept of it: the same check.
    let starts = std::fs::File::open(&plain).ok().and_then(|f| LineStarts::read(&f)).unwrap();
    let record = Retired { offset: 5, line_no: 1, head: starts.head() };
    append(&plain, &lines(125..126));
    assert!(record.is(&open(&plain)), "grown since, it still begins so");
    assert!(!record.is(&open(&other)), "another file's content");
}

/// A live log with a compressed copy beside it (`gzip -k`), the copy read
/// ahead of it, then the log truncated in place and written again
/// (copy-truncate): its new lines are read, not held back behind the copy.
#[test]
fn a_log_truncated_while_its_compressed_twin_is_ahead_reads_its_new_lines() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("events.jsonl");
    let copy = dir.path().join("events.jsonl.gz");
    append(&live, &lines(0..50));
    let spec = rotated_logs(dir.path());
    let mut fold = Fold::default();
    let mut t = Tailer::open(spec, &mut fold, 2).unwrap();
    std::fs::write(&copy, gzip(&lines(0..50))).unwrap();
    t.poll(&mut fold);
    append(&live, &lines(50..70));
    std::fs::write(&copy, gzip(&lines(0..70))).unwrap();
    let copy_index = t.files.iter().position(|f| f.path == copy).unwrap();
    t.poll_file(copy_index, &mut fold);
    assert_eq!(events(&fold), 70);
    std::fs::write(&live, lines(100..103)).unwrap();
    t.poll(&mut fold);
    assert_eq!(events(&fold), 73);
    assert_eq!(fold.ingest.sources[0].truncations, 1);
}

/// Started while logrotate gzips `events.jsonl.1` beside itself (or after
/// `gzip -k`): the copy is not read, so nothing counts twice; an older archive
/// under that name, with other lines, is read.
#[test]
fn a_compressed_copy_beside_its_plain_file_is_not_read_twice() {
    let dir = tempfile::tempdir().unwrap();
    let rotated = dir.path().join("events.jsonl.1");
    append(&rotated, &lines(0..2000));
    // Half written: the compressor is still at it.
    let copy = gzip(&lines(0..2000));
    let copy_path = dir.path().join("events.jsonl.1.gz");
    std::fs::write(&copy_path, &copy[..copy.len() / 2]).unwrap();
    let spec = rotated_logs(dir.path());
    let mut fold = Fold::default();
    let mut t = Tailer::open(spec.clone(), &mut fold, 2).unwrap();
    assert_eq!(events(&fold), 2000);
    let copy_source = fold.ingest.sources.iter().find(|s| s.path == copy_path.display().to_string()).unwrap();
    assert_eq!(copy_source.copy_of, Some(rotated.display().to_string()));
    // The compressor finishes and removes the plain file: still nothing twice.
    std::fs::write(&copy_path, &copy).unwrap();
    std::fs::remove_file(&rotated).unwrap();
    t.poll(&mut fold);
    assert_eq!(events(&fold), 2000);
    assert_eq!(t.lag_bytes(), 0);
    // Another archive under that name (other lines): read.
    std::fs::write(&copy_path, gzip(&lines(5000..5100))).unwrap();
    append(&rotated, &lines(0..2000));
    let mut fold = Fold::default();
    Tailer::open(spec, &mut fold, 2).unwrap();
    assert_eq!(events(&fold), 2100);
}

/// logrotate's `copytruncate` of `live` to `copy` in one go, then the writer's
/// `refill` lines in the emptied log.
fn copy_and_truncate(live: &Path, copy: &Path, refill: std::ops::Range<u64>) {
    std::fs::copy(live, copy).unwrap();
    truncate_in_place(live);
    append(live, &lines(refill));
}

/// `events.jsonl` in `dir` with 50 lines, read by a tailer of `events.jsonl*`
/// that has polled once.
fn followed_log(dir: &Path) -> (std::path::PathBuf, Fold, Tailer) {
    let live = dir.join("events.jsonl");
    append(&live, &lines(0..50));
    let mut fold = Fold::default();
    let mut t = Tailer::open(rotated_logs(dir), &mut fold, 2).unwrap();
    t.poll(&mut fold);
    (live, fold, t)
}

/// logrotate's `copytruncate` through a glob that matches the copy
/// (`events.jsonl*`), copy `events.jsonl` to `events.jsonl.1`, then empty it:
/// the copy holds lines the live log counted, and is read on from where that
/// was, however the looks fall: a poll between the copy and the truncation or
/// not, and one while the copy has only `copied_bytes`.
fn copy_truncate_while_followed(poll_after_copy: bool, copied_bytes: Option<usize>) {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("events.jsonl.1");
    let (live, mut fold, mut t) = followed_log(dir.path());
    assert_eq!(events(&fold), 50);
    // Written before the copy, not read yet.
    append(&live, &lines(50..55));
    if let Some(n) = copied_bytes {
        // The copy caught half done (mid-line): told by its lines so far.
        std::fs::write(&copy, &std::fs::read(&live).unwrap()[..n]).unwrap();
        t.poll(&mut fold);
        assert_eq!(events(&fold), 55, "{:?}", fold.ingest.sources);
    }
    std::fs::copy(&live, &copy).unwrap();
    if poll_after_copy {
        t.poll(&mut fold);
        assert_eq!(events(&fold), 55, "{:?}", fold.ingest.sources);
    }
    truncate_in_place(&live);
    append(&live, &lines(55..58));
    t.poll(&mut fold);
    assert_eq!(events(&fold), 58, "{:?}", fold.ingest.sources);
    // The copy gains a line (logrotate's postrotate), the live log another.
    append(&copy, &lines(58..59));
    append(&live, &lines(59..60));
    t.poll(&mut fold);
    t.poll(&mut fold);
    assert_eq!(events(&fold), 60, "{:?}", fold.ingest.sources);
    assert_eq!(fold.ingest.total().malformed, 0);
    // The report says which file the copy is a copy of.
    let copy_source = fold.ingest.sources.iter().find(|s| s.path == copy.display().to_string()).unwrap();
    assert_eq!(copy_source.copy_of, Some(live.display().to_string()));
}

#[test]
fn a_copy_seen_before_its_log_is_truncated_counts_once() {
    copy_truncate_while_followed(true, None);
}

#[test]
fn a_copy_seen_only_after_its_log_was_truncated_and_written_again_counts_once() {
    copy_truncate_while_followed(false, None);
}

#[test]
fn a_copy_caught_half_made_counts_once() {
    // Past HEAD_BYTES, and short of it: mid-line both times.
    copy_truncate_while_followed(true, Some(4500));
    copy_truncate_while_followed(false, Some(1050));
}

/// A new log under the glob that begins with the same line as the followed
/// one, then goes its own way, is not a copy: read whole. And one with no
/// complete line yet waits for it, then shows at once.
#[test]
fn a_new_log_that_only_begins_alike_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut fold, mut t) = followed_log(dir.path());
    let other = dir.path().join("events.jsonl.other");
    append(&other, &ev(0)[..20]);
    t.poll(&mut fold);
    assert_eq!(events(&fold), 50);
    append(&other, &ev(0)[20..]);
    append(&other, &lines(100..110));
    t.poll(&mut fold);
    assert_eq!(events(&fold), 61, "{:?}", fold.ingest.sources);
    assert!(fold.ingest.sources.iter().all(|s| s.copy_of.is_none()), "{:?}", fold.ingest.sources);
}

/// Renamed away mid-line (rotation by rename through a glob), the line's rest
/// written after ajentik's look: the line counts once, whole, under the new
/// name. Followed alone, the unfinished line is one malformed line.
#[test]
fn a_line_finished_after_its_log_was_renamed_away_counts_once_whole() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("events.jsonl");
    let rotated = dir.path().join("events.jsonl.1");
    let half = ev(10);
    for (spec, events_after, malformed) in [(rotated_logs(dir.path()), 13, 0), (file_spec(&live), 12, 1)] {
        let _ = std::fs::remove_file(&rotated);
        let _ = std::fs::remove_file(&live);
        append(&live, &lines(0..10));
        let mut fold = Fold::default();
        let mut t = Tailer::open(spec, &mut fold, 1).unwrap();
        append(&live, &half[..25]);
        t.poll(&mut fold);
        std::fs::rename(&live, &rotated).unwrap();
        append(&live, &lines(20..22));
        t.poll(&mut fold);
        assert_eq!(events(&fold), 12);
        append(&rotated, &half[25..]);
        t.poll(&mut fold);
        t.poll(&mut fold);
        assert_eq!(events(&fold), events_after, "{:?}", fold.ingest.sources);
        assert_eq!(fold.ingest.total().malformed, malformed, "{:?}", fold.ingest.recent_malformed);
    }
}

/// Copied and emptied before the follower's first poll: it looked at what the
/// log begins with when it started, so the copy is still told.
#[test]
fn a_log_copied_and_truncated_before_the_first_poll_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("events.jsonl");
    append(&live, &lines(0..50));
    let mut fold = Fold::default();
    let tailer = Tailer::open(rotated_logs(dir.path()), &mut fold, 2).unwrap();
    let mut follower = Follower::new(tailer, Duration::from_secs(120));
    copy_and_truncate(&live, &dir.path().join("events.jsonl.1"), 50..53);
    follower.tailer.poll(&mut fold);
    follower.tailer.poll(&mut fold);
    assert_eq!(events(&fold), 53, "{:?}", fold.ingest.sources);
}

/// Among more logs than may be held open: one closed when following began is
/// opened for a moment to see what it begins with, so its copy is told too.
#[test]
fn a_closed_log_copied_and_truncated_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    for (k, name) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        let start = k as u64 * 100;
        append(&dir.path().join(format!("{name}.jsonl")), &lines(start..start + 30));
    }
    let mut fold = Fold::default();
    let spec = vec![LogSpec::Dir(dir.path().to_path_buf())];
    let tailer = Tailer::open_in_parts(spec, &mut fold, 1, PART_BYTES, 2, &Progress::default()).unwrap();
    let closed = tailer.files.iter().position(|f| f.file.is_none()).unwrap();
    let live = tailer.files[closed].path.clone();
    let mut follower = Follower::new(tailer, Duration::from_secs(120));
    assert_eq!(events(&fold), 150);
    copy_and_truncate(&live, &dir.path().join("copy.jsonl"), 900..903);
    follower.tailer.poll(&mut fold);
    follower.tailer.poll(&mut fold);
    assert_eq!(events(&fold), 153, "{:?}", fold.ingest.sources);
}

/// Emptied and written again past where it was read, between two looks (a
/// slow poll, a busy writer): its length says nothing, its first line tells.
/// Alone, and through a glob with its copy beside it.
#[test]
fn a_log_emptied_and_refilled_past_its_offset_between_two_looks_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    append(&path, &lines(0..10));
    let mut fold = Fold::default();
    let mut t = Tailer::open(file_spec(&path), &mut fold, 1).unwrap();
    t.poll(&mut fold);
    truncate_in_place(&path);
    append(&path, &lines(100..130));
    t.poll(&mut fold);
    assert_eq!(events(&fold), 40, "{:?}", fold.ingest.sources);
    assert_eq!((fold.ingest.sources[0].truncations, fold.ingest.sources[0].malformed), (1, 0));
    append(&path, &lines(130..131));
    t.poll(&mut fold);
    assert_eq!(events(&fold), 41);

    let dir = tempfile::tempdir().unwrap();
    let (live, mut fold, mut t) = followed_log(dir.path());
    copy_and_truncate(&live, &dir.path().join("events.jsonl.1"), 200..300);
    t.poll(&mut fold);
    t.poll(&mut fold);
    assert_eq!(events(&fold), 150, "{:?}", fold.ingest.sources);
    assert_eq!(fold.ingest.total().malformed, 0);
}
