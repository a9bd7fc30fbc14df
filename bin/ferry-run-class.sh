#!/usr/bin/env bash
# Shared by the connect-*.sh scripts: finds the ferry binary and runs it in the foreground, or in
# the background with -daemon (console output to $LOG_DIR/<daemon-name>.out), as Kafka's
# kafka-run-class.sh does.
set -euo pipefail

base_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
daemon_name=$1
shift

daemon=false
if [ "${1:-}" = "-daemon" ]; then
  daemon=true
  shift
fi

if [ -n "${FERRY_BIN:-}" ]; then
  ferry=$FERRY_BIN
elif [ -x "$base_dir/target/release/ferry" ]; then
  ferry=$base_dir/target/release/ferry
elif [ -x "$base_dir/target/debug/ferry" ]; then
  ferry=$base_dir/target/debug/ferry
elif command -v ferry >/dev/null 2>&1; then
  ferry=$(command -v ferry)
else
  echo "ferry binary not found: build it with 'cargo build --release' or set FERRY_BIN" >&2
  exit 1
fi

export LOG_DIR=${LOG_DIR:-$base_dir/logs}
mkdir -p "$LOG_DIR"

if $daemon; then
  out=$LOG_DIR/$daemon_name.out
  nohup "$ferry" "$@" >"$out" 2>&1 </dev/null &
  echo "ferry started in the background (pid $!); console output in $out"
else
  exec "$ferry" "$@"
fi
