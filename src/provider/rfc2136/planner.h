#pragma once
// Turns raw changes into RFC 2136 UPDATE messages guarded by prerequisites,
// and tells afterwards from a fresh zone copy which changes took. Pure: no
// I/O, no logging (docs/RFC2136.md says which prerequisite guards what).
//
// A group is what the registry marked as belonging together (a record and
// its ownership companion share Record::group): it is planned, sent and
// judged as one, always inside one message, so a record never changes
// without its companion in the same transaction.
//
// Prerequisites (RFC 2136 section 2.4), each evaluated by the server before
// any update of the message, all or nothing:
//  - every RRset a message deletes from must still hold exactly the values
//    the copy shows (2.4.2, value-dependent): a value is deleted only while
//    the companion that marks it as ecssd's is there, unchanged, in the same
//    transaction; a change by anyone else since the copy was read fails
//    the message (NXRRSET) instead of being clobbered;
//  - a CNAME is added only where the name holds nothing (2.4.5, YXDOMAIN);
//  - any other record is added only where the name holds no CNAME (2.4.3,
//    YXRRSET), so an ownership companion can never land beside a CNAME.
// TTLs: an RRset has one (RFC 2181 section 5.2), and servers give the whole
// RRset the TTL of the value last added. A value joining an RRset that holds
// others takes that RRset's TTL, and a TTL change is made only where the
// batch rewrites every value of the RRset: a person's or another host's
// values keep their TTL.
#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "dns/update_message.h"
#include "dns/zone_copy.h"
#include "model/record.h"

namespace ecssd::provider::rfc2136 {

struct Group {
  model::ChangeSet changes;
};

// Groups raw changes by Record::group, in the order first seen; changes
// without a group are groups of their own.
std::vector<Group> group_changes(const model::ChangeSet& changes);

// The RR-level effect of a group once applied.
struct Effect {
  std::vector<dns::Rr> add;     // RRs the zone must hold (with their TTL)
  std::vector<dns::Rr> remove;  // RRs the zone must not hold (TTL ignored)
  bool ttl_matters = false;     // an update that changes only the TTL
};
Effect effect_of(const Group& group);

// True when `zone` holds the group's effect. A TTL change is not looked
// for in an RRset that holds values the group does not add or remove: the
// planner leaves such an RRset's TTL alone (RFC 2181 section 5.2, one TTL
// per RRset), so others' values are never rewritten.
bool visible(const dns::ZoneCopy& zone, Effect effect);

struct Message {
  dns::UpdateRequest request;
  std::vector<size_t> groups;  // indices into the groups planned
};

struct Plan {
  std::vector<Message> messages;
  // Groups whose effect the copy already shows: nothing to send.
  std::vector<size_t> done;
  // Groups that cannot be applied as the copy stands, with the reason:
  // kConflict for a second CNAME target at a name (the first stays), a
  // CNAME beside other data, data beside a CNAME, or values to delete that
  // are partly gone (someone changed them since they were listed); kTooLarge
  // for a group that does not fit in one message; kInvalidArgument for a
  // value that does not parse.
  std::vector<std::pair<size_t, common::Error>> refused;
};

// Plans `which` (indices into `groups`, in order) against `zone`. Each
// group's prerequisites are taken from the zone as it stands when its
// message starts (the copy, then the effects of the earlier messages); a
// message is cut where the next group would take it past `max_message`
// octets (counted with dns::wire_size's uncompressed bounds, so a message
// always fits), or where a group needs a name-level prerequisite on a name
// an earlier group of the message touched. Groups in `alone` get a
// message of their own (to find which group a server refuses).
Plan plan_updates(const dns::ZoneCopy& zone, const std::vector<Group>& groups, const std::vector<size_t>& which,
                  size_t max_message, const std::set<size_t>* alone = nullptr);

}  // namespace ecssd::provider::rfc2136
