//! The command line's arguments (clap): the commands, their flags and their help.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::time::{Micros, parse_duration, parse_rfc3339};

const EXAMPLES: &str = "\
Examples:
  ajentik monitor --export markdown --log examples/sample.jsonl --now 2026-11-26T22:00:00Z
  ajentik monitor --export json --output report.json
  ajentik monitor --follow --export json --every 5s --log /var/log/agents/
  ajentik generate --lines 1000000 --output big.jsonl
  LOGFIRE_TOKEN=pylf_v1_us_... ajentik push --follow --log /var/log/agents/";

/// See, live, what your AI agents are doing and what they cost.
#[derive(Debug, Parser)]
#[command(name = "ajentik", version, about, after_help = EXAMPLES, propagate_version = true)]
pub struct Cli {
    /// The event log: what monitor and push read (a file, a directory of *.jsonl
    /// files or a glob; repeatable), what emit, demo and generate write (one file).
    /// Default: $AJENTIK_LOG, else $XDG_STATE_HOME/ajentik/events.jsonl.
    #[arg(long = "log", value_name = "PATH", global = true)]
    pub logs: Vec<String>,

    /// Print ajentik's own diagnostics (sources, offsets, timings) to stderr.
    #[arg(long, global = true)]
    pub debug: bool,

    /// The config file. Default: $AJENTIK_CONFIG, else
    /// $XDG_CONFIG_HOME/ajentik/config.toml (see `ajentik config print-default`).
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,

    /// A price file whose prices extend and override the built-in table:
    /// LiteLLM's `model_prices_and_context_window.json` or pydantic's
    /// genai-prices `data.json` (told apart by content); `[prices]` in the config
    /// file override both. See `ajentik prices`.
    #[arg(long, value_name = "FILE", global = true)]
    pub prices: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fold the logs and print a report, or keep following them.
    ///
    /// Example: ajentik monitor --export markdown --now 2026-11-26T03:12:00Z
    Monitor(MonitorArgs),
    /// Write a synthetic event log (for benchmarks, tests and trying ajentik out).
    ///
    /// Example: ajentik generate --lines 5000000 --output big.jsonl
    Generate(GenerateArgs),
    /// Run a simulated multi-agent system that writes a live event log.
    ///
    /// Example: ajentik demo --rate 5
    Demo(DemoArgs),
    /// Append one event to the log (for shell scripts and quick tests).
    ///
    /// Example: ajentik emit tool-call --tool backup --success --duration-ms 1234
    #[command(subcommand)]
    Emit(crate::emit::EmitCommand),
    /// Push operations to Logfire or any OTLP/HTTP backend, as trace spans.
    ///
    /// Example: LOGFIRE_TOKEN=pylf_v1_us_... ajentik push --log agents.jsonl
    Push(crate::push::PushArgs),
    /// Receive OpenTelemetry (OTLP/HTTP and gRPC) from agents already instrumented
    /// and append it to the log as events.
    ///
    /// Example: OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 python agent.py  (with ajentik serve running)
    Serve(crate::receive::serve::ServeArgs),
    /// Show or create the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print shell completions for bash, zsh, fish, elvish or powershell.
    ///
    /// Example: ajentik completions bash > ~/.local/share/bash-completion/completions/ajentik
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), for man(1).
    ///
    /// Example: ajentik man > ~/.local/share/man/man1/ajentik.1
    Man,
    /// Print the price table in use, or how each MODEL named is priced and why.
    ///
    /// Exits 1 when a MODEL named matches no price.
    /// Example: ajentik prices claude-sonnet-4-5-20250929 gpt-4o-mini
    Prices(PricesArgs),
    /// Print the version.
    Version,
}

#[derive(Debug, clap::Args)]
pub struct PricesArgs {
    /// Model names, as agents report them.
    pub models: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the default configuration file, with every key commented.
    ///
    /// Example: ajentik config print-default > ~/.config/ajentik/config.toml
    PrintDefault,
    /// Write the commented default configuration file (never over an existing one).
    ///
    /// Example: ajentik config init    (or --config FILE for another place)
    Init,
    /// Print which config file is used, and check it.
    Path,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The JSON report of docs/report-json.md.
    Json,
    /// A GitHub-flavoured Markdown report.
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct MonitorArgs {
    /// Open the live view (a full-screen TUI): what `ajentik` alone does.
    #[arg(long, conflicts_with_all = ["export", "follow", "output", "alerts"])]
    pub live: bool,

    /// With --live: also receive OpenTelemetry (OTLP) as `ajentik serve` does,
    /// with the `[serve]` settings, and show what arrives (or `[serve] enabled = true`).
    #[arg(long, requires = "live")]
    pub serve: bool,

    /// Print a report in this format (default: markdown).
    /// Example: --export json
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub export: Option<Format>,

    /// Write the report to FILE (atomically) instead of standard output.
    /// Example: --output reports/daily.md
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Evaluate as of this instant (RFC 3339), ignoring later events: reproducible
    /// reports and post-mortems. Example: --now 2026-11-26T03:12:00Z
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    pub now: Option<Micros>,

    /// Keep following the logs and print a one-line JSON report every interval.
    #[arg(long, requires = "export")]
    pub follow: bool,

    /// Print the firing alerts, one a line, most severe first, and exit like a
    /// monitoring check: 0 none, 1 only medium or low, 2 any high, 3 could not
    /// evaluate (usage errors included). Example: ajentik monitor --alerts --json
    #[arg(long, conflicts_with_all = ["export", "follow", "output"])]
    pub alerts: bool,

    /// With --alerts: print {"status": ..., "alerts": [...]} instead of lines.
    #[arg(long, requires = "alerts")]
    pub json: bool,

    /// With --follow: how often to print. Example: --every 500ms
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    pub every: Duration,

    /// How often to look at the logs when file notifications are not available
    /// (network file systems). Example: --poll-interval 250ms
    /// Default: 1s, or `poll_interval` under `[monitor]` in the config file.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub poll_interval: Option<Duration>,

    /// Threads for reading what is already in the logs (default: all cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Agent requests per second, across the eight simulated agents.
    #[arg(long, default_value_t = 4.0)]
    pub rate: f64,
    /// Seed of the simulation's random choices.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Run time faster by this factor (latencies and gaps are divided by it).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Stop after this many requests (and print the report of the run).
    #[arg(long)]
    pub count: Option<u64>,
    /// Stop after this long (and print the report of the run). Example: --for 10m
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
    pub run_for: Option<Duration>,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// How many lines to write (whole requests are written, so a few more may be).
    #[arg(long, default_value_t = 100_000)]
    pub lines: u64,
    /// Seed of the random generator: the same seed writes the same log.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Agent requests per second of simulated time.
    #[arg(long, default_value_t = 50.0)]
    pub rate: f64,
    /// The first event's timestamp (RFC 3339). Default: so that the log ends about now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    pub start: Option<Micros>,
    /// Share of lines replaced by garbage.
    #[arg(long, default_value_t = 0.001)]
    pub malformed: f64,
    /// Write to FILE instead of standard output (a folder for the session formats).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// What to write: an ajentik event log, or a synthetic Claude Code `projects/`
    /// folder or Codex `sessions/` folder (into --output).
    #[arg(long, value_enum, default_value_t = GenerateFormat::Ajentik)]
    pub format: GenerateFormat,
    /// With --format claude-code or codex: how many sessions.
    #[arg(long, default_value_t = 200)]
    pub sessions: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GenerateFormat {
    Ajentik,
    ClaudeCode,
    Codex,
}

fn parse_now(s: &str) -> Result<Micros, String> {
    parse_rfc3339(s).map_err(|e| format!("{e}"))
}
