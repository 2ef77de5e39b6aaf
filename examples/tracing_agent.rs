//! A Rust agent instrumented with `tracing` (as rig instruments its agents), seen by
//! ajentik through one layer in its subscriber.
//!
//! Run: `cargo run --example tracing_agent -- agents.jsonl`, then
//! `cargo run -- monitor --log agents.jsonl` (or the live view, `--live`).

use std::time::Duration;

use tracing::field::Empty;
use tracing_subscriber::layer::SubscriberExt;

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "agents.jsonl".into());
    let layer = match ajentik::layer(&path) {
        Ok(layer) => layer,
        Err(e) => {
            eprintln!("cannot open {path}: {e}");
            std::process::exit(1);
        }
    };
    // The one line an agent adds: the layer, beside whatever else it has.
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        for request in 0..3u64 {
            answer(request);
        }
    });
    println!("wrote GenAI spans to {path}");
}

/// One agent run: a model call, a tool call, a second model call.
fn answer(request: u64) {
    let run = tracing::info_span!(
        "invoke_agent",
        gen_ai.operation.name = "invoke_agent",
        gen_ai.agent.name = "weather-agent",
        gen_ai.conversation.id = format!("conversation-{}", request % 2).as_str(),
    );
    let _run = run.enter();
    chat(900 + request * 10, 120);
    let tool =
        tracing::info_span!("execute_tool", gen_ai.operation.name = "execute_tool", gen_ai.tool.name = "forecast");
    tool.in_scope(|| {
        std::thread::sleep(Duration::from_millis(15));
        if request == 2 {
            tracing::error!(error.type = "UpstreamTimeout", "the forecast service did not answer");
        }
    });
    chat(1200 + request * 10, 80);
}

/// A model call, its usage recorded after the response, as rig does.
fn chat(input: u64, output: u64) {
    let chat = tracing::info_span!(
        target: "rig::completions",
        "chat",
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = "anthropic",
        gen_ai.request.model = "claude-sonnet-4-5",
        gen_ai.usage.input_tokens = Empty,
        gen_ai.usage.output_tokens = Empty,
    );
    chat.in_scope(|| std::thread::sleep(Duration::from_millis(40)));
    chat.record("gen_ai.usage.input_tokens", input);
    chat.record("gen_ai.usage.output_tokens", output);
}
