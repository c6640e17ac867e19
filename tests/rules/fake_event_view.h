// FakeEventView: an EventView over one event with a fixed process, ancestry, user table
// and container, for the rules tests.
#ifndef VIGIL_TESTS_RULES_FAKE_EVENT_VIEW_H_
#define VIGIL_TESTS_RULES_FAKE_EVENT_VIEW_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rules/fields.h"

namespace vigil::rules {

class FakeEventView : public EventView {
 public:
  explicit FakeEventView(event::Event event) : event_(std::move(event)) {}
  const event::Event& event() const override { return event_; }
  const event::ProcessInfo* process() const override { return has_process_ ? &process_ : nullptr; }
  const event::ProcessInfo* ancestor(int n) const override {
    return n >= 1 && n <= static_cast<int>(ancestors_.size()) ? &ancestors_[n - 1] : nullptr;
  }
  absl::string_view user_name(uint32_t uid) const override {
    auto it = users_.find(uid);
    return it == users_.end() ? absl::string_view() : absl::string_view(it->second);
  }
  absl::string_view container_id() const override { return container_id_; }

  event::Event event_;
  bool has_process_ = true;
  event::ProcessInfo process_;
  std::vector<event::ProcessInfo> ancestors_;  // parent first
  std::map<uint32_t, std::string> users_ = {{1000, "alice"}, {0, "root"}};
  std::string container_id_;
};

}  // namespace vigil::rules

#endif  // VIGIL_TESTS_RULES_FAKE_EVENT_VIEW_H_
