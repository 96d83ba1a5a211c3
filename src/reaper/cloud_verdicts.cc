#include "reaper/cloud_verdicts.h"

#include "common/log.h"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // g++ 12 false positive (GCC bug 109224)

namespace ecssd::reaper {

std::vector<CloudTarget> cloud_targets(const Entries& entries) {
  std::vector<CloudTarget> targets;
  targets.reserve(entries.size());
  for (const auto& e : entries) {
    targets.push_back({e->record.label_or(model::label::kTaskArn), e->record.label_or(model::label::kCluster),
                       e->record.label_or(model::label::kInstance)});
  }
  return targets;
}

void take_verdicts(Entries& entries, CloudReport cloud, Report& report) {
  for (size_t i = 0; i < entries.size() && i < cloud.verdicts.size(); ++i) {
    entries[i]->cloud = std::move(cloud.verdicts[i]);
  }
  for (auto& err : cloud.errors) {
    log::error("AWS cross-check failed; affected records are judged by health checks only", {{"error", err}});
    report.errors.push_back(std::move(err));
    report.ok = false;
  }
}

common::Task<void> ask_cloud(CloudChecker& cloud, Entries* entries, Report* report) {
  if (!cloud.asks_ecs() && !cloud.asks_ec2()) co_return;
  CloudReport answers = co_await cloud.check(cloud_targets(*entries));
  take_verdicts(*entries, std::move(answers), *report);
}

}  // namespace ecssd::reaper
