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

std::string normalize_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
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

bool names_equal(std::string_view a, std::string_view b) {
  if (!a.empty() && a.back() == '.') a.remove_suffix(1);
  if (!b.empty() && b.back() == '.') b.remove_suffix(1);
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

}  // namespace ecssd::model
