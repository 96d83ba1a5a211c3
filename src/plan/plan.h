#pragma once
// The plan: a pure function from (current records, desired records, policy,
// owner) to the ChangeSet that makes current equal desired, touching only the
// records this owner owns (after external-dns plan/plan.go). No I/O.
#include <string>
#include <vector>

#include "model/record.h"

namespace ecssd::plan {

enum class Policy {
  kSync,        // create, update and delete
  kUpsertOnly,  // create and update, never delete
  kCreateOnly,  // only create what is missing
};

struct Input {
  // Every record the registry listed, owned or not. Records of other owners and
  // records with no owner are never changed; they are used to detect conflicts.
  std::vector<model::Record> current;
  // What this owner wants to exist. Each must carry labels with owner == owner.
  std::vector<model::Record> desired;
  std::string owner;
  Policy policy = Policy::kSync;
};

struct Conflict {
  model::Record desired;
  std::string reason;
};

struct Output {
  model::ChangeSet changes;
  // Desired records that cannot be published because a record ecssd does not
  // own (or another owner's) holds the same key.
  std::vector<Conflict> conflicts;
};

Output compute(const Input& input);

}  // namespace ecssd::plan
