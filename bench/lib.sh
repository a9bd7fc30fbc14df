# Shared by the benchmarks that run one standalone worker at a time against an external system
# (bench/mysql-cdc.sh, bench/jdbc-sink.sh, bench/java-plugins.sh): starting and stopping a
# standalone worker of each kind, its connector's state over REST, the topic watcher, the CPU and
# memory of a worker's whole process tree (ferry and the JVM of its Java plugin host, or Kafka
# Connect's JVM) and a few sums. Source it after bench/cluster-lib.sh (say/die, nap/now, mb,
# cpu_seconds, rss_kb, peak_rss_kb, CLK_TCK, BIN, FERRY, KAFKA_BOOTSTRAP); it uses WORK,
# TIMEOUT_S and, for the REST calls, REST (http://127.0.0.1:PORT of the worker running).
# shellcheck shell=bash

# ---------------------------------------------------------------------------------------------
# sums (awk: the figures are decimals)

per_sec() { awk -v n="$1" -v us="$2" 'BEGIN { if (us > 0) printf "%.0f", n / (us / 1e6); else print "n/a" }'; }
secs() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1e6 }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
# divide A B [FORMAT]: A / B, or n/a when either is n/a or B is 0
divide() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (a == "n/a" || b == "n/a" || b == 0 || a == "") print "n/a"; else printf f, a / b }'; }
minus_na() { if [[ $1 == n/a || $2 == n/a ]]; then echo n/a; else minus "$1" "$2"; fi; }
# mb_na KB: megabytes, or n/a
mb_na() { if [[ $1 == n/a || -z $1 ]]; then echo n/a; else mb "$1"; fi; }
# CPU seconds the whole machine was busy (all CPUs; /proc/stat: user nice system irq softirq steal)
machine_busy() { awk -v hz="$CLK_TCK" '$1 == "cpu" { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / hz; exit }' /proc/stat; }
# cpu_or_na PID: cpu_seconds of PID, or n/a without one
cpu_or_na() { if [[ -n $1 ]] && [[ -r /proc/$1/stat ]]; then cpu_seconds "$1"; else echo n/a; fi; }
# reset_peak_rss PID: VmHWM starts again from the current RSS (Linux >= 4.0, clear_refs 5)
reset_peak_rss() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null || HWM_RESET=no; }
# shellcheck disable=SC2034  # read by the scripts' reports
HWM_RESET=yes

# ---------------------------------------------------------------------------------------------
# processes

# stop_pid PID SECONDS: SIGTERM, SIGKILL after SECONDS; reaps it
stop_pid() {
    local pid=$1 i
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        nap 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "pid $pid did not stop within $2 s of SIGTERM; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# The kinds of standalone worker: ferry, ferry-jar (ferry told to run a connector's jar from
# plugin.path through its Java plugin host where it has a built-in connector of the same class;
# bench/mysql-cdc.sh), java (Apache Kafka Connect through scripts/kafka/connect.sh, which execs
# java: the process is the JVM).
is_ferry() { [[ $1 == ferry || $1 == ferry-jar ]]; }

# launch_standalone KIND WORKER_PROPERTIES LOG: starts a standalone worker of KIND in the
# background (ferry's own log files in LOG's folder, logs/); PROG_PID is its process,
# READY_PATH the REST path that answers 200 once it is ready (Kafka Connect answers on its port
# before its herder is ready, /health only once it is; ferry answers / as soon as it is).
launch_standalone() {
    local kind=$1 props=$2 log=$3 logs
    logs=$(dirname "$log")/logs
    if is_ferry "$kind"; then
        LOG_DIR=$logs "$FERRY" standalone "$props" >"$log" 2>&1 &
        READY_PATH=/
    else
        "$ROOT/scripts/kafka/connect.sh" standalone "$props" >"$log" 2>&1 &
        READY_PATH=/health
    fi
    PROG_PID=$!
}

# shellcheck disable=SC2034  # READY_US and READY_ERROR are read by the scripts
# wait_ready T0_US LIMIT_S: waits until REST answers READY_PATH with 200 (polled every 50 ms);
# READY_US is then when it did. Returns 1 with READY_ERROR set when the worker exited (PROG_PID
# is then reaped and emptied) or did not answer within LIMIT_S of T0_US (it is left running).
wait_ready() {
    local t0=$1 limit=$2 code
    READY_ERROR=""
    while :; do
        code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$REST$READY_PATH" || true)
        if [[ $code == 200 ]]; then
            now
            READY_US=$NOW_US
            return 0
        fi
        if ! kill -0 "$PROG_PID" 2>/dev/null; then
            wait "$PROG_PID" || true
            PROG_PID=""
            READY_ERROR="the worker exited while starting"
            return 1
        fi
        now
        if ((NOW_US - t0 > limit * 1000000)); then
            READY_ERROR="the worker did not answer $READY_PATH within $limit s"
            return 1
        fi
        nap 0.05
    done
}

# The connector's or its task's state and trace when one is FAILED; nothing otherwise
# worker_exited: whether the measured worker (PROG_PID) has exited; if so, EXIT_REASON says how
# (with its status) and PROG_PID is cleared
worker_exited() {
    kill -0 "$PROG_PID" 2>/dev/null && return 1
    EXIT_REASON="the worker (pid $PROG_PID) exited"
    wait "$PROG_PID" || EXIT_REASON+=" with status $?"
    PROG_PID=""
}

connector_failed() {
    curl -s -m 5 "$REST/connectors/$1/status" 2>/dev/null | jq -r '
        [.connector] + (.tasks // []) | map(select(.state == "FAILED"))
        | if length > 0 then .[0] | "FAILED: " + (.trace // "(no trace)") else empty end' 2>/dev/null || true
}
connector_states() {
    curl -s -m 5 "$REST/connectors/$1/status" 2>/dev/null |
        jq -r '"connector " + .connector.state + ", tasks " + ([.tasks[]? | .state] | join(","))' 2>/dev/null || echo "no answer"
}

# ---------------------------------------------------------------------------------------------
# the topic watcher (bench program watch_topic): WATCH_PID

# start_watcher TOPIC COUNT OUT: the topic's end offsets every 10 ms until COUNT records were
# added (a line `at` every second); returns once it has read them a first time
start_watcher() {
    local i
    "$BIN/watch_topic" --brokers "$KAFKA_BOOTSTRAP" --topic "$1" --count "$2" --interval-ms 10 \
        --progress-ms 1000 --timeout-s "$((TIMEOUT_S + 60))" >"$3" 2>"$3.err" &
    WATCH_PID=$!
    for ((i = 0; i < 3000; i++)); do
        grep -q '^ready ' "$3" 2>/dev/null && return 0
        kill -0 "$WATCH_PID" 2>/dev/null || die "watch_topic exited: $(cat "$3.err")"
        nap 0.01
    done
    die "watch_topic did not read $1's end offsets within 30 s"
}
# watcher_field OUT EVENT FIELD: field 2 (time, µs since the epoch) or 3 (end offset) of a line
watcher_field() { awk -v e="$2" -v f="$3" '$1 == e { print $f; exit }' "$1" 2>/dev/null || true; }

# topic_counts PREFIX: "topic<TAB>records" for every topic whose name starts with PREFIX, by
# Kafka's own GetOffsetShell (end offset - start offset; compat/debezium/dump.py)
topic_counts() {
    python3 "$ROOT/compat/debezium/dump.py" topics "$KAFKA_BOOTSTRAP" | awk -F'\t' -v p="$1" 'index($1, p) == 1'
}

# ---------------------------------------------------------------------------------------------
# a worker's process tree (bench program proc_tree): ferry and the JVM of its plugin host when
# it runs Java plugins, Kafka Connect's JVM alone

# tree_of PID: one line per process of PID's tree, PID first: PID PPID NAME RSS_KB HWM_KB CPU_S
# (CPU_S counts the children it reaped; bench/src/bin/proc_tree.rs)
tree_of() { "$BIN/proc_tree" --pid "$1" 2>/dev/null || true; }
# tree_cpu PID [WHICH]: the CPU seconds of the whole tree (each process once, ended children
# included; WHICH=all, the default), of its root alone (root: with the children it reaped), or of
# its java descendants (java)
tree_cpu() {
    tree_of "$1" | awk -v w="${2:-all}" '
        w == "all" || (w == "root" && NR == 1) || (w == "java" && NR > 1 && $3 == "java") { s += $6 }
        END { printf "%.2f", s }'
}
# tree_rss PID: the resident set of the whole tree now, in kB
tree_rss() { tree_of "$1" | awk '{ s += $4 } END { print s + 0 }'; }
# tree_reset_peak PID: VmHWM of every process of the tree starts again from its current RSS
tree_reset_peak() {
    local p
    for p in $(tree_of "$1" | awk '{ print $1 }'); do reset_peak_rss "$p"; done
}
# tree_hwm PID WHICH: VmHWM in kB of the tree's root (WHICH=root), of its java descendants
# (java, summed), or of all its processes summed (all: an upper bound of the tree's peak, the
# processes' peaks need not coincide); empty when there is no such process
tree_hwm() {
    tree_of "$1" | awk -v w="$2" '
        w == "all" || (w == "root" && NR == 1) || (w == "java" && NR > 1 && $3 == "java") { s += $5; n++ }
        END { if (n) print s }'
}
# tree_others PID: "PID:NAME" of the tree's processes other than the root (none: empty)
tree_others() { tree_of "$1" | awk 'NR > 1 { printf "%s%s:%s", (n++ ? " " : ""), $1, $3 }'; }

# start_sampler PID OUT: the tree's resident set sampled every 100 ms into OUT (`at US
# TOTAL_RSS_KB TOTAL_CPU_S PID:NAME:RSS_KB:CPU_S...`) until the process exits or stop_sampler
start_sampler() {
    "$BIN/proc_tree" --pid "$1" --interval-ms 100 >"$2" 2>"$2.err" &
    SAMPLER_PID=$!
}
stop_sampler() {
    stop_pid "$SAMPLER_PID" 5
    SAMPLER_PID=""
}
# sampled_peak OUT FROM_US UNTIL_US [NAME]: the largest total resident set in kB among the samples
# of OUT between the two times (all processes; with NAME, only those named so); n/a without any
sampled_peak() {
    awk -v a="$2" -v b="$3" -v name="${4:-}" '
        $1 == "at" && $2 >= a && $2 <= b {
            if (name == "") v = $3
            else { v = 0; for (i = 5; i <= NF; i++) { split($i, p, ":"); if (p[2] == name) v += p[3] } }
            if (!seen || v > max) max = v; seen = 1 }
        END { if (seen) print max; else print "n/a" }' "$1" 2>/dev/null || echo n/a
}
# sampled_count OUT FROM_US UNTIL_US: how many samples OUT has between the two times
sampled_count() { awk -v a="$2" -v b="$3" '$1 == "at" && $2 >= a && $2 <= b { n++ } END { print n + 0 }' "$1" 2>/dev/null || echo 0; }

# jvm_options PID: the -X and -XX options of a java process's command line
jvm_options() { tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | grep -E '^-X' | tr '\n' ' ' | sed 's/ $//' || true; }

# bench_java_host: makes sure of ferry's Java plugin host: FERRY_JAVA_HOST when it names a
# built host already (e.g. one built from a clean export of the measured revision), else
# scripts/lib.sh's ensure_java_host (built from java/plugin-host into ~/.cache/ferry/java-host)
bench_java_host() {
    if [[ -n ${FERRY_JAVA_HOST:-} && -f $FERRY_JAVA_HOST/host.jar ]]; then
        say "ferry's Java plugin host: $FERRY_JAVA_HOST (FERRY_JAVA_HOST)"
    else
        say "making sure of ferry's Java plugin host (scripts/lib.sh ensure_java_host)"
        ensure_java_host || die "ensure_java_host failed"
        say "ferry's Java plugin host: $FERRY_JAVA_HOST"
    fi
    export FERRY_JAVA_HOST
}
