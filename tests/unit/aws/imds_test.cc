// The IMDSv2 client: token handshake, caching, retries, failing fast off EC2.
#include <gtest/gtest.h>

#include "common/time_system.h"
#include "fakes/aws/fake_http_client.h"
#include "aws/instance_metadata.h"
#include "run_task.h"

namespace ecssd::aws {
namespace {

using common::ErrorCode;
using testing::FakeHttpClient;
using testing::request_header;
using testing::run_task;
using namespace std::chrono_literals;

constexpr const char* kEndpoint = "http://127.0.0.1:1";

ImdsOptions options() {
  ImdsOptions o;
  o.endpoint = kEndpoint;
  return o;
}

// An IMDS that issues "token-N" and serves a few items to holders of the
// current token.
struct FakeImds {
  int tokens_issued = 0;
  std::string current;
  std::map<std::string, std::string> items{{"instance-id", "i-0123456789abcdef0"},
                                           {"local-ipv4", "10.0.1.23"},
                                           {"local-hostname", "ip-10-0-1-23.ec2.internal"},
                                           {"placement/region", "eu-west-1"}};
  common::Result<HttpResponse> operator()(const HttpRequest& req) {
    std::string path = req.url.substr(std::string(kEndpoint).size());
    if (path == "/latest/api/token") {
      if (req.method != "PUT") return FakeHttpClient::response(405, "");
      if (request_header(req, "X-aws-ec2-metadata-token-ttl-seconds").empty()) return FakeHttpClient::response(400, "");
      current = "token-" + std::to_string(++tokens_issued);
      return FakeHttpClient::response(200, current);
    }
    if (request_header(req, "X-aws-ec2-metadata-token") != current) return FakeHttpClient::response(401, "");
    auto it = items.find(path.substr(std::string("/latest/meta-data/").size()));
    if (it == items.end()) return FakeHttpClient::response(404, "");
    return FakeHttpClient::response(200, it->second);
  }
};

TEST(Imdsv2Client, TokenThenGetsWithTheToken) {
  FakeImds imds;
  FakeHttpClient http(std::ref(imds));
  common::SimulatedTimeSystem time;
  Imdsv2Client client(http, time, options());
  EXPECT_EQ(*run_task(client.instance_id()), "i-0123456789abcdef0");
  EXPECT_EQ(*run_task(client.local_ipv4()), "10.0.1.23");
  EXPECT_EQ(*run_task(client.local_hostname()), "ip-10-0-1-23.ec2.internal");
  EXPECT_EQ(*run_task(client.region()), "eu-west-1");
  ASSERT_EQ(http.requests().size(), 5u);  // one token, four reads
  const auto& put = http.requests()[0];
  EXPECT_EQ(put.method, "PUT");
  EXPECT_EQ(put.url, std::string(kEndpoint) + "/latest/api/token");
  EXPECT_EQ(request_header(put, "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(put.timeout, 1000ms);
  EXPECT_EQ(http.requests()[1].url, std::string(kEndpoint) + "/latest/meta-data/instance-id");
  EXPECT_EQ(request_header(http.requests()[1], "X-aws-ec2-metadata-token"), "token-1");
  EXPECT_EQ(imds.tokens_issued, 1);
}

TEST(Imdsv2Client, TokenIsRenewedBeforeItsTtlEnds) {
  FakeImds imds;
  FakeHttpClient http(std::ref(imds));
  common::SimulatedTimeSystem time;
  Imdsv2Client client(http, time, options());
  ASSERT_TRUE(run_task(client.instance_id()).ok());
  time.advance(5h + 58min);
  ASSERT_TRUE(run_task(client.instance_id()).ok());
  EXPECT_EQ(imds.tokens_issued, 1);
  time.advance(1min + 1s);  // inside the last minute of the 6 h TTL
  ASSERT_TRUE(run_task(client.instance_id()).ok());
  EXPECT_EQ(imds.tokens_issued, 2);
}

TEST(Imdsv2Client, RejectedTokenIsReplacedOnce) {
  FakeImds imds;
  FakeHttpClient http(std::ref(imds));
  common::SimulatedTimeSystem time;
  Imdsv2Client client(http, time, options());
  ASSERT_TRUE(run_task(client.instance_id()).ok());
  imds.current = "rotated-by-a-restart";
  auto r = run_task(client.instance_id());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(imds.tokens_issued, 2);
}

TEST(Imdsv2Client, MissingItemIsNotFound) {
  FakeImds imds;
  FakeHttpClient http(std::ref(imds));
  common::SimulatedTimeSystem time;
  Imdsv2Client client(http, time, options());
  auto r = run_task(client.get("iam/security-credentials/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST(Imdsv2Client, DisabledSendsNothing) {
  FakeHttpClient http;
  common::SimulatedTimeSystem time;
  ImdsOptions o = options();
  o.disabled = true;
  Imdsv2Client client(http, time, o);
  EXPECT_FALSE(client.enabled());
  auto r = run_task(client.region());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("AWS_EC2_METADATA_DISABLED"), std::string::npos);
  EXPECT_TRUE(http.requests().empty());
}

TEST(Imdsv2Client, OffEc2OneRetryThenFailsFastUntilTheBackoffEnds) {
  FakeHttpClient http([](const HttpRequest&) -> common::Result<HttpResponse> {
    return common::transient_error(ErrorCode::kTimeout, "timed out after 1000 ms");
  });
  common::SimulatedTimeSystem time;
  Imdsv2Client client(http, time, options());
  auto r = run_task(client.instance_id());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  EXPECT_TRUE(r.error().transient);
  EXPECT_NE(r.error().message.find("not reachable (not running on EC2?)"), std::string::npos) << r.error().message;
  EXPECT_EQ(http.requests().size(), 2u);  // 1 s timeout, one retry
  // Later calls fail at once, without a request.
  auto again = run_task(client.local_ipv4());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(http.requests().size(), 2u);
  time.advance(61s);
  (void)run_task(client.local_ipv4());
  EXPECT_EQ(http.requests().size(), 4u);
}

TEST(Imdsv2Client, ServerErrorsAreRetried) {
  int calls = 0;
  FakeImds imds;
  FakeHttpClient http([&](const HttpRequest& req) -> common::Result<HttpResponse> {
    if (++calls == 1) return FakeHttpClient::response(503, "");
    return imds(req);
  });
  common::SimulatedTimeSystem time;
  Imdsv2Client client(http, time, options());
  auto r = run_task(client.instance_id());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(http.requests().size(), 3u);
}

TEST(Imdsv2Client, ForbiddenTokenMeansImdsIsOffForThisInstance) {
  FakeHttpClient http([](const HttpRequest&) { return FakeHttpClient::response(403, ""); });
  common::SimulatedTimeSystem time;
  Imdsv2Client client(http, time, options());
  auto r = run_task(client.instance_id());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(r.error().transient);
  EXPECT_NE(r.error().message.find("disabled for this instance"), std::string::npos);
}

TEST(Imdsv2Client, ConcurrentCallersShareOneTokenFetch) {
  FakeImds imds;
  FakeHttpClient http(std::ref(imds));
  common::SimulatedTimeSystem time;
  Imdsv2Client client(http, time, options());
  std::vector<common::Task<common::Result<std::string>>> tasks;
  for (int i = 0; i < 5; ++i) tasks.push_back(client.instance_id());
  auto results = testing::run_concurrently(std::move(tasks));
  for (auto& r : results) EXPECT_TRUE(r.ok());
  EXPECT_EQ(imds.tokens_issued, 1);
}

TEST(ImdsOptions, FromEnvironment) {
  auto d = ImdsOptions::from_env(common::Environment::from_map({}));
  EXPECT_EQ(d.endpoint, "http://169.254.169.254");
  EXPECT_FALSE(d.disabled);
  EXPECT_EQ(d.timeout, 1000ms);
  EXPECT_EQ(d.attempts, 2);

  auto o = ImdsOptions::from_env(
      common::Environment::from_map({{"AWS_EC2_METADATA_DISABLED", "TRUE"},
                                     {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:8111/"},
                                     {"AWS_METADATA_SERVICE_TIMEOUT", "3"},
                                     {"AWS_METADATA_SERVICE_NUM_ATTEMPTS", "4"}}));
  EXPECT_TRUE(o.disabled);
  EXPECT_EQ(o.endpoint, "http://127.0.0.1:8111");
  EXPECT_EQ(o.timeout, 3000ms);
  EXPECT_EQ(o.attempts, 4);

  auto v6 = ImdsOptions::from_env(common::Environment::from_map({{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}}));
  EXPECT_EQ(v6.endpoint, "http://[fd00:ec2::254]");
  auto junk = ImdsOptions::from_env(common::Environment::from_map({{"AWS_METADATA_SERVICE_TIMEOUT", "soon"}}));
  EXPECT_EQ(junk.timeout, 1000ms);
}

// Found by fuzz/aws_credentials: seconds beyond what the millisecond count
// holds overflowed it (undefined behaviour); such a timeout is as unparseable.
TEST(ImdsOptions, TimeoutsTooLongToHoldKeepTheDefault) {
  auto huge = ImdsOptions::from_env(common::Environment::from_map({{"AWS_METADATA_SERVICE_TIMEOUT", "9223372036854776"}}));
  EXPECT_EQ(huge.timeout, 1000ms);
  auto year = ImdsOptions::from_env(common::Environment::from_map({{"AWS_METADATA_SERVICE_TIMEOUT", "31536000"}}));
  EXPECT_EQ(year.timeout, std::chrono::seconds(31536000));
}

}  // namespace
}  // namespace ecssd::aws
