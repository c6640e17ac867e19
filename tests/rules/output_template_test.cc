// Unit tests for rules/output_template.h: compiling %field templates, their errors, and
// rendering every value type.
#include "rules/output_template.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::rules {
namespace {

using event::Event;
using event::EventType;
using event::ProcessInfo;

// A view over one exec event whose parent is "bash".
class ExecView : public EventView {
 public:
  ExecView() {
    event_.type = event::kExec;
    event_.task.pid = 42;
    event_.task.uid = 1000;
    event_.task.euid = 0;
    event_.task.comm = "sudo";
    event_.exec.exe = "/usr/bin/sudo";
    event_.exec.file_mode = 0104755;
    parent_.comm = "bash";
  }
  const event::Event& event() const override { return event_; }
  const event::ProcessInfo* process() const override { return nullptr; }
  const event::ProcessInfo* ancestor(int n) const override { return n == 1 ? &parent_ : nullptr; }
  absl::string_view user_name(uint32_t uid) const override { return {}; }

  event::Event event_;
  event::ProcessInfo parent_;
};

std::string Render(const std::string& text) {
  auto tmpl = OutputTemplate::Compile(TextPart{text, SourceLocation{"r.yaml", 3, 11}});
  EXPECT_TRUE(tmpl.ok()) << tmpl.status();
  if (!tmpl.ok()) return "";
  ExecView view;
  std::string out;
  tmpl->Render(view, &out);
  return out;
}

TEST(OutputTemplateTest, RendersEveryValueType) {
  EXPECT_EQ(Render("setuid %proc.exepath by uid=%user.uid euid=%user.euid (%proc.name, "
                   "parent %proc.aname[1], grandparent %proc.aname[2]) mode=%file.mode "
                   "suid=%file.is_setuid fd=%fd.name 100%%"),
            "setuid /usr/bin/sudo by uid=1000 euid=0 (sudo, parent bash, grandparent <NA>) "
            "mode=0104755 suid=true fd=<NA> 100%");
}

TEST(OutputTemplateTest, SentenceEndingDotIsNotPartOfTheField) {
  EXPECT_EQ(Render("ran %proc.name."), "ran sudo.");
  EXPECT_EQ(Render("%proc.name"), "sudo");
  EXPECT_EQ(Render("plain text"), "plain text");
}

TEST(OutputTemplateTest, FieldsAreListedOnceInOrder) {
  auto tmpl = OutputTemplate::Compile(
      TextPart{"%proc.name %user.uid %proc.name %proc.aname[2]", SourceLocation{"r.yaml", 1, 1}});
  ASSERT_TRUE(tmpl.ok());
  std::vector<std::string> names;
  for (const FieldRef& ref : tmpl->fields()) names.push_back(ref.name);
  EXPECT_THAT(names, ::testing::ElementsAre("proc.name", "user.uid", "proc.aname[2]"));
}

TEST(OutputTemplateTest, ErrorsPointAtThePercent) {
  struct Case {
    const char* text;
    const char* error;
  };
  for (const Case& c : {
           Case{"x %proc.nme y", "r.yaml:3:13: unknown field 'proc.nme' in output"},
           Case{"50 % done",
                "r.yaml:3:14: '%' must start a field reference (write %% for a "
                "literal '%')"},
           Case{"line one\n  then %bogus.field",
                "r.yaml:4:8: unknown field 'bogus.field' in "
                "output"},
           Case{"%proc.aname", "r.yaml:3:11: proc.aname needs an argument [1..16]"},
           Case{"%proc.aname[17]", "r.yaml:3:11: proc.aname needs an argument [1..16]"},
           Case{"%proc.aname[x]", "r.yaml:3:11: proc.aname needs an argument [1..16]"},
       }) {
    auto tmpl = OutputTemplate::Compile(TextPart{c.text, SourceLocation{"r.yaml", 3, 11}});
    ASSERT_FALSE(tmpl.ok()) << c.text;
    EXPECT_EQ(tmpl.status().message(), c.error);
  }
}

}  // namespace
}  // namespace vigil::rules
