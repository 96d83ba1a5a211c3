#include "cli/cli.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace ecssd::cli {

int run(int argc, char** argv) {
  CLI::App app{
      "ecssd: DNS service discovery for containers.\n"
      "An agent on each container host publishes DNS records for containers that declare\n"
      "SERVICE_<port>_NAME=<name>, and withdraws them when the containers stop.",
      "ecssd"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show the help of every subcommand");
  std::function<int()> chosen;
  const Context context{common::Environment::snapshot()};

  register_agent(app, context, &chosen);
  register_records(app, context, &chosen);
  register_reap(app, context, &chosen);
  register_lambda(app, context, &chosen);
  register_status(app, context, &chosen);

  auto* version = app.add_subcommand("version", "Print the version and exit");
  version->callback([&chosen] {
    chosen = [] {
      std::printf("ecssd %s\n", ECSSD_VERSION);
      return kExitOk;
    };
  });

  // Started as a Lambda custom runtime's `bootstrap`: run `ecssd lambda`.
  std::vector<char*> args(argv, argv + argc);
  char lambda_arg[] = "lambda";
  if (started_as_lambda_bootstrap(argc, argv, context.env)) args.push_back(lambda_arg);
  const bool lambda = args.size() > 1 && std::string_view(args[1]) == "lambda";
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    // In Lambda nobody reads stderr before the function fails: say it to the Runtime API too.
    if (code != 0 && lambda && context.env.get("AWS_LAMBDA_RUNTIME_API")) {
      return report_lambda_init_error(context.env, e.what());
    }
    return code == 0 ? kExitOk : kExitUsage;
  }
  return chosen ? chosen() : kExitUsage;
}

}  // namespace ecssd::cli
