//! The tailer against real files: every rotation and bad-input case.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use super::*;
use crate::fold::MAX_LINE_BYTES;
use crate::follow::source::LogSpec;

fn ev(i: u64) -> String {
    format!(
        r#"{{"ts":"2026-11-26T10:00:00Z","type":"tool_call","tool":"t{}","success":true,"duration_ms":{i}}}"#,
        i % 3
    ) + "\n"
}

fn lines(range: std::ops::Range<u64>) -> String {
    range.map(ev).collect()
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn file_spec(path: &Path) -> Vec<LogSpec> {
    vec![LogSpec::File(path.to_path_buf())]
}

fn events(fold: &Fold) -> u64 {
    fold.metrics.events
}

#[test]
fn partial_last_line_waits_for_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let whole = ev(1);
    let (head, tail) = whole.split_at(30);
    append(&path, &(ev(0) + head));
    let mut fold = Fold::default();
    let mut t = Tailer::open(file_spec(&path), &mut fold, 1).unwrap();
    assert_eq!((events(&fold), fold.ingest.sources[0].malformed), (1, 0));
    append(&path, &tail[..10]);
    t.poll(&mut fold);
    assert_eq!(events(&fold), 1, "still incomplete");
    append(&path, &tail[10..]);
    t.poll(&mut fold);
    assert_eq!((events(&fold), fold.ingest.sources[0].malformed), (2, 0));
    assert_eq!(fold.ingest.sources[0].bytes, std::fs::metadata(&path).unwrap().len());
}

#[test]
fn a_log_that_does_not_exist_yet_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("later/events.jsonl");
    let mut fold = Fold::default();
    let mut t = Tailer::open(file_spec(&path), &mut fold, 2).unwrap();
    assert_eq!(t.poll(&mut fold), 0);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    append(&path, &lines(0..5));
    t.poll(&mut fold);
    assert_eq!(events(&fold), 5);
}

#[test]
fn an_unreadable_log_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "").unwrap();
    let mut fold = Fold::default();
    let err = Tailer::open(file_spec(&not_a_dir.join("events.jsonl")), &mut fold, 1).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.starts_with("cannot read log ") && msg.contains("events.jsonl"), "{msg}");
}

#[test]
fn copy_truncate_is_read_again_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    append(&path, &lines(0..10));
    let mut fold = Fold::default();
    let mut t = Tailer::open(file_spec(&path), &mut fold, 1).unwrap();
    // logrotate's copytruncate: the content is copied away, the file emptied in place.
    truncate_in_place(&path);
    append(&path, &lines(10..13));
    t.poll(&mut fold);
    assert_eq!(events(&fold), 13, "kept what was counted, read the new content");
    assert_eq!(fold.ingest.sources[0].truncations, 1);
    append(&path, &lines(13..15));
    t.poll(&mut fold);
    assert_eq!(events(&fold), 15);
}

#[test]
fn rename_rotation_finishes_the_old_file_then_follows_the_new() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    append(&path, &lines(0..10));
    let mut fold = Fold::default();
    let mut t = Tailer::open(file_spec(&path), &mut fold, 1).unwrap();
    // Written to the old file after our last read, then rotated away.
    append(&path, &lines(10..15));
    std::fs::rename(&path, dir.path().join("events.jsonl.1")).unwrap();
    append(&path, &lines(15..18));
    t.poll(&mut fold);
    assert_eq!(events(&fold), 18, "nothing lost, nothing doubled");
    assert_eq!(fold.ingest.sources[0].rotations, 1);
    append(&path, &lines(18..20));
    t.poll(&mut fold);
    assert_eq!(events(&fold), 20);
    let tools: u64 = fold.metrics.tools.values().map(|t| t.calls.whole()).sum();
    assert_eq!(tools, 20);
}

#[test]
fn rotation_inside_a_watched_directory_does_not_double_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    append(&path, &lines(0..10));
    let spec = vec![LogSpec::Dir(dir.path().to_path_buf())];
    let mut fold = Fold::default();
    let mut t = Tailer::open(spec, &mut fold, 1).unwrap();
    append(&path, &lines(10..12));
    // Rotated to a name that still matches *.jsonl.
    std::fs::rename(&path, dir.path().join("events-1.jsonl")).unwrap();
    t.poll(&mut fold);
    append(&dir.path().join("events-1.jsonl"), &lines(12..13));
    append(&path, &lines(13..16));
    t.poll(&mut fold);
    t.poll(&mut fold);
    assert_eq!(events(&fold), 16, "{:#?}", fold.ingest.sources);
}

#[test]
fn new_files_in_a_watched_directory_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    append(&dir.path().join("a.jsonl"), &lines(0..3));
    let specs = vec![LogSpec::Dir(dir.path().to_path_buf()), LogSpec::Glob(format!("{}/*.log", dir.path().display()))];
    let mut fold = Fold::default();
    let mut t = Tailer::open(specs, &mut fold, 2).unwrap();
    assert_eq!(events(&fold), 3);
    append(&dir.path().join("b.jsonl"), &lines(3..5));
    append(&dir.path().join("c.log"), &lines(5..6));
    append(&dir.path().join("ignored.txt"), &lines(6..7));
    t.poll(&mut fold);
    assert_eq!(events(&fold), 6);
    assert_eq!(fold.ingest.sources.len(), 3);
    append(&dir.path().join("a.jsonl"), &lines(7..8));
    append(&dir.path().join("b.jsonl"), &lines(8..9));
    t.poll(&mut fold);
    assert_eq!(events(&fold), 8);
}

#[test]
fn garbage_never_stops_the_reader() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let mut junk = Vec::new();
    junk.extend_from_slice(ev(0).as_bytes());
    junk.extend_from_slice(&vec![b'x'; MAX_LINE_BYTES + 10]);
    junk.push(b'\n');
    junk.extend_from_slice(b"\x00\x00\xff\xfe\n");
    junk.extend_from_slice(format!("{}1{}\n", "[".repeat(10_000), "]".repeat(10_000)).as_bytes());
    junk.extend_from_slice(ev(1).as_bytes());
    std::fs::write(&path, &junk).unwrap();
    let mut fold = Fold::default();
    let mut t = Tailer::open(file_spec(&path), &mut fold, 1).unwrap();
    assert_eq!((events(&fold), fold.ingest.sources[0].malformed), (2, 3));
    let lines: Vec<u64> = fold.ingest.recent_malformed.iter().map(|m| m.line).collect();
    assert_eq!(lines, [2, 3, 4]);
    // An over-long line that arrives in pieces is skipped without being buffered.
    for _ in 0..3 {
        append(&path, &"y".repeat(MAX_LINE_BYTES / 2));
        t.poll(&mut fold);
    }
    append(&path, &format!("\n{}", ev(2)));
    t.poll(&mut fold);
    assert_eq!((events(&fold), fold.ingest.sources[0].malformed), (3, 4));
    assert!(fold.ingest.recent_malformed.back().unwrap().reason.contains("longer than the limit"));
    assert_eq!(fold.ingest.sources[0].bytes, std::fs::metadata(&path).unwrap().len());
}

#[test]
fn parallel_first_read_equals_sequential_at_any_split() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let mut body = Vec::new();
    crate::synth::Generator::new(crate::synth::Settings { malformed_ratio: 0.02, ..Default::default() })
        .write_lines(&mut body, 3000)
        .unwrap();
    // Hostile lines and an unfinished last line, for the boundaries to land on.
    body.extend_from_slice(b"\n\n   \nnot json\n");
    body.extend_from_slice(ev(7).as_bytes());
    body.extend_from_slice(b"{\"partial");
    std::fs::write(&path, &body).unwrap();
    let mut one = Fold::default();
    Tailer::open_in_parts(file_spec(&path), &mut one, 1, u64::MAX, 64, &Progress::default()).unwrap();
    for (threads, part) in [(2, 997), (3, 4096), (2, 100_000), (4, 1)] {
        let mut many = Fold::default();
        let progress = Progress::default();
        let mut t = Tailer::open_in_parts(file_spec(&path), &mut many, threads, part, 64, &progress).unwrap();
        let (read, total, _) = progress.get();
        assert_eq!(read, total, "every byte counted once, threads {threads}, part {part}");
        assert_eq!(many, one, "threads {threads}, parts of {part} bytes");
        // It continues exactly where the complete lines ended.
        append(&path, "\"}\n");
        t.poll(&mut many);
        assert_eq!(many.ingest.sources[0].malformed, one.ingest.sources[0].malformed + 1);
        std::fs::write(&path, &body).unwrap();
    }
}

#[test]
fn parallel_first_read_counts_the_sessions_a_sequential_one_does() {
    // Parts long enough that each evicts sessions, among them those that go
    // on across its start (held by the part before): the synthetic log opens
    // 97 sessions every 400 requests (about 2,000 lines).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let mut body = Vec::new();
    crate::synth::Generator::new(crate::synth::Settings::default()).write_lines(&mut body, 150_000).unwrap();
    std::fs::write(&path, &body).unwrap();
    let total = |f: &Fold| f.metrics.sessions.len() as u64 + f.metrics.sessions.evicted();
    let mut one = Fold::default();
    Tailer::open_in_parts(file_spec(&path), &mut one, 1, u64::MAX, 64, &Progress::default()).unwrap();
    assert!(one.metrics.sessions.evicted() > 5_000, "the test must evict: {}", one.metrics.sessions.evicted());
    for parts in [2, 3] {
        let mut many = Fold::default();
        let part = body.len() as u64 / parts;
        Tailer::open_in_parts(file_spec(&path), &mut many, 2, part, 64, &Progress::default()).unwrap();
        assert!(many.metrics.sessions.evicted() > 0);
        assert_eq!(total(&many), total(&one), "{parts} parts");
    }
}

#[test]
fn line_reader_holds_partial_lines_across_chunks() {
    let mut fold = Fold::default();
    let s = fold.ingest.add_source("x");
    let mut r = LineReader::default();
    let text = lines(0..4);
    for piece in text.as_bytes().chunks(7) {
        r.feed(piece, &mut fold, s);
    }
    assert_eq!((events(&fold), r.line_no, r.pending_len()), (4, 4, 0));
}

#[test]
fn notify_wakes_the_follower_long_before_the_poll_interval() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    append(&path, &lines(0..1));
    let mut fold = Fold::default();
    let tailer = Tailer::open(file_spec(&path), &mut fold, 1).unwrap();
    let mut follower = Follower::new(tailer, Duration::from_secs(120));
    assert_eq!(follower.watch_error, None);
    let writer = std::thread::spawn({
        let path = path.clone();
        move || {
            std::thread::sleep(Duration::from_millis(200));
            append(&path, &lines(1..4));
        }
    });
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60);
    while events(&fold) < 4 && Instant::now() < deadline {
        follower.wait(deadline);
        follower.tailer.poll(&mut fold);
    }
    writer.join().unwrap();
    assert_eq!(events(&fold), 4);
    // Woken by the file-system notification, not by the two-minute poll.
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn a_follower_of_a_folder_is_not_woken_by_its_own_reads() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.jsonl", "b.jsonl"] {
        append(&dir.path().join(name), &lines(0..2));
    }
    let mut fold = Fold::default();
    let tailer = Tailer::open(vec![LogSpec::Dir(dir.path().to_path_buf())], &mut fold, 1).unwrap();
    let mut follower = Follower::new(tailer, Duration::from_secs(120));
    assert_eq!(follower.watch_error, None);
    // Each poll lists the folder and reads the files: those opens must not wake
    // the next wait (they did, and the follower spun a core while idle). Only a
    // lower bound on time is asserted: a slow machine makes waits longer, never
    // shorter.
    let quiet = Duration::from_millis(300);
    for _ in 0..3 {
        follower.tailer.poll(&mut fold);
        let started = Instant::now();
        follower.wait(started + quiet);
        assert!(started.elapsed() >= quiet - Duration::from_millis(10), "woken by our own reads");
    }
    assert_eq!(events(&fold), 4);
    // A write still wakes it.
    append(&dir.path().join("a.jsonl"), &lines(2..3));
    let started = Instant::now();
    follower.wait(started + Duration::from_secs(60));
    assert!(started.elapsed() < Duration::from_secs(60));
    follower.tailer.poll(&mut fold);
    assert_eq!(events(&fold), 5);
}

#[test]
fn only_our_own_reads_are_ignored_by_the_watcher() {
    use notify::EventKind;
    use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, ModifyKind};
    assert!(is_our_own_read(EventKind::Access(AccessKind::Open(AccessMode::Any))));
    assert!(is_our_own_read(EventKind::Access(AccessKind::Close(AccessMode::Read))));
    assert!(!is_our_own_read(EventKind::Access(AccessKind::Close(AccessMode::Write))));
    assert!(!is_our_own_read(EventKind::Modify(ModifyKind::Data(DataChange::Any))));
    assert!(!is_our_own_read(EventKind::Create(CreateKind::File)));
}

/// Descriptors this process holds on files under `dir`.
fn open_under(dir: &Path) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|entries| {
            entries
                .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .filter(|target| target.starts_with(dir))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn thousands_of_files_are_followed_with_a_bounded_number_of_descriptors() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().canonicalize().unwrap();
    let files = 1500;
    for i in 0..files {
        append(&dir_path.join(format!("s{i:04}.jsonl")), &lines(0..2));
    }
    let mut fold = Fold::default();
    let spec = vec![LogSpec::Dir(dir_path.clone())];
    let mut tailer = Tailer::open_in_parts(spec, &mut fold, 2, PART_BYTES, 16, &Progress::default()).unwrap();
    assert_eq!(events(&fold), 2 * files);
    assert!(tailer.open_files() <= 16, "{} open", tailer.open_files());
    assert!(open_under(&dir_path) <= 16, "{} descriptors", open_under(&dir_path));

    // Appends to many closed files are read, each once; still at most 16 open.
    for i in (0..files).step_by(50) {
        append(&dir_path.join(format!("s{i:04}.jsonl")), &lines(2..3));
    }
    tailer.poll(&mut fold);
    assert_eq!(events(&fold), 2 * files + files / 50);
    assert!(open_under(&dir_path) <= 16, "{} descriptors", open_under(&dir_path));
    tailer.poll(&mut fold);
    assert_eq!(events(&fold), 2 * files + files / 50, "nothing read twice");

    // Rotation of one quiet (closed) file among many: the rest of it was read, the
    // new file is read from its start.
    let quiet = dir_path.join("s0007.jsonl");
    std::fs::rename(&quiet, dir_path.join("s0007.jsonl.1")).unwrap();
    append(&quiet, &lines(10..13));
    tailer.poll(&mut fold);
    assert_eq!(events(&fold), 2 * files + files / 50 + 3);
    // A closed file renamed to another log name is resumed, not read again.
    std::fs::rename(dir_path.join("s0009.jsonl"), dir_path.join("renamed.jsonl")).unwrap();
    append(&dir_path.join("renamed.jsonl"), &lines(20..21));
    tailer.poll(&mut fold);
    assert_eq!(events(&fold), 2 * files + files / 50 + 4);
    // Copy-truncate of a closed file: read again from its start.
    std::fs::write(dir_path.join("s0011.jsonl"), lines(30..31)).unwrap();
    tailer.poll(&mut fold);
    assert_eq!(events(&fold), 2 * files + files / 50 + 5);
    assert!(open_under(&dir_path) <= 16, "{} descriptors", open_under(&dir_path));
}

#[test]
fn a_follower_reads_the_one_file_written_among_thousands_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let files = 2000;
    for i in 0..files {
        append(&dir.path().join(format!("s{i:04}.jsonl")), &lines(0..1));
    }
    let mut fold = Fold::default();
    let tailer = Tailer::open(vec![LogSpec::Dir(dir.path().to_path_buf())], &mut fold, 2).unwrap();
    // A two-minute poll interval: only the watcher can wake it.
    let mut follower = Follower::new(tailer, Duration::from_secs(120));
    assert_eq!(follower.watch_error, None);
    follower.poll(&mut fold);
    append(&dir.path().join("s1234.jsonl"), &lines(1..3));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60);
    while events(&fold) < files + 2 && Instant::now() < deadline {
        follower.wait(deadline);
        follower.poll(&mut fold);
    }
    assert_eq!(events(&fold), files + 2);
    assert!(started.elapsed() < Duration::from_secs(60), "woken by the watcher, not the poll interval");
    // A new file in the folder is found the same way.
    append(&dir.path().join("new.jsonl"), &lines(5..6));
    while events(&fold) < files + 3 && Instant::now() < deadline {
        follower.wait(deadline);
        follower.poll(&mut fold);
    }
    assert_eq!(events(&fold), files + 3);
}

fn response_line(id: &str, output: u64, last: bool) -> String {
    let stop = if last { "\"end_turn\"" } else { "null" };
    format!(
        r#"{{"type":"assistant","sessionId":"s1","timestamp":"2026-11-26T10:00:0{}Z","requestId":"req_{id}","message":{{"id":"{id}","model":"claude-sonnet-4-5","stop_reason":{stop},"usage":{{"input_tokens":5,"output_tokens":{output}}}}}}}"#,
        u8::from(last)
    ) + "\n"
}

fn model_output(fold: &Fold) -> (u64, u64) {
    let now = crate::time::parse_rfc3339("2026-11-26T11:00:00Z").unwrap();
    let r = crate::report::build(fold, now, now, &crate::alerts::Thresholds::default());
    r.models.iter().find(|m| m.name == "claude-sonnet-4-5").map_or((0, 0), |m| (m.requests, m.output_tokens))
}

#[test]
fn a_transcript_tree_is_followed_and_a_streamed_response_counted_once_when_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("projects/-home-dev");
    std::fs::create_dir_all(&project).unwrap();
    let session = project.join("s1.jsonl");
    append(&session, &response_line("msg_a", 40, true));
    let mut fold = Fold::default();
    let spec = vec![LogSpec::Tree(dir.path().join("projects"))];
    let mut tailer = Tailer::open(spec, &mut fold, 2).unwrap();
    assert_eq!(model_output(&fold), (1, 40));
    // A response streams in: nothing counted until its last line...
    append(&session, &response_line("msg_b", 1, false));
    append(&session, &response_line("msg_b", 3, false));
    tailer.poll(&mut fold);
    assert_eq!(model_output(&fold), (1, 40));
    // ...then once, with the final usage; its last line half written at first.
    let last = response_line("msg_b", 900, true);
    append(&session, &last[..20]);
    tailer.poll(&mut fold);
    assert_eq!(model_output(&fold), (1, 40));
    append(&session, &last[20..]);
    tailer.poll(&mut fold);
    assert_eq!(model_output(&fold), (2, 940));
    // A sub-agent's file in a new folder is found; a copy of a counted response
    // in it counts nothing.
    let sub = project.join("s1/subagents");
    std::fs::create_dir_all(&sub).unwrap();
    append(&sub.join("agent-x.jsonl"), &(response_line("msg_b", 900, true) + &response_line("msg_c", 60, true)));
    tailer.poll(&mut fold);
    assert_eq!(model_output(&fold), (3, 1000));
    assert_eq!(fold.ingest.total().malformed, 0);
}

#[test]
fn transcripts_read_by_any_number_of_threads_count_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let start = crate::time::parse_rfc3339("2026-11-20T00:00:00Z").unwrap();
    crate::synth::sessions::claude_code(&dir.path().join("claude"), 60, 3, start).unwrap();
    crate::synth::sessions::codex(&dir.path().join("codex"), 40, 3, start).unwrap();
    let read = |threads: usize| {
        let mut fold = Fold::default();
        let specs = vec![LogSpec::Tree(dir.path().join("claude")), LogSpec::Tree(dir.path().join("codex"))];
        Tailer::open(specs, &mut fold, threads).unwrap();
        fold.flush_transcripts();
        let now = crate::time::parse_rfc3339("2026-12-01T00:00:00Z").unwrap();
        let r = crate::report::build(&fold, now, now, &crate::alerts::Thresholds::default());
        let models: Vec<_> =
            r.models.iter().map(|m| (m.name.clone(), m.requests, m.input_tokens, m.output_tokens)).collect();
        let tools: Vec<_> = r.tools.iter().map(|t| (t.name.clone(), t.usage_count, t.failures)).collect();
        (
            models,
            tools,
            r.agents.iter().map(|a| (a.name.clone(), a.total_requests)).collect::<Vec<_>>(),
            fold.metrics.events,
        )
    };
    let one = read(1);
    assert!(one.3 > 500, "{} events", one.3);
    assert_eq!(one, read(2));
    assert_eq!(one, read(4));
}

/// Every file under `dir` with a name ending in `.jsonl`.
fn jsonl_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(jsonl_files(&path));
        } else if path.extension().is_some_and(|x| x == "jsonl") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Does what Codex's compression worker does to a cold rollout: writes
/// `<name>.zst` beside it, then removes it.
fn compress_away(path: &Path) {
    let plain = std::fs::read(path).unwrap();
    let packed = ruzstd::encoding::compress_to_vec(&plain[..], ruzstd::encoding::CompressionLevel::Fastest);
    let mut name = path.as_os_str().to_owned();
    name.push(".zst");
    std::fs::write(&name, packed).unwrap();
    std::fs::remove_file(path).unwrap();
}

/// Models (name, requests, input and output tokens), tools (name, uses, failures)
/// and events.
type Counts = (Vec<(String, u64, u64, u64)>, Vec<(String, u64, u64)>, u64);

/// The [`Counts`] of what `fold` read.
fn codex_counts(fold: &mut Fold) -> Counts {
    fold.flush_transcripts();
    let now = crate::time::parse_rfc3339("2026-12-01T00:00:00Z").unwrap();
    let r = crate::report::build(&*fold, now, now, &crate::alerts::Thresholds::default());
    let models = r.models.iter().map(|m| (m.name.clone(), m.requests, m.input_tokens, m.output_tokens)).collect();
    let tools = r.tools.iter().map(|t| (t.name.clone(), t.usage_count, t.failures)).collect();
    (models, tools, fold.metrics.events)
}

#[test]
fn compressed_codex_rollouts_count_as_the_plain_ones_and_never_twice() {
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("sessions");
    let start = crate::time::parse_rfc3339("2026-11-20T00:00:00Z").unwrap();
    crate::synth::sessions::codex(&sessions, 30, 5, start).unwrap();
    let spec = || vec![LogSpec::Tree(sessions.clone())];
    let mut plain = Fold::default();
    let mut tailer = Tailer::open(spec(), &mut plain, 2).unwrap();
    let counted = codex_counts(&mut plain);
    assert!(counted.2 > 200, "{} events", counted.2);
    // Codex compresses the cold ones while ajentik follows: nothing counts twice.
    let files = jsonl_files(&sessions);
    for path in files.iter().step_by(2) {
        compress_away(path);
    }
    tailer.poll(&mut plain);
    assert_eq!(codex_counts(&mut plain), counted);
    assert_eq!(tailer.file_count(), files.len() + files.len().div_ceil(2));
    // Read afresh, half of them compressed: the same counts, on any threads.
    for threads in [1, 2, 3] {
        let mut fold = Fold::default();
        Tailer::open(spec(), &mut fold, threads).unwrap();
        assert_eq!(codex_counts(&mut fold), counted, "{threads} threads");
        assert!(fold.ingest.sources.iter().all(|s| s.error.is_none() && s.malformed == 0));
        assert!(fold.ingest.sources.iter().filter(|s| s.path.ends_with(".zst")).all(|s| s.format == Some("codex")));
    }
}

#[test]
fn a_compressed_log_that_grows_a_frame_at_a_time_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl.zst");
    let frame =
        |text: String| ruzstd::encoding::compress_to_vec(text.as_bytes(), ruzstd::encoding::CompressionLevel::Fastest);
    let first = frame(lines(0..100));
    std::fs::write(&path, &first).unwrap();
    let mut fold = Fold::default();
    let mut t = Tailer::open(file_spec(&path), &mut fold, 2).unwrap();
    assert_eq!(events(&fold), 100);
    assert_eq!(fold.ingest.sources[0].bytes, lines(0..100).len() as u64, "offsets are in the decompressed stream");
    // The next frame, written half at first: the source says so, nothing is lost.
    let second = frame(lines(100..3000));
    let half = second.len() / 2;
    append_bytes(&path, &second[..half]);
    t.poll(&mut fold);
    assert!(events(&fold) < 3000);
    let error = fold.ingest.sources[0].error.clone().unwrap_or_default();
    assert!(error.starts_with("compressed log") && error.contains("cut short"), "{error}");
    append_bytes(&path, &second[half..]);
    t.poll(&mut fold);
    assert_eq!(events(&fold), 3000);
    assert_eq!(fold.ingest.sources[0].error, None);
    assert_eq!(fold.ingest.sources[0].malformed, 0);
    // Nothing new: nothing decoded again.
    assert_eq!(t.poll(&mut fold), 0);
    // Growing again before its time (ten times its last decode's) is deferred,
    // shown as lag, and read at a later poll.
    let third = frame(lines(3000..3010));
    append_bytes(&path, &third);
    t.files[0].decode_again_at = Some(std::time::Instant::now() + std::time::Duration::from_secs(3600));
    assert_eq!(t.poll(&mut fold), 0);
    assert_eq!(events(&fold), 3000);
    assert_eq!(t.lag_bytes(), third.len() as u64);
    t.files[0].decode_again_at = Some(std::time::Instant::now());
    t.poll(&mut fold);
    assert_eq!(events(&fold), 3010);
    assert_eq!(t.lag_bytes(), 0);
    // Replaced in place by a shorter one: read again from its start.
    std::fs::write(&path, &first).unwrap();
    t.poll(&mut fold);
    assert_eq!((events(&fold), fold.ingest.sources[0].truncations), (3110, 1));
}

fn append_bytes(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

/// Empties `path` in place (as copy-truncate does).
fn truncate_in_place(path: &Path) {
    std::fs::OpenOptions::new().write(true).truncate(true).open(path).unwrap();
}

mod rotated;
mod schedules;
