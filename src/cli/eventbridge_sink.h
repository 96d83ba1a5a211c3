#pragma once
// The agent's EventSink on AWS: each event becomes a PutEvents entry of
// aws::EventBridgeApi. It lives here, where the agent is wired, because the
// agent must not know AWS and src/aws must not know the agent: the CLI is the
// one room that uses both.
#include "agent/event_sink.h"
#include "aws/eventbridge.h"

namespace ecssd::cli {

class EventBridgeSink final : public agent::EventSink {
 public:
  // `api` must outlive the sink.
  explicit EventBridgeSink(aws::EventBridgeApi& api) : api_(api) {}

  // PutEvents' limit: 10 entries per call.
  size_t max_batch() const override { return 10; }
  // Entries EventBridge rejects are outcomes whose error reads "PutEvents
  // rejected an entry: <code> <message>". Errors: those of put_events().
  common::Task<common::Result<std::vector<agent::EventOutcome>>> send(std::vector<agent::Event> events) override;

 private:
  aws::EventBridgeApi& api_;
};

// The PutEvents entry of one event (time always set: the agent's clock).
aws::EventEntry to_entry(agent::Event event);

}  // namespace ecssd::cli
