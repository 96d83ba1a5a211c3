#pragma once
// A service a container declares (SERVICE_<port>_NAME=...), free of any Docker
// type: the source turns containers into Services, the record builder turns
// Services into Records.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "model/record.h"

namespace ecssd::model {

struct HealthCheck {
  enum class Kind { kTcp, kHttp, kNone };
  Kind kind = Kind::kTcp;
  std::string http_path;        // SERVICE_<port>_CHECK_HTTP
  std::string http_status;      // SERVICE_<port>_CHECK_HTTP_STATUS, e.g. "200" or "200-299"
  std::string timeout;          // SERVICE_<port>_CHECK_TIMEOUT, as written ("2s")
  bool operator==(const HealthCheck&) const = default;
};

struct Service {
  // The container it comes from.
  std::string container_id;
  std::string container_name;
  // Unix seconds when the container started (for the reaper's grace period).
  int64_t started_unix = 0;

  // As declared: "web", "_stats._udp", "_calc._tcp".
  std::string name;
  uint16_t container_port = 0;
  std::string protocol = "tcp";  // "tcp" or "udp"

  // Where clients reach it. host_port is 0 when the port is not published.
  uint16_t host_port = 0;
  std::string host_ip;        // address the port is bound to, when specific (not 0.0.0.0)
  std::string container_ip;   // on the chosen network
  std::string container_ip6;  // on the chosen network, when it has one

  HealthCheck check;
  // ECS metadata from the container's labels, when present.
  std::string task_arn;
  std::string cluster;
  std::vector<std::string> tags;  // SERVICE_TAGS / SERVICE_<port>_TAGS

  bool operator==(const Service&) const = default;
};

}  // namespace ecssd::model
