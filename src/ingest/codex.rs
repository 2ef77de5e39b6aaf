//! Codex CLI rollouts (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`) as events
//! (core: no I/O; the clock is the lines' own time stamps).
//!
//! What becomes what is in docs/sources.md. The rules that matter most:
//! - Model calls come from `token_count` events by the advance of the session's
//!   cumulative `total_token_usage`: Codex re-emits the event with an unchanged
//!   total (screen refreshes), which is not a call; a total that went back (a
//!   resume, a compaction) counts the event's `last_token_usage`.
//! - Sub-agent and forked files replay their parent's history: the burst of
//!   `token_count` events stamped in the file's first second is the baseline, not
//!   calls; and a (session, total) counted in one file is not counted again in
//!   another (bounded as for Claude Code).
//! - Input includes the cached tokens and output the reasoning, as OpenAI counts
//!   and as the event log wants. Codex writes no cost: calls are priced.
//! - Nothing of the content is kept: names, counts, times, exit codes.

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

use crate::fold::SourceId;
use crate::genai::Line;
use crate::ingest::{Counted, Keyed, Wanted, at, put_duration_since, str_of};
use crate::time::{Micros, parse_rfc3339};

pub const AGENT: &str = "codex";
pub const FORMAT: &str = "codex";
const MAX_OPEN_TOOLS: usize = 1 << 16;

/// What [`CodexState::convert`] reads of a line: every key that any of its
/// readers looks at. The rest (messages, reasoning, tool arguments, the
/// instructions of a session's meta) is skipped unread.
const READ: Wanted = {
    use Wanted::{Cut, Keys, Whole};
    const PAYLOAD: Wanted = Keys(&[
        ("type", Cut),
        ("id", Cut),
        ("model", Cut),
        ("source", Cut),
        ("forked_from_id", Cut),
        ("info", Cut),
        ("reason", Cut),
        ("message", Cut),
        ("call_id", Cut),
        ("name", Cut),
        ("exit_code", Cut),
        ("duration_ms", Cut),
        ("duration", Cut),
        ("cwd", Whole),
        ("git", Keys(&[("branch", Whole)])),
        // Read to the end: its exit code and time may follow the output itself.
        ("output", Whole),
    ]);
    Keys(&[("timestamp", Cut), ("type", Cut), ("payload", PAYLOAD)])
};

/// Whether a line is a Codex rollout line.
pub fn looks_like(bytes: &[u8]) -> bool {
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    if !has(b"\"payload\"") || !has(b"\"timestamp\"") {
        return false;
    }
    let Ok(line) = serde_json::from_slice::<Value>(bytes) else { return false };
    let kind = line.get("type").and_then(Value::as_str);
    line.get("payload").is_some_and(Value::is_object)
        && matches!(kind, Some("session_meta" | "turn_context" | "response_item" | "event_msg" | "compacted"))
}

/// Token counts as Codex writes them (input includes cached, output reasoning).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tokens {
    input: u64,
    cached: u64,
    output: u64,
    reasoning: u64,
}

impl Tokens {
    fn of(v: Option<&Value>) -> Option<Tokens> {
        let v = v.filter(|v| v.is_object())?;
        let n = |key: &str| v.get(key).and_then(Value::as_u64).unwrap_or(0);
        Some(Tokens {
            input: n("input_tokens"),
            cached: n("cached_input_tokens"),
            output: n("output_tokens"),
            reasoning: n("reasoning_output_tokens"),
        })
    }

    fn total(&self) -> u64 {
        self.input + self.output
    }

    fn minus(&self, o: &Tokens) -> Tokens {
        Tokens {
            input: self.input.saturating_sub(o.input),
            cached: self.cached.saturating_sub(o.cached),
            output: self.output.saturating_sub(o.output),
            reasoning: self.reasoning.saturating_sub(o.reasoning),
        }
    }
}

/// A tool call waiting for its output.
#[derive(Debug, Clone, PartialEq)]
struct Call {
    name: String,
    ts: Micros,
    /// From `exec_command_end`, when it came first: exit code and milliseconds.
    ended: Option<(i64, Option<f64>)>,
    trace: Option<(u128, u64)>,
}

/// What one rollout file carries from line to line.
#[derive(Debug, Clone, Default, PartialEq)]
struct Rollout {
    session: Option<String>,
    model: Option<String>,
    previous: Option<Tokens>,
    /// A sub-agent or fork: its leading replay burst is not counted.
    replays: bool,
    /// The second of the first `token_count`, while still in the replay burst.
    replay_second: Option<String>,
    replay_done: bool,
    /// The turn under way: when it started, its last line, its trace.
    turn: Option<(Micros, Micros, (u128, u64))>,
    /// When the last input (prompt, tool output) came.
    last_input: Option<Micros>,
    /// The session's working folder and git branch, from its meta.
    project: Option<String>,
    git_branch: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CodexState {
    files: HashMap<SourceId, Rollout>,
    calls: HashMap<String, Call>,
    calls_order: VecDeque<String>,
}

fn base(kind: &str, ts: Micros, trace: Option<(u128, u64)>, span: Option<u64>, session: &Option<String>) -> Line {
    let mut line = crate::ingest::event_line(kind, ts, trace, span);
    if let Some(session) = session {
        line.insert("session", Value::from(crate::genai::cut(session)));
    }
    line
}

/// Lines of a tool's output text read for its exit code and time, at most.
const HEADER_LINES: usize = 4;

/// Exit code and seconds from a tool's output text, in the shapes Codex writes:
/// `{"output":…,"metadata":{"exit_code":0,"duration_seconds":1.2}}`, or
/// `Exit code: 0\nWall time: 5.1 seconds`, or `Process exited with code N`.
fn outcome(output: &str) -> (Option<i64>, Option<f64>) {
    /// The JSON shape, its output skipped (not copied into a value).
    #[derive(serde::Deserialize)]
    struct Wrapped {
        metadata: Option<Metadata>,
    }
    #[derive(serde::Deserialize)]
    struct Metadata {
        exit_code: Option<i64>,
        duration_seconds: Option<f64>,
    }
    if let Ok(Wrapped { metadata: Some(meta) }) = serde_json::from_str::<Wrapped>(output) {
        return (meta.exit_code, meta.duration_seconds);
    }
    // Only the header's lines: the output after it is the tool's own text.
    let header = || output.lines().take_while(|l| l.trim() != "Output:").take(HEADER_LINES);
    let after = |prefix: &str| {
        header().find_map(|l| l.trim().strip_prefix(prefix)).map(|rest| rest.trim().trim_end_matches(" seconds"))
    };
    let code = after("Exit code:").or_else(|| after("Process exited with code")).and_then(|c| c.parse().ok());
    let seconds = after("Wall time:").and_then(|s| s.parse().ok());
    (code, seconds)
}

impl CodexState {
    /// The events of one rollout line of `source`.
    pub fn convert(&mut self, source: SourceId, bytes: &[u8], out: &mut Vec<Keyed>) -> Result<(), String> {
        let line = crate::ingest::parse_pruned(bytes, READ).map_err(|e| format!("not a JSON rollout line: {e}"))?;
        let Some(stamp) = str_of(&line, "timestamp") else { return Ok(()) };
        let Ok(ts) = parse_rfc3339(stamp) else { return Ok(()) };
        // Borrowed: a tool's output in it is whole.
        let null = Value::Null;
        let payload = line.get("payload").unwrap_or(&null);
        let file = self.files.entry(source).or_default();
        if let Some((_, last, _)) = &mut file.turn {
            *last = ts;
        }
        match (str_of(&line, "type"), str_of(payload, "type")) {
            (Some("session_meta"), _) => Self::session_meta(file, payload),
            (Some("turn_context"), _) => {
                if let Some(model) = str_of(payload, "model") {
                    file.model = Some(model.to_owned());
                }
            }
            (Some("event_msg"), Some("token_count")) => self.token_count(source, payload, stamp, ts, out),
            (Some("event_msg"), Some("user_message")) => self.turn_start(source, ts, out),
            (Some("event_msg"), Some("task_complete")) => {
                let ms = payload.get("duration_ms").and_then(Value::as_f64);
                self.turn_end(source, ts, ms, out);
            }
            (Some("event_msg"), Some("error" | "turn_aborted")) => self.error(source, payload, ts, out),
            (Some("event_msg"), Some("exec_command_end")) => self.exec_end(payload),
            (Some("response_item"), Some("function_call" | "custom_tool_call" | "local_shell_call")) => {
                self.call(source, payload, ts);
            }
            (Some("response_item"), Some("function_call_output" | "custom_tool_call_output")) => {
                self.output(source, payload, ts, out);
            }
            _ => {}
        }
        Ok(())
    }

    fn session_meta(file: &mut Rollout, payload: &Value) {
        // A sub-agent's file starts with its own meta, then its parent's: the
        // first is the thread, its parent the session it belongs to.
        if file.session.is_some() {
            return;
        }
        let parent = at(payload, &["source", "subagent", "thread_spawn", "parent_thread_id"]).and_then(Value::as_str);
        let forked = str_of(payload, "forked_from_id");
        file.replays = parent.is_some() || forked.is_some();
        file.session = parent.or(str_of(payload, "id")).map(str::to_owned);
        file.project = str_of(payload, "cwd").map(str::to_owned);
        file.git_branch = at(payload, &["git", "branch"]).and_then(Value::as_str).map(str::to_owned);
    }

    fn token_count(&mut self, source: SourceId, payload: &Value, stamp: &str, ts: Micros, out: &mut Vec<Keyed>) {
        let Some(info) = payload.get("info").filter(|i| i.is_object()) else { return };
        let (total, last) = (Tokens::of(info.get("total_token_usage")), Tokens::of(info.get("last_token_usage")));
        let file = self.files.entry(source).or_default();
        // The replay burst of a sub-agent or fork: the totals are the baseline.
        if file.replays && !file.replay_done {
            let second = stamp.get(..19).unwrap_or(stamp).to_owned();
            match &file.replay_second {
                None => {
                    file.replay_second = Some(second);
                    file.previous = total.or(file.previous);
                    return;
                }
                Some(first) if *first == second => {
                    file.previous = total.or(file.previous);
                    return;
                }
                Some(_) => file.replay_done = true,
            }
        }
        let delta = match (total, file.previous) {
            (Some(t), Some(p)) if t == p => return, // a re-emit: no new call
            (Some(t), Some(p)) if t.total() > p.total() => {
                let advance = t.minus(&p);
                last.filter(|l| l.total() == advance.total()).unwrap_or(advance)
            }
            (Some(t), _) => last.unwrap_or(t),
            (None, _) => match last {
                Some(l) => l,
                None => return,
            },
        };
        file.previous = total.or(file.previous);
        if delta.total() == 0 {
            return;
        }
        // A (session, total) in another file (a fork, an archived copy) is the same call.
        let session = file.session.clone();
        let key = total.map(|t| {
            [
                "call".to_owned(),
                session.clone().unwrap_or_default(),
                t.input.to_string(),
                t.output.to_string(),
                t.cached.to_string(),
            ]
        });
        let file = &self.files[&source];
        let trace = file.turn.map(|(_, _, trace)| trace);
        let span = Counted::key(&[session.as_deref().unwrap_or(""), stamp, "call"]);
        let mut call = base("model_call", ts, trace, Some(span), &session);
        call.insert("model", Value::from(crate::genai::cut(file.model.as_deref().unwrap_or("(unknown)"))));
        call.insert("provider", Value::from("openai"));
        call.insert("agent", Value::from(AGENT));
        call.insert("success", Value::Bool(true));
        put_duration_since(&mut call, file.last_input, ts);
        crate::genai::Usage {
            input: Some(delta.input),
            output: Some(delta.output),
            cache_read: delta.cached.min(delta.input),
            cache_write: 0,
            cache_write_1h: 0,
            reasoning: delta.reasoning.min(delta.output),
            // Rollouts record `web_search_call` items, but not which of them
            // (searches, page opens) are billed: not counted.
            web_searches: 0,
        }
        .put(&mut call);
        let key: Option<Vec<&str>> = key.as_ref().map(|k| k.iter().map(String::as_str).collect());
        out.push(Keyed::new(key.as_deref(), call));
    }

    fn turn_start(&mut self, source: SourceId, ts: Micros, out: &mut Vec<Keyed>) {
        self.turn_end(source, ts, None, out);
        let file = self.files.entry(source).or_default();
        let session = file.session.clone().unwrap_or_default();
        let stamp = ts.to_string();
        file.turn = Some((ts, ts, crate::ingest::turn_ids(&[&session, &stamp])));
        file.last_input = Some(ts);
    }

    /// Ends the turn under way as an agent request (Codex's own duration when
    /// it gives one, else from the prompt to the turn's last line).
    fn turn_end(&mut self, source: SourceId, ts: Micros, ms: Option<f64>, out: &mut Vec<Keyed>) {
        let Some(file) = self.files.get_mut(&source) else { return };
        let Some((start, last, trace)) = file.turn.take() else { return };
        let stamp = start.to_string();
        let end = if ms.is_some() { ts } else { last };
        let mut request = base("agent_request", end, Some(trace), Some(trace.1), &file.session);
        request.insert("agent", Value::from(AGENT));
        request.insert("success", Value::Bool(true));
        let ms = ms.unwrap_or((last - start).max(0) as f64 / 1000.0);
        request.insert("duration_ms", Value::from(ms.max(0.0)));
        crate::ingest::put_project(&mut request, file.project.as_deref(), file.git_branch.as_deref());
        out.push(Keyed::new(Some(&["turn", file.session.as_deref().unwrap_or(""), &stamp]), request));
    }

    fn error(&mut self, source: SourceId, payload: &Value, ts: Micros, out: &mut Vec<Keyed>) {
        let file = self.files.entry(source).or_default();
        let trace = file.turn.map(|(_, _, trace)| trace);
        let (error_type, message) = match str_of(payload, "type") {
            Some("turn_aborted") => {
                let reason = str_of(payload, "reason").unwrap_or("aborted");
                (format!("turn_aborted:{}", crate::genai::cut(reason)), format!("turn aborted ({reason})"))
            }
            _ => ("error".to_owned(), crate::genai::cut(str_of(payload, "message").unwrap_or("error")).to_owned()),
        };
        let stamp = ts.to_string();
        let key = ["error".to_owned(), file.session.clone().unwrap_or_default(), stamp, error_type.clone()];
        let mut error = base("error", ts, trace, None, &file.session);
        error.insert("component", Value::from(AGENT));
        error.insert("error_type", Value::from(error_type));
        error.insert("message", Value::from(message));
        error.insert("agent", Value::from(AGENT));
        out.push(Keyed::new(Some(&key.each_ref().map(String::as_str)), error));
    }

    fn call(&mut self, source: SourceId, payload: &Value, ts: Micros) {
        let Some(id) = str_of(payload, "call_id") else { return };
        let name = str_of(payload, "name").unwrap_or(str_of(payload, "type").unwrap_or("(unknown)")).to_owned();
        let trace = self.files.get(&source).and_then(|f| f.turn.map(|(_, _, t)| t));
        if self.calls.insert(id.to_owned(), Call { name, ts, ended: None, trace }).is_none() {
            self.calls_order.push_back(id.to_owned());
            while self.calls_order.len() > MAX_OPEN_TOOLS {
                if let Some(old) = self.calls_order.pop_front() {
                    self.calls.remove(&old);
                }
            }
        }
    }

    /// `exec_command_end`: the exit code and duration of a shell call, used when
    /// its output line comes (or, if that came first, nothing more).
    fn exec_end(&mut self, payload: &Value) {
        let Some(call) = str_of(payload, "call_id").and_then(|id| self.calls.get_mut(id)) else { return };
        let code = payload.get("exit_code").and_then(Value::as_i64).unwrap_or(0);
        let ms = payload.get("duration_ms").and_then(Value::as_f64).or_else(|| {
            let d = payload.get("duration")?;
            Some(d.get("secs")?.as_f64()? * 1000.0 + d.get("nanos").and_then(Value::as_f64).unwrap_or(0.0) / 1e6)
        });
        call.ended = Some((code, ms));
    }

    fn output(&mut self, source: SourceId, payload: &Value, ts: Micros, out: &mut Vec<Keyed>) {
        let file = self.files.entry(source).or_default();
        file.last_input = Some(ts);
        let session = file.session.clone();
        let Some((id, call)) = str_of(payload, "call_id").and_then(|id| self.calls.remove(id).map(|c| (id, c))) else {
            return;
        };
        let text = match payload.get("output") {
            Some(Value::String(s)) => std::borrow::Cow::Borrowed(s.as_str()),
            Some(other) => std::borrow::Cow::Owned(other.to_string()),
            None => std::borrow::Cow::Borrowed(""),
        };
        let (code, seconds) = outcome(&text);
        let (code, ms) = match call.ended {
            Some((code, ms)) => (Some(code), ms.or(seconds.map(|s| s * 1000.0))),
            None => (code, seconds.map(|s| s * 1000.0)),
        };
        let ms = ms.unwrap_or((ts - call.ts).max(0) as f64 / 1000.0);
        let mut tool = base("tool_call", ts, call.trace, Some(Counted::key(&[id])), &session);
        tool.insert("tool", Value::from(crate::genai::cut(&call.name)));
        tool.insert("agent", Value::from(AGENT));
        let failed = code.is_some_and(|c| c != 0);
        tool.insert("success", Value::Bool(!failed));
        tool.insert("duration_ms", Value::from(ms.max(0.0)));
        if let (true, Some(code)) = (failed, code) {
            tool.insert("error_type", Value::from(format!("exit_{code}")));
        }
        // An archived or forked copy of this call is the same call.
        out.push(Keyed::new(Some(&["tool", id]), tool));
    }

    /// Ends every turn still under way (a one-shot report), or with `before` those
    /// whose last line is older (a follower's sessions that went quiet).
    pub fn flush(&mut self, before: Option<Micros>, out: &mut Vec<(SourceId, Keyed)>) {
        let mut sources: Vec<SourceId> = self
            .files
            .iter()
            .filter(|(_, f)| f.turn.is_some_and(|(_, last, _)| before.is_none_or(|t| last < t)))
            .map(|(s, _)| *s)
            .collect();
        sources.sort_unstable();
        for source in sources {
            let mut lines = Vec::new();
            let last = self.files.get(&source).and_then(|f| f.turn.map(|(_, last, _)| last)).unwrap_or(0);
            self.turn_end(source, last, None, &mut lines);
            out.extend(lines.into_iter().map(|line| (source, line)));
        }
    }

    /// Takes in another reader's state, whose source `i` is our `mine(i)`.
    pub fn absorb(&mut self, other: CodexState, mine: &impl Fn(SourceId) -> SourceId) {
        self.files.extend(other.files.into_iter().map(|(s, f)| (mine(s), f)));
        for id in other.calls_order {
            if let Some(call) = other.calls.get(&id)
                && self.calls.insert(id.clone(), call.clone()).is_none()
            {
                self.calls_order.push_back(id);
            }
        }
    }
}

#[cfg(test)]
mod tests;
