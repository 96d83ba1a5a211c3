#include "aws/env.h"

#include <cstdlib>
#include <strings.h>

namespace ecssd::aws {

Env Env::process() {
  return Env([](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  });
}

Env Env::from_map(std::map<std::string, std::string, std::less<>> vars) {
  return Env([vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

std::optional<std::string> Env::get(std::string_view name) const {
  if (!lookup_) return std::nullopt;
  auto v = lookup_(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

std::string Env::get_or(std::string_view name, std::string_view fallback) const {
  auto v = get(name);
  return v ? *v : std::string(fallback);
}

bool Env::flag(std::string_view name) const {
  auto v = get(name);
  if (!v) return false;
  return strcasecmp(v->c_str(), "true") == 0 || *v == "1";
}

}  // namespace ecssd::aws
