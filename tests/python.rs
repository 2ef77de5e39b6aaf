//! The Python writer's own tests (clients/python/tests), run against the binary
//! this build made. Needs python3 (3.9+) on PATH, as CI has.

use std::path::Path;
use std::process::Command;

#[test]
fn python_client_tests_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .args(["-m", "unittest", "discover", "-s", "clients/python/tests", "-v"])
        .current_dir(root)
        .env("AJENTIK_BIN", env!("CARGO_BIN_EXE_ajentik"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("AJENTIK_LOG")
        .env_remove("AJENTIK_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent-config-dir")
        .output()
        .expect("python3 must be installed to test the Python client");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "Python client tests failed:\n{stderr}");
    assert!(stderr.contains("OK"), "{stderr}");
}
