#include "provider/route53/change_batch.h"

#include <algorithm>
#include <numeric>

namespace ecssd::provider::route53 {

Cost cost_of(const Change& c) {
  Cost cost;
  cost.records = c.record_set.values.size();
  for (const auto& v : c.record_set.values) cost.chars += v.size();
  if (c.action == Action::kUpsert) {
    cost.records *= 2;
    cost.chars *= 2;
  }
  return cost;
}

Cost cost_of(const std::vector<Change>& changes) {
  Cost total;
  for (const auto& c : changes) total += cost_of(c);
  return total;
}

std::vector<std::vector<size_t>> pack(const std::vector<Cost>& parts, const BatchLimits& limits) {
  // Largest first, by the share of the tighter limit each part uses.
  auto share = [&](const Cost& c) {
    double r = limits.max_records ? double(c.records) / double(limits.max_records) : 0.0;
    double v = limits.max_value_chars ? double(c.chars) / double(limits.max_value_chars) : 0.0;
    return std::max(r, v);
  };
  std::vector<size_t> order(parts.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return share(parts[a]) > share(parts[b]); });

  std::vector<std::vector<size_t>> requests;
  std::vector<Cost> used;
  for (size_t i : order) {
    bool placed = false;
    for (size_t b = 0; b < requests.size() && !placed; ++b) {
      Cost c = used[b];
      c += parts[i];
      if (c.fits(limits)) {
        requests[b].push_back(i);
        used[b] = c;
        placed = true;
      }
    }
    if (!placed) {
      requests.push_back({i});
      used.push_back(parts[i]);
    }
  }
  for (auto& r : requests) std::sort(r.begin(), r.end());
  return requests;
}

}  // namespace ecssd::provider::route53
