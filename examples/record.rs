//! Recording an agent's work with the ajentik library.
//!
//! Run: `cargo run --example record -- /tmp/events.jsonl`, then
//! `cargo run -- monitor --log /tmp/events.jsonl`.

use std::time::Duration;

use ajentik::recorder::{Batching, Recorder, RecorderOptions, Sampling};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The log ajentik reads by default, unless a path is given.
    let rec = match std::env::args().nth(1) {
        Some(path) => Recorder::open(path)?,
        None => Recorder::open_default()?,
    };

    // The user guide's calls.
    rec.record_agent_request("CustomAgent", true, Duration::from_millis(1500), Some(250), Some(0.05))?;
    rec.record_tool_usage("web_search", Some("ResearchAgent"), true, Duration::from_millis(800))?;
    let mut context = serde_json::Map::new();
    context.insert("input_size".into(), 1000.into());
    rec.record_error("DataProcessor", "ValidationError", "Invalid input format", Some(context))?;

    // Builders for the optional fields.
    rec.model_call("gpt-4o", true, Duration::from_millis(1200))
        .provider("openai")
        .agent("ChatAgent")
        .tokens(180, 70)
        .record()?;

    // An operation, timed, with the records made inside it in its trace.
    {
        let op = rec
            .monitor_operation("user_request")
            .agent("ChatAgent")
            .attr("user_id", "u-17")
            .attr("priority", "high")
            .start();
        {
            let _model = rec.monitor_operation("model_api_call").start();
            std::thread::sleep(Duration::from_millis(20));
        }
        rec.agent_request("ChatAgent", true, Duration::from_millis(25)).tokens(300).record()?;
        println!("trace {}", op.trace_id());
    }

    // A heartbeat says this process is alive and which agents it runs.
    rec.heartbeat("example").agents(&["ChatAgent", "CustomAgent"]).record()?;

    // A busy agent can sample and batch.
    let busy = Recorder::with_options(
        rec.path(),
        RecorderOptions {
            sampling: Sampling { tool_calls: 0.1, ..Sampling::default() },
            batching: Some(Batching { max_events: 500, max_delay: Duration::from_millis(200) }),
        },
    )?;
    for i in 0..1000 {
        busy.tool_call("cache_lookup", i % 100 != 0, Duration::from_micros(300)).record()?;
    }
    busy.flush()?;
    println!("{:?} to {}", busy.stats(), rec.path().display());
    Ok(())
}
