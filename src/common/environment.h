#pragma once
// The process environment as a value: read once at start-up (cli::run) and
// passed to whatever needs a variable (DOCKER_HOST, the AWS SDK's variables,
// the Lambda Runtime API), so nothing reads getenv on its own and unit tests
// pass fixed environments.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ecssd::common {

class Environment {
 public:
  using Lookup = std::function<std::optional<std::string>(std::string_view)>;

  explicit Environment(Lookup lookup) : lookup_(std::move(lookup)) {}

  // A copy of the process environment as it is now (environ).
  static Environment snapshot();
  // A fixed environment for tests.
  static Environment from_map(std::map<std::string, std::string, std::less<>> vars);

  // The variable's value; nullopt when unset or empty (the AWS SDKs treat an
  // empty variable as unset).
  std::optional<std::string> get(std::string_view name) const;
  std::string get_or(std::string_view name, std::string_view fallback) const;
  // True for "true" or "1" (any case); false when unset or anything else.
  bool flag(std::string_view name) const;

 private:
  Lookup lookup_;
};

}  // namespace ecssd::common
