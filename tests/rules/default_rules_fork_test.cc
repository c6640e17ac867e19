// Tests of the default rule pack's fork rules: fork flood by process and by container
// fire once per flood, with full context, and stay quiet on busy but ordinary forking.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "event/event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/engine.h"
#include "rules/rule_set.h"
#include "tests/rules/default_rules_fixture.h"

namespace vigil::rules {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ---------------------------------------------------------------------------------------
// Fork flood by process: 1000 processes within 500ms, by proc.pid.

TEST_F(DefaultRulesTest, ForkFloodByProcessFiresOncePerFlood) {
  Proc p;
  p.comm = "flood";
  p.exe = "/home/alice/flood";
  p.cmdline = "./flood 100000";
  p.container_id = "c0ffee";
  p.pod = "web-1";
  p.ns = "shop";
  // 1000 forks 0.4ms apart: 399.6ms from first to last.
  std::vector<Fired> alerts;
  for (int i = 0; i < 1000; ++i) {
    for (Fired& f : Run(Fork(p, kT0 + i * 400 * 1000))) alerts.push_back(std::move(f));
  }
  ASSERT_EQ(alerts.size(), 1u);
  const Fired& a = alerts[0];
  EXPECT_EQ(a.rule, kForkByProcess);
  EXPECT_EQ(a.count, 1000u);
  EXPECT_EQ(a.fields.at("evt.count"), "1000");
  EXPECT_EQ(a.fields.at("proc.pid"), "4242");
  EXPECT_EQ(a.fields.at("proc.ppid"), "4200");
  EXPECT_EQ(a.fields.at("proc.name"), "flood");
  EXPECT_EQ(a.fields.at("proc.exepath"), "/home/alice/flood");
  EXPECT_EQ(a.fields.at("proc.cmdline"), "./flood 100000");
  EXPECT_EQ(a.fields.at("proc.pname"), "sshd");
  EXPECT_EQ(a.fields.at("user.name"), "alice");
  EXPECT_EQ(a.fields.at("user.uid"), "1000");
  EXPECT_EQ(a.fields.at("container.id"), "c0ffee");
  EXPECT_EQ(a.fields.at("k8s.pod.name"), "web-1");
  EXPECT_EQ(a.fields.at("k8s.ns.name"), "shop");
  EXPECT_THAT(a.output, HasSubstr("count=1000 proc=flood exe=/home/alice/flood"));

  // The flood goes on for another second (under the container threshold's rate): absorbed.
  for (int i = 1000; i < 2000; ++i) Run(Fork(p, kT0 + i * 1000 * 1000));
  EXPECT_EQ(FiredBy(kForkByProcess).size(), 1u);
  // After 10s of quiet a new flood is a new alert.
  const uint64_t later = kT0 + 20 * kSec;
  for (int i = 0; i < 1000; ++i) Run(Fork(p, later + i * 400 * 1000));
  EXPECT_EQ(FiredBy(kForkByProcess).size(), 2u);
  EXPECT_THAT(FiredBy(kForkByContainer), IsEmpty());
}

TEST_F(DefaultRulesTest, ForkFloodByProcessNearMisses) {
  struct Case {
    const char* label;
    int forks;
    uint64_t spacing_ns;
    bool threads;
    int pids;  // forks spread round-robin over this many processes
  };
  const Case cases[] = {
      {"one under the count", 999, 400 * 1000, false, 1},
      {"the count spread over more than the window", 1000, 501 * 1000, false, 1},
      {"a busy shell loop for 10s", 10000, 1000 * 1000, false, 1},
      {"threads, not processes", 5000, 50 * 1000, true, 1},
      {"four processes, each under the count", 2000, 100 * 1000, false, 4},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    engine_ = std::make_unique<Engine>(*pack_);
    fired_.clear();
    for (int i = 0; i < c.forks; ++i) {
      Proc p;
      p.pid = 5000 + i % c.pids;
      p.comm = "ninja";
      Run(Fork(p, kT0 + i * c.spacing_ns, c.threads));
    }
    EXPECT_THAT(Names(fired_), IsEmpty());
  }
}

// ---------------------------------------------------------------------------------------
// Fork flood by container: 2500 processes within 500ms, by container.id.

TEST_F(DefaultRulesTest, ForkFloodByContainerCatchesABombOfShortLivedProcesses) {
  // A shell fork bomb: every process forks twice and exits, so no single pid floods.
  std::vector<Fired> alerts;
  for (int i = 0; i < 2500; ++i) {
    Proc p;
    p.pid = 10000 + i / 2;
    p.ppid = 10000 + i / 4;
    p.comm = "bash";
    p.cmdline = "bash";
    p.parent_comm = "bash";
    p.container_id = "bomb1234";
    p.pod = "job-7";
    p.ns = "batch";
    for (Fired& f : Run(Fork(p, kT0 + i * 150 * 1000))) alerts.push_back(std::move(f));
  }
  ASSERT_EQ(alerts.size(), 1u);
  const Fired& a = alerts[0];
  EXPECT_EQ(a.rule, kForkByContainer);
  EXPECT_EQ(a.count, 2500u);
  EXPECT_EQ(a.fields.at("evt.count"), "2500");
  EXPECT_EQ(a.fields.at("container.id"), "bomb1234");
  EXPECT_EQ(a.fields.at("k8s.pod.name"), "job-7");
  EXPECT_EQ(a.fields.at("k8s.ns.name"), "batch");
  EXPECT_EQ(a.fields.at("proc.pid"), "11249");  // the event that reached the count
  EXPECT_EQ(a.fields.at("proc.name"), "bash");
  EXPECT_THAT(a.output, HasSubstr("count=2500 container=bomb1234 pod=job-7 ns=batch"));
  EXPECT_THAT(FiredBy(kForkByProcess), IsEmpty());
}

TEST_F(DefaultRulesTest, ForkFloodByContainerCountsTheHostAsOneKey) {
  // Before container enrichment every process has an empty container id: the host floods
  // as one key.
  for (int i = 0; i < 2500; ++i) {
    Proc p;
    p.pid = 20000 + i;
    Run(Fork(p, kT0 + i * 100 * 1000));
  }
  ASSERT_EQ(FiredBy(kForkByContainer).size(), 1u);
  EXPECT_EQ(FiredBy(kForkByContainer)[0].fields.at("container.id"), "");
}

TEST_F(DefaultRulesTest, ForkFloodByContainerNearMisses) {
  struct Case {
    const char* label;
    int forks;
    uint64_t spacing_ns;
    int containers;
  };
  const Case cases[] = {
      {"one under the count", 2499, 150 * 1000, 1},
      {"the count spread over more than the window", 2500, 201 * 1000, 1},
      {"two containers, each under the rate", 5000, 120 * 1000, 2},
      {"a busy CI container for 10s at 1000/s", 10000, 1000 * 1000, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    engine_ = std::make_unique<Engine>(*pack_);
    fired_.clear();
    for (int i = 0; i < c.forks; ++i) {
      Proc p;
      p.pid = 30000 + i;
      p.container_id = absl::StrCat("ctr", i % c.containers);
      Run(Fork(p, kT0 + i * c.spacing_ns));
    }
    EXPECT_THAT(Names(fired_), IsEmpty());
  }
}

}  // namespace
}  // namespace vigil::rules
