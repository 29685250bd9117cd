#!/usr/bin/env bash
# Start the stack's Redis: its own redis-server process with AOF on.
# Sourced by stack/stack.sh, which sets the variables used here.

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
  local address log=$STATE/redis/redis.log
  address="redis://127.0.0.1:$REDIS_PORT"
  is_already_running redis && return
  require_free_port redis "$REDIS_PORT" redis.url

  # Our own redis-server process, never the system service that the Debian
  # package installs.
  command -v redis-server >/dev/null || apt_install redis-server
  write_redis_conf
  rotate_log "$log"
  # redis-server prints config errors to stderr before it opens its log file.
  redis-server "$STATE/redis/redis.conf" >>"$log" 2>&1 9>&- || {
    show_log_tail "$log" 30
    die "redis-server failed to start with $STATE/redis/redis.conf; read its log above"
  }
  wait_for_redis

  record_address redis "$address"
  say "redis: listening on $address, pid $(service_pid redis), log $log"
}
