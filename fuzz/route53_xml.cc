// Route 53 answers (provider/route53/route53_xml.h) through every parser,
// and the record sets listed through the codec (route53_codec.h).
// Invariants: parse_error always describes the body; a listed record set
// written into a ChangeBatch (as a DELETE or UPSERT of it would be) reads
// back as the same record set, so ecssd names exactly what it listed; for
// the names and TXT values ecssd writes, the model form of a listed record
// set is canonical (writing it and listing it again gives it back) and keyed
// as key_of says; TXT character-strings survive the octal form.
#include <pugixml.hpp>

#include "fuzz_util.h"
#include "model/names.h"
#include "provider/route53/route53_codec.h"
#include "provider/route53/route53_xml.h"

namespace ecssd::fuzz {
namespace {

namespace r53 = provider::route53;

// The record sets of a ChangeResourceRecordSetsRequest, read as a
// conforming XML parser would (white space kept).
std::vector<r53::RecordSet> read_request(const std::string& xml) {
  pugi::xml_document doc;
  FUZZ_CHECK(doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata),
             "build_change_batch wrote malformed XML:\n" + xml);
  std::vector<r53::RecordSet> out;
  auto changes = doc.child("ChangeResourceRecordSetsRequest").child("ChangeBatch").child("Changes");
  for (auto change : changes.children("Change")) {
    auto n = change.child("ResourceRecordSet");
    r53::RecordSet rs;
    rs.name = n.child_value("Name");
    rs.type = n.child_value("Type");
    rs.set_identifier = n.child_value("SetIdentifier");
    if (n.child("Weight")) rs.weight = static_cast<uint32_t>(std::stoul(n.child_value("Weight")));
    if (n.child("TTL")) rs.ttl = static_cast<uint32_t>(std::stoul(n.child_value("TTL")));
    for (auto rr : n.child("ResourceRecords").children("ResourceRecord")) rs.values.emplace_back(rr.child_value("Value"));
    rs.health_check_id = n.child_value("HealthCheckId");
    out.push_back(std::move(rs));
  }
  return out;
}

// Route 53 lists non-printable octets as \ooo escapes, never raw; XML 1.0
// cannot carry most control characters at all (pugixml writes them raw).
bool printable(const r53::RecordSet& rs) {
  auto ok = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20; });
  };
  return ok(rs.name) && ok(rs.type) && ok(rs.set_identifier) && ok(rs.health_check_id) &&
         std::all_of(rs.values.begin(), rs.values.end(), ok);
}

bool ecssd_name(const std::string& name) {
  size_t start = 0;
  for (;;) {
    size_t dot = name.find('.', start);
    if (!model::validate_label(std::string_view(name).substr(start, dot == std::string::npos ? dot : dot - start), true)
             .ok()) {
      return false;
    }
    if (dot == std::string::npos) return name.size() <= model::kMaxNameLength;
    start = dot + 1;
  }
}

void check_record_set(const r53::RecordSet& rs) {
  if (printable(rs)) {
    r53::RecordSet sent = rs;
    sent.alias_dns_name.clear();  // listing only
    sent.unmanaged.clear();
    std::string xml = r53::build_change_batch({{r53::Action::kDelete, sent}}, "fuzz");
    auto back = read_request(xml);
    FUZZ_CHECK(back.size() == 1 && back[0] == sent, "a record set does not survive the ChangeBatch:\n" + xml);
  }
  auto r = r53::to_record(rs);
  auto key = r53::key_of(rs);
  FUZZ_CHECK(r.has_value() == key.has_value(), "to_record and key_of disagree on the type " + rs.type);
  if (!r) return;
  FUZZ_CHECK(model::key_of(*r) == *key, "key_of differs from the record's key: " + model::describe(*r));
  if (r->type == model::RecordType::kTXT) {
    for (const auto& v : rs.values) {
      auto strings = r53::decode_txt(v);
      if (!strings.ok()) continue;
      auto again = r53::decode_txt(r53::encode_txt(*strings));
      FUZZ_CHECK(again.ok() && *again == *strings, "TXT strings change through encode_txt: " + v);
    }
  }
  // Canonical form is promised for what ecssd could write: its names (as
  // record names and as CNAME/NS targets), and TXT values in Route 53's
  // presentation form (a value that is not, say with
  // a "\9" escape, is kept as listed and only ever compared, never written).
  if (!ecssd_name(r->name) || !rs.unmanaged.empty()) return;
  for (const auto& v : rs.values) {
    switch (r->type) {
      case model::RecordType::kTXT:
        if (!r53::decode_txt(v).ok()) return;
        break;
      case model::RecordType::kCNAME:
      case model::RecordType::kNS:
        if (!ecssd_name(r53::decode_name(v))) return;
        break;
      default: break;
    }
  }
  auto written = r53::to_record_set(*r);
  if (!written.ok()) return;  // e.g. a TXT value that is no presentation form
  auto listed = r53::to_record(*written);
  FUZZ_CHECK(listed && *listed == *r,
             "not canonical: " + model::describe(*r) + " lists back as " + (listed ? model::describe(*listed) : "?"));
  FUZZ_CHECK(r53::canonical(*r) == *r, "canonical() changes a listed record: " + model::describe(*r));
}

}  // namespace
}  // namespace ecssd::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ecssd::fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ecssd;
  namespace r53 = provider::route53;
  std::string_view body = fuzz::as_text(data, size);
  if (auto page = r53::parse_record_sets(body); page.ok()) {
    FUZZ_CHECK(!page->truncated || !page->next_name.empty(), "truncated without a next name");
    for (const auto& rs : page->record_sets) fuzz::check_record_set(rs);
  }
  if (auto zones = r53::parse_hosted_zones_by_name(body); zones.ok()) {
    for (const auto& z : zones->zones) FUZZ_CHECK(!z.id.empty() && !z.name.empty(), "a zone without id or name");
  }
  if (auto zone = r53::parse_get_hosted_zone(body); zone.ok()) {
    FUZZ_CHECK(!zone->id.empty() && !zone->name.empty(), "a zone without id or name");
  }
  if (auto change = r53::parse_change_info(body); change.ok()) FUZZ_CHECK(!change->id.empty(), "a change without id");
  auto e = r53::parse_error(body);
  if (e.code.empty()) {
    FUZZ_CHECK(e.message.size() <= 200, "an excerpt over 200 characters");
  } else {
    FUZZ_CHECK(e.messages.empty() || !e.message.empty() || e.messages[0].empty(), "messages without a message");
  }
  return 0;
}
