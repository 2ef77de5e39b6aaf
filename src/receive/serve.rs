//! `ajentik serve` and the live view's `--serve`: binding, the auth rule, running
//! the transports until a signal or the live view's exit (shell).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::{Context, Result};
use tokio::sync::watch;

use super::Receiver;
use super::http::{self, HttpConfig};
use crate::config::ServeConfig;
use crate::genai::MapOptions;

/// Flags of `ajentik serve`; each left out falls back to `[serve]` in the config.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Where OTLP/HTTP is served (POST /v1/traces, /v1/logs, /v1/metrics).
    /// Default: `listen` under `[serve]`, else 127.0.0.1:4318.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Where OTLP/gRPC is served, or `off`. Default: `grpc_listen` under `[serve]`, else
    /// 127.0.0.1:4317.
    #[arg(long, value_name = "ADDR|off")]
    pub grpc_listen: Option<String>,
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
    /// Largest request body accepted, in MiB, compressed or inflated. Default 32.
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_body_mib: Option<u32>,
}

impl ServeArgs {
    /// The flags given, over the config file's `[serve]`.
    pub fn over(self, config: &ServeConfig) -> ServeConfig {
        ServeConfig {
            enabled: true,
            listen: self.listen.unwrap_or_else(|| config.listen.clone()),
            grpc_listen: self.grpc_listen.unwrap_or_else(|| config.grpc_listen.clone()),
            token: self.token.or_else(|| config.token.clone()),
            no_auth: self.no_auth || config.no_auth,
            keep_content: self.keep_content || config.keep_content,
            max_body_mib: self.max_body_mib.map_or(config.max_body_mib, |m| m as usize),
            log: config.log.clone(),
        }
    }
}

/// A parsed listen address; a bad one is an error naming it.
fn address(text: &str, what: &str) -> Result<SocketAddr> {
    text.parse().with_context(|| format!("{what} {text:?} is not an address like 127.0.0.1:4318"))
}

/// The listeners, bound, and the words for the first line.
pub struct Bound {
    http: std::net::TcpListener,
    grpc: Option<std::net::TcpListener>,
    pub http_addr: SocketAddr,
    pub grpc_addr: Option<SocketAddr>,
    /// "loopback only, no auth", "bearer token required", ...
    pub auth: &'static str,
}

/// Checks the addresses against the auth rule and binds them.
pub fn bind(settings: &ServeConfig) -> Result<Bound> {
    let http = address(&settings.listen, "listen address")?;
    let grpc = match settings.grpc_listen.as_str() {
        "off" => None,
        // Built without tonic: HTTP only (the first line says so).
        _ if !cfg!(feature = "grpc") => None,
        text => Some(address(text, "gRPC listen address")?),
    };
    let exposed = [Some(http), grpc].into_iter().flatten().find(|a| !a.ip().is_loopback());
    let auth = match (&settings.token, settings.no_auth, exposed) {
        (Some(_), _, _) => "bearer token required",
        (None, true, _) => "no auth (--no-auth)",
        (None, false, None) => "loopback only, no auth",
        (None, false, Some(addr)) => {
            anyhow::bail!("listening beyond loopback ({addr}) needs --token SECRET or an explicit --no-auth")
        }
    };
    let listen = |addr: SocketAddr| -> Result<std::net::TcpListener> {
        let listener = std::net::TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
        listener.set_nonblocking(true).with_context(|| format!("cannot listen on {addr}"))?;
        Ok(listener)
    };
    let http = listen(http)?;
    let grpc = grpc.map(listen).transpose()?;
    Ok(Bound {
        http_addr: http.local_addr()?,
        grpc_addr: grpc.as_ref().map(std::net::TcpListener::local_addr).transpose()?,
        http,
        grpc,
        auth,
    })
}

impl Bound {
    /// The first line `serve` prints: where it listens, what it writes, the auth.
    pub fn describe(&self, log: &std::path::Path, keep_content: bool) -> String {
        let grpc = match self.grpc_addr {
            Some(addr) => format!(", OTLP/gRPC on {addr}"),
            None if cfg!(feature = "grpc") => ", OTLP/gRPC off".into(),
            None => ", OTLP/gRPC not built in".into(),
        };
        format!(
            "OTLP/HTTP on http://{}{grpc}, writing {} ({}{})",
            self.http_addr,
            log.display(),
            self.auth,
            if keep_content { ", keeping contents" } else { "" }
        )
    }

    /// Serves both transports until `shutdown` turns true; then lets requests in
    /// hand finish.
    async fn serve(
        self,
        receiver: Arc<Receiver>,
        settings: &ServeConfig,
        shutdown: watch::Receiver<bool>,
    ) -> Result<()> {
        let body_limit = settings.max_body_mib << 20;
        let http_listener = tokio::net::TcpListener::from_std(self.http)?;
        let config = HttpConfig {
            body_limit,
            token: settings.token.clone(),
            max_connections: http::MAX_CONNECTIONS,
            header_timeout: http::HEADER_TIMEOUT,
        };
        let http = tokio::spawn(http::serve(http_listener, receiver.clone(), config, shutdown.clone()));
        let grpc = match self.grpc {
            Some(listener) => {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                let token = settings.token.clone();
                Some(tokio::spawn(super::grpc::serve(listener, receiver, token, body_limit, shutdown)))
            }
            None => None,
        };
        http.await.context("the HTTP receiver stopped")??;
        if let Some(grpc) = grpc {
            grpc.await.context("the gRPC receiver stopped")??;
        }
        Ok(())
    }
}

/// Creates the log (and its folder) if missing, so a reader following it sees it
/// at once and a log that cannot be written is an error before anything is served.
fn prepare_log(log: &std::path::Path) -> Result<()> {
    if let Some(dir) = log.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot write {}", log.display()))?;
    Ok(())
}

/// `ajentik serve`: binds, prints where it listens, serves until Ctrl-C, SIGTERM
/// or SIGHUP, then says what it received.
pub fn run(log: PathBuf, settings: &ServeConfig) -> Result<i32> {
    let bound = bind(settings)?;
    prepare_log(&log)?;
    eprintln!("ajentik serve: {}", bound.describe(&log, settings.keep_content));
    let receiver = Arc::new(Receiver::new(&log, MapOptions { keep_content: settings.keep_content }));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start tokio")?;
    runtime.block_on(async {
        let (stop, shutdown) = watch::channel(false);
        let serving = tokio::spawn({
            let (receiver, settings) = (receiver.clone(), settings.clone());
            async move { bound.serve(receiver, &settings, shutdown).await }
        });
        wait_for_signal().await?;
        let _ = stop.send(true);
        serving.await.context("the receiver stopped")?
    })?;
    eprintln!("ajentik serve: stopped; {}", summary(&receiver));
    Ok(0)
}

/// A receiver running on its own thread (inside the live view).
pub struct Background {
    pub receiver: Arc<Receiver>,
    pub http_addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Binds now (so a bad address fails before the screen is taken), then
    /// serves on a thread until dropped.
    pub fn start(log: PathBuf, settings: &ServeConfig) -> Result<Background> {
        let bound = bind(settings)?;
        prepare_log(&log)?;
        let http_addr = bound.http_addr;
        let receiver = Arc::new(Receiver::new(&log, MapOptions { keep_content: settings.keep_content }));
        let (stop, shutdown) = watch::channel(false);
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start tokio")?;
        let (serving, settings) = (receiver.clone(), settings.clone());
        let thread = std::thread::Builder::new()
            .name("otlp-receiver".into())
            .spawn(move || {
                // A receiver that fails later is seen in its counters; the view goes on.
                let _ = runtime.block_on(bound.serve(serving, &settings, shutdown));
            })
            .context("cannot start the receiver thread")?;
        Ok(Background { receiver, http_addr, stop, thread: Some(thread) })
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
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
