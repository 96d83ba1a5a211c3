#include "agent/status_view.h"

#include <algorithm>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace ecssd::agent {
namespace {

namespace json = boost::json;

std::string record_line(const model::Record& r) {
  std::string values;
  for (const auto& v : r.values) values += (values.empty() ? "" : ",") + v;
  return fmt::format("{} {} {}", r.name, model::to_string(r.type), values);
}

}  // namespace

struct StatusView::Metrics {
  explicit Metrics(const common::Scope& scope)
      : published(state(scope, "published")),
        waiting(state(scope, "waiting")),
        failing(state(scope, "failing")),
        held(state(scope, "held")),
        latency(scope.histogram("ecssd_publish_latency_seconds",
                                "From a service becoming publishable (seen, or its check passing) to its records "
                                "accepted by the provider")) {}
  static common::Gauge& state(const common::Scope& scope, const char* name) {
    return scope.gauge("ecssd_services", "Services by state (published, waiting for health, failing, held for "
                       "flapping)", {{"state", name}});
  }
  common::Gauge& published;
  common::Gauge& waiting;
  common::Gauge& failing;
  common::Gauge& held;
  common::Histogram& latency;
};

StatusView::StatusView(const HealthGate& gate, const Agent* agent, EventLog& events, const common::TimeSource& time,
                       common::Scope metrics, StatusInfo info)
    : gate_(gate),
      agent_(agent),
      events_(events),
      time_(time),
      metrics_(std::make_unique<Metrics>(metrics)),
      info_(std::move(info)) {}

StatusView::~StatusView() = default;

void StatusView::on_owned(const std::vector<model::Record>& owned) {
  std::map<std::string, std::vector<std::string>> now;
  for (const auto& r : owned) {
    std::string container = r.label_or(model::label::kContainer);
    if (container.empty() || r.label_or(model::label::kKind) != "service") continue;
    std::string key = instance_key(container, r.label_or(model::label::kPort));
    now[key].push_back(record_line(r));
    names_[key] = {r.label_or(model::label::kService), r.label_or(model::label::kContainerName)};
  }
  const auto steady = time_.steady_now();
  for (const auto& [key, records] : now) {
    if (published_.contains(key)) continue;
    if (auto ready = gate_.ready_at(key)) {
      metrics_->latency.observe(std::chrono::duration<double>(steady - *ready).count());
    }
    const auto& [service, container] = names_[key];
    // "web.sd.internal CNAME" (and how many more): the values are on the page.
    std::string first = records.front().substr(0, records.front().find(' ', records.front().find(' ') + 1));
    std::string detail = first + (records.size() > 1 ? fmt::format(" (+{})", records.size() - 1) : "");
    events_.add({.at = time_.system_now(), .kind = "published", .level = "info", .service = service,
                 .container = container, .detail = std::move(detail)});
  }
  for (const auto& [key, records] : published_) {
    if (now.contains(key)) continue;
    const InstanceStatus* i = gate_.find(key);  // null: no check (or gone)
    std::string why = i ? why_not(*i) : rejection(key).value_or("the container stopped or no longer declares the service");
    const auto& [service, container] = names_[key];
    events_.add({.at = time_.system_now(), .kind = "withdrawn", .level = i ? "warn" : "info", .service = service,
                 .container = container, .detail = std::move(why)});
  }
  std::erase_if(names_, [&](const auto& kv) { return !now.contains(kv.first); });
  published_ = std::move(now);
  count_states();
}

void StatusView::count_states() {
  // Counted in place: a copy of every instance per plan run cost as much
  // memory again as the gate itself.
  metrics_->published.set(static_cast<double>(published_.size()));
  metrics_->waiting.set(static_cast<double>(gate_.count(GateState::kWaiting)));
  metrics_->failing.set(static_cast<double>(gate_.count(GateState::kFailing)));
  metrics_->held.set(static_cast<double>(gate_.count(GateState::kHeld)));
}

std::string StatusView::why_not(const InstanceStatus& i) const {
  switch (i.state) {
    case GateState::kWaiting:
      return fmt::format("waiting for its check: {} of {} passes{}", i.successes, i.check.rise,
                         i.last_result.empty() ? std::string() : ", last: " + i.last_result);
    case GateState::kFailing: return "check failing: " + i.last_result;
    case GateState::kHeld: return "flapping: held until its check passes for a minute";
    default: break;
  }
  return rejection(i.key).value_or("not published yet (the next plan run)");
}

// Why the last plan run rejected the instance `key`, if it did.
std::optional<std::string> StatusView::rejection(const std::string& key) const {
  if (!agent_) return std::nullopt;
  const std::string_view container = std::string_view(key).substr(0, key.find('|'));
  const std::string_view port = std::string_view(key).substr(key.find('|') + 1);
  const std::string_view number = port.substr(0, port.find('/'));
  const std::string field = number == "0" ? std::string("SERVICE_NAME") : fmt::format("SERVICE_{}_NAME", number);
  for (const auto& r : agent_->rejections()) {
    if (r.container_id == container && r.field == field) return r.reason;
  }
  return std::nullopt;
}

json::object StatusView::instance_json(const InstanceStatus& i) const {
  const model::Service& s = i.service;
  auto records = published_.find(i.key);
  const bool published = records != published_.end();
  json::object o;
  o["key"] = i.key;
  o["container"] = s.container_name;
  o["container_id"] = s.container_id.substr(0, 12);
  o["port"] = fmt::format("{}/{}", s.container_port, s.protocol);
  o["target"] = i.target;
  o["check"] = i.check.checked ? describe(i.check) : (i.check.note.empty() ? "none" : "none: " + i.check.note);
  o["health"] = to_string(i.state);
  o["since"] = rfc3339(i.since);
  o["since_ms"] = unix_ms(i.since);
  o["last_result"] = i.last_result;
  o["last_ok"] = i.last_ok;
  o["last_checked_ms"] = i.last_checked == common::SystemTime{} ? 0 : unix_ms(i.last_checked);
  o["last_ms"] = i.last_ms;
  o["passes"] = i.successes;
  o["failures"] = i.failures;
  o["rise"] = i.check.rise;
  o["fall"] = i.check.fall;
  o["published"] = published;
  o["why_not"] = published ? std::string() : why_not(i);
  json::array rs;
  if (published) {
    for (const auto& r : records->second) rs.emplace_back(r);
  }
  o["records"] = std::move(rs);
  return o;
}

json::value StatusView::services() const {
  std::map<std::string, std::vector<InstanceStatus>> by_name;
  for (auto& i : gate_.instances(agent_ ? agent_->services() : std::vector<model::Service>{})) {
    by_name[i.service.name].push_back(std::move(i));
  }
  json::array services;
  size_t instances = 0, published = 0, waiting = 0, failing = 0, held = 0;
  for (auto& [name, list] : by_name) {
    size_t ok = 0, bad = 0, wait = 0, pub = 0, hold = 0;
    json::array out;
    for (const auto& i : list) {
      ok += i.state == GateState::kPassing || i.state == GateState::kUnchecked;
      bad += i.state == GateState::kFailing || i.state == GateState::kHeld;
      wait += i.state == GateState::kWaiting;
      hold += i.state == GateState::kHeld;
      pub += published_.contains(i.key);
      out.push_back(instance_json(i));
    }
    instances += list.size();
    published += pub;
    waiting += wait;
    failing += bad;
    held += hold;
    // Consul's words: every instance passing, none (and some failing), or between.
    const char* health = ok == list.size() ? "passing" : ok == 0 && bad > 0 ? "critical" : "warning";
    services.push_back(json::object{{"name", name}, {"health", health}, {"instances_total", list.size()},
                                    {"passing", ok}, {"failing", bad}, {"waiting", wait}, {"held", hold},
                                    {"published", pub},
                                    {"instances", std::move(out)}});
  }
  const auto now = time_.system_now();
  auto tile = [](const char* label, size_t value, const char* tone) {
    return json::object{{"label", label}, {"value", value}, {"tone", tone}};
  };
  json::array tiles{tile("Services", by_name.size(), ""), tile("Instances", instances, ""),
                    tile("Published", published, "ok"), tile("Waiting for health", waiting, "wait"),
                    tile("Failing", failing - held, failing > held ? "bad" : ""),
                    tile("Held: flapping", held, held ? "held" : "")};
  return json::object{
      {"kind", "agent"},
      {"title", "ecssd agent on " + info_.host},
      {"host", info_.host},
      {"owner", info_.owner},
      {"zone", info_.zone},
      {"provider", info_.provider},
      {"version", ECSSD_VERSION},
      {"now", rfc3339(now)},
      {"now_ms", unix_ms(now)},
      {"summary", json::object{{"services", by_name.size()}, {"instances", instances}, {"published", published},
                               {"waiting", waiting}, {"failing", failing - held}, {"held", held}}},
      {"tiles", std::move(tiles)},
      {"services", std::move(services)},
  };
}

}  // namespace ecssd::agent
