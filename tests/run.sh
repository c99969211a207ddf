#!/usr/bin/env bash
# Runs every test, first installing what a fresh Debian machine lacks (tests/install.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install.sh
# A throwaway PostgreSQL for the model's tests on the second engine, removed when the tests end.
eval "$(bash tests/postgres.sh start)"
trap 'bash tests/postgres.sh stop "$BAVARD_TEST_POSTGRES_DIR"' EXIT
cargo test --locked --workspace "$@"
