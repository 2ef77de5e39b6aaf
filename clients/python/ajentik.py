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
"""

import atexit
import contextvars
import json
import os
import random
import subprocess
import threading
import time
from datetime import datetime, timezone

__all__ = ["MetricsCollector", "metrics_collector", "monitor_operation", "default_log_path"]
__version__ = "0.1.0"

_CURRENT = contextvars.ContextVar("ajentik_operation", default=None)


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


def _ms(seconds):
    return max(0.0, float(seconds)) * 1000.0


def _clean(fields):
    return {k: v for k, v in fields.items() if v is not None}


class MetricsCollector:
    """Appends events to an ajentik event log.

    sampling: {"agent_request": 0.1, "tool_call": 1.0, "model_call": 0.5, "span": 1.0}
        keeps that share of each kind; errors and failures are always kept.
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
        atexit.register(self.flush)

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

    def _keep(self, kind, failed):
        ratio = self.sampling.get(kind, 1.0)
        if failed or ratio >= 1.0 or random.random() < ratio:
            return True
        self.sampled_out += 1
        return False

    def _event(self, kind, fields, failed=False, ids=True):
        if kind in ("agent_request", "tool_call", "model_call", "span") and not self._keep(kind, failed):
            return True
        event = {"v": 1, "ts": _now(), "type": kind}
        current = _CURRENT.get() if ids else None
        if current is not None and "span_id" not in fields:
            event["trace_id"] = current[0]
            event["span_id"] = os.urandom(8).hex()
            event["parent_span_id"] = current[1]
        event.update(_clean(fields))
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
                             model=None, error_type=None, **attrs):
        return self._event("agent_request", {
            "agent": agent_name, "success": bool(success), "duration_ms": _ms(response_time),
            "tokens": tokens, "cost_usd": cost, "model": model, "error_type": error_type,
            "attrs": attrs or None,
        }, failed=not success)

    def record_tool_usage(self, tool_name, agent_name=None, success=True, execution_time=0.0,
                          error_type=None, error_message=None):
        return self._event("tool_call", {
            "tool": tool_name, "agent": agent_name, "success": bool(success),
            "duration_ms": _ms(execution_time), "error_type": error_type, "error_message": error_message,
        }, failed=not success)

    def record_model_call(self, model, success=True, latency=0.0, provider=None, agent_name=None,
                          input_tokens=None, output_tokens=None, cost=None):
        return self._event("model_call", {
            "model": model, "provider": provider, "agent": agent_name, "success": bool(success),
            "duration_ms": _ms(latency), "input_tokens": input_tokens, "output_tokens": output_tokens,
            "cost_usd": cost,
        }, failed=not success)

    def record_error(self, component, error_type, error_message, context=None, agent_name=None):
        return self._event("error", {
            "component": component, "error_type": error_type, "message": error_message,
            "agent": agent_name, "context": dict(context) if context else None,
        }, failed=True)

    def heartbeat(self, process=None, agents=None, rss_bytes=None, cpu_percent=None, host=None):
        return self._event("heartbeat", {
            "process": process or "python-%d" % os.getpid(), "pid": os.getpid(), "host": host,
            "agents": list(agents) if agents else None, "rss_bytes": rss_bytes, "cpu_percent": cpu_percent,
        }, ids=False)

    def _span(self, name, agent_name, duration, error, context, trace_id, span_id, parent):
        fields = {
            "name": name, "agent": agent_name, "duration_ms": _ms(duration),
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
        """The health part of `ajentik monitor --export json`: status, success_rate, ..."""
        self.flush()
        done = self._ajentik("monitor", "--export", "json")
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip() or "ajentik failed")
        return json.loads(done.stdout)["health"]

    def check_alerts(self):
        """The firing alerts, as dicts (rule, scope, severity, value, threshold, message, since)."""
        self.flush()
        done = self._ajentik("monitor", "--alerts", "--json")
        if done.returncode not in (0, 1, 2):
            raise RuntimeError(done.stderr.strip() or "ajentik could not evaluate the alerts")
        return json.loads(done.stdout)["alerts"]


class monitor_operation:
    """Times an operation and writes a `span` when it ends; usable as `with` and
    `async with`. Nested operations (also across `await`, through contextvars)
    join the same trace; records made inside carry its trace and parent ids.
    An exception marks the span failed and propagates."""

    def __init__(self, name, agent_name=None, collector=None, **context):
        self.name = name
        self.agent_name = agent_name
        self.collector = collector or metrics_collector
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
                             self.trace_id, self.span_id, self.parent)
        return False

    async def __aenter__(self):
        return self.__enter__()

    async def __aexit__(self, exc_type, exc, tb):
        return self.__exit__(exc_type, exc, tb)


metrics_collector = MetricsCollector()
