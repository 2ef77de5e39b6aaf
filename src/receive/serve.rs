//! `ajentik serve`: the receiver without a screen (shell).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::{Context, Result};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::Receiver;
use super::http::{self, DEFAULT_BODY_LIMIT, HttpConfig};
use crate::genai::MapOptions;

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Where OTLP/HTTP is served (POST /v1/traces, /v1/logs, /v1/metrics).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4318")]
    pub listen: String,
    /// Where OTLP/gRPC is served, or `off`.
    #[arg(long, value_name = "ADDR|off", default_value = "127.0.0.1:4317")]
    pub grpc_listen: String,
    /// Require `Authorization: Bearer SECRET` on every request (needed to listen
    /// beyond loopback, unless --no-auth). Also $AJENTIK_OTLP_TOKEN.
    #[arg(long, value_name = "SECRET", env = "AJENTIK_OTLP_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Listen beyond loopback without a token (anyone who can reach the port can
    /// write to the log).
    #[arg(long, conflicts_with = "token")]
    pub no_auth: bool,
    /// Keep message contents, prompts, tool arguments and results in the log
    /// (cut to 1 KiB each). Off by default: they are private.
    #[arg(long)]
    pub keep_content: bool,
    /// Largest request body accepted, in MiB, compressed or inflated.
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_BODY_LIMIT >> 20)]
    pub max_body_mib: usize,
}

/// A parsed listen address; a bad one is an error naming it.
fn address(text: &str, flag: &str) -> Result<SocketAddr> {
    text.parse().with_context(|| format!("{flag} {text:?} is not an address like 127.0.0.1:4318"))
}

/// Checks the addresses against the auth rule; returns (http, grpc) and the words
/// for the first stderr line.
pub fn plan(args: &ServeArgs) -> Result<(SocketAddr, Option<SocketAddr>, &'static str)> {
    let http = address(&args.listen, "--listen")?;
    let grpc = match args.grpc_listen.as_str() {
        "off" => None,
        // Built without tonic: HTTP only (the first stderr line says so).
        _ if !cfg!(feature = "grpc") => None,
        text => Some(address(text, "--grpc-listen")?),
    };
    let open = !http.ip().is_loopback() || grpc.is_some_and(|g| !g.ip().is_loopback());
    let auth = match (&args.token, args.no_auth, open) {
        (Some(_), _, _) => "bearer token required",
        (None, true, _) => "no auth (--no-auth)",
        (None, false, false) => "loopback only, no auth",
        (None, false, true) => anyhow::bail!(
            "listening beyond loopback ({}) needs --token SECRET or an explicit --no-auth",
            if http.ip().is_loopback() { grpc.map(|g| g.to_string()).unwrap_or_default() } else { http.to_string() }
        ),
    };
    Ok((http, grpc, auth))
}

/// Binds, prints where it listens, serves until Ctrl-C, SIGTERM or SIGHUP.
pub fn run(logs: &[String], args: ServeArgs) -> Result<i32> {
    let log = crate::emit::target(logs, "serve")?;
    let (http_addr, grpc_addr, auth) = plan(&args)?;
    if let Some(dir) = log.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let receiver = Arc::new(Receiver::new(&log, MapOptions { keep_content: args.keep_content }));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start tokio")?;
    runtime.block_on(async {
        let http_listener =
            TcpListener::bind(http_addr).await.with_context(|| format!("cannot listen on {http_addr}"))?;
        let grpc_listener = match grpc_addr {
            Some(addr) => Some(TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?),
            None => None,
        };
        let http_local = http_listener.local_addr()?;
        let grpc_local = grpc_listener.as_ref().map(TcpListener::local_addr).transpose()?;
        eprintln!(
            "ajentik serve: OTLP/HTTP on http://{http_local}{}, writing {} ({auth}{})",
            grpc_local.map(|g| format!(", OTLP/gRPC on {g}")).unwrap_or_default(),
            log.display(),
            if args.keep_content { ", keeping contents" } else { "" },
        );
        let (stop, shutdown) = watch::channel(false);
        let config = HttpConfig { body_limit: args.max_body_mib << 20, token: args.token.clone() };
        let http = tokio::spawn(http::serve(http_listener, receiver.clone(), config, shutdown.clone()));
        let grpc = grpc_listener.map(|listener| {
            tokio::spawn(super::grpc::serve(
                listener,
                receiver.clone(),
                args.token.clone(),
                args.max_body_mib << 20,
                shutdown.clone(),
            ))
        });
        wait_for_signal().await?;
        let _ = stop.send(true);
        let _ = http.await;
        if let Some(grpc) = grpc {
            let _ = grpc.await;
        }
        anyhow::Ok(())
    })?;
    eprintln!("ajentik serve: stopped; {}", summary(&receiver));
    Ok(0)
}

/// One line of what was received.
pub fn summary(receiver: &Receiver) -> String {
    let s = &receiver.stats;
    let get = |n: &std::sync::atomic::AtomicU64| n.load(Ordering::Relaxed);
    format!(
        "{} requests, {} spans, {} log records, {} metric points; {} events written, {} duplicates dropped, {} refused, {} failed writes",
        get(&s.requests),
        get(&s.spans),
        get(&s.log_records),
        get(&s.data_points),
        get(&s.events_written),
        get(&s.duplicates),
        get(&s.rejected),
        get(&s.write_failures),
    )
}

async fn wait_for_signal() -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
        _ = hangup.recv() => {}
    }
    Ok(())
}
