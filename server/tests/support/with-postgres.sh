#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL server.
#
#   server/tests/support/with-postgres.sh cargo test --workspace
#
# The server lives in a fresh temporary directory on a free port, runs as the
# `postgres` user when started as root (PostgreSQL refuses to run as root),
# and is stopped and deleted when the command ends, whatever its outcome.
# The command sees BOTME_TEST_PG_URL, an admin connection string; each test
# creates its own database on it. BOTME_TEST_PG_DATA and BOTME_TEST_PG_CTL
# let a test restart the server.
set -euo pipefail

find_bin() {
  if command -v "$1" >/dev/null 2>&1; then command -v "$1"; return; fi
  local candidate
  for candidate in /usr/lib/postgresql/*/bin/"$1"; do
    if [ -x "$candidate" ]; then echo "$candidate"; return; fi
  done
  return 1
}

INITDB=$(find_bin initdb) || { echo "initdb not found; run 'make deps' or install postgresql" >&2; exit 1; }
PG_CTL=$(find_bin pg_ctl) || { echo "pg_ctl not found" >&2; exit 1; }

dir=$(mktemp -d /tmp/botme-pg.XXXXXX)

# Whether a TCP port is taken on this machine, from the kernel's socket
# tables (addresses there end in the port as four hex digits).
port_in_use() {
  local hex
  hex=$(printf ':%04X' "$1")
  awk -v p="$hex" 'FNR > 1 && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# A random port in 20000-59999 that nothing listens on right now. Another
# process may still take it first; the start below then tries another.
pick_port() {
  local candidate
  while :; do
    candidate=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    port_in_use "$candidate" || { echo "$candidate"; return; }
  done
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

if [ "$(id -u)" = 0 ]; then
  chown postgres: "$dir"
  chmod 700 "$dir"
  pguser=postgres
else
  pguser=$(id -un)
fi

cleanup() {
  as_pg "$PG_CTL" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

as_pg "$INITDB" -D "$dir/data" -U "$pguser" --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
# Durability is irrelevant for throwaway test data; speed is not.
started=
for attempt in 1 2 3 4 5; do
  port=$(pick_port)
  if as_pg "$PG_CTL" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null; then
    started=1
    break
  fi
  echo "PostgreSQL did not start on port $port (attempt $attempt); trying another" >&2
done
[ -n "$started" ] || { cat "$dir/server.log" >&2; exit 1; }

export BOTME_TEST_PG_URL="postgres://$pguser@127.0.0.1:$port/postgres"
# For tests that restart the server (the fault suite): its data folder and
# pg_ctl; `pg_ctl restart` reuses the options it was started with.
export BOTME_TEST_PG_DATA="$dir/data" BOTME_TEST_PG_CTL="$PG_CTL"
echo "throwaway PostgreSQL at $BOTME_TEST_PG_URL" >&2
set +e
"$@"
status=$?
set -e
exit $status
