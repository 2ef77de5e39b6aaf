//! `ajentik push`: operations from the logs, as OTLP spans, to Logfire or any
//! OTLP/HTTP backend (shell: files, environment, network).
//!
//! Spans are built as data ([`crate::otlp::span_record`]) and handed to
//! opentelemetry-otlp's exporter as the SDK's `SpanData`, batch by batch: the
//! SDK's tracer would make its own ids and times, and its batch processor drops
//! spans when its queue is full. A cursor per (log, endpoint) is saved only after
//! the backend accepted a batch, so a rerun resumes without losing or resending.

mod exporter;

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::trace::SpanData;

use exporter::span_data;
pub use exporter::{ExportError, Exporter};

use crate::follow::tail::Progress;
use crate::ingest::v1::{LineOutcome, parse_line_then};
use crate::otlp::target::{self, Flags, Found, Target};
use crate::otlp::{self, Origin};
use crate::pricing::PriceTable;
use crate::time::Micros;

/// What `ajentik push` was asked to do.
#[derive(Debug, Clone, clap::Args)]
pub struct PushArgs {
    /// The full OTLP/HTTP traces URL, used verbatim (e.g. http://127.0.0.1:4318/v1/traces).
    /// Default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces),
    /// else Logfire's endpoint for LOGFIRE_TOKEN's region.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// An extra request header, KEY=VALUE. Repeatable.
    #[arg(long = "header", value_name = "KEY=VALUE")]
    pub headers: Vec<String>,
    /// The `service.name` of the pushed spans. Default: `service_name` under `[push]` in
    /// the config file, else "ajentik".
    #[arg(long, value_name = "NAME")]
    pub service_name: Option<String>,
    /// Push operations of any age. By default those that ended over 24 hours ago
    /// (or over an hour ahead) are skipped: Logfire drops them.
    #[arg(long)]
    pub any_age: bool,
    /// Spans per request.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch: u32,
    /// Start from the beginning of every log, replacing the saved cursors.
    #[arg(long)]
    pub from_start: bool,
    /// Where the cursors are kept. Default: $XDG_STATE_HOME/ajentik/push.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Push only operations that ended at or after this time (RFC 3339) or this
    /// long ago (e.g. 2h).
    #[arg(long, value_name = "TIME|DURATION", value_parser = parse_since)]
    pub since: Option<Since>,
    /// Keep pushing what is appended, until interrupted.
    #[arg(long)]
    pub follow: bool,
    /// How often --follow looks for new lines.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = crate::time::parse_duration)]
    pub poll_interval: Duration,
    /// The config file's `[push]` section (not a flag).
    #[arg(skip)]
    pub config: crate::config::PushConfig,
}

impl PushArgs {
    /// What the live view's push key uses: the defaults of `ajentik push --follow`.
    pub fn following() -> PushArgs {
        PushArgs {
            endpoint: None,
            headers: Vec::new(),
            service_name: None,
            any_age: false,
            batch: 1000,
            from_start: false,
            state_dir: None,
            since: None,
            follow: true,
            poll_interval: Duration::from_secs(1),
            config: crate::config::PushConfig::default(),
        }
    }
}

/// `--since`: an instant, or a duration before now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    At(Micros),
    Ago(Duration),
}

impl Since {
    fn instant(self, now: Micros) -> Micros {
        match self {
            Since::At(at) => at,
            Since::Ago(ago) => now.saturating_sub(i64::try_from(ago.as_micros()).unwrap_or(i64::MAX)),
        }
    }
}

fn parse_since(s: &str) -> Result<Since, String> {
    if let Ok(at) = crate::time::parse_rfc3339(s) {
        return Ok(Since::At(at));
    }
    crate::time::parse_duration(s)
        .map(Since::Ago)
        .map_err(|_| format!("{s:?} is neither an RFC 3339 time (2026-11-26T21:30:00Z) nor a duration (2h)"))
}

/// What one push did, for the summary line and the tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub spans: u64,
    pub batches: u64,
    /// Operations outside Logfire's window, not pushed.
    pub too_old: u64,
    pub malformed: u64,
}

impl Pushed {
    fn add(&mut self, other: &Pushed) {
        self.spans += other.spans;
        self.batches += other.batches;
        self.too_old += other.too_old;
        self.malformed += other.malformed;
    }
}

/// One pass over one log.
struct Pass<'a> {
    /// Bytes to read and read so far, for a progress line.
    progress: &'a Progress,
    from_start: bool,
    since: Option<Micros>,
    now: Micros,
    args: &'a PushArgs,
}

/// Runs `ajentik push` over these logs (with `--follow`, until interrupted);
/// `now` anchors `--since` given as a duration. `progress` follows the first
/// pass (what the logs held when push started), and is marked done after it.
pub fn run(
    logs: &[String],
    args: &PushArgs,
    prices: Arc<PriceTable>,
    now: Micros,
    progress: &Progress,
) -> Result<Pushed> {
    let session = Session::open(logs, args, prices);
    let session = match session {
        Ok(s) => s,
        Err(e) => {
            progress.done.store(true, std::sync::atomic::Ordering::Release);
            return Err(e);
        }
    };
    let since = args.since.map(|s| s.instant(now));
    let mut total = Pushed::default();
    let mut from_start = args.from_start;
    let mut pause = args.poll_interval;
    let idle = Progress::default();
    let mut first = Some(progress);
    loop {
        let result = session.pass(from_start, since, args.follow, first.unwrap_or(&idle));
        if let Some(p) = first.take() {
            p.done.store(true, std::sync::atomic::Ordering::Release);
        }
        match result {
            Ok(pushed) => {
                total.add(&pushed);
                pause = args.poll_interval;
            }
            // Following is a long-running job: an outage is waited out, with
            // backoff; a refusal that will not change ends it.
            Err(e) if args.follow && !ExportError::is_permanent_in(&e) => {
                pause = backoff(pause);
                eprintln!("ajentik: push: {e:#}; trying again in {}s", pause.as_secs());
            }
            Err(e) => return Err(e),
        }
        if !args.follow {
            return Ok(total);
        }
        from_start = false;
        std::thread::sleep(pause);
    }
}

/// A push set up: where to, with what, and where the cursors are.
struct Session {
    args: PushArgs,
    target: Target,
    exporter: Exporter,
    state_dir: PathBuf,
    specs: Vec<crate::follow::source::LogSpec>,
    prices: Arc<PriceTable>,
}

impl Session {
    fn open(logs: &[String], args: &PushArgs, prices: Arc<PriceTable>) -> Result<Session> {
        let flags = Flags { endpoint: args.endpoint.clone(), headers: parse_header_flags(&args.headers)? };
        let dotenv = read_dotenv(Path::new(".env"))?;
        let target = target::resolve(&flags, |key| setting(key, &dotenv, &args.config))?;
        tracing::debug!(target: "push", "push endpoint: {} (from {})", target.endpoint, target.endpoint_from);
        if let Some(lf) = &target.logfire {
            tracing::debug!(target: "push", "logfire token: {} from {} ({})", lf.token_redacted, lf.token_var, lf.token_from);
        }
        let service_name = args.service_name.as_deref().unwrap_or(&args.config.service_name);
        let exporter = Exporter::new(&target, service_name)?;
        let state_dir = match &args.state_dir {
            Some(dir) => dir.clone(),
            None => dirs::state_dir()
                .context("no state folder ($XDG_STATE_HOME or ~/.local/state) for push cursors")?
                .join("ajentik")
                .join("push"),
        };
        let specs = crate::follow::source::resolve(logs)?;
        Ok(Session { args: args.clone(), target, exporter, state_dir, specs, prices })
    }

    /// Pushes what every log holds past its cursor; `report` prints a line per
    /// log that sent something (for --follow).
    fn pass(&self, from_start: bool, since: Option<Micros>, report: bool, progress: &Progress) -> Result<Pushed> {
        let mut total = Pushed::default();
        // Expanded every pass, so following picks up files a directory or glob gains.
        for spec in &self.specs {
            for path in spec.expand()? {
                let cursor = Cursor::new(&self.state_dir, &path, &self.target.endpoint);
                let pass = Pass { from_start, since, now: crate::time::wall_clock(), args: &self.args, progress };
                let pushed = push_file(&path, &cursor, &self.exporter, &pass, &self.prices)
                    .with_context(|| format!("pushing {}", path.display()))?;
                if report && pushed.spans > 0 {
                    println!("{}: {}", path.display(), summary(&pushed, &self.target.endpoint));
                }
                total.add(&pushed);
            }
        }
        Ok(total)
    }
}

/// What the live view shows of a push running in the background.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushState {
    Starting,
    /// Following the logs; `sent` spans accepted since it started. `project` is
    /// `LOGFIRE_PROJECT`, when pushing to Logfire and it is set.
    Pushing {
        sent: u64,
        endpoint: String,
        project: Option<String>,
    },
    /// The last pass failed; it is tried again after a pause.
    Retrying {
        sent: u64,
        reason: String,
    },
    /// It cannot start (no destination, bad settings): nothing to retry.
    Failed {
        reason: String,
    },
}

/// A push following the logs on its own thread (exports block), for the live
/// view; stopped by dropping it or calling [`BackgroundPush::stop`].
pub struct BackgroundPush {
    state: Arc<Mutex<PushState>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl BackgroundPush {
    pub fn start(logs: Vec<String>, args: PushArgs, prices: Arc<PriceTable>) -> BackgroundPush {
        let state = Arc::new(Mutex::new(PushState::Starting));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (shared, stopped) = (state.clone(), stop.clone());
        std::thread::spawn(move || follow_in_background(&logs, &args, prices, &shared, &stopped));
        BackgroundPush { state, stop }
    }

    pub fn state(&self) -> PushState {
        self.state
            .lock()
            .map_or_else(|_| PushState::Failed { reason: "the push thread panicked".into() }, |s| s.clone())
    }

    pub fn stop(&self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for BackgroundPush {
    fn drop(&mut self) {
        self.stop();
    }
}

fn follow_in_background(
    logs: &[String],
    args: &PushArgs,
    prices: Arc<PriceTable>,
    state: &Mutex<PushState>,
    stop: &std::sync::atomic::AtomicBool,
) {
    let set = |new: PushState| {
        if let Ok(mut s) = state.lock() {
            *s = new;
        }
    };
    let session = match Session::open(logs, args, prices) {
        Ok(session) => session,
        Err(e) => return set(PushState::Failed { reason: format!("{e:#}") }),
    };
    let endpoint = session.target.endpoint.clone();
    let project = session.target.logfire.as_ref().and_then(|lf| lf.project.clone());
    let mut sent = 0;
    let mut pause = args.poll_interval;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        match session.pass(false, None, false, &Progress::default()) {
            Ok(pushed) => {
                sent += pushed.spans;
                set(PushState::Pushing { sent, endpoint: endpoint.clone(), project: project.clone() });
                pause = args.poll_interval;
            }
            // Sending the same batch again would be refused again: say so and stop.
            Err(e) if ExportError::is_permanent_in(&e) => {
                return set(PushState::Failed { reason: e.root_cause().to_string() });
            }
            Err(e) => {
                // The innermost cause ("the backend refused the spans: HTTP 503: ...")
                // is what fits in the header; which log is secondary.
                set(PushState::Retrying { sent, reason: e.root_cause().to_string() });
                pause = backoff(pause);
            }
        }
        let until = std::time::Instant::now() + pause;
        while std::time::Instant::now() < until && !stop.load(std::sync::atomic::Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The pause before trying again while the backend is down: doubled each time,
/// from a second up to a minute (shared by `push --follow` and the live view).
fn backoff(pause: Duration) -> Duration {
    (pause * 2).clamp(Duration::from_secs(1), Duration::from_secs(60))
}

/// A one-line summary of a push, saying what was skipped and why.
pub fn summary(pushed: &Pushed, endpoint_hint: &str) -> String {
    let mut line = format!("pushed {} spans in {} requests to {endpoint_hint}", pushed.spans, pushed.batches);
    if pushed.too_old > 0 {
        line.push_str(&format!(
            "; skipped {} operations outside Logfire's window (ended over 24 h ago or over 1 h ahead; --any-age pushes them)",
            pushed.too_old
        ));
    }
    if pushed.malformed > 0 {
        line.push_str(&format!("; {} malformed lines not pushed", pushed.malformed));
    }
    line
}

/// Pushes one log from its cursor to its end. Reading and building spans runs on
/// its own thread, one batch ahead of the export, so the two overlap.
fn push_file(
    path: &Path,
    cursor: &Cursor,
    exporter: &Exporter,
    pass: &Pass<'_>,
    prices: &PriceTable,
) -> Result<Pushed> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let metadata = file.metadata()?;
    let (len, file_id) = (metadata.len(), FileId::of(&metadata));
    let saved = if pass.from_start { None } else { Some(cursor.load()?) };
    // Rotated since the last pass: finish the old file (under its new name in
    // the same folder) from the cursor before starting the new one.
    let mut rotated = Pushed::default();
    if let Some(Saved { offset: old_offset, file: Some(old_id) }) = saved
        && old_id != file_id
        && let Some(old_path) = find_by_id(path, old_id)
        && let Ok(mut old) = File::open(&old_path)
        && old.metadata().is_ok_and(|m| m.len() > old_offset && FileId::of(&m) == old_id)
    {
        old.seek(SeekFrom::Start(old_offset))?;
        let remaining = old.metadata().map_or(0, |m| m.len().saturating_sub(old_offset));
        pass.progress.total.fetch_add(remaining, std::sync::atomic::Ordering::Relaxed);
        rotated = push_from(old, old_offset, old_id, None, cursor, exporter, pass, prices)?;
    }
    let offset = match saved {
        // The same file, not shorter than when last pushed: carry on.
        Some(Saved { offset, file: None }) if offset <= len => offset,
        Some(Saved { offset, file: Some(id) }) if offset <= len && id == file_id => offset,
        // Truncated, or replaced by a new file (rotation): start again.
        _ => 0,
    };
    let saved = saved.filter(|s| s.file == Some(file_id) && s.offset == offset).map(|s| s.offset);
    file.seek(SeekFrom::Start(offset))?;
    pass.progress.total.fetch_add(len.saturating_sub(offset), std::sync::atomic::Ordering::Relaxed);
    let mut pushed = push_from(file, offset, file_id, saved, cursor, exporter, pass, prices)?;
    pushed.add(&rotated);
    Ok(pushed)
}

/// The file in `log`'s folder that is the file `id` (a log rotated away by
/// rename keeps its inode), if there is one.
fn find_by_id(log: &Path, id: FileId) -> Option<PathBuf> {
    let dir = log.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && FileId::of(&m) == id))
}

/// Pushes `file` (of identity `file_id`) from `offset` to its end, saving the
/// cursor after each accepted batch. `saved` is the offset the cursor already
/// holds for this file, if it does (not rewritten when nothing moved).
#[expect(clippy::too_many_arguments, reason = "one pass's parts; a struct would only rename them")]
fn push_from(
    reader: File,
    offset: u64,
    file_id: FileId,
    saved: Option<u64>,
    cursor: &Cursor,
    exporter: &Exporter,
    pass: &Pass<'_>,
    prices: &PriceTable,
) -> Result<Pushed> {
    // Derived ids come from the canonical path, like the cursor's key, so the same
    // log named two ways gets the same ids.
    let source = &cursor.log;
    let (batches_tx, batches_rx) = std::sync::mpsc::sync_channel::<(Vec<SpanData>, u64)>(1);
    std::thread::scope(|scope| {
        let producer = scope.spawn(|| read_batches(reader, offset, source, pass, prices, &exporter.scope, batches_tx));
        let mut accepted = Pushed::default();
        for (spans, end) in batches_rx {
            let n = spans.len() as u64;
            let sent = std::time::Instant::now();
            exporter.export_data(spans)?;
            tracing::debug!(target: "push", "batch of {n} spans accepted in {:.1} ms, up to byte {end}", sent.elapsed().as_secs_f64() * 1e3);
            accepted.spans += n;
            accepted.batches += 1;
            cursor.save(end, file_id)?;
        }
        let (counted, end) = producer.join().map_err(|_| anyhow::anyhow!("the span builder panicked"))??;
        // --follow passes over an unchanged log every second: no need to rewrite it.
        if saved != Some(end) {
            cursor.save(end, file_id)?;
        }
        Ok(Pushed { spans: accepted.spans, batches: accepted.batches, ..counted })
    })
}

/// The span builder: lines in (from the one line reader), batches of spans out,
/// each with the offset just after its last line.
struct SpanSink<'p> {
    source: &'p str,
    pass: &'p Pass<'p>,
    prices: &'p PriceTable,
    scope: &'p InstrumentationScope,
    batches: std::sync::mpsc::SyncSender<(Vec<SpanData>, u64)>,
    batch: Vec<SpanData>,
    counted: Pushed,
    /// Offset just after the last complete line seen.
    offset: u64,
    /// The exporter stopped taking batches.
    stopped: bool,
}

impl SpanSink<'_> {
    fn send_if_full(&mut self) {
        let size = self.pass.args.batch as usize;
        if self.batch.len() >= size && !self.stopped {
            let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(size));
            self.stopped = self.batches.send((batch, self.offset)).is_err();
        }
    }
}

impl crate::follow::tail::LineSink for SpanSink<'_> {
    fn line(&mut self, _line_no: u64, line: &[u8]) {
        let start = self.offset;
        self.offset += line.len() as u64 + 1;
        parse_line_then(line, |outcome| match outcome {
            LineOutcome::Event(event) => {
                let origin = Origin { source: self.source, offset: start };
                if let Some(span) = otlp::span_record(event, origin, Some(self.prices)) {
                    if self.pass.since.is_some_and(|since| span.end < since) {
                        // Before --since: passed over, as asked.
                    } else if self.pass.args.any_age || otlp::within_logfire_window(span.end, self.pass.now) {
                        self.batch.push(span_data(&span, self.scope));
                    } else {
                        self.counted.too_old += 1;
                    }
                }
            }
            LineOutcome::Malformed(_) => self.counted.malformed += 1,
            LineOutcome::Blank | LineOutcome::Unknown | LineOutcome::Unsupported => {}
        });
        self.send_if_full();
    }

    fn oversized(&mut self, _line_no: u64, len: u64) {
        // Skipped, never held, and passed by the cursor: one poison line must not
        // stop every later push.
        self.offset += len + 1;
        self.counted.malformed += 1;
        self.send_if_full();
    }
}

/// Reads complete lines from `offset` through the line reader the tailer uses
/// (lines over 1 MiB skipped and counted as malformed), sending full batches
/// with the offset after their last line; returns the counts and the offset
/// reached. Stops early if the exporter stopped taking batches.
fn read_batches(
    mut file: impl Read,
    offset: u64,
    source: &str,
    pass: &Pass<'_>,
    prices: &PriceTable,
    scope: &InstrumentationScope,
    batches: std::sync::mpsc::SyncSender<(Vec<SpanData>, u64)>,
) -> Result<(Pushed, u64)> {
    let mut sink = SpanSink {
        source,
        pass,
        prices,
        scope,
        batches,
        batch: Vec::with_capacity(pass.args.batch as usize),
        counted: Pushed::default(),
        offset,
        stopped: false,
    };
    let mut reader = crate::follow::tail::LineReader::default();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        reader.feed_to(&buf[..n], &mut sink);
        pass.progress.read.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        if sink.stopped {
            return Ok((sink.counted, sink.offset));
        }
    }
    // A last line without its newline is still being written: next time.
    if !sink.batch.is_empty() && !sink.stopped {
        let _ = sink.batches.send((std::mem::take(&mut sink.batch), sink.offset));
    }
    Ok((sink.counted, sink.offset))
}

/// Where one log's push to one endpoint has got to: the byte offset after the
/// last line the backend accepted. Keyed by endpoint too, so pushing the same log
/// to two backends keeps two cursors.
struct Cursor {
    path: PathBuf,
    /// The log's canonical path, which the cursor is keyed by.
    log: String,
}

impl Cursor {
    fn new(state_dir: &Path, log: &Path, endpoint: &str) -> Cursor {
        let log_name = log.canonicalize().unwrap_or_else(|_| log.to_path_buf()).display().to_string();
        let (_, key) = otlp::derived_ids(Origin { source: &format!("{log_name}\0{endpoint}"), offset: 0 });
        let stem = crate::sanitize::file_name_component(&log_name.replace('/', "_"));
        Cursor { path: state_dir.join(format!("{stem}-{key:016x}.cursor")), log: log_name }
    }

    /// The saved position: "OFFSET DEVICE INODE".
    fn load(&self) -> Result<Saved> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Saved { offset: 0, file: None }),
            Err(e) => return Err(e).with_context(|| format!("cannot read push cursor {}", self.path.display())),
        };
        let bad = || anyhow::anyhow!("push cursor {} is damaged (delete it to start again)", self.path.display());
        let numbers: Vec<u64> = text.split_whitespace().map(str::parse).collect::<Result<_, _>>().map_err(|_| bad())?;
        match numbers[..] {
            [offset] => Ok(Saved { offset, file: None }),
            [offset, device, inode] => Ok(Saved { offset, file: Some(FileId { device, inode }) }),
            _ => Err(bad()),
        }
    }

    /// Written to a temporary file and renamed, so a crash leaves the old cursor
    /// or the new one, never half of one.
    fn save(&self, offset: u64, file: FileId) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let tmp = self.path.with_extension("cursor.tmp");
        std::fs::write(&tmp, format!("{offset} {} {}\n", file.device, file.inode))
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, &self.path).with_context(|| format!("cannot write {}", self.path.display()))
    }
}

/// A cursor as saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Saved {
    offset: u64,
    file: Option<FileId>,
}

/// Which file a cursor belongs to, so that a log replaced by rotation is read from
/// its start, even once the new file has grown past the old offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    device: u64,
    inode: u64,
}

impl FileId {
    fn of(metadata: &std::fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId { device: metadata.dev(), inode: metadata.ino() }
    }
}

/// The push setup as `--debug version` reports it: where the token was found,
/// the region, the endpoint and the project; the token itself redacted.
pub fn describe_setup(config: &crate::config::PushConfig) -> Vec<String> {
    let dotenv = match read_dotenv(Path::new(".env")) {
        Ok(values) => values,
        Err(e) => return vec![format!("push: {e:#}")],
    };
    match target::resolve(&Flags::default(), |key| setting(key, &dotenv, config)) {
        Err(e) => vec![format!("push: {e}")],
        Ok(target) => {
            let mut lines = vec![format!("push endpoint: {} (from {})", target.endpoint, target.endpoint_from)];
            if let Some(lf) = target.logfire {
                lines.push(format!("logfire token: {} from {} ({})", lf.token_redacted, lf.token_var, lf.token_from));
                lines.push(format!("logfire region: {}", lf.region.name()));
                lines
                    .push(format!("logfire project: {}", lf.project.as_deref().unwrap_or("(LOGFIRE_PROJECT not set)")));
            }
            lines
        }
    }
}

/// A setting from the environment, else the working directory's `.env`, else
/// (the Logfire token only) the config file.
fn setting(key: &str, dotenv: &HashMap<String, String>, config: &crate::config::PushConfig) -> Option<Found> {
    match std::env::var(key) {
        Ok(value) if !value.is_empty() => return Some(Found { value, from: "environment".into() }),
        _ => {}
    }
    if let Some(value) = dotenv.get(key).filter(|v| !v.is_empty()) {
        return Some(Found { value: value.clone(), from: ".env".into() });
    }
    match (key, &config.logfire_token) {
        ("LOGFIRE_TOKEN", Some(token)) if !token.is_empty() => {
            Some(Found { value: token.clone(), from: "config file".into() })
        }
        _ => None,
    }
}

fn read_dotenv(path: &Path) -> Result<HashMap<String, String>> {
    let iter = match dotenvy::from_path_iter(path) {
        Ok(iter) => iter,
        Err(dotenvy::Error::Io(e)) if e.kind() == io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => bail!("cannot read {}: {e}", path.display()),
    };
    let mut values = HashMap::new();
    for item in iter {
        let (key, value) = item.with_context(|| format!("{} has a line that is not KEY=VALUE", path.display()))?;
        values.insert(key, value);
    }
    Ok(values)
}

fn parse_header_flags(headers: &[String]) -> Result<Vec<(String, String)>> {
    headers
        .iter()
        .map(|h| match h.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_string(), value.to_string())),
            _ => bail!("--header wants KEY=VALUE"),
        })
        .collect()
}
