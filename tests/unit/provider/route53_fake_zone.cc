#include "unit/provider/route53_fake_zone.h"

#include <algorithm>
#include <sstream>

#include <boost/url/parse.hpp>
#include <fmt/format.h>
#include <pugixml.hpp>

namespace ecssd::fakes {
namespace {

constexpr const char* kNs = "https://route53.amazonaws.com/doc/2013-04-01/";

// Request names may be relative to nothing ("a.b" = "a.b."), any case, and
// carry octal escapes.
std::string canonical_name(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 3 < in.size()) {
      out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 3)), nullptr, 8));
      i += 3;
    } else {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(in[i])));
    }
  }
  if (out.empty() || out.back() != '.') out += '.';
  return out;
}

std::string escaped_name(std::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') out += static_cast<char>(c);
    else out += fmt::format("\\{:03o}", c);
  }
  return out;
}

std::vector<std::string> reversed_labels(std::string_view name) {
  std::vector<std::string> labels;
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    labels.emplace_back(name.substr(start, dot - start));
    start = dot + 1;
  }
  std::reverse(labels.begin(), labels.end());
  return labels;
}

auto order_key(const FakeRrset& r) { return std::make_tuple(reversed_labels(r.name), r.type, r.set_identifier); }

aws::HttpResponse respond(unsigned status, const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  aws::HttpResponse r;
  r.status = status;
  r.body = out.str();
  return r;
}

aws::HttpResponse error(unsigned status, std::string code, std::string message) {
  pugi::xml_document doc;
  auto root = doc.append_child("ErrorResponse");
  root.append_attribute("xmlns") = kNs;
  auto e = root.append_child("Error");
  e.append_child("Type").text().set("Sender");
  e.append_child("Code").text().set(code.c_str());
  e.append_child("Message").text().set(message.c_str());
  root.append_child("RequestId").text().set("fake-request");
  return respond(status, doc);
}

std::string describe(const FakeRrset& r) {
  std::string out = fmt::format("[name='{}', type='{}'", escaped_name(r.name), r.type);
  if (!r.set_identifier.empty()) out += fmt::format(", set-identifier='{}'", r.set_identifier);
  return out + "]";
}

std::optional<uint32_t> number(pugi::xml_node n, const char* name) {
  if (!n.child(name)) return std::nullopt;
  return static_cast<uint32_t>(std::stoul(n.child_value(name)));
}

}  // namespace

FakeRoute53::FakeRoute53(std::string zone_id, std::string zone_name, bool private_zone)
    : zone_id_(std::move(zone_id)), zone_name_(canonical_name(zone_name)), private_zone_(private_zone) {}

void FakeRoute53::sort() {
  std::sort(rrsets_.begin(), rrsets_.end(), [](const FakeRrset& a, const FakeRrset& b) {
    return order_key(a) < order_key(b);
  });
}

void FakeRoute53::add(FakeRrset r) {
  r.name = canonical_name(r.name);
  rrsets_.push_back(std::move(r));
  sort();
}

const FakeRrset* FakeRoute53::find(std::string_view name, std::string_view type, std::string_view set_id) const {
  std::string n = canonical_name(name);
  for (const auto& r : rrsets_) {
    if (r.name == n && r.type == type && r.set_identifier == set_id) return &r;
  }
  return nullptr;
}

void FakeRoute53::refuse_name(std::string name, bool named) {
  (named ? refused_named_ : refused_generic_).insert(canonical_name(name));
}

common::Result<aws::HttpResponse> FakeRoute53::handle(const aws::HttpRequest& req) {
  auto url = boost::urls::parse_uri(req.url);
  if (!url) return common::make_error(common::ErrorCode::kInvalidArgument, "FakeRoute53: bad URL " + req.url);
  std::string path = url->path();
  if (throttle_ > 0) {
    --throttle_;
    return error(400, "Throttling", "Rate exceeded");
  }
  const std::string zone_path = "/2013-04-01/hostedzone/" + zone_id_;
  if (path == zone_path && req.method == "GET") {
    pugi::xml_document doc;
    auto root = doc.append_child("GetHostedZoneResponse");
    root.append_attribute("xmlns") = kNs;
    auto z = root.append_child("HostedZone");
    z.append_child("Id").text().set(("/hostedzone/" + zone_id_).c_str());
    z.append_child("Name").text().set(zone_name_.c_str());
    z.append_child("Config").append_child("PrivateZone").text().set(private_zone_ ? "true" : "false");
    return respond(200, doc);
  }
  if (path == zone_path + "/rrset" && req.method == "GET") return list(req);
  if (path == zone_path + "/rrset" && req.method == "POST") return change(req);
  return error(404, "NoSuchHostedZone", "No hosted zone found with ID: " + path);
}

common::Result<aws::HttpResponse> FakeRoute53::list(const aws::HttpRequest& req) {
  ++list_requests_;
  auto url = boost::urls::parse_uri(req.url);
  size_t max_items = 300;
  std::string name, type, identifier;
  for (auto p : url->params()) {
    if (p.key == "maxitems") max_items = std::stoul(std::string(p.value));
    else if (p.key == "name") name = canonical_name(p.value);
    else if (p.key == "type") type = p.value;
    else if (p.key == "identifier") identifier = p.value;
    else return error(400, "InvalidInput", "unknown parameter " + std::string(p.key));
  }
  if (max_items == 0 || max_items > 300) return error(400, "InvalidInput", "maxitems must be 1-300");
  if (!type.empty() && name.empty()) return error(400, "InvalidInput", "type without name");
  size_t start = 0;
  if (!name.empty()) {
    auto from = std::make_tuple(reversed_labels(name), type, identifier);
    while (start < rrsets_.size() && order_key(rrsets_[start]) < from) ++start;
  }
  pugi::xml_document doc;
  auto root = doc.append_child("ListResourceRecordSetsResponse");
  root.append_attribute("xmlns") = kNs;
  auto sets = root.append_child("ResourceRecordSets");
  size_t end = std::min(rrsets_.size(), start + max_items);
  for (size_t i = start; i < end; ++i) {
    const FakeRrset& r = rrsets_[i];
    auto n = sets.append_child("ResourceRecordSet");
    n.append_child("Name").text().set(escaped_name(r.name).c_str());
    n.append_child("Type").text().set(r.type.c_str());
    if (!r.set_identifier.empty()) n.append_child("SetIdentifier").text().set(r.set_identifier.c_str());
    if (r.weight) n.append_child("Weight").text().set(*r.weight);
    if (r.ttl) n.append_child("TTL").text().set(*r.ttl);
    if (!r.values.empty()) {
      auto rrs = n.append_child("ResourceRecords");
      for (const auto& v : r.values) rrs.append_child("ResourceRecord").append_child("Value").text().set(v.c_str());
    }
    if (!r.extra_xml.empty()) {
      pugi::xml_document extra;
      extra.load_string(("<x>" + r.extra_xml + "</x>").c_str());
      for (auto c : extra.child("x").children()) n.append_copy(c);
    }
    if (!r.health_check_id.empty()) n.append_child("HealthCheckId").text().set(r.health_check_id.c_str());
  }
  root.append_child("IsTruncated").text().set(end < rrsets_.size() ? "true" : "false");
  if (end < rrsets_.size()) {
    const FakeRrset& next = rrsets_[end];
    root.append_child("NextRecordName").text().set(escaped_name(next.name).c_str());
    root.append_child("NextRecordType").text().set(next.type.c_str());
    if (!next.set_identifier.empty()) {
      root.append_child("NextRecordIdentifier").text().set(next.set_identifier.c_str());
    }
  }
  root.append_child("MaxItems").text().set(std::to_string(max_items).c_str());
  return respond(200, doc);
}

common::Result<aws::HttpResponse> FakeRoute53::change(const aws::HttpRequest& req) {
  ++change_requests_;
  pugi::xml_document doc;
  if (!doc.load_string(req.body.c_str())) return error(400, "InvalidInput", "Invalid XML");
  auto root = doc.child("ChangeResourceRecordSetsRequest");
  if (!root || std::string_view(root.attribute("xmlns").value()) != kNs) {
    return error(400, "MalformedInput", "ChangeBatch is not valid, expected ChangeResourceRecordSetsRequest");
  }
  std::vector<FakeChange> changes;
  size_t records = 0, chars = 0;
  for (auto c : root.child("ChangeBatch").child("Changes").children("Change")) {
    FakeChange fc;
    fc.action = c.child_value("Action");
    auto n = c.child("ResourceRecordSet");
    fc.rrset.name = canonical_name(n.child_value("Name"));
    fc.rrset.type = n.child_value("Type");
    fc.rrset.set_identifier = n.child_value("SetIdentifier");
    fc.rrset.weight = number(n, "Weight");
    fc.rrset.ttl = number(n, "TTL");
    for (auto rr : n.child("ResourceRecords").children("ResourceRecord")) {
      fc.rrset.values.emplace_back(rr.child_value("Value"));
    }
    fc.rrset.health_check_id = n.child_value("HealthCheckId");
    size_t twice = fc.action == "UPSERT" ? 2 : 1;
    records += twice * fc.rrset.values.size();
    for (const auto& v : fc.rrset.values) chars += twice * v.size();
    if (fc.action != "CREATE" && fc.action != "DELETE" && fc.action != "UPSERT") {
      return error(400, "InvalidInput", "bad Action " + fc.action);
    }
    changes.push_back(std::move(fc));
  }
  if (changes.empty()) return error(400, "InvalidInput", "no changes");
  if (records > max_records) {
    return error(400, "InvalidChangeBatch", fmt::format("Number of records limit of {} exceeded.", max_records));
  }
  if (chars > max_chars) {
    return error(400, "InvalidChangeBatch", fmt::format("Number of characters limit of {} exceeded.", max_chars));
  }

  std::vector<FakeRrset> next = rrsets_;
  std::vector<std::string> messages;
  bool generic = false;
  auto at = [&](const FakeRrset& r) {
    return std::find_if(next.begin(), next.end(), [&](const FakeRrset& x) {
      return x.name == r.name && x.type == r.type && x.set_identifier == r.set_identifier;
    });
  };
  for (const auto& c : changes) {
    const FakeRrset& r = c.rrset;
    if (refused_generic_.contains(r.name)) {
      generic = true;
      continue;
    }
    if (refused_named_.contains(r.name)) {
      messages.push_back(fmt::format("RRSet with DNS name {} is not permitted in zone {}", escaped_name(r.name),
                                     zone_name_));
      continue;
    }
    auto it = at(r);
    if (c.action == "CREATE") {
      if (it != next.end()) {
        messages.push_back(fmt::format("Tried to create resource record set {} but it already exists", describe(r)));
      } else {
        next.push_back(r);
      }
    } else if (c.action == "DELETE") {
      if (it == next.end()) {
        messages.push_back(fmt::format("Tried to delete resource record set {} but it was not found", describe(r)));
      } else if (it->ttl != r.ttl || it->weight != r.weight || it->values != r.values ||
                 it->health_check_id != r.health_check_id || !it->extra_xml.empty()) {
        messages.push_back(fmt::format(
            "Tried to delete resource record set {} but the values provided do not match the current values",
            describe(r)));
      } else {
        next.erase(it);
      }
    } else {
      if (it != next.end()) *it = r;
      else next.push_back(r);
    }
  }
  if (generic) {
    return error(400, "InvalidChangeBatch", "The request contains an invalid set of changes for a resource record set");
  }
  if (!messages.empty()) {
    pugi::xml_document out;
    auto icb = out.append_child("InvalidChangeBatch");
    icb.append_attribute("xmlns") = kNs;
    auto ms = icb.append_child("Messages");
    for (const auto& m : messages) ms.append_child("Message").text().set(m.c_str());
    icb.append_child("RequestId").text().set("fake-request");
    return respond(400, out);
  }
  rrsets_ = std::move(next);
  sort();
  accepted_.push_back(std::move(changes));
  pugi::xml_document out;
  auto resp = out.append_child("ChangeResourceRecordSetsResponse");
  resp.append_attribute("xmlns") = kNs;
  auto info = resp.append_child("ChangeInfo");
  info.append_child("Id").text().set(fmt::format("/change/C{}", change_requests_).c_str());
  info.append_child("Status").text().set("PENDING");
  info.append_child("SubmittedAt").text().set("2026-01-01T00:00:00.000Z");
  return respond(200, out);
}

}  // namespace ecssd::fakes
