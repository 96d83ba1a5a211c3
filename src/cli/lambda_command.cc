// `ecssd lambda`: the reaper as an AWS Lambda function on a custom runtime
// (provided.al2023). Also what runs when the binary is started as `bootstrap`
// with AWS_LAMBDA_RUNTIME_API set. Configuration comes from the function's
// environment variables (the same ECSSD_* variables as `ecssd reap`).
#include <csignal>
#include <cstdio>
#include <cstring>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>

#include "aws/beast_http_client.h"
#include "cli/commands.h"
#include "cli/reap_setup.h"
#include "common/environment.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/task.h"
#include "common/time_system.h"
#include "model/names.h"
#include "reaper/lambda_runtime.h"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // g++ 12 false positive (GCC bug 109224)

namespace ecssd::cli {
namespace {

namespace asio = boost::asio;

constexpr const char* kRuntimeApiVar = "AWS_LAMBDA_RUNTIME_API";

// One run of the runtime: it owns the time system and the metrics every
// component of the run is given.
struct LambdaRun {
  explicit LambdaRun(const common::Environment& e) : env(e) {}
  const common::Environment& env;
  common::RealTimeSystem time;
  common::Metrics metrics;
  asio::io_context io;
  ReapFlags flags;
  std::unique_ptr<aws::BeastHttpClient> http;
  std::unique_ptr<reaper::HttpRuntimeApi> api;
  std::unique_ptr<ReapStack> stack;
  std::unique_ptr<reaper::ReapHandler> handler;
  std::unique_ptr<reaper::LambdaLoop> loop;
  asio::signal_set signals{io, SIGINT, SIGTERM};
  int exit_code = kExitFailure;
};

// Posts an init error; the process exits with `code` afterwards.
common::Task<void> init_failed(LambdaRun& run, std::string type, std::string message, int code) {
  log::error("lambda function cannot start", {{"error_type", type}, {"error", message}});
  auto s = co_await run.api->init_error(type, message);
  if (!s.ok()) log::error("Lambda Runtime API: cannot report the init error", {{"error", s.error().describe()}});
  run.exit_code = code;
  run.signals.cancel();
}

common::Task<void> lambda_main(LambdaRun& run) {
  if (auto s = validate_reap_flags(run.flags); !s.ok()) {
    co_await init_failed(run, "Runtime.InvalidConfiguration", s.error().message, kExitUsage);
    co_return;
  }
  auto stack = co_await make_reap_stack(run.io, run.flags, run.env, run.time, common::Scope(run.metrics));
  if (!stack.ok()) {
    co_await init_failed(run, "Runtime.InitFailed", "cannot reach the zone: " + stack.error().describe(),
                         kExitFailure);
    co_return;
  }
  run.stack = std::move(stack.value());
  run.handler = std::make_unique<reaper::ReapHandler>(*run.stack->reaper, run.flags.provider.provider);
  run.loop = std::make_unique<reaper::LambdaLoop>(*run.api, *run.handler, run.time);
  log::info("lambda runtime ready", {{"provider", run.flags.provider.provider},
                                     {"zone", run.flags.provider.primary_zone()}});
  auto s = co_await run.loop->run();
  if (!s.ok()) log::error("lambda runtime loop ended", {{"error", s.error().describe()}});
  run.exit_code = s.ok() ? kExitOk : kExitFailure;
  run.signals.cancel();
}

// The HTTP client and runtime API client, or an exit code.
int connect(LambdaRun& run) {
  std::string endpoint = run.env.get_or(kRuntimeApiVar, "");
  if (endpoint.empty()) {
    log::error("invalid configuration",
               {{"error", "AWS_LAMBDA_RUNTIME_API is not set: `ecssd lambda` runs inside AWS Lambda (use `ecssd reap` "
                          "elsewhere)"}});
    return kExitUsage;
  }
  auto http = aws::BeastHttpClient::create(run.io.get_executor(), aws::HttpClientOptions{}, run.time);
  if (!http.ok()) {
    log::error("cannot start the HTTP client", {{"error", http.error().describe()}});
    return kExitFailure;
  }
  run.http = std::move(http.value());
  run.api = std::make_unique<reaper::HttpRuntimeApi>(*run.http, endpoint);
  return kExitOk;
}

int run_lambda(const ReapFlags& flags, const common::Environment& env) {
  if (auto s = apply_log_flags(flags.log); !s.ok()) return report_lambda_init_error(env, s.error().message);
  LambdaRun run(env);
  run.flags = flags;
  if (int code = connect(run); code != kExitOk) return code;
  run.signals.async_wait([&run](boost::system::error_code ec, int) {
    if (ec) return;
    log::info("lambda runtime stopping");
    run.exit_code = kExitOk;
    run.io.stop();
  });
  asio::co_spawn(run.io, lambda_main(run), asio::detached);
  run.io.run();
  return run.exit_code;
}

common::Task<void> post_init_error(LambdaRun& run, std::string message) {
  co_await init_failed(run, "Runtime.InvalidConfiguration", std::move(message), kExitUsage);
}

}  // namespace

bool started_as_lambda_bootstrap(int argc, char** argv, const common::Environment& env) {
  if (argc != 1 || argv[0] == nullptr || !env.get(kRuntimeApiVar)) return false;
  const char* slash = std::strrchr(argv[0], '/');
  return std::strcmp(slash ? slash + 1 : argv[0], "bootstrap") == 0;
}

int report_lambda_init_error(const common::Environment& env, const std::string& message) {
  LambdaRun run(env);
  if (int code = connect(run); code != kExitOk) return code;
  asio::co_spawn(run.io, post_init_error(run, message), asio::detached);
  run.io.run();
  return kExitUsage;
}

void register_lambda(CLI::App& app, const Context& context, std::function<int()>* run) {
  auto flags = std::make_shared<ReapFlags>();
  auto* cmd = app.add_subcommand(
      "lambda",
      "Run as an AWS Lambda function (custom runtime provided.al2023; also chosen when the binary is started as "
      "`bootstrap` with AWS_LAMBDA_RUNTIME_API set): every invocation, e.g. an EventBridge schedule, runs one "
      "reap pass and returns its JSON report. Configure it with the ECSSD_* environment variables of `ecssd reap`.");
  add_reap_flags(*cmd, *flags);
  cmd->callback([flags, run, &context] { *run = [flags, &context] { return run_lambda(*flags, context.env); }; });
}

}  // namespace ecssd::cli
