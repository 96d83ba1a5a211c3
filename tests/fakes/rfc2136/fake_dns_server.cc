#include "fakes/rfc2136/fake_dns_server.h"

#include <algorithm>

#include <fmt/format.h>

namespace ecssd::testing {

using dns::Prerequisite;
using dns::UpdateOp;
using model::RecordType;

FakeDnsServer::FakeDnsServer(std::string zone) : zone_(std::move(zone)) {
  rrsets_[{zone_, RecordType::kNS}] = {{"ns." + zone_, 60}};
}

dns::Rr FakeDnsServer::soa() const {
  return dns::Rr{zone_, RecordType::kSOA, 60,
                 fmt::format("ns.{} hostmaster.{} {} 3600 600 86400 5", zone_, zone_, serial_)};
}

std::vector<dns::Rr> FakeDnsServer::all_rrs() const {
  std::vector<dns::Rr> out{soa()};
  for (const auto& [k, values] : rrsets_) {
    for (const auto& [v, ttl] : values) out.push_back(dns::Rr{k.first, k.second, ttl, v});
  }
  return out;
}

void FakeDnsServer::bump(dns::IxfrStep step) {
  step.from_serial = serial_;
  step.removed.insert(step.removed.begin(), soa());
  ++serial_;
  step.to_serial = serial_;
  step.added.insert(step.added.begin(), soa());
  journal_.push_back(std::move(step));
}

void FakeDnsServer::add(const std::string& name, RecordType type, const std::string& value, uint32_t ttl) {
  dns::IxfrStep step;
  if (apply_op(UpdateOp{UpdateOp::Kind::kAdd, name, type, ttl, value}, step)) bump(std::move(step));
}

void FakeDnsServer::remove(const std::string& name, RecordType type, const std::string& value) {
  dns::IxfrStep step;
  if (apply_op(UpdateOp{UpdateOp::Kind::kDelete, name, type, 0, value}, step)) bump(std::move(step));
}

std::vector<std::string> FakeDnsServer::dump() const {
  std::vector<std::string> out;
  for (const auto& [k, values] : rrsets_) {
    if (k.first == zone_ && k.second == RecordType::kNS) continue;
    for (const auto& [v, ttl] : values) out.push_back(fmt::format("{} {} {}", k.first, model::to_string(k.second), v));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> FakeDnsServer::values(const std::string& name, RecordType type) const {
  std::vector<std::string> out;
  if (auto it = rrsets_.find({name, type}); it != rrsets_.end()) {
    for (const auto& [v, ttl] : it->second) out.push_back(v);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool FakeDnsServer::prerequisites_hold(const dns::UpdateRequest& r, uint16_t* rcode) const {
  auto name_used = [&](const std::string& name) {
    return std::any_of(rrsets_.begin(), rrsets_.end(), [&](const auto& x) { return x.first.first == name; });
  };
  for (const auto& p : r.prerequisites) {
    auto it = rrsets_.find({p.name, p.type});
    switch (p.kind) {
      case Prerequisite::Kind::kRrsetExists:
        if (it == rrsets_.end()) return *rcode = dns::kRcodeNxRrset, false;
        break;
      case Prerequisite::Kind::kRrsetEquals: {
        if (it == rrsets_.end()) return *rcode = dns::kRcodeNxRrset, false;
        std::vector<std::string> have, want = p.values;
        for (const auto& [v, ttl] : it->second) have.push_back(v);
        std::sort(have.begin(), have.end());
        std::sort(want.begin(), want.end());
        if (have != want) return *rcode = dns::kRcodeNxRrset, false;
        break;
      }
      case Prerequisite::Kind::kRrsetAbsent:
        if (it != rrsets_.end()) return *rcode = dns::kRcodeYxRrset, false;
        break;
      case Prerequisite::Kind::kNameInUse:
        if (!name_used(p.name)) return *rcode = dns::kRcodeNxDomain, false;
        break;
      case Prerequisite::Kind::kNameNotInUse:
        if (name_used(p.name)) return *rcode = dns::kRcodeYxDomain, false;
        break;
    }
  }
  return true;
}

// RFC 2136 section 3.4.2; returns whether the zone changed.
bool FakeDnsServer::apply_op(const UpdateOp& op, dns::IxfrStep& step) {
  auto at_name = [&](const std::string& name) {
    std::set<RecordType> t;
    for (const auto& [k, v] : rrsets_) {
      if (k.first == name) t.insert(k.second);
    }
    return t;
  };
  auto drop = [&](const Key& k, const std::string& value) {
    auto it = rrsets_.find(k);
    if (it == rrsets_.end()) return false;
    auto v = std::find_if(it->second.begin(), it->second.end(), [&](const auto& x) { return x.first == value; });
    if (v == it->second.end()) return false;
    step.removed.push_back(dns::Rr{k.first, k.second, v->second, v->first});
    it->second.erase(v);
    if (it->second.empty()) rrsets_.erase(it);
    return true;
  };
  Key k{op.name, op.type};
  switch (op.kind) {
    case UpdateOp::Kind::kAdd: {
      auto types = at_name(op.name);
      if (op.type == RecordType::kCNAME) {
        types.erase(RecordType::kCNAME);
        if (!types.empty()) return false;  // CNAME beside other data: ignored
        if (auto it = rrsets_.find(k); it != rrsets_.end()) {
          if (it->second.front().first == op.value) return false;
          drop(k, it->second.front().first);  // a CNAME replaces the CNAME
        }
        rrsets_[k] = {{op.value, op.ttl}};
        step.added.push_back(dns::Rr{op.name, op.type, op.ttl, op.value});
        return true;
      }
      if (types.contains(RecordType::kCNAME)) return false;  // data beside a CNAME: ignored
      auto& values = rrsets_[k];
      for (auto& [v, ttl] : values) {
        if (v == op.value) {
          if (ttl == op.ttl) return false;
          break;
        }
      }
      // A new RR (or TTL) sets the TTL of the whole RRset, as BIND does.
      for (auto& [v, ttl] : values) {
        if (ttl != op.ttl) {
          step.removed.push_back(dns::Rr{op.name, op.type, ttl, v});
          step.added.push_back(dns::Rr{op.name, op.type, op.ttl, v});
          ttl = op.ttl;
        }
      }
      if (std::none_of(values.begin(), values.end(), [&](const auto& x) { return x.first == op.value; })) {
        values.emplace_back(op.value, op.ttl);
        step.added.push_back(dns::Rr{op.name, op.type, op.ttl, op.value});
      }
      return true;
    }
    case UpdateOp::Kind::kDelete: return drop(k, op.value);
    case UpdateOp::Kind::kDeleteRrset: {
      bool changed = false;
      while (rrsets_.contains(k)) changed |= drop(k, rrsets_[k].front().first);
      return changed;
    }
    case UpdateOp::Kind::kDeleteName: {
      bool changed = false;
      for (auto t : at_name(op.name)) {
        if (op.name == zone_ && (t == RecordType::kSOA || t == RecordType::kNS)) continue;
        while (rrsets_.contains({op.name, t})) changed |= drop({op.name, t}, rrsets_[{op.name, t}].front().first);
      }
      return changed;
    }
  }
  return false;
}

common::Task<common::Result<dns::Refresh>> FakeDnsServer::refresh(dns::ZoneCopy& copy) {
  if (!refresh_faults_.empty()) {
    auto e = refresh_faults_.front();
    refresh_faults_.pop_front();
    co_return e;
  }
  dns::Refresh r;
  r.serial = serial_;
  if (copy.loaded() && copy.serial() == serial_) {
    ++uptodate_reads;
    co_return r;
  }
  if (copy.loaded() && ixfr_) {
    std::vector<dns::IxfrStep> steps;
    for (const auto& s : journal_) {
      if (s.from_serial >= copy.serial()) steps.push_back(s);
    }
    if (!steps.empty() && steps.front().from_serial == copy.serial() && copy.apply(steps, serial_).ok()) {
      ++incremental_reads;
      r.kind = dns::Refresh::Kind::kIncremental;
      co_return r;
    }
  }
  if (auto s = copy.replace(all_rrs()); !s.ok()) co_return s.error();
  ++full_reads;
  r.kind = dns::Refresh::Kind::kFull;
  co_return r;
}

common::Task<common::Result<dns::UpdateAnswer>> FakeDnsServer::update(const dns::UpdateRequest& request) {
  updates.push_back(request);
  if (before_update_) {
    auto f = std::move(before_update_);
    before_update_ = nullptr;
    f(*this);
  }
  if (!update_faults_.empty()) {
    auto e = update_faults_.front();
    update_faults_.pop_front();
    co_return e;
  }
  dns::UpdateAnswer out;
  if (!answers_.empty()) {
    out.answer.rcode = answers_.front().first;
    out.answer.tsig.error = answers_.front().second;
    answers_.pop_front();
    co_return out;
  }
  for (const auto& op : request.updates) {
    if (refused_names_.contains(op.name)) {
      out.answer.rcode = dns::kRcodeRefused;
      co_return out;
    }
  }
  uint16_t rcode = 0;
  if (!prerequisites_hold(request, &rcode)) {
    out.answer.rcode = rcode;
    co_return out;
  }
  dns::IxfrStep step;
  bool changed = false;
  for (const auto& op : request.updates) {
    if (dropped_names_.contains(op.name)) continue;
    changed |= apply_op(op, step);
  }
  if (changed) bump(std::move(step));
  if (lose_answer_) {
    lose_answer_ = false;
    co_return common::transient_error(common::ErrorCode::kTimeout, "UPDATE: no answer within 5000 ms");
  }
  co_return out;
}

}  // namespace ecssd::testing
