#!/usr/bin/env bash
# Messages, process checks and package installs shared by the stack.
# Sourced by stack/stack.sh, which sets the variables used here.

# ---------------------------------------------------------------- messages

say() { printf '%s\n' "$*"; }

warn() { printf 'stack.sh: %s\n' "$*" >&2; }

die() {
  warn "$*"
  exit 1
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

# Succeed, saying so, when service NAME already runs. Otherwise remove its
# stale PID file, if any, and fail, so that the caller starts it.
is_already_running() {
  local name=$1 pid
  if pid=$(service_pid "$name"); then
    say "$name: already running, pid $pid, $(service_address "$name")"
    return 0
  fi
  remove_stale_pid_file "$name"
  return 1
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
