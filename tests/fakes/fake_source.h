#pragma once
// A source whose snapshot the test sets by hand.
#include <functional>

#include "source/source.h"

namespace ecssd::testing {

class FakeSource : public source::Source {
 public:
  void start(std::function<void()> on_change) override {
    on_change_ = std::move(on_change);
    started_ = true;
    if (synced_ && on_change_) on_change_();
  }
  void stop() override { started_ = false; }
  std::vector<model::Service> services() const override { return services_; }
  bool synced() const override { return synced_; }
  void resync() override { ++resyncs_; }

  // Test controls.
  void set(std::vector<model::Service> s, bool synced = true) {
    services_ = std::move(s);
    synced_ = synced;
    if (on_change_ && started_) on_change_();
  }
  int resyncs() const { return resyncs_; }
  bool started() const { return started_; }

 private:
  std::function<void()> on_change_;
  std::vector<model::Service> services_;
  bool synced_ = false;
  bool started_ = false;
  int resyncs_ = 0;
};

}  // namespace ecssd::testing
