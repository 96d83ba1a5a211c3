// ECS, EC2 and EventBridge clients against a fake transport answering with
// responses shaped like AWS's: request encoding, full pagination, parsing,
// error mapping. Also exercises the in-memory fakes other rooms use.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "aws/ec2.h"
#include "aws/ecs.h"
#include "aws/eventbridge.h"
#include "fakes/aws/fake_ec2.h"
#include "fakes/aws/fake_ecs.h"
#include "fakes/aws/fake_eventbridge.h"
#include "fakes/aws/fake_transport.h"
#include "aws/url.h"
#include "run_task.h"

namespace ecssd::aws {
namespace {

namespace json = boost::json;
using common::ErrorCode;
using testing::FakeTransport;
using testing::run_task;

const ServiceEndpoint kEcs{"ecs", "eu-west-1", "https://ecs.eu-west-1.amazonaws.com"};
const ServiceEndpoint kEc2{"ec2", "eu-west-1", "https://ec2.eu-west-1.amazonaws.com"};
const ServiceEndpoint kEvents{"events", "eu-west-1", "https://events.eu-west-1.amazonaws.com"};

std::string header(const HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

json::object body_of(const FakeTransport::Call& c) { return json::parse(c.request.body).as_object(); }

TEST(EcsClient, ListTasksFollowsEveryPageWithTheFilter) {
  FakeTransport t([](const FakeTransport::Call& c) {
    auto body = json::parse(c.request.body).as_object();
    if (!body.contains("nextToken")) {
      return FakeTransport::response(200, R"({"taskArns":["arn:t/1","arn:t/2"],"nextToken":"page2"})");
    }
    if (body.at("nextToken").as_string() == "page2") {
      return FakeTransport::response(200, R"({"taskArns":["arn:t/3"],"nextToken":"page3"})");
    }
    return FakeTransport::response(200, R"({"taskArns":["arn:t/4"]})");
  });
  EcsClient ecs(t, kEcs);
  EcsTaskFilter filter;
  filter.service_name = "web";
  filter.desired_status = "RUNNING";
  auto r = run_task(ecs.list_tasks("prod", filter));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(*r, (std::vector<std::string>{"arn:t/1", "arn:t/2", "arn:t/3", "arn:t/4"}));
  ASSERT_EQ(t.calls().size(), 3u);
  const auto& first = t.calls()[0];
  EXPECT_EQ(first.endpoint.signing_name, "ecs");
  EXPECT_EQ(first.request.method, "POST");
  EXPECT_EQ(first.request.url, "https://ecs.eu-west-1.amazonaws.com/");
  EXPECT_EQ(header(first.request, "X-Amz-Target"), "AmazonEC2ContainerServiceV20141113.ListTasks");
  EXPECT_EQ(header(first.request, "Content-Type"), "application/x-amz-json-1.1");
  auto b = body_of(first);
  EXPECT_EQ(b.at("cluster").as_string(), "prod");
  EXPECT_EQ(b.at("serviceName").as_string(), "web");
  EXPECT_EQ(b.at("desiredStatus").as_string(), "RUNNING");
  EXPECT_EQ(body_of(t.calls()[2]).at("nextToken").as_string(), "page3");
}

TEST(EcsClient, ListClustersAndARepeatedTokenIsAnError) {
  FakeTransport t([](const FakeTransport::Call&) {
    return FakeTransport::response(200, R"({"clusterArns":["arn:c/a"],"nextToken":"same"})");
  });
  EcsClient ecs(t, kEcs);
  auto r = run_task(ecs.list_clusters());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
  EXPECT_EQ(t.calls().size(), 2u);
  EXPECT_EQ(header(t.calls()[0].request, "X-Amz-Target"), "AmazonEC2ContainerServiceV20141113.ListClusters");
}

TEST(EcsClient, DescribeTasksBatchesByHundredAndParses) {
  FakeTransport t([](const FakeTransport::Call& c) {
    auto body = json::parse(c.request.body).as_object();
    const auto& arns = body.at("tasks").as_array();
    json::array tasks;
    for (const auto& a : arns) {
      std::string arn(a.as_string());
      if (arn == "arn:gone") continue;
      tasks.push_back(json::parse(R"({"taskArn":")" + arn + R"(","clusterArn":"arn:c/prod","lastStatus":"RUNNING",
        "desiredStatus":"RUNNING","group":"service:web","launchType":"EC2","availabilityZone":"eu-west-1a",
        "taskDefinitionArn":"arn:td/web:3","healthStatus":"HEALTHY",
        "attachments":[{"type":"ElasticNetworkInterface","details":[{"name":"subnetId","value":"s-1"},
                        {"name":"privateIPv4Address","value":"10.0.0.9"}]}],
        "tags":[{"key":"team","value":"core"}],
        "containers":[{"name":"app","containerArn":"arn:ct/1","lastStatus":"RUNNING","runtimeId":"abc123",
          "networkBindings":[{"bindIP":"0.0.0.0","containerPort":80,"hostPort":32768,"protocol":"tcp"}],
          "networkInterfaces":[{"attachmentId":"x","privateIpv4Address":"10.0.0.9"}]}]})"));
    }
    json::array failures;
    for (const auto& a : arns) {
      if (a.as_string() == "arn:gone") failures.push_back(json::parse(R"({"arn":"arn:gone","reason":"MISSING"})"));
    }
    return FakeTransport::response(200, json::serialize(json::object{{"tasks", tasks}, {"failures", failures}}));
  });
  EcsClient ecs(t, kEcs);
  std::vector<std::string> arns;
  for (int i = 0; i < 230; ++i) arns.push_back("arn:t/" + std::to_string(i));
  arns.push_back("arn:gone");
  auto r = run_task(ecs.describe_tasks("prod", arns));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(t.calls().size(), 3u);  // 100 + 100 + 31
  EXPECT_EQ(body_of(t.calls()[0]).at("tasks").as_array().size(), 100u);
  EXPECT_EQ(body_of(t.calls()[2]).at("tasks").as_array().size(), 31u);
  EXPECT_EQ(body_of(t.calls()[0]).at("include").as_array().at(0).as_string(), "TAGS");
  ASSERT_EQ(r->tasks.size(), 230u);
  ASSERT_EQ(r->failures.size(), 1u);
  EXPECT_EQ(r->failures[0].reason, "MISSING");
  const EcsTask& task = r->tasks[0];
  EXPECT_EQ(task.task_arn, "arn:t/0");
  EXPECT_EQ(task.group, "service:web");
  EXPECT_EQ(task.availability_zone, "eu-west-1a");
  EXPECT_EQ(task.health_status, "HEALTHY");
  EXPECT_EQ(task.private_ipv4, std::vector<std::string>{"10.0.0.9"});
  EXPECT_EQ(task.tags.at("team"), "core");
  ASSERT_EQ(task.containers.size(), 1u);
  EXPECT_EQ(task.containers[0].runtime_id, "abc123");
  ASSERT_EQ(task.containers[0].network_bindings.size(), 1u);
  EXPECT_EQ(task.containers[0].network_bindings[0].host_port, 32768);
  EXPECT_EQ(task.containers[0].network_bindings[0].container_port, 80);
  EXPECT_EQ(task.containers[0].private_ipv4, std::vector<std::string>{"10.0.0.9"});
}

TEST(EcsClient, StopTaskAndErrors) {
  FakeTransport t([](const FakeTransport::Call& c) {
    auto body = json::parse(c.request.body).as_object();
    if (body.at("cluster").as_string() == "missing") {
      return FakeTransport::response(
          400, R"({"__type":"com.amazonaws.ecs#ClusterNotFoundException","message":"Cluster not found."})",
          {{"x-amzn-RequestId", "req-42"}});
    }
    if (body.at("cluster").as_string() == "busy") {
      return FakeTransport::response(400, R"({"__type":"ThrottlingException","message":"Rate exceeded"})");
    }
    return FakeTransport::response(200, R"({"task":{"taskArn":"arn:t/1","lastStatus":"RUNNING",
                                            "desiredStatus":"STOPPED","stoppedReason":"unhealthy"}})");
  });
  EcsClient ecs(t, kEcs);
  auto stopped = run_task(ecs.stop_task("prod", "arn:t/1", "ecssd: health check failed"));
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->desired_status, "STOPPED");
  EXPECT_EQ(header(t.calls()[0].request, "X-Amz-Target"), "AmazonEC2ContainerServiceV20141113.StopTask");
  EXPECT_EQ(body_of(t.calls()[0]).at("reason").as_string(), "ecssd: health check failed");

  auto missing = run_task(ecs.stop_task("missing", "arn:t/1", ""));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message,
            "ECS StopTask: HTTP 400 ClusterNotFoundException: Cluster not found. (request id req-42)");
  auto throttled = run_task(ecs.list_tasks("busy", {}));
  ASSERT_FALSE(throttled.ok());
  EXPECT_EQ(throttled.error().code, ErrorCode::kThrottled);
  EXPECT_TRUE(throttled.error().transient);
}

TEST(EcsClient, UnreadableAnswerIsProtocolError) {
  FakeTransport t([](const FakeTransport::Call&) { return FakeTransport::response(200, "<html>proxy</html>"); });
  EcsClient ecs(t, kEcs);
  auto r = run_task(ecs.list_clusters());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
}

constexpr const char* kEc2Page1 = R"(<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>r-1</requestId>
  <reservationSet>
    <item><reservationId>r-0a</reservationId><instancesSet>
      <item><instanceId>i-0aaa</instanceId><instanceType>t3.micro</instanceType>
        <instanceState><code>16</code><name>running</name></instanceState>
        <privateDnsName>ip-10-0-0-5.eu-west-1.compute.internal</privateDnsName>
        <privateIpAddress>10.0.0.5</privateIpAddress><ipAddress>54.1.2.3</ipAddress>
        <placement><availabilityZone>eu-west-1b</availabilityZone></placement>
        <vpcId>vpc-1</vpcId><subnetId>subnet-1</subnetId>
        <tagSet><item><key>Name</key><value>web-1</value></item><item><key>env</key><value>prod</value></item></tagSet>
      </item>
      <item><instanceId>i-0bbb</instanceId><instanceState><name>stopped</name></instanceState></item>
    </instancesSet></item>
  </reservationSet>
  <nextToken>tok2</nextToken>
</DescribeInstancesResponse>)";

constexpr const char* kEc2Page2 = R"(<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <reservationSet><item><instancesSet><item><instanceId>i-0ccc</instanceId>
    <instanceState><name>running</name></instanceState></item></instancesSet></item></reservationSet>
</DescribeInstancesResponse>)";

TEST(Ec2Client, DescribeInstancesQueryEncodingAndPagination) {
  FakeTransport t([](const FakeTransport::Call& c) {
    return FakeTransport::response(200, c.request.body.find("NextToken=tok2") != std::string::npos ? kEc2Page2
                                                                                                     : kEc2Page1);
  });
  Ec2Client ec2(t, kEc2);
  auto r = run_task(ec2.describe_instances({}, {{"instance-state-name", {"running", "stopped"}},
                                                {"tag:team name", {"a&b"}}}));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->size(), 3u);
  const Ec2Instance& i = (*r)[0];
  EXPECT_EQ(i.instance_id, "i-0aaa");
  EXPECT_EQ(i.state, "running");
  EXPECT_EQ(i.instance_type, "t3.micro");
  EXPECT_EQ(i.private_ip, "10.0.0.5");
  EXPECT_EQ(i.private_dns_name, "ip-10-0-0-5.eu-west-1.compute.internal");
  EXPECT_EQ(i.public_ip, "54.1.2.3");
  EXPECT_EQ(i.availability_zone, "eu-west-1b");
  EXPECT_EQ(i.tags.at("Name"), "web-1");
  EXPECT_EQ((*r)[1].state, "stopped");
  EXPECT_EQ((*r)[2].instance_id, "i-0ccc");
  ASSERT_EQ(t.calls().size(), 2u);
  EXPECT_EQ(t.calls()[0].request.body,
            "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=instance-state-name&Filter.1.Value.1=running&"
            "Filter.1.Value.2=stopped&Filter.2.Name=tag%3Ateam%20name&Filter.2.Value.1=a%26b&MaxResults=1000");
  EXPECT_EQ(header(t.calls()[0].request, "Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_NE(t.calls()[1].request.body.find("&NextToken=tok2"), std::string::npos);
}

TEST(Ec2Client, InstanceIdsWithoutMaxResultsAndErrors) {
  FakeTransport t([](const FakeTransport::Call&) {
    return FakeTransport::response(
        400, "<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance ID 'i-0zzz' does "
             "not exist</Message></Error></Errors><RequestID>e-1</RequestID></Response>");
  });
  Ec2Client ec2(t, kEc2);
  auto r = run_task(ec2.describe_instances({"i-0zzz"}, {}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("InvalidInstanceID.NotFound"), std::string::npos);
  EXPECT_NE(r.error().message.find("request id e-1"), std::string::npos);
  EXPECT_EQ(t.calls()[0].request.body, "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-0zzz");
}

TEST(Ec2Client, MalformedXmlIsProtocolError) {
  std::string next;
  EXPECT_EQ(parse_describe_instances("<DescribeInstancesResponse><reservationSet>", &next).error().code,
            ErrorCode::kProtocol);
  EXPECT_EQ(parse_describe_instances("<Other/>", &next).error().code, ErrorCode::kProtocol);
}

TEST(EventBridgeClient, BatchesOfTenAndFailedEntryCount) {
  FakeTransport t([](const FakeTransport::Call& c) {
    auto entries = json::parse(c.request.body).as_object().at("Entries").as_array();
    json::array out;
    int failed = 0;
    for (const auto& e : entries) {
      if (e.as_object().at("DetailType").as_string() == "bad") {
        out.push_back(json::parse(R"({"ErrorCode":"MalformedDetail","ErrorMessage":"Detail is malformed."})"));
        ++failed;
      } else {
        out.push_back(json::object{{"EventId", "id-" + std::to_string(out.size())}});
      }
    }
    return FakeTransport::response(200, json::serialize(json::object{{"FailedEntryCount", failed}, {"Entries", out}}));
  });
  EventBridgeClient events(t, kEvents);
  std::vector<EventEntry> entries;
  for (int i = 0; i < 23; ++i) {
    EventEntry e;
    e.source = "ecssd";
    e.detail_type = i == 12 ? "bad" : "Service Record Changed";
    e.detail = R"({"name":"web"})";
    e.event_bus_name = "ecssd-bus";
    e.resources = {"arn:aws:route53:::hostedzone/Z1"};
    e.time = common::SystemTime(std::chrono::seconds(1'700'000'000));
    entries.push_back(e);
  }
  auto r = run_task(events.put_events(entries));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->failed_entry_count, 1);
  ASSERT_EQ(r->entries.size(), 23u);
  EXPECT_EQ(r->entries[12].error_code, "MalformedDetail");
  EXPECT_FALSE(r->entries[13].event_id.empty());
  ASSERT_EQ(t.calls().size(), 3u);
  EXPECT_EQ(header(t.calls()[0].request, "X-Amz-Target"), "AWSEvents.PutEvents");
  EXPECT_EQ(t.calls()[0].endpoint.signing_name, "events");
  auto first = body_of(t.calls()[0]).at("Entries").as_array().at(0).as_object();
  EXPECT_EQ(first.at("Source").as_string(), "ecssd");
  EXPECT_EQ(first.at("Detail").as_string(), R"({"name":"web"})");
  EXPECT_EQ(first.at("EventBusName").as_string(), "ecssd-bus");
  EXPECT_EQ(first.at("Time").as_int64(), 1'700'000'000);
  EXPECT_EQ(body_of(t.calls()[2]).at("Entries").as_array().size(), 3u);
}

TEST(EventBridgeClient, EmptyListAndMismatchedAnswer) {
  FakeTransport t([](const FakeTransport::Call&) {
    return FakeTransport::response(200, R"({"FailedEntryCount":0,"Entries":[]})");
  });
  EventBridgeClient events(t, kEvents);
  EXPECT_EQ(run_task(events.put_events({})).error().code, ErrorCode::kInvalidArgument);
  EventEntry e;
  e.source = "s";
  e.detail_type = "d";
  e.detail = "{}";
  EXPECT_EQ(run_task(events.put_events({e})).error().code, ErrorCode::kProtocol);
}

TEST(Fakes, EcsFakeFiltersStopsAndReportsMissing) {
  testing::FakeEcsApi ecs;
  EcsTask web;
  web.task_arn = "arn:t/web";
  web.group = "service:web";
  web.task_definition_arn = "arn:aws:ecs:eu-west-1:1:task-definition/web:3";
  EcsTask batch;
  batch.task_arn = "arn:t/batch";
  batch.group = "family:batch";
  ecs.add_task("prod", web);
  ecs.add_task("prod", batch);
  EXPECT_EQ(run_task(ecs.list_tasks("prod", {.service_name = "web"}))->size(), 1u);
  EXPECT_EQ(run_task(ecs.list_tasks("prod", {.family = "web"}))->size(), 1u);
  EXPECT_EQ(run_task(ecs.list_tasks("prod", {}))->size(), 2u);
  EXPECT_TRUE(run_task(ecs.stop_task("prod", "arn:t/web", "why")).ok());
  EXPECT_EQ(run_task(ecs.list_tasks("prod", {}))->size(), 1u);
  EXPECT_EQ(run_task(ecs.list_tasks("prod", {.desired_status = "STOPPED"}))->size(), 1u);
  ASSERT_EQ(ecs.stops().size(), 1u);
  EXPECT_EQ(ecs.stops()[0].reason, "why");
  auto d = run_task(ecs.describe_tasks("prod", {"arn:t/batch", "arn:t/none"}));
  EXPECT_EQ(d->tasks.size(), 1u);
  EXPECT_EQ(d->failures.size(), 1u);
  EXPECT_EQ(run_task(ecs.list_tasks("nope", {})).error().code, ErrorCode::kNotFound);
}

TEST(Fakes, Ec2AndEventBridgeFakes) {
  testing::FakeEc2Api ec2;
  Ec2Instance a;
  a.instance_id = "i-1";
  a.state = "running";
  a.tags["role"] = "web";
  Ec2Instance b;
  b.instance_id = "i-2";
  b.state = "stopped";
  ec2.add(a);
  ec2.add(b);
  EXPECT_EQ(run_task(ec2.describe_instances({}, {{"instance-state-name", {"running"}}}))->size(), 1u);
  EXPECT_EQ(run_task(ec2.describe_instances({}, {{"tag:role", {"web"}}}))->at(0).instance_id, "i-1");
  EXPECT_EQ(run_task(ec2.describe_instances({"i-3"}, {})).error().code, ErrorCode::kNotFound);

  testing::FakeEventBridgeApi events;
  events.reject("bad");
  EventEntry ok;
  ok.detail_type = "good";
  EventEntry bad;
  bad.detail_type = "bad";
  auto r = run_task(events.put_events({ok, bad}));
  EXPECT_EQ(r->failed_entry_count, 1);
  EXPECT_EQ(events.accepted().size(), 1u);
}

}  // namespace
}  // namespace ecssd::aws
