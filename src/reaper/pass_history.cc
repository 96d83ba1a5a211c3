#include "reaper/pass_history.h"

#include <map>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace ecssd::reaper {
namespace {

namespace json = boost::json;

int64_t unix_ms(common::SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string rfc3339(common::SystemTime t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

// The page's health words for a pass's results.
const char* health_of(const RecordReport& r) {
  if (r.dead || r.result == "dead") return "failing";
  if (r.result == "healthy") return "passing";
  if (r.result == "unsettled") return "warning";
  return "unchecked";
}

std::string group_of(const RecordReport& r) {
  if (r.kind == "host") return "(host records)";
  if (r.kind == "orphan") return "(no ownership data)";
  return r.service.empty() ? r.name : r.service;
}

std::string values_of(const RecordReport& r) {
  std::string out;
  for (const auto& v : r.values) out += (out.empty() ? "" : ",") + v;
  return out;
}

json::object instance(const RecordReport& r, int64_t pass_ms) {
  const bool gone = r.decision == Decision::kDeleted;
  json::object o;
  o["container"] = r.container_name.empty() ? r.name : r.container_name;
  o["sub"] = fmt::format("owner {} · {} {}", r.owner.empty() ? "-" : r.owner, r.type, r.name);
  o["target"] = r.target;
  o["check"] = r.check == "-" ? std::string("none") : r.check;
  o["health"] = health_of(r);
  o["since_ms"] = pass_ms;
  o["last_result"] = r.detail;
  o["last_ok"] = r.result == "healthy";
  o["last_checked_ms"] = r.checks > 0 ? pass_ms : 0;
  o["published"] = !gone;
  o["why_not"] = gone ? "deleted: " + r.reason : std::string();
  o["records"] = json::array{json::string(fmt::format("{} {} {}", r.name, r.type, values_of(r)))};
  if (!r.agent_health.empty()) o["agent"] = r.agent_health;
  o["decision"] = std::string(to_string(r.decision));
  o["reason"] = r.reason;
  return o;
}

}  // namespace

void PassHistory::add_event(Event e) {
  e.seq = ++seq_;
  events_.push_back(std::move(e));
  while (events_.size() > capacity_) events_.pop_front();
}

void PassHistory::add(Report report, common::SystemTime now) {
  ++passes_;
  last_ms_ = unix_ms(now);
  const std::string at = rfc3339(now);
  for (const auto& r : report.records) {
    if (r.decision == Decision::kKeep && r.task_stop.empty()) continue;
    const bool deleted = r.decision == Decision::kDeleted;
    add_event({0, last_ms_, at, std::string(to_string(r.decision)),
               r.decision == Decision::kDeleteFailed ? "error" : deleted ? "info" : "warn", group_of(r),
               r.container_name.empty() ? r.name : r.container_name, r.reason});
  }
  for (const auto& e : report.errors) add_event({0, last_ms_, at, "error", "error", "", "", e});
  add_event({0, last_ms_, at, "pass", report.ok ? "info" : "error", "", "",
             fmt::format("{} in {} ms", summary(report), report.duration.count())});
  last_ = std::move(report);
}

json::value PassHistory::services(common::SystemTime now) const {
  std::map<std::string, std::vector<const RecordReport*>> groups;
  for (const auto& r : last_.records) groups[group_of(r)].push_back(&r);
  json::array services;
  for (const auto& [name, list] : groups) {
    size_t ok = 0, bad = 0, wait = 0, kept = 0;
    json::array out;
    for (const RecordReport* r : list) {
      std::string h = health_of(*r);
      ok += h == "passing" || h == "unchecked";
      bad += h == "failing";
      wait += h == "warning";
      kept += r->decision != Decision::kDeleted;
      out.push_back(instance(*r, last_ms_));
    }
    const char* health = ok == list.size() ? "passing" : ok == 0 && bad > 0 ? "critical" : "warning";
    services.push_back(json::object{{"name", name}, {"health", health}, {"instances_total", list.size()},
                                    {"passing", ok}, {"failing", bad}, {"waiting", wait}, {"published", kept},
                                    {"instances", std::move(out)}});
  }
  auto tile = [](const char* label, size_t value, const char* tone) {
    return json::object{{"label", label}, {"value", value}, {"tone", tone}};
  };
  json::array tiles{tile("Owned records", last_.owned, ""), tile("Foreign (never touched)", last_.foreign, ""),
                    tile("Targets checked", last_.targets_checked, ""),
                    tile("Dead", last_.dead, last_.dead ? "bad" : "ok"), tile("Deleted", last_.deleted, ""),
                    tile("Passes", passes_, "")};
  return json::object{{"kind", "reaper"},
                      {"title", passes_ ? fmt::format("ecssd reap of {}", fmt::join(last_.zones_read(), ", "))
                                        : std::string("ecssd reap: first pass running")},
                      {"zone", last_.zone},
                      {"provider", last_.provider},
                      {"version", ECSSD_VERSION},
                      {"now", rfc3339(now)},
                      {"now_ms", unix_ms(now)},
                      {"last_pass", last_.started},
                      {"last_pass_ok", last_.ok},
                      {"summary", json::object{{"failing", last_.dead}}},
                      {"tiles", std::move(tiles)},
                      {"services", std::move(services)}};
}

json::value PassHistory::events(size_t limit) const {
  json::array out;
  size_t n = 0;
  for (auto it = events_.rbegin(); it != events_.rend() && n < limit; ++it, ++n) {
    out.push_back(json::object{{"seq", it->seq}, {"at", it->at}, {"at_ms", it->at_ms}, {"kind", it->kind},
                               {"level", it->level}, {"service", it->service}, {"container", it->container},
                               {"detail", it->detail}});
  }
  return json::object{{"events", std::move(out)}, {"last_seq", seq_}};
}

}  // namespace ecssd::reaper
