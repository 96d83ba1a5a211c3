#include "source/docker/reconcile.h"

#include <gtest/gtest.h>

#include "common/metrics.h"

namespace ecssd::source {
namespace {

using common::ErrorCode;

EngineResponse answer(unsigned status, std::string body) {
  EngineResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(ReadListing, KeepsIdStateAndNameOfEachEntry) {
  auto l = read_listing(answer(200, R"([
    {"Id":"aaa1","Names":["/web"],"State":"running"},
    {"Id":"bbb2","Names":["api"],"State":"exited"},
    {"Id":"../x","Names":["/evil"],"State":"running"},
    {"Names":["/noid"]},
    "not an object",
    {"Id":"ccc3"}])"));
  ASSERT_TRUE(l.ok()) << l.error().describe();
  ASSERT_EQ(l->size(), 3u);
  EXPECT_EQ(l->at("aaa1").state, "running");
  EXPECT_EQ(l->at("aaa1").name, "web");
  EXPECT_EQ(l->at("bbb2").name, "api");
  EXPECT_EQ(l->at("ccc3").state, "");
}

TEST(ReadListing, ErrorsNameTheRequest) {
  auto busy = read_listing(answer(500, R"({"message":"boom"})"));
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(busy.error().transient);
  EXPECT_EQ(busy.error().message, "GET /containers/json: the Docker engine answered 500: boom");
  auto refused = read_listing(answer(400, R"({"message":"bad filter"})"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kProtocol);
  EXPECT_FALSE(refused.error().transient);
  auto garbage = read_listing(answer(200, R"({"Id":"aaa1"})"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().message, "GET /containers/json: the answer is not a JSON array");
}

class ReconcileTest : public ::testing::Test {
 protected:
  ReconcileTest() : table_(false, SourceMetrics(common::Scope(metrics_)), [this] { ++changes_; }) {}

  // A running, inspected container publishing one service.
  void publish(const std::string& id, uint64_t event_seq = 0) {
    InspectedContainer i;
    i.id = id;
    i.name = id;
    i.running = true;
    i.started_at = "run";
    model::Service s;
    s.container_id = id;
    s.name = id;
    i.extraction.services = {s};
    Container& c = table_.get(id);
    c.last_event_seq = event_seq;
    table_.apply_inspect(id, c, std::move(i));
  }

  common::Metrics metrics_;
  int changes_ = 0;
  ContainerTable table_;
};

TEST_F(ReconcileTest, UnlistedContainersAreForgottenUnlessAnEventCameSince) {
  publish("old");
  publish("new", 5);  // an event after the listing was asked for (seq0 = 3)
  int before = changes_;
  ::testing::internal::CaptureStderr();
  auto running = reconcile(table_, {}, 3);
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(running.empty());
  EXPECT_EQ(table_.find("old"), nullptr);
  EXPECT_NE(table_.find("new"), nullptr);
  EXPECT_EQ(changes_, before + 1);
  EXPECT_NE(log.find("reason=\"not listed\""), std::string::npos) << log;
}

TEST_F(ReconcileTest, ListedContainersAreInspectedOrStopped) {
  publish("web");
  publish("gone-quiet");
  Listing l{{"web", {"exited", "web"}},
            {"gone-quiet", {"running", "gone-quiet"}},
            {"fresh", {"running", "fresh"}},
            {"made", {"created", "made"}}};
  ::testing::internal::CaptureStderr();
  auto running = reconcile(table_, l, 0);
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(running, (std::vector<std::string>{"fresh", "gone-quiet"}));
  EXPECT_TRUE(table_.published(*table_.find("web")).empty());  // listed as exited: withdrawn now
  EXPECT_NE(log.find("reason=exited"), std::string::npos) << log;
  EXPECT_EQ(table_.published(*table_.find("gone-quiet")).size(), 1u);  // kept until its inspect says otherwise
  EXPECT_EQ(table_.find("fresh")->name, "fresh");
  EXPECT_FALSE(table_.find("fresh")->inspected);
  EXPECT_EQ(table_.size(), 4u);
}

TEST_F(ReconcileTest, AContainerWithANewerEventIsLeftToItsInspect) {
  publish("web", 7);
  auto running = reconcile(table_, Listing{{"web", {"exited", "web"}}}, 6);
  EXPECT_TRUE(running.empty());
  EXPECT_EQ(table_.published(*table_.find("web")).size(), 1u);
}

TEST(Resync, OneAtATimeAndCompleteWhenItsInspectsAnswered) {
  Resync r;
  EXPECT_FALSE(r.synced());
  EXPECT_TRUE(r.request());
  EXPECT_FALSE(r.request());  // runs after this one
  EXPECT_FALSE(r.answered("a"));  // not applied yet: nothing to complete
  EXPECT_FALSE(r.applied({"a", "b"}));
  EXPECT_FALSE(r.answered("a"));
  EXPECT_TRUE(r.answered("b"));
  EXPECT_TRUE(r.complete());  // the second one is due
  EXPECT_TRUE(r.synced());
  EXPECT_EQ(r.completed(), 1u);
  EXPECT_TRUE(r.request());
  EXPECT_TRUE(r.applied({}));  // nothing to wait for
  EXPECT_FALSE(r.complete());
  EXPECT_EQ(r.completed(), 2u);
}

TEST(Resync, ANewSessionAbandonsTheRunningListing) {
  Resync r;
  EXPECT_TRUE(r.request());
  EXPECT_FALSE(r.request());
  EXPECT_FALSE(r.applied({"a"}));
  r.reset();
  EXPECT_FALSE(r.running());
  EXPECT_FALSE(r.answered("a"));
  EXPECT_TRUE(r.request());
  EXPECT_TRUE(r.applied({}));
  EXPECT_FALSE(r.complete());  // the request made before the reset is gone too
  EXPECT_FALSE(r.synced() && r.completed() != 1u);
}

}  // namespace
}  // namespace ecssd::source
