#include "agent/event_notifier.h"

#include <map>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "common/log.h"
#include "common/metrics.h"
#include "model/names.h"

namespace ecssd::agent {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using model::Record;

using Key = model::RecordKey;
using model::key_of;

std::string_view container_of(const Record& r) {
  auto it = r.labels.find(model::label::kContainer);
  return it == r.labels.end() ? std::string_view() : std::string_view(it->second);
}

// The detail of one event: the container, its services with the records
// concerned, this host.
std::string detail_of(std::string_view container, const std::vector<const Record*>& records,
                      const EventNotifierOptions& o) {
  const Record& first = *records.front();
  json::object d;
  d["container_id"] = container;
  d["container_name"] = first.label_or(model::label::kContainerName);
  // Services by (name, port), in the order of their records.
  std::map<std::pair<std::string, std::string>, json::array> services;
  for (const Record* r : records) {
    json::array values;
    for (const auto& v : r->values) values.emplace_back(v);
    json::object rec{{"name", r->name}, {"type", model::to_string(r->type)}, {"values", std::move(values)}};
    if (!r->set_identifier.empty()) rec["set_identifier"] = r->set_identifier;
    services[{r->label_or(model::label::kService), r->label_or(model::label::kPort)}].push_back(std::move(rec));
  }
  json::array list;
  for (auto& [id, recs] : services) {
    list.push_back(json::object{{"name", id.first}, {"port", id.second}, {"records", std::move(recs)}});
  }
  d["services"] = std::move(list);
  json::object host{{"name", o.host.host_name}, {"owner", o.host.owner_id}};
  if (!o.host.host_ip.empty()) host["ip"] = o.host.host_ip;
  if (!o.host.host_ip6.empty()) host["ip6"] = o.host.host_ip6;
  std::string instance = first.label_or(model::label::kInstance, o.host.instance_id);
  if (!instance.empty()) host["instance_id"] = instance;
  d["host"] = std::move(host);
  // The zone that holds the container's records (several --zone: the longest suffix).
  std::string zone = o.zone;
  if (auto i = model::zone_for(first.name, o.zones)) zone = o.zones[*i];
  d["zone"] = zone;
  if (auto arn = first.label_or(model::label::kTaskArn); !arn.empty()) d["task_arn"] = arn;
  if (auto cluster = first.label_or(model::label::kCluster); !cluster.empty()) d["cluster"] = cluster;
  return json::serialize(d);
}

}  // namespace

struct EventNotifier::Metrics {
  explicit Metrics(const common::Scope& scope)
      : sent(scope.counter("ecssd_events_sent_total", "EventBridge events accepted")),
        failed(scope.counter("ecssd_events_failed_total",
                             "EventBridge events rejected, or whose PutEvents call failed for good")),
        dropped(scope.counter("ecssd_events_dropped_total",
                              "EventBridge events dropped unsent (queue full, or left at shutdown)")) {}
  common::Counter& sent;
  common::Counter& failed;
  common::Counter& dropped;
};

std::vector<Event> container_events(const model::ChangeSet& applied, const std::vector<model::Record>& owned_before,
                                    const EventNotifierOptions& options, common::SystemTime now) {
  // Each container's record keys before, and what this change set did.
  std::map<std::string, std::set<Key>, std::less<>> before;
  for (const auto& r : owned_before) {
    if (auto c = container_of(r); !c.empty()) before[std::string(c)].insert(key_of(r));
  }
  std::map<std::string, std::vector<const Record*>, std::less<>> created, removed;
  for (const auto& r : applied.create) {
    if (auto c = container_of(r); !c.empty()) created[std::string(c)].push_back(&r);
  }
  for (const auto& r : applied.remove) {
    if (auto c = container_of(r); !c.empty()) removed[std::string(c)].push_back(&r);
  }

  std::vector<Event> out;
  auto add = [&](std::string_view type, std::string_view container, const std::vector<const Record*>& records) {
    Event e;
    e.source = std::string(kEventSource);
    e.detail_type = std::string(type);
    e.detail = detail_of(container, records, options);
    e.bus = options.bus;
    if (auto arn = records.front()->label_or(model::label::kTaskArn); arn.starts_with("arn:")) {
      e.resources.push_back(std::move(arn));
    }
    e.time = now;
    out.push_back(std::move(e));
  };
  // A container is present while it has records: Started when it had none
  // before this change set and has some after, Stopped the other way round.
  // Stopped ones first: a container replaced in one run (same name, new id)
  // is reported in the order it happened.
  auto after = [&](const std::string& container) {
    std::set<Key> keys;
    if (auto it = before.find(container); it != before.end()) keys = it->second;
    if (auto it = removed.find(container); it != removed.end()) {
      for (const Record* r : it->second) keys.erase(key_of(*r));
    }
    if (auto it = created.find(container); it != created.end()) {
      for (const Record* r : it->second) keys.insert(key_of(*r));
    }
    return keys;
  };
  auto had = [&](const std::string& container) {
    auto it = before.find(container);
    return it != before.end() && !it->second.empty();
  };
  for (const auto& [container, recs] : removed) {
    if (had(container) && after(container).empty()) add(kContainerStopped, container, recs);
  }
  for (const auto& [container, recs] : created) {
    if (!had(container) && !after(container).empty()) add(kContainerStarted, container, recs);
  }
  return out;
}

EventNotifier::EventNotifier(asio::io_context& io, EventSink& sink, EventNotifierOptions options,
                             common::TimeSystem& time, common::Scope metrics)
    : io_(io),
      sink_(sink),
      options_(std::move(options)),
      time_(time),
      metrics_(std::make_unique<Metrics>(metrics)),
      backoff_(options_.retry_base, options_.retry_cap),
      retry_timer_(time.make_timer(io.get_executor())) {}

EventNotifier::~EventNotifier() { stop(); }

void EventNotifier::stop() {
  if (stopped_) return;
  stopped_ = true;
  retry_timer_->cancel();
  if (!queue_.empty()) {
    stats_.dropped += queue_.size();
    metrics_->dropped.inc(queue_.size());
    log::warn("EventBridge events not sent at shutdown", {{"bus", options_.bus}, {"events", queue_.size()}});
    queue_.clear();
  }
}

void EventNotifier::on_applied(const model::ChangeSet& applied, const std::vector<model::Record>& owned_before) {
  if (stopped_) return;
  auto events = container_events(applied, owned_before, options_, time_.system_now());
  if (events.empty()) return;
  size_t dropped = 0;
  for (auto& e : events) {
    if (queue_.size() >= options_.max_queued) {
      ++dropped;
      continue;
    }
    ++stats_.queued;
    queue_.push_back(std::move(e));
  }
  if (dropped > 0) {
    stats_.dropped += dropped;
    metrics_->dropped.inc(dropped);
    log::warn("EventBridge queue full; events dropped",
              {{"bus", options_.bus}, {"dropped", dropped}, {"queued", queue_.size()}});
  }
  if (!sending_ && !queue_.empty()) {
    sending_ = true;
    asio::co_spawn(io_, send_loop(), asio::detached);
  }
}

void EventNotifier::note_failure(const std::string& what, size_t events) {
  stats_.failed += events;
  metrics_->failed.inc(events);
  if (what != last_failure_) {
    log::error("EventBridge events not delivered (DNS records are not affected)",
               {{"bus", options_.bus}, {"events", events}, {"error", what}});
    last_failure_ = what;
  }
}

common::Task<void> EventNotifier::send_loop() {
  const size_t per_call = std::max<size_t>(1, sink_.max_batch());
  while (!stopped_ && !queue_.empty()) {
    size_t n = std::min(per_call, queue_.size());
    std::vector<Event> batch(std::make_move_iterator(queue_.begin()),
                             std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    in_flight_ = true;
    backoff_.reset();
    common::Result<std::vector<EventOutcome>> result = common::make_error(common::ErrorCode::kInternal, "not sent");
    for (int attempt = 1;; ++attempt) {
      ++stats_.calls;
      result = co_await sink_.send(batch);
      if (result.ok() || !result.error().transient || attempt >= options_.attempts || stopped_) break;
      retry_timer_->expires_after(backoff_.next());
      co_await retry_timer_->wait();
      if (stopped_) break;
    }
    in_flight_ = false;
    if (!result.ok()) {
      note_failure(result.error().describe(), batch.size());
      continue;
    }
    size_t rejected = 0;
    std::string why;
    for (size_t i = 0; i < result->size() && i < batch.size(); ++i) {
      const EventOutcome& e = (*result)[i];
      if (e.error.empty()) continue;
      ++rejected;
      if (why.empty()) why = e.error;
    }
    size_t accepted = batch.size() - rejected;
    stats_.sent += accepted;
    metrics_->sent.inc(accepted);
    if (rejected > 0) {
      note_failure(why, rejected);
    } else if (!last_failure_.empty()) {
      log::info("EventBridge events delivered again", {{"bus", options_.bus}});
      last_failure_.clear();
    }
    for (size_t i = 0; i < result->size() && i < batch.size(); ++i) {
      if (!(*result)[i].error.empty()) continue;
      log::debug("event sent",
                 {{"bus", options_.bus}, {"detail_type", batch[i].detail_type}, {"event_id", (*result)[i].id}});
    }
  }
  sending_ = false;
}

}  // namespace ecssd::agent
