//! A Rust agent that records events builds the writer alone: with
//! `default-features = false` the library is `ajentik::recorder`, and pulls no
//! terminal, HTTP, OpenTelemetry or async runtime crates. (`.ci/run` also
//! compiles that build.)

use std::process::Command;

#[test]
fn the_writer_only_build_pulls_no_app_dependencies() {
    check_tree(&[]);
}

/// The writer with its `tracing` layer: tracing and tracing-subscriber's registry,
/// still nothing of the app.
#[test]
fn the_writer_with_the_tracing_layer_pulls_no_app_dependencies() {
    check_tree(&["--features", "tracing"]);
}

fn check_tree(features: &[&str]) {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "--no-default-features", "-e", "normal", "--prefix", "none"])
        .args(features)
        .arg("--manifest-path")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .output()
        .expect("run cargo tree");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).expect("utf-8");
    let crates: Vec<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert!(crates.contains(&"serde_json") && crates.contains(&"chrono"), "{tree}");
    if !features.is_empty() {
        assert!(crates.contains(&"tracing-subscriber"), "{tree}");
    }
    for banned in ["ratatui", "crossterm", "reqwest", "opentelemetry", "opentelemetry_sdk", "tokio", "hyper", "rustls"]
    {
        assert!(!crates.contains(&banned), "the writer-only build pulls {banned}:\n{tree}");
    }
}
