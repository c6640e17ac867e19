#!/usr/bin/env bash
# Configures and builds Vigil out of tree. Usage: scripts/build.sh [BUILD_DIR] [cmake args]
# BUILD_DIR defaults to ./build. Binaries land in BUILD_DIR/bin.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
shift || true
# ccache settings that let a build in another checkout (a fresh clone, the image's build
# stage) reuse objects compiled here: paths relative to the source tree, no working
# directory in the hash, the compiler identified by content rather than by mtime, and the
# same locale (ccache hashes LANG and LC_*, which change the compiler's messages).
export CCACHE_BASEDIR="$top" CCACHE_NOHASHDIR=true CCACHE_COMPILERCHECK=content LANG=C.UTF-8
unset LC_ALL LC_CTYPE LC_MESSAGES
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build "$build" -j "$(nproc)"
