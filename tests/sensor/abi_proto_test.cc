// The numeric event enums agree across the three places that define them: the modules'
// kernel ABI (bpf/abi/<module>.h), the event model (event/modules/<module>.h) and the wire
// format
// (proto/vigil/v1/event.proto).
#include <cstdint>
#include <string>

#include "event/event.h"
#include "event/schema.h"
#include "gtest/gtest.h"
#include "vigil/v1/event.pb.h"

namespace vigil::sensor {
namespace {

TEST(AbiProtoTest, EventTypesAgree) {
  struct Case {
    int abi;
    event::EventType sensor;
    v1::EventType proto;
    const char* proto_name;
  };
  const Case cases[] = {
      {VIGIL_EVENT_FORK, event::kFork, v1::EVENT_TYPE_FORK, "EVENT_TYPE_FORK"},
      {VIGIL_EVENT_EXEC, event::kExec, v1::EVENT_TYPE_EXEC, "EVENT_TYPE_EXEC"},
      {VIGIL_EVENT_EXIT, event::kExit, v1::EVENT_TYPE_EXIT, "EVENT_TYPE_EXIT"},
      {VIGIL_EVENT_OPEN, event::kOpen, v1::EVENT_TYPE_OPEN, "EVENT_TYPE_OPEN"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.proto_name);
    EXPECT_EQ(static_cast<int>(c.abi), static_cast<int>(c.sensor));
    EXPECT_EQ(static_cast<int>(c.abi), static_cast<int>(c.proto));
    EXPECT_EQ(v1::EventType_Name(c.proto), c.proto_name);
    v1::EventType parsed = v1::EVENT_TYPE_UNSPECIFIED;
    ASSERT_TRUE(v1::EventType_Parse(c.proto_name, &parsed));
    EXPECT_EQ(static_cast<int>(parsed), static_cast<int>(c.abi));
    // The proto name ends with the sensor's stable name in upper case.
    std::string lower(event::EventTypeName(c.sensor));
    for (char& ch : lower) ch = static_cast<char>(ch - 'a' + 'A');
    EXPECT_EQ(std::string(c.proto_name), "EVENT_TYPE_" + lower);
  }
}

TEST(AbiProtoTest, WireEventTypesAreRegistered) {
  // Every wire value but "unspecified" is an event type some module registers, by name.
  EXPECT_EQ(static_cast<int>(v1::EVENT_TYPE_UNSPECIFIED), 0);
  const auto* values = v1::EventType_descriptor();
  ASSERT_GT(values->value_count(), 1);
  for (int i = 0; i < values->value_count(); ++i) {
    const int value = values->value(i)->number();
    if (value == 0) continue;
    const event::EventTypeInfo* info = event::FindEventType(static_cast<event::EventType>(value));
    ASSERT_NE(info, nullptr) << values->value(i)->name();
    std::string upper(info->name);
    for (char& ch : upper) ch = static_cast<char>(ch - 'a' + 'A');
    EXPECT_EQ(values->value(i)->name(), "EVENT_TYPE_" + upper);
  }
}

TEST(AbiProtoTest, OpenSyscallsAgree) {
  struct Case {
    vigil_open_syscall abi;
    event::OpenSyscall sensor;
    v1::OpenSyscall proto;
    const char* proto_name;
  };
  const Case cases[] = {
      {VIGIL_SYS_OPEN, event::OpenSyscall::kOpen, v1::OPEN_SYSCALL_OPEN, "OPEN_SYSCALL_OPEN"},
      {VIGIL_SYS_OPENAT, event::OpenSyscall::kOpenAt, v1::OPEN_SYSCALL_OPENAT,
       "OPEN_SYSCALL_OPENAT"},
      {VIGIL_SYS_OPENAT2, event::OpenSyscall::kOpenAt2, v1::OPEN_SYSCALL_OPENAT2,
       "OPEN_SYSCALL_OPENAT2"},
      {VIGIL_SYS_CREAT, event::OpenSyscall::kCreat, v1::OPEN_SYSCALL_CREAT, "OPEN_SYSCALL_CREAT"},
      {VIGIL_SYS_OPEN_BY_HANDLE_AT, event::OpenSyscall::kOpenByHandleAt,
       v1::OPEN_SYSCALL_OPEN_BY_HANDLE_AT, "OPEN_SYSCALL_OPEN_BY_HANDLE_AT"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.proto_name);
    EXPECT_EQ(static_cast<int64_t>(c.abi), static_cast<int64_t>(c.sensor));
    EXPECT_EQ(static_cast<int64_t>(c.abi), static_cast<int64_t>(c.proto));
    EXPECT_EQ(v1::OpenSyscall_Name(c.proto), c.proto_name);
    // The proto name ends with the sensor's stable syscall name in upper case.
    std::string upper(event::OpenSyscallName(c.sensor));
    for (char& ch : upper) {
      if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    }
    EXPECT_EQ(std::string(c.proto_name), "OPEN_SYSCALL_" + upper);
  }
}

TEST(AbiProtoTest, OpenSyscallRangesAgree) {
  EXPECT_EQ(static_cast<int>(v1::OpenSyscall_MAX), VIGIL_SYS_OPEN_BY_HANDLE_AT);
  EXPECT_EQ(static_cast<int>(v1::OPEN_SYSCALL_UNSPECIFIED), 0);
  for (int value = VIGIL_SYS_OPEN; value <= VIGIL_SYS_OPEN_BY_HANDLE_AT; ++value) {
    EXPECT_TRUE(v1::OpenSyscall_IsValid(value)) << value;
  }
  EXPECT_FALSE(v1::OpenSyscall_IsValid(VIGIL_SYS_OPEN_BY_HANDLE_AT + 1));
  // UNSPECIFIED plus one value per ABI syscall.
  EXPECT_EQ(v1::OpenSyscall_descriptor()->value_count(), VIGIL_SYS_OPEN_BY_HANDLE_AT + 1);
}

// The enum underlying types in event/event.h hold the ABI fields without narrowing.
TEST(AbiProtoTest, SensorEnumWidthsMatchAbiFields) {
  EXPECT_EQ(sizeof(event::EventType), sizeof(vigil_event_header{}.type));
  EXPECT_EQ(sizeof(event::OpenSyscall), sizeof(vigil_open_event{}.syscall));
}

}  // namespace
}  // namespace vigil::sensor
