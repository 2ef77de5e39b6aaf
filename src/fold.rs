//! Lines in, state out: the per-line entry point of the core, and the ingest
//! counters that say what was read and what was not.

use std::collections::VecDeque;

use crate::ingest::v1::{LineOutcome, parse_line_then};
use std::sync::Arc;

use crate::metrics::Metrics;
use crate::pricing::PriceTable;
use crate::time::Micros;
use crate::traces::TraceStore;

/// Index of a log source in [`Ingest::sources`].
pub type SourceId = usize;

/// Malformed lines kept for display.
pub const RECENT_MALFORMED: usize = 20;

/// Events stamped before this (2000-01-01) come from a clock that was never set.
pub const EARLIEST: Micros = 946_684_800 * crate::time::MICROS_PER_SECOND;

/// Lines longer than this are not buffered or parsed: they are counted malformed.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// What was read from one log source.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SourceStats {
    pub path: String,
    /// Bytes of complete lines consumed (a partial last line is not counted yet).
    pub bytes: u64,
    pub lines: u64,
    pub events: u64,
    pub malformed: u64,
    pub unknown: u64,
    pub unsupported: u64,
    /// Times the file shrank under us and was read again from the start.
    pub truncations: u64,
    /// Times the file was replaced by a new one at the same path.
    pub rotations: u64,
    /// Why the file cannot be read right now, if it cannot.
    pub error: Option<String>,
    /// What the file holds when it is not an ajentik event log (`claude-code`),
    /// told from its first lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<&'static str>,
    /// The log this file was found to be a copy of while following (logrotate's
    /// `copytruncate` copy, or a compressed archive): its lines up to where that
    /// log was read count there, not here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copy_of: Option<String>,
}

impl SourceStats {
    /// Adds `o`'s counts (a later part of the same file, or another file of a
    /// folder's summary row).
    pub fn merge(&mut self, o: &SourceStats) {
        self.bytes += o.bytes;
        self.lines += o.lines;
        self.events += o.events;
        self.malformed += o.malformed;
        self.unknown += o.unknown;
        self.unsupported += o.unsupported;
        self.truncations += o.truncations;
        self.rotations += o.rotations;
        if o.error.is_some() {
            self.error.clone_from(&o.error);
        }
        self.format = self.format.or(o.format);
        if self.copy_of.is_none() {
            self.copy_of.clone_from(&o.copy_of);
        }
    }
}

/// A line that could not be read, for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedLine {
    pub source: SourceId,
    /// 1-based, counted from where this fold began reading the source.
    pub line: u64,
    pub reason: String,
}

/// Ingest counters for every source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ingest {
    pub sources: Vec<SourceStats>,
    pub recent_malformed: VecDeque<MalformedLine>,
    /// Valid events stamped after the evaluation instant, left out.
    pub after_now: u64,
    /// Valid events whose clock was wrong (stamped beyond the horizon, or
    /// before 2000), left out of every figure, and the last few of them.
    pub clock_skew: u64,
    pub recent_clock_skew: VecDeque<MalformedLine>,
}

impl Ingest {
    /// Registers a source and returns its id.
    pub fn add_source(&mut self, path: impl Into<String>) -> SourceId {
        self.sources.push(SourceStats { path: path.into(), ..SourceStats::default() });
        self.sources.len() - 1
    }

    pub fn total(&self) -> SourceStats {
        let mut t = SourceStats::default();
        self.sources.iter().for_each(|s| t.merge(s));
        t
    }

    fn skewed(&mut self, source: SourceId, line: u64, reason: String) {
        self.clock_skew += 1;
        push_recent(&mut self.recent_clock_skew, MalformedLine { source, line, reason });
    }

    fn malformed(&mut self, source: SourceId, line: u64, reason: String) {
        self.sources[source].malformed += 1;
        push_recent(&mut self.recent_malformed, MalformedLine { source, line, reason });
    }
}

/// Keeps the last [`RECENT_MALFORMED`] lines of a list, dropping the oldest.
fn push_recent(list: &mut VecDeque<MalformedLine>, line: MalformedLine) {
    if list.len() == RECENT_MALFORMED {
        list.pop_front();
    }
    list.push_back(line);
}

/// The folded state of a set of logs: metrics plus ingest counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fold {
    pub metrics: Metrics,
    pub ingest: Ingest,
    /// With `--now`, events after this instant are left out.
    pub cutoff: Option<Micros>,
    /// Without `--now`: events stamped after this instant (the shell keeps it
    /// at its clock plus the tolerance) come from a clock gone wrong, and are
    /// left out and counted as `clock_skew`.
    pub horizon: Option<Micros>,
    /// Prices for model calls that report no cost (the default table is empty).
    pub prices: Arc<PriceTable>,
    /// Recent trace trees, where kept (the live view); none by default.
    pub traces: TraceStore,
    /// What Claude Code transcripts carry from line to line and file to file.
    pub claude: Option<Box<crate::ingest::claude::ClaudeState>>,
    /// What Codex rollouts carry from line to line and file to file.
    pub codex: Option<Box<crate::ingest::codex::CodexState>>,
    /// What the adapters' events counted (by key): a copy in another file is not
    /// counted again.
    pub counted: crate::ingest::Counted,
    /// A first-read worker's fold keeps the adapters' events here, to be counted
    /// when it is merged, in file order: whether an event counts depends on
    /// every file before it.
    pub deferred: Option<Vec<(SourceId, u64, crate::ingest::Keyed)>>,
}

/// How long a transcript stays quiet before its unfinished response or turn counts.
pub const QUIET: Micros = 5 * crate::time::MICROS_PER_MINUTE;

/// Lines of a source that may still tell its format (a transcript's first lines
/// may be of types the event log does not know).
const FORMAT_LINES: u64 = 5;

impl Fold {
    pub fn new(cutoff: Option<Micros>, prices: Arc<PriceTable>) -> Self {
        Self { cutoff, prices, ..Self::default() }
    }

    /// A fold that knows the same sources as `self` and nothing else, for a worker.
    pub fn empty_like(&self) -> Self {
        let mut f = self.empty_without_sources();
        f.ingest.sources = self
            .ingest
            .sources
            .iter()
            .map(|s| SourceStats { path: s.path.clone(), ..SourceStats::default() })
            .collect();
        f
    }

    /// A fold that knows only `source`, as its source 0, for a worker reading a
    /// part of that one file (merge it with [`Fold::merge_as_source`]): a copy of
    /// every source for every part made reading 5,000 small files quadratic.
    pub fn empty_for_source(&self, source: SourceId) -> Self {
        let mut f = self.empty_without_sources();
        let path = self.ingest.sources.get(source).map(|s| s.path.clone()).unwrap_or_default();
        f.ingest.sources = vec![SourceStats { path, ..SourceStats::default() }];
        f
    }

    /// A fold that knows only `count` sources from `first` on, as its sources 0..
    /// (merge it with [`Fold::merge_as_sources`]): for a worker reading a run of
    /// small files whole.
    pub fn empty_for_sources(&self, first: SourceId, count: usize) -> Self {
        let mut f = self.empty_without_sources();
        f.ingest.sources = (first..first + count)
            .map(|s| SourceStats {
                path: self.ingest.sources.get(s).map(|s| s.path.clone()).unwrap_or_default(),
                ..SourceStats::default()
            })
            .collect();
        f
    }

    fn empty_without_sources(&self) -> Self {
        let mut f = Fold::new(self.cutoff, Arc::clone(&self.prices));
        f.horizon = self.horizon;
        f.metrics.set_limits(self.metrics.limits());
        f.traces = TraceStore::new(self.traces.cap());
        // Its lines may come after others' (a part of a file): a session can
        // go on from them.
        f.metrics.sessions.begin_mid_stream();
        f
    }

    /// Folds one complete line (without its "\n"). `line_no` is 1-based.
    pub fn line(&mut self, source: SourceId, line_no: u64, bytes: &[u8]) {
        let stats = &mut self.ingest.sources[source];
        stats.lines += 1;
        stats.bytes += bytes.len() as u64 + 1;
        if stats.format.is_none() && stats.lines <= FORMAT_LINES {
            stats.format = crate::ingest::adapted_format(bytes);
        }
        match stats.format {
            Some(format) => self.transcript_line(format, source, line_no, bytes),
            None => self.event_line(source, line_no, bytes),
        }
    }

    /// A line of a Claude Code transcript or Codex rollout: turned into event-log
    /// lines, then read as any other.
    fn transcript_line(&mut self, format: &str, source: SourceId, line_no: u64, bytes: &[u8]) {
        let mut events = Vec::new();
        let converted = if format == crate::ingest::codex::FORMAT {
            self.codex.get_or_insert_with(Default::default).convert(source, bytes, &mut events)
        } else {
            self.claude.get_or_insert_with(Default::default).convert(source, bytes, &mut events)
        };
        match converted {
            Ok(()) => {
                for event in events {
                    self.keyed(source, line_no, event);
                }
            }
            Err(reason) => self.ingest.malformed(source, line_no, reason),
        }
    }

    /// An adapter's event: counted unless its key was (or, in a first-read
    /// worker's fold, kept for the merge to decide).
    fn keyed(&mut self, source: SourceId, line_no: u64, event: crate::ingest::Keyed) {
        if let Some(deferred) = &mut self.deferred {
            deferred.push((source, line_no, event));
        } else if event.key.is_none_or(|key| self.counted.first_key(key)) {
            self.converted(source, line_no, &event.line);
        }
    }

    fn converted(&mut self, source: SourceId, line_no: u64, event: &crate::genai::Line) {
        match serde_json::to_vec(event) {
            Ok(text) => self.event_line(source, line_no, &text),
            Err(e) => self.ingest.malformed(source, line_no, format!("cannot convert the line: {e}")),
        }
    }

    /// Counts the transcript responses still being streamed, with the largest
    /// usage seen: for a one-shot report, whose logs will not grow.
    pub fn flush_transcripts(&mut self) {
        self.flush_transcripts_before(None);
    }

    /// While following: counts the responses and turns whose files have been quiet
    /// for [`QUIET`] before `now` (a session interrupted mid-response, a Codex turn
    /// without its end), so that they do not wait for a line that will not come.
    pub fn flush_quiet_transcripts(&mut self, now: Micros) {
        if self.claude.is_some() || self.codex.is_some() {
            self.flush_transcripts_before(Some(now.saturating_sub(QUIET)));
        }
    }

    fn flush_transcripts_before(&mut self, before: Option<Micros>) {
        let mut events = Vec::new();
        if let Some(state) = self.claude.as_mut() {
            state.flush(before, &mut events);
        }
        if let Some(state) = self.codex.as_mut() {
            state.flush(before, &mut events);
        }
        for (source, event) in events {
            let line = self.ingest.sources.get(source).map_or(0, |s| s.lines);
            self.keyed(source, line, event);
        }
    }

    /// A line of the event log: validated, then folded.
    fn event_line(&mut self, source: SourceId, line_no: u64, bytes: &[u8]) {
        parse_line_then(bytes, |outcome| {
            let stats = &mut self.ingest.sources[source];
            match outcome {
                LineOutcome::Blank => {}
                LineOutcome::Event(e) => {
                    if self.cutoff.is_some_and(|cutoff| e.ts > cutoff) {
                        self.ingest.after_now += 1;
                    } else if let Some(why) = Self::clock_gone_wrong(self.horizon, e.ts) {
                        self.ingest.skewed(source, line_no, why);
                    } else {
                        stats.events += 1;
                        self.metrics.apply(e, &self.prices);
                        self.traces.add(e, &self.prices);
                    }
                }
                LineOutcome::Unknown => stats.unknown += 1,
                LineOutcome::Unsupported => stats.unsupported += 1,
                LineOutcome::Malformed(reason) => self.ingest.malformed(source, line_no, reason.clone()),
            }
        })
    }

    /// Why an event's time cannot be right, if it cannot: before 2000 (a clock
    /// that was never set), or past the horizon (a clock running ahead). Skew of
    /// seconds between hosts is within the tolerance, and folded.
    fn clock_gone_wrong(horizon: Option<Micros>, ts: Micros) -> Option<String> {
        if ts < EARLIEST {
            return Some(format!("clock skew: stamped {}, before 2000", crate::time::format_rfc3339(ts)));
        }
        let horizon = horizon?;
        (ts > horizon).then(|| {
            format!(
                "clock skew: stamped {}, {} past the tolerance ahead of now",
                crate::time::format_rfc3339(ts),
                crate::time::human_duration(ts - horizon)
            )
        })
    }

    /// Counts a line too long to read as malformed, without its bytes.
    pub fn oversized_line(&mut self, source: SourceId, line_no: u64, len: u64) {
        let stats = &mut self.ingest.sources[source];
        stats.lines += 1;
        stats.bytes += len + 1;
        self.ingest.malformed(
            source,
            line_no,
            format!("line of {len} bytes is longer than the limit of {MAX_LINE_BYTES}"),
        );
    }

    /// Folds in the state of what came after ours in the same sources. Line numbers
    /// of the later fold count from its own start, so they are shifted by ours.
    pub fn merge(&mut self, later: Fold) {
        self.merge_mapped(later, |i| i);
    }

    /// As [`Fold::merge`], for a fold made by [`Fold::empty_for_source`]: its
    /// source 0 is our `source`.
    pub fn merge_as_source(&mut self, later: Fold, source: SourceId) {
        self.merge_mapped(later, |_| source);
    }

    /// As [`Fold::merge`], for a fold made by [`Fold::empty_for_sources`]: its
    /// source `i` is our `first + i`.
    pub fn merge_as_sources(&mut self, later: Fold, first: SourceId) {
        self.merge_mapped(later, |i| first + i);
    }

    fn merge_mapped(&mut self, later: Fold, mine: impl Fn(SourceId) -> SourceId) {
        let ingest = &mut self.ingest;
        for (list, later_list) in [
            (&mut ingest.recent_malformed, later.ingest.recent_malformed),
            (&mut ingest.recent_clock_skew, later.ingest.recent_clock_skew),
        ] {
            for mut m in later_list {
                m.source = mine(m.source);
                // Line numbers in `later` count from where it began reading.
                m.line += ingest.sources.get(m.source).map_or(0, |s| s.lines);
                push_recent(list, m);
            }
        }
        for (i, s) in later.ingest.sources.iter().enumerate() {
            match self.ingest.sources.get_mut(mine(i)) {
                Some(mine) => mine.merge(s),
                None => self.ingest.sources.push(s.clone()),
            }
        }
        self.ingest.after_now += later.ingest.after_now;
        self.ingest.clock_skew += later.ingest.clock_skew;
        self.metrics.merge(later.metrics);
        self.traces.merge(later.traces);
        self.counted.absorb(later.counted);
        for (source, line, event) in later.deferred.into_iter().flatten() {
            self.keyed(mine(source), line, event);
        }
        if let Some(state) = later.claude {
            self.claude.get_or_insert_with(Default::default).absorb(*state, &mine);
        }
        if let Some(state) = later.codex {
            self.codex.get_or_insert_with(Default::default).absorb(*state, &mine);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_kind_of_line() {
        let mut f = Fold::default();
        let s = f.ingest.add_source("a.jsonl");
        let lines: [&[u8]; 6] = [
            br#"{"ts":"2026-11-26T21:30:00Z","type":"tool_call","tool":"t","success":true,"duration_ms":3}"#,
            b"   ",
            b"garbage",
            br#"{"type":"future_thing"}"#,
            br#"{"v":2,"type":"tool_call"}"#,
            br#"{"type":"tool_call"}"#,
        ];
        for (i, l) in lines.iter().enumerate() {
            f.line(s, i as u64 + 1, l);
        }
        f.oversized_line(s, 7, 5_000_000);
        let st = &f.ingest.sources[s];
        assert_eq!((st.lines, st.events, st.malformed, st.unknown, st.unsupported), (7, 1, 3, 1, 1));
        let bad: Vec<_> = f.ingest.recent_malformed.iter().map(|m| m.line).collect();
        assert_eq!(bad, [3, 6, 7]);
        assert!(f.ingest.recent_malformed[2].reason.contains("longer than the limit"));
    }

    #[test]
    fn cutoff_leaves_later_events_out() {
        let mut f = Fold::new(Some(crate::time::parse_rfc3339("2026-11-26T21:30:00Z").unwrap()), Arc::default());
        let s = f.ingest.add_source("a");
        f.line(s, 1, br#"{"ts":"2026-11-26T21:30:00Z","type":"span","name":"n","status":"ok","duration_ms":3}"#);
        f.line(s, 2, br#"{"ts":"2026-11-26T21:30:00.001Z","type":"span","name":"n","status":"ok","duration_ms":3}"#);
        assert_eq!((f.metrics.events, f.ingest.after_now), (1, 1));
    }
}
