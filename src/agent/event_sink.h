#pragma once
// Where the agent's container events go: the agent knows this interface only.
// On AWS it is EventBridge PutEvents (cli/eventbridge_sink.h adapts
// aws::EventBridgeApi to it, so neither src/agent nor src/aws includes the
// other); unit tests use a fake.
#include <cstddef>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/task.h"

namespace ecssd::agent {

struct Event {
  std::string source;       // "ecssd"
  std::string detail_type;  // "Container Started", "Container Stopped"
  std::string detail;       // a JSON object, as text
  std::string bus;          // event bus name or ARN (--events-bus)
  std::vector<std::string> resources;  // ARNs the event concerns (the ECS task)
  common::SystemTime time;
};

// What became of one event of a send().
struct EventOutcome {
  std::string id;     // set when the event was accepted
  std::string error;  // set when it was refused: why, for the log
};

class EventSink {
 public:
  virtual ~EventSink() = default;

  // The most events one send() takes.
  virtual size_t max_batch() const = 0;

  // Sends up to max_batch() events. Returns one outcome per event, in order:
  // events refused one by one are outcomes, not errors. Errors: the whole
  // call failed and nothing is known to be sent; transient() ones may be
  // retried by the caller (throttled, unreachable).
  virtual common::Task<common::Result<std::vector<EventOutcome>>> send(std::vector<Event> events) = 0;
};

}  // namespace ecssd::agent
