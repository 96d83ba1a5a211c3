#include "provider/inmemory/inmemory_provider.h"

#include <fmt/format.h>

#include "model/names.h"

namespace ecssd::provider {

using common::ErrorCode;
using common::make_error;

InMemoryProvider::InMemoryProvider(std::string zone, Capabilities caps)
    : zone_(model::normalize_name(zone)), caps_(caps) {}

void InMemoryProvider::fail_next(common::Error error, int times) {
  fail_ = std::move(error);
  fail_times_ = times;
}

std::vector<model::Record> InMemoryProvider::records() const {
  std::vector<model::Record> out;
  out.reserve(records_.size());
  for (const auto& [k, r] : records_) out.push_back(r);
  return out;
}

void InMemoryProvider::seed(std::vector<model::Record> records) {
  for (auto& r : records) {
    auto k = model::key_of(r);
    records_.insert_or_assign(std::move(k), std::move(r));
  }
}

common::Task<common::Result<std::vector<model::Record>>> InMemoryProvider::list() {
  ++list_calls_;
  if (fail_ && fail_times_-- > 0) co_return *fail_;
  co_return records();
}

std::optional<common::Error> InMemoryProvider::check(const model::ChangeSet& one) const {
  auto refused = [&](const model::Record& r) { return refused_.contains(r.name); };
  for (const auto& r : one.create) {
    if (refused(r)) return make_error(ErrorCode::kInvalidArgument, "refused name " + r.name);
    if (records_.contains(model::key_of(r))) {
      return make_error(ErrorCode::kConflict, "record already exists: " + model::describe(r));
    }
    if (!model::in_zone(r.name, zone_)) return make_error(ErrorCode::kInvalidArgument, r.name + " is outside the zone");
  }
  for (const auto& u : one.update) {
    if (refused(u.new_record)) return make_error(ErrorCode::kInvalidArgument, "refused name " + u.new_record.name);
    auto it = records_.find(model::key_of(u.old_record));
    if (it == records_.end() || it->second.values != u.old_record.values) {
      return make_error(ErrorCode::kConflict, "record to update not found as listed: " + model::describe(u.old_record));
    }
  }
  for (const auto& r : one.remove) {
    auto it = records_.find(model::key_of(r));
    if (it == records_.end() || it->second.values != r.values || it->second.ttl != r.ttl) {
      return make_error(ErrorCode::kConflict, "record to delete not found as listed: " + model::describe(r));
    }
  }
  return std::nullopt;
}

ApplyReport InMemoryProvider::apply_now(const model::ChangeSet& changes) {
  ApplyReport report;
  report.requests = 1;
  auto strip = [](model::Record r) {
    r.labels.clear();
    return r;
  };
  auto one = [&](model::ChangeSet cs) {
    if (auto err = check(cs)) {
      report.failed.push_back({std::move(cs), *err});
      return;
    }
    for (auto& r : cs.create) {
      records_.insert_or_assign(model::key_of(r), strip(r));
      report.applied.create.push_back(std::move(r));
    }
    for (auto& u : cs.update) {
      records_.erase(model::key_of(u.old_record));
      records_.insert_or_assign(model::key_of(u.new_record), strip(u.new_record));
      report.applied.update.push_back(std::move(u));
    }
    for (auto& r : cs.remove) {
      records_.erase(model::key_of(r));
      report.applied.remove.push_back(std::move(r));
    }
  };
  // Deletions first, so that a delete and a create of the same key in one set work.
  for (const auto& r : changes.remove) one(model::ChangeSet{.remove = {r}});
  for (const auto& u : changes.update) one(model::ChangeSet{.update = {u}});
  for (const auto& r : changes.create) one(model::ChangeSet{.create = {r}});
  if (!report.applied.empty() && on_changed_) on_changed_();
  return report;
}

common::Task<common::Result<ApplyReport>> InMemoryProvider::apply(model::ChangeSet changes) {
  ++apply_calls_;
  if (!caps_.writable) co_return make_error(ErrorCode::kPermissionDenied, "provider is read-only");
  if (fail_ && fail_times_-- > 0) co_return *fail_;
  co_return apply_now(changes);
}

}  // namespace ecssd::provider
