#!/usr/bin/env bash
# Builds the portable wheel into dist/: the `bavard` binary linked against glibc 2.17 at most
# (manylinux2014: CentOS 7 and CloudLinux 7 hosts, and every newer Linux), plus the WSGI
# launcher. Cross-links with zig, so it needs no old distribution. maturin and ziglang come
# from PyPI into a venv of their own (target/build-venv); after that first install it works
# offline. `--tools-only` stops there (CI fetches them while it compiles other things).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/build-venv
if [ ! -x "$venv/bin/maturin" ] || ! "$venv/bin/python" -c "import ziglang" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "maturin==1.16.0" "ziglang==0.15.2"
fi
[ "${1:-}" = "--tools-only" ] && exit 0
# BAVARD_WHEEL_PROFILE picks another Cargo profile (the tests check the packaging with `dev`,
# which builds in a third of the time); what users install is built with `release`.
PATH="$PWD/$venv/bin:$PATH" maturin build --profile "${BAVARD_WHEEL_PROFILE:-release}" --locked --zig \
  --compatibility manylinux2014 --target x86_64-unknown-linux-gnu --out dist "$@"
