#pragma once
// The subcommands. Each registers its flags on a CLI11 subcommand and returns
// the code to exit with once run.
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "common/environment.h"

namespace ecssd::cli {

// What cli::run gives every subcommand. It outlives the subcommand's run.
struct Context {
  // The process environment, read once at start-up: nothing else reads it.
  common::Environment env;
};

// Registers the subcommand; `*run` is set to the function main calls when the
// subcommand was chosen.
void register_agent(CLI::App& app, const Context& context, std::function<int()>* run);
void register_records(CLI::App& app, const Context& context, std::function<int()>* run);
void register_reap(CLI::App& app, const Context& context, std::function<int()>* run);
void register_lambda(CLI::App& app, const Context& context, std::function<int()>* run);
void register_status(CLI::App& app, const Context& context, std::function<int()>* run);

// True when the binary runs as a Lambda custom runtime: started as
// `bootstrap` without arguments while AWS_LAMBDA_RUNTIME_API is set.
bool started_as_lambda_bootstrap(int argc, char** argv, const common::Environment& env);
// Reports a configuration error to the Lambda Runtime API (init error) and
// returns the exit code (kExitUsage).
int report_lambda_init_error(const common::Environment& env, const std::string& message);

// Exit codes shared by the subcommands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the work failed (provider, engine)
inline constexpr int kExitUsage = 2;    // bad flags or configuration

}  // namespace ecssd::cli
