#include "model/names.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace ecssd::model {
namespace {

using common::ErrorCode;
using common::make_error;

bool is_ldh(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }

template <typename F>
common::Status for_each_label(std::string_view name, F&& f) {
  size_t start = 0;
  while (true) {
    size_t dot = name.find('.', start);
    std::string_view label = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (auto s = f(label); !s.ok()) return s;
    if (dot == std::string_view::npos) return {};
    start = dot + 1;
  }
}

}  // namespace

namespace {
// True when the name ends in a dot that closes it, not in an escaped one
// ("a\." is the label "a."): an even number of backslashes before it.
bool ends_in_root_dot(std::string_view name) {
  return !name.empty() && name.back() == '.' && !has_dangling_escape(name.substr(0, name.size() - 1));
}
}  // namespace

std::string normalize_name(std::string_view name) {
  if (ends_in_root_dot(name)) name.remove_suffix(1);
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

common::Status validate_label(std::string_view label, bool allow_underscore) {
  if (label.empty()) return make_error(ErrorCode::kInvalidArgument, "empty label");
  std::string_view body = label;
  if (allow_underscore && body.front() == '_') body.remove_prefix(1);
  if (label.size() > kMaxLabelLength) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("label \"{}\" is {} octets, at most {} allowed", label, label.size(), kMaxLabelLength));
  }
  if (body.empty()) return make_error(ErrorCode::kInvalidArgument, fmt::format("label \"{}\" has nothing after '_'", label));
  for (char c : body) {
    if (!is_ldh(c)) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("label \"{}\" contains '{}': only letters, digits and '-' are allowed", label,
                                    std::isprint(static_cast<unsigned char>(c)) ? std::string(1, c)
                                                                                : fmt::format("\\x{:02x}", static_cast<unsigned char>(c))));
    }
  }
  if (body.front() == '-' || body.back() == '-') {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("label \"{}\" starts or ends with '-'", label));
  }
  return {};
}

common::Status validate_hostname(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return make_error(ErrorCode::kInvalidArgument, "empty name");
  if (name.size() > kMaxNameLength) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("name is {} octets, at most {} allowed", name.size(), kMaxNameLength));
  }
  return for_each_label(name, [](std::string_view l) { return validate_label(l, false); });
}

common::Status validate_zone(std::string_view zone) { return validate_hostname(zone); }

common::Result<std::string> service_fqdn(std::string_view service, std::string_view zone, size_t reserve) {
  if (service.empty()) return make_error(ErrorCode::kInvalidArgument, "empty service name");
  if (service.back() == '.') {
    return make_error(ErrorCode::kInvalidArgument, "service name must be relative to the zone (no trailing dot)");
  }
  if (auto s = for_each_label(service, [](std::string_view l) { return validate_label(l, true); }); !s.ok()) {
    return s.error();
  }
  std::string fqdn = normalize_name(service) + "." + normalize_name(zone);
  if (fqdn.size() + reserve > kMaxNameLength) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("name \"{}\" is {} octets; with the zone it may be at most {}", fqdn, fqdn.size(),
                                  kMaxNameLength - reserve));
  }
  return fqdn;
}

bool has_empty_label(std::string_view name) {
  if (name.empty() || name == ".") return false;
  size_t start = 0;  // first octet of the current label
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '\\') {
      ++i;  // the escaped octet (or the first digit of \DDD) belongs to the label
      continue;
    }
    if (name[i] != '.') continue;
    if (i == start) return true;
    start = i + 1;
  }
  return false;  // a last label may end the name, or one trailing dot
}

bool has_dangling_escape(std::string_view name) {
  size_t backslashes = 0;
  while (backslashes < name.size() && name[name.size() - 1 - backslashes] == '\\') ++backslashes;
  return backslashes % 2 == 1;
}

bool names_equal(std::string_view a, std::string_view b) {
  if (ends_in_root_dot(a)) a.remove_suffix(1);
  if (ends_in_root_dot(b)) b.remove_suffix(1);
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool in_zone(std::string_view name, std::string_view zone) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (!zone.empty() && zone.back() == '.') zone.remove_suffix(1);
  if (zone.empty()) return true;
  if (names_equal(name, zone)) return true;
  if (name.size() <= zone.size() + 1) return false;
  std::string_view tail = name.substr(name.size() - zone.size());
  return name[name.size() - zone.size() - 1] == '.' && names_equal(tail, zone);
}

std::optional<size_t> zone_for(std::string_view name, const std::vector<std::string>& zones) {
  std::optional<size_t> best;
  auto length = [](std::string_view z) { return z.ends_with('.') ? z.size() - 1 : z.size(); };
  for (size_t i = 0; i < zones.size(); ++i) {
    if (!in_zone(name, zones[i])) continue;
    if (!best || length(zones[i]) > length(zones[*best])) best = i;
  }
  return best;
}

}  // namespace ecssd::model
