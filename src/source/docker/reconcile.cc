#include "source/docker/reconcile.h"

#include <fmt/format.h>
#include <boost/json/parse.hpp>

#include "source/docker/container_inspect.h"

namespace ecssd::source {

namespace json = boost::json;
using common::ErrorCode;

common::Result<Listing> read_listing(const EngineResponse& r) {
  if (r.status != 200) {
    std::string message =
        fmt::format("GET /containers/json: the Docker engine answered {}: {}", r.status, r.error_message());
    return r.status >= 500 ? common::transient_error(ErrorCode::kUnavailable, message)
                           : common::make_error(ErrorCode::kProtocol, message);
  }
  boost::system::error_code ec;
  json::value list = json::parse(r.body, ec);
  if (ec || !list.is_array()) {
    return common::make_error(ErrorCode::kProtocol, "GET /containers/json: the answer is not a JSON array");
  }
  Listing listed;
  for (const auto& e : list.get_array()) {
    const auto* o = e.if_object();
    if (!o) continue;
    const auto* id = o->if_contains("Id");
    if (!id || !id->is_string() || !valid_id(id->get_string())) continue;
    ListedContainer c;
    if (const auto* s = o->if_contains("State"); s && s->is_string()) c.state = std::string(s->get_string());
    if (const auto* n = o->if_contains("Names");
        n && n->is_array() && !n->get_array().empty() && n->get_array()[0].is_string()) {
      c.name = container_name(n->get_array()[0].get_string());
    }
    listed.emplace(std::string(id->get_string()), std::move(c));
  }
  return listed;
}

std::vector<std::string> reconcile(ContainerTable& table, const Listing& listing, uint64_t seq0) {
  // Gone from the list and no event since the list was asked for: gone.
  std::vector<std::string> gone;
  for (const auto& [id, c] : table.all()) {
    if (!listing.contains(id) && c.last_event_seq <= seq0) gone.push_back(id);
  }
  for (const auto& id : gone) table.forget(id, "not listed");
  std::vector<std::string> running;
  for (const auto& [id, entry] : listing) {
    Container& c = table.get(id);
    if (c.name.empty()) c.name = entry.name;
    if (c.last_event_seq > seq0) continue;  // a newer event already asked for an inspect
    if (entry.state == "running") {
      running.push_back(id);
    } else {
      auto before = table.published(c);
      c.running = false;
      table.announce(id, c.name, before, table.published(c), entry.state);
    }
  }
  return running;
}

bool Resync::request() {
  if (running_) {
    again_ = true;
    return false;
  }
  running_ = true;
  applied_ = false;
  return true;
}

bool Resync::applied(const std::vector<std::string>& running) {
  waiting_.insert(running.begin(), running.end());
  applied_ = true;
  return waiting_.empty();
}

bool Resync::answered(const std::string& id) {
  waiting_.erase(id);
  return running_ && applied_ && waiting_.empty();
}

bool Resync::complete() {
  running_ = false;
  applied_ = false;
  synced_ = true;
  ++completed_;
  bool again = again_;
  again_ = false;
  return again;
}

void Resync::reset() {
  waiting_.clear();
  running_ = false;
  applied_ = false;
  again_ = false;
}

}  // namespace ecssd::source
