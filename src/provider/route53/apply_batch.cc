#include "provider/route53/apply_batch.h"

#include <optional>

#include <fmt/format.h>

#include "common/log.h"
#include "model/names.h"

namespace ecssd::provider::route53 {
namespace {

using common::Error;
using common::ErrorCode;
using common::make_error;

// Turns one change into its wire changes, refusing what must not be sent.
class WireBuilder {
 public:
  WireBuilder(const KnownRecordSets& known, const std::string& zone, const BatchLimits& limits)
      : known_(known), zone_(zone), limits_(limits) {}

  // DELETE of each old record, then CREATE of each new one; the error of the
  // first record that must not be sent, if any.
  std::optional<Error> build(const model::Record& rec, std::initializer_list<const model::Record*> olds,
                             std::initializer_list<const model::Record*> news, std::vector<Change>& wire) const {
    for (const model::Record* o : olds) {
      if (auto err = refusal(*o)) return err;
      auto rs = known_.existing(*o);
      if (!rs.ok()) return rs.error();
      wire.push_back({Action::kDelete, std::move(*rs)});
    }
    for (const model::Record* n : news) {
      if (auto err = refusal(*n)) return err;
      auto rs = to_record_set(*n);
      if (!rs.ok()) return rs.error();
      // A health check someone attached to the record stays attached.
      if (!wire.empty() && key_of(wire.front().record_set) == model::key_of(*n)) {
        rs->health_check_id = wire.front().record_set.health_check_id;
      }
      wire.push_back({Action::kCreate, std::move(*rs)});
    }
    if (!cost_of(wire).fits(limits_)) {
      return make_error(ErrorCode::kTooLarge,
                        fmt::format("{} exceeds the size of one Route 53 request", model::describe(rec)));
    }
    return std::nullopt;
  }

 private:
  std::optional<Error> refusal(const model::Record& r) const {
    if (const RecordSet* rs = known_.find(model::key_of(r)); rs != nullptr && !rs->unmanaged.empty()) {
      return make_error(ErrorCode::kPermissionDenied,
                        fmt::format("{} is a Route 53 {}, which ecssd never changes", model::describe(r),
                                    rs->unmanaged));
    }
    if (!model::in_zone(r.name, zone_)) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("{} is outside the zone {}", r.name, zone_));
    }
    return std::nullopt;
  }

  const KnownRecordSets& known_;
  const std::string& zone_;
  const BatchLimits& limits_;
};

Cost cost_of_part(const Part& part, const Batch& batch) {
  Cost c;
  for (size_t i : part) c += cost_of(batch.items[i].wire);
  return c;
}

}  // namespace

const RecordSet* KnownRecordSets::find(const Key& key) const {
  auto it = sets_.find(key);
  return it == sets_.end() ? nullptr : &it->second;
}

common::Result<RecordSet> KnownRecordSets::existing(const model::Record& r) const {
  if (const RecordSet* rs = find(model::key_of(r))) {
    auto listed = to_record(*rs);
    model::Record asked = canonical(r);
    asked.labels.clear();  // providers get raw records; be sure anyway
    if (listed && !model::differs(*listed, asked)) return *rs;
  }
  return to_record_set(r);
}

void KnownRecordSets::remember(const std::vector<Change>& applied) {
  for (const auto& c : applied) {
    auto key = key_of(c.record_set);
    if (!key) continue;
    if (c.action == Action::kDelete) sets_.erase(*key);
    else sets_.insert_or_assign(std::move(*key), c.record_set);
  }
}

void Batch::fail(size_t i, Error e) {
  items[i].state = State::kFailed;
  report.failed.push_back({items[i].change, std::move(e)});
}

Batch make_batch(model::ChangeSet changes, const KnownRecordSets& known, const std::string& zone,
                 const BatchLimits& limits) {
  Batch batch;
  const WireBuilder builder(known, zone, limits);
  auto add = [&](model::ChangeSet one, const model::Record& rec, std::initializer_list<const model::Record*> olds,
                 std::initializer_list<const model::Record*> news) {
    std::vector<Change> wire;
    std::optional<Error> err = builder.build(rec, olds, news, wire);
    std::string group = rec.group.empty() ? rec.name : rec.group;
    std::string unit = group + '\n' + rec.set_identifier;
    batch.items.push_back({std::move(one), std::move(wire), std::move(group), std::move(unit)});
    if (err) batch.fail(batch.items.size() - 1, std::move(*err));
  };
  for (auto& r : changes.remove) add(model::ChangeSet{.remove = {r}}, r, {&r}, {});
  for (auto& u : changes.update) add(model::ChangeSet{.update = {u}}, u.new_record, {&u.old_record}, {&u.new_record});
  for (auto& r : changes.create) add(model::ChangeSet{.create = {r}}, r, {}, {&r});
  return batch;
}

std::vector<Part> parts_of(const Batch& batch, const BatchLimits& limits) {
  std::map<std::string, Part> groups;
  for (size_t i = 0; i < batch.items.size(); ++i) {
    if (batch.items[i].state == Batch::State::kPending) groups[batch.items[i].group].push_back(i);
  }
  std::vector<Part> parts;
  for (auto& [group, members] : groups) {
    if (cost_of_part(members, batch).fits(limits)) {
      parts.push_back(std::move(members));
      continue;
    }
    log::warn("route53: the changes of one name exceed one request; sending them in several",
              {{"name", group}, {"changes", members.size()}});
    std::map<std::string, Part> units;
    for (size_t i : members) units[batch.items[i].unit].push_back(i);
    for (auto& [unit, unit_members] : units) {
      if (cost_of_part(unit_members, batch).fits(limits)) {
        parts.push_back(std::move(unit_members));
      } else {
        for (size_t i : unit_members) parts.push_back({i});
      }
    }
  }
  return parts;
}

std::vector<std::vector<Part>> requests_of(const Batch& batch, const BatchLimits& limits) {
  std::vector<Part> parts = parts_of(batch, limits);
  std::vector<Cost> costs;
  costs.reserve(parts.size());
  for (const auto& p : parts) costs.push_back(cost_of_part(p, batch));
  std::vector<std::vector<Part>> requests;
  for (const auto& request : pack(costs, limits)) {
    std::vector<Part>& these = requests.emplace_back();
    for (size_t p : request) these.push_back(parts[p]);
  }
  return requests;
}

std::vector<Change> wire_of(const std::vector<Part>& parts, const Batch& batch) {
  std::vector<Change> changes;
  for (bool deletes : {true, false}) {
    for (const auto& part : parts) {
      for (size_t i : part) {
        for (const auto& c : batch.items[i].wire) {
          if ((c.action == Action::kDelete) == deletes) changes.push_back(c);
        }
      }
    }
  }
  return changes;
}

}  // namespace ecssd::provider::route53
