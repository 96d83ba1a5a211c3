#include "reaper/report.h"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace ecssd::reaper {
namespace {

namespace json = boost::json;

json::object record_json(const RecordReport& r) {
  json::object o;
  o["name"] = r.name;
  o["type"] = r.type;
  o["set_identifier"] = r.set_identifier;
  json::array values;
  for (const auto& v : r.values) values.emplace_back(v);
  o["values"] = std::move(values);
  o["owner"] = r.owner;
  o["kind"] = r.kind;
  if (!r.container_name.empty()) o["container_name"] = r.container_name;
  if (!r.service.empty()) o["service"] = r.service;
  o["target"] = r.target;
  o["check"] = r.check;
  o["result"] = r.result;
  o["checks"] = r.checks;
  o["detail"] = r.detail;
  if (!r.agent_health.empty()) o["agent_health"] = r.agent_health;
  json::object ecs{{"verdict", r.ecs}, {"detail", r.ecs_detail}};
  json::object ec2{{"verdict", r.ec2}, {"detail", r.ec2_detail}};
  if (r.kind == "service") {
    o["ecs"] = std::move(ecs);
    o["ec2"] = std::move(ec2);
  }
  o["dead"] = r.dead;
  o["reason"] = r.reason;
  o["decision"] = std::string(to_string(r.decision));
  if (!r.error.empty()) o["error"] = r.error;
  if (!r.task_stop.empty()) o["task_stop"] = r.task_stop;
  return o;
}

}  // namespace

std::string_view to_string(Decision d) {
  switch (d) {
    case Decision::kKeep: return "keep";
    case Decision::kDeleted: return "deleted";
    case Decision::kWouldDelete: return "would-delete";
    case Decision::kHeld: return "held-by-safety-valve";
    case Decision::kReadOnly: return "cannot-delete-read-only";
    case Decision::kDeleteFailed: return "delete-failed";
  }
  return "?";
}

json::value to_json(const Report& report, bool only_changes) {
  json::object o;
  o["zone"] = report.zone;
  json::array zones;
  for (const auto& z : report.zones_read()) zones.emplace_back(z);
  o["zones"] = std::move(zones);
  o["provider"] = report.provider;
  o["started"] = report.started;
  o["duration_ms"] = report.duration.count();
  o["ok"] = report.ok;
  o["dry_run"] = report.dry_run;
  o["read_only"] = report.read_only;
  o["owned"] = report.owned;
  o["foreign"] = report.foreign;
  o["targets_checked"] = report.targets_checked;
  o["probes"] = report.probes;
  o["dead"] = report.dead;
  o["deleted"] = report.deleted;
  o["tasks_stopped"] = report.tasks_stopped;
  o["safety_valve"] = json::object{{"tripped", report.valve.tripped},
                                   {"forced", report.valve.forced},
                                   {"fraction", report.valve.fraction},
                                   {"limit", report.valve.limit}};
  json::array errors;
  for (const auto& e : report.errors) errors.emplace_back(e);
  o["errors"] = std::move(errors);
  json::array records;
  size_t omitted = 0;
  for (const auto& r : report.records) {
    if (only_changes && r.decision == Decision::kKeep && r.task_stop.empty()) {
      ++omitted;
      continue;
    }
    records.emplace_back(record_json(r));
  }
  o["records"] = std::move(records);
  if (only_changes) o["records_omitted"] = omitted;
  return o;
}

std::string to_json_text(const Report& report, size_t max_bytes) {
  std::string text = json::serialize(to_json(report, false));
  if (max_bytes == 0 || text.size() <= max_bytes) return text;
  return json::serialize(to_json(report, true));
}

std::string summary(const Report& report) {
  std::string s = fmt::format("{} owned record(s), {} foreign (never touched), {} target(s) checked with {} probe(s), "
                              "{} dead, {} deleted",
                              report.owned, report.foreign, report.targets_checked, report.probes, report.dead,
                              report.deleted);
  if (report.tasks_stopped) s += fmt::format(", {} ECS task(s) stopped", report.tasks_stopped);
  if (report.dry_run) s += " (dry run: nothing changed)";
  if (report.read_only && report.dead) s += " (read-only provider: nothing can be deleted)";
  if (report.valve.tripped) s += " (safety valve tripped: nothing deleted)";
  return s;
}

std::string to_text(const Report& report) {
  std::string out;
  for (const auto& r : report.records) {
    if (r.decision == Decision::kKeep && r.task_stop.empty()) continue;
    out += fmt::format("{:<24} {} {} set={} target={} check={}: {}", to_string(r.decision), r.name, r.type,
                       r.set_identifier.empty() ? "-" : r.set_identifier, r.target.empty() ? "-" : r.target, r.check,
                       r.reason);
    if (!r.error.empty()) out += " [" + r.error + "]";
    if (!r.task_stop.empty()) out += " [task " + r.task_stop + "]";
    out += "\n";
  }
  for (const auto& e : report.errors) out += "error: " + e + "\n";
  out += fmt::format("{}: {} in {} ms\n", report.zone, summary(report), report.duration.count());
  return out;
}

}  // namespace ecssd::reaper
