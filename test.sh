#!/usr/bin/env bash
# Runs every SyncEngine test: installs and starts the throwaway servers the
# integration tests need, runs `dotnet test`, then stops and removes them.
#
#   ./test.sh                       # everything
#   ./test.sh --filter Category=X   # extra arguments go to `dotnet test`
#
# Environment (all optional):
#   SYNCENGINE_TEST_PG_PORT   port for the throwaway PostgreSQL (default: 55432,
#                             or the next free port above it)
#   SYNCENGINE_TEST_PG_USER   OS user that runs PostgreSQL when test.sh runs as
#                             root (default: postgres, else syncengine-test)
#   SYNCENGINE_TEST_PG_BIN    PostgreSQL bin dir (default: newest /usr/lib/postgresql/*/bin)
#   SYNCENGINE_TEST_POSTGRES  if already set, that server is used and none is started
#   KEEP_TEST_TMP=1           keep the throwaway dir (data dirs, server logs) for debugging
#
# Exported to the tests:
#   SYNCENGINE_TEST_POSTGRES  Npgsql connection string of the throwaway server
#
# Adding a server: write <name>_packages (prints the Debian packages still
# missing), <name>_start and <name>_stop, and add <name> to SERVERS.
# Servers' functions are called by name ("${server}_start") and from traps:
# shellcheck disable=SC2317
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

SERVERS=(postgres)

STARTED_SERVERS=()
TEST_TMP=""
SUMMARY=""
TESTS_STARTED=0
SECONDS=0

log() { printf '==> %s\n' "$*"; }
warn() { printf 'test.sh: %s\n' "$*" >&2; }
die() { warn "$*"; exit 1; }

is_root() { [[ ${EUID} -eq 0 ]]; }

# Is something already listening on 127.0.0.1:$1? (bash's /dev/tcp, so no ss/netstat needed)
port_in_use() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

random_password() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }

# ---------------------------------------------------------------- PostgreSQL

PG_BIN=""
PG_USER=""
PG_PORT=""
PG_PASSWORD=""
PG_DIR=""

find_pg_bin() {
    if [[ -n ${SYNCENGINE_TEST_PG_BIN:-} ]]; then
        PG_BIN=$SYNCENGINE_TEST_PG_BIN
        return
    fi
    # Debian keeps the server binaries (initdb, postgres, pg_ctl) off PATH.
    local dir
    dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n $dir && -x $dir/initdb ]]; then
        PG_BIN=$dir
    elif command -v initdb >/dev/null 2>&1; then
        PG_BIN=$(dirname "$(command -v initdb)")
    else
        PG_BIN=""
    fi
}

postgres_packages() {
    [[ -n ${SYNCENGINE_TEST_POSTGRES:-} ]] && return 0
    find_pg_bin
    if [[ -z $PG_BIN || ! -x $PG_BIN/initdb || ! -x $PG_BIN/pg_ctl ]]; then
        echo postgresql
    fi
}

# Runs a PostgreSQL tool as $PG_USER. The server refuses to run as root, and
# runuser is used from inside the throwaway dir so that the tools can read
# their working directory.
as_pg() {
    if is_root; then
        (cd "$PG_DIR" && runuser -u "$PG_USER" -- "$@")
    else
        "$@"
    fi
}

pick_pg_port() {
    if [[ -n ${SYNCENGINE_TEST_PG_PORT:-} ]]; then
        PG_PORT=$SYNCENGINE_TEST_PG_PORT
        port_in_use "$PG_PORT" && die "port $PG_PORT (SYNCENGINE_TEST_PG_PORT) is already in use on 127.0.0.1"
        return 0
    fi
    local port
    for port in $(seq 55432 55531); do
        if ! port_in_use "$port"; then
            PG_PORT=$port
            return 0
        fi
    done
    die "no free port in 55432-55531 on 127.0.0.1; set SYNCENGINE_TEST_PG_PORT"
}

postgres_start() {
    if [[ -n ${SYNCENGINE_TEST_POSTGRES:-} ]]; then
        log "PostgreSQL: using SYNCENGINE_TEST_POSTGRES from the environment"
        return 0
    fi
    find_pg_bin
    pick_pg_port

    if is_root; then
        PG_USER=${SYNCENGINE_TEST_PG_USER:-}
        if [[ -z $PG_USER ]]; then
            if id postgres >/dev/null 2>&1; then PG_USER=postgres; else PG_USER=syncengine-test; fi
        fi
        if ! id "$PG_USER" >/dev/null 2>&1; then
            log "creating system user $PG_USER"
            useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER"
        fi
    else
        PG_USER=$(id -un)
    fi

    PG_DIR="$TEST_TMP/postgres"
    mkdir -p "$PG_DIR"
    PG_PASSWORD=$(random_password)
    (umask 077 && printf '%s\n' "$PG_PASSWORD" >"$PG_DIR/pwfile")
    if is_root; then
        chown -R "$PG_USER" "$PG_DIR"
        runuser -u "$PG_USER" -- test -w "$PG_DIR" ||
            die "user $PG_USER cannot write to $PG_DIR; point TMPDIR at a directory it can reach (or unset it)"
    fi

    log "PostgreSQL: initdb ($PG_BIN, user $PG_USER, port $PG_PORT)"
    # C.UTF-8 always exists on Debian; the caller's LANG may name a locale that was never generated.
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A scram-sha-256 --pwfile="$PG_DIR/pwfile" \
        -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 ||
        { cat "$PG_DIR/initdb.log" >&2; die "PostgreSQL initdb failed"; }
    rm -f "$PG_DIR/pwfile"

    # Throwaway cluster: durability settings off for speed.
    cat >>"$PG_DIR/data/postgresql.conf" <<EOF

# added by test.sh
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

    # From here on the EXIT trap must stop the server, even if it never became ready.
    STARTED_SERVERS+=(postgres)
    # pg_ctl -w notices a postmaster that dies at start-up; pg_isready then
    # confirms that the server answers on TCP, where the tests connect.
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 start >/dev/null; then
        warn "PostgreSQL server log:"
        cat "$PG_DIR/server.log" >&2 2>/dev/null || true
        die "PostgreSQL did not start on 127.0.0.1:$PG_PORT within 30 s (log above)"
    fi
    local i
    for ((i = 0; i < 60; i++)); do
        "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break
        sleep 0.5
    done
    ((i < 60)) || die "PostgreSQL started but pg_isready got no answer on 127.0.0.1:$PG_PORT within 30 s"

    PGPASSWORD=$PG_PASSWORD "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres syncengine_test ||
        die "could not create database syncengine_test"

    export SYNCENGINE_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Password=$PG_PASSWORD;Database=syncengine_test;Pooling=true"
    log "PostgreSQL: ready on 127.0.0.1:$PG_PORT, database syncengine_test"
}

postgres_stop() {
    [[ -n $PG_DIR && -f $PG_DIR/data/postmaster.pid ]] || return 0
    log "PostgreSQL: stopping"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 20 stop >/dev/null 2>&1 && return 0
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 10 stop >/dev/null 2>&1 && return 0
    # Last resort: the first line of postmaster.pid is the postmaster's pid.
    local pid
    pid=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ ]]; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

# ---------------------------------------------------------------- plumbing

install_missing_packages() {
    local server missing=()
    for server in "${SERVERS[@]}"; do
        # shellcheck disable=SC2207 # package names have no spaces
        missing+=($("${server}_packages"))
    done
    ((${#missing[@]} == 0)) && return 0

    if ! is_root; then
        warn "missing Debian packages: ${missing[*]}"
        warn "install them with:  sudo apt-get install -y --no-install-recommends ${missing[*]}"
        exit 2
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        warn "missing packages (Debian names): ${missing[*]}; no apt-get here, install them by hand"
        exit 2
    fi
    log "installing Debian packages: ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

cleanup() {
    local rc=$?
    set +e
    trap - INT TERM HUP
    local i
    for ((i = ${#STARTED_SERVERS[@]} - 1; i >= 0; i--)); do
        "${STARTED_SERVERS[i]}_stop"
    done
    if [[ -n $TEST_TMP && -d $TEST_TMP ]]; then
        if [[ ${KEEP_TEST_TMP:-} == 1 ]]; then
            log "kept $TEST_TMP"
        else
            rm -rf "$TEST_TMP"
        fi
    fi
    if [[ -z $SUMMARY ]]; then
        if [[ $TESTS_STARTED == 1 ]]; then
            SUMMARY="test.sh: FAILED, stopped while the tests ran (exit code $rc)"
        else
            SUMMARY="test.sh: FAILED before the tests ran (exit code $rc)"
        fi
    fi
    printf '%s\n' "$SUMMARY"
    exit "$rc"
}

# Totals over the per-assembly lines of `dotnet test`. VSTest prints
#   Passed!  - Failed:     0, Passed:    12, Skipped:     0, Total:    12, ...
# Microsoft.Testing.Platform prints "failed: N", "succeeded: N", "skipped: N"
# lines under "Test run summary".
summarize_results() {
    local logfile=$1
    if grep -qE '^\s*Total tests:' "$logfile"; then
        # VSTest at normal verbosity, per test assembly:
        #   Total tests: 30 / Passed: 30 / Failed: 0 / Skipped: 0 (one per line)
        awk '
            /^[[:space:]]*Total tests:/ { inblock = 1; next }
            inblock && /^[[:space:]]*Passed:/  { p += $2; next }
            inblock && /^[[:space:]]*Failed:/  { f += $2; next }
            inblock && /^[[:space:]]*Skipped:/ { s += $2; next }
            inblock && /^[[:space:]]*Total time:/ { inblock = 0 }
            END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$logfile"
    elif grep -qE '^\s*(Passed|Failed)!\s+- Failed:' "$logfile"; then
        # VSTest at minimal verbosity: "Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ..."
        grep -E '^\s*(Passed|Failed)!\s+- Failed:' "$logfile" | awk '
            { line = $0; gsub(/[^A-Za-z0-9:]+/, " ", line); n = split(line, w, " ")
              for (i = 1; i < n; i++) {
                  if (w[i] == "Failed:") f += w[i + 1]
                  if (w[i] == "Passed:") p += w[i + 1]
                  if (w[i] == "Skipped:") s += w[i + 1] } }
            END { printf "%d passed, %d failed, %d skipped\n", p, f, s }'
    fi
}

main() {
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP

    command -v dotnet >/dev/null 2>&1 ||
        { warn "dotnet (the .NET 10 SDK) is not on PATH; install it first"; exit 2; }

    install_missing_packages

    TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/syncengine-test.XXXXXX")
    chmod 755 "$TEST_TMP" # the server users must be able to enter it

    local server
    for server in "${SERVERS[@]}"; do
        "${server}_start"
    done

    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

    log "dotnet test $*"
    local rc
    TESTS_STARTED=1
    set +e
    dotnet test SyncEngine.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$TEST_TMP/dotnet-test.log"
    rc=${PIPESTATUS[0]}
    set -e

    local counts status=PASSED
    counts=$(summarize_results "$TEST_TMP/dotnet-test.log")
    ((rc == 0)) || status=FAILED
    if [[ -n $counts ]]; then
        SUMMARY="$status: $counts"
    else
        SUMMARY="$status: no test results found in the output"
    fi
    log "dotnet test exited with code $rc (${SECONDS}s since test.sh started)"
    exit "$rc"
}

main "$@"
