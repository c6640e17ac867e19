#!/usr/bin/env bash
# Summarizes a kernel-matrix run (tests/vm/run-matrix.sh) from what each column left in
# RESULTS_DIR/ID: runner.status (the runner's key=value record: package, timings, boot),
# status (tests/vm/guest.sh's), tests.xml (gtest). Writes RESULTS_DIR/summary.json and
# RESULTS_DIR/summary.md and prints the latter: one table row per kernel (release, boot,
# the attach mode --check chose per module, each forced mode, test counts), then the
# problems, refused modes, failed and skipped tests (with their messages) and timings.
#
# A kernel fails when it did not boot, --check failed, an automatic attach mode differs
# from EXPECT in kernels.conf (read now, so expectations can be edited and a finished
# run summarized again), a test failed, or the tests did not complete. Exit code: 0 when
# no kernel failed, 1 otherwise.
#
# Usage: tests/vm/summarize.sh RESULTS_DIR [ID...]   (default: every ID with results)
#
# Env knobs:
#   VIGIL_VM_CONF  kernel list holding the expectations (default tests/vm/kernels.conf)
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

(($# >= 1)) || vm_die "usage: $0 RESULTS_DIR [ID...]"
results=$(cd "$1" && pwd)
shift
command -v jq >/dev/null || vm_die "needs jq"

ids=("$@")
if ((${#ids[@]} == 0)); then
  declare -A seen=()
  while read -r id; do
    [[ -f $results/$id/runner.status ]] && ids+=("$id") && seen[$id]=1
  done < <(vm_conf_ids)
  for f in "$results"/*/runner.status; do
    [[ -f $f ]] || continue
    id=$(basename "$(dirname "$f")")
    [[ -n ${seen[$id]:-} ]] || ids+=("$id")
  done
fi
((${#ids[@]} > 0)) || vm_die "no results in $results"

# key=value lines as a JSON object; a repeated key (warning) becomes an array.
kv_json() {
  if [[ ! -f $1 ]]; then
    echo '{}'
    return
  fi
  jq -R -s '
    split("\n") | map(select(test("^[A-Za-z0-9_]+=")) | capture("^(?<k>[^=]+)=(?<v>.*)$"))
    | reduce .[] as $kv ({};
        if $kv.k == "warning" then .warnings += [$kv.v] else .[$kv.k] = $kv.v end)' "$1"
}

# gtest XML as a JSON array of {name, result: passed|failed|skipped|disabled, message};
# null when there is no report.
tests_json() {
  if [[ ! -s $1 ]]; then
    echo null
    return
  fi
  awk '
    function attr(line, key) {
      if (match(line, " " key "=\"[^\"]*\""))
        return substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 4)
      return ""
    }
    function unescape(s) {
      gsub(/&#x0A;|&#x0D;|&#10;|&#13;/, "\n", s)
      gsub(/&quot;/, "\"", s); gsub(/&apos;/, "'\''", s)
      gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&amp;/, "\\&", s)
      gsub(/\t/, " ", s)
      return s
    }
    # "dir/file.cc:12\nline\nline" -> "file.cc:12: line line"
    function tidy(s,   n, parts, i, rest) {
      n = split(unescape(s), parts, "\n")
      sub(/.*\//, "", parts[1])
      rest = ""
      for (i = 2; i <= n; i++) if (parts[i] != "") rest = rest (rest == "" ? "" : " ") parts[i]
      rest = rest == "" ? parts[1] : parts[1] ": " rest
      return length(rest) > 2000 ? substr(rest, 1, 2000) "…" : rest
    }
    function flush() { if (name != "") print name "\t" result "\t" message; name = "" }
    /<testcase / {
      flush()
      name = attr($0, "classname") "." attr($0, "name")
      result = attr($0, "status") == "notrun" ? "disabled" : \
               attr($0, "result") == "skipped" ? "skipped" : "passed"
      message = ""
    }
    /<failure / && name != "" && result != "failed" { result = "failed"; message = tidy(attr($0, "message")) }
    /<skipped / && name != "" && message == "" { message = tidy(attr($0, "message")) }
    END { flush() }' "$1" |
    jq -R -s 'split("\n") | map(select(length > 0) | split("\t")
      | {name: .[0], result: .[1], message: (.[2] // "")})'
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for id in "${ids[@]}"; do
  dir=$results/$id
  conf_expect=""
  vm_conf_load "$id" || conf_expect=""
  kv_json "$dir/runner.status" >"$scratch/runner.json"
  kv_json "$dir/status" >"$scratch/guest.json"
  tests_json "$dir/tests.xml" >"$scratch/tests.json"
  # The modules of the automatic --check's sensor_start record (first stdout line).
  { head -n 1 "$dir/check.out" 2>/dev/null |
    jq -c 'select(.type == "sensor_start") | [.modules[] | {name, attach_mode, hooks, skipped}]' \
      2>/dev/null || true; } >"$scratch/modules.json"
  [[ -s $scratch/modules.json ]] || echo '[]' >"$scratch/modules.json"
  jq -n --arg id "$id" --arg expect "$conf_expect" \
    --slurpfile runner "$scratch/runner.json" --slurpfile guest "$scratch/guest.json" \
    --slurpfile tests "$scratch/tests.json" --slurpfile modules "$scratch/modules.json" '
    $runner[0] as $runner | $guest[0] as $guest | $tests[0] as $tests |
    def modes(s): if (s // "") == "" then {}
                  else s | split(",") | map(split("=") | {(.[0]): (.[1] // "")}) | add end;
    def num(s): if s == null or s == "" then null else (s | tonumber? // null) end;
    ($guest.check_rc // null) as $check_rc
    | modes($guest.check_modes) as $got
    | modes($expect) as $want
    | [$want | to_entries[] | select($got[.key] != .value)
        | "attach mode of \(.key): expected \(.value), got \($got[.key] // "none")"] as $mismatch
    | [($guest.modes // "") | split(" ")[] | select(length > 0) as $m
        | {mode: $m, result: ($guest["mode_" + $m] // "not run"),
           rc: num($guest["mode_" + $m + "_rc"]), error: ($guest["mode_" + $m + "_error"] // "")}]
        as $forced
    | ($tests // []) as $cases
    | {passed: ([$cases[] | select(.result == "passed")] | length),
       failed: ([$cases[] | select(.result == "failed")] | length),
       skipped: ([$cases[] | select(.result == "skipped")] | length),
       report: ($tests != null),
       rc: num($guest.tests_rc), filter: ($guest.tests_filter // ""),
       failed_tests: [$cases[] | select(.result == "failed") | {name, message}],
       skipped_tests: [$cases[] | select(.result == "skipped") | {name, message}]} as $t
    | ($runner.booted // "no") as $booted
    | [ (if $runner.prepare_error then "could not prepare the VM: \($runner.prepare_error)"
         elif $booted == "no" then "did not boot"
           + (if $runner.run_rc == "124" then " (timed out)" else "" end)
         else empty end),
        (if $booted != "no" and ($runner.prepare_error | not) then
           if $guest.kernel == null then "guest.sh did not run"
             + (if $runner.run_rc == "124" then " (timed out)" else "" end)
           elif $guest.finished == null then "guest.sh did not finish"
             + (if $runner.run_rc == "124" then " (timed out)" else "" end)
           else empty end
         else empty end),
        (if $check_rc != null and $check_rc != "0"
         then "--check failed (exit \($check_rc)): \($guest.check_error // "")" else empty end),
        (if $check_rc == "0" then $mismatch[] else empty end),
        (if $t.failed > 0 then "\($t.failed) test(s) failed" else empty end),
        (if $guest.tests_rc != null and $guest.tests_rc != "0" and $t.failed == 0
         then "the tests exited \($guest.tests_rc)"
           + (if $t.report then "" else " without a report" end) else empty end)
      ] as $problems
    | {id: $id,
       suite: ($runner.suite // null), package: ($runner.package // null),
       version: ($runner.version // null), cmdline: ($runner.cmdline // ""),
       uname: ($guest.kernel // null), lsm: ($guest.lsm // null), btf: ($guest.btf // null),
       where: ($runner.where // null), accel: ($runner.accel // null), booted: $booted,
       check: {rc: num($check_rc), modes: $got, skipped_hooks: ($guest.check_skipped // ""),
               error: ($guest.check_error // ""), modules: $modules[0]},
       expect: $want, forced: $forced, tests: $t,
       timings: {fetch: num($runner.fetch_seconds), initramfs: num($runner.initramfs_seconds),
                 run: num($runner.run_seconds), boot: num($runner.boot_seconds), check: num($guest.check_seconds),
                 tests: num($guest.tests_seconds)},
       warnings: ($guest.warnings // []), problems: $problems,
       ok: ($problems | length == 0)}' >>"$scratch/kernels.json"
done

jq -s --arg generated "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  '{generated: $generated, ok: all(.[]; .ok), kernels: .}' "$scratch/kernels.json" \
  >"$results/summary.json"

jq -r '
  def cell: tostring | gsub("\\|"; "\\|") | gsub("\n"; " ");
  def cut(n): if length > n then .[0:n] + "…" else . end;
  def row: "| " + (map(cell) | join(" | ")) + " |";
  .kernels as $k
  | ([$k[] | (.check.modes + .expect) | keys[]] | unique) as $modules
  | ([$k[] | .forced[].mode] | reduce .[] as $m ([]; if index([$m]) then . else . + [$m] end))
      as $modes
  | "# Kernel matrix", "",
    ((["kernel", "uname -r", "booted"] + $modules + ($modes | map("force " + .))
      + ["passed", "failed", "skipped", "result"]) | row),
    ((["---", "---", "---"] + ($modules | map("---")) + ($modes | map("---"))
      + ["--:", "--:", "--:", "---"]) | row),
    ($k[] | . as $r
      | ([.id, (.uname // "-"), .booted]
         + ($modules | map(. as $m | ($r.check.modes[$m] // "-") as $got
             | if ($r.check.rc // 0) != 0 then "check failed"
               elif ($r.expect[$m] // $got) != $got then "\($got) (want \($r.expect[$m]))"
               else $got end))
         + ($modes | map(. as $m | ([$r.forced[] | select(.mode == $m) | .result][0] // "-")))
         + (if .tests.report then [.tests.passed, .tests.failed, .tests.skipped]
            else ["-", "-", "-"] end)
         + [if .ok then "ok" else "FAIL" end]) | row),
    "",
    "Attach modes are those `vigil-sensor --check` chose by itself; \"X (want Y)\" differs from EXPECT in kernels.conf. force MODE: `--check --attach-mode MODE` was ok, unsupported (the kernel lacks what the mode needs), refused (the kernel refused the programs), unknown (the sensor has no such mode), timeout or error.",
    "",
    (if any($k[]; .problems | length > 0) then
       "## Problems", "", ($k[] | .id as $id | .problems[] | "- **\($id)**: \(cut(400))"), ""
     else empty end),
    (if any($k[]; .forced[] | .result != "ok" and .result != "not run") then
       "## Forced attach modes that did not attach", "",
       ($k[] | .id as $id | .forced[] | select(.result != "ok" and .result != "not run")
         | "- **\($id)** \(.mode): \(.result): \(.error | cut(400))"), ""
     else empty end),
    # Hooks that not every kernel (with a successful --check) attached, per module.
    ([$k[] | select(.check.rc == 0)] as $ok
     | [$ok[] | .check.modules[] | .name] | unique | map(. as $m
         | [$ok[] | [.check.modules[] | select(.name == $m) | .hooks[]]] as $sets
         | ($sets | map(unique) | if length > 0 then reduce .[1:][] as $s (.[0]; . - (. - $s))
                                  else [] end) as $common
         | {module: $m, rows: [$ok[] | {id, hooks: ([.check.modules[] | select(.name == $m)
                                                     | .hooks[]] - $common)}
                               | select(.hooks | length > 0)]})
     | map(select(.rows | length > 0))) as $diff
    | (if ($diff | length) > 0 then
         "## Hooks that differ between kernels", "",
         ($diff[] | .module as $m | .rows | group_by(.hooks)[]
           | "- \($m) on **\(map(.id) | join(", "))**: \(.[0].hooks | join(", "))"), ""
       else empty end),
    (if any($k[]; .check.skipped_hooks != "") then
       "## Hooks skipped by --check", "",
       ($k[] | select(.check.skipped_hooks != "") | "- **\(.id)**: \(.check.skipped_hooks)"), ""
     else empty end),
    (if any($k[]; .tests.failed > 0) then
       "## Failed tests", "",
       ($k[] | .id as $id | .tests.failed_tests[] | "- **\($id)** \(.name): \(.message | cut(400))"),
       ""
     else empty end),
    (if any($k[]; .tests.skipped > 0) then
       "## Skipped tests", "",
       ($k[] | .id as $id | .tests.skipped_tests[] | "- **\($id)** \(.name): \(.message | cut(400))"),
       ""
     else empty end),
    (if any($k[]; .tests.filter != "") then
       "## Tests run by filter", "",
       "Columns that run a gtest filter (kernels.conf TESTS) rather than the whole suite; what",
       "a filter leaves out runs on other columns:", "",
       ($k[] | select(.tests.filter != "") | "- **\(.id)**: `\(.tests.filter)`"), ""
     else empty end),
    (if any($k[]; .warnings | length > 0) then
       "## Warnings from guest.sh", "",
       ($k[] | .id as $id | .warnings[] | "- **\($id)**: \(.)"), ""
     else empty end),
    "## Timings (seconds)", "",
    (["kernel", "package", "fetch", "initramfs", "run", "boot", "--check", "tests"] | row),
    (["---", "---", "--:", "--:", "--:", "--:", "--:", "--:"] | row),
    ($k[] | [.id, ((.package // "-") + (if .version then " " + .version else "" end)),
             (.timings.fetch // "-"), (.timings.initramfs // "-"), (.timings.run // "-"),
             (.timings.boot // "-"), (.timings.check // "-"), (.timings.tests // "-")] | row),
    "",
    "run: wall time from qemu start to power-off (or of guest.sh on the host); boot: guest time from power-on to guest.sh; --check: the automatic check alone (the forced modes add about as much each); fetch and initramfs are 0 when cached.",
    "",
    (if .ok then "All kernels passed." else
       "FAILED: " + ([$k[] | select(.ok | not) | .id] | join(", ")) end)
' "$results/summary.json" >"$results/summary.md"

cat "$results/summary.md"
[[ $(jq -r .ok "$results/summary.json") == true ]]
