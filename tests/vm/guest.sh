#!/usr/bin/env bash
# One column of the kernel matrix, run on the kernel under test: inside a VM (started by
# tests/vm/initramfs-init.sh, chrooted into the host's root) or natively on the host.
#   1. records the kernel release and the active LSMs;
#   2. runs `vigil-sensor --check` and lets it choose the attach modes (check.out,
#      check.err: stdout's first line is the sensor_start record);
#   3. forces each attach mode in turn (check-MODE.out, check-MODE.err): ok; unsupported
#      (the kernel lacks what the mode needs: the sensor says "unsupported by this
#      kernel"); refused (the kernel refused Vigil's programs); unknown (this sensor does
#      not have the mode); timeout; error (the sensor could not be run);
#   4. runs the real-kernel tests (tests.log, tests.xml).
# Everything goes to OUT_DIR; OUT_DIR/status collects key=value lines as it goes (a key may
# repeat: warning), so a run cut short still says how far it got. The exit code is 0 when
# the automatic check and the tests passed.
#
# Usage: tests/vm/guest.sh BUILD_DIR OUT_DIR     (as root)
#
# Env knobs:
#   VIGIL_VM_GTEST_FILTER  gtest filter for the tests (default: all of them)
#   VIGIL_VM_BENCH         1: also run the attach-mode benchmark (bench/run_overhead.sh
#                          --modes ..., --quick under emulation) into OUT_DIR/bench.txt
#   VIGIL_VM_ATTACH_MODES  modes to force (default "fentry tp_btf raw_tp tracepoint")
#   VIGIL_VM_CHECK_TIMEOUT seconds one --check may take (default 600: the verifier is slow
#                          under emulation)
set -euo pipefail

(($# == 2)) || {
  echo "usage: $0 BUILD_DIR OUT_DIR" >&2
  exit 2
}
build=$(cd "$1" && pwd)
out=$2
mkdir -p "$out"
out=$(cd "$out" && pwd)
sensor=$build/bin/vigil-sensor
tests=$build/tests/vigil_kernel_tests
modes=${VIGIL_VM_ATTACH_MODES:-fentry tp_btf raw_tp tracepoint}
check_timeout=${VIGIL_VM_CHECK_TIMEOUT:-600}
status=$out/status
: >"$status"

say() { echo "guest.sh: $*"; }
# Appends KEY=VALUE to the status file, the value on one line.
put() { printf '%s=%s\n' "$1" "$(printf '%s' "$2" | tr '\n\r\t' '   ')" >>"$status"; }
warn() {
  say "warning: $*"
  put warning "$*"
}

put started "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
put kernel "$(uname -r)"
put where "$([[ -n ${VIGIL_VM_GUEST:-} ]] && echo vm || echo native)"
put lsm "$(cat /sys/kernel/security/lsm 2>/dev/null || echo unknown)"
put btf "$([[ -r /sys/kernel/btf/vmlinux ]] && echo yes || echo no)"
say "kernel $(uname -r), LSMs $(cat /sys/kernel/security/lsm 2>/dev/null || echo unknown)"

# What the tests rely on besides the kernel: they say what they miss too, but a missing
# piece here explains a whole group of failures at once.
[[ $(id -u) == 0 ]] || warn "not root: the probes cannot load"
[[ -x $sensor ]] || warn "no $sensor"
[[ -x $tests ]] || warn "no $tests"
[[ -x $build/tests/vigil-test-helper ]] || warn "no vigil-test-helper next to the tests"
getent passwd nobody >/dev/null || warn "no user nobody (the setuid tests run as nobody)"
[[ -x /usr/bin/prometheus ]] || warn "no /usr/bin/prometheus (the metrics end-to-end test)"
command -v jq >/dev/null || warn "no jq: attach modes are not extracted"
[[ -e /sys/fs/cgroup/cgroup.procs ]] || warn "no cgroup2 at /sys/fs/cgroup"
[[ -d /sys/fs/bpf ]] || warn "no bpffs at /sys/fs/bpf"
if [[ -r /sys/class/net/lo/flags ]] && (($(cat /sys/class/net/lo/flags) % 2 == 0)); then
  warn "loopback is down"
fi

# The first line of a failed --check's error (the sensor's error comes last; its first
# line starts with the program name, detail lines follow).
error_line() {
  local line
  line=$(grep -E '^vigil-sensor: ' "$1" | tail -n 1 || true)
  [[ -n $line ]] || line=$(grep -m 1 -v '^[[:space:]]*$' "$1" || true)
  printf '%s' "${line#vigil-sensor: }"
}

# Runs vigil-sensor --check ARGS into OUT_DIR/NAME.{out,err}; sets rc and seconds.
run_check() {
  local name=$1 start
  shift
  start=$(date +%s)
  rc=0
  timeout --kill-after=10 "$check_timeout" "$sensor" --check "$@" \
    >"$out/$name.out" 2>"$out/$name.err" </dev/null || rc=$?
  seconds=$(($(date +%s) - start))
}

say "vigil-sensor --check"
run_check check
put check_rc "$rc"
put check_seconds "$seconds"
if ((rc == 0)); then
  if command -v jq >/dev/null; then
    start_record=$(head -n 1 "$out/check.out")
    put check_modes "$(jq -r '[.modules[] | "\(.name)=\(.attach_mode)"] | join(",")' <<<"$start_record" 2>/dev/null || echo unparsed)"
    put check_skipped "$(jq -r '[.modules[] | .name as $m | .skipped[] | "\($m):\(.)"] | join(",")' <<<"$start_record" 2>/dev/null || true)"
  fi
else
  put check_error "$(error_line "$out/check.err")"
fi
say "check: rc=$rc $(grep '^check_modes=' "$status" || grep '^check_error=' "$status")"

put modes "$modes"
for mode in $modes; do
  run_check "check-$mode" --attach-mode "$mode"
  if ((rc == 0)); then
    result=ok
  elif ((rc == 124 || rc == 137)); then
    result=timeout
  elif ((rc == 126 || rc == 127)); then
    result=error
  elif grep -q 'unknown attach mode' "$out/check-$mode.err"; then
    result=unknown
  elif grep -q 'unsupported by this kernel' "$out/check-$mode.err"; then
    result=unsupported
  else
    result=refused
  fi
  put "mode_${mode}" "$result"
  put "mode_${mode}_rc" "$rc"
  put "mode_${mode}_seconds" "$seconds"
  ((rc == 0)) || put "mode_${mode}_error" "$(error_line "$out/check-$mode.err")"
  say "--attach-mode $mode: $result"
done

test_args=("--gtest_output=xml:$out/tests.xml")
[[ -n ${VIGIL_VM_GTEST_FILTER:-} ]] && test_args+=("--gtest_filter=$VIGIL_VM_GTEST_FILTER")
put tests_filter "${VIGIL_VM_GTEST_FILTER:-}"
say "vigil_kernel_tests ${test_args[*]}"
rm -f "$out/tests.xml"
scratch=$(mktemp -d /tmp/vigil-guest.XXXXXX)
start=$(date +%s)
tests_rc=0
(cd "$scratch" && "$tests" "${test_args[@]}") >"$out/tests.log" 2>&1 </dev/null || tests_rc=$?
rm -rf "$scratch"
put tests_rc "$tests_rc"
put tests_seconds "$(($(date +%s) - start))"
say "tests: rc=$tests_rc, $(grep -E '^\[ *(PASSED|FAILED|SKIPPED) *\] [0-9]+ test' "$out/tests.log" | tr '\n' ' ')"
# The attach modes side by side (bench/README.md), on request: figures from an emulated
# guest are relative at best; on a host with KVM they are real.
if [[ ${VIGIL_VM_BENCH:-0} == 1 ]]; then
  bench_args=("$build" --modes "fentry tp_btf raw_tp tracepoint")
  [[ ${VIGIL_VM_GUEST:-} == 1 && ${VIGIL_TEST_TIME_SCALE:-1} != 1 ]] && bench_args+=(--quick)
  say "bench/run_overhead.sh ${bench_args[*]}"
  bench_rc=0
  "$(dirname "$0")/../../bench/run_overhead.sh" "${bench_args[@]}" >"$out/bench.txt" 2>&1 ||
    bench_rc=$?
  put bench_rc "$bench_rc"
fi
put finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)"

check_rc=$(sed -n 's/^check_rc=//p' "$status")
((check_rc == 0 && tests_rc == 0))
