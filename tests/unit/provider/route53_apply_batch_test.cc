// Building apply()'s requests (provider/route53/apply_batch.h): each change's
// wire changes, the changes refused before any request, the parts that travel
// whole (by Record::group, never by parsing names), and their packing.
#include "provider/route53/apply_batch.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "model/rdata.h"

namespace ecssd::provider::route53 {
namespace {

using common::ErrorCode;
using model::RecordType;

model::Record rec(std::string name, RecordType type, std::string value, std::string set_id, std::string group = "") {
  model::Record r;
  r.name = std::move(name);
  r.type = type;
  r.ttl = 10;
  r.values = {std::move(value)};
  r.set_identifier = std::move(set_id);
  if (!r.set_identifier.empty()) r.weight = 1;
  r.group = std::move(group);
  return r;
}

RecordSet stored(std::string name, std::string type, std::string set_id, std::vector<std::string> values) {
  return {.name = std::move(name), .type = std::move(type), .set_identifier = std::move(set_id), .weight = 1,
          .ttl = 10, .values = std::move(values)};
}

KnownRecordSets known_of(std::vector<RecordSet> sets) {
  std::map<Key, RecordSet> by_key;
  for (auto& rs : sets) by_key.emplace(*key_of(rs), std::move(rs));
  KnownRecordSets known;
  known.replace(std::move(by_key));
  return known;
}

const std::string kZone = "example.com";

// The names and set identifiers of each part, to compare parts by content.
std::vector<std::vector<std::string>> describe(const std::vector<Part>& parts, const Batch& batch) {
  std::vector<std::vector<std::string>> out;
  for (const auto& p : parts) {
    auto& names = out.emplace_back();
    for (size_t i : p) {
      const auto& c = batch.items[i].change;
      const model::Record& r = !c.create.empty() ? c.create[0] : !c.update.empty() ? c.update[0].new_record : c.remove[0];
      names.push_back(r.name + "/" + r.set_identifier);
    }
  }
  return out;
}

TEST(Route53ApplyBatch, EachChangeBecomesItsWireChangesRemovesFirst) {
  RecordSet listed = stored("web.example.com.", "CNAME", "s1", {"Host-A.example.com"});
  listed.health_check_id = "hc-1";
  KnownRecordSets known = known_of({listed});
  model::Record old_r = rec("web.example.com", RecordType::kCNAME, "host-a.example.com", "s1");
  model::Record new_r = old_r;
  new_r.ttl = 30;
  model::Record gone = rec("old.example.com", RecordType::kA, "10.0.0.9", "s9");
  model::Record fresh = rec("new.example.com", RecordType::kA, "10.0.0.1", "s2");
  Batch batch = make_batch({.create = {fresh}, .update = {{old_r, new_r}}, .remove = {gone}}, known, kZone, {});

  ASSERT_EQ(batch.items.size(), 3u);
  EXPECT_EQ(batch.items[0].change, (model::ChangeSet{.remove = {gone}}));
  EXPECT_EQ(batch.items[1].change, (model::ChangeSet{.update = {{old_r, new_r}}}));
  EXPECT_EQ(batch.items[2].change, (model::ChangeSet{.create = {fresh}}));
  for (const auto& it : batch.items) EXPECT_EQ(it.state, Batch::State::kPending);
  EXPECT_TRUE(batch.report.failed.empty());

  // Not listed: the DELETE is built from the record.
  ASSERT_EQ(batch.items[0].wire.size(), 1u);
  EXPECT_EQ(batch.items[0].wire[0], (Change{Action::kDelete, *to_record_set(gone)}));
  // Listed: the DELETE names the record set as stored, the CREATE keeps its health check.
  ASSERT_EQ(batch.items[1].wire.size(), 2u);
  EXPECT_EQ(batch.items[1].wire[0], (Change{Action::kDelete, listed}));
  RecordSet replacement = *to_record_set(new_r);
  replacement.health_check_id = "hc-1";
  EXPECT_EQ(batch.items[1].wire[1], (Change{Action::kCreate, replacement}));
  ASSERT_EQ(batch.items[2].wire.size(), 1u);
  EXPECT_EQ(batch.items[2].wire[0], (Change{Action::kCreate, *to_record_set(fresh)}));
}

TEST(Route53ApplyBatch, WhatMustNotBeSentIsRefusedBeforeAnyRequest) {
  RecordSet alias = stored("www.example.com.", "A", "", {"d1.cloudfront.net"});
  alias.unmanaged = "alias record";
  KnownRecordSets known = known_of({alias});
  BatchLimits limits{.max_records = 1000, .max_value_chars = 100};
  model::Record www = rec("www.example.com", RecordType::kA, "d1.cloudfront.net", "");
  model::Record outside = rec("x.example.org", RecordType::kA, "10.0.0.1", "s");
  model::Record big = rec("big.example.com", RecordType::kTXT, model::txt_encode({std::string(200, 'x')}), "s");
  model::Record bad_txt = rec("txt.example.com", RecordType::kTXT, "\"unterminated", "s");
  model::Record fine = rec("ok.example.com", RecordType::kA, "10.0.0.1", "s");
  Batch batch = make_batch({.create = {outside, big, bad_txt, fine}, .remove = {www}}, known, kZone, limits);

  ASSERT_EQ(batch.items.size(), 5u);
  ASSERT_EQ(batch.report.failed.size(), 4u);
  auto failure = [&](size_t i) { return batch.report.failed[i]; };
  EXPECT_EQ(failure(0).change, (model::ChangeSet{.remove = {www}}));
  EXPECT_EQ(failure(0).error.code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(failure(0).error.message,
            "www.example.com A d1.cloudfront.net is a Route 53 alias record, which ecssd never changes");
  EXPECT_EQ(failure(1).change, (model::ChangeSet{.create = {outside}}));
  EXPECT_EQ(failure(1).error.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(failure(1).error.message, "x.example.org is outside the zone example.com");
  EXPECT_EQ(failure(2).change, (model::ChangeSet{.create = {big}}));
  EXPECT_EQ(failure(2).error.code, ErrorCode::kTooLarge);
  EXPECT_EQ(failure(3).change, (model::ChangeSet{.create = {bad_txt}}));
  EXPECT_EQ(failure(3).error.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(batch.items[4].state, Batch::State::kPending);
  EXPECT_EQ(describe(parts_of(batch, limits), batch), (std::vector<std::vector<std::string>>{{"ok.example.com/s"}}));
}

TEST(Route53ApplyBatch, APartIsAGroupWhateverTheNames) {
  // A record and its companion as the registry expands them: one group.
  model::Record web = rec("web.example.com", RecordType::kCNAME, "h.example.com", "s1", "web.example.com");
  model::Record web_txt = rec("cname._ecssd.web.example.com", RecordType::kTXT, "\"heritage=ecssd\"", "s1",
                              "web.example.com");
  // A record that only looks like a companion, without a group: its own name
  // is its group; the provider does not parse it.
  model::Record lookalike = rec("cname._ecssd.api.example.com", RecordType::kTXT, "\"x\"", "s2");
  model::Record api = rec("api.example.com", RecordType::kCNAME, "h.example.com", "s2");
  // Two members of one name without a group: grouped by the name.
  model::Record db1 = rec("db.example.com", RecordType::kA, "10.0.0.1", "s3");
  model::Record db2 = rec("db.example.com", RecordType::kA, "10.0.0.2", "s4");
  Batch batch = make_batch({.create = {web, lookalike, db1, api, web_txt, db2}}, {}, kZone, {});
  EXPECT_EQ(batch.items[0].group, "web.example.com");
  EXPECT_EQ(batch.items[1].group, "cname._ecssd.api.example.com");
  EXPECT_EQ(batch.items[4].group, "web.example.com");
  EXPECT_EQ(batch.items[4].unit, "web.example.com\ns1");

  auto parts = describe(parts_of(batch, {}), batch);
  EXPECT_EQ(parts, (std::vector<std::vector<std::string>>{
                       {"api.example.com/s2"},
                       {"cname._ecssd.api.example.com/s2"},
                       {"db.example.com/s3", "db.example.com/s4"},
                       {"web.example.com/s1", "cname._ecssd.web.example.com/s1"},
                   }));
  auto requests = requests_of(batch, {});
  ASSERT_EQ(requests.size(), 1u) << "everything fits in one request";
  EXPECT_EQ(describe(requests[0], batch), parts);
}

TEST(Route53ApplyBatch, AGroupOverTheLimitsIsSplitByUnitThenByChange) {
  BatchLimits limits{.max_records = 4, .max_value_chars = 32000};
  model::ChangeSet cs;
  // Group "web.example.com": three units of two records (record + companion), six records.
  for (std::string set : {"a", "b", "c"}) {
    cs.create.push_back(rec("web.example.com", RecordType::kCNAME, "h.example.com", set, "web.example.com"));
    cs.create.push_back(
        rec("cname._ecssd.web.example.com", RecordType::kTXT, "\"heritage=ecssd\"", set, "web.example.com"));
  }
  // Group "big.example.com": one unit of five one-value records.
  for (int i = 0; i < 5; ++i) {
    cs.create.push_back(rec(fmt::format("r{}.big.example.com", i), RecordType::kA, "10.0.0.1", "u", "big.example.com"));
  }
  Batch batch = make_batch(cs, {}, kZone, limits);
  auto parts = parts_of(batch, limits);
  EXPECT_EQ(describe(parts, batch),
            (std::vector<std::vector<std::string>>{
                {"r0.big.example.com/u"}, {"r1.big.example.com/u"}, {"r2.big.example.com/u"},
                {"r3.big.example.com/u"}, {"r4.big.example.com/u"},
                {"web.example.com/a", "cname._ecssd.web.example.com/a"},
                {"web.example.com/b", "cname._ecssd.web.example.com/b"},
                {"web.example.com/c", "cname._ecssd.web.example.com/c"},
            }));
  // Packed first-fit by size: the three units of two, then the singles in the gaps.
  auto requests = requests_of(batch, limits);
  ASSERT_EQ(requests.size(), 3u);
  size_t records = 0;
  for (const auto& request : requests) {
    Cost c = cost_of(wire_of(request, batch));
    EXPECT_TRUE(c.fits(limits));
    records += c.records;
  }
  EXPECT_EQ(records, 11u);
  for (const auto& request : requests) {
    for (const auto& part : describe(request, batch)) {
      if (part.size() == 2) {
        EXPECT_EQ(part[0].substr(part[0].size() - 2), part[1].substr(part[1].size() - 2)) << "a unit stays whole";
      }
    }
  }
}

TEST(Route53ApplyBatch, ARequestSendsItsDeletionsFirst) {
  model::Record a = rec("a.example.com", RecordType::kA, "10.0.0.1", "s1");
  model::Record a2 = a;
  a2.values = {"10.0.0.2"};
  model::Record b = rec("b.example.com", RecordType::kA, "10.0.0.3", "s2");
  model::Record c = rec("c.example.com", RecordType::kA, "10.0.0.4", "s3");
  Batch batch = make_batch({.create = {c}, .update = {{a, a2}}, .remove = {b}}, {}, kZone, {});
  auto requests = requests_of(batch, {});
  ASSERT_EQ(requests.size(), 1u);
  std::vector<Change> wire = wire_of(requests[0], batch);
  ASSERT_EQ(wire.size(), 4u);
  EXPECT_EQ(wire[0], (Change{Action::kDelete, *to_record_set(a)}));
  EXPECT_EQ(wire[1], (Change{Action::kDelete, *to_record_set(b)}));
  EXPECT_EQ(wire[2], (Change{Action::kCreate, *to_record_set(a2)}));
  EXPECT_EQ(wire[3], (Change{Action::kCreate, *to_record_set(c)}));
}

TEST(Route53ApplyBatch, KnownRecordSetsFollowTheListingAndWhatWasWritten) {
  RecordSet listed = stored("web.example.com.", "CNAME", "s1", {"Host-A.example.com"});
  KnownRecordSets known = known_of({listed});
  model::Record same = rec("web.example.com", RecordType::kCNAME, "host-a.example.com", "s1");
  same.labels = {{"owner", "h1"}};  // labels never count
  EXPECT_EQ(*known.existing(same), listed) << "the stored strings, when the record still matches";
  model::Record changed = same;
  changed.ttl = 99;
  EXPECT_EQ(*known.existing(changed), *to_record_set(changed)) << "else built from the record";
  ASSERT_NE(known.find(*key_of(listed)), nullptr);

  known.remember({{Action::kDelete, listed}});
  EXPECT_EQ(known.find(*key_of(listed)), nullptr);
  RecordSet written = *to_record_set(changed);
  known.remember({{Action::kCreate, written}});
  ASSERT_NE(known.find(*key_of(written)), nullptr);
  EXPECT_EQ(*known.find(*key_of(written)), written);
}

}  // namespace
}  // namespace ecssd::provider::route53
