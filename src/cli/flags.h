#pragma once
// Flag groups shared by the subcommands. Every flag has an environment
// variable: --zone / ECSSD_ZONE, --record-mode / ECSSD_RECORD_MODE, ...
// Durations are written 500ms, 5s, 5m, 1h.
#include <chrono>
#include <string>

#include <CLI/CLI.hpp>

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
};
void add_record_flags(CLI::App& app, RecordFlags& f);

// Resolves defaults (this machine's host name and primary IPv4) and validates.
// Errors: kInvalidArgument naming the flag.
common::Result<model::RecordConfig> resolve_record_config(const RecordFlags& f, const ProviderFlags& p);

// A CLI11 validator for durations, and the parse of a checked value.
CLI::Validator duration_validator();
std::chrono::milliseconds to_duration(const std::string& checked);

}  // namespace ecssd::cli
