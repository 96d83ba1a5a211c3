#include "provider/route53/route53_xml.h"

#include <charconv>
#include <sstream>

#include <fmt/format.h>
#include <pugixml.hpp>

namespace ecssd::provider::route53 {
namespace {

using common::ErrorCode;
using common::make_error;

common::Error protocol(std::string what) {
  return make_error(ErrorCode::kProtocol, "unexpected Route 53 response: " + std::move(what));
}

common::Result<pugi::xml_node> load(pugi::xml_document& doc, std::string_view body, const char* root_name) {
  pugi::xml_parse_result parsed = doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    return protocol(fmt::format("malformed XML ({} at offset {})", parsed.description(), parsed.offset));
  }
  pugi::xml_node root = doc.child(root_name);
  if (!root) {
    return protocol(fmt::format("expected <{}>, got <{}>", root_name, doc.document_element().name()));
  }
  return root;
}

common::Result<std::optional<uint32_t>> number(pugi::xml_node parent, const char* name) {
  pugi::xml_node n = parent.child(name);
  if (!n) return std::optional<uint32_t>();
  std::string_view text = n.child_value();
  uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return protocol(fmt::format("<{}> is \"{}\", not a number", name, text));
  }
  return std::optional<uint32_t>(v);
}

bool truthy(pugi::xml_node parent, const char* name) { return std::string_view(parent.child_value(name)) == "true"; }

// Routing features ecssd does not model: record sets using them are listed
// (so plans see them as foreign) but never changed.
std::string unmanaged_reason(pugi::xml_node rrset) {
  static constexpr std::pair<const char*, const char*> kFeatures[] = {
      {"AliasTarget", "alias record"},
      {"Failover", "failover record"},
      {"Region", "latency record"},
      {"GeoLocation", "geolocation record"},
      {"GeoProximityLocation", "geoproximity record"},
      {"MultiValueAnswer", "multivalue answer record"},
      {"CidrRoutingConfig", "IP-based routing record"},
      {"TrafficPolicyInstanceId", "traffic policy record"},
  };
  std::string out;
  for (const auto& [element, reason] : kFeatures) {
    if (!rrset.child(element)) continue;
    if (!out.empty()) out += ", ";
    out += reason;
  }
  return out;
}

common::Result<RecordSet> parse_record_set(pugi::xml_node n) {
  RecordSet rs;
  rs.name = n.child_value("Name");
  rs.type = n.child_value("Type");
  if (rs.name.empty() || rs.type.empty()) return protocol("a ResourceRecordSet without Name or Type");
  rs.set_identifier = n.child_value("SetIdentifier");
  auto weight = number(n, "Weight");
  if (!weight.ok()) return weight.error();
  rs.weight = *weight;
  auto ttl = number(n, "TTL");
  if (!ttl.ok()) return ttl.error();
  rs.ttl = *ttl;
  for (pugi::xml_node rr : n.child("ResourceRecords").children("ResourceRecord")) {
    rs.values.emplace_back(rr.child_value("Value"));
  }
  rs.health_check_id = n.child_value("HealthCheckId");
  rs.alias_dns_name = n.child("AliasTarget").child_value("DNSName");
  rs.unmanaged = unmanaged_reason(n);
  return rs;
}

HostedZone parse_zone(pugi::xml_node z) {
  HostedZone out;
  std::string_view id = z.child_value("Id");
  constexpr std::string_view kPrefix = "/hostedzone/";
  if (id.starts_with(kPrefix)) id.remove_prefix(kPrefix.size());
  out.id = std::string(id);
  out.name = z.child_value("Name");
  out.private_zone = truthy(z.child("Config"), "PrivateZone");
  return out;
}

void add_text(pugi::xml_node parent, const char* name, const std::string& text) {
  parent.append_child(name).text().set(text.c_str());
}

}  // namespace

std::string_view to_string(Action a) {
  switch (a) {
    case Action::kCreate: return "CREATE";
    case Action::kDelete: return "DELETE";
    case Action::kUpsert: return "UPSERT";
  }
  return "?";
}

std::string build_change_batch(const std::vector<Change>& changes, std::string_view comment) {
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = doc.append_child("ChangeResourceRecordSetsRequest");
  root.append_attribute("xmlns") = std::string(kXmlNamespace).c_str();
  pugi::xml_node batch = root.append_child("ChangeBatch");
  if (!comment.empty()) add_text(batch, "Comment", std::string(comment));
  pugi::xml_node list = batch.append_child("Changes");
  for (const Change& c : changes) {
    pugi::xml_node change = list.append_child("Change");
    add_text(change, "Action", std::string(to_string(c.action)));
    const RecordSet& rs = c.record_set;
    pugi::xml_node n = change.append_child("ResourceRecordSet");
    // The API validates against its schema: element order matters.
    add_text(n, "Name", rs.name);
    add_text(n, "Type", rs.type);
    if (!rs.set_identifier.empty()) add_text(n, "SetIdentifier", rs.set_identifier);
    if (rs.weight) add_text(n, "Weight", std::to_string(*rs.weight));
    if (rs.ttl) add_text(n, "TTL", std::to_string(*rs.ttl));
    if (!rs.values.empty()) {
      pugi::xml_node rrs = n.append_child("ResourceRecords");
      for (const auto& v : rs.values) add_text(rrs.append_child("ResourceRecord"), "Value", v);
    }
    if (!rs.health_check_id.empty()) add_text(n, "HealthCheckId", rs.health_check_id);
  }
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_indent, pugi::encoding_utf8);
  return out.str();
}

common::Result<HostedZonesPage> parse_hosted_zones_by_name(std::string_view body) {
  pugi::xml_document doc;
  auto root = load(doc, body, "ListHostedZonesByNameResponse");
  if (!root.ok()) return root.error();
  HostedZonesPage page;
  for (pugi::xml_node z : root->child("HostedZones").children("HostedZone")) {
    HostedZone zone = parse_zone(z);
    if (zone.id.empty() || zone.name.empty()) return protocol("a HostedZone without Id or Name");
    page.zones.push_back(std::move(zone));
  }
  page.truncated = truthy(*root, "IsTruncated");
  page.next_dns_name = root->child_value("NextDNSName");
  page.next_hosted_zone_id = root->child_value("NextHostedZoneId");
  return page;
}

common::Result<HostedZone> parse_get_hosted_zone(std::string_view body) {
  pugi::xml_document doc;
  auto root = load(doc, body, "GetHostedZoneResponse");
  if (!root.ok()) return root.error();
  pugi::xml_node z = root->child("HostedZone");
  HostedZone zone = parse_zone(z);
  if (zone.id.empty() || zone.name.empty()) return protocol("GetHostedZone without HostedZone Id or Name");
  return zone;
}

common::Result<RecordSetsPage> parse_record_sets(std::string_view body) {
  pugi::xml_document doc;
  auto root = load(doc, body, "ListResourceRecordSetsResponse");
  if (!root.ok()) return root.error();
  RecordSetsPage page;
  for (pugi::xml_node n : root->child("ResourceRecordSets").children("ResourceRecordSet")) {
    auto rs = parse_record_set(n);
    if (!rs.ok()) return rs.error();
    page.record_sets.push_back(std::move(*rs));
  }
  page.truncated = truthy(*root, "IsTruncated");
  page.next_name = root->child_value("NextRecordName");
  page.next_type = root->child_value("NextRecordType");
  page.next_identifier = root->child_value("NextRecordIdentifier");
  if (page.truncated && page.next_name.empty()) return protocol("IsTruncated without NextRecordName");
  return page;
}

common::Result<ChangeInfo> parse_change_info(std::string_view body) {
  pugi::xml_document doc;
  auto root = load(doc, body, "ChangeResourceRecordSetsResponse");
  if (!root.ok()) return root.error();
  pugi::xml_node info = root->child("ChangeInfo");
  ChangeInfo out{info.child_value("Id"), info.child_value("Status")};
  if (out.id.empty()) return protocol("ChangeResourceRecordSetsResponse without ChangeInfo Id");
  return out;
}

ApiError parse_error(std::string_view body) {
  ApiError out;
  pugi::xml_document doc;
  bool parsed = doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  pugi::xml_node root = doc.document_element();
  if (parsed && std::string_view(root.name()) == "ErrorResponse") {
    pugi::xml_node e = root.child("Error");
    out.code = e.child_value("Code");
    out.message = e.child_value("Message");
    for (pugi::xml_node m : e.child("Messages").children("Message")) out.messages.emplace_back(m.child_value());
    out.request_id = root.child_value("RequestId");
  } else if (parsed && std::string_view(root.name()) == "InvalidChangeBatch") {
    out.code = "InvalidChangeBatch";
    for (pugi::xml_node m : root.child("Messages").children("Message")) out.messages.emplace_back(m.child_value());
    if (out.messages.empty() && root.child("Message")) out.messages.emplace_back(root.child_value("Message"));
    out.request_id = root.child_value("RequestId");
  } else {
    // Not an error document (a proxy's HTML page, say): keep a printable excerpt.
    for (char c : body.substr(0, 200)) out.message += (c >= 0x20 && c < 0x7f) ? c : ' ';
    return out;
  }
  if (out.message.empty()) {
    for (const auto& m : out.messages) {
      if (!out.message.empty()) out.message += "; ";
      out.message += m;
    }
  }
  if (out.messages.empty() && !out.message.empty()) out.messages.push_back(out.message);
  return out;
}

}  // namespace ecssd::provider::route53
