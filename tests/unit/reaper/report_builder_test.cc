// The report stage: the start of a report, one line per entry, the order.
#include "reaper/report_builder.h"

#include <gtest/gtest.h>

#include "reaper/selection.h"
#include "reaper_fixture.h"
#include "registry/registry.h"

namespace ecssd::reaper {
namespace {

using namespace std::chrono_literals;
using testing::host;
using testing::kNow;
using testing::service;

Entries entries_of(const std::vector<model::Record>& records) {
  auto listed = registry::join(registry::expand(model::ChangeSet{.create = records}).create, true);
  return select_owned(std::move(listed), 2s, 60s, common::SystemTime(std::chrono::seconds(kNow))).entries;
}

TEST(ReportBuilderTest, AReportStartsWithTheSettingsOfThePass) {
  ReaperOptions options;
  options.dry_run = true;
  options.max_delete_fraction = 0.25;
  Report r = start_report({"sd.internal"}, true, options, common::SystemTime(std::chrono::seconds(kNow)));
  EXPECT_EQ(r.zone, "sd.internal");
  EXPECT_EQ(r.started, "2023-11-14T22:13:20Z");
  EXPECT_TRUE(r.dry_run);
  EXPECT_TRUE(r.read_only);
  EXPECT_EQ(r.valve.limit, 0.25);
  EXPECT_TRUE(r.ok);
}

// Several --zone: the report names every zone read, the first as "zone".
TEST(ReportBuilderTest, AReportNamesEveryZoneItRead) {
  Report r = start_report({"a.internal", "b.internal"}, false, ReaperOptions{},
                          common::SystemTime(std::chrono::seconds(kNow)));
  EXPECT_EQ(r.zone, "a.internal");
  auto j = to_json(r, false).as_object();
  EXPECT_EQ(j.at("zone").as_string(), "a.internal");
  ASSERT_EQ(j.at("zones").as_array().size(), 2u);
  EXPECT_EQ(j.at("zones").as_array()[1].as_string(), "b.internal");
}

TEST(ReportBuilderTest, ALineSaysWhatThePassSawAndDid) {
  Entries entries = entries_of({service("h1", "web", "10.0.0.1:80", 1, {{"check", "http"}, {"check-http", "/h"}})});
  Entry& e = *entries[0];
  e.rep.result = "dead";
  e.rep.checks = 3;
  e.rep.detail = "HTTP 503 (expected 2xx/3xx)";
  e.rep.dead = true;
  e.rep.reason = "3 consecutive failed checks, last: HTTP 503 (expected 2xx/3xx)";
  e.rep.decision = Decision::kDeleted;
  e.cloud.ecs = Verdict::kAlive;
  e.cloud.ecs_detail = "RUNNING";
  RecordReport r = record_report(e);
  EXPECT_EQ(r.name, "web.sd.internal");
  EXPECT_EQ(r.type, "CNAME");
  EXPECT_EQ(r.set_identifier, "ecssd:h1:000000000001:80-tcp");
  EXPECT_EQ(r.values, (std::vector<std::string>{"h1.hosts.example"}));
  EXPECT_EQ(r.owner, "h1");
  EXPECT_EQ(r.kind, "service");
  EXPECT_EQ(r.container_name, "web-1");
  EXPECT_EQ(r.service, "web");
  EXPECT_EQ(r.target, "10.0.0.1:80");
  EXPECT_EQ(r.check, "http GET /h expect 2xx/3xx");
  EXPECT_EQ(r.result, "dead");
  EXPECT_EQ(r.checks, 3);
  EXPECT_EQ(r.detail, "HTTP 503 (expected 2xx/3xx)");
  EXPECT_EQ(r.ecs, "alive");
  EXPECT_EQ(r.ecs_detail, "RUNNING");
  EXPECT_EQ(r.ec2, "not-asked");
  EXPECT_TRUE(r.dead);
  EXPECT_EQ(r.decision, Decision::kDeleted);
}

TEST(ReportBuilderTest, HostRecordsHaveNoCheckAndNoCloudVerdicts) {
  Entries entries = entries_of({host("h1", "10.0.0.1")});
  RecordReport r = record_report(*entries[0]);
  EXPECT_EQ(r.kind, "host");
  EXPECT_EQ(r.check, "-");
  EXPECT_EQ(r.result, "not-checked");
  EXPECT_EQ(r.ecs, "");
  EXPECT_EQ(r.ec2, "");
}

TEST(ReportBuilderTest, RecordsAreAddedAndSortedByNameTypeAndSetIdentifier) {
  model::Record a = service("h1", "web", "10.0.0.1:80", 1);
  model::Record b = service("h2", "web", "10.0.0.2:80", 2);
  Entries entries = entries_of({service("h1", "zed", "10.0.0.3:80", 3), b, host("h1", "10.0.0.1"), a});
  Report report;
  add_records(entries, report);
  for (const auto& e : entries) EXPECT_EQ(e, nullptr);  // released as they go
  finish_report(report, 1500ms);
  EXPECT_EQ(report.duration, 1500ms);
  ASSERT_EQ(report.records.size(), 4u);
  EXPECT_EQ(report.records[0].name, "h1.sd.internal");
  EXPECT_EQ(report.records[1].set_identifier, a.set_identifier);
  EXPECT_EQ(report.records[2].set_identifier, b.set_identifier);
  EXPECT_EQ(report.records[3].name, "zed.sd.internal");
}

}  // namespace
}  // namespace ecssd::reaper
