#!/usr/bin/env bash
# Usage: connect-standalone.sh [-daemon] connect-standalone.properties [connector.properties ...]
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] connect-standalone.properties [connector1.properties connector2.properties ...]" >&2
  exit 1
fi
daemon=()
if [ "$1" = "-daemon" ]; then
  daemon=(-daemon)
  shift
fi
exec "$(dirname "${BASH_SOURCE[0]}")/ferry-run-class.sh" connectStandalone "${daemon[@]}" standalone "$@"
