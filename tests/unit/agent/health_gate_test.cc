// The agent's health gate on simulated time with a scripted probe: what is
// admitted for publication and when, where the checks go, the flap hold, the
// agent's verdict labels, and (with the agent and an in-memory provider) that
// records change on transitions only, never per probe.
#include "agent/health_gate.h"

#include <optional>

#include <fmt/format.h>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>

#include "agent/agent.h"
#include "agent/status_view.h"
#include "common/metrics.h"
#include "common/time_system.h"
#include "fakes/fake_source.h"
#include "fakes/health/fake_probe.h"
#include "provider/inmemory/inmemory_provider.h"

namespace ecssd::agent {
namespace {

using namespace std::chrono_literals;
using health::testing::FakeProbe;

model::Service svc(std::string id, std::string name, uint16_t port, bool checked = true) {
  model::Service s;
  s.container_id = id + std::string(64 - id.size(), '0');
  s.container_name = "c-" + id;
  s.name = std::move(name);
  s.container_port = 80;
  s.host_port = port;
  s.container_ip = "172.17.0.2";
  s.check.declared = checked;
  if (checked) {
    s.check.kind = model::HealthCheck::Kind::kHttp;
    s.check.http_path = "/health";
    s.check.interval = "1s";
  }
  return s;
}

class HealthGateTest : public ::testing::Test {
 protected:
  HealthGateTest() {
    options_.checks.records.zone = "sd.internal";
    options_.checks.records.host = {.owner_id = "h1", .host_name = "h1.example", .host_ip = "10.0.0.1"};
  }
  std::unique_ptr<HealthGate> make() {
    auto g = std::make_unique<HealthGate>(io_, probe_, options_, time_, common::Scope(metrics_), &events_);
    g->start([this] { ++changes_; });
    return g;
  }
  void run_for(common::Duration d) { time_.run_for(io_, d); }
  std::vector<model::Service> admit(HealthGate& g, std::vector<model::Service> in) { return g.admit(in, published_); }
  std::vector<std::string> kinds() const {
    std::vector<std::string> out;
    for (const auto& e : events_.events()) out.push_back(e.kind);
    return out;
  }

  common::SimulatedTimeSystem time_;
  boost::asio::io_context io_;
  common::Metrics metrics_;
  FakeProbe probe_{time_};
  EventLog events_;
  HealthGateOptions options_;
  std::map<std::string, int64_t> published_;
  int changes_ = 0;
};

TEST_F(HealthGateTest, ServicesWithoutACheckPassThroughUnchanged) {
  auto g = make();
  auto s = svc("a", "web", 18081, false);
  auto out = admit(*g, {s});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], s);  // no verdict: the same labels as without the gate
  run_for(30s);
  EXPECT_TRUE(probe_.calls().empty());
  EXPECT_EQ(g->find(instance_key(s)), nullptr);  // no state kept for it
  ASSERT_EQ(g->instances({s}).size(), 1u);
  EXPECT_EQ(g->instances({s})[0].state, GateState::kUnchecked);
  g->stop();
  run_for(0s);
}

TEST_F(HealthGateTest, ADeclaredCheckIsAdmittedOnlyAfterRisePassesSpacedByTheInterval) {
  auto g = make();
  auto s = svc("a", "web", 18081);
  s.check.rise = 2;
  probe_.script("10.0.0.1:18081", {false, true});
  EXPECT_TRUE(admit(*g, {s}).empty());
  run_for(0s);
  EXPECT_EQ(probe_.calls_to("10.0.0.1:18081"), 1u);  // at once
  EXPECT_EQ(probe_.calls()[0].spec.kind, health::CheckKind::kHttp);
  EXPECT_EQ(probe_.calls()[0].spec.http_path, "/health");
  run_for(1s);
  EXPECT_TRUE(admit(*g, {s}).empty());  // 1 of 2 passes
  EXPECT_EQ(g->find(instance_key(s))->state, GateState::kWaiting);
  const int before = changes_;
  run_for(1s);
  auto out = admit(*g, {s});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(changes_, before + 1);  // one plan run for the transition
  EXPECT_EQ(out[0].verdict.state, "passing");
  EXPECT_EQ(out[0].verdict.since_unix, std::chrono::system_clock::to_time_t(time_.system_now()));
  auto times = probe_.times_of("10.0.0.1:18081");
  ASSERT_EQ(times.size(), 3u);
  EXPECT_EQ(times[1] - times[0], 1s);
  EXPECT_EQ(times[2] - times[1], 1s);
  EXPECT_EQ(kinds(), (std::vector<std::string>{"waiting", "passing"}));
  g->stop();
  run_for(0s);
}

TEST_F(HealthGateTest, UntilItsFirstVerdictAServiceIsCheckedAtTheStartInterval) {
  // A port that opens a moment after its container starts fails the first
  // check; the next comes after the start interval (1s), not the interval.
  auto g = make();
  auto late = svc("a", "web", 18081);
  late.check.interval = "10s";
  probe_.script("10.0.0.1:18081", {false, true});
  auto broken = svc("b", "api", 18082);
  broken.check.interval = "10s";
  broken.check.fall = 2;
  probe_.script("10.0.0.1:18082", {false});
  admit(*g, {late, broken});
  run_for(0s);
  run_for(1s);
  ASSERT_EQ(admit(*g, {late, broken}).size(), 1u);  // the late one, a second after its first check
  EXPECT_EQ(g->find(instance_key(broken))->state, GateState::kFailing);
  run_for(25s);
  auto t = probe_.times_of("10.0.0.1:18081");
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[1] - t[0], 1s);
  EXPECT_EQ(t[2] - t[1], 10s);  // a verdict: the interval
  EXPECT_EQ(t[3] - t[2], 10s);
  auto u = probe_.times_of("10.0.0.1:18082");  // failing is a verdict too
  ASSERT_EQ(u.size(), 4u);
  EXPECT_EQ(u[1] - u[0], 1s);
  EXPECT_EQ(u[2] - u[1], 10s);
  // Never quicker than the service's own interval.
  options_.checks.defaults.start_interval = 5s;
  auto g2 = make();
  auto quick = svc("c", "db", 18083);  // every 1s
  probe_.script("10.0.0.1:18083", {false});
  admit(*g2, {quick});
  run_for(0s);
  run_for(2s);
  auto v = probe_.times_of("10.0.0.1:18083");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[1] - v[0], 1s);
  g->stop();
  g2->stop();
  run_for(0s);
}

TEST_F(HealthGateTest, FailingFallTimesWithdrawsAndPassingAgainReadmits) {
  auto g = make();
  auto s = svc("a", "web", 18081);
  s.check.fall = 3;
  admit(*g, {s});
  run_for(0s);
  ASSERT_EQ(admit(*g, {s}).size(), 1u);
  probe_.script("10.0.0.1:18081", {false});
  const int before = changes_;
  run_for(2s);  // two failures: still admitted, nothing changes
  EXPECT_EQ(admit(*g, {s}).size(), 1u);
  EXPECT_EQ(changes_, before);
  run_for(1s);
  EXPECT_TRUE(admit(*g, {s}).empty());
  EXPECT_EQ(g->find(instance_key(s))->state, GateState::kFailing);
  EXPECT_EQ(g->find(instance_key(s))->last_result, "connection refused");
  probe_.script("10.0.0.1:18081", {true});
  run_for(1s);
  EXPECT_EQ(admit(*g, {s}).size(), 1u);
  EXPECT_EQ(kinds(), (std::vector<std::string>{"waiting", "passing", "failing", "passing"}));
  g->stop();
  run_for(0s);
}

TEST_F(HealthGateTest, ChecksGoWhereTheRecordsPoint) {
  CheckSettings host = options_.checks;
  auto s = svc("a", "web", 18081);
  EXPECT_EQ(service_check(s, host).spec.target(), "10.0.0.1:18081");
  CheckSettings container = host;
  container.records.target = model::TargetMode::kContainer;
  EXPECT_EQ(service_check(s, container).spec.target(), "172.17.0.2:80");
  s.host_port = 0;
  EXPECT_FALSE(service_check(s, host).checked);
  EXPECT_NE(service_check(s, host).note.find("no address"), std::string::npos);
}

TEST_F(HealthGateTest, CheckAllTcpChecksEveryTcpServiceButUdpAndOptedOut) {
  CheckSettings all = options_.checks;
  all.check_all_tcp = true;
  all.defaults.interval = 7s;
  auto plain = svc("a", "web", 18081, false);
  auto c = service_check(plain, all);
  EXPECT_TRUE(c.checked);
  EXPECT_EQ(c.spec.kind, health::CheckKind::kTcp);
  EXPECT_EQ(c.interval, 7s);
  EXPECT_EQ(c.rise, 1);
  EXPECT_EQ(c.fall, 3);
  auto udp = plain;
  udp.protocol = "udp";
  EXPECT_FALSE(service_check(udp, all).checked);
  EXPECT_TRUE(service_check(udp, all).note.empty());  // quietly: nothing asked for it
  auto out = plain;
  out.check.opted_out = true;
  EXPECT_FALSE(service_check(out, all).checked);
  EXPECT_FALSE(service_check(plain, options_.checks).checked);  // without --check-all: as before
  auto declared_udp = svc("b", "dns", 53);
  declared_udp.protocol = "udp";
  EXPECT_NE(service_check(declared_udp, options_.checks).note.find("udp"), std::string::npos);
}

TEST_F(HealthGateTest, AFlappingCheckIsHeldOnceThenReleasedAfterAStableMinute) {
  options_.flap = {.limit = 5, .window = 60s, .stable = 60s};
  auto g = make();
  auto s = svc("a", "web", 18081);
  s.check.fall = 1;
  std::vector<bool> flapping;
  for (int i = 0; i < 20; ++i) flapping.push_back(i % 2 == 0);
  flapping.push_back(true);  // then steady
  probe_.script("10.0.0.1:18081", flapping);
  admit(*g, {s});
  run_for(10s);
  EXPECT_EQ(g->find(instance_key(s))->state, GateState::kHeld);
  EXPECT_TRUE(admit(*g, {s}).empty());
  run_for(10s);  // still flapping: nothing more is said
  auto k = kinds();
  EXPECT_EQ(std::count(k.begin(), k.end(), "held"), 1);
  // 6 verdict changes started the hold; none is logged while held.
  EXPECT_EQ(std::count(k.begin(), k.end(), "passing") + std::count(k.begin(), k.end(), "failing"), 6);
  run_for(59s);
  EXPECT_EQ(g->find(instance_key(s))->state, GateState::kHeld);
  run_for(2s);
  EXPECT_EQ(g->find(instance_key(s))->state, GateState::kPassing);
  EXPECT_EQ(admit(*g, {s}).size(), 1u);
  EXPECT_EQ(kinds().back(), "released");
  g->stop();
  run_for(0s);
}

TEST_F(HealthGateTest, AnInstanceAlreadyPublishedStaysUntilItsOwnChecksFail) {
  auto g = make();
  auto s = svc("a", "web", 18081);
  published_[instance_key(s)] = 1'700'000'000;
  probe_.script("10.0.0.1:18081", {false});
  auto out = admit(*g, {s});
  ASSERT_EQ(out.size(), 1u);  // a restarted agent withdraws nothing on ignorance
  EXPECT_EQ(out[0].verdict.since_unix, 1'700'000'000);  // its labels are unchanged
  run_for(1500ms);  // two failures
  EXPECT_EQ(admit(*g, {s}).size(), 1u);
  run_for(1s);
  EXPECT_TRUE(admit(*g, {s}).empty());
  g->stop();
  run_for(0s);
}

TEST_F(HealthGateTest, AChangedCheckStartsOverAndAGoneServiceIsForgotten) {
  auto g = make();
  auto s = svc("a", "web", 18081);
  admit(*g, {s});
  run_for(0s);
  ASSERT_EQ(admit(*g, {s}).size(), 1u);
  s.host_port = 18090;  // restarted on another port
  EXPECT_TRUE(admit(*g, {s}).empty());
  run_for(0s);
  EXPECT_EQ(probe_.calls_to("10.0.0.1:18090"), 1u);
  EXPECT_EQ(admit(*g, {s}).size(), 1u);
  admit(*g, {});
  EXPECT_TRUE(g->instances().empty());
  const size_t calls = probe_.calls().size();
  run_for(5s);
  EXPECT_EQ(probe_.calls().size(), calls);  // its queued checks are dropped
  g->stop();
  run_for(0s);
}

TEST_F(HealthGateTest, ProbesInFlightAreBoundedAndEveryServiceIsStillChecked) {
  options_.concurrency = 4;
  probe_.set_latency(300ms);
  auto g = make();
  std::vector<model::Service> all;
  for (int i = 0; i < 40; ++i) all.push_back(svc(fmt::format("{:03d}", i), "web", static_cast<uint16_t>(20000 + i)));
  admit(*g, all);
  run_for(4s);
  EXPECT_LE(probe_.max_in_flight(), 4);
  EXPECT_EQ(admit(*g, all).size(), 40u);
  g->stop();
  run_for(1s);
  EXPECT_TRUE(g->finished());
}

TEST_F(HealthGateTest, SettleResolvesOnceEveryCheckHasAVerdict) {
  auto g = make();
  auto s = svc("a", "web", 18081);
  s.check.rise = 3;
  admit(*g, {s});
  bool done = false;
  boost::asio::co_spawn(io_, g->settle(time_.steady_now() + 30s), [&](std::exception_ptr) { done = true; });
  run_for(1s);
  EXPECT_FALSE(done);
  run_for(1s);
  EXPECT_TRUE(done);
  EXPECT_EQ(admit(*g, {s}).size(), 1u);
  g->stop();
  run_for(0s);
}

// --- with the agent and a provider

class GatedAgentTest : public HealthGateTest {
 protected:
  GatedAgentTest() {
    auto mem = std::make_unique<provider::InMemoryProvider>("sd.internal");
    mem_ = mem.get();
    cache_ = std::make_unique<provider::CachedProvider>(std::move(mem));
    agent_options_.records = options_.checks.records;
    agent_options_.resync = 0ms;
  }
  size_t cnames() const {
    size_t n = 0;
    for (const auto& r : mem_->records()) n += r.type == model::RecordType::kCNAME;
    return n;
  }
  // A copy: records() returns a fresh vector, a pointer into it would dangle.
  std::optional<model::Record> cname() const {
    for (const auto& r : mem_->records()) {
      if (r.type == model::RecordType::kCNAME) return r;
    }
    return std::nullopt;
  }
  // The ownership companion's text (where the labels are stored).
  std::string companion() const {
    for (const auto& r : mem_->records()) {
      if (r.type == model::RecordType::kTXT) return r.values.empty() ? "" : r.values[0];
    }
    return "";
  }
  provider::InMemoryProvider* mem_;
  std::unique_ptr<provider::CachedProvider> cache_;
  ecssd::testing::FakeSource source_;
  Options agent_options_;
};

TEST_F(GatedAgentTest, PublishedAfterThePassWithdrawnAfterFallAndNoChangePerProbe) {
  HealthGate gate(io_, probe_, options_, time_, common::Scope(metrics_), &events_);
  Agent agent(io_, source_, *cache_, agent_options_, time_, common::Scope(metrics_));
  agent.set_gate(&gate);
  StatusView view(gate, &agent, events_, time_, common::Scope(metrics_), {.host = "h1"});
  agent.add_observer(&view);
  probe_.script("10.0.0.1:18081", {false});
  agent.start();
  source_.set({svc("a", "web", 18081)});
  run_for(5s);
  EXPECT_EQ(cnames(), 0u);  // 404 (here: refused): not published
  probe_.script("10.0.0.1:18081", {true});
  run_for(1s);
  ASSERT_EQ(cnames(), 1u);  // within one interval
  EXPECT_NE(companion().find("\"health=passing\""), std::string::npos) << companion();
  const size_t applies = mem_->apply_calls();
  run_for(30s);  // 30 passing probes
  EXPECT_EQ(mem_->apply_calls(), applies);  // no update per probe
  probe_.script("10.0.0.1:18081", {false});
  run_for(2s);
  EXPECT_EQ(cnames(), 1u);
  run_for(1s);
  EXPECT_EQ(cnames(), 0u);  // withdrawn after fall (3) intervals

  auto doc = view.services().as_object();
  auto& inst = doc["services"].as_array()[0].as_object()["instances"].as_array()[0].as_object();
  EXPECT_EQ(inst["health"].as_string(), "failing");
  EXPECT_FALSE(inst["published"].as_bool());
  EXPECT_EQ(inst["why_not"].as_string(), "check failing: connection refused");
  EXPECT_EQ(inst["target"].as_string(), "10.0.0.1:18081");
  std::vector<std::string> k = kinds();
  EXPECT_EQ(k, (std::vector<std::string>{"waiting", "failing", "passing", "published", "failing", "withdrawn"}));
  std::string text = metrics_.render();
  EXPECT_NE(text.find("ecssd_services{state=\"failing\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("ecssd_publish_latency_seconds_count 1"), std::string::npos);
  EXPECT_NE(text.find("ecssd_health_checks_total{outcome=\"refused\"}"), std::string::npos);
  agent.stop();
  run_for(1s);
  EXPECT_TRUE(agent.finished());
}

TEST_F(GatedAgentTest, TheStatusSaysWhyAServiceIsNotPublished) {
  HealthGate gate(io_, probe_, options_, time_, common::Scope(metrics_), &events_);
  Agent agent(io_, source_, *cache_, agent_options_, time_, common::Scope(metrics_));
  agent.set_gate(&gate);
  StatusView view(gate, &agent, events_, time_, common::Scope(metrics_), {.host = "h1", .zone = "sd.internal"});
  agent.add_observer(&view);
  agent.start();
  auto unpublished = svc("a", "web", 0, false);  // not published on the host: the builder rejects it
  auto plain = svc("b", "api", 18082, false);
  auto waiting = svc("c", "search", 18083);
  waiting.check.rise = 3;
  source_.set({unpublished, plain, waiting});
  run_for(0s);
  auto doc = view.services().as_object();
  std::map<std::string, boost::json::object> by_name;
  for (auto& sv : doc["services"].as_array()) {
    by_name[std::string(sv.as_object().at("name").as_string())] = sv.as_object();
  }
  auto first = [&](const std::string& name) { return by_name[name]["instances"].as_array()[0].as_object(); };
  EXPECT_EQ(first("api")["health"].as_string(), "unchecked");
  EXPECT_TRUE(first("api")["published"].as_bool());
  EXPECT_EQ(first("api")["target"].as_string(), "10.0.0.1:18082");
  EXPECT_EQ(first("api")["records"].as_array()[0].as_string(), "api.sd.internal CNAME h1.example");
  EXPECT_FALSE(first("web")["published"].as_bool());
  EXPECT_NE(std::string(first("web")["why_not"].as_string()).find("is not published on the host"),
            std::string::npos);
  EXPECT_EQ(first("search")["health"].as_string(), "waiting");
  EXPECT_EQ(first("search")["why_not"].as_string(), "waiting for its check: 1 of 3 passes, last: connected");
  EXPECT_EQ(by_name["search"]["health"].as_string(), "warning");  // waiting, none failing
  EXPECT_EQ(by_name["api"]["health"].as_string(), "passing");
  EXPECT_EQ(doc["summary"].as_object()["published"].as_uint64(), 1u);
  EXPECT_EQ(doc["summary"].as_object()["waiting"].as_uint64(), 1u);
  auto events = view.events(10).as_object()["events"].as_array();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].as_object()["kind"].as_string(), "published");  // newest first
  agent.stop();
  run_for(1s);
}

TEST_F(GatedAgentTest, OnceWaitsForTheChecksVerdicts) {
  HealthGate gate(io_, probe_, options_, time_, common::Scope(metrics_), &events_);
  Agent agent(io_, source_, *cache_, agent_options_, time_, common::Scope(metrics_));
  agent.set_gate(&gate);
  source_.set({svc("a", "web", 18081), svc("b", "api", 18082)});
  probe_.script("10.0.0.1:18082", {false});
  common::Status status;
  bool done = false;
  boost::asio::co_spawn(io_, agent.sync_once(30s), [&](std::exception_ptr, common::Status s) {
    status = s;
    done = true;
  });
  EXPECT_TRUE(time_.run_until(io_, [&] { return done; }, 1min));
  EXPECT_TRUE(status.ok());
  ASSERT_EQ(cnames(), 1u);
  EXPECT_EQ(cname()->name, "web.sd.internal");
  run_for(3s);
}

}  // namespace
}  // namespace ecssd::agent
