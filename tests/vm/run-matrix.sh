#!/usr/bin/env bash
# The kernel matrix: runs Vigil's --check and real-kernel tests on each kernel of
# tests/vm/kernels.conf, each booted in qemu with the host's root (read-only, over 9p) as
# its root, and on the host's own kernel natively (the column `host`). Then summarizes
# (tests/vm/summarize.sh): a table per kernel of the attach modes --check chose, each
# forced mode, and the test counts, with failed and skipped tests listed.
#
# For each VM column: fetch the kernel (tests/vm/fetch-kernel.sh, cached), build its
# initramfs (tests/vm/build-initramfs.sh, cached), write RESULTS_DIR/ID/vm.env (what the
# guest runs), boot qemu with RESULTS_DIR/ID as a writable 9p share; the guest's /init
# (tests/vm/initramfs-init.sh) runs tests/vm/guest.sh and powers off. Kernels are fetched
# one after the other, the host column runs alone, then the VMs run in parallel.
#
# Usage: tests/vm/run-matrix.sh BUILD_DIR RESULTS_DIR [ID...]
#   IDs default to every kernel in kernels.conf plus `host`. Needs root, qemu, jq,
#   busybox-static, cpio (or busybox's).
#
# Results, per column in RESULTS_DIR/ID/: console.log (the VM's serial console, or
# guest.sh's output on the host), qemu.log, runner.status (key=value: package, accel,
# timings, boot), and guest.sh's status, check*.out/err, tests.log, tests.xml. Then
# RESULTS_DIR/summary.md (also printed) and RESULTS_DIR/summary.json.
# Exit code: 0 when every kernel booted, --check succeeded with the expected attach modes
# and no test failed (tests/vm/summarize.sh says which did not); 1 otherwise.
#
# Env knobs:
#   VIGIL_VM_GTEST_FILTER  gtest filter for the real-kernel tests (default: all; `-*` runs
#                          none, for a --check-only run)
#   VIGIL_VM_BENCH         1: each column also runs the attach-mode benchmark (bench.txt)
#   VIGIL_VM_TCG_TIME_SCALE  how much longer rate-based tests make their rules' time windows
#                          under TCG (default 40; VIGIL_TEST_TIME_SCALE in the guest; 1 on KVM)
#   VIGIL_VM_TIMEOUT       seconds one column may take before it is killed (default 1800)
#   VIGIL_VM_JOBS          VMs running at once (default 2)
#   VIGIL_VM_ACCEL         auto (default), kvm or tcg. auto: kvm only with a usable
#                          /dev/kvm on a CPU with vmx/svm, and not under PVM (kvm_pvm),
#                          whose virtualization stock distribution kernels do not boot on
#   VIGIL_VM_MEMORY        guest memory in MiB (default 2048)
#   VIGIL_VM_CPUS          guest CPUs (default 2)
#   VIGIL_VM_CACHE, VIGIL_VM_CONF, VIGIL_VM_REFRESH, VIGIL_VM_MIRROR: see fetch-kernel.sh
#   VIGIL_VM_ATTACH_MODES, VIGIL_VM_CHECK_TIMEOUT: see guest.sh
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

(($# >= 2)) || vm_die "usage: $0 BUILD_DIR RESULTS_DIR [ID...]"
build=$(cd "$1" && pwd)
mkdir -p "$2"
results=$(cd "$2" && pwd)
shift 2
timeout_s=${VIGIL_VM_TIMEOUT:-1800}
jobs_max=${VIGIL_VM_JOBS:-2}
memory=${VIGIL_VM_MEMORY:-2048}
cpus=${VIGIL_VM_CPUS:-2}
top=$(cd "$vm_dir/../.." && pwd)

[[ $(id -u) == 0 ]] || vm_die "run as root (the probes and the tests need it)"
for tool in qemu-system-x86_64 jq timeout; do
  command -v "$tool" >/dev/null || vm_die "needs $tool"
done
# vm.env is sourced by the guest's /init, its values single-quoted.
[[ ${VIGIL_VM_GTEST_FILTER:-} != *"'"* && $build$top != *[[:space:]\']* ]] ||
  vm_die "quotes or blanks in VIGIL_VM_GTEST_FILTER or the build/source paths"
[[ -x $build/bin/vigil-sensor && -x $build/tests/vigil_kernel_tests ]] ||
  vm_die "$build has no bin/vigil-sensor or tests/vigil_kernel_tests: build first"

ids=("$@")
if ((${#ids[@]} == 0)); then
  mapfile -t ids < <(vm_conf_ids)
  [[ " ${ids[*]} " == *" host "* ]] || ids+=(host)
fi
vm_ids=()
run_host=0
for id in "${ids[@]}"; do
  if [[ $id == host ]]; then
    run_host=1
  else
    vm_conf_load "$id" || vm_die "$vm_conf: no kernel '$id'"
    [[ $conf_suite != - ]] || vm_die "'$id' has no package to boot"
    vm_ids+=("$id")
  fi
done

case ${VIGIL_VM_ACCEL:-auto} in
  kvm) accel=kvm ;;
  tcg) accel=tcg ;;
  auto)
    accel=tcg
    if [[ ! -d /sys/module/kvm_pvm && -r /dev/kvm && -w /dev/kvm ]] &&
      grep -qwE 'vmx|svm' /proc/cpuinfo; then
      accel=kvm
    fi
    ;;
  *) vm_die "VIGIL_VM_ACCEL must be auto, kvm or tcg" ;;
esac
if [[ $accel == kvm ]]; then
  accel_args=(-accel kvm -cpu host)
else
  accel_args=(-accel tcg -cpu max)
fi

# Ctrl-C or a TERM stops every column: the `timeout` wrapping each VM (or the host's
# guest.sh) passes the signal on to its whole process group.
stop_all() {
  local pid
  for pid in $(jobs -p); do pkill -TERM -P "$pid" 2>/dev/null || true; done
  pkill -TERM -P $$ 2>/dev/null || true
  vm_log "interrupted"
  exit 130
}
trap stop_all INT TERM

# Writes KEY=VALUE lines to RESULTS_DIR/ID/runner.status.
record() {
  local id=$1
  shift
  printf '%s\n' "$@" >>"$results/$id/runner.status"
}

# Phase 1, one after the other (downloads, apt state): kernels and initramfs images.
declare -A kernel_image=() initrd=()
for id in "${vm_ids[@]}"; do
  vm_conf_load "$id"
  rm -rf "${results:?}/$id"
  mkdir -p "$results/$id"
  record "$id" "id=$id" "where=vm" "accel=$accel" "suite=$conf_suite" "cmdline=$conf_cmdline"
  start=$(vm_now)
  if ! cache_dir=$("$vm_dir/fetch-kernel.sh" "$id" 2> >(tee "$results/$id/prepare.log" >&2)); then
    record "$id" "prepare_error=fetch-kernel.sh failed (prepare.log)"
    continue
  fi
  record "$id" "fetch_seconds=$(($(vm_now) - start))"
  record "$id" "$(grep -E '^(package|version|release)=' "$cache_dir/kernel.env")"
  start=$(vm_now)
  if ! image=$("$vm_dir/build-initramfs.sh" "$id" 2> >(tee -a "$results/$id/prepare.log" >&2)); then
    record "$id" "prepare_error=build-initramfs.sh failed (prepare.log)"
    continue
  fi
  record "$id" "initramfs_seconds=$(($(vm_now) - start))"
  kernel_image[$id]=$cache_dir/vmlinuz
  initrd[$id]=$image
done

# Phase 2: the host's own kernel, natively, alone (the tests measure rates and latencies).
if ((run_host)); then
  rm -rf "${results:?}/host"
  mkdir -p "$results/host"
  record host "id=host" "where=native" "booted=native" "release=$(uname -r)"
  vm_log "host: guest.sh natively on $(uname -r)"
  start=$(vm_now)
  rc=0
  # In the background, so that a signal reaches stop_all while it runs.
  timeout --kill-after=30 "$timeout_s" "$vm_dir/guest.sh" "$build" "$results/host" \
    >"$results/host/console.log" 2>&1 </dev/null &
  wait $! || rc=$?
  record host "run_seconds=$(($(vm_now) - start))" "run_rc=$rc" "guest_rc=$rc"
  vm_log "host: done (exit $rc, $(($(vm_now) - start)) s)"
fi

# Phase 3: the VMs, VIGIL_VM_JOBS at a time.
boot_vm() {
  local id=$1 dir=$results/$1 start rc=0 marker
  vm_conf_load "$id"
  # What the guest's /init runs (sourced by busybox sh: values single-quoted).
  local keep="$build $top"
  {
    printf "VM_GUEST_SCRIPT='%s'\n" "$vm_dir/guest.sh"
    printf "VM_BUILD_DIR='%s'\n" "$build"
    printf "VM_KEEP='%s'\n" "$keep"
    printf "VM_GTEST_FILTER='%s'\n" "${VIGIL_VM_GTEST_FILTER:-$conf_tests}"
    # Under emulation a fork takes tens of times longer: rate-based tests stretch their
    # rules' time windows by this factor (tests/support/time_scale.h), not their counts.
    printf "VM_BENCH='%s'\n" "${VIGIL_VM_BENCH:-0}"
    printf "VM_TIME_SCALE='%s'\n" "$([[ $accel == tcg ]] && echo "${VIGIL_VM_TCG_TIME_SCALE:-40}" || echo 1)"
    printf "VM_HOSTNAME='%s'\n" "vigil-vm-$id"
  } >"$dir/vm.env"
  vm_log "$id: booting (${accel})"
  start=$(vm_now)
  timeout --kill-after=30 "$timeout_s" qemu-system-x86_64 "${accel_args[@]}" \
    -m "$memory" -smp "$cpus" -no-user-config -display none -vga none -monitor none \
    -nic none -no-reboot -serial "file:$dir/console.log" \
    -kernel "${kernel_image[$id]}" -initrd "${initrd[$id]}" \
    -append "console=ttyS0 panic=-1 loglevel=4 ${conf_cmdline}" \
    -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
    -virtfs "local,path=$dir,mount_tag=xfer,security_model=none" \
    >"$dir/qemu.log" 2>&1 </dev/null &
  wait $! || rc=$?
  record "$id" "run_seconds=$(($(vm_now) - start))" "run_rc=$rc"
  if grep -q '^VIGIL-VM: init started' "$dir/console.log" 2>/dev/null; then
    # Guest seconds from power-on to guest.sh (kernel boot, modules, mounts).
    record "$id" "booted=yes" "boot_seconds=$(sed -n 's/^VIGIL-VM: running .* after \([0-9.]*\) s.*/\1/p' "$dir/console.log" | head -n 1)"
  else
    record "$id" "booted=no"
  fi
  marker=$(sed -n 's/^VIGIL-VM-RESULT rc=\([0-9]*\).*/\1/p' "$dir/console.log" 2>/dev/null | tail -n 1)
  record "$id" "guest_rc=${marker:-none}"
  vm_log "$id: done (qemu exit $rc, guest exit ${marker:-none}, $(($(vm_now) - start)) s)"
}

for id in "${vm_ids[@]}"; do
  [[ -n ${initrd[$id]:-} ]] || continue
  while (($(jobs -rp | wc -l) >= jobs_max)); do wait -n || true; done
  boot_vm "$id" &
done
wait

"$vm_dir/summarize.sh" "$results" "${ids[@]}"
