#!/usr/bin/env bash
# Records the golden data: real Debezium 3.6.1.Final on Apache Kafka Connect 4.4.0 against the
# local MariaDB, every record it writes and its offsets, into compat/debezium/golden/<connector>/.
#
#   compat/debezium/run.sh [mariadb|mariadb-modes|mysql|all]     (default: all)
#
# For each connector (io.debezium.connector.mariadb.MariaDbConnector, then
# io.debezium.connector.mysql.MySqlConnector): a fresh Kafka broker, the database compat made anew
# (setup.sql), a standalone Kafka Connect worker with the Debezium plugin and JsonConverter (schemas
# on) for keys and values, the connector (connector.json) created over REST; once its snapshot is
# done and it reads the binlog, stream.sql; once the last change is in Kafka, every topic and the
# connector's offsets are written out. A connector that fails leaves its reason in
# golden/<connector>/FAILED.txt instead; the run fails only when the MariaDB connector does.
# Everything the script started is stopped at its end (MariaDB only if it started it).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../scripts/lib.sh"
. "$here/../../scripts/databases.sh"

which=${1:-all}
case $which in
  mariadb | mysql | mariadb-modes) connectors=("$which") ;;
  all) connectors=(mariadb mariadb-modes mysql) ;;
  *) echo "usage: run.sh [mariadb|mariadb-modes|mysql|all]" >&2; exit 2 ;;
esac
WAIT=${DEBEZIUM_WAIT:-180} # seconds to wait for each phase
started=$SECONDS

CONNECT_PID="" KAFKA_PID="" WORKDIR=""
cleanup() {
  local status=$?
  if [ -n "$CONNECT_PID" ]; then
    log "stopping Kafka Connect (pid $CONNECT_PID)"
    kill "$CONNECT_PID" 2>/dev/null || true
    wait "$CONNECT_PID" 2>/dev/null || true
    CONNECT_PID=""
  fi
  if [ -n "$KAFKA_PID" ]; then
    log "stopping Kafka (pid $KAFKA_PID)"
    stop_kafka "$KAFKA_PID"
    KAFKA_PID=""
  fi
  if [ -n "$WORKDIR" ]; then rm -rf "$WORKDIR"; WORKDIR=""; fi
  stop_databases_we_started || true
  return "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "making sure of Kafka $KAFKA_VERSION's jars and Debezium's plugins"
ensure_kafka
"$here/fetch.sh" all
plugins=${DEBEZIUM_PLUGINS:-$FERRY_CACHE/debezium-3.6.1/plugins}

log "making sure of MariaDB on 127.0.0.1:3306"
ensure_mariadb
MARIADB_VERSION=$(_ferry_mariadb_root -e 'SELECT VERSION()')

# Debezium's binlog connectors need these global privileges; ferry usually has ALL PRIVILEGES.
log "checking the privileges Debezium needs (SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT, LOCK TABLES) for ferry"
for host in '%' '127.0.0.1' 'localhost'; do
  have=$(_ferry_mariadb_root -e "SELECT COUNT(*) FROM mysql.user WHERE User = 'ferry' AND Host = '$host'
    AND Select_priv = 'Y' AND Reload_priv = 'Y' AND Show_db_priv = 'Y' AND Repl_slave_priv = 'Y'
    AND Repl_client_priv = 'Y' AND Lock_tables_priv = 'Y'")
  exists=$(_ferry_mariadb_root -e "SELECT COUNT(*) FROM mysql.user WHERE User = 'ferry' AND Host = '$host'")
  if [ "$exists" = 1 ] && [ "$have" = 0 ]; then
    log "granting them to 'ferry'@'$host'"
    _ferry_mariadb_root -e "GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT,
      LOCK TABLES ON *.* TO 'ferry'@'$host'"
  fi
done

sql() { mariadb --default-character-set=utf8mb4 -h127.0.0.1 -P3306 -uferry -pferry "$@"; }
dump() { python3 "$here/dump.py" "$@"; }

# count TOPIC: the records in TOPIC (0 when it does not exist yet).
count() {
  dump topics "$KAFKA_BOOTSTRAP" | awk -F'\t' -v t="$1" '$1 == t { n = $2 } END { print n + 0 }'
}

# connector_failed: the connector's or its task's trace when either is FAILED (else nothing).
connector_state() {
  curl -s "$REST/connectors/golden/status" || true
}
connector_failed() {
  connector_state | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for part in [s.get("connector", {})] + s.get("tasks", []):
    if part.get("state") == "FAILED":
        print(part.get("trace", "FAILED without a trace"))
        break'
}

# offsets: the connector's offsets as Kafka Connect's REST API gives them, on one line.
offsets() {
  curl -s -f "$REST/connectors/golden/offsets" | python3 -c '
import json, sys
print(json.dumps(json.load(sys.stdin), ensure_ascii=False, sort_keys=True))'
}

# snapshot_count CONNECTOR.json DB.TABLE: the SQL counting the rows a snapshot of DB.TABLE reads
# (none outside snapshot.include.collection.list; snapshot.select.statement.overrides honoured).
snapshot_count() {
  python3 - "$1" "$2" <<'PY'
import json, re, sys
config = json.load(open(sys.argv[1]))["config"]
table = sys.argv[2]
include = config.get("snapshot.include.collection.list")
if include and not any(re.fullmatch(p.strip(), table, re.I) for p in include.split(",")):
    print("SELECT 0")
elif table in [t.strip() for t in config.get("snapshot.select.statement.overrides", "").split(",")]:
    print(f"SELECT COUNT(*) FROM ({config['snapshot.select.statement.overrides.' + table]}) AS chosen")
else:
    print(f"SELECT COUNT(*) FROM {table}")
PY
}

# run_connector NAME CLASS: one recording. Returns 1 when the connector failed.
run_connector() {
  local name=$1 class=$2 out=$here/golden/$1
  local t0=$SECONDS
  log "=== $class ($name) ==="
  rm -rf "$out"
  mkdir -p "$out"

  WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/debezium-golden.XXXXXX")
  log "starting a fresh Kafka broker"
  start_kafka "$WORKDIR/kafka"

  log "creating the database compat and its rows for the snapshot (setup.sql)"
  sql <"$here/setup.sql"
  local snap_all snap_cust

  local port
  port=$(free_port)
  REST=http://127.0.0.1:$port
  cat >"$WORKDIR/worker.properties" <<PROPS
bootstrap.servers=$KAFKA_BOOTSTRAP
listeners=$REST
plugin.path=$plugins
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=true
value.converter.schemas.enable=true
offset.storage.file.filename=$WORKDIR/connect.offsets
offset.flush.interval.ms=1000
PROPS
  log "starting Kafka Connect $KAFKA_VERSION (standalone, REST on $REST, log in $WORKDIR/connect.log)"
  "$FERRY_SCRIPTS/kafka/connect.sh" standalone "$WORKDIR/worker.properties" >"$WORKDIR/connect.log" 2>&1 &
  CONNECT_PID=$!
  local ok=0
  for _ in $(seq $((WAIT * 2))); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$REST/health" || true)" = 200 ]; then ok=1; break; fi
    kill -0 "$CONNECT_PID" 2>/dev/null || break
    sleep 0.5
  done
  if [ "$ok" = 0 ]; then
    log "Kafka Connect did not become ready; the end of its log:"
    tail -n 40 "$WORKDIR/connect.log" >&2
    return 2
  fi
  log "Kafka Connect is ready; plugins: $(curl -s "$REST/connector-plugins" | python3 -c 'import json,sys; print(", ".join(p["class"] + " " + p["version"] for p in json.load(sys.stdin) if "debezium" in p["class"]))')"

  log "creating the connector golden ($class; connector.json)"
  sed -e "s|@CLASS@|$class|" -e "s|@BOOTSTRAP@|$KAFKA_BOOTSTRAP|" "$here/connector.json" >"$WORKDIR/connector.json"
  if [ -f "$here/connector-$name.json" ]; then
    log "with the settings of connector-$name.json"
    python3 - "$WORKDIR/connector.json" "$here/connector-$name.json" <<'PY'
import json, sys
path, extra = sys.argv[1], sys.argv[2]
connector = json.load(open(path))
connector["config"].update(json.load(open(extra)))
json.dump(connector, open(path, "w"), indent=2)
PY
  fi
  # The rows the snapshot reads, as the connector's settings choose them.
  snap_all=$(sql -N -B -e "$(snapshot_count "$WORKDIR/connector.json" compat.all_types)")
  snap_cust=$(sql -N -B -e "$(snapshot_count "$WORKDIR/connector.json" compat.customers)")
  local code
  code=$(curl -s -o "$WORKDIR/create.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data @"$WORKDIR/connector.json" "$REST/connectors" || true)
  if [ "$code" != 201 ]; then
    log "$class: Kafka Connect refused the connector (HTTP $code: $(cat "$WORKDIR/create.out")); the causes in its log:"
    grep -E '^(Caused by|[a-z.]*Exception)|ERROR' "$WORKDIR/connect.log" | grep -v 'Failed to discover Converter\|CloudEventsConverter\|JsonConverter.convertToConnect\|ExceptionInInitializerError' \
      | sort -u | head -n 8 | cut -c1-400 >&2 || true
    {
      echo "Debezium 3.6.1.Final $class against MariaDB $MARIADB_VERSION, Kafka Connect $KAFKA_VERSION: FAILED"
      echo
      echo "POST /connectors answered HTTP $code: $(cat "$WORKDIR/create.out")"
      echo
      echo "The worker's log, its errors and their causes:"
      grep -E '^(Caused by|[a-z.]*Exception)|ERROR' "$WORKDIR/connect.log" | grep -v 'Failed to discover Converter\|CloudEventsConverter\|JsonConverter.convertToConnect\|ExceptionInInitializerError' \
        | sed -E 's/^\[[0-9 :,-]+\] //' | sort -u || true
    } >"$out/FAILED.txt"
    stop_run
    return 1
  fi

  log "waiting for the snapshot ($snap_all + $snap_cust rows) and for the connector to read the binlog"
  local failed="" streaming=0 n_all=0 n_cust=0
  for _ in $(seq "$WAIT"); do
    failed=$(connector_failed)
    [ -z "$failed" ] || break
    if grep -q 'Connected to binlog at' "$WORKDIR/connect.log"; then streaming=1; fi
    if [ "$streaming" = 1 ]; then
      n_all=$(count golden.compat.all_types)
      n_cust=$(count golden.compat.customers)
      if [ "$n_all" -ge "$snap_all" ] && [ "$n_cust" -ge "$snap_cust" ]; then break; fi
    fi
    sleep 1
  done
  if [ -z "$failed" ] && { [ "$streaming" = 0 ] || [ "$n_all" -lt "$snap_all" ] || [ "$n_cust" -lt "$snap_cust" ]; }; then
    failed="no snapshot within ${WAIT}s (streaming=$streaming, records: all_types $n_all, customers $n_cust); status: $(connector_state)"
  fi
  if [ -n "$failed" ]; then
    log "$class FAILED against MariaDB $MARIADB_VERSION:"
    printf '%s\n' "$failed" | head -n 12 >&2
    {
      echo "Debezium 3.6.1.Final $class against MariaDB $MARIADB_VERSION, Kafka Connect $KAFKA_VERSION: FAILED"
      echo
      printf '%s\n' "$failed"
      echo
      echo "The connector's log, its ERROR lines:"
      grep -E 'ERROR' "$WORKDIR/connect.log" | head -n 20 || true
    } >"$out/FAILED.txt"
    stop_run
    return 1
  fi
  log "snapshot done ($n_all all_types and $n_cust customers records) and the connector reads the binlog ($(grep -m1 -o 'Connected to binlog at [^,]*' "$WORKDIR/connect.log"))"

  sleep 3 # offset.flush.interval.ms=1000: let the worker write the snapshot's offsets
  log "writing the connector's offsets after the snapshot (GET /connectors/golden/offsets)"
  offsets >"$out/offsets.snapshot.json"

  log "running the streaming changes (stream.sql)"
  sql <"$here/stream.sql"
  log "waiting for the last change (customers id 99) to reach Kafka"
  local done=0
  for _ in $(seq $((WAIT / 3))); do
    if dump topic "$KAFKA_BOOTSTRAP" golden.compat.customers | python3 -c '
import json, sys
for line in sys.stdin:
    v = json.loads(line)["value"]
    after = (v or {}).get("payload", {}).get("after") or {}
    if after.get("id") == 99:
        sys.exit(0)
sys.exit(1)'; then done=1; break; fi
    failed=$(connector_failed)
    [ -z "$failed" ] || break
    sleep 2
  done
  if [ "$done" = 0 ]; then
    log "the streaming events did not all arrive: ${failed:-timed out}"
    printf '%s\n' "streaming FAILED: ${failed:-timed out}" >"$out/FAILED.txt"
    stop_run
    return 1
  fi
  sleep 3 # offset.flush.interval.ms=1000: let the worker write the last offsets

  log "writing the connector's offsets at the end (GET /connectors/golden/offsets)"
  offsets >"$out/offsets.json"
  log "dumping every topic the connector wrote"
  local topic n
  while IFS=$'\t' read -r topic n; do
    dump topic "$KAFKA_BOOTSTRAP" "$topic" "$out/$topic.jsonl"
    log "  $topic: $n records -> golden/$name/$topic.jsonl"
  done < <(dump topics "$KAFKA_BOOTSTRAP")
  cat >"$out/info.json" <<INFO
{"connector.class": "$class", "debezium": "3.6.1.Final", "plugin": "$(cat "$plugins/${name%-modes}/HOW")", "kafka.connect": "$KAFKA_VERSION", "mariadb": "$MARIADB_VERSION", "converter": "org.apache.kafka.connect.json.JsonConverter (schemas.enable=true) for keys and values"}
INFO
  stop_run
  log "$class: done in $((SECONDS - t0))s"
}

# stop_run: stops this recording's worker and broker and removes its folder.
stop_run() {
  if [ -n "$CONNECT_PID" ]; then
    log "stopping Kafka Connect"
    kill "$CONNECT_PID" 2>/dev/null || true
    wait "$CONNECT_PID" 2>/dev/null || true
    CONNECT_PID=""
  fi
  if [ -n "$KAFKA_PID" ]; then
    log "stopping Kafka"
    stop_kafka "$KAFKA_PID"
    KAFKA_PID=""
  fi
  rm -rf "$WORKDIR"
  WORKDIR=""
}

status=0
for c in "${connectors[@]}"; do
  case $c in
    mariadb | mariadb-modes) class=io.debezium.connector.mariadb.MariaDbConnector ;;
    mysql) class=io.debezium.connector.mysql.MySqlConnector ;;
  esac
  if run_connector "$c" "$class"; then
    log "golden data of $class in $here/golden/$c/"
  else
    rc=$?
    if [ "$c" = mariadb ] || [ "$rc" -ge 2 ]; then status=1; fi
    log "no golden data from $class (see golden/$c/FAILED.txt)"
  fi
done
log "all done in $((SECONDS - started))s"
exit "$status"
