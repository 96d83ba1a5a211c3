// AwsClient: signs with the chain's credentials, maps credential failures,
// re-signs once after ExpiredToken; and no secret ever reaches the log.
#include <gtest/gtest.h>

#include "common/time_system.h"
#include "aws/aws_client.h"
#include "aws/credential_sources.h"
#include "aws/credentials_chain.h"
#include "fakes/aws/fake_credentials_provider.h"
#include "fakes/aws/fake_http_client.h"
#include "aws/instance_metadata.h"
#include "common/log.h"
#include "run_task.h"

namespace ecssd::aws {
namespace {

using common::ErrorCode;
using testing::FakeCredentialsProvider;
using testing::FakeHttpClient;
using testing::request_header;
using testing::run_task;

const ServiceEndpoint kRoute53{"route53", "us-east-1", "https://route53.amazonaws.com"};

HttpRequest list_zones() {
  HttpRequest req;
  req.url = "https://route53.amazonaws.com/2013-04-01/hostedzonesbyname?dnsname=example.com.&maxitems=1";
  return req;
}

TEST(AwsClient, SignsWithCurrentCredentials) {
  FakeHttpClient http([](const HttpRequest&) { return FakeHttpClient::response(200, "<ok/>"); });
  FakeCredentialsProvider creds;
  creds.push(FakeCredentialsProvider::make("ASIAKEY", "secretkey", "sessiontoken"));
  common::SimulatedTimeSystem time(common::SystemTime(std::chrono::seconds(1'440'938'160)));  // 2015-08-30T12:36:00Z
  AwsClient client(http, creds, time);
  auto r = run_task(client.call(kRoute53, list_zones()));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->status, 200u);
  ASSERT_EQ(http.requests().size(), 1u);
  const HttpRequest& sent = http.requests()[0];
  EXPECT_EQ(request_header(sent, "Host"), "route53.amazonaws.com");
  EXPECT_EQ(request_header(sent, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(request_header(sent, "X-Amz-Security-Token"), "sessiontoken");
  std::string auth = request_header(sent, "Authorization");
  EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=ASIAKEY/20150830/us-east-1/route53/aws4_request, "
                       "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=",
                       0),
            0u)
      << auth;
  EXPECT_EQ(auth.size(), auth.find("Signature=") + 10 + 64);
}

TEST(AwsClient, UrlOutsideTheEndpointIsRejected) {
  FakeHttpClient http;
  FakeCredentialsProvider creds;
  creds.push(FakeCredentialsProvider::make("A", "s"));
  common::SimulatedTimeSystem time;
  AwsClient client(http, creds, time);
  HttpRequest req;
  req.url = "https://route53.amazonaws.com.evil.example/2013-04-01/hostedzone";
  auto r = run_task(client.call(kRoute53, req));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(http.requests().empty());
  EXPECT_EQ(creds.calls(), 0);
}

TEST(AwsClient, CredentialFailuresArePermissionDeniedWithTheChainsMessage) {
  FakeHttpClient http;
  FakeCredentialsProvider creds;
  creds.push(common::transient_error(ErrorCode::kNotFound, "no AWS credentials found. Tried, in order: ..."));
  common::SimulatedTimeSystem time;
  AwsClient client(http, creds, time);
  auto r = run_task(client.call(kRoute53, list_zones()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_TRUE(r.error().transient);
  EXPECT_EQ(r.error().message, "no AWS credentials found. Tried, in order: ...");
  EXPECT_TRUE(http.requests().empty());
}

TEST(AwsClient, ExpiredTokenInvalidatesAndRetriesOnce) {
  int n = 0;
  FakeHttpClient http([&](const HttpRequest&) {
    if (++n == 1) {
      return FakeHttpClient::response(
          403, "<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>The security token "
               "included in the request is expired</Message></Error><RequestId>r1</RequestId></ErrorResponse>");
    }
    return FakeHttpClient::response(200, "<ok/>");
  });
  FakeCredentialsProvider creds;
  creds.push(FakeCredentialsProvider::make("OLD", "s", "t1"));
  creds.push(FakeCredentialsProvider::make("NEW", "s", "t2"));
  common::SimulatedTimeSystem time;
  AwsClient client(http, creds, time);
  auto r = run_task(client.call(kRoute53, list_zones()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(creds.invalidations(), 1);
  ASSERT_EQ(http.requests().size(), 2u);
  EXPECT_NE(request_header(http.requests()[1], "Authorization").find("Credential=NEW/"), std::string::npos);
  EXPECT_EQ(request_header(http.requests()[1], "X-Amz-Security-Token"), "t2");
}

TEST(AwsClient, OtherErrorStatusesAreReturnedAsResponses) {
  FakeHttpClient http([](const HttpRequest&) {
    return FakeHttpClient::response(400, "<ErrorResponse><Error><Code>InvalidInput</Code></Error></ErrorResponse>");
  });
  FakeCredentialsProvider creds;
  creds.push(FakeCredentialsProvider::make("A", "s"));
  common::SimulatedTimeSystem time;
  AwsClient client(http, creds, time);
  auto r = run_task(client.call(kRoute53, list_zones()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400u);
  EXPECT_EQ(http.requests().size(), 1u);
  EXPECT_EQ(creds.invalidations(), 0);
}

// Signs and sends with debug logging on, through the real credential sources
// and the IMDS client, and checks that neither the secret key, the session
// token, the IMDS token nor the signature appear in anything logged.
TEST(Redaction, NoSecretReachesTheLogEvenAtDebugLevel) {
  const std::string secret = "SECRETwJalrXUtnFEMIK7MDENGbPxRfiCY";
  const std::string token = "TOKENAQoDYXdzEPTexampletokenvalue";
  const std::string imds_token = "IMDSTOKENxyzzy0123456789";
  const std::string role_secret = "ROLESECRETabcdefghijklmnop";
  const std::string role_token = "ROLETOKENqrstuvwxyz";
  FakeHttpClient http([&](const HttpRequest& req) {
    if (req.url.find("/latest/api/token") != std::string::npos) return FakeHttpClient::response(200, imds_token);
    if (req.url.ends_with("/latest/meta-data/iam/security-credentials/")) return FakeHttpClient::response(200, "role");
    if (req.url.ends_with("/latest/meta-data/iam/security-credentials/role")) {
      return FakeHttpClient::response(200, R"({"Code":"Success","AccessKeyId":"ASIAROLE","SecretAccessKey":")" +
                                               role_secret + R"(","Token":")" + role_token +
                                               R"(","Expiration":"2031-01-01T00:00:00Z"})");
    }
    return FakeHttpClient::response(403, "<ErrorResponse><Error><Code>ExpiredToken</Code></Error></ErrorResponse>");
  });
  common::SimulatedTimeSystem time;
  ImdsOptions io;
  io.endpoint = "http://127.0.0.1:1";
  Imdsv2Client imds(http, time, io);

  ASSERT_TRUE(log::configure(log::Format::kText, "debug"));
  ::testing::internal::CaptureStderr();
  // Environment credentials with a session token.
  auto env_chain = make_default_credentials(
      common::Environment::from_map(
          {{"AWS_ACCESS_KEY_ID", "AKIDREDACT"}, {"AWS_SECRET_ACCESS_KEY", secret}, {"AWS_SESSION_TOKEN", token}}),
      http, imds, time);
  AwsClient env_client(http, *env_chain, time);
  auto r1 = run_task(env_client.call(kRoute53, list_zones()));  // ExpiredToken: re-signed once, logged
  // The instance role through IMDSv2.
  auto role_chain = make_default_credentials(common::Environment::from_map({}), http, imds, time);
  AwsClient role_client(http, *role_chain, time);
  auto r2 = run_task(role_client.call(kRoute53, list_zones()));
  std::string logged = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(log::configure(log::Format::kText, "info"));

  ASSERT_TRUE(r1.ok());
  ASSERT_TRUE(r2.ok());
  // Something was logged at debug level: the test is not vacuous.
  EXPECT_NE(logged.find("sigv4 signed request"), std::string::npos) << logged;
  EXPECT_NE(logged.find("AWS credentials loaded"), std::string::npos) << logged;
  EXPECT_NE(logged.find("expired early"), std::string::npos) << logged;
  std::vector<std::string> signatures;
  for (const auto& req : http.requests()) {
    std::string auth = request_header(req, "Authorization");
    if (auto p = auth.find("Signature="); p != std::string::npos) signatures.push_back(auth.substr(p + 10));
  }
  ASSERT_EQ(signatures.size(), 4u);
  for (const std::string& s : {secret, token, imds_token, role_secret, role_token}) {
    EXPECT_EQ(logged.find(s), std::string::npos) << "secret " << s << " in log:\n" << logged;
  }
  for (const auto& s : signatures) EXPECT_EQ(logged.find(s), std::string::npos) << "signature in log:\n" << logged;
}

}  // namespace
}  // namespace ecssd::aws
