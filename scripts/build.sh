#!/usr/bin/env bash
# Configures and builds Vigil out of tree. Usage: scripts/build.sh [BUILD_DIR] [cmake args]
# BUILD_DIR defaults to ./build. Binaries land in BUILD_DIR/bin.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
shift || true
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build "$build" -j "$(nproc)"
