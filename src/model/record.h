#pragma once
// The one value type that flows from the source to the providers (after
// external-dns endpoint.Endpoint): a DNS record set, possibly one member of a
// weighted group (set_identifier), plus the ownership labels the registry stores
// beside it in DNS.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace ecssd::model {

enum class RecordType : uint16_t {
  kA = 1,
  kNS = 2,
  kCNAME = 5,
  kSOA = 6,
  kTXT = 16,
  kAAAA = 28,
  kSRV = 33,
};

std::string_view to_string(RecordType type);
// Accepts upper or lower case ("cname", "SRV"). Returns nullopt for other names.
std::optional<RecordType> parse_record_type(std::string_view text);

// Ownership and health-check data, stored in DNS by the registry.
using Labels = std::map<std::string, std::string, std::less<>>;

// Label keys. The registry writes them; the reaper reads them.
namespace label {
inline constexpr std::string_view kOwner = "owner";              // owning host (agent --owner-id)
inline constexpr std::string_view kContainer = "container";      // container id (full)
inline constexpr std::string_view kContainerName = "container-name";
inline constexpr std::string_view kService = "service";          // declared service name
inline constexpr std::string_view kPort = "port";                // container port/proto, e.g. 80/tcp
inline constexpr std::string_view kAddress = "addr";             // ip:port the reaper checks
inline constexpr std::string_view kCheck = "check";              // tcp | http | none
inline constexpr std::string_view kCheckHttp = "check-http";     // HTTP path
inline constexpr std::string_view kCheckHttpStatus = "check-http-status";
inline constexpr std::string_view kCheckTimeout = "check-timeout";
inline constexpr std::string_view kStarted = "started";          // container start, unix seconds
inline constexpr std::string_view kTaskArn = "task-arn";
inline constexpr std::string_view kCluster = "cluster";
inline constexpr std::string_view kInstance = "instance";        // EC2 instance id
inline constexpr std::string_view kKind = "kind";                // "service" or "host"
// The agent's verdict on a check it gates publication on, written when it
// changes (never per probe): "passing" while published, and since when (unix
// seconds). Absent for services the agent does not check.
inline constexpr std::string_view kHealth = "health";
inline constexpr std::string_view kHealthSince = "health-since";
}  // namespace label

// The identity of a record: one per (name, type, set identifier). Every
// component that indexes records keys on this.
struct RecordKey {
  std::string name;
  RecordType type = RecordType::kA;
  std::string set_identifier;
  auto operator<=>(const RecordKey&) const = default;
  bool operator==(const RecordKey&) const = default;
};

struct Record {
  // Lower-case fully qualified name without the trailing dot.
  std::string name;
  RecordType type = RecordType::kA;
  uint32_t ttl = 0;
  // RDATA in presentation form, names without trailing dots
  // (A "10.0.0.1", CNAME "host.zone", SRV "1 1 18081 host.zone", TXT "\"k=v\"").
  std::vector<std::string> values;
  // Member of a weighted group when non-empty; unique per (name, type).
  std::string set_identifier;
  std::optional<uint32_t> weight;
  // Ownership data; empty for records ecssd does not own.
  Labels labels;
  // Raw records only (what the registry hands a provider): records with the
  // same non-empty group belong together (a record and its ownership
  // companion) and a provider keeps them in one transaction where it can.
  // Providers group by this and never parse ownership names. Not stored.
  std::string group;

  // The identity the plan keys on: one record per (name, type, set identifier).
  std::tuple<std::string_view, RecordType, std::string_view> key() const {
    return {name, type, set_identifier};
  }
  std::string_view owner() const;
  std::string label_or(std::string_view key, std::string_view fallback = "") const;

  bool operator==(const Record&) const = default;
};

RecordKey key_of(const Record& r);

// True when the two versions differ in anything a backend stores (values,
// ttl, weight) or in their ownership labels. Values are compared as sets.
bool differs(const Record& a, const Record& b);

// "web.zone CNAME host.zone [set=...]" for logs and errors.
std::string describe(const Record& r);

// A change to apply: records to create, replace, and delete. An update carries
// both versions because Route 53 and RFC 2136 delete exactly the old values.
struct Update {
  Record old_record;
  Record new_record;
  bool operator==(const Update&) const = default;
};

struct ChangeSet {
  std::vector<Record> create;
  std::vector<Update> update;
  std::vector<Record> remove;

  bool empty() const { return create.empty() && update.empty() && remove.empty(); }
  size_t size() const { return create.size() + update.size() + remove.size(); }
  bool operator==(const ChangeSet&) const = default;
};

}  // namespace ecssd::model
