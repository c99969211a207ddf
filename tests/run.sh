#!/usr/bin/env bash
# Runs every test, first installing what a fresh Debian machine lacks: Chromium for the browser
# tests and the pinned Node packages that drive it. Safe to run again; installs only what's missing.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -x /usr/bin/chromium ]; then
  echo "tests/run.sh: installing Debian's chromium for the browser tests"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi
if ! command -v node >/dev/null; then
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nodejs npm >/dev/null
fi
# Reinstall only when the lockfile changed since the last install.
stamp=tests/browser/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ tests/browser/package-lock.json -nt "$stamp" ]; then
  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi

cargo test --locked "$@"
