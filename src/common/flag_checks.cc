#include "common/flag_checks.h"

#include "common/duration.h"
#include "common/listen_address.h"

namespace ecssd::common {

CLI::Validator duration_validator() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        auto d = parse_duration(v);
        return d.ok() ? std::string() : d.error().message;
      },
      "DURATION");
}

CLI::Validator listen_validator(bool allow_empty) {
  return CLI::Validator(
      [allow_empty](std::string& v) -> std::string {
        if (v.empty() && allow_empty) return {};
        auto l = parse_listen(v);
        return l.ok() ? std::string() : l.error().message;
      },
      "ADDRESS:PORT");
}

}  // namespace ecssd::common
