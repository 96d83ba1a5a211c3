#pragma once
// Isolating the changes Route 53 refused (InvalidChangeBatch, InvalidInput):
// a refused request is applied as nothing, so the changes it names, or
// failing that halves of the request, are retried apart until each refused
// change stands alone; the others are applied. A request of one group refused
// as a whole is split by unit (set identifier: a record always with its
// companion); a request of one unit is refused as a whole, each change with
// the messages that name it. Pure, no I/O.
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "provider/route53/apply_batch.h"
#include "provider/route53/route53_xml.h"

namespace ecssd::provider::route53 {

// A record or record set named in a Route 53 error message, e.g.
// "Tried to create resource record set [name='web.example.com.', type='CNAME',
// set-identifier='x'] but it already exists" or "RRSet with DNS name x. is not
// permitted in zone y.".
struct Ref {
  std::string name;            // decoded, as decode_name() writes it
  std::string set_identifier;  // empty: any
  bool operator==(const Ref&) const = default;
};
std::vector<Ref> refs_in(std::string_view message);
// Whether one of `changes` is the record set `ref` names.
bool mentions(const std::vector<Change>& changes, const Ref& ref);

// What to do after Route 53 refused the request of `parts`.
struct Isolation {
  // The request held one unit: its items, refused with `error` (its message
  // narrowed to Route 53's messages that name the item, when some do).
  // Empty when the request is to be split instead.
  std::vector<std::pair<size_t, common::Error>> refused;
  // The request split in two, to be sent in this order: the parts no message
  // names, then the named ones (or, when messages name all or none, halves).
  std::vector<Part> first, second;
};
Isolation isolate(std::vector<Part> parts, const Batch& batch, const common::Error& error,
                  const std::vector<std::string>& messages);

}  // namespace ecssd::provider::route53
