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

#include "common/task.h"
#include "provider/provider.h"

namespace ecssd::registry {

inline constexpr std::string_view kCompanionLabel = "_ecssd";
inline constexpr std::string_view kHeritage = "heritage=ecssd";
// A "key=value" longer than one character-string (255 octets: a long ECS
// cluster name, a task ARN, a value near 253 octets) goes on in the strings
// after it, each starting with this octet, which no key starts with.
inline constexpr char kContinued = '+';
// Labels starting with "x-" describe the registry's view and are never
// written to DNS (registry.cc keeps the orphan mark in one).

// A listed owned record whose two halves are not both in DNS (a change that
// was only partly applied); the next plan repairs it. records() and join()
// mark such records; orphan_of() reads the mark.
enum class Orphan {
  kNone,
  kNoCompanion,  // the record is there, its ownership companion is not (owned by its set identifier)
  kNoRecord,     // the companion is there, the record it describes is not
};
Orphan orphan_of(const model::Record& r);

// "cname._ecssd.web.zone" for a CNAME at "web.zone".
std::string companion_name(const model::Record& r);
// The base record name and type a companion name stands for, if it is one.
std::optional<std::pair<std::string, model::RecordType>> parse_companion_name(std::string_view name);

// The companion TXT record of an owned record (labels must be non-empty).
model::Record companion_of(const model::Record& r);

// Splits a raw listing into owned records (labels filled in from companions,
// companions themselves folded away) and foreign records (no labels).
// native_set_ids: the provider stores set identifiers (see Capabilities).
// The records returned have no Record::group (it is not stored).
std::vector<model::Record> join(const std::vector<model::Record>& raw, bool native_set_ids);

// The raw changes that write `changes` (labeled records) with their
// companions, labels stripped. Every raw record and its companion get
// Record::group = the owned record's name (an update: the new record's), so a
// provider keeps a record with its companion, and all the records of one name,
// in one transaction where it can, and never has to parse companion names.
model::ChangeSet expand(const model::ChangeSet& changes);

class Registry {
 public:
  // owner: this agent's owner id; empty means "any ecssd owner" (the reaper).
  Registry(provider::Provider& provider, std::string owner);

  // The zone as records: owned ones carry labels. Errors: the provider's.
  common::Task<common::Result<std::vector<model::Record>>> records();

  // Applies labeled changes with their companions. Updates and deletions of a
  // record not shown as owned by the last records() call are refused (reported
  // as failed with kPermissionDenied) and nothing is sent for them. A change is
  // applied only when all its raw parts were; a partly applied change shows up
  // as an orphan in the next listing and is repaired by the next plan.
  common::Task<common::Result<provider::ApplyReport>> apply(model::ChangeSet changes);

  // Desired records as the provider will store and list them (its
  // canonical form), labels kept, so that the plan compares like with like.
  std::vector<model::Record> canonicalize(std::vector<model::Record> desired) const;

  const std::string& owner() const { return owner_; }
  provider::Provider& provider() { return provider_; }

 private:
  bool may_modify(const model::Record& r) const;

  provider::Provider& provider_;
  std::string owner_;
  // Keys of the records the last listing showed as owned (by owner_ or any).
  std::set<model::RecordKey> owned_;
  // Companion TXT records as listed, by their key (companion name, TXT, the
  // set identifier they name), when they differ from what companion_of()
  // rebuilds from their labels (another ecssd version, another label order):
  // deleting or replacing such a companion names exactly the value stored.
  // Usually empty.
  std::map<model::RecordKey, model::Record> listed_companions_;
  void use_listed_companions(model::ChangeSet& raw) const;
  // Without native set identifiers one RRset holds the values of several
  // owned records (two containers of one service on one host share the CNAME
  // target or the host's address). How many listed owned records claim each
  // value of each (name, type), so that withdrawing one record never deletes
  // a value another still claims.
  std::map<std::pair<std::string, model::RecordType>, std::map<std::string, int>> claims_;
  void keep_shared_values(const model::ChangeSet& changes, model::ChangeSet& raw) const;
  void remember_companions(const model::ChangeSet& raw_applied);
};

}  // namespace ecssd::registry
