#pragma once
// A provider that keeps the zone in memory: the fake for unit tests of the
// registry, the plan loop and the reaper, and the store the embedded provider
// builds on. Can be told to fail, to count calls, and to refuse given names.
#include <functional>
#include <map>
#include <set>

#include "provider/provider.h"

namespace ecssd::provider {

class InMemoryProvider : public Provider {
 public:
  explicit InMemoryProvider(std::string zone, Capabilities caps = {.set_identifiers = true, .writable = true});

  const std::string& zone() const override { return zone_; }
  Capabilities capabilities() const override { return caps_; }
  common::Task<common::Result<std::vector<model::Record>>> list() override;
  common::Task<common::Result<ApplyReport>> apply(model::ChangeSet changes) override;

  // Synchronous helpers for tests and for the embedded provider.
  std::vector<model::Record> records() const;
  // Applies changes, returning the report; used by list()/apply() and by tests.
  ApplyReport apply_now(const model::ChangeSet& changes);
  void seed(std::vector<model::Record> records);

  // Fault injection for tests.
  void fail_next(common::Error error, int times = 1);
  void refuse_name(std::string name) { refused_.insert(std::move(name)); }
  size_t list_calls() const { return list_calls_; }
  size_t apply_calls() const { return apply_calls_; }

  // Called after every successful change (the embedded provider republishes).
  void on_changed(std::function<void()> f) { on_changed_ = std::move(f); }

 private:
  using Key = model::RecordKey;
  std::optional<common::Error> check(const model::ChangeSet& one) const;

  std::string zone_;
  Capabilities caps_;
  std::map<Key, model::Record> records_;
  std::set<std::string> refused_;
  std::optional<common::Error> fail_;
  int fail_times_ = 0;
  size_t list_calls_ = 0;
  size_t apply_calls_ = 0;
  std::function<void()> on_changed_;
};

}  // namespace ecssd::provider
