//! ajentik: see, live, what AI agents are doing and what they cost.
//!
//! Data flows one way:
//!
//! ```text
//! event log(s) ──> tail (shell: the one line reader, files, watching, rotation)
//!                   └─> event::parse_line (core: strict v1 validation)
//!                        └─> fold::Fold / metrics::Metrics (core: bounded, mergeable, weighted)
//!                             ├─> alerts, budget (core: rules at a `now`)
//!                             ├─> traces (recent trace trees)
//!                             └─> report::build(now) (core: snapshot, attribution, pricing)
//!                                  ├─> JSON report (serde), report::markdown
//!                                  ├─> tui (shell: the live view, one file per pane)
//!                                  └─> otlp + push (shell: spans to Logfire / OTLP)
//! ```
//!
//! The core (`time`, `event`, `metrics`, `fold`, `alerts`, `budget`, `pricing`,
//! `traces`, `report`, `otlp`, `sanitize`) does no I/O and reads no clock: every
//! function that depends on time takes a `now`. The shell (`source`, `tail`,
//! `push`, `hook`, `config`, `tui`, `cli`) finds files, follows them, talks to
//! the user and to backends. The writers (`recorder`, `emit`, `demo`) append
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
pub mod emit;
#[cfg(feature = "app")]
pub mod event;
#[cfg(feature = "app")]
pub mod fold;
#[cfg(feature = "app")]
pub mod fsutil;
#[cfg(feature = "app")]
pub mod hook;
#[cfg(feature = "app")]
pub mod metrics;
#[cfg(feature = "app")]
pub mod otlp;
pub mod paths;
#[cfg(feature = "app")]
pub mod pricing;
#[cfg(feature = "app")]
pub mod push;
pub mod recorder;
#[cfg(feature = "app")]
pub mod report;
#[cfg(feature = "app")]
pub mod sanitize;
#[cfg(feature = "app")]
pub mod source;
#[cfg(feature = "app")]
pub mod synth;
#[cfg(feature = "app")]
pub mod tail;
pub mod time;
#[cfg(feature = "app")]
pub mod traces;
#[cfg(feature = "app")]
pub mod tui;
