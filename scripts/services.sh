# Helpers to provide the services the tests need; sourced by scripts/test-all.sh.

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi
}

apt_install() {
  # apt-get update first: on a fresh machine the package lists are empty.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then export SIGNAGE_CHROMIUM=/usr/bin/chromium; return 0; fi
  echo "test-all: installing Debian's chromium for the browser tests"
  if apt_install chromium && [ -x /usr/bin/chromium ]; then
    export SIGNAGE_CHROMIUM=/usr/bin/chromium
  else
    echo "test-all: could not install chromium (needs root and apt); browser tests will skip"
    return 1
  fi
}

ensure_mpv() {
  # The player's default backend; its tests run it with --vo=null --ao=null.
  if command -v mpv >/dev/null; then return 0; fi
  echo "test-all: installing Debian's mpv for the player backend tests"
  if apt_install mpv && command -v mpv >/dev/null; then
    return 0
  else
    echo "test-all: could not install mpv (needs root and apt); mpv tests will skip"
    return 1
  fi
}

ensure_postgres() {
  if [ -n "${SIGNAGE_TEST_DATABASE_URL:-}" ]; then return 0; fi
  if ! command -v pg_ctlcluster >/dev/null; then
    echo "test-all: no PostgreSQL server on this machine; PostgreSQL tests will skip"
    return 1
  fi
  local version
  version=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1}')
  if [ -z "$version" ]; then echo "test-all: no PostgreSQL cluster found"; return 1; fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  for _ in $(seq 1 30); do
    pg_isready -q -h localhost && break
    sleep 0.5
  done
  if ! pg_isready -q -h localhost; then echo "test-all: PostgreSQL did not start"; return 1; fi
  local psql=(as_root su postgres -c)
  "${psql[@]}" "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='signage_test'\"" | grep -q 1 ||
    "${psql[@]}" "psql -qc \"CREATE ROLE signage_test LOGIN CREATEDB PASSWORD 'signage_test'\""
  "${psql[@]}" "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='signage_test'\"" | grep -q 1 ||
    "${psql[@]}" "psql -qc \"CREATE DATABASE signage_test OWNER signage_test\""
  export SIGNAGE_TEST_DATABASE_URL="postgresql+psycopg://signage_test:signage_test@localhost:5432/signage_test"
  echo "test-all: PostgreSQL $version ready for the tests"
}
