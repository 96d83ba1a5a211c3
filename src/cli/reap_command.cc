// `ecssd reap`: health-check every ecssd-owned record of the zone and delete
// the dead ones (cron: --once; daemon: --every 5m). Wiring only: the work is in
// src/reaper.
#include <csignal>
#include <cstdio>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "agent/status_server.h"
#include "aws/endpoint.h"
#include "cli/commands.h"
#include "cli/reap_setup.h"
#include "common/duration.h"
#include "common/environment.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/open_files.h"
#include "common/task.h"
#include "common/time_system.h"
#include "model/names.h"
#include "cli/flags.h"
#include "reaper/pass_history.h"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // g++ 12 false positive (GCC bug 109224)

namespace ecssd::cli {

namespace asio = boost::asio;
using common::ErrorCode;
using common::make_error;

void add_reap_flags(CLI::App& cmd, ReapFlags& f) {
  add_provider_flags(cmd, f.provider, provider::Role::kClient);
  cmd.add_option("--fail-threshold", f.fail_threshold,
                 "A record is dead after this many consecutive failed checks of its target")
      ->envname("ECSSD_FAIL_THRESHOLD")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd.add_option("--rise-threshold", f.rise_threshold,
                 "Consecutive successful checks that make a failing target healthy again")
      ->envname("ECSSD_RISE_THRESHOLD")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd.add_option("--check-interval", f.check_interval,
                 "Minimum time between the starts of two checks of one target")
      ->envname("ECSSD_CHECK_INTERVAL")
      ->check(duration_validator())
      ->capture_default_str();
  cmd.add_option("--check-timeout", f.check_timeout,
                 "Deadline of one check, when the container declared no SERVICE_<port>_CHECK_TIMEOUT")
      ->envname("ECSSD_CHECK_TIMEOUT")
      ->check(duration_validator())
      ->capture_default_str();
  cmd.add_option("--grace", f.grace,
                 "Records of containers started less than this long ago are not health-checked (starting "
                 "containers are not reaped)")
      ->envname("ECSSD_GRACE")
      ->check(duration_validator())
      ->capture_default_str();
  cmd.add_option("--concurrency", f.concurrency,
                 fmt::format("Checks in flight at most (each holds a socket). 0, the default: as many as the "
                             "open-file limit allows less {} kept for the rest, at most {}; the soft limit "
                             "(ulimit -n) is raised to the hard one first",
                             reaper::kReservedFiles, reaper::kMaxAutoConcurrency))
      ->envname("ECSSD_CONCURRENCY")
      ->check(CLI::Range(0, 10000))
      ->capture_default_str();
  cmd.add_option("--ecs-cluster", f.ecs_clusters,
                 "ECS cluster(s) whose tasks back the records (repeat or separate with commas; \"all\": every "
                 "cluster). A record whose task is no longer RUNNING is deleted even if its port answers")
      ->envname("ECSSD_ECS_CLUSTER")
      ->delimiter(',');
  cmd.add_flag("--check-ec2", f.check_ec2,
               "Ask EC2 about each record's instance (implied by --ecs-cluster): records of stopped or "
               "terminated instances are deleted")
      ->envname("ECSSD_CHECK_EC2");
  cmd.add_flag("--stop-failing-tasks", f.stop_failing_tasks,
               "Also stop the ECS task of a record whose HTTP check fails (same thresholds), with reason \"" +
                   std::string(reaper::kStopReason) + "\" (needs --ecs-cluster)")
      ->envname("ECSSD_STOP_FAILING_TASKS");
  cmd.add_option("--max-delete-fraction", f.max_delete_fraction,
                 "Safety valve: if a pass would delete more than this fraction of the owned records, it deletes "
                 "nothing and fails")
      ->envname("ECSSD_MAX_DELETE_FRACTION")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd.add_flag("--force", f.force, "Delete even when the safety valve would stop it")->envname("ECSSD_FORCE");
  cmd.add_flag("--dry-run", f.dry_run, "Report what would be deleted and why; change nothing")
      ->envname("ECSSD_DRY_RUN");
  add_log_flags(cmd, f.log);
}

common::Status validate_reap_flags(const ReapFlags& f) {
  if (auto zones = f.provider.served_zones(); !zones.ok()) return zones.error();
  if (to_duration(f.check_timeout).count() <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "--check-timeout must be more than 0");
  }
  for (const auto& c : f.ecs_clusters) {
    if (c.empty()) return make_error(ErrorCode::kInvalidArgument, "--ecs-cluster: empty cluster name");
  }
  if (f.stop_failing_tasks && f.ecs_clusters.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--stop-failing-tasks needs --ecs-cluster (only tasks of the clusters read are stopped)");
  }
  return {};
}

reaper::ReaperOptions reaper_options(const ReapFlags& f) {
  reaper::ReaperOptions o;
  o.health.fall = f.fail_threshold;
  o.health.rise = f.rise_threshold;
  o.health.interval = to_duration(f.check_interval);
  o.check_timeout = to_duration(f.check_timeout);
  o.grace = to_duration(f.grace);
  o.concurrency = static_cast<size_t>(f.concurrency);
  o.max_delete_fraction = f.max_delete_fraction;
  o.force = f.force;
  o.dry_run = f.dry_run;
  o.stop_failing_tasks = f.stop_failing_tasks;
  return o;
}

common::Task<common::Result<std::unique_ptr<ReapStack>>> make_reap_stack(asio::io_context& io, ReapFlags flags,
                                                                         const common::Environment& env,
                                                                         common::TimeSystem& time,
                                                                         common::Scope metrics) {
  auto stack = std::make_unique<ReapStack>();
  auto made = co_await start_provider(io, flags.provider, provider::Role::kClient,
                                      ProviderWiring{.env = env, .time = time, .metrics = metrics});
  if (!made.ok()) co_return made.error();
  stack->provider = std::move(made.value());
  stack->registry = std::make_unique<registry::Registry>(*stack->provider, "");

  if (!flags.ecs_clusters.empty() || flags.check_ec2) {
    auto aws_stack = aws::make_aws_stack(io.get_executor(), env, time);
    if (!aws_stack.ok()) co_return aws_stack.error();
    stack->aws = std::move(aws_stack.value());
    auto region = co_await aws::resolve_region(env, stack->aws->imds.get());
    if (!region.ok()) co_return region.error();
    auto ecs_endpoint = aws::resolve_endpoint(aws::Service::kEcs, env, *region);
    if (!ecs_endpoint.ok()) co_return ecs_endpoint.error();
    auto ec2_endpoint = aws::resolve_endpoint(aws::Service::kEc2, env, *region);
    if (!ec2_endpoint.ok()) co_return ec2_endpoint.error();
    if (!flags.ecs_clusters.empty()) {
      stack->ecs = std::make_unique<aws::EcsClient>(*stack->aws->transport, std::move(ecs_endpoint.value()));
    }
    stack->ec2 = std::make_unique<aws::Ec2Client>(*stack->aws->transport, std::move(ec2_endpoint.value()));
    reaper::CloudOptions co;
    co.clusters = flags.ecs_clusters;
    co.region = *region;
    stack->cloud = std::make_unique<reaper::CloudChecker>(stack->ecs.get(), stack->ec2.get(), std::move(co));
  }
  // The default concurrency follows the open-file limit (the Reaper reads
  // it): raise the soft one to the hard one first.
  if (flags.concurrency == 0) common::raise_open_file_limit();
  stack->reaper = std::make_unique<reaper::Reaper>(*stack->registry, stack->probe, time, reaper_options(flags),
                                                   std::move(metrics), stack->cloud.get());
  co_return stack;
}

namespace {

struct ReapCommandFlags {
  ReapFlags reap;
  bool once = false;
  std::string every;
  std::string output = "text";
  std::string metrics_listen;  // with --every: the status page of the last passes
};

// One run of the command: it owns the time system and the metrics every
// component of the run is given.
struct ReapRun {
  explicit ReapRun(const common::Environment& e) : env(e) {}
  const common::Environment& env;
  common::RealTimeSystem time;
  common::Metrics metrics;
  asio::io_context io;
  ReapCommandFlags flags;
  std::unique_ptr<ReapStack> stack;
  reaper::PassHistory history;
  std::unique_ptr<agent::StatusServer> status;
  asio::signal_set signals{io, SIGINT, SIGTERM};
  std::unique_ptr<common::Timer> sleep = time.make_timer(io.get_executor());  // between passes (--every)
  bool stopping = false;
  int exit_code = kExitFailure;
};

void print_report(const ReapRun& run, reaper::Report& report) {
  report.provider = run.flags.reap.provider.provider;
  std::string text = run.flags.output == "json" ? reaper::to_json_text(report) + "\n" : reaper::to_text(report);
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

common::Task<void> reap_main(ReapRun& run) {
  auto stack = co_await make_reap_stack(run.io, run.flags.reap, run.env, run.time, common::Scope(run.metrics));
  if (!stack.ok()) {
    log::error("cannot reach the zone", {{"provider", run.flags.reap.provider.provider},
                                         {"error", stack.error().describe()}});
    run.exit_code = kExitFailure;
    run.signals.cancel();
    if (run.status) run.status->stop();
    co_return;
  }
  run.stack = std::move(stack.value());
  const auto every = run.flags.every.empty() ? std::chrono::milliseconds(0) : to_duration(run.flags.every);
  while (true) {
    reaper::Report report = co_await run.stack->reaper->run_pass();
    print_report(run, report);
    run.exit_code = report.ok ? kExitOk : kExitFailure;
    if (run.status) run.history.add(std::move(report), run.time.system_now());
    if (every.count() == 0 || run.stopping) break;
    run.sleep->expires_after(every);
    co_await run.sleep->wait();
    if (run.stopping) {
      run.exit_code = kExitOk;
      break;
    }
  }
  run.signals.cancel();
  if (run.status) run.status->stop();
}

// `--every` with --metrics-listen: the agent's status page, showing the last
// passes. Ready once a pass has succeeded.
void start_status(ReapRun& run) {
  run.status = std::make_unique<agent::StatusServer>(run.io, run.metrics, [&run] {
    if (run.history.passes() == 0) return agent::Readiness{false, "the first pass has not finished"};
    return agent::Readiness{run.exit_code == kExitOk, "the last pass failed (see its report)"};
  });
  agent::add_page_routes(
      *run.status, [&run] { return run.history.services(run.time.system_now()); },
      [&run](size_t n) { return run.history.events(n); });
  if (auto s = run.status->start(run.flags.metrics_listen); !s.ok()) {
    log::warn("status server disabled", {{"error", s.error().describe()}});
    run.status.reset();
  }
}

int run_reap(ReapCommandFlags& flags, const common::Environment& env) {
  if (auto s = apply_log_flags(flags.reap.log); !s.ok()) {
    std::fprintf(stderr, "ecssd: %s\n", s.error().message.c_str());
    return kExitUsage;
  }
  if (auto s = validate_reap_flags(flags.reap); !s.ok()) {
    log::error("invalid configuration", {{"error", s.error().message}});
    return kExitUsage;
  }
  if (!flags.every.empty() && to_duration(flags.every).count() <= 0) {
    log::error("invalid configuration", {{"error", "--every must be more than 0"}});
    return kExitUsage;
  }
  if (!flags.metrics_listen.empty() && flags.every.empty()) {
    log::error("invalid configuration", {{"error", "--metrics-listen needs --every (a single pass serves no page)"}});
    return kExitUsage;
  }
  ReapRun run(env);
  run.flags = flags;
  const ReapFlags& f = flags.reap;
  log::info("ecssd reap starting",
            {{"version", ECSSD_VERSION},
             {"provider", f.provider.provider},
             {"zone", fmt::format("{}", fmt::join(f.provider.zones, ","))},
             {"every", flags.every.empty() ? std::string("once") : flags.every},
             {"fail_threshold", f.fail_threshold},
             {"check_interval", f.check_interval},
             {"grace", f.grace},
             {"ecs_clusters", fmt::format("{}", fmt::join(f.ecs_clusters, ","))},
             {"dry_run", f.dry_run}});
  run.signals.async_wait([&run](boost::system::error_code ec, int sig) {
    if (ec) return;
    log::info("stopping after the current pass", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    run.stopping = true;
    run.sleep->cancel();
  });
  if (!flags.metrics_listen.empty()) start_status(run);
  asio::co_spawn(run.io, reap_main(run), asio::detached);
  run.io.run();
  return run.exit_code;
}

}  // namespace

void register_reap(CLI::App& app, const Context& context, std::function<int()>* run) {
  auto flags = std::make_shared<ReapCommandFlags>();
  auto* cmd = app.add_subcommand(
      "reap",
      "Health-check every ecssd-owned record of the zone and delete the dead ones (records whose host died "
      "with its agent). Records ecssd does not own are never touched.");
  cmd->footer(
      "Each record's check comes from its ownership data: TCP connect, or HTTP GET when the container declared\n"
      "SERVICE_<port>_CHECK_HTTP (2xx/3xx, or SERVICE_<port>_CHECK_HTTP_STATUS). Durations: 500ms, 5s, 5m, 1h.\n"
      "embedded: the zone is read by AXFR from the agent at --dns-listen and cannot be changed; dead records\n"
      "are reported only. Exit codes: 0 done, 1 a pass failed (provider, AWS, safety valve), 2 bad flags.");
  auto* once = cmd->add_flag("--once", flags->once, "Run one pass and exit (the default; for cron and timers)")
                   ->envname("ECSSD_ONCE");
  cmd->add_option("--every", flags->every, "Run a pass every DURATION until SIGTERM (daemon)")
      ->envname("ECSSD_EVERY")
      ->check(duration_validator())
      ->excludes(once);
  cmd->add_option("--output", flags->output,
                  "text: the records not kept and a summary; json: a report of every owned record (target, "
                  "check, result, decision)")
      ->envname("ECSSD_OUTPUT")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--metrics-listen", flags->metrics_listen,
                  "With --every: address:port of a status server showing the last passes (the agent's status "
                  "page at /, /v1/services, /v1/events), /metrics, /healthz, /readyz [default: off]")
      ->envname("ECSSD_METRICS_LISTEN")
      ->check(listen_validator(true));
  add_reap_flags(*cmd, flags->reap);
  cmd->callback([flags, run, &context] { *run = [flags, &context] { return run_reap(*flags, context.env); }; });
}

}  // namespace ecssd::cli
