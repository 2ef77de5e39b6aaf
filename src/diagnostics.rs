//! ajentik's own diagnostics, through `tracing` (shell).
//!
//! `--debug` turns on the debug level for ajentik's own targets (`config`,
//! `sources`, `read`, `follow`, `push`, `serve`); `AJENTIK_DEBUG` takes any
//! `EnvFilter` instead (`AJENTIK_DEBUG=push=trace,info`, `AJENTIK_DEBUG=read=debug`).
//! One-shot commands write to stderr; the live view to a file, never the screen
//! (its path is in the help screen). Phases are spans, and each span's close is
//! printed with the time it took, so the output says where the time went.

use std::path::Path;

use anyhow::{Context, Result};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// The environment variable holding a filter.
pub const ENV: &str = "AJENTIK_DEBUG";

/// What `--debug` means: debug for ajentik, the libraries under it quieter.
const DEBUG_FILTER: &str = "debug,h2=info,hyper=info,hyper_util=info,tonic=info,tower=info,reqwest=info,rustls=info,opentelemetry=info,opentelemetry_sdk=info,notify=info,mio=info";

/// Installs the diagnostics subscriber when `--debug` or `AJENTIK_DEBUG` asks for
/// one: to `file` if given (the live view), else stderr. Returns whether it did.
pub fn init(debug: bool, file: Option<&Path>) -> Result<bool> {
    let filter = match std::env::var(ENV) {
        Ok(spec) if !spec.trim().is_empty() => {
            EnvFilter::try_new(&spec).with_context(|| format!("{ENV}={spec:?} is not a tracing filter"))?
        }
        _ if debug => EnvFilter::new(DEBUG_FILTER),
        _ => return Ok(false),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(true)
        .with_span_events(FmtSpan::CLOSE);
    let installed = match file {
        Some(path) => {
            let file = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
            builder.with_writer(std::sync::Mutex::new(file)).try_init()
        }
        None => builder.with_writer(std::io::stderr).try_init(),
    };
    // Already installed (a test harness): keep that one.
    Ok(installed.is_ok())
}
