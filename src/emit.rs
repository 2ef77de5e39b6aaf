//! `ajentik emit`: one event from the command line, through the Rust writer, for
//! shell scripts and quick tests. Bad arguments are usage errors (clap) and
//! write nothing.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde_json::{Map, Value};

use crate::recorder::{Recorder, RecorderOptions, Sampling, TokenParts};

#[derive(Debug, Subcommand)]
pub enum EmitCommand {
    /// One request handled by an agent.
    ///
    /// Example: ajentik emit agent-request --agent ChatAgent --success --duration-ms 1500 --tokens 250 --cost 0.05
    AgentRequest(AgentRequestArgs),
    /// One tool call.
    ///
    /// Example: ajentik emit tool-call --tool web_search --agent ResearchAgent --failure --duration-ms 800
    ToolCall(ToolCallArgs),
    /// One model call.
    ///
    /// Example: ajentik emit model-call --model gpt-4o --provider openai --success --duration-ms 1200 --input-tokens 180 --output-tokens 70
    ModelCall(ModelCallArgs),
    /// A named operation that took some time.
    ///
    /// Example: ajentik emit span --name nightly_backup --duration-ms 93000 --status ok
    Span(SpanArgs),
    /// An error in some component.
    ///
    /// Example: ajentik emit error --component DataProcessor --error-type ValidationError --message "Invalid input" --context '{"input_size":1000}'
    Error(ErrorArgs),
    /// A writer process saying it is alive.
    ///
    /// Example: ajentik emit heartbeat --process worker-1 --agents ChatAgent,CodeAgent
    Heartbeat(HeartbeatArgs),
}

/// --success or --failure, one of them.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Outcome {
    /// It succeeded.
    #[arg(long)]
    success: bool,
    /// It failed.
    #[arg(long)]
    failure: bool,
}

fn non_negative(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v >= 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("{s:?} is not a number >= 0")),
    }
}

fn key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("{s:?} is not KEY=VALUE")),
    }
}

fn json_object(s: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(s) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err("must be a JSON object, like '{\"input_size\":1000}'".into()),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

fn rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 1.0 => Ok(v),
        _ => Err(format!("{s:?} is not a number in (0, 1]")),
    }
}

/// The session and sampling flags of an operation.
#[derive(Debug, Args)]
pub struct Tagging {
    /// The conversation or session the event belongs to.
    #[arg(long)]
    session: Option<String>,
    /// Keep a successful event with this probability, in (0, 1], and mark it
    /// with it (`sample_rate`), so ajentik counts it as 1/R events. Failures are
    /// always written.
    #[arg(long, value_parser = rate, value_name = "R")]
    sample_rate: Option<f64>,
}

/// Cache and reasoning parts of the token counts, and web searches.
#[derive(Debug, Args)]
pub struct PartsArgs {
    /// Tokens read from the prompt cache (part of the input tokens).
    #[arg(long)]
    cache_read_tokens: Option<u64>,
    /// Tokens written to the prompt cache (part of the input tokens).
    #[arg(long)]
    cache_write_tokens: Option<u64>,
    /// The part of the cache writes with a one-hour lifetime.
    #[arg(long)]
    cache_write_1h_tokens: Option<u64>,
    /// Reasoning tokens (part of the output tokens).
    #[arg(long)]
    reasoning_tokens: Option<u64>,
    /// Web searches the provider ran for the call (priced by the search).
    #[arg(long)]
    web_search_requests: Option<u64>,
}

impl PartsArgs {
    fn parts(&self) -> TokenParts {
        TokenParts {
            cache_read: self.cache_read_tokens.unwrap_or(0),
            cache_write: self.cache_write_tokens.unwrap_or(0),
            cache_write_1h: self.cache_write_1h_tokens.unwrap_or(0),
            reasoning: self.reasoning_tokens.unwrap_or(0),
            web_searches: self.web_search_requests.unwrap_or(0),
        }
    }
}

fn duration(ms: f64) -> Duration {
    Duration::from_secs_f64(ms / 1000.0)
}

#[derive(Debug, Args)]
pub struct AgentRequestArgs {
    #[arg(long)]
    agent: String,
    #[command(flatten)]
    outcome: Outcome,
    /// Response time in milliseconds.
    #[arg(long, value_parser = non_negative)]
    duration_ms: f64,
    /// Total tokens.
    #[arg(long)]
    tokens: Option<u64>,
    /// Cost in US dollars.
    #[arg(long, value_parser = non_negative)]
    cost: Option<f64>,
    #[arg(long)]
    model: Option<String>,
    #[arg(long)]
    error_type: Option<String>,
    /// Context, repeatable. Example: --attr user_id=u-17
    #[arg(long, value_name = "KEY=VALUE", value_parser = key_value)]
    attr: Vec<(String, String)>,
    #[command(flatten)]
    parts: PartsArgs,
    #[command(flatten)]
    tagging: Tagging,
}

#[derive(Debug, Args)]
pub struct ToolCallArgs {
    #[arg(long)]
    tool: String,
    #[arg(long)]
    agent: Option<String>,
    #[command(flatten)]
    outcome: Outcome,
    /// Execution time in milliseconds.
    #[arg(long, value_parser = non_negative)]
    duration_ms: f64,
    #[arg(long)]
    error_type: Option<String>,
    #[arg(long)]
    error_message: Option<String>,
    #[command(flatten)]
    tagging: Tagging,
}

#[derive(Debug, Args)]
pub struct ModelCallArgs {
    #[arg(long)]
    model: String,
    #[arg(long)]
    provider: Option<String>,
    #[arg(long)]
    agent: Option<String>,
    #[command(flatten)]
    outcome: Outcome,
    /// Latency in milliseconds.
    #[arg(long, value_parser = non_negative)]
    duration_ms: f64,
    #[arg(long)]
    input_tokens: Option<u64>,
    #[arg(long)]
    output_tokens: Option<u64>,
    /// Cost in US dollars (else ajentik prices the tokens).
    #[arg(long, value_parser = non_negative)]
    cost: Option<f64>,
    #[command(flatten)]
    parts: PartsArgs,
    #[command(flatten)]
    tagging: Tagging,
}

/// ok or error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Status {
    Ok,
    Error,
}

#[derive(Debug, Args)]
pub struct SpanArgs {
    #[arg(long)]
    name: String,
    #[arg(long)]
    agent: Option<String>,
    #[arg(long, value_parser = non_negative)]
    duration_ms: f64,
    #[arg(long, value_enum)]
    status: Status,
    #[arg(long)]
    error_type: Option<String>,
    #[arg(long)]
    error_message: Option<String>,
    /// Context, repeatable. Example: --attr user_id=u-17
    #[arg(long, value_name = "KEY=VALUE", value_parser = key_value)]
    attr: Vec<(String, String)>,
    #[command(flatten)]
    tagging: Tagging,
}

#[derive(Debug, Args)]
pub struct ErrorArgs {
    #[arg(long)]
    component: String,
    #[arg(long)]
    error_type: String,
    #[arg(long)]
    message: String,
    #[arg(long)]
    agent: Option<String>,
    /// A JSON object. Example: --context '{"input_size":1000}'
    #[arg(long, value_parser = json_object)]
    context: Option<Map<String, Value>>,
    /// The conversation or session the error belongs to.
    #[arg(long)]
    session: Option<String>,
}

#[derive(Debug, Args)]
pub struct HeartbeatArgs {
    #[arg(long)]
    process: String,
    /// The agents this process runs, comma-separated.
    #[arg(long, value_delimiter = ',')]
    agents: Vec<String>,
    #[arg(long)]
    host: Option<String>,
    #[arg(long)]
    rss_bytes: Option<u64>,
    #[arg(long, value_parser = non_negative)]
    cpu_percent: Option<f64>,
    /// The process's last heartbeat: it is exiting cleanly, so that its silence
    /// from now on raises no heartbeat_lost alert.
    #[arg(long)]
    stopped: bool,
}

/// The file to write: the one `--log`, else the default log.
/// The one file a writing command (emit, serve) appends to.
pub(crate) fn target(logs: &[String], command: &str) -> Result<PathBuf> {
    match logs {
        [] => crate::follow::source::default_log_path(),
        [one] => {
            let path = PathBuf::from(one);
            if path.is_dir() || one.contains(['*', '?', '[']) {
                crate::cli::usage!("{command} writes to one file: {one} is a directory or a pattern");
            }
            Ok(path)
        }
        _ => crate::cli::usage!("{command} writes to one file: give --log once"),
    }
}

/// Writes the event.
pub fn run(logs: &[String], command: EmitCommand) -> Result<()> {
    let path = target(logs, "emit")?;
    let sample_rate = match &command {
        EmitCommand::AgentRequest(a) => a.tagging.sample_rate,
        EmitCommand::ToolCall(a) => a.tagging.sample_rate,
        EmitCommand::ModelCall(a) => a.tagging.sample_rate,
        EmitCommand::Span(a) => a.tagging.sample_rate,
        EmitCommand::Error(_) | EmitCommand::Heartbeat(_) => None,
    };
    let options = RecorderOptions { sampling: Sampling::all(sample_rate.unwrap_or(1.0)), batching: None };
    let rec = Recorder::with_options(&path, options).with_context(|| "cannot emit")?;
    let result = match command {
        EmitCommand::AgentRequest(a) => {
            let mut b = rec.agent_request(&a.agent, a.outcome.success, duration(a.duration_ms));
            b.tokens = a.tokens;
            b.parts = a.parts.parts();
            b.session = a.tagging.session;
            b.cost_usd = a.cost;
            b.model = a.model;
            b.error_type = a.error_type;
            for (k, v) in a.attr {
                b = b.attr(&k, v);
            }
            b.record()
        }
        EmitCommand::ToolCall(a) => {
            let mut b = rec.tool_call(&a.tool, a.outcome.success, duration(a.duration_ms));
            b.agent = a.agent;
            b.error_type = a.error_type;
            b.error_message = a.error_message;
            b.session = a.tagging.session;
            b.record()
        }
        EmitCommand::ModelCall(a) => {
            let mut b = rec.model_call(&a.model, a.outcome.success, duration(a.duration_ms));
            b.provider = a.provider;
            b.agent = a.agent;
            b.input_tokens = a.input_tokens;
            b.output_tokens = a.output_tokens;
            b.parts = a.parts.parts();
            b.cost_usd = a.cost;
            b.session = a.tagging.session;
            b.record()
        }
        EmitCommand::Span(a) => {
            let mut b = rec.span(&a.name, duration(a.duration_ms));
            b.agent = a.agent;
            b.ok = a.status == Status::Ok;
            b.error_type = a.error_type;
            b.error_message = a.error_message;
            b.session = a.tagging.session;
            for (k, v) in a.attr {
                b = b.attr(&k, v);
            }
            b.record()
        }
        EmitCommand::Error(a) => {
            let mut b = rec.error(&a.component, &a.error_type, &a.message);
            b.agent = a.agent;
            b.context = a.context;
            b.session = a.session;
            b.record()
        }
        EmitCommand::Heartbeat(a) => {
            let agents: Vec<&str> = a.agents.iter().map(String::as_str).collect();
            let mut b = rec.heartbeat(&a.process).agents(&agents);
            if let Some(h) = &a.host {
                b = b.host(h);
            }
            if let Some(r) = a.rss_bytes {
                b = b.rss_bytes(r);
            }
            if let Some(c) = a.cpu_percent {
                b = b.cpu_percent(c);
            }
            if a.stopped {
                b = b.stopped();
            }
            b.record()
        }
    };
    result.with_context(|| "cannot emit")
}
