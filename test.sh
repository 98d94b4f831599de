#!/usr/bin/env bash
# Runs every SyncEngine test: installs and starts the throwaway servers the
# integration tests need, runs `dotnet test`, then stops and removes them.
#
#   ./test.sh                       # everything
#   ./test.sh --long                # the reliability suite at full strength (25 kills per crash loop)
#   ./test.sh --filter Category=X   # extra arguments go to `dotnet test`
#
# Environment (all optional):
#   SYNCENGINE_TEST_PG_PORT   port for the throwaway PostgreSQL (default: 25432,
#                             or the next free port above it; below the ephemeral
#                             ports 32768-60999, which a client connection may hold)
#   SYNCENGINE_TEST_PG_USER   OS user that runs PostgreSQL when test.sh runs as
#                             root (default: postgres, else syncengine-test)
#   SYNCENGINE_TEST_PG_BIN    PostgreSQL bin dir (default: newest /usr/lib/postgresql/*/bin)
#   SYNCENGINE_TEST_POSTGRES  if already set, that server is used and none is started
#   SYNCENGINE_TEST_FTP_PORT  FTP/FTPS port of the throwaway vsftpd (default: first
#                             free in 21021-21099; passive ports: 20 free in 21100-21299)
#   SYNCENGINE_TEST_SFTP_PORT SSH port of the throwaway sshd (default: first free in 22022-22099)
#   KEEP_TEST_TMP=1           keep the throwaway dir (data dirs, server logs) for debugging
#   SYNCENGINE_TEST_SEED      replay a randomised reliability test with the seed it printed
#
# vsftpd and sshd need root (they log in as the test users syncengine-ftp and
# syncengine-sftp, which test.sh creates once and keeps); as another user
# test.sh stops with exit code 2.
#
# Exported to the tests:
#   SYNCENGINE_TEST_POSTGRES  Npgsql connection string of the throwaway server
#   SYNCENGINE_TEST_PG_BIN, SYNCENGINE_TEST_PG_USER  its bin dir and OS user, for tests that run a
#                             PostgreSQL server of their own (to stop it mid-run)
#   SYNCENGINE_TEST_FTP       ftp://syncengine-ftp:PASSWORD@127.0.0.1:PORT/ (passive mode;
#                             "/" is the user's home, chrooted)
#   SYNCENGINE_TEST_FTPS      ftps://... same server, user and port: explicit TLS (AUTH TLS)
#   SYNCENGINE_TEST_FTP_ROOT  that home on disk (with inbox/ and outbox/)
#   SYNCENGINE_TEST_FTP_CERT  the server's self-signed certificate (PEM, CN and SAN 127.0.0.1)
#   SYNCENGINE_TEST_FTP_CERT_SHA256  its SHA-256 fingerprint, uppercase hex without colons
#   SYNCENGINE_TEST_SFTP      sftp://syncengine-sftp@127.0.0.1:PORT/ (key login only; no
#                             chroot: the session starts in the home, absolute paths are real)
#   SYNCENGINE_TEST_SFTP_KEY  client private key, ed25519, OpenSSH format, no passphrase
#   SYNCENGINE_TEST_SFTP_KEY_RSA     client private key, RSA 3072, PEM (BEGIN RSA PRIVATE KEY)
#   SYNCENGINE_TEST_SFTP_ROOT the SFTP user's home on disk (with inbox/ and outbox/); it is
#                             also its remote path
#   SYNCENGINE_TEST_SFTP_HOSTKEY_SHA256  host key fingerprint as OpenSSH prints it (SHA256:...)
#
# Adding a server: write <name>_packages (prints the Debian packages still
# missing), <name>_start and <name>_stop, and add <name> to SERVERS.
# Servers' functions are called by name ("${server}_start") and from traps:
# shellcheck disable=SC2317
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

# vsftpd and sshd first: they are quick, and they are the ones that stop a
# run that is not root, before PostgreSQL has been set up for nothing.
SERVERS=(vsftpd sshd postgres)

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

# Is process $1 still running? kill -0 is not enough: a server that died is
# our child and stays a zombie until reaped, and kill -0 succeeds on zombies.
pid_running() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) } # the process name in (...) may contain spaces
    [[ ${stat:0:1} != Z ]]
}

# pick_port LABEL FIRST LAST [FIXED]: sets PICKED_PORT to FIXED, which must be
# free, or to the first free port in FIRST..LAST.
PICKED_PORT=""
pick_port() {
    local label=$1 first=$2 last=$3 fixed=${4:-} port
    if [[ -n $fixed ]]; then
        port_in_use "$fixed" && die "port $fixed ($label) is already in use on 127.0.0.1"
        PICKED_PORT=$fixed
        return 0
    fi
    for ((port = first; port <= last; port++)); do
        if ! port_in_use "$port"; then
            PICKED_PORT=$port
            return 0
        fi
    done
    die "no free port in $first-$last on 127.0.0.1 for $label"
}

# Prints the first line a server on 127.0.0.1:$1 sends, without the CR, after
# at most 5 s; then sends $2 (if given) and hangs up. Runs in a subshell so the
# descriptor never leaks into the servers or the tests.
read_banner() (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    IFS= read -r -t 5 line <&3 || true
    [[ -n ${2:-} ]] && printf '%s\r\n' "$2" >&3
    printf '%s\n' "${line%$'\r'}"
)

# wait_for_banner LABEL PID PORT PREFIX LOGFILE [BYE]: waits (at most 15 s)
# until PID listens on 127.0.0.1:PORT, then checks that the first line it sends
# starts with PREFIX. Fails early, with the server's log, if PID dies.
wait_for_banner() {
    local label=$1 pid=$2 port=$3 prefix=$4 logfile=$5 bye=${6:-} i line
    for ((i = 0; i < 150; i++)); do
        if ! pid_running "$pid"; then
            warn "$label log ($logfile):"
            cat "$logfile" >&2 2>/dev/null || true
            die "$label exited during start-up (log above)"
        fi
        port_in_use "$port" && break
        sleep 0.1
    done
    ((i < 150)) || die "$label did not listen on 127.0.0.1:$port within 15 s (log: $logfile)"
    line=$(read_banner "$port" "$bye") || true
    [[ $line == "$prefix"* ]] ||
        die "$label on 127.0.0.1:$port sent '${line}' instead of a '$prefix' greeting (log: $logfile)"
    # Someone else may have grabbed the port between pick_port and the bind.
    pid_running "$pid" || die "$label exited during start-up; is 127.0.0.1:$port taken? (log: $logfile)"
}

# stop_daemon LABEL PID: SIGTERM, at most 10 s, then SIGKILL. The listener's
# children (one per open connection) are signalled too: a session that
# outlives its listener would keep the test user's files busy.
stop_daemon() {
    local label=$1 pid=$2 children i
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    children=$(cat /proc/"$pid"/task/*/children 2>/dev/null || true)
    # shellcheck disable=SC2086 # a list of pids
    kill -TERM "$pid" $children 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        pid_running "$pid" || break
        sleep 0.1
    done
    if pid_running "$pid"; then
        warn "$label (pid $pid) did not stop within 10 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true # reap it (it is our child)
}

# ensure_user NAME HOME: creates the OS account the FTP/SFTP server logs in as.
# The account stays between runs, like the postgres one; its home moves to this
# run's throwaway dir. /bin/sh because /etc/pam.d/vsftpd requires a shell listed
# in /etc/shells (pam_shells); sshd only lets the SFTP user run internal-sftp.
ensure_user() {
    local user=$1 home=$2
    if id "$user" >/dev/null 2>&1; then
        usermod --home "$home" "$user" || die "could not set the home of user $user to $home"
    else
        log "creating user $user"
        useradd --system --user-group --no-create-home --home-dir "$home" --shell /bin/sh "$user" ||
            die "could not create user $user"
    fi
    install -d -o "$user" -g "$(id -gn "$user")" -m 755 "$home" "$home/inbox" "$home/outbox"
    # The servers enter the home as the user, so every directory above it must let them pass.
    runuser -u "$user" -- test -w "$home/inbox" ||
        die "user $user cannot reach $home; point TMPDIR at a directory it can reach (or unset it)"
}

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
    # pgloader: the benchmark's smoke test loads a file with it, as the baseline users would pick.
    command -v pgloader >/dev/null 2>&1 || echo pgloader
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
    for port in $(seq 25432 25531); do
        if ! port_in_use "$port"; then
            PG_PORT=$port
            return 0
        fi
    done
    die "no free port in 25432-25531 on 127.0.0.1; set SYNCENGINE_TEST_PG_PORT"
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
    # For tests that start (and stop) a PostgreSQL server of their own.
    export SYNCENGINE_TEST_PG_BIN="$PG_BIN" SYNCENGINE_TEST_PG_USER="$PG_USER"
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

# ---------------------------------------------------------------- vsftpd (FTP and FTPS)
#
# One vsftpd serves both plain FTP and explicit FTPS (AUTH TLS) on the same
# port: ssl_enable=YES with force_local_logins_ssl=NO and force_local_data_ssl=NO
# leaves TLS to the client. Same user, same files and one port for both, so an
# FTP test and the matching FTPS test see the same server; a second instance
# would only add a port and a process. (What it cannot test: a server that
# refuses plain logins.)

FTP_USER=syncengine-ftp
FTP_DIR=""
FTP_PID=""

vsftpd_packages() {
    [[ -x /usr/sbin/vsftpd ]] || echo vsftpd
    command -v openssl >/dev/null 2>&1 || echo openssl
}

vsftpd_start() {
    # vsftpd forks a session per login that switches to the logged-in user
    # (PAM, chroot, setuid): that needs root, and so does creating the user.
    is_root || { warn "vsftpd needs root to switch to the FTP test user; run ./test.sh as root (CI does)"; exit 2; }
    [[ -f /etc/pam.d/vsftpd ]] || die "/etc/pam.d/vsftpd is missing; reinstall it: apt-get install --reinstall vsftpd"

    # Below the kernel's ephemeral range (32768-60999 by default), so that the
    # source port of some outgoing connection cannot hold a port vsftpd needs.
    pick_port "vsftpd (SYNCENGINE_TEST_FTP_PORT)" 21021 21099 "${SYNCENGINE_TEST_FTP_PORT:-}"
    local port=$PICKED_PORT
    # Passive data connections: a block of 20 free ports, enough for tests
    # that transfer in parallel (each transfer holds one for a moment).
    local pasv_min="" base p
    for ((base = 21100; base < 21300; base += 20)); do
        for ((p = base; p < base + 20; p++)); do
            port_in_use "$p" && continue 2
        done
        pasv_min=$base
        break
    done
    [[ -n $pasv_min ]] || die "no 20 free ports in a row in 21100-21299 on 127.0.0.1 for vsftpd's passive mode"
    local pasv_max=$((pasv_min + 19))

    FTP_DIR="$TEST_TMP/vsftpd"
    local home="$FTP_DIR/home" conf="$FTP_DIR/vsftpd.conf"
    # Root-owned and empty: vsftpd chroots its unprivileged helper there.
    mkdir -p "$FTP_DIR/empty"
    ensure_user "$FTP_USER" "$home"
    # From here on the EXIT trap must clean up: the password below, and the
    # server once it runs.
    STARTED_SERVERS+=(vsftpd)
    local password
    password=$(random_password) # hex only, so the URL needs no escaping
    printf '%s:%s\n' "$FTP_USER" "$password" | chpasswd || die "could not set the password of user $FTP_USER"

    # Self-signed, for 127.0.0.1 (CN and SAN), so that a client can check the
    # name as well as pin the fingerprint.
    openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$FTP_DIR/key.pem" -out "$FTP_DIR/cert.pem" >"$FTP_DIR/openssl.log" 2>&1 ||
        { cat "$FTP_DIR/openssl.log" >&2; die "openssl could not make the FTPS certificate"; }
    chmod 600 "$FTP_DIR/key.pem"
    local fingerprint
    fingerprint=$(openssl x509 -in "$FTP_DIR/cert.pem" -noout -fingerprint -sha256) ||
        die "openssl could not read the FTPS certificate's fingerprint"
    fingerprint=${fingerprint#*=} # "sha256 Fingerprint=AB:CD:..."
    fingerprint=${fingerprint//:/}
    fingerprint=${fingerprint^^}

    # vsftpd.conf(5). Notes:
    #  - ssl_tlsv1_2 does not exist in Debian's vsftpd 3.0.3 (it would refuse to
    #    start); TLS 1.2 and 1.3 are on anyway, ssl_tlsv1=NO only turns off 1.0.
    #  - require_ssl_reuse=NO: .NET's SslStream (and curl with TLS 1.3) do not
    #    resume the control connection's TLS session on data connections.
    #  - strict_ssl_read_eof=YES is vsftpd's real default (vsftpd.conf(5) says
    #    NO), stated so nobody "fixes" it: as on a stock vsftpd, an FTPS upload
    #    must end with a TLS close_notify (SslStream.ShutdownAsync) before the
    #    data socket closes, or the server answers 426 and logs FAIL UPLOAD.
    #  - seccomp_sandbox=NO: with it, Debian 12's vsftpd answers "500 OOPS"
    #    to uploads and to AUTH TLS (the sandbox forbids a syscall it makes).
    #  - local_umask=022: vsftpd's default 077 makes uploads mode 600.
    cat >"$conf" <<CONF
# Written by test.sh for one test run.
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$port
background=NO
ftpd_banner=SyncEngine test FTP server
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
chroot_local_user=YES
allow_writeable_chroot=YES
secure_chroot_dir=$FTP_DIR/empty
pam_service_name=vsftpd
connect_from_port_20=NO
pasv_enable=YES
pasv_address=127.0.0.1
pasv_min_port=$pasv_min
pasv_max_port=$pasv_max
delay_failed_login=0
seccomp_sandbox=NO
utf8_filesystem=YES
ssl_enable=YES
allow_anon_ssl=NO
force_local_logins_ssl=NO
force_local_data_ssl=NO
rsa_cert_file=$FTP_DIR/cert.pem
rsa_private_key_file=$FTP_DIR/key.pem
ssl_sslv2=NO
ssl_sslv3=NO
ssl_tlsv1=NO
require_ssl_reuse=NO
strict_ssl_read_eof=YES
ssl_ciphers=HIGH
xferlog_enable=YES
log_ftp_protocol=YES
vsftpd_log_file=$FTP_DIR/vsftpd.log
CONF

    log "vsftpd: starting on 127.0.0.1:$port (passive ports $pasv_min-$pasv_max, user $FTP_USER)"
    # vsftpd reports start-up errors ("500 OOPS: ...") on fd 0, where an FTP
    # client would be in inetd mode, so fd 0 is the log file too.
    : >"$FTP_DIR/console.log"
    /usr/sbin/vsftpd "$conf" 0<>"$FTP_DIR/console.log" >&0 2>&0 &
    FTP_PID=$!
    wait_for_banner vsftpd "$FTP_PID" "$port" 220 "$FTP_DIR/console.log" QUIT

    export SYNCENGINE_TEST_FTP="ftp://$FTP_USER:$password@127.0.0.1:$port/"
    # Same server and port: "ftps" here means explicit TLS (AUTH TLS on the
    # FTP port, then PBSZ 0 / PROT P), not implicit TLS on a port of its own.
    export SYNCENGINE_TEST_FTPS="ftps://$FTP_USER:$password@127.0.0.1:$port/"
    export SYNCENGINE_TEST_FTP_ROOT=$home
    export SYNCENGINE_TEST_FTP_CERT="$FTP_DIR/cert.pem"
    export SYNCENGINE_TEST_FTP_CERT_SHA256=$fingerprint
    log "vsftpd: ready on 127.0.0.1:$port (FTP and explicit FTPS), root $home"
}

vsftpd_stop() {
    if [[ -n $FTP_PID ]]; then
        log "vsftpd: stopping"
        stop_daemon vsftpd "$FTP_PID"
        FTP_PID=""
    fi
    # The account stays; its password must not outlive the run.
    usermod --password '*' "$FTP_USER" 2>/dev/null || true
}

# ---------------------------------------------------------------- sshd (SFTP)
#
# A private sshd (not the system's, which may not even run) with its own
# config, host key and authorized_keys, that only serves SFTP to one user.

SFTP_USER=syncengine-sftp
SFTP_DIR=""
SFTP_PID=""

sshd_packages() {
    [[ -x /usr/sbin/sshd ]] || echo openssh-server
    command -v ssh-keygen >/dev/null 2>&1 || echo openssh-client
}

sshd_start() {
    is_root || { warn "sshd needs root to switch to the SFTP test user; run ./test.sh as root (CI does)"; exit 2; }

    pick_port "sshd (SYNCENGINE_TEST_SFTP_PORT)" 22022 22099 "${SYNCENGINE_TEST_SFTP_PORT:-}"
    local port=$PICKED_PORT

    SFTP_DIR="$TEST_TMP/sshd"
    local home="$SFTP_DIR/home" conf="$SFTP_DIR/sshd_config" keys="$SFTP_DIR/client"
    mkdir -p "$SFTP_DIR"
    install -d -m 700 "$keys"
    ensure_user "$SFTP_USER" "$home"
    # useradd leaves the password "!" (locked), and with UsePAM no sshd refuses
    # locked accounts even for key logins; "*" = no password, not locked.
    usermod --password '*' "$SFTP_USER" || die "could not unlock user $SFTP_USER"

    ssh-keygen -q -t ed25519 -N '' -C syncengine-test-host -f "$SFTP_DIR/ssh_host_ed25519_key" ||
        die "ssh-keygen could not make the sshd host key"
    # Client keys: ed25519 in OpenSSH format, and RSA in PEM ("BEGIN RSA
    # PRIVATE KEY") for clients that cannot read that format.
    ssh-keygen -q -t ed25519 -N '' -C syncengine-test -f "$keys/id_ed25519" ||
        die "ssh-keygen could not make the SFTP client key"
    ssh-keygen -q -t rsa -b 3072 -m PEM -N '' -C syncengine-test -f "$keys/id_rsa" ||
        die "ssh-keygen could not make the SFTP client RSA key"
    # sshd reads authorized_keys as the logged-in user.
    cat "$keys/id_ed25519.pub" "$keys/id_rsa.pub" >"$SFTP_DIR/authorized_keys"
    chmod 644 "$SFTP_DIR/authorized_keys"
    local fingerprint
    fingerprint=$(ssh-keygen -l -E sha256 -f "$SFTP_DIR/ssh_host_ed25519_key.pub") ||
        die "ssh-keygen could not read the host key's fingerprint"
    fingerprint=$(awk '{ print $2 }' <<<"$fingerprint") # "256 SHA256:... comment (ED25519)"

    # sshd_config(5). StrictModes no: the throwaway dir's owners and modes are
    # not what sshd wants for a home. ForceCommand: SFTP only, no shell.
    # MaxStartups: tests may open many connections at once (default 10).
    cat >"$conf" <<CONF
# Written by test.sh for one test run.
Port $port
ListenAddress 127.0.0.1
AddressFamily inet
HostKey $SFTP_DIR/ssh_host_ed25519_key
PidFile $SFTP_DIR/sshd.pid
AuthorizedKeysFile $SFTP_DIR/authorized_keys
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers $SFTP_USER
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
PermitTTY no
PrintMotd no
MaxStartups 100
Subsystem sftp internal-sftp
ForceCommand internal-sftp
LogLevel VERBOSE
CONF

    # The privilege separation dir; normally made by the system sshd's unit.
    mkdir -p /run/sshd
    chmod 755 /run/sshd
    /usr/sbin/sshd -t -f "$conf" 2>"$SFTP_DIR/sshd.log" ||
        { cat "$SFTP_DIR/sshd.log" >&2; die "sshd rejected $conf (above)"; }

    # From here on the EXIT trap must stop the server, even if it never became ready.
    STARTED_SERVERS+=(sshd)
    log "sshd: starting on 127.0.0.1:$port (SFTP only, user $SFTP_USER)"
    # Absolute path: sshd re-executes itself for every connection.
    /usr/sbin/sshd -f "$conf" -D -e </dev/null >>"$SFTP_DIR/sshd.log" 2>&1 &
    SFTP_PID=$!
    wait_for_banner sshd "$SFTP_PID" "$port" SSH-2.0- "$SFTP_DIR/sshd.log"

    export SYNCENGINE_TEST_SFTP="sftp://$SFTP_USER@127.0.0.1:$port/"
    export SYNCENGINE_TEST_SFTP_KEY="$keys/id_ed25519"
    export SYNCENGINE_TEST_SFTP_KEY_RSA="$keys/id_rsa"
    export SYNCENGINE_TEST_SFTP_ROOT=$home
    export SYNCENGINE_TEST_SFTP_HOSTKEY_SHA256=$fingerprint
    log "sshd: ready on 127.0.0.1:$port, root $home"
}

sshd_stop() {
    [[ -n $SFTP_PID ]] || return 0
    log "sshd: stopping"
    stop_daemon sshd "$SFTP_PID"
    SFTP_PID=""
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

# Repeats each failed test's name and the start of its message at the end of
# the output, where a reader of a long log (or of its tail) looks first.
list_failures() {
    local logfile=$1
    grep -qE '^\s*Failed [A-Za-z_]' "$logfile" || return 0
    log "failed tests:"
    awk '
        /^[[:space:]]*Failed [A-Za-z_]/ { print; shown = 0; grab = 1; next }
        grab && /^[[:space:]]*(Passed|Skipped|Failed|Stack Trace:|Standard Output Messages:)/ { grab = 0 }
        grab && shown < 12 { print; shown++ }' "$logfile"
}

main() {
    local args=() arg
    for arg in "$@"; do
        if [[ $arg == --long ]]; then export SYNCENGINE_TEST_LONG=1; else args+=("$arg"); fi
    done
    set -- "${args[@]+"${args[@]}"}"

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
    list_failures "$TEST_TMP/dotnet-test.log"
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
