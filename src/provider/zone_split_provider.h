#pragma once
// Several --zone served at once: one provider per zone (one Route 53 hosted
// zone, one RFC 2136 UPDATE stream, ...) behind the one Provider the registry
// and the agent plan against. Each record goes to the zone with the longest
// matching suffix of its name (model::zone_for), so a.b.example goes to
// b.example when both example and b.example are served.
#include <memory>
#include <optional>
#include <vector>

#include "provider/provider.h"

namespace ecssd::provider {

class ZoneSplitProvider final : public Provider {
 public:
  // `zones`: one provider per served zone, of one kind, the first being the
  // primary (its zone() is this provider's). Must not be empty.
  explicit ZoneSplitProvider(std::vector<std::unique_ptr<Provider>> zones);

  const std::string& zone() const override { return zones_.front()->zone(); }
  std::vector<std::string> zones() const override { return names_; }
  Capabilities capabilities() const override { return zones_.front()->capabilities(); }

  // Every zone's listing, concatenated. Errors: the first zone's error that
  // fails (never a partial listing).
  common::Task<common::Result<std::vector<model::Record>>> list() override;

  // Each change goes to its zone's provider, one apply() per zone with
  // changes. A change under no served zone is reported failed
  // (kInvalidArgument). A zone whose whole request fails reports its changes
  // failed with that error while the other zones' stand; only when every zone
  // asked failed is the result that error.
  common::Task<common::Result<ApplyReport>> apply(model::ChangeSet changes) override;

  // The latest of the zones' (a plan may change any of them).
  common::SteadyTime ready_at(common::SteadyTime now) const override;

  // As the provider of the record's zone would store it; unchanged outside.
  model::Record canonicalize(model::Record r) const override;

  // The provider of the zone holding `name`, or nullopt.
  std::optional<size_t> zone_of(std::string_view name) const;
  size_t size() const { return zones_.size(); }
  Provider& at(size_t i) { return *zones_.at(i); }

 private:
  std::vector<std::unique_ptr<Provider>> zones_;
  std::vector<std::string> names_;  // zones_[i]->zone()
};

}  // namespace ecssd::provider
