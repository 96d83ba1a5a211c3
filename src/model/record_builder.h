#pragma once
// Turns the services of this host into the records it should publish, with
// their ownership labels. When the host name lies inside the zone (cname and
// srv modes), the host's own A/AAAA record is published too, so the targets
// resolve from the same zone. Pure: no I/O, no logging (rejections are returned so
// the caller can log each once).
#include <string>
#include <vector>

#include "common/result.h"
#include "model/record.h"
#include "model/service.h"

namespace ecssd::model {

enum class RecordMode { kCname, kSrv, kA };
enum class TargetMode { kHost, kContainer };

std::string_view to_string(RecordMode m);
std::optional<RecordMode> parse_record_mode(std::string_view text);

// Who this host is. owner_id marks ownership; it must not contain ':'.
struct HostIdentity {
  std::string owner_id;
  std::string host_name;  // FQDN, normalized
  std::string host_ip;    // IPv4, may be empty when only IPv6 is known
  std::string host_ip6;   // optional
  std::string instance_id;  // EC2 instance id, when known
};

struct RecordConfig {
  std::string zone;  // normalized
  RecordMode mode = RecordMode::kCname;
  TargetMode target = TargetMode::kHost;
  uint32_t ttl = 10;
  HostIdentity host;
};

// A service the builder could not publish, and why (for one log line).
struct Rejection {
  std::string container_id;
  std::string container_name;
  std::string field;   // e.g. "SERVICE_80_NAME"
  std::string reason;
  bool operator==(const Rejection&) const = default;
};

struct BuildResult {
  std::vector<Record> records;  // sorted by key, no duplicates
  std::vector<Rejection> rejected;
};

// The set identifier of a container's record: "ecssd:<owner>:<container12>:<port>-<proto>".
std::string service_set_identifier(std::string_view owner, const Service& s);
// The set identifier of a host's own record: "ecssd:<owner>:host".
std::string host_set_identifier(std::string_view owner);
inline constexpr std::string_view kSetIdentifierPrefix = "ecssd:";
inline constexpr size_t kMaxSetIdentifierLength = 128;  // Route 53's limit

// Octets the registry needs beyond a record's name for its companion name.
inline constexpr size_t kCompanionReserve = 13;  // "cname._ecssd."

BuildResult build_records(const std::vector<Service>& services, const RecordConfig& config);

// Checks a config before use (zone, host name inside limits, owner id).
common::Status validate(const RecordConfig& config);

}  // namespace ecssd::model
