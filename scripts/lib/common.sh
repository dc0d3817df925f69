# Shared set-up for Vigil's scripts. Source it; it defines functions and changes nothing by itself.
#
# Without VIGIL_DATABASE_URL or PGHOST, Vigil runs on a private PostgreSQL cluster under .vigil/ in the
# project folder: a Unix socket there, no TCP port. PostgreSQL will not run as root, so when these
# scripts run as root the server runs as the unprivileged `postgres` system user.

VIGIL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export VIGIL_SCHEMA_DIR="$VIGIL_ROOT/schema"
export VIGIL_SEEDS_DIR="$VIGIL_ROOT/seeds"

vigil_say() { printf 'vigil: %s\n' "$*" >&2; }
vigil_die() { printf 'vigil: %s\n' "$*" >&2; exit 1; }

# Installs what is missing, with one `apt-get update` first: libpq-dev, the PostgreSQL server, tzdata,
# and any COMMAND=PACKAGE or /FILE=PACKAGE given (scripts/test: chromium=chromium; scripts/bench: wrk=wrk).
vigil_ensure_packages() {
    local need=() extra
    for extra in "$@"; do
        case "$extra" in
            /*) [ -e "${extra%%=*}" ] || need+=("${extra#*=}") ;;  # FILE=PACKAGE: a file the package installs
            *) command -v "${extra%%=*}" >/dev/null 2>&1 || need+=("${extra#*=}") ;;
        esac
    done
    command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
    if ! pkg-config --exists libpq 2>/dev/null; then need+=(libpq-dev); fi
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
    command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
    [ -e /usr/share/zoneinfo/America/New_York ] || need+=(tzdata)
    command -v runuser >/dev/null 2>&1 || need+=(util-linux)
    # The second verifier of an export (scripts/audit-verify.py) and its test.
    command -v python3 >/dev/null 2>&1 || need+=(python3)
    command -v openssl >/dev/null 2>&1 || need+=(openssl)
    if [ ${#need[@]} -gt 0 ]; then
        [ "$(id -u)" = 0 ] || vigil_die "missing ${need[*]}: install them (apt-get install ${need[*]}) or run as root"
        vigil_say "installing ${need[*]} (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2 || vigil_die "apt-get update failed"
        apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 || vigil_die "apt-get install ${need[*]} failed"
    fi
    command -v swift >/dev/null 2>&1 || vigil_die "the Swift toolchain is not on PATH; install Swift 6 first"
    vigil_ensure_library
}

# Vigil's server library (schema/library/vigil_append.c: vigil.append in C, migration 0036), built with
# PostgreSQL's own build rules (PGXS) against the newest server installed here, which is the one the
# scripts run, and installed into its library folder when it is missing or was built from other
# sources (a digest of them is kept beside it). Installing needs root: the folder is root's, which is
# what keeps a database owner from replacing the code the log's writer runs.
vigil_ensure_library() {
    local bin pgconfig libdir want have build
    bin=$(vigil_pg_bin)
    pgconfig="$bin/pg_config"
    if [ ! -e "$($pgconfig --includedir-server 2>/dev/null)/postgres.h" ] || ! command -v make >/dev/null 2>&1 \
        || ! command -v gcc >/dev/null 2>&1; then
        local major
        major=$(basename "$(dirname "$bin")")
        [ "$(id -u)" = 0 ] || vigil_die "missing PostgreSQL's server headers: install them (apt-get install postgresql-server-dev-$major make gcc) or run as root"
        vigil_say "installing postgresql-server-dev-$major make gcc (apt-get), to build Vigil's server library"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq --no-install-recommends "postgresql-server-dev-$major" make gcc >&2 \
            || { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "postgresql-server-dev-$major" make gcc >&2; } \
            || vigil_die "apt-get install postgresql-server-dev-$major failed"
    fi
    libdir=$("$pgconfig" --pkglibdir)
    want=$(cat "$VIGIL_ROOT/schema/library/Makefile" "$VIGIL_ROOT/schema/library/vigil_append.c" "$pgconfig" | sha256sum | cut -d' ' -f1)
    have=$(cat "$libdir/vigil_append.sha256" 2>/dev/null || true)
    if [ "$want" = "$have" ] && [ -f "$libdir/vigil_append.so" ]; then return 0; fi
    [ -w "$libdir" ] || vigil_die "Vigil's server library must be installed into $libdir: run this once as root, or: sudo make -C schema/library install with_llvm=no"
    vigil_say "building Vigil's server library (vigil_append) into $libdir"
    build=$(mktemp -d)
    cp "$VIGIL_ROOT/schema/library/Makefile" "$VIGIL_ROOT/schema/library/vigil_append.c" "$build/"
    # with_llvm=no: no JIT bitcode, so no clang is needed; the server runs the library as compiled.
    if ! make -s -C "$build" PG_CONFIG="$pgconfig" with_llvm=no >"$build/make.log" 2>&1; then
        cat "$build/make.log" >&2
        rm -rf "$build"
        vigil_die "building Vigil's server library failed"
    fi
    # In by a rename, never by writing over the old file: a running server's backends have it mapped,
    # and keep the old one until they end.
    install -m 755 "$build/vigil_append.so" "$libdir/.vigil_append.so.new" \
        && mv -f "$libdir/.vigil_append.so.new" "$libdir/vigil_append.so" \
        || { rm -rf "$build"; vigil_die "installing Vigil's server library into $libdir failed"; }
    rm -rf "$build"
    printf '%s\n' "$want" >"$libdir/vigil_append.sha256"
}

# The server gets standard input, output and error only: a descriptor this script inherited (a test
# runner's pipe or socket) would otherwise stay open for the server's whole life, and whoever waits for
# it to close would wait as long.
vigil_close_descriptors() {
    local fd
    for fd in /proc/$BASHPID/fd/*; do
        fd=${fd##*/}
        if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
}

vigil_pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] || vigil_die "no PostgreSQL server found under /usr/lib/postgresql"
    printf '%s\n' "$dir"
}

# Runs a command as the user that owns the cluster: `postgres` when we are root, else ourselves.
# From /, since the owner may not be allowed into the working directory (every path given is absolute).
vigil_as_owner() {
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# Where the private cluster lives: .vigil/ in the project, unless the server's user cannot reach it
# (a parent folder shuts it out), in which case a private folder under the system temp folder.
vigil_cluster_home() {
    local home="$VIGIL_ROOT/.vigil"
    if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$VIGIL_ROOT" 2>/dev/null; then
        local tag
        tag=$(printf '%s' "$VIGIL_ROOT" | sha1sum | cut -c1-12)
        home="${TMPDIR:-/tmp}/vigil-$tag"
    fi
    printf '%s\n' "$home"
}

# VIGIL_CLUSTER names a second private cluster beside the default one (scripts/faults uses "faults").
vigil_cluster_paths() {
    VIGIL_HOME=$(vigil_cluster_home)
    VIGIL_CLUSTER_DIR="$VIGIL_HOME/${VIGIL_CLUSTER:-pg}"
    VIGIL_PGDATA="$VIGIL_CLUSTER_DIR/data"
    VIGIL_SOCKET="$VIGIL_CLUSTER_DIR/run"
    VIGIL_PGLOG="$VIGIL_CLUSTER_DIR/server.log"
}

vigil_cluster_running() {
    vigil_cluster_paths
    [ -f "$VIGIL_PGDATA/postmaster.pid" ] && vigil_as_owner "$(vigil_pg_bin)/pg_ctl" -D "$VIGIL_PGDATA" status >/dev/null 2>&1
}

# Creates the cluster on first use and starts it; a no-op when it is running.
vigil_cluster_start() {
    vigil_cluster_paths
    local bin
    bin=$(vigil_pg_bin)
    if vigil_cluster_running; then
        # A server package upgraded under a running server (installing the server's headers can do
        # that) leaves it unable to load the new libraries: restart it on the installed binaries.
        local running installed
        running=$(vigil_as_owner "$bin/psql" -h "$VIGIL_SOCKET" -p 5432 -U vigil -d postgres -Atc 'SHOW server_version' 2>/dev/null | cut -d' ' -f1)
        installed=$("$bin/postgres" -V | awk '{print $3}')
        if [ -n "$running" ] && [ "$running" != "$installed" ]; then
            vigil_say "restarting the private PostgreSQL server: it runs $running, and $installed is installed"
            (vigil_close_descriptors; vigil_as_owner "$bin/pg_ctl" -D "$VIGIL_PGDATA" -l "$VIGIL_PGLOG" -w -t 60 -m fast restart >/dev/null) \
                || vigil_die "the private PostgreSQL server did not restart; its log is $VIGIL_PGLOG"
        fi
        return 0
    fi
    if [ ! -f "$VIGIL_PGDATA/PG_VERSION" ]; then
        if [ "$VIGIL_HOME" != "$VIGIL_ROOT/.vigil" ]; then
            vigil_say "the postgres user cannot reach $VIGIL_ROOT, so the private cluster lives in $VIGIL_HOME"
        fi
        vigil_say "creating a private PostgreSQL cluster in $VIGIL_CLUSTER_DIR"
        mkdir -p "$VIGIL_PGDATA" "$VIGIL_SOCKET"
        chmod 700 "$VIGIL_HOME" "$VIGIL_CLUSTER_DIR" "$VIGIL_PGDATA" "$VIGIL_SOCKET"
        if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$VIGIL_CLUSTER_DIR"; chmod 755 "$VIGIL_HOME"; fi
        vigil_as_owner "$bin/initdb" -D "$VIGIL_PGDATA" -U vigil --auth=trust -E UTF8 --locale=C.UTF-8 \
            >"$VIGIL_HOME/initdb.log" 2>&1 || { cat "$VIGIL_HOME/initdb.log" >&2; vigil_die "initdb failed"; }
        # Only the owner (and root) may use the socket; no TCP at all.
        vigil_as_owner tee -a "$VIGIL_PGDATA/postgresql.conf" >/dev/null <<CONF

# Vigil's private cluster
listen_addresses = ''
unix_socket_directories = '$VIGIL_SOCKET'
unix_socket_permissions = 0700
max_connections = 120
shared_buffers = 256MB
log_min_messages = warning
idle_in_transaction_session_timeout = '60s'
CONF
    fi
    (vigil_close_descriptors; vigil_as_owner "$bin/pg_ctl" -D "$VIGIL_PGDATA" -l "$VIGIL_PGLOG" -w -t 60 start >/dev/null) \
        || { tail -n 20 "$VIGIL_PGLOG" >&2 2>/dev/null; vigil_die "the private PostgreSQL server did not start"; }
}

vigil_cluster_stop() {
    vigil_cluster_paths
    if vigil_cluster_running; then
        vigil_as_owner "$(vigil_pg_bin)/pg_ctl" -D "$VIGIL_PGDATA" -m fast -w stop >/dev/null
    fi
}

# Points libpq at the private cluster (socket, user vigil, database vigil) and creates the database.
vigil_use_private_cluster() {
    vigil_cluster_paths
    export PGHOST="$VIGIL_SOCKET" PGPORT=5432 PGUSER=vigil
    export PGDATABASE="${VIGIL_DATABASE:-vigil}"
    if ! psql -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$PGDATABASE'" | grep -q 1; then
        psql -d postgres -qc "CREATE DATABASE \"$PGDATABASE\"" >/dev/null
    fi
}

# True when the user pointed Vigil at a database of their own.
vigil_external_database() {
    [ -n "${VIGIL_DATABASE_URL:-}" ] || [ -n "${PGHOST:-}" ]
}

# Builds the CLI when a source is newer than the binary; prints the binary's path.
vigil_build() {
    local config=${1:-debug}
    local bin="$VIGIL_ROOT/.build/$config/vigil"
    if [ ! -x "$bin" ] || [ -n "$(find "$VIGIL_ROOT/Sources" "$VIGIL_ROOT/Package.swift" -newer "$bin" -print -quit)" ]; then
        local log
        log=$(mktemp)
        if ! (cd "$VIGIL_ROOT" && swift build -c "$config" --product vigil >"$log" 2>&1); then
            cat "$log" >&2
            rm -f "$log"
            vigil_die "the build failed"
        fi
        grep -q "Compiling" "$log" && vigil_say "built vigil ($config)"
        rm -f "$log"
        touch "$bin"  # a source outside this product may be newer: the binary is up to date now
    fi
    printf '%s\n' "$bin"
}

# The vault's master key (it never enters the database): VIGIL_MASTER_KEY or VIGIL_MASTER_KEY_FILE when
# either is set, else ~/.config/vigil/master.key, made with `vigil keys init` on first use. Not under
# .vigil/, beside the cluster's files: one copy of that folder would carry the data and its key.
vigil_master_key() {
    local bin=$1
    [ -n "${VIGIL_MASTER_KEY:-}" ] && return 0
    if [ -z "${VIGIL_MASTER_KEY_FILE:-}" ]; then
        export VIGIL_MASTER_KEY_FILE="${XDG_CONFIG_HOME:-$HOME/.config}/vigil/master.key"
    fi
    if [ ! -e "$VIGIL_MASTER_KEY_FILE" ]; then
        mkdir -p "$(dirname "$VIGIL_MASTER_KEY_FILE")"
        "$bin" keys init --out "$VIGIL_MASTER_KEY_FILE" >&2
    fi
}

# A streaming standby of the private cluster (VIGIL_CLUSTER, default pg), made with pg_basebackup, in
# "$VIGIL_HOME/<cluster>-standby": its own socket folder, read-only, following the primary's WAL. Reports
# read from it when VIGIL_REPORT_DATABASE_URL names it (vigil_standby_url prints the setting).
vigil_standby_paths() {
    local primary=${VIGIL_CLUSTER:-pg}
    VIGIL_CLUSTER="$primary" vigil_cluster_paths
    VIGIL_PRIMARY_SOCKET=$VIGIL_SOCKET
    VIGIL_STANDBY_DIR="$VIGIL_HOME/$primary-standby"
    VIGIL_STANDBY_PGDATA="$VIGIL_STANDBY_DIR/data"
    VIGIL_STANDBY_SOCKET="$VIGIL_STANDBY_DIR/run"
    VIGIL_STANDBY_LOG="$VIGIL_STANDBY_DIR/server.log"
}

vigil_standby_running() {
    vigil_standby_paths
    [ -f "$VIGIL_STANDBY_PGDATA/postmaster.pid" ] && vigil_as_owner "$(vigil_pg_bin)/pg_ctl" -D "$VIGIL_STANDBY_PGDATA" status >/dev/null 2>&1
}

# Makes the standby on first use (the primary must be running) and starts it; a no-op when it runs.
vigil_standby_start() {
    vigil_standby_paths
    local bin
    bin=$(vigil_pg_bin)
    if vigil_standby_running; then return 0; fi
    if [ ! -f "$VIGIL_STANDBY_PGDATA/PG_VERSION" ]; then
        vigil_say "making a streaming standby of the private cluster in $VIGIL_STANDBY_DIR (pg_basebackup)"
        mkdir -p "$VIGIL_STANDBY_PGDATA" "$VIGIL_STANDBY_SOCKET"
        chmod 700 "$VIGIL_STANDBY_DIR" "$VIGIL_STANDBY_PGDATA" "$VIGIL_STANDBY_SOCKET"
        if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$VIGIL_STANDBY_DIR"; fi
        # -R writes standby.signal and primary_conninfo (the primary's socket); -X stream copies the WAL
        # written meanwhile, so the copy starts consistent.
        vigil_as_owner "$bin/pg_basebackup" -h "$VIGIL_PRIMARY_SOCKET" -U vigil -D "$VIGIL_STANDBY_PGDATA" -R -X stream -c fast \
            >"$VIGIL_STANDBY_DIR/basebackup.log" 2>&1 \
            || { cat "$VIGIL_STANDBY_DIR/basebackup.log" >&2; vigil_die "pg_basebackup failed: is the private cluster running? (scripts/db start)"; }
        vigil_as_owner tee -a "$VIGIL_STANDBY_PGDATA/postgresql.conf" >/dev/null <<CONF

# Vigil's report standby: its own socket, read-only queries while it replays
unix_socket_directories = '$VIGIL_STANDBY_SOCKET'
hot_standby = on
hot_standby_feedback = on
CONF
    fi
    (vigil_close_descriptors; vigil_as_owner "$bin/pg_ctl" -D "$VIGIL_STANDBY_PGDATA" -l "$VIGIL_STANDBY_LOG" -w -t 60 start >/dev/null) \
        || { tail -n 20 "$VIGIL_STANDBY_LOG" >&2 2>/dev/null; vigil_die "the standby did not start"; }
}

vigil_standby_stop() {
    vigil_standby_paths
    if vigil_standby_running; then vigil_as_owner "$(vigil_pg_bin)/pg_ctl" -D "$VIGIL_STANDBY_PGDATA" -m fast -w stop >/dev/null; fi
}

# The setting that points reports at the standby, for `eval`: the database the primary's PGDATABASE names.
vigil_standby_url() {
    vigil_standby_paths
    printf "export VIGIL_REPORT_DATABASE_URL='host=%s port=5432 user=vigil dbname=%s'\n" "$VIGIL_STANDBY_SOCKET" "${PGDATABASE:-vigil}"
}

# A certificate authority of our own: an EC P-256 key (made with umask 077, never printed) and its
# certificate, valid DAYS days. vigil_new_ca KEY CRT SUBJECT DAYS
vigil_new_ca() {
    (umask 077 && openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$1" -out "$2" -days "$4" -subj "$3" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null) \
        || vigil_die "openssl could not make a certificate authority"
    chmod 644 "$2"
}

# A server's key and certificate signed by that authority, for the names in SAN ("DNS:localhost,IP:…"),
# valid DAYS days (negative: already expired, for a test). Written to KEY_OUT (0600) and CRT_OUT.
# vigil_new_server_cert CA_CRT CA_KEY SERIAL CN SAN DAYS KEY_OUT CRT_OUT
vigil_new_server_cert() {
    local work
    work=$(mktemp -d)
    printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' "$5" >"$work/ext"
    (umask 077 && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$work/server.key" -out "$work/server.csr" -subj "/CN=$4" 2>/dev/null \
        && openssl x509 -req -in "$work/server.csr" -CA "$1" -CAkey "$2" -CAcreateserial -CAserial "$3" \
            -days "$6" -sha256 -extfile "$work/ext" -out "$work/server.crt" 2>/dev/null) \
        || { rm -rf "$work"; vigil_die "openssl could not make a server certificate"; }
    (umask 077 && cp "$work/server.key" "$7")
    cp "$work/server.crt" "$8"
    rm -rf "$work"
}
