#include "agent/event_log.h"

#include <algorithm>
#include <ctime>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace ecssd::agent {

void EventLog::add(StatusEvent e) {
  e.seq = ++seq_;
  events_.push_back(std::move(e));
  while (events_.size() > capacity_) events_.pop_front();
}

boost::json::value EventLog::to_json(size_t limit) const {
  boost::json::array out;
  size_t n = std::min(limit, events_.size());
  for (auto it = events_.rbegin(); it != events_.rbegin() + static_cast<std::ptrdiff_t>(n); ++it) {
    out.push_back(boost::json::object{{"seq", it->seq},
                                      {"at", rfc3339(it->at)},
                                      {"at_ms", unix_ms(it->at)},
                                      {"kind", it->kind},
                                      {"level", it->level},
                                      {"service", it->service},
                                      {"container", it->container},
                                      {"detail", it->detail}});
  }
  return boost::json::object{{"events", std::move(out)}, {"last_seq", seq_}};
}

int64_t unix_ms(common::SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string rfc3339(common::SystemTime t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

}  // namespace ecssd::agent
