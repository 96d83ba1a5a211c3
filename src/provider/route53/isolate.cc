#include "provider/route53/isolate.h"

#include <algorithm>
#include <map>
#include <optional>

#include "provider/route53/route53_codec.h"

namespace ecssd::provider::route53 {
namespace {

std::optional<std::string> quoted_after(std::string_view msg, std::string_view key, size_t from, size_t to) {
  size_t at = msg.find(key, from);
  if (at == std::string_view::npos || at >= to) return std::nullopt;
  size_t start = at + key.size();
  size_t end = msg.find('\'', start);
  if (end == std::string_view::npos) return std::nullopt;
  return std::string(msg.substr(start, end - start));
}

bool names_item(const std::vector<Ref>& refs, const Batch::Item& item) {
  return std::any_of(refs.begin(), refs.end(), [&](const Ref& r) { return mentions(item.wire, r); });
}

// The request held one unit: each item refused, with the messages naming it.
std::vector<std::pair<size_t, common::Error>> refuse_all(const Part& part, const Batch& batch,
                                                         const common::Error& error,
                                                         const std::vector<std::string>& messages) {
  std::vector<std::pair<size_t, common::Error>> out;
  for (size_t i : part) {
    common::Error e = error;
    std::string own;
    for (const auto& m : messages) {
      if (names_item(refs_in(m), batch.items[i])) own += (own.empty() ? "" : "; ") + m;
    }
    if (!own.empty()) e.message = "Route 53 refused the change: " + own;
    out.emplace_back(i, std::move(e));
  }
  return out;
}

}  // namespace

std::vector<Ref> refs_in(std::string_view msg) {
  std::vector<Ref> out;
  for (size_t at = msg.find("[name='"); at != std::string_view::npos; at = msg.find("[name='", at + 1)) {
    size_t close = msg.find(']', at);
    if (close == std::string_view::npos) close = msg.size();
    auto name = quoted_after(msg, "name='", at, close);
    if (!name) continue;
    out.push_back({decode_name(*name), quoted_after(msg, "set-identifier='", at, close).value_or("")});
  }
  constexpr std::string_view kDnsName = "DNS name ";
  for (size_t at = msg.find(kDnsName); at != std::string_view::npos; at = msg.find(kDnsName, at + 1)) {
    size_t start = at + kDnsName.size();
    size_t end = msg.find_first_of(" ,]", start);
    out.push_back({decode_name(msg.substr(start, end == std::string_view::npos ? end : end - start)), ""});
  }
  return out;
}

bool mentions(const std::vector<Change>& changes, const Ref& ref) {
  return std::any_of(changes.begin(), changes.end(), [&](const Change& c) {
    return decode_name(c.record_set.name) == ref.name &&
           (ref.set_identifier.empty() || ref.set_identifier == c.record_set.set_identifier);
  });
}

Isolation isolate(std::vector<Part> parts, const Batch& batch, const common::Error& error,
                  const std::vector<std::string>& messages) {
  Isolation out;
  if (parts.empty()) return out;
  if (parts.size() == 1) {
    // One group refused as a whole: look at its units one by one.
    std::map<std::string, Part> units;
    for (size_t i : parts.front()) units[batch.items[i].unit].push_back(i);
    if (units.size() == 1) {
      out.refused = refuse_all(parts.front(), batch, error, messages);
      return out;
    }
    parts.clear();
    for (auto& [unit, members] : units) parts.push_back(std::move(members));
  }

  // The parts Route 53 named go apart from the others; failing that, halves.
  std::vector<Ref> refs;
  for (const auto& m : messages) {
    for (auto& r : refs_in(m)) refs.push_back(std::move(r));
  }
  std::vector<Part> named, rest;
  for (auto& part : parts) {
    bool hit = std::any_of(part.begin(), part.end(), [&](size_t i) { return names_item(refs, batch.items[i]); });
    (hit ? named : rest).push_back(std::move(part));
  }
  if (named.empty() || rest.empty()) {
    std::vector<Part> all = named.empty() ? std::move(rest) : std::move(named);
    auto half = all.begin() + static_cast<std::ptrdiff_t>(all.size() / 2);
    rest.assign(std::make_move_iterator(all.begin()), std::make_move_iterator(half));
    named.assign(std::make_move_iterator(half), std::make_move_iterator(all.end()));
  }
  out.first = std::move(rest);
  out.second = std::move(named);
  return out;
}

}  // namespace ecssd::provider::route53
