#pragma once
// Reading a container as the engine describes it (GET /containers/{id}/json):
// its run state, and the services it declares with registrator's conventions.
// Pure functions: no I/O, no logging (rejections and notes are returned so the
// caller can log each once per container lifetime).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "common/result.h"
#include "model/record_builder.h"
#include "model/service.h"

namespace ecssd::source {

struct ExtractOptions {
  // The network whose addresses fill container_ip/container_ip6 when a
  // container is on several (--network). Empty: only a container on exactly
  // one network gets addresses.
  std::string network;
};

struct Extraction {
  std::vector<model::Service> services;  // sorted by (container_port, protocol, name)
  // Variables that could not be used, each naming the variable and the reason.
  std::vector<model::Rejection> rejections;
  // Facts worth one log line that reject nothing (e.g. no network chosen).
  std::vector<std::string> notes;
};

// The services a container declares:
//  - SERVICE_<port>_NAME=<name> (env, or label; labels win; relative to the
//    first --zone, or with a trailing dot a name in any served zone) names the service on
//    that container port, once per protocol the port is exposed or published
//    with (tcp when it is neither, udp when the name ends in "._udp");
//  - SERVICE_NAME=<name> names the service of a container with one port number
//    (or none: container_port 0); with several it is rejected;
//  - SERVICE_IGNORE / SERVICE_<port>_IGNORE (any value but "", "0", "false",
//    "no") opt the container or the port out;
//  - SERVICE_[<port>_]CHECK_HTTP, _CHECK_HTTP_STATUS, _CHECK_TCP, _CHECK_INTERVAL,
//    _CHECK_TIMEOUT, _CHECK_RISE, _CHECK_FALL, _TAGS, _PRIORITY, _WEIGHT (SRV,
//    0-65535, default 1 and 1; a bad one keeps the default): the container-wide form
//    is the default for every service, the port form wins. CHECK_HTTP or
//    CHECK_TCP=true declares a check the agent gates publication on;
//    CHECK_TCP=false opts out of --check-all;
//  - labels com.amazonaws.ecs.task-arn and com.amazonaws.ecs.cluster.
// host_port comes from NetworkSettings.Ports["<port>/<proto>"] (0 when not
// published); with host networking it is the container port. Never fails: every
// unusable variable becomes a rejection and the other services are kept.
Extraction extract_services(const boost::json::value& inspect, const ExtractOptions& options);

// What the source needs to know about one inspected container.
struct InspectedContainer {
  std::string id;
  std::string name;        // without the leading '/'
  std::string status;      // State.Status: "running", "exited", "paused", ...
  bool running = false;    // running and neither paused nor restarting
  std::string health;      // State.Health.Status; "" without a health check
  std::string started_at;  // State.StartedAt as sent: identifies one run
  Extraction extraction;
};

// Parses an inspect body. Errors: kProtocol when it is not JSON or has no Id.
common::Result<InspectedContainer> parse_inspect(std::string_view body, const ExtractOptions& options);

// A container's name as the engine writes it ("/web", in inspect's Name and
// the listing's Names) without its leading slashes: one from a real engine,
// several from a broken one, so that no name in logs, labels or the status
// page starts with one.
std::string container_name(std::string_view engine_name);

// RFC 3339 ("2026-11-25T08:12:35.740117003Z", or with a +hh:mm offset) to Unix
// seconds; 0 for Docker's zero time "0001-01-01T00:00:00Z" and for bad input.
int64_t parse_rfc3339_seconds(std::string_view text);

}  // namespace ecssd::source
