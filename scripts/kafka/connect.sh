#!/usr/bin/env bash
# Runs Apache Kafka Connect 4.4.0 (the Java reference ferry is measured and tested against) in
# the foreground, so that the caller owns the process and can stop or kill it.
#
#   connect.sh distributed WORKER_PROPERTIES
#   connect.sh standalone WORKER_PROPERTIES [CONNECTOR_PROPERTIES...]
#
# The worker properties should set plugin.path to KAFKA_PLUGINS (default
# ~/.cache/ferry/kafka-4.4.0/plugins), where scripts/lib.sh's ensure_connect_file puts the
# FileStream connectors. KAFKA_LIBS holds the runtime's jars (ensure_kafka). CONNECT_HEAP (default
# 1g, half of the -Xmx2G Kafka's own connect-*.sh set, to spare the test machine) sizes the heap.
# The log goes to stderr.
set -euo pipefail

mode=${1:?usage: connect.sh distributed|standalone WORKER_PROPERTIES [CONNECTOR_PROPERTIES...]}
shift
libs=${KAFKA_LIBS:-$HOME/.cache/ferry/kafka-4.4.0/libs}
heap=${CONNECT_HEAP:-1g}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

[ -d "$libs" ] || { echo "connect.sh: no Kafka jars in $libs (run scripts/lib.sh's ensure_kafka)" >&2; exit 1; }
case "$mode" in
  distributed) main=org.apache.kafka.connect.cli.ConnectDistributed ;;
  standalone) main=org.apache.kafka.connect.cli.ConnectStandalone ;;
  *) echo "connect.sh: the mode is distributed or standalone, not $mode" >&2; exit 2 ;;
esac
exec java -Xms256m -Xmx"$heap" -XX:+UseG1GC -Dlog4j2.configurationFile="$here/log4j2.properties" \
  -cp "$libs/*" "$main" "$@"
