#!/usr/bin/env bash
# Records what Debezium's JDBC sink connector (io.debezium.connector.jdbc.JdbcSinkConnector) on
# Apache Kafka Connect 4.4.0 makes of the golden MariaDB change events (golden/mariadb/
# golden.compat.all_types.jsonl and golden.compat.customers.jsonl) in the local PostgreSQL and
# MariaDB: the tables it creates and the rows it leaves, into golden/jdbc-postgres/ and
# golden/jdbc-mariadb/.
#
#   compat/debezium/run-jdbc.sh [postgres|mariadb|all]     (default: all)
#
# Two rounds, each with a fresh Kafka broker and a fresh standalone Kafka Connect worker:
#   1. "full": every golden record, as recorded. Debezium's sink fails on all_types there (a TIME
#      outside 00:00..24:00 cannot become a java.time.LocalTime), so this round only records why,
#      in notes.txt, and what the tables held when the task died.
#   2. "recorded": the golden records less those all_types records the sink cannot write (listed
#      in info.json as "skipped"), with one connector per topic (jdbc-<db>-all_types, then
#      jdbc-<db>-customers), so that a table the sink cannot create (all_types on MariaDB) does
#      not stop the other. Its tables and rows are the reference.
# In each round the records are written to topics of the recorded names with Kafka's own
# ConsoleProducer (produce.py), and the sink runs into PostgreSQL (database jdbc_golden, schema
# public), then into MariaDB (database jdbc_golden, utf8mb4), each made anew, with
# connector-jdbc.json. The SQL the sink logs (CREATE and ALTER TABLE, at TRACE) goes to
# statements.<round>.sql, the log's WARN and ERROR lines to notes.txt.
# A sink is done when its consumer group (connect-<connector name>) has lag 0 on both topics
# (ConsumerGroupCommand), or when its task failed. Everything the script started is stopped at
# its end (the databases only if it started them).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../scripts/lib.sh"
. "$here/../../scripts/databases.sh"

which=${1:-all}
case $which in
  postgres | mariadb) targets=("$which") ;;
  all) targets=(postgres mariadb) ;;
  *) echo "usage: run-jdbc.sh [postgres|mariadb|all]" >&2; exit 2 ;;
esac
WAIT=${DEBEZIUM_WAIT:-180} # seconds to wait for a sink to take in every record
started=$SECONDS
TOPICS=(golden.compat.all_types golden.compat.customers)
INPUT=("$here/golden/mariadb/golden.compat.all_types.jsonl" "$here/golden/mariadb/golden.compat.customers.jsonl")
DB=jdbc_golden

CONNECT_PID="" KAFKA_PID="" WORKDIR=""
stop_round() {
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
}
cleanup() {
  local status=$?
  stop_round
  stop_databases_we_started || true
  return "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "making sure of Kafka $KAFKA_VERSION's jars and Debezium's JDBC sink plugin"
ensure_kafka
"$here/fetch.sh" jdbc
plugins=${DEBEZIUM_PLUGINS:-$FERRY_CACHE/debezium-3.6.1/plugins}

for t in "${targets[@]}"; do
  case $t in
    postgres) log "making sure of PostgreSQL on 127.0.0.1:5432"; ensure_postgres ;;
    mariadb) log "making sure of MariaDB on 127.0.0.1:3306"; ensure_mariadb ;;
  esac
done

# --- the databases -----------------------------------------------------------------------------

# pgq SQL / myq SQL: the commands the recording's text comes from (README: "JDBC sink reference").
pgq() {
  PGPASSWORD=ferry PGTZ=UTC PGDATESTYLE=ISO psql -X -h 127.0.0.1 -p 5432 -U ferry -d "$DB" \
    -v ON_ERROR_STOP=1 -A -F $'\t' -P footer=off -P null='\N' -c "$1"
}
myq() {
  mariadb -h127.0.0.1 -P3306 -uferry -pferry --default-character-set=utf8mb4 --batch \
    --binary-as-hex --init-command="SET time_zone = '+00:00'" "$DB" -e "$1"
}

# fresh_db TARGET: the database jdbc_golden, empty.
fresh_db() {
  case $1 in
    postgres)
      PGPASSWORD=ferry psql -X -q -h 127.0.0.1 -p 5432 -U ferry -d ferry -v ON_ERROR_STOP=1 \
        -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB OWNER ferry" 2>&1 | grep -v NOTICE >&2 || true
      ;;
    mariadb)
      mariadb -h127.0.0.1 -P3306 -uferry -pferry -e "DROP DATABASE IF EXISTS $DB;
        CREATE DATABASE $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
      ;;
  esac
}

db_version() {
  case $1 in
    postgres) pgq 'SHOW server_version' | tail -n 1 ;;
    mariadb) myq 'SELECT VERSION()' | tail -n 1 ;;
  esac
}

# The queries of the recording. Column names are aliased so both databases give the same header.
PG_COLUMNS="SELECT c.table_name, c.ordinal_position, c.column_name, c.data_type,
  format_type(a.atttypid, a.atttypmod) AS full_type, c.is_nullable, c.column_default
FROM information_schema.columns c
JOIN pg_catalog.pg_attribute a
  ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass AND a.attname = c.column_name
WHERE c.table_schema = 'public' AND c.table_name IN ('all_types', 'customers')
ORDER BY c.table_name, c.ordinal_position"
PG_PKEYS="SELECT tc.table_name, k.ordinal_position, k.column_name, tc.constraint_name
FROM information_schema.table_constraints tc
JOIN information_schema.key_column_usage k
  ON k.constraint_schema = tc.constraint_schema AND k.constraint_name = tc.constraint_name
 AND k.table_name = tc.table_name
WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = 'public'
  AND tc.table_name IN ('all_types', 'customers')
ORDER BY tc.table_name, k.ordinal_position"
MY_COLUMNS="SELECT table_name AS table_name, ordinal_position AS ordinal_position,
  column_name AS column_name, data_type AS data_type, column_type AS full_type,
  is_nullable AS is_nullable, column_default AS column_default
FROM information_schema.columns
WHERE table_schema = '$DB' AND table_name IN ('all_types', 'customers')
ORDER BY table_name, ordinal_position"
MY_PKEYS="SELECT table_name AS table_name, ordinal_position AS ordinal_position,
  column_name AS column_name, constraint_name AS constraint_name
FROM information_schema.key_column_usage
WHERE table_schema = '$DB' AND constraint_name = 'PRIMARY' AND table_name IN ('all_types', 'customers')
ORDER BY table_name, ordinal_position"

# record TARGET OUT: the tables' columns, primary keys, DDL and rows into OUT.
record() {
  local target=$1 out=$2 q table order
  mkdir -p "$out/rows"
  case $target in
    postgres) q=pgq; $q "$PG_COLUMNS" >"$out/columns.tsv"; $q "$PG_PKEYS" >"$out/primary_keys.tsv" ;;
    mariadb) q=myq; $q "$MY_COLUMNS" >"$out/columns.tsv"; $q "$MY_PKEYS" >"$out/primary_keys.tsv" ;;
  esac
  : >"$out/ddl.sql"
  for table in $(tail -n +2 "$out/columns.tsv" | cut -f1 | sort -u); do
    # ORDER BY the primary key's columns (all columns when there is none).
    order=$(awk -F'\t' -v t="$table" 'NR > 1 && $1 == t { printf "%s%s", sep, $3; sep = ", " }' "$out/primary_keys.tsv")
    [ -n "$order" ] || order=$(awk -F'\t' -v t="$table" 'NR > 1 && $1 == t { printf "%s%s", sep, $2; sep = ", " }' "$out/columns.tsv")
    $q "SELECT * FROM $table ORDER BY $order" >"$out/rows/$table.tsv"
    case $target in
      postgres)
        PGPASSWORD=ferry pg_dump -h 127.0.0.1 -p 5432 -U ferry -d "$DB" --schema-only --no-owner \
          --table="public.$table" | grep -v '^--\|^SET \|^SELECT pg_catalog.set_config\|^\\restrict\|^\\unrestrict' | cat -s >>"$out/ddl.sql"
        ;;
      mariadb) myq "SHOW CREATE TABLE $table" | tail -n 1 | cut -f2 | sed 's/\\n/\n/g' >>"$out/ddl.sql"; echo >>"$out/ddl.sql" ;;
    esac
    log "  $table: $(($(wc -l <"$out/rows/$table.tsv") - 1)) rows"
  done
}

# --- Kafka and Kafka Connect ---------------------------------------------------------------------

# start_round: a fresh broker and standalone worker (REST on $REST, log in $WORKDIR/connect.log).
start_round() {
  WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/debezium-jdbc.XXXXXX")
  # plugin.path names a folder of plugin folders: this one holds only the JDBC sink.
  mkdir -p "$WORKDIR/plugins"
  ln -s "$plugins/jdbc" "$WORKDIR/plugins/jdbc"
  log "starting a fresh Kafka broker"
  start_kafka "$WORKDIR/kafka"
  local port
  port=$(free_port)
  REST=http://127.0.0.1:$port
  cat >"$WORKDIR/worker.properties" <<PROPS
bootstrap.servers=$KAFKA_BOOTSTRAP
listeners=$REST
plugin.path=$WORKDIR/plugins
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
  for _ in $(seq $((WAIT * 2))); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$REST/health" || true)" = 200 ]; then
      # The SQL the sink runs: DefaultRecordWriter logs it at TRACE.
      curl -s -o /dev/null -X PUT -H 'Content-Type: application/json' --data '{"level": "TRACE"}' \
        "$REST/admin/loggers/io.debezium.connector.jdbc.DefaultRecordWriter"
      log "Kafka Connect is ready; JDBC sink: $(curl -s "$REST/connector-plugins" | python3 -c 'import json,sys; print(", ".join(p["class"] + " " + p["version"] for p in json.load(sys.stdin) if "jdbc" in p["class"]))')"
      return 0
    fi
    kill -0 "$CONNECT_PID" 2>/dev/null || break
    sleep 0.5
  done
  log "Kafka Connect did not become ready; the end of its log:"
  tail -n 40 "$WORKDIR/connect.log" >&2
  return 1
}

# connector_json TARGET NAME TOPICS: the connector as POSTed (connector-jdbc.json with the
# target's URL and the topics given, comma-separated).
connector_json() {
  local url
  case $1 in
    postgres) url="jdbc:postgresql://127.0.0.1:5432/$DB" ;;
    mariadb) url="jdbc:mariadb://127.0.0.1:3306/$DB" ;;
  esac
  python3 - "$here/connector-jdbc.json" "$2" "$url" "$3" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["connection.url"] = sys.argv[3]
config["topics"] = sys.argv[4]
print(json.dumps({"name": sys.argv[2], "config": config}, indent=2))
PY
}

# task_failed NAME: the trace of the connector's or its task's failure (else nothing).
task_failed() {
  curl -s "$REST/connectors/$1/status" | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for part in [s.get("connector", {})] + s.get("tasks", []):
    if part.get("state") == "FAILED":
        print(part.get("trace", "FAILED without a trace"))
        break' || true
}

# group_lag NAME TOPICS: "<topic> <committed>/<end>, ..." for each of the TOPICS
# (comma-separated) in the group connect-NAME, then 1 when all are caught up, else 0.
group_lag() {
  local topics=${2//,/ }
  java -Xmx256m -Dlog4j2.configurationFile="$FERRY_SCRIPTS/kafka/log4j2.properties" -cp "$KAFKA_LIBS/*" \
    org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server "$KAFKA_BOOTSTRAP" \
    --describe --group "connect-$1" 2>/dev/null | awk -v topics="$topics" '
      BEGIN { n = split(topics, want, " ") }
      $2 ~ /^golden\./ { cur[$2] = $4; end[$2] = $5 }
      END {
        ok = 1
        for (i = 1; i <= n; i++) {
          t = want[i]; c = (t in cur) ? cur[t] : "-"; e = (t in end) ? end[t] : "?"
          printf "%s %s/%s, ", t, c, e
          if (c != e || c == "-") ok = 0
        }
        print ok
      }'
}

# run_sink TARGET ROUND OUT NAME TOPICS: the connector NAME for TOPICS (comma-separated) into
# TARGET until it is done or failed. Prints the outcome ("done" or "failed") on stdout; appends
# the log's WARN/ERROR lines to OUT/notes.txt and the SQL the sink ran to OUT/statements.ROUND.sql.
run_sink() {
  local target=$1 round=$2 out=$3 name=$4 topics=$5 from state=timeout lag="" failed=""
  connector_json "$target" "$name" "$topics" >"$WORKDIR/$name.json"
  from=$(($(wc -l <"$WORKDIR/connect.log") + 1))
  log "[$round] creating the connector $name (topics $topics into $target, database $DB)"
  local code
  code=$(curl -s -o "$WORKDIR/create.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data @"$WORKDIR/$name.json" "$REST/connectors" || true)
  if [ "$code" != 201 ]; then
    log "Kafka Connect refused $name (HTTP $code): $(cat "$WORKDIR/create.out")"
    return 1
  fi
  for _ in $(seq $((WAIT / 3))); do
    sleep 3
    failed=$(task_failed "$name")
    if [ -n "$failed" ]; then state=failed; break; fi
    lag=$(group_lag "$name" "$topics")
    if [ "${lag##* }" = 1 ]; then state=done; break; fi
  done
  log "[$round] $name: $state (committed/end offsets: ${lag% *})"
  sleep 2
  curl -s -o /dev/null -X DELETE "$REST/connectors/$name" || true
  sleep 2
  # The statements DefaultRecordWriter logs at TRACE ("SQL: ..."), each once, in the order first run.
  {
    echo "-- connector $name (round \"$round\"), topics $topics: each statement once, in the order first run"
    tail -n +"$from" "$WORKDIR/connect.log" | sed -n -E 's/^\[[^]]*\] TRACE SQL: (.*) \(io\.debezium\.connector\.jdbc\.DefaultRecordWriter\)$/\1;/p' \
      | awk '!seen[$0]++' || true
    echo
  } >>"$out/statements.$round.sql"
  {
    echo "== round \"$round\", connector $name (topics $topics): $(case $round in full) echo "every golden record" ;; *) echo "the golden records less the skipped ones (info.json)" ;; esac) =="
    if [ "$state" = done ]; then
      echo "outcome: done (consumer group connect-$name, committed/end offsets: ${lag% *})"
    else
      echo "outcome: $state"
    fi
    if [ -n "$failed" ]; then
      echo
      echo "The task's failure, its causes:"
      printf '%s\n' "$failed" | grep -E '^[a-zA-Z].*(Exception|Error)|^Caused by' | sort -u || true
    fi
    echo
    echo "The WARN and ERROR lines of the Connect log while $name ran (timestamps cut):"
    tail -n +"$from" "$WORKDIR/connect.log" | grep -E '^\[[^]]*\] (WARN|ERROR) ' | sed -E 's/^\[[^]]*\] //' \
      | grep -v 'plugin.discovery=service_load' | sed -E 's/\(conn=[0-9]+\)/(conn=N)/' | uniq || true
    echo
  } >>"$out/notes.txt"
  echo "$state"
}

# --- the rounds --------------------------------------------------------------------------------

# The all_types records the sink cannot write: an io.debezium.time.MicroTime outside 0..24h in
# `after` (Debezium's JDBC sink makes a java.time.LocalTime of it, and the whole batch fails).
SKIP=$(python3 - "${INPUT[@]}" <<'PY'
import json, sys
skip = []
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8"):
        r = json.loads(line)
        v = r["value"]
        after = (v or {}).get("payload", {}).get("after")
        if not after:
            continue
        fields = {f["field"]: f for f in v["schema"]["fields"] if f["field"] == "after"}["after"]["fields"]
        for f in fields:
            x = after.get(f["field"])
            if f.get("name") == "io.debezium.time.MicroTime" and x is not None and not 0 <= x < 86400000000:
                skip.append(f'{r["topic"]}:{r["offset"]}')
                break
print(",".join(skip))
PY
)
log "records the sink cannot write (left out of the round \"recorded\"): ${SKIP:-none}"

declare -A OUTCOME
for round in full recorded; do
  log "=== round \"$round\" ==="
  start_round
  if [ "$round" = full ]; then
    python3 "$here/produce.py" "$KAFKA_BOOTSTRAP" "${INPUT[@]}" | sed 's/^/==>   produced /' >&2
  else
    python3 "$here/produce.py" "$KAFKA_BOOTSTRAP" --skip "$SKIP" "${INPUT[@]}" | sed 's/^/==>   produced /' >&2
  fi
  for t in "${targets[@]}"; do
    out=$here/golden/jdbc-$t
    fresh_db "$t"
    if [ "$round" = full ]; then
      rm -rf "$out"
      mkdir -p "$out"
      OUTCOME[$round-$t]=$(run_sink "$t" "$round" "$out" "jdbc-$t" "$(IFS=,; echo "${TOPICS[*]}")")
      # What the tables held when the task stopped (not a reference: it depends on how the
      # records were batched).
      record "$t" "$WORKDIR/full-$t" 2>/dev/null || true
      {
        echo "What the tables held at the end of this round (rows per table):"
        for f in "$WORKDIR/full-$t"/rows/*.tsv; do
          [ -f "$f" ] && echo "  $(basename "$f" .tsv): $(($(wc -l <"$f") - 1))"
        done
        echo
      } >>"$out/notes.txt"
    else
      # One connector per topic, so that a table the sink cannot write does not stop the other.
      OUTCOME[$round-$t]=""
      connectors=()
      for topic in "${TOPICS[@]}"; do
        name=jdbc-$t-${topic##*.}
        OUTCOME[$round-$t]+="${topic##*.}: $(run_sink "$t" "$round" "$out" "$name" "$topic"); "
        connectors+=("$WORKDIR/$name.json")
      done
      log "[$round] recording $t into golden/jdbc-$t/"
      rm -rf "$out/rows"
      record "$t" "$out"
      python3 - "$out/info.json" "${connectors[@]}" <<PY
import json, os, sys
info = {
    "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
    "debezium.plugin": open("$plugins/jdbc/HOW").read().strip(),
    "jdbc.drivers": sorted(f for f in os.listdir("$plugins/jdbc") if f.startswith(("postgresql-", "mariadb-java-client-", "mysql-connector-j-"))),
    "kafka.connect": "$KAFKA_VERSION",
    "database": "$t $(db_version "$t")",
    "worker": "standalone; key.converter and value.converter org.apache.kafka.connect.json.JsonConverter, schemas.enable=true",
    "input": ["golden/mariadb/golden.compat.all_types.jsonl", "golden/mariadb/golden.compat.customers.jsonl"],
    "input.produced.with": "produce.py (Kafka's ConsoleProducer, parse.key and parse.headers)",
    "round.full": {"input": "every record", "connector": "jdbc-$t, both topics", "outcome": "${OUTCOME[full-$t]}"},
    "round.recorded": {"input": "every record but the skipped ones", "connectors": "one per topic", "outcome": "${OUTCOME[recorded-$t]}".strip("; ")},
    "skipped": "$SKIP".split(",") if "$SKIP" else [],
    "connectors": [json.load(open(p)) for p in sys.argv[2:]],
}
json.dump(info, open(sys.argv[1], "w"), indent=2, ensure_ascii=False)
open(sys.argv[1], "a").write("\n")
PY
    fi
  done
  stop_round
done

status=0
for t in "${targets[@]}"; do
  log "round \"recorded\" into $t: ${OUTCOME[recorded-$t]}"
  case ${OUTCOME[recorded-$t]} in
    *customers:\ done*) ;;
    *) log "customers did not complete into $t; see golden/jdbc-$t/notes.txt"; status=1 ;;
  esac
done
log "all done in $((SECONDS - started))s"
exit "$status"
