#include "cli/eventbridge_sink.h"

#include <gtest/gtest.h>

#include "fakes/aws/fake_eventbridge.h"
#include "fakes/run_sync.h"

namespace ecssd::cli {
namespace {

using aws::testing::FakeEventBridgeApi;
using ecssd::testing::run_sync;

agent::Event event(std::string type) {
  agent::Event e;
  e.source = "ecssd";
  e.detail_type = std::move(type);
  e.detail = R"({"container_id":"abc"})";
  e.bus = "bus";
  e.resources = {"arn:aws:ecs:us-east-1:123456789012:task/prod/abc"};
  e.time = common::SystemTime(std::chrono::seconds(1'700'000'000));
  return e;
}

TEST(EventBridgeSink, EachEventIsOnePutEventsEntry) {
  FakeEventBridgeApi api;
  EventBridgeSink sink(api);
  EXPECT_EQ(sink.max_batch(), 10u);  // PutEvents' limit
  boost::asio::io_context io;
  auto r = run_sync(io, sink.send({event("Container Started"), event("Container Stopped")}));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].id, "event-1");
  EXPECT_EQ((*r)[1].id, "event-2");
  EXPECT_TRUE((*r)[0].error.empty());
  ASSERT_EQ(api.accepted().size(), 2u);
  const aws::EventEntry& e = api.accepted()[0];
  EXPECT_EQ(e.source, "ecssd");
  EXPECT_EQ(e.detail_type, "Container Started");
  EXPECT_EQ(e.detail, R"({"container_id":"abc"})");
  EXPECT_EQ(e.event_bus_name, "bus");
  EXPECT_EQ(e.resources, std::vector<std::string>{"arn:aws:ecs:us-east-1:123456789012:task/prod/abc"});
  ASSERT_TRUE(e.time.has_value());
  EXPECT_EQ(*e.time, common::SystemTime(std::chrono::seconds(1'700'000'000)));
}

TEST(EventBridgeSink, RejectedEntriesAreOutcomesNamingTheirCode) {
  FakeEventBridgeApi api;
  api.reject("Container Stopped");
  EventBridgeSink sink(api);
  boost::asio::io_context io;
  auto r = run_sync(io, sink.send({event("Container Started"), event("Container Stopped")}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_FALSE((*r)[0].id.empty());
  EXPECT_TRUE((*r)[1].id.empty());
  EXPECT_EQ((*r)[1].error, "PutEvents rejected an entry: InternalFailure rejected by the fake");
}

TEST(EventBridgeSink, FailedCallsKeepTheirErrorAndWhetherItIsTransient) {
  FakeEventBridgeApi api;
  api.fail_with(common::transient_error(common::ErrorCode::kThrottled, "slow down"));
  EventBridgeSink sink(api);
  boost::asio::io_context io;
  auto r = run_sync(io, sink.send({event("Container Started")}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, common::ErrorCode::kThrottled);
  EXPECT_TRUE(r.error().transient);
  api.fail_with(common::make_error(common::ErrorCode::kNotFound, "no such bus"));
  auto gone = run_sync(io, sink.send({event("Container Started")}));
  ASSERT_FALSE(gone.ok());
  EXPECT_FALSE(gone.error().transient);
}

}  // namespace
}  // namespace ecssd::cli
