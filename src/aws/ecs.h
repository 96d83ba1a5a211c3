#pragma once
// A minimal Amazon ECS client (JSON 1.1, AmazonEC2ContainerServiceV20141113.*):
// what the reaper and an ECS-aware agent need. Every list is paginated fully.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aws/transport.h"
#include "common/result.h"

namespace ecssd::aws {

struct EcsNetworkBinding {
  std::string bind_ip;
  int container_port = 0;
  int host_port = 0;
  std::string protocol;  // "tcp" or "udp"
};

struct EcsContainer {
  std::string name;
  std::string container_arn;
  std::string last_status;
  std::string health_status;  // "HEALTHY", "UNHEALTHY", "UNKNOWN" or empty
  std::string runtime_id;     // the Docker container id
  std::optional<int> exit_code;
  std::vector<EcsNetworkBinding> network_bindings;  // bridge/host mode
  std::vector<std::string> private_ipv4;            // awsvpc mode
};

struct EcsTask {
  std::string task_arn;
  std::string cluster_arn;
  std::string task_definition_arn;
  std::string container_instance_arn;
  std::string group;  // "service:name" or "family:name"
  std::string last_status;
  std::string desired_status;
  std::string launch_type;
  std::string availability_zone;
  std::string started_by;
  std::string health_status;
  std::vector<std::string> private_ipv4;  // from the task's ENI attachment (awsvpc)
  std::vector<EcsContainer> containers;
  std::map<std::string, std::string> tags;
};

struct EcsTaskFilter {
  std::string service_name;
  std::string family;
  std::string container_instance;
  std::string started_by;
  std::string desired_status;  // "RUNNING" (the API's default), "PENDING" or "STOPPED"
};

struct EcsFailure {
  std::string arn;
  std::string reason;  // "MISSING"...
};

struct EcsDescribeResult {
  std::vector<EcsTask> tasks;
  std::vector<EcsFailure> failures;
};

class EcsApi {
 public:
  virtual ~EcsApi() = default;
  // All cluster ARNs of the account in this region.
  virtual common::Task<common::Result<std::vector<std::string>>> list_clusters() = 0;
  // All task ARNs of `cluster` (name or ARN) matching `filter`.
  virtual common::Task<common::Result<std::vector<std::string>>> list_tasks(std::string cluster,
                                                                            EcsTaskFilter filter) = 0;
  // The tasks, with tags; any number of ARNs (asked 100 at a time). Tasks
  // ECS does not know are listed in failures, not errors.
  virtual common::Task<common::Result<EcsDescribeResult>> describe_tasks(std::string cluster,
                                                                         std::vector<std::string> task_arns) = 0;
  // Stops a task; returns it as ECS describes it after the call.
  virtual common::Task<common::Result<EcsTask>> stop_task(std::string cluster, std::string task,
                                                          std::string reason) = 0;
  // Errors of every method: aws_error() mapping (kNotFound for an unknown
  // cluster, kThrottled, kPermissionDenied...), the transport's errors, and
  // kProtocol for an answer that cannot be read.
};

class EcsClient final : public EcsApi {
 public:
  // `transport` must outlive the client.
  EcsClient(Transport& transport, ServiceEndpoint endpoint);

  common::Task<common::Result<std::vector<std::string>>> list_clusters() override;
  common::Task<common::Result<std::vector<std::string>>> list_tasks(std::string cluster, EcsTaskFilter filter) override;
  common::Task<common::Result<EcsDescribeResult>> describe_tasks(std::string cluster,
                                                                 std::vector<std::string> task_arns) override;
  common::Task<common::Result<EcsTask>> stop_task(std::string cluster, std::string task, std::string reason) override;

 private:
  Transport& transport_;
  ServiceEndpoint endpoint_;
};

}  // namespace ecssd::aws
