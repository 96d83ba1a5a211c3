// A 10,000-event burst from the engine (issue 12): containers that start and
// die, and repeated events for the same containers, while the engine answers
// no inspect. Whatever the event rate, the source holds what the containers
// need: an entry per container that exists, at most one queued inspect per
// container, max_concurrent_inspects in flight, and afterwards an inspect per
// container rather than one per event.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "common/metrics.h"
#include "common/time_system.h"
#include "fakes/fake_docker_engine.h"
#include "source/docker/docker_source.h"
#include "test_util.h"

namespace ecssd::source {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::string id_of(int n) { return fmt::format("{:064x}", n); }

class BurstTest : public ::testing::Test {
 protected:
  BurstTest()
      : engine_(io_), template_(json::parse(testutil::fixture("docker-20.10/inspect-hostnet.json")).as_object()) {}
  ~BurstTest() override {
    if (source_) source_->stop();
    fakes::run_until_idle(io_);
  }

  json::object container(int n, const std::string& service, int port) {
    json::object o = template_;
    o["Id"] = id_of(n);
    o["Name"] = fmt::format("/c{}", n);
    o["Config"].as_object()["Env"] = json::array{json::string(fmt::format("SERVICE_{}_NAME={}", port, service))};
    return o;
  }
  bool wait(const std::function<bool()>& f) { return fakes::run_until(io_, f, 60'000ms); }

  common::SimulatedTimeSystem time_;  // before io_: the source's timers come from it
  common::Metrics metrics_;
  boost::asio::io_context io_;
  fakes::FakeDockerEngine engine_;
  json::object template_;
  std::unique_ptr<DockerSource> source_;
};

TEST_F(BurstTest, TenThousandEventsLeaveWhatTheContainersNeed) {
  constexpr int kLong = 100;       // running throughout
  constexpr int kShort = 2'900;    // start, die, destroy during the burst: 8,700 events
  constexpr int kRound = 100;      // short-lived containers alive at once
  constexpr int kRepeats = 13;     // events for each long-lived one: 1,300 events
  constexpr size_t kInFlight = 8;  // the default max_concurrent_inspects
  for (int i = 1; i <= kLong; ++i) engine_.put(container(i, fmt::format("long{}", i), 20000 + i));
  engine_.start();
  DockerSourceOptions o;
  o.docker_host = engine_.docker_host();
  source_ = std::make_unique<DockerSource>(io_, o, time_, common::Scope(metrics_));
  source_->start([] {});
  ASSERT_TRUE(wait([&] { return source_->synced() && source_->services().size() == kLong; }));
  const auto before = source_->status();

  engine_.hold("/containers/");  // the engine answers no inspect during the burst
  const char* repeats[] = {"update", "health_status: healthy", "kill", "rename"};
  uint64_t emitted = 0;
  size_t most_queued = 0, most_known = 0, most_in_flight = 0;
  constexpr int kRounds = kShort / kRound;
  for (int round = 0; round < kRounds; ++round) {
    const int first = round * kRound;
    for (int i = first; i < first + kRound; ++i) {
      int n = 10'000 + i;
      engine_.put(container(n, fmt::format("short{}", i), 30000 + i % 1000));
      engine_.emit_container_event(id_of(n), "start");
    }
    // The long-lived containers' share of the burst, spread over the rounds.
    for (const uint64_t until = uint64_t{kLong * kRepeats} * (round + 1) / kRounds; emitted < until; ++emitted) {
      const std::string n = id_of(1 + static_cast<int>(emitted % kLong));
      const std::string action = repeats[emitted % 4];
      if (action == "kill") {
        engine_.emit_container_event(n, action, {{"signal", "1"}});  // a reload signal: keeps it published
      } else {
        engine_.emit_container_event(n, action);
      }
    }
    for (int i = first; i < first + kRound; ++i) {
      int n = 10'000 + i;
      engine_.set_state(id_of(n), "exited");
      engine_.emit_container_event(id_of(n), "die", {{"exitCode", "0"}});
      engine_.remove(id_of(n));
      engine_.emit_container_event(id_of(n), "destroy");
    }
    const uint64_t sent = 3ull * static_cast<uint64_t>(first + kRound) + emitted;
    ASSERT_TRUE(wait([&] { return source_->status().events_seen - before.events_seen >= sent; }));
    auto s = source_->status();
    most_queued = std::max(most_queued, s.inspects_queued);
    most_known = std::max(most_known, s.containers);
    most_in_flight = std::max(most_in_flight, s.inspects_in_flight);
  }
  ASSERT_EQ(emitted, static_cast<uint64_t>(kLong * kRepeats));
  fakes::run_until_idle(io_);
  auto after = source_->status();
  EXPECT_EQ(after.events_seen - before.events_seen, 10'000u);

  // What the burst left: the containers that exist, one queued inspect each at most.
  EXPECT_EQ(after.containers, static_cast<size_t>(kLong));
  EXPECT_LE(after.inspects_queued, static_cast<size_t>(kLong));
  EXPECT_LE(after.inspects_in_flight, kInFlight);
  EXPECT_LE(most_known, static_cast<size_t>(kLong + kRound));
  EXPECT_LE(most_queued, static_cast<size_t>(kLong + kRound));
  EXPECT_LE(most_in_flight, kInFlight);
  EXPECT_EQ(source_->services().size(), static_cast<size_t>(kLong));  // none blinked: no event withdrew them

  engine_.release("/containers/");
  ASSERT_TRUE(wait([&] {
    auto s = source_->status();
    return s.inspects_in_flight == 0 && s.inspects_queued == 0;
  }));
  fakes::run_until_idle(io_);
  auto settled = source_->status();
  // One inspect per long-lived container (whatever its number of events), plus those held in flight.
  EXPECT_LE(settled.inspects - before.inspects, static_cast<uint64_t>(kLong) + kInFlight);
  EXPECT_EQ(settled.containers, static_cast<size_t>(kLong));
  EXPECT_EQ(source_->services().size(), static_cast<size_t>(kLong));
}

}  // namespace
}  // namespace ecssd::source
