#!/usr/bin/env bash
# PostgreSQL and Redis as real servers, for the tests and for a one-machine deployment.
#
#   scripts/services.sh start    install Debian's packages when missing, start both (or reuse
#                                them when already running), print their URLs
#   scripts/services.sh stop     stop both (the data stays)
#   scripts/services.sh status   say what runs where (exit 3 when either is down)
#   scripts/services.sh url      print DATABASE_URL=... and REDIS_URL=... (to eval)
#
# Both listen on 127.0.0.1 only. Their data, logs and the generated PostgreSQL password live
# in a project-private folder, $PAD_SERVICES_DIR (default instance/services, ignored by git).
# Ports: $PAD_PG_PORT and $PAD_REDIS_PORT, else a pair derived from that folder (two checkouts
# on one machine get different ports), remembered in services.env there.
# PostgreSQL refuses to run as root: as root, it runs as the `postgres` user (runuser), and its
# superuser is reachable only through a Unix socket inside its data folder (peer auth).
# The application connects over TCP as the role `pad` (password, scram-sha-256), which may
# create databases (the tests create and drop one per session).
set -euo pipefail
cd "$(dirname "$0")/.."

SERVICES_DIR=$(mkdir -p "${PAD_SERVICES_DIR:-instance/services}" && cd "${PAD_SERVICES_DIR:-instance/services}" && pwd)
STATE="$SERVICES_DIR/services.env"
APP_ROLE=pad
APP_DB=pad

log() { echo "services: $*" >&2; }
die() { log "$*"; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
  SUDO=
  PG_OS_USER=postgres
  # From / so that a checkout under a folder postgres cannot read is no obstacle.
  as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
  SUDO=sudo
  PG_OS_USER=$(id -un)
  as_pg() { "$@"; }
fi

pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && [ -x "$dir/postgres" ] && echo "$dir"
}

install_packages() {
  local missing=()
  [ -n "$(pg_bindir || true)" ] || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} (Debian packages)..."
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

load_state() {
  PG_PORT= REDIS_PORT= PG_PASSWORD= PG_DATA=
  # shellcheck disable=SC1090
  [ -f "$STATE" ] && . "$STATE"
  PG_PORT=${PAD_PG_PORT:-$PG_PORT}
  REDIS_PORT=${PAD_REDIS_PORT:-$REDIS_PORT}
  return 0
}

save_state() {
  (umask 077 && cat >"$STATE" <<EOF
PG_PORT=$PG_PORT
REDIS_PORT=$REDIS_PORT
PG_PASSWORD=$PG_PASSWORD
PG_DATA=$PG_DATA
EOF
  )
}

# The PostgreSQL data folder: in SERVICES_DIR when its owner can reach it, else (root, with a
# checkout under a private home) in a folder of its own under /var/tmp.
choose_pg_data() {
  [ -n "$PG_DATA" ] && return 0
  PG_DATA="$SERVICES_DIR/postgresql"
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$SERVICES_DIR"; then
    PG_DATA="/var/tmp/pad-services-$(printf '%s' "$SERVICES_DIR" | cksum | cut -d' ' -f1)/postgresql"
  fi
}

pg_running() { [ -n "$PG_DATA" ] && [ -f "$PG_DATA/PG_VERSION" ] \
  && as_pg "$(pg_bindir)/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; }

redis_pid() { cat "$SERVICES_DIR/redis/redis.pid" 2>/dev/null || true; }
redis_running() { local pid; pid=$(redis_pid); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

# A free pair of ports, the first derived from the folder's name.
choose_ports() {
  local base tries=0
  if [ -z "$PG_PORT" ] || [ -z "$REDIS_PORT" ]; then
    base=$(( 20000 + ($(printf '%s' "$SERVICES_DIR" | cksum | cut -d' ' -f1) % 10000) * 2 ))
    while port_in_use "$base" || port_in_use $((base + 1)); do
      tries=$((tries + 1)); [ $tries -lt 50 ] || die "no free pair of ports near $base"
      base=$((base + 2))
    done
    PG_PORT=${PG_PORT:-$base}
    REDIS_PORT=${REDIS_PORT:-$((base + 1))}
  fi
}

start_postgresql() {
  local bin; bin=$(pg_bindir)
  if pg_running; then log "postgresql already running on 127.0.0.1:$PG_PORT"; return 0; fi
  port_in_use "$PG_PORT" && die "port $PG_PORT is taken by another program: set PAD_PG_PORT"
  [ ${#PG_DATA} -lt 90 ] || die "data folder path too long for PostgreSQL's socket: $PG_DATA"
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    log "creating a PostgreSQL cluster in $PG_DATA"
    mkdir -p "$PG_DATA"
    [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$PG_DATA"
    chmod 700 "$PG_DATA"
    as_pg "$bin/initdb" -D "$PG_DATA" -U "$PG_OS_USER" -E UTF8 --no-locale \
      --auth-local=peer --auth-host=scram-sha-256 >/dev/null
    cat >>"$PG_DATA/postgresql.conf" <<EOF

# Prêt à dépenser (scripts/services.sh): TCP on loopback only, the superuser's socket private.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DATA'
unix_socket_permissions = 0700
EOF
  fi
  log "starting postgresql on 127.0.0.1:$PG_PORT"
  as_pg "$bin/pg_ctl" start -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 \
    -o "-p $PG_PORT" >/dev/null || { tail -n 20 "$PG_DATA/server.log" >&2; die "postgresql did not start"; }
}

# The application's role and database (idempotent; the password follows services.env).
ensure_app_role() {
  local psql=("$(pg_bindir)/psql" -h "$PG_DATA" -p "$PG_PORT" -d postgres -X -q -v ON_ERROR_STOP=1)
  as_pg "${psql[@]}" >/dev/null <<SQL
SELECT format(CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$APP_ROLE')
                   THEN 'ALTER ROLE %I LOGIN CREATEDB PASSWORD %L'
                   ELSE 'CREATE ROLE %I LOGIN CREATEDB PASSWORD %L' END,
              '$APP_ROLE', '$PG_PASSWORD') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', '$APP_DB', '$APP_ROLE')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$APP_DB') \gexec
SQL
}

start_redis() {
  local dir="$SERVICES_DIR/redis" tries=0
  if redis_running; then log "redis already running on 127.0.0.1:$REDIS_PORT"; return 0; fi
  port_in_use "$REDIS_PORT" && die "port $REDIS_PORT is taken by another program: set PAD_REDIS_PORT"
  mkdir -p "$dir"
  chmod 700 "$dir"
  log "starting redis on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes --daemonize yes \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
    --save "" --appendonly yes >/dev/null
  until redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; do
    tries=$((tries + 1)); [ $tries -lt 100 ] || { tail -n 20 "$dir/redis.log" >&2; die "redis did not start"; }
    sleep 0.1
  done
}

print_urls() {
  echo "DATABASE_URL=postgresql+psycopg://$APP_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/$APP_DB"
  echo "REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
}

cmd_start() {
  install_packages
  load_state
  choose_pg_data
  if ! pg_running || ! redis_running; then choose_ports; fi
  [ -n "$PG_PASSWORD" ] || PG_PASSWORD=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  save_state
  start_postgresql
  ensure_app_role
  start_redis
  print_urls
}

cmd_stop() {
  load_state
  if [ -n "$(pg_bindir || true)" ] && pg_running; then
    log "stopping postgresql"
    as_pg "$(pg_bindir)/pg_ctl" stop -D "$PG_DATA" -m fast -w >/dev/null
  fi
  if redis_running; then
    local pid; pid=$(redis_pid)
    log "stopping redis"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || kill "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
}

cmd_status() {
  local code=0
  load_state
  if [ -n "$(pg_bindir || true)" ] && pg_running; then
    echo "postgresql: running on 127.0.0.1:$PG_PORT (data: $PG_DATA)"
  else
    echo "postgresql: stopped"; code=3
  fi
  if redis_running; then
    echo "redis: running on 127.0.0.1:$REDIS_PORT (pid $(redis_pid), data: $SERVICES_DIR/redis)"
  else
    echo "redis: stopped"; code=3
  fi
  return $code
}

cmd_url() {
  load_state
  [ -n "$PG_PASSWORD" ] || die "never started here: run scripts/services.sh start"
  print_urls
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) cmd_url ;;
  *) echo "usage: $0 {start|stop|status|url}" >&2; exit 2 ;;
esac
