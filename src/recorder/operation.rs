//! `monitor_operation`: timing a named operation and writing it as a `span`,
//! with nesting into traces.
//!
//! The operation under way on a thread is kept on a thread-local stack: an
//! operation started inside another becomes its child, in the same trace, and
//! records made inside one carry its trace and parent ids. For async code,
//! [`OperationBuilder::run`] wraps a future so that the operation is current
//! whenever the future is being polled, on whichever thread polls it.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::{Common, Recorder, SpanLine, WriteError, ms};
use crate::time::wall_clock;

thread_local! {
    /// (trace id, span id) of the operations under way on this thread, innermost last.
    static STACK: RefCell<Vec<(u128, u64)>> = const { RefCell::new(Vec::new()) };
    static RNG: Cell<u64> = Cell::new(seed());
}

/// A per-thread seed from the standard library's per-process random keys, the
/// clock and the thread: ids must not collide across processes.
fn seed() -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    std::thread::current().id().hash(&mut h);
    wall_clock().hash(&mut h);
    std::process::id().hash(&mut h);
    h.finish()
}

fn next_u64() -> u64 {
    RNG.with(|state| {
        // SplitMix64.
        let s = state.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        state.set(s);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    })
}

/// Uniform in [0, 1), for sampling.
pub(super) fn random_unit() -> f64 {
    (next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A W3C span id: 8 random bytes, not all zero.
pub(super) fn new_span_id() -> u64 {
    next_u64() | 1
}

pub(super) fn new_trace_id() -> u128 {
    ((u128::from(next_u64()) << 64) | u128::from(next_u64())) | 1
}

/// The innermost operation under way on this thread: (trace id, span id).
pub(super) fn current() -> Option<(u128, u64)> {
    STACK.with(|s| s.borrow().last().copied())
}

/// An operation being set up: `.agent()`, `.attr()`, then `.start()` or `.run()`.
#[must_use = "an operation is timed from .start()"]
pub struct OperationBuilder {
    rec: Recorder,
    name: String,
    agent: Option<String>,
    session: Option<String>,
    attrs: Map<String, Value>,
}

impl OperationBuilder {
    pub(super) fn new(rec: Recorder, name: &str) -> Self {
        OperationBuilder { rec, name: name.to_owned(), agent: None, session: None, attrs: Map::new() }
    }

    pub fn agent(mut self, agent: &str) -> Self {
        self.agent = Some(agent.to_owned());
        self
    }

    /// The conversation or session this operation belongs to.
    pub fn session(mut self, session: &str) -> Self {
        self.session = Some(session.to_owned());
        self
    }

    /// Context for the operation (user_id, request_type, priority...).
    pub fn attr(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.attrs.insert(key.to_owned(), value.into());
        self
    }

    /// Starts timing, in the trace of the operation under way on this thread if
    /// any (as its child), else in a new trace.
    pub fn start(self) -> Operation {
        let op = self.begin();
        STACK.with(|s| s.borrow_mut().push((op.trace_id, op.span_id)));
        op.on_stack.set(true);
        op
    }

    /// Wraps a future: the operation is timed from now until the future
    /// completes, and is current while the future is polled.
    pub fn run<F: Future>(self, future: F) -> InOperation<F> {
        InOperation { op: Some(self.begin()), future: Box::pin(future) }
    }

    fn begin(self) -> Operation {
        let (trace_id, parent) = match current() {
            Some((trace, parent)) => (trace, Some(parent)),
            None => (new_trace_id(), None),
        };
        Operation {
            rec: self.rec,
            name: self.name,
            agent: self.agent,
            session: self.session,
            attrs: self.attrs,
            trace_id,
            span_id: new_span_id(),
            parent,
            started: Instant::now(),
            failure: RefCell::new(None),
            on_stack: Cell::new(false),
        }
    }
}

/// A timed operation; writes a `span` event when dropped: status "error" if it
/// was marked failed or is dropped while the thread panics.
pub struct Operation {
    rec: Recorder,
    name: String,
    agent: Option<String>,
    session: Option<String>,
    attrs: Map<String, Value>,
    trace_id: u128,
    span_id: u64,
    parent: Option<u64>,
    started: Instant,
    failure: RefCell<Option<(String, String)>>,
    on_stack: Cell<bool>,
}

impl Operation {
    /// Marks the operation failed.
    pub fn fail(&self, error_type: &str, message: &str) {
        *self.failure.borrow_mut() = Some((error_type.to_owned(), message.to_owned()));
    }

    /// The W3C trace id, 32 lowercase hex digits.
    pub fn trace_id(&self) -> String {
        format!("{:032x}", self.trace_id)
    }

    /// The span id, 16 lowercase hex digits.
    pub fn span_id(&self) -> String {
        format!("{:016x}", self.span_id)
    }

    /// Ends the operation now and returns the write's result (dropping it does
    /// the same, but cannot return an error).
    pub fn finish(self) -> Result<(), WriteError> {
        let result = self.write(self.started.elapsed());
        self.leave_stack();
        std::mem::forget(self);
        result
    }

    fn leave_stack(&self) {
        if self.on_stack.replace(false) {
            let me = (self.trace_id, self.span_id);
            STACK.with(|s| {
                let mut s = s.borrow_mut();
                if let Some(i) = s.iter().rposition(|x| *x == me) {
                    s.remove(i);
                }
            });
        }
    }

    fn write(&self, elapsed: Duration) -> Result<(), WriteError> {
        let failure = self.failure.borrow();
        let panicking = std::thread::panicking();
        let failed = failure.is_some() || panicking;
        let Some(sample_rate) = self.rec.sample(self.rec.inner.sampling.spans, failed) else {
            return Ok(());
        };
        let end = wall_clock();
        let common = Common {
            v: 1,
            ts: crate::time::format_rfc3339_micros(end),
            kind: "span",
            trace_id: Some(format!("{:032x}", self.trace_id)),
            span_id: Some(format!("{:016x}", self.span_id)),
            parent_span_id: self.parent.map(|p| format!("{p:016x}")),
            session: self.session.clone(),
            sample_rate,
        };
        let (error_type, error_message) = match (&*failure, panicking) {
            (Some((t, m)), _) => (Some(t.as_str()), Some(m.as_str())),
            (None, true) => (Some("panic"), Some("the operation panicked")),
            (None, false) => (None, None),
        };
        let line = SpanLine {
            common,
            name: &self.name,
            agent: self.agent.as_deref(),
            duration_ms: ms(elapsed),
            status: if failed { "error" } else { "ok" },
            error_type,
            error_message,
            attrs: Some(&self.attrs).filter(|a| !a.is_empty()),
        };
        self.rec.write_event(&line, 1)
    }
}

impl Drop for Operation {
    fn drop(&mut self) {
        // A write error is counted in the recorder's stats; a destructor cannot
        // return it.
        let _ = self.write(self.started.elapsed());
        self.leave_stack();
    }
}

/// A future inside an operation (see [`OperationBuilder::run`]).
pub struct InOperation<F> {
    op: Option<Operation>,
    future: Pin<Box<F>>,
}

impl<F: Future> Future for InOperation<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let Some(ids) = self.op.as_ref().map(|op| (op.trace_id, op.span_id)) else {
            return self.future.as_mut().poll(cx);
        };
        STACK.with(|s| s.borrow_mut().push(ids));
        // Pops even if the future panics.
        struct Pop((u128, u64));
        impl Drop for Pop {
            fn drop(&mut self) {
                STACK.with(|s| {
                    let mut s = s.borrow_mut();
                    if let Some(i) = s.iter().rposition(|x| *x == self.0) {
                        s.remove(i);
                    }
                });
            }
        }
        let pop = Pop(ids);
        let result = self.future.as_mut().poll(cx);
        drop(pop);
        if result.is_ready() {
            // Written now, timed from the start.
            self.op.take();
        }
        result
    }
}
