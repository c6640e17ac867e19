#!/usr/bin/env bash
# Alert delivery benchmark: starts vigil-controller and vigil-sensor (one rule: every
# open of a file in a scratch directory is an alert), then runs vigil-delivery-bench at
# a steady rate (latency from the syscall to a subscriber) and as a burst (sustained
# alerts per second through one controller to one subscriber).
# Usage: sudo bench/run_delivery.sh BUILD_DIR [RATE] [SECONDS] [BURST]
set -euo pipefail
build=$(cd "${1:?usage: run_delivery.sh BUILD_DIR [RATE] [SECONDS] [BURST]}" && pwd)
rate=${2:-1000}
seconds=${3:-10}
burst=${4:-50000}
work=$(mktemp -d /var/tmp/vigil-delivery-XXXXXX)
port=$((20000 + RANDOM % 20000))
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/files"
cat > "$work/bench.yaml" <<RULES
- rule: bench open
  condition: evt.is_open_read = true and fd.directory = $work/files
  output: "bench open of %fd.name by %proc.pid"
  priority: NOTICE
RULES

"$build/bin/vigil-controller" --insecure --listen "127.0.0.1:$port" --db "$work/c.db" \
  ${VIGIL_CONTROLLER_ARGS:-} 2> "$work/controller.log" &
pids+=($!)
"$build/bin/vigil-sensor" --controller "127.0.0.1:$port" --controller-insecure \
  --rules "$work/bench.yaml" --spool "$work/spool" --spool-bytes $((1 << 30)) \
  --output "$work/sensor.jsonl" ${VIGIL_SENSOR_ARGS:-} 2> "$work/sensor.log" &
pids+=($!)
for _ in $(seq 1 300); do
  grep -q '"sensor_start"' "$work/sensor.jsonl" 2>/dev/null && break
  sleep 0.1
done
sleep 1
echo "steady rate ($rate/s for ${seconds}s):"
"$build/bin/vigil-delivery-bench" --controller "127.0.0.1:$port" --dir "$work/files" \
  --rate "$rate" --seconds "$seconds"
echo "burst ($burst alerts):"
"$build/bin/vigil-delivery-bench" --controller "127.0.0.1:$port" --dir "$work/files" \
  --burst "$burst"
