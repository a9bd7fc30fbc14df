# Shared by the scripts: installing what is missing and running a local Apache Kafka broker.
# shellcheck shell=bash

KAFKA_VERSION=4.4.0
# Downloads live outside the work tree, so a fresh clone on the same machine reuses them.
FERRY_CACHE=${FERRY_CACHE:-$HOME/.cache/ferry}
export KAFKA_LIBS=${KAFKA_LIBS:-$FERRY_CACHE/kafka-$KAFKA_VERSION/libs}
FERRY_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '==> %s\n' "$*" >&2; }

# Debian packages needed to build ferry (librdkafka is compiled from source by rdkafka-sys).
ensure_build_tools() {
  local missing=()
  command -v cc >/dev/null 2>&1 || missing+=(build-essential)
  command -v make >/dev/null 2>&1 || missing+=(make)
  command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  [ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
  apt_install "${missing[@]}"
}

# apt_install PACKAGE...: installs the Debian packages given (none: nothing to do).
apt_install() {
  [ $# -gt 0 ] || return 0
  log "installing Debian packages: $*"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# Apache Kafka's jars (broker, tools, Kafka Connect) from Maven Central into KAFKA_LIBS, once.
ensure_kafka() {
  local missing=()
  command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  apt_install "${missing[@]}"
  if [ -f "$KAFKA_LIBS/.complete" ]; then
    return
  fi
  log "fetching Apache Kafka $KAFKA_VERSION's jars from Maven Central into $KAFKA_LIBS (once)"
  rm -rf "$KAFKA_LIBS"
  mkdir -p "$KAFKA_LIBS"
  mvn -B -q -f "$FERRY_SCRIPTS/kafka/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS"
  touch "$KAFKA_LIBS/.complete"
}

# The FileStream connectors for the Java Kafka Connect reference, in a folder of their own on its
# plugin.path (Kafka loads connectors from there, not from the classpath). Maven Central has no
# connect-file 4.4.0, and the 4.3.1 jar fails on the 4.4.0 runtime (it calls
# org.apache.kafka.common.utils.AppInfoParser, which 4.4.0 moved to ...utils.internals). So the
# 4.3.1 sources are compiled here against the 4.4.0 jars, with that one import moved.
CONNECT_FILE_VERSION=4.3.1
export KAFKA_PLUGINS=${KAFKA_PLUGINS:-$FERRY_CACHE/kafka-$KAFKA_VERSION/plugins}
ensure_connect_file() {
  local dest="$KAFKA_PLUGINS/connect-file"
  if [ -f "$dest/.complete" ]; then
    return
  fi
  command -v javac >/dev/null 2>&1 || apt_install openjdk-17-jdk-headless
  log "building connect-file $CONNECT_FILE_VERSION (the Java FileStream connectors) for Kafka Connect $KAFKA_VERSION into $dest (once)"
  local build
  build=$(mktemp -d "${TMPDIR:-/tmp}/connect-file.XXXXXX")
  mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact="org.apache.kafka:connect-file:$CONNECT_FILE_VERSION:jar:sources" -DoutputDirectory="$build"
  (cd "$build" && mkdir src classes && cd src && jar xf "../connect-file-$CONNECT_FILE_VERSION-sources.jar")
  sed -i 's/import org\.apache\.kafka\.common\.utils\.AppInfoParser;/import org.apache.kafka.common.utils.internals.AppInfoParser;/' \
    "$build"/src/org/apache/kafka/connect/file/*.java
  javac -nowarn -d "$build/classes" -cp "$KAFKA_LIBS/*" "$build"/src/org/apache/kafka/connect/file/*.java
  cp -r "$build/src/META-INF" "$build/classes/"
  rm -rf "$dest"
  mkdir -p "$dest"
  jar cf "$dest/connect-file-$CONNECT_FILE_VERSION-for-$KAFKA_VERSION.jar" -C "$build/classes" .
  rm -rf "$build"
  touch "$dest/.complete"
}

# ferry's Java plugin host (java/plugin-host, docs/design/java-host-protocol.md) built into
# $FERRY_CACHE/java-host/<hash of its pom.xml and src/>/ (host.jar, lib/*.jar), once per change of
# those files, and exported as FERRY_JAVA_HOST. Maven builds a copy in a temporary folder, so the
# work tree gets no target/; the finished folder is moved into place whole, .complete written last.
ensure_java_host() {
  local src="$FERRY_SCRIPTS/../java/plugin-host" hash dest build
  # tools/ (the probe) and a stray target/ do not change what is built.
  hash=$(cd "$src" && find pom.xml src -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
  dest="$FERRY_CACHE/java-host/$hash"
  export FERRY_JAVA_HOST="$dest"
  if [ -f "$dest/.complete" ]; then
    return
  fi
  command -v javac >/dev/null 2>&1 || apt_install openjdk-17-jdk-headless
  command -v mvn >/dev/null 2>&1 || apt_install maven
  log "building ferry's Java plugin host into $dest (once per change of java/plugin-host)"
  build=$(mktemp -d "${TMPDIR:-/tmp}/ferry-java-host.XXXXXX")
  cp -r "$src/pom.xml" "$src/src" "$build/"
  if ! mvn -B -q -f "$build/pom.xml" package; then
    rm -rf "$build"
    return 1
  fi
  mkdir -p "$build/out/lib" "$FERRY_CACHE/java-host"
  cp "$build/target/host.jar" "$build/out/"
  cp "$build/target/lib/"*.jar "$build/out/lib/"
  touch "$build/out/.complete"
  rm -rf "$dest"
  mv "$build/out" "$dest"
  rm -rf "$build"
}

# What the console's browser tests need (tests/tests/console.rs): Debian's Chromium, Node.js and
# npm's playwright-core (the version tests/browser/package.json pins), installed into the cache
# once; exports FERRY_TEST_CHROMIUM and FERRY_TEST_NODE_MODULES.
ensure_browser() {
  local missing=() src="$FERRY_SCRIPTS/../tests/browser" dest hash
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  apt_install "${missing[@]}"
  hash=$(sha256sum "$src/package.json" | cut -c1-12)
  dest="$FERRY_CACHE/browser-tests/$hash"
  if [ ! -f "$dest/.complete" ]; then
    log "installing playwright-core for the console's browser tests into $dest"
    mkdir -p "$dest"
    cp "$src/package.json" "$dest/"
    (cd "$dest" && npm install --no-audit --no-fund --loglevel=error) || return 1
    touch "$dest/.complete"
  fi
  export FERRY_TEST_CHROMIUM=/usr/bin/chromium
  export FERRY_TEST_NODE_MODULES="$dest/node_modules"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() {
  local port=$1 tries=${2:-100}
  for _ in $(seq "$tries"); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# wait_for_kafka DIR PID [SECONDS]: waits until the node in DIR says it started (the log counts
# starts, so a restarted node waits for its new line), or fails with the end of its log.
wait_for_kafka() {
  local dir=$1 pid=$2 tries=$(( ${3:-90} * 10 )) before=${KAFKA_STARTS_BEFORE:-0}
  local started
  for _ in $(seq "$tries"); do
    started=$(grep -c 'Kafka Server started' "$dir/server.log" 2>/dev/null || true)
    if [ "${started:-0}" -gt "$before" ]; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  log "the Kafka node in $dir did not start; the end of its log:"
  tail -n 30 "$dir/server.log" >&2
  return 1
}

# start_kafka DIR: a single-node Apache Kafka (KRaft, broker and controller in one process) on
# free loopback ports, data in DIR. Sets KAFKA_PID and KAFKA_BOOTSTRAP.
start_kafka() {
  local dir=$1 port cport
  port=$(free_port)
  cport=$(free_port)
  mkdir -p "$dir"
  "$FERRY_SCRIPTS/kafka/broker.sh" "$dir" 1 "$port" "1@127.0.0.1:$cport" &
  KAFKA_PID=$!
  wait_for_kafka "$dir" "$KAFKA_PID"
  KAFKA_BOOTSTRAP=127.0.0.1:$port
  log "Apache Kafka $KAFKA_VERSION on $KAFKA_BOOTSTRAP (pid $KAFKA_PID, data in $dir)"
}

# stop_kafka PID...: stops the nodes gracefully and waits for them.
stop_kafka() {
  local pid
  for pid in "$@"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "$@"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
}
