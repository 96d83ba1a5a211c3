#pragma once
// Flags and wiring shared by `ecssd reap` and `ecssd lambda`: the same
// provider, zone and reaper settings, from flags or environment variables.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <CLI/CLI.hpp>

#include "aws/aws_stack.h"
#include "aws/ec2.h"
#include "aws/ecs.h"
#include "cli/flags.h"
#include "common/environment.h"
#include "common/metrics.h"
#include "common/task.h"
#include "common/time_system.h"
#include "provider/provider.h"
#include "reaper/cloud_check.h"
#include "health/probe.h"
#include "reaper/reaper.h"
#include "registry/registry.h"

namespace ecssd::cli {

struct ReapFlags {
  LogFlags log;
  ProviderFlags provider;
  int fail_threshold = 3;
  int rise_threshold = 1;
  std::string check_interval = "2s";
  std::string check_timeout = "2s";
  std::string grace = "60s";
  int concurrency = 0;  // 0: reaper::auto_concurrency
  std::vector<std::string> ecs_clusters;
  bool check_ec2 = false;
  bool stop_failing_tasks = false;
  double max_delete_fraction = 0.5;
  bool force = false;
  bool dry_run = false;
};

// Registers the reaper's flags (each with its ECSSD_* environment variable).
void add_reap_flags(CLI::App& cmd, ReapFlags& f);

// Checks what CLI11 cannot (flag combinations). Errors: kInvalidArgument naming the flag.
common::Status validate_reap_flags(const ReapFlags& f);

reaper::ReaperOptions reaper_options(const ReapFlags& f);

// Everything one reaper needs, alive as long as it runs.
struct ReapStack {
  std::unique_ptr<provider::Provider> provider;
  std::unique_ptr<registry::Registry> registry;
  std::optional<aws::AwsStack> aws;  // ECS/EC2 clients' plumbing, when asked for
  std::unique_ptr<aws::EcsClient> ecs;
  std::unique_ptr<aws::Ec2Client> ec2;
  std::unique_ptr<reaper::CloudChecker> cloud;
  health::NetworkProbe probe;
  std::unique_ptr<reaper::Reaper> reaper;
};

// Builds the provider (Role::kClient: embedded is read by AXFR), the AWS
// clients when --ecs-cluster or --check-ec2 ask for them (configured from
// `env`), and the reaper, which waits on `time` and makes its series in
// `metrics`. `env` and `time` must outlive the stack.
// Errors: the provider's start-up errors (zone not found, no credentials...),
// kInvalidArgument when the AWS region cannot be told.
common::Task<common::Result<std::unique_ptr<ReapStack>>> make_reap_stack(boost::asio::io_context& io,
                                                                         ReapFlags flags,
                                                                         const common::Environment& env,
                                                                         common::TimeSystem& time,
                                                                         common::Scope metrics);

}  // namespace ecssd::cli
