#pragma once
// An in-memory RFC 2136 server for the provider's unit tests, behind the
// provider's Transport seam: prerequisites evaluated as section 3.2 says,
// updates applied as section 3.4.2 says (including the silent ignoring of a
// CNAME beside other data), a serial that moves on every change, and a
// journal for incremental reads. Faults are injected per call.
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "provider/rfc2136/transport.h"

namespace ecssd::testing {

class FakeDnsServer final : public provider::rfc2136::Transport {
 public:
  explicit FakeDnsServer(std::string zone);

  common::Task<common::Result<dns::Refresh>> refresh(dns::ZoneCopy& copy) override;
  common::Task<common::Result<dns::UpdateAnswer>> update(const dns::UpdateRequest& request) override;
  size_t max_update_size() const override { return max_update_size_; }

  // --- the zone, as a person or another agent would change it ---
  void add(const std::string& name, model::RecordType type, const std::string& value, uint32_t ttl = 10);
  void remove(const std::string& name, model::RecordType type, const std::string& value);
  // Every RR as "name TYPE value", sorted (SOA and NS left out).
  std::vector<std::string> dump() const;
  std::vector<std::string> values(const std::string& name, model::RecordType type) const;
  uint32_t serial() const { return serial_; }

  // --- faults ---
  // The next calls fail with `error` before reaching the zone.
  void fail_updates(common::Error error, int times = 1) { update_faults_.insert(update_faults_.end(), times, error); }
  void fail_refreshes(common::Error error, int times = 1) {
    refresh_faults_.insert(refresh_faults_.end(), times, error);
  }
  // The next UPDATEs are answered with this RCODE / TSIG error and change nothing.
  void answer_next(uint16_t rcode, uint16_t tsig_error = 0, int times = 1) {
    answers_.insert(answers_.end(), times, std::make_pair(rcode, tsig_error));
  }
  // The next UPDATE is applied, then its answer is lost (a timeout).
  void lose_next_answer() { lose_answer_ = true; }
  // Names the server's policy refuses: REFUSED for the whole message.
  void refuse_names(std::set<std::string> names) { refused_names_ = std::move(names); }
  // Names a policy drops while answering NOERROR (PowerDNS's Lua policy).
  void drop_names(std::set<std::string> names) { dropped_names_ = std::move(names); }
  // Runs before the next UPDATE is evaluated (another writer's change).
  void before_next_update(std::function<void(FakeDnsServer&)> f) { before_update_ = std::move(f); }
  // Whether the server offers IXFR (PowerDNS does not).
  void set_ixfr(bool on) { ixfr_ = on; }
  void set_max_update_size(size_t n) { max_update_size_ = n; }

  // --- what happened ---
  std::vector<dns::UpdateRequest> updates;  // every UPDATE received (faulted ones too)
  size_t full_reads = 0, incremental_reads = 0, uptodate_reads = 0;

 private:
  using Key = std::pair<std::string, model::RecordType>;
  using Values = std::vector<std::pair<std::string, uint32_t>>;
  bool prerequisites_hold(const dns::UpdateRequest& r, uint16_t* rcode) const;
  bool apply_op(const dns::UpdateOp& op, dns::IxfrStep& step);
  void bump(dns::IxfrStep step);
  std::vector<dns::Rr> all_rrs() const;
  dns::Rr soa() const;

  std::string zone_;
  uint32_t serial_ = 1;
  std::map<Key, Values> rrsets_;
  std::vector<dns::IxfrStep> journal_;
  std::deque<common::Error> update_faults_, refresh_faults_;
  std::deque<std::pair<uint16_t, uint16_t>> answers_;
  bool lose_answer_ = false;
  bool ixfr_ = true;
  std::set<std::string> refused_names_, dropped_names_;
  std::function<void(FakeDnsServer&)> before_update_;
  size_t max_update_size_ = 65535 - 100;
};

}  // namespace ecssd::testing
