#pragma once
// An immutable, pre-rendered zone for the embedded responder.
//
// build_zone() turns the records of one zone into a ZoneSnapshot: every answer
// the responder can give (per name and query type, per rotation variant) is
// rendered to wire format once, with libknot, when the snapshot is built; a
// query then costs one hash lookup and a copy (see dns/answer.h). Snapshots are
// shared read-only between the responder's threads; a change builds a new one
// and the responder swaps it in (Responder::publish).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/record.h"

namespace ecssd::dns {

struct ZoneOptions {
  // The zone served, e.g. "svc.example.com" (trailing dot optional).
  std::string zone;
  // SOA MNAME and the apex NS target; empty means "ns.<zone>".
  std::string ns_name;
  // SOA RNAME as a mailbox ("hostmaster@example.com") or a name
  // ("hostmaster.example.com"); empty means "hostmaster.<zone>".
  std::string hostmaster;
  uint32_t soa_ttl = 60;
  uint32_t ns_ttl = 60;
  uint32_t refresh = 3600;
  uint32_t retry = 600;
  uint32_t expire = 86400;
  // SOA MINIMUM: how long resolvers may cache "no such name" (RFC 2308). Short,
  // so that a service that appears is found at once.
  uint32_t negative_ttl = 5;
};

// Checks the options. Errors: kInvalidArgument naming the bad field.
common::Status validate(const ZoneOptions& options);

// Checks that one record can be served in `zone`: name inside the zone and a
// valid DNS name, type A, AAAA, CNAME, TXT or SRV (the SOA and NS of the apex
// are generated from ZoneOptions), at least one value, every value parses, no
// CNAME at the apex. Errors: kInvalidArgument with the record and the reason.
common::Status check_record(const model::Record& record, std::string_view zone);

// The record as it will be listed back (AXFR, EmbeddedProvider::list): name
// normalized, values re-rendered from wire form (names lower-case without the
// trailing dot, canonical IPv6, TXT re-quoted by model::txt_encode).
// Errors: those of check_record's value parsing (kInvalidArgument).
common::Result<model::Record> canonical_record(model::Record record);

class ZoneSnapshot {
 public:
  struct Impl;  // defined in dns/zone_impl.h, used by the answer code only
  explicit ZoneSnapshot(std::unique_ptr<Impl> impl);
  ~ZoneSnapshot();
  ZoneSnapshot(const ZoneSnapshot&) = delete;
  ZoneSnapshot& operator=(const ZoneSnapshot&) = delete;

  // Normalized zone name.
  const std::string& zone() const;
  uint32_t serial() const;
  // Names with data or empty non-terminals, including the apex.
  size_t name_count() const;
  // Resource records served (distinct RDATA), including SOA and NS.
  size_t rr_count() const;
  // Approximate heap bytes held by the snapshot (for the memory budget).
  size_t memory_bytes() const;
  // The generated SOA and NS records of the apex, as an AXFR would list them.
  std::vector<model::Record> apex_records() const;

  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// Builds a snapshot of `records` (model::Record conventions; records of the
// same name and type are merged into one RRset, identical values served once,
// the smallest TTL wins; CNAME records at one name become rotation variants,
// one per distinct target, weight-0 records left out unless all are 0).
// Errors: kInvalidArgument for bad options, a record check_record refuses
// (outside the zone, bad value...), a CNAME sharing its name with other data,
// an RRset of more values than libknot holds (65535), or an answer that cannot
// fit in 65535 octets; the message names the record. kInternal when libknot
// fails otherwise (out of memory), with libknot's reason.
common::Result<std::shared_ptr<const ZoneSnapshot>> build_zone(const ZoneOptions& options,
                                                               const std::vector<model::Record>& records,
                                                               uint32_t serial);

}  // namespace ecssd::dns
