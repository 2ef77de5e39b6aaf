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
pub mod metrics;
#[cfg(feature = "app")]
pub mod notify;
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
