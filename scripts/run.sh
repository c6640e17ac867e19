#!/usr/bin/env bash
# The main job on one machine: installs dependencies, builds, starts vigil-controller and
# vigil-sensor (with the default rule pack, deploy/rules) on this node, and shows alerts
# live with `vigilctl alerts tail`. Ctrl-C stops all three.
#
# Local use: the controller listens on 127.0.0.1 only, in plaintext. State (the
# controller's database, the sensor's spool) is kept in $VIGIL_STATE_DIR
# (default /var/lib/vigil-local), so a restart resumes where it stopped. Prometheus
# metrics: the sensor's on 127.0.0.1:9470, the controller's on 127.0.0.1:9471
# (VIGIL_SENSOR_METRICS, VIGIL_CONTROLLER_METRICS).
#
# With arguments, only the sensor runs, with exactly those arguments
# (e.g. `scripts/run.sh --print-events`).
# Usage: sudo scripts/run.sh [vigil-sensor options]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${VIGIL_BUILD_DIR:-$top/build}
state=${VIGIL_STATE_DIR:-/var/lib/vigil-local}
port=${VIGIL_PORT:-7443}
sensor_metrics=${VIGIL_SENSOR_METRICS:-127.0.0.1:9470}
controller_metrics=${VIGIL_CONTROLLER_METRICS:-127.0.0.1:9471}

if [[ $(id -u) -ne 0 ]]; then
  echo "scripts/run.sh: run as root: the sensor loads eBPF probes" >&2
  exit 1
fi
"$top/scripts/install-deps.sh"
mkdir -p "$build"
echo "scripts/run.sh: building (log: $build/build.log)" >&2
"$top/scripts/build.sh" "$build" > "$build/build.log" 2>&1 || { tail -50 "$build/build.log"; exit 1; }
if [[ $# -gt 0 ]]; then
  exec "$build/bin/vigil-sensor" "$@"
fi

mkdir -p "$state"
chmod 0700 "$state"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$build/bin/vigil-controller" --insecure --listen "127.0.0.1:$port" --db "$state/controller.db" \
  --metrics-address "$controller_metrics" 2> "$state/controller.log" &
pids+=($!)
"$build/bin/vigil-sensor" --controller "127.0.0.1:$port" --controller-insecure \
  --rules "$top/deploy/rules" --spool "$state/spool" --output "$state/sensor.jsonl" \
  --metrics-address "$sensor_metrics" 2> "$state/sensor.log" &
pids+=($!)

# Wait until the controller serves and the sensor's probes are attached (its sensor_start
# record), or one of them failed.
for _ in $(seq 1 600); do
  if grep -q 'serving on port' "$state/controller.log" 2>/dev/null &&
    grep -q '"sensor_start"' "$state/sensor.jsonl" 2>/dev/null; then break; fi
  for i in 0 1; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      name=$( ((i == 0)) && echo controller || echo sensor)
      echo "scripts/run.sh: vigil-$name stopped:" >&2
      cat "$state/$name.log" >&2
      exit 1
    fi
  done
  sleep 0.1
done
echo "scripts/run.sh: controller on 127.0.0.1:$port, sensor running; logs in $state" >&2
echo "scripts/run.sh: metrics: http://$sensor_metrics/metrics, http://$controller_metrics/metrics" >&2
echo "scripts/run.sh: alerts follow (try: cat /etc/shadow, or touch /tmp/.hidden)" >&2
"$build/bin/vigilctl" --insecure --controller "127.0.0.1:$port" alerts tail &
pids+=($!)
wait "${pids[2]}"
