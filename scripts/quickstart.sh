#!/usr/bin/env bash
# ferry end to end on this machine: builds ferry, starts a local Apache Kafka broker, and runs a
# standalone worker with FileStreamSource (quickstart/input.txt) -> topic connect-test ->
# FileStreamSink (quickstart/output.txt). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib.sh

ensure_build_tools
log "building ferry (release)"
cargo build --release -p ferry

# Each run starts afresh: a new broker, no offsets or connectors kept from the last run.
work=$PWD/quickstart
rm -rf "$work"
mkdir -p "$work"
KAFKA_PID=""
FERRY_PID=""
cleanup() {
  [ -n "$FERRY_PID" ] && kill "$FERRY_PID" 2>/dev/null && wait "$FERRY_PID" 2>/dev/null
  stop_kafka "$KAFKA_PID"
  true
}
trap cleanup EXIT

rest_port=${REST_PORT:-8083}
# A broker of your own: BOOTSTRAP_SERVERS=host:9092 scripts/quickstart.sh uses it instead.
if [ -n "${BOOTSTRAP_SERVERS:-}" ]; then
  bootstrap=$BOOTSTRAP_SERVERS
else
  ensure_kafka
  start_kafka "$work/kafka"
  bootstrap=$KAFKA_BOOTSTRAP
fi

sed -e "s|^bootstrap.servers=.*|bootstrap.servers=$bootstrap|" \
    -e "s|^offset.storage.file.filename=.*|offset.storage.file.filename=$work/connect.offsets|" \
    -e "s|^offset.flush.interval.ms=.*|offset.flush.interval.ms=1000|" \
    -e "s|^#listeners=.*|listeners=http://127.0.0.1:$rest_port|" \
    config/connect-standalone.properties >"$work/worker.properties"
sed -e "s|^file=.*|file=$work/input.txt|" config/connect-file-source.properties >"$work/source.properties"
sed -e "s|^file=.*|file=$work/output.txt|" config/connect-file-sink.properties >"$work/sink.properties"
rm -f "$work/output.txt"
for i in $(seq 1 5); do echo "hello ferry, line $i"; done >"$work/input.txt"

LOG_DIR=$work/logs bin/connect-standalone.sh "$work/worker.properties" "$work/source.properties" "$work/sink.properties" \
  >"$work/ferry.out" 2>&1 &
FERRY_PID=$!
wait_for_port "$rest_port" 100 || { cat "$work/ferry.out"; exit 1; }

delivered=false
for _ in $(seq 150); do
  if [ -f "$work/output.txt" ] && [ "$(wc -l <"$work/output.txt")" -ge 5 ]; then
    delivered=true
    break
  fi
  sleep 0.2
done
if ! $delivered; then
  log "the lines did not reach $work/output.txt within 30 s; the worker said:"
  tail -n 40 "$work/ferry.out" >&2
  exit 1
fi

cat <<MSG

ferry is running.
  input file:   $work/input.txt   (append lines: echo hi >> $work/input.txt)
  output file:  $work/output.txt
  REST API:     http://127.0.0.1:$rest_port/connectors  (try: curl -s http://127.0.0.1:$rest_port/connectors/local-file-source/status)
  worker log:   $work/logs/connect.log
  broker:       $bootstrap

output.txt now holds:
MSG
cat "$work/output.txt" 2>/dev/null || echo "(nothing yet: see $work/ferry.out)"
if [ -t 0 ] && [ -z "${QUICKSTART_EXIT:-}" ]; then
  echo; echo "Press Ctrl-C to stop."
  wait "$FERRY_PID"
fi
