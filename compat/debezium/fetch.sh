#!/usr/bin/env bash
# Puts Debezium 3.6.1.Final's binlog source connectors, with their runtime dependencies, into Kafka
# Connect plugin folders (one folder a connector, as Kafka Connect's plugin.path wants them):
#
#   ~/.cache/ferry/debezium-3.6.1/plugins/mysql/    io.debezium.connector.mysql.MySqlConnector
#   ~/.cache/ferry/debezium-3.6.1/plugins/mariadb/  io.debezium.connector.mariadb.MariaDbConnector
#   ~/.cache/ferry/debezium-3.6.1/plugins/jdbc/     io.debezium.connector.jdbc.JdbcSinkConnector
#
#   fetch.sh [mysql|mariadb|jdbc|all]     (default: all)
#
# Kafka's own jars (the org.apache.kafka group: connect-api, kafka-clients...) are left out: Kafka
# Connect provides them; so are those that come only through them (slf4j-api, lz4-java,
# snappy-java, jakarta.ws.rs-api), as in Debezium's own plugin archives. A folder already complete (it holds .complete) is left as it is.
#
# The MariaDB connector: Maven Central as reached from here serves debezium-connector-mariadb up to
# 3.5.0.Final only, not 3.6.1.Final (its dependencies, debezium-connector-binlog etc., are there).
# So when the 3.6.1.Final jar cannot be resolved, it is compiled here from its own sources at the
# tag v3.6.1.Final (mariadb-src/, unchanged: Apache License 2.0) against the 3.6.1.Final jars it
# depends on, exactly as its pom.xml at that tag lists them. The folder says which way it was made
# (its file HOW).
#
# The JDBC sink: its folder is Debezium's own plugin archive
# (io.debezium:debezium-connector-jdbc:VERSION:tar.gz:plugin) unpacked as it is, with every jar it
# ships: the connector, Hibernate, and the PostgreSQL, MySQL, MariaDB, SQL Server and Oracle JDBC
# drivers. Maven Central as reached from here has no debezium-connector-jdbc 3.6.1.Final at all
# (neither the jar, nor the pom, nor the plugin archive); its newest is 3.6.0.Final. So when
# 3.6.1.Final cannot be had, the 3.6.0.Final archive is taken instead, and the folder's HOW says
# so. Between the tags v3.6.0.Final and v3.6.1.Final the JDBC sink's code changed only in the
# PostgreSQL array, pgvector and tsvector types, and debezium-sink not at all. The archive carries
# kafka-clients-4.3.0.jar itself, which already holds the Sanitizer class named below.
#
# One class more, in each folder: Debezium 3.6.1.Final is built against Kafka 4.3.0 and its
# io.debezium.metrics.Metrics calls org.apache.kafka.common.utils.Sanitizer, which Kafka 4.4.0
# moved to org.apache.kafka.common.utils.internals (as it did AppInfoParser). On Kafka Connect 4.4.0
# the task then fails at start with NoClassDefFoundError (it names JMX metrics with it). So that one
# class, unchanged, is taken from kafka-clients 4.3.0 into kafka-clients-4.3.0-Sanitizer.jar in the
# plugin folder; Connect's plugin class loader finds there what its parent lacks. It is the only
# org.apache.kafka class the Debezium jars use that Kafka 4.4.0 does not have.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../scripts/lib.sh"

DEBEZIUM_VERSION=3.6.1.Final
export DEBEZIUM_PLUGINS=${DEBEZIUM_PLUGINS:-$FERRY_CACHE/debezium-3.6.1/plugins}
DEP=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

# mvn_quiet ARGS...: Maven in batch mode; its output is shown only when it fails.
mvn_quiet() {
  local out
  out=$(mktemp "${TMPDIR:-/tmp}/debezium-mvn.XXXXXX")
  if mvn -B -q -Dstyle.color=never "$@" >"$out" 2>&1; then
    rm -f "$out"
  else
    sed 's/\x1b\[[0-9;]*m//g' "$out" >&2
    rm -f "$out"
    return 1
  fi
}

# copy_deps PROFILE DEST: the runtime dependencies of the pom's PROFILE, less org.apache.kafka, into DEST.
copy_deps() {
  mvn_quiet -f "$here/pom.xml" -P"$1" "$DEP:copy-dependencies" \
    -DincludeScope=runtime -DexcludeGroupIds=org.apache.kafka -DoutputDirectory="$2" \
    -DexcludeArtifactIds=slf4j-api,lz4-java,snappy-java,jakarta.ws.rs-api
}

fetch_mysql() {
  local dest=$DEBEZIUM_PLUGINS/mysql
  if [ -f "$dest/.complete" ]; then
    log "Debezium $DEBEZIUM_VERSION MySQL connector: already in $dest"
    return
  fi
  log "Debezium $DEBEZIUM_VERSION MySQL connector: resolving io.debezium:debezium-connector-mysql and its runtime dependencies from Maven Central into $dest"
  rm -rf "$dest"
  mkdir -p "$dest"
  copy_deps mysql "$dest"
  echo "io.debezium:debezium-connector-mysql:$DEBEZIUM_VERSION from Maven Central" >"$dest/HOW"
  touch "$dest/.complete"
  log "Debezium MySQL connector: $(find "$dest" -name '*.jar' | wc -l) jars in $dest"
}

fetch_mariadb() {
  local dest=$DEBEZIUM_PLUGINS/mariadb
  if [ -f "$dest/.complete" ]; then
    log "Debezium $DEBEZIUM_VERSION MariaDB connector: already in $dest ($(cat "$dest/HOW"))"
    return
  fi
  rm -rf "$dest"
  mkdir -p "$dest"
  log "Debezium $DEBEZIUM_VERSION MariaDB connector: trying io.debezium:debezium-connector-mariadb:$DEBEZIUM_VERSION from Maven Central"
  if copy_deps mariadb "$dest" 2>/dev/null; then
    echo "io.debezium:debezium-connector-mariadb:$DEBEZIUM_VERSION from Maven Central" >"$dest/HOW"
  else
    log "Maven Central does not serve debezium-connector-mariadb $DEBEZIUM_VERSION here: compiling it from its sources at v$DEBEZIUM_VERSION (mariadb-src/)"
    rm -rf "$dest"
    mkdir -p "$dest"
    command -v javac >/dev/null 2>&1 || apt_install openjdk-17-jdk-headless
    ensure_kafka # connect-api and kafka-clients to compile against (provided at run time by Connect)
    log "resolving what debezium-connector-mariadb $DEBEZIUM_VERSION depends on (debezium-connector-binlog, mariadb-java-client...)"
    copy_deps mariadb-source "$dest"
    local build
    build=$(mktemp -d "${TMPDIR:-/tmp}/debezium-mariadb.XXXXXX")
    tar -xzf "$here/mariadb-src/debezium-connector-mariadb-$DEBEZIUM_VERSION-src.tar.gz" -C "$build"
    local src=$build/debezium-$DEBEZIUM_VERSION/debezium-connector-mariadb/src/main
    mkdir -p "$build/classes"
    log "compiling $(find "$src/java" -name '*.java' | wc -l) Java sources (javac --release 17)"
    find "$src/java" -name '*.java' >"$build/sources.txt"
    javac -nowarn -encoding UTF-8 --release 17 -proc:none -d "$build/classes" \
      -cp "$dest/*:$KAFKA_LIBS/*" @"$build/sources.txt"
    cp -r "$src/resources/." "$build/classes/"
    # Maven's resource filtering, which the Debezium build applies to build.version.
    sed -i "s/\${project.version}/$DEBEZIUM_VERSION/" "$build/classes/io/debezium/connector/mariadb/build.version"
    jar cf "$dest/debezium-connector-mariadb-$DEBEZIUM_VERSION.jar" -C "$build/classes" .
    rm -rf "$build"
    echo "io.debezium:debezium-connector-mariadb:$DEBEZIUM_VERSION compiled from its sources at the tag v$DEBEZIUM_VERSION (compat/debezium/mariadb-src/) against the $DEBEZIUM_VERSION jars from Maven Central" >"$dest/HOW"
  fi
  touch "$dest/.complete"
  log "Debezium MariaDB connector: $(find "$dest" -name '*.jar' | wc -l) jars in $dest ($(cat "$dest/HOW"))"
}

# fetch_jdbc: Debezium's plugin archive of the JDBC sink, unpacked into plugins/jdbc/ (see above).
JDBC_FALLBACK_VERSION=3.6.0.Final # the newest debezium-connector-jdbc Maven Central serves here
fetch_jdbc() {
  local dest=$DEBEZIUM_PLUGINS/jdbc
  if [ -f "$dest/.complete" ]; then
    log "Debezium JDBC sink: already in $dest ($(cat "$dest/HOW"))"
    return
  fi
  rm -rf "$dest"
  mkdir -p "$dest"
  local build version=$DEBEZIUM_VERSION
  build=$(mktemp -d "${TMPDIR:-/tmp}/debezium-jdbc.XXXXXX")
  log "Debezium JDBC sink: trying io.debezium:debezium-connector-jdbc:$version:tar.gz:plugin from Maven Central"
  if ! mvn_quiet "$DEP:copy" -Dartifact="io.debezium:debezium-connector-jdbc:$version:tar.gz:plugin" \
       -DoutputDirectory="$build" 2>/dev/null; then
    version=$JDBC_FALLBACK_VERSION
    log "Maven Central does not serve debezium-connector-jdbc $DEBEZIUM_VERSION here: taking $version, the newest it serves"
    mvn_quiet "$DEP:copy" -Dartifact="io.debezium:debezium-connector-jdbc:$version:tar.gz:plugin" \
      -DoutputDirectory="$build"
  fi
  tar -xzf "$build/debezium-connector-jdbc-$version-plugin.tar.gz" -C "$dest" --strip-components=1
  rm -rf "$build"
  if [ "$version" = "$DEBEZIUM_VERSION" ]; then
    echo "io.debezium:debezium-connector-jdbc:$version:tar.gz:plugin from Maven Central, unpacked unchanged" >"$dest/HOW"
  else
    echo "io.debezium:debezium-connector-jdbc:$version:tar.gz:plugin from Maven Central, unpacked unchanged (NOT $DEBEZIUM_VERSION: Maven Central serves no debezium-connector-jdbc $DEBEZIUM_VERSION; $version is the newest it has)" >"$dest/HOW"
  fi
  touch "$dest/.complete"
  log "Debezium JDBC sink: $(find "$dest" -name '*.jar' | wc -l) jars in $dest ($(cat "$dest/HOW"))"
}

# sanitizer_shim DEST: kafka-clients 4.3.0's org.apache.kafka.common.utils.Sanitizer into DEST.
SHIM_KAFKA_VERSION=4.3.0 # the connect-api/kafka-clients version Debezium 3.6.1.Final depends on
sanitizer_shim() {
  local dest=$1 jar=kafka-clients-$SHIM_KAFKA_VERSION-Sanitizer.jar
  [ -f "$dest/$jar" ] && return
  log "adding org.apache.kafka.common.utils.Sanitizer from kafka-clients $SHIM_KAFKA_VERSION to $dest (Kafka 4.4.0 moved it; Debezium 3.6.1 calls it)"
  local build
  build=$(mktemp -d "${TMPDIR:-/tmp}/debezium-shim.XXXXXX")
  mvn_quiet "$DEP:copy" -Dartifact="org.apache.kafka:kafka-clients:$SHIM_KAFKA_VERSION" -DoutputDirectory="$build"
  python3 - "$build/kafka-clients-$SHIM_KAFKA_VERSION.jar" "$dest/$jar" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as src, zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as out:
    for name in src.namelist():
        if name.startswith("org/apache/kafka/common/utils/Sanitizer") and name.endswith(".class"):
            out.writestr(name, src.read(name))
PY
  rm -rf "$build"
}

case ${1:-all} in
  mysql) fetch_mysql; sanitizer_shim "$DEBEZIUM_PLUGINS/mysql" ;;
  mariadb) fetch_mariadb; sanitizer_shim "$DEBEZIUM_PLUGINS/mariadb" ;;
  jdbc) fetch_jdbc ;;
  all)
    fetch_mysql; sanitizer_shim "$DEBEZIUM_PLUGINS/mysql"
    fetch_mariadb; sanitizer_shim "$DEBEZIUM_PLUGINS/mariadb"
    fetch_jdbc
    ;;
  *) echo "usage: fetch.sh [mysql|mariadb|jdbc|all]" >&2; exit 2 ;;
esac
