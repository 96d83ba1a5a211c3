#pragma once
// A provider describes itself in one place (CoreDNS: a folder per plugin;
// external-dns: a package per provider): its name, its flags with their
// environment variables and help, the defaults it gives the commands, what it
// can do, and how it is built. The table in provider/table.cc lists every
// descriptor; the CLI and the factory read the table and never compare
// provider names. Adding a provider is its own folder plus one line there.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "common/environment.h"
#include "common/metrics.h"
#include "common/result.h"
#include "common/task.h"
#include "common/time_system.h"
#include "provider/provider.h"

namespace CLI {
class App;
}
namespace ecssd::aws {
struct AwsStack;
}

namespace ecssd::provider {

// What the provider is for: the agent serves or writes records; a client
// (records, reap) reads and changes a zone that outlives it. For embedded,
// a client reads the running agent's responder by AXFR.
enum class Role { kAgent, kClient };

// The defaults a provider gives the commands that use it, and what makes
// sense with it.
struct Defaults {
  // agent --batch-interval and --batch-max-delay when the flags are not given.
  std::chrono::milliseconds batch_interval{0};
  std::chrono::milliseconds batch_max_delay{0};
  // The records outlive the agent, so agent --once and --remove-all make
  // sense (false for embedded: its records vanish with the agent).
  bool records_outlive_agent = true;
  // Runs on AWS: the agent shares one AWS stack (credentials, IMDSv2,
  // signing) between the provider and EventBridge (--events-bus), and reads
  // the host's identity from the instance metadata.
  bool uses_aws = false;
  // The reaper can delete from it (false: reap only reports).
  bool reap_deletes = true;
};

// A provider's own settings, bound to its flags. Each provider derives its
// own struct; the flags of every provider are registered on every
// subcommand that takes --provider, and only the chosen one's are used.
class Settings {
 public:
  virtual ~Settings() = default;
  // Checks the values once the flags are parsed (for the chosen provider
  // only). Errors: kInvalidArgument naming the flag.
  virtual common::Status validate(Role role) const { (void)role; return {}; }
  // For the agent's start-up log line: the settings worth showing (never
  // a secret).
  virtual std::vector<std::pair<std::string, std::string>> describe() const { return {}; }
};

// What every provider is built with.
struct BuildContext {
  boost::asio::io_context& io;
  Role role;
  std::string zone;  // normalized, validated
  uint32_t ttl = 10;  // of the records the agent publishes (embedded: SOA and NS too)
  common::TimeSystem& time;
  common::Scope metrics;
  // The process environment as read at start-up (AWS settings, endpoints).
  const common::Environment& env;
  // When Defaults::uses_aws: the caller's AWS stack, shared with its other AWS
  // clients; must outlive the provider. Null: the provider makes its own
  // from `env`.
  aws::AwsStack* aws = nullptr;
  // Several --zone: the provider already built for the first zone, when
  // this build is for another (one provider per zone; embedded serves them
  // all from the first's responder). Null for the first zone.
  Provider* first = nullptr;
};

struct Descriptor {
  std::string_view name;
  // One line for --provider's help.
  std::string_view summary;
  Defaults defaults;
  std::unique_ptr<Settings> (*make_settings)();
  // Adds this provider's flags to a subcommand, bound to `settings` (made by
  // make_settings). Flag help starts with the provider's name ("route53: ...")
  // and every flag has an ECSSD_* environment variable. `role` tells agent
  // flags from client ones where they differ.
  void (*add_flags)(CLI::App& app, Settings& settings, Role role);
  // A started provider. `context` and `settings` must outlive the returned
  // task (co_await it at once). Errors: kInvalidArgument for bad settings
  // (exit 2); what start-up returns otherwise (port in use, zone not found).
  common::Task<common::Result<std::unique_ptr<Provider>>> (*build)(const BuildContext& context,
                                                                   const Settings& settings);
};

}  // namespace ecssd::provider
