# Starts a throw-away PostgreSQL cluster for the tests and exports its URL as
# SIMHARNESS_TEST_DATABASE_URL. Sourced by scripts/test.
#
# - initdb into a fresh temporary folder; as root (CI), initdb refuses to run, so the cluster
#   belongs to an unprivileged user (`postgres`, created if missing) and runs through runuser;
# - a free port on 127.0.0.1 only (no Unix socket left behind in /var/run), trust auth;
# - stopped and deleted on exit (trap), whatever the outcome;
# - if it cannot start, the function fails loudly with the server's log: the tests never skip.
start_throwaway_postgres() {
    local bin=""
    for candidate in "${PG_BIN:-}" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -n "$candidate" ] && [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then bin="$candidate"; break; fi
    done
    if [ -z "$bin" ]; then
        bin="$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")"
        [ -x "$bin/initdb" ] || { echo "scripts/test: PostgreSQL server binaries (initdb, pg_ctl) not found; install the 'postgresql' package" >&2; return 1; }
    fi

    local run=()
    local owner
    owner="$(id -un)"
    if [ "$(id -u)" -eq 0 ]; then
        owner=postgres
        id -u "$owner" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
        run=(runuser -u "$owner" --)
    fi

    PG_TEST_DIR="$(mktemp -d /tmp/simharness-pg.XXXXXX)"
    chmod 755 "$PG_TEST_DIR"
    [ "$(id -u)" -eq 0 ] && chown "$owner" "$PG_TEST_DIR"
    PG_TEST_BIN="$bin"
    PG_TEST_RUN=("${run[@]}")
    trap stop_throwaway_postgres EXIT

    local port
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
        || echo $((20000 + RANDOM % 20000)))"

    if ! "${run[@]}" "$bin/initdb" -D "$PG_TEST_DIR/data" -U simharness --auth=trust -E UTF8 --locale=C >"$PG_TEST_DIR/initdb.log" 2>&1; then
        echo "scripts/test: initdb failed:" >&2; cat "$PG_TEST_DIR/initdb.log" >&2; return 1
    fi
    if ! "${run[@]}" "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$PG_TEST_DIR' -c fsync=off -c max_connections=50" start >/dev/null; then
        echo "scripts/test: the PostgreSQL test server did not start:" >&2; cat "$PG_TEST_DIR/server.log" >&2; return 1
    fi
    if ! "${run[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U simharness simharness_test; then
        echo "scripts/test: createdb failed" >&2; return 1
    fi
    export SIMHARNESS_TEST_DATABASE_URL="postgresql://simharness@127.0.0.1:$port/simharness_test"
    echo "scripts/test: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at $SIMHARNESS_TEST_DATABASE_URL" >&2
}

stop_throwaway_postgres() {
    if [ -n "${PG_TEST_DIR:-}" ] && [ -d "$PG_TEST_DIR/data" ]; then
        "${PG_TEST_RUN[@]}" "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    [ -n "${PG_TEST_DIR:-}" ] && rm -rf "$PG_TEST_DIR"
}
