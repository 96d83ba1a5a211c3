#include "source/docker/docker_source.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "common/metrics.h"
#include "common/time_system.h"
#include "fakes/fake_docker_engine.h"
#include "test_util.h"

namespace ecssd::source {
namespace {

namespace json = boost::json;
using fakes::FakeDockerEngine;
using fakes::run_until;
using fakes::run_until_idle;
using testutil::fixture;
using namespace std::chrono_literals;

constexpr const char* kWebMulti = "079ff28a82056e988f45de27f762b28789d9e293bb79ad61d041cc98b37b1061";
constexpr const char* kHostnet = "3ad06cecf4a79232c68fe6e5349a605301b1c0ab11ab51cff2b42110c5cf59e7";
constexpr const char* kHc = "ceaa497392cf5eff324fe06063c32628b25d752f9e4b44995e7e6587554dbad0";
constexpr const char* kBad = "f4eb308cc6c7760c1e5d02d745dacdc2e22c95c8140ed31f1dc2bbbc5766fe84";
constexpr const char* kPweb = "b44b0502dd365b3bba000b82ba1fd23759638d141413348d33f4d42bf43a1df0";
constexpr const char* kCrash = "bd6ec864844656321fe8e7711bb016a3a9b71190ce93a6fc28514f6cdcf38adf";

// A host-network container declaring SERVICE_<port>_NAME=<service>.
json::object hostnet_container(const std::string& id, const std::string& name, const std::string& service, int port) {
  auto o = json::parse(fixture("docker-20.10/inspect-hostnet.json")).as_object();
  o["Id"] = id;
  o["Name"] = "/" + name;
  o["Config"].as_object()["Env"] = json::array{json::string(fmt::format("SERVICE_{}_NAME={}", port, service))};
  return o;
}

std::string id_of(int n) { return fmt::format("{:064x}", n); }

std::set<std::string> names(const std::vector<model::Service>& services) {
  std::set<std::string> out;
  for (const auto& s : services) out.insert(s.name);
  return out;
}

// The fake engine talks to the source over a real unix socket on io_, so the
// tests run io_ until a condition holds. Time is simulated: it moves only
// when a test lets a reconnect backoff pass (retry, wait_retrying), so no
// test depends on how fast the machine is.
class DockerSourceTest : public ::testing::Test {
 protected:
  DockerSourceTest() : engine_(io_) {}

  ~DockerSourceTest() override {
    if (source_) source_->stop();
    settle();
  }

  DockerSourceOptions options() {
    DockerSourceOptions o;
    o.docker_host = engine_.docker_host();
    o.request_timeout = 1000ms;
    o.backoff_base = 5ms;
    o.backoff_cap = 20ms;
    return o;
  }

  void start_source(DockerSourceOptions o) {
    source_ = std::make_unique<DockerSource>(io_, std::move(o), time_, common::Scope(metrics_));
    source_->start([this] {
      ++changes_;
      snapshots_.push_back(source_->services());
    });
  }
  void start_source() { start_source(options()); }

  // Runs io_ until f() holds (the limit only guards against a hang). Never
  // moves simulated time: no reconnect happens while waiting.
  bool wait(const std::function<bool()>& f, std::chrono::milliseconds limit = 10'000ms) {
    return run_until(io_, f, limit);
  }

  // Lets the pending reconnect backoff pass: simulated time moves to its
  // expiry. False when no backoff is pending.
  bool retry() {
    auto expiry = time_.next_expiry();
    if (!expiry) return false;
    time_.advance(*expiry - time_.steady_now());
    return true;
  }

  // As wait(), letting every reconnect backoff pass as it comes.
  bool wait_retrying(const std::function<bool()>& f, std::chrono::milliseconds limit = 10'000ms) {
    return run_until(
        io_,
        [&] {
          if (f()) return true;
          retry();
          return false;
        },
        limit);
  }

  // Synced, and the (posted) change notification delivered.
  bool wait_synced() {
    return wait([&] { return source_->synced() && changes_ > 0; });
  }

  bool has(std::string_view name) {
    for (const auto& s : source_->services()) {
      if (s.name == name) return true;
    }
    return false;
  }

  // Runs io_ until nothing is ready: every answer the engine sent has been
  // read and acted on, and every request that caused has been answered
  // (except held ones).
  void settle() { run_until_idle(io_); }

  common::SimulatedTimeSystem time_;  // before io_: the source's timers come from it
  common::Metrics metrics_;
  boost::asio::io_context io_;
  FakeDockerEngine engine_;
  std::unique_ptr<DockerSource> source_;
  int changes_ = 0;
  std::vector<std::vector<model::Service>> snapshots_;
};

TEST_F(DockerSourceTest, StartUpListsAndInspectsEveryFixture) {
  for (const char* f :
       {"docker-20.10/inspect-web-multi.json", "docker-20.10/inspect-hostnet.json", "docker-20.10/inspect-hc.json",
        "docker-20.10/inspect-bad.json", "podman-4.3/inspect-pweb.json"}) {
    engine_.put_json(fixture(f));
  }
  engine_.start();
  start_source();
  ASSERT_TRUE(wait_synced());
  EXPECT_EQ(names(source_->services()), (std::set<std::string>{"web", "web-tls", "_stats._udp", "api", "hc", "papi"}));
  EXPECT_GE(changes_, 1);
  auto st = source_->status();
  EXPECT_TRUE(st.connected);
  EXPECT_TRUE(st.synced);
  EXPECT_EQ(st.api_version, "1.41");
  EXPECT_EQ(st.engine, "Docker/20.10.24+dfsg1 (linux)");
  EXPECT_EQ(st.containers, 5u);
  EXPECT_EQ(st.rejections_logged, 3u);

  // Ping, then the stream is opened before the list, so nothing falls between them.
  const auto& reqs = engine_.requests();
  ASSERT_GE(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].target, "/_ping");
  EXPECT_EQ(reqs[1].path, "/events");
  EXPECT_EQ(reqs[1].target.substr(0, 13), "/v1.41/events");
  EXPECT_NE(reqs[1].query.find("filters=%7B%22type%22%3A%5B%22container%22%5D%7D"), std::string::npos) << reqs[1].query;
  EXPECT_EQ(reqs[1].query.find("since="), std::string::npos);
  EXPECT_EQ(reqs[2].target, "/v1.41/containers/json?all=1");
  EXPECT_EQ(engine_.count("/containers/"), 1u + 5u);
  for (const auto& r : reqs) EXPECT_EQ(r.method, "GET");
}

TEST_F(DockerSourceTest, MetricsFollowTheConnection) {
  auto& m = metrics_;
  auto& events = m.counter("ecssd_docker_events_total", "");
  uint64_t events_before = events.value();
  engine_.put(hostnet_container(id_of(1), "one", "one", 18001));
  engine_.set_server("Libpod/4.3.1 (linux)");
  engine_.start();
  start_source();
  ASSERT_TRUE(wait_synced());
  EXPECT_EQ(m.gauge("ecssd_docker_connected", "").value(), 1);
  engine_.emit_container_event(id_of(1), "rename");
  ASSERT_TRUE(wait([&] { return source_->status().events_seen == 1; }));
  EXPECT_EQ(events.value(), events_before + 1);
  std::string text = m.render();
  const std::string info = R"x(ecssd_docker_engine_info{api_version="1.41",engine="Libpod/4.3.1 (linux)"} 1)x";
  EXPECT_NE(text.find(info), std::string::npos) << text;
  engine_.stop();
  ASSERT_TRUE(wait([&] { return !source_->status().connected; }));
  EXPECT_EQ(m.gauge("ecssd_docker_connected", "").value(), 0);
}

TEST_F(DockerSourceTest, ServicesAreSortedByContainerThenPort) {
  engine_.put_json(fixture("docker-20.10/inspect-web-multi.json"));
  engine_.put_json(fixture("docker-20.10/inspect-hostnet.json"));
  engine_.start();
  start_source();
  ASSERT_TRUE(wait_synced());
  auto s = source_->services();
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].container_id, kWebMulti);
  EXPECT_EQ(s[0].container_port, 80);
  EXPECT_EQ(s[1].container_port, 443);
  EXPECT_EQ(s[2].container_port, 9000);
  EXPECT_EQ(s[3].container_id, kHostnet);
}

TEST_F(DockerSourceTest, StartEventPublishesQuickly) {
  engine_.start();
  start_source();
  ASSERT_TRUE(wait_synced());
  EXPECT_TRUE(source_->services().empty());
  int before = changes_;
  engine_.put(hostnet_container(id_of(1), "one", "one", 18001));
  auto t0 = time_.steady_now();
  engine_.emit_container_event(id_of(1), "create");
  engine_.emit_container_event(id_of(1), "start");
  // Quickly: with the clock standing still, so without waiting for any timer.
  ASSERT_TRUE(wait([&] { return has("one"); }));
  EXPECT_EQ(time_.steady_now(), t0);
  EXPECT_FALSE(time_.next_expiry());
  ASSERT_TRUE(wait([&] { return changes_ > before; }));  // the notification is posted, so it may come a turn later
  EXPECT_TRUE(has("one"));
  ASSERT_FALSE(snapshots_.empty());
  EXPECT_EQ(names(snapshots_.back()), std::set<std::string>{"one"});
}

TEST_F(DockerSourceTest, DieWithdrawsAtOnceWithoutWaitingForTheInspect) {
  engine_.put(hostnet_container(id_of(1), "one", "one", 18001));
  engine_.start();
  start_source();
  ASSERT_TRUE(wait([&] { return has("one"); }));
  engine_.hold("/containers/");  // no inspect can answer now
  engine_.set_state(id_of(1), "exited");
  engine_.emit_container_event(id_of(1), "die", {{"exitCode", "0"}});
  ASSERT_TRUE(wait([&] { return !has("one"); }));
  // The inspect the event asked for is sent after the withdrawal (so it may
  // reach the engine a moment later) and cannot be answered: the withdrawal
  // did not wait for it.
  ASSERT_TRUE(wait([&] { return engine_.held() == 1u; }));
  EXPECT_FALSE(has("one"));
  engine_.release("/containers/");
  settle();
  EXPECT_FALSE(has("one"));
}

TEST_F(DockerSourceTest, TerminatingKillWithdrawsWhileTheProcessDrains) {
  engine_.put(hostnet_container(id_of(1), "one", "one", 18001));
  engine_.put(hostnet_container(id_of(2), "two", "two", 18002));
  engine_.start();
  start_source();
  ASSERT_TRUE(wait([&] { return has("one") && has("two"); }));
  // docker stop: SIGTERM first; the container still runs during its grace period.
  engine_.emit_container_event(id_of(1), "kill", {{"signal", "15"}});
  // A reload signal keeps the service.
  engine_.emit_container_event(id_of(2), "kill", {{"signal", "1"}});
  ASSERT_TRUE(wait([&] { return !has("one"); }));
  settle();
  EXPECT_FALSE(has("one"));  // the inspect says "running", but that run was told to stop
  EXPECT_TRUE(has("two"));
  source_->resync();
  settle();
  EXPECT_FALSE(has("one"));
  // The same container started again: a new run publishes.
  engine_.set_state(id_of(1), "exited");
  engine_.emit_container_event(id_of(1), "die");
  engine_.set_state(id_of(1), "running");
  engine_.emit_container_event(id_of(1), "start");
  ASSERT_TRUE(wait([&] { return has("one"); }));
}

TEST_F(DockerSourceTest, DestroyForgetsTheContainer) {
  engine_.put(hostnet_container(id_of(1), "one", "one", 18001));
  engine_.start();
  start_source();
  ASSERT_TRUE(wait([&] { return has("one"); }));
  engine_.remove(id_of(1));
  engine_.emit_container_event(id_of(1), "destroy");
  ASSERT_TRUE(wait([&] { return !has("one"); }));
  EXPECT_EQ(source_->status().containers, 0u);
}

TEST_F(DockerSourceTest, PodmanLifecycleEvents) {
  engine_.set_server("Libpod/4.3.1 (linux)");
  engine_.put_json(fixture("podman-4.3/inspect-pweb.json"));
  engine_.set_state(kPweb, "created");
  engine_.start();
  start_source();
  ASSERT_TRUE(wait_synced());
  EXPECT_FALSE(has("papi"));
  engine_.emit_container_event(kPweb, "init");
  engine_.set_state(kPweb, "running");
  engine_.emit_container_event(kPweb, "start");
  ASSERT_TRUE(wait([&] { return has("papi"); }));
  // Podman says stop before die.
  engine_.emit_container_event(kPweb, "stop");
  ASSERT_TRUE(wait([&] { return !has("papi"); }));
  engine_.set_state(kPweb, "exited");
  engine_.emit_container_event(kPweb, "die");
  engine_.emit_container_event(kPweb, "cleanup");
  engine_.remove(kPweb);
  engine_.emit_container_event(kPweb, "remove");
  ASSERT_TRUE(wait([&] { return source_->status().containers == 0; }));
  EXPECT_FALSE(has("papi"));
}

TEST_F(DockerSourceTest, PodmanRecordedEventsReplayed) {
  engine_.start();
  start_source();
  ASSERT_TRUE(wait_synced());
  std::string lines = fixture("podman-4.3/events.jsonl");
  std::vector<std::string> events;
  for (size_t start = 0; start < lines.size();) {
    size_t nl = lines.find('\n', start);
    events.push_back(lines.substr(start, nl - start));
    start = nl + 1;
  }
  ASSERT_EQ(events.size(), 9u);
  engine_.put_json(fixture("podman-4.3/inspect-pweb.json"));
  engine_.set_state(kPweb, "created");
  engine_.emit(events[0]);  // create
  engine_.emit(events[1]);  // init
  engine_.set_state(kPweb, "running");
  engine_.emit(events[2]);  // start
  engine_.emit(events[3]);  // an image event
  ASSERT_TRUE(wait([&] { return has("papi"); }));
  engine_.emit(events[4]);  // stop
  ASSERT_TRUE(wait([&] { return !has("papi"); }));
  engine_.set_state(kPweb, "exited");
  for (size_t i = 5; i < 8; ++i) engine_.emit(events[i]);
  engine_.remove(kPweb);
  engine_.emit(events[8]);  // remove
  ASSERT_TRUE(wait([&] { return source_->status().events_seen == 9; }));
  settle();
  EXPECT_FALSE(has("papi"));
  EXPECT_EQ(source_->status().containers, 0u);
  EXPECT_EQ(source_->status().malformed_events, 0u);
}

TEST_F(DockerSourceTest, HealthCheckedContainerIsPublishedOnlyWhileHealthy) {
  engine_.put_json(fixture("docker-20.10/inspect-hc.json"));
  engine_.set_health(kHc, "starting");
  engine_.start();
  start_source();
  ASSERT_TRUE(wait_synced());
  EXPECT_FALSE(has("hc"));
  engine_.set_health(kHc, "healthy");
  engine_.emit_container_event(kHc, "health_status: healthy");
  ASSERT_TRUE(wait([&] { return has("hc"); }));
  engine_.hold("/containers/");
  engine_.set_health(kHc, "unhealthy");
  engine_.emit_container_event(kHc, "health_status: unhealthy");
  ASSERT_TRUE(wait([&] { return !has("hc"); }));  // from the event itself
  engine_.release("/containers/");
  settle();
  EXPECT_FALSE(has("hc"));
}

TEST_F(DockerSourceTest, IgnoreHealthPublishesRegardless) {
  engine_.put_json(fixture("docker-20.10/inspect-hc.json"));
  engine_.set_health(kHc, "unhealthy");
  engine_.start();
  auto o = options();
  o.ignore_health = true;
  start_source(o);
  ASSERT_TRUE(wait_synced());
  EXPECT_TRUE(has("hc"));
}

TEST_F(DockerSourceTest, AnInspectOlderThanTheLastEventIsDropped) {
  engine_.start();
  start_source();
  ASSERT_TRUE(wait_synced());
  engine_.put(hostnet_container(id_of(7), "seven", "seven", 18007));
  engine_.hold("/containers/");
  engine_.emit_container_event(id_of(7), "start");  // its inspect answer ("running") is held
  ASSERT_TRUE(wait([&] { return engine_.held() == 1; }));
  engine_.set_state(id_of(7), "exited");
  engine_.emit_container_event(id_of(7), "die");
  ASSERT_TRUE(wait([&] { return source_->status().events_seen == 2; }));
  size_t after_die = snapshots_.size();
  engine_.release("/containers/");  // the stale "running" answer arrives after the die
  ASSERT_TRUE(wait([&] { return source_->status().stale_inspects == 1; }));
  settle();
  EXPECT_FALSE(has("seven"));
  for (size_t i = after_die; i < snapshots_.size(); ++i) {
    EXPECT_FALSE(names(snapshots_[i]).contains("seven")) << "snapshot " << i << " republished a dead container";
  }
  EXPECT_EQ(engine_.count("/containers/" + id_of(7)), 2u);  // asked again after the stale answer
}

// The crash container of events.jsonl (--restart on-failure:2): three runs,
// each dying after a second, then destroyed. Events arrive in bursts while
// the engine's state has moved on; the end state must be right.
std::vector<std::string> crash_events() {
  std::string lines = fixture("docker-20.10/events.jsonl");
  std::vector<std::string> out;
  for (size_t start = 0; start < lines.size();) {
    size_t nl = lines.find('\n', start);
    std::string line = lines.substr(start, nl - start);
    if (line.find(kCrash) != std::string::npos) out.push_back(line);
    start = nl + 1;
  }
  return out;
}

std::string action_of(const std::string& line) { return std::string(json::parse(line).at("Action").as_string()); }

class CrashLoopTest : public DockerSourceTest, public ::testing::WithParamInterface<int> {};

TEST_P(CrashLoopTest, EndsInTheRightState) {
  auto events = crash_events();
  ASSERT_EQ(events.size(), 8u);  // create, start, die, start, die, start, die, destroy
  const int mode = GetParam();
  engine_.start();
  start_source();
  ASSERT_TRUE(wait_synced());
  engine_.put(hostnet_container(kCrash, "crash", "crash", 18099));
  engine_.set_state(kCrash, "created");
  // mode 0: the loop ends destroyed; 1: it ends running (stop before the last
  // die); 2: each event processed before the next; in 0 and 1 everything
  // arrives in one burst with the engine already in its final state.
  size_t last = mode == 1 ? 5 : events.size() - 1;
  if (mode == 2) {
    for (size_t i = 0; i <= last; ++i) {
      std::string a = action_of(events[i]);
      if (a == "start") engine_.set_state(kCrash, "running");
      if (a == "die") engine_.set_state(kCrash, "exited");
      if (a == "destroy") engine_.remove(kCrash);
      engine_.emit(events[i]);
      settle();
      if (a == "start") {
        EXPECT_TRUE(wait([&] { return has("crash"); }));
      }
      if (a == "die") {
        EXPECT_FALSE(has("crash"));
      }
    }
  } else {
    if (mode == 0) {
      engine_.remove(kCrash);
    } else {
      engine_.set_state(kCrash, "running");
    }
    for (size_t i = 0; i <= last; ++i) engine_.emit(events[i]);
  }
  ASSERT_TRUE(wait([&] { return source_->status().events_seen == last + 1; }));
  settle();
  bool should_run = mode == 1;
  EXPECT_EQ(has("crash"), should_run);
  EXPECT_EQ(source_->status().containers, should_run ? 1u : 0u);
  if (!snapshots_.empty()) {
    EXPECT_EQ(names(snapshots_.back()).contains("crash"), should_run);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, CrashLoopTest, ::testing::Values(0, 1, 2));

TEST_F(DockerSourceTest, DroppedStreamReconnectsWithSinceAndRelists) {
  engine_.put(hostnet_container(id_of(1), "one", "one", 18001));
  engine_.start();
  start_source();
  ASSERT_TRUE(wait([&] { return has("one"); }));
  engine_.emit_container_event(id_of(1), "rename", {{"oldName", "/uno"}});
  ASSERT_TRUE(wait([&] { return source_->status().events_seen == 1; }));
  int64_t t = engine_.last_event_nano();

  // The stream breaks; meanwhile one container goes and another comes, unseen.
  engine_.drop_streams();
  engine_.remove(id_of(1));
  engine_.put(hostnet_container(id_of(2), "two", "two", 18002));
  ASSERT_TRUE(wait_retrying([&] { return engine_.count("/events") == 2 && source_->status().connected; }));
  ASSERT_TRUE(wait([&] { return has("two") && !has("one"); }));
  auto events = std::vector<FakeDockerEngine::Request>();
  for (const auto& r : engine_.requests()) {
    if (r.path == "/events") events.push_back(r);
  }
  ASSERT_EQ(events.size(), 2u);
  std::string since = fmt::format("since={}.{:09}", t / 1'000'000'000, t % 1'000'000'000);
  EXPECT_NE(events[1].query.find(since), std::string::npos) << events[1].query;
  EXPECT_EQ(engine_.count("/containers/json"), 2u);
  auto st = source_->status();
  EXPECT_EQ(st.reconnects, 1u);
  EXPECT_EQ(st.resyncs, 2u);
}

TEST_F(DockerSourceTest, ReplayedOldEventsDoNotMakeARunningContainerBlink) {
  engine_.put(hostnet_container(id_of(1), "one", "one", 18001));
  engine_.start();
  start_source();
  ASSERT_TRUE(wait([&] { return has("one"); }));
  // A die and a start, both handled: the container runs again.
  engine_.emit_container_event(id_of(1), "die");
  int64_t die_time = engine_.last_event_nano();
  engine_.set_state(id_of(1), "exited");
  engine_.set_state(id_of(1), "running");
  engine_.emit_container_event(id_of(1), "start");
  int64_t start_time = engine_.last_event_nano();
  ASSERT_TRUE(wait([&] { return source_->status().events_seen == 2 && has("one"); }));
  settle();
  engine_.drop_streams();
  ASSERT_TRUE(wait_retrying([&] { return engine_.open_streams() == 1 && source_->status().resyncs == 2; }));
  size_t from = snapshots_.size();
  size_t inspects = engine_.count("/containers/" + id_of(1));
  // The engine replays both (since= is inclusive).
  auto old = [&](const char* action, int64_t t) {
    return fmt::format(
        R"({{"Type":"container","Action":"{}","Actor":{{"ID":"{}","Attributes":{{"name":"one"}}}},"time":{},"timeNano":{}}})",
        action, id_of(1), t / 1'000'000'000, t);
  };
  engine_.emit(old("die", die_time));
  engine_.emit(old("start", start_time));
  ASSERT_TRUE(wait([&] { return source_->status().events_seen == 4; }));
  settle();
  EXPECT_TRUE(has("one"));
  for (size_t i = from; i < snapshots_.size(); ++i) EXPECT_TRUE(names(snapshots_[i]).contains("one")) << i;
  EXPECT_GT(engine_.count("/containers/" + id_of(1)), inspects);  // still looked at again
}

TEST_F(DockerSourceTest, EngineRestartIsLoggedOnceAndConverges) {
  engine_.put(hostnet_container(id_of(1), "one", "one", 18001));
  engine_.start();
  start_source();
  ASSERT_TRUE(wait([&] { return has("one"); }));

  ::testing::internal::CaptureStderr();
  const auto lost_at = time_.steady_now();
  engine_.stop();
  ASSERT_TRUE(wait([&] { return !source_->status().connected; }));
  for (int i = 0; i < 10; ++i) {  // many retries, each failing as the one before
    ASSERT_TRUE(retry());
    settle();
  }
  EXPECT_FALSE(source_->status().connected);
  EXPECT_TRUE(has("one"));  // the last snapshot is kept while the engine is away
  EXPECT_TRUE(source_->synced());
  // While it was down: one died, another started.
  engine_.set_state(id_of(1), "exited");
  engine_.put(hostnet_container(id_of(3), "three", "three", 18003));
  // The engine is back 30 s after it went; the pending backoff (at most 20 ms) has passed.
  time_.advance(std::chrono::seconds(30) - (time_.steady_now() - lost_at));
  engine_.start();
  ASSERT_TRUE(wait([&] { return has("three") && !has("one"); }));
  std::string log = ::testing::internal::GetCapturedStderr();

  auto count = [&](std::string_view needle) {
    size_t n = 0;
    for (size_t p = log.find(needle); p != std::string::npos; p = log.find(needle, p + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("lost the Docker engine"), 1u) << log;
  EXPECT_EQ(count("still unreachable"), 0u) << log;
  EXPECT_EQ(count("Docker engine reconnected"), 1u) << log;
  EXPECT_NE(log.find("down_for=30s"), std::string::npos) << log;
  // No event was seen: the replay starts at the previous connection (simulated clock).
  auto last_events = [&] {
    std::string q;
    for (const auto& r : engine_.requests()) {
      if (r.path == "/events") q = r.query;
    }
    return q;
  }();
  EXPECT_NE(last_events.find("since=1699999999"), std::string::npos) << last_events;
  EXPECT_EQ(source_->status().reconnects, 1u);
}

TEST_F(DockerSourceTest, UnreachableAtStartUpIsNotSynced) {
  ::testing::internal::CaptureStderr();
  start_source();
  settle();
  for (int i = 0; i < 5; ++i) {  // several attempts, all failing the same way
    ASSERT_TRUE(retry());
    settle();
  }
  EXPECT_FALSE(source_->synced());
  EXPECT_TRUE(source_->services().empty());
  EXPECT_EQ(changes_, 0);
  auto st = source_->status();
  EXPECT_FALSE(st.connected);
  EXPECT_NE(st.last_error.find("cannot connect to the Docker engine"), std::string::npos) << st.last_error;
  engine_.put(hostnet_container(id_of(1), "one", "one", 18001));
  engine_.start();
  ASSERT_TRUE(wait_retrying([&] { return source_->synced() && changes_ > 0; }));
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(has("one"));
  EXPECT_EQ(changes_, 1);
  size_t first = log.find("cannot reach the Docker engine");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("cannot reach the Docker engine", first + 1), std::string::npos) << log;
  EXPECT_EQ(source_->status().reconnects, 1u);
}

TEST_F(DockerSourceTest, RejectionsAreLoggedOncePerContainerLifetime) {
  engine_.put_json(fixture("docker-20.10/inspect-bad.json"));
  ::testing::internal::CaptureStderr();
  engine_.start();
  start_source();
  ASSERT_TRUE(wait_synced());
  for (int i = 0; i < 3; ++i) {
    int before = changes_;
    source_->resync();
    ASSERT_TRUE(wait([&] { return changes_ > before; }));
  }
  engine_.emit_container_event(kBad, "restart");
  ASSERT_TRUE(wait([&] { return source_->status().inspects >= 5; }));
  settle();
  std::string log = ::testing::internal::GetCapturedStderr();
  std::vector<std::string> lines;
  for (size_t start = 0; start < log.size();) {
    size_t nl = log.find('\n', start);
    std::string line = log.substr(start, nl - start);
    if (line.find("ignoring service variable") != std::string::npos) lines.push_back(line);
    start = nl == std::string::npos ? log.size() : nl + 1;
  }
  ASSERT_EQ(lines.size(), 3u) << log;
  for (const char* v : {"SERVICE_abc_NAME", "SERVICE_80_NAME", "SERVICE_99999_NAME"}) {
    auto it = std::find_if(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.find(std::string("variable=") + v) != std::string::npos;
    });
    ASSERT_NE(it, lines.end()) << v;
    EXPECT_NE(it->find("container=f4eb308cc6c7"), std::string::npos) << *it;
    EXPECT_NE(it->find("name=bad"), std::string::npos) << *it;
    EXPECT_NE(it->find("reason="), std::string::npos) << *it;
  }
  EXPECT_EQ(source_->status().rejections_logged, 3u);
  EXPECT_TRUE(source_->services().empty());
  EXPECT_TRUE(source_->status().connected);
}

TEST_F(DockerSourceTest, FailedListingReconnectsAndRetries) {
  engine_.put(hostnet_container(id_of(1), "one", "one", 18001));
  engine_.override_response("/containers/json", 500, R"({"message":"boom"})");
  engine_.start();
  start_source();
  ASSERT_TRUE(wait_retrying([&] { return engine_.count("/containers/json") >= 3; }));
  EXPECT_FALSE(source_->synced());
  EXPECT_NE(source_->status().last_error.find("boom"), std::string::npos) << source_->status().last_error;
  engine_.clear_overrides();
  ASSERT_TRUE(wait_retrying([&] { return source_->synced() && has("one"); }));
}

TEST_F(DockerSourceTest, MalformedEventsAreSkipped) {
  engine_.start();
  start_source();
  ASSERT_TRUE(wait_synced());
  ::testing::internal::CaptureStderr();
  engine_.emit_bytes("{\"Type\": definitely not json}\n");
  engine_.put(hostnet_container(id_of(1), "one", "one", 18001));
  engine_.emit_container_event(id_of(1), "start");
  ASSERT_TRUE(wait([&] { return has("one"); }));
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("skipping a malformed Docker event"), std::string::npos) << log;
  EXPECT_EQ(source_->status().malformed_events, 1u);
  EXPECT_TRUE(source_->status().connected);
  EXPECT_EQ(engine_.count("/events"), 1u);  // no reconnect needed
}

TEST_F(DockerSourceTest, JsonSeqStreamsWork) {
  engine_.set_events_content_type("application/json-seq");
  engine_.set_json_seq(true);
  engine_.start();
  start_source();
  ASSERT_TRUE(wait_synced());
  engine_.put(hostnet_container(id_of(1), "one", "one", 18001));
  engine_.emit_container_event(id_of(1), "start");
  ASSERT_TRUE(wait([&] { return has("one"); }));
  EXPECT_EQ(source_->status().malformed_events, 0u);
}

TEST_F(DockerSourceTest, OversizedInspectIsLoggedAndTheRestContinues) {
  auto big = hostnet_container(id_of(1), "big", "big", 18001);
  big["Config"].as_object()["Labels"] = json::object{{"filler", std::string(4096, 'x')}};
  engine_.put(big);
  engine_.put(hostnet_container(id_of(2), "two", "two", 18002));
  engine_.start();
  auto o = options();
  o.max_response_bytes = 4096;
  ::testing::internal::CaptureStderr();
  start_source(o);
  ASSERT_TRUE(wait_synced());
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(has("two"));
  EXPECT_FALSE(has("big"));
  EXPECT_NE(log.find("exceeds the 4096-byte bound"), std::string::npos) << log;
  EXPECT_TRUE(source_->status().connected);
}

TEST_F(DockerSourceTest, InspectTimeoutReconnectsThenConverges) {
  engine_.put(hostnet_container(id_of(1), "one", "one", 18001));
  engine_.hold("/containers/" + id_of(1));
  engine_.start();
  auto o = options();
  o.request_timeout = 100ms;
  start_source(o);
  // The inspect's deadline is a socket deadline, on the real clock.
  ASSERT_TRUE(wait_retrying([&] { return source_->status().reconnects >= 1; }));
  EXPECT_FALSE(source_->synced());
  EXPECT_NE(source_->status().last_error.find("did not answer within 100ms"), std::string::npos);
  engine_.release("/containers/" + id_of(1));
  ASSERT_TRUE(wait_retrying([&] { return source_->synced() && has("one"); }));
}

TEST_F(DockerSourceTest, UnsupportedApiVersionIsReportedAndRetried) {
  engine_.set_api_version("1.23");
  engine_.start();
  ::testing::internal::CaptureStderr();
  start_source();
  ASSERT_TRUE(wait_retrying([&] { return engine_.count("/_ping") >= 3; }));
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("older than the oldest supported 1.24"), std::string::npos) << log;
  EXPECT_EQ(engine_.count("/events"), 0u);
  EXPECT_FALSE(source_->synced());
  engine_.set_api_version("");  // an engine without the header is taken as 1.24
  ASSERT_TRUE(wait_retrying([&] { return source_->synced() && changes_ > 0; }));
  EXPECT_EQ(source_->status().api_version, "1.24");
  EXPECT_EQ(engine_.requests().back().target.substr(0, 6), "/v1.24");
}

TEST_F(DockerSourceTest, PauseWithdrawsAndUnpauseRestores) {
  engine_.put(hostnet_container(id_of(1), "one", "one", 18001));
  engine_.start();
  start_source();
  ASSERT_TRUE(wait([&] { return has("one"); }));
  engine_.set_state(id_of(1), "paused");
  engine_.emit_container_event(id_of(1), "pause");
  ASSERT_TRUE(wait([&] { return !has("one"); }));
  settle();
  EXPECT_FALSE(has("one"));
  engine_.set_state(id_of(1), "running");
  engine_.emit_container_event(id_of(1), "unpause");
  ASSERT_TRUE(wait([&] { return has("one"); }));
}

TEST_F(DockerSourceTest, ExecEventsDoNotCauseInspects) {
  engine_.put_json(fixture("docker-20.10/inspect-hc.json"));
  engine_.start();
  start_source();
  ASSERT_TRUE(wait_synced());
  size_t inspects = engine_.count("/containers/" + std::string(kHc));
  for (int i = 0; i < 10; ++i) {
    engine_.emit_container_event(kHc, "exec_create: /bin/sh -c true");
    engine_.emit_container_event(kHc, "exec_start: /bin/sh -c true");
    engine_.emit_container_event(kHc, "exec_die", {{"exitCode", "0"}});
    engine_.emit_container_event(kHc, "exec");  // Podman's spelling
  }
  ASSERT_TRUE(wait([&] { return source_->status().events_seen == 40; }));
  settle();
  EXPECT_EQ(engine_.count("/containers/" + std::string(kHc)), inspects);
}

TEST_F(DockerSourceTest, BurstOfStartsIsInspectedWithBoundedConcurrency) {
  engine_.start();
  auto o = options();
  o.max_concurrent_inspects = 4;
  start_source(o);
  ASSERT_TRUE(wait_synced());
  engine_.hold("/containers/");
  for (int i = 1; i <= 50; ++i) {
    engine_.put(hostnet_container(id_of(i), fmt::format("c{}", i), fmt::format("s{}", i), 20000 + i));
    engine_.emit_container_event(id_of(i), "start");
  }
  ASSERT_TRUE(wait([&] { return source_->status().events_seen == 50; }));
  settle();
  EXPECT_EQ(engine_.held(), 4u);
  engine_.release("/containers/");
  ASSERT_TRUE(wait([&] { return source_->services().size() == 50; }));
  EXPECT_EQ(engine_.count("/containers/0"), 50u);
}

TEST_F(DockerSourceTest, NetworkOptionPicksTheAddress) {
  auto o1 = json::parse(fixture("docker-20.10/inspect-web-multi.json")).as_object();
  o1["NetworkSettings"].as_object()["Networks"].as_object()["backend"] =
      json::object{{"IPAddress", "10.9.0.3"}, {"GlobalIPv6Address", "fd00::3"}};
  engine_.put(o1);
  engine_.start();
  auto o = options();
  o.network = "backend";
  start_source(o);
  ASSERT_TRUE(wait_synced());
  auto s = source_->services();
  ASSERT_EQ(s.size(), 3u);
  for (const auto& svc : s) {
    EXPECT_EQ(svc.container_ip, "10.9.0.3");
    EXPECT_EQ(svc.container_ip6, "fd00::3");
  }
}

TEST_F(DockerSourceTest, StopClosesTheStreamAndSendsNothingMore) {
  engine_.put(hostnet_container(id_of(1), "one", "one", 18001));
  engine_.start();
  start_source();
  ASSERT_TRUE(wait([&] { return has("one"); }));
  source_->stop();
  ASSERT_TRUE(wait([&] { return engine_.open_streams() == 0; }));
  size_t n = engine_.requests().size();
  engine_.emit_container_event(id_of(1), "die");
  source_->resync();
  settle();
  EXPECT_FALSE(retry());  // no reconnect is pending either
  settle();
  EXPECT_EQ(engine_.requests().size(), n);
  source_->stop();  // idempotent
}

TEST_F(DockerSourceTest, DestroyingTheSourceWithWorkInFlightIsSafe) {
  engine_.put(hostnet_container(id_of(1), "one", "one", 18001));
  engine_.hold("/containers/");
  engine_.start();
  start_source();
  ASSERT_TRUE(wait([&] { return engine_.held() >= 1; }));
  source_.reset();  // stop() + destruction while a list is held
  engine_.release("/containers/");
  settle();
  SUCCEED();
}

TEST(DockerSourceOptions, ValidationNamesTheProblem) {
  DockerSourceOptions o;
  o.docker_host = "unix:///run/docker.sock";
  EXPECT_TRUE(validate(o).ok());
  o.docker_host = "tcp://1.2.3.4:2375";
  EXPECT_NE(validate(o).error().message.find("only unix://"), std::string::npos);
  o.docker_host = "unix:///run/docker.sock";
  o.request_timeout = 0ms;
  EXPECT_FALSE(validate(o).ok());
  o.request_timeout = 1s;
  o.backoff_cap = 1ms;
  EXPECT_FALSE(validate(o).ok());
  o.backoff_cap = 30s;
  o.max_concurrent_inspects = 0;
  EXPECT_FALSE(validate(o).ok());
  common::SimulatedTimeSystem t;
  common::Metrics m;
  boost::asio::io_context io;
  EXPECT_THROW(DockerSource(io, o, t, common::Scope(m)), std::invalid_argument);
  o.max_concurrent_inspects = 8;
  EXPECT_TRUE(validate(o).ok());
  o.docker_host = "";  // the default is the caller's (default_docker_host)
  EXPECT_NE(validate(o).error().message.find("no docker host"), std::string::npos);
}

}  // namespace
}  // namespace ecssd::source
