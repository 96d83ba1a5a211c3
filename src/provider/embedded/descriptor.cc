#include "provider/embedded/descriptor.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/duration.h"
#include "common/flag_checks.h"
#include "provider/axfr/axfr_provider.h"
#include "provider/embedded/embedded_provider.h"

namespace ecssd::provider {
namespace {

using Made = common::Result<std::unique_ptr<Provider>>;

std::unique_ptr<Settings> make_settings() { return std::make_unique<EmbeddedSettings>(); }

// `settings` was made by make_settings() above (the Descriptor contract).
void add_flags(CLI::App& app, Settings& settings, Role) {
  auto& s = static_cast<EmbeddedSettings&>(settings);
  app.add_option("--dns-listen", s.dns_listen,
                 "embedded: address:port of the DNS responder (UDP and TCP); the records and reap commands "
                 "read the zone from it by AXFR")
      ->envname("ECSSD_DNS_LISTEN")
      ->capture_default_str()
      ->check(common::listen_validator(false));
  app.add_option("--dns-threads", s.dns_threads, "embedded: threads answering DNS queries")
      ->envname("ECSSD_DNS_THREADS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--dns-tcp-max-connections", s.dns_tcp_max_connections,
                 "embedded: TCP connections the responder keeps open at once; more are closed at once (each "
                 "holds a socket and, once it has sent a query, up to 128 KiB)")
      ->envname("ECSSD_DNS_TCP_MAX_CONNECTIONS")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app.add_option("--dns-tcp-idle-timeout", s.dns_tcp_idle_timeout,
                 "embedded: a TCP connection that sends no complete query, or reads no answer, for this long is "
                 "closed")
      ->envname("ECSSD_DNS_TCP_IDLE_TIMEOUT")
      ->check(common::duration_validator())
      ->capture_default_str();
}

std::chrono::milliseconds idle_timeout(const EmbeddedSettings& s) {
  auto d = common::parse_duration(s.dns_tcp_idle_timeout);
  return d.ok() ? *d : std::chrono::milliseconds(0);
}

common::Task<Made> build(const BuildContext& context, const Settings& settings) {
  const auto& s = static_cast<const EmbeddedSettings&>(settings);
  if (context.role == Role::kClient) {
    AxfrProviderOptions o;
    o.zone = context.zone;
    o.server = s.dns_listen;
    co_return std::unique_ptr<Provider>(std::make_unique<AxfrProvider>(std::move(o)));
  }
  EmbeddedOptions o;
  o.zone.zone = context.zone;
  o.zone.soa_ttl = context.ttl;
  o.zone.ns_ttl = context.ttl;
  if (context.first != nullptr) {  // another --zone, on the first zone's responder
    if (auto st = dns::validate(o.zone); !st.ok()) co_return st.error();
    auto& first = static_cast<EmbeddedProvider&>(*context.first);  // built by this descriptor
    auto p = std::make_unique<EmbeddedProvider>(first, std::move(o.zone), context.metrics);
    if (auto st = p->start(); !st.ok()) co_return st.error();
    co_return std::unique_ptr<Provider>(std::move(p));
  }
  o.responder.listen = s.dns_listen;
  o.responder.threads = static_cast<unsigned>(s.dns_threads);
  o.responder.max_tcp_connections = static_cast<size_t>(s.dns_tcp_max_connections);
  o.responder.tcp_idle_timeout = idle_timeout(s);
  if (auto st = dns::validate(o.zone); !st.ok()) co_return st.error();
  auto p = std::make_unique<EmbeddedProvider>(context.io, std::move(o), context.time, context.metrics);
  if (auto st = p->start(); !st.ok()) co_return st.error();
  co_return std::unique_ptr<Provider>(std::move(p));
}

constexpr Descriptor kDescriptor{
    .name = "embedded",
    .summary = "this agent's own DNS responder",
    .defaults = {.batch_interval = std::chrono::milliseconds(0),
                 .batch_max_delay = std::chrono::milliseconds(0),
                 .records_outlive_agent = false,
                 .uses_aws = false,
                 .reap_deletes = false},
    .make_settings = &make_settings,
    .add_flags = &add_flags,
    .build = &build,
};

}  // namespace

common::Status EmbeddedSettings::validate(Role role) const {
  if (role == Role::kAgent && idle_timeout(*this).count() <= 0) {
    return common::make_error(common::ErrorCode::kInvalidArgument,
                              fmt::format("--dns-tcp-idle-timeout \"{}\": give a duration above 0 (500ms, 10s)",
                                          dns_tcp_idle_timeout));
  }
  return {};
}

std::vector<std::pair<std::string, std::string>> EmbeddedSettings::describe() const {
  return {{"dns_listen", dns_listen},
          {"dns_tcp_max_connections", std::to_string(dns_tcp_max_connections)},
          {"dns_tcp_idle_timeout", dns_tcp_idle_timeout}};
}

const Descriptor& embedded_descriptor() { return kDescriptor; }

}  // namespace ecssd::provider
