#include "reaper/selection.h"

#include <algorithm>
#include <charconv>
#include <map>

#include <fmt/format.h>

#include "common/duration.h"
#include "registry/registry.h"

namespace ecssd::reaper {
namespace {

using model::Record;

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Two records share a target when everything their checks do is the same.
std::string spec_key(const CheckSpec& s) {
  return fmt::format("{}|{}|{}|{}-{}|{}", to_string(s.kind), s.target(), s.http_path, s.status.lo, s.status.hi,
                     s.timeout.count());
}

EntryKind kind_of(const Record& r) {
  if (r.label_or(model::label::kKind) == "host") return EntryKind::kHost;
  if (registry::orphan_of(r) == registry::Orphan::kNoCompanion) return EntryKind::kOrphan;
  return EntryKind::kService;
}

void read_service_labels(Entry& e, std::chrono::milliseconds check_timeout, std::chrono::milliseconds grace,
                         common::SystemTime now) {
  const Record& rec = e.record;
  auto spec = check_from_labels(rec.labels, check_timeout);
  if (spec.ok()) {
    e.spec = *spec;
  } else {
    e.spec_error = spec.error().message;
  }
  if (auto start = parse_int(rec.label_or(model::label::kStarted))) {
    auto age =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - common::SystemTime(std::chrono::seconds(*start)));
    e.young = age < grace;
    e.age = common::format_duration(std::max(age, std::chrono::milliseconds(0)));
  }
}

}  // namespace

std::string_view to_string(EntryKind kind) {
  switch (kind) {
    case EntryKind::kService: return "service";
    case EntryKind::kHost: return "host";
    case EntryKind::kOrphan: return "orphan";
  }
  return "service";
}

Selection select_owned(std::vector<Record> listed, std::chrono::milliseconds check_timeout,
                       std::chrono::milliseconds grace, common::SystemTime now) {
  Selection out;
  for (auto& r : listed) {
    if (r.owner().empty()) {
      ++out.foreign;
      continue;
    }
    auto e = std::make_unique<Entry>();
    e->record = std::move(r);
    e->rep.owner = std::string(e->record.owner());
    e->kind = kind_of(e->record);
    if (e->kind == EntryKind::kService) read_service_labels(*e, check_timeout, grace, now);
    out.entries.push_back(std::move(e));
  }
  return out;  // the listing's moved-from shells go with `listed`
}

std::vector<CheckSpec> check_targets(Entries& entries) {
  std::vector<CheckSpec> specs;
  std::map<std::string, size_t> by_spec;
  for (auto& e : entries) {
    if (e->kind != EntryKind::kService || !e->spec || e->spec->kind == CheckKind::kNone || e->young) continue;
    if (e->cloud.ecs == Verdict::kDead || e->cloud.ec2 == Verdict::kDead) continue;
    auto [it, added] = by_spec.emplace(spec_key(*e->spec), specs.size());
    if (added) specs.push_back(*e->spec);
    e->target = static_cast<long>(it->second);
  }
  return specs;
}

}  // namespace ecssd::reaper
