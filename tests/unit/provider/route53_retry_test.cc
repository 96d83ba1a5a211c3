// One Route 53 call with its retries: how each answer is classified
// (provider/route53/retry_policy.h), and how the client retries, waits on
// simulated time with capped, jittered backoff, counts retries, and says when
// a change's outcome is unknown (provider/route53/client.h).
#include "provider/route53/client.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/backoff.h"
#include "fakes/fake_transport.h"
#include "provider/route53/retry_policy.h"
#include "unit/provider/route53_test_util.h"

namespace ecssd::provider::route53 {
namespace {

using common::ErrorCode;
using ecssd::testing::fixture;
using std::chrono::milliseconds;

aws::ServiceEndpoint endpoint() { return {"route53", "us-east-1", "https://route53.amazonaws.com"}; }

common::Result<aws::HttpResponse> answer(unsigned status, std::string body) {
  return fakes::xml_response(status, std::move(body));
}

std::string error_doc(std::string_view code, std::string_view message) {
  return fmt::format("<ErrorResponse><Error><Code>{}</Code><Message>{}</Message></Error></ErrorResponse>", code,
                     message);
}

struct ClassifyCase {
  const char* what;
  common::Result<aws::HttpResponse> answer;
  bool is_change;
  Verdict::Kind kind;
  bool ambiguous;
  ErrorCode code;
  bool transient;
  std::string message;  // the error's message, exactly
};

TEST(Route53Classify, EachAnswerMeansOneThing) {
  const std::string where = "hosted zone Z1 (example.com)";
  const std::vector<ClassifyCase> cases = {
      {"success", answer(200, "<ok/>"), true, Verdict::kOk, false, ErrorCode::kInternal, false, ""},
      {"transport timeout", common::transient_error(ErrorCode::kTimeout, "no answer in 10s"), true, Verdict::kRetry,
       true, ErrorCode::kTimeout, true, "no answer in 10s"},
      {"no credentials", common::make_error(ErrorCode::kPermissionDenied, "no AWS credentials"), false,
       Verdict::kFailed, false, ErrorCode::kPermissionDenied, false,
       "Route 53 GetHostedZone for hosted zone Z1 (example.com): no AWS credentials"},
      {"HTTP 429", answer(429, ""), false, Verdict::kRetry, false, ErrorCode::kThrottled, true,
       "Route 53 GetHostedZone for hosted zone Z1 (example.com): HTTP 429: "},
      {"Throttling", answer(400, fixture("route53/doc_error_throttling.xml")), true, Verdict::kRetry, false,
       ErrorCode::kThrottled, true, ""},
      {"PriorRequestNotComplete", answer(400, fixture("route53/doc_error_prior_request_not_complete.xml")), true,
       Verdict::kRetry, false, ErrorCode::kThrottled, true,
       "Route 53 GetHostedZone for hosted zone Z1 (example.com): PriorRequestNotComplete: The request was rejected "
       "because Route 53 was still processing a prior request."},
      {"5xx", answer(503, error_doc("ServiceUnavailable", "later")), true, Verdict::kRetry, true,
       ErrorCode::kUnavailable, true,
       "Route 53 GetHostedZone for hosted zone Z1 (example.com): ServiceUnavailable: later"},
      {"InvalidChangeBatch of a change", answer(400, fixture("route53/doc_error_invalid_change_batch.xml")), true,
       Verdict::kRefused, false, ErrorCode::kConflict, false, ""},
      {"InvalidInput of a change", answer(400, error_doc("InvalidInput", "bad TTL")), true, Verdict::kRefused, false,
       ErrorCode::kInvalidArgument, false, "Route 53 refused the change: bad TTL"},
      {"InvalidInput of a read", answer(400, error_doc("InvalidInput", "bad TTL")), false, Verdict::kFailed, false,
       ErrorCode::kProtocol, false,
       "Route 53 GetHostedZone for hosted zone Z1 (example.com) failed: InvalidInput: bad TTL"},
      {"access denied", answer(403, fixture("route53/doc_error_access_denied.xml")), false, Verdict::kFailed, false,
       ErrorCode::kPermissionDenied, false, ""},
      {"bad signature", answer(403, error_doc("SignatureDoesNotMatch", "no")), false, Verdict::kFailed, false,
       ErrorCode::kPermissionDenied, false,
       "Route 53 rejected the credentials for route53:GetHostedZone on hosted zone Z1 (example.com) "
       "(SignatureDoesNotMatch: no)"},
      {"expired token on 400", answer(400, error_doc("ExpiredToken", "old")), false, Verdict::kFailed, false,
       ErrorCode::kPermissionDenied, false,
       "Route 53 rejected the credentials for route53:GetHostedZone on hosted zone Z1 (example.com) "
       "(ExpiredToken: old)"},
      {"no such zone", answer(404, fixture("route53/doc_error_no_such_hosted_zone.xml")), false, Verdict::kFailed,
       false, ErrorCode::kNotFound, false, ""},
      {"anything else", answer(400, error_doc("Mystery", "?")), false, Verdict::kFailed, false, ErrorCode::kProtocol,
       false, "Route 53 GetHostedZone for hosted zone Z1 (example.com) failed: Mystery: ?"},
  };
  for (const auto& c : cases) {
    Verdict v = classify(c.answer, "GetHostedZone", c.is_change, where);
    EXPECT_EQ(v.kind, c.kind) << c.what;
    EXPECT_EQ(v.ambiguous, c.ambiguous) << c.what;
    if (c.kind == Verdict::kOk) continue;
    EXPECT_EQ(v.error.code, c.code) << c.what;
    EXPECT_EQ(v.error.transient, c.transient) << c.what;
    if (!c.message.empty()) {
      EXPECT_EQ(v.error.message, c.message) << c.what;
    }
  }
}

TEST(Route53Classify, RefusalsKeepEachMessageAndErrorsNameThePermission) {
  Verdict refused = classify(answer(400, fixture("route53/doc_error_invalid_change_batch.xml")),
                             "ChangeResourceRecordSets", true, "hosted zone Z1 (example.com)");
  ASSERT_EQ(refused.kind, Verdict::kRefused);
  ASSERT_EQ(refused.messages.size(), 2u);
  EXPECT_NE(refused.messages[0].find("[name='web.example.com.'"), std::string::npos);
  EXPECT_TRUE(refused.error.message.starts_with("Route 53 refused the change: "));

  Verdict denied = classify(answer(403, fixture("route53/doc_error_access_denied.xml")), "ListResourceRecordSets",
                            false, "hosted zone Z1 (example.com)");
  EXPECT_NE(denied.error.message.find("Route 53 denied route53:ListResourceRecordSets on hosted zone Z1 "
                                      "(example.com); allow it for the agent's credentials"),
            std::string::npos)
      << denied.error.message;

  Verdict gone = classify(answer(404, fixture("route53/doc_error_no_such_hosted_zone.xml")), "GetHostedZone", false,
                          "hosted zone Z9");
  EXPECT_TRUE(gone.error.message.starts_with("hosted zone Z9 does not exist (")) << gone.error.message;
}

// A client on simulated time whose transport notes when each request went.
struct ClientHarness {
  ecssd::testing::Route53TestEnv env;
  fakes::FakeTransport transport;
  ecssd::testing::ClockedTransport clocked{transport, env.time};
  // Unpaced: these tests check the backoff alone (the pacing tests turn it on).
  RetryPolicy policy{.max_attempts = 6,
                     .max_throttled_attempts = 6,
                     .base = milliseconds(200),
                     .cap = milliseconds(10'000),
                     .seed = 42,
                     .pacing = {.enabled = false}};
  std::unique_ptr<Client> client;

  Client& make() {
    client = std::make_unique<Client>(clocked, endpoint(), policy, milliseconds(10'000), env.time, env.scope());
    client->set_target("example.com", "hosted zone Z1 (example.com)");
    return *client;
  }
  Outcome send(Call call, size_t* requests) { return env.run(client->send(std::move(call), requests)); }
  // The delays common::Backoff draws for the first call of a client seeded
  // with `policy.seed`.
  std::vector<milliseconds> expected_delays(size_t n) const {
    std::mt19937_64 seeds(policy.seed);
    common::Backoff backoff(policy.base, policy.cap, milliseconds(0), seeds());
    std::vector<milliseconds> out;
    for (size_t i = 0; i < n; ++i) out.push_back(backoff.next());
    return out;
  }
};

Call change_call() { return {"ChangeResourceRecordSets", "POST", "/hostedzone/Z1/rrset", "<ChangeBatch/>"}; }
Call list_call() { return {"ListResourceRecordSets", "GET", "/hostedzone/Z1/rrset?maxitems=300", {}}; }

TEST(Route53Client, BuildsTheRequestBelowTheApiVersion) {
  ClientHarness h;
  h.make();
  h.transport.push(200, "<ok/>");
  h.transport.push(200, "<ok/>");
  size_t requests = 0;
  EXPECT_EQ(h.send(change_call(), &requests).kind, Outcome::Kind::kOk);
  EXPECT_EQ(h.send(list_call(), &requests).kind, Outcome::Kind::kOk);
  EXPECT_EQ(requests, 2u);
  const auto& post = h.transport.requests()[0];
  EXPECT_EQ(post.method, "POST");
  EXPECT_EQ(post.url, "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1/rrset");
  EXPECT_EQ(post.body, "<ChangeBatch/>");
  EXPECT_EQ(post.timeout, milliseconds(10'000));
  ASSERT_EQ(post.headers.size(), 1u);
  EXPECT_EQ(post.headers[0], (std::pair<std::string, std::string>{"Content-Type", "application/xml"}));
  const auto& get = h.transport.requests()[1];
  EXPECT_EQ(get.url, "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1/rrset?maxitems=300");
  EXPECT_TRUE(get.headers.empty()) << "no body, no content type";
  EXPECT_EQ(h.env.time.steady_now(), common::SteadyTime{}) << "nothing waited";
}

TEST(Route53Client, WaitsTheJitteredBackoffOnSimulatedTime) {
  ClientHarness h;
  h.make();
  for (int i = 0; i < 3; ++i) h.transport.push(400, fixture("route53/doc_error_throttling.xml"));
  h.transport.push(200, "<ok/>");
  size_t requests = 0;
  Outcome out = h.send(list_call(), &requests);
  EXPECT_EQ(out.kind, Outcome::Kind::kOk);
  EXPECT_EQ(out.response.body, "<ok/>");
  EXPECT_EQ(requests, 4u);
  auto waits = h.clocked.waits(0, 3);
  EXPECT_EQ(waits, h.expected_delays(3)) << "exactly the delays of the seeded backoff";
  for (size_t i = 0; i < waits.size(); ++i) EXPECT_LE(waits[i], milliseconds(200 << i)) << i;
  EXPECT_EQ(h.env.time.steady_now() - common::SteadyTime{}, waits[0] + waits[1] + waits[2]);
  EXPECT_EQ(h.env.retries("throttled"), 3u);
}

TEST(Route53Client, TheBackoffIsCapped) {
  ClientHarness h;
  h.policy = {.max_attempts = 10, .base = milliseconds(100), .cap = milliseconds(300), .seed = 5,
              .pacing = {.enabled = false}};
  h.make();
  for (int i = 0; i < 9; ++i) h.transport.push(503, error_doc("ServiceUnavailable", "later"));
  h.transport.push(200, "<ok/>");
  size_t requests = 0;
  EXPECT_EQ(h.send(list_call(), &requests).kind, Outcome::Kind::kOk);
  auto waits = h.clocked.waits(0, 9);
  ASSERT_EQ(waits.size(), 9u);
  EXPECT_EQ(waits, h.expected_delays(9));
  for (auto w : waits) EXPECT_LE(w, milliseconds(300));
  EXPECT_EQ(h.env.retries("unavailable"), 9u);
}

TEST(Route53Client, GivesUpAfterTheLastAttemptWithoutWaitingAgain) {
  ClientHarness h;
  h.policy.max_throttled_attempts = 3;
  h.make();
  for (int i = 0; i < 5; ++i) h.transport.push(429, "");
  size_t requests = 0;
  Outcome out = h.send(list_call(), &requests);
  EXPECT_EQ(out.kind, Outcome::Kind::kFailed);
  EXPECT_EQ(out.error.code, ErrorCode::kThrottled);
  EXPECT_TRUE(out.error.transient);
  EXPECT_TRUE(out.error.message.ends_with(" (gave up after 3 attempts)")) << out.error.message;
  EXPECT_EQ(requests, 3u);
  auto waits = h.clocked.waits(0, 2);
  EXPECT_EQ(waits, h.expected_delays(2));
  EXPECT_EQ(h.env.time.steady_now() - common::SteadyTime{}, waits[0] + waits[1]) << "no wait after the last";
  EXPECT_EQ(h.env.retries("throttled"), 3u) << "every retried answer is counted, the last one too";
  EXPECT_EQ(h.transport.pending(), 2u);
}

TEST(Route53Client, AChangeWhoseAnswerWasLostHasAnUnknownOutcome) {
  ClientHarness h;
  h.make();
  // Timed out (maybe applied), then refused: the refusal may be of its own effect.
  h.transport.push(common::transient_error(ErrorCode::kTimeout, "no answer in 10s"));
  h.transport.push(400, fixture("route53/doc_error_invalid_change_batch.xml"));
  size_t requests = 0;
  Outcome out = h.send(change_call(), &requests);
  EXPECT_EQ(out.kind, Outcome::Kind::kUnknown);
  EXPECT_EQ(out.error.code, ErrorCode::kConflict);
  EXPECT_TRUE(out.error.transient);
  EXPECT_TRUE(out.error.message.starts_with("Route 53 ChangeResourceRecordSets for hosted zone Z1 (example.com): "
                                            "outcome unknown after a lost answer, then Route 53 refused the change"))
      << out.error.message;
  EXPECT_EQ(h.env.retries("timeout"), 1u);

  // Every attempt lost: unknown too.
  h.policy.max_attempts = 2;
  h.make();
  h.transport.push(common::transient_error(ErrorCode::kTimeout, "no answer in 10s"));
  h.transport.push(503, error_doc("InternalFailure", "oops"));
  Outcome lost = h.send(change_call(), &requests);
  EXPECT_EQ(lost.kind, Outcome::Kind::kUnknown);
  EXPECT_EQ(lost.error.code, ErrorCode::kUnavailable);
  EXPECT_TRUE(lost.error.message.ends_with(" (gave up after 2 attempts)")) << lost.error.message;

  // Throttling is no sign of an applied change: a refusal after it is a refusal.
  h.policy.max_attempts = 6;
  h.make();
  h.transport.push(400, fixture("route53/doc_error_throttling.xml"));
  h.transport.push(400, fixture("route53/doc_error_invalid_change_batch.xml"));
  Outcome refused = h.send(change_call(), &requests);
  EXPECT_EQ(refused.kind, Outcome::Kind::kRefused);
  EXPECT_EQ(refused.error.code, ErrorCode::kConflict);
  EXPECT_EQ(refused.messages.size(), 2u);
}

TEST(Route53Client, ThrottledAttemptsHaveTheirOwnLimit) {
  ClientHarness h;
  h.policy.max_attempts = 2;
  h.policy.max_throttled_attempts = 5;
  h.make();
  // One 503 and four throttles: within both limits.
  h.transport.push(503, error_doc("ServiceUnavailable", "later"));
  for (int i = 0; i < 4; ++i) h.transport.push(400, fixture("route53/doc_error_throttling.xml"));
  h.transport.push(200, "<ok/>");
  size_t requests = 0;
  EXPECT_EQ(h.send(list_call(), &requests).kind, Outcome::Kind::kOk);
  EXPECT_EQ(requests, 6u);
  // A second 503 ends the call however few throttles it had.
  h.transport.push(503, error_doc("ServiceUnavailable", "later"));
  h.transport.push(400, fixture("route53/doc_error_throttling.xml"));
  h.transport.push(503, error_doc("ServiceUnavailable", "later"));
  Outcome out = h.send(list_call(), &requests);
  EXPECT_EQ(out.kind, Outcome::Kind::kFailed);
  EXPECT_EQ(out.error.code, ErrorCode::kUnavailable);
  EXPECT_TRUE(out.error.message.ends_with(" (gave up after 3 attempts)")) << out.error.message;
}

TEST(Route53Client, AChangeThrottledAfterALostAnswerIsNotReportedThrottled) {
  ClientHarness h;
  h.policy.max_throttled_attempts = 2;
  h.make();
  h.transport.push(common::transient_error(ErrorCode::kTimeout, "no answer in 10s"));
  h.transport.push(400, fixture("route53/doc_error_throttling.xml"));
  h.transport.push(400, fixture("route53/doc_error_throttling.xml"));
  size_t requests = 0;
  Outcome out = h.send(change_call(), &requests);
  EXPECT_EQ(out.kind, Outcome::Kind::kUnknown);
  EXPECT_EQ(out.error.code, ErrorCode::kUnavailable) << "kThrottled would say nothing was applied";
}

// With pacing (the default), a throttle slows every later request of the
// client, and the rate shows in a gauge.
TEST(Route53Client, AThrottlePacesTheClientsLaterRequests) {
  ClientHarness h;
  h.policy.pacing = {};
  h.policy.pacing.increase = 0;  // the decrease alone, for exact figures
  h.make();
  size_t requests = 0;
  // Unpaced: back-to-back calls go at once.
  for (int i = 0; i < 3; ++i) h.transport.push(200, "<ok/>");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(h.send(list_call(), &requests).kind, Outcome::Kind::kOk);
  EXPECT_EQ(h.env.time.steady_now(), common::SteadyTime{});
  auto gauge = [&] {
    return h.env.metrics
        .gauge("ecssd_route53_pace_requests_per_second",
               "Requests a second this client allows itself since Route 53 throttled it (0: unpaced)")
        .value();
  };
  EXPECT_EQ(gauge(), 0);

  // One throttle: 2.5 requests/s from then on, gaps of 0.2 to 0.6 s.
  h.transport.push(400, fixture("route53/doc_error_throttling.xml"));
  for (int i = 0; i < 11; ++i) h.transport.push(200, "<ok/>");
  EXPECT_EQ(h.send(list_call(), &requests).kind, Outcome::Kind::kOk);
  EXPECT_DOUBLE_EQ(gauge(), 2.5);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(h.send(list_call(), &requests).kind, Outcome::Kind::kOk);
  auto waits = h.clocked.waits(4, 14);
  ASSERT_EQ(waits.size(), 10u);
  for (auto w : waits) {
    EXPECT_GE(w, milliseconds(200));
    EXPECT_LE(w, milliseconds(600));
  }
  EXPECT_EQ(h.env.retries("throttled"), 1u);
}

// Paced, a throttled attempt waits for the pace alone: the backoff (here up
// to a minute) is for the other failures.
TEST(Route53Client, APacedThrottleWaitsForThePaceNotTheBackoff) {
  ClientHarness h;
  h.policy.pacing = {};
  h.policy.base = h.policy.cap = milliseconds(60'000);
  ASSERT_GT(h.expected_delays(1)[0], milliseconds(600)) << "the seed's backoff would be visible";
  h.make();
  h.transport.push(400, fixture("route53/doc_error_throttling.xml"));
  h.transport.push(200, "<ok/>");
  size_t requests = 0;
  EXPECT_EQ(h.send(list_call(), &requests).kind, Outcome::Kind::kOk);
  auto waits = h.clocked.waits(0, 1);
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_GE(waits[0], milliseconds(200)) << "2.5 requests/s, jittered";
  EXPECT_LE(waits[0], milliseconds(600));

  // A 503 still backs off.
  h.transport.push(503, error_doc("ServiceUnavailable", "later"));
  h.transport.push(200, "<ok/>");
  EXPECT_EQ(h.send(list_call(), &requests).kind, Outcome::Kind::kOk);
  EXPECT_GT(h.clocked.waits(2, 3)[0], milliseconds(600));
}

// The agent's client hands a throttled change back at once (kThrottled:
// nothing applied) so that it is planned again at the pacer's next slot with
// what changed meanwhile; a listing is still retried in place, and the pacer
// has slowed down either way.
TEST(Route53Client, AThrottledChangeIsHandedBackWhenTheCallerPlansAgain) {
  ClientHarness h;
  h.policy.pacing = {};
  h.policy.return_throttled_changes = true;
  h.make();
  h.transport.push(400, fixture("route53/doc_error_throttling.xml"));
  size_t requests = 0;
  Outcome out = h.send(change_call(), &requests);
  EXPECT_EQ(out.kind, Outcome::Kind::kFailed);
  EXPECT_EQ(out.error.code, ErrorCode::kThrottled);
  EXPECT_NE(out.error.message.find("planned again"), std::string::npos) << out.error.message;
  EXPECT_EQ(requests, 1u);
  EXPECT_EQ(h.env.time.steady_now(), common::SteadyTime{}) << "no wait before handing it back";
  const auto now = h.env.time.steady_now();
  const auto ready = h.client->ready_at(now);
  EXPECT_GE(ready - now, milliseconds(200)) << "2.5 requests/s, jittered";
  EXPECT_LE(ready - now, milliseconds(600));

  h.transport.push(400, fixture("route53/doc_error_throttling.xml"));
  h.transport.push(200, "<ok/>");
  EXPECT_EQ(h.send(list_call(), &requests).kind, Outcome::Kind::kOk);
  EXPECT_EQ(requests, 3u);

  // A throttle after a lost answer is not a clean throttle: unknown, as before.
  h.transport.push(common::transient_error(ErrorCode::kTimeout, "no answer in 10s"));
  h.transport.push(400, fixture("route53/doc_error_throttling.xml"));
  out = h.send(change_call(), &requests);
  EXPECT_EQ(out.kind, Outcome::Kind::kUnknown);
  EXPECT_EQ(out.error.code, ErrorCode::kUnavailable);
}

TEST(Route53Client, AReadIsNeverUnknownAndReturnsTheError) {
  ClientHarness h;
  h.make();
  h.transport.push(common::transient_error(ErrorCode::kTimeout, "no answer in 10s"));
  h.transport.push(404, fixture("route53/doc_error_no_such_hosted_zone.xml"));
  auto read = h.env.run(h.client->read(list_call()));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, ErrorCode::kNotFound);
  EXPECT_NE(read.error().message.find("hosted zone Z1 (example.com) does not exist"), std::string::npos);

  h.transport.push(200, "<listed/>");
  auto ok = h.env.run(h.client->read(list_call()));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->body, "<listed/>");
}

TEST(Route53Client, TwoClientsCountInTheirOwnScopes) {
  ClientHarness a, b;
  a.make();
  b.make();
  a.transport.push(429, "");
  a.transport.push(200, "<ok/>");
  size_t requests = 0;
  EXPECT_EQ(a.send(list_call(), &requests).kind, Outcome::Kind::kOk);
  EXPECT_EQ(a.env.retries("throttled"), 1u);
  EXPECT_EQ(b.env.retries("throttled"), 0u);
}

TEST(Route53Client, QueryValuesArePercentEncoded) {
  EXPECT_EQ(query_encode("ecssd:host-a:0123456789ab:80-tcp"), "ecssd%3Ahost-a%3A0123456789ab%3A80-tcp");
  EXPECT_EQ(query_encode("\\052.b.example.com."), "%5C052.b.example.com.");
  EXPECT_EQ(query_encode("a-b_c.d~e"), "a-b_c.d~e");
}

}  // namespace
}  // namespace ecssd::provider::route53
