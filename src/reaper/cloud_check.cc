#include "reaper/cloud_check.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "common/log.h"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // g++ 12 false positive (GCC bug 109224)

namespace ecssd::reaper {
namespace {

constexpr size_t kInstancesPerCall = 100;

bool instance_dead(std::string_view state) {
  return state == "stopping" || state == "stopped" || state == "shutting-down" || state == "terminated";
}
bool instance_alive(std::string_view state) { return state == "pending" || state == "running"; }

}  // namespace

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::kNotAsked: return "not-asked";
    case Verdict::kUnknown: return "unknown";
    case Verdict::kAlive: return "alive";
    case Verdict::kDead: return "dead";
  }
  return "?";
}

std::optional<TaskArn> parse_task_arn(std::string_view arn) {
  // arn:<partition>:ecs:<region>:<account>:task/...
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) return std::nullopt;
    parts.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  std::string_view resource = arn.substr(start);
  if (parts[0] != "arn" || parts[2] != "ecs" || parts[3].empty() || !resource.starts_with("task/")) {
    return std::nullopt;
  }
  resource.remove_prefix(5);
  if (resource.empty()) return std::nullopt;
  TaskArn out;
  out.region = std::string(parts[3]);
  if (auto slash = resource.find('/'); slash != std::string_view::npos) {
    out.cluster = std::string(resource.substr(0, slash));
  }
  return out;
}

std::string cluster_name(std::string_view name_or_arn) {
  if (name_or_arn.starts_with("arn:")) {
    auto pos = name_or_arn.find(":cluster/");
    if (pos != std::string_view::npos) return std::string(name_or_arn.substr(pos + 9));
  }
  return std::string(name_or_arn);
}

CloudChecker::CloudChecker(aws::EcsApi* ecs, aws::Ec2Api* ec2, CloudOptions options)
    : ecs_(ecs), ec2_(ec2), options_(std::move(options)) {}

common::Task<CloudReport> CloudChecker::check(std::vector<CloudTarget> targets) {
  CloudReport report;
  report.verdicts.resize(targets.size());
  if (asks_ecs()) co_await check_ecs(&targets, &report);
  if (asks_ec2()) co_await check_ec2(&targets, &report);
  co_return report;
}

namespace {

// What ECS listed: the clusters read and the tasks running in them.
struct EcsListing {
  struct Cluster {
    std::string api_name;  // what the API is given: the name or ARN as configured
    bool read = false;
    std::set<std::string> running;
  };
  std::map<std::string, Cluster> clusters;              // by name
  std::map<std::string, std::string> running_anywhere;  // task ARN -> cluster name
  std::string list_error;                               // ListClusters failed ("all")
};

// The clusters to read (by name; "all": ListClusters) and their running tasks.
common::Task<void> list_running(aws::EcsApi* ecs, const std::vector<std::string>* configured, EcsListing* listing,
                                CloudReport* report) {
  auto& clusters = listing->clusters;
  bool all = std::find(configured->begin(), configured->end(), "all") != configured->end();
  if (all) {
    auto arns = co_await ecs->list_clusters();
    if (!arns.ok()) {
      listing->list_error = "ECS ListClusters failed: " + arns.error().describe();
      report->errors.push_back(listing->list_error);
    } else {
      for (const auto& arn : *arns) clusters[cluster_name(arn)].api_name = arn;
    }
  }
  for (const auto& c : *configured) {
    if (c != "all" && !clusters.contains(cluster_name(c))) clusters[cluster_name(c)].api_name = c;
  }
  for (auto& [name, cluster] : clusters) {
    aws::EcsTaskFilter filter;
    filter.desired_status = "RUNNING";
    auto tasks = co_await ecs->list_tasks(cluster.api_name, filter);
    if (!tasks.ok()) {
      report->errors.push_back(fmt::format("ECS ListTasks of cluster {} failed: {}", name, tasks.error().describe()));
      continue;
    }
    cluster.read = true;
    ++report->clusters_read;
    report->running_tasks += tasks->size();
    for (auto& arn : *tasks) {
      listing->running_anywhere.emplace(arn, name);
      cluster.running.insert(std::move(arn));
    }
  }
}

// The verdict of a task from the listing alone. Returns false when the task
// must be described: its cluster (`*name_out`) was read and does not list it
// as running.
bool verdict_from_listing(const CloudTarget& t, const EcsListing& listing, CloudVerdict& v, std::string* name_out) {
  v.ecs = Verdict::kUnknown;
  auto arn = parse_task_arn(t.task_arn);
  if (!arn) {
    v.ecs_detail = "the task-arn label is not an ECS task ARN";
    return true;
  }
  std::string name = !t.cluster.empty() ? cluster_name(t.cluster) : arn->cluster;
  if (name.empty()) {
    auto it = listing.running_anywhere.find(t.task_arn);
    if (it != listing.running_anywhere.end()) {
      v.ecs = Verdict::kAlive;
      v.ecs_detail = "RUNNING";
      v.cluster = it->second;
    } else {
      v.ecs_detail = "the task's cluster is unknown (no cluster label, old-format ARN)";
    }
    return true;
  }
  auto c = listing.clusters.find(name);
  if (c == listing.clusters.end()) {
    v.ecs_detail = !listing.list_error.empty() ? listing.list_error
                                               : fmt::format("cluster {} is not read (see --ecs-cluster)", name);
    return true;
  }
  if (!c->second.read) {
    v.ecs_detail = fmt::format("ECS ListTasks of cluster {} failed", name);
    return true;
  }
  v.cluster = c->second.api_name;
  if (c->second.running.contains(t.task_arn)) {
    v.ecs = Verdict::kAlive;
    v.ecs_detail = "RUNNING";
    return true;
  }
  *name_out = std::move(name);
  return false;
}

// The verdict of a task ECS did not list as running, from DescribeTasks
// (`task` null: ECS does not know it).
void verdict_from_description(const CloudTarget& t, const aws::EcsTask* task, const std::string& region,
                              CloudVerdict& v) {
  if (task) {
    if (task->desired_status == "RUNNING" && task->last_status != "STOPPED") {
      // Started after the listing, or a listing race: alive.
      v.ecs = Verdict::kAlive;
      v.ecs_detail = task->last_status;
    } else {
      v.ecs = Verdict::kDead;
      v.ecs_detail = fmt::format("{} (desired {})", task->last_status, task->desired_status);
    }
    return;
  }
  auto arn = parse_task_arn(t.task_arn);
  if (arn && !region.empty() && arn->region == region) {
    // The cluster was read and ECS has no such task: it stopped long ago.
    v.ecs = Verdict::kDead;
    v.ecs_detail = "unknown to ECS (stopped and forgotten)";
  } else {
    v.ecs_detail = fmt::format("unknown to ECS in region {}", region.empty() ? "?" : region);
  }
}

// DescribeTasks for the targets (`indexes`) of one cluster that it did not
// list as running.
common::Task<void> describe(aws::EcsApi* ecs, const std::string* region, const std::vector<CloudTarget>* targets,
                            std::string api_name, std::string name, const std::vector<size_t>* indexes,
                            CloudReport* report) {
  std::vector<std::string> arns;
  std::set<std::string> seen;
  for (size_t i : *indexes) {
    if (seen.insert((*targets)[i].task_arn).second) arns.push_back((*targets)[i].task_arn);
  }
  auto described = co_await ecs->describe_tasks(api_name, arns);
  if (!described.ok()) {
    report->errors.push_back(
        fmt::format("ECS DescribeTasks in cluster {} failed: {}", name, described.error().describe()));
    for (size_t i : *indexes) report->verdicts[i].ecs_detail = "ECS DescribeTasks failed";
    co_return;
  }
  std::map<std::string, const aws::EcsTask*> by_arn;
  for (const auto& task : described->tasks) by_arn.emplace(task.task_arn, &task);
  for (size_t i : *indexes) {
    const CloudTarget& t = (*targets)[i];
    auto it = by_arn.find(t.task_arn);
    verdict_from_description(t, it != by_arn.end() ? it->second : nullptr, *region, report->verdicts[i]);
  }
}

}  // namespace

common::Task<void> CloudChecker::check_ecs(const std::vector<CloudTarget>* targets, CloudReport* report) {
  bool any_task = false;
  for (const auto& t : *targets) any_task = any_task || !t.task_arn.empty();
  if (!any_task) co_return;

  EcsListing listing;
  co_await list_running(ecs_, &options_.clusters, &listing, report);
  std::map<std::string, std::vector<size_t>> to_describe;  // cluster name -> target indexes
  for (size_t i = 0; i < targets->size(); ++i) {
    const CloudTarget& t = (*targets)[i];
    std::string name;
    if (!t.task_arn.empty() && !verdict_from_listing(t, listing, report->verdicts[i], &name)) {
      to_describe[name].push_back(i);
    }
  }
  for (auto& [name, indexes] : to_describe) {
    co_await describe(ecs_, &options_.region, targets, listing.clusters[name].api_name, name, &indexes, report);
  }
}

common::Task<void> CloudChecker::check_ec2(const std::vector<CloudTarget>* targets, CloudReport* report) {
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (const auto& t : *targets) {
    if (!t.instance.empty() && seen.insert(t.instance).second) ids.push_back(t.instance);
  }
  if (ids.empty()) co_return;

  std::map<std::string, std::string> state;  // id -> state
  std::set<std::string> missing, failed;
  for (size_t start = 0; start < ids.size(); start += kInstancesPerCall) {
    std::vector<std::string> batch(ids.begin() + static_cast<std::ptrdiff_t>(start),
                                   ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), start + kInstancesPerCall)));
    std::vector<aws::Ec2Filter> no_filters;  // named: g++ 12 rejects braced temporaries in co_await
    auto r = co_await ec2_->describe_instances(batch, no_filters);
    if (r.ok()) {
      for (const auto& i : *r) state[i.instance_id] = i.state;
      for (const auto& id : batch) {
        if (!state.contains(id)) missing.insert(id);
      }
      continue;
    }
    if (r.error().code != common::ErrorCode::kNotFound) {
      report->errors.push_back("EC2 DescribeInstances failed: " + r.error().describe());
      failed.insert(batch.begin(), batch.end());
      continue;
    }
    // One unknown id fails the whole call: ask for each on its own.
    for (const auto& id : batch) {
      std::vector<std::string> one_id{id};
      auto one = co_await ec2_->describe_instances(one_id, no_filters);
      if (one.ok()) {
        for (const auto& i : *one) state[i.instance_id] = i.state;
        if (!state.contains(id)) missing.insert(id);
      } else if (one.error().code == common::ErrorCode::kNotFound) {
        missing.insert(id);
      } else {
        report->errors.push_back("EC2 DescribeInstances failed: " + one.error().describe());
        failed.insert(id);
      }
    }
  }

  for (size_t i = 0; i < targets->size(); ++i) {
    const std::string& id = (*targets)[i].instance;
    if (id.empty()) continue;
    CloudVerdict& v = report->verdicts[i];
    v.ec2 = Verdict::kUnknown;
    if (auto it = state.find(id); it != state.end()) {
      v.ec2_detail = it->second;
      if (instance_dead(it->second)) v.ec2 = Verdict::kDead;
      else if (instance_alive(it->second)) v.ec2 = Verdict::kAlive;
    } else if (missing.contains(id)) {
      v.ec2_detail = "unknown to EC2";
    } else {
      v.ec2_detail = "EC2 DescribeInstances failed";
    }
  }
}

common::Task<common::Status> CloudChecker::stop_task(std::string cluster, std::string task_arn, std::string reason) {
  if (!ecs_) co_return common::make_error(common::ErrorCode::kInternal, "ECS is not configured");
  auto r = co_await ecs_->stop_task(std::move(cluster), std::move(task_arn), std::move(reason));
  if (!r.ok()) co_return r.error();
  co_return common::Status{};
}

}  // namespace ecssd::reaper
