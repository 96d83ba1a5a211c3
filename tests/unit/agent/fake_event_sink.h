#pragma once
// An in-memory EventSink for unit tests of the agent's notifier: records
// every accepted event; events whose detail_type is in reject() are refused
// one by one (as EventBridge reports per-entry failures); fail_with() fails
// whole calls.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/event_sink.h"

namespace ecssd::agent::testing {

class FakeEventSink final : public EventSink {
 public:
  void reject(std::string detail_type) { rejected_.insert(std::move(detail_type)); }
  void fail_with(std::optional<common::Error> error) { error_ = std::move(error); }
  const std::vector<Event>& accepted() const { return accepted_; }

  size_t max_batch() const override { return 10; }

  common::Task<common::Result<std::vector<EventOutcome>>> send(std::vector<Event> events) override {
    if (error_) co_return *error_;
    if (events.empty()) co_return common::make_error(common::ErrorCode::kInvalidArgument, "no events");
    std::vector<EventOutcome> out;
    for (auto& e : events) {
      EventOutcome o;
      if (rejected_.count(e.detail_type)) {
        o.error = "rejected by the fake";
      } else {
        o.id = "event-" + std::to_string(accepted_.size() + 1);
        accepted_.push_back(std::move(e));
      }
      out.push_back(std::move(o));
    }
    co_return out;
  }

 private:
  std::set<std::string> rejected_;
  std::vector<Event> accepted_;
  std::optional<common::Error> error_;
};

}  // namespace ecssd::agent::testing
