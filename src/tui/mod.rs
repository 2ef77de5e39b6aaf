//! The live view: a full-screen TUI over the tailing reader.
//!
//! One loop selects over terminal input, a wake-up from the tailer thread, a
//! one-second clock and termination signals. Each of them may mark the screen
//! dirty; the screen is drawn only when dirty, at most every 50 ms, so a burst of
//! lines becomes one frame and an idle ajentik draws once a second.

pub mod action;
pub mod app;
pub mod keymap;
pub mod panes;
pub mod theme;
pub mod ui;
pub mod view;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use crossterm::event::{Event, EventStream, KeyCode, KeyEventKind};
use futures_util::StreamExt;

use crate::alerts::Thresholds;
use crate::fold::Fold;
use crate::tail::Follower;
use crate::time::{Micros, wall_clock};
use app::{App, Effect, ExportFormat};
use keymap::Keymap;
use theme::Theme;
use view::View;

/// The logs to read, and how: the live view reads them in the background, so
/// that it is up at once and shows the history being read.
pub struct Loading {
    pub specs: Vec<crate::source::LogSpec>,
    /// The empty fold to read into (cutoff, prices, trace trees set).
    pub fold: Fold,
    pub threads: usize,
    pub poll_interval: Duration,
}

/// Everything the live view needs from the shell.
pub struct LiveOptions {
    pub loading: Loading,
    pub thresholds: Thresholds,
    pub keymap: Keymap,
    pub theme: Theme,
    /// Frozen at this instant (`--now`): a post-mortem.
    pub now: Option<Micros>,
    pub reports_dir: PathBuf,
    pub sources: Vec<String>,
    /// Where the thresholds editor saves.
    pub config_path: Option<PathBuf>,
    /// Pages (runs the configured command) when an alert starts firing or
    /// resolves under the thresholds in force; none for a post-mortem.
    pub pager: Option<crate::hook::Pager>,
    /// What the push key pushes: these logs (as given on the command line).
    pub push_logs: Vec<String>,
    pub push_args: crate::push::PushArgs,
    pub prices: Arc<crate::pricing::PriceTable>,
    /// Where `--debug` writes, shown in the help screen.
    pub debug_file: Option<PathBuf>,
}

/// Writes a report of `view` into `dir` with a timestamped name; returns its path.
pub fn export(view: &View, dir: &std::path::Path, format: ExportFormat) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let stamp = chrono::DateTime::from_timestamp_micros(view.now)
        .map_or_else(|| "now".into(), |t| t.format("%Y%m%d-%H%M%S").to_string());
    let (text, ext) = match format {
        ExportFormat::Markdown => (crate::report::markdown::render(&view.report), "md"),
        ExportFormat::Json => (serde_json::to_string_pretty(&view.report)? + "\n", "json"),
    };
    // Two reports in one second get two files: a report is never replaced.
    crate::fsutil::write_new(dir, &format!("ajentik-report-{stamp}"), ext, text.as_bytes())
}

/// Restores the terminal when dropped: on quit, on error, and while unwinding.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Runs the live view until the user quits or a signal arrives.
pub fn run(options: LiveOptions) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the UI")?;
    runtime.block_on(live(options))
}

async fn live(options: LiveOptions) -> Result<()> {
    let LiveOptions {
        loading,
        thresholds,
        keymap,
        theme,
        now,
        reports_dir,
        sources,
        config_path,
        pager,
        push_logs,
        push_args,
        prices,
        debug_file,
    } = options;
    let mut background_push: Option<crate::push::BackgroundPush> = None;
    let shared = Arc::new(Mutex::new(loading.fold.empty_like()));
    // The reader runs on its own thread: first the history (the UI is up
    // meanwhile, showing progress), then following; it wakes the UI when it read
    // something.
    let (wake, mut woken) = tokio::sync::mpsc::channel::<()>(1);
    let tail_fold = Arc::clone(&shared);
    let lag = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let tail_lag = Arc::clone(&lag);
    let progress = Arc::new(crate::tail::Progress::default());
    let read_progress = Arc::clone(&progress);
    let (failed_tx, failed) = std::sync::mpsc::channel::<String>();
    let read_debug = debug_file.clone();
    std::thread::spawn(move || {
        let started = Instant::now();
        let Loading { specs, fold, threads, poll_interval } = loading;
        let (tailer, fold) = match crate::tail::read_with_progress(specs, fold, threads, &read_progress) {
            Ok(read) => read,
            Err(e) => {
                let _ = failed_tx.send(format!("{e:#}"));
                read_progress.done.store(true, std::sync::atomic::Ordering::Release);
                let _ = wake.try_send(());
                return;
            }
        };
        if let Some(path) = &read_debug {
            let note = format!(
                "first read: {} events, {} bytes in {:.3}s on {threads} threads\n",
                fold.metrics.events,
                fold.ingest.sources.iter().map(|s| s.bytes).sum::<u64>(),
                started.elapsed().as_secs_f64()
            );
            let _ = std::fs::OpenOptions::new().append(true).open(path).and_then(|mut f| {
                use std::io::Write;
                f.write_all(note.as_bytes())
            });
        }
        match tail_fold.lock() {
            Ok(mut shared) => *shared = fold,
            Err(_) => return,
        }
        let mut follower = Follower::new(tailer, poll_interval);
        let _ = wake.try_send(());
        loop {
            let read = match tail_fold.lock() {
                Ok(mut f) => follower.tailer.poll(&mut f),
                Err(_) => return,
            };
            tail_lag.store(follower.tailer.lag_bytes(), std::sync::atomic::Ordering::Relaxed);
            if read > 0 && wake.try_send(()).is_err() && wake.is_closed() {
                return;
            }
            follower.wait(Instant::now() + Duration::from_secs(1));
        }
    });

    // ratatui::init enters the alternate screen and raw mode, and installs a
    // panic hook that restores the terminal before the panic is reported.
    let mut terminal = ratatui::init();
    let _guard = TerminalGuard;
    let mut app = App::new(now, thresholds);
    app.debug_file = debug_file.map(|p| p.display().to_string());
    let load_started = Instant::now();
    let mut loading_tick = tokio::time::interval(Duration::from_millis(200));
    let mut events = EventStream::new();
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let build = |app: &App, shared: &Mutex<Fold>| -> Option<View> {
        let fold = shared.lock().ok()?;
        Some(build_view(app, &fold, app.frozen.unwrap_or_else(wall_clock), wall_clock()))
    };
    let mut view = build(&app, &shared).context("the reader stopped")?;
    let (mut last_events, mut last_rate_at) = (view.report.ingest.events, Instant::now());
    let mut stale = false;
    let mut dirty = true;
    let mut last_draw = Instant::now() - Duration::from_secs(1);
    loop {
        if let Ok(message) = failed.try_recv() {
            return Err(anyhow::anyhow!(message));
        }
        let (read, total, done) = progress.get();
        let loading_now =
            (!done).then(|| (read, total, crate::cli::progress_line(read, total, load_started.elapsed())));
        if loading_now.is_some() || app.loading.is_some() {
            // The history just finished: rebuild at once, even when frozen.
            if loading_now.is_none() {
                stale_rebuild(&app, &shared, &build, &mut view);
            }
            app.loading = loading_now;
            dirty = true;
        }
        if stale && app.frozen.is_none() {
            if let Some(v) = build(&app, &shared) {
                let elapsed = last_rate_at.elapsed().as_secs_f64();
                let events_now = v.report.ingest.events;
                let rate = if elapsed >= 0.5 {
                    let r = events_now.saturating_sub(last_events) as f64 / elapsed;
                    (last_events, last_rate_at) = (events_now, Instant::now());
                    r
                } else {
                    view.events_per_second
                };
                view = v;
                view.events_per_second = rate;
                view.lag_bytes = lag.load(std::sync::atomic::Ordering::Relaxed);
                let transitions = app.alerts.update(view.alerts_in_force.clone(), view.now);
                if let Some(p) = &pager {
                    p.page(&view.alerts_in_force, &transitions, view.now);
                }
                app.notify = pager.as_ref().map(crate::hook::Pager::stats);
                app.push = background_push.as_ref().map(crate::push::BackgroundPush::state);
            }
            stale = false;
            dirty = true;
        }
        if dirty && last_draw.elapsed() >= Duration::from_millis(50) {
            let ctx = panes::Ctx { app: &app, view: &view, theme: &theme, keymap: &keymap, sources: &sources };
            terminal.draw(|f| ui::draw(f, &ctx))?;
            last_draw = Instant::now();
            dirty = false;
        }
        let redraw_in = Duration::from_millis(50).saturating_sub(last_draw.elapsed());
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    dirty = true;
                    app.status = None;
                    if app.typing() {
                        match key.code {
                            KeyCode::Char(c) if !key.modifiers.contains(crossterm::event::KeyModifiers::CONTROL) && app.type_char(c) => {
                                stale_rebuild(&app, &shared, &build, &mut view);
                                continue;
                            }
                            KeyCode::Backspace => {
                                app.backspace();
                                stale_rebuild(&app, &shared, &build, &mut view);
                                continue;
                            }
                            _ => {}
                        }
                    }
                    if let Some(action) = keymap.action(&key) {
                        match app.handle(action, &view) {
                            Some(Effect::Export(format)) => {
                                app.status = Some(match export(&view, &reports_dir, format) {
                                    Ok(path) => format!("wrote {}", path.display()),
                                    Err(e) => format!("{e:#}"),
                                });
                            }
                            Some(Effect::Refresh) => stale_rebuild(&app, &shared, &build, &mut view),
                            Some(Effect::TogglePush) => {
                                if background_push.take().is_some() {
                                    app.status = Some("push stopped (its cursors are kept)".into());
                                } else {
                                    let args = push_args.clone();
                                    let push = crate::push::BackgroundPush::start(push_logs.clone(), args, prices.clone());
                                    background_push = Some(push);
                                }
                                app.push = background_push.as_ref().map(crate::push::BackgroundPush::state);
                            }
                            Some(Effect::SaveThresholds(t)) => {
                                app.status = Some(match &config_path {
                                    Some(path) => match crate::config::save_thresholds(path, &t) {
                                        Ok(()) => format!("thresholds saved to {}", path.display()),
                                        Err(e) => format!("{e:#}"),
                                    },
                                    None => "no config file location: thresholds kept for this session only".into(),
                                });
                                stale_rebuild(&app, &shared, &build, &mut view);
                            }
                            None => {}
                        }
                    }
                    if app.quit {
                        return Ok(());
                    }
                }
                Some(Ok(Event::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e).context("cannot read the terminal"),
                None => return Ok(()),
            },
            Some(()) = woken.recv() => stale = true,
            _ = clock.tick() => stale = true,
            _ = loading_tick.tick(), if app.loading.is_some() => {}
            _ = hangup.recv() => return Ok(()),
            _ = terminate.recv() => return Ok(()),
            () = tokio::time::sleep(redraw_in), if dirty => {}
        }
    }
}

/// The view of `fold` at `at` for the app's state. While the thresholds editor
/// previews a draft, the view shows the draft's alerts; `alerts_in_force`, which
/// feed the alert book and the pages, follow the thresholds in force.
pub fn build_view(app: &App, fold: &Fold, at: Micros, generated_at: Micros) -> View {
    let mut view = View::build(fold, at, generated_at, app.effective_thresholds(), app.frozen.is_some());
    if app.editor.is_some() {
        view.alerts_in_force = crate::alerts::evaluate(&fold.metrics, at, &app.thresholds);
    }
    if let Some(id) = app.open_trace {
        view.attach_trace(fold, id);
    }
    view
}

/// Rebuilds the view now, keeping the measured event rate.
fn stale_rebuild(
    app: &App,
    shared: &Mutex<Fold>,
    build: &impl Fn(&App, &Mutex<Fold>) -> Option<View>,
    view: &mut View,
) {
    if let Some(mut v) = build(app, shared) {
        v.events_per_second = view.events_per_second;
        *view = v;
    }
}

#[cfg(test)]
mod tests;
