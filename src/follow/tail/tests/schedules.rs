//! The tailer against logrotate's steps, one file operation at a time, with a
//! poll between any two of them or none, and operations between the steps of
//! a poll too (a look at a file, an open, a read: another process acts between
//! them). A follower starved of the processor looks only now and then, and
//! must count every line once whichever states it saw. Each schedule is drawn
//! from a seed, so a failure names the seed that replays it
//! (`AJENTIK_SCHEDULE=<seed>` prints its trace). This is what found the
//! rotation flake of `tests/rotation.rs` (a compressed copy and its plain file
//! both counting the writer's last lines) and the races fixed with it.

use std::collections::HashSet;
use std::path::PathBuf;

use super::*;

/// What logrotate (and the writer beside it) does to the files, in order.
#[derive(Debug, Clone)]
enum Op {
    Append(&'static str, std::ops::Range<u64>),
    /// The first half of an append's bytes (cut inside a line), then the rest:
    /// a large write seen half done.
    AppendFirstHalf(&'static str, std::ops::Range<u64>),
    AppendSecondHalf(&'static str, std::ops::Range<u64>),
    /// The compressor at work: the first half of `<name>.gz`, then the rest.
    GzipHalf(&'static str),
    GzipRest(&'static str),
    /// `copytruncate`'s copy, half then whole.
    CopyHalf(&'static str, &'static str),
    CopyRest(&'static str, &'static str),
    Truncate(&'static str),
    Rename(&'static str, &'static str),
    Remove(&'static str),
    Create(&'static str),
}

const LIVE: &str = "events.jsonl";

/// logrotate's options for the stanza (`rotate 5`, `create`, a postrotate
/// script that appends the writer's last lines to `events.jsonl.1`).
#[derive(Debug, Clone, Copy)]
struct Options {
    copytruncate: bool,
    compress: bool,
    delaycompress: bool,
}

/// Lines a round writes: before the rotation, the writer's last ones in the
/// rotated log, and in the new log after.
#[derive(Debug, Clone, Copy)]
struct Size {
    lines: u64,
    finish: u64,
    after: u64,
}

/// The operations of one round: the writer's lines, logrotate, the writer's
/// lines in the new log. Lines are numbered from `base`.
fn round(o: Options, base: u64, size: Size) -> Vec<Op> {
    use Op::*;
    let Size { lines: n, finish, after } = size;
    let mut ops = vec![AppendFirstHalf(LIVE, base..base + n), AppendSecondHalf(LIVE, base..base + n)];
    if o.compress && o.delaycompress {
        ops.extend([GzipHalf("events.jsonl.1"), GzipRest("events.jsonl.1"), Remove("events.jsonl.1")]);
    }
    for i in (1..5).rev() {
        ops.push(Rename(archive(o, i), archive(o, i + 1)));
    }
    if o.copytruncate {
        ops.extend([CopyHalf(LIVE, "events.jsonl.1"), CopyRest(LIVE, "events.jsonl.1"), Truncate(LIVE)]);
    } else {
        ops.extend([Rename(LIVE, "events.jsonl.1"), Create(LIVE)]);
    }
    ops.push(Append("events.jsonl.1", base + n..base + n + finish));
    if o.compress && !o.delaycompress {
        ops.extend([GzipHalf("events.jsonl.1"), GzipRest("events.jsonl.1"), Remove("events.jsonl.1")]);
    }
    ops.push(Append(LIVE, base + 2 * n..base + 2 * n + after));
    ops
}

/// The `i`th archive's name: `events.jsonl.<i>.gz`, or plain without
/// `compress` (renamed only if it exists).
fn archive(o: Options, i: u64) -> &'static str {
    let names = if o.compress {
        ["", "events.jsonl.1.gz", "events.jsonl.2.gz", "events.jsonl.3.gz", "events.jsonl.4.gz", "events.jsonl.5.gz"]
    } else {
        ["", "events.jsonl.1", "events.jsonl.2", "events.jsonl.3", "events.jsonl.4", "events.jsonl.5"]
    };
    names[i as usize]
}

fn gz_name(name: &str) -> String {
    format!("{name}.gz")
}

fn gzip_bytes(path: &Path) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&std::fs::read(path).unwrap()).unwrap();
    gz.finish().unwrap()
}

fn apply(dir: &Path, op: &Op) {
    let at = |name: &str| dir.join(name);
    match op {
        Op::Append(name, range) => append(&at(name), &lines(range.clone())),
        Op::AppendFirstHalf(name, range) => {
            let text = lines(range.clone());
            append(&at(name), &text[..text.len() / 2 + 7]);
        }
        Op::AppendSecondHalf(name, range) => {
            let text = lines(range.clone());
            append(&at(name), &text[text.len() / 2 + 7..]);
        }
        Op::GzipHalf(name) => {
            if at(name).exists() {
                let packed = gzip_bytes(&at(name));
                std::fs::write(at(&gz_name(name)), &packed[..packed.len() / 2]).unwrap();
            }
        }
        Op::GzipRest(name) => {
            if at(name).exists() {
                let packed = gzip_bytes(&at(name));
                let mut f = std::fs::OpenOptions::new().append(true).open(at(&gz_name(name))).unwrap();
                f.write_all(&packed[packed.len() / 2..]).unwrap();
            }
        }
        Op::CopyHalf(from, to) => {
            let bytes = std::fs::read(at(from)).unwrap();
            std::fs::write(at(to), &bytes[..bytes.len() / 2]).unwrap();
        }
        Op::CopyRest(from, to) => {
            let bytes = std::fs::read(at(from)).unwrap();
            let done = std::fs::metadata(at(to)).unwrap().len() as usize;
            let mut f = std::fs::OpenOptions::new().append(true).open(at(to)).unwrap();
            f.write_all(&bytes[done..]).unwrap();
        }
        Op::Truncate(name) => {
            std::fs::OpenOptions::new().write(true).truncate(true).open(at(name)).unwrap();
        }
        Op::Rename(from, to) => {
            if at(from).exists() {
                std::fs::rename(at(from), at(to)).unwrap();
            }
        }
        Op::Remove(name) => {
            let _ = std::fs::remove_file(at(name));
        }
        Op::Create(name) => drop(std::fs::File::create(at(name)).unwrap()),
    }
}

/// The names an operation changes (what the file watcher would report).
fn names_changed(op: &Op) -> Vec<String> {
    match op {
        Op::Append(name, _)
        | Op::AppendFirstHalf(name, _)
        | Op::AppendSecondHalf(name, _)
        | Op::Truncate(name)
        | Op::Remove(name)
        | Op::Create(name) => vec![name.to_string()],
        Op::GzipHalf(name) | Op::GzipRest(name) => vec![gz_name(name)],
        Op::CopyHalf(_, to) | Op::CopyRest(_, to) => vec![to.to_string()],
        Op::Rename(from, to) => vec![from.to_string(), to.to_string()],
    }
}

fn lines_in(op: &Op) -> u64 {
    match op {
        Op::Append(_, range) | Op::AppendSecondHalf(_, range) => range.end - range.start,
        _ => 0,
    }
}

/// A small deterministic generator (xorshift), so a seed replays a schedule:
/// true about once in `self.1` calls.
struct Schedule(u64, u64);

impl Schedule {
    fn next(&mut self) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0.is_multiple_of(self.1)
    }
}

/// The files and what was done to them so far.
struct World {
    dir: PathBuf,
    ops: std::collections::VecDeque<Op>,
    written: u64,
    /// Names changed since the last poll (what the watcher would report).
    changed: HashSet<std::ffi::OsString>,
    schedule: Schedule,
}

impl World {
    /// Does the next operation, if any is left.
    fn step(&mut self) -> bool {
        let Some(op) = self.ops.pop_front() else { return false };
        trace(format_args!("{op:?}"));
        apply(&self.dir, &op);
        self.written += lines_in(&op);
        self.changed.extend(names_changed(&op).into_iter().map(std::ffi::OsString::from));
        true
    }
}

/// Prints a line of the trace of the schedule replayed (`AJENTIK_SCHEDULE`).
fn trace(what: std::fmt::Arguments) {
    if std::env::var("AJENTIK_SCHEDULE").is_ok() {
        eprintln!("{what}");
    }
}

/// What the tailer's sources counted, for the trace.
fn trace_sources(fold: &Fold, at: &str) {
    for s in &fold.ingest.sources {
        let name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
        trace(format_args!("{at} {} {} copy_of={:?}", name(&s.path), s.events, s.copy_of.as_deref().map(name)));
    }
}

/// Follows `events.jsonl*` through `rounds` rotations with options `o`: after
/// each operation a poll or not, and within a poll, between two of its steps,
/// the next operations or not, as the schedule of `seed` says. The events
/// counted, the lines written and the malformed lines at the end.
fn follow(o: Options, rounds: u64, seed: u64) -> (u64, u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    // Lines past a file's head (4 KiB) or not; the integration test's sizes
    // with AJENTIK_SCHEDULE_BIG set.
    let size = match (std::env::var("AJENTIK_SCHEDULE_BIG").is_ok(), seed % 2) {
        (true, _) => Size { lines: 3000, finish: 100, after: 500 },
        (false, 0) => Size { lines: 60, finish: 5, after: 10 },
        (false, _) => Size { lines: 60, finish: 5, after: 50 },
    };
    // The live log there when following begins, or made after.
    let mut written = 0;
    if !seed.is_multiple_of(3) {
        append(&dir.path().join(LIVE), &lines(0..size.lines));
        written = size.lines;
    }
    let spec = vec![LogSpec::parse(&format!("{}/events.jsonl*", dir.path().display())).unwrap()];
    let mut fold = Fold::default();
    let mut t = Tailer::open(spec, &mut fold, 1).unwrap();
    let ops = (1..=rounds).flat_map(|r| round(o, r * 10_000, size)).collect();
    // Polls after one operation in 1 to 5, and operations inside them likewise.
    let schedule = Schedule(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1, 1 + seed % 5);
    let world = World { dir: dir.path().to_path_buf(), ops, written, changed: HashSet::new(), schedule };
    let world = std::rc::Rc::new(std::cell::RefCell::new(world));
    // Operations between the first read and the follower's first look.
    while world.borrow_mut().schedule.next() && world.borrow_mut().step() {}
    // What the logs begin with, as the follower notes before it polls.
    for i in 0..t.files.len() {
        t.note_plain_start(i);
    }
    let inside = std::rc::Rc::clone(&world);
    BETWEEN_STEPS.with(|hook| {
        *hook.borrow_mut() = Some(Box::new(move |at| {
            let mut w = inside.borrow_mut();
            if w.schedule.next() {
                trace(format_args!("  ({at})"));
                w.step();
            }
        }))
    });
    loop {
        let mut w = world.borrow_mut();
        if !w.step() {
            break;
        }
        if !w.schedule.next() {
            continue;
        }
        // A sweep of every file, or what the watcher named.
        let sweep = w.schedule.next();
        let names = std::mem::take(&mut w.changed);
        drop(w);
        trace(format_args!("{}", if sweep { "poll {" } else { "poll_changed {" }));
        if sweep {
            t.poll(&mut fold);
        } else {
            t.poll_changed(&names, &mut fold);
        }
        trace_sources(&fold, "}");
    }
    BETWEEN_STEPS.with(|hook| *hook.borrow_mut() = None);
    while world.borrow_mut().step() {}
    t.poll(&mut fold);
    t.poll(&mut fold);
    trace_sources(&fold, "end");
    let written = world.borrow().written;
    (events(&fold), written, fold.ingest.total().malformed)
}

/// Follows every schedule of seeds 0 to 300 (`AJENTIK_SCHEDULES` sets how
/// many), or only the seed `AJENTIK_SCHEDULE` names, with its trace printed.
fn every_schedule_counts_each_line_once(o: Options) {
    let seeds = match (std::env::var("AJENTIK_SCHEDULE"), std::env::var("AJENTIK_SCHEDULES")) {
        (Ok(seed), _) => seed.parse().map(|s| s..s + 1).unwrap(),
        (_, Ok(count)) => 0..count.parse().unwrap(),
        _ => 0..300,
    };
    let failures: Vec<String> = seeds
        .filter_map(|seed| {
            let (counted, written, malformed) = follow(o, 3, seed);
            (counted != written || malformed != 0)
                .then(|| format!("seed {seed}: {counted} counted of {written}, {malformed} malformed"))
        })
        .collect();
    assert!(failures.is_empty(), "{o:?}: {} schedules failed: {failures:#?}", failures.len());
}

#[test]
fn renamed_and_gzipped_at_once_counts_each_line_once_whenever_polled() {
    every_schedule_counts_each_line_once(Options { copytruncate: false, compress: true, delaycompress: false });
}

#[test]
fn renamed_and_gzipped_a_round_late_counts_each_line_once_whenever_polled() {
    every_schedule_counts_each_line_once(Options { copytruncate: false, compress: true, delaycompress: true });
}

#[test]
fn copied_and_truncated_counts_each_line_once_whenever_polled() {
    every_schedule_counts_each_line_once(Options { copytruncate: true, compress: false, delaycompress: false });
}

#[test]
fn copied_truncated_and_gzipped_counts_each_line_once_whenever_polled() {
    every_schedule_counts_each_line_once(Options { copytruncate: true, compress: true, delaycompress: false });
}

#[test]
fn copied_truncated_and_gzipped_a_round_late_counts_each_line_once_whenever_polled() {
    every_schedule_counts_each_line_once(Options { copytruncate: true, compress: true, delaycompress: true });
}
