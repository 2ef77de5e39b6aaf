use super::*;

#[test]
fn the_default_file_is_the_default_config_and_the_docs_sample() {
    assert_eq!(parse(DEFAULT_TOML).unwrap(), Config::default());
    assert_eq!(parse("").unwrap(), Config::default());
    let sample = include_str!("../../docs/config.toml");
    assert_eq!(sample, DEFAULT_TOML, "docs/config.toml drifted from `ajentik config print-default`");
    assert_eq!(Config::default().alerts.thresholds(), Thresholds::default());
}

fn err(text: &str) -> String {
    format!("{:#}", parse(text).unwrap_err())
}

#[test]
fn unknown_keys_are_errors_naming_key_and_line() {
    let e = err("[alerts]\nwindow = \"5m\"\nerror_rat = 5.0\n");
    assert!(e.starts_with("line 3, column 1:") && e.contains("unknown field `error_rat`"), "{e}");
    let e = err("[alert]\n");
    assert!(e.contains("line 1") && e.contains("unknown field `alert`"), "{e}");
    let e = err("[alerts.agents.Chat]\nerror_rate = 5.0\nlatency = 2\n");
    assert!(e.contains("line 3") && e.contains("`latency`"), "{e}");
    assert_eq!(e.lines().count(), 1);
}

#[test]
fn wrong_types_are_errors_naming_key_and_line() {
    let e = err("[alerts]\n\nerror_rate = \"high\"\n");
    assert!(e.starts_with("line 3, column 14: `error_rate`:") && e.contains("invalid type"), "{e}");
    let e = err("[monitor]\npoll_interval = \"soon\"\n");
    assert!(e.contains("line 2") && e.contains("poll_interval") && e.contains("not a duration"), "{e}");
    let e = err("[budget]\nday = \"tomorrow\"\n");
    assert!(e.contains("line 2") && e.contains("`day`") && e.contains("utc"), "{e}");
    let e = err("[alerts]\nmin_samples = -1\n");
    assert!(e.contains("line 2") && e.contains("min_samples"), "{e}");
    let e = err("[alerts\n");
    assert!(e.starts_with("line 1"), "{e}");
}

#[test]
fn out_of_range_values_are_errors_naming_key_and_line() {
    let cases = [
        ("[alerts]\nwindow = \"90s\"\n", "line 2: `alerts.window` must be whole minutes"),
        ("[alerts]\nerror_rate = 120.0\n", "line 2: `alerts.error_rate` must be a percent"),
        ("[alerts]\nresponse_time = 0\n", "`alerts.response_time` must be"),
        ("\n[budget]\ndaily_usd = -5.0\n", "line 3: `budget.daily_usd` must be an amount above 0"),
        ("[budget.agents]\nChatAgent = 0.0\n", "line 2: `budget.agents.ChatAgent`"),
        ("[alerts.agents.X]\nerror_rate = 101.0\n", "line 2: `alerts.agents.X.error_rate`"),
        ("[prices]\n\"m\" = { input = -1.0, output = 1.0 }\n", "line 2: `prices.m`"),
        ("[prices]\n\"m\" = { input = 1.0, output = 1.0, web_search = -10.0 }\n", "line 2: `prices.m`"),
        ("[alerts]\nheartbeat_timeout = \"5s\"\n", "line 2: `alerts.heartbeat_timeout` must be whole seconds"),
        ("[alerts]\nheartbeat_timeout = \"13h\"\n", "line 2: `alerts.heartbeat_timeout` must be whole seconds"),
        ("[alerts]\nheartbeat_timeout = \"90.5s\"\n", "line 2: `alerts.heartbeat_timeout`"),
        ("[notify]\ncommand = \" \"\n", "line 2: `notify.command` must not be empty"),
    ];
    for (text, want) in cases {
        let e = err(text);
        assert!(e.contains(want), "{text:?}: {e}");
    }
}

#[test]
fn settings_become_thresholds() {
    let c = parse(
        "[alerts]\nwindow = \"10m\"\nresponse_time = 2.5\n[alerts.agents.Chat]\nresponse_time = 1.0\nfailure_count = 3\n",
    )
    .unwrap();
    let t = c.alerts.thresholds();
    assert_eq!((t.window_minutes, t.response_time_ms), (10, 2500.0));
    assert_eq!(
        t.agents["Chat"],
        AgentThresholds { error_rate_pct: None, response_time_ms: Some(1000.0), failure_count: Some(3) }
    );
    let c = parse("[budget]\ndaily_usd = 25.0\nday = \"local\"\n[budget.agents]\nChatAgent = 2.5\n[prices]\n\"m-1\" = { input = 1.0, output = 2.0, web_search = 25.0 }\n").unwrap();
    assert_eq!((c.budget.daily_usd, c.budget.day, c.budget.agents["ChatAgent"]), (Some(25.0), Day::Local, 2.5));
    assert_eq!(
        c.prices["m-1"],
        PriceConfig {
            input: 1.0,
            output: 2.0,
            cache_read: None,
            cache_write: None,
            cache_write_1h: None,
            reasoning: None,
            web_search: Some(25.0),
        }
    );
}

#[test]
fn saving_thresholds_keeps_comments_and_order() {
    let user = "# my team's settings\n[budget]\ndaily_usd = 12.0 # agreed with finance\n\n[alerts]\n# be strict\nerror_rate = 5.0   # percent\nwindow = \"5m\"\n";
    let t = Thresholds {
        error_rate_pct: 2.5,
        window_minutes: 15,
        failure_count: 4,
        heartbeat_timeout_s: 90,
        ..Thresholds::default()
    };
    let out = with_thresholds(user, &t).unwrap();
    assert!(out.starts_with("# my team's settings\n[budget]\ndaily_usd = 12.0 # agreed with finance\n"), "{out}");
    assert!(out.contains("# be strict\nerror_rate = 2.5   # percent\nwindow = \"15m\"\n"), "{out}");
    assert!(out.contains("heartbeat_timeout = \"90s\"\n"), "{out}");
    let back = parse(&out).unwrap();
    assert_eq!(back.alerts.thresholds(), t);
    assert_eq!(back.budget.daily_usd, Some(12.0));
    // From the commented default, every comment survives.
    let out = with_thresholds(DEFAULT_TOML, &t).unwrap();
    for line in DEFAULT_TOML.lines().filter(|l| l.starts_with('#')) {
        assert!(out.contains(line), "lost {line:?}");
    }
    assert_eq!(parse(&out).unwrap().alerts.thresholds(), t);
    // From nothing.
    assert_eq!(parse(&with_thresholds("", &t).unwrap()).unwrap().alerts.thresholds(), t);
}

#[test]
fn save_is_atomic_and_load_finds_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/config.toml");
    let t = Thresholds { min_samples: 9, ..Thresholds::default() };
    save_thresholds(&path, &t).unwrap();
    let (c, from) = load(Some(&path)).unwrap();
    assert_eq!((c.alerts.min_samples, from.as_deref()), (9, Some(path.as_path())));
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["config.toml"], "no temporary file left");
    // A file that was named must exist; a bad one is an error naming the file.
    let missing = dir.path().join("missing.toml");
    let e = format!("{:#}", load(Some(&missing)).unwrap_err());
    assert!(e.starts_with("cannot read config file") && e.contains("missing.toml"), "{e}");
    std::fs::write(&missing, "[alerts]\nbogus = 1\n").unwrap();
    let e = format!("{:#}", load(Some(&missing)).unwrap_err());
    assert!(e.starts_with("bad config file") && e.contains("line 2") && e.contains("bogus"), "{e}");
}
