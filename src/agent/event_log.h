#pragma once
// The recent changes an operator sees on the status page and in `ecssd
// status` (/v1/events): health transitions, publications and withdrawals,
// flap holds. A ring of the last `capacity` events, each numbered, so a page
// polling it can tell which ones are new.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include <boost/json/value.hpp>

#include "common/clock.h"

namespace ecssd::agent {

struct StatusEvent {
  uint64_t seq = 0;  // 1, 2, 3... in the order added
  common::SystemTime at{};
  std::string kind;   // "passing", "failing", "waiting", "held", "released", "published", "withdrawn"
  std::string level;  // "info", "warn", "error": the colour it is shown in
  std::string service;
  std::string container;
  std::string detail;
};

class EventLog {
 public:
  explicit EventLog(size_t capacity = 200) : capacity_(capacity) {}

  // Numbers and keeps `e`, dropping the oldest beyond the capacity.
  void add(StatusEvent e);
  const std::deque<StatusEvent>& events() const { return events_; }
  uint64_t last_seq() const { return seq_; }

  // {"events": [...newest first, at most `limit`...], "last_seq": N}.
  boost::json::value to_json(size_t limit) const;

 private:
  size_t capacity_;
  uint64_t seq_ = 0;
  std::deque<StatusEvent> events_;
};

// Unix milliseconds, and "2026-11-25T08:12:35Z" (UTC), for the JSON documents.
int64_t unix_ms(common::SystemTime t);
std::string rfc3339(common::SystemTime t);

}  // namespace ecssd::agent
