#pragma once
// The subcommands. Each registers its flags on a CLI11 subcommand and returns
// the code to exit with once run.
#include <functional>

#include <CLI/CLI.hpp>

namespace ecssd::cli {

// Registers the subcommand; `*run` is set to the function main calls when the
// subcommand was chosen.
void register_agent(CLI::App& app, std::function<int()>* run);
void register_records(CLI::App& app, std::function<int()>* run);

// Exit codes shared by the subcommands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the work failed (provider, engine)
inline constexpr int kExitUsage = 2;    // bad flags or configuration

}  // namespace ecssd::cli
