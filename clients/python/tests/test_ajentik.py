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


if __name__ == "__main__":
    unittest.main()
