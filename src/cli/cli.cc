#include "cli/cli.h"

#include <cstdio>

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

  register_agent(app, &chosen);
  register_records(app, &chosen);

  auto* version = app.add_subcommand("version", "Print the version and exit");
  version->callback([&chosen] {
    chosen = [] {
      std::printf("ecssd %s\n", ECSSD_VERSION);
      return kExitOk;
    };
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return chosen ? chosen() : kExitUsage;
}

}  // namespace ecssd::cli
