#include "model/record_builder.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "model/names.h"

namespace ecssd::model {
namespace {

std::string short_id(std::string_view id) { return std::string(id.substr(0, 12)); }

std::string service_field(const Service& s) {
  return s.container_port ? fmt::format("SERVICE_{}_NAME", s.container_port) : std::string("SERVICE_NAME");
}

bool is_ipv6(std::string_view ip) { return ip.find(':') != std::string_view::npos; }

// Ownership labels common to every record of one service.
Labels service_labels(const Service& s, const RecordConfig& c, std::string_view addr_ip, uint16_t addr_port) {
  Labels l;
  l.emplace(label::kOwner, c.host.owner_id);
  l.emplace(label::kKind, "service");
  l.emplace(label::kContainer, s.container_id);
  l.emplace(label::kContainerName, s.container_name);
  l.emplace(label::kService, s.name);
  l.emplace(label::kPort, fmt::format("{}/{}", s.container_port, s.protocol));
  if (!addr_ip.empty() && addr_port) {
    l.emplace(label::kAddress, is_ipv6(addr_ip) ? fmt::format("[{}]:{}", addr_ip, addr_port)
                                                : fmt::format("{}:{}", addr_ip, addr_port));
  }
  switch (s.check.kind) {
    case HealthCheck::Kind::kTcp: l.emplace(label::kCheck, s.protocol == "udp" ? "none" : "tcp"); break;
    case HealthCheck::Kind::kHttp: l.emplace(label::kCheck, "http"); break;
    case HealthCheck::Kind::kNone: l.emplace(label::kCheck, "none"); break;
  }
  if (!s.check.http_path.empty()) l.emplace(label::kCheckHttp, s.check.http_path);
  if (!s.check.http_status.empty()) l.emplace(label::kCheckHttpStatus, s.check.http_status);
  if (!s.check.timeout.empty()) l.emplace(label::kCheckTimeout, s.check.timeout);
  if (s.started_unix > 0) l.emplace(label::kStarted, std::to_string(s.started_unix));
  if (!s.task_arn.empty()) l.emplace(label::kTaskArn, s.task_arn);
  if (!s.cluster.empty()) l.emplace(label::kCluster, s.cluster);
  if (!c.host.instance_id.empty()) l.emplace(label::kInstance, c.host.instance_id);
  return l;
}

Labels host_labels(const RecordConfig& c) {
  Labels l;
  l.emplace(label::kOwner, c.host.owner_id);
  l.emplace(label::kKind, "host");
  if (!c.host.instance_id.empty()) l.emplace(label::kInstance, c.host.instance_id);
  return l;
}

Record make(std::string name, RecordType type, std::string value, std::string set_id, uint32_t ttl, Labels labels) {
  Record r;
  r.name = std::move(name);
  r.type = type;
  r.ttl = ttl;
  r.values = {std::move(value)};
  r.set_identifier = std::move(set_id);
  r.weight = 1;
  r.labels = std::move(labels);
  return r;
}

}  // namespace

std::string_view to_string(RecordMode m) {
  switch (m) {
    case RecordMode::kCname: return "cname";
    case RecordMode::kSrv: return "srv";
    case RecordMode::kA: return "a";
  }
  return "?";
}

std::optional<RecordMode> parse_record_mode(std::string_view text) {
  if (text == "cname") return RecordMode::kCname;
  if (text == "srv") return RecordMode::kSrv;
  if (text == "a") return RecordMode::kA;
  return std::nullopt;
}

std::string service_set_identifier(std::string_view owner, const Service& s) {
  return fmt::format("{}{}:{}:{}-{}", kSetIdentifierPrefix, owner, short_id(s.container_id), s.container_port,
                     s.protocol);
}

std::string host_set_identifier(std::string_view owner) {
  return fmt::format("{}{}:host", kSetIdentifierPrefix, owner);
}

common::Status validate(const RecordConfig& c) {
  using common::ErrorCode;
  if (auto s = validate_zone(c.zone); !s.ok()) {
    return common::make_error(ErrorCode::kInvalidArgument, "--zone: " + s.error().message);
  }
  if (c.host.owner_id.empty() || c.host.owner_id.find(':') != std::string::npos ||
      c.host.owner_id.find_first_of(" \t\"\\=") != std::string::npos) {
    return common::make_error(ErrorCode::kInvalidArgument,
                              fmt::format("--owner-id \"{}\" must be non-empty without ':', '=', quotes or spaces",
                                          c.host.owner_id));
  }
  // "ecssd:" owner ":" 12 ":" 65535-udp
  size_t longest = kSetIdentifierPrefix.size() + c.host.owner_id.size() + 1 + 12 + 1 + 9;
  if (longest > kMaxSetIdentifierLength) {
    return common::make_error(ErrorCode::kInvalidArgument,
                              fmt::format("--owner-id \"{}\" is too long: set identifiers would exceed {} characters; "
                                          "pass a shorter --owner-id",
                                          c.host.owner_id, kMaxSetIdentifierLength));
  }
  if (c.target == TargetMode::kHost) {
    if (c.mode != RecordMode::kA) {
      if (auto s = validate_hostname(c.host.host_name); !s.ok()) {
        return common::make_error(ErrorCode::kInvalidArgument,
                                  fmt::format("--host-name \"{}\": {}", c.host.host_name, s.error().message));
      }
    }
    if (c.host.host_ip.empty() && c.host.host_ip6.empty() &&
        (c.mode == RecordMode::kA || in_zone(c.host.host_name, c.zone))) {
      return common::make_error(ErrorCode::kInvalidArgument,
                                "no host address: pass --host-ip (or --host-ip6) for this record mode");
    }
  }
  return {};
}

BuildResult build_records(const std::vector<Service>& services, const RecordConfig& c) {
  BuildResult out;
  std::map<std::tuple<std::string, RecordType, std::string>, Record> records;
  auto add = [&](Record r) {
    auto k = std::make_tuple(r.name, r.type, r.set_identifier);
    records.insert_or_assign(std::move(k), std::move(r));
  };
  auto reject = [&](const Service& s, std::string field, std::string reason) {
    out.rejected.push_back({s.container_id, s.container_name, std::move(field), std::move(reason)});
  };
  bool need_host_record = false;

  for (const Service& s : services) {
    const bool to_container = c.target == TargetMode::kContainer;
    std::string field = service_field(s);

    // Where the service is reached.
    uint16_t port = to_container ? s.container_port : s.host_port;
    if (!to_container && port == 0) {
      reject(s, field, fmt::format("port {}/{} is not published on the host (publish it with -p, use host "
                                   "networking, or run the agent with --target container)",
                                   s.container_port, s.protocol));
      continue;
    }
    std::string ip4, ip6;
    if (to_container) {
      (is_ipv6(s.container_ip) ? ip6 : ip4) = s.container_ip;
      if (!s.container_ip6.empty()) ip6 = s.container_ip6;
      if (ip4.empty() && ip6.empty()) {
        reject(s, field, "the container has no IP address on the selected network (see --network)");
        continue;
      }
    } else {
      bool specific = !s.host_ip.empty() && s.host_ip != "0.0.0.0" && s.host_ip != "::";
      ip4 = specific && !is_ipv6(s.host_ip) ? s.host_ip : c.host.host_ip;
      ip6 = specific && is_ipv6(s.host_ip) ? s.host_ip : c.host.host_ip6;
    }
    std::string set_id = service_set_identifier(c.host.owner_id, s);
    Labels labels = service_labels(s, c, ip4.empty() ? ip6 : ip4, port);

    // The name that points at the container itself, for container targets in cname/srv mode.
    std::string target_name = c.host.host_name;
    if (to_container && c.mode != RecordMode::kA) {
      target_name = short_id(s.container_id) + "." + c.zone;
      if (!ip4.empty()) add(make(target_name, RecordType::kA, ip4, set_id, c.ttl, labels));
      if (!ip6.empty()) add(make(target_name, RecordType::kAAAA, ip6, set_id, c.ttl, labels));
    }

    switch (c.mode) {
      case RecordMode::kCname: {
        auto fqdn = service_fqdn(s.name, c.zone, kCompanionReserve);
        if (!fqdn.ok()) {
          reject(s, field, fqdn.error().message);
          continue;
        }
        if (*fqdn == target_name) {
          reject(s, field, fmt::format("name \"{}\" equals the host name it would point to", *fqdn));
          continue;
        }
        add(make(*fqdn, RecordType::kCNAME, target_name, set_id, c.ttl, labels));
        // A CNAME into the zone must resolve inside it: publish the host's address too.
        if (!to_container && in_zone(c.host.host_name, c.zone)) need_host_record = true;
        break;
      }
      case RecordMode::kSrv: {
        std::string relative = s.name.starts_with('_') ? s.name : fmt::format("_{}._{}", s.name, s.protocol);
        auto fqdn = service_fqdn(relative, c.zone, kCompanionReserve);
        if (!fqdn.ok()) {
          reject(s, field, fqdn.error().message);
          continue;
        }
        add(make(*fqdn, RecordType::kSRV, fmt::format("1 1 {} {}", port, target_name), set_id, c.ttl, labels));
        if (!to_container && in_zone(c.host.host_name, c.zone)) need_host_record = true;
        break;
      }
      case RecordMode::kA: {
        auto fqdn = service_fqdn(s.name, c.zone, kCompanionReserve);
        if (!fqdn.ok()) {
          reject(s, field, fqdn.error().message);
          continue;
        }
        if (!ip4.empty()) add(make(*fqdn, RecordType::kA, ip4, set_id, c.ttl, labels));
        if (!ip6.empty()) add(make(*fqdn, RecordType::kAAAA, ip6, set_id, c.ttl, labels));
        break;
      }
    }
  }

  if (need_host_record) {
    std::string set_id = host_set_identifier(c.host.owner_id);
    if (!c.host.host_ip.empty()) add(make(c.host.host_name, RecordType::kA, c.host.host_ip, set_id, c.ttl, host_labels(c)));
    if (!c.host.host_ip6.empty()) {
      add(make(c.host.host_name, RecordType::kAAAA, c.host.host_ip6, set_id, c.ttl, host_labels(c)));
    }
  }
  out.records.reserve(records.size());
  for (auto& [k, r] : records) out.records.push_back(std::move(r));
  return out;
}

}  // namespace ecssd::model
