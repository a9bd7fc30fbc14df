# Shared by the scripts: installing what is missing and running a local tansu broker.
# shellcheck shell=bash

TANSU_VERSION=0.6.0
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '==> %s\n' "$*" >&2; }

# Debian packages needed to build ferry (librdkafka is compiled from source by rdkafka-sys).
ensure_build_tools() {
  local missing=()
  command -v cc >/dev/null 2>&1 || missing+=(build-essential)
  command -v make >/dev/null 2>&1 || missing+=(make)
  command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  [ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
  fi
}

# The test broker, tansu, from crates.io (about 13 minutes to build once; then cached).
ensure_tansu() {
  if command -v tansu >/dev/null 2>&1; then
    return
  fi
  log "installing tansu $TANSU_VERSION (a Kafka-compatible broker) with cargo install; this takes a while once"
  cargo install --locked tansu --version "$TANSU_VERSION" --features dynostore,libsql
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

# start_tansu DIR PORT STORAGE: starts tansu in DIR (where a sqlite file lands), sets TANSU_PID.
start_tansu() {
  local dir=$1 port=$2 storage=$3
  mkdir -p "$dir"
  (cd "$dir" && exec tansu broker \
      --listener-url "tcp://127.0.0.1:$port" \
      --advertised-listener-url "tcp://127.0.0.1:$port" \
      --storage-engine "$storage" >"$dir/tansu.log" 2>&1) &
  TANSU_PID=$!
  if ! wait_for_port "$port" 300; then
    log "tansu did not start; its log:"
    cat "$dir/tansu.log" >&2
    return 1
  fi
  log "tansu broker on 127.0.0.1:$port (pid $TANSU_PID, storage $storage)"
}
