#!/usr/bin/env bash
# Start the stack's Neo4j Community from jars fetched with Maven.
# Sourced by stack/stack.sh, which sets the variables used here.

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
  local output status=0 argument_file=$NEO4J_DIR/initial-password.args quoted
  [[ -d $NEO4J_DIR/data/databases ]] && return

  # neo4j-admin reads arguments from an @file (a picocli feature), which keeps
  # the password out of the process list. Inside double quotes, a backslash
  # and a double quote must be escaped. The leading -- lets a password start
  # with a dash without being read as an option.
  quoted=${NEO4J_PASSWORD//\\/\\\\}
  quoted=${quoted//\"/\\\"}
  (umask 077 && printf -- '-- "%s"\n' "$quoted" >"$argument_file")
  output=$(NEO4J_HOME=$NEO4J_DIR NEO4J_CONF=$NEO4J_DIR/conf \
    java -cp "$NEO4J_LIB/*" org.neo4j.cli.AdminTool \
    dbms set-initial-password "@$argument_file" 2>&1) || status=$?
  rm -f -- "$argument_file"

  if ((status != 0)); then
    printf '%s\n' "$output" >&2
    die "setting the initial Neo4j password failed (Neo4j's output is above); fix neo4j.password as it says (Neo4j requires at least 8 characters), then retry"
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
  nohup java -Xms"$NEO4J_HEAP" -Xmx"$NEO4J_HEAP" 9>&- \
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
  die "neo4j: timed out after ${NEO4J_START_TIMEOUT}s waiting for a Bolt login on 127.0.0.1:$NEO4J_BOLT_PORT; Neo4j (pid $pid) keeps running until 'stack/stack.sh stop'"
}

# Wait until Neo4j accepts the configured credentials over Bolt. Stop waiting
# as soon as the Java process exits, because it will not recover.
wait_for_neo4j() {
  local pid=$1 log=$NEO4J_DIR/logs/console.log
  local reason_file=$NEO4J_DIR/readiness.err
  local deadline=$((SECONDS + NEO4J_START_TIMEOUT)) status
  while true; do
    status=0
    "$VENV/bin/python" -m fate_lineage.readiness neo4j >/dev/null \
      2>"$reason_file" || status=$?
    ((status == 0)) && return
    # Exit status 3: Neo4j responded but rejected the login or the database name.
    if ((status == 3)); then
      warn "$(<"$reason_file")"
      die "neo4j: Neo4j rejected the settings (the reason is above); fix the setting it names. A rejected login after the first start means neo4j.password changed: set it back to the first password, or, to start over with an empty graph, run 'stack/stack.sh stop neo4j' and delete $NEO4J_DIR/data"
    fi
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
  is_already_running neo4j && return
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
