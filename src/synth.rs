//! A generator of realistic synthetic event logs, for benchmarks, tests and the
//! `ajentik generate` command: many agents, tools and models, traces, failures,
//! error bursts, heartbeats, and (on request) malformed lines.

pub mod sessions;

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::time::{MICROS_PER_SECOND, Micros, format_rfc3339};

/// A small, fast, seedable PRNG (SplitMix64): reproducible logs without a dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Log-normally distributed around `median` with spread `sigma`.
    pub fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        // Box-Muller.
        let (u1, u2) = (self.unit().max(1e-12), self.unit());
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        median * (sigma * z).exp()
    }
}

/// An agent of the simulated system: its name, model, tools and habits.
#[derive(Debug, Clone, Copy)]
pub struct AgentProfile {
    pub name: &'static str,
    pub model: &'static str,
    pub provider: &'static str,
    pub tools: &'static [&'static str],
    /// Median milliseconds of one request.
    pub median_ms: f64,
    pub failure_rate: f64,
}

/// The agents the generator and the demo simulate.
pub const AGENTS: &[AgentProfile] = &[
    AgentProfile {
        name: "ChatAgent",
        model: "gpt-4o",
        provider: "openai",
        tools: &["web_search", "memory_lookup"],
        median_ms: 1200.0,
        failure_rate: 0.02,
    },
    AgentProfile {
        name: "CodeAgent",
        model: "claude-sonnet-4-5",
        provider: "anthropic",
        tools: &["file_reader", "code_runner", "git_diff"],
        median_ms: 2500.0,
        failure_rate: 0.04,
    },
    AgentProfile {
        name: "ResearchAgent",
        model: "gemini-2.5-pro",
        provider: "google",
        tools: &["web_search", "pdf_extract", "citation_check"],
        median_ms: 3200.0,
        failure_rate: 0.05,
    },
    AgentProfile {
        name: "AnalysisAgent",
        model: "gpt-4o-mini",
        provider: "openai",
        tools: &["sql_query", "chart_render"],
        median_ms: 1800.0,
        failure_rate: 0.01,
    },
    AgentProfile {
        name: "SupportAgent",
        model: "claude-haiku-4-5",
        provider: "anthropic",
        tools: &["ticket_lookup", "kb_search"],
        median_ms: 900.0,
        failure_rate: 0.03,
    },
    AgentProfile {
        name: "TranslateAgent",
        model: "mistral-large-latest",
        provider: "mistral",
        tools: &["glossary"],
        median_ms: 700.0,
        failure_rate: 0.02,
    },
    AgentProfile {
        name: "PlannerAgent",
        model: "deepseek-chat",
        provider: "deepseek",
        tools: &["calendar", "memory_lookup"],
        median_ms: 1500.0,
        failure_rate: 0.03,
    },
    AgentProfile {
        name: "DataAgent",
        model: "llama-3.3-70b-instruct",
        provider: "groq",
        tools: &["sql_query", "file_reader", "schema_infer"],
        median_ms: 1100.0,
        failure_rate: 0.06,
    },
];

const ERROR_TYPES: &[(&str, &str, &str)] = &[
    ("DataProcessor", "ValidationError", "Invalid input format"),
    ("ModelClient", "RateLimitError", "429 Too Many Requests: retry after 2s"),
    ("ModelClient", "TimeoutError", "model call exceeded 30s"),
    ("ToolRunner", "ToolExecutionError", "subprocess exited with status 1"),
    ("Memory", "ConnectionError", "vector store unreachable"),
];

/// The share of a prompt read from the cache, by model: Anthropic and OpenAI
/// models cache long system prompts; the others report no cache.
fn cached_share(model: &str, request: u64) -> f64 {
    match model {
        // Derived from the request number, not the random stream, so that
        // logs generated before cache fields existed stay the same otherwise.
        "claude-sonnet-4-5" | "claude-haiku-4-5" | "gpt-4o" | "gpt-4o-mini" => (request % 5) as f64 * 0.15,
        _ => 0.0,
    }
}

/// USD per million tokens (input, output), close to list prices, for generated costs.
fn price(model: &str) -> (f64, f64) {
    match model {
        "gpt-4o" => (2.5, 10.0),
        "gpt-4o-mini" => (0.15, 0.6),
        "claude-sonnet-4-5" => (3.0, 15.0),
        "claude-haiku-4-5" => (1.0, 5.0),
        "gemini-2.5-pro" => (1.25, 10.0),
        "mistral-large-latest" => (2.0, 6.0),
        "deepseek-chat" => (0.27, 1.1),
        _ => (0.59, 0.79),
    }
}

/// Settings of a generated log.
#[derive(Debug, Clone)]
pub struct Settings {
    pub seed: u64,
    /// The timestamp of the first event.
    pub start: Micros,
    /// Mean agent requests per second of simulated time.
    pub requests_per_second: f64,
    /// Share of lines replaced by garbage of assorted kinds.
    pub malformed_ratio: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self { seed: 1, start: 1_795_000_000 * MICROS_PER_SECOND, requests_per_second: 50.0, malformed_ratio: 0.001 }
    }
}

/// Writes JSON Lines events; one request becomes several lines (model calls, tool
/// calls, spans, the agent request), with occasional errors and heartbeats.
#[derive(Debug)]
pub struct Generator {
    rng: Rng,
    settings: Settings,
    now: Micros,
    requests: u64,
    last_heartbeat: Micros,
    /// The latest timestamp written so far.
    latest: Micros,
}

impl Generator {
    pub fn new(settings: Settings) -> Self {
        Self {
            rng: Rng::new(settings.seed),
            now: settings.start,
            last_heartbeat: Micros::MIN / 2,
            settings,
            requests: 0,
            latest: Micros::MIN,
        }
    }

    /// The simulated clock: when the latest request began.
    pub fn now(&self) -> Micros {
        self.now
    }

    /// The latest timestamp of any event written (a request's events end after it began).
    pub fn latest(&self) -> Micros {
        self.latest
    }

    /// Writes events until at least `lines` lines are written; returns how many.
    pub fn write_lines(&mut self, out: &mut impl Write, lines: u64) -> io::Result<u64> {
        let mut buf = String::with_capacity(64 * 1024);
        let mut written = 0;
        while written < lines {
            written += self.request(&mut buf);
            if buf.len() > 60 * 1024 {
                out.write_all(buf.as_bytes())?;
                buf.clear();
            }
        }
        out.write_all(buf.as_bytes())?;
        Ok(written)
    }

    /// Appends the lines of one simulated request to `buf`; returns the line count.
    pub fn request(&mut self, buf: &mut String) -> u64 {
        let rng = &mut self.rng;
        let gap = -rng.unit().max(1e-9).ln() / self.settings.requests_per_second;
        self.now += (gap * MICROS_PER_SECOND as f64) as Micros;
        self.requests += 1;
        let agent = AGENTS[rng.below(AGENTS.len())];
        let trace = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
        let root = rng.next_u64() | 1;
        let total_ms = rng.log_normal(agent.median_ms, 0.5);
        let failed = rng.chance(agent.failure_rate);
        // A user's conversation: a few requests in a row share a session.
        let session = format!("s-{}-{:04}", self.requests % 97, self.requests / 400);
        let request = Request { agent, ids: (trace, root), total_ms, failed, session };
        let (mut lines, usage, start) = self.model_calls(buf, &request);
        lines += self.tool_call(buf, &request, start);
        let end = self.now + (total_ms * 1000.0) as Micros;
        lines += self.agent_request(buf, &request, usage, end);
        lines += self.extras(buf, &request, end);
        // Two writer processes, each running half the agents, beat every 30 s
        // of simulated time.
        if end - self.last_heartbeat >= 30 * MICROS_PER_SECOND {
            self.last_heartbeat = end;
            lines += self.heartbeats(buf, end);
        }
        if self.settings.malformed_ratio > 0.0 && self.rng.chance(self.settings.malformed_ratio * lines as f64) {
            const GARBAGE: &[&str] = &[
                "{\"type\":\"agent_request\",\"agent\":\"ChatAgent\"",
                "not json at all",
                "{\"v\":1,\"ts\":\"2026-13-45T00:00:00Z\",\"type\":\"span\",\"name\":\"x\",\"duration_ms\":1,\"status\":\"ok\"}",
                "{\"ts\":\"2026-11-26T21:30:00Z\",\"type\":\"tool_call\",\"tool\":\"t\",\"success\":\"yes\",\"duration_ms\":1}",
                "[1,2,3]",
            ];
            buf.push_str(GARBAGE[self.rng.below(GARBAGE.len())]);
            buf.push('\n');
            lines += 1;
        }
        lines
    }

    /// Appends an event line, keeping the latest timestamp written; returns 1 (a line).
    fn line(&mut self, buf: &mut String, ts: Micros, ty: &str, ids: Option<(u128, u64, u64)>, body: &str) -> u64 {
        self.latest = self.latest.max(emit(buf, ts, ty, ids, body));
        1
    }

    /// A request's one or two model calls, with cached input by the model's
    /// share; returns the lines, the tokens and cost they add up to, and when
    /// the last ended.
    fn model_calls(&mut self, buf: &mut String, request: &Request) -> (u64, (i64, f64), Micros) {
        let Request { agent, ids: (trace, root), total_ms, ref session, .. } = *request;
        let mut lines = 0;
        let mut start = self.now;
        let calls = 1 + self.rng.below(2);
        let (mut tokens, mut cost) = (0i64, 0.0);
        let share = cached_share(agent.model, self.requests);
        for _ in 0..calls {
            let rng = &mut self.rng;
            let ms = total_ms * 0.6 / calls as f64;
            let (input, output) = (200 + rng.below(1800) as i64, 50 + rng.below(600) as i64);
            let (pin, pout) = price(agent.model);
            let cache_read = (input as f64 * share) as i64;
            // Cache reads at a tenth of the input price (Anthropic), or half (OpenAI).
            let read_price = if agent.provider == "anthropic" { pin * 0.1 } else { pin * 0.5 };
            let c = ((input - cache_read) as f64 * pin + cache_read as f64 * read_price + output as f64 * pout) / 1e6;
            let cache_field =
                if cache_read > 0 { format!(",\"cache_read_tokens\":{cache_read}") } else { String::new() };
            tokens += input + output;
            cost += c;
            start += (ms * 1000.0) as Micros;
            let span = rng.next_u64() | 1;
            let cost_field = if rng.chance(0.1) { String::new() } else { format!(",\"cost_usd\":{c:.6}") };
            lines += self.line(
                buf,
                start,
                "model_call",
                Some((trace, span, root)),
                &format!(
                    "\"model\":\"{}\",\"provider\":\"{}\",\"agent\":\"{}\",\"success\":true,\"duration_ms\":{ms:.1},\"input_tokens\":{input},\"output_tokens\":{output}{cache_field}{cost_field},\"session\":\"{session}\"",
                    agent.model, agent.provider, agent.name
                ),
            );
        }
        (lines, (tokens, cost), start)
    }

    /// The request's tool call, after its model calls (which ended at `start`).
    fn tool_call(&mut self, buf: &mut String, request: &Request, start: Micros) -> u64 {
        let Request { agent, ids: (trace, root), total_ms, failed, ref session } = *request;
        let rng = &mut self.rng;
        let tool = agent.tools[rng.below(agent.tools.len())];
        let tool_ms = rng.log_normal(total_ms * 0.3, 0.4);
        let tool_failed = failed || rng.chance(0.02);
        let tool_err =
            if tool_failed { ",\"error_type\":\"ToolExecutionError\",\"error_message\":\"exit status 1\"" } else { "" };
        let span = rng.next_u64() | 1;
        self.line(
            buf,
            start + (tool_ms * 1000.0) as Micros,
            "tool_call",
            Some((trace, span, root)),
            &format!(
                "\"tool\":\"{tool}\",\"agent\":\"{}\",\"success\":{},\"duration_ms\":{tool_ms:.1}{tool_err},\"session\":\"{session}\"",
                agent.name, !tool_failed
            ),
        )
    }

    /// The agent request itself, at its `end`: the root of its trace.
    fn agent_request(&mut self, buf: &mut String, request: &Request, (tokens, cost): (i64, f64), end: Micros) -> u64 {
        let Request { agent, ids: (trace, root), total_ms, failed, ref session } = *request;
        let err = if failed { ",\"error_type\":\"AgentError\"" } else { "" };
        self.line(
            buf,
            end,
            "agent_request",
            Some((trace, root, 0)),
            &format!(
                "\"agent\":\"{}\",\"success\":{},\"duration_ms\":{total_ms:.1},\"tokens\":{tokens},\"cost_usd\":{cost:.6},\"model\":\"{}\"{err},\"session\":\"{session}\",\"attrs\":{{\"user_id\":\"u-{}\",\"request_type\":\"chat\"}}",
                agent.name,
                !failed,
                agent.model,
                self.requests % 97
            ),
        )
    }

    /// Now and then a span after the request, and an error event where it
    /// failed (and rarely where it did not).
    fn extras(&mut self, buf: &mut String, request: &Request, end: Micros) -> u64 {
        let (agent, mut lines) = (request.agent, 0);
        if self.rng.chance(0.2) {
            let ms = self.rng.log_normal(40.0, 0.6);
            lines += self.line(
                buf,
                end,
                "span",
                None,
                &format!(
                    "\"name\":\"response_generation\",\"agent\":\"{}\",\"duration_ms\":{ms:.1},\"status\":\"ok\"",
                    agent.name
                ),
            );
        }
        if request.failed || self.rng.chance(0.005) {
            let (component, ty, msg) = ERROR_TYPES[self.rng.below(ERROR_TYPES.len())];
            let size = self.rng.below(5000);
            lines += self.line(
                buf,
                end,
                "error",
                None,
                &format!(
                    "\"component\":\"{component}\",\"error_type\":\"{ty}\",\"message\":\"{msg}\",\"agent\":\"{}\",\"context\":{{\"input_size\":{size}}}",
                    agent.name
                ),
            );
        }
        lines
    }

    /// A heartbeat from each of the two writer processes.
    fn heartbeats(&mut self, buf: &mut String, end: Micros) -> u64 {
        let mut lines = 0;
        for worker in 0..2 {
            let agents: Vec<String> =
                AGENTS.iter().skip(worker).step_by(2).map(|a| format!("\"{}\"", a.name)).collect();
            let rss = 100_000_000 + self.rng.below(50_000_000);
            let cpu = self.rng.unit() * 40.0;
            let body = format!(
                "\"process\":\"worker-{worker}\",\"pid\":{},\"host\":\"agents-1\",\"started_at\":\"{}\",\"agents\":[{}],\"rss_bytes\":{rss},\"cpu_percent\":{cpu:.1}",
                4000 + worker,
                format_rfc3339(self.settings.start),
                agents.join(",")
            );
            lines += self.line(buf, end, "heartbeat", None, &body);
        }
        lines
    }
}

/// One simulated agent request, as its lines need it.
struct Request {
    agent: AgentProfile,
    /// Its trace, and its own span (the root of the trace).
    ids: (u128, u64),
    total_ms: f64,
    failed: bool,
    session: String,
}

/// Appends one event line to `buf`.
fn emit(buf: &mut String, ts: Micros, ty: &str, ids: Option<(u128, u64, u64)>, body: &str) -> Micros {
    let _ = write!(buf, "{{\"v\":1,\"ts\":\"{}\",\"type\":\"{ty}\",", format_rfc3339(ts));
    if let Some((trace, span, parent)) = ids {
        let _ = write!(buf, "\"trace_id\":\"{trace:032x}\",\"span_id\":\"{span:016x}\",");
        if parent != 0 {
            let _ = write!(buf, "\"parent_span_id\":\"{parent:016x}\",");
        }
    }
    buf.push_str(body);
    buf.push_str("}\n");
    ts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::v1::{LineOutcome, parse_line};

    #[test]
    fn generated_lines_parse_and_are_reproducible() {
        let mut out = Vec::new();
        let n = Generator::new(Settings { malformed_ratio: 0.0, ..Settings::default() })
            .write_lines(&mut out, 5000)
            .unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        assert_eq!(text.lines().count() as u64, n);
        for line in text.lines() {
            assert!(matches!(parse_line(line.as_bytes()), LineOutcome::Event(_)), "{line}");
        }
        let avg = text.len() as f64 / n as f64;
        assert!((150.0..400.0).contains(&avg), "average line {avg} bytes");
        let mut again = Vec::new();
        Generator::new(Settings { malformed_ratio: 0.0, ..Settings::default() }).write_lines(&mut again, 5000).unwrap();
        assert_eq!(out, again);
    }

    /// The log a seed writes is the one the benchmarks' figures were measured
    /// on: a change to the generator (even to the order it draws numbers in)
    /// must show here, and the figures be measured again. Pinned where they
    /// were measured (x86-64 Linux, glibc): `ln`, `cos` and `exp` come from the
    /// platform's maths library, whose last bits may differ elsewhere.
    #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
    #[test]
    fn the_first_seed_writes_the_log_the_figures_were_measured_on() {
        let mut out = Vec::new();
        let settings = Settings { malformed_ratio: 0.01, ..Settings::default() };
        let n = Generator::new(settings).write_lines(&mut out, 20_000).unwrap();
        // FNV-1a: a fixed hash (the standard library's may change between releases).
        let fnv = out.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        assert_eq!((n, out.len(), fnv), (20_003, 6_265_784, 10_060_976_353_805_857_524));
    }
}
