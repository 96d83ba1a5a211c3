#include "aws/ecs.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "aws/protocol.h"

namespace ecssd::aws {
namespace {

namespace json = boost::json;
constexpr std::string_view kTargetPrefix = "AmazonEC2ContainerServiceV20141113.";
constexpr int kMaxPages = 10'000;

std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<int64_t> integer(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  return std::nullopt;
}

const json::array* array(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_array() ? &v->as_array() : nullptr;
}

std::vector<std::string> strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* a = array(o, key)) {
    for (const auto& v : *a) {
      if (v.is_string()) out.emplace_back(v.as_string());
    }
  }
  return out;
}

EcsContainer parse_container(const json::object& o) {
  EcsContainer c;
  c.name = str(o, "name");
  c.container_arn = str(o, "containerArn");
  c.last_status = str(o, "lastStatus");
  c.health_status = str(o, "healthStatus");
  c.runtime_id = str(o, "runtimeId");
  if (auto e = integer(o, "exitCode")) c.exit_code = static_cast<int>(*e);
  if (const auto* bindings = array(o, "networkBindings")) {
    for (const auto& b : *bindings) {
      if (!b.is_object()) continue;
      const auto& bo = b.as_object();
      EcsNetworkBinding nb;
      nb.bind_ip = str(bo, "bindIP");
      nb.container_port = static_cast<int>(integer(bo, "containerPort").value_or(0));
      nb.host_port = static_cast<int>(integer(bo, "hostPort").value_or(0));
      nb.protocol = str(bo, "protocol");
      c.network_bindings.push_back(std::move(nb));
    }
  }
  if (const auto* nics = array(o, "networkInterfaces")) {
    for (const auto& n : *nics) {
      if (n.is_object()) {
        auto ip = str(n.as_object(), "privateIpv4Address");
        if (!ip.empty()) c.private_ipv4.push_back(std::move(ip));
      }
    }
  }
  return c;
}

EcsTask parse_task(const json::object& o) {
  EcsTask t;
  t.task_arn = str(o, "taskArn");
  t.cluster_arn = str(o, "clusterArn");
  t.task_definition_arn = str(o, "taskDefinitionArn");
  t.container_instance_arn = str(o, "containerInstanceArn");
  t.group = str(o, "group");
  t.last_status = str(o, "lastStatus");
  t.desired_status = str(o, "desiredStatus");
  t.launch_type = str(o, "launchType");
  t.availability_zone = str(o, "availabilityZone");
  t.started_by = str(o, "startedBy");
  t.health_status = str(o, "healthStatus");
  if (const auto* containers = array(o, "containers")) {
    for (const auto& c : *containers) {
      if (c.is_object()) t.containers.push_back(parse_container(c.as_object()));
    }
  }
  if (const auto* attachments = array(o, "attachments")) {
    for (const auto& a : *attachments) {
      if (!a.is_object()) continue;
      if (const auto* details = array(a.as_object(), "details")) {
        for (const auto& d : *details) {
          if (d.is_object() && str(d.as_object(), "name") == "privateIPv4Address") {
            auto ip = str(d.as_object(), "value");
            if (!ip.empty()) t.private_ipv4.push_back(std::move(ip));
          }
        }
      }
    }
  }
  if (const auto* tags = array(o, "tags")) {
    for (const auto& tag : *tags) {
      if (tag.is_object()) t.tags[str(tag.as_object(), "key")] = str(tag.as_object(), "value");
    }
  }
  return t;
}

}  // namespace

EcsClient::EcsClient(Transport& transport, ServiceEndpoint endpoint)
    : transport_(transport), endpoint_(std::move(endpoint)) {}

common::Task<common::Result<std::vector<std::string>>> EcsClient::list_clusters() {
  std::vector<std::string> out;
  std::string token, previous;
  for (int page = 1;; ++page) {
    json::object req{{"maxResults", 100}};
    if (!token.empty()) req["nextToken"] = token;
    auto r = co_await call_json(&transport_, endpoint_, std::string(kTargetPrefix) + "ListClusters", std::move(req),
                                "ECS ListClusters");
    if (!r) co_return r.error();
    for (auto& arn : strings(*r, "clusterArns")) out.push_back(std::move(arn));
    token = str(*r, "nextToken");
    auto done = pagination_done(token, previous, page, kMaxPages, "ECS ListClusters");
    if (!done) co_return done.error();
    if (*done) co_return out;
  }
}

common::Task<common::Result<std::vector<std::string>>> EcsClient::list_tasks(std::string cluster,
                                                                             EcsTaskFilter filter) {
  std::vector<std::string> out;
  std::string token, previous;
  for (int page = 1;; ++page) {
    json::object req{{"cluster", cluster}, {"maxResults", 100}};
    if (!filter.service_name.empty()) req["serviceName"] = filter.service_name;
    if (!filter.family.empty()) req["family"] = filter.family;
    if (!filter.container_instance.empty()) req["containerInstance"] = filter.container_instance;
    if (!filter.started_by.empty()) req["startedBy"] = filter.started_by;
    if (!filter.desired_status.empty()) req["desiredStatus"] = filter.desired_status;
    if (!token.empty()) req["nextToken"] = token;
    auto r = co_await call_json(&transport_, endpoint_, std::string(kTargetPrefix) + "ListTasks", std::move(req),
                                "ECS ListTasks");
    if (!r) co_return r.error();
    for (auto& arn : strings(*r, "taskArns")) out.push_back(std::move(arn));
    token = str(*r, "nextToken");
    auto done = pagination_done(token, previous, page, kMaxPages, "ECS ListTasks");
    if (!done) co_return done.error();
    if (*done) co_return out;
  }
}

common::Task<common::Result<EcsDescribeResult>> EcsClient::describe_tasks(std::string cluster,
                                                                          std::vector<std::string> task_arns) {
  EcsDescribeResult out;
  constexpr size_t kBatch = 100;  // the API's limit per call
  for (size_t start = 0; start < task_arns.size(); start += kBatch) {
    json::array tasks;
    for (size_t i = start; i < std::min(task_arns.size(), start + kBatch); ++i) tasks.emplace_back(task_arns[i]);
    json::object req{{"cluster", cluster}, {"tasks", std::move(tasks)}, {"include", json::array{"TAGS"}}};
    auto r = co_await call_json(&transport_, endpoint_, std::string(kTargetPrefix) + "DescribeTasks", std::move(req),
                                "ECS DescribeTasks");
    if (!r) co_return r.error();
    if (const auto* list = array(*r, "tasks")) {
      for (const auto& t : *list) {
        if (t.is_object()) out.tasks.push_back(parse_task(t.as_object()));
      }
    }
    if (const auto* failures = array(*r, "failures")) {
      for (const auto& f : *failures) {
        if (f.is_object()) out.failures.push_back({str(f.as_object(), "arn"), str(f.as_object(), "reason")});
      }
    }
  }
  co_return out;
}

common::Task<common::Result<EcsTask>> EcsClient::stop_task(std::string cluster, std::string task, std::string reason) {
  json::object req{{"cluster", cluster}, {"task", task}};
  if (!reason.empty()) req["reason"] = reason.substr(0, 255);  // the API's limit
  auto r = co_await call_json(&transport_, endpoint_, std::string(kTargetPrefix) + "StopTask", std::move(req),
                              "ECS StopTask");
  if (!r) co_return r.error();
  auto* t = r->if_contains("task");
  if (!t || !t->is_object()) {
    co_return common::make_error(common::ErrorCode::kProtocol, "ECS StopTask: the answer has no task");
  }
  co_return parse_task(t->as_object());
}

}  // namespace ecssd::aws
