#pragma once
// Finding the hosted zone the provider writes to: by id (--zone-id, with
// GetHostedZone, checked against --zone and --zone-type) or by name (--zone,
// with ListHostedZonesByName, keeping the zone of the asked type; kAny prefers
// the private zone when a public one has the same name).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/task.h"
#include "provider/route53/client.h"
#include "provider/route53/route53_xml.h"

namespace ecssd::provider::route53 {

enum class ZoneType { kPrivate, kPublic, kAny };
std::optional<ZoneType> parse_zone_type(std::string_view text);  // "private" | "public" | "any"
std::string_view to_string(ZoneType t);

struct ZoneQuery {
  std::string zone;     // --zone as given; may be empty with an id
  std::string zone_id;  // --zone-id as given: "Z123" or "/hostedzone/Z123"; may be empty
  ZoneType type = ZoneType::kAny;
};

struct FoundZone {
  std::string id;    // without "/hostedzone/"
  std::string name;  // normalized
  bool private_zone = false;
};

// "Z123" for "/hostedzone/Z123" or "Z123".
std::string bare_zone_id(std::string_view zone_id);

// Among the zones ListHostedZonesByName returned with the name `name`
// (normalized), the one `type` asks for. Errors: kNotFound when none matches
// (the message names the zones of the other type, if any); kInvalidArgument
// when several do (the message lists their ids: pass --zone-id).
common::Result<FoundZone> choose_zone(const std::vector<HostedZone>& named, const std::string& name, ZoneType type);

// Looks the zone up through `client` (whose target should name the zone as
// asked; it must outlive the lookup). Errors: kInvalidArgument for a missing, bad or inconsistent zone or
// zone id and for several matching zones; kNotFound when no zone matches;
// kPermissionDenied naming the missing permission; kProtocol for pagination
// that does not advance; transient errors after the retries are spent.
common::Task<common::Result<FoundZone>> find_zone(Client& client, ZoneQuery query);

}  // namespace ecssd::provider::route53
