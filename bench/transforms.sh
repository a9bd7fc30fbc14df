#!/usr/bin/env bash
# The cost of a transform chain, ferry beside Apache Kafka Connect 4.4.0, in one run: bench/run.sh
# twice on the same machine — without transforms, then with TRANSFORMS=1 (HoistField$Value,
# InsertField$Value, ReplaceField$Value on every record) — and one report putting each worker's
# rec/s with the chain beside its rec/s without, bench/results/transforms-DATE.md (run.sh's two
# full reports beside it, standalone-file-DATE-no-chain.md and standalone-file-transforms-DATE.md).
#
#   bench/transforms.sh
#   env: N (1000000), RUNS (3), KINDS ("ferry java"); the rest as bench/run.sh reads it
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export N=${N:-1000000} RUNS=${RUNS:-3} KINDS=${KINDS:-ferry java}
DAY=$(date +%F)
RESULTS=$ROOT/bench/results
PLAIN=$RESULTS/standalone-file-$DAY-no-chain.md
CHAIN=$RESULTS/standalone-file-transforms-$DAY.md
REPORT=$RESULTS/transforms-$DAY.md

TRANSFORMS=0 BENCH_REPORT=$PLAIN bench/run.sh
TRANSFORMS=1 BENCH_REPORT=$CHAIN bench/run.sh

# rate FILE SIDE PROGRAM: the steady rec/s of a row of run.sh's table
rate() {
    awk -F'|' -v side="$2" -v prog="$3" '
        $2 ~ side && $3 ~ prog { gsub(/[ *]/, "", $4); print $4; exit }' "$1"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }'; }

{
    echo "# A chain of three transforms, ferry and Kafka Connect — $DAY"
    echo
    echo "\`bench/transforms.sh\` (N=$N lines of 100 bytes, $RUNS runs each, medians; KINDS=\"$KINDS\"):"
    echo "bench/run.sh without transforms, then with every worker's connector running HoistField\$Value"
    echo "(\`field=line\`) → InsertField\$Value (\`static.field=origin\`, \`static.value=bench\`) →"
    echo "ReplaceField\$Value (\`renames=line:text\`), one Apache Kafka $(awk '/^KAFKA_VERSION=/ { sub(/.*=/, ""); print; exit }' scripts/lib.sh 2>/dev/null || true) node, the same machine."
    echo "Every line a worker wrote was checked against what the chain makes of it (run 1 of each side)."
    echo
    echo "| side | program | rec/s without transforms | rec/s with the chain | with / without | with the chain, ferry / Kafka Connect |"
    echo "|---|---|---:|---:|---:|---:|"
    for side in "file → topic" "topic → file"; do
        jf=$(rate "$CHAIN" "$side" "Kafka Connect")
        for prog in ferry "Kafka Connect"; do
            [[ $prog == ferry && " $KINDS " != *" ferry "* ]] && continue
            [[ $prog == "Kafka Connect" && " $KINDS " != *" java "* ]] && continue
            without=$(rate "$PLAIN" "$side" "$prog")
            with=$(rate "$CHAIN" "$side" "$prog")
            vs_java=n/a
            [[ $prog == ferry ]] && vs_java=$(ratio "$with" "$jf")
            echo "| $side | $prog | $without | **$with** | $(ratio "$with" "$without") | $vs_java |"
        done
    done
    echo
    echo "The bare librdkafka programs (no transforms) of both runs, for scale: file → topic"
    echo "$(rate "$PLAIN" "file → topic" bare) and $(rate "$CHAIN" "file → topic" bare) rec/s; topic → file $(rate "$PLAIN" "topic → file" bare) and $(rate "$CHAIN" "topic → file" bare) rec/s."
    echo "The full reports: \`$(basename "$PLAIN")\`, \`$(basename "$CHAIN")\`."
} >"$REPORT"
echo "written to $REPORT"
