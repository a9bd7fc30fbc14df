#!/usr/bin/env bash
# Distributed settle benchmark: CONNECTORS FileStreamSource connectors (tasks.max=1) created over
# REST, one after the other as fast as the workers answer, on three distributed workers — `ferry
# distributed`, Apache Kafka Connect 4.4.0's, or both in turn (KINDS), with the same settings —
# and one Apache Kafka node; measures the time from the first POST until every connector and task
# is RUNNING, the rebalances each worker went through and each worker's peak RSS.
# See bench/README.md.
#
#   bench/settle.sh
#   env: KINDS="ferry java" (ferry; KIND is read too), RUNS=repetitions per kind (3),
#        CONNECTORS (50), QUIET_S=seconds watched after all RUNNING (5),
#        SESSION_MS (6000), HEARTBEAT_MS (1000), DELAY_MS=scheduled.rebalance.max.delay.ms (0),
#        TIMEOUT_S=wait for all RUNNING (300)
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

KINDS=${KINDS:-${KIND:-ferry}}
RUNS=${RUNS:-3}
CONNECTORS=${CONNECTORS:-50}
QUIET_S=${QUIET_S:-5}
SESSION_MS=${SESSION_MS:-6000}
HEARTBEAT_MS=${HEARTBEAT_MS:-1000}
DELAY_MS=${DELAY_MS:-0}
TIMEOUT_S=${TIMEOUT_S:-300}
WORKERS=3
WORK=${BENCH_WORK_ROOT:-$ROOT/bench/work}/settle
RESULTS=$ROOT/bench/results

# shellcheck source-path=SCRIPTDIR source=cluster-lib.sh
source "$ROOT/bench/cluster-lib.sh"

# shellcheck disable=SC2086  # KINDS is a list
check_kinds $KINDS
((RUNS > 0 && CONNECTORS > 0)) || die "RUNS and CONNECTORS must be at least 1"

rm -rf "$WORK"
mkdir -p "$WORK" "$RESULTS"
# shellcheck disable=SC2086
build_and_start_kafka "$WORK/kafka" $KINDS

topics=()
for kind in $KINDS; do
    for ((run = 1; run <= RUNS; run++)); do
        for ((k = 1; k <= CONNECTORS; k++)); do topics+=("settle-$kind-$run-$k"); done
    done
done
say "creating ${#topics[@]} topics for the connectors"
create_topics "${topics[@]}"
"$BIN/gen_lines" --file "$WORK/input-template.txt" --count 100 --width 100

declare -a ROWS
# per kind, space-separated figures of the runs
declare -A SETTLE SETTLE_STATUS POSTS JOINS_TOTAL RSS_MAX GENS

for kind in $KINDS; do
KIND=$kind
JOIN_TEXT=$(join_text)
for ((run = 1; run <= RUNS; run++)); do
    group=bench-settle-$kind-$run
    dir=$WORK/$kind-$run
    mkdir -p "$dir"
    say "$(kind_name "$kind"), run $run of $RUNS: starting $WORKERS workers (group $group)"
    start_workers "$dir" "$group" "$WORKERS" "session.timeout.ms=$SESSION_MS" "heartbeat.interval.ms=$HEARTBEAT_MS" \
        "scheduled.rebalance.max.delay.ms=$DELAY_MS"
    bodies=()
    for ((k = 1; k <= CONNECTORS; k++)); do
        cp "$WORK/input-template.txt" "$dir/input-$k.txt"
        bodies+=("$(jq -cn --arg name "settle-$k" --arg file "$dir/input-$k.txt" --arg topic "settle-$kind-$run-$k" \
            '{name: $name, config: {"connector.class": "FileStreamSource", "tasks.max": "1", file: $file, topic: $topic}}')")
    done
    baseline=()
    for ((i = 0; i < WORKERS; i++)); do baseline+=("$(count_lines "${W_LOG[i]}" "$JOIN_TEXT")"); done

    say "$kind, run $run of $RUNS: creating $CONNECTORS connectors over REST (round robin over the workers)"
    POST_CONFLICTS=0
    now
    t0=$NOW_US
    for ((k = 0; k < CONNECTORS; k++)); do
        post_connector $((k % WORKERS)) "${bodies[k]}"
        if (((k + 1) % 10 == 0 && k + 1 < CONNECTORS)); then
            now
            say "$kind, run $run of $RUNS: $((k + 1)) created after $(span "$t0" "$NOW_US") s ($POST_CONFLICTS answers 409 so far)"
        fi
    done
    now
    t_posted=$NOW_US
    say "$kind, run $run of $RUNS: all $CONNECTORS created in $(span "$t0" "$t_posted") s ($POST_CONFLICTS answers 409 retried); waiting until all RUNNING"

    t_all="" get_times=()
    while :; do
        now
        if get_statuses 0 && all_running_on "$CONNECTORS"; then
            now
            t_all=$NOW_US
            get_times+=("$STATUS_SECONDS")
            break
        fi
        [[ -n $STATUS_SECONDS ]] && get_times+=("$STATUS_SECONDS")
        if ((NOW_US - t0 > TIMEOUT_S * 1000000)); then
            running=$(jq '[.[] | .status | select(.connector.state == "RUNNING" and (.tasks | length) == 1 and (.tasks | all(.state == "RUNNING")))] | length' <<<"$STATUS_JSON" 2>/dev/null || echo "?")
            for ((i = 0; i < WORKERS; i++)); do
                say "the end of worker $((i + 1))'s log (${W_LOG[i]}):"
                tail -n 20 "${W_LOG[i]}" >&2
            done
            die "$kind run $run: only ${running:-?} of $CONNECTORS connectors had themselves and their task RUNNING $TIMEOUT_S s after the first POST (last GET /connectors?expand=status: HTTP ${STATUS_CODE:-none} after ${STATUS_SECONDS:-?} s)"
        fi
        for ((i = 0; i < WORKERS; i++)); do
            kill -0 "${W_PID[i]}" 2>/dev/null || { tail -n 30 "${W_LOG[i]}" >&2; die "worker $((i + 1)) exited (log: ${W_LOG[i]})"; }
        done
        nap 0.1
    done
    settle=$(span "$t0" "$t_all")
    names=()
    for ((k = 1; k <= CONNECTORS; k++)); do names+=("settle-$k"); done
    t_status=$(status_topic_all_running "$group" "$t0" "" "${names[@]}")
    [[ -n $t_status ]] || die "the status topic $group-status never shows every connector and task RUNNING"
    settle_status=$(span "$t0" "$t_status")
    get_median=$(num_median "${get_times[@]}")
    get_max=$(printf '%s\n' "${get_times[@]}" | sort -g | tail -n 1 | awk '{ printf "%.3f", $1 }')
    joins_at=() joins_end=() rss=()
    for ((i = 0; i < WORKERS; i++)); do joins_at+=("$(($(count_lines "${W_LOG[i]}" "$JOIN_TEXT") - baseline[i]))"); done
    say "$kind, run $run of $RUNS: all RUNNING $settle_status s after the first POST per the status topic, $settle s per REST (rebalances per worker so far: ${joins_at[*]}); watching $QUIET_S s more"
    nap "$QUIET_S"
    get_statuses 0 || die "worker 1 did not answer GET /connectors?expand=status"
    all_running_on "$CONNECTORS" || say "WARNING: run $run: not everything was still RUNNING $QUIET_S s later"
    spread=()
    while read -r id c t; do
        w=$(worker_index "$id")
        ((w >= 0)) || die "a status names worker $id, which is not one of this run's"
        spread[w]="$c/$t"
    done < <(assignment_of)
    for ((i = 0; i < WORKERS; i++)); do
        joins_end+=("$(($(count_lines "${W_LOG[i]}" "$JOIN_TEXT") - baseline[i]))")
        rss+=("$(peak_rss_kb "${W_PID[i]}")")
        [[ -n ${spread[i]:-} ]] || spread[i]="0/0"
    done
    stop_workers
    events=$(coordinator_events "$t0" "$t_all" "$group") || die "cannot read the broker's log"
    eval "$events"

    total_joins=0
    for j in "${joins_end[@]}"; do total_joins=$((total_joins + j)); done
    max_rss=$(printf '%s\n' "${rss[@]}" | sort -n | tail -n 1)
    rss_mb=()
    for r in "${rss[@]}"; do rss_mb+=("$(mb "$r")"); done
    posts=$(span "$t0" "$t_posted")
    SETTLE[$kind]+=" $settle" SETTLE_STATUS[$kind]+=" $settle_status" GENS[$kind]+=" $GENERATIONS"
    POSTS[$kind]+=" $posts" JOINS_TOTAL[$kind]+=" $total_joins" RSS_MAX[$kind]+=" $max_rss"
    ROWS+=("| $(kind_name "$kind") | $run | $posts | $POST_CONFLICTS | **$settle_status** | $settle | $get_median / $get_max | $GENERATIONS | ${joins_at[*]} | ${joins_end[*]} | ${spread[*]} | ${rss_mb[*]} |")
done
done

# ---------------------------------------------------------------------------------------------
# report

DAY=$(date +%F)
REPORT=${BENCH_REPORT:-$RESULTS/settle-$DAY.md}
COMMAND="bench/settle.sh"
[[ $RUNS == 3 ]] || COMMAND="RUNS=$RUNS $COMMAND"
[[ $KINDS == ferry ]] || COMMAND="KINDS='$KINDS' $COMMAND"
[[ $CONNECTORS == 50 ]] || COMMAND="CONNECTORS=$CONNECTORS $COMMAND"
[[ $SESSION_MS == 6000 && $HEARTBEAT_MS == 1000 && $DELAY_MS == 0 ]] ||
    COMMAND="SESSION_MS=$SESSION_MS HEARTBEAT_MS=$HEARTBEAT_MS DELAY_MS=$DELAY_MS $COMMAND"
kinds_text=""
for kind in $KINDS; do kinds_text+="${kinds_text:+, then }$(kind_name "$kind")"; done
# median_of KIND ARRAY-NAME: the median of a kind's figures
median_of() { local -n arr=$2; local -a vals; read -ra vals <<<"${arr[$1]}"; num_median "${vals[@]}"; }
max_of() { local -n arr=$2; local -a vals; read -ra vals <<<"${arr[$1]}"; printf '%s\n' "${vals[@]}" | sort -n | tail -n 1; }

{
    echo "# Distributed settle: $CONNECTORS connectors created at once — $DAY"
    echo
    echo "$WORKERS distributed workers ($kinds_text, with the same settings), one Apache Kafka $KAFKA_VERSION node;"
    echo "$CONNECTORS FileStreamSource connectors (tasks.max=1) created over REST one after the other; $RUNS run(s) per kind, medians."
    echo
    echo "| workers | first POST → all RUNNING s | → all RUNNING per REST s | all POSTs answered s | generations (coordinator) | joins (all workers) | largest worker peak RSS MB |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for kind in $KINDS; do
        echo "| $(kind_name "$kind") | $(median_of "$kind" SETTLE_STATUS) | $(median_of "$kind" SETTLE) | $(median_of "$kind" POSTS) | $(median_of "$kind" GENS) | $(median_of "$kind" JOINS_TOTAL) | $(mb "$(max_of "$kind" RSS_MAX)") |"
    done
    echo
    echo "\"All RUNNING\": the moment the last connector or task status RUNNING was written to the status"
    echo "topic (record create time); \"per REST\": when \`GET /connectors?expand=status\` on worker 1 first"
    echo "answered with all RUNNING."
    echo
    echo "## How it is measured"
    echo
    echo "- Per run: a new group (\`bench-settle-RUN\`, its own internal topics with replication factor 1), $WORKERS"
    echo "  workers with StringConverter, \`offset.flush.interval.ms=1000\`, \`session.timeout.ms=$SESSION_MS\`,"
    echo "  \`heartbeat.interval.ms=$HEARTBEAT_MS\`, \`scheduled.rebalance.max.delay.ms=$DELAY_MS\`; each connector"
    echo "  reads its own 100-line file into its own one-partition topic (created beforehand)."
    echo "- \`POST /connectors\` with curl, one after the other, round robin over the workers (a follower"
    echo "  forwards to the leader); an answer 409 (rebalancing) is retried after 100 ms and counted."
    echo "- After the last POST, \`GET /connectors?expand=status\` on worker 1 every 100 ms until it shows all"
    echo "  $CONNECTORS connectors and their tasks RUNNING; \"per REST\" is from the first POST until that answer"
    echo "  arrived. \"GET statuses s\" is how long those requests took (curl's time_total)."
    echo "- Then the status topic is read from the beginning (\`dump_topic\`): the first moment, by record create"
    echo "  time, at which every connector's and task's latest status is RUNNING — **first POST → all RUNNING**."
    echo "- Generations: \"Stabilized group … generation\" lines of the broker's group coordinator between the"
    echo "  first POST and the REST answer."
    echo "- Rebalances: \"joined the worker group\" lines in each worker's log after the workers were up — at"
    echo "  all RUNNING, and $QUIET_S s later (a join per completed rebalance round)."
    echo "- Peak RSS: \`VmHWM\` of each worker $QUIET_S s after all RUNNING, just before it is stopped."
    echo
    echo "## Runs"
    echo
    echo "| workers | run | all POSTs answered s | 409s retried | first POST → all RUNNING s | per REST s | GET statuses s (median / max) | generations | joins per worker at all RUNNING (REST) | joins per worker $QUIET_S s later | connectors/tasks per worker | peak RSS MB per worker |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "## Setup"
    echo
    echo "- machine: $(machine_line)"
    echo "- broker: Apache Kafka $KAFKA_VERSION (KRaft, single node, same machine; 512 MB heap; \`group.initial.rebalance.delay.ms=0\`)"
    echo "- ferry: $(ferry_revision), release build"
    [[ " $KINDS " != *" java "* ]] || echo "- Kafka Connect: $KAFKA_VERSION (ConnectDistributed through scripts/kafka/connect.sh: Java $(java_version), -Xms256m -Xmx${CONNECT_HEAP:-1g}, G1), FileStream connectors from connect-file $CONNECT_FILE_VERSION"
    echo "- command: \`$COMMAND\`"
} >"$REPORT"

# figures for bench/side-by-side.sh
if [[ -n ${BENCH_SUMMARY:-} ]]; then
    for kind in $KINDS; do
        echo "settle.$kind.status=$(median_of "$kind" SETTLE_STATUS)"
        echo "settle.$kind.rest=$(median_of "$kind" SETTLE)"
        echo "settle.$kind.posts=$(median_of "$kind" POSTS)"
        echo "settle.$kind.generations=$(median_of "$kind" GENS)"
        echo "settle.$kind.rss_mb=$(mb "$(max_of "$kind" RSS_MAX)")"
        echo "settle.$kind.runs=$RUNS"
    done >>"$BENCH_SUMMARY"
fi

cat "$REPORT"
say "written to ${REPORT#"$ROOT"/}"
