//! Synthetic Claude Code and Codex session folders (`ajentik generate --format`):
//! realistic shapes with no real user data, for benchmarks and trying ajentik out.
//! Claude Code: responses streamed as several lines, tool uses and results (some
//! failing), API errors, turn ends, sub-agent files, forked sessions that copy
//! history. Codex: day folders, cumulative token counts with re-emits, tool calls
//! with exit codes, turn ends.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::time::{Micros, format_rfc3339};

/// A small deterministic generator (xorshift), so a seed writes the same folder.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn id(&mut self) -> String {
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            self.next() as u32,
            self.below(1 << 16),
            self.below(1 << 12),
            self.below(1 << 12),
            self.next() & 0xffff_ffff_ffff
        )
    }
}

const PROJECTS: &[&str] = &["acme-api", "billing", "web-console", "infra", "docs", "mobile-app", "search"];
const CLAUDE_MODELS: &[&str] = &["claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101", "claude-haiku-4-5-20251001"];
const TOOLS: &[&str] = &["Bash", "Read", "Edit", "Grep", "Write", "mcp__github__create_issue"];
/// Filler standing for the (private) text of prompts, replies and tool output:
/// its size, and the escapes its JSON needs (line breaks, tabs, quotes and
/// backslashes, as code and command output have), are what matter to a reader.
const FILLER: &str = "lorem ipsum dolor sit amet, \"consectetur\" adipiscing\n\telit sed do eiusmod\\tempor ";

fn filler(rng: &mut Rng, max: u64) -> String {
    FILLER.repeat(1 + rng.below(max) as usize)
}

/// What a generator wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub files: u64,
    pub lines: u64,
    pub bytes: u64,
}

fn write_lines(path: &Path, lines: &[serde_json::Value], written: &mut Written) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for line in lines {
        let text = line.to_string();
        writeln!(out, "{text}")?;
        written.lines += 1;
        written.bytes += text.len() as u64 + 1;
    }
    written.files += 1;
    out.flush()
}

/// `sessions` Claude Code sessions under `dir` (a `projects/` folder), from `start`.
pub fn claude_code(dir: &Path, sessions: u64, seed: u64, start: Micros) -> std::io::Result<Written> {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut written = Written::default();
    let mut previous: Option<Vec<serde_json::Value>> = None;
    for s in 0..sessions {
        let name = PROJECTS[(s % PROJECTS.len() as u64) as usize];
        let cwd = format!("/home/dev/{name}");
        let project = dir.join(cwd.replace('/', "-"));
        let session = rng.id();
        let mut t = start + (s as Micros) * 600_000_000;
        let mut lines = Vec::new();
        let turns = 2 + rng.below(6);
        for _ in 0..turns {
            claude_turn(&mut rng, &session, &cwd, &mut t, false, &mut lines);
        }
        // A forked session copies the history of the one before (whole turns,
        // as Claude Code copies a conversation), then goes on.
        if let Some(parent) = previous.take().filter(|_| rng.chance(0.15)) {
            let fork = rng.id();
            let is_prompt = |l: &serde_json::Value| l["type"] == "user" && l["message"]["content"].is_string();
            let cut = parent[..parent.len() / 2].iter().rposition(is_prompt).unwrap_or(0);
            let mut copy: Vec<serde_json::Value> = parent[..cut]
                .iter()
                .map(|l| {
                    let mut l = l.clone();
                    l["sessionId"] = json!(fork);
                    l
                })
                .collect();
            claude_turn(&mut rng, &fork, &cwd, &mut t, false, &mut copy);
            write_lines(&project.join(format!("{fork}.jsonl")), &copy, &mut written)?;
        }
        if rng.chance(0.3) {
            let mut sub = Vec::new();
            claude_turn(&mut rng, &session, &cwd, &mut t, true, &mut sub);
            let agent = format!("{:016x}", rng.next());
            write_lines(&project.join(&session).join(format!("subagents/agent-{agent}.jsonl")), &sub, &mut written)?;
        }
        write_lines(&project.join(format!("{session}.jsonl")), &lines, &mut written)?;
        previous = Some(lines);
    }
    Ok(written)
}

/// One turn: a prompt, responses streamed as several lines with tool uses and
/// their results, perhaps an API error, and the turn's end.
fn claude_turn(
    rng: &mut Rng,
    session: &str,
    cwd: &str,
    t: &mut Micros,
    sidechain: bool,
    out: &mut Vec<serde_json::Value>,
) {
    let envelope = |rng: &mut Rng, t: Micros, kind: &str| {
        let mut line = json!({"type": kind, "uuid": rng.id(), "timestamp": format_rfc3339(t), "sessionId": session,
            "cwd": cwd, "version": "2.1.220", "gitBranch": "main", "isSidechain": sidechain, "userType": "external"});
        if sidechain {
            line["agentId"] = json!("a96cf8a57447af436");
            line["attributionAgent"] = json!("general-purpose");
        }
        line
    };
    let turn_start = *t;
    let mut prompt = envelope(rng, *t, "user");
    prompt["message"] = json!({"role": "user", "content": filler(rng, 8)});
    out.push(prompt);
    let model = CLAUDE_MODELS[rng.below(CLAUDE_MODELS.len() as u64) as usize];
    for step in 0..1 + rng.below(4) {
        *t += 1_000_000 + rng.below(8_000_000) as Micros;
        let (id, request) = (format!("msg_{:024x}", rng.next()), format!("req_{:024x}", rng.next()));
        let usage = |output: u64| {
            let mut usage = json!({"input_tokens": 3 + step, "cache_creation_input_tokens": 500 + step * 100,
            "cache_read_input_tokens": 20_000 + step * 1_000, "output_tokens": output,
            "cache_creation": {"ephemeral_5m_input_tokens": 500 + step * 100, "ephemeral_1h_input_tokens": 0}});
            if output > 1 {
                // The last line counts the server tools' requests. A tenth of the
                // responses searched the web: told by the output drawn, not by a
                // draw of their own, so that the random sequence (and every other
                // figure of the synthetic sessions) stays as it was.
                let searches = if output % 10 == 7 { 1 + output % 3 } else { 0 };
                usage["server_tool_use"] = json!({"web_search_requests": searches, "web_fetch_requests": 0});
            }
            usage
        };
        let tool = rng
            .chance(0.7)
            .then(|| (format!("toolu_{:024x}", rng.next()), TOOLS[rng.below(TOOLS.len() as u64) as usize]));
        let blocks = 1 + rng.below(3);
        for b in 0..blocks {
            let last = b + 1 == blocks;
            let mut line = envelope(rng, *t + b as Micros * 200_000, "assistant");
            let content = match (&tool, last) {
                (Some((tool_id, name)), true) => {
                    json!([{"type": "tool_use", "id": tool_id, "name": name, "input": {"command": filler(rng, 2)}}])
                }
                _ => json!([{"type": "text", "text": filler(rng, 6)}]),
            };
            let stop = if !last {
                serde_json::Value::Null
            } else if tool.is_some() {
                json!("tool_use")
            } else {
                json!("end_turn")
            };
            line["requestId"] = json!(request);
            line["message"] = json!({"id": id, "type": "message", "role": "assistant", "model": model, "content": content,
                "stop_reason": stop, "usage": usage(if last { 100 + rng.below(900) } else { 1 })});
            out.push(line);
        }
        *t += blocks as Micros * 200_000;
        if let Some((tool_id, _)) = tool {
            *t += rng.below(15_000_000) as Micros;
            let failed = rng.chance(0.05);
            let mut result = envelope(rng, *t, "user");
            // A tool's output is kilobytes (a file read, a test run), written
            // twice: in the message and in `toolUseResult`.
            let output = filler(rng, 60);
            result["message"] = json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_id,
                "content": output, "is_error": failed}]});
            result["toolUseResult"] = json!({"stdout": output, "stderr": "", "interrupted": false});
            out.push(result);
        }
    }
    if rng.chance(0.02) {
        let mut error = envelope(rng, *t, "assistant");
        error["isApiErrorMessage"] = json!(true);
        error["apiErrorStatus"] = json!(529);
        error["error"] = json!("overloaded");
        error["message"] =
            json!({"model": "<synthetic>", "role": "assistant", "content": [{"type": "text", "text": "API Error"}]});
        out.push(error);
    }
    let mut end = envelope(rng, *t, "system");
    end["subtype"] = json!("turn_duration");
    end["durationMs"] = json!((*t - turn_start) / 1000);
    out.push(end);
    *t += 5_000_000;
}

/// `sessions` Codex rollouts under `dir` (a `sessions/` folder, in day folders).
pub fn codex(dir: &Path, sessions: u64, seed: u64, start: Micros) -> std::io::Result<Written> {
    let mut rng = Rng(seed.wrapping_mul(0xbf58_476d_1ce4_e5b9) | 1);
    let mut written = Written::default();
    for s in 0..sessions {
        let mut t = start + (s as Micros) * 900_000_000;
        let id = rng.id();
        let day = format_rfc3339(t);
        let folder = dir.join(&day[..4]).join(&day[5..7]).join(&day[8..10]);
        let stamp = |t: Micros| format_rfc3339(t);
        let mut lines = vec![
            json!({"timestamp": stamp(t), "type": "session_meta", "payload": {"id": id, "cwd": "/home/dev/project",
            "originator": "codex_cli_rs", "cli_version": "0.63.0", "source": "cli", "model_provider": "openai"}}),
        ];
        let (mut input, mut cached, mut output, mut reasoning) = (0u64, 0u64, 0u64, 0u64);
        for _ in 0..2 + rng.below(5) {
            t += 10_000_000;
            let turn_start = t;
            lines.push(json!({"timestamp": stamp(t), "type": "event_msg", "payload": {"type": "user_message", "message": filler(&mut rng, 6)}}));
            lines.push(json!({"timestamp": stamp(t), "type": "turn_context", "payload": {"model": "gpt-5.1-codex-max", "effort": "medium"}}));
            for _ in 0..1 + rng.below(4) {
                t += 2_000_000 + rng.below(6_000_000) as Micros;
                let call = format!("call_{:024x}", rng.next());
                let code = if rng.chance(0.1) { 1 } else { 0 };
                lines.push(json!({"timestamp": stamp(t), "type": "response_item", "payload": {"type": "function_call", "name": "shell_command",
                    "arguments": json!({"command": filler(&mut rng, 1)}).to_string(), "call_id": call}}));
                lines.push(json!({"timestamp": stamp(t), "type": "response_item", "payload": {"type": "function_call_output", "call_id": call,
                    "output": format!("Exit code: {code}\nWall time: {}.{} seconds\nOutput:\n{}", rng.below(9), rng.below(10), filler(&mut rng, 40))}}));
                let last = json!({"input_tokens": 4_000 + rng.below(6_000), "cached_input_tokens": 3_000, "output_tokens": 100 + rng.below(400), "reasoning_output_tokens": 50});
                input += last["input_tokens"].as_u64().unwrap_or(0);
                cached += 3_000;
                output += last["output_tokens"].as_u64().unwrap_or(0);
                reasoning += 50;
                let total = json!({"input_tokens": input, "cached_input_tokens": cached, "output_tokens": output, "reasoning_output_tokens": reasoning, "total_tokens": input + output});
                let count = json!({"timestamp": stamp(t), "type": "event_msg", "payload": {"type": "token_count", "info": {"total_token_usage": total, "last_token_usage": last}}});
                lines.push(count.clone());
                // Codex re-emits the same totals (screen refreshes): not a call.
                if rng.chance(0.4) {
                    let mut again = count;
                    again["timestamp"] = json!(stamp(t + 900_000));
                    lines.push(again);
                }
            }
            lines.push(json!({"timestamp": stamp(t), "type": "event_msg", "payload": {"type": "task_complete", "duration_ms": (t - turn_start) / 1000}}));
        }
        write_lines(&folder.join(format!("rollout-{}-{id}.jsonl", day[..19].replace(':', "-"))), &lines, &mut written)?;
    }
    Ok(written)
}
