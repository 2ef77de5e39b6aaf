//! Pushing to OTLP (issue 6):
//! - spans built, encoded and pushed per second to a local OTLP/HTTP receiver,
//!   batched (target: 100,000 spans per second),
//! - the memory held by 1,000 retained traces (the Traces pane's default).
//!
//! Run: `cargo bench --bench push`. AJENTIK_BENCH_LINES sets the log size
//! (default 300,000 lines).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ajentik::ingest::v1::{LineOutcome, parse_line};
use ajentik::otlp::{Origin, span_record};
use ajentik::pricing::PriceTable;
use ajentik::push::{PushArgs, run};
use ajentik::synth::{Generator, Settings};
use ajentik::traces::TraceStore;

/// Counts live heap bytes, so the traces' memory is measured, not guessed.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A receiver that reads each request whole and answers 200: the cost measured
/// is the pusher's (building, encoding, HTTP), not a backend's.
fn receiver() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let bytes = Arc::new(AtomicUsize::new(0));
    let counted = bytes.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let counted = counted.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut writer = stream;
                loop {
                    let mut len = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; len];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    counted.fetch_add(len, Ordering::Relaxed);
                    let ok = "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n";
                    if writer.write_all(ok.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, bytes)
}

fn main() {
    // Before any thread starts: the exporter reads OTEL_* itself.
    for (key, _) in std::env::vars() {
        if key.starts_with("OTEL_") {
            // SAFETY: no other thread exists yet.
            unsafe { std::env::remove_var(key) };
        }
    }
    let lines: u64 = std::env::var("AJENTIK_BENCH_LINES").ok().and_then(|v| v.parse().ok()).unwrap_or(300_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("push.jsonl");
    let mut generator = Generator::new(Settings { malformed_ratio: 0.0, ..Settings::default() });
    let mut out = std::io::BufWriter::new(std::fs::File::create(&log).expect("create"));
    generator.write_lines(&mut out, lines).expect("write");
    out.flush().expect("flush");
    drop(out);
    let text = std::fs::read(&log).expect("read");
    println!("log: {} lines, {:.1} MB", lines, text.len() as f64 / 1e6);

    // Building span records alone (the pure core).
    let prices = PriceTable::built_in();
    let t = Instant::now();
    let mut built = 0u64;
    let mut offset = 0u64;
    for line in text.split(|&b| b == b'\n') {
        if let LineOutcome::Event(e) = parse_line(line)
            && span_record(&e, Origin { source: "bench", offset }, Some(&prices)).is_some()
        {
            built += 1;
        }
        offset += line.len() as u64 + 1;
    }
    let secs = t.elapsed().as_secs_f64();
    println!("parse + build span records: {built} spans in {secs:.3} s = {:.0} spans/s", built as f64 / secs);

    let (port, received) = receiver();
    let prices = Arc::new(prices);
    for batch in [1000u32, 5000] {
        let args = PushArgs {
            endpoint: Some(format!("http://127.0.0.1:{port}/v1/traces")),
            service_name: Some("bench".into()),
            any_age: true,
            batch,
            from_start: true,
            state_dir: Some(dir.path().join("state")),
            follow: false,
            ..PushArgs::following()
        };
        let before = received.load(Ordering::Relaxed);
        let t = Instant::now();
        let pushed = run(&[log.display().to_string()], &args, prices.clone(), 0, &Default::default()).expect("push");
        let secs = t.elapsed().as_secs_f64();
        let sent = received.load(Ordering::Relaxed) - before;
        println!(
            "push, batch {batch}: {} spans in {} requests, {secs:.3} s = {:.0} spans/s ({:.0} bytes/span on the wire; target 100000 spans/s)",
            pushed.spans,
            pushed.batches,
            pushed.spans as f64 / secs,
            sent as f64 / pushed.spans.max(1) as f64
        );
    }

    // Memory of 1,000 retained traces: the store fed the whole log (it keeps the
    // newest 1,000 traces), measured as live heap bytes.
    let base = LIVE.load(Ordering::Relaxed);
    let mut store = TraceStore::new(ajentik::traces::DEFAULT_MAX_TRACES);
    for line in text.split(|&b| b == b'\n') {
        if let LineOutcome::Event(e) = parse_line(line) {
            store.add(&e, &prices);
        }
    }
    let held = LIVE.load(Ordering::Relaxed).saturating_sub(base);
    let spans: usize = store.summaries().iter().map(|s| s.spans).sum();
    println!(
        "1,000 retained traces: {} traces, {spans} spans, {:.2} MB live heap ({:.0} bytes/span)",
        store.len(),
        held as f64 / 1e6,
        held as f64 / spans.max(1) as f64
    );
}
