#!/usr/bin/env bash
# The cost of ferry's Prometheus metrics (issue 12; docs/metrics.md):
#  (a) FileStreamSource, N lines (1,000,000 of 100 bytes) into a fresh one-partition topic under
#      `ferry standalone`, timed from POST /connectors until the topic holds them all
#      (watch_topic), RUNS times without anyone scraping and RUNS times with a scraper calling
#      `curl -s $REST/metrics` every SCRAPE_S second(s), the two alternating (odd runs: quiet
#      first; even runs: scraped first); records/s medians and their ratio.
#  (b) one standalone worker with CONNECTORS (500) FileStreamSource connectors, each on a small
#      file of its own (LINES_EACH lines) into one topic; CALLS (50) calls of GET /metrics and of
#      GET /connectors?expand=status (curl's time_total), median and p95 in ms, /metrics's size,
#      the worker's RSS; the same calls on the idle worker first, for comparison. Then the web
#      console: CALLS calls of GET /ui/ and /ui/app.js, and bench/console-render.mjs in Debian's
#      headless Chromium (scripts/lib.sh ensure_browser): the list of all CONNECTORS rendered,
#      filtered to one, that one's page opened, and one periodic refresh, UI_RUNS (5) page loads.
#
#   bench/metrics-cost.sh
#   N=100000 RUNS=1 CONNECTORS=50 bench/metrics-cost.sh     # a quick look
#
# Report: bench/results/metrics-cost-DATE.md (or BENCH_REPORT). Shares the conventions of the
# other scripts (bench/README.md): own broker unless BENCH_KAFKA_*, BENCH_BUILT=1 skips the build.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/bench-target}

N=${N:-1000000}
WIDTH=100
RUNS=${RUNS:-3}
SCRAPE_S=${SCRAPE_S:-1}
BATCH_SIZE=${BATCH_SIZE:-2000}
CONNECTORS=${CONNECTORS:-500}
LINES_EACH=${LINES_EACH:-10}
CALLS=${CALLS:-50}
UI_RUNS=${UI_RUNS:-5}
TIMEOUT_S=${TIMEOUT_S:-300}
WORK=${BENCH_WORK_ROOT:-$ROOT/bench/work}/metrics-cost
REPORT=${BENCH_REPORT:-$ROOT/bench/results/metrics-cost-$(date -u +%F).md}
COMMAND=""
for v in N RUNS SCRAPE_S BATCH_SIZE CONNECTORS LINES_EACH CALLS; do
    if printenv "$v" >/dev/null; then COMMAND+="$v=${!v} "; fi
done
COMMAND+="bench/metrics-cost.sh"

# shellcheck source-path=SCRIPTDIR/.. source=bench/cluster-lib.sh
source "$ROOT/bench/cluster-lib.sh"
# shellcheck source-path=SCRIPTDIR/.. source=bench/lib.sh
source "$ROOT/bench/lib.sh"

((N > 0 && RUNS > 0 && CONNECTORS > 0 && CALLS > 0)) || die "N, RUNS, CONNECTORS and CALLS must be at least 1"

PROG_PID="" WATCH_PID="" SCRAPER_PID=""
metrics_cost_cleanup() {
    stop_pid "$SCRAPER_PID" 5
    SCRAPER_PID=""
    stop_pid "$WATCH_PID" 5
    WATCH_PID=""
    stop_pid "$PROG_PID" 30
    PROG_PID=""
    cluster_cleanup
}
trap metrics_cost_cleanup EXIT
trap 'say "received SIGINT"; exit 130' INT
trap 'say "received SIGTERM"; exit 143' TERM

rm -rf "$WORK"
mkdir -p "$WORK"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
build_and_start_kafka "$WORK/kafka"

write_worker_props() { # FILE PORT
    local dir
    dir=$(dirname "$1")
    {
        echo "bootstrap.servers=$KAFKA_BOOTSTRAP"
        echo "listeners=http://127.0.0.1:$2"
        echo "key.converter=org.apache.kafka.connect.storage.StringConverter"
        echo "value.converter=org.apache.kafka.connect.storage.StringConverter"
        echo "offset.storage.file.filename=$dir/connect.offsets"
        echo "offset.flush.interval.ms=10000"
    } >"$1"
}

# start_ferry DIR: a standalone worker with no connector in DIR, answering on REST
start_ferry() {
    local dir=$1 port t0
    mkdir -p "$dir"
    port=$(free_port)
    REST=http://127.0.0.1:$port
    write_worker_props "$dir/worker.properties" "$port"
    now
    t0=$NOW_US
    launch_standalone ferry "$dir/worker.properties" "$dir/worker.log"
    wait_ready "$t0" 60 || die "$READY_ERROR (log: $dir/worker.log)"
}

# post NAME FILE TOPIC: POST /connectors with a FileStreamSource
post_source() {
    local code
    code=$(jq -n --arg name "$1" --arg file "$2" --arg topic "$3" --arg batch "$BATCH_SIZE" \
        '{name: $name, config: {"connector.class": "FileStreamSource", "tasks.max": "1", file: $file, topic: $topic, "batch.size": $batch}}' |
        curl -s -o "$WORK/post.out" -w '%{http_code}' -m 30 -H 'Content-Type: application/json' --data-binary @- "$REST/connectors")
    [[ $code == 201 ]] || die "POST /connectors ($1) answered $code: $(cat "$WORK/post.out")"
}

# ---------------------------------------------------------------------------------------------
# (a) throughput with and without a scraper

INPUT=$WORK/input.txt
say "generating $N lines of $WIDTH bytes"
"$BIN/gen_lines" --file "$INPUT" --count "$N" --width "$WIDTH"

declare -A RATE SECS CPU SCRAPES
run_source() { # RUN MODE (quiet|scraped)
    local run=$1 mode=$2 dir topic t0 done_us cpu0 n
    dir=$WORK/a-$mode-$run
    topic=metrics-$mode-$run
    say "=== (a) run $run, $mode: $N lines into $topic ==="
    create_topics "$topic"
    start_ferry "$dir"
    start_watcher "$topic" "$N" "$dir/watch.txt"
    if [[ $mode == scraped ]]; then
        (
            i=0
            while :; do
                curl -s -m 5 -o /dev/null "$REST/metrics" && i=$((i + 1)) && echo "$i" >"$dir/scrapes"
                sleep "$SCRAPE_S"
            done
        ) &
        SCRAPER_PID=$!
    fi
    cpu0=$(cpu_seconds "$PROG_PID")
    now
    t0=$NOW_US
    post_source "src-$mode-$run" "$INPUT" "$topic"
    wait "$WATCH_PID" || die "watch_topic failed on $topic: $(cat "$dir/watch.txt.err")"
    WATCH_PID=""
    done_us=$(watcher_field "$dir/watch.txt" "done" 2)
    [[ -n $done_us ]] || die "$topic did not reach $N records"
    CPU[$mode,$run]=$(minus "$(cpu_seconds "$PROG_PID")" "$cpu0")
    if [[ -n $SCRAPER_PID ]]; then
        kill "$SCRAPER_PID" 2>/dev/null || true
        wait "$SCRAPER_PID" 2>/dev/null || true
        SCRAPER_PID=""
    fi
    n=$(cat "$dir/scrapes" 2>/dev/null || echo 0)
    SCRAPES[$mode,$run]=$n
    SECS[$mode,$run]=$(secs $((done_us - t0)))
    RATE[$mode,$run]=$(per_sec "$N" $((done_us - t0)))
    say "$mode run $run: ${SECS[$mode,$run]} s, ${RATE[$mode,$run]} records/s, worker CPU ${CPU[$mode,$run]} s, scrapes $n"
    stop_pid "$PROG_PID" 30
    PROG_PID=""
}

for ((run = 1; run <= RUNS; run++)); do
    if ((run % 2)); then order="quiet scraped"; else order="scraped quiet"; fi
    for mode in $order; do run_source "$run" "$mode"; done
done

# ---------------------------------------------------------------------------------------------
# (b) one worker, many connectors: answer times of /metrics and /connectors?expand=status

# time_calls PATH OUT: CALLS calls of GET PATH, one line each: time_total (s) and size (bytes)
time_calls() {
    local i
    : >"$2"
    for ((i = 0; i < CALLS; i++)); do
        curl -s -m 30 -o /dev/null -w '%{time_total} %{size_download} %{http_code}\n' "$REST$1" >>"$2"
    done
    awk '$3 != 200 { bad++ } END { exit bad > 0 }' "$2" || die "GET $1 did not always answer 200 ($2)"
}
# ms_stats OUT: "median p95 max" in ms (p95: nearest rank)
ms_stats() {
    sort -g -k1,1 "$1" | awk '{ v[NR] = $1 * 1000 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        r = int(0.95 * NR); if (r < 0.95 * NR) r++
        printf "%.2f %.2f %.2f", m, v[r], v[NR] }'
}
size_of() { awk '{ print $2; exit }' "$1"; }

B=$WORK/b
say "=== (b) one worker, $CONNECTORS FileStreamSource connectors of $LINES_EACH lines each ==="
mkdir -p "$B/files"
create_topics metrics-many
for ((i = 1; i <= CONNECTORS; i++)); do
    "$BIN/gen_lines" --file "$B/files/in-$i.txt" --count "$LINES_EACH" --width "$WIDTH" >/dev/null
done
start_ferry "$B"
IDLE_RSS_KB=$(rss_kb "$PROG_PID")
time_calls /metrics "$B/idle-metrics.txt"
time_calls '/connectors?expand=status' "$B/idle-status.txt"

start_watcher metrics-many $((CONNECTORS * LINES_EACH)) "$B/watch.txt"
now
t0=$NOW_US
for ((i = 1; i <= CONNECTORS; i++)); do post_source "many-$i" "$B/files/in-$i.txt" metrics-many; done
now
POSTED_S=$(secs $((NOW_US - t0)))
say "$CONNECTORS connectors created in $POSTED_S s; waiting until all RUNNING"
while :; do
    running=$(curl -s -m 30 "$REST/connectors?expand=status" |
        jq '[.[] | select(.status.connector.state == "RUNNING" and (.status.tasks | length) > 0 and all(.status.tasks[]; .state == "RUNNING"))] | length' || echo 0)
    ((running >= CONNECTORS)) && break
    now
    ((NOW_US - t0 < TIMEOUT_S * 1000000)) || die "only $running of $CONNECTORS connectors RUNNING after $TIMEOUT_S s"
    nap 0.5
done
now
RUNNING_S=$(secs $((NOW_US - t0)))
say "all $CONNECTORS RUNNING $RUNNING_S s after the first POST"
# the records of every file in the topic first, so the workers are idle (at EOF) while timed
wait "$WATCH_PID" || die "metrics-many did not reach $((CONNECTORS * LINES_EACH)) records: $(cat "$B/watch.txt.err")"
WATCH_PID=""
nap 2
MANY_RSS_KB=$(rss_kb "$PROG_PID")
MANY_THREADS=$(awk '/^Threads:/ { print $2 }' "/proc/$PROG_PID/status")
cpu0=$(cpu_seconds "$PROG_PID")
time_calls /metrics "$B/many-metrics.txt"
cpu_metrics=$(minus "$(cpu_seconds "$PROG_PID")" "$cpu0")
cpu0=$(cpu_seconds "$PROG_PID")
time_calls '/connectors?expand=status' "$B/many-status.txt"
cpu_status=$(minus "$(cpu_seconds "$PROG_PID")" "$cpu0")
cpu0=$(cpu_seconds "$PROG_PID")
time_calls '/connectors?expand=status&expand=info&progress=true' "$B/many-console-list.txt"
cpu_console=$(minus "$(cpu_seconds "$PROG_PID")" "$cpu0")
time_calls /ui/ "$B/many-ui.txt"
time_calls /ui/app.js "$B/many-ui-js.txt"
say "the console in headless Chromium with $CONNECTORS connectors ($UI_RUNS page loads)"
ensure_browser || die "ensure_browser failed"
FERRY_URL=$REST EXPECT=$CONNECTORS RUNS=$UI_RUNS node "$ROOT/bench/console-render.mjs" >"$B/console.json" ||
    die "bench/console-render.mjs failed"
curl -s "$REST/metrics" >"$B/metrics.txt"
METRIC_LINES=$(grep -vc '^#' "$B/metrics.txt" || true)
AFTER_RSS_KB=$(rss_kb "$PROG_PID")
stop_pid "$PROG_PID" 30
PROG_PID=""

# ---------------------------------------------------------------------------------------------
# report

rates() { local m=$1 r out=(); for ((r = 1; r <= RUNS; r++)); do out+=("${RATE[$m,$r]}"); done; echo "${out[@]}"; }
# shellcheck disable=SC2046
MED_QUIET=$(num_median $(rates quiet))
# shellcheck disable=SC2046
MED_SCRAPED=$(num_median $(rates scraped))
row() { # LABEL OUT CPU
    local s
    read -r med p95 max <<<"$(ms_stats "$2")"
    s=$(size_of "$2")
    echo "| $1 | $med | $p95 | $max | $s | ${3:-} |"
}
{
    echo "# The cost of ferry's Prometheus metrics — $(date -u +%F)"
    echo
    echo "Command: \`$COMMAND\` (ferry $(ferry_revision), Apache Kafka $KAFKA_VERSION KRaft single node on the same machine)."
    echo "Machine: $(machine_line); load average at the start $LOAD_START, at the end $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo "## (a) FileStreamSource, $N lines of $WIDTH bytes, with and without a scraper"
    echo
    echo "\`ferry standalone\`, one FileStreamSource (\`tasks.max=1\`, \`batch.size=$BATCH_SIZE\`) into a fresh one-partition topic; timed from \`POST /connectors\` until the topic's end offset is $N (\`watch_topic\`, every 10 ms). \"scraped\": \`curl -s \$REST/metrics\` every $SCRAPE_S s in a loop from before the POST until done. Runs alternate (odd: quiet first, even: scraped first)."
    echo
    echo "| run | mode | seconds | records/s | worker CPU s | scrapes |"
    echo "|---|---|---|---|---|---|"
    for ((r = 1; r <= RUNS; r++)); do
        if ((r % 2)); then order="quiet scraped"; else order="scraped quiet"; fi
        for m in $order; do
            echo "| $r | $m | ${SECS[$m,$r]} | ${RATE[$m,$r]} | ${CPU[$m,$r]} | ${SCRAPES[$m,$r]} |"
        done
    done
    echo
    echo "| | median records/s |"
    echo "|---|---|"
    echo "| quiet | $MED_QUIET |"
    echo "| scraped every $SCRAPE_S s | $MED_SCRAPED |"
    echo "| scraped / quiet | $(divide "$MED_SCRAPED" "$MED_QUIET" %.3f) |"
    echo
    echo "## (b) one worker with $CONNECTORS connectors: answer times"
    echo
    echo "One \`ferry standalone\`, $CONNECTORS FileStreamSource connectors (\`tasks.max=1\`) created one after the other over REST, each on a file of its own of $LINES_EACH lines, all into one topic; created in $POSTED_S s, all RUNNING (\`/connectors?expand=status\`) $RUNNING_S s after the first POST; timed once every record was in the topic (tasks idle at EOF). $CALLS calls of each path in a row with \`curl -w '%{time_total}'\` (a new connection per call), ms."
    echo
    echo "| path | median ms | p95 ms | max ms | answer bytes | worker CPU s over the $CALLS calls |"
    echo "|---|---|---|---|---|---|"
    row "idle worker (0 connectors): \`/metrics\`" "$B/idle-metrics.txt"
    row "idle worker: \`/connectors?expand=status\`" "$B/idle-status.txt"
    row "$CONNECTORS connectors: \`/metrics\`" "$B/many-metrics.txt" "$cpu_metrics"
    row "$CONNECTORS connectors: \`/connectors?expand=status\`" "$B/many-status.txt" "$cpu_status"
    row "$CONNECTORS connectors: \`/connectors?expand=status&expand=info&progress=true\` (the console's list)" "$B/many-console-list.txt" "$cpu_console"
    row "$CONNECTORS connectors: \`/ui/\` (the console's page)" "$B/many-ui.txt"
    row "$CONNECTORS connectors: \`/ui/app.js\`" "$B/many-ui-js.txt"
    echo
    echo "The console in Debian's headless Chromium (\`bench/console-render.mjs\`, $UI_RUNS fresh page loads, median ms; each run's figures after): *list* is from navigating to \`/ui/\` until all $CONNECTORS connectors are listed with their state (\`/connectors?expand=status&expand=info&progress=true\` fetched and drawn); *filter* from typing one connector's name until only the matching rows remain; *open* from clicking it until its page shows its task's state; *refresh* one periodic redraw of the list (the call again), timed by the page's own clock."
    echo
    echo "| list | filter | open | refresh |"
    echo "|---|---|---|---|"
    jq -r '"| \(.median_ms.list) | \(.median_ms.filter) | \(.median_ms.open) | \(.median_ms.refresh) |"' "$B/console.json"
    echo
    echo "Each run: $(jq -c .all_ms "$B/console.json")"
    echo
    echo "\`/metrics\` with $CONNECTORS connectors: $(size_of "$B/many-metrics.txt") bytes, $METRIC_LINES sample lines."
    echo
    echo "| worker RSS | MB |"
    echo "|---|---|"
    echo "| idle (0 connectors) | $(mb "$IDLE_RSS_KB") |"
    echo "| $CONNECTORS connectors, before the calls | $(mb "$MANY_RSS_KB") (threads: $MANY_THREADS) |"
    echo "| $CONNECTORS connectors, after the $((2 * CALLS)) calls | $(mb "$AFTER_RSS_KB") |"
} >"$REPORT"
say "report: ${REPORT#"$ROOT"/}"
cat "$REPORT"
