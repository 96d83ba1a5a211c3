#pragma once
// How many ChangeResourceRecordSets requests a set of changes needs. Route 53
// limits one request to 1000 ResourceRecord elements and 32000 characters of
// Value text, an UPSERT counting twice in both. Pure functions, no I/O.
#include <cstddef>
#include <vector>

#include "provider/route53/route53_xml.h"

namespace ecssd::provider::route53 {

struct BatchLimits {
  size_t max_records = 1000;
  size_t max_value_chars = 32000;
};

struct Cost {
  size_t records = 0;
  size_t chars = 0;

  Cost& operator+=(const Cost& o) {
    records += o.records;
    chars += o.chars;
    return *this;
  }
  bool fits(const BatchLimits& l) const { return records <= l.max_records && chars <= l.max_value_chars; }
  bool operator==(const Cost&) const = default;
};

// What one change counts against the limits.
Cost cost_of(const Change& c);
Cost cost_of(const std::vector<Change>& changes);

// Packs parts (each a set of changes that must travel in one request) into as
// few requests as it can (first-fit decreasing by the share of the tighter
// limit: near-optimal in practice, exact when everything fits in one).
// Returns the part indices of each request, requests in sending order. A part
// that does not fit the limits on its own gets a request of its own (the
// caller splits or refuses such parts before packing).
std::vector<std::vector<size_t>> pack(const std::vector<Cost>& parts, const BatchLimits& limits);

}  // namespace ecssd::provider::route53
