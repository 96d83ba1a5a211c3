#pragma once
// Asks ECS and EC2 whether the task and the instance behind each record still
// exist, so a record whose task stopped (or whose instance stopped) is reaped
// even when something else now answers on its port. Every page of every list
// call is read (the API clients paginate) and every cluster asked for is read.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aws/ec2.h"
#include "aws/ecs.h"
#include "common/result.h"
#include "common/task.h"

namespace ecssd::reaper {

struct CloudOptions {
  // Cluster names or ARNs to read; "all" reads every cluster of the account
  // in the region (ListClusters). Empty: ECS is not asked.
  std::vector<std::string> clusters;
  // The region the clients talk to: a task ARN of another region is never
  // judged from this region's answers.
  std::string region;
};

// What a record's labels say about where it runs.
struct CloudTarget {
  std::string task_arn;  // label task-arn
  std::string cluster;   // label cluster (name or ARN), may be empty
  std::string instance;  // label instance (EC2 instance id), may be empty
};

enum class Verdict {
  kNotAsked,  // no such label, or that service is not configured
  kUnknown,   // asked, but the answer does not settle it (see detail)
  kAlive,
  kDead,
};
std::string_view to_string(Verdict v);

struct CloudVerdict {
  Verdict ecs = Verdict::kNotAsked;
  std::string ecs_detail;  // "RUNNING", "STOPPED (desired STOPPED)", why unknown
  std::string cluster;     // the cluster the task was found in (for StopTask)
  Verdict ec2 = Verdict::kNotAsked;
  std::string ec2_detail;  // the instance state, or why unknown
};

struct CloudReport {
  std::vector<CloudVerdict> verdicts;  // one per target, same order
  // Calls that failed (their targets are kUnknown); the pass reports them
  // and still acts on what it does know.
  std::vector<std::string> errors;
  size_t clusters_read = 0;
  size_t running_tasks = 0;
};

// Splits "arn:aws:ecs:<region>:<account>:task/<cluster>/<id>" (or the old
// "task/<id>"): region and cluster name (empty for the old format).
struct TaskArn {
  std::string region;
  std::string cluster;
};
std::optional<TaskArn> parse_task_arn(std::string_view arn);
// "prod" for "prod" or "arn:aws:ecs:us-east-1:123:cluster/prod".
std::string cluster_name(std::string_view name_or_arn);

class CloudChecker {
 public:
  // Either client may be null (that service is then not asked). Both must
  // outlive the checker.
  CloudChecker(aws::EcsApi* ecs, aws::Ec2Api* ec2, CloudOptions options);

  bool asks_ecs() const { return ecs_ && !options_.clusters.empty(); }
  bool asks_ec2() const { return ec2_ != nullptr; }

  // Verdicts for the targets. ECS: a task listed RUNNING (ListTasks with
  // desiredStatus RUNNING) is alive; one not listed is described and is dead
  // when ECS shows it stopped or, for a task of this region in a cluster that
  // was read, does not know it. EC2: stopping, stopped, shutting-down and
  // terminated instances are dead; pending and running alive; an instance EC2
  // does not know is unknown. Never fails: failed calls are in `errors`.
  common::Task<CloudReport> check(std::vector<CloudTarget> targets);

  // Stops the task. Errors: the ECS client's.
  common::Task<common::Status> stop_task(std::string cluster, std::string task_arn, std::string reason);

 private:
  common::Task<void> check_ecs(const std::vector<CloudTarget>* targets, CloudReport* report);
  common::Task<void> check_ec2(const std::vector<CloudTarget>* targets, CloudReport* report);

  aws::EcsApi* ecs_;
  aws::Ec2Api* ec2_;
  CloudOptions options_;
};

}  // namespace ecssd::reaper
