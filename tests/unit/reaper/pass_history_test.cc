// The last passes as the status page shows them: the records grouped by
// service, the results in the page's words, the changes as events.
#include "reaper/pass_history.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace ecssd::reaper {
namespace {

namespace json = boost::json;

RecordReport record(std::string name, std::string service, std::string result, Decision decision) {
  RecordReport r;
  r.name = std::move(name);
  r.type = "CNAME";
  r.values = {"host1.sd.internal"};
  r.owner = "host1";
  r.kind = "service";
  r.service = std::move(service);
  r.container_name = "c-" + r.service;
  r.target = "10.0.0.1:80";
  r.check = "tcp";
  r.result = std::move(result);
  r.dead = r.result == "dead";
  r.decision = decision;
  r.reason = r.dead ? "3 consecutive failed checks, last: connection refused" : "healthy";
  r.detail = r.dead ? "connection refused" : "connected";
  r.checks = 3;
  return r;
}

TEST(PassHistoryTest, TheLastPassAsServicesAndItsChangesAsEvents) {
  PassHistory h;
  Report first;
  first.zone = "sd.internal";
  first.records = {record("web.sd.internal", "web", "healthy", Decision::kKeep)};
  const common::SystemTime t0(std::chrono::seconds(1'800'000'000));
  h.add(first, t0);
  Report second = first;
  second.records.push_back(record("api.sd.internal", "api", "dead", Decision::kDeleted));
  second.records.back().agent_health = "passing since 2027-01-15T08:00:00Z";
  second.deleted = 1;
  second.dead = 1;
  h.add(second, t0 + std::chrono::minutes(5));
  EXPECT_EQ(h.passes(), 2u);

  json::object doc = h.services(t0 + std::chrono::minutes(6)).as_object();
  EXPECT_EQ(doc["kind"].as_string(), "reaper");
  EXPECT_EQ(doc["title"].as_string(), "ecssd reap of sd.internal");
  json::array& services = doc["services"].as_array();
  ASSERT_EQ(services.size(), 2u);
  json::object& api = services[0].as_object();  // by name
  EXPECT_EQ(api["name"].as_string(), "api");
  EXPECT_EQ(api["health"].as_string(), "critical");
  json::object& gone = api["instances"].as_array()[0].as_object();
  EXPECT_EQ(gone["health"].as_string(), "failing");
  EXPECT_FALSE(gone["published"].as_bool());
  EXPECT_EQ(gone["agent"].as_string(), "passing since 2027-01-15T08:00:00Z");
  EXPECT_EQ(services[1].as_object()["health"].as_string(), "passing");

  json::array events = h.events(10).as_object()["events"].as_array();
  ASSERT_EQ(events.size(), 3u);  // newest first: the second pass, its deletion, the first pass
  EXPECT_EQ(events[0].as_object()["kind"].as_string(), "pass");
  EXPECT_EQ(events[1].as_object()["kind"].as_string(), "deleted");
  EXPECT_EQ(events[1].as_object()["service"].as_string(), "api");
  EXPECT_EQ(events[2].as_object()["kind"].as_string(), "pass");
  EXPECT_EQ(h.events(1).as_object()["events"].as_array().size(), 1u);
}

}  // namespace
}  // namespace ecssd::reaper
