"""Write ajentik's event log from Python: the user guide's monitoring API.

Standard library only, Python 3.9+. Events go to the log ajentik reads by
default ($AJENTIK_LOG, else $XDG_STATE_HOME/ajentik/events.jsonl), one append
of whole lines per event, so any number of processes can share it.

    from ajentik import metrics_collector, monitor_operation

    metrics_collector.record_agent_request(agent_name="CustomAgent", success=True,
                                           response_time=1.5, tokens=250, cost=0.05)
    with monitor_operation("data_processing", agent_name="DataAgent", user_id="u-17"):
        ...

Times are seconds (floats), as in the guide; the log stores milliseconds. A
write that fails never raises into your agent: it is counted in
``metrics_collector.write_errors`` and the last error kept in ``last_error``.
Arguments the reader would reject the line for (token counts that contradict
each other, see ``record_model_call``) raise ValueError or TypeError at the call.

Every operation (``record_agent_request``, ``record_tool_usage``,
``record_model_call``, ``record_error``, ``monitor_operation``) takes
``session=``: the conversation or session it belongs to, written as "session".
"""

import atexit
import contextvars
import json
import numbers
import operator
import os
import random
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

__all__ = ["MetricsCollector", "metrics_collector", "monitor_operation", "default_log_path"]
__version__ = "0.1.0"

_CURRENT = contextvars.ContextVar("ajentik_operation", default=None)

# The process start, as heartbeats report it: when this module was imported (wall
# clock for started_at; monotonic and CPU clocks for the first cpu_percent).
_STARTED = (time.time(), time.monotonic(), time.process_time())

_SAMPLED = ("agent_request", "tool_call", "model_call", "span")

# Whether the process is ending on an uncaught exception (Ctrl-C is a stop, not a
# crash), noted by sys.excepthook, which runs before atexit handlers.
_crashed = [False]
_hook_lock = threading.Lock()


def _watch_for_crashes():
    """Chains a sys.excepthook that notes a crash, once (heartbeats need it)."""
    with _hook_lock:
        if getattr(sys.excepthook, "_ajentik", False):
            return
        previous = sys.excepthook

        def note_crash(kind, value, traceback):
            if not issubclass(kind, KeyboardInterrupt):
                _crashed[0] = True
            previous(kind, value, traceback)

        note_crash._ajentik = True
        sys.excepthook = note_crash


def default_log_path():
    """$AJENTIK_LOG, else $XDG_STATE_HOME/ajentik/events.jsonl (~/.local/state/...)."""
    env = os.environ.get("AJENTIK_LOG")
    if env:
        return env
    state = os.environ.get("XDG_STATE_HOME")
    if not state or not os.path.isabs(state):
        state = os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(state, "ajentik", "events.jsonl")


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _rfc3339(when):
    """A datetime (naive means local time) or a Unix time, as RFC 3339 UTC with milliseconds."""
    if not isinstance(when, datetime):
        when = datetime.fromtimestamp(when, timezone.utc)
    return when.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ms(seconds):
    return max(0.0, float(seconds)) * 1000.0


def _clean(fields):
    return {k: v for k, v in fields.items() if v is not None}


def _session(session):
    return None if session is None else str(session)


def _token_details(totals, cache_read_tokens=None, cache_write_tokens=None, cache_write_1h_tokens=None,
                   reasoning_tokens=None, web_search_requests=None):
    """The optional breakdown of a call's tokens, checked against ``totals``: a model
    call's {"input_tokens": n, "output_tokens": m}, or an agent request's {"tokens": n}.

    The parts are included in the totals, never added to them: ``input_tokens``
    counts every prompt token, cache reads and writes among them;
    ``cache_write_tokens`` counts every cache write, the 1-hour ones
    (``cache_write_1h_tokens``) among them; ``output_tokens`` counts every
    completion token, reasoning among them; an agent request's ``tokens`` counts
    all of these. A part above its total raises ValueError, as the reader would
    reject the line; a total not given counts as 0, as the reader counts it, so
    parts need their totals. ``web_search_requests`` (searches the provider ran,
    priced by the search) is not tokens: no total includes it.
    """
    details = {
        "cache_read_tokens": cache_read_tokens, "cache_write_tokens": cache_write_tokens,
        "cache_write_1h_tokens": cache_write_1h_tokens, "reasoning_tokens": reasoning_tokens,
        "web_search_requests": web_search_requests,
    }
    for key, value in details.items():
        if value is None:
            continue
        if isinstance(value, bool):
            raise TypeError("%s must be an integer, not %r" % (key, value))
        try:
            value = operator.index(value)
        except TypeError:
            raise TypeError("%s must be an integer, not %r" % (key, value)) from None
        if value < 0:
            raise ValueError("%s must be >= 0, not %d" % (key, value))
        details[key] = value
    read, write = details["cache_read_tokens"] or 0, details["cache_write_tokens"] or 0
    write_1h, reasoning = details["cache_write_1h_tokens"] or 0, details["reasoning_tokens"] or 0

    def check(part, what, name, total):
        if total is None:
            if part > 0:
                raise ValueError("%s (%d) needs %s, the total that includes it" % (what, part, name))
        elif isinstance(total, numbers.Real) and not isinstance(total, bool) and part > total:
            raise ValueError("%s (%s) includes %s (%d), so it cannot be below it" % (name, total, what, part))

    check(write_1h, "cache_write_1h_tokens", "cache_write_tokens", details["cache_write_tokens"])
    if "tokens" in totals:
        check(read + write + reasoning, "cache_read_tokens + cache_write_tokens + reasoning_tokens", "tokens",
              totals["tokens"])
    else:
        check(read + write, "cache_read_tokens + cache_write_tokens", "input_tokens", totals["input_tokens"])
        check(reasoning, "reasoning_tokens", "output_tokens", totals["output_tokens"])
    return details


def _rss_bytes():
    """The process's resident memory: VmRSS from /proc/self/status on Linux; elsewhere
    its peak, ru_maxrss (KiB, but bytes on macOS); None if neither is available."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    except (ImportError, OSError, ValueError):
        return None
    if peak <= 0:
        return None
    return peak if sys.platform == "darwin" else peak * 1024


class MetricsCollector:
    """Appends events to an ajentik event log.

    sampling: {"agent_request": 0.1, "tool_call": 1.0, "model_call": 0.5, "span": 1.0}
        keeps that share of each kind; errors and failures are always kept. A
        success kept at a ratio r below 1 carries "sample_rate": r, so a reader
        can count it 1/r times; failures (kept with probability 1), errors and
        heartbeats never carry it.
    batch_size / batch_interval: buffer up to batch_size events or batch_interval
        seconds, then write them in one append (and at exit, and on flush()).
    """

    def __init__(self, path=None, sampling=None, batch_size=None, batch_interval=1.0):
        self.path = path or default_log_path()
        self.sampling = dict(sampling or {})
        self.batch_size = batch_size
        self.batch_interval = batch_interval
        self.written = 0
        self.sampled_out = 0
        self.write_errors = 0
        self.last_error = None
        self._lock = threading.Lock()
        self._buffer = []
        self._oldest = None
        self._batch_depth = 0
        self._timer = None
        self._cpu_mark = _STARTED[1:]
        self._heartbeats = None
        atexit.register(self.flush)
        # Run before the flush above (atexit runs last-registered first): a
        # clean exit says so with a last heartbeat; a crash does not.
        atexit.register(self._stop_heartbeats_at_exit)

    # -- writing ---------------------------------------------------------

    def _append(self, data, count):
        try:
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                view = memoryview(data)
                while view:
                    n = os.write(fd, view)
                    view = view[n:]
            finally:
                os.close(fd)
            self.written += count
            return True
        except OSError as e:
            self.write_errors += count
            self.last_error = "cannot write to the event log %s: %s" % (self.path, e)
            return False

    def _sample(self, kind, failed):
        """Whether to keep an event, and the sample_rate to write on it: a success kept
        with probability r < 1 carries r; a failure is kept with probability 1 and
        carries none."""
        ratio = self.sampling.get(kind, 1.0)
        if failed or ratio >= 1.0:
            return True, None
        if random.random() < ratio:
            return True, float(ratio)
        self.sampled_out += 1
        return False, None

    def _event(self, kind, fields, failed=False, ids=True):
        sample_rate = None
        if kind in _SAMPLED:
            keep, sample_rate = self._sample(kind, failed)
            if not keep:
                return True
        event = {"v": 1, "ts": _now(), "type": kind}
        current = _CURRENT.get() if ids else None
        if current is not None and "span_id" not in fields:
            event["trace_id"] = current[0]
            event["span_id"] = os.urandom(8).hex()
            event["parent_span_id"] = current[1]
        event.update(_clean(fields))
        if sample_rate is not None:
            event["sample_rate"] = sample_rate
        line = (json.dumps(event, separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
        with self._lock:
            if self.batch_size is None and self._batch_depth == 0:
                return self._append(line, 1)
            self._buffer.append(line)
            if self._oldest is None:
                self._oldest = time.monotonic()
                self._arm_timer()
            if self.batch_size is not None and len(self._buffer) >= self.batch_size and self._batch_depth == 0:
                return self._flush_locked()
        return True

    def _arm_timer(self):
        if self.batch_size is None or self._timer is not None:
            return
        self._timer = threading.Timer(self.batch_interval, self.flush)
        self._timer.daemon = True
        self._timer.start()

    def _flush_locked(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._buffer:
            return True
        data, count = b"".join(self._buffer), len(self._buffer)
        self._buffer, self._oldest = [], None
        return self._append(data, count)

    def flush(self):
        """Writes whatever batching holds."""
        with self._lock:
            return self._flush_locked()

    def batch_update(self):
        """A context manager: events inside the block are written in one append at its end."""
        collector = self

        class _Batch:
            def __enter__(self):
                with collector._lock:
                    collector._batch_depth += 1
                return collector

            def __exit__(self, *exc):
                with collector._lock:
                    collector._batch_depth -= 1
                    if collector._batch_depth == 0:
                        collector._flush_locked()
                return False

        return _Batch()

    # -- the user guide's calls ------------------------------------------

    def record_agent_request(self, agent_name, success, response_time, tokens=None, cost=None,
                             model=None, error_type=None, *, session=None, cache_read_tokens=None,
                             cache_write_tokens=None, cache_write_1h_tokens=None, reasoning_tokens=None,
                             web_search_requests=None, **attrs):
        """One request handled by an agent. ``tokens`` is its total; the optional
        cache and reasoning counts are parts of it (see ``record_model_call``)."""
        details = _token_details({"tokens": tokens}, cache_read_tokens, cache_write_tokens,
                                 cache_write_1h_tokens, reasoning_tokens, web_search_requests)
        return self._event("agent_request", {
            "agent": agent_name, "session": _session(session), "success": bool(success),
            "duration_ms": _ms(response_time), "tokens": tokens, **details, "cost_usd": cost,
            "model": model, "error_type": error_type, "attrs": attrs or None,
        }, failed=not success)

    def record_tool_usage(self, tool_name, agent_name=None, success=True, execution_time=0.0,
                          error_type=None, error_message=None, *, session=None):
        return self._event("tool_call", {
            "tool": tool_name, "agent": agent_name, "session": _session(session), "success": bool(success),
            "duration_ms": _ms(execution_time), "error_type": error_type, "error_message": error_message,
        }, failed=not success)

    def record_model_call(self, model, success=True, latency=0.0, provider=None, agent_name=None,
                          input_tokens=None, output_tokens=None, cost=None, *, session=None,
                          cache_read_tokens=None, cache_write_tokens=None, cache_write_1h_tokens=None,
                          reasoning_tokens=None, web_search_requests=None):
        """One call to a model. The token counts nest, as the providers' usage does
        once normalized: ``input_tokens`` is every prompt token, including the
        ``cache_read_tokens`` and ``cache_write_tokens`` (which includes the
        ``cache_write_1h_tokens``); ``output_tokens`` is every completion token,
        including the ``reasoning_tokens``. So from Anthropic's usage pass
        input_tokens + cache_read_input_tokens + cache_creation_input_tokens as
        input_tokens; OpenAI's prompt_tokens and completion_tokens already include
        their cached and reasoning tokens. A part above its total, or given without
        it, raises ValueError (the reader would reject the line).
        ``web_search_requests`` counts the web searches the provider ran for the
        call (Anthropic's ``usage.server_tool_use.web_search_requests``), priced by
        the search on top of the tokens."""
        details = _token_details({"input_tokens": input_tokens, "output_tokens": output_tokens},
                                 cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens,
                                 web_search_requests)
        return self._event("model_call", {
            "model": model, "provider": provider, "agent": agent_name, "session": _session(session),
            "success": bool(success), "duration_ms": _ms(latency), "input_tokens": input_tokens,
            "output_tokens": output_tokens, **details, "cost_usd": cost,
        }, failed=not success)

    def record_error(self, component, error_type, error_message, context=None, agent_name=None, *,
                     session=None):
        return self._event("error", {
            "component": component, "error_type": error_type, "message": error_message,
            "agent": agent_name, "session": _session(session), "context": dict(context) if context else None,
        }, failed=True)

    def heartbeat(self, process=None, agents=None, rss_bytes=None, cpu_percent=None, host=None, *,
                  started_at=None, stopped=False):
        """Says this process is alive. Unless given: started_at (a datetime, a Unix time
        or an RFC 3339 string) is when this module was imported; rss_bytes the
        process's resident memory (VmRSS on Linux; elsewhere its peak, ru_maxrss);
        cpu_percent its CPU time over the wall time since this collector's previous
        heartbeat (since the import for the first), in percent of one core, so above
        100 when threads run on several cores. stopped=True marks the process's last
        heartbeat (it is exiting cleanly): its silence then raises no alert."""
        mark = (time.monotonic(), time.process_time())
        with self._lock:
            last, self._cpu_mark = self._cpu_mark, mark
        if rss_bytes is None:
            rss_bytes = _rss_bytes()
        if cpu_percent is None and mark[0] > last[0]:
            cpu_percent = round(100.0 * max(0.0, mark[1] - last[1]) / (mark[0] - last[0]), 2)
        if started_at is None:
            started_at = _STARTED[0]
        if not isinstance(started_at, str):
            started_at = _rfc3339(started_at)
        return self._event("heartbeat", {
            "process": process or "python-%d" % os.getpid(), "pid": os.getpid(), "host": host,
            "started_at": started_at, "agents": list(agents) if agents else None,
            "rss_bytes": rss_bytes, "cpu_percent": cpu_percent, "stopped": True if stopped else None,
        }, ids=False)

    def start_heartbeats(self, interval=30.0, **fields):
        """Sends a heartbeat now, then every ``interval`` seconds (at least 1) from a
        daemon thread, with ``fields`` as ``heartbeat()`` takes them, until
        ``stop_heartbeats()`` or a clean exit, which send a last heartbeat saying so.
        When they stop without it (the process was killed or hung), ajentik's
        ``heartbeat_lost`` alert fires after its ``heartbeat_timeout`` (3 minutes by
        default): keep the interval well below it."""
        if isinstance(interval, bool) or not isinstance(interval, numbers.Real) or not interval > 0:
            raise ValueError("interval must be a number of seconds above 0, not %r" % (interval,))
        interval = max(1.0, float(interval))
        self.stop_heartbeats()
        stop = threading.Event()

        def beat():
            while True:
                self.heartbeat(**fields)
                self.flush()  # a batching collector would hold the beat
                if stop.wait(interval):
                    return

        _watch_for_crashes()
        thread = threading.Thread(target=beat, name="ajentik-heartbeat", daemon=True)
        self._heartbeats = (stop, thread, fields)
        thread.start()

    def stop_heartbeats(self):
        """Stops the heartbeats ``start_heartbeats()`` began, with a last one that says
        so (``stopped``); none is sent after it returns."""
        self._end_heartbeats(clean=True)

    def _stop_heartbeats_at_exit(self):
        # An exit after an uncaught exception is a crash, not a clean stop: the
        # heartbeats just end, and ajentik's heartbeat_lost fires.
        self._end_heartbeats(clean=not _crashed[0])

    def _end_heartbeats(self, clean):
        running, self._heartbeats = self._heartbeats, None
        if running is not None:
            stop, thread, fields = running
            stop.set()
            thread.join()
            if clean:
                self.heartbeat(stopped=True, **fields)
            self.flush()

    def _span(self, name, agent_name, duration, error, context, trace_id, span_id, parent, session=None):
        fields = {
            "name": name, "agent": agent_name, "session": _session(session), "duration_ms": _ms(duration),
            "status": "error" if error else "ok",
            "error_type": type(error).__name__ if error else None,
            "error_message": str(error)[:1000] if error else None,
            "attrs": {k: v for k, v in context.items()} or None,
            "trace_id": trace_id, "span_id": span_id, "parent_span_id": parent,
        }
        return self._event("span", fields, failed=error is not None)

    # -- reading back, through the ajentik binary -------------------------

    def _ajentik(self, *args):
        binary = os.environ.get("AJENTIK_BIN", "ajentik")
        return subprocess.run([binary, *args, "--log", self.path], capture_output=True, text=True, timeout=120)

    def get_system_health(self):
        """The health part of `ajentik monitor --export json`: status, success_rate, ...

        A dict of the JSON (``json.dumps`` gives it back with ``null``s). A measure
        with nothing to measure yet (success_rate before any request, uptime_s,
        rss_bytes, cpu_percent without heartbeats) reads as ``NO_DATA``, which
        prints as "n/a", is false, and equals None: the guide's
        ``f"Success Rate: {health['success_rate']}%"`` prints "Success Rate: n/a%".
        Raises RuntimeError with ajentik's message when the log cannot be read
        (a path that does not exist, say)."""
        self.flush()
        done = self._ajentik("monitor", "--export", "json")
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip() or "ajentik failed")
        return Health(json.loads(done.stdout)["health"])

    def check_alerts(self):
        """The firing alerts, as dicts (rule, scope, severity, value, threshold, message, since).

        Raises RuntimeError when the check cannot run (the log does not exist, say)."""
        self.flush()
        done = self._ajentik("monitor", "--alerts", "--json")
        if done.returncode not in (0, 1, 2):
            try:
                errors = json.loads(done.stdout).get("errors") or []
            except ValueError:
                errors = []
            why = "; ".join(errors) or done.stderr.strip() or "unknown reason"
            raise RuntimeError("ajentik could not evaluate the alerts: " + why)
        return json.loads(done.stdout)["alerts"]


class _NoData:
    """A measure with nothing to measure yet: prints as "n/a", is false, and
    equals None (``is None`` is false: compare with ``== None`` or ``not x``)."""

    __slots__ = ()

    def __repr__(self):
        return "NO_DATA"

    def __str__(self):
        return "n/a"

    def __format__(self, spec):
        return "n/a"

    def __bool__(self):
        return False

    def __eq__(self, other):
        return other is None or isinstance(other, _NoData)

    def __hash__(self):
        return hash(None)


NO_DATA = _NoData()


class Health(dict):
    """The health dict: ``None`` values read as ``NO_DATA`` through ``[]`` (and
    ``.get``), so printing them gives "n/a"; the stored values stay None, so
    ``json.dumps`` writes ``null``."""

    def __getitem__(self, key):
        value = dict.__getitem__(self, key)
        return NO_DATA if value is None else value

    def get(self, key, default=None):
        if key not in self:
            return default
        return self[key]


class monitor_operation:
    """Times an operation and writes a `span` when it ends; usable as `with` and
    `async with`. Nested operations (also across `await`, through contextvars)
    join the same trace; records made inside carry its trace and parent ids.
    An exception marks the span failed and propagates. ``session=`` is written
    as the span's "session" (records made inside do not inherit it); any other
    keyword goes to its attrs."""

    def __init__(self, name, agent_name=None, collector=None, *, session=None, **context):
        self.name = name
        self.agent_name = agent_name
        self.collector = collector or metrics_collector
        self.session = session
        self.context = context
        self._token = None

    def __enter__(self):
        parent = _CURRENT.get()
        self.trace_id = parent[0] if parent else os.urandom(16).hex()
        self.parent = parent[1] if parent else None
        self.span_id = os.urandom(8).hex()
        self._token = _CURRENT.set((self.trace_id, self.span_id))
        self._start = time.perf_counter()
        return self

    def __exit__(self, exc_type, exc, tb):
        duration = time.perf_counter() - self._start
        _CURRENT.reset(self._token)
        self.collector._span(self.name, self.agent_name, duration, exc, self.context,
                             self.trace_id, self.span_id, self.parent, self.session)
        return False

    async def __aenter__(self):
        return self.__enter__()

    async def __aexit__(self, exc_type, exc, tb):
        return self.__exit__(exc_type, exc, tb)


metrics_collector = MetricsCollector()
