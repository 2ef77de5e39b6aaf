//! `ajentik demo`: a simulated multi-agent system, in-process, writing through the
//! Rust recorder: eight agents handling requests, calling models and tools with
//! realistic latencies and token counts, failing now and then, an error burst
//! from time to time, and heartbeats from two worker processes.
//!
//! Latencies are real: a model call that "takes" 1.2 s sleeps 1.2 s (divided by
//! `--speed`), so the spans the recorder times agree with the durations the
//! events report.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};

use crate::recorder::Recorder;
use crate::synth::{AGENTS, AgentProfile, Rng};

/// Settings of a demo run.
#[derive(Debug, Clone)]
pub struct DemoSettings {
    /// Requests per second, across all agents.
    pub rate: f64,
    pub seed: u64,
    /// Time runs this many times faster (latencies and gaps are divided by it).
    pub speed: f64,
    /// Stop after this many requests.
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
}

struct Shared {
    rec: Recorder,
    settings: DemoSettings,
    requests: AtomicU64,
    stop: AtomicBool,
    started: Instant,
}

impl Shared {
    fn done(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
            || self.settings.duration.is_some_and(|d| self.started.elapsed() >= d)
            || self.settings.count.is_some_and(|c| self.requests.load(Ordering::Relaxed) >= c)
    }

    /// Sleeps for `simulated` time (scaled by speed), waking early to stop.
    fn pause(&self, simulated: Duration) -> Duration {
        let real = simulated.div_f64(self.settings.speed.max(1e-3));
        let start = Instant::now();
        loop {
            let left = real.saturating_sub(start.elapsed());
            if left.is_zero() || self.done() {
                break;
            }
            thread::sleep(left.min(Duration::from_millis(200)));
        }
        start.elapsed().mul_f64(self.settings.speed)
    }
}

fn ms(v: f64) -> Duration {
    Duration::from_secs_f64(v.max(0.0) / 1000.0)
}

/// USD per million tokens, close to list prices.
fn price(model: &str) -> crate::pricing::Price {
    crate::pricing::PriceTable::built_in().lookup(model).cloned().unwrap_or(crate::pricing::Price {
        input: 0.5,
        output: 1.5,
        ..Default::default()
    })
}

fn handle_request(s: &Shared, agent: &AgentProfile, rng: &mut Rng, n: u64) {
    let rec = &s.rec;
    // A user's conversation: a few requests in a row share a session.
    let session = format!("conv-{}-{}", n % 97, n / 50);
    let op = rec
        .monitor_operation("handle_request")
        .agent(agent.name)
        .session(&session)
        .attr("user_id", format!("u-{}", n % 97))
        .attr("request_type", if rng.chance(0.7) { "chat" } else { "task" })
        .start();
    let started = Instant::now();
    let failed = rng.chance(agent.failure_rate);
    let price = price(agent.model);
    let (mut tokens, mut cost) = (0u64, 0.0);
    for _ in 0..1 + rng.below(2) {
        let latency = s.pause(ms(rng.log_normal(agent.median_ms * 0.35, 0.5)));
        let (input, output) = (200 + rng.below(1800) as u64, 50 + rng.below(600) as u64);
        // Providers that cache prompts read part of a long system prompt from it.
        let cache_read = if price.cache_read.is_some() { (input as f64 * rng.unit() * 0.8) as u64 } else { 0 };
        // Claude searches the web now and then (a fee a search, on top of the tokens).
        let web_searches = if price.web_search.is_some() && rng.chance(0.1) { 1 + rng.below(3) as u64 } else { 0 };
        let parts = crate::event::TokenParts { cache_read, web_searches, ..Default::default() };
        let c = price.cost(input, output, &parts);
        tokens += input + output;
        cost += c;
        let mut call = rec
            .model_call(agent.model, true, latency)
            .provider(agent.provider)
            .agent(agent.name)
            .tokens(input, output)
            .cache(cache_read, 0)
            .web_searches(web_searches)
            .session(&session);
        // Some clients report cost, some leave it to ajentik's price table.
        if rng.chance(0.7) {
            call = call.cost(c);
        }
        let _ = call.record();
    }
    let tool = agent.tools[rng.below(agent.tools.len())];
    let tool_failed = failed || rng.chance(0.02);
    let latency = s.pause(ms(rng.log_normal(agent.median_ms * 0.25, 0.4)));
    let mut call = rec.tool_call(tool, !tool_failed, latency).agent(agent.name).session(&session);
    if tool_failed {
        call = call.error("ToolExecutionError", "subprocess exited with status 1");
    }
    let _ = call.record();
    s.pause(ms(rng.log_normal(40.0, 0.6)));
    let mut request = rec
        .agent_request(agent.name, !failed, started.elapsed().mul_f64(s.settings.speed))
        .tokens(tokens)
        .cost(cost)
        .model(agent.model)
        .session(&session);
    if failed {
        request = request.error_type("AgentError");
        let _ = rec
            .error("Agent", "AgentError", "could not complete the request")
            .agent(agent.name)
            .context("tool", tool)
            .record();
        op.fail("AgentError", "could not complete the request");
    }
    let _ = request.record();
}

fn agent_loop(s: Arc<Shared>, index: usize) {
    let agent = AGENTS[index];
    let mut rng = Rng::new(s.settings.seed.wrapping_add(index as u64 * 7919));
    let per_agent = s.settings.rate / AGENTS.len() as f64;
    while !s.done() {
        let gap = -rng.unit().max(1e-9).ln() / per_agent.max(1e-6);
        s.pause(Duration::from_secs_f64(gap.min(3600.0)));
        if s.done() {
            break;
        }
        let n = s.requests.fetch_add(1, Ordering::Relaxed);
        if s.settings.count.is_some_and(|c| n >= c) {
            break;
        }
        handle_request(&s, &agent, &mut rng, n);
        // Now and then, a model provider has a bad minute.
        if rng.chance(0.003) {
            for _ in 0..8 + rng.below(10) {
                let _ = s
                    .rec
                    .error("ModelClient", "RateLimitError", "429 Too Many Requests: retry after 2s")
                    .agent(agent.name)
                    .record();
                s.pause(Duration::from_millis(300));
            }
        }
    }
}

fn heartbeat_loop(s: Arc<Shared>) {
    let started = SystemTime::now();
    let beat = |worker: usize| {
        let agents: Vec<&str> = AGENTS.iter().skip(worker).step_by(2).map(|a| a.name).collect();
        s.rec
            .heartbeat(&format!("demo-worker-{worker}"))
            .agents(&agents)
            .host("demo")
            .started_at(started)
            .rss_bytes(120_000_000 + worker as u64 * 30_000_000)
            .cpu_percent(5.0 + worker as f64 * 7.5)
    };
    while !s.done() {
        for worker in 0..2 {
            let _ = beat(worker).record();
        }
        // Every 10 s of simulated time, but not more than ten times a second.
        let real = Instant::now();
        s.pause(Duration::from_secs(10));
        while real.elapsed() < Duration::from_millis(100) && !s.done() {
            thread::sleep(Duration::from_millis(10));
        }
    }
    // A demo that finishes says so: its workers stopped, they were not lost.
    for worker in 0..2 {
        let _ = beat(worker).stopped().record();
    }
}

/// Runs the demo workload until it is done (or forever, without a limit);
/// returns the number of requests simulated.
pub fn run(rec: Recorder, settings: DemoSettings) -> Result<u64> {
    let shared = Arc::new(Shared {
        rec,
        settings,
        requests: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        started: Instant::now(),
    });
    let mut agents = Vec::new();
    for i in 0..AGENTS.len() {
        let s = Arc::clone(&shared);
        let t = thread::Builder::new().name(format!("demo-{i}")).spawn(move || agent_loop(s, i));
        agents.push(t.context("cannot start the demo")?);
    }
    let s = Arc::clone(&shared);
    let heartbeats = thread::Builder::new().name("demo-heartbeat".into()).spawn(move || heartbeat_loop(s));
    let heartbeats = heartbeats.context("cannot start the demo")?;
    for t in agents {
        let _ = t.join();
    }
    shared.stop.store(true, Ordering::Relaxed);
    let _ = heartbeats.join();
    shared.rec.flush()?;
    Ok(shared.requests.load(Ordering::Relaxed).min(shared.settings.count.unwrap_or(u64::MAX)))
}

/// Where the demo writes without `--log`: a fresh temporary folder.
pub fn temporary_log() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("ajentik-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir.join("events.jsonl"))
}
