//! ajentik: see, live, what AI agents are doing and what they cost.
//!
//! Data flows one way:
//!
//! ```text
//! event log(s) ──> follow::tail (shell: the one line reader, files, watching, rotation)
//!                   └─> ingest::v1::parse_line (adapter: strict v1 validation) ──> event::Event
//!                        └─> fold::Fold / metrics::Metrics (core: bounded, mergeable, weighted)
//!                             ├─> alerts, budget (core: rules at a `now`)
//!                             ├─> traces (recent trace trees)
//!                             └─> report::build(now) (core: snapshot, attribution, pricing)
//!                                  ├─> JSON report (serde), report::markdown
//!                                  ├─> tui (shell: the live view, one file per pane)
//!                                  └─> otlp + push (shell: spans to Logfire / OTLP)
//! ```
//!
//! Inputs are adapters (`ingest`) to the one `event::Event`; nothing after them
//! knows the format. The core (`time`, `event`, `ingest`, `metrics`, `fold`,
//! `alerts`, `budget`, `pricing`, `traces`, `report`, `otlp`, `sanitize`) does no
//! I/O and reads no clock: every function that depends on time takes a `now`. The
//! shell (`follow`, `push`, `hook`, `config`, `tui`, `cli`) finds files, follows
//! them, talks to the user and to backends. The writers (`recorder`, `emit`, `demo`) append
//! events; `synth` generates realistic logs for benchmarks, tests and demos.
//!
//! With `default-features = false` only the writer is built: `recorder`, `time`
//! and `paths` (the default log's location), for agents that record events.

// Data from outside never meets an unwrap: failures are values.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

#[cfg(feature = "app")]
pub mod alerts;
#[cfg(feature = "app")]
pub mod budget;
#[cfg(feature = "app")]
pub mod cli;
#[cfg(feature = "app")]
pub mod config;
#[cfg(feature = "app")]
pub mod demo;
#[cfg(feature = "app")]
pub mod diagnostics;
#[cfg(feature = "app")]
pub mod emit;
#[cfg(feature = "app")]
pub mod event;
#[cfg(feature = "app")]
pub mod fold;
#[cfg(feature = "app")]
pub mod follow;
pub mod genai;
#[cfg(feature = "app")]
pub mod hook;
#[cfg(feature = "app")]
pub mod ingest;
#[cfg(feature = "app")]
pub mod metrics;
#[cfg(feature = "app")]
pub mod otlp;
pub mod paths;
#[cfg(feature = "app")]
pub mod pricing;
#[cfg(feature = "app")]
pub mod push;
#[cfg(feature = "app")]
pub mod receive;
pub mod recorder;
#[cfg(feature = "tracing")]
pub use recorder::layer::{AjentikLayer, LayerOptions, layer};
#[cfg(feature = "app")]
pub mod report;
#[cfg(feature = "app")]
pub mod sanitize;
#[cfg(feature = "app")]
pub mod synth;
pub mod time;
#[cfg(feature = "app")]
pub mod traces;
#[cfg(feature = "app")]
pub mod tui;
