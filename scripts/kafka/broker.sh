#!/usr/bin/env bash
# Runs one Apache Kafka 4.4.0 node in KRaft mode (broker and controller in one process), in the
# foreground, so that the caller owns the process and can stop or kill it.
#
#   broker.sh DIR NODE_ID PORT CONTROLLER_VOTERS [CLUSTER_ID]
#
# DIR holds server.properties, the log (DIR/server.log) and the data; a DIR already formatted is
# reused as it is, so a node stopped and started again keeps its data. CONTROLLER_VOTERS is
# Kafka's `controller.quorum.voters`, e.g. `1@127.0.0.1:9093` for one node or three entries for a
# cluster; this node's controller listens on its own entry's port. Replication factors follow the
# number of voters. KAFKA_LIBS (default ~/.cache/ferry/kafka-4.4.0/libs) holds the jars, which
# scripts/lib.sh's ensure_kafka fetches. KAFKA_HEAP (default 512m) sizes the heap; KAFKA_EXTRA_PROPS
# adds broker settings.
set -euo pipefail

dir=$1 node=$2 port=$3 voters=$4 cluster_id=${5:-}
libs=${KAFKA_LIBS:-$HOME/.cache/ferry/kafka-4.4.0/libs}
heap=${KAFKA_HEAP:-512m}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

[ -d "$libs" ] || { echo "broker.sh: no Kafka jars in $libs (run scripts/lib.sh's ensure_kafka)" >&2; exit 1; }
cport=""
IFS=, read -ra entries <<<"$voters"
for entry in "${entries[@]}"; do
  if [ "${entry%%@*}" = "$node" ]; then cport=${entry##*:}; fi
done
[ -n "$cport" ] || { echo "broker.sh: node $node is not among the voters $voters" >&2; exit 1; }
replicas=${#entries[@]}
min_isr=$(( replicas > 1 ? 2 : 1 ))

mkdir -p "$dir/data"
cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=$replicas
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$replicas
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$replicas
transaction.state.log.min.isr=$min_isr
share.coordinator.state.topic.replication.factor=$replicas
share.coordinator.state.topic.min.isr=$min_isr
group.initial.rebalance.delay.ms=0
PROPS
# KAFKA_EXTRA_PROPS: more broker settings, one per line (e.g. a lower group.min.session.timeout.ms)
if [ -n "${KAFKA_EXTRA_PROPS:-}" ]; then
  printf '%s\n' "$KAFKA_EXTRA_PROPS" >>"$dir/server.properties"
fi

java_cmd=(java -Dlog4j2.configurationFile="$here/log4j2.properties" -cp "$libs/*")
if [ ! -f "$dir/data/meta.properties" ]; then
  [ -n "$cluster_id" ] || cluster_id=$("${java_cmd[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null)
  "${java_cmd[@]}" kafka.tools.StorageTool format --ignore-formatted -t "$cluster_id" \
    -c "$dir/server.properties" >>"$dir/server.log" 2>&1
fi
exec "${java_cmd[@]}" -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC kafka.Kafka "$dir/server.properties" >>"$dir/server.log" 2>&1
