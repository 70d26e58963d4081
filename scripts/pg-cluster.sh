# Starts a throwaway PostgreSQL cluster for the tests and stops it on exit. Source it; it sets
# FERRY_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:PORT, no database part).

pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -n "$pg_bin" ] || die "PostgreSQL binaries not found under /usr/lib/postgresql"

pg_dir="$(mktemp -d /tmp/ferry-pg.XXXXXX)"
pg_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null || echo 55432)"

# initdb refuses to run as root: run the cluster as the postgres user when we are root.
pg_as() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    chown postgres "$pg_dir"
fi

pg_stop() {
    pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
}
trap pg_stop EXIT

log "starting a throwaway PostgreSQL cluster on 127.0.0.1:$pg_port"
pg_as "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 >"$pg_dir/initdb.log" 2>&1 \
    || { cat "$pg_dir/initdb.log" >&2; die "initdb failed"; }
# Durability settings are off because this cluster is thrown away; Ferry's own are untouched.
pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
    -o "-p $pg_port -k $pg_dir -h 127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null || { cat "$pg_dir/server.log" >&2; die "PostgreSQL did not start"; }
export FERRY_TEST_PG_URL="postgres://postgres@127.0.0.1:$pg_port"
