//! Inputs as adapters: each input format turns its bytes into the one
//! [`crate::event::Event`] type, and nothing after the adapters (the fold,
//! alerts, reports, panes, push) knows which format an event came from. Each
//! adapter keeps what is format-specific here; the file-following shell
//! (`follow`) serves every file format alike.
//!
//! - `v1`: ajentik's own JSON Lines event log (`docs/event-log.md`).

pub mod claude;
pub mod codex;
pub mod v1;

/// The format of a source that is not an ajentik event log, told from one of its
/// first lines (a Claude Code transcript, a Codex rollout).
pub fn adapted_format(line: &[u8]) -> Option<&'static str> {
    if claude::looks_like(line) {
        Some(claude::FORMAT)
    } else if codex::looks_like(line) {
        Some(codex::FORMAT)
    } else {
        None
    }
}

/// Keys of what an adapter has counted (responses, tool calls, turns), so that a
/// copy in another file (a resumed, forked or archived session) is not counted
/// again. Bounded: the oldest are forgotten first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counted {
    keys: std::collections::HashSet<u64>,
    order: std::collections::VecDeque<u64>,
}

impl Counted {
    /// Keys remembered (16 bytes each with their order: 16 MiB at most).
    pub const MAX: usize = 1 << 20;

    fn key(parts: &[&str]) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        parts.hash(&mut h);
        h.finish()
    }

    /// Whether `parts` were counted.
    pub fn contains(&self, parts: &[&str]) -> bool {
        self.keys.contains(&Self::key(parts))
    }

    /// Notes `parts` as counted; false if they already were.
    pub fn first(&mut self, parts: &[&str]) -> bool {
        let key = Self::key(parts);
        if !self.keys.insert(key) {
            return false;
        }
        self.order.push_back(key);
        if self.order.len() > Self::MAX
            && let Some(old) = self.order.pop_front()
        {
            self.keys.remove(&old);
        }
        true
    }

    /// Takes in another's keys.
    pub fn absorb(&mut self, other: Counted) {
        for key in other.order {
            if self.keys.insert(key) {
                self.order.push_back(key);
            }
        }
    }
}
