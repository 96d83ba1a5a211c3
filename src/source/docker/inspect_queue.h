#pragma once
// Internal to src/source/docker: the inspects the source asks for. Bounded
// (at most `max_in_flight` at once; a burst of starts queues behind them),
// de-duplicated (a container is queued once), and one inspect at a time per
// container (one asked for while its inspect runs waits for it: the answer's
// generation check then asks again when an event came in between). The
// source erases a container forgotten while queued, so the queue never holds
// more ids than the container table: it follows the containers, not the
// rate of their events.
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/result.h"
#include "source/docker/container_inspect.h"
#include "source/docker/engine_client.h"

namespace ecssd::source {

class InspectQueue {
 public:
  // An inspect handed out by pop(); give it back to finish().
  struct Ticket {
    std::string id;
    uint64_t epoch = 0;
  };

  explicit InspectQueue(size_t max_in_flight) : max_in_flight_(max_in_flight) {}

  // Queues `id` unless it is queued or being inspected already. True when queued now.
  bool push(const std::string& id);

  // Drops `id` from the queue (its container was forgotten). An inspect of it
  // already running keeps its slot until finish().
  void erase(const std::string& id);
  // Keeps only the queued ids for which `wanted` holds (after a listing
  // forgot containers).
  void retain(const std::function<bool(const std::string&)>& wanted);

  // The next inspect to send when fewer than max_in_flight run, marked as
  // running; queued ids for which `wanted` is false (forgotten containers)
  // are dropped on the way. nullopt when nothing may be sent now.
  std::optional<Ticket> pop(const std::function<bool(const std::string&)>& wanted);

  // An inspect ended, whatever its outcome: its slot is free, and its
  // container may be queued again. A ticket from before clear() frees only its slot.
  void finish(const Ticket& ticket);

  // A new session: forgets every queued and running id (answers of the old
  // session are not used). Inspects still running keep their slots until
  // they finish.
  void clear();

  size_t in_flight() const { return active_; }
  size_t queued() const { return queued_.size(); }
  bool running(const std::string& id) const { return running_.contains(id); }

 private:
  size_t max_in_flight_;
  size_t active_ = 0;
  uint64_t epoch_ = 0;
  std::list<std::string> order_;  // the queued ids, oldest first
  std::map<std::string, std::list<std::string>::iterator, std::less<>> queued_;  // into order_
  std::set<std::string> running_;
};

// What an inspect answer means for the source.
struct InspectAnswer {
  enum class Kind {
    kApply,        // `info` is the container now
    kGone,         // 404: the container no longer exists
    kKeep,         // unusable answer: keep the last known state, log `error`
    kUnreadable,   // the body does not parse: keep the last known state, log `error`
    kFailSession,  // the engine is in trouble (transient, cancelled, 5xx): end the session with `error`
  };
  Kind kind = Kind::kKeep;
  InspectedContainer info;
  common::Error error;
};

// Reads the answer to GET /containers/{id}/json.
InspectAnswer read_inspect(common::Result<EngineResponse> response, std::string_view id,
                           const ExtractOptions& options);

}  // namespace ecssd::source
