//! Runs the Playwright suite in `tests/browser` (real Chromium, real binary on loopback).
//! `tests/run.sh` installs Chromium and the Node packages; without them this test fails with
//! instructions. There is no way to skip it that would still count as a pass.

use std::path::Path;
use std::process::Command;

#[test]
fn browser_suite() {
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        suite.join("node_modules/playwright-core").exists()
            && Path::new("/usr/bin/chromium").exists(),
        "browser tests need Chromium and playwright-core: run `bash tests/run.sh` once"
    );
    // Two files at a time, each with its own server and browser: on two cores the suite takes
    // the time of its longest file, not of all of them. A stuck browser must fail the suite,
    // not stall CI: run like this, node gives each file as a whole 360 s. The longest files take
    // about 100 s here but 150 s on CI, where the wheel check compiles beside them.
    let status = Command::new("node")
        .args([
            "--test",
            "--test-concurrency=2",
            "--test-timeout=360000",
            "--test-reporter=spec",
        ])
        .current_dir(&suite)
        .env("BAVARD_BIN", crate::support::BIN)
        .status()
        .expect("node runs");
    assert!(
        status.success(),
        "the browser suite failed (see its output above)"
    );
}
