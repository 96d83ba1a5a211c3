#pragma once
// A minimal Amazon EventBridge client: PutEvents (JSON 1.1, AWSEvents.PutEvents).
#include <optional>
#include <string>
#include <vector>

#include "aws/transport.h"
#include "common/clock.h"
#include "common/result.h"

namespace ecssd::aws {

struct EventEntry {
  std::string source;       // "ecssd"
  std::string detail_type;  // "Service Record Changed"
  std::string detail;       // a JSON object, as text
  std::string event_bus_name;  // empty: the account's default bus
  std::vector<std::string> resources;
  std::optional<common::SystemTime> time;  // empty: when EventBridge receives it
};

struct PutEventsEntryResult {
  std::string event_id;  // set when accepted
  std::string error_code;  // set when rejected
  std::string error_message;
};

struct PutEventsResult {
  int failed_entry_count = 0;
  std::vector<PutEventsEntryResult> entries;  // one per entry sent, in order
};

class EventBridgeApi {
 public:
  virtual ~EventBridgeApi() = default;
  // Sends the entries (10 per call, the API's limit). Entries EventBridge
  // rejects are counted in failed_entry_count and described in entries; that
  // is not an error. Errors: kInvalidArgument for an empty list; aws_error()
  // mapping of a rejected call (after some entries may already have been
  // sent); the transport's errors; kProtocol for an unreadable answer.
  virtual common::Task<common::Result<PutEventsResult>> put_events(std::vector<EventEntry> entries) = 0;
};

class EventBridgeClient final : public EventBridgeApi {
 public:
  // `transport` must outlive the client.
  EventBridgeClient(Transport& transport, ServiceEndpoint endpoint);
  common::Task<common::Result<PutEventsResult>> put_events(std::vector<EventEntry> entries) override;

 private:
  Transport& transport_;
  ServiceEndpoint endpoint_;
};

}  // namespace ecssd::aws
