#pragma once
// The last passes of `ecssd reap --every`, for the status page the agent
// serves too (agent/status_page): the last pass's records as services and
// instances (/v1/services), and what the passes changed or found (/v1/events),
// in the documents' shared shape (docs/OPERATIONS.md).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include <boost/json/value.hpp>

#include "common/clock.h"
#include "reaper/report.h"

namespace ecssd::reaper {

class PassHistory {
 public:
  // Keeps the last `events` events (at most 200 are served).
  explicit PassHistory(size_t events = 200) : capacity_(events) {}

  // Takes in a finished pass, ended at `now`.
  void add(Report report, common::SystemTime now);
  size_t passes() const { return passes_; }

  boost::json::value services(common::SystemTime now) const;
  boost::json::value events(size_t limit) const;

 private:
  struct Event {
    uint64_t seq;
    int64_t at_ms;
    std::string at, kind, level, service, container, detail;
  };
  void add_event(Event e);

  size_t capacity_;
  size_t passes_ = 0;
  uint64_t seq_ = 0;
  int64_t last_ms_ = 0;
  Report last_;
  std::deque<Event> events_;
};

}  // namespace ecssd::reaper
