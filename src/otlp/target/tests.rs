use super::*;
use std::collections::HashMap;

fn settings(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<Found> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |key| map.get(key).map(|value| Found { value: value.clone(), from: "environment".into() })
}

const EU_TOKEN: &str = "pylf_v1_eu_abcdefSECRET";

#[test]
fn a_logfire_token_picks_its_regions_endpoint_and_is_sent_raw() {
    let target =
        resolve(&Flags::default(), settings(&[("LOGFIRE_TOKEN", EU_TOKEN), ("LOGFIRE_PROJECT", "acme/agents")]))
            .expect("a target");
    assert_eq!(target.endpoint, "https://logfire-eu.pydantic.dev/v1/traces");
    assert_eq!(target.headers, vec![("Authorization".to_string(), EU_TOKEN.to_string())]);
    let setup = target.logfire.expect("logfire");
    assert_eq!(setup.token_var, "LOGFIRE_TOKEN");
    assert_eq!(setup.region, Region::Eu);
    assert_eq!(setup.project.as_deref(), Some("acme/agents"));
    assert!(!setup.token_redacted.contains("SECRET"));
    assert!(setup.token_redacted.starts_with("pylf_v1_eu_"));
}

#[test]
fn the_write_token_variable_also_works_and_no_region_means_us() {
    let target = resolve(&Flags::default(), settings(&[("LOGFIRE_WRITE_TOKEN", "plain-token")])).expect("a target");
    assert_eq!(target.endpoint, "https://logfire-us.pydantic.dev/v1/traces");
    assert_eq!(target.logfire.expect("logfire").token_var, "LOGFIRE_WRITE_TOKEN");
    assert_eq!(region_of("pylf_v12_us_x"), Region::Us);
    assert_eq!(region_of("pylf_v2_eu_x"), Region::Eu);
    assert_eq!(region_of("pylf_vX_eu_x"), Region::Us, "not the token shape: default");
    assert_eq!(region_of("pylf_v1_eu"), Region::Us, "no secret part: default");
}

#[test]
fn logfire_base_url_overrides_the_region() {
    let target = resolve(
        &Flags::default(),
        settings(&[("LOGFIRE_TOKEN", EU_TOKEN), ("LOGFIRE_BASE_URL", "http://127.0.0.1:4318/")]),
    )
    .expect("a target");
    assert_eq!(target.endpoint, "http://127.0.0.1:4318/v1/traces");
    assert!(target.endpoint_from.starts_with("LOGFIRE_BASE_URL"));
    assert_eq!(target.headers[0].1, EU_TOKEN);
}

#[test]
fn otel_settings_win_over_logfire_and_never_get_its_token() {
    let env = settings(&[
        ("LOGFIRE_TOKEN", EU_TOKEN),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-team=agents, x-note=a%20b%2Cc"),
    ]);
    let target = resolve(&Flags::default(), env).expect("a target");
    assert_eq!(target.endpoint, "http://collector:4318/v1/traces");
    assert_eq!(
        target.headers,
        vec![("x-team".to_string(), "agents".to_string()), ("x-note".to_string(), "a b,c".to_string())]
    );
    assert!(target.logfire.is_none());
}

#[test]
fn traces_headers_win_over_the_general_ones() {
    let env = settings(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-a=general"),
        ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-a=traces"),
    ]);
    let target = resolve(&Flags::default(), env).expect("a target");
    assert_eq!(target.headers, vec![("x-a".to_string(), "traces".to_string())]);
}

#[test]
fn the_traces_endpoint_is_used_verbatim_and_beats_the_base() {
    let env = settings(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318"),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4318/custom"),
    ]);
    assert_eq!(resolve(&Flags::default(), env).expect("a target").endpoint, "http://traces:4318/custom");
}

#[test]
fn flags_win_over_everything_and_their_headers_replace_same_named_ones() {
    let flags = Flags {
        endpoint: Some("http://127.0.0.1:9/v1/traces".into()),
        headers: vec![("X-Team".into(), "flag".into())],
    };
    let env =
        settings(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://x/y"), ("OTEL_EXPORTER_OTLP_HEADERS", "x-team=env")]);
    let target = resolve(&flags, env).expect("a target");
    assert_eq!(target.endpoint, "http://127.0.0.1:9/v1/traces");
    assert_eq!(target.headers, vec![("X-Team".to_string(), "flag".to_string())]);
}

#[test]
fn bad_settings_name_the_setting() {
    assert_eq!(resolve(&Flags::default(), settings(&[])).err(), Some(TargetError::Nowhere));
    let err = resolve(&Flags::default(), settings(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")]))
        .err()
        .expect("an error");
    assert!(err.to_string().starts_with("OTEL_EXPORTER_OTLP_ENDPOINT (environment): "), "{err}");
    let err = resolve(
        &Flags::default(),
        settings(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c"), ("OTEL_EXPORTER_OTLP_HEADERS", "authorization")]),
    )
    .err()
    .expect("an error");
    assert!(err.to_string().contains("OTEL_EXPORTER_OTLP_HEADERS"), "{err}");
    let err = resolve(
        &Flags::default(),
        settings(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c"), ("OTEL_EXPORTER_OTLP_HEADERS", "a=%zz")]),
    )
    .err()
    .expect("an error");
    assert!(err.to_string().contains("%-escape"), "{err}");
}

#[test]
fn a_redacted_token_shows_no_secret() {
    assert_eq!(redact("pylf_v1_us_0123456789"), "pylf_v1_us_**** (21 characters)");
    assert_eq!(redact("secret"), "**** (6 characters)");
}
