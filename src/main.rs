//! The `ajentik` binary: parses the command line and maps failures to exit codes
//! (0 success, 2 usage error (clap's, or a `cli::UsageError`), 1 anything else
//! with a one-line message; the
//! `monitor --alerts` check has its own: 0, 1, 2 by severity, 3 for any failure).

use clap::Parser;

/// mimalloc, not glibc's malloc: a transcript's lines are read into values made
/// and dropped line by line, on every thread; the first read of Claude Code and
/// Codex sessions ran 20-40 % faster with it (`cargo bench --bench fold --
/// --sessions`), an event log's the same. See Cargo.toml for its settings.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let alerts = ajentik::cli::wants_alerts(std::env::args_os());
    let cli = match ajentik::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if alerts && e.use_stderr() => {
            let _ = e.print();
            std::process::exit(ajentik::cli::ALERTS_FAILED);
        }
        Err(e) => e.exit(),
    };
    match ajentik::cli::run(cli) {
        Ok(status) => std::process::exit(status),
        Err(e) => {
            // One line: the context chain, outermost first.
            let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
            eprintln!("ajentik: error: {}", ajentik::sanitize::clean(&chain.join(": ")));
            let usage = e.chain().any(|c| c.is::<ajentik::cli::UsageError>());
            std::process::exit(match (alerts, usage) {
                (true, _) => ajentik::cli::ALERTS_FAILED,
                (false, true) => 2,
                (false, false) => 1,
            });
        }
    }
}
