#!/usr/bin/env bash
# Makes sure Postgres (127.0.0.1:5432) and Redis (127.0.0.1:6379) answer, and Node.js with npm is
# there (for the MCP Inspector end-to-end tests) and Debian's chromium (for the console's browser
# test, tests/e2e/test_console_browser.py, driven by Playwright), for `make test`.
# Starts local ones that are installed but stopped; installs them with apt-get when root and absent.
# Fails loudly, naming the service and how to start it: the tests must never skip them silently.
set -euo pipefail

PG_URL="${CANARY_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
REDIS_URL="${CANARY_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"

say() { printf 'services: %s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "cannot install $* (need root and apt-get); install it and re-run"; exit 1
  fi
  say "installing $* with apt-get"
  if [ -z "${CANARY_APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    export CANARY_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_ok() { psql "$PG_URL" -Atqc 'select 1' >/dev/null 2>&1; }

ensure_postgres() {
  if command -v psql >/dev/null && pg_ok; then say "postgres ok"; return; fi
  local installed_now=0
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql postgresql-client
    installed_now=1
  fi
  local version; version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ "$installed_now" = 1 ]; then
    # A machine we just installed Postgres on is a test machine: trust loopback, as CI expects.
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  fi
  say "starting postgres $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || pg_ctlcluster --skip-systemctl-redirect "$version" main restart
  for _ in $(seq 1 30); do pg_ok && { say "postgres ok"; return; }; sleep 1; done
  say "postgres is not reachable at ${PG_URL#*@}; start it with: pg_ctlcluster --skip-systemctl-redirect $version main start"
  exit 1
}

redis_ok() { redis-cli -u "$REDIS_URL" ping 2>/dev/null | grep -q PONG; }

ensure_redis() {
  if command -v redis-cli >/dev/null && redis_ok; then say "redis ok"; return; fi
  command -v redis-server >/dev/null || apt_install redis-server
  say "starting redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 20); do redis_ok && { say "redis ok"; return; }; sleep 0.5; done
  say "redis is not reachable at ${REDIS_URL}; start it with: redis-server --daemonize yes --port 6379 --save ''"
  exit 1
}

ensure_node() {
  # The end-to-end tests drive the servers with a real MCP client from npm (the MCP Inspector CLI).
  if command -v node >/dev/null && command -v npm >/dev/null; then say "node $(node --version) ok"; return; fi
  apt_install nodejs npm
  say "node $(node --version) installed"
}

ensure_chromium() {
  # Playwright drives the system browser (no browser download): /usr/bin/chromium.
  if [ -x /usr/bin/chromium ]; then say "chromium ok"; return; fi
  apt_install chromium chromium-driver
  say "chromium installed"
}

ensure_postgres
ensure_redis
ensure_node
ensure_chromium
