//! The command line: the commands' shells (their arguments are in `args.rs`).

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::alerts::{AlertBook, Thresholds};
use crate::config::{self, Config};
use crate::fold::Fold;
use crate::follow::source;
use crate::follow::tail::{Follower, read_into};
use crate::hook::{Notifier, Pager};
use crate::pricing::{Price, PriceTable};
use crate::report;
use crate::time::{Micros, wall_clock};

mod args;
mod live;
mod synthetic;

pub use args::*;

use live::{Live, live_view};
use synthetic::{demo, generate};

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
    let config_file = cli.config.as_deref();
    match cli.command {
        Some(Command::Monitor(args)) => {
            monitor_command(&cli.logs, config_file, cli.prices.as_deref(), args, debug_file)
        }
        Some(Command::Config(ConfigCommand::Init)) => config_init(config_file).map(|()| 0),
        Some(Command::Config(ConfigCommand::PrintDefault)) => emit(config::DEFAULT_TOML, None).map(|()| 0),
        Some(Command::Config(ConfigCommand::Path)) => config_path(config_file).map(|()| 0),
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ajentik", &mut out);
            emit(&String::from_utf8_lossy(&out), None).map(|()| 0)
        }
        Some(Command::Man) => {
            use clap::CommandFactory;
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut out).context("cannot render the manual page")?;
            emit(&String::from_utf8_lossy(&out), None).map(|()| 0)
        }
        Some(Command::Prices(args)) => prices_command(config_file, cli.prices.as_deref(), &args.models),
        Some(Command::Generate(args)) => generate(&cli.logs, args).map(|()| 0),
        Some(Command::Push(args)) => push_command(&cli.logs, config_file, cli.prices.as_deref(), args).map(|()| 0),
        Some(Command::Serve(args)) => {
            let (config, _) = config::load(config_file)?;
            let settings = args.over(&config.serve);
            let log = match (&cli.logs[..], &settings.log) {
                ([], Some(log)) => log.clone(),
                (logs, _) => crate::emit::target(logs, "serve")?,
            };
            crate::receive::serve::run(log, &settings)
        }
        Some(Command::Emit(command)) => crate::emit::run(&cli.logs, command).map(|()| 0),
        Some(Command::Demo(args)) => {
            let (config, config_path) = config::load(config_file)?;
            demo(&cli.logs, (&config, config_path.as_ref()), args).map(|()| 0)
        }
        Some(Command::Version) => version(config_file).map(|()| 0),
        None if io::stdout().is_terminal() => {
            let (config, config_path, prices) = monitor_setup(config_file, cli.prices.as_deref())?;
            live_view(&cli.logs, debug_file, (&config, config_path.as_ref()), prices, Live::default()).map(|()| 0)
        }
        None => {
            use clap::CommandFactory;
            Cli::command().print_help()?;
            Ok(0)
        }
    }
}

/// `ajentik monitor`: the check of `--alerts`, the live view of `--live`, or
/// the report.
fn monitor_command(
    logs: &[String],
    config_file: Option<&Path>,
    prices_file: Option<&Path>,
    args: MonitorArgs,
    debug_file: Option<PathBuf>,
) -> Result<i32> {
    let (config, config_path, prices) = monitor_setup(config_file, prices_file)?;
    if args.alerts {
        check_alerts(logs, &config, prices, args)
    } else if args.live {
        let live = Live {
            now: args.now,
            threads: args.threads,
            poll_interval: args.poll_interval,
            serve: args.serve || config.serve.enabled,
        };
        live_view(logs, debug_file, (&config, config_path.as_ref()), prices, live).map(|()| 0)
    } else {
        monitor(logs, (&config, config_path.as_deref()), prices, args).map(|()| 0)
    }
}

/// What watching logs needs, for `monitor` and for `ajentik` alone (the live
/// view): the config (and where it was looked for), with its limit of open
/// files in force, and the price table; both noted in the diagnostics.
fn monitor_setup(
    config_file: Option<&Path>,
    prices_file: Option<&Path>,
) -> Result<(Config, Option<PathBuf>, Arc<PriceTable>)> {
    let (config, config_path) = config::load(config_file)?;
    crate::follow::tail::set_max_open_files(config.monitor.max_open_files);
    let prices = price_table(&config, prices_file)?;
    note_setup(config_path.as_deref(), &prices);
    Ok((config, config_path, prices))
}

/// `ajentik config init`: writes the default config where it is looked for
/// (or at `--config`), never over an existing file.
fn config_init(config_file: Option<&Path>) -> Result<()> {
    let path = match config_file {
        Some(p) => p.to_path_buf(),
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
    Ok(())
}

/// `ajentik config path`: where the config is read from, and whether it is there.
fn config_path(config_file: Option<&Path>) -> Result<()> {
    let (_, path) = config::load(config_file)?;
    match path {
        Some(p) if p.exists() => println!("{}", p.display()),
        Some(p) => println!("{} (does not exist: defaults apply)", p.display()),
        None => println!("(no config location: defaults apply)"),
    }
    Ok(())
}

/// `ajentik prices [MODEL...]`: the price table, or how each model is priced
/// (exit status 1 when one is not).
fn prices_command(config_file: Option<&Path>, prices_file: Option<&Path>, models: &[String]) -> Result<i32> {
    let (config, _) = config::load(config_file)?;
    let prices = price_table(&config, prices_file)?;
    if models.is_empty() {
        emit(&crate::pricing::listing::table(&prices), None)?;
        return Ok(0);
    }
    let (text, all_priced) = crate::pricing::listing::explain(&prices, models);
    emit(&text, None)?;
    Ok(if all_priced { 0 } else { 1 })
}

/// `ajentik push`: the logs' traces to an OTLP endpoint, then a summary.
fn push_command(
    logs: &[String],
    config_file: Option<&Path>,
    prices_file: Option<&Path>,
    mut args: crate::push::PushArgs,
) -> Result<()> {
    let (config, _) = config::load(config_file)?;
    args.config = config.push.clone();
    let prices = price_table(&config, prices_file)?;
    let pushed = with_progress(|progress| crate::push::run(logs, &args, prices, crate::time::wall_clock(), progress))?;
    println!("{}", crate::push::summary(&pushed, args.endpoint.as_deref().unwrap_or("the configured endpoint")));
    Ok(())
}

/// `ajentik version`; with `--debug`, the schema, the default log and the
/// push setup too.
fn version(config_file: Option<&Path>) -> Result<()> {
    println!("ajentik {}", env!("CARGO_PKG_VERSION"));
    if tracing::enabled!(target: "config", tracing::Level::DEBUG) {
        tracing::debug!(target: "config", "event log schema v{}", crate::ingest::v1::SCHEMA_VERSION);
        tracing::debug!(target: "config", "default log: {}", source::default_log_path()?.display());
        // A broken config file should not hide the version: defaults then.
        let push_config = config::load(config_file).map(|(c, _)| c.push).unwrap_or_default();
        for line in crate::push::describe_setup(&push_config) {
            tracing::debug!(target: "push", "{line}");
        }
    }
    Ok(())
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
            web_search: p.web_search,
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
    fold.metrics.set_limits(config.limits);
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
        let missing: Vec<String> = specs.iter().filter_map(source::LogSpec::missing).collect();
        let text = one_shot_report(&mut fold, &specs, when, &thresholds, format)?;
        emit(&text, args.output.as_deref())?;
        return one_shot_status(&tailer, &fold, &missing);
    }
    let follower = Follower::new(tailer, args.poll_interval.unwrap_or(config.monitor.poll_interval.0));
    if let Some(e) = &follower.watch_error {
        eprintln!("ajentik: {e}");
    }
    let pager = pager(config, config_path, &specs, false);
    let reports = Reports { now: args.now, every: args.every, thresholds: &thresholds, pager: pager.as_ref() };
    follow_reports(follower, fold, config, &specs, stdin, reports)
}

/// The report of logs read to their end: what will not grow now is counted as
/// it is, and a log that is not there is named at the report's top.
fn one_shot_report(
    fold: &mut Fold,
    specs: &[source::LogSpec],
    when: When,
    thresholds: &Thresholds,
    format: Format,
) -> Result<String> {
    // The logs will not grow now: a transcript response without its last line
    // counts with what it has.
    fold.flush_transcripts();
    // A one-shot report of a log that is not there says so at its top, and
    // the command fails: a mistyped path must not look like a quiet system.
    for (spec, why) in specs.iter().filter_map(|s| s.missing().map(|m| (s.describe(), m))) {
        match fold.ingest.sources.iter_mut().find(|s| s.path == spec) {
            Some(source) => source.error = Some(why),
            None => {
                let id = fold.ingest.add_source(spec);
                fold.ingest.sources[id].error = Some(why);
            }
        }
    }
    render(fold, when, thresholds, format, false)
}

/// A one-shot report's exit: an error where a log was `missing` or could not
/// be read (the report, written before, names them), so that a cron job
/// notices the files it could not see.
fn one_shot_status(tailer: &crate::follow::tail::Tailer, fold: &Fold, missing: &[String]) -> Result<()> {
    if !missing.is_empty() {
        bail!("{}", missing.join("; "));
    }
    let unreadable = tailer.errors();
    if let Some(first) = unreadable.first() {
        bail!(
            "{} of {} logs could not be read (named in the report): {first}",
            unreadable.len(),
            fold.ingest.sources.len()
        );
    }
    Ok(())
}

/// How `monitor --follow` reports: a JSON line every `every`, alerts paged.
struct Reports<'a> {
    now: Option<Micros>,
    every: Duration,
    thresholds: &'a Thresholds,
    pager: Option<&'a Pager>,
}

/// `monitor --follow`: follows the logs (and standard input, until it
/// closes), writing a report line every `reports.every`; ends when standard
/// output does, or when standard input was the only log and has closed.
fn follow_reports(
    mut follower: Follower,
    mut fold: Fold,
    config: &Config,
    specs: &[source::LogSpec],
    stdin: bool,
    reports: Reports<'_>,
) -> Result<()> {
    let mut book = AlertBook::default();
    let mut out = io::stdout().lock();
    let mut next = Instant::now();
    // Standard input is followed until it closes; then, if it was the only
    // log, a last report and the end.
    let mut input = stdin.then(|| (crate::follow::stdin::StdinLog::new(&mut fold), crate::follow::stdin::chunks()));
    loop {
        fold.horizon = horizon(config, reports.now);
        if let Some((log, chunks)) = &mut input
            && drain_stdin(log, chunks, &mut fold)
        {
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
            let When { now, generated_at, .. } = When::at(reports.now);
            let mut r = report::build(&fold, now, generated_at, reports.thresholds);
            let transitions = book.update(r.alerts.clone(), now);
            if let Some(p) = reports.pager {
                p.page(&r.alerts, &transitions, now);
            }
            r.notifications = reports.pager.map(Pager::stats);
            let line = serde_json::to_string(&r)?;
            match writeln!(out, "{line}").and_then(|()| out.flush()) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
                r => r.context("cannot write to standard output")?,
            }
            next += reports.every;
            if stdin && input.is_none() && specs.is_empty() {
                return Ok(());
            }
        }
        // Standard input is read as it arrives, not only at the next report.
        let wake = if input.is_some() { next.min(Instant::now() + Duration::from_millis(200)) } else { next };
        follower.wait(wake);
    }
}

/// Folds what standard input has sent so far; true once it has closed.
fn drain_stdin(
    log: &mut crate::follow::stdin::StdinLog,
    chunks: &std::sync::mpsc::Receiver<Result<Vec<u8>, String>>,
    fold: &mut Fold,
) -> bool {
    loop {
        match chunks.try_recv() {
            Ok(Ok(chunk)) => log.feed(&chunk, fold),
            Ok(Err(message)) => log.fail(fold, message),
            Err(std::sync::mpsc::TryRecvError::Empty) => return false,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                log.close(fold);
                return true;
            }
        }
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
