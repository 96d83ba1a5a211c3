#pragma once
// Flag groups shared by the subcommands. Every flag has an environment
// variable: --zone / ECSSD_ZONE, --record-mode / ECSSD_RECORD_MODE, ...
// Durations are written 500ms, 5s, 5m, 1h.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>

#include "aws/instance_metadata.h"
#include "common/environment.h"
#include "common/flag_checks.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/result.h"
#include "common/task.h"
#include "common/time_system.h"
#include "model/record_builder.h"
#include "provider/descriptor.h"
#include "provider/provider.h"

namespace ecssd::cli {

struct LogFlags {
  std::string format = "text";
  std::string level = "info";
};
void add_log_flags(CLI::App& app, LogFlags& f);
// Configures logging; errors name the bad flag value.
common::Status apply_log_flags(const LogFlags& f);

// Which provider and zone, and the flags of every provider of the table
// (provider/table.h), each bound to that provider's own settings: shared by
// agent, records and reap. Copies share the settings.
struct ProviderFlags {
  ProviderFlags();
  std::string provider;  // a table name; the table's first by default
  // --zone, repeatable (ECSSD_ZONE: comma-separated); the first is the
  // zone relative service names go in.
  std::vector<std::string> zones{"servicediscovery.internal"};
  // One per table entry, in table order.
  std::vector<std::shared_ptr<provider::Settings>> settings;

  // The chosen provider; null when `provider` names none (the flag is
  // checked against the table, so only a caller filling it by hand can).
  const provider::Descriptor* descriptor() const;
  // The chosen provider's settings (descriptor() must not be null).
  const provider::Settings& chosen_settings() const;
  // The zones, normalized and checked, the first first. Errors:
  // kInvalidArgument naming the bad --zone (invalid, repeated, none).
  common::Result<std::vector<std::string>> served_zones() const;
  // The first zone, normalized (for log lines).
  std::string primary_zone() const;
};
// Registers --provider, --zone and the flags of every provider (their help
// names the provider they are for). `role`: the subcommand's (agent: kAgent;
// records and reap read a zone: kClient).
void add_provider_flags(CLI::App& app, ProviderFlags& f, provider::Role role = provider::Role::kClient);

// What building a provider takes besides its flags: the subcommand's own.
struct ProviderWiring {
  const common::Environment& env;
  common::TimeSystem& time;
  common::Scope metrics;
  // embedded: the TTL of the zone's SOA and NS (the agent's --ttl).
  uint32_t ttl = 10;
  // The caller's AWS stack when the provider uses AWS (shared with its other
  // AWS clients; must outlive the provider). Null: the provider makes its own.
  aws::AwsStack* aws = nullptr;
};

// The one place where provider flags become a provider, for agent, records
// and reap: the chosen descriptor builds it from its settings, for `role`.
// With several --zone: one provider per zone behind a ZoneSplitProvider (one
// Route 53 hosted zone or RFC 2136 update stream each; embedded: one
// responder serving them all).
// Errors: kInvalidArgument for an unknown provider, a bad --zone or bad
// provider settings (exit 2); the provider's start-up errors otherwise (port
// in use, zone not found, no credentials).
common::Task<common::Result<std::unique_ptr<provider::Provider>>> start_provider(boost::asio::io_context& io,
                                                                                 const ProviderFlags& f,
                                                                                 provider::Role role,
                                                                                 ProviderWiring wiring);

// What and how the agent publishes.
struct RecordFlags {
  std::string record_mode = "cname";
  uint32_t ttl = 10;
  std::string host_name;
  std::string host_ip;
  std::string host_ip6;
  std::string owner_id;
  std::string target = "host";
  std::string instance_id;  // EC2 instance id (agent --instance-id, or IMDS)
  // The name policy (model/name_policy.h): --allow-name, --deny-name.
  std::vector<std::string> allow_names;
  std::vector<std::string> deny_names;
};
void add_record_flags(CLI::App& app, RecordFlags& f);

// route53 on EC2: the host facts the flags leave out come from the instance
// metadata (IMDSv2): --host-name from local-hostname, --host-ip from
// local-ipv4, and with them --instance-id. IMDS is asked only when --host-name
// or --host-ip is missing and it is enabled; when it cannot be reached (off
// EC2 it fails within about 2 s), resolve_record_config's defaults apply and
// one log line says so. Never fails.
common::Task<RecordFlags> with_instance_metadata(RecordFlags f, aws::InstanceMetadata& imds);

// Resolves defaults (this machine's host name and primary IPv4) and validates.
// Errors: kInvalidArgument naming the flag.
common::Result<model::RecordConfig> resolve_record_config(const RecordFlags& f, const ProviderFlags& p);

// CLI11 validators for durations and "address:port" flags (common/flag_checks.h).
using common::duration_validator;
using common::listen_validator;
// The parse of a value duration_validator() accepted.
std::chrono::milliseconds to_duration(const std::string& checked);

}  // namespace ecssd::cli
