#!/usr/bin/env bash
# Runs every test of ferry: installs what is missing (build tools, Java and Apache Kafka's jars,
# MariaDB and PostgreSQL), starts a single-node Apache Kafka on free loopback ports and the
# databases, runs the unit and end-to-end tests, and stops what it started, whatever the outcome.
# Tests that stop, kill or multiply brokers start their own nodes with scripts/kafka/broker.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib.sh
. scripts/databases.sh

ensure_build_tools
ensure_kafka
ensure_connect_file
ensure_java_host
ensure_browser
# Debezium 3.6.1's MariaDB connector for the migration test (tests/tests/mysql_migration.rs) and
# for ferry's plugin host (tests/tests/mysql_golden.rs);
# fetch.sh leaves a complete folder as it is.
export FERRY_TEST_DEBEZIUM_PLUGINS=${FERRY_TEST_DEBEZIUM_PLUGINS:-$FERRY_CACHE/debezium-3.6.1/plugins}
DEBEZIUM_PLUGINS=$FERRY_TEST_DEBEZIUM_PLUGINS compat/debezium/fetch.sh mariadb
# and its JDBC sink, run as a jar by ferry's plugin host (tests/tests/jdbc_golden.rs)
DEBEZIUM_PLUGINS=$FERRY_TEST_DEBEZIUM_PLUGINS compat/debezium/fetch.sh jdbc

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-test.XXXXXX")
KAFKA_PID=""
cleanup() {
  stop_kafka "$KAFKA_PID"
  stop_databases_we_started || true
  rm -rf "$work"
}
trap cleanup EXIT

ensure_mariadb
ensure_postgres

log "building ferry"
cargo build --workspace --all-targets

start_kafka "$work/kafka"
export FERRY_TEST_BROKER=$KAFKA_BOOTSTRAP
export FERRY_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/ferry"

log "running the tests against Apache Kafka $KAFKA_VERSION at $FERRY_TEST_BROKER"
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
  cargo test --workspace --doc
else
  cargo test --workspace --no-fail-fast "$@"
fi
