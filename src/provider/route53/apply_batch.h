#pragma once
// Building an apply() batch: each change of a ChangeSet becomes its wire
// changes (an update is DELETE of the record set as stored + CREATE), changes
// that must not be sent are refused locally, and the rest are grouped into
// parts that travel whole and packed into as few ChangeResourceRecordSets
// requests as Route 53's limits allow (change_batch.h). Pure, no I/O.
//
// Grouping: changes with the same model::Record::group (the registry sets it
// on a record and its ownership companion: the owned record's name) form one
// part, in one request; a change without a group is grouped by its record's
// name. A part over the limits is split by set identifier (one container's
// record with its companion), and a set identifier still over the limits by
// change.
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/record.h"
#include "provider/provider.h"
#include "provider/route53/change_batch.h"
#include "provider/route53/route53_codec.h"
#include "provider/route53/route53_xml.h"

namespace ecssd::provider::route53 {

// Each record set as last listed or written, by key: DELETEs send exactly
// these strings (Route 53 wants the values as stored), and keys of record
// sets ecssd must not change are found here.
class KnownRecordSets {
 public:
  void replace(std::map<Key, RecordSet> listed) { sets_ = std::move(listed); }
  // The record set with this key, or null.
  const RecordSet* find(const Key& key) const;
  // The record set a DELETE of `r` must name: as listed or written, when `r`
  // still matches it; else built from `r`. Errors: to_record_set's.
  common::Result<RecordSet> existing(const model::Record& r) const;
  // Notes the changes of an accepted request.
  void remember(const std::vector<Change>& applied);

 private:
  std::map<Key, RecordSet> sets_;
};

// Indices of Batch::items that travel in one request.
using Part = std::vector<size_t>;

struct Batch {
  enum class State { kPending, kApplied, kFailed };
  struct Item {
    model::ChangeSet change;  // exactly one create, update or remove
    std::vector<Change> wire;
    std::string group;  // the record's group, or its name without one
    std::string unit;   // group and set identifier: what must stay together
    State state = State::kPending;
  };
  std::vector<Item> items;
  ApplyReport report;  // failed so far, and the requests sent
  bool unknown = false;  // a request's outcome is unknown: list again

  // Marks item i refused with `e` (reported in report.failed).
  void fail(size_t i, common::Error e);
};

// The batch for `changes`, items in the order remove, update, create.
// Refused at once (state kFailed): a change to a record set ecssd never
// changes (kPermissionDenied), a record outside `zone` or with malformed TXT
// data (kInvalidArgument), a change over the limits on its own (kTooLarge).
Batch make_batch(model::ChangeSet changes, const KnownRecordSets& known, const std::string& zone,
                 const BatchLimits& limits);

// The pending items as parts (see the file comment), in order of group.
std::vector<Part> parts_of(const Batch& batch, const BatchLimits& limits);

// The requests to send, in sending order, each a list of parts.
std::vector<std::vector<Part>> requests_of(const Batch& batch, const BatchLimits& limits);

// The wire changes of `parts` as one request sends them: deletions first
// (Route 53 checks a request's changes in order, and an update is a DELETE
// and a CREATE of the same record set), each in part order.
std::vector<Change> wire_of(const std::vector<Part>& parts, const Batch& batch);

}  // namespace ecssd::provider::route53
