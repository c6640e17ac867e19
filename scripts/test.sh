#!/usr/bin/env bash
# The test command: installs dependencies, builds once, and runs the whole test suite:
# unit tests, the real-kernel tests on every kernel of the kernel matrix (the host's own
# kernel natively, Debian's 5.10, 6.1 and 6.12 in qemu), the Helm chart, the container
# image, the rule loader under libFuzzer, and everything again under ASan and UBSan.
# Usage: sudo scripts/test.sh [BUILD_DIR]
#
# Stages run in the order below; the kernel matrix's VMs run in the background from the
# end of the unit tests until the sanitizer pass has built, so emulation overlaps the
# stages that wait on the network or on one core. Each stage's wall time is printed at
# the end (and written to BUILD_DIR/test-stages.tsv); README.md lists what each costs.
#
# Env knobs: VIGIL_VM_* (tests/vm/run-matrix.sh), VIGIL_FUZZ_SECONDS (default 60).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}

if [[ $(id -u) -ne 0 ]]; then
  echo "scripts/test.sh: run as root: the real-kernel tests load eBPF probes" >&2
  exit 1
fi

stages=()
stage_start=$SECONDS
# Records the wall time of the stage that just ended.
stage_done() {
  stages+=("$1	$((SECONDS - stage_start))")
  echo "scripts/test.sh: stage '$1' took $((SECONDS - stage_start)) s" >&2
  stage_start=$SECONDS
}
report_stages() {
  mkdir -p "$build"
  printf '%s\n' "${stages[@]}" >"$build/test-stages.tsv"
  echo "scripts/test.sh: stage wall times (seconds):" >&2
  printf '  %s\n' "${stages[@]}" >&2
}
matrix_pid=""
cleanup() {
  if [[ -n $matrix_pid ]]; then kill -TERM "$matrix_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

"$top/scripts/install-deps.sh"
stage_done deps

# C++ sources must be clang-formatted (.clang-format); BPF C is left as written.
mapfile -t sources < <(cd "$top" && git ls-files '*.cc' '*.h' | grep -v '^bpf/')
(cd "$top" && clang-format --dry-run --Werror "${sources[@]}")
stage_done format

"$top/scripts/build.sh" "$build"
stage_done build

cd "$build"
ctest --output-on-failure -j "$(nproc)" -L unit
stage_done unit

# The kernel matrix (tests/vm/): the host column first and alone (real-kernel tests
# natively, timing-sensitive), then the VMs in the background.
matrix=$build/kernel-matrix
rm -rf "$matrix"
host_rc=0
"$top/tests/vm/run-matrix.sh" "$build" "$matrix" host || host_rc=$?
stage_done kernel-host
mapfile -t vm_ids < <(. "$top/tests/vm/common.sh" && vm_conf_ids | grep -vx host)
# A column's limit (run-matrix.sh): under TCG, sharing the CPUs with the sanitizer build, a
# column takes about 20 minutes.
export VIGIL_VM_TIMEOUT=${VIGIL_VM_TIMEOUT:-2400}
"$top/tests/vm/run-matrix.sh" "$build" "$matrix" "${vm_ids[@]}" >"$build/kernel-matrix.log" 2>&1 &
matrix_pid=$!

# The Helm chart, rendered offline (Go text/template + sprig) with default and other
# values, every manifest parsed and checked (deploy/helm/vigil/README.md).
"$top/scripts/check-chart.sh" "$build"
stage_done chart
# The container image, built with podman on an offline debootstrap base (its build stage
# reuses what the build above compiled, through ccache), and each binary's --version run
# inside it (docs/image.md).
"$top/scripts/build-image.sh"
stage_done image
# The rule loader under libFuzzer (clang, ASan, UBSan) for a bounded time.
"$top/scripts/fuzz.sh" "$build/fuzz" "${VIGIL_FUZZ_SECONDS:-60}"
stage_done fuzz

# Second pass: everything again with AddressSanitizer and UndefinedBehaviorSanitizer,
# unit tests and the host's real-kernel tests (which then run the instrumented sensor;
# the VMs run the real-kernel tests once, uninstrumented).
"$top/scripts/build.sh" "$build/sanitize" -DVIGIL_SANITIZE=ON -DVIGIL_BUILD_BENCH=OFF
stage_done sanitize-build
# alloc_dealloc_mismatch is off: Debian's gRPC 1.51 core allocates with new(nothrow) and
# releases with free() (grpc_core::ChannelInit), which ASan would report in every test
# that starts a gRPC server. Leaks inside system libraries are suppressed
# (tests/lsan.supp). Every other check stays on.
sanitize_env=(ASAN_OPTIONS=alloc_dealloc_mismatch=0
  LSAN_OPTIONS="suppressions=$top/tests/lsan.supp"
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1)
(cd "$build/sanitize" && env "${sanitize_env[@]}" ctest --output-on-failure -j "$(nproc)" -L unit)
stage_done sanitize-unit

matrix_rc=0
wait "$matrix_pid" || matrix_rc=$?
matrix_pid=""
stage_done kernel-vms
# Runs after the VMs: the host's real-kernel tests are timing-sensitive.
(cd "$build/sanitize" && env "${sanitize_env[@]}" ctest --output-on-failure -j "$(nproc)" -L kernel)
stage_done sanitize-kernel

# The whole matrix, host column included: one table, and the verdict.
summary_rc=0
"$top/tests/vm/summarize.sh" "$matrix" || summary_rc=$?
report_stages
if ((host_rc != 0 || matrix_rc != 0 || summary_rc != 0)); then
  echo "scripts/test.sh: the kernel matrix failed (host $host_rc, VMs $matrix_rc);" \
    "see $matrix/summary.md, $build/kernel-matrix.log and $matrix/*/tests.log" >&2
  exit 1
fi
echo "scripts/test.sh: all tests passed"
