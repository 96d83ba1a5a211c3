#pragma once
// Gives the heap the agent freed back to the system after a plan run that
// changed records. A run builds the desired records, the plan and the
// status page's view of every service, then frees them; glibc keeps those
// pages, so the agent's RSS stayed at its largest run's (1-2 MB with 500
// services) instead of what it holds.
#include "agent/agent.h"

namespace ecssd::cli {

// Add it as the agent's last observer: it trims once the others are done.
class HeapTrim final : public agent::ChangeObserver {
 public:
  void on_applied(const model::ChangeSet& applied, const std::vector<model::Record>&) override;
  void on_owned(const std::vector<model::Record>&) override;

 private:
  bool changed_ = false;  // a run changed records: trim after its observers
};

}  // namespace ecssd::cli
