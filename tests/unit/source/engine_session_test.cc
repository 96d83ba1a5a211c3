#include "source/docker/engine_session.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "common/metrics.h"
#include "fakes/fake_docker_engine.h"

namespace ecssd::source {
namespace {

using common::ErrorCode;
using fakes::FakeDockerEngine;
using namespace std::chrono_literals;

constexpr const char* kId = "079ff28a82056e988f45de27f762b28789d9e293bb79ad61d041cc98b37b1061";

// The session against the fake engine over a real unix socket; time is
// simulated and moves only when a test lets a backoff pass.
class EngineSessionTest : public ::testing::Test {
 protected:
  EngineSessionTest() : engine_(io_) {}
  ~EngineSessionTest() override {
    if (session_) session_->stop();
    settle();
  }

  void start(std::chrono::milliseconds base = 5ms, std::chrono::milliseconds cap = 20ms) {
    SessionOptions o;
    o.socket_path = engine_.socket_path();
    o.limits.timeout = 1s;
    o.backoff_base = base;
    o.backoff_cap = cap;
    EngineSession::Handler h;
    h.began = [this] { ++began_; };
    h.event = [this](const EngineEvent& ev, bool replayed) { events_.emplace_back(ev.action, replayed); };
    session_ = EngineSession::make(io_.get_executor(), o, time_, SourceMetrics(common::Scope(metrics_)), h);
    session_->start();
  }

  void settle() { fakes::run_until_idle(io_); }
  bool wait(const std::function<bool()>& f) { return fakes::run_until(io_, f, 10'000ms); }
  // How long the pending backoff waits (simulated), if one is pending.
  std::optional<common::Duration> pending_backoff() {
    auto e = time_.next_expiry();
    if (!e) return std::nullopt;
    return *e - time_.steady_now();
  }
  void let_backoff_pass() {
    auto d = pending_backoff();
    ASSERT_TRUE(d);
    time_.advance(*d);
  }

  common::SimulatedTimeSystem time_;  // before io_: the session's timer comes from it
  common::Metrics metrics_;
  boost::asio::io_context io_;
  FakeDockerEngine engine_;
  std::shared_ptr<EngineSession> session_;
  int began_ = 0;
  std::vector<std::pair<std::string, bool>> events_;
};

TEST_F(EngineSessionTest, PingsNegotiatesAndDeliversEvents) {
  engine_.start();
  start();
  ASSERT_TRUE(wait([&] { return began_ == 1; }));
  ASSERT_EQ(engine_.requests().size(), 2u);
  EXPECT_EQ(engine_.requests()[0].target, "/_ping");
  EXPECT_EQ(engine_.requests()[1].target.substr(0, 13), "/v1.41/events");
  EXPECT_EQ(engine_.requests()[1].query.find("since="), std::string::npos);
  EXPECT_TRUE(session_->open());
  EXPECT_EQ(session_->id(), 1u);
  EXPECT_TRUE(session_->status().connected);
  EXPECT_EQ(session_->status().api_version, "1.41");
  EXPECT_EQ(session_->status().engine, "Docker/20.10.24+dfsg1 (linux)");
  EXPECT_EQ(metrics_.gauge("ecssd_docker_connected", "").value(), 1);

  engine_.emit_container_event(kId, "start");
  engine_.emit(R"({"Type":"image","Action":"pull","Actor":{"ID":"sha256:1"}})");
  ASSERT_TRUE(wait([&] { return events_.size() == 2; }));
  EXPECT_EQ(events_[0], std::make_pair(std::string("start"), false));
  EXPECT_EQ(events_[1].first, "pull");  // every type reaches the handler
  EXPECT_EQ(session_->status().events_seen, 2u);
  EXPECT_EQ(metrics_.counter("ecssd_docker_events_total", "").value(), 2u);

  // Requests of the session speak its API version.
  std::optional<common::Result<EngineResponse>> r;
  boost::asio::co_spawn(
      io_, [&]() -> common::Task<void> { r = co_await session_->get("/containers/json?all=1"); },
      boost::asio::detached);
  ASSERT_TRUE(wait([&] { return r.has_value(); }));
  ASSERT_TRUE(r->ok());
  EXPECT_EQ(engine_.requests().back().target, "/v1.41/containers/json?all=1");
}

TEST_F(EngineSessionTest, ReconnectsOnlyOnceTheBackoffPassedAndReplaysFromTheLastEvent) {
  engine_.start();
  start();
  ASSERT_TRUE(wait([&] { return began_ == 1; }));
  engine_.emit_container_event(kId, "start");
  ASSERT_TRUE(wait([&] { return events_.size() == 1; }));
  int64_t t = engine_.last_event_nano();

  // The stream breaks and the engine refuses pings for a while.
  engine_.override_response("/_ping", 500, R"({"message":"starting"})");
  engine_.drop_streams();
  settle();
  EXPECT_FALSE(session_->status().connected);
  EXPECT_FALSE(session_->open());
  EXPECT_EQ(metrics_.gauge("ecssd_docker_connected", "").value(), 0);
  // A retry may come at once (full jitter can draw 0); then one waits.
  size_t pings = engine_.count("/_ping");
  ASSERT_TRUE(pending_backoff());
  settle();
  EXPECT_EQ(engine_.count("/_ping"), pings);  // the clock stands still: no retry

  engine_.clear_overrides();
  let_backoff_pass();
  ASSERT_TRUE(wait([&] { return began_ == 2; }));
  EXPECT_EQ(session_->id(), 2u);
  EXPECT_EQ(session_->status().reconnects, 1u);
  EXPECT_EQ(metrics_.counter("ecssd_docker_reconnects_total", "").value(), 1u);
  std::string since = fmt::format("since={}.{:09}", t / 1'000'000'000, t % 1'000'000'000);
  EXPECT_NE(engine_.requests().back().query.find(since), std::string::npos) << engine_.requests().back().query;

  // since= is inclusive: the engine sends the last event again, then new ones.
  engine_.emit(fmt::format(R"({{"Type":"container","Action":"die","Actor":{{"ID":"{}"}},"time":{},"timeNano":{}}})",
                           kId, t / 1'000'000'000, t));
  engine_.emit_container_event(kId, "die");
  ASSERT_TRUE(wait([&] { return events_.size() == 3; }));
  EXPECT_EQ(events_[1], std::make_pair(std::string("die"), true));
  EXPECT_EQ(events_[2], std::make_pair(std::string("die"), false));
}

// The n-th consecutive failure waits at most min(cap, base * 2^(n-1)).
common::Duration ceiling_after(size_t failures) {
  return std::chrono::milliseconds(std::min<int64_t>(20, int64_t{5} << std::min<size_t>(failures - 1, 10)));
}

TEST_F(EngineSessionTest, BackoffGrowsToItsCapWithJitterAndResetsOnSuccess) {
  engine_.start();
  engine_.override_response("/_ping", 500, R"({"message":"starting"})");  // every attempt is counted
  start(5ms, 20ms);
  for (int i = 0; i < 6; ++i) {
    settle();
    size_t failures = engine_.count("/_ping");
    auto d = pending_backoff();
    ASSERT_TRUE(d);
    EXPECT_LE(*d, ceiling_after(failures)) << failures;
    EXPECT_GE(*d, 0ms);
    let_backoff_pass();
  }
  EXPECT_EQ(began_, 0);
  EXPECT_NE(session_->status().last_error.find("answered 500: starting"), std::string::npos);
  engine_.clear_overrides();
  ASSERT_TRUE(wait([&] { return began_ == 1; }));
  EXPECT_EQ(session_->status().reconnects, 1u);  // the first success after being down

  engine_.override_response("/_ping", 500, R"({"message":"starting"})");
  size_t before = engine_.count("/_ping");
  engine_.drop_streams();
  settle();
  auto d = pending_backoff();
  ASSERT_TRUE(d);
  size_t failures = engine_.count("/_ping") - before + 1;  // the stream's end, then failed pings
  EXPECT_LE(*d, ceiling_after(failures)) << failures;      // counted from the base again
}

TEST_F(EngineSessionTest, FailEndsTheSessionWithItsError) {
  engine_.start();
  start();
  ASSERT_TRUE(wait([&] { return began_ == 1; }));
  engine_.override_response("/_ping", 500, R"({"message":"starting"})");  // it stays down
  ::testing::internal::CaptureStderr();
  session_->fail(common::transient_error(ErrorCode::kUnavailable, "GET /containers/json: boom"));
  ASSERT_TRUE(wait([&] { return !session_->open(); }));
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("lost the Docker engine; reconnecting with backoff"), std::string::npos) << log;
  EXPECT_NE(log.find("GET /containers/json: boom"), std::string::npos) << log;
  session_->fail(common::make_error(ErrorCode::kInternal, "ignored"));  // no stream open: nothing
  engine_.clear_overrides();
  let_backoff_pass();
  ASSERT_TRUE(wait([&] { return began_ == 2; }));
}

TEST_F(EngineSessionTest, MalformedEventsAreCountedAndSkipped) {
  engine_.start();
  start();
  ASSERT_TRUE(wait([&] { return began_ == 1; }));
  ::testing::internal::CaptureStderr();
  engine_.emit_bytes("{\"Type\": nope}\n");
  engine_.emit_container_event(kId, "start");
  ASSERT_TRUE(wait([&] { return events_.size() == 1; }));
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("skipping a malformed Docker event"), std::string::npos) << log;
  EXPECT_EQ(session_->status().malformed_events, 1u);
  EXPECT_EQ(metrics_.counter("ecssd_docker_malformed_events_total", "").value(), 1u);
  EXPECT_TRUE(session_->open());
}

TEST_F(EngineSessionTest, StopEndsTheBackoffWaitAndEverythingElse) {
  start();  // the engine is down: a backoff is pending
  settle();
  ASSERT_TRUE(pending_backoff());
  session_->stop();
  settle();
  EXPECT_FALSE(pending_backoff());
  engine_.start();
  time_.advance(1min);
  settle();
  EXPECT_EQ(engine_.requests().size(), 0u);
  EXPECT_TRUE(session_->stopped());
  session_->stop();  // idempotent
}

TEST_F(EngineSessionTest, StopClosesAnOpenStream) {
  engine_.start();
  start();
  ASSERT_TRUE(wait([&] { return began_ == 1 && engine_.open_streams() == 1; }));
  session_->stop();
  ASSERT_TRUE(wait([&] { return engine_.open_streams() == 0; }));
  engine_.emit_container_event(kId, "start");
  settle();
  EXPECT_TRUE(events_.empty());
  EXPECT_FALSE(pending_backoff());
}

}  // namespace
}  // namespace ecssd::source
