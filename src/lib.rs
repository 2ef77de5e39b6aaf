//! ajentik: see, live, what AI agents are doing and what they cost.
//!
//! Data flows one way:
//!
//! ```text
//! event log(s) ──> tail (shell: files, notify, rotation)
//!                   └─> event::parse_line (core: strict v1 validation)
//!                        └─> fold::Fold / metrics::Metrics (core: bounded, mergeable)
//!                             └─> report::build(now) (core: snapshot, attribution)
//!                                  ├─> JSON report (serde)
//!                                  └─> report::markdown
//! ```
//!
//! The core (`time`, `event`, `metrics`, `fold`, `report`, `sanitize`) does no I/O
//! and reads no clock: every function that depends on time takes a `now`. The shell
//! (`source`, `tail`, `cli`) finds files, follows them and talks to the user.
//! `synth` generates realistic logs for benchmarks, tests and demos.

// Data from outside never meets an unwrap: failures are values.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod alerts;
pub mod budget;
pub mod cli;
pub mod config;
pub mod demo;
pub mod emit;
pub mod event;
pub mod fold;
pub mod fsutil;
pub mod metrics;
pub mod notify;
pub mod otlp;
pub mod pricing;
pub mod push;
pub mod recorder;
pub mod report;
pub mod sanitize;
pub mod source;
pub mod synth;
pub mod tail;
pub mod time;
pub mod traces;
pub mod tui;
