#include "cli/cli.h"

#include <cstdio>

#include <CLI/CLI.hpp>

namespace ecssd::cli {

int run(int argc, char** argv) {
  CLI::App app{"ecssd: DNS service discovery for containers", "ecssd"};
  app.require_subcommand(1);
  auto* version = app.add_subcommand("version", "Print the version and exit");
  version->callback([] { std::printf("ecssd %s\n", ECSSD_VERSION); });
  CLI11_PARSE(app, argc, argv);
  return 0;
}

}  // namespace ecssd::cli
