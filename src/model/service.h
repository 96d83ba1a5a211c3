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
  // The agent gates publication on the check: SERVICE_<port>_CHECK_HTTP or
  // SERVICE_<port>_CHECK_TCP=true (or the container-wide SERVICE_CHECK_*).
  bool declared = false;
  // SERVICE_<port>_CHECK_TCP=false: not checked even under --check-all.
  bool opted_out = false;
  std::string interval;  // SERVICE_<port>_CHECK_INTERVAL, as written ("10s"); empty: the agent's default
  int rise = 0;          // SERVICE_<port>_CHECK_RISE; 0: the agent's default
  int fall = 0;          // SERVICE_<port>_CHECK_FALL; 0: the agent's default
  bool operator==(const HealthCheck&) const = default;
};

// The agent's verdict on a service it checks, set by its health gate (never
// by the source) and written into the ownership labels (health,
// health-since). Empty for services the agent does not check.
struct HealthVerdict {
  std::string state;       // "passing"
  int64_t since_unix = 0;  // when it last became so
  bool operator==(const HealthVerdict&) const = default;
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

  // SRV priority and weight (SERVICE_[<port>_]PRIORITY, _WEIGHT; RFC 2782):
  // the record builder writes them into every SRV value.
  uint16_t priority = 1;
  uint16_t weight = 1;

  HealthCheck check;
  HealthVerdict verdict;
  // ECS metadata from the container's labels, when present.
  std::string task_arn;
  std::string cluster;
  std::vector<std::string> tags;  // SERVICE_TAGS / SERVICE_<port>_TAGS

  bool operator==(const Service&) const = default;
};

}  // namespace ecssd::model
