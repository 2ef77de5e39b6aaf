"""Sends GenAI spans and agent log records to an OTLP endpoint with the official
OpenTelemetry Python SDK's exporters (tests/serve.rs runs it against `ajentik serve`).

    python send.py http|grpc ENDPOINT [TOKEN]

The spans are shaped as pydantic-ai with Logfire sends them (see
shared/formats/genai-otlp.md): `invoke_agent weather_agent` with two `chat gpt-4o`
children and two `execute_tool get_weather` children, one of them failing with a
recorded exception. The log records are Claude Code's `api_request` and
`tool_result` events.
"""

import sys
import time

from opentelemetry import trace
from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode


def exporters(protocol, endpoint, token):
    headers = {"authorization": f"Bearer {token}"} if token else None
    if protocol == "http":
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return (
            OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", headers=headers),
            OTLPLogExporter(endpoint=f"{endpoint}/v1/logs", headers=headers),
        )
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    return (
        OTLPSpanExporter(endpoint=endpoint, insecure=True, headers=headers),
        OTLPLogExporter(endpoint=endpoint, insecure=True, headers=headers),
    )


def main():
    protocol, endpoint = sys.argv[1], sys.argv[2]
    token = sys.argv[3] if len(sys.argv) > 3 else None
    span_exporter, log_exporter = exporters(protocol, endpoint, token)
    resource = Resource.create({"service.name": f"weather-{protocol}"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    tracer = tracer_provider.get_tracer("pydantic-ai")

    conversation = f"conv-{protocol}"
    with tracer.start_as_current_span(
        "invoke_agent weather_agent",
        attributes={
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "weather_agent",
            "gen_ai.conversation.id": conversation,
            "gen_ai.aggregated_usage.input_tokens": 300,
            "gen_ai.aggregated_usage.output_tokens": 60,
            "final_result": "SECRET-ANSWER sunny",
        },
    ):
        for turn in range(2):
            with tracer.start_as_current_span(
                "chat gpt-4o",
                kind=SpanKind.CLIENT,
                attributes={
                    "gen_ai.operation.name": "chat",
                    "gen_ai.system": "openai",
                    "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.response.model": "gpt-4o-2024-08-06",
                    "gen_ai.usage.input_tokens": 150,
                    "gen_ai.usage.output_tokens": 30,
                    "gen_ai.usage.details.cache_read_tokens": 100 * turn,
                    "gen_ai.conversation.id": conversation,
                    "gen_ai.input.messages": '[{"role":"user","content":"SECRET-PROMPT"}]',
                },
            ):
                time.sleep(0.01)
            # The tool span names no agent: it is found through its parent.
            with tracer.start_as_current_span(
                "execute_tool get_weather",
                attributes={
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": "get_weather",
                    "gen_ai.tool.call.id": f"call_{turn}",
                    "gen_ai.tool.call.arguments": '{"city":"SECRET-CITY"}',
                },
            ) as tool:
                time.sleep(0.005)
                if turn == 1:
                    try:
                        raise TimeoutError("weather service timed out")
                    except TimeoutError as error:
                        tool.record_exception(error)
                        tool.set_attribute("error.type", "TimeoutError")
                        tool.set_status(Status(StatusCode.ERROR, "weather service timed out"))

    logger_provider = LoggerProvider(resource=Resource.create({"service.name": "claude-code"}))
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(log_exporter))
    logger = logger_provider.get_logger("com.anthropic.claude_code.events")
    now = time.time_ns()
    logger.emit(
        LogRecord(
            timestamp=now,
            severity_number=SeverityNumber.INFO,
            body="claude_code.api_request",
            attributes={
                "event.name": "api_request",
                "event.timestamp": "2026-12-02T07:00:00.000Z",
                "event.sequence": 1,
                "session.id": f"cc-{protocol}",
                "model": "claude-sonnet-4-5-20250929",
                "input_tokens": 2,
                "output_tokens": 187,
                "cache_read_tokens": 1000,
                "cache_creation_tokens": 500,
                "cost_usd": 0.0123,
                "duration_ms": 3412,
                "request_id": f"req_{protocol}",
                "user.email": "someone@example.com",
            },
        )
    )
    logger.emit(
        LogRecord(
            timestamp=now + 1000,
            severity_number=SeverityNumber.INFO,
            body="claude_code.tool_result",
            attributes={
                "event.name": "tool_result",
                "event.timestamp": "2026-12-02T07:00:01.000Z",
                "event.sequence": 2,
                "session.id": f"cc-{protocol}",
                "tool_name": "Bash",
                "tool_use_id": f"toolu_{protocol}",
                "success": "false",
                "duration_ms": "12637",
                "error_type": "exit_code",
            },
        )
    )
    tracer_provider.shutdown()
    logger_provider.shutdown()


if __name__ == "__main__":
    main()
