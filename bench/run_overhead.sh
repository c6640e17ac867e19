#!/usr/bin/env bash
# Overhead benchmark: how much slower open/close, create/rename/unlink, fork/exit and
# fork/exec get while `vigil-sensor --print-events` (default filters) is running. With
# --modes, the attach modes side by side, each next to its floor (empty programs on the
# same hooks), so the part Vigil's own code costs can be told from what the kernel charges
# for the hooks.
# See bench/README.md.
#
# Usage: bench/run_overhead.sh [BUILD_DIR] [--rounds R] [--modes "MODE..."] [--quick]
#
#   BUILD_DIR   build tree holding bin/vigil-sensor and bin/vigil-bench-workload (./build)
#   --rounds R  rounds per workload (default 5, 3 with --quick); medians are reported
#   --modes L   attach modes to compare, e.g. "fentry tp_btf raw_tp tracepoint" (spaces or
#               commas). Each round runs, per workload: the baseline, and per mode the
#               floor (bin/vigil-bench-floor MODE) and the sensor (--attach-mode MODE). A
#               mode this kernel lacks is reported as unsupported. Without --modes: one
#               baseline/attached pair per round, the sensor choosing its modes itself.
#   --rules DIR the sensor runs these rules (e.g. deploy/rules, the default pack) with
#               --print-alerts instead of --print-events: the configuration of a node, whose
#               kernel filter is the rules' and whose rule evaluation is part of what is
#               measured
#   --quick     small operation counts and short pauses, for emulated VMs (TCG); only
#               relative figures mean anything there. Same as VIGIL_BENCH_QUICK=1.
#
# Environment (operation counts per run, and timing knobs; --quick defaults in brackets):
#   VIGIL_BENCH_OPEN_CLOSE_OPS    open+close pairs per open-close run  (default 400000 [20000])
#   VIGIL_BENCH_UNLINK_RENAME_OPS create+rename+unlink triples per
#                                 unlink-rename run                    (default 60000 [3000])
#   VIGIL_BENCH_FORK_EXIT_OPS     fork+_exit+waitpid per fork-exit run (default 1000 [200])
#   VIGIL_BENCH_FORK_EXEC_OPS     fork+exec(/bin/true)+waitpid per run (default 400 [50])
#   VIGIL_BENCH_CONNECT_OPS       loopback connect+accept+close per
#                                 connect-accept-close run             (default 20000 [2000])
#   VIGIL_BENCH_SETTLE_S          pause before every measurement, s    (default 0.5 [0.2])
#   VIGIL_BENCH_START_TIMEOUT_S   most seconds to wait for the sensor  (default 30 [120])
#   VIGIL_BENCH_QUICK             1: as --quick                        (default 0)
#
# Needs root (the sensor loads eBPF programs) and python3 (JSON parsing). Exits 0 whether
# or not the targets are met -- the benchmark reports, it does not gate -- and non-zero
# only when something broke (bad arguments, a workload or the sensor failing, a mode that
# fails for a reason other than lack of kernel support).
set -euo pipefail
shopt -s inherit_errexit

# One script by design (said here, outside the usage text that `usage` prints): starting
# and stopping the sensor and the floors, measuring and reporting all share its globals
# (the settings, the pids the cleanup trap kills), which a sourced library would share
# all the same, and no other script uses any of it.

readonly PROG="${0##*/}"
readonly WORKLOADS=(open-close unlink-rename fork-exit fork-exec connect-accept-close)

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

die() {
  echo "$PROG: $*" >&2
  exit 1
}

# --- Arguments ----------------------------------------------------------------------------

build_dir=""
rounds=""
modes_arg=""
modes_given=0
rules_dir=""
quick="${VIGIL_BENCH_QUICK:-0}"
while (($# > 0)); do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    --rounds)
      (($# >= 2)) || die "--rounds: missing value"
      rounds="$2"
      shift 2
      ;;
    --rounds=*)
      rounds="${1#--rounds=}"
      shift
      ;;
    --modes)
      (($# >= 2)) || die "--modes: missing value"
      modes_arg="$2"
      modes_given=1
      shift 2
      ;;
    --modes=*)
      modes_arg="${1#--modes=}"
      modes_given=1
      shift
      ;;
    --quick)
      quick=1
      shift
      ;;
    --rules)
      (($# >= 2)) || die "--rules: missing value"
      rules_dir="$2"
      shift 2
      ;;
    -*)
      die "unknown option '$1' (try --help)"
      ;;
    *)
      [[ -z "$build_dir" ]] || die "more than one build dir given ('$build_dir', '$1')"
      build_dir="$1"
      shift
      ;;
  esac
done
build_dir="${build_dir:-./build}"

[[ "$quick" == 0 || "$quick" == 1 ]] || die "VIGIL_BENCH_QUICK: '$quick' is not 0 or 1"
if ((quick)); then
  # Under TCG syscalls run 5-50x slower: counts that keep a --modes run within minutes.
  defaults=(3 20000 200 50 0.2 120 3000 2000)
else
  defaults=(5 400000 1000 400 0.5 30 60000 20000)
fi
rounds="${rounds:-${defaults[0]}}"
open_ops="${VIGIL_BENCH_OPEN_CLOSE_OPS:-${defaults[1]}}"
fork_ops="${VIGIL_BENCH_FORK_EXIT_OPS:-${defaults[2]}}"
exec_ops="${VIGIL_BENCH_FORK_EXEC_OPS:-${defaults[3]}}"
settle_s="${VIGIL_BENCH_SETTLE_S:-${defaults[4]}}"
start_timeout_s="${VIGIL_BENCH_START_TIMEOUT_S:-${defaults[5]}}"
unlink_ops="${VIGIL_BENCH_UNLINK_RENAME_OPS:-${defaults[6]}}"
connect_ops="${VIGIL_BENCH_CONNECT_OPS:-${defaults[7]}}"

# --modes: known names, each once, in the order given.
modes=()
for m in ${modes_arg//,/ }; do
  case "$m" in
    fentry | tp_btf | raw_tp | tracepoint) ;;
    *) die "--modes: unknown attach mode '$m' (expected fentry, tp_btf, raw_tp, tracepoint)" ;;
  esac
  for seen in "${modes[@]}"; do
    [[ "$seen" != "$m" ]] || die "--modes: '$m' given twice"
  done
  modes+=("$m")
done
if ((modes_given && ${#modes[@]} == 0)); then die "--modes: no mode given"; fi

is_count() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }
is_count "$rounds" || die "--rounds: '$rounds' is not a positive integer"
is_count "$open_ops" || die "VIGIL_BENCH_OPEN_CLOSE_OPS: '$open_ops' is not a positive integer"
is_count "$unlink_ops" ||
  die "VIGIL_BENCH_UNLINK_RENAME_OPS: '$unlink_ops' is not a positive integer"
is_count "$connect_ops" || die "VIGIL_BENCH_CONNECT_OPS: '$connect_ops' is not a positive integer"
is_count "$fork_ops" || die "VIGIL_BENCH_FORK_EXIT_OPS: '$fork_ops' is not a positive integer"
is_count "$exec_ops" || die "VIGIL_BENCH_FORK_EXEC_OPS: '$exec_ops' is not a positive integer"
is_count "$start_timeout_s" ||
  die "VIGIL_BENCH_START_TIMEOUT_S: '$start_timeout_s' is not a positive integer"
[[ "$settle_s" =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
  die "VIGIL_BENCH_SETTLE_S: '$settle_s' is not a number of seconds"

readonly sensor="$build_dir/bin/vigil-sensor"
readonly workload="$build_dir/bin/vigil-bench-workload"
readonly floor="$build_dir/bin/vigil-bench-floor"
[[ -x "$sensor" ]] || die "$sensor not found or not executable (build first; see bench/README.md)"
[[ -x "$workload" ]] ||
  die "$workload not found or not executable (configure with -DVIGIL_BUILD_BENCH=ON)"
if ((${#modes[@]} > 0)); then
  [[ -x "$floor" ]] ||
    die "$floor not found or not executable (cmake --build BUILD_DIR --target vigil-bench-floor)"
fi
((EUID == 0)) || die "must run as root: the sensor loads eBPF programs (try sudo)"
command -v python3 >/dev/null || die "python3 is required to parse JSON"
[[ -d /dev/shm && -w /dev/shm ]] || die "/dev/shm is not a writable directory"

ops_for() {
  case "$1" in
    open-close) echo "$open_ops" ;;
    unlink-rename) echo "$unlink_ops" ;;
    fork-exit) echo "$fork_ops" ;;
    fork-exec) echo "$exec_ops" ;;
    connect-accept-close) echo "$connect_ops" ;;
  esac
}

# --- Cleanup: the sensor never outlives the script ----------------------------------------

sensor_pid=""
floor_pid=""
work=""

# kill_pid PID: SIGTERM, up to 5 s of grace, then SIGKILL; reaps it.
kill_pid() {
  local pid="$1"
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

kill_sensor() {
  kill_pid "$sensor_pid"
  sensor_pid=""
}

kill_floor() {
  kill_pid "$floor_pid"
  floor_pid=""
}

cleanup() {
  kill_sensor
  kill_floor
  [[ -z "$work" ]] || rm -rf -- "$work"
}
trap cleanup EXIT
trap 'echo "$PROG: interrupted" >&2; exit 130' INT
trap 'echo "$PROG: terminated" >&2; exit 143' TERM

# Scratch space (sensor output, logs, results, open-close and unlink-rename dirs).
# /dev/shm/vigil-bench-*/ is outside the sensor's default file interest set, so the kernel
# filters the opens, renames and unlinks there (after building their paths).
work="$(mktemp -d /dev/shm/vigil-bench-XXXXXX)"
readonly results="$work/results.tsv"
: >"$results"

# --- Sensor control -----------------------------------------------------------------------

# wait_ready PID_VAR NAME LOG PATTERN: waits until LOG matches PATTERN (extended regex)
# while the process whose pid is in the variable PID_VAR runs; dies with its log when it
# exits first or start_timeout_s passes.
wait_ready() {
  local pid_var="$1" name="$2" log="$3" pattern="$4"
  local tries=$((start_timeout_s * 20))
  while ! grep -Eq "$pattern" "$log"; do
    if ! kill -0 "${!pid_var}" 2>/dev/null; then
      local rc=0
      wait "${!pid_var}" || rc=$?
      printf -v "$pid_var" '%s' ""
      echo "--- $name log ($log) ---" >&2
      cat "$log" >&2
      die "$name exited with status $rc before it was ready"
    fi
    ((--tries > 0)) || {
      cat "$log" >&2
      die "$name not ready after ${start_timeout_s}s"
    }
    sleep 0.05
  done
}

# stop_process PID_VAR NAME LOG: SIGTERM to the process in PID_VAR, then waits (up to
# start_timeout_s) for a clean exit; dies with its log otherwise.
stop_process() {
  local pid_var="$1" name="$2" log="$3"
  kill -TERM "${!pid_var}"
  local tries=$((start_timeout_s * 20))
  while kill -0 "${!pid_var}" 2>/dev/null; do
    ((--tries > 0)) || die "$name did not stop within ${start_timeout_s}s of SIGTERM"
    sleep 0.05
  done
  local rc=0
  wait "${!pid_var}" || rc=$?
  printf -v "$pid_var" '%s' ""
  if ((rc != 0)); then
    cat "$log" >&2
    die "$name exited with status $rc"
  fi
}

# start_sensor OUT LOG [ARG...]: starts the sensor writing events to OUT (with extra
# arguments ARG, e.g. --attach-mode MODE), waits for "running".
start_sensor() {
  local out="$1" log="$2"
  : >"$log" # exists before the wait loop reads it
  local what=(--print-events)
  [[ -z "$rules_dir" ]] || what=(--rules "$rules_dir" --print-alerts)
  "$sensor" "${what[@]}" --output "$out" "${@:3}" >"$log" 2>&1 &
  sensor_pid=$!
  wait_ready sensor_pid vigil-sensor "$log" 'vigil-sensor: running'
}

# stop_sensor LOG: SIGTERM, then waits (up to start_timeout_s) for a clean exit.
stop_sensor() { stop_process sensor_pid vigil-sensor "$1"; }

# sensor_counters OUT: prints one JSON object summarising a sensor run's output file:
# drops (sensor_stop drop counters, or gap records if larger, plus decoder gaps) and the
# per-module counters of interest.
sensor_counters() {
  python3 - "$1" <<'EOF'
import json, sys

path = sys.argv[1]
stop = None
gaps = {}  # (module, reason) -> count
with open(path) as f:
    for n, line in enumerate(f, 1):
        line = line.strip()
        if not line:
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            sys.exit(f"{path}:{n}: not JSON: {line[:80]}")
        t = rec.get("type")
        if t == "gap":
            key = (rec.get("module", "?"), rec.get("reason", "?"))
            gaps[key] = gaps.get(key, 0) + int(rec.get("count", 0))
        elif t == "sensor_stop":
            stop = rec
if stop is None:
    sys.exit(f"{path}: no sensor_stop record (sensor did not stop cleanly?)")
mods = stop.get("modules", {})
counter_drops = sum(int(m.get("drop_ringbuf_full", 0)) + int(m.get("drop_scratch", 0))
                    for m in mods.values())
probe_gap_drops = sum(c for (mod, _), c in gaps.items() if mod != "decoder")
decoder_gap_drops = sum(c for (mod, _), c in gaps.items() if mod == "decoder")
out = {
    "drops": max(counter_drops, probe_gap_drops) + decoder_gap_drops,
    "gap_records": sum(gaps.values()),
}
for name in ("emitted", "filtered_path", "filtered_self", "wakeups"):
    out[name] = sum(int(m.get(name, 0)) for m in mods.values())
out["file_filtered_path"] = int(mods.get("file", {}).get("filtered_path", 0))
out["file_emitted"] = int(mods.get("file", {}).get("emitted", 0))
out["process_emitted"] = int(mods.get("process", {}).get("emitted", 0))
print(json.dumps(out, separators=(",", ":")))
EOF
}

# --- Floor control (--modes) --------------------------------------------------------------

# start_floor MODE LOG: starts vigil-bench-floor MODE, waits for its "attached" line.
start_floor() {
  local mode="$1" log="$2"
  : >"$log" # exists before the wait loop reads it
  "$floor" "$mode" >"$log" 2>&1 &
  floor_pid=$!
  wait_ready floor_pid "vigil-bench-floor $mode" "$log" 'attached [0-9]+ programs'
}

# stop_floor LOG: SIGTERM, then waits (up to start_timeout_s) for a clean exit.
stop_floor() { stop_process floor_pid vigil-bench-floor "$1"; }

# What a failed start says when the kernel lacks the mode (a hook or hook type missing, or
# the program type refused outright), as opposed to a real failure.
UNSUPPORTED_RE='unsupported by this kernel|Operation not permitted|EPERM|ENOTSUPP'
UNSUPPORTED_RE+='|Unknown error 524|Operation not supported'
readonly UNSUPPORTED_RE

# check_mode MODE: tries the floor and the sensor in MODE once (--check: attach, detach,
# exit), prints their states, adds the usable ones to $configs (floor:MODE, sensor:MODE),
# sets mode_failed=1 when one failed for a reason other than kernel support, and appends a
# line to $modes_tsv: mode, then for the floor and the sensor each a state (ok,
# unsupported or failed), the reason and the hooks attached, then the sensor's module
# modes ("process=tp_btf file=fentry").
check_mode() {
  local mode="$1" rc
  local flog="$work/floor-check-$mode.log"
  local slog="$work/sensor-check-$mode.log" sout="$work/sensor-check-$mode.jsonl"
  rc=0
  "$floor" --check "$mode" >"$flog" 2>&1 || rc=$?
  local fstate=ok fwhy=""
  if ((rc != 0)); then
    fstate=failed
    if ((rc == 3)) || grep -Eq "$UNSUPPORTED_RE" "$flog"; then fstate=unsupported; fi
    fwhy="$(grep -v '^libbpf: \|^---' "$flog" | tail -n 1)"
    fwhy="${fwhy#vigil-bench-floor: }"
    fwhy="${fwhy#"$mode: "}"
    fwhy="${fwhy#unsupported by this kernel: }"
  fi
  rc=0
  timeout "$start_timeout_s" "$sensor" --attach-mode "$mode" --check --output "$sout" \
    >"$slog" 2>&1 || rc=$?
  local sstate=ok swhy=""
  if ((rc != 0)); then
    sstate=failed
    if grep -Eq "$UNSUPPORTED_RE" "$slog"; then sstate=unsupported; fi
    swhy="$(tail -n 1 "$slog")"
    swhy="${swhy#vigil-sensor: }"
    ((rc != 124)) || swhy="vigil-sensor --check did not finish within ${start_timeout_s}s"
  fi
  [[ "$fstate" != ok ]] || configs+=("floor:$mode")
  [[ "$sstate" != ok ]] || configs+=("sensor:$mode")
  [[ "$fstate" != failed && "$sstate" != failed ]] || mode_failed=1
  printf '  %-11s floor: %-12s sensor: %s\n' "$mode" "$fstate" "$sstate"
  python3 - "$mode" "$fstate" "$fwhy" "$flog" "$sstate" "$swhy" "$sout" >>"$modes_tsv" <<'EOF'
import json, sys

mode, fstate, fwhy, flog, sstate, swhy, sout = sys.argv[1:]
fhooks, shooks, smodes = [], [], []
if fstate == "ok":
    for line in open(flog):
        if line.startswith("vigil-bench-floor: hook "):
            fhooks.append(line.split()[-1])
if sstate == "ok":
    for line in open(sout):
        line = line.strip()
        if line.startswith("{") and json.loads(line).get("type") == "sensor_start":
            for m in json.loads(line).get("modules", []):
                smodes.append(f"{m.get('name')}={m.get('attach_mode')}")
                shooks.extend(m.get("hooks", []))
clean = lambda s: " ".join(s.split())
print("\t".join([mode, fstate, clean(fwhy), " ".join(fhooks),
                 sstate, clean(swhy), " ".join(shooks), " ".join(smodes)]))
EOF
}

# --- Measurement --------------------------------------------------------------------------

# run_workload NAME ROUND MODE: runs one workload, prints its ns_per_op.
run_workload() {
  local name="$1" round="$2" mode="$3" ops json
  ops="$(ops_for "$name")"
  sleep "$settle_s"
  case "$name" in
    open-close | unlink-rename)
      local dir="$work/$name-r$round-${mode//:/-}"
      mkdir "$dir"
      json="$("$workload" "$name" "$ops" "$dir")" || die "workload $name failed"
      rm -rf -- "$dir"
      ;;
    *)
      json="$("$workload" "$name" "$ops")" || die "workload $name failed"
      ;;
  esac
  python3 -c '
import json, sys
rec = json.loads(sys.argv[1])
if rec.get("workload") != sys.argv[2]:
    sys.exit("unexpected workload output: " + sys.argv[1])
print(rec["ns_per_op"])' "$json" "$name"
}

# measure NAME ROUND MODE: one run, appended to $results. MODE is baseline or attached
# (the default run), or with --modes baseline, floor:ATTACH_MODE or sensor:ATTACH_MODE.
measure() {
  local name="$1" round="$2" mode="$3" ns counters="{}"
  case "$mode" in
    attached | sensor:*)
      local tag="" args=()
      if [[ "$mode" == sensor:* ]]; then
        tag="-${mode#sensor:}"
        args=(--attach-mode "${mode#sensor:}")
      fi
      local out="$work/sensor-$name-r$round$tag.jsonl" log="$work/sensor-$name-r$round$tag.log"
      start_sensor "$out" "$log" "${args[@]}"
      ns="$(run_workload "$name" "$round" "$mode")"
      stop_sensor "$log"
      counters="$(sensor_counters "$out")"
      rm -f -- "$out"
      ;;
    floor:*)
      local log="$work/floor-$name-r$round-${mode#floor:}.log"
      start_floor "${mode#floor:}" "$log"
      ns="$(run_workload "$name" "$round" "$mode")"
      stop_floor "$log"
      ;;
    *)
      ns="$(run_workload "$name" "$round" "$mode")"
      ;;
  esac
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(ops_for "$name")" "$round" "$mode" "$ns" \
    "$counters" >>"$results"
  printf '  round %d/%d  %-10s  %-*s  %12.1f ns/op\n' "$round" "$rounds" "$name" \
    "$mode_width" "$mode" "$ns"
}

others="$(pgrep -d ' ' -x vigil-sensor || true)"
if [[ -n "$others" ]]; then
  echo "$PROG: warning: vigil-sensor already running (pid $others); it inflates" \
    "the baseline and shares the CPUs" >&2
fi

readonly QUICK_NOTE="quick run (--quick): small operation counts, noisier figures; under emulation
(TCG) only relative figures mean anything, not the ns/op or the overhead ratios themselves"
mode_width=8 # width of the mode column in the progress lines

# run_default: the baseline/attached pairs (no --modes), and their report.
run_default() {
  echo "vigil overhead benchmark: kernel $(uname -r), $(nproc) CPUs, $rounds rounds," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "ops per run: open-close $open_ops, unlink-rename $unlink_ops, fork-exit $fork_ops," \
    "fork-exec $exec_ops"
  echo "sensor: $sensor --print-events --output <tmpfile> (default filters)"
  ((quick == 0)) || echo "$QUICK_NOTE"
  echo

  started=$SECONDS
  for ((round = 1; round <= rounds; round++)); do
    # Alternate which mode goes first so slow drift (thermal, other load) cancels out.
    if ((round % 2 == 1)); then order=(baseline attached); else order=(attached baseline); fi
    for name in "${WORKLOADS[@]}"; do
      for mode in "${order[@]}"; do
        measure "$name" "$round" "$mode"
      done
    done
  done
  echo
  echo "done in $((SECONDS - started))s; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  report_default
}

# --- Report (default run) ---------------------------------------------------------------

report_default() {
  python3 - "$results" <<'EOF'
import json, statistics, sys

TARGETS = {"open-close": 1.10, "unlink-rename": 1.10, "fork-exit": 1.05, "fork-exec": 1.05,
           "connect-accept-close": 1.05}
runs = {}
for line in open(sys.argv[1]):
    name, ops, rnd, mode, ns, counters = line.rstrip("\n").split("\t")
    runs.setdefault(name, {"ops": int(ops), "baseline": [], "attached": [], "counters": []})
    runs[name][mode].append(float(ns))
    if mode == "attached":
        runs[name]["counters"].append(json.loads(counters))

hdr = (f"{'workload':<13} {'baseline ns/op':>15} {'attached ns/op':>15} {'ratio':>7} "
       f"{'target':>7} {'drops':>7}  result")
print(hdr)
print("-" * len(hdr))
any_drops = False
for name in TARGETS:
    if name not in runs:
        continue
    r = runs[name]
    base = statistics.median(r["baseline"])
    att = statistics.median(r["attached"])
    ratio = att / base if base > 0 else float("inf")
    drops = sum(c["drops"] for c in r["counters"])
    any_drops = any_drops or drops > 0
    verdict = "PASS" if ratio <= TARGETS[name] else "FAIL"
    print(f"{name:<13} {base:>15.1f} {att:>15.1f} {ratio:>7.3f} "
          f"{'<=' + format(TARGETS[name], '.2f'):>7} {drops:>7}  {verdict}")
print()
print("targets: open-close <= 1.10, unlink-rename <= 1.10, fork-exit <= 1.05, fork-exec <= 1.05, "
      "connect-accept-close <= 1.05")
print("(attached/baseline, medians over rounds); drops = sensor_stop drop counters + decoder gap")
print("records, summed over the attached runs.")
if any_drops:
    print("WARNING: the sensor dropped events; attached numbers are for a lossy sensor.")
print()

print("per-run ns/op in round order (baseline | attached | per-round ratio); when the")
print("per-round ratios disagree a lot, the machine was noisy -- add rounds or quiet it:")
for name in TARGETS:
    if name not in runs:
        continue
    r = runs[name]
    b = " ".join(f"{v:.0f}" for v in r["baseline"])
    a = " ".join(f"{v:.0f}" for v in r["attached"])
    q = " ".join(f"{y / x:.2f}" if x > 0 else "inf"
                 for x, y in zip(r["baseline"], r["attached"]))
    print(f"  {name:<13} {b} | {a} | {q}")
print()

print("sensor counters per workload op (sum over attached runs / ops; includes other")
print("activity on the node while the sensor ran):")
print(f"  {'workload':<13} {'emitted':>9} {'file_emit':>9} {'filt_path':>9} "
      f"{'filt_self':>9} {'wakeups':>9}")
for name in TARGETS:
    if name not in runs:
        continue
    r = runs[name]
    total_ops = r["ops"] * len(r["counters"])
    def per_op(key):
        return sum(c[key] for c in r["counters"]) / total_ops
    print(f"  {name:<13} {per_op('emitted'):>9.3f} {per_op('file_emitted'):>9.3f} "
          f"{per_op('file_filtered_path'):>9.3f} {per_op('filtered_self'):>9.3f} "
          f"{per_op('wakeups'):>9.3f}")
EOF
}

# --- Attach modes side by side (--modes) ---------------------------------------------------

# The CPU model, and whether it runs under a hypervisor.
cpu_desc() {
  local model
  model="$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)"
  printf '%s' "${model:-unknown}"
  if grep -qw hypervisor /proc/cpuinfo; then printf ' (virtualized)'; fi
}

# run_modes: checks which modes work, measures baseline/floor/sensor per workload and
# round, reports. Exits 1 after the report when a mode failed for another reason than
# kernel support.
run_modes() {
  modes_tsv="$work/modes.tsv"
  : >"$modes_tsv"
  configs=(baseline)
  mode_failed=0
  echo "vigil attach-mode benchmark: kernel $(uname -r), $(nproc) CPUs, $rounds rounds," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "cpu: $(cpu_desc)"
  echo "ops per run: open-close $open_ops, unlink-rename $unlink_ops, fork-exit $fork_ops," \
    "fork-exec $exec_ops"
  echo "modes: ${modes[*]}"
  echo "floor: $floor MODE (empty programs on the mode's hooks)"
  echo "sensor: $sensor --attach-mode MODE --print-events --output <tmpfile> (default filters)"
  if grep -q 'QEMU' /proc/cpuinfo; then
    echo "note: the CPU looks emulated (QEMU TCG): only relative figures mean anything"
  fi
  ((quick == 0)) || echo "$QUICK_NOTE"
  echo
  echo "which modes work here (--check):"
  for m in "${modes[@]}"; do
    check_mode "$m"
  done
  echo

  for c in "${configs[@]}"; do
    ((${#c} <= mode_width)) || mode_width=${#c}
  done
  started=$SECONDS
  if ((${#configs[@]} > 1)); then
    local order=() i
    for ((round = 1; round <= rounds; round++)); do
      # Odd rounds in the listed order, even ones reversed, so slow drift (thermal, other
      # load) reaches every configuration alike.
      order=()
      if ((round % 2 == 1)); then
        order=("${configs[@]}")
      else
        for ((i = ${#configs[@]} - 1; i >= 0; i--)); do order+=("${configs[i]}"); done
      fi
      for name in "${WORKLOADS[@]}"; do
        for mode in "${order[@]}"; do
          measure "$name" "$round" "$mode"
        done
      done
    done
  else
    echo "no mode is usable on this kernel: nothing measured"
  fi
  echo
  echo "done in $((SECONDS - started))s; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  report_modes
  if ((mode_failed)); then
    echo
    for m in "${modes[@]}"; do
      for f in "$work/floor-check-$m.log" "$work/sensor-check-$m.log"; do
        echo "--- $(basename "$f") ---" >&2
        cat "$f" >&2
      done
    done
    die "a mode failed for a reason other than kernel support (logs above)"
  fi
}

report_modes() {
  python3 - "$results" "$modes_tsv" "$quick" <<'EOF'
import json, statistics, sys, textwrap

results, modes_tsv, quick = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
WORKLOADS = ["open-close", "unlink-rename", "fork-exit", "fork-exec", "connect-accept-close"]

modes, info = [], {}
for line in open(modes_tsv):
    f = line.rstrip("\n").split("\t")
    modes.append(f[0])
    info[f[0]] = {
        "floor": {"state": f[1], "why": f[2], "hooks": f[3].split()},
        "sensor": {"state": f[4], "why": f[5], "hooks": f[6].split()},
        "sensor_modes": f[7].split(),
    }

runs = {}  # workload -> {"ops", "ns": {config: {round: ns}}, "counters": {config: [...]}}
for line in open(results):
    name, ops, rnd, config, ns, counters = line.rstrip("\n").split("\t")
    r = runs.setdefault(name, {"ops": int(ops), "ns": {}, "counters": {}})
    r["ns"].setdefault(config, {})[int(rnd)] = float(ns)
    if config.startswith("sensor:"):
        r["counters"].setdefault(config, []).append(json.loads(counters))

def median(r, config):
    vals = r["ns"].get(config)
    return statistics.median(vals.values()) if vals else None

def wrap(text, indent):
    return textwrap.fill(text, width=100, initial_indent=indent,
                         subsequent_indent=" " * len(indent), break_on_hyphens=False)

any_drops = False
hdr = (f"  {'mode':<11} {'floor ns/op':>12} {'sensor ns/op':>13} {'floor ratio':>12} "
       f"{'sensor ratio':>13} {'sensor-floor':>13} {'drops':>7}")
for name in WORKLOADS:
    if name not in runs:
        continue
    r = runs[name]
    base = median(r, "baseline")
    n = len(r["ns"]["baseline"])
    print(f"{name}: {r['ops']} ops per run; baseline {base:.1f} ns/op "
          f"(median of {n} run{'s' if n != 1 else ''})")
    print(hdr)
    print("  " + "-" * (len(hdr) - 2))
    for mode in modes:
        fs, ss = info[mode]["floor"]["state"], info[mode]["sensor"]["state"]
        if fs != "ok" and ss != "ok":
            what = ("FAILED (see below)" if "failed" in (fs, ss)
                    else "unsupported by this kernel (see below)")
            print(f"  {mode:<11} {what}")
            continue
        fl, se = median(r, "floor:" + mode), median(r, "sensor:" + mode)
        fr = fl / base if fl is not None and base > 0 else None
        sr = se / base if se is not None and base > 0 else None
        cell = lambda v, state, fmt: format(v, fmt) if v is not None else state
        drops = "-"
        if ss == "ok":
            n = sum(c["drops"] for c in r["counters"].get("sensor:" + mode, []))
            any_drops = any_drops or n > 0
            drops = str(n)
        diff = f"{sr - fr:+.3f}" if fr is not None and sr is not None else "-"
        print(f"  {mode:<11} {cell(fl, fs, '.1f'):>12} {cell(se, ss, '.1f'):>13} "
              f"{cell(fr, '-', '.3f'):>12} {cell(sr, '-', '.3f'):>13} {diff:>13} {drops:>7}")
    print()

print("floor ratio  = floor / baseline: the kernel's price for calling an empty program at the")
print("               mode's hooks (vigil-bench-floor MODE).")
print("sensor ratio = sensor / baseline (vigil-sensor --attach-mode MODE --print-events).")
print("sensor-floor = sensor ratio - floor ratio, in baselines: what Vigil's own code adds (probe")
print("               bodies, ring buffer, user-space work competing for the CPUs).")
print("ns/op are medians over the rounds; drops = events the sensor lost over all its runs.")
if any_drops:
    print("WARNING: the sensor dropped events; its figures are for a lossy sensor.")
if quick:
    print("quick run: small operation counts; under emulation (TCG) compare modes with each other,")
    print("do not read the ratios as overhead figures.")
print()

notes = [(m, side, info[m][side]) for m in modes for side in ("floor", "sensor")
         if info[m][side]["state"] != "ok"]
if notes:
    print("modes not measured:")
    for mode, side, i in notes:
        print(wrap(f"{side}: {i['state']}: {i['why'] or '(no message)'}", f"  {mode:<11} "))
    print()

print("hooks attached, floor vs sensor (from --check; they should be the same):")
for mode in modes:
    fl, se = info[mode]["floor"], info[mode]["sensor"]
    if fl["state"] != "ok" or se["state"] != "ok":
        print(f"  {mode:<11} -")
        continue
    fh, sh = set(fl["hooks"]), set(se["hooks"])
    used = ", ".join(info[mode]["sensor_modes"])
    if fh == sh:
        print(wrap(f"same {len(fh)} (sensor modules: {used}): " + " ".join(fl["hooks"]),
                   f"  {mode:<11} "))
    else:
        only_floor = " ".join(sorted(fh - sh)) or "-"
        only_sensor = " ".join(sorted(sh - fh)) or "-"
        text = (f"DIFFER (sensor modules: {used}); floor only: {only_floor}; "
                f"sensor only: {only_sensor}")
        print(wrap(text, f"  {mode:<11} "))
        print("  WARNING: the floor does not cover the sensor's hooks; keep bench/floor.bpf.c "
              "in step")
print()

print("per-run ns/op in round order | per-round ratio to that round's baseline; when the")
print("per-round ratios disagree a lot, the machine was noisy -- add rounds or quiet it:")
for name in WORKLOADS:
    if name not in runs:
        continue
    r = runs[name]
    base = r["ns"]["baseline"]
    print(f"  {name}")
    configs = ["baseline"] + [c for m in modes for c in ("floor:" + m, "sensor:" + m)
                              if c in r["ns"]]
    width = max(len(c) for c in configs)
    num = max(len(f"{v:.0f}") for c in configs for v in r["ns"][c].values())
    for config in configs:
        vals = r["ns"][config]
        line = " ".join(f"{vals[k]:>{num}.0f}" for k in sorted(vals))
        if config != "baseline":
            line += " | " + " ".join(f"{vals[k] / base[k]:.3f}" if base.get(k) else "-"
                                     for k in sorted(vals))
        print(f"    {config:<{width}}  {line}")
print()

print("sensor counters per workload op (sum over the sensor's runs / ops; includes other")
print("activity on the node while the sensor ran):")
print(f"  {'workload':<13} {'mode':<11} {'emitted':>9} {'file_emit':>9} {'filt_path':>9} "
      f"{'filt_self':>9} {'wakeups':>9}")
for name in WORKLOADS:
    if name not in runs:
        continue
    r = runs[name]
    for mode in modes:
        cs = r["counters"].get("sensor:" + mode)
        if not cs:
            continue
        total_ops = r["ops"] * len(cs)
        per_op = lambda key: sum(c[key] for c in cs) / total_ops
        print(f"  {name:<13} {mode:<11} {per_op('emitted'):>9.3f} {per_op('file_emitted'):>9.3f} "
              f"{per_op('file_filtered_path'):>9.3f} {per_op('filtered_self'):>9.3f} "
              f"{per_op('wakeups'):>9.3f}")
EOF
}

if ((${#modes[@]} == 0)); then
  run_default
else
  run_modes
fi
