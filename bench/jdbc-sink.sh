#!/usr/bin/env bash
# JDBC sink into PostgreSQL: ferry's io.debezium.connector.jdbc.JdbcSinkConnector beside real
# Debezium's JDBC sink on Apache Kafka Connect 4.4.0 and beside PostgreSQL's own COPY of the same
# rows, in one run. ROWS Debezium-style change events (JsonConverter, schemas.enable=true; 90 %
# creates, 10 % updates of earlier ids, no deletes) already in a one-partition topic are applied by
# each sink, one task, with batch.size from BATCHES, each run into a fresh table of its own. See
# bench/README.md.
#
#   bench/jdbc-sink.sh                               # COPY, ferry, Debezium; batch.size 500 and 3000
#   KINDS="copy java" ROWS=20000 bench/jdbc-sink.sh
#   env: KINDS=what is measured, any of copy ferry java ("copy ferry java"), ROWS=change events in
#        the topic (1000000), BATCHES=the sinks' batch.size values, each a run of its own
#        ("500 3000"), UPDATE_EVERY=one event in this many is an update (10), FLUSH_MS=the
#        workers' offset.flush.interval.ms (1000: how often the sink's consumer offsets are
#        committed, which ends a run), TIMEOUT_S=per run (3600), STALL_S=a run fails when the
#        group's committed offset did not move for this long (180), KEEP_TABLES=1 leaves the
#        tables in PostgreSQL (they are dropped at the end), FERRY_WORKER_PROPS=lines added to
#        ferry's worker properties (the report says so)
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

KINDS=${KINDS:-copy ferry java}
ROWS=${ROWS:-1000000}
BATCHES=${BATCHES:-500 3000}
UPDATE_EVERY=${UPDATE_EVERY:-10}
FLUSH_MS=${FLUSH_MS:-1000}
TIMEOUT_S=${TIMEOUT_S:-3600}
STALL_S=${STALL_S:-180}
KEEP_TABLES=${KEEP_TABLES:-0}
FERRY_WORKER_PROPS=${FERRY_WORKER_PROPS:-}
WORK=${BENCH_WORK_ROOT:-$ROOT/bench/work}/jdbc-sink
RESULTS=$ROOT/bench/results
CLASS=io.debezium.connector.jdbc.JdbcSinkConnector
PREFIX=jdbcbench   # the tables: jdbcbench_copy, jdbcbench_ferry_500, ...

# cluster-lib.sh: the shared broker (BENCH_KAFKA_*), BENCH_BUILT, say/die, nap/now, mb,
# cpu_seconds, peak_rss_kb, rss_kb, machine_line, ferry_revision, java_version; its EXIT trap is
# replaced below by one that also stops what this script started
# shellcheck source-path=SCRIPTDIR source=cluster-lib.sh
source "$ROOT/bench/cluster-lib.sh"
# lib.sh: stop_pid, the sums, launch_standalone/wait_ready, connector_failed/_states
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$ROOT/bench/lib.sh"
# shellcheck source-path=SCRIPTDIR/.. source=scripts/databases.sh
source "$ROOT/scripts/databases.sh"

for k in $KINDS; do [[ $k == copy || $k == ferry || $k == java ]] || die "unknown kind '$k' (copy, ferry or java)"; done
for b in $BATCHES; do [[ $b =~ ^[1-9][0-9]*$ ]] || die "BATCHES must be whole numbers, not '$b'"; done
((ROWS > 1 && TIMEOUT_S > 0 && FLUSH_MS > 0)) || die "ROWS must be at least 2, TIMEOUT_S and FLUSH_MS at least 1"
has() { [[ " $KINDS " == *" $1 "* ]]; }
kind_label() {
    case $1 in
        copy) echo "COPY (psql)" ;;
        ferry) echo "ferry" ;;
        java) echo "Debezium $DBZ_VERSION on Kafka Connect $KAFKA_VERSION" ;;
    esac
}

# ---------------------------------------------------------------------------------------------
# what this script starts, stopped on exit (before the broker, and PostgreSQL if it started it)

PROG_PID="" GROUP_PID=""
jdbc_sink_cleanup() {
    stop_pid "$GROUP_PID" 5
    GROUP_PID=""
    stop_pid "$PROG_PID" 30
    PROG_PID=""
    if [[ -n ${PG_OK:-} && $KEEP_TABLES != 1 ]]; then drop_tables || true; fi
    cluster_cleanup
    stop_databases_we_started || true
}
trap jdbc_sink_cleanup EXIT
trap 'say "received SIGINT"; exit 130' INT
trap 'say "received SIGTERM"; exit 143' TERM

# ---------------------------------------------------------------------------------------------
# helpers

# PostgreSQL as the user ferry over TCP (scripts/databases.sh's server, port FERRY_POSTGRES_PORT)
PG_HOST=127.0.0.1
psql_ferry() { PGPASSWORD=ferry PGCONNECT_TIMEOUT=10 PGTZ=UTC psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U ferry -d ferry "$@"; }
sql() { psql_ferry -Atc "$1"; }
drop_tables() {
    local list
    list=$(sql "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE '${PREFIX}\_%'")
    [[ -z $list ]] || sql "DROP TABLE IF EXISTS $list" >/dev/null
}
# The CPU seconds of all PostgreSQL processes (the postmaster, its helpers and every backend, also
# other clients'), as "PID SECONDS" lines; pg_cpu_since SNAPSHOT: what they used since the snapshot
# (a process started since counts whole; one that ended since is lost)
pg_cpu_snapshot() {
    local p
    for p in $(pgrep -x postgres || true); do
        [[ -r /proc/$p/stat ]] && echo "$p $(cpu_seconds "$p" 2>/dev/null || echo 0)"
    done
}
pg_cpu_since() {
    pg_cpu_snapshot | awk -v before="$1" 'BEGIN { n = split(before, l, "\n"); for (i = 1; i <= n; i++) { split(l[i], f, " "); b[f[1]] = f[2] } }
        { s += $2 - ($1 in b ? b[$1] : 0) } END { printf "%.2f", s }'
}

# The column list the checksum and the comparison use, each cast to one type so that tables whose
# columns a sink typed differently (timestamptz, numeric without scale...) compare by value
CMP_COLS="id::int, counter::bigint, name::text, score::float8, active::boolean, price::numeric(12,2), updated_at::timestamp(6), day::date"
# table_check TABLE: "count checksum" of a table
table_check() { sql "SELECT count(*) || ' ' || coalesce(sum(hashtext(ROW($CMP_COLS)::text)::bigint), 0) FROM $1"; }
# table_diff TABLE: how many ids differ from the COPY table (missing, extra or other values), and a few of them
table_diff() {
    local cols="c.id::int, c.counter::bigint, c.name::text, c.score::float8, c.active::boolean, c.price::numeric(12,2), c.updated_at::timestamp(6), c.day::date"
    local tcols=${cols//c./t.}
    sql "SELECT count(*) FROM ${PREFIX}_copy c FULL JOIN $1 t ON t.id = c.id WHERE ROW($cols) IS DISTINCT FROM ROW($tcols)"
    sql "SELECT 'expected ' || coalesce(ROW($cols)::text, 'no row') || ' got ' || coalesce(ROW($tcols)::text, 'no row')
         FROM ${PREFIX}_copy c FULL JOIN $1 t ON t.id = c.id WHERE ROW($cols) IS DISTINCT FROM ROW($tcols) ORDER BY coalesce(c.id, t.id) LIMIT 3"
}
# table_columns TABLE: "name type, ..." as PostgreSQL has them, and the primary key
table_columns() {
    sql "SELECT string_agg(column_name || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY c.ordinal_position)
           || coalesce('; primary key (' || (SELECT string_agg(k.column_name, ', ') FROM information_schema.key_column_usage k
               JOIN information_schema.table_constraints tc ON tc.constraint_name = k.constraint_name AND tc.table_name = k.table_name
               WHERE k.table_name = '$1' AND tc.constraint_type = 'PRIMARY KEY') || ')', '; no primary key')
         FROM information_schema.columns c JOIN pg_attribute a ON a.attrelid = '$1'::regclass AND a.attname = c.column_name
         WHERE c.table_schema = 'public' AND c.table_name = '$1'"
}
# The COPY table, typed as Debezium's JDBC sink types these Connect schemas on PostgreSQL
# (schema.evolution=basic; checked against its tables, column by column, in the report)
copy_ddl() {
    echo "CREATE TABLE $1 (id integer NOT NULL, counter bigint NOT NULL, name text NOT NULL, score double precision,
      active boolean, price numeric(10,2), updated_at timestamp(6) without time zone, day date, PRIMARY KEY (id))"
}

declare -A FIG
put() { FIG[$1,$2]=$3; } # RUN METRIC VALUE
get() { echo "${FIG[$1,$2]:-n/a}"; }
RUNS=""

field() { awk -v e="$2" -v f="$3" '$1 == e { print $f; exit }' "$1" 2>/dev/null || true; } # FILE EVENT FIELD

# fail_run RUN WHAT: records why the run stopped, with its log's errors
fail_run() {
    local run=$1 dir=$WORK/$1
    put "$run" failed "$2"
    say "$run FAILED: $2"
    grep -E 'ERROR|WARN|panic' "$dir/worker.log" "$dir"/logs/* 2>/dev/null | grep -v 'Unknown worker property\|is not used by' | head -n 40 >"$dir/failure-errors.txt" || true
}

# ---------------------------------------------------------------------------------------------
# COPY: the final state, into an empty table with the same types and primary key

run_copy() {
    local run=copy table=${PREFIX}_copy t0 t1 pg0 m0 tm
    mkdir -p "$WORK/copy"
    sql "DROP TABLE IF EXISTS $table; $(copy_ddl "$table")" >/dev/null
    pg0=$(pg_cpu_snapshot)
    m0=$(machine_busy)
    now
    t0=$NOW_US
    # psql's \copy ... FROM pstdin sends COPY ... FROM STDIN with psql's standard input; the
    # backend's own CPU time is read from /proc before the session ends (it is gone afterwards)
    {
        echo 'SELECT pg_backend_pid() AS bpid \gset'
        echo '\setenv BPID :bpid'
        echo "\\copy $table FROM pstdin"
        echo "\\! cat /proc/\$BPID/stat > '$WORK/copy/backend.stat'"
    } >"$WORK/copy/copy.sql"
    /usr/bin/time -f '%U %S %M' -o "$WORK/copy/time.txt" \
        env PGPASSWORD=ferry psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U ferry -d ferry \
        -f "$WORK/copy/copy.sql" <"$WORK/items.copy" >"$WORK/copy/psql.out" 2>&1 ||
        die "COPY failed: $(cat "$WORK/copy/psql.out")"
    now
    t1=$NOW_US
    put $run pg_cpu "$(pg_cpu_since "$pg0")"
    put $run backend_cpu "$(awk -v hz="$CLK_TCK" '{ sub(/^.*\) /, ""); split($0, f, " "); printf "%.2f", (f[12] + f[13]) / hz }' "$WORK/copy/backend.stat" 2>/dev/null || echo n/a)"
    put $run pg_cpu "$(awk -v a="$(get $run pg_cpu)" -v b="$(get $run backend_cpu)" 'BEGIN { printf "%.2f", a + (b == "n/a" ? 0 : b) }')"
    put $run machine_cpu "$(minus "$(machine_busy)" "$m0")"
    read -r tm_u tm_s tm <"$WORK/copy/time.txt"
    put $run cpu "$(awk -v u="$tm_u" -v s="$tm_s" 'BEGIN { printf "%.2f", u + s }')"
    put $run rss_kb "$tm"
    put $run seconds "$(secs $((t1 - t0)))"
    put $run events "$EXPECT_ROWS"
    put $run rate "$(per_sec "$EXPECT_ROWS" $((t1 - t0)))"
    put $run per_cpu "$(divide "$EXPECT_ROWS" "$(get $run cpu)" "%.0f")"
    put $run columns "$(table_columns "$table")"
    read -r c s <<<"$(table_check "$table")"
    put $run count "$c"
    put $run checksum "$s"
    EXPECT_SUM=$s
    [[ $c == "$EXPECT_ROWS" ]] || die "COPY loaded $c rows, not $EXPECT_ROWS"
    say "COPY: $EXPECT_ROWS rows in $(get $run seconds) s ($(get $run rate) rows/s), PostgreSQL CPU $(get $run pg_cpu) s, checksum $s"
}

# ---------------------------------------------------------------------------------------------
# a sink run: a standalone worker, the connector created over REST, until the table is complete
# and the group's committed offset is the topic's end

run_sink() {
    local kind=$1 batch=$2 run=$1-$2 dir=$WORK/$1-$2 name table port t0 code
    local table_seen="" table_done="" group_done="" next_check=0 trouble last_committed=-1 last_change
    name=$PREFIX-$kind-$batch-$RUN_ID
    table=${PREFIX}_${kind}_${batch}
    RUNS+=" $run"
    put "$run" kind "$kind"
    put "$run" batch "$batch"
    put "$run" table "$table"
    rm -rf "$dir"
    mkdir -p "$dir"
    sql "DROP TABLE IF EXISTS $table" >/dev/null
    say "=== $(kind_label "$kind"), batch.size $batch: connector $name into the table $table ==="

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
        echo "offset.flush.interval.ms=$FLUSH_MS"
        echo "consumer.auto.offset.reset=earliest"
        if [[ $kind == java ]]; then echo "plugin.path=$DEBEZIUM_PLUGINS"; fi
        if [[ $kind == ferry && -n $FERRY_WORKER_PROPS ]]; then printf '%s\n' "$FERRY_WORKER_PROPS"; fi
    } >"$dir/worker.properties"
    jq -n --arg name "$name" --arg class "$CLASS" --arg topic "$TOPIC" --arg url "jdbc:postgresql://$PG_HOST:$PG_PORT/ferry" \
        --arg table "$table" --arg batch "$batch" '{name: $name, config: {
            "connector.class": $class, "tasks.max": "1", "topics": $topic,
            "connection.url": $url, "connection.username": "ferry", "connection.password": "ferry",
            "insert.mode": "upsert", "primary.key.mode": "record_key", "delete.enabled": "true",
            "schema.evolution": "basic", "collection.name.format": $table, "batch.size": $batch }}' >"$dir/connector.json"
    put "$run" config "$(jq -c '.config | .["connection.password"] = "…"' "$dir/connector.json")"

    KLOG=$dir/worker.log
    now
    t0=$NOW_US
    launch_standalone "$kind" "$dir/worker.properties" "$KLOG"
    if ! wait_ready "$t0" 120; then
        fail_run "$run" "$READY_ERROR"
        stop_pid "$PROG_PID" 30
        PROG_PID=""
        return 0
    fi
    put "$run" ready_s "$(secs $((READY_US - t0)))"
    say "$(kind_label "$kind") answers on $REST after $(get "$run" ready_s) s (pid $PROG_PID, log ${KLOG#"$ROOT"/})"

    # the group's committed offsets, watched from outside it (OffsetFetch only)
    "$BIN/watch_group" --brokers "$KAFKA_BOOTSTRAP" --group "connect-$name" --topic "$TOPIC" --interval-ms 100 \
        --progress-ms 1000 --timeout-s "$((TIMEOUT_S + 120))" >"$dir/group.txt" 2>"$dir/group.err" &
    GROUP_PID=$!
    for ((i = 0; i < 3000; i++)); do
        grep -q '^ready ' "$dir/group.txt" 2>/dev/null && break
        kill -0 "$GROUP_PID" 2>/dev/null || die "watch_group exited: $(cat "$dir/group.err")"
        nap 0.01
    done
    [[ $(field "$dir/group.txt" ready 3) == 0 ]] || die "the group connect-$name has committed offsets already"

    local rss0 cpu0 broker0 pg0 m0
    rss0=$(rss_kb "$PROG_PID")
    reset_peak_rss "$PROG_PID"
    cpu0=$(cpu_seconds "$PROG_PID") broker0=$(cpu_or_na "$KAFKA_PID") pg0=$(pg_cpu_snapshot) m0=$(machine_busy)
    now
    t0=$NOW_US
    code=$(curl -s -o "$dir/create.out" -m 120 -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data @"$dir/connector.json" "$REST/connectors" || true)
    now
    put "$run" create_ms $(((NOW_US - t0) / 1000))
    if [[ $code != 201 ]]; then
        fail_run "$run" "POST /connectors answered HTTP ${code:-nothing}: $(cat "$dir/create.out" 2>/dev/null)"
        put "$run" equal "not run"
        stop_pid "$GROUP_PID" 5; GROUP_PID=""; stop_pid "$PROG_PID" 30; PROG_PID=""
        return 0
    fi
    say "connector $name created (HTTP 201 after $(get "$run" create_ms) ms); waiting for $EXPECT_ROWS rows in $table and the group's lag 0"

    # Every 200 ms: is the table there, does it hold the last id (the topic's last event, a create:
    # with the events applied in order, everything before it is applied too), then its count; has
    # watch_group seen the lag 0. Every 5 s: the connector's status, the committed offset's progress.
    last_change=$t0
    local fail=""
    while :; do
        now
        if [[ -z $table_done ]]; then
            if [[ -z $table_seen ]]; then
                [[ $(sql "SELECT to_regclass('public.$table') IS NOT NULL" 2>/dev/null) == t ]] && table_seen=$NOW_US
            fi
            if [[ -n $table_seen ]] && [[ $(sql "SELECT count(*) FROM $table WHERE id = $LAST_ID" 2>/dev/null) == 1 ]] &&
                [[ $(sql "SELECT count(*) FROM $table" 2>/dev/null) == "$EXPECT_ROWS" ]]; then
                table_done=$NOW_US
            fi
        fi
        if [[ -z $group_done ]] && ! kill -0 "$GROUP_PID" 2>/dev/null; then
            wait "$GROUP_PID" 2>/dev/null || true
            GROUP_PID=""
            group_done=$(field "$dir/group.txt" "done" 2)
            [[ -n $group_done ]] || { fail="watch_group gave up: $(cat "$dir/group.err")"; break; }
        fi
        [[ -n $table_done && -n $group_done ]] && break
        if worker_exited; then fail=$EXIT_REASON; break; fi
        if ((NOW_US >= next_check)); then
            next_check=$((NOW_US + 5000000))
            trouble=$(connector_failed "$name")
            if [[ -n $trouble ]]; then fail="the connector $trouble"; break; fi
            local c
            c=$(tail -n 1 "$dir/group.txt" | awk '{ print $3 }')
            if [[ -n $c && $c != "$last_committed" ]]; then
                last_committed=$c
                last_change=$NOW_US
            elif ((NOW_US - last_change > STALL_S * 1000000)); then
                fail="the group's committed offset stayed at $last_committed for $STALL_S s; $(connector_states "$name")"
                break
            fi
        fi
        if ((NOW_US - t0 > TIMEOUT_S * 1000000)); then fail="not done within $TIMEOUT_S s; $(connector_states "$name")"; break; fi
        nap 0.2
    done
    local done_us cpu
    if [[ -n $fail ]]; then
        put "$run" committed "$(tail -n 1 "$dir/group.txt" | awk '{ print $3 }')"
        put "$run" rows_then "$(sql "SELECT count(*) FROM $table" 2>/dev/null || echo "no table")"
        fail_run "$run" "$fail"
    else
        done_us=$((table_done > group_done ? table_done : group_done))
        cpu=$(minus "$(cpu_seconds "$PROG_PID")" "$cpu0")
        put "$run" rss_kb "$(peak_rss_kb "$PROG_PID")"
        put "$run" start_rss_kb "$rss0"
        put "$run" end_rss_kb "$(rss_kb "$PROG_PID")"
        put "$run" broker_cpu "$(minus_na "$(cpu_or_na "$KAFKA_PID")" "$broker0")"
        put "$run" pg_cpu "$(pg_cpu_since "$pg0")"
        put "$run" machine_cpu "$(minus "$(machine_busy)" "$m0")"
        put "$run" cpu "$cpu"
        put "$run" events "$ROWS"
        put "$run" seconds "$(secs $((done_us - t0)))"
        put "$run" rate "$(per_sec "$ROWS" $((done_us - t0)))"
        put "$run" cores "$(divide "$cpu" "$(secs $((done_us - t0)))")"
        put "$run" per_cpu "$(divide "$ROWS" "$cpu" "%.0f")"
        put "$run" table_s "$(secs $((table_done - t0)))"
        put "$run" group_s "$(secs $((group_done - t0)))"
        put "$run" first_s "$(secs $((table_seen - t0)))"
        put "$run" state "$(connector_states "$name")"
        say "$run: $ROWS events in $(get "$run" seconds) s ($(get "$run" rate) events/s; table complete at $(get "$run" table_s) s, lag 0 at $(get "$run" group_s) s), worker CPU $cpu s, PostgreSQL CPU $(get "$run" pg_cpu) s, peak RSS $(mb "$(get "$run" rss_kb)") MB"
    fi
    stop_pid "$GROUP_PID" 5
    GROUP_PID=""
    stop_pid "$PROG_PID" 30
    PROG_PID=""
    if [[ $(sql "SELECT to_regclass('public.$table') IS NOT NULL") == t ]]; then
        local c s
        read -r c s <<<"$(table_check "$table")"
        put "$run" count "$c"
        put "$run" checksum "$s"
        put "$run" columns "$(table_columns "$table")"
        if [[ $c == "$EXPECT_ROWS" && $s == "$EXPECT_SUM" ]]; then
            put "$run" equal yes
        else
            { read -r n; mapfile -t sample; } < <(table_diff "$table")
            put "$run" equal "**no**: $n rows differ from COPY's (missing, extra or other values)"
            put "$run" diff "$(printf '%s\n' "${sample[@]}")"
        fi
        say "$run: $c rows, checksum $s ($(get "$run" equal))"
    else
        put "$run" equal "**no**: no table"
    fi
}

# ---------------------------------------------------------------------------------------------
rm -rf "$WORK"
mkdir -p "$WORK" "$RESULTS"
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
RUN_ID=$(date +%H%M%S)
build_and_start_kafka "$WORK/kafka"
DEBEZIUM_PLUGINS=${DEBEZIUM_PLUGINS:-$FERRY_CACHE/debezium-3.6.1/plugins}
DBZ_VERSION=3.6.1
if has java; then
    say "making sure of Debezium's JDBC sink plugin (compat/debezium/fetch.sh jdbc)"
    "$ROOT/compat/debezium/fetch.sh" jdbc || die "compat/debezium/fetch.sh jdbc failed"
    DBZ_JAR=$(find "$DEBEZIUM_PLUGINS/jdbc" -name 'debezium-connector-jdbc-*.jar' | head -n 1)
    [[ -n $DBZ_JAR ]] || die "no debezium-connector-jdbc jar in $DEBEZIUM_PLUGINS/jdbc"
    DBZ_VERSION=$(basename "$DBZ_JAR" .jar)
    DBZ_VERSION=${DBZ_VERSION#debezium-connector-jdbc-}
    DBZ_VERSION=${DBZ_VERSION%.Final}
fi
say "making sure of PostgreSQL (scripts/databases.sh)"
ensure_postgres
PG_PORT=${FERRY_POSTGRES_PORT:-5432}
PG_OK=1
PG_VERSION=$(sql "SHOW server_version")
PG_SETTINGS=$(sql "SELECT 'shared_buffers=' || current_setting('shared_buffers') || ', synchronous_commit=' || current_setting('synchronous_commit')
    || ', fsync=' || current_setting('fsync') || ', wal_level=' || current_setting('wal_level') || ', max_wal_size=' || current_setting('max_wal_size')")
drop_tables

TOPIC=$PREFIX-$RUN_ID.public.items
create_topics "$TOPIC"
say "producing $ROWS change events into $TOPIC (gen_changes; not timed) and the final state for COPY"
GEN=$("$BIN/gen_changes" --brokers "$KAFKA_BOOTSTRAP" --topic "$TOPIC" --count "$ROWS" --every "$UPDATE_EVERY" --copy-file "$WORK/items.copy") ||
    die "gen_changes failed"
EXPECT_ROWS=$(jq -r .rows <<<"$GEN")
LAST_ID=$(jq -r .last_id <<<"$GEN")
UPDATES=$(jq -r .updates <<<"$GEN")
TOPIC_BYTES=$(jq -r .bytes <<<"$GEN")
say "$ROWS events ($EXPECT_ROWS creates, $UPDATES updates, $((TOPIC_BYTES / 1048576)) MB of keys and values) in $(jq -r .seconds <<<"$GEN") s"

# COPY first: its table is also the expected final state every sink's table is compared with
run_copy
for kind in ferry java; do
    has $kind || continue
    for batch in $BATCHES; do run_sink "$kind" "$batch"; done
done
LOAD_AT_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------
# report

DAY=$(date +%F)
REPORT=${BENCH_REPORT:-$RESULTS/jdbc-sink-$DAY.md}
COMMAND="bench/jdbc-sink.sh"
[[ $ROWS == 1000000 ]] || COMMAND="ROWS=$ROWS $COMMAND"
[[ $BATCHES == "500 3000" ]] || COMMAND="BATCHES=\"$BATCHES\" $COMMAND"
[[ $UPDATE_EVERY == 10 ]] || COMMAND="UPDATE_EVERY=$UPDATE_EVERY $COMMAND"
[[ $FLUSH_MS == 1000 ]] || COMMAND="FLUSH_MS=$FLUSH_MS $COMMAND"
[[ -z $FERRY_WORKER_PROPS ]] || COMMAND="FERRY_WORKER_PROPS='$FERRY_WORKER_PROPS' $COMMAND"
[[ $KINDS == "copy ferry java" ]] || COMMAND="KINDS=\"$KINDS\" $COMMAND"
ratio() { divide "$(get "$1" rate)" "$(get "$2" rate)"; } # RUN_A RUN_B: rate A / rate B
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "n/a") print "n/a"; else if (r >= t) print "met"; else print "not met" }'; }
{
    echo "# JDBC sink into PostgreSQL:$(for k in $KINDS; do printf ' %s,' "$(kind_label "$k")"; done | sed 's/,$//') — $DAY"
    echo
    echo "Command: \`$COMMAND\`"
    echo
    echo "$ROWS change events ($EXPECT_ROWS creates of ids 1..$EXPECT_ROWS, $UPDATES updates of earlier ids, no deletes;"
    echo "$((TOPIC_BYTES / 1048576)) MB of JSON keys and values with their schemas) already in a one-partition topic, applied to PostgreSQL $PG_VERSION"
    echo "by one sink task (\`$CLASS\`, \`insert.mode=upsert\`, \`primary.key.mode=record_key\`, \`delete.enabled=true\`,"
    echo "\`schema.evolution=basic\`), each run into an empty table of its own that the sink creates; and, for comparison, PostgreSQL's"
    echo "\`COPY ... FROM STDIN\` (psql) of the same final state ($EXPECT_ROWS rows) into an empty table with the same columns and primary key."
    echo
    echo "| run | batch.size | seconds | rows/s (sinks: events/s) | worker CPU s | cores used | events per worker CPU s | PostgreSQL CPU s | peak RSS MB | table = COPY's |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    if has copy; then
        echo "| $(kind_label copy) | – | $(get copy seconds) | **$(get copy rate)** rows/s | $(get copy cpu) (psql) | | | $(get copy pg_cpu) | $(mb_na "$(get copy rss_kb)") (psql) | (the reference) |"
    fi
    for run in $RUNS; do
        k=$(get "$run" kind)
        if [[ $(get "$run" failed) != n/a ]]; then
            echo "| $(kind_label "$k") | $(get "$run" batch) | failed: see below | | | | | | | $(get "$run" equal) |"
            continue
        fi
        echo "| $(kind_label "$k") | $(get "$run" batch) | $(get "$run" seconds) | **$(get "$run" rate)** | $(get "$run" cpu) | $(get "$run" cores) | $(get "$run" per_cpu) | $(get "$run" pg_cpu) | $(mb_na "$(get "$run" rss_kb)") | $(get "$run" equal) |"
    done
    echo
    if has ferry && { has copy || has java; }; then
        echo "| batch.size | ferry / COPY (events/s ÷ COPY's rows/s) | ferry / Debezium (events/s) | events per worker CPU s, ferry / Debezium | peak RSS, Debezium / ferry |"
        echo "|---:|---:|---:|---:|---:|"
        for b in $BATCHES; do
            fc=n/a fj=n/a fjc=n/a rss=n/a
            has copy && fc=$(ratio "ferry-$b" copy)
            if has java; then
                fj=$(ratio "ferry-$b" "java-$b")
                fjc=$(divide "$(get "ferry-$b" per_cpu)" "$(get "java-$b" per_cpu)")
                rss=$(divide "$(get "java-$b" rss_kb)" "$(get "ferry-$b" rss_kb)" "%.1f")
            fi
            echo "| $b | $fc | $fj | $fjc | $rss |"
        done
        echo
        echo -n "Targets (the issue): at least 50 % of COPY with one task, and at least 5× Debezium's sink —"
        for b in $BATCHES; do
            echo -n " batch.size $b: $(has copy && verdict "$(ratio "ferry-$b" copy)" 0.5 || echo n/a) / $(has java && verdict "$(ratio "ferry-$b" "java-$b")" 5 || echo n/a);"
        done
        echo
        echo
    fi
    for run in $RUNS; do
        f=$(get "$run" failed)
        [[ $f == n/a ]] && continue
        echo "### $(kind_label "$(get "$run" kind)"), batch.size $(get "$run" batch): failed"
        echo
        echo "$f"
        echo
        echo "The group's committed offset then: $(get "$run" committed) of $ROWS; rows in the table: $(get "$run" rows_then)."
        echo "The worker's log, its errors and warnings (first 40; the whole log is in ${WORK#"$ROOT"/}/$run/):"
        echo
        echo '```'
        cut -c1-400 "$WORK/$run/failure-errors.txt" 2>/dev/null || true
        echo '```'
        echo
    done
    for run in $RUNS; do
        d=$(get "$run" diff)
        [[ $d == n/a || -z $d ]] && continue
        echo "$(kind_label "$(get "$run" kind)"), batch.size $(get "$run" batch): $(get "$run" equal); the first of them (by id):"
        echo
        echo '```'
        echo "$d"
        echo '```'
        echo
    done
    echo "## The check"
    echo
    echo "Each table's row count and checksum (\`sum(hashtext(ROW($CMP_COLS)::text))\`, every column cast to one type so"
    echo "that tables typed differently compare by value), against COPY's table, which holds the expected final state"
    echo "(the last event of each id); where they differ, the rows that differ are counted by a full join on \`id\`."
    echo
    echo "| run | table | rows | checksum | columns as created |"
    echo "|---|---|---:|---:|---|"
    echo "| COPY | \`${PREFIX}_copy\` | $(get copy count) | $(get copy checksum) | $(get copy columns) |"
    for run in $RUNS; do
        echo "| $(kind_label "$(get "$run" kind)"), batch.size $(get "$run" batch) | \`$(get "$run" table)\` | $(get "$run" count) | $(get "$run" checksum) | $(get "$run" columns) |"
    done
    echo
    echo "## Where the time and the CPU went"
    echo
    echo "Seconds from \`POST /connectors\` until: the table exists, the table is complete (it holds the last id and $EXPECT_ROWS rows),"
    echo "the group's committed offset is the topic's end (lag 0; the run's end is the later of the two). CPU seconds over the run of the"
    echo "worker, the broker, all PostgreSQL processes, and the whole machine (\`/proc/stat\`, $(nproc) CPUs)."
    echo
    echo "| run | batch.size | table created s | table complete s | lag 0 s | worker CPU s | broker CPU s | PostgreSQL CPU s | machine CPU s | machine busy | RSS at start / peak / end MB |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    if has copy; then
        echo "| COPY | – | | $(get copy seconds) | | $(get copy cpu) (psql) | | $(get copy pg_cpu) | $(get copy machine_cpu) | $(awk -v m="$(get copy machine_cpu)" -v s="$(get copy seconds)" -v n="$(nproc)" 'BEGIN { printf "%.0f %%", 100 * m / (s * n) }') | |"
    fi
    for run in $RUNS; do
        [[ $(get "$run" failed) == n/a ]] || continue
        echo "| $(kind_label "$(get "$run" kind)") | $(get "$run" batch) | $(get "$run" first_s) | $(get "$run" table_s) | $(get "$run" group_s) | $(get "$run" cpu) | $(get "$run" broker_cpu) | $(get "$run" pg_cpu) | $(get "$run" machine_cpu) | $(awk -v m="$(get "$run" machine_cpu)" -v s="$(get "$run" seconds)" -v n="$(nproc)" 'BEGIN { printf "%.0f %%", 100 * m / (s * n) }') | $(mb_na "$(get "$run" start_rss_kb)") / $(mb_na "$(get "$run" rss_kb)") / $(mb_na "$(get "$run" end_rss_kb)") |"
    done
    echo
    echo "## How it is measured"
    echo
    echo "- The events (bench program \`gen_changes\`, not timed): Debezium's envelope (\`before\`, \`after\`, \`source\`, \`op\`, \`ts_ms\`;"
    echo "  value schema \`bench.public.items.Envelope\`, key \`bench.public.items.Key\` {\`id\` int32}) with the JsonConverter's schemas; the"
    echo "  row: \`id\` int32, \`counter\` int64, \`name\` string (50 characters, non-ASCII and quotes among them), \`score\` float64, \`active\`"
    echo "  boolean, \`price\` Decimal (scale 2, precision 10, some negative), \`updated_at\` io.debezium.time.MicroTimestamp, \`day\`"
    echo "  io.debezium.time.Date (null in one row of 20). One event in $UPDATE_EVERY is an update (\`u\`, with \`before\`) of an earlier id;"
    echo "  the last event creates the highest id. Topic \`$TOPIC\`, one partition."
    echo "- **COPY**: \`psql -c \"COPY ${PREFIX}_copy FROM STDIN\"\` reading the final state (text format) from a file, timed from psql's start to"
    echo "  its end (connection included), into an empty table with the primary key; its CPU and peak RSS are psql's (\`/usr/bin/time\`),"
    echo "  the server's work is in PostgreSQL CPU s."
    echo "- **sinks**: a standalone worker per run, started and answering before the clock starts; timed from \`POST /connectors\` until"
    echo "  both the table is complete (polled every 200 ms: the last id present, then \`count(*)\`) and the group \`connect-NAME\`'s"
    echo "  committed offset equals the topic's end offset (bench program \`watch_group\`, OffsetFetch every 100 ms, without joining the"
    echo "  group). Offsets are committed every \`offset.flush.interval.ms=$FLUSH_MS\`, so the lag reaches 0 up to that long after the"
    echo "  last row is written. **rows/s** for a sink = events applied ($ROWS) / seconds; for COPY = rows / seconds."
    echo "- **worker CPU s**: \`utime + stime\` of the worker's process over the run (Kafka Connect: the JVM); **peak RSS**: \`VmHWM\`,"
    echo "  reset when the connector is created (\`clear_refs\`; reset worked: $HWM_RESET). **PostgreSQL CPU s**: all \`postgres\` processes"
    echo "  (other clients' too, if any ran: the server is shared with the tests), backends that ended during the run not counted."
    echo "- Workers: JsonConverter with \`schemas.enable=true\` for keys and values, \`offset.flush.interval.ms=$FLUSH_MS\`,"
    echo "  \`consumer.auto.offset.reset=earliest\` (both defaults' too), each its own consumer defaults otherwise."
    [[ -z $FERRY_WORKER_PROPS ]] || echo "  **ferry's worker properties also had** (FERRY_WORKER_PROPS): \`${FERRY_WORKER_PROPS//$'\n'/\` \`}\`"
    echo
    echo "## Setup"
    echo
    echo "- machine: $(machine_line); load average at the start: $LOAD_AT_START, at the end: $LOAD_AT_END"
    echo "- broker: Apache Kafka $KAFKA_VERSION (KRaft, single node, same machine; 512 MB heap)"
    echo "- PostgreSQL $PG_VERSION on the same machine (scripts/databases.sh's server; $PG_SETTINGS)"
    if has ferry; then echo "- ferry: $(ferry_revision), release build"; fi
    if has java; then
        echo "- Kafka Connect $KAFKA_VERSION: ConnectStandalone through scripts/kafka/connect.sh (Java $(java_version), -Xms256m -Xmx${CONNECT_HEAP:-1g}, G1);"
        echo "  Debezium's JDBC sink from compat/debezium/fetch.sh jdbc: $(cat "$DEBEZIUM_PLUGINS/jdbc/HOW" 2>/dev/null || echo "?")"
    fi
    for run in $RUNS; do
        echo "- $(kind_label "$(get "$run" kind)"), batch.size $(get "$run" batch): REST answering $(get "$run" ready_s) s after the launch; \`POST /connectors\` answered in $(get "$run" create_ms) ms; at the end: $(get "$run" state); config: \`$(get "$run" config)\`"
    done
} >"$REPORT"

if [[ -n ${BENCH_SUMMARY:-} ]]; then
    {
        echo "jdbcsink.copy.rate=$(get copy rate)"
        for run in $RUNS; do
            for m in rate per_cpu cpu seconds pg_cpu; do echo "jdbcsink.${run/-/.}.$m=$(get "$run" $m)"; done
            echo "jdbcsink.${run/-/.}.rss_mb=$(mb_na "$(get "$run" rss_kb)")"
        done
        echo "jdbcsink.rows=$ROWS"
    } >>"$BENCH_SUMMARY"
fi

cat "$REPORT"
say "written to ${REPORT#"$ROOT"/}"
for run in $RUNS; do
    [[ $(get "$run" failed) == n/a && $(get "$run" equal) == yes ]] || say "NOTE: $run failed or its table is wrong: see the report"
done
