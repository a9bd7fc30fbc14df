#!/usr/bin/env bash
# Runs every test of ferry: installs what is missing, starts a tansu broker on a free loopback port,
# runs the unit and end-to-end tests, and stops what it started, whatever the outcome.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib.sh

ensure_build_tools
ensure_tansu

log "building ferry"
cargo build --workspace --all-targets

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-test.XXXXXX")
TANSU_PID=""
cleanup() {
  if [ -n "$TANSU_PID" ]; then
    kill "$TANSU_PID" 2>/dev/null || true
    wait "$TANSU_PID" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(free_port)
start_tansu "$work/broker" "$port" "sqlite://broker.db"
export FERRY_TEST_BROKER="127.0.0.1:$port"
export FERRY_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/ferry"

log "running the tests against the broker at $FERRY_TEST_BROKER"
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
  cargo test --workspace --doc
else
  cargo test --workspace --no-fail-fast "$@"
fi
