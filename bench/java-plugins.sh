#!/usr/bin/env bash
# Java connectors from plugin.path under ferry — run by its Java plugin host, a child JVM — beside
# the same connectors under Apache Kafka Connect 4.4.0, in one run, on one broker (issue 13):
#
#   source  bench/java's BenchSourceConnector (one task, COUNT small string records, batch.size
#           per poll) under ferry (standalone, plugin.path = the bench plugin folder,
#           plugin.discovery=service_load) and under Kafka Connect (standalone, the same plugin
#           folder and settings), each into a fresh topic, RUNS times: records/s from the
#           connector's creation until the topic holds COUNT records, CPU seconds of the whole
#           worker process tree (ferry + its JVM; Connect's JVM), peak RSS of each process and
#           of their total (sampled every 100 ms)
#   cdc     Debezium 3.6.1's MariaDbConnector jar under ferry's plugin host against the same jar on
#           Kafka Connect: bench/mysql-cdc.sh with KINDS="ferry-jar java" on the same broker
#   nojvm   ferry with no plugin.path running only its built-in FileStreamSource: its process tree
#           sampled every 100 ms, no java process in it
#
# See bench/README.md.
#
#   bench/java-plugins.sh
#   CDC_ROWS=200000 bench/java-plugins.sh
#   env: PARTS=the parts run ("nojvm source cdc"), KINDS=the source part's workers ("ferry java"),
#        COUNT=records per source run (1000000), BATCH_SIZE=the bench source's batch.size (2000),
#        RUNS=source runs per kind (3; the report gives each and the median), TIMEOUT_S=per
#        source run (600), STALL_S=a source run fails when its topic did not grow for this long
#        (60), VERIFY=1 reads run 1's topics back (every value once, no key), CDC_ROWS=ROWS of
#        mysql-cdc.sh (1000000), CDC_KINDS=its KINDS ("ferry-jar java"), CDC_VERIFY=its VERIFY
#        (1), NOJVM_LINES=lines the FileStreamSource moves in the nojvm part (200000),
#        FERRY_JAVA_HOST=a built plugin host to use (else scripts/lib.sh's ensure_java_host
#        builds java/plugin-host), KAFKA_HEAP_OPTS=the plugin host's heap (its default: -Xmx2G),
#        CONNECT_HEAP=Kafka Connect's -Xmx (1g)
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PARTS=${PARTS:-nojvm source cdc}
KINDS=${KINDS:-ferry java}
COUNT=${COUNT:-1000000}
BATCH_SIZE=${BATCH_SIZE:-2000}
RUNS=${RUNS:-3}
TIMEOUT_S=${TIMEOUT_S:-600}
STALL_S=${STALL_S:-60}
VERIFY=${VERIFY:-1}
CDC_ROWS=${CDC_ROWS:-1000000}
CDC_KINDS=${CDC_KINDS:-ferry-jar java}
CDC_VERIFY=${CDC_VERIFY:-1}
NOJVM_LINES=${NOJVM_LINES:-200000}
WORK=${BENCH_WORK_ROOT:-$ROOT/bench/work}/java-plugins
RESULTS=$ROOT/bench/results
CLASS=dev.ferry.bench.BenchSourceConnector

# cluster-lib.sh: the shared broker (BENCH_KAFKA_*), BENCH_BUILT, build_and_start_kafka,
# create_topics, say/die, nap/now, mb, num_median, kind_name, check_kinds, machine_line,
# ferry_revision, java_version; lib.sh: stop_pid, the sums, launch_standalone/wait_ready,
# connector_failed/_states, the topic watcher, topic_counts, the worker's process tree
# shellcheck source-path=SCRIPTDIR source=cluster-lib.sh
source "$ROOT/bench/cluster-lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$ROOT/bench/lib.sh"

for part in $PARTS; do
    case $part in nojvm | source | cdc) ;; *) die "unknown part '$part' (nojvm, source, cdc)" ;; esac
done
has_part() { [[ " $PARTS " == *" $1 "* ]]; }
# shellcheck disable=SC2086  # KINDS is a list
check_kinds $KINDS
((COUNT > 0 && BATCH_SIZE > 0 && RUNS > 0 && TIMEOUT_S > 0 && CDC_ROWS > 0 && NOJVM_LINES > 0)) ||
    die "COUNT, BATCH_SIZE, RUNS, TIMEOUT_S, CDC_ROWS and NOJVM_LINES must be at least 1"
[[ $VERIFY == 0 || $VERIFY == 1 ]] || die "VERIFY must be 0 or 1"
# the source part's kinds: ferry runs the jar in its plugin host (there is no built-in of the class)
source_kind_name() { if [[ $1 == ferry ]]; then echo "ferry + Java plugin host"; else kind_name "$1"; fi; }

# ---------------------------------------------------------------------------------------------
# what this script starts, stopped on exit (before the broker)

PROG_PID="" WATCH_PID="" SAMPLER_PID="" CDC_PID=""
java_plugins_cleanup() {
    if [[ -n $CDC_PID ]] && kill -0 "$CDC_PID" 2>/dev/null; then
        say "stopping bench/mysql-cdc.sh (pid $CDC_PID)"
        stop_pid "$CDC_PID" 120
    fi
    CDC_PID=""
    stop_pid "$WATCH_PID" 5
    WATCH_PID=""
    stop_sampler
    stop_worker
    cluster_cleanup
}
trap java_plugins_cleanup EXIT
trap 'say "received SIGINT"; exit 130' INT
trap 'say "received SIGTERM"; exit 143' TERM

# stop_worker: the worker (SIGTERM, SIGKILL after 30 s), then whatever of its tree outlived it
# (ferry's plugin host ends when ferry does; it is given 10 s, then killed by its pid)
stop_worker() {
    local others p i
    [[ -n $PROG_PID ]] || return 0
    others=$(tree_of "$PROG_PID" | awk 'NR > 1 { print $1 }')
    stop_pid "$PROG_PID" 30
    PROG_PID=""
    for p in $others; do
        for ((i = 0; i < 100; i++)); do
            kill -0 "$p" 2>/dev/null || break
            nap 0.1
        done
        if kill -0 "$p" 2>/dev/null; then
            say "pid $p (the worker's child) outlived it by 10 s; killing it"
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
}

declare -A FIG
put() { FIG[$1,$2]=$3; } # RUN METRIC VALUE
get() { echo "${FIG[$1,$2]:-n/a}"; }

# ---------------------------------------------------------------------------------------------
# the bench source's plugin folder: bench/java compiled against Kafka's connect-api and
# kafka-clients, one jar with its META-INF/services entry, in PLUGINS/bench-source/

build_bench_plugin() {
    local src=$ROOT/bench/java classes=$WORK/classes cp
    PLUGINS=$WORK/plugins
    BENCH_JAR=$PLUGINS/bench-source/bench-source.jar
    command -v javac >/dev/null 2>&1 || apt_install openjdk-17-jdk-headless
    cp="$KAFKA_LIBS/connect-api-$KAFKA_VERSION.jar:$KAFKA_LIBS/kafka-clients-$KAFKA_VERSION.jar"
    mkdir -p "$classes" "$(dirname "$BENCH_JAR")"
    # shellcheck disable=SC2046  # one argument per source file
    javac --release 17 -nowarn -encoding UTF-8 -d "$classes" -cp "$cp" $(find "$src/src" -name '*.java' | sort) ||
        die "javac failed on bench/java"
    jar cf "$BENCH_JAR" -C "$classes" . -C "$src" META-INF || die "jar failed"
    say "the bench source: ${BENCH_JAR#"$ROOT"/} ($(unzip -l "$BENCH_JAR" 2>/dev/null | tail -n 1 | awk '{ print $2 }') files)"
}

# ---------------------------------------------------------------------------------------------
# a worker, its connector, until the watcher is done

# write_worker_props FILE PORT [KEY=VALUE...]: a standalone worker with StringConverter keys and
# values, its own offsets file, offset.flush.interval.ms=10000 (Kafka Connect's default)
write_worker_props() {
    local file=$1 port=$2 dir
    dir=$(dirname "$file")
    shift 2
    {
        echo "bootstrap.servers=$KAFKA_BOOTSTRAP"
        echo "listeners=http://127.0.0.1:$port"
        echo "key.converter=org.apache.kafka.connect.storage.StringConverter"
        echo "value.converter=org.apache.kafka.connect.storage.StringConverter"
        echo "offset.storage.file.filename=$dir/connect.offsets"
        echo "offset.flush.interval.ms=10000"
        printf '%s\n' "$@"
    } >"$file"
}

# post_connector DIR: POST /connectors with DIR/connector.json; CREATE_MS how long it took;
# returns 1 (with FAIL_REASON) unless 201
post_connector() {
    local code t0
    now
    t0=$NOW_US
    code=$(curl -s -o "$1/create.out" -m 120 -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data @"$1/connector.json" "$REST/connectors" || true)
    now
    CREATE_MS=$(((NOW_US - t0) / 1000))
    [[ $code == 201 ]] && return 0
    FAIL_REASON="POST /connectors answered HTTP ${code:-nothing}: $(cat "$1/create.out" 2>/dev/null)"
    return 1
}

# wait_done NAME OUT: until the watcher OUT is done (checked every 20 ms with builtins; the
# connector's status and the watcher's progress every 5 s); sets FAIL_REASON instead when the
# worker exits, the connector or its task FAILS, the topic does not grow for STALL_S, or
# TIMEOUT_S passes
wait_done() {
    local name=$1 out=$2 t0 next_check=0 trouble progress last_end=-1 last_change
    now
    t0=$NOW_US
    last_change=$t0
    FAIL_REASON=""
    while :; do
        if ! kill -0 "$WATCH_PID" 2>/dev/null; then
            wait "$WATCH_PID" 2>/dev/null || true
            WATCH_PID=""
            [[ -n $(watcher_field "$out" "done" 2) ]] && return 0
            FAIL_REASON="the watcher gave up: $(cat "$out.err")"
            return 0
        fi
        if worker_exited; then FAIL_REASON=$EXIT_REASON; return 0; fi
        now
        if ((NOW_US >= next_check)); then
            next_check=$((NOW_US + 5000000))
            trouble=$(connector_failed "$name")
            if [[ -n $trouble ]]; then FAIL_REASON="the connector $trouble"; return 0; fi
            progress=$(tail -n 1 "$out" | awk '{ print $3 }')
            if [[ -n $progress && $progress != "$last_end" ]]; then
                last_end=$progress
                last_change=$NOW_US
            elif ((NOW_US - last_change > STALL_S * 1000000)); then
                FAIL_REASON="the topic did not grow for $STALL_S s: its end offset stayed at $last_end; $(connector_states "$name")"
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

# fail_run RUN DIR WHAT: records why the run stopped, with its log's errors
fail_run() {
    put "$1" failed "$3"
    say "$1 FAILED: $3"
    grep -hE 'ERROR|WARN|panic|Exception' "$2/worker.log" "$2"/logs/* 2>/dev/null | head -n 40 >"$2/failure-errors.txt" || true
}

# verify_topic TOPIC: every record read back (dump_topic): how many, keys all null, values
# `record-NNNNNN`, distinct, numbers 0..COUNT-1; into VERIFY_LINE and VERIFY_OK
verify_topic() {
    local summary
    summary=$("$BIN/dump_topic" --brokers "$KAFKA_BOOTSTRAP" --topic "$1" --timeout-s "$TIMEOUT_S" | awk -F'\t' '
        { n++; if ($4 != "null") keyed++
          if ($5 ~ /^record-[0-9][0-9][0-9][0-9][0-9][0-9]+$/) { v = substr($5, 8) + 0; if (!(v in seen)) { seen[v] = 1; distinct++ }
              if (min == "" || v < min) min = v; if (max == "" || v > max) max = v }
          else other++ }
        END { printf "records=%d keyed=%d other=%d distinct=%d min=%s max=%s\n", n, keyed, other, distinct, min, max }') ||
        die "could not read $1 back"
    VERIFY_LINE=$summary
    VERIFY_OK=no
    [[ $summary == "records=$COUNT keyed=0 other=0 distinct=$COUNT min=0 max=$((COUNT - 1))" ]] && VERIFY_OK=yes
}

# ---------------------------------------------------------------------------------------------
# part source: one run of the bench source under one kind of worker

run_source() {
    local kind=$1 run=$2 id=$1-$2 dir=$WORK/source-$1-$2 name topic t0 port done_us first_us cpu0 root_cpu0 broker0 m0 cpu jvm
    name=bench-source-$kind-$run
    topic=javabench-$kind-$run-$RUN_ID
    SOURCE_RUNS+=" $id"
    put "$id" kind "$kind"
    put "$id" run "$run"
    rm -rf "$dir"
    mkdir -p "$dir"
    say "=== source, run $run: $(source_kind_name "$kind"), $COUNT records into $topic ==="
    create_topics "$topic"
    port=$(free_port)
    REST=http://127.0.0.1:$port
    write_worker_props "$dir/worker.properties" "$port" "plugin.path=$PLUGINS" "plugin.discovery=service_load"
    jq -n --arg name "$name" --arg class "$CLASS" --arg topic "$topic" --arg count "$COUNT" --arg batch "$BATCH_SIZE" \
        '{name: $name, config: {"connector.class": $class, "tasks.max": "1", topic: $topic, count: $count, "batch.size": $batch}}' \
        >"$dir/connector.json"
    put "$id" config "$(jq -c .config "$dir/connector.json")"

    now
    t0=$NOW_US
    launch_standalone "$kind" "$dir/worker.properties" "$dir/worker.log"
    if ! wait_ready "$t0" 120; then
        fail_run "$id" "$dir" "$READY_ERROR"
        stop_worker
        return 0
    fi
    put "$id" ready_s "$(secs $((READY_US - t0)))"
    put "$id" ready_others "$(tree_others "$PROG_PID")"
    # ferry scans plugin.path in a JVM of its own at its first start with these plugins (the
    # result is cached on disk for the next starts) and ends it when done: each run starts from
    # a worker without it, as a worker started with a warm cache would be
    while [[ -n $(tree_others "$PROG_PID") ]]; do
        now
        ((NOW_US - READY_US < 60000000)) || break
        nap 0.1
    done
    now
    put "$id" scan_s "$([[ $(get "$id" ready_others) != n/a ]] && secs $((NOW_US - READY_US)))"
    # before the connector: the worker idle (ferry starts its plugin host when a Java plugin is
    # first used)
    put "$id" idle_rss_kb "$(tree_rss "$PROG_PID")"
    put "$id" idle_others "$(tree_others "$PROG_PID")"
    say "$(source_kind_name "$kind") answers on $REST after $(get "$id" ready_s) s (pid $PROG_PID; other processes then: $(get "$id" ready_others); before the connector: RSS $(mb "$(get "$id" idle_rss_kb)") MB, other processes: $(get "$id" idle_others))"

    start_watcher "$topic" "$COUNT" "$dir/watch.txt"
    [[ $(watcher_field "$dir/watch.txt" ready 3) == 0 ]] || die "$topic is not empty"
    tree_reset_peak "$PROG_PID"
    start_sampler "$PROG_PID" "$dir/rss.txt"
    cpu0=$(tree_cpu "$PROG_PID") broker0=$(cpu_or_na "$KAFKA_PID") m0=$(machine_busy)
    root_cpu0=$(tree_cpu "$PROG_PID" root)
    now
    t0=$NOW_US
    if ! post_connector "$dir"; then
        fail_run "$id" "$dir" "$FAIL_REASON"
        stop_pid "$WATCH_PID" 5; WATCH_PID=""; stop_sampler; stop_worker
        return 0
    fi
    put "$id" create_ms "$CREATE_MS"
    wait_done "$name" "$dir/watch.txt"
    if [[ -n $FAIL_REASON ]]; then
        put "$id" seen "$(tail -n 1 "$dir/watch.txt" | awk '{ print $3 }')"
        fail_run "$id" "$dir" "$FAIL_REASON"
        stop_pid "$WATCH_PID" 5; WATCH_PID=""; stop_sampler; stop_worker
        return 0
    fi
    cpu=$(minus "$(tree_cpu "$PROG_PID")" "$cpu0")
    put "$id" root_cpu "$(minus "$(tree_cpu "$PROG_PID" root)" "$root_cpu0")"
    # the plugin host starts after the connector's creation: all its CPU is the run's
    [[ $kind == java ]] || put "$id" jvm_cpu "$(tree_cpu "$PROG_PID" java)"
    done_us=$(watcher_field "$dir/watch.txt" "done" 2)
    first_us=$(watcher_field "$dir/watch.txt" first 2)
    tree_of "$PROG_PID" >"$dir/tree.txt"
    put "$id" machine_cpu "$(minus "$(machine_busy)" "$m0")"
    put "$id" broker_cpu "$(minus_na "$(cpu_or_na "$KAFKA_PID")" "$broker0")"
    put "$id" root_kb "$(tree_hwm "$PROG_PID" root)"
    put "$id" jvm_kb "$(tree_hwm "$PROG_PID" java)"
    put "$id" sum_kb "$(tree_hwm "$PROG_PID" all)"
    put "$id" processes "$(awk '{ printf "%s%s", (NR > 1 ? " + " : ""), $3 }' "$dir/tree.txt")"
    jvm=$(awk -v k="$kind" '(k == "java" && NR == 1) || (k != "java" && NR > 1 && $3 == "java") { print $1; exit }' "$dir/tree.txt")
    put "$id" jvm_options "$([[ -n $jvm ]] && jvm_options "$jvm")"
    stop_sampler
    put "$id" sampled_kb "$(sampled_peak "$dir/rss.txt" "$t0" "$done_us")"
    put "$id" sampled_root_kb "$(sampled_peak "$dir/rss.txt" "$t0" "$done_us" "$(awk 'NR == 1 { print $3 }' "$dir/tree.txt")")"
    put "$id" samples "$(sampled_count "$dir/rss.txt" "$t0" "$done_us")"
    put "$id" cpu "$cpu"
    put "$id" seconds "$(secs $((done_us - t0)))"
    put "$id" rate "$(per_sec "$COUNT" $((done_us - t0)))"
    put "$id" first_s "$(secs $((first_us - t0)))"
    put "$id" flowing_rate "$(per_sec "$COUNT" $((done_us - first_us)))"
    put "$id" cores "$(divide "$cpu" "$(secs $((done_us - t0)))")"
    put "$id" per_cpu "$(divide "$COUNT" "$cpu" "%.0f")"
    # ferry's log: how long its plugin host took to start (JVM up and answering)
    put "$id" host_up_ms "$(grep -h 'the Java plugin host is up' "$dir/worker.log" 2>/dev/null | grep 'to run Java plugins' | grep -oE 'millis=[0-9]+' | head -n 1 | cut -d= -f2 || true)"
    say "$id: $COUNT records in $(get "$id" seconds) s ($(get "$id" rate) records/s, first after $(get "$id" first_s) s), CPU $cpu s ($(get "$id" per_cpu) records per CPU s), peak RSS $(mb_na "$(get "$id" root_kb)") + $(mb_na "$(get "$id" jvm_kb)") MB, sampled total $(mb_na "$(get "$id" sampled_kb)") MB"
    stop_pid "$WATCH_PID" 5
    WATCH_PID=""
    nap 2
    put "$id" state "$(connector_states "$name")"
    stop_worker
    put "$id" count "$(topic_counts "$topic" | awk -F'\t' -v t="$topic" '$1 == t { print $2 }')"
    if ((VERIFY == 1 && run == 1)); then
        say "reading $topic back (dump_topic)"
        verify_topic "$topic"
        put "$id" verify "$VERIFY_LINE"
        put "$id" verify_ok "$VERIFY_OK"
        say "$VERIFY_LINE: $VERIFY_OK"
    fi
}

# ---------------------------------------------------------------------------------------------
# part nojvm: ferry without plugin.path, only the built-in FileStreamSource; its process tree

run_nojvm() {
    local dir=$WORK/nojvm topic name=nojvm-source port t0 done_us code
    mkdir -p "$dir"
    topic=javabench-nojvm-$RUN_ID
    say "=== nojvm: ferry without plugin.path, FileStreamSource, $NOJVM_LINES lines into $topic ==="
    "$BIN/gen_lines" --file "$dir/input.txt" --count "$NOJVM_LINES" >/dev/null
    create_topics "$topic"
    port=$(free_port)
    REST=http://127.0.0.1:$port
    write_worker_props "$dir/worker.properties" "$port"
    jq -n --arg name "$name" --arg file "$dir/input.txt" --arg topic "$topic" \
        '{name: $name, config: {"connector.class": "FileStreamSource", "tasks.max": "1", file: $file, topic: $topic}}' >"$dir/connector.json"
    now
    t0=$NOW_US
    launch_standalone ferry "$dir/worker.properties" "$dir/worker.log"
    wait_ready "$t0" 60 || die "nojvm: $READY_ERROR"
    start_watcher "$topic" "$NOJVM_LINES" "$dir/watch.txt"
    start_sampler "$PROG_PID" "$dir/rss.txt"
    now
    t0=$NOW_US
    post_connector "$dir" || die "nojvm: $FAIL_REASON"
    # listing the plugins needs no JVM either
    code=$(curl -s -o "$dir/plugins.json" -m 30 -w '%{http_code}' "$REST/connector-plugins" || true)
    put nojvm plugins "HTTP $code, $(jq length "$dir/plugins.json" 2>/dev/null || echo "?") plugins listed"
    wait_done "$name" "$dir/watch.txt"
    [[ -z $FAIL_REASON ]] || die "nojvm: $FAIL_REASON"
    done_us=$(watcher_field "$dir/watch.txt" "done" 2)
    nap 1 # a second more of samples once the records are in
    stop_pid "$WATCH_PID" 5
    WATCH_PID=""
    stop_sampler
    put nojvm state "$(connector_states "$name")"
    stop_worker
    put nojvm seconds "$(secs $((done_us - t0)))"
    put nojvm samples "$(awk '$1 == "at" { n++ } END { print n + 0 }' "$dir/rss.txt")"
    put nojvm span_s "$(awk '$1 == "at" { if (!a) a = $2; b = $2 } END { printf "%.1f", (b - a) / 1e6 }' "$dir/rss.txt")"
    put nojvm most_processes "$(awk '$1 == "at" && NF - 4 > m { m = NF - 4 } END { print m + 0 }' "$dir/rss.txt")"
    put nojvm children "$(awk '$1 == "at" { for (i = 6; i <= NF; i++) { split($i, p, ":"); s[p[2]] = 1 } } END { for (k in s) printf "%s ", k }' "$dir/rss.txt" | sed 's/ $//')"
    put nojvm java "$(awk '$1 == "at" { for (i = 5; i <= NF; i++) { split($i, p, ":"); if (p[2] == "java") n++ } } END { print n + 0 }' "$dir/rss.txt")"
    put nojvm host_lines "$(grep -chE 'Java plugin host' "$dir/worker.log" "$dir"/logs/* 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
    put nojvm peak_kb "$(sampled_peak "$dir/rss.txt" 0 99999999999999999)"
    say "nojvm: $(get nojvm samples) samples over $(get nojvm span_s) s, at most $(get nojvm most_processes) process(es) in ferry's tree, java seen $(get nojvm java) times, children: $(get nojvm children | sed 's/^$/none/')"
}

# ---------------------------------------------------------------------------------------------
# part cdc: bench/mysql-cdc.sh on this broker

run_cdc() {
    local t0 t1 rc=0
    mkdir -p "$DETAIL"
    CDC_REPORT=$DETAIL/mysql-cdc.md
    CDC_SUMMARY=$WORK/cdc-summary.txt
    : >"$CDC_SUMMARY"
    say "=== cdc: KINDS=\"$CDC_KINDS\" ROWS=$CDC_ROWS VERIFY=$CDC_VERIFY bench/mysql-cdc.sh (output in ${WORK#"$ROOT"/}/cdc.log)"
    t0=$(date +%s)
    env KINDS="$CDC_KINDS" ROWS="$CDC_ROWS" VERIFY="$CDC_VERIFY" BENCH_KAFKA_BOOTSTRAP="$KAFKA_BOOTSTRAP" \
        BENCH_KAFKA_DIR="$KAFKA_DIR" BENCH_KAFKA_PID="$KAFKA_PID" BENCH_BUILT=1 FERRY_REV="$FERRY_REV" \
        BENCH_WORK_ROOT="$WORK" BENCH_REPORT="$CDC_REPORT" BENCH_SUMMARY="$CDC_SUMMARY" \
        FERRY_JAVA_HOST="$FERRY_JAVA_HOST" "$ROOT/bench/mysql-cdc.sh" >"$WORK/cdc.log" 2>&1 &
    CDC_PID=$!
    wait "$CDC_PID" || rc=$?
    CDC_PID=""
    t1=$(date +%s)
    CDC_TIME="$(((t1 - t0) / 60)) min $(((t1 - t0) % 60)) s"
    if ((rc != 0)); then
        CDC_FAILED="exit $rc after $CDC_TIME"
        cp "$WORK/cdc.log" "$DETAIL/mysql-cdc-FAILED.log"
        say "cdc FAILED ($CDC_FAILED); the end of its output:"
        tail -n 20 "$WORK/cdc.log" >&2
    else
        say "cdc done in $CDC_TIME"
    fi
}
cdc() { awk -F= -v k="mysqlcdc.$1" '$1 == k { print $2; found = 1 } END { if (!found) print "n/a" }' "$CDC_SUMMARY" 2>/dev/null || echo n/a; }

# ---------------------------------------------------------------------------------------------
rm -rf "$WORK"
mkdir -p "$WORK" "$RESULTS"
STARTED=$(date -u '+%F %H:%M:%S UTC')
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
DAY=$(date +%F)
REPORT=${BENCH_REPORT:-$RESULTS/java-plugins-$DAY.md}
DETAIL=${REPORT%.md}
RUN_ID=$(date +%H%M%S)
# shellcheck disable=SC2086  # KINDS is a list
build_and_start_kafka "$WORK/kafka" $KINDS
bench_java_host
build_bench_plugin

SOURCE_RUNS="" CDC_FAILED="" CDC_TIME="" CDC_SUMMARY="" PART_TIMES=""
if has_part nojvm; then
    t_part=$(date +%s)
    run_nojvm
    PART_TIMES+="nojvm $(($(date +%s) - t_part)) s; "
fi
if has_part source; then
    t_part=$(date +%s)
    for ((run = 1; run <= RUNS; run++)); do
        for kind in $KINDS; do run_source "$kind" "$run"; done
    done
    PART_TIMES+="source $(($(date +%s) - t_part)) s; "
fi
if has_part cdc; then
    t_part=$(date +%s)
    run_cdc
    PART_TIMES+="cdc $(($(date +%s) - t_part)) s; "
fi
FINISHED=$(date -u '+%F %H:%M:%S UTC')
LOAD_AT_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------
# report

COMMAND="bench/java-plugins.sh"
[[ $PARTS == "nojvm source cdc" ]] || COMMAND="PARTS=\"$PARTS\" $COMMAND"
[[ $KINDS == "ferry java" ]] || COMMAND="KINDS=\"$KINDS\" $COMMAND"
[[ $COUNT == 1000000 ]] || COMMAND="COUNT=$COUNT $COMMAND"
[[ $BATCH_SIZE == 2000 ]] || COMMAND="BATCH_SIZE=$BATCH_SIZE $COMMAND"
[[ $RUNS == 3 ]] || COMMAND="RUNS=$RUNS $COMMAND"
[[ $VERIFY == 1 ]] || COMMAND="VERIFY=$VERIFY $COMMAND"
[[ $CDC_ROWS == 1000000 ]] || COMMAND="CDC_ROWS=$CDC_ROWS $COMMAND"
[[ $CDC_KINDS == "ferry-jar java" ]] || COMMAND="CDC_KINDS=\"$CDC_KINDS\" $COMMAND"
[[ $CDC_VERIFY == 1 ]] || COMMAND="CDC_VERIFY=$CDC_VERIFY $COMMAND"
[[ $NOJVM_LINES == 200000 ]] || COMMAND="NOJVM_LINES=$NOJVM_LINES $COMMAND"
[[ -z ${KAFKA_HEAP_OPTS:-} ]] || COMMAND="KAFKA_HEAP_OPTS='$KAFKA_HEAP_OPTS' $COMMAND"
[[ -z ${CONNECT_HEAP:-} ]] || COMMAND="CONNECT_HEAP=$CONNECT_HEAP $COMMAND"

# the median over the runs of a kind that did not fail
med() { # KIND METRIC
    local id vals=()
    for id in $SOURCE_RUNS; do
        [[ $(get "$id" kind) == "$1" && $(get "$id" failed) == n/a ]] && vals+=("$(get "$id" "$2")")
    done
    num_median "${vals[@]}"
}
ok_runs() { local id n=0; for id in $SOURCE_RUNS; do [[ $(get "$id" kind) == "$1" && $(get "$id" failed) == n/a ]] && n=$((n + 1)); done; echo "$n"; }
has_kind() { [[ " $KINDS " == *" $1 "* ]]; }
mbm() { mb_na "$(med "$1" "$2")"; } # KIND METRIC_KB: the median in MB
larger() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else print (a + 0 > b + 0 ? a : b) }'; }
verdict() { awk -v r="$1" -v t="$2" -v dir="$3" 'BEGIN { if (r == "n/a") print "n/a"; else if ((dir == "ge" && r >= t) || (dir == "le" && r <= t)) print "**met**"; else print "**not met**" }'; }
{
    echo "# Java connectors under ferry's plugin host and under Kafka Connect $KAFKA_VERSION — $DAY"
    echo
    echo "Command: \`$COMMAND\`"
    echo
    what=()
    has_part nojvm && what+=("a ferry worker without \`plugin.path\`")
    has_part source && what+=("the bench source connector ($RUNS runs per worker, alternating)")
    has_part cdc && what+=("Debezium's MariaDB connector (bench/mysql-cdc.sh)")
    echo "One run, one broker (Apache Kafka $KAFKA_VERSION, KRaft, single node, same machine), one thing at a time: $(printf '%s; ' "${what[@]}" | sed 's/; $//')."
    echo "The worker is measured as its whole process tree: ferry **and** the JVM of its Java plugin host (its child, started"
    echo "when the first Java connector is created), against Kafka Connect's JVM."
    echo
    if has_part source; then
        echo "## The bench source: $COUNT records"
        echo
        echo "\`$CLASS\` (bench/java: one task, \`batch.size\` $BATCH_SIZE records per poll, values \`record-000000\` ... as"
        echo "strings, no key, offsets \`{\"n\": n}\`), from the same plugin folder, StringConverter, \`plugin.discovery=service_load\`,"
        echo "each run into a fresh one-partition topic. Median of the runs that did not fail ($(for k in $KINDS; do printf '%s: %s of %s; ' "$(source_kind_name "$k")" "$(ok_runs "$k")" "$RUNS"; done | sed 's/; $//')):"
        echo
        echo "| worker | records/s | CPU s | of which ferry | of which the plugin host's JVM | records per CPU s | peak RSS, ferry / Connect's JVM MB | peak RSS, the plugin host's JVM MB | peak RSS, total MB (sum of the peaks) | peak RSS, total sampled every 100 ms MB |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for k in $KINDS; do
            echo "| $(source_kind_name "$k") | **$(med "$k" rate)** | $(med "$k" cpu) | $(if [[ $k == java ]]; then echo "–"; else med "$k" root_cpu; fi) | $(if [[ $k == java ]]; then echo "–"; else med "$k" jvm_cpu; fi) | $(med "$k" per_cpu) | $(mbm "$k" root_kb) | $(if [[ $k == java ]]; then echo "–"; else mbm "$k" jvm_kb; fi) | **$(mbm "$k" sum_kb)** | $(mbm "$k" sampled_kb) |"
        done
        if has_kind ferry && has_kind java; then
            RATE_R=$(divide "$(med ferry rate)" "$(med java rate)")
            RATE_V=$(verdict "$(divide "$(med ferry rate)" "$(med java rate)" %.6f)" 1 ge)
            MEM_R=$(divide "$(med ferry sum_kb)" "$(med java sum_kb)")
            # judged on the larger of the two ratios: the samples can miss a peak shorter than 100 ms,
            # the sum of the peaks counts peaks that did not coincide
            MEM_V=$(verdict "$(larger "$(divide "$(med ferry sum_kb)" "$(med java sum_kb)" %.6f)" "$(divide "$(med ferry sampled_kb)" "$(med java sampled_kb)" %.6f)")" 1 le)
            MEM_SR=$(divide "$(med ferry sampled_kb)" "$(med java sampled_kb)")
            echo "| ferry + host / Connect | **$RATE_R** | $(divide "$(med ferry cpu)" "$(med java cpu)") | | | $(divide "$(med ferry per_cpu)" "$(med java per_cpu)") | $(divide "$(med ferry root_kb)" "$(med java root_kb)") | | **$MEM_R** | $MEM_SR |"
            echo
            echo "Targets (issue 13): at least Kafka Connect's throughput — $RATE_V (${RATE_R}×); at no more of its"
            echo "memory (ferry's and its JVM's peaks summed, against Connect's, and the sampled totals) — $MEM_V (${MEM_R}× and ${MEM_SR}×)."
        fi
        echo
        echo "Every run:"
        echo
        echo "| run | worker | seconds | records/s | first record s | records/s once flowing | CPU s (ferry + JVM) | cores used | records per CPU s | peak RSS ferry / Connect MB | peak RSS host JVM MB | sum MB | sampled total MB (samples) | RSS before the connector MB | records in the topic | broker CPU s | machine CPU s |"
        echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for id in $SOURCE_RUNS; do
            k=$(get "$id" kind)
            if [[ $(get "$id" failed) != n/a ]]; then
                echo "| $(get "$id" run) | $(source_kind_name "$k") | failed: $(get "$id" failed | head -c 300 | tr '\n|' '  ') | | | | | | | | | | | | | | |"
                continue
            fi
            echo "| $(get "$id" run) | $(source_kind_name "$k") | $(get "$id" seconds) | **$(get "$id" rate)** | $(get "$id" first_s) | $(get "$id" flowing_rate) | $(get "$id" cpu)$([[ $k == java ]] || echo " ($(get "$id" root_cpu) + $(get "$id" jvm_cpu))") | $(get "$id" cores) | $(get "$id" per_cpu) | $(mb_na "$(get "$id" root_kb)") | $(mb_na "$(get "$id" jvm_kb)") | $(mb_na "$(get "$id" sum_kb)") | $(mb_na "$(get "$id" sampled_kb)") ($(get "$id" samples)) | $(mb_na "$(get "$id" idle_rss_kb)") | $(get "$id" count) | $(get "$id" broker_cpu) | $(get "$id" machine_cpu) |"
        done
        echo
        for id in $SOURCE_RUNS; do
            [[ $(get "$id" verify) == n/a ]] && continue
            echo "- $(source_kind_name "$(get "$id" kind)"), run $(get "$id" run), read back (\`dump_topic\`): $(get "$id" verify) — as expected: **$(get "$id" verify_ok)**"
        done
        for id in $SOURCE_RUNS; do
            [[ $(get "$id" failed) == n/a ]] && continue
            echo
            echo "### $(source_kind_name "$(get "$id" kind)"), run $(get "$id" run): failed"
            echo
            echo "$(get "$id" failed); the topic's end offset then: $(get "$id" seen). The log's errors (${WORK#"$ROOT"/}/source-$id/):"
            echo
            echo '```'
            cut -c1-400 "$WORK/source-$id/failure-errors.txt" 2>/dev/null || true
            echo '```'
        done
        echo
    fi
    if has_part cdc; then
        echo "## Debezium MariaDB 3.6.1: $CDC_ROWS rows snapshot, $CDC_ROWS rows streamed"
        echo
        echo "bench/mysql-cdc.sh with \`KINDS=\"$CDC_KINDS\" ROWS=$CDC_ROWS VERIFY=$CDC_VERIFY\` on this broker ($CDC_TIME); its full report:"
        echo "[$(basename "$DETAIL")/mysql-cdc.md]($(basename "$DETAIL")/mysql-cdc.md). \"ferry + Java plugin host\" is ferry running Debezium's jar"
        echo "(\`connector.plugin.version=3.6.1.Final\`, so not its own connector of the same class) in its plugin host."
        echo
        if [[ -n $CDC_FAILED ]]; then
            echo "**bench/mysql-cdc.sh failed** ($CDC_FAILED): [its output]($(basename "$DETAIL")/mysql-cdc-FAILED.log)."
            echo
        fi
        echo "| phase | worker | events/s | CPU s | of which ferry | of which the plugin host's JVM | events per CPU s | peak RSS, ferry / Connect's JVM MB | peak RSS, the plugin host's JVM MB | peak RSS, total MB (sum of the peaks) | sampled total MB |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for ph in snapshot stream; do
            for k in $CDC_KINDS; do
                echo "| $ph | $(kind_name "$k") | **$(cdc "$k.$ph.rate")** | $(cdc "$k.$ph.cpu") | $(if [[ $k == java ]]; then echo "–"; else cdc "$k.$ph.root_cpu"; fi) | $(if [[ $k == java ]]; then echo "–"; else cdc "$k.$ph.jvm_cpu"; fi) | $(cdc "$k.$ph.per_cpu") | $(cdc "$k.$ph.root_rss_mb") | $(cdc "$k.$ph.jvm_rss_mb") | **$(cdc "$k.$ph.rss_mb")** | $(cdc "$k.$ph.sampled_mb") |"
            done
            if [[ " $CDC_KINDS " == *" ferry-jar "* && " $CDC_KINDS " == *" java "* ]]; then
                echo "| $ph | ferry + host / Connect | **$(divide "$(cdc "ferry-jar.$ph.rate")" "$(cdc "java.$ph.rate")")** | $(divide "$(cdc "ferry-jar.$ph.cpu")" "$(cdc "java.$ph.cpu")") | | | $(divide "$(cdc "ferry-jar.$ph.per_cpu")" "$(cdc "java.$ph.per_cpu")") | | | **$(divide "$(cdc "ferry-jar.$ph.rss_mb")" "$(cdc "java.$ph.rss_mb")")** | $(divide "$(cdc "ferry-jar.$ph.sampled_mb")" "$(cdc "java.$ph.sampled_mb")") |"
            fi
        done
        echo
        if [[ " $CDC_KINDS " == *" ferry-jar "* && " $CDC_KINDS " == *" java "* ]]; then
            echo -n "Targets (issue 13): at least Connect's events/s —"
            for ph in snapshot stream; do echo -n " $ph $(verdict "$(divide "$(cdc "ferry-jar.$ph.rate")" "$(cdc "java.$ph.rate")" %.6f)" 1 ge);"; done
            echo -n " at no more of its memory (sum of the peaks and sampled total, the larger ratio) —"
            for ph in snapshot stream; do echo -n " $ph $(verdict "$(larger "$(divide "$(cdc "ferry-jar.$ph.rss_mb")" "$(cdc "java.$ph.rss_mb")" %.6f)" "$(divide "$(cdc "ferry-jar.$ph.sampled_mb")" "$(cdc "java.$ph.sampled_mb")" %.6f)")" 1 le);"; done
            echo
            echo
        fi
        echo "Records in each table's topic (expected $((2 * CDC_ROWS))):$(for k in $CDC_KINDS; do printf ' %s %s;' "$(kind_name "$k")" "$(cdc "$k.count")"; done)"
        echo
    fi
    if has_part nojvm; then
        echo "## A worker with only Rust connectors starts no JVM"
        echo
        echo "ferry without \`plugin.path\`, only its built-in FileStreamSource moving $NOJVM_LINES lines ($(get nojvm seconds) s; $(get nojvm state)"
        echo "at the end; \`GET /connector-plugins\` meanwhile: $(get nojvm plugins)): **$(if [[ $(get nojvm java) == 0 && $(get nojvm most_processes) == 1 ]]; then echo "no java process, and no child process at all, in ferry's tree"; else echo "java seen $(get nojvm java) times; other processes: $(get nojvm children)"; fi)**"
        echo "in $(get nojvm samples) samples of it every 100 ms over $(get nojvm span_s) s, from before the connector's creation until a second"
        echo "after the last record (at most $(get nojvm most_processes) process; peak RSS $(mb_na "$(get nojvm peak_kb)") MB); the log names the plugin host $(get nojvm host_lines) times."
        echo
    fi
    echo "## How it is measured"
    echo
    echo "- **records/s**: from the moment \`POST /connectors\` is sent (the worker already running and answering) until the"
    echo "  topic (created beforehand, one partition) holds $COUNT records, by the bench program \`watch_topic\` reading its end"
    echo "  offset every 10 ms. Under ferry this includes starting the plugin host (a JVM) and Kafka's plugin loaders in it,"
    echo "  which ferry does when the first Java connector is created (\`first record s\` shows it); Kafka Connect has"
    echo "  loaded its plugins before it answers. **once flowing**: from the first record to the last."
    echo "- **CPU s**: the CPU time over the same span of the worker's process tree (\`utime + stime\` of each process and of"
    echo "  the children it reaped, \`/proc/PID/stat\`, bench program \`proc_tree\`): ferry and its plugin host's JVM; Kafka"
    echo "  Connect's JVM (\`connect.sh\` execs java). **records per CPU s** = records / CPU s."
    echo "- **peak RSS**: each process's \`VmHWM\` (reset with \`echo 5 > /proc/PID/clear_refs\` before the connector is created; reset"
    echo "  worked: $HWM_RESET; the plugin host starts afterwards, so its figure is its whole life's peak) read when the records are"
    echo "  in, and their sum — an upper bound of the tree's peak, the two peaks need not coincide; and the total of the tree's"
    echo "  \`VmRSS\` sampled every 100 ms (\`proc_tree --interval-ms 100\`), its highest value over the same span: the tree's peak"
    echo "  to within 100 ms (for one process it can come out a little above \`VmHWM\`: the kernel keeps the peak up to date only"
    echo "  at some events). The memory target is judged on the larger of the two ratios."
    echo "- Both workers: standalone, StringConverter keys and values, \`offset.flush.interval.ms=10000\`, \`plugin.path\` = the"
    echo "  same folder (\`bench-source/bench-source.jar\`, built from bench/java by \`javac --release 17\` against Kafka's"
    echo "  connect-api and kafka-clients $KAFKA_VERSION), \`plugin.discovery=service_load\`; each its own producer defaults."
    echo "- Records in the topic: Kafka's \`GetOffsetShell\` 2 s after the last record, with the worker still running (a"
    echo "  duplicate would show); run 1 of each worker read back in full (\`dump_topic\`) when \`VERIFY=1\`."
    echo
    echo "## Setup"
    echo
    echo "- machine: $(machine_line); load average at the start: $LOAD_AT_START, at the end: $LOAD_AT_END"
    echo "- run: $STARTED to $FINISHED (${PART_TIMES%; })"
    echo "- broker: Apache Kafka $KAFKA_VERSION (KRaft, single node, same machine; 512 MB heap)"
    echo "- ferry: $(ferry_revision), release build; its plugin host: $FERRY_JAVA_HOST (Java $(java_version))"
    for k in $KINDS; do
        for id in $SOURCE_RUNS; do
            [[ $(get "$id" kind) == "$k" && $(get "$id" jvm_options) != n/a ]] || continue
            echo "- $(source_kind_name "$k"): the JVM's options \`$(get "$id" jvm_options)\`; REST answering $(get "$id" ready_s) s after the launch (run $(get "$id" run); other processes then: $(get "$id" ready_others)$([[ $(get "$id" scan_s) != n/a ]] && echo ", ended $(get "$id" scan_s) s later: ferry's scan of \`plugin.path\`, cached for the next starts"))$([[ $k == ferry ]] && echo "; the plugin host up $(get "$id" host_up_ms) ms after ferry started it (the JVM answering; then Kafka's plugin loaders are built)")"
            break
        done
    done
    if has_part source; then echo "- the bench source's connector config: \`$(get "$(awk '{ print $1 }' <<<"$SOURCE_RUNS")" config)\`"; fi
} >"$REPORT"

if [[ -n ${BENCH_SUMMARY:-} ]]; then
    {
        for k in $KINDS; do
            for m in rate cpu root_cpu jvm_cpu per_cpu root_kb jvm_kb sum_kb sampled_kb; do echo "javaplugins.$k.$m=$(med "$k" "$m")"; done
        done
        echo "javaplugins.nojvm.java=$(get nojvm java)"
    } >>"$BENCH_SUMMARY"
fi

cat "$REPORT"
say "written to ${REPORT#"$ROOT"/}"
