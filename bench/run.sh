#!/usr/bin/env bash
# Standalone-worker benchmark: ferry's FileStreamSource and FileStreamSink against a bare
# librdkafka producer / consumer moving the same file through the same Apache Kafka broker
# (scripts/lib.sh: one KRaft node on this machine). See bench/README.md.
#
#   bench/run.sh
#   env: N=lines (1000000), RUNS=repetitions (3), TIMEOUT_S=per step (300),
#        TRAIL=lines produced once the sink has caught up (1000),
#        SINK_FLUSH_MS=the sink worker's offset.flush.interval.ms (10000, Kafka Connect's default),
#        WARMUP=lines produced and consumed once before measuring (N, at most 200000)
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

N=${N:-1000000}           # lines in the input file
WIDTH=100                 # bytes per line, newline not counted
RUNS=${RUNS:-3}           # repetitions of every measurement; the median is reported
TIMEOUT_S=${TIMEOUT_S:-300}
TRAIL=${TRAIL:-1000}      # lines produced after the sink caught up, to time how far its file trails
SINK_FLUSH_MS=${SINK_FLUSH_MS:-10000}
WARMUP=${WARMUP:-$((N < 200000 ? N : 200000))}   # lines through the broker before measuring
WORK=$ROOT/bench/work/standalone
RESULTS=$ROOT/bench/results
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release
FERRY=$BIN/ferry
INPUT=$WORK/input.txt
INPUT_BYTES=$((N * (WIDTH + 1)))
TRAIL_FILE=$WORK/trail.txt
TRAIL_BYTES=$((TRAIL * (WIDTH + 1)))

# shellcheck source-path=SCRIPTDIR/.. source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

say() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

((N > 0 && RUNS > 0 && TRAIL > 0 && WARMUP > 0)) || die "N, RUNS, TRAIL and WARMUP must be at least 1"
for tool in jq curl python3 cmp stat timeout; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed and is not on PATH"
done

# ---------------------------------------------------------------------------------------------
# processes we start, stopped on exit

KAFKA_PID=""
FERRY_PID=""
cleanup() {
    if [[ -n $FERRY_PID ]] && kill -0 "$FERRY_PID" 2>/dev/null; then
        kill -TERM "$FERRY_PID" 2>/dev/null || true
        wait "$FERRY_PID" 2>/dev/null || true
    fi
    if [[ -n $KAFKA_PID ]]; then
        say "stopping Apache Kafka (pid $KAFKA_PID)"
        stop_kafka "$KAFKA_PID"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# helpers that do not fork, so that polling costs the measured processes little CPU

exec {SLEEP_FD}<> <(:)
nap() { read -r -t "$1" -u "$SLEEP_FD" _ || true; }   # sleep without a process
now() { NOW_US=${EPOCHREALTIME/./}; }                 # microseconds since the epoch, in NOW_US

# VmHWM (peak resident set) of a process in kB, in HWM_KB
peak_rss() {
    local key value _unit
    HWM_KB=0
    while read -r key value _unit; do
        if [[ $key == VmHWM: ]]; then HWM_KB=$value; fi
    done <"/proc/$1/status"
}

# size of a file in bytes, in SIZE (0 if it does not exist yet)
file_size() {
    SIZE=0
    [[ -e $1 ]] || return 0
    SIZE=$(stat -c %s "$1")
}

# source position stored in a (fresh, single-connector) offsets file, in POS; -1 if none yet
offsets_position() {
    local content=""
    POS=-1
    [[ -f $1 ]] || return 0
    IFS= read -r -d '' content <"$1" || true
    if [[ $content =~ \"position\"[[:space:]]*:[[:space:]]*([0-9]+) ]]; then
        POS=${BASH_REMATCH[1]}
    fi
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
per_sec() { awk -v n="$1" -v us="$2" 'BEGIN { printf "%.0f", n / (us / 1e6) }'; }
secs() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1e6 }'; }

stop_ferry() {
    local i
    kill -TERM "$FERRY_PID" 2>/dev/null || true
    for ((i = 0; i < 1000; i++)); do
        kill -0 "$FERRY_PID" 2>/dev/null || break
        nap 0.01
    done
    if kill -0 "$FERRY_PID" 2>/dev/null; then
        say "ferry did not stop within 10 s of SIGTERM; killing it"
        kill -KILL "$FERRY_PID" 2>/dev/null || true
    fi
    wait "$FERRY_PID" 2>/dev/null || true
    FERRY_PID=""
}

write_worker_properties() { # file offsets-file rest-port offset-flush-interval-ms
    cat >"$1" <<EOF
bootstrap.servers=$KAFKA_BOOTSTRAP
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.storage.StringConverter
offset.storage.file.filename=$2
offset.flush.interval.ms=$4
listeners=http://127.0.0.1:$3
EOF
}

# Launches ferry standalone with the given worker and connector properties, polls
# GET / every ~5 ms until it answers 200 (REST_MS) and calls the completion check
# `$DONE_CHECK` every 20 ms until it succeeds (DONE_US, from the launch); records the time at
# which the check first saw progress (FIRST_US); then runs `$AFTER_DONE` (if set) while ferry
# still runs, records the peak RSS (HWM_KB) and stops ferry.
# The check sets PROGRESS (0 = nothing yet) and returns 0 when the work is complete.
run_ferry() { # worker-props connector-props rest-port log
    local worker=$1 connector=$2 rest_port=$3 log=$4
    local t0 next_check=0 code elapsed
    REST_MS="" DONE_US="" FIRST_US=""
    now
    t0=$NOW_US
    "$FERRY" standalone "$worker" "$connector" >"$log" 2>&1 &
    FERRY_PID=$!
    while :; do
        now
        elapsed=$((NOW_US - t0))
        if [[ -z $REST_MS ]] && ((elapsed < 30000000)); then
            code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$rest_port/" || true)
            if [[ $code == 200 ]]; then
                now
                REST_MS=$(((NOW_US - t0) / 1000))
            fi
        fi
        if ((NOW_US >= next_check)); then
            next_check=$((NOW_US + 20000))
            if $DONE_CHECK; then
                now
                DONE_US=$((NOW_US - t0))
                break
            fi
            if [[ -z $FIRST_US ]] && ((PROGRESS > 0)); then
                FIRST_US=$((NOW_US - t0))
            fi
        fi
        if ! kill -0 "$FERRY_PID" 2>/dev/null; then
            wait "$FERRY_PID" || true
            FERRY_PID=""
            tail -n 30 "$log" >&2 || true
            die "ferry exited before the work was done (log: $log)"
        fi
        if ((elapsed > TIMEOUT_S * 1000000)); then
            tail -n 30 "$log" >&2 || true
            die "ferry did not finish within $TIMEOUT_S s (progress $PROGRESS; log: $log)"
        fi
        if [[ -z $REST_MS ]] && ((elapsed < 30000000)); then nap 0.005; else nap 0.02; fi
    done
    if [[ -n ${AFTER_DONE:-} ]]; then $AFTER_DONE; fi
    peak_rss "$FERRY_PID"
    stop_ferry
    [[ -n $REST_MS ]] || REST_MS="n/a"
}

# ---------------------------------------------------------------------------------------------
say "building ferry and the bench programs (release)"
cargo build --release -p ferry -p ferry-bench

rm -rf "$WORK"
mkdir -p "$WORK" "$RESULTS"

say "making sure Apache Kafka $KAFKA_VERSION's jars are in $KAFKA_LIBS"
ensure_kafka
say "starting Apache Kafka $KAFKA_VERSION (KRaft, single node), data in ${WORK#"$ROOT"/}/kafka"
start_kafka "$WORK/kafka"

topics=(warmup)
for ((run = 1; run <= RUNS; run++)); do topics+=("bare-src-$run" "ferry-src-$run"); done
say "creating ${#topics[@]} topics of one partition each"
"$BIN/create_topics" --brokers "$KAFKA_BOOTSTRAP" --partitions 1 --replication 1 "${topics[@]}" ||
    die "could not create the topics"

say "generating $N lines of $WIDTH bytes, and $TRAIL more for the sink's trailing test"
"$BIN/gen_lines" --file "$INPUT" --count "$N" --width "$WIDTH"
[[ $(stat -c %s "$INPUT") == "$INPUT_BYTES" ]] || die "input file has the wrong size"
"$BIN/gen_lines" --file "$TRAIL_FILE" --count "$TRAIL" --width "$WIDTH"
[[ $(stat -c %s "$TRAIL_FILE") == "$TRAIL_BYTES" ]] || die "trail file has the wrong size"
cat "$INPUT" "$TRAIL_FILE" >"$WORK/expected-sink.txt"

# The broker is a JVM: a first produce and consume, not measured, so that run 1 does not pay for
# its warming up (class loading, JIT) on the bare programs' side alone.
say "warming the broker up: $WARMUP lines produced to and consumed from topic warmup (not measured)"
"$BIN/gen_lines" --file "$WORK/warmup.txt" --count "$WARMUP" --width "$WIDTH"
timeout "$TIMEOUT_S" "$BIN/bare_produce" --brokers "$KAFKA_BOOTSTRAP" --topic warmup --file "$WORK/warmup.txt" >/dev/null ||
    die "the warm-up produce failed"
timeout "$TIMEOUT_S" "$BIN/bare_consume" --brokers "$KAFKA_BOOTSTRAP" --topic warmup --file "$WORK/warmup-out.txt" \
    --count "$WARMUP" >/dev/null || die "the warm-up consume failed"
rm -f "$WORK/warmup.txt" "$WORK/warmup-out.txt"

declare -a BARE_SRC FERRY_SRC BARE_SINK FERRY_SINK RSS_SRC RSS_SINK BRSS_SRC BRSS_SINK REST_SRC REST_SINK TRAIL_MS RAW

source_done() {
    offsets_position "$OFFSETS"
    PROGRESS=$((POS > 0 ? POS : 0))
    ((POS >= INPUT_BYTES))
}
sink_done() {
    file_size "$OUT"
    PROGRESS=$SIZE
    ((PROGRESS >= INPUT_BYTES))
}
# Once the sink has caught up with the topic (N lines in its file), with ferry still running:
# produce TRAIL more lines into the topic and time, from the moment the broker acknowledged the
# last of them (bare_produce returned), until they are all in the sink file (polled every
# 10 ms), into TRAIL_MS_NOW. That is how far the output trails the topic once the stream goes
# quiet; it should not depend on the offset commit interval (SINK_FLUSH_MS).
sink_trail() {
    local t_avail
    timeout "$TIMEOUT_S" "$BIN/bare_produce" --brokers "$KAFKA_BOOTSTRAP" --topic "$SINK_TOPIC" \
        --file "$TRAIL_FILE" >/dev/null || die "could not produce the trailing lines into $SINK_TOPIC"
    now
    t_avail=$NOW_US
    while :; do
        file_size "$OUT"
        ((SIZE >= INPUT_BYTES + TRAIL_BYTES)) && break
        now
        if ((NOW_US - t_avail > TIMEOUT_S * 1000000)); then
            die "the sink file did not get the $TRAIL trailing lines within $TIMEOUT_S s ($SIZE of $((INPUT_BYTES + TRAIL_BYTES)) bytes)"
        fi
        kill -0 "$FERRY_PID" 2>/dev/null || die "ferry exited while the trailing lines were produced"
        nap 0.01
    done
    now
    TRAIL_MS_NOW=$(((NOW_US - t_avail) / 1000))
}

for ((run = 1; run <= RUNS; run++)); do
    # --- source side: file -> topic ---------------------------------------------------------
    say "run $run of $RUNS: bare producer -> bare-src-$run"
    json=$(timeout "$TIMEOUT_S" "$BIN/bare_produce" --brokers "$KAFKA_BOOTSTRAP" --topic "bare-src-$run" --file "$INPUT") ||
        die "bare producer failed"
    [[ $(jq -r .records <<<"$json") == "$N" ]] || die "bare producer sent $(jq -r .records <<<"$json") records, not $N"
    BARE_SRC+=("$(jq -r .records_per_sec <<<"$json")")
    BRSS_SRC+=("$(jq -r .peak_rss_kb <<<"$json")")
    RAW+=("| $run | source | bare | $(jq -r .seconds <<<"$json") | ${BARE_SRC[-1]} | $(mb "${BRSS_SRC[-1]}") | | | |")

    OFFSETS=$WORK/connect-src-$run.offsets
    rest_port=$(free_port)
    write_worker_properties "$WORK/worker-src-$run.properties" "$OFFSETS" "$rest_port" 100
    cat >"$WORK/source-$run.properties" <<EOF
name=bench-source
connector.class=FileStreamSource
tasks.max=1
file=$INPUT
topic=ferry-src-$run
batch.size=2000
EOF
    say "run $run of $RUNS: ferry FileStreamSource -> ferry-src-$run"
    DONE_CHECK=source_done AFTER_DONE=""
    run_ferry "$WORK/worker-src-$run.properties" "$WORK/source-$run.properties" "$rest_port" "$WORK/ferry-src-$run.log"
    # the stored offset, read properly: the key is ["bench-source",{"filename":INPUT}]
    pos=$(jq -r --arg f "$INPUT" \
        'to_entries[] | select((.key | fromjson) == ["bench-source", {"filename": $f}]) | .value.position' "$OFFSETS" || true)
    [[ $pos == "$INPUT_BYTES" ]] || die "offsets file $OFFSETS does not hold position $INPUT_BYTES for the connector (got '$pos')"
    FERRY_SRC+=("$(per_sec "$N" "$DONE_US")")
    RSS_SRC+=("$HWM_KB")
    REST_SRC+=("$REST_MS")
    RAW+=("| $run | source | ferry | $(secs "$DONE_US") | ${FERRY_SRC[-1]} | $(mb "$HWM_KB") | $REST_MS | | |")

    if ((run == 1)); then
        say "run $run of $RUNS: reading ferry-src-$run back with the bare consumer"
        timeout "$TIMEOUT_S" "$BIN/bare_consume" --brokers "$KAFKA_BOOTSTRAP" --topic "ferry-src-$run" \
            --file "$WORK/check-ferry-src.txt" --count "$N" >/dev/null || die "could not read back ferry-src-$run"
        cmp -s "$INPUT" "$WORK/check-ferry-src.txt" || die "ferry-src-$run does not hold the input lines in order"
        rm -f "$WORK/check-ferry-src.txt"
    fi

    # --- sink side: topic -> file (both read bare-src-$run, which holds the N lines) -------
    say "run $run of $RUNS: bare consumer bare-src-$run -> file"
    out_bare=$WORK/bare-out-$run.txt
    json=$(timeout "$TIMEOUT_S" "$BIN/bare_consume" --brokers "$KAFKA_BOOTSTRAP" --topic "bare-src-$run" \
        --file "$out_bare" --count "$N") || die "bare consumer failed"
    cmp -s "$INPUT" "$out_bare" || die "bare consumer output differs from the input"
    rm -f "$out_bare"
    BARE_SINK+=("$(jq -r .records_per_sec <<<"$json")")
    BRSS_SINK+=("$(jq -r .peak_rss_kb <<<"$json")")
    RAW+=("| $run | sink | bare | $(jq -r .seconds <<<"$json") | ${BARE_SINK[-1]} | $(mb "${BRSS_SINK[-1]}") | | $(jq -r .first_record_seconds <<<"$json") | |")

    OUT=$WORK/ferry-out-$run.txt
    rest_port=$(free_port)
    write_worker_properties "$WORK/worker-sink-$run.properties" "$WORK/connect-sink-$run.offsets" "$rest_port" "$SINK_FLUSH_MS"
    cat >"$WORK/sink-$run.properties" <<EOF
name=bench-sink-$run
connector.class=FileStreamSink
tasks.max=1
file=$OUT
topics=bare-src-$run
EOF
    say "run $run of $RUNS: ferry FileStreamSink bare-src-$run -> file, then $TRAIL trailing lines"
    DONE_CHECK=sink_done AFTER_DONE=sink_trail SINK_TOPIC=bare-src-$run
    run_ferry "$WORK/worker-sink-$run.properties" "$WORK/sink-$run.properties" "$rest_port" "$WORK/ferry-sink-$run.log"
    cmp -s "$WORK/expected-sink.txt" "$OUT" || die "ferry sink output $OUT is not the input followed by the trailing lines"
    rm -f "$OUT"
    FERRY_SINK+=("$(per_sec "$N" "$DONE_US")")
    RSS_SINK+=("$HWM_KB")
    REST_SINK+=("$REST_MS")
    TRAIL_MS+=("$TRAIL_MS_NOW")
    RAW+=("| $run | sink | ferry | $(secs "$DONE_US") | ${FERRY_SINK[-1]} | $(mb "$HWM_KB") | $REST_MS | $(secs "${FIRST_US:-0}") | $TRAIL_MS_NOW |")
done

# ---------------------------------------------------------------------------------------------
# report

num() { [[ $1 =~ ^[0-9]+$ ]]; }
rest_median() { # prints the median of the numeric values, or n/a
    local v nums=()
    for v in "$@"; do num "$v" && nums+=("$v"); done
    if ((${#nums[@]})); then median "${nums[@]}"; else echo n/a; fi
}
max() { printf '%s\n' "$@" | sort -g | tail -n 1; }

b_src=$(median "${BARE_SRC[@]}"); f_src=$(median "${FERRY_SRC[@]}")
b_sink=$(median "${BARE_SINK[@]}"); f_sink=$(median "${FERRY_SINK[@]}")
r_src=$(ratio "$f_src" "$b_src"); r_sink=$(ratio "$f_sink" "$b_sink")
rss_src=$(mb "$(max "${RSS_SRC[@]}")"); rss_sink=$(mb "$(max "${RSS_SINK[@]}")")
brss_src=$(mb "$(max "${BRSS_SRC[@]}")"); brss_sink=$(mb "$(max "${BRSS_SINK[@]}")")
rest_src=$(rest_median "${REST_SRC[@]}"); rest_sink=$(rest_median "${REST_SINK[@]}")
trail_ms=$(median "${TRAIL_MS[@]}")
# "meets targets" or the list of the targets missed: ratio rss-MB rest-ms
verdict() { awk -v r="$1" -v m="$2" -v rest="$3" 'BEGIN {
    miss = ""
    if (r < 0.9) miss = miss " ratio"
    if (m >= 50) miss = miss " RSS"
    if (rest == "n/a" || rest >= 100) miss = miss " REST"
    print (miss == "" ? "meets targets" : "misses:" miss) }'; }

DAY=$(date +%F)
REPORT=$RESULTS/standalone-file-$DAY.md
LIBRDKAFKA=$(awk '/^name = "rdkafka-sys"/ { getline; sub(/^version = /, ""); gsub(/"/, ""); print }' "$ROOT/Cargo.lock")
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM_MB=$(awk '/^MemTotal:/ { printf "%.0f", $2 / 1024 }' /proc/meminfo)
FERRY_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git -C "$ROOT" diff --quiet HEAD 2>/dev/null; then FERRY_REV="$FERRY_REV (with uncommitted changes)"; fi
COMMAND="bench/run.sh"
[[ $N == 1000000 && $RUNS == 3 ]] || COMMAND="N=$N RUNS=$RUNS $COMMAND"
[[ $TRAIL == 1000 ]] || COMMAND="TRAIL=$TRAIL $COMMAND"
[[ $SINK_FLUSH_MS == 10000 ]] || COMMAND="SINK_FLUSH_MS=$SINK_FLUSH_MS $COMMAND"

{
    echo "# Standalone worker, FileStream connectors — $DAY"
    echo
    echo "$N lines of $WIDTH bytes (+ newline), $RUNS runs each, medians; ratio = ferry / bare."
    echo "Broker: Apache Kafka $KAFKA_VERSION (KRaft, single node, same machine)."
    echo "Targets: ratio >= 0.9 both ways, ferry peak RSS < 50 MB, REST API answers \`GET /\` < 100 ms after start."
    echo
    echo "| side | bare rec/s | ferry rec/s | ratio | ferry peak RSS MB | REST ready ms | bare peak RSS MB | targets |"
    echo "|---|---:|---:|---:|---:|---:|---:|---|"
    echo "| source: file → topic | $b_src | $f_src | $r_src | $rss_src | $rest_src | $brss_src | $(verdict "$r_src" "$rss_src" "$rest_src") |"
    echo "| sink: topic → file | $b_sink | $f_sink | $r_sink | $rss_sink | $rest_sink | $brss_sink | $(verdict "$r_sink" "$rss_sink" "$rest_sink") |"
    echo
    echo "Sink output trails the topic by **$trail_ms ms** (median): from the broker acknowledging the last"
    echo "of $TRAIL lines produced after the sink had caught up, until they were all in the sink file, with"
    echo "the sink worker's \`offset.flush.interval.ms=$SINK_FLUSH_MS\`."
    echo
    echo "Peak RSS is the largest \`VmHWM\` over the runs, read just before ferry is stopped (bare"
    echo "programs: read by the program itself at its end), for comparison with the same client library"
    echo "holding the same data."
    echo
    echo "## How it is measured"
    echo
    echo "- source, bare: \`bare_produce\` (rdkafka \`BaseProducer\`: enable.idempotence=true, acks=all,"
    echo "  partitioner=murmur2_random, linger.ms=5, message.timeout.ms=2147483647) sends each line to"
    echo "  topic \`bare-src-RUN\`; its own clock, from \`main\` until \`flush\` returned with every record acknowledged."
    echo "- source, ferry: \`ferry standalone\` with FileStreamSource (batch.size=2000) into \`ferry-src-RUN\`;"
    echo "  from launching the process until the offsets file (offset.flush.interval.ms=100, polled every"
    echo "  20 ms) holds position = input size ($INPUT_BYTES). Run 1's topic is read back and compared with the input."
    echo "- sink, bare: \`bare_consume\` (rdkafka \`BaseConsumer\`, new group, auto.offset.reset=earliest) reads"
    echo "  \`bare-src-RUN\` into a file through a \`BufWriter\`; its own clock, from \`main\` (group join included)"
    echo "  until N lines are written and flushed."
    echo "- sink, ferry: \`ferry standalone\` with FileStreamSink on \`bare-src-RUN\` (offset.flush.interval.ms=$SINK_FLUSH_MS);"
    echo "  from launching the process until the output file holds $INPUT_BYTES bytes (polled every 20 ms)."
    echo "  Then, ferry still running, \`bare_produce\` adds $TRAIL lines to the topic; \"trails ms\" is from its"
    echo "  return (all acknowledged) until the file holds them too (polled every 10 ms)."
    echo "- Every output file is compared byte for byte with the input (the sink's: input + trailing lines)."
    echo "- REST ready: \`curl\` on \`GET /\` every ~5 ms from the launch until 200; the time at which curl returned."
    echo "- Before run 1, $WARMUP lines are produced to and consumed from a topic \`warmup\` (not measured), so"
    echo "  that the broker's JVM is warm for both sides."
    echo
    echo "## Runs"
    echo
    echo "| run | side | program | seconds | rec/s | peak RSS MB | REST ready ms | first record s | trails ms |"
    echo "|---|---|---|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${RAW[@]}"
    echo
    echo "\"first record s\": when the first record reached the output (bare: arrived at the consumer;"
    echo "ferry: the output file was first seen non-empty) — the consumer group join is most of it."
    echo
    echo "## Setup"
    echo
    echo "- machine: $(nproc) CPUs ($CPU), $MEM_MB MB memory, $(uname -sr)"
    echo "- broker: Apache Kafka $KAFKA_VERSION (KRaft, single node, same machine; 512 MB heap), one partition per topic"
    echo "- client library: rdkafka-sys $LIBRDKAFKA (bundled librdkafka) for the bare programs and ferry"
    echo "- ferry: $FERRY_REV, release build"
    echo "- command: \`$COMMAND\`"
} >"$REPORT"

cat "$REPORT"
say "written to ${REPORT#"$ROOT"/}"
