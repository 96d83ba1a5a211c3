#include "plan/plan.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace ecssd::plan {

Output compute(const Input& in) {
  using Key = model::RecordKey;
  Output out;
  std::map<Key, const model::Record*> mine;
  std::map<Key, const model::Record*> others;
  for (const auto& r : in.current) {
    (r.owner() == in.owner && !in.owner.empty() ? mine : others).emplace(model::key_of(r), &r);
  }

  std::map<Key, const model::Record*> wanted;
  for (const auto& d : in.desired) wanted.emplace(model::key_of(d), &d);

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
    } else if (in.policy != Policy::kCreateOnly && model::differs(*it->second, *d)) {
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
