#include "reaper/check.h"

#include <algorithm>
#include <charconv>
#include <ctime>

#include <fmt/format.h>

#include "common/duration.h"

namespace ecssd::reaper {
namespace {

using common::ErrorCode;
using common::make_error;

// A forged or mistyped label must not stall a pass for minutes.
constexpr std::chrono::milliseconds kMaxTimeout{60'000};
constexpr std::chrono::milliseconds kMinTimeout{100};

std::string label_value(const model::Labels& labels, std::string_view key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

}  // namespace

common::Result<CheckSpec> check_from_labels(const model::Labels& labels, std::chrono::milliseconds default_timeout) {
  CheckSpec spec;
  std::string kind = label_value(labels, model::label::kCheck);
  if (kind.empty() || kind == "tcp") {
    spec.kind = CheckKind::kTcp;
  } else if (kind == "http") {
    spec.kind = CheckKind::kHttp;
  } else if (kind == "none") {
    spec.kind = CheckKind::kNone;
  } else {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("label check=\"{}\" is not tcp, http or none", kind));
  }

  std::string addr = label_value(labels, model::label::kAddress);
  if (!addr.empty()) {
    if (auto s = health::parse_address(addr, &spec.address, &spec.port); !s.ok()) {
      return make_error(ErrorCode::kInvalidArgument, "label addr: " + s.error().message);
    }
  } else if (spec.kind != CheckKind::kNone) {
    return make_error(ErrorCode::kInvalidArgument, "no addr label: nothing to check");
  }

  if (spec.kind == CheckKind::kHttp) {
    std::string path = label_value(labels, model::label::kCheckHttp);
    if (!path.empty()) {  // else the default, "/"
      if (!health::valid_http_path(path)) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("label check-http=\"{}\" is not an HTTP path", path));
      }
      spec.http_path = std::move(path);
    }
    std::string status = label_value(labels, model::label::kCheckHttpStatus);
    if (!status.empty()) {
      auto rule = health::parse_status_rule(status);
      if (!rule.ok()) return make_error(ErrorCode::kInvalidArgument, "label check-http-status: " + rule.error().message);
      spec.status = *rule;
    }
  }

  spec.timeout = default_timeout;
  std::string timeout = label_value(labels, model::label::kCheckTimeout);
  if (!timeout.empty()) {
    auto t = common::parse_duration(timeout);
    if (!t.ok() || t->count() <= 0) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("label check-timeout=\"{}\" is not a positive duration", timeout));
    }
    spec.timeout = *t;
  }
  spec.timeout = std::clamp(spec.timeout, kMinTimeout, kMaxTimeout);
  return spec;
}

std::string agent_verdict(const model::Labels& labels) {
  std::string health = label_value(labels, model::label::kHealth);
  if (health.empty()) return {};
  std::string since = label_value(labels, model::label::kHealthSince);
  int64_t unix = 0;
  auto [end, ec] = std::from_chars(since.data(), since.data() + since.size(), unix);
  if (since.empty() || ec != std::errc() || end != since.data() + since.size() || unix <= 0) return health;
  std::time_t t = static_cast<std::time_t>(unix);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{} since {:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", health, tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace ecssd::reaper
