#pragma once
// A client's copy of a zone, as zone transfers deliver it: every RR of the
// types ecssd models, with the SOA serial it stands for. A full transfer
// replaces it; an incremental one (IXFR, RFC 1995) applies its steps, all of
// them or none. Pure: no I/O.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "model/record.h"

namespace ecssd::dns {

// One resource record in model presentation form (dns/knot_util.h rules:
// names normalized, TXT quoted, SRV "prio weight port target").
struct Rr {
  std::string name;
  model::RecordType type = model::RecordType::kA;
  uint32_t ttl = 0;
  std::string value;
  bool operator==(const Rr&) const = default;
};

// One step of an IXFR: the zone at from_serial becomes the zone at
// to_serial by removing then adding these RRs.
struct IxfrStep {
  uint32_t from_serial = 0;
  uint32_t to_serial = 0;
  std::vector<Rr> removed;
  std::vector<Rr> added;
};

class ZoneCopy {
 public:
  explicit ZoneCopy(std::string zone);

  const std::string& zone() const { return zone_; }
  // False until a full transfer was taken in.
  bool loaded() const { return loaded_; }
  uint32_t serial() const { return serial_; }
  // The apex SOA as transferred (for an IXFR request's authority section).
  const std::optional<Rr>& soa() const { return soa_; }

  // Takes in a full transfer (the apex SOA among `rrs` gives the serial).
  // Errors: kProtocol when `rrs` has no apex SOA; the copy is then unchanged.
  common::Status replace(std::vector<Rr> rrs);

  // Applies an IXFR's steps in order. Errors: kProtocol when a step does not
  // start at the copy's serial, removes an RR the copy does not hold, or the
  // steps do not end at `final_serial`; the copy is then unchanged (the
  // caller falls back to a full transfer).
  common::Status apply(const std::vector<IxfrStep>& steps, uint32_t final_serial);

  // One record per name and type (values in the order added, TTL the
  // smallest of the RRset's), SOA and NS included, sorted by name and type.
  std::vector<model::Record> records() const;
  // The RRset (name, type), if the zone has it.
  std::optional<model::Record> rrset(const std::string& name, model::RecordType type) const;
  // Types the name owns.
  std::set<model::RecordType> types_at(const std::string& name) const;
  size_t rr_count() const { return rr_count_; }

 private:
  using Key = std::pair<std::string, model::RecordType>;
  using Values = std::vector<std::pair<std::string, uint32_t>>;  // value, TTL
  static bool add(std::map<Key, Values>& into, const Rr& rr);
  static bool remove(std::map<Key, Values>& from, const Rr& rr);
  void adopt(std::map<Key, Values> rrsets);

  std::string zone_;
  bool loaded_ = false;
  uint32_t serial_ = 0;
  std::optional<Rr> soa_;
  std::map<Key, Values> rrsets_;
  size_t rr_count_ = 0;
};

// "mname rname serial refresh retry expire minimum" -> serial.
std::optional<uint32_t> soa_serial(const std::string& soa_value);

}  // namespace ecssd::dns
