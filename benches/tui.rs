//! The live view's costs: drawing any pane at 200x60 (target: well under a
//! millisecond) and rebuilding the view it draws from.
//! Run: `cargo bench --bench tui`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use ajentik::alerts::Thresholds;
use ajentik::fold::Fold;
use ajentik::pricing::PriceTable;
use ajentik::synth::{Generator, Settings};
use ajentik::tui::app::{App, Tab};
use ajentik::tui::keymap::Keymap;
use ajentik::tui::panes::Ctx;
use ajentik::tui::theme::Theme;
use ajentik::tui::ui;
use ajentik::tui::view::View;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let mut log = Vec::new();
    let mut generator = Generator::new(Settings { requests_per_second: 50.0, ..Settings::default() });
    generator.write_lines(&mut log, 200_000).expect("generate");
    let now = generator.now();
    let mut fold = Fold::new(None, Arc::new(PriceTable::built_in()));
    let s = fold.ingest.add_source("bench.jsonl");
    for (i, line) in log.split(|&b| b == b'\n').enumerate() {
        fold.line(s, i as u64 + 1, line);
    }
    let thresholds = Thresholds::default();
    let rounds = 200;
    let t = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(View::build(&fold, now, now, &thresholds, false));
    }
    println!("view rebuild (200k events folded):      {:>8.1} us", t.elapsed().as_secs_f64() / f64::from(rounds) * 1e6);
    let t = Instant::now();
    for _ in 0..rounds {
        let mut v = View::build(&fold, now, now, &thresholds, false);
        v.attach_sessions(&fold);
        std::hint::black_box(v);
    }
    println!("  with the Sessions tab's rows:         {:>8.1} us", t.elapsed().as_secs_f64() / f64::from(rounds) * 1e6);

    let mut view = View::build(&fold, now, now, &thresholds, false);
    view.attach_sessions(&fold);
    let keymap = Keymap::load("default", None, &BTreeMap::new()).expect("keymap");
    let theme = Theme::load("dark", None).expect("theme");
    let sources = vec!["bench.jsonl".to_owned()];
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    let mut worst: f64 = 0.0;
    for tab in Tab::ALL {
        let mut app = App::new(None, thresholds.clone());
        app.tab = tab;
        app.alerts.update(view.report.alerts.clone(), view.now);
        let frames = 500;
        let ctx = Ctx { app: &app, view: &view, theme: &theme, keymap: &keymap, sources: &sources };
        // The pane's own rendering into the frame's buffer...
        let t = Instant::now();
        for _ in 0..frames {
            terminal.current_buffer_mut().reset();
            let mut frame = terminal.get_frame();
            ui::draw(&mut frame, &ctx);
        }
        let render = t.elapsed().as_secs_f64() / f64::from(frames) * 1e6;
        // ...and a whole frame: rendering, ratatui's diff against the last
        // frame, and the (test) backend.
        let t = Instant::now();
        for _ in 0..frames {
            terminal.draw(|f| ui::draw(f, &ctx)).expect("draw");
        }
        let whole = t.elapsed().as_secs_f64() / f64::from(frames) * 1e6;
        worst = worst.max(render);
        println!("{:<9} at 200x60: render {render:>6.1} us, whole frame {whole:>6.1} us", tab.title());
    }
    println!("slowest pane to render: {worst:.1} us (target: well under 1000 us)");
}
