// Isolating the changes Route 53 refused (provider/route53/isolate.h): what
// its messages name, and how a refused request is split until each refused
// change stands alone.
#include "provider/route53/isolate.h"

#include <gtest/gtest.h>

namespace ecssd::provider::route53 {
namespace {

using common::ErrorCode;
using model::RecordType;

model::Record rec(std::string name, std::string set_id, std::string group = "") {
  model::Record r;
  r.name = std::move(name);
  r.type = RecordType::kA;
  r.ttl = 10;
  r.values = {"10.0.0.1"};
  r.set_identifier = std::move(set_id);
  r.weight = 1;
  r.group = std::move(group);
  return r;
}

Batch batch_of(const std::vector<model::Record>& creates) {
  return make_batch({.create = creates}, {}, "example.com", {});
}

const common::Error kRefused = common::make_error(ErrorCode::kConflict, "Route 53 refused the change: all of it");

TEST(Route53Isolate, RefsInRoute53sMessages) {
  EXPECT_EQ(refs_in("Tried to create resource record set [name='web.example.com.', type='CNAME', "
                    "set-identifier='ecssd:h:1'] but it already exists"),
            (std::vector<Ref>{{"web.example.com", "ecssd:h:1"}}));
  EXPECT_EQ(refs_in("Tried to delete resource record set [name='\\052.example.com.', type='A'] but it was not found"),
            (std::vector<Ref>{{"*.example.com", ""}}));
  EXPECT_EQ(refs_in("RRSet with DNS name svc-17.example.com. is not permitted in zone example.com."),
            (std::vector<Ref>{{"svc-17.example.com", ""}}));
  EXPECT_EQ(refs_in("[name='a.example.com.'] and [name='b.example.com.', set-identifier='x']"),
            (std::vector<Ref>{{"a.example.com", ""}, {"b.example.com", "x"}}));
  EXPECT_TRUE(refs_in("Invalid request").empty());
  EXPECT_TRUE(refs_in("[name='unterminated").empty());
}

TEST(Route53Isolate, MentionsMatchesNameAndSetIdentifierWhenGiven) {
  std::vector<Change> wire = {{Action::kCreate, *to_record_set(rec("web.example.com", "s1"))}};
  EXPECT_TRUE(mentions(wire, {"web.example.com", ""}));
  EXPECT_TRUE(mentions(wire, {"web.example.com", "s1"}));
  EXPECT_FALSE(mentions(wire, {"web.example.com", "s2"}));
  EXPECT_FALSE(mentions(wire, {"api.example.com", ""}));
}

TEST(Route53Isolate, NamedPartsGoApartFromTheOthers) {
  Batch batch = batch_of({rec("a.example.com", "1"), rec("b.example.com", "2"), rec("c.example.com", "3"),
                          rec("d.example.com", "4")});
  Isolation next = isolate({{0}, {1}, {2}, {3}}, batch, kRefused,
                           {"Tried to create resource record set [name='c.example.com.', type='A', "
                            "set-identifier='3'] but it already exists"});
  EXPECT_TRUE(next.refused.empty());
  EXPECT_EQ(next.first, (std::vector<Part>{{0}, {1}, {3}})) << "the others first";
  EXPECT_EQ(next.second, (std::vector<Part>{{2}}));
}

TEST(Route53Isolate, MessagesThatNameNothingOrEverythingSplitInHalves) {
  Batch batch = batch_of({rec("a.example.com", "1"), rec("b.example.com", "2"), rec("c.example.com", "3"),
                          rec("d.example.com", "4"), rec("e.example.com", "5")});
  Isolation none = isolate({{0}, {1}, {2}, {3}, {4}}, batch, kRefused, {"Invalid request"});
  EXPECT_TRUE(none.refused.empty());
  EXPECT_EQ(none.first, (std::vector<Part>{{0}, {1}}));
  EXPECT_EQ(none.second, (std::vector<Part>{{2}, {3}, {4}}));

  Isolation all = isolate({{0}, {1}}, batch, kRefused,
                          {"RRSet with DNS name a.example.com. is bad", "RRSet with DNS name b.example.com. is bad"});
  EXPECT_EQ(all.first, (std::vector<Part>{{0}}));
  EXPECT_EQ(all.second, (std::vector<Part>{{1}}));
}

TEST(Route53Isolate, AGroupRefusedWholeIsSplitByUnit) {
  // One group, three containers (units) of a record and its companion.
  std::vector<model::Record> records;
  for (std::string set : {"a", "b", "c"}) {
    records.push_back(rec("web.example.com", set, "web.example.com"));
    records.push_back(rec("txt.web.example.com", set, "web.example.com"));
  }
  Batch batch = batch_of(records);
  Isolation next = isolate({{0, 1, 2, 3, 4, 5}}, batch, kRefused,
                           {"Tried to create resource record set [name='web.example.com.', type='A', "
                            "set-identifier='b'] but it already exists"});
  EXPECT_TRUE(next.refused.empty());
  EXPECT_EQ(next.first, (std::vector<Part>{{0, 1}, {4, 5}}));
  EXPECT_EQ(next.second, (std::vector<Part>{{2, 3}}));
}

TEST(Route53Isolate, AUnitRefusedWholeFailsEachChangeWithTheMessagesNamingIt) {
  Batch batch = batch_of({rec("web.example.com", "b", "web.example.com"),
                          rec("txt.web.example.com", "b", "web.example.com")});
  const std::string about_record =
      "Tried to create resource record set [name='web.example.com.', type='A', set-identifier='b'] but it already "
      "exists";
  Isolation next = isolate({{0, 1}}, batch, kRefused, {about_record});
  EXPECT_TRUE(next.first.empty());
  EXPECT_TRUE(next.second.empty());
  ASSERT_EQ(next.refused.size(), 2u);
  EXPECT_EQ(next.refused[0].first, 0u);
  EXPECT_EQ(next.refused[0].second.code, ErrorCode::kConflict);
  EXPECT_EQ(next.refused[0].second.message, "Route 53 refused the change: " + about_record);
  EXPECT_EQ(next.refused[1].first, 1u);
  EXPECT_EQ(next.refused[1].second.message, kRefused.message) << "no message names the companion: the whole error";
}

TEST(Route53Isolate, NothingToIsolate) {
  Batch batch = batch_of({});
  Isolation next = isolate({}, batch, kRefused, {});
  EXPECT_TRUE(next.refused.empty());
  EXPECT_TRUE(next.first.empty());
  EXPECT_TRUE(next.second.empty());
}

}  // namespace
}  // namespace ecssd::provider::route53
