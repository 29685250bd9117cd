#!/usr/bin/env bash
# Run fate-lineage's local stack without Docker: Redis, Neo4j and the API, each
# a process of our own on 127.0.0.1, with all their files under one folder.
#
# Usage: stack/stack.sh install | start | stop [SERVICE...] | status
#                       | test [PYTEST_ARGS...]
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

# shellcheck source=stack/lib/common.sh
source "$STACK_DIR/lib/common.sh"
# shellcheck source=stack/lib/redis.sh
source "$STACK_DIR/lib/redis.sh"
# shellcheck source=stack/lib/neo4j.sh
source "$STACK_DIR/lib/neo4j.sh"
# shellcheck source=stack/lib/api.sh
source "$STACK_DIR/lib/api.sh"
APT_LOG=$STATE/apt-get.log

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
    die "could not read the service settings (the reason is above); fix the settings file or the FATE_LINEAGE__ variable it names"
}

# Print the host:port part of URL, without scheme, credentials or path.
url_authority() {
  local authority=${1#*://}
  authority=${authority%%[/?#]*}
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
  # The patterns bound the digits before bash does arithmetic on them, because
  # bash reads a leading 0 as octal and wraps numbers past 2^63.
  if [[ ! $NEO4J_HTTP_PORT =~ ^[1-9][0-9]{0,4}$ ]] ||
    ((NEO4J_HTTP_PORT > 65535)); then
    die "FATE_LINEAGE_NEO4J_HTTP_PORT is '$NEO4J_HTTP_PORT', which is not a TCP port; use a number from 1 to 65535, such as 7474"
  fi
  if [[ ! $NEO4J_START_TIMEOUT =~ ^[1-9][0-9]{0,5}$ ]]; then
    die "FATE_LINEAGE_NEO4J_START_TIMEOUT is '$NEO4J_START_TIMEOUT', which is not a whole number of seconds from 1 to 999999; use one such as 120"
  fi
}

# ---------------------------------------------------------------- commands

usage() {
  cat <<'EOF'
usage: stack/stack.sh COMMAND

  install               create the virtualenv and install the package into it
  start                 install, then start Redis, Neo4j and the API
  stop [SERVICE...]     stop what start started, in reverse order; SERVICE is
                        redis, neo4j or api (default: all three)
  status                show each service; exit 0 if all run, 3 otherwise
  test [PYTEST_ARGS]    start, then run pytest (on tests/ unless given paths)
EOF
}

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

# Stop the named services, or all of them, in the reverse of the start order.
cmd_stop() {
  local index name
  for name in "$@"; do
    [[ -v PID_FILE[$name] ]] ||
      die "unknown service '$name'; stop takes redis, neo4j or api"
  done
  for ((index = ${#SERVICES[@]} - 1; index >= 0; index--)); do
    name=${SERVICES[index]}
    if (($# == 0)) || [[ " $* " == *" $name "* ]]; then
      stop_service "$name"
    fi
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
  # pyproject.toml sets testpaths to tests/, so paths given here narrow the
  # run and options alone apply to the whole suite.
  "$VENV/bin/python" -m pytest "$@" || status=$?
  if ((status == 5)); then
    die "pytest ran no tests (exit code 5: none collected, or all deselected), so nothing was checked; add tests under tests/ or fix the arguments: $*"
  fi
  exit "$status"
}

# Hold an exclusive lock on the state folder until this script exits, so two
# runs never start, stop or install at the same time. The lock is on file
# descriptor 9, which every service is launched without (9>&-), or the
# service would hold the lock after the script exits.
take_lock() {
  mkdir -p -- "$STATE"
  exec 9>"$STATE/stack.lock"
  flock -n 9 ||
    die "another stack.sh is running a command on $STATE; wait for it to finish, then retry '$1'"
}

main() {
  local command=${1:-}
  (($# > 0)) && shift
  if [[ $command != test && $command != stop && $# -gt 0 ]]; then
    usage >&2
    die "'$command' takes no arguments, but got: $*"
  fi
  case $command in
    install | start | stop | test) take_lock "$command" ;;
  esac
  case $command in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop "$@" ;;
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
