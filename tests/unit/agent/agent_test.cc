#include "agent/agent.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fakes/fake_source.h"
#include "fakes/run_sync.h"
#include "provider/inmemory/inmemory_provider.h"
#include "registry/registry.h"

namespace ecssd::agent {
namespace {

using testing::FakeSource;
using testing::run_sync;

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

  // Runs the loop until idle (no timers pending but the idle wake timer).
  void settle() {
    for (int i = 0; i < 50; ++i) {
      io_.restart();
      io_.poll();
    }
  }

  size_t count_type(model::RecordType t) {
    size_t n = 0;
    for (const auto& r : mem_->records()) n += r.type == t;
    return n;
  }

  boost::asio::io_context io_;
  provider::InMemoryProvider* mem_;
  std::unique_ptr<provider::CachedProvider> cache_;
  FakeSource source_;
  Options options_;
};

TEST_F(AgentTest, PublishesWhenSyncedAndWithdrawsWhenGone) {
  Agent agent(io_, source_, *cache_, options_);
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
  Agent agent(io_, source_, *cache_, options_);
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
  Agent agent(io_, source_, *cache_, options_);
  agent.start();
  source_.set({});
  auto run_for = [&](std::chrono::milliseconds d) {
    auto end = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < end) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(2));
    }
  };
  run_for(std::chrono::milliseconds(60));
  const size_t before = mem_->apply_calls();
  std::vector<model::Service> all;
  for (int i = 0; i < 60; ++i) {  // a change every ~10 ms for ~600 ms
    all.push_back(svc(fmt::format("{:03d}", i), "web", static_cast<uint16_t>(20000 + i)));
    source_.set(all);
    run_for(std::chrono::milliseconds(10));
  }
  const size_t during = mem_->apply_calls() - before;
  EXPECT_GE(during, 2u);   // not held back until the burst ends
  EXPECT_LE(during, 8u);   // nor one per change
  run_for(std::chrono::milliseconds(200));
  EXPECT_EQ(count_type(model::RecordType::kCNAME), 60u);

  // Alone: out after the quiet interval, well before the max delay.
  const size_t applies = mem_->apply_calls();
  all.push_back(svc("lone", "web", 21000));
  source_.set(all);
  auto t0 = std::chrono::steady_clock::now();
  while (mem_->apply_calls() == applies && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2)) {
    io_.restart();
    io_.run_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(mem_->apply_calls(), applies + 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(140));
  agent.stop();
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

  Agent agent(io_, source_, *cache_, options_);
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
  Agent agent(io_, source_, *cache_, options_);
  agent.start();
  mem_->fail_next(common::transient_error(common::ErrorCode::kUnavailable, "down"), 5);
  source_.set({svc("a", "web", 18081)});
  settle();
  source_.set({svc("a", "web", 18081), svc("b", "web", 18082)});
  // Retries with backoff (1-2 ms here) until the provider answers.
  for (int i = 0; i < 200 && count_type(model::RecordType::kCNAME) < 2; ++i) {
    io_.restart();
    io_.run_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(count_type(model::RecordType::kCNAME), 2u);
  EXPECT_TRUE(agent.stats().provider_ok);
  agent.stop();
  settle();
}

TEST_F(AgentTest, RefusedChangeIsRetriedAndOthersApply) {
  mem_->refuse_name("bad.sd.internal");
  Agent agent(io_, source_, *cache_, options_);
  agent.start();
  source_.set({svc("a", "web", 18081), svc("b", "bad", 18082)});
  for (int i = 0; i < 20; ++i) {
    io_.restart();
    io_.run_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(count_type(model::RecordType::kCNAME), 1u);
  EXPECT_GT(agent.stats().apply_failures, 1u);  // tried again
  agent.stop();
  settle();
}

TEST_F(AgentTest, DryRunChangesNothing) {
  options_.dry_run = true;
  Agent agent(io_, source_, *cache_, options_);
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
    Agent agent(io_, source_, *cache_, options_);
    source_.set({svc("a", "web", 18081)});
    auto s = run_sync(io_, agent.sync_once(std::chrono::milliseconds(100)));
    ASSERT_TRUE(s.ok()) << s.error().describe();
    EXPECT_EQ(count_type(model::RecordType::kCNAME), 2u);
  }
  Agent agent(io_, source_, *cache_, options_);
  auto s = run_sync(io_, agent.remove_all());
  ASSERT_TRUE(s.ok());
  auto left = mem_->records();
  ASSERT_EQ(count_type(model::RecordType::kCNAME), 1u);
  EXPECT_EQ(agent.stats().records_removed, 1u);
}

TEST_F(AgentTest, SyncOnceFailsClearlyWhenTheEngineNeverAnswers) {
  Agent agent(io_, source_, *cache_, options_);
  auto s = run_sync(io_, agent.sync_once(std::chrono::milliseconds(20)));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("--docker-host"), std::string::npos);
  EXPECT_TRUE(mem_->records().empty());
}

}  // namespace
}  // namespace ecssd::agent
