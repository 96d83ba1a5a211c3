#pragma once
// Internal to src/source/docker: what the source knows about each container,
// and the snapshot of services derived from it. Every change of what a
// container publishes goes through announce() (one log line, one change
// signal); forgetting a container (destroyed, gone, not listed) is forget().
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/service.h"
#include "source/docker/container_inspect.h"
#include "source/docker/source_metrics.h"

namespace ecssd::source {

// The first 12 characters of an engine id, as `docker ps` shows it.
std::string short_id(std::string_view id);

// Engine ids are hex; anything else is never put into a request path.
bool valid_id(std::string_view id);

// "web=80/tcp:8080,api=9000/tcp" for log lines.
std::string describe(const std::vector<model::Service>& services);

struct Container {
  std::string name;
  uint64_t gen = 0;             // bumped by every event: older inspect results are stale
  uint64_t last_event_seq = 0;  // the newest event seen for it (orders it against a listing)
  bool inspected = false;
  bool running = false;
  std::string health;
  std::string started_at;
  // Set by a terminating kill or a stop: the run (StartedAt) it withdrew, ""
  // until known. That run stays unpublished even while its process drains.
  std::optional<std::string> withdrawn_run;
  std::vector<model::Service> services;  // as declared by the last inspect
  std::set<std::string> logged;          // rejections and notes already logged
};

class ContainerTable {
 public:
  // `changed` is called (synchronously) whenever what a container publishes changes.
  ContainerTable(bool ignore_health, SourceMetrics metrics, std::function<void()> changed);

  // The services `c` publishes now: none unless inspected and running, none
  // for a run withdrawn by a kill or stop, none while its health check is not
  // healthy (unless health is ignored).
  std::vector<model::Service> published(const Container& c) const;
  // Every published service, by container id.
  std::vector<model::Service> services() const;
  size_t published_count() const;

  Container* find(const std::string& id);
  // The container, created unknown (not inspected) when new.
  Container& get(const std::string& id);
  size_t size() const { return containers_.size(); }
  std::map<std::string, Container>& all() { return containers_; }
  const std::map<std::string, Container>& all() const { return containers_; }

  // A number for each event, increasing: containers keep the one of their
  // latest event, so a listing asked for before it does not undo it.
  uint64_t next_event_seq() { return ++event_seq_; }
  uint64_t event_seq() const { return event_seq_; }

  // Removes a container; when it published anything, logs "container
  // withdrawn" with `reason` and signals a change. False when unknown.
  bool forget(const std::string& id, std::string_view reason);

  // Logs and signals a change of what container `id` publishes (nothing when
  // `before` equals `after`): withdrawn (with `reason`), published, or changed.
  void announce(const std::string& id, const std::string& name, const std::vector<model::Service>& before,
                const std::vector<model::Service>& after, std::string_view reason);

  // Takes in an inspect answer for `c` (= find(id)): run state, health and
  // declared services; logs each rejected variable and note once per
  // container lifetime; announces the change.
  void apply_inspect(const std::string& id, Container& c, InspectedContainer info);

  uint64_t rejections_logged() const { return rejections_logged_; }

 private:
  bool ignore_health_;
  SourceMetrics metrics_;
  std::function<void()> changed_;
  std::map<std::string, Container> containers_;
  uint64_t event_seq_ = 0;
  uint64_t rejections_logged_ = 0;
};

}  // namespace ecssd::source
