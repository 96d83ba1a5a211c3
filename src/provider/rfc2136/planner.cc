#include "provider/rfc2136/planner.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

namespace ecssd::provider::rfc2136 {
namespace {

using common::ErrorCode;
using common::make_error;
using dns::Prerequisite;
using dns::Rr;
using dns::UpdateOp;
using model::RecordType;
using Key = std::pair<std::string, RecordType>;
using Values = std::vector<std::pair<std::string, uint32_t>>;  // value, TTL

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The zone as planned so far: the copy plus the effects of the groups
// already planned.
class Projection {
 public:
  explicit Projection(const dns::ZoneCopy& base) : base_(base) {}

  Values values(const Key& k) const {
    if (auto it = overlay_.find(k); it != overlay_.end()) return it->second;
    Values out;
    if (auto r = base_.rrset(k.first, k.second)) {
      for (const auto& v : r->values) out.emplace_back(v, r->ttl);
    }
    return out;
  }
  std::optional<uint32_t> ttl_of(const Rr& rr) const {
    for (const auto& [v, ttl] : values({rr.name, rr.type})) {
      if (v == rr.value) return ttl;
    }
    return std::nullopt;
  }
  bool has(const Rr& rr) const { return ttl_of(rr).has_value(); }
  std::set<RecordType> types_at(const std::string& name) const {
    std::set<RecordType> out = base_.types_at(name);
    for (auto it = overlay_.lower_bound({name, RecordType{0}}); it != overlay_.end() && it->first.first == name; ++it) {
      if (it->second.empty()) out.erase(it->first.second);
      else out.insert(it->first.second);
    }
    return out;
  }
  void add(const Rr& rr) {
    Values v = values({rr.name, rr.type});
    std::erase_if(v, [&](const auto& x) { return x.first == rr.value; });
    v.emplace_back(rr.value, rr.ttl);
    overlay_[{rr.name, rr.type}] = std::move(v);
  }
  void remove(const Rr& rr) {
    Values v = values({rr.name, rr.type});
    std::erase_if(v, [&](const auto& x) { return x.first == rr.value; });
    overlay_[{rr.name, rr.type}] = std::move(v);
  }

 private:
  const dns::ZoneCopy& base_;
  std::map<Key, Values> overlay_;
};

void add_rrs(std::vector<Rr>& out, const model::Record& r) {
  for (const auto& v : r.values) out.push_back(Rr{r.name, r.type, r.ttl, v});
}

common::Error conflict(std::string message) { return make_error(ErrorCode::kConflict, std::move(message)); }

std::string join(const Values& values) {
  std::string out;
  for (const auto& [v, ttl] : values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

// A CNAME owns its name alone (RFC 1034 section 3.6.2): what an add would
// break, judged on the projection less what the group itself removes.
std::optional<common::Error> cname_rule(const Rr& add, const Effect& e, const Projection& p) {
  auto removed_by_group = [&](RecordType t) {
    Values v = p.values({add.name, t});
    return !v.empty() && std::all_of(v.begin(), v.end(), [&](const auto& x) {
      return std::any_of(e.remove.begin(), e.remove.end(),
                         [&](const Rr& r) { return r.name == add.name && r.type == t && r.value == x.first; });
    });
  };
  std::set<RecordType> types = p.types_at(add.name);
  std::erase_if(types, [&](RecordType t) { return removed_by_group(t); });
  if (add.type == RecordType::kCNAME) {
    if (types.contains(RecordType::kCNAME)) {
      return conflict(fmt::format(
          "{}: a CNAME holds one target in plain DNS and {} already points at {} (another instance of the service, "
          "here or on another host); the first stays published: run the agents with --record-mode srv or "
          "--record-mode a to publish every instance",
          add.name, add.name, join(p.values({add.name, RecordType::kCNAME}))));
    }
    if (!types.empty()) {
      std::string have;
      for (auto t : types) have += (have.empty() ? "" : ", ") + std::string(model::to_string(t));
      return conflict(fmt::format("{} already holds {} records: a CNAME cannot share its name with other data "
                                  "(RFC 1034 section 3.6.2); use --record-mode srv or a, or another service name",
                                  add.name, have));
    }
  } else if (types.contains(RecordType::kCNAME)) {
    return conflict(fmt::format("{} holds a CNAME (to {}): a {} record cannot be added beside it (RFC 1034 section "
                                "3.6.2)",
                                add.name, join(p.values({add.name, RecordType::kCNAME})),
                                model::to_string(add.type)));
  }
  return std::nullopt;
}

// One message being filled.
class MessageBuilder {
 public:
  MessageBuilder(const Projection& p, size_t budget) : p_(p), budget_(budget) {}

  // The prerequisites and updates of one group against this message's
  // start, or nullopt when the group needs a message of its own first
  // (a name-level prerequisite on something an earlier group touched).
  struct Part {
    std::vector<Prerequisite> prerequisites;
    std::vector<UpdateOp> updates;
    size_t size = 0;
  };
  common::Result<std::optional<Part>> part_for(const std::vector<UpdateOp>& ops) {
    Part part;
    part.updates = ops;
    for (const auto& op : ops) {
      Key k{op.name, op.type};
      if (op.kind == UpdateOp::Kind::kDelete) {
        if (!equals_.contains(k) && !pending(part, k)) {
          Prerequisite pre{Prerequisite::Kind::kRrsetEquals, op.name, op.type, {}};
          for (const auto& [v, ttl] : start(k)) pre.values.push_back(v);
          part.prerequisites.push_back(std::move(pre));
        }
      } else if (op.type == RecordType::kCNAME) {
        if (touched_names_.contains(op.name)) return std::optional<Part>();
        if (p_.types_at(op.name).empty() && !not_in_use_.contains(op.name)) {
          part.prerequisites.push_back({Prerequisite::Kind::kNameNotInUse, op.name, RecordType::kCNAME, {}});
        }
      } else {
        if (touched_.contains({op.name, RecordType::kCNAME})) return std::optional<Part>();
        // The group turns a CNAME into other data: the CNAME's own RRset
        // prerequisite guards the name instead.
        bool drops_cname = std::any_of(ops.begin(), ops.end(), [&](const UpdateOp& x) {
          return x.kind == UpdateOp::Kind::kDelete && x.type == RecordType::kCNAME && x.name == op.name;
        });
        if (!drops_cname && !absent_cname_.contains(op.name) && !absent_cname_pending_.contains(op.name)) {
          part.prerequisites.push_back({Prerequisite::Kind::kRrsetAbsent, op.name, RecordType::kCNAME, {}});
          absent_cname_pending_.insert(op.name);
        }
      }
    }
    absent_cname_pending_.clear();
    for (const auto& x : part.prerequisites) {
      auto n = dns::wire_size(x);
      if (!n.ok()) return n.error();
      part.size += *n;
    }
    for (const auto& x : part.updates) {
      auto n = dns::wire_size(x);
      if (!n.ok()) return n.error();
      part.size += *n;
    }
    return std::optional<Part>(std::move(part));
  }

  bool fits(const Part& part) const { return used_ + part.size <= budget_; }
  bool empty() const { return message_.groups.empty(); }

  void take(size_t group, Part part) {
    for (auto& pre : part.prerequisites) {
      if (pre.kind == Prerequisite::Kind::kRrsetEquals) equals_.insert({pre.name, pre.type});
      if (pre.kind == Prerequisite::Kind::kNameNotInUse) not_in_use_.insert(pre.name);
      if (pre.kind == Prerequisite::Kind::kRrsetAbsent) absent_cname_.insert(pre.name);
      message_.request.prerequisites.push_back(std::move(pre));
    }
    for (auto& op : part.updates) {
      Key k{op.name, op.type};
      if (!starts_.contains(k)) starts_.emplace(k, p_.values(k));
      touched_.insert(k);
      touched_names_.insert(op.name);
      message_.request.updates.push_back(std::move(op));
    }
    message_.groups.push_back(group);
    used_ += part.size;
  }

  Message finish() { return std::move(message_); }

 private:
  // The RRset as this message starts: recorded when a group first touches it.
  Values start(const Key& k) const {
    if (auto it = starts_.find(k); it != starts_.end()) return it->second;
    return p_.values(k);
  }
  static bool pending(const Part& part, const Key& k) {
    return std::any_of(part.prerequisites.begin(), part.prerequisites.end(), [&](const Prerequisite& x) {
      return x.kind == Prerequisite::Kind::kRrsetEquals && x.name == k.first && x.type == k.second;
    });
  }

  const Projection& p_;
  size_t budget_;
  size_t used_ = 0;
  Message message_;
  std::map<Key, Values> starts_;
  std::set<Key> touched_;
  std::set<std::string> touched_names_;
  std::set<Key> equals_;
  std::set<std::string> not_in_use_;
  std::set<std::string> absent_cname_;
  std::set<std::string> absent_cname_pending_;
};

// Values of the batch whose TTL changes, by RRset: their groups rewrite them.
using Covered = std::map<Key, std::set<std::string>>;

// RFC 2181 section 5.2: an RRset has one TTL, and a server gives the whole
// RRset the TTL of the value last added. So ecssd changes the TTL of an
// RRset only when every value in it is one the batch rewrites, and adds its
// values to an RRset that holds others (a person's, another host's) at that
// RRset's TTL: their TTL is never touched.
bool holds_others(const Values& rrset, const Key& k, const Effect& e, const Covered* covered) {
  auto in = [&](const std::vector<Rr>& rrs, const std::string& v) {
    return std::any_of(rrs.begin(), rrs.end(),
                       [&](const Rr& r) { return r.name == k.first && r.type == k.second && r.value == v; });
  };
  const std::set<std::string>* batch = nullptr;
  if (covered != nullptr) {
    if (auto it = covered->find(k); it != covered->end()) batch = &it->second;
  }
  return std::any_of(rrset.begin(), rrset.end(), [&](const auto& x) {
    return !in(e.add, x.first) && !in(e.remove, x.first) && (batch == nullptr || !batch->contains(x.first));
  });
}

// A TTL change that would rewrite values of others is not made.
void keep_shared_ttls(Effect& e, const std::function<Values(const Key&)>& rrset, const Covered* covered) {
  if (!e.ttl_matters) return;
  e.ttl_matters = std::none_of(e.add.begin(), e.add.end(), [&](const Rr& r) {
    Key k{r.name, r.type};
    return holds_others(rrset(k), k, e, covered);
  });
}

// The TTL an add takes: the RRset's own while it holds values the group leaves there.
uint32_t ttl_for(const Rr& add, const Effect& e, const Projection& p) {
  if (e.ttl_matters) return add.ttl;
  for (const auto& entry : p.values({add.name, add.type})) {
    const auto& v = entry.first;  // not a structured binding: clang 14 cannot capture one (P1091)
    bool removed = std::any_of(e.remove.begin(), e.remove.end(), [&](const Rr& r) {
      return r.name == add.name && r.type == add.type && r.value == v;
    });
    if (!removed && v != add.value) return entry.second;
  }
  return add.ttl;
}

// What one group needs sent, judged on the projection.
struct Judged {
  enum class Verdict { kSend, kDone, kRefused } verdict = Verdict::kSend;
  std::vector<UpdateOp> ops;
  std::optional<common::Error> error;
};

Judged judge(const Group& g, const Projection& p, const Covered& covered) {
  Effect e = effect_of(g);
  keep_shared_ttls(e, [&](const Key& k) { return p.values(k); }, &covered);
  Judged j;
  size_t present = 0;
  for (const auto& r : e.remove) present += p.has(r) ? 1 : 0;
  bool adds_there = std::all_of(e.add.begin(), e.add.end(), [&](const Rr& r) {
    auto ttl = p.ttl_of(r);
    return ttl && (!e.ttl_matters || *ttl == r.ttl);
  });
  if (present == 0 && adds_there) {
    j.verdict = Judged::Verdict::kDone;
    return j;
  }
  if (!e.remove.empty() && present != e.remove.size()) {
    j.verdict = Judged::Verdict::kRefused;
    j.error = make_error(ErrorCode::kConflict,
                         fmt::format("{} {} changed since ecssd listed it (another agent, the reaper or a person): "
                                     "re-planned at the next run",
                                     e.remove.front().name, model::to_string(e.remove.front().type)),
                         true);
    return j;
  }
  for (const auto& r : e.add) {
    if (p.has(r) && !e.ttl_matters) continue;
    if (auto err = cname_rule(r, e, p)) {
      j.verdict = Judged::Verdict::kRefused;
      j.error = std::move(err);
      return j;
    }
  }
  for (const auto& r : e.remove) j.ops.push_back({UpdateOp::Kind::kDelete, r.name, r.type, 0, r.value});
  if (e.ttl_matters) {  // a new TTL: the RRset is rewritten
    for (const auto& r : e.add) {
      if (p.has(r)) j.ops.push_back({UpdateOp::Kind::kDelete, r.name, r.type, 0, r.value});
    }
  }
  for (const auto& r : e.add) {
    if (!p.has(r) || e.ttl_matters) j.ops.push_back({UpdateOp::Kind::kAdd, r.name, r.type, ttl_for(r, e, p), r.value});
  }
  return j;
}

void apply_to(Projection& p, const std::vector<UpdateOp>& ops) {
  for (const auto& op : ops) {
    Rr rr{op.name, op.type, op.ttl, op.value};
    if (op.kind == UpdateOp::Kind::kDelete) p.remove(rr);
    else p.add(rr);
  }
}

}  // namespace

std::vector<Group> group_changes(const model::ChangeSet& changes) {
  std::vector<Group> out;
  std::map<std::string, size_t> by_group;
  auto slot = [&](const std::string& group) -> Group& {
    if (group.empty()) return out.emplace_back();
    auto [it, inserted] = by_group.try_emplace(group, out.size());
    if (inserted) out.emplace_back();
    return out[it->second];
  };
  for (const auto& r : changes.create) slot(r.group).changes.create.push_back(r);
  for (const auto& u : changes.update) slot(u.new_record.group).changes.update.push_back(u);
  for (const auto& r : changes.remove) slot(r.group).changes.remove.push_back(r);
  return out;
}

Effect effect_of(const Group& g) {
  Effect e;
  for (const auto& r : g.changes.create) add_rrs(e.add, r);
  for (const auto& r : g.changes.remove) add_rrs(e.remove, r);
  for (const auto& u : g.changes.update) {
    add_rrs(e.add, u.new_record);
    for (const auto& v : u.old_record.values) {
      if (!contains(u.new_record.values, v)) e.remove.push_back(Rr{u.old_record.name, u.old_record.type, 0, v});
    }
    if (u.old_record.ttl != u.new_record.ttl) e.ttl_matters = true;
  }
  return e;
}

bool visible(const dns::ZoneCopy& zone, Effect e) {
  keep_shared_ttls(
      e,
      [&](const Key& k) {
        Values out;
        if (auto r = zone.rrset(k.first, k.second)) {
          for (const auto& v : r->values) out.emplace_back(v, r->ttl);
        }
        return out;
      },
      nullptr);
  auto find = [&](const Rr& r) -> std::optional<uint32_t> {
    auto set = zone.rrset(r.name, r.type);
    if (!set || !contains(set->values, r.value)) return std::nullopt;
    return set->ttl;
  };
  for (const auto& r : e.add) {
    auto ttl = find(r);
    if (!ttl || (e.ttl_matters && *ttl != r.ttl)) return false;
  }
  return std::none_of(e.remove.begin(), e.remove.end(), [&](const Rr& r) { return find(r).has_value(); });
}

Plan plan_updates(const dns::ZoneCopy& zone, const std::vector<Group>& groups, const std::vector<size_t>& which,
                  size_t max_message, const std::set<size_t>* alone) {
  Plan plan;
  Projection p(zone);
  const size_t overhead = dns::update_overhead(zone.zone());
  const size_t budget = max_message > overhead ? max_message - overhead : 0;
  std::optional<MessageBuilder> m;
  m.emplace(p, budget);
  auto flush = [&] {
    if (!m->empty()) plan.messages.push_back(m->finish());
    m.emplace(p, budget);
  };
  Covered covered;
  for (size_t index : which) {
    Effect e = effect_of(groups[index]);
    if (!e.ttl_matters) continue;
    for (const auto* rrs : {&e.add, &e.remove}) {
      for (const auto& r : *rrs) covered[{r.name, r.type}].insert(r.value);
    }
  }
  for (size_t index : which) {
    Judged j = judge(groups[index], p, covered);
    if (j.verdict == Judged::Verdict::kDone) {
      plan.done.push_back(index);
      continue;
    }
    if (j.verdict == Judged::Verdict::kRefused) {
      plan.refused.emplace_back(index, std::move(*j.error));
      continue;
    }
    const bool solo = alone != nullptr && alone->contains(index);
    if (solo) flush();
    auto part = m->part_for(j.ops);
    if (part.ok() && (!part->has_value() || !m->fits(**part))) {
      flush();
      part = m->part_for(j.ops);
    }
    if (!part.ok()) {
      plan.refused.emplace_back(index, part.error());
      continue;
    }
    if (!part->has_value() || !m->fits(**part)) {
      plan.refused.emplace_back(index, make_error(ErrorCode::kTooLarge,
                                                  fmt::format("the change to {} does not fit in one UPDATE message",
                                                              j.ops.front().name)));
      continue;
    }
    m->take(index, std::move(**part));
    apply_to(p, j.ops);
    if (solo) flush();
  }
  flush();
  return plan;
}

}  // namespace ecssd::provider::rfc2136
