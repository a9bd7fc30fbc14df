#!/usr/bin/env bash
# Footprint benchmark, for ferry and (KINDS="ferry java") Apache Kafka Connect 4.4.0 on the same
# Apache Kafka node with the same settings:
#   start-up  a standalone worker with one FileStreamSource connector over a file that already
#             holds lines: from launching the process until its REST API answers (ferry `GET /`,
#             Kafka Connect `GET /health`) and until the first record is in the topic (watched
#             from outside, bench program watch_topic);
#   memory    one distributed worker: its resident set idle, then running 10 and 100
#             FileStreamSource connectors (each over its own small file, into its own topic).
# See bench/README.md.
#
#   bench/footprint.sh
#   env: KINDS="ferry java" (ferry; KIND is read too), STARTUP_RUNS=start-ups per kind (5),
#        STEPS="10 100" (connectors running at each memory reading), IDLE_S=seconds between
#        ready / all RUNNING and the reading (10), TIMEOUT_S=wait for each step (300)
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

KINDS=${KINDS:-${KIND:-ferry}}
STARTUP_RUNS=${STARTUP_RUNS:-5}
STEPS=${STEPS:-10 100}
IDLE_S=${IDLE_S:-10}
TIMEOUT_S=${TIMEOUT_S:-300}
WORK=${BENCH_WORK_ROOT:-$ROOT/bench/work}/footprint
RESULTS=$ROOT/bench/results

# shellcheck source-path=SCRIPTDIR source=cluster-lib.sh
source "$ROOT/bench/cluster-lib.sh"

# shellcheck disable=SC2086  # KINDS and STEPS are lists
check_kinds $KINDS
((STARTUP_RUNS > 0)) || die "STARTUP_RUNS must be at least 1"
prev=0
for step in $STEPS; do
    if ! [[ $step =~ ^[0-9]+$ ]] || ((step <= prev)); then die "STEPS must be increasing numbers of connectors"; fi
    prev=$step
done
MAX_CONNECTORS=$prev

# the standalone worker being started, and the topic watcher; stopped on exit (before the rest)
PROG_PID="" WATCH_PID=""
footprint_cleanup() {
    local pid
    for pid in $PROG_PID $WATCH_PID; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    cluster_cleanup
}
trap footprint_cleanup EXIT

rm -rf "$WORK"
mkdir -p "$WORK" "$RESULTS"
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
# shellcheck disable=SC2086
build_and_start_kafka "$WORK/kafka" $KINDS

topics=()
for kind in $KINDS; do
    for ((run = 1; run <= STARTUP_RUNS; run++)); do topics+=("start-$kind-$run"); done
    for ((k = 1; k <= MAX_CONNECTORS; k++)); do topics+=("fp-$kind-$k"); done
done
say "creating ${#topics[@]} topics of one partition each"
create_topics "${topics[@]}"
"$BIN/gen_lines" --file "$WORK/input.txt" --count 1000 --width 100

# stop_pid PID: SIGTERM, SIGKILL after 30 s; reaps it
stop_pid() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        nap 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "pid $pid did not stop within 30 s of SIGTERM; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

declare -A FIG
declare -a START_ROWS RSS_ROWS

# ---------------------------------------------------------------------------------------------
# start-up: standalone worker, one FileStreamSource over a file of 1000 lines

for kind in $KINDS; do
    for ((run = 1; run <= STARTUP_RUNS; run++)); do
        dir=$WORK/start-$kind-$run
        mkdir -p "$dir"
        port=$(free_port)
        {
            echo "bootstrap.servers=$KAFKA_BOOTSTRAP"
            echo "key.converter=org.apache.kafka.connect.storage.StringConverter"
            echo "value.converter=org.apache.kafka.connect.storage.StringConverter"
            echo "offset.storage.file.filename=$dir/connect.offsets"
            echo "offset.flush.interval.ms=10000"
            echo "listeners=http://127.0.0.1:$port"
            if [[ $kind == java ]]; then echo "plugin.path=$KAFKA_PLUGINS"; fi
        } >"$dir/worker.properties"
        printf '%s\n' "name=start-$run" "connector.class=FileStreamSource" "tasks.max=1" \
            "file=$WORK/input.txt" "topic=start-$kind-$run" >"$dir/source.properties"
        if [[ $kind == java ]]; then path=/health; else path=/; fi

        "$BIN/watch_topic" --brokers "$KAFKA_BOOTSTRAP" --topic "start-$kind-$run" --count 1 --interval-ms 5 \
            --timeout-s "$TIMEOUT_S" >"$dir/watch.txt" 2>"$dir/watch.err" &
        WATCH_PID=$!
        for ((i = 0; i < 3000; i++)); do
            grep -q '^ready ' "$dir/watch.txt" 2>/dev/null && break
            kill -0 "$WATCH_PID" 2>/dev/null || die "watch_topic exited: $(cat "$dir/watch.err")"
            nap 0.01
        done

        now
        t0=$NOW_US
        if [[ $kind == java ]]; then
            "$ROOT/scripts/kafka/connect.sh" standalone "$dir/worker.properties" "$dir/source.properties" >"$dir/worker.log" 2>&1 &
        else
            LOG_DIR=$dir/logs "$FERRY" standalone "$dir/worker.properties" "$dir/source.properties" >"$dir/worker.log" 2>&1 &
        fi
        PROG_PID=$!
        rest_ms="" first_ms=""
        while [[ -z $rest_ms || -z $first_ms ]]; do
            now
            if [[ -z $rest_ms ]]; then
                code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$port$path" || true)
                if [[ $code == 200 ]]; then
                    now
                    rest_ms=$(((NOW_US - t0) / 1000))
                fi
            fi
            if [[ -z $first_ms ]]; then
                t=$(awk '$1 == "done" { print $2 }' "$dir/watch.txt")
                [[ -z $t ]] || first_ms=$(((t - t0) / 1000))
            fi
            kill -0 "$PROG_PID" 2>/dev/null || { tail -n 30 "$dir/worker.log" >&2; die "$kind exited while starting (log: $dir/worker.log)"; }
            ((NOW_US - t0 < TIMEOUT_S * 1000000)) || die "$kind start-up run $run: no REST answer or no record within $TIMEOUT_S s"
            nap 0.005
        done
        rss=$(rss_kb "$PROG_PID")
        stop_pid "$PROG_PID"
        PROG_PID=""
        wait "$WATCH_PID" 2>/dev/null || true
        WATCH_PID=""
        FIG[$kind,rest]+=" $rest_ms"
        FIG[$kind,first]+=" $first_ms"
        START_ROWS+=("| $(kind_name "$kind") | $run | $rest_ms | $first_ms | $(mb "$rss") |")
        say "$(kind_name "$kind") start-up run $run: REST answered after $rest_ms ms, the first record was in the topic after $first_ms ms"
    done
done

# ---------------------------------------------------------------------------------------------
# memory: one distributed worker, idle, then with STEPS connectors

# wait_all_running COUNT: GET /connectors?expand=status on the worker until COUNT connectors and
# their tasks are RUNNING
wait_all_running() {
    local deadline
    now
    deadline=$((NOW_US + TIMEOUT_S * 1000000))
    while :; do
        if get_statuses 0 && all_running_on "$1"; then return 0; fi
        now
        ((NOW_US < deadline)) || die "$KIND: not all of $1 connectors RUNNING within $TIMEOUT_S s"
        kill -0 "${W_PID[0]}" 2>/dev/null || { tail -n 30 "${W_LOG[0]}" >&2; die "the worker exited (log: ${W_LOG[0]})"; }
        nap 0.2
    done
}

# reading LABEL: after IDLE_S seconds, the worker's VmRSS and VmHWM into a row and FIG
reading() {
    local rss hwm cpu
    nap "$IDLE_S"
    rss=$(rss_kb "${W_PID[0]}")
    hwm=$(peak_rss_kb "${W_PID[0]}")
    cpu=$(cpu_seconds "${W_PID[0]}")
    FIG[$KIND,rss_$1]=$(mb "$rss")
    FIG[$KIND,hwm_$1]=$(mb "$hwm")
    RSS_ROWS+=("| $(kind_name "$KIND") | $1 | $(mb "$rss") | $(mb "$hwm") | $cpu |")
    say "$(kind_name "$KIND") with $1 connectors: RSS $(mb "$rss") MB (peak $(mb "$hwm") MB), CPU so far $cpu s"
}

for kind in $KINDS; do
    KIND=$kind
    say "$(kind_name "$kind"): one distributed worker"
    start_workers "$WORK/dist-$kind" "bench-fp-$kind" 1
    FIG[$kind,dist_ready]=$(((W_READY_US[0] - W_START_US[0]) / 1000))
    reading 0
    made=0
    for step in $STEPS; do
        say "$(kind_name "$kind"): creating connectors $((made + 1)) to $step"
        for ((k = made + 1; k <= step; k++)); do
            cp "$WORK/input.txt" "$WORK/dist-$kind/input-$k.txt"
            post_connector 0 "$(jq -cn --arg name "fp-$k" --arg file "$WORK/dist-$kind/input-$k.txt" --arg topic "fp-$kind-$k" \
                '{name: $name, config: {"connector.class": "FileStreamSource", "tasks.max": "1", file: $file, topic: $topic}}')"
        done
        made=$step
        wait_all_running "$step"
        reading "$step"
    done
    stop_workers
done

# ---------------------------------------------------------------------------------------------
# report

fig() { local -a vals; read -ra vals <<<"${FIG[$1,$2]:-}"; num_median "${vals[@]}" | awk '{ if ($1 == "n/a") print; else printf "%.0f\n", $1 }'; }
DAY=$(date +%F)
REPORT=${BENCH_REPORT:-$RESULTS/footprint-$DAY.md}
COMMAND="bench/footprint.sh"
[[ $STARTUP_RUNS == 5 ]] || COMMAND="STARTUP_RUNS=$STARTUP_RUNS $COMMAND"
[[ $STEPS == "10 100" ]] || COMMAND="STEPS='$STEPS' $COMMAND"
[[ $IDLE_S == 10 ]] || COMMAND="IDLE_S=$IDLE_S $COMMAND"
[[ $KINDS == ferry ]] || COMMAND="KINDS='$KINDS' $COMMAND"
kinds_text=""
for kind in $KINDS; do kinds_text+="${kinds_text:+, }$(kind_name "$kind")"; done

{
    echo "# Footprint: start-up and memory — $DAY"
    echo
    echo "$kinds_text on one Apache Kafka $KAFKA_VERSION node (KRaft, same machine), with the same settings."
    echo
    echo "## Start-up (standalone worker, one FileStreamSource connector over a file of 1000 lines)"
    echo
    echo "| program | launch → REST answers ms | launch → first record in the topic ms |"
    echo "|---|---:|---:|"
    for kind in $KINDS; do
        echo "| $(kind_name "$kind") | **$(fig "$kind" rest)** | **$(fig "$kind" first)** |"
    done
    echo
    echo "Medians of $STARTUP_RUNS start-ups each. REST: \`GET /\` (ferry, which answers once it is ready) or"
    echo "\`GET /health\` (Kafka Connect, which answers on its port before its herder is ready and on /health"
    echo "only once it is) with curl every ~5 ms from the launch until 200. First record: \`watch_topic\` (bench"
    echo "program, an rdkafka client of its own) reads the topic's end offset every 5 ms from before the launch."
    echo "The workers' \`offset.flush.interval.ms=10000\`, StringConverter, a new offsets file each time."
    echo
    echo "## Memory (one distributed worker)"
    echo
    echo "| program | idle RSS MB | RSS with ${STEPS// / / } connectors MB | peak RSS MB (VmHWM, at the end) | distributed worker launch → /health ms |"
    echo "|---|---:|---:|---:|---:|"
    for kind in $KINDS; do
        line="| $(kind_name "$kind") | **${FIG[$kind,rss_0]}** |"
        sep=" "
        for step in $STEPS; do line+="$sep**${FIG[$kind,rss_$step]}**"; sep=" / "; done
        echo "$line | ${FIG[$kind,hwm_$MAX_CONNECTORS]} | ${FIG[$kind,dist_ready]} |"
    done
    echo
    echo "RSS: \`VmRSS\` of \`/proc/PID/status\`, read $IDLE_S s after the worker was ready (idle) and $IDLE_S s"
    echo "after \`GET /connectors?expand=status\` showed all connectors and tasks RUNNING. One \`distributed\`"
    echo "worker alone in its group (its own internal topics, replication factor 1), StringConverter,"
    echo "\`offset.flush.interval.ms=1000\`; connectors created with \`POST /connectors\` one after the other,"
    echo "FileStreamSource with \`tasks.max=1\`, each over its own file of 1000 lines (read to its end at once)"
    echo "into its own one-partition topic."
    echo
    echo "## Readings"
    echo
    echo "| program | start-up run | REST ms | first record ms | RSS when stopped MB |"
    echo "|---|---|---:|---:|---:|"
    printf '%s\n' "${START_ROWS[@]}"
    echo
    echo "| program | connectors | RSS MB | peak RSS MB | CPU s since the start |"
    echo "|---|---:|---:|---:|---:|"
    printf '%s\n' "${RSS_ROWS[@]}"
    echo
    echo "## Setup"
    echo
    echo "- machine: $(machine_line); load average at the start: $LOAD_AT_START"
    echo "- broker: Apache Kafka $KAFKA_VERSION (KRaft, single node, same machine; 512 MB heap)"
    echo "- ferry: $(ferry_revision), release build"
    if [[ " $KINDS " == *" java "* ]]; then
        echo "- Kafka Connect: $KAFKA_VERSION (scripts/kafka/connect.sh: Java $(java_version), -Xms256m -Xmx${CONNECT_HEAP:-1g} as Kafka's own scripts, G1), FileStream connectors from connect-file $CONNECT_FILE_VERSION"
    fi
    echo "- command: \`$COMMAND\`"
} >"$REPORT"

if [[ -n ${BENCH_SUMMARY:-} ]]; then
    {
        for kind in $KINDS; do
            echo "footprint.$kind.rest_ms=$(fig "$kind" rest)"
            echo "footprint.$kind.first_ms=$(fig "$kind" first)"
            echo "footprint.$kind.rss_0=${FIG[$kind,rss_0]}"
            for step in $STEPS; do echo "footprint.$kind.rss_$step=${FIG[$kind,rss_$step]}"; done
            echo "footprint.$kind.hwm=${FIG[$kind,hwm_$MAX_CONNECTORS]}"
            echo "footprint.$kind.dist_ready_ms=${FIG[$kind,dist_ready]}"
        done
        echo "footprint.startup_runs=$STARTUP_RUNS"
        echo "footprint.steps=$STEPS"
    } >>"$BENCH_SUMMARY"
fi

cat "$REPORT"
say "written to ${REPORT#"$ROOT"/}"
