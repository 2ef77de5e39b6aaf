//! The configuration file: thresholds, budgets, prices, the notification command,
//! and the live view's settings.
//!
//! Precedence: the command line, then the user's file (`--config FILE`, else
//! `$AJENTIK_CONFIG`, else `$XDG_CONFIG_HOME/ajentik/config.toml`), then the
//! defaults of `docs/config.toml`, which `ajentik config print-default`
//! prints. A bad file is an error naming the key and line; thresholds changed at
//! run time are saved back with the user's comments and order kept.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use serde::Deserialize;

use crate::alerts::{AgentThresholds, Thresholds};
use crate::budget::Budget;

/// The environment variable naming the config file when `--config` is not given.
pub const CONFIG_ENV: &str = "AJENTIK_CONFIG";

/// The default configuration, commented: what `config print-default` prints.
/// The commented default config file: `docs/config.toml` itself, kept once.
pub const DEFAULT_TOML: &str = include_str!("../docs/config.toml");

/// A duration written as "500ms", "5s", "5m" or "1h".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span(pub Duration);

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        crate::time::parse_duration(&text).map(Span).map_err(serde::de::Error::custom)
    }
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub alerts: AlertsConfig,
    pub budget: BudgetConfig,
    /// Model name to price, USD per million tokens.
    pub prices: BTreeMap<String, PriceConfig>,
    pub notify: NotifyConfig,
    pub monitor: MonitorConfig,
    pub tui: TuiConfig,
    pub push: PushConfig,
    /// `[serve]`: the OTLP receiver (`ajentik serve`, `monitor --live --serve`).
    pub serve: ServeConfig,
    /// `[limits]`: names tracked in full per kind; past them, the least active
    /// fold into "(other)" (totals stay exact).
    pub limits: crate::metrics::Limits,
}

/// `[alerts]`: the rules' thresholds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    pub window: Span,
    pub min_samples: u64,
    /// Percent.
    pub error_rate: f64,
    /// Seconds.
    pub response_time: f64,
    pub failure_count: u64,
    pub error_spike_factor: f64,
    pub error_spike_min: u64,
    /// Percent.
    pub tool_success_rate: f64,
    /// How long a process that sends heartbeats may be silent.
    pub heartbeat_timeout: Span,
    pub agents: BTreeMap<String, AgentAlertsConfig>,
}

/// `[alerts.agents.NAME]`: one agent's own thresholds.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentAlertsConfig {
    pub error_rate: Option<f64>,
    pub response_time: Option<f64>,
    pub failure_count: Option<u64>,
}

/// Which day "today" is for budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Utc,
    Local,
}

/// `[budget]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BudgetConfig {
    pub daily_usd: Option<f64>,
    /// Percent of the budget at which cost_budget warns.
    pub warn_at: f64,
    pub day: Day,
    pub agents: BTreeMap<String, f64>,
}

/// A price, USD per million tokens (web searches: per thousand searches).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceConfig {
    pub input: f64,
    pub output: f64,
    /// Cache reads; `cached_input` is the older name.
    #[serde(alias = "cached_input")]
    pub cache_read: Option<f64>,
    /// Cache writes (five-minute lifetime).
    pub cache_write: Option<f64>,
    /// Cache writes with a one-hour lifetime.
    pub cache_write_1h: Option<f64>,
    /// Reasoning tokens, where priced apart from output.
    pub reasoning: Option<f64>,
    /// Web searches, USD per thousand (not per million tokens).
    pub web_search: Option<f64>,
}

/// `[notify]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    pub command: Option<String>,
    pub timeout: Span,
}

/// `[monitor]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MonitorConfig {
    pub poll_interval: Span,
    pub reports_dir: PathBuf,
    /// How far ahead of this machine's clock an event may be stamped (another
    /// host's clock) before it counts as clock skew and is left out.
    pub clock_tolerance: Span,
    /// Most log files held open at once; quiet ones are closed and remembered.
    pub max_open_files: usize,
}

/// `[tui]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TuiConfig {
    pub theme: String,
    pub keymap: String,
    /// Single keys bound to other actions: `"ctrl-r" = "export_markdown"`.
    pub keys: BTreeMap<String, String>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        let t = Thresholds::default();
        AlertsConfig {
            window: Span(Duration::from_secs(60 * t.window_minutes as u64)),
            min_samples: t.min_samples,
            error_rate: t.error_rate_pct,
            response_time: t.response_time_ms / 1000.0,
            failure_count: t.failure_count,
            error_spike_factor: t.spike_factor,
            error_spike_min: t.spike_min_errors,
            tool_success_rate: t.tool_success_pct,
            heartbeat_timeout: Span(Duration::from_secs(t.heartbeat_timeout_s.unsigned_abs())),
            agents: BTreeMap::new(),
        }
    }
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig { daily_usd: None, warn_at: 80.0, day: Day::Utc, agents: BTreeMap::new() }
    }
}

/// `[push]`: what `ajentik push` and the live view's push key use when flags and
/// the environment do not say.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushConfig {
    /// The `service.name` of pushed spans.
    pub service_name: String,
    /// A Logfire write token, used when neither the environment nor `.env` has one.
    pub logfire_token: Option<String>,
}

impl Default for PushConfig {
    fn default() -> Self {
        PushConfig { service_name: "ajentik".into(), logfire_token: None }
    }
}

// By hand, so that a debug print of the config never shows the token.
impl std::fmt::Debug for PushConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushConfig")
            .field("service_name", &self.service_name)
            .field("logfire_token", &self.logfire_token.as_deref().map(crate::otlp::target::redact))
            .finish()
    }
}

/// `[serve]`: the OTLP receiver's settings; `ajentik serve`'s flags win over them.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    /// Start the receiver inside the live view (as `--serve` does).
    pub enabled: bool,
    /// OTLP/HTTP address.
    pub listen: String,
    /// OTLP/gRPC address, or "off".
    pub grpc_listen: String,
    /// Required as `Authorization: Bearer ...` when set.
    pub token: Option<String>,
    /// Listen beyond loopback without a token.
    pub no_auth: bool,
    /// Keep message contents (cut to 1 KiB).
    pub keep_content: bool,
    /// Largest request body, compressed or inflated, in MiB.
    pub max_body_mib: usize,
    /// The file received events are appended to (default: the one --log file, else
    /// the default log).
    pub log: Option<PathBuf>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            enabled: false,
            listen: "127.0.0.1:4318".into(),
            grpc_listen: "127.0.0.1:4317".into(),
            token: None,
            no_auth: false,
            keep_content: false,
            max_body_mib: 32,
            log: None,
        }
    }
}

// By hand, so that a debug print of the config never shows the token.
impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeConfig")
            .field("enabled", &self.enabled)
            .field("listen", &self.listen)
            .field("grpc_listen", &self.grpc_listen)
            .field("token", &self.token.as_ref().map(|_| "(set)"))
            .field("no_auth", &self.no_auth)
            .field("keep_content", &self.keep_content)
            .field("max_body_mib", &self.max_body_mib)
            .field("log", &self.log)
            .finish()
    }
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig { command: None, timeout: Span(Duration::from_secs(10)) }
    }
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            poll_interval: Span(Duration::from_secs(1)),
            reports_dir: PathBuf::from("ajentik-reports"),
            clock_tolerance: Span(Duration::from_secs(300)),
            max_open_files: crate::follow::tail::DEFAULT_MAX_OPEN,
        }
    }
}

impl Default for TuiConfig {
    fn default() -> Self {
        TuiConfig { theme: "dark".into(), keymap: "default".into(), keys: BTreeMap::new() }
    }
}

impl AlertsConfig {
    /// The thresholds the alert rules take.
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            window_minutes: (self.window.0.as_secs() / 60) as i64,
            min_samples: self.min_samples,
            error_rate_pct: self.error_rate,
            response_time_ms: self.response_time * 1000.0,
            failure_count: self.failure_count,
            spike_factor: self.error_spike_factor,
            spike_min_errors: self.error_spike_min,
            tool_success_pct: self.tool_success_rate,
            heartbeat_timeout_s: self.heartbeat_timeout.0.as_secs() as i64,
            agents: self
                .agents
                .iter()
                .map(|(name, a)| {
                    let t = AgentThresholds {
                        error_rate_pct: a.error_rate,
                        response_time_ms: a.response_time.map(|s| s * 1000.0),
                        failure_count: a.failure_count,
                    };
                    (name.clone(), t)
                })
                .collect(),
            budget: Budget::default(),
        }
    }
}

impl Config {
    /// Everything the alert rules take, budgets included. Local days begin at
    /// `local_utc_offset_seconds` (the shell reads it from the clock).
    pub fn thresholds(&self, local_utc_offset_seconds: i64) -> Thresholds {
        let b = &self.budget;
        Thresholds {
            budget: Budget {
                daily_usd: b.daily_usd,
                warn_at_pct: b.warn_at,
                agents: b.agents.clone(),
                utc_offset_seconds: match b.day {
                    Day::Utc => 0,
                    Day::Local => local_utc_offset_seconds,
                },
            },
            ..self.alerts.thresholds()
        }
    }
}

/// Where a value was found wrong: its key (dotted) and why.
fn check_values(c: &Config) -> Result<(), (String, String)> {
    let bad = |key: &str, why: &str| Err((key.to_owned(), why.to_owned()));
    let percent = |v: f64| (0.0..=100.0).contains(&v);
    let a = &c.alerts;
    let window = a.window.0.as_secs();
    if !(60..=3600).contains(&window) || !window.is_multiple_of(60) {
        return bad("alerts.window", "must be whole minutes from 1m to 60m");
    }
    let timeout = a.heartbeat_timeout.0;
    if !(10..=12 * 3600).contains(&timeout.as_secs()) || timeout.subsec_nanos() != 0 {
        // Below a day, the age past which a silent process is taken as retired.
        return bad("alerts.heartbeat_timeout", "must be whole seconds from 10s to 12h");
    }
    if !percent(a.error_rate) {
        return bad("alerts.error_rate", "must be a percent from 0 to 100");
    }
    if !(a.response_time > 0.0 && a.response_time.is_finite()) {
        return bad("alerts.response_time", "must be a number of seconds above 0");
    }
    if !(a.error_spike_factor >= 1.0 && a.error_spike_factor.is_finite()) {
        return bad("alerts.error_spike_factor", "must be 1 or more");
    }
    if !percent(a.tool_success_rate) {
        return bad("alerts.tool_success_rate", "must be a percent from 0 to 100");
    }
    for (name, o) in &a.agents {
        if o.error_rate.is_some_and(|v| !percent(v)) {
            return bad(&format!("alerts.agents.{name}.error_rate"), "must be a percent from 0 to 100");
        }
        if o.response_time.is_some_and(|v| !(v > 0.0 && v.is_finite())) {
            return bad(&format!("alerts.agents.{name}.response_time"), "must be a number of seconds above 0");
        }
    }
    let b = &c.budget;
    if b.daily_usd.is_some_and(|v| !(v > 0.0 && v.is_finite())) {
        return bad("budget.daily_usd", "must be an amount above 0");
    }
    if !(b.warn_at > 0.0 && b.warn_at <= 100.0) {
        return bad("budget.warn_at", "must be a percent above 0, at most 100");
    }
    for (name, v) in &b.agents {
        if !(*v > 0.0 && v.is_finite()) {
            return bad(&format!("budget.agents.{name}"), "must be an amount above 0");
        }
    }
    for (name, p) in &c.prices {
        let ok = |v: f64| v >= 0.0 && v.is_finite();
        let parts = [p.cache_read, p.cache_write, p.cache_write_1h, p.reasoning, p.web_search];
        if !ok(p.input) || !ok(p.output) || parts.into_iter().flatten().any(|v| !ok(v)) {
            return bad(&format!("prices.{name}"), "prices must be amounts of 0 or more");
        }
    }
    if c.notify.command.as_deref().is_some_and(|c| c.trim().is_empty()) {
        return bad("notify.command", "must not be empty (leave it out to send nothing)");
    }
    Ok(())
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// The line of `text` where `key` (dotted) is set, for messages about values.
fn line_of_key(text: &str, dotted: &str) -> Option<usize> {
    let mut table = String::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if let Some(name) = l.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            table = name.trim().to_owned();
        } else if let Some((k, _)) = l.split_once('=')
            && !l.starts_with('#')
        {
            let k = k.trim().trim_matches('"');
            let full = if table.is_empty() { k.to_owned() } else { format!("{table}.{k}") };
            if full == dotted || dotted.starts_with(&format!("{full}.")) {
                return Some(i + 1);
            }
        }
    }
    None
}

/// Parses a config file's text; errors name the key and the line.
pub fn parse(text: &str) -> Result<Config> {
    let config: Config = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().replace('\n', " ");
        match e.span() {
            Some(span) => {
                let (line, col) = line_col(text, span.start);
                // The key the error is about: the text before '=' on its line.
                let key = text.lines().nth(line - 1).and_then(|l| l.split_once('=')).map(|(k, _)| k.trim());
                match key {
                    Some(key) if !message.contains(key) => anyhow!("line {line}, column {col}: `{key}`: {message}"),
                    _ => anyhow!("line {line}, column {col}: {message}"),
                }
            }
            None => anyhow!("{message}"),
        }
    })?;
    check_values(&config).map_err(|(key, why)| match line_of_key(text, &key) {
        Some(line) => anyhow!("line {line}: `{key}` {why}"),
        None => anyhow!("`{key}` {why}"),
    })?;
    Ok(config)
}

/// The config file to use: `explicit` (from `--config`), else `$AJENTIK_CONFIG`,
/// else the XDG location. Whether it must exist: only when named.
pub fn locate(explicit: Option<&Path>) -> Option<(PathBuf, bool)> {
    if let Some(p) = explicit {
        return Some((p.to_path_buf(), true));
    }
    if let Some(p) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
        return Some((PathBuf::from(p), true));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| Path::new(p).is_absolute())
        .map(PathBuf::from)
        .or_else(dirs::config_dir)?;
    Some((base.join("ajentik").join("config.toml"), false))
}

/// The folder of the user's own themes and keymaps: beside the config file.
pub fn user_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| Path::new(p).is_absolute())
        .map(PathBuf::from)
        .or_else(dirs::config_dir)?;
    Some(base.join("ajentik"))
}

/// Loads the configuration; returns it with the file it came from, if any.
pub fn load(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>)> {
    let Some((path, required)) = locate(explicit) else {
        return Ok((Config::default(), None));
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let config = parse(&text).with_context(|| format!("bad config file {}", path.display()))?;
            Ok((config, Some(path)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok((Config::default(), Some(path))),
        Err(e) => Err(e).with_context(|| format!("cannot read config file {}", path.display())),
    }
}

/// Sets the `[alerts]` thresholds in a config file's text, keeping its comments,
/// order and everything else as the user wrote it. `text` may be empty.
pub fn with_thresholds(text: &str, t: &Thresholds) -> Result<String> {
    use toml_edit::{DocumentMut, Item, Table, value};
    let mut doc: DocumentMut = text.parse().context("the config file is not valid TOML")?;
    if !doc.contains_table("alerts") {
        doc.insert("alerts", Item::Table(Table::new()));
    }
    let alerts = doc["alerts"].as_table_mut().context("`alerts` in the config file is not a table")?;
    let mut set = |key: &str, v: toml_edit::Item| {
        // Keep the comment and spacing around an existing value.
        match alerts.get_mut(key).and_then(Item::as_value_mut) {
            Some(old) => {
                let decor = old.decor().clone();
                if let Ok(new) = v.into_value() {
                    *old = new;
                    *old.decor_mut() = decor;
                }
            }
            None => {
                alerts.insert(key, v);
            }
        }
    };
    set("window", value(format!("{}m", t.window_minutes)));
    set("min_samples", value(t.min_samples as i64));
    set("error_rate", value(t.error_rate_pct));
    set("response_time", value(t.response_time_ms / 1000.0));
    set("failure_count", value(t.failure_count as i64));
    set("error_spike_factor", value(t.spike_factor));
    set("error_spike_min", value(t.spike_min_errors as i64));
    set("tool_success_rate", value(t.tool_success_pct));
    let timeout = t.heartbeat_timeout_s;
    set(
        "heartbeat_timeout",
        value(if timeout % 60 == 0 { format!("{}m", timeout / 60) } else { format!("{timeout}s") }),
    );
    let out = doc.to_string();
    parse(&out).context("the thresholds would make the config file invalid")?;
    Ok(out)
}

/// Saves thresholds into the config file at `path` (created from the commented
/// default if missing), atomically.
pub fn save_thresholds(path: &Path, t: &Thresholds) -> Result<()> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => DEFAULT_TOML.to_owned(),
        Err(e) => return Err(e).with_context(|| format!("cannot read config file {}", path.display())),
    };
    let updated = with_thresholds(&text, t).with_context(|| format!("cannot update {}", path.display()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    crate::follow::fsutil::write_atomically(path, updated.as_bytes())
}

#[cfg(test)]
mod tests;
