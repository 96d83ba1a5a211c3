// `ecssd agent`: watch the container engine and keep this host's records
// published. Wiring only: the work is in src/agent, src/source, src/provider.
#include <csignal>
#include <cstdlib>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent/agent.h"
#include "agent/event_notifier.h"
#include "agent/status_server.h"
#include "aws/aws_stack.h"
#include "aws/eventbridge.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "common/clock.h"
#include "common/duration.h"
#include "common/log.h"
#include "provider/cached_provider.h"
#include "provider/factory.h"
#include "source/docker/docker_source.h"

namespace ecssd::cli {
namespace {

namespace asio = boost::asio;

struct AgentFlags {
  LogFlags log;
  ProviderFlags provider;
  RecordFlags records;
  std::string docker_host;
  std::string network;
  bool ignore_health = false;
  std::string resync = "60s";
  std::string batch_interval;
  std::string batch_max_delay;
  std::string metrics_listen = "127.0.0.1:9253";
  bool once = false;
  bool remove_all = false;
  bool dry_run = false;
  std::string events_bus;
};

std::string docker_host_default(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("DOCKER_HOST"); env && *env) return env;
  return "unix:///var/run/docker.sock";
}

// State shared by the agent's coroutines, alive until io.run() returns.
struct Run {
  asio::io_context io;
  AgentFlags flags;
  model::RecordConfig records;
  // route53: the AWS plumbing (HTTP client, IMDS, credentials, signing)
  // shared by the provider and EventBridge; declared first, so it goes last.
  std::unique_ptr<aws::AwsStack> aws;
  std::unique_ptr<aws::EventBridgeClient> events_api;
  std::unique_ptr<source::DockerSource> source;
  std::unique_ptr<provider::CachedProvider> provider;
  std::unique_ptr<agent::EventNotifier> notifier;
  std::unique_ptr<agent::Agent> agent;
  std::unique_ptr<agent::StatusServer> status;
  asio::signal_set signals{io, SIGINT, SIGTERM, SIGHUP};
  int exit_code = kExitOk;

  // Stops everything; io.run() returns once what is in flight (an apply
  // already sent, events still queued) has finished, or after 10 s.
  void shutdown(int code) {
    exit_code = code;
    signals.cancel();
    if (agent) agent->stop();
    if (status) status->stop();
    asio::co_spawn(io, drain(), asio::detached);
  }

  asio::awaitable<void> drain() {
    asio::steady_timer t(io);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (((agent && !agent->finished()) || (notifier && !notifier->idle())) &&
           std::chrono::steady_clock::now() < deadline) {
      t.expires_after(std::chrono::milliseconds(10));
      co_await t.async_wait(asio::use_awaitable);
    }
    if (notifier) notifier->stop();
    io.stop();
  }

  void wait_signals() {
    signals.async_wait([this](boost::system::error_code ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        log::info("SIGHUP: resyncing");
        if (agent) agent->resync();
        wait_signals();
        return;
      }
      log::info("stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      shutdown(kExitOk);
    });
  }
};

agent::Readiness readiness(const Run& run) {
  if (!run.agent) return {false, "starting"};
  // Every reason at once: an operator fixing one should not discover the next.
  std::string why;
  if (!run.source->synced()) why = "the container engine has not been listed yet (see --docker-host)";
  if (!run.agent->stats().provider_ok) {
    const std::string& error = run.agent->provider_error();
    if (!why.empty()) why += "; ";
    why += error.empty() ? std::string("the provider has not answered yet")
                         : "the provider is failing (retrying in the background): " + error;
  }
  return {why.empty(), why};
}

asio::awaitable<void> agent_main(Run& run) {
  const AgentFlags& f = run.flags;
  provider::ProviderConfig pc;
  pc.name = f.provider.provider;
  pc.zone = run.records.zone;
  pc.dns_listen = f.provider.dns_listen;
  pc.dns_threads = f.provider.dns_threads;
  pc.ttl = run.records.ttl;
  pc.zone_id = f.provider.zone_id;
  pc.zone_type = f.provider.zone_type;
  pc.aws = run.aws.get();
  auto made = co_await provider::make_provider(run.io, pc, provider::Role::kAgent);
  if (!made.ok()) {
    log::error("cannot start the provider", {{"provider", pc.name}, {"error", made.error().describe()}});
    // A value no retry can fix (a bad --dns-listen) is a configuration error.
    run.shutdown(made.error().code == common::ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure);
    co_return;
  }
  run.provider = std::make_unique<provider::CachedProvider>(std::move(made.value()));

  agent::Options options;
  options.records = run.records;
  options.dry_run = f.dry_run;
  options.resync = to_duration(f.resync);
  const bool embedded = pc.name == "embedded";
  options.batch_interval = !f.batch_interval.empty() ? to_duration(f.batch_interval)
                           : embedded                 ? std::chrono::milliseconds(0)
                                                      : std::chrono::milliseconds(1000);
  options.batch_max_delay = !f.batch_max_delay.empty() ? to_duration(f.batch_max_delay)
                            : embedded                  ? std::chrono::milliseconds(0)
                                                        : std::chrono::milliseconds(5000);
  run.agent = std::make_unique<agent::Agent>(run.io, *run.source, *run.provider, options);
  if (run.events_api) {
    agent::EventNotifierOptions eo;
    eo.bus = f.events_bus;
    eo.zone = run.records.zone;
    eo.host = run.records.host;
    run.notifier = std::make_unique<agent::EventNotifier>(run.io, *run.events_api,
                                                          common::RealTimeSource::instance(), std::move(eo));
    run.agent->add_observer(run.notifier.get());
  }

  if (f.remove_all) {
    auto s = co_await run.agent->remove_all();
    if (!s.ok()) log::error("remove-all failed", {{"error", s.error().describe()}});
    run.shutdown(s.ok() ? kExitOk : kExitFailure);
    co_return;
  }
  if (f.once) {
    auto s = co_await run.agent->sync_once(std::chrono::seconds(30));
    if (!s.ok()) log::error("sync failed", {{"error", s.error().describe()}});
    else log::info("in sync", {{"owned_records", run.agent->stats().published}});
    run.shutdown(s.ok() ? kExitOk : kExitFailure);
    co_return;
  }

  if (!f.metrics_listen.empty()) {
    run.status = std::make_unique<agent::StatusServer>(run.io, [&run] { return readiness(run); });
    if (auto s = run.status->start(f.metrics_listen); !s.ok()) {
      log::warn("status server disabled", {{"error", s.error().describe()}});
      run.status.reset();
    }
  }
  run.agent->start();
}

// Runs `task` to completion on the (not yet running) io_context.
template <typename T>
T run_now(asio::io_context& io, asio::awaitable<T> task) {
  std::optional<T> out;
  asio::co_spawn(io, std::move(task), [&out](std::exception_ptr, T value) { out.emplace(std::move(value)); });
  io.run();
  io.restart();
  return std::move(*out);
}

// route53: the AWS stack, the host facts the flags leave out (IMDSv2 on EC2),
// and with --events-bus the EventBridge client of this region. Only
// configuration errors fail (a bad CA bundle, no region for --events-bus);
// the credentials and the zone are checked by the provider, which keeps
// retrying.
common::Status prepare_aws(Run& run, AgentFlags& flags) {
  aws::Env env = aws::Env::process();
  auto stack = aws::make_aws_stack(run.io.get_executor(), env);
  if (!stack.ok()) return stack.error();
  run.aws = std::make_unique<aws::AwsStack>(std::move(stack.value()));
  flags.records = run_now(run.io, with_instance_metadata(flags.records, *run.aws->imds));
  if (flags.events_bus.empty()) return {};
  auto region = run_now(run.io, aws::resolve_region(env, run.aws->imds.get()));
  if (!region.ok()) {
    return common::make_error(common::ErrorCode::kInvalidArgument,
                              "--events-bus: EventBridge is regional and " + region.error().message);
  }
  auto endpoint = aws::resolve_endpoint(aws::Service::kEventBridge, env, *region);
  if (!endpoint.ok()) {
    return common::make_error(common::ErrorCode::kInvalidArgument, "--events-bus: " + endpoint.error().message);
  }
  run.events_api = std::make_unique<aws::EventBridgeClient>(*run.aws->transport, std::move(endpoint.value()));
  log::info("EventBridge notifications on", {{"bus", flags.events_bus}, {"region", *region}});
  return {};
}

int run_agent(AgentFlags& flags) {
  if (auto s = apply_log_flags(flags.log); !s.ok()) {
    std::fprintf(stderr, "ecssd: %s\n", s.error().message.c_str());
    return kExitUsage;
  }
  if (flags.provider.provider == "embedded" && (flags.once || flags.remove_all)) {
    log::error("invalid configuration",
               {{"error", "--once and --remove-all need a provider that outlives the agent (route53); the embedded "
                          "responder's records vanish when the agent exits"}});
    return kExitUsage;
  }
  if (flags.provider.provider != "route53" && !flags.events_bus.empty()) {
    log::error("invalid configuration", {{"error", "--events-bus needs --provider route53 (AWS credentials)"}});
    return kExitUsage;
  }

  Run run;
  if (flags.provider.provider == "route53") {
    if (auto s = prepare_aws(run, flags); !s.ok()) {
      log::error("invalid configuration", {{"error", s.error().message}});
      return kExitUsage;
    }
  }
  auto records = resolve_record_config(flags.records, flags.provider);
  if (!records.ok()) {
    log::error("invalid configuration", {{"error", records.error().message}});
    return kExitUsage;
  }
  run.flags = flags;
  run.records = *records;
  source::DockerSourceOptions so;
  so.docker_host = docker_host_default(flags.docker_host);
  so.network = flags.network;
  so.ignore_health = flags.ignore_health;
  if (auto s = source::validate(so); !s.ok()) {
    log::error("invalid configuration", {{"error", s.error().message}});
    return kExitUsage;
  }
  run.source = std::make_unique<source::DockerSource>(run.io, so, common::RealTimeSource::instance());

  log::info("ecssd agent starting", {{"version", ECSSD_VERSION},
                                     {"provider", flags.provider.provider},
                                     {"zone", run.records.zone},
                                     {"record_mode", flags.records.record_mode},
                                     {"host_name", run.records.host.host_name},
                                     {"host_ip", run.records.host.host_ip},
                                     {"instance_id", run.records.host.instance_id},
                                     {"owner", run.records.host.owner_id},
                                     {"docker_host", so.docker_host},
                                     {"dns_listen", flags.provider.provider == "embedded" ? flags.provider.dns_listen
                                                                                          : std::string("-")},
                                     {"events_bus", flags.events_bus.empty() ? std::string("-") : flags.events_bus},
                                     {"dry_run", flags.dry_run}});
  run.wait_signals();
  asio::co_spawn(run.io, agent_main(run), asio::detached);
  run.io.run();
  return run.exit_code;
}

}  // namespace

void register_agent(CLI::App& app, std::function<int()>* run) {
  auto flags = std::make_shared<AgentFlags>();
  auto* cmd = app.add_subcommand("agent",
                                 "Watch the container engine and publish DNS records for containers that declare "
                                 "SERVICE_<port>_NAME=<name>; withdraw them when the containers stop.");
  cmd->footer(
      "Durations are written 500ms, 5s, 5m, 1h. Every flag can also be set by the environment variable shown.\n"
      "Signals: SIGTERM/SIGINT stop (records stay, the containers still run); SIGHUP forces a resync.\n"
      "Exit codes: 0 done, 1 the engine or the provider failed, 2 bad flags or configuration.");
  add_provider_flags(*cmd, flags->provider);
  add_record_flags(*cmd, flags->records);
  cmd->add_option("--docker-host", flags->docker_host,
                  "Container engine API socket (Docker or Podman); only GET requests are sent "
                  "[default: $DOCKER_HOST, else unix:///var/run/docker.sock]")
      ->envname("ECSSD_DOCKER_HOST");
  cmd->add_option("--network", flags->network,
                  "With --target container: the network whose container IP is published when a container has "
                  "several")
      ->envname("ECSSD_NETWORK");
  cmd->add_flag("--ignore-health", flags->ignore_health,
                "Publish containers that have a HEALTHCHECK even while they are not healthy")
      ->envname("ECSSD_IGNORE_HEALTH");
  cmd->add_option("--resync", flags->resync, "Interval of the full relisting that repairs any drift (0: never)")
      ->envname("ECSSD_RESYNC")
      ->check(duration_validator())
      ->capture_default_str();
  cmd->add_option("--batch-interval", flags->batch_interval,
                  "Changes go out once none arrived for this long, so a burst becomes one batch "
                  "[default: 0 for embedded, 1s for route53]")
      ->envname("ECSSD_BATCH_INTERVAL")
      ->check(duration_validator());
  cmd->add_option("--batch-max-delay", flags->batch_max_delay,
                  "While changes keep arriving (a long burst), the longest the first waits: a batch at least "
                  "this often [default: 0 for embedded, 5s for route53]")
      ->envname("ECSSD_BATCH_MAX_DELAY")
      ->check(duration_validator());
  cmd->add_option("--metrics-listen", flags->metrics_listen,
                  "address:port of the status server: /metrics (Prometheus), /healthz, /readyz (empty: off)")
      ->envname("ECSSD_METRICS_LISTEN")
      ->capture_default_str()
      ->check(listen_validator(true));
  cmd->add_flag("--once", flags->once, "Sync this host's records once and exit (route53)")->envname("ECSSD_ONCE");
  cmd->add_flag("--remove-all", flags->remove_all,
                "Withdraw every record this host owns and exit, e.g. from an instance shutdown hook (route53)")
      ->envname("ECSSD_REMOVE_ALL");
  cmd->add_flag("--dry-run", flags->dry_run, "Log what would change; change nothing")->envname("ECSSD_DRY_RUN");
  cmd->add_option("--events-bus", flags->events_bus,
                  "route53: send an EventBridge event to this bus (name or ARN) when a container's first record "
                  "is published (Container Started) and its last withdrawn (Container Stopped); source ecssd")
      ->envname("ECSSD_EVENTS_BUS");
  cmd->add_option("--instance-id", flags->records.instance_id,
                  "route53: EC2 instance id recorded with the records, for the reaper's EC2 check [default: from "
                  "the instance metadata when --host-name or --host-ip is left out]")
      ->envname("ECSSD_INSTANCE_ID");
  add_log_flags(*cmd, flags->log);
  cmd->callback([flags, run] { *run = [flags] { return run_agent(*flags); }; });
}

}  // namespace ecssd::cli
