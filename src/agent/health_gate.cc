#include "agent/health_gate.h"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <fmt/format.h>

#include "common/duration.h"
#include "common/log.h"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // g++ 12 false positive (GCC bug 109224)

namespace ecssd::agent {

namespace asio = boost::asio;
using health::Health;

struct HealthGate::Entry {
  Entry(InstanceStatus s, int rise, int fall, health::FlapPolicy flap)
      : status(std::move(s)), counts(rise, fall), flap(flap) {}
  InstanceStatus status;
  health::RiseFall counts;
  health::FlapGuard flap;
  uint64_t generation = 0;
  uint64_t seen = 0;  // the admit() call that last had it
  bool in_flight = false;
};

const char* to_string(GateState s) {
  switch (s) {
    case GateState::kUnchecked: return "unchecked";
    case GateState::kWaiting: return "waiting";
    case GateState::kPassing: return "passing";
    case GateState::kFailing: return "failing";
    case GateState::kHeld: return "held";
  }
  return "unchecked";
}

std::string instance_key(std::string_view container_id, std::string_view port) {
  return fmt::format("{}|{}", container_id, port);
}

std::string instance_key(const model::Service& s) {
  return instance_key(s.container_id, fmt::format("{}/{}", s.container_port, s.protocol));
}

HealthGate::HealthGate(asio::io_context& io, health::Probe& probe, HealthGateOptions options,
                       common::TimeSystem& time, common::Scope metrics, EventLog* events)
    : io_(io),
      probe_(probe),
      options_(std::move(options)),
      time_(time),
      events_(events),
      check_metrics_(metrics),
      wake_(time.make_timer(io.get_executor())),
      settle_(time.make_timer(io.get_executor())) {
  options_.concurrency = std::max<size_t>(options_.concurrency, 1);
}

HealthGate::~HealthGate() { stop(); }

void HealthGate::start(std::function<void()> on_change) {
  if (started_) return;
  started_ = true;
  stopped_ = false;
  on_change_ = std::move(on_change);
  loop_running_ = true;
  asio::co_spawn(io_, loop(), [this](std::exception_ptr e) {
    if (e) log::error("health check scheduler failed", {{"error", common::exception_message(e)}});
    loop_running_ = false;
  });
}

void HealthGate::stop() {
  if (stopped_) return;
  stopped_ = true;
  wake_->cancel();
  settle_->cancel();
}

void HealthGate::note(Entry& e, std::string kind, std::string level, std::string detail) {
  if (!events_) return;
  events_->add({.at = time_.system_now(),
                .kind = std::move(kind),
                .level = std::move(level),
                .service = e.status.service.name,
                .container = e.status.service.container_name,
                .detail = std::move(detail)});
}

// A service's status without gate state: one without a check, or a checked
// one the gate has not admitted yet.
InstanceStatus HealthGate::describe_unchecked(const model::Service& s) const {
  InstanceStatus st;
  st.key = instance_key(s);
  st.target = model::service_address(s, options_.checks.records);
  st.check = service_check(s, options_.checks);
  st.state = st.check.checked ? GateState::kWaiting : GateState::kUnchecked;
  st.admitted = !st.check.checked;
  // Publishable since its container started (what the page shows as "since").
  st.since = s.started_unix > 0 ? common::SystemTime(std::chrono::seconds(s.started_unix)) : time_.system_now();
  st.service = s;
  return st;
}

HealthGate::Entry HealthGate::make_entry(model::Service s, ServiceCheck check,
                                         const std::map<std::string, int64_t>& published) {
  InstanceStatus st;
  st.key = instance_key(s);
  st.target = model::service_address(s, options_.checks.records);
  st.since = time_.system_now();
  st.ready_at = time_.steady_now();
  st.service = std::move(s);
  st.check = std::move(check);
  const int rise = st.check.rise, fall = st.check.fall;
  Entry e(std::move(st), rise, fall, options_.flap);
  e.generation = ++generation_;
  InstanceStatus& status = e.status;
  auto was = published.find(status.key);
  if (was != published.end()) {
    // Already in the zone (the agent restarted): trusted until its checks fail.
    e.counts.seed(Health::kUp);
    status.state = GateState::kPassing;
    status.admitted = true;
    if (was->second > 0) status.since = common::SystemTime(std::chrono::seconds(was->second));
  } else {
    status.state = GateState::kWaiting;
  }
  return e;
}

std::vector<model::Service> HealthGate::admit(std::vector<model::Service> services,
                                              const std::map<std::string, int64_t>& published) {
  // In place, and only checked services get an entry: a second map of every
  // entry per plan run, and an entry per unchecked service, cost the agent
  // ~2 MB with 500 services.
  const uint64_t admission = ++admission_;
  std::vector<model::Service> out;
  out.reserve(services.size());
  std::map<std::string, common::SteadyTime> unpublished;
  for (auto& s : services) {
    ServiceCheck check = service_check(s, options_.checks);
    std::string key = instance_key(s);
    auto old = entries_.find(key);
    if (!check.checked) {
      if (old != entries_.end()) entries_.erase(old);  // its check was removed
      if (!published.contains(key)) {
        auto seen = unpublished_since_.find(key);
        unpublished.emplace(key, seen != unpublished_since_.end() ? seen->second : time_.steady_now());
      }
      out.push_back(std::move(s));
      continue;
    }
    if (old != entries_.end() && old->second.status.check == check) {
      old->second.status.service = std::move(s);  // same check: keep its state
      old->second.seen = admission;
      continue;
    }
    if (old != entries_.end()) entries_.erase(old);  // its check changed: start again
    Entry e = make_entry(std::move(s), std::move(check), published);
    e.seen = admission;
    if (e.status.state == GateState::kWaiting) {
      log::info("waiting for the health check before publishing",
                {{"name", e.status.service.name},
                 {"container", e.status.service.container_name},
                 {"check", describe(e.status.check)},
                 {"target", e.status.check.spec.target()}});
      note(e, "waiting", "info", "waiting for its first check: " + describe(e.status.check));
    }
    schedule(key, e.generation, time_.steady_now());
    entries_.emplace(std::move(key), std::move(e));
  }
  unpublished_since_ = std::move(unpublished);
  // Entries gone are forgotten; their queued checks are skipped.
  std::erase_if(entries_, [&](const auto& kv) { return kv.second.seen != admission; });

  for (const auto& [key, e] : entries_) {
    if (!e.status.admitted) continue;
    model::Service s = e.status.service;
    s.verdict = {"passing", std::chrono::system_clock::to_time_t(e.status.since)};
    out.push_back(std::move(s));
  }
  return out;
}

void HealthGate::schedule(const std::string& key, uint64_t generation, common::SteadyTime at) {
  queue_.emplace(at, order_++, key, generation);
  poke();
}

// Wakes the scheduler for the earliest due check, unless a slot must free first.
void HealthGate::poke() {
  if (queue_.empty() || in_flight_ >= options_.concurrency) return;
  auto at = std::get<0>(queue_.top());
  if (at < wake_->expiry()) wake_->expires_at(at);
}

common::Task<void> HealthGate::loop() {
  while (!stopped_) {
    const auto now = time_.steady_now();
    while (!queue_.empty() && std::get<0>(queue_.top()) <= now && in_flight_ < options_.concurrency) {
      Due due = queue_.top();
      queue_.pop();
      auto it = entries_.find(std::get<2>(due));
      if (it == entries_.end() || it->second.generation != std::get<3>(due) || it->second.in_flight) continue;
      it->second.in_flight = true;
      ++in_flight_;
      asio::co_spawn(io_, probe_one(it->first, it->second.generation, it->second.status.check.spec),
                     [this](std::exception_ptr e) {
                       if (e) log::error("health check failed", {{"error", common::exception_message(e)}});
                       --in_flight_;
                       poke();
                     });
    }
    if (queue_.empty() || in_flight_ >= options_.concurrency) {
      wake_->disarm();
    } else {
      wake_->expires_at(std::get<0>(queue_.top()));
    }
    co_await wake_->wait();
  }
}

common::Task<void> HealthGate::probe_one(std::string key, uint64_t generation, health::CheckSpec spec) {
  const auto started = time_.steady_now();
  health::ProbeResult result = co_await probe_.check(std::move(spec));
  if (!stopped_) finish(key, generation, result, started);
}

void HealthGate::finish(const std::string& key, uint64_t generation, const health::ProbeResult& result,
                        common::SteadyTime started) {
  const auto now = time_.steady_now();
  check_metrics_.record(result, now - started);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.generation != generation) return;  // gone, or its check changed
  Entry& e = it->second;
  e.in_flight = false;
  InstanceStatus& st = e.status;
  st.last_result = result.detail;
  st.last_ok = result.healthy;
  st.last_checked = time_.system_now();
  st.last_ms = std::chrono::duration<double, std::milli>(now - started).count();
  const Health before = e.counts.health();
  const bool transition = e.counts.record(result.healthy);
  st.successes = e.counts.consecutive_successes();
  st.failures = e.counts.consecutive_failures();
  if (transition && before != Health::kUnknown && e.flap.changed(now) == health::FlapGuard::Change::kHeld) {
    st.flaps = e.flap.recent_changes();
    enter(e, GateState::kHeld,
          fmt::format("{} verdict changes within {}", st.flaps, common::format_duration(options_.flap.window)));
  } else if (e.flap.checked(now, e.counts.health() == Health::kUp) == health::FlapGuard::Change::kReleased) {
    enter(e, GateState::kPassing, "stable again");
  } else if (!e.flap.held()) {
    apply_verdict(e, transition);
  }
  st.flaps = e.flap.recent_changes();
  if (settled()) settle_->cancel();
  // No verdict yet (rise passes or fall failures not reached): the quicker start interval.
  const auto every = e.counts.health() == Health::kUnknown ? st.check.start_interval : st.check.interval;
  schedule(key, generation, std::max(started + every, now));
}

void HealthGate::apply_verdict(Entry& e, bool transition) {
  if (!transition) return;
  switch (e.counts.health()) {
    case Health::kUp: enter(e, GateState::kPassing, e.status.last_result); break;
    case Health::kDown: enter(e, GateState::kFailing, e.status.last_result); break;
    case Health::kUnknown: break;
  }
}

// One log line, one event and (when the admission changes) one plan run per transition.
void HealthGate::enter(Entry& e, GateState state, const std::string& why) {
  InstanceStatus& st = e.status;
  if (st.state == state) return;
  const GateState from = st.state;
  st.state = state;
  st.since = time_.system_now();
  const bool admitted = state == GateState::kPassing;
  const log::Fields fields{{"name", st.service.name},
                           {"container", st.service.container_name},
                           {"check", describe(st.check)},
                           {"target", st.check.spec.target()},
                           {"reason", why}};
  switch (state) {
    case GateState::kPassing:
      if (from == GateState::kHeld) {
        log::info("health check stable again: flap hold released", fields);
        note(e, "released", "info", "stable for " + common::format_duration(options_.flap.stable));
      } else {
        log::info("health check passing", fields);
        note(e, "passing", "info", why);
      }
      break;
    case GateState::kFailing:
      log::warn("health check failing", fields);
      note(e, "failing", "error",
           fmt::format("{} failed check{} in a row: {}", st.failures, st.failures == 1 ? "" : "s", why));
      break;
    case GateState::kHeld:
      log::warn("health check flapping: held withdrawn until stable", fields);
      note(e, "held", "warn", fmt::format("flapping ({}): held until it passes for {}", why,
                                          common::format_duration(options_.flap.stable)));
      break;
    default: break;
  }
  if (admitted != st.admitted) {
    st.admitted = admitted;
    if (admitted) st.ready_at = time_.steady_now();
  }
  // Every transition, admitted or not, gets a plan run: the run is what
  // refreshes the status page's counts (a run with nothing to change sends
  // nothing to the provider).
  if (on_change_) on_change_();
}

bool HealthGate::settled() const {
  return std::none_of(entries_.begin(), entries_.end(), [](const auto& kv) {
    return kv.second.status.check.checked && kv.second.counts.health() == Health::kUnknown;
  });
}

common::Task<void> HealthGate::settle(common::SteadyTime deadline) {
  while (!stopped_ && !settled() && time_.steady_now() < deadline) {
    settle_->expires_at(deadline);
    co_await settle_->wait();
  }
}

std::vector<InstanceStatus> HealthGate::instances() const {
  std::vector<InstanceStatus> out;
  out.reserve(entries_.size());
  for (const auto& [key, e] : entries_) out.push_back(e.status);
  return out;
}

std::vector<InstanceStatus> HealthGate::instances(const std::vector<model::Service>& current) const {
  std::vector<InstanceStatus> out;
  out.reserve(current.size());
  for (const auto& s : current) {
    const InstanceStatus* known = find(instance_key(s));
    out.push_back(known ? *known : describe_unchecked(s));
  }
  return out;
}

std::optional<common::SteadyTime> HealthGate::ready_at(const std::string& key) const {
  if (const InstanceStatus* i = find(key)) {
    if (i->admitted) return i->ready_at;
    return std::nullopt;
  }
  auto it = unpublished_since_.find(key);
  if (it == unpublished_since_.end()) return std::nullopt;
  return it->second;
}

size_t HealthGate::count(GateState state) const {
  return static_cast<size_t>(
      std::count_if(entries_.begin(), entries_.end(), [&](const auto& kv) { return kv.second.status.state == state; }));
}

const InstanceStatus* HealthGate::find(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second.status;
}

}  // namespace ecssd::agent
