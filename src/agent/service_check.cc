#include "agent/service_check.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/duration.h"

namespace ecssd::agent {
namespace {

std::chrono::milliseconds duration_or(const std::string& text, std::chrono::milliseconds fallback) {
  if (text.empty()) return fallback;
  auto d = common::parse_duration(text);
  return d.ok() && d->count() > 0 ? *d : fallback;
}

}  // namespace

ServiceCheck service_check(const model::Service& s, const CheckSettings& settings) {
  ServiceCheck out;
  const model::HealthCheck& c = s.check;
  const bool asked = c.declared || (settings.check_all_tcp && !c.opted_out);
  if (!asked) return out;
  if (s.protocol != "tcp") {
    // --check-all skips UDP services quietly; a declared check says why it is not run.
    if (c.declared) out.note = fmt::format("port {}/{} cannot be checked over TCP", s.container_port, s.protocol);
    return out;
  }
  std::string address = model::service_address(s, settings.records);
  if (address.empty() || !health::parse_address(address, &out.spec.address, &out.spec.port).ok()) {
    out.note = "no address to check (the port is not published, or the container has no IP)";
    return out;
  }
  out.checked = true;
  if (c.declared && c.kind == model::HealthCheck::Kind::kHttp) {
    out.spec.kind = health::CheckKind::kHttp;
    if (health::valid_http_path(c.http_path)) out.spec.http_path = c.http_path;
    if (auto rule = health::parse_status_rule(c.http_status); !c.http_status.empty() && rule.ok()) {
      out.spec.status = *rule;
    }
  }
  out.interval = duration_or(c.interval, settings.defaults.interval);
  out.start_interval = std::min(settings.defaults.start_interval, out.interval);
  out.spec.timeout = duration_or(c.timeout, settings.defaults.timeout);
  out.rise = c.rise > 0 ? c.rise : settings.defaults.rise;
  out.fall = c.fall > 0 ? c.fall : settings.defaults.fall;
  return out;
}

std::string describe(const ServiceCheck& c) {
  if (!c.checked) return {};
  return fmt::format("{} every {}", c.spec.describe(), common::format_duration(c.interval));
}

}  // namespace ecssd::agent
