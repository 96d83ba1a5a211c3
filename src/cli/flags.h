#pragma once
// Flag groups shared by the subcommands. Every flag has an environment
// variable: --zone / ECSSD_ZONE, --record-mode / ECSSD_RECORD_MODE, ...
// Durations are written 500ms, 5s, 5m, 1h.
#include <chrono>
#include <string>

#include <CLI/CLI.hpp>
#include <boost/asio/awaitable.hpp>

#include "aws/instance_metadata.h"

#include "common/log.h"
#include "common/result.h"
#include "model/record_builder.h"

namespace ecssd::cli {

struct LogFlags {
  std::string format = "text";
  std::string level = "info";
};
void add_log_flags(CLI::App& app, LogFlags& f);
// Configures logging; errors name the bad flag value.
common::Status apply_log_flags(const LogFlags& f);

// Which provider and zone: shared by agent, records and reap.
struct ProviderFlags {
  std::string provider = "embedded";
  std::string zone = "servicediscovery.internal";
  std::string dns_listen = "127.0.0.1:8053";
  int dns_threads = 1;
  std::string zone_id;
  std::string zone_type = "private";
};
void add_provider_flags(CLI::App& app, ProviderFlags& f);

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
};
void add_record_flags(CLI::App& app, RecordFlags& f);

// route53 on EC2: the host facts the flags leave out come from the instance
// metadata (IMDSv2): --host-name from local-hostname, --host-ip from
// local-ipv4, and with them --instance-id. IMDS is asked only when --host-name
// or --host-ip is missing and it is enabled; when it cannot be reached (off
// EC2 it fails within about 2 s), resolve_record_config's defaults apply and
// one log line says so. Never fails.
boost::asio::awaitable<RecordFlags> with_instance_metadata(RecordFlags f, aws::InstanceMetadata& imds);

// Resolves defaults (this machine's host name and primary IPv4) and validates.
// Errors: kInvalidArgument naming the flag.
common::Result<model::RecordConfig> resolve_record_config(const RecordFlags& f, const ProviderFlags& p);

// A CLI11 validator for durations, and the parse of a checked value.
CLI::Validator duration_validator();
// A CLI11 validator for "address:port" flags (common::parse_listen); with
// allow_empty, "" (off) passes too.
CLI::Validator listen_validator(bool allow_empty);
std::chrono::milliseconds to_duration(const std::string& checked);

}  // namespace ecssd::cli
