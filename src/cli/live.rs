//! The live view's setup: keymap, theme, sources, the receiver beside it.

use super::*;

/// How the live view was asked for.
#[derive(Debug, Default)]
pub(super) struct Live {
    pub now: Option<Micros>,
    pub threads: Option<u16>,
    pub poll_interval: Option<Duration>,
    pub serve: bool,
}

/// Reads a user file of the config folder (a theme or keymap), if there is one.
fn user_file(kind: &str, name: &str) -> Result<Option<String>> {
    let Some(dir) = config::user_dir() else { return Ok(None) };
    let path = dir.join(kind).join(format!("{}.toml", crate::sanitize::file_name_component(name)));
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Opens the live view on the logs.
pub(super) fn live_view(
    logs: &[String],
    debug_file: Option<PathBuf>,
    (config, config_path): (&Config, Option<&PathBuf>),
    prices: Arc<PriceTable>,
    live: Live,
) -> Result<()> {
    use crate::tui::{self, keymap::Keymap, theme::Theme};
    if !io::stdout().is_terminal() {
        bail!("the live view needs a terminal: use --export or --follow to print reports");
    }
    let keymap =
        Keymap::load(&config.tui.keymap, user_file("keymaps", &config.tui.keymap)?.as_deref(), &config.tui.keys)?;
    let colour =
        tui::theme::colour_wanted(std::env::var("NO_COLOR").ok().as_deref(), std::env::var("TERM").ok().as_deref());
    let mut theme = if colour {
        let depth =
            tui::theme::colour_depth(std::env::var("COLORTERM").ok().as_deref(), std::env::var("TERM").ok().as_deref());
        Theme::load(&config.tui.theme, user_file("themes", &config.tui.theme)?.as_deref())?.degrade(depth)
    } else {
        Theme::plain()
    };
    let lang = std::env::var("LC_ALL").or_else(|_| std::env::var("LC_CTYPE")).or_else(|_| std::env::var("LANG")).ok();
    theme.unicode = tui::theme::unicode_wanted(lang.as_deref());
    let (stdin, mut specs) = resolve_logs(logs)?;
    // The receiver starts before the screen is taken, so a bad address is a plain error.
    let receiver = if live.serve {
        let log = serve_log(config, &specs)?;
        if !specs.iter().any(|spec| spec.covers(&log)) {
            specs.push(source::LogSpec::File(log.clone()));
        }
        Some(crate::receive::serve::Background::start(log, &config.serve)?)
    } else {
        None
    };
    let threads = live.threads.map_or_else(default_threads, usize::from);
    let mut fold = configured_fold(config, live.now, prices.clone());
    fold.traces = crate::traces::TraceStore::new(crate::traces::DEFAULT_MAX_TRACES);
    // The screen is the UI's: diagnostics go to `debug_file` (the reader notes
    // the first read's figures when it is done).
    tracing::debug!(
        target: "sources",
        "sources: {:?}; {threads} threads",
        specs.iter().map(source::LogSpec::describe).collect::<Vec<_>>()
    );
    let mut sources: Vec<String> = specs.iter().map(source::LogSpec::describe).collect();
    if stdin {
        sources.push(crate::follow::stdin::NAME.into());
    }
    let loading = tui::Loading {
        stdin,
        specs: specs.clone(),
        fold,
        threads,
        poll_interval: live.poll_interval.unwrap_or(config.monitor.poll_interval.0),
    };
    tui::run(tui::LiveOptions {
        loading,
        thresholds: config.thresholds(When::at(live.now).utc_offset),
        keymap,
        theme,
        now: live.now,
        reports_dir: config.monitor.reports_dir.clone(),
        sources,
        config_path: config_path.cloned().or_else(|| config::locate(None).map(|(p, _)| p)),
        pager: pager(config, config_path.map(PathBuf::as_path), &specs, live.now.is_some()),
        push_logs: logs.to_vec(),
        push_args: crate::push::PushArgs { config: config.push.clone(), ..crate::push::PushArgs::following() },
        prices,
        debug_file: debug_file.clone(),
        receiver: receiver.as_ref().map(|r| (r.http_addr.port(), r.receiver.clone())),
    })?;
    drop(receiver);
    if let Some(path) = debug_file {
        eprintln!("ajentik: diagnostics in {}", path.display());
    }
    Ok(())
}

/// Where the live view's receiver writes: `[serve] log`, else the one file given,
/// else `otlp.jsonl` in the one folder given, else the default log.
fn serve_log(config: &Config, specs: &[source::LogSpec]) -> Result<PathBuf> {
    if let Some(log) = &config.serve.log {
        return Ok(log.clone());
    }
    match specs {
        [source::LogSpec::File(file)] => Ok(file.clone()),
        [source::LogSpec::Dir(dir)] => Ok(dir.join("otlp.jsonl")),
        _ => source::default_log_path(),
    }
}
