// The summary of a refused program's load log: it must name the failing instruction, the
// source line and the verifier's reason, however long the log before them.
#include "sensor/probes/libbpf_log.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::sensor::probes {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A libbpf warning stream as printed when the verifier refuses a program: libbpf's own
// line, the verifier's log between markers, libbpf's closing lines.
std::string RefusalLog(int filler_insns) {
  std::string log =
      "libbpf: prog 'fe_open': BPF program load failed: Permission denied\n"
      "libbpf: prog 'fe_open': -- BEGIN PROG LOAD LOG --\n"
      "; int prog(unsigned long long *ctx) @ file.bpf.c:230\n";
  for (int i = 0; i < filler_insns; ++i) absl::StrAppend(&log, i, ": (b7) r2 = ", i, "\n");
  absl::StrAppend(&log,
                  "; __u8 first = len > 1 ? s->walk[start + 1] : 0; @ file.bpf.c:142\n"
                  "189: (0f) r2 += r1\n"
                  "190: (71) r1 = *(u8 *)(r2 +8192)\n"
                  "R2 invalid mem access 'inv'\n"
                  "processed 6132 insns (limit 1000000) max_states_per_insn 4\n"
                  "-- END PROG LOAD LOG --\n"
                  "libbpf: prog 'fe_open': failed to load: -13\n"
                  "libbpf: failed to load object 'file_bpf'\n");
  return log;
}

TEST(LibbpfLogTest, SummaryNamesTheFailingInstructionSourceLineAndReason) {
  const std::string summary = SummarizeLoadLog(RefusalLog(5000));
  EXPECT_THAT(summary, HasSubstr("BPF program load failed: Permission denied"));
  EXPECT_THAT(summary, HasSubstr("@ file.bpf.c:142"));
  EXPECT_THAT(summary, HasSubstr("190: (71) r1 = *(u8 *)(r2 +8192)"));
  EXPECT_THAT(summary, HasSubstr("R2 invalid mem access 'inv'"));
  EXPECT_THAT(summary, HasSubstr("failed to load object 'file_bpf'"));
  // Bounded: the thousands of instructions before the failure are left out.
  EXPECT_THAT(summary, Not(HasSubstr("100: (b7) r2 = 100")));
  EXPECT_LT(summary.size(), 2000u);
}

TEST(LibbpfLogTest, SourceLineIsKeptWhenItIsFarBeforeTheFailure) {
  std::string log = RefusalLog(0);
  // Many instructions between the last source annotation and the verdict.
  const std::string marker = "189: (0f) r2 += r1\n";
  std::string filler;
  for (int i = 0; i < 100; ++i) absl::StrAppend(&filler, 1000 + i, ": (bf) r3 = r4\n");
  log.insert(log.find(marker), filler);
  const std::string summary = SummarizeLoadLog(log);
  EXPECT_THAT(summary, HasSubstr("@ file.bpf.c:142"));
  EXPECT_THAT(summary, HasSubstr("R2 invalid mem access 'inv'"));
  EXPECT_THAT(summary, Not(HasSubstr("1000: (bf) r3 = r4")));
}

TEST(LibbpfLogTest, LogWithoutVerifierOutputIsKeptAsIs) {
  const std::string summary = SummarizeLoadLog("libbpf: failed to find BTF for extern 'bpf_foo'\n");
  EXPECT_EQ(summary, "libbpf: failed to find BTF for extern 'bpf_foo'");
}

TEST(LibbpfLogTest, RefusalLogsAreKeptWholeUntilTaken) {
  TakeRefusalLogs();
  const std::string log = RefusalLog(3000);
  KeepRefusalLog("file/fentry", log);
  const std::string kept = TakeRefusalLogs();
  EXPECT_THAT(kept, HasSubstr("==== refused: file/fentry ===="));
  EXPECT_THAT(kept, HasSubstr("2999: (b7) r2 = 2999"));
  EXPECT_THAT(kept, HasSubstr("R2 invalid mem access 'inv'"));
  EXPECT_EQ(TakeRefusalLogs(), "");
}

}  // namespace
}  // namespace vigil::sensor::probes
