// Route53Provider::apply() end to end against a simulated hosted zone
// (route53_fake_zone.h) behind a fake transport: batching within the limits,
// retries, isolation of refused changes, local refusals. The parts have their
// own tests: route53_zone_test.cc, route53_retry_test.cc,
// route53_apply_batch_test.cc, route53_isolate_test.cc; listing is in
// route53_list_test.cc.
#include "provider/route53/route53_provider.h"

#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "model/names.h"
#include "model/rdata.h"
#include "unit/provider/route53_harness.h"

namespace ecssd::provider {
namespace {

using common::ErrorCode;
using ecssd::testing::fixture;
using model::RecordType;
using namespace route53_test;

TEST(Route53Apply, CreatesGoInOneRequest) {
  Harness h;
  h.start();
  model::ChangeSet cs;
  for (int i = 0; i < 3; ++i) {
    for (auto& r : cname_with_companion("web.example.com", i)) cs.create.push_back(r);
  }
  ApplyReport report = h.apply(cs);
  EXPECT_EQ(report.requests, 1u);
  EXPECT_EQ(report.applied.create.size(), 6u);
  EXPECT_TRUE(report.failed.empty());
  const auto& req = h.transport.requests().back();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1/rrset");
  ASSERT_FALSE(req.headers.empty());
  EXPECT_EQ(req.headers[0], (std::pair<std::string, std::string>{"Content-Type", "application/xml"}));
  EXPECT_NE(req.body.find("<Comment>ecssd</Comment>"), std::string::npos);
  const fakes::FakeRrset* r = h.zone.find("web.example.com", "CNAME", set_id(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->values, std::vector<std::string>{"host-a.example.com."});
  EXPECT_EQ(r->weight, 1u);
  EXPECT_EQ(r->ttl, 10u);
}

TEST(Route53Apply, NothingToDoSendsNothing) {
  Harness h;
  h.start();
  ApplyReport report = h.apply({});
  EXPECT_EQ(report.requests, 0u);
  EXPECT_EQ(h.zone.change_requests(), 0u);
}

TEST(Route53Apply, UpdateIsDeleteOfTheListedValuesThenCreateInOneRequest) {
  Harness h;
  // Stored as another tool wrote it: no trailing dot, a health check attached.
  h.zone.add({.name = "web.example.com.", .type = "CNAME", .set_identifier = set_id(1), .weight = 1, .ttl = 10,
              .values = {"Host-A.example.com"}, .health_check_id = "hc-1"});
  auto& p = h.start();
  auto listed = h.run(p.list());
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  model::Record old = listed->front();
  EXPECT_EQ(old.values, std::vector<std::string>{"host-a.example.com"});
  model::Record now = old;
  now.ttl = 30;
  model::ChangeSet cs;
  cs.update.push_back({old, now});
  ApplyReport report = h.apply(cs);
  ASSERT_TRUE(report.failed.empty()) << report.failed[0].error.describe();
  ASSERT_EQ(report.applied.update.size(), 1u);
  ASSERT_EQ(h.zone.accepted().size(), 1u);
  const auto& batch = h.zone.accepted()[0];
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].action, "DELETE");
  EXPECT_EQ(batch[0].rrset.values, std::vector<std::string>{"Host-A.example.com"}) << "exactly as listed";
  EXPECT_EQ(batch[1].action, "CREATE");
  EXPECT_EQ(batch[1].rrset.ttl, 30u);
  EXPECT_EQ(batch[1].rrset.health_check_id, "hc-1") << "a health check someone attached stays attached";
}

TEST(Route53Apply, WhatItWroteItCanDeleteWithoutListingAgain) {
  Harness h;
  h.start();
  auto pair = cname_with_companion("web.example.com", 1);
  h.apply({.create = pair});
  ApplyReport removed = h.apply({.remove = pair});
  EXPECT_EQ(removed.applied.remove.size(), 2u);
  EXPECT_TRUE(removed.failed.empty());
  EXPECT_TRUE(h.zone.rrsets().empty());
}

// Each name holds two weighted members: 600 names, 1200 records, few characters.
model::ChangeSet two_per_name(int names, int first_container = 0) {
  model::ChangeSet cs;
  for (int i = 0; i < names; ++i) {
    for (int j = 0; j < 2; ++j) {
      cs.create.push_back(rec(fmt::format("svc-{}.example.com", i), RecordType::kA, "10.0.0.1",
                              set_id(first_container + 2 * i + j)));
    }
  }
  return cs;
}

// The request each name was sent in; fails the test when a name spans two.
std::map<std::string, size_t> request_of_each_name(const fakes::FakeRoute53& zone) {
  std::map<std::string, size_t> out;
  for (size_t b = 0; b < zone.accepted().size(); ++b) {
    for (const auto& c : zone.accepted()[b]) {
      std::string base = model::normalize_name(c.rrset.name);
      if (auto parsed = registry::parse_companion_name(base)) base = parsed->first;
      auto [it, fresh] = out.emplace(base, b);
      EXPECT_EQ(it->second, b) << base << " split across requests";
    }
  }
  return out;
}

TEST(Route53Apply, SplitsAtTheRecordLimitWithoutSplittingAName) {
  Harness h;
  h.start();
  ApplyReport report = h.apply(two_per_name(600));
  EXPECT_TRUE(report.failed.empty());
  EXPECT_EQ(report.applied.create.size(), 1200u);
  EXPECT_EQ(report.requests, 2u);
  for (const auto& batch : h.zone.accepted()) EXPECT_LE(batch.size(), 1000u);
  EXPECT_EQ(h.zone.accepted()[0].size(), 1000u) << "the first request is filled";
  EXPECT_EQ(request_of_each_name(h.zone).size(), 600u);
  EXPECT_EQ(h.zone.rrsets().size(), 1200u);
}

TEST(Route53Apply, RecordsWithCompanionsNeedNoMoreRequestsThanTheLimitsForce) {
  Harness h;
  h.start();
  model::ChangeSet cs;
  for (int i = 0; i < 600; ++i) {
    for (auto& r : cname_with_companion(fmt::format("svc-{}.example.com", i), i)) cs.create.push_back(r);
  }
  size_t records = 0, chars = 0;
  for (const auto& r : cs.create) {
    auto rs = route53::to_record_set(r);
    records += rs->values.size();
    for (const auto& v : rs->values) chars += v.size();
  }
  ApplyReport report = h.apply(cs);
  EXPECT_TRUE(report.failed.empty());
  EXPECT_EQ(report.applied.create.size(), 1200u);
  size_t lower_bound = std::max((records + 999) / 1000, (chars + 31999) / 32000);
  EXPECT_EQ(report.requests, lower_bound) << records << " records, " << chars << " characters";
  for (const auto& batch : h.zone.accepted()) {
    size_t c = 0;
    for (const auto& ch : batch) {
      for (const auto& v : ch.rrset.values) c += v.size();
    }
    EXPECT_LE(c, 32000u);
  }
  EXPECT_EQ(request_of_each_name(h.zone).size(), 600u);
}

TEST(Route53Apply, SplitsAtTheCharacterLimit) {
  Harness h;
  h.start();
  model::ChangeSet cs;
  // 20 TXT records of 2000 characters each: 40 records, 40000 characters.
  for (int i = 0; i < 20; ++i) {
    model::Record r = rec(fmt::format("t{}.example.com", i), RecordType::kTXT,
                          model::txt_encode({std::string(1990, 'a' + i % 26)}), set_id(i));
    cs.create.push_back(r);
  }
  ApplyReport report = h.apply(cs);
  EXPECT_TRUE(report.failed.empty());
  EXPECT_EQ(report.requests, 2u);
  for (const auto& batch : h.zone.accepted()) {
    size_t chars = 0;
    for (const auto& c : batch) {
      for (const auto& v : c.rrset.values) chars += v.size();
    }
    EXPECT_LE(chars, 32000u);
  }
  EXPECT_EQ(h.zone.rrsets().size(), 20u);
}

TEST(Route53Apply, KeepsANameTogetherEvenWhenItFillsMostOfARequest) {
  Harness h;
  h.options.limits.max_records = 700;
  h.zone.max_records = 700;
  h.start();
  model::ChangeSet cs = two_per_name(300, 10'000);
  for (int i = 0; i < 600; ++i) cs.create.push_back(rec("web.example.com", RecordType::kA, "10.0.0.2", set_id(i)));
  ApplyReport report = h.apply(cs);
  EXPECT_TRUE(report.failed.empty());
  EXPECT_EQ(report.applied.create.size(), 1200u);
  EXPECT_EQ(report.requests, 2u) << "600 for web + 100 others, then the other 500";
  auto names = request_of_each_name(h.zone);
  EXPECT_EQ(names.size(), 301u);
  EXPECT_EQ(h.zone.accepted()[names["web.example.com"]].size(), 700u);
}

TEST(Route53Apply, ANameTooLargeForOneRequestIsSplitByContainer) {
  Harness h;
  h.options.limits.max_records = 10;
  h.zone.max_records = 10;
  h.start();
  model::ChangeSet cs;
  for (int i = 0; i < 8; ++i) {
    for (auto& r : cname_with_companion("web.example.com", i)) cs.create.push_back(r);
  }
  ApplyReport report = h.apply(cs);
  EXPECT_TRUE(report.failed.empty());
  EXPECT_EQ(report.applied.create.size(), 16u);
  EXPECT_EQ(report.requests, 2u);
  for (const auto& batch : h.zone.accepted()) {
    std::multiset<std::string> ids;
    for (const auto& c : batch) ids.insert(c.rrset.set_identifier);
    for (const auto& id : ids) EXPECT_EQ(ids.count(id), 2u) << "record and companion together: " << id;
  }
}

TEST(Route53Apply, AChangeOverTheLimitsOnItsOwnIsRefusedLocally) {
  Harness h;
  h.options.limits.max_value_chars = 100;
  h.start();
  model::ChangeSet cs;
  cs.create.push_back(rec("big.example.com", RecordType::kTXT, model::txt_encode({std::string(200, 'x')}), "s"));
  cs.create.push_back(rec("small.example.com", RecordType::kA, "10.0.0.1", "s"));
  ApplyReport report = h.apply(cs);
  ASSERT_EQ(report.failed.size(), 1u);
  EXPECT_EQ(report.failed[0].error.code, ErrorCode::kTooLarge);
  EXPECT_EQ(report.applied.create.size(), 1u);
  EXPECT_EQ(report.requests, 1u);
}

TEST(Route53Apply, ThrottlingThenSuccess) {
  Harness h;
  h.options.retry.pacing.enabled = false;  // the backoff alone (Route53Client's tests pace)
  h.start();
  h.zone.throttle(2);
  const uint64_t before = h.env.retries("throttled");
  const size_t first = h.clocked.sent();
  ApplyReport report = h.apply({.create = cname_with_companion("web.example.com", 1)});
  EXPECT_EQ(report.applied.create.size(), 2u);
  EXPECT_EQ(report.requests, 3u) << "requests counts the retries";
  EXPECT_EQ(h.env.retries("throttled") - before, 2u) << "each retry is counted in a metric";
  auto waits = h.waits_from(first);
  ASSERT_EQ(waits.size(), 2u);
  EXPECT_LE(waits[0].count(), 200);
  EXPECT_LE(waits[1].count(), 400);
}

TEST(Route53Apply, PriorRequestNotCompleteServerErrorsAndTimeoutsAreRetried) {
  Harness h;
  h.start();
  h.transport.push(400, fixture("route53/doc_error_prior_request_not_complete.xml"));
  h.transport.push(500, "<ErrorResponse><Error><Code>InternalFailure</Code><Message>oops</Message></Error></ErrorResponse>");
  ecssd::testing::push_error(h.transport, common::transient_error(ErrorCode::kTimeout, "no answer in 10s"));
  const size_t first = h.clocked.sent();
  ApplyReport report = h.apply({.create = cname_with_companion("web.example.com", 1)});
  EXPECT_EQ(report.applied.create.size(), 2u);
  EXPECT_EQ(report.requests, 4u);
  EXPECT_EQ(h.waits_from(first).size(), 3u);
  EXPECT_EQ(h.env.retries("throttled"), 1u);
  EXPECT_EQ(h.env.retries("unavailable"), 1u);
  EXPECT_EQ(h.env.retries("timeout"), 1u);
}

TEST(Route53Apply, ThrottledPastTheRetriesIsATransientError) {
  Harness h;
  h.options.retry.max_throttled_attempts = 4;
  h.start();
  h.zone.throttle(100);
  const size_t first = h.clocked.sent();
  auto r = h.run(h.provider->apply({.create = cname_with_companion("web.example.com", 1)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kThrottled);
  EXPECT_TRUE(r.error().transient);
  EXPECT_NE(r.error().message.find("gave up after 4 attempts"), std::string::npos);
  EXPECT_EQ(h.waits_from(first).size(), 3u) << "no wait after the last attempt";
  EXPECT_TRUE(h.zone.rrsets().empty());
}

TEST(Route53Apply, RefusalAfterALostAnswerMeansTheOutcomeIsUnknown) {
  Harness h;
  h.start();
  auto pair = cname_with_companion("web.example.com", 1);
  // The first attempt reached Route 53 and was applied, but the answer was lost.
  h.transport.set_handler([&](const aws::HttpRequest& req) -> common::Result<aws::HttpResponse> {
    auto answer = h.zone.handle(req);
    if (req.method == "POST" && h.zone.change_requests() == 1) {
      return common::transient_error(ErrorCode::kTimeout, "no answer in 10s");
    }
    return answer;
  });
  auto r = h.run(h.provider->apply({.create = pair}));
  ASSERT_FALSE(r.ok()) << "the retry is refused (already exists): the state must be listed again";
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(r.error().transient);
  EXPECT_NE(r.error().message.find("outcome unknown"), std::string::npos);
  EXPECT_EQ(h.zone.rrsets().size(), 2u);
}

TEST(Route53Apply, OneRefusedChangeAmongFiftyIsIsolatedByItsMessage) {
  Harness h;
  h.start();
  h.zone.refuse_name("svc-17.example.com");
  model::ChangeSet cs;
  for (int i = 0; i < 50; ++i) cs.create.push_back(rec(fmt::format("svc-{}.example.com", i), RecordType::kA, "10.0.0.1", set_id(i)));
  ApplyReport report = h.apply(cs);
  EXPECT_EQ(report.applied.create.size(), 49u);
  ASSERT_EQ(report.failed.size(), 1u);
  EXPECT_EQ(report.failed[0].change.create.at(0).name, "svc-17.example.com");
  EXPECT_EQ(report.failed[0].error.code, ErrorCode::kConflict);
  EXPECT_NE(report.failed[0].error.message.find("RRSet with DNS name svc-17.example.com. is not permitted"),
            std::string::npos)
      << report.failed[0].error.message;
  EXPECT_EQ(report.requests, 3u) << "the batch, the 49 others, the named one alone";
  EXPECT_EQ(h.zone.rrsets().size(), 49u);
}

TEST(Route53Apply, ARefusalThatNamesNothingIsIsolatedByBisection) {
  Harness h;
  h.start();
  h.zone.refuse_name("svc-17.example.com", /*named=*/false);
  h.zone.refuse_name("svc-40.example.com", /*named=*/false);
  model::ChangeSet cs;
  for (int i = 0; i < 50; ++i) cs.create.push_back(rec(fmt::format("svc-{}.example.com", i), RecordType::kA, "10.0.0.1", set_id(i)));
  ApplyReport report = h.apply(cs);
  EXPECT_EQ(report.applied.create.size(), 48u);
  ASSERT_EQ(report.failed.size(), 2u);
  std::set<std::string> failed;
  for (const auto& f : report.failed) failed.insert(f.change.create.at(0).name);
  EXPECT_EQ(failed, (std::set<std::string>{"svc-17.example.com", "svc-40.example.com"}));
  EXPECT_LE(report.requests, 1u + 2u * 2u * 6u) << "two bisection paths of depth log2(50)";
  EXPECT_EQ(h.zone.rrsets().size(), 48u);
}

TEST(Route53Apply, ARefusedContainerDoesNotBlockTheOthersOfTheSameName) {
  Harness h;
  // Container 3's record exists already (left over), so creating it is refused.
  h.zone.add({.name = "web.example.com.", .type = "CNAME", .set_identifier = set_id(3), .weight = 1, .ttl = 10,
              .values = {"elsewhere.example.com."}});
  h.start();
  model::ChangeSet cs;
  for (int i = 0; i < 10; ++i) {
    for (auto& r : cname_with_companion("web.example.com", i)) cs.create.push_back(r);
  }
  ApplyReport report = h.apply(cs);
  EXPECT_EQ(report.applied.create.size(), 18u);
  ASSERT_EQ(report.failed.size(), 2u) << "container 3's record and companion stay together";
  for (const auto& f : report.failed) EXPECT_EQ(f.change.create.at(0).set_identifier, set_id(3));
  EXPECT_NE(report.failed[0].error.message.find("already exists"), std::string::npos);
}

TEST(Route53Apply, RecordSetsEcssdMustNotChangeAreRefusedWithoutARequest) {
  ecssd::testing::Route53TestEnv env;
  fakes::FakeTransport t;
  auto p = on_recorded_zone(env, t, {"moto_list_rrsets.xml"});
  auto listed = env.run(p->list());
  ASSERT_TRUE(listed.ok());
  model::ChangeSet cs;
  for (const auto& r : *listed) {
    if (r.name == "api.example.com" || r.name == "www.example.com") cs.remove.push_back(r);
  }
  ASSERT_EQ(cs.remove.size(), 2u);
  cs.create.push_back(rec("www.example.com", RecordType::kA, "10.0.0.1"));
  cs.create.push_back(rec("elsewhere.example.org", RecordType::kA, "10.0.0.1", "s"));
  auto r = env.run(p->apply(cs));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->failed.size(), 4u);
  std::string reasons;
  for (const auto& f : r->failed) reasons += f.error.message + "\n";
  EXPECT_NE(reasons.find("Route 53 failover record, which ecssd never changes"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("Route 53 alias record, which ecssd never changes"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("elsewhere.example.org is outside the zone example.com"), std::string::npos) << reasons;
  EXPECT_EQ(t.requests().size(), 2u) << "no change request";
}

TEST(Route53Apply, AccessDeniedOnTheFirstRequestIsAnError) {
  Harness h;
  h.start();
  h.transport.push(403, fixture("route53/doc_error_access_denied.xml"));
  auto r = h.run(h.provider->apply({.create = cname_with_companion("web.example.com", 1)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(r.error().message.find("route53:ChangeResourceRecordSets on hosted zone Z1 (example.com)"),
            std::string::npos)
      << r.error().message;
}

TEST(Route53Apply, AFailureAfterSomeRequestsReportsTheRestAsFailed) {
  Harness h;
  h.options.limits.max_records = 2;
  h.start();
  h.transport.set_handler([&](const aws::HttpRequest& req) -> common::Result<aws::HttpResponse> {
    if (req.method == "POST" && h.zone.change_requests() == 1) {
      return fakes::xml_response(403, fixture("route53/doc_error_access_denied.xml"));
    }
    return h.zone.handle(req);
  });
  model::ChangeSet cs;
  for (int i = 0; i < 3; ++i) cs.create.push_back(rec(fmt::format("svc-{}.example.com", i), RecordType::kA, "10.0.0.1", set_id(i)));
  ApplyReport report = h.apply(cs);
  EXPECT_EQ(report.applied.create.size(), 2u);
  ASSERT_EQ(report.failed.size(), 1u);
  EXPECT_EQ(report.failed[0].error.code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(report.requests, 2u);
}

TEST(Route53Apply, DeletionsComeFirstInARequest) {
  Harness h;
  h.start();
  auto a = cname_with_companion("web.example.com", 1);
  h.apply({.create = a});
  model::ChangeSet cs;
  cs.create = cname_with_companion("web.example.com", 2);
  cs.remove = a;
  ApplyReport report = h.apply(cs);
  EXPECT_EQ(report.requests, 1u);
  const auto& batch = h.zone.accepted().back();
  ASSERT_EQ(batch.size(), 4u);
  EXPECT_EQ(batch[0].action, "DELETE");
  EXPECT_EQ(batch[1].action, "DELETE");
  EXPECT_EQ(batch[2].action, "CREATE");
}

TEST(Route53Apply, OverlappingCallsAreRefusedNotInterleaved) {
  Harness h;
  h.start();
  h.zone.throttle(1);  // the first call waits on a timer, letting the second one run
  boost::asio::io_context io;
  std::optional<common::Result<ApplyReport>> first, second;
  auto keep = [](std::optional<common::Result<ApplyReport>>* into) {
    return [into](std::exception_ptr, common::Result<ApplyReport> r) { into->emplace(std::move(r)); };
  };
  boost::asio::co_spawn(io, h.provider->apply({.create = cname_with_companion("a.example.com", 1)}), keep(&first));
  boost::asio::co_spawn(io, h.provider->apply({.create = cname_with_companion("b.example.com", 2)}), keep(&second));
  EXPECT_TRUE(h.env.time.run_until(io, [&] { return first && second; }, std::chrono::hours(1)));
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(first->ok());
  EXPECT_EQ((*first)->applied.create.size(), 2u);
  ASSERT_FALSE(second->ok());
  EXPECT_EQ(second->error().code, ErrorCode::kInternal);
  EXPECT_EQ(h.zone.rrsets().size(), 2u);
  // Once the first is done, the provider takes the next batch.
  EXPECT_TRUE(h.run(h.provider->apply({.create = cname_with_companion("b.example.com", 2)})).ok());
}

TEST(Route53Apply, CanonicalizeIsWhatTheListingReturns) {
  Harness h;
  auto& p = h.start();
  model::Record r = rec("Web.Example.com.", RecordType::kSRV, "1 1 80 Host-A.Example.com.", "s");
  r.name = "web.example.com";
  h.apply({.create = {r}});
  auto listed = h.run(p.list());
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front(), p.canonicalize(r));
  EXPECT_EQ(p.capabilities().set_identifiers, true);
  EXPECT_EQ(p.capabilities().writable, true);
}

}  // namespace
}  // namespace ecssd::provider
