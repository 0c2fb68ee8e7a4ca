#!/usr/bin/env bash
# Make sure PostgreSQL 15 with the pgvector extension is installed, running and
# reachable as postgres@127.0.0.1 without a password, and that the test database
# exists with the extension created in it.
#
# Idempotent and quiet: on a machine where everything is in place it only checks
# (about a second) and prints one line with the pgvector version. Each missing
# piece is installed or started. Output of the commands it runs goes to a log
# that is printed only when something fails.
#
# Must run as root (it uses apt-get, pg_ctlcluster and writes under /usr).
#
# Settings (environment; the defaults are what the tests use):
#   FACEGRAPH_PG_CLUSTER  cluster name        (default: main)
#   FACEGRAPH_PG_PORT     port on 127.0.0.1   (default: 5432)
#   FACEGRAPH_PG_TEST_DB  database to prepare (default: facegraph_test)
#
# pgvector is not packaged for bookworm. It is built from Debian's own source
# package (the next release's, "trixie") against postgresql-server-dev-15, using
# the Debian mirror and keyring this machine's apt sources already use, through
# a private, temporary source list (the machine's apt configuration is not
# changed).
set -euo pipefail

PG_MAJOR=15
CLUSTER=${FACEGRAPH_PG_CLUSTER:-main}
PORT=${FACEGRAPH_PG_PORT:-5432}
TEST_DB=${FACEGRAPH_PG_TEST_DB:-facegraph_test}
HOST=127.0.0.1
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PG_CONFIG=$PG_BIN/pg_config
EXT_DIR=/usr/share/postgresql/$PG_MAJOR/extension
PGVECTOR_SOURCE_SUITE=trixie

export DEBIAN_FRONTEND=noninteractive
# Never let libpq pick up another target or a password prompt from the environment.
unset PGHOST PGPORT PGUSER PGDATABASE PGSERVICE PGPASSWORD 2>/dev/null || true

LOG=$(mktemp -t setup-postgres.XXXXXX.log)
WORK=""
cleanup() {
  rm -f "$LOG"
  if [[ -n $WORK ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

die() {
  echo "setup-postgres: ERROR: $*" >&2
  if [[ -s $LOG ]]; then
    echo "---- last lines of the log ----" >&2
    tail -n 60 "$LOG" >&2
    echo "-------------------------------" >&2
  fi
  exit 1
}

# run CMD...: run quietly, logging; fail the script (showing the log) on error.
run() {
  echo "+ $*" >>"$LOG"
  "$@" </dev/null >>"$LOG" 2>&1 || die "command failed ($?): $*"
}

if [[ $(id -u) -ne 0 ]]; then
  die "must run as root"
fi

# ---------------------------------------------------------------- apt helpers
APT_OPTS=(-y -q -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
APT_UPDATED=0
apt_update() {
  if [[ $APT_UPDATED -eq 0 ]]; then
    run apt-get -q -o DPkg::Lock::Timeout=300 update
    APT_UPDATED=1
  fi
}
# apt_install PKG...: install; if that fails (no lists yet, stale lists), update and retry once.
apt_install() {
  echo "+ apt-get install $*" >>"$LOG"
  if [[ $APT_UPDATED -eq 1 ]] ||
    ! apt-get install "${APT_OPTS[@]}" --no-install-recommends "$@" </dev/null >>"$LOG" 2>&1; then
    apt_update
    run apt-get install "${APT_OPTS[@]}" --no-install-recommends "$@"
  fi
}
pkg_installed() {
  [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == ii* ]]
}

# ------------------------------------------------------------------ psql helpers
# Admin queries go through the Unix socket as the postgres OS user (peer or
# trust auth), so they work before pg_hba.conf allows 127.0.0.1.
SOCKET_DIR=/var/run/postgresql
psql_admin() { # psql_admin DB SQL -> prints tuples-only output
  runuser -u postgres -- "$PG_BIN/psql" -X -q -h "$SOCKET_DIR" -p "$PORT" -d "$1" \
    -v ON_ERROR_STOP=1 -At -c "$2" </dev/null 2>>"$LOG"
}
psql_tcp() { # psql_tcp DB SQL: as the tests connect (postgres@127.0.0.1, no password)
  "$PG_BIN/psql" -X -q -w -h "$HOST" -p "$PORT" -U postgres -d "$1" \
    -v ON_ERROR_STOP=1 -At -c "$2" </dev/null 2>>"$LOG"
}

# ------------------------------------------------------ 1. server installed
if [[ ! -x $PG_BIN/postgres ]] || ! pkg_installed postgresql-$PG_MAJOR; then
  apt_install postgresql-$PG_MAJOR
fi
[[ -x $PG_BIN/postgres ]] || die "postgresql-$PG_MAJOR did not install $PG_BIN/postgres"

# --------------------------------------------------------- 2. cluster exists
if [[ ! -f /etc/postgresql/$PG_MAJOR/$CLUSTER/postgresql.conf ]]; then
  run pg_createcluster "$PG_MAJOR" "$CLUSTER" --port "$PORT"
fi

# -------------------------------------------------------- 3. cluster started
install -d -o postgres -g postgres -m 2775 "$SOCKET_DIR"
if ! pg_ctlcluster "$PG_MAJOR" "$CLUSTER" status >/dev/null 2>&1; then
  run pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" "$CLUSTER" start
fi

wait_ready() {
  local i
  for ((i = 0; i < 120; i++)); do
    if "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PORT" -t 1 </dev/null >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  "$PG_BIN/pg_isready" -h "$HOST" -p "$PORT" >>"$LOG" 2>&1 || true
  tail -n 20 "/var/log/postgresql/postgresql-$PG_MAJOR-$CLUSTER.log" >>"$LOG" 2>/dev/null || true
  die "PostgreSQL $PG_MAJOR/$CLUSTER does not accept connections on $HOST:$PORT after 60 s"
}
wait_ready

# ------------------------------- 4. postgres@127.0.0.1 without a password
if ! psql_tcp postgres "SELECT 1" >/dev/null; then
  HBA=$(psql_admin postgres "SHOW hba_file") || die "cannot query the server over its socket as postgres"
  [[ -f $HBA ]] || die "pg_hba.conf not found at '$HBA'"
  if ! grep -qE '^[[:space:]]*host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$HBA"; then
    cp -p "$HBA" "$HBA.before-facegraph"
    # First matching line wins: put the trust line before the distribution's defaults.
    { echo "# added by facegraph scripts/setup-postgres.sh: tests connect as postgres@127.0.0.1"
      echo "host    all             all             127.0.0.1/32            trust"
      cat "$HBA.before-facegraph"; } >"$HBA"
    chown --reference="$HBA.before-facegraph" "$HBA"
    chmod --reference="$HBA.before-facegraph" "$HBA"
  fi
  run pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" "$CLUSTER" reload
  sleep 0.5
  psql_tcp postgres "SELECT 1" >/dev/null ||
    die "postgres@$HOST:$PORT still needs a password (or listen_addresses excludes $HOST)"
fi

# ------------------------------------------------------- 5. pgvector installed
PKGLIBDIR=$("$PG_CONFIG" --pkglibdir)
pgvector_installed() {
  [[ -f $EXT_DIR/vector.control && -f $PKGLIBDIR/vector.so ]]
}

# Prints "URI<TAB>KEYRING" of the apt source this machine uses for its own
# Debian release (deb822 *.sources first, then one-line *.list files).
debian_mirror() {
  local codename
  # shellcheck disable=SC1091
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [[ -n $codename ]] || return 1
  local f found=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    found=$(awk -v code="$codename" '
      function flush() {
        if (!done && !disabled && (" " types " ") ~ / deb / && (" " suites " ") ~ (" " code " ") && uris != "") {
          split(uris, u, /[[:space:]]+/); print u[1] "\t" signed; done = 1
        }
        types = uris = suites = signed = ""; disabled = 0
      }
      /^[[:space:]]*#/ { next }
      /^[[:space:]]*$/ { flush(); next }
      { key = tolower($1) }
      key == "types:"     { sub(/^[^:]*:[[:space:]]*/, ""); types = $0; next }
      key == "uris:"      { sub(/^[^:]*:[[:space:]]*/, ""); uris = $0; next }
      key == "suites:"    { sub(/^[^:]*:[[:space:]]*/, ""); suites = $0; next }
      key == "signed-by:" { sub(/^[^:]*:[[:space:]]*/, ""); signed = $0; next }
      key == "enabled:"   { if (tolower($2) == "no") disabled = 1; next }
      END { flush() }' "$f")
    if [[ -n $found ]]; then echo "$found"; return 0; fi
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    found=$(awk -v code="$codename" '
      $1 != "deb" { next }
      {
        signed = ""; i = 2
        if ($2 ~ /^\[/) {
          while (i <= NF) {
            if ($i ~ /^\[?signed-by=/) { s = $i; sub(/^\[?signed-by=/, "", s); sub(/\]$/, "", s); signed = s }
            if ($i ~ /\]$/) { i++; break }
            i++
          }
        }
        if ($(i + 1) == code) { print $i "\t" signed; exit }
      }' "$f")
    if [[ -n $found ]]; then echo "$found"; return 0; fi
  done
  return 1
}

build_pgvector() {
  WORK=$(mktemp -d -t pgvector-build.XXXXXX)
  chmod 755 "$WORK" # apt's download sandbox user (_apt) must be able to write here
  local mirror uri keyring
  mirror=$(debian_mirror) || die "no Debian apt source for this release found in /etc/apt"
  uri=${mirror%%$'\t'*}
  keyring=${mirror#*$'\t'}
  if [[ $keyring != /* || ! -f $keyring ]]; then
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  fi
  [[ -f $keyring ]] || die "Debian archive keyring not found ($keyring)"

  mkdir -p "$WORK/sources.list.d" "$WORK/lists/partial" "$WORK/src"
  cat >"$WORK/sources.list.d/pgvector-src.sources" <<EOF
Types: deb-src
URIs: $uri
Suites: $PGVECTOR_SOURCE_SUITE
Components: main
Signed-By: $keyring
EOF
  chmod -R a+rX "$WORK"
  chown -R _apt "$WORK/lists" "$WORK/src" 2>/dev/null || true
  local private=(-o Dir::Etc::sourcelist=/dev/null
    -o "Dir::Etc::sourceparts=$WORK/sources.list.d"
    -o "Dir::State::Lists=$WORK/lists"
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
  run apt-get -q "${private[@]}" update
  cd "$WORK/src"
  run apt-get -q "${private[@]}" source --download-only pgvector
  cd - >/dev/null

  local tarballs makefiles srcdir
  tarballs=("$WORK"/src/pgvector_*.orig.tar.*)
  [[ -f ${tarballs[0]} ]] || die "apt-get source did not download a pgvector_*.orig.tar.* file"
  run tar -xf "${tarballs[0]}" -C "$WORK/src"
  makefiles=("$WORK"/src/*/Makefile)
  srcdir=$(dirname "${makefiles[0]}")
  [[ -f $srcdir/Makefile && -f $srcdir/vector.control ]] || die "unexpected pgvector source layout in $WORK/src"

  # Build tools: postgresql-server-dev-15 brings the headers, PGXS and clang/llvm
  # for the JIT bitcode; make and gcc are normally on the machine already.
  local need=()
  pkg_installed postgresql-server-dev-$PG_MAJOR || need+=("postgresql-server-dev-$PG_MAJOR")
  command -v make >/dev/null || need+=(make)
  command -v gcc >/dev/null || need+=(gcc)
  if [[ ${#need[@]} -gt 0 ]]; then apt_install "${need[@]}"; fi

  # OPTFLAGS="": no -march=native, so the library also runs if this machine's disk is
  # later brought up on another CPU model (Debian builds its package the same way).
  run make -C "$srcdir" -j"$(nproc)" PG_CONFIG="$PG_CONFIG" OPTFLAGS=""
  run make -C "$srcdir" install PG_CONFIG="$PG_CONFIG" OPTFLAGS=""
  rm -rf "$WORK"
  WORK=""
}

if ! pgvector_installed; then
  # A binary package, where the configured archives have one, is quickest.
  if [[ -n $(apt-cache show postgresql-$PG_MAJOR-pgvector 2>/dev/null) ]]; then
    apt_install postgresql-$PG_MAJOR-pgvector
  fi
  if ! pgvector_installed; then
    build_pgvector
  fi
  pgvector_installed || die "pgvector files missing after install ($EXT_DIR/vector.control, $PKGLIBDIR/vector.so)"
fi

# -------------------------------------------- 6. test database + extension
if [[ -z $(psql_tcp postgres "SELECT 1 FROM pg_database WHERE datname = '$TEST_DB'") ]]; then
  # A concurrent run may have created it meanwhile: ignore "already exists".
  psql_tcp postgres "CREATE DATABASE \"$TEST_DB\"" >/dev/null ||
    [[ -n $(psql_tcp postgres "SELECT 1 FROM pg_database WHERE datname = '$TEST_DB'") ]] ||
    die "cannot create database $TEST_DB"
fi
psql_tcp "$TEST_DB" "CREATE EXTENSION IF NOT EXISTS vector" >/dev/null ||
  die "CREATE EXTENSION vector failed in $TEST_DB"
DEFAULT_VERSION=$(psql_tcp "$TEST_DB" "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'")
VERSION=$(psql_tcp "$TEST_DB" "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
if [[ -n $DEFAULT_VERSION && $VERSION != "$DEFAULT_VERSION" ]]; then
  psql_tcp "$TEST_DB" "ALTER EXTENSION vector UPDATE" >/dev/null || die "ALTER EXTENSION vector UPDATE failed"
  VERSION=$(psql_tcp "$TEST_DB" "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
fi
# A query that needs the shared library, not only the catalog entry.
psql_tcp "$TEST_DB" "SELECT '[1,2,3]'::vector <=> '[1,2,4]'::vector" >/dev/null ||
  die "pgvector is installed but a vector query fails"

SERVER=$(psql_tcp "$TEST_DB" "SHOW server_version")
echo "setup-postgres: PostgreSQL ${SERVER%% *} ($CLUSTER) on $HOST:$PORT, database $TEST_DB, pgvector $VERSION"
