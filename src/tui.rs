//! The live view: a full-screen TUI over the tailing reader.
//!
//! One loop selects over terminal input, a wake-up from the tailer thread, a
//! one-second clock and termination signals. Each of them may mark the screen
//! dirty; the screen is drawn only when dirty, at most every 50 ms, so a burst of
//! lines becomes one frame and an idle ajentik draws once a second.

pub mod action;
pub mod app;
pub mod columns;
pub mod keymap;
pub mod markdown;
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
use crate::follow::tail::Follower;
use crate::time::{Micros, wall_clock};
use app::{App, Effect, ExportFormat};
use keymap::Keymap;
use theme::Theme;
use view::View;

/// The logs to read, and how: the live view reads them in the background, so
/// that it is up at once and shows the history being read.
pub struct Loading {
    /// Standard input is one of the logs (`--log -`).
    pub stdin: bool,
    pub specs: Vec<crate::follow::source::LogSpec>,
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
    /// The OTLP receiver running beside the view (`--serve`): its port and counters.
    pub receiver: Option<(u16, Arc<crate::receive::Receiver>)>,
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
    crate::follow::fsutil::write_new(dir, &format!("ajentik-report-{stamp}"), ext, text.as_bytes())
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
        receiver,
    } = options;
    let (wake, mut woken) = tokio::sync::mpsc::channel::<()>(1);
    let reader = Reader::spawn(loading, wake);
    let mut shell =
        Shell { reports_dir, config_path, pager, push_logs, push_args, prices, background_push: None, receiver };

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
    let mut view = reader.view(&app).context("the reader stopped")?;
    let mut rate = Rate { events: view.report.ingest.events, received: 0, at: Instant::now() };
    let (mut stale, mut dirty) = (false, true);
    let mut last_draw = Instant::now() - Duration::from_secs(1);
    loop {
        if let Ok(message) = reader.failed.try_recv() {
            return Err(anyhow::anyhow!(message));
        }
        dirty |= reader.show_progress(&mut app, &mut view, load_started);
        if stale && app.frozen.is_none() {
            if let Some(v) = reader.view(&app) {
                view = shell.refresh(&mut app, v, &view, &mut rate, reader.lag());
            }
            stale = false;
            dirty = true;
        }
        if dirty && last_draw.elapsed() >= Duration::from_millis(50) {
            if app.post_mortem {
                // A post-mortem is never refreshed (nor paged): its alerts reach
                // the book, which the Alerts tab lists, here.
                app.alerts.update(view.alerts_in_force.clone(), view.now);
            }
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
                    if on_key(&key, &keymap, &mut app, &mut view, &reader, &mut shell) {
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

/// The reader thread's side, as the UI sees it: the shared fold, how far the
/// history has been read, the lag, and a failure to report.
struct Reader {
    shared: Arc<Mutex<Fold>>,
    lag: Arc<std::sync::atomic::AtomicU64>,
    progress: Arc<crate::follow::tail::Progress>,
    failed: std::sync::mpsc::Receiver<String>,
}

impl Reader {
    /// Starts the reader: first the history (the UI is up meanwhile, showing
    /// progress), then following; it wakes the UI when it read something.
    fn spawn(loading: Loading, wake: tokio::sync::mpsc::Sender<()>) -> Reader {
        let shared = Arc::new(Mutex::new(loading.fold.empty_like()));
        let lag = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let progress = Arc::new(crate::follow::tail::Progress::default());
        let (failed_tx, failed) = std::sync::mpsc::channel::<String>();
        let (tail_fold, tail_lag, read_progress) = (Arc::clone(&shared), Arc::clone(&lag), Arc::clone(&progress));
        std::thread::spawn(move || {
            let started = Instant::now();
            let Loading { stdin, specs, fold, threads, poll_interval } = loading;
            let specs_for_notes = specs.clone();
            let tolerance = fold.horizon.map_or(0, |h| h - wall_clock());
            let reading = tracing::info_span!(target: "read", "first read", threads).entered();
            let read = crate::follow::tail::read_with_progress(specs, fold, threads, &read_progress);
            drop(reading);
            let (tailer, fold) = match read {
                Ok(read) => read,
                Err(e) => {
                    let _ = failed_tx.send(format!("{e:#}"));
                    read_progress.done.store(true, std::sync::atomic::Ordering::Release);
                    let _ = wake.try_send(());
                    return;
                }
            };
            crate::cli::note_sources(&fold, &specs_for_notes, started.elapsed(), threads);
            match tail_fold.lock() {
                Ok(mut shared) => *shared = fold,
                Err(_) => return,
            }
            if stdin {
                follow_stdin(Arc::clone(&tail_fold), wake.clone());
            }
            let mut follower = Follower::new(tailer, poll_interval);
            let _ = wake.try_send(());
            loop {
                let read = match tail_fold.lock() {
                    Ok(mut f) => {
                        // The horizon moves with the clock (the tolerance past it).
                        if let (Some(h), None) = (f.horizon, f.cutoff) {
                            f.horizon = Some(h.max(wall_clock() + tolerance));
                        }
                        let read = follower.poll(&mut f);
                        let now = f.cutoff.unwrap_or_else(wall_clock);
                        f.flush_quiet_transcripts(now);
                        read
                    }
                    Err(_) => return,
                };
                tail_lag.store(follower.tailer.lag_bytes(), std::sync::atomic::Ordering::Relaxed);
                if read > 0 && wake.try_send(()).is_err() && wake.is_closed() {
                    return;
                }
                follower.wait(Instant::now() + Duration::from_secs(1));
            }
        });
        Reader { shared, lag, progress, failed }
    }

    /// The view for the app's state now; `None` if the reader died holding the fold.
    fn view(&self, app: &App) -> Option<View> {
        let fold = self.shared.lock().ok()?;
        Some(build_view(app, &fold, app.frozen.unwrap_or_else(wall_clock), wall_clock()))
    }

    /// Rebuilds `view` now, keeping the measured event rate.
    fn rebuild(&self, app: &App, view: &mut View) {
        if let Some(mut v) = self.view(app) {
            v.events_per_second = view.events_per_second;
            *view = v;
        }
    }

    fn lag(&self) -> u64 {
        self.lag.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Puts the history's progress in the app; when it just finished, rebuilds
    /// the view at once (even frozen). Returns whether anything changed.
    fn show_progress(&self, app: &mut App, view: &mut View, started: Instant) -> bool {
        let (read, total, done) = self.progress.get();
        let loading = (!done).then(|| (read, total, crate::cli::progress_line(read, total, started.elapsed())));
        if loading.is_none() && app.loading.is_none() {
            return false;
        }
        if loading.is_none() {
            self.rebuild(app, view);
        }
        app.loading = loading;
        true
    }
}

/// Follows standard input into the shared fold until it closes, waking the UI
/// at each chunk. (Keys come from the terminal, /dev/tty, meanwhile.)
fn follow_stdin(shared: Arc<Mutex<Fold>>, wake: tokio::sync::mpsc::Sender<()>) {
    std::thread::spawn(move || {
        let Ok(mut log) = shared.lock().map(|mut f| crate::follow::stdin::StdinLog::new(&mut f)) else { return };
        let mut failure = None;
        for chunk in crate::follow::stdin::chunks() {
            let Ok(mut f) = shared.lock() else { return };
            match chunk {
                Ok(chunk) => log.feed(&chunk, &mut f),
                Err(message) => failure = Some(message),
            }
            drop(f);
            let _ = wake.try_send(());
        }
        if let Ok(mut f) = shared.lock() {
            log.close(&mut f);
            log.fail(&mut f, failure.unwrap_or_else(|| "stdin closed: nothing more will arrive".into()));
        }
        let _ = wake.try_send(());
    });
}

/// Events read a second, measured between refreshes at least half a second apart.
struct Rate {
    events: u64,
    /// Spans and log records the receiver had taken (with `--serve`).
    received: u64,
    at: Instant,
}

/// What the live view does outside the app's pure state: reports, the config
/// file, pages, the background push.
struct Shell {
    reports_dir: PathBuf,
    config_path: Option<PathBuf>,
    pager: Option<crate::hook::Pager>,
    push_logs: Vec<String>,
    push_args: crate::push::PushArgs,
    prices: Arc<crate::pricing::PriceTable>,
    background_push: Option<crate::push::BackgroundPush>,
    receiver: Option<(u16, Arc<crate::receive::Receiver>)>,
}

impl Shell {
    /// Takes a freshly built view: the event rate, the lag, the alert book and
    /// the pages for what changed, the hook's and the push's state.
    fn refresh(&self, app: &mut App, mut view: View, old: &View, rate: &mut Rate, lag: u64) -> View {
        let elapsed = rate.at.elapsed().as_secs_f64();
        let events = view.report.ingest.events;
        let received = self.receiver.as_ref().map_or(0, |(_, r)| r.received());
        if elapsed >= 0.5 {
            view.events_per_second = events.saturating_sub(rate.events) as f64 / elapsed;
            app.serve = self.receiver.as_ref().map(|(port, r)| crate::tui::app::ServeState {
                port: *port,
                per_second: received.saturating_sub(rate.received) as f64 / elapsed,
                failed_writes: r.stats.write_failures.load(std::sync::atomic::Ordering::Relaxed),
            });
            *rate = Rate { events, received, at: Instant::now() };
        } else {
            view.events_per_second = old.events_per_second;
        }
        view.lag_bytes = lag;
        let transitions = app.alerts.update(view.alerts_in_force.clone(), view.now);
        if let Some(p) = &self.pager {
            p.page(&view.alerts_in_force, &transitions, view.now);
        }
        app.notify = self.pager.as_ref().map(crate::hook::Pager::stats);
        app.push = self.background_push.as_ref().map(crate::push::BackgroundPush::state);
        view
    }

    /// Carries out what an action asked for; returns whether the view must be rebuilt.
    fn apply(&mut self, effect: Effect, app: &mut App, view: &View) -> bool {
        match effect {
            Effect::Export(format) => {
                match export(view, &self.reports_dir, format) {
                    Ok(path) => {
                        app.status = Some(format!("wrote {}", path.display()));
                        // Shown at once: the Markdown of the same report, whichever
                        // format was written.
                        app.report = Some(crate::tui::app::ReportOverlay {
                            path: path.display().to_string(),
                            markdown: crate::report::markdown::render(&view.report),
                            scroll: 0,
                        });
                    }
                    Err(e) => app.status = Some(format!("{e:#}")),
                }
                false
            }
            Effect::Copy(text) => {
                // OSC 52: the terminal (local, or at the far end of SSH) puts it on
                // its clipboard; terminals that do not support it ignore it.
                use base64::Engine;
                use std::io::Write;
                let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
                let mut out = std::io::stdout();
                let _ = write!(out, "\x1b]52;c;{encoded}\x07").and_then(|()| out.flush());
                app.status = Some(format!("copied {} to the clipboard (OSC 52)", crate::sanitize::clean(&text)));
                false
            }
            Effect::Refresh => true,
            Effect::TogglePush => {
                if self.background_push.take().is_some() {
                    app.status = Some("push stopped (its cursors are kept)".into());
                } else {
                    let push = crate::push::BackgroundPush::start(
                        self.push_logs.clone(),
                        self.push_args.clone(),
                        self.prices.clone(),
                    );
                    self.background_push = Some(push);
                }
                app.push = self.background_push.as_ref().map(crate::push::BackgroundPush::state);
                false
            }
            Effect::SaveThresholds(t) => {
                app.status = Some(match &self.config_path {
                    Some(path) => match crate::config::save_thresholds(path, &t) {
                        Ok(()) => format!("thresholds saved to {}", path.display()),
                        Err(e) => format!("{e:#}"),
                    },
                    None => "no config file location: thresholds kept for this session only".into(),
                });
                true
            }
        }
    }
}

/// A key: typed into the filter or the editor, else the keymap's action and
/// its effect. Returns whether to quit.
fn on_key(
    key: &crossterm::event::KeyEvent,
    keymap: &Keymap,
    app: &mut App,
    view: &mut View,
    reader: &Reader,
    shell: &mut Shell,
) -> bool {
    app.status = None;
    if app.typing() {
        let typed = match key.code {
            KeyCode::Char(c) if !key.modifiers.contains(crossterm::event::KeyModifiers::CONTROL) => app.type_char(c),
            KeyCode::Backspace => {
                app.backspace();
                true
            }
            _ => false,
        };
        if typed {
            reader.rebuild(app, view);
            return false;
        }
    }
    if let Some(action) = keymap.action(key)
        && let Some(effect) = app.handle(action, view)
        && shell.apply(effect, app, view)
    {
        reader.rebuild(app, view);
    }
    app.quit
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
    if app.tab == app::Tab::Sessions {
        view.attach_sessions(fold);
    }
    view
}

#[cfg(test)]
mod tests;
