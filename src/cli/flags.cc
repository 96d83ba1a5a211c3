#include "cli/flags.h"

#include <algorithm>
#include <cctype>

#include <boost/asio/ip/address_v4.hpp>
#include <fmt/format.h>

#include "common/duration.h"
#include "common/host_info.h"
#include "common/log.h"
#include "model/names.h"
#include "provider/factory.h"
#include "provider/table/table.h"
#include "provider/zone_split_provider.h"

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

ProviderFlags::ProviderFlags() : provider(provider::default_provider().name) {
  for (const provider::Descriptor* d : provider::providers()) settings.push_back(d->make_settings());
}

const provider::Descriptor* ProviderFlags::descriptor() const { return provider::find_provider(provider); }

const provider::Settings& ProviderFlags::chosen_settings() const {
  return *settings.at(provider::index_of(*descriptor()));
}

common::Result<std::vector<std::string>> ProviderFlags::served_zones() const {
  std::vector<std::string> out;
  for (const std::string& written : zones) {
    std::string zone = model::normalize_name(written);
    if (auto s = model::validate_zone(zone); !s.ok()) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("--zone \"{}\": {}", written, s.error().message));
    }
    if (std::find(out.begin(), out.end(), zone) != out.end()) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("--zone \"{}\" is given twice", written));
    }
    out.push_back(std::move(zone));
  }
  if (out.empty()) return make_error(ErrorCode::kInvalidArgument, "--zone: no zone given");
  return out;
}

std::string ProviderFlags::primary_zone() const {
  return zones.empty() ? std::string() : model::normalize_name(zones.front());
}

namespace {

// "Where records go: embedded (this agent's own DNS responder) or route53 (...)".
std::string provider_help() {
  std::vector<std::string> choices;
  for (const provider::Descriptor* d : provider::providers()) {
    choices.push_back(fmt::format("{} ({})", d->name, d->summary));
  }
  return "Where records go: " + provider::join_names(choices);
}

}  // namespace

void add_provider_flags(CLI::App& app, ProviderFlags& f, provider::Role role) {
  app.add_option("--provider", f.provider, provider_help())
      ->envname("ECSSD_PROVIDER")
      ->check(CLI::IsMember(provider::provider_names()))
      ->capture_default_str();
  app.add_option("--zone", f.zones,
                 "DNS zone the records are published in; repeat it (or comma-separate ECSSD_ZONE) to serve several: "
                 "each name goes to the zone with the longest matching suffix, relative service names below the "
                 "first, a SERVICE_<port>_NAME ending in a dot (web.other.zone.) in whichever zone holds it")
      ->envname("ECSSD_ZONE")
      ->delimiter(',')
      ->capture_default_str();
  auto all = provider::providers();
  for (size_t i = 0; i < all.size(); ++i) all[i]->add_flags(app, *f.settings.at(i), role);
}

common::Task<common::Result<std::unique_ptr<provider::Provider>>> start_provider(boost::asio::io_context& io,
                                                                                 const ProviderFlags& f,
                                                                                 provider::Role role,
                                                                                 ProviderWiring wiring) {
  const provider::Descriptor* d = f.descriptor();
  if (d == nullptr) {
    co_return make_error(ErrorCode::kInvalidArgument, fmt::format("unknown provider \"{}\"", f.provider));
  }
  auto zones = f.served_zones();
  if (!zones.ok()) co_return zones.error();
  // One provider per zone; the others may share the first's resources.
  std::vector<std::unique_ptr<provider::Provider>> made;
  for (const std::string& zone : *zones) {
    const provider::BuildContext context{.io = io,
                                         .role = role,
                                         .zone = zone,
                                         .ttl = wiring.ttl,
                                         .time = wiring.time,
                                         // Several zones: each zone's series apart.
                                         .metrics = zones->size() > 1 ? wiring.metrics.with({{"zone", zone}})
                                                                      : wiring.metrics,
                                         .env = wiring.env,
                                         .aws = wiring.aws,
                                         .first = made.empty() ? nullptr : made.front().get()};
    auto one = co_await provider::make_provider(*d, f.chosen_settings(), context);
    if (!one.ok()) co_return one.error();
    made.push_back(std::move(one.value()));
  }
  if (made.size() == 1) co_return std::move(made.front());
  co_return std::unique_ptr<provider::Provider>(std::make_unique<provider::ZoneSplitProvider>(std::move(made)));
}

void add_record_flags(CLI::App& app, RecordFlags& f) {
  app.add_option("--record-mode", f.record_mode,
                 "cname: <name>.<zone> CNAME <host-name>, one weighted record per container; "
                 "srv: _<name>._<proto>.<zone> SRV <priority> <weight> <host-port> <host-name> (SERVICE_<port>_PRIORITY/_WEIGHT, default 1 1; + the host's A record); "
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
                 "in the first --zone)")
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
  app.add_option("--allow-name", f.allow_names,
                 "Only names matching one of these globs may be published by this host's containers (repeat, "
                 "or separate with commas). Matched against the record name, case-insensitively, label by "
                 "label: '*' and '?' stay inside a label, a leading '*' label matches one or more labels; "
                 "relative to --zone unless it ends with '.' or the zone; in srv mode the name is "
                 "_<name>._<proto> [default: every name]")
      ->envname("ECSSD_ALLOW_NAME")
      ->delimiter(',')
      ->type_size(1)
      ->allow_extra_args(false);
  app.add_option("--deny-name", f.deny_names,
                 "Names matching one of these globs are never published (as --allow-name; deny wins)")
      ->envname("ECSSD_DENY_NAME")
      ->delimiter(',')
      ->type_size(1)
      ->allow_extra_args(false);
}

common::Task<RecordFlags> with_instance_metadata(RecordFlags f, aws::InstanceMetadata& imds) {
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
  auto zones = p.served_zones();
  if (!zones.ok()) return zones.error();
  c.zone = zones->front();
  if (zones->size() > 1) c.zones = *zones;
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
  auto names = model::NamePolicy::make(f.allow_names, f.deny_names, *zones);
  if (!names.ok()) return names.error();
  c.names = std::move(names).value();
  return c;
}

std::chrono::milliseconds to_duration(const std::string& checked) {
  auto d = common::parse_duration(checked);
  return d.ok() ? *d : std::chrono::milliseconds(0);
}

}  // namespace ecssd::cli
