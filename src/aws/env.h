#pragma once
// The process environment as an injectable lookup, so the credential chain, the
// endpoint resolver and the IMDS client can be unit-tested with fake
// environments instead of the real one.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ecssd::aws {

class Env {
 public:
  using Lookup = std::function<std::optional<std::string>(std::string_view)>;

  explicit Env(Lookup lookup) : lookup_(std::move(lookup)) {}

  // The real process environment (getenv).
  static Env process();
  // A fixed environment for tests.
  static Env from_map(std::map<std::string, std::string, std::less<>> vars);

  // The variable's value; nullopt when unset or empty (the AWS SDKs treat an
  // empty variable as unset).
  std::optional<std::string> get(std::string_view name) const;
  std::string get_or(std::string_view name, std::string_view fallback) const;
  // True for "true" or "1" (any case); false when unset or anything else.
  bool flag(std::string_view name) const;

 private:
  Lookup lookup_;
};

}  // namespace ecssd::aws
