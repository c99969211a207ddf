#!/usr/bin/env bash
# Runs every test, first installing what a fresh Debian machine lacks (tests/install.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install.sh
cargo test --locked --workspace "$@"
