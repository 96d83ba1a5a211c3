#pragma once
// An InstanceMetadata for unit tests: answers from a map of paths; unknown
// paths are kNotFound. set_unreachable() makes every call fail as off EC2.
#include <map>
#include <string>

#include "aws/instance_metadata.h"

namespace ecssd::aws::testing {

class FakeInstanceMetadata final : public InstanceMetadata {
 public:
  FakeInstanceMetadata() = default;
  explicit FakeInstanceMetadata(std::map<std::string, std::string> items) : items_(std::move(items)) {}

  void set(std::string path, std::string value) { items_[std::move(path)] = std::move(value); }
  void set_enabled(bool on) { enabled_ = on; }
  void set_unreachable(bool on) { unreachable_ = on; }

  common::Task<common::Result<std::string>> get(std::string path) override {
    ++calls_;
    if (!enabled_) co_return common::make_error(common::ErrorCode::kUnavailable, "disabled");
    if (unreachable_) {
      co_return common::transient_error(common::ErrorCode::kUnavailable, "instance metadata not reachable");
    }
    auto it = items_.find(path);
    if (it == items_.end()) co_return common::make_error(common::ErrorCode::kNotFound, "no item " + path);
    co_return it->second;
  }
  bool enabled() const override { return enabled_; }

  int calls() const { return calls_; }

 private:
  std::map<std::string, std::string> items_;
  bool enabled_ = true;
  bool unreachable_ = false;
  int calls_ = 0;
};

}  // namespace ecssd::aws::testing
