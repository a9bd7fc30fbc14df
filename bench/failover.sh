#!/usr/bin/env bash
# Distributed failover benchmark: three distributed workers on one Apache Kafka node run
# CONNECTORS FileStreamSource connectors; the worker running the most tasks is killed with
# SIGKILL and the time until every connector and task is RUNNING on the survivors is measured,
# split into the coordinator noticing the death and the workers' own reaction. The workers are
# `ferry distributed`, Apache Kafka Connect 4.4.0's, or both in turn (KINDS), with the same
# settings. See bench/README.md.
#
#   bench/failover.sh
#   env: KINDS="ferry java" (ferry; KIND is read too), RUNS=repetitions per scenario (3),
#        B_RUNS=repetitions of scenario B (RUNS), CONNECTORS (6), SCENARIOS ("A B"),
#        VICTIM=busiest (the worker with the most tasks) or follower (the busiest that is not the
#          group's leader: a leader's death makes another worker lead, which changes what happens),
#        B_DELAY_MS=scheduled.rebalance.max.delay.ms for scenario B (unset: the key is left out,
#          so Kafka Connect's default of 300000 applies and each B run takes over 5 minutes),
#        SESSION_MS (6000, the broker's default minimum; a lower value lowers the broker's
#          group.min.session.timeout.ms to match), HEARTBEAT_MS (1000),
#        STABLE_S=seconds the assignment must stay unchanged before the kill (3),
#        TIMEOUT_S=wait for recovery (default: the scenario's delay + 180 s)
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

KINDS=${KINDS:-${KIND:-ferry}}
VICTIM=${VICTIM:-busiest}
RUNS=${RUNS:-3}
B_RUNS=${B_RUNS:-$RUNS}
CONNECTORS=${CONNECTORS:-6}
SCENARIOS=${SCENARIOS:-A B}
B_DELAY_MS=${B_DELAY_MS:-}
SESSION_MS=${SESSION_MS:-6000}
HEARTBEAT_MS=${HEARTBEAT_MS:-1000}
STABLE_S=${STABLE_S:-3}
WORKERS=3
WORK=${BENCH_WORK_ROOT:-$ROOT/bench/work}/failover
RESULTS=$ROOT/bench/results

# shellcheck source-path=SCRIPTDIR source=cluster-lib.sh
source "$ROOT/bench/cluster-lib.sh"

# shellcheck disable=SC2086  # KINDS is a list
check_kinds $KINDS
((RUNS > 0 && B_RUNS > 0 && CONNECTORS > 0)) || die "RUNS, B_RUNS and CONNECTORS must be at least 1"
[[ $VICTIM == busiest || $VICTIM == follower ]] || die "VICTIM is busiest or follower, not '$VICTIM'"
for s in $SCENARIOS; do
    [[ $s == A || $s == B ]] || die "unknown scenario '$s' (A or B)"
done
[[ -z $B_DELAY_MS || $B_DELAY_MS =~ ^[0-9]+$ ]] || die "B_DELAY_MS must be a number of milliseconds"

rm -rf "$WORK"
mkdir -p "$WORK" "$RESULTS"
# A session shorter than the broker's default minimum is refused unless the broker allows it.
if ((SESSION_MS < 6000)); then
    export KAFKA_EXTRA_PROPS="group.min.session.timeout.ms=$SESSION_MS"
fi
# shellcheck disable=SC2086
build_and_start_kafka "$WORK/kafka" $KINDS

# runs_of SCENARIO: how many runs it gets
runs_of() { if [[ $1 == B ]]; then echo "$B_RUNS"; else echo "$RUNS"; fi; }

# Every topic of every run, in one admin request.
topics=()
for kind in $KINDS; do
    for s in $SCENARIOS; do
        for ((run = 1; run <= $(runs_of "$s"); run++)); do
            for ((k = 1; k <= CONNECTORS; k++)); do topics+=("fo-$kind-$s-$run-$k"); done
        done
    done
done
say "creating ${#topics[@]} topics for the connectors"
create_topics "${topics[@]}"
"$BIN/gen_lines" --file "$WORK/input-template.txt" --count 100 --width 100

# delay_setting SCENARIO: the scheduled.rebalance.max.delay.ms line for the workers (none for B
# unless B_DELAY_MS is set), and DELAY_MS, the delay in force.
delay_setting() {
    case $1 in
        A) DELAY_MS=0; DELAY_LINE="scheduled.rebalance.max.delay.ms=0" ;;
        B)
            if [[ -n $B_DELAY_MS ]]; then
                DELAY_MS=$B_DELAY_MS; DELAY_LINE="scheduled.rebalance.max.delay.ms=$B_DELAY_MS"
            else
                DELAY_MS=300000; DELAY_LINE=""
            fi
            ;;
    esac
}

# Waits until STATUS_JSON from worker 1 shows every connector and task RUNNING, spread over all
# the workers, and the same assignment for STABLE_S seconds; the assignment in ASSIGNMENT.
wait_spread() {
    local deadline prev="" since=0 sig
    now
    deadline=$((NOW_US + 180000000))
    while :; do
        now
        ((NOW_US < deadline)) || die "the connectors were not all RUNNING and spread over $WORKERS workers within 180 s; last assignment: ${prev:-none}"
        if get_statuses 0 && all_running_on "$CONNECTORS"; then
            sig=$(assignment_of | tr '\n' ';')
            if (($(assignment_of | wc -l) == WORKERS)); then
                if [[ $sig != "$prev" ]]; then
                    prev=$sig since=$NOW_US
                elif ((NOW_US - since >= STABLE_S * 1000000)); then
                    ASSIGNMENT=$sig
                    return 0
                fi
            else
                prev=$sig since=$NOW_US
            fi
        fi
        nap 0.2
    done
}

# "c/t c/t ..." per worker index from an ASSIGNMENT-like "id c t;id c t;" string
spread_of() {
    local entry id c t i out=()
    for ((i = 0; i < WORKERS; i++)); do out[i]="-"; done
    IFS=';' read -ra entries <<<"$1"
    for entry in "${entries[@]}"; do
        [[ -n $entry ]] || continue
        read -r id c t <<<"$entry"
        i=$(worker_index "$id")
        ((i >= 0)) && out[i]="$c/$t"
    done
    echo "${out[*]}"
}

# the latest figure of a metric of the current kind and scenario ($kind, $s)
last() { local -a got; read -ra got <<<"${FIG[$kind,$s,$1]}"; echo "${got[-1]}"; }

# The figures of every run, by "KIND,SCENARIO,metric", as space-separated seconds.
METRICS=(rest total session after_failed rejoin assign start rest_lag after_reassign notice get)
declare -a ROWS
declare -A FIG
for kind in $KINDS; do for s in $SCENARIOS; do for m in "${METRICS[@]}"; do FIG[$kind,$s,$m]=""; done; done; done

for kind in $KINDS; do
KIND=$kind
for s in $SCENARIOS; do
    delay_setting "$s"
    wait_s=${TIMEOUT_S:-$((DELAY_MS / 1000 + 180))}
    s_runs=$(runs_of "$s")
    for ((run = 1; run <= s_runs; run++)); do
        group=bench-fo-$kind-$s-$run
        dir=$WORK/$kind-$s-$run
        mkdir -p "$dir"
        if [[ -n $DELAY_LINE ]]; then how="set"; else how="not set: Kafka Connect's default"; fi
        say "$(kind_name "$kind"), scenario $s (scheduled.rebalance.max.delay.ms=$DELAY_MS, $how), run $run of $s_runs: starting $WORKERS workers (group $group)"
        settings=("session.timeout.ms=$SESSION_MS" "heartbeat.interval.ms=$HEARTBEAT_MS")
        [[ -n $DELAY_LINE ]] && settings+=("$DELAY_LINE")
        start_workers "$dir" "$group" "$WORKERS" "${settings[@]}"

        say "creating $CONNECTORS FileStreamSource connectors"
        for ((k = 1; k <= CONNECTORS; k++)); do
            cp "$WORK/input-template.txt" "$dir/input-$k.txt"
            post_connector $(((k - 1) % WORKERS)) "$(jq -cn --arg name "fo-$k" --arg file "$dir/input-$k.txt" --arg topic "fo-$kind-$s-$run-$k" \
                '{name: $name, config: {"connector.class": "FileStreamSource", "tasks.max": "1", file: $file, topic: $topic}}')"
        done
        say "waiting until all are RUNNING, spread over the $WORKERS workers, and stable for $STABLE_S s"
        wait_spread
        before=$(spread_of "$ASSIGNMENT")

        # the victim: most tasks, then most connectors (then the order of the sort); with
        # VICTIM=follower the first such worker that is not the group's leader
        victim=""
        while read -r _ _ id; do
            i=$(worker_index "$id")
            ((i >= 0)) || die "cannot tell which worker is $id"
            if [[ $VICTIM == follower ]] && is_leader "$i"; then continue; fi
            victim=$id
            break
        done < <(tr ';' '\n' <<<"$ASSIGNMENT" | awk 'NF == 3 { print $3, $2 + $3, $1 }' | sort -k1,1nr -k2,2nr)
        [[ -n $victim ]] || die "no worker to kill (VICTIM=$VICTIM; assignment: $ASSIGNMENT)"
        v=$(worker_index "$victim")
        leader=no
        if is_leader "$v"; then leader=yes; fi
        survivor=-1 survivor_logs=()
        for ((i = 0; i < WORKERS; i++)); do
            ((i == v)) && continue
            ((survivor < 0)) && survivor=$i
            survivor_logs+=("${W_LOG[i]}")
        done
        say "killing worker $((v + 1)) ($victim; connectors/tasks per worker: $before; group leader: $leader) with SIGKILL"
        now
        t_kill=$NOW_US
        kill -KILL "${W_PID[v]}"

        t_rest="" get_times=()
        while :; do
            now
            if get_statuses "$survivor" && all_running_on "$CONNECTORS" "$victim"; then
                # when a REST client knows: as the answer arrived
                now
                t_rest=$NOW_US
                get_times+=("$STATUS_SECONDS")
                break
            fi
            [[ -n $STATUS_SECONDS ]] && get_times+=("$STATUS_SECONDS")
            if ((NOW_US - t_kill > wait_s * 1000000)); then
                for ((i = 0; i < WORKERS; i++)); do
                    ((i == v)) && continue
                    say "the end of worker $((i + 1))'s log (${W_LOG[i]}):"
                    tail -n 25 "${W_LOG[i]}" >&2
                done
                die "$kind scenario $s run $run: not every connector and task was RUNNING on the survivors within $wait_s s of the kill (statuses: $(jq -c '[.[] | .status | [.name, .connector.state, .connector.worker_id, (.tasks | map([.state, .worker_id]))]]' <<<"$STATUS_JSON" 2>/dev/null))"
            fi
            for ((i = 0; i < WORKERS; i++)); do
                ((i == v)) && continue
                kill -0 "${W_PID[i]}" 2>/dev/null || { tail -n 30 "${W_LOG[i]}" >&2; die "worker $((i + 1)) exited after the kill (log: ${W_LOG[i]})"; }
            done
            # A long scheduled delay (scenario B) is not polled at 50 ms throughout: once the
            # session has long expired and until 3 s before the delay runs out, once a second.
            elapsed_ms=$(((NOW_US - t_kill) / 1000))
            if ((DELAY_MS > 10000 && elapsed_ms > SESSION_MS + 5000 && elapsed_ms < DELAY_MS - 3000)); then
                nap 1
            else
                nap 0.05
            fi
        done
        after=$(spread_of "$(assignment_of | tr '\n' ';')")
        wait "${W_PID[v]}" 2>/dev/null || true
        say "GET /connectors?expand=status on worker $((survivor + 1)) showed all RUNNING on the survivors $(span "$t_kill" "$t_rest") s after the kill (now: $after)"

        names=()
        for ((k = 1; k <= CONNECTORS; k++)); do names+=("fo-$k"); done
        t_all=$(status_topic_all_running "$group" "$t_kill" "$victim" "${names[@]}")
        [[ -n $t_all ]] || die "the status topic $group-status never shows every connector and task RUNNING on the survivors"
        events=$(log_events "$t_kill" "$t_rest" "${survivor_logs[@]}") || die "cannot read the survivors' logs"
        eval "$events"
        events=$(coordinator_events "$t_kill" "$t_rest" "$group") || die "cannot read the broker's log"
        eval "$events"
        stop_workers
        get_median=$(num_median "${get_times[@]}")

        # kill -> the coordinator noticed -> the survivors all rejoined -> ... -> all RUNNING
        FIG[$kind,$s,rest]+=" $(span "$t_kill" "$t_rest")"
        FIG[$kind,$s,total]+=" $(span "$t_kill" "$t_all")"
        FIG[$kind,$s,rest_lag]+=" $(span "$t_all" "$t_rest")"
        FIG[$kind,$s,get]+=" $get_median"
        FIG[$kind,$s,session]+=" $(span "$t_kill" "$FAILED_US")"
        FIG[$kind,$s,after_failed]+=" $(span "$FAILED_US" "$t_all")"
        FIG[$kind,$s,notice]+=" $(span "$FAILED_US" "$FIRST_REBALANCE_US")"
        FIG[$kind,$s,rejoin]+=" $(span "$FAILED_US" "$FIRST_STABLE_US")"
        FIG[$kind,$s,assign]+=" $(span "$LAST_STABLE_US" "$LAST_ASSIGN_US")"
        FIG[$kind,$s,start]+=" $(span "$LAST_ASSIGN_US" "$t_all")"
        FIG[$kind,$s,after_reassign]+=" $(span "$LAST_REBALANCE_US" "$t_all")"
        ROWS+=("| $(kind_name "$kind") | $s | $run | $((v + 1)) ($leader) | $before | **$(last rest)** | $(last total) | $(last session) | $(last notice) | $(last rejoin) | $(span "$t_kill" "$LAST_REBALANCE_US") | $(last assign) | $(last start) | $(last after_failed) | $(last after_reassign) | $(last rest_lag) | $get_median | $GENERATIONS | ${JOINS// /, } | $after |")
        say "$(kind_name "$kind"): kill -> the coordinator noticed $(last session) s -> all RUNNING in the status topic $(last total) s ($(last after_failed) s after the coordinator noticed) -> seen over REST $(last rest) s"
    done
done
done

# ---------------------------------------------------------------------------------------------
# report

DAY=$(date +%F)
REPORT=${BENCH_REPORT:-$RESULTS/failover-$DAY.md}
COMMAND="bench/failover.sh"
[[ $RUNS == 3 ]] || COMMAND="RUNS=$RUNS $COMMAND"
[[ $B_RUNS == "$RUNS" ]] || COMMAND="B_RUNS=$B_RUNS $COMMAND"
[[ $KINDS == ferry ]] || COMMAND="KINDS='$KINDS' $COMMAND"
[[ $VICTIM == busiest ]] || COMMAND="VICTIM=$VICTIM $COMMAND"
[[ $SCENARIOS == "A B" ]] || COMMAND="SCENARIOS='$SCENARIOS' $COMMAND"
[[ $CONNECTORS == 6 ]] || COMMAND="CONNECTORS=$CONNECTORS $COMMAND"
[[ -z $B_DELAY_MS ]] || COMMAND="B_DELAY_MS=$B_DELAY_MS $COMMAND"
[[ $SESSION_MS == 6000 && $HEARTBEAT_MS == 1000 ]] || COMMAND="SESSION_MS=$SESSION_MS HEARTBEAT_MS=$HEARTBEAT_MS $COMMAND"

scenario_text() {
    delay_setting "$1"
    if [[ $1 == A ]]; then
        echo "A: \`scheduled.rebalance.max.delay.ms=0\`"
    elif [[ -n $DELAY_LINE ]]; then
        echo "B: \`scheduled.rebalance.max.delay.ms=$DELAY_MS\` (overridden with B_DELAY_MS; Kafka Connect's default is 300000)"
    else
        echo "B: \`scheduled.rebalance.max.delay.ms\` not set — Kafka Connect's default, 300000"
    fi
}

kinds_text=""
for kind in $KINDS; do kinds_text+="${kinds_text:+, then }$(kind_name "$kind")"; done
runs_text="$RUNS run(s) per scenario"
[[ $B_RUNS == "$RUNS" || " $SCENARIOS " != *" B "* ]] || runs_text="$RUNS run(s) of A, $B_RUNS of B"

{
    echo "# Distributed failover — $DAY"
    echo
    echo "$WORKERS distributed workers ($kinds_text, with the same settings), $CONNECTORS FileStreamSource connectors"
    echo "(tasks.max=1), one Apache Kafka $KAFKA_VERSION node; the worker running the most tasks$([[ $VICTIM == follower ]] && echo ", not the group's leader,") is killed with SIGKILL."
    echo "$runs_text, medians. \`session.timeout.ms=$SESSION_MS\`, \`heartbeat.interval.ms=$HEARTBEAT_MS\`."
    ((SESSION_MS < 6000)) && echo "The broker's \`group.min.session.timeout.ms\` is lowered to $SESSION_MS (its default, 6000, refuses a shorter session)."
    echo "Issue targets: failover with delay 0 under 2 s; failover faster than Kafka Connect's with the same settings."
    echo
    echo "| workers | scenario | (a) kill → all RUNNING per REST | kill → all RUNNING in the status topic | session timeout: kill → coordinator noticed | (b) coordinator noticed → all RUNNING | of which: all survivors rejoined | leader's assignment | assignment → all RUNNING | reassigning rebalance → all RUNNING | REST behind the status topic | one GET /connectors?expand=status took |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for kind in $KINDS; do
        for s in $SCENARIOS; do
            line="| $(kind_name "$kind") | $(scenario_text "$s")"
            for m in rest total session after_failed rejoin assign start after_reassign rest_lag get; do
                read -ra vals <<<"${FIG[$kind,$s,$m]}"
                line+=" | $(num_median "${vals[@]}")"
            done
            echo "$line |"
        done
    done
    echo
    echo "Seconds, medians. \"All RUNNING\" without \"per REST\" is the moment the last RUNNING status of a"
    echo "survivor was written to the status topic (the record's create time), which does not depend on how"
    echo "fast the REST API answers. With delay 0 (A) the coordinator noticing the death is the session"
    echo "timeout, which the workers do not control; (b) \"coordinator noticed → all RUNNING\" is the part the"
    echo "workers take (with what the broker adds to a rebalance round)."
    if [[ " $SCENARIOS " == *" A "* && " $KINDS " == *" ferry "* ]]; then
        read -ra vals <<<"${FIG[ferry,A,rest]}"; a_total=$(num_median "${vals[@]}")
        read -ra vals <<<"${FIG[ferry,A,after_failed]}"; a_part=$(num_median "${vals[@]}")
        echo
        echo "Target \"failover with delay 0 under 2 s\" (ferry, scenario A): end to end, per REST, $a_total s — $(awk -v t="$a_total" 'BEGIN { print (t != "n/a" && t < 2) ? "met" : "not met" }');"
        echo "after the coordinator noticed the death: $a_part s — $(awk -v t="$a_part" 'BEGIN { print (t != "n/a" && t < 2) ? "under 2 s" : "not under 2 s" }')."
    fi
    if [[ " $KINDS " == *" ferry "* && " $KINDS " == *" java "* ]]; then
        echo
        for s in $SCENARIOS; do
            read -ra vals <<<"${FIG[ferry,$s,total]}"; f_total=$(num_median "${vals[@]}")
            read -ra vals <<<"${FIG[java,$s,total]}"; j_total=$(num_median "${vals[@]}")
            read -ra vals <<<"${FIG[ferry,$s,after_failed]}"; f_part=$(num_median "${vals[@]}")
            read -ra vals <<<"${FIG[java,$s,after_failed]}"; j_part=$(num_median "${vals[@]}")
            echo "Target \"faster than Kafka Connect\", scenario $s: kill → all RUNNING ferry $f_total s, Kafka Connect $j_total s —"
            echo "$(awk -v f="$f_total" -v j="$j_total" 'BEGIN { print (f != "n/a" && j != "n/a" && f + 0 < j + 0) ? "met" : "not met" }'); coordinator noticed → all RUNNING ferry $f_part s, Kafka Connect $j_part s."
        done
    fi
    echo
    echo "## How it is measured"
    echo
    echo "- Per run: a new group (\`bench-fo-SCENARIO-RUN\`, its own three internal topics with replication"
    echo "  factor 1, created by the workers), $WORKERS workers with StringConverter, \`offset.flush.interval.ms=1000\`,"
    echo "  the session/heartbeat settings above and the scenario's \`scheduled.rebalance.max.delay.ms\`; other"
    echo "  settings at their defaults (e.g. \`rebalance.timeout.ms\` 60000). $CONNECTORS connectors are created over"
    echo "  REST, each reading its own 100-line file into its own one-partition topic."
    echo "- Before the kill: \`GET /connectors?expand=status\` on worker 1 shows every connector and task RUNNING,"
    echo "  all $WORKERS workers running some, and the same assignment for $STABLE_S s."
    echo "- The worker with the most tasks (then the most connectors)$([[ $VICTIM == follower ]] && echo " that is not the group's leader") gets SIGKILL. From just before the kill,"
    echo "  \`GET /connectors?expand=status\` on a survivor every 50 ms (curl + jq) until every connector and task"
    echo "  is RUNNING with a \`worker_id\` other than the dead worker's; (a) is from the kill until that answer"
    echo "  arrived. (With a scheduled delay over 10 s, polled once a second from 5 s after the session timeout"
    echo "  until 3 s before the delay ends.) Each GET's duration (curl's time_total) is recorded: it bounds how"
    echo "  precisely REST can show the moment."
    echo "- Then the group's status topic is read from the beginning with \`dump_topic\` (bench program, an"
    echo "  rdkafka consumer): the first moment at which the latest status of every connector and task is RUNNING"
    echo "  on a survivor, by the records' create time (milliseconds) — **all RUNNING**."
    echo "- The split comes from wall-clock log timestamps (the broker's \`server.log\` has milliseconds):"
    echo "  - coordinator noticed: the broker's group coordinator logs \"Member … in group … has failed\";"
    echo "  - all survivors rejoined: from then until the coordinator's first \"Stabilized group … generation …\""
    echo "    (each survivor must learn of the rebalance from a heartbeat answer, then rejoin);"
    echo "  - leader's assignment: from the last \"Stabilized group\" until the coordinator's \"Assignment received"
    echo "    from leader\" — the leader computing and sending the assignment;"
    echo "  - assignment → all RUNNING: the survivors receive it, start the connectors and tasks and write their"
    echo "    RUNNING status to the status topic;"
    echo "  - REST behind the status topic: from then until the REST answer showing it arrived;"
    echo "  - reassigning rebalance: the survivors' last rebalance line (\"the worker group is rebalancing\", or in B"
    echo "    \"the delay for the work of departed workers is over\") before their last \"joined the worker group\"."
    echo
    echo "## Runs"
    echo
    echo "Columns (seconds): killed worker (was it the group leader); connectors/tasks per worker 1 2 3 before;"
    echo "(a) kill → all RUNNING per REST; kill → all RUNNING in the status topic; kill → coordinator noticed;"
    echo "coordinator noticed → first survivor line saying the group is rebalancing; coordinator noticed → all"
    echo "survivors rejoined; kill → reassigning rebalance; leader's assignment; assignment → all RUNNING;"
    echo "(b) coordinator noticed → all RUNNING; reassigning rebalance → all RUNNING; REST behind the status"
    echo "topic; median duration of one GET /connectors?expand=status after the kill; generations the"
    echo "coordinator stabilized between the kill and the REST answer; the survivors' \"joined the worker"
    echo "group\" lines in that time; connectors/tasks per worker after."
    echo
    echo "| workers | scen. | run | killed (leader) | before | (a) kill → REST all RUNNING | kill → all RUNNING | kill → noticed | noticed → 1st survivor rebal. line | noticed → rejoined | kill → reassign rebal. | leader assigns | assignment → RUNNING | (b) noticed → all RUNNING | reassign rebal. → all RUNNING | REST behind | GET took | gener. | joins | after |"
    echo "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "## Setup"
    echo
    echo "- machine: $(machine_line)"
    echo "- broker: Apache Kafka $KAFKA_VERSION (KRaft, single node, same machine; 512 MB heap; \`group.initial.rebalance.delay.ms=0\`)"
    echo "- ferry: $(ferry_revision), release build"
    [[ " $KINDS " != *" java "* ]] || echo "- Kafka Connect: $KAFKA_VERSION (ConnectDistributed through scripts/kafka/connect.sh: Java $(java_version), -Xms256m -Xmx${CONNECT_HEAP:-1g}, G1), FileStream connectors from connect-file $CONNECT_FILE_VERSION"
    echo "- command: \`$COMMAND\`"
    for s in $SCENARIOS; do echo "- scenario $(scenario_text "$s")"; done
} >"$REPORT"

# figures for bench/side-by-side.sh: KIND.SCENARIO.METRIC=median
if [[ -n ${BENCH_SUMMARY:-} ]]; then
    for kind in $KINDS; do
        for s in $SCENARIOS; do
            for m in "${METRICS[@]}"; do
                read -ra vals <<<"${FIG[$kind,$s,$m]}"
                echo "failover.$kind.$s.$m=$(num_median "${vals[@]}")"
            done
            delay_setting "$s"
            echo "failover.$kind.$s.runs=$(runs_of "$s")"
            echo "failover.$kind.$s.delay_ms=$DELAY_MS"
        done
    done >>"$BENCH_SUMMARY"
fi

cat "$REPORT"
say "written to ${REPORT#"$ROOT"/}"
