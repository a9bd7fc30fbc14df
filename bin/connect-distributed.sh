#!/usr/bin/env bash
# Usage: connect-distributed.sh [-daemon] connect-distributed.properties
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] connect-distributed.properties" >&2
  exit 1
fi
daemon=()
if [ "$1" = "-daemon" ]; then
  daemon=(-daemon)
  shift
fi
exec "$(dirname "${BASH_SOURCE[0]}")/ferry-run-class.sh" connectDistributed "${daemon[@]}" distributed "$@"
