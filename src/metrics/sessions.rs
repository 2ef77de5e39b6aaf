//! Sessions: what each session's events say, and keeping the most recent.

use std::hash::BuildHasher;

use hashbrown::{HashMap, HashTable};
use rustc_hash::FxBuildHasher;

use super::{Count, MAX_SESSIONS, Metrics, Spend, capped, capped_cow};
use crate::event::Event;
use crate::time::Micros;

mod spelled;
pub use spelled::{SessionNames, Spelling};

/// One session (a conversation, a coding session): what its events say.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionStats {
    pub first_ts: Micros,
    pub last_ts: Micros,
    /// Agents named by its events (at most [`MAX_LINKS`](super::MAX_LINKS)):
    /// read them with [`Sessions::agents_of`].
    pub agents: SessionNames,
    /// Models its model calls named (at most [`MAX_LINKS`](super::MAX_LINKS)):
    /// read them with [`Sessions::models_of`].
    pub models: SessionNames,
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
    /// Its model calls that could not be priced: not in the ledger.
    pub unpriced_calls: Count,
    /// What its agent requests report.
    pub request_spend: Spend,
    /// The project it worked in (a coding agent's working directory), if an event
    /// said (`attrs.project`).
    pub project: Option<String>,
    /// The git branch it worked on, as the event that named its project said
    /// (`attrs.git_branch`).
    pub git_branch: Option<String>,
}

impl SessionStats {
    pub(super) fn new(ts: Micros) -> Self {
        SessionStats {
            first_ts: ts,
            last_ts: ts,
            agents: SessionNames::default(),
            models: SessionNames::default(),
            requests: Count::ZERO,
            model_calls: Count::ZERO,
            tool_calls: Count::ZERO,
            failures: Count::ZERO,
            errors: 0,
            input_tokens: 0,
            output_tokens: 0,
            ledger_spend: Spend::default(),
            unpriced_calls: Count::ZERO,
            request_spend: Spend::default(),
            project: None,
            git_branch: None,
        }
    }

    /// A new session at `ts`, in the place of this one, keeping the buffers of
    /// its names for the next.
    fn reopen(&mut self, ts: Micros) {
        let (mut agents, mut models) = (std::mem::take(&mut self.agents), std::mem::take(&mut self.models));
        agents.clear();
        models.clear();
        *self = SessionStats { agents, models, ..SessionStats::new(ts) };
    }

    /// Links the agent an event names, with its number in this fold.
    pub(super) fn note_agent(&mut self, agent: Option<(&str, u32)>) {
        if let Some((agent, id)) = agent {
            self.agents.link(agent, id);
        }
    }

    /// The session's tokens and cost: its model calls are the ledger; a session
    /// without model calls takes what its agent requests report.
    pub fn spend(&self) -> Spend {
        if self.model_calls.is_zero() { self.request_spend } else { self.ledger_spend }
    }

    /// The same stats with their names all kept by name (see
    /// [`SessionNames::spelled_out`]): for another fold, or to compare with one.
    fn spelled_out(self, spelling: &Spelling) -> SessionStats {
        SessionStats {
            agents: self.agents.spelled_out(&spelling.agents),
            models: self.models.spelled_out(&spelling.models),
            ..self
        }
    }

    /// Folds in the same session's stats from another fold: `mine` and
    /// `theirs` spell each fold's names.
    fn merge(&mut self, o: SessionStats, mine: &Spelling, theirs: &Spelling) {
        if self.project.is_none() {
            self.project = o.project.clone();
            self.git_branch = o.git_branch.clone();
        }
        self.first_ts = self.first_ts.min(o.first_ts);
        self.last_ts = self.last_ts.max(o.last_ts);
        for a in o.agents.names(&theirs.agents) {
            self.agents.link_name(a, &mine.agents);
        }
        for m in o.models.names(&theirs.models) {
            self.models.link_name(m, &mine.models);
        }
        self.requests += o.requests;
        self.model_calls += o.model_calls;
        self.tool_calls += o.tool_calls;
        self.failures += o.failures;
        self.errors += o.errors;
        self.input_tokens = self.input_tokens.saturating_add(o.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(o.output_tokens);
        self.ledger_spend.merge(&o.ledger_spend);
        self.unpriced_calls += o.unpriced_calls;
        self.request_spend.merge(&o.request_spend);
    }
}

/// The sessions held, by id: the most recently active, at least
/// [`MAX_SESSIONS`] of them while there are that many, pruned in batches when
/// twice that many are held.
///
/// A log of many short sessions opens one every dozen events and evicts as
/// many: kept in a map keyed by `String`, their allocations, moves (a session's
/// stats are a few hundred bytes) and frees cost a sixth of a fold. Here each
/// session lives in a slot, found through a table of slot numbers, and an
/// evicted session's slot is reused with its buffers (its id's and its names').
/// Each slot's last activity is also kept apart, in `Sessions::active`: the
/// pruning reads only that, 16 KB, where it read every slot's stats, half a
/// megabyte, to find the cutoff.
#[derive(Debug, Clone, Default)]
pub struct Sessions {
    slots: Vec<Slot>,
    /// By slot: when its session was last active, or [`FREE`] for a slot of an
    /// evicted session.
    active: Vec<Micros>,
    /// The live slots' numbers, by the hash of their id.
    index: HashTable<u32>,
    /// Slots of evicted sessions, for reuse.
    free: Vec<u32>,
    /// The slot touched last: consecutive events are often of one session.
    last: usize,
    /// Sessions forgotten to keep memory bounded.
    evicted: u64,
    /// How this fold's sessions' names are spelled.
    pub(super) spelling: Spelling,
    /// For a fold that begins mid-stream (see [`Sessions::begin_mid_stream`]):
    /// its first sessions, and whether each was evicted since.
    head: Option<HashMap<String, bool, FxBuildHasher>>,
}

/// Sessions a fold that begins mid-stream remembers from its start: as many as
/// one read of everything could still hold from before (it holds up to twice
/// [`MAX_SESSIONS`] before pruning).
const HEAD: usize = 2 * MAX_SESSIONS;

#[derive(Debug, Clone)]
struct Slot {
    id: String,
    hash: u64,
    stats: SessionStats,
}

/// [`Sessions::active`] of a slot that holds no session: before any event
/// (the fold counts none before 2000).
const FREE: Micros = Micros::MIN;

/// [`Sessions::active`] of a slot whose session was last active at `ts`:
/// never read as free, whatever the time.
fn activity(ts: Micros) -> Micros {
    ts.max(FREE + 1)
}

impl PartialEq for Sessions {
    /// The same sessions with the same stats, wherever their slots are.
    fn eq(&self, other: &Self) -> bool {
        self.evicted == other.evicted
            && self.len() == other.len()
            && self.iter().all(|(id, s)| {
                other
                    .get(id)
                    .is_some_and(|o| s.clone().spelled_out(&self.spelling) == o.clone().spelled_out(&other.spelling))
            })
    }
}

impl Sessions {
    /// Marks these sessions as those of a fold that begins mid-stream (a part of
    /// a log read by a worker, merged after the fold of what came before): it
    /// remembers its first sessions, so that [`Sessions::merge`] counts once a
    /// session that goes on across the parts' boundary and that the later part
    /// evicted, as one read of both would, not once in each part.
    pub fn begin_mid_stream(&mut self) {
        self.head.get_or_insert_default();
    }

    /// Sessions held.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Sessions forgotten to keep memory bounded.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// The sessions held and their ids, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &SessionStats)> {
        self.slots
            .iter()
            .zip(&self.active)
            .filter(|&(_, &active)| active != FREE)
            .map(|(s, _)| (s.id.as_str(), &s.stats))
    }

    /// A session's agents, in sorted order.
    pub fn agents_of<'a>(&'a self, s: &'a SessionStats) -> Vec<&'a str> {
        s.agents.names(&self.spelling.agents)
    }

    /// A session's models, in sorted order.
    pub fn models_of<'a>(&'a self, s: &'a SessionStats) -> Vec<&'a str> {
        s.models.names(&self.spelling.models)
    }

    pub fn get(&self, id: &str) -> Option<&SessionStats> {
        self.find(id, FxBuildHasher.hash_one(id)).map(|slot| &self.slots[slot].stats)
    }

    fn find(&self, id: &str, hash: u64) -> Option<usize> {
        self.index.find(hash, |&slot| self.slots[slot as usize].id == id).map(|&slot| slot as usize)
    }

    /// The session `id` (cut to [`MAX_TEXT`](super::MAX_TEXT) bytes, as names
    /// are), touched at `ts`; opened if new.
    #[inline]
    pub fn touch(&mut self, id: &str, ts: Micros) -> &mut SessionStats {
        let id = capped_cow(id);
        let last_live = self.active.get(self.last).is_some_and(|&active| active != FREE);
        let slot = match self.slots.get(self.last) {
            Some(last) if last_live && last.id == *id => self.last,
            _ => {
                let hash = FxBuildHasher.hash_one(&*id);
                match self.find(&id, hash) {
                    Some(slot) => slot,
                    None => {
                        if self.len() >= 2 * MAX_SESSIONS {
                            self.prune();
                        }
                        if let Some(head) = &mut self.head
                            && head.len() < HEAD
                        {
                            head.entry_ref(&*id).or_insert(false);
                        }
                        self.open(&id, hash, ts)
                    }
                }
            }
        };
        self.last = slot;
        let s = &mut self.slots[slot].stats;
        s.first_ts = s.first_ts.min(ts);
        s.last_ts = s.last_ts.max(ts);
        if let Some(active) = self.active.get_mut(slot) {
            *active = activity(s.last_ts);
        }
        s
    }

    /// Holds a session not held, new at `ts`; returns its slot. Does not prune:
    /// a merge must join every session before any is evicted.
    fn open(&mut self, id: &str, hash: u64, ts: Micros) -> usize {
        let slot = match self.free.pop() {
            Some(slot) => {
                let s = &mut self.slots[slot as usize];
                s.id.clear();
                s.id.push_str(id);
                s.hash = hash;
                s.stats.reopen(ts);
                if let Some(active) = self.active.get_mut(slot as usize) {
                    *active = activity(ts);
                }
                slot
            }
            None => {
                self.slots.push(Slot { id: id.to_owned(), hash, stats: SessionStats::new(ts) });
                self.active.push(activity(ts));
                // At most twice MAX_SESSIONS slots (four times within a merge), well within u32.
                (self.slots.len() - 1) as u32
            }
        };
        let Sessions { slots, index, .. } = self;
        index.insert_unique(hash, slot, |&s| slots[s as usize].hash);
        slot as usize
    }

    /// Folds in the sessions of a fold of later events: all joined first, then
    /// pruned once (pruning as they came could evict a session of the earlier
    /// fold that the later one goes on with, and split it in two).
    pub fn merge(&mut self, mut later: Sessions) {
        if let Some(head) = later.head.take() {
            // A session held here that the later fold went on with from its
            // start, then evicted (and does not hold again): one read of both
            // would have counted it once, when it was first seen, but each fold
            // counted it, this one as held and the later one as evicted.
            let twice = head
                .iter()
                .filter(|&(id, &evicted)| {
                    let hash = FxBuildHasher.hash_one(id.as_str());
                    evicted && later.find(id, hash).is_none() && self.find(id, hash).is_some()
                })
                .count();
            later.evicted = later.evicted.saturating_sub(twice as u64);
        }
        self.evicted += later.evicted;
        let live = later.slots.into_iter().zip(later.active).filter(|&(_, active)| active != FREE);
        for (slot, _) in live {
            // Its hash holds here: `FxBuildHasher` has no per-table seed.
            match self.find(&slot.id, slot.hash) {
                Some(mine) => {
                    self.slots[mine].stats.merge(slot.stats, &self.spelling, &later.spelling);
                    self.active[mine] = activity(self.slots[mine].stats.last_ts);
                }
                None => {
                    let mine = self.open(&slot.id, slot.hash, slot.stats.first_ts);
                    // Its names were numbered by the other fold.
                    let stats = slot.stats.spelled_out(&later.spelling);
                    self.active[mine] = activity(stats.last_ts);
                    self.slots[mine].stats = stats;
                }
            }
        }
        if self.len() >= 2 * MAX_SESSIONS {
            self.prune();
        }
    }

    /// Keeps the [`MAX_SESSIONS`] most recently active sessions and counts the
    /// rest as evicted. Runs when twice that many are held, so its cost is
    /// spread over the sessions that grew it.
    pub fn prune(&mut self) {
        if self.len() <= MAX_SESSIONS {
            return;
        }
        // The cutoff is the MAX_SESSIONS-th latest activity, found without
        // sorting; ties at the cutoff are kept by id, latest first, as a sort
        // by (time, id) would keep them.
        let mut stamps: Vec<Micros> = self.active.iter().copied().filter(|&active| active != FREE).collect();
        let (_, &mut cutoff, _) = stamps.select_nth_unstable_by(MAX_SESSIONS - 1, |a, b| b.cmp(a));
        let newer = stamps.iter().filter(|&&t| t > cutoff).count();
        let active = &self.active;
        let mut tied: Vec<usize> = (0..active.len()).filter(|&i| active[i] == cutoff).collect();
        tied.sort_unstable_by(|&a, &b| self.slots[b].id.cmp(&self.slots[a].id));
        let older = (0..active.len()).filter(|&i| active[i] != FREE && active[i] < cutoff);
        let evicted: Vec<usize> = older.chain(tied.into_iter().skip(MAX_SESSIONS - newer)).collect();
        for i in evicted {
            self.active[i] = FREE;
            self.free.push(i as u32);
            self.evicted += 1;
            if let Some(first) = self.head.as_mut().and_then(|head| head.get_mut(&self.slots[i].id)) {
                *first = true;
            }
        }
        let active = &self.active;
        self.index.retain(|&mut slot| active[slot as usize] != FREE);
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
        let s = self.sessions.touch(id, e.ts);
        if s.project.is_none()
            && let Some(attrs) = e.attrs.filter(|a| PROJECT_KEY.find(a.as_bytes()).is_some())
        {
            let attrs = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(attrs).ok();
            let text = |key: &str| attrs.as_ref().and_then(|m| m.get(key)?.as_str().map(capped));
            s.project = text("project");
            // Only beside the project: the branch of the folder it names.
            s.git_branch = s.project.as_ref().and_then(|_| text("git_branch"));
        }
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// What the sessions should hold: a map by id of (first, last) activity,
    /// pruned by the rule (the latest MAX_SESSIONS by time, then by id).
    #[derive(Default)]
    struct Model {
        held: BTreeMap<String, (Micros, Micros)>,
        evicted: u64,
    }

    impl Model {
        fn touch(&mut self, id: &str, ts: Micros) {
            if !self.held.contains_key(id) && self.held.len() >= 2 * MAX_SESSIONS {
                let mut order: Vec<(Micros, String)> = self.held.iter().map(|(id, s)| (s.1, id.clone())).collect();
                order.sort_by(|a, b| b.cmp(a));
                for (_, id) in &order[MAX_SESSIONS..] {
                    self.held.remove(id);
                    self.evicted += 1;
                }
            }
            let s = self.held.entry(id.to_owned()).or_insert((ts, ts));
            s.0 = s.0.min(ts);
            s.1 = s.1.max(ts);
        }
    }

    fn same(sessions: &Sessions, model: &Model) {
        assert_eq!(sessions.len(), model.held.len());
        assert_eq!(sessions.evicted(), model.evicted);
        for (id, &(first, last)) in &model.held {
            let s = sessions.get(id).unwrap_or_else(|| panic!("{id} is not held"));
            assert_eq!((s.first_ts, s.last_ts), (first, last), "{id}");
        }
        // What pruning reads apart is what the slots hold.
        for (i, slot) in sessions.slots.iter().enumerate() {
            let free = sessions.free.contains(&(i as u32));
            assert_eq!(sessions.active[i] == FREE, free, "slot {i}");
            if !free {
                assert_eq!(sessions.active[i], slot.stats.last_ts, "slot {i}");
            }
        }
    }

    #[test]
    fn reused_slots_hold_what_a_map_would() {
        let mut rng = crate::synth::Rng::new(11);
        let (mut sessions, mut model) = (Sessions::default(), Model::default());
        // Many short sessions, a few at a time, out of time order at times and
        // with ties (whole seconds), so pruning meets equal times often.
        for step in 0..40_000i64 {
            let id = format!("s-{}", step / 3 + (rng.below(5) as i64));
            let ts = (step / 3 + rng.below(4) as i64) * 1_000_000;
            sessions.touch(&id, ts).requests += Count::ONE;
            model.touch(&id, ts);
            if step % 997 == 0 {
                same(&sessions, &model);
            }
        }
        same(&sessions, &model);
        assert!(model.evicted > 5_000, "the test must evict: {}", model.evicted);
        assert!(sessions.slots.len() <= 2 * MAX_SESSIONS);
    }

    #[test]
    fn a_session_evicted_and_seen_again_starts_afresh() {
        let mut sessions = Sessions::default();
        let s = sessions.touch("old", 0);
        s.requests += Count::ONE;
        s.note_agent(Some(("a", 0)));
        for i in 0..2 * MAX_SESSIONS as i64 {
            sessions.touch(&format!("s{i}"), 10 + i);
        }
        assert!(sessions.get("old").is_none());
        let again = sessions.touch("old", 5_000);
        assert_eq!((again.first_ts, again.last_ts, again.requests), (5_000, 5_000, Count::ZERO));
        assert!(again.agents.is_empty());
    }

    #[test]
    fn merged_sessions_equal_one_fold_of_all() {
        let (mut all, mut first, mut later) = (Sessions::default(), Sessions::default(), Sessions::default());
        for i in 0..3 * MAX_SESSIONS as i64 {
            let id = format!("s{}", i % 2_500);
            all.touch(&id, i).requests += Count::ONE;
            let part = if i < 3_000 { &mut first } else { &mut later };
            part.touch(&id, i).requests += Count::ONE;
        }
        first.merge(later);
        // Pruned at different moments, the two hold different older sessions;
        // the latest MAX_SESSIONS (what a report keeps) are the same.
        let latest = |s: &Sessions| {
            let mut ids: Vec<(Micros, String)> = s.iter().map(|(id, s)| (s.last_ts, id.to_owned())).collect();
            ids.sort_by(|a, b| b.cmp(a));
            ids.truncate(MAX_SESSIONS);
            ids
        };
        assert_eq!(latest(&first).len(), MAX_SESSIONS);
        assert_eq!(latest(&first), latest(&all));
        assert!(first.len() <= 2 * MAX_SESSIONS && first.evicted() > 0);
    }

    #[test]
    fn a_merge_joins_a_session_before_anything_is_evicted() {
        // The earlier part is full, its oldest session is active again in the
        // later part: merged, it is one session with both parts' events.
        let (mut earlier, mut later) = (Sessions::default(), Sessions::default());
        earlier.touch("x", 0).requests += Count::ONE;
        for i in 1..2 * MAX_SESSIONS as i64 {
            earlier.touch(&format!("s{i}"), i);
        }
        assert_eq!(earlier.len(), 2 * MAX_SESSIONS);
        // A new session first, so that holding it would evict before x is joined.
        later.touch("y", 10_001);
        later.touch("x", 10_000).requests += Count::ONE;
        earlier.merge(later);
        let x = earlier.get("x").expect("x is among the latest");
        assert_eq!((x.first_ts, x.last_ts, x.requests), (0, 10_000, Count::ONE + Count::ONE));
        assert_eq!(earlier.len() as u64 + earlier.evicted(), 2 * MAX_SESSIONS as u64 + 1);
    }

    #[test]
    fn a_session_across_parts_counts_once_however_the_events_are_split() {
        // Short sessions a few at a time, as a log of many conversations has.
        let mut rng = crate::synth::Rng::new(5);
        let events: Vec<(String, Micros)> =
            (0..30_000i64).map(|step| (format!("s-{}", step / 3 + rng.below(5) as i64), step)).collect();
        let total = |s: &Sessions| s.len() as u64 + s.evicted();
        let mut one = Sessions::default();
        for (id, ts) in &events {
            one.touch(id, *ts);
        }
        assert!(one.evicted() > 5_000, "the test must evict: {}", one.evicted());
        for parts in [2, 3, 7, 16] {
            let mut merged = Sessions::default();
            for (k, chunk) in events.chunks(events.len().div_ceil(parts)).enumerate() {
                let mut part = Sessions::default();
                if k > 0 {
                    part.begin_mid_stream();
                }
                for (id, ts) in chunk {
                    part.touch(id, *ts);
                }
                merged.merge(part);
            }
            assert_eq!(total(&merged), total(&one), "{parts} parts");
        }
    }

    #[test]
    fn a_session_the_later_part_evicted_and_saw_again_counts_twice() {
        // Held by the earlier part, gone on with, evicted, then seen again: one
        // read of everything counts it twice too.
        let mut earlier = Sessions::default();
        earlier.touch("x", 0);
        let mut later = Sessions::default();
        later.begin_mid_stream();
        later.touch("x", 1);
        for i in 0..2 * MAX_SESSIONS as i64 {
            later.touch(&format!("s{i}"), 10 + i);
        }
        assert!(later.get("x").is_none());
        let mut gone = later.clone();
        later.touch("x", 5_000);
        let mut one = Sessions::default();
        for (id, ts) in [("x", 0), ("x", 1)] {
            one.touch(id, ts);
        }
        for i in 0..2 * MAX_SESSIONS as i64 {
            one.touch(&format!("s{i}"), 10 + i);
        }
        let mut one_gone = one.clone();
        one.touch("x", 5_000);
        let total = |s: &Sessions| s.len() as u64 + s.evicted();
        let mut merged = earlier.clone();
        merged.merge(later);
        assert_eq!(total(&merged), total(&one));
        // And evicted for good in the later part: once.
        merged = earlier;
        merged.merge(std::mem::take(&mut gone));
        one_gone.prune();
        merged.prune();
        assert_eq!(total(&merged), total(&one_gone));
    }

    #[test]
    fn a_long_id_is_cut_and_still_found() {
        let mut sessions = Sessions::default();
        let long = "x".repeat(5_000);
        sessions.touch(&long, 1);
        sessions.touch("other", 2);
        sessions.touch(&long, 3);
        assert_eq!(sessions.len(), 2);
        let (id, s) = sessions.iter().find(|(id, _)| id.starts_with('x')).unwrap();
        assert!(id.len() <= crate::metrics::MAX_TEXT + '…'.len_utf8());
        assert_eq!((s.first_ts, s.last_ts), (1, 3));
    }

    #[test]
    fn equality_does_not_depend_on_slots() {
        let (mut a, mut b) = (Sessions::default(), Sessions::default());
        for id in ["x", "y", "z"] {
            a.touch(id, 1);
        }
        for id in ["z", "x", "y"] {
            b.touch(id, 1);
        }
        assert_eq!(a, b);
        b.touch("y", 2);
        assert_ne!(a, b);
    }
}
