#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan, UBSan, coverage) and fuzzes the rule
# loader for a bounded time (and the cgroup-path parser of container enrichment, the
# controller's sensor-credential parsers, probe-module bundles and bundle manifests for a
# quarter of it each); fails on any crash, leak, undefined behaviour, timeout (an input
# taking over 5 s) or memory use over 2 GB.
# Usage: scripts/fuzz.sh [BUILD_DIR] [SECONDS]
# BUILD_DIR defaults to ./build/fuzz, SECONDS to 60. The inputs the fuzzer finds are kept
# in BUILD_DIR/corpus (so later runs start from them); a failing input is written to
# BUILD_DIR/artifacts/ and its path printed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build/fuzz}
seconds=${2:-60}

cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DVIGIL_FUZZ=ON -DVIGIL_BUILD_TESTS=OFF -DVIGIL_BUILD_BENCH=OFF
# Only the fuzz target and what it links (not the sensor or the gRPC code).
cmake --build "$build" -j 2 --target rule_loader_fuzz cgroup_path_fuzz sensor_token_fuzz \
  bundle_fuzz manifest_fuzz

rm -rf "$build/artifacts"
mkdir -p "$build/corpus" "$build/artifacts"
# Seeds: the malformed-rules corpus, the shipped rules, and fuzz/seeds/. New inputs go to
# the first directory only.
seeds=("$top/tests/rules/corpus/malformed" "$top/fuzz/seeds")
[[ -d $top/deploy/rules ]] && seeds+=("$top/deploy/rules")
# run_fuzzer LABEL TARGET SECONDS MAX_LEN CORPUS [SEEDS/OPTIONS...]: fuzzes TARGET for
# SECONDS from CORPUS (where new inputs go) and the rest; exits on any failure.
# -timeout=5: an input that loops must be reported as a timeout (which writes the input
# first) before it reaches the memory limit, whose report first walks the whole heap and
# can take many minutes. The outer timeout bounds the run whatever happens.
run_fuzzer() {
  local label=$1 target=$2 secs=$3 max_len=$4 corpus=$5
  shift 5
  local status=0
  mkdir -p "$corpus"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    timeout -k 30 $((secs + 180)) "$build/fuzz/$target" -max_total_time="$secs" \
    -max_len="$max_len" -rss_limit_mb=2048 -timeout=5 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/" "$corpus" "$@" || status=$?
  if ((status != 0)); then
    echo "scripts/fuzz.sh: the $label fuzzer failed (exit $status); failing inputs:" >&2
    ls -l "$build/artifacts/" >&2
    exit 1
  fi
}
run_fuzzer "rule loader" rule_loader_fuzz "$seconds" 65536 "$build/corpus" \
  -dict="$top/fuzz/rule_loader.dict" "${seeds[@]}"
quarter=$((seconds / 4))
run_fuzzer "cgroup-path" cgroup_path_fuzz "$quarter" 8192 "$build/cgroup-corpus"
run_fuzzer "sensor-credential" sensor_token_fuzz "$quarter" 20000 "$build/token-corpus" \
  "$top/fuzz/token-seeds"
run_fuzzer "bundle" bundle_fuzz "$quarter" 65536 "$build/bundle-corpus" "$top/fuzz/bundle-seeds"
run_fuzzer "bundle-manifest" manifest_fuzz "$quarter" 16384 "$build/manifest-corpus" \
  "$top/fuzz/manifest-seeds"
echo "scripts/fuzz.sh: no failure in ${seconds}s (rule loader) and $((seconds / 4))s each" \
  "(cgroup paths, sensor credentials, bundles, bundle manifests)"
