// The reaper's pass end to end on an in-memory zone, a scripted probe and
// simulated time: thresholds and grace, the safety valve, host records and
// orphans, dry runs, read-only providers, and the JSON report.
#include "reaper/reaper.h"

#include <sys/resource.h>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/open_files.h"
#include "reaper_fixture.h"

namespace ecssd::reaper {
namespace {

using namespace std::chrono_literals;
using model::Record;
using model::RecordType;
using testing::foreign;
using testing::host;
using testing::kNow;
using testing::kZone;
using testing::ReaperTest;
using testing::RefusingDeletes;
using testing::service;

TEST_F(ReaperTest, DeletesARecordAfterThreeFailedChecksSpacedByTheInterval) {
  seed_owned({service("h1", "web", "10.0.0.1:80", 1), service("h1", "api", "10.0.0.2:80", 2),
              service("h2", "db", "10.0.0.3:80", 3)});
  probe_.script("10.0.0.2:80", {false});
  const auto t0 = time_.steady_now();

  Report report = pass();

  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.owned, 3u);
  EXPECT_EQ(report.dead, 1u);
  EXPECT_EQ(report.deleted, 1u);
  EXPECT_FALSE(exists("api"));
  EXPECT_FALSE(companion_exists("api"));
  EXPECT_TRUE(exists("web"));
  EXPECT_TRUE(exists("db"));
  // Three checks of the dead target, each 2 s after the previous start; one of each healthy one.
  EXPECT_EQ(probe_.times_of("10.0.0.2:80"), (std::vector<common::SteadyTime>{t0, t0 + 2s, t0 + 4s}));
  EXPECT_EQ(probe_.calls_to("10.0.0.1:80"), 1u);
  EXPECT_EQ(report.probes, 5u);
  const auto& api = find(report, "api");
  EXPECT_EQ(api.decision, Decision::kDeleted);
  EXPECT_EQ(api.result, "dead");
  EXPECT_EQ(api.checks, 3);
  EXPECT_EQ(api.reason, "3 consecutive failed checks, last: connection refused");
  EXPECT_EQ(find(report, "web").decision, Decision::kKeep);
  EXPECT_EQ(find(report, "web").result, "healthy");
}

TEST_F(ReaperTest, ATargetThatRecoversBeforeTheThresholdIsKept) {
  seed_owned({service("h1", "web", "10.0.0.1:80", 1), service("h1", "api", "10.0.0.2:80", 2)});
  probe_.script("10.0.0.2:80", {false, false, true});
  Report report = pass();
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.deleted, 0u);
  EXPECT_TRUE(exists("api"));
  EXPECT_EQ(find(report, "api").checks, 3);
  EXPECT_EQ(find(report, "api").result, "healthy");
}

TEST_F(ReaperTest, FailThresholdIsConfigurable) {
  options_.health.fall = 5;
  seed_owned({service("h1", "web", "10.0.0.1:80", 1), service("h1", "api", "10.0.0.2:80", 2)});
  probe_.script("10.0.0.2:80", {false});
  Report report = pass();
  EXPECT_EQ(probe_.calls_to("10.0.0.2:80"), 5u);
  EXPECT_EQ(report.deleted, 1u);
}

TEST_F(ReaperTest, ContainersYoungerThanTheGraceAreNotCheckedNorReaped) {
  seed_owned({service("h1", "web", "10.0.0.1:80", 1),
              service("h1", "new", "10.0.0.2:80", 2, {{"started", std::to_string(kNow - 30)}}),
              service("h1", "old", "10.0.0.3:80", 3, {{"started", std::to_string(kNow - 61)}}),
              service("h1", "nostart", "10.0.0.4:80", 4, {{"started", "soon"}})});
  probe_.script("10.0.0.2:80", {false});
  probe_.script("10.0.0.3:80", {false});
  Report report = pass();
  EXPECT_EQ(probe_.calls_to("10.0.0.2:80"), 0u);
  EXPECT_TRUE(exists("new"));
  EXPECT_EQ(find(report, "new").result, "not-checked");
  EXPECT_EQ(find(report, "new").reason, "started 30s ago, within --grace 1m");
  // Older than the grace: checked and reaped. An unreadable start time does not protect a record.
  EXPECT_FALSE(exists("old"));
  EXPECT_EQ(probe_.calls_to("10.0.0.4:80"), 1u);
}

TEST_F(ReaperTest, SafetyValveDeletesNothingWhenMoreThanTheFractionWouldGo) {
  seed_owned({service("h1", "a", "10.0.0.1:80", 1), service("h1", "b", "10.0.0.2:80", 2),
              service("h2", "c", "10.0.0.3:80", 3)});
  probe_.script("10.0.0.1:80", {false});
  probe_.script("10.0.0.2:80", {false});
  Report report = pass();
  EXPECT_FALSE(report.ok);
  EXPECT_TRUE(report.valve.tripped);
  EXPECT_NEAR(report.valve.fraction, 2.0 / 3.0, 1e-9);
  EXPECT_EQ(report.dead, 2u);
  EXPECT_EQ(report.deleted, 0u);
  EXPECT_TRUE(exists("a"));
  EXPECT_TRUE(exists("b"));
  EXPECT_EQ(find(report, "a").decision, Decision::kHeld);
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_NE(report.errors[0].find("safety valve: 2 of 3 owned records (67%) are dead"), std::string::npos)
      << report.errors[0];
  EXPECT_EQ(mem_.apply_calls(), 0u);
}

TEST_F(ReaperTest, SafetyValveAllowsExactlyTheFraction) {
  seed_owned({service("h1", "a", "10.0.0.1:80", 1), service("h1", "b", "10.0.0.2:80", 2)});
  probe_.script("10.0.0.1:80", {false});
  Report report = pass();
  EXPECT_TRUE(report.ok);
  EXPECT_FALSE(report.valve.tripped);
  EXPECT_EQ(report.deleted, 1u);
}

TEST_F(ReaperTest, ForceOverridesTheSafetyValve) {
  options_.force = true;
  seed_owned({service("h1", "a", "10.0.0.1:80", 1), service("h1", "b", "10.0.0.2:80", 2)});
  probe_.script("10.0.0.1:80", {false});
  probe_.script("10.0.0.2:80", {false});
  Report report = pass();
  EXPECT_TRUE(report.ok);
  EXPECT_TRUE(report.valve.forced);
  EXPECT_FALSE(report.valve.tripped);
  EXPECT_EQ(report.deleted, 2u);
  EXPECT_FALSE(exists("a"));
  EXPECT_FALSE(exists("b"));
}

TEST_F(ReaperTest, ForeignRecordsAreNeverCheckedNorDeleted) {
  seed_owned({service("h1", "web", "10.0.0.1:80", 1), service("h1", "api", "10.0.0.2:80", 2)});
  mem_.seed({foreign("www", RecordType::kA, "10.9.9.9"), foreign("api", RecordType::kTXT, "\"v=1\""),
             foreign("legacy", RecordType::kCNAME, "elsewhere.example")});
  probe_.script("10.0.0.2:80", {false});
  Report report = pass();
  EXPECT_EQ(report.foreign, 3u);
  EXPECT_EQ(report.owned, 2u);
  EXPECT_TRUE(exists("www", RecordType::kA));
  EXPECT_TRUE(exists("api", RecordType::kTXT));
  EXPECT_TRUE(exists("legacy"));
  EXPECT_FALSE(exists("api"));
  for (const auto& c : probe_.calls()) EXPECT_NE(c.target, "10.9.9.9:80");
  for (const auto& r : report.records) EXPECT_NE(r.name, "www.sd.internal");
}

TEST_F(ReaperTest, HostRecordGoesOnlyWithItsOwnersLastServiceRecord) {
  seed_owned({service("h1", "a", "10.0.0.1:80", 1), service("h1", "b", "10.0.0.2:80", 2), host("h1", "10.0.0.1"),
              service("h2", "c", "10.0.1.1:80", 3), service("h2", "d", "10.0.1.2:80", 4), host("h2", "10.0.1.1"),
              service("h3", "e", "10.0.2.1:80", 5), service("h3", "f", "10.0.2.2:80", 6)});
  // h1 dies completely; one of h2's two containers dies.
  probe_.script("10.0.0.1:80", {false});
  probe_.script("10.0.0.2:80", {false});
  probe_.script("10.0.1.1:80", {false});
  Report report = pass();
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.deleted, 4u);
  EXPECT_FALSE(exists("h1", RecordType::kA));
  EXPECT_TRUE(exists("h2", RecordType::kA));
  EXPECT_TRUE(exists("d"));
  EXPECT_EQ(find(report, "h1").reason, "host record: the last service record of owner h1 is reaped");
  EXPECT_EQ(find(report, "h2").decision, Decision::kKeep);
  // Service records went out before the host record, in their own batch.
  EXPECT_EQ(mem_.apply_calls(), 2u);
}

TEST_F(ReaperTest, AHostRecordWithoutServiceRecordsIsALeftover) {
  seed_owned({service("h1", "a", "10.0.0.1:80", 1), service("h1", "b", "10.0.0.2:80", 2), host("h9", "10.0.9.1")});
  Report report = pass();
  EXPECT_EQ(report.deleted, 1u);
  EXPECT_FALSE(exists("h9", RecordType::kA));
  EXPECT_EQ(find(report, "h9").reason, "host record: owner h9 publishes no service records");
}


TEST_F(ReaperTest, AHostRecordStaysWhenDeletingItsOwnersRecordsFails) {
  seed_owned({service("h1", "a", "10.0.0.1:80", 1), host("h1", "10.0.0.1"), service("h2", "c", "10.0.1.1:80", 3),
              service("h2", "d", "10.0.1.2:80", 4), service("h2", "e", "10.0.1.3:80", 5)});
  probe_.script("10.0.0.1:80", {false});
  RefusingDeletes refusing(mem_, "a.sd.internal");
  registry::Registry reg(refusing, "");
  Report report = pass_on(reg);
  EXPECT_FALSE(report.ok);
  EXPECT_TRUE(exists("a"));
  EXPECT_TRUE(exists("h1", RecordType::kA));
  EXPECT_EQ(find(report, "a").decision, Decision::kDeleteFailed);
  EXPECT_NE(find(report, "a").error.find("InvalidChangeBatch"), std::string::npos) << find(report, "a").error;
  EXPECT_EQ(find(report, "h1").decision, Decision::kDeleteFailed);
  EXPECT_EQ(find(report, "h1").error, "not attempted: deleting another record of its owner failed");
  EXPECT_EQ(refusing.calls, 1);  // the host record was never sent
}

TEST_F(ReaperTest, UdpRecordsAreKeptButNotProbed) {
  seed_owned({service("h1", "stats", "10.0.0.1:53", 1, {{"check", "none"}, {"port", "53/udp"}}),
              service("h1", "web", "10.0.0.2:80", 2)});
  Report report = pass();
  EXPECT_EQ(probe_.calls_to("10.0.0.1:53"), 0u);
  EXPECT_TRUE(exists("stats"));
  EXPECT_EQ(find(report, "stats").check, "none");
  EXPECT_EQ(find(report, "stats").reason, "not checkable (check=none): kept unless ECS or EC2 says it is gone");
}

TEST_F(ReaperTest, RecordsWithUnusableCheckDataAreKeptAndSaySo) {
  seed_owned({service("h1", "odd", "not-an-address", 1), service("h1", "web", "10.0.0.2:80", 2)});
  Report report = pass();
  EXPECT_TRUE(exists("odd"));
  EXPECT_NE(find(report, "odd").reason.find("cannot check: label addr"), std::string::npos);
}

TEST_F(ReaperTest, OneProbePerTargetWhateverTheNumberOfRecords) {
  Record a = service("h1", "web", "10.0.0.1:80", 1, {{"check", "http"}, {"check-http", "/health"}});
  a.type = RecordType::kA;
  a.values = {"10.0.0.1"};
  Record aaaa = a;
  aaaa.type = RecordType::kAAAA;
  aaaa.values = {"fd00::1"};
  seed_owned({a, aaaa, service("h1", "api", "10.0.0.2:80", 2)});
  Report report = pass();
  EXPECT_EQ(report.targets_checked, 2u);
  EXPECT_EQ(probe_.calls_to("10.0.0.1:80"), 1u);
  EXPECT_EQ(probe_.calls()[0].spec.kind == CheckKind::kHttp || probe_.calls()[1].spec.kind == CheckKind::kHttp, true);
}

TEST_F(ReaperTest, ChecksRunConcurrentlyUpToTheBound) {
  options_.concurrency = 8;
  std::vector<Record> records;
  for (int i = 0; i < 50; ++i) records.push_back(service("h1", fmt::format("s{}", i), fmt::format("10.0.1.{}:80", i), i));
  seed_owned(records);
  probe_.set_yields(3);
  Report report = pass();
  EXPECT_EQ(report.probes, 50u);
  EXPECT_EQ(probe_.max_in_flight(), 8);
}

TEST(AutoConcurrency, FollowsTheOpenFileLimitLessTheReserveUpToTheCap) {
  EXPECT_EQ(auto_concurrency(1024), 1024 - kReservedFiles);  // Lambda, systemd's soft limit
  EXPECT_EQ(auto_concurrency(4096), kMaxAutoConcurrency);
  EXPECT_EQ(auto_concurrency(1 << 20), kMaxAutoConcurrency);
  EXPECT_EQ(auto_concurrency(2 * kReservedFiles + 1), kReservedFiles + 1);
  EXPECT_EQ(auto_concurrency(100), 50u);  // a tiny limit: half of it, never the reserve's worth of nothing
  EXPECT_EQ(auto_concurrency(1), 1u);
  EXPECT_EQ(auto_concurrency(0), 1u);
}

// The pass checks with the open-file limit of the process when not told a
// concurrency (0, the default of ReaperOptions and of --concurrency).
TEST_F(ReaperTest, DefaultConcurrencyFollowsTheProcessOpenFileLimit) {
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_GE(saved.rlim_cur, 200u) << "the test lowers the limit to 200 and needs it at least that high";
  rlimit low = saved;
  low.rlim_cur = 200;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  EXPECT_EQ(common::open_file_limit(), 200u);
  EXPECT_EQ(ReaperOptions{}.concurrency, 0u);
  std::vector<Record> records;
  for (int i = 0; i < 300; ++i) {
    records.push_back(service("h1", fmt::format("s{}", i), fmt::format("10.0.{}.{}:80", i / 200, i % 200), i));
  }
  seed_owned(records);
  probe_.set_yields(3);
  Report report = pass();
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_EQ(report.probes, 300u);
  EXPECT_EQ(probe_.max_in_flight(), static_cast<int>(auto_concurrency(200)));
  EXPECT_EQ(probe_.max_in_flight(), 200 - static_cast<int>(kReservedFiles));
}

TEST_F(ReaperTest, ConcurrencyDoesNotChangeTheSpacingOfChecks) {
  options_.concurrency = 4;
  std::vector<Record> records;
  for (int i = 0; i < 12; ++i) records.push_back(service("h1", fmt::format("s{}", i), fmt::format("10.0.1.{}:80", i), i));
  seed_owned(records);
  probe_.script("10.0.1.3:80", {false});
  probe_.set_latency(100ms);
  Report report = pass();
  auto times = probe_.times_of("10.0.1.3:80");
  ASSERT_EQ(times.size(), 3u);
  EXPECT_GE(times[1] - times[0], 2s);
  EXPECT_GE(times[2] - times[1], 2s);
  EXPECT_EQ(report.deleted, 1u);
}

TEST_F(ReaperTest, DryRunChangesNothingAndSaysWhatItWouldDo) {
  options_.dry_run = true;
  seed_owned({service("h1", "web", "10.0.0.1:80", 1), service("h1", "api", "10.0.0.2:80", 2)});
  probe_.script("10.0.0.2:80", {false});
  Report report = pass();
  EXPECT_TRUE(report.ok);
  EXPECT_TRUE(report.dry_run);
  EXPECT_EQ(report.deleted, 0u);
  EXPECT_EQ(report.dead, 1u);
  EXPECT_TRUE(exists("api"));
  EXPECT_EQ(find(report, "api").decision, Decision::kWouldDelete);
  EXPECT_EQ(mem_.apply_calls(), 0u);
  std::string text = to_text(report);
  EXPECT_NE(text.find("would-delete"), std::string::npos) << text;
  EXPECT_NE(text.find("api.sd.internal CNAME"), std::string::npos) << text;
  EXPECT_NE(text.find("3 consecutive failed checks"), std::string::npos) << text;
  EXPECT_NE(text.find("dry run"), std::string::npos) << text;
}

TEST_F(ReaperTest, AReadOnlyProviderReportsButCannotDelete) {
  provider::InMemoryProvider ro(std::string(kZone), {.set_identifiers = false, .writable = false});
  ro.seed(registry::expand(model::ChangeSet{.create = {service("h1", "web", "10.0.0.1:80", 1),
                                                       service("h1", "api", "10.0.0.2:80", 2)}})
              .create);
  registry::Registry reg(ro, "");
  probe_.script("10.0.0.2:80", {false});
  Report report = pass_on(reg);
  EXPECT_TRUE(report.ok);
  EXPECT_TRUE(report.read_only);
  EXPECT_EQ(report.dead, 1u);
  EXPECT_EQ(report.deleted, 0u);
  EXPECT_EQ(ro.apply_calls(), 0u);
  EXPECT_EQ(find(report, "api").decision, Decision::kReadOnly);
  EXPECT_NE(summary(report).find("read-only provider"), std::string::npos);
}

TEST_F(ReaperTest, AListingFailureFailsThePassAndDeletesNothing) {
  seed_owned({service("h1", "web", "10.0.0.1:80", 1)});
  mem_.fail_next(common::transient_error(common::ErrorCode::kUnavailable, "zone unreachable"));
  Report report = pass();
  EXPECT_FALSE(report.ok);
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_NE(report.errors[0].find("zone unreachable"), std::string::npos);
  EXPECT_TRUE(probe_.calls().empty());
}

TEST_F(ReaperTest, ACompanionWhoseRecordIsGoneIsReapedByItsLabels) {
  Record web = service("h1", "web", "10.0.0.1:80", 1);
  Record api = service("h1", "api", "10.0.0.2:80", 2);
  seed_owned({web});
  mem_.seed({registry::companion_of(api)});  // only the companion of api
  probe_.script("10.0.0.2:80", {false});
  Report report = pass();
  EXPECT_EQ(report.deleted, 1u);
  EXPECT_FALSE(companion_exists("api"));
  EXPECT_TRUE(exists("web"));
}

TEST_F(ReaperTest, ARecordWithoutCompanionGoesOnlyWithItsDeadOwner) {
  Record a = service("h1", "a", "10.0.0.1:80", 1);
  Record b = service("h1", "b", "10.0.0.2:80", 2);
  Record orphan = service("h1", "o", "10.0.0.3:80", 3);
  orphan.labels.clear();
  Record live_orphan = service("h2", "p", "10.0.1.3:80", 4);
  live_orphan.labels.clear();
  seed_owned({a, b, service("h2", "c", "10.0.1.1:80", 5), service("h2", "d", "10.0.1.2:80", 6),
              service("h2", "e", "10.0.1.4:80", 7), service("h3", "f", "10.0.2.1:80", 8),
              service("h3", "g", "10.0.2.2:80", 9)});
  mem_.seed({orphan, live_orphan});  // no companions: owned by their set identifier only
  probe_.script("10.0.0.1:80", {false});
  probe_.script("10.0.0.2:80", {false});
  Report report = pass();
  EXPECT_TRUE(report.ok) << (report.errors.empty() ? "" : report.errors[0]);
  EXPECT_FALSE(exists("o"));
  EXPECT_TRUE(exists("p"));
  EXPECT_EQ(find(report, "o").kind, "orphan");
  EXPECT_EQ(find(report, "p").reason, "ownership data (companion TXT) missing: kept, its agent repairs it");
}

TEST_F(ReaperTest, DeletionsNameExactlyTheListedValues) {
  // The in-memory provider, like Route 53, refuses a delete whose values or TTL differ.
  Record web = service("h1", "web", "10.0.0.1:80", 1);
  Record api = service("h1", "api", "10.0.0.2:80", 2);
  api.ttl = 37;
  api.values = {"somewhere-else.example"};
  seed_owned({web, api, service("h1", "x", "10.0.0.3:80", 3)});
  probe_.script("10.0.0.2:80", {false});
  Report report = pass();
  EXPECT_TRUE(report.ok);
  EXPECT_FALSE(exists("api"));
}

// --- the report

TEST_F(ReaperTest, TheJsonReportDescribesEveryOwnedRecord) {
  seed_owned({service("h1", "web", "10.0.0.1:80", 1, {{"check", "http"}, {"check-http", "/health"},
                                                       {"check-http-status", "200"}}),
              service("h1", "api", "10.0.0.2:80", 2), service("h1", "x", "10.0.0.3:80", 3)});
  mem_.seed({foreign("www", RecordType::kA, "10.9.9.9")});
  probe_.script("10.0.0.2:80", {false});
  Report report = pass();
  report.provider = "inmemory";
  auto v = boost::json::parse(to_json_text(report));
  const auto& o = v.as_object();
  EXPECT_EQ(o.at("zone").as_string(), "sd.internal");
  EXPECT_EQ(o.at("provider").as_string(), "inmemory");
  EXPECT_EQ(o.at("owned").as_int64(), 3);
  EXPECT_EQ(o.at("foreign").as_int64(), 1);
  EXPECT_EQ(o.at("deleted").as_int64(), 1);
  EXPECT_TRUE(o.at("ok").as_bool());
  EXPECT_FALSE(o.at("safety_valve").as_object().at("tripped").as_bool());
  const auto& records = o.at("records").as_array();
  ASSERT_EQ(records.size(), 3u);
  const auto& api = records[0].as_object();  // sorted by name
  EXPECT_EQ(api.at("name").as_string(), "api.sd.internal");
  EXPECT_EQ(api.at("type").as_string(), "CNAME");
  EXPECT_EQ(api.at("target").as_string(), "10.0.0.2:80");
  EXPECT_EQ(api.at("check").as_string(), "tcp");
  EXPECT_EQ(api.at("result").as_string(), "dead");
  EXPECT_EQ(api.at("checks").as_int64(), 3);
  EXPECT_EQ(api.at("detail").as_string(), "connection refused");
  EXPECT_EQ(api.at("decision").as_string(), "deleted");
  EXPECT_EQ(api.at("owner").as_string(), "h1");
  EXPECT_EQ(api.at("ecs").as_object().at("verdict").as_string(), "not-asked");
  const auto& web = records[1].as_object();
  EXPECT_EQ(web.at("check").as_string(), "http GET /health expect 200");
  EXPECT_EQ(web.at("result").as_string(), "healthy");
  EXPECT_EQ(web.at("decision").as_string(), "keep");
  EXPECT_EQ(web.at("reason").as_string(), "healthy");

  // Bounded (the Lambda answer): only the records not kept.
  auto small = boost::json::parse(to_json_text(report, 200)).as_object();
  EXPECT_EQ(small.at("records").as_array().size(), 1u);
  EXPECT_EQ(small.at("records_omitted").as_int64(), 2);
}


}  // namespace
}  // namespace ecssd::reaper
