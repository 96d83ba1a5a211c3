#include "model/record.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace ecssd::model {

std::string_view to_string(RecordType type) {
  switch (type) {
    case RecordType::kA: return "A";
    case RecordType::kNS: return "NS";
    case RecordType::kCNAME: return "CNAME";
    case RecordType::kSOA: return "SOA";
    case RecordType::kTXT: return "TXT";
    case RecordType::kAAAA: return "AAAA";
    case RecordType::kSRV: return "SRV";
  }
  return "TYPE?";
}

std::optional<RecordType> parse_record_type(std::string_view text) {
  std::string up(text);
  std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
  for (RecordType t : {RecordType::kA, RecordType::kNS, RecordType::kCNAME, RecordType::kSOA, RecordType::kTXT,
                       RecordType::kAAAA, RecordType::kSRV}) {
    if (to_string(t) == up) return t;
  }
  return std::nullopt;
}

std::string_view Record::owner() const {
  auto it = labels.find(label::kOwner);
  return it == labels.end() ? std::string_view() : std::string_view(it->second);
}

std::string Record::label_or(std::string_view key, std::string_view fallback) const {
  auto it = labels.find(key);
  return it == labels.end() ? std::string(fallback) : it->second;
}

RecordKey key_of(const Record& r) { return RecordKey{r.name, r.type, r.set_identifier}; }

namespace {
std::vector<std::string> sorted_unique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}
}  // namespace

bool differs(const Record& a, const Record& b) {
  return a.ttl != b.ttl || a.weight != b.weight || a.labels != b.labels ||
         sorted_unique(a.values) != sorted_unique(b.values);
}

std::string describe(const Record& r) {
  std::string values;
  for (const auto& v : r.values) {
    if (!values.empty()) values += ",";
    values += v;
  }
  std::string out = fmt::format("{} {} {}", r.name, to_string(r.type), values);
  if (!r.set_identifier.empty()) out += fmt::format(" [set={}]", r.set_identifier);
  return out;
}

}  // namespace ecssd::model
