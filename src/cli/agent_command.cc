// `ecssd agent`: watch the container engine and keep this host's records
// published. Wiring only: the work is in src/agent, src/source, src/provider.
#include <csignal>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "agent/agent.h"
#include "agent/event_log.h"
#include "agent/event_notifier.h"
#include "agent/health_gate.h"
#include "agent/status_server.h"
#include "agent/status_view.h"
#include "aws/aws_stack.h"
#include "aws/eventbridge.h"
#include "cli/commands.h"
#include "cli/eventbridge_sink.h"
#include "cli/flags.h"
#include "cli/heap_trim.h"
#include "cli/systemd_notify.h"
#include "common/duration.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/time_system.h"
#include "health/probe.h"
#include "provider/cached_provider.h"
#include "provider/table/table.h"
#include "source/docker/docker_host.h"
#include "source/docker/docker_source.h"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // g++ 12 false positive (GCC bug 109224)

namespace ecssd::cli {
namespace {

namespace asio = boost::asio;

// The agent's health checks (src/agent/health_gate.h): the defaults for what a
// container leaves out, --check-all and the flap hold.
struct CheckFlags {
  std::string check_all;  // "tcp": check every TCP service, declared or not
  std::string interval = "10s";
  std::string start_interval = "1s";
  std::string timeout = "2s";
  int rise = 1;
  int fall = 3;
  int flap_limit = 5;
};

struct AgentFlags {
  LogFlags log;
  ProviderFlags provider;
  RecordFlags records;
  std::string docker_host;
  std::string network;
  bool ignore_health = false;
  CheckFlags checks;
  std::string resync = "60s";
  std::string batch_interval;
  std::string batch_max_delay;
  std::string metrics_listen = "127.0.0.1:9253";
  bool once = false;
  bool remove_all = false;
  bool dry_run = false;
  std::string events_bus;
};

// State shared by the agent's coroutines, alive until io.run() returns.
struct Run {
  explicit Run(const common::Environment& environment) : env(environment) {}

  const common::Environment& env;
  // The run's clock and timers, and the registry /metrics renders: declared
  // before everything that holds their timers and series.
  common::RealTimeSystem time;
  common::Metrics metrics;
  asio::io_context io;
  AgentFlags flags;
  model::RecordConfig records;
  // With a provider on AWS: the AWS plumbing (HTTP client, IMDS, credentials,
  // signing) shared by the provider and EventBridge; declared first, so it
  // goes last.
  std::unique_ptr<aws::AwsStack> aws;
  std::unique_ptr<aws::EventBridgeClient> events_api;
  std::unique_ptr<EventBridgeSink> events_sink;
  std::unique_ptr<source::DockerSource> source;
  std::unique_ptr<provider::CachedProvider> provider;
  std::unique_ptr<agent::EventNotifier> notifier;
  // The health gate and what the status page shows: before the agent, which
  // holds them.
  health::NetworkProbe probe;
  agent::EventLog events;
  std::unique_ptr<agent::HealthGate> gate;
  std::unique_ptr<agent::Agent> agent;
  std::unique_ptr<agent::StatusView> view;
  std::unique_ptr<agent::StatusServer> status;
  HeapTrim trim;
  std::unique_ptr<SystemdNotifier> systemd;  // Type=notify: READY, STATUS, WATCHDOG, STOPPING
  asio::signal_set signals{io, SIGINT, SIGTERM, SIGHUP};
  int exit_code = kExitOk;

  // Stops everything; io.run() returns once what is in flight (an apply
  // already sent, events still queued) has finished, or after 10 s.
  void shutdown(int code) {
    exit_code = code;
    signals.cancel();
    if (systemd) systemd->stopping();
    if (agent) agent->stop();
    if (status) status->stop();
    asio::co_spawn(io, drain(), asio::detached);
  }

  common::Task<void> drain() {
    const auto deadline = time.steady_now() + std::chrono::seconds(10);
    while (((agent && !agent->finished()) || (notifier && !notifier->idle())) && time.steady_now() < deadline) {
      co_await time.sleep_for(std::chrono::milliseconds(10));
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

// The health gate between the source and the records, and the status view
// that watches both. Without declared checks or --check-all it lets every
// service through, as the agent did before it had one.
void add_health_gate(Run& run) {
  const CheckFlags& c = run.flags.checks;
  agent::HealthGateOptions o;
  o.checks.records = run.records;
  o.checks.check_all_tcp = c.check_all == "tcp";
  o.checks.defaults = {.interval = to_duration(c.interval),
                       .start_interval = to_duration(c.start_interval),
                       .timeout = to_duration(c.timeout),
                       .rise = c.rise,
                       .fall = c.fall};
  o.flap.limit = c.flap_limit;
  run.gate = std::make_unique<agent::HealthGate>(run.io, run.probe, std::move(o), run.time,
                                                 common::Scope(run.metrics), &run.events);
  run.agent->set_gate(run.gate.get());
  run.view = std::make_unique<agent::StatusView>(
      *run.gate, run.agent.get(), run.events, run.time, common::Scope(run.metrics),
      agent::StatusInfo{.host = run.records.host.host_name,
                        .owner = run.records.host.owner_id,
                        .zone = run.records.zone,
                        .provider = run.flags.provider.provider});
  run.agent->add_observer(run.view.get());
}

common::Task<void> agent_main(Run& run) {
  const AgentFlags& f = run.flags;
  const provider::Defaults& defaults = f.provider.descriptor()->defaults;
  auto made = co_await start_provider(run.io, f.provider, provider::Role::kAgent,
                                      ProviderWiring{.env = run.env,
                                                     .time = run.time,
                                                     .metrics = common::Scope(run.metrics),
                                                     .ttl = run.records.ttl,
                                                     .aws = run.aws.get()});
  if (!made.ok()) {
    log::error("cannot start the provider", {{"provider", f.provider.provider}, {"error", made.error().describe()}});
    // A value no retry can fix (a bad --dns-listen) is a configuration error.
    run.shutdown(made.error().code == common::ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure);
    co_return;
  }
  run.provider = std::make_unique<provider::CachedProvider>(std::move(made.value()));

  agent::Options options;
  options.records = run.records;
  options.dry_run = f.dry_run;
  options.resync = to_duration(f.resync);
  options.batch_interval = !f.batch_interval.empty() ? to_duration(f.batch_interval) : defaults.batch_interval;
  options.batch_max_delay = !f.batch_max_delay.empty() ? to_duration(f.batch_max_delay) : defaults.batch_max_delay;
  run.agent =
      std::make_unique<agent::Agent>(run.io, *run.source, *run.provider, options, run.time, common::Scope(run.metrics));
  add_health_gate(run);
  if (run.events_sink) {
    agent::EventNotifierOptions eo;
    eo.bus = f.events_bus;
    eo.zone = run.records.zone;
    eo.zones = model::served_zones(run.records);
    eo.host = run.records.host;
    run.notifier = std::make_unique<agent::EventNotifier>(run.io, *run.events_sink, std::move(eo), run.time,
                                                          common::Scope(run.metrics));
    run.agent->add_observer(run.notifier.get());
  }
  run.agent->add_observer(&run.trim);  // last: after the others have freed what they built

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
    run.status = std::make_unique<agent::StatusServer>(run.io, run.metrics, [&run] { return readiness(run); });
    agent::add_page_routes(
        *run.status, [&run] { return run.view->services(); }, [&run](size_t n) { return run.view->events(n); });
    if (auto s = run.status->start(f.metrics_listen); !s.ok()) {
      log::warn("status server disabled", {{"error", s.error().describe()}});
      run.status.reset();
    }
  }
  run.agent->start();
}

// Runs `task` to completion on the (not yet running) io_context.
template <typename T>
T run_now(asio::io_context& io, common::Task<T> task) {
  std::optional<T> out;
  asio::co_spawn(io, std::move(task), [&out](std::exception_ptr, T value) { out.emplace(std::move(value)); });
  io.run();
  io.restart();
  return std::move(*out);
}

// A provider on AWS: the AWS stack, the host facts the flags leave out (IMDSv2
// on EC2), and with --events-bus the EventBridge client of this region. Only
// configuration errors fail (a bad CA bundle, no region for --events-bus);
// the credentials and the zone are checked by the provider, which keeps
// retrying.
common::Status prepare_aws(Run& run, AgentFlags& flags) {
  const common::Environment& env = run.env;
  auto stack = aws::make_aws_stack(run.io.get_executor(), env, run.time);
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
  run.events_sink = std::make_unique<EventBridgeSink>(*run.events_api);
  log::info("EventBridge notifications on", {{"bus", flags.events_bus}, {"region", *region}});
  return {};
}

// The names of the providers whose defaults `has` (for help and messages).
std::string providers_where(bool provider::Defaults::*has, std::string_view last = " or ") {
  return provider::join_names(
      provider::provider_names([has](const provider::Descriptor& d) { return d.defaults.*has; }), last);
}

// Flag combinations the chosen provider rules out. Errors: kInvalidArgument.
common::Status check_provider_fit(const provider::Descriptor& d, const AgentFlags& flags) {
  if (!d.defaults.records_outlive_agent && (flags.once || flags.remove_all)) {
    return common::make_error(
        common::ErrorCode::kInvalidArgument,
        fmt::format("--once and --remove-all need a provider that outlives the agent ({}); the {} responder's "
                    "records vanish when the agent exits",
                    providers_where(&provider::Defaults::records_outlive_agent), d.name));
  }
  if (!d.defaults.uses_aws && !flags.events_bus.empty()) {
    return common::make_error(common::ErrorCode::kInvalidArgument,
                              fmt::format("--events-bus needs --provider {} (AWS credentials)",
                                          providers_where(&provider::Defaults::uses_aws)));
  }
  return {};
}

int run_agent(AgentFlags& flags, const Context& context) {
  if (auto s = apply_log_flags(flags.log); !s.ok()) {
    std::fprintf(stderr, "ecssd: %s\n", s.error().message.c_str());
    return kExitUsage;
  }
  const provider::Descriptor* chosen = flags.provider.descriptor();
  if (chosen == nullptr) {  // --provider is checked against the table: a bug
    log::error("invalid configuration", {{"error", "unknown provider " + flags.provider.provider}});
    return kExitUsage;
  }
  if (auto s = check_provider_fit(*chosen, flags); !s.ok()) {
    log::error("invalid configuration", {{"error", s.error().message}});
    return kExitUsage;
  }
  if (to_duration(flags.checks.interval) < std::chrono::milliseconds(100) ||
      to_duration(flags.checks.start_interval) < std::chrono::milliseconds(100) ||
      to_duration(flags.checks.timeout).count() <= 0) {
    log::error("invalid configuration", {{"error", "--check-interval and --check-start-interval must be at least "
                                                   "100ms, and --check-timeout more than 0"}});
    return kExitUsage;
  }

  Run run(context.env);
  if (chosen->defaults.uses_aws) {
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
  so.docker_host = !flags.docker_host.empty() ? flags.docker_host : source::default_docker_host(context.env);
  so.network = flags.network;
  so.ignore_health = flags.ignore_health;
  if (auto s = source::validate(so); !s.ok()) {
    log::error("invalid configuration", {{"error", s.error().message}});
    return kExitUsage;
  }
  run.source =
      std::make_unique<source::DockerSource>(run.io, so, run.time, common::Scope(run.metrics));

  // The chosen provider's own settings go where dns_listen went before.
  const auto settings = flags.provider.chosen_settings().describe();
  std::vector<log::Field> fields{{"version", ECSSD_VERSION},
                                 {"provider", flags.provider.provider},
                                 {"zone", fmt::format("{}", fmt::join(model::served_zones(run.records), ","))},
                                 {"record_mode", flags.records.record_mode},
                                 {"host_name", run.records.host.host_name},
                                 {"host_ip", run.records.host.host_ip},
                                 {"instance_id", run.records.host.instance_id},
                                 {"owner", run.records.host.owner_id},
                                 {"docker_host", so.docker_host}};
  for (const auto& [key, value] : settings) fields.emplace_back(key, value);
  fields.emplace_back("events_bus", flags.events_bus.empty() ? std::string("-") : flags.events_bus);
  const std::string names = run.records.names.empty() ? std::string("-") : run.records.names.describe();
  fields.emplace_back("name_policy", names);
  fields.emplace_back("dry_run", flags.dry_run);
  log::write(spdlog::level::info, "ecssd agent starting", fields);
  run.wait_signals();
  if (!flags.once && !flags.remove_all) {  // systemd notify (a no-op outside systemd)
    run.systemd = SystemdNotifier::from_environment(
        run.io, context.env, run.time, [&run] { return agent_service_state(run.agent.get(), readiness(run)); });
  }
  asio::co_spawn(run.io, agent_main(run), asio::detached);
  run.io.run();
  return run.exit_code;
}

void add_check_flags(CLI::App& cmd, CheckFlags& f) {
  cmd.add_option("--check-all", f.check_all,
                 "tcp: health-check every TCP service with a TCP connect, declared or not (a container opts a "
                 "port out with SERVICE_<port>_CHECK_TCP=false); a service is published once its check passes")
      ->envname("ECSSD_CHECK_ALL")
      ->check(CLI::IsMember({"tcp"}));
  cmd.add_option("--check-interval", f.interval,
                 "Time between the checks of a service, when it sets no SERVICE_<port>_CHECK_INTERVAL")
      ->envname("ECSSD_CHECK_INTERVAL")
      ->check(duration_validator())
      ->capture_default_str();
  cmd.add_option("--check-start-interval", f.start_interval,
                 "Time between the checks of a service that has no verdict yet (just started: fewer than rise "
                 "passes and fall failures), so that a port opening a moment after its container starts is "
                 "published then rather than an interval later; never more than its interval")
      ->envname("ECSSD_CHECK_START_INTERVAL")
      ->check(duration_validator())
      ->capture_default_str();
  cmd.add_option("--check-timeout", f.timeout, "Deadline of one check, when the service sets no _CHECK_TIMEOUT")
      ->envname("ECSSD_CHECK_TIMEOUT")
      ->check(duration_validator())
      ->capture_default_str();
  cmd.add_option("--check-rise", f.rise, "Passes in a row that publish a service, when it sets no _CHECK_RISE")
      ->envname("ECSSD_CHECK_RISE")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd.add_option("--check-fall", f.fall, "Failures in a row that withdraw a service, when it sets no _CHECK_FALL")
      ->envname("ECSSD_CHECK_FALL")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd.add_option("--check-flap-limit", f.flap_limit,
                 "A check whose verdict changes more than this often within a minute is held withdrawn until it "
                 "has passed for a minute (0: never hold)")
      ->envname("ECSSD_CHECK_FLAP_LIMIT")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
}

// "[default: 0 for embedded, 1s for route53]"
std::string batch_defaults(std::chrono::milliseconds provider::Defaults::*which) {
  std::vector<std::string> parts;
  for (const provider::Descriptor* d : provider::providers()) {
    auto v = d->defaults.*which;
    parts.push_back(fmt::format("{} for {}", v.count() == 0 ? std::string("0") : common::format_duration(v), d->name));
  }
  return "[default: " + provider::join_names(parts, ", ") + "]";
}

}  // namespace

void register_agent(CLI::App& app, const Context& context, std::function<int()>* run) {
  auto flags = std::make_shared<AgentFlags>();
  auto* cmd = app.add_subcommand("agent",
                                 "Watch the container engine and publish DNS records for containers that declare "
                                 "SERVICE_<port>_NAME=<name>; withdraw them when the containers stop.");
  cmd->footer(
      "Durations are written 500ms, 5s, 5m, 1h. Every flag can also be set by the environment variable shown.\n"
      "Signals: SIGTERM/SIGINT stop (records stay, the containers still run); SIGHUP forces a resync.\n"
      "Exit codes: 0 done, 1 the engine or the provider failed, 2 bad flags or configuration.");
  add_provider_flags(*cmd, flags->provider, provider::Role::kAgent);
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
                  "The first change after this long without a plan run goes out at once; the changes that "
                  "follow it go out once none arrived for this long, so a burst becomes few batches " +
                      batch_defaults(&provider::Defaults::batch_interval))
      ->envname("ECSSD_BATCH_INTERVAL")
      ->check(duration_validator());
  cmd->add_option("--batch-max-delay", flags->batch_max_delay,
                  "While changes keep arriving (a long burst), the longest the first waits: a batch at least "
                  "this often, unless Route 53 has throttled the agent and its pace holds the call longer "
                  "(the call then carries every change made meanwhile) " +
                      batch_defaults(&provider::Defaults::batch_max_delay))
      ->envname("ECSSD_BATCH_MAX_DELAY")
      ->check(duration_validator());
  cmd->add_option("--metrics-listen", flags->metrics_listen,
                  "address:port of the status server: the status page (/), /v1/services, /v1/events, /metrics "
                  "(Prometheus), /healthz, /readyz (empty: off)")
      ->envname("ECSSD_METRICS_LISTEN")
      ->capture_default_str()
      ->check(listen_validator(true));
  const std::string outliving = providers_where(&provider::Defaults::records_outlive_agent);
  cmd->add_flag("--once", flags->once, "Sync this host's records once and exit (" + outliving + ")")
      ->envname("ECSSD_ONCE");
  cmd->add_flag("--remove-all", flags->remove_all,
                "Withdraw every record this host owns and exit, e.g. from an instance shutdown hook (" +
                    outliving + ")")
      ->envname("ECSSD_REMOVE_ALL");
  cmd->add_flag("--dry-run", flags->dry_run, "Log what would change; change nothing")->envname("ECSSD_DRY_RUN");
  const std::string on_aws = providers_where(&provider::Defaults::uses_aws);
  cmd->add_option("--events-bus", flags->events_bus,
                  on_aws +
                      ": send an EventBridge event to this bus (name or ARN) when a container's first record "
                      "is published (Container Started) and its last withdrawn (Container Stopped); source ecssd")
      ->envname("ECSSD_EVENTS_BUS");
  cmd->add_option("--instance-id", flags->records.instance_id,
                  on_aws +
                      ": EC2 instance id recorded with the records, for the reaper's EC2 check [default: from "
                      "the instance metadata when --host-name or --host-ip is left out]")
      ->envname("ECSSD_INSTANCE_ID");
  add_check_flags(*cmd, flags->checks);
  add_log_flags(*cmd, flags->log);
  cmd->callback([flags, run, &context] { *run = [flags, &context] { return run_agent(*flags, context); }; });
}

}  // namespace ecssd::cli
