#!/usr/bin/env bash
# Throw-away PostgreSQL (Debian package) and Chroma server on loopback, for the tests that run against
# real databases (records, audit, vector-store conformance). Used by .ci/run; works by hand too.
#
#   . scripts/ci_services.sh             start both (or reuse running ones) and export into the caller:
#                                        MISHU_TEST_PG_URL=postgresql+psycopg://mishu:…@127.0.0.1:PORT/mishu_test
#                                        MISHU_TEST_CHROMA_HOST=127.0.0.1  MISHU_TEST_CHROMA_PORT=PORT
#   bash scripts/ci_services.sh start    same, prints the export lines on stdout (eval "$(… start)")
#   bash scripts/ci_services.sh env      print the export lines of running services (exit 1 if none)
#   bash scripts/ci_services.sh status   say what runs
#   bash scripts/ci_services.sh stop     stop both and delete their data (the logs stay)
#
# Idempotent: a second start reuses servers that still answer and restarts only what is down. No trap:
# the servers stay up after this script returns, for the test process; `stop` ends them.
# State, data and logs: $MISHU_CI_SERVICES_DIR (default /tmp/mishu-ci-services-<uid>-<hash of repo path>),
# the script's own log in services.log there, the servers' in postgres.log and chroma.log.
# PostgreSQL: the newest /usr/lib/postgresql/*/bin (or $MISHU_PG_BINDIR); `apt-get install -y postgresql`
# when none is there. Postgres refuses to run as root: as root the cluster belongs to the `postgres` user
# that the Debian package creates. Chroma: the `chroma` CLI of the installed chromadb (.venv/bin/chroma,
# or $MISHU_CHROMA_BIN); scripts/setup.sh is run first when the venv has none.

# ---- sourced: run this file as a child process (so nothing of its shell options leaks) and import its env
if [ -n "${BASH_SOURCE[0]:-}" ] && [ "${BASH_SOURCE[0]}" != "$0" ]; then
  if _mishu_ci_env="$(bash "${BASH_SOURCE[0]}" start)"; then
    eval "$_mishu_ci_env"
    unset _mishu_ci_env
    return 0
  fi
  unset _mishu_ci_env
  echo "ci_services: could not start the test services (see the messages above)" >&2
  return 1
fi

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_hash="$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)"
STATE="${MISHU_CI_SERVICES_DIR:-${TMPDIR:-/tmp}/mishu-ci-services-$(id -u)-$_hash}"
LOG="$STATE/services.log"
PG_DB=mishu_test
PG_ROLE=mishu
START_TIMEOUT="${MISHU_CI_SERVICES_TIMEOUT:-90}"   # seconds per server

log() {  # to the log file and stderr (stdout carries only the export lines)
  local line
  line="[$(date '+%H:%M:%S')] $*"
  [ -d "$STATE" ] && printf '%s\n' "$line" >>"$LOG"
  printf 'ci_services: %s\n' "$*" >&2
}

die() {  # $1 message, $2 optional log file whose tail helps
  log "ERROR: $1"
  local f
  for f in "$LOG" ${2:+"$2"}; do
    [ -f "$f" ] || continue
    echo "---- last lines of $f ----" >&2
    tail -n 20 "$f" >&2 || true
  done
  # what this call started is stopped again, so a failed start leaves nothing half-up behind it
  [ "${STARTED_CHROMA:-0}" = 1 ] && stop_chroma
  [ "${STARTED_PG:-0}" = 1 ] && stop_pg
  echo "ci_services: FAILED: $1 (log: $LOG)" >&2
  exit 1
}

free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# ---------------------------------------------------------------------------------------- PostgreSQL
PG_BINDIR=""
PG_USER=""

find_pg_bindir() {
  if [ -n "${MISHU_PG_BINDIR:-}" ]; then
    [ -x "$MISHU_PG_BINDIR/initdb" ] && [ -x "$MISHU_PG_BINDIR/pg_ctl" ] && { echo "$MISHU_PG_BINDIR"; return 0; }
    return 1
  fi
  local d
  # Debian keeps the server binaries out of PATH, one folder per major version; take the newest.
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5 -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then echo "$d"; return 0; fi
  done
  # elsewhere (another distribution, a source build): initdb on PATH
  d="$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")"
  [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  return 1
}

ensure_pg_installed() {
  if PG_BINDIR="$(find_pg_bindir)"; then return 0; fi
  [ "$(id -u)" = 0 ] || die "PostgreSQL server binaries not found and not root: run 'apt-get install -y postgresql' (or set MISHU_PG_BINDIR)"
  log "installing PostgreSQL from Debian (apt-get install -y postgresql)"
  local t0=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq postgresql; } >>"$LOG" 2>&1 \
    || die "apt-get install -y postgresql failed"
  PG_BINDIR="$(find_pg_bindir)" || die "postgresql installed but no initdb/pg_ctl found under /usr/lib/postgresql/*/bin"
  log "PostgreSQL installed in $((SECONDS - t0)) s ($PG_BINDIR)"
}

as_pg() {  # run a command as the cluster's owner
  if [ "$(id -u)" = 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

pick_pg_user() {
  if [ "$(id -u)" != 0 ]; then PG_USER="$(id -un)"; return; fi
  if id postgres >/dev/null 2>&1; then PG_USER=postgres; return; fi
  # root without the Debian package's user (binaries from elsewhere): a system user of our own
  useradd --system --no-create-home --shell /usr/sbin/nologin mishu-pg >>"$LOG" 2>&1 || id mishu-pg >/dev/null 2>&1 \
    || die "cannot create a non-root user for PostgreSQL (useradd mishu-pg)"
  PG_USER=mishu-pg
}

pg_ready() {  # $1 port
  "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$1" -d postgres -t 2 >/dev/null 2>&1
}

pg_running() {
  [ -f "$STATE/pg.port" ] && [ -f "$STATE/pg/data/postmaster.pid" ] && pg_ready "$(cat "$STATE/pg.port")"
}

pg_psql() {  # SQL as the superuser over the socket in the state dir
  as_pg "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$STATE/pg/sock" -p "$(cat "$STATE/pg.port")" \
    -U postgres -d postgres "$@"
}

start_pg() {
  ensure_pg_installed
  pick_pg_user
  if pg_running; then
    log "PostgreSQL already running on 127.0.0.1:$(cat "$STATE/pg.port")"
    return 0
  fi
  # anything left from an earlier run (stopped or killed) is thrown away
  if [ -f "$STATE/pg/data/postmaster.pid" ]; then
    as_pg "$PG_BINDIR/pg_ctl" -D "$STATE/pg/data" stop -m immediate >>"$LOG" 2>&1 || true
  fi
  rm -rf "$STATE/pg" "$STATE/pg.port" "$STATE/pg.url"
  mkdir -p "$STATE/pg/sock"
  chmod 755 "$STATE"
  touch "$STATE/postgres.log"
  [ "$(id -u)" = 0 ] && chown -R "$PG_USER" "$STATE/pg" "$STATE/postgres.log"
  local pw t0=$SECONDS
  pw="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  printf '%s\n' "$pw" >"$STATE/pg/pwfile"
  [ "$(id -u)" = 0 ] && chown "$PG_USER" "$STATE/pg/pwfile"
  chmod 600 "$STATE/pg/pwfile"
  log "initdb ($("$PG_BINDIR/postgres" --version), owner $PG_USER) in $STATE/pg/data"
  as_pg "$PG_BINDIR/initdb" -D "$STATE/pg/data" -U postgres --pwfile="$STATE/pg/pwfile" -E UTF8 \
    --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >>"$LOG" 2>&1 \
    || die "initdb failed"
  local port try
  for try in 1 2 3; do
    port="$(free_port)"
    # loopback TCP only, socket in the state dir (no /var/run/postgresql needed); throw-away data, so
    # no fsync: the tests measure behaviour, not durability
    cat >>"$STATE/pg/data/postgresql.auto.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$STATE/pg/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
EOF
    if as_pg "$PG_BINDIR/pg_ctl" -D "$STATE/pg/data" -l "$STATE/postgres.log" -w -t "$START_TIMEOUT" start \
        >>"$LOG" 2>&1 && pg_ready "$port"; then
      break
    fi
    log "PostgreSQL did not start on port $port (try $try)"
    as_pg "$PG_BINDIR/pg_ctl" -D "$STATE/pg/data" stop -m immediate >>"$LOG" 2>&1 || true
    port=""
  done
  [ -n "$port" ] || die "PostgreSQL did not start on 127.0.0.1" "$STATE/postgres.log"
  echo "$port" >"$STATE/pg.port"
  STARTED_PG=1
  pw="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  pg_psql -c "CREATE ROLE $PG_ROLE LOGIN PASSWORD '$pw'" >>"$LOG" 2>&1 || die "CREATE ROLE failed"
  pg_psql -c "CREATE DATABASE $PG_DB OWNER $PG_ROLE ENCODING 'UTF8' TEMPLATE template0" >>"$LOG" 2>&1 \
    || die "CREATE DATABASE failed"
  echo "postgresql+psycopg://$PG_ROLE:$pw@127.0.0.1:$port/$PG_DB" >"$STATE/pg.url"
  chmod 600 "$STATE/pg.url"
  log "PostgreSQL up on 127.0.0.1:$port, database $PG_DB, role $PG_ROLE ($((SECONDS - t0)) s)"
}

stop_pg() {
  if [ -f "$STATE/pg/data/postmaster.pid" ]; then
    PG_BINDIR="$(find_pg_bindir)" || { log "no pg_ctl found to stop PostgreSQL"; return 0; }
    pick_pg_user
    as_pg "$PG_BINDIR/pg_ctl" -D "$STATE/pg/data" stop -m fast -w -t 30 >>"$LOG" 2>&1 \
      || as_pg "$PG_BINDIR/pg_ctl" -D "$STATE/pg/data" stop -m immediate >>"$LOG" 2>&1 || true
    log "PostgreSQL stopped"
  fi
}

# -------------------------------------------------------------------------------------------- Chroma
CHROMA_BIN=""

find_chroma() {
  local c
  for c in "${MISHU_CHROMA_BIN:-}" "$ROOT/.venv/bin/chroma" "$(command -v chroma 2>/dev/null || true)"; do
    [ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
  done
  return 1
}

chroma_heartbeat() {  # $1 port; succeeds when the server answers its v2 heartbeat
  python3 - "$1" <<'EOF' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v2/heartbeat", timeout=2) as r:
    assert r.status == 200 and "nanosecond heartbeat" in json.load(r)
EOF
}

chroma_running() {
  alive "$STATE/chroma.pid" && [ -f "$STATE/chroma.port" ] && chroma_heartbeat "$(cat "$STATE/chroma.port")"
}

start_chroma() {
  if chroma_running; then
    log "Chroma already running on 127.0.0.1:$(cat "$STATE/chroma.port")"
    return 0
  fi
  if ! CHROMA_BIN="$(find_chroma)"; then
    log "no chroma CLI yet: running scripts/setup.sh (creates .venv with chromadb)"
    bash "$ROOT/scripts/setup.sh" >>"$LOG" 2>&1 || die "scripts/setup.sh failed"
    CHROMA_BIN="$(find_chroma)" || die "chroma CLI not found (.venv/bin/chroma; is chromadb installed?)"
  fi
  stop_chroma quiet
  rm -rf "$STATE/chroma" "$STATE/chroma.port"
  mkdir -p "$STATE/chroma"
  local port try t0=$SECONDS pid deadline
  for try in 1 2 3; do
    port="$(free_port)"
    # setsid + nohup: its own session, so it outlives this script and the caller's job control
    ANONYMIZED_TELEMETRY=False setsid nohup "$CHROMA_BIN" run --path "$STATE/chroma" --host 127.0.0.1 \
      --port "$port" </dev/null >>"$STATE/chroma.log" 2>&1 &
    pid=$!
    echo "$pid" >"$STATE/chroma.pid"
    STARTED_CHROMA=1
    deadline=$((SECONDS + START_TIMEOUT))
    while [ $SECONDS -lt $deadline ]; do
      chroma_heartbeat "$port" && break
      kill -0 "$pid" 2>/dev/null || { log "$CHROMA_BIN run exited"; break; }
      sleep 0.3
    done
    if chroma_heartbeat "$port"; then break; fi
    log "Chroma did not answer on port $port (try $try)"
    stop_chroma quiet
    port=""
  done
  [ -n "$port" ] || die "Chroma server ($CHROMA_BIN run) did not answer its heartbeat on 127.0.0.1" "$STATE/chroma.log"
  echo "$port" >"$STATE/chroma.port"
  log "Chroma up on 127.0.0.1:$port, pid $pid, CLI $("$CHROMA_BIN" --version 2>/dev/null | head -1) ($((SECONDS - t0)) s)"
}

stop_chroma() {
  alive "$STATE/chroma.pid" || { rm -f "$STATE/chroma.pid"; return 0; }
  local pid _
  pid="$(cat "$STATE/chroma.pid")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$STATE/chroma.pid"
  [ "${1:-}" = quiet ] || log "Chroma stopped (pid $pid)"
}

# ------------------------------------------------------------------------------------------ commands
print_env() {
  [ -f "$STATE/pg.url" ] && [ -f "$STATE/chroma.port" ] || return 1
  printf 'export MISHU_TEST_PG_URL=%q\n' "$(cat "$STATE/pg.url")"
  printf 'export MISHU_TEST_CHROMA_HOST=127.0.0.1\n'
  printf 'export MISHU_TEST_CHROMA_PORT=%q\n' "$(cat "$STATE/chroma.port")"
  printf 'export MISHU_CI_SERVICES_DIR=%q\n' "$STATE"
}

cmd="${1:-start}"
case "$cmd" in
  start)
    mkdir -p "$STATE"
    t_all=$SECONDS
    log "start (state and logs in $STATE)"
    start_pg
    start_chroma
    log "services ready in $((SECONDS - t_all)) s"
    print_env
    ;;
  env)
    print_env || { echo "ci_services: not running (no $STATE/pg.url or chroma.port)" >&2; exit 1; }
    ;;
  status)
    rc=0
    if [ -f "$STATE/pg.port" ] && PG_BINDIR="$(find_pg_bindir)" && pg_running; then
      echo "postgresql: up on 127.0.0.1:$(cat "$STATE/pg.port")"
    else echo "postgresql: down"; rc=1; fi
    if chroma_running; then echo "chroma: up on 127.0.0.1:$(cat "$STATE/chroma.port") (pid $(cat "$STATE/chroma.pid"))"
    else echo "chroma: down"; rc=1; fi
    exit $rc
    ;;
  stop)
    [ -d "$STATE" ] || { echo "ci_services: nothing to stop ($STATE absent)" >&2; exit 0; }
    stop_chroma
    stop_pg
    rm -rf "$STATE/pg" "$STATE/chroma" "$STATE"/*.port "$STATE"/*.pid "$STATE/pg.url"
    log "stopped; data removed, logs kept in $STATE"
    ;;
  *)
    echo "usage: . scripts/ci_services.sh | bash scripts/ci_services.sh [start|env|status|stop]" >&2
    exit 2
    ;;
esac
