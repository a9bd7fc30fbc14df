#!/usr/bin/env bash
# ferry and Apache Kafka Connect 4.4.0 side by side, in one run, on one Apache Kafka node, with the
# same configs and data (and the bare librdkafka programs where they apply): throughput and CPU
# of FileStreamSource / FileStreamSink (run.sh), start-up and memory (footprint.sh), 50 connectors
# settling on 3 workers (settle.sh), failover after kill -9 (failover.sh). Each part writes its
# own detailed report; this script writes one report with every headline figure and the issue's
# targets, bench/results/side-by-side-DATE.md, the parts' reports beside it in
# bench/results/side-by-side-DATE/. See bench/README.md.
#
#   bench/side-by-side.sh
#   env: PARTS="standalone footprint settle failover" (all; a part that fails is named in the
#          report and the others still run),
#        N=lines for the throughput (1000000), RUNS=throughput runs (3), STARTUP_RUNS (5),
#        SETTLE_RUNS=settle runs per kind (3), FAILOVER_RUNS=scenario A runs per kind (3),
#        B_RUNS=scenario B runs per kind (1; each takes over 5 minutes a kind), SCENARIOS ("A B"),
#        B_DELAY_MS (unset: Kafka Connect's default delay of 300000)
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PARTS=${PARTS:-standalone footprint settle failover}
N=${N:-1000000}
RUNS=${RUNS:-3}
STARTUP_RUNS=${STARTUP_RUNS:-5}
SETTLE_RUNS=${SETTLE_RUNS:-3}
FAILOVER_RUNS=${FAILOVER_RUNS:-3}
B_RUNS=${B_RUNS:-1}
SCENARIOS=${SCENARIOS:-A B}
B_DELAY_MS=${B_DELAY_MS:-}
KINDS="ferry java"
WORK=$ROOT/bench/work/side-by-side
RESULTS=$ROOT/bench/results

for part in $PARTS; do
    case $part in standalone | footprint | settle | failover) ;; *) echo "unknown part '$part'" >&2; exit 2 ;; esac
done

# cluster-lib.sh: say/die, machine_line, ferry_revision, java_version, start_kafka
# shellcheck source-path=SCRIPTDIR source=cluster-lib.sh
source "$ROOT/bench/cluster-lib.sh"

# The part running and the broker are stopped on exit (cluster-lib.sh's own trap leaves a broker
# named by BENCH_KAFKA_BOOTSTRAP alone, which is right for the parts, not for the run that started it).
PART_PID="" SBS_KAFKA_PID=""
side_by_side_cleanup() {
    if [[ -n $PART_PID ]] && kill -0 "$PART_PID" 2>/dev/null; then
        say "stopping the part still running (pid $PART_PID)"
        kill -TERM "$PART_PID" 2>/dev/null || true
        wait "$PART_PID" 2>/dev/null || true
    fi
    if [[ -n $SBS_KAFKA_PID ]]; then
        say "stopping Apache Kafka (pid $SBS_KAFKA_PID)"
        stop_kafka "$SBS_KAFKA_PID"
        SBS_KAFKA_PID=""
    fi
}
trap side_by_side_cleanup EXIT

STARTED=$(date -u '+%F %H:%M:%S UTC')
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
DAY=$(date +%F)
DETAIL=$RESULTS/side-by-side-$DAY
REPORT=$RESULTS/side-by-side-$DAY.md
SUMMARY=$WORK/summary.txt

COMMAND="bench/side-by-side.sh"
[[ $PARTS == "standalone footprint settle failover" ]] || COMMAND="PARTS='$PARTS' $COMMAND"
[[ $N == 1000000 ]] || COMMAND="N=$N $COMMAND"
[[ $RUNS == 3 ]] || COMMAND="RUNS=$RUNS $COMMAND"
[[ $STARTUP_RUNS == 5 ]] || COMMAND="STARTUP_RUNS=$STARTUP_RUNS $COMMAND"
[[ $SETTLE_RUNS == 3 ]] || COMMAND="SETTLE_RUNS=$SETTLE_RUNS $COMMAND"
[[ $FAILOVER_RUNS == 3 ]] || COMMAND="FAILOVER_RUNS=$FAILOVER_RUNS $COMMAND"
[[ $B_RUNS == 1 ]] || COMMAND="B_RUNS=$B_RUNS $COMMAND"
[[ $SCENARIOS == "A B" ]] || COMMAND="SCENARIOS='$SCENARIOS' $COMMAND"
[[ -z $B_DELAY_MS ]] || COMMAND="B_DELAY_MS=$B_DELAY_MS $COMMAND"

rm -rf "$WORK" "$DETAIL"
mkdir -p "$WORK" "$DETAIL"
say "load average at the start: $LOAD_AT_START"

# one build, one broker for every part
say "building ferry and the bench programs (release)"
cargo build --release -p ferry -p ferry-bench
FERRY_REV=$(ferry_revision)
export BENCH_BUILT=1 FERRY_REV
say "making sure Apache Kafka $KAFKA_VERSION's jars and the FileStream connectors are there"
ensure_kafka
ensure_connect_file
say "starting Apache Kafka $KAFKA_VERSION (KRaft, single node), data in ${WORK#"$ROOT"/}/kafka"
KAFKA_DIR=$WORK/kafka
start_kafka "$KAFKA_DIR"
SBS_KAFKA_PID=$KAFKA_PID
export BENCH_KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP BENCH_KAFKA_DIR=$KAFKA_DIR BENCH_WORK_ROOT=$WORK BENCH_SUMMARY=$SUMMARY
: >"$SUMMARY"

declare -a PART_LINES=() FAILED=()
# run_part NAME SCRIPT ENV...: runs one part's script with the shared broker, its report into
# DETAIL/NAME.md and its output into WORK/NAME.log; a failure is recorded, not fatal.
run_part() {
    local name=$1 script=$2 t0 t1 rc=0
    shift 2
    say "=== $name: $* bench/$script"
    t0=$(date +%s)
    env "$@" KINDS="$KINDS" BENCH_REPORT="$DETAIL/$name.md" "$ROOT/bench/$script" >"$WORK/$name.log" 2>&1 &
    PART_PID=$!
    wait "$PART_PID" || rc=$?
    PART_PID=""
    t1=$(date +%s)
    if ((rc == 0)); then
        PART_LINES+=("| $name | \`$* bench/$script\` | $(((t1 - t0) / 60)) min $(((t1 - t0) % 60)) s | [$name.md](side-by-side-$DAY/$name.md) |")
        say "=== $name done in $((t1 - t0)) s"
    else
        FAILED+=("$name")
        cp "$WORK/$name.log" "$DETAIL/$name-FAILED.log"
        PART_LINES+=("| $name | \`$* bench/$script\` | failed (exit $rc) after $((t1 - t0)) s | [$name-FAILED.log](side-by-side-$DAY/$name-FAILED.log) |")
        say "=== $name FAILED (exit $rc); the end of its output:"
        tail -n 20 "$WORK/$name.log" >&2
    fi
}

for part in $PARTS; do
    case $part in
        standalone) run_part standalone run.sh N="$N" RUNS="$RUNS" ;;
        footprint) run_part footprint footprint.sh STARTUP_RUNS="$STARTUP_RUNS" ;;
        settle) run_part settle settle.sh RUNS="$SETTLE_RUNS" ;;
        failover)
            fo_env=(VICTIM=follower RUNS="$FAILOVER_RUNS" B_RUNS="$B_RUNS" SCENARIOS="$SCENARIOS")
            [[ -z $B_DELAY_MS ]] || fo_env+=(B_DELAY_MS="$B_DELAY_MS")
            run_part failover failover.sh "${fo_env[@]}"
            ;;
    esac
done
FINISHED=$(date -u '+%F %H:%M:%S UTC')
LOAD_AT_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------
# the report: headline figures from the parts' summaries, against the issue's targets

headline() {
    python3 - "$SUMMARY" <<'PY'
import sys
vals = {}
for line in open(sys.argv[1]):
    if "=" in line:
        k, v = line.rstrip("\n").split("=", 1)
        vals[k] = v

def num(key):
    v = vals.get(key)
    try:
        return float(v)
    except (TypeError, ValueError):
        return None

def show(x, digits=None):
    if x is None:
        return "n/a"
    if digits is None:
        digits = 0 if abs(x) >= 100 else (1 if abs(x) >= 10 else 2)
    return f"{x:,.{digits}f}"

rows = []
def row(what, f, j, b, ratio_text, target, met, f_digits=None):
    rows.append(f"| {what} | **{show(f, f_digits)}** | {show(j, f_digits)} | {b} | {ratio_text} | {target} | {met} |")

def verdict(ok):
    return "n/a" if ok is None else ("**met**" if ok else "**not met**")

for side, label in (("source", "file → topic"), ("sink", "topic → file")):
    for metric, how in (("steady", "after the first record"), ("rate", "from the launch")):
        f, j, b = (num(f"standalone.{k}.{side}.{metric}") for k in ("ferry", "java", "bare"))
        ok = None if None in (f, j, b) else (f >= j and f >= 0.9 * b)
        ratio = "n/a" if None in (f, j, b) else f"{f / j:.1f}× Java, {f / b:.2f}× bare"
        row(f"{label}: records/s {how}", f, j, show(b), ratio, "≥ Java and ≥ 0.9 × bare", verdict(ok))
for side, label in (("source", "file → topic"), ("sink", "topic → file")):
    f, j, b = (num(f"standalone.{k}.{side}.cpu") for k in ("ferry", "java", "bare"))
    ratio = "n/a" if None in (f, j) or f == 0 else f"Java uses {j / f:.0f}×"
    row(f"{label}: CPU s per 1M records (whole process)", f, j, show(b), ratio, "—", "")
steps = vals.get("footprint.steps", "10 100").split()
for key, label in [("rss_0", "idle")] + [(f"rss_{k}", f"{k} connectors") for k in steps]:
    f, j = num(f"footprint.ferry.{key}"), num(f"footprint.java.{key}")
    ok = None if None in (f, j) else f <= j / 10
    ratio = "n/a" if None in (f, j) else f"1/{j / f:.0f}"
    row(f"RSS MB, distributed worker, {label}", f, j, "", ratio, "≤ 1/10 of Java", verdict(ok), 1)
for key, label in (("rest_ms", "start → REST answers, ms"), ("first_ms", "start → first record in the topic, ms")):
    f, j = num(f"footprint.ferry.{key}"), num(f"footprint.java.{key}")
    ok = None if None in (f, j) else f <= j / 20
    ratio = "n/a" if None in (f, j) or f == 0 else f"1/{j / f:.0f}"
    row(label, f, j, "", ratio, "≤ 1/20 of Java", verdict(ok), 0)
for s, label in (("A", "`scheduled.rebalance.max.delay.ms=0`"), ("B", "default delay")):
    f, j = num(f"failover.ferry.{s}.total"), num(f"failover.java.{s}.total")
    if f is None and j is None:
        continue
    delay = vals.get(f"failover.ferry.{s}.delay_ms", "?")
    if s == "B":
        label = f"delay {delay} ms" + (" (Kafka Connect's default)" if delay == "300000" else "")
    runs = vals.get(f"failover.ferry.{s}.runs", "?")
    ok = None if None in (f, j) else f < j
    ratio = "n/a" if None in (f, j) else f"ferry − Java: {f - j:+.2f} s"
    row(f"failover, kill -9 → all RUNNING elsewhere, s ({label}; {runs} run(s) per kind)", f, j, "", ratio, "faster than Java", verdict(ok))
    f2, j2 = num(f"failover.ferry.{s}.after_failed"), num(f"failover.java.{s}.after_failed")
    row(f"  of which after the coordinator noticed the death, s ({label})", f2, j2, "", "", "", "", 3)
f, j = num("settle.ferry.status"), num("settle.java.status")
ratio = "n/a" if None in (f, j) or f == 0 else f"{j / f:.1f}× faster"
row("50 connectors on 3 workers: first POST → all RUNNING, s", f, j, "", ratio, "—", "")
f, j = num("settle.ferry.rss_mb"), num("settle.java.rss_mb")
ratio = "n/a" if None in (f, j) else f"1/{j / f:.0f}"
row("  largest worker peak RSS there, MB", f, j, "", ratio, "—", "", 1)
print("| | ferry | Kafka Connect 4.4.0 | bare librdkafka | ferry vs Java | target (issue 8) | |")
print("|---|---:|---:|---:|---|---|---|")
print("\n".join(rows))
PY
}

{
    echo "# ferry vs Apache Kafka Connect $KAFKA_VERSION, side by side — $DAY"
    echo
    echo "One run of \`$COMMAND\`: ferry, Kafka Connect $KAFKA_VERSION and (for throughput) the bare librdkafka"
    echo "programs, one after the other on one Apache Kafka $KAFKA_VERSION node, with the same worker and connector"
    echo "configs and the same data. Medians; each part's own report (linked below) has every run and how it was measured."
    echo
    headline
    echo
    echo "- Throughput: $(grep -m1 '^standalone.n=' "$SUMMARY" | cut -d= -f2 || echo "?") lines of 100 bytes, standalone workers, one partition, FileStreamSource"
    echo "  \`batch.size=2000\`, \`tasks.max=1\`, StringConverter, \`offset.flush.interval.ms=10000\` (Kafka Connect's"
    echo "  default) for both. Records/s \"after the first record\": N / (last − first record in the output),"
    echo "  start-up excluded (for Kafka Connect a JVM start and plugin scanning); \"from the launch\": N / (launch →"
    echo "  last record in the output), start-up included. The bare producer's first record reaches the topic"
    echo "  about half a second after its launch, later than ferry's, so its rate \"after the first record\""
    echo "  counts records it had queued before (see standalone.md for every run). Each worker uses its own producer and"
    echo "  consumer defaults (Kafka Connect's, as its log printed them, are in standalone.md). CPU: \`utime + stime\`"
    echo "  of \`/proc/PID/stat\` from the process start to the last record, start-up included."
    echo "- RSS: \`VmRSS\` of one \`distributed\` worker alone in its group, 10 s after it was ready / after all"
    echo "  connectors were RUNNING; FileStreamSource connectors over 1000-line files, each into its own topic."
    echo "  Kafka Connect runs with Kafka's default heap settings here (-Xms256m -Xmx1g, G1)."
    echo "- Start-up: a standalone worker with one FileStreamSource over a 1000-line file, from the process launch."
    echo "- Failover: 3 distributed workers of one kind, 6 FileStreamSource connectors, the busiest worker that is"
    echo "  not the group's leader killed with SIGKILL (the same role for both kinds: when Kafka Connect's leader"
    echo "  dies, the new leader hands the lost work out at once whatever the delay — seen in a trial, see"
    echo "  bench/README.md); until the status topic shows every connector and task RUNNING on the survivors."
    echo "  \`session.timeout.ms=6000\` (the broker's minimum), \`heartbeat.interval.ms=1000\` for both kinds."
    echo "- Settle: 3 distributed workers of one kind, 50 connectors created over REST one after the other."
    echo
    if ((${#FAILED[@]})); then
        echo "**Parts that failed, so their figures are missing (n/a): ${FAILED[*]}** — their output is linked below."
        echo
    fi
    echo "## Parts"
    echo
    echo "| part | command (with the shared broker) | took | report |"
    echo "|---|---|---|---|"
    printf '%s\n' "${PART_LINES[@]}"
    echo
    echo "## Setup"
    echo
    echo "- machine: $(machine_line)"
    echo "- load average at the start: $LOAD_AT_START; at the end: $LOAD_AT_END"
    echo "- ran from $STARTED to $FINISHED"
    echo "- broker: Apache Kafka $KAFKA_VERSION (KRaft, single node, same machine; 512 MB heap; \`group.initial.rebalance.delay.ms=0\`), shared by every part"
    echo "- ferry: $FERRY_REV, release build (\`cargo build --release -p ferry\`)"
    echo "- Kafka Connect: $KAFKA_VERSION from Maven Central, run by scripts/kafka/connect.sh (Java $(java_version), -Xms256m -Xmx${CONNECT_HEAP:-1g}, G1), FileStream connectors from connect-file $CONNECT_FILE_VERSION built for $KAFKA_VERSION"
    echo "- command: \`$COMMAND\`"
} >"$REPORT"

cat "$REPORT"
say "written to ${REPORT#"$ROOT"/} (the parts' reports in ${DETAIL#"$ROOT"/}/)"
((${#FAILED[@]} == 0)) || exit 1
