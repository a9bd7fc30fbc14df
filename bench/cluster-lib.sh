# Shared by the distributed-mode benchmarks (bench/failover.sh, bench/settle.sh,
# bench/footprint.sh): one Apache Kafka node, groups of distributed workers on loopback ports —
# `ferry distributed` or, with KIND=java, Apache Kafka Connect 4.4.0 (scripts/kafka/connect.sh) —
# REST helpers and reading the workers' logs. Source it after setting ROOT and WORK; it sources
# scripts/lib.sh.
#
# A broker shared by several scripts (bench/side-by-side.sh starts one for the whole run): when
# BENCH_KAFKA_BOOTSTRAP and BENCH_KAFKA_DIR name it, a script neither starts nor stops one; with
# BENCH_BUILT=1 it does not build either (the caller built the binaries it measures).
# shellcheck shell=bash

BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release
FERRY=$BIN/ferry
KIND=${KIND:-ferry}   # which workers start_workers starts: ferry or java (Kafka Connect)

# shellcheck source-path=SCRIPTDIR/.. source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

say() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

for tool in jq curl python3 timeout; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed and is not on PATH"
done

exec {SLEEP_FD}<> <(:)
nap() { read -r -t "$1" -u "$SLEEP_FD" _ || true; }   # sleep without a process
now() { NOW_US=${EPOCHREALTIME/./}; }                 # microseconds since the epoch, in NOW_US

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# seconds (3 decimals) between two times in microseconds; "n/a" if either is missing
span() { if [[ -n $1 && -n $2 ]]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e6 }'; else echo n/a; fi; }
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }
# median of the values that are numbers (3 decimals unless it is a whole number), or n/a
num_median() {
    local v nums=()
    for v in "$@"; do [[ $v =~ ^-?[0-9]+(\.[0-9]+)?$ ]] && nums+=("$v"); done
    if ((${#nums[@]})); then
        median "${nums[@]}" | awk '{ if ($1 == int($1)) print $1; else printf "%.3f\n", $1 }'
    else
        echo n/a
    fi
}

# The kinds of worker: "ferry", "java" (Apache Kafka Connect), "bare" (the bare librdkafka
# programs, in run.sh) and "ferry-jar" (ferry running a connector's jar from plugin.path in its
# Java plugin host instead of its built-in connector of the same class, in mysql-cdc.sh).
kind_name() {
    case $1 in
        ferry) echo "ferry" ;;
        ferry-jar) echo "ferry + Java plugin host" ;;
        java) echo "Kafka Connect $KAFKA_VERSION" ;;
        bare) echo "bare librdkafka" ;;
        *) echo "$1" ;;
    esac
}
# check_kinds KIND...: fails unless each is one of KNOWN_KINDS (ferry and java unless the script
# says otherwise)
check_kinds() {
    local k known=${KNOWN_KINDS:-ferry java}
    for k in "$@"; do [[ " $known " == *" $k "* ]] || die "unknown kind '$k' (${known// / or })"; done
}

# The log line each kind writes when it joined the worker group (a completed rebalance round).
join_text() { if [[ $KIND == java ]]; then echo "Joined group at generation"; else echo "joined the worker group"; fi; }

# ---------------------------------------------------------------------------------------------
# processes: the Kafka node and the workers, stopped on exit

KAFKA_PID=""
W_PID=() W_PORT=() W_ID=() W_LOG=() W_DIR=()

cluster_cleanup() {
    stop_workers
    if [[ -n $KAFKA_PID && -z ${BENCH_KAFKA_BOOTSTRAP:-} ]]; then
        say "stopping Apache Kafka (pid $KAFKA_PID)"
        stop_kafka "$KAFKA_PID"
        KAFKA_PID=""
    fi
}
trap cluster_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# build_and_start_kafka DIR [KIND...]: builds ferry and the bench programs, fetches Kafka's jars
# (and, if a KIND is java, the FileStream connectors for Kafka Connect), starts the Kafka node —
# or, with BENCH_KAFKA_BOOTSTRAP set, uses that one (above).
build_and_start_kafka() {
    local dir=$1
    shift
    if [[ -z ${BENCH_BUILT:-} ]]; then
        say "building ferry and the bench programs (release)"
        cargo build --release -p ferry -p ferry-bench
    fi
    # The revision the measured binary was built from, not whatever HEAD is when the report is written.
    FERRY_REV=$(ferry_revision)
    say "making sure Apache Kafka $KAFKA_VERSION's jars are in $KAFKA_LIBS"
    ensure_kafka
    if [[ " $* " == *" java "* ]]; then ensure_connect_file; fi
    if [[ -n ${BENCH_KAFKA_BOOTSTRAP:-} ]]; then
        KAFKA_BOOTSTRAP=$BENCH_KAFKA_BOOTSTRAP
        KAFKA_DIR=${BENCH_KAFKA_DIR:?BENCH_KAFKA_DIR must name the folder of the shared broker}
        # its process, when the caller says, for the broker's CPU in the reports (never stopped here)
        KAFKA_PID=${BENCH_KAFKA_PID:-}
        say "using the Apache Kafka node on $KAFKA_BOOTSTRAP (data in ${KAFKA_DIR#"$ROOT"/})"
        return
    fi
    say "starting Apache Kafka $KAFKA_VERSION (KRaft, single node), data in ${dir#"$ROOT"/}"
    KAFKA_DIR=$dir
    start_kafka "$dir"
}

create_topics() { # TOPIC...
    "$BIN/create_topics" --brokers "$KAFKA_BOOTSTRAP" --partitions 1 --replication 1 "$@" ||
        die "could not create the topics"
}

# start_workers DIR GROUP COUNT KEY=VALUE...: starts COUNT distributed workers of kind KIND
# (`ferry distributed`, or Kafka Connect's ConnectDistributed through scripts/kafka/connect.sh
# with plugin.path=KAFKA_PLUGINS) of a new group GROUP (internal topics GROUP-configs/-offsets/
# -status, replication factor 1, created by the workers), each in DIR/worker-I with its own REST
# port; the KEY=VALUE pairs are added to the worker properties. Fills W_PID (the worker process
# itself: connect.sh execs java), W_PORT, W_ID (= the worker_id in statuses), W_LOG, W_DIR
# (index 0..COUNT-1), W_START_US (when each was launched) and W_READY_US (when its /health first
# answered 200), and waits until every worker's /health says it is ready (Kafka Connect answers
# on its port before its herder is ready; /health only once it is).
start_workers() {
    local dir=$1 group=$2 count=$3 i port wdir
    shift 3
    W_PID=() W_PORT=() W_ID=() W_LOG=() W_DIR=() W_START_US=() W_READY_US=()
    for ((i = 0; i < count; i++)); do
        port=$(free_port)
        wdir=$dir/worker-$((i + 1))
        mkdir -p "$wdir"
        {
            echo "bootstrap.servers=$KAFKA_BOOTSTRAP"
            echo "group.id=$group"
            echo "key.converter=org.apache.kafka.connect.storage.StringConverter"
            echo "value.converter=org.apache.kafka.connect.storage.StringConverter"
            echo "config.storage.topic=$group-configs"
            echo "offset.storage.topic=$group-offsets"
            echo "status.storage.topic=$group-status"
            echo "config.storage.replication.factor=1"
            echo "offset.storage.replication.factor=1"
            echo "status.storage.replication.factor=1"
            echo "offset.flush.interval.ms=1000"
            echo "listeners=http://127.0.0.1:$port"
            [[ $KIND == java ]] && echo "plugin.path=$KAFKA_PLUGINS"
            printf '%s\n' "$@"
        } >"$wdir/worker.properties"
        now
        W_START_US+=("$NOW_US")
        if [[ $KIND == java ]]; then
            "$ROOT/scripts/kafka/connect.sh" distributed "$wdir/worker.properties" >"$wdir/connect.out" 2>&1 &
            W_LOG+=("$wdir/connect.out")
        else
            LOG_DIR=$wdir/logs RUST_LOG=info "$FERRY" distributed "$wdir/worker.properties" >"$wdir/ferry.out" 2>&1 &
            W_LOG+=("$wdir/ferry.out")
        fi
        W_PID+=("$!")
        W_PORT+=("$port")
        W_ID+=("127.0.0.1:$port")
        W_DIR+=("$wdir")
    done
    local deadline code
    now
    deadline=$((NOW_US + 120000000))
    for ((i = 0; i < count; i++)); do
        while :; do
            code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:${W_PORT[i]}/health" || true)
            if [[ $code == 200 ]]; then
                now
                # shellcheck disable=SC2034  # read by the scripts
                W_READY_US[i]=$NOW_US
                break
            fi
            kill -0 "${W_PID[i]}" 2>/dev/null || { tail -n 30 "${W_LOG[i]}" >&2; die "worker $((i + 1)) exited while starting (log: ${W_LOG[i]})"; }
            now
            ((NOW_US < deadline)) || { tail -n 30 "${W_LOG[i]}" >&2; die "worker $((i + 1)) was not healthy within 120 s (log: ${W_LOG[i]})"; }
            nap 0.1
        done
    done
}

# stop_workers: SIGTERM to every worker still running, SIGKILL after 30 s; reaps them all.
stop_workers() {
    local pid i alive
    for pid in "${W_PID[@]}"; do
        kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
    done
    for ((i = 0; i < 300; i++)); do
        alive=0
        for pid in "${W_PID[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        ((alive)) || break
        nap 0.1
    done
    for pid in "${W_PID[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            say "worker pid $pid did not stop within 30 s of SIGTERM; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    W_PID=()
}

# VmHWM (peak resident set) of a process in kB, on stdout
peak_rss_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
# VmRSS (resident set now) of a process in kB, on stdout
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# CPU time (utime + stime from /proc/PID/stat) of a process in seconds, on stdout
# (fields 14 and 15; the command name, field 2, may hold spaces, so they are counted after its ")")
cpu_seconds() {
    awk -v hz="$CLK_TCK" '{ sub(/^.*\) /, ""); split($0, f, " "); printf "%.2f", (f[12] + f[13]) / hz }' "/proc/$1/stat"
}
CLK_TCK=$(getconf CLK_TCK)

# is_leader INDEX: the worker's last group join made it the group's leader
is_leader() {
    local i=$1 line
    line=$(grep -F "$(join_text)" "${W_LOG[i]}" | tail -n 1)
    if [[ $KIND == java ]]; then
        [[ $line == *"leaderUrl='http://127.0.0.1:${W_PORT[i]}/'"* ]]
    else
        [[ $line == *"leader=true"* ]]
    fi
}

# post_connector WORKER_INDEX JSON: POST /connectors; a 409 (the group is rebalancing) is
# retried every 100 ms for up to 60 s and counted in POST_CONFLICTS; anything but 201 fails.
POST_CONFLICTS=0
post_connector() {
    local i=$1 body=$2 code tries=0
    while :; do
        code=$(curl -s -o "$WORK/post-answer.json" -m 30 -w '%{http_code}' -X POST \
            -H 'Content-Type: application/json' --data "$body" "http://127.0.0.1:${W_PORT[i]}/connectors" || true)
        case $code in
            201) return 0 ;;
            409)
                POST_CONFLICTS=$((POST_CONFLICTS + 1))
                tries=$((tries + 1))
                ((tries < 600)) || die "POST /connectors kept answering 409 for 60 s: $(cat "$WORK/post-answer.json")"
                nap 0.1
                ;;
            *) die "POST /connectors to worker $((i + 1)) answered ${code:-nothing}: $(cat "$WORK/post-answer.json" 2>/dev/null)" ;;
        esac
    done
}

# GET /connectors?expand=status from one worker into STATUS_JSON; returns 1 if it did not answer
# 200 (within 60 s). STATUS_CODE and STATUS_SECONDS (curl's time_total) describe the last answer.
STATUS_JSON="" STATUS_CODE="" STATUS_SECONDS=""
get_statuses() {
    local i=$1 out
    out=$(curl -s -o "$WORK/statuses.json" -m 60 -w '%{http_code} %{time_total}' \
        "http://127.0.0.1:${W_PORT[i]}/connectors?expand=status" || true)
    # shellcheck disable=SC2034  # STATUS_SECONDS is read by the scripts
    read -r STATUS_CODE STATUS_SECONDS <<<"$out"
    [[ $STATUS_CODE == 200 ]] || return 1
    STATUS_JSON=$(<"$WORK/statuses.json")
}

# all_running_on COUNT [DEAD_ID]: STATUS_JSON shows COUNT connectors, each RUNNING with exactly
# one task RUNNING, none of them on DEAD_ID.
all_running_on() {
    jq -e --argjson n "$1" --arg dead "${2:-}" '
        [.[] | .status] as $s
        | ($s | length) == $n
          and ($s | all(.connector.state == "RUNNING" and .connector.worker_id != $dead
                        and (.tasks | length) == 1
                        and (.tasks | all(.state == "RUNNING" and .worker_id != $dead))))' \
        <<<"$STATUS_JSON" >/dev/null 2>&1
}

# assignment_of: "worker_id connectors tasks" per worker running something, from STATUS_JSON,
# sorted by worker_id.
assignment_of() {
    jq -r '[.[] | .status | (.connector.worker_id | [., "c"]), (.tasks[] | [.worker_id, "t"])]
           | group_by(.[0]) | .[] | "\(.[0][0]) \(map(select(.[1] == "c")) | length) \(map(select(.[1] == "t")) | length)"' \
        <<<"$STATUS_JSON"
}

# index (0-based) of a worker_id among W_ID, on stdout; -1 if none
worker_index() {
    local i
    for i in "${!W_ID[@]}"; do
        [[ ${W_ID[i]} == "$1" ]] && { echo "$i"; return; }
    done
    echo -1
}

# count_lines FILE TEXT: lines of FILE holding TEXT (fixed string)
count_lines() { grep -cF -- "$2" "$1" 2>/dev/null || true; }

# log_events FROM_US UNTIL_US LOG...: reads the workers' logs (of kind KIND) and prints, as shell
# assignments,
#   FIRST_REBALANCE_US  the first line after FROM_US, in any of the logs, saying the worker group
#                       is rebalancing (or that this worker lost the coordinator / was dropped)
#   LAST_REBALANCE_US   the last such line before LAST_JOIN_US
#   LAST_JOIN_US        the last join line (join_text) at or before UNTIL_US
#   JOINS               join lines between FROM_US and UNTIL_US, per log (space separated)
# Times are microseconds since the epoch (ferry's logs: UTC with microseconds; Kafka Connect's:
# local time with milliseconds); empty when none.
log_events() {
    python3 - "$KIND" "$(join_text)" "$@" <<'PY'
import sys, re
from datetime import datetime, timezone
kind, join, start, until = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if kind == "java":
    stamp = re.compile(r'^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})\]')
    markers = ("Rebalance started", "Request joining group due to",
               "Attempt to heartbeat failed", "Scheduled rebalance")
else:
    stamp = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z')
    markers = ("the worker group is rebalancing",
               "the group coordinator no longer knows this worker",
               "lost contact with the group coordinator",
               "the delay for the work of departed workers is over",
               "the group rebalanced again before the assignment arrived")
rebalances, joins, per_log = [], [], []
for path in sys.argv[5:]:
    n = 0
    with open(path, errors="replace") as f:
        for line in f:
            m = stamp.match(line)
            if not m:
                continue
            if kind == "java":
                # log4j writes local time, milliseconds
                t = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").timestamp()
                us = int(t) * 1000000 + int(m.group(2)) * 1000
            else:
                t = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
                frac = (m.group(2) or ".0")[1:7].ljust(6, "0")
                us = int(t.timestamp()) * 1000000 + int(frac)
            if us < start or us > until:
                continue
            # Kafka Connect's internal consumers log rebalance lines of their own: only the worker's
            if any(k in line for k in markers) and (kind != "java" or "[Worker clientId=" in line):
                rebalances.append(us)
            if join in line:
                joins.append(us)
                n += 1
    per_log.append(str(n))
last_join = max(joins) if joins else None
before = [t for t in rebalances if last_join is not None and t <= last_join]
print("FIRST_REBALANCE_US=%s" % (min(rebalances) if rebalances else ""))
print("LAST_REBALANCE_US=%s" % (max(before) if before else ""))
print("LAST_JOIN_US=%s" % (last_join if last_join is not None else ""))
print("JOINS='%s'" % " ".join(per_log))
PY
}

# coordinator_events FROM_US UNTIL_US GROUP: what the broker's group coordinator logged about
# GROUP between FROM_US and UNTIL_US (microseconds since the epoch; Kafka's server.log has
# milliseconds, local time), as shell assignments (empty when there was none):
#   FAILED_US        the first "Member … in group GROUP has failed" (a session expired)
#   FIRST_STABLE_US  the first "Stabilized group GROUP generation …" after FAILED_US (or FROM_US)
#   LAST_STABLE_US   the last one
#   LAST_ASSIGN_US   the last "Assignment received from leader … for group GROUP"
#   GENERATIONS      how many generations were stabilized
coordinator_events() {
    python3 - "$1" "$2" "$3" "$KAFKA_DIR/server.log" <<'PY'
import sys, re
from datetime import datetime
start, until, group, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
stamp = re.compile(r'^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})\]')
g = re.escape(group)
failed_re = re.compile(r'Member \S+ in group %s has failed' % g)
stable_re = re.compile(r'Stabilized group %s generation ' % g)
assign_re = re.compile(r'Assignment received from leader \S+ for group %s for generation ' % g)
failed, stables, assigns = None, [], []
with open(path, errors="replace") as f:
    for line in f:
        m = stamp.match(line)
        if not m:
            continue
        # log4j writes local time; the workers' clock is the same machine's
        t = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").timestamp()
        us = int(t) * 1000000 + int(m.group(2)) * 1000
        # Kafka's stamp is truncated to the millisecond: allow it to be up to 1 ms early
        if us < start - 1000 or us > until:
            continue
        if failed is None and failed_re.search(line):
            failed = us
        elif stable_re.search(line):
            stables.append(us)
        elif assign_re.search(line):
            assigns.append(us)
after = [t for t in stables if failed is None or t >= failed]
print("FAILED_US=%s" % (failed if failed is not None else ""))
print("FIRST_STABLE_US=%s" % (min(after) if after else ""))
print("LAST_STABLE_US=%s" % (max(stables) if stables else ""))
print("LAST_ASSIGN_US=%s" % (max(assigns) if assigns else ""))
print("GENERATIONS=%d" % len(stables))
PY
}

# status_topic_all_running GROUP FROM_US DEAD_ID NAME...: reads the status topic GROUP-status
# (bench program dump_topic, into $WORK/GROUP-status.tsv) and prints the first time at or after
# FROM_US (microseconds since the epoch; the records' create time has milliseconds) at which the
# latest status of every connector NAME and of its task 0 was RUNNING on a worker other than
# DEAD_ID (empty: any worker); empty if that never happened.
status_topic_all_running() {
    local group=$1 from=$2 dead=$3
    shift 3
    "$BIN/dump_topic" --brokers "$KAFKA_BOOTSTRAP" --topic "$group-status" >"$WORK/$group-status.tsv" ||
        die "could not read the status topic $group-status"
    python3 - "$from" "$dead" "$WORK/$group-status.tsv" "$@" <<'PY'
import sys, json, re
UNESCAPE = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}
start, dead, path, names = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
wanted = set()
for n in names:
    wanted.add("status-connector-" + n)
    wanted.add("status-task-" + n + "-0")
records = []
with open(path, errors="replace") as f:
    for line in f:
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 5:
            continue
        ts, part, off, key, value = parts
        records.append((int(ts), int(part), int(off), key, value))
records.sort()
good, found = set(), ""
for ts, _, _, key, value in records:
    if key not in wanted:
        continue
    ok = False
    if value != "null":
        try:
            v = json.loads(re.sub(r"\\(.)", lambda m: UNESCAPE.get(m.group(1), m.group(1)), value))
            ok = v.get("state") == "RUNNING" and (not dead or v.get("worker_id") != dead)
        except ValueError:
            ok = False
    if ok:
        good.add(key)
    else:
        good.discard(key)
    if ts * 1000 >= start - 1000 and len(good) == len(wanted):
        found = str(ts * 1000)
        break
print(found)
PY
}

machine_line() {
    local cpu mem
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    mem=$(awk '/^MemTotal:/ { printf "%.0f", $2 / 1024 }' /proc/meminfo)
    echo "$(nproc) CPUs ($cpu), $mem MB memory, $(uname -sr)"
}

ferry_revision() {
    if [[ -n ${FERRY_REV:-} ]]; then echo "$FERRY_REV"; return; fi
    local rev
    rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if ! git -C "$ROOT" diff --quiet HEAD -- . ':(exclude)bench/results' 2>/dev/null; then rev="$rev (with uncommitted changes)"; fi
    echo "$rev"
}

java_version() { java -version 2>&1 | awk -F'"' '/version/ { print $2; exit }'; }
