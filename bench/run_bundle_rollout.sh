#!/usr/bin/env bash
# Probe-module bundle rollout benchmark: starts vigil-controller and vigil-sensor, signs the
# example bundle (modules/sigmon, both manifests) with a throwaway key, and measures, ROUNDS
# times: the time from `vigilctl modules push` of version 1 to the sensor's answer
# (attached), the same for version 2 replacing version 1 while signals go to a new target
# every INTERVAL_MS, and how many of those signals raised no alert (missed) or two
# (seen by both versions during the overlap). Each round removes the module at the end.
# Usage: sudo bench/run_bundle_rollout.sh BUILD_DIR [ROUNDS] [TARGETS] [INTERVAL_MS]
set -euo pipefail
build=$(cd "${1:?usage: run_bundle_rollout.sh BUILD_DIR [ROUNDS] [TARGETS] [INTERVAL_MS]}" && pwd)
rounds=${2:-5}
targets=${3:-300}
interval_ms=${4:-10}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /var/tmp/vigil-bundle-bench-XXXXXX)
port=$((20000 + RANDOM % 20000))
pids=()
sleepers=()
cleanup() {
  for pid in "${sleepers[@]}" "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ctl=("$build/bin/vigilctl" --controller "127.0.0.1:$port" --insecure)
mkdir -p "$work/keys"
"${ctl[0]}" modules keygen --out "$work/bench" > /dev/null
cp "$work/bench.pub.pem" "$work/keys/"
for v in 1 2; do
  manifest=$top/modules/sigmon/sigmon.manifest
  [[ $v == 2 ]] && manifest=$top/modules/sigmon/sigmon-v2.manifest
  "${ctl[0]}" modules build --manifest "$manifest" --object "$build/modules/sigmon.bpf.o" \
    --out "$work/v$v.bundle" > /dev/null
  "${ctl[0]}" modules sign --key "$work/bench.key" "$work/v$v.bundle" > /dev/null
done
# The targets: copies of sleep named vigil-bench-sig, with SIGUSR2 ignored.
cp "$(command -v sleep)" "$work/vigil-bench-sig"
cat > "$work/rules.yaml" <<'RULES'
- rule: bench signal
  condition: sigmon.sig = 12 and sigmon.target_comm = vigil-bench-sig
  output: "signal to %sigmon.target_pid"
  priority: NOTICE
RULES

"$build/bin/vigil-controller" --insecure --listen "127.0.0.1:$port" --db "$work/c.db" \
  2> "$work/controller.log" &
pids+=($!)
"$build/bin/vigil-sensor" --controller "127.0.0.1:$port" --controller-insecure \
  --spool "$work/spool" --module-keys "$work/keys" --print-alerts --output "$work/sensor.jsonl" \
  2> "$work/sensor.log" &
pids+=($!)
for _ in $(seq 1 300); do
  grep -q '"sensor_start"' "$work/sensor.jsonl" 2>/dev/null && break
  sleep 0.1
done

now_ms() { date +%s%3N; }
# Pushes BUNDLE (or removes sigmon with "remove") and prints the milliseconds until the
# sensor answered the rollout applied.
roll() {
  local start version
  start=$(now_ms)
  if [[ $1 == remove ]]; then
    version=$("${ctl[@]}" modules remove sigmon | sed -n 's/^modules version \(sha256:[0-9a-f]*\).*/\1/p')
  else
    version=$("${ctl[@]}" modules push "$1" | sed -n 's/^modules version \(sha256:[0-9a-f]*\).*/\1/p')
  fi
  for _ in $(seq 1 3000); do
    if "${ctl[@]}" modules status --version "$version" | grep -q "applied on 1 of 1"; then
      echo $(($(now_ms) - start))
      return
    fi
    sleep 0.01
  done
  echo "bench: rollout $version not applied" >&2
  exit 1
}

printf '%-6s %-14s %-14s %-8s %-8s %-8s\n' round v1_attach_ms v2_swap_ms signals missed twice
for round in $(seq 1 "$rounds"); do
  v1_ms=$(roll "$work/v1.bundle")
  # The rule set follows the module (the controller validates it against stored bundles).
  "${ctl[@]}" rules push "$work/rules.yaml" > /dev/null
  sleep 1
  sleepers=()
  for _ in $(seq 1 "$targets"); do
    (trap '' USR2; exec "$work/vigil-bench-sig" 600) &
    sleepers+=($!)
  done
  sleep 1
  (for pid in "${sleepers[@]}"; do
    kill -USR2 "$pid"
    sleep "$(printf '0.%03d' "$interval_ms")"
  done) &
  sender=$!
  sleep "$(printf '%d.%03d' $((targets * interval_ms / 4000)) $((targets * interval_ms / 4 % 1000)))"
  v2_ms=$(roll "$work/v2.bundle")
  wait "$sender"
  sleep 3
  missed=0
  twice=0
  for pid in "${sleepers[@]}"; do
    n=$(grep -c "\"rule\":\"bench signal\".*\"signal to $pid\"" "$work/sensor.jsonl" || true)
    ((n == 0)) && missed=$((missed + 1))
    ((n > 1)) && twice=$((twice + 1))
  done
  printf '%-6s %-14s %-14s %-8s %-8s %-8s\n' "$round" "$v1_ms" "$v2_ms" "$targets" "$missed" \
    "$twice"
  for pid in "${sleepers[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait "${sleepers[@]}" 2>/dev/null || true
  sleepers=()
  # Rules without sigmon's fields first, then the module can go.
  printf -- '- rule: bench none\n  condition: proc.name = vigil-none-%s\n  output: x\n  priority: NOTICE\n' \
    "$round" > "$work/none.yaml"
  "${ctl[@]}" rules push "$work/none.yaml" > /dev/null
  sleep 1
  roll remove > /dev/null
done
