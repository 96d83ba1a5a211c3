#include "agent/agent.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>

#include "common/metrics.h"
#include "common/time_system.h"
#include "fakes/fake_source.h"
#include "provider/inmemory/inmemory_provider.h"
#include "registry/registry.h"

namespace ecssd::agent {
namespace {

using std::chrono::milliseconds;
using testing::FakeSource;

model::Service svc(std::string id, std::string name, uint16_t port) {
  model::Service s;
  s.container_id = id + std::string(64 - id.size(), '0');
  s.container_name = "c-" + id;
  s.name = std::move(name);
  s.container_port = 80;
  s.host_port = port;
  return s;
}

class AgentTest : public ::testing::Test {
 protected:
  AgentTest() {
    auto mem = std::make_unique<provider::InMemoryProvider>("sd.internal");
    mem_ = mem.get();
    cache_ = std::make_unique<provider::CachedProvider>(std::move(mem));
    options_.records.zone = "sd.internal";
    options_.records.host = {.owner_id = "h1", .host_name = "h1.example", .host_ip = "10.0.0.1"};
    options_.resync = std::chrono::milliseconds(0);
    options_.retry_base = std::chrono::milliseconds(1);
    options_.retry_cap = std::chrono::milliseconds(2);
  }

  Agent make_agent() { return Agent(io_, source_, *cache_, options_, time_, common::Scope(metrics_)); }

  // Runs what is ready, without moving simulated time.
  void settle() { time_.run_for(io_, milliseconds(0)); }

  // Runs `task` to completion, moving simulated time as its timers need.
  template <typename T>
  T run_task(boost::asio::awaitable<T> task) {
    std::optional<T> out;
    boost::asio::co_spawn(io_, std::move(task), [&out](std::exception_ptr e, T value) {
      if (e) std::rethrow_exception(e);
      out.emplace(std::move(value));
    });
    EXPECT_TRUE(time_.run_until(io_, [&out] { return out.has_value(); }, std::chrono::hours(1)));
    return std::move(*out);
  }

  size_t count_type(model::RecordType t) {
    size_t n = 0;
    for (const auto& r : mem_->records()) n += r.type == t;
    return n;
  }

  common::SimulatedTimeSystem time_;  // before the io_context whose coroutines hold its timers
  boost::asio::io_context io_;
  common::Metrics metrics_;
  provider::InMemoryProvider* mem_;
  std::unique_ptr<provider::CachedProvider> cache_;
  FakeSource source_;
  Options options_;
};

TEST_F(AgentTest, PublishesWhenSyncedAndWithdrawsWhenGone) {
  Agent agent = make_agent();
  agent.start();
  settle();
  EXPECT_EQ(mem_->apply_calls(), 0u);  // not synced: nothing is done

  source_.set({svc("a", "web", 18081), svc("b", "web", 18082)});
  settle();
  EXPECT_EQ(count_type(model::RecordType::kCNAME), 2u);
  EXPECT_EQ(count_type(model::RecordType::kTXT), 2u);
  EXPECT_TRUE(agent.stats().converged);

  source_.set({svc("b", "web", 18082)});
  settle();
  EXPECT_EQ(count_type(model::RecordType::kCNAME), 1u);
  EXPECT_EQ(agent.stats().records_removed, 1u);
  agent.stop();
  settle();
}

TEST_F(AgentTest, ABurstOfChangesIsCoalescedIntoOneApply) {
  Agent agent = make_agent();
  agent.start();
  std::vector<model::Service> all;
  for (int i = 0; i < 200; ++i) {
    all.push_back(svc(fmt::format("{:03d}", i), "web", static_cast<uint16_t>(20000 + i)));
    source_.set(all);  // one on_change per container start, all before the loop runs
  }
  settle();
  EXPECT_EQ(count_type(model::RecordType::kCNAME), 200u);
  EXPECT_EQ(mem_->apply_calls(), 1u);
  EXPECT_EQ(mem_->list_calls(), 1u);
  source_.set({});
  settle();
  EXPECT_EQ(count_type(model::RecordType::kCNAME), 0u);
  EXPECT_EQ(mem_->apply_calls(), 2u);
  EXPECT_EQ(mem_->list_calls(), 1u);  // planned against the cache
  agent.stop();
  settle();
}

// A long burst goes out in a few batches (one per batch_max_delay), not one
// per change and not one at its very end; a lone change after batch_interval.
TEST_F(AgentTest, ALongBurstIsBatchedByMaxDelayAndALoneChangeByInterval) {
  options_.batch_interval = std::chrono::milliseconds(40);
  options_.batch_max_delay = std::chrono::milliseconds(150);
  Agent agent = make_agent();
  agent.start();
  source_.set({});
  auto run_for = [&](milliseconds d) { time_.run_for(io_, d); };
  run_for(milliseconds(60));
  const size_t before = mem_->apply_calls();
  std::vector<model::Service> all;
  for (int i = 0; i < 60; ++i) {  // a change every 10 ms for 600 ms
    all.push_back(svc(fmt::format("{:03d}", i), "web", static_cast<uint16_t>(20000 + i)));
    source_.set(all);
    run_for(milliseconds(10));
  }
  const size_t during = mem_->apply_calls() - before;
  EXPECT_GE(during, 2u);   // not held back until the burst ends
  EXPECT_LE(during, 8u);   // nor one per change
  run_for(milliseconds(200));
  EXPECT_EQ(count_type(model::RecordType::kCNAME), 60u);

  // Alone, after a quiet interval: out at once, waiting for nothing.
  const size_t applies = mem_->apply_calls();
  all.push_back(svc("lone", "web", 21000));
  source_.set(all);
  const auto t0 = time_.steady_now();
  EXPECT_TRUE(time_.run_until(io_, [&] { return mem_->apply_calls() > applies; }, std::chrono::seconds(2)));
  EXPECT_EQ(mem_->apply_calls(), applies + 1);
  EXPECT_LT(time_.steady_now() - t0, milliseconds(5));

  // A second change right after that run is batched: out after the quiet
  // interval, not at once, and well before the max delay.
  run_for(milliseconds(10));
  all.push_back(svc("second", "web", 21001));
  source_.set(all);
  const auto t1 = time_.steady_now();
  EXPECT_TRUE(time_.run_until(io_, [&] { return mem_->apply_calls() > applies + 1; }, std::chrono::seconds(2)));
  EXPECT_EQ(mem_->apply_calls(), applies + 2);
  EXPECT_GE(time_.steady_now() - t1, milliseconds(40));
  EXPECT_LT(time_.steady_now() - t1, milliseconds(140));
  agent.stop();
  settle();
}

// A burst on a quiet agent: its first change goes at once, the rest in
// batches after it, so the burst costs one call more than a debounce alone.
TEST_F(AgentTest, TheFirstChangeOfAQuietPeriodGoesAtOnceAndTheRestIsBatched) {
  options_.batch_interval = std::chrono::milliseconds(1000);
  options_.batch_max_delay = std::chrono::milliseconds(5000);
  Agent agent = make_agent();
  agent.start();
  source_.set({});
  time_.run_for(io_, std::chrono::seconds(3));
  const size_t before = mem_->apply_calls();
  std::vector<model::Service> all;
  std::vector<size_t> applied_at;  // apply calls seen after each change
  for (int i = 0; i < 30; ++i) {  // a change every 100 ms for 3 s
    all.push_back(svc(fmt::format("{:03d}", i), "web", static_cast<uint16_t>(20000 + i)));
    source_.set(all);
    time_.run_for(io_, milliseconds(1));
    applied_at.push_back(mem_->apply_calls() - before);
    time_.run_for(io_, milliseconds(99));
  }
  EXPECT_EQ(applied_at[0], 1u);  // the first change: out within the millisecond
  EXPECT_EQ(applied_at[29], 1u);  // the others wait for the quiet second (or the max delay)
  time_.run_for(io_, milliseconds(1100));
  EXPECT_EQ(mem_->apply_calls() - before, 2u);
  EXPECT_EQ(count_type(model::RecordType::kCNAME), 30u);
  agent.stop();
  settle();
}

// A provider in front of another: every call goes through unless a test's
// subclass changes it.
class WrappedProvider : public provider::Provider {
 public:
  WrappedProvider(std::unique_ptr<provider::Provider> inner, common::TimeSystem& time)
      : inner_(std::move(inner)), time_(time) {}
  const std::string& zone() const override { return inner_->zone(); }
  provider::Capabilities capabilities() const override { return inner_->capabilities(); }
  common::Task<common::Result<std::vector<model::Record>>> list() override { co_return co_await inner_->list(); }
  common::Task<common::Result<provider::ApplyReport>> apply(model::ChangeSet changes) override {
    co_return co_await inner_->apply(std::move(changes));
  }
  model::Record canonicalize(model::Record r) const override { return inner_->canonicalize(std::move(r)); }

 protected:
  std::unique_ptr<provider::Provider> inner_;
  common::TimeSystem& time_;
};

// A provider whose every apply takes `delay` of simulated time (a Route 53
// client waiting for its pace).
class SlowProvider final : public WrappedProvider {
 public:
  SlowProvider(std::unique_ptr<provider::Provider> inner, common::TimeSystem& time, milliseconds delay)
      : WrappedProvider(std::move(inner), time), delay_(delay) {}
  common::Task<common::Result<provider::ApplyReport>> apply(model::ChangeSet changes) override {
    co_await time_.sleep_for(delay_);
    co_return co_await inner_->apply(std::move(changes));
  }

 private:
  milliseconds delay_;
};

// Changes that arrive while a slow run is applying are batched after it: the
// quiet period counts from the end of the last run, so a provider that
// makes each run wait does not turn every later change into a call of its own.
TEST_F(AgentTest, ChangesDuringASlowRunAreBatchedAfterIt) {
  options_.batch_interval = std::chrono::milliseconds(1000);
  options_.batch_max_delay = std::chrono::milliseconds(5000);
  auto owned = std::make_unique<provider::InMemoryProvider>("sd.internal");
  provider::InMemoryProvider* mem = owned.get();
  provider::CachedProvider slow(std::make_unique<SlowProvider>(std::move(owned), time_, milliseconds(3000)));
  Agent agent(io_, source_, slow, options_, time_, common::Scope(metrics_));
  agent.start();
  source_.set({});
  time_.run_for(io_, std::chrono::seconds(10));
  const size_t before = mem->apply_calls();
  std::vector<model::Service> all;
  auto change = [&](int i) {
    all.push_back(svc(fmt::format("{:03d}", i), "web", static_cast<uint16_t>(20000 + i)));
    source_.set(all);
  };
  change(0);  // t = 0: quiet, at once; the run lasts until t = 3
  time_.run_for(io_, milliseconds(2500));
  change(1);  // t = 2.5, during the run
  time_.run_for(io_, milliseconds(700));
  change(2);  // t = 3.2, just after it
  time_.run_for(io_, std::chrono::seconds(20));
  size_t cnames = 0;
  for (const auto& r : mem->records()) cnames += r.type == model::RecordType::kCNAME;
  EXPECT_EQ(cnames, 3u);
  // Changes 1 and 2 in one batch after the run. Quiet counted from the run's
  // start, change 1 (2.5 s after it) would have gone alone at t = 3 and
  // change 2 in a third call.
  EXPECT_EQ(mem->apply_calls() - before, 2u);
  agent.stop();
  settle();
}

// A provider that paces itself as the Route 53 client does: after each
// request the next may go `gap` later (ready_at), and a request sent before
// then, or one told to, is throttled with nothing applied.
class PacedProvider final : public WrappedProvider {
 public:
  PacedProvider(std::unique_ptr<provider::Provider> inner, common::TimeSystem& time, milliseconds gap)
      : WrappedProvider(std::move(inner), time), gap_(gap) {}
  common::Task<common::Result<provider::ApplyReport>> apply(model::ChangeSet changes) override {
    const auto now = time_.steady_now();
    const bool early = now < next_;
    next_ = now + gap_;
    if (early || throttle_next_ > 0) {
      ++throttled_;
      if (throttle_next_ > 0) --throttle_next_;
      co_return common::transient_error(common::ErrorCode::kThrottled, "Rate exceeded");
    }
    co_return co_await inner_->apply(std::move(changes));
  }
  common::SteadyTime ready_at(common::SteadyTime now) const override { return std::max(now, next_); }

  void throttle_next(int n) { throttle_next_ = n; }
  int throttled() const { return throttled_; }

 private:
  milliseconds gap_;
  common::SteadyTime next_{};
  int throttle_next_ = 0;
  int throttled_ = 0;
};

struct PacedAgentTest : AgentTest {
  void SetUp() override {
    options_.batch_interval = std::chrono::milliseconds(1000);
    options_.batch_max_delay = std::chrono::milliseconds(5000);
    auto owned = std::make_unique<provider::InMemoryProvider>("sd.internal");
    mem = owned.get();
    auto p = std::make_unique<PacedProvider>(std::move(owned), time_, milliseconds(10'000));
    paced = p.get();
    cached = std::make_unique<provider::CachedProvider>(std::move(p));
  }
  size_t cnames() const {
    size_t n = 0;
    for (const auto& r : mem->records()) n += r.type == model::RecordType::kCNAME;
    return n;
  }
  std::vector<model::Service> all;
  void change(int i) {
    all.push_back(svc(fmt::format("{:03d}", i), "web", static_cast<uint16_t>(20000 + i)));
    source_.set(all);
  }
  provider::InMemoryProvider* mem = nullptr;
  PacedProvider* paced = nullptr;
  std::unique_ptr<provider::CachedProvider> cached;
};

// While the provider's pace holds the next request back, the agent waits
// before planning: the changes made meanwhile all go in the one call that
// the pace allows, and none is throttled for going early.
TEST_F(PacedAgentTest, PlansWhenThePaceAllowsWithEveryChangeMadeWhileWaiting) {
  Agent agent(io_, source_, *cached, options_, time_, common::Scope(metrics_));
  agent.start();
  source_.set({});
  time_.run_for(io_, std::chrono::seconds(20));
  const size_t before = mem->apply_calls();
  change(0);  // t = 0: quiet, at once; the next request may go at t = 10
  time_.run_for(io_, milliseconds(100));
  EXPECT_EQ(mem->apply_calls() - before, 1u);
  time_.run_for(io_, milliseconds(1900));
  change(1);  // t = 2
  time_.run_for(io_, std::chrono::seconds(4));
  change(2);  // t = 6: past the 5 s batch cap of change 1, still before the pace
  time_.run_for(io_, milliseconds(3800));
  EXPECT_EQ(mem->apply_calls() - before, 1u) << "nothing before t = 10";
  EXPECT_EQ(cnames(), 1u);
  time_.run_for(io_, milliseconds(300));
  EXPECT_EQ(mem->apply_calls() - before, 2u) << "changes 1 and 2 in one call at t = 10";
  EXPECT_EQ(cnames(), 3u);
  EXPECT_EQ(paced->throttled(), 0);
  agent.stop();
  settle();
}

// A throttled plan (nothing applied) is planned again at the provider's next
// slot, with what changed since, and no failure backoff on top: the provider
// is not failing, so it stays "ok" for /readyz, and the run is counted.
TEST_F(PacedAgentTest, AThrottledPlanIsPlannedAgainAtThePaceWithWhatCameSince) {
  options_.retry_base = std::chrono::milliseconds(60'000);  // a backoff would show
  options_.retry_cap = std::chrono::milliseconds(60'000);
  Agent agent(io_, source_, *cached, options_, time_, common::Scope(metrics_));
  agent.start();
  source_.set({});
  time_.run_for(io_, std::chrono::seconds(20));
  const size_t before = mem->apply_calls();
  paced->throttle_next(1);
  change(0);  // t = 0: throttled; the next slot is t = 10
  time_.run_for(io_, std::chrono::seconds(3));
  change(1);  // t = 3
  time_.run_for(io_, milliseconds(6900));
  EXPECT_EQ(mem->apply_calls() - before, 0u);
  EXPECT_TRUE(agent.stats().provider_ok);
  time_.run_for(io_, milliseconds(300));
  EXPECT_EQ(mem->apply_calls() - before, 1u) << "both changes in one call at t = 10";
  EXPECT_EQ(cnames(), 2u);
  EXPECT_EQ(paced->throttled(), 1);
  EXPECT_TRUE(agent.stats().provider_ok);
  EXPECT_EQ(metrics_.counter("ecssd_plan_runs_throttled_total",
                             "Plan runs whose changes the provider throttled (planned again at its pace)")
                .value(),
            1.0);
  agent.stop();
  settle();
}

// --once retries a throttled plan at the pace too, rather than failing.
TEST_F(PacedAgentTest, OnceWaitsOutAThrottle) {
  Agent agent(io_, source_, *cached, options_, time_, common::Scope(metrics_));
  source_.set({svc("a", "web", 18081)});
  paced->throttle_next(2);
  auto s = run_task(agent.sync_once(std::chrono::seconds(5)));
  EXPECT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(cnames(), 1u);
  EXPECT_EQ(paced->throttled(), 2);
  settle();
}

TEST_F(AgentTest, NeverTouchesRecordsOfOtherOwnersOrForeignRecords) {
  model::Record foreign;
  foreign.name = "web.sd.internal";
  foreign.type = model::RecordType::kCNAME;
  foreign.ttl = 300;
  foreign.values = {"legacy.example"};
  foreign.set_identifier = "legacy";
  foreign.weight = 10;
  mem_->seed({foreign});
  model::Record other = foreign;
  other.values = {"h2.example"};
  other.set_identifier = "ecssd:h2:abc:80-tcp";
  other.labels = {{"owner", "h2"}};
  mem_->seed(registry::expand(model::ChangeSet{.create = {other}}).create);

  Agent agent = make_agent();
  agent.start();
  source_.set({svc("a", "web", 18081)});
  settle();
  source_.set({});
  settle();
  auto left = mem_->records();
  ASSERT_EQ(left.size(), 3u);  // foreign + h2's record and companion
  agent.stop();
  settle();
}

TEST_F(AgentTest, ProviderOutageQueuesNothingAndConvergesAfterwards) {
  Agent agent = make_agent();
  agent.start();
  mem_->fail_next(common::transient_error(common::ErrorCode::kUnavailable, "down"), 5);
  source_.set({svc("a", "web", 18081)});
  settle();
  source_.set({svc("a", "web", 18081), svc("b", "web", 18082)});
  // Retries with backoff (1-2 ms here) until the provider answers.
  time_.run_until(io_, [&] { return count_type(model::RecordType::kCNAME) >= 2; }, std::chrono::seconds(1));
  EXPECT_EQ(count_type(model::RecordType::kCNAME), 2u);
  EXPECT_TRUE(agent.stats().provider_ok);
  agent.stop();
  settle();
}

TEST_F(AgentTest, RefusedChangeIsRetriedAndOthersApply) {
  mem_->refuse_name("bad.sd.internal");
  Agent agent = make_agent();
  agent.start();
  source_.set({svc("a", "web", 18081), svc("b", "bad", 18082)});
  time_.run_for(io_, milliseconds(100));
  EXPECT_EQ(count_type(model::RecordType::kCNAME), 1u);
  EXPECT_GT(agent.stats().apply_failures, 1u);  // tried again
  agent.stop();
  settle();
}

TEST_F(AgentTest, DryRunChangesNothing) {
  options_.dry_run = true;
  Agent agent = make_agent();
  agent.start();
  source_.set({svc("a", "web", 18081)});
  settle();
  EXPECT_TRUE(mem_->records().empty());
  EXPECT_EQ(mem_->apply_calls(), 0u);
  agent.stop();
  settle();
}

TEST_F(AgentTest, RemoveAllWithdrawsOnlyThisOwnersRecords) {
  model::Record other;
  other.name = "web.sd.internal";
  other.type = model::RecordType::kCNAME;
  other.ttl = 10;
  other.values = {"h2.example"};
  other.set_identifier = "ecssd:h2:abc:80-tcp";
  other.labels = {{"owner", "h2"}};
  mem_->seed(registry::expand(model::ChangeSet{.create = {other}}).create);
  {
    Agent agent = make_agent();
    source_.set({svc("a", "web", 18081)});
    auto s = run_task(agent.sync_once(milliseconds(100)));
    ASSERT_TRUE(s.ok()) << s.error().describe();
    EXPECT_EQ(count_type(model::RecordType::kCNAME), 2u);
  }
  Agent agent = make_agent();
  auto s = run_task(agent.remove_all());
  ASSERT_TRUE(s.ok());
  auto left = mem_->records();
  ASSERT_EQ(count_type(model::RecordType::kCNAME), 1u);
  EXPECT_EQ(agent.stats().records_removed, 1u);
}

TEST_F(AgentTest, SyncOnceFailsClearlyWhenTheEngineNeverAnswers) {
  Agent agent = make_agent();
  const auto t0 = time_.steady_now();
  auto s = run_task(agent.sync_once(milliseconds(20)));
  EXPECT_EQ(time_.steady_now() - t0, milliseconds(20));  // it waited exactly that long
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("--docker-host"), std::string::npos);
  EXPECT_TRUE(mem_->records().empty());
}

// The resync timer relists the engine and the provider, on simulated time.
TEST_F(AgentTest, ResyncRelistsOnItsTimer) {
  options_.resync = std::chrono::seconds(60);
  Agent agent = make_agent();
  agent.start();
  source_.set({svc("a", "web", 18081)});
  settle();
  const size_t lists = mem_->list_calls();
  time_.run_for(io_, std::chrono::seconds(59));
  EXPECT_EQ(source_.resyncs(), 0);
  EXPECT_EQ(mem_->list_calls(), lists);
  time_.run_for(io_, std::chrono::seconds(1));
  EXPECT_EQ(source_.resyncs(), 1);
  EXPECT_EQ(mem_->list_calls(), lists + 1);  // the cache was dropped
  time_.run_for(io_, std::chrono::seconds(60));
  EXPECT_EQ(source_.resyncs(), 2);
  agent.stop();
  settle();
  EXPECT_TRUE(agent.finished());
}

// Stores TTLs of at least 60 s, as some backends do, and says so in
// canonicalize().
class TtlFloorProvider final : public provider::InMemoryProvider {
 public:
  using InMemoryProvider::InMemoryProvider;
  model::Record canonicalize(model::Record r) const override {
    r.ttl = std::max<uint32_t>(r.ttl, 60);
    return r;
  }
  common::Task<common::Result<provider::ApplyReport>> apply(model::ChangeSet changes) override {
    for (auto& r : changes.create) r = canonicalize(std::move(r));
    for (auto& u : changes.update) u.new_record = canonicalize(std::move(u.new_record));
    co_return co_await InMemoryProvider::apply(std::move(changes));
  }
};

// Desired records are compared in the provider's canonical form (through the
// registry, labels kept), so a backend's rewriting causes no endless updates.
TEST_F(AgentTest, PlansAgainstTheProvidersCanonicalForm) {
  auto floor = std::make_unique<TtlFloorProvider>("sd.internal");
  TtlFloorProvider* stored = floor.get();
  provider::CachedProvider cache(std::move(floor));
  Agent agent(io_, source_, cache, options_, time_, common::Scope(metrics_));
  agent.start();
  source_.set({svc("a", "web", 18081)});
  settle();
  ASSERT_EQ(stored->apply_calls(), 1u);
  for (const auto& r : stored->records()) EXPECT_EQ(r.ttl, 60u) << model::describe(r);
  agent.resync();
  settle();
  EXPECT_EQ(stored->apply_calls(), 1u);  // converged: nothing to change
  EXPECT_TRUE(agent.stats().converged);
  agent.stop();
  settle();
}

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The name policy (issue 12): a refused name is one log line while it stays
// refused, a gauge, and the container's other services still publish.
TEST_F(AgentTest, ANameRefusedByThePolicyIsLoggedOnceCountedAndTheOthersPublish) {
  auto names = model::NamePolicy::make({}, {"payments*"}, "sd.internal");
  ASSERT_TRUE(names.ok());
  options_.records.names = *names;
  Agent agent = make_agent();
  agent.start();
  model::Service claim = svc("a", "payments-api", 18082);
  claim.container_port = 81;
  ::testing::internal::CaptureStderr();
  source_.set({svc("a", "web", 18081), claim});
  settle();
  source_.set({svc("a", "web", 18081), claim, svc("b", "api", 18083)});  // another run: no second line
  settle();
  std::string log = ::testing::internal::GetCapturedStderr();
  std::set<std::string> published;
  for (const auto& r : mem_->records()) {
    if (r.type == model::RecordType::kCNAME) published.insert(r.name);
  }
  EXPECT_EQ(published, (std::set<std::string>{"web.sd.internal", "api.sd.internal"}));
  EXPECT_EQ(occurrences(log, "name refused by the name policy"), 1u) << log;
  EXPECT_NE(log.find("container=c-a "), std::string::npos) << log;
  EXPECT_NE(log.find("field=SERVICE_81_NAME"), std::string::npos) << log;
  EXPECT_NE(log.find("name=payments-api.sd.internal"), std::string::npos) << log;
  EXPECT_NE(log.find("rule=\"--deny-name payments*\""), std::string::npos) << log;
  EXPECT_NE(metrics_.render().find("ecssd_services_refused{reason=\"name-policy\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics_.render().find("ecssd_services_rejected 0\n"), std::string::npos);  // a refusal is not malformed

  ::testing::internal::CaptureStderr();
  source_.set({svc("a", "web", 18081)});  // the claim is gone...
  settle();
  EXPECT_NE(metrics_.render().find("ecssd_services_refused{reason=\"name-policy\"} 0\n"), std::string::npos);
  source_.set({svc("a", "web", 18081), claim});  // ...and back: a new state, a new line
  settle();
  log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(occurrences(log, "name refused by the name policy"), 1u) << log;
  agent.stop();
  settle();
}

// The agent's pending work is a flag, not a queue: 10,000 changes before the
// loop runs are one plan run.
TEST_F(AgentTest, TenThousandChangesAreOnePlanRun) {
  Agent agent = make_agent();
  agent.start();
  source_.set({svc("a", "web", 18081)});
  settle();
  const uint64_t runs = agent.stats().plan_runs;
  for (int i = 0; i < 10'000; ++i) {
    source_.set({svc("a", "web", 18081), svc("b", "web", static_cast<uint16_t>(20000 + i % 2))});
  }
  settle();
  EXPECT_EQ(agent.stats().plan_runs, runs + 1);
  EXPECT_EQ(count_type(model::RecordType::kCNAME), 2u);
  agent.stop();
  settle();
}

}  // namespace
}  // namespace ecssd::agent
