#include "agent/event_notifier.h"

#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/metrics.h"
#include "common/time_system.h"
#include "fakes/fake_source.h"
#include "provider/inmemory/inmemory_provider.h"
#include "unit/agent/fake_event_sink.h"

namespace ecssd::agent {
namespace {

namespace json = boost::json;
using model::Record;
using model::RecordType;
using testing::FakeEventSink;

// Fails the first `failures` calls with `error`, then answers as the fake does.
class FlakySink final : public EventSink {
 public:
  FlakySink(int failures, common::Error error) : failures_(failures), error_(std::move(error)) {}
  size_t max_batch() const override { return inner_.max_batch(); }
  common::Task<common::Result<std::vector<EventOutcome>>> send(std::vector<Event> events) override {
    ++calls_;
    if (failures_ > 0) {
      --failures_;
      co_return error_;
    }
    co_return co_await inner_.send(std::move(events));
  }
  FakeEventSink& inner() { return inner_; }
  int calls() const { return calls_; }

 private:
  int failures_;
  common::Error error_;
  FakeEventSink inner_;
  int calls_ = 0;
};

Record service_record(std::string name, RecordType type, std::string container, std::string service,
                      std::string port = "80/tcp") {
  Record r;
  r.name = std::move(name);
  r.type = type;
  r.ttl = 10;
  r.values = {"h1.sd.internal"};
  r.set_identifier = fmt::format("ecssd:h1:{}:{}", container.substr(0, 12), port);
  r.weight = 1;
  r.labels = {{"owner", "h1"},
              {"kind", "service"},
              {"container", container},
              {"container-name", "c-" + container.substr(0, 4)},
              {"service", std::move(service)},
              {"port", std::move(port)}};
  return r;
}

Record host_record() {
  Record r;
  r.name = "h1.sd.internal";
  r.type = RecordType::kA;
  r.values = {"10.0.0.1"};
  r.set_identifier = "ecssd:h1:host";
  r.labels = {{"owner", "h1"}, {"kind", "host"}};
  return r;
}

EventNotifierOptions options() {
  EventNotifierOptions o;
  o.bus = "bus";
  o.zone = "sd.internal";
  o.host = {.owner_id = "h1", .host_name = "h1.sd.internal", .host_ip = "10.0.0.1", .instance_id = "i-0123"};
  o.retry_base = std::chrono::milliseconds(1);
  o.retry_cap = std::chrono::milliseconds(2);
  return o;
}

json::object detail(const Event& e) { return json::parse(e.detail).as_object(); }

const common::SystemTime kNow{std::chrono::seconds(1'700'000'000)};

TEST(ContainerEvents, FirstRecordPublishedIsStarted) {
  std::string a(64, 'a');
  Record web = service_record("web.sd.internal", RecordType::kCNAME, a, "web");
  Record api = service_record("api.sd.internal", RecordType::kCNAME, a, "api", "81/tcp");
  web.labels["task-arn"] = "arn:aws:ecs:us-east-1:123456789012:task/prod/abc";
  web.labels["cluster"] = "prod";
  auto events = container_events(model::ChangeSet{.create = {web, api, host_record()}}, {}, options(), kNow);
  ASSERT_EQ(events.size(), 1u);  // one per container; the host record makes none
  const auto& e = events[0];
  EXPECT_EQ(e.source, "ecssd");
  EXPECT_EQ(e.detail_type, "Container Started");
  EXPECT_EQ(e.bus, "bus");
  EXPECT_EQ(e.resources, std::vector<std::string>{"arn:aws:ecs:us-east-1:123456789012:task/prod/abc"});
  EXPECT_EQ(e.time, kNow);
  auto d = detail(e);
  EXPECT_EQ(d.at("container_id").as_string(), a);
  EXPECT_EQ(d.at("container_name").as_string(), "c-aaaa");
  EXPECT_EQ(d.at("task_arn").as_string(), "arn:aws:ecs:us-east-1:123456789012:task/prod/abc");
  EXPECT_EQ(d.at("cluster").as_string(), "prod");
  EXPECT_EQ(d.at("zone").as_string(), "sd.internal");
  const auto& host = d.at("host").as_object();
  EXPECT_EQ(host.at("name").as_string(), "h1.sd.internal");
  EXPECT_EQ(host.at("owner").as_string(), "h1");
  EXPECT_EQ(host.at("ip").as_string(), "10.0.0.1");
  EXPECT_EQ(host.at("instance_id").as_string(), "i-0123");
  const auto& services = d.at("services").as_array();
  ASSERT_EQ(services.size(), 2u);
  EXPECT_EQ(services[0].at("name").as_string(), "api");
  EXPECT_EQ(services[0].at("port").as_string(), "81/tcp");
  EXPECT_EQ(services[1].at("name").as_string(), "web");
  const auto& rec = services[1].at("records").as_array().at(0).as_object();
  EXPECT_EQ(rec.at("name").as_string(), "web.sd.internal");
  EXPECT_EQ(rec.at("type").as_string(), "CNAME");
  EXPECT_EQ(rec.at("values").as_array().at(0).as_string(), "h1.sd.internal");
}

// Several --zone: the event names the zone that holds the container's records.
TEST(ContainerEvents, WithSeveralZonesTheEventNamesTheContainersZone) {
  std::string a(64, 'a'), b(64, 'b');
  auto o = options();
  o.zones = {"sd.internal", "b.internal", "x.b.internal"};
  auto events = container_events(
      model::ChangeSet{.create = {service_record("web.x.b.internal", RecordType::kCNAME, a, "web"),
                                  service_record("api.sd.internal", RecordType::kCNAME, b, "api")}},
      {}, o, kNow);
  ASSERT_EQ(events.size(), 2u);
  std::map<std::string, std::string> zone_of;
  for (const auto& e : events) {
    auto d = detail(e);
    zone_of[std::string(d.at("container_id").as_string())] = std::string(d.at("zone").as_string());
  }
  EXPECT_EQ(zone_of[a], "x.b.internal");  // the longest suffix
  EXPECT_EQ(zone_of[b], "sd.internal");
}

TEST(ContainerEvents, MoreRecordsOfAPublishedContainerAreNotStartedAgain) {
  std::string a(64, 'a');
  Record web = service_record("web.sd.internal", RecordType::kCNAME, a, "web");
  Record api = service_record("api.sd.internal", RecordType::kCNAME, a, "api", "81/tcp");
  EXPECT_TRUE(container_events(model::ChangeSet{.create = {api}}, {web}, options(), kNow).empty());
  // Nor is a container replaced record by record (an update changes nothing).
  Record moved = web;
  moved.values = {"h9.sd.internal"};
  EXPECT_TRUE(container_events(model::ChangeSet{.update = {{web, moved}}}, {web}, options(), kNow).empty());
}

TEST(ContainerEvents, LastRecordWithdrawnIsStopped) {
  std::string a(64, 'a'), b(64, 'b');
  Record web = service_record("web.sd.internal", RecordType::kCNAME, a, "web");
  Record api = service_record("api.sd.internal", RecordType::kCNAME, a, "api", "81/tcp");
  Record other = service_record("web.sd.internal", RecordType::kCNAME, b, "web");
  std::vector<Record> before{web, api, other, host_record()};
  // One of a's two records goes: a still has one.
  EXPECT_TRUE(container_events(model::ChangeSet{.remove = {web}}, before, options(), kNow).empty());
  // Both go: Stopped, naming both; b is not concerned.
  auto events = container_events(model::ChangeSet{.remove = {web, api, host_record()}}, before, options(), kNow);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].detail_type, "Container Stopped");
  EXPECT_EQ(detail(events[0]).at("container_id").as_string(), a);
  EXPECT_EQ(detail(events[0]).at("services").as_array().size(), 2u);
  EXPECT_TRUE(events[0].resources.empty());
}

TEST(ContainerEvents, ARenamedServiceIsNeitherStartedNorStopped) {
  std::string a(64, 'a');
  Record old_name = service_record("web.sd.internal", RecordType::kCNAME, a, "web");
  Record new_name = service_record("www.sd.internal", RecordType::kCNAME, a, "www");
  EXPECT_TRUE(
      container_events(model::ChangeSet{.create = {new_name}, .remove = {old_name}}, {old_name}, options(), kNow)
          .empty());
}

TEST(ContainerEvents, StoppedAndStartedInOneRunComeInThatOrder) {
  std::string a(64, 'a'), b(64, 'b');
  Record old_c = service_record("web.sd.internal", RecordType::kCNAME, b, "web");
  Record new_c = service_record("web.sd.internal", RecordType::kCNAME, a, "web");
  auto events = container_events(model::ChangeSet{.create = {new_c}, .remove = {old_c}}, {old_c}, options(), kNow);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].detail_type, "Container Stopped");
  EXPECT_EQ(events[1].detail_type, "Container Started");
}

class NotifierTest : public ::testing::Test {
 protected:
  // Runs what is ready, without moving simulated time.
  void settle() { time_.run_for(io_, std::chrono::milliseconds(0)); }
  void run_for(std::chrono::milliseconds total) { time_.run_for(io_, total); }
  EventNotifier notifier(EventSink& sink, EventNotifierOptions o = options()) {
    return EventNotifier(io_, sink, std::move(o), time_, common::Scope(metrics_));
  }

  common::SimulatedTimeSystem time_;  // before the io_context whose coroutines hold its timers
  boost::asio::io_context io_;
  common::Metrics metrics_;
};

TEST_F(NotifierTest, SendsAfterApplyInBatchesOfTen) {
  FakeEventSink api;
  EventNotifier n = notifier(api);
  model::ChangeSet cs;
  for (int i = 0; i < 23; ++i) {
    cs.create.push_back(service_record("web.sd.internal", RecordType::kCNAME, fmt::format("{:064d}", i), "web"));
  }
  n.on_applied(cs, {});
  EXPECT_FALSE(n.idle());
  settle();
  EXPECT_TRUE(n.idle());
  EXPECT_EQ(api.accepted().size(), 23u);
  EXPECT_EQ(n.stats().sent, 23u);
  EXPECT_EQ(n.stats().calls, 3u);
  EXPECT_EQ(n.stats().failed, 0u);
}

TEST_F(NotifierTest, TransientFailuresAreRetried) {
  FlakySink api(2, common::transient_error(common::ErrorCode::kThrottled, "slow down"));
  EventNotifier n = notifier(api);
  n.on_applied(model::ChangeSet{.create = {service_record("web.sd.internal", RecordType::kCNAME,
                                                          std::string(64, 'a'), "web")}},
               {});
  run_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(n.idle());
  EXPECT_EQ(api.calls(), 3);
  EXPECT_EQ(api.inner().accepted().size(), 1u);
  EXPECT_EQ(n.stats().sent, 1u);
  EXPECT_EQ(n.stats().failed, 0u);
}

// The wait between attempts is a timer of the notifier's time system.
TEST_F(NotifierTest, RetriesWaitOnTheTimeSystem) {
  FlakySink api(1, common::transient_error(common::ErrorCode::kUnavailable, "unreachable"));
  auto o = options();
  o.retry_base = std::chrono::seconds(5);
  o.retry_cap = std::chrono::seconds(5);
  EventNotifier n = notifier(api, o);
  n.on_applied(model::ChangeSet{.create = {service_record("web.sd.internal", RecordType::kCNAME,
                                                          std::string(64, 'a'), "web")}},
               {});
  settle();
  const auto t0 = time_.steady_now();
  EXPECT_TRUE(time_.run_until(io_, [&] { return n.idle(); }, std::chrono::seconds(5)));
  EXPECT_LE(time_.steady_now() - t0, std::chrono::seconds(5));  // within the backoff's ceiling
  EXPECT_EQ(api.calls(), 2);
  EXPECT_EQ(n.stats().sent, 1u);
}

TEST_F(NotifierTest, FailuresAreCountedAndDropped) {
  FlakySink api(100, common::make_error(common::ErrorCode::kNotFound, "no such bus"));
  EventNotifier n = notifier(api);
  n.on_applied(model::ChangeSet{.create = {service_record("web.sd.internal", RecordType::kCNAME,
                                                          std::string(64, 'a'), "web")}},
               {});
  settle();
  EXPECT_TRUE(n.idle());
  EXPECT_EQ(api.calls(), 1);  // not transient: not retried
  EXPECT_EQ(n.stats().failed, 1u);

  // Entries EventBridge rejects one by one are counted too.
  FakeEventSink rejecting;
  rejecting.reject("Container Started");
  EventNotifier m = notifier(rejecting);
  m.on_applied(model::ChangeSet{.create = {service_record("web.sd.internal", RecordType::kCNAME,
                                                          std::string(64, 'b'), "web")}},
               {});
  settle();
  EXPECT_EQ(m.stats().failed, 1u);
  EXPECT_EQ(m.stats().sent, 0u);
}

TEST_F(NotifierTest, TheQueueIsBounded) {
  FakeEventSink api;
  auto o = options();
  o.max_queued = 5;
  EventNotifier n = notifier(api, o);
  model::ChangeSet cs;
  for (int i = 0; i < 8; ++i) {
    cs.create.push_back(service_record("web.sd.internal", RecordType::kCNAME, fmt::format("{:064d}", i), "web"));
  }
  n.on_applied(cs, {});
  EXPECT_EQ(n.stats().dropped, 3u);
  settle();
  EXPECT_EQ(api.accepted().size(), 5u);
}

TEST_F(NotifierTest, StopDropsWhatIsQueued) {
  FakeEventSink api;
  EventNotifier n = notifier(api);
  n.on_applied(model::ChangeSet{.create = {service_record("web.sd.internal", RecordType::kCNAME,
                                                          std::string(64, 'a'), "web")}},
               {});
  n.stop();
  settle();
  EXPECT_TRUE(api.accepted().empty());
  EXPECT_EQ(n.stats().dropped, 1u);
  n.on_applied(model::ChangeSet{.create = {service_record("web.sd.internal", RecordType::kCNAME,
                                                          std::string(64, 'b'), "web")}},
               {});
  settle();
  EXPECT_TRUE(api.accepted().empty());
}

// Through the agent's loop: one Started per container when it appears, one
// Stopped when it goes, none for records that were already there.
TEST_F(NotifierTest, TheAgentReportsContainersAppearingAndGoing) {
  auto mem = std::make_unique<provider::InMemoryProvider>("sd.internal");
  provider::CachedProvider cache(std::move(mem));
  ecssd::testing::FakeSource source;
  Options ao;
  ao.records.zone = "sd.internal";
  ao.records.host = {.owner_id = "h1", .host_name = "h1.sd.internal", .host_ip = "10.0.0.1"};
  ao.resync = std::chrono::milliseconds(0);
  auto svc = [](std::string id, std::string name, uint16_t port) {
    model::Service s;
    s.container_id = id + std::string(64 - id.size(), '0');
    s.container_name = "c-" + id;
    s.name = std::move(name);
    s.container_port = port;
    s.host_port = port;
    return s;
  };
  FakeEventSink api;
  EventNotifier n = notifier(api);
  {
    Agent agent(io_, source, cache, ao, time_, common::Scope(metrics_));
    agent.add_observer(&n);
    agent.start();
    source.set({svc("a", "web", 80), svc("a", "api", 81), svc("b", "web", 82)});
    settle();
    ASSERT_EQ(api.accepted().size(), 2u);
    EXPECT_EQ(api.accepted()[0].detail_type, "Container Started");
    EXPECT_EQ(api.accepted()[1].detail_type, "Container Started");
    source.set({svc("b", "web", 82)});
    settle();
    ASSERT_EQ(api.accepted().size(), 3u);
    EXPECT_EQ(api.accepted()[2].detail_type, "Container Stopped");
    EXPECT_EQ(json::parse(api.accepted()[2].detail).at("container_id").as_string(), "a" + std::string(63, '0'));
    agent.stop();
    settle();
  }
  // A restarted agent finds b's records: no new Started for b.
  cache.invalidate();
  Agent again(io_, source, cache, ao, time_, common::Scope(metrics_));
  again.add_observer(&n);
  again.start();
  source.set({svc("b", "web", 82), svc("c", "web", 83)});
  settle();
  ASSERT_EQ(api.accepted().size(), 4u);
  EXPECT_EQ(json::parse(api.accepted()[3].detail).at("container_id").as_string(), "c" + std::string(63, '0'));
  // --remove-all: Stopped for each.
  again.stop();
  settle();
  Agent last(io_, source, cache, ao, time_, common::Scope(metrics_));
  last.add_observer(&n);
  bool done = false;
  boost::asio::co_spawn(io_, last.remove_all(), [&](std::exception_ptr, common::Status s) { done = s.ok(); });
  settle();
  EXPECT_TRUE(done);
  ASSERT_EQ(api.accepted().size(), 6u);
  EXPECT_EQ(api.accepted()[4].detail_type, "Container Stopped");
  EXPECT_EQ(api.accepted()[5].detail_type, "Container Stopped");
}

}  // namespace
}  // namespace ecssd::agent
