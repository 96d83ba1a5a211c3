#include "cli/flags.h"

#include <cctype>

#include <boost/asio/ip/address_v4.hpp>
#include <fmt/format.h>

#include "common/duration.h"
#include "common/host_info.h"
#include "common/listen_address.h"
#include "common/log.h"
#include "model/names.h"

namespace ecssd::cli {

using common::ErrorCode;
using common::make_error;

namespace {

common::Result<std::string> trimmed(common::Result<std::string> r) {
  if (!r.ok()) return r;
  std::string v = std::move(r.value());
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.erase(v.begin());
  return v;
}

}  // namespace

void add_log_flags(CLI::App& app, LogFlags& f) {
  app.add_option("--log-format", f.format, "Log line format: text or json (one JSON object per line)")
      ->envname("ECSSD_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--log-level", f.level, "Minimum level logged: trace, debug, info, warn or error")
      ->envname("ECSSD_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
}

common::Status apply_log_flags(const LogFlags& f) {
  log::Format format = f.format == "json" ? log::Format::kJson : log::Format::kText;
  if (!log::configure(format, f.level)) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("--log-level: unknown level \"{}\"", f.level));
  }
  return {};
}

void add_provider_flags(CLI::App& app, ProviderFlags& f) {
  app.add_option("--provider", f.provider,
                 "Where records go: embedded (this agent's own DNS responder) or route53 (a Route 53 hosted zone)")
      ->envname("ECSSD_PROVIDER")
      ->check(CLI::IsMember({"embedded", "route53"}))
      ->capture_default_str();
  app.add_option("--zone", f.zone, "DNS zone the records are published in")
      ->envname("ECSSD_ZONE")
      ->capture_default_str();
  app.add_option("--dns-listen", f.dns_listen,
                 "embedded: address:port of the DNS responder (UDP and TCP); the records and reap commands "
                 "read the zone from it by AXFR")
      ->envname("ECSSD_DNS_LISTEN")
      ->capture_default_str()
      ->check(listen_validator(false));
  app.add_option("--dns-threads", f.dns_threads, "embedded: threads answering DNS queries")
      ->envname("ECSSD_DNS_THREADS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--zone-id", f.zone_id, "route53: hosted zone id (skips the lookup of --zone by name)")
      ->envname("ECSSD_ZONE_ID");
  app.add_option("--zone-type", f.zone_type,
                 "route53: which zone named --zone to use when looking it up: private, public or any "
                 "(any prefers private)")
      ->envname("ECSSD_ZONE_TYPE")
      ->check(CLI::IsMember({"private", "public", "any"}))
      ->capture_default_str();
}

void add_record_flags(CLI::App& app, RecordFlags& f) {
  app.add_option("--record-mode", f.record_mode,
                 "cname: <name>.<zone> CNAME <host-name>, one weighted record per container; "
                 "srv: _<name>._<proto>.<zone> SRV 1 1 <host-port> <host-name> (+ the host's A record); "
                 "a: <name>.<zone> A <host-ip>")
      ->envname("ECSSD_RECORD_MODE")
      ->check(CLI::IsMember({"cname", "srv", "a"}))
      ->capture_default_str();
  app.add_option("--ttl", f.ttl, "TTL of published records, in seconds")
      ->envname("ECSSD_TTL")
      ->check(CLI::Range(0, 2147483647))
      ->capture_default_str();
  app.add_option("--host-name", f.host_name,
                 "Name records point to (default: this machine's host name; a name without dots is placed "
                 "in --zone)")
      ->envname("ECSSD_HOST_NAME");
  app.add_option("--host-ip", f.host_ip,
                 "IPv4 address of this host for A records (default: the address of the default-route "
                 "interface)")
      ->envname("ECSSD_HOST_IP")
      ->check(CLI::ValidIPV4);
  app.add_option("--host-ip6", f.host_ip6, "IPv6 address of this host; when set, AAAA records are published too")
      ->envname("ECSSD_HOST_IP6");
  app.add_option("--owner-id", f.owner_id,
                 "Ownership mark written beside every record (default: --host-name); an agent only ever "
                 "changes records carrying its own mark")
      ->envname("ECSSD_OWNER_ID");
  app.add_option("--target", f.target,
                 "host: records point at this host and the published port; container: at the container's own "
                 "IP and port (overlay, awsvpc)")
      ->envname("ECSSD_TARGET")
      ->check(CLI::IsMember({"host", "container"}))
      ->capture_default_str();
}

boost::asio::awaitable<RecordFlags> with_instance_metadata(RecordFlags f, aws::InstanceMetadata& imds) {
  if ((!f.host_name.empty() && !f.host_ip.empty()) || !imds.enabled()) co_return f;
  aws::InstanceMetadata* md = &imds;
  std::string failure;
  bool used = false;
  if (f.host_name.empty()) {
    auto name_asked = co_await md->local_hostname();
    auto name = trimmed(std::move(name_asked));
    if (!name.ok()) {
      failure = name.error().describe();
    } else {
      // On VPCs with custom DHCP options local-hostname may list several names: the first is the instance's.
      std::string first = name->substr(0, name->find_first_of(" \t"));
      if (!first.empty() && model::validate_hostname(model::normalize_name(first)).ok()) {
        f.host_name = first;
        used = true;
      }
    }
  }
  if (f.host_ip.empty() && failure.empty()) {
    auto ip_asked = co_await md->local_ipv4();
    auto ip = trimmed(std::move(ip_asked));
    if (!ip.ok()) {
      failure = ip.error().describe();
    } else {
      boost::system::error_code ec;
      boost::asio::ip::make_address_v4(*ip, ec);
      if (!ec) {
        f.host_ip = *ip;
        used = true;
      }
    }
  }
  if (f.instance_id.empty() && failure.empty()) {
    auto id_asked = co_await md->instance_id();
    auto id = trimmed(std::move(id_asked));
    if (id.ok()) f.instance_id = *id;
  }
  if (used) {
    log::info("host identity from EC2 instance metadata",
              {{"host_name", f.host_name}, {"host_ip", f.host_ip}, {"instance_id", f.instance_id}});
  } else {
    log::info("EC2 instance metadata not available; using this machine's host name and address (set --host-name "
              "and --host-ip, or AWS_EC2_METADATA_DISABLED=true, to skip it)",
              {{"error", failure.empty() ? std::string("no usable local-hostname or local-ipv4") : failure}});
  }
  co_return f;
}

common::Result<model::RecordConfig> resolve_record_config(const RecordFlags& f, const ProviderFlags& p) {
  model::RecordConfig c;
  c.zone = model::normalize_name(p.zone);
  if (auto s = model::validate_zone(c.zone); !s.ok()) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("--zone \"{}\": {}", p.zone, s.error().message));
  }
  c.mode = *model::parse_record_mode(f.record_mode);
  c.target = f.target == "container" ? model::TargetMode::kContainer : model::TargetMode::kHost;
  c.ttl = f.ttl;

  std::string host = f.host_name.empty() ? common::local_host_name() : f.host_name;
  if (host.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "cannot tell this machine's host name: pass --host-name");
  }
  host = model::normalize_name(host);
  if (host.find('.') == std::string::npos) host += "." + c.zone;
  c.host.host_name = host;
  c.host.host_ip = f.host_ip.empty() ? common::primary_ipv4() : f.host_ip;
  c.host.host_ip6 = f.host_ip6;
  if (!c.host.host_ip6.empty() && c.host.host_ip6.find(':') == std::string::npos) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("--host-ip6 \"{}\" is not an IPv6 address", f.host_ip6));
  }
  c.host.owner_id = f.owner_id.empty() ? host : f.owner_id;
  c.host.instance_id = f.instance_id;
  if (auto s = model::validate(c); !s.ok()) return s.error();
  return c;
}

CLI::Validator duration_validator() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        auto d = common::parse_duration(v);
        return d.ok() ? std::string() : d.error().message;
      },
      "DURATION");
}

CLI::Validator listen_validator(bool allow_empty) {
  return CLI::Validator(
      [allow_empty](std::string& v) -> std::string {
        if (v.empty() && allow_empty) return {};
        auto l = common::parse_listen(v);
        return l.ok() ? std::string() : l.error().message;
      },
      "ADDRESS:PORT");
}

std::chrono::milliseconds to_duration(const std::string& checked) {
  auto d = common::parse_duration(checked);
  return d.ok() ? *d : std::chrono::milliseconds(0);
}

}  // namespace ecssd::cli
