#!/usr/bin/env bash
# MySQL/MariaDB change data capture: ferry's io.debezium.connector.mariadb.MariaDbConnector beside
# real Debezium 3.6.1.Final's on Apache Kafka Connect 4.4.0, the same MariaDB, the same broker, the
# same connector config and converters (JsonConverter, schemas.enable=true, keys and values), one
# after the other in one run. For each kind: a snapshot of a table of ROWS rows, then ROWS more
# rows inserted while the connector streams the binlog. The kind ferry-jar is ferry running
# Debezium's jar itself, in its Java plugin host, instead of its own connector of the same class
# (connector.plugin.version=3.6.1.Final). See bench/README.md.
#
#   KINDS="ferry java" bench/mysql-cdc.sh
#   KINDS="ferry-jar java" bench/mysql-cdc.sh
#   env: KINDS=the workers measured, any of ferry, ferry-jar, java ("ferry"), ROWS=rows in bench.cdc before the
#        snapshot (1000000), CHANGES=rows inserted while streaming (ROWS), BATCH=rows per INSERT
#        statement while streaming, each its own transaction (1000), TIMEOUT_S=per phase (3600),
#        SETTLE_S=pause between the end of the snapshot and the first insert (5), QUIET_S=wait
#        after the last event before the final count (5), VERIFY=1 reads every record back
#        (op and key of each; 0 skips it), STALL_S=a phase fails when the topic did not grow
#        for this long (180), MARIADB=private (the default: a MariaDB server of this script's own,
#        on a free port, data under its work folder, stopped at the end — as it has its own broker)
#        or shared (scripts/databases.sh's ensure_mariadb: the server on 3306 the tests use; a
#        restart of it by something else during a kind's run makes that kind run again, up to
#        ATTEMPTS times (3)), FERRY_WORKER_PROPS=lines added to ferry's worker properties (none;
#        for a diagnosis, e.g. "producer.queue.buffering.max.kbytes=32768"; the report says so;
#        ferry-jar too), FERRY_JAVA_HOST=a built plugin host to use (else ensure_java_host builds
#        java/plugin-host), KAFKA_HEAP_OPTS=the plugin host's heap (its default: -Xmx2G)
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

KINDS=${KINDS:-${KIND:-ferry}}
ROWS=${ROWS:-1000000}
CHANGES=${CHANGES:-$ROWS}
BATCH=${BATCH:-1000}
TIMEOUT_S=${TIMEOUT_S:-3600}
SETTLE_S=${SETTLE_S:-5}
QUIET_S=${QUIET_S:-5}
VERIFY=${VERIFY:-1}
STALL_S=${STALL_S:-180}
MARIADB=${MARIADB:-private}
FERRY_WORKER_PROPS=${FERRY_WORKER_PROPS:-}
LOAD_CHUNK=100000 # rows per INSERT ... SELECT when the table is filled before the snapshot
TOTAL=$((ROWS + CHANGES))
WORK=${BENCH_WORK_ROOT:-$ROOT/bench/work}/mysql-cdc
RESULTS=$ROOT/bench/results
CLASS=io.debezium.connector.mariadb.MariaDbConnector
JAR_VERSION=3.6.1.Final # connector.plugin.version of ferry-jar: Debezium's jar, not ferry's connector

# cluster-lib.sh: the shared broker (BENCH_KAFKA_*), BENCH_BUILT, say/die, nap/now, mb,
# cpu_seconds, peak_rss_kb, kind_name, check_kinds, machine_line, ferry_revision; its EXIT trap
# stops the broker it started (replaced below by one that also stops what this script started)
# shellcheck source-path=SCRIPTDIR source=cluster-lib.sh
source "$ROOT/bench/cluster-lib.sh"
# lib.sh: stop_pid, the sums, launch_standalone/wait_ready, connector_failed/_states, the topic
# watcher, topic_counts, the worker's process tree (tree_cpu, tree_hwm, the RSS sampler)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$ROOT/bench/lib.sh"
# shellcheck source-path=SCRIPTDIR/.. source=scripts/databases.sh
source "$ROOT/scripts/databases.sh"

KNOWN_KINDS="ferry ferry-jar java"
# shellcheck disable=SC2086  # KINDS is a list
check_kinds $KINDS
((ROWS > 0 && CHANGES > 0 && BATCH > 0 && TIMEOUT_S > 0)) || die "ROWS, CHANGES, BATCH and TIMEOUT_S must be at least 1"
[[ $VERIFY == 0 || $VERIFY == 1 ]] || die "VERIFY must be 0 or 1"
[[ $MARIADB == private || $MARIADB == shared ]] || die "MARIADB must be private or shared"
has_java() { [[ " $KINDS " == *" java "* ]]; }
has_ferry() { [[ " $KINDS " == *" ferry "* ]]; }
has_jar() { [[ " $KINDS " == *" ferry-jar "* ]]; }

# ---------------------------------------------------------------------------------------------
# what this script starts, stopped on exit (before the broker, and MariaDB if it started it)

PROG_PID="" WATCH_PID="" WRITER_PID="" MDB_PID="" SAMPLER_PID=""
mysql_cdc_cleanup() {
    stop_pid "$WRITER_PID" 5
    WRITER_PID=""
    stop_pid "$WATCH_PID" 5
    WATCH_PID=""
    stop_sampler
    stop_pid "$PROG_PID" 30
    PROG_PID=""
    stop_private_mariadb
    cluster_cleanup
    stop_databases_we_started || true
}
trap mysql_cdc_cleanup EXIT
# said in the output, so that a run stopped from outside says so
trap 'say "received SIGINT"; exit 130' INT
trap 'say "received SIGTERM"; exit 143' TERM

# ---------------------------------------------------------------------------------------------
# helpers

# MARIADB=private: a MariaDB server of the script's own (Debian's binaries, as scripts/databases.sh
# installs them), with the settings databases.sh gives the shared one (server_id 1, binlog ROW,
# FULL row images) and the server's defaults otherwise, on a free loopback port, its data in
# WORK/mariadb; the user ferry/ferry with all privileges, as on the shared server
MDB_DIR=$WORK/mariadb
start_private_mariadb() {
    local server installer i host grants=""
    if ! command -v mariadb >/dev/null 2>&1 || ! { command -v mariadbd || command -v mysqld; } >/dev/null 2>&1; then
        apt_install mariadb-server mariadb-client
    fi
    server=$(command -v mariadbd || command -v mysqld)
    installer=$(command -v mariadb-install-db || command -v mysql_install_db) || die "no mariadb-install-db on PATH"
    mkdir -p "$MDB_DIR"
    "$installer" --no-defaults --user=root --datadir="$MDB_DIR/data" --skip-test-db >"$MDB_DIR/install.log" 2>&1 ||
        { tail -n 20 "$MDB_DIR/install.log" >&2; die "mariadb-install-db failed (log: $MDB_DIR/install.log)"; }
    DB_HOST=127.0.0.1 DB_PORT=$(free_port) DB_USER=ferry DB_PASS=ferry
    "$server" --no-defaults --user=root --datadir="$MDB_DIR/data" --socket="$MDB_DIR/mysqld.sock" \
        --port="$DB_PORT" --bind-address=127.0.0.1 --pid-file="$MDB_DIR/mysqld.pid" --log-error="$MDB_DIR/error.log" \
        --server-id=1 --log-bin="$MDB_DIR/data/mysql-bin" --binlog-format=ROW --binlog-row-image=FULL \
        </dev/null >"$MDB_DIR/console.log" 2>&1 &
    MDB_PID=$!
    for ((i = 0; i < 600; i++)); do
        mariadb-admin --no-defaults --socket="$MDB_DIR/mysqld.sock" -uroot ping >/dev/null 2>&1 && break
        kill -0 "$MDB_PID" 2>/dev/null || { tail -n 20 "$MDB_DIR/error.log" >&2; die "the private MariaDB exited while starting"; }
        nap 0.1
    done
    ((i < 600)) || die "the private MariaDB did not answer within 60 s (log: $MDB_DIR/error.log)"
    for host in '%' 127.0.0.1 localhost; do
        grants+="CREATE USER 'ferry'@'$host' IDENTIFIED BY 'ferry'; GRANT ALL PRIVILEGES ON *.* TO 'ferry'@'$host';"
    done
    mariadb --no-defaults --socket="$MDB_DIR/mysqld.sock" -uroot -e "$grants" || die "could not create the user ferry in the private MariaDB"
    say "a private MariaDB on $DB_HOST:$DB_PORT (pid $MDB_PID, data in ${MDB_DIR#"$ROOT"/})"
}
stop_private_mariadb() {
    [[ -n $MDB_PID ]] || return 0
    say "stopping the private MariaDB (pid $MDB_PID)"
    mariadb-admin --no-defaults --socket="$MDB_DIR/mysqld.sock" -uroot shutdown >/dev/null 2>&1 || true
    stop_pid "$MDB_PID" 60
    MDB_PID=""
}

# MARIADB=shared: the server ensure_mariadb made sure of, from FERRY_TEST_MYSQL (mysql://user:pass@host:port/db)
db_parts() {
    [[ $FERRY_TEST_MYSQL =~ ^mysql://([^:@/]+):([^@/]*)@([^:/]+):([0-9]+) ]] ||
        die "cannot read FERRY_TEST_MYSQL ($FERRY_TEST_MYSQL)"
    DB_USER=${BASH_REMATCH[1]} DB_PASS=${BASH_REMATCH[2]} DB_HOST=${BASH_REMATCH[3]} DB_PORT=${BASH_REMATCH[4]}
}
sql() { mariadb --connect-timeout=10 -h"$DB_HOST" -P"$DB_PORT" -u"$DB_USER" -p"$DB_PASS" -N -B "$@"; }

# The columns of bench.cdc made from `seq` (the id), for INSERT ... SELECT ... FROM seq_A_to_B
ROW_SELECT="seq, CONCAT('customer-', seq), CONCAT('user', seq, '@example.com'),
  ELT(1 + seq % 8, 'Amsterdam', 'Berlin', 'Lisbon', 'Madrid', 'Oslo', 'Paris', 'Rome', 'Vienna'),
  ELT(1 + seq % 3, 'new', 'paid', 'shipped'), seq % 100, (seq % 100000) / 100 + 0.99,
  TIMESTAMP('2025-01-01') + INTERVAL seq SECOND, TIMESTAMP('2025-01-01 01:00:00') + INTERVAL seq SECOND"
TABLE_DDL="CREATE TABLE bench.cdc (
  id INT NOT NULL PRIMARY KEY,
  customer VARCHAR(64) NOT NULL,
  email VARCHAR(128) NOT NULL,
  city VARCHAR(64),
  status VARCHAR(16) NOT NULL,
  quantity INT NOT NULL,
  price DECIMAL(10,2) NOT NULL,
  created_at DATETIME NOT NULL,
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"

# fresh_database: drops and makes the database bench and fills bench.cdc with ROWS rows
fresh_database() {
    local a b t0
    now
    t0=$NOW_US
    sql -e "DROP DATABASE IF EXISTS bench; CREATE DATABASE bench; $TABLE_DDL" || die "could not create bench.cdc"
    for ((a = 1; a <= ROWS; a += LOAD_CHUNK)); do
        b=$((a + LOAD_CHUNK - 1 > ROWS ? ROWS : a + LOAD_CHUNK - 1))
        sql bench -e "INSERT INTO bench.cdc SELECT $ROW_SELECT FROM seq_${a}_to_${b}" || die "could not fill bench.cdc (rows $a..$b)"
    done
    [[ $(sql -e "SELECT COUNT(*) FROM bench.cdc") == "$ROWS" ]] || die "bench.cdc does not hold $ROWS rows"
    now
    say "bench.cdc made anew with $ROWS rows in $(secs $((NOW_US - t0))) s"
}

# The streaming phase's statements: CHANGES rows in INSERT ... SELECT statements of BATCH rows
# (autocommit: each its own transaction), ids ROWS+1..TOTAL
write_inserts() {
    local a b
    for ((a = ROWS + 1; a <= TOTAL; a += BATCH)); do
        b=$((a + BATCH - 1 > TOTAL ? TOTAL : a + BATCH - 1))
        printf 'INSERT INTO bench.cdc SELECT %s FROM seq_%d_to_%d;\n' "${ROW_SELECT//$'\n'/ }" "$a" "$b"
    done >"$WORK/inserts.sql"
    STATEMENTS=$(wc -l <"$WORK/inserts.sql")
}

# wait_phase NAME OUT: waits until the watcher OUT is done (it exits then: checked every 20 ms
# with builtins only; the connector's status, MariaDB's process and the watcher's progress every
# 5 s, so that the loop costs next to no CPU); sets FAIL_REASON instead when the worker exits, the
# connector or its task FAILS, the topic does not grow for STALL_S, or TIMEOUT_S passes. Notes
# when the writer (if any) finished, in WRITER_DONE_US / WRITER_RC, and a restart of MariaDB in
# DB_RESTART.
wait_phase() {
    local name=$1 out=$2 t0 next_check=0 trouble db_at_start progress last_end=-1 last_change
    now
    t0=$NOW_US
    last_change=$t0
    db_at_start=$(db_pid)
    FAIL_REASON="" DB_RESTART=""
    while :; do
        if ! kill -0 "$WATCH_PID" 2>/dev/null; then
            wait "$WATCH_PID" 2>/dev/null || true
            WATCH_PID=""
            [[ -n $(watcher_field "$out" "done" 2) ]] && return 0
            FAIL_REASON="the watcher gave up: $(cat "$out.err")"
            return 0
        fi
        if [[ -n $WRITER_PID ]] && ! kill -0 "$WRITER_PID" 2>/dev/null; then
            now
            WRITER_DONE_US=$NOW_US
            WRITER_RC=0
            wait "$WRITER_PID" || WRITER_RC=$?
            WRITER_PID=""
            if ((WRITER_RC != 0)); then
                FAIL_REASON="the inserts failed (exit $WRITER_RC): $(tail -n 5 "$WORK/writer.err")"
                return 0
            fi
        fi
        if worker_exited; then FAIL_REASON=$EXIT_REASON; return 0; fi
        now
        if ((NOW_US >= next_check)); then
            next_check=$((NOW_US + 5000000))
            trouble=$(connector_failed "$name")
            if [[ -n $trouble ]]; then FAIL_REASON="the connector $trouble"; return 0; fi
            if [[ -z $DB_RESTART && $(db_pid) != "$db_at_start" ]]; then
                DB_RESTART="MariaDB was restarted (by something else) $(secs $((NOW_US - t0))) s into the phase (pid ${db_at_start:-none} -> $(db_pid))"
                say "$DB_RESTART"
            fi
            progress=$(tail -n 1 "$out" | awk '{ print $3 }')
            if [[ -n $progress && $progress != "$last_end" ]]; then
                last_end=$progress
                last_change=$NOW_US
            elif ((NOW_US - last_change > STALL_S * 1000000)); then
                FAIL_REASON="the topic did not grow for $STALL_S s: its end offset stayed at $last_end; $(connector_states "$name"); the worker's connections to MariaDB: $(ss -tnp 2>/dev/null | grep -c "pid=$PROG_PID,.*" | tr -d ' ') open to any peer, $(ss -tnp 2>/dev/null | grep "pid=$PROG_PID," | grep -c ":$DB_PORT ") to port $DB_PORT${DB_RESTART:+; $DB_RESTART}"
                return 0
            fi
        fi
        if ((NOW_US - t0 > TIMEOUT_S * 1000000)); then
            FAIL_REASON="not done within $TIMEOUT_S s: end offset $(tail -n 1 "$out" | awk '{ print $3 }'); $(connector_states "$name")"
            return 0
        fi
        nap 0.02
    done
}

# verify TOPIC: every record read back (bench program dump_topic) — how many of each op, how many
# distinct ids (keys), the smallest and largest, whether every snapshot read comes before every
# insert — into VERIFY_LINE and VERIFY_OK
verify_topic() {
    local summary uniq range
    summary=$("$BIN/dump_topic" --brokers "$KAFKA_BOOTSTRAP" --topic "$1" --timeout-s "$TIMEOUT_S" | awk -F'\t' -v ids="$WORK/ids.txt" '
        { n++
          if (match($4, /"id": *-?[0-9]+/)) { s = substr($4, RSTART, RLENGTH); gsub(/[^0-9-]/, "", s); print s > ids } else nokey++
          if (match($5, /"op": *"[a-z]"/)) { o = substr($5, RSTART + RLENGTH - 2, 1); op[o]++
              if (o == "r" && $3 + 0 > lastr) lastr = $3 + 0
              if (o == "c" && (firstc == "" || $3 + 0 < firstc)) firstc = $3 + 0 }
          else other++ }
        END { printf "records=%d r=%d c=%d u=%d d=%d other=%d nokey=%d last_r_offset=%s first_c_offset=%s\n",
                n, op["r"], op["c"], op["u"], op["d"], other, nokey, lastr, firstc }') ||
        die "could not read $1 back"
    uniq=$(sort -n -u "$WORK/ids.txt" | wc -l)
    range=$(sort -n "$WORK/ids.txt" | sed -n '1p;$p' | tr '\n' ' ')
    rm -f "$WORK/ids.txt"
    VERIFY_LINE="$summary distinct_ids=$uniq id_range=${range% }"
    local r c o k lr fc
    r=$(sed -E 's/.* r=([0-9]+).*/\1/' <<<"$summary")
    c=$(sed -E 's/.* c=([0-9]+).*/\1/' <<<"$summary")
    o=$(sed -E 's/.* u=([0-9]+) d=([0-9]+) other=([0-9]+).*/\1 \2 \3/' <<<"$summary")
    k=$(sed -E 's/.* nokey=([0-9]+).*/\1/' <<<"$summary")
    lr=$(sed -E 's/.* last_r_offset=([0-9]*).*/\1/' <<<"$summary")
    fc=$(sed -E 's/.* first_c_offset=([0-9]*).*/\1/' <<<"$summary")
    VERIFY_OK=no
    if [[ $r == "$ROWS" && $c == "$CHANGES" && $o == "0 0 0" && $k == 0 && $uniq == "$TOTAL" &&
        ${range% } == "1 $TOTAL" && -n $lr && -n $fc ]] && ((lr < fc)); then
        VERIFY_OK=yes
    fi
}

# Kafka Connect's producer for the connector's records, as its log printed it
java_producer_settings() {
    awk '/ProducerConfig values:/ { inside = 1; delete kv; n = 0; next }
        inside && /^\t/ { split($0, p, " = "); k = p[1]; gsub(/^\t/, "", k); kv[k] = p[2]; next }
        inside { inside = 0; if (kv["client.id"] ~ /^connector-producer-/) {
            printf "acks=%s, linger.ms=%s, batch.size=%s, compression.type=%s, enable.idempotence=%s, max.in.flight.requests.per.connection=%s",
                kv["acks"], kv["linger.ms"], kv["batch.size"], kv["compression.type"], kv["enable.idempotence"], kv["max.in.flight.requests.per.connection"]; exit } }' "$1"
}

# ---------------------------------------------------------------------------------------------
# one kind: a worker, the snapshot, the streaming inserts, the count

declare -A FIG
RESULT_KINDS=""
put() { FIG[$1,$2]=$3; }   # KIND METRIC VALUE
get() { echo "${FIG[$1,$2]:-n/a}"; }
KIND_NO=0

# phase_start / phase_end KIND PHASE: the CPU seconds of the worker, the broker, MariaDB and the
# whole machine at the start and the end of a phase (and the worker's peak RSS over it)
# db_pid: the process of the MariaDB server in use (empty when it is not running)
db_pid() {
    local p
    if [[ $MARIADB == private ]]; then
        if [[ -n $MDB_PID ]] && kill -0 "$MDB_PID" 2>/dev/null; then echo "$MDB_PID"; fi
        return 0
    fi
    p=$(pidof mariadbd || pidof mysqld || true)
    echo "${p%% *}"
}
# The worker is its process tree (lib.sh): ferry, with the JVM of its plugin host under ferry-jar
# (started when the connector is created), or Kafka Connect's JVM. CPU: the tree's; peak RSS:
# each process's VmHWM (reset at the phase's start) summed — the process's own for a worker of
# one process, an upper bound for ferry-jar — and the tree's total RSS sampled every 100 ms.
phase_start() { # KIND PHASE
    stop_sampler
    P_RSS=$(tree_rss "$PROG_PID")
    tree_reset_peak "$PROG_PID"
    start_sampler "$PROG_PID" "$WORK/$1/rss-$2.txt"
    DB_PID=$(db_pid)
    P_CPU=$(tree_cpu "$PROG_PID") P_BROKER=$(cpu_or_na "$KAFKA_PID") P_DB=$(cpu_or_na "$DB_PID") P_MACHINE=$(machine_busy)
    P_ROOT_CPU=$(tree_cpu "$PROG_PID" root) P_JVM_CPU=$(tree_cpu "$PROG_PID" java)
}
phase_end() { # KIND PHASE EVENTS T0 DONE_US FIRST_US
    local kind=$1 ph=$2 events=$3 t0=$4 done=$5 first=$6 cpu
    cpu=$(minus "$(tree_cpu "$PROG_PID")" "$P_CPU")
    put "$kind" "$ph.root_cpu" "$(minus "$(tree_cpu "$PROG_PID" root)" "$P_ROOT_CPU")"
    [[ $kind != ferry-jar ]] || put "$kind" "$ph.jvm_cpu" "$(minus "$(tree_cpu "$PROG_PID" java)" "$P_JVM_CPU")"
    put "$kind" "$ph.rss_kb" "$(tree_hwm "$PROG_PID" all)"
    put "$kind" "$ph.root_rss_kb" "$(tree_hwm "$PROG_PID" root)"
    put "$kind" "$ph.jvm_rss_kb" "$(tree_hwm "$PROG_PID" java)"
    put "$kind" "$ph.sampled_kb" "$(sampled_peak "$WORK/$kind/rss-$ph.txt" "$t0" "$done")"
    put "$kind" "$ph.processes" "$(tree_of "$PROG_PID" | awk '{ printf "%s%s", (NR > 1 ? " + " : ""), $3 }')"
    stop_sampler
    put "$kind" "$ph.start_rss_kb" "$P_RSS"
    put "$kind" "$ph.end_rss_kb" "$(tree_rss "$PROG_PID")"
    put "$kind" "$ph.broker_cpu" "$(minus_na "$(cpu_or_na "$KAFKA_PID")" "$P_BROKER")"
    if [[ $(db_pid) == "$DB_PID" ]]; then
        put "$kind" "$ph.db_cpu" "$(minus_na "$(cpu_or_na "$DB_PID")" "$P_DB")"
    else
        put "$kind" "$ph.db_cpu" "n/a (MariaDB restarted)"
        say "MariaDB's process changed during the phase (pid ${DB_PID:-none} -> $(db_pid)): it was restarted"
    fi
    put "$kind" "$ph.machine_cpu" "$(minus "$(machine_busy)" "$P_MACHINE")"
    put "$kind" "$ph.cpu" "$cpu"
    put "$kind" "$ph.events" "$events"
    put "$kind" "$ph.seconds" "$(secs $((done - t0)))"
    put "$kind" "$ph.rate" "$(per_sec "$events" $((done - t0)))"
    put "$kind" "$ph.first" "$(secs $((first - t0)))"
    put "$kind" "$ph.flowing_rate" "$(per_sec "$events" $((done - first)))"
    put "$kind" "$ph.cores" "$(divide "$cpu" "$(secs $((done - t0)))")"
    put "$kind" "$ph.per_cpu" "$(divide "$events" "$cpu" "%.0f")"
    say "$(kind_name "$kind") $ph: $events events in $(get "$kind" "$ph.seconds") s ($(get "$kind" "$ph.rate") events/s), worker CPU $cpu s ($(get "$kind" "$ph.per_cpu") events per CPU s), peak RSS $(mb "$(get "$kind" "$ph.rss_kb")") MB"
}

# fail_kind KIND WHAT: records why the kind stopped, with the end of its log
fail_kind() {
    local kind=$1
    put "$kind" failed "$2"
    say "$(kind_name "$kind") FAILED: $2"
    tail -n 40 "$KLOG" >"$WORK/$kind/failure-log-tail.txt" 2>/dev/null || true
    grep -E 'ERROR|WARN|panic' "$KLOG" "$WORK/$kind"/logs/* 2>/dev/null | head -n 40 >"$WORK/$kind/failure-errors.txt" || true
}

run_kind() {
    local kind=$1 attempt=$2 dir=$WORK/$1 name=cdc-$1 prefix port t0 code server_id
    [[ " $RESULT_KINDS " == *" $kind "* ]] || RESULT_KINDS+=" $kind"
    rm -rf "$dir"
    mkdir -p "$dir"
    prefix=mysqlcdc-$kind-$RUN_ID
    ((attempt == 1)) || prefix+=-$attempt
    KIND_NO=$((KIND_NO + 1))
    server_id=$((5400 + KIND_NO))
    TOPIC=$prefix.bench.cdc
    put "$kind" topic "$TOPIC"
    put "$kind" prefix "$prefix"
    say "=== $(kind_name "$kind"): topic prefix $prefix, database.server.id $server_id ==="
    fresh_database
    create_topics "$TOPIC"

    port=$(free_port)
    REST=http://127.0.0.1:$port
    {
        echo "bootstrap.servers=$KAFKA_BOOTSTRAP"
        echo "listeners=$REST"
        echo "key.converter=org.apache.kafka.connect.json.JsonConverter"
        echo "value.converter=org.apache.kafka.connect.json.JsonConverter"
        echo "key.converter.schemas.enable=true"
        echo "value.converter.schemas.enable=true"
        echo "offset.storage.file.filename=$dir/connect.offsets"
        echo "offset.flush.interval.ms=10000"
        if [[ $kind == java ]]; then echo "plugin.path=$DEBEZIUM_PLUGINS"; fi
        # ferry reads the plugins' META-INF/services entries, as Kafka's service_load does
        if [[ $kind == ferry-jar ]]; then printf '%s\n' "plugin.path=$DEBEZIUM_PLUGINS" "plugin.discovery=service_load"; fi
        if is_ferry "$kind" && [[ -n $FERRY_WORKER_PROPS ]]; then printf '%s\n' "$FERRY_WORKER_PROPS"; fi
    } >"$dir/worker.properties"
    # compat/debezium/connector.json's shape, for this table and run
    jq --arg class "$CLASS" --arg name "$name" --arg prefix "$prefix" --arg boot "$KAFKA_BOOTSTRAP" \
        --arg host "$DB_HOST" --arg port "$DB_PORT" --arg user "$DB_USER" --arg pass "$DB_PASS" --argjson sid "$server_id" '
        .name = $name
        | .config["connector.class"] = $class | .config["tasks.max"] = "1"
        | .config["database.hostname"] = $host | .config["database.port"] = $port
        | .config["database.user"] = $user | .config["database.password"] = $pass
        | .config["database.server.id"] = $sid | .config["topic.prefix"] = $prefix
        | .config["database.include.list"] = "bench" | .config["table.include.list"] = "bench.cdc"
        | .config["snapshot.mode"] = "initial"
        | .config["schema.history.internal.kafka.bootstrap.servers"] = $boot
        | .config["schema.history.internal.kafka.topic"] = ($prefix + "-history")' \
        "$ROOT/compat/debezium/connector.json" >"$dir/connector.json"
    if [[ $kind == ferry-jar ]]; then
        # the jar's version: Debezium's own connector runs, not ferry's of the same class
        jq --arg v "$JAR_VERSION" '.config["connector.plugin.version"] = $v' "$dir/connector.json" >"$dir/connector.json.new"
        mv "$dir/connector.json.new" "$dir/connector.json"
    fi
    put "$kind" config "$(jq -c '.config | .["database.password"] = "…"' "$dir/connector.json")"

    KLOG=$dir/worker.log
    now
    t0=$NOW_US
    launch_standalone "$kind" "$dir/worker.properties" "$KLOG"
    if ! wait_ready "$t0" 120; then
        fail_kind "$kind" "$READY_ERROR"
        stop_pid "$PROG_PID" 30
        PROG_PID=""
        return 0
    fi
    put "$kind" ready_s "$(secs $((READY_US - t0)))"
    put "$kind" start_cpu "$(tree_cpu "$PROG_PID")"
    say "$(kind_name "$kind") answers on $REST after $(get "$kind" ready_s) s (pid $PROG_PID, log ${KLOG#"$ROOT"/})"

    # --- snapshot: connector creation -> ROWS records in the topic ----------------------------
    start_watcher "$TOPIC" "$ROWS" "$dir/watch-snapshot.txt"
    [[ $(watcher_field "$dir/watch-snapshot.txt" ready 3) == 0 ]] || die "$TOPIC is not empty before the snapshot"
    phase_start "$kind" snapshot
    now
    t0=$NOW_US
    code=$(curl -s -o "$dir/create.out" -m 120 -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data @"$dir/connector.json" "$REST/connectors" || true)
    now
    put "$kind" create_ms $(((NOW_US - t0) / 1000))
    if [[ $code != 201 ]]; then
        fail_kind "$kind" "POST /connectors answered HTTP ${code:-nothing}: $(cat "$dir/create.out" 2>/dev/null)"
        stop_pid "$WATCH_PID" 5; WATCH_PID=""; stop_pid "$PROG_PID" 30; PROG_PID=""
        return 0
    fi
    say "connector $name created (HTTP 201 after $(get "$kind" create_ms) ms); waiting for $ROWS snapshot events in $TOPIC"
    wait_phase "$name" "$dir/watch-snapshot.txt"
    if [[ -n $FAIL_REASON ]]; then
        put "$kind" snapshot.seen "$(tail -n 1 "$dir/watch-snapshot.txt" | awk '{ print $3 }')"
        put "$kind" failed_counts "$(topic_counts "$prefix" | tr '\t\n' ': ')"
        fail_kind "$kind" "snapshot: $FAIL_REASON"
        stop_pid "$WATCH_PID" 5; WATCH_PID=""; stop_pid "$PROG_PID" 30; PROG_PID=""
        return 0
    fi
    [[ -z $DB_RESTART ]] || put "$kind" snapshot.db_restart "$DB_RESTART"
    phase_end "$kind" snapshot "$ROWS" "$t0" "$(watcher_field "$dir/watch-snapshot.txt" "done" 2)" "$(watcher_field "$dir/watch-snapshot.txt" first 2)"
    stop_pid "$WATCH_PID" 5
    WATCH_PID=""

    # --- streaming: the first insert -> CHANGES more records in the topic ---------------------
    say "snapshot done; $SETTLE_S s before the inserts ($(connector_states "$name"))"
    nap "$SETTLE_S"
    start_watcher "$TOPIC" "$CHANGES" "$dir/watch-stream.txt"
    put "$kind" before_stream "$(watcher_field "$dir/watch-stream.txt" ready 3)"
    phase_start "$kind" stream
    now
    t0=$NOW_US
    WRITER_DONE_US="" WRITER_RC=""
    sql bench <"$WORK/inserts.sql" >"$WORK/writer.out" 2>"$WORK/writer.err" &
    WRITER_PID=$!
    say "streaming: $CHANGES rows in $STATEMENTS INSERT statements of $BATCH rows (writer pid $WRITER_PID)"
    wait_phase "$name" "$dir/watch-stream.txt"
    if [[ -n $FAIL_REASON ]]; then
        put "$kind" stream.seen "$(tail -n 1 "$dir/watch-stream.txt" | awk '{ print $3 }')"
        put "$kind" failed_counts "$(topic_counts "$prefix" | tr '\t\n' ': ')"
        fail_kind "$kind" "streaming: $FAIL_REASON"
        stop_pid "$WRITER_PID" 5; WRITER_PID=""; stop_pid "$WATCH_PID" 5; WATCH_PID=""; stop_pid "$PROG_PID" 30; PROG_PID=""
        return 0
    fi
    [[ -z $DB_RESTART ]] || put "$kind" stream.db_restart "$DB_RESTART"
    phase_end "$kind" stream "$CHANGES" "$t0" "$(watcher_field "$dir/watch-stream.txt" "done" 2)" "$(watcher_field "$dir/watch-stream.txt" first 2)"
    stop_pid "$WATCH_PID" 5
    WATCH_PID=""
    if [[ -n $WRITER_PID ]]; then
        WRITER_RC=0
        wait "$WRITER_PID" || WRITER_RC=$?
        now
        WRITER_DONE_US=$NOW_US
        WRITER_PID=""
        ((WRITER_RC == 0)) || die "the inserts failed (exit $WRITER_RC): $(tail -n 5 "$WORK/writer.err")"
    fi
    [[ ${WRITER_RC:-0} == 0 ]] || die "the inserts failed (exit $WRITER_RC): $(tail -n 5 "$WORK/writer.err")"
    put "$kind" writer_s "$(secs $((WRITER_DONE_US - t0)))"
    put "$kind" lag_s "$(secs $(($(watcher_field "$dir/watch-stream.txt" "done" 2) - WRITER_DONE_US)))"

    # --- the run-level check: exactly TOTAL records, by Kafka's GetOffsetShell -----------------
    say "all $TOTAL events seen; $QUIET_S s of quiet, then the topics counted with Kafka's GetOffsetShell"
    nap "$QUIET_S"
    put "$kind" state "$(connector_states "$name")"
    put "$kind" end_rss_kb "$(tree_rss "$PROG_PID")"
    put "$kind" total_cpu "$(tree_cpu "$PROG_PID")"
    if [[ $kind == ferry-jar ]]; then
        # whose connector ran: the status names the jar's version
        put "$kind" version "$(curl -s -m 5 "$REST/connectors/$name/status" | jq -r '.connector.version // "?"' 2>/dev/null || echo "?")"
        local jvm
        jvm=$(tree_of "$PROG_PID" | awk 'NR > 1 && $3 == "java" { print $1; exit }')
        put "$kind" jvm_options "$([[ -n $jvm ]] && jvm_options "$jvm")"
    fi
    topic_counts "$prefix" >"$dir/topics.tsv"
    put "$kind" count "$(awk -F'\t' -v t="$TOPIC" '$1 == t { print $2 }' "$dir/topics.tsv")"
    put "$kind" topics "$(awk -F'\t' '{ printf "%s`%s`: %s", (NR > 1 ? ", " : ""), $1, $2 }' "$dir/topics.tsv")"
    if [[ $kind == java ]]; then put "$kind" producer "$(java_producer_settings "$KLOG")"; fi
    say "$(kind_name "$kind"): $(get "$kind" count) records in $TOPIC (expected $TOTAL); $(get "$kind" state)"
    stop_pid "$PROG_PID" 30
    PROG_PID=""
    if ((VERIFY == 1)); then
        say "reading $TOPIC back (dump_topic): ops and ids of every record"
        verify_topic "$TOPIC"
        put "$kind" verify "$VERIFY_LINE"
        put "$kind" verify_ok "$VERIFY_OK"
        say "$VERIFY_LINE: $VERIFY_OK"
    fi
}

# ---------------------------------------------------------------------------------------------
rm -rf "$WORK"
mkdir -p "$WORK" "$RESULTS"
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
RUN_ID=$(date +%H%M%S)
# shellcheck disable=SC2086  # KINDS is a list
build_and_start_kafka "$WORK/kafka" $KINDS
DEBEZIUM_PLUGINS=${DEBEZIUM_PLUGINS:-$FERRY_CACHE/debezium-3.6.1/plugins}
if has_java || has_jar; then
    say "making sure of Debezium 3.6.1's MariaDB plugin (compat/debezium/fetch.sh mariadb)"
    "$ROOT/compat/debezium/fetch.sh" mariadb
fi
if has_jar; then bench_java_host; fi
if [[ $MARIADB == private ]]; then
    start_private_mariadb
else
    say "making sure of MariaDB with a ROW binlog (scripts/databases.sh)"
    ensure_mariadb
    db_parts
fi
MARIADB_VERSION=$(sql -e 'SELECT VERSION()')
DB_SETTINGS=$(sql -e "SELECT CONCAT('binlog_format=', @@binlog_format, ', binlog_row_image=', @@binlog_row_image,
    ', sync_binlog=', @@sync_binlog, ', innodb_flush_log_at_trx_commit=', @@innodb_flush_log_at_trx_commit,
    ', innodb_buffer_pool_size=', @@innodb_buffer_pool_size DIV 1048576, 'M')")
[[ $(sql -e "SELECT COUNT(*) FROM information_schema.ENGINES WHERE ENGINE = 'SEQUENCE' AND SUPPORT IN ('YES', 'DEFAULT')") == 1 ]] ||
    die "MariaDB's SEQUENCE engine (seq_1_to_N) is not available"
write_inserts

# A restart of MariaDB during a kind's run (something else on the machine may restart the shared
# server: ferry's own end-to-end tests do) spoils its figures: that kind is run again, up to
# ATTEMPTS times, and the report says so.
ATTEMPTS=${ATTEMPTS:-3}
for kind in $KINDS; do
    for ((attempt = 1; ; attempt++)); do
        pid_before=$(db_pid)
        run_kind "$kind" "$attempt"
        pid_after=$(db_pid)
        [[ -n $pid_after && $pid_after == "$pid_before" ]] && break
        note="MariaDB was restarted during attempt $attempt (pid ${pid_before:-none} -> ${pid_after:-none}; not by this script)"
        say "$(kind_name "$kind"): $note"
        ((attempt < ATTEMPTS)) || { put "$kind" restarted "$note; no attempt left"; break; }
        for key in "${!FIG[@]}"; do [[ $key == "$kind,"* ]] && unset "FIG[$key]"; done
        put "$kind" restarted "$note; run again"
        for ((i = 0; i < 600; i++)); do _ferry_mariadb_alive && break; nap 0.1; done
    done
    put "$kind" attempts "$attempt"
done
sql -e "DROP DATABASE IF EXISTS bench" || true
LOAD_AT_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------
# report

DAY=$(date +%F)
REPORT=${BENCH_REPORT:-$RESULTS/mysql-cdc-$DAY.md}
COMMAND="bench/mysql-cdc.sh"
[[ $CHANGES == "$ROWS" ]] || COMMAND="CHANGES=$CHANGES $COMMAND"
[[ $ROWS == 1000000 ]] || COMMAND="ROWS=$ROWS $COMMAND"
[[ $BATCH == 1000 ]] || COMMAND="BATCH=$BATCH $COMMAND"
[[ $SETTLE_S == 5 ]] || COMMAND="SETTLE_S=$SETTLE_S $COMMAND"
[[ $VERIFY == 1 ]] || COMMAND="VERIFY=$VERIFY $COMMAND"
[[ $MARIADB == private ]] || COMMAND="MARIADB=$MARIADB $COMMAND"
[[ -z $FERRY_WORKER_PROPS ]] || COMMAND="FERRY_WORKER_PROPS='$FERRY_WORKER_PROPS' $COMMAND"
[[ $KINDS == ferry ]] || COMMAND="KINDS=\"$KINDS\" $COMMAND"
FERRY_PROPS_MD=""
while IFS= read -r line; do [[ -z $line ]] || FERRY_PROPS_MD+="\`$line\` "; done <<<"$FERRY_WORKER_PROPS"
phase_label() { if [[ $1 == snapshot ]]; then echo "snapshot ($ROWS \`r\`)"; else echo "streaming ($CHANGES \`c\`)"; fi; }
ratio_fj() { # METRIC [FERRY_KIND]: ferry (or FERRY_KIND) / java, or n/a
    local fk=${2:-ferry}
    if [[ " $KINDS " == *" $fk "* ]] && has_java; then divide "$(get "$fk" "$1")" "$(get java "$1")"; else echo n/a; fi
}
kind_title() {
    case $1 in
        ferry) echo "ferry" ;;
        ferry-jar) echo "Debezium 3.6.1's jar under ferry's Java plugin host" ;;
        java) echo "Debezium 3.6.1 on Kafka Connect $KAFKA_VERSION" ;;
    esac
}
verdict() { awk -v r="$1" -v t="$2" -v dir="$3" 'BEGIN { if (r == "n/a") print "n/a"; else if ((dir == "ge" && r >= t) || (dir == "le" && r <= t)) print "met"; else print "not met" }'; }
{
    if has_ferry && has_java; then
        echo "# MySQL/MariaDB CDC: ferry vs Debezium 3.6.1 on Kafka Connect $KAFKA_VERSION — $DAY"
    else
        echo "# MySQL/MariaDB CDC:$(for k in $KINDS; do printf '%s %s' "${sep:-}" "$(kind_title "$k")"; sep=","; done) — $DAY"
    fi
    echo
    echo "Command: \`$COMMAND\`"
    echo
    echo "The same MariaDB $MARIADB_VERSION, the same broker (Apache Kafka $KAFKA_VERSION, KRaft, single node,"
    echo "same machine), the same connector config (\`$CLASS\`, \`snapshot.mode=initial\`) and converters"
    echo "(JsonConverter with \`schemas.enable=true\` for keys and values), one kind after the other: for each,"
    echo "the database \`bench\` made anew with $ROWS rows in \`bench.cdc\`, a standalone worker, the connector"
    echo "created over REST (snapshot), then $CHANGES rows inserted ($STATEMENTS INSERT ... SELECT statements of"
    echo "$BATCH rows, each its own transaction) while it streams the binlog. Workers:$(has_ferry && echo " ferry (its own connector);")$(has_jar && echo " ferry + Java plugin host: ferry running Debezium 3.6.1.Final's MariaDbConnector jar in its plugin host (\`connector.plugin.version=$JAR_VERSION\`, \`plugin.discovery=service_load\`), worker CPU and memory being ferry's and its JVM's together;")$(has_java && echo " Debezium 3.6.1.Final's MariaDbConnector on Apache Kafka Connect $KAFKA_VERSION (ConnectStandalone, -Xmx${CONNECT_HEAP:-1g}).")"
    echo
    echo "| phase | worker | seconds | events/s | worker CPU s | cores used | events per CPU s | peak RSS MB | first event s | events/s once flowing |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for ph in snapshot stream; do
        for kind in $RESULT_KINDS; do
            if [[ $(get "$kind" "$ph.rate") == n/a ]]; then
                echo "| $(phase_label "$ph") | $(kind_name "$kind") | failed: see below | | | | | | | |"
                continue
            fi
            echo "| $(phase_label "$ph") | $(kind_name "$kind") | $(get "$kind" "$ph.seconds") | **$(get "$kind" "$ph.rate")** | $(get "$kind" "$ph.cpu") | $(get "$kind" "$ph.cores") | **$(get "$kind" "$ph.per_cpu")** | $(mb "$(get "$kind" "$ph.rss_kb")") | $(get "$kind" "$ph.first") | $(get "$kind" "$ph.flowing_rate") |"
        done
    done
    echo
    if { has_ferry || has_jar; } && has_java; then
        echo "| phase | worker | events/s, it / Debezium on Connect | events per CPU s, it / Debezium on Connect | peak RSS, Debezium on Connect / it |"
        echo "|---|---|---:|---:|---:|"
        for ph in snapshot stream; do
            for fk in ferry ferry-jar; do
                [[ " $KINDS " == *" $fk "* ]] || continue
                echo "| $(phase_label "$ph") | $(kind_name "$fk") | $(ratio_fj "$ph.rate" "$fk") | $(ratio_fj "$ph.per_cpu" "$fk") | $(divide "$(get java "$ph.rss_kb")" "$(get "$fk" "$ph.rss_kb")" "%.2f") |"
            done
        done
        echo
    fi
    if has_jar && has_java; then
        echo "Targets for the jar under ferry (issue 13): at least Kafka Connect's events/s — snapshot: $(verdict "$(divide "$(get ferry-jar snapshot.rate)" "$(get java snapshot.rate)" %.6f)" 1 ge) ($(ratio_fj snapshot.rate ferry-jar)×),"
        echo "streaming: $(verdict "$(divide "$(get ferry-jar stream.rate)" "$(get java stream.rate)" %.6f)" 1 ge) ($(ratio_fj stream.rate ferry-jar)×); at no more of its memory (ferry's and its JVM's peaks summed against Kafka Connect's) —"
        echo "snapshot: $(verdict "$(divide "$(get ferry-jar snapshot.rss_kb)" "$(get java snapshot.rss_kb)" %.6f)" 1 le) ($(mb_na "$(get ferry-jar snapshot.rss_kb)") vs $(mb_na "$(get java snapshot.rss_kb)") MB),"
        echo "streaming: $(verdict "$(divide "$(get ferry-jar stream.rss_kb)" "$(get java stream.rss_kb)" %.6f)" 1 le) ($(mb_na "$(get ferry-jar stream.rss_kb)") vs $(mb_na "$(get java stream.rss_kb)") MB)."
        echo
    fi
    if has_ferry && has_java; then
        echo "Targets (the issue): ferry at least 2× Debezium's events/s per core — snapshot: $(verdict "$(ratio_fj snapshot.per_cpu)" 2 ge) ($(ratio_fj snapshot.per_cpu)),"
        echo "streaming: $(verdict "$(ratio_fj stream.per_cpu)" 2 ge) ($(ratio_fj stream.per_cpu)); ferry under 100 MB RSS — snapshot: $(verdict "$(mb_na "$(get ferry snapshot.rss_kb)")" 100 le) ($(mb_na "$(get ferry snapshot.rss_kb)") MB), streaming: $(verdict "$(mb_na "$(get ferry stream.rss_kb)")" 100 le) ($(mb_na "$(get ferry stream.rss_kb)") MB)."
        echo
    fi
    echo "Published reference, for scale only (another machine and setup): Debezium's MySQL connector moved"
    echo "about 134,000 events/s at about 2.2 GB of memory on 4 vCPUs (ConduitIO streaming-benchmarks, May 2025)."
    echo
    echo "## Run-level check"
    echo
    echo "| worker | records in the table's topic (GetOffsetShell) | expected | equal | read back: ops and ids | every op and id as expected | connector at the end | all topics of the prefix |"
    echo "|---|---:|---:|---|---|---|---|---|"
    for kind in $RESULT_KINDS; do
        c=$(get "$kind" count)
        eq=no
        [[ $c == "$TOTAL" ]] && eq=yes
        echo "| $(kind_name "$kind") | $c | $TOTAL | **$eq** | $(get "$kind" verify) | $(get "$kind" verify_ok) | $(get "$kind" state) | $(get "$kind" topics) |"
    done
    echo
    echo "The count is the topic's end offset minus its start offset by Kafka's own \`GetOffsetShell\`, $QUIET_S s after the"
    echo "last event was seen (a duplicate sent late would show). \"Read back\" (VERIFY=1): every record of the topic read by"
    echo "the bench program \`dump_topic\`: the \`op\` of each value, the \`id\` of each key, the number of distinct ids"
    echo "(expected $TOTAL, from 1 to $TOTAL) and whether every \`r\` comes before every \`c\` (offsets)."
    for kind in $RESULT_KINDS; do
        for ph in snapshot stream; do
            if [[ $(get "$kind" "$ph.db_restart") != n/a ]]; then
                echo
                echo "$(kind_name "$kind"), $ph: $(get "$kind" "$ph.db_restart")."
            fi
        done
        [[ $(get "$kind" restarted) == n/a ]] && continue
        echo
        echo "$(kind_name "$kind"): $(get "$kind" restarted); the figures above are from attempt $(get "$kind" attempts)."
    done
    for kind in $RESULT_KINDS; do
        f=$(get "$kind" failed)
        [[ $f == n/a ]] && continue
        echo
        echo "### $(kind_name "$kind") failed"
        echo
        echo "$f"
        echo
        echo "The table's topic's end offset at the failure (watch_topic): snapshot phase $(get "$kind" snapshot.seen), streaming phase $(get "$kind" stream.seen)."
        echo "The topics of its prefix then (GetOffsetShell): $(get "$kind" failed_counts)."
        echo "The worker's log, its errors and warnings (first 40; the whole log is in ${WORK#"$ROOT"/}/$kind/):"
        echo
        echo '```'
        cut -c1-400 "$WORK/$kind/failure-errors.txt" 2>/dev/null || true
        echo '```'
    done
    echo
    echo "## Where the CPU went"
    echo
    echo "CPU seconds over each phase (\`utime + stime\` of \`/proc/PID/stat\`), of the worker, the broker (a JVM, 512 MB heap), MariaDB"
    echo "(\`mariadbd\`), and the whole machine (\`/proc/stat\`, $(nproc) CPUs: at most $(nproc) CPU s per second); \"other\" is the"
    echo "machine minus these three (the measuring script, the insert client, and anything else on the machine)."
    echo
    echo "| phase | worker | seconds | worker | of which ferry / Connect's JVM | of which the plugin host's JVM | broker | MariaDB | machine | machine busy | other |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for ph in snapshot stream; do
        for kind in $RESULT_KINDS; do
            [[ $(get "$kind" "$ph.rate") == n/a ]] && continue
            s=$(get "$kind" "$ph.seconds")
            m=$(get "$kind" "$ph.machine_cpu")
            other=$(awk -v m="$m" -v a="$(get "$kind" "$ph.cpu")" -v b="$(get "$kind" "$ph.broker_cpu")" -v c="$(get "$kind" "$ph.db_cpu")" \
                'BEGIN { if (b !~ /^-?[0-9.]+$/ || c !~ /^-?[0-9.]+$/) print "n/a"; else printf "%.2f", m - a - b - c }')
            echo "| $(phase_label "$ph") | $(kind_name "$kind") | $s | $(get "$kind" "$ph.cpu") | $(get "$kind" "$ph.root_cpu") | $(get "$kind" "$ph.jvm_cpu") | $(get "$kind" "$ph.broker_cpu") | $(get "$kind" "$ph.db_cpu") | $m | $(awk -v m="$m" -v s="$s" -v n="$(nproc)" 'BEGIN { printf "%.0f %%", 100 * m / (s * n) }') | $other |"
        done
    done
    echo
    echo "Streaming, the writer: the $STATEMENTS statements took$(for k in $RESULT_KINDS; do printf ' %s s (%s)' "$(get "$k" writer_s)" "$(kind_name "$k")"; done);"
    echo "the last event reached the topic$(for k in $RESULT_KINDS; do printf ' %s s (%s)' "$(get "$k" lag_s)" "$(kind_name "$k")"; done) after the last statement returned."
    echo
    echo "## Memory"
    echo
    echo "The worker's resident set (\`VmRSS\`, all its processes) when each phase began and ended, and its peak: each process's"
    echo "\`VmHWM\` (reset when the phase began; a JVM started during the phase has its whole life's peak) and their sum (the"
    echo "\"peak RSS\" above), and the total of the processes' RSS sampled every 100 ms (bench program \`proc_tree\`), whose highest"
    echo "value is the peak the machine saw to within 100 ms, MB:"
    echo
    echo "| phase | worker | processes | RSS at the start | peak of the worker process (ferry / Connect's JVM) | peak of the plugin host's JVM | sum of the peaks | peak of the total, sampled | RSS at the end |"
    echo "|---|---|---|---:|---:|---:|---:|---:|---:|"
    for ph in snapshot stream; do
        for kind in $RESULT_KINDS; do
            [[ $(get "$kind" "$ph.rate") == n/a ]] && continue
            echo "| $(phase_label "$ph") | $(kind_name "$kind") | $(get "$kind" "$ph.processes") | $(mb_na "$(get "$kind" "$ph.start_rss_kb")") | $(mb_na "$(get "$kind" "$ph.root_rss_kb")") | $(mb_na "$(get "$kind" "$ph.jvm_rss_kb")") | $(mb_na "$(get "$kind" "$ph.rss_kb")") | $(mb_na "$(get "$kind" "$ph.sampled_kb")") | $(mb_na "$(get "$kind" "$ph.end_rss_kb")") |"
        done
    done
    echo
    echo "## How it is measured"
    echo
    echo "- **snapshot**: from the moment \`POST /connectors\` is sent (the worker already running and answering) until"
    echo "  the table's topic \`PREFIX.bench.cdc\` (created beforehand, one partition) holds $ROWS records, by the bench"
    echo "  program \`watch_topic\` reading its end offset every 10 ms. **first event s**: until the first record;"
    echo "  **events/s once flowing**: from the first record to the last."
    echo "- **streaming**: $SETTLE_S s after the snapshot's last record, from the start of the insert client (\`mariadb\` running"
    echo "  the $STATEMENTS statements, autocommit) until the topic holds $CHANGES more records."
    echo "- **worker CPU s**: the CPU time over the phase of the worker's process tree (\`utime + stime\` of each process, and of"
    echo "  the children it reaped; bench program \`proc_tree\`): ferry, with its plugin host's JVM under ferry + Java plugin host;"
    echo "  Kafka Connect's JVM, which \`connect.sh\` execs. **cores used** = CPU s / seconds; **events per CPU s** = events / worker"
    echo "  CPU s (the efficiency figure)."
    echo "- **peak RSS**: \`VmHWM\` of \`/proc/PID/status\` at the end of the phase, reset at its start (\`echo 5 >"
    echo "  /proc/PID/clear_refs\`; reset worked: $HWM_RESET), so each phase has its own peak; summed over the worker's processes"
    echo "  (one but for ferry + Java plugin host: then an upper bound of their peak together; see Memory for the sampled total)."
    echo "- Each kind has its own topic prefix (\`mysqlcdc-KIND-$RUN_ID\`), schema history topic (\`PREFIX-history\`),"
    echo "  \`database.server.id\` and offsets file. The workers: \`offset.flush.interval.ms=10000\`, everything else at"
    [[ -z $FERRY_WORKER_PROPS ]] || echo "  **ferry's worker properties also had** (FERRY_WORKER_PROPS): $FERRY_PROPS_MD"
    echo "  their defaults; each its own producer defaults$(has_java && [[ $(get java producer) != n/a ]] && echo " (Kafka Connect's for the connector: $(get java producer))")."
    echo "- The table: \`id INT\` primary key, \`customer VARCHAR(64)\`, \`email VARCHAR(128)\`, \`city VARCHAR(64)\` (nullable),"
    echo "  \`status VARCHAR(16)\`, \`quantity INT\`, \`price DECIMAL(10,2)\`, \`created_at DATETIME\`, \`updated_at TIMESTAMP\`, filled"
    echo "  by \`INSERT ... SELECT\` from MariaDB's \`seq_A_to_B\` (SEQUENCE engine), $LOAD_CHUNK rows a statement, before the worker starts."
    echo
    echo "## Setup"
    echo
    echo "- machine: $(machine_line); load average at the start: $LOAD_AT_START, at the end: $LOAD_AT_END"
    echo "- broker: Apache Kafka $KAFKA_VERSION (KRaft, single node, same machine; 512 MB heap)"
    if [[ $MARIADB == private ]]; then
        echo "- MariaDB $MARIADB_VERSION on the same machine, a server of the script's own on a free port (\`MARIADB=private\`; its data in bench/work; server defaults but for $DB_SETTINGS)"
    else
        echo "- MariaDB $MARIADB_VERSION on the same machine, the tests' server (\`MARIADB=shared\`, scripts/databases.sh; $DB_SETTINGS)"
    fi
    echo "- ferry: $(ferry_revision), release build"
    if has_java; then
        echo "- Kafka Connect $KAFKA_VERSION: ConnectStandalone through scripts/kafka/connect.sh (Java $(java_version), -Xms256m -Xmx${CONNECT_HEAP:-1g}, G1),"
        echo "  Debezium 3.6.1.Final's MariaDB plugin from compat/debezium/fetch.sh ($(cat "$DEBEZIUM_PLUGINS/mariadb/HOW" 2>/dev/null || echo "?"))"
    fi
    if has_jar; then
        echo "- ferry + Java plugin host: plugin.path $DEBEZIUM_PLUGINS (the same plugin folders), \`plugin.discovery=service_load\`; the host"
        echo "  from $FERRY_JAVA_HOST; its JVM ran with \`$(get ferry-jar jvm_options)\`; the connector's status named version $(get ferry-jar version)"
    fi
    for kind in $RESULT_KINDS; do
        echo "- $(kind_name "$kind"): REST answering $(get "$kind" ready_s) s after the launch; \`POST /connectors\` answered in $(get "$kind" create_ms) ms; connector config: \`$(get "$kind" config)\`"
    done
} >"$REPORT"

# figures for bench/side-by-side.sh: mysqlcdc.KIND.PHASE.METRIC=value
if [[ -n ${BENCH_SUMMARY:-} ]]; then
    {
        for kind in $RESULT_KINDS; do
            for ph in snapshot stream; do
                for m in rate per_cpu cpu seconds; do echo "mysqlcdc.$kind.$ph.$m=$(get "$kind" "$ph.$m")"; done
                echo "mysqlcdc.$kind.$ph.rss_mb=$(mb_na "$(get "$kind" "$ph.rss_kb")")"
                echo "mysqlcdc.$kind.$ph.root_rss_mb=$(mb_na "$(get "$kind" "$ph.root_rss_kb")")"
                echo "mysqlcdc.$kind.$ph.jvm_rss_mb=$(mb_na "$(get "$kind" "$ph.jvm_rss_kb")")"
                echo "mysqlcdc.$kind.$ph.sampled_mb=$(mb_na "$(get "$kind" "$ph.sampled_kb")")"
                echo "mysqlcdc.$kind.$ph.root_cpu=$(get "$kind" "$ph.root_cpu")"
                echo "mysqlcdc.$kind.$ph.jvm_cpu=$(get "$kind" "$ph.jvm_cpu")"
            done
            echo "mysqlcdc.$kind.count=$(get "$kind" count)"
        done
        echo "mysqlcdc.rows=$ROWS"
    } >>"$BENCH_SUMMARY"
fi

cat "$REPORT"
say "written to ${REPORT#"$ROOT"/}"
for kind in $RESULT_KINDS; do
    [[ $(get "$kind" failed) == n/a && $(get "$kind" count) == "$TOTAL" ]] || say "NOTE: $(kind_name "$kind") failed or is wrong: see the report"
done
