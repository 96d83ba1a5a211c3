#include "reaper/lambda_runtime.h"

#include <deque>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fakes/aws/fake_http_client.h"
#include "fakes/health/fake_probe.h"
#include "fakes/reaper/run_simulated.h"
#include "fakes/run_sync.h"
#include "provider/inmemory/inmemory_provider.h"
#include "registry/registry.h"

namespace ecssd::reaper {
namespace {

using namespace std::chrono_literals;
using aws::testing::FakeHttpClient;
using ecssd::testing::run_sync;
using testing::run_simulated;

// --- the Runtime API over HTTP

TEST(HttpRuntimeApiTest, NextReadsTheInvocationFromTheHeaders) {
  FakeHttpClient http([](const aws::HttpRequest&) {
    return FakeHttpClient::response(200, R"({"source":"aws.events"})",
                                    {{"Lambda-Runtime-Aws-Request-Id", "8476a536-e9f4-11e8-9739-2dfe598c3fcd"},
                                     {"Lambda-Runtime-Deadline-Ms", "1542409706888"},
                                     {"Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:1:function:reap"},
                                     {"Lambda-Runtime-Trace-Id", "Root=1-5bef4de7"}});
  });
  HttpRuntimeApi api(http, "127.0.0.1:9001");
  boost::asio::io_context io;
  auto inv = run_sync(io, api.next());
  ASSERT_TRUE(inv.ok()) << inv.error().describe();
  EXPECT_EQ(inv->request_id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
  EXPECT_EQ(inv->deadline_ms, 1542409706888);
  EXPECT_EQ(inv->function_arn, "arn:aws:lambda:us-east-1:1:function:reap");
  EXPECT_EQ(inv->trace_id, "Root=1-5bef4de7");
  EXPECT_EQ(inv->event, R"({"source":"aws.events"})");
  ASSERT_EQ(http.requests().size(), 1u);
  EXPECT_EQ(http.requests()[0].method, "GET");
  EXPECT_EQ(http.requests()[0].url, "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next");
  EXPECT_GE(http.requests()[0].timeout, std::chrono::hours(1));  // a long poll
}

TEST(HttpRuntimeApiTest, NextRefusesAnswersThatAreNotInvocations) {
  boost::asio::io_context io;
  FakeHttpClient http;
  HttpRuntimeApi api(http, "127.0.0.1:9001");
  http.set_handler([](const aws::HttpRequest&) { return FakeHttpClient::response(500, "boom"); });
  auto r = run_sync(io, api.next());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, common::ErrorCode::kProtocol);
  EXPECT_NE(r.error().message.find("HTTP 500"), std::string::npos);

  http.set_handler([](const aws::HttpRequest&) { return FakeHttpClient::response(200, "{}"); });
  r = run_sync(io, api.next());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("Lambda-Runtime-Aws-Request-Id"), std::string::npos);

  // A request id that would change the URL path is refused.
  http.set_handler([](const aws::HttpRequest&) {
    return FakeHttpClient::response(200, "{}", {{"Lambda-Runtime-Aws-Request-Id", "../../init/error"}});
  });
  r = run_sync(io, api.next());
  EXPECT_FALSE(r.ok());
}

TEST(HttpRuntimeApiTest, ResponsesErrorsAndInitErrorsArePostedWhereLambdaExpectsThem) {
  boost::asio::io_context io;
  FakeHttpClient http([](const aws::HttpRequest&) { return FakeHttpClient::response(202, R"({"status":"OK"})"); });
  HttpRuntimeApi api(http, "localhost:9001");

  ASSERT_TRUE(run_sync(io, api.respond("abc-1", R"({"ok":true})")).ok());
  ASSERT_TRUE(run_sync(io, api.fail("abc-2", "ReapFailed", "safety valve")).ok());
  ASSERT_TRUE(run_sync(io, api.init_error("Runtime.InvalidConfiguration", "--zone: bad")).ok());
  ASSERT_EQ(http.requests().size(), 3u);
  const auto& respond = http.requests()[0];
  EXPECT_EQ(respond.method, "POST");
  EXPECT_EQ(respond.url, "http://localhost:9001/2018-06-01/runtime/invocation/abc-1/response");
  EXPECT_EQ(respond.body, R"({"ok":true})");
  const auto& fail = http.requests()[1];
  EXPECT_EQ(fail.url, "http://localhost:9001/2018-06-01/runtime/invocation/abc-2/error");
  EXPECT_EQ(aws::testing::request_header(fail, "Lambda-Runtime-Function-Error-Type"), "ReapFailed");
  auto body = boost::json::parse(fail.body).as_object();
  EXPECT_EQ(body.at("errorType").as_string(), "ReapFailed");
  EXPECT_EQ(body.at("errorMessage").as_string(), "safety valve");
  EXPECT_TRUE(body.at("stackTrace").is_array());
  const auto& init = http.requests()[2];
  EXPECT_EQ(init.url, "http://localhost:9001/2018-06-01/runtime/init/error");
  EXPECT_EQ(boost::json::parse(init.body).as_object().at("errorMessage").as_string(), "--zone: bad");

  http.set_handler([](const aws::HttpRequest&) { return FakeHttpClient::response(413, "too large"); });
  auto s = run_sync(io, api.respond("abc-3", std::string(10, 'x')));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("HTTP 413"), std::string::npos);
}

// --- the loop, against a fake Runtime API

class FakeRuntimeApi final : public RuntimeApi {
 public:
  struct Post {
    std::string kind;  // "response", "error", "init"
    std::string request_id;
    std::string type;
    std::string body;
  };
  explicit FakeRuntimeApi(const common::TimeSource& time) : time_(time) {}
  void push(common::Result<Invocation> next) { script_.push_back(std::move(next)); }
  void reject_responses(bool v) { reject_ = v; }

  common::Task<common::Result<Invocation>> next() override {
    ++next_calls_;
    next_times_.push_back(time_.steady_now());
    if (script_.empty()) co_return common::make_error(common::ErrorCode::kUnavailable, "no more invocations", true);
    auto r = std::move(script_.front());
    script_.pop_front();
    co_return r;
  }
  common::Task<common::Status> respond(std::string request_id, std::string body) override {
    if (reject_) co_return common::make_error(common::ErrorCode::kProtocol, "HTTP 413");
    posts_.push_back({"response", std::move(request_id), "", std::move(body)});
    co_return common::Status{};
  }
  common::Task<common::Status> fail(std::string request_id, std::string error_type, std::string message) override {
    posts_.push_back({"error", std::move(request_id), std::move(error_type), std::move(message)});
    co_return common::Status{};
  }
  common::Task<common::Status> init_error(std::string error_type, std::string message) override {
    posts_.push_back({"init", "", std::move(error_type), std::move(message)});
    co_return common::Status{};
  }

  const std::vector<Post>& posts() const { return posts_; }
  int next_calls() const { return next_calls_; }
  const std::vector<common::SteadyTime>& next_times() const { return next_times_; }

 private:
  const common::TimeSource& time_;
  std::vector<common::SteadyTime> next_times_;
  std::deque<common::Result<Invocation>> script_;
  std::vector<Post> posts_;
  int next_calls_ = 0;
  bool reject_ = false;
};

class EchoHandler final : public InvocationHandler {
 public:
  common::Task<InvocationResult> handle(Invocation inv) override {
    InvocationResult r;
    if (inv.event == "fail") {
      r.ok = false;
      r.error_type = "ReapFailed";
      r.error_message = "it failed";
    } else {
      r.body = "handled " + inv.event;
    }
    co_return r;
  }
};

Invocation invocation(std::string id, std::string event) {
  Invocation i;
  i.request_id = std::move(id);
  i.event = std::move(event);
  return i;
}

TEST(LambdaLoopTest, EachInvocationIsAnsweredOrReportedAsFailed) {
  common::SimulatedTimeSystem time;
  boost::asio::io_context io;
  FakeRuntimeApi api(time);
  api.push(invocation("r1", "a"));
  api.push(invocation("r2", "fail"));
  api.push(invocation("r3", "b"));
  EchoHandler handler;
  LambdaLoop loop(api, handler, time, {.max_invocations = 3, .max_next_failures = 1, .retry_delay = 0ms});
  auto s = run_simulated(io, time, loop.run());
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(loop.invocations(), 3u);
  ASSERT_EQ(api.posts().size(), 3u);
  EXPECT_EQ(api.posts()[0].kind, "response");
  EXPECT_EQ(api.posts()[0].request_id, "r1");
  EXPECT_EQ(api.posts()[0].body, "handled a");
  EXPECT_EQ(api.posts()[1].kind, "error");
  EXPECT_EQ(api.posts()[1].request_id, "r2");
  EXPECT_EQ(api.posts()[1].type, "ReapFailed");
  EXPECT_EQ(api.posts()[1].body, "it failed");
  EXPECT_EQ(api.posts()[2].request_id, "r3");
}

TEST(LambdaLoopTest, NextIsRetriedThenTheLoopGivesUp) {
  common::SimulatedTimeSystem time;
  boost::asio::io_context io;
  FakeRuntimeApi api(time);
  api.push(common::transient_error(common::ErrorCode::kUnavailable, "blip"));
  api.push(invocation("r1", "a"));
  EchoHandler handler;
  LambdaLoop loop(api, handler, time, {.max_invocations = 0, .max_next_failures = 3, .retry_delay = 0ms});
  auto s = run_simulated(io, time, loop.run());
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "no more invocations");
  EXPECT_EQ(loop.invocations(), 1u);
  EXPECT_EQ(api.next_calls(), 5);  // blip, r1, then three failures
}

TEST(LambdaLoopTest, AResponseTheApiRefusesBecomesTheInvocationsError) {
  common::SimulatedTimeSystem time;
  boost::asio::io_context io;
  FakeRuntimeApi api(time);
  api.reject_responses(true);
  api.push(invocation("r1", "a"));
  EchoHandler handler;
  LambdaLoop loop(api, handler, time, {.max_invocations = 1});
  EXPECT_TRUE(run_simulated(io, time, loop.run()).ok());
  ASSERT_EQ(api.posts().size(), 1u);
  EXPECT_EQ(api.posts()[0].kind, "error");
  EXPECT_EQ(api.posts()[0].type, "ResponseRejected");
}

TEST(LambdaLoopTest, RetriesOfNextWaitTheRetryDelayOnTheTimeSystem) {
  common::SimulatedTimeSystem time;
  boost::asio::io_context io;
  FakeRuntimeApi api(time);
  api.push(common::transient_error(common::ErrorCode::kUnavailable, "blip"));
  api.push(common::transient_error(common::ErrorCode::kUnavailable, "blip"));
  api.push(invocation("r1", "a"));
  EchoHandler handler;
  LambdaLoop loop(api, handler, time, {.max_invocations = 1, .max_next_failures = 3, .retry_delay = 500ms});
  const auto t0 = time.steady_now();
  EXPECT_TRUE(run_simulated(io, time, loop.run()).ok());
  EXPECT_EQ(api.next_times(), (std::vector<common::SteadyTime>{t0, t0 + 500ms, t0 + 1000ms}));
  ASSERT_EQ(api.posts().size(), 1u);
  EXPECT_EQ(api.posts()[0].request_id, "r1");
}

// --- one reap pass per invocation

class ReapHandlerTest : public ::testing::Test {
 protected:
  ReapHandlerTest() : mem_("sd.internal"), reg_(mem_, ""), probe_(time_) {}

  void seed(int healthy, int dead) {
    std::vector<model::Record> records;
    for (int i = 0; i < healthy + dead; ++i) {
      model::Record r;
      r.name = fmt::format("s{}.sd.internal", i);
      r.type = model::RecordType::kCNAME;
      r.ttl = 10;
      r.values = {"h1.example"};
      r.set_identifier = fmt::format("ecssd:h1:{:012x}:80-tcp", i);
      r.weight = 1;
      std::string addr = fmt::format("10.0.0.{}:80", i);
      r.labels = {{"owner", "h1"}, {"kind", "service"}, {"addr", addr}, {"check", "tcp"}};
      if (i >= healthy) probe_.script(addr, {false});
      records.push_back(std::move(r));
    }
    mem_.seed(registry::expand(model::ChangeSet{.create = records}).create);
  }

  InvocationResult handle(std::string event) {
    Reaper reaper(reg_, probe_, time_, options_, common::Scope(metrics_));
    ReapHandler handler(reaper, "route53");
    return run_simulated(io_, time_, handler.handle(invocation("r1", std::move(event))));
  }

  common::SimulatedTimeSystem time_;  // before the io_context: timers must not outlive it
  boost::asio::io_context io_;
  common::Metrics metrics_;
  provider::InMemoryProvider mem_;
  registry::Registry reg_;
  health::testing::FakeProbe probe_;
  ReaperOptions options_;
};

TEST_F(ReapHandlerTest, AScheduledEventRunsOnePassAndAnswersTheReport) {
  seed(3, 1);
  auto r = handle(R"({"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events","detail":{}})");
  ASSERT_TRUE(r.ok) << r.error_message;
  auto report = boost::json::parse(r.body).as_object();
  EXPECT_EQ(report.at("provider").as_string(), "route53");
  EXPECT_EQ(report.at("owned").as_int64(), 4);
  EXPECT_EQ(report.at("deleted").as_int64(), 1);
  EXPECT_EQ(report.at("records").as_array().size(), 4u);
  EXPECT_EQ(mem_.list_calls(), 1u);
}

TEST_F(ReapHandlerTest, AnEventThatIsNotAJsonObjectIsAnInvalidEvent) {
  seed(2, 0);
  for (const char* bad : {"not json", "[1,2]", "\"text\"", ""}) {
    auto r = handle(bad);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error_type, "InvalidEvent");
  }
  EXPECT_EQ(mem_.list_calls(), 0u);  // no pass ran
}

TEST_F(ReapHandlerTest, AFailedPassIsAnErrorThatSaysWhy) {
  seed(1, 3);
  auto r = handle("{}");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_type, "ReapFailed");
  EXPECT_NE(r.error_message.find("safety valve: 3 of 4 owned records"), std::string::npos) << r.error_message;
  EXPECT_EQ(mem_.records().size(), 8u);  // nothing deleted
}

}  // namespace
}  // namespace ecssd::reaper
