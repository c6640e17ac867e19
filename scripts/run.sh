#!/usr/bin/env bash
# The main job on one machine: installs dependencies, builds, and runs the sensor with
# the default rule pack (deploy/rules), printing alerts live as JSON lines. With
# arguments, they replace the defaults and go to vigil-sensor as they are.
# Usage: sudo scripts/run.sh [vigil-sensor options]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${VIGIL_BUILD_DIR:-$top/build}

if [[ $(id -u) -ne 0 ]]; then
  echo "scripts/run.sh: run as root: the sensor loads eBPF probes" >&2
  exit 1
fi
"$top/scripts/install-deps.sh"
mkdir -p "$build"
echo "scripts/run.sh: building (log: $build/build.log)" >&2
"$top/scripts/build.sh" "$build" > "$build/build.log" 2>&1 || { tail -50 "$build/build.log"; exit 1; }
if [[ $# -eq 0 ]]; then
  set -- --rules "$top/deploy/rules" --print-alerts
fi
exec "$build/bin/vigil-sensor" "$@"
