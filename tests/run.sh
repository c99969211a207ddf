#!/usr/bin/env bash
# Runs every test, first installing what a fresh Debian machine lacks: Chromium for the browser
# tests and the pinned Node packages that drive it, gunicorn and Apache's mod_passenger for the
# WSGI launcher tests.
# Safe to run again; installs only what's missing.
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

# Apache with mod_passenger, as cPanel's "Setup Python App" runs the launcher.
if [ ! -f /usr/lib/apache2/modules/mod_passenger.so ]; then
  echo "tests/run.sh: installing Apache and mod_passenger for the Passenger test"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq libapache2-mod-passenger >/dev/null
fi
# gunicorn, the real WSGI server the launcher tests run under, in a venv of the tests' own.
venv=target/test-venv
if [ ! -x "$venv/bin/gunicorn" ] || [ tests/launcher/requirements.txt -nt "$venv/.installed" ]; then
  if ! python3 -m venv --help >/dev/null 2>&1; then
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3-venv >/dev/null
  fi
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/launcher/requirements.txt
  touch "$venv/.installed"
fi

cargo test --locked --workspace "$@"
