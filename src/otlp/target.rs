//! Where spans are pushed, and with which headers: flags, then the standard
//! `OTEL_EXPORTER_OTLP_*` settings, then Logfire's (core: the caller supplies the
//! lookup, which reads the environment, `.env` and the config file in that order).

use thiserror::Error;

/// A setting's value and where it was found ("environment", ".env", "config file"),
/// so `--debug version` can say where a token came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub value: String,
    pub from: String,
}

/// What the command line said; these win over everything else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    /// The full traces URL, used verbatim.
    pub endpoint: Option<String>,
    pub headers: Vec<(String, String)>,
}

/// Logfire's data region, named in its write tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    Us,
    Eu,
}

impl Region {
    pub fn base_url(self) -> &'static str {
        match self {
            Region::Us => "https://logfire-us.pydantic.dev",
            Region::Eu => "https://logfire-eu.pydantic.dev",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Region::Us => "us",
            Region::Eu => "eu",
        }
    }
}

/// How Logfire was set up, for the header and `--debug version`. Never holds the
/// token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogfireSetup {
    /// The variable the token came from, and where that was.
    pub token_var: &'static str,
    pub token_from: String,
    pub token_redacted: String,
    pub region: Region,
    pub project: Option<String>,
}

/// The resolved destination.
#[derive(PartialEq, Eq)]
pub struct Target {
    /// The traces URL (`.../v1/traces`).
    pub endpoint: String,
    /// Which setting chose the endpoint.
    pub endpoint_from: String,
    /// Headers to send; may hold the token, so `Target` is not `Debug`.
    pub headers: Vec<(String, String)>,
    /// Set when spans go to Logfire with its token.
    pub logfire: Option<LogfireSetup>,
}

/// Why no usable destination could be resolved; each names the setting at fault.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TargetError {
    #[error(
        "nowhere to push: set LOGFIRE_TOKEN (environment or .env), OTEL_EXPORTER_OTLP_ENDPOINT, or pass --endpoint"
    )]
    Nowhere,
    #[error("{setting} ({from}): {reason}")]
    Bad { setting: String, from: String, reason: String },
}

const TOKEN_VARS: [&str; 2] = ["LOGFIRE_TOKEN", "LOGFIRE_WRITE_TOKEN"];

/// Resolves the destination. Precedence: flags, then `OTEL_EXPORTER_OTLP_*`, then
/// Logfire's settings. Logfire's token is only ever sent to Logfire's endpoint
/// (its region's, or `LOGFIRE_BASE_URL`): pushing to another collector must not
/// hand it a secret it has no use for.
pub fn resolve(flags: &Flags, lookup: impl Fn(&str) -> Option<Found>) -> Result<Target, TargetError> {
    // The traces-specific variable wins over the general one, as in the OTLP spec
    // (and in opentelemetry-otlp, which reads them itself too).
    let headers_var = ["OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS"]
        .into_iter()
        .find_map(|var| lookup(var).map(|found| (var, found)));
    let otel_headers = match headers_var {
        Some((var, found)) => parse_headers(&found.value).map_err(|reason| TargetError::Bad {
            setting: var.into(),
            from: found.from,
            reason,
        })?,
        None => Vec::new(),
    };
    let with_flag_headers = |mut headers: Vec<(String, String)>| {
        for (key, value) in &flags.headers {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case(key));
            headers.push((key.clone(), value.clone()));
        }
        headers
    };
    if let Some(endpoint) = &flags.endpoint {
        check_url(endpoint, "--endpoint", "command line")?;
        return Ok(Target {
            endpoint: endpoint.clone(),
            endpoint_from: "--endpoint".into(),
            headers: with_flag_headers(otel_headers),
            logfire: None,
        });
    }
    if let Some(found) = lookup("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        check_url(&found.value, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &found.from)?;
        return Ok(Target {
            endpoint: found.value,
            endpoint_from: format!("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ({})", found.from),
            headers: with_flag_headers(otel_headers),
            logfire: None,
        });
    }
    if let Some(found) = lookup("OTEL_EXPORTER_OTLP_ENDPOINT") {
        check_url(&found.value, "OTEL_EXPORTER_OTLP_ENDPOINT", &found.from)?;
        return Ok(Target {
            endpoint: traces_url(&found.value),
            endpoint_from: format!("OTEL_EXPORTER_OTLP_ENDPOINT ({})", found.from),
            headers: with_flag_headers(otel_headers),
            logfire: None,
        });
    }
    let Some((token_var, token)) = TOKEN_VARS.iter().find_map(|var| lookup(var).map(|found| (*var, found))) else {
        return Err(TargetError::Nowhere);
    };
    let region = region_of(&token.value);
    let (base, endpoint_from) = match lookup("LOGFIRE_BASE_URL") {
        Some(found) => {
            check_url(&found.value, "LOGFIRE_BASE_URL", &found.from)?;
            (found.value, format!("LOGFIRE_BASE_URL ({})", found.from))
        }
        None => (region.base_url().to_string(), format!("Logfire region {} (from the token)", region.name())),
    };
    let setup = LogfireSetup {
        token_var,
        token_from: token.from,
        token_redacted: redact(&token.value),
        region,
        project: lookup("LOGFIRE_PROJECT").map(|found| found.value),
    };
    // Logfire wants the token raw, without "Bearer".
    let mut headers = vec![("Authorization".to_string(), token.value)];
    headers.extend(otel_headers);
    Ok(Target { endpoint: traces_url(&base), endpoint_from, headers: with_flag_headers(headers), logfire: Some(setup) })
}

/// A base URL with the OTLP/HTTP traces path appended, as the OTLP spec says
/// for `OTEL_EXPORTER_OTLP_ENDPOINT`.
fn traces_url(base: &str) -> String {
    format!("{}/v1/traces", base.trim_end_matches('/'))
}

fn check_url(url: &str, setting: &str, from: &str) -> Result<(), TargetError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        return Ok(());
    }
    Err(TargetError::Bad {
        setting: setting.into(),
        from: from.into(),
        reason: format!("{:?} is not an http:// or https:// URL", crate::sanitize::clean(url)),
    })
}

/// The region a write token names (`pylf_v<n>_<region>_...`); US when it names
/// none, as Logfire's own SDK does.
pub fn region_of(token: &str) -> Region {
    let mut parts = token.split('_');
    let named = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("pylf"), Some(version), Some(region), Some(_))
            if version.len() > 1 && version.starts_with('v') && version[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(region)
        }
        _ => None,
    };
    match named {
        Some("eu") => Region::Eu,
        _ => Region::Us,
    }
}

/// A token as it may be shown: its non-secret prefix and its length.
pub fn redact(token: &str) -> String {
    let prefix: String = match token.rfind('_') {
        Some(i) if token.starts_with("pylf_") => token[..=i].to_string(),
        _ => String::new(),
    };
    format!("{prefix}**** ({} characters)", token.chars().count())
}

/// `key=value` pairs separated by commas, values percent-encoded (the OTLP
/// exporter spec's format for `OTEL_EXPORTER_OTLP_HEADERS`).
fn parse_headers(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut headers = Vec::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(format!(
                "expected key=value pairs separated by commas; one has no '=' (key {:?})",
                key_hint(pair)
            ));
        };
        let key = key.trim();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
            return Err(format!("{:?} is not a header name", crate::sanitize::clean(key)));
        }
        let value = percent_decode(value.trim()).ok_or_else(|| format!("the value of {key} has a bad %-escape"))?;
        headers.push((key.to_string(), value));
    }
    Ok(headers)
}

/// The start of a malformed pair, short enough not to print a secret.
fn key_hint(pair: &str) -> String {
    crate::sanitize::clean(&pair.chars().take(12).collect::<String>()).into_owned()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests;
