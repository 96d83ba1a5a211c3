#pragma once
// What the status server shows of the agent: every service the source has,
// instance by instance, with its check, health, last result, since when,
// whether it is published and why not (/v1/services), and the recent
// changes (/v1/events). It watches the plan runs (ChangeObserver::on_owned)
// to tell what is published, logs publications and withdrawals as events,
// and keeps the services-by-state gauge and the publication latency
// histogram.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "agent/agent.h"
#include "agent/event_log.h"
#include "agent/health_gate.h"
#include "common/clock.h"
#include "common/metrics.h"

namespace ecssd::agent {

// Who is speaking, for the page's header.
struct StatusInfo {
  std::string host;
  std::string owner;
  std::string zone;
  std::string provider;
};

class StatusView final : public ChangeObserver {
 public:
  // Everything given must outlive the view. `agent` may be null (no
  // rejections shown).
  StatusView(const HealthGate& gate, const Agent* agent, EventLog& events, const common::TimeSource& time,
             common::Scope metrics, StatusInfo info);
  ~StatusView() override;

  void on_applied(const model::ChangeSet&, const std::vector<model::Record>&) override {}
  void on_owned(const std::vector<model::Record>& owned) override;

  // The /v1/services document (docs/OPERATIONS.md describes its fields).
  boost::json::value services() const;
  // The /v1/events document: the newest `limit` events first.
  boost::json::value events(size_t limit) const { return events_.to_json(limit); }

 private:
  struct Metrics;
  boost::json::object instance_json(const InstanceStatus& i) const;
  std::string why_not(const InstanceStatus& i) const;
  std::optional<std::string> rejection(const std::string& key) const;
  void count_states();

  const HealthGate& gate_;
  const Agent* agent_;
  EventLog& events_;
  const common::TimeSource& time_;
  std::unique_ptr<Metrics> metrics_;
  StatusInfo info_;
  // Instance key -> its records ("web.sd.internal CNAME host1.sd.internal").
  std::map<std::string, std::vector<std::string>> published_;
  // Instance key -> (service, container), to name what was withdrawn.
  std::map<std::string, std::pair<std::string, std::string>> names_;
};

}  // namespace ecssd::agent
