// Rule evaluation throughput: how many events per second one core pushes through the
// default rule pack (deploy/rules), with rules::Engine::Process (conditions plus
// threshold/sequence state) and with RuleSet::Evaluate alone (conditions only).
//
// The events are a few hundred pre-built sensor::Event values cycled in a fixed shuffled
// order: by default ~70% opens of assorted paths (most outside what the rules look at),
// ~10% execs, ~10% forks and ~10% exits, from a few dozen processes in a handful of
// containers. A minimal EventView looks processes up in a small hash table. Each event's
// timestamp advances 20us (a node producing 50,000 events a second), so the fork-flood
// trackers see a realistic rate and no rule fires on the mix.
//
// Arguments: the mix (0 all, 1 opens only, 2 execs only, 3 forks only, 4 exits only).
// The rule pack path defaults to the source tree's deploy/rules; VIGIL_RULES_PATH
// overrides it.
#include <fcntl.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "benchmark/benchmark.h"
#include "event/event.h"
#include "rules/engine.h"
#include "rules/fields.h"
#include "rules/rule_file.h"
#include "rules/rule_set.h"
#include "sensor/process_table.h"

namespace vigil::rules {
namespace {

using event::Event;
using event::EventType;
using event::ProcessInfo;

constexpr uint64_t kStepNs = 20 * 1000;

// What the pipeline knows around one event: the process table, user names and
// containers, each a small hash table.
struct World {
  absl::flat_hash_map<uint32_t, event::ProcessInfo> processes;
  absl::flat_hash_map<uint32_t, std::string> containers;  // by pid
  absl::flat_hash_map<uint32_t, std::string> users;
};

// A minimal EventView over one event of the mix.
class BenchView : public EventView {
 public:
  explicit BenchView(const World& world) : world_(world) {}

  // Points the view at `event` (and its process).
  void Reset(const event::Event* event) {
    event_ = event;
    auto it = world_.processes.find(event->task.pid);
    process_ = it == world_.processes.end() ? nullptr : &it->second;
  }

  const event::Event& event() const override { return *event_; }
  const event::ProcessInfo* process() const override { return process_; }
  const event::ProcessInfo* ancestor(int n) const override {
    const event::ProcessInfo* p = process_;
    for (int i = 0; i < n && p != nullptr; ++i) {
      auto it = world_.processes.find(p->ppid);
      p = it == world_.processes.end() ? nullptr : &it->second;
    }
    return p;
  }
  absl::string_view user_name(uint32_t uid) const override {
    auto it = world_.users.find(uid);
    return it == world_.users.end() ? absl::string_view() : absl::string_view(it->second);
  }
  absl::string_view container_id() const override {
    auto it = world_.containers.find(event_->task.pid);
    return it == world_.containers.end() ? absl::string_view() : absl::string_view(it->second);
  }

 private:
  const World& world_;
  const event::Event* event_ = nullptr;
  const event::ProcessInfo* process_ = nullptr;
};

// The pre-built events and everything they point into.
struct Mix {
  World world;
  std::deque<std::string> strings;  // backs the events' string_views
  std::vector<event::Event> events;

  absl::string_view Keep(absl::string_view s) { return strings.emplace_back(s); }
};

// Paths opened by ordinary software: libraries, procfs, sources, temp files, caches.
// A few are in the pack's interest set (reads of /etc/passwd, hidden files in home
// directories, deep hidden names in temp build trees) but match no rule.
const char* const kOpenPaths[] = {
    "/usr/lib/x86_64-linux-gnu/libc.so.6",
    "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
    "/usr/lib/x86_64-linux-gnu/libm.so.6",
    "/etc/ld.so.cache",
    "/proc/self/stat",
    "/proc/meminfo",
    "/sys/fs/cgroup/cpu.max",
    "/dev/null",
    "/dev/urandom",
    "/home/alice/src/vigil/rules/rule_set.cc",
    "/home/alice/src/vigil/rules/rule_set.h",
    "/home/alice/src/vigil/build/CMakeFiles/vigil_rules.dir/rule_set.cc.o",
    "/usr/include/c++/12/vector",
    "/usr/include/absl/strings/str_cat.h",
    "/usr/share/zoneinfo/UTC",
    "/usr/share/locale/locale.alias",
    "/tmp/ccAbCdEf.s",
    "/tmp/vigil-test-Xy12zz/file.txt",
    "/tmp/build/.ninja_log",
    "/var/log/syslog",
    "/var/lib/dpkg/status",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/home/alice/.cache/ccache/4/2/manifest",
    "/home/alice/.bashrc",
    "/run/systemd/journal/socket",
    "/tmp/a.b",
    "/tmp/.X11-unix",
};

// Programs executed: system binaries, compilers, go test binaries, setuid tools run as
// usual.
struct ExecKind {
  const char* exe;
  const char* cmdline;
  uint32_t mode;
  bool elevates;  // euid 1000 -> 0 (setuid-root tool)
};
const ExecKind kExecs[] = {
    {"/usr/bin/bash", "bash -c make", 0100755, false},
    {"/usr/bin/cc1plus", "cc1plus -quiet rule_set.cc", 0100755, false},
    {"/usr/bin/as", "as -o rule_set.o", 0100755, false},
    {"/usr/bin/ld", "ld -o vigil", 0100755, false},
    {"/usr/bin/git", "git status", 0100755, false},
    {"/usr/bin/ls", "ls -la", 0100755, false},
    {"/usr/bin/sed", "sed -e s/a/b/", 0100755, false},
    {"/usr/bin/sudo", "sudo apt-get update", 0104755, true},
    {"/tmp/go-build1234/b001/exe/main", "main", 0100755, false},
    {"/home/alice/src/vigil/build/bin/vigil-sensor", "vigil-sensor --rules deploy/rules", 0100755,
     false},
};

const char* const kComms[] = {"bash", "make",    "ninja", "cc1plus", "python3", "git",
                              "sshd", "systemd", "cron",  "node",    "java",    "cat"};

// Builds the event mix: `n` events of the types `mix` selects, shuffled with a fixed seed.
std::unique_ptr<Mix> BuildMix(int mix, size_t n) {
  auto m = std::make_unique<Mix>();
  m->world.users = {{0, "root"}, {1000, "alice"}, {1001, "bob"}, {65534, "nobody"}};
  const std::string containers[] = {"", "", "", "", "3f2a9c", "77be01", "c0ffee", "d00d42"};
  // 48 processes: pid 1000 + i, parents forming short chains.
  for (uint32_t i = 0; i < 48; ++i) {
    event::ProcessInfo p;
    p.pid = 1000 + i;
    p.ppid = i < 4 ? 1 : 1000 + i / 4;
    p.uid = p.euid = i % 5 == 0 ? 0 : 1000 + i % 2;
    p.comm = kComms[i % std::size(kComms)];
    p.exe = absl::StrCat("/usr/bin/", p.comm);
    p.cmdline = absl::StrCat(p.comm, " --arg ", i);
    m->world.processes[p.pid] = p;
    m->world.containers[p.pid] = containers[i % std::size(containers)];
  }
  event::ProcessInfo init;
  init.pid = 1;
  init.comm = "systemd";
  init.exe = "/usr/lib/systemd/systemd";
  init.cmdline = "/sbin/init";
  m->world.processes[1] = init;

  std::mt19937 rng(42);
  for (size_t i = 0; i < n; ++i) {
    event::EventType type;
    if (mix == 0) {
      const uint32_t r = rng() % 10;
      type = r < 7 ? event::kOpen : r == 7 ? event::kExec : r == 8 ? event::kFork : event::kExit;
    } else {
      constexpr event::EventType kOnly[] = {event::kOpen, event::kOpen, event::kExec, event::kFork,
                                            event::kExit};
      type = kOnly[mix];
    }
    const event::ProcessInfo& p = m->world.processes[1000 + rng() % 48];
    event::Event e;
    e.type = type;
    e.task.pid = p.pid;
    e.task.tid = rng() % 4 == 0 ? p.pid + 100000 : p.pid;
    e.task.ppid = p.ppid;
    e.task.uid = p.uid;
    e.task.euid = p.euid;
    e.task.gid = p.uid;
    e.task.loginuid = p.uid;
    e.task.comm = m->Keep(p.comm);
    switch (type) {
      case event::kOpen: {
        const char* path = kOpenPaths[rng() % std::size(kOpenPaths)];
        e.open.syscall = rng() % 8 == 0 ? event::OpenSyscall::kOpen : event::OpenSyscall::kOpenAt;
        e.open.path = m->Keep(path);
        const uint32_t r = rng() % 10;
        e.open.flags = r < 7 ? O_RDONLY | O_CLOEXEC : r < 9 ? O_WRONLY | O_CREAT | O_TRUNC : O_RDWR;
        // Writes go to temp and build files only (no rule may fire).
        if (e.open.flags != (O_RDONLY | O_CLOEXEC) && !absl::StartsWith(path, "/tmp/") &&
            !absl::StartsWith(path, "/home/alice/src/")) {
          e.open.flags = O_RDONLY | O_CLOEXEC;
        }
        e.open.result = rng() % 16 == 0 ? -2 : 3;
        e.open.file_mode = 0100644;
        e.open.hidden = event::HasHiddenComponent(path);
        break;
      }
      case event::kExec: {
        const ExecKind& x = kExecs[rng() % std::size(kExecs)];
        e.exec.exe = m->Keep(x.exe);
        std::string argv = x.cmdline;
        for (char& c : argv) {
          if (c == ' ') c = '\0';
        }
        argv.push_back('\0');
        e.exec.argv = m->Keep(argv);
        e.exec.creds_before_known = true;
        e.exec.uid_before = e.exec.euid_before = p.uid;
        e.exec.egid_before = e.exec.egid = p.uid;
        e.exec.file_mode = x.mode;
        if (x.elevates) e.task.euid = 0;
        e.task.tid = p.pid;
        break;
      }
      case event::kFork:
        e.fork.is_thread = rng() % 3 == 0;
        e.fork.child_pid = e.fork.is_thread ? p.pid : 50000 + static_cast<uint32_t>(i);
        e.fork.child_tid = 50000 + static_cast<uint32_t>(i);
        break;
      case event::kExit:
        e.exit.raw_status = 0;
        e.exit.group_dead = true;
        break;
    }
    m->events.push_back(e);
  }
  return m;
}

std::shared_ptr<const RuleSet> LoadPack() {
  static std::shared_ptr<const RuleSet>* pack = [] {
    const char* env = std::getenv("VIGIL_RULES_PATH");
    const std::string path = env != nullptr ? env : VIGIL_SOURCE_DIR "/deploy/rules";
    RuleFileSet files;
    absl::Status loaded = files.AddPaths({path});
    if (!loaded.ok()) {
      fprintf(stderr, "rule_eval_bench: %s\n", std::string(loaded.message()).c_str());
      std::exit(1);
    }
    absl::StatusOr<std::unique_ptr<RuleSet>> set = RuleSet::Compile(files);
    if (!set.ok()) {
      fprintf(stderr, "rule_eval_bench: %s\n", std::string(set.status().message()).c_str());
      std::exit(1);
    }
    return new std::shared_ptr<const RuleSet>(*std::move(set));
  }();
  return *pack;
}

constexpr size_t kDistinctEvents = 512;

// Engine::Process over the mix: conditions, threshold and sequence state, alerts.
void BM_EngineProcess(benchmark::State& state) {
  std::unique_ptr<Mix> mix = BuildMix(static_cast<int>(state.range(0)), kDistinctEvents);
  Engine engine(LoadPack());
  BenchView view(mix->world);
  uint64_t now = 1000ull * 1000 * 1000 * 1000;
  uint64_t alerts = 0;
  size_t i = 0;
  for (auto _ : state) {
    event::Event& e = mix->events[i];
    e.task.time_boot_ns = now;
    now += kStepNs;
    view.Reset(&e);
    engine.Process(view, [&](const Alert&) { ++alerts; });
    if (++i == mix->events.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["alerts"] = static_cast<double>(alerts);
  state.counters["tracked_keys"] = static_cast<double>(engine.tracked_keys());
}
BENCHMARK(BM_EngineProcess)->ArgName("mix")->DenseRange(0, 4);

// RuleSet::Evaluate only: which rules' conditions hold, no state.
void BM_RuleSetEvaluate(benchmark::State& state) {
  std::unique_ptr<Mix> mix = BuildMix(static_cast<int>(state.range(0)), kDistinctEvents);
  std::shared_ptr<const RuleSet> set = LoadPack();
  BenchView view(mix->world);
  uint64_t now = 1000ull * 1000 * 1000 * 1000;
  uint64_t matches = 0;
  size_t i = 0;
  for (auto _ : state) {
    event::Event& e = mix->events[i];
    e.task.time_boot_ns = now;
    now += kStepNs;
    view.Reset(&e);
    set->Evaluate(view, [&](const CompiledRule&) { ++matches; });
    if (++i == mix->events.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["matches"] = static_cast<double>(matches);
}
BENCHMARK(BM_RuleSetEvaluate)->ArgName("mix")->DenseRange(0, 4);

}  // namespace
}  // namespace vigil::rules

BENCHMARK_MAIN();
