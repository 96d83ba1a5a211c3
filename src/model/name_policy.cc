#include "model/name_policy.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "model/names.h"

namespace ecssd::model {
namespace {

using common::ErrorCode;
using common::make_error;

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::vector<std::string_view> split_labels(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t dot = name.find('.', start);
    out.push_back(name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

// One label against one glob label (lower case): '*' any run, '?' one
// character. Backtracks to the last '*' only, so it is linear in practice.
bool glob_label(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == lower(s[si]))) {
      ++pi;
      ++si;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

bool has_wildcard(std::string_view p) { return p.find_first_of("*?") != std::string_view::npos; }

// Whether any name below `zone` could match the pattern: its last labels
// must match the zone's (or be swallowed by a leading "*").
bool could_match_in(const std::vector<std::string>& pattern, std::string_view zone) {
  auto z = split_labels(zone);
  for (size_t i = 0; i < z.size(); ++i) {
    if (i >= pattern.size()) return false;
    size_t j = pattern.size() - 1 - i;
    if (j == 0 && pattern.size() > 1 && pattern.front() == "*") return true;
    if (!glob_label(pattern[j], z[z.size() - 1 - i])) return false;
  }
  return true;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

}  // namespace

bool NamePolicy::matches(const std::vector<std::string>& pattern, std::string_view name) {
  auto labels = split_labels(name);
  if (pattern.empty()) return false;
  if (pattern.size() > 1 && pattern.front() == "*") {  // a DNS wildcard: one or more labels
    const size_t k = pattern.size() - 1;
    if (labels.size() <= k) return false;
    for (size_t i = 0; i < k; ++i) {
      if (!glob_label(pattern[pattern.size() - 1 - i], labels[labels.size() - 1 - i])) return false;
    }
    return true;
  }
  if (labels.size() != pattern.size()) return false;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (!glob_label(pattern[i], labels[i])) return false;
  }
  return true;
}

common::Result<NamePolicy::Pattern> NamePolicy::parse(std::string_view flag, const std::string& written,
                                                      const std::vector<std::string>& zones) {
  std::string_view text = written;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{} \"{}\": {}", flag, written, why));
  };
  if (text.empty() || text == ".") return bad("empty pattern");
  std::string p;
  p.reserve(text.size());
  for (char c : text) p += lower(c);
  std::vector<std::string> zs;
  for (const auto& z : zones) zs.push_back(normalize_name(z));
  // Absolute (a final dot, or one of the zones at the end): one name.
  // Relative: the pattern in each zone.
  std::vector<std::string> completed;
  if (p.back() == '.') {
    p.pop_back();
    completed.push_back(p);
  } else if (std::any_of(zs.begin(), zs.end(), [&](const std::string& z) { return p == z || p.ends_with("." + z); })) {
    completed.push_back(p);
  } else {
    for (const auto& z : zs) completed.push_back(p + "." + z);
  }
  Pattern out;
  out.written = std::string(text);
  bool in_a_zone = false;
  for (const std::string& name : completed) {
    if (name.size() > kMaxNameLength) return bad(fmt::format("longer than a DNS name ({} octets)", kMaxNameLength));
    std::vector<std::string> labels;
    for (std::string_view label : split_labels(name)) {
      if (label.empty()) return bad("empty label");
      if (label.size() > kMaxLabelLength) return bad(fmt::format("a label is longer than {} octets", kMaxLabelLength));
      for (char c : label) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '*' && c != '?') {
          return bad(fmt::format(
              "'{}' is in no DNS name ecssd publishes (letters, digits, '-', '_'; globs '*', '?')", c));
        }
      }
      labels.emplace_back(label);
    }
    in_a_zone = in_a_zone || std::any_of(zs.begin(), zs.end(), [&](const std::string& z) {
                  return could_match_in(labels, z);
                });
    out.forms.push_back(std::move(labels));
  }
  if (!in_a_zone) {
    const std::string where = zs.size() == 1 ? "the zone " + zs.front() : "any of the zones " + join(zs, ", ");
    return bad(has_wildcard(p) ? fmt::format("the pattern can match no name in {}", where)
                               : fmt::format("the name is not in {}", where));
  }
  return out;
}

common::Result<NamePolicy> NamePolicy::make(const std::vector<std::string>& allow, const std::vector<std::string>& deny,
                                            const std::vector<std::string>& zones) {
  NamePolicy policy;
  for (const auto& a : allow) {
    auto p = parse("--allow-name", a, zones);
    if (!p.ok()) return p.error();
    policy.allow_.push_back(std::move(p).value());
  }
  for (const auto& d : deny) {
    auto p = parse("--deny-name", d, zones);
    if (!p.ok()) return p.error();
    policy.deny_.push_back(std::move(p).value());
  }
  return policy;
}

bool NamePolicy::any_form_matches(const Pattern& p, std::string_view name) {
  return std::any_of(p.forms.begin(), p.forms.end(), [&](const auto& form) { return matches(form, name); });
}

std::optional<std::string> NamePolicy::refuses(std::string_view name) const {
  for (const auto& d : deny_) {
    if (any_form_matches(d, name)) return "--deny-name " + d.written;
  }
  if (allow_.empty()) return std::nullopt;
  std::vector<std::string> written;
  for (const auto& a : allow_) {
    if (any_form_matches(a, name)) return std::nullopt;
    written.push_back(a.written);
  }
  return fmt::format("--allow-name: no pattern matches ({})", join(written, ", "));
}

std::string NamePolicy::describe() const {
  std::vector<std::string> a, d;
  for (const auto& p : allow_) a.push_back(p.written);
  for (const auto& p : deny_) d.push_back(p.written);
  std::string out;
  if (!a.empty()) out = "allow=" + join(a, ",");
  if (!d.empty()) out += (out.empty() ? "deny=" : " deny=") + join(d, ",");
  return out;
}

}  // namespace ecssd::model
