//! The writer benchmark: events per second appended through the Rust recorder,
//! from one thread, from 8 threads, and batched, and the cost of one
//! `monitor_operation` guard. Run: `cargo bench --bench writer`.
//! Targets: one un-batched append well under 10 microseconds; batched above a
//! million events per second.

use std::time::{Duration, Instant};

use ajentik::recorder::{Batching, Recorder, RecorderOptions, Sampling};

fn rate(label: &str, events: u64, took: Duration) {
    let per_event = took.as_secs_f64() / events as f64;
    println!("{label:<44} {:>10.0} events/s  {:>7.2} us an event", events as f64 / took.as_secs_f64(), per_event * 1e6);
}

fn best_of<F: FnMut() -> Duration>(rounds: usize, mut f: F) -> Duration {
    (0..rounds).map(|_| f()).min().unwrap_or_default()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("ajentik-writer-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench dir");
    let n: u64 = 200_000;

    let path = dir.join("single.jsonl");
    let rec = Recorder::open(&path).expect("open");
    let took = best_of(3, || {
        let t = Instant::now();
        for i in 0..n {
            let _ = rec.tool_call("web_search", i % 50 != 0, Duration::from_micros(i)).agent("ResearchAgent").record();
        }
        t.elapsed()
    });
    rate("1 thread, one append per event", n, took);

    let path = dir.join("threads.jsonl");
    let rec = Recorder::open(&path).expect("open");
    let took = best_of(3, || {
        let t = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..8 {
                let rec = rec.clone();
                s.spawn(move || {
                    for i in 0..n / 8 {
                        let _ = rec.model_call("gpt-4o", true, Duration::from_micros(i)).tokens(100, 20).record();
                    }
                });
            }
        });
        t.elapsed()
    });
    rate("8 threads, one append per event", n, took);

    let path = dir.join("batched.jsonl");
    let options = RecorderOptions {
        sampling: Sampling::default(),
        batching: Some(Batching { max_events: 1000, max_delay: Duration::from_millis(100) }),
    };
    let rec = Recorder::with_options(&path, options).expect("open");
    let batched = 1_000_000;
    let took = best_of(3, || {
        let t = Instant::now();
        for i in 0..batched {
            let _ = rec.agent_request("ChatAgent", true, Duration::from_micros(i)).tokens(250).record();
        }
        let _ = rec.flush();
        t.elapsed()
    });
    rate("1 thread, batched by 1000", batched, took);

    let path = dir.join("operations.jsonl");
    let rec = Recorder::open(&path).expect("open");
    let ops = 100_000;
    let took = best_of(3, || {
        let t = Instant::now();
        for _ in 0..ops {
            let _op = rec.monitor_operation("handle_request").agent("ChatAgent").start();
        }
        t.elapsed()
    });
    rate("monitor_operation guard (start, drop, write)", ops, took);

    // The tracing layer (issue 16): a rig-shaped `chat` span, its usage recorded
    // after the response, closed and written. Target: at most 5 us.
    #[cfg(feature = "tracing")]
    {
        use tracing_subscriber::layer::SubscriberExt;
        for (label, batching) in [
            ("tracing layer: a closed GenAI chat span", None),
            (
                "tracing layer, batched by 1000",
                Some(Batching { max_events: 1000, max_delay: Duration::from_millis(100) }),
            ),
        ] {
            let path = dir.join("layer.jsonl");
            let rec = Recorder::with_options(&path, RecorderOptions { sampling: Sampling::default(), batching })
                .expect("open");
            let layer = ajentik::AjentikLayer::new(rec.clone(), ajentik::LayerOptions::default());
            let spans = 100_000;
            let took = tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
                best_of(3, || {
                    let t = Instant::now();
                    for i in 0..spans {
                        let chat = tracing::info_span!(
                            target: "rig::completions",
                            "chat",
                            gen_ai.operation.name = "chat",
                            gen_ai.provider.name = "openai",
                            gen_ai.request.model = "gpt-4o",
                            gen_ai.usage.input_tokens = tracing::field::Empty,
                            gen_ai.usage.output_tokens = tracing::field::Empty,
                        );
                        chat.record("gen_ai.usage.input_tokens", 1000 + i);
                        chat.record("gen_ai.usage.output_tokens", 200u64);
                    }
                    let _ = rec.flush();
                    t.elapsed()
                })
            });
            rate(label, spans, took);
        }
    }

    let _ = std::fs::remove_dir_all(&dir);
}
