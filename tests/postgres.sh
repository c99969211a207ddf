#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests that run the model on PostgreSQL (issue 15):
#   eval "$(bash tests/postgres.sh start)"   prints the exports that tell the tests where it is
#   bash tests/postgres.sh stop DIR          stops it and removes its folder
# The cluster lives in a temporary folder, listens on a unix socket there and nowhere else, and
# runs as an unprivileged user (PostgreSQL refuses to run as root). tests/install.sh installs
# Debian's packages.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ]; then
  echo "tests/postgres.sh: no PostgreSQL under /usr/lib/postgresql (tests/install.sh installs it)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    dir=$(mktemp -d /tmp/bavard-postgres.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown nobody "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U bavard --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # Durability is not what these tests are about: fsync off spares the disk.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
      "-k $dir -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    socket=${dir//\//%2F}
    echo "export BAVARD_TEST_POSTGRES='postgresql://bavard@$socket/postgres' BAVARD_TEST_POSTGRES_DIR='$dir'"
    ;;
  stop)
    dir=${2:?the folder that start printed}
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
