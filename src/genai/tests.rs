//! The mapping, row by row as docs/otlp-ingest.md lists it. Every line produced is
//! read back by the event log's own reader (when the app is built) to prove it valid.

use serde_json::Value;

use super::*;

fn attrs(pairs: &[(&str, AttrValue)]) -> Attributes {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

fn s(text: &str) -> AttrValue {
    AttrValue::Str(text.to_owned())
}

fn span(name: &str, pairs: &[(&str, AttrValue)]) -> SpanInput {
    SpanInput {
        name: name.to_owned(),
        trace_id: Some(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
        span_id: Some(0x00f0_67aa_0ba9_02b7),
        parent_span_id: Some(0x1111),
        start: 1_780_000_000_000_000,
        end: 1_780_000_001_500_000,
        attributes: attrs(pairs),
        service: Some("weather-service".into()),
        ..SpanInput::default()
    }
}

/// The lines as JSON values, each checked by the real reader.
fn json(lines: &[Line]) -> Vec<Value> {
    lines
        .iter()
        .map(|line| {
            let text = serde_json::to_string(line).expect("serialize");
            #[cfg(feature = "app")]
            assert!(
                matches!(crate::ingest::v1::parse_line(text.as_bytes()), crate::ingest::v1::LineOutcome::Event(_)),
                "not a valid v1 event: {text}"
            );
            serde_json::from_str(&text).expect("json")
        })
        .collect()
}

fn one_span(span: &SpanInput, ancestor: Option<&str>) -> Value {
    let lines = json(&span_to_events(span, ancestor, MapOptions::default()));
    assert_eq!(lines.len(), 1, "{lines:?}");
    lines.into_iter().next().unwrap_or_default()
}

#[test]
fn lines_start_with_v_ts_type_as_our_writers_do() {
    let line = serde_json::to_string(&span_to_events(&span("db", &[]), None, MapOptions::default())[0]).unwrap();
    assert!(line.starts_with(r#"{"v":1,"ts":"2026-05-28T20:26:41.500000Z","type":"span","#), "{line}");
}

#[test]
fn chat_span_is_a_model_call_with_every_token_alias() {
    let current = span(
        "chat gpt-4o",
        &[
            ("gen_ai.operation.name", s("chat")),
            ("gen_ai.request.model", s("gpt-4o")),
            ("gen_ai.response.model", s("gpt-4o-2024-08-06")),
            ("gen_ai.provider.name", s("openai")),
            ("gen_ai.agent.name", s("planner")),
            ("gen_ai.usage.input_tokens", AttrValue::Int(1000)),
            ("gen_ai.usage.output_tokens", s("200")),
            ("gen_ai.usage.cache_read.input_tokens", AttrValue::F64(600.0)),
            ("gen_ai.usage.cache_creation.input_tokens", AttrValue::Int(100)),
            ("gen_ai.usage.reasoning.output_tokens", AttrValue::Int(50)),
            ("operation.cost", AttrValue::F64(0.0123)),
            ("gen_ai.conversation.id", s("conv-1")),
        ],
    );
    let line = one_span(&current, None);
    assert_eq!(line["type"], "model_call");
    assert_eq!(line["model"], "gpt-4o-2024-08-06");
    assert_eq!(line["provider"], "openai");
    assert_eq!(line["agent"], "planner");
    assert_eq!(line["duration_ms"], 1500.0);
    assert_eq!(line["input_tokens"], 1000);
    assert_eq!(line["output_tokens"], 200);
    assert_eq!(line["cache_read_tokens"], 600);
    assert_eq!(line["cache_write_tokens"], 100);
    assert_eq!(line["reasoning_tokens"], 50);
    assert_eq!(line["cost_usd"], 0.0123);
    assert_eq!(line["session"], "conv-1");
    assert_eq!(line["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(line["span_id"], "00f067aa0ba902b7");
    assert_eq!(line["parent_span_id"], "0000000000001111");
    assert_eq!(line["attrs"]["service.name"], "weather-service");

    let older = span(
        "text_completion davinci",
        &[
            ("gen_ai.system", s("openai")),
            ("gen_ai.usage.prompt_tokens", AttrValue::Int(10)),
            ("gen_ai.usage.completion_tokens", AttrValue::Int(5)),
            ("gen_ai.usage.cache_read_input_tokens", AttrValue::Int(4)),
            ("gen_ai.usage.cost", AttrValue::F64(0.5)),
        ],
    );
    let line = one_span(&older, Some("outer"));
    assert_eq!((line["model"].as_str(), line["provider"].as_str()), (Some("davinci"), Some("openai")));
    assert_eq!((line["input_tokens"].as_u64(), line["output_tokens"].as_u64()), (Some(10), Some(5)));
    assert_eq!(line["cache_read_tokens"], 4);
    assert_eq!(line["cost_usd"], 0.5);
    assert_eq!(line["agent"], "outer", "the ancestor's agent when the span names none");

    for (key, kind) in [
        ("gen_ai.usage.input_tokens.cached", "cache_read_tokens"),
        ("gen_ai.usage.details.cache_read_tokens", "cache_read_tokens"),
        ("gen_ai.usage.cache_write.input_tokens", "cache_write_tokens"),
        ("gen_ai.usage.cache_creation_input_tokens", "cache_write_tokens"),
        ("gen_ai.usage.input_tokens.cache_write", "cache_write_tokens"),
        ("gen_ai.usage.details.cache_write_tokens", "cache_write_tokens"),
        ("gen_ai.usage.details.reasoning_tokens", "reasoning_tokens"),
    ] {
        let aliased = span(
            "embeddings e5",
            &[
                ("gen_ai.usage.input_tokens", AttrValue::Int(100)),
                ("gen_ai.usage.output_tokens", AttrValue::Int(100)),
                (key, AttrValue::Int(7)),
            ],
        );
        assert_eq!(one_span(&aliased, None)[kind], 7, "{key}");
    }
}

#[test]
fn a_cache_counted_apart_from_the_input_is_added_to_it() {
    // Anthropic's instrumentations report input without the cache.
    let apart = span(
        "chat claude-sonnet-4-5",
        &[
            ("gen_ai.usage.input_tokens", AttrValue::Int(2)),
            ("gen_ai.usage.output_tokens", AttrValue::Int(10)),
            ("gen_ai.usage.cache_read.input_tokens", AttrValue::Int(1000)),
            ("gen_ai.usage.cache_creation.input_tokens", AttrValue::Int(500)),
            ("gen_ai.usage.reasoning.output_tokens", AttrValue::Int(30)),
        ],
    );
    let line = one_span(&apart, None);
    assert_eq!(line["input_tokens"], 1502);
    assert_eq!(line["output_tokens"], 40);
}

#[test]
fn invoke_agent_is_an_agent_request_and_aggregated_usage_is_not_counted() {
    let pydantic = span(
        "invoke_agent weather_agent",
        &[
            ("gen_ai.operation.name", s("invoke_agent")),
            ("agent_name", s("weather_agent")),
            ("gen_ai.aggregated_usage.input_tokens", AttrValue::Int(300)),
            ("gen_ai.aggregated_usage.output_tokens", AttrValue::Int(60)),
            ("model_name", s("gpt-4o")),
            ("final_result", s("SECRET")),
        ],
    );
    let line = one_span(&pydantic, None);
    assert_eq!(line["type"], "agent_request");
    assert_eq!(line["agent"], "weather_agent");
    assert_eq!(line["success"], true);
    assert_eq!(line["model"], "gpt-4o");
    assert!(line.get("tokens").is_none(), "aggregated usage is its children's: {line}");
    assert!(!line.to_string().contains("SECRET"));
    assert_eq!(role(&pydantic), Role::Agent("weather_agent".into()));

    // rig records the run's usage on the agent span: a request's tokens (the
    // ledger rule keeps them from counting twice when chat spans name the agent).
    let rig = span(
        "invoke_agent",
        &[
            ("gen_ai.operation.name", s("invoke_agent")),
            ("gen_ai.agent.name", s("rig-agent")),
            ("gen_ai.usage.input_tokens", AttrValue::Int(300)),
            ("gen_ai.usage.output_tokens", AttrValue::Int(60)),
        ],
    );
    assert_eq!(one_span(&rig, None)["tokens"], 360);
    assert_eq!(one_span(&span("invoke_agent", &[]), None)["agent"], "(unknown)");
}

#[test]
fn a_failed_tool_span_with_an_exception_is_a_failed_call_and_an_error_event() {
    let mut tool = span(
        "execute_tool get_weather",
        &[
            ("gen_ai.operation.name", s("execute_tool")),
            ("error.type", s("TimeoutError")),
            ("gen_ai.tool.call.arguments", s("{\"city\":\"SECRET\"}")),
        ],
    );
    tool.error = Some("weather service timed out".into());
    tool.events.push(SpanEventInput {
        name: "exception".into(),
        time: 1_780_000_001_400_000,
        attributes: attrs(&[
            ("exception.type", s("TimeoutError")),
            ("exception.message", s("weather service timed out")),
            ("exception.stacktrace", s("Traceback SECRET")),
        ]),
    });
    let lines = json(&span_to_events(&tool, Some("weather_agent"), MapOptions::default()));
    assert_eq!(lines.len(), 2);
    let (call, error) = (&lines[0], &lines[1]);
    assert_eq!(call["type"], "tool_call");
    assert_eq!(call["tool"], "get_weather");
    assert_eq!(call["agent"], "weather_agent");
    assert_eq!(call["success"], false);
    assert_eq!(call["error_type"], "TimeoutError");
    assert_eq!(call["error_message"], "weather service timed out");
    assert_eq!(error["type"], "error");
    assert_eq!(error["component"], "get_weather");
    assert_eq!(error["error_type"], "TimeoutError");
    assert_eq!(error["message"], "weather service timed out");
    assert_eq!(error["agent"], "weather_agent");
    assert!(!lines.iter().any(|l| l.to_string().contains("SECRET")), "{lines:?}");

    // With --keep-content, contents are kept (and cut).
    let kept = json(&span_to_events(&tool, None, MapOptions { keep_content: true }));
    assert_eq!(kept[0]["attrs"]["gen_ai.tool.call.arguments"], "{\"city\":\"SECRET\"}");
    assert_eq!(kept[1]["context"]["stacktrace"], "Traceback SECRET");

    // Status ERROR without error.type: the status message is the type.
    let mut chat = span("chat gpt-4o", &[]);
    chat.error = Some("rate limited".into());
    let line = one_span(&chat, None);
    assert_eq!((line["success"].as_bool(), line["attrs"]["error.type"].as_str()), (Some(false), Some("rate limited")));
}

#[test]
fn other_spans_are_spans_and_attributes_are_bounded() {
    let mut many: Vec<(String, AttrValue)> = (0..200).map(|i| (format!("k{i}"), AttrValue::Int(i))).collect();
    many.push(("long".into(), s(&"é".repeat(2000))));
    many.insert(0, ("long".into(), s(&"é".repeat(2000))));
    let mut other = span("db.query", &[]);
    other.attributes = many;
    let line = one_span(&other, Some("agent-a"));
    assert_eq!(line["type"], "span");
    assert_eq!(line["name"], "db.query");
    assert_eq!(line["status"], "ok");
    assert_eq!(line["agent"], "agent-a");
    let attrs = line["attrs"].as_object().unwrap();
    assert_eq!(attrs.len(), MAX_ATTRIBUTES);
    let long = attrs["long"].as_str().unwrap();
    assert!(long.len() <= MAX_VALUE_BYTES && long.len() > MAX_VALUE_BYTES - 2, "{}", long.len());
}

#[test]
fn spans_pushed_by_ajentik_come_back_as_the_events_they_were() {
    let mut error = span(
        "error db",
        &[
            ("ajentik.event.type", s("error")),
            ("ajentik.component", s("db")),
            ("gen_ai.agent.name", s("a")),
            ("error.type", s("Timeout")),
        ],
    );
    error.events.push(SpanEventInput {
        name: "exception".into(),
        time: 5,
        attributes: attrs(&[("exception.type", s("Timeout")), ("exception.message", s("slow"))]),
    });
    let lines = json(&span_to_events(&error, None, MapOptions::default()));
    assert_eq!(lines.len(), 1);
    assert_eq!((lines[0]["type"].as_str(), lines[0]["component"].as_str()), (Some("error"), Some("db")));

    let request = span(
        "invoke_agent a",
        &[
            ("ajentik.event.type", s("agent_request")),
            ("gen_ai.agent.name", s("a")),
            ("ajentik.tokens", AttrValue::Int(250)),
            ("operation.cost", AttrValue::F64(0.05)),
            ("ajentik.sample_rate", AttrValue::F64(0.25)),
        ],
    );
    let line = one_span(&request, None);
    assert_eq!((line["tokens"].as_u64(), line["cost_usd"].as_f64()), (Some(250), Some(0.05)));
    assert_eq!(line["sample_rate"], 0.25);

    // A span of the user's named "chat" stays a span.
    let named_chat = span("chat", &[("ajentik.event.type", s("span"))]);
    assert_eq!(one_span(&named_chat, None)["type"], "span");
}

fn log(body: Option<&str>, pairs: &[(&str, AttrValue)]) -> LogInput {
    LogInput {
        time: 1_785_559_828_596_000,
        severity: 9,
        body: body.map(s),
        scope: "com.anthropic.claude_code.events".into(),
        attributes: attrs(pairs),
        service: Some("claude-code".into()),
        ..LogInput::default()
    }
}

#[test]
fn claude_code_events_become_model_and_tool_calls() {
    let request = log(
        Some("claude_code.api_request"),
        &[
            ("event.name", s("api_request")),
            ("session.id", s("sess")),
            ("model", s("claude-sonnet-4-5-20250929")),
            ("input_tokens", AttrValue::Int(2)),
            ("output_tokens", s("187")),
            ("cache_read_tokens", AttrValue::Int(0)),
            ("cache_creation_tokens", AttrValue::Int(28556)),
            ("cost_usd", AttrValue::F64(0.109896)),
            ("duration_ms", AttrValue::Int(3412)),
            ("request_id", s("req_1")),
            ("user.email", s("someone@example.com")),
        ],
    );
    let lines = json(&log_to_events(&request, MapOptions::default()));
    let call = &lines[0];
    assert_eq!(call["type"], "model_call");
    assert_eq!(call["agent"], "claude-code");
    assert_eq!(call["provider"], "anthropic");
    assert_eq!(call["input_tokens"], 28558);
    assert_eq!(call["cache_write_tokens"], 28556);
    assert_eq!(call["output_tokens"], 187);
    assert_eq!(call["cost_usd"], 0.109896);
    assert_eq!(call["duration_ms"], 3412.0);
    assert_eq!(call["session"], "sess");
    assert_eq!(call["attrs"]["request_id"], "req_1");
    assert!(!call.to_string().contains("example.com"));
    assert_eq!(call["model"], "claude-sonnet-4-5-20250929");
    // Fast mode is listed as the model's fast variant, as transcripts list it.
    let mut fast = request.clone();
    fast.attributes.push(("speed".into(), s("fast")));
    assert_eq!(json(&log_to_events(&fast, MapOptions::default()))[0]["model"], "claude-sonnet-4-5-20250929-fast");
    fast.attributes.retain(|(k, _)| k != "speed");
    fast.attributes.push(("speed".into(), s("normal")));
    assert_eq!(json(&log_to_events(&fast, MapOptions::default()))[0]["model"], "claude-sonnet-4-5-20250929");

    // The bare event name, found by scope, and string-typed numbers.
    let tool = log(
        None,
        &[
            ("event.name", s("tool_result")),
            ("tool_name", s("mcp__github__create_issue")),
            ("success", s("false")),
            ("duration_ms", s("12637")),
            ("error_type", s("exit_code")),
        ],
    );
    let lines = json(&log_to_events(&tool, MapOptions::default()));
    assert_eq!(lines[0]["type"], "tool_call");
    assert_eq!(lines[0]["tool"], "mcp__github__create_issue");
    assert_eq!((lines[0]["success"].as_bool(), lines[0]["duration_ms"].as_f64()), (Some(false), Some(12637.0)));
    assert_eq!(lines[0]["error_type"], "exit_code");

    let error = log(
        Some("claude_code.api_error"),
        &[("model", s("claude-opus-4-1")), ("status_code", AttrValue::Int(529)), ("error", s("Overloaded"))],
    );
    let lines = json(&log_to_events(&error, MapOptions::default()));
    assert_eq!(lines.len(), 2);
    assert_eq!((lines[0]["type"].as_str(), lines[0]["success"].as_bool()), (Some("model_call"), Some(false)));
    assert_eq!((lines[1]["error_type"].as_str(), lines[1]["message"].as_str()), (Some("http_529"), Some("Overloaded")));

    assert!(log_to_events(&log(Some("claude_code.user_prompt"), &[]), MapOptions::default()).is_empty());
}

/// A Gemini CLI log record, with the attributes its `types.ts` writes
/// (gemini-cli 2026-08: common ones, then the event's own).
fn gemini(name: &str, pairs: &[(&str, AttrValue)]) -> LogInput {
    let mut all = vec![
        ("session.id", s("9c5e2f0a-sess")),
        ("installation.id", s("inst-1")),
        ("user.email", s("someone@example.com")),
        ("event.name", s(name)),
        ("event.timestamp", s("2026-08-01T04:50:28.596Z")),
    ];
    all.extend_from_slice(pairs);
    LogInput {
        time: 1_785_559_828_596_000,
        severity: 9,
        attributes: attrs(&all),
        service: Some("gemini-cli".into()),
        ..LogInput::default()
    }
}

#[test]
fn gemini_cli_events_become_model_and_tool_calls() {
    let response = gemini(
        "gemini_cli.api_response",
        &[
            ("model", s("gemini-2.5-pro")),
            ("duration_ms", AttrValue::Int(4120)),
            ("input_token_count", AttrValue::Int(12_000)),
            ("output_token_count", AttrValue::Int(300)),
            ("cached_content_token_count", AttrValue::Int(8_000)),
            ("thoughts_token_count", AttrValue::Int(700)),
            ("tool_token_count", AttrValue::Int(50)),
            ("total_token_count", AttrValue::Int(13_050)),
            ("prompt_id", s("9c5e2f0a-sess########0")),
            ("auth_type", s("gemini-api-key")),
            ("status_code", AttrValue::Int(200)),
            ("response_text", s("the reply, private")),
        ],
    );
    let call = &json(&log_to_events(&response, MapOptions::default()))[0];
    assert_eq!((call["type"].as_str(), call["agent"].as_str()), (Some("model_call"), Some("gemini-cli")));
    assert_eq!((call["provider"].as_str(), call["model"].as_str()), (Some("google"), Some("gemini-2.5-pro")));
    // Gemini's prompt count includes the cache; thoughts and the tool-use prompt
    // come on top of its output and input: together, the total it reports.
    assert_eq!((call["input_tokens"].as_u64(), call["cache_read_tokens"].as_u64()), (Some(12_050), Some(8_000)));
    assert_eq!((call["output_tokens"].as_u64(), call["reasoning_tokens"].as_u64()), (Some(1_000), Some(700)));
    assert_eq!(call["input_tokens"].as_u64().unwrap() + call["output_tokens"].as_u64().unwrap(), 13_050);
    assert_eq!((call["session"].as_str(), call["duration_ms"].as_f64()), (Some("9c5e2f0a-sess"), Some(4120.0)));
    assert!(call.get("cost_usd").is_none(), "priced from its tokens");
    let text = call.to_string();
    assert!(!text.contains("example.com") && !text.contains("private"), "{text}");
    let kept = json(&log_to_events(&response, MapOptions { keep_content: true }));
    assert_eq!(kept[0]["attrs"]["response_text"], "the reply, private");

    let tool = gemini(
        "gemini_cli.tool_call",
        &[
            ("function_name", s("run_shell_command")),
            ("function_args", s("{\"command\":\"rm -rf build\"}")),
            ("duration_ms", AttrValue::Int(812)),
            ("success", AttrValue::Bool(false)),
            ("decision", s("reject")),
            ("error_type", s("tool_call_rejected")),
            ("prompt_id", s("p-1")),
        ],
    );
    let call = &json(&log_to_events(&tool, MapOptions::default()))[0];
    assert_eq!((call["type"].as_str(), call["tool"].as_str()), (Some("tool_call"), Some("run_shell_command")));
    assert_eq!((call["success"].as_bool(), call["error_type"].as_str()), (Some(false), Some("tool_call_rejected")));
    assert_eq!(call["attrs"]["decision"], "reject");
    assert!(!call.to_string().contains("rm -rf"), "tool arguments are private");

    let error = gemini(
        "gemini_cli.api_error",
        &[
            ("error.message", s("Resource has been exhausted")),
            ("model_name", s("gemini-2.5-flash")),
            ("duration", AttrValue::Int(230)),
            ("model", s("gemini-2.5-flash")),
            ("error", s("Resource has been exhausted")),
            ("status_code", AttrValue::Int(429)),
            ("duration_ms", AttrValue::Int(230)),
        ],
    );
    let lines = json(&log_to_events(&error, MapOptions::default()));
    assert_eq!(lines.len(), 2);
    assert_eq!((lines[0]["success"].as_bool(), lines[0]["model"].as_str()), (Some(false), Some("gemini-2.5-flash")));
    assert_eq!(
        (lines[1]["error_type"].as_str(), lines[1]["message"].as_str()),
        (Some("http_429"), Some("Resource has been exhausted"))
    );
    // Its semantic-convention copy of a call, and events that are not calls: nothing.
    for name in ["gen_ai.client.inference.operation.details", "gemini_cli.user_prompt", "gemini_cli.config"] {
        assert!(log_to_events(&gemini(name, &[("model", s("gemini-2.5-pro"))]), MapOptions::default()).is_empty());
    }
    // An exporter's retry is the same event; another response of the same prompt is not.
    let again = response.clone();
    assert_eq!(log_dedupe_key(&again), log_dedupe_key(&response));
    let mut next = response.clone();
    next.attributes.retain(|(k, _)| k != "event.timestamp");
    next.attributes.push(("event.timestamp".into(), s("2026-08-01T04:50:31.002Z")));
    assert_ne!(log_dedupe_key(&next), log_dedupe_key(&response));
}

fn codex(family: &str, pairs: &[(&str, AttrValue)]) -> LogInput {
    LogInput {
        time: 1_784_424_989_746_000,
        severity: 9,
        scope: family.into(),
        attributes: attrs(pairs),
        service: Some("codex_cli_rs".into()),
        ..LogInput::default()
    }
}

#[test]
fn codex_events_become_model_and_tool_calls_and_both_families_dedupe() {
    let completed = [
        ("event.name", s("codex.sse_event")),
        ("event.kind", s("response.completed")),
        ("input_token_count", s("77145")),
        ("output_token_count", s("234")),
        ("cached_token_count", AttrValue::Int(76544)),
        ("reasoning_token_count", AttrValue::Int(39)),
        ("event.timestamp", s("2026-07-19T01:36:29.746Z")),
        ("conversation.id", s("conv")),
        ("model", s("gpt-5.5")),
    ];
    let log_only = codex("codex_otel.log_only", &completed);
    let lines = json(&log_to_events(&log_only, MapOptions::default()));
    let call = &lines[0];
    assert_eq!((call["type"].as_str(), call["agent"].as_str()), (Some("model_call"), Some("codex")));
    assert_eq!((call["input_tokens"].as_u64(), call["cache_read_tokens"].as_u64()), (Some(77145), Some(76544)));
    assert_eq!((call["output_tokens"].as_u64(), call["reasoning_tokens"].as_u64()), (Some(234), Some(39)));
    assert_eq!(call["session"], "conv");
    let trace_safe = codex("codex_otel.trace_safe", &completed);
    assert_eq!(log_dedupe_key(&log_only), log_dedupe_key(&trace_safe));

    let delta = codex("x", &[("event.name", s("codex.sse_event")), ("event.kind", s("response.output_text.delta"))]);
    assert!(log_to_events(&delta, MapOptions::default()).is_empty());

    let tool = codex(
        "x",
        &[
            ("event.name", s("codex.tool_result")),
            ("tool_name", s("shell_command")),
            ("call_id", s("call_1")),
            ("arguments", s("{\"command\":\"SECRET\"}")),
            ("output", s("SECRET")),
            ("duration_ms", s("5102")),
            ("success", s("false")),
        ],
    );
    let lines = json(&log_to_events(&tool, MapOptions::default()));
    assert_eq!((lines[0]["tool"].as_str(), lines[0]["success"].as_bool()), (Some("shell_command"), Some(false)));
    assert!(!lines[0].to_string().contains("SECRET"));

    let failed = codex(
        "x",
        &[
            ("event.name", s("codex.api_request")),
            ("http.response.status_code", s("500")),
            ("error.message", s("boom")),
        ],
    );
    let lines = json(&log_to_events(&failed, MapOptions::default()));
    assert_eq!((lines[0]["type"].as_str(), lines[0]["error_type"].as_str()), (Some("error"), Some("http_500")));
    let fine =
        codex("x", &[("event.name", s("codex.api_request")), ("http.response.status_code", AttrValue::Int(200))]);
    assert!(log_to_events(&fine, MapOptions::default()).is_empty());
}

#[test]
fn any_error_record_is_an_error_event_and_other_records_are_not_events() {
    let mut record = LogInput {
        time: 10,
        severity: 17,
        severity_text: "ERROR".into(),
        body: Some(s("database unreachable")),
        scope: "app.db".into(),
        service: Some("billing".into()),
        ..LogInput::default()
    };
    let lines = json(&log_to_events(&record, MapOptions::default()));
    assert_eq!(lines[0]["component"], "billing");
    assert_eq!(lines[0]["error_type"], "ERROR");
    assert_eq!(lines[0]["message"], "database unreachable");
    record.severity = 9;
    assert!(log_to_events(&record, MapOptions::default()).is_empty());
}

#[test]
fn numbers_coerce_from_every_type_they_arrive_in() {
    assert_eq!(AttrValue::Str(" 42 ".into()).count(), Some(42));
    assert_eq!(AttrValue::F64(42.0).count(), Some(42));
    assert_eq!(AttrValue::F64(42.5).count(), None);
    assert_eq!(AttrValue::Int(-1).count(), None);
    assert_eq!(AttrValue::F64(f64::NAN).number(), None);
    assert_eq!(AttrValue::Str("1e400".into()).number(), None);
    assert_eq!(cut(&"a".repeat(5000)).len(), MAX_VALUE_BYTES);
}
