#!/usr/bin/env bash
# Start the API under gunicorn.
# Sourced by stack/stack.sh, which sets the variables used here.

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
  local address="http://$API_HOST:$API_PORT" dir=$STATE/api
  is_already_running api && return
  require_free_port api "$API_PORT" fateflow.http_port

  mkdir -p -- "$dir"
  rotate_log "$dir/error.log"
  find_control_socket_option
  # The config module reads the bind address from the service settings.
  "$VENV/bin/gunicorn" --config python:fate_lineage.api.gunicorn_conf --daemon 9>&- \
    --pid "${PID_FILE[api]}" --access-logfile "$dir/access.log" \
    --error-logfile "$dir/error.log" "${GUNICORN_CONTROL_SOCKET[@]}" \
    "fate_lineage.api.app:create_app()" ||
    die "gunicorn failed to start the API (its message is above)"
  wait_for_api "$address/healthz"

  record_address api "$address"
  say "api: listening on $address, pid $(service_pid api), logs $dir/error.log and $dir/access.log"
}
