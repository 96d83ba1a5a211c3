#pragma once
// Turns the services of this host into the records it should publish, with
// their ownership labels. When the host name lies inside the zone (cname and
// srv modes), the host's own A/AAAA record is published too, so the targets
// resolve from the same zone. Pure: no I/O, no logging (rejections are returned so
// the caller can log each once).
#include <string>
#include <vector>

#include "common/result.h"
#include "model/name_policy.h"
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
  // The first --zone, normalized: relative service names are placed below it.
  std::string zone;
  // Every served zone (several --zone), normalized, `zone` first; empty: only
  // `zone`. A name goes to the zone with the longest matching suffix.
  std::vector<std::string> zones;
  RecordMode mode = RecordMode::kCname;
  TargetMode target = TargetMode::kHost;
  uint32_t ttl = 10;
  HostIdentity host;
  // Which names services may take (--allow-name, --deny-name); all by default.
  NamePolicy names;
};

// A service the builder could not publish, and why (for one log line).
struct Rejection {
  std::string container_id;
  std::string container_name;
  std::string field;   // e.g. "SERVICE_80_NAME"
  std::string reason;
  bool operator==(const Rejection&) const = default;
};

// A service the name policy refused: its records are not built; the
// container's other services are.
struct Refusal {
  std::string container_id;
  std::string container_name;
  std::string field;  // e.g. "SERVICE_80_NAME"
  std::string name;   // the record name it would have taken
  std::string rule;   // NamePolicy::refuses()
  bool operator==(const Refusal&) const = default;
};

struct BuildResult {
  std::vector<Record> records;  // sorted by key, no duplicates
  std::vector<Rejection> rejected;
  std::vector<Refusal> refused;
};

// The set identifier of a container's record: "ecssd:<owner>:<container12>:<port>-<proto>".
std::string service_set_identifier(std::string_view owner, const Service& s);
// The set identifier of a host's own record: "ecssd:<owner>:host".
std::string host_set_identifier(std::string_view owner);
inline constexpr std::string_view kSetIdentifierPrefix = "ecssd:";
inline constexpr size_t kMaxSetIdentifierLength = 128;  // Route 53's limit

// Octets the registry needs beyond a record's name for its companion name.
inline constexpr size_t kCompanionReserve = 13;  // "cname._ecssd."

// The served zones: config.zones, or {config.zone} when it is empty.
std::vector<std::string> served_zones(const RecordConfig& config);

// Where a declared service name goes: a relative name ("web", "a.b") below
// the first zone; a name with a trailing dot ("web.b.example.") below the
// served zone with the longest matching suffix. Returns the name relative to
// that zone and the zone. Errors: kInvalidArgument for a name with a trailing
// dot under no served zone, or naming a zone's apex.
struct Placement {
  std::string relative;
  std::string zone;
};
common::Result<Placement> place_name(std::string_view name, const RecordConfig& config);

BuildResult build_records(const std::vector<Service>& services, const RecordConfig& config);

// Where the records of `s` point, as "ip:port" or "[v6]:port" (the "addr"
// label build_records writes): the host's address and the published port, or
// the container's with TargetMode::kContainer. Empty when there is none.
std::string service_address(const Service& s, const RecordConfig& config);

// Checks a config before use (zone, host name inside limits, owner id).
common::Status validate(const RecordConfig& config);

}  // namespace ecssd::model
