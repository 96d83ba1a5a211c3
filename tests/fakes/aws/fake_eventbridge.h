#pragma once
// An in-memory EventBridgeApi for unit tests: records every entry; entries
// whose detail_type is in reject() are answered with an error code, as
// EventBridge reports per-entry failures.
#include <set>
#include <vector>

#include "aws/eventbridge.h"

namespace ecssd::aws::testing {

class FakeEventBridgeApi final : public EventBridgeApi {
 public:
  void reject(std::string detail_type) { rejected_.insert(std::move(detail_type)); }
  void fail_with(std::optional<common::Error> error) { error_ = std::move(error); }
  const std::vector<EventEntry>& accepted() const { return accepted_; }

  common::Task<common::Result<PutEventsResult>> put_events(std::vector<EventEntry> entries) override {
    if (error_) co_return *error_;
    if (entries.empty()) co_return common::make_error(common::ErrorCode::kInvalidArgument, "no entries");
    PutEventsResult out;
    for (auto& e : entries) {
      PutEventsEntryResult r;
      if (rejected_.count(e.detail_type)) {
        r.error_code = "InternalFailure";
        r.error_message = "rejected by the fake";
        ++out.failed_entry_count;
      } else {
        r.event_id = "event-" + std::to_string(accepted_.size() + 1);
        accepted_.push_back(std::move(e));
      }
      out.entries.push_back(std::move(r));
    }
    co_return out;
  }

 private:
  std::set<std::string> rejected_;
  std::vector<EventEntry> accepted_;
  std::optional<common::Error> error_;
};

}  // namespace ecssd::aws::testing
