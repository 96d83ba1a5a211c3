// Each credential source, the chain's order and error contract, and the
// caching provider's refresh behaviour on a simulated clock.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/time_system.h"
#include "aws/credential_sources.h"
#include "aws/credentials_chain.h"
#include "fakes/aws/fake_credentials_provider.h"
#include "fakes/aws/fake_http_client.h"
#include "fakes/aws/fake_instance_metadata.h"
#include "aws/iso8601.h"
#include "run_task.h"

namespace ecssd::aws {
namespace {

using common::ErrorCode;
using testing::FakeCredentialsProvider;
using testing::FakeHttpClient;
using testing::FakeInstanceMetadata;
using testing::request_header;
using testing::run_concurrently;
using testing::run_task;
using namespace std::chrono_literals;

std::string creds_json(std::string_view id, std::string_view secret, std::string_view token,
                       std::string_view expiration) {
  return R"({"AccessKeyId":")" + std::string(id) + R"(","SecretAccessKey":")" + std::string(secret) +
         R"(","Token":")" + std::string(token) + R"(","Expiration":")" + std::string(expiration) + R"("})";
}

// ---- environment ----

TEST(EnvironmentCredentials, ReadsTheThreeVariables) {
  EnvironmentCredentials p(common::Environment::from_map(
      {{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "envsecret"}, {"AWS_SESSION_TOKEN", "envtoken"}}));
  auto r = run_task(p.credentials());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->access_key_id, "AKIDENV");
  EXPECT_EQ(r->secret_access_key, "envsecret");
  EXPECT_EQ(r->session_token, "envtoken");
  EXPECT_FALSE(r->expiration);
  EXPECT_EQ(r->source, "environment variables");
}

TEST(EnvironmentCredentials, UnsetOrEmptyIsNotFound) {
  EnvironmentCredentials none(common::Environment::from_map({}));
  EXPECT_EQ(run_task(none.credentials()).error().code, ErrorCode::kNotFound);
  EnvironmentCredentials empty(
      common::Environment::from_map({{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}}));
  EXPECT_EQ(run_task(empty.credentials()).error().code, ErrorCode::kNotFound);
}

TEST(EnvironmentCredentials, HalfAPairIsAnError) {
  EnvironmentCredentials p(common::Environment::from_map({{"AWS_ACCESS_KEY_ID", "AKID"}}));
  auto r = run_task(p.credentials());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos) << r.error().message;
}

// ---- shared files ----

class ProfileCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = std::filesystem::temp_directory_path() /
            ("ecssd-aws-prof-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(home_ / ".aws");
  }
  void TearDown() override { std::filesystem::remove_all(home_); }
  void write(const std::string& rel, const std::string& text) { std::ofstream(home_ / rel) << text; }
  common::Result<Credentials> load(std::map<std::string, std::string, std::less<>> vars = {}) {
    vars["HOME"] = home_.string();
    ProfileCredentials p(common::Environment::from_map(std::move(vars)));
    return run_task(p.credentials());
  }
  std::filesystem::path home_;
};

TEST_F(ProfileCredentialsTest, DefaultProfileFromCredentialsFile) {
  write(".aws/credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = filesecret\n"
                            "aws_session_token = filetoken\n");
  auto r = load();
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->access_key_id, "AKIDFILE");
  EXPECT_EQ(r->secret_access_key, "filesecret");
  EXPECT_EQ(r->session_token, "filetoken");
  EXPECT_NE(r->source.find("profile \"default\""), std::string::npos) << r->source;
}

TEST_F(ProfileCredentialsTest, CredentialsFileWinsOverConfigFile) {
  write(".aws/credentials", "[dev]\naws_access_key_id=FROMCREDS\naws_secret_access_key=s1\n");
  write(".aws/config", "[profile dev]\naws_access_key_id=FROMCONFIG\naws_secret_access_key=s2\n");
  auto r = load({{"AWS_PROFILE", "dev"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->access_key_id, "FROMCREDS");
}

TEST_F(ProfileCredentialsTest, KeysInConfigFileProfile) {
  write(".aws/config", "[profile dev]\naws_access_key_id=FROMCONFIG\naws_secret_access_key=s2\n");
  auto r = load({{"AWS_PROFILE", "dev"}});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->access_key_id, "FROMCONFIG");
}

TEST_F(ProfileCredentialsTest, ExplicitProfileMissingIsAnError) {
  write(".aws/credentials", "[default]\naws_access_key_id=A\naws_secret_access_key=S\n");
  auto r = load({{"AWS_PROFILE", "prod"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("profile \"prod\" not found"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("AWS_PROFILE"), std::string::npos) << r.error().message;
}

TEST_F(ProfileCredentialsTest, DefaultProfileMissingIsNotFound) {
  write(".aws/credentials", "[other]\naws_access_key_id=A\naws_secret_access_key=S\n");
  auto r = load();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST_F(ProfileCredentialsTest, PartialKeysAreAnError) {
  write(".aws/credentials", "[default]\naws_access_key_id=A\n");
  auto r = load();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("but not aws_secret_access_key"), std::string::npos) << r.error().message;
}

TEST_F(ProfileCredentialsTest, UnsupportedRoleProfileSaysSo) {
  write(".aws/config", "[profile assume]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = default\n");
  auto r = load({{"AWS_PROFILE", "assume"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("role_arn, which ecssd does not support"), std::string::npos)
      << r.error().message;
}

// ---- ECS container endpoint ----

TEST(ContainerCredentials, RelativeUriAgainstTheEcsAddress) {
  FakeHttpClient http([](const HttpRequest&) {
    return FakeHttpClient::response(200, creds_json("ASIAECS", "ecssecret", "ecstoken", "2030-01-02T03:04:05Z"));
  });
  ContainerCredentials p(
      common::Environment::from_map({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc"}}), http,
      {.relative_base = "http://127.0.0.1:9"});
  auto r = run_task(p.credentials());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->access_key_id, "ASIAECS");
  EXPECT_EQ(r->secret_access_key, "ecssecret");
  EXPECT_EQ(r->session_token, "ecstoken");
  ASSERT_TRUE(r->expiration);
  EXPECT_EQ(format_iso8601(*r->expiration), "2030-01-02T03:04:05Z");
  ASSERT_EQ(http.requests().size(), 1u);
  EXPECT_EQ(http.requests()[0].url, "http://127.0.0.1:9/v2/credentials/abc");
  EXPECT_EQ(http.requests()[0].method, "GET");
  EXPECT_EQ(request_header(http.requests()[0], "Authorization"), "");
}

TEST(ContainerCredentials, DefaultRelativeBaseIsTheEcsAgentAddress) {
  FakeHttpClient http([](const HttpRequest&) { return FakeHttpClient::response(500, ""); });
  ContainerCredentials p(common::Environment::from_map({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/x"}}), http);
  (void)run_task(p.credentials());  // the fake answers; nothing leaves the process
  ASSERT_FALSE(http.requests().empty());
  EXPECT_EQ(http.requests()[0].url, "http://169.254.170.2/v2/x");
}

TEST(ContainerCredentials, FullUriWithAuthorizationToken) {
  FakeHttpClient http([](const HttpRequest&) {
    return FakeHttpClient::response(200, creds_json("ASIAFULL", "s", "t", "2030-01-01T00:00:00Z"));
  });
  ContainerCredentials p(
      common::Environment::from_map({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:8080/creds"},
                                     {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic abc"}}),
      http);
  auto r = run_task(p.credentials());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(http.requests()[0].url, "http://127.0.0.1:8080/creds");
  EXPECT_EQ(request_header(http.requests()[0], "Authorization"), "Basic abc");
}

TEST(ContainerCredentials, TokenFileWinsOverTokenVariable) {
  auto file = std::filesystem::temp_directory_path() / ("ecssd-token-" + std::to_string(::getpid()));
  std::ofstream(file) << "from-file\n";
  FakeHttpClient http([](const HttpRequest&) {
    return FakeHttpClient::response(200, creds_json("A", "s", "t", "2030-01-01T00:00:00Z"));
  });
  ContainerCredentials p(common::Environment::from_map({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://localhost:1/c"},
                                                        {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "from-var"},
                                                        {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", file.string()}}),
                         http);
  auto r = run_task(p.credentials());
  std::filesystem::remove(file);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(request_header(http.requests()[0], "Authorization"), "from-file");
}

TEST(ContainerCredentials, PlainHttpToAnotherHostIsRefused) {
  FakeHttpClient http;
  ContainerCredentials p(
      common::Environment::from_map({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.1.2.3/creds"}}), http);
  auto r = run_task(p.credentials());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("must use https"), std::string::npos);
  EXPECT_TRUE(http.requests().empty());
}

TEST(ContainerCredentials, HttpsToAnyHostIsAllowed) {
  FakeHttpClient http([](const HttpRequest&) {
    return FakeHttpClient::response(200, creds_json("A", "s", "t", "2030-01-01T00:00:00Z"));
  });
  ContainerCredentials p(
      common::Environment::from_map({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "https://creds.example.com/x"}}), http);
  EXPECT_TRUE(run_task(p.credentials()).ok());
}

TEST(ContainerCredentials, RejectedTokenIsPermissionDenied) {
  FakeHttpClient http([](const HttpRequest&) {
    return FakeHttpClient::response(403, R"({"message":"invalid authorization token"})");
  });
  ContainerCredentials p(common::Environment::from_map({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/c"},
                                                        {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong"}}),
                         http);
  auto r = run_task(p.credentials());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(r.error().message.find("403"), std::string::npos);
  EXPECT_NE(r.error().message.find("AWS_CONTAINER_AUTHORIZATION_TOKEN"), std::string::npos);
  EXPECT_EQ(http.requests().size(), 1u);  // 4xx is not retried
}

TEST(ContainerCredentials, ServerErrorsAreRetriedOnceThenTransient) {
  FakeHttpClient http([](const HttpRequest&) { return FakeHttpClient::response(503, "busy"); });
  ContainerCredentials p(
      common::Environment::from_map({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/c"}}), http);
  auto r = run_task(p.credentials());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(r.error().transient);
  EXPECT_EQ(http.requests().size(), 2u);
}

TEST(ContainerCredentials, ConnectionFailureIsTransientAndRetried) {
  FakeHttpClient http([](const HttpRequest&) -> common::Result<HttpResponse> {
    return common::transient_error(ErrorCode::kUnavailable, "connection refused");
  });
  ContainerCredentials p(
      common::Environment::from_map({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/c"}}), http);
  auto r = run_task(p.credentials());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().transient);
  EXPECT_NE(r.error().message.find("connection refused"), std::string::npos);
  EXPECT_EQ(http.requests().size(), 2u);
}

TEST(ContainerCredentials, MalformedAnswerIsProtocolErrorWithoutEchoingSecrets) {
  FakeHttpClient http([](const HttpRequest&) {
    return FakeHttpClient::response(200, R"({"AccessKeyId":"A","Token":"supersecrettoken"})");
  });
  ContainerCredentials p(
      common::Environment::from_map({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/c"}}), http);
  auto r = run_task(p.credentials());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
  EXPECT_EQ(r.error().message.find("supersecrettoken"), std::string::npos);
}

TEST(ContainerCredentials, NotConfiguredIsNotFound) {
  FakeHttpClient http;
  ContainerCredentials p(common::Environment::from_map({}), http);
  EXPECT_EQ(run_task(p.credentials()).error().code, ErrorCode::kNotFound);
}

// ---- EC2 instance role ----

TEST(InstanceProfileCredentials, ReadsTheRoleCredentials) {
  FakeInstanceMetadata imds({{"iam/security-credentials/", "web-role\n"},
                             {"iam/security-credentials/web-role",
                              R"({"Code":"Success","AccessKeyId":"ASIAIMDS","SecretAccessKey":"imdssecret",)"
                              R"("Token":"imdstoken","Expiration":"2031-05-06T07:08:09Z","Type":"AWS-HMAC"})"}});
  InstanceProfileCredentials p(imds);
  auto r = run_task(p.credentials());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->access_key_id, "ASIAIMDS");
  EXPECT_EQ(r->session_token, "imdstoken");
  EXPECT_EQ(format_iso8601(*r->expiration), "2031-05-06T07:08:09Z");
  EXPECT_EQ(r->source, "EC2 instance role web-role");
}

TEST(InstanceProfileCredentials, DisabledUnreachableOrNoRoleIsNotFound) {
  FakeInstanceMetadata disabled;
  disabled.set_enabled(false);
  auto r1 = run_task(InstanceProfileCredentials(disabled).credentials());
  EXPECT_EQ(r1.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(disabled.calls(), 0);  // not even asked

  FakeInstanceMetadata unreachable;
  unreachable.set_unreachable(true);
  auto r2 = run_task(InstanceProfileCredentials(unreachable).credentials());
  EXPECT_EQ(r2.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(r2.error().transient);

  FakeInstanceMetadata no_role;  // 404 on iam/security-credentials/
  auto r3 = run_task(InstanceProfileCredentials(no_role).credentials());
  EXPECT_EQ(r3.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r3.error().message.find("no IAM role"), std::string::npos);
}

TEST(InstanceProfileCredentials, FailureCodeIsProtocolError) {
  FakeInstanceMetadata imds({{"iam/security-credentials/", "r"},
                             {"iam/security-credentials/r", R"({"Code":"AssumeRoleUnauthorizedAccess"})"}});
  auto r = run_task(InstanceProfileCredentials(imds).credentials());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
  EXPECT_NE(r.error().message.find("AssumeRoleUnauthorizedAccess"), std::string::npos);
}

// ---- the chain ----

std::unique_ptr<CredentialsChain> chain_of(std::vector<FakeCredentialsProvider*>* out, int n) {
  std::vector<std::unique_ptr<CredentialsProvider>> sources;
  for (int i = 0; i < n; ++i) {
    auto p = std::make_unique<FakeCredentialsProvider>("source" + std::to_string(i));
    out->push_back(p.get());
    sources.push_back(std::move(p));
  }
  return std::make_unique<CredentialsChain>(std::move(sources));
}

TEST(CredentialsChain, FirstSourceWithCredentialsWinsAndLaterOnesAreNotAsked) {
  std::vector<FakeCredentialsProvider*> s;
  auto chain = chain_of(&s, 3);
  s[1]->push(FakeCredentialsProvider::make("SECOND", "x"));
  s[2]->push(FakeCredentialsProvider::make("THIRD", "y"));
  auto r = run_task(chain->credentials());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->access_key_id, "SECOND");
  EXPECT_EQ(s[0]->calls(), 1);
  EXPECT_EQ(s[2]->calls(), 0);
}

TEST(CredentialsChain, ConfiguredButBrokenSourceStopsTheChain) {
  std::vector<FakeCredentialsProvider*> s;
  auto chain = chain_of(&s, 2);
  s[0]->push(common::make_error(ErrorCode::kInvalidArgument, "half a key pair"));
  s[1]->push(FakeCredentialsProvider::make("OTHER", "x"));
  auto r = run_task(chain->credentials());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "AWS credentials from source0: half a key pair");
  EXPECT_EQ(s[1]->calls(), 0);
}

TEST(CredentialsChain, RealSourcesInTheStandardOrder) {
  FakeHttpClient http([](const HttpRequest&) {
    return FakeHttpClient::response(200, creds_json("ASIAECS", "s", "t", "2030-01-01T00:00:00Z"));
  });
  FakeInstanceMetadata imds({{"iam/security-credentials/", "r"},
                             {"iam/security-credentials/r",
                              creds_json("ASIAIMDS", "s", "t", "2030-01-01T00:00:00Z")}});
  auto home = std::filesystem::temp_directory_path() / ("ecssd-chain-" + std::to_string(::getpid()));
  std::filesystem::create_directories(home / ".aws");
  std::ofstream(home / ".aws/credentials") << "[default]\naws_access_key_id=AKIDFILE\naws_secret_access_key=f\n";
  common::SimulatedTimeSystem time;

  std::map<std::string, std::string, std::less<>> vars = {
      {"HOME", home.string()},
      {"AWS_ACCESS_KEY_ID", "AKIDENV"},
      {"AWS_SECRET_ACCESS_KEY", "e"},
      {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/c"}};
  auto ask = [&] {
    auto p = make_default_credentials(common::Environment::from_map(vars), http, imds, time);
    auto r = run_task(p->credentials());
    return r.ok() ? r->access_key_id : r.error().describe();
  };
  EXPECT_EQ(ask(), "AKIDENV");
  vars.erase("AWS_ACCESS_KEY_ID");
  vars.erase("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(ask(), "AKIDFILE");
  std::filesystem::remove_all(home);
  EXPECT_EQ(ask(), "ASIAECS");
  vars.erase("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  EXPECT_EQ(ask(), "ASIAIMDS");
}

TEST(CredentialsChain, NothingFoundNamesEverySourceAndHowToFixIt) {
  FakeHttpClient http;
  FakeInstanceMetadata imds;
  imds.set_enabled(false);
  common::SimulatedTimeSystem time;
  auto p =
      make_default_credentials(common::Environment::from_map({{"HOME", "/nonexistent-ecssd-home"}}), http, imds, time);
  auto r = run_task(p->credentials());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(r.error().transient);
  const std::string& m = r.error().message;
  for (const char* part :
       {"no AWS credentials found", "environment variables: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
        "shared credentials/config files: profile \"default\" not found in /nonexistent-ecssd-home/.aws/credentials",
        "ECS container credentials endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "EC2 instance metadata (instance role): disabled by AWS_EC2_METADATA_DISABLED",
        "Provide credentials with one of", "AWS_PROFILE", "EC2 instance role"}) {
    EXPECT_NE(m.find(part), std::string::npos) << "missing \"" << part << "\" in:\n" << m;
  }
}

TEST(CredentialsChain, UnreachableImdsMakesTheFailureTransient) {
  FakeHttpClient http;
  FakeInstanceMetadata imds;
  imds.set_unreachable(true);
  common::SimulatedTimeSystem time;
  auto p = make_default_credentials(common::Environment::from_map({}), http, imds, time);
  auto r = run_task(p->credentials());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_TRUE(r.error().transient);
  EXPECT_NE(r.error().message.find("not reachable"), std::string::npos);
}

// ---- caching and refresh ----

struct CacheFixture {
  common::SimulatedTimeSystem time;
  FakeCredentialsProvider* inner = nullptr;
  std::unique_ptr<CachingCredentialsProvider> cache;
  CacheFixture() {
    auto p = std::make_unique<FakeCredentialsProvider>();
    inner = p.get();
    cache = std::make_unique<CachingCredentialsProvider>(std::move(p), time);
  }
  std::string key() {
    auto r = run_task(cache->credentials());
    return r.ok() ? r->access_key_id : "error: " + r.error().describe();
  }
};

TEST(CachingCredentials, LongTermKeysAreFetchedOnce) {
  CacheFixture f;
  f.inner->push(FakeCredentialsProvider::make("STATIC", "s"));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(f.key(), "STATIC");
  f.time.advance(48h);
  EXPECT_EQ(f.key(), "STATIC");
  EXPECT_EQ(f.inner->calls(), 1);
  EXPECT_EQ(f.cache->fetches(), 1u);
}

TEST(CachingCredentials, TemporaryCredentialsRefreshFiveMinutesBeforeExpiry) {
  CacheFixture f;
  auto now = f.time.system_now();
  f.inner->push(FakeCredentialsProvider::make("FIRST", "s", "t", now + 1h));
  EXPECT_EQ(f.key(), "FIRST");
  f.inner->push(FakeCredentialsProvider::make("SECOND", "s", "t", now + 2h));
  f.time.advance(54min);
  EXPECT_EQ(f.key(), "FIRST");  // not yet in the refresh window
  EXPECT_EQ(f.inner->calls(), 1);
  f.time.advance(1min + 1s);  // 55m01s: less than 5 minutes left
  EXPECT_EQ(f.key(), "SECOND");
  EXPECT_EQ(f.inner->calls(), 2);
  EXPECT_EQ(f.key(), "SECOND");
  EXPECT_EQ(f.inner->calls(), 2);  // never per request
}

TEST(CachingCredentials, ConcurrentCallersShareOneRefresh) {
  CacheFixture f;
  f.inner->push(FakeCredentialsProvider::make("SHARED", "s", "t", f.time.system_now() + 1h));
  std::vector<common::Task<common::Result<Credentials>>> tasks;
  for (int i = 0; i < 10; ++i) tasks.push_back(f.cache->credentials());
  auto results = run_concurrently(std::move(tasks));
  for (auto& r : results) {
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->access_key_id, "SHARED");
  }
  EXPECT_EQ(f.inner->calls(), 1);
}

TEST(CachingCredentials, FailedRefreshKeepsValidCredentialsAndBacksOff) {
  CacheFixture f;
  auto now = f.time.system_now();
  f.inner->push(FakeCredentialsProvider::make("OLD", "s", "t", now + 10min));
  EXPECT_EQ(f.key(), "OLD");
  f.inner->push(common::transient_error(ErrorCode::kUnavailable, "endpoint down"));
  f.time.advance(6min);  // in the refresh window, 4 minutes left
  EXPECT_EQ(f.key(), "OLD");
  EXPECT_EQ(f.inner->calls(), 2);
  f.time.advance(10s);
  EXPECT_EQ(f.key(), "OLD");  // no new attempt within min_refresh_interval
  EXPECT_EQ(f.inner->calls(), 2);
  f.time.advance(21s);
  EXPECT_EQ(f.key(), "OLD");
  EXPECT_EQ(f.inner->calls(), 3);
  f.time.advance(4min);  // past expiry: the error surfaces
  EXPECT_EQ(f.key(), "error: unavailable: endpoint down");
}

TEST(CachingCredentials, ShortLivedCredentialsAreNotFetchedPerRequest) {
  CacheFixture f;
  f.inner->push(FakeCredentialsProvider::make("SHORT", "s", "t", f.time.system_now() + 2min));
  EXPECT_EQ(f.key(), "SHORT");
  f.time.advance(10s);
  EXPECT_EQ(f.key(), "SHORT");
  EXPECT_EQ(f.inner->calls(), 1);
  f.time.advance(21s);
  EXPECT_EQ(f.key(), "SHORT");
  EXPECT_EQ(f.inner->calls(), 2);
}

TEST(CachingCredentials, AlreadyExpiredCredentialsAreRejected) {
  CacheFixture f;
  f.inner->push(FakeCredentialsProvider::make("STALE", "s", "t", f.time.system_now() - 1s));
  auto r = run_task(f.cache->credentials());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(r.error().message.find("expired"), std::string::npos);
}

TEST(CachingCredentials, InvalidateForcesAFetch) {
  CacheFixture f;
  f.inner->push(FakeCredentialsProvider::make("A", "s"));
  EXPECT_EQ(f.key(), "A");
  f.inner->push(FakeCredentialsProvider::make("B", "s"));
  f.cache->invalidate();
  EXPECT_EQ(f.inner->invalidations(), 1);
  EXPECT_EQ(f.key(), "B");
}

}  // namespace
}  // namespace ecssd::aws
