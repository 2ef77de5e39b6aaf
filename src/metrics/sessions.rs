//! Sessions: what each session's events say, and keeping the most recent.

use super::{Count, MAX_SESSIONS, Metrics, Names, Spend, capped, link};
use crate::event::Event;
use crate::time::Micros;

/// One session (a conversation, a coding session): what its events say.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionStats {
    pub first_ts: Micros,
    pub last_ts: Micros,
    /// Agents named by its events (at most [`MAX_LINKS`](super::MAX_LINKS)).
    pub agents: Names,
    /// Models its model calls named (at most [`MAX_LINKS`](super::MAX_LINKS)).
    pub models: Names,
    pub requests: Count,
    pub model_calls: Count,
    pub tool_calls: Count,
    /// Failed requests, model calls, tool calls and spans.
    pub failures: Count,
    /// Error events.
    pub errors: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// What its model calls report (cache reads among the parts).
    pub ledger_spend: Spend,
    /// What its agent requests report.
    pub request_spend: Spend,
    /// The project it worked in (a coding agent's working directory), if an event
    /// said (`attrs.project`).
    pub project: Option<String>,
}

impl SessionStats {
    pub(super) fn new(ts: Micros) -> Self {
        SessionStats {
            first_ts: ts,
            last_ts: ts,
            agents: Names::default(),
            models: Names::default(),
            requests: Count::ZERO,
            model_calls: Count::ZERO,
            tool_calls: Count::ZERO,
            failures: Count::ZERO,
            errors: 0,
            input_tokens: 0,
            output_tokens: 0,
            ledger_spend: Spend::default(),
            request_spend: Spend::default(),
            project: None,
        }
    }

    pub(super) fn note_agent(&mut self, agent: Option<&str>) {
        if let Some(agent) = agent {
            link(&mut self.agents, agent);
        }
    }

    /// The session's tokens and cost: its model calls are the ledger; a session
    /// without model calls takes what its agent requests report.
    pub fn spend(&self) -> Spend {
        if self.model_calls.is_zero() { self.request_spend } else { self.ledger_spend }
    }

    pub(super) fn merge(&mut self, o: SessionStats) {
        if self.project.is_none() {
            self.project = o.project.clone();
        }
        self.first_ts = self.first_ts.min(o.first_ts);
        self.last_ts = self.last_ts.max(o.last_ts);
        for a in o.agents.iter() {
            link(&mut self.agents, a);
        }
        for m in o.models.iter() {
            link(&mut self.models, m);
        }
        self.requests += o.requests;
        self.model_calls += o.model_calls;
        self.tool_calls += o.tool_calls;
        self.failures += o.failures;
        self.errors += o.errors;
        self.input_tokens = self.input_tokens.saturating_add(o.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(o.output_tokens);
        self.ledger_spend.merge(&o.ledger_spend);
        self.request_spend.merge(&o.request_spend);
    }
}

/// Finds `"project"` in an event's attributes: built once, since this runs for
/// every event of a session that has no project yet (all but coding agents').
static PROJECT_KEY: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new("\"project\""));

impl Metrics {
    /// The session an operation event names, if any, touched at its instant.
    #[inline]
    pub(super) fn session(&mut self, e: &Event<'_>) -> Option<&mut SessionStats> {
        let id = e.session.as_deref()?;
        let s = self.session_named(id, e.ts)?;
        if s.project.is_none()
            && let Some(attrs) = e.attrs.filter(|a| PROJECT_KEY.find(a.as_bytes()).is_some())
        {
            s.project = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(attrs)
                .ok()
                .and_then(|m| m.get("project").and_then(|p| p.as_str()).map(capped));
        }
        Some(s)
    }

    pub(super) fn session_named(&mut self, id: &str, ts: Micros) -> Option<&mut SessionStats> {
        if self.sessions.len() >= 2 * MAX_SESSIONS && !self.sessions.contains_key(id) {
            self.prune_sessions();
        }
        let s = self.sessions.entry_ref(id).or_insert_with(|| SessionStats::new(ts));
        s.first_ts = s.first_ts.min(ts);
        s.last_ts = s.last_ts.max(ts);
        Some(s)
    }

    /// Keeps the [`MAX_SESSIONS`] most recently active sessions and counts the
    /// rest as evicted. Runs when the map holds twice that many, so its cost is
    /// spread over the sessions that grew it.
    pub(super) fn prune_sessions(&mut self) {
        if self.sessions.len() <= MAX_SESSIONS {
            return;
        }
        // The cutoff is the MAX_SESSIONS-th latest activity, found without
        // sorting or copying ids (this ran a few percent of a fold of many
        // sessions); ties at the cutoff are kept by id, latest first, as a sort
        // by (time, id) would keep them.
        let mut stamps: Vec<Micros> = self.sessions.values().map(|s| s.last_ts).collect();
        let (_, &mut cutoff, _) = stamps.select_nth_unstable_by(MAX_SESSIONS - 1, |a, b| b.cmp(a));
        let newer = stamps.iter().filter(|&&t| t > cutoff).count();
        let mut tied: Vec<&String> =
            self.sessions.iter().filter(|(_, s)| s.last_ts == cutoff).map(|(id, _)| id).collect();
        tied.sort_unstable_by(|a, b| b.cmp(a));
        let kept_ties: std::collections::HashSet<String> =
            tied.into_iter().take(MAX_SESSIONS - newer).cloned().collect();
        let before = self.sessions.len();
        self.sessions.retain(|id, s| s.last_ts > cutoff || (s.last_ts == cutoff && kept_ties.contains(id)));
        self.sessions_evicted += (before - self.sessions.len()) as u64;
    }
}
