#include "model/record_builder.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

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
  if (!s.verdict.state.empty()) {
    l.emplace(label::kHealth, s.verdict.state);
    if (s.verdict.since_unix > 0) l.emplace(label::kHealthSince, std::to_string(s.verdict.since_unix));
  }
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

// The name the service's record takes: <name>.<zone>, or in srv mode
// _<name>._<proto>.<zone> (a name that starts with '_' as it is), in the zone
// place_name picks (the longest matching suffix when several are served).
common::Result<std::string> claimed_name(const Service& s, const RecordConfig& c) {
  auto placed = place_name(s.name, c);
  if (!placed.ok()) return placed.error();
  const std::string& name = placed->relative;
  if (c.mode != RecordMode::kSrv) return service_fqdn(name, placed->zone, kCompanionReserve);
  std::string relative = name.starts_with('_') ? name : fmt::format("_{}._{}", name, s.protocol);
  return service_fqdn(relative, placed->zone, kCompanionReserve);
}

// The name policy's verdict on the name the service claims. A name that does
// not form is left to the rejections below.
std::optional<Refusal> refused_by_policy(const Service& s, const RecordConfig& c, const std::string& field) {
  if (c.names.empty()) return std::nullopt;
  auto name = claimed_name(s, c);
  if (!name.ok()) return std::nullopt;
  auto rule = c.names.refuses(*name);
  if (!rule) return std::nullopt;
  return Refusal{s.container_id, s.container_name, field, *name, std::move(*rule)};
}

// Where a service is reached: the port and addresses its records point at.
struct Reach {
  uint16_t port = 0;
  std::string ip4, ip6;
};

// As the records point: the host's (or the bound host address) and the
// published port, or with --target container the container's IP and port.
// The error says why the service cannot be reached that way.
common::Result<Reach> reach_of(const Service& s, const RecordConfig& c) {
  using common::ErrorCode;
  Reach r;
  const bool to_container = c.target == TargetMode::kContainer;
  r.port = to_container ? s.container_port : s.host_port;
  if (!to_container && r.port == 0) {
    return common::make_error(ErrorCode::kInvalidArgument,
                              fmt::format("port {}/{} is not published on the host (publish it with -p, use host "
                                          "networking, or run the agent with --target container)",
                                          s.container_port, s.protocol));
  }
  if (to_container) {
    (is_ipv6(s.container_ip) ? r.ip6 : r.ip4) = s.container_ip;
    if (!s.container_ip6.empty()) r.ip6 = s.container_ip6;
    if (r.ip4.empty() && r.ip6.empty()) {
      return common::make_error(ErrorCode::kInvalidArgument,
                                "the container has no IP address on the selected network (see --network)");
    }
  } else {
    bool specific = !s.host_ip.empty() && s.host_ip != "0.0.0.0" && s.host_ip != "::";
    r.ip4 = specific && !is_ipv6(s.host_ip) ? s.host_ip : c.host.host_ip;
    r.ip6 = specific && is_ipv6(s.host_ip) ? s.host_ip : c.host.host_ip6;
  }
  return r;
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

bool in_served_zone(std::string_view name, const RecordConfig& c) {
  return zone_for(name, served_zones(c)).has_value();
}

}  // namespace

std::vector<std::string> served_zones(const RecordConfig& c) {
  return c.zones.empty() ? std::vector<std::string>{c.zone} : c.zones;
}

common::Result<Placement> place_name(std::string_view name, const RecordConfig& c) {
  if (name.empty() || name.back() != '.') return Placement{std::string(name), c.zone};
  std::string fqdn = normalize_name(name);
  auto zones = served_zones(c);
  auto i = zone_for(fqdn, zones);
  if (!i) {
    return common::make_error(common::ErrorCode::kInvalidArgument,
                              fmt::format("\"{}\" is in none of the served zones ({}; see --zone)", name,
                                          fmt::join(zones, ", ")));
  }
  const std::string& zone = zones[*i];
  if (fqdn.size() == zone.size()) {
    return common::make_error(common::ErrorCode::kInvalidArgument,
                              fmt::format("\"{}\" is the apex of zone {}; name a service below it", name, zone));
  }
  return Placement{fqdn.substr(0, fqdn.size() - zone.size() - 1), zone};
}

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
  for (const std::string& z : c.zones) {
    if (auto s = validate_zone(z); !s.ok()) {
      return common::make_error(ErrorCode::kInvalidArgument, fmt::format("--zone \"{}\": {}", z, s.error().message));
    }
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
        (c.mode == RecordMode::kA || in_served_zone(c.host.host_name, c))) {
      return common::make_error(ErrorCode::kInvalidArgument,
                                "no host address: pass --host-ip (or --host-ip6) for this record mode");
    }
  }
  return {};
}

namespace {

// What build_records collects: records by (name, type, set identifier), the
// rejections, and whether the host's own address record is needed.
struct Collector {
  BuildResult out;
  std::map<std::tuple<std::string, RecordType, std::string>, Record> records;
  bool need_host_record = false;

  void add(Record r) {
    auto k = std::make_tuple(r.name, r.type, r.set_identifier);
    records.insert_or_assign(std::move(k), std::move(r));
  }
  void reject(const Service& s, const std::string& field, std::string reason) {
    out.rejected.push_back({s.container_id, s.container_name, field, std::move(reason)});
  }
};

// The records of one service in the configured mode (plus, for container
// targets in cname/srv mode, the name that points at the container itself).
void add_service(Collector& out, const Service& s, const RecordConfig& c) {
  const bool to_container = c.target == TargetMode::kContainer;
  std::string field = service_field(s);
  if (auto refusal = refused_by_policy(s, c, field)) {
    out.out.refused.push_back(std::move(*refusal));
    return;
  }
  auto reach = reach_of(s, c);
  if (!reach.ok()) return out.reject(s, field, reach.error().message);
  const auto& [port, ip4, ip6] = *reach;
  auto fqdn = claimed_name(s, c);
  if (!fqdn.ok()) return out.reject(s, field, fqdn.error().message);

  std::string set_id = service_set_identifier(c.host.owner_id, s);
  Labels labels = service_labels(s, c, ip4.empty() ? ip6 : ip4, port);
  std::string target_name = c.host.host_name;
  if (to_container && c.mode != RecordMode::kA) {
    target_name = short_id(s.container_id) + "." + c.zone;
    if (!ip4.empty()) out.add(make(target_name, RecordType::kA, ip4, set_id, c.ttl, labels));
    if (!ip6.empty()) out.add(make(target_name, RecordType::kAAAA, ip6, set_id, c.ttl, labels));
  }
  // A CNAME or SRV target inside a served zone must resolve there: publish the host's address too.
  const bool host_in_zone = !to_container && in_served_zone(c.host.host_name, c);
  switch (c.mode) {
    case RecordMode::kCname:
      if (*fqdn == target_name) {
        return out.reject(s, field, fmt::format("name \"{}\" equals the host name it would point to", *fqdn));
      }
      out.add(make(*fqdn, RecordType::kCNAME, target_name, set_id, c.ttl, labels));
      out.need_host_record |= host_in_zone;
      break;
    case RecordMode::kSrv:
      out.add(make(*fqdn, RecordType::kSRV, fmt::format("{} {} {} {}", s.priority, s.weight, port, target_name),
                   set_id, c.ttl, labels));
      out.need_host_record |= host_in_zone;
      break;
    case RecordMode::kA:
      if (!ip4.empty()) out.add(make(*fqdn, RecordType::kA, ip4, set_id, c.ttl, labels));
      if (!ip6.empty()) out.add(make(*fqdn, RecordType::kAAAA, ip6, set_id, c.ttl, labels));
      break;
  }
}

}  // namespace

BuildResult build_records(const std::vector<Service>& services, const RecordConfig& c) {
  Collector out;
  for (const Service& s : services) add_service(out, s, c);
  if (out.need_host_record) {
    std::string set_id = host_set_identifier(c.host.owner_id);
    if (!c.host.host_ip.empty()) {
      out.add(make(c.host.host_name, RecordType::kA, c.host.host_ip, set_id, c.ttl, host_labels(c)));
    }
    if (!c.host.host_ip6.empty()) {
      out.add(make(c.host.host_name, RecordType::kAAAA, c.host.host_ip6, set_id, c.ttl, host_labels(c)));
    }
  }
  out.out.records.reserve(out.records.size());
  for (auto& [k, r] : out.records) out.out.records.push_back(std::move(r));
  return std::move(out.out);
}

std::string service_address(const Service& s, const RecordConfig& c) {
  // As build_records picks the address of the "addr" label.
  auto reach = reach_of(s, c);
  if (!reach.ok() || reach->port == 0) return {};
  const std::string& ip = !reach->ip4.empty() ? reach->ip4 : reach->ip6;
  if (ip.empty()) return {};
  return is_ipv6(ip) ? fmt::format("[{}]:{}", ip, reach->port) : fmt::format("{}:{}", ip, reach->port);
}

}  // namespace ecssd::model
