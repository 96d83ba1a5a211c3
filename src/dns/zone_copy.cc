#include "dns/zone_copy.h"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include "model/names.h"

namespace ecssd::dns {
namespace {

using common::ErrorCode;
using common::make_error;
using model::RecordType;

common::Error inconsistent(const std::string& zone, std::string why) {
  return make_error(ErrorCode::kProtocol, fmt::format("incremental transfer of {}: {}", zone, std::move(why)));
}

}  // namespace

std::optional<uint32_t> soa_serial(const std::string& soa_value) {
  std::istringstream in(soa_value);
  std::string mname, rname;
  unsigned long long serial = 0;
  if (!(in >> mname >> rname >> serial) || serial > 0xffffffffULL) return std::nullopt;
  return static_cast<uint32_t>(serial);
}

ZoneCopy::ZoneCopy(std::string zone) : zone_(model::normalize_name(zone)) {}

bool ZoneCopy::add(std::map<Key, Values>& into, const Rr& rr) {
  auto& values = into[{rr.name, rr.type}];
  for (auto& [v, ttl] : values) {
    if (v == rr.value) {
      ttl = rr.ttl;
      return false;
    }
  }
  values.emplace_back(rr.value, rr.ttl);
  return true;
}

bool ZoneCopy::remove(std::map<Key, Values>& from, const Rr& rr) {
  auto it = from.find({rr.name, rr.type});
  if (it == from.end()) return false;
  auto& values = it->second;
  auto v = std::find_if(values.begin(), values.end(), [&](const auto& x) { return x.first == rr.value; });
  if (v == values.end()) return false;
  values.erase(v);
  if (values.empty()) from.erase(it);
  return true;
}

void ZoneCopy::adopt(std::map<Key, Values> rrsets) {
  rrsets_ = std::move(rrsets);
  rr_count_ = 0;
  for (const auto& [k, v] : rrsets_) rr_count_ += v.size();
  soa_.reset();
  if (auto it = rrsets_.find({zone_, RecordType::kSOA}); it != rrsets_.end() && !it->second.empty()) {
    soa_ = Rr{zone_, RecordType::kSOA, it->second.front().second, it->second.front().first};
    serial_ = soa_serial(soa_->value).value_or(0);
  }
  loaded_ = true;
}

common::Status ZoneCopy::replace(std::vector<Rr> rrs) {
  std::map<Key, Values> next;
  bool soa = false;
  for (auto& rr : rrs) {
    if (rr.type == RecordType::kSOA && rr.name == zone_) {
      // One SOA per zone: the transfer's (its closing copy is not passed in).
      next.erase({zone_, RecordType::kSOA});
      soa = true;
    }
    add(next, rr);
  }
  if (!soa) return make_error(ErrorCode::kProtocol, fmt::format("zone transfer of {} without its SOA", zone_));
  adopt(std::move(next));
  return {};
}

common::Status ZoneCopy::apply(const std::vector<IxfrStep>& steps, uint32_t final_serial) {
  if (!loaded_) return inconsistent(zone_, "no full copy to start from");
  std::map<Key, Values> next = rrsets_;
  uint32_t serial = serial_;
  for (const auto& step : steps) {
    if (step.from_serial != serial) {
      return inconsistent(zone_, fmt::format("a step from serial {} while the copy is at {}", step.from_serial, serial));
    }
    for (const auto& rr : step.removed) {
      if (rr.type == RecordType::kSOA && rr.name == zone_) continue;  // the SOAs delimit steps
      if (!remove(next, rr)) {
        return inconsistent(zone_, fmt::format("it removes {} {} which the copy does not hold", rr.name,
                                               model::to_string(rr.type)));
      }
    }
    for (const auto& rr : step.added) {
      if (rr.type == RecordType::kSOA && rr.name == zone_) {
        next.erase({zone_, RecordType::kSOA});
      }
      add(next, rr);
    }
    serial = step.to_serial;
  }
  if (serial != final_serial) {
    return inconsistent(zone_, fmt::format("the steps end at serial {}, the server is at {}", serial, final_serial));
  }
  auto soa = next.find({zone_, RecordType::kSOA});
  if (soa == next.end() || soa_serial(soa->second.front().first) != final_serial) {
    return inconsistent(zone_, "the steps do not leave the new SOA");
  }
  adopt(std::move(next));
  return {};
}

std::vector<model::Record> ZoneCopy::records() const {
  std::vector<model::Record> out;
  out.reserve(rrsets_.size());
  for (const auto& [key, values] : rrsets_) {
    model::Record r;
    r.name = key.first;
    r.type = key.second;
    r.ttl = values.front().second;
    for (const auto& [v, ttl] : values) {
      r.values.push_back(v);
      r.ttl = std::min(r.ttl, ttl);
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<model::Record> ZoneCopy::rrset(const std::string& name, RecordType type) const {
  auto it = rrsets_.find({name, type});
  if (it == rrsets_.end()) return std::nullopt;
  model::Record r;
  r.name = name;
  r.type = type;
  r.ttl = it->second.front().second;
  for (const auto& [v, ttl] : it->second) {
    r.values.push_back(v);
    r.ttl = std::min(r.ttl, ttl);
  }
  return r;
}

std::set<RecordType> ZoneCopy::types_at(const std::string& name) const {
  std::set<RecordType> out;
  for (auto it = rrsets_.lower_bound({name, RecordType{0}}); it != rrsets_.end() && it->first.first == name; ++it) {
    out.insert(it->first.second);
  }
  return out;
}

}  // namespace ecssd::dns
