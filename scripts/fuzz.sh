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
# -timeout=5: an input that loops must be reported as a timeout (which writes the input
# first) before it reaches the memory limit, whose report first walks the whole heap and
# can take many minutes. The outer timeout bounds the run whatever happens.
status=0
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  timeout -k 30 $((seconds + 180)) "$build/fuzz/rule_loader_fuzz" -max_total_time="$seconds" \
  -max_len=65536 -rss_limit_mb=2048 -timeout=5 -dict="$top/fuzz/rule_loader.dict" \
  -print_final_stats=1 -artifact_prefix="$build/artifacts/" "$build/corpus" "${seeds[@]}" ||
  status=$?
if ((status != 0)); then
  echo "scripts/fuzz.sh: the rule loader fuzzer failed (exit $status); failing inputs:" >&2
  ls -l "$build/artifacts/" >&2
  exit 1
fi
mkdir -p "$build/cgroup-corpus"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  timeout -k 30 $((seconds / 4 + 180)) "$build/fuzz/cgroup_path_fuzz" \
  -max_total_time=$((seconds / 4)) -max_len=8192 -rss_limit_mb=2048 -timeout=5 \
  -print_final_stats=1 -artifact_prefix="$build/artifacts/" "$build/cgroup-corpus" ||
  status=$?
if ((status != 0)); then
  echo "scripts/fuzz.sh: the cgroup-path fuzzer failed (exit $status); failing inputs:" >&2
  ls -l "$build/artifacts/" >&2
  exit 1
fi
mkdir -p "$build/token-corpus"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  timeout -k 30 $((seconds / 4 + 180)) "$build/fuzz/sensor_token_fuzz" \
  -max_total_time=$((seconds / 4)) -max_len=20000 -rss_limit_mb=2048 -timeout=5 \
  -print_final_stats=1 -artifact_prefix="$build/artifacts/" "$build/token-corpus" \
  "$top/fuzz/token-seeds" || status=$?
if ((status != 0)); then
  echo "scripts/fuzz.sh: the sensor-credential fuzzer failed (exit $status); failing inputs:" >&2
  ls -l "$build/artifacts/" >&2
  exit 1
fi
mkdir -p "$build/bundle-corpus"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  timeout -k 30 $((seconds / 4 + 180)) "$build/fuzz/bundle_fuzz" \
  -max_total_time=$((seconds / 4)) -max_len=65536 -rss_limit_mb=2048 -timeout=5 \
  -print_final_stats=1 -artifact_prefix="$build/artifacts/" "$build/bundle-corpus" \
  "$top/fuzz/bundle-seeds" || status=$?
if ((status != 0)); then
  echo "scripts/fuzz.sh: the bundle fuzzer failed (exit $status); failing inputs:" >&2
  ls -l "$build/artifacts/" >&2
  exit 1
fi
mkdir -p "$build/manifest-corpus"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  timeout -k 30 $((seconds / 4 + 180)) "$build/fuzz/manifest_fuzz" \
  -max_total_time=$((seconds / 4)) -max_len=16384 -rss_limit_mb=2048 -timeout=5 \
  -print_final_stats=1 -artifact_prefix="$build/artifacts/" "$build/manifest-corpus" \
  "$top/fuzz/manifest-seeds" || status=$?
if ((status != 0)); then
  echo "scripts/fuzz.sh: the bundle-manifest fuzzer failed (exit $status); failing inputs:" >&2
  ls -l "$build/artifacts/" >&2
  exit 1
fi
echo "scripts/fuzz.sh: no failure in ${seconds}s (rule loader) and $((seconds / 4))s each" \
  "(cgroup paths, sensor credentials, bundles, bundle manifests)"
