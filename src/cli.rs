//! The command line: argument definitions (clap) and the commands' shells.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};

use crate::alerts::{AlertBook, Thresholds};
use crate::config::{self, Config};
use crate::fold::Fold;
use crate::follow::source;
use crate::follow::tail::{Follower, read_into};
use crate::hook::{Notifier, Pager};
use crate::pricing::{Price, PriceTable};
use crate::report;
use crate::time::{Micros, parse_rfc3339, wall_clock};

mod live;
mod synthetic;

use live::{Live, live_view};
use synthetic::{demo, generate};

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

pub use crate::time::parse_duration;

/// Exit status of `monitor --alerts` when it could not evaluate (a usage error
/// included), so that a typo is never read as "critical" by a checker.
pub const ALERTS_FAILED: i32 = 3;

/// A command line that cannot be carried out as written: it exits 2 (3 under
/// `--alerts`), like clap's own usage errors, and writes nothing.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Returns a [`UsageError`].
macro_rules! usage {
    ($($arg:tt)*) => {
        return Err(anyhow::Error::new(crate::cli::UsageError(format!($($arg)*))))
    };
}
pub(crate) use usage;

/// Whether these arguments ask for the `--alerts` check (consulted before they
/// are parsed, to choose the exit status of a usage error).
pub fn wants_alerts<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(args: I) -> bool {
    args.into_iter().any(|a| a.as_ref() == "--alerts")
}

/// Whether the command takes the screen (the live view): then diagnostics go
/// to a file.
fn draws_on_screen(command: Option<&Command>) -> bool {
    match command {
        None => io::stdout().is_terminal(),
        Some(Command::Monitor(args)) => args.live,
        Some(Command::Demo(args)) => args.count.is_none() && args.run_for.is_none(),
        Some(_) => false,
    }
}

/// Runs the parsed command line; returns the exit status.
pub fn run(cli: Cli) -> Result<i32> {
    // The live view's diagnostics go to a file, never the screen.
    let debug_file = draws_on_screen(cli.command.as_ref())
        .then(|| std::env::temp_dir().join(format!("ajentik-debug-{}.log", std::process::id())));
    let diagnosing = crate::diagnostics::init(cli.debug, debug_file.as_deref())?;
    let debug_file = debug_file.filter(|_| diagnosing);
    match cli.command {
        Some(Command::Monitor(args)) => {
            let (config, config_path) = config::load(cli.config.as_deref())?;
            crate::follow::tail::set_max_open_files(config.monitor.max_open_files);
            let prices = price_table(&config, cli.prices.as_deref())?;
            note_setup(config_path.as_deref(), &prices);
            if args.alerts {
                check_alerts(&cli.logs, &config, prices, args)
            } else if args.live {
                let live = Live {
                    now: args.now,
                    threads: args.threads,
                    poll_interval: args.poll_interval,
                    serve: args.serve || config.serve.enabled,
                };
                live_view(&cli.logs, debug_file, (&config, config_path.as_ref()), prices, live).map(|()| 0)
            } else {
                monitor(&cli.logs, (&config, config_path.as_deref()), prices, args).map(|()| 0)
            }
        }
        Some(Command::Config(ConfigCommand::Init)) => {
            let path = match cli.config.clone() {
                Some(p) => p,
                None => config::locate(None)
                    .map(|(p, _)| p)
                    .context("no place for a config file: set $XDG_CONFIG_HOME or give --config FILE")?,
            };
            if path.exists() {
                bail!("{} exists: not replacing it (ajentik config print-default shows the defaults)", path.display());
            }
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            }
            crate::follow::fsutil::write_new_exact(&path, config::DEFAULT_TOML.as_bytes())?;
            println!("wrote {}", path.display());
            Ok(0)
        }
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ajentik", &mut out);
            emit(&String::from_utf8_lossy(&out), None)?;
            Ok(0)
        }
        Some(Command::Man) => {
            use clap::CommandFactory;
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut out).context("cannot render the manual page")?;
            emit(&String::from_utf8_lossy(&out), None)?;
            Ok(0)
        }
        Some(Command::Config(ConfigCommand::PrintDefault)) => {
            emit(config::DEFAULT_TOML, None)?;
            Ok(0)
        }
        Some(Command::Config(ConfigCommand::Path)) => {
            let (_, path) = config::load(cli.config.as_deref())?;
            match path {
                Some(p) if p.exists() => println!("{}", p.display()),
                Some(p) => println!("{} (does not exist: defaults apply)", p.display()),
                None => println!("(no config location: defaults apply)"),
            }
            Ok(0)
        }
        Some(Command::Prices(args)) => {
            let (config, _) = config::load(cli.config.as_deref())?;
            let prices = price_table(&config, cli.prices.as_deref())?;
            if args.models.is_empty() {
                emit(&crate::pricing::listing::table(&prices), None)?;
                return Ok(0);
            }
            let (text, all_priced) = crate::pricing::listing::explain(&prices, &args.models);
            emit(&text, None)?;
            Ok(if all_priced { 0 } else { 1 })
        }
        Some(Command::Generate(args)) => generate(&cli.logs, args).map(|()| 0),
        Some(Command::Push(mut args)) => {
            let (config, _) = config::load(cli.config.as_deref())?;
            args.config = config.push.clone();
            let prices = price_table(&config, cli.prices.as_deref())?;
            let pushed = with_progress(|progress| {
                crate::push::run(&cli.logs, &args, prices, crate::time::wall_clock(), progress)
            })?;
            println!(
                "{}",
                crate::push::summary(&pushed, args.endpoint.as_deref().unwrap_or("the configured endpoint"))
            );
            Ok(0)
        }
        Some(Command::Serve(args)) => {
            let (config, _) = config::load(cli.config.as_deref())?;
            let settings = args.over(&config.serve);
            let log = match (&cli.logs[..], &settings.log) {
                ([], Some(log)) => log.clone(),
                (logs, _) => crate::emit::target(logs, "serve")?,
            };
            crate::receive::serve::run(log, &settings)
        }
        Some(Command::Emit(command)) => crate::emit::run(&cli.logs, command).map(|()| 0),
        Some(Command::Demo(args)) => {
            let (config, config_path) = config::load(cli.config.as_deref())?;
            demo(&cli.logs, (&config, config_path.as_ref()), args).map(|()| 0)
        }
        Some(Command::Version) => {
            println!("ajentik {}", env!("CARGO_PKG_VERSION"));
            if tracing::enabled!(target: "config", tracing::Level::DEBUG) {
                tracing::debug!(target: "config", "event log schema v{}", crate::ingest::v1::SCHEMA_VERSION);
                tracing::debug!(target: "config", "default log: {}", source::default_log_path()?.display());
                // A broken config file should not hide the version: defaults then.
                let push_config = config::load(cli.config.as_deref()).map(|(c, _)| c.push).unwrap_or_default();
                for line in crate::push::describe_setup(&push_config) {
                    tracing::debug!(target: "push", "{line}");
                }
            }
            Ok(0)
        }
        None if io::stdout().is_terminal() => {
            let (config, config_path) = config::load(cli.config.as_deref())?;
            let prices = price_table(&config, cli.prices.as_deref())?;
            note_setup(config_path.as_deref(), &prices);
            live_view(&cli.logs, debug_file, (&config, config_path.as_ref()), prices, Live::default()).map(|()| 0)
        }
        None => {
            use clap::CommandFactory;
            Cli::command().print_help()?;
            Ok(0)
        }
    }
}

/// Runs `work` (a first read of the logs) and, when it takes more than a second
/// and standard error is a terminal, shows how far it has got on one line there
/// (cleared when done). Never on a pipe or a file: cron mail stays clean.
pub fn with_progress<T>(work: impl FnOnce(&crate::follow::tail::Progress) -> T) -> T {
    use std::sync::atomic::Ordering;
    let progress = crate::follow::tail::Progress::default();
    if !io::stderr().is_terminal() {
        return work(&progress);
    }
    std::thread::scope(|scope| {
        scope.spawn(|| show_progress(&progress));
        let out = work(&progress);
        progress.done.store(true, Ordering::Release);
        out
    })
}

fn show_progress(progress: &crate::follow::tail::Progress) {
    let started = Instant::now();
    let mut shown = false;
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let (read, total, done) = progress.get();
        if done {
            break;
        }
        if started.elapsed() < Duration::from_secs(1) || total == 0 {
            continue;
        }
        eprint!("\r\x1b[K{}", progress_line(read, total, started.elapsed()));
        shown = true;
    }
    if shown {
        eprint!("\r\x1b[K");
    }
}

/// "reading the logs: 512 of 1,459 MB (35%), about 2 s left".
pub fn progress_line(read: u64, total: u64, elapsed: Duration) -> String {
    let pct = read as f64 * 100.0 / total.max(1) as f64;
    let left = if read > 0 {
        let secs = elapsed.as_secs_f64() * (total.saturating_sub(read)) as f64 / read as f64;
        format!(", about {} left", crate::time::human_duration((secs * 1e6) as i64))
    } else {
        String::new()
    };
    format!("reading the logs: {:.0} of {:.0} MB ({pct:.0}%){left}", read as f64 / 1e6, total as f64 / 1e6)
}

/// What `--debug` says about the setup: the config file and the prices.
fn note_setup(config_path: Option<&Path>, prices: &PriceTable) {
    match config_path {
        Some(p) if p.exists() => tracing::debug!(target: "config", "config: {}", p.display()),
        Some(p) => tracing::debug!(target: "config", "config: defaults ({} does not exist)", p.display()),
        None => tracing::debug!(target: "config", "config: defaults"),
    }
    tracing::debug!(target: "config", "prices: {} models, {} match rules", prices.len(), prices.rules().count());
}

/// The local time zone's offset from UTC now, in seconds (for "local" days).
/// The instants a report is made for, worked out once, in one place: `now`
/// (`--now`, else the clock), when it is generated, and the local UTC offset in
/// force at `now` (so that a post-mortem across a daylight-saving change starts
/// "today" at that day's local midnight).
#[derive(Debug, Clone, Copy)]
struct When {
    now: Micros,
    generated_at: Micros,
    utc_offset: i64,
}

impl When {
    fn at(now: Option<Micros>) -> When {
        use chrono::TimeZone;
        let generated_at = wall_clock();
        let now = now.unwrap_or(generated_at);
        let utc_offset = chrono::DateTime::from_timestamp_micros(now)
            .map_or(0, |utc| i64::from(chrono::Local.offset_from_utc_datetime(&utc.naive_utc()).local_minus_utc()));
        When { now, generated_at, utc_offset }
    }
}

/// The price table: built in, then a price file (LiteLLM or genai-prices),
/// then the config's `[prices]`.
pub fn price_table(config: &Config, file: Option<&Path>) -> Result<Arc<PriceTable>> {
    let mut table = PriceTable::built_in();
    if let Some(path) = file {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read price file {}", path.display()))?;
        let source = path.display().to_string();
        table.load_file(&text, &source).with_context(|| format!("bad price file {}", path.display()))?;
    }
    for (name, p) in &config.prices {
        let price = Price {
            input: p.input,
            output: p.output,
            cache_read: p.cache_read,
            cache_write: p.cache_write,
            cache_write_1h: p.cache_write_1h,
            reasoning: p.reasoning,
            source: "config file".into(),
            as_of: String::new(),
            long_context: None,
        };
        table.set(name, price);
    }
    Ok(Arc::new(table))
}

/// `monitor --alerts`: the firing alerts, and an exit status for checkers.
fn check_alerts(logs: &[String], config: &Config, prices: Arc<PriceTable>, args: MonitorArgs) -> Result<i32> {
    use crate::alerts::{self, Severity};
    let (stdin, specs) = resolve_logs(logs)?;
    let missing: Vec<String> = specs.iter().filter_map(source::LogSpec::missing).collect();
    if !missing.is_empty() {
        // The check could not run: not OK, and not any severity either.
        let text = if args.json {
            serde_json::to_string_pretty(&serde_json::json!({ "status": "unknown", "errors": missing }))? + "\n"
        } else {
            missing.iter().map(|m| format!("UNKNOWN: {}\n", crate::sanitize::clean(m))).collect()
        };
        emit(&text, None)?;
        return Ok(ALERTS_FAILED);
    }
    let threads = args.threads.map_or_else(default_threads, usize::from);
    let fold = configured_fold(config, args.now, prices);
    let (tailer, mut fold) = crate::follow::tail::read_into(specs, fold, threads)?;
    if stdin {
        crate::follow::stdin::read_to_end(&mut fold)?;
    }
    fold.flush_transcripts();
    let when = When::at(args.now);
    let firing = alerts::evaluate(&fold.metrics, when.now, &config.thresholds(when.utc_offset));
    // Files that could not be read: what fired still fired, but "nothing fired" is
    // not known to be true.
    let unreadable = tailer.errors();
    let blind = firing.is_empty() && !unreadable.is_empty();
    let text = if args.json {
        let status = if blind { "unknown" } else { report::status_of(&firing).as_str() };
        let mut v = serde_json::json!({ "status": status, "alerts": firing });
        if !unreadable.is_empty() {
            v["errors"] = serde_json::json!(unreadable);
        }
        serde_json::to_string_pretty(&v)? + "\n"
    } else {
        firing
            .iter()
            .map(|a| {
                let since = crate::time::format_rfc3339(a.since);
                format!(
                    "{} {} {}: {} (since {since})\n",
                    a.severity.as_str().to_uppercase(),
                    a.rule.as_str(),
                    a.scope,
                    a.message
                )
            })
            .chain(unreadable.iter().map(|e| format!("UNKNOWN: {e}")))
            .map(|line| crate::sanitize::clean(line.trim_end()).into_owned() + "\n")
            .collect()
    };
    emit(&text, None)?;
    Ok(match alerts::worst(&firing) {
        None if blind => ALERTS_FAILED,
        None => 0,
        Some(Severity::Low | Severity::Medium) => 1,
        Some(Severity::High) => 2,
    })
}

/// The `--log` arguments as locations to read, and whether standard input
/// (`-`) is one of them. Standard input alone reads no default log.
fn resolve_logs(logs: &[String]) -> Result<(bool, Vec<source::LogSpec>)> {
    let (stdin, files) = crate::follow::stdin::split(logs)?;
    let specs = if stdin && files.is_empty() { Vec::new() } else { source::resolve(&files)? };
    Ok((stdin, specs))
}

/// The latest time stamp an event may carry and be believed (this machine's
/// clock plus the tolerance); none with `--now`, whose cutoff rules instead.
/// An empty fold with the config's bounds: name limits and the clock horizon.
fn configured_fold(config: &Config, now: Option<Micros>, prices: Arc<PriceTable>) -> Fold {
    let mut fold = Fold::new(now, prices);
    fold.horizon = horizon(config, now);
    fold.metrics.limits = config.limits;
    fold
}

pub fn horizon(config: &Config, now: Option<Micros>) -> Option<Micros> {
    let tolerance = i64::try_from(config.monitor.clock_tolerance.0.as_micros()).unwrap_or(i64::MAX);
    now.is_none().then(|| wall_clock().saturating_add(tolerance))
}

/// The pager of a setup, when a notify command is configured; none for the live
/// view's post-mortem (`--now`), which looks at the past and must not page.
fn pager(config: &Config, config_path: Option<&Path>, specs: &[source::LogSpec], post_mortem: bool) -> Option<Pager> {
    let command = config.notify.command.clone().filter(|_| !post_mortem)?;
    let logs: Vec<String> = specs.iter().map(source::LogSpec::describe).collect();
    Some(Pager::new(Notifier::new(command, config.notify.timeout.0), config_path, &logs))
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

fn monitor(
    logs: &[String],
    (config, config_path): (&Config, Option<&Path>),
    prices: Arc<PriceTable>,
    args: MonitorArgs,
) -> Result<()> {
    if args.follow && args.export.is_some_and(|f| f != Format::Json) {
        usage!("--follow prints one-line JSON reports: use --export json, not --export markdown");
    }
    let when = When::at(args.now);
    let thresholds = config.thresholds(when.utc_offset);
    let (stdin, specs) = resolve_logs(logs)?;
    let threads = args.threads.map_or_else(default_threads, usize::from);
    let started = Instant::now();
    let (tailer, mut fold) = with_progress(|progress| {
        let _reading = tracing::info_span!(target: "read", "first read", threads).entered();
        let fold = configured_fold(config, args.now, prices);
        crate::follow::tail::read_with_progress(specs.clone(), fold, threads, progress)
    })?;
    note_sources(&fold, &specs, started.elapsed(), threads);
    let format = args.export.unwrap_or(if args.follow { Format::Json } else { Format::Markdown });
    if !args.follow {
        if stdin {
            crate::follow::stdin::read_to_end(&mut fold)?;
        }
        // The logs will not grow now: a transcript response without its last line
        // counts with what it has.
        fold.flush_transcripts();
        // A one-shot report of a log that is not there says so at its top, and
        // the command fails: a mistyped path must not look like a quiet system.
        let missing: Vec<String> = specs.iter().filter_map(source::LogSpec::missing).collect();
        for (spec, why) in specs.iter().filter_map(|s| s.missing().map(|m| (s.describe(), m))) {
            match fold.ingest.sources.iter_mut().find(|s| s.path == spec) {
                Some(source) => source.error = Some(why),
                None => {
                    let id = fold.ingest.add_source(spec);
                    fold.ingest.sources[id].error = Some(why);
                }
            }
        }
        let text = render(&fold, when, &thresholds, format, false)?;
        emit(&text, args.output.as_deref())?;
        if !missing.is_empty() {
            bail!("{}", missing.join("; "));
        }
        // The others were read and reported; the command still fails so that a
        // cron job notices the files it could not see.
        let unreadable = tailer.errors();
        if let Some(first) = unreadable.first() {
            bail!(
                "{} of {} logs could not be read (named in the report): {first}",
                unreadable.len(),
                fold.ingest.sources.len()
            );
        }
        return Ok(());
    }
    let mut follower = Follower::new(tailer, args.poll_interval.unwrap_or(config.monitor.poll_interval.0));
    if let Some(e) = &follower.watch_error {
        eprintln!("ajentik: {e}");
    }
    let pager = pager(config, config_path, &specs, false);
    let mut book = AlertBook::default();
    let mut out = io::stdout().lock();
    let mut next = Instant::now();
    // Standard input is followed until it closes; then, if it was the only
    // log, a last report and the end.
    let mut input = stdin.then(|| (crate::follow::stdin::StdinLog::new(&mut fold), crate::follow::stdin::chunks()));
    loop {
        fold.horizon = horizon(config, args.now);
        let mut closed = false;
        if let Some((log, chunks)) = &mut input {
            loop {
                match chunks.try_recv() {
                    Ok(chunk) => log.feed(&chunk, &mut fold),
                    Err(std::sync::mpsc::TryRecvError::Empty) => break,
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                        log.close(&mut fold);
                        closed = true;
                        break;
                    }
                }
            }
        }
        if closed {
            input = None;
            if specs.is_empty() {
                next = Instant::now();
            }
        }
        let read = follower.poll(&mut fold);
        fold.flush_quiet_transcripts(fold.cutoff.unwrap_or_else(wall_clock));
        if read > 0 {
            tracing::debug!(target: "follow", "read {read} bytes; {} events", fold.metrics.events);
        }
        if Instant::now() >= next {
            let When { now, generated_at, .. } = When::at(args.now);
            let mut r = report::build(&fold, now, generated_at, &thresholds);
            let transitions = book.update(r.alerts.clone(), now);
            if let Some(p) = &pager {
                p.page(&r.alerts, &transitions, now);
            }
            r.notifications = pager.as_ref().map(Pager::stats);
            let line = serde_json::to_string(&r)?;
            match writeln!(out, "{line}").and_then(|()| out.flush()) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
                r => r.context("cannot write to standard output")?,
            }
            next += args.every;
            if stdin && input.is_none() && specs.is_empty() {
                return Ok(());
            }
        }
        // Standard input is read as it arrives, not only at the next report.
        let wake = if input.is_some() { next.min(Instant::now() + Duration::from_millis(200)) } else { next };
        follower.wait(wake);
    }
}

/// What `--debug` says of the first read: the locations, each file (at trace
/// level: there may be thousands), and the rate.
pub(crate) fn note_sources(fold: &Fold, specs: &[source::LogSpec], took: Duration, threads: usize) {
    for spec in specs {
        tracing::debug!(target: "sources", "log location: {}", spec.describe());
    }
    for s in &fold.ingest.sources {
        tracing::trace!(
            target: "sources",
            "source {}: offset {} bytes, {} lines, {} events, {} malformed",
            s.path,
            s.bytes,
            s.lines,
            s.events,
            s.malformed
        );
    }
    let bytes: u64 = fold.ingest.sources.iter().map(|s| s.bytes).sum();
    let secs = took.as_secs_f64().max(1e-9);
    tracing::debug!(
        target: "read",
        "first read: {} files, {bytes} bytes in {secs:.3}s on {threads} threads ({:.1} MB/s, {:.0} events/s)",
        fold.ingest.sources.len(),
        bytes as f64 / secs / 1e6,
        fold.metrics.events as f64 / secs
    );
}

/// Renders the report of `fold` at `when`.
fn render(fold: &Fold, when: When, thresholds: &Thresholds, format: Format, compact: bool) -> Result<String> {
    let r = report::build(fold, when.now, when.generated_at, thresholds);
    Ok(match format {
        Format::Json if compact => serde_json::to_string(&r)?,
        Format::Json => serde_json::to_string_pretty(&r)? + "\n",
        Format::Markdown => report::markdown::render(&r),
    })
}

/// Writes `text` to `path` atomically (a temporary file renamed into place), or to
/// standard output.
pub fn emit(text: &str, path: Option<&Path>) -> Result<()> {
    let Some(path) = path else {
        let mut out = io::stdout().lock();
        return match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            r => r.context("cannot write to standard output"),
        };
    };
    crate::follow::fsutil::write_atomically(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("2 weeks").is_err());
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
