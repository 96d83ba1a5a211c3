#include "provider/route53/zone_lookup.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "model/names.h"
#include "provider/route53/route53_codec.h"

// g++ 12 reports asio's coroutine frame allocation as mismatched new/delete
// (GCC PR 109224, a false positive): silence it for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace ecssd::provider::route53 {
namespace {

using common::ErrorCode;
using common::make_error;

// More pages of zones with one name than any account has.
constexpr size_t kMaxPages = 10'000;

bool valid_zone_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isalnum(c); });
}

std::string ids(const std::vector<const HostedZone*>& zones) {
  std::string out;
  for (const auto* z : zones) out += (out.empty() ? "" : ", ") + z->id;
  return out;
}

common::Task<common::Result<FoundZone>> find_by_id(Client& client, ZoneQuery query, std::string id) {
  if (!valid_zone_id(id)) {
    co_return make_error(ErrorCode::kInvalidArgument,
                         fmt::format("--zone-id \"{}\" is not a hosted zone id (letters and digits, e.g. "
                                     "Z0123456789ABCDEFGHIJ)",
                                     query.zone_id));
  }
  Call call{"GetHostedZone", "GET", "/hostedzone/" + id, {}};
  auto resp = co_await client.read(std::move(call));
  if (!resp.ok()) {
    if (resp.error().code == ErrorCode::kNotFound) {
      co_return make_error(ErrorCode::kNotFound, fmt::format("no hosted zone has --zone-id {}", id));
    }
    co_return resp.error();
  }
  auto zone = parse_get_hosted_zone(resp->body);
  if (!zone.ok()) co_return zone.error();
  std::string name = decode_name(zone->name);
  if (!query.zone.empty() && model::normalize_name(query.zone) != name) {
    co_return make_error(ErrorCode::kInvalidArgument,
                         fmt::format("--zone-id {} is the zone {}, not --zone {}", id, name, query.zone));
  }
  if ((query.type == ZoneType::kPrivate && !zone->private_zone) ||
      (query.type == ZoneType::kPublic && zone->private_zone)) {
    co_return make_error(ErrorCode::kInvalidArgument,
                         fmt::format("--zone-id {} is a {} zone, not --zone-type {}", id,
                                     zone->private_zone ? "private" : "public", to_string(query.type)));
  }
  co_return FoundZone{std::move(id), std::move(name), zone->private_zone};
}

common::Task<common::Result<FoundZone>> find_by_name(Client& client, ZoneQuery query) {
  const std::string name = model::normalize_name(query.zone);
  if (auto valid = model::validate_zone(name); !valid.ok()) {
    co_return make_error(ErrorCode::kInvalidArgument,
                         fmt::format("--zone \"{}\": {}", query.zone, valid.error().message));
  }
  std::vector<HostedZone> found;
  std::string path = "/hostedzonesbyname?dnsname=" + query_encode(name) + "&maxitems=100";
  for (size_t pages = 0; pages < kMaxPages; ++pages) {
    Call call{"ListHostedZonesByName", "GET", path, {}};
    auto resp = co_await client.read(std::move(call));
    if (!resp.ok()) co_return resp.error();
    auto page = parse_hosted_zones_by_name(resp->body);
    if (!page.ok()) co_return page.error();
    for (auto& z : page->zones) {
      if (decode_name(z.name) == name) found.push_back(std::move(z));
    }
    // Zones come sorted by name from `dnsname` on: stop at the first other name.
    if (!page->truncated || decode_name(page->next_dns_name) != name) break;
    std::string next = "/hostedzonesbyname?dnsname=" + query_encode(name) + "&hostedzoneid=" +
                       query_encode(page->next_hosted_zone_id) + "&maxitems=100";
    if (next == path) co_return make_error(ErrorCode::kProtocol, "ListHostedZonesByName pagination does not advance");
    path = std::move(next);
  }
  co_return choose_zone(found, name, query.type);
}

}  // namespace

std::optional<ZoneType> parse_zone_type(std::string_view text) {
  if (text == "private") return ZoneType::kPrivate;
  if (text == "public") return ZoneType::kPublic;
  if (text == "any") return ZoneType::kAny;
  return std::nullopt;
}

std::string_view to_string(ZoneType t) {
  switch (t) {
    case ZoneType::kPrivate: return "private";
    case ZoneType::kPublic: return "public";
    case ZoneType::kAny: return "any";
  }
  return "?";
}

std::string bare_zone_id(std::string_view zone_id) {
  constexpr std::string_view kPrefix = "/hostedzone/";
  if (zone_id.starts_with(kPrefix)) zone_id.remove_prefix(kPrefix.size());
  return std::string(zone_id);
}

common::Result<FoundZone> choose_zone(const std::vector<HostedZone>& named, const std::string& name, ZoneType type) {
  std::vector<const HostedZone*> priv, pub;
  for (const auto& z : named) (z.private_zone ? priv : pub).push_back(&z);
  const bool want_private = type == ZoneType::kPrivate || (type == ZoneType::kAny && !priv.empty());
  const auto& wanted = want_private ? priv : pub;
  const auto& others = want_private ? pub : priv;
  const std::string_view kind = want_private ? "private" : "public";
  const std::string_view other_kind = want_private ? "public" : "private";
  if (wanted.empty()) {
    if (type == ZoneType::kAny) {
      return make_error(ErrorCode::kNotFound,
                        fmt::format("no hosted zone named {} is visible to these credentials (create it, or "
                                    "fix --zone)", name));
    }
    return make_error(
        ErrorCode::kNotFound,
        others.empty()
            ? fmt::format("no {} hosted zone named {} is visible to these credentials (create it, or fix --zone "
                          "or --zone-type)", kind, name)
            : fmt::format("no {} hosted zone named {}; found {} zone {} (pass --zone-type {} or --zone-id)", kind,
                          name, other_kind, ids(others), other_kind));
  }
  if (wanted.size() > 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{} {} hosted zones are named {} ({}): pass --zone-id", wanted.size(), kind, name,
                                  ids(wanted)));
  }
  return FoundZone{wanted.front()->id, name, want_private};
}

common::Task<common::Result<FoundZone>> find_zone(Client& client, ZoneQuery query) {
  std::string id = bare_zone_id(query.zone_id);
  if (!id.empty()) co_return co_await find_by_id(client, std::move(query), std::move(id));
  if (query.zone.empty()) {
    co_return make_error(ErrorCode::kInvalidArgument, "Route 53: pass --zone (the hosted zone's name) or --zone-id");
  }
  co_return co_await find_by_name(client, std::move(query));
}

}  // namespace ecssd::provider::route53
