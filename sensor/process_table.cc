#include "sensor/process_table.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/read_file.h"

namespace vigil::sensor {
namespace {

// The most of /proc/<pid>/status looked at (the fields read are near its start) and of
// /proc/<pid>/cmdline kept (a longer one is cut short, like the argv an exec event carries).
constexpr size_t kMaxStatusBytes = 8192;
constexpr size_t kMaxCmdlineBytes = 4096;

// Parses "Uid:\t<real>\t<effective>..." style lines of /proc/PID/status.
void ParseIds(absl::string_view value, uint32_t* real, uint32_t* effective) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(value, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (parts.size() >= 2) {
    (void)absl::SimpleAtoi(parts[0], real);
    (void)absl::SimpleAtoi(parts[1], effective);
  }
}

std::string JoinArgs(absl::string_view argv) {
  std::string out;
  event::ArgvIterator it(argv);
  absl::string_view arg;
  while (it.Next(&arg)) {
    if (!out.empty()) out.push_back(' ');
    out.append(arg.data(), arg.size());
  }
  return out;
}

}  // namespace

ProcessTable::ProcessTable(size_t capacity) : processes_(capacity) {}

absl::Status ProcessTable::SeedFromProc(const std::string& proc_root) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(proc_root.c_str()), closedir);
  if (!dir) {
    return absl::NotFoundError(absl::StrCat("cannot list ", proc_root, ": ", strerror(errno)));
  }
  while (dirent* entry = readdir(dir.get())) {
    uint32_t pid;
    if (!absl::SimpleAtoi(entry->d_name, &pid) || pid == 0) continue;
    const std::string base = absl::StrCat(proc_root, "/", entry->d_name);
    absl::StatusOr<std::string> status_file = ReadFileHead(base + "/status", kMaxStatusBytes);
    if (!status_file.ok()) continue;

    event::ProcessInfo info;
    info.pid = pid;
    for (absl::string_view line : absl::StrSplit(*status_file, '\n')) {
      if (absl::ConsumePrefix(&line, "Name:")) {
        info.comm = std::string(absl::StripAsciiWhitespace(line));
      } else if (absl::ConsumePrefix(&line, "PPid:")) {
        (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &info.ppid);
      } else if (absl::ConsumePrefix(&line, "Uid:")) {
        ParseIds(line, &info.uid, &info.euid);
      } else if (absl::ConsumePrefix(&line, "Gid:")) {
        uint32_t egid;
        ParseIds(line, &info.gid, &egid);
      }
    }
    char target[4096];
    ssize_t n = readlink((base + "/exe").c_str(), target, sizeof(target));
    if (n > 0) info.exe.assign(target, static_cast<size_t>(n));
    absl::StatusOr<std::string> cmdline = ReadFileHead(base + "/cmdline", kMaxCmdlineBytes);
    if (cmdline.ok()) info.cmdline = JoinArgs(*cmdline);

    event::ProcessInfo* slot = Upsert(pid);
    *slot = std::move(info);
  }
  return absl::OkStatus();
}

event::ProcessInfo* ProcessTable::Upsert(uint32_t pid) {
  event::ProcessInfo& info = processes_.GetOrInsert(pid);
  info.pid = pid;
  return &info;
}

void ProcessTable::Apply(const event::Event& event) {
  const event::TaskContext& task = event.task;
  switch (event.type) {
    case event::kFork: {
      if (event.fork.is_thread) return;
      // The header describes the parent; the child starts as its copy.
      event::ProcessInfo parent;
      if (const event::ProcessInfo* known = Lookup(task.pid)) parent = *known;
      event::ProcessInfo* child = Upsert(event.fork.child_pid);
      child->ppid = task.pid;
      child->uid = task.uid;
      child->euid = task.euid;
      child->gid = task.gid;
      child->comm = parent.comm.empty() ? std::string(task.comm) : parent.comm;
      child->exe = parent.exe;
      child->exe_from_memfd = parent.exe_from_memfd;
      child->cmdline = parent.cmdline;
      child->start_boot_ns = task.time_boot_ns;
      return;
    }
    case event::kExec: {
      event::ProcessInfo* p = Upsert(task.pid);
      p->ppid = task.ppid;
      p->uid = task.uid;
      p->euid = task.euid;
      p->gid = task.gid;
      p->comm.assign(task.comm.data(), task.comm.size());
      p->exe.assign(event.exec.exe.data(), event.exec.exe.size());
      p->exe_from_memfd = event.exec.file_is_memfd;
      p->cmdline = JoinArgs(event.exec.argv);
      p->start_boot_ns = task.time_boot_ns;
      return;
    }
    case event::kExit:
      if (event.exit.group_dead) processes_.Erase(task.pid);
      return;
    case event::kOpen: return;
  }
}

const event::ProcessInfo* ProcessTable::Lookup(uint32_t pid) { return processes_.Find(pid); }

std::vector<const event::ProcessInfo*> ProcessTable::Ancestors(uint32_t pid, size_t max_depth) {
  std::vector<const event::ProcessInfo*> chain;
  const event::ProcessInfo* start = Lookup(pid);
  const event::ProcessInfo* current = start;
  while (current != nullptr && chain.size() < max_depth) {
    uint32_t parent = current->ppid;
    if (parent == 0 || parent == current->pid) break;
    const event::ProcessInfo* next = Lookup(parent);
    if (next == nullptr || next == start) break;
    for (const event::ProcessInfo* seen : chain) {
      if (seen == next) return chain;  // loop (pid reuse); stop
    }
    chain.push_back(next);
    current = next;
  }
  return chain;
}

}  // namespace vigil::sensor
