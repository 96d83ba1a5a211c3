#include "registry/registry.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "common/log.h"
#include "model/names.h"
#include "model/rdata.h"
#include "model/record_builder.h"

namespace ecssd::registry {
namespace {

using model::Record;
using model::RecordType;
using model::key_of;
using Key = model::RecordKey;

std::string lower(std::string_view s) { return model::normalize_name(s); }

bool is_internal_label(std::string_view k) { return k.starts_with("x-"); }

// The registry's own label for orphan_of(), and its values: which half of an owned record is in DNS alone.
constexpr std::string_view kOrphanLabel = "x-orphan";
constexpr std::string_view kOnlyRecord = "record";        // Orphan::kNoCompanion
constexpr std::string_view kOnlyCompanion = "companion";  // Orphan::kNoRecord

void mark_orphan(Record& r, Orphan o) {
  r.labels.insert_or_assign(std::string(kOrphanLabel),
                            std::string(o == Orphan::kNoCompanion ? kOnlyRecord : kOnlyCompanion));
}

// One decoded companion TXT RR.
struct Companion {
  std::string base;
  RecordType type;
  std::string set_identifier;
  std::vector<std::string> values;
  model::Labels labels;
  const Record* raw = nullptr;
};

std::optional<Companion> decode_companion(const Record& r, std::string_view txt_value) {
  auto parsed = parse_companion_name(r.name);
  if (!parsed) return std::nullopt;
  auto strings = model::txt_decode(txt_value);
  if (!strings.ok() || strings->empty() || strings->front() != kHeritage) return std::nullopt;
  Companion c;
  c.base = parsed->first;
  c.type = parsed->second;
  c.raw = &r;
  // Continuation strings ("+...") go back onto the string before them.
  std::vector<std::string> joined;
  for (size_t i = 1; i < strings->size(); ++i) {
    std::string& s = (*strings)[i];
    if (!s.empty() && s.front() == kContinued && !joined.empty()) {
      joined.back().append(s, 1);
    } else {
      joined.push_back(std::move(s));
    }
  }
  for (const std::string& s : joined) {
    auto eq = s.find('=');
    if (eq == std::string::npos) continue;
    std::string k = s.substr(0, eq), v = s.substr(eq + 1);
    if (k == "set") c.set_identifier = std::move(v);
    else if (k == "value") c.values.push_back(std::move(v));
    else if (!is_internal_label(k)) c.labels.insert_or_assign(std::move(k), std::move(v));
  }
  if (c.labels.find(model::label::kOwner) == c.labels.end()) return std::nullopt;
  return c;
}

// "ecssd:<owner>:..." -> owner.
std::string owner_from_set_identifier(std::string_view set_id) {
  if (!set_id.starts_with(model::kSetIdentifierPrefix)) return {};
  set_id.remove_prefix(model::kSetIdentifierPrefix.size());
  return std::string(set_id.substr(0, set_id.find(':')));
}

}  // namespace

std::string companion_name(const Record& r) {
  return fmt::format("{}.{}.{}", lower(model::to_string(r.type)), kCompanionLabel, r.name);
}

std::optional<std::pair<std::string, RecordType>> parse_companion_name(std::string_view name) {
  auto dot = name.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto type = model::parse_record_type(name.substr(0, dot));
  std::string_view rest = name.substr(dot + 1);
  if (!type || !rest.starts_with(kCompanionLabel) || rest.size() <= kCompanionLabel.size() + 1 ||
      rest[kCompanionLabel.size()] != '.') {
    return std::nullopt;
  }
  return std::make_pair(std::string(rest.substr(kCompanionLabel.size() + 1)), *type);
}

Record companion_of(const Record& r) {
  std::vector<std::string> strings;
  // A character-string holds 255 octets: a longer one goes on in
  // continuation strings, so every label reads back whole (the reaper asks
  // ECS about the cluster and task ARN it reads here).
  auto put = [&](std::string kv) {
    constexpr size_t kMax = 255;
    strings.push_back(kv.substr(0, kMax));
    for (size_t at = kMax; at < kv.size(); at += kMax - 1) {
      strings.push_back(kContinued + kv.substr(at, kMax - 1));
    }
  };
  strings.emplace_back(kHeritage);
  if (!r.set_identifier.empty()) put("set=" + r.set_identifier);
  for (const auto& v : r.values) put("value=" + v);
  for (const auto& [k, v] : r.labels) {
    if (!is_internal_label(k)) put(k + "=" + v);
  }
  Record c;
  c.name = companion_name(r);
  c.type = RecordType::kTXT;
  c.ttl = r.ttl;
  c.values = {model::txt_encode(strings)};
  c.set_identifier = r.set_identifier;
  c.weight = r.weight;
  return c;
}

namespace {
std::vector<Record> join_consuming(std::vector<Record>& raw, bool native_set_ids);
}  // namespace

std::vector<Record> join(const std::vector<Record>& raw, bool native_set_ids) {
  std::vector<Record> copy = raw;
  return join_consuming(copy, native_set_ids);
}

Orphan orphan_of(const Record& r) {
  auto it = r.labels.find(kOrphanLabel);
  if (it == r.labels.end()) return Orphan::kNone;
  if (it->second == kOnlyRecord) return Orphan::kNoCompanion;
  if (it->second == kOnlyCompanion) return Orphan::kNoRecord;
  return Orphan::kNone;
}

namespace {

// With native set identifiers a companion belongs to the record of its
// (name, type, set identifier); a record whose set identifier names an ecssd
// owner is owned even without its companion.
void join_by_set_identifier(std::vector<Record*>& mains, std::vector<Companion>& companions,
                            std::vector<Record>& out) {
  std::map<Key, Companion*> by_key;
  for (auto& c : companions) by_key.emplace(Key{c.base, c.type, c.set_identifier}, &c);
  std::set<Key> matched;
  for (Record* m : mains) {
    Record r = std::move(*m);
    auto it = by_key.find(key_of(r));
    if (it != by_key.end()) {
      r.labels = std::move(it->second->labels);
      matched.insert(it->first);
    } else if (auto owner = owner_from_set_identifier(r.set_identifier); !owner.empty()) {
      r.labels = {{std::string(model::label::kOwner), owner}};
      mark_orphan(r, Orphan::kNoCompanion);
    }
    out.push_back(std::move(r));
  }
  for (auto& [key, c] : by_key) {
    if (matched.contains(key)) continue;
    Record r;
    r.name = c->base;
    r.type = c->type;
    r.ttl = c->raw->ttl;
    r.values = c->values;
    r.set_identifier = c->set_identifier;
    r.weight = c->raw->weight;
    r.labels = std::move(c->labels);
    mark_orphan(r, Orphan::kNoRecord);
    out.push_back(std::move(r));
  }
}

// Without native set identifiers, an RRset holds the values of several owned
// records: each companion claims its values; what nobody claims is foreign.
// RRsets are keyed by name and type (no set identifier: not a record key).
void join_by_claimed_values(std::vector<Record*>& mains, std::vector<Companion>& companions,
                            std::vector<Record>& out) {
  std::map<std::pair<std::string, RecordType>, const Record*> rrsets;
  for (const Record* m : mains) rrsets.emplace(std::make_pair(m->name, m->type), m);
  std::map<std::pair<std::string, RecordType>, std::set<std::string>> claimed;
  for (auto& c : companions) {
    auto it = rrsets.find({c.base, c.type});
    Record r;
    r.name = c.base;
    r.type = c.type;
    r.values = c.values;
    r.set_identifier = c.set_identifier;
    r.labels = std::move(c.labels);
    bool present = it != rrsets.end() && std::all_of(c.values.begin(), c.values.end(), [&](const std::string& v) {
                     const auto& have = it->second->values;
                     return std::find(have.begin(), have.end(), v) != have.end();
                   });
    if (present) {
      r.ttl = it->second->ttl;
      for (const auto& v : c.values) claimed[{c.base, c.type}].insert(v);
    } else {
      r.ttl = c.raw->ttl;
      mark_orphan(r, Orphan::kNoRecord);
    }
    out.push_back(std::move(r));
  }
  for (Record* m : mains) {
    Record r = std::move(*m);
    auto cl = claimed.find({r.name, r.type});
    if (cl != claimed.end()) {
      std::erase_if(r.values, [&](const std::string& v) { return cl->second.contains(v); });
      if (r.values.empty()) continue;
    }
    out.push_back(std::move(r));
  }
}

// join(), taking the records (not the companions) out of `raw` instead of
// copying them, and the decoded labels out of the companions: a large zone's
// listing is not held twice.
std::vector<Record> join_consuming(std::vector<Record>& raw, bool native_set_ids) {
  std::vector<Companion> companions;
  std::vector<Record*> mains;
  for (auto& r : raw) {
    r.group.clear();  // an annotation of changes, never part of a listing
    bool is_companion = false;
    if (r.type == RecordType::kTXT && parse_companion_name(r.name)) {
      for (const auto& v : r.values) {
        if (auto c = decode_companion(r, v)) {
          companions.push_back(std::move(*c));
          is_companion = true;
        }
      }
    }
    if (!is_companion) mains.push_back(&r);
  }
  std::vector<Record> out;
  out.reserve(mains.size() + companions.size());  // one allocation: listings of large zones
  if (native_set_ids) join_by_set_identifier(mains, companions, out);
  else join_by_claimed_values(mains, companions, out);
  return out;
}

}  // namespace

model::ChangeSet expand(const model::ChangeSet& changes) {
  model::ChangeSet raw;
  // A raw record of the owned record `owner`: no labels, grouped with its companion.
  auto raw_of = [](Record r, const Record& owner) {
    r.labels.clear();
    r.group = owner.name;
    return r;
  };
  auto companion = [&](const Record& r) { return raw_of(companion_of(r), r); };
  for (const auto& r : changes.create) {
    raw.create.push_back(raw_of(r, r));
    raw.create.push_back(companion(r));
  }
  for (const auto& u : changes.update) {
    const Record& o = u.old_record;
    const Record& n = u.new_record;
    const Orphan orphan = orphan_of(o);
    bool main_differs = o.ttl != n.ttl || o.weight != n.weight || o.values != n.values;
    if (orphan == Orphan::kNoRecord) {
      raw.create.push_back(raw_of(n, n));
    } else if (main_differs) {
      raw.update.push_back({raw_of(o, n), raw_of(n, n)});
    }
    if (orphan == Orphan::kNoCompanion) {
      raw.create.push_back(companion(n));
    } else {
      Record oc = raw_of(companion_of(o), n), nc = companion(n);
      if (oc != nc) raw.update.push_back({std::move(oc), std::move(nc)});
    }
  }
  for (const auto& r : changes.remove) {
    const Orphan orphan = orphan_of(r);
    if (orphan != Orphan::kNoRecord) raw.remove.push_back(raw_of(r, r));
    if (orphan != Orphan::kNoCompanion) raw.remove.push_back(companion(r));
  }
  return raw;
}

Registry::Registry(provider::Provider& provider, std::string owner) : provider_(provider), owner_(std::move(owner)) {}

std::vector<Record> Registry::canonicalize(std::vector<Record> desired) const {
  for (auto& r : desired) {
    model::Labels labels = std::move(r.labels);
    r = provider_.canonicalize(std::move(r));
    r.labels = std::move(labels);
  }
  return desired;
}

namespace {

// The set identifier a companion value names ("set=..."), if it is one.
std::optional<std::string> companion_set(const Record& r, std::string_view value) {
  auto strings = model::txt_decode(value);
  if (!strings.ok() || strings->empty() || strings->front() != kHeritage) return std::nullopt;
  for (const auto& s : *strings) {
    if (s.starts_with("set=")) return s.substr(4);
  }
  return r.set_identifier;
}

}  // namespace

void Registry::use_listed_companions(model::ChangeSet& raw) const {
  auto fix = [&](Record& r) {
    if (r.type != RecordType::kTXT || !parse_companion_name(r.name)) return;
    auto it = listed_companions_.find(key_of(r));
    if (it == listed_companions_.end()) return;
    r.values = it->second.values;
    r.ttl = it->second.ttl;
    if (provider_.capabilities().set_identifiers) r.weight = it->second.weight;
  };
  for (auto& r : raw.remove) fix(r);
  for (auto& u : raw.update) fix(u.old_record);
}

// What was written is what companion_of() builds: no stored value to remember.
void Registry::remember_companions(const model::ChangeSet& raw_applied) {
  for (const auto& r : raw_applied.remove) listed_companions_.erase(key_of(r));
  for (const auto& u : raw_applied.update) listed_companions_.erase(key_of(u.old_record));
}

common::Task<common::Result<std::vector<Record>>> Registry::records() {
  auto raw = co_await provider_.list();
  if (!raw.ok()) co_return raw.error();
  auto joined = join_consuming(raw.value(), provider_.capabilities().set_identifiers);
  // Companions whose stored value is not what companion_of() rebuilds from the
  // labels (usually none): kept so deletes and updates name what is stored.
  listed_companions_.clear();
  {
    std::map<Key, std::pair<const Record*, std::string_view>> stored;
    for (const auto& r : raw.value()) {
      if (r.type != RecordType::kTXT || !parse_companion_name(r.name)) continue;
      for (const auto& v : r.values) {
        if (auto set = companion_set(r, v)) {
          stored.insert_or_assign(Key{r.name, RecordType::kTXT, *set}, std::make_pair(&r, std::string_view(v)));
        }
      }
    }
    for (const auto& j : joined) {
      if (j.owner().empty()) continue;
      auto it = stored.find(Key{companion_name(j), RecordType::kTXT, j.set_identifier});
      if (it == stored.end()) continue;
      const Record& listed = *it->second.first;
      Record rebuilt = companion_of(j);
      if (rebuilt.values.size() == 1 && rebuilt.values[0] == it->second.second && rebuilt.ttl == listed.ttl &&
          (!provider_.capabilities().set_identifiers || rebuilt.weight == listed.weight)) {
        continue;
      }
      Record c = listed;
      c.values = {std::string(it->second.second)};
      c.labels.clear();
      listed_companions_.insert_or_assign(it->first, std::move(c));
    }
  }
  owned_.clear();
  claims_.clear();
  const bool native = provider_.capabilities().set_identifiers;
  for (const auto& r : joined) {
    if (r.owner().empty()) continue;
    if (owner_.empty() || r.owner() == owner_) owned_.insert(key_of(r));
    if (!native && orphan_of(r) != Orphan::kNoRecord) {
      for (const auto& v : r.values) ++claims_[{r.name, r.type}][v];
    }
  }
  co_return joined;
}

bool Registry::may_modify(const Record& r) const { return owned_.contains(key_of(r)); }

void Registry::keep_shared_values(const model::ChangeSet& changes, model::ChangeSet& raw) const {
  if (provider_.capabilities().set_identifiers || claims_.empty()) return;
  // The claims once these changes are made: a value is still needed when any
  // owned record other than the ones removed or replaced here claims it.
  auto after = claims_;
  auto count = [&after](const Record& r, int delta) {
    if (orphan_of(r) == Orphan::kNoRecord) return;
    for (const auto& v : r.values) after[{r.name, r.type}][v] += delta;
  };
  for (const auto& r : changes.remove) count(r, -1);
  for (const auto& u : changes.update) {
    count(u.old_record, -1);
    count(u.new_record, +1);
  }
  for (const auto& r : changes.create) count(r, +1);
  auto claimed = [&after](const Record& r, const std::string& v) {
    auto it = after.find({r.name, r.type});
    if (it == after.end()) return false;
    auto c = it->second.find(v);
    return c != it->second.end() && c->second > 0;
  };
  auto is_companion = [](const Record& r) { return r.type == RecordType::kTXT && parse_companion_name(r.name); };
  // Companions name the values they describe and are deleted as they are;
  // only the records themselves lose the values others still claim.
  std::vector<Record> removes;
  for (auto& r : raw.remove) {
    if (!is_companion(r)) std::erase_if(r.values, [&](const std::string& v) { return claimed(r, v); });
    if (!r.values.empty()) removes.push_back(std::move(r));
  }
  raw.remove = std::move(removes);
  std::vector<model::Update> updates;
  for (auto& u : raw.update) {
    if (!is_companion(u.old_record)) {
      const auto& keep = u.new_record.values;
      std::erase_if(u.old_record.values, [&](const std::string& v) {
        return std::find(keep.begin(), keep.end(), v) == keep.end() && claimed(u.old_record, v);
      });
      if (u.old_record.values.empty()) {  // nothing of its own to delete: add the new version
        raw.create.push_back(std::move(u.new_record));
        continue;
      }
    }
    updates.push_back(std::move(u));
  }
  raw.update = std::move(updates);
}

common::Task<common::Result<provider::ApplyReport>> Registry::apply(model::ChangeSet changes) {
  provider::ApplyReport report;
  model::ChangeSet allowed;
  auto refuse = [&](model::ChangeSet one, const Record& r) {
    log::error("refusing to change a record ecssd does not own", {{"record", model::describe(r)}});
    report.failed.push_back({std::move(one), common::make_error(common::ErrorCode::kPermissionDenied,
                                                                "not owned: " + model::describe(r))});
  };
  for (auto& r : changes.create) allowed.create.push_back(std::move(r));
  for (auto& u : changes.update) {
    if (may_modify(u.old_record)) allowed.update.push_back(std::move(u));
    else refuse(model::ChangeSet{.update = {u}}, u.old_record);
  }
  for (auto& r : changes.remove) {
    if (may_modify(r)) allowed.remove.push_back(std::move(r));
    else refuse(model::ChangeSet{.remove = {r}}, r);
  }
  if (allowed.empty()) co_return report;

  model::ChangeSet raw = expand(allowed);
  keep_shared_values(allowed, raw);
  use_listed_companions(raw);
  auto result = co_await provider_.apply(std::move(raw));
  if (!result.ok()) co_return result.error();
  report.requests = result->requests;
  remember_companions(result->applied);

  // Which raw keys failed, and why.
  std::map<Key, common::Error> failed;
  for (const auto& f : result->failed) {
    for (const auto& r : f.change.create) failed.emplace(key_of(r), f.error);
    for (const auto& u : f.change.update) failed.emplace(key_of(u.new_record), f.error);
    for (const auto& r : f.change.remove) failed.emplace(key_of(r), f.error);
  }
  auto failure_of = [&](const model::ChangeSet& one) -> std::optional<common::Error> {
    model::ChangeSet parts = expand(one);
    for (const auto& r : parts.create) if (auto it = failed.find(key_of(r)); it != failed.end()) return it->second;
    for (const auto& u : parts.update) if (auto it = failed.find(key_of(u.new_record)); it != failed.end()) return it->second;
    for (const auto& r : parts.remove) if (auto it = failed.find(key_of(r)); it != failed.end()) return it->second;
    return std::nullopt;
  };
  auto settle = [&](model::ChangeSet one, auto&& add_applied) {
    if (auto err = failure_of(one)) report.failed.push_back({std::move(one), *err});
    else add_applied(std::move(one));
  };
  for (auto& r : allowed.create) {
    settle(model::ChangeSet{.create = {r}}, [&](model::ChangeSet one) {
      owned_.insert(key_of(one.create.front()));
      report.applied.create.push_back(std::move(one.create.front()));
    });
  }
  for (auto& u : allowed.update) {
    settle(model::ChangeSet{.update = {u}}, [&](model::ChangeSet one) {
      owned_.insert(key_of(one.update.front().new_record));
      report.applied.update.push_back(std::move(one.update.front()));
    });
  }
  for (auto& r : allowed.remove) {
    settle(model::ChangeSet{.remove = {r}}, [&](model::ChangeSet one) {
      owned_.erase(key_of(one.remove.front()));
      report.applied.remove.push_back(std::move(one.remove.front()));
    });
  }
  co_return report;
}

}  // namespace ecssd::registry
