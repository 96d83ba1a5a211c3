#pragma once
// An in-memory EcsApi for unit tests of code that uses ECS (the reaper, an
// ECS-aware agent): clusters hold tasks; list_tasks filters like ECS does
// (desired status RUNNING by default, service via the task group, family via
// the task definition); stop_task marks the task STOPPED and records it.
#include <map>
#include <string>
#include <vector>

#include "aws/ecs.h"

namespace ecssd::aws::testing {

class FakeEcsApi final : public EcsApi {
 public:
  struct Stop {
    std::string cluster, task, reason;
  };

  void add_task(std::string cluster, EcsTask task) {
    if (task.desired_status.empty()) task.desired_status = "RUNNING";
    if (task.last_status.empty()) task.last_status = "RUNNING";
    clusters_[std::move(cluster)].push_back(std::move(task));
  }
  void add_cluster(std::string cluster) { clusters_[std::move(cluster)]; }
  // Every call fails with `error` until cleared (nullopt).
  void fail_with(std::optional<common::Error> error) { error_ = std::move(error); }

  common::Task<common::Result<std::vector<std::string>>> list_clusters() override {
    if (error_) co_return *error_;
    std::vector<std::string> out;
    for (const auto& [name, tasks] : clusters_) out.push_back(name);
    co_return out;
  }

  common::Task<common::Result<std::vector<std::string>>> list_tasks(std::string cluster,
                                                                    EcsTaskFilter filter) override {
    if (error_) co_return *error_;
    auto it = clusters_.find(cluster);
    if (it == clusters_.end()) co_return not_found(cluster);
    std::string desired = filter.desired_status.empty() ? "RUNNING" : filter.desired_status;
    std::vector<std::string> out;
    for (const auto& t : it->second) {
      if (t.desired_status != desired) continue;
      if (!filter.service_name.empty() && t.group != "service:" + filter.service_name) continue;
      if (!filter.family.empty() && t.task_definition_arn.find("/" + filter.family + ":") == std::string::npos) {
        continue;
      }
      if (!filter.container_instance.empty() && t.container_instance_arn != filter.container_instance) continue;
      if (!filter.started_by.empty() && t.started_by != filter.started_by) continue;
      out.push_back(t.task_arn);
    }
    co_return out;
  }

  common::Task<common::Result<EcsDescribeResult>> describe_tasks(std::string cluster,
                                                                 std::vector<std::string> task_arns) override {
    if (error_) co_return *error_;
    auto it = clusters_.find(cluster);
    if (it == clusters_.end()) co_return not_found(cluster);
    EcsDescribeResult out;
    for (const auto& arn : task_arns) {
      const EcsTask* found = find(it->second, arn);
      if (found) {
        out.tasks.push_back(*found);
      } else {
        out.failures.push_back({arn, "MISSING"});
      }
    }
    co_return out;
  }

  common::Task<common::Result<EcsTask>> stop_task(std::string cluster, std::string task, std::string reason) override {
    if (error_) co_return *error_;
    auto it = clusters_.find(cluster);
    if (it == clusters_.end()) co_return not_found(cluster);
    for (auto& t : it->second) {
      if (t.task_arn == task) {
        t.desired_status = "STOPPED";
        t.last_status = "STOPPED";
        stops_.push_back({cluster, task, reason});
        co_return t;
      }
    }
    co_return common::make_error(common::ErrorCode::kInvalidArgument, "ECS StopTask: HTTP 400 InvalidParameterException: "
                                                                      "The referenced task was not found.");
  }

  const std::vector<Stop>& stops() const { return stops_; }

 private:
  static common::Error not_found(const std::string& cluster) {
    return common::make_error(common::ErrorCode::kNotFound,
                              "ECS: HTTP 400 ClusterNotFoundException: cluster " + cluster + " not found");
  }
  static const EcsTask* find(const std::vector<EcsTask>& tasks, const std::string& arn) {
    for (const auto& t : tasks) {
      if (t.task_arn == arn) return &t;
    }
    return nullptr;
  }

  std::map<std::string, std::vector<EcsTask>> clusters_;
  std::vector<Stop> stops_;
  std::optional<common::Error> error_;
};

}  // namespace ecssd::aws::testing
