#include "source/docker/inspect_queue.h"

#include <fmt/format.h>

#include "source/docker/container_table.h"

namespace ecssd::source {

using common::ErrorCode;

bool InspectQueue::push(const std::string& id) {
  if (queued_.contains(id) || running_.contains(id)) return false;
  order_.push_back(id);
  queued_.emplace(id, std::prev(order_.end()));
  return true;
}

void InspectQueue::erase(const std::string& id) {
  auto it = queued_.find(id);
  if (it == queued_.end()) return;
  order_.erase(it->second);
  queued_.erase(it);
}

void InspectQueue::retain(const std::function<bool(const std::string&)>& wanted) {
  for (auto it = order_.begin(); it != order_.end();) {
    if (wanted(*it)) {
      ++it;
      continue;
    }
    queued_.erase(*it);
    it = order_.erase(it);
  }
}

std::optional<InspectQueue::Ticket> InspectQueue::pop(const std::function<bool(const std::string&)>& wanted) {
  while (active_ < max_in_flight_ && !order_.empty()) {
    std::string id = std::move(order_.front());
    order_.pop_front();
    queued_.erase(id);
    if (!wanted(id)) continue;
    running_.insert(id);
    ++active_;
    return Ticket{std::move(id), epoch_};
  }
  return std::nullopt;
}

void InspectQueue::finish(const Ticket& ticket) {
  if (active_ > 0) --active_;
  if (ticket.epoch == epoch_) running_.erase(ticket.id);
}

void InspectQueue::clear() {
  ++epoch_;
  order_.clear();
  queued_.clear();
  running_.clear();
}

InspectAnswer read_inspect(common::Result<EngineResponse> r, std::string_view id, const ExtractOptions& options) {
  InspectAnswer a;
  if (!r.ok()) {
    bool engine_trouble = r.error().transient || r.error().code == ErrorCode::kCancelled;
    a.kind = engine_trouble ? InspectAnswer::Kind::kFailSession : InspectAnswer::Kind::kKeep;
    a.error = r.error();
    return a;
  }
  if (r->status == 404) {
    a.kind = InspectAnswer::Kind::kGone;
    return a;
  }
  if (r->status != 200) {
    std::string message = fmt::format("GET /containers/{}/json: the Docker engine answered {}: {}", short_id(id),
                                      r->status, r->error_message());
    if (r->status >= 500) {
      a.kind = InspectAnswer::Kind::kFailSession;
      a.error = common::transient_error(ErrorCode::kUnavailable, std::move(message));
    } else {
      a.kind = InspectAnswer::Kind::kKeep;
      a.error = common::make_error(ErrorCode::kProtocol, std::move(message));
    }
    return a;
  }
  auto info = parse_inspect(r->body, options);
  if (!info.ok()) {
    a.kind = InspectAnswer::Kind::kUnreadable;
    a.error = info.error();
    return a;
  }
  a.kind = InspectAnswer::Kind::kApply;
  a.info = std::move(info).value();
  return a;
}

}  // namespace ecssd::source
