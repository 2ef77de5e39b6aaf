//! Inputs as adapters: each input format turns its bytes into the one
//! [`crate::event::Event`] type, and nothing after the adapters (the fold,
//! alerts, reports, panes, push) knows which format an event came from. Each
//! adapter keeps what is format-specific here; the file-following shell
//! (`follow`) serves every file format alike.
//!
//! - `v1`: ajentik's own JSON Lines event log (`docs/event-log.md`).

pub mod claude;
pub mod v1;
