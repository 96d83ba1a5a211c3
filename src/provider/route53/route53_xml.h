#pragma once
// The Route 53 REST/XML wire format (API version 2013-04-01): the request body
// of ChangeResourceRecordSets and the responses ecssd reads. Pure functions over
// strings on top of pugixml; nothing here knows model::Record (route53_codec.h
// maps between the two).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ecssd::provider::route53 {

inline constexpr std::string_view kApiVersion = "2013-04-01";
inline constexpr std::string_view kXmlNamespace = "https://route53.amazonaws.com/doc/2013-04-01/";

// One ResourceRecordSet, strings exactly as on the wire (names may carry
// Route 53's octal escapes and a trailing dot).
struct RecordSet {
  std::string name;
  std::string type;  // "A", "CNAME", "MX", ...
  std::string set_identifier;
  std::optional<uint32_t> weight;
  std::optional<uint32_t> ttl;  // absent for alias record sets
  std::vector<std::string> values;
  std::string health_check_id;
  // Listing only (build_change_batch never writes them): the alias target's
  // DNS name, and why ecssd must never change this record set ("alias
  // record", "failover record", ...; empty when it may).
  std::string alias_dns_name;
  std::string unmanaged;

  bool operator==(const RecordSet&) const = default;
};

enum class Action { kCreate, kDelete, kUpsert };
std::string_view to_string(Action a);

struct Change {
  Action action = Action::kCreate;
  RecordSet record_set;
  bool operator==(const Change&) const = default;
};

// A ChangeResourceRecordSetsRequest document, changes in the given order,
// elements in the order of the API schema, text escaped by pugixml. An empty
// comment is left out.
std::string build_change_batch(const std::vector<Change>& changes, std::string_view comment);

struct HostedZone {
  std::string id;    // without the "/hostedzone/" prefix
  std::string name;  // as on the wire, e.g. "example.com."
  bool private_zone = false;
};

struct HostedZonesPage {
  std::vector<HostedZone> zones;
  bool truncated = false;
  std::string next_dns_name;
  std::string next_hosted_zone_id;
};

// Parsers. Errors: kProtocol when the body is not well-formed XML or lacks the
// document's root element or a required field (the message says which).
common::Result<HostedZonesPage> parse_hosted_zones_by_name(std::string_view body);
common::Result<HostedZone> parse_get_hosted_zone(std::string_view body);

struct RecordSetsPage {
  std::vector<RecordSet> record_sets;
  bool truncated = false;
  std::string next_name;
  std::string next_type;
  std::string next_identifier;
};
common::Result<RecordSetsPage> parse_record_sets(std::string_view body);

struct ChangeInfo {
  std::string id;  // "/change/C..."
  std::string status;  // "PENDING" or "INSYNC"
};
common::Result<ChangeInfo> parse_change_info(std::string_view body);

// An error document: <ErrorResponse><Error><Code/><Message/></Error>...
// or Route 53's <InvalidChangeBatch><Messages><Message/>...</Messages>.
struct ApiError {
  std::string code;      // "Throttling", "InvalidChangeBatch", ...
  std::string message;   // the single message, or the messages joined with "; "
  std::vector<std::string> messages;  // one per refused change when Route 53 lists them
  std::string request_id;
};
// Never fails: a body that is no error document gives an empty code and, as
// message, the start of the body (at most 200 characters).
ApiError parse_error(std::string_view body);

}  // namespace ecssd::provider::route53
