#!/usr/bin/env bash
# The wheel as a shared-hosting user gets it: builds it with deploy/build-wheel.sh, installs it
# in a fresh venv with nothing else of ours, checks that its binary needs no glibc newer than
# 2.17, and serves a page through `bavard.wsgi` under gunicorn, which finds the binary beside
# the venv's Python. CI runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Built unoptimised: nothing checked here (the packaging, the glibc floor, the launcher)
# depends on optimisation. The dev profile for the Rust, and -O0 without debug information for
# the C (OpenSSL and jemalloc, most of the build: their own flags ask for -O3 and -g3, and
# later flags win); zig's C compiler would add its undefined-behaviour traps to unoptimised C.
CFLAGS="${CFLAGS:-} -O0 -g0 -fno-sanitize=undefined" BAVARD_WHEEL_PROFILE=dev \
  bash deploy/build-wheel.sh --quiet
wheel=$(ls -t dist/bavard-*-manylinux*.whl | head -n 1)

work=$(mktemp -d)
gunicorn_pid=
cleanup() {
  [ -n "$gunicorn_pid" ] && kill "$gunicorn_pid" 2>/dev/null || true
  [ -f "$work/app/bavard.sock.pid" ] && kill "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$work/app/bavard.sock.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "$wheel" -r tests/launcher/requirements.txt
test -x "$work/venv/bin/bavard" || { echo "wheel: no bavard on the venv's PATH"; exit 1; }

newest=$(objdump -T "$work/venv/bin/bavard" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1)
echo "wheel: $(basename "$wheel"): the binary needs $newest at most"
case "$newest" in
  GLIBC_2.1[0-7]|GLIBC_2.[0-9]) ;;
  *) echo "wheel: needs $newest, newer than glibc 2.17"; exit 1 ;;
esac

mkdir "$work/app"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$work/app" && exec env -u BAVARD_BIN "$work/venv/bin/gunicorn" --workers 2 \
  --bind "127.0.0.1:$port" bavard.wsgi:application 2>"$work/gunicorn.log") &
gunicorn_pid=$!
page=$(python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(150):
    try:
        print(urllib.request.urlopen("http://127.0.0.1:%s/login" % sys.argv[1], timeout=30).read().decode())
        break
    except OSError:
        time.sleep(0.2)
PY
)
if ! grep -q 'name="password"' <<<"${page:-}"; then
  echo "wheel: no login page through bavard.wsgi"; cat "$work/gunicorn.log"; exit 1
fi
echo "wheel: the login page came through bavard.wsgi from the installed wheel"
