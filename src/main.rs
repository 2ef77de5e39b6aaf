//! The `ajentik` binary: parses the command line and maps failures to exit codes
//! (0 success, 2 usage error, 1 anything else with a one-line message).

use clap::Parser;

fn main() {
    let cli = ajentik::cli::Cli::parse();
    if let Err(e) = ajentik::cli::run(cli) {
        // One line: the context chain, outermost first.
        let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
        eprintln!("ajentik: error: {}", ajentik::sanitize::clean(&chain.join(": ")));
        std::process::exit(1);
    }
}
