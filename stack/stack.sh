#!/usr/bin/env bash
# Run fate-lineage's local stack without Docker: Redis, Neo4j and the API, each
# a process of our own on 127.0.0.1, with all their files under one folder.
#
# Usage: stack/stack.sh install | start | stop | status | test [PYTEST_ARGS...]
#
# Environment (all optional):
#   FATE_LINEAGE_VENV                 virtualenv (default <repo>/.venv)
#   FATE_LINEAGE_STATE                data, logs and PID files (default <repo>/.state)
#   FATE_LINEAGE_CACHE                Neo4j jar cache
#                                     (default ${XDG_CACHE_HOME:-~/.cache}/fate-lineage)
#   FATE_LINEAGE_NEO4J_HTTP_PORT      Neo4j HTTP port (default 7474)
#   FATE_LINEAGE_NEO4J_HEAP           Neo4j Java heap, such as 1g or 768m (default 1g)
#   FATE_LINEAGE_NEO4J_START_TIMEOUT  seconds to wait for a Bolt login (default 120)
#
# The Redis and Bolt ports, the API address and the Neo4j password come from
# the service settings, read through `python -m fate_lineage.conf get KEY`, so
# FATE_LINEAGE_CONF and the FATE_LINEAGE__SECTION__KEY overrides apply here too.
set -euo pipefail

REPO_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
STACK_DIR=$REPO_DIR/stack
# Absolute paths, because Neo4j's config and the PID files must not depend on
# the folder that the script is run from.
VENV=$(realpath -m -- "${FATE_LINEAGE_VENV:-$REPO_DIR/.venv}")
STATE=$(realpath -m -- "${FATE_LINEAGE_STATE:-$REPO_DIR/.state}")
CACHE=$(realpath -m -- \
  "${FATE_LINEAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fate-lineage}")

NEO4J_HTTP_PORT=${FATE_LINEAGE_NEO4J_HTTP_PORT:-7474}
NEO4J_HEAP=${FATE_LINEAGE_NEO4J_HEAP:-1g}
NEO4J_START_TIMEOUT=${FATE_LINEAGE_NEO4J_START_TIMEOUT:-120}
NEO4J_POM=$STACK_DIR/neo4j/pom.xml
# The pom is the one place that names the Neo4j version, and the cache folder
# carries it, so that changing the version downloads the new jars.
NEO4J_VERSION=$(sed -n 's:.*<neo4j.version>\(.*\)</neo4j.version>.*:\1:p' "$NEO4J_POM")
NEO4J_LIB=$CACHE/neo4j-$NEO4J_VERSION/lib
NEO4J_DIR=$STATE/neo4j

REDIS_START_TIMEOUT=10
API_START_TIMEOUT=30
SERVICES=(redis neo4j api)

declare -A PID_FILE=(
  [redis]=$STATE/redis/redis.pid
  [neo4j]=$NEO4J_DIR/neo4j.pid
  [api]=$STATE/api/gunicorn.pid
)
# A PID counts as ours only while its command line contains this text, so a
# PID that the system has given to another program since is never signalled.
declare -A COMMAND_PATTERN=(
  [redis]=redis-server
  [neo4j]=org.neo4j.server.CommunityEntryPoint
  [api]=gunicorn
)
# Seconds between SIGTERM and SIGKILL. gunicorn waits up to 30 s (its default
# graceful_timeout) for requests in flight.
declare -A STOP_TIMEOUT=([redis]=30 [neo4j]=60 [api]=40)

APT_UPDATED=false
APT_LOG=$STATE/apt-get.log

# ---------------------------------------------------------------- messages

say() { printf '%s\n' "$*"; }

warn() { printf 'stack.sh: %s\n' "$*" >&2; }

die() {
  warn "$*"
  exit 1
}

usage() {
  cat <<'EOF'
usage: stack/stack.sh COMMAND

  install               create the virtualenv and install the package into it
  start                 install, then start Redis, Neo4j and the API
  stop                  stop what start started, in reverse order
  status                show each service; exit 0 if all run, 3 otherwise
  test [PYTEST_ARGS]    start, then run pytest on tests/
EOF
}

# Print the last LINES lines of a log file to stderr, under a heading.
show_log_tail() {
  local file=$1 lines=$2
  if [[ -f $file ]]; then
    warn "last $lines lines of $file:"
    tail -n "$lines" -- "$file" >&2
  else
    warn "no log at $file"
  fi
}

# Keep the log of the previous run as FILE.1, so that a failed start shows only
# its own lines.
rotate_log() {
  if [[ -f $1 ]]; then
    mv -f -- "$1" "$1.1"
  fi
}

# ---------------------------------------------------------------- install

# Hash what decides the editable install: pyproject.toml and the names of the
# files it links. Strict mode links each file by name, so an edited file is
# seen at once but an added or removed one needs a new install.
install_fingerprint() {
  {
    cat -- "$REPO_DIR/pyproject.toml"
    find "$REPO_DIR" \( -path "$REPO_DIR/.*" -o -path "$REPO_DIR/build" \
      -o -path "$REPO_DIR/tests" -o -path "$REPO_DIR/stack" -o -path "$VENV" \
      -o -path "$STATE" -o -name __pycache__ -o -name '*.egg-info' \) -prune \
      -o -type f -print | LC_ALL=C sort
  } | sha256sum | cut -d ' ' -f 1
}

cmd_install() {
  local stamp=$VENV/.fate-lineage-install fingerprint
  if [[ ! -x $VENV/bin/python ]]; then
    say "install: creating the virtualenv $VENV"
    python3 -m venv -- "$VENV"
  fi

  fingerprint=$(install_fingerprint)
  if [[ -f $stamp && $(<"$stamp") == "$fingerprint" ]]; then
    return
  fi

  say "install: installing ${REPO_DIR}[dev] into $VENV (editable, strict mode)"
  rm -f -- "$stamp"
  # Strict mode builds a link tree under build/ that contains only the package
  # fate_lineage.*, which mypy and pytest then import like an installed one.
  "$VENV/bin/pip" install -q -e "${REPO_DIR}[dev]" \
    --config-settings editable_mode=strict ||
    die "pip could not install ${REPO_DIR}[dev] into $VENV (pip's output is above); fix the error it names, then rerun 'stack/stack.sh install'"
  printf '%s\n' "$fingerprint" >"$stamp"
}

# ---------------------------------------------------------------- settings

# Print one service setting, read exactly as the service reads it.
setting() {
  "$VENV/bin/python" -m fate_lineage.conf get "$1" ||
    die "could not read the setting $1 (the reason is above); fix the settings file or its FATE_LINEAGE__ override"
}

# Print the host:port part of URL, without scheme, credentials or path.
url_authority() {
  local authority=${1#*://}
  authority=${authority%%/*}
  printf '%s\n' "${authority##*@}"
}

# Print the host of URL.
url_host() {
  local authority
  authority=$(url_authority "$1")
  printf '%s\n' "${authority%:*}"
}

# Print the port of URL, or DEFAULT when the URL names none.
url_port() {
  local authority
  authority=$(url_authority "$1")
  if [[ $authority =~ :([0-9]+)$ ]]; then
    printf '%s\n' "${BASH_REMATCH[1]}"
  else
    printf '%s\n' "$2"
  fi
}

# Reject a setting that points away from this machine, because the stack only
# runs servers on 127.0.0.1.
require_loopback() {
  local key=$1 host=$2
  if [[ $host != 127.0.0.1 && $host != localhost ]]; then
    die "$key points at host '$host', but the local stack runs its servers on 127.0.0.1 only; point $key at 127.0.0.1 to use the stack"
  fi
}

load_redis_settings() {
  REDIS_URL=$(setting redis.url)
  # The scheme alone goes into messages, since the rest may hold a password.
  if [[ $REDIS_URL != redis://* ]]; then
    die "redis.url uses the scheme '${REDIS_URL%%:*}', but the stack's Redis listens on plain TCP without TLS; use a redis:// URL such as redis://127.0.0.1:6379/0 to use the stack"
  fi
  if [[ ${REDIS_URL#*://} == *@* ]]; then
    die "redis.url contains credentials, but the stack's Redis has no password; remove them from redis.url to use the stack"
  fi
  require_loopback redis.url "$(url_host "$REDIS_URL")"
  REDIS_PORT=$(url_port "$REDIS_URL" 6379)
}

load_neo4j_settings() {
  local uri user
  uri=$(setting neo4j.uri)
  if [[ $uri != bolt://* && $uri != neo4j://* ]]; then
    die "neo4j.uri uses the scheme '${uri%%:*}', but the stack's Neo4j has no TLS; use bolt:// or neo4j://, such as bolt://127.0.0.1:7687, to use the stack"
  fi
  require_loopback neo4j.uri "$(url_host "$uri")"
  NEO4J_BOLT_PORT=$(url_port "$uri" 7687)

  # set-initial-password only sets the password of the built-in user neo4j.
  user=$(setting neo4j.user)
  if [[ $user != neo4j ]]; then
    die "neo4j.user is '$user', but the stack's Neo4j only has the user neo4j; set neo4j.user to neo4j to use the stack"
  fi
  NEO4J_PASSWORD=$(setting neo4j.password)
}

load_api_settings() {
  API_HOST=$(setting fateflow.host)
  require_loopback fateflow.host "$API_HOST"
  API_PORT=$(setting fateflow.http_port)
}

# Check the stack's own environment variables before anything starts.
check_stack_options() {
  if [[ ! $NEO4J_HEAP =~ ^[0-9]+[kKmMgG]$ ]]; then
    die "FATE_LINEAGE_NEO4J_HEAP is '$NEO4J_HEAP', which is not a Java heap size; use a number with k, m or g, such as 1g or 768m"
  fi
  if [[ ! $NEO4J_HTTP_PORT =~ ^[0-9]+$ ]] ||
    ((NEO4J_HTTP_PORT < 1 || NEO4J_HTTP_PORT > 65535)); then
    die "FATE_LINEAGE_NEO4J_HTTP_PORT is '$NEO4J_HTTP_PORT', which is not a TCP port; use a number from 1 to 65535, such as 7474"
  fi
  if [[ ! $NEO4J_START_TIMEOUT =~ ^[0-9]+$ ]]; then
    die "FATE_LINEAGE_NEO4J_START_TIMEOUT is '$NEO4J_START_TIMEOUT', which is not a whole number of seconds; use one such as 120"
  fi
}

# ---------------------------------------------------------------- processes

# Succeed when PID is a live process (not a zombie) whose command line
# contains PATTERN.
is_our_process() {
  local pid=$1 pattern=$2 line
  line=$(ps -o stat=,args= -p "$pid" 2>/dev/null) || return 1
  line=${line#"${line%%[! ]*}"}
  [[ $line != Z* && $line == *"$pattern"* ]]
}

# Print the PID of service NAME when its PID file names a live process of ours.
service_pid() {
  local name=$1 file=${PID_FILE[$1]} pid
  [[ -f $file ]] || return 1
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  is_our_process "$pid" "${COMMAND_PATTERN[$name]}" || return 1
  printf '%s\n' "$pid"
}

# Remove the PID file of service NAME when its process is gone.
remove_stale_pid_file() {
  local name=$1 file=${PID_FILE[$1]}
  [[ -f $file ]] || return 0
  say "$name: removing the stale PID file $file: PID $(<"$file") is not a running ${COMMAND_PATTERN[$name]}"
  rm -f -- "$file"
}

# Wait up to TIMEOUT seconds for PID to exit, and fail if it is still running.
wait_for_exit() {
  local pid=$1 pattern=$2 deadline=$((SECONDS + $3))
  while is_our_process "$pid" "$pattern"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# Record where service NAME listens, for status to print later.
record_address() {
  printf '%s\n' "$2" >"$STATE/$1/address"
}

service_address() {
  cat -- "$STATE/$1/address" 2>/dev/null || printf 'address unknown\n'
}

# Fail when something already listens on 127.0.0.1:PORT, because the service
# that is about to start would then fail or, worse, the checks would talk to
# the other process.
require_free_port() {
  local name=$1 port=$2 setting_name=$3
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "$name: port $port on 127.0.0.1 is already in use by a process this stack did not start (see: ss -ltnp 'sport = :$port'); stop that process or change $setting_name, then retry"
  fi
}

# ---------------------------------------------------------------- packages

# Install Debian packages, running `apt-get update` once per run first.
apt_install() {
  if ((EUID != 0)) || ! command -v apt-get >/dev/null; then
    die "the Debian package(s) $* are missing and this script can only install them as root with apt-get; install them, then retry"
  fi
  mkdir -p -- "$STATE"
  say "apt-get: installing $*, log $APT_LOG"
  if [[ $APT_UPDATED == false ]]; then
    apt-get update -q >>"$APT_LOG" 2>&1 || apt_failed "$@"
    APT_UPDATED=true
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >>"$APT_LOG" 2>&1 ||
    apt_failed "$@"
}

apt_failed() {
  show_log_tail "$APT_LOG" 30
  die "apt-get could not install $* (its log is above); fix the cause, then retry"
}

# Fail unless `java` is Java 17 or newer, the oldest that Neo4j 5 runs on.
require_java_17() {
  local output version='' major
  command -v java >/dev/null ||
    die "java was not found on PATH, and Neo4j $NEO4J_VERSION needs Java 17 or newer; install it (on Debian: apt-get install openjdk-17-jre-headless), then retry"

  # The first line reads like: openjdk version "17.0.15" 2025-04-15
  output=$(java -version 2>&1)
  [[ $output =~ version\ \"([^\"]*)\" ]] && version=${BASH_REMATCH[1]}
  major=${version%%.*}
  # Java 8 and older report themselves as 1.x.
  [[ $major == 1 ]] && major=$(cut -d . -f 2 <<<"$version")
  major=${major%%[!0-9]*}
  if [[ -z $major ]] || ((major < 17)); then
    die "java on PATH ($(command -v java)) is version '${version:-unknown}', but Neo4j $NEO4J_VERSION needs Java 17 or newer; put a Java 17+ first on PATH, then retry"
  fi
}

# ---------------------------------------------------------------- redis

write_redis_conf() {
  local dir=$STATE/redis
  mkdir -p -- "$dir/data"
  cat >"$dir/redis.conf" <<EOF
# Written by stack/stack.sh on every start, so edits here are overwritten.
bind 127.0.0.1
protected-mode yes
port $REDIS_PORT
daemonize yes
pidfile "${PID_FILE[redis]}"
logfile "$dir/redis.log"
dir "$dir/data"
# The resource counters must survive a restart, so every write goes to the
# append-only file, flushed to disk once a second.
appendonly yes
appendfsync everysec
EOF
}

wait_for_redis() {
  local deadline=$((SECONDS + REDIS_START_TIMEOUT)) reply
  while ((SECONDS < deadline)); do
    reply=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || true)
    [[ $reply == PONG ]] && return 0
    sleep 0.2
  done
  show_log_tail "$STATE/redis/redis.log" 30
  die "redis: timed out after ${REDIS_START_TIMEOUT}s waiting for PONG from 127.0.0.1:$REDIS_PORT; read its log above, then run 'stack/stack.sh stop' and retry"
}

start_redis() {
  local pid address log=$STATE/redis/redis.log
  address="redis://127.0.0.1:$REDIS_PORT"
  if pid=$(service_pid redis); then
    say "redis: already running, pid $pid, $(service_address redis)"
    return
  fi
  remove_stale_pid_file redis
  require_free_port redis "$REDIS_PORT" redis.url

  # Our own redis-server process, never the system service that the Debian
  # package installs.
  command -v redis-server >/dev/null || apt_install redis-server
  write_redis_conf
  rotate_log "$log"
  # redis-server prints config errors to stderr before it opens its log file.
  redis-server "$STATE/redis/redis.conf" >>"$log" 2>&1 || {
    show_log_tail "$log" 30
    die "redis-server failed to start with $STATE/redis/redis.conf; read its log above"
  }
  wait_for_redis

  record_address redis "$address"
  say "redis: listening on $address, pid $(service_pid redis), log $log"
}

# ---------------------------------------------------------------- neo4j

# Download Neo4j's jars into the cache once. Maven writes into a temporary
# folder that is renamed into place only when it is complete, so an
# interrupted download never leaves a partial cache.
ensure_neo4j_jars() {
  local parent=${NEO4J_LIB%/*} work
  [[ -d $NEO4J_LIB ]] && return
  [[ -n $NEO4J_VERSION ]] ||
    die "found no <neo4j.version> property in $NEO4J_POM; restore it, then retry"
  command -v mvn >/dev/null || apt_install maven

  mkdir -p -- "$parent"
  # Folders left by an interrupted download.
  rm -rf -- "$parent"/download.*
  work=$(mktemp -d "$parent/download.XXXXXX")
  cp -- "$NEO4J_POM" "$work/pom.xml"

  say "neo4j: downloading the jars of Neo4j $NEO4J_VERSION with Maven into $NEO4J_LIB"
  if ! (cd -- "$work" && mvn -q -B dependency:copy-dependencies \
    -DoutputDirectory="$work/lib") >"$work/mvn.log" 2>&1; then
    cat -- "$work/mvn.log" >&2
    rm -rf -- "$work"
    die "Neo4j $NEO4J_VERSION could not be resolved from Maven Central (Maven's output is above); check that Maven can reach Maven Central, then retry"
  fi
  mv -T -- "$work/lib" "$NEO4J_LIB"
  rm -rf -- "$work"
}

write_neo4j_conf() {
  local text placeholder
  mkdir -p -- "$NEO4J_DIR/conf" "$NEO4J_DIR/data" "$NEO4J_DIR/logs" \
    "$NEO4J_DIR/run"
  text=$(<"$STACK_DIR/neo4j/neo4j.conf.template")
  # Quoted replacements, so that an '&' in a path stays literal.
  text=${text//@BOLT_PORT@/"$NEO4J_BOLT_PORT"}
  text=${text//@HTTP_PORT@/"$NEO4J_HTTP_PORT"}
  text=${text//@DATA_DIR@/"$NEO4J_DIR/data"}
  text=${text//@LOGS_DIR@/"$NEO4J_DIR/logs"}
  text=${text//@RUN_DIR@/"$NEO4J_DIR/run"}
  if [[ $text =~ @[A-Z_]+@ ]]; then
    placeholder=${BASH_REMATCH[0]}
    die "stack/neo4j/neo4j.conf.template has the placeholder $placeholder, which stack.sh does not fill in; add it to write_neo4j_conf or remove it"
  fi
  printf '%s\n' "$text" >"$NEO4J_DIR/conf/neo4j.conf"
}

# Set the password of the user neo4j, which Neo4j only accepts before the
# first start has created the databases.
set_initial_password() {
  local output
  [[ -d $NEO4J_DIR/data/databases ]] && return
  if ! output=$(NEO4J_HOME=$NEO4J_DIR NEO4J_CONF=$NEO4J_DIR/conf \
    java -cp "$NEO4J_LIB/*" org.neo4j.cli.AdminTool \
    dbms set-initial-password "$NEO4J_PASSWORD" 2>&1); then
    printf '%s\n' "$output" >&2
    die "setting the initial Neo4j password failed (Neo4j's output is above); Neo4j requires at least 8 characters, so check neo4j.password, then retry"
  fi
}

launch_neo4j() {
  local log=$NEO4J_DIR/logs/console.log
  rotate_log "$log"
  # Neo4j's memory guide recommends equal initial and maximum heap sizes, to
  # avoid full garbage collection pauses. The --add-opens flags come from the
  # server.jvm.additional defaults of Neo4j 5.26's own neo4j.conf: without them
  # the page cache and the transaction logs log warnings and fall back to
  # slower paths. nohup and </dev/null let Neo4j outlive this script.
  nohup java -Xms"$NEO4J_HEAP" -Xmx"$NEO4J_HEAP" \
    --add-opens=java.base/java.nio=ALL-UNNAMED \
    --add-opens=java.base/java.io=ALL-UNNAMED \
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
    -cp "$NEO4J_LIB/*" org.neo4j.server.CommunityEntryPoint \
    --home-dir="$NEO4J_DIR" --config-dir="$NEO4J_DIR/conf" --console-mode \
    >>"$log" 2>&1 </dev/null &
  printf '%s\n' "$!" >"${PID_FILE[neo4j]}"
}

neo4j_timed_out() {
  local pid=$1 reason
  # The last line of a traceback names the exception.
  reason=$(grep -v '^[[:space:]]*$' "$2" | tail -n 1)
  show_log_tail "$NEO4J_DIR/logs/console.log" 50
  warn "the last readiness check failed with: ${reason:-no message}"
  warn "if Neo4j is only slow, raise FATE_LINEAGE_NEO4J_START_TIMEOUT (now ${NEO4J_START_TIMEOUT}s)"
  warn "if the login was rejected, neo4j.password changed after the first start: run 'stack/stack.sh stop', delete $NEO4J_DIR/data, then start again"
  die "neo4j: timed out after ${NEO4J_START_TIMEOUT}s waiting for a Bolt login on 127.0.0.1:$NEO4J_BOLT_PORT; Neo4j (pid $pid) keeps running until 'stack/stack.sh stop'"
}

# Wait until Neo4j accepts the configured credentials over Bolt. Stop waiting
# as soon as the Java process exits, because it will not recover.
wait_for_neo4j() {
  local pid=$1 log=$NEO4J_DIR/logs/console.log
  local reason_file=$NEO4J_DIR/readiness.err
  local deadline=$((SECONDS + NEO4J_START_TIMEOUT))
  until "$VENV/bin/python" -m fate_lineage.readiness neo4j >/dev/null \
    2>"$reason_file"; do
    if ! is_our_process "$pid" "${COMMAND_PATTERN[neo4j]}"; then
      show_log_tail "$log" 50
      rm -f -- "${PID_FILE[neo4j]}"
      die "neo4j: Neo4j (pid $pid) exited while starting; read its console log above"
    fi
    if ((SECONDS >= deadline)); then
      neo4j_timed_out "$pid" "$reason_file"
    fi
    sleep 1
  done
}

# Print the HTTP status of Neo4j Browser, or 000 when the request failed.
browser_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    "http://127.0.0.1:$NEO4J_HTTP_PORT/browser/" || true
}

report_neo4j_browser() {
  local url=http://127.0.0.1:$NEO4J_HTTP_PORT/browser/ code
  code=$(browser_status)
  if [[ $code == 200 ]]; then
    say "neo4j: Neo4j Browser at $url"
  else
    say "neo4j: Neo4j Browser is not served at $url (HTTP status $code); Bolt works without it"
  fi
}

start_neo4j() {
  local pid address
  address="bolt://127.0.0.1:$NEO4J_BOLT_PORT http://127.0.0.1:$NEO4J_HTTP_PORT"
  if pid=$(service_pid neo4j); then
    say "neo4j: already running, pid $pid, $(service_address neo4j)"
    return
  fi
  remove_stale_pid_file neo4j
  require_free_port neo4j "$NEO4J_BOLT_PORT" neo4j.uri
  require_free_port neo4j "$NEO4J_HTTP_PORT" FATE_LINEAGE_NEO4J_HTTP_PORT

  require_java_17
  ensure_neo4j_jars
  write_neo4j_conf
  set_initial_password
  launch_neo4j
  pid=$(<"${PID_FILE[neo4j]}")
  wait_for_neo4j "$pid"

  record_address neo4j "$address"
  say "neo4j: listening on $address, pid $pid, log $NEO4J_DIR/logs/console.log"
  report_neo4j_browser
}

# ---------------------------------------------------------------- api

api_timed_out() {
  local log=$STATE/api/error.log
  if [[ -s $log ]]; then
    show_log_tail "$log" 50
  else
    # After --daemon, gunicorn's stderr goes nowhere until it opens its log.
    warn "gunicorn wrote nothing to $log, so it failed before opening it; run the gunicorn command of start_api in stack.sh without --daemon to see the error"
  fi
  die "api: timed out after ${API_START_TIMEOUT}s waiting for a success status from $1; run 'stack/stack.sh stop' before the next start"
}

wait_for_api() {
  local url=$1 deadline=$((SECONDS + API_START_TIMEOUT)) pid=''
  until curl -fsS --max-time 2 -o /dev/null "$url" 2>/dev/null; do
    # gunicorn writes its PID file after it forks and deletes it when its
    # master exits, so a PID seen once and then gone means the API died.
    [[ -z $pid && -f ${PID_FILE[api]} ]] && pid=$(<"${PID_FILE[api]}")
    if [[ -n $pid ]] && ! is_our_process "$pid" "${COMMAND_PATTERN[api]}"; then
      show_log_tail "$STATE/api/error.log" 50
      die "api: gunicorn (pid $pid) exited while starting; read its error log above"
    fi
    if ((SECONDS >= deadline)); then
      api_timed_out "$url"
    fi
    sleep 0.5
  done
}

# Set GUNICORN_CONTROL_SOCKET to the option that puts gunicorn's control
# socket under the state folder. gunicorn 26 and newer open one in
# ~/.gunicorn by default, and older releases reject the option.
find_control_socket_option() {
  local help
  help=$("$VENV/bin/gunicorn" --help)
  GUNICORN_CONTROL_SOCKET=()
  if [[ $help == *--control-socket* ]]; then
    GUNICORN_CONTROL_SOCKET=(--control-socket "$STATE/api/gunicorn.ctl")
  fi
}

start_api() {
  local pid address="http://$API_HOST:$API_PORT" dir=$STATE/api
  if pid=$(service_pid api); then
    say "api: already running, pid $pid, $(service_address api)"
    return
  fi
  remove_stale_pid_file api
  require_free_port api "$API_PORT" fateflow.http_port

  mkdir -p -- "$dir"
  rotate_log "$dir/error.log"
  find_control_socket_option
  # The config module reads the bind address from the service settings.
  "$VENV/bin/gunicorn" --config python:fate_lineage.api.gunicorn_conf --daemon \
    --pid "${PID_FILE[api]}" --access-logfile "$dir/access.log" \
    --error-logfile "$dir/error.log" "${GUNICORN_CONTROL_SOCKET[@]}" \
    "fate_lineage.api.app:create_app()" ||
    die "gunicorn failed to start the API (its message is above)"
  wait_for_api "$address/healthz"

  record_address api "$address"
  say "api: listening on $address, pid $(service_pid api), logs $dir/error.log and $dir/access.log"
}

# ---------------------------------------------------------------- commands

cmd_start() {
  check_stack_options
  cmd_install
  load_redis_settings
  load_neo4j_settings
  load_api_settings
  start_redis
  start_neo4j
  start_api
}

# Stop service NAME by the PID in its PID file: SIGTERM, then SIGKILL if it
# has not exited within its stop timeout.
stop_service() {
  local name=$1 pattern=${COMMAND_PATTERN[$1]} timeout=${STOP_TIMEOUT[$1]} pid
  if ! pid=$(service_pid "$name"); then
    if [[ -f ${PID_FILE[$name]} ]]; then
      remove_stale_pid_file "$name"
    else
      say "$name: not running"
    fi
    return
  fi

  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_for_exit "$pid" "$pattern" "$timeout"; then
    warn "$name (pid $pid) was still running ${timeout}s after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_for_exit "$pid" "$pattern" 10 ||
      die "$name (pid $pid) is still running after SIGKILL; its PID file ${PID_FILE[$name]} is kept"
  fi
  rm -f -- "${PID_FILE[$name]}"
  say "$name: stopped (pid $pid)"
}

cmd_stop() {
  local index
  for ((index = ${#SERVICES[@]} - 1; index >= 0; index--)); do
    stop_service "${SERVICES[index]}"
  done
}

cmd_status() {
  local name pid all_running=true
  for name in "${SERVICES[@]}"; do
    if pid=$(service_pid "$name"); then
      printf '%-6s running  pid %-8s %s\n' "$name" "$pid" "$(service_address "$name")"
    else
      printf '%-6s stopped\n' "$name"
      all_running=false
    fi
  done
  # 3 is the LSB status code for "not running".
  [[ $all_running == true ]] || exit 3
}

cmd_test() {
  local status=0
  cmd_start
  cd -- "$REPO_DIR"
  "$VENV/bin/python" -m pytest tests "$@" || status=$?
  if ((status == 5)); then
    die "pytest ran no tests (exit code 5: none collected, or all deselected), so nothing was checked; add tests under tests/ or fix the arguments: $*"
  fi
  exit "$status"
}

main() {
  local command=${1:-}
  (($# > 0)) && shift
  if [[ $command != test && $# -gt 0 ]]; then
    usage >&2
    die "'$command' takes no arguments, but got: $*"
  fi
  case $command in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    test) cmd_test "$@" ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      warn "unknown command '$command'"
      exit 2
      ;;
  esac
}

main "$@"
