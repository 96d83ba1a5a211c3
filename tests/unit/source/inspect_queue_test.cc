#include "source/docker/inspect_queue.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace ecssd::source {
namespace {

using common::ErrorCode;
using testutil::fixture;

const auto kAll = [](const std::string&) { return true; };

TEST(InspectQueue, AtMostMaxInFlightOldestFirst) {
  InspectQueue q(2);
  for (const char* id : {"a", "b", "c"}) EXPECT_TRUE(q.push(id));
  auto first = q.pop(kAll);
  auto second = q.pop(kAll);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->id, "a");
  EXPECT_EQ(second->id, "b");
  EXPECT_FALSE(q.pop(kAll));  // both slots taken
  EXPECT_EQ(q.in_flight(), 2u);
  EXPECT_EQ(q.queued(), 1u);
  q.finish(*first);
  auto third = q.pop(kAll);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->id, "c");
}

TEST(InspectQueue, AContainerIsQueuedOnceAndInspectedOneAtATime) {
  InspectQueue q(4);
  EXPECT_TRUE(q.push("a"));
  EXPECT_FALSE(q.push("a"));  // already queued
  auto t = q.pop(kAll);
  ASSERT_TRUE(t);
  EXPECT_TRUE(q.running("a"));
  EXPECT_FALSE(q.push("a"));  // its inspect runs: the answer's generation check asks again
  EXPECT_FALSE(q.pop(kAll));
  q.finish(*t);
  EXPECT_FALSE(q.running("a"));
  EXPECT_TRUE(q.push("a"));
}

TEST(InspectQueue, ForgottenContainersAreDroppedWithoutTakingASlot) {
  InspectQueue q(1);
  q.push("gone");
  q.push("here");
  auto t = q.pop([](const std::string& id) { return id != "gone"; });
  ASSERT_TRUE(t);
  EXPECT_EQ(t->id, "here");
  EXPECT_EQ(q.queued(), 0u);
  EXPECT_TRUE(q.push("gone"));  // may be queued again later
}

TEST(InspectQueue, ANewSessionForgetsIdsButOldInspectsKeepTheirSlots) {
  InspectQueue q(2);
  q.push("a");
  q.push("b");
  auto old = q.pop(kAll);
  ASSERT_TRUE(old);
  q.clear();
  EXPECT_EQ(q.queued(), 0u);
  EXPECT_FALSE(q.running("a"));
  EXPECT_TRUE(q.push("a"));  // the new session asks again
  auto fresh = q.pop(kAll);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(q.in_flight(), 2u);  // the old inspect still runs
  q.finish(*old);                // frees its slot only
  EXPECT_EQ(q.in_flight(), 1u);
  EXPECT_TRUE(q.running("a"));
  q.finish(*fresh);
  EXPECT_FALSE(q.running("a"));
}

EngineResponse answer(unsigned status, std::string body) {
  EngineResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(ReadInspect, WhatEachAnswerMeans) {
  constexpr const char* kId = "079ff28a82056e988f45de27f762b28789d9e293bb79ad61d041cc98b37b1061";
  ExtractOptions o;
  auto ok = read_inspect(answer(200, fixture("docker-20.10/inspect-web-multi.json")), kId, o);
  EXPECT_EQ(ok.kind, InspectAnswer::Kind::kApply);
  EXPECT_EQ(ok.info.id, kId);
  EXPECT_EQ(ok.info.extraction.services.size(), 3u);

  EXPECT_EQ(read_inspect(answer(404, R"({"message":"No such container"})"), kId, o).kind, InspectAnswer::Kind::kGone);

  auto busy = read_inspect(answer(500, R"({"message":"boom"})"), kId, o);
  EXPECT_EQ(busy.kind, InspectAnswer::Kind::kFailSession);
  EXPECT_TRUE(busy.error.transient);
  EXPECT_EQ(busy.error.message, "GET /containers/079ff28a8205/json: the Docker engine answered 500: boom");

  auto refused = read_inspect(answer(409, R"({"message":"conflict"})"), kId, o);
  EXPECT_EQ(refused.kind, InspectAnswer::Kind::kKeep);
  EXPECT_NE(refused.error.message.find("answered 409: conflict"), std::string::npos) << refused.error.message;

  EXPECT_EQ(read_inspect(answer(200, "{not json"), kId, o).kind, InspectAnswer::Kind::kUnreadable);

  auto down = read_inspect(common::transient_error(ErrorCode::kTimeout, "late"), kId, o);
  EXPECT_EQ(down.kind, InspectAnswer::Kind::kFailSession);
  EXPECT_EQ(down.error.message, "late");
  EXPECT_EQ(read_inspect(common::make_error(ErrorCode::kCancelled, "stop"), kId, o).kind,
            InspectAnswer::Kind::kFailSession);
  auto big = read_inspect(common::make_error(ErrorCode::kTooLarge, "exceeds"), kId, o);
  EXPECT_EQ(big.kind, InspectAnswer::Kind::kKeep);
  EXPECT_EQ(big.error.message, "exceeds");
}

}  // namespace
}  // namespace ecssd::source
