#include "source/docker/container_inspect.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "test_util.h"

namespace ecssd::source {
namespace {

namespace json = boost::json;
using testutil::fixture;

json::value load(const std::string& name) { return json::parse(fixture(name)); }

Extraction extract(const json::value& v, std::string network = "") {
  return extract_services(v, ExtractOptions{std::move(network)});
}

const model::Service* find(const Extraction& e, std::string_view name, std::string_view proto = "tcp") {
  for (const auto& s : e.services) {
    if (s.name == name && s.protocol == proto) return &s;
  }
  return nullptr;
}

// A minimal inspect document to build synthetic cases on.
json::object base() {
  return json::parse(R"({
    "Id": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "Name": "/syn",
    "State": {"Status": "running", "Running": true, "StartedAt": "2026-11-25T08:12:35Z"},
    "Config": {"Env": [], "Labels": {}, "ExposedPorts": {}},
    "HostConfig": {"NetworkMode": "default"},
    "NetworkSettings": {"Ports": {}, "Networks": {"bridge": {"IPAddress": "172.17.0.9", "GlobalIPv6Address": ""}}}
  })")
      .as_object();
}

void set_env(json::object& o, std::initializer_list<std::string_view> env) {
  json::array a;
  for (auto e : env) a.emplace_back(e);
  o["Config"].as_object()["Env"] = std::move(a);
}

void publish(json::object& o, std::string_view key, std::string_view host_ip, std::string_view host_port) {
  o["Config"].as_object()["ExposedPorts"].as_object()[key] = json::object{};
  json::array bindings;
  bindings.push_back(json::object{{"HostIp", host_ip}, {"HostPort", host_port}});
  o["NetworkSettings"].as_object()["Ports"].as_object()[key] = std::move(bindings);
}

void expose(json::object& o, std::string_view key) {
  o["Config"].as_object()["ExposedPorts"].as_object()[key] = json::object{};
  o["NetworkSettings"].as_object()["Ports"].as_object()[key] = nullptr;
}

// --- recorded fixtures

TEST(ExtractFixtures, WebMultiGivesThreeServicesOnTheirPublishedPorts) {
  auto e = extract(load("docker-20.10/inspect-web-multi.json"));
  EXPECT_TRUE(e.rejections.empty());
  EXPECT_TRUE(e.notes.empty());
  ASSERT_EQ(e.services.size(), 3u);
  const auto* web = find(e, "web");
  const auto* tls = find(e, "web-tls");
  const auto* stats = find(e, "_stats._udp", "udp");
  ASSERT_TRUE(web && tls && stats);
  EXPECT_EQ(web->container_port, 80);
  EXPECT_EQ(web->host_port, 18081);
  EXPECT_EQ(tls->container_port, 443);
  EXPECT_EQ(tls->host_port, 18443);
  EXPECT_EQ(stats->container_port, 9000);
  EXPECT_EQ(stats->host_port, 19000);
  for (const auto* s : {web, tls, stats}) {
    EXPECT_EQ(s->container_id, "079ff28a82056e988f45de27f762b28789d9e293bb79ad61d041cc98b37b1061");
    EXPECT_EQ(s->container_name, "web-multi");
    EXPECT_EQ(s->host_ip, "");  // bound to 0.0.0.0: any host address
    EXPECT_EQ(s->container_ip, "172.17.0.3");
    EXPECT_EQ(s->tags, (std::vector<std::string>{"prod", "blue"}));
    EXPECT_EQ(s->check.kind, model::HealthCheck::Kind::kTcp);
    EXPECT_EQ(s->started_unix, 1795594355);  // 2026-11-25T08:12:35.74Z
  }
  // Sorted by port.
  EXPECT_EQ(e.services[0].container_port, 80);
  EXPECT_EQ(e.services[1].container_port, 443);
  EXPECT_EQ(e.services[2].container_port, 9000);
}

TEST(ExtractFixtures, HostNetworkUsesTheContainerPortAsHostPort) {
  auto e = extract(load("docker-20.10/inspect-hostnet.json"));
  EXPECT_TRUE(e.rejections.empty());
  ASSERT_EQ(e.services.size(), 1u);
  EXPECT_EQ(e.services[0].name, "api");
  EXPECT_EQ(e.services[0].container_port, 18082);
  EXPECT_EQ(e.services[0].host_port, 18082);
  EXPECT_EQ(e.services[0].protocol, "tcp");
  EXPECT_EQ(e.services[0].container_ip, "");  // the host network has no container address
}

TEST(ExtractFixtures, HealthCheckedServiceNameWithoutPorts) {
  auto v = load("docker-20.10/inspect-hc.json");
  auto e = extract(v);
  EXPECT_TRUE(e.rejections.empty());
  ASSERT_EQ(e.services.size(), 1u);
  EXPECT_EQ(e.services[0].name, "hc");
  EXPECT_EQ(e.services[0].container_port, 0);
  EXPECT_EQ(e.services[0].host_port, 0);
  EXPECT_EQ(e.services[0].container_ip, "172.17.0.4");
  auto c = parse_inspect(fixture("docker-20.10/inspect-hc.json"), {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->health, "healthy");
  EXPECT_TRUE(c->running);
  EXPECT_EQ(c->name, "hc");
}

TEST(ExtractFixtures, BadContainerGivesExactlyThreeRejectionsAndNoService) {
  auto e = extract(load("docker-20.10/inspect-bad.json"));
  EXPECT_TRUE(e.services.empty());
  ASSERT_EQ(e.rejections.size(), 3u);
  std::map<std::string, std::string> by_field;
  for (const auto& r : e.rejections) {
    EXPECT_EQ(r.container_id, "f4eb308cc6c7760c1e5d02d745dacdc2e22c95c8140ed31f1dc2bbbc5766fe84");
    EXPECT_EQ(r.container_name, "bad");
    by_field[r.field] = r.reason;
  }
  ASSERT_EQ(by_field.size(), 3u);
  EXPECT_EQ(by_field["SERVICE_abc_NAME"], "\"abc\" is not a port number");
  EXPECT_EQ(by_field["SERVICE_99999_NAME"], "port 99999 is out of range 1-65535");
  EXPECT_NE(by_field["SERVICE_80_NAME"].find("\"bad name!\" is not a valid DNS name"), std::string::npos)
      << by_field["SERVICE_80_NAME"];
}

TEST(ExtractFixtures, PodmanHostNetworkContainer) {
  auto c = parse_inspect(fixture("podman-4.3/inspect-pweb.json"), {});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->running);
  EXPECT_EQ(c->health, "");  // Podman sends an empty Health without a HEALTHCHECK
  EXPECT_EQ(c->name, "pweb");
  const auto& e = c->extraction;
  EXPECT_TRUE(e.rejections.empty());
  ASSERT_EQ(e.services.size(), 1u);
  EXPECT_EQ(e.services[0].name, "papi");
  EXPECT_EQ(e.services[0].container_port, 18090);
  EXPECT_EQ(e.services[0].host_port, 18090);
  EXPECT_EQ(e.services[0].container_ip, "");
  EXPECT_EQ(e.services[0].started_unix, 1795594382);
}

TEST(ExtractFixtures, ListEntriesAreNotInspectsButDoNotCrash) {
  auto list = load("docker-20.10/list.json");
  for (const auto& entry : list.as_array()) {
    auto e = extract(entry);
    EXPECT_TRUE(e.services.empty());  // a list entry carries no Env
  }
}

// --- conventions

TEST(Extract, LabelsWinOverEnv) {
  auto o = base();
  set_env(o, {"SERVICE_80_NAME=from-env", "SERVICE_TAGS=a"});
  o["Config"].as_object()["Labels"] = json::object{{"SERVICE_80_NAME", "from-label"}};
  expose(o, "80/tcp");
  auto e = extract(o);
  ASSERT_EQ(e.services.size(), 1u);
  EXPECT_EQ(e.services[0].name, "from-label");
  EXPECT_EQ(e.services[0].tags, std::vector<std::string>{"a"});
}

TEST(Extract, IgnoreOptsOutTheContainerOrOnePort) {
  auto o = base();
  set_env(o, {"SERVICE_80_NAME=web", "SERVICE_81_NAME=other", "SERVICE_81_IGNORE=1", "SERVICE_99999_NAME=x"});
  auto e = extract(o);
  ASSERT_EQ(e.services.size(), 1u);
  EXPECT_EQ(e.services[0].name, "web");
  EXPECT_EQ(e.rejections.size(), 1u);

  set_env(o, {"SERVICE_80_NAME=web", "SERVICE_IGNORE=true", "SERVICE_99999_NAME=x"});
  e = extract(o);
  EXPECT_TRUE(e.services.empty());
  EXPECT_TRUE(e.rejections.empty());  // an ignored container is not validated

  set_env(o, {"SERVICE_80_NAME=web", "SERVICE_IGNORE=0"});
  EXPECT_EQ(extract(o).services.size(), 1u);
}

TEST(Extract, ServiceNameNeedsExactlyOnePortNumber) {
  auto o = base();
  set_env(o, {"SERVICE_NAME=solo"});
  publish(o, "8080/tcp", "127.0.0.1", "18080");
  auto e = extract(o);
  ASSERT_EQ(e.services.size(), 1u);
  EXPECT_EQ(e.services[0].container_port, 8080);
  EXPECT_EQ(e.services[0].host_port, 18080);
  EXPECT_EQ(e.services[0].host_ip, "127.0.0.1");

  // One number with two protocols: a service per protocol.
  expose(o, "8080/udp");
  e = extract(o);
  ASSERT_EQ(e.services.size(), 2u);
  EXPECT_TRUE(find(e, "solo", "tcp") && find(e, "solo", "udp"));

  expose(o, "9090/tcp");
  e = extract(o);
  EXPECT_TRUE(e.services.empty());
  ASSERT_EQ(e.rejections.size(), 1u);
  EXPECT_EQ(e.rejections[0].field, "SERVICE_NAME");
  EXPECT_NE(e.rejections[0].reason.find("several ports (8080/tcp, 8080/udp, 9090/tcp)"), std::string::npos)
      << e.rejections[0].reason;
  EXPECT_NE(e.rejections[0].reason.find("SERVICE_<port>_NAME"), std::string::npos);
}

TEST(Extract, PortSpecificNameWinsOverServiceName) {
  auto o = base();
  set_env(o, {"SERVICE_NAME=generic", "SERVICE_80_NAME=specific"});
  expose(o, "80/tcp");
  auto e = extract(o);
  ASSERT_EQ(e.services.size(), 1u);
  EXPECT_EQ(e.services[0].name, "specific");
}

TEST(Extract, PortsDeclaredButNotExposedAreTcpUnlessTheNameSaysUdp) {
  auto o = base();
  set_env(o, {"SERVICE_5353_NAME=_mdns._udp", "SERVICE_7000_NAME=api"});
  auto e = extract(o);
  ASSERT_EQ(e.services.size(), 2u);
  EXPECT_EQ(e.services[0].container_port, 5353);
  EXPECT_EQ(e.services[0].protocol, "udp");
  EXPECT_EQ(e.services[0].host_port, 0);  // not published: the record builder decides
  EXPECT_EQ(e.services[1].protocol, "tcp");
}

TEST(Extract, ExposedButUnpublishedPortHasNoHostPort) {
  auto o = base();
  set_env(o, {"SERVICE_80_NAME=web"});
  expose(o, "80/tcp");
  auto e = extract(o);
  ASSERT_EQ(e.services.size(), 1u);
  EXPECT_EQ(e.services[0].host_port, 0);
  EXPECT_EQ(e.services[0].container_ip, "172.17.0.9");
}

TEST(Extract, FirstIpv4BindingWinsElseTheFirst) {
  auto o = base();
  set_env(o, {"SERVICE_80_NAME=web"});
  publish(o, "80/tcp", "::1", "28080");
  o["NetworkSettings"].as_object()["Ports"].as_object()["80/tcp"].as_array().push_back(
      json::object{{"HostIp", "10.0.0.5"}, {"HostPort", "18080"}});
  auto e = extract(o);
  ASSERT_EQ(e.services.size(), 1u);
  EXPECT_EQ(e.services[0].host_port, 18080);
  EXPECT_EQ(e.services[0].host_ip, "10.0.0.5");

  publish(o, "80/tcp", "::1", "28080");
  e = extract(o);
  EXPECT_EQ(e.services[0].host_port, 28080);
  EXPECT_EQ(e.services[0].host_ip, "::1");
}

TEST(Extract, ChecksTagsAndEcsLabels) {
  auto o = base();
  set_env(o, {"SERVICE_80_NAME=web", "SERVICE_81_NAME=admin", "SERVICE_CHECK_HTTP=/health", "SERVICE_CHECK_TIMEOUT=3s",
              "SERVICE_81_CHECK_HTTP=/admin/ping", "SERVICE_81_CHECK_HTTP_STATUS=200-299", "SERVICE_81_TAGS= x , ,y",
              "SERVICE_TAGS=all"});
  o["Config"].as_object()["Labels"] =
      json::object{{"com.amazonaws.ecs.task-arn", "arn:aws:ecs:us-east-1:123456789012:task/c/abc"},
                   {"com.amazonaws.ecs.cluster", "c"}};
  auto e = extract(o);
  EXPECT_TRUE(e.rejections.empty());
  ASSERT_EQ(e.services.size(), 2u);
  const auto& web = e.services[0];
  const auto& admin = e.services[1];
  EXPECT_EQ(web.check.kind, model::HealthCheck::Kind::kHttp);
  EXPECT_EQ(web.check.http_path, "/health");
  EXPECT_EQ(web.check.timeout, "3s");
  EXPECT_EQ(web.check.http_status, "");
  EXPECT_EQ(web.tags, std::vector<std::string>{"all"});
  EXPECT_EQ(admin.check.http_path, "/admin/ping");
  EXPECT_EQ(admin.check.http_status, "200-299");
  EXPECT_EQ(admin.check.timeout, "3s");
  EXPECT_EQ(admin.tags, (std::vector<std::string>{"x", "y"}));
  for (const auto& s : e.services) {
    EXPECT_EQ(s.task_arn, "arn:aws:ecs:us-east-1:123456789012:task/c/abc");
    EXPECT_EQ(s.cluster, "c");
  }
}

TEST(Extract, BadCheckValuesAreRejectedAndTheServiceKept) {
  auto o = base();
  set_env(o, {"SERVICE_80_NAME=web", "SERVICE_80_CHECK_HTTP=health", "SERVICE_80_CHECK_HTTP_STATUS=700",
              "SERVICE_80_CHECK_TIMEOUT=soon", "SERVICE_CHECK_HTTP=/a b"});
  auto e = extract(o);
  ASSERT_EQ(e.services.size(), 1u);
  EXPECT_EQ(e.services[0].check.kind, model::HealthCheck::Kind::kTcp);
  EXPECT_EQ(e.services[0].check.http_status, "");
  EXPECT_EQ(e.services[0].check.timeout, "");
  std::set<std::string> fields;
  for (const auto& r : e.rejections) fields.insert(r.field);
  EXPECT_EQ(fields, (std::set<std::string>{"SERVICE_80_CHECK_HTTP", "SERVICE_80_CHECK_HTTP_STATUS",
                                           "SERVICE_80_CHECK_TIMEOUT", "SERVICE_CHECK_HTTP"}));
}

TEST(Extract, DeclaredChecksWithTheirSettings) {
  auto o = base();
  set_env(o, {"SERVICE_80_NAME=web", "SERVICE_81_NAME=admin", "SERVICE_82_NAME=db", "SERVICE_83_NAME=plain",
              "SERVICE_80_CHECK_HTTP=/health", "SERVICE_80_CHECK_INTERVAL=1s", "SERVICE_80_CHECK_RISE=2",
              "SERVICE_80_CHECK_FALL=4", "SERVICE_81_CHECK_TCP=true", "SERVICE_CHECK_INTERVAL=5s",
              "SERVICE_82_CHECK_TCP=false"});
  auto e = extract(o);
  EXPECT_TRUE(e.rejections.empty());
  const auto* web = find(e, "web");
  const auto* admin = find(e, "admin");
  const auto* db = find(e, "db");
  const auto* plain = find(e, "plain");
  ASSERT_TRUE(web && admin && db && plain);
  EXPECT_TRUE(web->check.declared);
  EXPECT_EQ(web->check.kind, model::HealthCheck::Kind::kHttp);
  EXPECT_EQ(web->check.http_path, "/health");
  EXPECT_EQ(web->check.interval, "1s");
  EXPECT_EQ(web->check.rise, 2);
  EXPECT_EQ(web->check.fall, 4);
  EXPECT_TRUE(admin->check.declared);
  EXPECT_EQ(admin->check.kind, model::HealthCheck::Kind::kTcp);
  EXPECT_EQ(admin->check.interval, "5s");  // the container-wide default
  EXPECT_EQ(admin->check.rise, 0);         // the agent's default
  EXPECT_FALSE(db->check.declared);
  EXPECT_TRUE(db->check.opted_out);
  EXPECT_FALSE(plain->check.declared);
  EXPECT_FALSE(plain->check.opted_out);
}

TEST(Extract, TheContainerWideCheckAppliesUnlessThePortDeclaresItsOwn) {
  auto o = base();
  o["Config"].as_object()["Labels"] = json::object{{"SERVICE_80_NAME", "web"}, {"SERVICE_81_NAME", "admin"},
                                                    {"SERVICE_CHECK_HTTP", "/ready"}, {"SERVICE_81_CHECK_TCP", "1"}};
  auto e = extract(o);
  EXPECT_TRUE(e.rejections.empty());
  const auto* web = find(e, "web");
  const auto* admin = find(e, "admin");
  ASSERT_TRUE(web && admin);
  EXPECT_TRUE(web->check.declared);
  EXPECT_EQ(web->check.http_path, "/ready");
  EXPECT_TRUE(admin->check.declared);
  EXPECT_EQ(admin->check.kind, model::HealthCheck::Kind::kTcp);  // the port's own wins
  EXPECT_EQ(admin->check.http_path, "");
}

TEST(Extract, BadCheckSettingsAreRejectedByFieldAndTheServiceStillPublishes) {
  auto o = base();
  set_env(o, {"SERVICE_80_NAME=web", "SERVICE_80_CHECK_TCP=true", "SERVICE_80_CHECK_INTERVAL=10ms",
              "SERVICE_80_CHECK_RISE=0", "SERVICE_80_CHECK_FALL=many", "SERVICE_CHECK_INTERVAL=2h"});
  auto e = extract(o);
  ASSERT_EQ(e.services.size(), 1u);
  const auto& s = e.services[0];
  EXPECT_TRUE(s.check.declared);
  EXPECT_EQ(s.check.interval, "");
  EXPECT_EQ(s.check.rise, 0);
  EXPECT_EQ(s.check.fall, 0);
  std::set<std::string> fields;
  for (const auto& r : e.rejections) {
    fields.insert(r.field);
    EXPECT_EQ(r.container_name, "syn");
  }
  EXPECT_EQ(fields, (std::set<std::string>{"SERVICE_80_CHECK_INTERVAL", "SERVICE_80_CHECK_RISE",
                                           "SERVICE_80_CHECK_FALL", "SERVICE_CHECK_INTERVAL"}));
}

TEST(Extract, SrvPriorityAndWeightDefaultToOneAndThePortFormWins) {
  auto o = base();
  set_env(o, {"SERVICE_80_NAME=web", "SERVICE_81_NAME=admin", "SERVICE_82_NAME=plain", "SERVICE_80_PRIORITY=10",
              "SERVICE_80_WEIGHT=5", "SERVICE_PRIORITY=20", "SERVICE_81_WEIGHT=0", "SERVICE_82_PRIORITY=65535"});
  o["Config"].as_object()["Labels"] = json::object{{"SERVICE_WEIGHT", "7"}};  // labels like env
  auto e = extract(o);
  EXPECT_TRUE(e.rejections.empty());
  const auto* web = find(e, "web");
  const auto* admin = find(e, "admin");
  const auto* plain = find(e, "plain");
  ASSERT_TRUE(web && admin && plain);
  EXPECT_EQ(web->priority, 10);  // the port's own over SERVICE_PRIORITY
  EXPECT_EQ(web->weight, 5);
  EXPECT_EQ(admin->priority, 20);  // the container-wide one
  EXPECT_EQ(admin->weight, 0);
  EXPECT_EQ(plain->priority, 65535);
  EXPECT_EQ(plain->weight, 7);

  auto bare = base();
  set_env(bare, {"SERVICE_80_NAME=web"});
  auto d = extract(bare);
  ASSERT_EQ(d.services.size(), 1u);
  EXPECT_EQ(d.services[0].priority, 1);
  EXPECT_EQ(d.services[0].weight, 1);
}

TEST(Extract, BadSrvPriorityOrWeightIsOneRejectionEachAndTheServiceKeepsItsDefaults) {
  auto o = base();
  set_env(o, {"SERVICE_80_NAME=web", "SERVICE_80_PRIORITY=65536", "SERVICE_80_WEIGHT=heavy",
              "SERVICE_PRIORITY=-1"});
  auto e = extract(o);
  ASSERT_EQ(e.services.size(), 1u);
  EXPECT_EQ(e.services[0].priority, 1);
  EXPECT_EQ(e.services[0].weight, 1);
  std::set<std::string> fields;
  for (const auto& r : e.rejections) {
    fields.insert(r.field);
    EXPECT_EQ(r.container_name, "syn");
    EXPECT_NE(r.reason.find("0 to 65535"), std::string::npos) << r.reason;
  }
  EXPECT_EQ(e.rejections.size(), 3u);
  EXPECT_EQ(fields, (std::set<std::string>{"SERVICE_80_PRIORITY", "SERVICE_80_WEIGHT", "SERVICE_PRIORITY"}));
}

TEST(ExtractFixtures, EveryFixtureParsesItsChecks) {
  // Recorded containers: only those that declare a check are gated by the agent.
  struct Case {
    const char* file;
    size_t declared;
  };
  for (const Case& c : {Case{"docker-20.10/inspect-web-multi.json", 0}, Case{"docker-20.10/inspect-hc.json", 0},
                        Case{"docker-20.10/inspect-hostnet.json", 0}, Case{"docker-20.10/inspect-bad.json", 0},
                        Case{"docker-20.10/inspect-checks.json", 2}, Case{"podman-4.3/inspect-pweb.json", 0}}) {
    auto parsed = parse_inspect(fixture(c.file), {});
    ASSERT_TRUE(parsed.ok()) << c.file;
    size_t declared = 0;
    for (const auto& s : parsed->extraction.services) declared += s.check.declared;
    EXPECT_EQ(declared, c.declared) << c.file;
  }
}

TEST(ExtractFixtures, RecordedChecksFromLabelsAndEnv) {
  // docker 20.10, --network host: env SERVICE_CHECK_TCP=true, SERVICE_CHECK_INTERVAL=1s,
  // SERVICE_18182_CHECK_RISE=lots, SERVICE_18183_CHECK_TCP=false; labels
  // SERVICE_18181_CHECK_HTTP=/health, SERVICE_18181_CHECK_FALL=2.
  auto c = parse_inspect(fixture("docker-20.10/inspect-checks.json"), {});
  ASSERT_TRUE(c.ok());
  const auto& e = c->extraction;
  const auto* web = find(e, "web");
  const auto* api = find(e, "api");
  const auto* metrics = find(e, "metrics");
  ASSERT_TRUE(web && api && metrics);
  EXPECT_EQ(web->check.kind, model::HealthCheck::Kind::kHttp);
  EXPECT_EQ(web->check.http_path, "/health");
  EXPECT_EQ(web->check.fall, 2);
  EXPECT_EQ(web->check.interval, "1s");
  EXPECT_EQ(web->host_port, 18181);
  EXPECT_TRUE(api->check.declared);
  EXPECT_EQ(api->check.kind, model::HealthCheck::Kind::kTcp);
  EXPECT_EQ(api->check.rise, 0);
  EXPECT_TRUE(metrics->check.opted_out);
  ASSERT_EQ(e.rejections.size(), 1u);
  EXPECT_EQ(e.rejections[0].field, "SERVICE_18182_CHECK_RISE");
  EXPECT_EQ(e.rejections[0].container_name, "checked");
}

TEST(Extract, TheContainerNameLosesEveryLeadingSlash) {
  // A real engine writes one ("/web"); the long fuzz run found a broken one's
  // two kept one, and "/eb-multi" reached the logs and the container-name label.
  EXPECT_EQ(container_name("/web"), "web");
  EXPECT_EQ(container_name("web"), "web");
  EXPECT_EQ(container_name("//eb-multi"), "eb-multi");
  EXPECT_EQ(container_name("///"), "");
  EXPECT_EQ(container_name(""), "");
  EXPECT_EQ(container_name("a/b"), "a/b");
  std::string body = fixture("docker-20.10/inspect-web-multi.json");
  auto at = body.find("\"Name\":\"/");
  ASSERT_NE(at, std::string::npos);
  body.insert(at + 8, "/");
  auto c = parse_inspect(body, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->name.front(), 'w');
  ASSERT_FALSE(c->extraction.services.empty());
  EXPECT_EQ(c->extraction.services[0].container_name, c->name);
}

TEST(Extract, NameValidation) {
  struct Case {
    const char* env;
    bool ok;
  };
  const Case cases[] = {
      {"SERVICE_80_NAME=web", true},     {"SERVICE_80_NAME=_calc._tcp", true},   {"SERVICE_80_NAME=a.b-c.d1", true},
      // A trailing dot makes the name absolute (several --zone): the record builder checks its zone.
      {"SERVICE_80_NAME=", false},       {"SERVICE_80_NAME=web.", true},         {"SERVICE_80_NAME=.web", false},
      {"SERVICE_80_NAME=.", false},      {"SERVICE_80_NAME=web..", false},
      {"SERVICE_80_NAME=we..b", false},  {"SERVICE_80_NAME=-web", false},        {"SERVICE_80_NAME=web_1", false},
      {"SERVICE_80_NAME=_", false},      {"SERVICE_80_NAME=caf\xc3\xa9", false}, {"SERVICE_0_NAME=web", false},
      {"SERVICE_65536_NAME=web", false}, {"SERVICE__NAME=web", false},           {"SERVICE_-1_NAME=web", false},
      {"SERVICE_65535_NAME=web", true},
  };
  for (const auto& c : cases) {
    auto o = base();
    set_env(o, {c.env});
    auto e = extract(o);
    EXPECT_EQ(e.services.size(), c.ok ? 1u : 0u) << c.env;
    EXPECT_EQ(e.rejections.size(), c.ok ? 0u : 1u) << c.env;
  }
  auto o = base();
  set_env(o, {("SERVICE_80_NAME=" + std::string(64, 'a')).c_str()});
  EXPECT_EQ(extract(o).rejections.size(), 1u);
  set_env(o, {("SERVICE_80_NAME=" + std::string(63, 'a')).c_str()});
  EXPECT_EQ(extract(o).services.size(), 1u);
}

TEST(Extract, UnrelatedServiceVariablesAreLeftAlone) {
  auto o = base();
  set_env(o, {"SERVICE_REGION=eu", "SERVICE_80_WEIGHT=5", "SERVICE_ID=x", "SERVICE_80_NAME=web", "SERVICES=1",
              "PATH=/bin", "NOEQUALS"});
  auto e = extract(o);
  EXPECT_TRUE(e.rejections.empty());
  ASSERT_EQ(e.services.size(), 1u);
}

TEST(Extract, NetworkChoice) {
  auto o = base();
  set_env(o, {"SERVICE_80_NAME=web"});
  auto& nets = o["NetworkSettings"].as_object()["Networks"].as_object();
  nets["backend"] = json::object{{"IPAddress", "10.1.0.7"}, {"GlobalIPv6Address", "fd00::7"}};

  auto e = extract(o);  // two networks, none chosen
  ASSERT_EQ(e.services.size(), 1u);
  EXPECT_EQ(e.services[0].container_ip, "");
  ASSERT_EQ(e.notes.size(), 1u);
  EXPECT_NE(e.notes[0].find("several networks (backend, bridge)"), std::string::npos) << e.notes[0];
  EXPECT_NE(e.notes[0].find("--network"), std::string::npos);

  e = extract(o, "backend");
  EXPECT_EQ(e.services[0].container_ip, "10.1.0.7");
  EXPECT_EQ(e.services[0].container_ip6, "fd00::7");
  EXPECT_TRUE(e.notes.empty());

  e = extract(o, "frontend");
  EXPECT_EQ(e.services[0].container_ip, "");
  ASSERT_EQ(e.notes.size(), 1u);
  EXPECT_NE(e.notes[0].find("not on network \"frontend\""), std::string::npos) << e.notes[0];

  nets.erase("backend");
  e = extract(o, "bridge");
  EXPECT_EQ(e.services[0].container_ip, "172.17.0.9");
}

TEST(Extract, NoServicesMeansNoNetworkNotes) {
  auto o = base();
  o["NetworkSettings"].as_object()["Networks"].as_object()["b"] = json::object{{"IPAddress", "10.0.0.1"}};
  auto e = extract(o);
  EXPECT_TRUE(e.services.empty());
  EXPECT_TRUE(e.notes.empty());
}

TEST(Extract, SurvivesEveryFieldOfTheWrongType) {
  for (const char* doc : {
           R"({})",
           R"(null)",
           R"([1,2])",
           R"({"Id": 5, "Config": "x", "NetworkSettings": [], "HostConfig": null})",
           R"({"Id": "a", "Config": {"Env": {"SERVICE_80_NAME": "x"}, "Labels": ["SERVICE_80_NAME=x"]}})",
           R"({"Id": "a", "Config": {"Env": [1, null, "SERVICE_80_NAME=web"], "Labels": {"SERVICE_81_NAME": 3},
               "ExposedPorts": {"80/tcp": null, "bogus": {}, "99999/tcp": {}}},
               "NetworkSettings": {"Ports": {"80/tcp": [1, {"HostPort": 80}, {"HostPort": "x"}]}, "Networks": null}})",
       }) {
    auto v = json::parse(doc);
    auto e = extract(v);
    (void)e;
  }
  auto v = json::parse(R"({"Id": "a", "Config": {"Env": [1, null, "SERVICE_80_NAME=web"]},
      "NetworkSettings": {"Ports": {"80/tcp": [1, {"HostPort": 80}, {"HostPort": "x"}]}, "Networks": null}})");
  auto e = extract(v);
  ASSERT_EQ(e.services.size(), 1u);
  EXPECT_EQ(e.services[0].host_port, 0);
}

TEST(ParseInspect, StateAndErrors) {
  auto o = base();
  auto c = parse_inspect(json::serialize(o), {});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->running);
  EXPECT_EQ(c->status, "running");
  EXPECT_EQ(c->name, "syn");
  EXPECT_EQ(c->started_at, "2026-11-25T08:12:35Z");

  o["State"].as_object()["Status"] = "paused";
  EXPECT_FALSE(parse_inspect(json::serialize(o), {})->running);
  o["State"] = json::object{{"Running", true}, {"Paused", false}, {"Restarting", true}};
  EXPECT_FALSE(parse_inspect(json::serialize(o), {})->running);
  o["State"] = json::object{{"Running", true}};
  EXPECT_TRUE(parse_inspect(json::serialize(o), {})->running);

  auto bad = parse_inspect("{not json", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, common::ErrorCode::kProtocol);
  auto no_id = parse_inspect(R"({"Name":"/x"})", {});
  ASSERT_FALSE(no_id.ok());
  EXPECT_EQ(no_id.error().code, common::ErrorCode::kProtocol);
}

TEST(Rfc3339, ParsesEngineTimestamps) {
  EXPECT_EQ(parse_rfc3339_seconds("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_seconds("2026-11-25T08:12:35.740117003Z"), 1795594355);
  EXPECT_EQ(parse_rfc3339_seconds("2026-11-25T09:12:35+01:00"), 1795594355);
  EXPECT_EQ(parse_rfc3339_seconds("2026-11-25T07:12:35.5-01:00"), 1795594355);
  EXPECT_EQ(parse_rfc3339_seconds("0001-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_seconds(""), 0);
  EXPECT_EQ(parse_rfc3339_seconds("yesterday"), 0);
  EXPECT_EQ(parse_rfc3339_seconds("2026-13-45T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_seconds("2026-11-25T08:12:35"), 0);
}

}  // namespace
}  // namespace ecssd::source
