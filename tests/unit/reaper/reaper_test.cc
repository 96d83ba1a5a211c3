#include "reaper/reaper.h"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fakes/aws/fake_ec2.h"
#include "fakes/aws/fake_ecs.h"
#include "fakes/reaper/fake_probe.h"
#include "fakes/reaper/fake_sleeper.h"
#include "fakes/run_sync.h"
#include "provider/inmemory/inmemory_provider.h"
#include "registry/registry.h"

namespace ecssd::reaper {
namespace {

using namespace std::chrono_literals;
using model::Record;
using model::RecordType;
using testing::FakeProbe;
using testing::FakeSleeper;

constexpr int64_t kNow = 1'700'000'000;  // SimulatedTimeSource's wall clock at start
constexpr std::string_view kZone = "sd.internal";

// A service record as an agent publishes it (cname mode) with its labels.
Record service(const std::string& owner, const std::string& name, const std::string& addr, int index,
               model::Labels extra = {}) {
  Record r;
  r.name = fmt::format("{}.{}", name, kZone);
  r.type = RecordType::kCNAME;
  r.ttl = 10;
  r.values = {owner + ".hosts.example"};
  std::string container = fmt::format("{:012x}", index) + std::string(52, 'a');
  r.set_identifier = fmt::format("ecssd:{}:{}:80-tcp", owner, container.substr(0, 12));
  r.weight = 1;
  r.labels = {{"owner", owner},
              {"kind", "service"},
              {"container", container},
              {"container-name", name + "-" + std::to_string(index)},
              {"service", name},
              {"port", "80/tcp"},
              {"addr", addr},
              {"check", "tcp"},
              {"started", std::to_string(kNow - 3600)}};
  for (auto& [k, v] : extra) r.labels.insert_or_assign(k, v);
  return r;
}

Record host(const std::string& owner, const std::string& ip) {
  Record r;
  r.name = fmt::format("{}.{}", owner, kZone);
  r.type = RecordType::kA;
  r.ttl = 10;
  r.values = {ip};
  r.set_identifier = fmt::format("ecssd:{}:host", owner);
  r.weight = 1;
  r.labels = {{"owner", owner}, {"kind", "host"}};
  return r;
}

Record foreign(const std::string& name, RecordType type, const std::string& value) {
  Record r;
  r.name = fmt::format("{}.{}", name, kZone);
  r.type = type;
  r.ttl = 300;
  r.values = {value};
  return r;
}

class ReaperTest : public ::testing::Test {
 protected:
  ReaperTest() : mem_(std::string(kZone)), reg_(mem_, ""), probe_(time_), sleeper_(time_) {
    options_.health = {.fall = 3, .rise = 1, .interval = 2s};
    options_.check_timeout = 2s;
    options_.grace = 60s;
  }

  void seed_owned(const std::vector<Record>& records) {
    mem_.seed(registry::expand(model::ChangeSet{.create = records}).create);
  }

  Report pass(CloudChecker* cloud = nullptr) {
    Reaper reaper(reg_, probe_, sleeper_, time_, options_, cloud);
    return ecssd::testing::run_sync(io_, reaper.run_pass());
  }

  bool exists(const std::string& name, RecordType type = RecordType::kCNAME) const {
    std::string fqdn = fmt::format("{}.{}", name, kZone);
    for (const auto& r : mem_.records()) {
      if (r.name == fqdn && r.type == type) return true;
    }
    return false;
  }
  bool companion_exists(const std::string& name, RecordType type = RecordType::kCNAME) const {
    std::string fqdn = fmt::format("{}._ecssd.{}.{}", type == RecordType::kA ? "a" : "cname", name, kZone);
    for (const auto& r : mem_.records()) {
      if (r.name == fqdn) return true;
    }
    return false;
  }

  static const RecordReport& find(const Report& report, const std::string& name) {
    std::string fqdn = fmt::format("{}.{}", name, kZone);
    for (const auto& r : report.records) {
      if (r.name == fqdn) return r;
    }
    ADD_FAILURE() << "no report for " << fqdn;
    static RecordReport none;
    return none;
  }

  boost::asio::io_context io_;
  common::SimulatedTimeSource time_;
  provider::InMemoryProvider mem_;
  registry::Registry reg_;
  FakeProbe probe_;
  FakeSleeper sleeper_;
  ReaperOptions options_;
};

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

// A provider that refuses to delete records of one name (Route 53 answering
// InvalidChangeBatch for that change) and passes everything else on.
class RefusingDeletes final : public provider::Provider {
 public:
  RefusingDeletes(provider::InMemoryProvider& inner, std::string name) : inner_(inner), name_(std::move(name)) {}
  const std::string& zone() const override { return inner_.zone(); }
  provider::Capabilities capabilities() const override { return inner_.capabilities(); }
  provider::Task<common::Result<std::vector<Record>>> list() override { co_return co_await inner_.list(); }
  provider::Task<common::Result<provider::ApplyReport>> apply(model::ChangeSet changes) override {
    ++calls;
    std::vector<provider::FailedChange> refused;
    std::erase_if(changes.remove, [&](const Record& r) {
      if (r.name != name_) return false;
      refused.push_back({model::ChangeSet{.remove = {r}},
                         common::make_error(common::ErrorCode::kConflict, "InvalidChangeBatch: " + r.name)});
      return true;
    });
    auto report = co_await inner_.apply(std::move(changes));
    if (report.ok()) {
      for (auto& f : refused) report->failed.push_back(std::move(f));
    }
    co_return report;
  }
  int calls = 0;

 private:
  provider::InMemoryProvider& inner_;
  std::string name_;
};

TEST_F(ReaperTest, AHostRecordStaysWhenDeletingItsOwnersRecordsFails) {
  seed_owned({service("h1", "a", "10.0.0.1:80", 1), host("h1", "10.0.0.1"), service("h2", "c", "10.0.1.1:80", 3),
              service("h2", "d", "10.0.1.2:80", 4), service("h2", "e", "10.0.1.3:80", 5)});
  probe_.script("10.0.0.1:80", {false});
  RefusingDeletes refusing(mem_, "a.sd.internal");
  registry::Registry reg(refusing, "");
  Reaper reaper(reg, probe_, sleeper_, time_, options_);
  Report report = ecssd::testing::run_sync(io_, reaper.run_pass());
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
  Reaper reaper(reg, probe_, sleeper_, time_, options_);
  Report report = ecssd::testing::run_sync(io_, reaper.run_pass());
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

// --- ECS and EC2

class ReaperCloudTest : public ReaperTest {
 protected:
  static constexpr const char* kTaskPrefix = "arn:aws:ecs:us-east-1:123456789012:task/prod/";

  aws::EcsTask task(const std::string& id, const std::string& status = "RUNNING") {
    aws::EcsTask t;
    t.task_arn = kTaskPrefix + id;
    t.cluster_arn = "arn:aws:ecs:us-east-1:123456789012:cluster/prod";
    t.desired_status = status;
    t.last_status = status;
    return t;
  }
  model::Labels on_task(const std::string& id, const std::string& instance = "") {
    model::Labels l = {{"task-arn", kTaskPrefix + id}, {"cluster", "prod"}};
    if (!instance.empty()) l.emplace("instance", instance);
    return l;
  }
  CloudChecker checker() { return CloudChecker(&ecs_, &ec2_, {.clusters = {"prod"}, .region = "us-east-1"}); }

  aws::testing::FakeEcsApi ecs_;
  aws::testing::FakeEc2Api ec2_;
};

TEST_F(ReaperCloudTest, AStoppedTaskIsReapedEvenThoughItsPortAnswers) {
  ecs_.add_task("prod", task("aaa"));
  ecs_.add_task("prod", task("bbb", "STOPPED"));
  ecs_.add_task("prod", task("ccc"));
  seed_owned({service("h1", "a", "10.0.0.1:80", 1, on_task("aaa")),
              service("h1", "b", "10.0.0.2:80", 2, on_task("bbb")),
              service("h1", "c", "10.0.0.3:80", 3, on_task("ccc"))});
  CloudChecker cloud = checker();
  Report report = pass(&cloud);
  EXPECT_TRUE(report.ok);
  EXPECT_FALSE(exists("b"));
  EXPECT_TRUE(exists("a"));
  EXPECT_EQ(probe_.calls_to("10.0.0.2:80"), 0u);  // no probe needed
  const auto& b = find(report, "b");
  EXPECT_EQ(b.ecs, "dead");
  EXPECT_EQ(b.reason, "ECS task STOPPED (desired STOPPED)");
  EXPECT_EQ(find(report, "a").ecs, "alive");
  EXPECT_EQ(find(report, "a").ecs_detail, "RUNNING");
}

TEST_F(ReaperCloudTest, ATaskECSForgotIsDeadOnlyInTheRegionAsked) {
  ecs_.add_task("prod", task("aaa"));
  ecs_.add_task("prod", task("ccc"));
  ecs_.add_task("prod", task("ddd"));
  model::Labels elsewhere = {{"task-arn", "arn:aws:ecs:eu-west-1:123456789012:task/prod/zzz"}, {"cluster", "prod"}};
  seed_owned({service("h1", "a", "10.0.0.1:80", 1, on_task("aaa")),
              service("h1", "gone", "10.0.0.2:80", 2, on_task("forgotten")),
              service("h1", "far", "10.0.0.3:80", 3, elsewhere), service("h1", "c", "10.0.0.4:80", 4, on_task("ccc")),
              service("h1", "d", "10.0.0.5:80", 5, on_task("ddd"))});
  CloudChecker cloud = checker();
  Report report = pass(&cloud);
  EXPECT_FALSE(exists("gone"));
  EXPECT_EQ(find(report, "gone").ecs_detail, "unknown to ECS (stopped and forgotten)");
  EXPECT_TRUE(exists("far"));
  EXPECT_EQ(find(report, "far").ecs, "unknown");
  EXPECT_EQ(find(report, "far").result, "healthy");  // judged by its check only
}

TEST_F(ReaperCloudTest, TasksOfClustersNotReadAreJudgedByTheirChecksOnly) {
  ecs_.add_task("staging", task("sss", "STOPPED"));
  seed_owned({service("h1", "s", "10.0.0.1:80", 1, {{"task-arn", kTaskPrefix + std::string("sss")},
                                                     {"cluster", "staging"}}),
              service("h1", "t", "10.0.0.2:80", 2)});
  CloudChecker cloud = checker();
  Report report = pass(&cloud);
  EXPECT_TRUE(exists("s"));
  EXPECT_EQ(find(report, "s").ecs, "unknown");
  EXPECT_EQ(find(report, "s").ecs_detail, "cluster staging is not read (see --ecs-cluster)");
}

TEST_F(ReaperCloudTest, AllClustersAreReadWithAll) {
  ecs_.add_task("prod", task("aaa"));
  aws::EcsTask staged = task("sss", "STOPPED");
  staged.task_arn = "arn:aws:ecs:us-east-1:123456789012:task/staging/sss";
  ecs_.add_task("staging", staged);
  ecs_.add_task("staging", task("keep"));
  seed_owned({service("h1", "a", "10.0.0.1:80", 1, on_task("aaa")),
              service("h1", "s", "10.0.0.2:80", 2, {{"task-arn", staged.task_arn}}),
              service("h1", "k", "10.0.0.3:80", 3)});
  CloudChecker cloud(&ecs_, &ec2_, {.clusters = {"all"}, .region = "us-east-1"});
  Report report = pass(&cloud);
  EXPECT_FALSE(exists("s"));  // cluster taken from the ARN
  EXPECT_TRUE(exists("a"));
}

TEST_F(ReaperCloudTest, AnECSOutageFailsThePassButHealthChecksStillReap) {
  ecs_.fail_with(common::transient_error(common::ErrorCode::kThrottled, "Rate exceeded"));
  seed_owned({service("h1", "a", "10.0.0.1:80", 1, on_task("aaa")),
              service("h1", "b", "10.0.0.2:80", 2, on_task("bbb")),
              service("h1", "c", "10.0.0.3:80", 3, on_task("ccc"))});
  probe_.script("10.0.0.2:80", {false});
  CloudChecker cloud = checker();
  Report report = pass(&cloud);
  EXPECT_FALSE(report.ok);
  ASSERT_FALSE(report.errors.empty());
  EXPECT_NE(report.errors[0].find("Rate exceeded"), std::string::npos);
  EXPECT_FALSE(exists("b"));
  EXPECT_TRUE(exists("a"));
  EXPECT_EQ(find(report, "a").ecs, "unknown");
}

TEST_F(ReaperCloudTest, RecordsOfAStoppedOrTerminatedInstanceAreReaped) {
  ec2_.add({.instance_id = "i-0aaa", .state = "running"});
  ec2_.add({.instance_id = "i-0bbb", .state = "stopped"});
  ec2_.add({.instance_id = "i-0ccc", .state = "terminated"});
  seed_owned({service("h1", "a", "10.0.0.1:80", 1, {{"instance", "i-0aaa"}}),
              service("h2", "b", "10.0.0.2:80", 2, {{"instance", "i-0bbb"}}),
              service("h3", "c", "10.0.0.3:80", 3, {{"instance", "i-0ccc"}}),
              service("h1", "d", "10.0.0.4:80", 4, {{"instance", "i-0aaa"}}),
              service("h4", "e", "10.0.0.5:80", 5, {{"instance", "i-0fff"}}),  // unknown to EC2
              service("h1", "f", "10.0.0.6:80", 6, {{"instance", "i-0aaa"}})});
  CloudChecker cloud(nullptr, &ec2_, {.region = "us-east-1"});
  Report report = pass(&cloud);
  EXPECT_TRUE(report.ok);
  EXPECT_FALSE(exists("b"));
  EXPECT_FALSE(exists("c"));
  EXPECT_TRUE(exists("a"));
  EXPECT_TRUE(exists("e"));
  EXPECT_EQ(find(report, "b").reason, "EC2 instance i-0bbb is stopped");
  EXPECT_EQ(find(report, "e").ec2, "unknown");
  EXPECT_EQ(find(report, "e").ec2_detail, "unknown to EC2");
  EXPECT_EQ(find(report, "a").ec2, "alive");
}

TEST_F(ReaperCloudTest, StopsTheTaskOfAFailingHttpCheckWhenAsked) {
  options_.stop_failing_tasks = true;
  ecs_.add_task("prod", task("aaa"));
  ecs_.add_task("prod", task("bbb"));
  ecs_.add_task("prod", task("ccc"));
  model::Labels http = on_task("bbb");
  http.emplace("check", "http");
  http.emplace("check-http", "/health");
  model::Labels tcp_failing = on_task("ccc");
  seed_owned({service("h1", "a", "10.0.0.1:80", 1, on_task("aaa")), service("h1", "b", "10.0.0.2:80", 2, http),
              service("h1", "c", "10.0.0.3:80", 3, tcp_failing), service("h1", "d", "10.0.0.4:80", 4),
              service("h1", "e", "10.0.0.5:80", 5)});
  probe_.script("10.0.0.2:80", {false});
  probe_.script("10.0.0.3:80", {false});
  CloudChecker cloud = checker();
  Report report = pass(&cloud);
  EXPECT_TRUE(report.ok);
  // Only the HTTP-checked task is stopped (a TCP failure only reaps the record).
  ASSERT_EQ(ecs_.stops().size(), 1u);
  EXPECT_EQ(ecs_.stops()[0].task, std::string(kTaskPrefix) + "bbb");
  EXPECT_EQ(ecs_.stops()[0].reason, "ecssd health check failed");
  EXPECT_EQ(report.tasks_stopped, 1u);
  EXPECT_EQ(find(report, "b").task_stop, "stopped");
  EXPECT_FALSE(exists("b"));
}

TEST_F(ReaperCloudTest, TasksAreNotStoppedByDefault) {
  ecs_.add_task("prod", task("bbb"));
  model::Labels http = on_task("bbb");
  http.emplace("check", "http");
  seed_owned({service("h1", "b", "10.0.0.2:80", 2, http), service("h1", "c", "10.0.0.3:80", 3),
              service("h1", "d", "10.0.0.4:80", 4)});
  probe_.script("10.0.0.2:80", {false});
  CloudChecker cloud = checker();
  Report report = pass(&cloud);
  EXPECT_EQ(report.deleted, 1u);
  EXPECT_TRUE(ecs_.stops().empty());
  EXPECT_EQ(find(report, "b").task_stop, "");
}

TEST_F(ReaperCloudTest, TasksAreNotStoppedWhenTheSafetyValveTrips) {
  options_.stop_failing_tasks = true;
  ecs_.add_task("prod", task("bbb"));
  model::Labels http = on_task("bbb");
  http.emplace("check", "http");
  seed_owned({service("h1", "b", "10.0.0.2:80", 2, http), service("h1", "c", "10.0.0.3:80", 3)});
  probe_.script("10.0.0.2:80", {false});
  probe_.script("10.0.0.3:80", {false});
  CloudChecker cloud = checker();
  Report report = pass(&cloud);
  EXPECT_TRUE(report.valve.tripped);
  EXPECT_TRUE(ecs_.stops().empty());
  EXPECT_TRUE(exists("b"));
}

TEST_F(ReaperCloudTest, DryRunOnlySaysItWouldStopTheTask) {
  options_.stop_failing_tasks = true;
  options_.dry_run = true;
  ecs_.add_task("prod", task("bbb"));
  model::Labels http = on_task("bbb");
  http.emplace("check", "http");
  seed_owned({service("h1", "b", "10.0.0.2:80", 2, http), service("h1", "c", "10.0.0.3:80", 3)});
  probe_.script("10.0.0.2:80", {false});
  CloudChecker cloud = checker();
  Report report = pass(&cloud);
  EXPECT_TRUE(ecs_.stops().empty());
  EXPECT_EQ(find(report, "b").task_stop, "would-stop");
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
