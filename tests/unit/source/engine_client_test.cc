#include "source/docker/engine_client.h"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "fakes/fake_docker_engine.h"
#include "source/docker/event_decoder.h"
#include "test_util.h"

namespace ecssd::source {
namespace {

using common::ErrorCode;
using fakes::FakeDockerEngine;
using testutil::complete;
using testutil::fixture;
using namespace std::chrono_literals;

class EngineClientTest : public ::testing::Test {
 protected:
  EngineClientTest() : engine_(io_) {
    engine_.start();
    engine_.put_json(fixture("docker-20.10/inspect-web-multi.json"));
  }

  EngineClient client(EngineLimits limits = {}) {
    return EngineClient(io_.get_executor(), engine_.socket_path(), limits);
  }

  boost::asio::io_context io_;
  FakeDockerEngine engine_;
};

TEST_F(EngineClientTest, PingReturnsTheApiVersionHeader) {
  auto c = client();
  auto r = complete(io_, c.get("/_ping"));
  ASSERT_TRUE(r && r->ok()) << (r ? r->error().describe() : "no result");
  EXPECT_EQ((*r)->status, 200u);
  EXPECT_EQ((*r)->body, "OK");
  EXPECT_EQ((*r)->api_version, "1.41");
  EXPECT_EQ((*r)->server, "Docker/20.10.24+dfsg1 (linux)");
  ASSERT_EQ(engine_.requests().size(), 1u);
  EXPECT_EQ(engine_.requests()[0].method, "GET");
}

TEST_F(EngineClientTest, ReadsAChunkedInspectWhole) {
  auto c = client();
  std::string expected = fixture("docker-20.10/inspect-web-multi.json");
  auto r =
      complete(io_, c.get("/v1.41/containers/079ff28a82056e988f45de27f762b28789d9e293bb79ad61d041cc98b37b1061/json"));
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ((*r)->status, 200u);
  // The fake re-serialises; compare as JSON.
  EXPECT_EQ(boost::json::parse((*r)->body), boost::json::parse(expected));
  EXPECT_GT((*r)->body.size(), 2048u);  // large enough that the fake sent it chunked
}

TEST_F(EngineClientTest, HttpErrorsAreResponsesWithTheEnginesMessage) {
  auto c = client();
  auto r = complete(io_, c.get("/v1.41/containers/nope/json"));
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ((*r)->status, 404u);
  EXPECT_EQ((*r)->error_message(), "No such container: nope");
}

TEST_F(EngineClientTest, MissingSocketIsUnavailableAndTransient) {
  EngineClient c(io_.get_executor(), engine_.socket_path() + ".missing", {});
  auto r = complete(io_, c.get("/_ping"));
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(r->error().transient);
  EXPECT_NE(r->error().message.find("unix://" + engine_.socket_path() + ".missing"), std::string::npos)
      << r->error().message;
}

TEST_F(EngineClientTest, StoppedEngineRefusesConnections) {
  engine_.stop();
  auto c = client();
  auto r = complete(io_, c.get("/_ping"));
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->error().code, ErrorCode::kUnavailable);
}

TEST_F(EngineClientTest, SlowAnswerTimesOut) {
  engine_.hold("/containers/");
  auto c = client(EngineLimits{150ms, 1 << 20});
  // The answer is held: only the request's own deadline (a socket deadline on
  // the real clock) can end it.
  auto r = complete(io_, c.get("/v1.41/containers/json?all=1"));
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->error().code, ErrorCode::kTimeout);
  EXPECT_TRUE(r->error().transient);
  EXPECT_NE(r->error().message.find("did not answer within 150ms"), std::string::npos) << r->error().message;
  EXPECT_NE(r->error().message.find("GET /v1.41/containers/json"), std::string::npos);
}

TEST_F(EngineClientTest, OversizedChunkedBodyIsTooLarge) {
  auto c = client(EngineLimits{5s, 1024});
  auto r =
      complete(io_, c.get("/v1.41/containers/079ff28a82056e988f45de27f762b28789d9e293bb79ad61d041cc98b37b1061/json"));
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->error().code, ErrorCode::kTooLarge);
  EXPECT_FALSE(r->error().transient);
  EXPECT_NE(r->error().message.find("exceeds the 1024-byte bound"), std::string::npos) << r->error().message;
}

TEST_F(EngineClientTest, OversizedContentLengthBodyIsTooLarge) {
  engine_.override_response("/containers/json", 200, "[" + std::string(1500, ' ') + "]");
  auto c = client(EngineLimits{5s, 1024});
  auto r = complete(io_, c.get("/v1.41/containers/json"));
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->error().code, ErrorCode::kTooLarge);
}

TEST_F(EngineClientTest, StreamDeliversEventsSplitAnywhere) {
  auto c = client();
  auto s = complete(io_, c.stream("/v1.41/events"));
  ASSERT_TRUE(s && s->ok()) << (s ? s->error().describe() : "none");
  auto stream = **s;
  EXPECT_EQ(stream->content_type(), "application/json");

  std::string body = fixture("docker-20.10/events.jsonl");
  // Chunks that cut through the JSON at odd places.
  for (size_t i = 0; i < body.size(); i += 777) engine_.emit_bytes(body.substr(i, 777));

  EventDecoder decoder;
  EventDecoder::Output out;
  while (out.events.size() < 61) {
    auto piece = complete(io_, stream->read_some(), 2000ms);
    ASSERT_TRUE(piece && piece->ok());
    ASSERT_FALSE((*piece)->empty());
    decoder.feed(**piece, out);
  }
  EXPECT_TRUE(out.errors.empty());
  EXPECT_EQ(out.events.size(), 61u);
  EXPECT_EQ(out.events.back().action, "restart");
}

TEST_F(EngineClientTest, DroppedStreamEndsReadsWithUnavailable) {
  auto c = client();
  auto s = complete(io_, c.stream("/v1.41/events"));
  ASSERT_TRUE(s && s->ok());
  auto stream = **s;
  engine_.emit(R"({"Type":"container","Action":"start","Actor":{"ID":"a"}})");
  auto first = complete(io_, stream->read_some());
  ASSERT_TRUE(first && first->ok());
  engine_.drop_streams();
  auto next = complete(io_, stream->read_some());
  ASSERT_TRUE(next);
  ASSERT_FALSE(next->ok());
  EXPECT_EQ(next->error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(next->error().transient);
}

TEST_F(EngineClientTest, CloseCancelsAPendingRead) {
  auto c = client();
  auto s = complete(io_, c.stream("/v1.41/events"));
  ASSERT_TRUE(s && s->ok());
  auto stream = **s;
  auto result = std::make_shared<std::optional<common::Result<std::string>>>();
  boost::asio::co_spawn(io_, testutil::store(stream->read_some(), result), boost::asio::detached);
  fakes::run_until_idle(io_);  // the stream is open and quiet
  EXPECT_FALSE(result->has_value());
  c.cancel_all();
  ASSERT_TRUE(fakes::run_until(io_, [&] { return result->has_value(); }));
  ASSERT_FALSE((*result)->ok());
  EXPECT_EQ((*result)->error().code, ErrorCode::kCancelled);
}

TEST_F(EngineClientTest, StreamErrorStatusesCarryTheEnginesMessage) {
  engine_.override_response("/events", 500, R"({"message":"daemon is shutting down"})");
  auto c = client();
  auto s = complete(io_, c.stream("/v1.41/events?since=1"));
  ASSERT_TRUE(s);
  ASSERT_FALSE(s->ok());
  EXPECT_EQ(s->error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(s->error().transient);
  EXPECT_NE(s->error().message.find("500: daemon is shutting down"), std::string::npos) << s->error().message;
  EXPECT_EQ(s->error().message.find("since="), std::string::npos);  // the query stays out of messages

  engine_.clear_overrides();
  engine_.override_response("/events", 400, R"({"message":"client version 1.99 is too new"})");
  s = complete(io_, c.stream("/v1.99/events"));
  ASSERT_TRUE(s);
  ASSERT_FALSE(s->ok());
  EXPECT_EQ(s->error().code, ErrorCode::kProtocol);
  EXPECT_FALSE(s->error().transient);
}

TEST_F(EngineClientTest, StreamWithAnUnexpectedContentTypeIsRefused) {
  engine_.set_events_content_type("text/html");
  auto c = client();
  auto s = complete(io_, c.stream("/v1.41/events"));
  ASSERT_TRUE(s);
  ASSERT_FALSE(s->ok());
  EXPECT_EQ(s->error().code, ErrorCode::kProtocol);
  EXPECT_NE(s->error().message.find("text/html"), std::string::npos);
}

TEST_F(EngineClientTest, StreamOpeningTimesOutWhenHeadersNeverCome) {
  engine_.hold("/events");
  engine_.override_response("/events", 200, "");  // routed as a plain (held) answer
  auto c = client(EngineLimits{100ms, 1 << 20});
  auto s = complete(io_, c.stream("/v1.41/events"));
  ASSERT_TRUE(s);
  ASSERT_FALSE(s->ok());
  EXPECT_EQ(s->error().code, ErrorCode::kTimeout);
}

TEST_F(EngineClientTest, OnlyGetRequestsAreSent) {
  auto c = client();
  (void)complete(io_, c.get("/_ping"));
  (void)complete(io_, c.get("/v1.41/containers/json?all=1"));
  (void)complete(io_, c.stream("/v1.41/events"));
  ASSERT_EQ(engine_.requests().size(), 3u);
  for (const auto& r : engine_.requests()) EXPECT_EQ(r.method, "GET") << r.target;
}

}  // namespace
}  // namespace ecssd::source
