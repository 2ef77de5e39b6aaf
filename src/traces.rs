//! Trace trees: the operations that carry ids (agent requests, model and tool
//! calls, spans), linked by `trace_id`, `span_id` and `parent_span_id`, for the
//! most recent traces. Bounded: at most `cap` traces (the oldest evicted first)
//! and [`MAX_SPANS_PER_TRACE`] spans each. Children may arrive before their
//! parent; a parent that never arrives leaves its children as orphans; a span id
//! seen twice in a trace is counted, not added.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use crate::event::{Event, Kind};
use crate::metrics::exact;
use crate::time::Micros;

/// Traces kept by default where they are kept at all (the live view).
pub const DEFAULT_MAX_TRACES: usize = 1000;
/// Spans kept per trace; more are counted as dropped.
pub const MAX_SPANS_PER_TRACE: usize = 2000;

/// One operation in a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanNode {
    pub span_id: u64,
    pub parent: Option<u64>,
    /// agent_request, model_call, tool_call or span.
    pub kind: &'static str,
    /// The agent, model, tool or span name.
    pub name: String,
    pub agent: Option<String>,
    pub start: Micros,
    pub end: Micros,
    /// Whether the event gave its duration (a model or tool call may not).
    pub timed: bool,
    pub ok: bool,
    pub error_type: Option<String>,
    pub tokens: u64,
    /// Picodollars, as the event reported them (or as priced from its tokens).
    pub cost: u128,
    /// A model call that reported no cost and could not be priced: `cost` is
    /// not its cost but nothing.
    pub unpriced: bool,
    /// The raw JSON of the event's attrs.
    pub attrs: Option<String>,
    /// The session the event named.
    pub session: Option<String>,
}

impl SpanNode {
    pub fn duration_ms(&self) -> f64 {
        (self.end - self.start) as f64 / 1000.0
    }
}

/// The spans of one trace, in arrival order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    pub spans: Vec<SpanNode>,
    /// Spans whose id was already in the trace.
    pub duplicates: u64,
    /// Spans past [`MAX_SPANS_PER_TRACE`].
    pub dropped: u64,
}

/// A trace, summarised for the list of recent traces.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceSummary {
    pub trace_id: u128,
    pub root: String,
    pub agent: Option<String>,
    pub start: Micros,
    pub duration_ms: f64,
    pub spans: usize,
    pub errors: usize,
    pub tokens: u64,
    pub cost_usd: f64,
    /// Its model calls that could not be priced, left out of `cost_usd`.
    pub unpriced_calls: u64,
    pub orphans: usize,
    /// The session its root (else its first span naming one) belongs to.
    pub session: Option<String>,
}

/// A span placed in its tree: depth, and whether its parent never arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed<'a> {
    pub depth: usize,
    pub span: &'a SpanNode,
    pub orphan: bool,
}

/// Recent traces.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceStore {
    /// 0 keeps none (reports and checks need no trees).
    cap: usize,
    traces: FxHashMap<u128, Trace>,
    /// Trace ids, oldest first, for eviction.
    order: VecDeque<u128>,
    pub evicted: u64,
}

fn owned(s: &Option<std::borrow::Cow<'_, str>>) -> Option<String> {
    s.as_deref().map(|s| crate::sanitize::clean_truncated(s, 200))
}

impl TraceStore {
    pub fn new(cap: usize) -> TraceStore {
        TraceStore { cap, ..TraceStore::default() }
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    pub fn len(&self) -> usize {
        self.traces.len()
    }

    pub fn is_empty(&self) -> bool {
        self.traces.is_empty()
    }

    pub fn get(&self, trace_id: u128) -> Option<&Trace> {
        self.traces.get(&trace_id)
    }

    /// Adds an event, if it is an operation with ids; `prices` prices model
    /// calls that report no cost, as the metrics do. Inlined: an export keeps
    /// no traces, and the call to find that out was 17 instructions a line.
    #[inline]
    pub fn add(&mut self, e: &Event<'_>, prices: &crate::pricing::PriceTable) {
        if self.cap != 0 {
            self.add_kept(e, prices);
        }
    }

    fn add_kept(&mut self, e: &Event<'_>, prices: &crate::pricing::PriceTable) {
        let (Some(trace_id), Some(span_id)) = (e.trace_id, e.span_id) else { return };
        let mut unpriced = false;
        let (kind, name, agent, duration_ms, ok, error_type, tokens, cost) = match &e.kind {
            Kind::AgentRequest { agent, success, duration_ms, tokens, cost_usd, error_type, .. } => (
                "agent_request",
                agent.to_string(),
                Some(agent.to_string()),
                Some(*duration_ms),
                *success,
                owned(error_type),
                tokens.map_or(0, |t| t as u64),
                cost_usd.map_or(0, exact::pico),
            ),
            Kind::ModelCall {
                model,
                agent,
                success,
                duration_ms,
                input_tokens,
                output_tokens,
                parts,
                cost_usd,
                ..
            } => {
                let tokens = input_tokens.unwrap_or(0) as u64 + output_tokens.unwrap_or(0) as u64;
                // A call that reports no cost is priced from its tokens, as in the
                // metrics: the trace's cost is its calls', and would read $0.00.
                let price = || prices.lookup(model);
                let priced = crate::pricing::call_cost(*cost_usd, price, *input_tokens, *output_tokens, parts);
                unpriced = priced.is_none();
                let cost = priced.map_or(0, exact::pico);
                ("model_call", model.to_string(), owned(agent), *duration_ms, *success, None, tokens, cost)
            }
            Kind::ToolCall { tool, agent, success, duration_ms, error_type, .. } => {
                ("tool_call", tool.to_string(), owned(agent), *duration_ms, *success, owned(error_type), 0, 0)
            }
            Kind::Span { name, agent, duration_ms, ok, error_type, .. } => {
                ("span", name.to_string(), owned(agent), Some(*duration_ms), *ok, owned(error_type), 0, 0)
            }
            Kind::Error { .. } | Kind::Heartbeat { .. } => return,
        };
        let node = SpanNode {
            span_id,
            parent: e.parent_span_id,
            kind,
            name: crate::sanitize::clean_truncated(&name, 200),
            agent,
            // A call whose duration is not known ends where it starts.
            start: e.ts - duration_ms.map_or(0, |ms| (ms * 1000.0).round() as Micros),
            end: e.ts,
            timed: duration_ms.is_some(),
            ok,
            error_type,
            tokens,
            cost,
            unpriced,
            attrs: e.attrs.map(|a| crate::sanitize::clean_truncated(a, 2000)),
            session: owned(&e.session),
        };
        self.insert(trace_id, node);
    }

    fn insert(&mut self, trace_id: u128, node: SpanNode) {
        if !self.traces.contains_key(&trace_id) {
            self.order.push_back(trace_id);
            self.traces.insert(trace_id, Trace::default());
            while self.traces.len() > self.cap {
                let Some(old) = self.order.pop_front() else { break };
                self.traces.remove(&old);
                self.evicted += 1;
            }
        }
        let Some(trace) = self.traces.get_mut(&trace_id) else { return };
        if trace.spans.iter().any(|s| s.span_id == node.span_id) {
            trace.duplicates += 1;
        } else if trace.spans.len() >= MAX_SPANS_PER_TRACE {
            trace.dropped += 1;
        } else {
            trace.spans.push(node);
        }
    }

    /// Folds in the traces of what came after ours.
    pub fn merge(&mut self, later: TraceStore) {
        self.cap = self.cap.max(later.cap);
        self.evicted += later.evicted;
        let mut later = later;
        for id in later.order {
            if let Some(t) = later.traces.remove(&id) {
                let (duplicates, dropped) = (t.duplicates, t.dropped);
                for node in t.spans {
                    self.insert(id, node);
                }
                if let Some(mine) = self.traces.get_mut(&id) {
                    mine.duplicates += duplicates;
                    mine.dropped += dropped;
                }
            }
        }
    }

    /// Every trace, newest first.
    pub fn summaries(&self) -> Vec<TraceSummary> {
        let mut out: Vec<TraceSummary> = self.traces.iter().filter_map(|(id, t)| summarise(*id, t)).collect();
        out.sort_by(|a, b| b.start.cmp(&a.start).then(b.trace_id.cmp(&a.trace_id)));
        out
    }
}

fn summarise(trace_id: u128, t: &Trace) -> Option<TraceSummary> {
    let start = t.spans.iter().map(|s| s.start).min()?;
    let end = t.spans.iter().map(|s| s.end).max()?;
    let ids: Vec<u64> = t.spans.iter().map(|s| s.span_id).collect();
    let is_root = |s: &&SpanNode| s.parent.is_none_or(|p| !ids.contains(&p));
    // The root: a span with no parent, the longest if several; else the earliest orphan.
    let root = t
        .spans
        .iter()
        .filter(|s| s.parent.is_none())
        .max_by_key(|s| s.end - s.start)
        .or_else(|| t.spans.iter().filter(is_root).min_by_key(|s| s.start))?;
    // Spend counted once: model calls' own, else agent requests'.
    let calls_cost: u128 = t.spans.iter().filter(|s| s.kind == "model_call").map(|s| s.cost).sum();
    let calls_tokens: u64 = t.spans.iter().filter(|s| s.kind == "model_call").map(|s| s.tokens).sum();
    let has_calls = t.spans.iter().any(|s| s.kind == "model_call");
    let (tokens, cost) = if has_calls {
        (calls_tokens, calls_cost)
    } else {
        let r = t.spans.iter().filter(|s| s.kind == "agent_request");
        (r.clone().map(|s| s.tokens).sum(), r.map(|s| s.cost).sum())
    };
    Some(TraceSummary {
        trace_id,
        root: root.name.clone(),
        agent: root.agent.clone().or_else(|| t.spans.iter().find_map(|s| s.agent.clone())),
        start,
        duration_ms: (end - start) as f64 / 1000.0,
        spans: t.spans.len(),
        errors: t.spans.iter().filter(|s| !s.ok).count(),
        tokens,
        cost_usd: exact::usd(cost),
        unpriced_calls: t.spans.iter().filter(|s| s.unpriced).count() as u64,
        orphans: t.spans.iter().filter(|s| s.parent.is_some() && is_root(s)).count(),
        session: root.session.clone().or_else(|| t.spans.iter().find_map(|s| s.session.clone())),
    })
}

/// The spans of a trace depth-first, children by start time; spans whose parent
/// never arrived are listed as orphans after the true roots.
pub fn tree(trace: &Trace) -> Vec<Placed<'_>> {
    let ids: Vec<u64> = trace.spans.iter().map(|s| s.span_id).collect();
    let mut children: FxHashMap<u64, Vec<&SpanNode>> = FxHashMap::default();
    let mut roots = Vec::new();
    let mut orphans = Vec::new();
    for s in &trace.spans {
        match s.parent {
            None => roots.push(s),
            Some(p) if ids.contains(&p) && p != s.span_id => children.entry(p).or_default().push(s),
            Some(_) => orphans.push(s),
        }
    }
    let by_start = |v: &mut Vec<&SpanNode>| v.sort_by(|a, b| a.start.cmp(&b.start).then(a.span_id.cmp(&b.span_id)));
    by_start(&mut roots);
    by_start(&mut orphans);
    for v in children.values_mut() {
        by_start(v);
    }
    let mut out = Vec::with_capacity(trace.spans.len());
    let mut stack: Vec<(usize, &SpanNode, bool)> =
        orphans.iter().rev().map(|s| (0, *s, true)).chain(roots.iter().rev().map(|s| (0, *s, false))).collect();
    let mut seen = rustc_hash::FxHashSet::default();
    while let Some((depth, span, orphan)) = stack.pop() {
        if !seen.insert(span.span_id) {
            continue; // a cycle in hostile ids
        }
        out.push(Placed { depth, span, orphan });
        if let Some(kids) = children.get(&span.span_id) {
            for k in kids.iter().rev() {
                stack.push((depth + 1, k, false));
            }
        }
    }
    // Spans caught in a cycle of parent ids reach no root: list them as orphans.
    for s in &trace.spans {
        if !seen.contains(&s.span_id) {
            seen.insert(s.span_id);
            out.push(Placed { depth: 0, span: s, orphan: true });
        }
    }
    out
}

#[cfg(test)]
mod tests;
