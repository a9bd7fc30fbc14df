#!/usr/bin/env bash
# Standalone-worker benchmark: FileStreamSource (file -> topic) and FileStreamSink (topic -> file)
# run by ferry and, with KINDS="ferry java", by Apache Kafka Connect 4.4.0 with the same worker
# and connector settings, against a bare librdkafka producer / consumer moving the same file
# through the same Apache Kafka broker (scripts/lib.sh: one KRaft node on this machine). Every
# program is timed by the same observer: a watcher of the topic's end offsets (source side) or
# the size of the output file (sink side). See bench/README.md.
#
#   bench/run.sh
#   env: KINDS=the workers measured besides the bare programs ("ferry"; "ferry java"),
#        N=lines (1000000), RUNS=repetitions (3), TIMEOUT_S=per step (300),
#        TRAIL=lines produced once the sink has caught up (1000),
#        SINK_FLUSH_MS / SOURCE_FLUSH_MS=the workers' offset.flush.interval.ms (10000 both,
#          Kafka Connect's default), BATCH_SIZE=FileStreamSource batch.size (2000, its default),
#        WARMUP=lines produced and consumed once before measuring (N, at most 200000),
#        TRANSFORMS=1 gives the workers' connectors a chain of three transforms (HoistField$Value
#          line, InsertField$Value origin=bench, ReplaceField$Value renames line:text): each
#          worker's output line is then "Struct{text=LINE,origin=bench}"; the bare programs
#          stay the reference without transforms
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

KINDS=${KINDS:-${KIND:-ferry}}
N=${N:-1000000}           # lines in the input file
WIDTH=100                 # bytes per line, newline not counted
RUNS=${RUNS:-3}           # repetitions of every measurement; the median is reported
TIMEOUT_S=${TIMEOUT_S:-300}
TRAIL=${TRAIL:-1000}      # lines produced after the sink caught up, to time how far its file trails
SINK_FLUSH_MS=${SINK_FLUSH_MS:-10000}
SOURCE_FLUSH_MS=${SOURCE_FLUSH_MS:-10000}
BATCH_SIZE=${BATCH_SIZE:-2000}
WARMUP=${WARMUP:-$((N < 200000 ? N : 200000))}   # lines through the broker before measuring
TRANSFORMS=${TRANSFORMS:-0}
[[ $TRANSFORMS == 0 || $TRANSFORMS == 1 ]] || { echo "TRANSFORMS must be 0 or 1" >&2; exit 2; }
# What the chain adds to each line a worker writes: "Struct{text=" and ",origin=bench}"
WORKER_EXTRA=$((TRANSFORMS == 1 ? 26 : 0))
WORK=${BENCH_WORK_ROOT:-$ROOT/bench/work}/standalone
RESULTS=$ROOT/bench/results
INPUT=$WORK/input.txt
INPUT_BYTES=$((N * (WIDTH + 1)))
TRAIL_FILE=$WORK/trail.txt
TRAIL_BYTES=$((TRAIL * (WIDTH + 1)))
WORKER_SINK_BYTES=$((N * (WIDTH + 1 + WORKER_EXTRA)))
WORKER_TRAIL_BYTES=$((TRAIL * (WIDTH + 1 + WORKER_EXTRA)))

# The transform chain of TRANSFORMS=1, as connector properties (none otherwise)
# shellcheck disable=SC2016  # the $ of a Java nested class name, not an expansion
chain_properties() {
    ((TRANSFORMS == 1)) || return 0
    printf '%s\n' "transforms=hoist,insert,rename" \
        'transforms.hoist.type=org.apache.kafka.connect.transforms.HoistField$Value' \
        "transforms.hoist.field=line" \
        'transforms.insert.type=org.apache.kafka.connect.transforms.InsertField$Value' \
        "transforms.insert.static.field=origin" "transforms.insert.static.value=bench" \
        'transforms.rename.type=org.apache.kafka.connect.transforms.ReplaceField$Value' \
        "transforms.rename.renames=line:text"
}
# sink_bytes KIND: the size of a complete sink output file (without the trailing lines)
sink_bytes() { if [[ $1 == bare ]]; then echo "$INPUT_BYTES"; else echo "$WORKER_SINK_BYTES"; fi; }
trail_bytes() { if [[ $1 == bare ]]; then echo "$TRAIL_BYTES"; else echo "$WORKER_TRAIL_BYTES"; fi; }

# cluster-lib.sh: the shared broker (BENCH_KAFKA_*), BENCH_BUILT, say/die, nap/now, median, mb,
# cpu_seconds, kind_name, machine_line, ferry_revision; its EXIT trap stops the broker it started
# shellcheck source-path=SCRIPTDIR source=cluster-lib.sh
source "$ROOT/bench/cluster-lib.sh"

# shellcheck disable=SC2086  # KINDS is a list
check_kinds $KINDS
((N > 0 && RUNS > 0 && TRAIL > 0 && WARMUP > 0)) || die "N, RUNS, TRAIL and WARMUP must be at least 1"
for tool in cmp stat; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed and is not on PATH"
done

# ---------------------------------------------------------------------------------------------
# the process being measured and the topic watcher, stopped on exit (before the broker)

PROG_PID="" WATCH_PID=""
run_cleanup() {
    if [[ -n $PROG_PID ]] && kill -0 "$PROG_PID" 2>/dev/null; then
        kill -TERM "$PROG_PID" 2>/dev/null || true
        wait "$PROG_PID" 2>/dev/null || true
    fi
    if [[ -n $WATCH_PID ]] && kill -0 "$WATCH_PID" 2>/dev/null; then
        kill -TERM "$WATCH_PID" 2>/dev/null || true
        wait "$WATCH_PID" 2>/dev/null || true
    fi
    cluster_cleanup
}
trap run_cleanup EXIT

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }
per_sec() { awk -v n="$1" -v us="$2" 'BEGIN { printf "%.0f", n / (us / 1e6) }'; }
secs() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1e6 }'; }
# CPU seconds per million records
per_million() { awk -v c="$1" -v n="$2" 'BEGIN { printf "%.2f", c / n * 1e6 }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }

# size of a file in bytes, in SIZE (0 if it does not exist yet)
file_size() {
    SIZE=0
    [[ -e $1 ]] || return 0
    SIZE=$(stat -c %s "$1")
}

# stop_prog: SIGTERM to the measured process, SIGKILL after 30 s; reaps it.
stop_prog() {
    local i
    kill -TERM "$PROG_PID" 2>/dev/null || true
    for ((i = 0; i < 3000; i++)); do
        kill -0 "$PROG_PID" 2>/dev/null || break
        nap 0.01
    done
    if kill -0 "$PROG_PID" 2>/dev/null; then
        say "pid $PROG_PID did not stop within 30 s of SIGTERM; killing it"
        kill -KILL "$PROG_PID" 2>/dev/null || true
    fi
    wait "$PROG_PID" 2>/dev/null || true
    PROG_PID=""
}

write_worker_properties() { # file kind offsets-file rest-port offset-flush-interval-ms
    {
        echo "bootstrap.servers=$KAFKA_BOOTSTRAP"
        echo "key.converter=org.apache.kafka.connect.storage.StringConverter"
        echo "value.converter=org.apache.kafka.connect.storage.StringConverter"
        echo "offset.storage.file.filename=$3"
        echo "offset.flush.interval.ms=$5"
        echo "listeners=http://127.0.0.1:$4"
        if [[ $2 == java ]]; then echo "plugin.path=$KAFKA_PLUGINS"; fi
    } >"$1"
}

# The path a kind's REST API answers 200 on once the worker is ready: ferry answers `GET /` as
# soon as it is; Kafka Connect answers on its port before its herder is ready, /health only once
# it is.
ready_path() { if [[ $1 == java ]]; then echo /health; else echo /; fi; }

# launch_worker KIND WORKER-PROPS CONNECTOR-PROPS LOG: starts a standalone worker in the
# background, PROG_PID its process (connect.sh execs java).
launch_worker() {
    if [[ $1 == java ]]; then
        "$ROOT/scripts/kafka/connect.sh" standalone "$2" "$3" >"$4" 2>&1 &
    else
        local logs=${4%.log}-logs
        LOG_DIR=$logs "$FERRY" standalone "$2" "$3" >"$4" 2>&1 &
    fi
    PROG_PID=$!
}

# start_watcher TOPIC COUNT OUT: the topic's end offsets polled every 10 ms (watch_topic) until
# COUNT records were added; returns once it has read them a first time.
start_watcher() {
    local i
    "$BIN/watch_topic" --brokers "$KAFKA_BOOTSTRAP" --topic "$1" --count "$2" --interval-ms 10 \
        --timeout-s "$TIMEOUT_S" >"$3" 2>"$3.err" &
    WATCH_PID=$!
    for ((i = 0; i < 3000; i++)); do
        grep -q '^ready ' "$3" 2>/dev/null && return 0
        kill -0 "$WATCH_PID" 2>/dev/null || die "watch_topic exited: $(cat "$3.err")"
        nap 0.01
    done
    die "watch_topic did not read $1's end offsets within 30 s"
}
# watcher_time OUT EVENT: the time (µs since the epoch) of a watcher's line, empty if none yet
watcher_time() { awk -v e="$2" '$1 == e { print $2; exit }' "$1" 2>/dev/null || true; }

# measure KIND SIDE RUN: launches one program doing one side's work and times it from the launch
# (T0) with the same observer for every kind: on the source side the watcher of the topic's end
# offsets, on the sink side the size of the output file (polled every 20 ms). Sets DONE_US and
# FIRST_US (from T0: all N records / the first one in the topic or file), REST_MS (workers: from
# T0 until `ready_path` answered 200, polled every ~5 ms), CPU_ALL (CPU seconds of the process
# from its start until done) and CPU_FIRST (at the first record), HWM_KB (peak RSS), TRAIL_NOW
# (sink workers: trails ms, below).
measure() {
    local kind=$1 side=$2 run=$3
    local t0 elapsed code next_check=0 props conn log rest_port="" json="" topic out t
    REST_MS="" DONE_US="" FIRST_US="" CPU_ALL="" CPU_FIRST="" HWM_KB="" TRAIL_NOW=""
    log=$WORK/$kind-$side-$run.log
    if [[ $side == source ]]; then
        topic=src-$kind-$run
        out=$WORK/watch-$kind-$run.txt
        start_watcher "$topic" "$N" "$out"
    else
        topic=sink-$kind-$run   # holds exactly the N input lines
        out=$WORK/out-$kind-$run.txt
        rm -f "$out"
    fi
    if [[ $kind != bare ]]; then
        rest_port=$(free_port)
        props=$WORK/worker-$kind-$side-$run.properties
        conn=$WORK/$kind-$side-$run.properties
        if [[ $side == source ]]; then
            write_worker_properties "$props" "$kind" "$WORK/$kind-source-$run.offsets" "$rest_port" "$SOURCE_FLUSH_MS"
            { printf '%s\n' "name=bench-source-$run" "connector.class=FileStreamSource" "tasks.max=1" \
                "file=$INPUT" "topic=$topic" "batch.size=$BATCH_SIZE"; chain_properties; } >"$conn"
        else
            write_worker_properties "$props" "$kind" "$WORK/$kind-sink-$run.offsets" "$rest_port" "$SINK_FLUSH_MS"
            { printf '%s\n' "name=bench-sink-$kind-$run" "connector.class=FileStreamSink" "tasks.max=1" \
                "file=$out" "topics=$topic"; chain_properties; } >"$conn"
        fi
    fi

    now
    t0=$NOW_US
    case $kind-$side in
        bare-source)
            "$BIN/bare_produce" --brokers "$KAFKA_BOOTSTRAP" --topic "$topic" --file "$INPUT" >"$log.json" 2>"$log" &
            PROG_PID=$! ;;
        bare-sink)
            "$BIN/bare_consume" --brokers "$KAFKA_BOOTSTRAP" --topic "$topic" --file "$out" --count "$N" >"$log.json" 2>"$log" &
            PROG_PID=$! ;;
        *) launch_worker "$kind" "$props" "$conn" "$log" ;;
    esac
    while :; do
        now
        elapsed=$((NOW_US - t0))
        if [[ -n $rest_port && -z $REST_MS ]] && ((elapsed < 60000000)); then
            code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$rest_port$(ready_path "$kind")" || true)
            if [[ $code == 200 ]]; then
                now
                REST_MS=$(((NOW_US - t0) / 1000))
            fi
        fi
        if ((NOW_US >= next_check)); then
            next_check=$((NOW_US + 20000))
            if [[ $side == source ]]; then
                t=$(watcher_time "$out" "done")
                if [[ -n $t ]]; then
                    DONE_US=$((t - t0))
                    [[ $kind == bare ]] || CPU_ALL=$(cpu_seconds "$PROG_PID")
                    FIRST_US=$(($(watcher_time "$out" first) - t0))
                    break
                fi
                if [[ -z $CPU_FIRST && -n $(watcher_time "$out" first) ]]; then
                    CPU_FIRST=$(cpu_seconds "$PROG_PID" 2>/dev/null || echo "")
                fi
            else
                file_size "$out"
                if ((SIZE >= $(sink_bytes "$kind"))); then
                    now
                    DONE_US=$((NOW_US - t0))
                    [[ $kind == bare ]] || CPU_ALL=$(cpu_seconds "$PROG_PID")
                    break
                fi
                if [[ -z $FIRST_US ]] && ((SIZE > 0)); then
                    FIRST_US=$((NOW_US - t0))
                    CPU_FIRST=$(cpu_seconds "$PROG_PID" 2>/dev/null || echo "")
                fi
            fi
        fi
        # a bare program ends by itself once its work is done; a worker must not end
        if [[ $kind != bare ]] && ! kill -0 "$PROG_PID" 2>/dev/null; then
            wait "$PROG_PID" || true
            PROG_PID=""
            tail -n 30 "$log" >&2 || true
            die "$kind exited before the work was done (log: $log)"
        fi
        if ((elapsed > TIMEOUT_S * 1000000)); then
            tail -n 30 "$log" >&2 || true
            die "$kind $side run $run did not finish within $TIMEOUT_S s (log: $log)"
        fi
        if [[ -n $rest_port && -z $REST_MS ]] && ((elapsed < 60000000)); then nap 0.005; else nap 0.01; fi
    done
    if [[ $kind == bare ]]; then
        wait "$PROG_PID" || die "bare $side run $run failed: $(cat "$log")"
        PROG_PID=""
        json=$(<"$log.json")
        [[ $(jq -r .records <<<"$json") == "$N" ]] || die "bare $side run $run moved $(jq -r .records <<<"$json") records, not $N"
        CPU_ALL=$(jq -r .cpu_seconds <<<"$json")
        HWM_KB=$(jq -r .peak_rss_kb <<<"$json")
        if [[ $side == sink ]]; then
            # its file grows in 1 MB writes: take the first record from its own clock
            FIRST_US=$(awk -v s="$(jq -r .first_record_seconds <<<"$json")" 'BEGIN { printf "%.0f", s * 1e6 }')
        fi
    else
        [[ $side == sink ]] && sink_trail "$out" "$topic" "$kind"
        HWM_KB=$(peak_rss_kb "$PROG_PID")
        stop_prog
    fi
    if [[ $side == source ]]; then
        wait "$WATCH_PID" 2>/dev/null || true
        WATCH_PID=""
    fi
    [[ -n $REST_MS ]] || REST_MS="n/a"
    [[ -n $CPU_FIRST ]] || CPU_FIRST="n/a"
}

# sink_trail OUT TOPIC: once the sink has caught up with the topic (N lines in its file), with the
# worker still running: produce TRAIL more lines into the topic and time, from the moment the
# broker acknowledged the last of them (bare_produce returned), until they are all in the sink
# file (polled every 10 ms), into TRAIL_NOW. That is how far the output trails the topic once the
# stream goes quiet.
sink_trail() {
    local out=$1 topic=$2 kind=$3 t_avail want
    timeout "$TIMEOUT_S" "$BIN/bare_produce" --brokers "$KAFKA_BOOTSTRAP" --topic "$topic" \
        --file "$TRAIL_FILE" >/dev/null || die "could not produce the trailing lines into $topic"
    now
    t_avail=$NOW_US
    want=$(($(sink_bytes "$kind") + $(trail_bytes "$kind")))
    while :; do
        file_size "$out"
        ((SIZE >= want)) && break
        now
        if ((NOW_US - t_avail > TIMEOUT_S * 1000000)); then
            die "the sink file did not get the $TRAIL trailing lines within $TIMEOUT_S s ($SIZE of $want bytes)"
        fi
        kill -0 "$PROG_PID" 2>/dev/null || die "the worker exited while the trailing lines were produced"
        nap 0.01
    done
    now
    TRAIL_NOW=$(((NOW_US - t_avail) / 1000))
}

# ---------------------------------------------------------------------------------------------
rm -rf "$WORK"
mkdir -p "$WORK" "$RESULTS"
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
# shellcheck disable=SC2086
build_and_start_kafka "$WORK/kafka" $KINDS

ALL_KINDS="bare $KINDS"
topics=(warmup)
for ((run = 1; run <= RUNS; run++)); do
    for kind in $ALL_KINDS; do topics+=("src-$kind-$run" "sink-$kind-$run"); done
done
say "creating ${#topics[@]} topics of one partition each"
create_topics "${topics[@]}"

say "generating $N lines of $WIDTH bytes, and $TRAIL more for the sink's trailing test"
"$BIN/gen_lines" --file "$INPUT" --count "$N" --width "$WIDTH"
[[ $(stat -c %s "$INPUT") == "$INPUT_BYTES" ]] || die "input file has the wrong size"
"$BIN/gen_lines" --file "$TRAIL_FILE" --count "$TRAIL" --width "$WIDTH"
[[ $(stat -c %s "$TRAIL_FILE") == "$TRAIL_BYTES" ]] || die "trail file has the wrong size"
# What a worker writes: the lines as they are, or as the chain makes them
as_worker_writes() { if ((TRANSFORMS == 1)); then sed 's/.*/Struct{text=&,origin=bench}/'; else cat; fi; }
as_worker_writes <"$INPUT" >"$WORK/expected-source.txt"
cat "$INPUT" "$TRAIL_FILE" | as_worker_writes >"$WORK/expected-sink.txt"

# The broker is a JVM: a first produce and consume, not measured, so that run 1 does not pay for
# its warming up (class loading, JIT) on the first program's side alone.
say "warming the broker up: $WARMUP lines produced to and consumed from topic warmup (not measured)"
"$BIN/gen_lines" --file "$WORK/warmup.txt" --count "$WARMUP" --width "$WIDTH"
timeout "$TIMEOUT_S" "$BIN/bare_produce" --brokers "$KAFKA_BOOTSTRAP" --topic warmup --file "$WORK/warmup.txt" >/dev/null ||
    die "the warm-up produce failed"
timeout "$TIMEOUT_S" "$BIN/bare_consume" --brokers "$KAFKA_BOOTSTRAP" --topic warmup --file "$WORK/warmup-out.txt" \
    --count "$WARMUP" >/dev/null || die "the warm-up consume failed"
rm -f "$WORK/warmup.txt" "$WORK/warmup-out.txt"

# figures by "KIND,SIDE,metric", space-separated over the runs
declare -A FIG
declare -a RAW
record() { # KIND SIDE RUN
    local kind=$1 side=$2 run=$3 rate steady cpu_m steady_cpu_m first_s
    rate=$(per_sec "$N" "$DONE_US")
    steady=$(per_sec "$N" "$((DONE_US - FIRST_US))")
    cpu_m=$(per_million "$CPU_ALL" "$N")
    steady_cpu_m=n/a
    [[ $CPU_FIRST == n/a ]] || steady_cpu_m=$(per_million "$(minus "$CPU_ALL" "$CPU_FIRST")" "$N")
    first_s=$(secs "$FIRST_US")
    FIG[$kind,$side,rate]+=" $rate"
    FIG[$kind,$side,steady]+=" $steady"
    FIG[$kind,$side,cpu]+=" $cpu_m"
    FIG[$kind,$side,steady_cpu]+=" $steady_cpu_m"
    FIG[$kind,$side,rss]+=" $HWM_KB"
    FIG[$kind,$side,rest]+=" $REST_MS"
    FIG[$kind,$side,first]+=" $first_s"
    FIG[$kind,$side,trail]+=" ${TRAIL_NOW:-n/a}"
    RAW+=("| $run | $side | $(kind_name "$kind") | $(secs "$DONE_US") | $rate | $first_s | $steady | $CPU_ALL | $cpu_m | $steady_cpu_m | $(mb "$HWM_KB") | ${REST_MS/n\/a/} | ${TRAIL_NOW:-} |")
    say "$(kind_name "$kind") $side run $run: $(secs "$DONE_US") s from the launch ($rate rec/s), first record at $first_s s, then $steady rec/s; CPU $CPU_ALL s; peak RSS $(mb "$HWM_KB") MB; REST ready $REST_MS ms"
}

for ((run = 1; run <= RUNS; run++)); do
    # --- source side: file -> topic ---------------------------------------------------------
    for kind in $ALL_KINDS; do
        say "run $run of $RUNS: $(kind_name "$kind"), file -> topic src-$kind-$run"
        measure "$kind" source "$run"
        record "$kind" source "$run"
        if ((run == 1)) && [[ $kind != bare ]]; then
            say "run $run of $RUNS: reading src-$kind-$run back with the bare consumer"
            timeout "$TIMEOUT_S" "$BIN/bare_consume" --brokers "$KAFKA_BOOTSTRAP" --topic "src-$kind-$run" \
                --file "$WORK/check.txt" --count "$N" >/dev/null || die "could not read back src-$kind-$run"
            cmp -s "$WORK/expected-source.txt" "$WORK/check.txt" || die "src-$kind-$run does not hold the input lines (as the workers write them) in order"
            rm -f "$WORK/check.txt"
        fi
    done
    # --- sink side: topic -> file, each from its own topic holding the N lines -------------
    for kind in $ALL_KINDS; do
        say "run $run of $RUNS: filling topic sink-$kind-$run with the input (bare_produce, not measured)"
        timeout "$TIMEOUT_S" "$BIN/bare_produce" --brokers "$KAFKA_BOOTSTRAP" --topic "sink-$kind-$run" --file "$INPUT" >/dev/null ||
            die "could not fill sink-$kind-$run"
        say "run $run of $RUNS: $(kind_name "$kind"), topic sink-$kind-$run -> file"
        measure "$kind" sink "$run"
        record "$kind" sink "$run"
        out=$WORK/out-$kind-$run.txt
        if [[ $kind == bare ]]; then
            cmp -s "$INPUT" "$out" || die "the bare consumer's output differs from the input"
        else
            cmp -s "$WORK/expected-sink.txt" "$out" || die "$kind's sink output $out is not the input followed by the trailing lines"
        fi
        rm -f "$out"
    done
done

# ---------------------------------------------------------------------------------------------
# report

# fig KIND SIDE METRIC: the median over the runs (numbers only), or n/a
fig() { local -a vals; read -ra vals <<<"${FIG[$1,$2,$3]:-}"; num_median "${vals[@]}"; }
fig_max() { local -a vals; read -ra vals <<<"${FIG[$1,$2,$3]:-}"; printf '%s\n' "${vals[@]}" | sort -g | tail -n 1; }
has_java() { [[ " $KINDS " == *" java "* ]]; }
has_ferry() { [[ " $KINDS " == *" ferry "* ]]; }

DAY=$(date +%F)
if ((TRANSFORMS == 1)); then
    REPORT=${BENCH_REPORT:-$RESULTS/standalone-file-transforms-$DAY.md}
else
    REPORT=${BENCH_REPORT:-$RESULTS/standalone-file-$DAY.md}
fi
LIBRDKAFKA=$(awk '/^name = "rdkafka-sys"/ { getline; sub(/^version = /, ""); gsub(/"/, ""); print }' "$ROOT/Cargo.lock")
COMMAND="bench/run.sh"
[[ $N == 1000000 && $RUNS == 3 ]] || COMMAND="N=$N RUNS=$RUNS $COMMAND"
[[ $KINDS == ferry ]] || COMMAND="KINDS='$KINDS' $COMMAND"
[[ $TRAIL == 1000 ]] || COMMAND="TRAIL=$TRAIL $COMMAND"
[[ $SINK_FLUSH_MS == 10000 ]] || COMMAND="SINK_FLUSH_MS=$SINK_FLUSH_MS $COMMAND"
[[ $SOURCE_FLUSH_MS == 10000 ]] || COMMAND="SOURCE_FLUSH_MS=$SOURCE_FLUSH_MS $COMMAND"
[[ $BATCH_SIZE == 2000 ]] || COMMAND="BATCH_SIZE=$BATCH_SIZE $COMMAND"
((TRANSFORMS == 0)) || COMMAND="TRANSFORMS=1 $COMMAND"
# Kafka Connect's source producer and sink consumer settings, as its log printed them
java_client_settings() {
    local log=$WORK/java-$1-1.log keys
    [[ -f $log ]] || return 0
    if [[ $1 == source ]]; then keys='acks|linger.ms|batch.size|enable.idempotence|max.in.flight.requests.per.connection|compression.type'
    else keys='fetch.min.bytes|fetch.max.wait.ms|max.poll.records|max.partition.fetch.bytes|enable.auto.commit'; fi
    awk -v keys="^($keys)$" '/(ProducerConfig|ConsumerConfig) values:/ { inside = 1; next }
        inside && /^\t/ { split($0, kv, " = "); k = kv[1]; gsub(/^\t/, "", k); if (k ~ keys && !(k in seen)) { seen[k] = kv[2]; order[++n] = k } next }
        { inside = 0 }
        END { for (i = 1; i <= n; i++) printf "%s%s=%s", (i > 1 ? ", " : ""), order[i], seen[order[i]] }' "$log"
}

{
    echo "# Standalone worker, FileStream connectors — $DAY"
    echo
    echo "$N lines of $WIDTH bytes (+ newline), $RUNS runs each, medians. Programs: bare librdkafka$(for k in $KINDS; do printf ', %s' "$(kind_name "$k")"; done)"
    echo "(standalone workers), one after the other, on the same broker (Apache Kafka $KAFKA_VERSION, KRaft, single node, same machine),"
    echo "with the same input file and the same worker and connector settings."
    if ((TRANSFORMS == 1)); then
        echo
        echo "**With transforms**: every worker's connector runs the chain HoistField\$Value (\`field=line\`) →"
        echo "InsertField\$Value (\`static.field=origin\`, \`static.value=bench\`) → ReplaceField\$Value"
        echo "(\`renames=line:text\`); each line comes out as \`Struct{text=LINE,origin=bench}\` (checked for run 1"
        echo "of each side). The bare programs move the lines untouched: the reference without transforms."
    fi
    echo
    echo "| side | program | rec/s | ratio to bare | ratio to Kafka Connect | rec/s from launch | CPU s per 1M records | CPU s per 1M after the first record | peak RSS MB | first record s |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for side in source sink; do
        for kind in $ALL_KINDS; do
            steady=$(fig "$kind" "$side" steady)
            to_bare=$(ratio "$steady" "$(fig bare "$side" steady)")
            to_java=n/a
            has_java && to_java=$(ratio "$steady" "$(fig java "$side" steady)")
            [[ $kind == bare ]] && to_bare="1"
            [[ $kind == java ]] && to_java="1"
            label="file → topic"; [[ $side == sink ]] && label="topic → file"
            echo "| $label | $(kind_name "$kind") | **$steady** | $to_bare | $to_java | $(fig "$kind" "$side" rate) | $(fig "$kind" "$side" cpu) | $(fig "$kind" "$side" steady_cpu) | $(mb "$(fig_max "$kind" "$side" rss)") | $(fig "$kind" "$side" first) |"
        done
    done
    echo
    echo "- **rec/s**: N / (time of the last record − time of the first record) in the output (the topic"
    echo "  for file → topic, the file for topic → file): the rate once the data flows, without the"
    echo "  program's start-up (a JVM start, plugin scanning, the consumer group join). **rec/s from launch**:"
    echo "  N / (launch → last record), start-up included; \"first record s\" is launch → first record."
    echo "- **CPU s per 1M records**: user + system CPU time of the process (\`utime + stime\` of"
    echo "  \`/proc/PID/stat\`; the bare programs read their own at their end) from its start until the last"
    echo "  record, per million records; \"after the first record\": the same from the first record on (the"
    echo "  start-up — class loading, JIT compilation — left out)."
    echo "- **peak RSS**: \`VmHWM\` of \`/proc/PID/status\`, the largest over the runs (workers: read after the"
    echo "  trailing test, just before they are stopped)."
    if has_ferry; then
        echo
        for side in source sink; do
            f=$(fig ferry "$side" steady)
            verdict_bare=$(awk -v r="$(ratio "$f" "$(fig bare "$side" steady)")" 'BEGIN { print (r != "n/a" && r >= 0.9) ? "met" : "not met" }')
            line="Target for $side ($([[ $side == source ]] && echo "file → topic" || echo "topic → file")): ferry ≥ 0.9 × bare: $verdict_bare ($(ratio "$f" "$(fig bare "$side" steady)"))"
            if has_java; then
                verdict_java=$(awk -v r="$(ratio "$f" "$(fig java "$side" steady)")" 'BEGIN { print (r != "n/a" && r >= 1) ? "met" : "not met" }')
                line+="; ferry ≥ Kafka Connect: $verdict_java ($(ratio "$f" "$(fig java "$side" steady)"))"
            fi
            echo "$line."
        done
    fi
    echo
    echo "Sink output trails the topic by (median ms):$(for k in $KINDS; do printf ' %s %s;' "$(kind_name "$k")" "$(fig "$k" sink trail)"; done) from the broker"
    echo "acknowledging the last of $TRAIL lines produced after the sink had caught up until they were all in"
    echo "the sink file, with \`offset.flush.interval.ms=$SINK_FLUSH_MS\`."
    echo
    echo "REST answering after the launch (median ms; ferry \`GET /\`, Kafka Connect \`GET /health\`):$(for k in $KINDS; do printf ' %s %s (source) / %s (sink);' "$(kind_name "$k")" "$(fig "$k" source rest)" "$(fig "$k" sink rest)"; done)"
    echo "polled every ~5 ms while the worker also starts its connector (bench/footprint.sh measures start-up alone)."
    echo
    echo "## How it is measured"
    echo
    echo "- file → topic: each program reads the input file and writes one record per line, without a key,"
    echo "  into its own new one-partition topic (\`src-KIND-RUN\`). bare: \`bare_produce\` (rdkafka"
    echo "  \`BaseProducer\`: enable.idempotence=true, acks=all, partitioner=murmur2_random, linger.ms=5,"
    echo "  message.timeout.ms=2147483647); the workers: a standalone worker with one FileStreamSource"
    echo "  connector (\`tasks.max=1\`, \`batch.size=$BATCH_SIZE\`) and \`StringConverter\` for keys and values,"
    echo "  \`offset.flush.interval.ms=$SOURCE_FLUSH_MS\`, a new offsets file, each with its own producer defaults."
    echo "  The observer is \`watch_topic\` (bench program): it reads the topic's end offset every 10 ms and notes"
    echo "  when it first moved and when it reached N. Run 1's topic of each worker is read back and compared"
    echo "  with the input."
    echo "- topic → file: each program reads its own one-partition topic \`sink-KIND-RUN\`, filled with the N"
    echo "  input lines by \`bare_produce\` just before (not measured), into its own file, in a new consumer group. bare: \`bare_consume\` (rdkafka \`BaseConsumer\`, auto.offset.reset=earliest, writes"
    echo "  through a 1 MB \`BufWriter\`; its first record from its own clock); the workers: a standalone"
    echo "  worker with one FileStreamSink connector, \`StringConverter\`, \`offset.flush.interval.ms=$SINK_FLUSH_MS\`."
    echo "  The observer is the output file's size, polled every 20 ms, until it holds $INPUT_BYTES bytes. Then,"
    echo "  the worker still running, \`bare_produce\` adds $TRAIL lines to the topic (\"trails ms\", above). Every"
    echo "  output file is compared byte for byte with the input (the workers': input + trailing lines)."
    echo "- The programs run one after the other (bare, then$(for k in $KINDS; do printf ' %s,' "$(kind_name "$k")"; done) per side and run), never together."
    echo "  Before run 1, $WARMUP lines are produced to and consumed from a topic \`warmup\` (not measured), so"
    echo "  that the broker's JVM is warm for every program."
    if has_java; then
        echo "- Kafka Connect's clients as its log printed them — source producer: $(java_client_settings source);"
        echo "  sink consumer: $(java_client_settings sink)."
    fi
    echo
    echo "## Runs"
    echo
    echo "| run | side | program | launch → last record s | rec/s from launch | first record s | rec/s | CPU s | CPU s per 1M | CPU s per 1M after the first | peak RSS MB | REST ready ms | trails ms |"
    echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${RAW[@]}"
    echo
    echo "## Setup"
    echo
    echo "- machine: $(machine_line); load average at the start: $LOAD_AT_START"
    echo "- broker: Apache Kafka $KAFKA_VERSION (KRaft, single node, same machine; 512 MB heap), one partition per topic"
    echo "- client library: rdkafka-sys $LIBRDKAFKA (bundled librdkafka) for the bare programs and ferry"
    echo "- ferry: $(ferry_revision), release build"
    has_java && echo "- Kafka Connect: $KAFKA_VERSION (ConnectStandalone through scripts/kafka/connect.sh: Java $(java_version), -Xms256m -Xmx${CONNECT_HEAP:-1g}, G1), FileStream connectors from connect-file $CONNECT_FILE_VERSION"
    echo "- command: \`$COMMAND\`"
} >"$REPORT"

# figures for bench/side-by-side.sh: standalone.KIND.SIDE.METRIC=median
if [[ -n ${BENCH_SUMMARY:-} ]]; then
    {
        for kind in $ALL_KINDS; do
            for side in source sink; do
                for m in steady rate cpu steady_cpu first rest trail; do
                    echo "standalone.$kind.$side.$m=$(fig "$kind" "$side" "$m")"
                done
                echo "standalone.$kind.$side.rss_mb=$(mb "$(fig_max "$kind" "$side" rss)")"
            done
        done
        echo "standalone.n=$N"
        echo "standalone.runs=$RUNS"
    } >>"$BENCH_SUMMARY"
fi

cat "$REPORT"
say "written to ${REPORT#"$ROOT"/}"
