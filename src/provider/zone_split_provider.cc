#include "provider/zone_split_provider.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "model/names.h"

namespace ecssd::provider {
namespace {

// Appends one change of `from` (a set of one create, update or remove) to `to`.
void append(model::ChangeSet& to, const model::ChangeSet& from) {
  to.create.insert(to.create.end(), from.create.begin(), from.create.end());
  to.update.insert(to.update.end(), from.update.begin(), from.update.end());
  to.remove.insert(to.remove.end(), from.remove.begin(), from.remove.end());
}

// Every change of `set` as a set of its own, for ApplyReport::failed.
std::vector<FailedChange> each_failed(const model::ChangeSet& set, const common::Error& error) {
  std::vector<FailedChange> out;
  for (const auto& r : set.create) out.push_back({model::ChangeSet{.create = {r}}, error});
  for (const auto& u : set.update) out.push_back({model::ChangeSet{.update = {u}}, error});
  for (const auto& r : set.remove) out.push_back({model::ChangeSet{.remove = {r}}, error});
  return out;
}

}  // namespace

ZoneSplitProvider::ZoneSplitProvider(std::vector<std::unique_ptr<Provider>> zones) : zones_(std::move(zones)) {
  for (const auto& p : zones_) names_.push_back(p->zone());
}

std::optional<size_t> ZoneSplitProvider::zone_of(std::string_view name) const { return model::zone_for(name, names_); }

common::Task<common::Result<std::vector<model::Record>>> ZoneSplitProvider::list() {
  std::vector<model::Record> all;
  for (auto& p : zones_) {
    auto listed = co_await p->list();
    if (!listed.ok()) co_return listed.error();
    for (auto& r : listed.value()) all.push_back(std::move(r));
  }
  co_return all;
}

common::Task<common::Result<ApplyReport>> ZoneSplitProvider::apply(model::ChangeSet changes) {
  std::vector<model::ChangeSet> split(zones_.size());
  ApplyReport report;
  auto route = [&](const std::string& name, model::ChangeSet one) {
    if (auto i = zone_of(name)) {
      append(split[*i], one);
      return;
    }
    common::Error e{common::ErrorCode::kInvalidArgument,
                    fmt::format("\"{}\" is in none of the served zones ({})", name, fmt::join(names_, ", "))};
    report.failed.push_back({std::move(one), std::move(e)});
  };
  for (auto& r : changes.create) route(r.name, model::ChangeSet{.create = {r}});
  for (auto& u : changes.update) route(u.new_record.name, model::ChangeSet{.update = {u}});
  for (auto& r : changes.remove) route(r.name, model::ChangeSet{.remove = {r}});

  size_t asked = 0, failed = 0;
  std::optional<common::Error> first_error;
  for (size_t i = 0; i < zones_.size(); ++i) {
    if (split[i].empty()) continue;
    ++asked;
    model::ChangeSet mine = split[i];
    auto done = co_await zones_[i]->apply(std::move(mine));
    if (!done.ok()) {
      ++failed;
      // kThrottled only when every zone was (it promises nothing was applied).
      if (!first_error || first_error->code == common::ErrorCode::kThrottled) first_error = done.error();
      for (auto& f : each_failed(split[i], done.error())) report.failed.push_back(std::move(f));
      continue;
    }
    append(report.applied, done.value().applied);
    for (auto& f : done.value().failed) report.failed.push_back(std::move(f));
    report.requests += done.value().requests;
  }
  if (asked > 0 && failed == asked && report.applied.empty()) co_return *first_error;
  co_return report;
}

common::SteadyTime ZoneSplitProvider::ready_at(common::SteadyTime now) const {
  common::SteadyTime at = now;
  for (const auto& z : zones_) at = std::max(at, z->ready_at(now));
  return at;
}

model::Record ZoneSplitProvider::canonicalize(model::Record r) const {
  auto i = zone_of(r.name);
  if (!i) return r;
  return zones_[*i]->canonicalize(std::move(r));
}

}  // namespace ecssd::provider
