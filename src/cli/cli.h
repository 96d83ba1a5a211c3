#pragma once
// Command-line entry: parses arguments (CLI11), configures logging, wires the
// pieces together and runs the chosen subcommand.
namespace ecssd::cli {

// Returns the process exit code.
int run(int argc, char** argv);

}  // namespace ecssd::cli
