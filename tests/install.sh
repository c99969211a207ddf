#!/usr/bin/env bash
# Installs what the tests need and a fresh Debian machine lacks: Chromium for the browser tests
# and the pinned Node packages that drive it, PostgreSQL's server for the model's tests on that
# engine, Apache's mod_passenger and gunicorn (in a venv of the tests' own) for the WSGI
# launcher tests. tests/run.sh calls it; CI starts it first, in the
# background, so that the downloads overlap the compiling.
# Safe to run again; installs only what's missing.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs npm)
# Apache with mod_passenger, as cPanel's "Setup Python App" runs the launcher.
[ -f /usr/lib/apache2/modules/mod_passenger.so ] || missing+=(libapache2-mod-passenger)
python3 -m venv --help >/dev/null 2>&1 || missing+=(python3-venv)
# PostgreSQL's server, for the model's tests on the second engine (tests/postgres.sh starts a
# throwaway cluster); Debian's own cluster, which would run as a service, is not wanted.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
  if [ ! -f /etc/postgresql-common/createcluster.conf ]; then
    as_root mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | as_root tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "tests/install.sh: installing ${missing[*]} from Debian"
  apt_install "${missing[@]}"
fi

# Reinstall only when the lockfile changed since the last install.
stamp=tests/browser/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ tests/browser/package-lock.json -nt "$stamp" ]; then
  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi

# gunicorn, the real WSGI server the launcher tests run under.
venv=target/test-venv
if [ ! -x "$venv/bin/gunicorn" ] || [ tests/launcher/requirements.txt -nt "$venv/.installed" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/launcher/requirements.txt
  touch "$venv/.installed"
fi
