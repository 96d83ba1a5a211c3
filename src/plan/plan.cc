#include "plan/plan.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace ecssd::plan {
namespace {

using Key = std::tuple<std::string_view, model::RecordType, std::string_view>;

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace

bool differs(const model::Record& a, const model::Record& b) {
  return a.ttl != b.ttl || a.weight != b.weight || a.labels != b.labels || sorted(a.values) != sorted(b.values);
}

Output compute(const Input& in) {
  Output out;
  std::map<Key, const model::Record*> mine;
  std::map<Key, const model::Record*> others;
  for (const auto& r : in.current) {
    (r.owner() == in.owner && !in.owner.empty() ? mine : others).emplace(r.key(), &r);
  }

  std::map<Key, const model::Record*> wanted;
  for (const auto& d : in.desired) wanted.emplace(d.key(), &d);

  for (const auto& [key, d] : wanted) {
    if (auto it = others.find(key); it != others.end()) {
      out.conflicts.push_back({*d, it->second->owner().empty()
                                       ? std::string("a record not made by ecssd has the same name, type and set identifier")
                                       : fmt::format("owned by {}", it->second->owner())});
      continue;
    }
    auto it = mine.find(key);
    if (it == mine.end()) {
      out.changes.create.push_back(*d);
    } else if (in.policy != Policy::kCreateOnly && differs(*it->second, *d)) {
      out.changes.update.push_back({*it->second, *d});
    }
  }
  if (in.policy == Policy::kSync) {
    for (const auto& [key, c] : mine) {
      if (!wanted.contains(key)) out.changes.remove.push_back(*c);
    }
  }
  return out;
}

}  // namespace ecssd::plan
