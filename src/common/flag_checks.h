#pragma once
// CLI11 checks for the value types of common: durations ("500ms", "5s") and
// listen addresses ("127.0.0.1:8053"). Shared by the CLI's own flags and the
// flags each provider registers (provider/<name>/descriptor.cc), so the same
// flag kind accepts and rejects the same text everywhere.
#include <CLI/CLI.hpp>

namespace ecssd::common {

// Accepts what common::parse_duration accepts.
CLI::Validator duration_validator();
// Accepts what common::parse_listen accepts; with allow_empty, "" (off) too.
CLI::Validator listen_validator(bool allow_empty);

}  // namespace ecssd::common
