"""Tests of the Python writer, run by `cargo test` (tests/python.rs) with
AJENTIK_BIN pointing at the ajentik binary just built."""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from datetime import datetime, timedelta, timezone
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import ajentik  # noqa: E402
from ajentik import MetricsCollector, monitor_operation  # noqa: E402

BIN = os.environ.get("AJENTIK_BIN", "ajentik")


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f]


def report(path):
    done = subprocess.run([BIN, "monitor", "--export", "json", "--log", path], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


class Writer(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "nested", "events.jsonl")
        self.c = MetricsCollector(path=self.path)

    def tearDown(self):
        self.dir.cleanup()

    def test_the_guide_calls_write_events_ajentik_reads(self):
        c = self.c
        c.record_agent_request(agent_name="CustomAgent", success=True, response_time=1.5, tokens=250, cost=0.05)
        c.record_tool_usage(tool_name="web_search", agent_name="ResearchAgent", success=True, execution_time=0.8)
        c.record_model_call("gpt-4o", success=True, latency=1.2, provider="openai", agent_name="ChatAgent",
                            input_tokens=180, output_tokens=70)
        c.record_error(component="DataProcessor", error_type="ValidationError",
                       error_message='Invalid "input" format\n', context={"input_size": 1000})
        c.heartbeat(process="py-worker", agents=["CustomAgent"], rss_bytes=1024, cpu_percent=3.5)
        r = report(self.path)
        self.assertEqual(r["ingest"]["events"], 5)
        self.assertEqual(r["ingest"]["malformed"], 0)
        agent = next(a for a in r["agents"] if a["name"] == "CustomAgent")
        self.assertEqual(agent["avg_response_time_ms"], 1500.0)
        self.assertEqual(agent["cost_usd"], 0.05)
        self.assertEqual(r["tools"][0]["avg_execution_time_ms"], 800.0)
        self.assertEqual(r["errors"]["recent"][0]["message"], 'Invalid "input" format\n')
        self.assertEqual(c.written, 5)

    def test_operations_nest_into_traces_and_fail_on_exceptions(self):
        c = self.c
        with monitor_operation("user_request", agent_name="ChatAgent", collector=c, user_id="u-17") as outer:
            c.record_agent_request(agent_name="ChatAgent", success=True, response_time=0.1)
            try:
                with monitor_operation("tool_execution", collector=c):
                    raise ValueError("bad input")
            except ValueError:
                pass
        c.record_agent_request(agent_name="Other", success=True, response_time=0.1)
        request, inner, span, after = lines(self.path)
        self.assertEqual(span["name"], "user_request")
        self.assertEqual(span["attrs"], {"user_id": "u-17"})
        self.assertNotIn("parent_span_id", span)
        self.assertEqual(span["trace_id"], outer.trace_id)
        for child in (request, inner):
            self.assertEqual(child["trace_id"], span["trace_id"])
            self.assertEqual(child["parent_span_id"], span["span_id"])
        self.assertEqual((inner["status"], inner["error_type"]), ("error", "ValueError"))
        self.assertNotIn("trace_id", after)
        self.assertEqual(report(self.path)["ingest"]["malformed"], 0)

    def test_async_with_keeps_context_across_awaits(self):
        c = self.c

        async def job(n):
            async with monitor_operation("job", collector=c, n=n):
                await asyncio.sleep(0.01)
                c.record_tool_usage(tool_name="t%d" % n, success=True, execution_time=0.01)

        async def main():
            await asyncio.gather(job(1), job(2))

        asyncio.run(main())
        events = lines(self.path)
        spans = {e["attrs"]["n"]: e for e in events if e["type"] == "span"}
        for e in events:
            if e["type"] == "tool_call":
                n = int(e["tool"][1:])
                self.assertEqual(e["parent_span_id"], spans[n]["span_id"])
                self.assertEqual(e["trace_id"], spans[n]["trace_id"])
        self.assertNotEqual(spans[1]["trace_id"], spans[2]["trace_id"])

    def test_sampling_keeps_failures_and_errors(self):
        c = MetricsCollector(path=self.path, sampling={"tool_call": 0.0, "agent_request": 0.0})
        for _ in range(100):
            c.record_tool_usage(tool_name="t", success=True, execution_time=0.1)
        c.record_tool_usage(tool_name="t", success=False, execution_time=0.1)
        c.record_agent_request(agent_name="a", success=False, response_time=0.1)
        c.record_error(component="c", error_type="E", error_message="m")
        self.assertEqual(len(lines(self.path)), 3)
        self.assertEqual(c.sampled_out, 100)

    def test_batching_writes_whole_batches(self):
        c = MetricsCollector(path=self.path, batch_size=10, batch_interval=3600)
        for _ in range(9):
            c.record_tool_usage(tool_name="t", success=True, execution_time=0.1)
        self.assertFalse(os.path.exists(self.path))
        c.record_tool_usage(tool_name="t", success=True, execution_time=0.1)
        self.assertEqual(len(lines(self.path)), 10)
        c.record_tool_usage(tool_name="t", success=True, execution_time=0.1)
        c.flush()
        self.assertEqual(len(lines(self.path)), 11)
        quick = MetricsCollector(path=self.path, batch_size=1000, batch_interval=0.05)
        quick.record_tool_usage(tool_name="t", success=True, execution_time=0.1)
        deadline = time.time() + 20
        while len(lines(self.path)) < 12 and time.time() < deadline:
            time.sleep(0.01)
        self.assertEqual(len(lines(self.path)), 12)
        with self.c.batch_update():
            for _ in range(5):
                self.c.record_tool_usage(tool_name="t", success=True, execution_time=0.1)
            self.assertEqual(len(lines(self.path)), 12)
        self.assertEqual(len(lines(self.path)), 17)

    def test_write_errors_are_counted_not_raised(self):
        c = MetricsCollector(path="/dev/full")
        self.assertFalse(c.record_tool_usage(tool_name="t", success=True, execution_time=0.1))
        self.assertEqual(c.write_errors, 1)
        self.assertIn("/dev/full", c.last_error)

    def test_health_and_alerts_come_from_the_binary(self):
        c = self.c
        for i in range(10):
            c.record_agent_request(agent_name="Flaky", success=i % 2 == 0, response_time=0.2)
        health = c.get_system_health()
        self.assertEqual(health["status"], "unhealthy")
        self.assertEqual(health["total_requests"], 10)
        alerts = c.check_alerts()
        self.assertTrue(any(a["rule"] == "error_rate" and a["scope"] == "Flaky" for a in alerts))
        self.assertEqual(alerts[0]["severity"], "high")

    def test_the_guides_health_snippet_prints_something_sensible_on_an_empty_log(self):
        c = self.c
        c.record_error(component="c", error_type="E", error_message="m")  # the log exists, with no request
        health = c.get_system_health()
        self.assertEqual(f"Success Rate: {health['success_rate']}%", "Success Rate: n/a%")
        self.assertTrue(health["success_rate"] == None)  # noqa: E711 - equals None, by design
        self.assertFalse(health["success_rate"])
        self.assertIn('"success_rate": null', json.dumps(health))
        self.assertEqual(health["total_requests"], 0)

    def test_a_mistyped_log_path_raises_a_clear_error(self):
        c = ajentik.MetricsCollector(path=os.path.join(self.dir.name, "no", "such.jsonl"))
        with self.assertRaises(RuntimeError) as e:
            c.check_alerts()
        self.assertIn("no such log", str(e.exception))
        with self.assertRaises(RuntimeError) as e:
            c.get_system_health()
        self.assertIn("no such log", str(e.exception))

    def test_uptime_is_the_writers_not_the_logs(self):
        c = self.c
        c.record_agent_request(agent_name="A", success=True, response_time=0.1)
        # The log began a day ago (another writer, long gone).
        with open(self.path, "a", encoding="utf-8") as f:
            old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 86400))
            f.write('{"ts":"%s","type":"agent_request","agent":"Old","success":true,"duration_ms":1}\n' % old)
        c.heartbeat(process="p")
        health = c.get_system_health()
        # Uptime runs from this process's start (sent with the heartbeat), not
        # from the log's first event a day ago.
        self.assertIsNotNone(health["rss_bytes"])
        self.assertLess(health["uptime_s"], 3600)

    def test_threads_share_a_collector(self):
        c = self.c
        threads = [threading.Thread(target=lambda: [c.record_tool_usage(tool_name="t", success=True, execution_time=0.01) for _ in range(300)]) for _ in range(6)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        self.assertEqual(report(self.path)["tools"][0]["usage_count"], 1800)

    def test_default_path_follows_the_environment(self):
        old = dict(os.environ)
        try:
            os.environ["AJENTIK_LOG"] = "/tmp/x.jsonl"
            self.assertEqual(ajentik.default_log_path(), "/tmp/x.jsonl")
            del os.environ["AJENTIK_LOG"]
            os.environ["XDG_STATE_HOME"] = "/srv/state"
            self.assertEqual(ajentik.default_log_path(), "/srv/state/ajentik/events.jsonl")
        finally:
            os.environ.clear()
            os.environ.update(old)


class Lines(unittest.TestCase):
    """The fields the writer adds, checked in the lines it writes (no binary needed)."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "events.jsonl")

    def tearDown(self):
        self.dir.cleanup()

    def every_kind(self, c, success):
        c.record_agent_request(agent_name="a", success=success, response_time=0.1)
        c.record_tool_usage(tool_name="t", success=success, execution_time=0.1)
        c.record_model_call("gpt-4o", success=success, latency=0.1)
        try:
            with monitor_operation("op", collector=c):
                if not success:
                    raise ValueError("failed")
        except ValueError:
            pass

    def test_sample_rate_marks_the_successes_sampling_kept(self):
        kinds = ("agent_request", "tool_call", "model_call", "span")
        c = MetricsCollector(path=self.path, sampling={k: 0.1 for k in kinds})
        with mock.patch.object(ajentik.random, "random", return_value=0.05):
            self.every_kind(c, success=True)
            self.every_kind(c, success=False)
        c.record_error(component="c", error_type="E", error_message="m")
        c.heartbeat()
        with mock.patch.object(ajentik.random, "random", return_value=0.5):
            self.every_kind(c, success=True)
        events = lines(self.path)
        self.assertEqual([e["type"] for e in events], list(kinds) * 2 + ["error", "heartbeat"])
        self.assertEqual(c.sampled_out, 4)
        for e in events[:4]:
            self.assertEqual(e["sample_rate"], 0.1, e)
        for e in events[4:]:  # failures are kept with probability 1; errors and heartbeats are never sampled
            self.assertNotIn("sample_rate", e)

        os.remove(self.path)
        for sampling in ({k: 1.0 for k in kinds}, {}, {"tool_call": 0.1}):
            c = MetricsCollector(path=self.path, sampling=sampling)
            with mock.patch.object(ajentik.random, "random", return_value=0.05):
                self.every_kind(c, success=True)
        events = lines(self.path)
        self.assertEqual(len(events), 12)
        for e in events[:9] + events[10:]:  # ratio 1, given or by default, writes no sample_rate
            self.assertNotIn("sample_rate", e)
        self.assertEqual((events[9]["type"], events[9]["sample_rate"]), ("tool_call", 0.1))

    def test_session_is_written_on_every_operation(self):
        c = MetricsCollector(path=self.path)
        c.record_agent_request(agent_name="a", success=True, response_time=0.1, session="conv-1", user_id="u")
        c.record_tool_usage(tool_name="t", success=False, execution_time=0.1, session="conv-1")
        c.record_model_call("gpt-4o", latency=0.1, session="conv-1")
        c.record_error(component="c", error_type="E", error_message="m", session="conv-1")
        with monitor_operation("op", collector=c, session="conv-1", user_id="u"):
            c.record_tool_usage(tool_name="inner", execution_time=0.1)
        c.record_model_call("gpt-4o", latency=0.1, session=42)
        c.record_model_call("gpt-4o", latency=0.1)
        c.heartbeat()
        request, tool, model, error, inner, span, numbered, plain, beat = lines(self.path)
        for e in (request, tool, model, error, span):
            self.assertEqual(e["session"], "conv-1", e)
        self.assertEqual(request["attrs"], {"user_id": "u"})
        self.assertEqual(span["attrs"], {"user_id": "u"})
        self.assertEqual(numbered["session"], "42")
        for e in (inner, plain, beat):
            self.assertNotIn("session", e)

    def test_cache_and_reasoning_tokens_are_parts_of_the_totals(self):
        c = MetricsCollector(path=self.path)
        parts = {"cache_read_tokens": 600, "cache_write_tokens": 300, "cache_write_1h_tokens": 100,
                 "reasoning_tokens": 200}
        c.record_model_call("claude-sonnet-4", latency=1.0, input_tokens=1000, output_tokens=300, **parts)
        c.record_agent_request(agent_name="a", success=True, response_time=1.0, tokens=1300, **parts)
        c.record_model_call("gpt-4o", latency=1.0, input_tokens=900, output_tokens=10, cache_read_tokens=900)
        c.record_model_call("gpt-4o", latency=1.0, input_tokens=10, output_tokens=10)
        model, request, exact, plain = lines(self.path)
        for e in (model, request):
            for key, value in parts.items():
                self.assertEqual(e[key], value, key)
        self.assertEqual((model["input_tokens"], model["output_tokens"]), (1000, 300))
        self.assertEqual(exact["cache_read_tokens"], 900)
        self.assertNotIn("cache_write_tokens", exact)
        for key in parts:
            self.assertNotIn(key, plain)

        too_many = [
            dict(input_tokens=800, cache_read_tokens=600, cache_write_tokens=300),
            dict(output_tokens=300, reasoning_tokens=301),
            dict(cache_write_tokens=300, cache_write_1h_tokens=301),
            dict(input_tokens=10, cache_write_1h_tokens=1),
            dict(cache_read_tokens=1),
            dict(input_tokens=10, reasoning_tokens=1),
            dict(cache_read_tokens=-1),
        ]
        for kwargs in too_many:
            with self.assertRaises(ValueError, msg=kwargs):
                c.record_model_call("gpt-4o", latency=1.0, **kwargs)
        with self.assertRaises(ValueError):
            c.record_agent_request(agent_name="a", success=True, response_time=1.0, tokens=100,
                                   cache_read_tokens=80, reasoning_tokens=30)
        with self.assertRaises(ValueError):
            c.record_agent_request(agent_name="a", success=True, response_time=1.0, cache_read_tokens=1)
        for bad in (1.5, "10", True):
            with self.assertRaises(TypeError, msg=bad):
                c.record_model_call("gpt-4o", latency=1.0, input_tokens=100, cache_read_tokens=bad)
        c.record_model_call("gpt-4o", latency=1.0, cache_read_tokens=0, reasoning_tokens=0)
        self.assertEqual(len(lines(self.path)), 5)
        self.assertEqual(lines(self.path)[-1]["cache_read_tokens"], 0)

    def test_web_searches_are_counted_apart_from_the_tokens(self):
        c = MetricsCollector(path=self.path)
        c.record_model_call("claude-sonnet-4-5", latency=1.0, input_tokens=10, output_tokens=5,
                            web_search_requests=3)
        c.record_model_call("claude-sonnet-4-5", latency=1.0, web_search_requests=2)
        c.record_agent_request(agent_name="a", success=True, response_time=1.0, tokens=15, web_search_requests=3)
        with_tokens, without, request = lines(self.path)
        self.assertEqual(with_tokens["web_search_requests"], 3)
        self.assertEqual(without["web_search_requests"], 2)
        self.assertEqual(request["web_search_requests"], 3)
        with self.assertRaises(ValueError):
            c.record_model_call("claude-sonnet-4-5", latency=1.0, web_search_requests=-1)
        for bad in (1.5, True):
            with self.assertRaises(TypeError, msg=bad):
                c.record_model_call("claude-sonnet-4-5", latency=1.0, web_search_requests=bad)
        self.assertEqual(len(lines(self.path)), 3)

    def test_heartbeats_go_on_a_timer_until_stopped(self):
        c = MetricsCollector(path=self.path, batch_size=1000, batch_interval=3600)
        c.start_heartbeats(interval=0.01, process="w-7", agents=["A"])
        deadline = time.monotonic() + 20
        written = lambda: len(lines(self.path)) if os.path.exists(self.path) else 0  # noqa: E731
        while written() < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        c.stop_heartbeats()
        beats = lines(self.path)
        self.assertGreaterEqual(len(beats), 3)
        for e in beats:
            self.assertEqual((e["type"], e["process"], e["agents"]), ("heartbeat", "w-7", ["A"]))
        # The last says the process stopped cleanly; the others say nothing of it.
        self.assertEqual([e.get("stopped") for e in beats], [None] * (len(beats) - 1) + [True])
        time.sleep(1.1)
        self.assertEqual(len(lines(self.path)), len(beats), "nothing after stop_heartbeats()")
        c.stop_heartbeats()  # twice is harmless
        for bad in (0, -1, "30", True):
            with self.assertRaises(ValueError, msg=bad):
                c.start_heartbeats(interval=bad)

    def test_a_clean_exit_sends_a_last_stopped_heartbeat(self):
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        script = ("import ajentik; c = ajentik.MetricsCollector(path=%r, batch_size=100, batch_interval=3600); "
                  "c.start_heartbeats(interval=30, process='nightly-job')" % self.path)
        subprocess.run([sys.executable, "-c", script], cwd=here, check=True, timeout=60,
                       env=dict(os.environ, PYTHONPATH=here))
        beats = lines(self.path)
        self.assertEqual([(e["process"], e.get("stopped")) for e in beats],
                         [("nightly-job", None), ("nightly-job", True)])

    def test_a_crash_sends_no_stopped_heartbeat_but_ctrl_c_does(self):
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        start = ("import ajentik; c = ajentik.MetricsCollector(path=%r, batch_size=100, batch_interval=3600); "
                 "c.start_heartbeats(interval=30, process='job'); " % self.path)
        env = dict(os.environ, PYTHONPATH=here)
        crash = subprocess.run([sys.executable, "-c", start + "raise RuntimeError('boom')"], cwd=here,
                               timeout=60, env=env, capture_output=True, text=True)
        self.assertNotEqual(crash.returncode, 0)
        self.assertIn("RuntimeError: boom", crash.stderr, "the traceback is still printed")
        self.assertEqual([e.get("stopped") for e in lines(self.path)], [None])
        os.remove(self.path)
        stopped = subprocess.run([sys.executable, "-c", start + "raise KeyboardInterrupt"], cwd=here,
                                 timeout=60, env=env, capture_output=True)
        self.assertNotEqual(stopped.returncode, 0)
        self.assertEqual([e.get("stopped") for e in lines(self.path)], [None, True])

    def test_heartbeat_reports_the_start_memory_and_cpu(self):
        c = MetricsCollector(path=self.path)
        c.heartbeat()
        spent = time.process_time()
        while time.process_time() - spent < 0.05:
            pass
        c.heartbeat(process="w")
        c.heartbeat(process="w", rss_bytes=1024, cpu_percent=2.5, started_at="2026-11-26T19:15:00Z")
        c.heartbeat(process="w", started_at=datetime(2026, 11, 26, 20, 15, 0, 500, timezone(timedelta(hours=1))))
        first, busy, given, aware = lines(self.path)
        started = datetime.fromtimestamp(ajentik._STARTED[0], timezone.utc)
        self.assertEqual(first["started_at"], started.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
        self.assertRegex(first["started_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        parse = lambda ts: datetime.fromisoformat(ts.replace("Z", "+00:00"))  # noqa: E731
        self.assertLessEqual(parse(first["started_at"]), parse(first["ts"]))
        self.assertEqual(busy["started_at"], first["started_at"])
        for e in (first, busy):
            self.assertIsInstance(e["rss_bytes"], int)
            self.assertGreater(e["rss_bytes"], 1 << 20)
            self.assertIsInstance(e["cpu_percent"], (int, float))
            self.assertGreaterEqual(e["cpu_percent"], 0)
        self.assertGreater(busy["cpu_percent"], 0)
        self.assertLessEqual(busy["cpu_percent"], 100 * (os.cpu_count() or 1) + 1)
        self.assertEqual((given["rss_bytes"], given["cpu_percent"], given["started_at"]),
                         (1024, 2.5, "2026-11-26T19:15:00Z"))
        self.assertEqual(aware["started_at"], "2026-11-26T19:15:00.000Z")

    @unittest.skipUnless(sys.platform.startswith("linux"), "VmRSS is Linux's")
    def test_memory_is_the_resident_set_else_the_peak_in_bytes(self):
        import resource
        with open("/proc/self/status") as f:
            vmrss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) * 1024
        self.assertLess(abs(ajentik._rss_bytes() - vmrss), 64 << 20)
        with mock.patch("builtins.open", side_effect=OSError("no /proc")):
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self.assertEqual(ajentik._rss_bytes(), peak * 1024)
            with mock.patch.object(ajentik.sys, "platform", "darwin"):
                self.assertEqual(ajentik._rss_bytes(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


if __name__ == "__main__":
    unittest.main()
