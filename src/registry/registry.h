#pragma once
// Ownership marks, stored in DNS (after external-dns registry/txt.go): every
// record ecssd publishes has a companion TXT record at
// "<type>._ecssd.<name>" (same set identifier) whose character-strings are
//   "heritage=ecssd" "set=<set identifier>" "value=<rdata>" "<label>=<value>"...
// so any agent or reaper can tell whose record is whose without local state.
// On Route 53 the set identifier ("ecssd:<owner>:...") is a second mark.
//
// The registry wraps a provider and is the only component allowed to delete:
// it refuses to update or delete a record that its last listing did not show as
// owned (by this owner; by any ecssd owner for the reaper).
#include <map>
#include <set>
#include <string>
#include <vector>

#include "provider/provider.h"

namespace ecssd::registry {

using provider::Task;

inline constexpr std::string_view kCompanionLabel = "_ecssd";
inline constexpr std::string_view kHeritage = "heritage=ecssd";
// Labels starting with this prefix describe the registry's view and are never
// written to DNS: "x-orphan" = "record" (companion missing) or "companion"
// (record missing).
inline constexpr std::string_view kOrphanLabel = "x-orphan";

// "cname._ecssd.web.zone" for a CNAME at "web.zone".
std::string companion_name(const model::Record& r);
// The base record name and type a companion name stands for, if it is one.
std::optional<std::pair<std::string, model::RecordType>> parse_companion_name(std::string_view name);

// The companion TXT record of an owned record (labels must be non-empty).
model::Record companion_of(const model::Record& r);

// Splits a raw listing into owned records (labels filled in from companions,
// companions themselves folded away) and foreign records (no labels).
// native_set_ids: the provider stores set identifiers (see Capabilities).
std::vector<model::Record> join(const std::vector<model::Record>& raw, bool native_set_ids);

// The raw changes that write `changes` (labeled records) with their companions.
model::ChangeSet expand(const model::ChangeSet& changes);

class Registry {
 public:
  // owner: this agent's owner id; empty means "any ecssd owner" (the reaper).
  Registry(provider::Provider& provider, std::string owner);

  // The zone as records: owned ones carry labels. Errors: the provider's.
  Task<common::Result<std::vector<model::Record>>> records();

  // Applies labeled changes with their companions. Updates and deletions of a
  // record not shown as owned by the last records() call are refused (reported
  // as failed with kPermissionDenied) and nothing is sent for them. A change is
  // applied only when all its raw parts were; a partly applied change shows up
  // as an orphan in the next listing and is repaired by the next plan.
  Task<common::Result<provider::ApplyReport>> apply(model::ChangeSet changes);

  const std::string& owner() const { return owner_; }
  provider::Provider& provider() { return provider_; }

 private:
  bool may_modify(const model::Record& r) const;

  provider::Provider& provider_;
  std::string owner_;
  // Keys of the records the last listing showed as owned (by owner_ or any).
  std::set<std::tuple<std::string, model::RecordType, std::string>> owned_;
  // Companion TXT records as listed, by (companion name, set identifier),
  // when they differ from what companion_of() rebuilds from their labels
  // (another ecssd version, another label order): deleting or replacing such a
  // companion names exactly the value stored. Usually empty.
  std::map<std::pair<std::string, std::string>, model::Record> listed_companions_;
  void use_listed_companions(model::ChangeSet& raw) const;
  void remember_companions(const model::ChangeSet& raw_applied);
};

}  // namespace ecssd::registry
