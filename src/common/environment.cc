#include "common/environment.h"

#include <cstdlib>
#include <strings.h>
#include <unistd.h>

namespace ecssd::common {

Environment Environment::snapshot() {
  std::map<std::string, std::string, std::less<>> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    vars.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return from_map(std::move(vars));
}

Environment Environment::from_map(std::map<std::string, std::string, std::less<>> vars) {
  return Environment([vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

std::optional<std::string> Environment::get(std::string_view name) const {
  if (!lookup_) return std::nullopt;
  auto v = lookup_(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

std::string Environment::get_or(std::string_view name, std::string_view fallback) const {
  auto v = get(name);
  return v ? *v : std::string(fallback);
}

bool Environment::flag(std::string_view name) const {
  auto v = get(name);
  if (!v) return false;
  return strcasecmp(v->c_str(), "true") == 0 || *v == "1";
}

}  // namespace ecssd::common
