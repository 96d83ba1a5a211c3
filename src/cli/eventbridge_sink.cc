#include "cli/eventbridge_sink.h"

#include <fmt/format.h>

namespace ecssd::cli {

aws::EventEntry to_entry(agent::Event event) {
  aws::EventEntry e;
  e.source = std::move(event.source);
  e.detail_type = std::move(event.detail_type);
  e.detail = std::move(event.detail);
  e.event_bus_name = std::move(event.bus);
  e.resources = std::move(event.resources);
  e.time = event.time;
  return e;
}

common::Task<common::Result<std::vector<agent::EventOutcome>>> EventBridgeSink::send(std::vector<agent::Event> events) {
  std::vector<aws::EventEntry> entries;
  entries.reserve(events.size());
  for (auto& e : events) entries.push_back(to_entry(std::move(e)));
  auto result = co_await api_.put_events(std::move(entries));
  if (!result.ok()) co_return result.error();
  std::vector<agent::EventOutcome> out;
  out.reserve(result->entries.size());
  for (const auto& r : result->entries) {
    agent::EventOutcome o;
    if (r.error_code.empty()) {
      o.id = r.event_id;
    } else {
      o.error = fmt::format("PutEvents rejected an entry: {} {}", r.error_code, r.error_message);
    }
    out.push_back(std::move(o));
  }
  co_return out;
}

}  // namespace ecssd::cli
