//! Claude Code session transcripts (`~/.claude/projects/**/*.jsonl`) as events
//! (core: no I/O; the clock is the lines' own time stamps).
//!
//! Each transcript line becomes zero or more event-log lines, which the fold then
//! reads like any other (one path for validation and folding). What becomes what
//! is in docs/sources.md; the rules that matter most:
//! - One API response is written as several lines (one per content block), with
//!   the same `message.id`; early lines carry a partial `output_tokens`. The model
//!   call is emitted once, at the line with `stop_reason` (or, if the response never
//!   got one, when the next line of the file shows it is over, or when
//!   [`ClaudeState::flush`] is asked to), with the largest usage seen.
//! - A `message.id` already counted is not counted again, across all files: resumed
//!   and forked sessions copy history, and sub-agent files replay their parent's.
//!   The same holds for tool calls (by id) and turns. The set of what was counted is
//!   bounded ([`crate::ingest::Counted`]).
//! - Anthropic counts the cache apart from the input; the event log's input
//!   includes it, so the parts are added up.
//! - Nothing of the content (prompts, replies, tool inputs and outputs) is kept:
//!   names, counts, times, tokens and error types only.

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

use crate::fold::SourceId;
use crate::genai::Line;
use crate::ingest::{Counted, Keyed, Wanted, at, put_duration_since, str_of};
use crate::time::{Micros, parse_rfc3339};

/// The agent name transcripts are counted under (sub-agents get a suffix).
pub const AGENT: &str = "claude-code";
/// The `format` a Claude Code source reports.
pub const FORMAT: &str = "claude-code";
/// Tool calls waiting for their result.
const MAX_OPEN_TOOLS: usize = 1 << 16;

/// What [`ClaudeState::convert`] reads of a line: every key that any of its
/// readers looks at. The rest (the message's texts, tool inputs and results,
/// snapshots) is skipped unread.
const READ: Wanted = {
    use Wanted::{Cut, Keys, Whole};
    const BLOCK: Wanted =
        Keys(&[("type", Cut), ("id", Cut), ("name", Cut), ("tool_use_id", Cut), ("is_error", Cut), ("text", Cut)]);
    const MESSAGE: Wanted =
        Keys(&[("id", Cut), ("model", Cut), ("stop_reason", Cut), ("usage", Cut), ("content", BLOCK)]);
    Keys(&[
        ("type", Cut),
        ("subtype", Cut),
        ("timestamp", Cut),
        ("message", MESSAGE),
        ("sessionId", Cut),
        ("uuid", Cut),
        ("isSidechain", Cut),
        ("agentId", Cut),
        ("attributionAgent", Cut),
        ("isMeta", Cut),
        ("isApiErrorMessage", Cut),
        ("apiErrorStatus", Cut),
        ("requestId", Cut),
        ("error", Cut),
        ("costUSD", Cut),
        ("durationMs", Cut),
        ("toolUseResult", Keys(&[("totalDurationMs", Cut)])),
        // Read to the end: the last part of the folder names the project.
        ("cwd", Whole),
        ("gitBranch", Whole),
    ])
};

/// Line types of a transcript (any of them on a first line tells the format).
const LINE_TYPES: &[&str] = &[
    "user",
    "assistant",
    "system",
    "summary",
    "attachment",
    "queue-operation",
    "file-history-snapshot",
    "progress",
    "agent-setting",
    "pr-link",
    "ai-title",
    "custom-title",
    "permission-mode",
];

/// Whether a line is a Claude Code transcript line (read on a source's first line).
pub fn looks_like(bytes: &[u8]) -> bool {
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    if !has(b"\"sessionId\"") && !has(b"\"leafUuid\"") {
        return false;
    }
    serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|v| v.get("type").and_then(Value::as_str).map(|t| LINE_TYPES.contains(&t)))
        .unwrap_or(false)
}

/// A response being streamed, until its last line.
#[derive(Debug, Clone, PartialEq)]
struct Response {
    id: String,
    ts: Micros,
    model: String,
    agent: String,
    session: Option<String>,
    usage: Usage,
    /// Served in fast mode (`usage.speed`, on the response's last line): priced
    /// as `<model>-fast`.
    fast: bool,
    cost: Option<f64>,
    /// When the prompt or tool result it answers was written.
    asked_at: Option<Micros>,
    trace: Option<(u128, u64)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Usage {
    input: u64,
    output: u64,
    cache_read: u64,
    cache_write: u64,
    cache_write_1h: u64,
    reasoning: u64,
    /// `server_tool_use.web_search_requests`: on a response's last line only.
    web_searches: u64,
}

impl Usage {
    fn total(&self) -> u64 {
        self.input + self.output + self.cache_read + self.cache_write
    }

    fn of(usage: &Value) -> Usage {
        let n = |v: Option<&Value>| v.and_then(Value::as_u64).unwrap_or(0);
        let creation = usage.get("cache_creation");
        let (five, hour) = (
            n(creation.and_then(|c| c.get("ephemeral_5m_input_tokens"))),
            n(creation.and_then(|c| c.get("ephemeral_1h_input_tokens"))),
        );
        let cache_write = if creation.is_some() { five + hour } else { n(usage.get("cache_creation_input_tokens")) };
        let output = n(usage.get("output_tokens"));
        Usage {
            input: n(usage.get("input_tokens")),
            output,
            cache_read: n(usage.get("cache_read_input_tokens")),
            cache_write,
            cache_write_1h: hour.min(cache_write),
            reasoning: n(usage.get("output_tokens_details").and_then(|d| d.get("thinking_tokens"))).min(output),
            web_searches: n(usage.get("server_tool_use").and_then(|s| s.get("web_search_requests"))),
        }
    }
}

/// A tool call waiting for its result.
#[derive(Debug, Clone, PartialEq)]
struct ToolUse {
    name: String,
    ts: Micros,
    agent: String,
    session: Option<String>,
    trace: Option<(u128, u64)>,
}

/// The turn under way in a file: its trace, and when the last input came.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Turn {
    trace: Option<(u128, u64)>,
    last_input: Option<Micros>,
}

/// What is carried from line to line and file to file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClaudeState {
    streaming: HashMap<SourceId, Response>,
    tools: HashMap<String, ToolUse>,
    tools_order: VecDeque<String>,
    turns: HashMap<SourceId, Turn>,
    /// The model of the last call in each file (an API error names none).
    last_model: HashMap<SourceId, String>,
}

fn base(kind: &str, ts: Micros, trace: Option<(u128, u64)>, span: Option<u64>) -> Line {
    crate::ingest::event_line(kind, ts, trace, span)
}

fn put_session(line: &mut Line, session: &Option<String>) {
    if let Some(session) = session {
        line.insert("session", Value::from(crate::genai::cut(session)));
    }
}

impl ClaudeState {
    /// The events of one transcript line of `source`.
    pub fn convert(&mut self, source: SourceId, bytes: &[u8], out: &mut Vec<Keyed>) -> Result<(), String> {
        let line = crate::ingest::parse_pruned(bytes, READ).map_err(|e| format!("not a JSON transcript line: {e}"))?;
        let kind = str_of(&line, "type").unwrap_or("");
        let ts = str_of(&line, "timestamp").and_then(|t| parse_rfc3339(t).ok());
        let is_final = at(&line, &["message", "stop_reason"]).is_some_and(|r| !r.is_null());
        let id = at(&line, &["message", "id"]).and_then(Value::as_str).map(str::to_owned);
        // A line that is not the next block of the response being streamed ends it.
        if self.streaming.get(&source).is_some_and(|r| id.as_deref() != Some(r.id.as_str())) {
            self.emit_streaming(source, out);
        }
        let Some(ts) = ts else { return Ok(()) };
        match kind {
            "assistant" => self.assistant(source, &line, ts, id, is_final, out),
            "user" => self.user(source, &line, ts, out),
            "system" if str_of(&line, "subtype") == Some("turn_duration") => self.turn_end(source, &line, ts, out),
            _ => {}
        }
        Ok(())
    }

    fn agent(line: &Value) -> String {
        let sidechain =
            line.get("isSidechain").and_then(Value::as_bool).unwrap_or(false) || line.get("agentId").is_some();
        match (sidechain, str_of(line, "attributionAgent")) {
            (false, _) => AGENT.to_owned(),
            (true, Some(kind)) => format!("{AGENT}/{}", crate::genai::cut(kind)),
            (true, None) => format!("{AGENT}/subagent"),
        }
    }

    fn session(line: &Value) -> Option<String> {
        str_of(line, "sessionId").map(str::to_owned)
    }

    fn assistant(
        &mut self,
        source: SourceId,
        line: &Value,
        ts: Micros,
        id: Option<String>,
        is_final: bool,
        out: &mut Vec<Keyed>,
    ) {
        let agent = Self::agent(line);
        let session = Self::session(line);
        let trace = self.turns.get(&source).and_then(|t| t.trace);
        // Tool calls wait for their results, whichever line of the response holds them.
        if let Some(blocks) = at(line, &["message", "content"]).and_then(Value::as_array) {
            for block in blocks.iter().filter(|b| str_of(b, "type") == Some("tool_use")) {
                if let (Some(tool_id), Some(name)) = (str_of(block, "id"), str_of(block, "name")) {
                    let tool =
                        ToolUse { name: name.to_owned(), ts, agent: agent.clone(), session: session.clone(), trace };
                    self.open_tool(tool_id, tool);
                }
            }
        }
        if line.get("isApiErrorMessage").and_then(Value::as_bool) == Some(true) {
            self.api_error(source, line, ts, agent, session, out);
            return;
        }
        let model = at(line, &["message", "model"]).and_then(Value::as_str).unwrap_or("");
        let Some(usage) = at(line, &["message", "usage"]).filter(|_| !model.is_empty() && model != "<synthetic>")
        else {
            return;
        };
        let response = Response {
            id: id.clone().unwrap_or_default(),
            ts,
            model: model.to_owned(),
            agent,
            session,
            usage: Usage::of(usage),
            fast: usage.get("speed").and_then(Value::as_str) == Some("fast"),
            cost: line.get("costUSD").and_then(Value::as_f64),
            asked_at: self.turns.get(&source).and_then(|t| t.last_input),
            trace,
        };
        self.last_model.insert(source, model.to_owned());
        if id.is_none() {
            // Without a message id nothing can be matched: each final line counts.
            if is_final {
                out.push(Keyed::new(None, model_call(&response)));
            }
            return;
        };
        let best = match self.streaming.remove(&source) {
            Some(earlier) => {
                // Only the last line says the speed and counts the web searches:
                // whichever line's usage is kept, they hold.
                let fast = earlier.fast || response.fast;
                let searches = earlier.usage.web_searches.max(response.usage.web_searches);
                let mut best =
                    if earlier.usage.total() > response.usage.total() { Response { ts, ..earlier } } else { response };
                best.fast = fast;
                best.usage.web_searches = searches;
                best
            }
            None => response,
        };
        self.streaming.insert(source, best);
        if is_final {
            self.emit_streaming(source, out);
        }
    }

    /// The response under way in `source`, keyed by its id.
    fn emit_streaming(&mut self, source: SourceId, out: &mut Vec<Keyed>) {
        let Some(response) = self.streaming.remove(&source) else { return };
        let key = (!response.id.is_empty()).then_some(["response", response.id.as_str()]);
        out.push(Keyed::new(key.as_ref().map(|k| &k[..]), model_call(&response)));
    }

    fn open_tool(&mut self, id: &str, tool: ToolUse) {
        if self.tools.insert(id.to_owned(), tool).is_none() {
            self.tools_order.push_back(id.to_owned());
            while self.tools_order.len() > MAX_OPEN_TOOLS {
                if let Some(old) = self.tools_order.pop_front() {
                    self.tools.remove(&old);
                }
            }
        }
    }

    fn api_error(
        &mut self,
        source: SourceId,
        line: &Value,
        ts: Micros,
        agent: String,
        session: Option<String>,
        out: &mut Vec<Keyed>,
    ) {
        let stamp = ts.to_string();
        let request = str_of(line, "requestId").unwrap_or("");
        let status = line.get("apiErrorStatus").and_then(Value::as_u64);
        let error_type = str_of(line, "error")
            .map(str::to_owned)
            .or(status.map(|s| format!("http_{s}")))
            .unwrap_or_else(|| "api_error".into());
        let trace = self.turns.get(&source).and_then(|t| t.trace);
        let model = self.last_model.get(&source).cloned().unwrap_or_else(|| "(unknown)".into());
        let mut call = base("model_call", ts, trace, None);
        call.insert("model", Value::from(model));
        call.insert("provider", Value::from("anthropic"));
        call.insert("agent", Value::from(agent.as_str()));
        call.insert("success", Value::Bool(false));
        // A refused request is not billed: no tokens (priced at nothing, not "unpriced").
        call.insert("input_tokens", Value::from(0));
        call.insert("output_tokens", Value::from(0));
        put_duration_since(&mut call, self.turns.get(&source).and_then(|t| t.last_input), ts);
        put_session(&mut call, &session);
        out.push(Keyed::new(Some(&["api_error", &stamp, request]), call));
        let mut error = base("error", ts, trace, None);
        error.insert("component", Value::from(agent.as_str()));
        error.insert("error_type", Value::from(crate::genai::cut(&error_type)));
        let message = match status {
            Some(status) => format!("API error {status} ({error_type})"),
            None => format!("API error ({error_type})"),
        };
        error.insert("message", Value::from(message));
        error.insert("agent", Value::from(agent.as_str()));
        put_session(&mut error, &session);
        out.push(Keyed::new(Some(&["api_error_event", &stamp, request]), error));
    }

    fn user(&mut self, source: SourceId, line: &Value, ts: Micros, out: &mut Vec<Keyed>) {
        let content = at(line, &["message", "content"]);
        let results: Vec<&Value> = content
            .and_then(Value::as_array)
            .map(|blocks| blocks.iter().filter(|b| str_of(b, "type") == Some("tool_result")).collect())
            .unwrap_or_default();
        let turn = self.turns.entry(source).or_default();
        turn.last_input = Some(ts);
        if results.is_empty() {
            if is_prompt(line, content) {
                let uuid = str_of(line, "uuid").unwrap_or("");
                let session = str_of(line, "sessionId").unwrap_or("");
                turn.trace = Some(crate::ingest::turn_ids(&[session, uuid]));
            }
            return;
        }
        for result in results {
            let Some(tool) = str_of(result, "tool_use_id").and_then(|id| self.tools.remove(id).map(|t| (id, t))) else {
                continue;
            };
            let (id, tool) = tool;
            let failed = result.get("is_error").and_then(Value::as_bool).unwrap_or(false);
            // A sub-agent's own figure is better than the gap between the lines.
            let ms = at(line, &["toolUseResult", "totalDurationMs"])
                .and_then(Value::as_f64)
                .unwrap_or((ts - tool.ts).max(0) as f64 / 1000.0);
            let mut call = base("tool_call", ts, tool.trace, Some(Counted::key(&[id])));
            call.insert("tool", Value::from(crate::genai::cut(&tool.name)));
            call.insert("agent", Value::from(tool.agent.as_str()));
            call.insert("success", Value::Bool(!failed));
            call.insert("duration_ms", Value::from(ms.max(0.0)));
            if failed {
                call.insert("error_type", Value::from("tool_error"));
            }
            put_session(&mut call, &tool.session);
            // A copy of this result in a forked session's file is the same call.
            out.push(Keyed::new(Some(&["tool", id]), call));
        }
    }

    fn turn_end(&mut self, source: SourceId, line: &Value, ts: Micros, out: &mut Vec<Keyed>) {
        let Some(ms) = line.get("durationMs").and_then(Value::as_f64).filter(|ms| *ms >= 0.0) else { return };
        let (stamp, session) = (ts.to_string(), str_of(line, "sessionId").unwrap_or(""));
        let key = ["turn", &stamp, &ms.to_string(), session].map(str::to_owned);
        let trace = self.turns.get(&source).and_then(|t| t.trace);
        let mut request = base("agent_request", ts, trace, trace.map(|(_, span)| span));
        request.insert("agent", Value::from(Self::agent(line)));
        request.insert("success", Value::Bool(true));
        request.insert("duration_ms", Value::from(ms));
        put_session(&mut request, &Self::session(line));
        crate::ingest::put_project(&mut request, str_of(line, "cwd"), str_of(line, "gitBranch"));
        let key: Vec<&str> = key.iter().map(String::as_str).collect();
        out.push(Keyed::new(Some(&key), request));
    }

    /// Counts every response still being streamed (a one-shot report, or a file
    /// that ended mid-response): with the largest usage seen.
    /// `before`: only those whose last line is older (a follower's files that went
    /// quiet mid-response); `None`: all.
    pub fn flush(&mut self, before: Option<Micros>, out: &mut Vec<(SourceId, Keyed)>) {
        let mut sources: Vec<SourceId> =
            self.streaming.iter().filter(|(_, r)| before.is_none_or(|t| r.ts < t)).map(|(s, _)| *s).collect();
        sources.sort_unstable();
        for source in sources {
            let mut lines = Vec::new();
            self.emit_streaming(source, &mut lines);
            out.extend(lines.into_iter().map(|line| (source, line)));
        }
    }

    /// Takes in another reader's state, whose source `i` is our `mine(i)` (the
    /// first read's, merged into the fold that goes on following; what was counted
    /// is the fold's to remember).
    pub fn absorb(&mut self, other: ClaudeState, mine: &impl Fn(SourceId) -> SourceId) {
        self.streaming.extend(other.streaming.into_iter().map(|(s, r)| (mine(s), r)));
        for id in other.tools_order {
            if let Some(tool) = other.tools.get(&id) {
                self.open_tool(&id, tool.clone());
            }
        }
        self.turns.extend(other.turns.into_iter().map(|(s, t)| (mine(s), t)));
        self.last_model.extend(other.last_model.into_iter().map(|(s, m)| (mine(s), m)));
    }
}

/// Whether a user line is a typed prompt (the start of a turn), not a command's
/// echo, a meta line or an interruption note.
fn is_prompt(line: &Value, content: Option<&Value>) -> bool {
    if line.get("isMeta").and_then(Value::as_bool) == Some(true) {
        return false;
    }
    let text = match content {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Array(blocks)) => blocks.iter().find_map(|b| str_of(b, "text")).unwrap_or(""),
        _ => return false,
    };
    !(text.starts_with("<command-") || text.starts_with("<local-command") || text.starts_with("[Request interrupted"))
}

fn model_call(r: &Response) -> Line {
    let mut call = base("model_call", r.ts, r.trace, (!r.id.is_empty()).then(|| Counted::key(&[&r.id])));
    let model = if r.fast { crate::genai::fast_variant(&r.model) } else { r.model.clone() };
    call.insert("model", Value::from(crate::genai::cut(&model)));
    call.insert("provider", Value::from("anthropic"));
    call.insert("agent", Value::from(r.agent.as_str()));
    call.insert("success", Value::Bool(true));
    put_duration_since(&mut call, r.asked_at, r.ts);
    let u = r.usage;
    // The event log's input includes the cache reads and writes.
    crate::genai::Usage {
        input: Some(u.input + u.cache_read + u.cache_write),
        output: Some(u.output),
        cache_read: u.cache_read,
        cache_write: u.cache_write,
        cache_write_1h: u.cache_write_1h,
        reasoning: u.reasoning,
        web_searches: u.web_searches,
    }
    .put(&mut call);
    if let Some(cost) = r.cost.filter(|c| c.is_finite() && *c >= 0.0) {
        call.insert("cost_usd", Value::from(cost));
    }
    put_session(&mut call, &r.session);
    call
}

#[cfg(test)]
mod tests;
