#pragma once
// The RFC 2136 provider as the provider table sees it: its flags (each with
// an ECSSD_* environment variable), its defaults, and how it is built.
//
//   --provider rfc2136 --rfc2136-server HOST:PORT --tsig-key-file FILE
//   [--tsig-key-name NAME] [--tsig-algorithm ALG]
//   [--rfc2136-axfr-server HOST:PORT] [--rfc2136-axfr-key-file FILE]
//   [--rfc2136-timeout 5s]
//
// Defaults: --batch-interval 500ms and --batch-max-delay 3s. An UPDATE is
// cheap for the server but each one moves the zone's serial, which makes
// every secondary transfer again: a quiet half second gathers what one
// `docker compose up` starts, and a batch at least every 3 s keeps a long
// burst (200 starts over ~17 s here) under 10 UPDATEs while the last change
// is published about 0.5 s after the last event (the goals: at most
// 10 UPDATEs per burst, converged within 2 s). The records outlive the agent
// (--once and --remove-all apply); the reaper deletes through it.
#include <chrono>
#include <string>

#include "provider/descriptor.h"

namespace ecssd::provider::rfc2136 {

// The provider's flags, bound by add_flags().
struct Settings final : provider::Settings {
  std::string server;         // --rfc2136-server
  std::string key_file;       // --tsig-key-file
  std::string key_name;       // --tsig-key-name
  std::string algorithm;      // --tsig-algorithm
  std::string axfr_server;    // --rfc2136-axfr-server (default: --rfc2136-server)
  std::string axfr_key_file;  // --rfc2136-axfr-key-file (default: --tsig-key-file)
  std::string timeout = "5s";  // --rfc2136-timeout

  // Errors: kInvalidArgument naming the flag: no --rfc2136-server or
  // --tsig-key-file, a server that is not HOST[:PORT], a bad timeout, an
  // unknown algorithm. (The key files are read by build().)
  common::Status validate(Role role) const override;
  // Servers, key file paths and names: never a secret.
  std::vector<std::pair<std::string, std::string>> describe() const override;
};

const provider::Descriptor& descriptor();

}  // namespace ecssd::provider::rfc2136
