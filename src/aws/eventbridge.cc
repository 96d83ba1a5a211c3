#include "aws/eventbridge.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "aws/protocol.h"

namespace ecssd::aws {
namespace {

namespace json = boost::json;

std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

json::object to_json(const EventEntry& e) {
  json::object o{{"Source", e.source}, {"DetailType", e.detail_type}, {"Detail", e.detail}};
  if (!e.event_bus_name.empty()) o["EventBusName"] = e.event_bus_name;
  if (!e.resources.empty()) {
    json::array r;
    for (const auto& res : e.resources) r.emplace_back(res);
    o["Resources"] = std::move(r);
  }
  if (e.time) {
    // JSON 1.1 timestamps are epoch seconds.
    o["Time"] = std::chrono::duration_cast<std::chrono::seconds>(e.time->time_since_epoch()).count();
  }
  return o;
}

}  // namespace

EventBridgeClient::EventBridgeClient(Transport& transport, ServiceEndpoint endpoint)
    : transport_(transport), endpoint_(std::move(endpoint)) {}

common::Task<common::Result<PutEventsResult>> EventBridgeClient::put_events(std::vector<EventEntry> entries) {
  if (entries.empty()) {
    co_return common::make_error(common::ErrorCode::kInvalidArgument, "EventBridge PutEvents: no entries");
  }
  PutEventsResult out;
  constexpr size_t kBatch = 10;  // the API's limit per call
  for (size_t start = 0; start < entries.size(); start += kBatch) {
    size_t end = std::min(entries.size(), start + kBatch);
    json::array list;
    for (size_t i = start; i < end; ++i) list.push_back(to_json(entries[i]));
    // A named object: g++ 12 rejects a braced temporary inside co_await
    // ("array used as initializer").
    json::object req{{"Entries", std::move(list)}};
    auto r = co_await call_json(&transport_, endpoint_, "AWSEvents.PutEvents", std::move(req), "EventBridge PutEvents");
    if (!r) co_return r.error();
    const auto* answers = r->if_contains("Entries");
    if (!answers || !answers->is_array() || answers->as_array().size() != end - start) {
      co_return common::make_error(common::ErrorCode::kProtocol,
                                   "EventBridge PutEvents: the answer does not list one result per entry");
    }
    int counted = 0;
    for (const auto& a : answers->as_array()) {
      PutEventsEntryResult er;
      if (a.is_object()) {
        er.event_id = str(a.as_object(), "EventId");
        er.error_code = str(a.as_object(), "ErrorCode");
        er.error_message = str(a.as_object(), "ErrorMessage");
      }
      if (er.event_id.empty() && er.error_code.empty()) er.error_code = "Unknown";
      if (!er.error_code.empty()) ++counted;
      out.entries.push_back(std::move(er));
    }
    // The service's own count; the entries' errors when it leaves it out.
    const auto* reported = r->if_contains("FailedEntryCount");
    out.failed_entry_count += reported && reported->is_int64() ? static_cast<int>(reported->as_int64()) : counted;
  }
  co_return out;
}

}  // namespace ecssd::aws
